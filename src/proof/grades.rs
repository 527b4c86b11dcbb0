//! The grade and confidence of every tuple of a model: what its best proof is worth.
//!
//! A proof is as strong as its weakest premise, and a tuple as strong as its best proof (the
//! max–min semiring). Grades are partially ordered (reliability and credibility are two
//! scales, [`crate::facts::grade`]), so "best" is a set: the Pareto-best grades of the
//! tuple's proofs. With confidences, a proof is worth the product of its premises'
//! confidences and a tuple its best proof's (the Viterbi semiring).
//!
//! Computed after evaluation, by evaluating the positive rules again over the model's own
//! tuples with each tuple carrying its value ([`crate::proof::grade_join`]): semi-naively,
//! stratum by stratum, from the leaves up. Nothing enumerates proofs and no instance is
//! stored:
//!
//! - **Grades.** A tuple's value is the *down-set* of its proofs' grades: every grade `g`
//!   such that some proof has all premises at least `g`, a 37-bit set (the 36 grades and one
//!   bit above `A1` for "given", below). Equivalently, `g` is in the set iff the tuple is
//!   derivable from the leaves at least `g`: one evaluation per reliability, the
//!   credibility thresholds taken best first and each continuing the last (see
//!   [`grade_join::chains`]), decides every `g`. A cycle adds nothing, so a claim never
//!   proves itself. The Pareto-best grades are the set's maximal elements.
//! - **Confidence.** The same fixpoint in the Viterbi semiring (max, ×) over [0, 1]: a
//!   product of numbers in [0, 1] is at most each factor, so going round a cycle never
//!   raises a value and the least fixpoint is the best proof's product. Computed only when
//!   some statement row has a confidence.
//!
//! What the leaves are worth: a statement row its `grade` and `confidence` (none when the
//! cell is empty, so a tuple stated only by ungraded rows has no grade); a fact written in a
//! rule file or a row of a relation table is the analyst's own, "given": it does not weaken a
//! proof (the top of both lattices).

use crate::engine::eval::Model;
use crate::facts::grade::Grade;
use crate::facts::load::TableKind;
use crate::lang::ir::RelId;
use crate::proof::cone::Cone;
use crate::proof::grade_join::{self, NO_CONFIDENCE, Scope, Values};
use crate::proof::provenance::{Explainer, NodeId, Origin};
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

    /// The set as bits: `1 << g.index()` per grade, bit 36 for "given".
    pub fn bits(self) -> u64 {
        self.0
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

/// The grades and confidences of every tuple of a model, or of the tuples of a derivation
/// cone ([`Grading::of_cone`]).
#[derive(Debug, Clone)]
pub struct Grading {
    /// For a cone's grading, per relation, the model indices of the cone's tuples, ascending
    /// (node `offsets[rel] + i` is the tuple at `cone[rel][i]`); `None` for every tuple.
    cone: Option<Vec<Vec<u32>>>,
    /// Where each relation's tuples start among the nodes.
    offsets: Vec<usize>,
    /// Each node's grade down-set ([`Grades`]).
    grades: Vec<u64>,
    /// Each node's best confidence ([`NO_CONFIDENCE`] for none); empty when the data has no
    /// confidence at all.
    confidence: Vec<f64>,
    /// Whether any statement row has a grade (otherwise grades are not shown).
    pub has_grades: bool,
    /// Whether any statement row has a confidence (otherwise confidences are not shown).
    pub has_confidence: bool,
}

impl Grading {
    /// Grades every tuple of the explainer's model; confidences only when some statement
    /// row has one. Without confidences, grades are computed by thresholds
    /// ([`Grading::compute_by_thresholds`]); with them, both by the lattice fixpoint in one
    /// pass ([`Grading::compute_by_lattice`]), which costs less than thresholds and a
    /// fixpoint for the confidences alone (`bench/grades.py`, BENCHMARKS.md).
    pub fn compute(ex: &mut Explainer) -> Grading {
        Grading::over(ex, None)
    }

    /// [`Grading::compute`] over the whole model or a cone of it.
    fn over(ex: &mut Explainer, cone: Option<&Cone>) -> Grading {
        if ex.facts.graded().1 { Grading::lattice(ex, cone) } else { Grading::thresholds(ex, cone, true) }
    }

    /// The grades and confidences of the tuples `shown` (relation, model index) and of every
    /// tuple their grades depend on (their derivation cone, [`crate::proof::cone`]): the
    /// same values as [`Grading::compute`]'s for these tuples, found without grading the
    /// rest of the model. Only the cone's tuples may be asked for. When the cone costs much
    /// to find (its tuples, its instances and the tuples its search tried more than a
    /// [`CONE_SHARE`]th of the model's tuples: for example a non-linear closure's, which
    /// holds most of the model), the whole model is graded instead.
    pub fn of_cone(ex: &mut Explainer, shown: &[(RelId, usize)]) -> Grading {
        let limit = ex.model.relations.iter().map(|t| t.len()).sum::<usize>() / CONE_SHARE;
        Grading::of_cone_within(ex, shown, limit.max(CONE_FLOOR))
    }

    /// [`Grading::of_cone`] with the whole model graded when the cone's tuples and instances
    /// number more than `limit`.
    pub fn of_cone_within(ex: &mut Explainer, shown: &[(RelId, usize)], limit: usize) -> Grading {
        let program = ex.program;
        let keep = |rule: usize| !grade_join::joinable(&program.rules[rule]);
        match Cone::find(ex, shown, &keep, limit) {
            Some(cone) => Grading::over(ex, Some(&cone)),
            None => Grading::compute(ex),
        }
    }

    /// [`Grading::compute`] with the grades computed by thresholds
    /// ([`grade_join::chains`]), and the confidences, when any, by their own fixpoint.
    pub fn compute_by_thresholds(ex: &mut Explainer) -> Grading {
        Grading::thresholds(ex, None, true)
    }

    /// [`Grading::of_cone`] of the tuples of proof nodes `roots`: grades every node of the
    /// proofs (each is in its root's cone).
    pub fn of_proofs(ex: &mut Explainer, roots: impl IntoIterator<Item = NodeId>) -> Grading {
        let shown: Vec<(RelId, usize)> = roots
            .into_iter()
            .filter_map(|n| {
                let node = &ex.nodes[n];
                Some((node.rel, ex.model.relations[node.rel].position(&node.tuple)?))
            })
            .collect();
        Grading::of_cone(ex, &shown)
    }

    /// [`Grading::compute_by_thresholds`] taking every stratum's levels one at a time over
    /// all its tuples, never a first value's tuples through all levels first (see
    /// [`grade_join::chains`]): the same grades, slower; kept as the reference
    /// `tests/grades.rs` checks the faster order against.
    pub fn compute_level_by_level(ex: &mut Explainer) -> Grading {
        Grading::thresholds(ex, None, false)
    }

    fn thresholds(ex: &mut Explainer, cone: Option<&Cone>, by_first: bool) -> Grading {
        let scope = scope(ex, cone);
        let (offsets, n) = node_offsets(scope.relations);
        let (has_grades, has_confidence) = ex.facts.graded();
        // Leaves: what the rows and facts stating each tuple are worth (the best of them);
        // then grades by thresholds and confidences by their fixpoint over the rules.
        let (mut values, exhaustive) = leaves(ex, scope, &offsets, n, has_confidence);
        let grades = grade_join::chains(ex, scope, &offsets, &values.grades, (exhaustive, by_first));
        values.grades = Vec::new();
        let confidence = if has_confidence {
            grade_join::fixpoint(ex, scope, &offsets, values, false, true).confidence
        } else {
            Vec::new()
        };
        let cone = cone.map(|c| c.indices.clone());
        Grading { cone, offsets, grades, confidence, has_grades, has_confidence }
    }

    /// [`Grading::compute`] with the grades computed by the lattice fixpoint, together with
    /// the confidences: the same grades as by thresholds (`tests/grades.rs` checks one
    /// against the other).
    pub fn compute_by_lattice(ex: &mut Explainer) -> Grading {
        Grading::lattice(ex, None)
    }

    fn lattice(ex: &mut Explainer, cone: Option<&Cone>) -> Grading {
        let scope = scope(ex, cone);
        let (offsets, n) = node_offsets(scope.relations);
        let (has_grades, has_confidence) = ex.facts.graded();
        let (values, _) = leaves(ex, scope, &offsets, n, has_confidence);
        let values = grade_join::fixpoint(ex, scope, &offsets, values, true, has_confidence);
        let (grades, confidence) = (values.grades, values.confidence);
        Grading { cone: cone.map(|c| c.indices.clone()), offsets, grades, confidence, has_grades, has_confidence }
    }

    /// Whether this grades only a derivation cone ([`Grading::of_cone`] did not fall back to
    /// the whole model).
    pub fn is_cone(&self) -> bool {
        self.cone.is_some()
    }

    /// How many tuples are graded (all the model's, or the cone's).
    pub fn len(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// Whether no tuple is graded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether tuple `index` of `rel` is graded: every tuple, or those of the cone.
    pub fn covers(&self, rel: RelId, index: usize) -> bool {
        self.cone.as_ref().is_none_or(|cone| u32::try_from(index).is_ok_and(|i| cone[rel].binary_search(&i).is_ok()))
    }

    /// The node of tuple `index` of `rel`. Panics for a tuple outside a cone's grading: its
    /// grade was not computed, and no grade is better than a wrong one.
    fn node(&self, rel: RelId, index: usize) -> usize {
        match &self.cone {
            None => self.offsets[rel] + index,
            Some(cone) => {
                let i = u32::try_from(index).ok().and_then(|i| cone[rel].binary_search(&i).ok());
                self.offsets[rel] + i.expect("only the tuples of a graded cone are asked for")
            }
        }
    }

    /// The grades of tuple `index` of `rel`.
    pub fn grades(&self, rel: RelId, index: usize) -> Grades {
        Grades(self.grades[self.node(rel, index)])
    }

    /// The best single-proof confidence of tuple `index` of `rel` (`None`: no proof rests
    /// only on rows with a confidence).
    pub fn confidence(&self, rel: RelId, index: usize) -> Option<f64> {
        let c = *self.confidence.get(self.node(rel, index))?;
        (c >= 0.0).then_some(c)
    }
}

/// [`Grading::of_cone`] grades the whole model instead of a cone whose tuples, instances
/// and tried tuples number more than the model's tuples divided by this: a cone given up at
/// the bound has cost a small part of grading the whole model on top of it (on
/// `bench/grades.py`'s closure, 2.84 s against 2.8 s; BENCHMARKS.md), and a cone is mostly
/// either small (a tuple's proofs) or most of the model (a non-linear closure's, those of a
/// pattern matching thousands of tuples).
pub const CONE_SHARE: usize = 16;

/// [`Grading::of_cone`] grades a cone of up to this many tuples, instances and tried tuples
/// whatever the model's size (a small model is graded whole in no time, but so is a small
/// cone).
pub const CONE_FLOOR: usize = 4096;

/// The whole model, or a cone of it, as a grading's scope.
fn scope<'s>(ex: &Explainer<'s>, cone: Option<&'s Cone>) -> Scope<'s> {
    match cone {
        None => Scope::whole(ex),
        Some(cone) => {
            let model: &'s crate::engine::eval::Model = ex.model;
            Scope { relations: &cone.relations, cone: Some((&model.relations, &cone.kept)) }
        }
    }
}

/// A tuple's grade as JSON outputs carry it (in proof nodes, review verdicts, diffs and the
/// report): `{"grade": "B3/C2", "best_grades": ["B3", "C2"], "confidence": 0.72}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GradeJson {
    /// The grade as shown: the Pareto-best grades (`B2`, `B3/C2`), `given` or `none`.
    pub grade: String,
    /// Each Pareto-best grade (empty for `given` and `none`).
    pub best_grades: Vec<String>,
    /// The best proof's confidence, rounded to three decimals as shown (`null`: none);
    /// absent when the data has no confidences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Option<f64>>,
}

impl Grading {
    /// Tuple `index` of `rel`'s grade for JSON.
    pub fn json(&self, rel: RelId, index: usize) -> GradeJson {
        let grades = self.grades(rel, index);
        let confidence =
            self.has_confidence.then(|| self.confidence(rel, index).map(|c| (c * 1000.0).round() / 1000.0));
        GradeJson {
            grade: grades.to_string(),
            best_grades: grades.best().iter().map(Grade::to_string).collect(),
            confidence,
        }
    }

    /// `B2` or `B2, confidence 0.8` (`no grade` for none): a tuple's grade in one phrase.
    pub fn text(&self, rel: RelId, index: usize) -> String {
        let grades = self.grades(rel, index);
        let grade = if grades == Grades::NONE { "no grade".to_string() } else { grades.to_string() };
        if self.has_confidence {
            format!("{grade}, confidence {}", confidence_text(self.confidence(rel, index)))
        } else {
            grade
        }
    }
}

/// Where each relation's tuples start among the nodes, and how many nodes there are.
fn node_offsets(relations: &[crate::base::value::Tuples]) -> (Vec<usize>, usize) {
    let mut offsets = Vec::with_capacity(relations.len() + 1);
    let mut n = 0;
    for tuples in relations {
        offsets.push(n);
        n += tuples.len();
    }
    offsets.push(n);
    (offsets, n)
}

/// The leaves: the grades and confidence of each tuple from the statement rows and facts
/// stating it (the best of them); `offsets[rel]` is the node of the first tuple of `rel`.
/// Also whether every tuple has a proof from graded or given leaves: no tuple is stated only
/// by ungraded rows, and every tuple of a relation no rule derives is stated.
fn leaves(ex: &mut Explainer, scope: Scope, offsets: &[usize], n: usize, has_confidence: bool) -> (Values, bool) {
    let whole: &Model = ex.model;
    let model = scope.relations;
    let derived: Vec<bool> = (0..model.len()).map(|rel| ex.program.rules.iter().any(|r| r.head == rel)).collect();
    let mut exhaustive = whole.defeasible.is_none();
    let mut values =
        Values { grades: vec![0; n], confidence: if has_confidence { vec![NO_CONFIDENCE; n] } else { Vec::new() } };
    let stated: Vec<bool> = (0..model.len())
        .map(|rel| {
            !ex.facts.rows(&ex.program.relations[rel].name).is_empty() || ex.program.facts.iter().any(|f| f.rel == rel)
        })
        .collect();
    for rel in 0..model.len() {
        if !stated[rel] {
            exhaustive &= derived[rel] || model[rel].is_empty();
            continue;
        }
        for i in 0..model[rel].len() {
            let tuple = model[rel].get(i).to_vec();
            let origins = ex.stated(rel, &tuple);
            let unproved = if origins.is_empty() { !derived[rel] } else { true };
            for origin in origins {
                let (g, c) = match origin {
                    Origin::Row(id) if ex.facts.table_of(id).kind == TableKind::Statements => {
                        (ex.facts.grade(id).map_or(Grades::NONE, Grades::of), ex.facts.confidence(id).map(f64::from))
                    }
                    Origin::Row(_) | Origin::RuleFile(_) => (Grades::GIVEN, Some(1.0)),
                };
                let node = offsets[rel] + i;
                values.grades[node] |= g.0;
                if has_confidence {
                    let c = c.unwrap_or(NO_CONFIDENCE);
                    values.confidence[node] = values.confidence[node].max(c);
                }
            }
            exhaustive &= !(unproved && values.grades[offsets[rel] + i] == 0);
        }
    }
    (values, exhaustive)
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
