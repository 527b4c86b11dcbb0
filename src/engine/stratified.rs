//! A defeasible program in layers (Soufflé-style stratification over defeasible conclusions).
//!
//! Negation and aggregates may read a relation that defeasible rules reach once its
//! conclusions are final: `lang::defeasible::layers` puts every relation in a layer, a rule's
//! head above each defeasible relation it reads under `!` or in an aggregate (and refuses a
//! read in a cycle with its own head). The theory is then evaluated once per layer from the
//! bottom: after layer `k`, the defeasibly provable tuples (`+∂`, definite ones included) of
//! every layer-`k` relation read under negation or in an aggregate are copied into a hidden
//! input relation `$final:p`, which those literals read instead of `p` from then on.
//!
//! ```text
//! hedges(x, a, b) :- ..., !aligned(x, b).   is grounded as   hedges(x, a, b) :- ..., !$final:aligned(x, b).
//! $final:aligned = { t | aligned(t) is +∂ in the evaluation of the layers up to aligned's }
//! ```
//!
//! Relations below a layer do not depend on it (a relation and its complement share a
//! layer), so each evaluation concludes the lower layers exactly as the one before, and the
//! last evaluation, of the whole program, is the model. A `$final` relation is an input: the
//! negated or aggregated literal is a condition of the ground rule, not a premise (as a
//! negated literal over a strict relation is). A strict rule with such a condition is read as
//! defeasible: what rests on a defeasible conclusion's failure is at most defeasibly provable.

use crate::base::diag::Diagnostic;
use crate::base::value::{Symbols, Tuples};
use crate::engine::defeasible::{self, Row};
use crate::engine::eval::{EvalOptions, Model};
use crate::lang::ir::{self, Lit, RelId};
use crate::lang::syntax::ast::RuleKind;

/// Evaluates a defeasible program layer by layer (see the module documentation); a program
/// of one layer is evaluated by [`defeasible::evaluate`] directly.
pub fn evaluate(
    program: &ir::Program,
    inputs: Vec<Tuples>,
    rows: Vec<Row>,
    symbols: &mut Symbols,
    options: &EvalOptions,
) -> Result<Model, Diagnostic> {
    let layers = crate::lang::defeasible::layers(program);
    let top = layers.iter().copied().max().unwrap_or(0);
    if top == 0 {
        return defeasible::evaluate(program, inputs, rows, symbols, options);
    }
    let (layered, finals) = rewrite(program, &layers);
    let mut inputs = inputs;
    inputs.extend(finals.iter().map(|&(base, _)| Tuples::new(program.relations[base].arity())));
    let lower = EvalOptions { record: false, ..options.clone() };
    for k in 0..top {
        let model = defeasible::evaluate(&layered, inputs.clone(), rows.clone(), symbols, &lower)?;
        for &(base, hidden) in finals.iter().filter(|&&(base, _)| layers[base] == k) {
            inputs[hidden] = model.relations[base].clone();
        }
    }
    let mut model = defeasible::evaluate(&layered, inputs, rows, symbols, options)?;
    model.keep_relations(program.relations.len());
    Ok(model)
}

/// The program whose negations and aggregates over defeasible relations read `$final:p`
/// instead of `p`, and the `(p, $final:p)` pairs. Each `$final:p` joins `p`'s stratum, so
/// strata (and the model's packing of annotations) stay those of `program`.
fn rewrite(program: &ir::Program, layers: &[u32]) -> (ir::Program, Vec<(RelId, RelId)>) {
    let reached = crate::lang::defeasible::defeasible_relations(program);
    let mut layered = program.clone();
    let mut finals: Vec<(RelId, RelId)> = Vec::new();
    let mut rules = std::mem::take(&mut layered.rules);
    for rule in &mut rules {
        if layers[rule.head] == 0 {
            continue;
        }
        let mut hide = |rel: RelId| -> RelId {
            if !reached[rel] {
                return rel;
            }
            if let Some(&(_, hidden)) = finals.iter().find(|&&(base, _)| base == rel) {
                return hidden;
            }
            let base = &program.relations[rel];
            let hidden = layered.add_relation(ir::Relation {
                name: format!("$final:{}", base.name),
                inputs: Vec::new(),
                outputs: Vec::new(),
                printsize: false,
                from_statements: false,
                ..base.clone()
            });
            if let Some(stratum) = layered.strata.iter_mut().find(|s| s.relations.contains(&rel)) {
                stratum.relations.push(hidden);
            }
            finals.push((rel, hidden));
            hidden
        };
        if hide_reads(&mut rule.body, false, &mut hide) && layered.defeasible.kind(rule.id) == RuleKind::Strict {
            // What rests on a defeasible conclusion's failure is not definite.
            layered.defeasible.add_rule(rule.id, RuleKind::Defeasible, None);
        }
    }
    layered.rules = rules;
    (layered, finals)
}

/// Points every negated atom of `body`, and every atom of its aggregates, at `hide(rel)`;
/// whether any changed.
fn hide_reads(body: &mut [Lit], inside: bool, hide: &mut impl FnMut(RelId) -> RelId) -> bool {
    let mut changed = false;
    for lit in body {
        let atom = match lit {
            Lit::Atom(a) if inside => a,
            Lit::Negated(a) => a,
            Lit::Aggregate { body, .. } => {
                changed |= hide_reads(body, true, hide);
                continue;
            }
            _ => continue,
        };
        let hidden = hide(atom.rel);
        changed |= hidden != atom.rel;
        atom.rel = hidden;
    }
    changed
}
