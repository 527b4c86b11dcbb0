//! The background half of the server: after each edit, the project is loaded and checked
//! with the open documents' texts (the same [`session::load_with`] that `check` uses), its
//! diagnostics published, and then, unless turned off, it is evaluated under limits. The
//! request loop only ever reads the last finished [`Results`], so typing never waits.
//!
//! Edits arrive as numbered jobs; the worker waits `debounce` after a job for more, and runs
//! only the newest. Evaluation runs on its own thread, so it never delays the diagnostics of
//! the next edit; it stops at `max_tuples` or the timeout (rule files may come from someone
//! else), and of the projects that queue up behind a running one only the newest is evaluated.

use crate::base::diag::Diagnostic;
use crate::base::order::sorted_rows;
use crate::base::source::SourceMap;
use crate::engine::eval::{EvalOptions, INPUT};
use crate::lsp::convert;
use crate::proof::claims;
use crate::session::{self, Inputs, Overlay, Project};
use lsp_server::{Message, Notification};
use lsp_types as lsp;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the editor may set (initialization options, or `workspace/didChangeConfiguration`
/// under `stance`): `evaluate`, `maxTuples`, `timeoutMs`, `debounceMs`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Evaluate after each edit (for hover tuples and code lenses). Off: diagnostics only.
    pub evaluate: bool,
    /// Stop evaluating when a relation grows beyond this many tuples.
    pub max_tuples: usize,
    /// Stop evaluating after this long.
    pub timeout: Duration,
    /// Wait this long after an edit for the next one before checking.
    pub debounce: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            evaluate: true,
            max_tuples: 1_000_000,
            timeout: Duration::from_secs(10),
            debounce: Duration::from_millis(50),
        }
    }
}

impl Settings {
    /// Applies the keys present in a JSON object (unknown keys and wrong types are ignored).
    pub fn update(&mut self, value: &serde_json::Value) {
        let value = value.get("stance").unwrap_or(value);
        if let Some(b) = value.get("evaluate").and_then(|v| v.as_bool()) {
            self.evaluate = b;
        }
        if let Some(n) = value.get("maxTuples").and_then(|v| v.as_u64()) {
            self.max_tuples = n as usize;
        }
        if let Some(n) = value.get("timeoutMs").and_then(|v| v.as_u64()) {
            self.timeout = Duration::from_millis(n);
        }
        if let Some(n) = value.get("debounceMs").and_then(|v| v.as_u64()) {
            self.debounce = Duration::from_millis(n);
        }
    }
}

/// Where a project's files are: `rules/` and `facts/` under the workspace folder (or, with no
/// `rules/`, the rule files in the folder itself), and the claims files in `claims/`.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace folder.
    pub root: PathBuf,
    /// The rules folder (`rules/`, or the workspace folder itself).
    pub rules: PathBuf,
    /// The `facts/` folder, if there is one.
    pub facts: Option<PathBuf>,
    /// The `claims/` folder.
    pub claims: PathBuf,
}

impl Workspace {
    /// The layout of the workspace folder `root`.
    pub fn new(root: PathBuf) -> Workspace {
        let rules = if root.join("rules").is_dir() { root.join("rules") } else { root.clone() };
        let facts = Some(root.join("facts")).filter(|f| f.is_dir());
        Workspace { claims: root.join("claims"), rules, facts, root }
    }

    /// The project's inputs, as the CLI would load them.
    pub fn inputs(&self) -> Inputs {
        Inputs { rules: vec![self.rules.clone()], facts: self.facts.clone(), ..Inputs::default() }
    }

    /// The rule files: those on disk in the rules folder and the open ones there.
    pub fn rule_files(&self, overlay: &Overlay) -> Vec<PathBuf> {
        self.files(&self.rules, "dl", overlay)
    }

    /// The claims files: those on disk in `claims/` and every open `.claims` file.
    pub fn claims_files(&self, overlay: &Overlay) -> Vec<PathBuf> {
        let mut files = self.files(&self.claims, "claims", overlay);
        files.extend(overlay.keys().filter(|p| p.extension().is_some_and(|x| x == "claims")).cloned());
        files.sort();
        files.dedup();
        files
    }

    fn files(&self, dir: &Path, ext: &str, overlay: &Overlay) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect())
            .unwrap_or_default();
        files.extend(overlay.keys().filter(|p| p.parent() == Some(dir)).cloned());
        files.retain(|p| p.extension().is_some_and(|x| x == ext));
        files.sort();
        files.dedup();
        files
    }
}

/// One round of work: the open documents' texts at one edit.
pub struct Job {
    /// Which edit this job is for: edits are numbered in order.
    pub generation: u64,
    /// The open documents' texts.
    pub overlay: Overlay,
    /// The client's settings.
    pub settings: Settings,
}

/// What the last evaluation found, rendered, for hover and code lenses.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Relation name → tuple count.
    pub counts: BTreeMap<String, usize>,
    /// Relation name → its first tuples in display order (`Egypt, Haftar`).
    pub samples: BTreeMap<String, Vec<String>>,
    /// (rule file, the rule's text as written) → tuples that rule derived first.
    pub rule_counts: BTreeMap<(PathBuf, String), usize>,
    /// Why the evaluation stopped early (a limit, the timeout), if it did.
    pub stopped: Option<String>,
}

/// How many tuples a hover shows.
pub const SAMPLE: usize = 5;

/// The last finished results, shared with the request loop.
#[derive(Default)]
pub struct Results {
    /// The last project that loaded without errors (its facts, program and symbols).
    pub project: Option<Project>,
    /// The last evaluation of that project.
    pub evaluation: Option<Evaluation>,
    /// The actors (symbol values) of the facts, sorted, for completion.
    pub constants: Vec<String>,
}

/// Runs jobs until the channel closes. `latest` is the generation of the newest edit.
/// Evaluation runs on a thread of its own, so a long one never delays the next edit's
/// diagnostics; of the projects waiting to be evaluated only the newest is.
pub fn worker(
    workspace: Workspace,
    jobs: Receiver<Job>,
    out: crossbeam_channel::Sender<Message>,
    results: Arc<Mutex<Results>>,
    latest: Arc<AtomicU64>,
) {
    let (evals, evals_rx) = mpsc::channel::<(u64, Project, Settings)>();
    {
        let (eval_out, results) = (out.clone(), results.clone());
        let spawned = std::thread::Builder::new()
            .name("stance-evaluation".to_string())
            .spawn(move || evaluator(evals_rx, eval_out, results));
        if spawned.is_err() {
            log(&out, "stance: cannot start the evaluation thread; evaluation is off");
        }
    }
    let mut published: BTreeSet<PathBuf> = BTreeSet::new();
    while let Ok(mut job) = jobs.recv() {
        loop {
            match jobs.recv_timeout(job.settings.debounce) {
                Ok(newer) => job = newer,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check(&workspace, &job, &out, &latest, &mut published)
        }));
        match run {
            Ok(Some(project)) if job.settings.evaluate => {
                if evals.send((job.generation, project, job.settings.clone())).is_err() {
                    analysed(&out, job.generation);
                }
            }
            Ok(Some(project)) => {
                let constants = constants(&project);
                let mut r = results.lock().unwrap_or_else(|e| e.into_inner());
                *r = Results { project: Some(project), evaluation: None, constants };
                drop(r);
                analysed(&out, job.generation);
            }
            Ok(None) => analysed(&out, job.generation),
            Err(_) => {
                log(&out, "stance: internal error while checking; the last results are kept");
                analysed(&out, job.generation);
            }
        }
    }
}

/// Evaluates the newest waiting project, then makes it and its evaluation the results.
fn evaluator(
    projects: Receiver<(u64, Project, Settings)>,
    out: crossbeam_channel::Sender<Message>,
    results: Arc<Mutex<Results>>,
) {
    while let Ok(mut next) = projects.recv() {
        while let Ok(newer) = projects.try_recv() {
            next = newer;
        }
        let (generation, mut project, settings) = next;
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let evaluation = evaluate(&mut project, &settings);
            (evaluation, constants(&project))
        }));
        match run {
            Ok((evaluation, constants)) => {
                let mut r = results.lock().unwrap_or_else(|e| e.into_inner());
                *r = Results { project: Some(project), evaluation: Some(evaluation), constants };
            }
            Err(_) => log(&out, "stance: internal error while evaluating; the last results are kept"),
        }
        analysed(&out, generation);
    }
}

/// Tells the client (tests, benchmarks) that the texts of an edit are fully analysed.
fn analysed(out: &crossbeam_channel::Sender<Message>, generation: u64) {
    let done = Notification::new("$/stance/analysed".to_string(), serde_json::json!({ "generation": generation }));
    let _ = out.send(Message::Notification(done));
}

fn log(out: &crossbeam_channel::Sender<Message>, message: &str) {
    let params = lsp::LogMessageParams { typ: lsp::MessageType::WARNING, message: message.to_string() };
    let _ = out.send(Message::Notification(Notification::new("window/logMessage".to_string(), params)));
}

/// Loads and checks the project with the job's texts and publishes the diagnostics;
/// returns the project when it has no errors.
fn check(
    workspace: &Workspace,
    job: &Job,
    out: &crossbeam_channel::Sender<Message>,
    latest: &AtomicU64,
    published: &mut BTreeSet<PathBuf>,
) -> Option<Project> {
    let mut sources = SourceMap::new();
    let loaded = session::load_with(&workspace.inputs(), &job.overlay, &mut sources);
    let fallback = workspace.rule_files(&job.overlay).into_iter().next();
    let (by_file, project) = match loaded {
        Ok(mut project) => {
            let mut diags: Vec<Diagnostic> = project.warnings.clone();
            diags.extend(claims_diagnostics(workspace, &job.overlay, &mut project));
            (convert::diagnostics(&diags, &project.sources, fallback.as_deref()), Some(project))
        }
        Err(failure) => {
            let sources = failure.sources.as_ref().unwrap_or(&sources);
            (convert::diagnostics(&failure.diagnostics, sources, fallback.as_deref()), None)
        }
    };
    if latest.load(Ordering::SeqCst) != job.generation {
        return None; // a newer edit is waiting: its diagnostics replace these at once
    }
    publish(out, by_file, published);
    project
}

/// Sends every file's diagnostics, and empty lists for the files that had some last time.
fn publish(
    out: &crossbeam_channel::Sender<Message>,
    by_file: BTreeMap<PathBuf, Vec<lsp::Diagnostic>>,
    published: &mut BTreeSet<PathBuf>,
) {
    let now: BTreeSet<PathBuf> = by_file.keys().cloned().collect();
    let cleared: Vec<PathBuf> = published.difference(&now).cloned().collect();
    let all = by_file.into_iter().chain(cleared.into_iter().map(|p| (p, Vec::new())));
    for (path, diagnostics) in all {
        let Some(uri) = convert::uri(&path) else { continue };
        let params = lsp::PublishDiagnosticsParams { uri, diagnostics, version: None };
        let n = Notification::new("textDocument/publishDiagnostics".to_string(), params);
        let _ = out.send(Message::Notification(n));
    }
    *published = now;
}

/// Parses each claims file against the loaded program, as `stance review` does.
fn claims_diagnostics(workspace: &Workspace, overlay: &Overlay, project: &mut Project) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for path in workspace.claims_files(overlay) {
        let text = match overlay.get(&path) {
            Some(t) => t.clone(),
            None => match std::fs::read(&path) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => continue,
            },
        };
        let id = project.sources.add(path.display().to_string(), text);
        if let Err(d) = claims::parse(id, &mut project.sources, &project.program, &project.symbols) {
            diags.extend(d);
        }
    }
    diags
}

/// Evaluates under the limits and renders what hover and the code lenses show.
fn evaluate(project: &mut Project, settings: &Settings) -> Evaluation {
    let options = EvalOptions {
        record: true,
        max_tuples: Some(settings.max_tuples),
        deadline: Some(Instant::now() + settings.timeout),
        ..EvalOptions::default()
    };
    let model = match session::evaluate(project, &options) {
        Ok(m) => m,
        Err(f) => {
            let why = f.diagnostics.first().map_or_else(|| "evaluation failed".to_string(), |d| d.message.clone());
            return Evaluation { stopped: Some(why), ..Evaluation::default() };
        }
    };
    let program = &project.program;
    let mut e = Evaluation::default();
    for (id, rel) in program.relations.iter().enumerate() {
        if program.is_constraint(id) {
            continue;
        }
        let tuples = &model.relations[id];
        e.counts.insert(rel.name.clone(), tuples.len());
        let rows = sorted_rows(tuples, &rel.types, &project.symbols);
        e.samples.insert(rel.name.clone(), rows.into_iter().take(SAMPLE).map(|r| r.join(", ")).collect());
        for i in 0..tuples.len() {
            if let Some(a) = model.annotation(id, i)
                && a.rule != INPUT
                && let Some(rule) = program.rules.get(a.rule as usize)
            {
                let file = project.sources.get(rule.span.file);
                let key = (PathBuf::from(&file.name), project.sources.snippet(rule.span).to_string());
                *e.rule_counts.entry(key).or_default() += 1;
            }
        }
    }
    e
}

/// The symbols in the facts' symbol columns, sorted.
fn constants(project: &Project) -> Vec<String> {
    let mut values = BTreeSet::new();
    for (name, rows) in &project.facts.relations {
        let Some(id) = project.program.relation_id(name) else { continue };
        let types = &project.program.relations[id].types;
        for tuple in rows.tuples.iter() {
            values.extend(
                tuple.iter().zip(types).filter(|(_, t)| **t == crate::base::value::Type::Symbol).map(|(v, _)| *v),
            );
        }
    }
    let mut names: Vec<String> = values.into_iter().map(|v| project.symbols.resolve(v).to_string()).collect();
    names.sort();
    names
}
