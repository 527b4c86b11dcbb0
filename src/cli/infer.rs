//! `stance infer`: evaluate and print the derived relations, optionally with proofs, and
//! write Soufflé-style output files.

use super::context::{Ctx, FormatArg, ProjectArgs, finish_output};
use clap::Args;
use stance::engine::eval::EvalOptions;
use stance::render::output;
use stance::review::constraints;
use stance::session::{ExitStatus, Failure, Session, goal};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const EXAMPLES: &str = "\
Examples:
  stance infer                              # rules/*.dl over facts/, print derived relations
  stance infer --format json > model.json   # machine-readable
  stance infer --relation aligned --format csv
  stance infer --rules rules/libya.dl --facts facts --output-dir out
  cat program.dl | stance infer --rules - --no-facts
  stance infer --explain-plan               # show how each rule runs on datafrog";

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

    /// Also write each output relation into DIR as Soufflé does (`<rel>.csv`, tab-separated).
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,

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
}

pub fn run(args: &InferArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
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
    // Every output file is checked before anything is evaluated (see `facts::confine`).
    let program = &project.program;
    let marked: Vec<usize> =
        (0..program.relations.len()).filter(|&r| !program.relations[r].outputs.is_empty()).collect();
    let to_write = if marked.is_empty() { shown.clone() } else { marked };
    if let Some(dir) = &args.output_dir {
        let names: Vec<_> = to_write.iter().flat_map(|&r| output::output_names(&program.relations[r])).collect();
        let refused = stance::facts::confine::output_files(dir, &names, &project.read, &project.sources);
        if !refused.is_empty() {
            return Err(Failure::new(refused, ExitStatus::Usage).within(&mut project.sources));
        }
    }
    // A time too far ahead for the clock is no deadline.
    let deadline = args.timeout.and_then(|t| Instant::now().checked_add(t));
    // Violations are reported with the atoms that collide, which needs the proofs.
    let record = args.provenance || !project.program.constraints.is_empty();
    let options = EvalOptions {
        max_tuples: args.max_tuples,
        deadline,
        max_memory: args.max_memory,
        ..args.project.eval_options(record)
    };
    // `.pragma "magic-transform"`: derive only what the shown relations need.
    let mut roots: Vec<usize> = shown.clone();
    roots.extend((0..project.program.relations.len()).filter(|&r| {
        let rel = &project.program.relations[r];
        rel.printsize || (args.output_dir.is_some() && !rel.outputs.is_empty())
    }));
    roots.sort_unstable();
    roots.dedup();
    let goal = if args.full { Ok(None) } else { goal::evaluate_for_pragma(&mut project, &roots, &options) };
    let mut run = match goal {
        Ok(Some(model)) => Session { project, model },
        Ok(None) => ctx.evaluate(project, &options)?,
        Err(f) => return Err(f.within(&mut project.sources)),
    };
    if !run.project.program.constraints.is_empty() {
        let mut ex = run.explainer();
        let found: Vec<_> = constraints::violations(&mut ex)
            .iter()
            .map(|v| constraints::violation_diagnostic(&ex, v, args.deny_contradictions))
            .collect();
        drop(ex);
        if args.deny_contradictions && !found.is_empty() {
            return Err(Failure::new(found, ExitStatus::Failed).within(&mut run.project.sources));
        }
        ctx.report(&found, &run.project.sources);
    }

    let program = &run.project.program;
    if let Some(dir) = &args.output_dir {
        output::write_output_dir(dir, program, &run.model, &to_write, &run.project.symbols).map_err(Failure::io)?;
    }

    let mut out = stance::base::terminal::stdout(args.format.shape());
    // With `--output-dir` the directives are followed as Soufflé does: `IO=stdout` prints.
    let souffle_stdout = match &args.output_dir {
        Some(_) => {
            let all: Vec<usize> = (0..program.relations.len()).collect();
            output::write_stdout_outputs(&mut out, program, &run.model, &all, &run.project.symbols)
        }
        None => Ok(()),
    };
    let rendered = match souffle_stdout {
        Err(e) => Err(e),
        Ok(()) if args.provenance => {
            stance::render::proofs::render_with_proofs(&mut out, args.format.into(), &mut run.explainer(), &shown)
        }
        Ok(()) => output::render(
            &mut out,
            args.format.into(),
            program,
            &run.model,
            &shown,
            &run.project.symbols,
            &args.project.stamp(),
        ),
    };
    let program = &run.project.program;
    let result = rendered.and_then(|()| {
        for (id, rel) in program.relations.iter().enumerate() {
            if rel.printsize {
                writeln!(out, "{}\t{}", rel.name, run.model.relations[id].len())?;
            }
        }
        out.flush()
    });
    finish_output(result).map(|()| ExitStatus::Success)
}
