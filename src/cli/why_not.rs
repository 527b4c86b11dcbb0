//! `stance why-not`: why a claim does not hold, how far each rule that could derive it gets.

use super::context::{Ctx, ProjectArgs, print_bytes};
use clap::Args;
use stance::proof::explain;
use stance::session::{ExitStatus, Failure};

#[derive(Args)]
pub struct WhyNotArgs {
    /// The claim that was expected to hold: 'aligned("Algeria", "Haftar")', or a pattern
    /// with variables or `_` that was expected to match: 'aligned("Algeria", _)'.
    claim: String,
    #[command(flatten)]
    project: ProjectArgs,
    /// Evaluate the whole program, not only what the claim needs (see `stance query --help`).
    #[arg(long)]
    full: bool,
}

pub fn run(args: &WhyNotArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let (mut run, claim) = ctx.load_for_claim(&args.project, &args.claim, args.full)?;
    let mut ex = run.explainer();
    // A literal of a defeasible theory that is not proved: the counter-arguments that
    // stopped it and the arguments for it, rather than how far each rule's body gets.
    let defeasible = claim.tuple().and_then(|t| stance::proof::defeasible::why_not(&ex, claim.rel, &t));
    let report = match defeasible {
        Some(text) => format!("why not {}?\n{text}", claim.text),
        None => explain::why_not(&mut ex, &claim),
    };
    print_bytes(report.as_bytes(), stance::base::terminal::Shape::Text).map(|()| ExitStatus::Success)
}
