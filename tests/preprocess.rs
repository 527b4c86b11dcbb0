//! The C preprocessor lines Soufflé programs use (`#include`, `#define`, `#if`…), run as a
//! Soufflé user runs a program: `stance infer --output-dir`, files compared byte for byte.
//! Also the threat model: an `#include` never reads outside the rules directory.

#[path = "common/run.rs"]
mod run;
use run::{project, stance, stderr, stdout};

/// `stance infer` over `rules/` with the facts written in the rules; the output files named.
fn outputs(dir: &std::path::Path, files: &[&str]) -> Vec<String> {
    let o = stance(dir, &["infer", "--rules", "rules", "--no-facts", "--output-dir", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    files.iter().map(|f| std::fs::read_to_string(dir.join("out").join(f)).unwrap()).collect()
}

#[test]
fn includes_defines_and_conditionals_make_one_program() {
    let dir = project(&[
        (
            "rules/main.dl",
            "#include \"lib/graph.dl\"\n#define START \"a\"\n#ifdef UNDIRECTED\nedge(y, x) :- edge(x, y).\n#endif\n\
             EDGE(START, \"b\").\nEDGE(\"b\",\n     \"c\").\n.decl from_start(x: symbol)\nfrom_start(y) :- reach(START, y).\n\
             .output from_start\n",
        ),
        (
            "rules/lib/graph.dl",
            "#pragma once\n#define EDGE(x, y) edge(x, y)\n.decl edge(x: symbol, y: symbol)\n\
             .decl reach(x: symbol, y: symbol)\nreach(x, y) :- edge(x, y).\nreach(x, z) :- reach(x, y), edge(y, z).\n\
             #if defined(EDGE) && 2 > 1\n.output reach\n#else\nnot parsed (\n#endif\n",
        ),
    ]);
    assert_eq!(outputs(dir.path(), &["from_start.csv", "reach.csv"]), ["b\nc\n", "a\tb\na\tc\nb\tc\n"]);
}

#[test]
fn an_included_file_in_the_rules_directory_is_read_once() {
    // The included file is also in `rules/`: no declaration twice, and the including file
    // sees its macros whether it is read before (`a_types.dl`) or after (`types.dl`) it.
    for (types, main) in [("a_types.dl", "main.dl"), ("types.dl", "a_main.dl")] {
        let main_text = format!("#include \"{types}\"\n.decl q(x: number)\nq(x + ONE) :- p(x).\n.output q\n");
        let dir = project(&[
            (&format!("rules/{types}"), ".decl p(x: number)\n#define ONE 1\np(ONE).\n"),
            (&format!("rules/{main}"), &main_text),
        ]);
        assert_eq!(outputs(dir.path(), &["q.csv"]), ["2\n"], "{types} with {main}");
    }
}

#[test]
fn an_error_in_an_included_file_names_that_file_and_line() {
    let dir = project(&[
        ("rules/main.dl", "#include \"other.dl\"\n.decl p(x: number)\np(1).\n"),
        ("rules/other.dl", ".decl q(x: number)\n\nq(x) :- r(x).\n"),
    ]);
    let o = stance(dir.path(), &["check", "--rules", "rules", "--no-facts"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("rules/other.dl:3:9"), "{}", stderr(&o));
}

#[test]
fn an_include_never_reads_outside_the_rules_directory() {
    let dir = project(&[("secret.dl", ".decl secret(x: symbol)\nsecret(\"pw\").\n.output secret\n")]);
    let outside = dir.path().join("secret.dl");
    let cases = [
        ("#include \"../secret.dl\"\n".to_string(), "E060"),
        (format!("#include \"{}\"\n", outside.display()), "E003"),
        ("#include <secret.dl>\n".to_string(), "E003"),
    ];
    for (text, code) in cases {
        std::fs::create_dir_all(dir.path().join("rules")).unwrap();
        std::fs::write(dir.path().join("rules/main.dl"), &text).unwrap();
        let o = stance(dir.path(), &["infer", "--rules", "rules", "--no-facts"]);
        assert_eq!(o.status.code(), Some(1), "{text}: {}", stderr(&o));
        assert!(stderr(&o).contains(code), "{text}: {}", stderr(&o));
        assert!(!stdout(&o).contains("pw"), "{text} read the file outside");
    }
    // A symlink inside the rules directory that leads out of it.
    #[cfg(unix)]
    {
        std::fs::create_dir_all(dir.path().join("rules/sub")).unwrap();
        std::os::unix::fs::symlink(&outside, dir.path().join("rules/sub/link.dl")).unwrap();
        std::fs::write(dir.path().join("rules/main.dl"), "#include \"sub/link.dl\"\n").unwrap();
        let o = stance(dir.path(), &["infer", "--rules", "rules/main.dl", "--no-facts"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("E060"), "{}", stderr(&o));
        assert!(!stdout(&o).contains("pw"));
    }
}

#[test]
fn error_directives_unknown_directives_and_macro_misuse_are_located_errors() {
    let dir = project(&[(
        "rules/main.dl",
        "#define PAIR(a, b) p(a, b)\n.decl p(x: number, y: number)\nPAIR(1).\n#ifndef RELEASE\n#error not for release\n#endif\n#frob\n",
    )]);
    let o = stance(dir.path(), &["check", "--rules", "rules", "--no-facts"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for expected in [
        "error[E003]: macro `PAIR` takes 2 arguments, 1 given",
        "rules/main.dl:3:1",
        "error[E003]: #error not for release",
        "rules/main.dl:5:1",
        "error[E003]: unknown preprocessor directive `#frob`",
        "rules/main.dl:7:1",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in\n{err}");
    }
}

#[test]
fn macros_that_double_each_other_stop_with_an_error() {
    let mut text = String::from("#define A0 x\n");
    for i in 1..48 {
        text.push_str(&format!("#define A{i} A{p} A{p}\n", p = i - 1));
    }
    text.push_str(".decl p(x: symbol)\np(\"A47\") :- A47.\n");
    let dir = project(&[("rules/main.dl", &text)]);
    let o = stance(dir.path(), &["check", "--rules", "rules", "--no-facts"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("macros make this file larger than"), "{}", stderr(&o));
}

#[test]
fn fmt_keeps_preprocessor_lines_and_macro_uses_as_written() {
    let text = "#include \"types.dl\" // the types\n#define E(a,b) \\\n  edge(a,b)\n#ifdef X\n.decl  edge(a:number,b:number)\n#endif\nE(1,2).\n";
    let dir = project(&[("rules/main.dl", text), ("rules/types.dl", "")]);
    let o = run::stance_stdin(dir.path(), &["fmt", "-"], text);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "#include \"types.dl\" // the types\n#define E(a,b) \\\n  edge(a,b)\n#ifdef X\n.decl edge(a: number, b: number)\n#endif\nE(1, 2).\n"
    );
}

#[test]
fn a_program_on_standard_input_may_define_but_not_include() {
    let program = "#define N 41\n.decl p(x: number)\np(N + 1).\n.output p\n";
    let dir = project(&[]);
    let o = run::stance_stdin(dir.path(), &["infer", "--rules", "-", "--no-facts", "--format", "csv"], program);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("42"), "{}", stdout(&o));
    let o = run::stance_stdin(dir.path(), &["infer", "--rules", "-", "--no-facts"], "#include \"x.dl\"\n");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("E003"), "{}", stderr(&o));
}
