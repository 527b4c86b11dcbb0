//! `stance watch`: re-run on every change to a rule or fact file, printing what changed.

use super::context::{Ctx, EngineArg, ProjectArgs};
use clap::Args;
use stance::session::watch::{self, WatchOptions};
use stance::session::{ExitStatus, Failure};

#[derive(Args)]
pub struct WatchArgs {
    #[command(flatten)]
    project: ProjectArgs,

    /// Show only these relations (default: the `.output` ones, or every derived relation).
    #[arg(long = "relation", value_name = "NAME")]
    relations: Vec<String>,

    /// Print how long each re-run took to standard error.
    #[arg(long)]
    timing: bool,

    /// Stop after N runs (the first run counts): for scripts and tests.
    #[arg(long, value_name = "N", hide = true)]
    exit_after: Option<usize>,
}

pub fn run(args: &WatchArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    if !matches!(args.project.engine, EngineArg::Datafrog | EngineArg::Dd) {
        return Err(Failure::io(
            "`stance watch` runs the datafrog or the dd engine only; use `--engine dd` or leave out --engine"
                .to_string(),
        ));
    }
    args.project.one_live_worker("watch")?;
    let options = WatchOptions {
        relations: args.relations.clone(),
        exit_after: args.exit_after,
        timing: args.timing,
        engine: args.project.eval_options(false).engine,
    };
    watch::watch(&args.project.inputs(), &options, Box::new(ctx.reporter()))?;
    Ok(ExitStatus::Success)
}
