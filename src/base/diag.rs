//! Diagnostics as plain data. Stages produce [`Diagnostic`]s; only the CLI renders them
//! (rustc-style text through codespan-reporting, a one-line `short` form, or JSON).

use crate::base::source::{SourceMap, Span};
use serde::Serialize;

/// Whether a diagnostic fails the run or only warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported; the run goes on and succeeds (unless warnings are denied).
    Warning,
    /// The run fails with a non-zero exit status.
    Error,
}

/// Stable diagnostic codes. The code is what scripts and the conformance adapter match on;
/// the slug is a readable name for the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// Lexical or grammatical error.
    Syntax,
    /// A construct of Soufflé's language that stance does not support.
    Unsupported,
    /// A preprocessor line (`#include`, `#define`, `#if`…) or macro use that cannot be
    /// read (see `lang::syntax::preprocess`).
    Preprocessor,
    /// An atom or directive names a relation that is not declared.
    UnknownRelation,
    /// A declaration names an attribute type that is neither built in nor declared.
    UnknownType,
    /// An atom, claim or statement relation with the wrong number of arguments or columns.
    ArityMismatch,
    /// A value or variable used at a type other than the column's.
    TypeMismatch,
    /// A variable in a head, negation, comparison or functor that no positive atom binds.
    Ungrounded,
    /// Negation or aggregation through recursion.
    Unstratifiable,
    /// A relation or type declared twice.
    DuplicateDeclaration,
    /// An `.input`/`.output`/`.pragma` directive with a bad parameter or target.
    BadDirective,
    /// A `match` pattern that is not a regular expression, or compiles too big.
    BadPattern,
    /// A component (`.comp`, `.init`, `.override`) that cannot be expanded: unknown,
    /// given the wrong number of type arguments, cyclic, or expanding beyond the limits.
    Component,
    /// An input file that does not exist or cannot be read.
    MissingInput,
    /// A CSV/TSV file that cannot be read as facts.
    BadFacts,
    /// An output file or directory that cannot be written.
    OutputError,
    /// A relation table's header row does not match the relation's declaration.
    HeaderMismatch,
    /// A failure while evaluating: a `count` or `sum` whose result does not fit in 32 bits
    /// (Soufflé wraps; see the README's "Differences from Soufflé").
    Runtime,
    /// A limit such as `--max-tuples` was hit.
    Limit,
    /// A statement's `date` or `until` that is not a date (checked by `--as-of`).
    BadDate,
    /// A `grade` or `confidence` cell of a statement table that is not one.
    BadGrade,
    /// A git revision that cannot be read (`stance diff REV`).
    BadRevision,
    /// Variable used only once.
    SingletonVariable,
    /// A declared relation that no other rule reads and that is not shown or printed.
    UnusedRelation,
    /// A relation read by a rule that nothing (no data, no rule) gives tuples.
    EmptyRelation,
    /// A rule with a positive atom over a relation that is always empty.
    NeverFires,
    /// The same rule twice, up to variable names.
    DuplicateRule,
    /// A variable of an aggregate's target that the aggregate's body binds, named like a
    /// variable of the rule around it: the two are different variables (Soufflé's scoping).
    AggregateShadows,
    /// A constraint `:- body.` whose body holds (a warning from `infer`).
    Contradiction,
    /// The same, under `--deny-contradictions`.
    ContradictionDenied,
    /// A `.csv` file in the facts directory that is not a statement table and that no
    /// `.input` reads (often a typo in its header).
    UnreadTable,
    /// A claims file (`stance review`) that cannot be read as claims.
    BadClaim,
    /// A defeasible program stance does not accept: an unknown or duplicate rule name, a
    /// cyclic `.prefer`, or negation or an aggregate over defeasible conclusions.
    Defeasible,
    /// A relation and its complement both hold for one tuple (`backs` and `~backs`).
    Conflict,
    /// A variable of a claim or query pattern spelled like a known symbol
    /// (`aligned(x, Haftar)`): it matches every value.
    VariableNamesConstant,
    /// `--focus` names no actor of the network (graph, report).
    UnknownActor,
    /// Graphviz's `dot` is missing or failed (graph --format svg).
    GraphvizFailed,
    /// A relation chosen for the network is not binary over symbols.
    NotAGraphRelation,
    /// A file name or symlink leading outside the project (see `confine`).
    OutsideProject,
    /// The run was interrupted (Ctrl-C).
    Interrupted,
    /// An output that would go to a hidden path, through a symlink, or over a file the same
    /// run reads (see `confine`).
    UnsafeOutput,
    /// A line of `stance serve`'s standard input that is not a request it knows: not JSON,
    /// not an object, an unknown method or field, a field of the wrong type.
    BadRequest,
    /// `stance serve` was asked about the model before the project ever evaluated.
    NoModel,
}

impl Code {
    /// The stable code (`E001`, `W002`…) that scripts match on.
    pub fn id(self) -> &'static str {
        match self {
            Code::Syntax => "E001",
            Code::Unsupported => "E002",
            Code::Preprocessor => "E003",
            Code::UnknownRelation => "E010",
            Code::UnknownType => "E011",
            Code::ArityMismatch => "E012",
            Code::TypeMismatch => "E013",
            Code::Ungrounded => "E014",
            Code::Unstratifiable => "E015",
            Code::DuplicateDeclaration => "E016",
            Code::BadDirective => "E017",
            Code::BadPattern => "E018",
            Code::Component => "E019",
            Code::MissingInput => "E020",
            Code::BadFacts => "E021",
            Code::OutputError => "E022",
            Code::HeaderMismatch => "E023",
            Code::Runtime => "E030",
            Code::Limit => "E031",
            Code::BadDate => "E040",
            Code::BadGrade => "E042",
            Code::BadRevision => "E041",
            Code::SingletonVariable => "W001",
            Code::UnusedRelation => "W002",
            Code::EmptyRelation => "W003",
            Code::NeverFires => "W004",
            Code::DuplicateRule => "W005",
            Code::AggregateShadows => "W008",
            Code::Contradiction => "W006",
            Code::UnreadTable => "W007",
            Code::ContradictionDenied => "E024",
            Code::BadClaim => "E025",
            Code::Defeasible => "E026",
            Code::Conflict => "W009",
            Code::VariableNamesConstant => "W007",
            Code::UnknownActor => "E050",
            Code::GraphvizFailed => "E051",
            Code::NotAGraphRelation => "E052",
            Code::OutsideProject => "E060",
            Code::Interrupted => "E061",
            Code::UnsafeOutput => "E062",
            Code::BadRequest => "E070",
            Code::NoModel => "E071",
        }
    }

    /// The readable name of the code (`unknown-relation`), shown next to it.
    pub fn slug(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::Unsupported => "unsupported",
            Code::Preprocessor => "preprocessor",
            Code::UnknownRelation => "unknown-relation",
            Code::UnknownType => "unknown-type",
            Code::ArityMismatch => "arity-mismatch",
            Code::TypeMismatch => "type-mismatch",
            Code::Ungrounded => "ungrounded-variable",
            Code::Unstratifiable => "unstratifiable",
            Code::DuplicateDeclaration => "duplicate-declaration",
            Code::BadDirective => "bad-directive",
            Code::BadPattern => "bad-pattern",
            Code::Component => "component",
            Code::MissingInput => "missing-input",
            Code::BadFacts => "bad-facts",
            Code::OutputError => "output-error",
            Code::HeaderMismatch => "header-mismatch",
            Code::Runtime => "runtime",
            Code::Limit => "limit",
            Code::BadDate => "bad-date",
            Code::BadGrade => "bad-grade",
            Code::BadRevision => "bad-revision",
            Code::SingletonVariable => "singleton-variable",
            Code::UnusedRelation => "unused-relation",
            Code::EmptyRelation => "empty-relation",
            Code::NeverFires => "never-fires",
            Code::DuplicateRule => "duplicate-rule",
            Code::AggregateShadows => "aggregate-shadows-variable",
            Code::Contradiction | Code::ContradictionDenied => "contradiction",
            Code::UnreadTable => "unread-table",
            Code::BadClaim => "bad-claim",
            Code::Defeasible => "defeasible",
            Code::Conflict => "conflict",
            Code::VariableNamesConstant => "variable-names-constant",
            Code::UnknownActor => "unknown-actor",
            Code::GraphvizFailed => "graphviz-failed",
            Code::NotAGraphRelation => "not-a-graph-relation",
            Code::OutsideProject => "outside-project",
            Code::Interrupted => "interrupted",
            Code::UnsafeOutput => "unsafe-output",
            Code::BadRequest => "bad-request",
            Code::NoModel => "no-model",
        }
    }
}

/// A span with the short text shown under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The text the label points at.
    pub span: Span,
    /// What the label says about it.
    pub message: String,
}

/// One finding: what went wrong, where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code of the finding.
    pub code: Code,
    /// The one-line headline.
    pub message: String,
    /// Where the problem is. `None` only for problems with no location (a missing directory).
    pub primary: Option<Label>,
    /// Further related locations (the earlier declaration, the other rule).
    pub secondary: Vec<Label>,
    /// Extra explanation, one `note:` line each.
    pub notes: Vec<String>,
    /// What to do about it, shown as `help:`.
    pub help: Option<String>,
    /// Mechanical repairs, each a complete edit of the source (the language server offers
    /// them as quick fixes); the `help` says the same in words.
    pub fixes: Vec<Fix>,
}

/// One way to repair a diagnostic: a title and the edits that make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, as the editor offers it: change to `x`.
    pub title: String,
    /// The edits that make it.
    pub edits: Vec<Edit>,
}

/// Replace the text of `span` (empty: insert at its start) with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The text replaced.
    pub span: Span,
    /// What replaces it.
    pub text: String,
}

impl Fix {
    /// A fix made of one edit.
    pub fn replace(title: impl Into<String>, span: Span, text: impl Into<String>) -> Fix {
        Fix { title: title.into(), edits: vec![Edit { span, text: text.into() }] }
    }
}

impl Diagnostic {
    /// An error with no location yet (add one with [`Diagnostic::at`]).
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
            fixes: Vec::new(),
        }
    }

    /// A warning with no location yet (add one with [`Diagnostic::at`]).
    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    /// The main location, with a short label shown under the caret.
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label { span, message: label.into() });
        self
    }

    /// Adds a related location with its label.
    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { span, message: label.into() });
        self
    }

    /// Adds a `note:` line.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Sets the `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a way to repair the finding.
    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fixes.push(fix);
        self
    }

    /// Whether this finding fails the run.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Collected diagnostics of one run, in the order found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Records one finding.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    /// Whether any finding is an error (the run must fail).
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    /// Records several findings, in order.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }
}

/// Suggest the closest of `candidates` to `name` ("did you mean …?"), if any is close enough.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|&(d, c)| d <= (name.len().max(c.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

/// Moves a span that points past the last visible character (an error "at end of file")
/// back onto the end of the text, so it shows on a real line.
fn visible(span: Span, sources: &SourceMap) -> Span {
    let text = &sources.get(span.file).text;
    if span.start as usize >= text.len() {
        let end = text.trim_end().len() as u32;
        Span { file: span.file, start: end, end }
    } else {
        Span { end: span.end.min(text.len() as u32), ..span }
    }
}

/// `file:line:col: severity[code]: message` — the form editors and grep understand.
pub fn render_short(d: &Diagnostic, sources: &SourceMap) -> String {
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let text = match &d.primary {
        Some(p) => format!("{}: {}[{}]: {}", sources.location(visible(p.span, sources)), sev, d.code.id(), d.message),
        None => format!("{}[{}]: {}", sev, d.code.id(), d.message),
    };
    crate::base::terminal::escape(&text).into_owned()
}

#[derive(Serialize)]
struct JsonLabel {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    text: String,
    message: String,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    code: &'static str,
    name: &'static str,
    message: &'a str,
    primary: Option<JsonLabel>,
    secondary: Vec<JsonLabel>,
    notes: &'a [String],
    help: Option<&'a str>,
}

fn json_label(l: &Label, sources: &SourceMap) -> JsonLabel {
    let span = visible(l.span, sources);
    let file = sources.get(span.file);
    let (line, column) = file.line_col(span.start as usize);
    let (end_line, end_column) = file.line_col(span.end as usize);
    JsonLabel {
        file: file.name.clone(),
        line,
        column,
        end_line,
        end_column,
        text: shortened(sources.snippet(span)),
        message: l.message.clone(),
    }
}

/// A span's text for the JSON form, cut after [`MAX_SHOWN_LINE`] bytes.
fn shortened(text: &str) -> String {
    if text.len() <= MAX_SHOWN_LINE {
        return text.to_string();
    }
    format!("{}\u{2026}", &text[..floor(text, MAX_SHOWN_LINE)])
}

/// One JSON object (a single line) per diagnostic.
pub fn render_json(d: &Diagnostic, sources: &SourceMap) -> String {
    serde_json::to_string(&json_diagnostic(d, sources)).expect("diagnostic serializes")
}

/// A diagnostic as the JSON object [`render_json`] writes (`stance serve` puts it in its answers).
pub fn to_json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    serde_json::to_value(json_diagnostic(d, sources)).expect("diagnostic serializes")
}

fn json_diagnostic<'d>(d: &'d Diagnostic, sources: &SourceMap) -> JsonDiagnostic<'d> {
    JsonDiagnostic {
        severity: d.severity,
        code: d.code.id(),
        name: d.code.slug(),
        message: &d.message,
        primary: d.primary.as_ref().map(|l| json_label(l, sources)),
        secondary: d.secondary.iter().map(|l| json_label(l, sources)).collect(),
        notes: &d.notes,
        help: d.help.as_deref(),
    }
}

/// Source lines longer than this (in bytes) are shown cut around the span, so that a
/// diagnostic on a 4 MB line does not echo the line.
const MAX_SHOWN_LINE: usize = 240;
/// How much of a cut line is kept before the span.
const CONTEXT_BEFORE: usize = 80;

/// One line of a file as the rich renderer sees it.
struct ShownLine {
    /// 1-based line number in the file.
    line: usize,
    /// The part of the line shown: byte offsets in the file.
    window: (usize, usize),
    /// Where the line starts in the shown text, and where its window starts (after a `…`).
    begin: usize,
    at: usize,
}

/// The lines of one file that a diagnostic's labels point at (and only those, so that a
/// 10 M-line table is not copied for each diagnostic), each cut to a window around the
/// spans when it is long. Line and column numbers are those of the file.
struct ShownFile<'s> {
    file: &'s crate::base::source::SourceFile,
    text: String,
    lines: Vec<ShownLine>,
}

impl<'s> ShownFile<'s> {
    fn new(file: &'s crate::base::source::SourceFile, spans: &[(usize, usize)]) -> ShownFile<'s> {
        // Every line of every span; a one-line gap between them is shown (as the renderer
        // does), a longer one stands for a `·`, as two empty lines that are never printed.
        let mut numbers: Vec<usize> =
            spans.iter().flat_map(|&(s, e)| file.line_col(s).0..=file.line_col(e).0).collect();
        numbers.sort_unstable();
        numbers.dedup();
        let mut with_gaps = Vec::new();
        for (i, &n) in numbers.iter().enumerate() {
            match i.checked_sub(1).map(|p| n - numbers[p]) {
                Some(2) => with_gaps.push(n - 1),
                Some(d) if d > 2 => with_gaps.extend([0, 0]),
                _ => {}
            }
            with_gaps.push(n);
        }
        let base = file.text.as_ptr() as usize;
        let mut text = String::new();
        let mut lines = Vec::new();
        for line in with_gaps {
            if line == 0 {
                lines.push(ShownLine { line, window: (0, 0), begin: text.len(), at: text.len() });
                text.push('\n');
                continue;
            }
            let content = file.line_text(line);
            let start = content.as_ptr() as usize - base;
            let end = start + content.len();
            let (ws, we) = if content.len() > MAX_SHOWN_LINE {
                let anchor = spans.iter().map(|&(s, _)| s).find(|&s| s >= start && s <= end).unwrap_or(start);
                let ws = floor(&file.text, anchor.saturating_sub(CONTEXT_BEFORE).max(start));
                (ws, floor(&file.text, (ws + MAX_SHOWN_LINE).min(end)))
            } else {
                (start, end)
            };
            let begin = text.len();
            if ws > start {
                text.push('\u{2026}');
            }
            lines.push(ShownLine { line, window: (ws, we), begin, at: text.len() });
            text.push_str(&file.text[ws..we]);
            if we < end {
                text.push('\u{2026}');
            }
            text.push('\n');
        }
        ShownFile { file, text, lines }
    }

    /// An offset of the file, in the shown text (clamped into its line's window).
    fn shown(&self, offset: usize) -> usize {
        let line = self.file.line_col(offset).0;
        match self.lines.iter().position(|l| l.line == line).ok_or(()) {
            Ok(i) => {
                let l = &self.lines[i];
                l.at + offset.clamp(l.window.0, l.window.1) - l.window.0
            }
            Err(_) => 0,
        }
    }

    /// The shown line holding `offset` of the shown text.
    fn index(&self, offset: usize) -> usize {
        self.lines.partition_point(|l| l.begin <= offset).saturating_sub(1)
    }
}

/// `offset` moved back onto a character boundary of `text`.
fn floor(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

struct ShownFiles<'s>(Vec<ShownFile<'s>>);

type FilesResult<T> = Result<T, codespan_reporting::files::Error>;

impl<'s> ShownFiles<'s> {
    fn get(&self, id: usize) -> FilesResult<&ShownFile<'s>> {
        self.0.get(id).ok_or(codespan_reporting::files::Error::FileMissing)
    }
}

impl<'a, 's> codespan_reporting::files::Files<'a> for ShownFiles<'s> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> FilesResult<&'a str> {
        Ok(&self.get(id)?.file.name)
    }

    fn source(&'a self, id: usize) -> FilesResult<&'a str> {
        Ok(&self.get(id)?.text)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> FilesResult<usize> {
        let f = self.get(id)?;
        Ok(f.index(byte_index))
    }

    fn line_number(&'a self, id: usize, line_index: usize) -> FilesResult<usize> {
        let f = self.get(id)?;
        Ok(f.lines.get(line_index).map_or(line_index + 1, |l| l.line))
    }

    fn column_number(&'a self, id: usize, line_index: usize, byte_index: usize) -> FilesResult<usize> {
        let f = self.get(id)?;
        let Some(l) = f.lines.get(line_index) else { return Ok(1) };
        let offset = (l.window.0 + byte_index.saturating_sub(l.at)).min(l.window.1);
        Ok(f.file.line_col(floor(&f.file.text, offset)).1)
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> FilesResult<std::ops::Range<usize>> {
        let f = self.get(id)?;
        let start = f.lines.get(line_index).map(|l| l.begin).ok_or(codespan_reporting::files::Error::LineTooLarge {
            given: line_index,
            max: f.lines.len().saturating_sub(1),
        })?;
        Ok(start..f.lines.get(line_index + 1).map_or(f.text.len(), |l| l.begin))
    }
}

/// rustc-style rendering with the source line and a caret underline. Only the files the
/// labels point into are given to the renderer, each with its long lines cut.
pub fn render_rich(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    use codespan_reporting::diagnostic as cr;
    use codespan_reporting::term;

    let labels: Vec<(bool, Span, &str)> = d
        .primary
        .iter()
        .map(|p| (true, visible(p.span, sources), p.message.as_str()))
        .chain(d.secondary.iter().map(|l| (false, visible(l.span, sources), l.message.as_str())))
        .collect();
    let mut ids: Vec<crate::base::source::FileId> = Vec::new();
    for (_, span, _) in &labels {
        if !ids.contains(&span.file) {
            ids.push(span.file);
        }
    }
    let files = ShownFiles(
        ids.iter()
            .map(|&id| {
                let f = sources.get(id);
                let spans: Vec<(usize, usize)> = labels
                    .iter()
                    .filter(|(_, s, _)| s.file == id)
                    .map(|(_, s, _)| (s.start as usize, s.end as usize))
                    .collect();
                ShownFile::new(f, &spans)
            })
            .collect(),
    );
    let mut out = match d.severity {
        Severity::Error => cr::Diagnostic::error(),
        Severity::Warning => cr::Diagnostic::warning(),
    }
    .with_code(d.code.id())
    .with_message(&d.message);
    let mut shown_labels = Vec::new();
    for (primary, span, message) in labels {
        let index = ids.iter().position(|&i| i == span.file).unwrap_or(0);
        let file = &files.0[index];
        let range = file.shown(span.start as usize)..file.shown(span.end as usize);
        let label = if primary { cr::Label::primary(index, range) } else { cr::Label::secondary(index, range) };
        shown_labels.push(label.with_message(message));
    }
    let mut notes = d.notes.clone();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    out = out.with_labels(shown_labels).with_notes(notes);

    let config = term::Config::default();
    let mut buf: Vec<u8> = Vec::new();
    // Escaped below the colour layer: the colour codes stay live, the text from files does not.
    use crate::base::terminal::EscapeColor;
    if color {
        let mut w = EscapeColor(termcolor::Ansi::new(&mut buf));
        let _ = term::emit_to_write_style(&mut w, &config, &files, &out);
    } else {
        let mut w = EscapeColor(termcolor::NoColor::new(&mut buf));
        let _ = term::emit_to_write_style(&mut w, &config, &files, &out);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// "s" after a count other than one: `format!("{n} error{}", plural(n))`.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
