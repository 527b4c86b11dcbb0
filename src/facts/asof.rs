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
//! The filter runs while a statement table loads (`crate::facts::load_statement_table`), on
//! the fields the loader has just split, so a date is read exactly as the row's other cells
//! are (quotes, embedded commas and newlines included). A row not valid on the day is not
//! loaded, but its relation name stays known: a relation whose every statement expired is
//! empty, not undeclared.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::Span;
use std::fmt;
use std::str::FromStr;

/// A calendar day (proleptic Gregorian). Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year.
    pub year: u16,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, from 1.
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
    /// The first day of the period.
    pub first: Date,
    /// The last day of the period.
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

/// Whether a statement whose `date` is `from` and whose `until` is `until` (each `None` when
/// the column is absent or the cell empty) is valid on `day`.
pub fn valid_on(day: Date, from: Option<Period>, until: Option<Period>) -> bool {
    from.is_none_or(|p| p.first <= day) && until.is_none_or(|p| day <= p.last)
}

/// The error for a `date` or `until` cell that is not a date, at `span` (the cell).
pub fn not_a_date(value: &str, column: &str, span: Span) -> Diagnostic {
    Diagnostic::error(Code::BadDate, format!("`{value}` in column `{column}` is not a date"))
        .at(span, "not a date")
        .with_help("write dates as YYYY-MM-DD, YYYY-MM or YYYY (needed by --as-of)")
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
    fn keeps_periods_that_cover_the_day() {
        let day = d("2016-06-15");
        let p = |s: &str| Period::parse(s);
        assert!(valid_on(day, None, None));
        assert!(valid_on(day, p("2016"), p("2016-06")));
        assert!(valid_on(day, p("2016-06-15"), p("2016-06-15")));
        assert!(!valid_on(day, p("2016-06-16"), None));
        assert!(!valid_on(day, p("2020"), None));
        assert!(!valid_on(day, None, p("2016-05")));
    }
}
