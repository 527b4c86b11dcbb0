//! Tables as R and pandas write them, end to end: `tests/realworld/<case>/` holds a rule file
//! and a `facts/` directory whose `.csv` files are byte for byte what `write.csv` (R: every
//! string and the header quoted, a row-name column `""`, `""` for a quote, `NA` for a
//! missing value) and `to_csv` (pandas: an unnamed index column, quotes only where needed)
//! produce. None of the `.input`s names a delimiter or `rfc4180`.

#[path = "common/run.rs"]
mod run;
use run::{repo, stance, stderr, stdout};
use std::path::PathBuf;

fn case(name: &str) -> PathBuf {
    repo().join("tests/realworld").join(name)
}

fn infer(name: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec!["infer", "--rules", "rules.dl", "--facts", "facts", "--format", "csv"];
    args.extend(extra);
    let out = stance(&case(name), &args);
    (out.status.code(), stdout(&out), stderr(&out))
}

/// Columns bind by name (`side` and `country` in the other order, `note` and R's row names
/// ignored); quoted commas, doubled quotes and a newline inside a field are read.
#[test]
fn r_write_csv_binds_columns_by_name() {
    let (code, out, err) = infer("r_write_csv", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "relation,country,side\nmajor,\"Egypt, Arab Republic of\",LNA\nmajor,Russia,LNA\nmajor,USA,GNA\n");
    assert_eq!(err, "");
}

#[test]
fn pandas_to_csv_with_its_index_column() {
    let (code, out, err) = infer("pandas_to_csv", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "relation,x,y\nsame_side,\"Egypt, Arab Republic of\",Russia\nsame_side,Qatar,Turkey\n");
}

/// A statement table from R (row-name column ignored, quotes as metadata): `--as-of` reads
/// each row's `date` with the loader's splitting, so the statement dated 2020 (whose quote
/// has a `"` inside) is not valid in 2016, and R's `NA` is no date.
#[test]
fn r_statement_table_as_of_and_metadata() {
    let (code, out, err) = infer("r_statements", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "relation,x,y\nally,Egypt,Kremlin\nally,Egypt,UAE\nally,Kremlin,UAE\n");
    let (code, out, err) = infer("r_statements", &["--as-of", "2016-01-01"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "relation,x,y\nally,Egypt,UAE\n");
    let out = stance(
        &case("r_statements"),
        &["explain", "ally(\"Egypt\", \"Kremlin\")", "--rules", "rules.dl", "--facts", "facts"],
    );
    let text = stdout(&out);
    assert!(
        text.contains("stated in facts/statements.csv:2\n│     date: 2020-01-01\n│     quote: “a 5\" gun”\n"),
        "{text}"
    );
    assert!(text.contains("quote: “plain, with a comma”\n"), "{text}");
}

/// The same with a hand-written table whose unquoted field holds a `"` (`a 5" gun`): the
/// old `--as-of` splitter toggled quoting there and read the next row's date.
#[test]
fn as_of_with_a_quote_inside_an_unquoted_field() {
    let dir = run::project(&[
        (
            "rules/r.dl",
            ".decl ally(x: symbol, y: symbol)\n.output ally\nally(x, y) :- backs(x, z), backs(y, z), x < y.\n",
        ),
        (
            "facts/statements.csv",
            "subject,relation,object,quote,date\n\
             Kremlin,backs,Tobruk,a 5\" gun,2020-01-01\n\
             Egypt,backs,Tobruk,plain,2015-01-01\n\
             UAE,backs,Tobruk,plain,2015-02-01\n",
        ),
    ]);
    let out = stance(dir.path(), &["infer", "--as-of", "2016-01-01", "--format", "csv"]);
    assert_eq!(stdout(&out), "relation,x,y\nally,Egypt,UAE\n", "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));
}

/// `comment="#"` skips comment lines; a `.csv` with a tab in its first line, like Soufflé's
/// `.facts`, stays tab-separated and verbatim (quotes are characters, not quoting).
#[test]
fn comment_lines_and_tab_separated_csv() {
    let dir = run::project(&[
        (
            "rules/r.dl",
            ".decl r(a: symbol, n: number)\n.input r(filename=\"r.csv\", comment=\"#\", headers=true)\n.output r\n\
             .decl t(a: symbol, b: symbol)\n.input t(filename=\"t.csv\")\n.output t\n\
             .decl u(a: symbol, b: symbol)\n.input u\n.output u\n",
        ),
        ("facts/r.csv", "# exported by hand\nn,a\n1,x\n# 2,y\n3,\"#z\"\n"),
        ("facts/t.csv", "a\t\"b,c\"\n"),
        ("facts/u.facts", "\"USA\"\tb,c\n"),
    ]);
    let out = stance(dir.path(), &["infer", "--format", "csv"]);
    assert_eq!(
        stdout(&out),
        "relation,a,n\nr,#z,3\nr,x,1\nrelation,a,b\nt,a,\"\"\"b,c\"\"\"\nrelation,a,b\nu,\"\"\"USA\"\"\",\"b,c\"\n",
        "{}",
        stderr(&out)
    );
    let out = stance(dir.path(), &["check", "--diagnostic-format", "short"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// `A\xff` and `A\xfe` are two actors: invalid UTF-8 is an error at the byte, not a merge.
#[test]
fn invalid_utf8_in_a_table_is_located() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    std::fs::write(dir.path().join("rules/r.dl"), ".decl r(a: symbol)\n.input r(filename=\"r.csv\")\n.output r\n")
        .unwrap();
    std::fs::write(dir.path().join("facts/r.csv"), b"A\xff\nA\xfe\n").unwrap();
    let out = stance(dir.path(), &["infer", "--diagnostic-format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "facts/r.csv:1:2: error[E021]: invalid UTF-8: byte 0xff\nfacts/r.csv:2:2: error[E021]: invalid UTF-8: byte 0xfe\n"
    );
    assert_eq!(stdout(&out), "");
}

/// One row with an unquoted comma: one error, no "unknown relation" for the table's other
/// relations (the whole table used to be dropped).
#[test]
fn one_bad_row_is_one_error() {
    let dir = run::project(&[
        (
            "rules/r.dl",
            ".decl ally(x: symbol, y: symbol)\n.output ally\nally(x, y) :- backs(x, y).\nally(x, y) :- funds(x, y).\n",
        ),
        ("facts/statements.csv", "subject,relation,object,quote\nA,backs,B,ok\nC,funds,D,one, two\nE,funds,F,ok\n"),
    ]);
    let out = stance(dir.path(), &["check", "--diagnostic-format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "facts/statements.csv:3:1: error[E021]: expected 4 fields, found 5\n");
}

/// A typo in a statement table's header is a warning naming the expected columns.
#[test]
fn statement_header_typo_is_a_warning() {
    let dir = run::project(&[
        ("rules/r.dl", ".decl seen(x: symbol)\n.output seen\nseen(\"x\").\n"),
        ("facts/statements.csv", "subjet,relation,object\nA,backs,B\n"),
    ]);
    let out = stance(dir.path(), &["check", "--diagnostic-format", "short"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        "facts/statements.csv:1:1: warning[W007]: `facts/statements.csv` is not read: it is not a statement table, and no `.input` reads it\n\
         ok: 1 relation, 0 rules, 0 facts from tables, 1 warning\n"
    );
    let out = stance(dir.path(), &["check", "--diagnostic-format", "short", "--deny-warnings"]);
    assert_eq!(out.status.code(), Some(1));
}
