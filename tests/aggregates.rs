//! Aggregates with Soufflé's semantics, on every engine: targets that are expressions,
//! bodies of several literals (ranging over distinct bindings, as Soufflé's materialised
//! bodies do), nested aggregates, target variables local to the aggregate, `min`/`max`
//! witnesses, the witness problem of `count`/`sum`, and their proofs.

#[path = "common/proof_check.rs"]
mod proof_check;
#[path = "common/run.rs"]
mod run;
use run::{project, stance, stderr, stdout};
use stance::engine::backend::Engine;
use stance::engine::eval::EvalOptions;

/// The rows of `rel`, each joined with `,`, the same on every engine (`Compare` fails on
/// any difference between datafrog and the simple engine).
fn rows(program: &str, rel: &str) -> Vec<String> {
    let mut seen: Option<Vec<String>> = None;
    for engine in [Engine::Datafrog, Engine::Simple, Engine::Compare] {
        let options = EvalOptions { record: true, engine, ..Default::default() };
        let m = stance::session::evaluate_text(program, &options).unwrap_or_else(|e| panic!("{engine:?}: {e}"));
        let id = m.program.relation_id(rel).unwrap_or_else(|| panic!("no relation {rel}"));
        let got: Vec<String> =
            stance::base::order::sorted_rows(&m.model.relations[id], &m.program.relations[id].types, &m.symbols)
                .into_iter()
                .map(|r| r.join(","))
                .collect();
        if let Some(first) = &seen {
            assert_eq!(&got, first, "{engine:?} differs on {rel}");
        }
        seen = Some(got);
    }
    seen.unwrap_or_default()
}

fn error(program: &str) -> String {
    match stance::eval_text(program) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

const DUES: &str = r#"
    .decl group(g: symbol)
    group("g1"). group("g2").
    .decl member(g: symbol, p: symbol)
    member("g1", "ann"). member("g1", "bob"). member("g2", "bob"). member("g2", "cy").
    .decl paid(p: symbol, amount: number, month: number)
    paid("ann", 10, 1). paid("ann", 10, 2). paid("bob", 5, 1). paid("cy", 7, 1).
    .decl banned(p: symbol)
    banned("cy").
"#;

/// A body of several literals ranges over the distinct bindings of its own variables (Soufflé
/// materialises it into a relation of them), so `ann`, who paid twice, counts once.
#[test]
fn several_literals_range_over_distinct_bindings() {
    let p = format!(
        "{DUES}
        .decl payers(g: symbol, n: number)
        payers(g, n) :- group(g), n = count : {{ member(g, p), paid(p, _, _) }}.
        .decl clean(g: symbol, n: number)
        clean(g, n) :- group(g), n = count : {{ member(g, p), !banned(p), paid(p, _, _) }}.
        .decl total(g: symbol, s: number)
        total(g, s) :- group(g), s = sum x : {{ member(g, p), paid(p, x, _), x > 5 }}.
        .decl keysum(s: number)
        keysum(s) :- s = sum x : {{ paid(p, x, _), member(_, p) }}.
        .decl rowsum(s: number)
        rowsum(s) :- s = sum x : {{ paid(_, x, _) }}.
        .decl twice(s: number)
        twice(s) :- s = count : {{ paid(p, a, a) }}.
        .decl none(g: symbol, n: number, s: number)
        none(g, n, s) :- group(g), n = count : {{ member(g, p), banned(p), paid(p, _, 2) }},
            s = sum x : {{ member(g, p), paid(p, x, 3) }}.
        .decl lo(g: symbol, m: number)
        lo(g, m) :- group(g), m = min x : {{ member(g, p), paid(p, x, 2) }}."
    );
    assert_eq!(rows(&p, "payers"), ["g1,2", "g2,2"]);
    assert_eq!(rows(&p, "clean"), ["g1,2", "g2,1"]);
    // ann's 10 counts once: the binding (ann, 10) is one, whatever the month.
    assert_eq!(rows(&p, "total"), ["g1,10", "g2,7"]);
    assert_eq!(rows(&p, "keysum"), ["22"]);
    // One atom alone: every matching tuple counts, as in Soufflé.
    assert_eq!(rows(&p, "rowsum"), ["32"]);
    // A repeated variable materialises one atom too (no `paid` row has amount = month).
    assert_eq!(rows(&p, "twice"), ["0"]);
    // Nothing to count or sum gives 0; g2 has no payment in month 2: no minimum, no tuple.
    assert_eq!(rows(&p, "none"), ["g1,0,0", "g2,0,0"]);
    assert_eq!(rows(&p, "lo"), ["g1,10"]);
}

/// A target is any expression. A target variable that the body binds is the aggregate's own
/// (Soufflé renames it apart), even where the rule binds the same name; one the body does not
/// bind is the rule's.
#[test]
fn targets_are_expressions_over_the_aggregates_own_variables() {
    let p = r#"
        .decl a(k: number, z: number)
        a(1, 10). a(2, 20). a(3, 5).
        .decl b(k: number, y: number)
        b(1, 1). b(2, 2). b(3, 100).
        .decl m(v: number)
        m(v) :- v = min Z + Y : { a(A, Z), b(B, Y), A != B }.
        .decl d(v: number)
        d(v) :- v = sum x * 2 : { a(_, x) }.
        .decl e(k: number, v: number)
        e(k, v) :- b(k, _), v = max z - k : { a(_, z) }.
        .decl C(k: number, t: number)
        C(k, t) :- a(k, z), t = sum z : { b(_, z) }.
        .decl E(k: number, t: number)
        E(k, t) :- a(k, z), t = max z + y : { b(k, y) }.
    "#;
    // The smallest sum over two different keys: 5 (key 3) + 1 (key 1).
    assert_eq!(rows(p, "m"), ["6"]);
    assert_eq!(rows(p, "d"), ["70"]);
    // `k` is not bound inside the braces: it is the rule's `k`.
    assert_eq!(rows(p, "e"), ["1,19", "2,18", "3,17"]);
    // `z` is bound inside: every `z` of `b` is summed, whatever the rule's `z`.
    assert_eq!(rows(p, "C"), ["1,103", "2,103", "3,103"]);
    // `z` is not bound inside: the rule's.
    assert_eq!(rows(p, "E"), ["1,11", "2,22", "3,105"]);
}

#[test]
fn nested_aggregates_with_several_literals() {
    let p = r#"
        .decl edge(a: number, b: number)
        edge(1, 2). edge(1, 3). edge(2, 3). edge(3, 1).
        .decl node(a: number)
        node(1). node(2). node(3).
        .decl hubs(n: number)
        hubs(n) :- n = count : { node(x), d = count : { edge(x, y), node(y) }, d >= 2 }.
        .decl reach2(x: number, n: number)
        reach2(x, n) :- node(x), n = count : { edge(x, y), edge(y, z), z != x }.
        .decl spread(x: number, s: number)
        spread(x, s) :- node(x), s = sum d : { edge(x, y), d = count : { edge(y, _) } }.
        .decl once(x: number, s: number)
        once(x, s) :- node(x), s = sum d : { edge(x, _), d = count : { node(_) } }.
    "#;
    assert_eq!(rows(p, "hubs"), ["1"]);
    // 3 → 1 → 2 counts; 3 → 1 → 3 comes back to 3.
    assert_eq!(rows(p, "reach2"), ["1,1", "2,1", "3,1"]);
    // 1 → 2 (out-degree 1), 3 (out-degree 1): the binding is (y, d), so both count.
    assert_eq!(rows(p, "spread"), ["1,2", "2,1", "3,2"]);
    // The binding is `d` alone (`x` is the rule's): node 1's two edges give it once.
    assert_eq!(rows(p, "once"), ["1,3", "2,3", "3,3"]);
}

const FAMILY: &str = r#"
    .decl family(name: symbol, age: number)
    family("Alissa", 10). family("Maria", 46). family("Mark", 50). family("Max", 10).
    .decl team(t: symbol)
    team("red"). team("blue").
    .decl score(team: symbol, player: symbol, pts: number)
    score("red", "ann", 10). score("red", "bob", 12). score("red", "cy", 12).
    score("blue", "dee", 7). score("blue", "eve", 3).
"#;

/// A variable bound inside a `min`/`max` and used outside is a witness: each binding of the
/// body that reaches the minimum or maximum (ties give several tuples), as Soufflé's
/// `GroundWitnesses` gives.
#[test]
fn min_and_max_export_their_witnesses() {
    let p = format!(
        "{FAMILY}
        .decl youngest(name: symbol, age: number)
        youngest(p, n) :- n = min x : family(p, x).
        .decl oldest(name: symbol, age: number)
        oldest(p, max x : {{ family(p, x) }}) :- true.
        .decl adult(name: symbol)
        adult(p) :- _n = min x : {{ family(p, x), x >= 18 }}.
        .decl best(t: symbol, p: symbol, n: number)
        best(t, p, n) :- team(t), n = max x : {{ score(t, p, x) }}.
        .decl pair(p: symbol, q: symbol, s: number)
        pair(p, q, s) :- s = min x + y : {{ score(t, p, x), score(t, q, y), p != q }}."
    );
    assert_eq!(rows(&p, "youngest"), ["Alissa,10", "Max,10"]);
    assert_eq!(rows(&p, "oldest"), ["Mark,50"]);
    assert_eq!(rows(&p, "adult"), ["Maria"]);
    assert_eq!(rows(&p, "best"), ["blue,dee,7", "red,bob,12", "red,cy,12"]);
    assert_eq!(rows(&p, "pair"), ["dee,eve,10", "eve,dee,10"]);
}

#[test]
fn count_and_sum_have_no_witness() {
    let e = error(
        ".decl f(p: symbol, a: number)\nf(\"a\", 1).\n.decl c(p: symbol, n: number)\nc(p, n) :- n = count : { f(p, _) }.",
    );
    assert!(e.contains("E014") && e.contains("<program>:4:28"), "{e}");
    assert!(
        e.contains("variable `p` is bound only inside this `count` aggregate, but the rule uses it outside"),
        "{e}"
    );
    let e = error(
        ".decl f(p: symbol, a: number)\nf(\"a\", 1).\n.decl s(p: symbol, n: number)\ns(p, n) :- n = sum x : { f(p, x) }.",
    );
    assert!(e.contains("variable `p` is bound only inside this `sum` aggregate"), "{e}");
    // A witness two aggregates deep is not exported (Soufflé's transform does one level).
    let e = error(
        ".decl f(p: symbol, a: number)\nf(\"a\", 1).\n.decl r(p: symbol, k: number)\nr(p, k) :- k = sum z : { f(_, z), z = min x : { f(p, x) } }.",
    );
    assert!(
        e.contains("<program>:4:3: error[E014]: variable `p` in an aggregate is not bound by any positive atom"),
        "{e}"
    );
}

/// The proof of a witness shows the binding that reaches the maximum and the bindings the
/// aggregate ranges over; a binding reached several ways is listed once, with its smallest
/// premises, and counts once.
#[test]
fn proofs_show_witnesses_and_distinct_bindings() {
    let rules = format!(
        "{FAMILY}{DUES}
        .decl best(t: symbol, p: symbol, n: number)
        best(t, p, n) :- team(t), n = max x : {{ score(t, p, x) }}.
        .decl total(g: symbol, s: number)
        total(g, s) :- group(g), s = sum x : {{ member(g, p), paid(p, x, _), x > 5 }}.
        .decl top(x: number, p: symbol, n: number)
        top(x, p, n) :- score(_, _, x), x > 10, n = max x : {{ score(_, p, x) }}.
        .output best, total, top
        "
    );
    let dir = project(&[("rules/a.dl", &rules)]);
    for engine in ["datafrog", "simple"] {
        let o = stance(dir.path(), &["explain", "--no-facts", "--engine", engine, r#"best("red", "cy", 12)"#]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let text = stdout(&o);
        // The witness binding, `x` being the copy of the body's target.
        assert!(text.contains("with t = \"red\", n = 12, p = \"cy\", x = 12\n"), "{text}");
        assert!(text.contains("├─ score(\"red\", \"cy\", 12)\n"), "{text}");
        assert!(text.contains("computed: max x : { score(t, p, x) } = 12, over:\n"), "{text}");
        let o = stance(dir.path(), &["explain", "--no-facts", "--engine", engine, r#"total("g1", 10)"#]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let text = stdout(&o);
        assert!(text.contains("computed: sum x : { member(g, p), paid(p, x, _), x > 5 } = 10, over:\n"), "{text}");
        assert!(text.contains("member(\"g1\", \"ann\"), paid(\"ann\", 10, 1)\n"), "{text}");
        assert!(!text.contains("paid(\"ann\", 10, 2)"), "{text}");
        // The copy's own `x` (the target, renamed apart) is told from the rule's `x`.
        let o = stance(dir.path(), &["explain", "--no-facts", "--engine", engine, r#"top(12, "cy", 12)"#]);
        let text = stdout(&o);
        assert!(text.contains("with x = 12, n = 12, p = \"cy\", x' = 12\n"), "{text}");
    }
}

/// Every tuple of the witness and distinct-binding programs has a proof that the independent
/// checker accepts (witness copies are ordinary body literals; aggregates recomputed over
/// distinct bindings), from either engine's annotations.
#[test]
fn every_aggregate_tuple_has_a_proof_the_checker_accepts() {
    let text = format!(
        "{FAMILY}{DUES}
        .decl youngest(name: symbol, age: number)
        youngest(p, n) :- n = min x : family(p, x).
        .decl best(t: symbol, p: symbol, n: number)
        best(t, p, n) :- team(t), n = max x : {{ score(t, p, x) }}.
        .decl pair(p: symbol, q: symbol, s: number)
        pair(p, q, s) :- s = min x + y : {{ score(t, p, x), score(t, q, y), p != q }}.
        .decl total(g: symbol, s: number)
        total(g, s) :- group(g), s = sum x : {{ member(g, p), paid(p, x, _), x > 5 }}.
        .decl payers(g: symbol, n: number)
        payers(g, n) :- group(g), n = count : {{ member(g, p), paid(p, _, _) }}."
    );
    for engine in [Engine::Datafrog, Engine::Simple] {
        let options = EvalOptions { record: true, engine, ..Default::default() };
        let m = stance::session::evaluate_text(&text, &options).unwrap_or_else(|e| panic!("{e}"));
        let stance::session::TextModel { sources, mut symbols, program, model } = m;
        let facts = stance::facts::load::Facts::new();
        let mut ex = stance::proof::provenance::Explainer::new(&program, &model, &facts, &sources, &mut symbols);
        let mut checked = 0;
        for (rel, tuples) in model.relations.iter().enumerate() {
            for tuple in tuples.iter() {
                let root = ex.explain(rel, tuple).unwrap_or_else(|| panic!("{engine:?}: no proof of {tuple:?}"));
                proof_check::check_proof(&ex, root).unwrap_or_else(|e| panic!("{engine:?}: proof of {tuple:?}: {e}"));
                checked += 1;
            }
        }
        assert!(checked >= 30, "only {checked} tuples checked");
    }
}

/// `mean` averages a float target (Soufflé types it `float`): over the tuples of a one-atom
/// body, over distinct bindings of a larger one, and with no result for an empty body.
#[test]
fn mean_averages_floats_and_has_no_value_for_nothing() {
    let p = r#"
        .decl score(who: symbol, s: float)
        score("a", 1.0). score("a", 2.0). score("a", 4.5). score("b", 3.0).
        .decl who(w: symbol)
        who("a"). who("b"). who("c").
        .decl avg(w: symbol, m: float)
        avg(w, m) :- who(w), m = mean s : { score(w, s) }.
        .decl shifted(m: float)
        shifted(m) :- m = mean s + 1.0 : score(_, s).
        .decl pairs(m: float)
        pairs(m) :- m = mean s : { score(w, s), who(w), w != "b" }.
    "#;
    assert_eq!(rows(p, "avg"), ["a,2.5", "b,3"]);
    assert_eq!(rows(p, "shifted"), ["3.625"]);
    assert_eq!(rows(p, "pairs"), ["2.5"]);
}

/// An integer target is a type error (the diagnostics corpus shows its help).
#[test]
fn mean_of_integers_is_a_type_error() {
    let e = error(".decl n(x: number)\nn(1).\n.decl m(x: float)\nm(a) :- a = mean x : n(x).\n");
    assert_eq!(e, "<program>:4:18: error[E013]: the `mean` aggregate's target is a number but a float is expected");
}
