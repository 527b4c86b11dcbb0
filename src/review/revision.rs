//! The rule and fact files of a git revision, written into a temporary directory, for
//! `stance diff REV`. Files are read with `git ls-tree` and `git cat-file --batch` (two git
//! processes whatever the number of files), so no checkout or working-tree change happens.

use crate::base::diag::{Code, Diagnostic};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

/// A revision's files under a temporary directory (removed when this is dropped).
pub struct Checkout {
    /// The temporary directory holding the revision's files.
    pub dir: tempfile::TempDir,
    /// The revision as the user wrote it.
    pub rev: String,
    /// Its commit id, abbreviated.
    pub commit: String,
}

fn error(message: String) -> Diagnostic {
    Diagnostic::error(Code::BadRevision, message)
}

/// Runs git in `cwd` and returns its standard output, or its standard error as the error.
fn git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() { Ok(out.stdout) } else { Err(String::from_utf8_lossy(&out.stderr).trim().to_string()) }
}

/// Writes the files under `paths` (relative to `cwd`, as `--rules`/`--facts` name them) at
/// revision `rev` into a new temporary directory, at the same relative paths.
pub fn checkout(cwd: &Path, rev: &str, paths: &[PathBuf]) -> Result<Checkout, Diagnostic> {
    if git(cwd, &["rev-parse", "--is-inside-work-tree"]).is_err() {
        return Err(error(format!("`{}` is not in a git repository", cwd.display()))
            .with_help("give the two sides as directories instead: --before DIR --after DIR"));
    }
    // A revision that looks like an option would be read by git as one.
    let unknown = || error(format!("unknown revision `{rev}`")).with_help("name a commit, branch or tag: HEAD~1, main");
    if rev.starts_with('-') || rev.is_empty() {
        return Err(unknown());
    }
    let commit = git(cwd, &["rev-parse", "--verify", "--quiet", "--short", &format!("{rev}^{{commit}}")])
        .map_err(|_| unknown())?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();

    let mut args = vec!["ls-tree", "-r", "-z", commit.as_str(), "--"];
    let path_texts: Vec<String> = paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    args.extend(path_texts.iter().map(String::as_str));
    let listing = git(cwd, &args).map_err(|e| error(format!("cannot list the files of `{rev}`: {e}")))?;

    // Entries are `<mode> <type> <object>\t<path>`; only regular files are rules or facts.
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else { continue };
        let mut meta = meta.split(' ');
        let (mode, kind, object) = (meta.next(), meta.next(), meta.next());
        if kind != Some("blob") || !matches!(mode, Some("100644" | "100755")) {
            continue;
        }
        let path = PathBuf::from(path);
        if !path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(error(format!("`{}` at `{rev}` is outside the checkout directory", path.display()))
                .with_help("`--rules` and `--facts` must name paths inside the repository, below this directory"));
        }
        files.push((object.unwrap_or_default().to_string(), path));
    }

    let dir = tempfile::Builder::new()
        .prefix("stance-diff-")
        .tempdir()
        .map_err(|e| error(format!("cannot create a temporary directory: {e}")))?;
    let contents = read_blobs(cwd, files.iter().map(|(object, _)| object.as_str()))
        .map_err(|e| error(format!("cannot read the files of `{rev}`: {e}")))?;
    for ((_, path), bytes) in files.iter().zip(contents) {
        let target = dir.path().join(path);
        let written =
            target.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&target, bytes));
        written.map_err(|e| error(format!("cannot write `{}`: {e}", target.display())))?;
    }
    Ok(Checkout { dir, rev: rev.to_string(), commit })
}

/// The contents of git objects, in order, through one `git cat-file --batch`.
fn read_blobs<'a>(cwd: &Path, objects: impl Iterator<Item = &'a str>) -> std::io::Result<Vec<Vec<u8>>> {
    let request: String = objects.map(|o| format!("{o}\n")).collect();
    if request.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    // Write from another thread: git answers while it reads, and both pipes can fill.
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut blobs = Vec::new();
    let mut header = String::new();
    loop {
        header.clear();
        if reader.read_line(&mut header)? == 0 {
            break;
        }
        // `<object> <type> <size>`, or `<object> missing`.
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("git cat-file: {}", header.trim())))?;
        let mut blob = vec![0; size];
        reader.read_exact(&mut blob)?;
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline)?;
        blobs.push(blob);
    }
    writer.join().map_err(|_| std::io::Error::other("writer thread panicked"))??;
    child.wait()?;
    Ok(blobs)
}
