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
    /// A constraint `:- body.` whose body holds (a warning from `infer`).
    Contradiction,
    /// The same, under `--deny-contradictions`.
    ContradictionDenied,
    /// A `.csv` file in the facts directory that is not a statement table and that no
    /// `.input` reads (often a typo in its header).
    UnreadTable,
    /// A claims file (`stance review`) that cannot be read as claims.
    BadClaim,
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
}

impl Code {
    /// The stable code (`E001`, `W002`…) that scripts match on.
    pub fn id(self) -> &'static str {
        match self {
            Code::Syntax => "E001",
            Code::Unsupported => "E002",
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
            Code::BadRevision => "E041",
            Code::SingletonVariable => "W001",
            Code::UnusedRelation => "W002",
            Code::EmptyRelation => "W003",
            Code::NeverFires => "W004",
            Code::DuplicateRule => "W005",
            Code::Contradiction => "W006",
            Code::UnreadTable => "W007",
            Code::ContradictionDenied => "E024",
            Code::BadClaim => "E025",
            Code::UnknownActor => "E050",
            Code::GraphvizFailed => "E051",
            Code::NotAGraphRelation => "E052",
            Code::OutsideProject => "E060",
            Code::Interrupted => "E061",
            Code::UnsafeOutput => "E062",
        }
    }

    /// The readable name of the code (`unknown-relation`), shown next to it.
    pub fn slug(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::Unsupported => "unsupported",
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
            Code::BadRevision => "bad-revision",
            Code::SingletonVariable => "singleton-variable",
            Code::UnusedRelation => "unused-relation",
            Code::EmptyRelation => "empty-relation",
            Code::NeverFires => "never-fires",
            Code::DuplicateRule => "duplicate-rule",
            Code::Contradiction | Code::ContradictionDenied => "contradiction",
            Code::UnreadTable => "unread-table",
            Code::BadClaim => "bad-claim",
            Code::UnknownActor => "unknown-actor",
            Code::GraphvizFailed => "graphviz-failed",
            Code::NotAGraphRelation => "not-a-graph-relation",
            Code::OutsideProject => "outside-project",
            Code::Interrupted => "interrupted",
            Code::UnsafeOutput => "unsafe-output",
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
        text: sources.snippet(span).to_string(),
        message: l.message.clone(),
    }
}

/// One JSON object (a single line) per diagnostic.
pub fn render_json(d: &Diagnostic, sources: &SourceMap) -> String {
    let j = JsonDiagnostic {
        severity: d.severity,
        code: d.code.id(),
        name: d.code.slug(),
        message: &d.message,
        primary: d.primary.as_ref().map(|l| json_label(l, sources)),
        secondary: d.secondary.iter().map(|l| json_label(l, sources)).collect(),
        notes: &d.notes,
        help: d.help.as_deref(),
    };
    serde_json::to_string(&j).expect("diagnostic serializes")
}

/// rustc-style rendering with the source line and a caret underline.
pub fn render_rich(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    use codespan_reporting::diagnostic as cr;
    use codespan_reporting::files::SimpleFiles;
    use codespan_reporting::term;

    let mut files = SimpleFiles::new();
    for (_, f) in sources.files() {
        files.add(f.name.clone(), f.text.clone());
    }
    let mut out = match d.severity {
        Severity::Error => cr::Diagnostic::error(),
        Severity::Warning => cr::Diagnostic::warning(),
    }
    .with_code(d.code.id())
    .with_message(&d.message);
    let mut labels = Vec::new();
    if let Some(p) = &d.primary {
        let span = visible(p.span, sources);
        labels.push(cr::Label::primary(span.file.0 as usize, span.range()).with_message(&p.message));
    }
    for s in &d.secondary {
        let span = visible(s.span, sources);
        labels.push(cr::Label::secondary(span.file.0 as usize, span.range()).with_message(&s.message));
    }
    let mut notes = d.notes.clone();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    out = out.with_labels(labels).with_notes(notes);

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
