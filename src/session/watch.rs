//! `stance watch`: evaluate, then re-evaluate whenever a rule or fact file changes, and
//! print what changed in the shown relations (`+ aligned("Egypt", "Haftar")`, `- ...`, ready to
//! paste into `stance explain`) and in the constraint violations (`violated: ...`,
//! `resolved: ...`), or the diagnostics when the edit broke something.
//!
//! Standard output carries, per run, the changed tuples and then one status line that
//! starts with `ok:` or `failed:` (scripts and tests wait for it). Diagnostics go to
//! standard error as everywhere else.
//!
//! The runs are the re-evaluation service's ([`crate::session::reeval`]): this module
//! turns file events into its edits and prints what it publishes; an edit during an
//! evaluation cancels it.

use crate::base::diag::Diagnostic;
use crate::base::source::SourceMap;
use crate::engine::eval::Model;
use crate::proof::provenance::literal;
use crate::session::reeval::{
    Cells, Delta, Edit, Evaluated, Limits, Outcome, Recompute, Run, Service, Setup, Subscriber, Tracked,
};
use crate::session::{Failure, Inputs, Project};
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// After the first change, wait this long for more (an editor's save is often several
/// events: write, rename, attribute change) before re-running.
pub const DEBOUNCE: Duration = Duration::from_millis(25);

/// What `stance watch` shows and when it stops.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// Relations to show (default: what `infer` shows).
    pub relations: Vec<String>,
    /// Stop after this many runs (the first one counts): for tests and scripts.
    pub exit_after: Option<usize>,
    /// Print how long each re-run took, to standard error.
    pub timing: bool,
    /// `Engine::Dd`: one live dataflow across runs, fed each load's changed input tuples
    /// ([`super::live`]); any other engine: evaluate each run from scratch.
    pub engine: crate::engine::backend::Engine,
}

/// The service's evaluator for `engine`.
pub fn evaluator(engine: crate::engine::backend::Engine) -> Box<dyn super::reeval::Evaluator> {
    #[cfg(feature = "dd")]
    if engine == crate::engine::backend::Engine::Dd {
        return Box::new(super::live::Live::default());
    }
    let _ = engine;
    Box::new(Recompute)
}

/// The violations of the constraints in a model, as `watch` prints them (after
/// `violated:` or `resolved:`), in display order.
pub fn violations(project: &Project, model: &Model) -> Vec<String> {
    let program = &project.program;
    let mut violations = Vec::new();
    // A violation is a tuple of the constraint's hidden relation: its named variables' values.
    for c in &program.constraints {
        let (rel, tuples) = (&program.relations[c.rel], &model.relations[c.rel]);
        let text = project.sources.one_line(c.span);
        let place = project.sources.file_line(c.span);
        for i in crate::base::order::display_order(tuples, &rel.types, &project.symbols) {
            let bindings: Vec<String> = rel
                .columns
                .iter()
                .zip(tuples.get(i))
                .zip(&rel.types)
                .map(|((name, &v), &ty)| format!("{name} = {}", literal(v, ty, &project.symbols)))
                .collect();
            let with = if bindings.is_empty() { String::new() } else { format!("  with {}", bindings.join(", ")) };
            violations.push(format!("{text}  [{place}]{with}"));
        }
    }
    violations
}

/// What an edit changed, as lines to print.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    /// `- rel("a", "b")` / `+ rel("a", "b")`: relations by name, removals first, tuples in
    /// display order; each atom can be pasted into `stance explain`.
    pub tuples: Vec<String>,
    /// How many tuples the edit added.
    pub added: usize,
    /// How many tuples the edit removed.
    pub removed: usize,
    /// `violated: ...` (introduced by the edit) then `resolved: ...`.
    pub violations: Vec<String>,
    /// How many violations the edit introduced.
    pub introduced: usize,
    /// How many violations the edit resolved.
    pub resolved: usize,
}

/// What an edit changed: the tracked relations' changes (relations by name, removals
/// first) and the violations introduced and resolved.
pub fn change(delta: &Delta, old_violations: &[String], violations: &[String]) -> Change {
    let mut change = Change::default();
    for (name, c) in &delta.relations {
        let atom = |sign: char, row: &Vec<String>| format!("{sign} {name}({})", row.join(", "));
        change.removed += c.removed.len();
        change.added += c.added.len();
        change.tuples.extend(c.removed.iter().map(|r| atom('-', r)).chain(c.added.iter().map(|r| atom('+', r))));
    }
    let (introduced, resolved) = violation_changes(old_violations, violations);
    change.introduced = introduced.len();
    change.resolved = resolved.len();
    let introduced = introduced.into_iter().map(|v| format!("violated: {v}"));
    change.violations.extend(introduced.chain(resolved.into_iter().map(|v| format!("resolved: {v}"))));
    change
}

/// The violations in `violations` and not in `old_violations` (introduced by an edit), and
/// those in `old_violations` and not in `violations` (resolved), each in its list's order.
pub fn violation_changes(old_violations: &[String], violations: &[String]) -> (Vec<String>, Vec<String>) {
    let (va, vb): (BTreeSet<&String>, BTreeSet<&String>) =
        (old_violations.iter().collect(), violations.iter().collect());
    let introduced = violations.iter().filter(|v| !va.contains(v)).cloned().collect();
    let resolved = old_violations.iter().filter(|v| !vb.contains(v)).cloned().collect();
    (introduced, resolved)
}

/// "1 violation", "2 violations".
fn violations_counted(n: usize) -> String {
    format!("{n} violation{}", if n == 1 { "" } else { "s" })
}

/// The lines of one successful run: what changed since the last successful run (or, on the
/// first, the violations there are) and the `ok:` status line. `last` holds the last
/// successful run's violations, `None` before the first.
pub fn run_lines(
    runs: usize,
    what: &str,
    last: Option<&[String]>,
    delta: &Delta,
    violations: &[String],
) -> Vec<String> {
    let mut lines = Vec::new();
    let status = match last {
        None => {
            let tuples: usize = delta.relations.values().map(|c| c.added.len()).sum();
            let n = delta.relations.len();
            lines.extend(violations.iter().map(|v| format!("violated: {v}")));
            let violated = if violations.is_empty() {
                String::new()
            } else {
                format!(", {}", violations_counted(violations.len()))
            };
            format!(
                "ok: run {runs}: {tuples} tuple{} in {n} relation{}{violated}",
                if tuples == 1 { "" } else { "s" },
                if n == 1 { "" } else { "s" }
            )
        }
        Some(prev) => {
            let d = change(delta, prev, violations);
            lines.extend(d.tuples);
            lines.extend(d.violations);
            let mut parts = Vec::new();
            if d.added + d.removed > 0 {
                parts.push(format!("+{} -{}", d.added, d.removed));
            }
            if d.introduced > 0 {
                parts.push(format!("{} introduced", violations_counted(d.introduced)));
            }
            if d.resolved > 0 {
                parts.push(format!("{} resolved", violations_counted(d.resolved)));
            }
            if parts.is_empty() {
                format!("ok: run {runs}{what}: no change")
            } else {
                format!("ok: run {runs}{what}: {}", parts.join(", "))
            }
        }
    };
    lines.push(status);
    lines
}

/// The directories named on the command line: each rules directory, the directory of each
/// rules file, and the facts directory. Directories rather than files, because editors
/// often save by writing a new file and renaming it over the old one.
fn watch_dirs(inputs: &Inputs) -> Result<Vec<PathBuf>, Failure> {
    let mut dirs = BTreeSet::new();
    for p in &inputs.rules {
        if p == Path::new("-") {
            return Err(Failure::io("`watch` cannot watch standard input; give rule files".to_string()));
        }
        if p.is_dir() {
            dirs.insert(p.clone());
        } else {
            dirs.insert(parent(p));
        }
    }
    dirs.extend(inputs.facts.clone());
    Ok(dirs.into_iter().collect())
}

fn parent(p: &Path) -> PathBuf {
    p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()
}

/// `p` as an absolute path (not resolving symlinks), for comparing with the watcher's paths.
fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// What the watcher looks at, and what counts as a change.
struct Watched {
    /// The directories named on the command line (a new rule file or table may appear).
    named: BTreeSet<PathBuf>,
    /// Every file the last run read, by absolute path.
    read: BTreeSet<PathBuf>,
    /// Each watched directory, with its identity when watched, to notice one replaced by
    /// another of the same name (as `git checkout` and some editors do).
    dirs: BTreeMap<PathBuf, Option<(u64, u64)>>,
}

/// A directory's device and inode, where the platform has them.
fn identity(dir: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(dir).ok().filter(|m| m.is_dir()).map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(dir).ok().filter(|m| m.is_dir()).map(|_| (0, 0))
    }
}

impl Watched {
    /// Watches the named directories, the directory of every file read, and the parents of
    /// those (to see one replaced); re-watches a directory whose identity changed.
    fn refresh(&mut self, watcher: &mut dyn Watcher, read: &[PathBuf]) {
        self.read = read.iter().map(|p| absolute(p)).collect();
        let mut wanted: BTreeSet<PathBuf> = self.named.clone();
        wanted.extend(self.read.iter().map(|p| parent(p)));
        let parents: Vec<PathBuf> = wanted.iter().map(|d| parent(&absolute(d))).collect();
        wanted.extend(parents);
        let wanted: BTreeSet<PathBuf> = wanted.iter().map(|d| absolute(d)).collect();
        self.dirs.retain(|dir, _| {
            let keep = wanted.contains(dir);
            if !keep {
                let _ = watcher.unwatch(dir);
            }
            keep
        });
        for dir in wanted {
            let now = identity(&dir);
            let before = self.dirs.get(&dir).copied().flatten();
            if now.is_some() && now != before {
                if before.is_some() {
                    let _ = watcher.unwatch(&dir);
                }
                let ok = watcher.watch(&dir, RecursiveMode::NonRecursive).is_ok();
                self.dirs.insert(dir, if ok { now } else { None });
            } else if now.is_none() {
                self.dirs.insert(dir, None);
            }
        }
    }

    /// Whether a changed path can affect the result: a file the run read, a new rule file
    /// or table in a named directory, or a watched directory itself (replaced or removed);
    /// not an editor's swap or backup file, nor a temporary file being written.
    fn relevant(&self, path: &Path) -> bool {
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if name.starts_with('.') || name.ends_with('~') {
            return false;
        }
        let path = absolute(path);
        if self.read.contains(&path) || self.dirs.contains_key(&path) {
            return true;
        }
        let in_named = self.named.iter().any(|d| absolute(d) == parent(&path));
        in_named && matches!(path.extension().and_then(|e| e.to_str()), Some("dl" | "csv" | "facts" | "tsv"))
    }

    fn relevant_event(&self, event: &notify::Event) -> bool {
        use notify::event::{AccessKind, AccessMode};
        let kind_matters = match event.kind {
            // Reading the files ourselves must not trigger another run.
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            EventKind::Access(_) => false,
            _ => true,
        };
        kind_matters && event.paths.iter().any(|p| self.relevant(p))
    }
}

/// How `watch` shows diagnostics (on the service's threads, hence `Send + Sync`).
pub type Report = Box<dyn Fn(&[Diagnostic], &SourceMap) + Send + Sync>;

/// What reaches the thread that watches the files: the watcher's events, and from the
/// service's subscriber the files a run read and each run reported (or the end).
pub enum Note {
    /// A file system event.
    Fs(notify::Result<notify::Event>),
    /// The files a run read (watched from now on).
    Read(Vec<PathBuf>),
    /// A run was reported.
    Printed,
    /// Stop watching.
    Stop,
}

/// The re-evaluation service's subscriber that prints each run.
struct Printer {
    report: Report,
    timing: bool,
    notes: mpsc::Sender<Note>,
    /// Runs printed, and the last successful run's violations.
    state: Mutex<(usize, Option<Vec<String>>)>,
}

impl Printer {
    /// Prints a run's lines, then its timing, and tells the watching thread.
    fn print(&self, run: &Run, lines: &[String]) {
        {
            let mut out = crate::base::terminal::stdout(crate::base::terminal::Shape::Text);
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
            let _ = out.flush();
        }
        if self.timing {
            let runs = self.state.lock().unwrap_or_else(|e| e.into_inner()).0;
            let took = run.started.elapsed().as_millis();
            match run.first_edit {
                Some(t) => eprintln!(
                    "timing: run {runs}: {} ms from the first change to output ({took} ms to load and evaluate)",
                    t.elapsed().as_millis(),
                ),
                None => eprintln!("timing: run {runs}: {took} ms to load and evaluate"),
            }
        }
        let _ = self.notes.send(Note::Printed);
    }

    /// The `failed:` line of a run stopped by `errors` errors.
    fn failed(&self, run: &Run, diagnostics: &[Diagnostic]) {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count().max(1);
        let (runs, good) = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.0 += 1;
            (state.0, state.1.is_some())
        };
        let line = format!(
            "failed: run {runs}{}: {errors} error{} ({})",
            after(&run.changed),
            if errors == 1 { "" } else { "s" },
            if good { "showing the last good result" } else { "no good result yet" }
        );
        self.print(run, &[line]);
    }
}

/// ` after a change to rules/r.dl`, or nothing.
fn after(changed: &[PathBuf]) -> String {
    if changed.is_empty() {
        return String::new();
    }
    let names: Vec<String> = changed.iter().map(|p| shown_path(p)).collect();
    format!(" after a change to {}", names.join(", "))
}

impl Subscriber for Printer {
    fn checked(&self, run: &Run, checked: &mut Result<Project, Failure>, read: &[PathBuf]) {
        let _ = self.notes.send(Note::Read(read.to_vec()));
        match checked {
            Ok(project) => (self.report)(&project.warnings, &project.sources),
            Err(f) => {
                (self.report)(&f.diagnostics, f.sources.as_ref().unwrap_or(&SourceMap::new()));
                self.failed(run, &f.diagnostics);
            }
        }
    }

    fn evaluated(&self, run: &Run, evaluated: &Evaluated) {
        let project = &evaluated.project;
        match &evaluated.outcome {
            Outcome::Evaluated { model, delta } => {
                let now = violations(project, model);
                let lines = {
                    let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                    state.0 += 1;
                    let lines = run_lines(state.0, &after(&run.changed), state.1.as_deref(), delta, &now);
                    state.1 = Some(now);
                    lines
                };
                self.print(run, &lines);
            }
            Outcome::Failed(f) => {
                (self.report)(&f.diagnostics, f.sources.as_ref().unwrap_or(&project.sources));
                self.failed(run, &f.diagnostics);
            }
            Outcome::Cancelled | Outcome::Off => {}
        }
    }
}

/// Runs until interrupted (or `exit_after` runs). `report` renders diagnostics.
pub fn watch(inputs: &Inputs, options: &WatchOptions, report: Report) -> Result<(), Failure> {
    let (mut files, tx) = Files::start(inputs)?;
    let printer = Printer { report, timing: options.timing, notes: tx, state: Mutex::new((0, None)) };
    let tracked = Tracked::named_or_shown(&options.relations);
    let service = Service::start(Setup {
        inputs: inputs.clone(),
        limits: Limits::trusted(DEBOUNCE),
        tracked,
        evaluator: evaluator(options.engine),
        subscribers: vec![Arc::new(printer)],
        cells: Cells::Literal,
    })
    .map_err(|e| Failure::io(format!("cannot start the re-evaluation threads: {e}")))?;
    service.edit(Edit::Files(Vec::new()));
    let mut printed = 0;
    files.run(&service, || {
        printed += 1;
        options.exit_after.is_none_or(|n| printed < n)
    })
}

/// The files of a project, watched: their changes become the service's edits (`watch`,
/// `serve --watch`).
pub struct Files {
    watcher: notify::RecommendedWatcher,
    watched: Watched,
    notes: mpsc::Receiver<Note>,
    writes: Writes,
}

impl Files {
    /// Watches the directories `inputs` name; the sender is for the service's subscriber,
    /// which sends each run's files read ([`Note::Read`]) and reports ([`Note::Printed`]).
    pub fn start(inputs: &Inputs) -> Result<(Files, mpsc::Sender<Note>), Failure> {
        let (tx, notes) = mpsc::channel();
        let events = tx.clone();
        let mut watcher = notify::recommended_watcher(move |e| {
            let _ = events.send(Note::Fs(e));
        })
        .map_err(|e| Failure::io(format!("cannot watch files: {e}")))?;
        let named: BTreeSet<PathBuf> = watch_dirs(inputs)?.into_iter().collect();
        for dir in &named {
            watcher
                .watch(&absolute(dir), RecursiveMode::NonRecursive)
                .map_err(|e| Failure::io(format!("cannot watch `{}`: {e}", dir.display())))?;
        }
        let dirs = named.iter().map(|d| (absolute(d), identity(d))).collect();
        let watched = Watched { named, read: BTreeSet::new(), dirs };
        Ok((Files { watcher, watched, notes, writes: Writes::default() }, tx))
    }

    /// Hands each relevant change to `service` until [`Note::Stop`], or until `printed`
    /// (called per [`Note::Printed`]) says to stop.
    pub fn run(&mut self, service: &Service, mut printed: impl FnMut() -> bool) -> Result<(), Failure> {
        loop {
            let note = match self.writes.next(&self.notes) {
                Next::Note(note) => note,
                Next::Due(paths) => {
                    service.edit(Edit::Files(paths));
                    continue;
                }
                Next::End => return Ok(()),
            };
            match note {
                Note::Fs(Ok(event)) if self.watched.relevant_event(&event) => {
                    let paths = event.paths.iter().filter(|p| self.watched.relevant(p)).cloned().collect();
                    if let Some(paths) = self.writes.settled(&event.kind, paths) {
                        service.edit(Edit::Files(paths));
                    }
                }
                Note::Fs(Ok(_)) => {}
                Note::Fs(Err(e)) => return Err(Failure::io(format!("watching files failed: {e}"))),
                Note::Read(read) => self.watched.refresh(&mut self.watcher, &read),
                Note::Printed if !printed() => return Ok(()),
                Note::Printed => {}
                Note::Stop => return Ok(()),
            }
        }
    }
}

/// How long a file whose data changed may stay open for writing before it is read anyway
/// (a writer that keeps it open, or a platform without close events).
pub const WRITE_WAIT: Duration = Duration::from_millis(500);

/// Files being written: a data change was seen and the writer has not closed them yet.
/// Reading such a file would load it half-written (a 13 MB save takes longer than
/// [`DEBOUNCE`] on a loaded machine): on Linux, whose watcher reports the close, a data
/// change waits for the close (or [`WRITE_WAIT`]) before it starts a run.
#[derive(Default)]
struct Writes {
    open: BTreeMap<PathBuf, std::time::Instant>,
}

/// What [`Writes::next`] gave.
enum Next {
    Note(Note),
    /// Files written and never closed within [`WRITE_WAIT`]: run now.
    Due(Vec<PathBuf>),
    End,
}

impl Writes {
    /// The next note, or the files whose wait for a close ran out.
    fn next(&mut self, rx: &mpsc::Receiver<Note>) -> Next {
        let Some(&first) = self.open.values().min() else {
            return rx.recv().map_or(Next::End, Next::Note);
        };
        match rx.recv_timeout((first + WRITE_WAIT).saturating_duration_since(std::time::Instant::now())) {
            Ok(note) => Next::Note(note),
            Err(mpsc::RecvTimeoutError::Disconnected) => Next::End,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = std::time::Instant::now();
                let (due, open) = std::mem::take(&mut self.open).into_iter().partition(|(_, t)| now >= *t + WRITE_WAIT);
                self.open = open;
                Next::Due(due.into_keys().collect())
            }
        }
    }

    /// The paths of an event, when it should start a run now; `None` while they are being
    /// written.
    fn settled(&mut self, kind: &EventKind, paths: Vec<PathBuf>) -> Option<Vec<PathBuf>> {
        use notify::event::{AccessKind, AccessMode, ModifyKind};
        if cfg!(target_os = "linux") && matches!(kind, EventKind::Modify(ModifyKind::Data(_))) {
            let now = std::time::Instant::now();
            paths.into_iter().for_each(|p| {
                self.open.entry(p).or_insert(now);
            });
            return None;
        }
        if matches!(kind, EventKind::Access(AccessKind::Close(AccessMode::Write))) {
            paths.iter().for_each(|p| {
                self.open.remove(p);
            });
        }
        Some(paths)
    }
}

/// A changed path as the user would write it: relative to the working directory.
pub fn shown_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()).unwrap_or(path);
    rel.display().to_string()
}
