//! Soufflé's documented behaviour that real programs rely on, run through
//! `stance infer --output-dir` as a Soufflé user would, with the files compared byte for byte.

#[path = "common/run.rs"]
mod run;
use run::{project, stance, stderr};

fn infer_files(program: &str, files: &[&str]) -> Vec<String> {
    let dir = project(&[("rules/p.dl", program)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--output-dir", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    files.iter().map(|f| std::fs::read_to_string(dir.path().join("out").join(f)).unwrap()).collect()
}

#[test]
fn a_nullary_relation_that_holds_is_written_as_unit() {
    let program = ".decl edge(a: number, b: number)\nedge(1, 2).\n.decl connected()\nconnected() :- edge(_, _).\n\
                   .decl cyclic()\ncyclic() :- edge(x, x).\n.output connected\n.output cyclic\n";
    assert_eq!(infer_files(program, &["connected.csv", "cyclic.csv"]), ["()\n", ""]);
}

#[test]
fn one_decl_declares_several_relations() {
    let program = ".decl a, b, c(x: number)\na(1). b(2).\nc(x) :- a(x).\nc(x) :- b(x).\n.output c\n";
    assert_eq!(infer_files(program, &["c.csv"]), ["1\n2\n"]);
}

#[test]
fn several_names_in_one_decl_are_formatted_together_and_checked_each() {
    let dir = project(&[]);
    let o = run::stance_stdin(dir.path(), &["fmt", "-"], ".decl  a,b ,c( x:number )\n");
    assert_eq!(run::stdout(&o), ".decl a, b, c(x: number)\n");
    let o = run::stance_stdin(
        dir.path(),
        &["check", "--rules", "-", "--no-facts"],
        ".decl a, b(x: number)\n.decl b(y: symbol)\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("relation `b` is declared twice"), "{err}");
    assert!(err.contains("<stdin>:2:7"), "{err}");
}
