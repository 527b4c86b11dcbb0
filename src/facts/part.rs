//! One process's part of the fact tables, for a run on several processes
//! (`--engine dd --processes N`): the rows whose first byte lies in the process's byte range
//! of each table.
//!
//! A table of `len` bytes is cut at `len · i / N`; process `i` keeps the rows that *start*
//! in `[len · i / N, len · (i + 1) / N)` (the last range runs to the end, so a row after a
//! decoded U+FFFD, whose offsets run past the raw length, still has an owner). Every row
//! starts at exactly one offset, so it is kept by exactly one process.
//!
//! Where rows start is found exactly, by reading the table from its first byte with the one
//! CSV splitter (`csv_scan`) — or, for a table read without quoting, line by line — in every
//! process, as a full read does. A row start cannot be found from an arbitrary offset: a
//! quoted field may hold newlines, and neither looking back to a newline nor counting quotes
//! is exact in this dialect, where a `"` inside an unquoted field (`5"9`) or after a closing
//! quote is text, not a quote. Reading from the start costs a pass over the bytes; it also
//! gives every row its true line number (quoted newlines counted) with no exchange.
//!
//! Every process also *checks* every row (field counts, numbers, names, grades, dates), so
//! that each reports exactly a full read's diagnostics and exit code (a process whose part
//! had a bad row would otherwise stop alone and leave the others waiting at connection), and
//! each knows every relation name a statement table's rows give (the program is checked
//! against them, and every process must build the same dataflow). Only the rows of its own
//! range are turned into ids (their strings interned) and kept: the facts, their origins,
//! the symbol table built from them and the dataflow's input are split between the processes.

/// Part `index` of `count`: which rows of each table this process keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// This process's index, from 0.
    pub index: usize,
    /// The processes in all (at least 1).
    pub count: usize,
}

impl Part {
    /// The byte range of a table of `len` bytes this part keeps the rows of.
    pub fn bytes(self, len: u64) -> ByteRange {
        let count = self.count.max(1) as u128;
        let at = |i: usize| (u128::from(len) * i as u128 / count) as u64;
        let end = if self.index + 1 >= self.count { u64::MAX } else { at(self.index + 1) };
        ByteRange { start: at(self.index), end }
    }
}

/// The rows this process keeps: those whose first byte is in `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// The first offset kept.
    pub start: u64,
    /// The first offset past the range.
    pub end: u64,
}

impl ByteRange {
    /// Whether a row starting at byte `offset` of its file is kept.
    pub fn holds(&self, offset: usize) -> bool {
        (self.start..self.end).contains(&(offset as u64))
    }
}

/// Whether a row starting at `offset` is kept: always without a part.
pub fn keeps(range: Option<ByteRange>, offset: usize) -> bool {
    range.is_none_or(|r| r.holds(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::diag::{Diagnostic, render_short};
    use crate::base::source::SourceMap;
    use crate::base::value::{Symbols, Type, display};
    use crate::facts::grade::RowFilter;
    use crate::facts::load::{self, Facts, Schema, TableOptions};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Each relation's rows (values as text, line), sorted, and the diagnostics (short form).
    type Read = (BTreeMap<String, Vec<(Vec<String>, u32)>>, Vec<String>);

    fn rows_of(facts: &Facts, symbols: &Symbols, types: &[Type]) -> BTreeMap<String, Vec<(Vec<String>, u32)>> {
        let mut out = BTreeMap::new();
        for (name, rows) in &facts.relations {
            let mut read: Vec<(Vec<String>, u32)> = rows
                .iter()
                .map(|(t, id)| {
                    let values = t.iter().zip(types).map(|(&v, &ty)| display(v, ty, symbols)).collect();
                    (values, facts.origin(id).line)
                })
                .collect();
            read.sort();
            out.insert(name.clone(), read);
        }
        out
    }

    fn render(diags: &[Diagnostic], sources: &SourceMap) -> Vec<String> {
        diags.iter().map(|d| render_short(d, sources)).collect()
    }

    /// A statement table read from its text, keeping `part`'s rows (all without).
    fn statements(text: &str, part: Option<Part>) -> Read {
        let (mut sources, mut symbols, mut facts) = (SourceMap::new(), Symbols::new(), Facts::new());
        let file = sources.add("s.csv", text);
        let filter = RowFilter { part, ..RowFilter::default() };
        let diags = load::load_statement_table(file, &sources, &mut symbols, &mut facts, &filter).err();
        (rows_of(&facts, &symbols, &[Type::Symbol; 2]), render(&diags.unwrap_or_default(), &sources))
    }

    /// The same, streamed from the file's bytes (rows only: the diagnostics' texts are not kept).
    fn streamed(text: &str, part: Option<Part>) -> BTreeMap<String, Vec<(Vec<String>, u32)>> {
        let (mut symbols, mut facts) = (Symbols::new(), Facts::new());
        let filter = RowFilter { part, ..RowFilter::default() };
        let file = SourceMap::new().add("s.csv", "");
        let mut reader = text.as_bytes();
        let (_, _diagnostics) =
            load::stream_statement_table(file, (&mut reader, text.len() as u64), &mut symbols, &mut facts, &filter)
                .unwrap();
        rows_of(&facts, &symbols, &[Type::Symbol; 2])
    }

    /// A relation table `r(a: symbol, b: symbol)` read with `options`, keeping `part`'s rows.
    fn relation(text: &str, options: TableOptions, part: Option<Part>) -> Read {
        let (mut sources, mut symbols, mut facts) = (SourceMap::new(), Symbols::new(), Facts::new());
        let file = sources.add("r.facts", text);
        let columns = ["a".to_string(), "b".to_string()];
        let schema = Schema { relation: "r", columns: &columns, types: &[Type::Symbol; 2] };
        let options = TableOptions { part, ..options };
        let diags = load::load_relation_table(file, &sources, &schema, &options, &mut symbols, &mut facts).err();
        (rows_of(&facts, &symbols, &[Type::Symbol; 2]), render(&diags.unwrap_or_default(), &sources))
    }

    /// The parts' rows put together (each relation's sorted); every part's diagnostics must
    /// be the whole read's.
    fn together(count: usize, read: impl Fn(Option<Part>) -> Read) -> Read {
        let whole = read(None);
        let mut rows: BTreeMap<String, Vec<(Vec<String>, u32)>> = BTreeMap::new();
        for index in 0..count {
            let (part_rows, diags) = read(Some(Part { index, count }));
            assert_eq!(diags, whole.1, "part {index} of {count}: the checks of a full read");
            for (name, r) in part_rows {
                rows.entry(name).or_default().extend(r);
            }
        }
        rows.values_mut().for_each(|r| r.sort());
        (rows, whole.1)
    }

    /// Cells that make cutting hard: quoted commas and newlines (LF and CRLF), doubled
    /// quotes, a quote inside an unquoted cell, text after a closing quote, blanks.
    const CELLS: [&str; 12] = [
        "a",
        "Egypt",
        "\"x, y\"",
        "\"two\nlines\"",
        "\"crlf\r\nin it\"",
        "\"say \"\"hi\"\"\"",
        "5\"9",
        "\"q\"tail",
        "é€",
        " ",
        "\"\n\n\"",
        "\"a,\nb,\r\n\"",
    ];
    const RELATIONS: [&str; 4] = ["backs", "not backs", "Opposes", "relies on"];

    fn table(header: &str, rows: &[(Vec<usize>, usize, bool)]) -> String {
        let mut text = header.to_string();
        for (cells, end, blank) in rows {
            let cells: Vec<&str> =
                cells.iter().enumerate().map(|(i, &c)| if i == 1 { RELATIONS[c % 4] } else { CELLS[c % 12] }).collect();
            text.push_str(&cells.join(","));
            text.push_str(["\n", "\r\n", "\r"][*end % 3]);
            if *blank {
                text.push('\n');
            }
        }
        text
    }

    fn rows_strategy() -> impl Strategy<Value = Vec<(Vec<usize>, usize, bool)>> {
        prop::collection::vec((prop::collection::vec(0usize..12, 2..5), 0usize..3, prop::bool::weighted(0.2)), 0..14)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PART_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
        ))]
        /// For 1 to 4 processes, the rows of the byte ranges together are the full read's
        /// rows, each once, on the same lines, with the same diagnostics in every part:
        /// statement tables (read whole and streamed) and relation tables (quoted with a
        /// header, and tab-separated lines without quoting).
        #[test]
        fn the_parts_rows_together_are_the_full_reads(
            header in prop::sample::select(vec!["subject,relation,object\n", "\u{feff}subject,relation,object,note\r\n", "\n\nsubject,relation,object,note\n"]),
            rows in rows_strategy(),
            count in 1usize..5,
        ) {
            let text = table(header, &rows);
            let whole = statements(&text, None);
            prop_assert_eq!(&together(count, |p| statements(&text, p)), &whole);
            let mut parts: BTreeMap<String, Vec<(Vec<String>, u32)>> = BTreeMap::new();
            for index in 0..count {
                for (name, r) in streamed(&text, Some(Part { index, count })) {
                    parts.entry(name).or_default().extend(r);
                }
            }
            parts.values_mut().for_each(|r| r.sort());
            prop_assert_eq!(&parts, &whole.0);

            let csv = TableOptions { delimiter: b',', headers: true, rfc4180: true, comment: None, part: None };
            let text = table("a,b\n", &rows);
            prop_assert_eq!(together(count, |p| relation(&text, csv, p)), relation(&text, csv, None));
            let tsv = TableOptions::default();
            let text = text.replace(',', "\t");
            prop_assert_eq!(together(count, |p| relation(&text, tsv, p)), relation(&text, tsv, None));
        }
    }

    /// The middle of the table (the cut between two processes) falls inside a quoted cell
    /// that holds newlines: the row is kept whole by the first process, on its own line,
    /// and the second starts at the next row, on its true line.
    #[test]
    fn a_quoted_newline_at_the_cut_stays_in_one_row() {
        let text = "subject,relation,object\na,backs,b\nc,backs,\"one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\"\nd,backs,e\n";
        let cut = Part { index: 1, count: 2 }.bytes(text.len() as u64).start as usize;
        let quoted = text.find("\"one").unwrap();
        assert!(quoted < cut && cut < text.find("eight\"").unwrap(), "the cut is inside the quoted cell");
        let row = |s: &str, o: &str, line| (vec![s.to_string(), o.to_string()], line);
        let first = statements(text, Some(Part { index: 0, count: 2 }));
        assert_eq!(
            first.0["backs"],
            vec![row("a", "b", 2), row("c", "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight", 3)]
        );
        let second = statements(text, Some(Part { index: 1, count: 2 }));
        assert_eq!(second.0["backs"], vec![row("d", "e", 11)]);
        assert_eq!(streamed(text, Some(Part { index: 1, count: 2 }))["backs"], vec![row("d", "e", 11)]);
    }

    #[test]
    fn ranges_cover_the_table_once() {
        for count in 1..6 {
            for len in [0u64, 1, 7, 100] {
                let ranges: Vec<ByteRange> = (0..count).map(|index| Part { index, count }.bytes(len)).collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[count - 1].end, u64::MAX);
                for w in ranges.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
                for offset in 0..len as usize + 5 {
                    assert_eq!(ranges.iter().filter(|r| r.holds(offset)).count(), 1, "{offset} of {len} in {count}");
                }
            }
        }
    }
}
