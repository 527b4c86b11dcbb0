//! The `stance` command line: parse the arguments, install interrupt handling, run the
//! command (see [`cli`]), and exit with its status.

#![warn(clippy::too_many_lines)]

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    stance::base::interrupt::install();
    // Proof search recurses once per proof level; give deep proofs room.
    let worker = std::thread::Builder::new().stack_size(512 << 20).spawn(move || cli::run(&cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(status)) => ExitCode::from(status.code()),
        _ => ExitCode::from(stance::session::ExitStatus::Usage.code()),
    }
}
