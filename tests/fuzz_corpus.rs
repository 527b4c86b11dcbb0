//! Replays every committed fuzz input (`fuzz/corpus/<target>/` and the crash reproducers in
//! `fuzz/regressions/<target>/`) through the same entry points the fuzz targets call
//! (`stance::session::untrusted`), on the stable toolchain: CI guards against regressions without
//! nightly or libFuzzer. Each input must return (not panic) within a generous time.

use std::path::Path;

type Target = fn(&[u8]) -> Vec<String>;

const TARGETS: [(&str, Target); 4] = [
    ("rules", stance::session::untrusted::rule_file),
    ("statement_table", stance::session::untrusted::statement_table),
    ("relation_table", stance::session::untrusted::relation_table),
    ("claim", stance::session::untrusted::claim),
];

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_input_is_handled() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, target) in TARGETS {
        let corpus = inputs(&fuzz.join("corpus").join(name));
        assert!(corpus.len() >= 10, "fuzz/corpus/{name} has {} inputs", corpus.len());
        for path in corpus.iter().chain(&inputs(&fuzz.join("regressions").join(name))) {
            let data = std::fs::read(path).unwrap();
            // Slow inputs are libFuzzer's to find (`-timeout=1` on the instrumented build), not a
            // wall-clock assertion's.
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} panics", path.display());
        }
    }
}

#[test]
fn entry_points_report_located_errors() {
    let rules = stance::session::untrusted::rule_file(b".decl a(x: number)\na(\"x\").\n");
    assert!(rules.iter().any(|d| d.starts_with("fuzz.dl:2:")), "{rules:?}");
    let table = stance::session::untrusted::statement_table(b"subject,relation,object\nEgypt,,Tobruk\n");
    assert!(table.iter().any(|d| d.starts_with("fuzz.csv:2")), "{table:?}");
    // Shape byte 8: tab-separated, no header, one number column.
    let relation = stance::session::untrusted::relation_table(b"\x08one\n");
    assert!(relation.iter().any(|d| d.starts_with("fuzz.facts:1")), "{relation:?}");
    let claim = stance::session::untrusted::claim(b"backs(\"Egypt\")");
    assert!(claim.iter().any(|d| d.contains("E012")), "{claim:?}");
    // A pattern: matched, proved, asked why-not, and reviewed as a claims file.
    let pattern = stance::session::untrusted::claim(b"aligned(x, \"Haftar\")");
    assert_eq!(pattern[0], "2 matches", "{pattern:?}");
    assert!(pattern.iter().any(|o| o.starts_with("aligned(\"Egypt\", \"Haftar\")\n")), "{pattern:?}");
    let review = stance::session::untrusted::claim(b"count aligned(_, \"Haftar\") = 2.");
    assert!(review.iter().any(|o| o.starts_with("SUPPORTED  count aligned(_, \"Haftar\") = 2")), "{review:?}");
    let bare = stance::session::untrusted::claim(b"aligned(x, Haftar)");
    assert!(bare.iter().any(|o| o.contains("warning[W007]")), "{bare:?}");
}
