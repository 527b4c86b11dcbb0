//! The background half of the server: a subscriber to the re-evaluation service
//! ([`crate::session::reeval`], shared with `watch`). After each edit the service loads and
//! checks the project with the open documents' texts (the same [`crate::session::load_with`] that
//! `check` uses) and this module publishes its diagnostics; then, unless turned off, the
//! service evaluates it under limits on a thread of its own (so a long evaluation never
//! delays the next edit's diagnostics; the next edit cancels it), and this module renders
//! what hover and the code lenses show. The request loop only ever reads the last finished
//! [`Results`], so typing never waits.

use crate::base::diag::Diagnostic;
use crate::base::source::SourceMap;
use crate::engine::eval::{INPUT, Model};
use crate::lsp::convert;
use crate::proof::claims::{self, ClaimSpec, Expect};
use crate::proof::explain;
use crate::proof::provenance::Explainer;
use crate::review::verdicts;
use crate::session::reeval::{Evaluated, Limits, Outcome, Run, Subscriber};
use crate::session::{Failure, Inputs, Overlay, Project};
use lsp_server::{Message, Notification};
use lsp_types as lsp;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// The re-evaluation service's limits for an untrusted workspace.
    fn default() -> Settings {
        let l = Limits::untrusted();
        Settings {
            evaluate: l.evaluate,
            max_tuples: l.max_tuples.unwrap_or(usize::MAX),
            timeout: l.timeout.unwrap_or(Duration::MAX),
            debounce: l.debounce,
        }
    }
}

impl Settings {
    /// The limits the re-evaluation service applies (proofs are always recorded: hover and
    /// the code lenses show them).
    pub fn limits(&self) -> Limits {
        Limits {
            evaluate: self.evaluate,
            max_tuples: Some(self.max_tuples),
            timeout: Some(self.timeout),
            record: true,
            debounce: self.debounce,
        }
    }

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

/// Each claims file that parsed, with its claims.
type Claims = Vec<(PathBuf, Vec<ClaimSpec>)>;

/// What the last evaluation found, rendered, for hover and code lenses.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Relation name → tuple count.
    pub counts: BTreeMap<String, usize>,
    /// Relation name → its first tuples in display order (`Egypt, Haftar`).
    pub samples: BTreeMap<String, Vec<String>>,
    /// (rule file, the rule's text as written) → tuples that rule derived first.
    pub rule_counts: BTreeMap<(PathBuf, String), usize>,
    /// (rule file, the rule's text as written) → the first tuple (in the model's order)
    /// that rule derived: its relation and index, explained only when asked
    /// ([`first_proof`]: a proof can be as long as the program is deep).
    pub firsts: BTreeMap<(PathBuf, String), (usize, usize)>,
    /// Claims file → each claim's byte range in the text that was checked, and its hover.
    pub claims: BTreeMap<PathBuf, Vec<(std::ops::Range<usize>, String)>>,
    /// Why the evaluation stopped early (a limit, the timeout), if it did.
    pub stopped: Option<String>,
}

/// How many tuples a hover shows.
pub const SAMPLE: usize = 5;

/// The last finished results, shared with the request loop.
#[derive(Default)]
pub struct Results {
    /// The last project that loaded without errors (its facts, program and symbols).
    pub project: Option<Arc<Project>>,
    /// The last evaluation of that project.
    pub evaluation: Option<Evaluation>,
    /// Its model, when it finished.
    pub model: Option<Arc<Model>>,
    /// The actors (symbol values) of the facts, sorted, for completion.
    pub constants: Vec<String>,
}

/// The server's subscriber to the re-evaluation service: publishes each check's
/// diagnostics, parses the claims files, and renders each evaluation into [`Results`].
pub struct Publisher {
    workspace: Workspace,
    out: crossbeam_channel::Sender<Message>,
    results: Arc<Mutex<Results>>,
    /// The files that have diagnostics on the client.
    published: Mutex<BTreeSet<PathBuf>>,
    /// The claims parsed into each generation's project, until its evaluation ends.
    claims: Mutex<BTreeMap<u64, Claims>>,
}

impl Publisher {
    /// A publisher to `out` of the results for `workspace`.
    pub fn new(workspace: Workspace, out: crossbeam_channel::Sender<Message>, results: Arc<Mutex<Results>>) -> Self {
        Publisher { workspace, out, results, published: Mutex::default(), claims: Mutex::default() }
    }

    fn results(&self) -> std::sync::MutexGuard<'_, Results> {
        self.results.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Subscriber for Publisher {
    /// Publishes the diagnostics of the rules, the facts and the claims files.
    fn checked(&self, run: &Run, checked: &mut Result<Project, Failure>, _: &[PathBuf]) {
        let overlay = &run.texts;
        let fallback = self.workspace.rule_files(overlay).into_iter().next();
        let by_file = match checked {
            Ok(project) => {
                // Into a copy of the sources: the project may be the one evaluated, whose
                // claims `prepare` parses.
                let mut diags: Vec<Diagnostic> = project.warnings.clone();
                let mut sources = project.sources.clone();
                parse_claims(&self.workspace, overlay, (&project.program, &project.symbols, &mut sources), &mut diags);
                convert::diagnostics(&diags, &sources, fallback.as_deref())
            }
            Err(failure) => {
                let sources = failure.sources.take().unwrap_or_default();
                let by_file = convert::diagnostics(&failure.diagnostics, &sources, fallback.as_deref());
                failure.sources = Some(sources);
                by_file
            }
        };
        publish(&self.out, by_file, &mut self.published.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Parses the claims files into the project to be evaluated (their diagnostics were
    /// published with the check).
    fn prepare(&self, run: &Run, project: &mut Project) {
        let Project { program, symbols, sources, .. } = project;
        let claims = parse_claims(&self.workspace, &run.texts, (program, symbols, sources), &mut Vec::new());
        self.claims.lock().unwrap_or_else(|e| e.into_inner()).insert(run.generation, claims);
    }

    /// Makes the project and its rendered evaluation the results (a cancelled evaluation
    /// leaves the last results as they were).
    fn evaluated(&self, run: &Run, evaluated: &Evaluated) {
        let claims = {
            let mut all = self.claims.lock().unwrap_or_else(|e| e.into_inner());
            let claims = all.remove(&run.generation).unwrap_or_default();
            all.retain(|&g, _| g > run.generation);
            claims
        };
        let project = &evaluated.project;
        let model = match &evaluated.outcome {
            Outcome::Evaluated { model, .. } => Some(model.clone()),
            _ => None,
        };
        let evaluation = match &evaluated.outcome {
            Outcome::Cancelled => return,
            Outcome::Off => None,
            Outcome::Failed(f) => {
                let mut why =
                    f.diagnostics.first().map_or_else(|| "evaluation failed".to_string(), |d| d.message.clone());
                for (flag, setting) in SETTING_NAMES {
                    why = why.replace(flag, setting);
                }
                Some(Evaluation { stopped: Some(why), ..Evaluation::default() })
            }
            Outcome::Evaluated { model, .. } => {
                let rendered = std::panic::catch_unwind(|| render(project, model, &claims, &self.workspace.root));
                match rendered {
                    Ok(e) => Some(e),
                    Err(_) => {
                        log(&self.out, "stance: internal error while evaluating; the last results are kept");
                        return;
                    }
                }
            }
        };
        let constants = constants(project);
        *self.results() = Results { project: Some(project.clone()), evaluation, model, constants };
    }

    fn finished(&self, run: &Run) {
        analysed(&self.out, run.generation);
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

/// Parses each claims file against the loaded program, as `stance review` does: the
/// claims of the files that parse, and the diagnostics of those that do not.
fn parse_claims(
    workspace: &Workspace,
    overlay: &Overlay,
    (program, symbols, sources): (&crate::lang::ir::Program, &crate::base::value::Symbols, &mut SourceMap),
    diags: &mut Vec<Diagnostic>,
) -> Claims {
    let mut parsed = Vec::new();
    for path in workspace.claims_files(overlay) {
        let text = match overlay.get(&path) {
            Some(t) => t.clone(),
            None => match std::fs::read(&path) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => continue,
            },
        };
        let id = sources.add(path.display().to_string(), text);
        match claims::parse(id, sources, program, symbols) {
            Ok(specs) => parsed.push((path, specs)),
            Err(d) => diags.extend(d),
        }
    }
    parsed
}

/// How many lines of a proof a claim's hover shows.
pub const PROOF_LINES: usize = 12;

/// The limits as the editor's settings name them: the engine's messages name the command
/// line's flags, which the editor's user never typed.
const SETTING_NAMES: &[(&str, &str)] =
    &[("--max-tuples", "the `maxTuples` setting"), ("--timeout", "the `timeoutMs` setting")];

/// Renders what hover and the code lenses show of an evaluation.
fn render(project: &Project, model: &Model, claims: &Claims, root: &Path) -> Evaluation {
    let Project { program, facts, sources, .. } = project;
    // The explainer may name new symbols; the project is shared, so it gets a copy.
    let symbols = &mut project.symbols.clone();
    let mut e = Evaluation::default();
    // Per rule: how many tuples it derived first, and the first of them.
    let mut by_rule: Vec<(usize, Option<(usize, usize)>)> = vec![(0, None); program.rules.len()];
    for (id, rel) in program.relations.iter().enumerate() {
        if program.is_constraint(id) {
            continue;
        }
        let tuples = &model.relations[id];
        e.counts.insert(rel.name.clone(), tuples.len());
        let order = crate::base::order::display_order(tuples, &rel.types, symbols);
        let sample = order.into_iter().take(SAMPLE).map(|i| {
            let row = tuples.get(i).iter().zip(&rel.types);
            row.map(|(&v, &t)| crate::base::value::display(v, t, symbols)).collect::<Vec<_>>().join(", ")
        });
        e.samples.insert(rel.name.clone(), sample.collect());
        for i in 0..tuples.len() {
            if let Some(a) = model.annotation(id, i)
                && a.rule != INPUT
                && let Some(counted) = by_rule.get_mut(a.rule as usize)
            {
                counted.0 += 1;
                counted.1.get_or_insert((id, i));
            }
        }
    }
    for (rule, (count, first)) in program.rules.iter().zip(by_rule) {
        let Some(first) = first else { continue };
        let key = (PathBuf::from(&sources.get(rule.span.file).name), sources.snippet(rule.span).to_string());
        *e.rule_counts.entry(key.clone()).or_default() += count;
        e.firsts.entry(key).or_insert(first);
    }
    // Paths in proofs as the user reads them: relative to the workspace folder.
    let root = format!("{}/", root.display());
    let mut ex = Explainer::new(program, model, facts, sources, symbols);
    for (path, specs) in claims {
        let outcomes = verdicts::review(&mut ex, specs);
        let hovers = outcomes.iter().map(|o| (o.spec.span.range(), claim_hover(&mut ex, o).replace(&root, "")));
        e.claims.insert(path.clone(), hovers.collect());
    }
    e
}

/// The proof of the first tuple a rule derived (see [`Evaluation::firsts`]), as `stance
/// explain` prints it, with paths relative to the workspace folder `root`.
pub fn first_proof(results: &Results, (rel, i): (usize, usize), root: &Path) -> Option<String> {
    let (project, model) = (results.project.as_ref()?, results.model.as_ref()?);
    let mut symbols = project.symbols.clone();
    let mut ex = Explainer::new(&project.program, model, &project.facts, &project.sources, &mut symbols);
    let tuple = model.relations.get(rel)?.get(i).to_vec();
    let node = ex.explain(rel, &tuple)?;
    Some(explain::render_tree(&ex, node, None).replace(&format!("{}/", root.display()), ""))
}

/// A claim's hover: its verdict and the claim as `stance review` prints them, then the
/// first [`PROOF_LINES`] lines of its proof as `stance explain` prints it, with the sources
/// (or, for a count, a why-not or a collision with the constraints, review's details).
fn claim_hover(ex: &mut Explainer, o: &verdicts::Outcome) -> String {
    let mut out = vec![format!("**{}** `{}`", o.verdict.label(), o.spec.text())];
    // A plain proof as a tree; anything else (a count, a why-not, collisions) as review has it.
    let plain = o.holds && o.collisions.is_empty() && !matches!(o.spec.expect, Expect::Count(_));
    let body = match o.proof.filter(|_| plain) {
        Some(root) => {
            out.extend(o.spec.note.as_ref().map(|n| format!("note: {n}")));
            if o.verdict == verdicts::Verdict::Failed {
                out.push(o.failure_message());
            }
            explain::render_tree(ex, root, None)
        }
        None => verdicts::details(ex, o),
    };
    let lines: Vec<&str> = body.lines().collect();
    if !lines.is_empty() {
        let mut shown = lines[..lines.len().min(PROOF_LINES)].join("\n");
        if lines.len() > PROOF_LINES {
            shown.push_str(&format!("\n… {} more lines (stance review)", lines.len() - PROOF_LINES));
        }
        out.push(format!("```text\n{shown}\n```"));
    }
    out.join("\n\n")
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
