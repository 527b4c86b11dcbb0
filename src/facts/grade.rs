//! Grades and confidences of statement rows, and the `--min-grade` / `--min-confidence`
//! filters applied as statement tables load.
//!
//! A grade is the NATO / Admiralty code analysts already write (STANAG 2511): the source's
//! reliability `A` (completely reliable) to `F` (cannot be judged) and the information's
//! credibility `1` (confirmed) to `6` (cannot be judged), written together: `B2`. `F` and
//! `6` rank lowest on their scales: a proof resting on an unjudged source is no stronger than
//! one resting on an unreliable one. The two scales are kept apart, so grades are only
//! partially ordered: `B2` is at least `C3`, but `B3` and `C2` are incomparable.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::Span;
use std::fmt;
use std::str::FromStr;

/// One grade. Both scales count from 0 = best (`A`, `1`) to 5 = worst (`F`, `6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grade {
    /// The source's reliability, `A` (0) to `F` (5).
    pub reliability: u8,
    /// The information's credibility, `1` (0) to `6` (5).
    pub credibility: u8,
}

impl Grade {
    /// Every grade, best reliability first.
    pub fn all() -> impl Iterator<Item = Grade> {
        (0..6).flat_map(|reliability| (0..6).map(move |credibility| Grade { reliability, credibility }))
    }

    /// Whether this grade is at least `other` on both scales (the partial order).
    pub fn at_least(self, other: Grade) -> bool {
        self.reliability <= other.reliability && self.credibility <= other.credibility
    }

    /// The weaker of two grades on each scale: what a proof resting on both is worth.
    pub fn meet(self, other: Grade) -> Grade {
        Grade {
            reliability: self.reliability.max(other.reliability),
            credibility: self.credibility.max(other.credibility),
        }
    }

    /// Index of the grade among the 36 (0 = `A1`), for bit sets of grades.
    pub fn index(self) -> u32 {
        u32::from(self.reliability) * 6 + u32::from(self.credibility)
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", (b'A' + self.reliability) as char, self.credibility + 1)
    }
}

impl FromStr for Grade {
    type Err = ();

    /// `B2` (the letter in either case); anything else is not a grade.
    fn from_str(s: &str) -> Result<Grade, ()> {
        match s.as_bytes() {
            [r, c] => {
                let r = r.to_ascii_uppercase();
                if (b'A'..=b'F').contains(&r) && (b'1'..=b'6').contains(c) {
                    Ok(Grade { reliability: r - b'A', credibility: c - b'1' })
                } else {
                    Err(())
                }
            }
            _ => Err(()),
        }
    }
}

/// A confidence in [0, 1], written as a decimal number (`0.8`, `1`, `.5`).
pub fn parse_confidence(s: &str) -> Option<f32> {
    // Only digits and one point: no `NaN`, `inf`, exponents or signs.
    if s.is_empty()
        || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || s.bytes().filter(|&b| b == b'.').count() > 1
    {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    (0.0..=1.0).contains(&v).then_some(v as f32)
}

/// A cell of a `grade` or `confidence` column that is neither empty nor valid.
pub fn bad_cell(value: &str, column: &str, span: Span) -> Diagnostic {
    let (label, help) = if column.eq_ignore_ascii_case("grade") {
        (
            "not a grade",
            "write a grade as a reliability letter A-F and a credibility digit 1-6, as in `B2`; leave the cell empty for none",
        )
    } else {
        (
            "not a confidence",
            "write a confidence as a decimal number from 0 to 1, as in `0.8`; leave the cell empty for none",
        )
    };
    Diagnostic::error(Code::BadGrade, format!("`{value}` in column `{column}` is {label}"))
        .at(span, label)
        .with_help(help)
}

/// Which statement rows load: `--as-of`, `--min-grade`, `--min-confidence`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RowFilter {
    /// Keep only the statements valid on this day (see [`crate::facts::asof`]).
    pub as_of: Option<crate::facts::asof::Date>,
    /// Keep only the statements graded at least this (on both scales); ungraded rows go.
    pub min_grade: Option<Grade>,
    /// Keep only the statements with at least this confidence; rows without one go.
    pub min_confidence: Option<f32>,
    /// Record every row's validity interval in [`crate::facts::load::Facts::intervals`]
    /// (temporal evaluation; a `date` or `until` that is not a date is then an error).
    pub with_time: bool,
    /// Keep only the rows of this part of each table (see [`crate::facts::part`]); every
    /// row is still read and checked.
    pub part: Option<crate::facts::part::Part>,
}

impl RowFilter {
    /// Only `--as-of`.
    pub fn as_of(day: Option<crate::facts::asof::Date>) -> RowFilter {
        RowFilter { as_of: day, ..RowFilter::default() }
    }

    /// Whether a row with this grade and confidence passes the grade filters.
    pub fn keeps(&self, grade: Option<Grade>, confidence: Option<f32>) -> bool {
        self.min_grade.is_none_or(|min| grade.is_some_and(|g| g.at_least(min)))
            && self.min_confidence.is_none_or(|min| confidence.is_some_and(|c| c >= min))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Grade {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_prints_grades() {
        for s in ["A1", "B2", "F6", "C5"] {
            assert_eq!(g(s).to_string(), s);
        }
        assert_eq!(g("b2"), g("B2"));
        for bad in ["", "B", "2", "G1", "A0", "A7", "B22", "2B", " B2", "Б2"] {
            assert!(bad.parse::<Grade>().is_err(), "{bad}");
        }
        assert_eq!(Grade::all().count(), 36);
        assert_eq!(Grade::all().map(Grade::index).collect::<Vec<_>>(), (0..36).collect::<Vec<_>>());
    }

    #[test]
    fn the_partial_order_keeps_the_scales_apart() {
        assert!(g("B2").at_least(g("C3")));
        assert!(g("B2").at_least(g("B2")));
        assert!(!g("C3").at_least(g("B2")));
        assert!(!g("B3").at_least(g("C2")) && !g("C2").at_least(g("B3")));
        assert_eq!(g("B3").meet(g("C2")), g("C3"));
        assert_eq!(g("A1").meet(g("F6")), g("F6"));
    }

    #[test]
    fn parses_confidences() {
        assert_eq!(parse_confidence("0.8"), Some(0.8));
        assert_eq!(parse_confidence("1"), Some(1.0));
        assert_eq!(parse_confidence(".5"), Some(0.5));
        assert_eq!(parse_confidence("0"), Some(0.0));
        for bad in ["", "1.5", "-0.1", "NaN", "inf", "1e-1", "0.5.1", "x", "+0.5", "."] {
            assert_eq!(parse_confidence(bad), None, "{bad}");
        }
    }

    #[test]
    fn filters_rows() {
        let f = RowFilter { min_grade: Some(g("B3")), ..RowFilter::default() };
        assert!(f.keeps(Some(g("B3")), None));
        assert!(f.keeps(Some(g("A1")), None));
        assert!(!f.keeps(Some(g("C1")), None));
        assert!(!f.keeps(Some(g("B4")), None));
        assert!(!f.keeps(None, None));
        let f = RowFilter { min_confidence: Some(0.6), ..RowFilter::default() };
        assert!(f.keeps(None, Some(0.6)));
        assert!(!f.keeps(None, Some(0.5)));
        assert!(!f.keeps(Some(g("A1")), None));
        assert!(RowFilter::default().keeps(None, None));
    }
}
