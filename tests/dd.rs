//! `--engine dd` from the command line: the same bytes as datafrog on threads and on two
//! processes over loopback, proofs through datafrog's re-derivation, the limits, and the
//! constructs it refuses by name and place.
#![cfg(feature = "dd")]

#[path = "common/run.rs"]
mod run;
use run::{project, repo, stance, stderr, stdout};
use std::process::{Command, Stdio};

/// Recursion, negation, an aggregate and a comparison over symbols, with facts in a file.
const RULES: &str = r#"
.decl edge(a: symbol, b: symbol)
.input edge
.decl path(a: symbol, b: symbol)
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
.decl node(a: symbol)
node(x) :- edge(x, _).
node(y) :- edge(_, y).
.decl cut_off(a: symbol, b: symbol)
cut_off(x, y) :- node(x), node(y), x < y, !path(x, y).
.decl reach(a: symbol, n: number)
reach(x, n) :- node(x), n = count : { path(x, _) }.
.output path
.output cut_off
.output reach
"#;

fn edges() -> String {
    // A ring of 12 with chords, and a separate chain: cycles, unreachable pairs, counts.
    let mut text = String::new();
    for i in 0..12 {
        text.push_str(&format!("n{i}\tn{}\n", (i + 1) % 12));
        if i % 4 == 0 {
            text.push_str(&format!("n{i}\tn{}\n", (i + 5) % 12));
        }
    }
    text.push_str("a\tb\nb\tc\nc\td\n");
    text
}

fn graph_project() -> tempfile::TempDir {
    project(&[("rules/g.dl", RULES), ("facts/edge.facts", &edges())])
}

#[test]
fn the_dd_engine_prints_what_datafrog_prints_on_one_and_three_workers() {
    let dir = graph_project();
    let datafrog = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!(datafrog.status.code(), Some(0), "{}", stderr(&datafrog));
    assert!(stdout(&datafrog).contains("n0,n11"), "{}", stdout(&datafrog));
    for workers in ["1", "3"] {
        let o = stance(dir.path(), &["infer", "--format", "csv", "--engine", "dd", "--workers", workers]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), stdout(&datafrog), "{workers} workers");
    }
    let o = stance(dir.path(), &["infer", "--format", "csv", "--engine", "compare-dd", "--workers", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&datafrog));
}

/// Two free loopback ports, found by binding port 0.
fn free_ports() -> [u16; 2] {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    [a.local_addr().unwrap().port(), b.local_addr().unwrap().port()]
}

/// Statement rows with quoted cells that hold commas and newlines; the middle of the file,
/// where two processes cut it, is inside the long quoted `quote` cell of the third row.
/// "Zed" is only in the second half: process 1's strings reach process 0 through the
/// start-up exchange, and the rule's constant "Zed" is translated on process 1.
fn statements() -> String {
    let mut text = String::from("subject,relation,object,quote\n");
    text.push_str("\"Govt of\nNational Accord\",backs,\"UN, the\",said\n");
    text.push_str("Egypt,backs,\"Govt of\nNational Accord\",\"\"\"so\"\"\"\n");
    let long: Vec<String> = (0..40).map(|i| format!("line {i}, of a long quote")).collect();
    text.push_str(&format!("Haftar,backs,Egypt,\"{}\"\r\n", long.join("\n")));
    text.push_str("\"UN, the\",backs,Zed,\n\nZed,backs,\"Y\n\",\n");
    text
}

/// Over the graph's rules: recursion over statement rows, a constant only process 1 reads,
/// and `ord` (numbered over the agreed table, as datafrog numbers the whole one).
const STATEMENT_RULES: &str = r#"
.decl ally(a: symbol, b: symbol)
ally(x, y) :- backs(x, y).
ally(x, z) :- ally(x, y), backs(y, z).
.decl zed(a: symbol)
zed(x) :- ally(x, "Zed").
.decl ranked(a: symbol, n: number)
ranked(x, n) :- node(x), n = ord(x).
ranked(x, n) :- ally(x, _), n = ord(x).
.output ally
.output zed
.output ranked
"#;

/// How many fact rows a process said it read.
fn rows_read(stderr: &str, index: usize) -> usize {
    let prefix = format!("process {index} of 2: read ");
    let line = stderr.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no count in {stderr}"));
    line.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn two_processes_on_loopback_each_read_their_part_and_print_on_process_0_what_one_process_prints() {
    let text = statements();
    let cut = text.len() / 2;
    let quote = text.find("line 0").unwrap();
    assert!(quote < cut && cut < text.find("line 39").unwrap(), "the cut is inside a quoted cell with newlines");
    let dir = project(&[
        ("rules/g.dl", RULES),
        ("rules/s.dl", STATEMENT_RULES),
        ("facts/edge.facts", &edges()),
        ("facts/statements.csv", &text),
    ]);
    let [p0, p1] = free_ports();
    std::fs::write(dir.path().join("hosts"), format!("127.0.0.1:{p0}\n127.0.0.1:{p1}\n")).unwrap();
    let spawn = |index: &str| {
        Command::new(env!("CARGO_BIN_EXE_stance"))
            .args(["infer", "--format", "csv", "--engine", "dd", "--workers", "2", "--processes", "2"])
            .args(["--process", index, "--hostfile", "hosts"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run stance")
    };
    let (first, second) = (spawn("0"), spawn("1"));
    let (first, second) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let datafrog = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!(datafrog.status.code(), Some(0), "{}", stderr(&datafrog));
    assert!(stdout(&datafrog).contains("ally,\"UN, the\",Y\n"), "{}", stdout(&datafrog));
    assert!(stdout(&datafrog).contains("zed,Egypt\n"), "{}", stdout(&datafrog));
    assert_eq!(stdout(&first), stdout(&datafrog));
    assert_eq!(stdout(&second), "", "process 1 prints nothing");
    // Each read a part: the edges' 18 lines and the 5 statement rows, split between them
    // (the first three statement rows start before the cut, the last two after it).
    let (read0, read1) = (rows_read(&stderr(&first), 0), rows_read(&stderr(&second), 1));
    assert_eq!(read0 + read1, 18 + 5, "{read0} + {read1}");
    assert!(read0 > 3 && read1 > 2, "{read0} + {read1}");
}

/// A bad row in process 1's part is reported by process 0 too, as a full read reports it: a
/// process never starts alone and waits for a peer that stopped at its facts.
#[test]
fn every_process_reports_a_bad_row_of_any_part() {
    let mut text = statements();
    text.push_str("Zed,backs\n");
    let line = text.lines().count();
    let dir = project(&[
        ("rules/g.dl", RULES),
        ("rules/s.dl", STATEMENT_RULES),
        ("facts/edge.facts", &edges()),
        ("facts/statements.csv", &text),
    ]);
    for index in ["0", "1"] {
        let o = stance(dir.path(), &["infer", "--engine", "dd", "--processes", "2", "--process", index]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(&format!("facts/statements.csv:{line}:1")), "{err}");
        assert!(err.contains("expected 4 fields, found 2"), "{err}");
    }
}

#[test]
fn proofs_are_refused_across_processes_where_each_reads_a_part() {
    let dir = graph_project();
    let args = ["explain", r#"path("a", "c")"#, "--engine", "dd", "--processes", "2", "--process", "1"];
    let o = stance(dir.path(), &args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("the dd engine on several processes cannot prove its tuples"), "{err}");
}

#[test]
fn strings_made_by_functors_are_refused_across_processes() {
    let dir = project(&[(
        "rules/a.dl",
        ".decl a(x: symbol)\na(\"p\").\n.decl b(x: symbol)\nb(cat(x, \"!\")) :- a(x).\n.output b\n",
    )]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "dd", "--processes", "2", "--process", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("the dd engine does not make new strings across several processes"), "{err}");
    assert!(err.contains("rules/a.dl:4:1"), "{err}");
    // In one process the same program runs.
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "dd", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("p!"), "{}", stdout(&o));
}

#[test]
fn the_dd_engine_refuses_autoinc_by_name() {
    let dir = project(&[(
        "rules/a.dl",
        ".decl a(x: symbol)\na(\"p\").\n.decl n(x: symbol, i: number)\nn(x, autoinc()) :- a(x).\n.output n\n",
    )]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "dd"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("the dd engine does not evaluate `autoinc()`"), "{err}");
    assert!(err.contains("rules/a.dl:4:1"), "{err}");
}

#[test]
fn proofs_of_dd_tuples_are_datafrogs_rederivation() {
    let args = ["explain", r#"aligned("Egypt", "Haftar")"#];
    let datafrog = stance(&repo(), &args);
    let dd = stance(&repo(), &[&args[..], &["--engine", "dd"]].concat());
    assert_eq!(dd.status.code(), Some(0), "{}", stderr(&dd));
    assert_eq!(stdout(&dd), stdout(&datafrog));
    assert!(stdout(&dd).contains("stated in facts/statements.csv:24"), "{}", stdout(&dd));
}

#[test]
fn a_rule_without_end_stops_at_the_tuple_limit() {
    let dir = project(&[("rules/a.dl", ".decl n(x: number)\nn(0).\nn(x + 1) :- n(x).\n.output n\n")]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "dd", "--max-tuples", "1000"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("relation `n` grew beyond 1000 tuples (--max-tuples); stopped"), "{err}");
}

// ------------------------------------------------------------------------------------------
// Incremental updates
// ------------------------------------------------------------------------------------------

mod incremental {
    use proptest::prelude::*;
    use stance::base::value::{Tuples, from_number};
    use stance::engine::backend::{self, Engine};
    use stance::engine::dd::{Cluster, Session};
    use stance::engine::eval::EvalOptions;
    use stance::engine::plan;
    use std::collections::BTreeSet;

    /// Recursion, negation and an aggregate over `edge`, which the updates change.
    const PROGRAM: &str = r#"
        .decl edge(a: number, b: number)
        .decl path(a: number, b: number)
        path(x, y) :- edge(x, y).
        path(x, z) :- path(x, y), edge(y, z).
        .decl node(a: number)
        node(x) :- edge(x, _).
        node(y) :- edge(_, y).
        .decl acyclic(a: number)
        acyclic(x) :- node(x), !path(x, x).
        .decl out(a: number, n: number)
        out(x, n) :- node(x), n = count : { path(x, _) }.
        .decl far(a: number, b: number)
        far(x, y) :- path(x, y), y > x + 2.
    "#;

    /// `DD_INCREMENTAL_CASES`, or 24.
    fn cases() -> u32 {
        std::env::var("DD_INCREMENTAL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
    }

    fn edges(set: &BTreeSet<(i32, i32)>) -> Tuples {
        let mut t = Tuples::new(2);
        set.iter().for_each(|&(a, b)| t.push(&[from_number(a), from_number(b)]));
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 256, ..ProptestConfig::default() })]

        /// After every step of random inserts and deletes (several per step, repeats and
        /// deletes of absent edges included), the live dataflow's model is a fresh
        /// evaluation's, on one or two workers.
        #[test]
        fn every_step_gives_the_model_of_a_fresh_evaluation(
            steps in prop::collection::vec(prop::collection::vec((any::<bool>(), 0..7i32, 0..7i32), 1..4), 1..10),
            workers in 1..3usize,
        ) {
            let mut m = stance::session::evaluate_text(PROGRAM, &EvalOptions::default()).unwrap();
            let edge = m.program.relation_id("edge").unwrap();
            let plan = plan::plan_with(&m.program, &plan::Stats::of_inputs(&m.program, std::iter::empty()));
            let empty: Vec<Tuples> = m.program.relations.iter().map(|r| Tuples::new(r.arity())).collect();
            let options = EvalOptions { engine: Engine::Dd, cluster: Cluster { workers, ..Cluster::default() }, ..Default::default() };
            let mut symbols = m.symbols.clone();
            let mut live = Session::start(&m.program, empty.clone(), &mut symbols, &options, true).unwrap();
            let mut set = BTreeSet::new();
            for step in steps {
                let mut changes = Vec::new();
                for (insert, a, b) in step {
                    let row = vec![from_number(a), from_number(b)];
                    // The dataflow's input is a multiset: only real changes of the set go in.
                    let changed = if insert { set.insert((a, b)) } else { set.remove(&(a, b)) };
                    if changed {
                        changes.push((edge, row, if insert { 1 } else { -1 }));
                    }
                }
                live.apply(changes).unwrap();
                let mut inputs = empty.clone();
                inputs[edge] = edges(&set);
                let fresh = backend::evaluate(Engine::Datafrog, &m.program, &plan, inputs, &mut m.symbols, &EvalOptions::default()).unwrap();
                prop_assert_eq!(&live.model(&m.program), &fresh.relations, "after edges {:?}", set);
            }
            live.finish();
        }
    }
}

#[test]
fn the_dd_engine_refuses_record_types_by_name() {
    let dir = project(&[(
        "rules/a.dl",
        ".type P = [a: number, b: number]\n.decl r(p: P)\nr([1, 2]).\n.decl s(x: number)\ns(x) :- r([x, _]).\n.output s\n",
    )]);
    let datafrog = stance(dir.path(), &["infer", "--no-facts", "--format", "csv"]);
    assert_eq!(datafrog.status.code(), Some(0), "{}", stderr(&datafrog));
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "dd"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("the dd engine does not evaluate record types yet (relation `r`)"), "{err}");
    assert!(err.contains("rules/a.dl:2:7"), "{err}");
}
