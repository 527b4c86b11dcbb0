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
//! computes exactly, so they are resolved during grounding. A ground literal is numbered
//! by its place in that model's sorted relations ([`Literals`]), and the ground rules are
//! flat arrays ([`Csr`]): no per-literal key, no per-rule vector.
//!
//! **The proof conditions** then run over the ground theory, round by round, each round
//! reading only the conclusions of earlier rounds (so a conclusion's supporting rule has
//! premises concluded before it, the engine's provenance contract; what a round is:
//! `solve`). Writing `R[q]` for the
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

mod ground;
mod solve;

use crate::base::diag::Diagnostic;
use crate::base::value::{Symbols, Tuples, Value};
use crate::engine::eval::{self, Annotation, EvalOptions, INPUT, Model};
use crate::engine::plan;
use crate::facts::asof::Period;
use crate::facts::grade::Grade;
use crate::lang::ir::{self, RelId, RuleId};
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

/// One ground rule, as [`Conclusions::instance`] lends it.
#[derive(Debug, Clone, Copy)]
pub struct Instance<'c> {
    /// Where it comes from.
    pub source: Source,
    /// Strict, defeasible or defeater.
    pub kind: RuleKind,
    /// The literal it concludes.
    pub head: u32,
    /// Its premises.
    pub body: &'c [u32],
}

/// Lists of numbers by key in compressed sparse row form: the items of key `k` are
/// `items[start[k]..start[k + 1]]` (one allocation for all keys, not one per key).
#[derive(Debug, Clone)]
struct Csr {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Default for Csr {
    fn default() -> Csr {
        Csr { start: vec![0], items: Vec::new() }
    }
}

impl Csr {
    fn get(&self, k: usize) -> &[u32] {
        &self.items[self.start[k] as usize..self.start[k + 1] as usize]
    }

    /// Appends the list of the next key.
    fn push(&mut self, items: impl IntoIterator<Item = u32>) {
        self.items.extend(items);
        self.start.push(self.items.len() as u32);
    }

    /// The `(key, item)` pairs grouped by key, each key's items in the order given (a
    /// counting sort: two passes over `pairs`).
    fn group<I: Iterator<Item = (u32, u32)>>(keys: usize, pairs: impl Fn() -> I) -> Csr {
        let mut start = vec![0u32; keys + 1];
        for (k, _) in pairs() {
            start[k as usize + 1] += 1;
        }
        for k in 0..keys {
            start[k + 1] += start[k];
        }
        let mut next = start.clone();
        let mut items = vec![0u32; start[keys] as usize];
        for (k, item) in pairs() {
            items[next[k as usize] as usize] = item;
            next[k as usize] += 1;
        }
        Csr { start, items }
    }
}

/// The ground literals, numbered: literal `first[rel] + i` is tuple `i` of `rel` in the
/// sorted support model (found by binary search: no hashing, no copies); the few literals
/// outside that model (a defeater's head no rule supports, the premises and head of a
/// variable-free rule whose body fails) follow, in a hash map of their own.
#[derive(Debug, Clone, Default)]
struct Literals {
    tuples: Vec<Tuples>,
    first: Vec<u32>,
    extra: Vec<(RelId, Vec<Value>)>,
    extra_index: FxHashMap<(RelId, Vec<Value>), u32>,
}

impl Literals {
    /// The literals of `relations` (each sorted, without duplicates).
    fn new(relations: Vec<Tuples>) -> Literals {
        let mut first = Vec::with_capacity(relations.len() + 1);
        let mut n = 0u32;
        for t in &relations {
            first.push(n);
            n += t.len() as u32;
        }
        first.push(n);
        Literals { tuples: relations, first, ..Default::default() }
    }

    fn len(&self) -> usize {
        self.modelled() + self.extra.len()
    }

    /// How many literals the support model numbers (the others follow them).
    fn modelled(&self) -> usize {
        self.first.last().map_or(0, |&n| n as usize)
    }

    fn get(&self, a: u32) -> (RelId, &[Value]) {
        let base = self.modelled() as u32;
        if a >= base {
            let (rel, tuple) = &self.extra[(a - base) as usize];
            return (*rel, tuple);
        }
        let rel = self.first.partition_point(|&f| f <= a) - 1;
        (rel, self.tuples[rel].get((a - self.first[rel]) as usize))
    }

    fn find(&self, rel: RelId, tuple: &[Value]) -> Option<u32> {
        let mut hint = 0;
        self.find_from(rel, tuple, &mut hint)
    }

    /// [`Literals::find`], galloping forward from the position `hint` found last when the
    /// tuple sorts after it (grounding looks tuples up mostly in order); `hint` moves to
    /// the tuple found.
    fn find_from(&self, rel: RelId, tuple: &[Value], hint: &mut usize) -> Option<u32> {
        let Some(tuples) = self.tuples.get(rel) else {
            return self.extra_index.get(&(rel, tuple.to_vec())).copied();
        };
        let n = tuples.len();
        let (mut lo, mut hi) = (0, n);
        if *hint < n && tuples.get(*hint) <= tuple {
            let mut step = 1;
            lo = *hint;
            while lo + step < n && tuples.get(lo + step) < tuple {
                step *= 2;
            }
            hi = (lo + step + 1).min(n);
        }
        while lo < hi {
            let mid = (lo + hi) / 2;
            match tuples.get(mid).cmp(tuple) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    *hint = mid;
                    return Some(self.first[rel] + mid as u32);
                }
            }
        }
        if self.extra.is_empty() {
            return None;
        }
        self.extra_index.get(&(rel, tuple.to_vec())).copied()
    }

    /// The literal of `rel` and `tuple`, added after the others if the model lacks it.
    fn intern(&mut self, rel: RelId, tuple: &[Value], hint: &mut usize) -> u32 {
        if let Some(a) = self.find_from(rel, tuple, hint) {
            return a;
        }
        let a = self.len() as u32;
        self.extra.push((rel, tuple.to_vec()));
        self.extra_index.insert((rel, tuple.to_vec()), a);
        a
    }
}

/// The ground rules: statement rows first (instance `i` is row `i`), then given tuples,
/// then each rule's instances; bodies in one array ([`Csr`]).
#[derive(Debug, Clone, Default)]
struct Instances {
    /// The rule, or [`FROM_ROW`] / [`GIVEN`].
    source: Vec<u32>,
    kind: Vec<RuleKind>,
    head: Vec<u32>,
    body: Csr,
}

const FROM_ROW: u32 = u32::MAX - 1;
const GIVEN: u32 = u32::MAX;
/// No complement in the theory.
const NONE: u32 = u32::MAX;

impl Instances {
    fn len(&self) -> usize {
        self.head.len()
    }

    fn push(&mut self, source: u32, kind: RuleKind, head: u32, body: impl IntoIterator<Item = u32>) {
        self.source.push(source);
        self.kind.push(kind);
        self.head.push(head);
        self.body.push(body);
    }
}

/// The ground theory and every literal's status.
#[derive(Debug, Clone, Default)]
pub struct Conclusions {
    /// The policy they were computed under.
    pub policy: Policy,
    literals: Literals,
    /// Each literal's status.
    pub status: Vec<Status>,
    instances: Instances,
    /// The instances concluding each literal.
    by_head: Csr,
    /// Each literal's complement, when it is a literal of the theory, else [`NONE`].
    complement: Vec<u32>,
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
    /// How many literals the theory has (numbered from 0).
    pub fn len(&self) -> usize {
        self.literals.len()
    }

    /// Whether the theory has no literal.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Literal `a`: its relation and tuple.
    pub fn literal(&self, a: u32) -> (RelId, &[Value]) {
        self.literals.get(a)
    }

    /// The literal of `rel` and `tuple`, if the theory has it.
    pub fn atom(&self, rel: RelId, tuple: &[Value]) -> Option<u32> {
        self.literals.find(rel, tuple)
    }

    /// Ground rule `i`.
    pub fn instance(&self, i: u32) -> Instance<'_> {
        let i = i as usize;
        let source = match self.instances.source[i] {
            FROM_ROW => Source::Row(i),
            GIVEN => Source::Input,
            r => Source::Rule(r as RuleId),
        };
        Instance {
            source,
            kind: self.instances.kind[i],
            head: self.instances.head[i],
            body: self.instances.body.get(i),
        }
    }

    fn body(&self, i: u32) -> &[u32] {
        self.instances.body.get(i as usize)
    }

    /// The instances concluding literal `a`.
    pub fn rules_for(&self, a: u32) -> &[u32] {
        self.by_head.get(a as usize)
    }

    /// The instances concluding the complement of `a` (its attackers).
    pub fn attackers(&self, a: u32) -> &[u32] {
        self.complement_of(a).map_or(&[], |c| self.by_head.get(c as usize))
    }

    /// The complement of `a`, when the theory has it.
    pub fn complement_of(&self, a: u32) -> Option<u32> {
        Some(self.complement[a as usize]).filter(|&k| k != NONE)
    }

    /// Whether instance `t` is superior to instance `s`: by `.prefer` between their rules,
    /// else, under `.prefer by specificity`, when `t` is more specific; between rows, by
    /// grade, then date.
    pub fn beats(&self, ti: u32, si: u32) -> bool {
        match (self.instance(ti).source, self.instance(si).source) {
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
        let strict = |i: u32| self.instances.kind[i as usize] == RuleKind::Strict;
        if strict(t) || strict(s) || self.closures.is_empty() {
            return false;
        }
        let (Some(ct), Some(cs)) = (self.closures.get(&t), self.closures.get(&s)) else { return false };
        let (bt, bs) = (self.body(t), self.body(s));
        bs.iter().all(|b| ct.contains(b)) && !bt.iter().all(|b| cs.contains(b))
    }

    /// What became of attack `s` on literal `a` (whose complement `s` concludes).
    pub fn outcome(&self, a: u32, s: u32) -> Outcome {
        let minus = if self.policy == Policy::Blocking { MINUS } else { UNSUPPORTED };
        if let Some(&b) = self.body(s).iter().find(|&&b| self.state[b as usize][minus]) {
            return Outcome::Blocked(b);
        }
        let winner = self.rules_for(a).iter().copied().find(|&t| self.applicable(t) && self.beats(t, s));
        winner.map_or(Outcome::Stands, Outcome::Defeated)
    }

    /// Whether every premise of instance `i` is defeasibly provable.
    pub fn applicable(&self, i: u32) -> bool {
        self.body(i).iter().all(|&b| self.state[b as usize][PLUS])
    }

    /// A theory over `literals`, with the program's superiority, before grounding.
    fn new(program: &ir::Program, policy: Policy, literals: Literals) -> Conclusions {
        Conclusions {
            policy,
            literals,
            superior: program.defeasible.superior.iter().copied().collect(),
            by_grade: program.defeasible.by_grade,
            by_date: program.defeasible.by_date,
            ..Default::default()
        }
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
    let (support, groundings) = ground::support_program(program);
    let plan = plan::plan(&support);
    let mut support_inputs = inputs.clone();
    support_inputs.resize_with(support.relations.len(), Tuples::default);
    for (rel, tuples) in support_inputs.iter_mut().enumerate() {
        tuples.arity = support.relations[rel].arity();
    }
    let ground_options = EvalOptions { record: false, ..options.clone() };
    let mut model = eval::evaluate(&support, &plan, support_inputs, symbols, &ground_options)?;
    let instance_tuples = model.relations.split_off(program.relations.len());
    // `engine::stratified`'s hidden relations (`$final:p`) are read only under negation and
    // in aggregates, which grounding has resolved: they are no literals of the theory.
    let mut inputs = inputs;
    for (rel, r) in program.relations.iter().enumerate().filter(|(_, r)| r.name.starts_with('$')) {
        model.relations[rel] = Tuples::new(r.arity());
        inputs[rel] = Tuples::new(r.arity());
    }
    let mut c = Conclusions::new(program, options.defeasible, Literals::new(model.relations));
    ground::inputs(&mut c, &inputs, rows);
    for g in &groundings {
        ground::rule(&mut c, program, g, &instance_tuples[g.relation - program.relations.len()], symbols)?;
    }
    ground::finish(&mut c, program);
    let proved = solve::solve(&mut c);
    Ok(conclusions_model(program, c, &proved, options.record))
}

/// Whether every rule is strict and no relation is a complement (`~p`): the theory then has
/// no conflict, and its definite conclusions are the least model.
fn strict_only(program: &ir::Program) -> bool {
    program.rules.iter().all(|r| program.defeasible.kind(r.id) == RuleKind::Strict)
        && program.relations.iter().all(|r| !r.name.starts_with('~'))
}

/// A theory of strict rules, without grounding: every tuple of the least model (computed by
/// the ordinary engine, provenance and all) is `+Δ`. The only other literals of the theory
/// are those of a variable-free rule whose body does not hold (see [`ground::rule`]); they
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
    let relations = model.relations.iter().take(program.relations.len()).cloned().collect();
    let mut c = Conclusions::new(program, options.defeasible, Literals::new(relations));
    let definite = c.len();
    ground::failing_ground_rules(&mut c, program, symbols)?;
    ground::finish(&mut c, program);
    for s in &mut c.state[..definite] {
        (s[DELTA], s[PLUS], s[SUPPORT]) = (true, true, true);
    }
    let mut proved: Vec<Option<(u32, u32)>> = vec![None; c.len()];
    solve::defeasible(&mut c, &mut proved, 0);
    c.status = solve::statuses(&c);
    model.defeasible = Some(Arc::new(c));
    Ok(model)
}

/// The model of the `+∂` tuples, annotated with the round each was proved in and the rule it
/// rests on, with the conclusions attached.
fn conclusions_model(program: &ir::Program, c: Conclusions, proved: &[Option<(u32, u32)>], record: bool) -> Model {
    let mut per_rel: Vec<Vec<(u32, Annotation)>> = vec![Vec::new(); program.relations.len()];
    for (a, p) in proved.iter().enumerate() {
        let Some((round, i)) = *p else { continue };
        let (rel, _) = c.literal(a as u32);
        let rule = match c.instance(i).source {
            Source::Rule(r) => r as u32,
            Source::Row(_) | Source::Input => INPUT,
        };
        per_rel[rel].push((a as u32, Annotation { round, rule }));
    }
    let mut relations = Vec::with_capacity(per_rel.len());
    let mut annotations = Vec::with_capacity(per_rel.len());
    for (rel, mut literals) in per_rel.into_iter().enumerate() {
        // Modelled literals are numbered in tuple order; the few others are sorted in.
        if literals.last().is_some_and(|&(a, _)| a as usize >= c.literals.modelled()) {
            literals.sort_unstable_by(|x, y| c.literal(x.0).1.cmp(c.literal(y.0).1));
        }
        let mut t = Tuples::new(program.relations[rel].arity());
        for &(a, _) in &literals {
            t.push(c.literal(a).1);
        }
        relations.push(t);
        annotations.push(literals.into_iter().map(|(_, a)| a).collect());
    }
    let mut model = Model::from_evaluator(program, relations, record.then_some(annotations));
    model.defeasible = Some(Arc::new(c));
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sorted pairs `(i / 3, i % 7)` without duplicates.
    fn pairs(n: u32) -> Tuples {
        let mut v: Vec<[Value; 2]> = (0..n).map(|i| [i / 3, (i * 5) % 7]).collect();
        v.sort_unstable();
        v.dedup();
        let mut t = Tuples::new(2);
        for p in &v {
            t.push(p);
        }
        t
    }

    #[test]
    fn galloping_lookup_agrees_with_binary_search_from_any_hint() {
        let lits = Literals::new(vec![Tuples::new(1), pairs(200), pairs(5)]);
        let probes: Vec<[Value; 2]> = (0..80).flat_map(|x| (0..8).map(move |y| [x, y])).collect();
        for hint0 in [0, 1, 17, 100, 199, 500] {
            let mut hint = hint0;
            for p in &probes {
                let expected = lits.tuples[1].position(p).map(|i| lits.first[1] + i as u32);
                assert_eq!(lits.find_from(1, p, &mut hint), expected, "{p:?} from hint {hint0}");
                if let Some(a) = expected {
                    assert_eq!(lits.get(a), (1, &p[..]));
                }
            }
        }
        // Literal numbers run on across relations: relation 2 starts after relation 1.
        assert_eq!(lits.get(lits.first[2]), (2, lits.tuples[2].get(0)));
    }

    #[test]
    fn literals_outside_the_model_follow_it() {
        let mut lits = Literals::new(vec![pairs(10)]);
        let n = lits.len() as u32;
        let mut hint = 0;
        assert_eq!(lits.intern(0, &[99, 1], &mut hint), n);
        assert_eq!(lits.intern(0, &[0, 0], &mut hint), 0);
        assert_eq!(lits.intern(0, &[99, 1], &mut hint), n);
        assert_eq!(lits.get(n), (0, &[99, 1][..]));
        assert_eq!(lits.len() as u32, n + 1);
    }

    #[test]
    fn csr_groups_items_by_key_in_the_order_given() {
        let pairs = [(2, 10), (0, 11), (2, 12), (1, 13), (2, 14)];
        let csr = Csr::group(4, || pairs.iter().copied());
        assert_eq!(csr.get(0), &[11]);
        assert_eq!(csr.get(1), &[13]);
        assert_eq!(csr.get(2), &[10, 12, 14]);
        assert_eq!(csr.get(3), &[] as &[u32]);
    }
}
