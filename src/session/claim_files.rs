//! Reading claims files for the commands that take them (`stance review FILE...`,
//! `stance report --claims FILE...`): directories expand to their `*.claims` and `*.csv`
//! files, `-` is standard input, and every file is parsed against the loaded program.

use crate::proof::claims::{self, ClaimSpec};
use crate::session::{ExitStatus, Failure, Project};
use std::path::{Path, PathBuf};

/// The files named: a file as given (read later, so a missing one is reported when read),
/// a directory as its `*.claims` and `*.csv` files, sorted.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries =
            std::fs::read_dir(path).map_err(|e| Failure::io(format!("cannot read `{}`: {e}", path.display())))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "claims" || x == "csv"))
            .collect();
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// A claims file's text (`-`: standard input); bytes that are not UTF-8 become U+FFFD, so
/// the parser reports them where they are.
pub fn read(path: &Path) -> Result<String, Failure> {
    if path == Path::new("-") {
        let mut buf = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf)
            .map_err(|e| Failure::io(format!("cannot read standard input: {e}")))?;
        return Ok(buf);
    }
    // Opened once and checked: a claims file inside the project by name (`claims/x.claims`)
    // may not be a symlink leading out of it.
    let (mut file, _) = crate::facts::confine::open_typed(path).map_err(|e| match e {
        crate::facts::confine::OpenError::Io(e) => Failure::io(format!("cannot read `{}`: {e}", path.display())),
        crate::facts::confine::OpenError::Outside(target) => Failure::new(
            vec![crate::facts::confine::listed_file(path, &target, crate::facts::confine::Place::Project)],
            super::ExitStatus::Usage,
        ),
    })?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes)
        .map_err(|e| Failure::io(format!("cannot read `{}`: {e}", path.display())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads and parses every file (from [`expand`]) into the project's source map. Parse errors
/// of all files are reported together (exit 1); an unreadable file stops at once (exit 2).
pub fn load(files: &[PathBuf], project: &mut Project) -> Result<Vec<ClaimSpec>, Failure> {
    parse_all(&read_all(files)?, project)
}

/// Every file's name (as shown) and text, read once (standard input cannot be read twice).
pub fn read_all(files: &[PathBuf]) -> Result<Vec<(String, String)>, Failure> {
    files
        .iter()
        .map(|path| {
            let name = if path == Path::new("-") { "<stdin>".to_string() } else { path.display().to_string() };
            Ok((name, read(path)?))
        })
        .collect()
}

/// Parses texts from [`read_all`] into the project's source map, as [`load`] does.
pub fn parse_all(texts: &[(String, String)], project: &mut Project) -> Result<Vec<ClaimSpec>, Failure> {
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in texts {
        let id = project.sources.add(name.clone(), text.clone());
        match claims::parse(id, &mut project.sources, &project.program, &project.symbols) {
            Ok(s) => specs.extend(s),
            Err(d) => errors.extend(d),
        }
    }
    if errors.is_empty() { Ok(specs) } else { Err(Failure::new(errors, ExitStatus::Failed)) }
}

/// The warnings of the claims (such as a variable named like a known symbol), in order.
pub fn warnings(specs: &[ClaimSpec]) -> Vec<crate::base::diag::Diagnostic> {
    specs.iter().flat_map(|s| s.claim.warnings.iter().cloned()).collect()
}
