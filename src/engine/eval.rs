//! Evaluation on datafrog: one `Iteration` per stratum, run semi-naively to a fixpoint.
//!
//! Tuples are fixed-width rows `[Value; R]` (unused trailing columns are zero), so datafrog
//! sorts and merges plain arrays instead of boxed vectors; a rule's bindings live in an
//! environment `[Value; E]`. `R` (the widest relation) and `E` (the most variables of a
//! rule) are picked once per program: tuples, the bulk of memory, are as narrow as the
//! relations allow even when rules bind more variables. Relations of lower strata are
//! complete `Relation`s probed through sorted indices; relations of the current stratum are
//! `Variable`s.
//!
//! For provenance, the evaluator can record for every derived tuple the round in which it
//! first appeared and the rule that produced it, outside the tuple (a tuple's identity is
//! its values).

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::Span;
pub use crate::base::value::Tuples;
use crate::base::value::{
    Float, Number, Symbols, Type, Unsigned, Value, from_float, from_number, from_unsigned, numeric_key, to_float,
    to_number, to_unsigned,
};
use crate::engine::index::Index;
use crate::engine::limits::{self, CancelToken, Stop, StopReason};
use crate::engine::parallel::{self, gallop};
use crate::engine::plan::{
    ColAction, Column, DynJoin, Extension, IndexSpec, KeyPart, Leaper, Op, Plan, RulePlan, Source, StratumPlan,
};
use crate::lang::functors::{self, Range};
use crate::lang::ir::{self, Expr, RelId, RuleId};
use crate::lang::syntax::ast::{AggregateFunc, CompareOp};
use datafrog::{Iteration, Relation, Variable};
use std::cmp::Ordering;
use std::sync::mpsc;
use std::time::Instant;

/// Limits and switches for one evaluation.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Record the round and rule of every derived tuple (needed by provenance).
    pub record: bool,
    /// Stop when a relation grows beyond this many tuples.
    pub max_tuples: Option<usize>,
    /// Stop after this much time.
    pub deadline: Option<Instant>,
    /// Stop when the process's resident memory grows beyond this many bytes (read every
    /// few milliseconds by a watchdog thread; Linux only). `None`: no budget here, but
    /// `engine::backend::evaluate` gives one by default ([`limits::default_max_memory`]).
    pub max_memory: Option<u64>,
    /// Stops the run from another thread (see [`CancelToken`]).
    pub cancel: Option<CancelToken>,
    /// Which evaluator runs the program (see [`crate::engine::backend`]).
    pub engine: crate::engine::backend::Engine,
    /// Worker threads and processes for `--engine dd` (the other engines use one thread).
    pub cluster: crate::engine::dd::Cluster,
    /// How a defeasible program treats ambiguity (`--defeasible`).
    pub defeasible: crate::engine::defeasible::Policy,
    /// Where the evaluator reports its progress and each rule's time (`--profile`, the
    /// progress line; see [`crate::engine::profile`]).
    pub profile: Option<std::sync::Arc<crate::engine::profile::Recorder>>,
    /// Show the progress line on standard error while the program evaluates (the CLI sets
    /// it from [`crate::engine::progress::wanted`]; see [`crate::engine::progress::start_for`]).
    pub progress: bool,
    /// `eqrel` relations the caller reads only through [`Model::count`] and
    /// [`Model::classes`] (`.printsize`, `.output` files): the datafrog engine keeps each of
    /// them as its classes, without listing its Σ n² pairs, when no rule reads it. Other
    /// engines list the pairs.
    pub hold_classes: Vec<RelId>,
    /// Whether the pairs of a relation held as classes count against `max_tuples`: yes
    /// when the caller shows them all (`infer`'s `.printsize` and `.output`), no when it shows
    /// a few classes' (`query`), whose classes cost memory by member, not by pair.
    pub limit_held_pairs: bool,
}

/// How a derived tuple first appeared: in which round of its stratum, by which rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Annotation {
    /// The round of its stratum in which the tuple first appeared.
    pub round: u32,
    /// The rule that derived it ([`INPUT`] for an input tuple).
    pub rule: u32,
}

/// An `eqrel` relation of a stratum, closed by a union-find (`engine::eqrel`).
struct Closure {
    /// Its variable among the stratum's.
    var: usize,
    /// The slots of its reflexive and transitive rules, which annotate the pairs it adds.
    slots: [u32; 2],
    /// Its classes so far.
    classes: crate::engine::eqrel::Classes,
    /// Whether the model keeps the classes instead of the pairs (nothing reads them).
    held: bool,
}

/// Annotation of tuples given as input rather than derived.
pub const INPUT: u32 = u32::MAX;

/// The result of evaluation: every relation's tuples, with annotations when recorded.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Every relation's tuples, by [`RelId`], sorted.
    pub relations: Vec<Tuples>,
    /// Per relation, aligned with its tuples (empty when not recorded), packed as
    /// [`Packing`] says: 4 bytes per tuple.
    annotations: Vec<Vec<u32>>,
    /// Per relation, how its stratum packed the annotations.
    packings: Vec<Packing>,
    /// Index of the stratum that computed each relation.
    pub stratum_of: Vec<usize>,
    /// A defeasible program's ground theory and every literal's status
    /// (`engine::defeasible`); `None` for a program of strict rules.
    pub defeasible: Option<std::sync::Arc<crate::engine::defeasible::Conclusions>>,
    /// The `eqrel` relations held as classes (see [`EvalOptions::hold_classes`]): their
    /// entry in `relations` is empty, and their pairs are these classes'.
    pub classes: std::collections::BTreeMap<RelId, crate::engine::eqrel::Partition>,
}

impl Model {
    /// A model of given tuples, without annotations (e.g. a subset to print).
    pub fn unrecorded(relations: Vec<Tuples>) -> Model {
        Model { relations, ..Default::default() }
    }

    /// Keeps the first `n` relations (drops relations an evaluator added after the program's
    /// own, such as `engine::stratified`'s hidden inputs).
    pub fn keep_relations(&mut self, n: usize) {
        self.relations.truncate(n);
        self.annotations.truncate(n);
        self.packings.truncate(n);
        self.stratum_of.truncate(n);
    }

    /// A model computed by another evaluator behind the [`crate::engine::backend`] boundary:
    /// `relations` sorted and without duplicates, and, when recorded, `annotations[rel][i]`
    /// for tuple `i`, whose `rule` is a rule of the relation's stratum or [`INPUT`].
    pub fn from_evaluator(
        program: &ir::Program,
        relations: Vec<Tuples>,
        annotations: Option<Vec<Vec<Annotation>>>,
    ) -> Model {
        let n = relations.len();
        let mut packings = vec![Packing::default(); n];
        let mut stratum_of = vec![0; n];
        for (i, stratum) in program.strata.iter().enumerate() {
            let packing = Packing::new(stratum.rules.iter().map(|&r| r as u32).collect());
            for &rel in &stratum.relations {
                stratum_of[rel] = i;
                packings[rel] = packing.clone();
            }
        }
        let annotations = annotations
            .map(|per_rel| {
                per_rel
                    .iter()
                    .enumerate()
                    .map(|(rel, anns)| {
                        let packing = &packings[rel];
                        anns.iter()
                            .map(|a| {
                                let slot = if a.rule == INPUT {
                                    packing.input_slot()
                                } else {
                                    packing.rules.iter().position(|&r| r == a.rule).unwrap_or(0) as u32
                                };
                                packing.pack(a.round.min(packing.max_round()), slot)
                            })
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default();
        Model { relations, annotations, packings, stratum_of, defeasible: None, classes: Default::default() }
    }

    /// The number of tuples of `rel`, whether listed or held as classes.
    pub fn count(&self, rel: RelId) -> u64 {
        self.classes.get(&rel).map_or(self.relations[rel].len() as u64, |p| p.pairs())
    }

    /// How the tuple at `index` of `rel` first appeared; `None` when not recorded.
    pub fn annotation(&self, rel: RelId, index: usize) -> Option<Annotation> {
        let packed = *self.annotations.get(rel)?.get(index)?;
        Some(self.packings[rel].unpack(packed))
    }
}

/// A stratum's annotations in 32 bits: the round in the high bits and, in the low
/// `slot_bits`, the position of the rule among the stratum's rules (all ones for input
/// tuples). Half the size of an [`Annotation`], so that recording adds 4 bytes per tuple.
#[derive(Debug, Clone, Default)]
struct Packing {
    slot_bits: u32,
    /// The rule at each position.
    rules: Vec<u32>,
}

impl Packing {
    fn new(rules: Vec<u32>) -> Packing {
        // Room for every rule's position and the input marker.
        let slot_bits = u32::BITS - (rules.len() as u32).leading_zeros();
        Packing { slot_bits: slot_bits.max(1), rules }
    }

    fn input_slot(&self) -> u32 {
        (1 << self.slot_bits) - 1
    }

    /// The last round whose number fits.
    fn max_round(&self) -> u32 {
        u32::MAX >> self.slot_bits
    }

    fn pack(&self, round: u32, slot: u32) -> u32 {
        (round << self.slot_bits) | slot
    }

    fn unpack(&self, packed: u32) -> Annotation {
        let (round, slot) = (packed >> self.slot_bits, packed & self.input_slot());
        let rule = if slot == self.input_slot() { INPUT } else { self.rules[slot as usize] };
        Annotation { round, rule }
    }
}

/// Evaluates the program over the input tuples (per relation, any order, duplicates allowed).
pub fn evaluate(
    program: &ir::Program,
    plan: &Plan,
    inputs: Vec<Tuples>,
    symbols: &mut Symbols,
    options: &EvalOptions,
) -> Result<Model, Diagnostic> {
    evaluate_guarded(program, plan, inputs, symbols, options, None)
}

/// What to do with a run that was asked to stop (a limit, the cancel token) but does not
/// come back within [`limits::grace`], because it is inside one of datafrog's sorts or
/// merges: given the limit's diagnostic. The command line prints it and ends the process.
pub type OnStuck<'h> = &'h (dyn Fn(Diagnostic) + Sync);

/// [`evaluate`], with a hook for a run that does not stop in time. A watchdog thread runs
/// beside the evaluation when there is a deadline, a memory budget or a cancel token.
pub fn evaluate_guarded(
    program: &ir::Program,
    plan: &Plan,
    inputs: Vec<Tuples>,
    symbols: &mut Symbols,
    options: &EvalOptions,
    on_stuck: Option<OnStuck>,
) -> Result<Model, Diagnostic> {
    let stop = Stop::new();
    if options.deadline.is_none() && options.max_memory.is_none() && options.cancel.is_none() {
        return dispatch(program, plan, inputs, symbols, options, &stop);
    }
    std::thread::scope(|scope| {
        let (done, finished) = mpsc::channel::<()>();
        let stop = &stop;
        scope.spawn(move || watchdog(program, options, stop, finished, on_stuck));
        let result = dispatch(program, plan, inputs, symbols, options, stop);
        drop(done);
        result
    })
}

/// Raises the stop flag when the deadline passes, the memory budget is exceeded or the run
/// is cancelled, and calls `on_stuck` if the run does not come back within the grace period.
fn watchdog(
    program: &ir::Program,
    options: &EvalOptions,
    stop: &Stop,
    finished: mpsc::Receiver<()>,
    on_stuck: Option<OnStuck>,
) {
    let grace = limits::grace(options.deadline.map(|d| d.saturating_duration_since(Instant::now())));
    let mut stopped_at: Option<Instant> = None;
    loop {
        if finished.recv_timeout(limits::POLL) != Err(mpsc::RecvTimeoutError::Timeout) {
            return; // the run is over
        }
        match stopped_at {
            None => {
                if options.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                    stop.request(StopReason::Cancelled);
                }
                if options.deadline.is_some_and(|d| Instant::now() >= d) {
                    stop.request(StopReason::Timeout);
                }
                if let Some(max) = options.max_memory
                    && limits::resident_bytes().is_some_and(|rss| rss > max)
                {
                    stop.request(StopReason::Memory);
                }
                if stop.is_requested() {
                    stopped_at = Some(Instant::now());
                }
            }
            Some(at) if at.elapsed() >= grace => {
                if let (Some(hook), Some(reason)) = (on_stuck, stop.reason()) {
                    hook(limit_diagnostic(program, options, reason, stop.rule(), None));
                }
                return;
            }
            Some(_) => {}
        }
    }
}

/// The error for a run stopped by `reason` while `rule` ran (its head is the relation that
/// grew); `largest` is the biggest relation (id, tuples) when known, for the memory budget.
/// Every engine reports its limits with it.
pub fn limit_diagnostic(
    program: &ir::Program,
    options: &EvalOptions,
    reason: StopReason,
    rule: Option<RuleId>,
    largest: Option<(RelId, usize)>,
) -> Diagnostic {
    let rule = rule.map(|r| &program.rules[r]);
    let rel = rule.map(|r| r.head).or(largest.map(|(r, _)| r));
    let name = rel.map_or("?", |r| program.relations[r].name.as_str());
    let mut d = match reason {
        StopReason::Tuples => Diagnostic::error(
            Code::Limit,
            format!("relation `{name}` grew beyond {} tuples (--max-tuples); stopped", options.max_tuples.unwrap_or(0)),
        )
        .with_help("a rule may generate values without bound; raise the limit if this is expected"),
        StopReason::Timeout => {
            Diagnostic::error(Code::Limit, format!("evaluation ran out of time (--timeout) while computing `{name}`"))
        }
        StopReason::Memory => Diagnostic::error(
            Code::Limit,
            format!(
                "evaluation used more than {} of memory (--max-memory) while computing `{name}`; stopped",
                limits::format_bytes(options.max_memory.unwrap_or(0))
            ),
        )
        .with_help(
            "a rule may generate values without bound; raise --max-memory if this is expected \
             (the default is half the memory available when the run starts)",
        ),
        StopReason::Cancelled => {
            Diagnostic::error(Code::Interrupted, format!("evaluation was cancelled while computing `{name}`"))
        }
    };
    if let Some(rule) = rule {
        d = d.at(rule.span, "this rule was running");
    }
    if reason == StopReason::Memory
        && let Some((big, tuples)) = largest
    {
        d = d.with_note(format!("the largest relation, `{}`, held {tuples} tuples", program.relations[big].name));
    }
    d
}

fn dispatch(
    program: &ir::Program,
    plan: &Plan,
    inputs: Vec<Tuples>,
    symbols: &mut Symbols,
    options: &EvalOptions,
    stop: &Stop,
) -> Result<Model, Diagnostic> {
    prepare_symbols(program, symbols);
    let (r, e) = widths(plan);
    // Each (R, E) pair is a separate instantiation of the evaluator: the pairs are limited
    // to R <= E <= 2R (a rule binding more variables widens R instead) to bound code size.
    macro_rules! dispatch {
        ($(($r:literal, $e:literal))*) => {
            $(if (r, e) == ($r, $e) {
                return if options.record {
                    Evaluator::<$r, $e, Recorded>::new(program, plan, symbols, options, stop).run(inputs)
                } else {
                    Evaluator::<$r, $e, ()>::new(program, plan, symbols, options, stop).run(inputs)
                };
            })*
        };
    }
    dispatch!((2, 2)(2, 3)(2, 4)(3, 3)(3, 4)(3, 6)(4, 4)(4, 6)(4, 8)(6, 6)(6, 8)(6, 12)(8, 8)(8, 12)(8, 16)(12, 12)(
        12, 16
    )(16, 16)(16, 32)(32, 32)(32, 64)(64, 64));
    Err(Diagnostic::error(
        Code::Limit,
        format!(
            "a relation has {} columns and a rule {} variables; at most 64 of each are supported",
            plan.row_width, plan.env_width
        ),
    ))
}

/// Widths from the supported sizes: the smallest `R` that holds every tuple and `E` that
/// holds every environment, with `R <= E <= 2R`.
fn widths(plan: &Plan) -> (usize, usize) {
    const SIZES: [usize; 9] = [2, 3, 4, 6, 8, 12, 16, 32, 64];
    let fit = |n: usize| SIZES.iter().copied().find(|&s| s >= n).unwrap_or(usize::MAX);
    let r = fit(plan.row_width.max(plan.env_width.div_ceil(2)));
    let e = fit(plan.env_width.max(r));
    // `r` may need one more step so that `e <= 2r` (e.g. 5 variables: r = 3, e = 6).
    if e > 2 * r { (fit(r + 1), e) } else { (r, e) }
}

/// A stored tuple, or a key of an index.
type Row<const R: usize> = [Value; R];
/// The values bound to a rule's variables.
type Env<const E: usize> = [Value; E];

/// What a stratum's tuples carry besides their values: nothing (`()`, zero bytes) or, when
/// recording provenance, a packed annotation (see [`Packing`]). Carrying it inside
/// datafrog's tuples costs 4 bytes per tuple and no second copy of the relation.
trait Payload: parallel::Blank + Ord + Send + Sync + 'static {
    const RECORDS: bool;
    /// The payload of a tuple first derived in `round` by the rule at position `slot` of
    /// the stratum's rules (the packing's input slot for input tuples).
    fn at(packing: &Packing, round: u32, slot: u32) -> Self;
    fn packed(self) -> u32;
}

impl Payload for () {
    const RECORDS: bool = false;
    fn at(_: &Packing, _: u32, _: u32) {}
    fn packed(self) -> u32 {
        0
    }
}

/// A recorded annotation, packed. A plain `u32`, not a newtype: `vec![x; n]` asks the
/// allocator for zeroed pages only for types the standard library knows to be zero
/// (integers, arrays and tuples of them), and [`parallel::Blank`]'s vectors rely on that. With
/// a newtype every merge's output was filled on the evaluating thread, faulting in each page
/// there: four fifths of that thread's time when recording TC, while the workers waited.
type Recorded = u32;

impl Payload for Recorded {
    const RECORDS: bool = true;
    fn at(packing: &Packing, round: u32, slot: u32) -> Self {
        packing.pack(round, slot)
    }
    fn packed(self) -> u32 {
        self
    }
}

/// State shared by the operations of a round: what functors use (symbols, the counter of
/// `autoinc()`), the first run-time error, which stops evaluation after the round, and the
/// stop flag that every hot loop reads.
struct Ctx<'s> {
    functors: Functors<'s>,
    error: Option<Diagnostic>,
    stop: &'s Stop,
}

/// What functors use: the run's own context, which makes symbols and records and counts
/// `autoinc()`; or, on a worker thread running a piece of a rule that evaluates no functor
/// call and builds no record (see [`makes_values`]), the symbols, read-only.
enum Functors<'s> {
    Own(functors::Ctx<'s>),
    Read(&'s Symbols),
}

impl<'s> Ctx<'s> {
    fn symbols(&self) -> &Symbols {
        match &self.functors {
            Functors::Own(f) => f.symbols,
            Functors::Read(symbols) => symbols,
        }
    }

    /// The functors' own context; none on a worker thread, where [`makes_values`] keeps
    /// every rule that would need it.
    fn own(&mut self) -> &mut functors::Ctx<'s> {
        match &mut self.functors {
            Functors::Own(f) => f,
            Functors::Read(_) => unreachable!("a rule that makes values ran on a worker thread"),
        }
    }

    fn fail(&mut self, d: Diagnostic) {
        self.error.get_or_insert(d);
    }
}

/// Whether a rule other than the closure rules of `e` reads its relation (then its pairs
/// must be listed for the joins).
fn read_by_rules(program: &ir::Program, e: &ir::EqRel) -> bool {
    program.rules.iter().filter(|r| !e.rules.contains(&r.id)).any(|r| {
        let mut reads = Vec::new();
        ir::body_reads(&r.body, false, &mut reads);
        reads.iter().any(|&(rel, _, _)| rel == e.rel)
    })
}

/// The stop flag of evaluations that cannot be stopped (expressions outside a fixpoint).
static NEVER: Stop = Stop::new();

struct Evaluator<'p, 's, const R: usize, const E: usize, A: Payload> {
    program: &'p ir::Program,
    plan: &'p Plan,
    ctx: Ctx<'s>,
    options: &'p EvalOptions,
    /// Complete relations, indexed by relation id (empty until their stratum ran).
    done: Vec<Relation<Row<R>>>,
    annotations: Vec<Vec<u32>>,
    packings: Vec<Packing>,
    stratum_of: Vec<usize>,
    /// The `eqrel` relations held as classes so far.
    classes: std::collections::BTreeMap<RelId, crate::engine::eqrel::Partition>,
    payload: std::marker::PhantomData<A>,
}

impl<'p, 's, const R: usize, const E: usize, A: Payload> Evaluator<'p, 's, R, E, A> {
    fn new(
        program: &'p ir::Program,
        plan: &'p Plan,
        symbols: &'s mut Symbols,
        options: &'p EvalOptions,
        stop: &'s Stop,
    ) -> Self {
        let n = program.relations.len();
        Evaluator {
            program,
            plan,
            ctx: Ctx { functors: Functors::Own(functors::Ctx::new(symbols)), error: None, stop },
            options,
            done: (0..n).map(|_| Relation::from_vec(Vec::new())).collect(),
            annotations: vec![Vec::new(); n],
            packings: vec![Packing::default(); n],
            stratum_of: vec![0; n],
            classes: Default::default(),
            payload: std::marker::PhantomData,
        }
    }

    fn run(mut self, inputs: Vec<Tuples>) -> Result<Model, Diagnostic> {
        let mut inputs: Vec<Vec<Row<R>>> =
            inputs.iter().map(|tuples| tuples.iter().map(to_row::<R>).collect()).collect();
        inputs.resize_with(self.program.relations.len(), Vec::new);
        for (i, stratum) in self.plan.strata.iter().enumerate() {
            for &r in &stratum.relations {
                self.stratum_of[r] = i;
            }
            let started = Instant::now();
            if let Some(rec) = &self.options.profile {
                rec.begin_stratum(i, self.plan.strata.len());
            }
            let rounds = self.run_stratum(stratum, &mut inputs)?;
            if let Some(rec) = &self.options.profile {
                let tuples = stratum.relations.iter().map(|&r| self.done[r].len() as u64).sum();
                rec.end_stratum(i, rounds, started.elapsed(), tuples);
            }
            if self.ctx.symbols().records.too_deep() {
                return Err(records_too_deep());
            }
        }
        let relations = std::mem::take(&mut self.done)
            .into_iter()
            .zip(&self.program.relations)
            .map(|(rel, decl)| narrow(rel.elements, decl.arity()))
            .collect();
        Ok(Model {
            relations,
            annotations: self.annotations,
            packings: self.packings,
            stratum_of: self.stratum_of,
            defeasible: None,
            classes: self.classes,
        })
    }

    /// Runs one stratum to its fixpoint; the rounds it took.
    fn run_stratum(&mut self, sp: &StratumPlan, inputs: &mut [Vec<Row<R>>]) -> Result<usize, Diagnostic> {
        self.ctx.stop.set_rule(limits::NO_RULE);
        let packing = Packing::new(sp.rules.iter().map(|rp| rp.rule as u32).collect());
        let input = A::at(&packing, 0, packing.input_slot());
        let statics: Vec<Index<R>> =
            sp.static_indices.iter().map(|spec| build_index(&self.done[spec.rel], spec)).collect();

        let mut iteration = Iteration::new();
        // New tuples are deduplicated before insertion (`merge_produced`, on all cores), so
        // datafrog need not check them against the relation again.
        let vars = self.relation_variables(&mut iteration, sp);
        let var_of = |rel: RelId| sp.relations.iter().position(|&r| r == rel).expect("relation of this stratum");
        let dyn_vars: Vec<Variable<(Row<R>, Row<R>)>> = sp
            .dyn_indices
            .iter()
            .map(|s| iteration.variable(&format!("{}_by_{:?}", self.program.relations[s.rel].name, s.key_cols)))
            .collect();
        // One materialised environment per join of each rule.
        let env_vars = Self::env_variables(&mut iteration, sp);

        // Input tuples enter as the first round's new tuples.
        for (i, &r) in sp.relations.iter().enumerate() {
            let rows = std::mem::take(&mut inputs[r]);
            if !rows.is_empty() {
                let mut rows: Vec<_> = rows.into_iter().map(|row| (row, input)).collect();
                parallel::sort_dedup(&mut rows);
                vars[i].insert(Relation { elements: rows });
            }
        }
        iteration.changed();

        let (mut closures, skip) = self.eqrel_closures(sp);
        let mut round: u32 = 0;
        loop {
            // Head tuples produced this round, per relation of the stratum, each with the
            // payload it will carry (when recording: this round's number and its rule).
            let mut produced: Vec<Vec<(Row<R>, A)>> = vec![Vec::new(); sp.relations.len()];
            // Per relation, whether its produced tuples are sorted, unique and new (one
            // extension's, checked in pieces on all cores): then they go in as they are.
            let mut ready = vec![false; sp.relations.len()];
            self.close_eqrels(sp, &mut closures, &vars, &packing, round, &mut produced)?;
            // An `eqrel` relation's closure rules are skipped: `close_eqrels` did their work.
            for (ri, rp) in sp.rules.iter().enumerate().filter(|&(ri, _)| !skip[ri]) {
                if self.ctx.stop.is_requested() {
                    return Err(self.stopped(sp, &vars));
                }
                self.ctx.stop.set_rule(rp.rule);
                let _timed = crate::engine::profile::Timed::start(self.options.profile.as_deref(), rp.rule);
                let out = &mut produced[var_of(rp.head)];
                if let Some(ext) = rp.as_extension() {
                    let (source, head) = (&vars[var_of(ext.source)], &vars[var_of(rp.head)]);
                    let payload = A::at(&packing, round + 1, ri as u32);
                    let ready = &mut ready[var_of(rp.head)];
                    self.run_extension(&ext, &statics[ext.index], source, head, payload, out, ready);
                    continue;
                }
                let payload = A::at(&packing, round + 1, ri as u32);
                let before = out.len();
                self.run_rule(rp, round, payload, &vars, &var_of, &dyn_vars, &env_vars[ri], &statics, out);
                ready[var_of(rp.head)] &= out.len() == before;
                if let Some(error) = self.ctx.error.take() {
                    return Err(error);
                }
            }
            if self.ctx.stop.is_requested() {
                return Err(self.stopped(sp, &vars));
            }
            // Keep re-keyed copies of this stratum's relations in step.
            for (spec, dv) in sp.dyn_indices.iter().zip(&dyn_vars) {
                let cols = &spec.key_cols;
                dv.from_map(&vars[var_of(spec.rel)], |(row, _)| (project::<R>(row, cols), *row));
            }
            Self::merge_produced(&vars, produced, ready);
            round += 1;
            if A::RECORDS && round == packing.max_round() {
                return Err(Diagnostic::error(
                    Code::Limit,
                    format!(
                        "a stratum of {} rules ran {round} rounds, more than provenance recording can number",
                        sp.rules.len()
                    ),
                ));
            }
            Self::fold_recent(&vars);
            let changed = iteration.changed();
            self.report_round(round, &vars);
            self.check_limits(sp, &vars)?;
            if !changed {
                break;
            }
        }

        self.finish_stratum(sp, vars, &packing);
        self.keep_classes(sp, closures);
        Ok(round as usize)
    }

    /// Runs an extension rule for one round: its rows, with `payload`, into `out`; `ready`
    /// tells whether `out` is then sorted, unique and new (see [`new_extension_rows`]).
    #[allow(clippy::too_many_arguments)]
    fn run_extension(
        &self,
        ext: &Extension,
        index: &Index<R>,
        source: &Variable<(Row<R>, A)>,
        head: &Variable<(Row<R>, A)>,
        payload: A,
        out: &mut Vec<(Row<R>, A)>,
        ready: &mut bool,
    ) {
        let allowed = self.options.max_tuples.map(|m| m.saturating_sub(variable_len(head)));
        if allowed.is_none() && matches!(ext.head.first(), Some(Column::Source(0))) {
            let rows = new_extension_rows(ext, index, &source.recent.borrow(), head, payload, self.ctx.stop);
            // Ready for the relation as they are, unless another rule adds to them.
            *ready = out.is_empty();
            if out.is_empty() {
                *out = rows;
            } else {
                out.extend(rows);
            }
            return;
        }
        let rows = extension_rows::<R, A>(ext, index, &source.recent.borrow(), head, allowed, self.ctx.stop);
        // Collected with its payload, to be deduplicated with the round's other rows. When
        // recording, the annotation is the same for every row, so it is attached after the
        // rows are sorted: sorting 8-byte rows rather than 12-byte pairs halved the sort.
        *ready = false;
        out.extend(rows.into_iter().map(|row| (row, payload)));
    }

    /// Puts the classes of the `eqrel` relations held as classes in the model, in place of
    /// the pairs their rules and inputs gave (all their variables hold).
    fn keep_classes(&mut self, sp: &StratumPlan, closures: Vec<Closure>) {
        for c in closures.into_iter().filter(|c| c.held) {
            let rel = sp.relations[c.var];
            self.done[rel] = Relation::from_vec(Vec::new());
            self.annotations[rel].clear();
            self.classes.insert(rel, c.classes.into_partition());
        }
    }

    /// The `eqrel` relations of the stratum whose closure a union-find keeps, and which of
    /// the stratum's rules (their closure rules) therefore do not run.
    fn eqrel_closures(&self, sp: &StratumPlan) -> (Vec<Closure>, Vec<bool>) {
        let mut skip = vec![false; sp.rules.len()];
        let mut closures = Vec::new();
        for e in &self.program.eqrel {
            let Some(var) = sp.relations.iter().position(|&r| r == e.rel) else { continue };
            let slots = e.rules.map(|r| sp.rules.iter().position(|rp| rp.rule == r && rp.head == e.rel));
            let [Some(reflexive), Some(symmetric), Some(transitive)] = slots else { continue };
            for slot in [reflexive, symmetric, transitive] {
                skip[slot] = true;
            }
            let slots = [reflexive as u32, transitive as u32];
            let held = self.options.hold_classes.contains(&e.rel) && !read_by_rules(self.program, e);
            closures.push(Closure { var, slots, classes: crate::engine::eqrel::Classes::default(), held });
        }
        (closures, skip)
    }

    /// Feeds the pairs each `eqrel` relation gained last round to its union-find, and
    /// produces the pairs of the closure they add (this round's delta, for semi-naive
    /// evaluation), as its reflexive rule (`(x, x)`) or transitive rule would have:
    /// `r(x, y) :- r(x, a), r(a, b), r(b, y)` for a new pair `(a, b)` joining two classes.
    fn close_eqrels(
        &self,
        sp: &StratumPlan,
        closures: &mut [Closure],
        vars: &[Variable<(Row<R>, A)>],
        packing: &Packing,
        round: u32,
        produced: &mut [Vec<(Row<R>, A)>],
    ) -> Result<(), Diagnostic> {
        let max = self.options.max_tuples.map(|m| m as u64);
        for c in closures {
            let limit = max.filter(|_| !c.held || self.options.limit_held_pairs);
            let mut pairs = Vec::new();
            for (row, _) in vars[c.var].recent.borrow().iter() {
                let out = (!c.held).then_some(&mut pairs);
                if let Err(size) = c.classes.add(row[0], row[1], limit, out) {
                    self.ctx.stop.request(StopReason::Tuples);
                    let largest = Some((sp.relations[c.var], usize::try_from(size).unwrap_or(usize::MAX)));
                    return Err(limit_diagnostic(self.program, self.options, StopReason::Tuples, None, largest));
                }
            }
            let [reflexive, transitive] = c.slots.map(|slot| A::at(packing, round + 1, slot));
            produced[c.var].extend(pairs.into_iter().map(|(x, y)| {
                let mut row = [0; R];
                row[0] = x;
                row[1] = y;
                (row, if x == y { reflexive } else { transitive })
            }));
        }
        Ok(())
    }

    /// Tells the recorder (`--profile`, the progress line) that a round ended.
    fn report_round(&self, round: u32, vars: &[Variable<(Row<R>, A)>]) {
        if let Some(rec) = &self.options.profile {
            rec.end_round(round as usize, vars.iter().map(|v| variable_len(v) as u64).sum());
        }
    }

    /// One variable per relation of the stratum, named after it. Datafrog does not
    /// deduplicate them: `merge_produced` does, on all cores (and, when recording, on the
    /// tuple alone, which datafrog cannot: the annotation is not part of its identity).
    fn relation_variables(&self, iteration: &mut Iteration, sp: &StratumPlan) -> Vec<Variable<(Row<R>, A)>> {
        sp.relations
            .iter()
            .map(|&r| {
                let name = &self.program.relations[r].name;
                iteration.variable_indistinct(name)
            })
            .collect()
    }

    /// One materialised-environment variable per join of each rule of the stratum.
    fn env_variables(iteration: &mut Iteration, sp: &StratumPlan) -> Vec<Vec<Variable<(Row<R>, Env<E>)>>> {
        sp.rules
            .iter()
            .map(|rp| {
                rp.joins
                    .iter()
                    .enumerate()
                    .map(|(j, _)| iteration.variable(&format!("rule{}_env{j}", rp.rule)))
                    .collect()
            })
            .collect()
    }

    /// Inserts each relation's tuples produced this round into its variable: one candidate
    /// per tuple (when recording, the one of the lowest rule: the annotation is not part of
    /// a tuple's identity), without the tuples the relation already has. Sorting and the
    /// check against the relation run on all cores (`engine::parallel`). A single
    /// leapjoin's output is already sorted and unique, so the sort is often skipped.
    fn merge_produced(vars: &[Variable<(Row<R>, A)>], produced: Vec<Vec<(Row<R>, A)>>, ready: Vec<bool>) {
        for ((var, mut rows), ready) in vars.iter().zip(produced).zip(ready) {
            if rows.is_empty() {
                continue;
            }
            if !ready {
                if !rows.windows(2).all(|w| w[0].0 < w[1].0) {
                    parallel::sort_dedup_by(&mut rows, |a, b| a.0 == b.0);
                }
                retain_new(&mut rows, var);
            }
            // Still sorted and unique: no need for datafrog to sort again.
            var.insert(Relation { elements: rows });
        }
    }

    /// Folds each relation's recent tuples into its stable batches on all cores, before
    /// datafrog's `changed` would do it on one.
    fn fold_recent(vars: &[Variable<(Row<R>, A)>]) {
        for var in vars {
            parallel::fold_recent(var);
        }
    }

    /// Stores the stratum's complete relations (and, when recording, their annotations).
    fn finish_stratum(&mut self, sp: &StratumPlan, vars: Vec<Variable<(Row<R>, A)>>, packing: &Packing) {
        for (var, &rel) in vars.into_iter().zip(&sp.relations) {
            let complete = parallel::complete(var).elements;
            // Each row occurs once (deduplicated on insertion), so dropping the payload keeps
            // the rows sorted and unique: no need to sort them again.
            let rows = if A::RECORDS {
                // Split into rows and annotations on all cores (in place, as below, this
                // was a serial pass over every tuple, and a reallocation).
                self.annotations[rel] = parallel::map_in_pieces(&complete, |(_, a)| a.packed());
                self.packings[rel] = packing.clone();
                let rows = parallel::map_in_pieces(&complete, |(row, _)| *row);
                parallel::free_beside(complete);
                rows
            } else {
                // Without a payload the pairs are the rows: nothing is moved.
                complete.into_iter().map(|(row, _)| row).collect()
            };
            self.done[rel] = Relation { elements: rows };
        }
    }

    /// Between rounds: a relation beyond `--max-tuples` (through its input tuples; the rules'
    /// rows are counted as they are emitted), or a stop raised meanwhile (while datafrog
    /// merged the round's tuples: the diagnostic names the round's last rule).
    fn check_limits(&self, sp: &StratumPlan, vars: &[Variable<(Row<R>, A)>]) -> Result<(), Diagnostic> {
        if self.ctx.symbols().records.too_deep() {
            return Err(records_too_deep());
        }
        let stop = self.ctx.stop;
        if let Some(max) = self.options.max_tuples {
            for (v, &rel) in vars.iter().zip(&sp.relations) {
                let size = variable_len(v);
                if size > max {
                    stop.request(StopReason::Tuples);
                    let reason = stop.reason().unwrap_or(StopReason::Tuples);
                    return Err(limit_diagnostic(self.program, self.options, reason, None, Some((rel, size))));
                }
            }
        }
        if self.options.deadline.is_some_and(|d| Instant::now() > d) {
            stop.request(StopReason::Timeout);
        }
        if stop.is_requested() {
            return Err(self.stopped(sp, vars));
        }
        Ok(())
    }

    /// The diagnostic of a run stopped while a rule ran.
    fn stopped(&self, sp: &StratumPlan, vars: &[Variable<(Row<R>, A)>]) -> Diagnostic {
        let reason = self.ctx.stop.reason().unwrap_or(StopReason::Cancelled);
        limit_diagnostic(self.program, self.options, reason, self.ctx.stop.rule(), self.largest(sp, vars))
    }

    /// The relation of the stratum with the most tuples, and how many.
    fn largest(&self, sp: &StratumPlan, vars: &[Variable<(Row<R>, A)>]) -> Option<(RelId, usize)> {
        vars.iter().zip(&sp.relations).map(|(v, &r)| (variable_len(v), r)).max().map(|(n, r)| (r, n))
    }

    /// Runs one rule for one round: its source's environments through its operations and
    /// joins, the head rows into `out`. Each segment (the source, then each join) is cut
    /// into pieces run side by side ([`run_segment`]) when the round is large enough, unless
    /// `--max-tuples` counts the head's rows as they come or the rule makes values.
    #[allow(clippy::too_many_arguments)]
    fn run_rule(
        &mut self,
        rp: &RulePlan,
        round: u32,
        payload: A,
        vars: &[Variable<(Row<R>, A)>],
        var_of: &dyn Fn(RelId) -> usize,
        dyn_vars: &[Variable<(Row<R>, Row<R>)>],
        env_vars: &[Variable<(Row<R>, Env<E>)>],
        statics: &[Index<R>],
        out: &mut Vec<(Row<R>, A)>,
    ) {
        // `--max-tuples`: how many new tuples the head may still take.
        let head_var = &vars[var_of(rp.head)];
        let allowed = self.options.max_tuples.map(|m| m.saturating_sub(variable_len(head_var)));
        let split = allowed.is_none() && !makes_values(rp);
        let cap = allowed.map(|a| (head_var, a));
        let ctx = &mut self.ctx;
        let seg = |index| Segment { rp, payload, index };

        // Segment 0: the source and the operations after it.
        let ops = &rp.ops;
        let next_env = match &rp.source {
            Source::Unit if round == 0 => {
                let unit = [[0; R]];
                let each = |rows: &[Row<R>], ctx: &mut Ctx, sink: &mut Sink<E>| {
                    scan(rows, |r| r, &[], ops, statics, ctx, sink)
                };
                run_segment(&seg(0), ctx, vec![&unit[..]], each, out, cap)
            }
            Source::Static { rel, cols } if round == 0 => {
                let rows = &self.done[*rel].elements[..];
                let tasks = if split { parallel::split(rows) } else { vec![rows] };
                let each = |rows: &[Row<R>], ctx: &mut Ctx, sink: &mut Sink<E>| {
                    scan(rows, |r| r, cols, ops, statics, ctx, sink)
                };
                run_segment(&seg(0), ctx, tasks, each, out, cap)
            }
            Source::Dynamic { rel, cols } => {
                let recent = vars[var_of(*rel)].recent.borrow();
                let tasks = if split { parallel::split(&recent[..]) } else { vec![&recent[..]] };
                let each = |rows: &[(Row<R>, A)], ctx: &mut Ctx, sink: &mut Sink<E>| {
                    scan(rows, |(r, _)| r, cols, ops, statics, ctx, sink);
                };
                run_segment(&seg(0), ctx, tasks, each, out, cap)
            }
            _ => Vec::new(),
        };
        if let Some(env_var) = env_vars.first() {
            env_var.insert(Relation::from_vec(next_env));
        }

        // Each join `env_{j+1}(..) :- env_j(key, ..), r(key, ..)` of the environment so far
        // with an atom of this stratum, semi-naive over the materialised environment and the
        // re-keyed atom; its operations follow.
        for (j, (join, after)) in rp.joins.iter().enumerate() {
            let DynJoin { index, cols, .. } = join;
            let (env, atom) = (&env_vars[j], &dyn_vars[*index]);
            let (recent1, stable1) = (env.recent.borrow(), env.stable.borrow());
            let (recent2, stable2) = (atom.recent.borrow(), atom.stable.borrow());
            let pairs = semi_naive_pairs(&recent1, &stable1, &recent2, &stable2);
            // One task of all the pairs, or each pair cut by key ranges, a task per piece.
            let size = pairs.iter().map(|(a, b)| a.len() + b.len()).sum();
            let tasks: Vec<Vec<Pair<R, E>>> = if split && parallel::pieces(size) > 1 {
                pairs.into_iter().flat_map(|(a, b)| parallel::split_join(a, b)).map(|pair| vec![pair]).collect()
            } else {
                vec![pairs]
            };
            let each = |pairs: Vec<Pair<R, E>>, ctx: &mut Ctx, sink: &mut Sink<E>| {
                let stop = ctx.stop;
                for (a, b) in pairs {
                    merge_join(a, b, stop, &mut |_, env, row| {
                        let mut env = *env;
                        if match_cols(cols, row, &mut env) {
                            run_ops(after, &mut env, statics, ctx, sink);
                        }
                    });
                }
            };
            let next_env = run_segment(&seg(j + 1), ctx, tasks, each, out, cap);
            if let Some(env_var) = env_vars.get(j + 1) {
                env_var.insert(Relation::from_vec(next_env));
            }
        }
    }
}

/// A rule's source: each of `rows` binding `cols` in an empty environment, then `ops`.
fn scan<S, const R: usize, const E: usize>(
    rows: &[S],
    row: impl Fn(&S) -> &Row<R>,
    cols: &[ColAction],
    ops: &[Op],
    statics: &[Index<R>],
    ctx: &mut Ctx,
    sink: &mut Sink<E>,
) {
    for r in rows {
        if ctx.stop.is_requested() {
            break;
        }
        let mut env = [0; E];
        if match_cols(cols, row(r), &mut env) {
            run_ops(ops, &mut env, statics, ctx, sink);
        }
    }
}

/// Where an environment that got through a segment's operations goes.
type Sink<'s, const E: usize> = dyn FnMut(&Env<E>, &mut Ctx) + 's;

/// A pair of key-sorted slices to merge-join: environments, and a re-keyed atom's tuples.
type Pair<'a, const R: usize, const E: usize> = (&'a [(Row<R>, Env<E>)], &'a [(Row<R>, Row<R>)]);

/// One segment of a rule: the source, or the join at `index - 1`, with the operations
/// after it; its environments go to the next join's environment, or to the head.
struct Segment<'a, A> {
    rp: &'a RulePlan,
    payload: A,
    index: usize,
}

impl<A: Payload> Segment<'_, A> {
    /// Sends an environment that got through the segment to the next join's environment
    /// (keyed by that join's key) or, as a head row, to `heads`.
    fn emit<const R: usize, const E: usize>(
        &self,
        env: &Env<E>,
        ctx: &mut Ctx,
        envs: &mut Vec<(Row<R>, Env<E>)>,
        heads: &mut Vec<(Row<R>, A)>,
    ) {
        if let Some((join, _)) = self.rp.joins.get(self.index) {
            envs.push((key_row::<R, E>(&join.key, env), *env));
        } else if let Some(head) = project_head::<R, E>(&self.rp.head_args, env, ctx) {
            heads.push((head, self.payload));
        }
    }
}

/// Runs a segment of a rule: `each` on every task (a piece of the source, a piece of a
/// join) with the sink of the segment; the environments for the next join, and the head
/// rows appended to `out`. More than one task (given only for a rule that may be split:
/// one that makes no values, without `cap`): side by side, each on a worker thread with
/// its own context (read-only symbols: see [`makes_values`]), the results concatenated in
/// the tasks' order, so they are what one thread would have produced, in the same order.
/// One task: on this thread, and with `cap` (the head and how many new tuples
/// `--max-tuples` lets it take) the head rows are counted as they come, so a runaway rule
/// stops within one compaction of the limit rather than at the end of the round.
fn run_segment<T: Send, const R: usize, const E: usize, A: Payload>(
    seg: &Segment<'_, A>,
    ctx: &mut Ctx,
    tasks: Vec<T>,
    each: impl Fn(T, &mut Ctx, &mut Sink<E>) + Sync,
    out: &mut Vec<(Row<R>, A)>,
    cap: Option<(&Variable<(Row<R>, A)>, usize)>,
) -> Vec<(Row<R>, Env<E>)> {
    let mut envs = Vec::new();
    if tasks.len() > 1 {
        let (symbols, stop) = (ctx.symbols(), ctx.stop);
        let done = parallel::in_order(tasks, |task| {
            let mut ctx = Ctx { functors: Functors::Read(symbols), error: None, stop };
            let (mut envs, mut heads) = (Vec::new(), Vec::new());
            each(task, &mut ctx, &mut |env, ctx| seg.emit(env, ctx, &mut envs, &mut heads));
            (envs, heads, ctx.error)
        });
        let (mut es, mut hs, mut first_error) = (Vec::new(), Vec::new(), None);
        for (e, h, error) in done {
            es.push(e);
            hs.push(h);
            first_error = first_error.or(error);
        }
        if let Some(error) = first_error {
            ctx.fail(error);
        }
        // Concatenated on all cores.
        let heads = parallel::concat(hs);
        if out.is_empty() {
            *out = heads;
        } else {
            out.extend(heads);
        }
        return parallel::concat(es);
    }
    let next_check = std::cell::Cell::new(cap.map_or(usize::MAX, |(_, a)| a.saturating_add(1)));
    let mut sink = |env: &Env<E>, ctx: &mut Ctx| {
        seg.emit(env, ctx, &mut envs, out);
        if out.len() >= next_check.get()
            && let Some((head, allowed)) = cap
        {
            // The lowest payload of each row is kept, as the end of the round does.
            out.sort_unstable();
            out.dedup_by(|a, b| a.0 == b.0);
            retain_new(out, head);
            if out.len() > allowed {
                ctx.stop.request(StopReason::Tuples);
            }
            next_check.set(next_cap_check(out.len(), allowed));
        }
    };
    for task in tasks {
        each(task, ctx, &mut sink);
    }
    envs
}

/// The pairs of batches a semi-naive join of two variables merge-joins, in datafrog's
/// order: every pair of tuples is seen exactly once, in the round when the later of the two
/// is new (`Δa × b`, `a × Δb`, `Δa × Δb`).
#[allow(clippy::type_complexity)]
fn semi_naive_pairs<'a, K: Ord, V1: Ord, V2: Ord>(
    recent1: &'a [(K, V1)],
    stable1: &'a [Relation<(K, V1)>],
    recent2: &'a [(K, V2)],
    stable2: &'a [Relation<(K, V2)>],
) -> Vec<(&'a [(K, V1)], &'a [(K, V2)])> {
    let mut pairs: Vec<_> = stable2.iter().map(|batch| (recent1, &batch.elements[..])).collect();
    pairs.extend(stable1.iter().map(|batch| (&batch.elements[..], recent2)));
    pairs.push((recent1, recent2));
    pairs
}

/// Whether a rule makes values whose ids depend on the order it runs in: a functor call
/// (`cat` makes symbols, `autoinc()` counts, `match` caches patterns) or a record. Such a
/// rule runs on one thread, with the run's own functor context.
fn makes_values(rp: &RulePlan) -> bool {
    fn expr(e: &Expr) -> bool {
        match e {
            Expr::Var(_) | Expr::Const(..) => false,
            Expr::Unary(_, _, a) | Expr::Cast(a, _) => expr(a),
            Expr::Field { record, .. } => expr(record),
            Expr::Binary(_, _, a, b) => expr(a) || expr(b),
            Expr::Record(..) | Expr::Call { .. } => true,
        }
    }
    fn ops(list: &[Op]) -> bool {
        list.iter().any(|op| match op {
            Op::Lookup { .. } | Op::Absent { .. } | Op::Intersect { .. } => false,
            Op::Filter { lhs, rhs, .. } => expr(lhs) || expr(rhs),
            Op::Assign { expr: e, .. } => expr(e),
            Op::Range { from, to, step, .. } => expr(from) || expr(to) || step.as_ref().is_some_and(expr),
            Op::Aggregate { target, ops: body, .. } => target.as_ref().is_some_and(expr) || ops(body),
        })
    }
    rp.head_args.iter().any(expr) || ops(&rp.ops) || rp.joins.iter().any(|(_, after)| ops(after))
}

// How an [`Extension`] rule runs: a leapjoin with a single leaper over a static index.

/// The leaper proposing, for a source tuple, the matching tuples of the complete relation.
fn extension_leaper<'l, const R: usize, A: Payload>(
    ext: &'l Extension,
    index: &'l Index<R>,
) -> impl datafrog::Leapers<'l, (Row<R>, A), Row<R>> + 'l {
    index.extend_with(ext.key.len(), move |(row, _): &(Row<R>, A)| extension_row(&ext.key, row, row))
}

/// The head rows an extension derives from `source`, sorted and deduplicated. This is
/// datafrog's leapjoin loop for one leaper, except for its last step: datafrog sorts the
/// output with a stable sort, and an unstable sort of plain rows is faster (the balance
/// benchmark sorts 28 M candidate rows of `reach`; `perf`: sorting was 55% of its time).
///
/// With `allowed` (how many new tuples `--max-tuples` still lets `head` take), the rows are
/// compacted whenever they reach twice the last count, and the run is stopped as soon as
/// more than `allowed` of them are new.
fn extension_rows<const R: usize, A: Payload>(
    ext: &Extension,
    index: &Index<R>,
    source: &[(Row<R>, A)],
    head: &Variable<(Row<R>, A)>,
    allowed: Option<usize>,
    stop: &Stop,
) -> Vec<Row<R>> {
    use datafrog::Leapers;
    let pieces = parallel::pieces(source.len());
    if allowed.is_none() && pieces > 1 {
        // Partitioned: each piece of the source tuples is extended on its own thread; their
        // union, sorted, does not depend on the split.
        return parallel::union_of_pieces(source, |piece| extension_piece::<R, A>(ext, index, piece, stop));
    }
    let mut leaper = extension_leaper::<R, A>(ext, index);
    let (mut rows, mut matched) = (Vec::new(), Vec::new());
    let mut next_check = allowed.map_or(usize::MAX, |a| a.saturating_add(1));
    for tuple in source {
        if stop.is_requested() {
            break;
        }
        let mut count = 0;
        leaper.for_each_count(tuple, |_, n| count = n);
        if count > 0 {
            leaper.propose(tuple, 0, &mut matched);
            rows.extend(matched.drain(..).map(|m| extension_row(&ext.head, &tuple.0, m)));
        }
        if rows.len() >= next_check
            && let Some(allowed) = allowed
        {
            rows.sort_unstable();
            rows.dedup();
            retain_new_by(&mut rows, |row| row, head);
            if rows.len() > allowed {
                stop.request(StopReason::Tuples);
                break;
            }
            next_check = next_cap_check(rows.len(), allowed);
        }
    }
    parallel::sort_dedup(&mut rows);
    rows
}

/// The new tuples of an extension whose head begins with its source's first column
/// (`path(x, z) :- path(x, y), edge(y, z)`), each with `payload`: sorted, unique, and none
/// that `head` holds. The source's new tuples are cut between values of their first column,
/// so each piece's rows are disjoint from, and ordered before, the next piece's: each piece
/// is extended, sorted, deduplicated and checked against the relation on its own thread,
/// and the pieces are concatenated. Nothing is merged, and nothing is left to do on one
/// thread but datafrog's bookkeeping.
fn new_extension_rows<const R: usize, A: Payload>(
    ext: &Extension,
    index: &Index<R>,
    source: &[(Row<R>, A)],
    head: &Variable<(Row<R>, A)>,
    payload: A,
    stop: &Stop,
) -> Vec<(Row<R>, A)> {
    let (recent, stable) = (head.recent.borrow(), head.stable.borrow());
    let batches: Vec<&[(Row<R>, A)]> =
        stable.iter().map(|b| &b.elements[..]).chain(std::iter::once(&recent.elements[..])).collect();
    let each = |piece: &[(Row<R>, A)]| {
        let mut rows = extension_piece::<R, A>(ext, index, piece, stop);
        // Sorted and checked against the relation as plain rows (when recording, 8-byte rows
        // rather than 12-byte pairs: half the sort), the payload attached to the new ones only.
        rows.sort_unstable();
        rows.dedup();
        let kept = parallel::retain_new_in(&mut rows, &|row: &Row<R>| row, &batches);
        rows.truncate(kept);
        rows.into_iter().map(|row| (row, payload)).collect::<Vec<(Row<R>, A)>>()
    };
    let parts = parallel::split_by_key(source, |(row, _)| row[0]);
    if parts.len() <= 1 {
        // On one thread the rows become the relation's batch, in a vector as long as the
        // candidates (28 M rows for 1 M new ones in the balance benchmark's `reach`): they
        // are copied out, as the concatenation of pieces does, and the candidates freed.
        // (Shrinking the vector in place instead kept chains' peak memory 13% higher: the
        // allocator could not give the freed tail back.)
        let rows = each(source);
        return if rows.capacity() > rows.len() + rows.len() / 2 { rows.to_vec() } else { rows };
    }
    parallel::concat(parallel::in_order(parts, each))
}

/// The head rows an extension derives from one piece of its source tuples, unsorted.
fn extension_piece<const R: usize, A: Payload>(
    ext: &Extension,
    index: &Index<R>,
    piece: &[(Row<R>, A)],
    stop: &Stop,
) -> Vec<Row<R>> {
    use datafrog::Leapers;
    let mut leaper = extension_leaper::<R, A>(ext, index);
    let (mut rows, mut matched) = (Vec::new(), Vec::new());
    for tuple in piece {
        if stop.is_requested() {
            break;
        }
        let mut count = 0;
        leaper.for_each_count(tuple, |_, n| count = n);
        if count > 0 {
            leaper.propose(tuple, 0, &mut matched);
            rows.extend(matched.drain(..).map(|m| extension_row(&ext.head, &tuple.0, m)));
        }
    }
    rows
}

/// When to count a rule's new rows again: after at least `allowed` more rows (so that the
/// sorting stays proportional to the rows emitted) and no sooner than at twice the count.
fn next_cap_check(len: usize, allowed: usize) -> usize {
    len.saturating_mul(2).max(len.saturating_add(allowed).saturating_add(1))
}

/// Tuples a variable holds: datafrog's stable batches and recent tuples.
fn variable_len<T: Ord>(v: &Variable<T>) -> usize {
    v.stable.borrow().iter().map(|b| b.len()).sum::<usize>() + v.recent.borrow().len()
}

/// A key or head row of an [`Extension`], copied from the source and matched tuples.
#[inline]
fn extension_row<const R: usize>(columns: &[Column], source: &Row<R>, matched: &Row<R>) -> Row<R> {
    let mut out = [0; R];
    for (o, c) in out.iter_mut().zip(columns) {
        *o = match *c {
            Column::Source(i) => source[i],
            Column::Matched(i) => matched[i],
            Column::Const(v) => v,
        };
    }
    out
}

/// Drops the candidates (sorted, one per tuple) that the variable already holds.
fn retain_new<T: Ord + Copy + Send + Sync, P: Ord + Copy + Send + Sync>(
    candidates: &mut Vec<(T, P)>,
    var: &Variable<(T, P)>,
) {
    retain_new_by(candidates, |(row, _)| row, var);
}

/// [`retain_new`] for candidates (sorted and unique by `key`) of any shape.
fn retain_new_by<C, T, P>(candidates: &mut Vec<C>, key: impl Fn(&C) -> &T + Sync, var: &Variable<(T, P)>)
where
    C: Copy + Send + Sync,
    T: Ord + Sync,
    P: Ord + Sync,
{
    let recent = var.recent.borrow();
    let stable = var.stable.borrow();
    let batches: Vec<&[(T, P)]> =
        stable.iter().map(|b| &b.elements[..]).chain(std::iter::once(&recent.elements[..])).collect();
    parallel::retain_new(candidates, key, &batches);
}

fn to_row<const R: usize>(values: &[Value]) -> Row<R> {
    let mut row = [0; R];
    row[..values.len()].copy_from_slice(values);
    row
}

fn project<const R: usize>(row: &Row<R>, cols: &[usize]) -> Row<R> {
    let mut key = [0; R];
    for (i, &c) in cols.iter().enumerate() {
        key[i] = row[c];
    }
    key
}

fn key_row<const R: usize, const E: usize>(key: &[KeyPart], env: &Env<E>) -> Row<R> {
    let mut row = [0; R];
    for (i, k) in key.iter().enumerate() {
        row[i] = match *k {
            KeyPart::Var(v) => env[v],
            KeyPart::Const(c) => c,
        };
    }
    row
}

/// A complete relation's rows permuted into the index's column order.
fn build_index<const R: usize>(rel: &Relation<Row<R>>, spec: &IndexSpec) -> Index<R> {
    Index::new(parallel::map_in_pieces(&rel.elements, |row| project::<R>(row, &spec.order)))
}

/// A complete relation's rows as flat tuples of `arity` values, in the same allocation:
/// the rows are moved left in place, so the model never holds a relation twice.
fn narrow<const R: usize>(rows: Vec<Row<R>>, arity: usize) -> Tuples {
    let len = rows.len();
    let mut data = rows.into_flattened();
    if arity < R {
        for i in 0..len {
            data.copy_within(i * R..i * R + arity, i * arity);
        }
        data.truncate(len * arity);
        data.shrink_to_fit();
    }
    Tuples { arity, data, rows: len }
}

/// Applies column actions of a matched tuple to the environment; false if it does not match.
#[inline]
fn match_cols<const R: usize, const E: usize>(cols: &[ColAction], row: &Row<R>, env: &mut Env<E>) -> bool {
    for (i, c) in cols.iter().enumerate() {
        match *c {
            ColAction::Skip => {}
            ColAction::Bind(v) => env[v] = row[i],
            ColAction::Check(v) => {
                if env[v] != row[i] {
                    return false;
                }
            }
            ColAction::Const(k) => {
                if row[i] != k {
                    return false;
                }
            }
        }
    }
    true
}

fn project_head<const R: usize, const E: usize>(args: &[Expr], env: &Env<E>, ctx: &mut Ctx) -> Option<Row<R>> {
    let mut row = [0; R];
    for (i, e) in args.iter().enumerate() {
        row[i] = eval_expr(e, env, ctx)?;
    }
    Some(row)
}

/// Runs `ops` on one environment, calling `sink` for every environment that gets through.
fn run_ops<const R: usize, const E: usize>(
    ops: &[Op],
    env: &mut Env<E>,
    statics: &[Index<R>],
    ctx: &mut Ctx,
    sink: &mut dyn FnMut(&Env<E>, &mut Ctx),
) {
    let Some((op, rest)) = ops.split_first() else {
        sink(env, ctx);
        return;
    };
    match op {
        Op::Lookup { index, key, cols } => {
            let k = key_row::<R, E>(key, env);
            for row in statics[*index].matching(&k, key.len()) {
                if ctx.stop.is_requested() {
                    return;
                }
                let mut e = *env;
                if match_cols(cols, row, &mut e) {
                    run_ops(rest, &mut e, statics, ctx, sink);
                }
            }
        }
        Op::Absent { index, key } => {
            let k = key_row::<R, E>(key, env);
            if statics[*index].matching(&k, key.len()).is_empty() {
                run_ops(rest, env, statics, ctx, sink);
            }
        }
        Op::Intersect { var, leapers } => intersect(*var, leapers, rest, env, statics, ctx, sink),
        Op::Filter { op, lhs, rhs, ty } => {
            let (Some(l), Some(r)) = (eval_expr(lhs, env, ctx), eval_expr(rhs, env, ctx)) else { return };
            if compare(*op, *ty, l, r, ctx.symbols()) {
                run_ops(rest, env, statics, ctx, sink);
            }
        }
        Op::Assign { var, expr } => {
            if let Some(v) = eval_expr(expr, env, ctx) {
                env[*var] = v;
                run_ops(rest, env, statics, ctx, sink);
            }
        }
        Op::Range { var, ty, from, to, step } => {
            let (Some(from), Some(to)) = (eval_expr(from, env, ctx), eval_expr(to, env, ctx)) else { return };
            let step = match step {
                Some(s) => match eval_expr(s, env, ctx) {
                    Some(s) => Some(s),
                    None => return,
                },
                None => None,
            };
            for i in Range::of(*ty, from, to, step) {
                if ctx.stop.is_requested() {
                    return;
                }
                env[*var] = i;
                run_ops(rest, env, statics, ctx, sink);
            }
        }
        Op::Aggregate { var, func, target, ty, key, ops, span } => {
            let mut fold = Fold::new(*func, *ty);
            {
                let mut distinct = Distinct::new(key.as_deref());
                let mut add = |e: &Env<E>, ctx: &mut Ctx| {
                    if distinct.first(e) {
                        fold.add(target.as_ref().and_then(|t| eval_expr(t, e, ctx)));
                    }
                };
                let mut inner = *env;
                run_ops(ops, &mut inner, statics, ctx, &mut add);
            }
            if fold.overflowed() {
                ctx.fail(overflow(*func, *span));
                return;
            }
            if let Some(r) = fold.result() {
                env[*var] = r;
                run_ops(rest, env, statics, ctx, sink);
            }
        }
    }
}

/// `r1(.., var, ..), r2(.., var, ..), ...`: binds `var` to each value every leaper has for
/// its key, then runs `rest`. The leaper with the fewest rows proposes its distinct values
/// (its rows are sorted by `var`'s column, which follows the key), and each other leaper
/// checks them by binary search: datafrog's leapjoin, one environment at a time.
fn intersect<const R: usize, const E: usize>(
    var: usize,
    leapers: &[Leaper],
    rest: &[Op],
    env: &mut Env<E>,
    statics: &[Index<R>],
    ctx: &mut Ctx,
    sink: &mut dyn FnMut(&Env<E>, &mut Ctx),
) {
    // The planner gives at most eight leapers to one intersection.
    let mut ranges = [(0, 0); 8];
    let mut smallest = 0;
    for (i, l) in leapers.iter().enumerate() {
        ranges[i] = statics[l.index].range(&key_row::<R, E>(&l.key, env), l.key.len());
        let len = ranges[i].1 - ranges[i].0;
        if len == 0 {
            return;
        }
        if len < ranges[smallest].1 - ranges[smallest].0 {
            smallest = i;
        }
    }
    let proposer = &leapers[smallest];
    let col = proposer.key.len();
    let (start, end) = ranges[smallest];
    let mut last = None;
    for row in &statics[proposer.index].rows()[start..end] {
        if ctx.stop.is_requested() {
            return;
        }
        let value = row[col];
        if last == Some(value) {
            continue;
        }
        last = Some(value);
        let everywhere = leapers
            .iter()
            .enumerate()
            .all(|(i, l)| i == smallest || statics[l.index].has_value(ranges[i], l.key.len(), value));
        if everywhere {
            env[var] = value;
            run_ops(rest, env, statics, ctx, sink);
        }
    }
}

/// Which solutions of an aggregate's body it ranges over (see `ir::Lit::Aggregate::key`):
/// all of them when there is no key (each is a distinct tuple of the body's one atom), or
/// the first of each binding of the key's variables. A key of up to four variables is packed
/// into one `u128`, so the common case allocates nothing per solution.
pub struct Distinct<'k> {
    key: Option<&'k [ir::VarId]>,
    packed: rustc_hash::FxHashSet<u128>,
    wide: rustc_hash::FxHashSet<Vec<Value>>,
}

impl<'k> Distinct<'k> {
    /// Nothing seen yet.
    pub fn new(key: Option<&'k [ir::VarId]>) -> Distinct<'k> {
        Distinct { key, packed: Default::default(), wide: Default::default() }
    }

    /// Whether the solution `env` (a row of the rule's variables) counts: no key, or its
    /// key's binding is new.
    pub fn first(&mut self, env: &[Value]) -> bool {
        match self.key {
            None => true,
            Some(key) if key.len() <= 4 => {
                self.packed.insert(key.iter().fold(0u128, |acc, &v| (acc << 32) | u128::from(env[v])))
            }
            Some(key) => self.wide.insert(key.iter().map(|&v| env[v]).collect()),
        }
    }
}

/// An aggregate being computed: `add` each solution of its body (with the target's value),
/// then take the `result`. Count and sum of nothing are 0; min and max of nothing have no value.
/// Counts and integer sums are kept in 64 bits: a result that does not fit its 32-bit type is
/// [`Fold::overflowed`] (an error, where Soufflé wraps: a wrong total is worse than a stop).
/// Floats are summed in single precision, as Soufflé sums them, in increasing order, so that
/// the sum does not depend on the order in which an engine finds the solutions.
pub struct Fold {
    func: AggregateFunc,
    /// The target's type.
    ty: Type,
    count: i64,
    /// An integer target's sum, least or greatest value.
    acc: Option<i64>,
    /// A float target's least or greatest value.
    float: Option<Float>,
    /// A float target's values, for a sum or mean.
    floats: Vec<Float>,
}

impl Fold {
    /// An empty fold of `func` over a target of type `ty` (`number` for a `count`).
    pub fn new(func: AggregateFunc, ty: Type) -> Fold {
        Fold { func, ty, count: 0, acc: None, float: None, floats: Vec::new() }
    }

    /// One solution; `value` is the target's value (`None` for `count`, or when it has none).
    pub fn add(&mut self, value: Option<Value>) {
        self.count = self.count.saturating_add(1);
        let Some(v) = value else { return };
        if self.ty == Type::Float {
            let f = to_float(v);
            if matches!(self.func, AggregateFunc::Sum | AggregateFunc::Mean) {
                self.floats.push(f);
                return;
            }
            let key = |x: Float| numeric_key(from_float(x), Type::Float);
            self.float = Some(match (self.float, self.func) {
                (None, _) => f,
                (Some(a), AggregateFunc::Min) if key(f) < key(a) => f,
                (Some(a), AggregateFunc::Max) if key(f) > key(a) => f,
                (Some(a), _) => a,
            });
            return;
        }
        let v = if self.ty == Type::Unsigned { i64::from(to_unsigned(v)) } else { i64::from(to_number(v)) };
        self.acc = Some(match (self.acc, self.func) {
            (None, _) => v,
            (Some(a), AggregateFunc::Sum) => a.saturating_add(v),
            (Some(a), AggregateFunc::Min) => a.min(v),
            (Some(a), AggregateFunc::Max) => a.max(v),
            (Some(a), _) => a,
        });
    }

    fn wide_result(&self) -> Option<i64> {
        match self.func {
            AggregateFunc::Count => Some(self.count),
            AggregateFunc::Sum => Some(self.acc.unwrap_or(0)),
            AggregateFunc::Min | AggregateFunc::Max | AggregateFunc::Mean => self.acc,
        }
    }

    /// Whether the result does not fit in its 32-bit type.
    pub fn overflowed(&self) -> bool {
        self.ty != Type::Float && self.wide_result().is_some_and(|r| self.cell(r).is_none())
    }

    /// An integer result as a cell of the fold's type (a count is a `number`).
    fn cell(&self, r: i64) -> Option<Value> {
        match (self.func, self.ty) {
            (AggregateFunc::Count, _) | (_, Type::Number) => Number::try_from(r).ok().map(from_number),
            _ => Unsigned::try_from(r).ok().map(from_unsigned),
        }
    }

    /// The result; `None` for the min or max of nothing, and when it [`Fold::overflowed`].
    pub fn result(&self) -> Option<Value> {
        if self.ty == Type::Float && self.func != AggregateFunc::Count {
            let sum = || {
                let mut values = self.floats.clone();
                values.sort_unstable_by_key(|&f| numeric_key(from_float(f), Type::Float));
                values.into_iter().fold(0.0, |a: Float, f| a + f)
            };
            return match self.func {
                AggregateFunc::Sum => Some(from_float(sum())),
                AggregateFunc::Mean if self.floats.is_empty() => None,
                AggregateFunc::Mean => Some(from_float(sum() / self.floats.len() as Float)),
                _ => self.float.map(from_float),
            };
        }
        self.wide_result().and_then(|r| self.cell(r))
    }
}

/// The error of an aggregate whose result does not fit in a `number`.
pub fn overflow(func: AggregateFunc, span: Span) -> Diagnostic {
    let what = if func == AggregateFunc::Count { "count" } else { "sum" };
    Diagnostic::error(Code::Runtime, format!("this {what} does not fit in a 32-bit number"))
        .at(span, format!("the {what} is beyond -2147483648..2147483647"))
        .with_help("Soufflé would wrap around to a wrong total; stance stops instead")
}

/// A record nested deeper than [`crate::base::record::MAX_DEPTH`] was built (a list grown
/// without end, typically): the evaluation stops rather than drop it silently.
pub fn records_too_deep() -> Diagnostic {
    Diagnostic::error(
        Code::Limit,
        format!(
            "a record nested more than {} levels deep was built (a list longer than {0} elements)",
            crate::base::record::MAX_DEPTH
        ),
    )
    .with_help("records this deep cannot be shown or written; bound the recursion that builds them")
}

/// Compares two values of one type: numbers by value, symbols as strings; floats in the
/// total order of [`crate::base::value::numeric_key`] (NaN equals itself and is greatest).
pub fn compare(op: CompareOp, ty: Type, l: Value, r: Value, symbols: &Symbols) -> bool {
    let ord = match (op, ty) {
        (CompareOp::Eq, _) => return l == r,
        (CompareOp::Ne, _) => return l != r,
        (_, Type::Number) => to_number(l).cmp(&to_number(r)),
        (_, Type::Symbol) => symbols.resolve(l).cmp(symbols.resolve(r)),
        // `check` allows only `=` and `!=` on records; by id, should another op reach here.
        (_, Type::Record(_)) => l.cmp(&r),
        (_, t) => numeric_key(l, t).cmp(&numeric_key(r, t)),
    };
    match op {
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Eq | CompareOp::Ne => unreachable!("handled above"),
    }
}

/// Evaluates an expression outside a fixpoint (for explanations and checks). `autoinc()`
/// cannot be replayed, so an expression that uses it has no value here.
pub fn evaluate_expr(e: &Expr, env: &[Value], symbols: &mut Symbols) -> Option<Value> {
    if e.uses_autoinc() {
        return None;
    }
    eval_expr(e, env, &mut Ctx { functors: Functors::Own(functors::Ctx::new(symbols)), error: None, stop: &NEVER })
}

/// Numbers the symbols for `ord` before evaluation, when a rule calls it (every evaluator
/// calls this first).
pub fn prepare_symbols(program: &ir::Program, symbols: &mut Symbols) {
    if program.calls_ord() {
        symbols.number_for_ord();
    }
}

/// Evaluates an expression; `None` when it has no value (division by zero, a string that
/// is not a number, a substring out of range), which drops the binding.
fn eval_expr(e: &Expr, env: &[Value], ctx: &mut Ctx) -> Option<Value> {
    Some(match e {
        Expr::Var(v) => env[*v],
        Expr::Const(c, _) => *c,
        Expr::Unary(op, ty, a) => functors::unary(*op, *ty, eval_expr(a, env, ctx)?),
        Expr::Binary(op, ty, a, b) => {
            let a = eval_expr(a, env, ctx)?;
            let b = eval_expr(b, env, ctx)?;
            functors::binary(*op, *ty, a, b)?
        }
        Expr::Cast(a, Type::Float) => from_float(to_float(eval_expr(a, env, ctx)?)),
        Expr::Cast(a, _) => eval_expr(a, env, ctx)?,
        Expr::Call { func, args, .. } => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval_expr(a, env, ctx)?);
            }
            return func.eval(&values, ctx.own());
        }
        // [a, b]: the record's id in the record table, added if new.
        Expr::Record(t, fields) => {
            let mut values = Vec::with_capacity(fields.len());
            for f in fields {
                values.push(eval_expr(f, env, ctx)?);
            }
            return ctx.own().symbols.records.pack(*t, &values);
        }
        // A field of a record; `nil` has none, so the binding is dropped.
        Expr::Field { record, index, .. } => {
            let id = eval_expr(record, env, ctx)?;
            return ctx.symbols().records.unpack(id).and_then(|f| f.get(*index).copied());
        }
    })
}

/// Merge join of two key-sorted slices; gives up as soon as `stop` is raised.
fn merge_join<K: Ord, V1, V2>(
    mut a: &[(K, V1)],
    mut b: &[(K, V2)],
    stop: &Stop,
    result: &mut impl FnMut(&K, &V1, &V2),
) {
    while let (Some(x), Some(y)) = (a.first(), b.first()) {
        match x.0.cmp(&y.0) {
            Ordering::Less => a = gallop(a, |t| t.0 < y.0),
            Ordering::Greater => b = gallop(b, |t| t.0 < x.0),
            Ordering::Equal => {
                let na = a.iter().take_while(|t| t.0 == x.0).count();
                let nb = b.iter().take_while(|t| t.0 == x.0).count();
                for l in &a[..na] {
                    for r in &b[..nb] {
                        if stop.is_requested() {
                            return;
                        }
                        result(&l.0, &l.1, &r.1);
                    }
                }
                a = &a[na..];
                b = &b[nb..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The evaluator's vectors of recorded tuples come from the allocator zeroed, not filled
    /// by the calling thread (see [`Recorded`]): a large one takes no resident memory until
    /// it is written.
    #[test]
    fn vectors_of_recorded_tuples_are_not_filled() {
        let len = 1 << 24;
        let Some(before) = limits::resident_bytes() else { return };
        let blank = parallel::blanks::<(Row<2>, Recorded)>(len);
        let grown = limits::resident_bytes().unwrap_or(0).saturating_sub(before);
        let size = (len * std::mem::size_of::<(Row<2>, Recorded)>()) as u64;
        assert!(grown < size / 4, "{len} blank tuples made {grown} of {size} bytes resident");
        drop(blank);
    }

    #[test]
    fn packed_annotations_round_trip() {
        for rules in [0usize, 1, 2, 3, 255, 256, 5000] {
            let packing = Packing::new((0..rules as u32).map(|r| 1000 + r).collect());
            assert!(packing.max_round() >= (1 << 18), "{rules} rules leave too few rounds");
            let input = packing.unpack(packing.pack(0, packing.input_slot()));
            assert_eq!(input, Annotation { round: 0, rule: INPUT });
            for slot in (0..rules as u32).step_by(97) {
                for round in [1, 2, packing.max_round()] {
                    let a = packing.unpack(packing.pack(round, slot));
                    assert_eq!(a, Annotation { round, rule: 1000 + slot }, "{rules} rules");
                }
            }
        }
    }
}
