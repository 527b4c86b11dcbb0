//! The re-evaluation service: one loop, shared by `stance watch` and the language server
//! (and, through [`Evaluator`], by any backend), that turns edits into diagnostics, a model
//! and the tuples that changed.
//!
//! ```text
//!  edit() ──► check thread ───────────────────────► evaluation thread
//!             wait `debounce` for more edits,        newest checked run only: its project
//!             load + check the newest texts          with every row, Subscriber::prepare,
//!             (session::cache: unchanged files       Evaluator::apply under the limits,
//!             not read again), Subscriber::checked   delta of the tracked relations,
//!                                                    Subscriber::evaluated, finished
//! ```
//!
//! Each edit gets the next generation number and a fresh [`CancelToken`], and cancels the
//! token of the edit before it: an evaluation of outdated texts stops inside the engine's
//! loops (see [`crate::engine::limits`]) instead of holding the newer texts back. Checking
//! and evaluating run on separate threads, so a long evaluation never delays the next
//! edit's diagnostics. Subscribers hear of the runs in generation order: a run overtaken by
//! a newer edit before it was checked, or before its evaluation started, is skipped (its
//! `finished` still comes, so a client waiting for a generation is never left waiting).
//!
//! The workspace may come from someone else (a pull request under review): [`Limits`] says
//! whether to evaluate at all and bounds the evaluation (tuples, time; the engine adds its
//! memory budget). Nothing here writes a file: `.output` is never run.

use crate::base::diag::Diagnostic;
use crate::base::source::SourceMap;
use crate::engine::eval::{EvalOptions, Model};
use crate::engine::limits::CancelToken;
use crate::session::cache::LoadCache;
use crate::session::{self, Failure, Inputs, Overlay, Project};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the service may do with a workspace's rules, and how long it waits for quiet.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Evaluate after checking. Off: diagnostics only (an untrusted workspace's choice).
    pub evaluate: bool,
    /// Stop evaluating when a relation grows beyond this many tuples.
    pub max_tuples: Option<usize>,
    /// Stop evaluating after this long.
    pub timeout: Option<Duration>,
    /// Record each derived tuple's round and rule, for proofs.
    pub record: bool,
    /// After an edit, wait this long for the next one before checking.
    pub debounce: Duration,
}

impl Limits {
    /// For a workspace that may come from someone else (the language server's default):
    /// proofs recorded, at most a million tuples per relation and ten seconds.
    pub fn untrusted() -> Limits {
        Limits {
            evaluate: true,
            max_tuples: Some(1_000_000),
            timeout: Some(Duration::from_secs(10)),
            record: true,
            debounce: Duration::from_millis(50),
        }
    }

    /// For the user's own project, run from the command line (`watch`): no limits beyond
    /// the engine's memory budget, no proofs.
    pub fn trusted(debounce: Duration) -> Limits {
        Limits { evaluate: true, max_tuples: None, timeout: None, record: false, debounce }
    }

    /// The evaluation options these limits give, from now on.
    pub fn eval_options(&self, cancel: &CancelToken) -> EvalOptions {
        EvalOptions {
            record: self.record,
            max_tuples: self.max_tuples,
            deadline: self.timeout.map(|t| Instant::now() + t),
            cancel: Some(cancel.clone()),
            ..EvalOptions::default()
        }
    }
}

/// One edit handed to the service.
#[derive(Debug, Clone)]
pub enum Edit {
    /// The editor's unsaved texts, all of them (they replace the last ones).
    Texts(Overlay),
    /// Files changed on disk (empty: run again as things are).
    Files(Vec<PathBuf>),
    /// New limits (a client's settings changed).
    Limits(Limits),
}

/// Which relations' changes the service works out after each evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Tracked {
    /// None (the language server shows counts and samples, not changes).
    Nothing,
    /// What `infer` shows: the `.output` relations, or every derived one.
    Shown,
    /// These relations, by name (a name the rules do not declare fails the run).
    Named(Vec<String>),
}

impl Tracked {
    /// As `--relation` gives them: these relations, or with none, what `infer` shows.
    pub fn named_or_shown(names: &[String]) -> Tracked {
        if names.is_empty() { Tracked::Shown } else { Tracked::Named(names.to_vec()) }
    }

    /// The relations named (none for [`Tracked::Nothing`] and [`Tracked::Shown`]).
    fn names(&self) -> &[String] {
        match self {
            Tracked::Named(names) => names,
            Tracked::Nothing | Tracked::Shown => &[],
        }
    }
}

/// How the rows of a [`Delta`] are written, cell by cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cells {
    /// As literals of the rule language (`"Egypt"`, `3`): `watch` prints them as atoms.
    #[default]
    Literal,
    /// As JSON values, the text of each (`"Egypt"`, `3`, `[1, "a"]`), as `infer --format
    /// json` writes them: `serve` answers in JSON.
    Json,
}

/// One run: the edits it covers and when they came.
#[derive(Debug, Clone)]
pub struct Run {
    /// The generation of the newest edit it covers (edits are numbered from 1).
    pub generation: u64,
    /// The files changed on disk since the last run that was checked, sorted.
    pub changed: Vec<PathBuf>,
    /// When the first edit of this run arrived (`None` for the first run).
    pub first_edit: Option<Instant>,
    /// When loading started.
    pub started: Instant,
    /// The editor's texts this run checked.
    pub texts: Arc<Overlay>,
    /// How the run's changes are written.
    pub cells: Cells,
}

/// The tuples of one relation that an evaluation added and removed, each row as cells
/// written as the service's [`Cells`] say (`"Egypt"`, `3`), each list in display order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Rows the last evaluation had and this one does not.
    pub removed: Vec<Vec<String>>,
    /// Rows this evaluation has and the last one did not.
    pub added: Vec<Vec<String>>,
}

/// What changed in the tracked relations since the last finished evaluation (on the first,
/// every tuple is added). Every tracked relation has an entry, changed or not; a relation
/// that disappeared has one with its old rows removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delta {
    /// Relation name → its changes.
    pub relations: BTreeMap<String, Changes>,
}

/// What an [`Evaluator`] gives back.
pub struct Output {
    /// Every relation's tuples.
    pub model: Model,
    /// The changes of the tracked relations, when the evaluator knows them (an incremental
    /// backend does); `None`: the service works them out by comparing with the last model.
    pub delta: Option<Delta>,
}

/// An evaluator the service drives: given the newest checked project, the new model and
/// (if it can tell) the delta. [`Recompute`] evaluates from scratch; an incremental backend
/// (differential dataflow) keeps its state between calls and applies only what changed
/// (`run.changed`, and the project's facts compared with the ones it holds).
pub trait Evaluator: Send {
    /// Evaluates `project` under `options` (which carry the limits and the cancel token).
    /// `tracked` are the relations whose changes are wanted.
    fn apply(
        &mut self,
        run: &Run,
        project: &mut Project,
        options: &EvalOptions,
        tracked: &[usize],
    ) -> Result<Output, Failure>;
}

/// Plans and evaluates each project from scratch with the backend `options.engine` names.
#[derive(Debug, Default)]
pub struct Recompute;

impl Evaluator for Recompute {
    fn apply(&mut self, _: &Run, project: &mut Project, options: &EvalOptions, _: &[usize]) -> Result<Output, Failure> {
        session::plan(project);
        Ok(Output { model: session::evaluate(project, options)?, delta: None })
    }
}

/// How an evaluation ended.
pub enum Outcome {
    /// Evaluated: the model and what changed.
    Evaluated {
        /// Every relation's tuples (shared: a subscriber may keep it).
        model: Arc<Model>,
        /// The changes of the tracked relations.
        delta: Delta,
    },
    /// Not evaluated: the limits turn evaluation off.
    Off,
    /// A newer edit cancelled it.
    Cancelled,
    /// It failed or hit a limit: the diagnostics point into the project's sources.
    Failed(Failure),
}

/// A checked project and how its evaluation ended.
pub struct Evaluated {
    /// The project (its sources, program, facts and symbols).
    pub project: Arc<Project>,
    /// How its evaluation ended.
    pub outcome: Outcome,
}

/// What the service tells. Called on the service's threads, in generation order per method.
pub trait Subscriber: Send + Sync {
    /// The run's texts were loaded and checked: a project with its warnings, or the
    /// failure with its diagnostics and sources; `read` lists the files the run read. The
    /// project's facts may lack the statement rows (see [`session::load_cached`]); when they
    /// do not, this project is the one evaluated, so add to it in `prepare`, not here.
    fn checked(&self, run: &Run, checked: &mut Result<Project, Failure>, read: &[PathBuf]) {
        let _ = (run, checked, read);
    }

    /// The run's project, loaded again with every row on the evaluation thread, is about to
    /// be evaluated; a subscriber may add to it (claims files).
    fn prepare(&self, run: &Run, project: &mut Project) {
        let _ = (run, project);
    }

    /// The run's project was evaluated (or not: see [`Outcome`]).
    fn evaluated(&self, run: &Run, evaluated: &Evaluated) {
        let _ = (run, evaluated);
    }

    /// Everything for the run is done (or it was overtaken by a newer edit).
    fn finished(&self, run: &Run) {
        let _ = run;
    }
}

/// One edit on its way to the check thread.
struct Message {
    generation: u64,
    edit: Edit,
    cancel: CancelToken,
    at: Instant,
}

/// A run whose texts checked without errors, on its way to the evaluation thread, with its
/// project when that has every row (else the evaluation thread loads it again).
struct Pending {
    run: Run,
    project: Option<Project>,
    limits: Limits,
    cancel: CancelToken,
}

/// The running service. Dropping it stops its threads (cancelling a running evaluation).
pub struct Service {
    edits: Option<Sender<Message>>,
    latest: Arc<AtomicU64>,
    /// The token of the newest edit: cancelled when the next one comes.
    running: Mutex<CancelToken>,
    threads: Vec<JoinHandle<()>>,
}

/// What the service is started with.
pub struct Setup {
    /// Where the rules and facts are.
    pub inputs: Inputs,
    /// The limits at the start.
    pub limits: Limits,
    /// Which relations' changes to work out.
    pub tracked: Tracked,
    /// The evaluator.
    pub evaluator: Box<dyn Evaluator>,
    /// Who hears of the runs.
    pub subscribers: Vec<Arc<dyn Subscriber>>,
    /// How the changes' rows are written.
    pub cells: Cells,
}

impl Service {
    /// Starts the threads. Nothing runs until the first [`Service::edit`].
    pub fn start(setup: Setup) -> std::io::Result<Service> {
        let Setup { inputs, limits, tracked, evaluator, subscribers, cells } = setup;
        let subscribers: Arc<[Arc<dyn Subscriber>]> = subscribers.into();
        let latest = Arc::new(AtomicU64::new(0));
        let (edits, edits_rx) = mpsc::channel::<Message>();
        let (pending, pending_rx) = mpsc::channel::<Pending>();
        let eval_subscribers = subscribers.clone();
        let state = CheckState::new(inputs, limits, cells, tracked.names().to_vec());
        let loader = (state.inputs.clone(), state.cache.clone());
        let evaluation = std::thread::Builder::new()
            .name("stance-evaluation".to_string())
            .spawn(move || evaluate_loop(pending_rx, loader, evaluator, tracked, &eval_subscribers))?;
        let check_latest = latest.clone();
        let check = std::thread::Builder::new()
            .name("stance-check".to_string())
            .spawn(move || check_loop(state, edits_rx, pending, &check_latest, &subscribers))?;
        Ok(Service {
            edits: Some(edits),
            latest,
            running: Mutex::new(CancelToken::new()),
            threads: vec![check, evaluation],
        })
    }

    /// Hands an edit to the service and cancels the evaluation of the edits before it;
    /// returns the edit's generation.
    pub fn edit(&self, edit: Edit) -> u64 {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.cancel();
        *running = CancelToken::new();
        let generation = self.latest.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(edits) = &self.edits {
            let _ = edits.send(Message { generation, edit, cancel: running.clone(), at: Instant::now() });
        }
        generation
    }

    /// The generation of the newest edit.
    pub fn latest(&self) -> u64 {
        self.latest.load(Ordering::SeqCst)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).cancel();
        self.edits = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// What the check thread knows between runs: the texts and limits as of the newest edit,
/// and the files changed since the last run was checked.
struct CheckState {
    inputs: Inputs,
    overlay: Arc<Overlay>,
    limits: Limits,
    changed: BTreeSet<PathBuf>,
    first_edit: Option<Instant>,
    /// Unchanged rule files and statement tables are not read again.
    cache: LoadCache,
    /// Whether a run was checked yet (the first run has no first edit to time from).
    ran: bool,
    cells: Cells,
    /// The relations named to be tracked (`--relation`): each run checks they exist.
    named: Vec<String>,
}

impl CheckState {
    fn new(inputs: Inputs, limits: Limits, cells: Cells, named: Vec<String>) -> CheckState {
        CheckState {
            inputs,
            overlay: Arc::default(),
            limits,
            changed: BTreeSet::new(),
            first_edit: None,
            cache: LoadCache::default(),
            ran: false,
            cells,
            named,
        }
    }

    fn absorb(&mut self, m: Message) {
        if self.ran {
            self.first_edit.get_or_insert(m.at);
        }
        match m.edit {
            Edit::Texts(t) => self.overlay = Arc::new(t),
            Edit::Files(f) => self.changed.extend(f),
            Edit::Limits(l) => self.limits = l,
        }
    }
}

/// Waits for edits, lets a burst settle, checks the newest texts and hands the project on.
fn check_loop(
    mut state: CheckState,
    edits: Receiver<Message>,
    pending: Sender<Pending>,
    latest: &AtomicU64,
    subscribers: &[Arc<dyn Subscriber>],
) {
    while let Ok(mut newest) = edits.recv() {
        loop {
            match edits.recv_timeout(state.limits.debounce) {
                Ok(newer) => state.absorb(std::mem::replace(&mut newest, newer)),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let (generation, cancel) = (newest.generation, newest.cancel.clone());
        state.absorb(newest);
        let run = Run {
            generation,
            changed: state.changed.iter().cloned().collect(),
            first_edit: state.first_edit,
            started: Instant::now(),
            texts: state.overlay.clone(),
            cells: state.cells,
        };
        let mut sources = SourceMap::new();
        let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            session::load_cached(&state.inputs, &state.overlay, &mut sources, Some(&mut state.cache), false)
        }));
        if latest.load(Ordering::SeqCst) != generation {
            // A newer edit is waiting: its run replaces this one at once.
            subscribers.iter().for_each(|s| s.finished(&run));
            continue;
        }
        let mut checked = match loaded {
            Ok(result) => result.map_err(|f| f.within(&mut sources)),
            Err(_) => Err(Failure::io("internal error in stance while checking".to_string())),
        };
        // A relation named to be tracked that the rules do not declare (a typo, or one an
        // edit removed) fails the run, as `infer --relation` fails: left out, its changes
        // would silently never show.
        let unknown = match &mut checked {
            Ok(project) => project.program.relations_named(&state.named).err().map(|d| (d, &mut project.sources)),
            Err(_) => None,
        };
        if let Some((d, sources)) = unknown {
            checked = Err(Failure::new(vec![d], crate::session::ExitStatus::Usage).within(sources));
        }
        let read = read_files(match &checked {
            Ok(p) => &p.sources,
            Err(f) => f.sources.as_ref().unwrap_or(&sources),
        });
        subscribers.iter().for_each(|s| s.checked(&run, &mut checked, &read));
        (state.ran, state.first_edit) = (true, None);
        state.changed.clear();
        match checked {
            Ok(project) => {
                let project = (!state.cache.rows_left_out).then_some(project);
                let limits = state.limits.clone();
                if let Err(mpsc::SendError(p)) = pending.send(Pending { run, project, limits, cancel }) {
                    subscribers.iter().for_each(|s| s.finished(&p.run));
                }
            }
            Err(_) => subscribers.iter().for_each(|s| s.finished(&run)),
        }
    }
}

/// The files a run read (rule files and tables, not `<stdin>` and the like).
fn read_files(sources: &SourceMap) -> Vec<PathBuf> {
    sources.files().map(|(_, f)| &f.name).filter(|n| !n.starts_with('<')).map(PathBuf::from).collect()
}

/// Loads the newest waiting run's texts with every row (reusing the check thread's
/// statement tables through the shared cache), evaluates them, works out the delta, tells
/// the subscribers. A run whose files changed since its check into errors is skipped (the
/// next run, which their change starts, reports them).
fn evaluate_loop(
    projects: Receiver<Pending>,
    (inputs, mut cache): (Inputs, LoadCache),
    mut evaluator: Box<dyn Evaluator>,
    tracked: Tracked,
    subscribers: &[Arc<dyn Subscriber>],
) {
    // The last evaluation's tracked rows; when the evaluator gave the delta itself, they are
    // rendered only if a later evaluation does not (from the project and model kept here).
    let mut last = Rendered::new();
    let mut unrendered: Option<(Arc<Project>, Arc<Model>, Vec<usize>)> = None;
    while let Ok(mut next) = projects.recv() {
        while let Ok(newer) = projects.try_recv() {
            subscribers.iter().for_each(|s| s.finished(&next.run));
            next = newer;
        }
        let Pending { run, project, limits, cancel } = next;
        let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match project {
            Some(p) => Ok(p),
            None => session::load_cached(&inputs, &run.texts, &mut SourceMap::new(), Some(&mut cache), true),
        }));
        let Ok(Ok(mut project)) = loaded else {
            subscribers.iter().for_each(|s| s.finished(&run));
            continue;
        };
        subscribers.iter().for_each(|s| s.prepare(&run, &mut project));
        let mut gave_delta = false;
        let outcome = if !limits.evaluate {
            Outcome::Off
        } else {
            let ids = tracked_ids(&project, &tracked);
            let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                evaluator.apply(&run, &mut project, &limits.eval_options(&cancel), &ids)
            }));
            match applied {
                Ok(Ok(Output { model, delta: Some(delta) })) => {
                    gave_delta = true;
                    Outcome::Evaluated { model: Arc::new(model), delta }
                }
                Ok(Ok(Output { model, delta: None })) => {
                    if let Some((p, m, ids)) = unrendered.take() {
                        last = render(&p, &m, &ids, run.cells);
                    }
                    let now = render(&project, &model, &ids, run.cells);
                    let delta = delta(&last, &now);
                    last = now;
                    Outcome::Evaluated { model: Arc::new(model), delta }
                }
                Ok(Err(_)) if cancel.is_cancelled() => Outcome::Cancelled,
                Ok(Err(f)) => Outcome::Failed(f),
                Err(_) => Outcome::Failed(Failure::io("internal error in stance while evaluating".to_string())),
            }
        };
        let evaluated = Evaluated { project: Arc::new(project), outcome };
        for s in subscribers {
            s.evaluated(&run, &evaluated);
            s.finished(&run);
        }
        // Kept after the run is out: this drops the last run's project (a million rows are
        // freed in milliseconds, which the printed run should not wait for).
        if let Outcome::Evaluated { model, .. } = &evaluated.outcome
            && gave_delta
        {
            unrendered = Some((evaluated.project.clone(), model.clone(), tracked_ids(&evaluated.project, &tracked)));
        }
        // The run is out: the kept symbol table's copy, if due, is made now (see
        // `LoadCache::unshare_statements`).
        cache.unshare_statements();
    }
}

/// The tracked relations of a project.
fn tracked_ids(project: &Project, tracked: &Tracked) -> Vec<usize> {
    let program = &project.program;
    match tracked {
        Tracked::Nothing => Vec::new(),
        Tracked::Shown => program.shown_relations(),
        Tracked::Named(names) => names.iter().filter_map(|n| program.relation_id(n)).collect(),
    }
}

/// The tracked relations' rows as cells, in display order, by name.
type Rendered = BTreeMap<String, Vec<Vec<String>>>;

fn render(project: &Project, model: &Model, ids: &[usize], cells: Cells) -> Rendered {
    ids.iter()
        .map(|&id| (project.program.relations[id].name.clone(), render_cells(project, id, &model.relations[id], cells)))
        .collect()
}

/// Tuples of relation `rel` (in the project's ids) as literals per row, in display order.
pub fn render_rows(project: &Project, rel: usize, tuples: &crate::base::value::Tuples) -> Vec<Vec<String>> {
    render_cells(project, rel, tuples, Cells::Literal)
}

/// Tuples of relation `rel` (in the project's ids) as cells per row, in display order.
pub fn render_cells(
    project: &Project,
    rel: usize,
    tuples: &crate::base::value::Tuples,
    cells: Cells,
) -> Vec<Vec<String>> {
    let (types, symbols) = (&project.program.relations[rel].types, &project.symbols);
    let cell = |v, t| match cells {
        Cells::Literal => crate::proof::provenance::literal(v, t, symbols),
        Cells::Json => crate::base::value::value_json(v, t, symbols).to_string(),
    };
    crate::base::order::display_order(tuples, types, symbols)
        .into_iter()
        .map(|i| tuples.get(i).iter().zip(types).map(|(&v, &t)| cell(v, t)).collect())
        .collect()
}

/// What changed from `old` to `new`: per relation of either, the rows only one of them has.
pub fn delta(old: &Rendered, new: &Rendered) -> Delta {
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let empty = Vec::new();
    let relations = names
        .into_iter()
        .map(|name| {
            let (a, b) = (old.get(name).unwrap_or(&empty), new.get(name).unwrap_or(&empty));
            let (sa, sb): (HashSet<&Vec<String>>, HashSet<&Vec<String>>) = (a.iter().collect(), b.iter().collect());
            let removed = a.iter().filter(|r| !sb.contains(r)).cloned().collect();
            let added = b.iter().filter(|r| !sa.contains(r)).cloned().collect();
            (name.clone(), Changes { removed, added })
        })
        .collect();
    Delta { relations }
}

/// The diagnostics of a check: the project's warnings, or the failure's diagnostics, with
/// the sources they point into.
pub fn diagnostics(checked: &Result<Project, Failure>) -> (&[Diagnostic], Option<&SourceMap>) {
    match checked {
        Ok(p) => (&p.warnings, Some(&p.sources)),
        Err(f) => (&f.diagnostics, f.sources.as_ref()),
    }
}
