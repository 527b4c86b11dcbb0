//! Runs the pipeline on a project: read rule files and fact tables, check, plan, evaluate.
//! The CLI and the library entry points both go through here.
//!
//! Beside it: reading claims files for the commands (`claim_files`), `watch`, and the entry
//! points the fuzz targets call with untrusted bytes (`untrusted`).

pub mod claim_files;
pub mod untrusted;
pub mod watch;

use crate::base::diag::{Code, Diagnostic};
pub use crate::base::exit::ExitStatus;
use crate::base::source::{FileId, SourceMap};
use crate::base::value::{Symbols, Tuples};
use crate::engine::eval::{self, EvalOptions, Model};
use crate::engine::plan::{self, Plan};
use crate::facts::confine::{self, Place};
use crate::facts::load::{self, Facts, TableOptions};
use crate::lang::ir;
use crate::lang::syntax;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the rules and facts are.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Rule files or directories (every `*.dl` inside, sorted); `-` reads standard input.
    pub rules: Vec<PathBuf>,
    /// Keep only the statements valid on this day (see [`crate::facts::asof`]).
    pub as_of: Option<crate::facts::asof::Date>,
    /// Directory of fact tables. `None`: no facts beyond those in the rule files.
    pub facts: Option<PathBuf>,
    /// Let `.input`/`.output` file names and symlinks lead outside the facts and output
    /// directories (see `confine`).
    pub allow_outside_paths: bool,
}

/// Why a run stopped: the diagnostics to show and how the process exits (`Failed`: the rules
/// or facts are wrong; `Usage`: a file could not be read or written, or the command was
/// misused).
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    pub status: ExitStatus,
    /// The files the diagnostics point into, when the caller no longer holds them (a failure
    /// found after loading, whose sources moved into the [`Project`]).
    pub sources: Option<SourceMap>,
}

impl Failure {
    /// A failure whose diagnostics point into the caller's sources.
    pub fn new(diagnostics: Vec<Diagnostic>, status: ExitStatus) -> Failure {
        Failure { diagnostics, status, sources: None }
    }

    /// A file that could not be read or written: a usage failure.
    pub fn io(message: String) -> Failure {
        Failure::new(vec![Diagnostic::error(Code::MissingInput, message)], ExitStatus::Usage)
    }

    /// Takes the sources the diagnostics point into (a project's, after loading).
    pub fn within(mut self, sources: &mut SourceMap) -> Failure {
        if self.sources.is_none() {
            self.sources = Some(std::mem::take(sources));
        }
        self
    }
}

/// A loaded and checked project, ready to evaluate.
pub struct Project {
    pub sources: SourceMap,
    pub symbols: Symbols,
    pub program: ir::Program,
    pub facts: Facts,
    /// Warnings found while loading (errors make `load` fail instead).
    pub warnings: Vec<Diagnostic>,
    pub plan: Plan,
}

/// Texts that stand in for files: an editor's unsaved buffers, keyed by the path as the
/// [`Inputs`] name it (the language server names everything by absolute path). A rule
/// file here is read from here, and counts as present in its rules directory even when it
/// is not (yet) on disk.
pub type Overlay = BTreeMap<PathBuf, String>;

/// Reads every rule file and fact table, and checks them together.
/// `sources` receives the files even on failure, so diagnostics can be rendered.
pub fn load(inputs: &Inputs, sources: &mut SourceMap) -> Result<Project, Failure> {
    load_with(inputs, &Overlay::new(), sources)
}

/// [`load`], with some files' texts taken from `overlay` instead of the disk.
pub fn load_with(inputs: &Inputs, overlay: &Overlay, sources: &mut SourceMap) -> Result<Project, Failure> {
    let mut diags = Vec::new();
    let read_text = |path: &Path| match overlay.get(path) {
        Some(text) => Ok(text.clone()),
        None => read_text(path),
    };

    // Rule files, sorted and deduplicated, so that the order the files are named in changes nothing
    // (relations are numbered, and shown, in the order they are declared).
    let mut paths = Vec::new();
    for path in &inputs.rules {
        if path.is_dir() {
            let unsaved = overlay.keys().filter(|p| p.parent() == Some(path) && p.extension().is_some_and(|x| x == "dl"));
            paths.extend(unsaved.cloned());
        }
        if !overlay.contains_key(path) {
            paths.extend(rule_paths(path)?);
        } else {
            paths.push(path.clone());
        }
    }
    paths.sort();
    paths.dedup();
    let mut rule_files = Vec::new();
    for file in paths {
        let text = read_text(&file)?;
        let id = sources.add(display_path(&file), text);
        let (ast, errors) = syntax::parse_file(id, &sources.get(id).text);
        diags.extend(errors);
        rule_files.push(ast);
    }

    // Statement tables first: their relation names are known before checking.
    let mut facts = Facts::new();
    let mut statement_files: Vec<FileId> = Vec::new();
    if let Some(dir) = &inputs.facts {
        if !dir.is_dir() {
            return Err(Failure::io(format!("facts directory `{}` does not exist", dir.display())));
        }
        let tables = load::find_statement_tables(dir)
            .map_err(|e| Failure::io(format!("cannot read facts directory `{}`: {e}", dir.display())))?;
        for path in tables {
            if !inputs.allow_outside_paths
                && let Some(d) = confine::statement_table(&path, dir)
            {
                diags.push(d);
                continue;
            }
            let text = read_text(&path)?;
            statement_files.push(sources.add(display_path(&path), text));
        }
    }
    // Size the symbol table for small tables at once, and let it grow beyond: sized for
    // the worst case (a distinct string per row) a million-row table's hash index spans
    // tens of megabytes, and with the usual few distinct actors every lookup missed the
    // cache (loading took twice as long).
    let table_bytes: usize = statement_files.iter().map(|&f| sources.get(f).text.len()).sum();
    let mut symbols = Symbols::with_capacity((table_bytes / 32).min(1 << 16), (table_bytes / 2).min(1 << 20));
    for &file in &statement_files {
        if let Err(errors) = load::load_statement_table(file, sources, &mut symbols, &mut facts) {
            diags.extend(errors);
        }
    }
    if let Some(day) = inputs.as_of
        && let Err(errors) = crate::facts::asof::retain_valid(&mut facts, sources, day)
    {
        diags.extend(errors);
    }
    let statement_relations: BTreeSet<String> = facts.relations.keys().cloned().collect();

    let (program, check_diags) = crate::lang::check::check(&rule_files, &statement_relations, &mut symbols);
    diags.extend(check_diags);
    if !inputs.allow_outside_paths {
        diags.extend(confine::directive_names(&program, sources));
    }
    crate::lang::lint::lint(&rule_files, &program, &mut diags);

    // Relation tables named by `.input`.
    if !diags.iter().any(Diagnostic::is_error) {
        for rel in &program.relations {
            for spec in &rel.inputs {
                let (path, options) = input_file(inputs.facts.as_deref(), rel, spec);
                let Some(path) = path else {
                    if spec.params.contains_key("filename") || !rel.from_statements {
                        diags.push(missing_input(rel, spec));
                    }
                    continue;
                };
                if !inputs.allow_outside_paths {
                    let name = spec.params.get("filename").map(String::as_str);
                    let dir = inputs.facts.as_deref().unwrap_or(Path::new("."));
                    if let Some(d) = confine::directive_file(name, &path, dir, Place::Facts, spec.span, sources) {
                        diags.push(d);
                        continue;
                    }
                }
                let text = read_text(&path)?;
                let file = sources.add(display_path(&path), text);
                if let Err(errors) =
                    load::load_relation_table(file, sources, &rel.name, &rel.types, &options, &mut symbols, &mut facts)
                {
                    diags.extend(errors);
                }
            }
        }
    }

    if diags.iter().any(Diagnostic::is_error) {
        return Err(Failure::new(diags, ExitStatus::Failed));
    }
    let plan = plan::plan(&program);
    Ok(Project { sources: std::mem::take(sources), symbols, program, facts, warnings: diags, plan })
}

/// The file an `.input` directive reads, following Soufflé: `filename=` (relative to the
/// facts directory), else `<rel>.facts` (tab-separated, no header), else `<rel>.csv`
/// (comma-separated, with a header) when only that exists.
fn input_file(dir: Option<&Path>, rel: &ir::Relation, spec: &ir::IoSpec) -> (Option<PathBuf>, TableOptions) {
    let mut options = TableOptions::default();
    let dir = dir.unwrap_or(Path::new("."));
    let path = match spec.params.get("filename") {
        Some(name) => {
            let p = dir.join(name);
            p.is_file().then_some(p)
        }
        None => {
            let facts = dir.join(format!("{}.facts", rel.name));
            let csv = dir.join(format!("{}.csv", rel.name));
            if facts.is_file() {
                Some(facts)
            } else if csv.is_file() && !rel.from_statements {
                options.delimiter = b',';
                options.headers = true;
                Some(csv)
            } else {
                None
            }
        }
    };
    if let Some(d) = spec.params.get("delimiter") {
        options.delimiter = crate::lang::check::unescape_delimiter(d).bytes().next().unwrap_or(b'\t');
    }
    if let Some(h) = spec.params.get("headers") {
        options.headers = h == "true";
    }
    if let Some(q) = spec.params.get("rfc4180") {
        options.rfc4180 = q == "true";
    }
    (path, options)
}

fn missing_input(rel: &ir::Relation, spec: &ir::IoSpec) -> Diagnostic {
    let expected = spec.params.get("filename").cloned().unwrap_or_else(|| format!("{}.facts", rel.name));
    Diagnostic::error(Code::MissingInput, format!("input file `{expected}` for `{}` not found", rel.name))
        .at(spec.span, "read by this directive")
        .with_help(format!(
            "create `{expected}` in the facts directory (tab-separated, no header), or `{}.csv` with a header",
            rel.name
        ))
}

/// Evaluates a loaded project.
pub fn evaluate(project: &mut Project, options: &EvalOptions) -> Result<Model, Failure> {
    let program = &project.program;
    let mut inputs: Vec<Tuples> = program.relations.iter().map(|r| Tuples::new(r.arity())).collect();
    for (name, rows) in &project.facts.relations {
        if let Some(id) = program.relation_id(name) {
            inputs[id].extend_from(&rows.tuples);
        }
    }
    for fact in &program.facts {
        inputs[fact.rel].push(&fact.values);
    }
    eval::evaluate(&project.program, &project.plan, inputs, &mut project.symbols, options)
        .map_err(|d| Failure::new(vec![d], ExitStatus::Failed))
}

fn rule_paths(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    if path == Path::new("-") {
        return Ok(vec![path.to_path_buf()]);
    }
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| Failure::io(format!("cannot read rules directory `{}`: {e}", path.display())))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "dl") && p.is_file())
            .collect();
        files.sort();
        return Ok(files);
    }
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    Err(Failure::io(format!("rules path `{}` does not exist", path.display())))
}

/// Reads a file (or standard input for `-`). Invalid UTF-8 is replaced, so that a bad byte
/// becomes a located error in the parser or loader rather than a refusal to read.
fn read_text(path: &Path) -> Result<String, Failure> {
    let bytes = if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| Failure::io(format!("cannot read standard input: {e}")))?;
        buf
    } else {
        std::fs::read(path).map_err(|e| Failure::io(format!("cannot read `{}`: {e}", path.display())))?
    };
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn display_path(path: &Path) -> String {
    if path == Path::new("-") {
        return "<stdin>".into();
    }
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// A program evaluated from text: what [`evaluate_text`] returns.
pub struct TextModel {
    pub sources: SourceMap,
    pub symbols: Symbols,
    pub program: ir::Program,
    pub model: Model,
}

/// Parses, checks and evaluates a whole program given as text (facts inline). Errors are
/// rendered in the short `file:line:col` form.
pub fn evaluate_text(text: &str, options: &EvalOptions) -> Result<TextModel, String> {
    let mut sources = SourceMap::new();
    let id = sources.add("<program>", text);
    let (ast, mut diags) = syntax::parse_file(id, text);
    let mut symbols = Symbols::new();
    let (program, check_diags) = crate::lang::check::check(&[ast], &BTreeSet::new(), &mut symbols);
    diags.extend(check_diags);
    let render = |diags: &[Diagnostic]| {
        diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| crate::base::diag::render_short(d, &sources))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if diags.iter().any(Diagnostic::is_error) {
        return Err(render(&diags));
    }
    let plan = plan::plan(&program);
    let mut inputs: Vec<Tuples> = program.relations.iter().map(|r| Tuples::new(r.arity())).collect();
    for fact in &program.facts {
        inputs[fact.rel].push(&fact.values);
    }
    let model =
        eval::evaluate(&program, &plan, inputs, &mut symbols, options).map_err(|d| render(std::slice::from_ref(&d)))?;
    Ok(TextModel { sources, symbols, program, model })
}

/// Parses, checks and evaluates a whole program given as text (facts inline).
/// Returns every relation (input and derived) → its rows, values rendered as text,
/// sorted by value. Errors are rendered in the short `file:line:col` form.
pub fn eval_text(program: &str) -> Result<BTreeMap<String, Vec<Vec<String>>>, String> {
    let m = evaluate_text(program, &EvalOptions::default())?;
    let mut out = BTreeMap::new();
    for (id, rel) in m.program.relations.iter().enumerate() {
        out.insert(rel.name.clone(), crate::base::order::sorted_rows(&m.model.relations[id], &rel.types, &m.symbols));
    }
    Ok(out)
}
