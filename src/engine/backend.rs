//! The engine boundary: what an evaluator takes and what it must give back, so that the rest
//! of the pipeline (provenance, review, pictures) does not know which one ran.
//!
//! An evaluator takes the checked program, its plan, the input tuples of every relation and
//! the options (limits, recording), and returns a [`Model`]: every relation's tuples, sorted
//! and without duplicates, and, when `options.record` is set, an [`Annotation`] per derived
//! tuple. The **provenance contract** is what annotations must satisfy: a tuple annotated
//! with round `r` of stratum `s` and rule `R` has a derivation by `R` whose premises are
//! inputs, tuples of strata before `s`, or tuples of `s` annotated with rounds before `r`.
//! Proof search (`proof::provenance`) relies on nothing else, so any evaluator that keeps
//! the contract gets explanations for free. See `docs/ARCHITECTURE.md`.
//!
//! Two evaluators implement it: [`Engine::Datafrog`], the semi-naive fixpoint on datafrog
//! (`engine::eval`), and [`Engine::Simple`], a plain naive evaluator over the IR
//! (`engine::simple`) kept as a reference. [`Engine::Compare`] runs both and fails on any
//! difference, as polonius's `Algorithm::Compare` does. [`Engine::Dd`] evaluates on
//! differential dataflow (`engine::dd`: threads, processes, live updates); it records
//! nothing, so when proofs are asked for, datafrog re-derives the model with recording and
//! the two must agree ([`Dd`]). [`Engine::CompareDd`] compares dd with datafrog.
//!
//! [`Annotation`]: crate::engine::eval::Annotation

use crate::base::diag::{Code, Diagnostic};
use crate::base::value::{Symbols, Tuples, Type, display};
use crate::engine::eval::{self, EvalOptions, Model};
use crate::engine::plan::Plan;
use crate::engine::simple;
use crate::lang::ir;

/// Which evaluator runs a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// Semi-naive evaluation on datafrog, with join plans and indices.
    #[default]
    Datafrog,
    /// Naive evaluation straight over the IR: slow, small, a reference.
    Simple,
    /// Both, failing on any difference between their models.
    Compare,
    /// Differential dataflow (`engine::dd`).
    Dd,
    /// Datafrog and dd, failing on any difference between their models.
    CompareDd,
}

impl Engine {
    /// The name `--engine` takes.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Datafrog => "datafrog",
            Engine::Simple => "simple",
            Engine::Compare => "compare",
            Engine::Dd => "dd",
            Engine::CompareDd => "compare-dd",
        }
    }
}

/// An evaluator behind the boundary.
pub trait Backend {
    /// Evaluates `program` over `inputs` (per relation, any order, duplicates allowed).
    fn evaluate(
        &self,
        program: &ir::Program,
        plan: &Plan,
        inputs: Vec<Tuples>,
        symbols: &mut Symbols,
        options: &EvalOptions,
    ) -> Result<Model, Diagnostic>;
}

/// The datafrog evaluator.
pub struct Datafrog;

impl Backend for Datafrog {
    fn evaluate(
        &self,
        program: &ir::Program,
        plan: &Plan,
        inputs: Vec<Tuples>,
        symbols: &mut Symbols,
        options: &EvalOptions,
    ) -> Result<Model, Diagnostic> {
        eval::evaluate(program, plan, inputs, symbols, options)
    }
}

/// The plain evaluator.
pub struct Simple;

impl Backend for Simple {
    fn evaluate(
        &self,
        program: &ir::Program,
        _plan: &Plan,
        inputs: Vec<Tuples>,
        symbols: &mut Symbols,
        options: &EvalOptions,
    ) -> Result<Model, Diagnostic> {
        simple::evaluate(program, inputs, symbols, options)
    }
}

/// Both evaluators; the datafrog model is returned when they agree.
pub struct Compare;

impl Backend for Compare {
    fn evaluate(
        &self,
        program: &ir::Program,
        plan: &Plan,
        inputs: Vec<Tuples>,
        symbols: &mut Symbols,
        options: &EvalOptions,
    ) -> Result<Model, Diagnostic> {
        let fast = Datafrog.evaluate(program, plan, inputs.clone(), symbols, options)?;
        // Same symbol table: a string either engine computes gets the same id in both.
        let plain = Simple.evaluate(program, plan, inputs, symbols, options)?;
        agree("compare", program, fast, &plain, "simple", symbols)
    }
}

/// The differential-dataflow evaluator. Its model has no annotations; with
/// `options.record`, the datafrog engine re-derives it with recording (for `explain` and
/// `why-not`, on the goal-directed rewrite, so only what the goal needs), and that model,
/// which must equal dd's, is returned: proofs of dd's tuples are datafrog's derivations.
pub struct Dd;

impl Backend for Dd {
    fn evaluate(
        &self,
        program: &ir::Program,
        plan: &Plan,
        inputs: Vec<Tuples>,
        symbols: &mut Symbols,
        options: &EvalOptions,
    ) -> Result<Model, Diagnostic> {
        if !options.record {
            return dd_model(program, inputs, symbols, options);
        }
        if options.cluster.is_distributed() {
            // Each process loaded only its part of the facts (`facts::part`): none has what
            // datafrog's re-derivation needs.
            return Err(Diagnostic::error(
                Code::Limit,
                "the dd engine on several processes cannot prove its tuples: each process reads only its part of the facts",
            )
            .with_help("leave out --processes for proofs and constraint violations, or use `--engine datafrog`"));
        }
        let model = dd_model(program, inputs.clone(), symbols, options)?;
        let recorded = eval::evaluate(program, plan, inputs, symbols, options)?;
        agree("dd", program, recorded, &model, "dd", symbols)
    }
}

/// Datafrog and dd; the datafrog model is returned when they agree.
pub struct CompareDd;

impl Backend for CompareDd {
    fn evaluate(
        &self,
        program: &ir::Program,
        plan: &Plan,
        inputs: Vec<Tuples>,
        symbols: &mut Symbols,
        options: &EvalOptions,
    ) -> Result<Model, Diagnostic> {
        let fast = Datafrog.evaluate(program, plan, inputs.clone(), symbols, options)?;
        let dd = dd_model(program, inputs, symbols, options)?;
        agree("compare-dd", program, fast, &dd, "dd", symbols)
    }
}

/// dd's model of `program` (on process 0 of several: the others get empty relations).
#[cfg(feature = "dd")]
fn dd_model(
    program: &ir::Program,
    inputs: Vec<Tuples>,
    symbols: &mut Symbols,
    options: &EvalOptions,
) -> Result<Model, Diagnostic> {
    let session = crate::engine::dd::Session::start(program, inputs, symbols, options, false)?;
    let relations = session.model(program);
    let (table, failure) = session.finish();
    *symbols = table;
    match failure {
        Some(d) => Err(d),
        None => Ok(Model::from_evaluator(program, relations, None)),
    }
}

/// Without the `dd` feature: an error saying so.
#[cfg(not(feature = "dd"))]
fn dd_model(_: &ir::Program, _: Vec<Tuples>, _: &mut Symbols, _: &EvalOptions) -> Result<Model, Diagnostic> {
    Err(Diagnostic::error(Code::Limit, "this stance was built without the dd engine (cargo feature `dd`)")
        .with_help("use `--engine datafrog`, or build with `--features dd`"))
}

/// `datafrog`'s model when `other`'s (by engine `name`) has the same tuples; an error naming
/// the first tuple only one of them has, for `--engine mode`.
fn agree(
    mode: &str,
    program: &ir::Program,
    datafrog: Model,
    other: &Model,
    name: &str,
    symbols: &Symbols,
) -> Result<Model, Diagnostic> {
    match first_difference(program, &datafrog, other, name, symbols) {
        None => Ok(datafrog),
        Some(difference) => Err(Diagnostic::error(
            Code::Limit,
            format!("--engine {mode}: the datafrog and {name} engines disagree: {difference}"),
        )),
    }
}

/// Runs the chosen engine. Without `options.max_memory`, the run gets the default memory
/// budget ([`crate::engine::limits::default_max_memory`]).
pub fn evaluate(
    engine: Engine,
    program: &ir::Program,
    plan: &Plan,
    inputs: Vec<Tuples>,
    symbols: &mut Symbols,
    options: &EvalOptions,
) -> Result<Model, Diagnostic> {
    evaluate_guarded(engine, program, plan, inputs, symbols, options, None)
}

/// [`evaluate`], with a hook for a stopped run stuck in one of datafrog's sorts (see
/// [`eval::OnStuck`]; the datafrog engine only).
pub fn evaluate_guarded(
    engine: Engine,
    program: &ir::Program,
    plan: &Plan,
    inputs: Vec<Tuples>,
    symbols: &mut Symbols,
    options: &EvalOptions,
    on_stuck: Option<eval::OnStuck>,
) -> Result<Model, Diagnostic> {
    let mut options = options.clone();
    if options.max_memory.is_none() {
        options.max_memory = crate::engine::limits::default_max_memory();
    }
    if !matches!(engine, Engine::Datafrog) {
        // Only the datafrog engine keeps `eqrel` classes; the comparing engines compare pairs.
        options.hold_classes.clear();
    }
    let backend: &dyn Backend = match engine {
        Engine::Datafrog => return eval::evaluate_guarded(program, plan, inputs, symbols, &options, on_stuck),
        Engine::Simple => &Simple,
        Engine::Compare => &Compare,
        Engine::Dd => &Dd,
        Engine::CompareDd => &CompareDd,
    };
    backend.evaluate(program, plan, inputs, symbols, &options)
}

/// The first tuple that one model has and the other lacks, as text.
fn first_difference(program: &ir::Program, a: &Model, b: &Model, name: &str, symbols: &Symbols) -> Option<String> {
    for (rel, decl) in program.relations.iter().enumerate() {
        let (x, y) = (&a.relations[rel], &b.relations[rel]);
        let only = |from: &Tuples, other: &Tuples| {
            let theirs: std::collections::BTreeSet<&[u32]> = other.iter().collect();
            from.iter().find(|t| !theirs.contains(t)).map(|t| t.to_vec())
        };
        let show = |t: Vec<u32>| tuple_text(decl, &t, symbols);
        if let Some(t) = only(x, y) {
            return Some(format!("{} only in datafrog's model ({} against {} tuples)", show(t), x.len(), y.len()));
        }
        if let Some(t) = only(y, x) {
            return Some(format!(
                "{} only in the {name} engine's model ({} against {} tuples)",
                show(t),
                y.len(),
                x.len()
            ));
        }
    }
    None
}

/// `name("a", 1)`: a tuple as it would be written in a rule file.
fn tuple_text(decl: &ir::Relation, tuple: &[u32], symbols: &Symbols) -> String {
    let args: Vec<String> = tuple
        .iter()
        .zip(&decl.types)
        .map(|(&v, &t)| match t {
            Type::Symbol => format!("{:?}", display(v, t, symbols)),
            _ => display(v, t, symbols),
        })
        .collect();
    format!("{}({})", decl.name, args.join(", "))
}
