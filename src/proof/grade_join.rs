//! The fixpoints that grade a model: the positive rules evaluated again over the model's own
//! tuples, each tuple carrying what its best proofs are worth instead of being derived anew.
//!
//! Two ways, sharing one join:
//!
//! - **Thresholds** ([`chains`]), for grades. For one reliability, the tuples derivable from
//!   the rows at least `r1`, `r2`, … `r6` are nested, so one semi-naive evaluation per
//!   reliability that takes the credibility levels in order (a bucket queue, continuing from
//!   one level to the next) finds each tuple's best credibility at that reliability, and the
//!   tuple's grade set is the union over the seven chains (six reliabilities and "given").
//!   Each tuple is joined at most once per chain.
//! - **The lattice** ([`fixpoint`]), for confidences (and grades when asked, to check the
//!   thresholds against). Every rule instance is worth the meet of its premises (the
//!   intersection of their grade sets, the product of their confidences), and a tuple the
//!   join of its instances' and its own rows'. Both are monotone, so the least fixpoint is
//!   reached by chaotic iteration from the leaves: a tuple whose value grew is *new* in the
//!   next round, and every instance with a new premise is evaluated again, exactly as
//!   semi-naive evaluation re-joins new tuples.
//!
//! Instances are enumerated on the fly, by joins over sorted lookups of the model's tuples,
//! never stored: the first round runs each rule's body in its written order; later rounds
//! start each rule from the new tuples of each of its atoms of the same stratum (the rest of
//! the body in its written order), so an instance is only visited when a premise improved.
//! Strata run in order: a lower stratum's values are final before a higher one reads them.
//! A negated premise is checked against the model and carries no value.
//!
//! Rules this join does not run (aggregates, `autoinc()`) keep their instances as stored
//! hyperedges, found by [`Explainer::instances`], and re-evaluated in every round of their
//! stratum.
//!
//! The joins run over a [`Scope`]: the whole model, or the derivation cone of the tuples a
//! command shows ([`crate::proof::cone`]), whose tuples stand in for the model's (its
//! negated atoms still read the whole model, and its stored instances come with the cone).

use crate::base::value::{Symbols, Tuples, Type, Value};
use crate::engine::eval;
use crate::lang::functors::Range;
use crate::lang::ir::{self, Arg, Expr, Lit, RelId};
use crate::lang::syntax::ast::CompareOp;
use crate::proof::cone::Instance;
use crate::proof::provenance::Explainer;

/// What a grading runs over: every tuple of the model, or those of a derivation cone.
#[derive(Clone, Copy)]
pub struct Scope<'s> {
    /// The tuples graded, per relation, sorted.
    pub relations: &'s [Tuples],
    /// For a cone: the whole model's tuples, which negated atoms are checked against, and
    /// the cone's instances of the rules the join does not run ([`joinable`]).
    pub cone: Option<(&'s [Tuples], &'s [Instance])>,
}

impl<'s> Scope<'s> {
    /// Every tuple of the explainer's model.
    pub fn whole(ex: &Explainer<'s>) -> Scope<'s> {
        let model: &'s crate::engine::eval::Model = ex.model;
        Scope { relations: &model.relations, cone: None }
    }
}

/// No confidence: a proof resting on a row without one has none.
pub const NO_CONFIDENCE: f64 = -1.0;

/// What every tuple (node) is worth so far: its grade bits and, when tracked, confidence.
pub struct Values {
    /// The grade down-set of each node (see [`crate::proof::grades::Grades`]).
    pub grades: Vec<u64>,
    /// The best confidence of each node ([`NO_CONFIDENCE`] for none); empty when the data
    /// has no confidences.
    pub confidence: Vec<f64>,
}

/// The value of a partial instance: the meet of the premises so far.
#[derive(Clone, Copy)]
struct Worth {
    bits: u64,
    confidence: f64,
}

/// A key column's value: a variable bound before the lookup, or a constant.
#[derive(Clone, Copy)]
enum Key {
    Var(usize),
    Const(Value),
}

/// What a column of a matched tuple does to the bindings.
#[derive(Clone, Copy)]
enum Act {
    Skip,
    Bind(usize),
    Check(usize),
    Const(Value),
}

/// One literal of a compiled body, with what is bound before it known.
enum Step<'p> {
    /// A positive atom: the tuples of `lookup` agreeing with `key`; `acts` per column.
    Atom { lookup: usize, key: Vec<Key>, acts: Vec<Act> },
    /// `!atom`: no tuple of `lookup` agrees with `key`.
    Absent { lookup: usize, key: Vec<Key> },
    /// A comparison of bound expressions.
    Filter { op: CompareOp, lhs: &'p Expr, rhs: &'p Expr, ty: Type },
    /// `var = expr`; with `check`, `var` is already bound and must equal it.
    Assign { var: usize, expr: &'p Expr, check: bool },
    /// `var = range(from, to, step)`; with `check`, `var` is already bound.
    Range { var: usize, ty: Type, from: &'p Expr, to: &'p Expr, step: Option<&'p Expr>, check: bool },
}

/// A way into a relation's tuples by some bound columns: a range of the sorted tuples when
/// the columns are a prefix, otherwise a permutation of tuple indices sorted by them.
struct Lookup {
    rel: RelId,
    cols: Vec<usize>,
    /// Over the whole model's tuples of `rel` rather than the scope's (a negated atom in a
    /// cone).
    whole: bool,
    /// `None` for a prefix (or no column); built when first used.
    perm: Option<Vec<u32>>,
    prefix: bool,
}

/// A rule compiled for the join: its body in written order, and once per atom of its own
/// stratum that body started from that atom (`(relation, atom's acts, rest)`).
struct Plan<'p> {
    rule: &'p ir::Rule,
    full: Vec<Step<'p>>,
    deltas: Vec<(RelId, Vec<Act>, Vec<Step<'p>>)>,
}

/// Everything a running join reads and writes.
struct Join<'m> {
    model: &'m [Tuples],
    /// The whole model, when `model` is a cone of it (for negated atoms).
    whole: Option<&'m [Tuples]>,
    offsets: &'m [usize],
    lookups: Vec<Lookup>,
    /// Per relation, where each first-column value's tuples start (for head positions).
    firsts: Vec<Option<Firsts>>,
    values: Values,
    track_grades: bool,
    track_conf: bool,
    /// The chain being graded by levels ([`chains`]); `None` for the lattice fixpoint.
    chain: Option<Chain>,
    /// Nodes whose value grew this round (bit per node), and the same per relation.
    marked: Vec<u64>,
    next: Vec<Vec<u32>>,
    head: Vec<Value>,
    /// Complete instances of heads of at most two columns, waiting for [`Join::flush`]:
    /// the head packed ([`pack`]) and what the instance is worth; all of `pending_rel`.
    pending: Vec<(u64, Worth)>,
    pending_rel: Option<RelId>,
}

/// Start offsets of a relation's tuples by first-column value, when the values are dense.
struct Firsts {
    min: Value,
    starts: Vec<u32>,
}

impl Firsts {
    fn build(tuples: &Tuples) -> Option<Firsts> {
        if tuples.is_empty() || tuples.arity == 0 {
            return None;
        }
        let (min, max) = (tuples.get(0)[0], tuples.get(tuples.len() - 1)[0]);
        let span = (max - min) as usize + 1;
        if span > 2 * tuples.len() + 1024 {
            return None;
        }
        let mut starts = vec![0u32; span + 1];
        for t in tuples.iter() {
            starts[(t[0] - min) as usize + 1] += 1;
        }
        for i in 0..span {
            starts[i + 1] += starts[i];
        }
        Some(Firsts { min, starts })
    }

    fn block(&self, v: Value) -> (usize, usize) {
        let i = v.wrapping_sub(self.min) as usize;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&s), Some(&e)) => (s as usize, e as usize),
            _ => (0, 0),
        }
    }
}

/// Runs the fixpoint over the scope's tuples from the leaves' values; returns the final
/// values. `track_grades`: whether grade down-sets are computed too (the lattice way; [`chains`] is
/// the faster one), `track_conf`: whether confidences are.
pub fn fixpoint(
    ex: &mut Explainer,
    scope: Scope,
    offsets: &[usize],
    values: Values,
    track_grades: bool,
    track_conf: bool,
) -> Values {
    let program = ex.program;
    let mut join = Join::new(scope, offsets, values, (track_grades, track_conf), None);
    for stratum in &program.strata {
        let (plans, edges) = join.compile_stratum(ex, program, stratum, scope);
        // The first round: every instance once.
        for plan in &plans {
            join.prepare(&plan.full);
            let mut env = vec![0; plan.rule.num_vars()];
            join.run(&plan.full, &mut env, join.top(), plan.rule, ex.symbols);
        }
        join.run_edges(&edges);
        if let [rel] = *stratum.relations
            && by_first(&plans, &edges)
        {
            join.fixpoint_by_first(rel, &plans, ex.symbols);
            continue;
        }
        // Then from the new tuples, until nothing grows.
        loop {
            let delta = join.take_delta();
            if delta.iter().all(Vec::is_empty) {
                break;
            }
            for plan in &plans {
                join.run_deltas(plan, &delta, ex.symbols);
            }
            if !edges.heads.is_empty() {
                join.run_edges(&edges);
            }
        }
    }
    join.values
}

/// How a stratum of a chain is evaluated ([`Join::run_chain`]): its number of levels,
/// whether the last goes to every tuple not reached before it, whether a first value's
/// tuples may go through every level before the next value's.
#[derive(Clone, Copy)]
struct Levels {
    depth: u8,
    complete: bool,
    by_first: bool,
}

/// A level no tuple of a chain reaches: not derived from the chain's rows.
const NO_LEVEL: u8 = u8::MAX;

/// The chain of thresholds being graded ([`chains`]): each node's level so far.
struct Chain {
    /// Each node's level: final once at most `cur` (or in a lower stratum).
    levels: Vec<u8>,
    /// The level being evaluated.
    cur: u8,
    /// The relations of the stratum being evaluated.
    current: Vec<bool>,
    /// Nodes of the stratum whose level fell to a later level, by level (some stale: their
    /// level fell further since).
    buckets: Vec<Vec<u32>>,
}

/// One chain of thresholds: the grade bits of its levels, best first, each level's rows
/// including the previous ones' (one reliability, credibility 1 to 6; or "given" alone),
/// and the down-set bits a tuple at each level has.
struct ChainSpec {
    bits: Vec<u32>,
    masks: Vec<u64>,
}

impl ChainSpec {
    fn all() -> Vec<ChainSpec> {
        let mut specs: Vec<ChainSpec> = (0..6)
            .map(|r| {
                let bits: Vec<u32> = (0..6).map(|c| r * 6 + c).collect();
                let masks = (0..6).map(|i| bits[i..].iter().fold(0, |m, &b| m | 1 << b)).collect();
                ChainSpec { bits, masks }
            })
            .collect();
        let given = crate::proof::grades::Grades::GIVEN.bits();
        specs.push(ChainSpec { bits: vec![given.trailing_ones() - 1], masks: vec![given] });
        specs
    }

    /// The level of a leaf with down-set `bits`: its first threshold that holds it.
    fn level(&self, bits: u64) -> u8 {
        self.bits.iter().position(|&b| bits & 1 << b != 0).map_or(NO_LEVEL, |i| i as u8)
    }
}

/// Grades every node by threshold decomposition, from the leaves' down-sets (`leaves`, one
/// per node); returns every node's down-set.
///
/// A tuple has a proof at least `g` on both scales iff it is derivable from the leaves at
/// least `g`. For one reliability the credibility thresholds are nested (rows at least `B1`
/// ⊆ at least `B2` ⊆ …), so one semi-naive evaluation per reliability, taking the levels in
/// order and continuing the fixpoint from one to the next, gives each tuple the best
/// credibility it reaches with that reliability: the levels form a bucket queue (Knuth's
/// generalisation of Dijkstra's algorithm for the max–min semiring), each tuple is joined
/// once per chain, when its level is final, and an instance is worth its worst premise's
/// level. A seventh chain of one level finds the proofs that rest on no statement. With
/// `exhaustive` (every leaf has a grade or is given), every tuple is derivable from all the
/// leaves, so the chain holding them all gives its last level to every tuple it has not
/// reached by then, without joining them.
///
/// With `by_first`, a stratum of one relation whose rules keep the first value of its
/// tuples (transitive closure) takes each first value's tuples through every level before
/// the next value's ([`Join::run_chain_by_first`]): the same levels, found with the heads
/// in cache.
pub fn chains(
    ex: &mut Explainer,
    scope: Scope,
    offsets: &[usize],
    leaves: &[u64],
    (exhaustive, by_first): (bool, bool),
) -> Vec<u64> {
    let program = ex.program;
    let model = scope.relations;
    let n = *offsets.last().unwrap_or(&0);
    let levels = vec![NO_LEVEL; n];
    let chain = Chain { levels, cur: 0, current: vec![false; model.len()], buckets: Vec::new() };
    let no_values = Values { grades: Vec::new(), confidence: Vec::new() };
    let mut join = Join::new(scope, offsets, no_values, (false, false), Some(chain));
    // Each stratum's plans and stored instances, compiled once for every chain.
    let strata: Vec<(Vec<Plan>, Edges)> =
        program.strata.iter().map(|stratum| join.compile_stratum(ex, program, stratum, scope)).collect();
    // The leaves (nodes stated by some row or fact), and those of each stratum.
    let leaf_nodes: Vec<u32> = (0..n).filter(|&i| leaves[i] != 0).map(|i| i as u32).collect();
    let mut stratum_of = vec![usize::MAX; model.len()];
    for (i, s) in program.strata.iter().enumerate() {
        for &rel in &s.relations {
            stratum_of[rel] = i;
        }
    }
    let mut by_stratum = vec![Vec::new(); strata.len()];
    for &node in &leaf_nodes {
        if let Some(v) = by_stratum.get_mut(stratum_of[join.rel_of(node as usize)]) {
            v.push(node);
        }
    }
    let mut grades = vec![0u64; n];
    let mut previous: Option<(Vec<u8>, u8)> = None;
    for spec in ChainSpec::all() {
        let starts: Vec<u8> = leaf_nodes.iter().map(|&node| spec.level(leaves[node as usize])).collect();
        let depth = spec.bits.len() as u8;
        // A chain with the same leaves and levels as the previous one has its levels too
        // (the same leaves with more levels would give levels this chain has no mask for).
        let this = (starts, depth);
        if previous.as_ref() != Some(&this) {
            let complete = exhaustive && this.0.iter().all(|&l| l != NO_LEVEL);
            join.start_chain(&leaf_nodes, &this.0);
            for (i, (plans, edges)) in strata.iter().enumerate() {
                let how = Levels { depth, complete, by_first };
                join.run_chain(&program.strata[i].relations, plans, edges, &by_stratum[i], how, ex.symbols);
            }
            previous = Some(this);
        }
        let levels = &join.chain.as_ref().expect("grading a chain").levels;
        for (g, &l) in grades.iter_mut().zip(levels) {
            if l != NO_LEVEL {
                *g |= spec.masks[usize::from(l)];
            }
        }
    }
    grades
}

/// Whether the join runs this rule (no aggregate, no `autoinc()`); the others' instances
/// are stored.
pub fn joinable(rule: &ir::Rule) -> bool {
    !rule.calls(&|f| f.is_counter())
        && !rule.head_args.iter().any(|a| a.calls(&|f| f.is_counter()))
        && rule.body.iter().all(|lit| !matches!(lit, Lit::Aggregate { .. }))
}

/// Instances of the rules the join does not run, as hyperedges: `heads[e]` derived from
/// `premises[starts[e]..starts[e + 1]]`.
struct Edges {
    heads: Vec<u32>,
    starts: Vec<usize>,
    premises: Vec<u32>,
}

/// The instances of `rules` (which the join does not run) over the scope: the cone's,
/// found with it, or for the whole model found bottom up ([`Explainer::instances`]).
fn stored_edges(ex: &mut Explainer, scope: Scope, rules: &[&ir::Rule], offsets: &[usize]) -> Edges {
    let mut edges = Edges { heads: Vec::new(), starts: vec![0], premises: Vec::new() };
    let node = |rel: RelId, i: usize| (offsets[rel] + i) as u32;
    if let Some((_, kept)) = scope.cone {
        for instance in kept.iter().filter(|i| rules.iter().any(|r| r.id == i.rule)) {
            edges.heads.push(node(instance.head.0, instance.head.1));
            edges.premises.extend(instance.premises.iter().map(|&(prel, pi)| node(prel, pi)));
            edges.starts.push(edges.premises.len());
        }
        return edges;
    }
    for rule in rules {
        let (head, id) = (rule.head, rule.id);
        let mut push = |i: usize, body: &[(RelId, usize)]| {
            edges.heads.push(node(head, i));
            edges.premises.extend(body.iter().map(|&(prel, pi)| node(prel, pi)));
            edges.starts.push(edges.premises.len());
        };
        if !ex.instances(id, &mut push) {
            // A head with `autoinc()`: tuple by tuple, top down.
            for i in 0..ex.model.relations[head].len() {
                for (_, body) in ex.derivations(head, i).into_iter().filter(|(r, _)| *r == id) {
                    push(i, &body);
                }
            }
        }
    }
    edges
}

impl<'m> Join<'m> {
    /// What a proof resting on nothing is worth: every grade, confidence 1 (in a chain, its
    /// best level).
    fn top(&self) -> Worth {
        let bits = if self.chain.is_some() { 0 } else { crate::proof::grades::Grades::GIVEN.bits() };
        Worth { bits, confidence: 1.0 }
    }

    /// Whether an instance so far is worth nothing (no grade, no confidence; in a chain, no
    /// level): it cannot raise any head.
    fn dead(&self, w: Worth) -> bool {
        if self.chain.is_some() {
            return w.bits >= u64::from(NO_LEVEL);
        }
        (!self.track_grades || w.bits == 0) && (!self.track_conf || w.confidence < 0.0)
    }

    /// What an instance so far is worth with premise `node` (of `rel`) added. In a chain, a
    /// premise of the stratum being graded counts only once its level is final (at most
    /// the current one); a lower stratum's levels are all final.
    fn meet(&self, w: Worth, rel: RelId, node: usize) -> Worth {
        if let Some(chain) = &self.chain {
            let level = chain.levels[node];
            let bits = if level == NO_LEVEL || (chain.current[rel] && level > chain.cur) {
                u64::from(NO_LEVEL)
            } else {
                w.bits.max(u64::from(level))
            };
            return Worth { bits, confidence: NO_CONFIDENCE };
        }
        let bits = if self.track_grades { w.bits & self.values.grades[node] } else { 0 };
        let confidence = if !self.track_conf || w.confidence < 0.0 {
            NO_CONFIDENCE
        } else {
            let c = self.values.confidence[node];
            if c < 0.0 { NO_CONFIDENCE } else { w.confidence * c }
        };
        Worth { bits, confidence }
    }

    /// The better of two instances of one head.
    fn better(&self, a: Worth, b: Worth) -> Worth {
        if self.chain.is_some() {
            return Worth { bits: a.bits.min(b.bits), confidence: NO_CONFIDENCE };
        }
        Worth { bits: a.bits | b.bits, confidence: a.confidence.max(b.confidence) }
    }

    /// Raises a node to at least `w`; marks it new when it grew. In a chain, a node whose
    /// level falls to the current one is new in the next round; one whose level falls to a
    /// later level waits in that level's bucket.
    fn raise(&mut self, rel: RelId, node: usize, w: Worth) {
        if let Some(chain) = &mut self.chain {
            let level = (w.bits.min(u64::from(NO_LEVEL)) as u8).max(chain.cur);
            if level < chain.levels[node] {
                chain.levels[node] = level;
                if level == chain.cur {
                    self.next[rel].push((node - self.offsets[rel]) as u32);
                } else {
                    chain.buckets[usize::from(level)].push(node as u32);
                }
            }
            return;
        }
        let mut grew = false;
        if self.track_grades {
            grew = w.bits & !self.values.grades[node] != 0;
            self.values.grades[node] |= w.bits;
        }
        if self.track_conf && w.confidence > self.values.confidence[node] {
            self.values.confidence[node] = w.confidence;
            grew = true;
        }
        if grew && self.marked[node / 64] & 1 << (node % 64) == 0 {
            self.marked[node / 64] |= 1 << (node % 64);
            self.next[rel].push((node - self.offsets[rel]) as u32);
        }
    }

    /// The tuples that grew since the last call, per relation, sorted; clears the marks.
    fn take_delta(&mut self) -> Vec<Vec<u32>> {
        self.flush();
        let mut delta = std::mem::replace(&mut self.next, vec![Vec::new(); self.model.len()]);
        for (rel, d) in delta.iter_mut().enumerate() {
            d.sort_unstable();
            if self.chain.is_some() {
                continue; // a chain marks nothing: a node falls to a level once
            }
            for &i in d.iter() {
                let node = self.offsets[rel] + i as usize;
                self.marked[node / 64] &= !(1 << (node % 64));
            }
        }
        delta
    }

    /// A lookup into `rel` by `cols`: over the scope's tuples, or with `whole` over the whole
    /// model's (the same when the scope is the whole model).
    fn lookup(&mut self, rel: RelId, cols: Vec<usize>, whole: bool) -> usize {
        let whole = whole && self.whole.is_some();
        if let Some(i) = self.lookups.iter().position(|l| l.rel == rel && l.cols == cols && l.whole == whole) {
            return i;
        }
        let prefix = cols.iter().enumerate().all(|(i, &c)| i == c);
        self.lookups.push(Lookup { rel, cols, whole, perm: None, prefix });
        self.lookups.len() - 1
    }

    /// The tuples a lookup reads.
    fn tuples_of(&self, l: &Lookup) -> &'m Tuples {
        match self.whole {
            Some(whole) if l.whole => &whole[l.rel],
            _ => &self.model[l.rel],
        }
    }

    /// Builds the permutations the steps' lookups need.
    fn prepare(&mut self, steps: &[Step]) {
        for step in steps {
            let (Step::Atom { lookup, .. } | Step::Absent { lookup, .. }) = step else { continue };
            let tuples = self.tuples_of(&self.lookups[*lookup]);
            let l = &mut self.lookups[*lookup];
            if l.prefix || l.perm.is_some() {
                continue;
            }
            let mut perm: Vec<u32> = (0..tuples.len() as u32).collect();
            let cols = &l.cols;
            perm.sort_by(|&a, &b| {
                let (a, b) = (tuples.get(a as usize), tuples.get(b as usize));
                cols.iter().map(|&c| a[c]).cmp(cols.iter().map(|&c| b[c]))
            });
            l.perm = Some(perm);
        }
    }
}

impl Join<'_> {
    /// Head tuples, and prefix lookups, start at their first value's block.
    fn build_firsts(&mut self, plans: &[Plan]) {
        let prefixed = self.lookups.iter().filter(|l| l.prefix && !l.cols.is_empty() && !l.whole).map(|l| l.rel);
        let firsts: Vec<RelId> = plans.iter().map(|p| p.rule.head).chain(prefixed).collect();
        for rel in firsts {
            if self.firsts[rel].is_none() {
                self.firsts[rel] = Firsts::build(&self.model[rel]);
            }
        }
    }

    /// Starts a chain: no node has a level but the leaves, theirs (`starts`).
    fn start_chain(&mut self, leaves: &[u32], starts: &[u8]) {
        let chain = self.chain.as_mut().expect("grading a chain");
        chain.levels.fill(NO_LEVEL);
        for (&node, &level) in leaves.iter().zip(starts) {
            chain.levels[node as usize] = level;
        }
    }

    /// Evaluates one stratum of a chain, level by level from the best: the rules without a
    /// premise in the stratum once (their instances' levels are known), then per level the
    /// nodes whose level is final, in semi-naive rounds. `seeds` are the stratum's leaves;
    /// with `complete`, the last level goes to every node not reached before it (see
    /// [`chains`]); with `by_first`, a stratum that falls apart by first value goes value
    /// by value ([`Join::run_chain_by_first`]).
    fn run_chain(
        &mut self,
        relations: &[RelId],
        plans: &[Plan],
        edges: &Edges,
        seeds: &[u32],
        Levels { depth, complete, by_first: by_first_allowed }: Levels,
        symbols: &mut Symbols,
    ) {
        let chain = self.chain.as_mut().expect("grading a chain");
        chain.cur = 0;
        chain.buckets = vec![Vec::new(); usize::from(depth)];
        for &rel in relations {
            chain.current[rel] = true;
        }
        for &node in seeds {
            let level = chain.levels[node as usize];
            if level != NO_LEVEL {
                chain.buckets[usize::from(level)].push(node);
            }
        }
        for plan in plans.iter().filter(|p| p.deltas.is_empty()) {
            self.prepare(&plan.full);
            let mut env = vec![0; plan.rule.num_vars()];
            self.run(&plan.full, &mut env, self.top(), plan.rule, symbols);
        }
        self.run_edges(edges);
        if let [rel] = *relations
            && by_first_allowed
            && by_first(plans, edges)
        {
            self.run_chain_by_first(rel, plans, depth, complete, symbols);
            self.chain.as_mut().expect("grading a chain").current[rel] = false;
            return;
        }
        for cur in 0..depth {
            self.flush();
            let chain = self.chain.as_mut().expect("grading a chain");
            chain.cur = cur;
            if complete && cur + 1 == depth {
                // Every node of the stratum not reached yet is at the last level.
                for &rel in relations {
                    let (lo, hi) = (self.offsets[rel], self.offsets[rel + 1]);
                    for l in &mut chain.levels[lo..hi] {
                        *l = (*l).min(cur);
                    }
                }
                self.next.iter_mut().for_each(Vec::clear);
                break;
            }
            for node in std::mem::take(&mut chain.buckets[usize::from(cur)]) {
                if chain.levels[node as usize] == cur {
                    let rel = self.offsets.partition_point(|&o| o <= node as usize) - 1;
                    self.next[rel].push(node - self.offsets[rel] as u32);
                }
            }
            loop {
                let delta = self.take_delta();
                if delta.iter().all(Vec::is_empty) {
                    break;
                }
                for plan in plans {
                    self.run_deltas(plan, &delta, symbols);
                }
                if !edges.heads.is_empty() {
                    self.run_edges(edges);
                }
            }
        }
        let chain = self.chain.as_mut().expect("grading a chain");
        for &rel in relations {
            chain.current[rel] = false;
        }
    }
}

/// Whether a stratum's chain falls apart by the first value of its tuples (with one
/// relation, checked by the caller): no stored instances, and every rule reads the
/// relation at most once, binding its first column to the variable of the head's first
/// column. Then a tuple's instances all have premises of the stratum with its own first
/// value (transitive closure: `path(x, z) :- path(x, y), edge(y, z)`).
fn by_first(plans: &[Plan], edges: &Edges) -> bool {
    edges.heads.is_empty()
        && plans.iter().all(|p| match p.deltas.as_slice() {
            [] => true,
            [(_, acts, _)] => matches!(
                (acts.first(), p.rule.head_args.first()),
                (Some(Act::Bind(v)), Some(Expr::Var(w))) if v == w
            ),
            _ => false,
        })
}

impl Join<'_> {
    /// [`Join::run_chain`]'s levels for a stratum of one relation that falls apart by first
    /// value ([`by_first`]), once the rules without a premise in it have run: each first
    /// value's tuples through every level before the next value's. The levels are the
    /// same as taking every value's tuples a level at a time (each value's fixpoint is its
    /// own), but a value's tuples are a block of the relation that stays in cache while its
    /// heads are found and raised, where a level's rounds over all values spread a few
    /// tuples over the whole relation, each head a cache miss.
    fn run_chain_by_first(&mut self, rel: RelId, plans: &[Plan], depth: u8, complete: bool, symbols: &mut Symbols) {
        self.flush();
        let last = if complete { depth - 1 } else { depth };
        let offset = self.offsets[rel] as u32;
        let model = self.model;
        let tuples = &model[rel];
        let chain = self.chain.as_mut().expect("grading a chain");
        // Every node waiting at a level to join (the first level's already in `next`),
        // by first value, then level.
        let mut waiting: Vec<(Value, u8, u32)> = std::mem::take(&mut self.next[rel])
            .into_iter()
            .map(|i| (0, i + offset))
            .chain(
                chain
                    .buckets
                    .iter_mut()
                    .enumerate()
                    .flat_map(|(l, b)| std::mem::take(b).into_iter().map(move |n| (l as u8, n))),
            )
            .filter(|&(l, _)| l < last)
            .map(|(l, node)| (tuples.get((node - offset) as usize)[0], l, node))
            .collect();
        waiting.sort_unstable();
        for value in waiting.chunk_by(|a, b| a.0 == b.0) {
            let chain = self.chain.as_mut().expect("grading a chain");
            for &(_, l, node) in value {
                chain.buckets[usize::from(l)].push(node);
            }
            for cur in 0..last {
                let chain = self.chain.as_mut().expect("grading a chain");
                chain.cur = cur;
                for node in std::mem::take(&mut chain.buckets[usize::from(cur)]) {
                    if chain.levels[node as usize] == cur {
                        self.next[rel].push(node - offset);
                    }
                }
                self.rounds_of(rel, plans, symbols);
            }
            // What waits beyond the levels joined (the last one, given to all below).
            let chain = self.chain.as_mut().expect("grading a chain");
            chain.buckets.iter_mut().for_each(Vec::clear);
        }
        let chain = self.chain.as_mut().expect("grading a chain");
        if complete {
            // Every node not reached yet is at the last level.
            let (lo, hi) = (self.offsets[rel], self.offsets[rel + 1]);
            for l in &mut chain.levels[lo..hi] {
                *l = (*l).min(last);
            }
        }
    }
}

impl Join<'_> {
    /// [`fixpoint`]'s rounds after the first for a stratum of one relation that falls apart
    /// by first value ([`by_first`]): each first value's tuples to their fixpoint before the
    /// next value's, with its block of the relation in cache (as
    /// [`Join::run_chain_by_first`]).
    fn fixpoint_by_first(&mut self, rel: RelId, plans: &[Plan], symbols: &mut Symbols) {
        let model = self.model;
        let tuples = &model[rel];
        let delta = std::mem::take(&mut self.take_delta()[rel]);
        for value in delta.chunk_by(|&a, &b| tuples.get(a as usize)[0] == tuples.get(b as usize)[0]) {
            for &i in value {
                let node = self.offsets[rel] + i as usize;
                self.marked[node / 64] |= 1 << (node % 64);
            }
            self.next[rel].extend_from_slice(value);
            self.rounds_of(rel, plans, symbols);
        }
    }

    /// Semi-naive rounds of the stratum of one relation `rel` (what
    /// [`Join::run_chain_by_first`] and [`Join::fixpoint_by_first`] run for one first value)
    /// until a round has no new tuple of it.
    fn rounds_of(&mut self, rel: RelId, plans: &[Plan], symbols: &mut Symbols) {
        loop {
            let delta = self.take_delta();
            if delta[rel].is_empty() {
                break;
            }
            for plan in plans {
                self.run_deltas(plan, &delta, symbols);
            }
        }
    }
}

impl<'m> Join<'m> {
    /// A join over `model` (its nodes numbered from `offsets`): `tracks` says whether grade
    /// down-sets and confidences are computed (the lattice fixpoint); with a `chain`, levels
    /// are ([`chains`]).
    fn new(
        scope: Scope<'m>,
        offsets: &'m [usize],
        values: Values,
        (track_grades, track_conf): (bool, bool),
        chain: Option<Chain>,
    ) -> Join<'m> {
        let (model, whole) = (scope.relations, scope.cone.map(|(whole, _)| whole));
        let n = *offsets.last().unwrap_or(&0);
        // Only the lattice fixpoint marks the nodes that grew; a chain keeps levels instead.
        let marked = if chain.is_none() { vec![0; n.div_ceil(64)] } else { Vec::new() };
        Join {
            model,
            whole,
            offsets,
            lookups: Vec::new(),
            firsts: model.iter().map(|_| None).collect(),
            values,
            track_grades,
            track_conf,
            chain,
            marked,
            next: vec![Vec::new(); model.len()],
            head: Vec::new(),
            pending: Vec::new(),
            pending_rel: None,
        }
    }
}

impl<'p> Join<'_> {
    /// A stratum's rules: those the join runs compiled into plans (with their head lookups
    /// prepared), the others' instances stored.
    fn compile_stratum(
        &mut self,
        ex: &mut Explainer,
        program: &'p ir::Program,
        stratum: &ir::Stratum,
        scope: Scope,
    ) -> (Vec<Plan<'p>>, Edges) {
        let rules: Vec<&ir::Rule> = stratum.rules.iter().map(|&r| &program.rules[r]).collect();
        let (joined, stored): (Vec<&ir::Rule>, Vec<&ir::Rule>) = rules.into_iter().partition(|r| joinable(r));
        let plans: Vec<Plan> = joined.iter().map(|r| self.compile(r, &stratum.relations)).collect();
        let edges = stored_edges(ex, scope, &stored, self.offsets);
        self.build_firsts(&plans);
        (plans, edges)
    }

    /// Compiles a rule: its body as written, and from each atom of `stratum`.
    fn compile(&mut self, rule: &'p ir::Rule, stratum: &[RelId]) -> Plan<'p> {
        let mut bound = vec![false; rule.num_vars()];
        let full = self.steps(rule.body.iter(), &mut bound);
        let mut deltas = Vec::new();
        for (i, lit) in rule.body.iter().enumerate() {
            let Lit::Atom(atom) = lit else { continue };
            if !stratum.contains(&atom.rel) {
                continue;
            }
            let mut bound = vec![false; rule.num_vars()];
            let (_, acts) = columns(atom, &mut bound);
            let rest = rule.body.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, l)| l);
            let steps = self.steps(rest, &mut bound);
            deltas.push((atom.rel, acts, steps));
        }
        Plan { rule, full, deltas }
    }

    /// Compiles literals in order, given what is bound before them.
    fn steps<'l>(&mut self, lits: impl Iterator<Item = &'l Lit>, bound: &mut [bool]) -> Vec<Step<'l>> {
        let mut steps = Vec::new();
        for lit in lits {
            steps.push(match lit {
                Lit::Atom(atom) => {
                    let (key, acts) = columns(atom, bound);
                    let cols = key.iter().map(|&(c, _)| c).collect();
                    let lookup = self.lookup(atom.rel, cols, false);
                    Step::Atom { lookup, key: key.into_iter().map(|(_, k)| k).collect(), acts }
                }
                Lit::Negated(atom) => {
                    // Every variable is bound here (a checked program); a wildcard matches any.
                    let mut key = Vec::new();
                    let mut cols = Vec::new();
                    for (c, arg) in atom.args.iter().enumerate() {
                        match *arg {
                            Arg::Const(v) => key.push(Key::Const(v)),
                            Arg::Var(v) if bound[v] => key.push(Key::Var(v)),
                            _ => continue,
                        }
                        cols.push(c);
                    }
                    Step::Absent { lookup: self.lookup(atom.rel, cols, true), key }
                }
                Lit::Filter { op, lhs, rhs, ty, .. } => Step::Filter { op: *op, lhs, rhs, ty: *ty },
                Lit::Assign { var, expr, .. } => {
                    let check = std::mem::replace(&mut bound[*var], true);
                    Step::Assign { var: *var, expr, check }
                }
                Lit::Range { var, ty, from, to, step, .. } => {
                    let check = std::mem::replace(&mut bound[*var], true);
                    Step::Range { var: *var, ty: *ty, from, to, step: step.as_ref(), check }
                }
                Lit::Aggregate { .. } => unreachable!("rules with aggregates are not joined"),
            });
        }
        steps
    }
}

/// An atom's bound columns (column and key) and what each column does, given what is bound
/// before it; marks its variables bound.
fn columns(atom: &ir::Atom, bound: &mut [bool]) -> (Vec<(usize, Key)>, Vec<Act>) {
    // A variable repeated within the atom is bound by its first column and checked after,
    // not looked up: only what was bound before the atom is a key.
    let before = bound.to_vec();
    let mut key = Vec::new();
    let mut acts = Vec::new();
    for (c, arg) in atom.args.iter().enumerate() {
        acts.push(match *arg {
            Arg::Const(v) => {
                key.push((c, Key::Const(v)));
                Act::Const(v)
            }
            Arg::Var(v) if before[v] => {
                key.push((c, Key::Var(v)));
                Act::Check(v)
            }
            Arg::Var(v) if bound[v] => Act::Check(v),
            Arg::Var(v) => {
                bound[v] = true;
                Act::Bind(v)
            }
            Arg::Wildcard => Act::Skip,
        });
    }
    (key, acts)
}

/// Applies an atom's column actions to a tuple; false when it does not match.
#[inline]
fn apply(acts: &[Act], tuple: &[Value], env: &mut [Value]) -> bool {
    for (a, &v) in acts.iter().zip(tuple) {
        match *a {
            Act::Skip => {}
            Act::Bind(x) => env[x] = v,
            Act::Check(x) => {
                if env[x] != v {
                    return false;
                }
            }
            Act::Const(c) => {
                if v != c {
                    return false;
                }
            }
        }
    }
    true
}

fn key_value(k: Key, env: &[Value]) -> Value {
    match k {
        Key::Var(v) => env[v],
        Key::Const(c) => c,
    }
}

impl Join<'_> {
    /// The tuples of a lookup agreeing with the key under `env`: a range of the relation's
    /// tuples (prefix) or of the permutation.
    fn range(&self, lookup: usize, key: &[Key], env: &[Value]) -> (usize, usize) {
        let l = &self.lookups[lookup];
        let tuples = self.tuples_of(l);
        if key.is_empty() {
            return (0, tuples.len());
        }
        if l.prefix {
            let (mut lo, mut hi) = (0, tuples.len());
            let mut from = 0;
            if let Some(f) = self.firsts[l.rel].as_ref().filter(|_| !l.whole) {
                (lo, hi) = f.block(key_value(key[0], env));
                from = 1;
            }
            for (c, &k) in key.iter().enumerate().skip(from) {
                let v = key_value(k, env);
                lo += partition(lo, hi, |i| tuples.get(i)[c] < v);
                hi = lo + partition(lo, hi, |i| tuples.get(i)[c] == v);
            }
            (lo, hi)
        } else {
            let perm = l.perm.as_deref().unwrap_or(&[]);
            let (mut lo, mut hi) = (0, perm.len());
            for (&c, &k) in l.cols.iter().zip(key) {
                let v = key_value(k, env);
                lo += partition(lo, hi, |i| tuples.get(perm[i] as usize)[c] < v);
                hi = lo + partition(lo, hi, |i| tuples.get(perm[i] as usize)[c] == v);
            }
            (lo, hi)
        }
    }

    /// Runs compiled steps under `env` for a partial instance worth `w`, raising the head
    /// of every complete one.
    fn run(&mut self, steps: &[Step], env: &mut [Value], w: Worth, rule: &ir::Rule, symbols: &mut Symbols) {
        let Some((step, rest)) = steps.split_first() else {
            return self.finish(env, w, rule, symbols);
        };
        match step {
            Step::Atom { lookup, key, acts } => {
                let (lo, hi) = self.range(*lookup, key, env);
                let l = &self.lookups[*lookup];
                let rel = l.rel;
                for j in lo..hi {
                    let l = &self.lookups[*lookup];
                    let i = match &l.perm {
                        Some(perm) if !l.prefix => perm[j] as usize,
                        _ => j,
                    };
                    let next = self.meet(w, rel, self.offsets[rel] + i);
                    if self.dead(next) || !apply(acts, self.model[rel].get(i), env) {
                        continue;
                    }
                    self.run(rest, env, next, rule, symbols);
                }
            }
            Step::Absent { lookup, key } => {
                let (lo, hi) = self.range(*lookup, key, env);
                if lo == hi {
                    self.run(rest, env, w, rule, symbols);
                }
            }
            Step::Filter { op, lhs, rhs, ty } => {
                let (Some(l), Some(r)) = (expr(lhs, env, symbols), expr(rhs, env, symbols)) else { return };
                if eval::compare(*op, *ty, l, r, symbols) {
                    self.run(rest, env, w, rule, symbols);
                }
            }
            Step::Assign { var, expr: e, check } => {
                let Some(v) = expr(e, env, symbols) else { return };
                if *check && env[*var] != v {
                    return;
                }
                env[*var] = v;
                self.run(rest, env, w, rule, symbols);
            }
            Step::Range { var, ty, from, to, step, check } => {
                let (Some(f), Some(t)) = (expr(from, env, symbols), expr(to, env, symbols)) else { return };
                let s = match step {
                    Some(s) => match expr(s, env, symbols) {
                        Some(s) => Some(s),
                        None => return,
                    },
                    None => None,
                };
                let range = Range::of(*ty, f, t, s);
                if *check {
                    if range.contains(env[*var]) {
                        self.run(rest, env, w, rule, symbols);
                    }
                    return;
                }
                for v in range {
                    env[*var] = v;
                    self.run(rest, env, w, rule, symbols);
                }
            }
        }
    }

    /// A complete instance: raises its head tuple (when the model has it).
    fn finish(&mut self, env: &[Value], w: Worth, rule: &ir::Rule, symbols: &mut Symbols) {
        let mut head = std::mem::take(&mut self.head);
        head.clear();
        for arg in &rule.head_args {
            match expr(arg, env, symbols) {
                Some(v) => head.push(v),
                None => {
                    self.head = head;
                    return;
                }
            }
        }
        if head.len() <= 2 {
            if self.pending_rel != Some(rule.head) {
                self.flush();
                self.pending_rel = Some(rule.head);
            }
            self.pending.push((pack(&head), w));
            self.head = head;
            if self.pending.len() >= PENDING {
                self.flush();
            }
            return;
        }
        let tuples = &self.model[rule.head];
        let (lo, hi) = match (&self.firsts[rule.head], head.first()) {
            (Some(f), Some(&v)) => f.block(v),
            _ => (0, tuples.len()),
        };
        let at = lo + partition(lo, hi, |i| tuples.get(i) < &head[..]);
        if at < hi && tuples.get(at) == &head[..] {
            self.raise(rule.head, self.offsets[rule.head] + at, w);
        }
        self.head = head;
    }

    /// Raises the heads of the pending instances: sorted, each head's found by galloping
    /// forward from the last (a binary search per instance missed the cache and the branch
    /// predictor at every step).
    fn flush(&mut self) {
        let Some(rel) = self.pending_rel else { return };
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable_by_key(|&(key, _)| key);
        let tuples = &self.model[rel];
        let mut pos = 0;
        let mut k = 0;
        while k < pending.len() {
            let (key, mut w) = pending[k];
            k += 1;
            while k < pending.len() && pending[k].0 == key {
                w = self.better(w, pending[k].1);
                k += 1;
            }
            let (mut lo, hi) = match &self.firsts[rel] {
                Some(f) if tuples.arity > 0 => f.block((key >> 32) as Value),
                _ => (0, tuples.len()),
            };
            lo = lo.max(pos).min(hi);
            pos = gallop(lo, hi, |i| pack(tuples.get(i)) < key);
            if pos < hi && pack(tuples.get(pos)) == key {
                self.raise(rel, self.offsets[rel] + pos, w);
            }
        }
        pending.clear();
        self.pending = pending;
    }

    /// The later rounds of a rule: from the new tuples of each atom of its stratum.
    fn run_deltas(&mut self, plan: &Plan, delta: &[Vec<u32>], symbols: &mut Symbols) {
        let mut env = vec![0; plan.rule.num_vars()];
        for (rel, acts, rest) in &plan.deltas {
            if delta[*rel].is_empty() {
                continue;
            }
            self.prepare(rest);
            for &i in &delta[*rel] {
                let i = i as usize;
                let w = self.meet(self.top(), *rel, self.offsets[*rel] + i);
                if self.dead(w) || !apply(acts, self.model[*rel].get(i), &mut env) {
                    continue;
                }
                self.run(rest, &mut env, w, plan.rule, symbols);
            }
        }
    }

    /// The relation of a node.
    fn rel_of(&self, node: usize) -> RelId {
        self.offsets.partition_point(|&o| o <= node) - 1
    }

    /// Evaluates every stored hyperedge with the current values.
    fn run_edges(&mut self, edges: &Edges) {
        for (e, &head) in edges.heads.iter().enumerate() {
            let mut w = self.top();
            for &p in &edges.premises[edges.starts[e]..edges.starts[e + 1]] {
                w = self.meet(w, self.rel_of(p as usize), p as usize);
            }
            if !self.dead(w) {
                let head = head as usize;
                self.raise(self.rel_of(head), head, w);
            }
        }
    }
}

/// How many instances wait for their heads before [`Join::flush`].
const PENDING: usize = 4096;

/// A tuple of at most two values as one number that sorts as the tuple does (the first
/// value in the high half).
#[inline]
fn pack(tuple: &[Value]) -> u64 {
    match *tuple {
        [a, b] => u64::from(a) << 32 | u64::from(b),
        [a] => u64::from(a) << 32,
        _ => 0,
    }
}

/// The first index of `lo..hi` for which `pred` fails (it holds on a prefix), found by
/// doubling steps from `lo` and a binary search in the last step.
#[inline]
fn gallop(lo: usize, hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    let mut step = 1;
    let mut from = lo;
    while from + step < hi && pred(from + step) {
        from += step;
        step *= 2;
    }
    if from < hi && !pred(from) {
        return from;
    }
    let end = (from + step + 1).min(hi);
    from + partition(from, end, pred)
}

/// The number of indices in `lo..hi` (a prefix of it) for which `pred` holds.
#[inline]
fn partition(lo: usize, hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut a, mut b) = (lo, hi);
    while a < b {
        let mid = (a + b) / 2;
        if pred(mid) { a = mid + 1 } else { b = mid }
    }
    a - lo
}

/// An expression's value: variables and constants directly, the rest by the evaluator.
#[inline]
fn expr(e: &Expr, env: &[Value], symbols: &mut Symbols) -> Option<Value> {
    match e {
        Expr::Var(v) => Some(env[*v]),
        Expr::Const(c, _) => Some(*c),
        _ => eval::evaluate_expr(e, env, symbols),
    }
}
