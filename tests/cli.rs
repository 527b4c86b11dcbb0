//! The `stance` binary end to end: exact outputs, files written, diagnostics and exit codes.

use serde_json::Value as Json;
use std::process::{Command, Stdio};

#[path = "common/run.rs"]
mod run;
use run::{project, repo, stance, stance_stdin, stderr, stdout};

/// The tuples of `rel` in `infer --format json`, without the `grade` column graded data adds.
fn tuples(json: &Json, rel: &str) -> Vec<Vec<String>> {
    let mut rows = graded_tuples(json, rel);
    let rels = json["relations"].as_array().unwrap();
    let r = rels.iter().find(|r| r["name"] == rel).unwrap();
    if r["columns"].as_array().unwrap().last().is_some_and(|c| c == "grade") {
        rows.iter_mut().for_each(|row| drop(row.pop()));
    }
    rows
}

/// The tuples of `rel` in `infer --format json`, every column.
fn graded_tuples(json: &Json, rel: &str) -> Vec<Vec<String>> {
    let rels = json["relations"].as_array().unwrap();
    let r = rels.iter().find(|r| r["name"] == rel).unwrap_or_else(|| panic!("no relation {rel}"));
    r["tuples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_array().unwrap().iter().map(|v| v.as_str().map(String::from).unwrap_or(v.to_string())).collect())
        .collect()
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect()
}

#[test]
fn example_knowledge_base_derives_the_expected_stances() {
    let o = stance(&repo(), &["infer", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: Json = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = json["relations"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["aligned", "conflict", "engages_both_sides", "hedges", "neutral_courted", "support_count", "widely_backed"]
    );
    let aligned = tuples(&json, "aligned");
    assert_eq!(aligned.len(), 98);
    for pair in [["Egypt", "Haftar"], ["Egypt", "Tobruk"], ["Russia", "Haftar"], ["UN", "Sarraj"]] {
        assert!(aligned.contains(&vec![pair[0].to_string(), pair[1].to_string()]), "{pair:?}");
    }
    assert!(!aligned.contains(&vec!["Algeria".to_string(), "Haftar".to_string()]));
    assert_eq!(tuples(&json, "conflict").len(), 78);
    assert_eq!(
        tuples(&json, "hedges"),
        strings(&[&["Kremlin", "Tobruk", "GNA"], &["Russia", "Haftar", "GNA"], &["Russia", "Tobruk", "GNA"]])
    );
    assert_eq!(
        tuples(&json, "engages_both_sides"),
        strings(&[
            &["Kremlin", "GNA", "Tobruk"],
            &["Kremlin", "Tobruk", "GNA"],
            &["Russia", "GNA", "Haftar"],
            &["Russia", "GNA", "Tobruk"],
            &["Russia", "Haftar", "GNA"],
            &["Russia", "Tobruk", "GNA"],
        ])
    );
    assert_eq!(tuples(&json, "neutral_courted"), strings(&[&["Algeria"]]));
    assert_eq!(tuples(&json, "support_count"), strings(&[&["GNA", "1"], &["Libyan rebels", "1"], &["Tobruk", "5"]]));
    assert_eq!(tuples(&json, "widely_backed"), strings(&[&["Tobruk"]]));
}

#[test]
fn output_is_byte_identical_across_runs() {
    let a = stance(&repo(), &["infer"]);
    let b = stance(&repo(), &["infer"]);
    assert_eq!(a.status.code(), Some(0));
    assert!(!a.stdout.is_empty());
    assert_eq!(a.stdout, b.stdout);
}

const TC: &str = r#"
.decl edge(x: number, y: number)
.input edge
.decl path(x: number, y: number)
.output path
.printsize path
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
"#;

#[test]
fn reads_facts_files_and_writes_souffle_style_outputs() {
    let dir = project(&[("rules/tc.dl", TC), ("facts/edge.facts", "1\t2\n2\t3\n")]);
    let o = stance(dir.path(), &["infer", "--output-dir", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Files only, as Soufflé's `-D`; `.printsize` still prints.
    assert_eq!(stdout(&o), "path\t3\n");
    assert_eq!(std::fs::read_to_string(dir.path().join("out/path.csv")).unwrap(), "1\t2\n1\t3\n2\t3\n");
}

/// `--print` adds the tables (in `--format`) to the files.
#[test]
fn output_dir_with_print_also_prints_the_relations() {
    let dir = project(&[("rules/tc.dl", TC), ("facts/edge.facts", "1\t2\n2\t3\n")]);
    let o = stance(dir.path(), &["infer", "--output-dir", "out", "--print"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "path (3 tuples)\n  x  y\n  1  2\n  1  3\n  2  3\npath\t3\n");
    assert_eq!(std::fs::read_to_string(dir.path().join("out/path.csv")).unwrap(), "1\t2\n1\t3\n2\t3\n");
    let o = stance(dir.path(), &["infer", "--output-dir", "out", "--print", "--format", "csv"]);
    assert_eq!(stdout(&o), "relation,x,y\npath,1,2\npath,1,3\npath,2,3\npath\t3\n");
}

/// Negative numbers are stored after the others; files and tables still list them first.
#[test]
fn negative_numbers_are_written_in_numeric_order() {
    let rules = ".decl n(x: number, y: number)\n.output n\nn(-2, 1). n(3, -1). n(3, 2). n(-10, 0).\n";
    let dir = project(&[("rules/n.dl", rules)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--output-dir", "out", "--print"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("out/n.csv")).unwrap(), "-10\t0\n-2\t1\n3\t-1\n3\t2\n");
    assert_eq!(stdout(&o), "n (4 tuples)\n  x    y\n  -10  0\n  -2   1\n  3    -1\n  3    2\n");
}

#[test]
fn csv_and_json_formats() {
    let dir = project(&[("rules/tc.dl", TC), ("facts/edge.facts", "1\t2\n2\t3\n")]);
    let o = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!(stdout(&o), "relation,x,y\npath,1,2\npath,1,3\npath,2,3\npath\t3\n");
    let o = stance(dir.path(), &["infer", "--format", "json", "--relation", "edge"]);
    assert_eq!(
        stdout(&o),
        concat!(
            "{\"meta\":{\"as_of\":null,\"engine\":\"datafrog\",\"schema_version\":1,\"stance_version\":\"",
            env!("CARGO_PKG_VERSION"),
            "\"},\"relations\":[{\"name\":\"edge\",\"columns\":[\"x\",\"y\"],\"types\":[\"number\",\"number\"],\"tuples\":[[1,2],[2,3]]}]}\npath\t3\n"
        )
    );
}

#[test]
fn input_options_filename_delimiter_headers() {
    let rules = r#"
.decl edge(x: symbol, y: symbol)
.input edge(filename="links.csv", delimiter=",", headers=true)
.decl two(x: symbol, z: symbol)
two(x, z) :- edge(x, y), edge(y, z).
"#;
    let dir = project(&[("rules/r.dl", rules), ("facts/links.csv", "from,to\na,b\nb,c\n")]);
    let o = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "relation,x,z\ntwo,a,c\n");
}

#[test]
fn relation_csv_with_header_is_read_when_no_facts_file() {
    let rules = ".decl w(name: symbol, n: number)\n.input w\n.decl big(name: symbol)\nbig(x) :- w(x, n), n > 5.\n";
    let dir = project(&[("rules/r.dl", rules), ("facts/w.csv", "name,n\nalpha,3\nbeta,9\n")]);
    let o = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "relation,name\nbig,beta\n");
}

#[test]
fn statement_tables_need_no_declaration() {
    let rules = ".decl aligned(x: symbol, z: symbol)\naligned(x, z) :- backs(x, y), relies_on(y, z).\n";
    let facts = "subject,relation,object,source,date,quote\nEgypt,backs,Tobruk,The New Arab,2016-11-28,\"backing from Egypt, as well as\"\nTobruk,relies on,Haftar,The New Arab,2016-11-28,counts on Haftar\n";
    let dir = project(&[("rules/a.dl", rules), ("facts/s.csv", facts)]);
    let o = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "relation,x,z\naligned,Egypt,Haftar\n");
}

#[test]
fn rules_from_standard_input() {
    let dir = project(&[]);
    let o = stance_stdin(
        dir.path(),
        &["infer", "--rules", "-", "--format", "csv"],
        ".decl a(x: number)\n.decl b(x: number)\na(1). a(2).\nb(x + 1) :- a(x).\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "relation,x\nb,2\nb,3\n");
}

#[test]
fn syntax_error_is_located_and_shown() {
    let dir = project(&[("rules/bad.dl", ".decl a(x: number)\na(1).\nb(x) :- a(x)\n")]);
    let o = stance(dir.path(), &["infer"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[E001]"), "{err}");
    assert!(err.contains("rules/bad.dl:3:"), "{err}");
    assert!(err.contains("b(x) :- a(x)"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn unknown_relation_suggests_a_name() {
    let dir =
        project(&[("rules/r.dl", ".decl backs(x: symbol, y: symbol)\n.decl a(x: symbol)\na(x) :- bakcs(x, _).\n")]);
    let o = stance(dir.path(), &["infer", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "rules/r.dl:3:9: error[E010]: unknown relation `bakcs`\n");
    let o = stance(dir.path(), &["infer"]);
    assert!(stderr(&o).contains("help: did you mean `backs`?"), "{}", stderr(&o));
}

#[test]
fn json_diagnostics_carry_code_and_location() {
    let dir = project(&[("rules/r.dl", ".decl a(x: number)\n.decl b(x: number)\nb(x) :- a(x, 1).\n")]);
    let o = stance(dir.path(), &["infer", "--diagnostic-format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let line = stderr(&o);
    let d: Json = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(d["code"], "E012");
    assert_eq!(d["name"], "arity-mismatch");
    assert_eq!(d["primary"]["file"], "rules/r.dl");
    assert_eq!(d["primary"]["line"], 3);
    assert_eq!(d["primary"]["column"], 9);
    assert_eq!(d["primary"]["text"], "a(x, 1)");
    assert_eq!(d["secondary"][0]["line"], 1);
}

#[test]
fn every_unsupported_construct_is_named() {
    let cases = [
        (".decl a(x: number)\na(1.5).\n", "float constant"),
        (".decl a(x: number)\n.decl b(x: number)\nb(m) :- a(_), m = mean x : { a(x) }.\n", "mean"),
        (".decl a(x: number)\n.decl b(x: number)\nb(y) :- a(x), y = @f(x).\n", "@f"),
        (".decl a(x: number)\na(x) <= a(y) :- x < y.\n", "subsumptive"),
        (".decl a(x: number)\n.limitsize a(n=5)\n", "limitsize"),
    ];
    for (program, word) in cases {
        let dir = project(&[("rules/r.dl", program)]);
        let o = stance(dir.path(), &["infer", "--diagnostic-format", "short"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{program}: {err}");
        assert!(err.contains("rules/r.dl:"), "{program}: {err}");
        assert!(err.to_lowercase().contains(word), "{program}: expected `{word}` in {err}");
    }
}

#[test]
fn unstratifiable_negation_names_the_cycle() {
    let program =
        ".decl a(x: number)\n.decl b(x: number)\n.decl c(x: number)\na(1).\nb(x) :- a(x), !c(x).\nc(x) :- b(x).\n";
    let dir = project(&[("rules/r.dl", program)]);
    let o = stance(dir.path(), &["infer"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[E015]"), "{err}");
    assert!(err.contains("`b` → `c` → `b`"), "{err}");
    assert!(err.contains("rules/r.dl:5:15"), "{err}");
}

#[test]
fn bad_csv_rows_are_located() {
    let facts = "subject,relation,object,source\nEgypt,backs,Tobruk,x\nUAE,backs\n";
    let dir = project(&[("rules/r.dl", ".decl a(x: symbol)\na(x) :- backs(x, _).\n"), ("facts/s.csv", facts)]);
    let o = stance(dir.path(), &["infer", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("facts/s.csv:3:1: error[E021]: expected 4 fields, found 2"), "{err}");
}

#[test]
fn non_number_in_a_number_column() {
    let dir = project(&[("rules/tc.dl", TC), ("facts/edge.facts", "1\t2\nx\t3\n")]);
    let o = stance(dir.path(), &["infer", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("facts/edge.facts:2:1: error[E021]: `x` is not a number"), "{}", stderr(&o));
}

#[test]
fn missing_input_file_is_an_error() {
    let dir = project(&[("rules/tc.dl", TC), ("facts/other.facts", "")]);
    let o = stance(dir.path(), &["infer", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[E020]: input file `edge.facts` for `edge` not found"), "{}", stderr(&o));
}

#[test]
fn paths_outside_the_facts_directory_are_refused() {
    let rules = ".decl e(x: number)\n.input e(filename=\"/etc/passwd\")\n.decl f(x: number)\n.input f(filename=\"../f.facts\")\n";
    let dir = project(&[("rules/r.dl", rules)]);
    let o = stance(dir.path(), &["infer", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("absolute file name `/etc/passwd` is refused"), "{err}");
    assert!(err.contains("leaves the facts or output directory"), "{err}");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let dir = project(&[("rules/tc.dl", TC), ("facts/edge.facts", "1\t2\n")]);
    assert_eq!(stance(dir.path(), &["infer", "--rules", "nowhere"]).status.code(), Some(2));
    assert_eq!(stance(dir.path(), &["infer", "--facts", "nowhere"]).status.code(), Some(2));
    assert_eq!(stance(dir.path(), &["infer", "--format", "xml"]).status.code(), Some(2));
    let o = stance(dir.path(), &["infer", "--relation", "pth"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `path`?"), "{}", stderr(&o));
}

#[test]
fn runaway_recursion_is_stopped_by_max_tuples() {
    let program = ".decl n(x: number)\nn(0).\nn(x + 1) :- n(x).\n";
    let dir = project(&[("rules/r.dl", program)]);
    let o = stance(dir.path(), &["infer", "--max-tuples", "1000", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("relation `n` grew beyond 1000 tuples"), "{}", stderr(&o));
    let o = stance(dir.path(), &["infer", "--timeout", "0.2", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("ran out of time") && stderr(&o).contains("`n`"), "{}", stderr(&o));
}

#[test]
fn help_documents_exit_codes_and_examples() {
    let o = stance(&repo(), &["infer", "--help"]);
    let out = stdout(&o);
    assert!(out.contains("Exit codes:") && out.contains("stance infer --format json"), "{out}");
}

#[test]
fn explain_plan_shows_each_rule_and_its_joins() {
    let dir = project(&[("rules/tc.dl", TC), ("facts/edge.facts", "1\t2\n")]);
    let o = stance(dir.path(), &["infer", "--explain-plan"]);
    let err = stderr(&o);
    assert!(err.contains("// path(x, z) :- path(x, y), edge(y, z).  [rules/tc.dl:8]"), "{err}");
    assert!(err.contains("lookup edge[by [0]] on [y] (_, z)"), "{err}");
}

#[test]
fn check_command_reports_without_evaluating() {
    let o = stance(&repo(), &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("ok: "), "{}", stderr(&o));
}

#[test]
fn a_program_that_asks_only_for_sizes_prints_only_sizes() {
    let tc = TC.replace(".output path\n", "");
    let dir = project(&[("rules/tc.dl", &tc), ("facts/edge.facts", "1\t2\n2\t3\n")]);
    for format in ["table", "csv", "json"] {
        let o = stance(dir.path(), &["infer", "--format", format]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let expected = if format == "json" {
            concat!(
                "{\"meta\":{\"as_of\":null,\"engine\":\"datafrog\",\"schema_version\":1,\"stance_version\":\"",
                env!("CARGO_PKG_VERSION"),
                "\"},\"relations\":[]}\npath\t3\n"
            )
        } else {
            "path\t3\n"
        };
        assert_eq!(stdout(&o), expected, "{format}");
    }
    // Asking for a relation by name still prints it.
    let o = stance(dir.path(), &["infer", "--relation", "path", "--format", "csv"]);
    assert_eq!(stdout(&o), "relation,x,y\npath,1,2\npath,1,3\npath,2,3\npath\t3\n");
}

#[test]
fn a_closed_pipe_stops_quietly_in_every_format() {
    let dir = project(&[("rules/n.dl", ".decl n(x: number)\nn(x) :- x = range(0, 300000).\n")]);
    for format in ["table", "csv", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stance"))
            .current_dir(dir.path())
            .args(["infer", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 16];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut head).unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{format}");
    }
}

/// A sum of many terms is read as Soufflé reads it (it used to be "nesting too deep" past
/// 256 terms), and a diagnostic on a very long line shows a window of it around the span,
/// with the line's real column, instead of echoing the whole line.
#[test]
fn long_sums_and_long_lines() {
    let terms: Vec<String> = (1..=20_000).map(|i| i.to_string()).collect();
    let sum = terms.join(" + ");
    let dir = project(&[("rules/r.dl", &format!(".decl p(x: number)\np(x) :- x = {sum} - 1.\n"))]);
    let o = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("relation,x\np,{}\n", 20_000 * 20_001 / 2 - 1));

    let padding = "1 + ".repeat(500_000);
    let dir = project(&[("rules/r.dl", &format!(".decl p(x: number)\np(x) :- x = {padding}y.\n"))]);
    let o = stance(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.len() < 2_000, "{} bytes of diagnostics", err.len());
    let column = "p(x) :- x = ".len() + padding.len() + 1;
    assert!(err.contains(&format!("┌─ rules/r.dl:2:{column}\n")), "{err}");
    let window = format!("2 │ …{}y.\n", "1 + ".repeat(20));
    assert!(err.lines().any(|l| format!("{l}\n").ends_with(&window) && l.starts_with("2 │ …1 + ")), "{err}");
    let o = stance(dir.path(), &["check", "--diagnostic-format", "json"]);
    assert!(stderr(&o).len() < 2_000, "{} bytes of diagnostics", stderr(&o).len());
}

/// A sum that does not fit in 32 bits stops the run with its location and writes nothing
/// (Soufflé would print a wrapped, negative total).
#[test]
fn an_aggregate_that_overflows_stops_with_its_location() {
    let dir = project(&[
        (
            "rules/pay.dl",
            ".decl pay(who: symbol, amount: number)\n.input pay\n.decl total(t: number)\n.output total\ntotal(t) :- t = sum a : { pay(_, a) }.\n",
        ),
        ("facts/pay.facts", "a\t2000000000\nb\t2000000000\n"),
    ]);
    let o = stance(dir.path(), &["infer", "--output-dir", "out"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert!(!dir.path().join("out/total.csv").exists());
    assert_eq!(
        stderr(&o),
        "error[E030]: this sum does not fit in a 32-bit number\n  ┌─ rules/pay.dl:5:17\n  │\n5 │ total(t) :- t = sum a : { pay(_, a) }.\n  │                 ^^^^^^^^^^^^^^^^^^^^^ the sum is beyond -2147483648..2147483647\n  │\n  = help: Soufflé would wrap around to a wrong total; stance stops instead\n\nerror: 1 error found\n"
    );
}

/// A `match` condition in a proof shows the call with its arguments' values.
#[test]
fn explain_shows_a_match_condition_with_its_values() {
    let rules = ".decl name(x: symbol)\nname(\"Haftar\"). name(\"Tobruk\").\n.decl h(x: symbol)\nh(x) :- name(x), match(\"[HS].*r.*\", x).\n";
    let dir = project(&[("rules/m.dl", rules)]);
    let o = stance(dir.path(), &["explain", "--no-facts", "h(\"Haftar\")"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "h(\"Haftar\")\n│  by h(x) :- name(x), match(\"[HS].*r.*\", x).  [rules/m.dl:4]\n│  with x = \"Haftar\"\n├─ name(\"Haftar\")\n│     stated in rules/m.dl:2\n└─ holds: match(\"[HS].*r.*\", \"Haftar\")\n"
    );
}

/// Both engines share the functor table and the aggregate rules: `--engine compare` runs
/// them side by side and fails on any difference; the simple engine stops on overflow too.
#[test]
fn both_engines_agree_on_functors_and_nested_aggregates() {
    let rules = r#"
.decl a(x: number, y: number)
a(1, 10). a(1, 11). a(2, 20).
.decl b(x: number)
b(1). b(2). b(3).
.decl name(x: symbol)
name("Haftar"). name("sarraj"). name("Tobruk").
.decl n(c: number)
n(c) :- c = count : { b(x), k = count : { a(x, _) }, k > 0 }.
.decl r(x: number)
r(x) :- x = range(4, 9, 0).
r(x / -1 + x % -1) :- x = -2147483648.
.decl s(x: symbol, o: number, l: symbol, m: symbol)
s(x, ord(x), lower(x), min(x, "b")) :- name(x), match("[A-Z].*", x), !contains("ob", x).
.output n, r, s
"#;
    let dir = project(&[("rules/f.dl", rules)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "compare", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "relation,c\nn,2\nrelation,x\nr,-2147483648\nr,4\nrelation,x,o,l,m\ns,Haftar,0,haftar,Haftar\n"
    );
    let overflow = ".decl n(x: number)\nn(2147483647). n(1).\n.decl t(s: number)\nt(s) :- s = sum x : { n(x) }.\n";
    let dir = project(&[("rules/o.dl", overflow)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "simple", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("rules/o.dl:4:13: error[E030]: this sum does not fit in a 32-bit number"),
        "{}",
        stderr(&o)
    );
}

/// `autoinc()` numbers tuples in the order of a full evaluation: a query with constants,
/// which is otherwise goal-directed, evaluates such a program in full and finds the same
/// numbers as `infer`.
#[test]
fn autoinc_numbers_are_the_same_for_a_bound_query() {
    let rules = ".decl b(x: number)\nb(30). b(10). b(20).\n.decl u(n: number, x: number)\nu(n, x) :- b(x), x > 10, n = $ + 100.\n";
    let dir = project(&[("rules/a.dl", rules)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--format", "csv"]);
    assert_eq!(stdout(&o), "relation,n,x\nu,100,20\nu,101,30\n", "{}", stderr(&o));
    let o = stance(dir.path(), &["query", "--no-facts", "--format", "csv", "u(n, 30)"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "relation,n,x\nu,101,30\n");
    let o = stance(dir.path(), &["explain", "--no-facts", "u(101, 30)"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}
