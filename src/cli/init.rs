//! `stance init DIR`: a small working project to start from.

use clap::Args;
use stance::session::{ExitStatus, Failure, scaffold};
use std::path::PathBuf;

#[derive(Args)]
pub struct InitArgs {
    /// Directory to create the project in (created when missing; no file in it is replaced).
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
}

pub fn run(args: &InitArgs) -> Result<ExitStatus, Failure> {
    let written = scaffold::init(&args.dir)?;
    for path in &written {
        eprintln!("created {}", path.display());
    }
    let cd = if args.dir == std::path::Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", shell_quote(&args.dir.display().to_string()))
    };
    eprintln!("next: {cd}stance check && stance review claims/ && stance report --claims claims/ -o report.html");
    Ok(ExitStatus::Success)
}

/// A path as a shell word: left alone when it is plain, single-quoted otherwise.
fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
