//! `stance serve`: a long-running process for scripts and programs (a pipeline ingesting a
//! daily feed, a notebook, a web front end) that keeps the model, and with `--engine dd` the
//! live dataflow, between requests. It speaks JSON Lines: one request per line of standard
//! input, one answer per line of standard output, in order.
//!
//! ```text
//! {"id": 1, "method": "reload"}                           read changed files, apply, answer the changes
//! {"id": 2, "method": "query", "pattern": "aligned(x, \"Haftar\")"}  or "relation": "aligned"
//! {"id": 3, "method": "status"}                           generations, engine, relation sizes
//! {"id": 4, "method": "shutdown"}                         answer, then end (so does end of input)
//! ```
//!
//! The runs are the re-evaluation service's ([`crate::session::reeval`]), as `watch`'s are:
//! a `reload` is an edit, answered when its run has finished, with the changes the service
//! worked out (rows as JSON values, [`Cells::Json`]) and the constraint violations `watch`
//! reports. A run that does not check, or fails, leaves the last good model in place: queries
//! go on answering from it. Nothing is written to disk (the service never runs `.output`).
//!
//! With `--watch` the project's files are watched as `watch` watches them ([`watch::Files`]):
//! a run started by a change on disk, which no `reload` waits for, is written as an event
//! line. A `reload` is answered by the first run from its generation on that concluded (a
//! run overtaken by a newer edit did not).
//!
//! A line that is not a request it knows gets an error answer naming the line and column of
//! standard input (for a pattern, the column of the pattern's error inside its string), and
//! the server goes on. Every answer is escaped for a terminal ([`escape_json`]).

use crate::base::diag::{self, Code, Diagnostic};
use crate::base::source::SourceMap;
use crate::base::terminal::escape_json;
use crate::base::value::value_json;
use crate::engine::backend::Engine;
use crate::engine::eval::Model;
use crate::proof::pattern::{self, Claim, ClaimArg};
use crate::session::reeval::{self, Cells, Delta, Edit, Evaluated, Limits, Outcome, Run, Service, Setup, Subscriber};
use crate::session::watch::{self, Report};
use crate::session::{Failure, Inputs, Project};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime};

/// What `stance serve` evaluates with and reports.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The relations whose changes a reload reports (default: what `infer` shows).
    pub relations: Vec<String>,
    /// `Engine::Dd`: one live dataflow, fed each reload's changed input tuples; any other:
    /// evaluate each reload from scratch (as `watch`).
    pub engine: Engine,
    /// Stop an evaluation when a relation grows beyond this many tuples.
    pub max_tuples: Option<usize>,
    /// Stop an evaluation after this long.
    pub timeout: Option<Duration>,
    /// Also run on every change to a file the last run read (as `watch`), writing each such
    /// run's changes as an unsolicited event line.
    pub watch: bool,
}

/// The last project that evaluated, and its model: what queries and `status` read.
struct Current {
    project: Arc<Project>,
    model: Arc<Model>,
    generation: u64,
    at: SystemTime,
    took: Duration,
}

/// One relation's changes in a reload's answer.
#[derive(Serialize, Clone)]
struct RelationChanges {
    relation: String,
    removed: Vec<Vec<Json>>,
    added: Vec<Vec<Json>>,
}

/// How a run ended, as a `reload` answers it.
#[derive(Serialize, Default, Clone)]
struct Reloaded {
    generation: u64,
    /// Whether it evaluated (else the last good model stays).
    ok: bool,
    changes: Vec<RelationChanges>,
    violated: Vec<String>,
    resolved: Vec<String>,
    diagnostics: Vec<Json>,
    /// Whether the run came to an end of its own: it failed to check, or its evaluation
    /// ended (a run overtaken by a newer edit did neither).
    #[serde(skip)]
    concluded: bool,
}

/// An unsolicited line (`--watch`): a run started by a change on disk.
#[derive(Serialize)]
struct Event<'a> {
    event: &'static str,
    /// The files whose change started it.
    files: Vec<String>,
    result: &'a Reloaded,
}

/// What the service's threads tell the request loop.
#[derive(Default)]
struct State {
    /// The newest generation whose run has finished.
    finished: u64,
    /// Runs being heard of, by generation.
    runs: BTreeMap<u64, Reloaded>,
    /// The generations of `reload` requests not answered yet.
    requested: std::collections::BTreeSet<u64>,
    /// Answers for them: the first run from their generation on that concluded.
    answers: BTreeMap<u64, Reloaded>,
    /// The newest run that finished without concluding (answered only when nothing newer
    /// will come).
    unconcluded: Option<Reloaded>,
    current: Option<Current>,
    /// The last good run's violations.
    violations: Vec<String>,
}

/// The service's subscriber: keeps the last good model, each run's answer, and writes the
/// lines of standard output (answers and events).
struct Listener {
    state: Mutex<State>,
    done: Condvar,
    /// Shows the first run's diagnostics on standard error (no request asked for them).
    report: Report,
    /// Standard output.
    out: Mutex<Box<dyn Write + Send>>,
    /// With `--watch`: tells the file watcher which files each run read.
    notes: Option<std::sync::mpsc::Sender<watch::Note>>,
}

impl Listener {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes one line of JSON, escaped for a terminal.
    fn write(&self, json: &str) -> std::io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(out, "{}", escape_json(json))?;
        out.flush()
    }

    /// Adds diagnostics to the run's answer (and, for the first run, shows them).
    fn diagnose(&self, run: &Run, diagnostics: &[Diagnostic], sources: Option<&SourceMap>, concluded: bool) {
        let empty = SourceMap::new();
        let sources = sources.unwrap_or(&empty);
        if run.generation == 1 {
            (self.report)(diagnostics, sources);
        }
        let json = diagnostics.iter().map(|d| diag::to_json(d, sources));
        let mut state = self.state();
        let ended = state.runs.entry(run.generation).or_default();
        ended.diagnostics.extend(json);
        ended.concluded |= concluded;
    }

    /// Waits for the answer to the `reload` of `generation` (see [`Listener::finished`]);
    /// `latest` tells the newest edit's generation.
    fn wait(&self, generation: u64, latest: impl Fn() -> u64) -> Reloaded {
        let mut state = self.state();
        loop {
            if let Some(answer) = state.answers.remove(&generation) {
                return answer;
            }
            // Nothing newer will come: the run that did not conclude is the answer.
            if state.finished >= latest()
                && let Some(run) = state.unconcluded.as_ref().filter(|r| r.generation >= generation)
            {
                let run = run.clone();
                state.requested.remove(&generation);
                return run;
            }
            state = self.done.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Subscriber for Listener {
    fn checked(&self, run: &Run, checked: &mut Result<Project, Failure>, read: &[std::path::PathBuf]) {
        if let Some(notes) = &self.notes {
            let _ = notes.send(watch::Note::Read(read.to_vec()));
        }
        let (diagnostics, sources) = reeval::diagnostics(checked);
        self.diagnose(run, diagnostics, sources, checked.is_err());
    }

    fn evaluated(&self, run: &Run, evaluated: &Evaluated) {
        let project = &evaluated.project;
        match &evaluated.outcome {
            Outcome::Evaluated { model, delta } => {
                let now = watch::violations(project, model);
                let mut state = self.state();
                let (violated, resolved) = watch::violation_changes(&state.violations, &now);
                let ended = state.runs.entry(run.generation).or_default();
                (ended.ok, ended.concluded) = (true, true);
                ended.changes = changes(delta);
                (ended.violated, ended.resolved) = (violated, resolved);
                state.violations = now;
                state.current = Some(Current {
                    project: project.clone(),
                    model: model.clone(),
                    generation: run.generation,
                    at: SystemTime::now(),
                    took: run.started.elapsed(),
                });
            }
            Outcome::Failed(f) => {
                let sources = f.sources.as_ref().unwrap_or(&project.sources);
                self.diagnose(run, &f.diagnostics, Some(sources), true);
            }
            Outcome::Cancelled | Outcome::Off => {}
        }
    }

    /// A run that concluded answers every `reload` waiting from its generation or before;
    /// if none is waiting, it was started by a change on disk (`--watch`) and is written as
    /// an event. A run that did not conclude (overtaken) waits for a newer one.
    fn finished(&self, run: &Run) {
        let mut state = self.state();
        state.finished = state.finished.max(run.generation);
        let mut ended = state.runs.remove(&run.generation).unwrap_or_default();
        ended.generation = run.generation;
        if ended.concluded {
            let waiting: Vec<u64> = state.requested.range(..=run.generation).copied().collect();
            for g in &waiting {
                state.requested.remove(g);
                state.answers.insert(*g, ended.clone());
            }
            state.unconcluded = None;
            if waiting.is_empty() && run.generation > 1 && self.notes.is_some() {
                let files = run.changed.iter().map(|p| watch::shown_path(p)).collect();
                let event = Event { event: "changed", files, result: &ended };
                let _ = self.write(&serde_json::to_string(&event).expect("an event serializes"));
            }
        } else {
            state.unconcluded = Some(ended);
        }
        self.done.notify_all();
    }
}

/// The changed relations of a delta whose rows are JSON texts ([`Cells::Json`]), by name.
fn changes(delta: &Delta) -> Vec<RelationChanges> {
    let rows = |rows: &[Vec<String>]| -> Vec<Vec<Json>> {
        // Each cell is `serde_json::Value::to_string`'s text, so it parses back.
        rows.iter().map(|r| r.iter().map(|c| serde_json::from_str(c).unwrap_or(Json::Null)).collect()).collect()
    };
    delta
        .relations
        .iter()
        .filter(|(_, c)| !c.added.is_empty() || !c.removed.is_empty())
        .map(|(name, c)| RelationChanges { relation: name.clone(), removed: rows(&c.removed), added: rows(&c.added) })
        .collect()
}

/// One line of standard input as a request: every field raw, to find its column.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request<'a> {
    /// Read from the parsed value instead (it is echoed whatever the rest holds).
    #[serde(borrow, rename = "id")]
    _id: Option<&'a RawValue>,
    #[serde(borrow)]
    method: &'a RawValue,
    #[serde(borrow, default)]
    pattern: Option<&'a RawValue>,
    #[serde(borrow, default)]
    relation: Option<&'a RawValue>,
}

/// Why a line got an error answer: the diagnostic's code, message and help, and the column
/// (in characters, from 1) of standard input's line it points at.
struct Problem {
    code: Code,
    message: String,
    column: usize,
    help: Option<String>,
}

impl Problem {
    fn bad(message: impl Into<String>, column: usize) -> Problem {
        Problem { code: Code::BadRequest, message: message.into(), column, help: None }
    }
}

/// An answer line.
#[derive(Serialize)]
struct Answer<'a> {
    id: &'a Json,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson>,
}

#[derive(Serialize)]
struct ErrorJson {
    code: &'static str,
    name: &'static str,
    message: String,
    line: usize,
    column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
}

/// The column (in characters, from 1) of byte `at` of `line`.
fn column(line: &str, at: usize) -> usize {
    let mut at = at.min(line.len());
    while !line.is_char_boundary(at) {
        at -= 1;
    }
    line[..at].chars().count() + 1
}

/// Where `raw` (a part of `line`, as serde borrowed it) starts in `line`, in bytes.
fn offset_in(line: &str, raw: &RawValue) -> usize {
    (raw.get().as_ptr() as usize).saturating_sub(line.as_ptr() as usize).min(line.len())
}

/// The byte of the JSON string literal `raw` (its quotes included) at which byte `at` of
/// the string it denotes is written: escapes are longer than what they stand for.
fn raw_offset(raw: &str, at: usize) -> usize {
    let (mut i, mut decoded) = (1, 0);
    let end = raw.len().saturating_sub(1);
    while i < end && decoded < at {
        let rest = &raw[i..];
        let (written, stands_for) = match rest.strip_prefix('\\') {
            Some(escape) if escape.starts_with('u') => {
                let code = escape.get(1..5).and_then(|h| u32::from_str_radix(h, 16).ok()).unwrap_or(0);
                match char::from_u32(code) {
                    Some(c) => (6, c.len_utf8()),
                    // A surrogate pair: two escapes for one four-byte character.
                    None => (12, 4),
                }
            }
            Some(_) => (2, 1),
            None => rest.chars().next().map_or((1, 1), |c| (c.len_utf8(), c.len_utf8())),
        };
        i += written;
        decoded += stands_for;
    }
    i.min(raw.len())
}

/// A string field's value, or the problem with it.
fn string_field(line: &str, raw: &RawValue, field: &str) -> Result<String, Problem> {
    serde_json::from_str(raw.get())
        .map_err(|_| Problem::bad(format!("`{field}` must be a string"), column(line, offset_in(line, raw))))
}

/// A serde error's message without the position it appends (the answer gives it apart).
fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// The column (in characters) of a serde error in `line` (serde counts bytes, from 1, to
/// the byte it stopped at).
fn serde_column(line: &str, e: &serde_json::Error) -> usize {
    column(line, e.column().saturating_sub(1))
}

/// A result as JSON, its fields in their declared order.
fn result_json(result: &impl Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(result).expect("a result serializes")
}

/// The server's state between requests.
struct Server {
    service: Arc<Service>,
    listener: Arc<Listener>,
    engine: Engine,
}

/// What to do after answering a line.
enum Then {
    Go,
    Stop,
}

/// Runs until `shutdown` or the end of `input`, answering each line of `input` on `output`.
/// `report` shows the first run's diagnostics (standard error). A closed `output` ends it
/// quietly.
pub fn serve(
    inputs: &Inputs,
    options: &ServeOptions,
    input: &mut dyn BufRead,
    output: Box<dyn Write + Send>,
    report: Report,
) -> Result<(), Failure> {
    let files = options.watch.then(|| watch::Files::start(inputs)).transpose()?;
    let notes = files.as_ref().map(|(_, tx)| tx.clone());
    let listener =
        Arc::new(Listener { state: Mutex::default(), done: Condvar::new(), report, out: Mutex::new(output), notes });
    let tracked = reeval::Tracked::named_or_shown(&options.relations);
    let limits = Limits { max_tuples: options.max_tuples, timeout: options.timeout, ..Limits::trusted(Duration::ZERO) };
    let service = Service::start(Setup {
        inputs: inputs.clone(),
        limits,
        tracked,
        evaluator: watch::evaluator(options.engine),
        subscribers: vec![listener.clone()],
        cells: Cells::Json,
    })
    .map_err(|e| Failure::io(format!("cannot start the re-evaluation threads: {e}")))?;
    let server = Server { service: Arc::new(service), listener, engine: options.engine };
    server.reload();
    // `--watch`: the file watcher hands changes to the service on a thread of its own.
    let watching = files.map(|(mut files, stop)| {
        let service = server.service.clone();
        (std::thread::spawn(move || files.run(&service, || true)), stop)
    });
    let answered = server.requests(input);
    if let Some((thread, stop)) = watching {
        let _ = stop.send(watch::Note::Stop);
        if let Ok(Err(failure)) = thread.join() {
            return Err(failure);
        }
    }
    answered
}

impl Server {
    /// Answers each line of `input` until `shutdown`, its end, or a closed output.
    fn requests(&self, input: &mut dyn BufRead) -> Result<(), Failure> {
        let mut bytes = Vec::new();
        for number in 1.. {
            bytes.clear();
            match input.read_until(b'\n', &mut bytes) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(Failure::io(format!("cannot read standard input: {e}"))),
            }
            let (answer, then) = self.answer(&bytes, number);
            if let Some(answer) = answer
                && self.listener.write(&answer).is_err()
            {
                break;
            }
            if let Then::Stop = then {
                break;
            }
        }
        Ok(())
    }

    /// Starts a run of the files as they are now, and waits for its answer.
    fn reload(&self) -> Reloaded {
        let generation = {
            // Registered before the run can finish (its subscriber waits for this lock).
            let mut state = self.listener.state();
            let generation = self.service.edit(Edit::Files(Vec::new()));
            state.requested.insert(generation);
            generation
        };
        self.listener.wait(generation, || self.service.latest())
    }
}

impl Server {
    /// The answer to line `number` (none for a blank line), and whether to go on.
    fn answer(&self, bytes: &[u8], number: usize) -> (Option<String>, Then) {
        let null = Json::Null;
        let line = match std::str::from_utf8(bytes) {
            Ok(line) => line.trim_end_matches(['\n', '\r']),
            Err(e) => {
                let at = column(&String::from_utf8_lossy(&bytes[..e.valid_up_to()]), e.valid_up_to());
                let problem = Problem::bad("the line is not UTF-8", at);
                return (Some(error_line(&null, number, problem)), Then::Go);
            }
        };
        if line.trim().is_empty() {
            return (None, Then::Go);
        }
        let value: Json = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                let problem = Problem::bad(format!("not JSON: {}", serde_message(&e)), serde_column(line, &e));
                return (Some(error_line(&null, number, problem)), Then::Go);
            }
        };
        if !value.is_object() {
            return (Some(error_line(&null, number, Problem::bad("a request is a JSON object", 1))), Then::Go);
        }
        let id = value.get("id").unwrap_or(&null);
        let (result, then) = match self.handle(line) {
            Ok(answer) => answer,
            Err(problem) => return (Some(error_line(id, number, problem)), Then::Go),
        };
        let answer = Answer { id, result: Some(result), error: None };
        (Some(serde_json::to_string(&answer).expect("an answer serializes")), then)
    }

    /// A request's result, or the problem with it.
    fn handle(&self, line: &str) -> Result<(Box<RawValue>, Then), Problem> {
        let request: Request =
            serde_json::from_str(line).map_err(|e| Problem::bad(serde_message(&e), serde_column(line, &e)))?;
        let method = string_field(line, request.method, "method")?;
        let at = |raw: &RawValue| column(line, offset_in(line, raw));
        if method != "query"
            && let Some((name, raw)) = [("pattern", request.pattern), ("relation", request.relation)]
                .into_iter()
                .find_map(|(n, r)| r.map(|r| (n, r)))
        {
            return Err(Problem::bad(format!("`{name}` belongs to a `query` request, not `{method}`"), at(raw)));
        }
        match method.as_str() {
            "reload" => Ok((result_json(&self.reload()), Then::Go)),
            "query" => Ok((result_json(&self.query(line, &request)?), Then::Go)),
            "status" => Ok((result_json(&self.status()), Then::Go)),
            "shutdown" => Ok((result_json(&serde_json::Map::new()), Then::Stop)),
            other => Err(Problem {
                help: Some("the methods are `reload`, `query`, `status` and `shutdown`".to_string()),
                ..Problem::bad(format!("unknown method `{other}`"), at(request.method))
            }),
        }
    }
}

/// An error answer.
fn error_line(id: &Json, number: usize, problem: Problem) -> String {
    let error = ErrorJson {
        code: problem.code.id(),
        name: problem.code.slug(),
        message: problem.message,
        line: number,
        column: problem.column,
        help: problem.help,
    };
    serde_json::to_string(&Answer { id, result: None, error: Some(error) }).expect("an answer serializes")
}

/// A query's answer: the matching tuples of the model of `generation`, in display order,
/// their values as `infer --format json` writes them.
#[derive(Serialize)]
struct Matches {
    generation: u64,
    relation: String,
    columns: Vec<String>,
    tuples: Vec<Vec<Json>>,
    /// Constants of the pattern that occur nowhere (nothing can match them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    /// Warnings about the pattern (a variable named like a known constant).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<Json>,
}

/// `status`'s answer.
#[derive(Serialize)]
struct Status {
    /// The newest run's generation (1: the run at the start).
    generation: u64,
    /// The generation of the model queries read; `null` while none evaluated.
    model_generation: Option<u64>,
    engine: &'static str,
    /// When that model's evaluation finished, UTC, and how long it took to load and evaluate.
    evaluated_at: Option<String>,
    evaluation_ms: Option<u64>,
    /// Every relation's number of tuples in that model, by name.
    relations: BTreeMap<String, usize>,
}

/// `2026-12-02T04:44:28Z`.
fn utc(at: SystemTime) -> String {
    let secs = at.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let day = crate::facts::asof::day_text((secs / 86_400) as crate::facts::asof::Day);
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    format!("{day}T{h:02}:{m:02}:{s:02}Z")
}

impl Server {
    fn status(&self) -> Status {
        let state = self.listener.state();
        let current = state.current.as_ref();
        let relations = current.map_or_else(BTreeMap::new, |c| {
            let program = &c.project.program;
            (0..program.relations.len())
                .filter(|&r| !program.is_constraint(r))
                .map(|r| (program.relations[r].name.clone(), c.model.relations[r].len()))
                .collect()
        });
        Status {
            generation: self.service.latest(),
            model_generation: current.map(|c| c.generation),
            engine: self.engine.name(),
            evaluated_at: current.map(|c| utc(c.at)),
            evaluation_ms: current.map(|c| c.took.as_millis() as u64),
            relations,
        }
    }

    /// The tuples of the current model matching the request's pattern or relation.
    fn query(&self, line: &str, request: &Request) -> Result<Matches, Problem> {
        let at = |raw: &RawValue| column(line, offset_in(line, raw));
        let (raw, field) = match (request.pattern, request.relation) {
            (Some(_), Some(r)) => return Err(Problem::bad("give a `pattern` or a `relation`, not both", at(r))),
            (None, None) => {
                return Err(Problem::bad("a `query` needs a `pattern` or a `relation`", column(line, line.len())));
            }
            (Some(r), None) => (r, "pattern"),
            (None, Some(r)) => (r, "relation"),
        };
        let text = string_field(line, raw, field)?;
        let (project, model, generation) = {
            let state = self.listener.state();
            let Some(c) = state.current.as_ref() else {
                let message =
                    "no model yet: the project has not evaluated since the start (see the last reload's diagnostics)";
                return Err(Problem { code: Code::NoModel, ..Problem::bad(message, at(raw)) });
            };
            (c.project.clone(), c.model.clone(), c.generation)
        };
        let mut sources = SourceMap::new();
        let claim = match field {
            "pattern" => pattern::parse_claim(&text, &mut sources, &project.program, &project.symbols)
                .map_err(|diagnostics| pattern_problem(line, raw, &text, &diagnostics))?,
            _ => whole_relation(&text, &project.program).map_err(|d| Problem {
                code: d.code,
                message: d.message,
                column: at(raw),
                help: d.help,
            })?,
        };
        let decl = &project.program.relations[claim.rel];
        let tuples = claim
            .matching_tuples(&model.relations[claim.rel], &decl.types, &project.symbols)
            .iter()
            .map(|t| t.iter().zip(&decl.types).map(|(&v, &ty)| value_json(v, ty, &project.symbols)).collect())
            .collect();
        Ok(Matches {
            generation,
            relation: decl.name.clone(),
            columns: decl.columns.clone(),
            tuples,
            notes: pattern::unknown_constants(&claim, &project.symbols),
            warnings: claim.warnings.iter().map(|d| diag::to_json(d, &sources)).collect(),
        })
    }
}

/// Every tuple of the relation `name` (not a constraint's): the pattern of wildcards.
fn whole_relation(name: &str, program: &crate::lang::ir::Program) -> Result<Claim, Diagnostic> {
    match program.relation_id(name).filter(|&r| !program.is_constraint(r)) {
        Some(rel) => Ok(Claim {
            rel,
            args: vec![ClaimArg::Wildcard; program.relations[rel].arity()],
            text: name.to_string(),
            warnings: Vec::new(),
        }),
        None => {
            let mut d = Diagnostic::error(Code::UnknownRelation, format!("unknown relation `{name}`"));
            let visible = (0..program.relations.len()).filter(|&r| !program.is_constraint(r));
            if let Some(s) = diag::did_you_mean(name, visible.map(|r| program.relations[r].name.as_str())) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            Err(d)
        }
    }
}

/// The first error of a pattern (`text`, the string `raw` of `line`), at its column in
/// `line`: [`pattern::parse_claim`] parsed the pattern trimmed, with a `.` added.
fn pattern_problem(line: &str, raw: &RawValue, text: &str, diagnostics: &[Diagnostic]) -> Problem {
    let d = diagnostics.iter().find(|d| d.is_error()).or(diagnostics.first());
    let lead = text.len() - text.trim_start().len();
    let in_text = d.and_then(|d| d.primary.as_ref()).map_or(0, |l| (lead + l.span.start as usize).min(text.len()));
    let column = column(line, offset_in(line, raw) + raw_offset(raw.get(), in_text));
    match d {
        Some(d) => Problem { code: d.code, message: d.message.clone(), column, help: d.help.clone() },
        None => Problem { code: Code::Syntax, ..Problem::bad("not a pattern", column) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Standard output kept in memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("SERVE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(32)
        ))]
        /// Any lines (pieces of requests, patterns, escapes, invalid UTF-8) get one answer
        /// each, a JSON object with a `result` or an `error` naming the line, and the server
        /// never panics; blank lines get none.
        #[test]
        fn every_line_gets_one_answer(
            lines in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(vec![
                &b"{"[..], b"}", b"[", b"]", b"\"", b":", b",", b" ", b"\\", b"\\u00e9", b"\\ud83d", b"\xff", "é".as_bytes(),
                b"\"id\": 1", b"\"method\"", b"\"reload\"", b"\"query\"", b"\"status\"", b"\"pattern\"",
                b"\"relation\"", b"\"r\"", b"\"r(x, y)\"", b"\"r(\\\"a\\\", _)\"", b"\"r(1)\"", b"null", b"7",
            ]), 0..12), 1..8),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let rules = dir.path().join("r.dl");
            std::fs::write(&rules, ".decl r(x: symbol, y: symbol)\nr(\"a\", \"b\").\n").unwrap();
            let inputs = Inputs { rules: vec![rules], ..Inputs::default() };
            let input: Vec<u8> = lines.iter().flat_map(|l| l.concat().into_iter().chain([b'\n'])).collect();
            let out = Captured::default();
            let report: Report = Box::new(|_, _| {});
            serve(&inputs, &ServeOptions::default(), &mut &input[..], Box::new(out.clone()), report).unwrap();
            let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
            let asked: Vec<usize> = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| !String::from_utf8_lossy(&l.concat()).trim().is_empty())
                .map(|(i, _)| i + 1)
                .collect();
            let answers: Vec<Json> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            proptest::prop_assert_eq!(answers.len(), asked.len(), "{}", text);
            for (answer, line) in answers.iter().zip(asked) {
                let error = &answer["error"];
                proptest::prop_assert!(answer.get("result").is_some() != error.is_object(), "{}", answer);
                proptest::prop_assert!(error.is_null() || error["line"] == line, "{}", answer);
            }
        }
    }

    /// A byte of a string maps to the byte of the JSON literal that writes it, escapes
    /// counted at their written length.
    #[test]
    fn a_strings_byte_is_found_in_its_literal() {
        let raw = r#""a\"b\u00e9c\ud83d\ude00d""#;
        // a " b é c 😀 d: bytes 0 1 2 3-4 5 6-9 10
        let at: Vec<usize> = [0, 1, 2, 3, 5, 6, 10].iter().map(|&i| raw_offset(raw, i)).collect();
        assert_eq!(at, [1, 2, 4, 5, 11, 12, 24]);
        assert_eq!(column("é {x", 3), 3);
        assert_eq!(utc(SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_650_668)), "2025-12-02T04:44:28Z");
    }
}
