//! The diagnostics corpus: every directory under `tests/diagnostics/` is a small project
//! (rule files, maybe a `facts/` directory) that is broken in one way. `stance check` runs
//! on each, and the rendered text (no colour) and the JSON form are snapshotted with insta
//! (`tests/snapshots/diagnostics__<case>__{text,json}.snap`).
//!
//! To review changed output: `INSTA_UPDATE=always cargo test --test diagnostics`, then read
//! the `.snap` diff in git. Without that, a difference fails the test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    cases
}

/// `stance check` on one case, from inside its directory so that paths are short.
fn check(case: &Path, extra: &[&str]) -> (i32, String) {
    let mut rules: Vec<String> = std::fs::read_dir(case)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".dl"))
        .collect();
    rules.sort();
    let mut args = vec!["check".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(rules);
    if case.join("facts").is_dir() {
        args.extend(["--facts".to_string(), "facts".to_string()]);
    } else {
        args.push("--no-facts".to_string());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(&args)
        .current_dir(case)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run stance");
    assert!(out.stdout.is_empty(), "check prints nothing on stdout");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn corpus_snapshots() {
    let cases = corpus();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut codes = BTreeSet::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let (code, text) = check(case, &["--deny-warnings"]);
        let (json_code, json) = check(case, &["--diagnostic-format", "json"]);
        for line in json.lines().filter(|l| l.starts_with('{')) {
            let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
            codes.insert(v["code"].as_str().unwrap().to_string());
        }
        // The case's name says what it must report.
        let expected = name.split('_').next().unwrap().to_uppercase();
        if expected == "OK" {
            assert_eq!(code, 0, "{name}: {text}");
        } else {
            assert!(json.contains(&format!("\"code\":\"{expected}\"")), "{name} does not report {expected}:\n{json}");
            assert_eq!(code, 1, "{name}: exit code\n{text}");
        }
        insta::assert_snapshot!(format!("{name}__text"), format!("exit: {code}\n{text}"));
        insta::assert_snapshot!(format!("{name}__json"), format!("exit: {json_code}\n{json}"));
    }
    // Every code a rule or fact file can trigger is covered (E022 output, E030 runtime and
    // E031 limits happen only when evaluating).
    let all = [
        "E001", "E002", "E003", "E010", "E011", "E012", "E013", "E014", "E015", "E016", "E017", "E018", "E019", "E020",
        "E021", "E042", "E026", "W001", "W002", "W003", "W004", "W005", "W007", "W008", "E060", "E062",
    ];
    for c in all {
        assert!(codes.contains(c), "no case reports {c}");
    }
}

#[test]
fn warnings_alone_do_not_fail_check() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics/w001_singleton_variable");
    let (code, text) = check(&case, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("warning[W001]"), "{text}");
    assert!(text.contains("ok:") && text.contains("1 warning"), "{text}");
}

#[test]
fn check_accepts_paths_as_arguments() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["check", "rules/libya.dl", "--deny-warnings"])
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
