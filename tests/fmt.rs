//! `stance fmt`: the formatted program derives exactly what the original derives, formatting
//! twice changes nothing, and every comment survives. Over every rule file in the
//! repository, and over generated programs.

use stance::base::source::FileId;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fmt(text: &str) -> String {
    stance::lang::fmt::format_text(FileId(0), text).unwrap_or_else(|e| panic!("does not parse: {e:?}\n{text}"))
}

fn comment_texts(text: &str) -> Vec<String> {
    stance::lang::fmt::comments(text).into_iter().map(|(s, e)| text[s..e].trim_end().to_string()).collect()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.dl` file in the repository that parses (the diagnostics corpus has broken ones).
fn rule_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy();
            if p.is_dir() && !name.starts_with('.') && name != "target" {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "dl") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo(), &mut out);
    out.sort();
    out
}

#[test]
fn every_rule_file_formats_idempotently_and_keeps_its_comments() {
    let mut formatted = 0;
    for path in rule_files() {
        // tests/malformed/ has rule files that are not UTF-8 on purpose.
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if stance::lang::fmt::format_text(FileId(0), &text).is_err() {
            continue;
        }
        let once = fmt(&text);
        assert_eq!(fmt(&once), once, "not idempotent: {}", path.display());
        assert_eq!(comment_texts(&once), comment_texts(&text), "comments changed: {}", path.display());
        formatted += 1;
    }
    assert!(formatted >= 10, "only {formatted} files formatted");
}

fn infer_json(dir: &Path, rules: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["infer", "--format", "json", "--rules"])
        .arg(rules)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_example_derives_the_same_after_formatting() {
    let dir = tempfile::tempdir().unwrap();
    for path in std::fs::read_dir(repo().join("rules")).unwrap() {
        let path = path.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let formatted = dir.path().join(path.file_name().unwrap());
        std::fs::write(&formatted, fmt(&text)).unwrap();
        assert_eq!(infer_json(&repo(), &formatted), infer_json(&repo(), &path), "{}", path.display());
    }
}

/// The doc comment (and so the `@display` sentence) of every rule of a file.
fn rule_docs(text: &str) -> Vec<Vec<String>> {
    let (file, errors) = stance::lang::syntax::parse_file(FileId(0), text);
    assert!(errors.is_empty(), "{errors:?}");
    file.items
        .iter()
        .filter_map(|i| if let stance::lang::syntax::ast::Item::Rule(r) = i { Some(r.doc.clone()) } else { None })
        .collect()
}

/// Comments inside a rule stay inside it. Moved above the rule (as `fmt` used to), a
/// `/* */` comment detached the `@display` line above it, and a `//` one became part of the
/// rule's doc comment: formatting changed what `explain` prints.
#[test]
fn comments_inside_rules_stay_in_place() {
    let text = "\
.decl q(x: symbol, y: symbol)
.decl p(x: symbol, y: symbol)
// @display \"{x} backs {y}\"
p(x, y) :- /* block */
    q(x, y).
p(x, y) :- q(y, x), // a trailing remark
    // @display \"not a display: inside the rule\"
    x != y.
p(x,y) :- q(x,y) /* end */.
p(x, y) :- q(x,y)
   // at the end
   .
q(\"c\", // c
 \"d\").
";
    let once = fmt(text);
    assert_eq!(
        once,
        "\
.decl q(x: symbol, y: symbol)
.decl p(x: symbol, y: symbol)

// @display \"{x} backs {y}\"
p(x, y) :- /* block */
    q(x, y).

p(x, y) :-
    q(y, x), // a trailing remark
    // @display \"not a display: inside the rule\"
    x != y.

p(x, y) :- q(x, y). /* end */

p(x, y) :-
    q(x, y)
    // at the end
    .

q(\"c\", \"d\") // c
    .
"
    );
    assert_eq!(fmt(&once), once);
    assert_eq!(comment_texts(&once), comment_texts(text));
    assert_eq!(rule_docs(&once), rule_docs(text));

    // End to end: `explain` prints the same display sentence after `stance fmt`.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/r.dl"), &text[..text.find("p(x, y) :- q(y, x)").unwrap()]).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("rules/r.dl"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"q(\"a\", \"b\").\n"))
        .unwrap();
    let explain = || {
        let o = Command::new(env!("CARGO_BIN_EXE_stance"))
            .args(["explain", "p(\"a\", \"b\")"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let before = explain();
    assert!(before.contains("\u{201c}a backs b\u{201d}"), "{before}");
    // The rule is shown without its comments.
    assert!(before.contains("by p(x, y) :- q(x, y).  [rules/r.dl:4]"), "{before}");
    let status = Command::new(env!("CARGO_BIN_EXE_stance")).args(["fmt", "rules"]).current_dir(dir.path()).status();
    assert!(status.unwrap().success());
    // The same proof; only line numbers moved.
    let unlocated = |s: String| -> String {
        s.split("rules/r.dl:")
            .enumerate()
            .map(|(i, p)| if i == 0 { p } else { p.trim_start_matches(|c: char| c.is_ascii_digit()) })
            .collect()
    };
    assert_eq!(unlocated(explain()), unlocated(before));
}

#[test]
fn fmt_check_and_rewrite_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.dl");
    std::fs::write(&file, ".decl p(x:number)\np(1).p(2).\n// end\n").unwrap();
    let run =
        |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_stance")).args(args).current_dir(dir.path()).output().unwrap();
    let check = run(&["fmt", "--check", "a.dl"]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&check.stdout), "a.dl\n");
    assert!(run(&["fmt", "a.dl"]).status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), ".decl p(x: number)\np(1).\np(2).\n// end\n");
    assert!(run(&["fmt", "--check", "."]).status.success());
    // A file with syntax errors is refused and left alone.
    std::fs::write(&file, "p(1) :- .\n").unwrap();
    let broken = run(&["fmt", "a.dl"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("E001"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "p(1) :- .\n");
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.next(xs.len() as u64) as usize]
    }
}

const COMMENTS: &[&str] = &["", "", "", " // note", " /* why */"];

fn expr(g: &mut Gen, vars: &[&str], depth: u32) -> String {
    if depth == 0 || g.next(3) == 0 {
        return match g.next(3) {
            0 => (g.next(7) as i64 - 3).to_string(),
            _ => g.pick(vars).to_string(),
        };
    }
    let a = expr(g, vars, depth - 1);
    let b = expr(g, vars, depth - 1);
    match g.next(8) {
        0 => format!("({a} + {b})"),
        1 => format!("{a} - {b}"),
        2 => format!("{a} * ({b})"),
        3 => format!("-({a})"),
        4 => format!("({a}) band {b}"),
        5 => format!("max({a}, {b})"),
        6 => format!("{a} % 5"),
        _ => format!("({a}) ^ 2"),
    }
}

fn program(seed: u64) -> String {
    let mut g = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut s = String::from("// generated\n.decl e(x: number, y: number)\n.decl p(x: number, y: number)\n");
    s.push_str(".decl q(x: number)\n.decl r(x: number, n: number)\n.output p, q, r\n\n");
    for _ in 0..(3 + g.next(6)) {
        let c = g.pick(COMMENTS);
        s.push_str(&format!("e({}, {}).{c}\n", g.next(6), g.next(6)));
    }
    let vars = ["x", "y", "z"];
    // p: recursive closure variants with filters and arithmetic.
    s.push_str("p(x, y) :- e(x, y).\n");
    for _ in 0..(1 + g.next(3)) {
        let filt = match g.next(4) {
            0 => format!(", {} < {}", expr(&mut g, &vars, 2), expr(&mut g, &vars, 1)),
            1 => format!(", {} != {}", g.pick(&vars), expr(&mut g, &vars, 2)),
            2 => String::from(", (x = y ; y < 3)"),
            _ => String::new(),
        };
        let c = g.pick(COMMENTS);
        s.push_str(&format!("p(x, z) :-{c}\n  p(x, y),   e(y, z){filt}.\n"));
    }
    // q: negation of the lower stratum, and a computed head.
    s.push_str(&format!("q(x) :- e(x, _), !p(x, x), x > {}.\n", g.next(4)));
    s.push_str(&format!("q(z) :- e(x, y), z = {}, z >= -5, z <= 50.\n", expr(&mut g, &vars[..2], 3)));
    // r: aggregates.
    let agg = g.pick(&["count : { p(x, _) }", "sum y : { p(x, y) }", "max y : p(x, y)", "min y + 1 : { e(x, y) }"]);
    s.push_str(&format!("r(x, n) :- e(x, _), n = {agg}.\n"));
    s
}

#[test]
fn generated_programs_derive_the_same_after_formatting() {
    for seed in 1..=200 {
        let text = program(seed);
        let once = fmt(&text);
        assert_eq!(fmt(&once), once, "not idempotent, seed {seed}:\n{text}");
        assert_eq!(comment_texts(&once), comment_texts(&text), "comments changed, seed {seed}");
        let (a, b) = (stance::eval_text(&text), stance::eval_text(&once));
        assert_eq!(a, b, "seed {seed}: a different model\n--- original\n{text}--- formatted\n{once}");
        assert!(a.is_ok(), "seed {seed}: {a:?}\n{text}");
    }
}

/// Soufflé's aggregate forms (targets that are expressions, several literals with negation
/// and comparisons, nested aggregates, witnesses, an aggregate in the head) survive `fmt`:
/// the layout is stable and the program derives the same.
#[test]
fn aggregate_forms_format_and_derive_the_same() {
    let text = "\
.decl a(k: number, z: number)
.decl b(k: number, y: number)
a(1, 10). a(2, 20). a(3, 5). b(1, 1). b(2, 2).
.decl m(v: number)
m(v) :- v = min Z+Y : { a(A, Z), b(B, Y), A != B }.
.decl d(k: number, v: number)
d(k, v) :- b(k, _), v = sum (x*2) - k : { a(_, x), !b(x, _) }.
.decl e(k: number, v: number)
e(k, v) :- b(k, _), v = min (x - k) : { a(_, x) }.
.decl w(k: number, v: number)
w(k, max z : { a(k, z) }) :- true.
.decl n(c: number)
n(c) :- c = count : { b(x, _), k = count : { a(x, _) }, k > 0 }.
";
    let once = fmt(text);
    assert!(once.contains("v = sum x * 2 - k : { a(_, x), !b(x, _) }."), "{once}");
    assert!(once.contains("v = min x - k : { a(_, x) }."), "{once}");
    assert!(once.contains("w(k, max z : { a(k, z) }) :- true."), "{once}");
    assert_eq!(fmt(&once), once);
    let before = stance::eval_text(text).unwrap();
    assert_eq!(stance::eval_text(&once).unwrap(), before);
    // (2·10 − k) + (2·20 − k) + (2·5 − k): `k` is the rule's (the body does not bind it).
    assert_eq!(before["d"], [["1", "67"], ["2", "64"]]);
    // `k` is the witness of the largest `z`.
    assert_eq!(before["w"], [["2", "20"]]);
}

#[test]
fn defeasible_syntax_keeps_its_arrows_names_and_preferences() {
    let text =
        "@x  ~p( 1 ) :~> !q(2) .\n@y p(1):~q(2).\nq(2).\n.prefer   y>x\n.prefer by  grade\n.prefer by date\n~q(3).\n";
    assert_eq!(
        fmt(text),
        "@x ~p(1) :~> !q(2).\n@y p(1) :~ q(2).\nq(2).\n.prefer y > x\n.prefer by grade\n.prefer by date\n~q(3).\n"
    );
}
