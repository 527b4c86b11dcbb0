//! `--explain-plan` under snapshot: how each rule runs on datafrog, for the example and for a
//! program with every kind of operation (recursion, lookups, negation, filters, assignments,
//! ranges, aggregates). A change of plan shows up here as a reviewed snapshot change.

#[path = "common/run.rs"]
mod run;
use run::{project, repo, stance, stderr};

#[test]
fn the_example_plan() {
    let o = stance(&repo(), &["infer", "--explain-plan", "--relation", "hedges"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan: String = stderr(&o).lines().take_while(|l| !l.starts_with("warning")).map(|l| format!("{l}\n")).collect();
    insta::assert_snapshot!("plan_example", plan);
}

#[test]
fn a_plan_with_every_operation() {
    let dir = project(&[(
        "rules/ops.dl",
        r#".decl edge(a: number, b: number)
edge(1, 2). edge(2, 3). edge(3, 1). edge(3, 4).
.decl path(a: number, b: number)
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
.decl lonely(a: number)
lonely(x) :- x = range(0, 6), !edge(x, _), !edge(_, x).
.decl degree(a: number, n: number)
degree(x, n) :- edge(x, _), n = count : { edge(x, _) }, n > 0.
.decl twice(a: number, b: number)
twice(x, y) :- path(x, z), y = z * 2, y < 8.
.output path
.output lonely
.output degree
.output twice
"#,
    )]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--explain-plan", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("plan_every_operation", stderr(&o));
}
