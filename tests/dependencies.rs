//! Every direct dependency in `Cargo.toml` (and `fuzz/Cargo.toml`) has an entry in
//! `DEPENDENCIES.md` saying why it is there, and every entry names a real dependency. This
//! stands in for `cargo audit`, which needs a network connection (see DEPENDENCIES.md).

use std::collections::BTreeSet;
use std::path::Path;

/// The dependency names of a manifest: keys of every `[*dependencies]` table.
fn direct_dependencies(manifest: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_deps = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line.trim_matches(['[', ']']).ends_with("dependencies");
            continue;
        }
        if in_deps && let Some((key, _)) = line.split_once('=') {
            let key = key.trim();
            let name = key.split('.').next().unwrap_or(key).trim_matches('"');
            if !name.is_empty() && !name.starts_with('#') {
                names.insert(name.to_string());
            }
        }
    }
    names
}

#[test]
fn every_direct_dependency_is_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut deps = direct_dependencies(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap());
    deps.extend(direct_dependencies(&std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap()));
    deps.remove("stance"); // the fuzz crate's path dependency on this one
    let doc = std::fs::read_to_string(root.join("DEPENDENCIES.md")).unwrap();
    let documented: BTreeSet<String> =
        doc.lines().filter_map(|l| l.strip_prefix("### ")).map(|n| n.trim().to_string()).collect();
    let missing: Vec<&String> = deps.difference(&documented).collect();
    assert!(missing.is_empty(), "add a `### name` entry saying why to DEPENDENCIES.md for: {missing:?}");
    let stale: Vec<&String> = documented.difference(&deps).collect();
    assert!(stale.is_empty(), "DEPENDENCIES.md lists dependencies that Cargo.toml no longer has: {stale:?}");
}

#[test]
fn manifest_parsing_finds_every_form() {
    let manifest = "[package]\nname = \"x\"\n[dependencies]\na = \"1\"\nb = { version = \"2\" }\nc.workspace = true\n\n[dev-dependencies]\n# a comment = no\nd = \"3\"\n[[bench]]\nname = \"e\"\n";
    let names: Vec<String> = direct_dependencies(manifest).into_iter().collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
}
