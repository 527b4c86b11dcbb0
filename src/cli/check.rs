//! `stance check`: parse and check rules and facts without evaluating.

use super::context::{Ctx, ProjectArgs, counted, plural};
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
    let program = &project.program;
    // A constraint is counted as one, not as its hidden relation and rule.
    let relations = (0..program.relations.len()).filter(|&r| !program.is_constraint(r)).count();
    let rules = program.rules.iter().filter(|r| !r.is_fact && !program.is_constraint(r.head)).count();
    let facts: usize = project.facts.relations.values().map(|rows| rows.len()).sum();
    let mut parts = vec![counted(relations, "relation"), counted(rules, "rule")];
    if !program.constraints.is_empty() {
        parts.push(counted(program.constraints.len(), "constraint"));
    }
    parts.push(format!("{} from tables", counted(facts, "fact")));
    if warnings > 0 {
        parts.push(counted(warnings, "warning"));
    }
    eprintln!("ok: {}", parts.join(", "));
    Ok(ExitStatus::Success)
}
