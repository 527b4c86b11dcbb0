//! Dates and validity intervals: `--as-of DATE` keeps only the rows valid on a date, and
//! evaluation with time (`engine::temporal`) carries each row's [`Interval`].
//!
//! A statement table may have a `date` column (when the statement was reported, read as
//! "valid from") and an `until` column (the last day it holds). A row is valid on day `D`
//! when its `date` is empty or starts on or before `D`, and its `until` is empty or ends on
//! or after `D` (`until` is inclusive). Dates are `YYYY-MM-DD`, or partial: `YYYY-MM` and
//! `YYYY` stand for the whole month or year, so a partial `date` is valid from the first
//! day of its period and a partial `until` holds through the last day of its period.
//!
//! Facts written in rule files carry no dates and are always kept; so are relation tables
//! (Soufflé `.facts` files) unless their `.input` names interval columns (`from=`, `until=`,
//! [`interval_columns`]): a `number` there is a year, a `symbol` a date as above.
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

impl Period {
    /// Whether this period is certainly later than `other`: it starts after `other` ends. A
    /// partial date is the whole period it names, so `2016-11-27` is not after `2016` (the
    /// report dated `2016` may be from December), but `2017` and `2016-12` are; overlapping
    /// periods are incomparable (neither is after the other).
    pub fn after(self, other: Period) -> bool {
        self.first > other.last
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

/// A day as a number: days since 1970-01-01 (negative before), so that intervals compare and
/// intersect as plain integers inside evaluation (see `engine::temporal`).
pub type Day = i32;

/// The start of an interval open to the past (no `date`).
pub const DAWN: Day = i32::MIN;
/// The end of an interval open to the future (no `until`).
pub const FOREVER: Day = i32::MAX;

impl Date {
    /// The day's number (days since 1970-01-01; Hinnant's `days_from_civil`).
    pub fn day_number(self) -> Day {
        let (m, d) = (i32::from(self.month), i32::from(self.day));
        let y = i32::from(self.year) - i32::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date of a day number (the inverse of [`Date::day_number`]); `None` outside the
    /// years 0 to 9999 (the open ends [`DAWN`] and [`FOREVER`] among them).
    pub fn from_day_number(n: Day) -> Option<Date> {
        let z = i64::from(n) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        ((0..=9999).contains(&year)).then_some(Date { year: year as u16, month: month as u8, day: day as u8 })
    }
}

/// A closed interval of days, `[from, until]`; [`DAWN`] and [`FOREVER`] leave an end open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    /// The first day.
    pub from: Day,
    /// The last day (inclusive).
    pub until: Day,
}

impl Interval {
    /// Every day: facts in rule files, constants, tables without dates.
    pub const ALWAYS: Interval = Interval { from: DAWN, until: FOREVER };

    /// A statement's interval from its `date` and `until` cells (`None`: empty or absent):
    /// from the first day of `date`'s period to the last day of `until`'s.
    pub fn of_periods(from: Option<Period>, until: Option<Period>) -> Interval {
        Interval {
            from: from.map_or(DAWN, |p| p.first.day_number()),
            until: until.map_or(FOREVER, |p| p.last.day_number()),
        }
    }

    /// Whether the interval holds on `day`.
    pub fn contains(self, day: Day) -> bool {
        self.from <= day && day <= self.until
    }

    /// Whether no day is in it (`from` after `until`).
    pub fn is_empty(self) -> bool {
        self.from > self.until
    }
}

/// A day number as a date (`YYYY-MM-DD`), or the empty string for an open end.
pub fn day_text(n: Day) -> String {
    if n == DAWN || n == FOREVER {
        return String::new();
    }
    Date::from_day_number(n).map_or_else(|| n.to_string(), |d| d.to_string())
}

/// The columns an `.input` directive names as a relation table's interval (`from=`,
/// `until=`), by index; `None` when it names neither.
pub fn interval_columns(rel: &crate::lang::ir::Relation) -> Option<(Option<usize>, Option<usize>)> {
    let spec = rel.inputs.iter().find(|s| s.params.contains_key("from") || s.params.contains_key("until"))?;
    let column = |key: &str| spec.params.get(key).and_then(|name| rel.columns.iter().position(|c| c == name));
    Some((column("from"), column("until")))
}

/// The validity interval of each row of a relation table whose `.input` names interval
/// columns ([`interval_columns`]): a `number` is a year, a `symbol` a date as in a statement
/// table (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`; empty or `NA` leaves that end open). Returns
/// (fact id, interval) per row, or a diagnostic per bad cell.
pub fn table_intervals(
    rel: &crate::lang::ir::Relation,
    rows: &crate::facts::load::FactRows,
    facts: &crate::facts::load::Facts,
    symbols: &crate::base::value::Symbols,
    sources: &crate::base::source::SourceMap,
) -> Result<Vec<(u32, Interval)>, Vec<Diagnostic>> {
    let Some((from, until)) = interval_columns(rel) else { return Ok(Vec::new()) };
    let mut out = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (tuple, id) in rows.iter() {
        if facts.table_of(id).kind != crate::facts::load::TableKind::Relation {
            continue;
        }
        let mut cell = |column: Option<usize>| -> Result<Option<Period>, ()> {
            let Some(c) = column else { return Ok(None) };
            // A number is a year (`1993`), a symbol a date as written.
            let text = crate::base::value::display(tuple[c], rel.types[c], symbols).trim().to_string();
            if text.is_empty() || text == "NA" {
                return Ok(None);
            }
            Period::parse(&text).map(Some).ok_or_else(|| {
                // The row (a relation table's origin keeps its line, not its offset).
                let file = facts.table_of(id).file;
                let whole = &sources.get(file).text;
                let line = sources.get(file).line_text(facts.origin(id).line as usize);
                let at = (line.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
                errors.push(not_a_date(&text, &rel.columns[c], Span::new(file, at..at + line.len())));
            })
        };
        if let (Ok(f), Ok(u)) = (cell(from), cell(until)) {
            out.push((id, Interval::of_periods(f, u)));
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The error for a `date` or `until` cell that is not a date, at `span` (the cell).
pub fn not_a_date(value: &str, column: &str, span: Span) -> Diagnostic {
    Diagnostic::error(Code::BadDate, format!("`{value}` in column `{column}` is not a date"))
        .at(span, "not a date")
        .with_help("write dates as YYYY-MM-DD, YYYY-MM or YYYY (read by --as-of and by evaluation with time)")
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

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(d("1970-01-01").day_number(), 0);
        assert_eq!(d("2016-11-28").day_number() - d("2016-11-27").day_number(), 1);
        assert_eq!(d("2017-01-01").day_number() - d("2016-01-01").day_number(), 366);
        for s in ["0001-01-01", "1600-02-29", "1969-12-31", "2000-03-01", "2016-02-29", "9999-12-31"] {
            assert_eq!(Date::from_day_number(d(s).day_number()), Some(d(s)), "{s}");
        }
        assert_eq!(day_text(DAWN), "");
        assert_eq!(day_text(FOREVER), "");
        let year = Interval::of_periods(Period::parse("1993"), Period::parse("1994"));
        assert_eq!((day_text(year.from), day_text(year.until)), ("1993-01-01".into(), "1994-12-31".into()));
    }
}
