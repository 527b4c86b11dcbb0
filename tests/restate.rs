//! A statement table reloaded by its changed rows (`facts::restate`, through the load cache
//! that `watch` and the language server keep) gives what a fresh load gives, and the live dd
//! dataflow fed from it gives a fresh evaluation's model: random sequences of rows
//! inserted, removed and edited (relations and strings new or gone, quoted fields with
//! newlines, rows with errors), edits of the header and random bytes, in the file or in an
//! editor's buffer.
//! `RESTATE_CASES` sets the number of sequences (32 by default).
#![cfg(feature = "dd")]

use proptest::prelude::*;
use stance::base::source::SourceMap;
use stance::engine::backend::Engine;
use stance::engine::eval::EvalOptions;
use stance::session::cache::LoadCache;
use stance::session::live::Live;
use stance::session::{self, Inputs, Overlay, Project};
use std::path::Path;

/// Recursion over two statement relations, and one over strings compared.
const RULES: &str = r#"
.decl edge(x: symbol, y: symbol)
.decl link(x: symbol, y: symbol)
.decl reach(x: symbol, y: symbol)
.output reach
reach(x, y) :- edge(x, y).
reach(x, y) :- link(x, y).
reach(x, z) :- reach(x, y), edge(y, z).
.decl first(x: symbol)
.output first
first(x) :- reach(x, _), x < "c".
"#;

/// The same with `ord`, whose numbers count the strings loaded.
const ORD_RULES: &str = r#"
.decl edge(x: symbol, y: symbol)
.decl reach(x: symbol, y: symbol)
.output reach
reach(x, y) :- edge(x, y).
reach(x, z) :- reach(x, y), edge(y, z).
.decl rank(x: symbol, n: number)
.output rank
rank(x, n) :- reach(x, _), n = ord(x).
"#;

/// `RESTATE_CASES`, or 32.
fn cases() -> u32 {
    std::env::var("RESTATE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32)
}

/// Every relation's tuples as literals, by name; every fact's relation, values, place and
/// metadata, by fact id (what proofs quote).
type Seen = (Vec<(String, Vec<Vec<String>>)>, Vec<String>);

fn seen(project: &Project, relations: &[stance::base::value::Tuples]) -> Seen {
    let model = project
        .program
        .relations
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.clone(), session::reeval::render_rows(project, i, &relations[i])))
        .collect();
    let facts = &project.facts;
    let mut rows = vec![String::new(); facts.origins.len()];
    for (name, fact_rows) in &facts.relations {
        for (tuple, id) in fact_rows.iter() {
            let values: Vec<&str> = tuple.iter().map(|&v| project.symbols.resolve(v)).collect();
            let metadata = facts.try_metadata(id, &project.sources).expect("the row can be quoted");
            rows[id as usize] = format!("{name}{values:?} at {} {metadata:?}", facts.location(id, &project.sources));
        }
    }
    (model, rows)
}

/// A fresh load and datafrog evaluation of the project: what it shows, or its diagnostics.
fn fresh(inputs: &Inputs, overlay: &Overlay) -> Result<Seen, String> {
    let mut sources = SourceMap::new();
    let mut project = session::load_with(inputs, overlay, &mut sources).map_err(|f| format!("{:?}", f.diagnostics))?;
    let model = session::evaluate(&mut project, &EvalOptions::default()).map_err(|f| format!("{:?}", f.diagnostics))?;
    Ok(seen(&project, &model.relations))
}

/// A load through `cache` and the live dd dataflow's model.
fn cached(inputs: &Inputs, overlay: &Overlay, cache: &mut LoadCache, live: &mut Live) -> Result<Seen, String> {
    let mut sources = SourceMap::new();
    let loaded = session::load_cached(inputs, overlay, &mut sources, Some(cache), true);
    let mut project = loaded.map_err(|f| format!("{:?}", f.diagnostics))?;
    session::plan(&mut project);
    let options = EvalOptions { engine: Engine::Dd, ..EvalOptions::default() };
    let (model, _) = live.evaluate(&mut project, &options, &[]).map_err(|f| format!("{:?}", f.diagnostics))?;
    // A model's relations are sorted by id, each row once (lookups rely on it).
    for t in &model.relations {
        assert!((1..t.len()).all(|i| t.get(i - 1) < t.get(i)), "a relation of the model is out of order");
    }
    Ok(seen(&project, &model.relations))
}

/// One edit of the table.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, String),
    Remove(usize),
    Replace(usize, String),
    /// A new header.
    Header(&'static str),
    /// Bytes inserted at a position of the text.
    Bytes(usize, String),
}

fn row() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["a", "b", "c", "d", "e f", "new", "\"q,x\"", "\"two\nlines\""]);
    let relation = prop::sample::select(vec!["edge", "link", "Edge", "other", "not edge", "edge", "link"]);
    let source = prop::sample::select(vec!["", "S", "\"with, comma\"", "\"a\nb\"", "\"\"\"\""]);
    // Mostly good rows: a bad one (a missing field) makes every later load a full one
    // until it is gone; an empty one is skipped.
    let shape = prop::sample::select([vec![0u8; 14], vec![1, 2]].concat());
    (name.clone(), relation, name, source, shape).prop_map(|(s, r, o, src, shape)| match shape {
        1 => format!("{s},{r}"),
        2 => ",,,".to_string(),
        _ => format!("{s},{r},{o},{src}"),
    })
}

fn edit() -> impl Strategy<Value = Edit> {
    let header = prop::sample::select(vec![
        "subject,relation,object,source",
        "Subject,Relation,Object,Source",
        "subject,relation,object,note",
    ]);
    prop_oneof![
        4 => (0..30usize, row()).prop_map(|(i, r)| Edit::Insert(i, r)),
        3 => (0..30usize).prop_map(Edit::Remove),
        3 => (0..30usize, row()).prop_map(|(i, r)| Edit::Replace(i, r)),
        1 => header.prop_map(Edit::Header),
        1 => (0..400usize, prop::string::string_regex("[,\"\na]{1,3}").unwrap()).prop_map(|(at, b)| Edit::Bytes(at, b)),
    ]
}

/// The table's text: the header, then the rows, each ended by `end`.
fn text(header: &str, rows: &[String], end: &str, bytes: &[(usize, String)]) -> String {
    let mut text = format!("{header}{end}");
    for r in rows {
        text.push_str(r);
        text.push_str(end);
    }
    for (at, b) in bytes {
        let mut at = (*at).min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, b);
    }
    text
}

/// Writes `text` with a modification time of its own (the cache knows a file by its
/// length and time; two writes in one clock tick could look the same).
fn write(path: &Path, text: &str, step: u64) {
    std::fs::write(path, text).unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000 + step)).unwrap();
}

/// Runs `edits` from `start`, checking every step; with `editor`, the table's texts are an
/// editor's (the language server's overlay), not the file's. Returns how many loads
/// reloaded by rows.
fn check(
    rules: &str,
    start: Vec<String>,
    edits: Vec<Edit>,
    (crlf, editor): (bool, bool),
) -> Result<usize, TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    std::fs::write(dir.path().join("r.dl"), rules).unwrap();
    // A second table, unchanged, before the one edited: its fact ids come first.
    std::fs::write(dir.path().join("facts/a.csv"), "subject,relation,object\nz,edge,a\n").unwrap();
    let table = dir.path().join("facts/s.csv");
    let inputs =
        Inputs { rules: vec![dir.path().join("r.dl")], facts: Some(dir.path().join("facts")), ..Inputs::default() };
    let end = if crlf { "\r\n" } else { "\n" };
    let (mut header, mut rows, mut bytes) = ("subject,relation,object,source", start, Vec::new());
    let (mut cache, mut live) = (LoadCache::default(), Live::default());
    let mut overlay = Overlay::new();
    let put = |text: String, step: u64, overlay: &mut Overlay| match editor {
        true => drop(overlay.insert(table.clone(), text)),
        false => write(&table, &text, step),
    };
    // The file exists in either case (the facts directory lists it).
    write(&table, &text(header, &rows, end, &bytes), 0);
    put(text(header, &rows, end, &bytes), 0, &mut overlay);
    prop_assert_eq!(cached(&inputs, &overlay, &mut cache, &mut live), fresh(&inputs, &overlay));
    for (step, e) in edits.into_iter().enumerate() {
        match e {
            Edit::Insert(i, r) => rows.insert(i.min(rows.len()), r),
            Edit::Remove(i) if i < rows.len() => drop(rows.remove(i)),
            Edit::Replace(i, r) if i < rows.len() => rows[i] = r,
            Edit::Header(h) => header = h,
            Edit::Bytes(at, b) => bytes.push((at, b)),
            Edit::Remove(_) | Edit::Replace(..) => {}
        }
        let now = text(header, &rows, end, &bytes);
        put(now.clone(), step as u64 + 1, &mut overlay);
        let want = fresh(&inputs, &overlay);
        prop_assert_eq!(cached(&inputs, &overlay, &mut cache, &mut live), want, "after {:?}", now);
    }
    Ok(cache.statement_reloads)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 256, ..ProptestConfig::default() })]

    /// After every edit, the project loaded through the cache (by changed rows where that
    /// can be done exactly) and evaluated by the live dataflow is a fresh load's and a
    /// fresh evaluation's: the same model, and every fact with the same relation, values,
    /// `file:line` and quoted metadata.
    #[test]
    fn reloaded_statement_tables_give_a_fresh_load(
        start in prop::collection::vec(row(), 0..8),
        edits in prop::collection::vec(edit(), 1..8),
        crlf in any::<bool>(),
        editor in any::<bool>(),
        ord in prop::bool::weighted(0.2),
    ) {
        check(if ord { ORD_RULES } else { RULES }, start, edits, (crlf, editor))?;
    }
}

/// Plain edits are reloaded by rows, not in full: the cache counts one reload per edit.
#[test]
fn plain_row_edits_reload_by_rows() {
    let start: Vec<String> = ["a,edge,b,S", "b,edge,c,\"x\ny\"", "c,link,d,"].iter().map(|s| s.to_string()).collect();
    let edits = vec![
        Edit::Insert(1, "b,edge,new,T".into()),
        Edit::Replace(0, "a,link,b,S".into()),
        Edit::Remove(3),
        Edit::Insert(3, "d,other,\"two\nlines\",\"a\nb\"".into()),
    ];
    assert_eq!(check(RULES, start.clone(), edits.clone(), (false, false)).unwrap(), 4);
    // The same in an editor's buffer.
    assert_eq!(check(RULES, start, edits, (false, true)).unwrap(), 4);
}

/// A table replaced, between two loads, by a symlink leading out of the facts directory is
/// refused as a full load refuses it (E060, `OutsideProject`), and its target is not read: the reload by rows
/// opens the changed file confined to the facts directory, as the full load does.
#[cfg(unix)]
#[test]
fn a_table_replaced_by_a_symlink_leading_out_is_refused_on_reload() {
    let table = ("s.csv", "subject,relation,object\na,edge,b\n", "subject,relation,object\na,edge,secret\n");
    let mut t = OutsideTable::new(RULES, table);
    let first = cached(&t.inputs, &t.overlay, &mut t.cache, &mut t.live).unwrap();
    assert_eq!(first, fresh(&t.inputs, &t.overlay).unwrap());
    t.swap_for_the_symlink_and_refuse();
    assert_eq!(t.cache.statement_reloads, 0);
}

/// A project whose facts directory holds one table, and a file outside the project that a
/// symlink put in the table's place would lead to (its rows must never be loaded).
#[cfg(unix)]
struct OutsideTable {
    _dir: tempfile::TempDir,
    table: std::path::PathBuf,
    outside: std::path::PathBuf,
    inputs: Inputs,
    overlay: Overlay,
    cache: LoadCache,
    live: Live,
}

#[cfg(unix)]
impl OutsideTable {
    /// `rules` as `project/r.dl`; `(name, rows, secret)`: the table `project/facts/NAME`
    /// with `rows`, and `secret` the outside file's rows.
    fn new(rules: &str, (name, rows, secret): (&str, &str, &str)) -> OutsideTable {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("project/facts")).unwrap();
        let rules_file = dir.path().join("project/r.dl");
        std::fs::write(&rules_file, rules).unwrap();
        let table = dir.path().join("project/facts").join(name);
        write(&table, rows, 0);
        let outside = dir.path().join(format!("secret-{name}"));
        std::fs::write(&outside, secret).unwrap();
        let facts = Some(dir.path().join("project/facts"));
        let inputs = Inputs { rules: vec![rules_file], facts, ..Inputs::default() };
        let (cache, live, overlay) = (LoadCache::default(), Live::default(), Overlay::new());
        OutsideTable { _dir: dir, table, outside, inputs, overlay, cache, live }
    }

    /// Replaces the table by a symlink to the outside file: the next load through the cache
    /// is refused as a fresh load refuses it (E060), and names none of its rows.
    fn swap_for_the_symlink_and_refuse(&mut self) {
        std::fs::remove_file(&self.table).unwrap();
        std::os::unix::fs::symlink(&self.outside, &self.table).unwrap();
        let err = cached(&self.inputs, &self.overlay, &mut self.cache, &mut self.live).unwrap_err();
        assert!(err.contains("code: OutsideProject"), "{err}");
        assert!(err.contains("leads outside the facts directory"), "{err}");
        assert!(!err.contains("secret\""), "{err}");
        assert_eq!(err, fresh(&self.inputs, &self.overlay).unwrap_err());
    }
}

/// A `.input` relation table with string columns beside a statement table: both reload by
/// rows into one kept symbol table (`facts::reload`, `session::cache`).
const STRING_TABLE_RULES: &str = r#"
.decl e(x: symbol, y: symbol)
.input e
.decl edge(x: symbol, y: symbol)
.decl reach(x: symbol, y: symbol)
.output reach
reach(x, y) :- e(x, y).
reach(x, y) :- edge(x, y).
reach(x, z) :- reach(x, y), e(y, z).
.decl first(x: symbol)
.output first
first(x) :- reach(x, _), x < "c".
"#;

/// `RELOAD_STRINGS_CASES`, or 32.
fn string_cases() -> u32 {
    std::env::var("RELOAD_STRINGS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32)
}

/// One step of an edit sequence of the string table `e.facts`, the statement table, or the
/// rules.
#[derive(Debug, Clone)]
enum Step {
    /// Rows of `e.facts` inserted, removed, replaced (as [`Edit`], without header edits).
    Table(Edit),
    /// A row appended to the statement table (`x,edge,y`).
    Statement(String, String),
    /// The rules with another constant (a string the tables may not have), or calling `ord`.
    Rules(&'static str),
}

fn string_row() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["a", "b", "c", "d", "e f", "new", "n0", "zz", "é"]);
    // Mostly good rows; a row with one field is an error (the table is then read in full
    // until it is gone).
    let shape = prop::sample::select([vec![0u8; 12], vec![1]].concat());
    (name.clone(), name, shape).prop_map(|(x, y, shape)| match shape {
        1 => x.to_string(),
        _ => format!("{x}\t{y}"),
    })
}

fn step() -> impl Strategy<Value = Step> {
    let name = prop::sample::select(vec!["a", "b", "c", "q", "new"]);
    let rules = prop::sample::select(vec!["\"c\"", "\"constant\"", "ord"]);
    prop_oneof![
        4 => (0..30usize, string_row()).prop_map(|(i, r)| Step::Table(Edit::Insert(i, r))),
        3 => (0..30usize).prop_map(|i| Step::Table(Edit::Remove(i))),
        3 => (0..30usize, string_row()).prop_map(|(i, r)| Step::Table(Edit::Replace(i, r))),
        1 => (0..400usize, prop::string::string_regex("[\t\na]{1,3}").unwrap()).prop_map(|(at, b)| Step::Table(Edit::Bytes(at, b))),
        1 => (name.clone(), name).prop_map(|(x, y)| Step::Statement(x.to_string(), y.to_string())),
        1 => rules.prop_map(Step::Rules),
    ]
}

/// The rules with the constant `constant` in `first` (`ord`: a rule that numbers strings).
fn string_rules(constant: &str) -> String {
    match constant {
        "ord" => format!(
            "{STRING_TABLE_RULES}.decl rank(x: symbol, n: number)\n.output rank\nrank(x, n) :- e(x, _), n = ord(x).\n"
        ),
        c => STRING_TABLE_RULES.replace("\"c\"", c),
    }
}

/// Runs `steps` from the rows `start` of `e.facts`, checking every step against a fresh
/// load and evaluation; returns how many loads reloaded `e.facts` by rows.
fn check_strings(start: Vec<String>, steps: Vec<Step>) -> Result<usize, TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    let rules = dir.path().join("r.dl");
    std::fs::write(&rules, string_rules("\"c\"")).unwrap();
    let statements = dir.path().join("facts/s.csv");
    let mut statement_text = "subject,relation,object\nz,edge,a\n".to_string();
    write(&statements, &statement_text, 0);
    let table = dir.path().join("facts/e.facts");
    let inputs = Inputs { rules: vec![rules.clone()], facts: Some(dir.path().join("facts")), ..Inputs::default() };
    let (mut rows, mut bytes) = (start, Vec::new());
    let (mut cache, mut live, overlay) = (LoadCache::default(), Live::default(), Overlay::new());
    let table_text = |rows: &[String], bytes: &[(usize, String)]| {
        let text = text("", rows, "\n", bytes);
        text.strip_prefix('\n').unwrap_or(&text).to_string()
    };
    write(&table, &table_text(&rows, &bytes), 0);
    prop_assert_eq!(cached(&inputs, &overlay, &mut cache, &mut live), fresh(&inputs, &overlay));
    for (step, s) in steps.into_iter().enumerate() {
        let at = step as u64 + 1;
        match s {
            Step::Table(Edit::Insert(i, r)) => rows.insert(i.min(rows.len()), r),
            Step::Table(Edit::Remove(i)) if i < rows.len() => drop(rows.remove(i)),
            Step::Table(Edit::Replace(i, r)) if i < rows.len() => rows[i] = r,
            Step::Table(Edit::Bytes(at, b)) => bytes.push((at, b)),
            Step::Table(_) => {}
            Step::Statement(x, y) => {
                statement_text.push_str(&format!("{x},edge,{y}\n"));
                write(&statements, &statement_text, at);
            }
            Step::Rules(constant) => std::fs::write(&rules, string_rules(constant)).unwrap(),
        }
        write(&table, &table_text(&rows, &bytes), at);
        let want = fresh(&inputs, &overlay);
        prop_assert_eq!(
            cached(&inputs, &overlay, &mut cache, &mut live),
            want,
            "after {:?}",
            table_text(&rows, &bytes)
        );
    }
    Ok(cache.table_reloads)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: string_cases(), max_shrink_iters: 256, ..ProptestConfig::default() })]

    /// After every edit of a `.input` table of strings (rows with new strings, errors,
    /// bytes), of the statement table beside it, or of the rules (a new constant, `ord`),
    /// the project loaded through the cache (the string table by its changed rows where
    /// that can be done exactly, its new strings in the kept symbol table) and evaluated by
    /// the live dataflow is a fresh load's and evaluation's.
    #[test]
    fn reloaded_string_tables_give_a_fresh_load(
        start in prop::collection::vec(string_row(), 0..8),
        steps in prop::collection::vec(step(), 1..8),
    ) {
        check_strings(start, steps)?;
    }
}

/// Plain edits of a `.input` table of strings are reloaded by rows, new strings included,
/// also across a statement table's reload and a rule edit that adds a constant; a program
/// that calls `ord` reads it in full (`ord` counts the strings loaded).
#[test]
fn string_table_edits_reload_by_rows() {
    let start: Vec<String> = ["a\tb", "b\tc", "c\td"].iter().map(|s| s.to_string()).collect();
    let steps = vec![
        Step::Table(Edit::Insert(3, "d\tnew".into())),
        Step::Table(Edit::Insert(1, "a\tnewer".into())),
        Step::Statement("q".into(), "a".into()),
        Step::Table(Edit::Remove(0)),
        Step::Rules("\"constant\""),
        Step::Table(Edit::Replace(0, "constant\tb".into())),
        Step::Rules("ord"),
        Step::Table(Edit::Remove(0)),
    ];
    // Every step reloads `e.facts` by rows (those that leave it as it was, too), but the
    // two under `ord`.
    assert_eq!(check_strings(start, steps).unwrap(), 6);
}

/// A `.input` table of strings replaced, between two loads, by a symlink leading out of the
/// facts directory is refused as a full load refuses it (E060, `OutsideProject`), after a
/// reload by rows of the same table: the changed file is read confined, whatever is kept.
#[cfg(unix)]
#[test]
fn a_string_table_replaced_by_a_symlink_leading_out_is_refused_on_reload() {
    let mut t = OutsideTable::new(STRING_TABLE_RULES, ("e.facts", "a\tb\n", "a\tsecret\n"));
    assert_eq!(cached(&t.inputs, &t.overlay, &mut t.cache, &mut t.live), fresh(&t.inputs, &t.overlay));
    write(&t.table, "a\tb\nb\tnew\n", 1);
    assert_eq!(cached(&t.inputs, &t.overlay, &mut t.cache, &mut t.live), fresh(&t.inputs, &t.overlay));
    assert_eq!(t.cache.table_reloads, 1);
    t.swap_for_the_symlink_and_refuse();
    assert_eq!(t.cache.table_reloads, 1);
}
