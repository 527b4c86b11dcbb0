//! The derivation cone of some tuples: everything their grades can depend on.
//!
//! A tuple's best-proof grade and confidence ([`crate::proof::grades`]) are a function of
//! its rule instances and their premises' values, so of the tuples reachable downward from
//! it through every instance of every rule whose head it is (recorded round or not), their
//! positive premises, and so on: its cone. Grading the cone alone, with the same joins over
//! the cone's tuples, gives the same values as grading the whole model: every instance whose
//! head is in the cone has all its positive premises in it, and an instance whose head is
//! not cannot raise a cone tuple. Negated atoms are still checked against the whole model.
//!
//! The cone is found top down with the explainer's own search for a tuple's instances
//! ([`Explainer::derivations`]: index lookups with the head bound), one tuple at a time.

use crate::base::value::Tuples;
use crate::lang::ir::{RelId, RuleId};
use crate::proof::provenance::Explainer;
use std::collections::HashSet;

/// One instance, in the cone's own numbering: the rule, the head (relation, index among the
/// cone's tuples of the relation) and the positive premises (the same), in body order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The rule.
    pub rule: RuleId,
    /// The derived tuple.
    pub head: (RelId, usize),
    /// The positive premises, in body order.
    pub premises: Vec<(RelId, usize)>,
}

/// The tuples some tuples' grades depend on.
#[derive(Debug, Clone)]
pub struct Cone {
    /// Per relation, the model indices of the cone's tuples, ascending.
    pub indices: Vec<Vec<u32>>,
    /// Per relation, the cone's tuples: the model's at `indices`, so sorted as the model's.
    pub relations: Vec<Tuples>,
    /// The instances of the rules `keep` picked (see [`Cone::find`]), heads in the cone.
    pub kept: Vec<Instance>,
}

impl Cone {
    /// The cone of `roots` (relation, model index). `keep` picks the rules whose instances
    /// are kept in [`Cone::kept`] (those a grading cannot join: aggregates, `autoinc()`).
    /// `None` as soon as the cone's tuples and instances and the tuples its search tried
    /// ([`Explainer::tried`]) together number more than `limit`: a cone that costs that much
    /// to find is cheaper to grade with the whole model (each tuple the search tries costs
    /// about what a tuple costs the grading's joins).
    pub fn find(
        ex: &mut Explainer,
        roots: &[(RelId, usize)],
        keep: &dyn Fn(RuleId) -> bool,
        limit: usize,
    ) -> Option<Cone> {
        let mut seen: HashSet<(RelId, usize)> = HashSet::new();
        let mut stack: Vec<(RelId, usize)> = roots.iter().copied().filter(|&r| seen.insert(r)).collect();
        let mut kept = Vec::new();
        let mut size = seen.len();
        let tried = ex.tried();
        while let Some((rel, index)) = stack.pop() {
            for (rule, premises) in ex.derivations(rel, index) {
                size += 1;
                for &p in &premises {
                    if seen.insert(p) {
                        stack.push(p);
                        size += 1;
                    }
                }
                if keep(rule) {
                    kept.push(Instance { rule, head: (rel, index), premises });
                }
            }
            if size as u64 + (ex.tried() - tried) > limit as u64 {
                return None;
            }
        }
        Some(Cone::of(ex, seen, kept))
    }

    /// The cone of the tuples `seen`, with the kept instances renumbered into it.
    fn of(ex: &Explainer, seen: HashSet<(RelId, usize)>, mut kept: Vec<Instance>) -> Cone {
        let model = &ex.model.relations;
        let mut indices: Vec<Vec<u32>> = vec![Vec::new(); model.len()];
        for (rel, index) in seen {
            indices[rel].push(index as u32);
        }
        let mut relations = Vec::with_capacity(model.len());
        for (rel, ix) in indices.iter_mut().enumerate() {
            ix.sort_unstable();
            let mut tuples = Tuples::new(model[rel].arity);
            for &i in ix.iter() {
                tuples.push(model[rel].get(i as usize));
            }
            relations.push(tuples);
        }
        let cone = Cone { indices, relations, kept: Vec::new() };
        let at = |(rel, index): (RelId, usize)| (rel, cone.position(rel, index).expect("a premise of the cone"));
        for instance in &mut kept {
            instance.head = at(instance.head);
            instance.premises.iter_mut().for_each(|p| *p = at(*p));
        }
        // In the order of the whole model's instances (deterministic whatever the search's).
        kept.sort_by(|a, b| (a.rule, a.head, &a.premises).cmp(&(b.rule, b.head, &b.premises)));
        Cone { kept, ..cone }
    }

    /// The position among the cone's tuples of `rel` of the model's tuple `index` (`None`:
    /// not in the cone).
    pub fn position(&self, rel: RelId, index: usize) -> Option<usize> {
        self.indices[rel].binary_search(&u32::try_from(index).ok()?).ok()
    }

    /// How many tuples the cone holds.
    pub fn len(&self) -> usize {
        self.indices.iter().map(Vec::len).sum()
    }

    /// Whether the cone holds no tuple.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
