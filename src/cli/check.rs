//! `stance check`: parse and check rules and facts without evaluating.

use super::context::{Ctx, ProjectArgs, plural};
use clap::Args;
use stance::session::{self, ExitStatus, Failure};
use std::path::PathBuf;

#[derive(Args)]
pub struct CheckArgs {
    /// Rule files or directories to check (instead of `--rules`).
    #[arg(value_name = "PATHS")]
    paths: Vec<PathBuf>,

    #[command(flatten)]
    project: ProjectArgs,

    /// Treat warnings as errors: print them and exit with 1.
    #[arg(long)]
    deny_warnings: bool,
}

pub fn run(args: &CheckArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let mut inputs = args.project.inputs();
    if !args.paths.is_empty() {
        inputs.rules = args.paths.clone();
    }
    let mut project = session::load(&inputs, &mut ctx.sources)?;
    ctx.report(&project.warnings, &project.sources);
    let warnings = project.warnings.len();
    if args.deny_warnings && warnings > 0 {
        eprintln!("error: {warnings} warning{} denied (--deny-warnings)", plural(warnings));
        return Err(Failure::new(Vec::new(), ExitStatus::Failed).within(&mut project.sources));
    }
    let rules = project.program.rules.iter().filter(|r| !r.is_fact).count();
    let facts: usize = project.facts.relations.values().map(|rows| rows.len()).sum();
    let warned = if warnings > 0 { format!(", {warnings} warning{}", plural(warnings)) } else { String::new() };
    eprintln!(
        "ok: {} relations, {} rules, {} facts from tables{warned}",
        project.program.relations.len(),
        rules,
        facts
    );
    Ok(ExitStatus::Success)
}
