//! `stance init DIR`: a small working project (facts, rules, claims, a README) that passes
//! `check`, `review` and `report`, written without ever replacing a file that is there.

use super::{ExitStatus, Failure};
use crate::base::diag::{Code, Diagnostic};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The files of a new project: path inside DIR, contents.
pub const FILES: &[(&str, &str)] = &[
    ("README.md", include_str!("scaffold/README.md")),
    ("facts/statements.csv", include_str!("scaffold/statements.csv")),
    ("rules/stances.dl", include_str!("scaffold/stances.dl")),
    ("claims/stances.claims", include_str!("scaffold/stances.claims")),
];

/// Writes the project's files under `dir` (created when missing) and returns their paths.
///
/// Refuses, writing nothing, when any of them exists already. Each file is then created with
/// `create_new`, so a file that appears between the check and the write is not replaced
/// either (the run then stops with an error, leaving the files it wrote).
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let paths: Vec<PathBuf> = FILES.iter().map(|(name, _)| dir.join(name)).collect();
    let existing: Vec<String> =
        paths.iter().filter(|p| p.symlink_metadata().is_ok()).map(|p| format!("`{}`", p.display())).collect();
    if !existing.is_empty() {
        return Err(output_error(format!(
            "not initialising `{}`: {} already exist{}; stance init never replaces a file (choose an empty directory)",
            dir.display(),
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        )));
    }
    for (path, (_, text)) in paths.iter().zip(FILES) {
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent)
            .map_err(|e| output_error(format!("cannot create directory `{}`: {e}", parent.display())))?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| output_error(format!("cannot create `{}`: {e}", path.display())))?;
        file.write_all(text.as_bytes()).map_err(|e| output_error(format!("cannot write `{}`: {e}", path.display())))?;
    }
    Ok(paths)
}

/// A file of the new project that cannot be written (or is there already): error E022.
fn output_error(message: String) -> Failure {
    Failure::new(vec![Diagnostic::error(Code::OutputError, message)], ExitStatus::Usage)
}
