//! The statements that opened or closed a derived tuple's interval, found in the temporal
//! model itself rather than by evaluating the day's plain model (one evaluation per change
//! day made `stance changes` over a year take minutes).
//!
//! A tuple *changes* on day `d` when one of its maximal intervals begins on `d` (opening) or
//! ends on it (closing). Every rule instance that holds on `d` and derives a tuple that
//! opens on `d` has a positive premise that opens on `d` too, or a negation or aggregate
//! that changed (else the tuple held the day before); closings are the mirror image. So the
//! search goes down from the changed tuples through the premises that change on the same
//! day, to the statement rows that begin (or end) on it. A premise with wildcards
//! (`backs(_, b)`) changes only when no matching tuple held the day before (after).
//!
//! As proofs are well-founded (`provenance`), so is this: the changed tuples reached are
//! ranked in rounds, a tuple's own changing rows first, and a tuple's statements are those
//! of its instances whose changing premises all ranked before it, so that a cycle of tuples
//! that change together never lends a tuple statements it does not rest on.

use crate::base::value::{Symbols, Value};
use crate::engine::eval;
use crate::engine::temporal::{TimedModel, split_row};
use crate::facts::asof::{Day, Interval};
use crate::facts::load::Facts;
use crate::lang::functors::Range;
use crate::lang::ir::{self, Arg, Lit, RelId};
use crate::proof::provenance::{bind_atom, bind_head, head_matches, instantiate, matches, unbind, value_fixed_later};
use std::collections::{BTreeSet, HashMap};

/// A change: the day, and whether a tuple opened (began holding) or closed (held its last
/// day) then.
pub type When = (Day, bool);

/// The statement rows that begin or end next to given days, by the first day of the new
/// state: a row's `date` (it begins) and the day after its `until` (it ended the day before).
pub struct Boundaries {
    by_first: HashMap<i64, Vec<Boundary>>,
}

/// One row at a boundary.
struct Boundary {
    rel: RelId,
    tuple: Vec<Value>,
    id: u32,
    begins: bool,
}

/// The first day of the state after a change: the day it opens, or the day after it closes.
fn first_after((day, opened): When) -> i64 {
    if opened { i64::from(day) } else { i64::from(day) + 1 }
}

impl Boundaries {
    /// The rows (with intervals, as loaded for time) that begin or end at the given changes.
    pub fn new(program: &ir::Program, facts: &Facts, changes: &BTreeSet<When>) -> Boundaries {
        let wanted: std::collections::HashSet<i64> = changes.iter().map(|&c| first_after(c)).collect();
        let mut by_first: HashMap<i64, Vec<Boundary>> = HashMap::new();
        for (name, rows) in &facts.relations {
            let Some(rel) = program.relation_id(name) else { continue };
            for (tuple, id) in rows.iter() {
                let Some(iv) = facts.intervals.get(id as usize) else { continue };
                for (first, begins) in [(i64::from(iv.from), true), (i64::from(iv.until) + 1, false)] {
                    if wanted.contains(&first) {
                        by_first.entry(first).or_default().push(Boundary { rel, tuple: tuple.to_vec(), id, begins });
                    }
                }
            }
        }
        Boundaries { by_first }
    }

    /// The rows of `rel(tuple)` that begin on the day it opens, or end on the day it closes.
    fn own(&self, rel: RelId, tuple: &[Value], change: When) -> Vec<u32> {
        let rows = self.by_first.get(&first_after(change)).map_or(&[][..], Vec::as_slice);
        rows.iter().filter(|b| b.rel == rel && b.begins == change.1 && b.tuple == tuple).map(|b| b.id).collect()
    }

    /// The rows of the relations `depends` marks that begin or end at the change, ascending:
    /// the statements behind a change through negation or an aggregate.
    pub fn around(&self, depends: &[bool], change: When) -> Vec<u32> {
        let rows = self.by_first.get(&first_after(change)).map_or(&[][..], Vec::as_slice);
        let mut ids: Vec<u32> = rows.iter().filter(|b| depends[b.rel]).map(|b| b.id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// A positive premise of a rule instance that changes with the tuple it derives: the
/// matching tuples (several for an atom with wildcards: any of them).
type Premise = Vec<usize>;

/// Called with each binding of a body on the day; the changing premises are in
/// [`Search::premises`].
type Visit<'f, 'a> = dyn FnMut(&mut Search<'a>, &[Value]) + 'f;

/// The search for one change (one day, one direction).
struct Search<'a> {
    program: &'a ir::Program,
    model: &'a TimedModel,
    symbols: &'a mut Symbols,
    change: When,
    /// The changed tuples reached, and their ids.
    nodes: Vec<(RelId, Vec<Value>)>,
    ids: HashMap<(RelId, Vec<Value>), usize>,
    /// Per node, the changing premises of each of its instances on the day.
    instances: Vec<Vec<Vec<Premise>>>,
    /// The changing premises of the binding being built: relation and matching tuples.
    premises: Vec<(RelId, Vec<Vec<Value>>)>,
}

/// For each of `targets` (tuples of `rel` that change at `change`), the statement rows
/// behind the change, ascending; empty when it changed only through negation or an
/// aggregate.
pub fn direct_causes(
    program: &ir::Program,
    model: &TimedModel,
    symbols: &mut Symbols,
    boundaries: &Boundaries,
    (rel, targets): (RelId, &[Vec<Value>]),
    change: When,
) -> Vec<Vec<u32>> {
    let (nodes, ids, instances, premises) = (Vec::new(), HashMap::new(), Vec::new(), Vec::new());
    let mut s = Search { program, model, symbols, change, nodes, ids, instances, premises };
    let roots: Vec<usize> = targets.iter().map(|t| s.node(rel, t)).collect();
    let mut next = 0;
    while next < s.nodes.len() {
        s.explore(next);
        next += 1;
    }
    let own: Vec<Vec<u32>> = s.nodes.iter().map(|(r, t)| boundaries.own(*r, t, change)).collect();
    let statements = rank(&own, &s.instances);
    roots.into_iter().map(|n| statements[n].clone()).collect()
}

/// Ranks the nodes (round 0: their own rows change, or an instance has no changing
/// premise; round r: an instance's changing premises each have a tuple ranked before r) and
/// gives each node its statements: its own rows and those of the premises of its instances
/// ranked before it.
fn rank(own: &[Vec<u32>], instances: &[Vec<Vec<Premise>>]) -> Vec<Vec<u32>> {
    let n = own.len();
    let mut round: Vec<Option<u32>> =
        (0..n).map(|i| (!own[i].is_empty() || instances[i].iter().any(Vec::is_empty)).then_some(0)).collect();
    let mut statements: Vec<Vec<u32>> = own.to_vec();
    let before = |round: &[Option<u32>], m: usize, r: u32| round[m].is_some_and(|q| q < r);
    for r in 1.. {
        let mut ranked = Vec::new();
        for i in (0..n).filter(|&i| round[i].is_none()) {
            let usable: Vec<&Vec<Premise>> = instances[i]
                .iter()
                .filter(|inst| inst.iter().all(|p| p.iter().any(|&m| before(&round, m, r))))
                .collect();
            if usable.is_empty() {
                continue;
            }
            let mut ids: Vec<u32> = Vec::new();
            for m in usable.into_iter().flatten().flatten().filter(|&&m| before(&round, m, r)) {
                ids.extend(&statements[*m]);
            }
            ranked.push((i, ids));
        }
        if ranked.is_empty() {
            break;
        }
        for (i, ids) in ranked {
            round[i] = Some(r);
            statements[i].extend(ids);
        }
    }
    for s in &mut statements {
        s.sort_unstable();
        s.dedup();
    }
    statements
}

/// Whether a row's maximal interval changes at `change` (it contains the day).
fn changes_at(iv: Interval, (day, opened): When) -> bool {
    if opened { iv.from == day } else { iv.until == day }
}

impl<'a> Search<'a> {
    /// The id of a changed tuple, reached for the first time or not.
    fn node(&mut self, rel: RelId, tuple: &[Value]) -> usize {
        if let Some(&id) = self.ids.get(&(rel, tuple.to_vec())) {
            return id;
        }
        let id = self.nodes.len();
        self.nodes.push((rel, tuple.to_vec()));
        self.ids.insert((rel, tuple.to_vec()), id);
        self.instances.push(Vec::new());
        id
    }

    /// Finds the instances on the day of every rule deriving node `n`.
    fn explore(&mut self, n: usize) {
        let (rel, tuple) = self.nodes[n].clone();
        let program = self.program;
        for rule in program.rules.iter().filter(|r| r.head == rel) {
            let mut env = vec![0; rule.num_vars()];
            let mut bound = vec![false; rule.num_vars()];
            if !bind_head(rule, &tuple, &mut env, &mut bound) {
                continue;
            }
            let mut found: Vec<Vec<(RelId, Vec<Vec<Value>>)>> = Vec::new();
            self.body(&rule.body, &mut env, &mut bound, &mut |s, env| {
                if head_matches(rule, &tuple, env, s.symbols) {
                    found.push(s.premises.clone());
                }
            });
            for instance in found {
                let premises: Vec<Premise> =
                    instance.into_iter().map(|(r, tuples)| tuples.iter().map(|t| self.node(r, t)).collect()).collect();
                self.instances[n].push(premises);
            }
        }
    }

    /// Visits every binding of `lits` on the day, with the changing premises of each.
    fn body(&mut self, lits: &[Lit], env: &mut [Value], bound: &mut [bool], visit: &mut Visit<'_, 'a>) {
        let Some((lit, rest)) = lits.split_first() else { return visit(self, env) };
        match lit {
            Lit::Atom(atom) => self.atom(atom, rest, env, bound, visit),
            Lit::Negated(atom) => {
                if self.matching(atom.rel, &instantiate(atom, env, bound)).is_empty() {
                    self.body(rest, env, bound, visit);
                }
            }
            Lit::Filter { op, lhs, rhs, ty, .. } => {
                let l = eval::evaluate_expr(lhs, env, self.symbols);
                let r = eval::evaluate_expr(rhs, env, self.symbols);
                if let (Some(l), Some(r)) = (l, r)
                    && eval::compare(*op, *ty, l, r, self.symbols)
                {
                    self.body(rest, env, bound, visit);
                }
            }
            Lit::Assign { var, expr, .. } => {
                let value = if expr.uses_autoinc() && bound[*var] {
                    Some(env[*var])
                } else {
                    eval::evaluate_expr(expr, env, self.symbols)
                };
                if let Some(value) = value {
                    self.with_value((*var, value), rest, env, bound, visit);
                }
            }
            Lit::Range { var, ty, from, to, step, .. } => {
                let f = eval::evaluate_expr(from, env, self.symbols);
                let t = eval::evaluate_expr(to, env, self.symbols);
                let s = step.as_ref().map(|s| eval::evaluate_expr(s, env, self.symbols));
                let (Some(f), Some(t), Some(s)) = (f, t, s.map_or(Some(None), |s| s.map(Some))) else { return };
                let range = Range::of(*ty, f, t, s);
                let fixed = if bound[*var] { Some(env[*var]) } else { value_fixed_later(*var, rest, env, bound) };
                match fixed {
                    Some(v) if range.contains(v) => self.with_value((*var, v), rest, env, bound, visit),
                    Some(_) => {}
                    None => {
                        for i in range {
                            self.with_value((*var, i), rest, env, bound, visit);
                        }
                    }
                }
            }
            Lit::Aggregate { var, func, target, ty, body, key, .. } => {
                let mut fold = eval::Fold::new(*func, *ty);
                let mut distinct = eval::Distinct::new(key.as_deref());
                let (mut env2, mut bound2) = (env.to_vec(), bound.to_vec());
                // What the aggregate reads is not a premise of the instance.
                let outer = std::mem::take(&mut self.premises);
                self.body(body, &mut env2, &mut bound2, &mut |s, e| {
                    if distinct.first(e) {
                        fold.add(target.as_ref().and_then(|t| eval::evaluate_expr(t, e, s.symbols)));
                    }
                });
                self.premises = outer;
                if let Some(value) = fold.result() {
                    self.with_value((*var, value), rest, env, bound, visit);
                }
            }
        }
    }

    /// The tuples of `rel` matching `pattern` on the day, each with its maximal interval.
    fn matching(&self, rel: RelId, pattern: &[Option<Value>]) -> Vec<(Vec<Value>, Interval)> {
        let rows = &self.model.relations[rel];
        matches(rows, pattern)
            .map(|i| split_row(rows.get(i)))
            .filter(|(_, iv)| iv.contains(self.change.0))
            .map(|(t, iv)| (t.to_vec(), iv))
            .collect()
    }

    /// A positive atom: one binding per distinct value of its variables (tuples differing
    /// only under wildcards are one binding), a changing premise when every such tuple
    /// changes on the day.
    fn atom(
        &mut self,
        atom: &ir::Atom,
        rest: &[Lit],
        env: &mut [Value],
        bound: &mut [bool],
        visit: &mut Visit<'_, 'a>,
    ) {
        let shown = |t: &[Value]| -> Vec<Value> {
            atom.args.iter().zip(t).filter(|(a, _)| !matches!(a, Arg::Wildcard)).map(|(_, v)| *v).collect()
        };
        let mut groups: std::collections::BTreeMap<Vec<Value>, Vec<(Vec<Value>, Interval)>> = Default::default();
        for (tuple, iv) in self.matching(atom.rel, &instantiate(atom, env, bound)) {
            groups.entry(shown(&tuple)).or_default().push((tuple, iv));
        }
        for members in groups.into_values() {
            let mut newly = Vec::new();
            if bind_atom(atom, &members[0].0, env, bound, &mut newly) {
                let changing = members.iter().all(|(_, iv)| changes_at(*iv, self.change));
                if changing {
                    self.premises.push((atom.rel, members.into_iter().map(|(t, _)| t).collect()));
                }
                self.body(rest, env, bound, visit);
                if changing {
                    self.premises.pop();
                }
            }
            unbind(bound, &newly);
        }
    }

    /// Binds `var` to `value` (or checks it) for the rest of the body.
    fn with_value(
        &mut self,
        (var, value): (usize, Value),
        rest: &[Lit],
        env: &mut [Value],
        bound: &mut [bool],
        visit: &mut Visit<'_, 'a>,
    ) {
        if bound[var] {
            if env[var] == value {
                self.body(rest, env, bound, visit);
            }
            return;
        }
        env[var] = value;
        bound[var] = true;
        self.body(rest, env, bound, visit);
        bound[var] = false;
    }
}
