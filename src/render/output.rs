//! Rendering derived relations: table, CSV and JSON on stdout, and Soufflé-style files in an
//! output directory. Rows are always sorted by their values as the user sees them
//! (numbers numerically, symbols by string), never by interned ids, so output is stable.

use crate::base::stamp::Stamp;
use crate::base::value::{Symbols, Type};
use crate::engine::eval::Model;
use crate::lang::ir;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How relations are written to standard output (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text columns.
    Table,
    /// CSV: per relation, a header row, then its rows led by the relation's name.
    Csv,
    /// JSON: every relation with its columns, types and tuples.
    Json,
}

impl Format {
    /// How standard output in this format meets a terminal (see `base::terminal`).
    pub fn shape(self) -> crate::base::terminal::Shape {
        match self {
            Format::Table => crate::base::terminal::Shape::Text,
            Format::Csv => crate::base::terminal::Shape::Csv,
            Format::Json => crate::base::terminal::Shape::Data,
        }
    }
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
    /// What changes the answers (see [`Stamp`]).
    meta: serde_json::Value,
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
    stamp: &Stamp,
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
            serde_json::to_writer(&mut *out, &JsonOutput { meta: stamp.json(), relations: rels })?;
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
                // Escaped here rather than only at the terminal, so that columns are as wide as
                // what is shown (the terminal layer then finds nothing left to escape).
                let rows: Vec<Vec<String>> = sorted_rows(&model.relations[r], &rel.types, symbols)
                    .into_iter()
                    .map(|row| row.into_iter().map(|v| crate::base::terminal::escape(&v).into_owned()).collect())
                    .collect();
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
/// otherwise. The files are written all or nothing (`atomic::write_all`).
pub fn write_output_dir(
    dir: &Path,
    program: &ir::Program,
    model: &Model,
    relations: &[usize],
    symbols: &Symbols,
) -> Result<Vec<PathBuf>, String> {
    let files = output_files(dir, program, model, relations, symbols);
    crate::render::atomic::write_all(dir, &files)?;
    Ok(files.into_iter().map(|f| f.path).collect())
}

/// The files [`write_output_dir`] writes, with their contents.
pub fn output_files(
    dir: &Path,
    program: &ir::Program,
    model: &Model,
    relations: &[usize],
    symbols: &Symbols,
) -> Vec<crate::render::atomic::Planned> {
    let mut files = Vec::new();
    for &r in relations {
        let rel = &program.relations[r];
        for (name, spec) in output_names(rel) {
            let default_spec = ir::IoSpec { params: Default::default(), span: Default::default() };
            let spec = spec.unwrap_or(&default_spec);
            let (header, rows) = souffle_rows(rel, spec, &model.relations[r], symbols);
            let text = match header {
                Some(h) => format!("{h}\n{rows}"),
                None => rows,
            };
            let bytes = if compressed(spec) { gzip(text.as_bytes()) } else { text.into_bytes() };
            files.push(crate::render::atomic::Planned { path: dir.join(name), bytes });
        }
    }
    files
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a `Vec` cannot fail.
    enc.write_all(bytes).and_then(|()| enc.finish()).unwrap_or_default()
}

/// Whether an `.output` directive says `IO=stdout`.
pub fn to_stdout(spec: &ir::IoSpec) -> bool {
    spec.params.get("IO").is_some_and(|v| v == "stdout")
}

/// A relation's rows as Soufflé writes them for `spec`: the header line (when
/// `headers=true`) and the rows, each ending in a newline, separated by `delimiter` (a tab
/// by default); a nullary relation that holds is `()`, so that it does not read as empty.
fn souffle_rows(
    rel: &ir::Relation,
    spec: &ir::IoSpec,
    tuples: &crate::base::value::Tuples,
    symbols: &Symbols,
) -> (Option<String>, String) {
    // With `rfc4180=true` Soufflé defaults to a comma and quotes every symbol, writing a
    // quote inside one as `\""` (its `WriteStreamCSV::outputSymbol`, kept byte for byte).
    let rfc4180 = spec.params.get("rfc4180").is_some_and(|v| v == "true");
    let delimiter = spec
        .params
        .get("delimiter")
        .map(|d| crate::lang::check::unescape_delimiter(d))
        .unwrap_or_else(|| if rfc4180 { ",".into() } else { "\t".into() });
    let header = spec.params.get("headers").is_some_and(|h| h == "true").then(|| rel.columns.join(&delimiter));
    let mut text = String::new();
    if rel.arity() == 0 {
        if !tuples.is_empty() {
            text.push_str("()\n");
        }
    } else {
        for mut row in sorted_rows(tuples, &rel.types, symbols) {
            if rfc4180 {
                for (cell, ty) in row.iter_mut().zip(&rel.types) {
                    if *ty == Type::Symbol {
                        *cell = format!("\"{}\"", cell.replace('"', "\\\"\""));
                    }
                }
            }
            text.push_str(&row.join(&delimiter));
            text.push('\n');
        }
    }
    (header, text)
}

/// Writes the `.output rel(IO=stdout)` relations among `relations` as Soufflé prints them:
/// a line of dashes, the name (and the header line with `headers=true`), a line of `=`,
/// the rows, and a closing line of `=`.
pub fn write_stdout_outputs(
    out: &mut impl Write,
    program: &ir::Program,
    model: &Model,
    relations: &[usize],
    symbols: &Symbols,
) -> std::io::Result<()> {
    for &r in relations {
        let rel = &program.relations[r];
        for spec in rel.outputs.iter().filter(|spec| to_stdout(spec)) {
            let (header, rows) = souffle_rows(rel, spec, &model.relations[r], symbols);
            write!(out, "---------------\n{}", rel.name)?;
            if let Some(h) = header {
                write!(out, "\n{h}")?;
            }
            write!(out, "\n===============\n{rows}===============\n")?;
        }
    }
    Ok(())
}

/// The file names (relative to the output directory) a relation is written to, each with
/// its `.output` directive (none when the relation is written without one). `IO=stdout`
/// writes no file; `compress=true` defaults to `<rel>.csv.gz`, as in Soufflé.
pub fn output_names(rel: &ir::Relation) -> Vec<(String, Option<&ir::IoSpec>)> {
    if rel.outputs.is_empty() {
        return vec![(format!("{}.csv", rel.name), None)];
    }
    rel.outputs
        .iter()
        .filter(|s| !to_stdout(s))
        .map(|s| {
            let default = if compressed(s) { format!("{}.csv.gz", rel.name) } else { format!("{}.csv", rel.name) };
            (s.params.get("filename").cloned().unwrap_or(default), Some(s))
        })
        .collect()
}

fn compressed(spec: &ir::IoSpec) -> bool {
    spec.params.get("compress").is_some_and(|c| c == "true")
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
