//! Plans do not depend on the order in which a rule's literals are written: random rules,
//! each written in several random orders, derive the same tuples, and every lookup of every
//! order's plan probes its index by exactly the columns bound when it runs.
//!
//! `PLAN_ORDER_CASES` sets the number of programs (64 by default): each case evaluates up
//! to six orders of its rules.

use proptest::prelude::*;
use stance::engine::eval::EvalOptions;
use stance::engine::plan::{self, ColAction, KeyPart, Op, Plan, Source};
use std::collections::BTreeMap;

/// Input relations and their arities.
const RELS: [(&str, usize); 3] = [("r0", 2), ("r1", 2), ("r2", 3)];
const NAMES: [&str; 4] = ["a", "b", "c", "d"];

#[derive(Clone, Debug)]
enum Term {
    Var(usize),
    Const(u8),
    Wild,
}

fn term() -> impl Strategy<Value = Term> {
    prop_oneof![6 => (0..NAMES.len()).prop_map(Term::Var), 1 => (0u8..3).prop_map(Term::Const), 1 => Just(Term::Wild)]
}

fn atom(rels: &'static [(&'static str, usize)]) -> impl Strategy<Value = (String, Vec<Term>)> {
    (0..rels.len()).prop_flat_map(move |r| {
        let (name, arity) = rels[r];
        proptest::collection::vec(term(), arity).prop_map(move |args| (name.to_string(), args))
    })
}

fn atom_text((name, args): &(String, Vec<Term>)) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|t| match t {
            Term::Var(v) => NAMES[*v].to_string(),
            Term::Const(c) => c.to_string(),
            Term::Wild => "_".into(),
        })
        .collect();
    format!("{name}({})", args.join(", "))
}

/// A rule: positive atoms, comparisons and negations over the atoms' variables.
#[derive(Clone, Debug)]
struct Rule {
    atoms: Vec<(String, Vec<Term>)>,
    filters: Vec<(usize, &'static str, usize)>,
    negated: Option<(String, Vec<Term>)>,
    /// The recursive rule's atoms over `t` and the inputs.
    recursive: Vec<(String, Vec<Term>)>,
}

fn rule() -> impl Strategy<Value = Rule> {
    static WITH_T: [(&str, usize); 4] = [("r0", 2), ("r1", 2), ("r2", 3), ("t", 2)];
    (
        proptest::collection::vec(atom(&RELS), 2..=4),
        proptest::collection::vec(
            (0..NAMES.len(), prop_oneof![Just("<"), Just("!="), Just("<=")], 0..NAMES.len()),
            0..3,
        ),
        proptest::option::of(atom(&RELS)),
        proptest::collection::vec(atom(&WITH_T), 1..=3),
    )
        .prop_map(|(atoms, filters, negated, recursive)| Rule { atoms, filters, negated, recursive })
}

fn vars_of(atoms: &[(String, Vec<Term>)]) -> Vec<usize> {
    let mut vars: Vec<usize> = atoms
        .iter()
        .flat_map(|(_, args)| args.iter().filter_map(|t| if let Term::Var(v) = t { Some(*v) } else { None }))
        .collect();
    vars.sort_unstable();
    vars.dedup();
    vars
}

/// The literals of the two rules (head, body literals), to be written in some order.
fn rules(r: &Rule) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let vars = vars_of(&r.atoms);
    if !vars.is_empty() {
        let head: Vec<&str> = vars.iter().map(|&v| NAMES[v]).collect();
        let mut body: Vec<String> = r.atoms.iter().map(atom_text).collect();
        for &(x, op, y) in &r.filters {
            if vars.contains(&x) && vars.contains(&y) {
                body.push(format!("{} {op} {}", NAMES[x], NAMES[y]));
            }
        }
        if let Some(n) = &r.negated
            && vars_of(std::slice::from_ref(n)).iter().all(|v| vars.contains(v))
        {
            body.push(format!("!{}", atom_text(n)));
        }
        out.push((format!("out{}({})", head.len(), head.join(", ")), body));
    }
    let mut rec = r.recursive.clone();
    if !rec.iter().any(|(n, _)| n == "t") {
        rec.push(("t".into(), vec![Term::Var(0), Term::Var(1)]));
    }
    let vars = vars_of(&rec);
    if vars.len() >= 2 {
        out.push((
            format!("t({}, {})", NAMES[vars[0]], NAMES[vars[vars.len() - 1]]),
            rec.iter().map(atom_text).collect(),
        ));
    }
    out
}

fn program(rules: &[(String, Vec<String>)], facts: &[(usize, Vec<u8>)]) -> String {
    let mut text = String::from(
        ".decl r0(x: number, y: number)\n.decl r1(x: number, y: number)\n.decl r2(x: number, y: number, z: number)\n\
         .decl t(x: number, y: number)\nt(x, y) :- r1(x, y).\n",
    );
    for n in 1..=NAMES.len() {
        let cols: Vec<String> = (0..n).map(|i| format!("c{i}: number")).collect();
        text += &format!(".decl out{n}({})\n", cols.join(", "));
    }
    for (rel, values) in facts {
        let v: Vec<String> = values[..RELS[*rel].1].iter().map(|x| x.to_string()).collect();
        text += &format!("{}({}).\n", RELS[*rel].0, v.join(", "));
    }
    for (head, body) in rules {
        text += &format!("{head} :- {}.\n", body.join(", "));
    }
    text
}

/// Walks a plan: every lookup's key is exactly the columns bound before it (constants and
/// variables bound earlier), in a prefix of its index's order; no column bound earlier is
/// checked after the lookup instead of keyed.
fn check_keys(plan: &Plan) -> Result<(), String> {
    for s in &plan.strata {
        for rp in &s.rules {
            let mut bound = Vec::new();
            match &rp.source {
                Source::Static { cols, .. } | Source::Dynamic { cols, .. } => bind(cols, &mut bound),
                Source::Unit => {}
            }
            walk(&rp.ops, s, &mut bound)?;
            for (j, after) in &rp.joins {
                bind(&j.cols, &mut bound);
                walk(after, s, &mut bound)?;
            }
        }
    }
    Ok(())
}

fn bind(cols: &[ColAction], bound: &mut Vec<usize>) {
    for c in cols {
        if let ColAction::Bind(v) = c {
            bound.push(*v);
        }
    }
}

fn walk(ops: &[Op], s: &plan::StratumPlan, bound: &mut Vec<usize>) -> Result<(), String> {
    let keyed = |key: &[KeyPart], bound: &[usize]| {
        key.iter().all(|k| matches!(k, KeyPart::Const(_)) || matches!(k, KeyPart::Var(v) if bound.contains(v)))
    };
    for op in ops {
        match op {
            Op::Lookup { index, key, cols } => {
                if !keyed(key, bound) {
                    return Err(format!("lookup keyed by an unbound variable: {op:?}"));
                }
                let before = bound.clone();
                for (i, c) in cols.iter().enumerate() {
                    match c {
                        _ if i < key.len() && *c != ColAction::Skip => {
                            return Err(format!("a key column is matched again: {op:?}"));
                        }
                        ColAction::Check(v) if before.contains(v) => {
                            return Err(format!(
                                "column {} of {:?} checks a bound variable instead of keying it: {op:?}",
                                s.static_indices[*index].order[i], s.static_indices[*index]
                            ));
                        }
                        ColAction::Const(_) => return Err(format!("a constant is checked instead of keyed: {op:?}")),
                        _ => {}
                    }
                }
                bind(cols, bound);
            }
            Op::Absent { key, .. } if !keyed(key, bound) => {
                return Err(format!("negation keyed by an unbound variable: {op:?}"));
            }
            Op::Intersect { var, leapers } => {
                if leapers.iter().any(|l| !keyed(&l.key, bound)) || bound.contains(var) {
                    return Err(format!("intersection over unbound keys or into a bound variable: {op:?}"));
                }
                bound.push(*var);
            }
            Op::Assign { var, .. } | Op::Range { var, .. } => bound.push(*var),
            Op::Aggregate { var, ops, .. } => {
                walk(ops, s, &mut bound.clone())?;
                bound.push(*var);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Every relation's rows, as text.
type Rows = BTreeMap<String, Vec<Vec<String>>>;

fn evaluate(text: &str) -> Result<(Rows, Plan), String> {
    let m = stance::session::evaluate_text(text, &EvalOptions::default())?;
    let stats = plan::Stats::of_inputs(&m.program, std::iter::empty());
    let plan = plan::plan_with(&m.program, &stats);
    Ok((stance::eval_text(text)?, plan))
}

fn cases() -> u32 {
    std::env::var("PLAN_ORDER_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn every_order_of_a_rule_derives_the_same_tuples_through_bound_keys(
        r in rule(),
        facts in proptest::collection::vec((0..RELS.len(), proptest::collection::vec(0u8..4, 3)), 0..40),
        seeds in proptest::collection::vec(any::<u64>(), 5),
    ) {
        let written = rules(&r);
        prop_assume!(!written.is_empty());
        let (want, plan) = evaluate(&program(&written, &facts)).map_err(TestCaseError::fail)?;
        check_keys(&plan).map_err(TestCaseError::fail)?;
        for seed in seeds {
            // A permutation of each body from the seed (Fisher–Yates on SplitMix steps).
            let mut state = seed;
            let mut next = || {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z ^ (z >> 27)
            };
            let shuffled: Vec<(String, Vec<String>)> = written
                .iter()
                .map(|(head, body)| {
                    let mut body = body.clone();
                    for i in (1..body.len()).rev() {
                        body.swap(i, (next() % (i as u64 + 1)) as usize);
                    }
                    (head.clone(), body)
                })
                .collect();
            let text = program(&shuffled, &facts);
            let (got, plan) = evaluate(&text).map_err(TestCaseError::fail)?;
            check_keys(&plan).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(&got, &want, "{}", text);
        }
    }
}

/// The benchmark's rule, in all six orders of its atoms: the same plan every time (apart
/// from the rule's own text), with the closing edge found by intersection.
#[test]
fn the_three_cycle_has_one_plan_in_every_atom_order() {
    let atoms = ["edge(a, b, _)", "edge(b, c, _)", "edge(c, a, _)"];
    let mut facts = String::new();
    for (x, y) in [(1, 2), (2, 3), (3, 1), (1, 3), (3, 4), (4, 1), (2, 4)] {
        facts += &format!("edge({x}, {y}, 1).\n");
    }
    let mut plans = Vec::new();
    for p in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        let body: Vec<&str> = p.iter().map(|&i| atoms[i]).collect();
        let text = format!(
            ".decl edge(a: number, b: number, s: number)\n{facts}.decl cycle(a: number, b: number, c: number)\n\
             cycle(a, b, c) :- {}, a < b, a < c, b != c.\n",
            body.join(", ")
        );
        let m = stance::session::evaluate_text(&text, &EvalOptions::default()).unwrap();
        let plan = plan::plan_with(&m.program, &plan::Stats::of_inputs(&m.program, std::iter::empty()));
        let shown = plan::describe(&plan, &m.program, &m.sources);
        let shown: Vec<&str> = shown.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
        assert_eq!(
            stance::eval_text(&text).unwrap()["cycle"],
            vec![vec!["1", "2", "3"], vec!["1", "2", "4"], vec!["1", "3", "4"]]
        );
        plans.push(shown.join("\n"));
    }
    assert!(plans[0].contains("intersect into c: edge[by [0]] on [b] ∩ edge[by [1]] on [a]"), "{}", plans[0]);
    for p in &plans[1..] {
        assert_eq!(p, &plans[0]);
    }
}
