//! `stance diff`: what changed in the derived relations between two versions of a project
//! (two directories, two git revisions, or two `--as-of` dates), and why.
//!
//! Both versions are evaluated with proofs recorded. A tuple is compared by value (symbols
//! by their text, since each version has its own symbol table), relation by relation, over
//! every relation a rule derives in either version. For each added tuple the diff gives its
//! proof in the after-version; for each removed tuple, what broke its proofs in the
//! before-version: the input facts of those proofs that the after-version no longer states
//! (matched by relation and values), the rules that no longer exist (matched by their
//! canonical text, as `stance fmt` prints them, not by line), and the negated atoms that now
//! hold. A premise that still holds in the after-version is not searched further: it is not
//! what broke.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{FileId, SourceMap, Span};
use crate::base::value::{Symbols, Type, Value};
use crate::engine::eval::{EvalOptions, Model, Tuples};
use crate::facts::asof::Date;
use crate::lang::ir::{self, RelId};
use crate::lang::syntax::{self, ast::Item};
use crate::proof::explain;
use crate::proof::grades::{GradeJson, Grading};
use crate::proof::provenance::{self, Explainer, NodeId, NodeKind, Origin, Side};
use crate::session::{self, ExitStatus, Failure, Inputs, Project};
use itertools::Itertools;
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

/// Proofs of a removed tuple searched for what broke them (the shortest, then alternatives
/// with different rule instances at the root).
const PROOFS_SEARCHED: usize = 4;

/// One version of the project, loaded and evaluated with proofs recorded.
pub struct Version {
    /// How the version is named in output: `HEAD~1 (3f2a1bc)`, `old`, `working tree`.
    pub label: String,
    /// The `--as-of` date the version was evaluated at, if any.
    pub as_of: Option<Date>,
    /// The loaded and checked project.
    pub project: Project,
    /// Its model, with proofs recorded.
    pub model: Model,
}

impl Version {
    /// Loads and evaluates `inputs`. Files whose name starts with `rename.0` are shown
    /// starting with `rename.1` (a temporary checkout shown as `REV:`). On failure, the
    /// diagnostics come back with the files they point into.
    pub fn load(label: String, inputs: &Inputs, rename: Option<(&str, &str)>) -> Result<Version, (Failure, SourceMap)> {
        let mut sources = SourceMap::new();
        let renamed = |sources: &mut SourceMap| {
            if let Some((from, to)) = rename {
                sources.rename_prefix(from, to);
            }
        };
        let mut project = match session::load(inputs, &mut sources) {
            Ok(p) => p,
            Err(f) => {
                renamed(&mut sources);
                return Err((f, sources));
            }
        };
        renamed(&mut project.sources);
        match session::evaluate(&mut project, &EvalOptions { record: true, ..Default::default() }) {
            Ok(model) => Ok(Version { label, as_of: inputs.as_of, project, model }),
            Err(f) => Err((f, std::mem::take(&mut project.sources))),
        }
    }

    fn name(&self) -> VersionName {
        VersionName { label: self.label.clone(), as_of: self.as_of }
    }
}

/// Where a version's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The current directory, as it is.
    WorkingTree,
    /// A directory with the same layout as the project root.
    Dir(PathBuf),
    /// A git revision of the repository holding the current directory.
    Revision(String),
}

impl Location {
    /// The name of the version in diagnostics and headers.
    pub fn label(&self) -> String {
        match self {
            Location::WorkingTree => "working tree".to_string(),
            Location::Dir(d) => d.display().to_string(),
            Location::Revision(r) => r.clone(),
        }
    }
}

impl Location {
    /// The two versions that `stance diff` compares, from its arguments: up to two git
    /// revisions (`revisions`), or `--before`/`--after` directories. The after-version
    /// defaults to the working tree; so does the before-version, for a diff of two dates.
    pub fn pair(
        revisions: &[String],
        before_dir: Option<&PathBuf>,
        after_dir: Option<&PathBuf>,
    ) -> Result<(Location, Location), String> {
        let before = match (before_dir, revisions.first()) {
            (Some(dir), _) => Location::Dir(dir.clone()),
            (None, Some(rev)) => Location::Revision(rev.clone()),
            (None, None) => Location::WorkingTree,
        };
        let after = match (after_dir, revisions.get(1)) {
            (Some(_), Some(_)) => return Err("give the after-version once: a second REV or --after DIR".into()),
            (Some(dir), None) => Location::Dir(dir.clone()),
            (None, Some(rev)) => Location::Revision(rev.clone()),
            (None, None) => Location::WorkingTree,
        };
        Ok((before, after))
    }
}

/// The rule and fact paths inside each version (`--rules`, `--facts`, `--no-facts`).
#[derive(Debug, Clone)]
pub struct Layout {
    /// The rule files or directories (`--rules`).
    pub rules: Vec<PathBuf>,
    /// `None`: `facts`, when that directory exists.
    pub facts: Option<PathBuf>,
    /// `--no-facts`: load no facts directory.
    pub no_facts: bool,
    /// `--min-grade`, `--min-confidence`: both versions load only the rows that pass.
    pub min_grade: Option<crate::facts::grade::Grade>,
    /// See `min_grade`.
    pub min_confidence: Option<f32>,
}

/// A usage or read error (exit 2) before any file is loaded.
fn refuse(diagnostic: Diagnostic) -> (Failure, SourceMap) {
    (Failure::new(vec![diagnostic], ExitStatus::Usage), SourceMap::new())
}

fn usage(message: String) -> (Failure, SourceMap) {
    refuse(Diagnostic::error(Code::MissingInput, message))
}

/// Loads and evaluates one version. A revision's files are read with git into a temporary
/// directory, removed once they are loaded; its files are shown as `REV:path`.
pub fn load_version(
    location: &Location,
    layout: &Layout,
    as_of: Option<Date>,
) -> Result<Version, (Failure, SourceMap)> {
    for p in layout.rules.iter().chain(&layout.facts) {
        if p.as_os_str() == "-" {
            return Err(usage("`diff` cannot read rules from standard input: give paths".into()));
        }
        let relative = p.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if location != &Location::WorkingTree && !relative {
            return Err(usage(format!("`{}` must be a relative path inside each version (without `..`)", p.display())));
        }
    }
    let checkout = match location {
        Location::Revision(rev) => {
            let mut wanted = layout.rules.clone();
            wanted.push(layout.facts.clone().unwrap_or_else(|| PathBuf::from("facts")));
            let cwd = std::env::current_dir().map_err(|e| usage(format!("cannot read the current directory: {e}")))?;
            Some(crate::review::revision::checkout(&cwd, rev, &wanted).map_err(refuse)?)
        }
        Location::Dir(_) | Location::WorkingTree => None,
    };
    let root: PathBuf = match (location, &checkout) {
        (Location::Dir(d), _) => d.clone(),
        (_, Some(c)) => c.dir.path().to_path_buf(),
        _ => PathBuf::new(),
    };
    if let Location::Dir(d) = location
        && !d.is_dir()
    {
        return Err(usage(format!("directory `{}` does not exist", d.display())));
    }
    let rules: Vec<PathBuf> = layout.rules.iter().map(|r| root.join(r)).collect();
    if let Some(c) = &checkout
        && let Some((missing, _)) = layout.rules.iter().zip(&rules).find(|(_, p)| !p.exists())
    {
        let message = format!("`{}` does not exist at revision `{}`", missing.display(), c.rev);
        return Err(refuse(Diagnostic::error(Code::BadRevision, message)));
    }
    // As for the other commands, a missing default `facts` directory means no facts; so does
    // a facts directory that a revision does not have.
    let facts = match (&layout.facts, layout.no_facts) {
        (_, true) => None,
        (Some(f), _) if checkout.is_none() => Some(root.join(f)),
        (f, _) => Some(root.join(f.as_deref().unwrap_or(Path::new("facts")))).filter(|d| d.is_dir()),
    };
    let inputs = Inputs {
        rules,
        facts,
        as_of,
        min_grade: layout.min_grade,
        min_confidence: layout.min_confidence,
        with_time: false,
        part: None,
    };
    match &checkout {
        Some(c) => {
            let (from, to) = (format!("{}/", root.display()), format!("{}:", c.rev));
            Version::load(format!("{} ({})", c.rev, c.commit), &inputs, Some((&from, &to)))
        }
        None => Version::load(location.label(), &inputs, None),
    }
}

/// Why a removed tuple is no longer derived: one thing its before-proofs used that the
/// after-version lacks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cause {
    /// An input fact no longer stated: a table row (with its metadata) or a rule-file fact.
    Fact {
        /// The fact as an atom: `backs("Egypt", "Tobruk")`.
        atom: String,
        /// The file that stated it.
        file: String,
        /// The line that stated it.
        line: usize,
        /// The row's metadata columns (source, date, …), name and value.
        metadata: Vec<(String, String)>,
    },
    /// A rule whose canonical text no longer appears in any rule file.
    Rule {
        /// The rule's canonical text.
        text: String,
        /// The file it was in.
        file: String,
        /// The line it was on.
        line: usize,
    },
    /// A negated atom `!rel(...)` of the proof that now has a match.
    Blocked {
        /// The negated atom, as the proof's pattern.
        negated: String,
        /// The tuple that now matches it.
        now: String,
    },
    /// An aggregate the proof used; its inputs changed (named by the other causes, if any).
    Aggregate {
        /// The aggregate as written.
        text: String,
        /// Its value in the before-proof.
        value: Value,
        /// The value's type (numeric).
        ty: Type,
    },
}

/// A tuple derived after but not before.
#[derive(Debug, Clone)]
pub struct Added {
    /// The tuple as an atom.
    pub atom: String,
    /// Its values as JSON.
    pub tuple: Vec<Json>,
    /// The proof in the after-version: a one-line trace and the JSON DAG.
    pub trace: String,
    /// The proof as a JSON DAG.
    pub proof: Json,
}

/// A tuple derived before but not after.
#[derive(Debug, Clone)]
pub struct Removed {
    /// The tuple as an atom.
    pub atom: String,
    /// Its values as JSON.
    pub tuple: Vec<Json>,
    /// What its before-proofs used that the after-version lacks.
    pub broken_by: Vec<Cause>,
    /// The shortest proof it had in the before-version.
    pub proof: Json,
}

/// A tuple derived in both versions whose grade (or confidence) changed.
#[derive(Debug, Clone)]
pub struct Regraded {
    /// The tuple as an atom.
    pub atom: String,
    /// Its values as JSON.
    pub tuple: Vec<Json>,
    /// Its grade before.
    pub before: GradeJson,
    /// Its grade after.
    pub after: GradeJson,
}

impl Regraded {
    fn phrase(g: &GradeJson) -> String {
        match g.confidence {
            Some(c) => format!("{}, confidence {}", g.grade, c.map_or("none".to_string(), |c| c.to_string())),
            None => g.grade.clone(),
        }
    }
}

/// The changes to one relation.
#[derive(Debug, Clone)]
pub struct RelationDiff {
    /// The relation's name.
    pub name: String,
    /// Its column names.
    pub columns: Vec<String>,
    /// The relation holds constraint violations (and `name` is the constraint's text):
    /// added tuples are violations introduced, removed ones violations resolved.
    pub constraint: bool,
    /// Tuples no longer derived.
    pub removed: Vec<Removed>,
    /// Tuples newly derived.
    pub added: Vec<Added>,
    /// Tuples derived in both whose grade changed (when either version has grades).
    pub regraded: Vec<Regraded>,
}

/// A version as the diff names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionName {
    /// How the version is named (see [`Version::label`]).
    pub label: String,
    /// The `--as-of` date, if any.
    pub as_of: Option<Date>,
}

impl std::fmt::Display for VersionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_of {
            Some(d) => write!(f, "{} as of {d}", self.label),
            None => write!(f, "{}", self.label),
        }
    }
}

/// What changed between two versions of a project: the tuples each relation gained and lost.
#[derive(Debug, Clone)]
pub struct Diff {
    /// The version compared from.
    pub before: VersionName,
    /// The version compared to.
    pub after: VersionName,
    /// Relations with changes, by name (constraints after the relations, by text).
    pub relations: Vec<RelationDiff>,
}

impl Diff {
    /// Whether no relation changed.
    pub fn is_empty(&self) -> bool {
        self.relations.is_empty()
    }

    fn counts(&self) -> (usize, usize) {
        let added = self.relations.iter().map(|r| r.added.len()).sum();
        let removed = self.relations.iter().map(|r| r.removed.len()).sum();
        (added, removed)
    }

    fn regraded(&self) -> usize {
        self.relations.iter().map(|r| r.regraded.len()).sum()
    }
}

/// The canonical text of the constraint (`:- body.`) whose violations `rel` holds, or
/// `None` for an ordinary relation. A constraint's relation is matched across versions by
/// this text (hidden names are numbered in the order written, so they shift), and its added
/// and removed tuples are shown as violations introduced and resolved.
fn constraint_text(project: &Project, rel: RelId) -> Option<String> {
    let constraint = project.program.constraint_of(rel)?;
    Some(canonical_rule(project.sources.snippet(constraint.span)))
}

/// The canonical text of a source rule (`stance fmt`'s layout on one line), which does not
/// change when the rule moves or is re-indented.
pub fn canonical_rule(source: &str) -> String {
    let (file, errors) = syntax::parse_file(FileId(0), source);
    let printed = match file.items.first() {
        Some(Item::Rule(r)) if errors.is_empty() && file.items.len() == 1 => crate::lang::fmt::print_rule(r),
        _ => source.to_string(),
    };
    crate::base::source::one_line(&printed)
}

fn canonical_rules(project: &Project) -> HashMap<Span, String> {
    let mut texts = HashMap::new();
    for rule in &project.program.rules {
        texts.entry(rule.span).or_insert_with(|| canonical_rule(project.sources.snippet(rule.span)));
    }
    texts
}

/// `tuple` of `from_rel` in `from` as values of `to_rel` in `to`, if `to` can hold it: the
/// column types agree and every symbol exists there.
fn translate(tuple: &[Value], types: &[Type], to_types: &[Type], from: &Symbols, to: &Symbols) -> Option<Vec<Value>> {
    if types != to_types {
        return None;
    }
    tuple.iter().zip(types).map(|(&v, &t)| crate::base::value::translate(v, t, from, to)).collect()
}

/// The relations a rule derives, by key: the name, or a constraint's canonical text.
fn compared_relations(project: &Project) -> BTreeMap<(bool, String), RelId> {
    let program = &project.program;
    (0..program.relations.len())
        .filter(|&r| program.is_derived(r))
        .map(|r| match constraint_text(project, r) {
            Some(text) => ((true, text), r),
            None => ((false, program.relations[r].name.clone()), r),
        })
        .collect()
}

/// One version seen from the other: its relations by name, for "does this still hold?".
struct View<'a> {
    program: &'a ir::Program,
    model: &'a Model,
    symbols: &'a Symbols,
}

impl View<'_> {
    /// The relation id and the translated tuple, if the tuple can exist here.
    fn find(
        &self,
        program: &ir::Program,
        rel: RelId,
        tuple: &[Value],
        symbols: &Symbols,
    ) -> Option<(RelId, Vec<Value>)> {
        let decl = &program.relations[rel];
        let here = self.program.relation_id(&decl.name)?;
        let t = translate(tuple, &decl.types, &self.program.relations[here].types, symbols, self.symbols)?;
        Some((here, t))
    }

    fn holds(&self, program: &ir::Program, rel: RelId, tuple: &[Value], symbols: &Symbols) -> bool {
        self.find(program, rel, tuple, symbols).is_some_and(|(r, t)| self.model.relations[r].contains(&t))
    }

    /// Whether relation `here` holds a tuple of the other version (with its column types).
    fn holds_in(&self, here: RelId, tuple: &[Value], types: &[Type], symbols: &Symbols) -> bool {
        translate(tuple, types, &self.program.relations[here].types, symbols, self.symbols)
            .is_some_and(|t| self.model.relations[here].contains(&t))
    }
}

/// Indices of the tuples of `rel` (of `program`) that relation `other_rel` of `other`
/// does not have, in display order.
fn missing(
    model: &Model,
    program: &ir::Program,
    rel: Option<RelId>,
    symbols: &Symbols,
    other: &View,
    other_rel: Option<RelId>,
) -> Vec<usize> {
    let Some(rel) = rel else { return Vec::new() };
    let (tuples, types) = (&model.relations[rel], &program.relations[rel].types);
    let mut gone = Tuples { arity: tuples.arity, data: Vec::new(), rows: 0 };
    let mut index = Vec::new();
    for (i, t) in tuples.iter().enumerate() {
        if !other_rel.is_some_and(|o| other.holds_in(o, t, types, symbols)) {
            gone.data.extend_from_slice(t);
            gone.rows += 1;
            index.push(i);
        }
    }
    crate::base::order::display_order(&gone, types, symbols).into_iter().map(|i| index[i]).collect()
}

/// `rel("a", 1)`; for a constraint's hidden relation, the violation's bindings instead
/// (`x = "a", n = 1`), since its name is not one the user wrote.
fn tuple_text(program: &ir::Program, rel: RelId, tuple: &[Value], symbols: &Symbols, constraint: bool) -> String {
    if !constraint {
        return provenance::atom_text(program, rel, tuple, symbols);
    }
    let decl = &program.relations[rel];
    let bindings = decl.columns.iter().zip(tuple).zip(&decl.types);
    bindings.map(|((c, &v), &t)| format!("{c} = {}", provenance::literal(v, t, symbols))).join(", ")
}

fn tuple_json(tuple: &[Value], types: &[Type], symbols: &Symbols) -> Vec<Json> {
    tuple.iter().zip(types).map(|(&v, &t)| crate::base::value::value_json(v, t, symbols)).collect()
}

/// Compares two evaluated versions.
pub fn compare(before: &mut Version, after: &mut Version) -> Diff {
    let (before_rels, after_rels) = (compared_relations(&before.project), compared_relations(&after.project));
    let keys: BTreeSet<&(bool, String)> = before_rels.keys().chain(after_rels.keys()).collect();
    let before_rules = canonical_rules(&before.project);
    let after_rules: HashSet<String> = canonical_rules(&after.project).into_values().collect();
    let names_of_versions = (before.name(), after.name());

    let Project { program: bp, facts: bf, sources: bs, symbols: bsym, .. } = &mut before.project;
    let Project { program: ap, facts: af, sources: as_, symbols: asym, .. } = &mut after.project;
    let mut bex = Explainer::new(bp, &before.model, bf, bs, bsym);
    let mut aex = Explainer::new(ap, &after.model, af, as_, asym);
    // Grades, when either version's statements have any: proofs carry them, and a tuple
    // whose grade changed is a change.
    let (bgrading, agrading) = gradings(&mut bex, &mut aex);
    bex.grading = bgrading.as_ref();
    aex.grading = agrading.as_ref();

    let mut relations = Vec::new();
    for key in keys {
        let (b, a) = (before_rels.get(key).copied(), after_rels.get(key).copied());
        let removed_idx = {
            let other = View { program: aex.program, model: aex.model, symbols: aex.symbols };
            missing(bex.model, bex.program, b, bex.symbols, &other, a)
        };
        let added_idx = {
            let other = View { program: bex.program, model: bex.model, symbols: bex.symbols };
            missing(aex.model, aex.program, a, aex.symbols, &other, b)
        };
        let regraded = match (b, a, &bgrading, &agrading) {
            (Some(b), Some(a), Some(bg), Some(ag)) => regraded(&bex, b, bg, &aex, a, ag, key.0),
            _ => Vec::new(),
        };
        if removed_idx.is_empty() && added_idx.is_empty() && regraded.is_empty() {
            continue;
        }
        let mut removed = Vec::new();
        if let Some(b) = b {
            for i in removed_idx {
                let tuple = bex.model.relations[b].get(i).to_vec();
                let roots = bex.explain_many(b, &tuple, PROOFS_SEARCHED);
                let view = View { program: aex.program, model: aex.model, symbols: aex.symbols };
                let mut causes = Vec::new();
                let mut seen = HashSet::new();
                for &root in &roots {
                    broken(&bex, &view, &before_rules, &after_rules, root, true, &mut seen, &mut causes);
                }
                removed.push(Removed {
                    atom: tuple_text(bex.program, b, &tuple, bex.symbols, key.0),
                    tuple: tuple_json(&tuple, &bex.program.relations[b].types, bex.symbols),
                    broken_by: causes,
                    proof: roots.first().map_or(Json::Null, |&r| explain::proof_json(&bex, r)),
                });
            }
        }
        let mut added = Vec::new();
        if let Some(a) = a {
            for i in added_idx {
                let tuple = aex.model.relations[a].get(i).to_vec();
                let root = aex.explain(a, &tuple);
                added.push(Added {
                    atom: tuple_text(aex.program, a, &tuple, aex.symbols, key.0),
                    tuple: tuple_json(&tuple, &aex.program.relations[a].types, aex.symbols),
                    trace: root.map(|r| explain::compact_trace(&aex, r)).unwrap_or_default(),
                    proof: root.map_or(Json::Null, |r| explain::proof_json(&aex, r)),
                });
            }
        }
        let (program, rel) = match (a, b) {
            (Some(a), _) => (aex.program, a),
            (None, Some(b)) => (bex.program, b),
            (None, None) => continue,
        };
        let (constraint, name) = key.clone();
        relations.push(RelationDiff {
            name,
            columns: program.relations[rel].columns.clone(),
            constraint,
            removed,
            added,
            regraded,
        });
    }
    Diff { before: names_of_versions.0, after: names_of_versions.1, relations }
}

/// Both versions' grades, when either version's statements have grades or confidences.
fn gradings(bex: &mut Explainer, aex: &mut Explainer) -> (Option<Grading>, Option<Grading>) {
    let graded = |f: &crate::facts::load::Facts| f.graded() != (false, false);
    if !graded(bex.facts) && !graded(aex.facts) {
        return (None, None);
    }
    (Some(Grading::compute(bex)), Some(Grading::compute(aex)))
}

/// The tuples of relation `a` (after) that relation `b` (before) also holds with another
/// grade or confidence, in display order.
fn regraded(
    bex: &Explainer,
    b: RelId,
    bg: &Grading,
    aex: &Explainer,
    a: RelId,
    ag: &Grading,
    constraint: bool,
) -> Vec<Regraded> {
    let (tuples, types) = (&aex.model.relations[a], &aex.program.relations[a].types);
    let btypes = &bex.program.relations[b].types;
    let order = crate::base::order::display_order(tuples, types, aex.symbols);
    let mut out = Vec::new();
    for i in order {
        let tuple = tuples.get(i);
        let Some(j) =
            translate(tuple, types, btypes, aex.symbols, bex.symbols).and_then(|t| bex.model.relations[b].position(&t))
        else {
            continue;
        };
        let (before, after) = (bg.json(b, j), ag.json(a, i));
        if before != after {
            out.push(Regraded {
                atom: tuple_text(aex.program, a, tuple, aex.symbols, constraint),
                tuple: tuple_json(tuple, types, aex.symbols),
                before,
                after,
            });
        }
    }
    out
}

/// Collects into `causes` what, in the proof rooted at `n` (before-version), the
/// after-version lacks. Premises that still hold there are not searched.
#[allow(clippy::too_many_arguments)]
fn broken(
    ex: &Explainer,
    after: &View,
    before_rules: &HashMap<Span, String>,
    after_rules: &HashSet<String>,
    n: NodeId,
    root: bool,
    seen: &mut HashSet<NodeId>,
    causes: &mut Vec<Cause>,
) {
    if !seen.insert(n) {
        return;
    }
    let node = &ex.nodes[n];
    if !root && after.holds(ex.program, node.rel, &node.tuple, ex.symbols) {
        return;
    }
    let mut push = |c: Cause| {
        if !causes.contains(&c) {
            causes.push(c);
        }
    };
    match &node.kind {
        NodeKind::Fact { origins } => {
            let atom = provenance::atom_text(ex.program, node.rel, &node.tuple, ex.symbols);
            for origin in origins {
                push(match origin {
                    Origin::Row(id) => Cause::Fact {
                        atom: atom.clone(),
                        file: ex.sources.get(ex.facts.table_of(*id).file).name.clone(),
                        line: ex.facts.origin(*id).line as usize,
                        metadata: ex.facts.metadata(*id, ex.sources),
                    },
                    Origin::RuleFile(span) => Cause::Fact {
                        atom: atom.clone(),
                        file: ex.sources.get(span.file).name.clone(),
                        line: ex.sources.get(span.file).line_col(span.start as usize).0,
                        metadata: Vec::new(),
                    },
                });
            }
        }
        NodeKind::Derived { rule, premises, side, .. } => {
            let rule = &ex.program.rules[*rule];
            let text = &before_rules[&rule.span];
            if !after_rules.contains(text) {
                let file = ex.sources.get(rule.span.file);
                push(Cause::Rule {
                    text: text.clone(),
                    file: file.name.clone(),
                    line: file.line_col(rule.span.start as usize).0,
                });
            }
            for s in side {
                match s {
                    Side::Absent { rel, pattern } => {
                        if let Some(now) = now_matching(ex, after, *rel, pattern) {
                            push(Cause::Blocked {
                                negated: provenance::pattern_text(ex.program, *rel, pattern, ex.symbols),
                                now,
                            });
                        }
                    }
                    Side::Aggregate { text, value, ty, .. } => {
                        push(Cause::Aggregate { text: text.clone(), value: *value, ty: *ty });
                    }
                    Side::Holds { .. } => {}
                }
            }
            for &p in premises {
                broken(ex, after, before_rules, after_rules, p, false, seen, causes);
            }
        }
    }
}

/// A tuple of the after-version matching a negated pattern of the before-version, as text.
fn now_matching(ex: &Explainer, after: &View, rel: RelId, pattern: &[Option<Value>]) -> Option<String> {
    let decl = &ex.program.relations[rel];
    let here = after.program.relation_id(&decl.name)?;
    if after.program.relations[here].types != decl.types {
        return None;
    }
    let translated: Option<Vec<Option<Value>>> = pattern
        .iter()
        .zip(&decl.types)
        .map(|(p, &t)| match (p, t) {
            (None, _) => Some(None),
            (Some(v), t) => crate::base::value::translate(*v, t, ex.symbols, after.symbols).map(Some),
        })
        .collect();
    let tuples = &after.model.relations[here];
    let i = provenance::matches(tuples, &translated?).next()?;
    Some(provenance::atom_text(after.program, here, tuples.get(i), after.symbols))
}

/// The diff as text: a header naming both versions, then per relation the removed tuples
/// with what broke them and the added tuples with their proofs, then a summary line. A
/// removed statement's source and quote are shown the first time it is named.
pub fn render_text(diff: &Diff) -> String {
    let mut out = String::new();
    let mut shown: HashSet<&Cause> = HashSet::new();
    let _ = writeln!(out, "before: {}", diff.before);
    let _ = writeln!(out, "after:  {}", diff.after);
    for r in &diff.relations {
        let (gone, new) = if r.constraint { ("resolved", "introduced") } else { ("removed", "added") };
        let name = if r.constraint { format!("violations of `{}`", r.name) } else { r.name.clone() };
        let _ = write!(out, "\n{name}: {} {new}, {} {gone}", r.added.len(), r.removed.len());
        let _ = if r.regraded.is_empty() { writeln!(out) } else { writeln!(out, ", {} regraded", r.regraded.len()) };
        for t in &r.removed {
            let _ = writeln!(out, "  - {}", t.atom);
            if t.broken_by.is_empty() {
                let _ = writeln!(
                    out,
                    "      no statement or rule of its proofs was removed (a declaration may have changed)"
                );
            }
            for c in &t.broken_by {
                let first = shown.insert(c);
                cause_text(c, first, &mut out);
            }
        }
        for t in &r.added {
            let _ = writeln!(out, "  + {}", t.atom);
            let _ = writeln!(out, "      proof: {}", t.trace);
        }
        for t in &r.regraded {
            let (before, after) = (Regraded::phrase(&t.before), Regraded::phrase(&t.after));
            let _ = writeln!(out, "  ~ {}  grade {before} -> {after}", t.atom);
        }
    }
    let (added, removed) = diff.counts();
    let regraded = match diff.regraded() {
        0 => String::new(),
        n => format!(", {n} regraded"),
    };
    if diff.is_empty() {
        let _ = writeln!(out, "\nno derived tuple added or removed");
    } else {
        let n = diff.relations.len();
        let s = if n == 1 { "" } else { "s" };
        let _ = writeln!(out, "\n{added} added, {removed} removed{regraded} in {n} relation{s}");
    }
    out
}

fn cause_text(c: &Cause, details: bool, out: &mut String) {
    match c {
        Cause::Fact { atom, file, line, metadata } => {
            let _ = writeln!(out, "      broken by: statement removed: {atom}  [{file}:{line}]");
            if !details {
                return;
            }
            let attribution: Vec<String> = metadata
                .iter()
                .filter(|(k, v)| !v.is_empty() && !k.eq_ignore_ascii_case("quote"))
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            if !attribution.is_empty() {
                let _ = writeln!(out, "        {}", attribution.join(", "));
            }
            if let Some((_, q)) = metadata.iter().find(|(k, v)| k.eq_ignore_ascii_case("quote") && !v.is_empty()) {
                let _ = writeln!(out, "        quote: \u{201c}{q}\u{201d}");
            }
        }
        Cause::Rule { text, file, line } => {
            let _ = writeln!(out, "      broken by: rule removed or changed: {text}  [{file}:{line}]");
        }
        Cause::Blocked { negated, now } => {
            let _ = writeln!(out, "      broken by: negation no longer holds: !{negated} (now {now} holds)");
        }
        Cause::Aggregate { text, value, ty } => {
            let value = crate::base::value::numeric_text(*value, *ty);
            let _ = writeln!(out, "      broken by: aggregate changed: {text} was {value}");
        }
    }
}

fn cause_json(c: &Cause) -> Json {
    match c {
        Cause::Fact { atom, file, line, metadata } => {
            let metadata: Map<String, Json> =
                metadata.iter().map(|(k, v)| (k.clone(), Json::from(v.clone()))).collect();
            json!({"kind": "fact", "atom": atom, "file": file, "line": line, "metadata": metadata})
        }
        Cause::Rule { text, file, line } => json!({"kind": "rule", "text": text, "file": file, "line": line}),
        Cause::Blocked { negated, now } => json!({"kind": "negation", "negated": negated, "now": now}),
        Cause::Aggregate { text, value, ty } => {
            json!({"kind": "aggregate", "text": text, "value": crate::base::value::numeric_json(*value, *ty)})
        }
    }
}

/// The diff as one JSON object: `{"before": {"version", "as_of"}, "after", "relations": [{"name", "columns",
/// "constraint", "removed": [{"atom", "tuple", "broken_by", "proof"}], "added": [{"atom",
/// "tuple", "proof"}]}], "added", "removed"}`.
pub fn render_json(diff: &Diff) -> Json {
    let relations: Vec<Json> = diff
        .relations
        .iter()
        .map(|r| {
            let removed: Vec<Json> = r
                .removed
                .iter()
                .map(|t| {
                    json!({
                        "atom": t.atom,
                        "tuple": t.tuple,
                        "broken_by": t.broken_by.iter().map(cause_json).collect::<Vec<_>>(),
                        "proof": t.proof,
                    })
                })
                .collect();
            let added: Vec<Json> =
                r.added.iter().map(|t| json!({"atom": t.atom, "tuple": t.tuple, "proof": t.proof})).collect();
            let mut obj = json!({
                "name": r.name,
                "columns": r.columns,
                "constraint": r.constraint,
                "removed": removed,
                "added": added,
            });
            if !r.regraded.is_empty() {
                let regraded: Vec<RegradedJson> = r.regraded.iter().map(RegradedJson::of).collect();
                obj["regraded"] = serde_json::to_value(regraded).unwrap_or(Json::Null);
            }
            obj
        })
        .collect();
    let (added, removed) = diff.counts();
    let version = |v: &VersionName| json!({"version": v.label, "as_of": v.as_of.map(|d| d.to_string())});
    let mut out = json!({
        "before": version(&diff.before),
        "after": version(&diff.after),
        "relations": relations,
        "added": added,
        "removed": removed,
    });
    if diff.regraded() > 0 {
        out["regraded"] = Json::from(diff.regraded());
    }
    out
}

/// A regraded tuple in the JSON diff: `{"atom", "tuple", "before": {grade...}, "after"}`.
#[derive(serde::Serialize)]
struct RegradedJson<'a> {
    atom: &'a str,
    tuple: &'a [Json],
    before: &'a GradeJson,
    after: &'a GradeJson,
}

impl<'a> RegradedJson<'a> {
    fn of(r: &'a Regraded) -> RegradedJson<'a> {
        RegradedJson { atom: &r.atom, tuple: &r.tuple, before: &r.before, after: &r.after }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_rule;

    #[test]
    fn canonical_text_ignores_layout() {
        let a = canonical_rule("aligned(x,z):-backs(x,y),\n   relies_on(y,z),x!=z.");
        let b = canonical_rule("aligned(x, z) :- backs(x, y), relies_on(y, z), x != z.");
        assert_eq!(a, b);
        assert_eq!(a, "aligned(x, z) :- backs(x, y), relies_on(y, z), x != z.");
        assert_ne!(a, canonical_rule("aligned(x, z) :- backs(x, y), relies_on(y, z)."));
    }
}
