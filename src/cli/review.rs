//! `stance review`: a verdict for every claim of claims files.

use super::context::{Ctx, ProjectArgs, print_bytes};
use clap::{Args, ValueEnum};
use stance::base::terminal::Shape;
use stance::review::verdicts;
use stance::session::time::TimedSession;
use stance::session::{ExitStatus, Failure, Inputs, claim_files};
use std::path::PathBuf;

pub const HELP: &str = "\
Claims files (*.claims), one claim per line:
  aligned(\"Russia\", \"Tobruk\").            expected to be derivable
  !conflict(\"Egypt\", \"Tobruk\").           expected not to be derivable
  count aligned(_, \"Haftar\") = 11.        expected number of matching tuples
  contradicted aligned(\"Egypt\", \"GNA\").   expected to collide with a constraint
  aligned(\"Russia\", \"Haftar\") @ 2016-11-28.     ... on that day (any claim)
  !aligned(\"Russia\", \"Haftar\") during 2015.     ... on some day of 2015 (none, for `!`)
  // comment lines above a claim (or after it, on its line) are its note
Or CSV (*.csv) with the columns claim,expect,note; expect is `supported` (or empty),
`not supported`, `contradicted` or `count = N`. A directory means every *.claims and *.csv
inside; `-` reads claims (in the .claims syntax) from standard input.

Verdicts, for the claim as written: SUPPORTED (`a.` holds, `!a.` does not, a count is
right), CONTRADICTED (`contradicted a.`: it would complete a constraint violation), FAILED
(the expectation is not met: what was found is SUPPORTED, NOT SUPPORTED or CONTRADICTED).
A note says when a tuple that holds takes part in a violation, or a constraint rules out a
negated claim.

Examples:
  stance review claims/libya.claims
  stance review claims/ --format junit > review.xml";

pub const EXIT_CODES_REVIEW: &str = "\
Exit codes:
  0  every expectation is met
  1  some expectation fails, or the claims, rules or facts have errors
  2  usage error, or a file could not be read";

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReviewFormat {
    Text,
    Json,
    Junit,
}

#[derive(Args)]
pub struct ReviewArgs {
    /// Claims files (*.claims, *.csv) or directories; `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    project: ProjectArgs,
    /// text: a line per claim with what backs it; json: every field; junit: JUnit XML for CI.
    #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
    format: ReviewFormat,
}

pub fn run(args: &ReviewArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let files = claim_files::expand(&args.files)?;
    let texts = claim_files::read_all(&files)?;
    let mut run = ctx.load_recorded(&args.project)?;
    let specs = claim_files::parse_all(&texts, &mut run.project).map_err(|f| f.within(&mut run.project.sources))?;
    if specs.iter().any(|s| s.when.is_some()) {
        return run_timed(args, ctx, &texts);
    }
    ctx.report(&claim_files::warnings(&specs), &run.project.sources);
    let grading = super::explain::graded(&run.project.facts).then(|| run.grading());
    let mut ex = run.explainer();
    ex.grading = grading.as_ref();
    let outcomes = verdicts::review(&mut ex, &specs);
    let rendered = match args.format {
        ReviewFormat::Text => verdicts::render_text(&mut ex, &outcomes),
        ReviewFormat::Json => {
            let mut json = verdicts::render_json(&mut ex, &outcomes);
            json["meta"] = args.project.stamp().json();
            format!("{json}\n")
        }
        ReviewFormat::Junit => verdicts::render_junit(&mut ex, &outcomes),
    };
    let shape = if args.format == ReviewFormat::Text { Shape::Text } else { Shape::Data };
    print_bytes(rendered.as_bytes(), shape)?;
    Ok(ExitStatus::judged(outcomes.iter().all(|o| o.passed())))
}

/// Claims with a time (`@ DAY`, `during PERIOD`): each judged on the model of its day (see
/// `session::time`), the others on the model of all dates.
fn run_timed(args: &ReviewArgs, ctx: &mut Ctx, texts: &[(String, String)]) -> Result<ExitStatus, Failure> {
    if args.project.as_of.is_some() {
        return Err(Failure::io("claims with `@` or `during` give their own days: drop --as-of".into()));
    }
    let project = ctx.load(&Inputs { with_time: true, ..args.project.inputs() })?;
    let options = args.project.eval_options(true);
    let mut timed = TimedSession::evaluate(project, &options)?;
    let plain =
        stance::session::evaluate(&mut timed.project, &options).map_err(|f| f.within(&mut timed.project.sources))?;
    let specs = claim_files::parse_all(texts, &mut timed.project).map_err(|f| f.within(&mut timed.project.sources))?;
    ctx.report(&claim_files::warnings(&specs), &timed.project.sources);
    let fail = |f: Failure, timed: &mut TimedSession| f.within(&mut timed.project.sources);
    let rendered = match args.format {
        ReviewFormat::Text => {
            let judged = timed.review(&plain, &specs, &options, &mut |_, _| ());
            let judged = judged.map_err(|f| fail(f, &mut timed))?;
            let outcomes: Vec<_> = judged.into_iter().map(|(o, ())| o).collect();
            let width = verdicts::text_width(&outcomes);
            let pieces = timed.review(&plain, &specs, &options, &mut |ex, o| verdicts::claim_text(ex, o, width));
            let (outcomes, pieces): (Vec<_>, Vec<_>) = pieces.map_err(|f| fail(f, &mut timed))?.into_iter().unzip();
            (verdicts::assemble_text(&pieces, &outcomes), outcomes)
        }
        ReviewFormat::Json => {
            let judged = timed.review(&plain, &specs, &options, &mut |ex, o| verdicts::claim_json(ex, o));
            let (outcomes, claims): (Vec<_>, Vec<_>) = judged.map_err(|f| fail(f, &mut timed))?.into_iter().unzip();
            let mut json = verdicts::assemble_json(claims, &outcomes);
            json["meta"] = args.project.stamp().json();
            (format!("{json}\n"), outcomes)
        }
        ReviewFormat::Junit => {
            let judged = timed.review(&plain, &specs, &options, &mut |ex, o| verdicts::claim_junit(ex, o));
            let (outcomes, pieces): (Vec<_>, Vec<_>) = judged.map_err(|f| fail(f, &mut timed))?.into_iter().unzip();
            (verdicts::assemble_junit(&pieces, &outcomes), outcomes)
        }
    };
    let shape = if args.format == ReviewFormat::Text { Shape::Text } else { Shape::Data };
    print_bytes(rendered.0.as_bytes(), shape)?;
    Ok(ExitStatus::judged(rendered.1.iter().all(|o| o.passed())))
}
