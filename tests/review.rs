//! Constraints, `stance contradictions` and `stance review` end to end through the binary:
//! every verdict, the JSON and JUnit forms (JUnit parsed back), CSV claims, violations with
//! their proofs, `--deny-contradictions`, and located diagnostics for bad claims.

use serde_json::Value as Json;

#[path = "common/run.rs"]
mod run;
use run::{project, repo, stance, stance_stdin, stderr, stdout};

/// The verdict lines of a text review (the unindented ones, summary excluded).
fn verdict_lines(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.starts_with(' ') && !l.contains(" claims: ")).map(str::to_string).collect()
}

#[test]
fn example_claims_pass_with_every_verdict() {
    let o = stance(&repo(), &["review", "claims/libya.claims"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        verdict_lines(&out),
        [
            "SUPPORTED     aligned(\"Russia\", \"Tobruk\")  [claims/libya.claims:5]",
            "SUPPORTED     aligned(\"Egypt\", \"Haftar\")  [claims/libya.claims:8]",
            "SUPPORTED     conflict(\"Egypt\", \"GNA\")  [claims/libya.claims:10]",
            "SUPPORTED     hedges(\"Russia\", \"Tobruk\", \"GNA\")  [claims/libya.claims:12]",
            "SUPPORTED     !conflict(\"Egypt\", \"Tobruk\")  [claims/libya.claims:15]",
            "SUPPORTED     !aligned(\"Algeria\", _)  [claims/libya.claims:18]",
            "SUPPORTED     count aligned(_, \"Haftar\") = 11  [claims/libya.claims:21]",
            "SUPPORTED     count widely_backed(_) = 1  [claims/libya.claims:23]",
            "CONTRADICTED  contradicted aligned(\"Egypt\", \"GNA\")  [claims/libya.claims:26]",
            "CONTRADICTED  contradicted conflict(\"Kremlin\", \"GNA\")  [claims/libya.claims:30]",
        ]
    );
    assert!(out.ends_with("10 claims: 10 passed, 0 failed\n"), "{out}");
    // The shortest proof of a supported claim, compact, down to the statements.
    assert!(out.contains(
        "    proof: aligned(\"Egypt\", \"Haftar\") <= rules/libya.dl:38[backs(\"Egypt\", \"Tobruk\")@facts/statements.csv:24; relies_on(\"Tobruk\", \"Haftar\")@facts/statements.csv:23]\n"
    ), "{out}");
    // Notes: the comment above, and a trailing comment.
    assert!(out.contains("    note: Egypt backs Tobruk, which relies on Haftar.\n"), "{out}");
    assert!(out.contains("    note: through Tobruk's rivalry with the GNA\n"), "{out}");
    // The colliding proofs of a contradicted claim: the claim, marked, and the statement.
    assert!(out.contains("    collides with: :- recognises(x, y), conflict(x, y).  [rules/libya.dl:212]\n"), "{out}");
    assert!(
        out.contains("    ├─ recognises(\"Kremlin\", \"GNA\")\n    │     stated in facts/statements.csv:28\n"),
        "{out}"
    );
    assert!(out.contains("    └─ conflict(\"Kremlin\", \"GNA\")  (the claim)\n"), "{out}");
    assert!(out.contains("    ├─ aligned(\"Egypt\", \"GNA\")  (the claim, if it held)\n"), "{out}");
    // A count lists what matched.
    assert!(out.contains("    matching: widely_backed(\"Tobruk\")\n"), "{out}");
    // Same input, same bytes.
    assert_eq!(stdout(&stance(&repo(), &["review", "claims/libya.claims"])), out);
}

#[test]
fn failing_claims_say_what_was_expected_and_found() {
    let o = stance(&repo(), &["review", "tests/review/failing.claims"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        verdict_lines(&out),
        [
            "FAILED     aligned(\"Algeria\", \"Haftar\")  [tests/review/failing.claims:4]",
            "FAILED     !conflict(\"Egypt\", \"GNA\")  [tests/review/failing.claims:7]",
            "FAILED     count aligned(_, \"Haftar\") = 4  [tests/review/failing.claims:9]",
            "FAILED     contradicted aligned(\"Russia\", \"Tobruk\")  [tests/review/failing.claims:11]",
            "FAILED     aligned(\"Egypt\", \"GNA\")  [tests/review/failing.claims:14]",
            "SUPPORTED  aligned(\"Egypt\", \"Tobruk\")  [tests/review/failing.claims:16]",
        ]
    );
    for expected in [
        "    expected SUPPORTED, found NOT SUPPORTED\n    why not aligned(\"Algeria\", \"Haftar\")?\n    no rule derives it:\n",
        "    expected not derivable, but it holds\n    grade: B2\n    proof: conflict(\"Egypt\", \"GNA\") <= ",
        "    expected 4 matching tuples, found 11\n    matching: aligned(\"Aguila Saleh Issa\", \"Haftar\"), ",
        "    expected CONTRADICTED, found SUPPORTED\n",
        "    expected SUPPORTED, found CONTRADICTED\n    collides with: :- aligned(x, y), conflict(x, y).",
        "      rule aligned(x, y) :- backs(x, y).  [rules/libya.dl:34]\n        fails at backs(\"Algeria\", \"Haftar\"): no matching tuple",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(out.ends_with("6 claims: 1 passed, 5 failed\n"), "{out}");
}

#[test]
fn review_as_json() {
    let o = stance(&repo(), &["review", "tests/review/failing.claims", "claims/libya.claims", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let json: Json = serde_json::from_str(&stdout(&o)).expect("one JSON document");
    assert_eq!(json["passed"], 11);
    assert_eq!(json["failed"], 5);
    let claims = json["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 16);
    let first = &claims[0];
    assert_eq!(first["claim"], "aligned(\"Algeria\", \"Haftar\")");
    assert_eq!(first["expect"], "supported");
    assert_eq!(first["verdict"], "FAILED");
    assert_eq!(first["found"], "NOT SUPPORTED");
    assert_eq!(first["passed"], false);
    assert_eq!(first["message"], "expected SUPPORTED, found NOT SUPPORTED");
    assert_eq!(
        (first["file"].as_str(), first["line"].as_u64(), first["column"].as_u64()),
        (Some("tests/review/failing.claims"), Some(4), Some(1))
    );
    assert_eq!(first["note"], "Algeria is courted, but aligned with no one.");
    assert!(first["proof"].is_null());
    assert!(first["why_not"].as_str().unwrap().starts_with("why not aligned(\"Algeria\", \"Haftar\")?"));
    let count = &claims[2];
    assert_eq!((count["expect"].as_str(), count["count"].as_u64()), (Some("count = 4"), Some(11)));
    let supported = &claims[5];
    assert_eq!(supported["verdict"], "SUPPORTED");
    assert_eq!(supported["proof"]["conclusion"], "aligned(\"Egypt\", \"Tobruk\")");
    // The colliding proofs, down to the statement with its quote.
    let egypt_gna = &claims[4];
    assert_eq!(egypt_gna["found"], "CONTRADICTED");
    assert_eq!(egypt_gna["contradictions"][0]["constraint"]["text"], ":- aligned(x, y), conflict(x, y).");
    let kremlin = claims.iter().find(|c| c["claim"] == "contradicted conflict(\"Kremlin\", \"GNA\")").unwrap();
    assert_eq!((kremlin["verdict"].as_str(), kremlin["holds"].as_bool()), (Some("CONTRADICTED"), Some(true)));
    assert_eq!(
        kremlin["notes"][0].as_str().unwrap().split(" (").next(),
        Some("it holds, and takes part in a constraint violation")
    );
    let c = &kremlin["contradictions"][0];
    assert_eq!(c["constraint"]["text"], ":- recognises(x, y), conflict(x, y).");
    assert_eq!(c["bindings"], serde_json::json!({"x": "Kremlin", "y": "GNA"}));
    let atoms = c["atoms"].as_array().unwrap();
    assert_eq!(atoms[0]["conclusion"], "recognises(\"Kremlin\", \"GNA\")");
    assert_eq!(atoms[0]["claim"], false);
    let source = &atoms[0]["proof"]["nodes"][0]["sources"][0];
    assert_eq!((source["file"].as_str(), source["line"].as_u64()), (Some("facts/statements.csv"), Some(28)));
    assert!(source["metadata"]["quote"].as_str().unwrap().contains("in principle legitimate"));
    assert_eq!(atoms[1]["claim"], true);
    assert_eq!(atoms[1]["proof"]["conclusion"], "conflict(\"Kremlin\", \"GNA\")");
    // A claim that would complete a violation without holding has no proof of its own.
    let egypt = claims.iter().find(|c| c["claim"] == "contradicted aligned(\"Egypt\", \"GNA\")").unwrap();
    assert!(egypt["contradictions"][0]["atoms"][0]["proof"].is_null());
    assert_eq!(egypt["contradictions"][0]["atoms"][0]["claim"], true);
}

#[test]
fn review_as_junit_parses_back() {
    let o = stance(&repo(), &["review", "tests/review/failing.claims", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let xml = stdout(&o);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suite = doc.root_element();
    assert_eq!(suite.tag_name().name(), "testsuite");
    assert_eq!((suite.attribute("tests"), suite.attribute("failures")), (Some("6"), Some("5")));
    let cases: Vec<roxmltree::Node> = suite.children().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 6);
    assert_eq!(cases[0].attribute("name"), Some("aligned(\"Algeria\", \"Haftar\")  [tests/review/failing.claims:4]"));
    assert_eq!(cases[0].attribute("classname"), Some("tests/review/failing.claims"));
    let failure = cases[0].children().find(|n| n.has_tag_name("failure")).expect("a failure");
    assert_eq!(failure.attribute("message"), Some("expected SUPPORTED, found NOT SUPPORTED"));
    assert!(failure.text().unwrap().contains("why not aligned(\"Algeria\", \"Haftar\")?"));
    let failed: Vec<bool> = cases.iter().map(|c| c.children().any(|n| n.has_tag_name("failure"))).collect();
    assert_eq!(failed, [true, true, true, true, true, false]);
    let out = cases[5].children().find(|n| n.has_tag_name("system-out")).unwrap();
    assert!(out.text().unwrap().starts_with("SUPPORTED\ngrade: B2\nproof: aligned(\"Egypt\", \"Tobruk\")"));

    // Markup characters in claims and notes survive the round trip.
    let dir = project(&[
        ("rules/r.dl", ".decl p(x: symbol)\np(\"a<b>&'c'\").\n"),
        ("c.claims", "// <note> & \"quotes\"\np(\"a<b>&'c'\").\n!p(\"]]>\").\n"),
    ]);
    let o = stance(dir.path(), &["review", "c.claims", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let xml = stdout(&o);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases: Vec<roxmltree::Node> = doc.root_element().children().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases[0].attribute("name"), Some("p(\"a<b>&'c'\")  [c.claims:2]"));
    let text = cases[0].children().find(|n| n.has_tag_name("system-out")).unwrap().text().unwrap();
    assert!(text.contains("note: <note> & \"quotes\""), "{text}");
    assert_eq!(cases[1].attribute("name"), Some("!p(\"]]>\")  [c.claims:3]"));
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
}

#[test]
fn claims_as_csv() {
    let o = stance(&repo(), &["review", "tests/review/claims.csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        verdict_lines(&out),
        [
            "SUPPORTED     aligned(\"Russia\", \"Tobruk\")  [tests/review/claims.csv:2]",
            "SUPPORTED     !conflict(\"Egypt\", \"Tobruk\")  [tests/review/claims.csv:3]",
            "SUPPORTED     count aligned(_, \"Haftar\") = 11  [tests/review/claims.csv:4]",
            "CONTRADICTED  contradicted aligned(\"Egypt\", \"GNA\")  [tests/review/claims.csv:5]",
            "FAILED        aligned(\"Algeria\", \"Haftar\")  [tests/review/claims.csv:6]",
        ]
    );
    assert!(out.contains("    note: through the Kremlin\n"), "{out}");
}

#[test]
fn claims_from_standard_input_and_directories() {
    let o = stance_stdin(&repo(), &["review", "-"], "aligned(\"UAE\", \"Tobruk\").\n");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("SUPPORTED  aligned(\"UAE\", \"Tobruk\")  [<stdin>:1]\n"), "{}", stdout(&o));
    let o = stance(&repo(), &["review", "claims"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).ends_with("10 claims: 10 passed, 0 failed\n"));
    let o = stance(&repo(), &["review", "claims/missing.claims"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read `claims/missing.claims`"), "{}", stderr(&o));
}

#[test]
fn bad_claims_are_located_diagnostics() {
    let dir = project(&[
        (
            "rules/r.dl",
            ".decl aligned(x: symbol, y: symbol)\n.output aligned\naligned(\"Egypt\", \"Tobruk\").\n.decl n(k: number)\n.output n\n",
        ),
        (
            "bad.claims",
            "aligned(\"Egypt\", \"Tobruk\").\nalligned(\"Egypt\", \"Tobruk\").\ncount aligned(_, \"Tobruk\") = many.\ncontradicted aligned(x, \"Tobruk\").\naligned(\"Egypt\" \"Tobruk\").\naligned(\"Egypt\").\nn(\"one\").\ncount aligned(_, _).\naligned(\"Egypt\", \"Tobruk\")\n",
        ),
        (
            "bad.csv",
            "claim,expect,note\n\"alligned(\"\"Egypt\"\", \"\"Tobruk\"\")\",supported,\n\"aligned(\"\"Egypt\"\", \"\"Tobruk\"\")\",maybe,\n",
        ),
        ("nohead.csv", "text,expect\n\"aligned(\"\"Egypt\"\", \"\"Tobruk\"\")\",supported\n"),
        ("open.claims", "/* never closed\naligned(\"Egypt\", \"Tobruk\").\n"),
    ]);
    let o = stance(
        dir.path(),
        &["review", "bad.claims", "bad.csv", "nohead.csv", "open.claims", "--diagnostic-format", "short"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "\
bad.claims:2:1: error[E010]: unknown relation `alligned`
bad.claims:3:29: error[E025]: the expected count must be a whole number, got `many`
bad.claims:4:1: error[E025]: a `contradicted` claim takes constants only
bad.claims:5:17: error[E001]: expected `)` or `,` after argument, found string \"Tobruk\"
bad.claims:6:1: error[E012]: `aligned` has 2 columns, but the claim gives 1
bad.claims:7:3: error[E013]: a symbol where `n` has a number column
bad.claims:8:1: error[E025]: a count claim needs the expected count: `count rel(...) = N.`
bad.claims:9:1: error[E025]: this claim does not end with `.`
bad.csv:2:2: error[E010]: unknown relation `alligned`
bad.csv:3:34: error[E025]: unknown expectation `maybe`
nohead.csv:1:1: error[E025]: a claims CSV needs a `claim` column
open.claims:1:1: error[E025]: unterminated `/*` comment
"
    );
    // The rich form shows the line of the claims file.
    let o = stance(dir.path(), &["review", "bad.claims"]);
    assert!(
        stderr(&o).contains("2 │ alligned(\"Egypt\", \"Tobruk\").\n  │ ^^^^^^^^ no such relation"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn contradictions_lists_violations_with_proofs() {
    let o = stance(&repo(), &["contradictions"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stderr(&o), "1 violation of 1 of the 2 constraints\n");
    let out = stdout(&o);
    assert!(
        out.starts_with(
            "\
violated: :- recognises(x, y), conflict(x, y).  [rules/libya.dl:212]
│  note: Recognising a government is not compatible with being in conflict with it. Violated on purpose in the example (see the README): the Kremlin recognises the GNA, yet is in conflict with it.
│  “Kremlin recognises GNA, yet is in conflict with it”
│  with x = \"Kremlin\", y = \"GNA\"
├─ recognises(\"Kremlin\", \"GNA\")  [B2]
│     stated in facts/statements.csv:28
│     source: The New Arab, date: 2016-06, grade: B2
"
        ),
        "{out}"
    );
    assert!(out.contains("└─ conflict(\"Kremlin\", \"GNA\")  [B2]\n   │  by conflict(x, z) :- aligned(x, y), conflict(y, z), x != z.  [rules/libya.dl:97]\n"), "{out}");
    // Down to the statements: Haftar's rejection of the GNA, with its quote.
    assert!(
        out.contains("rejects(\"Haftar\", \"GNA\")  [B2]\n")
            && out.contains("quote: “Haftar rejects the authority of the UN-backed government in Tripoli”"),
        "{out}"
    );

    let o = stance(&repo(), &["contradictions", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let json: Json = serde_json::from_str(&stdout(&o)).unwrap();
    let v = json["violations"].as_array().unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0]["constraint"],
        serde_json::json!({"text": ":- recognises(x, y), conflict(x, y).", "file": "rules/libya.dl", "line": 212, "column": 1,
            "note": "Recognising a government is not compatible with being in conflict with it. Violated on purpose in the \
                     example (see the README): the Kremlin recognises the GNA, yet is in conflict with it."})
    );
    assert_eq!(json["meta"]["schema_version"], 1);
    assert_eq!(json["meta"]["as_of"], Json::Null);
    assert_eq!(v[0]["bindings"], serde_json::json!({"x": "Kremlin", "y": "GNA"}));
    let atoms: Vec<&str> =
        v[0]["atoms"].as_array().unwrap().iter().map(|a| a["conclusion"].as_str().unwrap()).collect();
    assert_eq!(atoms, ["recognises(\"Kremlin\", \"GNA\")", "conflict(\"Kremlin\", \"GNA\")"]);
    assert_eq!(v[0]["atoms"][0]["nodes"][0]["sources"][0]["line"], 28);
    // Graded data: every proof node carries its grade, as `explain --format json` does.
    assert_eq!(v[0]["atoms"][0]["nodes"][0]["grade"], "B2");
    assert_eq!(v[0]["atoms"][1]["nodes"][0]["best_grades"], serde_json::json!(["B2"]));
}

#[test]
fn infer_warns_of_violations_and_can_deny_them() {
    let plain = stance(&repo(), &["infer", "--format", "json"]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    let err = stderr(&plain);
    assert!(
        err.contains(
            "warning[W006]: constraint violated with x = \"Kremlin\", y = \"GNA\"\n    ┌─ rules/libya.dl:212:1"
        ),
        "{err}"
    );
    assert!(err.contains("= recognises(\"Kremlin\", \"GNA\"): stated in facts/statements.csv:28"), "{err}");
    assert!(err.contains("= conflict(\"Kremlin\", \"GNA\"): derived by the rule at rules/libya.dl:97"), "{err}");
    // The hidden relations never show as output, and the derived tuples are unchanged.
    let json: Json = serde_json::from_str(&stdout(&plain)).unwrap();
    let names: Vec<&str> = json["relations"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["aligned", "conflict", "engages_both_sides", "hedges", "neutral_courted", "support_count", "widely_backed"]
    );

    let denied = stance(&repo(), &["infer", "--deny-contradictions", "--diagnostic-format", "short"]);
    assert_eq!(denied.status.code(), Some(1));
    assert_eq!(stdout(&denied), "");
    assert_eq!(
        stderr(&denied),
        "rules/libya.dl:212:1: error[E024]: constraint violated with x = \"Kremlin\", y = \"GNA\"\n"
    );

    let hidden = stance(&repo(), &["infer", "--relation", "$constraint1"]);
    assert_eq!(hidden.status.code(), Some(2));
    assert!(stderr(&hidden).contains("unknown relation `$constraint1`"), "{}", stderr(&hidden));
}

#[test]
fn constraints_with_negation_comparisons_aggregates_and_no_variables() {
    let rules = "\
.decl backs(x: symbol, y: symbol)
backs(\"Egypt\", \"Tobruk\").
backs(\"UAE\", \"Tobruk\").
backs(\"Egypt\", \"Haftar\").
.decl recognised(x: symbol)
recognised(\"Tobruk\").
// Nothing may be backed by more than one party.
:- backs(_, y), n = count : { backs(_, y) }, n > 1.
// Only recognised parties may be backed.
:- backs(_, y), !recognised(y).
// Egypt must not back Tobruk.
:- backs(\"Egypt\", \"Tobruk\").
";
    let dir = project(&[("rules/r.dl", rules)]);
    let o = stance(dir.path(), &["contradictions", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stderr(&o), "3 violations of 3 constraints\n");
    let json: Json = serde_json::from_str(&stdout(&o)).unwrap();
    let v = json["violations"].as_array().unwrap();
    let summary: Vec<(u64, Json, Vec<Json>)> = v
        .iter()
        .map(|v| {
            (
                v["constraint"]["line"].as_u64().unwrap(),
                v["bindings"].clone(),
                v["conditions"].as_array().unwrap().clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                8,
                serde_json::json!({"y": "Tobruk", "n": 2}),
                vec![Json::from("computed: count : { backs(_, y) } = 2"), Json::from("holds: n > 1  (2 > 1)")]
            ),
            (10, serde_json::json!({"y": "Haftar"}), vec![Json::from("no proof of recognised(\"Haftar\")")]),
            (12, serde_json::json!({}), vec![]),
        ]
    );
    // A violation-free program exits 0 and prints nothing.
    let dir = project(&[("rules/r.dl", ".decl p(x: symbol)\np(\"a\").\n:- p(x), x = \"b\".\n")]);
    let o = stance(dir.path(), &["contradictions"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), ("", "no constraint is violated (1 constraint checked)\n"));
    let o = stance(dir.path(), &["infer", "--deny-contradictions"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn bad_constraints_are_errors_at_the_constraint() {
    let dir = project(&[(
        "rules/r.dl",
        ".decl backs(x: symbol, y: symbol)\n.decl n(k: number)\nbacks(\"a\", \"b\").\nn(1).\n:- backs(x, y); n(y), backs(x, _).\n",
    )]);
    let o = stance(dir.path(), &["check", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "rules/r.dl:5:13: error[E013]: this variable (typed differently by another alternative of the constraint) is a number but a symbol is expected\n"
    );
}

/// Verdicts read as the claim is written: a tuple that holds is SUPPORTED even inside a
/// violation (with a note), and a negated claim a constraint guarantees is SUPPORTED (it
/// used to be reported CONTRADICTED, and the first FAILED with "found CONTRADICTED").
#[test]
fn verdicts_read_as_the_claim_is_written() {
    let o = stance(&repo(), &["review", "tests/review/constraints.claims"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        verdict_lines(&out),
        [
            "SUPPORTED  conflict(\"Kremlin\", \"GNA\")  [tests/review/constraints.claims:4]",
            "SUPPORTED  !conflict(\"Egypt\", \"Tobruk\")  [tests/review/constraints.claims:7]",
            "SUPPORTED  aligned(x, \"Haftar\")  [tests/review/constraints.claims:10]",
            "SUPPORTED  !aligned(\"Algeria\", _)  [tests/review/constraints.claims:13]",
        ]
    );
    for expected in [
        "    note: Holds, and takes part in the violation of the recognition constraint.\n    it holds, and takes part in a constraint violation (the colliding proofs below; `stance contradictions` lists every violation)\n    grade: B2\n    proof: conflict(\"Kremlin\", \"GNA\") <= rules/libya.dl:97[",
        "    collides with: :- recognises(x, y), conflict(x, y).  [rules/libya.dl:212]\n",
        "    note: Does not hold, and the alignment constraint guarantees it.\n    a constraint rules it out: it would complete a violation (the proofs it would collide with below)\n    collides with: :- aligned(x, y), conflict(x, y).  [rules/libya.dl:205]\n",
        "    └─ conflict(\"Egypt\", \"Tobruk\")  (the claim, if it held)\n",
        // A pattern's proof is that of its first match in display order.
        "    proof: aligned(\"Aguila Saleh Issa\", \"Haftar\") <= rules/libya.dl:58[",
        // A pattern that matches nothing: how far each rule gets.
        "    why not aligned(\"Algeria\", _)?\n    no rule derives it:\n    \n      rule aligned(x, y) :- backs(x, y).  [rules/libya.dl:34]\n        fails at backs(\"Algeria\", _): no matching tuple (with x = \"Algeria\")\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(out.ends_with("4 claims: 4 passed, 0 failed\n"), "{out}");
    let o = stance(&repo(), &["review", "tests/review/constraints.claims", "--format", "json"]);
    let json: Json = serde_json::from_str(&stdout(&o)).expect("one JSON document");
    let claims = json["claims"].as_array().unwrap();
    assert_eq!(claims[0]["found"], "SUPPORTED");
    assert_eq!(claims[0]["notes"].as_array().unwrap().len(), 1);
    assert_eq!((claims[1]["verdict"].as_str(), claims[1]["holds"].as_bool()), (Some("SUPPORTED"), Some(false)));
    assert_eq!(claims[1]["contradictions"][0]["constraint"]["text"], ":- aligned(x, y), conflict(x, y).");
    assert!(claims[3]["why_not"].as_str().unwrap().starts_with("why not aligned(\"Algeria\", _)?\n"));
    assert_eq!(claims[2]["notes"], serde_json::json!([]));
}
