//! A new user's first steps: `stance init`, shell completions, the man page, and the
//! summary lines they read first.

#[path = "common/run.rs"]
mod run;
use run::{project, stance, stderr, stdout};

#[test]
fn init_makes_a_project_that_passes_check_review_contradictions_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let o = stance(dir.path(), &["init", "new project"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "created new project/README.md\ncreated new project/facts/statements.csv\ncreated new project/rules/stances.dl\n\
         created new project/claims/stances.claims\n\
         next: cd 'new project' && stance check && stance review claims/ && stance report --claims claims/ -o report.html\n"
    );
    let root = dir.path().join("new project");
    let o = stance(&root, &["check", "--deny-warnings"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (Some(0), "ok: 5 relations, 6 rules, 1 constraint, 3 facts from tables\n")
    );
    let o = stance(&root, &["review", "claims/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("4 claims: 4 passed, 0 failed\n"), "{}", stdout(&o));
    let o = stance(&root, &["contradictions"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), "no constraint is violated (1 constraint checked)\n"));
    let o = stance(&root, &["report", "--claims", "claims/", "-o", "report.html"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(root.join("report.html")).unwrap();
    assert!(
        html.contains("conflict(&quot;Dave&quot;, &quot;Carol&quot;)") && html.contains("badge SUPPORTED"),
        "{html}"
    );
}

#[test]
fn init_never_replaces_a_file_and_writes_nothing_when_one_is_there() {
    let dir = project(&[("p/rules/stances.dl", "// mine\n")]);
    let o = stance(dir.path(), &["init", "p"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error[E022]: not initialising `p`: `p/rules/stances.dl` already exists; stance init never replaces a file \
         (choose an empty directory)\n\nerror: 1 error found\n"
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("p/rules/stances.dl")).unwrap(), "// mine\n");
    assert!(!dir.path().join("p/README.md").exists() && !dir.path().join("p/facts").exists());
}

#[test]
fn completions_and_man_pages_are_generated_from_the_real_flags() {
    let dir = tempfile::tempdir().unwrap();
    let o = stance(dir.path(), &["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bash = stdout(&o);
    assert!(bash.starts_with("_stance() {"), "{bash}");
    for word in ["infer", "graph", "init", "serve", "--as-of", "--deny-contradictions"] {
        assert!(bash.contains(word), "bash completions lack {word}");
    }
    let o = stance(dir.path(), &["completions", "fish"]);
    assert!(stdout(&o).contains("complete -c stance"), "{}", stdout(&o));

    let o = stance(dir.path(), &["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(&format!(".TH stance 1  \"stance {}\"", env!("CARGO_PKG_VERSION"))), "{page}");
    assert!(page.contains("review"), "{page}");
    let o = stance(dir.path(), &["man", "infer"]);
    let page = stdout(&o);
    assert!(page.contains(&format!(".TH stance-infer 1  \"stance-infer {}\"", env!("CARGO_PKG_VERSION"))), "{page}");
    assert!(page.contains("\\-\\-deny\\-contradictions"), "{page}");
    let o = stance(dir.path(), &["man", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no subcommand `nope` (known: infer, check,"), "{}", stderr(&o));
}

#[test]
fn check_counts_in_the_singular_and_plural() {
    let dir = project(&[("rules/r.dl", ".decl p(x: symbol)\n.output p\np(\"a\").\np(x) :- p(x), x = \"b\".\n")]);
    let o = stance(dir.path(), &["check"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), "ok: 1 relation, 1 rule, 0 facts from tables\n"));
}

/// The relation of a statement row stays usable when its last row goes: the help of the
/// error leads to `.input rel(IO=statements)`, which then reads rows as they come back.
#[test]
fn a_relation_whose_last_statement_row_is_deleted_can_stay_declared() {
    let header = "subject,relation,object,source,date,quote\n";
    let rules =
        ".decl conflict(x: symbol, y: symbol)\n.output conflict\nconflict(x, y) :- rejects(x, y), !recognises(x, y).\n";
    let rows = "Haftar,rejects,GNA,The New Arab,2016-11-28,q\nKremlin,rejects,GNA,The New Arab,2016-11-28,q\n";
    let dir = project(&[("rules/r.dl", rules), ("facts/statements.csv", &format!("{header}{rows}"))]);
    let o = stance(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "= help: declare it with `.decl recognises(...)`, or, for a relation of statement rows that has none now, \
             `.decl recognises(subject: symbol, object: symbol)` with `.input recognises(IO=statements)`"
        ),
        "{}",
        stderr(&o)
    );
    let fixed = format!("{rules}.decl recognises(subject: symbol, object: symbol)\n.input recognises(IO=statements)\n");
    std::fs::write(dir.path().join("rules/r.dl"), &fixed).unwrap();
    let o = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "relation,x,y\nconflict,Haftar,GNA\nconflict,Kremlin,GNA\n");
    // A row that comes back is read.
    let back = format!("{header}{rows}Kremlin,recognises,GNA,The New Arab,2016-06,q\n");
    std::fs::write(dir.path().join("facts/statements.csv"), back).unwrap();
    let o = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "relation,x,y\nconflict,Haftar,GNA\n"));
}

/// Every JSON output records what changes its answers: the layout's version, stance's
/// version, `--as-of` and the engine; the graph's CSV says the same in its first line.
#[test]
fn every_json_output_records_the_version_the_date_and_the_engine() {
    let repo = run::repo();
    let meta = serde_json::json!({
        "schema_version": 1,
        "stance_version": env!("CARGO_PKG_VERSION"),
        "as_of": "2016-11-28",
        "engine": "datafrog",
    });
    let as_of = ["--as-of", "2016-11-28"];
    let commands: [&[&str]; 5] = [
        &["infer", "--format", "json"],
        &["query", "aligned(x, \"Haftar\")", "--format", "json"],
        &["review", "claims/libya.claims", "--format", "json"],
        &["contradictions", "--format", "json"],
        &["graph", "--format", "json"],
    ];
    for args in commands {
        let o = stance(&repo, &[args, &as_of[..]].concat());
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(json["meta"], meta, "{args:?}");
    }
    let o = stance(&repo, &["diff", "--as-of-before", "2016-06-30", "--as-of-after", "2016-11-28", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((&json["meta"]["as_of"], &json["meta"]["as_of_before"]), (&meta["as_of"], &"2016-06-30".into()));
    let csv = stdout(&stance(&repo, &["graph", "--format", "csv"]));
    assert!(
        csv.starts_with(&format!("# stance {}, all dates, engine datafrog\nsource,target,", env!("CARGO_PKG_VERSION")))
    );
    let page = stdout(&stance(&repo, &["report", "--as-of", "2016-11-28"]));
    assert!(page.contains(&format!("stance {}, as of 2016-11-28, engine datafrog", env!("CARGO_PKG_VERSION"))));
}
