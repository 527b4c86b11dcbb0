//! `--jobs N`: the output is byte-identical for any number of threads, in every format and in
//! the files of `--output-dir`, with and without recording. `STANCE_PARALLEL_MIN=8` makes
//! every parallel step of `engine::parallel` split its work even on rounds of a few hundred
//! tuples, in many pieces.

use std::process::Command;

#[path = "common/run.rs"]
mod run;
use run::{project, stderr};

/// `stance ARGS` in `dir` with the parallel steps splitting inputs of 8 elements or more.
fn stance(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(args)
        .current_dir(dir)
        .env("STANCE_PARALLEL_MIN", "8")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run stance")
}

const PROGRAM: &str = "\
.decl edge(x: number, y: number)
.input edge
.decl path(x: number, y: number)
.output path
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
.decl sg(x: number, y: number)
.output sg
sg(x, y) :- edge(p, x), edge(p, y), x != y.
sg(x, y) :- edge(a, x), sg(a, b), edge(b, y).
.decl reach(x: number, n: number)
.output reach
reach(x, n) :- edge(x, _), n = count : { path(x, _) }.
";

/// 30 chains of 60 edges, each chain's nodes also linked forward by two: about 60,000 `path`
/// tuples, a recursive extension (`path`) and a recursive join (`sg`).
fn edges() -> String {
    let mut out = String::new();
    for chain in 0..30 {
        for i in 0..60 {
            let node = chain * 100 + i;
            out.push_str(&format!("{node}\t{}\n", node + 1));
            if i % 2 == 0 {
                out.push_str(&format!("{node}\t{}\n", node + 2));
            }
        }
    }
    out
}

fn run(dir: &std::path::Path, jobs: &str, args: &[&str]) -> Vec<u8> {
    let mut all = vec!["infer", "--jobs", jobs];
    all.extend_from_slice(args);
    let o = stance(dir, &all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    o.stdout
}

#[test]
fn every_format_is_byte_identical_for_one_and_four_threads() {
    let dir = project(&[("rules/p.dl", PROGRAM), ("facts/edge.facts", &edges())]);
    for format in ["table", "csv", "json"] {
        let one = run(dir.path(), "1", &["--format", format]);
        let four = run(dir.path(), "4", &["--format", format]);
        assert!(one.len() > 500_000, "{format}: {} bytes", one.len());
        assert!(one == four, "--format {format} differs between --jobs 1 and --jobs 4");
    }
    run(dir.path(), "1", &["--output-dir", "out1"]);
    run(dir.path(), "4", &["--output-dir", "out4"]);
    for rel in ["path", "sg", "reach"] {
        let one = std::fs::read(dir.path().join(format!("out1/{rel}.csv"))).unwrap();
        let four = std::fs::read(dir.path().join(format!("out4/{rel}.csv"))).unwrap();
        assert!(!one.is_empty() && one == four, "{rel}.csv differs");
    }
}

#[test]
fn recorded_runs_are_byte_identical_for_one_and_four_threads() {
    // A constraint makes `infer` record every tuple's round and rule.
    let program = format!("{PROGRAM}:- path(x, x).\n");
    let dir = project(&[("rules/p.dl", &program), ("facts/edge.facts", &edges())]);
    let one = run(dir.path(), "1", &["--format", "csv", "--profile", "p1.json"]);
    let four = run(dir.path(), "4", &["--format", "csv", "--profile", "p4.json"]);
    assert!(one == four, "recorded output differs");
    // Rounds and each rule's tuples (annotations) agree too.
    let strip = |name: &str| {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        text.lines().filter(|l| !l.contains("\"seconds\"")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(strip("p1.json"), strip("p4.json"));
}

#[test]
fn jobs_zero_is_a_usage_error() {
    let dir = project(&[("rules/p.dl", PROGRAM), ("facts/edge.facts", "1\t2\n")]);
    let o = stance(dir.path(), &["infer", "--jobs", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
