//! Loading facts from CSV.
//!
//! Facts come in two shapes:
//!
//! 1. **Statement tables**: a comma-separated file whose header has `subject`, `relation` and
//!    `object` columns (case-insensitive, any order). Each row is the fact
//!    `relation(subject, object)`, with the relation name normalised to snake_case
//!    ([`normalise_relation_name`]). Every other column is metadata (`source`, `date`,
//!    `quote`, ...), read back from the row when needed (the fact's [`FactOrigin`] keeps the
//!    row's offset, so no metadata string is copied or interned at load time). Quoted fields
//!    (RFC 4180) are supported; fields are trimmed of surrounding ASCII whitespace; rows
//!    whose fields are all empty (`,,,,`) and blank lines are skipped. `--as-of` filters the
//!    rows as they load ([`crate::facts::asof`]), and `--min-grade` / `--min-confidence` by
//!    their optional `grade` and `confidence` columns ([`crate::facts::grade`]).
//! 2. **Relation tables**: one file per relation, read as Soufflé reads `.facts` files:
//!    tab-separated, no header, fields verbatim (a `"` is an ordinary character) unless
//!    [`TableOptions`] say otherwise; a comma-separated table is read with RFC 4180 quoting
//!    unless `rfc4180=false` (see [`TableOptions::for_input`]). Columns are converted by their
//!    declared [`Type`]; with a header that names every declared attribute, columns bind by
//!    name.
//!
//! Every CSV record is split by [`crate::facts::csv_scan`], the one splitter, without copying
//! fields.
//!
//! Every loaded fact gets an id (its index in [`Facts::origins`]) and remembers its table and
//! 1-based line, so a derived claim can cite the row it rests on.
//!
//! A statement table is streamed from its file in chunks ([`stream_statement_table`]): only
//! the rows are kept, each with its line and offset, and a proof reads its metadata back
//! through the file held open since loading ([`crate::base::source::HeldFile`]). Other text
//! (relation tables, an editor's buffer) comes from the [`SourceMap`]; both paths split
//! records with the same splitter and give the same rows, offsets and diagnostics (a
//! property test streams random tables in chunks of every size). A file with invalid UTF-8
//! is decoded by [`decode`],
//! which reports every bad byte sequence as a located error (two actors `A\xff` and `A\xfe`
//! must not silently become the same `A\u{FFFD}`). A UTF-8 BOM at the start of the text is
//! skipped. Line ends may be `\n` or `\r\n`.
//!
//! On error, a loader returns one [`Diagnostic`] per bad row (at most [`MAX_ERRORS`], the
//! last one noting how many more there were). The good rows are loaded all the same, so that
//! one bad row does not make every relation of its table unknown to the checker (which would
//! add an "unknown relation" error, with a misleading suggestion, per rule using them); the
//! run still fails on the errors.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{Changed, FileId, HeldFile, SourceMap, Span};
use crate::base::value::{
    NumberError, Symbols, Tuples, Type, Value, from_float, from_number, from_unsigned, parse_float, parse_number,
    parse_unsigned,
};
use crate::facts::asof::Period;
use crate::facts::csv_scan::{Chunked, Field, Records};
use crate::facts::grade::{self, Grade, RowFilter};
use crate::facts::part::{self, ByteRange, Part};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// At most this many diagnostics are reported per file.
pub const MAX_ERRORS: usize = 20;

const BOM: &str = "\u{feff}";

/// Which shape of file a table was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// A statement table: one row per sourced statement, with metadata columns.
    Statements,
    /// A relation table: one row per tuple of a declared relation, read by `.input`.
    Relation,
}

/// One loaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// The file.
    pub file: FileId,
    /// Which shape of table it is.
    pub kind: TableKind,
    /// Names of the metadata columns (header as written, trimmed), in file order. Empty for
    /// relation tables.
    pub metadata_columns: Vec<String>,
    /// The field index of each metadata column in a row.
    pub metadata_fields: Vec<usize>,
}

impl TableInfo {
    /// A relation table (`.input`): no metadata columns.
    pub fn relation(file: FileId) -> TableInfo {
        TableInfo { file, kind: TableKind::Relation, metadata_columns: Vec::new(), metadata_fields: Vec::new() }
    }
}

/// Where one fact came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FactOrigin {
    /// Index into [`Facts::tables`].
    pub table: u32,
    /// 1-based line of the file on which the fact's row starts.
    pub line: u32,
    /// Byte offset of the row in its file. Metadata (often a unique quote per row) is not
    /// interned or copied at load time: it is read back from the row when a proof shows it.
    /// (Its `grade` and `confidence` are in [`Facts::grades`]: most tables have neither, and
    /// 12 bytes per row matter at ten million rows.)
    pub offset: u32,
}

/// The loaded rows of one relation, in load order, each with its fact id. Duplicate tuples
/// are kept (each with its own origin); deduplication is the evaluator's business.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactRows {
    /// The tuples, in load order.
    pub tuples: Tuples,
    /// The fact id of each tuple, ascending.
    pub ids: Vec<u32>,
}

impl FactRows {
    fn new(arity: usize) -> FactRows {
        FactRows { tuples: Tuples::new(arity), ids: Vec::new() }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no row was loaded.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The tuple at `i` and its fact id.
    pub fn get(&self, i: usize) -> (&[Value], u32) {
        (self.tuples.get(i), self.ids[i])
    }

    /// Every row with its fact id, in load order.
    pub fn iter(&self) -> impl Iterator<Item = (&[Value], u32)> {
        (0..self.len()).map(|i| self.get(i))
    }

    fn push(&mut self, tuple: &[Value], id: u32) {
        self.tuples.push(tuple);
        self.ids.push(id);
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
    /// Every file loaded, indexed by [`FactOrigin::table`].
    pub tables: Vec<TableInfo>,
    /// Indexed by fact id.
    pub origins: Vec<FactOrigin>,
    /// Relation name → its loaded rows.
    pub relations: BTreeMap<String, FactRows>,
    /// Statement rows left out by `--min-grade` / `--min-confidence`, and how many of those
    /// had no grade (or no confidence) at all: `explain` says so when a claim fails.
    pub below_grade: usize,
    /// Of those, the rows with no grade (or no confidence).
    pub ungraded_dropped: usize,
    /// Each fact's `grade` and `confidence` (statement tables with those columns; `None`
    /// when empty or absent), by fact id, up to the last fact that has either: empty when
    /// no row has one, so that ungraded tables pay nothing.
    pub grades: Vec<(Option<Grade>, Option<f32>)>,
    /// Each fact's validity interval, by fact id, when loaded for temporal evaluation
    /// ([`RowFilter::with_time`]); empty otherwise, so that plain runs pay nothing.
    pub intervals: Vec<crate::facts::asof::Interval>,
}

/// The rows of room kept rows of `rows` rows get for reloads by rows to add to them (1/32 of
/// them, at least 1,024): see [`Facts::make_room`] and [`crate::facts::reload::KeptTable`].
pub fn reload_room(rows: usize) -> usize {
    (rows / 32).max(1024)
}

impl Facts {
    /// No facts.
    pub fn new() -> Self {
        Facts::default()
    }

    /// Number of facts loaded.
    pub fn len(&self) -> usize {
        self.origins.len()
    }

    /// Makes sure every vector a reload by rows splices into ([`crate::facts::restate`]) has
    /// room for at least a quarter of [`reload_room`] more rows, else gives it that room:
    /// kept rows are a clone (as long as its contents), and the first row appended to a
    /// million would otherwise copy them all (tens of MB, about 10 ms) on the path of that
    /// edit.
    pub fn make_room(&mut self) {
        let rows = reload_room(self.len());
        fn room<T>(v: &mut Vec<T>, rows: usize) {
            if v.capacity() - v.len() < rows / 4 {
                v.reserve_exact(rows);
            }
        }
        room(&mut self.origins, rows);
        if !self.grades.is_empty() {
            room(&mut self.grades, rows);
        }
        for r in self.relations.values_mut() {
            room(&mut r.ids, rows);
            room(&mut r.tuples.data, rows * r.tuples.arity);
        }
    }

    /// Whether no fact was loaded.
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// Where fact `id` was stated.
    pub fn origin(&self, id: u32) -> &FactOrigin {
        &self.origins[id as usize]
    }

    /// Fact `id`'s grade, if its row has one.
    pub fn grade(&self, id: u32) -> Option<Grade> {
        self.grades.get(id as usize).and_then(|g| g.0)
    }

    /// Fact `id`'s confidence, if its row has one.
    pub fn confidence(&self, id: u32) -> Option<f32> {
        self.grades.get(id as usize).and_then(|g| g.1)
    }

    /// Whether any row has a grade (`.0`) and whether any has a confidence (`.1`).
    pub fn graded(&self) -> (bool, bool) {
        (self.grades.iter().any(|g| g.0.is_some()), self.grades.iter().any(|g| g.1.is_some()))
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
    /// When the row cannot be read back (its file changed since loading), none, and the
    /// error is kept for [`take_unquoted`]: the command then fails with it rather than show
    /// other text as the row's.
    pub fn metadata(&self, id: u32, sources: &SourceMap) -> Vec<(String, String)> {
        self.try_metadata(id, sources).unwrap_or_else(|d| {
            let mut unquoted = UNQUOTED.lock().unwrap_or_else(|e| e.into_inner());
            if !unquoted.contains(&d) {
                unquoted.push(d);
            }
            Vec::new()
        })
    }

    /// [`Facts::metadata`], or the error when the row's file changed since loading.
    pub fn try_metadata(&self, id: u32, sources: &SourceMap) -> Result<Vec<(String, String)>, Diagnostic> {
        let origin = self.origin(id);
        let table = &self.tables[origin.table as usize];
        if table.metadata_fields.is_empty() {
            return Ok(Vec::new());
        }
        let file = sources.get(table.file);
        let row = match file.held_file() {
            None => Cow::Borrowed(file.text.get(origin.offset as usize..).unwrap_or("")),
            Some(held) => {
                let read = read_row(held, origin.offset);
                Cow::Owned(
                    read.map_err(|c| changed_error(&format!("cannot quote `{}:{}`", file.name, origin.line), &c))?,
                )
            }
        };
        // The row is split again exactly as it was loaded; it was complete then.
        let mut fields = Vec::new();
        if !matches!(Records::new(&row, b',').next_record(&mut fields), Ok(Some(_))) {
            return Ok(Vec::new());
        }
        let value = |i: usize| fields.get(i).map_or(Cow::Borrowed(""), |f| f.value(&row));
        Ok(table
            .metadata_columns
            .iter()
            .zip(&table.metadata_fields)
            .map(|(c, &i)| (c.clone(), value(i).trim_ascii().to_string()))
            .collect())
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

    /// Adds the rows one table gathered per relation (ids already assigned, in order). The
    /// relation becomes known even with no rows (all expired under `--as-of`, or all bad).
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
}

/// The rows [`Facts::metadata`] could not read back since the last call, as errors.
static UNQUOTED: std::sync::Mutex<Vec<Diagnostic>> = std::sync::Mutex::new(Vec::new());

/// The errors of the rows [`Facts::metadata`] could not read back (their files changed
/// since loading), taken: a command that showed metadata fails with them.
pub fn take_unquoted() -> Vec<Diagnostic> {
    std::mem::take(&mut *UNQUOTED.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The text from `offset` of a held file to the end of the record there (at least), read
/// in growing windows.
fn read_row(held: &HeldFile, offset: u32) -> Result<String, Changed> {
    let mut want = 4096;
    loop {
        let bytes = held.read_at(offset as u64, want)?;
        // Fewer bytes than asked for: the end of the file.
        let last = bytes.len() < want;
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
        };
        if !matches!(Records::new(text, b',').next_complete(&mut Vec::new(), last), Chunked::More(..)) {
            return Ok(text.to_string());
        }
        want *= 2;
    }
}

/// The error for a table that changed since it was loaded (or while it was): `what` could
/// not be done (``cannot quote `statements.csv:2` ``).
pub fn changed_error(what: &str, changed: &Changed) -> Diagnostic {
    Diagnostic::error(Code::BadFacts, format!("{what}: {}", changed.why))
        .with_help("run the command again to read the file as it is now")
}

/// How a relation table is read: Soufflé's `.input` options, and `comment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// Field separator; must be an ASCII character.
    pub delimiter: u8,
    /// The first record is a header, not a row. When it names every declared attribute of
    /// the relation, columns bind by name; otherwise by position.
    pub headers: bool,
    /// Quoted fields as in RFC 4180. When false a field is taken verbatim, quotes included.
    pub rfc4180: bool,
    /// Lines starting with this byte are skipped (`comment="#"`).
    pub comment: Option<u8>,
    /// Keep only the rows of this part of the table (see [`crate::facts::part`]); all rows
    /// are still read and checked.
    pub part: Option<Part>,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions { delimiter: b'\t', headers: false, rfc4180: false, comment: None, part: None }
    }
}

impl TableOptions {
    /// The options of one `.input` reading `path`, whose text is `text`: the directive's
    /// `params`, and where they name none, these defaults.
    /// - `delimiter`: a tab (Soufflé's), except for a file named `*.csv` whose first line has
    ///   no tab: a comma, so that a `.csv` loads without naming its delimiter.
    /// - `rfc4180`: true for a comma delimiter, because R's `write.csv` and pandas' `to_csv`
    ///   quote fields and a quoted `"USA"` must not keep its quote marks; false otherwise,
    ///   as in Soufflé, so tab-separated `.facts` files read exactly as Soufflé reads them.
    /// - `headers`: `implicit_csv` (a `<rel>.csv` found because no `<rel>.facts` exists has
    ///   a header); false otherwise, as in Soufflé.
    /// - `comment`: none.
    pub fn for_input(params: &BTreeMap<String, String>, path: &Path, text: &str, implicit_csv: bool) -> TableOptions {
        let is_csv = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let first_line = text.split('\n').next().unwrap_or("");
        let delimiter = match params.get("delimiter") {
            Some(d) => crate::lang::check::unescape_delimiter(d).bytes().next().unwrap_or(b'\t'),
            None if is_csv && !first_line.contains('\t') => b',',
            None => b'\t',
        };
        let flag = |name: &str, default: bool| params.get(name).map_or(default, |v| v == "true");
        TableOptions {
            delimiter,
            headers: flag("headers", implicit_csv),
            rfc4180: flag("rfc4180", delimiter == b','),
            comment: params.get("comment").and_then(|c| c.bytes().next()),
            part: None,
        }
    }
}

/// One invalid UTF-8 sequence of a file: where its U+FFFD is in the decoded text, and the
/// bytes it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// Where the U+FFFD replacing the sequence is in the decoded text.
    pub at: Range<usize>,
    /// The bytes it replaced.
    pub bytes: Vec<u8>,
}

/// A gzip-compressed table decompresses to at most this many bytes: a few kilobytes of
/// gzip can expand to gigabytes (a "gzip bomb"), and tables may come from someone else.
pub const MAX_GUNZIPPED: u64 = 512 << 20;

/// Whether `bytes` start with gzip's magic number. Soufflé reads every input through zlib,
/// which takes gzip and plain text alike; so does stance.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses a gzip table (all its members), refusing more than `limit` bytes of output.
pub fn gunzip(bytes: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut reader = flate2::read::MultiGzDecoder::new(bytes).take(limit + 1);
    reader.read_to_end(&mut out).map_err(|e| format!("not a valid gzip file: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!("decompresses to more than {} MiB, the limit for a compressed table", limit >> 20));
    }
    Ok(out)
}

/// Decodes a fact table: each invalid UTF-8 sequence becomes U+FFFD, so that the rest can be
/// read and shown, and is returned to be reported by [`invalid_utf8_errors`].
pub fn decode(bytes: Vec<u8>) -> (String, Vec<InvalidUtf8>) {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return (text, Vec::new()),
        Err(e) => e.into_bytes(),
    };
    let mut text = String::with_capacity(bytes.len() + 16);
    let mut invalid = Vec::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            let start = text.len();
            text.push(char::REPLACEMENT_CHARACTER);
            invalid.push(InvalidUtf8 { at: start..text.len(), bytes: chunk.invalid().to_vec() });
        }
    }
    (text, invalid)
}

/// One error per invalid UTF-8 sequence of `file` (at most [`MAX_ERRORS`]).
pub fn invalid_utf8_errors(file: FileId, invalid: &[InvalidUtf8]) -> Vec<Diagnostic> {
    let mut errors = Errors::new();
    for bad in invalid {
        let hex: Vec<String> = bad.bytes.iter().map(|b| format!("{b:#04x}")).collect();
        errors.push(
            Diagnostic::error(Code::BadFacts, format!("invalid UTF-8: byte {}", hex.join(" ")))
                .at(Span::new(file, bad.at.clone()), "not UTF-8")
                .with_help("save the table as UTF-8; read as it is, different bytes would become the same text"),
        );
    }
    errors.finish()
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

/// The relation a statement row's relation cell names: [`normalise_relation_name`], and a
/// denial written with a `not` prefix (`not backs`, `NOT Backs`) reads into the complement
/// `~backs` (see `lang::defeasible`). `None` as for [`normalise_relation_name`].
pub fn statement_relation_name(s: &str) -> Option<String> {
    let t = s.trim();
    match t.get(..4) {
        Some(not) if not.eq_ignore_ascii_case("not ") => normalise_relation_name(&t[4..]).map(|n| format!("~{n}")),
        _ => normalise_relation_name(t),
    }
}

/// Whether a `polarity` cell says the row is a denial: `-`, `negative`, `denied`, `false`,
/// `no` (any case); empty, `+`, `positive`, `affirmed`, `true`, `yes` say it is not.
fn denial_polarity(cell: &str) -> Result<bool, String> {
    let c = cell.trim().to_ascii_lowercase();
    match c.as_str() {
        "" | "+" | "positive" | "affirmed" | "true" | "yes" => Ok(false),
        "-" | "negative" | "denied" | "false" | "no" => Ok(true),
        _ => Err(format!("`{}` is not a polarity", crate::base::terminal::escape(cell.trim()))),
    }
}

/// The slot of a row's relation after its `polarity` cell (`cell`: the field, the file and
/// the offset of the text): `slot` itself, or its complement's for a denial; `None`, with
/// the error, for a cell that is not a polarity.
fn polarity_slot(
    slot: usize,
    cell: (&Field, FileId, usize),
    body: &str,
    (gathered, slot_of): (&mut Vec<(String, FactRows)>, &mut FxHashMap<String, usize>),
    errors: &mut Errors,
) -> Option<usize> {
    let (field, file, base) = cell;
    match denial_polarity(&field.value(body)) {
        Ok(false) => Some(slot),
        Ok(true) => {
            let name = complement_name(&gathered[slot].0);
            Some(*slot_of.entry(name.clone()).or_insert_with(|| {
                gathered.push((name, FactRows::new(2)));
                gathered.len() - 1
            }))
        }
        Err(msg) => {
            let range = field.range();
            errors.push(
                Diagnostic::error(Code::BadFacts, msg)
                    .at(Span::new(file, base + range.start..base + range.end), "not a polarity")
                    .with_help("write `+` (or empty) for a report, `-` for a denial"),
            );
            None
        }
    }
}

/// The complement of a statement relation's name: `~backs` for `backs` and back.
fn complement_name(name: &str) -> String {
    match name.strip_prefix('~') {
        Some(base) => base.to_string(),
        None => format!("~{name}"),
    }
}

/// The text without a leading BOM, and the byte offset where it starts in the file.
fn strip_bom(text: &str) -> (&str, usize) {
    match text.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (text, 0),
    }
}

/// The key columns of a statement table.
const STATEMENT_COLUMNS: [&str; 3] = ["subject", "relation", "object"];

/// The header of a statement table: where its three key columns are.
struct StatementHeader {
    subject: usize,
    relation: usize,
    object: usize,
    /// (column index, name as written) of each metadata column.
    metadata: Vec<(usize, String)>,
    width: usize,
}

impl StatementHeader {
    /// The field index and name of a metadata column (case-insensitive), if present.
    fn column(&self, name: &str) -> Option<(usize, &str)> {
        self.metadata.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(i, n)| (*i, n.as_str()))
    }
}

/// Why a header is not a usable statement-table header.
enum HeaderError {
    Missing(Vec<&'static str>),
    Duplicate(String),
}

fn parse_header(fields: &[String]) -> Result<StatementHeader, HeaderError> {
    let mut seen: FxHashMap<String, usize> = FxHashMap::default();
    let (mut subject, mut relation, mut object) = (None, None, None);
    let mut metadata = Vec::new();
    for (i, raw) in fields.iter().enumerate() {
        let name = raw.trim().to_string();
        if name.is_empty() {
            // A column without a name (a trailing comma from a spreadsheet, or the row-name
            // column R's `write.csv` writes) is ignored.
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
        _ => Err(HeaderError::Missing(missing_statement_columns(fields))),
    }
}

/// The key columns a header lacks.
fn missing_statement_columns(names: &[String]) -> Vec<&'static str> {
    STATEMENT_COLUMNS.into_iter().filter(|c| !names.iter().any(|n| n.trim().eq_ignore_ascii_case(c))).collect()
}

/// The field values of the first record of `text` (after a BOM), and where the record ends
/// in `text`; `None` for an empty text or an unclosed quote.
fn header_names(text: &str) -> Option<(Vec<String>, usize)> {
    let (body, base) = strip_bom(text);
    let mut fields = Vec::new();
    let record = Records::new(body, b',').next_record(&mut fields).ok()??;
    Some((fields.iter().map(|f| f.value(body).into_owned()).collect(), base + record.span.end))
}

/// True if the text's header row has `subject`, `relation` and `object` columns. A header
/// that also repeats a column name counts, so that loading reports the duplicate instead of
/// the file being silently ignored.
pub fn is_statement_table(text: &str) -> bool {
    header_names(text).is_some_and(|(names, _)| missing_statement_columns(&names).is_empty())
}

/// The `*.csv` files directly in a facts directory, by what their header says.
#[derive(Debug, Default)]
pub struct CsvFiles {
    /// The statement tables, sorted by file name.
    pub statements: Vec<PathBuf>,
    /// The other `.csv` files with their header line (as written, lossily decoded), sorted by
    /// file name: relation tables an `.input` reads, or statement tables whose header is
    /// wrong (see [`unread_table`]).
    pub others: Vec<(PathBuf, String)>,
}

/// Headers longer than this are not looked for (a statement table's is a few dozen bytes).
const HEADER_BYTES: u64 = 64 * 1024;

/// All `*.csv` files directly in `dir` (extension case-insensitive), sorted by file name,
/// split by whether they are statement tables. Only the start of each file is read.
pub fn find_csv_files(dir: &Path) -> std::io::Result<CsvFiles> {
    let mut found = CsvFiles::default();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let is_csv = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_csv || !entry.file_type()?.is_file() && !path.is_file() {
            continue;
        }
        // Opened once and checked; a table leading outside `dir` is not peeked at but listed,
        // so that loading refuses it with its name.
        let file = match crate::facts::confine::open_inside(&path, dir) {
            Ok((file, _)) => file,
            Err(crate::facts::confine::OpenError::Outside(_)) => {
                found.statements.push(path);
                continue;
            }
            Err(crate::facts::confine::OpenError::Io(e)) => return Err(e),
        };
        let mut start = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, HEADER_BYTES), &mut start)?;
        let start = String::from_utf8_lossy(&start);
        match header_names(&start) {
            Some((names, _)) if missing_statement_columns(&names).is_empty() => found.statements.push(path),
            Some((_, end)) => found.others.push((path, start[..end].to_string())),
            // An empty file states nothing, so nothing is lost by not reading it.
            None if start.trim_ascii().is_empty() => {}
            None => found.others.push((path, start.lines().next().unwrap_or("").to_string())),
        }
    }
    found.statements.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    found.others.sort_by(|a, b| a.0.file_name().cmp(&b.0.file_name()));
    Ok(found)
}

/// The warning for a `.csv` file of the facts directory that is not a statement table and
/// that no `.input` reads: nothing in it counts, which is likely a mistake (a typo in the
/// header, `subjet,relation,object`). `file` holds the header line.
pub fn unread_table(file: FileId, sources: &SourceMap) -> Diagnostic {
    let header = &sources.get(file).text;
    let names = header_names(header).map(|(n, _)| n).unwrap_or_default();
    let missing = missing_statement_columns(&names);
    let named: Vec<&str> = names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()).collect();
    let fixes: Vec<String> = missing
        .iter()
        .filter_map(|m| {
            let near = crate::base::diag::did_you_mean(m, named.iter().copied())?;
            Some(format!("`{near}` → `{m}`"))
        })
        .collect();
    let name = &sources.get(file).name;
    let d = Diagnostic::warning(
        Code::UnreadTable,
        format!("`{name}` is not read: it is not a statement table, and no `.input` reads it"),
    )
    .at(Span::new(file, 0..header.len()), format!("no {} column{}", join_columns(&missing), plural(missing.len())))
    .with_note("a statement table's header has `subject`, `relation` and `object` columns");
    if fixes.is_empty() {
        d.with_help("fix the header, or read the file as a relation table with `.input`")
    } else {
        d.with_help(format!("did you mean to rename {}?", fixes.join(", ")))
    }
}

/// `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``.
fn join_columns(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|m| format!("`{m}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
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

    /// `Ok(value)` when nothing was pushed.
    fn result<T>(self, value: T) -> Result<T, Vec<Diagnostic>> {
        if self.shown.is_empty() { Ok(value) } else { Err(self.finish()) }
    }
}

/// Reads the header of a statement table (`record`, its fields split from `body`, which
/// starts at `base` in `file`; `None` for an empty file): its columns, or the diagnostic
/// for a header that is empty, repeats a column or lacks a required one.
fn statement_header(
    file: FileId,
    body: &str,
    base: usize,
    record: Option<&crate::facts::csv_scan::Record>,
    fields: &[Field],
) -> Result<StatementHeader, Vec<Diagnostic>> {
    let header_span = record.map_or(Span::new(file, 0..0), |r| Span::new(file, base + r.span.start..base + r.span.end));
    let header = record.map(|_| {
        let names: Vec<String> = fields.iter().map(|f| f.value(body).into_owned()).collect();
        parse_header(&names)
    });
    match header {
        Some(Ok(h)) => Ok(h),
        Some(Err(HeaderError::Duplicate(name))) => Err(vec![
            Diagnostic::error(Code::BadFacts, format!("duplicate column `{name}`")).at(header_span, "in this header"),
        ]),
        Some(Err(HeaderError::Missing(missing))) => {
            let s = if missing.len() == 1 { "" } else { "s" };
            Err(vec![
                Diagnostic::error(Code::BadFacts, format!("missing {} column{s}", join_columns(&missing)))
                    .at(header_span, "this header")
                    .with_help("a statement table's header needs `subject`, `relation` and `object` columns"),
            ])
        }
        None => Err(vec![
            Diagnostic::error(Code::BadFacts, "missing `subject`, `relation` and `object` columns")
                .at(header_span, "empty file")
                .with_help("a statement table's header needs `subject`, `relation` and `object` columns"),
        ]),
    }
}

/// The slot in `gathered` of the rows of relation cell `raw_relation`, found by its text or
/// its normalised name and added when new; `None` when it does not normalise to a name.
fn relation_slot(
    raw_relation: &str,
    gathered: &mut Vec<(String, FactRows)>,
    relation_of: &mut FxHashMap<Box<str>, Option<usize>>,
    slot_of: &mut FxHashMap<String, usize>,
) -> Option<usize> {
    match relation_of.get(raw_relation) {
        Some(&slot) => slot,
        None => {
            // Two spellings may normalise to one name: found by name, not by scanning
            // `gathered` (a scan per new name was quadratic in the number of relations).
            let slot = statement_relation_name(raw_relation).map(|name| {
                *slot_of.entry(name.clone()).or_insert_with(|| {
                    gathered.push((name, FactRows::new(2)));
                    gathered.len() - 1
                })
            });
            relation_of.insert(raw_relation.into(), slot);
            slot
        }
    }
}

/// Why the relation cell `raw_relation` is not a relation name.
fn bad_relation_name(raw_relation: &str) -> String {
    if raw_relation.is_empty() {
        "empty relation name".to_string()
    } else if raw_relation.chars().all(|c| !c.is_ascii_alphanumeric()) {
        format!("empty relation name: `{raw_relation}` has no letters or digits")
    } else {
        format!("relation name `{raw_relation}` starts with a digit")
    }
}

/// A column of a statement table, if it has it: its index and name.
type Column<'h> = Option<(usize, &'h str)>;

/// The row's `grade` and `confidence` (`columns`): empty (or R's `NA`) is none, anything
/// else must be valid; `None` (with the diagnostics) when one is not.
fn grade_cells(
    fields: &[Field],
    body: &str,
    at: (FileId, usize),
    (grade_column, confidence_column): (Column, Column),
    errors: &mut Errors,
) -> Option<(Option<Grade>, Option<f32>)> {
    let grade_cell = checked_cell(fields, body, at, grade_column, &|c| c.parse::<Grade>().is_ok(), errors);
    let confidence_cell =
        checked_cell(fields, body, at, confidence_column, &|c| grade::parse_confidence(c).is_some(), errors);
    let (Ok(grade_cell), Ok(confidence_cell)) = (grade_cell, confidence_cell) else { return None };
    Some((grade_cell.and_then(|c| c.parse().ok()), confidence_cell.and_then(|c| grade::parse_confidence(&c))))
}

/// A `grade` or `confidence` cell of a row (`column`: its index and name), trimmed: `None`
/// when empty (or R's `NA`), `Err` (with a diagnostic at the cell, `at` being the file and
/// the offset of its text) when `parse` rejects it.
fn checked_cell(
    fields: &[Field],
    body: &str,
    at: (FileId, usize),
    column: Column,
    parse: &dyn Fn(&str) -> bool,
    errors: &mut Errors,
) -> Result<Option<String>, ()> {
    let Some((i, name)) = column else { return Ok(None) };
    let cell = fields[i].value(body);
    let cell = cell.trim_ascii();
    if cell.is_empty() || cell == "NA" {
        return Ok(None);
    }
    if !parse(cell) {
        let range = fields[i].range();
        errors.push(grade::bad_cell(cell, name, Span::new(at.0, at.1 + range.start..at.1 + range.end)));
        return Err(());
    }
    Ok(Some(cell.to_string()))
}

/// A `date` or `until` cell of a row (`column`: its index and name): `None` when empty
/// (or `NA`), `Some(None)` (with a diagnostic at the cell, `at` being the file and the
/// offset of its text) when it is not a date.
fn period_cell(
    fields: &[Field],
    body: &str,
    at: (FileId, usize),
    column: Column,
    errors: &mut Errors,
) -> Option<Option<Period>> {
    let (i, name) = column?;
    let cell = fields[i].value(body);
    let cell = cell.trim_ascii();
    // `NA` is how R's `write.csv` writes a missing value.
    if cell.is_empty() || cell == "NA" {
        return None;
    }
    let parsed = Period::parse(cell);
    if parsed.is_none() {
        let range = fields[i].range();
        errors.push(crate::facts::asof::not_a_date(cell, name, Span::new(at.0, at.1 + range.start..at.1 + range.end)));
    }
    Some(parsed)
}

/// The diagnostic of a row of `found` fields in a table `width` fields wide.
fn width_error(width: usize, found: usize, span: Span) -> Diagnostic {
    let d = Diagnostic::error(Code::BadFacts, format!("expected {width} fields, found {found}")).at(span, "this row");
    if found > width { d.with_help("a field that contains a comma must be quoted: `\"one, two\"`") } else { d }
}

/// Whether the grade filters keep a row of this grade and confidence; counts the rows
/// they drop (and of those, the ungraded ones) in `facts`.
fn kept_by_grade(filter: &RowFilter, facts: &mut Facts, grade: Option<Grade>, confidence: Option<f32>) -> bool {
    if filter.keeps(grade, confidence) {
        return true;
    }
    facts.below_grade += 1;
    if (filter.min_grade.is_some() && grade.is_none()) || (filter.min_confidence.is_some() && confidence.is_none()) {
        facts.ungraded_dropped += 1;
    }
    false
}

/// Whether a row is valid on `day` by its `date` and `until` cells (`columns`), read from
/// the fields just split; a cell that is not a date is an error and drops the row.
fn valid_on_day(
    day: crate::facts::asof::Date,
    fields: &[Field],
    body: &str,
    at: (FileId, usize),
    columns: (Column, Column),
    errors: &mut Errors,
) -> bool {
    row_interval(fields, body, at, columns, errors).is_some_and(|i| i.contains(day.day_number()))
}

/// Whether a row passes `--as-of` (when given); with [`RowFilter::with_time`], also records
/// its interval in `facts.intervals` when the row is kept (`keep`: in this process's part).
/// A `date` or `until` that is not a date drops the row.
fn passes_dates(
    (filter, keep): (&RowFilter, bool),
    facts: &mut Facts,
    fields: &[Field],
    body: &str,
    at: (FileId, usize),
    columns: (Column, Column),
    errors: &mut Errors,
) -> bool {
    if let Some(day) = filter.as_of
        && !valid_on_day(day, fields, body, at, columns, errors)
    {
        return false;
    }
    if filter.with_time {
        let Some(interval) = row_interval(fields, body, at, columns, errors) else { return false };
        if !keep {
            return true;
        }
        facts.intervals.resize(facts.origins.len(), crate::facts::asof::Interval::ALWAYS);
        facts.intervals.push(interval);
    }
    true
}

/// A row's validity interval from its `date` and `until` cells; `None` (with a diagnostic)
/// when one is not a date.
fn row_interval(
    fields: &[Field],
    body: &str,
    at: (FileId, usize),
    (date, until): (Column, Column),
    errors: &mut Errors,
) -> Option<crate::facts::asof::Interval> {
    let (from, to) = (period_cell(fields, body, at, date, errors), period_cell(fields, body, at, until, errors));
    if from.is_some_and(|p| p.is_none()) || to.is_some_and(|p| p.is_none()) {
        return None;
    }
    Some(crate::facts::asof::Interval::of_periods(from.flatten(), to.flatten()))
}

/// Records the statement table `file` and adds the rows `gathered` from it to `facts`.
fn add_statement_table(facts: &mut Facts, file: FileId, header: &StatementHeader, gathered: Vec<(String, FactRows)>) {
    facts.tables.push(TableInfo {
        file,
        kind: TableKind::Statements,
        metadata_columns: header.metadata.iter().map(|(_, n)| n.clone()).collect(),
        metadata_fields: header.metadata.iter().map(|(i, _)| *i).collect(),
    });
    for (relation, rows) in gathered {
        facts.append(relation, rows);
    }
}

/// Reads a statement table (see the module docs) from its text in `sources`.
/// With `filter.as_of`, only the rows valid on that day are loaded, and a `date` or `until`
/// that is not a date is an error; a `grade` or `confidence` cell that is neither empty nor
/// valid is always an error, and the grade filters drop rows below them. Returns the number
/// of rows loaded, or one diagnostic per bad row (the good rows are loaded all the same).
pub fn load_statement_table(
    file: FileId,
    sources: &SourceMap,
    symbols: &mut Symbols,
    facts: &mut Facts,
    filter: &RowFilter,
) -> Result<usize, Vec<Diagnostic>> {
    let text = sources.get(file).text.as_str();
    let (body, base) = strip_bom(text);
    let mut table = StatementTable::new(file, filter, facts, text.len() as u64);
    table.feed(body, base, 1, true, symbols, facts);
    table.finish(facts)
}

/// What [`stream_statement_table`] read besides the rows: the file's length and CRC-32,
/// and its invalid UTF-8 sequences (where their U+FFFD is in the text as [`decode`] gives
/// it).
#[derive(Debug, Default)]
pub struct Streamed {
    /// Bytes read.
    pub len: u64,
    /// Their CRC-32.
    pub crc: u32,
    /// The invalid UTF-8 sequences.
    pub invalid: Vec<InvalidUtf8>,
}

/// A statement table is read this many bytes at a time (more for a longer record).
const CHUNK: usize = 1 << 20;

/// [`load_statement_table`], reading the table from `reader` in chunks instead of from a
/// text in memory: only the rows are kept (each with its offset, to read back its metadata),
/// not the text. Offsets and diagnostics are those of the text [`decode`] would give.
/// `len` is the file's length, which places the byte range of `filter.part`.
pub fn stream_statement_table(
    file: FileId,
    (reader, len): (&mut dyn std::io::Read, u64),
    symbols: &mut Symbols,
    facts: &mut Facts,
    filter: &RowFilter,
) -> std::io::Result<(Streamed, Result<usize, Vec<Diagnostic>>)> {
    stream_in_chunks(file, (reader, len), (symbols, facts), filter, CHUNK)
}

/// [`stream_statement_table`], `chunk` bytes at a time.
fn stream_in_chunks(
    file: FileId,
    (reader, len): (&mut dyn std::io::Read, u64),
    (symbols, facts): (&mut Symbols, &mut Facts),
    filter: &RowFilter,
    chunk: usize,
) -> std::io::Result<(Streamed, Result<usize, Vec<Diagnostic>>)> {
    let mut table = StatementTable::new(file, filter, facts, len);
    let mut buf = vec![0u8; chunk];
    let (mut filled, mut eof) = (0, false);
    let mut streamed = Streamed::default();
    let mut crc = flate2::Crc::new();
    // Where `buf` starts in the file, and the line it starts on.
    let (mut base, mut line) = (0usize, 1u32);
    let mut first = true;
    while !table.stopped {
        while filled < buf.len() && !eof {
            let n = read_some(reader, &mut buf[filled..])?;
            crc.update(&buf[filled..filled + n]);
            (filled, eof, streamed.len) = (filled + n, n == 0, streamed.len + n as u64);
        }
        if first && filled < BOM.len() && !eof {
            // Too little to tell whether the file starts with a BOM.
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        let mut skip = 0;
        if std::mem::take(&mut first) && buf[..filled].starts_with(BOM.as_bytes()) {
            skip = BOM.len();
        }
        let resume = match std::str::from_utf8(&buf[skip..filled]) {
            Ok(body) => table.feed(body, base + skip, line, eof, symbols, facts),
            // A character cut by the end of the chunk: the record holding it waits for the
            // next one.
            Err(e) if e.error_len().is_none() && !eof => {
                let body = std::str::from_utf8(&buf[skip..skip + e.valid_up_to()]).unwrap_or_default();
                table.feed(body, base + skip, line, false, symbols, facts)
            }
            Err(_) => {
                // Invalid UTF-8 (an error): the rest is read whole and decoded as `decode`
                // decodes a whole file, so that every offset after it is the same.
                let mut rest = buf[skip..filled].to_vec();
                let before = rest.len();
                reader.read_to_end(&mut rest)?;
                crc.update(&rest[before..]);
                (streamed.len, eof) = (streamed.len + (rest.len() - before) as u64, true);
                let (text, invalid) = decode(rest);
                let at = base + skip;
                streamed
                    .invalid
                    .extend(invalid.into_iter().map(|i| InvalidUtf8 { at: at + i.at.start..at + i.at.end, ..i }));
                table.feed(&text, at, line, true, symbols, facts);
                break;
            }
        };
        let (consumed, next_line) = resume.map_or((filled - skip, line), |(c, l)| (c, l));
        let consumed = skip + consumed;
        if eof {
            break;
        }
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;
        base += consumed;
        line = next_line;
        if filled == buf.len() {
            // One record longer than the buffer.
            buf.resize(buf.len() * 2, 0);
        }
    }
    // A table whose header stopped it is checksummed to its end all the same: its text is
    // read again to show the diagnostics.
    while !eof {
        let n = read_some(reader, &mut buf)?;
        crc.update(&buf[..n]);
        (eof, streamed.len) = (n == 0, streamed.len + n as u64);
    }
    streamed.crc = crc.sum();
    Ok((streamed, table.finish(facts)))
}

/// Some bytes of `reader` into `buf`; 0 at the end.
fn read_some(reader: &mut dyn std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// The state of one statement table being read, part by part.
struct StatementTable<'f> {
    file: FileId,
    filter: &'f RowFilter,
    /// Read from the first record.
    header: Option<StatementHeader>,
    /// Its `date`, `until`, `grade`, `confidence` and `polarity` columns, if any.
    special: [Option<(usize, String)>; 5],
    table: u32,
    first_id: usize,
    /// This table's rows, gathered per relation and added to `facts` at the end. Each
    /// distinct relation cell (as written) maps to its gathered rows, or to `None` when it
    /// does not normalise to a name.
    gathered: Vec<(String, FactRows)>,
    relation_of: FxHashMap<Box<str>, Option<usize>>,
    slot_of: FxHashMap<String, usize>,
    errors: Errors,
    /// The rows kept (`filter.part`'s byte range of the file); every row is checked.
    range: Option<ByteRange>,
    /// The header could not be read: nothing more is.
    stopped: bool,
    /// Its diagnostics.
    fatal: Vec<Diagnostic>,
    fields: Vec<Field>,
}

impl<'f> StatementTable<'f> {
    fn new(file: FileId, filter: &'f RowFilter, facts: &Facts, len: u64) -> StatementTable<'f> {
        StatementTable {
            file,
            filter,
            header: None,
            special: Default::default(),
            table: facts.tables.len() as u32,
            first_id: facts.origins.len(),
            gathered: Vec::new(),
            relation_of: FxHashMap::default(),
            slot_of: FxHashMap::default(),
            errors: Errors::new(),
            range: filter.part.map(|p| p.bytes(len)),
            stopped: false,
            fatal: Vec::new(),
            fields: Vec::new(),
        }
    }

    /// Reads the records of `body`, which starts at byte `base` and line `line` of the
    /// file; unless `last`, the last one may be cut short. Returns where to resume (offset
    /// in `body`, line), or `None` when the body was read to its end.
    fn feed(
        &mut self,
        body: &str,
        base: usize,
        line: u32,
        last: bool,
        symbols: &mut Symbols,
        facts: &mut Facts,
    ) -> Option<(usize, u32)> {
        let mut records = Records::new(body, b',').from_line(line);
        let mut fields = std::mem::take(&mut self.fields);
        let resume = loop {
            let record = match records.next_complete(&mut fields, last) {
                Chunked::Record(record) => record,
                Chunked::More(at, line) => break Some((at, line)),
                Chunked::End => break None,
                Chunked::Unclosed(q) => {
                    if self.header.is_none() {
                        self.stop(vec![q.error(self.file, base)]);
                    } else {
                        self.errors.push(q.error(self.file, base));
                    }
                    break None;
                }
            };
            if self.header.is_none() {
                match statement_header(self.file, body, base, Some(&record), &fields) {
                    Ok(h) => {
                        let column = |name| h.column(name).map(|(i, n)| (i, n.to_string()));
                        self.special = ["date", "until", "grade", "confidence", "polarity"].map(column);
                        self.header = Some(h);
                    }
                    Err(d) => {
                        self.stop(d);
                        break None;
                    }
                }
                continue;
            }
            self.row(&record, &fields, body, base, symbols, facts);
        };
        if last && self.header.is_none() && !self.stopped {
            self.stop(statement_header(self.file, body, base, None, &fields).err().unwrap_or_default());
        }
        self.fields = fields;
        resume
    }

    fn stop(&mut self, diagnostics: Vec<Diagnostic>) {
        self.stopped = true;
        self.fatal = diagnostics;
    }

    /// One record after the header.
    fn row(
        &mut self,
        record: &crate::facts::csv_scan::Record,
        fields: &[Field],
        body: &str,
        base: usize,
        symbols: &mut Symbols,
        facts: &mut Facts,
    ) {
        let Some(header) = &self.header else { return };
        let (file, filter, errors) = (self.file, self.filter, &mut self.errors);
        let column = |i: usize| self.special[i].as_ref().map(|(i, n)| (*i, n.as_str()));
        let span = Span::new(file, base + record.span.start..base + record.span.end);
        let value = |i: usize| fields[i].value(body);
        if (0..fields.len()).all(|i| value(i).trim_ascii().is_empty()) {
            return;
        }
        if fields.len() != header.width {
            errors.push(width_error(header.width, fields.len(), span));
            return;
        }
        let raw_relation = value(header.relation);
        let raw_relation = raw_relation.trim_ascii();
        let slot = relation_slot(raw_relation, &mut self.gathered, &mut self.relation_of, &mut self.slot_of);
        let Some(mut slot) = slot else {
            let msg = bad_relation_name(raw_relation);
            errors.push(Diagnostic::error(Code::BadFacts, msg).at(span, "this row"));
            return;
        };
        // A `polarity` column may deny the row instead of a `not` prefix (both: affirmed).
        if let Some((p, _)) = column(4) {
            let cell = (&fields[p], file, base);
            let Some(s) = polarity_slot(slot, cell, body, (&mut self.gathered, &mut self.slot_of), errors) else {
                return;
            };
            slot = s;
        }
        let (subject, object) = (value(header.subject), value(header.object));
        let (subject, object) = (subject.trim_ascii(), object.trim_ascii());
        if subject.is_empty() || object.is_empty() {
            let which = if subject.is_empty() { "subject" } else { "object" };
            errors.push(Diagnostic::error(Code::BadFacts, format!("empty `{which}`")).at(span, "this row"));
            return;
        }
        // The row's `grade` and `confidence`: empty (or R's `NA`) is none, anything else
        // must be valid.
        let graded = (column(2), column(3));
        let Some((row_grade, row_confidence)) = grade_cells(fields, body, (file, base), graded, errors) else {
            return;
        };
        if !kept_by_grade(filter, facts, row_grade, row_confidence) {
            return;
        }
        let dated = (column(0), column(1));
        let keep = part::keeps(self.range, span.range().start);
        if !passes_dates((filter, keep), facts, fields, body, (file, base), dated, errors) || !keep {
            return;
        }
        let id = facts.origins.len() as u32;
        facts.origins.push(FactOrigin { table: self.table, line: record.line, offset: span.start });
        if row_grade.is_some() || row_confidence.is_some() {
            facts.grades.resize(id as usize, (None, None));
            facts.grades.push((row_grade, row_confidence));
        }
        self.gathered[slot].1.push(&[symbols.intern(subject), symbols.intern(object)], id);
    }

    /// Adds the table's rows to `facts`: how many, or the diagnostics.
    fn finish(self, facts: &mut Facts) -> Result<usize, Vec<Diagnostic>> {
        if self.stopped {
            return Err(self.fatal);
        }
        if let Some(header) = &self.header {
            add_statement_table(facts, self.file, header, self.gathered);
        }
        let count = facts.origins.len() - self.first_id;
        self.errors.result(count)
    }
}

/// Converts the fields of one row by the declared column types.
struct RowConverter<'a> {
    relation: &'a str,
    types: &'a [Type],
}

impl RowConverter<'_> {
    /// `field_spans[i]` is where field `i` is in the file, when known (else the row span).
    /// Unless `keep` (a row of another process's part, only checked), symbol cells are not
    /// interned and are 0 (a record cell still is read and interned: the dd engine, the one
    /// that reads parts, refuses record types).
    fn convert<'f>(
        &self,
        fields: impl Iterator<Item = (&'f str, Span)>,
        symbols: &mut Symbols,
        keep: bool,
    ) -> Result<Vec<Value>, Box<Diagnostic>> {
        let mut tuple = Vec::with_capacity(self.types.len());
        for (i, ((field, span), &ty)) in fields.zip(self.types).enumerate() {
            let v = match ty {
                Type::Symbol if !keep => 0,
                Type::Symbol => symbols.intern(field),
                Type::Number => {
                    parse_number(field).map(from_number).map_err(|e| self.bad_field(field, span, i, ty, e))?
                }
                Type::Unsigned => {
                    parse_unsigned(field).map(from_unsigned).map_err(|e| self.bad_field(field, span, i, ty, e))?
                }
                Type::Float => parse_float(field)
                    .map(from_float)
                    .ok_or_else(|| self.bad_field(field, span, i, ty, NumberError::NotANumber))?,
                Type::Record(t) => self.record(field, span, i, t, symbols)?,
            };
            tuple.push(v);
        }
        Ok(tuple)
    }

    /// Field `i`, of record type `t` (see [`crate::facts::record_text`]).
    fn record(
        &self,
        field: &str,
        span: Span,
        i: usize,
        t: u16,
        symbols: &mut Symbols,
    ) -> Result<Value, Box<Diagnostic>> {
        let number = |s: &str| parse_number(s).ok();
        crate::facts::record_text::read(field, t, symbols, &number).map_err(|why| {
            let name = symbols.records.ty(t).name.clone();
            Box::new(
                Diagnostic::error(
                    Code::BadFacts,
                    format!("`{field}` is not a `{name}` record (column {} of `{}`): {why}", i + 1, self.relation),
                )
                .at(span, "not a record of this type"),
            )
        })
    }

    /// Field `i` is not a number of its column's type.
    fn bad_field(&self, field: &str, span: Span, i: usize, ty: Type, error: NumberError) -> Box<Diagnostic> {
        let (name, column) = (ty.name(), i + 1);
        let relation = self.relation;
        let d = match error {
            NumberError::NotANumber => Diagnostic::error(
                Code::BadFacts,
                format!(
                    "`{field}` is not a{} {name} (column {column} of `{relation}`, declared `{name}`)",
                    article(ty)
                ),
            )
            .at(span, format!("not a{} {name}", article(ty))),
            NumberError::OutOfRange => Diagnostic::error(
                Code::BadFacts,
                format!("{name} out of range: `{field}` (column {column} of `{relation}`, declared `{name}`)"),
            )
            .at(span, "does not fit in 32 bits")
            .with_note(match ty {
                Type::Unsigned => "an `unsigned` is a 32-bit unsigned integer, from 0 to 4294967295",
                _ => "a `number` is a signed 32-bit integer, from -2147483648 to 2147483647",
            }),
        };
        Box::new(d)
    }
}

/// `a` or `an` before a type's name (`an unsigned`).
fn article(ty: Type) -> &'static str {
    if ty == Type::Unsigned { "n" } else { "" }
}

/// The relation a table is read into: its name, attribute names and column types.
#[derive(Debug, Clone, Copy)]
pub struct Schema<'a> {
    /// The relation's name.
    pub relation: &'a str,
    /// Its attribute names.
    pub columns: &'a [String],
    /// Its column types.
    pub types: &'a [Type],
}

/// Where each declared column of a relation is among a row's fields.
struct Binding {
    /// The field index of each declared column.
    fields: Vec<usize>,
    /// Fields per row.
    width: usize,
    /// The header named every column (else columns bind by position).
    by_name: bool,
}

impl Binding {
    fn by_position(arity: usize) -> Binding {
        Binding { fields: (0..arity).collect(), width: arity, by_name: false }
    }

    /// Binds by name when the header names every declared column (extra header columns are
    /// ignored), else by position, when the header has as many columns as the relation.
    fn from_header(header: &[Cow<str>], schema: &Schema, span: Span) -> Result<Binding, Box<Diagnostic>> {
        let arity = schema.types.len();
        let names: Vec<&str> = header.iter().map(|h| h.trim_ascii()).collect();
        let positions: Vec<Vec<usize>> = schema
            .columns
            .iter()
            .map(|c| names.iter().enumerate().filter(|(_, n)| *n == c).map(|(i, _)| i).collect())
            .collect();
        if arity > 0 && positions.iter().all(|p| !p.is_empty()) {
            if let Some((column, _)) = schema.columns.iter().zip(&positions).find(|(_, p)| p.len() > 1) {
                return Err(Box::new(
                    Diagnostic::error(Code::HeaderMismatch, format!("the header names column `{column}` twice"))
                        .at(span, "this header")
                        .with_help("columns bind by name when the header names each attribute of the `.decl` once"),
                ));
            }
            return Ok(Binding {
                fields: positions.iter().map(|p| p[0]).collect(),
                width: header.len(),
                by_name: true,
            });
        }
        let found = header.len();
        if found != arity {
            let relation = schema.relation;
            let declared: Vec<&str> = schema.columns.iter().map(String::as_str).collect();
            return Err(Box::new(
                Diagnostic::error(
                    Code::HeaderMismatch,
                    format!("the header has {found} column{}, but `{relation}` is declared with {arity}", plural(found)),
                )
                .at(span, "this header")
                .with_help(format!(
                    "name the columns {} in the header to bind them by name, make the header match the `.decl`, or read the file with `headers=false`",
                    join_columns(&declared)
                )),
            ));
        }
        Ok(Binding::by_position(arity))
    }
}

/// Reads a relation table for `schema` (see the module docs). `file` must already be in
/// `sources`. Returns the number of rows loaded, or one diagnostic per bad row (the good
/// rows are loaded all the same).
///
/// Without `rfc4180`, lines are split on the delimiter byte and fields taken verbatim.
/// Empty lines at the end of the file are ignored; an empty line elsewhere is a row with one
/// empty field (the empty symbol for an arity-1 relation, the nullary fact for arity 0, a
/// field-count error otherwise), as in Soufflé. With `rfc4180`, records are split by
/// [`crate::facts::csv_scan`] and blank lines are skipped.
pub fn load_relation_table(
    file: FileId,
    sources: &SourceMap,
    schema: &Schema,
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
    let table = facts.tables.len() as u32;
    facts.tables.push(TableInfo::relation(file));
    let mut reader = TableReader {
        schema,
        table,
        binding: Some(Binding::by_position(schema.types.len())),
        header: options.headers,
        errors: Errors::new(),
        count: 0,
        range: options.part.map(|p| p.bytes(text.len() as u64)),
    };
    let span_of = |r: Range<usize>| Span::new(file, base + r.start..base + r.end);
    // One row's field values with their spans; reused from row to row.
    let mut row: Vec<(Cow<str>, Span)> = Vec::new();

    if options.rfc4180 {
        let mut records = Records::new(body, options.delimiter).with_comment(options.comment);
        let mut fields = Vec::new();
        loop {
            let record = match records.next_record(&mut fields) {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(q) => {
                    reader.errors.push(q.error(file, base));
                    break;
                }
            };
            row.clear();
            row.extend(fields.iter().map(|f| (f.value(body), span_of(f.range()))));
            reader.row(&row, span_of(record.span), record.line, symbols, facts);
        }
    } else {
        let delim = options.delimiter as char;
        // Empty lines seen since the last non-empty one: (line number, offset). They count
        // as rows only if a non-empty line follows.
        let mut pending_empty: Vec<(u32, usize)> = Vec::new();
        let mut offset = 0usize;
        let mut line_no = 0u32;
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
            if options.comment.is_some_and(|c| content.as_bytes().first() == Some(&c)) {
                continue;
            }
            if content.is_empty() && !reader.header {
                pending_empty.push((line_no, start));
                continue;
            }
            for (l, s) in pending_empty.drain(..) {
                row.clear();
                row.push((Cow::Borrowed(""), span_of(s..s)));
                reader.row(&row, span_of(s..s), l, symbols, facts);
            }
            row.clear();
            let mut pos = start;
            for f in content.split(delim) {
                row.push((Cow::Borrowed(f), span_of(pos..pos + f.len())));
                pos += f.len() + 1;
            }
            reader.row(&row, span_of(start..start + content.len()), line_no, symbols, facts);
        }
    }
    reader.errors.result(reader.count)
}

/// The state of one relation table being read.
struct TableReader<'a> {
    schema: &'a Schema<'a>,
    table: u32,
    /// `None` after a header that fits the relation in no way: the rows are not read (each
    /// would repeat the header's error).
    binding: Option<Binding>,
    /// The next record is the header.
    header: bool,
    errors: Errors,
    count: usize,
    /// The rows kept (`options.part`'s byte range of the file); every row is checked.
    range: Option<ByteRange>,
}

impl TableReader<'_> {
    /// One record: the header, or a row to convert and load.
    fn row(&mut self, fields: &[(Cow<str>, Span)], span: Span, line: u32, symbols: &mut Symbols, facts: &mut Facts) {
        if std::mem::take(&mut self.header) {
            let names: Vec<Cow<str>> = fields.iter().map(|(f, _)| f.clone()).collect();
            self.binding = Binding::from_header(&names, self.schema, span).map_err(|d| self.errors.push(*d)).ok();
            return;
        }
        let Some(binding) = &self.binding else { return };
        let arity = self.schema.types.len();
        let found = if arity == 0 && fields.len() == 1 && fields[0].0.is_empty() { 0 } else { fields.len() };
        if found != binding.width {
            let mut d = Diagnostic::error(Code::BadFacts, format!("expected {} fields, found {found}", binding.width))
                .at(span, "this row");
            if binding.by_name {
                d = d.with_note("columns are bound by name: every row has as many fields as the header");
            }
            self.errors.push(d);
            return;
        }
        let conv = RowConverter { relation: self.schema.relation, types: self.schema.types };
        let bound = binding.fields.iter().map(|&i| (fields[i].0.as_ref(), fields[i].1));
        let keep = part::keeps(self.range, span.range().start);
        match conv.convert(bound, symbols, keep) {
            Err(d) => self.errors.push(*d),
            Ok(_) if !keep => {}
            Ok(tuple) => {
                // The offset lets a changed table be reloaded by its changed rows (`facts::reload`).
                facts.push(self.schema.relation, &tuple, FactOrigin { table: self.table, line, offset: span.start });
                self.count += 1;
            }
        }
    }
}

use crate::base::diag::plural;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::value::to_number;

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
            load_statement_table(f, &self.sources, &mut self.symbols, &mut self.facts, &RowFilter::default())
        }

        fn relation(
            &mut self,
            text: &str,
            rel: &str,
            types: &[Type],
            options: TableOptions,
        ) -> Result<usize, Vec<Diagnostic>> {
            let columns: Vec<String> = (1..=types.len()).map(|i| format!("c{i}")).collect();
            self.relation_named(text, rel, &columns, types, options)
        }

        fn relation_named(
            &mut self,
            text: &str,
            rel: &str,
            columns: &[String],
            types: &[Type],
            options: TableOptions,
        ) -> Result<usize, Vec<Diagnostic>> {
            let f = self.sources.add(format!("{rel}.facts"), text);
            let schema = Schema { relation: rel, columns, types };
            load_relation_table(f, &self.sources, &schema, &options, &mut self.symbols, &mut self.facts)
        }

        /// The rows of a relation as strings (symbols resolved, numbers printed), with lines.
        fn rows(&self, rel: &str, types: &[Type]) -> Vec<(Vec<String>, u32)> {
            self.facts
                .rows(rel)
                .iter()
                .map(|(t, id)| {
                    let vals = t
                        .iter()
                        .zip(types)
                        .map(|(&v, &ty)| crate::base::value::display(v, ty, &self.symbols))
                        .collect();
                    (vals, self.facts.origin(id).line)
                })
                .collect()
        }

        fn sym_rows(&self, rel: &str) -> Vec<(Vec<String>, u32)> {
            self.rows(rel, &[Type::Symbol, Type::Symbol])
        }

        /// `file:line:col: message` of each diagnostic.
        fn render(&self, ds: &[Diagnostic]) -> Vec<String> {
            ds.iter().map(|d| crate::base::diag::render_short(d, &self.sources)).collect()
        }
    }

    fn row(vals: &[&str], line: u32) -> (Vec<String>, u32) {
        (vals.iter().map(|s| s.to_string()).collect(), line)
    }

    /// What loading `bytes` as a statement table gives: the tables, origins, rows and
    /// diagnostics (invalid UTF-8 first), from the decoded text or streamed `chunk` bytes at
    /// a time.
    type Loaded = (Vec<TableInfo>, Vec<FactOrigin>, BTreeMap<String, FactRows>, Vec<Diagnostic>);

    fn loaded(facts: Facts, mut diags: Vec<Diagnostic>, rows: Result<usize, Vec<Diagnostic>>) -> Loaded {
        diags.extend(rows.err().unwrap_or_default());
        (facts.tables, facts.origins, facts.relations, diags)
    }

    fn load_text(bytes: &[u8], filter: &RowFilter) -> Loaded {
        let (mut sources, mut symbols, mut facts) = (SourceMap::new(), Symbols::new(), Facts::new());
        let (text, invalid) = decode(bytes.to_vec());
        let file = sources.add("s.csv", text);
        let rows = load_statement_table(file, &sources, &mut symbols, &mut facts, filter);
        loaded(facts, invalid_utf8_errors(file, &invalid), rows)
    }

    fn load_streamed(bytes: &[u8], filter: &RowFilter, chunk: usize) -> Loaded {
        let (mut symbols, mut facts) = (Symbols::new(), Facts::new());
        let (streamed, rows) = stream_in_chunks(
            FileId(0),
            (&mut &bytes[..], bytes.len() as u64),
            (&mut symbols, &mut facts),
            filter,
            chunk,
        )
        .unwrap();
        assert_eq!(streamed.len, bytes.len() as u64);
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        assert_eq!(streamed.crc, crc.sum());
        // As `session` does: a table with diagnostics is read whole to show them, and its
        // invalid UTF-8 found in the whole (a bad header stops the stream before the end).
        let invalid = match (&rows, streamed.invalid.is_empty()) {
            (Ok(_), true) => Vec::new(),
            _ => decode(bytes.to_vec()).1,
        };
        loaded(facts, invalid_utf8_errors(FileId(0), &invalid), rows)
    }

    #[test]
    fn streamed_in_chunks_as_from_text() {
        let text = "\u{feff}subject,relation,object,date,quote\r\nA,backs,B,2016,\"one\nline, \"\"two\"\"\"\r\n\n\
                    C,backs,D,2017,é€\nE,,F,x,q\n\"open,backs";
        let filter = RowFilter { as_of: "2016-06-01".parse().ok(), ..RowFilter::default() };
        let whole = load_text(text.as_bytes(), &filter);
        assert_eq!(whole.1.len(), 1);
        assert_eq!(whole.3.len(), 2);
        for chunk in 1..=text.len() + 1 {
            assert_eq!(load_streamed(text.as_bytes(), &filter, chunk), whole, "chunk {chunk}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("STREAM_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300)
        ))]
        /// Any text (quotes, line ends, multi-byte characters, invalid UTF-8, a header of
        /// any shape), streamed in chunks of any size, loads as its decoded text does.
        #[test]
        fn streaming_loads_as_the_text_does(
            header in proptest::sample::select(vec!["subject,relation,object,quote\n", "\u{feff}Relation,object,subject\r\n", "subject,relation\n", ""]),
            body in proptest::collection::vec(proptest::sample::select(vec![
                &b"a"[..], b"b", b"backs", b",", b"\"", b"\n", b"\r", b" ", "é".as_bytes(), "€".as_bytes(), b"\xff", b"\xe2\x82",
            ]), 0..60),
            chunk in 1usize..24,
        ) {
            let mut bytes = header.as_bytes().to_vec();
            bytes.extend(body.concat());
            proptest::prop_assert_eq!(load_streamed(&bytes, &RowFilter::default(), chunk), load_text(&bytes, &RowFilter::default()));
        }
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
        // The good row is loaded all the same, so `backs` stays a known relation.
        assert_eq!(env.sym_rows("backs"), vec![row(&["A", "B"], 2)]);
        assert_eq!(env.facts.tables.len(), 1);
    }

    /// One row with an unquoted comma is one error; the rows after it still load, and their
    /// relations stay known (a bad row used to drop the table, and each rule over one of its
    /// relations then failed with "unknown relation").
    #[test]
    fn one_bad_row_is_one_error() {
        let mut env = Env::new();
        let text = "subject,relation,object,quote
                    Egypt,backs,Tobruk,fine
                    Haftar,opposes,GNA,he said no, twice
                    Qatar,funds,GNA,\"quoted, fine\"
";
        let errs = env.statements("s.csv", text).unwrap_err();
        assert_eq!(env.render(&errs), vec!["s.csv:3:1: error[E021]: expected 4 fields, found 5"]);
        assert_eq!(errs[0].help.as_deref(), Some("a field that contains a comma must be quoted: `\"one, two\"`"));
        assert_eq!(env.sym_rows("backs"), vec![row(&["Egypt", "Tobruk"], 2)]);
        assert_eq!(env.sym_rows("funds"), vec![row(&["Qatar", "GNA"], 4)]);
        assert_eq!(env.facts.relations.keys().collect::<Vec<_>>(), vec!["backs", "funds"]);
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
        std::fs::write(dir.join("c.csv"), "x,y\n1,2\n").unwrap();
        std::fs::write(dir.join("d.csv"), "").unwrap();
        std::fs::write(dir.join("g.csv"), "\"sub\nject\",relation,object\nA,b,C\n").unwrap();
        std::fs::write(dir.join("h.csv"), "\"subject\nrelation,object\n").unwrap();
        std::fs::write(dir.join("e.facts"), "subject,relation,object\n").unwrap();
        std::fs::create_dir_all(dir.join("f.csv")).unwrap();
        let found = find_csv_files(&dir).unwrap();
        let name = |p: &PathBuf| p.file_name().unwrap().to_str().unwrap().to_string();
        let names: Vec<_> = found.statements.iter().map(name).collect();
        let others: Vec<_> = found.others.iter().map(|(p, header)| (name(p), header.as_str())).collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(names, vec!["a.CSV", "b.csv"]);
        // Not statement tables: with their header record (an empty file is not listed).
        let header = |n: &str, h: &'static str| (n.to_string(), h);
        assert_eq!(
            others,
            vec![
                header("c.csv", "x,y"),
                header("g.csv", "\"sub\nject\",relation,object"),
                header("h.csv", "\"subject")
            ]
        );
        assert!(find_csv_files(Path::new("/nonexistent/stance/dir")).is_err());
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
        // The good row is loaded all the same.
        assert_eq!(env.rows("edge", &types), vec![row(&["a", "1"], 1)]);
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
        let options = TableOptions { delimiter: b',', headers: true, rfc4180: false, comment: None, part: None };
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
        let options = TableOptions { delimiter: b',', headers: true, rfc4180: true, comment: None, part: None };
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
            vec!["q.facts:2:5: error[E021]: `zz` is not a number (column 2 of `q`, declared `number`)"]
        );
    }

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    const SYM_NUM: [Type; 2] = [Type::Symbol, Type::Number];

    fn csv_options() -> TableOptions {
        TableOptions { delimiter: b',', headers: true, rfc4180: true, comment: None, part: None }
    }

    /// R's `write.csv(df)`: every string and the header quoted, a row-name column first.
    #[test]
    fn binds_r_write_csv_by_name() {
        let mut env = Env::new();
        let text = "\"\",\"country\",\"troops\",\"note\"\n\"1\",\"USA\",3,\"said \"\"no\"\"\"\n\"2\",\"Libya, east\",5,\"two\nlines\"\n";
        let columns = names(&["country", "troops"]);
        assert_eq!(env.relation_named(text, "r", &columns, &SYM_NUM, csv_options()), Ok(2));
        assert_eq!(env.rows("r", &SYM_NUM), vec![row(&["USA", "3"], 2), row(&["Libya, east", "5"], 3)]);
    }

    /// pandas' `to_csv()`: an unnamed index column, quotes only where needed.
    #[test]
    fn binds_pandas_to_csv_by_name_in_any_order() {
        let mut env = Env::new();
        let text = ",troops,country\n0,3,USA\n1,5,\"Libya, east\"\n";
        let columns = names(&["country", "troops"]);
        assert_eq!(env.relation_named(text, "r", &columns, &SYM_NUM, csv_options()), Ok(2));
        assert_eq!(env.rows("r", &SYM_NUM), vec![row(&["USA", "3"], 2), row(&["Libya, east", "5"], 3)]);
        // A row with fewer fields than the header.
        let errs = env.relation_named(",troops,country\n0,3\n", "s", &columns, &SYM_NUM, csv_options()).unwrap_err();
        assert_eq!(env.render(&errs), vec!["s.facts:2:1: error[E021]: expected 3 fields, found 2"]);
        assert_eq!(errs[0].notes, vec!["columns are bound by name: every row has as many fields as the header"]);
    }

    #[test]
    fn binds_by_position_unless_every_name_is_there() {
        let mut env = Env::new();
        let columns = names(&["country", "troops"]);
        // One name missing: by position, as Soufflé does.
        assert_eq!(env.relation_named("country,n\nUSA,3\n", "r", &columns, &SYM_NUM, csv_options()), Ok(1));
        assert_eq!(env.rows("r", &SYM_NUM), vec![row(&["USA", "3"], 2)]);
        // By position, the header must have the relation's width.
        let errs = env.relation_named("country,n,x\nUSA,3,y\n", "s", &columns, &SYM_NUM, csv_options()).unwrap_err();
        assert_eq!(
            env.render(&errs),
            vec!["s.facts:1:1: error[E023]: the header has 3 columns, but `s` is declared with 2"]
        );
        // A name twice is ambiguous.
        let errs = env
            .relation_named("country,troops,country\nUSA,3,UK\n", "t", &columns, &SYM_NUM, csv_options())
            .unwrap_err();
        assert_eq!(env.render(&errs), vec!["t.facts:1:1: error[E023]: the header names column `country` twice"]);
        // Tab-separated and verbatim, by name too.
        let tsv = TableOptions { headers: true, ..TableOptions::default() };
        assert_eq!(env.relation_named("troops\tcountry\n3\t\"USA\"\n", "u", &columns, &SYM_NUM, tsv), Ok(1));
        assert_eq!(env.rows("u", &SYM_NUM), vec![row(&["\"USA\"", "3"], 2)]);
    }

    #[test]
    fn comment_lines_are_skipped_when_asked() {
        let mut env = Env::new();
        let options = TableOptions { comment: Some(b'#'), ..csv_options() };
        let text = "# exported 2016\ncountry,troops\n#USA,1\nUK,2\n\"#hash\",3\n";
        let columns = names(&["country", "troops"]);
        assert_eq!(env.relation_named(text, "r", &columns, &SYM_NUM, options), Ok(2));
        assert_eq!(env.rows("r", &SYM_NUM), vec![row(&["UK", "2"], 4), row(&["#hash", "3"], 5)]);
        let tsv = TableOptions { comment: Some(b'#'), ..TableOptions::default() };
        assert_eq!(env.relation("# c\na\tb\n#d\te\n", "s", &SYM2, tsv), Ok(1));
        assert_eq!(env.sym_rows("s"), vec![row(&["a", "b"], 2)]);
        // Without the option, `#` is data.
        assert_eq!(env.relation("#d\te\n", "t", &SYM2, TableOptions::default()), Ok(1));
    }

    #[test]
    fn input_options_follow_the_file() {
        let params = |ps: &[(&str, &str)]| -> BTreeMap<String, String> {
            ps.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let none = params(&[]);
        let comma = TableOptions { delimiter: b',', rfc4180: true, ..TableOptions::default() };
        // Soufflé's defaults for `.facts` (and any other name).
        assert_eq!(TableOptions::for_input(&none, Path::new("r.facts"), "a,b\n", false), TableOptions::default());
        // A `.csv` is comma-separated, quoted, unless its first line has a tab.
        assert_eq!(TableOptions::for_input(&none, Path::new("x/R.CSV"), "a,b\n", false), comma);
        assert_eq!(TableOptions::for_input(&none, Path::new("r.csv"), "a\tb\nc,d", false), TableOptions::default());
        assert_eq!(
            TableOptions::for_input(&none, Path::new("r.csv"), "a,b\n", true),
            TableOptions { headers: true, ..comma }
        );
        // A comma delimiter anywhere means RFC 4180, unless turned off.
        assert_eq!(TableOptions::for_input(&params(&[("delimiter", ",")]), Path::new("r.facts"), "", false), comma);
        assert_eq!(
            TableOptions::for_input(
                &params(&[("delimiter", ","), ("rfc4180", "false")]),
                Path::new("r.facts"),
                "",
                false
            ),
            TableOptions { rfc4180: false, ..comma }
        );
        assert_eq!(
            TableOptions::for_input(&params(&[("delimiter", "\\t"), ("comment", "#")]), Path::new("r.csv"), "", false),
            TableOptions { comment: Some(b'#'), ..TableOptions::default() }
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let (text, invalid) = decode(b"subject,relation,object\nA\xff,backs,B\nA\xfe,backs,B\n".to_vec());
        assert_eq!(text, "subject,relation,object\nA\u{FFFD},backs,B\nA\u{FFFD},backs,B\n");
        let mut env = Env::new();
        let file = env.sources.add("s.csv", text);
        let errs = invalid_utf8_errors(file, &invalid);
        assert_eq!(
            env.render(&errs),
            vec![
                "s.csv:2:2: error[E021]: invalid UTF-8: byte 0xff",
                "s.csv:3:2: error[E021]: invalid UTF-8: byte 0xfe"
            ]
        );
        assert_eq!(decode(b"ok\xc3\xa9".to_vec()), ("oké".to_string(), Vec::new()));
    }

    #[test]
    fn as_of_reads_dates_from_the_split_fields() {
        let mut env = Env::new();
        // A `"` inside an unquoted field is data; a quoted field may hold commas and newlines.
        let text = "subject,relation,object,quote,date\n\
                    A,backs,B,a 5\" gun,2020-01-01\n\
                    C,backs,D,\"x, \"\"y\"\"\nz\",2015\n\
                    E,funds,F,plain,2020-03\n";
        let f = env.sources.add("s.csv", text);
        let day = crate::facts::asof::Date { year: 2016, month: 1, day: 1 };
        let n = load_statement_table(f, &env.sources, &mut env.symbols, &mut env.facts, &RowFilter::as_of(Some(day)));
        assert_eq!(n, Ok(1));
        assert_eq!(env.sym_rows("backs"), vec![row(&["C", "D"], 3)]);
        // Every statement of `funds` expired: the relation is empty, not unknown.
        assert!(env.facts.relations.get("funds").is_some_and(FactRows::is_empty));
        let f = env.sources.add("t.csv", "subject,relation,object,date\nA,backs,B,\"20x6\"\n");
        let errs =
            load_statement_table(f, &env.sources, &mut env.symbols, &mut env.facts, &RowFilter::as_of(Some(day)))
                .unwrap_err();
        assert_eq!(env.render(&errs), vec!["t.csv:2:12: error[E040]: `20x6` in column `date` is not a date"]);
    }

    #[test]
    fn grades_and_confidences_load_with_the_row_and_filter_it() {
        let mut env = Env::new();
        let text = "subject,relation,object,Grade,confidence\n\
                    A,backs,B,b2,0.8\n\
                    C,backs,D,,NA\n\
                    E,backs,F,C1,\n\
                    G,backs,H,X9,2\n";
        let f = env.sources.add("s.csv", text);
        let errs =
            load_statement_table(f, &env.sources, &mut env.symbols, &mut env.facts, &RowFilter::default()).unwrap_err();
        assert_eq!(
            env.render(&errs),
            vec![
                "s.csv:5:11: error[E042]: `X9` in column `Grade` is not a grade",
                "s.csv:5:14: error[E042]: `2` in column `confidence` is not a confidence",
            ]
        );
        // The bad row is not loaded; the others keep their grade and confidence.
        assert_eq!(env.sym_rows("backs").len(), 3);
        let graded: Vec<(Option<String>, Option<f32>)> =
            (0..3).map(|id| (env.facts.grade(id).map(|g| g.to_string()), env.facts.confidence(id))).collect();
        assert_eq!(graded, vec![(Some("B2".into()), Some(0.8)), (None, None), (Some("C1".into()), None)]);

        let mut env = Env::new();
        let f = env.sources.add("s.csv", text.rsplit_once("G,").unwrap().0);
        let filter = RowFilter { min_grade: Some("B3".parse().unwrap()), ..RowFilter::default() };
        assert_eq!(load_statement_table(f, &env.sources, &mut env.symbols, &mut env.facts, &filter), Ok(1));
        assert_eq!(env.sym_rows("backs"), vec![row(&["A", "B"], 2)]);
    }

    #[test]
    fn unread_table_names_the_expected_columns() {
        let mut env = Env::new();
        let f = env.sources.add("facts/s.csv", "subjet,relation,objet,quote");
        let d = unread_table(f, &env.sources);
        assert_eq!(
            env.render(std::slice::from_ref(&d)),
            vec![
                "facts/s.csv:1:1: warning[W007]: `facts/s.csv` is not read: it is not a statement table, and no `.input` reads it"
            ]
        );
        assert_eq!(d.primary.unwrap().message, "no `subject` and `object` columns");
        assert_eq!(d.help.as_deref(), Some("did you mean to rename `subjet` → `subject`, `objet` → `object`?"));
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
        assert_eq!(env.facts.tables[0].metadata_columns, vec!["source", "date", "grade", "quote"]);
        for (_, id) in env.facts.rows("backs").iter() {
            assert!(!env.facts.metadata_value(id, "quote", &env.sources).unwrap().is_empty());
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("facts");
        assert!(find_csv_files(&dir).unwrap().statements.iter().any(|p| p.ends_with("statements.csv")));
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
        // A failing load leaves earlier facts alone, and adds its good rows after them.
        assert!(env.statements("b.csv", "subject,relation,object\nE,backs,F\nG,backs\n").is_err());
        assert_eq!(env.facts.rows("backs").len(), 3);
        assert_eq!(env.facts.location(2, &env.sources), "b.csv:2");
        assert_eq!(env.facts.tables.len(), 3);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// A table written by the `csv` crate (quoting as pandas does: only where needed),
        /// with an index column first and its columns in any order, loads by name to the rows
        /// that were written.
        #[test]
        fn by_name_reads_back_what_a_csv_writer_wrote(
            rows in prop::collection::vec(("[a-c ,\"\n#é]{0,6}", "[a-c ,\"\n]{0,6}"), 0..6),
            swap in any::<bool>(),
            crlf in any::<bool>(),
        ) {
            let mut w = csv::WriterBuilder::new()
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            let order = if swap { ["", "b", "a"] } else { ["", "a", "b"] };
            w.write_record(order).unwrap();
            for (i, (a, b)) in rows.iter().enumerate() {
                let (x, y) = if swap { (b, a) } else { (a, b) };
                w.write_record([i.to_string().as_str(), x, y]).unwrap();
            }
            let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
            let mut sources = SourceMap::new();
            let file = sources.add("t.csv", text);
            let (mut symbols, mut facts) = (Symbols::new(), Facts::new());
            let columns = ["a".to_string(), "b".to_string()];
            let types = [Type::Symbol, Type::Symbol];
            let schema = Schema { relation: "t", columns: &columns, types: &types };
            let options = TableOptions { delimiter: b',', headers: true, rfc4180: true, comment: None, part: None };
            let n = load_relation_table(file, &sources, &schema, &options, &mut symbols, &mut facts);
            prop_assert_eq!(n, Ok(rows.len()));
            let read: Vec<(String, String)> = facts
                .rows("t")
                .iter()
                .map(|(t, _)| (symbols.resolve(t[0]).to_string(), symbols.resolve(t[1]).to_string()))
                .collect();
            prop_assert_eq!(read, rows);
        }
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
        let n = load_statement_table(a, &sources, &mut symbols, &mut facts, &RowFilter::default()).unwrap();
        eprintln!("statements: {n} rows in {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let types = [Type::Symbol, Type::Number];
        let columns = ["name".to_string(), "n".to_string()];
        let schema = Schema { relation: "r", columns: &columns, types: &types };
        let n = load_relation_table(b, &sources, &schema, &TableOptions::default(), &mut symbols, &mut facts).unwrap();
        eprintln!("relation: {n} rows in {:?}", t.elapsed());
    }

    #[test]
    fn gunzip_refuses_more_than_its_limit() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b'0'; 4 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        assert!(is_gzip(&bomb) && bomb.len() < 64 << 10);
        assert_eq!(gunzip(&bomb, 4 << 20).map(|v| v.len()), Ok(4 << 20));
        let err = gunzip(&bomb, 1 << 20).unwrap_err();
        assert_eq!(err, "decompresses to more than 1 MiB, the limit for a compressed table");
    }
}
