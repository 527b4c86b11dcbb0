//! `--as-of DATE`: keep only the statements valid on a date.
//!
//! A statement table may have a `date` column (when the statement was reported, read as
//! "valid from") and an `until` column (the last day it holds). A row is valid on day `D`
//! when its `date` is empty or starts on or before `D`, and its `until` is empty or ends on
//! or after `D` (`until` is inclusive). Dates are `YYYY-MM-DD`, or partial: `YYYY-MM` and
//! `YYYY` stand for the whole month or year, so a partial `date` is valid from the first
//! day of its period and a partial `until` holds through the last day of its period.
//!
//! Relation tables (Soufflé `.facts` files) and facts written in rule files carry no dates
//! and are always kept.
//!
//! The filter runs after a table is loaded and only drops rows from [`Facts::relations`]:
//! the relation names stay known (a relation whose every statement expired is empty, not
//! undeclared), and fact ids and origins stay valid for provenance.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{SourceMap, Span};
use crate::facts::load::{Facts, MAX_ERRORS, TableKind};
use std::fmt;
use std::str::FromStr;

/// A calendar day (proleptic Gregorian). Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A date as written in a row: a day, a month or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: Date,
    pub last: Date,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Digits only, exactly `len` of them.
fn digits(s: &str, len: usize) -> Option<u16> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

impl Period {
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; `None` for anything else (including 2016-02-30).
    pub fn parse(s: &str) -> Option<Period> {
        let mut parts = s.split('-');
        let year = digits(parts.next()?, 4)?;
        let month = match parts.next() {
            Some(m) => Some(u8::try_from(digits(m, 2)?).ok().filter(|m| (1..=12).contains(m))?),
            None => None,
        };
        let day = match parts.next() {
            Some(d) => {
                let d = u8::try_from(digits(d, 2)?).ok()?;
                (1..=days_in_month(year, month?)).contains(&d).then_some(d)?;
                Some(d)
            }
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        let date = |month, day| Date { year, month, day };
        Some(match (month, day) {
            (Some(m), Some(d)) => Period { first: date(m, d), last: date(m, d) },
            (Some(m), None) => Period { first: date(m, 1), last: date(m, days_in_month(year, m)) },
            _ => Period { first: date(1, 1), last: date(12, 31) },
        })
    }
}

impl FromStr for Date {
    type Err = String;

    /// A full `YYYY-MM-DD` date, as `--as-of` takes.
    fn from_str(s: &str) -> Result<Date, String> {
        match Period::parse(s) {
            Some(p) if p.first == p.last && s.len() == 10 => Ok(p.first),
            _ => Err(format!("`{s}` is not a date of the form YYYY-MM-DD")),
        }
    }
}

/// Drops from `facts` every statement row not valid on `day`. A `date` or `until` that is
/// not a date is an error at that field; the rows are then left as they were.
pub fn retain_valid(facts: &mut Facts, sources: &SourceMap, day: Date) -> Result<(), Vec<Diagnostic>> {
    // Per table: the field index and column name of `date` and `until`, when present.
    type Column<'t> = Option<(usize, &'t str)>;
    let columns: Vec<(Column, Column)> = facts
        .tables
        .iter()
        .map(|table| {
            let column = |name: &str| {
                let m = table.metadata_columns.iter().position(|c| c.eq_ignore_ascii_case(name))?;
                Some((table.metadata_fields[m], table.metadata_columns[m].as_str()))
            };
            match table.kind {
                TableKind::Statements => (column("date"), column("until")),
                TableKind::Relation => (None, None),
            }
        })
        .collect();
    let mut errors = Vec::new();
    let mut invalid = vec![false; facts.len()];
    for (id, origin) in facts.origins.iter().enumerate() {
        let (from, until) = columns[origin.table as usize];
        if from.is_none() && until.is_none() {
            continue;
        }
        let file = facts.tables[origin.table as usize].file;
        let text = &sources.get(file).text;
        let fields = raw_fields(text, origin.offset as usize);
        let mut check = |column: Column, valid: &dyn Fn(Period) -> bool| {
            let Some((field, name)) = column else { return };
            let Some(&(start, end)) = fields.get(field) else { return };
            let value = unquote(&text[start..end]);
            if value.is_empty() {
                return;
            }
            match Period::parse(value) {
                Some(p) => invalid[id] |= !valid(p),
                None => errors.push(
                    Diagnostic::error(Code::BadDate, format!("`{value}` in column `{name}` is not a date"))
                        .at(Span::new(file, start..end), "not a date")
                        .with_help("write dates as YYYY-MM-DD, YYYY-MM or YYYY (needed by --as-of)"),
                ),
            }
        };
        check(from, &|p| p.first <= day);
        check(until, &|p| day <= p.last);
    }
    if errors.len() > MAX_ERRORS {
        let more = errors.len() - MAX_ERRORS;
        errors.truncate(MAX_ERRORS);
        if let Some(last) = errors.pop() {
            errors.push(last.with_note(format!("{more} more rows have dates that are not dates")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for rows in facts.relations.values_mut() {
        rows.retain(|id| !invalid[id as usize]);
    }
    Ok(())
}

/// The field text without surrounding whitespace and RFC 4180 quotes (dates need no
/// escaping, so doubled quotes inside are left alone).
fn unquote(raw: &str) -> &str {
    let t = raw.trim_ascii();
    t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).map_or(t, str::trim_ascii)
}

/// Byte ranges (in `text`) of the comma-separated fields of the row starting at `offset`,
/// quotes included, so that an error can underline a field exactly as written.
fn raw_fields(text: &str, offset: usize) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut fields = Vec::new();
    let (mut start, mut quoted, mut i) = (offset, false, offset);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                fields.push((start, i));
                start = i + 1;
            }
            b'\n' | b'\r' if !quoted => break,
            _ => {}
        }
        i += 1;
    }
    fields.push((start, i));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn parses_full_and_partial_dates() {
        assert_eq!(Period::parse("2016-11-28"), Some(Period { first: d("2016-11-28"), last: d("2016-11-28") }));
        assert_eq!(Period::parse("2016-02"), Some(Period { first: d("2016-02-01"), last: d("2016-02-29") }));
        assert_eq!(Period::parse("1900-02").map(|p| p.last), Some(d("1900-02-28")));
        assert_eq!(Period::parse("2016"), Some(Period { first: d("2016-01-01"), last: d("2016-12-31") }));
        for bad in ["", "16", "2016-13", "2016-02-30", "2016-1-01", "2016-01-01-", "2016/01/01", "x016"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert!("2016-11".parse::<Date>().is_err());
        assert!("2016-11-28".parse::<Date>().is_ok());
    }

    #[test]
    fn finds_raw_fields_with_quotes() {
        let text = "a,\"b, c\",  2016 \nnext";
        let f = raw_fields(text, 0);
        assert_eq!(f.iter().map(|&(s, e)| &text[s..e]).collect::<Vec<_>>(), vec!["a", "\"b, c\"", "  2016 "]);
        assert_eq!(unquote(" \"2016-01\" "), "2016-01");
    }
}
