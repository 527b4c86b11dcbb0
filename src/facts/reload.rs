//! A relation table loaded again after a change, by reading only the rows that changed.
//!
//! `stance watch` and the language server load a project again after every edit; a
//! million-row `.input` table changed in one row should not be split and converted again
//! row by row. [`KeptTable`] keeps what the last load of one table gave (its text, and each
//! row's values, line and byte offset); [`KeptTable::reload`] compares the new text with the
//! kept one and works on the changed rows alone:
//!
//! 1. The changed bytes lie between the texts' common prefix and common suffix.
//! 2. The split restarts at the last row that starts before the first changed byte. Every
//!    byte before that row is unchanged, so the splitter ([`Records`], or the line split of a
//!    table read without quoting) is at a record start there in both texts.
//! 3. The new text is split from there until a record starts in the common suffix exactly
//!    where (shifted by the change in length) a kept row started: from there on both texts
//!    split into the same records, so the rows after it are the kept ones, their offsets
//!    moved by the change in length and their lines by the change in line count. A quote the
//!    edit opened or closed puts the splitter out of step with the kept rows (a quoted field
//!    may hold newlines), so it meets no kept row start and reads on, to the end of the text
//!    at worst: the answer is the same as a full reload's, only slower.
//! 4. The rows in between are converted by [`load_relation_table`] itself, on a text made of
//!    the table's unchanged beginning (its header) and the changed records.
//!
//! Where the kept state cannot say what a full load would give, the reload declines and the
//! caller loads the table in full: a change before the first row (the header, a byte order
//! mark), a changed row with an error (the full load reports it), in a table read without
//! quoting, an empty line anywhere (whether it is a row depends on what follows it), and one
//! process's part of a table (`facts::part`).
//!
//! Statement tables are reloaded by rows too ([`crate::facts::restate`], with
//! [`changed_region`] from here): their symbol table is kept between loads and only grows,
//! so their rows' ids stay valid. A table with string columns keeps its rows' symbol ids
//! too: they are ids of that same kept table, which the caller (the session stage's load
//! cache) grows with each load's strings and tags with a lineage; a kept table is used only
//! by a load whose symbol table grew from the same lineage ([`KeptTable::lineage`]), and the
//! changed rows' strings are interned into the load's table, which is kept in turn.

use crate::base::common;
use crate::base::source::{FileId, SourceMap};
use crate::base::value::{Symbols, Tuples, Type};
use crate::facts::csv_scan::Records;
use crate::facts::load::{
    FactOrigin, FactRows, Facts, Schema, TableInfo, TableOptions, load_relation_table, reload_room,
};

/// One relation table as last loaded (only tables of numbers: see the module docs).
#[derive(Debug, Clone)]
pub struct KeptTable {
    relation: String,
    columns: Vec<String>,
    types: Vec<Type>,
    options: TableOptions,
    /// The table's text.
    text: String,
    /// Each row's byte offset in `text` (where its record starts), ascending.
    starts: Vec<u32>,
    /// Each row's 1-based line.
    lines: Vec<u32>,
    /// Each row's values.
    tuples: Tuples,
    /// Read without quoting, the text has an empty line (see [`has_empty_line`]).
    empty_lines: bool,
    /// For a table with string columns, the lineage of the kept symbol table its ids belong
    /// to (`None` for a table of numbers, whose values mean the same in every load).
    pub lineage: Option<u64>,
}

/// How a reload went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloaded {
    /// The kept rows are the new text's: `removed` rows were replaced by `added` ones.
    Rows {
        /// Rows read again and gone.
        removed: usize,
        /// Rows read from the changed text.
        added: usize,
    },
    /// Not done: load the table in full.
    Declined,
}

impl KeptTable {
    /// What a full load of `text` as `schema` gave as table `table` of `facts` (its rows
    /// are the last ones of the relation); `None` when such a table is not kept. A table
    /// with string columns is kept only with the `lineage` of the symbol table its ids are
    /// in (see the module docs).
    pub fn new(
        schema: &Schema,
        options: &TableOptions,
        (text, lineage): (&str, Option<u64>),
        facts: &Facts,
        table: u32,
    ) -> Option<KeptTable> {
        // A part of a table (`facts::part`, one process's rows) is not kept: its rows are
        // chosen by byte range, which a change moves.
        if !keepable(schema.types) || text.len() >= u32::MAX as usize || options.part.is_some() {
            return None;
        }
        let lineage = if has_strings(schema.types) { Some(lineage?) } else { None };
        let rows = facts.relations.get(schema.relation)?;
        // The table's rows are the relation's last ones (fact ids ascend in load order).
        let first = rows.ids.partition_point(|&id| facts.origins[id as usize].table < table);
        let mut tuples = Tuples::new(schema.types.len());
        let (mut starts, mut lines) = (Vec::new(), Vec::new());
        for i in first..rows.len() {
            let (tuple, id) = rows.get(i);
            let origin = facts.origin(id);
            if origin.table != table {
                return None;
            }
            tuples.push(tuple);
            starts.push(origin.offset);
            lines.push(origin.line);
        }
        // Room for rows and bytes added later: the first row appended to a million would
        // otherwise copy them all on the path of that edit (`Facts::make_room` says more).
        let room = reload_room(starts.len());
        starts.reserve_exact(room);
        lines.reserve_exact(room);
        tuples.data.reserve_exact(room * tuples.arity);
        let mut kept_text = String::with_capacity(text.len() + text.len() / 32 + 4096);
        kept_text.push_str(text);
        Some(KeptTable {
            relation: schema.relation.to_string(),
            columns: schema.columns.to_vec(),
            types: schema.types.to_vec(),
            options: *options,
            empty_lines: !options.rfc4180 && has_empty_line(text),
            text: kept_text,
            starts,
            lines,
            tuples,
            lineage,
        })
    }

    /// Whether `text` is the kept text (the rows are the kept ones as they are).
    pub fn is_text(&self, text: &str) -> bool {
        self.text == text
    }

    /// Whether this is the table `schema` read with `options`.
    pub fn reads(&self, schema: &Schema, options: &TableOptions) -> bool {
        self.relation == schema.relation
            && self.columns == schema.columns
            && self.types == schema.types
            && self.options == *options
    }

    /// The rows now, in load order: values, line and byte offset.
    pub fn rows(&self) -> impl Iterator<Item = (&[crate::base::value::Value], u32, u32)> {
        (0..self.lines.len()).map(|i| (self.tuples.get(i), self.lines[i], self.starts[i]))
    }

    /// Adds the rows to `facts` as the table of `file`, as a full load of it would.
    pub fn add_to(&self, file: FileId, facts: &mut Facts) {
        let table = facts.tables.len() as u32;
        facts.tables.push(TableInfo::relation(file));
        let first = facts.origins.len() as u32;
        let origins = self.lines.iter().zip(&self.starts).map(|(&line, &offset)| FactOrigin { table, line, offset });
        facts.origins.extend(origins);
        // A full load of a table without rows adds no rows to the relation, not even empty ones.
        if self.lines.is_empty() {
            return;
        }
        let rows = facts
            .relations
            .entry(self.relation.clone())
            .or_insert_with(|| FactRows { tuples: Tuples::new(self.types.len()), ids: Vec::new() });
        rows.tuples.extend_from(&self.tuples);
        rows.ids.extend(first..first + self.lines.len() as u32);
    }

    /// Brings the kept rows up to date with `text` by reading only its changed rows (see
    /// the module docs), interning their strings in `symbols` (a table that grew from the
    /// one the kept ids are in); declines where only a full load can tell.
    pub fn reload(&mut self, text: &str, symbols: &mut Symbols) -> Reloaded {
        if text == self.text {
            return Reloaded::Rows { removed: 0, added: 0 };
        }
        let Some(region) = self.changed_region(text) else { return Reloaded::Declined };
        let Some(new) = self.convert(text, &region, symbols) else { return Reloaded::Declined };
        let (removed, added) = (region.rows.end - region.rows.start, new.lines.len());
        self.splice(region, new, text);
        Reloaded::Rows { removed, added }
    }

    /// Where `text` differs from the kept text, in records: see the module docs.
    fn changed_region(&self, text: &str) -> Option<Region> {
        let (old, new) = (self.text.as_bytes(), text.as_bytes());
        if self.empty_lines {
            return None;
        }
        let prefix = common::prefix(old, new);
        let suffix = common::suffix(old, new, old.len().min(new.len()) - prefix);
        let (start, line) = (|i: usize| self.starts[i], |i: usize| self.lines[i]);
        let rows = Rows { len: self.starts.len(), start: &start, line: &line };
        changed_region(rows, &self.options, text, (old.len(), prefix, suffix))
    }

    /// The rows of the changed records, converted as a full load converts them; `None` when
    /// one has an error.
    fn convert(&self, text: &str, region: &Region, symbols: &mut Symbols) -> Option<NewRows> {
        // The table's beginning (header, comments) up to its first row, unchanged, then the
        // changed records: read as a whole table, they give the changed rows.
        let head = self.starts[0] as usize;
        let mut part = String::with_capacity(head + region.bytes.len());
        part.push_str(&text[..head]);
        part.push_str(&text[region.bytes.clone()]);
        let mut sources = SourceMap::new();
        let file = sources.add("", part);
        let schema = Schema { relation: &self.relation, columns: &self.columns, types: &self.types };
        let mut facts = Facts::new();
        load_relation_table(file, &sources, &schema, &self.options, symbols, &mut facts).ok()?;
        let rows = facts.rows(&self.relation);
        let (line0, shift) = (self.lines[0], region.bytes.start as i64 - head as i64);
        let line_shift = self.lines[region.rows.start] as i64 - line0 as i64;
        let mut new = NewRows { tuples: Tuples::new(self.types.len()), starts: Vec::new(), lines: Vec::new() };
        for (tuple, id) in rows.iter() {
            let origin = facts.origin(id);
            new.tuples.push(tuple);
            new.starts.push((origin.offset as i64 + shift) as u32);
            new.lines.push((origin.line as i64 + line_shift) as u32);
        }
        Some(new)
    }

    /// Replaces the rows of `region` with `new`, moves the rows after it, keeps `text`.
    fn splice(&mut self, region: Region, new: NewRows, text: &str) {
        let Region { rows, line_at_end, grown, .. } = region;
        let after = rows.end;
        let line_grown = line_at_end.map_or(0, |l| l as i64 - self.lines.get(after).map_or(0, |&k| k as i64));
        for s in &mut self.starts[after..] {
            *s = (*s as i64 + grown) as u32;
        }
        for l in &mut self.lines[after..] {
            *l = (*l as i64 + line_grown) as u32;
        }
        let added = new.lines.len();
        self.starts.splice(rows.clone(), new.starts);
        self.lines.splice(rows.clone(), new.lines);
        let arity = self.tuples.arity;
        self.tuples.data.splice(rows.start * arity..rows.end * arity, new.tuples.data);
        self.tuples.rows = self.tuples.rows - (rows.end - rows.start) + added;
        self.text.clear();
        self.text.push_str(text);
    }
}

/// The changed records of a new text.
pub(crate) struct Region {
    /// Their bytes in the new text.
    pub bytes: std::ops::Range<usize>,
    /// The kept rows they replace.
    pub rows: std::ops::Range<usize>,
    /// The new line of the first kept row after them (`None`: they run to the end).
    pub line_at_end: Option<u32>,
    /// How much longer the new text is.
    pub grown: i64,
}

/// The kept rows of a table: how many, and each one's byte offset (ascending) and line, by
/// index (read where they are kept: a statement table's from its [`FactOrigin`]s, without
/// copying a million of them out per reload).
pub(crate) struct Rows<'a> {
    /// How many rows.
    pub len: usize,
    /// Row `i`'s byte offset in the old text.
    pub start: &'a dyn Fn(usize) -> u32,
    /// Row `i`'s 1-based line.
    pub line: &'a dyn Fn(usize) -> u32,
}

impl Rows<'_> {
    /// How many rows start before byte `at`.
    fn starting_before(&self, at: usize) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if ((self.start)(mid) as usize) < at {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// Where `text` differs from an old text of `old_len` bytes that split into the kept
/// `rows`, in records (see the module docs), given that both texts share their first
/// `prefix` and last `suffix` bytes (any smaller counts are right too, only slower). `None`
/// where only a full load can tell: no kept rows, or a change before the first row.
pub(crate) fn changed_region(
    rows: Rows,
    options: &TableOptions,
    text: &str,
    (old_len, prefix, suffix): (usize, usize, usize),
) -> Option<Region> {
    let new = text.as_bytes();
    if rows.len == 0 || new.len() >= u32::MAX as usize {
        return None;
    }
    let (start, line) = (rows.start, rows.line);
    // The last row starting before the first changed byte (or at it, for the first row).
    let first = start(0) as usize;
    if prefix < first {
        return None;
    }
    let at = rows.starting_before(prefix).saturating_sub(1);
    let restart = start(at) as usize;
    let grown = new.len() as i64 - old_len as i64;
    // A record of the new text starting at `q` in the common suffix, where a kept row
    // started before the change: the kept row's index.
    let kept_row = |q: usize| {
        let was = q as i64 - grown;
        if q < new.len() - suffix || was < 0 || was >= u32::MAX as i64 {
            return None;
        }
        let row = rows.starting_before(was as usize);
        (row < rows.len && start(row) as usize == was as usize).then_some(row)
    };
    let mut end = (new.len(), rows.len, None);
    if options.rfc4180 {
        let mut records =
            Records::new(&text[restart..], options.delimiter).with_comment(options.comment).from_line(line(at));
        let mut fields = Vec::new();
        while let Ok(Some(record)) = records.next_record(&mut fields) {
            let q = restart + record.span.start;
            if let Some(row) = kept_row(q) {
                end = (q, row, Some(record.line));
                break;
            }
        }
    } else {
        for (line, piece) in (line(at)..).zip(text[restart..].split_inclusive('\n')) {
            let q = piece.as_ptr() as usize - text.as_ptr() as usize;
            if let Some(row) = kept_row(q) {
                end = (q, row, Some(line));
                break;
            }
            let content = piece.strip_suffix('\n').unwrap_or(piece);
            if content.strip_suffix('\r').unwrap_or(content).is_empty() {
                return None;
            }
        }
    }
    let (until, row, line) = end;
    Some(Region { bytes: restart..until, rows: at..row, line_at_end: line, grown })
}

/// Rows read from changed records.
struct NewRows {
    tuples: Tuples,
    starts: Vec<u32>,
    lines: Vec<u32>,
}

/// Whether a table of these column types is kept: numbers and strings (a record's id
/// belongs to the records of the load that read it).
pub fn keepable(types: &[Type]) -> bool {
    types.iter().all(|t| matches!(t, Type::Number | Type::Unsigned | Type::Float | Type::Symbol))
}

/// Whether a table of these column types has strings (kept only with their symbol table's
/// lineage).
pub fn has_strings(types: &[Type]) -> bool {
    types.contains(&Type::Symbol)
}

/// Whether a text has an empty line (or one holding only `\r`), which a table read without
/// quoting counts as a row or not depending on what follows it. Errs towards yes.
fn has_empty_line(text: &str) -> bool {
    let finder = |needle: &str| memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some();
    text.starts_with(['\n', '\r']) || finder("\n\n") || finder("\n\r")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::value::Value;
    use proptest::prelude::*;

    /// Every row (values, line, offset) of `text` loaded in full, or `None` on an error.
    type Rows = Vec<(Vec<Value>, u32, u32)>;

    const COLUMNS: [&str; 2] = ["x", "y"];
    const TYPES: [Type; 2] = [Type::Number, Type::Number];

    fn schema<'a>(columns: &'a [String]) -> Schema<'a> {
        Schema { relation: "edge", columns, types: &TYPES }
    }

    fn columns() -> Vec<String> {
        COLUMNS.iter().map(|c| c.to_string()).collect()
    }

    /// The full load of `text`: its rows, and the table kept from it.
    fn full(text: &str, options: &TableOptions) -> Option<(Rows, Option<KeptTable>)> {
        let (mut sources, mut symbols, mut facts) = (SourceMap::new(), Symbols::new(), Facts::new());
        let file = sources.add("edge.csv", text);
        let columns = columns();
        load_relation_table(file, &sources, &schema(&columns), options, &mut symbols, &mut facts).ok()?;
        let rows =
            facts.rows("edge").iter().map(|(t, id)| (t.to_vec(), facts.origin(id).line, facts.origin(id).offset));
        let kept = KeptTable::new(&schema(&columns), options, (text, None), &facts, 0);
        Some((rows.collect(), kept))
    }

    fn rows(kept: &KeptTable) -> Rows {
        kept.rows().map(|(t, line, offset)| (t.to_vec(), line, offset)).collect()
    }

    fn csv() -> TableOptions {
        TableOptions { delimiter: b',', headers: true, rfc4180: true, comment: None, part: None }
    }

    fn tsv() -> TableOptions {
        TableOptions::default()
    }

    /// Reloads `old` as `new` and checks the result against a full load of `new`; the
    /// numbers of rows read again and read anew.
    fn reload(old: &str, new: &str, options: &TableOptions) -> Reloaded {
        let (_, kept) = full(old, options).expect("the old text loads");
        let mut kept = kept.expect("kept");
        let got = kept.reload(new, &mut Symbols::new());
        if got != Reloaded::Declined {
            assert_eq!(rows(&kept), full(new, options).expect("the new text loads").0);
        }
        got
    }

    fn changed(removed: usize, added: usize) -> Reloaded {
        Reloaded::Rows { removed, added }
    }

    /// Each kind of edit reads only the rows around it again: the row before the first
    /// changed byte and the changed rows; every later row keeps its values and moves its
    /// line and offset.
    #[test]
    fn a_changed_table_is_read_again_only_around_the_change() {
        let old = "x,y\n1,2\n3,4\n5,6\n7,8\n";
        // Insert a row in the middle: rows 3,4 (read again) and 9,9 (new).
        assert_eq!(reload(old, "x,y\n1,2\n3,4\n9,9\n5,6\n7,8\n", &csv()), changed(1, 2));
        // Delete one.
        assert_eq!(reload(old, "x,y\n1,2\n5,6\n7,8\n", &csv()), changed(2, 1));
        // Edit one in place, and one at the start and the end of the file.
        assert_eq!(reload(old, "x,y\n1,2\n3,44\n5,6\n7,8\n", &csv()), changed(1, 1));
        assert_eq!(reload(old, "x,y\n10,2\n3,4\n5,6\n7,8\n", &csv()), changed(1, 1));
        assert_eq!(reload(old, "x,y\n1,2\n3,4\n5,6\n7,8\n9,10\n", &csv()), changed(1, 2));
        assert_eq!(reload(old, "x,y\n1,2\n3,4\n5,6\n7,9\n", &csv()), changed(1, 1));
        // The file loses its trailing newline, and gets it back.
        assert_eq!(reload(old, "x,y\n1,2\n3,4\n5,6\n7,8", &csv()), changed(1, 1));
        assert_eq!(reload("x,y\n1,2\n3,4", "x,y\n1,2\n3,4\n", &csv()), changed(1, 1));
        // Without a header or quoting, from the first row on.
        assert_eq!(reload("1\t2\n3\t4\n", "0\t0\n1\t2\n3\t4\n", &tsv()), changed(0, 1));
        assert_eq!(reload("1\t2\n3\t4\n", "3\t4\n", &tsv()), changed(1, 0));
        assert_eq!(reload("1\t2\n3\t4\n5\t6\n", "1\t2\n3\t4\n5\t6\n7\t8\n", &tsv()), changed(1, 2));
    }

    /// A row inserted moves the line and offset of every row after it.
    #[test]
    fn rows_after_an_inserted_row_move_down() {
        let (_, kept) = full("1\t2\n3\t4\n5\t6\n", &tsv()).unwrap();
        let mut kept = kept.unwrap();
        assert_eq!(kept.reload("1\t2\n9\t9\n3\t4\n5\t6\n", &mut Symbols::new()), changed(1, 2));
        assert_eq!(rows(&kept), vec![(vec![1, 2], 1, 0), (vec![9, 9], 2, 4), (vec![3, 4], 3, 8), (vec![5, 6], 4, 12)]);
    }

    /// CRLF line ends, in both readers.
    #[test]
    fn crlf_tables_reload_by_rows() {
        let old = "x,y\r\n1,2\r\n3,4\r\n5,6\r\n";
        assert_eq!(reload(old, "x,y\r\n1,2\r\n3,4\r\n0,0\r\n5,6\r\n", &csv()), changed(1, 2));
        assert_eq!(reload("1\t2\r\n3\t4\r\n5\t6\r\n", "1\t2\r\n3\t5\r\n5\t6\r\n", &tsv()), changed(1, 1));
        // A `\r` alone ends a record too: a `\n` added after it changes no row.
        assert_eq!(reload("x,y\r1,2\r3,4\r", "x,y\r1,2\r\n3,4\r", &csv()), changed(1, 1));
    }

    /// A table with a string column reloads by rows, interning the changed rows' strings in
    /// the symbol table the kept ids are in (which only grows): every row, kept or read
    /// again, names the strings a full load gives it.
    #[test]
    fn a_table_with_strings_reloads_by_rows_into_the_kept_symbols() {
        let columns = columns();
        let types = [Type::Symbol, Type::Number];
        let schema = Schema { relation: "edge", columns: &columns, types: &types };
        let load = |text: &str, symbols: &mut Symbols| {
            let (mut sources, mut facts) = (SourceMap::new(), Facts::new());
            let file = sources.add("edge.facts", text);
            load_relation_table(file, &sources, &schema, &tsv(), symbols, &mut facts).unwrap();
            facts
        };
        let shown = |kept: &KeptTable, symbols: &Symbols| -> Vec<(String, u32, u32, u32)> {
            kept.rows().map(|(t, line, at)| (symbols.resolve(t[0]).to_string(), t[1], line, at)).collect()
        };
        let mut symbols = Symbols::new();
        let old = "a\t1\nb\t2\nc\t3\n";
        let facts = load(old, &mut symbols);
        let mut kept = KeptTable::new(&schema, &tsv(), (old, Some(1)), &facts, 0).unwrap();
        let new = "a\t1\nnew\t9\nb\t2\nc\t3\nd\t4\n";
        // Appended and inserted rows with strings the table did not have.
        let mut twice = kept.clone();
        assert_eq!(kept.reload("a\t1\nb\t2\nc\t3\nd\t4\n", &mut symbols), changed(1, 2));
        assert_eq!(twice.reload(new, &mut symbols), changed(3, 5));
        assert_eq!(kept.reload(new, &mut symbols), changed(1, 2));
        assert_eq!(shown(&kept, &symbols), shown(&twice, &symbols));
        let mut fresh_symbols = Symbols::new();
        let fresh = KeptTable::new(&schema, &tsv(), (new, Some(2)), &load(new, &mut fresh_symbols), 0).unwrap();
        assert_eq!(shown(&kept, &symbols), shown(&fresh, &fresh_symbols));
        assert_eq!(symbols.len(), 5, "the kept table grows by the new strings only");
    }

    /// A quoted field may hold a newline: an edit that opens a quote makes the following
    /// lines one field, and the reload reads on until the records are back in step with the
    /// kept ones (here: to the end, where the full load fails, so the reload declines).
    #[test]
    fn quotes_that_span_lines_are_followed() {
        let options = TableOptions { delimiter: b',', headers: true, rfc4180: true, comment: None, part: None };
        let old = "x,y,note\n1,2,\"a\n3,4,b\"\n5,6,c\n7,8,d\n";
        // The old table has three rows: the quoted note spans a line.
        assert_eq!(full(old, &options).unwrap().0.len(), 3);
        // An edit inside the quoted field (on its second line) is an edit of row 1,2.
        assert_eq!(reload(old, "x,y,note\n1,2,\"a\n3,4,bb\"\n5,6,c\n7,8,d\n", &options), changed(1, 1));
        // Closing the quote early turns its second line into a row of its own.
        assert_eq!(reload(old, "x,y,note\n1,2,\"a\"\n3,4,\"b\"\n5,6,c\n7,8,d\n", &options), changed(1, 2));
        // Opening a quote that runs to the end: the full load fails, the reload declines.
        assert_eq!(reload(old, "x,y,note\n1,2,\"a\n3,4,b\"\n5,6,\"c\n7,8,d\n", &options), Reloaded::Declined);
        // Opening a quote that a later one closes: three lines become one field.
        let new = "x,y,note\n1,2,\"a\n3,4,b\"\n5,6,\"c\n7,8,\"\"d\"\n";
        assert_eq!(reload(old, new, &options), changed(2, 1));
    }

    /// Where only a full load can tell, the reload declines: a changed header, an error in
    /// a changed row, an empty line in a table read without quoting.
    #[test]
    fn the_reload_declines_what_only_a_full_load_can_tell() {
        let old = "x,y\n1,2\n3,4\n";
        assert_eq!(reload(old, "y,x\n1,2\n3,4\n", &csv()), Reloaded::Declined);
        assert_eq!(reload(old, "x,y\n1,2\n3,z\n", &csv()), Reloaded::Declined);
        assert_eq!(reload("1\t2\n3\t4\n", "1\t2\n\n3\t4\n", &tsv()), Reloaded::Declined);
        assert_eq!(reload("1\t2\n3\t4\n\n", "1\t2\n3\t5\n\n", &tsv()), Reloaded::Declined);
        let columns = columns();
        let strings = Schema { relation: "edge", columns: &columns, types: &[Type::Symbol, Type::Number] };
        let (mut sources, mut symbols, mut facts) = (SourceMap::new(), Symbols::new(), Facts::new());
        let file = sources.add("edge.facts", "a\t1\n");
        load_relation_table(file, &sources, &strings, &tsv(), &mut symbols, &mut facts).unwrap();
        // A table with strings is kept only with the lineage of the symbol table its ids are in.
        assert!(KeptTable::new(&strings, &tsv(), ("a\t1\n", None), &facts, 0).is_none());
        assert!(KeptTable::new(&strings, &tsv(), ("a\t1\n", Some(7)), &facts, 0).is_some());
        // One process's part of a table is not kept.
        let part = TableOptions { part: Some(crate::facts::part::Part { index: 0, count: 2 }), ..tsv() };
        let (_, kept) = full("1\t2\n3\t4\n", &part).unwrap();
        assert!(kept.is_none());
    }

    /// A table's rows as text, with an edit: rows inserted, removed or changed, and bytes.
    fn edit(text: &str, at: usize, cut: usize, insert: &str) -> String {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + cut).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        format!("{}{insert}{}", &text[..at], &text[end..])
    }

    /// `RELOAD_CASES`, or 1024 (random byte edits often break a row, so about one edit in six
    /// reloads rows rather than declining).
    fn cases() -> u32 {
        std::env::var("RELOAD_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1024)
    }

    /// A table (header `x,y,note`): numbers, notes plain or quoted over lines.
    fn csv_table() -> impl Strategy<Value = String> {
        let note = prop::sample::select(vec!["", "a", "\"b\nc\"", "\"d,\"\"e\"\"\"", "\"\r\n\""]);
        let row = (0..20i32, 0..20i32, note).prop_map(|(x, y, n)| format!("{x},{y},{n}"));
        let end = prop::sample::select(vec!["\n", "\r\n", "\r", "\n\n"]);
        (prop::collection::vec((row, end), 1..12), any::<bool>()).prop_map(|(rows, last)| {
            let mut text = "x,y,note\n".to_string();
            let n = rows.len();
            for (i, (row, end)) in rows.into_iter().enumerate() {
                text.push_str(&row);
                if i + 1 < n || last {
                    text.push_str(end);
                }
            }
            text
        })
    }

    /// A tab-separated table without quoting.
    fn tsv_table() -> impl Strategy<Value = String> {
        let row = (0..20i32, 0..20i32).prop_map(|(x, y)| format!("{x}\t{y}"));
        let end = prop::sample::select(vec!["\n", "\r\n"]);
        (prop::collection::vec((row, end), 1..12), any::<bool>()).prop_map(|(rows, last)| {
            let n = rows.len();
            let mut text = String::new();
            for (i, (row, end)) in rows.into_iter().enumerate() {
                text.push_str(&row);
                if i + 1 < n || last {
                    text.push_str(end);
                }
            }
            text
        })
    }

    /// A sequence of edits: where, how many bytes to cut, what to insert.
    fn edits(alphabet: &'static str) -> impl Strategy<Value = Vec<(usize, usize, String)>> {
        prop::collection::vec((0..200usize, 0..8usize, prop::string::string_regex(alphabet).unwrap()), 1..6)
    }

    /// After each edit, the kept rows are a full load's (where the reload does not decline;
    /// where the full load fails, it must decline).
    fn check_sequence(
        start: &str,
        edits: &[(usize, usize, String)],
        options: &TableOptions,
    ) -> Result<(), TestCaseError> {
        let Some((_, Some(mut kept))) = full(start, options) else { return Ok(()) };
        let mut text = start.to_string();
        for (at, cut, insert) in edits {
            text = edit(&text, *at, *cut, insert);
            let loaded = full(&text, options);
            match kept.reload(&text, &mut Symbols::new()) {
                Reloaded::Declined => match loaded {
                    Some((_, Some(k))) => kept = k,
                    _ => return Ok(()),
                },
                Reloaded::Rows { .. } => {
                    let Some((rows_now, _)) = loaded else {
                        return Err(TestCaseError::fail(format!("reloaded a table that fails to load: {text:?}")));
                    };
                    prop_assert_eq!(rows(&kept), rows_now, "after editing into {:?}", text);
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        /// Random edits of quoted comma-separated tables (quotes opened, closed, line ends
        /// changed) reload to exactly what a full load gives.
        #[test]
        fn a_reload_gives_the_rows_of_a_full_load_csv(start in csv_table(), edits in edits("[0-9,\"\n\rab]{0,6}")) {
            check_sequence(&start, &edits, &csv())?;
        }

        /// The same for tab-separated tables read without quoting.
        #[test]
        fn a_reload_gives_the_rows_of_a_full_load_tsv(start in tsv_table(), edits in edits("[0-9\t\n\r]{0,6}")) {
            check_sequence(&start, &edits, &tsv())?;
        }
    }
}
