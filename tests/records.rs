//! Soufflé's record types: construction and matching (both engines), `nil`, recursive lists,
//! type errors, and the text of records in output and input files.

#[path = "common/proof_check.rs"]
mod proof_check;
#[path = "common/run.rs"]
mod run;
use run::{project, stance, stderr, stdout};

fn rows(program: &str, rel: &str) -> Vec<String> {
    match stance::eval_text(program) {
        Ok(model) => model[rel].iter().map(|r| r.join(" | ")).collect(),
        Err(e) => panic!("program failed:\n{e}"),
    }
}

fn error(program: &str) -> String {
    match stance::eval_text(program) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

const PATHS: &str = r#"
    .type List = [head: number, tail: List]
    .decl edge(x: number, y: number)
    edge(1, 2). edge(2, 3). edge(3, 4).
    // Each path as the list of its nodes, last first.
    .decl path(x: number, y: number, l: List)
    path(x, y, [y, [x, nil]]) :- edge(x, y).
    path(x, z, [z, l]) :- path(x, y, l), edge(y, z).
    // Traversal: every suffix of a path's list, and the node at the head of each.
    .decl suffix(l: List, s: List)
    suffix(l, l) :- path(_, _, l).
    suffix(l, t) :- suffix(l, s), s = [_, t], t != nil.
    .decl on(l: List, n: number)
    on(l, n) :- suffix(l, s), s = [n, _].
    .decl through(x: number, y: number, n: number)
    through(x, y, n) :- path(x, y, l), on(l, n).
"#;

#[test]
fn a_path_is_built_as_a_list_and_walked_back() {
    assert_eq!(
        rows(PATHS, "path"),
        [
            "1 | 2 | [2, [1, nil]]",
            "1 | 3 | [3, [2, [1, nil]]]",
            "1 | 4 | [4, [3, [2, [1, nil]]]]",
            "2 | 3 | [3, [2, nil]]",
            "2 | 4 | [4, [3, [2, nil]]]",
            "3 | 4 | [4, [3, nil]]",
        ]
    );
    assert_eq!(
        rows(PATHS, "through"),
        [
            "1 | 2 | 1",
            "1 | 2 | 2",
            "1 | 3 | 1",
            "1 | 3 | 2",
            "1 | 3 | 3",
            "1 | 4 | 1",
            "1 | 4 | 2",
            "1 | 4 | 3",
            "1 | 4 | 4",
            "2 | 3 | 2",
            "2 | 3 | 3",
            "2 | 4 | 2",
            "2 | 4 | 3",
            "2 | 4 | 4",
            "3 | 4 | 3",
            "3 | 4 | 4"
        ]
    );
}

#[test]
fn patterns_in_atoms_destructure_and_join() {
    let p = r#"
        .type Pair = [a: number, b: symbol]
        .decl pair(p: Pair)
        pair([1, "a"]). pair([2, "b"]). pair([3, "a"]).
        .decl name(s: symbol, t: symbol)
        name("a", "alpha").
        // Destructuring joins on the field: `s` is bound by the record, then matched.
        .decl named(n: number, t: symbol)
        named(n, t) :- pair([n, s]), name(s, t).
        // A constant field filters; equal records are one value.
        .decl a_ones(n: number)
        a_ones(n) :- pair([n, "a"]).
        .decl same(n: number)
        same(n) :- pair(p), pair(q), p = q, p = [n, _].
        .decl twice(p: Pair)
        twice([n + 10, s]) :- pair([n, s]), !pair([n + 1, s]).
    "#;
    assert_eq!(rows(p, "named"), ["1 | alpha", "3 | alpha"]);
    assert_eq!(rows(p, "a_ones"), ["1", "3"]);
    assert_eq!(rows(p, "same"), ["1", "2", "3"]);
    assert_eq!(rows(p, "twice"), ["[11, a]", "[12, b]", "[13, a]"]);
}

#[test]
fn nil_matches_only_nil() {
    let p = r#"
        .type L = [h: number, t: L]
        .decl l(x: L)
        l(nil). l([1, nil]).
        .decl empty(n: number)
        empty(0) :- l(nil).
        .decl heads(h: number)
        heads(h) :- l([h, _]).
        .decl not_nil(x: L)
        not_nil(x) :- l(x), x != nil.
    "#;
    assert_eq!(rows(p, "empty"), ["0"]);
    assert_eq!(rows(p, "heads"), ["1"]);
    assert_eq!(rows(p, "not_nil"), ["[1, nil]"]);
}

#[test]
fn record_type_errors_name_the_field_and_the_type() {
    let head = ".type Pair = [a: number, b: symbol]\n.decl p(x: Pair)\n.decl q(x: number)\n";
    let e = error(&format!("{head}p([1]).\n"));
    assert!(e.contains("error[E012]: `Pair` has 2 fields, but 1 given here"), "{e}");
    let e = error(&format!("{head}p([\"a\", \"b\"]).\n"));
    assert!(e.contains("error[E013]: field `a` of `Pair` is a symbol but a number is expected"), "{e}");
    assert!(e.contains(":4:4"), "{e}");
    let e = error(&format!("{head}p([1, \"a\"]).\nq(1) :- p(x), p(y), x < y.\n"));
    assert!(e.contains("error[E013]: records compare only with `=` and `!=`, not `<`"), "{e}");
    let e = error(&format!("{head}q(x) :- p(x).\n"));
    assert!(e.contains("error[E013]: this head argument is a `Pair` record but a number is expected"), "{e}");
    let e = error(".decl p(x: number)\np(nil).\n");
    assert!(e.contains("error[E013]: this head argument is `nil` but a number is expected"), "{e}");
    let e = error(".type L = [h: number, t: Nope]\n");
    assert!(e.contains("unknown type `Nope`"), "{e}");
}

#[test]
fn both_engines_agree_on_records() {
    let dir = project(&[("rules/paths.dl", PATHS)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "compare", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("path,1,4,\"[4, [3, [2, [1, nil]]]]\""), "{}", stdout(&o));
}

#[test]
fn output_files_write_records_as_souffle_does_and_input_files_read_them_back() {
    let rules = r#"
        .type Pair = [a: number, b: symbol]
        .decl in(n: number, p: Pair)
        .input in
        .decl out(n: number, p: Pair)
        out(n, p) :- in(n, p).
        .output out
    "#;
    let dir = project(&[("rules/io.dl", rules), ("facts/in.facts", "1\t[1, a]\n2\t[2, \"b, c\"]\n3\tnil\n")]);
    let o = stance(dir.path(), &["infer", "--output-dir", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written = std::fs::read_to_string(dir.path().join("out/out.csv")).unwrap();
    assert_eq!(written, "1\t[1, a]\n2\t[2, b, c]\n3\tnil\n");

    std::fs::write(dir.path().join("facts/in.facts"), "1\t[1, a\n").unwrap();
    let o = stance(dir.path(), &["infer"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "error[E021]: `[1, a` is not a `Pair` record (column 2 of `in`): expected `]` after 2 fields, found the end of the field"
        ),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("facts/in.facts:1:3"), "{}", stderr(&o));
}

#[test]
fn proofs_show_record_values_as_written() {
    let dir = project(&[("rules/paths.dl", PATHS)]);
    let o = stance(dir.path(), &["explain", "--no-facts", "through(1, 3, 1)"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("path(1, 3, [3, [2, [1, nil]]])"), "{}", stdout(&o));
}

#[test]
fn an_unbounded_list_stops_at_the_tuple_limit() {
    let rules = r#"
        .type L = [h: number, t: L]
        .decl grow(l: L)
        grow(nil).
        grow([1, l]) :- grow(l).
    "#;
    let dir = project(&[("rules/grow.dl", rules)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--max-tuples", "1000"]);
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("grow"), "{}", stderr(&o));
}

#[test]
fn fmt_keeps_record_types_and_constructors() {
    let src = ".type Pair = [a: number, b: symbol]\n.decl p(x: Pair)\np([1, \"a\"]).\np(nil).\n";
    let dir = project(&[("rules/r.dl", src)]);
    let o = stance(dir.path(), &["fmt", "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn a_list_nested_past_the_depth_limit_stops_both_engines_with_an_error() {
    let rules = r#"
        .type L = [h: number, t: L]
        .decl grow(n: number, l: L)
        grow(0, nil).
        grow(n + 1, [n, l]) :- grow(n, l), n < 5000.
    "#;
    let dir = project(&[("rules/grow.dl", rules)]);
    for engine in ["datafrog", "simple"] {
        let o = stance(dir.path(), &["infer", "--no-facts", "--engine", engine]);
        assert_eq!(o.status.code(), Some(1), "{engine}: {}", stderr(&o));
        assert!(
            stderr(&o)
                .contains("a record nested more than 1000 levels deep was built (a list longer than 1000 elements)"),
            "{engine}: {}",
            stderr(&o)
        );
        assert_eq!(stdout(&o), "", "{engine}");
    }
}

#[test]
fn claims_take_nil_and_refuse_other_record_constants_by_name() {
    let dir = project(&[("rules/paths.dl", PATHS)]);
    let o = stance(dir.path(), &["explain", "--no-facts", "path(1, 3, [3, [2, [1, nil]]])"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error[E002]: a claim cannot name a record value (other than `nil`)"),
        "{}",
        stderr(&o)
    );
    let o = stance(dir.path(), &["query", "--no-facts", "path(1, 3, l)"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("[3, [2, [1, nil]]]"), "{}", stdout(&o));
}

#[test]
fn json_output_writes_records_as_arrays_and_types_by_name() {
    let rules = ".type Pair = [a: number, b: symbol]\n.decl p(x: Pair)\np([1, \"a\"]).\np(nil).\n";
    let dir = project(&[("rules/r.dl", rules)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--format", "json", "--relation", "p"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(r#""types":["Pair"],"tuples":[[null],[[1,"a"]]]"#), "{}", stdout(&o));
}

const SHAPES: &str = r#"
    .type Shape = Square {s: number} | Circle {r: number} | Empty {}
    .type Expr = Num {n: number} | Add {a: Expr, b: Expr}
    .decl shape(x: Shape)
    shape($Circle(2)). shape($Square(3)). shape($Empty).
    .decl area(x: Shape, a: number)
    area($Circle(r), 3 * r * r) :- shape($Circle(r)).
    area($Square(s), s * s) :- shape($Square(s)).
    .decl e(x: Expr)
    e($Add($Num(1), $Add($Num(2), $Num(3)))).
    .decl sub(x: Expr)
    sub(x) :- e(x).
    sub(a) :- sub($Add(a, _)).
    sub(b) :- sub($Add(_, b)).
    .decl val(x: Expr, v: number)
    val($Num(n), n) :- sub($Num(n)).
    val(x, va + vb) :- sub(x), x = $Add(a, b), val(a, va), val(b, vb).
"#;

#[test]
fn algebraic_data_types_are_built_and_matched_by_branch() {
    // Branches sort by name (Soufflé numbers them so), then by their fields.
    assert_eq!(rows(SHAPES, "shape"), ["$Circle(2)", "$Empty", "$Square(3)"]);
    assert_eq!(rows(SHAPES, "area"), ["$Circle(2) | 12", "$Square(3) | 9"]);
    assert_eq!(
        rows(SHAPES, "val"),
        [
            "$Add($Num(1), $Add($Num(2), $Num(3))) | 6",
            "$Add($Num(2), $Num(3)) | 5",
            "$Num(1) | 1",
            "$Num(2) | 2",
            "$Num(3) | 3"
        ]
    );
    let dir = project(&[("rules/shapes.dl", SHAPES)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "compare", "--relation", "val", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("val,$Num(3),3"), "{}", stdout(&o));
}

#[test]
fn algebraic_data_type_errors_name_the_branch() {
    let head = ".type Shape = Square {s: number} | Circle {r: number} | Empty {}\n.decl shape(x: Shape)\n";
    let e = error(&format!("{head}shape($Circle(2, 3)).\n"));
    assert!(e.contains("error[E012]: `$Circle` has 1 field, but 2 given here"), "{e}");
    let e = error(&format!("{head}shape($Circel(1)).\n"));
    assert!(e.contains("error[E011]: unknown branch `$Circel`"), "{e}");
    let e = error(&format!("{head}shape($Square(\"a\")).\n"));
    assert!(e.contains("error[E013]: field `s` of `$Square` is a symbol but a number is expected"), "{e}");
    let e = error(&format!("{head}shape([1]).\n"));
    assert!(e.contains("error[E013]: `Shape` is an algebraic data type: build or match it with a branch"), "{e}");
    let e = error(&format!("{head}shape(nil).\n"));
    assert!(e.contains("error[E013]: `nil` is not a value of `Shape`, an algebraic data type"), "{e}");
    let e = error(&format!("{head}.type Other = Circle {{x: symbol}}\n"));
    assert!(e.contains("error[E016]: branch `Circle` is declared twice"), "{e}");
}

#[test]
fn algebraic_data_types_are_written_and_read_as_souffle_writes_them() {
    let rules = ".type Shape = Square {s: number} | Circle {r: number} | Empty {}\n\
                 .decl s(x: Shape)\n.input s\n.decl t(x: Shape)\nt(x) :- s(x).\n.output t\n";
    let dir = project(&[("rules/r.dl", rules), ("facts/s.facts", "$Circle(2)\n$Empty\n$Square( 3 )\n")]);
    let o = stance(dir.path(), &["infer", "--output-dir", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("out/t.csv")).unwrap(), "$Circle(2)\n$Empty\n$Square(3)\n");
    std::fs::write(dir.path().join("facts/s.facts"), "$Oval(1)\n").unwrap();
    let o = stance(dir.path(), &["infer"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`$Oval(1)` is not a `Shape` record (column 1 of `s`): `$Oval` is not a branch of `Shape`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn every_record_tuple_has_a_proof_the_independent_checker_accepts_on_both_engines() {
    use stance::engine::backend::Engine;
    use stance::engine::eval::EvalOptions;
    for program in [PATHS, SHAPES] {
        for engine in [Engine::Datafrog, Engine::Simple] {
            let options = EvalOptions { record: true, engine, ..Default::default() };
            let m = stance::session::evaluate_text(program, &options).unwrap_or_else(|e| panic!("{e}"));
            let stance::session::TextModel { sources, mut symbols, program, model } = m;
            let facts = stance::facts::load::Facts::new();
            let mut ex = stance::proof::provenance::Explainer::new(&program, &model, &facts, &sources, &mut symbols);
            let mut checked = 0;
            for (rel, tuples) in model.relations.iter().enumerate() {
                for tuple in tuples.iter() {
                    let root = ex.explain(rel, tuple).unwrap_or_else(|| panic!("{engine:?}: no proof of {tuple:?}"));
                    proof_check::check_proof(&ex, root)
                        .unwrap_or_else(|e| panic!("{engine:?}: proof of {tuple:?}: {e}"));
                    checked += 1;
                }
            }
            assert!(checked >= 15, "only {checked} tuples checked");
        }
    }
}

/// Every path of a random acyclic graph as a list, on both engines, against paths listed by
/// a depth-first walk written here (`RECORD_CASES` graphs, 64 by default).
mod differential {
    use proptest::prelude::*;
    use stance::engine::backend::Engine;
    use stance::engine::eval::EvalOptions;

    fn walks(edges: &[(u8, u8)]) -> Vec<String> {
        // Each path from x to y written as stance writes the list: last node first.
        fn extend(edges: &[(u8, u8)], x: u8, nodes: &mut Vec<u8>, out: &mut Vec<String>) {
            let last = *nodes.last().unwrap();
            for &(_, b) in edges.iter().filter(|(a, _)| *a == last) {
                nodes.push(b);
                let list = nodes.iter().fold("nil".to_string(), |tail, n| format!("[{n}, {tail}]"));
                out.push(format!("{x},{b},{list}"));
                extend(edges, x, nodes, out);
                nodes.pop();
            }
        }
        let mut out = Vec::new();
        let mut starts: Vec<u8> = edges.iter().map(|e| e.0).collect();
        starts.sort_unstable();
        starts.dedup();
        for x in starts {
            extend(edges, x, &mut vec![x], &mut out);
        }
        out.sort();
        out.dedup();
        out
    }

    fn engine_rows(program: &str, engine: Engine) -> Vec<String> {
        let options = EvalOptions { engine, ..Default::default() };
        let m = stance::session::evaluate_text(program, &options).unwrap_or_else(|e| panic!("{engine:?}: {e}"));
        let id = m.program.relation_id("path").unwrap();
        let mut rows: Vec<String> =
            stance::base::order::sorted_rows(&m.model.relations[id], &m.program.relations[id].types, &m.symbols)
                .into_iter()
                .map(|r| r.join(","))
                .collect();
        rows.sort();
        rows
    }

    fn cases() -> u32 {
        std::env::var("RECORD_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]
        #[test]
        fn paths_as_lists_match_a_depth_first_walk(raw in proptest::collection::vec((0u8..7, 0u8..7), 0..12)) {
            let mut edges: Vec<(u8, u8)> =
                raw.into_iter().filter(|(a, b)| a != b).map(|(a, b)| (a.min(b), a.max(b))).collect();
            edges.sort_unstable();
            edges.dedup();
            let facts: String = edges.iter().map(|(a, b)| format!("edge({a}, {b}).\n")).collect();
            let program = format!(
                ".type List = [head: number, tail: List]\n.decl edge(x: number, y: number)\n{facts}\
                 .decl path(x: number, y: number, l: List)\n\
                 path(x, y, [y, [x, nil]]) :- edge(x, y).\n\
                 path(x, z, [z, l]) :- path(x, y, l), edge(y, z).\n"
            );
            let expected = walks(&edges);
            for engine in [Engine::Datafrog, Engine::Simple, Engine::Compare] {
                prop_assert_eq!(&engine_rows(&program, engine), &expected, "{:?}\n{}", engine, program);
            }
        }
    }
}

#[test]
fn record_fields_may_be_floats_and_unsigned_numbers() {
    let p = r#"
        .type P = [x: float, u: unsigned]
        .decl p(v: P)
        p([1.5, 3]). p([2, 4u]).
        .decl q(x: float, u: unsigned)
        q(x, u + 1) :- p([x, u]).
    "#;
    assert_eq!(rows(p, "p"), ["[1.5, 3]", "[2, 4]"]);
    assert_eq!(rows(p, "q"), ["1.5 | 4", "2 | 5"]);
    let e = error(".type P = [x: float, u: unsigned]\n.decl p(v: P)\np([1.5, -3]).\n");
    assert!(e.contains("error[E013]"), "{e}");
}
