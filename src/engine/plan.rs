//! Join plans: how each rule of a stratum runs on datafrog.
//!
//! A rule becomes a *source* (its first body atom, or a single empty row), followed by
//! operations applied row by row to an environment of bound variables. Atoms of lower
//! strata are complete relations: they become index lookups (a leapjoin-style probe, with no
//! copy of the environment). Atoms of the rule's own stratum change while the fixpoint runs:
//! the environment built so far is materialised into a datafrog `Variable` keyed by the join
//! columns and joined semi-naively with a re-keyed copy of the atom's relation.

use crate::base::source::Span;
use crate::base::value::{Type, Value};
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

/// A relation sorted by some of its columns, for lookups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexSpec {
    /// The relation.
    pub rel: RelId,
    /// The key columns, in key order: a lookup key is the tuple projected on them.
    pub key_cols: Vec<usize>,
}

/// One step applied to each environment of bound variables, in body order. Each step is a
/// body literal; the Datalog it implements is written above it, with `env` for the variables
/// bound so far.
#[derive(Debug, Clone)]
pub enum Op {
    /// `r(args)` where `r` is complete (a lower stratum): for each tuple of `r` whose `key`
    /// columns equal the bound arguments, apply `cols` (bind, check) and continue.
    Lookup {
        /// Into [`StratumPlan::static_indices`]: `r` sorted by the key columns.
        index: usize,
        /// The bound arguments, in the index's key order.
        key: Vec<KeyPart>,
        /// What each column of a matched tuple does to `env`.
        cols: Vec<ColAction>,
    },
    /// `!r(args)` with every argument bound (or `_`): continue only if no tuple of `r`
    /// matches the key.
    Absent {
        /// Into [`StratumPlan::static_indices`]: `r` sorted by the bound columns.
        index: usize,
        /// The bound arguments; wildcard columns are not part of the key.
        key: Vec<KeyPart>,
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
        /// First number.
        from: Expr,
        /// Bound, exclusive.
        to: Expr,
        /// Step; 1 or -1 by direction when absent.
        step: Option<Expr>,
    },
    /// `var = func target : { body }`: run `ops` (the body) from a copy of `env`, fold
    /// `target` over every solution, bind `var` to the result and continue once.
    Aggregate {
        /// The variable bound to the result.
        var: VarId,
        /// `count`, `sum`, `min`, `max`, `mean`.
        func: AggregateFunc,
        /// The aggregated expression (`None` for `count`).
        target: Option<Expr>,
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
    /// Each head column: a column of the source tuple or of the matched one.
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
    /// Complete relations of lower strata, sorted by key columns, for lookups.
    pub static_indices: Vec<IndexSpec>,
    /// Relations of this stratum, re-keyed for joins.
    pub dyn_indices: Vec<IndexSpec>,
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
}

/// Plans the evaluation of a checked program: one [`StratumPlan`] per stratum.
pub fn plan(program: &ir::Program) -> Plan {
    let row_width = program.relations.iter().map(|r| r.arity()).max().unwrap_or(0);
    let mut env_width = 0;
    let mut strata = Vec::new();
    for stratum in &program.strata {
        let mut sp = StratumPlan {
            relations: stratum.relations.clone(),
            recursive: stratum.recursive,
            rules: Vec::new(),
            static_indices: Vec::new(),
            dyn_indices: Vec::new(),
        };
        for &rid in &stratum.rules {
            let rule = &program.rules[rid];
            env_width = env_width.max(rule.num_vars());
            let rp = plan_rule(rule, &stratum.relations, &mut sp);
            sp.rules.push(rp);
        }
        strata.push(sp);
    }
    Plan { strata, row_width, env_width }
}

fn intern_index(list: &mut Vec<IndexSpec>, spec: IndexSpec) -> usize {
    if let Some(i) = list.iter().position(|s| *s == spec) {
        return i;
    }
    list.push(spec);
    list.len() - 1
}

/// Column actions and key for matching `atom` when `bound` variables are already known.
/// With `keyed`, constants and bound variables go into the key; otherwise they are checked.
fn match_atom(atom: &ir::Atom, bound: &mut [bool], keyed: bool) -> (Vec<usize>, Vec<KeyPart>, Vec<ColAction>) {
    let mut key_cols = Vec::new();
    let mut key = Vec::new();
    let mut cols = Vec::new();
    for (i, arg) in atom.args.iter().enumerate() {
        match *arg {
            Arg::Wildcard => cols.push(ColAction::Skip),
            Arg::Const(c) if keyed => {
                key_cols.push(i);
                key.push(KeyPart::Const(c));
                cols.push(ColAction::Skip);
            }
            Arg::Const(c) => cols.push(ColAction::Const(c)),
            Arg::Var(v) if bound[v] && keyed && !cols.contains(&ColAction::Bind(v)) => {
                key_cols.push(i);
                key.push(KeyPart::Var(v));
                cols.push(ColAction::Skip);
            }
            Arg::Var(v) if bound[v] => cols.push(ColAction::Check(v)),
            Arg::Var(v) => {
                bound[v] = true;
                cols.push(ColAction::Bind(v));
            }
        }
    }
    (key_cols, key, cols)
}

fn plan_rule(rule: &ir::Rule, stratum: &[RelId], sp: &mut StratumPlan) -> RulePlan {
    let mut bound = vec![false; rule.num_vars()];
    let mut body = rule.body.iter().peekable();
    let source = match body.peek() {
        Some(Lit::Atom(a)) => {
            body.next();
            let (_, _, cols) = match_atom(a, &mut bound, false);
            if stratum.contains(&a.rel) {
                Source::Dynamic { rel: a.rel, cols }
            } else {
                Source::Static { rel: a.rel, cols }
            }
        }
        _ => Source::Unit,
    };
    let mut ops = Vec::new();
    let mut joins: Vec<(DynJoin, Vec<Op>)> = Vec::new();
    for lit in body {
        if let Lit::Atom(a) = lit
            && stratum.contains(&a.rel)
        {
            let (key_cols, key, cols) = match_atom(a, &mut bound, true);
            let index = intern_index(&mut sp.dyn_indices, IndexSpec { rel: a.rel, key_cols });
            joins.push((DynJoin { index, key, cols }, Vec::new()));
            continue;
        }
        let op = plan_lit(lit, &mut bound, sp);
        match joins.last_mut() {
            Some((_, after)) => after.push(op),
            None => ops.push(op),
        }
    }
    RulePlan { rule: rule.id, head: rule.head, head_args: rule.head_args.clone(), source, ops, joins }
}

/// Plans a literal over complete relations (outside the stratum, or inside an aggregate).
fn plan_lit(lit: &Lit, bound: &mut [bool], sp: &mut StratumPlan) -> Op {
    match lit {
        Lit::Atom(a) => {
            let (key_cols, key, cols) = match_atom(a, bound, true);
            let index = intern_index(&mut sp.static_indices, IndexSpec { rel: a.rel, key_cols });
            Op::Lookup { index, key, cols }
        }
        Lit::Negated(a) => {
            let (key_cols, key, _) = match_atom(a, &mut bound.to_vec(), true);
            let index = intern_index(&mut sp.static_indices, IndexSpec { rel: a.rel, key_cols });
            Op::Absent { index, key }
        }
        Lit::Filter { op, lhs, rhs, ty, .. } => Op::Filter { op: *op, lhs: lhs.clone(), rhs: rhs.clone(), ty: *ty },
        Lit::Assign { var, expr, .. } => {
            bound[*var] = true;
            Op::Assign { var: *var, expr: expr.clone() }
        }
        Lit::Range { var, from, to, step, .. } => {
            bound[*var] = true;
            Op::Range { var: *var, from: from.clone(), to: to.clone(), step: step.clone() }
        }
        Lit::Aggregate { var, func, target, body, span } => {
            let mut inner_bound = bound.to_vec();
            let ops = body.iter().map(|l| plan_lit(l, &mut inner_bound, sp)).collect();
            bound[*var] = true;
            Op::Aggregate { var: *var, func: *func, target: target.clone(), ops, span: *span }
        }
    }
}

/// A readable dump of the plan (`stance infer --explain-plan`): each rule's Datalog text
/// above the operations that implement it.
pub fn describe(plan: &Plan, program: &ir::Program, sources: &crate::base::source::SourceMap) -> String {
    let rel = |r: RelId| program.shown_name(r);
    let idx = |list: &[IndexSpec], i: usize| {
        let s = &list[i];
        format!("{}[by {:?}]", rel(s.rel), s.key_cols)
    };
    let mut out = String::new();
    let _ = writeln!(out, "tuple width: {}, environment width: {}", plan.row_width, plan.env_width);
    for (n, s) in plan.strata.iter().enumerate() {
        let names: Vec<String> = s.relations.iter().map(|&r| rel(r).into_owned()).collect();
        let _ = writeln!(out, "\nstratum {n}: {}{}", names.join(", "), if s.recursive { " (recursive)" } else { "" });
        for rp in &s.rules {
            let rule = &program.rules[rp.rule];
            let text = sources.snippet(rule.span).split_whitespace().collect::<Vec<_>>().join(" ");
            let _ = writeln!(out, "  // {}  [{}]", text, sources.file_line(rule.span));
            let vars = |v: VarId| rule.var_names[v].clone();
            let src = match &rp.source {
                Source::Unit => "unit".to_string(),
                Source::Static { rel: r, cols } => format!("scan {} {}", rel(*r), cols_text(cols, &vars)),
                Source::Dynamic { rel: r, cols } => format!("new tuples of {} {}", rel(*r), cols_text(cols, &vars)),
            };
            let _ = writeln!(out, "    source: {src}");
            ops_text(&rp.ops, &s.static_indices, &idx, &vars, 4, &mut out);
            for (j, after) in &rp.joins {
                let _ = writeln!(
                    out,
                    "    semi-naive join with {} on {} {}",
                    idx(&s.dyn_indices, j.index),
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
    idx: &dyn Fn(&[IndexSpec], usize) -> String,
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
                    idx(statics, *index),
                    key_text(key, vars),
                    cols_text(cols, vars)
                )
            }
            Op::Absent { index, key } => {
                writeln!(out, "{pad}absent from {} on {}", idx(statics, *index), key_text(key, vars))
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
