//! Language semantics through the library entry point `stance::eval_text`: each test runs a
//! small program and asserts the exact derived tuples.

use std::collections::BTreeMap;

fn run(program: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    match stance::eval_text(program) {
        Ok(model) => model,
        Err(e) => panic!("program failed:\n{e}"),
    }
}

/// The rows of one relation, each joined with `,`.
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
fn transitive_closure() {
    let p = r#"
        .decl edge(x: number, y: number)
        .decl path(x: number, y: number)
        edge(1, 2). edge(2, 3). edge(3, 1). edge(4, 5).
        path(x, y) :- edge(x, y).
        path(x, z) :- path(x, y), edge(y, z).
    "#;
    assert_eq!(rows(p, "path"), ["1,1", "1,2", "1,3", "2,1", "2,2", "2,3", "3,1", "3,2", "3,3", "4,5"]);
}

#[test]
fn non_linear_recursion_joins_two_changing_relations() {
    let p = r#"
        .decl e(x: number, y: number)
        .decl p(x: number, y: number)
        e(1, 2). e(2, 3). e(3, 4). e(4, 5).
        p(x, y) :- e(x, y).
        p(x, z) :- p(x, y), p(y, z).
    "#;
    let got = rows(p, "p");
    assert_eq!(got.len(), 10);
    assert!(got.contains(&"1,5".to_string()));
}

#[test]
fn mutual_recursion_in_one_stratum() {
    let p = r#"
        .decl n(x: number)
        .decl even(x: number)
        .decl odd(x: number)
        n(0). n(1). n(2). n(3). n(4).
        even(0).
        odd(y) :- even(x), n(y), y = x + 1.
        even(y) :- odd(x), n(y), y = x + 1.
    "#;
    assert_eq!(rows(p, "even"), ["0", "2", "4"]);
    assert_eq!(rows(p, "odd"), ["1", "3"]);
}

#[test]
fn stratified_negation() {
    let p = r#"
        .decl node(x: symbol)
        .decl edge(x: symbol, y: symbol)
        .decl reach(x: symbol)
        .decl unreached(x: symbol)
        node("a"). node("b"). node("c"). node("d").
        edge("a", "b"). edge("b", "c").
        reach("a").
        reach(y) :- reach(x), edge(x, y).
        unreached(x) :- node(x), !reach(x).
    "#;
    assert_eq!(rows(p, "unreached"), ["d"]);
}

#[test]
fn negation_with_wildcard_and_constant() {
    let p = r#"
        .decl p(x: number, y: number)
        .decl q(x: number)
        .decl r(x: number)
        p(1, 5). p(2, 6). q(1). q(2). q(3).
        r(x) :- q(x), !p(x, _).
        .decl s(x: number)
        s(x) :- q(x), !p(x, 6).
    "#;
    assert_eq!(rows(p, "r"), ["3"]);
    assert_eq!(rows(p, "s"), ["1", "3"]);
}

#[test]
fn repeated_variables_constants_and_wildcards() {
    let p = r#"
        .decl e(x: symbol, y: symbol)
        .decl loop(x: symbol)
        .decl from_a(y: symbol)
        .decl has_out(x: symbol)
        e("a", "a"). e("a", "b"). e("b", "c"). e("c", "c").
        loop(x) :- e(x, x).
        from_a(y) :- e("a", y).
        has_out(x) :- e(x, _).
    "#;
    assert_eq!(rows(p, "loop"), ["a", "c"]);
    assert_eq!(rows(p, "from_a"), ["a", "b"]);
    assert_eq!(rows(p, "has_out"), ["a", "b", "c"]);
}

#[test]
fn repeated_variable_in_a_joined_atom() {
    let p = r#"
        .decl a(x: number)
        .decl e(x: number, y: number, z: number)
        .decl r(x: number, y: number)
        a(1). a(2).
        e(1, 7, 7). e(1, 7, 8). e(2, 9, 9).
        r(x, y) :- a(x), e(x, y, y).
    "#;
    assert_eq!(rows(p, "r"), ["1,7", "2,9"]);
}

#[test]
fn comparisons_on_numbers_and_symbols() {
    let p = r#"
        .decl n(x: number)
        .decl s(x: symbol)
        n(-3). n(0). n(2). n(10).
        s("apple"). s("Banana"). s("cherry").
        .decl small(x: number)
        small(x) :- n(x), x < 2, x != -3.
        .decl pairs(x: symbol, y: symbol)
        pairs(x, y) :- s(x), s(y), x < y.
        .decl ge(x: number)
        ge(x) :- n(x), x >= 2, x <= 10.
    "#;
    assert_eq!(rows(p, "small"), ["0"]);
    // Symbols compare as strings (byte order: uppercase first).
    assert_eq!(rows(p, "pairs"), ["Banana,apple", "Banana,cherry", "apple,cherry"]);
    assert_eq!(rows(p, "ge"), ["2", "10"]);
}

#[test]
fn arithmetic_in_heads_and_assignments() {
    let p = r#"
        .decl n(x: number)
        n(7). n(-7).
        .decl r(x: number, a: number, b: number, c: number, d: number, e: number)
        r(x, x + 1, x * 2, x / 2, x % 3, y) :- n(x), y = x ^ 2 - 1.
        .decl bits(a: number, b: number, c: number, d: number, e: number, f: number)
        bits(6 band 3, 6 bor 3, 6 bxor 3, 1 bshl 4, -16 bshr 2, bnot 0) :- n(7).
        .decl logic(a: number, b: number, c: number)
        logic(1 land 0, 1 lor 0, lnot 5) :- n(7).
    "#;
    assert_eq!(rows(p, "r"), ["-7,-6,-14,-3,-1,48", "7,8,14,3,1,48"]);
    assert_eq!(rows(p, "bits"), ["2,7,5,16,-4,-1"]);
    assert_eq!(rows(p, "logic"), ["0,1,0"]);
}

#[test]
fn division_by_zero_drops_the_binding() {
    let p = r#"
        .decl n(x: number)
        n(0). n(2).
        .decl q(x: number)
        q(10 / x) :- n(x).
    "#;
    assert_eq!(rows(p, "q"), ["5"]);
}

#[test]
fn string_functors() {
    let p = r#"
        .decl w(s: symbol)
        w("stance"). w("datalog").
        .decl f(s: symbol, c: symbol, l: number, sub: symbol, t: symbol, n: number)
        f(s, cat(s, "-", "x"), strlen(s), substr(s, 1, 3), to_string(strlen(s) * 10), to_number("42")) :- w(s).
        .decl m(a: number, b: number)
        m(min(3, 1, 2), max(3, 1, 2)) :- w("stance").
    "#;
    assert_eq!(rows(p, "f"), ["datalog,datalog-x,7,ata,70,42", "stance,stance-x,6,tan,60,42"]);
    assert_eq!(rows(p, "m"), ["1,3"]);
}

#[test]
fn range_generates_numbers() {
    let p = r#"
        .decl r(x: number)
        r(x) :- x = range(0, 4).
        .decl s(x: number)
        s(x) :- x = range(10, 0, -4).
        .decl t(x: number, y: number)
        t(x, y) :- r(x), y = range(0, x).
    "#;
    assert_eq!(rows(p, "r"), ["0", "1", "2", "3"]);
    assert_eq!(rows(p, "s"), ["2", "6", "10"]);
    assert_eq!(rows(p, "t"), ["1,0", "2,0", "2,1", "3,0", "3,1", "3,2"]);
}

#[test]
fn aggregates_count_sum_min_max() {
    let p = r#"
        .decl backs(x: symbol, y: symbol)
        .decl score(x: symbol, n: number)
        backs("Egypt", "Tobruk"). backs("UAE", "Tobruk"). backs("UN", "GNA").
        score("a", 3). score("b", 5). score("c", -2).
        .decl supporters(y: symbol, n: number)
        supporters(y, n) :- backs(_, y), n = count : { backs(_, y) }.
        .decl total(n: number)
        total(n) :- n = count : { backs(_, _) }.
        .decl stats(s: number, lo: number, hi: number)
        stats(s, lo, hi) :- s = sum x : { score(_, x) }, lo = min x : { score(_, x) }, hi = max x : { score(_, x) }.
        .decl none(n: number, s: number)
        none(n, s) :- n = count : { backs("Algeria", _) }, s = sum x : { score("z", x) }.
        .decl nomin(n: number)
        nomin(n) :- n = min x : { score("z", x) }.
    "#;
    assert_eq!(rows(p, "supporters"), ["GNA,1", "Tobruk,2"]);
    assert_eq!(rows(p, "total"), ["3"]);
    assert_eq!(rows(p, "stats"), ["6,-2,5"]);
    // count and sum of nothing are 0; min of nothing has no value.
    assert_eq!(rows(p, "none"), ["0,0"]);
    assert!(rows(p, "nomin").is_empty());
}

#[test]
fn aggregate_over_a_derived_relation_in_a_lower_stratum() {
    let p = r#"
        .decl e(x: number, y: number)
        .decl path(x: number, y: number)
        e(1, 2). e(2, 3). e(3, 4).
        path(x, y) :- e(x, y).
        path(x, z) :- path(x, y), e(y, z).
        .decl reach_count(x: number, n: number)
        reach_count(x, n) :- e(x, _), n = count : { path(x, _) }.
    "#;
    assert_eq!(rows(p, "reach_count"), ["1,3", "2,2", "3,1"]);
}

#[test]
fn disjunction_and_multiple_heads() {
    let p = r#"
        .decl a(x: number)
        .decl b(x: number)
        .decl c(x: number)
        .decl d(x: number)
        a(1). a(2). b(2). b(3).
        c(x), d(x) :- a(x) ; b(x).
        .decl e(x: number)
        e(x) :- (a(x) ; b(x)), x > 1.
    "#;
    assert_eq!(rows(p, "c"), ["1", "2", "3"]);
    assert_eq!(rows(p, "d"), ["1", "2", "3"]);
    assert_eq!(rows(p, "e"), ["2", "3"]);
}

#[test]
fn expression_argument_in_a_body_atom() {
    let p = r#"
        .decl n(x: number)
        n(1). n(2). n(3).
        .decl succ(x: number)
        succ(x) :- n(x), n(x + 1).
    "#;
    assert_eq!(rows(p, "succ"), ["1", "2"]);
}

#[test]
fn type_aliases_and_zero_arity_relations() {
    let p = r#"
        .type Actor <: symbol
        .type Count = number
        .decl backs(x: Actor, y: Actor)
        .decl weight(x: Actor, n: Count)
        .decl any_backing()
        backs("Egypt", "Tobruk").
        weight(x, 1) :- backs(x, _).
        any_backing() :- backs(_, _).
    "#;
    assert_eq!(rows(p, "weight"), ["Egypt,1"]);
    assert_eq!(run(p)["any_backing"], vec![Vec::<String>::new()]);
}

#[test]
fn autoinc_numbers_each_derivation() {
    let p = r#"
        .decl s(x: symbol)
        s("a"). s("b").
        .decl id(x: symbol, n: number)
        id(x, autoinc()) :- s(x).
    "#;
    let got = rows(p, "id");
    assert_eq!(got.len(), 2);
    let mut ids: Vec<&str> = got.iter().map(|r| r.split(',').nth(1).unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["0", "1"]);
}

#[test]
fn string_escapes_survive() {
    let p = r#"
        .decl q(s: symbol)
        q("say \"no\"\tnow").
    "#;
    assert_eq!(run(p)["q"], vec![vec!["say \"no\"\tnow".to_string()]]);
}

#[test]
fn errors_name_the_problem() {
    let e = error(".decl a(x: number)\n.decl b(x: number)\nb(x) :- a(x), !c(x).\n.decl c(x: number)\nc(x) :- b(x).");
    assert!(e.contains("E015") && e.contains("<program>:3:15"), "{e}");
    let e = error(".decl a(x: number)\n.decl b(x: number)\nb(n) :- n = count : { b(_) }.");
    assert!(e.contains("E015") && e.contains("aggregation"), "{e}");
    let e = error(".decl a(x: number)\n.decl b(x: number)\nb(x) :- a(y).");
    assert!(e.contains("E014") && e.contains("`x`"), "{e}");
    let e = error(".decl a(x: number)\n.decl b(x: number)\nb(x) :- a(x, x).");
    assert!(e.contains("E012"), "{e}");
    let e = error(".decl a(x: number)\n.decl b(x: symbol)\nb(x) :- a(x).");
    assert!(e.contains("E013"), "{e}");
    let e = error(".decl a(x: number)\n.decl b(x: number)\nb(x) :- a(x), !a(y).");
    assert!(e.contains("E014") && e.contains("`y`"), "{e}");
    let e = error(".decl a(x: number)\n.decl b(x: number)\nb(x) :- a(x), y > 3.");
    assert!(e.contains("E014") && e.contains("`y`"), "{e}");
}

/// Tuples are stored as wide as the widest relation and environments as wide as the rule
/// with most variables; both change the evaluator's layout, so cover narrow relations with
/// many variables (a recursive 9-variable rule over pairs) and wide relations with few.
#[test]
fn narrow_relations_with_many_variables_and_wide_relations_with_few() {
    let p = r#"
        .decl e(x: number, y: number)
        .decl walk8(a: number, b: number)
        .decl wide(a: number, b: number, c: number, d: number, f: number, g: number, h: number)
        .decl diag(a: number)
        e(1, 2). e(2, 3). e(3, 4). e(4, 5). e(5, 6). e(6, 7). e(7, 8). e(8, 9). e(9, 1).
        walk8(a, i) :- e(a, b), e(b, c), e(c, d), e(d, f), e(f, g), e(g, h), e(h, j), e(j, i).
        walk8(a, i) :- walk8(a, m), walk8(m, i), a < 3.
        wide(a, a, a, a, a, a, a) :- e(a, _).
        wide(a, b, a, b, a, b, -a) :- wide(a, a, a, a, a, a, a), e(a, b), a > 7.
        diag(a) :- wide(a, b, a, b, a, b, c), c < 0, b != a.
    "#;
    let model = run(p);
    let walk: Vec<String> = model["walk8"].iter().map(|r| r.join(",")).collect();
    // Eight steps around the 9-cycle go from a to a - 1; then 1 and 2 compose further.
    assert!(walk.contains(&"1,9".to_string()) && walk.contains(&"5,4".to_string()));
    assert!(walk.contains(&"1,8".to_string()) && walk.contains(&"2,9".to_string()));
    assert!(!walk.iter().any(|w| w.starts_with("5,") && w != "5,4"));
    assert_eq!(model["wide"].len(), 9 + 2);
    assert_eq!(model["diag"], [vec!["8".to_string()], vec!["9".to_string()]]);
}

#[test]
fn numbers_are_32_bit_and_wrap() {
    let p = r#"
        .decl n(x: number)
        .decl r(x: number)
        n(2147483647). n(-2147483648).
        r(x + 1) :- n(x), x > 0.
        r(x - 1) :- n(x), x < 0.
        r(x * 2) :- n(x), x > 0.
        r(x bshru 28) :- n(x), x < 0.
    "#;
    assert_eq!(rows(p, "r"), ["-2147483648", "-2", "8", "2147483647"]);
    assert!(error(".decl n(x: number)\nn(2147483648).").contains("number out of range"));
}
