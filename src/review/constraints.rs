//! Constraints `:- body.` and their violations.
//!
//! `check` compiles each constraint into a hidden relation (see [`ir::Constraint`]) whose
//! tuples are the bindings of the body's named variables under which the body holds. A
//! violation is one such tuple; its proof (from the [`Explainer`]) has one premise per
//! positive body atom, so the reviewer sees which sourced statements collide. A claim is
//! *contradicted* when it would complete a violation: some constraint has a positive body
//! atom that unifies with it, and the rest of the body holds in the model.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::one_line;
use crate::base::value::{Type, Value};
use crate::lang::ir::{self, Lit, RelId, RuleId};
use crate::proof::explain;
use crate::proof::provenance::{Explainer, NodeId, NodeKind, Origin, atom_text, literal, matches};
use itertools::Itertools;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeSet;
use std::fmt::Write;

/// One violation of a constraint: the bindings under which its body holds.
#[derive(Debug, Clone)]
pub struct Violation {
    /// Index into `program.constraints`.
    pub constraint: usize,
    /// The tuple of the hidden relation: one value per named variable.
    pub tuple: Vec<Value>,
    /// The proof: a derived node whose premises are the proofs of the positive body atoms.
    pub proof: Option<NodeId>,
}

/// Every violation of every constraint, by constraint (in the order written) and then by
/// value. Needs a model evaluated with recording on for the proofs.
pub fn violations(ex: &mut Explainer) -> Vec<Violation> {
    let mut out = Vec::new();
    for (i, c) in ex.program.constraints.iter().enumerate() {
        let rel = &ex.program.relations[c.rel];
        let tuples = &ex.model.relations[c.rel];
        for index in crate::base::order::display_order(tuples, &rel.types, ex.symbols) {
            out.push(Violation { constraint: i, tuple: tuples.get(index).to_vec(), proof: None });
        }
    }
    for v in &mut out {
        let rel = ex.program.constraints[v.constraint].rel;
        v.proof = ex.explain(rel, &v.tuple);
    }
    out
}

/// `x = "Kremlin", y = "GNA"`.
pub fn bindings_text(ex: &Explainer, v: &Violation) -> String {
    let rel = &ex.program.relations[ex.program.constraints[v.constraint].rel];
    rel.columns
        .iter()
        .zip(&v.tuple)
        .zip(&rel.types)
        .map(|((name, &value), &ty)| format!("{name} = {}", literal(value, ty, ex.symbols)))
        .join(", ")
}

/// The constraint as written, on one line.
pub fn constraint_text(ex: &Explainer, constraint: usize) -> String {
    one_line(ex.sources.snippet(ex.program.constraints[constraint].span))
}

fn constraint_location(ex: &Explainer, constraint: usize) -> String {
    ex.sources.file_line(ex.program.constraints[constraint].span)
}

/// A violation as text: the constraint, the bindings, and the proof of every body atom
/// down to the statements it rests on.
pub fn render_violation(ex: &Explainer, v: &Violation, grading: Option<&crate::proof::grades::Grading>) -> String {
    let mut out = String::new();
    let _ =
        writeln!(out, "violated: {}  [{}]", constraint_text(ex, v.constraint), constraint_location(ex, v.constraint));
    if let Some(note) = &ex.program.constraints[v.constraint].note {
        let _ = writeln!(out, "│  note: {note}");
    }
    match v.proof {
        // The tree's first line is the hidden relation's tuple and the second the rule (the
        // constraint itself): both are said above. The rest is bindings and premises.
        Some(root) => {
            for line in explain::render_tree_graded(ex, root, None, grading).lines().skip(2) {
                let _ = writeln!(out, "{line}");
            }
        }
        None => {
            let _ = writeln!(out, "   with {}", bindings_text(ex, v));
        }
    }
    out
}

/// A violation as JSON: the constraint, the bindings, the proof DAG of each positive body
/// atom, and the conditions (negations, comparisons) that hold.
pub fn violation_json(ex: &Explainer, v: &Violation) -> Json {
    let c = &ex.program.constraints[v.constraint];
    let file = ex.sources.get(c.span.file);
    let (line, column) = file.line_col(c.span.start as usize);
    let rel = &ex.program.relations[c.rel];
    let bindings: Map<String, Json> = rel
        .columns
        .iter()
        .zip(&v.tuple)
        .zip(&rel.types)
        .map(|((name, &value), &ty)| (name.clone(), crate::base::value::value_json(value, ty, ex.symbols)))
        .collect();
    let (atoms, conditions) = match v.proof.map(|p| &ex.nodes[p].kind) {
        Some(NodeKind::Derived { premises, side, .. }) => (
            premises.iter().map(|&p| explain::proof_json(ex, p)).collect(),
            side.iter().map(|s| Json::from(explain::side_text(ex, s))).collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    json!({
        "constraint": {"text": constraint_text(ex, v.constraint), "file": file.name, "line": line, "column": column, "note": c.note},
        "bindings": bindings,
        "atoms": atoms,
        "conditions": conditions,
    })
}

/// A violation as a diagnostic located at the constraint: a warning for `infer`, or an
/// error under `--deny-contradictions`. The notes say where each colliding atom comes from.
pub fn violation_diagnostic(ex: &Explainer, v: &Violation, deny: bool) -> Diagnostic {
    let bindings = bindings_text(ex, v);
    let message = if bindings.is_empty() {
        "constraint violated".to_string()
    } else {
        format!("constraint violated with {bindings}")
    };
    let d = if deny {
        Diagnostic::error(Code::ContradictionDenied, message)
    } else {
        Diagnostic::warning(Code::Contradiction, message)
    };
    let constraint = &ex.program.constraints[v.constraint];
    let mut d = d.at(constraint.span, "this must never hold, but it does");
    if let Some(note) = &constraint.note {
        d = d.with_note(format!("note: {note}"));
    }
    if let Some(NodeKind::Derived { premises, .. }) = v.proof.map(|p| &ex.nodes[p].kind) {
        for &p in premises {
            d = d.with_note(premise_summary(ex, p));
        }
    }
    d.with_help("`stance contradictions` shows the proof of every atom")
}

/// `recognises("Kremlin", "GNA"): stated in facts/statements.csv:28`.
fn premise_summary(ex: &Explainer, p: NodeId) -> String {
    let node = &ex.nodes[p];
    let atom = atom_text(ex.program, node.rel, &node.tuple, ex.symbols);
    match &node.kind {
        NodeKind::Fact { origins } => match origins.first() {
            Some(Origin::Row(id)) => format!("{atom}: stated in {}", ex.facts.location(*id, ex.sources)),
            Some(Origin::RuleFile(span)) => format!("{atom}: stated in {}", ex.sources.file_line(*span)),
            None => format!("{atom}: given as input"),
        },
        NodeKind::Derived { rule, .. } => {
            format!("{atom}: derived by the rule at {}", ex.sources.file_line(ex.program.rules[*rule].span))
        }
    }
}

/// How a claim would complete a violation: the constraint, the bindings of its named
/// variables, and the other positive body atoms (which hold) with their tuples.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// Index into `program.constraints`.
    pub constraint: usize,
    /// The rule that derives the constraint's hidden relation.
    pub rule: RuleId,
    /// `(variable name, value, type)` for each named variable of the constraint.
    pub bindings: Vec<(String, Value, Type)>,
    /// Every positive body atom under the bindings, in body order; `true` marks the one the
    /// claim unified with.
    pub atoms: Vec<(RelId, Vec<Value>, bool)>,
}

/// Up to `limit` distinct ways in which `rel(tuple)` completes a violation (whether or not
/// the claim holds; if it does, these are the violations it takes part in directly).
pub fn completions(ex: &mut Explainer, rel: RelId, tuple: &[Value], limit: usize) -> Vec<Completion> {
    let program = ex.program;
    let mut out: Vec<Completion> = Vec::new();
    let mut seen = BTreeSet::new();
    for (ci, c) in program.constraints.iter().enumerate() {
        for rule in program.rules.iter().filter(|r| r.head == c.rel) {
            for (pos, lit) in rule.body.iter().enumerate() {
                let Lit::Atom(atom) = lit else { continue };
                if atom.rel != rel || out.len() >= limit {
                    continue;
                }
                let mut env = vec![0; rule.num_vars()];
                let mut bound = vec![false; rule.num_vars()];
                if !unify(atom, tuple, &mut env, &mut bound) {
                    continue;
                }
                // The rest of the body, with the claim's atom taken as holding. Binding its
                // variables early only narrows the literals that come before it.
                let rest: Vec<Lit> =
                    rule.body.iter().enumerate().filter(|&(i, _)| i != pos).map(|(_, l)| l.clone()).collect();
                let mut envs: Vec<Vec<Value>> = Vec::new();
                ex.enumerate(&rest, &mut env, &mut bound, &mut |e| {
                    envs.push(e.to_vec());
                    envs.len() < limit.max(1) * 4
                });
                for e in envs {
                    let bindings: Vec<(String, Value, Type)> = (rule.own_vars().into_iter())
                        .filter(|&v| !rule.var_names[v].starts_with('$'))
                        .map(|v| (rule.var_names[v].clone(), e[v], rule.var_types[v]))
                        .collect();
                    let key = (ci, bindings.iter().map(|b| b.1).collect::<Vec<_>>());
                    if out.len() >= limit || !seen.insert(key) {
                        continue;
                    }
                    let atoms = rule
                        .body
                        .iter()
                        .enumerate()
                        .filter_map(|(i, l)| match l {
                            Lit::Atom(a) => Some((i, a)),
                            _ => None,
                        })
                        .filter_map(|(i, a)| {
                            if i == pos {
                                return Some((a.rel, tuple.to_vec(), true));
                            }
                            let pattern = pattern_under(a, &e);
                            let index = matches(&ex.model.relations[a.rel], &pattern).next()?;
                            Some((a.rel, ex.model.relations[a.rel].get(index).to_vec(), false))
                        })
                        .collect();
                    out.push(Completion { constraint: ci, rule: rule.id, bindings, atoms });
                }
            }
        }
    }
    out
}

/// Binds an atom's variables to a tuple; false when a constant or a repeated variable
/// disagrees.
fn unify(atom: &ir::Atom, tuple: &[Value], env: &mut [Value], bound: &mut [bool]) -> bool {
    for (arg, &v) in atom.args.iter().zip(tuple) {
        match *arg {
            ir::Arg::Const(c) if c != v => return false,
            ir::Arg::Var(x) if bound[x] && env[x] != v => return false,
            ir::Arg::Var(x) => {
                env[x] = v;
                bound[x] = true;
            }
            _ => {}
        }
    }
    true
}

/// An atom's pattern once the whole body is bound (wildcards stay open).
fn pattern_under(atom: &ir::Atom, env: &[Value]) -> Vec<Option<Value>> {
    atom.args
        .iter()
        .map(|a| match *a {
            ir::Arg::Const(c) => Some(c),
            ir::Arg::Var(v) => Some(env[v]),
            ir::Arg::Wildcard => None,
        })
        .collect()
}

/// `x = "Egypt", y = "GNA"` for a completion.
pub fn completion_bindings(ex: &Explainer, c: &Completion) -> String {
    c.bindings.iter().map(|(name, v, ty)| format!("{name} = {}", literal(*v, *ty, ex.symbols))).join(", ")
}

/// A completion as text: the constraint, the bindings, and the proof of each colliding
/// atom (the claim itself is marked, proved if it holds).
pub fn render_completion(ex: &mut Explainer, c: &Completion) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "collides with: {}  [{}]",
        constraint_text(ex, c.constraint),
        constraint_location(ex, c.constraint)
    );
    let _ = writeln!(out, "│  with {}", completion_bindings(ex, c));
    for (i, (rel, tuple, is_claim)) in c.atoms.iter().enumerate() {
        let last = i + 1 == c.atoms.len();
        let (first, rest) = if last { ("└─ ", "   ") } else { ("├─ ", "│  ") };
        let proof = ex.explain(*rel, tuple);
        match proof {
            Some(root) => {
                let tree = explain::render_tree(ex, root, None);
                for (j, line) in tree.lines().enumerate() {
                    let prefix = if j == 0 { first } else { rest };
                    let mark = if j == 0 && *is_claim { "  (the claim)" } else { "" };
                    let _ = writeln!(out, "{prefix}{line}{mark}");
                }
            }
            None => {
                let atom = atom_text(ex.program, *rel, tuple, ex.symbols);
                let _ = writeln!(out, "{first}{atom}  (the claim, if it held)");
            }
        }
    }
    out
}

/// A completion as JSON, in the shape of [`violation_json`] (a claim that does not hold
/// has `"proof": null`).
pub fn completion_json(ex: &mut Explainer, c: &Completion) -> Json {
    let span = ex.program.constraints[c.constraint].span;
    let file = ex.sources.get(span.file);
    let (line, column) = file.line_col(span.start as usize);
    let bindings: Map<String, Json> = c
        .bindings
        .iter()
        .map(|(name, v, ty)| (name.clone(), crate::base::value::value_json(*v, *ty, ex.symbols)))
        .collect();
    let mut atoms = Vec::new();
    for (rel, tuple, is_claim) in &c.atoms {
        let proof = ex.explain(*rel, tuple).map(|root| explain::proof_json(ex, root)).unwrap_or(Json::Null);
        atoms.push(json!({
            "conclusion": atom_text(ex.program, *rel, tuple, ex.symbols),
            "claim": is_claim,
            "proof": proof,
        }));
    }
    json!({
        "constraint": {"text": constraint_text(ex, c.constraint), "file": file.name, "line": line, "column": column},
        "bindings": bindings,
        "atoms": atoms,
    })
}

#[cfg(test)]
mod tests {
    use crate::base::source::FileId;
    use crate::lang::syntax::{ast, parse_file};

    fn columns_of(text: &str) -> Vec<String> {
        let (file, errors) = parse_file(FileId(0), text);
        assert!(errors.is_empty(), "{errors:?}");
        let Some(ast::Item::Rule(rule)) = file.items.first() else { panic!("not a rule") };
        ast::constraint_columns(rule.body.as_ref().unwrap()).into_iter().map(|id| id.name).collect()
    }

    #[test]
    fn columns_are_the_named_variables_every_alternative_shares() {
        assert_eq!(columns_of(":- a(x, y), b(y, z), !c(x)."), ["x", "y", "z"]);
        assert_eq!(columns_of(":- a(_, y), n = count : { b(y, w) }, n > 1."), ["y", "n"]);
        assert_eq!(columns_of(":- (a(x, y); b(y, x)), c(z)."), ["x", "y", "z"]);
        assert_eq!(columns_of(":- a(x); b(y)."), Vec::<String>::new());
        assert_eq!(columns_of(":- a(\"k\")."), Vec::<String>::new());
    }
}
