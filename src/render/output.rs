//! Rendering derived relations: table, CSV and JSON on stdout, and Soufflé-style files in an
//! output directory. Rows are always sorted by their values as the user sees them
//! (numbers numerically, symbols by string), never by interned ids, so output is stable.

use crate::base::value::{Symbols, Type};
use crate::engine::eval::Model;
use crate::lang::ir;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

pub use crate::base::order::{display_order, sorted_rows};

#[derive(Serialize)]
struct JsonRelation<'a> {
    name: &'a str,
    columns: &'a [String],
    types: Vec<Type>,
    tuples: Vec<Vec<serde_json::Value>>,
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    relations: Vec<JsonRelation<'a>>,
}

/// Writes the chosen relations to `out` in one format.
pub fn render(
    out: &mut dyn Write,
    format: Format,
    program: &ir::Program,
    model: &Model,
    relations: &[usize],
    symbols: &Symbols,
) -> std::io::Result<()> {
    match format {
        Format::Json => {
            let rels = relations
                .iter()
                .map(|&r| {
                    let rel = &program.relations[r];
                    let tuples = &model.relations[r];
                    let rows = display_order(tuples, &rel.types, symbols)
                        .into_iter()
                        .map(|i| {
                            tuples
                                .get(i)
                                .iter()
                                .zip(&rel.types)
                                .map(|(&v, &t)| crate::base::value::value_json(v, t, symbols))
                                .collect()
                        })
                        .collect();
                    JsonRelation { name: &rel.name, columns: &rel.columns, types: rel.types.clone(), tuples: rows }
                })
                .collect();
            serde_json::to_writer(&mut *out, &JsonOutput { relations: rels })?;
            writeln!(out)
        }
        Format::Csv => {
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
            for &r in relations {
                let rel = &program.relations[r];
                let mut header = vec!["relation".to_string()];
                header.extend(rel.columns.iter().cloned());
                w.write_record(&header).map_err(csv_io)?;
                for row in sorted_rows(&model.relations[r], &rel.types, symbols) {
                    w.write_record(std::iter::once(rel.name.as_str()).chain(row.iter().map(String::as_str)))
                        .map_err(csv_io)?;
                }
            }
            w.flush()
        }
        Format::Table => {
            for (n, &r) in relations.iter().enumerate() {
                let rel = &program.relations[r];
                let rows = sorted_rows(&model.relations[r], &rel.types, symbols);
                if n > 0 {
                    writeln!(out)?;
                }
                let count = rows.len();
                writeln!(out, "{} ({} tuple{})", rel.name, count, if count == 1 { "" } else { "s" })?;
                if rows.is_empty() {
                    continue;
                }
                let mut widths: Vec<usize> = rel.columns.iter().map(|c| c.chars().count()).collect();
                for row in &rows {
                    for (w, v) in widths.iter_mut().zip(row) {
                        *w = (*w).max(v.chars().count());
                    }
                }
                let line = |cells: &[String]| {
                    let mut s = String::from(" ");
                    for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
                        s.push(' ');
                        s.push_str(c);
                        if i + 1 < cells.len() {
                            s.push_str(&" ".repeat(w - c.chars().count() + 1));
                        }
                    }
                    s
                };
                writeln!(out, "{}", line(&rel.columns))?;
                for row in &rows {
                    writeln!(out, "{}", line(row))?;
                }
            }
            Ok(())
        }
    }
}

/// Writes each `.output` relation (or each of `relations` when none is marked) into `dir`
/// as Soufflé does: `<rel>.csv`, tab-separated, no header, unless the directive says
/// otherwise. Each file is written to a temporary name and renamed, so a reader never sees
/// half a file.
pub fn write_output_dir(
    dir: &Path,
    program: &ir::Program,
    model: &Model,
    relations: &[usize],
    symbols: &Symbols,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create output directory `{}`: {e}", dir.display()))?;
    let mut written = Vec::new();
    for &r in relations {
        let rel = &program.relations[r];
        let default_spec = ir::IoSpec { params: Default::default(), span: Default::default() };
        let specs: Vec<&ir::IoSpec> =
            if rel.outputs.is_empty() { vec![&default_spec] } else { rel.outputs.iter().collect() };
        for spec in specs {
            let name = spec.params.get("filename").cloned().unwrap_or_else(|| format!("{}.csv", rel.name));
            let delimiter = spec
                .params
                .get("delimiter")
                .map(|d| crate::lang::check::unescape_delimiter(d))
                .unwrap_or_else(|| "\t".into());
            let headers = spec.params.get("headers").is_some_and(|h| h == "true");
            let mut text = String::new();
            if headers {
                text.push_str(&rel.columns.join(&delimiter));
                text.push('\n');
            }
            if rel.arity() == 0 {
                // A nullary relation that holds is written `()`, as Soufflé writes it, so the
                // file does not read as empty.
                if !model.relations[r].is_empty() {
                    text.push_str("()\n");
                }
            } else {
                for row in sorted_rows(&model.relations[r], &rel.types, symbols) {
                    text.push_str(&row.join(&delimiter));
                    text.push('\n');
                }
            }
            let path = dir.join(&name);
            write_atomically(&path, text.as_bytes()).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Writes to a temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = crate::base::interrupt::while_pending(&tmp, || {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A CSV writer's error as the I/O error under it, so that callers can tell a closed pipe
/// (`| head`) from a real failure.
pub fn csv_io(e: csv::Error) -> std::io::Error {
    if !matches!(e.kind(), csv::ErrorKind::Io(_)) {
        return std::io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        _ => unreachable!("checked above"),
    }
}
