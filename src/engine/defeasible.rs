//! Defeasible logic (Antoniou, Billington, Governatori, Maher 2001, "Representation results
//! for defeasible logic"), with ambiguity blocking and ambiguity propagation (Antoniou et al.
//! 2000, "A flexible framework for defeasible logics"; Governatori et al. 2004).
//!
//! **Grounding on datafrog.** Each rule `h :- b1, ..., bn` (strict, defeasible or defeater)
//! gets an instance relation over its variables, `$instR(vars) :- b1, ..., bn.`, evaluated
//! by the ordinary engine over the *support* program: every strict and defeasible rule read
//! as strict (defeaters conclude nothing). Its model over-approximates every conclusion,
//! and each instance tuple is one ground rule whose body may hold. Negation and aggregates
//! read only relations no defeasible rule reaches (`lang::defeasible`), which that model
//! computes exactly, so they are resolved during grounding.
//!
//! **The proof conditions** then run over the ground theory, round by round, each round
//! reading only the conclusions of earlier rounds (so a conclusion's supporting rule has
//! premises concluded before it, the engine's provenance contract). Writing `R[q]` for the
//! rules for `q`, `Rsd[q]` for its strict and defeasible ones, `~q` for the complement:
//!
//! ```text
//! +Δq: q is a strict fact, or some strict r ∈ R[q] has every body literal +Δ.
//! +∂q: +Δq, or  ¬+Δ~q,  some r ∈ Rsd[q] is applicable (body all +∂),  and every
//!      s ∈ R[~q] is discarded (blocking: a body literal -∂; propagating: a body literal
//!      -Σ) or beaten (some applicable t ∈ Rsd[q] with t > s).
//! -∂q: ¬+Δq and (+Δ~q, or every r ∈ Rsd[q] has a body literal -∂, or some s ∈ R[~q]
//!      is active (blocking: applicable; propagating: body all +Σ) and every t ∈ Rsd[q]
//!      has a body literal -∂ or does not beat s).
//! +Σq: +Δq, or some r ∈ Rsd[q] has body all +Σ and no applicable s ∈ R[~q] beats r.
//! -Σq: ¬+Δq and every r ∈ Rsd[q] has a body literal -Σ or is beaten by an applicable
//!      s ∈ R[~q] with s > r.
//! ```
//!
//! `-Δ` is the failure of `+Δ` in the least model (a strict loop fails). The conditions are
//! monotone, so the rounds reach the least fixpoint; a literal in a defeasible loop may be
//! neither `+∂` nor `-∂`. Each literal ends in one [`Status`]: definite (`+Δ`), defeasible
//! (`+∂`), not (refuted: every argument for it lacks support or is defeated by a superior
//! applicable attack or by an applicable defeater it is not superior to, or its complement
//! is definite), or undecided (supported, but not proved: ambiguous, blocked or looping).
//!
//! **Superiority** is `.prefer r2 > r1` between rules, and under `.prefer by grade` /
//! `.prefer by date` between statement rows, which are then defeasible facts: the row
//! graded better on both scales (or, failing that, dated later) beats the other.

use crate::base::diag::{Code, Diagnostic};
use crate::base::value::{Symbols, Tuples, Value};
use crate::engine::eval::{self, Annotation, EvalOptions, INPUT, Model};
use crate::engine::plan;
use crate::facts::asof::Period;
use crate::facts::grade::Grade;
use crate::lang::ir::{self, Arg, Expr, Lit, RelId, RuleId};
use crate::lang::syntax::ast::RuleKind;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// How ambiguity is treated (`--defeasible`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// An attack whose premises are not proved does not count (the standard logic).
    #[default]
    Blocking,
    /// An attack whose premises are merely supported counts: ambiguity propagates.
    Propagating,
}

impl Policy {
    /// The name `--defeasible` takes.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Blocking => "blocking",
            Policy::Propagating => "propagating",
        }
    }
}

/// A statement row read as a defeasible fact (under `.prefer by grade` or `by date`).
#[derive(Debug, Clone)]
pub struct Row {
    /// The relation it states.
    pub rel: RelId,
    /// The tuple it states.
    pub tuple: Vec<Value>,
    /// Its fact id (`facts::load::Facts::origin`).
    pub fact: u32,
    /// Its grade, if any.
    pub grade: Option<Grade>,
    /// Its `date` cell, if any, as written.
    pub date: Option<String>,
    /// Its `date` as a period (`None` when absent or not a date): under `.prefer by date`, a
    /// row beats another whose period ends before its own begins ([`Period::after`]).
    pub period: Option<Period>,
}

/// What a literal is, in the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Definitely provable (`+Δ`): by strict rules from strict facts.
    Definite,
    /// Defeasibly provable (`+∂`) and not definite.
    Defeasible,
    /// Supported by an argument no superior one defeats, yet not provable: ambiguous,
    /// blocked, or in a loop.
    Undecided,
    /// Not provable: every argument for it is missing or defeated by a superior one, or its
    /// complement is definite.
    Not,
}

impl Status {
    /// The status as a word: `definitely`, `defeasibly`, `undecided`, `not`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Definite => "definitely",
            Status::Defeasible => "defeasibly",
            Status::Undecided => "undecided",
            Status::Not => "not",
        }
    }
}

/// What concludes a ground rule's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An instance of this rule.
    Rule(RuleId),
    /// This statement row (index into [`Conclusions::rows`]).
    Row(usize),
    /// A strict input tuple (a relation table row, a rule-file fact, a strict statement row).
    Input,
}

/// One ground rule.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Where it comes from.
    pub source: Source,
    /// Strict, defeasible or defeater.
    pub kind: RuleKind,
    /// The literal it concludes.
    pub head: u32,
    /// Its premises.
    pub body: Vec<u32>,
}

/// The ground theory and every literal's status.
#[derive(Debug, Clone, Default)]
pub struct Conclusions {
    /// The policy they were computed under.
    pub policy: Policy,
    /// Every ground literal: relation and tuple.
    pub atoms: Vec<(RelId, Vec<Value>)>,
    /// Per relation, each literal's number by its tuple (looked up by slice, no copy).
    index: Vec<FxHashMap<Vec<Value>, u32>>,
    /// Each literal's status.
    pub status: Vec<Status>,
    /// Every ground rule.
    pub instances: Vec<Instance>,
    /// The instances concluding each literal.
    by_head: Vec<Vec<u32>>,
    /// Each literal's complement, when it is a literal of the theory.
    complement: Vec<Option<u32>>,
    /// The statement rows read as defeasible facts.
    pub rows: Vec<Row>,
    superior: FxHashSet<(RuleId, RuleId)>,
    by_grade: bool,
    by_date: bool,
    /// Per instance with attackers, under `.prefer by specificity`: the literals its body
    /// implies through strict rules.
    closures: FxHashMap<u32, FxHashSet<u32>>,
    /// The derived state per literal: +Δ, +∂, -∂, +Σ, -Σ, refuted.
    state: Vec<[bool; 6]>,
}

const DELTA: usize = 0;
const PLUS: usize = 1;
const MINUS: usize = 2;
const SUPPORT: usize = 3;
const UNSUPPORTED: usize = 4;
const REFUTED: usize = 5;

/// Why an attack on a conclusion failed, or what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A premise is not provable (`-∂`), or, propagating, not even supported.
    Blocked(u32),
    /// A superior applicable rule or row for the conclusion beats it.
    Defeated(u32),
    /// It stands: its premises hold and nothing beats it.
    Stands,
}

impl Conclusions {
    /// The literal of `rel` and `tuple`, if the theory has it.
    pub fn atom(&self, rel: RelId, tuple: &[Value]) -> Option<u32> {
        self.index.get(rel)?.get(tuple).copied()
    }

    /// The instances concluding literal `a`.
    pub fn rules_for(&self, a: u32) -> &[u32] {
        &self.by_head[a as usize]
    }

    /// The instances concluding the complement of `a` (its attackers).
    pub fn attackers(&self, a: u32) -> &[u32] {
        self.complement[a as usize].map_or(&[], |c| &self.by_head[c as usize])
    }

    /// The complement of `a`, when the theory has it.
    pub fn complement_of(&self, a: u32) -> Option<u32> {
        self.complement[a as usize]
    }

    /// Whether instance `t` is superior to instance `s`: by `.prefer` between their rules,
    /// else, under `.prefer by specificity`, when `t` is more specific; between rows, by
    /// grade, then date.
    pub fn beats(&self, ti: u32, si: u32) -> bool {
        let (t, s) = (&self.instances[ti as usize], &self.instances[si as usize]);
        match (t.source, s.source) {
            (Source::Rule(a), Source::Rule(b)) => {
                if self.superior.contains(&(a, b)) {
                    return true;
                }
                !self.superior.contains(&(b, a)) && self.more_specific(ti, si)
            }
            (Source::Row(a), Source::Row(b)) => {
                let (a, b) = (&self.rows[a], &self.rows[b]);
                if self.by_grade
                    && let (Some(x), Some(y)) = (a.grade, b.grade)
                    && x != y
                    && (x.at_least(y) || y.at_least(x))
                {
                    return x.at_least(y);
                }
                self.by_date && matches!((a.period, b.period), (Some(x), Some(y)) if x.after(y))
            }
            _ => false,
        }
    }

    /// Whether instance `t` is more specific than `s`: `s`'s body follows from `t`'s by
    /// strict rules, and not the reverse. Strict rules are never compared (a strict
    /// conclusion is definite, not a winner).
    fn more_specific(&self, t: u32, s: u32) -> bool {
        let strict = |i: u32| self.instances[i as usize].kind == RuleKind::Strict;
        if strict(t) || strict(s) {
            return false;
        }
        let (Some(ct), Some(cs)) = (self.closures.get(&t), self.closures.get(&s)) else { return false };
        let (bt, bs) = (&self.instances[t as usize].body, &self.instances[s as usize].body);
        bs.iter().all(|b| ct.contains(b)) && !bt.iter().all(|b| cs.contains(b))
    }

    /// What became of attack `s` on literal `a` (whose complement `s` concludes).
    pub fn outcome(&self, a: u32, s: u32) -> Outcome {
        let minus = if self.policy == Policy::Blocking { MINUS } else { UNSUPPORTED };
        if let Some(&b) = self.instances[s as usize].body.iter().find(|&&b| self.state[b as usize][minus]) {
            return Outcome::Blocked(b);
        }
        let winner = self.rules_for(a).iter().copied().find(|&t| self.applicable(t) && self.beats(t, s));
        winner.map_or(Outcome::Stands, Outcome::Defeated)
    }

    /// Whether every premise of instance `i` is defeasibly provable.
    pub fn applicable(&self, i: u32) -> bool {
        self.instances[i as usize].body.iter().all(|&b| self.state[b as usize][PLUS])
    }
}

/// Evaluates a defeasible program: grounds it on datafrog, runs the proof conditions, and
/// returns the model of the defeasibly provable tuples (annotated when recording) with the
/// conclusions attached.
pub fn evaluate(
    program: &ir::Program,
    inputs: Vec<Tuples>,
    rows: Vec<Row>,
    symbols: &mut Symbols,
    options: &EvalOptions,
) -> Result<Model, Diagnostic> {
    if rows.is_empty() && strict_only(program) {
        return least_model(program, inputs, symbols, options);
    }
    let (support, groundings) = support_program(program);
    let plan = plan::plan(&support);
    let mut support_inputs = inputs.clone();
    support_inputs.resize_with(support.relations.len(), Tuples::default);
    for (rel, tuples) in support_inputs.iter_mut().enumerate() {
        tuples.arity = support.relations[rel].arity();
    }
    let ground_options = EvalOptions { record: false, ..options.clone() };
    let model = eval::evaluate(&support, &plan, support_inputs, symbols, &ground_options)?;
    let mut c = Conclusions {
        policy: options.defeasible,
        superior: program.defeasible.superior.iter().copied().collect(),
        by_grade: program.defeasible.by_grade,
        by_date: program.defeasible.by_date,
        ..Default::default()
    };
    ground_inputs(&mut c, program, &inputs, rows);
    for g in &groundings {
        ground_rule(&mut c, program, g, &model.relations[g.relation], symbols)?;
    }
    for a in 0..c.atoms.len() {
        let (rel, tuple) = &c.atoms[a];
        let comp = program.complement(*rel).and_then(|r| c.atom(r, tuple));
        c.complement.push(comp);
    }
    if program.defeasible.by_specificity {
        specificity_closures(&mut c);
    }
    let rounds = solve(&mut c);
    Ok(conclusions_model(program, c, &rounds, options.record))
}

/// Whether every rule is strict and no relation is a complement (`~p`): the theory then has
/// no conflict, and its definite conclusions are the least model.
fn strict_only(program: &ir::Program) -> bool {
    program.rules.iter().all(|r| program.defeasible.kind(r.id) == RuleKind::Strict)
        && program.relations.iter().all(|r| !r.name.starts_with('~'))
}

/// A theory of strict rules, without grounding: every tuple of the least model (computed by
/// the ordinary engine, provenance and all) is `+Δ`. The only other literals of the theory
/// are those of a variable-free rule whose body does not hold (see [`ground_rule`]); they
/// get their ground rules and go through the proof conditions as usual.
fn least_model(
    program: &ir::Program,
    inputs: Vec<Tuples>,
    symbols: &mut Symbols,
    options: &EvalOptions,
) -> Result<Model, Diagnostic> {
    let mut strict = program.clone();
    strict.magic_transform.clear();
    let plan = plan::plan(&strict);
    let mut model = eval::evaluate(&strict, &plan, inputs, symbols, options)?;
    let mut c = Conclusions {
        policy: options.defeasible,
        superior: program.defeasible.superior.iter().copied().collect(),
        ..Default::default()
    };
    for (rel, tuples) in model.relations.iter().enumerate().take(program.relations.len()) {
        for tuple in tuples.iter() {
            intern(&mut c, rel, tuple);
        }
    }
    let definite = c.atoms.len();
    for rule in program.rules.iter().filter(|r| r.var_names.is_empty()) {
        let body: Vec<&ir::Atom> =
            rule.body.iter().filter_map(|l| if let Lit::Atom(a) = l { Some(a) } else { None }).collect();
        let wildcard = body.iter().any(|a| a.args.contains(&Arg::Wildcard));
        if wildcard
            || body.len() != rule.body.len()
            || body.iter().all(|a| c.atom(a.rel, &ground_args(&a.args, &[])).is_some_and(|x| (x as usize) < definite))
        {
            continue;
        }
        let head: Option<Vec<Value>> = rule.head_args.iter().map(|e| eval::evaluate_expr(e, &[], symbols)).collect();
        let head = head.ok_or_else(|| {
            Diagnostic::error(Code::Defeasible, "a head expression of a defeasible program cannot be evaluated")
                .at(rule.head_span, "this head")
        })?;
        let body = body.iter().map(|a| intern(&mut c, a.rel, &ground_args(&a.args, &[]))).collect();
        let head = intern(&mut c, rule.head, &head);
        add_instance(&mut c, Instance { source: Source::Rule(rule.id), kind: RuleKind::Strict, head, body });
    }
    c.complement = vec![None; c.atoms.len()];
    c.state = vec![[false; 6]; c.atoms.len()];
    for s in &mut c.state[..definite] {
        (s[DELTA], s[PLUS], s[SUPPORT]) = (true, true, true);
    }
    let uses = premise_uses(&c);
    let mut proved: Vec<Option<(u32, u32)>> = vec![None; c.atoms.len()];
    defeasible(&mut c, &uses, &mut proved, 0);
    c.status = statuses(&c);
    model.defeasible = Some(Arc::new(c));
    Ok(model)
}

/// An atom's tuple under `env` (`_` reads 0: grounding makes every `_` a variable first).
fn ground_args(args: &[Arg], env: &[Value]) -> Vec<Value> {
    args.iter()
        .map(|x| match x {
            Arg::Var(v) => env[*v],
            Arg::Const(k) => *k,
            Arg::Wildcard => 0,
        })
        .collect()
}

/// A rule prepared for grounding: `_` in its body atoms made variables, the instance
/// relation of the support program, and the variables its columns hold.
struct Grounding {
    rule: ir::Rule,
    relation: RelId,
    cols: Vec<usize>,
}

/// The strict consequences of the body of every rule instance in a conflict (Poole's
/// specificity): the closure of its premises under the strict rules (facts excluded).
fn specificity_closures(c: &mut Conclusions) {
    let mut strict_uses: Vec<Vec<u32>> = vec![Vec::new(); c.atoms.len()];
    for (i, inst) in c.instances.iter().enumerate() {
        if inst.kind == RuleKind::Strict && matches!(inst.source, Source::Rule(_)) {
            for &b in &inst.body {
                strict_uses[b as usize].push(i as u32);
            }
        }
    }
    for i in 0..c.instances.len() as u32 {
        let inst = &c.instances[i as usize];
        let contested = c.complement[inst.head as usize].is_some_and(|k| !c.by_head[k as usize].is_empty());
        if !matches!(inst.source, Source::Rule(_)) || !contested {
            continue;
        }
        let mut closure: FxHashSet<u32> = inst.body.iter().copied().collect();
        let mut stack: Vec<u32> = inst.body.clone();
        while let Some(x) = stack.pop() {
            for &j in &strict_uses[x as usize] {
                let strict = &c.instances[j as usize];
                if !closure.contains(&strict.head) && strict.body.iter().all(|b| closure.contains(b)) {
                    closure.insert(strict.head);
                    stack.push(strict.head);
                }
            }
        }
        c.closures.insert(i, closure);
    }
}

/// The support program: every rule but defeaters as it is, plus for every rule an instance
/// rule over its variables.
fn support_program(program: &ir::Program) -> (ir::Program, Vec<Grounding>) {
    let mut support = program.clone();
    support.rules.clear();
    support.magic_transform.clear();
    let mut groundings = Vec::new();
    let mut instance_rules = Vec::new();
    for rule in &program.rules {
        let mut rule = rule.clone();
        // `_` in a body atom becomes a variable: the ground rule names the tuple it used.
        for lit in &mut rule.body {
            if let Lit::Atom(a) = lit {
                for (col, arg) in a.args.iter_mut().enumerate() {
                    if *arg == Arg::Wildcard {
                        rule.var_names.push(format!("$_{}", rule.var_names.len()));
                        rule.var_types.push(program.relations[a.rel].types[col]);
                        *arg = Arg::Var(rule.var_names.len() - 1);
                    }
                }
            }
        }
        let cols = bound_variables(&rule.body);
        let relation = support.add_relation(ir::Relation {
            name: format!("$instance{}", rule.id),
            columns: cols.iter().map(|&v| rule.var_names[v].clone()).collect(),
            types: cols.iter().map(|&v| rule.var_types[v]).collect(),
            decl: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: false,
            from_statements: false,
        });
        // $instanceR(vars) :- body.
        instance_rules.push(ir::Rule {
            head: relation,
            head_args: cols.iter().map(|&v| Expr::Var(v)).collect(),
            display: None,
            is_fact: false,
            ..rule.clone()
        });
        if program.defeasible.kind(rule.id) != RuleKind::Defeater {
            support.rules.push(rule.clone());
        }
        groundings.push(Grounding { rule, relation, cols });
    }
    support.rules.extend(instance_rules);
    for (i, r) in support.rules.iter_mut().enumerate() {
        r.id = i;
    }
    support.strata = ir::stratify(support.relations.len(), &support.rules).unwrap_or_default();
    (support, groundings)
}

/// The variables a body binds at its own level (not those local to an aggregate).
fn bound_variables(body: &[Lit]) -> Vec<usize> {
    let mut cols: Vec<usize> = Vec::new();
    for lit in body {
        match lit {
            Lit::Atom(a) => {
                cols.extend(a.args.iter().filter_map(|x| if let Arg::Var(v) = x { Some(*v) } else { None }))
            }
            Lit::Assign { var, .. } | Lit::Range { var, .. } | Lit::Aggregate { var, .. } => cols.push(*var),
            Lit::Negated(_) | Lit::Filter { .. } => {}
        }
    }
    cols.sort_unstable();
    cols.dedup();
    cols
}

fn intern(c: &mut Conclusions, rel: RelId, tuple: &[Value]) -> u32 {
    if let Some(a) = c.atom(rel, tuple) {
        return a;
    }
    let a = c.atoms.len() as u32;
    c.atoms.push((rel, tuple.to_vec()));
    if c.index.len() <= rel {
        c.index.resize_with(rel + 1, FxHashMap::default);
    }
    c.index[rel].insert(tuple.to_vec(), a);
    c.by_head.push(Vec::new());
    a
}

fn add_instance(c: &mut Conclusions, instance: Instance) {
    let i = c.instances.len() as u32;
    c.by_head[instance.head as usize].push(i);
    c.instances.push(instance);
}

/// Input tuples: strict facts, except statement rows read as defeasible facts.
fn ground_inputs(c: &mut Conclusions, program: &ir::Program, inputs: &[Tuples], rows: Vec<Row>) {
    for (i, row) in rows.iter().enumerate() {
        let head = intern(c, row.rel, &row.tuple);
        add_instance(c, Instance { source: Source::Row(i), kind: RuleKind::Defeasible, head, body: Vec::new() });
    }
    c.rows = rows;
    for (rel, tuples) in inputs.iter().enumerate().take(program.relations.len()) {
        // A hidden relation (`engine::stratified`'s `$final:p`) is only read under negation.
        if program.relations[rel].name.starts_with('$') {
            continue;
        }
        for tuple in tuples.iter() {
            // A tuple stated by a row is that row's (defeasible) fact; given once is enough.
            let head = intern(c, rel, tuple);
            let stated = |i: &u32| matches!(c.instances[*i as usize].source, Source::Row(_) | Source::Input);
            if !c.by_head[head as usize].iter().any(stated) {
                add_instance(c, Instance { source: Source::Input, kind: RuleKind::Strict, head, body: Vec::new() });
            }
        }
    }
}

/// One ground rule per tuple of the rule's instance relation. A rule without variables whose
/// body is atoms only is a ground rule even when its body cannot hold: its head is then a
/// literal of the theory, refuted (`p :~ q.` with no `q`: `p` is not provable).
fn ground_rule(
    c: &mut Conclusions,
    program: &ir::Program,
    g: &Grounding,
    tuples: &Tuples,
    symbols: &mut Symbols,
) -> Result<(), Diagnostic> {
    let (rule, cols) = (&g.rule, &g.cols);
    let kind = program.defeasible.kind(rule.id);
    let mut env = vec![0 as Value; rule.var_names.len()];
    let ground = rule.var_names.is_empty() && rule.body.iter().all(|l| matches!(l, Lit::Atom(_)));
    let unsatisfied = Tuples { arity: 0, data: Vec::new(), rows: 1 };
    let tuples = if ground && tuples.is_empty() { &unsatisfied } else { tuples };
    for tuple in tuples.iter() {
        for (k, &v) in cols.iter().enumerate() {
            env[v] = tuple[k];
        }
        let mut head = Vec::with_capacity(rule.head_args.len());
        for e in &rule.head_args {
            let v = eval::evaluate_expr(e, &env, symbols).ok_or_else(|| {
                Diagnostic::error(Code::Defeasible, "a head expression of a defeasible program cannot be evaluated")
                    .at(rule.head_span, "this head")
            })?;
            head.push(v);
        }
        let mut body = Vec::new();
        for lit in &rule.body {
            if let Lit::Atom(a) = lit {
                body.push(intern(c, a.rel, &ground_args(&a.args, &env)));
            }
        }
        let head = intern(c, rule.head, &head);
        add_instance(c, Instance { source: Source::Rule(rule.id), kind, head, body });
    }
    Ok(())
}

/// Runs the proof conditions to their fixpoint; returns the round each literal became `+∂`
/// (or `+Δ`) and the instance it rests on.
fn solve(c: &mut Conclusions) -> Vec<Option<(u32, u32)>> {
    let n = c.atoms.len();
    c.state = vec![[false; 6]; n];
    let uses = premise_uses(c);
    let mut proved: Vec<Option<(u32, u32)>> = vec![None; n];
    let round = definite(c, &uses, &mut proved);
    defeasible(c, &uses, &mut proved, round);
    c.status = statuses(c);
    proved
}

/// The instances each literal is a premise of.
fn premise_uses(c: &Conclusions) -> Vec<Vec<u32>> {
    let mut uses: Vec<Vec<u32>> = vec![Vec::new(); c.atoms.len()];
    for (i, inst) in c.instances.iter().enumerate() {
        for &b in &inst.body {
            uses[b as usize].push(i as u32);
        }
    }
    uses
}

/// Each literal's status from its derived state.
fn statuses(c: &Conclusions) -> Vec<Status> {
    (0..c.atoms.len())
        .map(|a| {
            let s = c.state[a];
            let comp_definite = c.complement[a].is_some_and(|k| c.state[k as usize][DELTA]);
            if s[DELTA] {
                Status::Definite
            } else if s[PLUS] {
                Status::Defeasible
            } else if s[REFUTED] || comp_definite {
                Status::Not
            } else {
                Status::Undecided
            }
        })
        .collect()
}

/// +Δ, level by level (each instance counts its premises not yet definite, as in
/// Dowling and Gallier's linear Horn solver): a literal is definite in the round after its
/// last premise. Returns the last round.
fn definite(c: &mut Conclusions, uses: &[Vec<u32>], proved: &mut [Option<(u32, u32)>]) -> u32 {
    let strict = |i: usize| c.instances[i].kind == RuleKind::Strict;
    let mut missing: Vec<u32> = c.instances.iter().map(|i| i.body.len() as u32).collect();
    let mut ready: Vec<u32> =
        (0..c.instances.len()).filter(|&i| strict(i) && missing[i] == 0).map(|i| i as u32).collect();
    let mut round = 0;
    while !ready.is_empty() {
        round += 1;
        let mut next = Vec::new();
        for i in ready {
            let a = c.instances[i as usize].head as usize;
            if c.state[a][DELTA] {
                continue;
            }
            c.state[a][DELTA] = true;
            c.state[a][PLUS] = true;
            c.state[a][SUPPORT] = true;
            proved[a] = Some((round, i));
            for &j in &uses[a] {
                missing[j as usize] -= 1;
                if missing[j as usize] == 0 && c.instances[j as usize].kind == RuleKind::Strict {
                    next.push(j);
                }
            }
        }
        ready = next;
    }
    round
}

/// ∂ and Σ: every round reads the state of the rounds before it, and looks again only at
/// the literals whose conditions read a literal that changed (the heads of the instances it
/// is a premise of, and their complements, which those instances attack).
fn defeasible(c: &mut Conclusions, uses: &[Vec<u32>], proved: &mut [Option<(u32, u32)>], mut round: u32) {
    let n = c.atoms.len();
    let mut todo: Vec<u32> = (0..n as u32).collect();
    let mut queued = vec![false; n];
    while !todo.is_empty() {
        round += 1;
        let mut new: Vec<(u32, usize, Option<u32>)> = Vec::new();
        for &a in &todo {
            queued[a as usize] = false;
            let s = c.state[a as usize];
            if !s[PLUS]
                && let Some(r) = plus(c, a)
            {
                new.push((a, PLUS, Some(r)));
            }
            if !s[MINUS] && minus(c, a) {
                new.push((a, MINUS, None));
            }
            if !s[SUPPORT] && support(c, a) {
                new.push((a, SUPPORT, None));
            }
            if !s[UNSUPPORTED] && unsupported(c, a) {
                new.push((a, UNSUPPORTED, None));
            }
            if !s[REFUTED] && refuted(c, a) {
                new.push((a, REFUTED, None));
            }
        }
        todo = Vec::new();
        for (a, which, r) in new {
            c.state[a as usize][which] = true;
            if let Some(r) = r {
                proved[a as usize] = Some((round, r));
            }
            // Its own other conditions may follow (+∂ gives +Σ through the rule it rests on).
            let mut touched = vec![a];
            for &i in &uses[a as usize] {
                let h = c.instances[i as usize].head;
                touched.push(h);
                touched.extend(c.complement[h as usize]);
            }
            for t in touched {
                if !queued[t as usize] {
                    queued[t as usize] = true;
                    todo.push(t);
                }
            }
        }
    }
}

fn all(c: &Conclusions, i: u32, which: usize) -> bool {
    c.instances[i as usize].body.iter().all(|&b| c.state[b as usize][which])
}

fn any(c: &Conclusions, i: u32, which: usize) -> bool {
    c.instances[i as usize].body.iter().any(|&b| c.state[b as usize][which])
}

fn concludes(c: &Conclusions, i: u32) -> bool {
    c.instances[i as usize].kind != RuleKind::Defeater
}

fn complement_definite(c: &Conclusions, a: u32) -> bool {
    c.complement[a as usize].is_some_and(|k| c.state[k as usize][DELTA])
}

/// +∂a: the applicable instance it rests on, when every attack is discarded or beaten.
fn plus(c: &Conclusions, a: u32) -> Option<u32> {
    if complement_definite(c, a) {
        return None;
    }
    let rules = c.rules_for(a);
    let r = rules.iter().copied().find(|&r| concludes(c, r) && all(c, r, PLUS))?;
    let discarded = if c.policy == Policy::Blocking { MINUS } else { UNSUPPORTED };
    let ok = c
        .attackers(a)
        .iter()
        .all(|&s| any(c, s, discarded) || rules.iter().any(|&t| concludes(c, t) && all(c, t, PLUS) && c.beats(t, s)));
    ok.then_some(r)
}

/// -∂a.
fn minus(c: &Conclusions, a: u32) -> bool {
    if c.state[a as usize][DELTA] {
        return false;
    }
    if complement_definite(c, a) {
        return true;
    }
    let rules = c.rules_for(a);
    if rules.iter().all(|&r| !concludes(c, r) || any(c, r, MINUS)) {
        return true;
    }
    let active = if c.policy == Policy::Blocking { PLUS } else { SUPPORT };
    c.attackers(a)
        .iter()
        .any(|&s| all(c, s, active) && rules.iter().all(|&t| !concludes(c, t) || any(c, t, MINUS) || !c.beats(t, s)))
}

/// Whether attack `s` defeats rule `r` outright: `s` is superior, or `s` is a defeater that
/// `r` is not superior to (a defeater supports nothing, so it leaves no tie behind: what it
/// stops is not provable, not ambiguous).
fn defeats(c: &Conclusions, s: u32, r: u32) -> bool {
    c.beats(s, r) || (!concludes(c, s) && !c.beats(r, s))
}

/// +Σa: an argument for `a` that no applicable superior attack defeats.
fn support(c: &Conclusions, a: u32) -> bool {
    let attackers = c.attackers(a);
    c.rules_for(a).iter().any(|&r| {
        concludes(c, r) && all(c, r, SUPPORT) && attackers.iter().all(|&s| any(c, s, MINUS) || !c.beats(s, r))
    })
}

/// -Σa: every argument for `a` lacks support or is defeated by an applicable superior attack.
fn unsupported(c: &Conclusions, a: u32) -> bool {
    if c.state[a as usize][DELTA] {
        return false;
    }
    let attackers = c.attackers(a);
    c.rules_for(a).iter().all(|&r| {
        !concludes(c, r) || any(c, r, UNSUPPORTED) || attackers.iter().any(|&s| all(c, s, PLUS) && c.beats(s, r))
    })
}

/// Refuted (the `not` status): -Σ, except that an applicable defeater the rule is not
/// superior to defeats it outright.
fn refuted(c: &Conclusions, a: u32) -> bool {
    if c.state[a as usize][DELTA] {
        return false;
    }
    let attackers = c.attackers(a);
    c.rules_for(a).iter().all(|&r| {
        !concludes(c, r) || any(c, r, REFUTED) || attackers.iter().any(|&s| all(c, s, PLUS) && defeats(c, s, r))
    })
}

/// The model of the `+∂` tuples, annotated with the round each was proved in and the rule it
/// rests on, with the conclusions attached.
fn conclusions_model(program: &ir::Program, c: Conclusions, proved: &[Option<(u32, u32)>], record: bool) -> Model {
    let mut per_rel: Vec<Vec<(Vec<Value>, Annotation)>> = vec![Vec::new(); program.relations.len()];
    for (a, p) in proved.iter().enumerate() {
        let Some((round, i)) = *p else { continue };
        let (rel, tuple) = &c.atoms[a];
        let rule = match c.instances[i as usize].source {
            Source::Rule(r) => r as u32,
            Source::Row(_) | Source::Input => INPUT,
        };
        per_rel[*rel].push((tuple.clone(), Annotation { round, rule }));
    }
    let mut relations = Vec::with_capacity(per_rel.len());
    let mut annotations = Vec::with_capacity(per_rel.len());
    for (rel, mut tuples) in per_rel.into_iter().enumerate() {
        tuples.sort_unstable();
        let mut t = Tuples::new(program.relations[rel].arity());
        for (tuple, _) in &tuples {
            t.push(tuple);
        }
        relations.push(t);
        annotations.push(tuples.into_iter().map(|(_, a)| a).collect());
    }
    let mut model = Model::from_evaluator(program, relations, record.then_some(annotations));
    model.defeasible = Some(Arc::new(c));
    model
}
