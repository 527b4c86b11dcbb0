//! The grade and confidence of every tuple of a model: what its best proof is worth.
//!
//! A proof is as strong as its weakest premise, and a tuple as strong as its best proof (the
//! max–min semiring). Grades are partially ordered (reliability and credibility are two
//! scales, [`crate::facts::grade`]), so "best" is a set: the Pareto-best grades of the
//! tuple's proofs. With confidences, a proof is worth the product of its premises'
//! confidences and a tuple its best proof's (the Viterbi semiring).
//!
//! Computed after evaluation, over the derivation hypergraph: one node per tuple, one
//! hyperedge per rule instance deriving it from positive premises ([`Explainer::derivations`];
//! negated literals, comparisons and aggregates carry no grade). Nothing enumerates proofs:
//!
//! - **Grades.** A tuple's value is the *down-set* of its proofs' grades: every grade `g`
//!   such that some proof has all premises at least `g`, a 37-bit set (the 36 grades and one
//!   bit above `A1` for "given", below). A hyperedge is worth the intersection of its
//!   premises' sets (one subproof per premise, each at least `g`), a node the union of its
//!   hyperedges' and its own rows'. That is a finite distributive lattice, so the least
//!   fixpoint, found by a worklist from the stated rows up, exists, needs at most 37 changes
//!   per node, and equals the union over finite proofs: a cycle adds nothing, so a claim never
//!   proves itself. The Pareto-best grades are the set's maximal elements.
//! - **Confidence.** Knuth's generalisation of Dijkstra's algorithm (1977): a product of
//!   numbers in [0, 1] is at most each factor, so the tuple popped first from a max-heap has
//!   its final value; a hyperedge fires when its last premise is final.
//!
//! What the leaves are worth: a statement row its `grade` and `confidence` (none when the
//! cell is empty, so a tuple stated only by ungraded rows has no grade); a fact written in a
//! rule file or a row of a relation table is the analyst's own, "given": it does not weaken a
//! proof (the top of both lattices).

use crate::engine::eval::Model;
use crate::facts::grade::Grade;
use crate::facts::load::TableKind;
use crate::lang::ir::RelId;
use crate::proof::provenance::{Explainer, Origin};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

/// The bit for "rests on no statement at all" (above `A1`).
const GIVEN_BIT: u64 = 1 << 36;

/// The grades of a tuple's proofs, as a down-set: bit `g.index()` when some proof has every
/// premise at least `g`; bit 36 when some proof rests on no statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grades(u64);

impl Grades {
    /// No graded proof.
    pub const NONE: Grades = Grades(0);
    /// A proof that rests on no statement: given facts only.
    pub const GIVEN: Grades = Grades((GIVEN_BIT << 1) - 1);

    /// The grades a statement graded `g` supports: `g` and every grade below it.
    pub fn of(g: Grade) -> Grades {
        Grades(Grade::all().filter(|&h| g.at_least(h)).fold(0, |bits, h| bits | 1 << h.index()))
    }

    /// Whether some proof is graded at least `g` on both scales.
    pub fn at_least(self, g: Grade) -> bool {
        self.0 & 1 << g.index() != 0
    }

    /// What a proof resting on both is worth (the intersection of the down-sets).
    pub fn meet(self, other: Grades) -> Grades {
        Grades(self.0 & other.0)
    }

    /// The better of two: what the best of two sets of proofs is worth.
    pub fn join(self, other: Grades) -> Grades {
        Grades(self.0 | other.0)
    }

    /// Whether every grade of `other` is one of these (`other` is no better).
    pub fn contains(self, other: Grades) -> bool {
        other.0 & !self.0 == 0
    }

    /// Whether some proof rests on no statement.
    pub fn is_given(self) -> bool {
        self.0 & GIVEN_BIT != 0
    }

    /// The Pareto-best grades of the proofs, best reliability first (empty when none is
    /// graded, or when a proof rests on no statement).
    pub fn best(self) -> Vec<Grade> {
        if self.is_given() {
            return Vec::new();
        }
        Grade::all()
            .filter(|&g| self.at_least(g) && !Grade::all().any(|h| h != g && h.at_least(g) && self.at_least(h)))
            .collect()
    }

    /// The weakest of the best grades' worst: a single grade for ordering premises (the
    /// meet of the Pareto set). `None` when not graded.
    pub fn floor(self) -> Option<Grade> {
        self.best().into_iter().reduce(Grade::meet)
    }
}

/// `B2`, `B3/C2` (Pareto-best grades), `given` or `none`.
impl fmt::Display for Grades {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_given() {
            return f.write_str("given");
        }
        let best = self.best();
        if best.is_empty() {
            return f.write_str("none");
        }
        let texts: Vec<String> = best.iter().map(Grade::to_string).collect();
        f.write_str(&texts.join("/"))
    }
}

/// The grades and confidences of every tuple of a model.
#[derive(Debug, Clone)]
pub struct Grading {
    /// Where each relation's tuples start among the nodes.
    offsets: Vec<usize>,
    grades: Vec<Grades>,
    confidence: Vec<Option<f64>>,
    /// Whether any statement row has a grade (otherwise grades are not shown).
    pub has_grades: bool,
    /// Whether any statement row has a confidence (otherwise confidences are not shown).
    pub has_confidence: bool,
}

impl Grading {
    /// Grades every tuple of the explainer's model.
    pub fn compute(ex: &mut Explainer) -> Grading {
        let model: &Model = ex.model;
        let mut offsets = Vec::with_capacity(model.relations.len() + 1);
        let mut n = 0;
        for tuples in &model.relations {
            offsets.push(n);
            n += tuples.len();
        }
        offsets.push(n);
        let has_grades = ex.facts.origins.iter().any(|o| o.grade.is_some());
        let has_confidence = ex.facts.origins.iter().any(|o| o.confidence.is_some());

        // Leaves: what the rows and facts stating each tuple are worth (the best of them).
        let (mut grades, mut confidence) = leaves(ex, &offsets, n);

        // The hyperedges: `heads[e]` derived from `premises[starts[e]..starts[e + 1]]`, found
        // by one bottom-up pass over each rule's body (node ids are u32: a model's tuples
        // are counted in u32 too).
        let (heads, starts, premises) = hyperedges(ex, &offsets);
        // Which hyperedges each node is a premise of (once per occurrence).
        let (use_starts, uses) = premise_uses(n, &heads, &starts, &premises);
        let body = |e: usize| &premises[starts[e]..starts[e + 1]];
        let used_by = |node: usize| &uses[use_starts[node]..use_starts[node + 1]];

        // Grades: the least fixpoint, by a worklist. Hyperedges without premises (rules
        // whose body has only conditions) are given.
        for e in (0..heads.len()).filter(|&e| body(e).is_empty()) {
            grades[heads[e] as usize] = Grades::GIVEN;
            confidence[heads[e] as usize] = Some(1.0);
        }
        let mut queued: Vec<bool> = grades.iter().map(|g| g.0 != 0).collect();
        let mut work: Vec<usize> = (0..n).filter(|&node| queued[node]).collect();
        while let Some(node) = work.pop() {
            queued[node] = false;
            for &e in used_by(node) {
                let e = e as usize;
                let value = body(e).iter().fold(Grades::GIVEN.0, |bits, &p| bits & grades[p as usize].0);
                let head = heads[e] as usize;
                if value & !grades[head].0 != 0 {
                    grades[head].0 |= value;
                    if !queued[head] {
                        queued[head] = true;
                        work.push(head);
                    }
                }
            }
        }
        drop(queued);

        // Confidence: Knuth's algorithm.
        if !has_confidence {
            confidence = vec![None; n];
        } else {
            let mut remaining: Vec<u32> = (0..heads.len()).map(|e| body(e).len() as u32).collect();
            let mut done = vec![false; n];
            let mut heap: BinaryHeap<(Score, usize)> =
                confidence.iter().enumerate().filter_map(|(node, c)| c.map(|c| (Score(c), node))).collect();
            while let Some((Score(c), node)) = heap.pop() {
                if done[node] {
                    continue;
                }
                done[node] = true;
                confidence[node] = Some(c);
                for &e in used_by(node) {
                    let e = e as usize;
                    remaining[e] -= 1;
                    if remaining[e] > 0 {
                        continue;
                    }
                    let head = heads[e] as usize;
                    let value = body(e).iter().map(|&p| confidence[p as usize].unwrap_or(0.0)).product::<f64>();
                    if !done[head] && confidence[head].is_none_or(|old| value > old) {
                        confidence[head] = Some(value);
                        heap.push((Score(value), head));
                    }
                }
            }
        }

        Grading { offsets, grades, confidence, has_grades, has_confidence }
    }

    /// The grades of tuple `index` of `rel`.
    pub fn grades(&self, rel: RelId, index: usize) -> Grades {
        self.grades[self.offsets[rel] + index]
    }

    /// The best single-proof confidence of tuple `index` of `rel` (`None`: no proof rests
    /// only on rows with a confidence).
    pub fn confidence(&self, rel: RelId, index: usize) -> Option<f64> {
        self.confidence[self.offsets[rel] + index]
    }
}

/// The leaves: the grades and confidence of each tuple from the statement rows and facts
/// stating it (the best of them); `offsets[rel]` is the node of the first tuple of `rel`.
fn leaves(ex: &mut Explainer, offsets: &[usize], n: usize) -> (Vec<Grades>, Vec<Option<f64>>) {
    let model: &Model = ex.model;
    let mut grades = vec![Grades::NONE; n];
    let mut confidence: Vec<Option<f64>> = vec![None; n];
    let stated: Vec<bool> = (0..model.relations.len())
        .map(|rel| {
            !ex.facts.rows(&ex.program.relations[rel].name).is_empty() || ex.program.facts.iter().any(|f| f.rel == rel)
        })
        .collect();
    for rel in 0..model.relations.len() {
        if !stated[rel] {
            continue;
        }
        for i in 0..model.relations[rel].len() {
            let tuple = model.relations[rel].get(i).to_vec();
            for origin in ex.stated(rel, &tuple) {
                let (g, c) = match origin {
                    Origin::Row(id) if ex.facts.table_of(id).kind == TableKind::Statements => {
                        let o = ex.facts.origin(id);
                        (o.grade.map_or(Grades::NONE, Grades::of), o.confidence.map(f64::from))
                    }
                    Origin::Row(_) | Origin::RuleFile(_) => (Grades::GIVEN, Some(1.0)),
                };
                let node = offsets[rel] + i;
                grades[node].0 |= g.0;
                confidence[node] = max_confidence(confidence[node], c);
            }
        }
    }
    (grades, confidence)
}

/// The hyperedges `(heads, starts, premises)`: `heads[e]` derived from
/// `premises[starts[e]..starts[e + 1]]`.
fn hyperedges(ex: &mut Explainer, offsets: &[usize]) -> (Vec<u32>, Vec<usize>, Vec<u32>) {
    let model: &Model = ex.model;
    let mut heads: Vec<u32> = Vec::new();
    let mut starts: Vec<usize> = vec![0];
    let mut premises: Vec<u32> = Vec::new();
    let node = |rel: RelId, i: usize| (offsets[rel] + i) as u32;
    for rule in 0..ex.program.rules.len() {
        let head = ex.program.rules[rule].head;
        let bottom_up = ex.instances(rule, &mut |i, body| {
            heads.push(node(head, i));
            premises.extend(body.iter().map(|&(prel, pi)| node(prel, pi)));
            starts.push(premises.len());
        });
        if !bottom_up {
            // A head with `autoinc()`: tuple by tuple, top down.
            for i in 0..model.relations[head].len() {
                for (_, body) in ex.derivations(head, i).into_iter().filter(|(r, _)| *r == rule) {
                    heads.push(node(head, i));
                    premises.extend(body.iter().map(|&(prel, pi)| node(prel, pi)));
                    starts.push(premises.len());
                }
            }
        }
    }
    (heads, starts, premises)
}

/// Which hyperedges each node is a premise of: `uses[use_starts[node]..use_starts[node + 1]]`
/// (once per occurrence); returns `(use_starts, uses)`.
fn premise_uses(n: usize, heads: &[u32], starts: &[usize], premises: &[u32]) -> (Vec<usize>, Vec<u32>) {
    let mut use_starts = vec![0usize; n + 1];
    for &p in premises {
        use_starts[p as usize + 1] += 1;
    }
    for i in 0..n {
        use_starts[i + 1] += use_starts[i];
    }
    let mut uses = vec![0u32; premises.len()];
    let mut fill = use_starts.clone();
    for e in 0..heads.len() {
        for &p in &premises[starts[e]..starts[e + 1]] {
            uses[fill[p as usize]] = e as u32;
            fill[p as usize] += 1;
        }
    }
    drop(fill);
    (use_starts, uses)
}

fn max_confidence(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// A confidence ordered for the heap (never NaN: products of numbers in [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Score(f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A confidence as shown: at most three decimals, without trailing zeros (`0.72`, `1`).
pub fn confidence_text(c: Option<f64>) -> String {
    match c {
        None => "none".to_string(),
        Some(c) => {
            let s = format!("{c:.3}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            s.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Grade {
        s.parse().unwrap()
    }

    #[test]
    fn grade_sets_keep_the_pareto_best() {
        let b3 = Grades::of(g("B3"));
        assert_eq!(b3.to_string(), "B3");
        assert!(b3.at_least(g("C4")) && b3.at_least(g("B3")) && !b3.at_least(g("B2")) && !b3.at_least(g("A3")));
        let both = Grades(b3.0 | Grades::of(g("C2")).0);
        assert_eq!(both.to_string(), "B3/C2");
        assert_eq!(both.floor(), Some(g("C3")));
        // A proof through both is worth their meet.
        assert_eq!(Grades(b3.0 & Grades::of(g("C2")).0).to_string(), "C3");
        assert_eq!(Grades(b3.0 | Grades::of(g("A1")).0).to_string(), "A1");
        assert_eq!(Grades::NONE.to_string(), "none");
        assert_eq!(Grades::GIVEN.to_string(), "given");
        assert_eq!(Grades(Grades::GIVEN.0 & b3.0), b3);
    }

    #[test]
    fn confidences_print_short() {
        assert_eq!(confidence_text(Some(0.72)), "0.72");
        assert_eq!(confidence_text(Some(1.0)), "1");
        assert_eq!(confidence_text(Some(0.0)), "0");
        assert_eq!(confidence_text(Some(0.1234)), "0.123");
        assert_eq!(confidence_text(None), "none");
    }
}
