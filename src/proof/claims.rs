//! Claim files for `stance review`: what a reviewer expects the knowledge base to say.
//!
//! The `.claims` syntax, one claim per `.`-terminated statement:
//!
//! ```text
//! // Russia's backing of Tobruk is in the article.      ← comment lines above: the note
//! aligned("Russia", "Tobruk").                         expect: derivable
//! !conflict("Egypt", "Tobruk").                        expect: not derivable
//! count aligned(_, "Haftar") = 11.                     expect: that many matching tuples
//! contradicted aligned("Egypt", "GNA").                expect: it collides with a constraint
//! aligned("Egypt", "Haftar") >= B2.                    expect: derivable, graded at least B2
//! aligned("Russia", "Haftar") @ 2016-11-28.           expect: derivable on that day
//! !aligned("Russia", "Haftar") during 2015.           expect: derivable on no day of 2015
//! ```
//!
//! `@ YYYY-MM-DD` (after any `= N` or `>= GRADE`) judges any claim on that day, as
//! `--as-of` would; `during P` (`P` a year, month or day) judges `claim.` and `!claim.` on
//! the days of `P`: some day for `claim.`, none for `!claim.` (see README "Time").
//!
//! A `//` comment on the line of a claim, after it, is also part of its note; `/* */`
//! comments are ignored. Claims take constants, variables and `_` (a pattern holds when
//! some tuple matches it); `contradicted` needs constants only.
//!
//! The same as CSV (`*.csv`): a header with a `claim` column and optional `expect`, `grade`
//! and `note` columns; `expect` is `supported` (or empty), `not supported`, `contradicted` or
//! `count = N`; `grade` (empty for none) asks a `supported` claim for a grade, as `>= B2`;
//! optional `at` (a day) and `during` (a period) columns give the time.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::one_line;
use crate::base::source::{FileId, SourceMap, Span};
use crate::base::value::Symbols;
use crate::facts::asof::{Date, Period};
use crate::facts::grade::Grade;
use crate::lang::ir;
use crate::lang::syntax::{self, ast};
use crate::proof::pattern::{self, Claim, ClaimArg};

/// What the reviewer expects of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The claim holds.
    Supported,
    /// The claim does not hold.
    NotSupported,
    /// The claim would complete a constraint violation.
    Contradicted,
    /// This many tuples match the pattern.
    Count(u64),
}

impl Expect {
    /// `supported`, `not supported`, `contradicted`, `count = N` (the CSV vocabulary).
    pub fn describe(self) -> String {
        match self {
            Expect::Supported => "supported".into(),
            Expect::NotSupported => "not supported".into(),
            Expect::Contradicted => "contradicted".into(),
            Expect::Count(n) => format!("count = {n}"),
        }
    }
}

/// One claim of a claims file.
#[derive(Debug, Clone)]
pub struct ClaimSpec {
    /// The claim, resolved against the program.
    pub claim: Claim,
    /// What the reviewer expects of it.
    pub expect: Expect,
    /// The comment lines above the claim, if any.
    pub note: Option<String>,
    /// Where it is written.
    pub span: Span,
    /// `>= B2`: a supported claim must also be graded at least this (some proof of some
    /// matching tuple has every premise at least `B2`, see [`crate::proof::grades`]).
    pub min_grade: Option<Grade>,
    /// `@ DAY` or `during PERIOD`: when the claim is judged (`None`: on the model of the
    /// run, all dates or `--as-of`).
    pub when: Option<When>,
}

/// When a claim is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// `@ 2016-11-28`: on that day.
    On(Date),
    /// `during 2016`: on some day of the period (for `!claim`, on none).
    During(Period),
}

impl When {
    /// ` @ 2016-11-28`, ` during 2016`: the suffix as written in `.claims` syntax.
    pub fn suffix(self) -> String {
        match self {
            When::On(d) => format!(" @ {d}"),
            When::During(p) => format!(" during {}", period_text(p)),
        }
    }
}

/// A period as written: `2016`, `2016-11` or `2016-11-28`.
pub fn period_text(p: Period) -> String {
    let (f, l) = (p.first, p.last);
    if f == l {
        f.to_string()
    } else if (f.month, f.day, l.month, l.day) == (1, 1, 12, 31) {
        format!("{:04}", f.year)
    } else {
        format!("{:04}-{:02}", f.year, f.month)
    }
}

impl ClaimSpec {
    /// The claim in `.claims` syntax: `!conflict("Egypt", "Tobruk")`, `count aligned(_, "Haftar") = 11`.
    pub fn text(&self) -> String {
        let when = self.when.map(When::suffix).unwrap_or_default();
        let claim = match self.expect {
            Expect::Supported if let Some(g) = self.min_grade => format!("{} >= {g}", self.claim.text),
            Expect::Supported => self.claim.text.clone(),
            Expect::NotSupported => format!("!{}", self.claim.text),
            Expect::Contradicted => format!("contradicted {}", self.claim.text),
            Expect::Count(n) => format!("count {} = {n}", self.claim.text),
        };
        format!("{claim}{when}")
    }
}

/// Parses a claims file already in `sources`: CSV when its name ends in `.csv`, the
/// `.claims` syntax otherwise. Every problem is reported, located in the file.
pub fn parse(
    file: FileId,
    sources: &mut SourceMap,
    program: &ir::Program,
    symbols: &Symbols,
) -> Result<Vec<ClaimSpec>, Vec<Diagnostic>> {
    if sources.get(file).name.to_ascii_lowercase().ends_with(".csv") {
        parse_csv(file, sources, program, symbols)
    } else {
        parse_claims(file, sources, program, symbols)
    }
}

fn bad(span: Span, message: impl Into<String>, label: &str) -> Diagnostic {
    Diagnostic::error(Code::BadClaim, message).at(span, label.to_string())
}

/// One `.`-terminated statement of a `.claims` file.
struct Statement {
    start: usize,
    /// The byte offset of the terminating `.`.
    dot: usize,
    note: Vec<String>,
}

/// Splits a `.claims` file into statements, skipping comments and keeping `//` comment
/// lines as notes (those directly above a statement, and one after it on its last line).
fn statements(file: FileId, text: &str) -> (Vec<Statement>, Vec<Diagnostic>) {
    let bytes = text.as_bytes();
    let line_of = |i: usize| text[..i].matches('\n').count();
    let mut out: Vec<Statement> = Vec::new();
    let mut errors = Vec::new();
    // Comment lines waiting for the statement below them: (line, text).
    let mut above: Vec<(usize, String)> = Vec::new();
    let mut start: Option<usize> = None;
    let mut last_end_line: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            let comment = text[i + 2..end].trim().to_string();
            let line = line_of(i);
            if start.is_none() && last_end_line == Some(line) {
                if let Some(last) = out.last_mut()
                    && !comment.is_empty()
                {
                    last.note.push(comment);
                }
            } else if start.is_none() {
                above.push((line, comment));
            }
            i = end;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            match text[i + 2..].find("*/") {
                Some(n) => i = i + 2 + n + 2,
                None => {
                    errors.push(bad(Span::new(file, i..i + 2), "unterminated `/*` comment", "opened here"));
                    return (out, errors);
                }
            }
        } else if b == b'"' {
            start.get_or_insert(i);
            let mut j = i + 1;
            loop {
                match bytes.get(j) {
                    Some(b'\\') => j += 2,
                    Some(b'"') => break,
                    Some(b'\n') | None => {
                        errors.push(bad(Span::new(file, i..j), "unterminated string", "this string is not closed"));
                        return (out, errors);
                    }
                    Some(_) => j += 1,
                }
            }
            i = j + 1;
        } else if b == b'.' && start.is_some() {
            let s = start.take().unwrap_or(i);
            let line = line_of(s);
            // The comment block directly above the statement is its note.
            let mut note = Vec::new();
            let mut expected = line;
            for (l, c) in above.iter().rev() {
                if *l + 1 != expected {
                    break;
                }
                note.push(c.clone());
                expected = *l;
            }
            note.reverse();
            note.retain(|c| !c.is_empty());
            above.clear();
            out.push(Statement { start: s, dot: i, note });
            last_end_line = Some(line_of(i));
            i += 1;
        } else {
            if !b.is_ascii_whitespace() {
                start.get_or_insert(i);
            }
            i += 1;
        }
    }
    if let Some(s) = start {
        let end = text.trim_end().len().max(s + 1);
        errors.push(bad(Span::new(file, s..end), "this claim does not end with `.`", "add a `.` at the end"));
    }
    (out, errors)
}

fn parse_claims(
    file: FileId,
    sources: &mut SourceMap,
    program: &ir::Program,
    symbols: &Symbols,
) -> Result<Vec<ClaimSpec>, Vec<Diagnostic>> {
    let text = sources.get(file).text.clone();
    let (stmts, mut errors) = statements(file, &text);
    let mut out = Vec::new();
    for st in stmts {
        let span = Span::new(file, st.start..st.dot + 1);
        let Some((st, when)) = without_time(file, &text, st, &mut errors) else { continue };
        let body = &text[st.start..st.dot];
        let mut min_grade = None;
        let (expect, atom_start, atom_end) = if let Some(rest) = body.strip_prefix('!') {
            (Expect::NotSupported, st.start + 1 + (rest.len() - rest.trim_start().len()), st.dot)
        } else if let Some(rest) = keyword(body, "contradicted") {
            (Expect::Contradicted, st.dot - rest.len(), st.dot)
        } else if let Some(rest) = keyword(body, "count") {
            let Some(eq) = last_unquoted(body, b'=') else {
                errors.push(bad(span, "a count claim needs the expected count: `count rel(...) = N.`", "no `= N`"));
                continue;
            };
            let number = body[eq + 1..].trim();
            let number_span = Span::new(file, st.start + eq + 1..st.dot);
            match number.parse::<u64>() {
                Ok(n) => (Expect::Count(n), st.dot - rest.len(), st.start + eq),
                Err(_) => {
                    errors.push(bad(
                        number_span,
                        format!("the expected count must be a whole number, got `{number}`"),
                        "not a count",
                    ));
                    continue;
                }
            }
        } else if let Some(eq) = last_unquoted(body, b'=')
            && body[..eq].ends_with('>')
        {
            let written = body[eq + 1..].trim();
            let at = st.start + eq + 1 + (body[eq + 1..].len() - body[eq + 1..].trim_start().len());
            match written.parse::<Grade>() {
                Ok(g) => min_grade = Some(g),
                Err(()) => {
                    errors.push(
                        bad(
                            Span::new(file, at..at + written.len()),
                            format!("`{written}` is not a grade"),
                            "not a grade",
                        )
                        .with_help("a grade is a reliability letter A-F and a credibility digit 1-6, as in `B2`"),
                    );
                    continue;
                }
            }
            (Expect::Supported, st.start, st.start + eq - 1)
        } else {
            (Expect::Supported, st.start, st.dot)
        };
        match parse_atom(file, &text, atom_start..atom_end, program, symbols) {
            Ok(claim) => {
                match check_claim(&claim, expect, span).and_then(|()| check_when(when, expect, min_grade, span)) {
                    Ok(()) => out.push(ClaimSpec {
                        claim,
                        expect,
                        note: (!st.note.is_empty()).then(|| st.note.join(" ")),
                        span,
                        min_grade,
                        when,
                    }),
                    Err(d) => errors.push(d),
                }
            }
            Err(d) => errors.extend(d),
        }
    }
    if errors.is_empty() {
        return Ok(out);
    }
    errors.sort_by_key(|d| d.primary.as_ref().map(|l| (l.span.start, l.span.end)));
    Err(errors)
}

/// A claim's time suffix in `text[range]`: `@ YYYY-MM-DD` after the last unquoted `@`, or
/// `during PERIOD` after the atom's closing parenthesis; returns where the claim before it
/// ends, or a diagnostic at a date that is not one.
fn time_suffix(file: FileId, text: &str, range: std::ops::Range<usize>) -> Result<Option<(usize, When)>, Diagnostic> {
    let body = &text[range.clone()];
    let (cut, keyword_len, on) = if let Some(at) = last_unquoted(body, b'@') {
        (at, 1, true)
    } else {
        let after = last_unquoted(body, b')').map_or(0, |p| p + 1);
        let tail = &body[after..];
        let found = tail.match_indices("during").find(|&(i, w)| {
            let before = tail[..i].chars().next_back();
            let next = tail[i + w.len()..].chars().next();
            before.is_none_or(|c| c.is_whitespace() || c == ')') && next.is_some_and(char::is_whitespace)
        });
        match found {
            Some((i, _)) => (after + i, "during".len(), false),
            None => return Ok(None),
        }
    };
    let written = body[cut + keyword_len..].trim();
    let lead = body[cut + keyword_len..].len() - body[cut + keyword_len..].trim_start().len();
    let at = range.start + cut + keyword_len + lead;
    let span = Span::new(file, at..at + written.len());
    let when = if on { written.parse::<Date>().ok().map(When::On) } else { Period::parse(written).map(When::During) };
    match when {
        Some(when) => Ok(Some((range.start + cut, when))),
        None if on => Err(bad(span, format!("`{written}` is not a day"), "not a date")
            .with_help("write `@ YYYY-MM-DD`; for a year or a month, `during 2016` or `during 2016-11`")),
        None => Err(bad(span, format!("`{written}` is not a period"), "not a period")
            .with_help("write `during YYYY`, `during YYYY-MM` or `during YYYY-MM-DD`")),
    }
}

/// The statement without its time suffix, and the time; `None` (with the error) when the
/// time is not one.
fn without_time(
    file: FileId,
    text: &str,
    st: Statement,
    errors: &mut Vec<Diagnostic>,
) -> Option<(Statement, Option<When>)> {
    match time_suffix(file, text, st.start..st.dot) {
        Ok(Some((cut, when))) => Some((Statement { dot: cut, ..st }, Some(when))),
        Ok(None) => Some((st, None)),
        Err(d) => {
            errors.push(d);
            None
        }
    }
}

/// `during` judges whether a claim holds on some day of a period: `claim.` and `!claim.`
/// only (a count or a grade changes from day to day; `@ DAY` takes them).
fn check_when(when: Option<When>, expect: Expect, min_grade: Option<Grade>, span: Span) -> Result<(), Diagnostic> {
    let Some(When::During(_)) = when else { return Ok(()) };
    if matches!(expect, Expect::Supported | Expect::NotSupported) && min_grade.is_none() {
        return Ok(());
    }
    Err(bad(span, "`during` applies to `claim.` and `!claim.` only", "count, grade or contradicted with `during`")
        .with_help("judge it on one day with `@ YYYY-MM-DD`"))
}

/// The rest of `text` after a leading keyword followed by white space.
fn keyword<'t>(text: &'t str, word: &str) -> Option<&'t str> {
    let rest = text.strip_prefix(word)?;
    rest.starts_with(|c: char| c.is_whitespace()).then(|| rest.trim_start())
}

/// The byte offset of the last `byte` outside string literals.
fn last_unquoted(text: &str, byte: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut i, mut found, mut in_string) = (0, None, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b if b == byte && !in_string => found = Some(i),
            _ => {}
        }
        i += 1;
    }
    found
}

/// Parses the atom at `range` of `text` (file `file`) with the rule parser, so that its
/// diagnostics point into the file: everything else is blanked out, lines kept.
fn parse_atom(
    file: FileId,
    text: &str,
    range: std::ops::Range<usize>,
    program: &ir::Program,
    symbols: &Symbols,
) -> Result<Claim, Vec<Diagnostic>> {
    let mut masked: Vec<u8> = text.bytes().map(|b| if b == b'\n' { b'\n' } else { b' ' }).collect();
    masked[range.clone()].copy_from_slice(&text.as_bytes()[range.clone()]);
    let atom_text = text[range.clone()].trim();
    // Drop a `.` the claim may end with, then end it with one.
    let end = range.start + text[range.clone()].trim_end().trim_end_matches('.').len();
    for b in &mut masked[end..range.end] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
    if end < masked.len() && masked[end] != b'\n' {
        masked[end] = b'.';
    } else {
        masked.insert(end, b'.');
    }
    let masked = String::from_utf8(masked).unwrap_or_default();
    let span = Span::new(file, range.start..end.max(range.start));
    if atom_text.is_empty() {
        return Err(vec![bad(span, "expected a claim such as `aligned(\"Egypt\", \"Haftar\")`", "empty claim")]);
    }
    let (parsed, errors) = syntax::parse_file(file, &masked);
    if !errors.is_empty() {
        return Err(errors);
    }
    let atom = match parsed.items.as_slice() {
        [ast::Item::Rule(ast::Rule { heads, body: None, .. })] if heads.len() == 1 => &heads[0],
        _ => {
            return Err(vec![bad(
                span,
                format!("expected one atom such as `aligned(\"Egypt\", x)`, got `{}`", one_line(atom_text)),
                "not a single atom",
            )]);
        }
    };
    let text = one_line(text.get(atom.span.range()).unwrap_or(atom_text));
    pattern::resolve_claim(atom, text, program, symbols)
}

/// A `contradicted` claim must be ground: contradiction is checked for one tuple.
fn check_claim(claim: &Claim, expect: Expect, span: Span) -> Result<(), Diagnostic> {
    if expect == Expect::Contradicted && claim.args.iter().any(|a| matches!(a, ClaimArg::Var(_) | ClaimArg::Wildcard)) {
        return Err(bad(span, "a `contradicted` claim takes constants only", "has a variable or `_`")
            .with_help("contradiction is checked for one tuple; name every argument"));
    }
    Ok(())
}

/// The byte ranges of the raw fields of the CSV record that starts at `start` (quotes
/// included), found by scanning the text as RFC 4180 does.
fn field_ranges(text: &str, start: usize) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = start;
    loop {
        let field_start = i;
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'"' {
                    if bytes.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
        }
        while i < bytes.len() && !matches!(bytes[i], b',' | b'\n' | b'\r') {
            i += 1;
        }
        out.push(field_start..i);
        if bytes.get(i) == Some(&b',') {
            i += 1;
        } else {
            return out;
        }
    }
}

fn parse_csv(
    file: FileId,
    sources: &mut SourceMap,
    program: &ir::Program,
    symbols: &Symbols,
) -> Result<Vec<ClaimSpec>, Vec<Diagnostic>> {
    let text = sources.get(file).text.clone();
    let name = sources.get(file).name.clone();
    let whole = Span::new(file, 0..text.find('\n').unwrap_or(text.len()));
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_ascii_lowercase()).collect::<Vec<_>>(),
        Err(e) => return Err(vec![bad(whole, format!("cannot read the header: {e}"), "header")]),
    };
    let column = |name: &str| headers.iter().position(|h| h == name);
    let Some(claim_col) = column("claim") else {
        return Err(vec![
            bad(whole, "a claims CSV needs a `claim` column", "header without `claim`")
                .with_help("write the header `claim,expect,note`"),
        ]);
    };
    let (expect_col, note_col, grade_col) = (column("expect"), column("note"), column("grade"));
    let (at_col, during_col) = (column("at"), column("during"));
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let offset = char_floor(&text, e.position().map_or(0, |p| p.byte() as usize));
                let end = text[offset..].find('\n').map_or(text.len(), |n| offset + n);
                errors.push(bad(Span::new(file, offset..end), format!("not a CSV row: {e}"), "this row"));
                continue;
            }
        };
        let offset = char_floor(&text, record.position().map_or(0, |p| p.byte() as usize));
        let ranges = field_ranges(&text, offset);
        let field_span = |i: usize| match ranges.get(i) {
            Some(r) => Span::new(file, r.clone()),
            None => Span::new(file, offset..ranges.last().map_or(offset, |r| r.end)),
        };
        let claim_text = record.get(claim_col).unwrap_or("").trim();
        if claim_text.is_empty() && record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let expect_text = expect_col.and_then(|c| record.get(c)).unwrap_or("").trim();
        let expect = match parse_expect(expect_text) {
            Some(e) => e,
            None => {
                errors.push(
                    bad(
                        field_span(expect_col.unwrap_or(claim_col)),
                        format!("unknown expectation `{expect_text}`"),
                        "not an expectation",
                    )
                    .with_help("write `supported`, `not supported`, `contradicted` or `count = N`"),
                );
                continue;
            }
        };
        let Ok(min_grade) = csv_grade(grade_col.map(|c| (record.get(c).unwrap_or("").trim(), field_span(c))), expect)
        else {
            let c = grade_col.unwrap_or(claim_col);
            errors.push(csv_grade_error(record.get(c).unwrap_or("").trim(), field_span(c), expect));
            continue;
        };
        let Some(when) = csv_when(&record, (at_col, during_col), &field_span, &mut errors) else { continue };
        // The claim is parsed in a copy of the file that holds only the unquoted claim at
        // the field's place, so that diagnostics name the right file, line and column.
        let raw = ranges.get(claim_col).cloned().unwrap_or(offset..offset);
        let (copy, at, len) = claim_copy(&text, raw, record.get(claim_col).unwrap_or(""), claim_text);
        let copy_file = sources.add(name.clone(), copy.clone());
        let span = field_span(claim_col);
        match parse_atom(copy_file, &copy, at..at + len, program, symbols) {
            Ok(claim) => {
                match check_claim(&claim, expect, span).and_then(|()| check_when(when, expect, min_grade, span)) {
                    Ok(()) => {
                        let note = note_col.and_then(|c| record.get(c)).map(str::trim).filter(|n| !n.is_empty());
                        out.push(ClaimSpec { claim, expect, note: note.map(str::to_string), span, min_grade, when });
                    }
                    Err(d) => errors.push(d),
                }
            }
            Err(d) => errors.extend(d),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The `at` (a day) or `during` (a period) cell of a claims CSV row; `None` (with the error
/// in `errors`) when it is not one, or both are given.
fn csv_when(
    record: &csv::StringRecord,
    columns: (Option<usize>, Option<usize>),
    field_span: &dyn Fn(usize) -> Span,
    errors: &mut Vec<Diagnostic>,
) -> Option<Option<When>> {
    csv_when_cells(record, columns, field_span).map_err(|d| errors.push(d)).ok()
}

fn csv_when_cells(
    record: &csv::StringRecord,
    (at_col, during_col): (Option<usize>, Option<usize>),
    field_span: &dyn Fn(usize) -> Span,
) -> Result<Option<When>, Diagnostic> {
    let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::trim).filter(|s| !s.is_empty());
    match (cell(at_col), cell(during_col)) {
        (Some(_), Some(_)) => {
            Err(bad(field_span(during_col.unwrap_or(0)), "a claim takes `at` or `during`, not both", "both given"))
        }
        (Some(day), None) => day.parse::<Date>().map(|d| Some(When::On(d))).map_err(|_| {
            bad(field_span(at_col.unwrap_or(0)), format!("`{day}` is not a day"), "not a date")
                .with_help("write YYYY-MM-DD")
        }),
        (None, Some(p)) => Period::parse(p).map(|p| Some(When::During(p))).ok_or_else(|| {
            bad(field_span(during_col.unwrap_or(0)), format!("`{p}` is not a period"), "not a period")
                .with_help("write YYYY, YYYY-MM or YYYY-MM-DD")
        }),
        (None, None) => Ok(None),
    }
}

/// A claims CSV's `grade` cell: empty for none, else a grade, for a `supported` claim only.
fn csv_grade(cell: Option<(&str, Span)>, expect: Expect) -> Result<Option<Grade>, ()> {
    match cell {
        None | Some(("", _)) => Ok(None),
        Some((text, _)) if expect == Expect::Supported => text.parse::<Grade>().map(Some),
        Some(_) => Err(()),
    }
}

/// Why a `grade` cell was refused: not a grade, or a grade on a claim that is not `supported`.
fn csv_grade_error(text: &str, span: Span, expect: Expect) -> Diagnostic {
    if expect == Expect::Supported {
        bad(span, format!("`{text}` is not a grade"), "not a grade")
            .with_help("a grade is a reliability letter A-F and a credibility digit 1-6, as in `B2`; leave the cell empty for none")
    } else {
        bad(span, format!("a grade applies to a `supported` claim only, not `{}`", expect.describe()), "grade here")
            .with_help("leave the `grade` cell empty, or expect `supported`")
    }
}

/// A copy of `text` blanked to spaces (newlines kept) with the unquoted `claim_text` written
/// at the place of its raw field `raw` (whose untrimmed value is `field`); returns the copy,
/// the claim's start in it and its length.
fn claim_copy(text: &str, raw: std::ops::Range<usize>, field: &str, claim_text: &str) -> (String, usize, usize) {
    let content_start = if text[raw.clone()].starts_with('"') { raw.start + 1 } else { raw.start };
    let leading = field.len() - field.trim_start().len();
    let mut copy: Vec<u8> = text.bytes().map(|b| if b == b'\n' { b'\n' } else { b' ' }).collect();
    let at = (content_start + leading).min(copy.len());
    let mut claim_bytes = claim_text.as_bytes().to_vec();
    if at + claim_bytes.len() > copy.len() {
        copy.resize(at + claim_bytes.len(), b' ');
    }
    // The unquoted claim is never longer than its raw field; newlines inside it are
    // kept as spaces so the line numbers of the copy stay those of the file.
    for b in &mut claim_bytes {
        if *b == b'\n' || *b == b'\r' {
            *b = b' ';
        }
    }
    copy[at..at + claim_bytes.len()].copy_from_slice(&claim_bytes);
    (String::from_utf8(copy).unwrap_or_default(), at, claim_bytes.len())
}

/// `offset`, moved back onto a character boundary of `text` (and into it).
fn char_floor(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The CSV `expect` vocabulary (case and spacing do not matter).
fn parse_expect(text: &str) -> Option<Expect> {
    let t = one_line(text).to_ascii_lowercase();
    match t.as_str() {
        "" | "supported" => Some(Expect::Supported),
        "not supported" => Some(Expect::NotSupported),
        "contradicted" => Some(Expect::Contradicted),
        _ => {
            let n = t.strip_prefix("count")?.trim_start().strip_prefix('=')?.trim();
            n.parse().ok().map(Expect::Count)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations() {
        assert_eq!(parse_expect(" Not  Supported "), Some(Expect::NotSupported));
        assert_eq!(parse_expect("count=4"), Some(Expect::Count(4)));
        assert_eq!(parse_expect("count = 11"), Some(Expect::Count(11)));
        assert_eq!(parse_expect("maybe"), None);
    }

    #[test]
    fn time_suffixes() {
        let when =
            |text: &str| time_suffix(FileId(0), text, 0..text.len()).map(|w| w.map(|(cut, w)| (cut, w.suffix())));
        assert_eq!(when("a(\"x\") @ 2016-11-28"), Ok(Some((7, " @ 2016-11-28".into()))));
        assert_eq!(when("a(\"during 2016\", \"@\") during 2016-02"), Ok(Some((22, " during 2016-02".into()))));
        assert_eq!(when("a(during, x)"), Ok(None));
        assert_eq!(when("count a(_) = 2 during 2016"), Ok(Some((15, " during 2016".into()))));
        assert!(when("a(x) @ 2016").is_err());
        assert!(when("a(x) during 2016-1").is_err());
    }

    #[test]
    fn fields_with_quotes() {
        let text = "claim,expect\n\"a(\"\"x\"\")\",supported\n";
        let ranges = field_ranges(text, 13);
        assert_eq!(&text[ranges[0].clone()], "\"a(\"\"x\"\")\"");
        assert_eq!(&text[ranges[1].clone()], "supported");
    }

    #[test]
    fn notes_and_statements() {
        let text = "// above\n// two\na(\"x.y\"). // after\n/* skip */ !b(1).\n";
        let (st, errors) = statements(FileId(0), text);
        assert!(errors.is_empty());
        assert_eq!(st.len(), 2);
        assert_eq!(st[0].note, ["above", "two", "after"]);
        assert_eq!(&text[st[1].start..st[1].dot], "!b(1)");
        assert!(st[1].note.is_empty());
    }
}
