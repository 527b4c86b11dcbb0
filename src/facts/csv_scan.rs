//! Comma-separated records read straight out of text held in memory.
//!
//! Statement tables run to millions of rows. The `csv` crate copies every field of every row
//! into its record buffer, and a separate pass was needed to find unclosed quotes; here a
//! field is a byte range of the text, found with `memchr`, and only a field with doubled
//! quotes (or text after its closing quote) is unescaped, when asked for.
//!
//! Records are split exactly as the `csv` crate splits them with
//! `ReaderBuilder::new().has_headers(false).flexible(true)` (the test below compares the two
//! on random input): `"` opens a quoted field only at the start of a field, `""` inside is a
//! literal quote, text after a closing quote is kept verbatim, a record ends at `\n`, `\r`
//! or `\r\n`, and blank lines are skipped. One difference: a quote still open at the end of
//! the text is reported (its offset) instead of swallowing the rest of the file.
//!
//! This is the one CSV splitter of the loaders: statement tables, relation tables read with
//! quoting (`rfc4180`, the default for comma-separated `.input`s), the metadata of one row
//! read back for a proof, and the `date`/`until` columns that `--as-of` filters on all go
//! through [`Records`]. (Relation tables read without quoting, Soufflé's default for
//! tab-separated files, are not CSV: each line is split on the delimiter byte.)

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{FileId, Span};
use memchr::{memchr, memchr2, memchr3};
use std::borrow::Cow;
use std::ops::Range;

/// One field: a byte range of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    start: usize,
    end: usize,
    /// The range is the field as written (quotes included) and must be unescaped; otherwise
    /// it is the value itself (inside the quotes for a simple quoted field).
    escaped: bool,
}

impl Field {
    /// Where the field is in the text: inside the quotes for a simply quoted field, else the
    /// field as written.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The field's value as a slice of `text`, when it needs no unescaping.
    pub fn borrowed<'t>(&self, text: &'t str) -> Option<&'t str> {
        (!self.escaped).then(|| &text[self.start..self.end])
    }

    /// The field's value (quotes removed, `""` read as `"`), borrowed from `text` unless it
    /// had to be unescaped.
    pub fn value<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let raw = &text[self.start..self.end];
        if !self.escaped {
            return Cow::Borrowed(raw);
        }
        // `raw` starts with the opening quote. Every cut below is at an ASCII quote, so each
        // piece is a valid `str` slice.
        let bytes = raw.as_bytes();
        let mut value = String::with_capacity(raw.len());
        let (mut piece, mut i, mut quoted) = (1, 1, true);
        while i < bytes.len() {
            if quoted && bytes[i] == b'"' {
                value.push_str(&raw[piece..i]);
                if bytes.get(i + 1) == Some(&b'"') {
                    value.push('"');
                    i += 1;
                } else {
                    quoted = false;
                }
                piece = i + 1;
            }
            i += 1;
        }
        value.push_str(&raw[piece.min(raw.len())..]);
        Cow::Owned(value)
    }
}

/// Where a record is: its bytes without the line end, and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's bytes in the text, without the line end.
    pub span: Range<usize>,
    /// The 1-based line the record starts on.
    pub line: u32,
}

/// A quote that opens a field and is never closed, at this byte offset of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnclosedQuote(pub usize);

impl UnclosedQuote {
    /// The error for this quote; `base` is where the scanned text starts in `file`.
    pub fn error(self, file: FileId, base: usize) -> Diagnostic {
        let at = base + self.0;
        Diagnostic::error(Code::BadFacts, "unclosed quote: this field runs to the end of the file")
            .at(Span::new(file, at..at + 1), "opened here, never closed")
            .with_help("close the quote, or double it (`\"\"`) to write a quote inside a quoted field")
    }
}

/// What [`Records::next_complete`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunked {
    /// A whole record.
    Record(Record),
    /// The text ran out before the record did: resume at this offset and line with the
    /// text that follows.
    More(usize, u32),
    /// The end of the last text.
    End,
    /// A quote never closed, at the end of the last text.
    Unclosed(UnclosedQuote),
}

/// Reads the records of `text` one at a time.
pub struct Records<'t> {
    bytes: &'t [u8],
    delimiter: u8,
    /// Lines starting with this byte (at the start of a record) are skipped.
    comment: Option<u8>,
    pos: usize,
    /// 1-based line at `pos`.
    line: u32,
}

impl<'t> Records<'t> {
    /// The records of `text`, fields separated by `delimiter`.
    pub fn new(text: &'t str, delimiter: u8) -> Records<'t> {
        Records { bytes: text.as_bytes(), delimiter, comment: None, pos: 0, line: 1 }
    }

    /// Skips lines that start with `comment` where a record would start (a comment byte
    /// inside a quoted field, or later in a line, is data).
    pub fn with_comment(mut self, comment: Option<u8>) -> Records<'t> {
        self.comment = comment;
        self
    }

    /// Counts lines from `line`: the text is a part of a file that starts on that line.
    pub fn from_line(mut self, line: u32) -> Records<'t> {
        self.line = line;
        self
    }

    /// Where the next record is looked for: its byte offset in the text, and its line.
    pub fn position(&self) -> (usize, u32) {
        (self.pos, self.line)
    }

    /// The next record of a text that may be cut short (a chunk of a file read in parts):
    /// unless `last`, a record that reaches the end of the text, or a quote left open, may
    /// go on in the next part, so [`Chunked::More`] says where to resume from.
    pub fn next_complete(&mut self, fields: &mut Vec<Field>, last: bool) -> Chunked {
        let before = self.position();
        match self.next_record(fields) {
            Ok(Some(r)) if last || r.span.end < self.bytes.len() => Chunked::Record(r),
            Ok(None) if last => Chunked::End,
            // Only blank lines were left: resume after them.
            Ok(None) => Chunked::More(self.pos, self.line),
            Err(q) if last => Chunked::Unclosed(q),
            _ => Chunked::More(before.0, before.1),
        }
    }

    /// The next record, its fields in `fields` (cleared first); `None` at the end.
    pub fn next_record(&mut self, fields: &mut Vec<Field>) -> Result<Option<Record>, UnclosedQuote> {
        let b = self.bytes;
        loop {
            while self.pos < b.len() && matches!(b[self.pos], b'\n' | b'\r') {
                self.line += (b[self.pos] == b'\n') as u32;
                self.pos += 1;
            }
            if self.comment.is_none() || b.get(self.pos) != self.comment.as_ref() {
                break;
            }
            self.pos = memchr2(b'\n', b'\r', &b[self.pos..]).map_or(b.len(), |i| self.pos + i);
        }
        if self.pos == b.len() {
            return Ok(None);
        }
        let (start, line) = (self.pos, self.line);
        fields.clear();
        loop {
            let field = if b.get(self.pos) == Some(&b'"') { self.quoted_field()? } else { self.plain_field() };
            fields.push(field);
            if b.get(self.pos) == Some(&self.delimiter) {
                self.pos += 1;
            } else {
                break;
            }
        }
        let span = start..self.pos;
        // The line end, if any: `\n`, `\r` or `\r\n`.
        if self.pos < b.len() {
            if b[self.pos] == b'\r' {
                self.pos += 1;
            }
            if b.get(self.pos) == Some(&b'\n') {
                self.pos += 1;
                self.line += 1;
            }
        }
        Ok(Some(Record { span, line }))
    }

    /// The end of the unquoted text starting at `from`: the next delimiter or line end.
    fn plain_end(&self, from: usize) -> usize {
        memchr3(self.delimiter, b'\n', b'\r', &self.bytes[from..]).map_or(self.bytes.len(), |i| from + i)
    }

    fn plain_field(&mut self) -> Field {
        let start = self.pos;
        self.pos = self.plain_end(start);
        Field { start, end: self.pos, escaped: false }
    }

    /// A field starting with `"` at `self.pos`.
    fn quoted_field(&mut self) -> Result<Field, UnclosedQuote> {
        let b = self.bytes;
        let open = self.pos;
        let mut escaped = false;
        let mut i = open + 1;
        let close = loop {
            let q = i + memchr(b'"', &b[i..]).ok_or(UnclosedQuote(open))?;
            if b.get(q + 1) == Some(&b'"') {
                escaped = true;
                i = q + 2;
            } else {
                break q;
            }
        };
        self.line += b[open..close].iter().filter(|&&c| c == b'\n').count() as u32;
        self.pos = close + 1;
        if self.pos < b.len() && !matches!(b[self.pos], b'\n' | b'\r') && b[self.pos] != self.delimiter {
            // Text after the closing quote belongs to the field, verbatim.
            self.pos = self.plain_end(self.pos);
            return Ok(Field { start: open, end: self.pos, escaped: true });
        }
        Ok(if escaped {
            Field { start: open, end: self.pos, escaped: true }
        } else {
            Field { start: open + 1, end: close, escaped: false }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every record: (line, span text, field values), or the unclosed quote's offset.
    fn scan(text: &str) -> Result<Vec<(u32, String, Vec<String>)>, usize> {
        scan_with(text, b',', None)
    }

    fn scan_with(text: &str, delimiter: u8, comment: Option<u8>) -> Result<Vec<(u32, String, Vec<String>)>, usize> {
        let mut records = Records::new(text, delimiter).with_comment(comment);
        let mut fields = Vec::new();
        let mut out = Vec::new();
        while let Some(r) = records.next_record(&mut fields).map_err(|u| u.0)? {
            let values = fields.iter().map(|f| f.value(text).into_owned()).collect();
            out.push((r.line, text[r.span].to_string(), values));
        }
        Ok(out)
    }

    /// The same, read by the `csv` crate as the loaders configure it.
    fn csv_crate(text: &str, delimiter: u8) -> Vec<(u32, Vec<String>)> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            // The csv crate's position is before any blank lines it skipped.
            let start = rec.position().unwrap();
            let skipped = text.as_bytes()[start.byte() as usize..].iter().take_while(|&&b| b == b'\n' || b == b'\r');
            let line = start.line() as u32 + skipped.filter(|&&b| b == b'\n').count() as u32;
            out.push((line, rec.iter().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect()));
        }
        out
    }

    #[test]
    fn fields_and_lines() {
        let text = "a,b\n\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",z\rlast,\n";
        assert_eq!(
            scan(text).unwrap(),
            vec![
                (1, "a,b".into(), vec!["a".into(), "b".into()]),
                (3, "\"x, y\",\"say \"\"hi\"\"\"".into(), vec!["x, y".into(), "say \"hi\"".into()]),
                (4, "\"multi\nline\",z".into(), vec!["multi\nline".into(), "z".into()]),
                (5, "last,".into(), vec!["last".into(), "".into()]),
            ]
        );
    }

    #[test]
    fn quotes_inside_and_after() {
        let text = "a\"b,\"q\"tail\"x\n";
        assert_eq!(scan(text).unwrap()[0].2, vec!["a\"b".to_string(), "qtail\"x".to_string()]);
    }

    #[test]
    fn unclosed_quotes() {
        assert_eq!(scan("a,\"b\nc,d\n"), Err(2));
        assert_eq!(scan("a,\"b\"\""), Err(2));
        assert_eq!(scan("\"x\"y,\""), Err(5));
        assert!(scan("a,b\"c\n").is_ok());
    }

    #[test]
    fn comment_lines() {
        let text = "# a comment, with \"a quote\n a,b\n#\n\"#x\",\"1\n#not a comment\"\nc,#d\n";
        assert_eq!(
            scan_with(text, b',', Some(b'#')).unwrap(),
            vec![
                (2, " a,b".into(), vec![" a".into(), "b".into()]),
                (4, "\"#x\",\"1\n#not a comment\"".into(), vec!["#x".into(), "1\n#not a comment".into()]),
                (6, "c,#d".into(), vec!["c".into(), "#d".into()]),
            ]
        );
        // Without the option a `#` line is a record.
        assert_eq!(scan("#\n").unwrap(), vec![(1, "#".into(), vec!["#".into()])]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn splits_as_the_csv_crate_does(text in "[a,;\t\"\n\r é]{0,40}", delimiter in prop::sample::select(vec![b',', b'\t', b';'])) {
            // An unclosed quote is reported where the csv crate reads to the end of the text.
            match scan_with(&text, delimiter, None) {
                Ok(records) => {
                    let ours: Vec<(u32, Vec<String>)> = records.into_iter().map(|(l, _, v)| (l, v)).collect();
                    prop_assert_eq!(ours, csv_crate(&text, delimiter));
                }
                Err(offset) => prop_assert_eq!(text.as_bytes()[offset], b'"'),
            }
        }
    }
}
