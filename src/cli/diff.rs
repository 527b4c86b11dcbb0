//! `stance diff`: what changed in the derived relations between two versions, and why.

use super::context::{Ctx, ProjectArgs, ProofFormat, print_bytes};
use clap::Args;
use stance::facts::asof::Date;
use stance::session::diff::{self, Layout, Location};
use stance::session::{ExitStatus, Failure};
use std::path::PathBuf;
use std::time::Instant;

pub const EXAMPLES: &str = "\
Examples:
  stance diff HEAD                        # what the uncommitted edits change
  stance diff HEAD~3 HEAD                 # between two revisions
  stance diff --before old --after new    # two directories, each with rules/ and facts/
  stance diff --as-of-before 2016-06-30 --as-of-after 2016-11-30
  stance diff HEAD --format json

--rules and --facts name paths inside each version (default: rules, facts). A revision's
files are read with git into a temporary directory; the working tree is the default
after-version. --as-of applies to both versions; --as-of-before and --as-of-after to one.";

pub const EXIT_CODES_DIFF: &str = "\
Exit codes:
  0  both versions evaluated (whether or not they differ, unless --exit-code)
  1  --exit-code and the derived tuples differ, or either version's rules or facts have
     errors (the diagnostics name the version)
  2  usage error, a file could not be read, or a revision could not be read with git";

#[derive(Args)]
pub struct DiffArgs {
    /// Git revision of the before-version (and of the after-version when a second is given).
    #[arg(value_name = "REV", num_args = 0..=2, conflicts_with = "before")]
    revisions: Vec<String>,

    /// Directory of the before-version (with rules/ and facts/ inside).
    #[arg(long, value_name = "DIR")]
    before: Option<PathBuf>,

    /// Directory of the after-version [default: the working directory].
    #[arg(long, value_name = "DIR")]
    after: Option<PathBuf>,

    #[command(flatten)]
    project: ProjectArgs,

    /// Keep only the statements valid on this day in the before-version (overrides --as-of).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of_before: Option<Date>,

    /// Keep only the statements valid on this day in the after-version (overrides --as-of).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of_after: Option<Date>,

    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    format: ProofFormat,

    /// Exit with 1 when the derived tuples differ (as `git diff --exit-code`).
    #[arg(long)]
    exit_code: bool,

    /// Print to standard error how long each step took.
    #[arg(long)]
    timing: bool,
}

pub fn run(args: &DiffArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    args.project.only_default_engine("diff")?;
    let started = Instant::now();
    let (before, after) =
        Location::pair(&args.revisions, args.before.as_ref(), args.after.as_ref()).map_err(Failure::io)?;
    let as_of = (args.as_of_before.or(args.project.as_of), args.as_of_after.or(args.project.as_of));
    if before == after && as_of.0 == as_of.1 {
        return Err(Failure::io(
            "nothing to compare: give a revision (REV), --before DIR, or two dates (--as-of-before, --as-of-after)"
                .into(),
        ));
    }
    let layout = Layout {
        rules: args.project.rules.clone(),
        facts: args.project.facts.clone(),
        no_facts: args.project.no_facts,
        min_grade: args.project.min_grade,
        min_confidence: args.project.min_confidence,
    };
    let mut versions = Vec::new();
    let mut status = ExitStatus::Success;
    for (which, location, day) in [("before", &before, as_of.0), ("after", &after, as_of.1)] {
        match diff::load_version(location, &layout, day) {
            Ok(v) => versions.push(v),
            Err((mut failure, sources)) => {
                // Name the version in every diagnostic, so that each format carries it.
                for d in &mut failure.diagnostics {
                    d.notes.push(format!("in the {which}-version ({})", location.label()));
                }
                ctx.report(&failure.diagnostics, &sources);
                status = status.max(failure.status);
                if failure.status == ExitStatus::Usage {
                    break; // a usage or read error: the other version would only add noise
                }
            }
        }
    }
    let [mut before, mut after] = match <[_; 2]>::try_from(versions) {
        Ok(pair) if status == ExitStatus::Success => pair,
        _ => return Err(Failure::new(Vec::new(), status)),
    };
    let loaded = Instant::now();
    let diff = diff::compare(&mut before, &mut after);
    let rendered = match args.format {
        ProofFormat::Text => diff::render_text(&diff),
        ProofFormat::Json => {
            // Each side's date: `meta.as_of` is the later version's, `meta.as_of_before` the earlier's.
            let mut json = diff::render_json(&diff);
            let mut meta = args.project.stamp();
            meta.as_of = as_of.1.map(|d| d.to_string());
            json["meta"] = meta.json();
            json["meta"]["as_of_before"] = serde_json::Value::from(as_of.0.map(|d| d.to_string()));
            format!("{json}\n")
        }
    };
    if args.timing {
        eprintln!(
            "timing: load and evaluate both versions {:.1} ms, compare and explain {:.1} ms",
            (loaded - started).as_secs_f64() * 1e3,
            loaded.elapsed().as_secs_f64() * 1e3
        );
    }
    print_bytes(rendered.as_bytes(), args.format.shape())?;
    Ok(ExitStatus::judged(!args.exit_code || diff.is_empty()))
}
