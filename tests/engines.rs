//! `--engine`: the datafrog engine, the plain reference engine, and `compare`, which runs
//! both behind the engine boundary and fails on any difference.

#[path = "common/run.rs"]
mod run;
use run::{project, repo, stance, stderr, stdout};
use stance::engine::backend::Engine;
use stance::engine::eval::EvalOptions;

#[test]
fn every_engine_gives_the_example_the_same_bytes() {
    let datafrog = stance(&repo(), &["infer", "--format", "csv"]);
    assert_eq!(datafrog.status.code(), Some(0), "{}", stderr(&datafrog));
    for engine in ["simple", "compare", "dd", "compare-dd"] {
        let o = stance(&repo(), &["infer", "--format", "csv", "--engine", engine]);
        assert_eq!(o.status.code(), Some(0), "{engine}: {}", stderr(&o));
        assert_eq!(stdout(&o), stdout(&datafrog), "{engine}");
    }
}

#[test]
fn proofs_from_the_simple_engine_reach_the_statement_rows() {
    let o = stance(&repo(), &["explain", "--engine", "simple", r#"aligned("Egypt", "Haftar")"#]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("aligned(\"Egypt\", \"Haftar\")  [B2]\n"), "{text}");
    assert!(text.contains("stated in facts/statements.csv:24"), "{text}");
}

#[test]
fn the_simple_engine_refuses_autoinc_by_name() {
    let dir = project(&[(
        "rules/a.dl",
        ".decl a(x: symbol)\na(\"p\").\n.decl n(x: symbol, i: number)\nn(x, autoinc()) :- a(x).\n.output n\n",
    )]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "simple"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("the simple engine does not evaluate `autoinc()`"), "{err}");
    assert!(err.contains("rules/a.dl:4:1"), "{err}");
}

#[test]
fn commands_that_do_not_pass_the_engine_on_say_so() {
    let o = stance(&repo(), &["watch", "--engine", "simple", "--exit-after", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`stance watch` runs the datafrog or the dd engine only"), "{}", stderr(&o));
}

fn rows(program: &str, engine: Engine, rel: &str) -> Vec<Vec<String>> {
    let options = EvalOptions { record: true, engine, ..Default::default() };
    let m = stance::session::evaluate_text(program, &options).unwrap_or_else(|e| panic!("{e}"));
    let id = m.program.relation_id(rel).unwrap();
    stance::base::order::sorted_rows(&m.model.relations[id], &m.program.relations[id].types, &m.symbols)
}

const PROGRAM: &str = r#"
    .decl edge(a: symbol, b: symbol)
    edge("a", "b"). edge("b", "c"). edge("c", "d"). edge("d", "b").
    .decl path(a: symbol, b: symbol)
    path(x, y) :- edge(x, y).
    path(x, z) :- path(x, y), edge(y, z).
    .decl unreachable(a: symbol, b: symbol)
    unreachable(x, y) :- edge(x, _), edge(y, _), !path(x, y).
    .decl fanout(a: symbol, n: number)
    fanout(x, n) :- edge(x, _), n = count : { path(x, _) }.
    .decl steps(n: number)
    steps(i) :- i = range(0, 10, 3).
"#;

#[test]
fn the_simple_engine_derives_what_datafrog_derives() {
    for rel in ["path", "unreachable", "fanout", "steps"] {
        assert_eq!(rows(PROGRAM, Engine::Simple, rel), rows(PROGRAM, Engine::Datafrog, rel), "{rel}");
    }
    assert_eq!(rows(PROGRAM, Engine::Simple, "steps"), [["0"], ["3"], ["6"], ["9"]]);
    assert_eq!(rows(PROGRAM, Engine::Simple, "unreachable"), [["a", "a"], ["b", "a"], ["c", "a"], ["d", "a"]]);
    assert_eq!(rows(PROGRAM, Engine::Compare, "fanout"), [["a", "3"], ["b", "3"], ["c", "3"], ["d", "3"]]);
}
