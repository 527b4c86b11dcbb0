//! `stance infer --profile FILE` and `stance profile FILE`: the profile's counts are the
//! tuples of the output, exactly, and its structure is the same on every run.

use serde_json::Value as Json;

#[path = "common/run.rs"]
mod run;
use run::{project, repo, stance, stderr, stdout};

const TC: &str = "\
.decl edge(x: number, y: number)
.input edge
.decl path(x: number, y: number)
.output path
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
.decl reach(y: number)
.output reach
reach(y) :- path(1, y).
";

/// Runs `infer --format json --profile prof.json` in `dir`: the output and the profile.
fn profiled(dir: &std::path::Path, extra: &[&str]) -> (Json, Json) {
    let mut args = vec!["infer", "--format", "json", "--profile", "prof.json"];
    args.extend_from_slice(extra);
    let o = stance(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let output: Json = serde_json::from_slice(&o.stdout).unwrap();
    let profile: Json = serde_json::from_slice(&std::fs::read(dir.join("prof.json")).unwrap()).unwrap();
    (output, profile)
}

/// The profile with every time set to zero: what must not vary between runs.
fn without_times(mut j: Json) -> Json {
    match &mut j {
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                *v = if k == "seconds" { Json::from(0) } else { without_times(v.take()) };
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|v| *v = without_times(v.take())),
        _ => {}
    }
    j
}

/// Per relation of the profile: tuples, input tuples, and its rules' tuples summed.
fn counts(profile: &Json, rel: &str) -> (u64, u64, u64) {
    let r = profile["relations"].as_array().unwrap().iter().find(|r| r["relation"] == rel).unwrap();
    let by_rules = profile["rules"].as_array().unwrap().iter().filter(|r| r["head"] == rel);
    (
        r["tuples"].as_u64().unwrap(),
        r["input_tuples"].as_u64().unwrap(),
        by_rules.map(|r| r["tuples"].as_u64().unwrap()).sum(),
    )
}

#[test]
fn profile_counts_are_the_tuples_of_the_output() {
    let dir = project(&[("rules/tc.dl", TC), ("facts/edge.facts", "1\t2\n2\t3\n3\t4\n4\t1\n5\t6\n")]);
    let (output, profile) = profiled(dir.path(), &[]);
    let rules: Vec<(&str, u64, u64)> = profile["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["text"].as_str().unwrap(), r["rounds"].as_u64().unwrap(), r["tuples"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("path(x, y) :- edge(x, y).", 5, 5),
            ("path(x, z) :- path(x, y), edge(y, z).", 5, 12),
            ("reach(y) :- path(1, y).", 2, 4),
        ]
    );
    assert_eq!(counts(&profile, "edge"), (5, 5, 0));
    assert_eq!(counts(&profile, "path"), (17, 0, 17));
    assert_eq!(counts(&profile, "reach"), (4, 0, 4));
    for rel in output["relations"].as_array().unwrap() {
        let name = rel["name"].as_str().unwrap();
        assert_eq!(counts(&profile, name).0, rel["tuples"].as_array().unwrap().len() as u64, "{name}");
    }
    let strata: Vec<(String, u64)> = profile["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["relations"].to_string(), s["rounds"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        strata,
        [(r#"["edge"]"#.to_string(), 1), (r#"["path"]"#.to_string(), 5), (r#"["reach"]"#.to_string(), 2)]
    );
    assert_eq!(profile["tuples"], 26);
}

#[test]
fn the_example_profile_matches_its_output_and_is_the_same_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let rules = repo().join("rules");
    let facts = repo().join("facts");
    let extra = ["--rules", rules.to_str().unwrap(), "--facts", facts.to_str().unwrap()];
    let (output, first) = profiled(dir.path(), &extra);
    for rel in output["relations"].as_array().unwrap() {
        let name = rel["name"].as_str().unwrap();
        let (tuples, input, by_rules) = counts(&first, name);
        assert_eq!(tuples, rel["tuples"].as_array().unwrap().len() as u64, "{name}");
        assert_eq!(tuples, input + by_rules, "{name}");
    }
    let (_, second) = profiled(dir.path(), &extra);
    assert_eq!(without_times(first), without_times(second));
}

#[test]
fn profile_prints_the_slowest_rules() {
    let dir = project(&[("rules/tc.dl", TC), ("facts/edge.facts", "1\t2\n2\t3\n")]);
    let (_, _) = profiled(dir.path(), &[]);
    let o = stance(dir.path(), &["profile", "prof.json", "--top", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0].starts_with("total ") && lines[0].ends_with(" s, 3 strata, 3 rules, 7 tuples (5 derived)"),
        "{text}"
    );
    assert_eq!(lines[1], "   time s      %  rounds        tuples  rule");
    assert_eq!(lines[4], "(1 more rule; --top N shows more)");
}

#[test]
fn a_file_that_is_not_a_profile_is_refused_with_its_place() {
    let dir = project(&[("prof.json", "{\"version\": 1,\n \"seconds\": \"x\"}")]);
    let o = stance(dir.path(), &["profile", "prof.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("prof.json:2:"), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a profile written by `stance infer --profile`"), "{}", stderr(&o));
}

/// `--profile` naming a file the run reads (a rule file, a fact table) is refused before
/// anything runs, and the file is left as it was.
#[test]
fn a_profile_never_overwrites_an_input() {
    let dir = project(&[("rules/tc.dl", TC), ("edge.facts", "1\t2\n2\t3\n")]);
    for input in ["rules/tc.dl", "edge.facts"] {
        let before = std::fs::read(dir.path().join(input)).unwrap();
        let o = stance(dir.path(), &["infer", "--profile", input]);
        assert_eq!(o.status.code(), Some(2), "{input}: {}", stderr(&o));
        assert_eq!(
            stderr(&o),
            format!(
                "error[E062]: --profile `{input}` would overwrite a file this run reads\n \
                 = help: give --profile another file\n\nerror: 1 error found\n"
            )
        );
        assert_eq!(stdout(&o), "");
        assert_eq!(std::fs::read(dir.path().join(input)).unwrap(), before, "{input} changed");
    }
}
