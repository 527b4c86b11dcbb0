//! `stance conclusions`: every literal of a defeasible theory with its status.

use super::context::{Ctx, ProjectArgs, ProofFormat, print_bytes};
use clap::Args;
use stance::session::{ExitStatus, Failure};

pub const HELP: &str = "\
Each literal of the ground theory (every tuple some rule or statement could conclude, and
its complement `~rel`) is `definitely` (strict rules from strict facts), `defeasibly`
(proved, every attack blocked or beaten), `undecided` (supported, not proved: ambiguous or
looping) or `not` (every argument for it defeated or missing). `--defeasible` picks
ambiguity blocking (the default) or propagating.

Exit codes:
  0  success
  1  the rules or facts have errors
  2  usage error, or a file could not be read";

#[derive(Args)]
pub struct ConclusionsArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// text: `status  atom` per line; json: one object.
    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    format: ProofFormat,
}

pub fn run(args: &ConclusionsArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let mut project = ctx.load(&args.project.inputs())?;
    // A program of strict rules is a theory too: every conclusion definite or not.
    project.program.defeasible.forced = true;
    let run = ctx.evaluate(project, &args.project.eval_options(false))?;
    let Some(c) = run.model.defeasible.as_deref() else {
        let d = stance::base::diag::Diagnostic::error(
            stance::base::diag::Code::Defeasible,
            "the program has no defeasible rule, defeater or `.prefer`: every tuple `infer` derives holds definitely",
        );
        return Err(Failure::new(vec![d], ExitStatus::Failed));
    };
    let (program, symbols) = (&run.project.program, &run.project.symbols);
    let rendered = match args.format {
        ProofFormat::Text => stance::proof::defeasible::render_text(program, c, symbols),
        ProofFormat::Json => {
            let mut json = stance::proof::defeasible::render_json(program, c, symbols);
            json["meta"] = args.project.stamp().json();
            format!("{json}\n")
        }
    };
    print_bytes(rendered.as_bytes(), args.format.shape())?;
    Ok(ExitStatus::Success)
}
