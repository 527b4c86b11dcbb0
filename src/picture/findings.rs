//! What `stance report` and `stance graph` show of the review: constraint violations
//! ([`crate::review::constraints`]) and claim verdicts ([`crate::review::verdicts`]), turned into the report's
//! plain data ([`report::Violation`], [`report::ClaimVerdict`]) and the network's flagged
//! tuples.

use crate::base::value::display;
use crate::picture::network::TupleRef;
use crate::picture::report;
use crate::proof::explain;
use crate::proof::provenance::{Explainer, NodeKind};
use crate::review::constraints;
use crate::review::verdicts::{self, Outcome};
use itertools::Itertools;

/// Every violation of the constraints, each with the tuples of its positive body atoms (the
/// tuples that collide) and their proofs. Needs a model evaluated with recording on.
pub fn violations(ex: &mut Explainer) -> Vec<report::Violation> {
    let found = constraints::violations(ex);
    let mut out: Vec<report::Violation> = found
        .iter()
        .map(|v| {
            let c = &ex.program.constraints[v.constraint];
            // The violation's proof is one rule instance (the constraint) whose premises are
            // the proofs of the body atoms that hold.
            let premises = match v.proof.map(|p| &ex.nodes[p].kind) {
                Some(NodeKind::Derived { premises, .. }) => premises.clone(),
                _ => Vec::new(),
            };
            let tuples = premises
                .iter()
                .map(|&p| {
                    let node = &ex.nodes[p];
                    let types = &ex.program.relations[node.rel].types;
                    TupleRef {
                        relation: ex.program.relations[node.rel].name.clone(),
                        values: node.tuple.iter().zip(types).map(|(&x, &t)| display(x, t, ex.symbols)).collect(),
                    }
                })
                .collect();
            report::Violation {
                constraint: constraints::constraint_text(ex, v.constraint),
                location: format!("{}  with {}", ex.sources.file_line(c.span), constraints::bindings_text(ex, v)),
                tuples,
                proofs: premises.iter().map(|&p| explain::proof_json(ex, p)).collect(),
            }
        })
        .collect();
    out.extend(conflicts(ex));
    out
}

/// Conflicts between a relation and its denials, shown as contradictions: the two tuples
/// that collide and their proofs.
fn conflicts(ex: &mut Explainer) -> Vec<report::Violation> {
    if !ex.program.relations.iter().any(|r| r.name.starts_with('~')) {
        return Vec::new();
    }
    let found = crate::review::conflicts::conflicts(ex);
    found
        .iter()
        .map(|c| {
            let tuple_ref = |rel: usize| {
                let types = &ex.program.relations[rel].types;
                TupleRef {
                    relation: ex.program.relations[rel].name.clone(),
                    values: c.tuple.iter().zip(types).map(|(&x, &t)| display(x, t, ex.symbols)).collect(),
                }
            };
            report::Violation {
                constraint: format!("conflict: {}", crate::review::conflicts::conflict_atom(ex, c)),
                location: "affirmed and denied".to_string(),
                tuples: vec![tuple_ref(c.rel), tuple_ref(c.denied_rel)],
                proofs: [c.affirmed, c.denied].into_iter().flatten().map(|p| explain::proof_json(ex, p)).collect(),
            }
        })
        .collect()
}

/// The tuples the network draws highlighted: those of every violation.
pub fn flagged(violations: &[report::Violation]) -> Vec<TupleRef> {
    violations.iter().flat_map(|v| v.tuples.iter().cloned()).collect()
}

/// A row of the report's verdict table per reviewed claim: the claim as written, its verdict
/// (`SUPPORTED`, ..., `FAILED`), whether the expectation is met, and what backs the verdict
/// (the proof, the why-not, the colliding proofs, the matches), as `stance review` prints it.
pub fn claim_verdicts(ex: &mut Explainer, outcomes: &[Outcome]) -> Vec<report::ClaimVerdict> {
    outcomes
        .iter()
        .map(|o| {
            // A claim that holds shows its proof as a tree; anything else, what `review` prints.
            let proof = match o.proof {
                Some(root) if o.holds && o.collisions.is_empty() && o.spec.claim.tuple().is_some() => {
                    Some(explain::proof_json(ex, root))
                }
                _ => None,
            };
            let detail = if proof.is_some() {
                if o.passed() { String::new() } else { o.failure_message() }
            } else {
                let text = verdicts::details(ex, o);
                let skip = usize::from(o.spec.note.is_some());
                text.lines().skip(skip).join("\n").trim_end().to_string()
            };
            report::ClaimVerdict {
                claim: o.spec.text(),
                location: ex.sources.file_line(o.spec.span),
                verdict: o.verdict.label().to_string(),
                found: o.found.label().to_string(),
                ok: o.passed(),
                note: o.spec.note.clone(),
                detail,
                proof,
            }
        })
        .collect()
}
