//! The re-evaluation service that `watch` and the language server share
//! (`stance::session::reeval`): edits in a burst are checked once, a newer edit cancels the
//! evaluation of an older one, and subscribers hear of the runs in order, with the tuples
//! each evaluation added and removed.

use stance::engine::eval::EvalOptions;
use stance::session::reeval::{
    Cells, Changes, Edit, Evaluated, Evaluator, Limits, Outcome, Output, Recompute, Run, Service, Setup, Subscriber,
    Tracked,
};
use stance::session::{Failure, Inputs, Overlay, Project};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// What a subscriber heard, in order.
#[derive(Debug, PartialEq)]
enum Heard {
    /// Checked: the generation, and the error count (0: a project).
    Checked(u64, usize),
    /// Evaluated: the generation, and how (`evaluated`, `cancelled`, `failed`, `off`) with
    /// the tracked relations' changes.
    Evaluated(u64, &'static str, Vec<(String, Changes)>),
    Finished(u64),
}

struct Recorder(Mutex<Sender<Heard>>);

impl Subscriber for Recorder {
    fn checked(&self, run: &Run, checked: &mut Result<Project, Failure>, _: &[PathBuf]) {
        let errors = checked.as_ref().err().map_or(0, |f| f.diagnostics.iter().filter(|d| d.is_error()).count());
        self.0.lock().unwrap().send(Heard::Checked(run.generation, errors)).unwrap();
    }

    fn evaluated(&self, run: &Run, evaluated: &Evaluated) {
        let (how, delta) = match &evaluated.outcome {
            Outcome::Evaluated { delta, .. } => ("evaluated", delta.relations.clone().into_iter().collect()),
            Outcome::Cancelled => ("cancelled", Vec::new()),
            Outcome::Failed(_) => ("failed", Vec::new()),
            Outcome::Off => ("off", Vec::new()),
        };
        self.0.lock().unwrap().send(Heard::Evaluated(run.generation, how, delta)).unwrap();
    }

    fn finished(&self, run: &Run) {
        self.0.lock().unwrap().send(Heard::Finished(run.generation)).unwrap();
    }
}

/// Evaluates from scratch, first saying which generation it started on.
struct Announcing(Mutex<Sender<u64>>);

impl Evaluator for Announcing {
    fn apply(
        &mut self,
        run: &Run,
        project: &mut Project,
        options: &EvalOptions,
        t: &[usize],
    ) -> Result<Output, Failure> {
        self.0.lock().unwrap().send(run.generation).unwrap();
        Recompute.apply(run, project, options, t)
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    file: PathBuf,
    service: Service,
    heard: Receiver<Heard>,
}

/// A service over an empty `rules/` folder, whose rule file `rules/r.dl` exists only as an
/// editor's text.
fn start(debounce_ms: u64, evaluator: Box<dyn Evaluator>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().canonicalize().unwrap().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let (tx, heard) = mpsc::channel();
    let limits = Limits { debounce: Duration::from_millis(debounce_ms), ..Limits::untrusted() };
    let service = Service::start(Setup {
        inputs: Inputs { rules: vec![rules.clone()], ..Inputs::default() },
        limits,
        tracked: Tracked::Named(vec!["aligned".to_string()]),
        evaluator,
        subscribers: vec![Arc::new(Recorder(Mutex::new(tx)))],
        cells: Cells::Literal,
    })
    .unwrap();
    Fixture { _dir: dir, file: rules.join("r.dl"), service, heard }
}

impl Fixture {
    fn edit(&self, text: &str) -> u64 {
        self.service.edit(Edit::Texts(Overlay::from([(self.file.clone(), text.to_string())])))
    }

    /// Everything heard up to and including `finished` of `generation`.
    fn until_finished(&self, generation: u64) -> Vec<Heard> {
        let mut out = Vec::new();
        loop {
            let h = self.heard.recv_timeout(WAIT).unwrap_or_else(|_| panic!("not finished; heard {out:?}"));
            let done = h == Heard::Finished(generation);
            out.push(h);
            if done {
                return out;
            }
        }
    }
}

fn program(pairs: &[(&str, &str)]) -> String {
    let mut text = ".decl backs(x: symbol, y: symbol)\n.decl aligned(x: symbol, y: symbol)\n".to_string();
    for (x, y) in pairs {
        text.push_str(&format!("backs(\"{x}\", \"{y}\").\n"));
    }
    text + "aligned(x, y) :- backs(x, y).\n"
}

fn rows(pairs: &[(&str, &str)]) -> Vec<Vec<String>> {
    pairs.iter().map(|(x, y)| vec![format!("\"{x}\""), format!("\"{y}\"")]).collect()
}

fn changes(removed: &[(&str, &str)], added: &[(&str, &str)]) -> Vec<(String, Changes)> {
    vec![("aligned".to_string(), Changes { removed: rows(removed), added: rows(added) })]
}

#[test]
fn a_burst_of_edits_is_checked_and_evaluated_once() {
    let f = start(300, Box::new(Recompute));
    f.edit(&program(&[("Egypt", "Tobruk")]));
    f.edit("this does not parse");
    let last = f.edit(&program(&[("Russia", "Haftar")]));
    assert_eq!(last, 3);
    assert_eq!(
        f.until_finished(3),
        [
            Heard::Checked(3, 0),
            Heard::Evaluated(3, "evaluated", changes(&[], &[("Russia", "Haftar")])),
            Heard::Finished(3)
        ]
    );
}

#[test]
fn runs_are_published_in_order_with_the_tuples_each_edit_changed() {
    let f = start(0, Box::new(Recompute));
    f.edit(&program(&[("Egypt", "Tobruk"), ("Russia", "Haftar")]));
    assert_eq!(
        f.until_finished(1),
        [
            Heard::Checked(1, 0),
            Heard::Evaluated(1, "evaluated", changes(&[], &[("Egypt", "Tobruk"), ("Russia", "Haftar")])),
            Heard::Finished(1)
        ]
    );
    // A broken edit: diagnostics, no evaluation; the next delta is against the last good one.
    f.edit("aligned(x) :- ");
    assert_eq!(f.until_finished(2), [Heard::Checked(2, 1), Heard::Finished(2)]);
    f.edit(&program(&[("Egypt", "Tobruk"), ("UAE", "Haftar")]));
    assert_eq!(
        f.until_finished(3),
        [
            Heard::Checked(3, 0),
            Heard::Evaluated(3, "evaluated", changes(&[("Russia", "Haftar")], &[("UAE", "Haftar")])),
            Heard::Finished(3)
        ]
    );

    // Edits faster than the runs: whatever is skipped, what is heard comes in order and
    // ends with the newest texts.
    for i in 0..10 {
        f.edit(&program(&[("Egypt", "Tobruk"), ("UAE", if i % 2 == 0 { "GNA" } else { "Haftar" })]));
    }
    let heard = f.until_finished(13);
    let generations = |kind: fn(&Heard) -> Option<u64>| -> Vec<u64> { heard.iter().filter_map(kind).collect() };
    let checked = generations(|h| if let Heard::Checked(g, _) = h { Some(*g) } else { None });
    let evaluated = generations(|h| if let Heard::Evaluated(g, ..) = h { Some(*g) } else { None });
    assert!(checked.windows(2).all(|w| w[0] < w[1]), "checked out of order: {checked:?}");
    assert!(evaluated.windows(2).all(|w| w[0] < w[1]), "evaluated out of order: {evaluated:?}");
    assert_eq!((checked.last(), evaluated.last()), (Some(&13), Some(&13)));
    // The last evaluation that finished compares with the one before it that finished:
    // only the UAE row can differ from the texts of generation 3.
    let last = heard.iter().rev().find_map(|h| if let Heard::Evaluated(13, _, d) = h { Some(d) } else { None });
    let before = heard
        .iter()
        .rev()
        .filter_map(|h| if let Heard::Evaluated(g, "evaluated", _) = h { Some(*g) } else { None })
        .nth(1);
    let expected = match before {
        Some(g) if g % 2 == 0 => changes(&[("UAE", "GNA")], &[("UAE", "Haftar")]),
        _ => changes(&[], &[]),
    };
    assert_eq!(last.unwrap(), &expected, "after {before:?}");
}

#[test]
fn a_newer_edit_cancels_the_older_evaluation() {
    let (tx, started) = mpsc::channel();
    let f = start(0, Box::new(Announcing(Mutex::new(tx))));
    let slow = format!("{}.decl slow(n: number)\nslow(i) :- i = range(0, 2000000000), i < 0.\n", program(&[]));
    let slow = slow.replace(".decl slow", ".output slow\n.decl slow");
    f.edit(&slow);
    assert_eq!(started.recv_timeout(WAIT), Ok(1));
    f.edit(&program(&[("Egypt", "Tobruk")]));
    let heard = f.until_finished(2);
    let evaluated: Vec<&Heard> = heard.iter().filter(|h| matches!(h, Heard::Evaluated(..))).collect();
    assert_eq!(
        evaluated,
        [
            &Heard::Evaluated(1, "cancelled", Vec::new()),
            &Heard::Evaluated(2, "evaluated", changes(&[], &[("Egypt", "Tobruk")]))
        ]
    );
    assert_eq!(started.recv_timeout(WAIT), Ok(2));
}

#[test]
fn evaluation_turned_off_checks_only() {
    let f = start(0, Box::new(Recompute));
    f.service.edit(Edit::Limits(Limits { evaluate: false, debounce: Duration::ZERO, ..Limits::untrusted() }));
    f.edit(&program(&[("Egypt", "Tobruk")]));
    let heard = f.until_finished(2);
    assert_eq!(heard.last(), Some(&Heard::Finished(2)));
    assert!(heard.contains(&Heard::Evaluated(2, "off", Vec::new())), "{heard:?}");
}

/// The diagnostics of a load, rendered, and the rows of `backs`.
fn loaded(
    inputs: &Inputs,
    overlay: &Overlay,
    cache: Option<&mut stance::session::cache::LoadCache>,
) -> (Vec<String>, usize) {
    let mut sources = stance::base::source::SourceMap::new();
    let project = stance::session::load_cached(inputs, overlay, &mut sources, cache, true).unwrap();
    let diags = project.warnings.iter().map(|d| stance::base::diag::render_short(d, &project.sources)).collect();
    (diags, project.facts.relations["backs"].tuples.len())
}

#[test]
fn unchanged_statement_tables_are_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join("rules")).unwrap();
    std::fs::create_dir(root.join("facts")).unwrap();
    let table = root.join("facts/statements.csv");
    let rows = "subject,relation,object,source,date,quote\nEgypt,backs,Tobruk,P,2016-11-28,q\nUAE,backs,Haftar,P,2016-11-28,q\n";
    std::fs::write(&table, rows).unwrap();
    let rules = root.join("rules/r.dl");
    let inputs = Inputs { rules: vec![root.join("rules")], facts: Some(root.join("facts")), ..Inputs::default() };
    let text = ".decl unused(x: symbol)\nunused(x) :- backs(x, _).\n";
    let overlay = Overlay::from([(rules.clone(), text.to_string())]);
    let fresh = loaded(&inputs, &overlay, None);
    assert_eq!(fresh.1, 2);
    let mut cache = stance::session::cache::LoadCache::default();
    assert_eq!(loaded(&inputs, &overlay, Some(&mut cache)), fresh);
    assert_eq!(cache.statement_hits, 0);
    // The same tables, another rule text: the tables' rows and the warnings are reused.
    let edited = Overlay::from([(rules.clone(), format!("{text}\n"))]);
    assert_eq!(loaded(&inputs, &edited, Some(&mut cache)), fresh);
    assert_eq!(cache.statement_hits, 1);
    // A load for diagnostics copies small tables' rows all the same.
    let mut sources = stance::base::source::SourceMap::new();
    let checked = stance::session::load_cached(&inputs, &edited, &mut sources, Some(&mut cache), false).unwrap();
    assert_eq!((checked.facts.rows("backs").len(), cache.rows_left_out), (2, false));
    assert_eq!(cache.statement_hits, 2);
    // A changed table is read again.
    std::fs::write(&table, format!("{rows}Russia,backs,Haftar,P,2016-11-28,q\n")).unwrap();
    assert_eq!(loaded(&inputs, &edited, Some(&mut cache)).1, 3);
    assert_eq!(cache.statement_hits, 2);
    // An editor's text for the table stands in for it, and is compared as text.
    let with_table = Overlay::from([(rules, text.to_string()), (table, rows.to_string())]);
    assert_eq!(loaded(&inputs, &with_table, Some(&mut cache)).1, 2);
    assert_eq!(loaded(&inputs, &with_table, Some(&mut cache)), fresh);
    assert_eq!(cache.statement_hits, 3);
}

#[test]
fn a_load_for_diagnostics_leaves_a_large_tables_rows_in_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join("rules")).unwrap();
    std::fs::create_dir(root.join("facts")).unwrap();
    let mut table = String::from("subject,relation,object,source,date,quote\n");
    let mut n = 0;
    while table.len() <= stance::session::cache::COPIED_UP_TO {
        table.push_str(&format!("a{n},backs,b{n},The Paper,2016-11-28,a quote long enough to fill the table\n"));
        n += 1;
    }
    std::fs::write(root.join("facts/statements.csv"), &table).unwrap();
    let rules = root.join("rules/r.dl");
    std::fs::write(&rules, ".decl aligned(x: symbol, y: symbol)\n.output aligned\naligned(x, y) :- backs(x, y).\n")
        .unwrap();
    let inputs = Inputs { rules: vec![root.join("rules")], facts: Some(root.join("facts")), ..Inputs::default() };
    let mut cache = stance::session::cache::LoadCache::default();
    let load = |cache: &mut stance::session::cache::LoadCache, rows: bool| {
        let mut sources = stance::base::source::SourceMap::new();
        let p = stance::session::load_cached(&inputs, &Overlay::new(), &mut sources, Some(cache), rows).unwrap();
        (p.facts.rows("backs").len(), p.program.relation_id("backs").is_some(), cache.rows_left_out)
    };
    assert_eq!(load(&mut cache, false), (n, true, false), "read: every row");
    assert_eq!(load(&mut cache, false), (0, true, true), "from the cache, for diagnostics: the names only");
    assert_eq!(load(&mut cache, true), (n, true, false), "from the cache, to evaluate: every row");
    assert_eq!(cache.statement_hits, 2);
}

/// A row inserted in the middle of a million-row-style `.input` table is loaded again by
/// its changed rows only (`facts::reload`), and every later row moves down a line: a proof
/// names the line the row is on now.
#[test]
fn a_row_inserted_in_the_middle_moves_the_lines_proofs_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join("rules")).unwrap();
    std::fs::create_dir(root.join("facts")).unwrap();
    std::fs::write(
        root.join("rules/r.dl"),
        ".decl e(x: number, y: number)\n.input e\n.decl r(x: number)\n.output r\nr(y) :- e(0, y).\nr(z) :- r(y), e(y, z).\n",
    )
    .unwrap();
    let table = root.join("facts/e.facts");
    std::fs::write(&table, "0\t1\n1\t2\n2\t3\n3\t4\n").unwrap();
    let inputs = Inputs { rules: vec![root.join("rules")], facts: Some(root.join("facts")), ..Inputs::default() };
    let mut cache = stance::session::cache::LoadCache::default();
    // The proof of `r(4)` names the row `3 4` (the last step of its derivation).
    let proof = |cache: &mut stance::session::cache::LoadCache| {
        let mut sources = stance::base::source::SourceMap::new();
        let mut project =
            stance::session::load_cached(&inputs, &Overlay::new(), &mut sources, Some(cache), true).unwrap();
        stance::session::plan(&mut project);
        let options = EvalOptions { record: true, ..EvalOptions::default() };
        let mut session = stance::session::Session::evaluate(project, &options).unwrap();
        let rel = session.project.program.relation_id("r").unwrap();
        let mut ex = session.explainer();
        let root = ex.explain(rel, &[4]).expect("r(4) holds");
        stance::proof::explain::render_tree(&ex, root, None)
    };
    let first = proof(&mut cache);
    assert!(first.contains("e(3, 4)\n") && first.contains("facts/e.facts:4"), "{first}");
    assert_eq!(cache.table_reloads, 0);
    // A row inserted between lines 2 and 3: `3 4` is on line 5 now.
    std::fs::write(&table, "0\t1\n1\t2\n7\t7\n2\t3\n3\t4\n").unwrap();
    let second = proof(&mut cache);
    assert_eq!(cache.table_reloads, 1);
    assert_eq!(
        second,
        first.replace("facts/e.facts:4", "facts/e.facts:5").replace("facts/e.facts:3", "facts/e.facts:4")
    );
    // A changed row with an error: the table is read in full, and the error named.
    std::fs::write(&table, "0\t1\n1\t2\n7\tx\n2\t3\n3\t4\n").unwrap();
    let mut sources = stance::base::source::SourceMap::new();
    let failed = stance::session::load_cached(&inputs, &Overlay::new(), &mut sources, Some(&mut cache), true);
    let failure = failed.err().expect("the bad row fails the load");
    let diags: Vec<String> =
        failure.diagnostics.iter().map(|d| stance::base::diag::render_short(d, &sources)).collect();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].ends_with("facts/e.facts:3:3: error[E021]: `x` is not a number (column 2 of `e`, declared `number`)"),
        "{diags:?}"
    );
    assert_eq!(cache.table_reloads, 1);
    // Fixed again: reloaded by rows from the last good table (the failed load kept nothing).
    std::fs::write(&table, "0\t1\n1\t2\n7\t7\n2\t3\n3\t4\n").unwrap();
    assert_eq!(proof(&mut cache), second);
    std::fs::write(&table, "0\t1\n1\t2\n2\t3\n3\t4\n").unwrap();
    assert_eq!(proof(&mut cache), first);
    assert_eq!(cache.table_reloads, 3);
    assert_eq!(cache.tables.len(), 1);
    // A table no `.input` reads any more is forgotten.
    std::fs::write(root.join("rules/r.dl"), ".decl e(x: number, y: number)\n.decl r(x: number)\nr(y) :- e(0, y).\n")
        .unwrap();
    let mut sources = stance::base::source::SourceMap::new();
    stance::session::load_cached(&inputs, &Overlay::new(), &mut sources, Some(&mut cache), true).unwrap();
    assert_eq!(cache.tables.len(), 0);
}
