//! Rendering derived relations: table, CSV and JSON on stdout, and Soufflé-style files in an
//! output directory. Rows are always sorted by their values as the user sees them
//! (numbers numerically, symbols by string), never by interned ids, so output is stable.

use crate::base::order::Order;
use crate::base::stamp::Stamp;
use crate::base::value::{Symbols, Tuples, Type, Value, display, to_number, value_json};
use crate::engine::eval::Model;
use crate::lang::ir;
use crate::proof::grades::{Grading, confidence_text};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use std::collections::HashMap;
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
    /// The column types by name (`number`, `symbol`, a record type's name).
    types: Vec<String>,
    tuples: JsonRows<'a>,
}

/// A relation's rows serialized one by one as they are written, never collected.
struct JsonRows<'a> {
    tuples: &'a Tuples,
    types: &'a [Type],
    symbols: &'a Symbols,
}

impl Serialize for JsonRows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let order = Order::of(self.tuples, self.types, self.symbols);
        let mut seq = serializer.serialize_seq(Some(order.len()))?;
        for i in order.iter() {
            seq.serialize_element(&JsonRow { row: self.tuples.get(i), types: self.types, symbols: self.symbols })?;
        }
        seq.end()
    }
}

struct JsonRow<'a> {
    row: &'a [Value],
    types: &'a [Type],
    symbols: &'a Symbols,
}

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.row.len()))?;
        for (&v, &t) in self.row.iter().zip(self.types) {
            match t {
                Type::Number => seq.serialize_element(&to_number(v))?,
                Type::Symbol => seq.serialize_element(self.symbols.resolve(v))?,
                t => seq.serialize_element(&value_json(v, t, self.symbols))?,
            }
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    /// What changes the answers (see [`Stamp`]).
    meta: serde_json::Value,
    relations: Vec<JsonRelation<'a>>,
}

/// The chosen tuples of each relation with their grade appended as a `grade` column (and a
/// `confidence` column when the data has confidences), as `query` and `infer` show graded
/// data: a copy of the program whose relations have the extra columns, and a model holding
/// only those tuples. `tuples` lists, per relation shown, the indices of its tuples, or
/// `None` for all of them (no list of indices as long as the relation).
pub fn with_grades(
    program: &ir::Program,
    model: &Model,
    tuples: &[(usize, Option<Vec<usize>>)],
    grading: &Grading,
    symbols: &mut Symbols,
) -> (ir::Program, Model) {
    let mut shown = program.clone();
    let mut graded = Model::unrecorded(vec![Tuples::default(); shown.relations.len()]);
    // Each grade set's and confidence's text, interned once: a few dozen values shared by
    // millions of tuples.
    let mut grade_texts: HashMap<u64, Value> = HashMap::new();
    let mut confidence_texts: HashMap<u64, Value> = HashMap::new();
    for (rel, indices) in tuples {
        let relation = &mut shown.relations[*rel];
        let mut extra = vec!["grade"];
        if grading.has_confidence {
            extra.push("confidence");
        }
        for column in extra {
            relation.columns.push(column.to_string());
            relation.types.push(Type::Symbol);
        }
        let mut rows = Tuples::new(relation.arity());
        let mut row = Vec::with_capacity(relation.arity());
        let every = 0..model.relations[*rel].len();
        let indices: Box<dyn Iterator<Item = usize>> = match indices {
            Some(indices) => Box::new(indices.iter().copied()),
            None => Box::new(every),
        };
        // Sized once: growing by doubling would hold the old and the new buffer together.
        rows.data.reserve_exact(indices.size_hint().0 * relation.arity());
        for i in indices {
            row.clear();
            row.extend_from_slice(model.relations[*rel].get(i));
            let g = grading.grades(*rel, i);
            row.push(*grade_texts.entry(g.bits()).or_insert_with(|| symbols.intern(&g.to_string())));
            if grading.has_confidence {
                let c = grading.confidence(*rel, i);
                let key = c.map_or(u64::MAX, f64::to_bits);
                row.push(*confidence_texts.entry(key).or_insert_with(|| symbols.intern(&confidence_text(c))));
            }
            rows.push(&row);
        }
        graded.relations[*rel] = rows;
    }
    (shown, graded)
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
        Format::Json => render_json(out, program, model, relations, symbols, stamp),
        Format::Csv => render_csv(out, program, model, relations, symbols),
        Format::Table => render_table(out, program, model, relations, symbols),
    }
}

/// One JSON object: `meta` and every relation with its columns, types and tuples.
fn render_json(
    out: &mut dyn Write,
    program: &ir::Program,
    model: &Model,
    relations: &[usize],
    symbols: &Symbols,
    stamp: &Stamp,
) -> std::io::Result<()> {
    let rels = relations
        .iter()
        .map(|&r| {
            let rel = &program.relations[r];
            let tuples = JsonRows { tuples: &model.relations[r], types: &rel.types, symbols };
            let types = rel.types.iter().map(|t| t.name_in(&symbols.records)).collect();
            JsonRelation { name: &rel.name, columns: &rel.columns, types, tuples }
        })
        .collect();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
    serde_json::to_writer(&mut w, &JsonOutput { meta: stamp.json(), relations: rels })?;
    writeln!(w)?;
    w.flush()
}

/// CSV: for each relation a header row `relation,<columns>`, then a row per tuple.
fn render_csv(
    out: &mut dyn Write,
    program: &ir::Program,
    model: &Model,
    relations: &[usize],
    symbols: &Symbols,
) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new().flexible(true).buffer_capacity(1 << 16).from_writer(out);
    let mut num = itoa::Buffer::new();
    for &r in relations {
        let rel = &program.relations[r];
        let tuples = &model.relations[r];
        w.write_field("relation").map_err(csv_io)?;
        for c in &rel.columns {
            w.write_field(c).map_err(csv_io)?;
        }
        w.write_record(None::<&[u8]>).map_err(csv_io)?;
        for i in Order::of(tuples, &rel.types, symbols).iter() {
            w.write_field(&rel.name).map_err(csv_io)?;
            for (&v, &t) in tuples.get(i).iter().zip(&rel.types) {
                match t {
                    Type::Number => w.write_field(num.format(to_number(v))),
                    Type::Symbol => w.write_field(symbols.resolve(v)),
                    t => w.write_field(display(v, t, symbols)),
                }
                .map_err(csv_io)?;
            }
            w.write_record(None::<&[u8]>).map_err(csv_io)?;
        }
    }
    w.flush()
}

/// Aligned tables, a header line per relation, values escaped for the terminal.
fn render_table(
    out: &mut dyn Write,
    program: &ir::Program,
    model: &Model,
    relations: &[usize],
    symbols: &Symbols,
) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut *out);
    let mut num = itoa::Buffer::new();
    for (n, &r) in relations.iter().enumerate() {
        let rel = &program.relations[r];
        let tuples = &model.relations[r];
        if n > 0 {
            writeln!(w)?;
        }
        let count = tuples.len();
        writeln!(w, "{} ({} tuple{})", rel.name, count, if count == 1 { "" } else { "s" })?;
        if count == 0 {
            continue;
        }
        // Escaped here rather than only at the terminal, so that columns are as wide as
        // what is shown (the terminal layer then finds nothing left to escape). Widths
        // come from a first pass over the values; the rows are written in a second.
        let mut widths: Vec<usize> = rel.columns.iter().map(|c| c.chars().count()).collect();
        for row in tuples.iter() {
            for ((wd, &v), &t) in widths.iter_mut().zip(row).zip(&rel.types) {
                let len = match t {
                    Type::Number => num.format(to_number(v)).len(),
                    Type::Symbol => crate::base::terminal::escape(symbols.resolve(v)).chars().count(),
                    t => crate::base::terminal::escape(&display(v, t, symbols)).chars().count(),
                };
                *wd = (*wd).max(len);
            }
        }
        let columns: Vec<std::borrow::Cow<str>> = rel.columns.iter().map(|c| c.as_str().into()).collect();
        table_line(&mut w, &columns, &widths)?;
        let mut cells: Vec<std::borrow::Cow<str>> = Vec::with_capacity(rel.arity());
        for i in Order::of(tuples, &rel.types, symbols).iter() {
            cells.clear();
            for (&v, &t) in tuples.get(i).iter().zip(&rel.types) {
                cells.push(match t {
                    Type::Number => num.format(to_number(v)).to_owned().into(),
                    Type::Symbol => crate::base::terminal::escape(symbols.resolve(v)),
                    t => crate::base::terminal::escape(&display(v, t, symbols)).into_owned().into(),
                });
            }
            table_line(&mut w, &cells, &widths)?;
        }
    }
    w.flush()
}

/// One line of a table: two spaces, then the cells, each padded to its column's width but
/// the last.
fn table_line(w: &mut impl Write, cells: &[std::borrow::Cow<str>], widths: &[usize]) -> std::io::Result<()> {
    w.write_all(b" ")?;
    for (i, (c, wd)) in cells.iter().zip(widths).enumerate() {
        w.write_all(b" ")?;
        w.write_all(c.as_bytes())?;
        if i + 1 < cells.len() {
            for _ in 0..(wd - c.chars().count() + 1) {
                w.write_all(b" ")?;
            }
        }
    }
    w.write_all(b"\n")
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
    let default_spec = ir::IoSpec { params: Default::default(), span: Default::default() };
    let mut files = Vec::new();
    for &r in relations {
        let rel = &program.relations[r];
        let tuples = Rows::of(model, r);
        for (name, spec) in output_names(rel) {
            let spec = spec.unwrap_or(&default_spec);
            let write = move |w: &mut dyn Write| -> std::io::Result<()> {
                if compressed(spec) {
                    let mut enc = flate2::write::GzEncoder::new(w, flate2::Compression::default());
                    write_souffle_file(&mut enc, rel, spec, tuples, symbols)?;
                    enc.finish().map(drop)
                } else {
                    write_souffle_file(w, rel, spec, tuples, symbols)
                }
            };
            files.push(crate::render::atomic::Streamed { path: dir.join(name), write: Box::new(write) });
        }
    }
    crate::render::atomic::write_all_streamed(dir, &files)?;
    Ok(files.into_iter().map(|f| f.path).collect())
}

/// A relation's rows as the model keeps them: listed, or an `eqrel` relation's classes
/// (`engine::eqrel::Partition`), whose pairs are written without being listed first.
#[derive(Clone, Copy)]
enum Rows<'m> {
    Listed(&'m Tuples),
    Classes(&'m crate::engine::eqrel::Partition),
}

impl<'m> Rows<'m> {
    fn of(model: &'m Model, rel: usize) -> Rows<'m> {
        match model.classes.get(&rel) {
            Some(p) => Rows::Classes(p),
            None => Rows::Listed(&model.relations[rel]),
        }
    }
}

/// A file's contents: the header line (with `headers=true`), then the rows.
fn write_souffle_file(
    w: &mut dyn Write,
    rel: &ir::Relation,
    spec: &ir::IoSpec,
    tuples: Rows,
    symbols: &Symbols,
) -> std::io::Result<()> {
    if let Some(h) = souffle_header(rel, spec) {
        writeln!(w, "{h}")?;
    }
    write_souffle_rows(w, rel, spec, tuples, symbols)
}

/// Whether an `.output` directive says `IO=stdout`.
pub fn to_stdout(spec: &ir::IoSpec) -> bool {
    spec.params.get("IO").is_some_and(|v| v == "stdout")
}

/// The delimiter Soufflé writes for `spec`: a tab by default, a comma with `rfc4180=true`.
fn souffle_delimiter(spec: &ir::IoSpec) -> String {
    spec.params
        .get("delimiter")
        .map(|d| crate::lang::check::unescape_delimiter(d))
        .unwrap_or_else(|| if rfc4180(spec) { ",".into() } else { "\t".into() })
}

fn rfc4180(spec: &ir::IoSpec) -> bool {
    spec.params.get("rfc4180").is_some_and(|v| v == "true")
}

/// The header line Soufflé writes with `headers=true`.
fn souffle_header(rel: &ir::Relation, spec: &ir::IoSpec) -> Option<String> {
    spec.params.get("headers").is_some_and(|h| h == "true").then(|| rel.columns.join(&souffle_delimiter(spec)))
}

/// A relation's rows as Soufflé writes them for `spec`, each ending in a newline, separated
/// by the delimiter, written straight into `w` in display order; a nullary relation that
/// holds is `()`, so that it does not read as empty.
fn write_souffle_rows(
    w: &mut dyn Write,
    rel: &ir::Relation,
    spec: &ir::IoSpec,
    tuples: Rows,
    symbols: &Symbols,
) -> std::io::Result<()> {
    let tuples = match tuples {
        Rows::Listed(tuples) => tuples,
        Rows::Classes(classes) => {
            let mut row = RowWriter::new(spec, symbols);
            for pair in classes.pairs_in_display_order(rel.types[0], symbols) {
                row.write(w, &pair, &rel.types)?;
            }
            return Ok(());
        }
    };
    if rel.arity() == 0 {
        if !tuples.is_empty() {
            w.write_all(b"()\n")?;
        }
        return Ok(());
    }
    // Formatted in blocks of rows, a few side by side (`--jobs`), written in order.
    let order = Order::of(tuples, &rel.types, symbols);
    let format = |positions: std::ops::Range<usize>| -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(positions.len() * 8 * rel.arity());
        let mut row = RowWriter::new(spec, symbols);
        for p in positions {
            row.write(&mut out, tuples.get(order.at(p)), &rel.types)?;
        }
        Ok(out)
    };
    crate::engine::parallel::blocks_in_order(order.len(), 1 << 14, format, |bytes| w.write_all(&bytes?))
}

/// Writes rows as Soufflé does for one `.output` directive.
struct RowWriter<'s> {
    rfc4180: bool,
    delimiter: String,
    num: itoa::Buffer,
    symbols: &'s Symbols,
}

impl<'s> RowWriter<'s> {
    fn new(spec: &ir::IoSpec, symbols: &'s Symbols) -> RowWriter<'s> {
        RowWriter { rfc4180: rfc4180(spec), delimiter: souffle_delimiter(spec), num: itoa::Buffer::new(), symbols }
    }

    /// One row and its newline.
    fn write(&mut self, w: &mut dyn Write, row: &[Value], types: &[Type]) -> std::io::Result<()> {
        // With `rfc4180=true` Soufflé defaults to a comma and quotes every symbol, writing a
        // quote inside one as `\""` (its `WriteStreamCSV::outputSymbol`, kept byte for byte).
        for (k, (&v, &t)) in row.iter().zip(types).enumerate() {
            if k > 0 {
                w.write_all(self.delimiter.as_bytes())?;
            }
            match t {
                Type::Number => w.write_all(self.num.format(to_number(v)).as_bytes())?,
                Type::Symbol if self.rfc4180 => {
                    w.write_all(b"\"")?;
                    w.write_all(self.symbols.resolve(v).replace('"', "\\\"\"").as_bytes())?;
                    w.write_all(b"\"")?;
                }
                Type::Symbol => w.write_all(self.symbols.resolve(v).as_bytes())?,
                t => w.write_all(display(v, t, self.symbols).as_bytes())?,
            }
        }
        w.write_all(b"\n")
    }
}

/// Writes the `.output rel(IO=stdout)` relations among `relations` as Soufflé prints them:
/// a line of dashes, the name (and the header line with `headers=true`), a line of `=`,
/// the rows, and a closing line of `=`.
pub fn write_stdout_outputs(
    out: &mut dyn Write,
    program: &ir::Program,
    model: &Model,
    relations: &[usize],
    symbols: &Symbols,
) -> std::io::Result<()> {
    for &r in relations {
        let rel = &program.relations[r];
        for spec in rel.outputs.iter().filter(|spec| to_stdout(spec)) {
            write!(out, "---------------\n{}", rel.name)?;
            if let Some(h) = souffle_header(rel, spec) {
                write!(out, "\n{h}")?;
            }
            write!(out, "\n===============\n")?;
            write_souffle_rows(out, rel, spec, Rows::of(model, r), symbols)?;
            out.write_all(b"===============\n")?;
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
