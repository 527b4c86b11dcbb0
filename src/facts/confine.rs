//! Path confinement: rule files and fact tables come from other people, so the files they
//! make `stance` read or write stay inside the project unless the user passes
//! `--allow-outside-paths`.
//!
//! - `.input` files (and statement tables) must resolve inside the facts directory (the
//!   current directory when there is none);
//! - `.output` files must resolve inside `--output-dir`;
//! - `--output-dir` itself must resolve inside the current directory (the project root).
//!
//! "Resolve" means: absolute names and `..` components are refused as written, and the path
//! is then canonicalized (following symlinks, for the part that exists) and must still start
//! with the canonical directory. So a symlinked file or directory leading elsewhere is
//! refused too.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{SourceMap, Span};
use crate::lang::ir;
use std::path::{Component, Path, PathBuf};

/// What a checked path is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Facts,
    Output,
}

impl Place {
    fn name(self) -> &'static str {
        match self {
            Place::Facts => "facts directory",
            Place::Output => "output directory",
        }
    }
}

/// The problem with a file name given in a directive, judged on the text alone.
pub fn lexical_problem(name: &str) -> Option<String> {
    let path = Path::new(name);
    if path.is_absolute() || name.starts_with('/') || name.starts_with('\\') {
        Some(format!("absolute file name `{name}` is refused: give a path relative to the facts or output directory"))
    } else if name.split(['/', '\\']).any(|c| c == "..") {
        Some(format!("file name `{name}` leaves the facts or output directory"))
    } else {
        None
    }
}

/// `path` with its longest existing prefix canonicalized (symlinks followed) and the rest,
/// which does not exist yet, appended as written. A dangling symlink is followed to where it
/// points, so that creating a file through it is judged by where the file would land.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    resolve_within(path, 0)
}

fn resolve_within(path: &Path, depth: usize) -> std::io::Result<PathBuf> {
    // As many links as the kernel follows before giving up with ELOOP.
    const MAX_LINKS: usize = 40;
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        let found = match existing.canonicalize() {
            Ok(canonical) => Some(canonical),
            Err(_) if depth < MAX_LINKS && existing.symlink_metadata().is_ok_and(|m| m.is_symlink()) => {
                let link = std::fs::read_link(existing)?;
                let parent = existing.parent().unwrap_or(Path::new("/"));
                Some(resolve_within(&parent.join(link), depth + 1)?)
            }
            Err(e) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    existing = parent;
                    None
                }
                _ => return Err(e),
            },
        };
        if let Some(mut out) = found {
            out.extend(rest.iter().rev());
            return Ok(out);
        }
    }
}

/// If `path` resolves outside `root`, where it leads instead.
pub fn escapes(path: &Path, root: &Path) -> Option<PathBuf> {
    let root = resolve(root).ok()?;
    let target = resolve(path).ok()?;
    let stays = target.starts_with(&root) && !target.components().any(|c| c == Component::ParentDir);
    (!stays).then_some(target)
}

/// Checks a file that a directive (at `span`) reads or writes in `dir`: `name` is the
/// `filename=` parameter, if any, and `path` the file it names.
pub fn directive_file(
    name: Option<&str>,
    path: &Path,
    dir: &Path,
    place: Place,
    span: Span,
    sources: &SourceMap,
) -> Option<Diagnostic> {
    let label_span = name.map_or(span, |n| parameter_span(span, n, sources));
    if let Some(problem) = name.and_then(lexical_problem) {
        return Some(refusal(Diagnostic::error(Code::OutsideProject, problem).at(label_span, "refused here")));
    }
    let target = escapes(path, dir)?;
    Some(refusal(
        Diagnostic::error(
            Code::OutsideProject,
            format!(
                "`{}` leads outside the {} through a symlink, to `{}`",
                path.display(),
                place.name(),
                target.display()
            ),
        )
        .at(label_span, "refused here"),
    ))
}

/// Checks a statement table found in the facts directory (it may be a symlink).
pub fn statement_table(path: &Path, dir: &Path) -> Option<Diagnostic> {
    let target = escapes(path, dir)?;
    Some(refusal(Diagnostic::error(
        Code::OutsideProject,
        format!("`{}` leads outside the facts directory through a symlink, to `{}`", path.display(), target.display()),
    )))
}

/// Checks `--output-dir` against the project root (the current directory).
pub fn output_dir(dir: &Path) -> Option<Diagnostic> {
    let target = escapes(dir, Path::new("."))?;
    Some(refusal(Diagnostic::error(
        Code::OutsideProject,
        format!(
            "--output-dir `{}` is outside the project (the current directory): it resolves to `{}`",
            dir.display(),
            target.display()
        ),
    )))
}

/// The file names of every `.input` and `.output` directive, judged on their text (before
/// any file is opened, so a bad name is reported even when the file does not exist).
pub fn directive_names(program: &ir::Program, sources: &SourceMap) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for rel in &program.relations {
        for spec in rel.inputs.iter().chain(&rel.outputs) {
            let Some(name) = spec.params.get("filename") else { continue };
            if let Some(problem) = lexical_problem(name) {
                let span = parameter_span(spec.span, name, sources);
                diags.push(refusal(Diagnostic::error(Code::OutsideProject, problem).at(span, "refused here")));
            }
        }
    }
    diags
}

/// Checks `--output-dir` and every `.output` file to be written in it.
pub fn output_files(dir: &Path, program: &ir::Program, sources: &SourceMap) -> Vec<Diagnostic> {
    if let Some(d) = output_dir(dir) {
        return vec![d];
    }
    let mut diags = Vec::new();
    for rel in &program.relations {
        for spec in &rel.outputs {
            let Some(name) = spec.params.get("filename") else { continue };
            diags.extend(directive_file(Some(name), &dir.join(name), dir, Place::Output, spec.span, sources));
        }
    }
    diags
}

fn refusal(d: Diagnostic) -> Diagnostic {
    d.with_help("pass --allow-outside-paths to read and write files outside the project")
}

/// The span of `filename="<name>"` inside the directive at `span` (the whole directive if it
/// cannot be found, e.g. when the name was written with escapes).
fn parameter_span(span: Span, name: &str, sources: &SourceMap) -> Span {
    let text = sources.snippet(span);
    let Some(key) = text.find("filename") else { return span };
    let Some(value) = text[key..].find(name).map(|v| key + v) else { return span };
    let end = (value + name.len() + 1).min(text.len());
    if !text.is_char_boundary(end) {
        return span;
    }
    Span { file: span.file, start: span.start + key as u32, end: span.start + end as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_refusals() {
        assert!(lexical_problem("/etc/passwd").unwrap().contains("absolute"));
        assert!(lexical_problem("../x.facts").unwrap().contains("leaves"));
        assert!(lexical_problem("a/../../x").unwrap().contains("leaves"));
        assert!(lexical_problem("sub\\..\\x").unwrap().contains("leaves"));
        assert_eq!(lexical_problem("sub/x.facts"), None);
        assert_eq!(lexical_problem("x..y.facts"), None);
    }

    #[test]
    fn missing_paths_resolve_through_their_existing_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        assert_eq!(escapes(&root.join("new/deeper/file.csv"), &root), None);
        let outside = escapes(&dir.path().join("elsewhere/file.csv"), &root).unwrap();
        assert!(outside.ends_with("elsewhere/file.csv"));
    }
}
