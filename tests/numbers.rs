//! The numeric types `number`, `unsigned` and `float` (issue 15, item 4): exact derived
//! tuples for literals, arithmetic, comparisons, conversions and casts per type, the type
//! errors, reading float and unsigned columns, and how floats are written.

#[path = "common/run.rs"]
mod run;
use run::{project, stance, stderr, stdout};
use std::collections::BTreeMap;

fn run(program: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    match stance::eval_text(program) {
        Ok(model) => model,
        Err(e) => panic!("program failed:\n{e}"),
    }
}

/// The rows of one relation, each joined with `,`, in display order.
fn rows(program: &str, rel: &str) -> Vec<String> {
    run(program)[rel].iter().map(|r| r.join(",")).collect()
}

fn error(program: &str) -> String {
    match stance::eval_text(program) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn float_literals_and_arithmetic() {
    let p = r#"
        .decl x(v: float)
        x(1.5). x(-2.0). x(2). x(2.5e3).
        .decl r(v: float, sum: float, product: float, quotient: float, power: float, neg: float)
        r(v, v + 1, v * 0.5, v / 4, v ^ 2, -v) :- x(v).
    "#;
    assert_eq!(
        rows(p, "r"),
        ["-2,-1,-1,-0.5,4,2", "1.5,2.5,0.75,0.375,2.25,-1.5", "2,3,1,0.5,4,-2", "2500,2501,1250,625,6250000,-2500",]
    );
}

#[test]
fn floats_are_single_precision_and_printed_with_nine_digits() {
    let p = r#"
        .decl r(a: float, b: float, c: float, d: float)
        r(0.1 + 0.2, 1.0 / 3.0, 16777216.0 + 1.0, 100000.0 * 100000.0).
    "#;
    assert_eq!(rows(p, "r"), ["0.300000012,0.333333343,16777216,1e+10"]);
}

#[test]
fn a_float_chain_is_computed_left_to_right() {
    // (1.5 + 1e8) rounds to 1e8 in single precision; grouping the other way would give 1.5.
    let p = r#"
        .decl r(a: float, b: float)
        r(1.5 + 100000000.0 - 100000000.0, 1.5 + (100000000.0 - 100000000.0)).
    "#;
    assert_eq!(rows(p, "r"), ["0,1.5"]);
}

#[test]
fn float_division_by_zero_is_inf_or_nan_and_nan_sorts_last() {
    let p = r#"
        .decl x(v: float)
        x(1.0). x(-1.0). x(0.0).
        .decl r(v: float)
        r(v / 0.0) :- x(v).
        r(v) :- x(v).
    "#;
    assert_eq!(rows(p, "r"), ["-inf", "-1", "0", "1", "inf", "nan"]);
}

#[test]
fn nan_equals_itself_and_is_greatest() {
    let p = r#"
        .decl x(v: float)
        x(0.0 / 0.0). x(1.0 / 0.0). x(-0.0). x(0.0).
        .decl same(v: float)
        same(v) :- x(v), x(w), v = w, w >= v.
        .decl below_nan(v: float)
        below_nan(v) :- x(v), x(n), n != n + 0.0, v < n.
        .decl count(n: number)
        count(n) :- n = count : { x(_) }.
    "#;
    // `-0.0` and `0.0` are one value, so x has three tuples.
    assert_eq!(rows(p, "count"), ["3"]);
    assert_eq!(rows(p, "same"), ["0", "inf", "nan"]);
    assert_eq!(rows(p, "below_nan"), Vec::<String>::new());
    let p2 = p.replace("n != n + 0.0", "n = 0.0 / 0.0");
    assert_eq!(rows(&p2, "below_nan"), ["0", "inf"]);
}

#[test]
fn unsigned_arithmetic_wraps_at_32_bits() {
    let p = r#"
        .decl x(v: unsigned)
        x(0). x(7u). x(4294967295u). x(0x10u).
        .decl r(v: unsigned, inc: unsigned, dec: unsigned, half: unsigned, shifted: unsigned, inverted: unsigned)
        r(v, v + 1, v - 1, v / 2, v bshr 1, bnot v) :- x(v).
    "#;
    assert_eq!(
        rows(p, "r"),
        [
            "0,1,4294967295,0,0,4294967295",
            "7,8,6,3,3,4294967288",
            "16,17,15,8,8,4294967279",
            "4294967295,0,4294967294,2147483647,2147483647,0",
        ]
    );
}

#[test]
fn unsigned_comparisons_are_unsigned() {
    let p = r#"
        .decl x(v: unsigned)
        x(1). x(4294967295u). x(2147483648u).
        .decl big(v: unsigned)
        big(v) :- x(v), v > 2147483647.
        .decl by_zero(v: unsigned)
        by_zero(v / 0) :- x(v).
        by_zero(v % 0) :- x(v).
    "#;
    assert_eq!(rows(p, "big"), ["2147483648", "4294967295"]);
    assert_eq!(rows(p, "by_zero"), Vec::<String>::new());
}

#[test]
fn conversions_between_every_type() {
    let p = r#"
        .decl n(v: number)
        n(-3). n(7).
        .decl f(v: float)
        f(2.75). f(-2.75). f(3000000000.0). f(0.0 / 0.0).
        .decl from_number(v: number, f: float, u: unsigned, s: symbol)
        from_number(v, to_float(v), to_unsigned(v), to_string(v)) :- n(v).
        .decl from_float(v: float, n: number, u: unsigned, s: symbol)
        from_float(v, to_number(v), to_unsigned(v), to_string(v)) :- f(v).
        .decl from_symbol(n: number, u: unsigned, f: float)
        from_symbol(to_number("-12"), to_unsigned("0x10"), to_float(" 2.5 ")).
        from_symbol(to_number("1.5"), to_unsigned("3"), to_float("x")).
        .decl legacy(a: float, b: number, c: unsigned, d: number, e: float, f: unsigned)
        legacy(itof(2), ftoi(2.5), itou(-1), utoi(4294967295u), utof(3u), ftou(1.5)).
    "#;
    assert_eq!(rows(p, "from_number"), ["-3,-3,4294967293,-3", "7,7,7,7"]);
    assert_eq!(
        rows(p, "from_float"),
        ["-2.75,-2,0,-2.750000", "2.75,2,2,2.750000", "3e+09,2147483647,3000000000,3000000000.000000", "nan,0,0,nan",]
    );
    // A string that is not a number of the type gives no value: the second fact is dropped.
    assert_eq!(rows(p, "from_symbol"), ["-12,16,2.5"]);
    assert_eq!(rows(p, "legacy"), ["2,2,4294967295,-1,3,1"]);
}

#[test]
fn as_reinterprets_bits_between_numeric_types_and_narrows_subsets() {
    let p = r#"
        .type Country <: symbol
        .decl name(x: symbol)
        name("Chad").
        .decl n(x: number)
        n(1069547520).
        .decl country(c: Country)
        country(as(x, Country)) :- name(x).
        .decl bits(a: number, b: float, c: unsigned, d: float)
        bits(as(1.5, number), as(x, float), as(-1, unsigned), as(5, float)) :- n(x).
    "#;
    assert_eq!(rows(p, "country"), ["Chad"]);
    // An integer literal cast takes the cast's type (`as(5, float)` is 5, see the README).
    assert_eq!(rows(p, "bits"), ["1069547520,1.5,4294967295,5"]);
}

#[test]
fn min_max_and_ord_per_type() {
    let p = r#"
        .decl r(a: float, b: float, c: unsigned, d: number, e: number)
        r(max(1.5, 2, -3.0), min(1.5, 0.0 / 0.0), min(5u, 4294967295u), ord(1.0), ord(7)).
    "#;
    assert_eq!(rows(p, "r"), ["2,1.5,5,1065353216,7"]);
}

#[test]
fn integer_literals_take_the_type_of_their_use() {
    let p = r#"
        .decl f(v: float)
        .decl u(v: unsigned)
        f(1). u(2).
        .decl r(a: float, b: unsigned)
        r(x * 2, y + 3) :- f(x), u(y), x < 2, y >= 1.
        .decl h(x: float, u: unsigned)
        h(x, u) :- x = 1, u = 2 + 3.
    "#;
    assert_eq!(rows(p, "r"), ["2,5"]);
    assert_eq!(rows(p, "h"), ["1,5"]);
}

#[test]
fn mixing_numeric_types_is_a_located_error() {
    let e = error(".decl a(x: float, y: number)\n.decl b(x: float)\nb(x + y) :- a(x, y).\n");
    assert!(e.contains("error[E013]: `+` cannot be applied to a float and a number"), "{e}");
    assert!(e.contains("<program>:3:3:"), "{e}");

    let e = error(".decl a(x: float, y: unsigned)\n.decl b(x: float)\nb(x) :- a(x, y), x < y.\n");
    assert!(e.contains("cannot compare a float with an unsigned"), "{e}");

    let e = error(".decl a(x: unsigned)\n.decl b(x: unsigned)\nb(-x) :- a(x).\n");
    assert!(e.contains("`-` cannot be applied to unsigned numbers"), "{e}");

    let e = error(".decl a(x: float)\n.decl b(x: float)\nb(x band 1) :- a(x).\n");
    assert!(e.contains("`band` cannot be applied to floats"), "{e}");

    let e = error(".decl a(x: unsigned)\na(-1).\n");
    assert!(e.contains("a negative number in a `unsigned` column of `a`"), "{e}");

    let e = error(".decl a(x: unsigned)\na(1.5).\n");
    assert!(e.contains("a float constant in a `unsigned` column of `a`"), "{e}");

    let e = error(".decl a(x: number)\n.decl b(x: float)\nb(x) :- a(x).\n");
    assert!(e.contains("error[E013]: this head argument is a number but a float is expected"), "{e}");

    let e = error(".decl a(x: number)\n.decl b(x: float)\n.decl c(x: number)\nc(x) :- a(x), b(x).\n");
    assert!(e.contains("variable `x` is used as a float here but as a number before"), "{e}");

    let e = error(".decl a(x: float)\n.decl b(x: symbol)\nb(strlen(x)) :- a(x).\n");
    assert!(e.contains("argument 1 of `strlen` is a float, but `strlen` takes a symbol there"), "{e}");

    let e = error(".decl a(x: float)\na(1.0e39).\n");
    assert!(e.contains("literal `1.0e39` out of range"), "{e}");
}

#[test]
fn float_and_unsigned_columns_are_read_and_written_as_souffle_does() {
    let dir = project(&[
        (
            "rules/r.dl",
            ".decl m(sensor: symbol, v: float, n: unsigned)\n.input m\n\
             .decl out(sensor: symbol, v: float, n: unsigned)\nout(s, v * 2, n + 1) :- m(s, v, n).\n.output out\n",
        ),
        ("facts/m.facts", "a\t0.05\t4294967294\nb\t-1e-7\t0x10\nc\t1234567.5\t0\nd\tinf\t7\ne\t-0.0\t1\n"),
    ]);
    for engine in ["datafrog", "simple", "compare"] {
        let o = stance(dir.path(), &["infer", "--output-dir", "out", "--engine", engine]);
        assert_eq!(o.status.code(), Some(0), "{engine}: {}", stderr(&o));
        let written = std::fs::read_to_string(dir.path().join("out/out.csv")).unwrap();
        assert_eq!(
            written, "a\t0.100000001\t4294967295\nb\t-2.00000002e-07\t17\nc\t2469135\t1\nd\tinf\t8\ne\t0\t2\n",
            "{engine}"
        );
    }
    let o = stance(dir.path(), &["infer", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let tuples = &json["relations"][0]["tuples"];
    assert_eq!(tuples[0], serde_json::json!(["a", 0.100000001, 4294967295u32]));
    assert_eq!(tuples[3], serde_json::json!(["d", "inf", 8]));
}

#[test]
fn a_malformed_float_or_unsigned_field_is_a_located_error() {
    let rules = ".decl m(v: float, n: unsigned)\n.input m\n.output m\n";
    let dir = project(&[("rules/r.dl", rules), ("facts/m.facts", "1.5\t3\n2.5.1\t4\n")]);
    let o = stance(dir.path(), &["infer"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[E021]: `2.5.1` is not a float (column 1 of `m`, declared `float`)"), "{err}");
    assert!(err.contains("facts/m.facts:2:1"), "{err}");

    let dir = project(&[("rules/r.dl", rules), ("facts/m.facts", "1.5\t4294967296\n")]);
    let o = stance(dir.path(), &["infer"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("unsigned out of range: `4294967296` (column 2 of `m`, declared `unsigned`)"), "{err}");
    assert!(err.contains("facts/m.facts:1:5"), "{err}");
}

#[test]
fn claims_take_float_and_unsigned_constants() {
    let dir = project(&[(
        "rules/r.dl",
        ".decl m(sensor: symbol, v: float, n: unsigned)\nm(\"a\", -1.5, 3).\nm(\"b\", 2, 4u).\n.output m\n",
    )]);
    let o = stance(dir.path(), &["query", "--no-facts", r#"m(s, -1.5, 3)"#]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "m (1 tuple)\n  sensor  v     n\n  a       -1.5  3\n");
    let o = stance(dir.path(), &["query", "--no-facts", r#"m(s, 2.0, n)"#]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "m (1 tuple)\n  sensor  v  n\n  b       2  4\n");
}

#[test]
fn fmt_writes_unsigned_literals_in_decimal_and_floats_as_written() {
    let dir = project(&[("rules/r.dl", ".decl a(x: unsigned, y: float)\na(0x1Fu,   2.50).\n")]);
    let o = stance(dir.path(), &["fmt", "--check", "rules/r.dl"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = stance(dir.path(), &["fmt", "rules/r.dl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("rules/r.dl")).unwrap();
    assert!(text.contains("a(31u, 2.50)."), "{text}");
}

#[test]
fn subset_types_of_float_and_unsigned() {
    let p = r#"
        .type Weight <: float
        .type Count <: unsigned
        .type Amount = Weight | Weight
        .decl w(x: Weight, n: Count)
        w(1.5, 2).
        .decl plain(x: float, n: unsigned)
        plain(x, n) :- w(x, n).
        .decl amount(x: Amount)
        amount(x) :- w(x, _).
        .decl back(x: Weight)
        back(as(x, Weight)) :- plain(x, _).
        .decl unioned(x: float)
        unioned(x) :- amount(x).
    "#;
    assert_eq!(rows(p, "unioned"), ["1.5"]);
    assert_eq!(rows(p, "plain"), ["1.5,2"]);
    assert_eq!(rows(p, "amount"), ["1.5"]);
    assert_eq!(rows(p, "back"), ["1.5"]);
    let e = error(".type Weight <: float\n.decl w(x: Weight)\n.decl f(x: float)\nf(2.5).\nw(x) :- f(x).\n");
    assert!(e.contains("`x` is a `float`, which is not a subtype of `Weight`, the type of column 1 of `w`"), "{e}");
}

#[test]
fn sum_min_max_over_floats_and_unsigned_have_the_target_type() {
    let p = r#"
        .decl score(p: symbol, s: float, n: unsigned)
        score("a", 1.5, 3). score("a", 2.25, 4294967295u). score("b", -0.5, 7). score("b", 0.1, 1).
        .decl total(p: symbol, t: float, lo: float, hi: float, c: number, top: unsigned, small: unsigned)
        total(p, t, lo, hi, c, top, small) :- score(p, _, _),
            t = sum s : { score(p, s, _) }, lo = min s : { score(p, s, _) }, hi = max s : score(p, s, _),
            c = count : { score(p, _, _) }, top = max n : score(p, _, n), small = sum n : { score(p, _, n), n < 10 }.
        .decl best(p: symbol)
        best(p) :- score(p, s, _), s = max x : score(_, x, _).
        .decl none(t: float)
        none(t) :- t = sum s : { score("c", s, _) }.
    "#;
    assert_eq!(rows(p, "total"), ["a,3.75,1.5,2.25,2,4294967295,3", "b,-0.400000006,-0.5,0.100000001,2,7,8"]);
    assert_eq!(rows(p, "best"), ["a"]);
    assert_eq!(rows(p, "none"), ["0"]);
    // In increasing order: (-1e8 + 1.5) rounds to -1e8, then + 1e8 is 0.
    let p = ".decl big(x: float)\nbig(100000000.0). big(1.5). big(-100000000.0).\n.decl s(t: float)\ns(t) :- t = sum x : big(x).\n";
    assert_eq!(rows(p, "s"), ["0"]);
    let e = error(".decl u(n: unsigned)\nu(4294967295u). u(1).\n.decl t(n: unsigned)\nt(s) :- s = sum n : u(n).\n");
    assert!(e.contains("this sum does not fit in a 32-bit number"), "{e}");
    let e = error(".decl a(x: symbol)\n.decl t(n: number)\nt(s) :- s = sum x : a(x).\n");
    assert!(e.contains("the aggregate's target is a symbol but a number is expected"), "{e}");
    let e = error(".decl a(x: float)\n.decl t(n: number)\nt(s) :- s = sum x : a(x).\n");
    assert!(e.contains("this head argument is a float but a number is expected"), "{e}");
}

#[test]
fn nested_long_chains_are_checked_on_a_small_stack() {
    // 250 parenthesised chains of 61 terms, each the first term of the next: put back in
    // written order without a bound, typing would recurse 15,000 deep.
    let terms = vec!["x"; 60].join(" + ");
    let mut e = "x".to_string();
    for _ in 0..250 {
        e = format!("({e} + {terms})");
    }
    let program = format!(".decl a(x: float)\n.decl b(x: float)\nb({e}) :- a(x).\n");
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || stance::session::untrusted::rule_file(program.as_bytes()))
        .unwrap();
    let out = handle.join().expect("no stack overflow");
    assert!(out.iter().all(|d| !d.contains("error")), "{out:?}");
}

#[test]
fn range_over_unsigned_and_float() {
    let p = r#"
        .decl u(x: unsigned)
        u(x) :- x = range(4294967293u, 4294967295u).
        u(x) :- x = range(0u, 10, 4).
        .decl f(x: float)
        f(x) :- x = range(0.0, 1.0, 0.25).
        f(x) :- x = range(3.5, 1).
        f(x) :- x = range(16777216.0, 16777300.0).
    "#;
    assert_eq!(rows(p, "u"), ["0", "4", "8", "4294967293", "4294967294"]);
    // Past 2^24 adding 1 changes nothing: the range stops after one value.
    assert_eq!(rows(p, "f"), ["0", "0.25", "0.5", "0.75", "1.5", "2.5", "3.5", "16777216"]);
    let e = error(".decl f(x: float)\nf(x) :- x = range(0.0, 2u).\n");
    assert!(e.contains("a `range` argument is an unsigned but a float is expected"), "{e}");
}
