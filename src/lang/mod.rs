//! The rule language: text → syntax tree (`syntax`) → checked program (`check` → `ir`), and
//! the tools that read rule files without evaluating them (`lint`, `fmt`).

pub mod check;
pub mod components;
pub mod defeasible;
pub mod fmt;
pub mod functors;
pub mod ir;
pub mod lint;
pub mod magic;
pub mod syntax;

use itertools::Itertools;
use std::path::{Path, PathBuf};

/// The rule files a path names: the file itself, or every `*.dl` directly inside a
/// directory, sorted (so the order files are named in changes nothing); `-` stays `-`
/// (standard input). `Ok(None)` when the path does not exist. Every command that reads rule
/// files walks them with this.
pub fn rule_files(path: &Path) -> std::io::Result<Option<Vec<PathBuf>>> {
    if path == Path::new("-") || path.is_file() {
        return Ok(Some(vec![path.to_path_buf()]));
    }
    if !path.is_dir() {
        return Ok(None);
    }
    let files = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dl") && p.is_file())
        .sorted()
        .collect();
    Ok(Some(files))
}
