//! `stance diff` and `--as-of` end to end: exact outputs and exit codes, between two
//! directories, two revisions of a git repository made by the test, and two dates.

use serde_json::Value as Json;
use std::path::Path;
use std::process::Command;

#[path = "common/run.rs"]
mod run;
use run::{stance, stderr, stdout};

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

const STATEMENTS: &str = "\
subject,relation,object,source,date,quote
Egypt,backs,Tobruk,The New Arab,2016-11-28,Tobruk has received backing from neighbouring Egypt
UAE,backs,Tobruk,The New Arab,2016-11-28,as well as the United Arab Emirates
Qatar,funds,GNA,Example,2016-10,Qatar funds the GNA
";

const RULES: &str = "\
.decl ally(x: symbol, y: symbol)
ally(x, y) :- backs(x, z), backs(y, z), x != y.
";

/// The same first rule laid out differently, with `x < y` (each pair once), and a new rule.
const RULES_EDITED: &str = "\
.decl ally(x: symbol, y: symbol)
// Each pair once.
ally(x, y) :-
    backs(x, z),
    backs(y, z),
    x < y.
ally(x, y) :- funds(x, y).
";

/// Two project directories, `old` and `new`, under one temporary directory.
fn versions(old: &[(&str, &str)], new: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("old"), old);
    write(&dir.path().join("new"), new);
    dir
}

#[test]
fn rule_edit_between_directories_adds_and_removes_tuples() {
    let dir = versions(
        &[("rules/r.dl", RULES), ("facts/statements.csv", STATEMENTS)],
        &[("rules/r.dl", RULES_EDITED), ("facts/statements.csv", STATEMENTS)],
    );
    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new"]);
    assert_eq!(stderr(&out), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "\
before: old
after:  new

ally: 1 added, 1 removed
  - ally(\"UAE\", \"Egypt\")
      broken by: rule removed or changed: ally(x, y) :- backs(x, z), backs(y, z), x != y.  [old/rules/r.dl:2]
  + ally(\"Qatar\", \"GNA\")
      proof: ally(\"Qatar\", \"GNA\") <= new/rules/r.dl:7[funds(\"Qatar\", \"GNA\")@new/facts/statements.csv:4]

1 added, 1 removed in 1 relation
"
    );
    // The same bytes on every run.
    assert_eq!(stdout(&stance(dir.path(), &["diff", "--before", "old", "--after", "new"])), stdout(&out));
    // --exit-code: 1 when the derived tuples differ.
    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn removed_statement_is_named_with_its_source_and_a_moved_rule_is_not() {
    let fewer =
        STATEMENTS.replace("UAE,backs,Tobruk,The New Arab,2016-11-28,as well as the United Arab Emirates\n", "");
    // The after-version's rule is the same rule, reformatted and moved down a line.
    let moved = format!("{}\n\n{}", RULES.lines().next().unwrap(), RULES.lines().nth(1).unwrap().replace(", ", ","));
    let dir = versions(
        &[("rules/r.dl", RULES), ("facts/statements.csv", STATEMENTS)],
        &[("rules/r.dl", &moved), ("facts/statements.csv", &fewer)],
    );
    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new"]);
    assert_eq!(stderr(&out), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "\
before: old
after:  new

ally: 0 added, 2 removed
  - ally(\"Egypt\", \"UAE\")
      broken by: statement removed: backs(\"UAE\", \"Tobruk\")  [old/facts/statements.csv:3]
        source: The New Arab, date: 2016-11-28
        quote: \u{201c}as well as the United Arab Emirates\u{201d}
  - ally(\"UAE\", \"Egypt\")
      broken by: statement removed: backs(\"UAE\", \"Tobruk\")  [old/facts/statements.csv:3]

0 added, 2 removed in 1 relation
"
    );

    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: Json = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["before"], serde_json::json!({"version": "old", "as_of": null}));
    assert_eq!(json["after"], serde_json::json!({"version": "new", "as_of": null}));
    assert_eq!((json["added"].as_u64(), json["removed"].as_u64()), (Some(0), Some(2)));
    let ally = &json["relations"][0];
    assert_eq!(ally["name"], "ally");
    assert_eq!(ally["constraint"], false);
    let removed = &ally["removed"][0];
    assert_eq!(removed["tuple"], serde_json::json!(["Egypt", "UAE"]));
    assert_eq!(
        removed["broken_by"],
        serde_json::json!([{
            "kind": "fact",
            "atom": "backs(\"UAE\", \"Tobruk\")",
            "file": "old/facts/statements.csv",
            "line": 3,
            "metadata": {"source": "The New Arab", "date": "2016-11-28", "quote": "as well as the United Arab Emirates"},
        }])
    );
    assert_eq!(removed["proof"]["conclusion"], "ally(\"Egypt\", \"UAE\")");
}

#[test]
fn negation_that_now_fails_is_named() {
    let rules = "\
.decl ally(x: symbol, y: symbol)
.decl rivals(x: symbol, y: symbol)
.input rivals
ally(x, y) :- backs(x, z), backs(y, z), x != y, !rivals(x, y).
";
    let old = [("rules/r.dl", rules), ("facts/statements.csv", STATEMENTS), ("facts/rivals.facts", "")];
    let new = [("rules/r.dl", rules), ("facts/statements.csv", STATEMENTS), ("facts/rivals.facts", "UAE\tEgypt\n")];
    let dir = versions(&old, &new);
    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new"]);
    assert_eq!(stderr(&out), "");
    assert!(
        stdout(&out).contains(
            "  - ally(\"UAE\", \"Egypt\")\n      broken by: negation no longer holds: !rivals(\"UAE\", \"Egypt\") \
             (now rivals(\"UAE\", \"Egypt\") holds)\n"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn identical_versions_differ_in_nothing() {
    let files = [("rules/r.dl", RULES), ("facts/statements.csv", STATEMENTS)];
    let dir = versions(&files, &files);
    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "before: old\nafter:  new\n\nno derived tuple added or removed\n");
}

#[test]
fn errors_name_the_version_they_are_in() {
    let dir = versions(
        &[("rules/r.dl", RULES), ("facts/statements.csv", STATEMENTS)],
        &[("rules/r.dl", "ally(x, y) :- backs(x y).\n"), ("facts/statements.csv", STATEMENTS)],
    );
    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new", "--diagnostic-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let first: Json = serde_json::from_str(stderr(&out).lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "E001");
    assert_eq!(first["primary"]["file"], "new/rules/r.dl");
    assert_eq!(first["notes"], serde_json::json!(["in the after-version (new)"]));

    let out = stance(dir.path(), &["diff", "--before", "missing", "--after", "new"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("directory `missing` does not exist"), "{}", stderr(&out));
    assert!(stderr(&out).contains("in the before-version (missing)"), "{}", stderr(&out));

    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new", "--rules", "/etc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`/etc` must be a relative path inside each version"), "{}", stderr(&out));

    let out = stance(dir.path(), &["diff"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nothing to compare"), "{}", stderr(&out));
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A git repository with two commits (the rule edit is the second), and an uncommitted
/// removal of the UAE statement in the working tree.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, &[("rules/r.dl", RULES), ("facts/statements.csv", STATEMENTS)]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "first"]);
    git(root, &["tag", "first"]);
    write(root, &[("rules/r.dl", RULES_EDITED)]);
    git(root, &["commit", "-q", "-am", "each pair once; funding allies"]);
    let fewer =
        STATEMENTS.replace("UAE,backs,Tobruk,The New Arab,2016-11-28,as well as the United Arab Emirates\n", "");
    write(root, &[("facts/statements.csv", &fewer)]);
    dir
}

/// The header names the revision and its commit: replace the commit id, which differs by run.
fn without_commit_ids(text: &str) -> String {
    text.lines()
        .map(|l| match (l.find(" ("), l.ends_with(')')) {
            (Some(i), true) if l.starts_with("before:") || l.starts_with("after:") => format!("{} (<commit>)", &l[..i]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn diff_between_two_revisions() {
    let repo = repository();
    let out = stance(repo.path(), &["diff", "first", "main"]);
    assert_eq!(stderr(&out), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        without_commit_ids(&stdout(&out)),
        "\
before: first (<commit>)
after:  main (<commit>)

ally: 1 added, 1 removed
  - ally(\"UAE\", \"Egypt\")
      broken by: rule removed or changed: ally(x, y) :- backs(x, z), backs(y, z), x != y.  [first:rules/r.dl:2]
  + ally(\"Qatar\", \"GNA\")
      proof: ally(\"Qatar\", \"GNA\") <= main:rules/r.dl:7[funds(\"Qatar\", \"GNA\")@main:facts/statements.csv:4]

1 added, 1 removed in 1 relation"
    );
}

#[test]
fn diff_of_a_revision_against_the_working_tree() {
    let repo = repository();
    let out = stance(repo.path(), &["diff", "HEAD"]);
    assert_eq!(stderr(&out), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        without_commit_ids(&stdout(&out)),
        "\
before: HEAD (<commit>)
after:  working tree

ally: 0 added, 1 removed
  - ally(\"Egypt\", \"UAE\")
      broken by: statement removed: backs(\"UAE\", \"Tobruk\")  [HEAD:facts/statements.csv:3]
        source: The New Arab, date: 2016-11-28
        quote: \u{201c}as well as the United Arab Emirates\u{201d}

0 added, 1 removed in 1 relation"
    );
    // From a subdirectory, paths are relative to it, as everywhere else.
    write(repo.path(), &[("sub/rules/r.dl", RULES)]);
    let out = stance(&repo.path().join("sub"), &["diff", "HEAD", "--no-facts"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`rules` does not exist at revision `HEAD`"), "{}", stderr(&out));
}

#[test]
fn bad_revisions_and_no_repository_are_usage_errors() {
    let repo = repository();
    let out = stance(repo.path(), &["diff", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("error[E041]: unknown revision `no-such-branch`"), "{}", stderr(&out));
    let out = stance(repo.path(), &["diff", "--", "--output=x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown revision `--output=x`"), "{}", stderr(&out));

    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), &[("rules/r.dl", RULES), ("facts/statements.csv", STATEMENTS)]);
    let out = stance(plain.path(), &["diff", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not in a git repository"), "{}", stderr(&out));
    assert!(stderr(&out).contains("in the before-version (HEAD)"), "{}", stderr(&out));
}

/// Kremlin's backing is reported in June 2016; Qatar's ended in March 2016; the UAE's is
/// undated (always valid).
const DATED: &str = "\
subject,relation,object,source,date,until
Kremlin,backs,Tobruk,A,2016-06,
Egypt,backs,Tobruk,B,2016-11-28,
Qatar,backs,Tobruk,C,2015,2016-03-31
UAE,backs,Tobruk,D,,
";

fn dated_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rules = ".decl ally(x: symbol, y: symbol)\n.output ally\nally(x, y) :- backs(x, z), backs(y, z), x < y.\n";
    write(dir.path(), &[("rules/r.dl", rules), ("facts/statements.csv", DATED)]);
    dir
}

#[test]
fn as_of_keeps_the_statements_valid_on_the_day() {
    let dir = dated_project();
    let ally = |day: &str| stdout(&stance(dir.path(), &["infer", "--as-of", day, "--format", "csv"]));
    // `until` is inclusive: Qatar's backing holds on 2016-03-31, not the day after.
    assert_eq!(ally("2016-03-31"), "relation,x,y\nally,Qatar,UAE\n");
    assert_eq!(ally("2016-04-01"), "relation,x,y\n");
    // A month stands for its first day as `date`: the Kremlin's backing counts from June 1.
    assert_eq!(ally("2016-05-31"), "relation,x,y\n");
    assert_eq!(ally("2016-06-01"), "relation,x,y\nally,Kremlin,UAE\n");
    assert_eq!(ally("2016-11-28"), "relation,x,y\nally,Egypt,Kremlin\nally,Egypt,UAE\nally,Kremlin,UAE\n");
    // Without --as-of every statement counts.
    let all = stdout(&stance(dir.path(), &["infer", "--format", "csv"]));
    assert_eq!(all.lines().count(), 7);

    let out = stance(dir.path(), &["explain", "ally(\"Kremlin\", \"UAE\")", "--as-of", "2016-05-31"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("`ally(\"Kremlin\", \"UAE\")` does not hold"), "{}", stderr(&out));
    let out = stance(dir.path(), &["explain", "ally(\"Kremlin\", \"UAE\")", "--as-of", "2016-06-01"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("stated in facts/statements.csv:2\n"), "{}", stdout(&out));

    // Every command built on the project flags takes it.
    let out = stance(dir.path(), &["query", "ally(x, \"UAE\")", "--as-of", "2016-06-01", "--format", "csv"]);
    assert_eq!((out.status.code(), stdout(&out)), (Some(0), "relation,x,y\nally,Kremlin,UAE\n".to_string()));
    let out = stance(dir.path(), &["why-not", "ally(\"Egypt\", \"UAE\")", "--as-of", "2016-06-01"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("why not ally(\"Egypt\", \"UAE\")?\n"), "{}", stdout(&out));
}

#[test]
fn diff_between_two_dates() {
    let dir = dated_project();
    let out = stance(dir.path(), &["diff", "--as-of-before", "2016-03-31", "--as-of-after", "2016-06-30"]);
    assert_eq!(stderr(&out), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "\
before: working tree as of 2016-03-31
after:  working tree as of 2016-06-30

ally: 1 added, 1 removed
  - ally(\"Qatar\", \"UAE\")
      broken by: statement removed: backs(\"Qatar\", \"Tobruk\")  [facts/statements.csv:4]
        source: C, date: 2015, until: 2016-03-31
  + ally(\"Kremlin\", \"UAE\")
      proof: ally(\"Kremlin\", \"UAE\") <= rules/r.dl:3[backs(\"Kremlin\", \"Tobruk\")@facts/statements.csv:2; backs(\"UAE\", \"Tobruk\")@facts/statements.csv:5]

1 added, 1 removed in 1 relation
"
    );
    let out = stance(
        dir.path(),
        &["diff", "--as-of-before", "2016-03-31", "--as-of-after", "2016-06-30", "--format", "json"],
    );
    let json: Json = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["before"], serde_json::json!({"version": "working tree", "as_of": "2016-03-31"}));
    assert_eq!(json["relations"][0]["added"][0]["atom"], "ally(\"Kremlin\", \"UAE\")");
    // --as-of applies to both versions; the specific flags override it.
    let out = stance(dir.path(), &["diff", "--as-of", "2016-06-30", "--as-of-before", "2016-03-31"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("before: working tree as of 2016-03-31\nafter:  working tree as of 2016-06-30\n"));
}

#[test]
fn malformed_dates() {
    let dir = dated_project();
    let out = stance(dir.path(), &["infer", "--as-of", "2016-02-30"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`2016-02-30` is not a date of the form YYYY-MM-DD"), "{}", stderr(&out));
    let out = stance(dir.path(), &["diff", "--as-of-before", "2016-06"]);
    assert_eq!(out.status.code(), Some(2));

    write(
        dir.path(),
        &[(
            "facts/statements.csv",
            &DATED.replace("Egypt,backs,Tobruk,B,2016-11-28,", "Egypt,backs,Tobruk,B,28/11/2016,"),
        )],
    );
    // Without --as-of the dates are metadata, not checked.
    assert_eq!(stance(dir.path(), &["infer"]).status.code(), Some(0));
    let out = stance(dir.path(), &["infer", "--as-of", "2016-12-01", "--diagnostic-format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "facts/statements.csv:3:22: error[E040]: `28/11/2016` in column `date` is not a date\n");
    let out = stance(dir.path(), &["infer", "--as-of", "2016-12-01"]);
    assert!(
        stderr(&out).contains("3 │ Egypt,backs,Tobruk,B,28/11/2016,\n  │                      ^^^^^^^^^^ not a date"),
        "{}",
        stderr(&out)
    );
}

/// A constraint's hidden relation shows as violations introduced and resolved, matched by
/// the constraint's text even when it moves and another constraint comes before it.
#[test]
fn violations_introduced_and_resolved() {
    let rules = "\
.decl ally(x: symbol, y: symbol)
ally(x, y) :- backs(x, z), backs(y, z), x != y.
:- ally(x, y), funds(x, y).
";
    let rules_moved = "\
.decl ally(x: symbol, y: symbol)
:- backs(x, x).
ally(x, y) :- backs(x, z), backs(y, z), x != y.
:- ally(x, y), funds(x, y).
";
    let old_facts = STATEMENTS;
    let new_facts = format!("{STATEMENTS}Egypt,funds,UAE,Example,2016-12,Egypt funds the UAE\n");
    let dir = versions(
        &[("rules/r.dl", rules), ("facts/statements.csv", old_facts)],
        &[("rules/r.dl", rules_moved), ("facts/statements.csv", &new_facts)],
    );
    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: Json = serde_json::from_slice(&out.stdout).unwrap();
    let relations = json["relations"].as_array().unwrap();
    assert_eq!(relations.len(), 1, "{json}");
    assert_eq!(relations[0]["name"], ":- ally(x, y), funds(x, y).");
    assert_eq!(relations[0]["constraint"], true);
    assert_eq!(relations[0]["added"][0]["tuple"], serde_json::json!(["Egypt", "UAE"]));
    assert_eq!(relations[0]["removed"].as_array().unwrap().len(), 0);
    let out = stance(dir.path(), &["diff", "--before", "old", "--after", "new"]);
    let shown = stdout(&out);
    assert!(shown.contains("violations of `:- ally(x, y), funds(x, y).`: 1 introduced, 0 resolved"), "{shown}");
    assert!(shown.contains("Egypt") && shown.contains("UAE"), "{shown}");
    // The hidden relation's name is printed nowhere: the proof shows the violation's bindings.
    assert!(
        shown.contains(
            "  + x = \"Egypt\", y = \"UAE\"\n      proof: violation(x = \"Egypt\", y = \"UAE\") <= new/rules/r.dl:4["
        ),
        "{shown}"
    );
    let json_text = String::from_utf8(
        stance(dir.path(), &["diff", "--before", "old", "--after", "new", "--format", "json"]).stdout,
    )
    .unwrap();
    for text in [&shown, &json_text] {
        assert!(!text.contains('$'), "{text}");
    }
    assert_eq!(relations[0]["added"][0]["proof"]["relation"], ":- ally(x, y), funds(x, y).");
    let plan = stance(dir.path(), &["infer", "--rules", "new/rules", "--facts", "new/facts", "--explain-plan"]);
    assert!(stderr(&plan).contains("insert into violations of constraint 2\n"), "{}", stderr(&plan));
    assert!(!stderr(&plan).contains('$'), "{}", stderr(&plan));
    // And back: the violation is resolved.
    let out = stance(dir.path(), &["diff", "--before", "new", "--after", "old"]);
    assert!(
        stdout(&out).contains("violations of `:- ally(x, y), funds(x, y).`: 0 introduced, 1 resolved"),
        "{}",
        stdout(&out)
    );
}
