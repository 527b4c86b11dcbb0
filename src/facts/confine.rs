//! Path confinement: rule files, fact tables and claims files come from other people, so the
//! paths *they* name stay inside the project; paths the user types go wherever the user says.
//!
//! - A path typed on the command line (`--rules`, `--facts`, `--output-dir`, and the defaults
//!   `rules/` and `facts/` that stand for them) is followed as written. Only when it names a
//!   place inside the project by its text (relative, no `..`) must it also resolve inside the
//!   project root, the current directory: a symlink shipped in the project (`facts -> /etc`)
//!   cannot lead it out ([`typed_path`]).
//! - `.input` files and the statement tables found in the facts directory must resolve inside
//!   the facts directory (the current directory when there is none); rule files found in a
//!   rules directory, inside that directory. They are opened once and the opened handle is
//!   checked ([`open_inside`]), so no swap between a check and an open can sneak another file in.
//! - Claims files, and rule files given to `fmt`, inside the project by name must resolve
//!   inside it ([`open_typed`]).
//! - `.output` file names are relative, without `..`, without hidden components (`.git/config`),
//!   with a data extension (no `build.rs`), and nothing below `--output-dir` on their way may
//!   be a symlink; an output may not replace a file the same run reads ([`output_files`]).
//!
//! "Resolve" means: absolute names and `..` components are refused as written, and the path
//! is then canonicalized (following symlinks, for the part that exists) and must still start
//! with the canonical directory.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{SourceMap, Span};
use crate::lang::ir;
use std::fs::File;
use std::path::{Component, Path, PathBuf};

/// What `--allow-outside-paths` (kept so that old scripts still run) prints.
pub const ALLOW_OUTSIDE_PATHS_DEPRECATED: &str = "warning: --allow-outside-paths is deprecated and has no effect: paths typed on the command line go anywhere, and paths named in rule files always stay inside the facts and output directories";

/// What a checked path is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The facts directory.
    Facts,
    /// The rules directory.
    Rules,
    /// The project root (the current directory).
    Project,
}

impl Place {
    fn name(self) -> &'static str {
        match self {
            Place::Facts => "facts directory",
            Place::Rules => "rules directory",
            Place::Project => "project",
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

/// The extensions an `.output` file may have: data, which no tool runs.
pub const OUTPUT_EXTENSIONS: &[&str] = &["csv", "facts", "tsv", "txt"];

/// The problem with an `.output` file name that is not a lexical escape: a hidden component
/// (`.git/config`, `sub/.bashrc`) names a place no analysis output belongs in, and a name
/// that is not a data file (`build.rs`, `Makefile`, `rules/x.dl`) could be run or read as
/// code by the next tool in the project.
pub fn output_name_problem(name: &str) -> Option<String> {
    if let Some(hidden) = name.split(['/', '\\']).find(|c| c.starts_with('.') && *c != ".") {
        return Some(format!(
            "output file name `{name}` goes through the hidden name `{hidden}`: outputs are never written to hidden paths"
        ));
    }
    let extension = Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if extension.is_some_and(|e| OUTPUT_EXTENSIONS.contains(&e.as_str())) {
        return None;
    }
    Some(format!("output file name `{name}` is not a data file: outputs end in .{}", OUTPUT_EXTENSIONS.join(", .")))
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

/// The refusal of a file that a directive (at `span`) reads, which leads outside `place`
/// (to `target`): `name` is the directive's `filename=` parameter, if any.
pub fn directive_file(
    name: Option<&str>,
    path: &Path,
    target: &Path,
    place: Place,
    span: Span,
    sources: &SourceMap,
) -> Diagnostic {
    let label_span = name.map_or(span, |n| parameter_span(span, n, sources));
    refusal(
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
    )
}

/// Checks a path typed on the command line (or a default standing for one, such as
/// `facts`): if its text names a place inside the project (relative, no `..`), it must
/// resolve inside the project root, the current directory. `what` names it for the message.
pub fn typed_path(path: &Path, what: &str) -> Option<Diagnostic> {
    let inside_by_name = path.is_relative() && !path.components().any(|c| c == Component::ParentDir);
    if !inside_by_name || path == Path::new("-") {
        return None;
    }
    let target = escapes(path, Path::new("."))?;
    Some(
        Diagnostic::error(
            Code::OutsideProject,
            format!(
                "{what} `{}` is inside the project by name but a symlink leads it outside, to `{}`",
                path.display(),
                target.display()
            ),
        )
        .with_help(format!(
            "if you mean that place, type it yourself (e.g. `{}`): paths typed on the command line go anywhere",
            target.display()
        )),
    )
}

/// The file names of every `.input` and `.output` directive, judged on their text (before
/// any file is opened, so a bad name is reported even when the file does not exist).
pub fn directive_names(program: &ir::Program, sources: &SourceMap) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for rel in &program.relations {
        let specs = rel.inputs.iter().map(|s| (s, false)).chain(rel.outputs.iter().map(|s| (s, true)));
        for (spec, output) in specs {
            let Some(name) = spec.params.get("filename") else { continue };
            let span = || parameter_span(spec.span, name, sources);
            if let Some(problem) = lexical_problem(name) {
                diags.push(refusal(Diagnostic::error(Code::OutsideProject, problem).at(span(), "refused here")));
            } else if let Some(problem) = output_name_problem(name).filter(|_| output) {
                diags.push(Diagnostic::error(Code::UnsafeOutput, problem).at(span(), "refused here"));
            }
        }
    }
    diags
}

/// Checks `--output-dir` and every file to be written in it (`files`: each name relative to
/// `dir`, with the directive that names it, if any), before anything is evaluated: no
/// symlink below `dir` on the way to a file, and no file that this run reads (`read`).
pub fn output_files(
    dir: &Path,
    files: &[(String, Option<&ir::IoSpec>)],
    read: &[Identity],
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    if let Some(d) = typed_path(dir, "--output-dir") {
        return vec![d];
    }
    let mut diags = Vec::new();
    for (name, spec) in files {
        let located = |d: Diagnostic| match spec {
            Some(spec) => {
                let span = spec.params.get("filename").map_or(spec.span, |n| parameter_span(spec.span, n, sources));
                d.at(span, "written by this directive")
            }
            None => d,
        };
        let path = dir.join(name);
        let mut walked = dir.to_path_buf();
        for part in Path::new(name).components() {
            walked.push(part);
            if walked.symlink_metadata().is_ok_and(|m| m.is_symlink()) {
                diags.push(located(Diagnostic::error(
                    Code::UnsafeOutput,
                    format!(
                        "`{}` is a symlink: outputs are never written through a symlink (on the way to `{}`)",
                        walked.display(),
                        path.display()
                    ),
                )));
                break;
            }
        }
        if let Ok(meta) = std::fs::metadata(&path)
            && read.contains(&Identity::of(&path, &meta))
        {
            diags.push(
                located(Diagnostic::error(
                    Code::UnsafeOutput,
                    format!("writing `{}` would overwrite a file this run reads", path.display()),
                ))
                .with_help("choose another --output-dir, or another file name in the `.output` directive"),
            );
        }
    }
    diags
}

/// Checks one file named on the command line for writing (`what` is its flag, e.g.
/// `--profile`), before anything is evaluated: a name inside the project must not lead outside
/// through a symlink, and the file must not be one this run reads (`read`).
pub fn output_file(path: &Path, what: &str, read: &[Identity]) -> Option<Diagnostic> {
    if let Some(d) = typed_path(path, what) {
        return Some(d);
    }
    let meta = std::fs::metadata(path).ok()?;
    read.contains(&Identity::of(path, &meta)).then(|| {
        Diagnostic::error(
            Code::UnsafeOutput,
            format!("{what} `{}` would overwrite a file this run reads", path.display()),
        )
        .with_help(format!("give {what} another file"))
    })
}

/// Which file a handle or a path is: device and inode on Unix, so that two names for one
/// file (a hard link, `./x` and `x`) compare equal. Elsewhere, the canonical path (a weaker
/// check: two hard links differ, and a swap between open and check goes unseen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    #[cfg(unix)]
    key: (u64, u64),
    #[cfg(not(unix))]
    key: PathBuf,
}

impl Identity {
    /// The identity of the file at `path` (whose metadata, from its handle, is `meta`).
    pub fn of(path: &Path, meta: &std::fs::Metadata) -> Identity {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = path;
            Identity { key: (meta.dev(), meta.ino()) }
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Identity { key: path.canonicalize().unwrap_or_else(|_| path.to_path_buf()) }
        }
    }
}

/// Why [`open_inside`] gave no file.
#[derive(Debug)]
pub enum OpenError {
    /// The file could not be opened or examined.
    Io(std::io::Error),
    /// The file resolves outside the directory, to this path (or was swapped while opened).
    Outside(PathBuf),
}

/// Opens `path` once and checks the opened handle: the file it reached must be the one at
/// the canonical path of `path`, and that path must be inside `root`. Checking a name and
/// then opening it again would let a symlink swapped in between lead elsewhere; here a swap
/// makes the identities differ and the file is refused. (A hard link inside the project to a
/// file outside passes: it can only be made by someone who can read the file already.)
pub fn open_inside(path: &Path, root: &Path) -> Result<(File, Identity), OpenError> {
    let file = File::open(path).map_err(OpenError::Io)?;
    let identity = check_opened(&file, path, root)?;
    Ok((file, identity))
}

/// The check of [`open_inside`] on a `file` already opened by `path`.
fn check_opened(file: &File, path: &Path, root: &Path) -> Result<Identity, OpenError> {
    let opened = Identity::of(path, &file.metadata().map_err(OpenError::Io)?);
    let root = root.canonicalize().map_err(OpenError::Io)?;
    let canonical = path.canonicalize().map_err(OpenError::Io)?;
    let now = std::fs::metadata(&canonical).map(|m| Identity::of(&canonical, &m));
    if !canonical.starts_with(&root) || now.ok().as_ref() != Some(&opened) {
        return Err(OpenError::Outside(canonical));
    }
    Ok(opened)
}

/// Opens a file whose path was typed (or found in a typed directory) once: when the path is
/// inside the project by its text (relative, no `..`), the opened file must be inside the
/// project root, as for [`typed_path`]; otherwise it is opened as the user wrote it.
pub fn open_typed(path: &Path) -> Result<(File, Identity), OpenError> {
    let inside_by_name = path.is_relative() && !path.components().any(|c| c == Component::ParentDir);
    if inside_by_name {
        return open_inside(path, Path::new("."));
    }
    let file = File::open(path).map_err(OpenError::Io)?;
    let identity = Identity::of(path, &file.metadata().map_err(OpenError::Io)?);
    Ok((file, identity))
}

/// The refusal for a file found by listing a directory (a statement table, a rule file in a
/// rules directory) that leads outside it.
pub fn listed_file(path: &Path, target: &Path, place: Place) -> Diagnostic {
    refusal(Diagnostic::error(
        Code::OutsideProject,
        format!("`{}` leads outside the {} through a symlink, to `{}`", path.display(), place.name(), target.display()),
    ))
}

fn refusal(d: Diagnostic) -> Diagnostic {
    d.with_help(
        "rule files name files inside the facts and output directories only; choose those directories on the command line (--facts, --output-dir)",
    )
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
        assert!(output_name_problem(".git/config").unwrap().contains("hidden name `.git`"));
        assert!(output_name_problem("sub\\.ssh\\keys.csv").unwrap().contains("hidden name `.ssh`"));
        assert_eq!(output_name_problem("./out.csv"), None);
        assert_eq!(output_name_problem("a.b/c.FACTS"), None);
        for code in ["build.rs", "Makefile", "rules/x.dl", "run.sh", "package.json"] {
            assert!(output_name_problem(code).unwrap().contains("is not a data file"), "{code}");
        }
    }

    /// The race a check-then-open loses: the link leads outside when the file is opened and
    /// inside when it is checked. The opened handle is not the file at the checked path.
    #[cfg(unix)]
    #[test]
    fn a_link_swapped_between_open_and_check_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(dir.path().join("secret"), "secret\n").unwrap();
        std::fs::write(root.join("ok.facts"), "a\n").unwrap();
        let link = root.join("s.facts");
        std::os::unix::fs::symlink(dir.path().join("secret"), &link).unwrap();
        let file = File::open(&link).unwrap();
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(root.join("ok.facts"), &link).unwrap();
        assert!(matches!(check_opened(&file, &link, &root), Err(OpenError::Outside(_))));
        // Without the swap, the file inside passes.
        let file = File::open(&link).unwrap();
        assert!(check_opened(&file, &link, &root).is_ok());
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
