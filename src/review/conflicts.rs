//! Conflicts: a tuple that holds both affirmed and denied (`backs("Egypt", "GNA")` and
//! `~backs("Egypt", "GNA")`), reported like a constraint violation, with both proofs and
//! their grades, down to the statement rows on each side.
//!
//! In a program of strict rules a denial does not remove anything: both sides hold and the
//! conflict is what the reviewer sees. A defeasible theory (`lang::defeasible`) resolves
//! conflicts between defeasible conclusions; only strict ones (both sides definite) remain.

use crate::base::diag::{Code, Diagnostic};
use crate::base::order::display_order;
use crate::base::value::Value;
use crate::lang::ir::RelId;
use crate::proof::explain;
use crate::proof::grades::Grading;
use crate::proof::provenance::{Explainer, NodeId, NodeKind, Origin, atom_text};
use serde_json::{Value as Json, json};
use std::fmt::Write;

/// One tuple of a relation that also holds in its complement.
#[derive(Debug, Clone)]
pub struct Conflict {
    /// The affirmed relation (`backs`).
    pub rel: RelId,
    /// Its complement (`~backs`).
    pub denied_rel: RelId,
    /// The tuple both hold.
    pub tuple: Vec<Value>,
    /// The proof of the affirmation.
    pub affirmed: Option<NodeId>,
    /// The proof of the denial.
    pub denied: Option<NodeId>,
}

/// Every conflict, by relation name and then by value.
pub fn conflicts(ex: &mut Explainer) -> Vec<Conflict> {
    let program = ex.program;
    let mut rels: Vec<(RelId, RelId)> = (0..program.relations.len())
        .filter(|&r| !program.relations[r].name.starts_with('~'))
        .filter_map(|r| program.complement(r).map(|c| (r, c)))
        .collect();
    rels.sort_by(|a, b| program.relations[a.0].name.cmp(&program.relations[b.0].name));
    let mut out = Vec::new();
    for (rel, denied_rel) in rels {
        let tuples = &ex.model.relations[rel];
        let denials = &ex.model.relations[denied_rel];
        for index in display_order(tuples, &program.relations[rel].types, ex.symbols) {
            let tuple = tuples.get(index);
            if denials.contains(tuple) {
                out.push(Conflict { rel, denied_rel, tuple: tuple.to_vec(), affirmed: None, denied: None });
            }
        }
    }
    for c in &mut out {
        c.affirmed = ex.explain(c.rel, &c.tuple);
        c.denied = ex.explain(c.denied_rel, &c.tuple);
    }
    out
}

/// `backs("Egypt", "GNA")`.
pub fn conflict_atom(ex: &Explainer, c: &Conflict) -> String {
    atom_text(ex.program, c.rel, &c.tuple, ex.symbols)
}

/// The grades of one side (`B2`, `none`), when the statements have grades.
fn side_grade(ex: &Explainer, grading: Option<&Grading>, rel: RelId, tuple: &[Value]) -> Option<String> {
    let grading = grading.filter(|g| g.has_grades)?;
    let index = ex.model.relations[rel].position(tuple)?;
    Some(grading.grades(rel, index).to_string())
}

/// A conflict as text: the tuple, then each side's proof tree (graded when the statements
/// have grades).
pub fn render_conflict(ex: &Explainer, c: &Conflict, grading: Option<&Grading>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "conflict: {} is both affirmed and denied", conflict_atom(ex, c));
    for (what, rel, proof) in [("affirmed", c.rel, c.affirmed), ("denied", c.denied_rel, c.denied)] {
        let grade = side_grade(ex, grading, rel, &c.tuple).map(|g| format!(" [{g}]")).unwrap_or_default();
        let _ = writeln!(out, "├─ {what}{grade}:");
        if let Some(root) = proof {
            for line in explain::render_tree_graded(ex, root, None, grading).lines() {
                let _ = writeln!(out, "│  {line}");
            }
        }
    }
    out
}

/// A conflict as JSON: the tuple and each side's grade and proof DAG.
pub fn conflict_json(ex: &Explainer, c: &Conflict, grading: Option<&Grading>) -> Json {
    let side = |rel: RelId, proof: Option<NodeId>| {
        json!({
            "atom": atom_text(ex.program, rel, &c.tuple, ex.symbols),
            "grade": side_grade(ex, grading, rel, &c.tuple),
            "proof": proof.map(|p| explain::proof_json(ex, p)),
        })
    };
    json!({
        "conflict": conflict_atom(ex, c),
        "affirmed": side(c.rel, c.affirmed),
        "denied": side(c.denied_rel, c.denied),
    })
}

/// A conflict as a diagnostic: warning `W009`, or, under `--deny-contradictions`, the
/// error of a denied contradiction (`E024`). It is
/// located at the first statement row (or rule) of the denial; the notes name both sides.
pub fn conflict_diagnostic(ex: &Explainer, c: &Conflict, deny: bool) -> Diagnostic {
    let message = format!("conflict: {} is both affirmed and denied", conflict_atom(ex, c));
    let mut d = if deny {
        Diagnostic::error(Code::ContradictionDenied, message)
    } else {
        Diagnostic::warning(Code::Conflict, message)
    };
    for (what, proof) in [("affirmed", c.affirmed), ("denied", c.denied)] {
        if let Some(p) = proof {
            d = d.with_note(format!("{what}: {}", origin_summary(ex, p)));
        }
    }
    d.with_help("`stance contradictions` shows both proofs; defeasible rules (`:~`) or `.prefer` can resolve it")
}

/// Where a proof's conclusion comes from: the row stating it, or the rule deriving it.
fn origin_summary(ex: &Explainer, p: NodeId) -> String {
    match &ex.nodes[p].kind {
        NodeKind::Fact { origins } => match origins.first() {
            Some(Origin::Row(id)) => format!("stated in {}", ex.facts.location(*id, ex.sources)),
            Some(Origin::RuleFile(span)) => format!("stated in {}", ex.sources.file_line(*span)),
            None => "given as input".to_string(),
        },
        NodeKind::Derived { rule, .. } => {
            format!("derived by the rule at {}", ex.sources.file_line(ex.program.rules[*rule].span))
        }
    }
}
