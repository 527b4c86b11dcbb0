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
    assert_eq!(dot.lines().filter(|l| l.starts_with("    n") && l.contains(" [label=")).count(), 22);
    // Two connected components, each a cluster, and the legend beside them.
    assert_eq!(dot.matches("subgraph cluster_").count(), 3);
    // Each edge's tooltip names its relation and the grade of its best proof.
    assert_eq!(dot.matches("tooltip=\"aligned, grade ").count(), 49);
    assert_eq!(dot.matches("tooltip=\"conflict, grade ").count(), 39);
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
        .filter(|l| l.starts_with("    n") && !l.contains("->"))
        .filter_map(|l| l.split("label=\"").nth(1)?.split('"').next())
        .collect();
    // Algeria is courted by Tobruk and Aguila Saleh Issa (facts/statements.csv), nothing else.
    assert_eq!(labels, ["Aguila Saleh Issa", "Algeria", "Tobruk"]);
    assert!(dot.contains("label=\"courts\""));

    let alone = stdout(&stance(&["graph", "--focus", "Algeria", "--depth", "0"]));
    assert!(alone.contains("    n0 [label=\"Algeria\"];\n") && !alone.contains(" -> "));

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
    // 35 rules and, counted apart, the 2 constraints (headless rules) of rules/libya.dl.
    assert!(page.contains(
        "<div class=\"stat\"><b>33</b>facts</div><div class=\"stat\"><b>35</b>rules</div><div class=\"stat\"><b>2</b>constraints</div>"
    ));
    assert!(!page.contains("$constraint"), "hidden constraint relations are not shown");
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
    // The navigation bar's links are the page's only `<a>` elements.
    let outside_nav = page.split("</nav>").nth(1).unwrap();
    assert!(page.split("<nav>").next().unwrap().matches("<a ").count() == 0);
    for tag in ["<img", "<iframe", "<svg onload", "<b>bold", "<a "] {
        assert!(!outside_nav.contains(tag), "{tag} in the page");
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

/// The tuples that collide in the example's violations, from `stance contradictions`:
/// (relation, [values]) of every atom.
fn colliding_atoms() -> Vec<(String, Vec<String>)> {
    let o = stance(&["contradictions", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "the example violates a constraint");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut atoms = Vec::new();
    for v in json["violations"].as_array().unwrap() {
        for a in v["atoms"].as_array().unwrap() {
            let values = a["tuple"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
            atoms.push((a["relation"].as_str().unwrap().to_string(), values));
        }
    }
    atoms
}

#[test]
fn graph_flags_the_edges_of_constraint_violations() {
    let dot = stdout(&stance(&["graph"]));
    let atoms = colliding_atoms();
    assert!(!atoms.is_empty());
    // Node ids to labels, then every flagged edge as (relation, from, to).
    let label = |line: &str| line.split("label=\"").nth(1).and_then(|r| r.split('"').next()).map(str::to_string);
    let nodes: std::collections::HashMap<String, String> = dot
        .lines()
        .filter(|l| l.starts_with("    n") && !l.contains("->") && l.contains("[label="))
        .map(|l| (l.trim().split(' ').next().unwrap().to_string(), label(l).unwrap()))
        .collect();
    let flagged: Vec<(String, String, String)> = dot
        .lines()
        .filter(|l| l.contains("->") && l.contains("penwidth=3.5"))
        .map(|l| {
            let mut ends = l.trim().split(' ');
            let (a, b) = (ends.next().unwrap(), ends.nth(1).unwrap());
            let rel = l.split("tooltip=\"").nth(1).unwrap().split(['"', ',']).next().unwrap().to_string();
            (rel, nodes[a].clone(), nodes[b].clone())
        })
        .collect();
    // Every colliding atom of a drawn relation is one flagged edge (either direction), and
    // nothing else is flagged.
    assert_eq!(flagged.len(), atoms.len(), "{flagged:?} vs {atoms:?}");
    for (rel, values) in &atoms {
        assert!(
            flagged.iter().any(|(r, a, b)| r == rel
                && ((a, b) == (&values[0], &values[1]) || (b, a) == (&values[0], &values[1]))),
            "{rel}{values:?} not flagged in {flagged:?}"
        );
    }
    // The actors flagged are those the colliding atoms name.
    let flagged_actors: std::collections::BTreeSet<String> = dot
        .lines()
        .filter(|l| !l.contains("->") && l.contains("[label=") && l.contains("#ff7f0e"))
        .filter_map(label)
        .collect();
    let named: std::collections::BTreeSet<String> = atoms.iter().flat_map(|(_, v)| v.iter().cloned()).collect();
    assert_eq!(flagged_actors, named);
    assert!(!dot.contains("$constraint"));
    // A constraint's hidden relation cannot be asked for.
    let o = stance(&["graph", "--relations", "$constraint1", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("E010") && stderr(&o).contains("unknown relation `$constraint1`"), "{}", stderr(&o));
}

#[test]
fn report_shows_violations_and_claim_verdicts() {
    let page = stdout(&stance(&["report", "--claims", "claims/libya.claims"]));
    let atoms = colliding_atoms();
    assert_eq!(page.matches("<div class=\"card violation\">").count(), 1);
    assert!(page.contains("<div class=\"concl\">:- recognises(x, y), conflict(x, y).</div>"));
    assert!(
        page.contains(
            "<div class=\"note\">rules/libya.dl:212  with x = &quot;Kremlin&quot;, y = &quot;GNA&quot;</div>"
        )
    );
    let colliding: Vec<String> = atoms
        .iter()
        .map(|(r, v)| format!("{r}({})", v.iter().map(|x| format!("&quot;{x}&quot;")).collect::<Vec<_>>().join(", ")))
        .collect();
    assert!(
        page.contains(&format!("<div>colliding: <span class=\"mono\">{}</span></div>", colliding.join(", "))),
        "{colliding:?}"
    );
    assert_eq!(page.matches(" flagged\" data-a=").count(), atoms.len());

    // One verdict card per claim, in order, with the verdicts `stance review` gives: a badge,
    // the claim, where it is written, and the proof of a claim that holds (built by the page's
    // script from the data block; tests/browser expands one).
    let review = stance(&["review", "--format", "json", "claims/libya.claims"]);
    let json: serde_json::Value = serde_json::from_slice(&review.stdout).unwrap();
    let claims = json["claims"].as_array().unwrap();
    let section =
        page.split("<section id=\"verdicts\" class=\"narrow\">").nth(1).unwrap().split("</section>").next().unwrap();
    let cards: Vec<&str> = section.split("<div class=\"card verdict\">").skip(1).collect();
    assert_eq!(cards.len(), claims.len());
    for (i, (card, claim)) in cards.iter().zip(claims).enumerate() {
        let text = claim["claim"].as_str().unwrap().replace('"', "&quot;");
        let verdict = claim["verdict"].as_str().unwrap();
        let head = format!(
            "<div><span class=\"badge {}\">{verdict}</span><span class=\"concl\">{text}</span> <span class=\"note\">claims/libya.claims:{}</span>",
            verdict.replace(' ', "-"),
            claim["line"]
        );
        assert!(card.starts_with(&head), "{card}\n{head}");
        let has_tree = claim["holds"].as_bool().unwrap()
            && !claim["claim"].as_str().unwrap().contains('_')
            && claim["contradictions"].as_array().unwrap().is_empty();
        assert_eq!(
            card.contains(&format!("<details data-verdict=\"{i}\"><summary>proof</summary></details>")),
            has_tree,
            "{card}"
        );
    }
    assert!(cards[1].contains("Egypt backs Tobruk, which relies on Haftar."), "{}", cards[1]);
    let passed = json["passed"].as_u64().unwrap();
    assert_eq!(passed, 10);
    assert!(page.contains(&format!(
        "<div class=\"stat\"><b>{passed}</b>claims passed</div><div class=\"stat\"><b>0</b>claims failed</div>"
    )));
    assert!(page.contains("claims: claims/libya.claims"));

    // A failing claims file: the report is still written (exit 0) and shows the failures.
    let o = stance(&["report", "--claims", "tests/review/failing.claims"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let review = stance(&["review", "--format", "json", "tests/review/failing.claims"]);
    let json: serde_json::Value = serde_json::from_slice(&review.stdout).unwrap();
    let failed = json["failed"].as_u64().unwrap();
    assert!(failed > 0);
    assert!(stdout(&o).contains(&format!("<div class=\"stat\"><b>{failed}</b>claims failed</div>")));
    assert_eq!(stdout(&o).matches("<span class=\"badge FAILED\">FAILED</span>").count() as u64, failed);

    // Claims from standard input, and a directory of claims files, as `stance review` reads them.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.claims"), "aligned(\"Egypt\", \"Haftar\").\n").unwrap();
    std::fs::write(
        dir.path().join("b.csv"),
        "claim,expect,note\n\"conflict(\"\"Egypt\"\", \"\"Tobruk\"\")\",not supported,\n",
    )
    .unwrap();
    let page = stdout(&stance(&["report", "--claims", dir.path().to_str().unwrap()]));
    assert!(page.contains("<div class=\"stat\"><b>2</b>claims passed</div>"), "{page}");
}

#[test]
fn report_claims_errors() {
    let o = stance(&["report", "--claims", "no/such.claims", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot read `no/such.claims`"), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.claims");
    std::fs::write(&bad, "aligned(\"Egypt\", \"Haftar\").\nnosuch(\"x\").\n").unwrap();
    let o = stance(&["report", "--claims", bad.to_str().unwrap(), "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.claims:2:1"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nosuch"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}

/// Whether Graphviz's `dot` runs. Under `CI=true` a missing `dot` fails the test: CI
/// installs Graphviz (`.ci/run`), and a skipped picture test would hide a missing install.
fn have_dot() -> bool {
    let found = Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success());
    if !found && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Graphviz's `dot` is not installed, and CI=true: install the Debian package `graphviz`");
    }
    if !found {
        eprintln!("skipped: Graphviz's `dot` is not installed");
    }
    found
}

/// A text box of the SVG: left, top, right, bottom, and the text. Graphviz places a label's
/// baseline at `y`; the box is estimated from the font size (ascent 0.75 em, descent 0.25 em,
/// 0.55 em per character, about Helvetica's average; the test also passes at 0.6 em).
fn text_boxes(svg: &str) -> Vec<(f64, f64, f64, f64, String)> {
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(svg, options).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let num = |a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok()).unwrap();
            let (x, y, size) = (num("x"), num("y"), num("font-size"));
            let text: String = n.descendants().filter(|t| t.is_text()).filter_map(|t| t.text()).collect();
            let width = 0.55 * size * text.chars().count() as f64;
            let left = match n.attribute("text-anchor") {
                Some("middle") => x - width / 2.0,
                Some("end") => x - width,
                _ => x,
            };
            (left, y - 0.75 * size, left + width, y + 0.25 * size, text)
        })
        .collect()
}

#[test]
fn the_graphviz_picture_shows_every_label_and_no_two_overlap() {
    if !have_dot() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net.svg");
    for args in [&["graph"][..], &["graph", "--focus", "Haftar", "--depth", "1"], &["graph", "--hide-statements"]] {
        let mut svg_args = args.to_vec();
        svg_args.extend(["--format", "svg", "-o", out.to_str().unwrap()]);
        let o = stance(&svg_args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let boxes = text_boxes(&std::fs::read_to_string(&out).unwrap());

        // Every actor and every labelled edge (stated and other relations) has its text.
        let mut json_args = args.to_vec();
        json_args.extend(["--format", "json"]);
        let json: serde_json::Value = serde_json::from_str(&stdout(&stance(&json_args))).unwrap();
        let mut expected: Vec<String> =
            json["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_string()).collect();
        expected.extend(
            json["links"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| matches!(l["class"].as_str(), Some("stated" | "other")))
                .map(|l| l["relation"].as_str().unwrap().to_string()),
        );
        let mut shown: Vec<String> = boxes
            .iter()
            .map(|b| b.4.clone())
            .filter(|t| !t.starts_with('—') && !t.starts_with("shade:") && t != "Legend")
            .collect();
        expected.sort();
        shown.sort();
        assert_eq!(shown, expected, "{args:?}");
        assert!(boxes.iter().any(|b| b.4 == "Legend"), "{args:?}: no legend");

        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let apart = a.2 <= b.0 || b.2 <= a.0 || a.3 <= b.1 || b.3 <= a.1;
                assert!(apart, "{args:?}: label `{}` overlaps label `{}`: {a:?} {b:?}", a.4, b.4);
            }
        }
    }
}
