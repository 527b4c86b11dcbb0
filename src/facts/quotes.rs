//! Unclosed quotes in CSV. The `csv` crate reads a quote that is never closed as a field
//! running to the end of the file, silently swallowing every row after it; the relation-table
//! loader calls [`unclosed_quote`] first and reports the quote instead. (Statement tables are
//! read by [`crate::facts::csv_scan`], which finds the open quote as it reads.)

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{FileId, Span};

/// The byte offset of a quote that opens a field and is never closed, if any. Follows the
/// `csv` crate's reading: a `"` opens a quoted field only at the start of a field, `""`
/// inside is a literal quote, and any other `"` closes it.
pub fn unclosed_quote(text: &str, delimiter: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut open = None;
    let mut at_field_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if open.is_some() {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    open = None;
                }
            }
        } else if b == b'"' && at_field_start {
            open = Some(i);
            at_field_start = false;
        } else {
            at_field_start = b == delimiter || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    open
}

/// The error for an unclosed quote at `offset` of `file` (offsets of the whole file text).
pub fn unclosed_quote_error(file: FileId, offset: usize) -> Diagnostic {
    Diagnostic::error(Code::BadFacts, "unclosed quote: this field runs to the end of the file")
        .at(Span::new(file, offset..offset + 1), "opened here, never closed")
        .with_help("close the quote, or double it (`\"\"`) to write a quote inside a quoted field")
}

#[cfg(test)]
mod tests {
    use super::unclosed_quote;

    #[test]
    fn finds_only_quotes_that_stay_open() {
        assert_eq!(unclosed_quote("a,\"b\nc,d\n", b','), Some(2));
        assert_eq!(unclosed_quote("a,\"b\"\"\nc\",d\n", b','), None);
        assert_eq!(unclosed_quote("a,b\"c\n", b','), None, "a quote inside a field is literal");
        assert_eq!(unclosed_quote("\"x\"y,\"", b','), Some(5));
        assert_eq!(unclosed_quote("a\t\"b", b'\t'), Some(2));
        assert_eq!(unclosed_quote("", b','), None);
    }
}
