//! `stance profile FILE`: the slowest rules of a run profiled with `stance infer --profile`.

use super::context::print_bytes;
use clap::Args;
use stance::base::terminal::Shape;
use stance::engine::profile::{self, Profile};
use stance::session::{ExitStatus, Failure};
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  stance infer --profile prof.json > /dev/null
  stance profile prof.json              # the ten slowest rules
  stance profile prof.json --top 30";

#[derive(Args)]
pub struct ProfileArgs {
    /// A profile written by `stance infer --profile FILE`.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// How many rules to list, slowest first.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
}

pub fn run(args: &ProfileArgs) -> Result<ExitStatus, Failure> {
    let name = args.file.display();
    let text =
        std::fs::read_to_string(&args.file).map_err(|e| Failure::io(format!("cannot read the profile {name}: {e}")))?;
    let parsed: Profile = serde_json::from_str(&text).map_err(|e| {
        Failure::io(format!(
            "{name}:{}:{}: not a profile written by `stance infer --profile`: {e}",
            e.line(),
            e.column()
        ))
    })?;
    // Text for people: escaped on the way out (a profile may come from someone else).
    print_bytes(profile::report(&parsed, args.top).as_bytes(), Shape::Text)?;
    Ok(ExitStatus::Success)
}
