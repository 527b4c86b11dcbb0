//! `stance contradictions`: every violation of the constraints, with the proofs that collide.

use super::context::{Ctx, ProjectArgs, ProofFormat, plural, print_bytes};
use clap::Args;
use stance::review::constraints;
use stance::session::{ExitStatus, Failure};

pub const EXIT_CODES_CONTRADICTIONS: &str = "\
Exit codes:
  0  no constraint is violated
  1  some constraint is violated, or the rules or facts have errors
  2  usage error, or a file could not be read";

#[derive(Args)]
pub struct ContradictionsArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// text: each violation with the proof tree of every body atom; json: one object.
    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    format: ProofFormat,
}

pub fn run(args: &ContradictionsArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let mut run = ctx.load_recorded(&args.project)?;
    let mut ex = run.explainer();
    let found = constraints::violations(&mut ex);
    let rendered = match args.format {
        ProofFormat::Text => found.iter().map(|v| constraints::render_violation(&ex, v)).collect::<Vec<_>>().join("\n"),
        ProofFormat::Json => {
            let list: Vec<serde_json::Value> = found.iter().map(|v| constraints::violation_json(&ex, v)).collect();
            format!("{}\n", serde_json::json!({ "violations": list }))
        }
    };
    let count = ex.program.constraints.len();
    eprintln!("{} violation{} of {count} constraint{}", found.len(), plural(found.len()), plural(count));
    print_bytes(rendered.as_bytes(), args.format.shape())?;
    Ok(ExitStatus::judged(found.is_empty()))
}
