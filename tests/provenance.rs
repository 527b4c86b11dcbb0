//! Provenance end to end: every proof of the example checked independently, snapshots of
//! what reviewers read, why-not reports, queries and proof traces in `infer`.

#[path = "common/proof_check.rs"]
mod proof_check;

use serde_json::Value as Json;
use stance::base::source::SourceMap;
use stance::engine::eval::EvalOptions;
use stance::proof::provenance::{Explainer, NodeKind};
use stance::session::{self, Inputs};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stance(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stance")).args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_tuple_of_the_example_has_a_proof_the_checker_accepts() {
    let inputs = Inputs { rules: vec![repo().join("rules")], facts: Some(repo().join("facts")), ..Default::default() };
    let mut sources = SourceMap::new();
    let mut project = session::load(&inputs, &mut sources).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let model = session::evaluate(&mut project, &EvalOptions { record: true, ..Default::default() }).unwrap();
    let session::Project { program, facts, sources, symbols, .. } = &mut project;
    let mut ex = Explainer::new(program, &model, facts, sources, symbols);
    let mut checked = 0;
    for (rel, tuples) in model.relations.iter().enumerate() {
        for tuple in tuples.iter() {
            let root = ex.explain(rel, tuple).unwrap_or_else(|| panic!("no proof of {tuple:?} in {rel}"));
            proof_check::check_proof(&ex, root).unwrap_or_else(|e| panic!("proof of {tuple:?}: {e}"));
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} tuples checked");
}

#[test]
fn the_checker_rejects_a_tampered_proof() {
    let program = ".decl e(x: number, y: number)\n.decl p(x: number, y: number)\ne(1, 2). e(2, 3).\np(x, y) :- e(x, y).\np(x, z) :- p(x, y), e(y, z).\n";
    let m = session::evaluate_text(program, &EvalOptions { record: true, ..Default::default() }).unwrap();
    let session::TextModel { sources, mut symbols, program, model } = m;
    let facts = stance::facts::load::Facts::new();
    let mut ex = Explainer::new(&program, &model, &facts, &sources, &mut symbols);
    let p = program.relation_id("p").unwrap();
    let root = ex.explain(p, &[1, 3]).unwrap();
    proof_check::check_proof(&ex, root).unwrap();
    assert_eq!(ex.nodes[root].height, 2);
    // Claim a different middle node: the bindings no longer instantiate the premises.
    if let NodeKind::Derived { env, .. } = &mut ex.nodes[root].kind {
        env[1] = 7;
    }
    assert!(proof_check::check_proof(&ex, root).is_err());
}

#[test]
fn proofs_have_minimal_height() {
    // p(1, 4) has a proof of height 2 through the shortcut e(1, 3) and of height 3 through
    // the chain; p(1, 3) is derived by two rule instances, of heights 1 and 2.
    let program = ".decl e(x: number, y: number)\n.decl p(x: number, y: number)\ne(1, 2). e(2, 3). e(3, 4). e(1, 3).\np(x, y) :- e(x, y).\np(x, z) :- p(x, y), e(y, z).\n";
    let m = session::evaluate_text(program, &EvalOptions { record: true, ..Default::default() }).unwrap();
    let session::TextModel { sources, mut symbols, program, model } = m;
    let facts = stance::facts::load::Facts::new();
    let mut ex = Explainer::new(&program, &model, &facts, &sources, &mut symbols);
    let p = program.relation_id("p").unwrap();
    let root = ex.explain(p, &[1, 4]).unwrap();
    assert_eq!(ex.nodes[root].height, 2);
    let all = ex.explain_many(p, &[1, 3], 5);
    assert_eq!(all.len(), 2, "two rule instances derive p(1, 3)");
    assert_eq!((ex.nodes[all[0]].height, ex.nodes[all[1]].height), (1, 2));
}

/// The claims shown in snapshots: one per kind of rule of the example.
const CLAIMS: &[(&str, &str)] = &[
    ("aligned_egypt_haftar", r#"aligned("Egypt", "Haftar")"#),
    ("conflict_egypt_gna", r#"conflict("Egypt", "GNA")"#),
    ("hedges_russia_tobruk_gna", r#"hedges("Russia", "Tobruk", "GNA")"#),
    ("neutral_courted_algeria", r#"neutral_courted("Algeria")"#),
    ("support_count_tobruk", r#"support_count("Tobruk", 5)"#),
    ("widely_backed_tobruk", r#"widely_backed("Tobruk")"#),
    ("aligned_russia_haftar", r#"aligned("Russia", "Haftar")"#),
];

#[test]
fn explain_snapshots_text_and_json() {
    for (name, claim) in CLAIMS {
        let o = stance(&repo(), &["explain", claim]);
        assert_eq!(o.status.code(), Some(0), "{claim}: {}", stderr(&o));
        insta::assert_snapshot!(format!("explain_{name}"), stdout(&o));
        let o = stance(&repo(), &["explain", claim, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0));
        let json: Json = serde_json::from_str(&stdout(&o)).unwrap();
        insta::assert_snapshot!(format!("explain_{name}_json"), serde_json::to_string_pretty(&json).unwrap());
    }
}

#[test]
fn explain_json_is_a_dag_down_to_sourced_rows() {
    let o = stance(&repo(), &["explain", r#"aligned("Egypt", "Haftar")"#, "--format", "json"]);
    let json: Json = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["conclusion"], r#"aligned("Egypt", "Haftar")"#);
    let nodes = json["nodes"].as_array().unwrap();
    let root = &nodes[0];
    assert_eq!(root["kind"], "derived");
    assert_eq!(root["rule"]["file"], "rules/libya.dl");
    assert_eq!(root["rule"]["display"], "Egypt is aligned with Haftar because it backs Tobruk, which relies on Haftar");
    assert_eq!(root["bindings"]["y"], "Tobruk");
    let premises: Vec<&Json> =
        root["premises"].as_array().unwrap().iter().map(|i| &nodes[i.as_u64().unwrap() as usize]).collect();
    assert_eq!(premises[0]["conclusion"], r#"backs("Egypt", "Tobruk")"#);
    let source = &premises[0]["sources"][0];
    assert_eq!(source["file"], "facts/statements.csv");
    assert_eq!(source["metadata"]["source"], "The New Arab");
    assert!(source["metadata"]["quote"].as_str().unwrap().contains("backing from neighbouring Egypt"));
}

#[test]
fn explain_options_depth_and_several_proofs() {
    let o = stance(&repo(), &["explain", r#"hedges("Russia", "Tobruk", "GNA")"#, "--depth", "1"]);
    assert!(stdout(&o).contains("(proof not shown below depth 1)"), "{}", stdout(&o));
    let o = stance(&repo(), &["explain", r#"conflict("Egypt", "GNA")"#, "--proofs", "3"]);
    let out = stdout(&o);
    assert!(out.contains("proof 1 of 3") && out.contains("proof 3 of 3"), "{out}");
    let heights: Vec<u32> = out
        .lines()
        .filter_map(|l| l.strip_prefix("proof ").and_then(|r| r.split("(height ").nth(1)))
        .map(|h| h.trim_end_matches(')').parse().unwrap())
        .collect();
    assert!(heights.windows(2).all(|w| w[0] <= w[1]), "{heights:?}");
}

#[test]
fn a_fact_stated_twice_shows_both_sources() {
    let o = stance(&repo(), &["explain", r#"rejects("Haftar", "GNA")"#]);
    let out = stdout(&o);
    assert_eq!(out.matches("stated in facts/statements.csv:").count(), 2, "{out}");
}

#[test]
fn explain_of_a_claim_that_does_not_hold() {
    let o = stance(&repo(), &["explain", r#"aligned("Algeria", "Haftar")"#]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("does not hold") && stderr(&o).contains("stance why-not"), "{}", stderr(&o));
}

#[test]
fn why_not_unknown_relation() {
    let o = stance(&repo(), &["why-not", r#"alligned("Algeria", "Haftar")"#, "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown relation `alligned`"), "{}", stderr(&o));
    let o = stance(&repo(), &["why-not", r#"alligned("Algeria", "Haftar")"#]);
    assert!(stderr(&o).contains("did you mean `aligned`?"), "{}", stderr(&o));
}

#[test]
fn why_not_unknown_constant() {
    let o = stance(&repo(), &["why-not", r#"aligned("Algerai", "Haftar")"#]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains(r#"note: "Algerai" does not occur in any fact or rule; did you mean "Algeria"?"#),
        "{}",
        stdout(&o)
    );
}

#[test]
fn why_not_failing_join() {
    let o = stance(&repo(), &["why-not", r#"aligned("Algeria", "Haftar")"#]);
    let out = stdout(&o);
    assert!(out.starts_with("why not aligned(\"Algeria\", \"Haftar\")?\nno rule derives it:"), "{out}");
    assert!(out.contains("rule aligned(x, z) :- backs(x, y), relies_on(y, z), x != z.  [rules/libya.dl:38]"), "{out}");
    assert!(
        out.contains(r#"fails at backs("Algeria", _): no matching tuple (with x = "Algeria", z = "Haftar")"#),
        "{out}"
    );
}

#[test]
fn why_not_blocking_negation_shows_the_blocker_and_its_proof() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/r.dl"),
        ".decl p(x: symbol)\n.decl q(x: symbol)\n.decl r(x: symbol)\np(\"a\"). q(\"a\").\nr(x) :- p(x), !q(x).\n",
    )
    .unwrap();
    let o = stance(dir.path(), &["why-not", r#"r("a")"#]);
    let out = stdout(&o);
    assert!(out.contains(r#"blocked by q("a"): `!q("a")` fails because it holds"#), "{out}");
    assert!(out.contains("stated in rules/r.dl:4"), "{out}");
}

#[test]
fn why_not_of_a_claim_that_holds_shows_its_proof() {
    let o = stance(&repo(), &["why-not", r#"aligned("Egypt", "Haftar")"#]);
    assert!(stdout(&o).contains("it holds:"), "{}", stdout(&o));
}

#[test]
fn query_matches_patterns_and_explains() {
    let o = stance(&repo(), &["query", r#"aligned(x, "Haftar")"#, "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 12, "{out}");
    assert!(out.contains("aligned,Egypt,Haftar"));
    let o = stance(&repo(), &["query", r#"aligned("Algeria", _)"#]);
    assert_eq!(o.status.code(), Some(1));
    // Repeated variables must agree: no one is aligned with itself.
    let o = stance(&repo(), &["query", "aligned(x, x)"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = stance(&repo(), &["query", r#"backs(x, "Tobruk")"#, "--explain"]);
    assert!(stdout(&o).contains("stated in facts/statements.csv"), "{}", stdout(&o));
}

/// `explain` of a pattern proves every matching tuple, in display order (it used to say the
/// claim "does not hold" while `query` found 11 matches).
#[test]
fn explain_of_a_pattern_proves_every_match() {
    let o = stance(&repo(), &["explain", r#"aligned(x, "Haftar")"#, "--depth", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    // Each proof's first line carries the grade.
    let conclusions: Vec<&str> =
        out.lines().filter(|l| l.starts_with("aligned(")).map(|l| l.split("  [").next().unwrap()).collect();
    let query = stdout(&stance(&repo(), &["query", r#"aligned(x, "Haftar")"#, "--format", "csv"]));
    let expected: Vec<String> =
        query.lines().skip(1).map(|l| format!("aligned(\"{}\", \"Haftar\")", l.split(',').nth(1).unwrap())).collect();
    assert_eq!(conclusions, expected);
    assert_eq!(conclusions.len(), 11);
    assert!(out.starts_with(
        "aligned(\"Aguila Saleh Issa\", \"Haftar\")  [D2]\n│  by aligned(x, z) :- represents(x, y), aligned(y, z), x != z.  [rules/libya.dl:58]\n"
    ), "{out}");
    // Proofs are separated by one blank line.
    assert!(out.contains("(\"Aguila Saleh Issa\" != \"Haftar\")\n\naligned(\"Egypt\", \"Haftar\")  [B2]\n"), "{out}");
    // As JSON: one proof per line.
    let o = stance(&repo(), &["explain", r#"aligned(_, "Haftar")"#, "--format", "json"]);
    let roots: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap()["conclusion"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(roots, expected);
    // A repeated variable must take one value: no one is in conflict with itself.
    let o = stance(&repo(), &["explain", "conflict(x, x)"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "`conflict(x, x)` matches no tuple\nhelp: `stance why-not 'conflict(x, x)'` shows how far each rule gets\n"
    );
}

/// `why-not` of a pattern: the matches when some tuple matches, how far each rule gets for
/// the pattern otherwise (it used to say a constant occurs nowhere).
#[test]
fn why_not_of_a_pattern() {
    let o = stance(&repo(), &["why-not", r#"aligned(_, "Haftar")"#]);
    let out = stdout(&o);
    assert!(
        out.starts_with("why not aligned(_, \"Haftar\")?\nit holds: 11 tuples match; the first:\naligned(\"Aguila Saleh Issa\", \"Haftar\")\n"),
        "{out}"
    );
    assert!(!out.contains("occurs nowhere"), "{out}");
    let o = stance(&repo(), &["why-not", r#"aligned("Algeria", x)"#]);
    let out = stdout(&o);
    assert!(out.starts_with("why not aligned(\"Algeria\", x)?\nno rule derives it:\n"), "{out}");
    assert!(out.contains("rule aligned(x, y) :- backs(x, y).  [rules/libya.dl:34]\n    fails at backs(\"Algeria\", _): no matching tuple (with x = \"Algeria\")\n"), "{out}");
    let o = stance(&repo(), &["why-not", r#"neutral_courted(_)"#]);
    assert!(
        stdout(&o).starts_with("why not neutral_courted(_)?\nit holds: 1 tuple matches; the first:\n"),
        "{}",
        stdout(&o)
    );
    let o = stance(&repo(), &["why-not", r#"backs("Algeria", _)"#]);
    assert_eq!(
        stdout(&o),
        "why not backs(\"Algeria\", _)?\n`backs` has no rules: it holds only what the facts state, and no fact matches this.\n"
    );
}

/// A bare name spelled like a known symbol is a variable that matches everything: a warning
/// with the quoted suggestion, on every command that takes a pattern.
#[test]
fn a_variable_named_like_a_symbol_is_a_warning() {
    for command in ["query", "explain", "why-not"] {
        let o = stance(&repo(), &[command, "aligned(x, Haftar)", "--diagnostic-format", "short"]);
        assert_eq!(
            stderr(&o).lines().next(),
            Some("<claim>:1:12: warning[W007]: `Haftar` is a variable: it matches every value, not the symbol"),
            "{command}"
        );
    }
    let o = stance(&repo(), &["query", "aligned(x, Haftar)"]);
    assert!(stderr(&o).contains("help: did you mean \"Haftar\"?"), "{}", stderr(&o));
    // A variable that names no symbol is not warned about.
    let o = stance(&repo(), &["query", "aligned(x, y)", "--diagnostic-format", "short"]);
    assert_eq!(stderr(&o), "");
    // In a claims file too, located there.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.claims"), "count aligned(x, Haftar) = 98.\n").unwrap();
    let c = dir.path().join("c.claims");
    let o = stance(&repo(), &["review", c.to_str().unwrap(), "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("c.claims:1:18: warning[W007]"), "{}", stderr(&o));
}

/// An aggregate's proof step lists what it aggregates, by value: the first ten bindings of
/// its body, then how many more (it used to show only the total).
#[test]
fn an_aggregate_lists_the_tuples_it_aggregates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let facts: String = (1..=12).map(|i| format!("b({i}, \"t\"). ")).collect();
    std::fs::write(
        dir.path().join("rules/r.dl"),
        format!(
            ".decl b(x: number, y: symbol)\n.decl a(y: symbol)\n.decl total(n: number)\n{facts}\na(\"t\").\ntotal(n) :- n = sum x : {{ b(x, y), a(y) }}.\n"
        ),
    )
    .unwrap();
    let o = stance(dir.path(), &["explain", "total(78)"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<String> = (1..=10).map(|i| format!("      b({i}, \"t\"), a(\"t\")")).collect();
    let expected =
        format!("└─ computed: sum x : {{ b(x, y), a(y) }} = 78, over:\n{}\n      and 2 more\n", lines.join("\n"));
    assert!(stdout(&o).ends_with(&expected), "{}", stdout(&o));
    let o = stance(dir.path(), &["explain", "total(78)", "--format", "json"]);
    let json: Json = serde_json::from_str(&stdout(&o)).unwrap();
    let aggregate = &json["nodes"][0]["aggregates"][0];
    assert_eq!(aggregate["bindings"], 12);
    assert_eq!(aggregate["over"][9], serde_json::json!(["b(10, \"t\")", "a(\"t\")"]));
    assert_eq!(aggregate["over"].as_array().unwrap().len(), 10);
}

#[test]
fn infer_with_provenance_as_json_lines_and_csv() {
    let o = stance(&repo(), &["infer", "--provenance", "--format", "json", "--relation", "hedges"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<Json> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["conclusion"], r#"hedges("Kremlin", "Tobruk", "GNA")"#);
    for l in &lines {
        for node in l["nodes"].as_array().unwrap() {
            match node["kind"].as_str().unwrap() {
                "fact" => assert!(node["sources"][0]["line"].as_u64().unwrap() > 1),
                "derived" => assert!(node["rule"]["line"].as_u64().unwrap() > 0),
                other => panic!("unexpected node kind {other}"),
            }
        }
    }
    let o = stance(&repo(), &["infer", "--provenance", "--format", "csv", "--relation", "widely_backed"]);
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    assert_eq!(reader.headers().unwrap(), vec!["relation", "y", "proof"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][1], "Tobruk");
    let trace = &rows[0][2];
    assert!(trace.starts_with(r#"widely_backed("Tobruk") <= rules/libya.dl:"#), "{trace}");
    assert!(trace.contains(r#"backs("Haftar", "Tobruk")@facts/statements.csv:4"#), "{trace}");
}

/// A counter of `n` steps: `n(0)`, then `n(x + 1)` from `n(x)`.
fn counter(steps: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let rules = format!(".decl n(x: number)\n.output n\nn(0).\nn(x + 1) :- n(x), x < {steps}.\n");
    std::fs::write(dir.path().join("rules/r.dl"), rules).unwrap();
    dir
}

/// `infer --provenance --format json` writes each proof node once: node ids run across the
/// lines, and a line lists only the nodes no earlier line listed (the proofs of a chain
/// repeated in full were quadratic: 125 MB for 1,000 steps).
#[test]
fn provenance_json_lines_share_proof_nodes() {
    let dir = counter(1000);
    let o = stance(dir.path(), &["infer", "--no-facts", "--provenance", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<Json> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1001);
    for (k, line) in lines.iter().enumerate() {
        assert_eq!(line["conclusion"], format!("n({k})"));
        // One new node per line: n(k) itself, numbered k; its premise n(k - 1) was listed on
        // the line before.
        let nodes = line["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 1, "line {k}: {line}");
        assert_eq!(nodes[0]["id"], k);
        assert_eq!(line["root"], k);
        if k > 0 {
            assert_eq!(nodes[0]["premises"], serde_json::json!([k - 1]));
        }
    }
}

/// The last step of a 10,000-step counter: its proof is found by binding `x` from the head
/// (`n(x + 1)`), not by scanning every step at every step, and printed within a bounded
/// margin, deep subproofs continued below under their labels, each step once.
#[test]
fn explain_of_a_long_counter_is_linear() {
    let dir = counter(10_000);
    let o = stance(dir.path(), &["explain", "--no-facts", "n(10000)"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest < 3 * 33 + 60, "a line of {widest} characters");
    // Each step is printed once, and once more as a reference where it is continued below.
    let mut times = std::collections::HashMap::new();
    for line in text.lines() {
        let line = line.trim_start_matches(['│', '├', '└', '─', ' ']);
        if let Some(step) = line.strip_prefix("n(").and_then(|l| l.split(')').next()) {
            *times.entry(step.parse::<u32>().unwrap()).or_insert(0) += 1;
        }
    }
    assert_eq!(times.len(), 10_001);
    assert!(times.values().all(|&t| t == 1 || t == 2));
    assert!(text.contains("─ n(9968)  (continued below, [1])\n"), "{text}");
    assert!(text.contains("\n\nn(9968)  [1]\n│  by n(x + 1) :- n(x), x < 10000.  [rules/r.dl:4]\n"));
    assert!(text.contains("─ n(0)\n"));
}

/// Blocs that merge over several rounds, through a rule that reads the `eqrel` relation
/// itself: `next` chains one bloc to the next, so 1..8 end in one class of 64 pairs.
const BLOCS: &str = ".decl link(a: number, b: number)\nlink(1, 2). link(3, 4). link(5, 6). link(7, 8). link(9, 10).\n\
                     .decl next(a: number, b: number)\nnext(2, 3). next(4, 5). next(6, 7).\n\
                     .decl bloc(a: number, b: number) eqrel\nbloc(a, b) :- link(a, b).\n\
                     bloc(a, c) :- bloc(a, b), next(b, c).\n.decl with_one(x: number)\nwith_one(x) :- bloc(1, x).\n";

#[test]
fn eqrel_closure_pairs_have_path_proofs_the_independent_checker_accepts_on_both_engines() {
    use stance::engine::backend::Engine;
    let bloc: Vec<Vec<u32>> = (1..=8)
        .flat_map(|a| (1..=8).map(move |b| vec![a, b]))
        .chain([[9, 9], [9, 10], [10, 9], [10, 10]].map(|p| p.to_vec()))
        .collect();
    for engine in [Engine::Datafrog, Engine::Simple] {
        let options = EvalOptions { record: true, engine, ..Default::default() };
        let m = session::evaluate_text(BLOCS, &options).unwrap_or_else(|e| panic!("{e}"));
        let session::TextModel { sources, mut symbols, program, model } = m;
        let rel = program.relation_id("bloc").unwrap();
        let tuples: Vec<Vec<u32>> = model.relations[rel].iter().map(|t| t.to_vec()).collect();
        assert_eq!(tuples, bloc, "{engine:?}");
        let with_one = program.relation_id("with_one").unwrap();
        assert_eq!(model.relations[with_one].len(), 8, "{engine:?}");
        let facts = stance::facts::load::Facts::new();
        let mut ex = Explainer::new(&program, &model, &facts, &sources, &mut symbols);
        for (r, tuples) in model.relations.iter().enumerate() {
            for tuple in tuples.iter() {
                let root = ex.explain(r, tuple).unwrap_or_else(|| panic!("{engine:?}: no proof of {tuple:?}"));
                proof_check::check_proof(&ex, root).unwrap_or_else(|e| panic!("{engine:?}: {tuple:?}: {e}"));
            }
        }
    }
}

#[test]
fn an_eqrel_pair_is_proved_along_a_shortest_path_of_generating_pairs() {
    // `bloc(8, 1)`: the pairs generating `bloc` (by `link` and by the rule through `next`)
    // give the shortest path 8 – 7 – 5 – 3 – 1 (`bloc(7, 8)`, `bloc(5, 7)`, `bloc(3, 5)`,
    // `bloc(1, 3)`), shown as transitivity and symmetry steps at the `eqrel` qualifier.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/p.dl"), BLOCS).unwrap();
    let o = stance(dir.path(), &["explain", "--no-facts", "--full", "bloc(8, 1)"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // The closure steps, in the order shown: each `with` line after a `by eqrel` line.
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let steps: Vec<&str> = lines
        .windows(2)
        .filter(|w| w[0].ends_with("by eqrel  [rules/p.dl:5]"))
        .map(|w| w[1].trim_start_matches(['│', ' ', '├', '└', '─']))
        .collect();
    assert_eq!(
        steps,
        [
            "with x = 8, y = 3, z = 1",
            "with x = 8, y = 5, z = 3",
            "with x = 8, y = 7, z = 5",
            "with x = 7, y = 8",
            "with x = 5, y = 7",
            "with x = 3, y = 5",
            "with x = 1, y = 3",
        ],
        "{out}"
    );
    assert!(out.starts_with("bloc(8, 1)\n│  by eqrel  [rules/p.dl:5]\n"), "{out}");
    assert!(out.contains("└─ link(7, 8)\n"), "{out}");
}
