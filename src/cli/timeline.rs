//! `stance timeline` and `stance changes`: when derived tuples held, and the statements that
//! opened and closed their intervals (the temporal model, `session::time`).

use super::context::{Ctx, ProjectArgs, ProofFormat, finish_output};
use clap::Args;
use stance::facts::asof::Date;
use stance::proof::pattern::{self, Claim, ClaimArg};
use stance::session::time::TimedSession;
use stance::session::{ExitStatus, Failure, Inputs, Project};
use std::io::Write;
use std::time::Instant;

pub const EXAMPLES: &str = "\
Examples:
  stance timeline 'aligned(\"Egypt\", \"Haftar\")'
  stance timeline 'backers(\"Haftar\", n)' --format json";

pub const CHANGES_EXAMPLES: &str = "\
Examples:
  stance changes --from 2016-01-01 --to 2016-12-31
  stance changes --from 2016-01-01 --to 2016-12-31 --relation aligned --format json";

#[derive(Args)]
pub struct TimelineArgs {
    /// The claim, as an atom: 'aligned("Egypt", "Haftar")'; a pattern with variables or `_`
    /// shows every matching tuple's timeline.
    claim: String,
    #[command(flatten)]
    project: ProjectArgs,
    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    format: ProofFormat,
    /// Print to standard error how long loading, evaluating with time and answering took.
    #[arg(long)]
    timing: bool,
}

#[derive(Args)]
pub struct ChangesArgs {
    /// The first day of the period.
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Date,
    /// The last day of the period (inclusive).
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Date,
    /// Only these relations (default: the `.output` ones, or every derived relation).
    #[arg(long = "relation", value_name = "NAME")]
    relations: Vec<String>,
    #[command(flatten)]
    project: ProjectArgs,
    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    format: ProofFormat,
    /// Print to standard error how long loading, evaluating with time and answering took.
    #[arg(long)]
    timing: bool,
}

/// Loads with every row's interval; `--as-of` makes no sense here.
fn load_timed(ctx: &mut Ctx, project: &ProjectArgs) -> Result<Project, Failure> {
    if project.as_of.is_some() {
        return Err(Failure::io(
            "--as-of picks one day, this command reads every day (`stance explain --at DATE` explains one day)".into(),
        ));
    }
    ctx.load(&Inputs { with_time: true, ..project.inputs() })
}

/// The phases `--timing` reports: start, loaded, evaluated.
struct Phases([Instant; 3]);

impl Phases {
    fn print(&self, on: bool) {
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        let [start, loaded, evaluated] = self.0;
        if on {
            eprintln!(
                "timing: load {:.1} ms, evaluate with time {:.1} ms, answer {:.1} ms",
                ms(start, loaded),
                ms(loaded, evaluated),
                ms(evaluated, Instant::now())
            );
        }
    }
}

pub fn run(args: &TimelineArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let start = Instant::now();
    let mut project = load_timed(ctx, &args.project)?;
    let loaded = Instant::now();
    let claim = pattern::parse_claim(&args.claim, &mut project.sources, &project.program, &project.symbols)
        .map_err(|diagnostics| Failure::new(diagnostics, ExitStatus::Failed).within(&mut project.sources))?;
    ctx.report(&claim.warnings, &project.sources);
    let options = args.project.eval_options(false);
    let mut run = TimedSession::evaluate(project, &options)?;
    let evaluated = Instant::now();
    let timelines = run.timelines(&claim, None);
    if timelines.is_empty() {
        let verb = if claim.is_ground() { "never holds" } else { "matches no tuple on any day" };
        eprintln!("{}", stance::base::terminal::escape(&format!("`{}` {verb}", claim.text)));
        return Ok(ExitStatus::Failed);
    }
    let mut out = stance::base::terminal::stdout(args.format.shape());
    let text = run.render(&timelines, args.format == ProofFormat::Json);
    Phases([start, loaded, evaluated]).print(args.timing);
    finish_output(out.write_all(text.as_bytes()).and_then(|()| out.flush())).map(|()| ExitStatus::Success)
}

pub fn run_changes(args: &ChangesArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    if args.to < args.from {
        return Err(Failure::io(format!("--to {} is before --from {}", args.to, args.from)));
    }
    let start = Instant::now();
    let project = load_timed(ctx, &args.project)?;
    let loaded = Instant::now();
    let shown = if args.relations.is_empty() {
        project.program.shown_relations()
    } else {
        match project.program.relations_named(&args.relations) {
            Ok(ids) => ids,
            Err(d) => return Err(super::context::usage_failure(d, project)),
        }
    };
    let options = args.project.eval_options(false);
    let mut run = TimedSession::evaluate(project, &options)?;
    let evaluated = Instant::now();
    let period = (args.from.day_number(), args.to.day_number());
    let mut timelines = Vec::new();
    for rel in shown {
        let arity = run.project.program.relations[rel].arity();
        let claim = Claim {
            rel,
            args: vec![ClaimArg::Wildcard; arity],
            text: run.project.program.relations[rel].name.clone(),
            warnings: Vec::new(),
        };
        timelines.extend(run.timelines(&claim, Some(period)));
    }
    let mut out = stance::base::terminal::stdout(args.format.shape());
    let text = run.render(&timelines, args.format == ProofFormat::Json);
    Phases([start, loaded, evaluated]).print(args.timing);
    finish_output(out.write_all(text.as_bytes()).and_then(|()| out.flush())).map(|()| ExitStatus::Success)
}
