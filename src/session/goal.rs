//! Goal-directed evaluation for `query`, `explain` and `why-not` (and `.pragma
//! "magic-transform"`): the program is rewritten for the claim's bound columns
//! ([`crate::lang::magic`]), the rewrite is evaluated, and its tuples are handed back as a
//! *partial model of the original program*: the tuples of the original relations that the
//! query needed, annotated with the original rules. Proofs are then rebuilt on the original
//! program as after a full evaluation, and reach the same statement rows.
//!
//! The annotations keep the provenance contract (`engine::backend`): the rewrite's rounds are
//! numbered across its strata (each stratum starting after the last round of the one before),
//! a tuple that several adorned copies hold keeps its earliest, and a tuple copied from a
//! relation's inputs stays an input.

use super::input_tuples;
use crate::base::diag::Diagnostic;
use crate::base::value::{Symbols, Tuples, Value};
use crate::engine::backend;
use crate::engine::eval::{Annotation, EvalOptions, INPUT, Model};
use crate::engine::plan;
use crate::facts::load::Facts;
use crate::lang::ir::{Program, RelId};
use crate::lang::magic::{self, Rewrite};
use std::collections::BTreeMap;

/// Evaluates only what `rel(bound...)` needs, on a checked program and its facts. `Ok(None)`
/// when the rewrite does not apply (nothing bound, or the relation is evaluated in full
/// anyway): evaluate in full instead.
pub fn evaluate_for(
    program: &Program,
    facts: &Facts,
    symbols: &mut Symbols,
    rel: RelId,
    bound: &[Option<Value>],
    options: &EvalOptions,
) -> Result<Option<Model>, Diagnostic> {
    // A defeasible conclusion depends on its attackers, which a magic rewrite would not
    // evaluate: defeasible theories are evaluated whole.
    if program.defeasible.is_active() {
        return Ok(None);
    }
    match magic::rewrite(program, rel, bound) {
        Some(rewrite) => evaluate_rewrite(program, facts, symbols, &rewrite, options).map(Some),
        None => Ok(None),
    }
}

/// Answers `rel(bound...)` for an `eqrel` relation `rel` that no rule reads, for a caller
/// that shows the matching tuples without proofs (`stance query`): the program is evaluated
/// with `rel` kept as its classes (`engine::eqrel`), and the model lists only the pairs of
/// the bound values' classes, so a class of n members costs n values, not n² pairs.
/// When a rule reads `rel`, its pairs are listed and the model is the full one. `Ok(None)`
/// when `rel` is not an `eqrel` relation, nothing is bound, or another engine than
/// datafrog runs: evaluate otherwise.
pub fn evaluate_eqrel_pattern(
    program: &Program,
    facts: &Facts,
    symbols: &mut Symbols,
    rel: RelId,
    bound: &[Option<Value>],
    options: &EvalOptions,
) -> Result<Option<Model>, Diagnostic> {
    let [x, y] = bound else { return Ok(None) };
    let datafrog = matches!(options.engine, backend::Engine::Datafrog);
    if !datafrog || !program.eqrel.iter().any(|e| e.rel == rel) || (x.is_none() && y.is_none()) {
        return Ok(None);
    }
    if program.defeasible.is_active() {
        return Ok(None);
    }
    let options = EvalOptions { hold_classes: vec![rel], ..options.clone() };
    let inputs = input_tuples(program, facts);
    let plan = plan::plan_with(program, &plan::Stats::of_inputs(program, inputs.iter().enumerate()));
    let mut model = backend::evaluate(options.engine, program, &plan, inputs, symbols, &options)?;
    // Not held (a rule reads it): the model is the full one.
    if let Some(classes) = model.classes.remove(&rel) {
        model.relations[rel] = classes.matching([*x, *y]);
    }
    Ok(Some(model))
}

/// Evaluates a program with `.pragma "magic-transform"` on demand for the relations a run
/// shows (`roots`, complete: every column free). `Ok(None)` when there is nothing to
/// rewrite, or the program has constraints (whose violations need the full model).
pub fn evaluate_for_pragma(
    program: &Program,
    facts: &Facts,
    symbols: &mut Symbols,
    roots: &[RelId],
    options: &EvalOptions,
) -> Result<Option<Model>, Diagnostic> {
    if program.magic_transform.is_empty() || !program.constraints.is_empty() {
        return Ok(None);
    }
    match magic::rewrite_for_pragma(program, roots) {
        Some(rewrite) => evaluate_rewrite(program, facts, symbols, &rewrite, options).map(Some),
        None => Ok(None),
    }
}

/// Evaluates a rewrite and presents its tuples as a partial model of `program`.
fn evaluate_rewrite(
    program: &Program,
    facts: &Facts,
    symbols: &mut Symbols,
    rewrite: &Rewrite,
    options: &EvalOptions,
) -> Result<Model, Diagnostic> {
    let mut inputs = input_tuples(program, facts);
    inputs.extend(rewrite.program.relations[inputs.len()..].iter().map(|r| Tuples::new(r.arity())));
    for fact in &rewrite.program.facts[program.facts.len()..] {
        inputs[fact.rel].push(&fact.values);
    }
    // Magic sets hold the bindings the query demands: few, so the planner reads them first,
    // as the rewrite intends.
    let mut stats = plan::Stats::of_inputs(&rewrite.program, inputs.iter().enumerate());
    for (rel, decl) in rewrite.program.relations.iter().enumerate() {
        if rewrite.origin_relation[rel].is_none() {
            stats.assume(rel, decl.arity(), 1);
        }
    }
    let plan = plan::plan_with(&rewrite.program, &stats);
    // The partial model is built from listed tuples: no relation is held as classes.
    let mut options = EvalOptions { hold_classes: Vec::new(), ..options.clone() };
    // On a terminal, the progress line, naming the rewrite's strata.
    let progress = crate::engine::progress::start_for(&rewrite.program, &plan, &mut options);
    let model = backend::evaluate(options.engine, &rewrite.program, &plan, inputs, symbols, &options);
    drop(progress);
    let model = model?;
    Ok(partial_model(program, rewrite, &model, options.record))
}

/// The rewrite's tuples as a model of the original program.
fn partial_model(program: &Program, rewrite: &Rewrite, model: &Model, record: bool) -> Model {
    // Rounds numbered across the rewrite's strata.
    let strata = rewrite.program.strata.len();
    let mut last_round = vec![0u32; strata];
    for (rel, tuples) in model.relations.iter().enumerate() {
        for i in 0..tuples.len() {
            if let Some(a) = model.annotation(rel, i).filter(|a| a.rule != INPUT) {
                let s = model.stratum_of[rel];
                last_round[s] = last_round[s].max(a.round);
            }
        }
    }
    let mut offset = vec![0u32; strata];
    for s in 1..strata {
        offset[s] = offset[s - 1] + last_round[s - 1] + 1;
    }
    let mut gathered: Vec<BTreeMap<Vec<Value>, Annotation>> = vec![BTreeMap::new(); program.relations.len()];
    for (rel, tuples) in model.relations.iter().enumerate() {
        let Some(original) = rewrite.original_relation(rel) else { continue };
        for (i, tuple) in tuples.iter().enumerate() {
            let annotation = match model.annotation(rel, i) {
                Some(a) if a.rule != INPUT => match rewrite.original_rule(a.rule as usize) {
                    Some(rule) => Annotation { round: offset[model.stratum_of[rel]] + a.round, rule: rule as u32 },
                    None => Annotation { round: 0, rule: INPUT },
                },
                _ => Annotation { round: 0, rule: INPUT },
            };
            gathered[original]
                .entry(tuple.to_vec())
                .and_modify(|known| {
                    if (annotation.rule != INPUT, annotation.round) < (known.rule != INPUT, known.round) {
                        *known = annotation;
                    }
                })
                .or_insert(annotation);
        }
    }
    let relations = gathered
        .iter()
        .enumerate()
        .map(|(rel, rows)| {
            let mut t = Tuples::new(program.relations[rel].arity());
            rows.keys().for_each(|row| t.push(row));
            t
        })
        .collect();
    let annotations = record.then(|| gathered.iter().map(|rows| rows.values().copied().collect()).collect());
    Model::from_evaluator(program, relations, annotations)
}
