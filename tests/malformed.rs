//! The malformed-input corpus (`tests/malformed/`, plus a few large cases generated here):
//! each file goes through the binary, and must give a located error (`file:line[:col]`) and
//! exit 1, or, for the `ok_*` cases that are legitimately accepted (BOM, CRLF, empty files),
//! exit 0 with the right output. Never a panic (exit 101, "panicked") or a crash by signal.
//! stderr and stdout are snapshotted with insta (`tests/snapshots/malformed__*.snap`).
//!
//! The kind of a case is its extension:
//! - `.dl`: a rule file, run with `stance infer --no-facts`;
//! - `.stmt.csv`: a statement table in `facts/`, checked (which counts the facts loaded);
//! - `.facts`: the relation table `facts/r.facts` of `r(a: symbol, n: number)`;
//! - `.rel.csv`: the same relation read as RFC 4180 CSV with a header (`a,n`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const RELATION_RULES: &str = ".decl r(a: symbol, n: number)\n.input r\n.output r\n";
const CSV_RELATION_RULES: &str = ".decl r(a: symbol, n: number)\n.input r(filename=\"r.csv\", delimiter=\",\", headers=true, rfc4180=true)\n.output r\n";
const STATEMENT_RULES: &str = ".decl seen(s: symbol)\nseen(\"x\").\n";

/// The file the case is written to inside its project, and the command that reads it.
fn layout(name: &str) -> (&'static str, Vec<&'static str>, Option<&'static str>) {
    let infer = vec!["infer", "--format", "csv", "--diagnostic-format", "short"];
    if name.ends_with(".stmt.csv") {
        // `check` counts the facts loaded from tables ("ok: … N facts from tables").
        ("facts/statements.csv", vec!["check", "--diagnostic-format", "short"], Some(STATEMENT_RULES))
    } else if name.ends_with(".rel.csv") {
        ("facts/r.csv", infer, Some(CSV_RELATION_RULES))
    } else if name.ends_with(".facts") {
        ("facts/r.facts", infer, Some(RELATION_RULES))
    } else {
        assert!(name.ends_with(".dl"), "unknown kind of case: {name}");
        ("rules/case.dl", infer, None)
    }
}

/// Runs one case in a fresh project directory.
fn run_case(name: &str, bytes: &[u8]) -> (Output, &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let (file, args, rules) = layout(name);
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join(file), bytes).unwrap();
    if let Some(rules) = rules {
        std::fs::write(dir.path().join("rules/main.dl"), rules).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(&args)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run stance");
    (out, file)
}

/// Checks the outcome of one case; returns the text to snapshot.
fn judge(name: &str, out: &Output, file: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let code = out.status.code();
    assert!(code.is_some(), "{name}: killed by a signal: {:?}\n{stderr}", out.status);
    assert_ne!(code, Some(101), "{name}: panicked\n{stderr}");
    assert!(!stderr.contains("panicked"), "{name}: panicked\n{stderr}");
    if name.starts_with("ok_") {
        assert_eq!(code, Some(0), "{name}: should be accepted\n{stderr}");
    } else {
        assert_eq!(code, Some(1), "{name}: exit code\n{stderr}");
        // At least one error is located in the case's file: `file:line:col: error[...]`,
        // or `file:line: ...` for a row.
        let located = stderr.lines().any(|l| {
            l.strip_prefix(file)
                .and_then(|rest| rest.strip_prefix(':'))
                .is_some_and(|rest| rest.split(':').next().is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n >= 1)))
        });
        assert!(located, "{name}: no error located in {file}\n{stderr}");
    }
    // Keep snapshots small for the generated megabyte cases.
    let clip = |s: &str| {
        if s.len() > 2000 {
            format!("{}… ({} bytes)", &s[..s.floor_char_boundary(2000)], s.len())
        } else {
            s.to_string()
        }
    };
    format!("exit: {}\n--- stdout\n{}--- stderr\n{}", code.unwrap(), clip(&stdout), clip(&stderr))
}

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn every_committed_case_is_located_or_accepted() {
    let files = corpus();
    assert!(files.len() >= 40, "the corpus has {} cases", files.len());
    // Judge every case before failing, so one run reports all of them.
    let mut failures = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (out, file) = run_case(&name, &std::fs::read(&path).unwrap());
        match std::panic::catch_unwind(|| judge(&name, &out, file)) {
            Ok(text) => insta::assert_snapshot!(name.replace('.', "_"), text),
            Err(_) => failures.push(name),
        }
    }
    assert!(failures.is_empty(), "failing cases: {failures:?}");
}

/// Cases too large to commit, generated here.
fn generated() -> Vec<(&'static str, Vec<u8>)> {
    let megabyte = "x".repeat(1 << 20);
    let nested = format!(".decl a(x: number)\na({}1{}).\n", "(".repeat(10_000), ")".repeat(10_000));
    let deeper = format!(".decl a(x: number)\na({}1{}).\n", "(".repeat(1_000_000), ")".repeat(1_000_000));
    let negations = format!(".decl a(x: number)\na({}1).\n", "-".repeat(100_000));
    // 10,000 atoms over one variable: legitimate, and `p` must come out as `e`'s first column.
    let body = vec!["e(x, _)"; 10_000].join(", ");
    let long_body =
        format!(".decl e(x: number, y: number)\n.decl p(x: number)\n.output p\ne(1, 2).\ne(3, 4).\np(x) :- {body}.\n");
    vec![
        ("deep_parentheses.dl", nested.into_bytes()),
        ("deeper_parentheses.dl", deeper.into_bytes()),
        ("deep_negation.dl", negations.into_bytes()),
        ("ok_ten_thousand_atom_body.dl", long_body.into_bytes()),
        ("megabyte_string.dl", format!(".decl a(x: symbol)\na(\"{megabyte}).\n").into_bytes()),
        ("ok_megabyte_field.stmt.csv", format!("subject,relation,object\nEgypt,backs,{megabyte}\n").into_bytes()),
        (
            "megabyte_field_unclosed.stmt.csv",
            format!("subject,relation,object\nEgypt,backs,\"{megabyte}\n").into_bytes(),
        ),
        ("megabyte_field.facts", format!("a\t1\n{megabyte}\t2\tz\n").into_bytes()),
        ("ok_megabyte_field.facts", format!("{megabyte}\t2\n").into_bytes()),
    ]
}

#[test]
fn generated_large_cases_are_located_or_accepted() {
    for (name, bytes) in generated() {
        let (out, file) = run_case(name, &bytes);
        let text = judge(name, &out, file);
        insta::assert_snapshot!(name.replace('.', "_"), text);
    }
}
