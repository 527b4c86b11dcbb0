//! `stance fmt`: rewrite rule files in the canonical layout (`--check` for CI, `-` for stdin).

use super::context::{Ctx, plural};
use clap::Args;
use stance::lang::fmt;
use stance::session::{ExitStatus, Failure};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct FmtArgs {
    /// Rule files or directories (every *.dl inside); `-` formats standard input to standard output.
    #[arg(value_name = "PATHS", default_value = "rules")]
    paths: Vec<PathBuf>,

    /// Change nothing; list the files that are not formatted and exit with 1 if there are any.
    #[arg(long)]
    check: bool,
}

pub fn run(args: &FmtArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let mut files = Vec::new();
    for path in &args.paths {
        match stance::lang::rule_files(path) {
            Ok(Some(found)) => files.extend(found),
            Ok(None) => {
                return Err(Failure::io(format!("cannot read `{}`: no such file or directory", path.display())));
            }
            Err(e) => return Err(Failure::io(format!("cannot read `{}`: {e}", path.display()))),
        }
    }
    let mut errors = Vec::new();
    let mut unformatted = Vec::new();
    for path in files {
        let stdin = path == Path::new("-");
        let text = read(&path)?;
        let name = if stdin { "<stdin>".to_string() } else { path.display().to_string() };
        let id = ctx.sources.add(name.clone(), text);
        let text = &ctx.sources.get(id).text;
        let formatted = match fmt::format_text(id, text) {
            Ok(f) => f,
            Err(diags) => {
                errors.extend(diags);
                continue;
            }
        };
        if stdin && !args.check {
            print!("{formatted}");
        } else if formatted != *text {
            if args.check {
                unformatted.push(name);
            } else {
                stance::render::atomic::write_atomically(&path, formatted.as_bytes())
                    .map_err(|e| Failure::io(format!("cannot write `{name}`: {e}")))?;
                eprintln!("formatted {}", stance::base::terminal::escape(&name));
            }
        }
    }
    if !errors.is_empty() {
        ctx.report(&errors, &ctx.sources);
        eprintln!("error: files with syntax errors are not formatted");
        return Err(Failure::new(Vec::new(), ExitStatus::Failed));
    }
    if !unformatted.is_empty() {
        for name in &unformatted {
            println!("{}", stance::base::terminal::escape(name));
        }
        eprintln!("error: {} file{} not formatted (run `stance fmt`)", unformatted.len(), plural(unformatted.len()));
        return Err(Failure::new(Vec::new(), ExitStatus::Failed));
    }
    Ok(ExitStatus::Success)
}

/// A rule file's text, or standard input's for `-`.
fn read(path: &Path) -> Result<String, Failure> {
    if path == Path::new("-") {
        let mut buf = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf)
            .map_err(|e| Failure::io(format!("cannot read standard input: {e}")))?;
        return Ok(buf);
    }
    // Opened once and checked: a rule file inside the project by name may not lead out of it.
    use stance::facts::confine::{self, OpenError, Place};
    let cannot = |e: std::io::Error| Failure::io(format!("cannot read `{}`: {e}", path.display()));
    let (mut file, _) = confine::open_typed(path).map_err(|e| match e {
        OpenError::Io(e) => cannot(e),
        OpenError::Outside(target) => {
            Failure::new(vec![confine::listed_file(path, &target, Place::Project)], ExitStatus::Usage)
        }
    })?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).map_err(cannot)?;
    Ok(text)
}
