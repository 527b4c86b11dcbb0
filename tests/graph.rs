//! `stance graph` and `stance report` end to end: the example's DOT (snapshot), focus,
//! errors and exit codes, SVG through Graphviz, determinism, and hostile text in the report.
//! The report is also opened in a real browser by `tests/browser/run.sh` (run by `.ci/run`).
//!
//! To review a changed DOT snapshot: `INSTA_UPDATE=always cargo test --test graph`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stance_in(dir: &Path, args: &[&str], path: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stance"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1").stdin(Stdio::null());
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    cmd.output().expect("run stance")
}

fn stance(args: &[&str]) -> Output {
    stance_in(&repo(), args, None)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const HOSTILE: [&str; 6] = [
    "--rules",
    "tests/browser/hostile/rules",
    "--facts",
    "tests/browser/hostile/facts",
    "--diagnostic-format",
    "short",
];

#[test]
fn example_dot_snapshot_and_determinism() {
    let first = stance(&["graph"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let dot = stdout(&first);
    // 22 actors; 31 stated edges, 49 alignments and 39 conflicts (one per unordered pair).
    assert_eq!(dot.lines().filter(|l| l.starts_with("  n") && l.contains(" [label=")).count(), 22);
    assert_eq!(dot.matches("tooltip=\"aligned\"").count(), 49);
    assert_eq!(dot.matches("tooltip=\"conflict\"").count(), 39);
    assert_eq!(dot.matches("fontcolor=\"#6a6a6a\"").count(), 31);
    insta::assert_snapshot!("graph_example_dot", dot);
    let second = stance(&["graph"]);
    assert_eq!(first.stdout, second.stdout, "same input, same bytes");
}

#[test]
fn relations_and_classes_choose_the_edges() {
    let o = stance(&["graph", "--relations", "aligned", "--class", "aligned=conflict", "--hide-statements"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dot = stdout(&o);
    assert_eq!(dot.matches(" -> ").count(), 49);
    assert_eq!(dot.matches("color=\"#d62728\", style=dashed").count(), 49, "aligned drawn as conflict");
    assert!(!dot.contains("label=\"backs\""));

    let o = stance(&["graph", "--relations", "hedges", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error[E052]: `hedges(symbol, symbol, symbol)` cannot be drawn as edges"),
        "{}",
        stderr(&o)
    );

    let o = stance(&["graph", "--relations", "alignd"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `aligned`?"), "{}", stderr(&o));

    let o = stance(&["graph", "--class", "aligned=green"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown class `green`"), "{}", stderr(&o));
}

#[test]
fn focus_draws_a_neighbourhood() {
    let o = stance(&["graph", "--focus", "Algeria", "--depth", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dot = stdout(&o);
    let labels: Vec<&str> = dot
        .lines()
        .filter(|l| l.starts_with("  n") && !l.contains("->"))
        .filter_map(|l| l.split("label=\"").nth(1)?.split('"').next())
        .collect();
    // Algeria is courted by Tobruk and Aguila Saleh Issa (facts/statements.csv), nothing else.
    assert_eq!(labels, ["Aguila Saleh Issa", "Algeria", "Tobruk"]);
    assert!(dot.contains("label=\"courts\""));

    let alone = stdout(&stance(&["graph", "--focus", "Algeria", "--depth", "0"]));
    assert!(alone.contains("  n0 [label=\"Algeria\"];\n") && !alone.contains(" -> "));

    let wider = stdout(&stance(&["graph", "--focus", "Algeria", "--depth", "2"]));
    assert!(wider.matches(" [label=").count() > labels.len());

    let o = stance(&["graph", "--focus", "Haftr"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("error[E050]: no actor named \"Haftr\" in the network"), "{err}");
    assert!(err.contains("did you mean \"Haftar\"?"), "{err}");
    assert!(o.stdout.is_empty());

    let o = stance(&["graph", "--depth", "2"]);
    assert_eq!(o.status.code(), Some(2), "--depth needs --focus");
}

#[test]
fn svg_through_graphviz_or_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net.svg");
    let have_dot = Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success());
    if have_dot {
        let o = stance(&["graph", "--format", "svg", "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let svg = std::fs::read_to_string(&out).unwrap();
        assert!(svg.contains("<svg") && svg.contains(">Haftar</text>"), "{svg}");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }
    // Without Graphviz on PATH: exit 2 and the package to install.
    let empty = tempfile::tempdir().unwrap();
    let o = stance_in(&repo(), &["graph", "--format", "svg"], Some(empty.path().to_str().unwrap()));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("error[E051]") && err.contains("Debian package `graphviz`"), "{err}");
}

#[test]
fn hostile_labels_are_escaped_in_dot() {
    let o = stance(&["graph", HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3]]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dot = stdout(&o);
    assert!(dot.contains(r#"[label="\"\>\<img src=x onerror=alert(1)\>"];"#), "{dot}");
    assert!(dot.contains(r#"[label="Haftar \{x\|y\} \\ \"q\" \<z\>"];"#), "{dot}");
    if Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success()) {
        let o = stance(&["graph", HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3], "--format", "svg"]);
        assert_eq!(o.status.code(), Some(0), "Graphviz reads the escaped labels: {}", stderr(&o));
        let svg = stdout(&o);
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{svg}");
        assert!(!svg.contains("<script"));
    }
}

#[test]
fn report_is_self_contained_deterministic_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    let o = stance(&["report", "-o", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(&path).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<div class=\"stat\"><b>33</b>facts</div><div class=\"stat\"><b>35</b>rules</div>"));
    assert!(page.contains("<tr><td>aligned <span class=\"note\">(.output)</span></td><td class=\"num\">98</td></tr>"));
    assert_eq!(page.matches("<g class=\"actor").count(), 22);
    assert_eq!(page.matches("<path class=\"edge ").count(), 119);
    // Every .output tuple is listed with an expandable proof.
    assert_eq!(page.matches("<details data-proof=").count(), 98 + 78 + 6 + 3 + 1 + 3 + 1);
    assert!(page.contains("<summary>aligned(&quot;Egypt&quot;, &quot;Haftar&quot;)</summary>"));
    // Nothing outside the file: no URL but the SVG namespace.
    assert_eq!(page.matches("://").count(), 1, "only xmlns=\"http://www.w3.org/2000/svg\"");
    assert!(page.contains("default-src 'none'"));
    let again = stance(&["report"]);
    assert_eq!(again.stdout, page.as_bytes(), "same input, same bytes (stdout and -o)");

    let capped = stdout(&stance(&["report", "--max-claims", "5"]));
    assert_eq!(capped.matches("<details data-proof=").count(), 5);
    assert!(capped.contains("the first 5 of 190 claims (--max-claims)"));

    let hostile = stance(&["report", HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3]]);
    assert_eq!(hostile.status.code(), Some(0), "{}", stderr(&hostile));
    let page = stdout(&hostile);
    assert_eq!(page.matches("<script").count(), 2, "the data block and the page's script only");
    for tag in ["<img", "<iframe", "<svg onload", "<b>bold", "<a "] {
        assert!(!page.contains(tag), "{tag} in the page");
    }
    assert!(page.contains("data-name=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\""));
    // Quotes and sources travel as JSON with `<` escaped, so they cannot close the block.
    assert!(page.contains(r#"He said \u003cscript\u003ealert(1)\u003c/script\u003e and left"#));
}

#[test]
fn report_errors_exit_with_usage_codes() {
    let o = stance(&["report", "--relations", "support_count", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("E052"), "{}", stderr(&o));
    let o = stance(&["report", "-o", "/proc/nonexistent/dir/report.html"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot write `/proc/nonexistent/dir/report.html`"), "{}", stderr(&o));
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(bad.path().join("r.dl"), "p(x) :- q(x)\n").unwrap();
    let o = stance_in(bad.path(), &["report", "--rules", "r.dl", "--no-facts"], None);
    assert_eq!(o.status.code(), Some(1), "bad rules: {}", stderr(&o));
}
