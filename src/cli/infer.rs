//! `stance infer`: evaluate and print the derived relations, optionally with proofs, and
//! write Soufflé-style output files.

use super::context::{Ctx, FormatArg, ProjectArgs, finish_output};
use clap::Args;
use stance::engine::eval::EvalOptions;
use stance::engine::profile::{self, Recorder};
use stance::render::output;
use stance::review::constraints;
use stance::session::time::TimedSession;
use stance::session::{ExitStatus, Failure, Inputs, Project, Session, goal};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const EXAMPLES: &str = "\
Examples:
  stance infer                              # rules/*.dl over facts/, print derived relations
  stance infer --format json > model.json   # machine-readable
  stance infer --relation aligned --format csv
  stance infer --rules rules/libya.dl --facts facts --output-dir out   # files only
  stance infer --output-dir out --print     # files, and the tables on stdout
  cat program.dl | stance infer --rules - --no-facts
  stance infer --explain-plan               # show how each rule runs on datafrog
  stance infer --profile prof.json && stance profile prof.json   # the slowest rules";

#[derive(Args)]
pub struct InferArgs {
    #[command(flatten)]
    project: ProjectArgs,

    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,

    /// Print only these relations (default: the `.output` ones, or every derived relation).
    #[arg(long = "relation", value_name = "NAME")]
    relations: Vec<String>,

    /// Write each output relation into DIR as Soufflé's `-D` does (`<rel>.csv`,
    /// tab-separated), and print no tables (add `--print` for them).
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,

    /// With `--output-dir`, also print the relations on standard output in `--format`.
    #[arg(long)]
    print: bool,

    /// Print the evaluation plan (each rule's joins on datafrog) to standard error.
    #[arg(long)]
    explain_plan: bool,

    /// Stop with an error when a relation grows beyond N tuples.
    #[arg(long, value_name = "N")]
    max_tuples: Option<usize>,

    /// Stop with an error after this many seconds.
    #[arg(long, value_name = "SECONDS", value_parser = stance::engine::limits::parse_seconds)]
    timeout: Option<Duration>,

    /// Stop with an error when the process holds more memory than SIZE (512M, 2G)
    /// [default: half the memory available when the run starts].
    #[arg(long, value_name = "SIZE", value_parser = stance::engine::limits::parse_bytes)]
    max_memory: Option<u64>,

    /// Print every tuple with its proof: a tree (table), a trace column (csv), or one
    /// JSON object per tuple with the proof DAG (json, as JSON Lines).
    #[arg(long)]
    provenance: bool,

    /// Treat constraint violations (reported as warnings) as errors: exit with 1.
    #[arg(long)]
    deny_contradictions: bool,

    /// Evaluate every relation in full, ignoring `.pragma "magic-transform"`.
    #[arg(long)]
    full: bool,

    /// Write the run's profile to FILE as JSON: time, rounds and tuples per rule, per
    /// relation and per stratum (`stance profile FILE` prints the slowest rules). Records
    /// proofs and evaluates in full, as `--provenance --full` would.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,

    /// Evaluate with time: every tuple with the intervals on which it holds, printed as
    /// `from` and `until` columns (one row per maximal interval; see README "Time").
    #[arg(long, conflicts_with_all = ["as_of", "provenance", "output_dir", "explain_plan", "profile"])]
    with_time: bool,
}

pub fn run(args: &InferArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    if args.with_time {
        return run_with_time(args, ctx);
    }
    let mut project = ctx.load(&args.project.inputs())?;
    if args.explain_plan {
        let plan = stance::engine::plan::describe(&project.plan, &project.program, &project.sources);
        eprint!("{}", stance::base::terminal::escape(&plan));
    }
    let shown = if args.relations.is_empty() {
        project.program.shown_relations()
    } else {
        match project.program.relations_named(&args.relations) {
            Ok(ids) => ids,
            Err(d) => return Err(super::context::usage_failure(d, project)),
        }
    };
    let to_write = match checked_outputs(args, &project, &shown) {
        Ok(to_write) => to_write,
        Err(refused) => return Err(Failure::new(refused, ExitStatus::Usage).within(&mut project.sources)),
    };
    args.project.warn_non_loopback();
    args.project.note_part(&project.facts);
    let recorder = args.profile.as_ref().map(|_| Arc::new(Recorder::new()));
    let mut run = evaluate(args, ctx, project, &shown, recorder.clone())?;
    if !args.project.prints_results() {
        // `--engine dd` on a process other than 0: process 0 gathered and prints the results.
        return Ok(ExitStatus::Success);
    }
    if let (Some(path), Some(recorder)) = (&args.profile, recorder) {
        write_profile(path, &run, &recorder)?;
    }
    report_violations(args, ctx, &mut run)?;
    if let Some(dir) = &args.output_dir {
        let (program, symbols) = (&run.project.program, &run.project.symbols);
        output::write_output_dir(dir, program, &run.model, &to_write, symbols).map_err(Failure::io)?;
    }
    finish_output(print_results(args, &mut run, &shown)).map(|()| ExitStatus::Success)
}

/// The relations `--output-dir` writes (the `.output` ones, or those shown), after checking
/// every output file before anything is evaluated (see `facts::confine`); `Err` with the
/// refusals.
fn checked_outputs(
    args: &InferArgs,
    project: &Project,
    shown: &[usize],
) -> Result<Vec<usize>, Vec<stance::base::diag::Diagnostic>> {
    let program = &project.program;
    let marked: Vec<usize> =
        (0..program.relations.len()).filter(|&r| !program.relations[r].outputs.is_empty()).collect();
    let to_write = if marked.is_empty() { shown.to_vec() } else { marked };
    if let Some(refused) =
        args.profile.as_ref().and_then(|path| stance::facts::confine::output_file(path, "--profile", &project.read))
    {
        return Err(vec![refused]);
    }
    if let Some(dir) = &args.output_dir {
        let names: Vec<_> = to_write.iter().flat_map(|&r| output::output_names(&program.relations[r])).collect();
        let refused = stance::facts::confine::output_files(dir, &names, &project.read, &project.sources);
        if !refused.is_empty() {
            return Err(refused);
        }
    }
    Ok(to_write)
}

/// Evaluates with the limits given, on demand for what is shown when the program asks for
/// it (`.pragma "magic-transform"`, unless `--full`).
/// With a `recorder` (`--profile`), every relation is evaluated, with recording on.
fn evaluate(
    args: &InferArgs,
    ctx: &mut Ctx,
    mut project: Project,
    shown: &[usize],
    recorder: Option<Arc<Recorder>>,
) -> Result<Session, Failure> {
    // A time too far ahead for the clock is no deadline.
    let deadline = args.timeout.and_then(|t| Instant::now().checked_add(t));
    // Violations are reported with the atoms that collide, which needs the proofs; the
    // profile counts each rule's tuples from the recorded annotations.
    let record = args.provenance || !project.program.constraints.is_empty() || recorder.is_some();
    if recorder.is_some() {
        args.project.only_default_engine("infer --profile")?;
    }
    let full = args.full || recorder.is_some();
    let hold_classes = if recorder.is_some() { Vec::new() } else { held_eqrels(args, &project.program, shown) };
    let options = EvalOptions {
        max_tuples: args.max_tuples,
        deadline,
        max_memory: args.max_memory,
        profile: recorder,
        hold_classes,
        limit_held_pairs: true,
        ..args.project.eval_options(record)
    };
    // `.pragma "magic-transform"`: derive only what the shown relations need.
    let mut roots: Vec<usize> = shown.to_vec();
    roots.extend((0..project.program.relations.len()).filter(|&r| {
        let rel = &project.program.relations[r];
        rel.printsize || (args.output_dir.is_some() && !rel.outputs.is_empty())
    }));
    roots.sort_unstable();
    roots.dedup();
    let Project { program, facts, symbols, .. } = &mut project;
    let goal = if full { Ok(None) } else { goal::evaluate_for_pragma(program, facts, symbols, &roots, &options) };
    match goal {
        Ok(Some(model)) => Ok(Session { project, model }),
        Ok(None) => ctx.evaluate(project, &options),
        Err(d) => Err(Failure::new(vec![d], ExitStatus::Failed).within(&mut project.sources)),
    }
}

/// The `eqrel` relations this run only counts (`.printsize`) and writes out (`.output`
/// files, `IO=stdout`): those not printed as tables or proofs, in a program of strict rules
/// without denials (whose conflicts read relations' tuples). The engine keeps them as classes
/// when no rule reads them either (`engine::eqrel`).
fn held_eqrels(args: &InferArgs, program: &stance::lang::ir::Program, shown: &[usize]) -> Vec<usize> {
    let print = args.output_dir.is_none() || args.print || args.provenance;
    if program.defeasible.is_active() || program.relations.iter().any(|r| r.name.starts_with('~')) {
        return Vec::new();
    }
    program.eqrel.iter().map(|e| e.rel).filter(|r| !(print && shown.contains(r))).collect()
}

/// Writes the profile of the run to `path` (replaced whole, never half-written).
fn write_profile(path: &std::path::Path, run: &Session, recorder: &Recorder) -> Result<(), Failure> {
    let project = &run.project;
    let strata: Vec<Vec<usize>> = project.plan.strata.iter().map(|s| s.relations.clone()).collect();
    let built = profile::build(&project.program, &strata, &run.model, recorder, &project.sources);
    let mut json = serde_json::to_vec_pretty(&built).map_err(|e| Failure::io(format!("--profile: {e}")))?;
    json.push(b'\n');
    stance::render::atomic::write_atomically(path, &json)
        .map_err(|e| Failure::io(format!("cannot write the profile {}: {e}", path.display())))
}

/// Reports constraint violations as warnings, or fails with them under
/// `--deny-contradictions`.
fn report_violations(args: &InferArgs, ctx: &mut Ctx, run: &mut Session) -> Result<(), Failure> {
    let program = &run.project.program;
    let denials = program.relations.iter().any(|r| r.name.starts_with('~'));
    if program.constraints.is_empty() && !denials {
        return Ok(());
    }
    let mut ex = run.explainer();
    let mut found: Vec<_> = constraints::violations(&mut ex)
        .iter()
        .map(|v| constraints::violation_diagnostic(&ex, v, args.deny_contradictions))
        .collect();
    if denials {
        let clashes = stance::review::conflicts::conflicts(&mut ex);
        found.extend(
            clashes.iter().map(|c| stance::review::conflicts::conflict_diagnostic(&ex, c, args.deny_contradictions)),
        );
    }
    drop(ex);
    if args.deny_contradictions && !found.is_empty() {
        return Err(Failure::new(found, ExitStatus::Failed).within(&mut run.project.sources));
    }
    ctx.report(&found, &run.project.sources);
    Ok(())
}

/// Standard output: the `IO=stdout` relations (with `--output-dir`), the shown relations
/// (or their proofs), and the `.printsize` counts.
fn print_results(args: &InferArgs, run: &mut Session, shown: &[usize]) -> std::io::Result<()> {
    let mut out = stance::base::terminal::stdout(args.format.shape());
    let program = &run.project.program;
    // With `--output-dir` the directives are followed as Soufflé does: `IO=stdout` prints.
    if args.output_dir.is_some() {
        let all: Vec<usize> = (0..program.relations.len()).collect();
        output::write_stdout_outputs(&mut out, program, &run.model, &all, &run.project.symbols)?;
    }
    // `--output-dir` writes files only, as Soufflé's `-D` does; `--print` (or `--provenance`,
    // which is about what is printed) adds the relations on standard output.
    let print = args.output_dir.is_none() || args.print || args.provenance;
    if print && args.provenance {
        // Graded data: the proofs carry each node's grade (JSON).
        let grading = super::explain::graded(&run.project.facts).then(|| run.grading());
        let mut ex = run.explainer();
        ex.grading = grading.as_ref();
        stance::render::proofs::render_with_proofs(&mut out, args.format.into(), &mut ex, shown)?;
    } else if print && super::explain::graded(&run.project.facts) {
        // Graded data: each tuple with its grade (see `stance query`).
        let grading = run.grading();
        let all: Vec<(usize, Option<Vec<usize>>)> = shown.iter().map(|&r| (r, None)).collect();
        let (program, model) =
            output::with_grades(&run.project.program, &run.model, &all, &grading, &mut run.project.symbols);
        output::render(
            &mut out,
            args.format.into(),
            &program,
            &model,
            shown,
            &run.project.symbols,
            &args.project.stamp(),
        )?;
    } else if print {
        let (program, symbols) = (&run.project.program, &run.project.symbols);
        output::render(&mut out, args.format.into(), program, &run.model, shown, symbols, &args.project.stamp())?;
    }
    for (id, rel) in run.project.program.relations.iter().enumerate() {
        if rel.printsize {
            writeln!(out, "{}\t{}", rel.name, run.model.count(id))?;
        }
    }
    out.flush()
}

/// `--with-time`: the temporal model, each shown relation with `from` and `until` columns.
fn run_with_time(args: &InferArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let project = ctx.load(&Inputs { with_time: true, ..args.project.inputs() })?;
    let shown = if args.relations.is_empty() {
        project.program.shown_relations()
    } else {
        match project.program.relations_named(&args.relations) {
            Ok(ids) => ids,
            Err(d) => return Err(super::context::usage_failure(d, project)),
        }
    };
    let options = EvalOptions {
        max_tuples: args.max_tuples,
        deadline: args.timeout.and_then(|t| Instant::now().checked_add(t)),
        max_memory: args.max_memory,
        ..args.project.eval_options(false)
    };
    let mut run = TimedSession::evaluate(project, &options)?;
    let constraints = &run.project.program.constraints;
    let violated = constraints.iter().filter(|c| !run.model.relations[c.rel].is_empty()).count();
    if violated > 0 {
        let which = super::context::counted(violated, "constraint");
        eprintln!("note: {which} violated on some day; `stance contradictions --as-of DATE` shows them on that day");
    }
    let (program, model) = run.printable();
    let mut out = stance::base::terminal::stdout(args.format.shape());
    let symbols = &run.project.symbols;
    let printed =
        output::render(&mut out, args.format.into(), &program, &model, &shown, symbols, &args.project.stamp())
            .and_then(|()| {
                // `.printsize`: the tuples, then the (tuple, maximal interval) rows.
                for (id, rel) in run.project.program.relations.iter().enumerate() {
                    if rel.printsize {
                        let rows = run.model.relations[id].len();
                        writeln!(out, "{}\t{}\t{rows}", rel.name, run.model.tuple_count(id))?;
                    }
                }
                out.flush()
            });
    finish_output(printed).map(|()| ExitStatus::Success)
}
