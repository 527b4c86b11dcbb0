//! Join plans: how each rule of a stratum runs on datafrog, chosen by the engine rather than
//! by the order in which the rule's atoms are written.
//!
//! A rule becomes a *source* (one body atom, or a single empty row), followed by
//! operations applied row by row to an environment of bound variables. Atoms of lower
//! strata are complete relations: they become index lookups (a leapjoin-style probe, with no
//! copy of the environment), or, where several of them bind the same variable, one
//! worst-case-optimal intersection (datafrog's leapjoin over all of them). Atoms of the
//! rule's own stratum change while the fixpoint runs: the environment built so far is
//! materialised into a datafrog `Variable` keyed by the join columns and joined
//! semi-naively with a re-keyed copy of the atom's relation.
//!
//! **Join order.** Greedy, from bound variables and relation sizes ([`Stats`]): a rule that
//! reads its own stratum starts from the new tuples of such an atom; otherwise the next atom
//! is the one expected to give the fewest rows per environment (its size over the distinct
//! values of its bound columns, times the selectivity of the comparisons it makes
//! runnable). Filters and negations run as soon as their variables are bound; an
//! assignment, `range` or aggregate runs once its inputs are bound and before any atom that
//! mentions the variable it binds (so its meaning never changes). Ties are broken by the
//! atoms' text, never by their position, so every order of a body gives the same plan.
//!
//! **Indices.** Every lookup names the columns it binds; `engine::select` then picks the
//! fewest column orders per relation that serve them all (Soufflé's automatic index
//! selection), so a lookup always probes by exactly its bound columns.

use crate::base::source::Span;
use crate::base::value::{Type, Value};
pub use crate::engine::select::IndexSpec;
use crate::engine::select::{self, Access};
use crate::lang::ir::{self, Arg, Expr, Lit, RelId, RuleId, VarId};
use crate::lang::syntax::ast::{AggregateFunc, CompareOp};
use std::fmt::Write;

/// What to do with one column of a matched tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColAction {
    /// Nothing: a wildcard, or a column already fixed by the lookup key.
    Skip,
    /// First occurrence of a variable: bind it.
    Bind(VarId),
    /// The variable is already bound: the column must equal it.
    Check(VarId),
    /// The column must equal a constant.
    Const(Value),
}

/// One column of a lookup key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPart {
    /// The value of a bound variable.
    Var(VarId),
    /// A constant.
    Const(Value),
}

/// A relation of the stratum re-keyed for semi-naive joins: `(key columns, tuple)` pairs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySpec {
    /// The relation.
    pub rel: RelId,
    /// The key columns, in key order: a lookup key is the tuple projected on them.
    pub key_cols: Vec<usize>,
}

/// One relation of an [`Op::Intersect`]: the index, probed by `key` (its first columns), whose
/// next column holds the variable being bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaper {
    /// Into [`StratumPlan::static_indices`].
    pub index: usize,
    /// The bound arguments (and constants) the index is probed with.
    pub key: Vec<KeyPart>,
}

/// One step applied to each environment of bound variables, in plan order. Each step is a
/// body literal; the Datalog it implements is written above it, with `env` for the variables
/// bound so far.
#[derive(Debug, Clone)]
pub enum Op {
    /// `r(args)` where `r` is complete (a lower stratum): for each tuple of `r` whose first
    /// columns in the index's order equal the bound arguments, apply `cols` (bind, check) and
    /// continue.
    Lookup {
        /// Into [`StratumPlan::static_indices`]: `r` sorted by an order starting with the
        /// bound columns.
        index: usize,
        /// The bound arguments, in the index's order.
        key: Vec<KeyPart>,
        /// What each column of a matched tuple, in the index's order, does to `env`.
        cols: Vec<ColAction>,
    },
    /// `!r(args)` with every argument bound (or `_`): continue only if no tuple of `r`
    /// matches the key.
    Absent {
        /// Into [`StratumPlan::static_indices`]: `r` sorted by the bound columns first.
        index: usize,
        /// The bound arguments; wildcard columns are not part of the key.
        key: Vec<KeyPart>,
    },
    /// `r1(.., var, ..), r2(.., var, ..), ...` with `var` unbound and the other columns of
    /// each leaper bound (or not yet needed): bind `var` to every value that all the
    /// relations have for their keys, proposed by the one with the fewest and checked in
    /// the others (datafrog's leapjoin; worst-case optimal for triangles and cycles).
    Intersect {
        /// The variable bound.
        var: VarId,
        /// One per atom.
        leapers: Vec<Leaper>,
    },
    /// `lhs op rhs` over bound variables: continue when the comparison holds (numbers as
    /// signed integers, symbols as strings); an expression without a value drops `env`.
    Filter {
        /// The comparison.
        op: CompareOp,
        /// Left operand.
        lhs: Expr,
        /// Right operand.
        rhs: Expr,
        /// The operands' type, which decides how `op` compares.
        ty: Type,
    },
    /// `var = expr` with `var` unbound: bind it to the expression's value, if it has one.
    Assign {
        /// The variable bound.
        var: VarId,
        /// Its value, over bound variables.
        expr: Expr,
    },
    /// `var = range(from, to[, step])`: continue once per generated number (see
    /// [`crate::lang::functors::Range`]).
    Range {
        /// The variable bound to each number.
        var: VarId,
        /// The numbers' type (`ir::Lit::Range::ty`).
        ty: Type,
        /// First number.
        from: Expr,
        /// Bound, exclusive.
        to: Expr,
        /// Step; 1 or -1 by direction when absent.
        step: Option<Expr>,
    },
    /// `var = func target : { body }`: run `ops` (the body) from a copy of `env`, fold
    /// `target` over its solutions (one per distinct binding of `key`, when there is one),
    /// bind `var` to the result and continue once.
    Aggregate {
        /// The variable bound to the result.
        var: VarId,
        /// `count`, `sum`, `min`, `max`, `mean`.
        func: AggregateFunc,
        /// The aggregated expression (`None` for `count`).
        target: Option<Expr>,
        /// The target's type (`ir::Lit::Aggregate::ty`).
        ty: Type,
        /// The variables whose distinct bindings it ranges over (`ir::Lit::Aggregate::key`).
        key: Option<Vec<VarId>>,
        /// The aggregate's body, over complete relations.
        ops: Vec<Op>,
        /// The aggregate as written, for a run-time error (a sum that overflows).
        span: Span,
    },
}

/// Where a rule's evaluation starts: one empty environment, or the tuples of its first atom.
#[derive(Debug, Clone)]
pub enum Source {
    /// One empty environment, in the first round only.
    Unit,
    /// Every tuple of a complete relation, in the first round only.
    Static {
        /// The relation scanned.
        rel: RelId,
        /// What each column of a tuple does to the empty environment.
        cols: Vec<ColAction>,
    },
    /// The new tuples of a relation of this stratum, every round.
    Dynamic {
        /// The relation whose new tuples are scanned.
        rel: RelId,
        /// What each column of a tuple does to the empty environment.
        cols: Vec<ColAction>,
    },
}

/// A semi-naive join of the environment so far with an atom of this stratum.
#[derive(Debug, Clone)]
pub struct DynJoin {
    /// Index into [`StratumPlan::dyn_indices`].
    pub index: usize,
    /// The environment's bound arguments, in the index's key order.
    pub key: Vec<KeyPart>,
    /// What each column of a matched tuple does to `env`.
    pub cols: Vec<ColAction>,
}

/// How one rule is evaluated: a source of environments, then steps and joins, then the head.
#[derive(Debug, Clone)]
pub struct RulePlan {
    /// The rule planned.
    pub rule: RuleId,
    /// The relation it derives.
    pub head: RelId,
    /// The head's arguments, over the environment.
    pub head_args: Vec<Expr>,
    /// Where the rule's environments start.
    pub source: Source,
    /// Operations after the source.
    pub ops: Vec<Op>,
    /// Each join materialises what came before it; its ops follow it.
    pub joins: Vec<(DynJoin, Vec<Op>)>,
    /// Why the body runs in this order: each atom as placed, with its estimates.
    pub why: Vec<String>,
}

/// The commonest recursive rule, `p(x, z) :- p(x, y), q(y, z).`: the new tuples of a
/// relation of the stratum, extended through one complete relation, with plain variables in
/// the head. The evaluator runs it as a datafrog leapjoin. Since no column is checked, the
/// rule reduces to copying columns: the key from the source tuple, the head from the source
/// and the matched tuple, with no environment in between.
pub struct Extension {
    /// The relation of this stratum whose new tuples are extended.
    pub source: RelId,
    /// Index into [`StratumPlan::static_indices`].
    pub index: usize,
    /// Each key column: a column of the source tuple, or a constant.
    pub key: Vec<Column>,
    /// Each head column: a column of the source tuple or of the matched one (in the
    /// index's order).
    pub head: Vec<Column>,
}

/// Where a column of an [`Extension`]'s key or head comes from.
#[derive(Debug, Clone, Copy)]
pub enum Column {
    /// A column of the source tuple.
    Source(usize),
    /// A column of the matched tuple.
    Matched(usize),
    /// A constant.
    Const(Value),
}

impl RulePlan {
    /// The rule as an [`Extension`], if it has that shape (then it runs as a leapjoin).
    pub fn as_extension(&self) -> Option<Extension> {
        let Source::Dynamic { rel, cols: source_cols } = &self.source else { return None };
        let [Op::Lookup { index, key, cols }] = self.ops.as_slice() else { return None };
        if !self.joins.is_empty() {
            return None;
        }
        // Where each variable is bound; any check or constant disqualifies the rule.
        let mut bound_at = std::collections::HashMap::new();
        for (side, cols) in [(Column::Matched as fn(usize) -> Column, cols), (Column::Source, source_cols)] {
            for (i, c) in cols.iter().enumerate() {
                match c {
                    ColAction::Bind(v) => {
                        bound_at.insert(*v, side(i));
                    }
                    ColAction::Skip => {}
                    ColAction::Check(_) | ColAction::Const(_) => return None,
                }
            }
        }
        let key = key
            .iter()
            .map(|k| match k {
                KeyPart::Var(v) => bound_at.get(v).copied().filter(|c| matches!(c, Column::Source(_))),
                KeyPart::Const(c) => Some(Column::Const(*c)),
            })
            .collect::<Option<_>>()?;
        let head = self
            .head_args
            .iter()
            .map(|e| if let Expr::Var(v) = e { bound_at.get(v).copied() } else { None })
            .collect::<Option<_>>()?;
        Some(Extension { source: *rel, index: *index, key, head })
    }
}

/// How one stratum is evaluated.
#[derive(Debug, Clone)]
pub struct StratumPlan {
    /// The stratum's relations.
    pub relations: Vec<RelId>,
    /// Whether the stratum needs a fixpoint (some rule reads one of its relations).
    pub recursive: bool,
    /// The plans of the rules deriving its relations.
    pub rules: Vec<RulePlan>,
    /// Complete relations of lower strata, each sorted by a column order, for lookups.
    pub static_indices: Vec<IndexSpec>,
    /// Relations of this stratum, re-keyed for joins.
    pub dyn_indices: Vec<KeySpec>,
    /// For each static index, the signatures (bound columns, and the column an
    /// intersection needs next) it serves, for `--explain-plan`.
    pub serves: Vec<Vec<(Vec<usize>, Option<usize>)>>,
}

/// How a program is evaluated: its strata in order, and the widths of the evaluator's rows.
#[derive(Debug, Clone)]
pub struct Plan {
    /// One plan per stratum, in evaluation order.
    pub strata: Vec<StratumPlan>,
    /// Columns of a stored tuple: the widest relation (keys are projections of tuples, so
    /// never wider).
    pub row_width: usize,
    /// Slots of a rule's environment: the most variables of any rule.
    pub env_width: usize,
    /// The sizes the plan was chosen with.
    pub stats: Stats,
}

/// What the planner knows of a relation's size: rows, and distinct values per column.
#[derive(Debug, Clone, PartialEq)]
pub struct RelStats {
    /// Number of rows.
    pub rows: usize,
    /// Distinct values in each column.
    pub distinct: Vec<usize>,
    /// Measured on the input, or guessed (a derived relation before it is computed).
    pub measured: bool,
}

/// Sizes of every relation, measured on the input tuples where there are any.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    rels: Vec<Option<RelStats>>,
}

/// Rows assumed for a relation whose size is not known when planning.
const GUESSED_ROWS: usize = 1000;

impl Stats {
    /// Measures the input tuples of each relation (`inputs[rel]`, any number of tables).
    /// Distinct values are counted only for relations that some rule joins (a body with two
    /// positive atoms), since only joins are ordered by them.
    pub fn measure(program: &ir::Program, inputs: &[Vec<&crate::base::value::Tuples>]) -> Stats {
        let mut joined = vec![false; program.relations.len()];
        for rule in &program.rules {
            let mut reads = Vec::new();
            ir::body_reads(&rule.body, false, &mut reads);
            if rule.body.iter().filter(|l| matches!(l, Lit::Atom(_))).count() >= 2 || reads.len() >= 2 {
                for (rel, _, _) in reads {
                    joined[rel] = true;
                }
            }
        }
        let rels = inputs
            .iter()
            .enumerate()
            .map(|(rel, tables)| {
                let rows: usize = tables.iter().map(|t| t.len()).sum();
                if rows == 0 {
                    return None;
                }
                let arity = program.relations[rel].arity();
                let distinct = if joined[rel] {
                    (0..arity)
                        .map(|c| {
                            // Sorted on all cores (`engine::parallel`): a hash set of the
                            // values, on one thread, was a third of the one-thread part of
                            // the 3-cycles benchmark's run with two threads (`perf`).
                            let mut values: Vec<Value> =
                                tables.iter().flat_map(|t| t.iter().map(|row| row[c])).collect();
                            crate::engine::parallel::sort_dedup(&mut values);
                            values.len()
                        })
                        .collect()
                } else {
                    vec![rows; arity]
                };
                Some(RelStats { rows, distinct, measured: true })
            })
            .collect();
        Stats { rels }
    }

    /// Measures a program's input: the tables given and the facts written in its rule files.
    pub fn of_inputs<'t>(
        program: &ir::Program,
        tables: impl Iterator<Item = (RelId, &'t crate::base::value::Tuples)>,
    ) -> Stats {
        let mut written: Vec<crate::base::value::Tuples> =
            program.relations.iter().map(|r| crate::base::value::Tuples::new(r.arity())).collect();
        for fact in &program.facts {
            written[fact.rel].push(&fact.values);
        }
        let mut inputs: Vec<Vec<&crate::base::value::Tuples>> = written.iter().map(|t| vec![t]).collect();
        for (rel, t) in tables {
            inputs[rel].push(t);
        }
        Stats::measure(program, &inputs)
    }

    /// Assumes `rel` holds about `rows` tuples, all distinct (e.g. a magic set, which holds
    /// the few bindings a query demands).
    pub fn assume(&mut self, rel: RelId, arity: usize, rows: usize) {
        if self.rels.len() <= rel {
            self.rels.resize(rel + 1, None);
        }
        self.rels[rel] = Some(RelStats { rows, distinct: vec![rows.max(1); arity], measured: false });
    }

    /// What the planner assumes about `rel`.
    pub fn of(&self, rel: RelId, arity: usize) -> RelStats {
        match self.rels.get(rel).cloned().flatten() {
            Some(s) => s,
            None => {
                // A derived relation: as large as the largest input, with few repeats.
                let rows = self.rels.iter().flatten().map(|s| s.rows).max().unwrap_or(GUESSED_ROWS).max(GUESSED_ROWS);
                let per_col = (rows as f64).sqrt().ceil() as usize;
                RelStats { rows, distinct: vec![per_col.max(1); arity], measured: false }
            }
        }
    }
}

/// Plans with no sizes known: every relation guessed alike.
pub fn plan(program: &ir::Program) -> Plan {
    plan_with(program, &Stats::default())
}

/// Plans every stratum with the sizes given.
pub fn plan_with(program: &ir::Program, stats: &Stats) -> Plan {
    let row_width = program.relations.iter().map(|r| r.arity()).max().unwrap_or(0);
    let mut env_width = 0;
    let mut strata = Vec::new();
    for stratum in &program.strata {
        let mut accesses = Vec::new();
        let mut dyn_indices = Vec::new();
        let mut planned = Vec::new();
        for &rid in &stratum.rules {
            let rule = &program.rules[rid];
            env_width = env_width.max(rule.num_vars());
            let outer = outer_vars(rule);
            let mut orderer =
                Orderer { program, rule, stratum: &stratum.relations, stats, accesses: &mut accesses, outer };
            let mut bound = vec![false; rule.num_vars()];
            let (steps, why) = orderer.order(&rule.body, &mut bound, true);
            planned.push((rule, steps, why));
        }
        let (static_indices, served) = select::select(&accesses);
        let mut serves = vec![Vec::new(); static_indices.len()];
        for (a, &i) in accesses.iter().zip(&served) {
            let sig = ((0..a.arity).filter(|c| a.bound & (1 << c) != 0).collect(), a.next);
            if !serves[i].contains(&sig) {
                serves[i].push(sig);
            }
        }
        let rules = planned
            .into_iter()
            .map(|(rule, steps, why)| {
                let mut lower =
                    Lowering { static_indices: &static_indices, served: &served, dyn_indices: &mut dyn_indices };
                let mut rp = lower.rule(rule, steps);
                // Only a join has an order worth explaining.
                if rule.body.iter().filter(|l| matches!(l, Lit::Atom(_))).count() >= 2 {
                    rp.why = why;
                }
                rp
            })
            .collect();
        strata.push(StratumPlan {
            relations: stratum.relations.clone(),
            recursive: stratum.recursive,
            rules,
            static_indices,
            dyn_indices,
            serves,
        });
    }
    Plan { strata, row_width, env_width, stats: stats.clone() }
}

/// A body literal placed in the plan, before indices are chosen.
enum Step<'r> {
    /// The first atom, scanned (static) or its new tuples (dynamic).
    Source(&'r ir::Atom, bool),
    /// A positive atom of a complete relation, looked up by what is bound; `access` into
    /// the stratum's accesses.
    Lookup(&'r ir::Atom, usize),
    /// A negated atom.
    Absent(&'r ir::Atom, usize),
    /// Several atoms binding `var` together: (atom, access).
    Intersect(VarId, Vec<(&'r ir::Atom, usize)>),
    /// An atom of the stratum, joined semi-naively.
    Join(&'r ir::Atom),
    /// A filter, assignment or range, as written.
    Plain(&'r Lit),
    /// An aggregate and its ordered body.
    Aggregate(&'r Lit, Vec<Step<'r>>),
}

/// Orders one rule's body.
struct Orderer<'a, 'b> {
    program: &'a ir::Program,
    rule: &'a ir::Rule,
    stratum: &'a [RelId],
    stats: &'a Stats,
    accesses: &'b mut Vec<Access>,
    /// Variables that occur outside aggregate bodies: an aggregate needs those it mentions.
    outer: Vec<bool>,
}

/// Expected fraction of rows a comparison keeps.
fn selectivity(op: CompareOp) -> f64 {
    match op {
        CompareOp::Eq => 0.1,
        CompareOp::Ne => 0.9,
        _ => 0.5,
    }
}

fn is_bound(bound: &[bool], v: VarId) -> bool {
    bound.get(v).copied().unwrap_or(false)
}

fn expr_bound(e: &Expr, bound: &[bool]) -> bool {
    let mut vars = Vec::new();
    e.vars(&mut vars);
    vars.iter().all(|&v| is_bound(bound, v))
}

/// Variables of a rule that occur outside aggregate bodies (as `check` scopes names).
fn outer_vars(rule: &ir::Rule) -> Vec<bool> {
    let mut vars = Vec::new();
    for e in &rule.head_args {
        e.vars(&mut vars);
    }
    for lit in &rule.body {
        match lit {
            Lit::Aggregate { var, .. } => vars.push(*var),
            other => other.vars(&mut vars),
        }
    }
    let mut outer = vec![false; rule.num_vars()];
    for v in vars {
        outer[v] = true;
    }
    outer
}

/// The inputs a non-atom literal needs, and the variable it binds.
fn needs(lit: &Lit, outer: &[bool]) -> (Vec<VarId>, Option<VarId>) {
    let mut vars = Vec::new();
    let out = match lit {
        Lit::Negated(a) => {
            vars.extend(a.args.iter().filter_map(|a| if let Arg::Var(v) = a { Some(*v) } else { None }));
            None
        }
        Lit::Filter { lhs, rhs, .. } => {
            lhs.vars(&mut vars);
            rhs.vars(&mut vars);
            None
        }
        Lit::Assign { var, expr, .. } => {
            expr.vars(&mut vars);
            Some(*var)
        }
        Lit::Range { var, from, to, step, .. } => {
            from.vars(&mut vars);
            to.vars(&mut vars);
            if let Some(s) = step {
                s.vars(&mut vars);
            }
            Some(*var)
        }
        Lit::Aggregate { var, body, target, .. } => {
            // The variables it shares with the rule outside come from outside.
            let mut inner = Vec::new();
            body.iter().for_each(|lit| lit.vars(&mut inner));
            if let Some(t) = target {
                t.vars(&mut inner);
            }
            vars.extend(inner.into_iter().filter(|&v| outer.get(v).copied().unwrap_or(false)));
            Some(*var)
        }
        Lit::Atom(_) => None,
    };
    (vars, out)
}

fn atom_vars(a: &ir::Atom) -> impl Iterator<Item = VarId> + '_ {
    a.args.iter().filter_map(|a| if let Arg::Var(v) = a { Some(*v) } else { None })
}

/// Bit set of the columns an atom binds before it runs: constants and bound variables.
fn bound_mask(a: &ir::Atom, bound: &[bool]) -> u64 {
    let mut mask = 0;
    for (i, arg) in a.args.iter().enumerate() {
        match arg {
            Arg::Const(_) => mask |= 1 << i,
            Arg::Var(v) if is_bound(bound, *v) => mask |= 1 << i,
            _ => {}
        }
    }
    mask
}

impl<'a> Orderer<'a, '_> {
    fn dynamic(&self, a: &ir::Atom) -> bool {
        self.stratum.contains(&a.rel)
    }

    fn access(&mut self, a: &ir::Atom, bound: u64, next: Option<usize>) -> usize {
        let arity = self.program.relations[a.rel].arity();
        self.accesses.push(Access { rel: a.rel, arity, bound, next });
        self.accesses.len() - 1
    }

    /// An atom as written, with variable names: the order-independent tie-break.
    fn text(&self, a: &ir::Atom) -> String {
        atom_text(self.program, self.rule, a)
    }

    /// Expected rows per environment for `a` with `bound` variables.
    fn fanout(&self, a: &ir::Atom, bound: &[bool]) -> f64 {
        let s = self.stats.of(a.rel, a.args.len());
        let mask = bound_mask(a, bound);
        let mut est = s.rows as f64;
        for (c, d) in s.distinct.iter().enumerate() {
            if mask & (1 << c) != 0 {
                est /= (*d).max(1) as f64;
            }
        }
        est
    }

    /// Selectivity of the filters that become runnable once `a`'s variables are bound.
    fn filters_after(&self, a: &ir::Atom, bound: &[bool], others: &[&Lit]) -> f64 {
        let mut after = bound.to_vec();
        for v in atom_vars(a) {
            after[v] = true;
        }
        others
            .iter()
            .filter_map(|l| match l {
                Lit::Filter { op, lhs, rhs, .. }
                    if !(expr_bound(lhs, bound) && expr_bound(rhs, bound))
                        && expr_bound(lhs, &after)
                        && expr_bound(rhs, &after) =>
                {
                    Some(selectivity(*op))
                }
                _ => None,
            })
            .product()
    }

    /// Orders `body` given `bound`; `top` when the first atom may be the rule's source.
    fn order(&mut self, body: &'a [Lit], bound: &mut [bool], top: bool) -> (Vec<Step<'a>>, Vec<String>) {
        let mut atoms: Vec<&'a ir::Atom> =
            body.iter().filter_map(|l| if let Lit::Atom(a) = l { Some(a) } else { None }).collect();
        let mut others: Vec<&'a Lit> = body.iter().filter(|l| !matches!(l, Lit::Atom(_))).collect();
        let mut steps = Vec::new();
        let mut why = Vec::new();
        let mut rows = 1.0f64;
        loop {
            self.run_ready_others(&mut others, &atoms, bound, &mut steps);
            if atoms.is_empty() {
                break;
            }
            let is_source = top && steps.is_empty();
            let (est, text, i) = self.pick_atom(&atoms, &others, bound, is_source);
            let a = atoms[i];
            if is_source {
                atoms.remove(i);
                steps.push(Step::Source(a, self.dynamic(a)));
                rows = if self.dynamic(a) { 1.0 } else { est };
                why.push(if self.dynamic(a) {
                    format!("{text}: new tuples each round")
                } else {
                    let guess = if self.stats.of(a.rel, a.args.len()).measured { "" } else { " (size guessed)" };
                    format!("{text}: scan, est. {} rows after filters{guess}", fmt_est(rows))
                });
            } else if self.dynamic(a) {
                atoms.remove(i);
                steps.push(Step::Join(a));
                why.push(format!("{text}: semi-naive join"));
            } else if let Some((var, partners)) = self.intersection(a, &atoms, bound) {
                rows *= est;
                let (step, reason) = self.intersect(var, i, partners, &mut atoms, bound, rows);
                why.push(reason);
                steps.push(step);
            } else {
                atoms.remove(i);
                let access = self.access(a, bound_mask(a, bound), None);
                steps.push(Step::Lookup(a, access));
                rows *= est;
                why.push(format!("{text}: lookup, est. {} per row, {} rows", fmt_est(est), fmt_est(rows)));
            }
            for v in atom_vars(a).collect::<Vec<_>>() {
                // An intersection binds only its variable; the atom stays for the rest.
                if !matches!(steps.last(), Some(Step::Intersect(..))) {
                    bound[v] = true;
                }
            }
        }
        (steps, why)
    }

    /// Places every other literal that can run now, most selective first, onto `steps`.
    fn run_ready_others(
        &mut self,
        others: &mut Vec<&'a Lit>,
        atoms: &[&'a ir::Atom],
        bound: &mut [bool],
        steps: &mut Vec<Step<'a>>,
    ) {
        // Everything runnable runs now: the most selective filters first, then
        // negations, then what binds a variable; ties by text, not by position.
        // `autoinc()` numbers the rows it sees, so it runs after every atom (as written
        // by `check`) except those that read what it binds.
        let atoms_left = |lit: &Lit, outer: &[bool], atoms: &[&ir::Atom]| {
            let out = needs(lit, outer).1;
            atoms.iter().any(|a| !atom_vars(a).any(|v| Some(v) == out))
        };
        while let Some(i) = (0..others.len())
            .filter(|&i| needs(others[i], &self.outer).0.iter().all(|&v| is_bound(bound, v)))
            .filter(|&i| !(others[i].uses_autoinc() && atoms_left(others[i], &self.outer, atoms)))
            .min_by(|&i, &j| self.other_key(others[i]).partial_cmp(&self.other_key(others[j])).expect("no NaN"))
        {
            let lit = others.remove(i);
            steps.push(self.place_other(lit, bound));
        }
    }

    /// Picks the next atom among those ready: its estimated rows, its text and its index.
    fn pick_atom(
        &self,
        atoms: &[&'a ir::Atom],
        others: &[&'a Lit],
        bound: &[bool],
        is_source: bool,
    ) -> (f64, String, usize) {
        // Atoms wait for the assignment, range or aggregate that binds their variables.
        let pending: Vec<VarId> = others.iter().filter_map(|l| needs(l, &self.outer).1).collect();
        let ready: Vec<usize> =
            (0..atoms.len()).filter(|&i| !atom_vars(atoms[i]).any(|v| pending.contains(&v))).collect();
        let ready = if ready.is_empty() { vec![0] } else { ready };
        let has_dynamic = ready.iter().any(|&i| self.dynamic(atoms[i]));
        // Rank: a rule of a recursive stratum starts from new tuples; then lookups by
        // bound columns, then semi-naive joins, then cross products.
        let class = |o: &Self, a: &ir::Atom| -> u8 {
            match (o.dynamic(a), bound_mask(a, bound) != 0) {
                (true, _) if is_source => 0,
                (false, _) if is_source && has_dynamic => 3,
                (false, true) => 0,
                (true, _) => 1,
                (false, false) => 2,
            }
        };
        let scored: Vec<(u8, f64, String, usize)> = ready
            .iter()
            .map(|&i| {
                let a = atoms[i];
                let est = self.fanout(a, bound) * self.filters_after(a, bound, others);
                (class(self, a), est, self.text(a), i)
            })
            .collect();
        let best = scored
            .iter()
            .min_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)).then_with(|| x.2.cmp(&y.2)))
            .expect("a ready atom");
        (best.1, best.2.clone(), best.3)
    }

    /// Binds `var` by intersecting atom `i` with its `partners`; drops the atoms the
    /// intersection fully checks and returns the step with its explanation (`rows`: the
    /// estimated rows after it).
    fn intersect(
        &mut self,
        var: VarId,
        i: usize,
        partners: Vec<usize>,
        atoms: &mut Vec<&'a ir::Atom>,
        bound: &mut [bool],
        rows: f64,
    ) -> (Step<'a>, String) {
        // Each atom binding `var` proposes or checks it.
        let mut parts = Vec::new();
        let mut texts = Vec::new();
        for j in std::iter::once(i).chain(partners) {
            let b = atoms[j];
            let col = b.args.iter().position(|x| *x == Arg::Var(var)).expect("atom binds var");
            let access = self.access(b, bound_mask(b, bound), Some(col));
            parts.push((b, access));
            texts.push(format!("{} (est. {})", self.text(b), fmt_est(self.fanout(b, bound))));
        }
        bound[var] = true;
        // Atoms whose every column is now fixed are fully checked by the leapers.
        let covered: Vec<&ir::Atom> = parts
            .iter()
            .filter(|(b, _)| b.args.iter().all(|x| !matches!(x, Arg::Var(v) if !is_bound(bound, *v))))
            .map(|(b, _)| *b)
            .collect();
        atoms.retain(|x| !covered.iter().any(|c| std::ptr::eq(*c, *x)));
        let reason = format!(
            "{} by intersecting {}, est. {} rows",
            self.rule.var_names[var],
            texts.join(" and "),
            fmt_est(rows)
        );
        (Step::Intersect(var, parts), reason)
    }

    /// For a lookup of `a`: the variable it binds that other atoms of complete relations
    /// also bind, with those atoms, if any (the one most atoms share).
    fn intersection(&self, a: &ir::Atom, atoms: &[&ir::Atom], bound: &[bool]) -> Option<(VarId, Vec<usize>)> {
        let once = |b: &ir::Atom, v: VarId| b.args.iter().filter(|x| **x == Arg::Var(v)).count() == 1;
        let mut best: Option<(VarId, Vec<usize>)> = None;
        for v in atom_vars(a).filter(|&v| !is_bound(bound, v) && once(a, v)) {
            let partners: Vec<usize> = (0..atoms.len())
                .filter(|&j| !std::ptr::eq(atoms[j], a) && !self.dynamic(atoms[j]) && once(atoms[j], v))
                .take(7)
                .collect();
            let better = match &best {
                None => !partners.is_empty(),
                Some((w, p)) => {
                    partners.len() > p.len()
                        || (partners.len() == p.len() && self.rule.var_names[v] < self.rule.var_names[*w])
                }
            };
            if better {
                best = Some((v, partners));
            }
        }
        best
    }

    /// Where a runnable literal goes among those runnable at once: kind, selectivity, text.
    fn other_key(&self, lit: &Lit) -> (u8, f64, String) {
        let names = |e: &Expr| {
            let mut vars = Vec::new();
            e.vars(&mut vars);
            vars.iter().map(|&v| self.rule.var_names[v].as_str()).collect::<Vec<_>>().join(",")
        };
        match lit {
            Lit::Filter { op, lhs, rhs, .. } => (0, selectivity(*op), format!("{op:?} {} {}", names(lhs), names(rhs))),
            Lit::Negated(a) => (1, 0.0, self.text(a)),
            Lit::Assign { var, .. } | Lit::Range { var, .. } | Lit::Aggregate { var, .. } => {
                (2, 0.0, self.rule.var_names[*var].clone())
            }
            Lit::Atom(a) => (3, 0.0, self.text(a)),
        }
    }

    fn place_other(&mut self, lit: &'a Lit, bound: &mut [bool]) -> Step<'a> {
        match lit {
            Lit::Negated(a) => {
                let mask =
                    a.args.iter().enumerate().filter(|(_, x)| !matches!(x, Arg::Wildcard)).map(|(i, _)| 1 << i).sum();
                Step::Absent(a, self.access(a, mask, None))
            }
            Lit::Aggregate { var, body, .. } => {
                let mut inner = bound.to_vec();
                // Inside, the body's own variables are outer to aggregates nested in it.
                let saved = self.outer.clone();
                let mut mine = Vec::new();
                for lit in body.iter().filter(|l| !matches!(l, Lit::Aggregate { .. })) {
                    lit.vars(&mut mine);
                }
                for v in mine {
                    self.outer[v] = true;
                }
                let (steps, _) = self.order(body, &mut inner, false);
                self.outer = saved;
                bound[*var] = true;
                Step::Aggregate(lit, steps)
            }
            Lit::Assign { var, .. } | Lit::Range { var, .. } => {
                bound[*var] = true;
                Step::Plain(lit)
            }
            Lit::Filter { .. } | Lit::Atom(_) => Step::Plain(lit),
        }
    }
}

fn fmt_est(x: f64) -> String {
    if x >= 100.0 { format!("{:.0}", x) } else { format!("{:.2}", x) }
}

/// `edge(a, b, _)`: an atom with its variables' names.
fn atom_text(program: &ir::Program, rule: &ir::Rule, a: &ir::Atom) -> String {
    let args: Vec<String> = a
        .args
        .iter()
        .map(|x| match x {
            Arg::Var(v) => rule.var_names[*v].clone(),
            Arg::Const(c) => format!("#{c}"),
            Arg::Wildcard => "_".into(),
        })
        .collect();
    format!("{}({})", program.relations[a.rel].name, args.join(", "))
}

/// Turns ordered steps into operations on the chosen indices.
struct Lowering<'l> {
    static_indices: &'l [IndexSpec],
    served: &'l [usize],
    dyn_indices: &'l mut Vec<KeySpec>,
}

impl Lowering<'_> {
    fn rule(&mut self, rule: &ir::Rule, steps: Vec<Step>) -> RulePlan {
        let mut bound = vec![false; rule.num_vars()];
        let mut source = Source::Unit;
        let mut ops = Vec::new();
        let mut joins: Vec<(DynJoin, Vec<Op>)> = Vec::new();
        for step in steps {
            match step {
                Step::Source(a, dynamic) => {
                    let cols = scan_cols(a, &mut bound);
                    source = if dynamic {
                        Source::Dynamic { rel: a.rel, cols }
                    } else {
                        Source::Static { rel: a.rel, cols }
                    };
                }
                Step::Join(a) => {
                    let order: Vec<usize> = (0..a.args.len()).collect();
                    let (key_cols, key, cols) = match_atom(a, &order, &mut bound);
                    let spec = KeySpec { rel: a.rel, key_cols };
                    let index = match self.dyn_indices.iter().position(|s| *s == spec) {
                        Some(i) => i,
                        None => {
                            self.dyn_indices.push(spec);
                            self.dyn_indices.len() - 1
                        }
                    };
                    joins.push((DynJoin { index, key, cols }, Vec::new()));
                }
                other => {
                    let op = self.op(other, &mut bound);
                    match joins.last_mut() {
                        Some((_, after)) => after.push(op),
                        None => ops.push(op),
                    }
                }
            }
        }
        RulePlan {
            rule: rule.id,
            head: rule.head,
            head_args: rule.head_args.clone(),
            source,
            ops,
            joins,
            why: Vec::new(),
        }
    }

    fn op(&mut self, step: Step, bound: &mut [bool]) -> Op {
        match step {
            Step::Lookup(a, access) => {
                let index = self.served[access];
                let order = &self.static_indices[index].order;
                let (key_cols, key, cols) = match_atom(a, order, bound);
                debug_assert!(serves(order, &key_cols), "{order:?} serves {key_cols:?}");
                Op::Lookup { index, key, cols }
            }
            Step::Absent(a, access) => {
                let index = self.served[access];
                let (_, key, _) = match_atom(a, &self.static_indices[index].order, &mut bound.to_vec());
                Op::Absent { index, key }
            }
            Step::Intersect(var, parts) => {
                let leapers = parts
                    .into_iter()
                    .map(|(a, access)| {
                        let index = self.served[access];
                        let (_, key, _) = match_atom(a, &self.static_indices[index].order, &mut bound.to_vec());
                        Leaper { index, key }
                    })
                    .collect();
                bound[var] = true;
                Op::Intersect { var, leapers }
            }
            Step::Plain(lit) => match lit {
                Lit::Filter { op, lhs, rhs, ty, .. } => {
                    Op::Filter { op: *op, lhs: lhs.clone(), rhs: rhs.clone(), ty: *ty }
                }
                Lit::Assign { var, expr, .. } => {
                    bound[*var] = true;
                    Op::Assign { var: *var, expr: expr.clone() }
                }
                Lit::Range { var, ty, from, to, step, .. } => {
                    bound[*var] = true;
                    Op::Range { var: *var, ty: *ty, from: from.clone(), to: to.clone(), step: step.clone() }
                }
                _ => unreachable!("atoms, negations and aggregates have their own steps"),
            },
            Step::Aggregate(Lit::Aggregate { var, func, target, ty, key, span, .. }, steps) => {
                let mut inner = bound.to_vec();
                let ops = steps.into_iter().map(|s| self.op(s, &mut inner)).collect();
                bound[*var] = true;
                let (target, ty, key) = (target.clone(), *ty, key.clone());
                Op::Aggregate { var: *var, func: *func, target, ty, key, ops, span: *span }
            }
            Step::Aggregate(..) | Step::Source(..) | Step::Join(..) => unreachable!("placed by `rule`"),
        }
    }
}

/// Column actions for scanning every tuple of `atom` (nothing is keyed).
fn scan_cols(atom: &ir::Atom, bound: &mut [bool]) -> Vec<ColAction> {
    atom.args
        .iter()
        .map(|arg| match *arg {
            Arg::Wildcard => ColAction::Skip,
            Arg::Const(c) => ColAction::Const(c),
            Arg::Var(v) if bound[v] => ColAction::Check(v),
            Arg::Var(v) => {
                bound[v] = true;
                ColAction::Bind(v)
            }
        })
        .collect()
}

/// Key and column actions for matching `atom` through an index whose columns are in
/// `order`, with `bound` variables known: constants and bound variables (as bound before
/// the atom) form the key, in `order`; each other column, in `order`, binds or checks.
/// Also returns the key's columns in the atom. A static index's order puts the key first
/// (`engine::select` chose it so); a semi-naive join keys its re-keyed copy by any columns.
fn match_atom(atom: &ir::Atom, order: &[usize], bound: &mut [bool]) -> (Vec<usize>, Vec<KeyPart>, Vec<ColAction>) {
    let keyed: Vec<Option<KeyPart>> = atom
        .args
        .iter()
        .map(|arg| match *arg {
            Arg::Const(c) => Some(KeyPart::Const(c)),
            Arg::Var(v) if bound[v] => Some(KeyPart::Var(v)),
            _ => None,
        })
        .collect();
    let key_cols: Vec<usize> = order.iter().copied().filter(|&c| keyed[c].is_some()).collect();
    let key = key_cols.iter().filter_map(|&c| keyed[c]).collect();
    let cols = order
        .iter()
        .map(|&c| match atom.args[c] {
            _ if keyed[c].is_some() => ColAction::Skip,
            Arg::Wildcard => ColAction::Skip,
            Arg::Const(k) => ColAction::Const(k),
            Arg::Var(v) if bound[v] => ColAction::Check(v),
            Arg::Var(v) => {
                bound[v] = true;
                ColAction::Bind(v)
            }
        })
        .collect();
    (key_cols, key, cols)
}

/// Whether `order` starts with the key's columns, so a prefix lookup finds them.
fn serves(order: &[usize], key_cols: &[usize]) -> bool {
    order[..key_cols.len()] == *key_cols
}

/// A readable dump of the plan (`stance infer --explain-plan`): the sizes it was chosen
/// with, each stratum's indices and the accesses each serves, and each rule's Datalog text
/// above the order chosen (with its estimates) and the operations that implement it.
pub fn describe(plan: &Plan, program: &ir::Program, sources: &crate::base::source::SourceMap) -> String {
    let rel = |r: RelId| program.shown_name(r);
    // An index as a lookup uses it: the columns its key binds.
    let idx = |list: &[IndexSpec], i: usize, len: usize| {
        let s = &list[i];
        format!("{}[by {:?}]", rel(s.rel), &s.order[..len])
    };
    let mut out = String::new();
    let _ = writeln!(out, "tuple width: {}, environment width: {}", plan.row_width, plan.env_width);
    for (n, s) in plan.strata.iter().enumerate() {
        let names: Vec<String> = s.relations.iter().map(|&r| rel(r).into_owned()).collect();
        let _ = writeln!(out, "\nstratum {n}: {}{}", names.join(", "), if s.recursive { " (recursive)" } else { "" });
        for (i, spec) in s.static_indices.iter().enumerate() {
            let st = plan.stats.of(spec.rel, program.relations[spec.rel].arity());
            let sigs: Vec<String> = s.serves[i]
                .iter()
                .map(|(cols, next)| match next {
                    Some(j) => format!("{cols:?} then {j}"),
                    None => format!("{cols:?}"),
                })
                .collect();
            let _ = writeln!(
                out,
                "  index {}{:?} serves {}; {} rows, distinct {:?}{}",
                rel(spec.rel),
                spec.order,
                sigs.join(", "),
                st.rows,
                st.distinct,
                if st.measured { "" } else { " (guessed)" }
            );
        }
        for rp in &s.rules {
            let rule = &program.rules[rp.rule];
            let text = sources.one_line(rule.span);
            let _ = writeln!(out, "  // {}  [{}]", text, sources.file_line(rule.span));
            for w in &rp.why {
                let _ = writeln!(out, "    # {w}");
            }
            let vars = |v: VarId| rule.var_names[v].clone();
            let src = match &rp.source {
                Source::Unit => "unit".to_string(),
                Source::Static { rel: r, cols } => format!("scan {} {}", rel(*r), cols_text(cols, &vars)),
                Source::Dynamic { rel: r, cols } => format!("new tuples of {} {}", rel(*r), cols_text(cols, &vars)),
            };
            let _ = writeln!(out, "    source: {src}");
            ops_text(&rp.ops, &s.static_indices, &idx, &vars, 4, &mut out);
            for (j, after) in &rp.joins {
                let spec = &s.dyn_indices[j.index];
                let _ = writeln!(
                    out,
                    "    semi-naive join with {}[by {:?}] on {} {}",
                    rel(spec.rel),
                    spec.key_cols,
                    key_text(&j.key, &vars),
                    cols_text(&j.cols, &vars)
                );
                ops_text(after, &s.static_indices, &idx, &vars, 4, &mut out);
            }
            if rp.as_extension().is_some() {
                let _ = writeln!(out, "    (runs as a datafrog leapjoin: extend_with)");
            }
            let _ = writeln!(out, "    insert into {}", rel(rp.head));
        }
    }
    out
}

/// Column actions given in an index's order, put back in the atom's.
fn written_order(cols: &[ColAction], order: &[usize]) -> Vec<ColAction> {
    let mut out = vec![ColAction::Skip; cols.len()];
    for (c, &o) in cols.iter().zip(order) {
        out[o] = *c;
    }
    out
}

fn cols_text(cols: &[ColAction], vars: &dyn Fn(VarId) -> String) -> String {
    let parts: Vec<String> = cols
        .iter()
        .map(|c| match c {
            ColAction::Skip => "_".into(),
            ColAction::Bind(v) => vars(*v),
            ColAction::Check(v) => format!("={}", vars(*v)),
            ColAction::Const(c) => format!("={c}"),
        })
        .collect();
    format!("({})", parts.join(", "))
}

fn key_text(key: &[KeyPart], vars: &dyn Fn(VarId) -> String) -> String {
    let parts: Vec<String> = key
        .iter()
        .map(|k| match k {
            KeyPart::Var(v) => vars(*v),
            KeyPart::Const(c) => format!("#{c}"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn ops_text(
    ops: &[Op],
    statics: &[IndexSpec],
    idx: &dyn Fn(&[IndexSpec], usize, usize) -> String,
    vars: &dyn Fn(VarId) -> String,
    indent: usize,
    out: &mut String,
) {
    let pad = " ".repeat(indent);
    for op in ops {
        let _ = match op {
            Op::Lookup { index, key, cols } => {
                writeln!(
                    out,
                    "{pad}lookup {} on {} {}",
                    idx(statics, *index, key.len()),
                    key_text(key, vars),
                    cols_text(&written_order(cols, &statics[*index].order), vars)
                )
            }
            Op::Absent { index, key } => {
                writeln!(out, "{pad}absent from {} on {}", idx(statics, *index, key.len()), key_text(key, vars))
            }
            Op::Intersect { var, leapers } => {
                let parts: Vec<String> = leapers
                    .iter()
                    .map(|l| format!("{} on {}", idx(statics, l.index, l.key.len()), key_text(&l.key, vars)))
                    .collect();
                writeln!(out, "{pad}intersect into {}: {}", vars(*var), parts.join(" ∩ "))
            }
            Op::Filter { op, .. } => writeln!(out, "{pad}filter {op:?}"),
            Op::Assign { var, .. } => writeln!(out, "{pad}assign {}", vars(*var)),
            Op::Range { var, .. } => writeln!(out, "{pad}range into {}", vars(*var)),
            Op::Aggregate { var, func, ops, .. } => {
                let _ = writeln!(out, "{pad}aggregate {func:?} into {}", vars(*var));
                ops_text(ops, statics, idx, vars, indent + 2, out);
                Ok(())
            }
        };
    }
}
