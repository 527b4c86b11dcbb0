//! Runs the pipeline on a project: read rule files and fact tables, check, plan, evaluate.
//! The CLI and the library entry points both go through here.
//!
//! Beside it: reading claims files for the commands (`claim_files`), `diff` (two versions
//! loaded, evaluated and compared), the re-evaluation service (`reeval`) that `watch` and
//! the language server share, `time` (evaluation with time, timelines, timed claims),
//! `watch`, and the entry
//! points the fuzz targets call with untrusted bytes (`untrusted`).

pub mod cache;
pub mod claim_files;
pub mod diff;
pub mod goal;
#[cfg(feature = "dd")]
pub mod live;
pub mod reeval;
mod rule_files;
pub mod scaffold;
pub mod serve;
mod statements;
pub mod time;
pub mod untrusted;
pub use statements::unquoted;
pub mod watch;

use crate::base::diag::{Code, Diagnostic};
pub use crate::base::exit::ExitStatus;
use crate::base::source::SourceMap;
use crate::base::value::{Symbols, Tuples};
use crate::engine::backend;
use crate::engine::eval::{EvalOptions, Model};
use crate::engine::plan::{self, Plan};
use crate::facts::confine::{self, Place};
use crate::facts::grade::RowFilter;
use crate::facts::load::{self, Facts, TableOptions};
use crate::facts::reload;
use crate::lang::ir;
use crate::proof::provenance::Explainer;
use itertools::Itertools;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the rules and facts are.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Rule files or directories (every `*.dl` inside, sorted); `-` reads standard input.
    pub rules: Vec<PathBuf>,
    /// Keep only the statements valid on this day (see [`crate::facts::asof`]).
    pub as_of: Option<crate::facts::asof::Date>,
    /// Keep only the statements graded at least this (see [`crate::facts::grade`]).
    pub min_grade: Option<crate::facts::grade::Grade>,
    /// Keep only the statements with at least this confidence.
    pub min_confidence: Option<f32>,
    /// Directory of fact tables. `None`: no facts beyond those in the rule files.
    pub facts: Option<PathBuf>,
    /// Load every row's validity interval, for temporal evaluation (see [`time`]).
    pub with_time: bool,
    /// Keep only this process's part of every fact table's rows (`--engine dd` on several
    /// processes; see [`crate::facts::part`]).
    pub part: Option<crate::facts::part::Part>,
}

impl Inputs {
    /// The filters statement rows pass as they load.
    pub fn row_filter(&self) -> crate::facts::grade::RowFilter {
        crate::facts::grade::RowFilter {
            as_of: self.as_of,
            min_grade: self.min_grade,
            min_confidence: self.min_confidence,
            with_time: self.with_time,
            part: self.part,
        }
    }
}

/// Why a run stopped: the diagnostics to show and how the process exits (`Failed`: the rules
/// or facts are wrong; `Usage`: a file could not be read or written, or the command was
/// misused).
#[derive(Debug)]
pub struct Failure {
    /// The diagnostics to show.
    pub diagnostics: Vec<Diagnostic>,
    /// How the process exits.
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
    /// The files read.
    pub sources: SourceMap,
    /// The symbol table of the facts and rules.
    pub symbols: Symbols,
    /// The checked program.
    pub program: ir::Program,
    /// The loaded facts.
    pub facts: Facts,
    /// Warnings found while loading (errors make `load` fail instead).
    pub warnings: Vec<Diagnostic>,
    /// The evaluation plan.
    pub plan: Plan,
    /// Every file read (rule files and tables), so that no output replaces one of them.
    pub read: Vec<confine::Identity>,
}

/// A project evaluated: its model beside it, and explainers of the model on demand. What
/// each command works with once loading and evaluation succeeded.
pub struct Session {
    /// The project.
    pub project: Project,
    /// Its model.
    pub model: Model,
}

impl Session {
    /// Evaluates a loaded project; on failure the diagnostics carry the project's sources.
    pub fn evaluate(project: Project, options: &EvalOptions) -> Result<Session, Failure> {
        Session::evaluate_with(project, options, None)
    }

    /// [`Session::evaluate`], with a hook for a stopped run stuck in one of datafrog's sorts.
    pub fn evaluate_with(
        mut project: Project,
        options: &EvalOptions,
        on_stuck: Option<OnStuck>,
    ) -> Result<Session, Failure> {
        match evaluate_with(&mut project, options, on_stuck) {
            Ok(model) => Ok(Session { project, model }),
            Err(f) => Err(f.within(&mut project.sources)),
        }
    }

    /// The grade and confidence of every tuple of the model (see [`crate::proof::grades`]).
    pub fn grading(&mut self) -> crate::proof::grades::Grading {
        crate::proof::grades::Grading::compute(&mut self.explainer())
    }

    /// An explainer of this model's tuples (the model must have been evaluated with
    /// recording on for derived tuples to have proofs).
    pub fn explainer(&mut self) -> Explainer<'_> {
        let Project { program, facts, sources, symbols, .. } = &mut self.project;
        Explainer::new(program, &self.model, facts, sources, symbols)
    }
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

/// [`load()`], with some files' texts taken from `overlay` instead of the disk.
pub fn load_with(inputs: &Inputs, overlay: &Overlay, sources: &mut SourceMap) -> Result<Project, Failure> {
    let mut project = load_cached(inputs, overlay, sources, None, true)?;
    plan(&mut project);
    Ok(project)
}

/// [`load_with`] for a loop that loads again and again (the re-evaluation service): with a
/// cache, unchanged rule files are not parsed again and unchanged statement tables not read
/// again. The project is not planned yet (diagnostics do not need a plan): [`plan()`] it
/// before evaluating it. Without `rows`, statement tables taken from the cache give their
/// relations' names and diagnostics but not their rows (the project is for diagnostics,
/// not to be evaluated), and their texts only when a diagnostic points into them; small
/// tables are copied whole all the same (`cache.rows_left_out` says which happened).
pub fn load_cached(
    inputs: &Inputs,
    overlay: &Overlay,
    sources: &mut SourceMap,
    mut cache: Option<&mut cache::LoadCache>,
    rows: bool,
) -> Result<Project, Failure> {
    let mut diags = Vec::new();

    // Rule files, sorted and deduplicated, so that the order the files are named in changes nothing
    // (relations are numbered, and shown, in the order they are declared).
    let paths = rule_file_paths(inputs, overlay)?;
    let mut read = Vec::new();
    let paths: Vec<(PathBuf, Option<PathBuf>)> = paths.into_iter().sorted().dedup().collect();
    if let Some(c) = cache.as_deref_mut() {
        c.keep_rules(paths.iter().map(|(p, _)| p));
    }
    let mut reader = rule_files::RuleReader::new(overlay, sources, &mut read, cache.as_deref_mut());
    for (file, dir) in &paths {
        reader.top_level(file, dir.as_deref())?;
    }
    let (rule_files, rule_diags) = (reader.files, reader.diags);
    diags.extend(rule_diags);

    // Statement tables first: their relation names are known before checking.
    let place = (inputs, overlay, rows);
    let (mut symbols, mut facts, statement_relations, other_csv) =
        statement_tables(place, sources, &mut read, &mut diags, cache.as_deref_mut())?;
    let (program, check_diags) = crate::lang::check::check(&rule_files, &statement_relations, &mut symbols);
    if forget_restated(cache.as_deref_mut(), &program) {
        *sources = SourceMap::new();
        return load_cached(inputs, overlay, sources, cache, rows);
    }
    diags.extend(check_diags);
    diags.extend(confine::directive_names(&program, sources));
    crate::lang::lint::lint(&rule_files, &program, &mut diags);

    // A `.csv` that is neither a statement table nor read by an `.input` is a mistake more
    // often than not (`subjet,relation,object`): say so rather than ignore it, even when the
    // rules have errors (its relations are then unknown to them).
    unread_tables(inputs, &program, other_csv, sources, &mut diags);

    // Relation tables named by `.input`; then the load's symbol table is kept, if it added
    // strings the kept string tables' ids need (`cache::LoadCache::settle`).
    if !diags.iter().any(Diagnostic::is_error) {
        let tables = (&mut read, &mut diags);
        let loaded = relation_tables(
            (inputs, overlay, &program),
            cache.as_deref_mut(),
            sources,
            (&mut symbols, &mut facts),
            tables,
        );
        if let Some(c) = cache
            && !program.calls_ord()
        {
            c.settle(&symbols);
        }
        loaded?;
    }

    time::read_interval_columns(inputs, &program, (&mut facts, &symbols, sources), &mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(Failure::new(diags, ExitStatus::Failed));
    }
    let plan = Plan { strata: Vec::new(), row_width: 0, env_width: 0, stats: plan::Stats::default() };
    // `ord` numbers the symbols of the rules and facts now, before a claim adds its own.
    crate::engine::eval::prepare_symbols(&program, &mut symbols);
    Ok(Project { sources: std::mem::take(sources), symbols, program, facts, warnings: diags, plan, read })
}

/// Loads the relation tables that `.input` directives name, through `cache`'s kept tables
/// where it has them (see [`relation_table`]). Tables with string columns are kept (and
/// reloaded by rows) only where the load's symbol table grew from the kept one and the
/// program does not call `ord`.
fn relation_tables(
    (inputs, overlay, program): (&Inputs, &Overlay, &ir::Program),
    mut cache: Option<&mut cache::LoadCache>,
    sources: &mut SourceMap,
    (symbols, facts): (&mut Symbols, &mut Facts),
    (read, diags): (&mut Vec<confine::Identity>, &mut Vec<Diagnostic>),
) -> Result<(), Failure> {
    let strings = cache.as_deref().and_then(cache::LoadCache::lineage).filter(|_| !program.calls_ord());
    // The kept tables no `.input` reads any more are forgotten.
    if let Some(c) = cache.as_deref_mut() {
        let read: BTreeSet<(PathBuf, String)> = program
            .relations
            .iter()
            .flat_map(|rel| rel.inputs.iter().map(move |spec| (rel, spec)))
            .filter_map(|(rel, spec)| Some((input_file(inputs.facts.as_deref(), rel, spec).0?, rel.name.clone())))
            .collect();
        c.tables.retain(|key, _| read.contains(key));
    }
    for rel in &program.relations {
        for spec in &rel.inputs {
            if spec.params.get("IO").is_some_and(|v| v == "statements") {
                continue;
            }
            let (path, implicit_csv) = input_file(inputs.facts.as_deref(), rel, spec);
            let Some(path) = path else {
                if spec.params.contains_key("filename") || !rel.from_statements {
                    diags.push(missing_input(rel, spec));
                }
                continue;
            };
            let dir = inputs.facts.as_deref().unwrap_or(Path::new("."));
            let bytes = match read_overlaid(overlay, &path, Some(dir), read) {
                Ok(bytes) => bytes,
                Err(Refused::Failure(f)) => return Err(f),
                Err(Refused::Outside(target)) => {
                    let name = spec.params.get("filename").map(String::as_str);
                    diags.push(confine::directive_file(name, &path, &target, Place::Facts, spec.span, sources));
                    continue;
                }
            };
            let Some(bytes) = gunzip_input(bytes, &path, spec, diags) else { continue };
            let (text, invalid) = load::decode(bytes);
            let options =
                TableOptions { part: inputs.part, ..TableOptions::for_input(&spec.params, &path, &text, implicit_csv) };
            let schema = load::Schema { relation: &rel.name, columns: &rel.columns, types: &rel.types };
            let kept = cache.as_deref_mut();
            let table = (path.as_path(), &schema, &options);
            relation_table(table, (text, &invalid, strings), kept, sources, (symbols, facts), diags);
        }
    }
    Ok(())
}

/// Whether the statement tables must be read afresh for `program` (then forgotten): `ord`
/// counts the strings of the symbol table, and after a reload by rows it may hold some that
/// no row has any more.
fn forget_restated(cache: Option<&mut cache::LoadCache>, program: &ir::Program) -> bool {
    let Some(c) = cache else { return false };
    let forget = c.used_restated && program.calls_ord();
    if forget {
        c.forget_statements();
    }
    forget
}

/// Loads one relation table (`text`, with the invalid UTF-8 `decode` found) into `sources`,
/// `symbols` and `facts`: when `kept` holds the table as last loaded, by its changed rows
/// only (see [`crate::facts::reload`]), else in full (then kept for the next load, if it
/// can be).
fn relation_table(
    (path, schema, options): (&Path, &load::Schema, &TableOptions),
    (text, invalid, strings): (String, &[load::InvalidUtf8], Option<u64>),
    kept: Option<&mut cache::LoadCache>,
    sources: &mut SourceMap,
    (symbols, facts): (&mut Symbols, &mut Facts),
    diags: &mut Vec<Diagnostic>,
) {
    let key = (path.to_path_buf(), schema.relation.to_string());
    let mut kept = kept;
    if let Some(cache) = kept.as_deref_mut()
        && invalid.is_empty()
        && reload_rows(cache, &key, (schema, options), (&text, strings), symbols)
    {
        let file = sources.add(display_path(path), text);
        cache.tables[&key].add_to(file, facts);
        cache.table_reloads += 1;
        return;
    }
    let file = sources.add(display_path(path), text);
    diags.extend(load::invalid_utf8_errors(file, invalid));
    let number = facts.tables.len() as u32;
    let loaded = load::load_relation_table(file, sources, schema, options, symbols, facts);
    // A table that fails to load leaves the last good one kept: the next reload compares
    // with that (a table caught half-written by a save is read again by rows once whole).
    if let Some(cache) = kept
        && loaded.is_ok()
    {
        cache.tables.remove(&key);
        let text = &sources.get(file).text;
        if invalid.is_empty()
            && let Some(table) = reload::KeptTable::new(schema, options, (text, strings), facts, number)
        {
            cache.tables.insert(key, table);
        }
    }
    if let Err(errors) = loaded {
        diags.extend(errors);
    }
}

/// Whether `cache` kept the table `key` read as `schema` and `options`, usable by this load
/// (a table with strings: of the lineage `strings` of the load's symbol table), and
/// brought it up to date with `text` by its changed rows (their strings interned in
/// `symbols`).
fn reload_rows(
    cache: &mut cache::LoadCache,
    key: &(PathBuf, String),
    (schema, options): (&load::Schema, &TableOptions),
    (text, strings): (&str, Option<u64>),
    symbols: &mut Symbols,
) -> bool {
    let Some(table) = cache.tables.get(key) else { return false };
    if !table.reads(schema, options) || table.lineage.is_some() && table.lineage != strings {
        return false;
    }
    // New strings go into the load's symbol table, which is kept in turn: it is made the
    // load's own first, so that they do not copy it.
    if table.lineage.is_some() && !table.is_text(text) {
        cache.hold();
    }
    let table = cache.tables.get_mut(key).expect("seen above");
    table.reload(text, symbols) != reload::Reloaded::Declined
}

/// Plans a loaded project's evaluation from the sizes of its input tables.
pub fn plan(project: &mut Project) {
    let Project { program, facts, .. } = project;
    let tables = facts.relations.iter().filter_map(|(name, rows)| Some((program.relation_id(name)?, &rows.tuples)));
    project.plan = plan::plan_with(program, &plan::Stats::of_inputs(program, tables));
}

/// Reads the statement tables of the facts directory into `sources`, `symbols` and rows
/// (or takes them from `cache` when none changed: see [`load_cached`] for `rows`); returns
/// those, the relations the rows name, and the directory's other `.csv` files (and their
/// headers).
fn statement_tables(
    (inputs, overlay, rows): (&Inputs, &Overlay, bool),
    sources: &mut SourceMap,
    read: &mut Vec<confine::Identity>,
    diags: &mut Vec<Diagnostic>,
    cache: Option<&mut cache::LoadCache>,
) -> Result<(Symbols, Facts, BTreeSet<String>, OtherTables), Failure> {
    let (paths, other_csv) = find_statement_files(inputs)?;
    let stamps: Vec<cache::Stamp> = match cache {
        Some(_) => paths.iter().map(|p| cache::stamp(p, overlay)).collect(),
        None => Vec::new(),
    };
    let mut cache = cache;
    if let Some(c) = cache.as_deref_mut() {
        // The kept symbol table, if this load starts from it (the calls below say so).
        c.took_none();
        let (kept, reloaded) = match c.statements(&stamps, sources) {
            Some(kept) => (Some(kept), false),
            None if inputs.row_filter() == RowFilter::default() => {
                (reload_statements(c, &stamps, (inputs, &paths), sources), true)
            }
            None => (None, false),
        };
        c.used_restated = kept.as_ref().is_some_and(|k| k.restated);
        if let Some(kept) = kept {
            // Tables just reloaded by rows are for a run that will be evaluated: their rows
            // go with this load (the evaluation would otherwise load the project again).
            let rows = rows || (reloaded && kept.restated) || kept.bytes <= cache::COPIED_UP_TO;
            c.rows_left_out = !rows;
            let texts = rows || !kept.diagnostics.is_empty();
            for file in &kept.files {
                match texts {
                    true => sources.push(file.clone()),
                    false => sources.add(file.name.clone(), String::new()),
                };
            }
            diags.extend(kept.diagnostics.iter().cloned());
            read.extend(kept.read.iter().cloned());
            let facts = if rows { kept.facts.clone() } else { Facts::new() };
            return Ok((kept.symbols.clone(), facts, kept.names.clone(), other_csv));
        }
    }
    let first = cache::next_file(sources);
    let (mut found, mut opened) = (Vec::new(), Vec::new());
    let tables = statements::open(inputs, &paths, overlay, &mut opened, &mut found)?;
    // Size the symbol table for small tables at once, and let it grow beyond: sized for
    // the worst case (a distinct string per row) a million-row table's hash index spans
    // tens of megabytes, and with the usual few distinct actors every lookup missed the
    // cache (loading took twice as long).
    let table_bytes: usize = tables.iter().map(statements::Table::len).sum();
    let mut symbols = Symbols::with_capacity((table_bytes / 32).min(1 << 16), (table_bytes / 2).min(1 << 20));
    let mut facts = Facts::new();
    let mut blocks = Vec::new();
    let filter = inputs.row_filter();
    statements::load(tables, sources, (&mut symbols, &mut facts), &filter, (&mut found, &mut blocks))?;
    let names: BTreeSet<String> = facts.relations.keys().cloned().collect();
    if let Some(c) = cache {
        (c.rows_left_out, c.used_restated) = (false, false);
        c.reloaded_rows.store(true, std::sync::atomic::Ordering::SeqCst);
        let kept = cache::Statements {
            first,
            files: Vec::new(),
            symbols: symbols.clone(),
            facts: facts.clone(),
            names: names.clone(),
            bytes: 0,
            diagnostics: found.clone(),
            read: opened.clone(),
            blocks,
            restated: false,
            lineage: 0,
            version: 0,
        };
        c.keep_statements(stamps, sources, kept);
    }
    diags.extend(found);
    read.extend(opened);
    Ok((symbols, facts, names, other_csv))
}

/// The kept statement tables brought up to date with the changed ones (`stamps`) by
/// reading only their changed rows ([`crate::facts::restate`]), kept again; `None` when
/// that cannot be done exactly (the caller loads every table in full, and keeps that).
fn reload_statements(
    cache: &mut cache::LoadCache,
    stamps: &[cache::Stamp],
    (inputs, paths): (&Inputs, &[PathBuf]),
    sources: &SourceMap,
) -> Option<std::sync::Arc<cache::Statements>> {
    let (old, mut kept) = cache.take_statements(stamps, sources)?;
    statements::reload(inputs, paths, (&old, stamps), &mut kept)?;
    cache.statement_reloads += 1;
    cache.reloaded_rows.store(true, std::sync::atomic::Ordering::SeqCst);
    Some(cache.put_statements(stamps.to_vec(), kept))
}

/// [`read_bytes`], except that an editor's buffer stands in for its file (it is not
/// opened, so nothing to confine).
fn read_overlaid(
    overlay: &Overlay,
    path: &Path,
    root: Option<&Path>,
    read: &mut Vec<confine::Identity>,
) -> Result<Vec<u8>, Refused> {
    match overlay.get(path) {
        Some(text) => Ok(text.clone().into_bytes()),
        None => read_bytes(path, root, read),
    }
}

/// The rule files `inputs` name, with the directory each must stay inside, including the
/// unsaved `*.dl` buffers of `overlay` in a named directory.
fn rule_file_paths(inputs: &Inputs, overlay: &Overlay) -> Result<Vec<(PathBuf, Option<PathBuf>)>, Failure> {
    let mut paths = Vec::new();
    for path in &inputs.rules {
        if let Some(d) = confine::typed_path(path, "rules path") {
            return Err(Failure::new(vec![d], ExitStatus::Usage));
        }
        if path.is_dir() {
            let unsaved =
                overlay.keys().filter(|p| p.parent() == Some(path) && p.extension().is_some_and(|x| x == "dl"));
            paths.extend(unsaved.map(|p| (p.clone(), Some(path.clone()))));
        }
        if !overlay.contains_key(path) {
            paths.extend(rule_paths(path)?);
        } else {
            paths.push((path.clone(), None));
        }
    }
    Ok(paths)
}

/// The facts directory's `.csv` files that are not statement tables, with their headers.
type OtherTables = Vec<(PathBuf, String)>;

/// The statement tables of the facts directory, and its other `.csv` files.
type FoundTables = (Vec<PathBuf>, OtherTables);

fn find_statement_files(inputs: &Inputs) -> Result<FoundTables, Failure> {
    let Some(dir) = &inputs.facts else { return Ok((Vec::new(), Vec::new())) };
    if let Some(d) = confine::typed_path(dir, "facts directory") {
        return Err(Failure::new(vec![d], ExitStatus::Usage));
    }
    if !dir.is_dir() {
        return Err(Failure::io(format!("facts directory `{}` does not exist", dir.display())));
    }
    let found = load::find_csv_files(dir)
        .map_err(|e| Failure::io(format!("cannot read facts directory `{}`: {e}", dir.display())))?;
    Ok((found.statements, found.others))
}

/// A diagnostic for each `.csv` of `other_csv` that no `.input` of `program` reads.
fn unread_tables(
    inputs: &Inputs,
    program: &ir::Program,
    other_csv: Vec<(PathBuf, String)>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) {
    let input_paths: BTreeSet<PathBuf> = program
        .relations
        .iter()
        .flat_map(|rel| rel.inputs.iter().filter_map(|spec| input_file(inputs.facts.as_deref(), rel, spec).0))
        .map(|path| path.canonicalize().unwrap_or(path))
        .collect();
    for (path, header) in other_csv {
        if !input_paths.contains(&path.canonicalize().unwrap_or_else(|_| path.clone())) {
            let file = sources.add(display_path(&path), header);
            diags.push(load::unread_table(file, sources));
        }
    }
}

/// `bytes`, decompressed when gzipped; `None` (with a diagnostic at the directive `spec`)
/// when that fails.
fn gunzip_input(bytes: Vec<u8>, path: &Path, spec: &ir::IoSpec, diags: &mut Vec<Diagnostic>) -> Option<Vec<u8>> {
    let mut bytes = bytes;
    if load::is_gzip(&bytes) {
        match load::gunzip(&bytes, load::MAX_GUNZIPPED) {
            Ok(plain) => bytes = plain,
            Err(e) => {
                let msg = format!("cannot read `{}`: {e}", display_path(path));
                diags.push(Diagnostic::error(Code::BadFacts, msg).at(spec.span, "read by this directive"));
                return None;
            }
        }
    }
    Some(bytes)
}

/// The file an `.input` directive reads, following Soufflé: `filename=` (relative to the
/// facts directory), else `<rel>.facts` (tab-separated, no header), else `<rel>.csv`
/// (with a header: the `bool` is true) when only that exists. How it is read is
/// [`TableOptions::for_input`]'s business.
fn input_file(dir: Option<&Path>, rel: &ir::Relation, spec: &ir::IoSpec) -> (Option<PathBuf>, bool) {
    let mut implicit_csv = false;
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
                implicit_csv = true;
                Some(csv)
            } else {
                None
            }
        }
    };
    (path, implicit_csv)
}

fn missing_input(rel: &ir::Relation, spec: &ir::IoSpec) -> Diagnostic {
    let expected = spec.params.get("filename").cloned().unwrap_or_else(|| format!("{}.facts", rel.name));
    let statement_hint = if rel.types == [crate::base::value::Type::Symbol, crate::base::value::Type::Symbol]
        && !spec.params.contains_key("filename")
    {
        format!("; if its facts are statement rows, write `.input {}(IO=statements)`", rel.name)
    } else {
        String::new()
    };
    Diagnostic::error(Code::MissingInput, format!("input file `{expected}` for `{}` not found", rel.name))
        .at(spec.span, "read by this directive")
        .with_help(format!(
            "create `{expected}` in the facts directory (tab-separated, no header), or `{n}.csv` with a header{statement_hint}",
            n = rel.name
        ))
}

/// Evaluates a loaded project. Without `options.max_memory`, the run gets the default
/// memory budget ([`crate::engine::limits::default_max_memory`]).
pub fn evaluate(project: &mut Project, options: &EvalOptions) -> Result<Model, Failure> {
    evaluate_with(project, options, None)
}

/// What to do with a stopped run that does not come back in time (see
/// [`crate::engine::eval::OnStuck`]): given the diagnostic and the sources to render it against.
pub type OnStuck<'h> = &'h (dyn Fn(&Diagnostic, &SourceMap) + Sync);

/// [`evaluate`], with a hook for a stopped run stuck in one of datafrog's sorts.
pub fn evaluate_with(
    project: &mut Project,
    options: &EvalOptions,
    on_stuck: Option<OnStuck>,
) -> Result<Model, Failure> {
    let inputs = input_tuples(&project.program, &project.facts);
    if project.program.defeasible.is_active() {
        // The defeasible evaluator grounds on datafrog; saying so beats ignoring `--engine`.
        if options.engine != backend::Engine::Datafrog {
            let d = Diagnostic::error(
                Code::Unsupported,
                format!("`--engine {}` does not evaluate defeasible programs", options.engine.name()),
            )
            .with_help(
                "rules with `:~`, `:~>` or `.prefer` are evaluated by the datafrog engine: use `--engine datafrog`",
            );
            return Err(Failure::new(vec![d], ExitStatus::Failed));
        }
        let rows = defeasible_rows(project);
        let Project { program, symbols, .. } = project;
        return crate::engine::stratified::evaluate(program, inputs, rows, symbols, options)
            .map_err(|d| Failure::new(vec![d], ExitStatus::Failed));
    }
    let Project { program, plan, symbols, sources, .. } = project;
    let sources = &*sources;
    let hook = on_stuck.map(|f| move |d: Diagnostic| f(&d, sources));
    let hook = hook.as_ref().map(|h| h as crate::engine::eval::OnStuck);
    backend::evaluate_guarded(options.engine, program, plan, inputs, symbols, options, hook)
        .map_err(|d| Failure::new(vec![d], ExitStatus::Failed))
}

/// The statement rows a defeasible program reads as defeasible facts (under `.prefer by
/// grade` or `by date`; none otherwise), with their grades and dates.
fn defeasible_rows(project: &Project) -> Vec<crate::engine::defeasible::Row> {
    let program = &project.program;
    if !program.defeasible.rows_defeasible() {
        return Vec::new();
    }
    let mut rows = Vec::new();
    for (name, facts) in &project.facts.relations {
        let Some(rel) = program.relation_id(name) else { continue };
        if !program.relations[rel].from_statements {
            continue;
        }
        for (tuple, fact) in facts.iter() {
            let date = project.facts.metadata_value(fact, "date", &project.sources);
            rows.push(crate::engine::defeasible::Row {
                rel,
                tuple: tuple.to_vec(),
                fact,
                grade: project.facts.grade(fact),
                date: date.clone(),
                period: date.as_deref().and_then(crate::facts::asof::Period::parse),
            });
        }
    }
    rows
}

/// Every relation's input tuples: the rows of fact tables and the facts of rule files.
pub fn input_tuples(program: &ir::Program, facts: &Facts) -> Vec<Tuples> {
    let mut inputs: Vec<Tuples> = program.relations.iter().map(|r| Tuples::new(r.arity())).collect();
    for (name, rows) in &facts.relations {
        if let Some(id) = program.relation_id(name) {
            inputs[id].extend_from(&rows.tuples);
        }
    }
    for fact in &program.facts {
        inputs[fact.rel].push(&fact.values);
    }
    inputs
}

/// The rule files `path` names: itself, or every `*.dl` inside when it is a directory (each
/// with that directory, which it must stay inside).
fn rule_paths(path: &Path) -> Result<Vec<(PathBuf, Option<PathBuf>)>, Failure> {
    let root = path.is_dir().then(|| path.to_path_buf());
    match crate::lang::rule_files(path) {
        Ok(Some(files)) => Ok(files.into_iter().map(|f| (f, root.clone())).collect()),
        Ok(None) => Err(Failure::io(format!("rules path `{}` does not exist", path.display()))),
        Err(e) => Err(Failure::io(format!("cannot read rules directory `{}`: {e}", path.display()))),
    }
}

/// Why [`read_bytes`] gave nothing.
enum Refused {
    Failure(Failure),
    /// The file leads outside its directory, to this path.
    Outside(PathBuf),
}

/// Text with invalid UTF-8 replaced, so that a bad byte becomes a located error in the
/// parser rather than a refusal to read.
fn lossy(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The bytes of a file (or of standard input for `-`), opened once: with a `root`, the
/// opened file must be inside it (`confine::open_inside`); without, a path inside the project
/// by name must resolve inside it (`confine::open_typed`). Its identity is added to `read`.
fn read_bytes(path: &Path, root: Option<&Path>, read: &mut Vec<confine::Identity>) -> Result<Vec<u8>, Refused> {
    let cannot = |e: std::io::Error| Refused::Failure(Failure::io(format!("cannot read `{}`: {e}", path.display())));
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| Refused::Failure(Failure::io(format!("cannot read standard input: {e}"))))?;
        return Ok(bytes);
    }
    let opened = match root {
        Some(root) => confine::open_inside(path, root),
        None => confine::open_typed(path),
    };
    let (mut file, identity) = opened.map_err(|e| match e {
        confine::OpenError::Io(e) => cannot(e),
        confine::OpenError::Outside(target) => Refused::Outside(target),
    })?;
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(cannot)?;
    read.push(identity);
    Ok(bytes)
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
    /// The program text, as one file.
    pub sources: SourceMap,
    /// The symbol table.
    pub symbols: Symbols,
    /// The checked program.
    pub program: ir::Program,
    /// Its model.
    pub model: Model,
}

/// Parses, checks and evaluates a whole program given as text (facts inline). Errors are
/// rendered in the short `file:line:col` form.
pub fn evaluate_text(text: &str, options: &EvalOptions) -> Result<TextModel, String> {
    let mut sources = SourceMap::new();
    let id = sources.add("<program>", text);
    let (ast, mut diags) = rule_files::parse_text(id, &mut sources);
    let mut symbols = Symbols::new();
    let (program, check_diags) = crate::lang::check::check(&[ast], &BTreeSet::new(), &mut symbols);
    diags.extend(check_diags);
    let render = |diags: &[Diagnostic]| {
        diags.iter().filter(|d| d.is_error()).map(|d| crate::base::diag::render_short(d, &sources)).join("\n")
    };
    if diags.iter().any(Diagnostic::is_error) {
        return Err(render(&diags));
    }
    let plan = plan::plan_with(&program, &plan::Stats::of_inputs(&program, std::iter::empty()));
    let mut inputs: Vec<Tuples> = program.relations.iter().map(|r| Tuples::new(r.arity())).collect();
    for fact in &program.facts {
        inputs[fact.rel].push(&fact.values);
    }
    let model = if program.defeasible.is_active() {
        crate::engine::stratified::evaluate(&program, inputs, Vec::new(), &mut symbols, options)
    } else {
        backend::evaluate(options.engine, &program, &plan, inputs, &mut symbols, options)
    }
    .map_err(|d| render(std::slice::from_ref(&d)))?;
    Ok(TextModel { sources, symbols, program, model })
}

/// Parses, checks and evaluates a whole program given as text (facts inline).
/// Returns every relation (input and derived) → its rows, values rendered as text,
/// sorted by value. Errors are rendered in the short `file:line:col` form.
pub fn eval_text(program: &str) -> Result<BTreeMap<String, Vec<Vec<String>>>, String> {
    eval_text_with(program, &EvalOptions::default())
}

/// [`eval_text`] with the given engine and options.
pub fn eval_text_with(program: &str, options: &EvalOptions) -> Result<BTreeMap<String, Vec<Vec<String>>>, String> {
    let m = evaluate_text(program, options)?;
    let mut out = BTreeMap::new();
    for (id, rel) in m.program.relations.iter().enumerate() {
        out.insert(rel.name.clone(), crate::base::order::sorted_rows(&m.model.relations[id], &rel.types, &m.symbols));
    }
    Ok(out)
}
