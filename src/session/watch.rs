//! `stance watch`: evaluate, then re-evaluate whenever a rule or fact file changes, and
//! print what changed in the shown relations (`+ aligned("Egypt", "Haftar")`, `- ...`, ready to
//! paste into `stance explain`) and in the constraint violations (`violated: ...`,
//! `resolved: ...`), or the diagnostics when the edit broke something.
//!
//! Standard output carries, per run, the changed tuples and then one status line that
//! starts with `ok:` or `failed:` (scripts and tests wait for it). Diagnostics go to
//! standard error as everywhere else.

use crate::base::diag::Diagnostic;
use crate::base::source::SourceMap;
use crate::engine::eval::EvalOptions;
use crate::proof::provenance::{atom_text, literal};
use crate::session::{self, Failure, Inputs};
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
    /// The engine and its options. With `--engine dd` the dataflow stays alive between runs
    /// and takes each load's changed input tuples as updates ([`super::live`]).
    pub eval: EvalOptions,
}

/// How each run evaluates: afresh, or by updating a live dd dataflow.
enum Evaluator {
    Fresh(EvalOptions),
    #[cfg(feature = "dd")]
    Live(super::live::Live, EvalOptions),
}

impl Evaluator {
    fn new(options: &EvalOptions) -> Evaluator {
        #[cfg(feature = "dd")]
        if options.engine == crate::engine::backend::Engine::Dd {
            return Evaluator::Live(super::live::Live::default(), options.clone());
        }
        Evaluator::Fresh(options.clone())
    }

    fn evaluate(&mut self, project: &mut session::Project) -> Result<crate::engine::eval::Model, Failure> {
        match self {
            Evaluator::Fresh(options) => session::evaluate(project, options),
            #[cfg(feature = "dd")]
            Evaluator::Live(live, options) => live.evaluate(project, options),
        }
    }
}

/// What one successful run shows: the tuples of each shown relation, as pasteable atoms
/// (`aligned("Egypt", "Haftar")`) in display order, and the violations of the constraints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Each shown relation's tuples, by relation name.
    pub relations: BTreeMap<String, Vec<String>>,
    /// `:- recognises(x, y), conflict(x, y).  [rules/libya.dl:212]  with x = "Kremlin", y = "GNA"`.
    pub violations: Vec<String>,
}

/// Loads and evaluates once. Diagnostics (warnings, or the errors that stopped it) are
/// handed to `report` with the files they point into.
pub fn run_once(
    inputs: &Inputs,
    relations: &[String],
    report: &mut dyn FnMut(&[Diagnostic], &SourceMap),
) -> Result<Snapshot, usize> {
    run_reading(inputs, relations, &mut Evaluator::Fresh(EvalOptions::default()), report).0
}

/// [`run_once`], and the files the run read (rule files and tables, whatever their names),
/// so that `watch` watches exactly those.
fn run_reading(
    inputs: &Inputs,
    relations: &[String],
    evaluator: &mut Evaluator,
    report: &mut dyn FnMut(&[Diagnostic], &SourceMap),
) -> (Result<Snapshot, usize>, Vec<PathBuf>) {
    let read = |sources: &SourceMap| -> Vec<PathBuf> {
        sources.files().map(|(_, f)| &f.name).filter(|n| !n.starts_with('<')).map(PathBuf::from).collect()
    };
    let mut sources = SourceMap::new();
    let mut project = match session::load(inputs, &mut sources) {
        Ok(p) => p,
        Err(f) => return (Err(fail(f, &sources, report)), read(&sources)),
    };
    report(&project.warnings, &project.sources);
    let files = read(&project.sources);
    (evaluate_shown(&mut project, relations, evaluator, report), files)
}

fn evaluate_shown(
    project: &mut session::Project,
    relations: &[String],
    evaluator: &mut Evaluator,
    report: &mut dyn FnMut(&[Diagnostic], &SourceMap),
) -> Result<Snapshot, usize> {
    let model = match evaluator.evaluate(project) {
        Ok(m) => m,
        Err(f) => return Err(fail(f, &project.sources, report)),
    };
    let program = &project.program;
    let shown: Vec<usize> = if relations.is_empty() {
        program.shown_relations()
    } else {
        relations.iter().filter_map(|name| program.relation_id(name)).collect()
    };
    let atoms = |id: usize| -> Vec<String> {
        let (rel, tuples) = (&program.relations[id], &model.relations[id]);
        crate::base::order::display_order(tuples, &rel.types, &project.symbols)
            .into_iter()
            .map(|i| atom_text(program, id, tuples.get(i), &project.symbols))
            .collect()
    };
    let relations = shown.into_iter().map(|id| (program.relations[id].name.clone(), atoms(id))).collect();
    // A violation is a tuple of the constraint's hidden relation: its named variables' values.
    let mut violations = Vec::new();
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
    Ok(Snapshot { relations, violations })
}

fn fail(f: Failure, sources: &SourceMap, report: &mut dyn FnMut(&[Diagnostic], &SourceMap)) -> usize {
    report(&f.diagnostics, sources);
    f.diagnostics.iter().filter(|d| d.is_error()).count().max(1)
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

/// The difference between two runs.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Change {
    let mut change = Change::default();
    let names: BTreeSet<&String> = old.relations.keys().chain(new.relations.keys()).collect();
    let empty = Vec::new();
    for name in names {
        let (a, b) = (old.relations.get(name).unwrap_or(&empty), new.relations.get(name).unwrap_or(&empty));
        let (sa, sb): (BTreeSet<&String>, BTreeSet<&String>) = (a.iter().collect(), b.iter().collect());
        let removed: Vec<String> = a.iter().filter(|t| !sb.contains(t)).map(|t| format!("- {t}")).collect();
        let added: Vec<String> = b.iter().filter(|t| !sa.contains(t)).map(|t| format!("+ {t}")).collect();
        change.removed += removed.len();
        change.added += added.len();
        change.tuples.extend(removed.into_iter().chain(added));
    }
    let (va, vb): (BTreeSet<&String>, BTreeSet<&String>) =
        (old.violations.iter().collect(), new.violations.iter().collect());
    let introduced: Vec<String> =
        new.violations.iter().filter(|v| !va.contains(v)).map(|v| format!("violated: {v}")).collect();
    let resolved: Vec<String> =
        old.violations.iter().filter(|v| !vb.contains(v)).map(|v| format!("resolved: {v}")).collect();
    change.introduced = introduced.len();
    change.resolved = resolved.len();
    change.violations.extend(introduced.into_iter().chain(resolved));
    change
}

/// "1 violation", "2 violations".
fn violations_counted(n: usize) -> String {
    format!("{n} violation{}", if n == 1 { "" } else { "s" })
}

/// The lines of one successful run: what changed since `last` (or, on the first run, the
/// violations there are) and the `ok:` status line.
pub fn run_lines(runs: usize, what: &str, last: Option<&Snapshot>, snapshot: &Snapshot) -> Vec<String> {
    let mut lines = Vec::new();
    let status = match last {
        None => {
            let tuples: usize = snapshot.relations.values().map(Vec::len).sum();
            let n = snapshot.relations.len();
            lines.extend(snapshot.violations.iter().map(|v| format!("violated: {v}")));
            let violated = if snapshot.violations.is_empty() {
                String::new()
            } else {
                format!(", {}", violations_counted(snapshot.violations.len()))
            };
            format!(
                "ok: run {runs}: {tuples} tuple{} in {n} relation{}{violated}",
                if tuples == 1 { "" } else { "s" },
                if n == 1 { "" } else { "s" }
            )
        }
        Some(prev) => {
            let d = diff(prev, snapshot);
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

/// Runs until interrupted (or `exit_after` runs). `report` renders diagnostics.
pub fn watch(
    inputs: &Inputs,
    options: &WatchOptions,
    report: &mut dyn FnMut(&[Diagnostic], &SourceMap),
) -> Result<(), Failure> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).map_err(|e| Failure::io(format!("cannot watch files: {e}")))?;
    let named: BTreeSet<PathBuf> = watch_dirs(inputs)?.into_iter().collect();
    for dir in &named {
        watcher
            .watch(&absolute(dir), RecursiveMode::NonRecursive)
            .map_err(|e| Failure::io(format!("cannot watch `{}`: {e}", dir.display())))?;
    }
    let dirs = named.iter().map(|d| (absolute(d), identity(d))).collect();
    let mut watched = Watched { named, read: BTreeSet::new(), dirs };

    let mut evaluator = Evaluator::new(&options.eval);
    let mut last: Option<Snapshot> = None;
    let mut runs = 0usize;
    let mut changed: BTreeSet<PathBuf> = BTreeSet::new();
    let mut first_event: Option<Instant> = None;
    loop {
        let started = Instant::now();
        let (result, read) = run_reading(inputs, &options.relations, &mut evaluator, report);
        watched.refresh(&mut watcher, &read);
        runs += 1;
        let elapsed = started.elapsed();
        let what = if changed.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = changed.iter().map(|p| shown_path(p)).collect();
            format!(" after a change to {}", names.join(", "))
        };
        let mut lines = Vec::new();
        match result {
            Ok(snapshot) => {
                lines = run_lines(runs, &what, last.as_ref(), &snapshot);
                last = Some(snapshot);
            }
            Err(errors) => lines.push(format!(
                "failed: run {runs}{what}: {errors} error{} (showing the last good result)",
                if errors == 1 { "" } else { "s" }
            )),
        }
        {
            let mut out = crate::base::terminal::stdout(crate::base::terminal::Shape::Text);
            for l in &lines {
                let _ = writeln!(out, "{l}");
            }
            let _ = out.flush();
        }
        if options.timing {
            match first_event {
                Some(t) => eprintln!(
                    "timing: run {runs}: {} ms from the first change to output ({} ms to load and evaluate)",
                    t.elapsed().as_millis(),
                    elapsed.as_millis()
                ),
                None => eprintln!("timing: run {runs}: {} ms to load and evaluate", elapsed.as_millis()),
            }
        }
        if options.exit_after.is_some_and(|n| runs >= n) {
            return Ok(());
        }

        // Wait for a relevant change, then for the burst of events to settle.
        changed.clear();
        first_event = None;
        loop {
            let event = match rx.recv() {
                Ok(Ok(e)) => e,
                Ok(Err(e)) => return Err(Failure::io(format!("watching files failed: {e}"))),
                Err(_) => return Ok(()),
            };
            if watched.relevant_event(&event) {
                first_event.get_or_insert_with(Instant::now);
                changed.extend(event.paths.into_iter().filter(|p| watched.relevant(p)));
                break;
            }
        }
        while let Ok(event) = rx.recv_timeout(DEBOUNCE) {
            if let Ok(e) = event
                && watched.relevant_event(&e)
            {
                changed.extend(e.paths.into_iter().filter(|p| watched.relevant(p)));
            }
        }
    }
}

/// A changed path as the user would write it: relative to the working directory.
fn shown_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()).unwrap_or(path);
    rel.display().to_string()
}
