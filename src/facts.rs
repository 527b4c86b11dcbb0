//! Loading facts from CSV.
//!
//! Facts come in two shapes:
//!
//! 1. **Statement tables**: a comma-separated file whose header has `subject`, `relation` and
//!    `object` columns (case-insensitive, any order). Each row is the fact
//!    `relation(subject, object)`, with the relation name normalised to snake_case
//!    ([`normalise_relation_name`]). Every other column is metadata (`source`, `date`,
//!    `quote`, ...), read back from the row when needed (the fact's [`FactOrigin`] keeps the
//!    row's offset, so no metadata string is copied or interned at load time). Rows are split
//!    by [`crate::csv_scan`] without copying fields. Quoted fields (RFC 4180) are supported;
//!    fields are trimmed of surrounding ASCII whitespace; rows whose fields are all empty
//!    (`,,,,`) and blank lines are skipped.
//! 2. **Relation tables**: one file per relation, read as Soufflé reads `.facts` files:
//!    tab-separated, no header, fields verbatim (a `"` is an ordinary character) unless
//!    [`TableOptions`] say otherwise. Columns are converted by their declared [`Type`].
//!
//! Every loaded fact gets an id (its index in [`Facts::origins`]) and remembers its table and
//! 1-based line, so a derived claim can cite the row it rests on.
//!
//! Text comes from the [`SourceMap`], so it is already a `String`: a file with invalid UTF-8
//! must be converted (lossily) or rejected by the caller when it reads the file. A UTF-8 BOM
//! at the start of the text is skipped. Line ends may be `\n` or `\r\n`.
//!
//! On error, a loader returns one [`Diagnostic`] per bad row (at most [`MAX_ERRORS`], the
//! last one noting how many more there were) and leaves `facts` as it was (symbols interned
//! on the way are not removed).

use crate::csv_scan::{Field, Records, UnclosedQuote};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, SourceMap, Span};
use crate::value::{Number, Symbols, Tuples, Type, Value, from_number};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// At most this many diagnostics are reported per file.
pub const MAX_ERRORS: usize = 20;

const BOM: &str = "\u{feff}";

/// Which shape of file a table was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Statements,
    Relation,
}

/// One loaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub file: FileId,
    pub kind: TableKind,
    /// Names of the metadata columns (header as written, trimmed), in file order. Empty for
    /// relation tables.
    pub metadata_columns: Vec<String>,
    /// The field index of each metadata column in a row.
    pub metadata_fields: Vec<usize>,
}

/// Where one fact came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactOrigin {
    /// Index into [`Facts::tables`].
    pub table: u32,
    /// 1-based line of the file on which the fact's row starts.
    pub line: u32,
    /// Byte offset of the row in its file. Metadata (often a unique quote per row) is not
    /// interned or copied at load time: it is read back from the row when a proof shows it.
    pub offset: u32,
}

/// The loaded rows of one relation, in load order, each with its fact id. Duplicate tuples
/// are kept (each with its own origin); deduplication is the evaluator's business.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactRows {
    pub tuples: Tuples,
    /// The fact id of each tuple, ascending.
    pub ids: Vec<u32>,
}

impl FactRows {
    fn new(arity: usize) -> FactRows {
        FactRows { tuples: Tuples::new(arity), ids: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The tuple at `i` and its fact id.
    pub fn get(&self, i: usize) -> (&[Value], u32) {
        (self.tuples.get(i), self.ids[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[Value], u32)> {
        (0..self.len()).map(|i| self.get(i))
    }

    fn push(&mut self, tuple: &[Value], id: u32) {
        self.tuples.push(tuple);
        self.ids.push(id);
    }

    fn truncate(&mut self, len: usize) {
        self.tuples.truncate(len);
        self.ids.truncate(len);
    }

    /// Keeps the facts whose id passes `keep`.
    pub fn retain(&mut self, mut keep: impl FnMut(u32) -> bool) {
        let keep: Vec<bool> = self.ids.iter().map(|&id| keep(id)).collect();
        self.tuples.retain_indices(|i| keep[i]);
        let mut i = 0;
        self.ids.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
}

static NO_ROWS: FactRows = FactRows { tuples: Tuples { arity: 0, data: Vec::new(), rows: 0 }, ids: Vec::new() };

/// All loaded facts, by relation, with their origins.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub tables: Vec<TableInfo>,
    /// Indexed by fact id.
    pub origins: Vec<FactOrigin>,
    /// Relation name → its loaded rows.
    pub relations: BTreeMap<String, FactRows>,
}

impl Facts {
    pub fn new() -> Self {
        Facts::default()
    }

    /// Number of facts loaded.
    pub fn len(&self) -> usize {
        self.origins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    pub fn origin(&self, id: u32) -> &FactOrigin {
        &self.origins[id as usize]
    }

    /// The table a fact was read from.
    pub fn table_of(&self, id: u32) -> &TableInfo {
        &self.tables[self.origin(id).table as usize]
    }

    /// The rows of a relation (empty if none were loaded).
    pub fn rows(&self, relation: &str) -> &FactRows {
        self.relations.get(relation).unwrap_or(&NO_ROWS)
    }

    /// A fact's metadata as `(column, value)` pairs, in column order, read back from its row.
    pub fn metadata(&self, id: u32, sources: &SourceMap) -> Vec<(String, String)> {
        let origin = self.origin(id);
        let table = &self.tables[origin.table as usize];
        if table.metadata_fields.is_empty() {
            return Vec::new();
        }
        let text = &sources.get(table.file).text;
        let row = text.get(origin.offset as usize..).unwrap_or("");
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(row.as_bytes());
        let mut rec = csv::StringRecord::new();
        if !matches!(rdr.read_record(&mut rec), Ok(true)) {
            return Vec::new();
        }
        table
            .metadata_columns
            .iter()
            .zip(&table.metadata_fields)
            .map(|(c, &i)| (c.clone(), rec.get(i).unwrap_or("").trim_ascii().to_string()))
            .collect()
    }

    /// One metadata value of a fact by column name (case-insensitive), if the table has it.
    pub fn metadata_value(&self, id: u32, column: &str, sources: &SourceMap) -> Option<String> {
        self.metadata(id, sources).into_iter().find(|(c, _)| c.eq_ignore_ascii_case(column)).map(|(_, v)| v)
    }

    /// `file:line` of a fact's row.
    pub fn location(&self, id: u32, sources: &SourceMap) -> String {
        let origin = self.origin(id);
        let file = self.tables[origin.table as usize].file;
        format!("{}:{}", sources.get(file).name, origin.line)
    }

    fn push(&mut self, relation: &str, tuple: &[Value], origin: FactOrigin) -> u32 {
        let id = self.origins.len() as u32;
        self.origins.push(origin);
        match self.relations.get_mut(relation) {
            Some(rows) => rows.push(tuple, id),
            None => {
                let mut rows = FactRows::new(tuple.len());
                rows.push(tuple, id);
                self.relations.insert(relation.to_string(), rows);
            }
        }
        id
    }

    /// Adds the rows one table gathered per relation (ids already assigned, in order).
    fn append(&mut self, relation: String, rows: FactRows) {
        match self.relations.get_mut(&relation) {
            Some(all) => {
                all.tuples.extend_from(&rows.tuples);
                all.ids.extend_from_slice(&rows.ids);
            }
            None => {
                self.relations.insert(relation, rows);
            }
        }
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            tables: self.tables.len(),
            origins: self.origins.len(),
            relations: self.relations.iter().map(|(k, v)| (k.clone(), v.len())).collect(),
        }
    }

    fn rollback(&mut self, cp: Checkpoint) {
        self.tables.truncate(cp.tables);
        self.origins.truncate(cp.origins);
        self.relations.retain(|k, rows| match cp.relations.get(k) {
            Some(&n) => {
                rows.truncate(n);
                true
            }
            None => false,
        });
    }
}

struct Checkpoint {
    tables: usize,
    origins: usize,
    relations: FxHashMap<String, usize>,
}

/// How a relation table is read (Soufflé's `.input` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// Field separator; must be an ASCII character.
    pub delimiter: u8,
    /// Skip the first line (the first record when `rfc4180`).
    pub headers: bool,
    /// Quoted fields as in RFC 4180. When false a field is taken verbatim, quotes included.
    pub rfc4180: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions { delimiter: b'\t', headers: false, rfc4180: false }
    }
}

/// Normalises a relation name to snake_case: trim, lowercase, every run of characters
/// other than ASCII letters and digits becomes one `_`, leading and trailing `_` dropped.
/// `None` if nothing is left or the result starts with a digit (not an identifier).
///
/// `"relies on"` → `relies_on`, `"Backs"` → `backs`, `"is-allied-with"` → `is_allied_with`.
pub fn normalise_relation_name(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    match out.as_bytes().first() {
        None => None,
        Some(b) if b.is_ascii_digit() => None,
        Some(_) => Some(out),
    }
}

/// The text without a leading BOM, and the byte offset where it starts in the file.
fn strip_bom(text: &str) -> (&str, usize) {
    match text.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (text, 0),
    }
}

/// The header of a statement table: where its three key columns are.
struct StatementHeader {
    subject: usize,
    relation: usize,
    object: usize,
    /// (column index, name as written) of each metadata column.
    metadata: Vec<(usize, String)>,
    width: usize,
}

/// Why a header is not a usable statement-table header.
enum HeaderError {
    Missing(Vec<&'static str>),
    Duplicate(String),
}

fn parse_header(fields: &csv::ByteRecord) -> Result<StatementHeader, HeaderError> {
    let mut seen: FxHashMap<String, usize> = FxHashMap::default();
    let (mut subject, mut relation, mut object) = (None, None, None);
    let mut metadata = Vec::new();
    for (i, raw) in fields.iter().enumerate() {
        let name = String::from_utf8_lossy(raw).trim().to_string();
        if name.is_empty() {
            // A column without a name (e.g. a trailing comma from a spreadsheet) is ignored.
            continue;
        }
        let key = name.to_lowercase();
        if seen.insert(key.clone(), i).is_some() {
            return Err(HeaderError::Duplicate(name));
        }
        match key.as_str() {
            "subject" => subject = Some(i),
            "relation" => relation = Some(i),
            "object" => object = Some(i),
            _ => metadata.push((i, name)),
        }
    }
    match (subject, relation, object) {
        (Some(subject), Some(relation), Some(object)) => {
            Ok(StatementHeader { subject, relation, object, metadata, width: fields.len() })
        }
        _ => {
            let missing = [("subject", subject), ("relation", relation), ("object", object)]
                .into_iter()
                .filter(|(_, i)| i.is_none())
                .map(|(n, _)| n)
                .collect();
            Err(HeaderError::Missing(missing))
        }
    }
}

fn statement_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes())
}

/// True if a header row has `subject`, `relation` and `object` columns (even if it repeats
/// a name: loading then reports the duplicate rather than ignoring the file).
fn names_statement_columns(header: &csv::ByteRecord) -> bool {
    let has = |column: &str| header.iter().any(|f| String::from_utf8_lossy(f).trim().eq_ignore_ascii_case(column));
    has("subject") && has("relation") && has("object")
}

/// True if the text's header row has `subject`, `relation` and `object` columns. A header
/// that also repeats a column name counts, so that loading reports the duplicate instead of
/// the file being silently ignored.
pub fn is_statement_table(text: &str) -> bool {
    let (body, _) = strip_bom(text);
    let mut rdr = statement_reader(body);
    let mut rec = csv::ByteRecord::new();
    matches!(rdr.read_byte_record(&mut rec), Ok(true)) && names_statement_columns(&rec)
}

/// All `*.csv` files directly in `dir` (extension case-insensitive), sorted by file name,
/// that are statement tables. Only the header of each file is read.
pub fn find_statement_tables(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let is_csv = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_csv || !entry.file_type()?.is_file() && !path.is_file() {
            continue;
        }
        let file = std::fs::File::open(&path)?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(std::io::BufReader::new(file));
        let mut rec = csv::ByteRecord::new();
        let has_header = match rdr.read_byte_record(&mut rec) {
            Ok(b) => b,
            Err(e) => match e.into_kind() {
                csv::ErrorKind::Io(io) => return Err(io),
                _ => false,
            },
        };
        if has_header {
            // Drop a BOM from the first field before looking at the names.
            if rec.get(0).is_some_and(|f| f.starts_with(BOM.as_bytes())) {
                let mut fixed = csv::ByteRecord::new();
                for (i, f) in rec.iter().enumerate() {
                    let f = if i == 0 { &f[BOM.len()..] } else { f };
                    fixed.push_field(f.trim_ascii());
                }
                rec = fixed;
            }
            if names_statement_columns(&rec) {
                found.push(path);
            }
        }
    }
    found.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(found)
}

/// Collects per-row diagnostics, keeping at most [`MAX_ERRORS`].
struct Errors {
    shown: Vec<Diagnostic>,
    more: usize,
}

impl Errors {
    fn new() -> Errors {
        Errors { shown: Vec::new(), more: 0 }
    }

    fn push(&mut self, d: Diagnostic) {
        if self.shown.len() < MAX_ERRORS {
            self.shown.push(d);
        } else {
            self.more += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    fn finish(mut self) -> Vec<Diagnostic> {
        if self.more > 0
            && let Some(last) = self.shown.pop()
        {
            let n = self.more;
            let s = if n == 1 { "" } else { "s" };
            self.shown.push(last.with_note(format!("and {n} more error{s} in this file")));
        }
        self.shown
    }
}

/// Where a csv record is in the file: its span (without the final line end) and its
/// 1-based starting line. `start` is the reader's position before the record (which may
/// be before blank lines the reader skipped), `end` its position after.
fn record_extent(file: FileId, body: &str, base: usize, start: &csv::Position, end: u64) -> (Span, u32) {
    let bytes = body.as_bytes();
    let mut s = (start.byte() as usize).min(bytes.len());
    let mut line = start.line();
    while s < bytes.len() && (bytes[s] == b'\n' || bytes[s] == b'\r') {
        line += (bytes[s] == b'\n') as u64;
        s += 1;
    }
    let mut e = (end as usize).clamp(s, bytes.len());
    while e > s && (bytes[e - 1] == b'\n' || bytes[e - 1] == b'\r') {
        e -= 1;
    }
    (Span::new(file, base + s..base + e), line as u32)
}

fn field_str(raw: &[u8]) -> Result<&str, Box<Diagnostic>> {
    // The input is a `&str` and the csv reader splits on ASCII bytes only, so this cannot
    // fail in practice; checked anyway rather than assumed.
    std::str::from_utf8(raw).map_err(|_| Box::new(Diagnostic::error(Code::BadFacts, "invalid UTF-8 in field")))
}

/// Reads a statement table (see the module docs). `file` must already be in `sources`.
/// Returns the number of rows loaded, or one diagnostic per bad row.
pub fn load_statement_table(
    file: FileId,
    sources: &SourceMap,
    symbols: &mut Symbols,
    facts: &mut Facts,
) -> Result<usize, Vec<Diagnostic>> {
    let text = sources.get(file).text.as_str();
    let (body, base) = strip_bom(text);
    let unclosed = |q: UnclosedQuote| vec![crate::quotes::unclosed_quote_error(file, base + q.0)];
    let mut records = Records::new(body, b',');
    let mut fields: Vec<Field> = Vec::new();

    let header_record = records.next_record(&mut fields).map_err(unclosed)?;
    let header_span = header_record
        .as_ref()
        .map_or(Span::new(file, 0..0), |r| Span::new(file, base + r.span.start..base + r.span.end));
    let header = header_record.map(|_| {
        let names: Vec<String> = fields.iter().map(|f| f.value(body).into_owned()).collect();
        parse_header(&csv::ByteRecord::from(names))
    });
    let header = match header {
        Some(Ok(h)) => h,
        Some(Err(HeaderError::Duplicate(name))) => {
            return Err(vec![
                Diagnostic::error(Code::BadFacts, format!("duplicate column `{name}`"))
                    .at(header_span, "in this header"),
            ]);
        }
        Some(Err(HeaderError::Missing(missing))) => {
            let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>();
            let (list, s) = match list.len() {
                1 => (list[0].clone(), ""),
                2 => (format!("{} and {}", list[0], list[1]), "s"),
                _ => (format!("{}, {} and {}", list[0], list[1], list[2]), "s"),
            };
            return Err(vec![
                Diagnostic::error(Code::BadFacts, format!("missing {list} column{s}"))
                    .at(header_span, "this header")
                    .with_help("a statement table's header needs `subject`, `relation` and `object` columns"),
            ]);
        }
        None => {
            return Err(vec![
                Diagnostic::error(Code::BadFacts, "missing `subject`, `relation` and `object` columns")
                    .at(header_span, "empty file")
                    .with_help("a statement table's header needs `subject`, `relation` and `object` columns"),
            ]);
        }
    };

    let table = facts.tables.len() as u32;
    let first_id = facts.origins.len();
    // This table's rows, gathered per relation and added to `facts` at the end (so that a
    // bad table leaves `facts` as it was). Each distinct relation cell (as written) maps to
    // its gathered rows, or to `None` when it does not normalise to a name.
    let mut gathered: Vec<(String, FactRows)> = Vec::new();
    let mut relation_of: FxHashMap<&str, Option<usize>> = FxHashMap::default();
    let mut slot_of: FxHashMap<String, usize> = FxHashMap::default();
    let mut errors = Errors::new();

    loop {
        let record = match records.next_record(&mut fields) {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(q) => {
                facts.origins.truncate(first_id);
                return Err(unclosed(q));
            }
        };
        let span = Span::new(file, base + record.span.start..base + record.span.end);
        let value = |i: usize| fields[i].value(body);
        if (0..fields.len()).all(|i| value(i).trim_ascii().is_empty()) {
            continue;
        }
        if fields.len() != header.width {
            errors.push(
                Diagnostic::error(Code::BadFacts, format!("expected {} fields, found {}", header.width, fields.len()))
                    .at(span, "this row"),
            );
            continue;
        }
        let raw_relation = value(header.relation);
        let raw_relation = raw_relation.trim_ascii();
        let slot = match relation_of.get(raw_relation) {
            Some(&slot) => slot,
            None => {
                // Two spellings may normalise to one name: found by name, not by scanning
                // `gathered` (a scan per new name was quadratic in the number of relations).
                let slot = normalise_relation_name(raw_relation).map(|name| {
                    *slot_of.entry(name.clone()).or_insert_with(|| {
                        gathered.push((name, FactRows::new(2)));
                        gathered.len() - 1
                    })
                });
                // Kept by its text in the file when it is one slice of it (nearly always).
                if let Some(key) = fields[header.relation].borrowed(body) {
                    relation_of.insert(key.trim_ascii(), slot);
                }
                slot
            }
        };
        let Some(slot) = slot else {
            let msg = if raw_relation.is_empty() {
                "empty relation name".to_string()
            } else if raw_relation.chars().all(|c| !c.is_ascii_alphanumeric()) {
                format!("empty relation name: `{raw_relation}` has no letters or digits")
            } else {
                format!("relation name `{raw_relation}` starts with a digit")
            };
            errors.push(Diagnostic::error(Code::BadFacts, msg).at(span, "this row"));
            continue;
        };
        let (subject, object) = (value(header.subject), value(header.object));
        let (subject, object) = (subject.trim_ascii(), object.trim_ascii());
        if subject.is_empty() || object.is_empty() {
            let which = if subject.is_empty() { "subject" } else { "object" };
            errors.push(Diagnostic::error(Code::BadFacts, format!("empty `{which}`")).at(span, "this row"));
            continue;
        }
        if !errors.is_empty() {
            // Keep checking the rest of the file, but stop building facts.
            continue;
        }
        let id = facts.origins.len() as u32;
        facts.origins.push(FactOrigin { table, line: record.line, offset: span.start });
        gathered[slot].1.push(&[symbols.intern(subject), symbols.intern(object)], id);
    }

    if !errors.is_empty() {
        facts.origins.truncate(first_id);
        return Err(errors.finish());
    }
    facts.tables.push(TableInfo {
        file,
        kind: TableKind::Statements,
        metadata_columns: header.metadata.iter().map(|(_, n)| n.clone()).collect(),
        metadata_fields: header.metadata.iter().map(|(i, _)| *i).collect(),
    });
    let count = facts.origins.len() - first_id;
    for (relation, rows) in gathered {
        if !rows.is_empty() {
            facts.append(relation, rows);
        }
    }
    Ok(count)
}

enum NumberError {
    NotANumber,
    OutOfRange,
}

/// Parses a Soufflé `number`: optional sign, then decimal digits, `0x` hex or `0b` binary.
/// Surrounding ASCII whitespace is allowed.
fn parse_number(s: &str) -> Result<Number, NumberError> {
    let t = s.trim_ascii();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = rest.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &rest[2..]),
        Some("0b") => (2, &rest[2..]),
        _ => (10, rest),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(NumberError::NotANumber);
    }
    let magnitude = i64::from_str_radix(digits, radix).map_err(|_| NumberError::OutOfRange)?;
    Number::try_from(if neg { -magnitude } else { magnitude }).map_err(|_| NumberError::OutOfRange)
}

/// Converts the fields of one row by the declared column types.
struct RowConverter<'a> {
    relation: &'a str,
    types: &'a [Type],
}

impl RowConverter<'_> {
    /// `field_spans[i]` is where field `i` is in the file, when known (else the row span).
    fn convert<'f>(
        &self,
        fields: impl Iterator<Item = (&'f str, Span)>,
        symbols: &mut Symbols,
    ) -> Result<Vec<Value>, Box<Diagnostic>> {
        let mut tuple = Vec::with_capacity(self.types.len());
        for (i, ((field, span), &ty)) in fields.zip(self.types).enumerate() {
            let v = match ty {
                Type::Symbol => symbols.intern(field),
                Type::Number => match parse_number(field) {
                    Ok(n) => from_number(n),
                    Err(NumberError::NotANumber) => {
                        return Err(Box::new(
                            Diagnostic::error(
                                Code::BadFacts,
                                format!(
                                    "`{field}` is not a number (column {} of `{}`, declared `number`)",
                                    i + 1,
                                    self.relation
                                ),
                            )
                            .at(span, "not a number"),
                        ));
                    }
                    Err(NumberError::OutOfRange) => {
                        return Err(Box::new(
                            Diagnostic::error(
                                Code::BadFacts,
                                format!(
                                    "number out of range: `{field}` (column {} of `{}`, declared `number`)",
                                    i + 1,
                                    self.relation
                                ),
                            )
                            .at(span, "does not fit in 32 bits")
                            .with_note("a `number` is a signed 32-bit integer, from -2147483648 to 2147483647"),
                        ));
                    }
                },
            };
            tuple.push(v);
        }
        Ok(tuple)
    }
}

/// Reads a relation table for `relation` with the declared column types (see the module
/// docs). `file` must already be in `sources`.
///
/// Without `rfc4180`, lines are split on the delimiter byte and fields taken verbatim.
/// Empty lines at the end of the file are ignored; an empty line elsewhere is a row with one
/// empty field (the empty symbol for an arity-1 relation, the nullary fact for arity 0, a
/// field-count error otherwise), as in Soufflé. With `rfc4180`, the `csv` crate reads the
/// file and blank lines are skipped.
pub fn load_relation_table(
    file: FileId,
    sources: &SourceMap,
    relation: &str,
    types: &[Type],
    options: &TableOptions,
    symbols: &mut Symbols,
    facts: &mut Facts,
) -> Result<usize, Vec<Diagnostic>> {
    if !options.delimiter.is_ascii() {
        return Err(vec![Diagnostic::error(
            Code::BadFacts,
            format!("delimiter must be an ASCII character, not byte {:#04x}", options.delimiter),
        )]);
    }
    let text = sources.get(file).text.as_str();
    let (body, base) = strip_bom(text);
    if let Some(offset) = crate::quotes::unclosed_quote(body, options.delimiter).filter(|_| options.rfc4180) {
        return Err(vec![crate::quotes::unclosed_quote_error(file, base + offset)]);
    }
    let checkpoint = facts.checkpoint();
    let table = facts.tables.len() as u32;
    facts.tables.push(TableInfo {
        file,
        kind: TableKind::Relation,
        metadata_columns: Vec::new(),
        metadata_fields: Vec::new(),
    });
    let conv = RowConverter { relation, types };
    let mut errors = Errors::new();
    let mut count = 0usize;
    let arity = types.len();

    let mut add =
        |tuple: Result<Vec<Value>, Box<Diagnostic>>, line: u32, facts: &mut Facts, errors: &mut Errors| match tuple {
            Err(d) => errors.push(*d),
            Ok(_) if !errors.is_empty() => {}
            Ok(tuple) => {
                facts.push(relation, &tuple, FactOrigin { table, line, offset: 0 });
                count += 1;
            }
        };
    let wrong_count = |found: usize, span: Span| {
        Diagnostic::error(Code::BadFacts, format!("expected {arity} fields, found {found}")).at(span, "this row")
    };
    // A header row must name as many columns as the relation declares.
    let bad_header = |found: usize, span: Span| {
        (found != arity).then(|| {
            Diagnostic::error(
                Code::HeaderMismatch,
                format!("the header has {found} column{}, but `{relation}` is declared with {arity}", plural(found)),
            )
            .at(span, "this header")
            .with_help("make the header match the `.decl`, or read the file with `headers=false`")
        })
    };

    if options.rfc4180 {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(options.delimiter)
            .quoting(true)
            .from_reader(body.as_bytes());
        let mut rec = csv::ByteRecord::new();
        let mut first = true;
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    errors.push(Diagnostic::error(Code::BadFacts, format!("cannot read CSV: {e}")));
                    break;
                }
            }
            if std::mem::take(&mut first) && options.headers {
                if let Some(start) = rec.position() {
                    let (span, _) = record_extent(file, body, base, start, rdr.position().byte());
                    if let Some(d) = bad_header(rec.len(), span) {
                        errors.push(d);
                    }
                }
                continue;
            }
            let Some(start) = rec.position() else {
                continue;
            };
            let (span, line) = record_extent(file, body, base, start, rdr.position().byte());
            let found = if arity == 0 && rec.len() == 1 && rec[0].is_empty() { 0 } else { rec.len() };
            if found != arity {
                errors.push(wrong_count(found, span));
                continue;
            }
            let mut strs = Vec::with_capacity(arity);
            for f in rec.iter() {
                match field_str(f) {
                    Ok(s) => strs.push((s, span)),
                    Err(d) => {
                        errors.push(d.at(span, "this row"));
                        break;
                    }
                }
            }
            if strs.len() != arity {
                continue;
            }
            let tuple = conv.convert(strs.into_iter(), symbols);
            add(tuple, line, facts, &mut errors);
        }
    } else {
        let delim = options.delimiter as char;
        // Empty lines seen since the last non-empty one: (line number, offset). They count
        // as rows only if a non-empty line follows.
        let mut pending_empty: Vec<(u32, usize)> = Vec::new();
        let mut offset = 0usize;
        let mut line_no = 0u32;
        let mut do_line = |content: &str, start: usize, line: u32, facts: &mut Facts, errors: &mut Errors| {
            let span = Span::new(file, base + start..base + start + content.len());
            let found = if arity == 0 && content.is_empty() { 0 } else { content.split(delim).count() };
            if found != arity {
                errors.push(wrong_count(found, span));
                return;
            }
            let mut pos = base + start;
            let fields = content.split(delim).map(|f| {
                let s = Span::new(file, pos..pos + f.len());
                pos += f.len() + 1;
                (f, s)
            });
            let tuple = conv.convert(fields, symbols);
            add(tuple, line, facts, errors);
        };
        while offset < body.len() {
            let rest = &body[offset..];
            let (raw, next) = match rest.find('\n') {
                Some(i) => (&rest[..i], offset + i + 1),
                None => (rest, body.len()),
            };
            line_no += 1;
            let content = raw.strip_suffix('\r').unwrap_or(raw);
            let start = offset;
            offset = next;
            if line_no == 1 && options.headers {
                let span = Span::new(file, base + start..base + start + content.len());
                if let Some(d) = bad_header(content.split(delim).count(), span) {
                    errors.push(d);
                }
                continue;
            }
            if content.is_empty() {
                pending_empty.push((line_no, start));
                continue;
            }
            for (l, s) in pending_empty.drain(..) {
                do_line("", s, l, facts, &mut errors);
            }
            do_line(content, start, line_no, facts, &mut errors);
        }
    }

    if errors.is_empty() {
        Ok(count)
    } else {
        facts.rollback(checkpoint);
        Err(errors.finish())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::to_number;

    struct Env {
        sources: SourceMap,
        symbols: Symbols,
        facts: Facts,
    }

    impl Env {
        fn new() -> Env {
            Env { sources: SourceMap::new(), symbols: Symbols::new(), facts: Facts::new() }
        }

        fn statements(&mut self, name: &str, text: &str) -> Result<usize, Vec<Diagnostic>> {
            let f = self.sources.add(name, text);
            load_statement_table(f, &self.sources, &mut self.symbols, &mut self.facts)
        }

        fn relation(
            &mut self,
            text: &str,
            rel: &str,
            types: &[Type],
            options: TableOptions,
        ) -> Result<usize, Vec<Diagnostic>> {
            let f = self.sources.add(format!("{rel}.facts"), text);
            load_relation_table(f, &self.sources, rel, types, &options, &mut self.symbols, &mut self.facts)
        }

        /// The rows of a relation as strings (symbols resolved, numbers printed), with lines.
        fn rows(&self, rel: &str, types: &[Type]) -> Vec<(Vec<String>, u32)> {
            self.facts
                .rows(rel)
                .iter()
                .map(|(t, id)| {
                    let vals =
                        t.iter().zip(types).map(|(&v, &ty)| crate::value::display(v, ty, &self.symbols)).collect();
                    (vals, self.facts.origin(id).line)
                })
                .collect()
        }

        fn sym_rows(&self, rel: &str) -> Vec<(Vec<String>, u32)> {
            self.rows(rel, &[Type::Symbol, Type::Symbol])
        }

        /// `file:line:col: message` of each diagnostic.
        fn render(&self, ds: &[Diagnostic]) -> Vec<String> {
            ds.iter().map(|d| crate::diag::render_short(d, &self.sources)).collect()
        }
    }

    fn row(vals: &[&str], line: u32) -> (Vec<String>, u32) {
        (vals.iter().map(|s| s.to_string()).collect(), line)
    }

    const SYM2: [Type; 2] = [Type::Symbol, Type::Symbol];

    #[test]
    fn normalises_relation_names() {
        assert_eq!(normalise_relation_name("relies on").as_deref(), Some("relies_on"));
        assert_eq!(normalise_relation_name("Backs").as_deref(), Some("backs"));
        assert_eq!(normalise_relation_name("is-allied-with").as_deref(), Some("is_allied_with"));
        assert_eq!(normalise_relation_name("  Member  OF ").as_deref(), Some("member_of"));
        assert_eq!(normalise_relation_name("__x--y__").as_deref(), Some("x_y"));
        assert_eq!(normalise_relation_name("backs_2").as_deref(), Some("backs_2"));
        assert_eq!(normalise_relation_name("already_snake").as_deref(), Some("already_snake"));
        assert_eq!(normalise_relation_name(""), None);
        assert_eq!(normalise_relation_name(" -- "), None);
        assert_eq!(normalise_relation_name("2nd ally"), None);
        assert_eq!(normalise_relation_name("-2nd"), None);
    }

    #[test]
    fn statement_table_rows_and_metadata() {
        let mut env = Env::new();
        let text = "Subject , RELATION,object,source,date\n\
                    Haftar,Backs,Tobruk,The New Arab,2016-11-28\n\
                    Tobruk,relies on,Haftar,The New Arab,2016-11-28\n\
                    Egypt,backs,Tobruk,Sputnik,2016-06-01\n";
        assert_eq!(env.statements("s.csv", text), Ok(3));
        assert_eq!(env.sym_rows("backs"), vec![row(&["Haftar", "Tobruk"], 2), row(&["Egypt", "Tobruk"], 4)]);
        assert_eq!(env.sym_rows("relies_on"), vec![row(&["Tobruk", "Haftar"], 3)]);
        assert_eq!(env.facts.tables.len(), 1);
        assert_eq!(env.facts.tables[0].kind, TableKind::Statements);
        assert_eq!(env.facts.tables[0].metadata_columns, vec!["source", "date"]);
        let id = env.facts.rows("backs").get(1).1;
        let meta: Vec<(String, String)> = env.facts.metadata(id, &env.sources);
        assert_eq!(
            meta,
            vec![("source".to_string(), "Sputnik".to_string()), ("date".to_string(), "2016-06-01".to_string())]
        );
        assert_eq!(env.facts.metadata_value(id, "DATE", &env.sources).as_deref(), Some("2016-06-01"));
        assert_eq!(env.facts.metadata_value(id, "quote", &env.sources), None);
        assert_eq!(env.facts.location(id, &env.sources), "s.csv:4");
        assert_eq!(env.facts.len(), 3);
    }

    #[test]
    fn statement_columns_in_any_order() {
        let mut env = Env::new();
        let text = "note,object,relation,subject\nhello,B,opposes,A\n";
        assert_eq!(env.statements("s.csv", text), Ok(1));
        assert_eq!(env.sym_rows("opposes"), vec![row(&["A", "B"], 2)]);
        let id = env.facts.rows("opposes").get(0).1;
        assert_eq!(env.facts.metadata(id, &env.sources), vec![("note".to_string(), "hello".to_string())]);
    }

    #[test]
    fn quoted_fields_with_commas_and_newlines() {
        let mut env = Env::new();
        let text = "subject,relation,object,quote\n\
                    A,backs,B,\"one, two\"\n\
                    C,backs,D,\"line one\nline \"\"two\"\"\"\n\
                    E,backs,F,plain\n";
        assert_eq!(env.statements("s.csv", text), Ok(3));
        assert_eq!(env.sym_rows("backs"), vec![row(&["A", "B"], 2), row(&["C", "D"], 3), row(&["E", "F"], 5)]);
        let id = env.facts.rows("backs").get(1).1;
        assert_eq!(env.facts.metadata_value(id, "quote", &env.sources).as_deref(), Some("line one\nline \"two\""));
        let id = env.facts.rows("backs").get(0).1;
        assert_eq!(env.facts.metadata_value(id, "quote", &env.sources).as_deref(), Some("one, two"));
    }

    #[test]
    fn bom_crlf_and_blank_lines() {
        let mut env = Env::new();
        let text = "\u{feff}subject,relation,object\r\nA,backs,B\r\n\r\nC,backs,D\r\n,,\r\n";
        assert!(is_statement_table(text));
        assert_eq!(env.statements("s.csv", text), Ok(2));
        assert_eq!(env.sym_rows("backs"), vec![row(&["A", "B"], 2), row(&["C", "D"], 4)]);
        let id = env.facts.rows("backs").get(1).1;
        assert_eq!(env.facts.origin(id).line, 4);
    }

    #[test]
    fn statement_errors_point_at_the_row() {
        let mut env = Env::new();
        let text = "subject,relation,object,source\nA,backs,B,x\nA,backs,B\nA, -- ,B,x\nA,9lives,B,x\n,backs,B,x\n";
        let errs = env.statements("s.csv", text).unwrap_err();
        assert_eq!(
            env.render(&errs),
            vec![
                "s.csv:3:1: error[E021]: expected 4 fields, found 3",
                "s.csv:4:1: error[E021]: empty relation name: `--` has no letters or digits",
                "s.csv:5:1: error[E021]: relation name `9lives` starts with a digit",
                "s.csv:6:1: error[E021]: empty `subject`",
            ]
        );
        assert_eq!(env.sources.snippet(errs[0].primary.as_ref().unwrap().span), "A,backs,B");
        // Nothing is loaded from a bad file.
        assert!(env.facts.is_empty());
        assert!(env.facts.relations.is_empty());
        assert!(env.facts.tables.is_empty());
    }

    #[test]
    fn empty_relation_cell() {
        let mut env = Env::new();
        let errs = env.statements("s.csv", "subject,relation,object\nA,,B\n").unwrap_err();
        assert_eq!(env.render(&errs), vec!["s.csv:2:1: error[E021]: empty relation name"]);
    }

    #[test]
    fn error_after_quoted_multiline_row_has_right_line() {
        let mut env = Env::new();
        let text = "subject,relation,object,quote\nA,backs,B,\"a\nb\nc\"\nA,backs\n";
        let errs = env.statements("s.csv", text).unwrap_err();
        assert_eq!(env.render(&errs), vec!["s.csv:5:1: error[E021]: expected 4 fields, found 2"]);
    }

    #[test]
    fn errors_are_capped() {
        let mut env = Env::new();
        let mut text = String::from("subject,relation,object\n");
        for _ in 0..25 {
            text.push_str("A,B\n");
        }
        let errs = env.statements("s.csv", &text).unwrap_err();
        assert_eq!(errs.len(), MAX_ERRORS);
        assert_eq!(errs.last().unwrap().notes, vec!["and 5 more errors in this file"]);
    }

    #[test]
    fn header_problems() {
        let mut env = Env::new();
        let errs = env.statements("a.csv", "subject,relation,source\nA,b,c\n").unwrap_err();
        assert_eq!(env.render(&errs), vec!["a.csv:1:1: error[E021]: missing `object` column"]);
        let errs = env.statements("b.csv", "x,y\n").unwrap_err();
        assert_eq!(
            env.render(&errs),
            vec!["b.csv:1:1: error[E021]: missing `subject`, `relation` and `object` columns"]
        );
        let errs = env.statements("c.csv", "subject,relation,object,Source,source\n").unwrap_err();
        assert_eq!(env.render(&errs), vec!["c.csv:1:1: error[E021]: duplicate column `source`"]);
        assert!(env.statements("d.csv", "").is_err());
        assert_eq!(env.statements("e.csv", "subject,relation,object\n"), Ok(0));
        assert_eq!(env.statements("f.csv", "subject,relation,object"), Ok(0));
    }

    #[test]
    fn detects_statement_tables() {
        assert!(is_statement_table("subject,relation,object\n"));
        assert!(is_statement_table(" OBJECT , Relation,subject,quote"));
        assert!(!is_statement_table(""));
        assert!(!is_statement_table("subject,object\nA,B\n"));
        assert!(!is_statement_table("a\tb\n"));
        // A repeated column still makes a statement table: loading reports the duplicate.
        assert!(is_statement_table("subject,relation,object,subject\n"));
    }

    #[test]
    fn finds_statement_tables_in_a_directory() {
        let dir = std::env::temp_dir().join(format!("stance-facts-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.csv"), "subject,relation,object\nA,backs,B\n").unwrap();
        std::fs::write(dir.join("a.CSV"), "\u{feff}Subject,Relation,Object,quote\n").unwrap();
        std::fs::write(dir.join("c.csv"), "x,y\n").unwrap();
        std::fs::write(dir.join("d.csv"), "").unwrap();
        std::fs::write(dir.join("e.facts"), "subject,relation,object\n").unwrap();
        std::fs::create_dir_all(dir.join("f.csv")).unwrap();
        let found = find_statement_tables(&dir).unwrap();
        let names: Vec<_> = found.iter().map(|p| p.file_name().unwrap().to_str().unwrap().to_string()).collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(names, vec!["a.CSV", "b.csv"]);
        assert!(find_statement_tables(Path::new("/nonexistent/stance/dir")).is_err());
    }

    #[test]
    fn relation_table_types_and_numbers() {
        let mut env = Env::new();
        let types = [Type::Symbol, Type::Number];
        let text = "a\t1\nb\t-2\nc\t+3\nd\t0x1F\ne\t0b101\nf\t-2147483648\n";
        assert_eq!(env.relation(text, "edge", &types, TableOptions::default()), Ok(6));
        assert_eq!(
            env.rows("edge", &types),
            vec![
                row(&["a", "1"], 1),
                row(&["b", "-2"], 2),
                row(&["c", "3"], 3),
                row(&["d", "31"], 4),
                row(&["e", "5"], 5),
                row(&["f", "-2147483648"], 6),
            ]
        );
        let (t, id) = env.facts.rows("edge").get(1);
        assert_eq!(to_number(t[1]), -2);
        assert_eq!(env.facts.table_of(id).kind, TableKind::Relation);
        assert_eq!(env.facts.metadata(id, &env.sources).len(), 0);
    }

    #[test]
    fn relation_table_bad_numbers() {
        let mut env = Env::new();
        let types = [Type::Symbol, Type::Number];
        let text = "a\t1\nb\tabc\nc\t99999999999999999999\nd\t\n";
        let errs = env.relation(text, "edge", &types, TableOptions::default()).unwrap_err();
        assert_eq!(
            env.render(&errs),
            vec![
                "edge.facts:2:3: error[E021]: `abc` is not a number (column 2 of `edge`, declared `number`)",
                "edge.facts:3:3: error[E021]: number out of range: `99999999999999999999` (column 2 of `edge`, declared `number`)",
                "edge.facts:4:3: error[E021]: `` is not a number (column 2 of `edge`, declared `number`)",
            ]
        );
        assert!(env.facts.rows("edge").is_empty());
        assert!(env.facts.tables.is_empty());
        for bad in ["9223372036854775808", "-9223372036854775809", "0x", "1.5", "--1", "0b2", "+-1"] {
            assert!(parse_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relation_table_field_counts() {
        let mut env = Env::new();
        let errs = env.relation("a\tb\nc\nd\te\tf\n", "r", &SYM2, TableOptions::default()).unwrap_err();
        assert_eq!(
            env.render(&errs),
            vec![
                "r.facts:2:1: error[E021]: expected 2 fields, found 1",
                "r.facts:3:1: error[E021]: expected 2 fields, found 3",
            ]
        );
        assert_eq!(env.sources.snippet(errs[1].primary.as_ref().unwrap().span), "d\te\tf");
        // An empty line in the middle is a row, and has the wrong field count for arity 2.
        let errs = env.relation("a\tb\n\nc\td\n", "r", &SYM2, TableOptions::default()).unwrap_err();
        assert_eq!(env.render(&errs), vec!["r.facts:2:1: error[E021]: expected 2 fields, found 1"]);
    }

    #[test]
    fn relation_table_empty_lines() {
        let mut env = Env::new();
        // Trailing empty lines are ignored.
        assert_eq!(env.relation("a\tb\nc\td\n\n\r\n", "r", &SYM2, TableOptions::default()), Ok(2));
        // For arity 1 an empty line in the middle is the empty symbol.
        assert_eq!(env.relation("x\n\ny\n\n", "u", &[Type::Symbol], TableOptions::default()), Ok(3));
        assert_eq!(env.rows("u", &[Type::Symbol]), vec![row(&["x"], 1), row(&[""], 2), row(&["y"], 3)]);
        assert_eq!(env.relation("", "v", &[Type::Symbol], TableOptions::default()), Ok(0));
        assert_eq!(env.relation("\n\n", "v", &[Type::Symbol], TableOptions::default()), Ok(0));
    }

    #[test]
    fn relation_table_bom_crlf_no_final_newline() {
        let mut env = Env::new();
        assert_eq!(env.relation("\u{feff}a\tb\r\nc\td", "r", &SYM2, TableOptions::default()), Ok(2));
        assert_eq!(env.sym_rows("r"), vec![row(&["a", "b"], 1), row(&["c", "d"], 2)]);
        let errs = env.relation("\u{feff}a\r\n", "s", &SYM2, TableOptions::default()).unwrap_err();
        assert_eq!(env.render(&errs), vec!["s.facts:1:2: error[E021]: expected 2 fields, found 1"]);
        assert_eq!(env.sources.snippet(errs[0].primary.as_ref().unwrap().span), "a");
    }

    #[test]
    fn relation_table_headers_and_delimiter() {
        let mut env = Env::new();
        let options = TableOptions { delimiter: b',', headers: true, rfc4180: false };
        assert_eq!(env.relation("from,to\na,b\nc,d\n", "r", &SYM2, options), Ok(2));
        assert_eq!(env.sym_rows("r"), vec![row(&["a", "b"], 2), row(&["c", "d"], 3)]);
        let options = TableOptions { delimiter: b'|', ..TableOptions::default() };
        assert_eq!(env.relation("a b|c,d\n", "s", &SYM2, options), Ok(1));
        assert_eq!(env.sym_rows("s"), vec![row(&["a b", "c,d"], 1)]);
        let bad = TableOptions { delimiter: 0xE9, ..TableOptions::default() };
        assert!(env.relation("a\n", "t", &SYM2, bad).is_err());
    }

    #[test]
    fn quotes_verbatim_without_rfc4180() {
        let mut env = Env::new();
        let options = TableOptions { delimiter: b',', ..TableOptions::default() };
        assert_eq!(env.relation("\"a\",\"b c\"\n", "r", &SYM2, options), Ok(1));
        assert_eq!(env.sym_rows("r"), vec![row(&["\"a\"", "\"b c\""], 1)]);
        // A quoted delimiter is still a delimiter.
        let errs = env.relation("\"a,b\",c\n", "s", &SYM2, options).unwrap_err();
        assert_eq!(env.render(&errs), vec!["s.facts:1:1: error[E021]: expected 2 fields, found 3"]);
    }

    #[test]
    fn rfc4180_relation_table() {
        let mut env = Env::new();
        let options = TableOptions { delimiter: b',', headers: true, rfc4180: true };
        let types = [Type::Symbol, Type::Number];
        let text = "name,n\n\"a, b\",1\n\"multi\nline\",-2\nplain,3\n";
        assert_eq!(env.relation(text, "r", &types, options), Ok(3));
        assert_eq!(
            env.rows("r", &types),
            vec![row(&["a, b", "1"], 2), row(&["multi\nline", "-2"], 3), row(&["plain", "3"], 5)]
        );
        let errs =
            env.relation("x,1\n\"y\",zz\n", "q", &types, TableOptions { headers: false, ..options }).unwrap_err();
        assert_eq!(
            env.render(&errs),
            vec!["q.facts:2:1: error[E021]: `zz` is not a number (column 2 of `q`, declared `number`)"]
        );
    }

    #[test]
    fn nullary_relation() {
        let mut env = Env::new();
        assert_eq!(env.relation("\n", "z", &[], TableOptions::default()), Ok(0));
        assert!(env.relation("x\n", "z", &[], TableOptions::default()).is_err());
    }

    #[test]
    fn example_knowledge_base_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts/statements.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(is_statement_table(&text));
        let mut env = Env::new();
        let n = env.statements("facts/statements.csv", &text).unwrap();
        assert!(n >= 30, "{n} statements");
        assert_eq!(env.facts.tables[0].metadata_columns, vec!["source", "date", "quote"]);
        for (_, id) in env.facts.rows("backs").iter() {
            assert!(!env.facts.metadata_value(id, "quote", &env.sources).unwrap().is_empty());
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts");
        assert!(find_statement_tables(&dir).unwrap().iter().any(|p| p.ends_with("statements.csv")));
    }

    #[test]
    fn fact_ids_continue_across_tables() {
        let mut env = Env::new();
        assert_eq!(env.statements("a.csv", "subject,relation,object\nA,backs,B\n"), Ok(1));
        assert_eq!(env.relation("C\tD\n", "backs", &SYM2, TableOptions::default()), Ok(1));
        let rows = env.facts.rows("backs");
        assert_eq!(rows.get(0).1, 0);
        assert_eq!(rows.get(1).1, 1);
        assert_eq!(env.facts.origin(1).table, 1);
        assert_eq!(env.facts.location(1, &env.sources), "backs.facts:1");
        // A failing load leaves earlier facts alone.
        assert!(env.statements("b.csv", "subject,relation,object\nE,backs,F\nG,backs\n").is_err());
        assert_eq!(env.facts.rows("backs").len(), 2);
        assert_eq!(env.facts.tables.len(), 2);
    }
}

#[cfg(test)]
mod perf {
    use super::*;

    /// `cargo test --release --lib facts::perf -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn million_rows() {
        let mut text = String::from("subject,relation,object,source,date,quote\n");
        for i in 0..1_000_000 {
            text.push_str(&format!(
                "actor{},backs,actor{},The New Arab,2016-11-28,\"quote number {i}, with a comma\"\n",
                i % 5000,
                (i * 7) % 5000
            ));
        }
        let mut tsv = String::new();
        for i in 0..1_000_000 {
            tsv.push_str(&format!("n{}\t{}\n", i % 5000, i));
        }
        let mut sources = SourceMap::new();
        let a = sources.add("big.csv", text);
        let b = sources.add("big.facts", tsv);
        let mut symbols = Symbols::new();
        let mut facts = Facts::new();
        let t = std::time::Instant::now();
        let n = load_statement_table(a, &sources, &mut symbols, &mut facts).unwrap();
        eprintln!("statements: {n} rows in {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let types = [Type::Symbol, Type::Number];
        let n =
            load_relation_table(b, &sources, "r", &types, &TableOptions::default(), &mut symbols, &mut facts).unwrap();
        eprintln!("relation: {n} rows in {:?}", t.elapsed());
    }
}
