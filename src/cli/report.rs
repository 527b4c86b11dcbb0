//! `stance report`: one self-contained HTML page for reviewers.

use super::context::{Ctx, ProjectArgs, usage_failure, write_result};
use super::graph::NetworkArgs;
use clap::Args;
use stance::picture::{findings, report};
use stance::review::verdicts;
use stance::session::time::TimedSession;
use stance::session::{ExitStatus, Failure, Inputs, claim_files};
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  stance report -o report.html
  stance report --claims claims/libya.claims -o report.html
  stance report --relations aligned,conflict --max-claims 500 -o report.html

The report is written whatever the claims' verdicts (`stance review` exits 1 on a failed one).";

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    project: ProjectArgs,
    #[command(flatten)]
    network: NetworkArgs,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// List at most N derived claims (with proofs) in the table.
    #[arg(long, value_name = "N", default_value_t = report::DEFAULT_MAX_CLAIMS)]
    max_claims: usize,
    /// The page's title.
    #[arg(long, default_value = "stance report")]
    title: String,
    /// Review these claims files (*.claims, *.csv) or directories, as `stance review` does,
    /// and show each claim's verdict; `-` reads standard input.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    claims: Vec<PathBuf>,
    /// Show when each claim held (its intervals, and the statements that opened and closed
    /// them) and put a day slider on the network, from the model with time.
    #[arg(long, conflicts_with = "as_of")]
    with_time: bool,
}

pub fn run(args: &ReportArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let files = claim_files::expand(&args.claims)?;
    let project = ctx.load(&Inputs { with_time: args.with_time, ..args.project.inputs() })?;
    let mut run = ctx.evaluate(project, &args.project.eval_options(true))?;
    let specs = claim_files::load(&files, &mut run.project).map_err(|f| f.within(&mut run.project.sources))?;
    if let Some(timed) = specs.iter().find(|s| s.when.is_some()) {
        let at = run.project.sources.file_line(timed.span);
        return Err(Failure::io(format!(
            "{at}: the report does not judge claims with `@` or `during` yet; `stance review` does"
        )));
    }
    ctx.report(&claim_files::warnings(&specs), &run.project.sources);
    let options = report::ReportOptions {
        title: args.title.clone(),
        network: args.network.options(),
        max_claims: args.max_claims,
    };
    let grading = super::explain::graded(&run.project.facts).then(|| run.grading());
    let mut ex = run.explainer();
    ex.grading = grading.as_ref();
    let violations = findings::violations(&mut ex);
    let verdicts = (!args.claims.is_empty()).then(|| {
        let outcomes = verdicts::review(&mut ex, &specs);
        findings::claim_verdicts(&mut ex, &outcomes)
    });
    let collected = report::collect(&mut ex, &options, violations, verdicts);
    drop(ex);
    let mut input = match collected {
        Ok(input) => input,
        Err(d) => return Err(usage_failure(d, run.project)),
    };
    let inputs = args.project.inputs();
    input.inputs = inputs.rules.iter().map(|p| format!("rules: {}", p.display())).collect();
    if let Some(dir) = &inputs.facts {
        input.inputs.push(format!("facts: {}", dir.display()));
    }
    input.inputs.extend(args.claims.iter().map(|p| format!("claims: {}", p.display())));
    input.stamp = args.project.stamp();
    if args.with_time {
        // The same project (its symbols, so its tuples) evaluated again with time.
        let picked = report::picked_claims(&run.project.program, &run.model, &run.project.symbols, args.max_claims);
        let mut timed = TimedSession::evaluate(run.project, &args.project.eval_options(false))?;
        input.time = Some(timed.report_view(&picked, &input.network));
    }
    write_result(args.output.as_deref(), report::render(&input).as_bytes()).map(|()| ExitStatus::Success)
}
