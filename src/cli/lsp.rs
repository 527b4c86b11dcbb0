//! `stance lsp`: the language server, on standard input and output (see `stance::lsp`).

use super::context::Ctx;
use clap::Args;
use stance::lsp::analysis::Settings;
use stance::session::{ExitStatus, Failure};

#[derive(Args)]
pub struct LspArgs {
    /// Check only; never evaluate the rules (for a workspace you do not trust to be cheap).
    /// Editors can also set `evaluate: false` in the initialization options.
    #[arg(long)]
    no_eval: bool,
}

pub fn run(args: &LspArgs, _ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let settings = Settings { evaluate: !args.no_eval, ..Settings::default() };
    stance::lsp::serve_stdio(settings).map_err(|e| Failure::io(format!("language server: {e}")))?;
    Ok(ExitStatus::Success)
}
