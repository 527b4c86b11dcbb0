//! Differential test: random stratified Datalog programs are evaluated by stance
//! (`stance::eval_text`) and by the deliberately naive evaluator below, and every relation
//! must come out the same.
//!
//! The naive evaluator is the specification: per stratum, apply every rule to the whole
//! database until nothing changes; a negated atom is checked against the database, which by
//! construction already holds the complete lower strata. No indexes, no semi-naive deltas.
//!
//! The same programs run on the second engine (`--engine simple`), whose proofs must pass the
//! same checker.
//!
//! Rules may aggregate (`n = count : { ... }`, `sum`, `min`, `max`) over lower strata, with
//! variables of their own (`y0`, `y1`) beside the rule's: the naive evaluator computes each by
//! brute force, with Soufflé's semantics (a body of one atom ranges over its tuples, any other
//! over the distinct bindings of its own variables).
//!
//! `PROPTEST_CASES` sets the number of programs (256 by default; CI uses 1000). The same
//! generator also writes programs over `unsigned` and `float` columns, without aggregates
//! (`NUMBER_TYPE_CASES`, 64 by default).
//!
//! The differential-dataflow engine (`--engine dd`) runs the same generated programs, on one
//! and on two worker threads, in a property of its own: `DD_CASES` programs (64 by default),
//! since each run starts timely workers.

use proptest::prelude::*;

#[path = "common/proof_check.rs"]
mod proof_check;
use proptest::sample::Index;
use std::collections::{BTreeMap, BTreeSet};

/// Number of distinct variables a rule may use (`x0`..`x3`).
const VARS: usize = 4;
/// Values of the number domain: `0..DOMAIN`.
const DOMAIN: i64 = 6;

// ------------------------------------------------------------------------------------------
// Programs
// ------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Var(usize),
    Const(i64),
    Wild,
    /// The value of the rule's aggregate (`n`), in a head only.
    Agg,
}

/// Number of an aggregate's own variables (`y0`, `y1`).
const LOCALS: usize = 2;

/// A term inside an aggregate's braces.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ITerm {
    Local(usize),
    Outer(usize),
    Const(i64),
    Wild,
}

#[derive(Clone, Debug)]
struct IAtom {
    rel: String,
    args: Vec<ITerm>,
}

#[derive(Clone, Copy, Debug)]
enum AggFunc {
    Count,
    Sum,
    Min,
    Max,
}

/// `n = func target : { pos, !neg, cmps }`, the target `y{k} + c`.
#[derive(Clone, Debug)]
struct Agg {
    func: AggFunc,
    target: Option<(usize, i64)>,
    pos: Vec<IAtom>,
    neg: Vec<IAtom>,
    cmps: Vec<(Op, usize, i64)>,
}

#[derive(Clone, Debug)]
struct Atom {
    rel: String,
    args: Vec<Term>,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "=",
            Op::Ne => "!=",
        }
    }

    fn holds(self, a: i64, b: i64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

#[derive(Clone, Debug)]
struct Cmp {
    op: Op,
    lhs: Term,
    rhs: Term,
}

#[derive(Clone, Debug)]
struct Rule {
    head: Atom,
    pos: Vec<Atom>,
    neg: Vec<Atom>,
    cmps: Vec<Cmp>,
    agg: Option<Agg>,
}

#[derive(Clone, Debug)]
struct Relation {
    name: String,
    arity: usize,
    /// Strata are evaluated in increasing order; base relations are stratum 0 and have
    /// no rules. Derived relations have stratum >= 1.
    stratum: usize,
    facts: Vec<Vec<i64>>,
}

#[derive(Clone, Debug)]
struct Program {
    relations: Vec<Relation>,
    rules: Vec<Rule>,
}

/// The column type of every relation of a generated program. The naive evaluator works on
/// small integers `v`; a float program stands `v` for the float `v + 0.5` (written `v.5`,
/// which keeps order and equality), an unsigned one for `v` written `vu`.
#[derive(Clone, Copy, Debug)]
enum Num {
    Number,
    Unsigned,
    Float,
}

impl Num {
    fn name(self) -> &'static str {
        match self {
            Num::Number => "number",
            Num::Unsigned => "unsigned",
            Num::Float => "float",
        }
    }

    /// `v` as a literal of the type.
    fn literal(self, v: i64) -> String {
        match self {
            Num::Number => v.to_string(),
            Num::Unsigned => format!("{v}u"),
            Num::Float => format!("{v}.5"),
        }
    }

    /// `v` as stance writes the value in output.
    fn shown(self, v: i64) -> String {
        match self {
            Num::Float => format!("{v}.5"),
            _ => v.to_string(),
        }
    }
}

fn term_text(t: &Term, num: Num) -> String {
    match t {
        Term::Var(v) => format!("x{v}"),
        Term::Const(c) => num.literal(*c),
        Term::Wild => "_".to_string(),
        Term::Agg => "n".to_string(),
    }
}

fn iterm_text(t: &ITerm) -> String {
    match t {
        ITerm::Local(k) => format!("y{k}"),
        ITerm::Outer(x) => format!("x{x}"),
        ITerm::Const(c) => c.to_string(),
        ITerm::Wild => "_".to_string(),
    }
}

fn iatom_text(a: &IAtom) -> String {
    let args: Vec<String> = a.args.iter().map(iterm_text).collect();
    format!("{}({})", a.rel, args.join(", "))
}

fn agg_text(a: &Agg) -> String {
    let func = match a.func {
        AggFunc::Count => "count",
        AggFunc::Sum => "sum",
        AggFunc::Min => "min",
        AggFunc::Max => "max",
    };
    let target = match a.target {
        Some((k, 0)) => format!(" y{k}"),
        Some((k, c)) => format!(" y{k} + {c}"),
        None => String::new(),
    };
    let mut body: Vec<String> = a.pos.iter().map(iatom_text).collect();
    body.extend(a.neg.iter().map(|n| format!("!{}", iatom_text(n))));
    body.extend(a.cmps.iter().map(|(op, k, c)| format!("y{k} {} {c}", op.text())));
    format!("{func}{target} : {{ {} }}", body.join(", "))
}

fn atom_text(a: &Atom, num: Num) -> String {
    let args: Vec<String> = a.args.iter().map(|t| term_text(t, num)).collect();
    format!("{}({})", a.rel, args.join(", "))
}

/// Renders the program as stance rule text, facts inline.
fn render(p: &Program) -> String {
    render_as(p, Num::Number)
}

/// Renders the program with columns of type `num`.
fn render_as(p: &Program, num: Num) -> String {
    let mut out = String::new();
    for r in &p.relations {
        let cols: Vec<String> = (0..r.arity).map(|i| format!("c{i}: {}", num.name())).collect();
        out.push_str(&format!(".decl {}({})\n", r.name, cols.join(", ")));
    }
    for r in &p.relations {
        for f in &r.facts {
            let vals: Vec<String> = f.iter().map(|&v| num.literal(v)).collect();
            out.push_str(&format!("{}({}).\n", r.name, vals.join(", ")));
        }
    }
    for rule in &p.rules {
        let mut body: Vec<String> = rule.pos.iter().map(|a| atom_text(a, num)).collect();
        body.extend(rule.neg.iter().map(|a| format!("!{}", atom_text(a, num))));
        body.extend(
            rule.cmps.iter().map(|c| format!("{} {} {}", term_text(&c.lhs, num), c.op.text(), term_text(&c.rhs, num))),
        );
        if let Some(a) = &rule.agg {
            body.push(format!("n = {}", agg_text(a)));
        }
        out.push_str(&format!("{} :- {}.\n", atom_text(&rule.head, num), body.join(", ")));
    }
    out
}

// ------------------------------------------------------------------------------------------
// The naive evaluator
// ------------------------------------------------------------------------------------------

type Db = BTreeMap<String, BTreeSet<Vec<i64>>>;
type Binding = [Option<i64>; VARS];

/// Extends `b` so that `atom` matches `tuple`; None if it cannot.
fn unify(atom: &Atom, tuple: &[i64], b: &Binding) -> Option<Binding> {
    let mut b = *b;
    for (t, &v) in atom.args.iter().zip(tuple) {
        match t {
            Term::Wild => {}
            Term::Const(c) => {
                if *c != v {
                    return None;
                }
            }
            Term::Var(x) => match b[*x] {
                Some(old) if old != v => return None,
                Some(_) => {}
                None => b[*x] = Some(v),
            },
            Term::Agg => unreachable!("an aggregate's value appears in heads only"),
        }
    }
    Some(b)
}

fn value(t: &Term, b: &Binding) -> i64 {
    match t {
        Term::Const(c) => *c,
        Term::Var(x) => b[*x].expect("generator binds every variable outside positive atoms"),
        Term::Wild | Term::Agg => unreachable!("no wildcard or aggregate in comparisons"),
    }
}

type Inner = [Option<i64>; LOCALS];

/// Extends the aggregate's own binding `b` so that `atom` matches `tuple` under the rule's `outer`.
fn iunify(atom: &IAtom, tuple: &[i64], outer: &Binding, b: &Inner) -> Option<Inner> {
    let mut b = *b;
    for (t, &v) in atom.args.iter().zip(tuple) {
        match t {
            ITerm::Wild => {}
            ITerm::Const(c) if *c != v => return None,
            ITerm::Const(_) => {}
            ITerm::Outer(x) if outer[*x] != Some(v) => return None,
            ITerm::Outer(_) => {}
            ITerm::Local(k) => match b[*k] {
                Some(old) if old != v => return None,
                Some(_) => {}
                None => b[*k] = Some(v),
            },
        }
    }
    Some(b)
}

fn ijoin(pos: &[IAtom], db: &Db, outer: &Binding, b: Inner, out: &mut Vec<Inner>) {
    let Some((first, rest)) = pos.split_first() else {
        out.push(b);
        return;
    };
    for tuple in db.get(&first.rel).into_iter().flatten() {
        if let Some(b2) = iunify(first, tuple, outer, &b) {
            ijoin(rest, db, outer, b2, out);
        }
    }
}

/// The aggregate's value for the rule's binding `outer`, by brute force: one solution per
/// tuple of a one-atom body (no repeated variable), else one per distinct binding of `y0, y1`.
fn aggregate(a: &Agg, outer: &Binding, db: &Db) -> Option<i64> {
    let mut sols = Vec::new();
    ijoin(&a.pos, db, outer, [None; LOCALS], &mut sols);
    sols.retain(|s| {
        a.neg.iter().all(|n| !db.get(&n.rel).into_iter().flatten().any(|t| iunify(n, t, outer, s).is_some()))
            && a.cmps.iter().all(|(op, k, c)| op.holds(s[*k].expect("bound by an atom"), *c))
    });
    let mut names: Vec<String> = Vec::new();
    for arg in a.pos.iter().flat_map(|p| &p.args) {
        match arg {
            ITerm::Local(k) => names.push(format!("y{k}")),
            ITerm::Outer(x) => names.push(format!("x{x}")),
            _ => {}
        }
    }
    let repeated = names.len() != names.iter().collect::<BTreeSet<_>>().len();
    if a.pos.len() > 1 || repeated {
        let distinct: BTreeSet<Inner> = sols.into_iter().collect();
        sols = distinct.into_iter().collect();
    }
    let values: Vec<i64> = sols.iter().map(|s| a.target.map_or(0, |(k, c)| s[k].expect("bound") + c)).collect();
    match a.func {
        AggFunc::Count => Some(values.len() as i64),
        AggFunc::Sum => Some(values.iter().sum()),
        AggFunc::Min => values.iter().copied().min(),
        AggFunc::Max => values.iter().copied().max(),
    }
}

/// All bindings satisfying the positive atoms `pos[i..]`, by brute force.
fn join(pos: &[Atom], db: &Db, b: Binding, out: &mut Vec<Binding>) {
    let Some((first, rest)) = pos.split_first() else {
        out.push(b);
        return;
    };
    for tuple in db.get(&first.rel).into_iter().flatten() {
        if let Some(b2) = unify(first, tuple, &b) {
            join(rest, db, b2, out);
        }
    }
}

/// Every head tuple the rule derives from `db` (one application, no fixpoint).
fn apply(rule: &Rule, db: &Db) -> Vec<Vec<i64>> {
    let mut bindings = Vec::new();
    join(&rule.pos, db, [None; VARS], &mut bindings);
    bindings
        .into_iter()
        .filter(|b| {
            rule.neg.iter().all(|n| {
                // `!r(x, _)`: no tuple of r agrees with the bound arguments.
                !db.get(&n.rel).into_iter().flatten().any(|t| unify(n, t, b).is_some())
            })
        })
        .filter(|b| rule.cmps.iter().all(|c| c.op.holds(value(&c.lhs, b), value(&c.rhs, b))))
        .filter_map(|b| {
            let n = match &rule.agg {
                Some(a) => Some(aggregate(a, &b, db)?),
                None => None,
            };
            Some(
                rule.head
                    .args
                    .iter()
                    .map(|t| if *t == Term::Agg { n.expect("an aggregate") } else { value(t, &b) })
                    .collect(),
            )
        })
        .collect()
}

fn naive_eval(p: &Program) -> Db {
    let mut db: Db = p.relations.iter().map(|r| (r.name.clone(), r.facts.iter().cloned().collect())).collect();
    let strata: BTreeSet<usize> = p.relations.iter().map(|r| r.stratum).collect();
    let stratum_of: BTreeMap<&str, usize> = p.relations.iter().map(|r| (r.name.as_str(), r.stratum)).collect();
    for s in strata {
        let rules: Vec<&Rule> = p.rules.iter().filter(|r| stratum_of[r.head.rel.as_str()] == s).collect();
        loop {
            let mut changed = false;
            for rule in &rules {
                for t in apply(rule, &db) {
                    changed |= db.get_mut(&rule.head.rel).expect("declared").insert(t);
                }
            }
            if !changed {
                break;
            }
        }
    }
    db
}

fn rendered(db: &Db) -> BTreeMap<String, Vec<Vec<String>>> {
    rendered_as(db, Num::Number)
}

fn rendered_as(db: &Db, num: Num) -> BTreeMap<String, Vec<Vec<String>>> {
    db.iter()
        .map(|(k, rows)| {
            let mut rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|&v| num.shown(v)).collect()).collect();
            // Sorted as the strings stance renders, not as numbers.
            rows.sort();
            (k.clone(), rows)
        })
        .collect()
}

fn check_against_stance(p: &Program) -> Result<(), TestCaseError> {
    check_against_stance_as(p, Num::Number)
}

fn check_against_stance_as(p: &Program, num: Num) -> Result<(), TestCaseError> {
    let text = render_as(p, num);
    let expected = rendered_as(&naive_eval(p), num);
    let actual = match stance::eval_text(&text) {
        Ok(a) => a,
        Err(e) => {
            return Err(TestCaseError::fail(format!("stance rejected:\n{text}\n{e}")));
        }
    };
    let mut actual = actual;
    for rows in actual.values_mut() {
        rows.sort();
    }
    prop_assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        actual.keys().collect::<Vec<_>>(),
        "relation names differ for program:\n{}",
        text
    );
    for (name, rows) in &expected {
        prop_assert_eq!(rows, &actual[name], "relation {} differs for program:\n{}", name, text);
    }
    check_recording(&text)?;
    check_simple_engine(&text)
}

/// The second engine behind the boundary (`--engine simple`) derives the same model, and its
/// recorded annotations keep the provenance contract: every tuple gets a proof the
/// independent checker accepts.
fn check_simple_engine(text: &str) -> Result<(), TestCaseError> {
    use stance::engine::backend::Engine;
    use stance::engine::eval::EvalOptions;
    let datafrog = stance::session::evaluate_text(text, &EvalOptions::default()).map_err(TestCaseError::fail)?;
    let options = EvalOptions { record: true, engine: Engine::Simple, ..Default::default() };
    let simple = stance::session::evaluate_text(text, &options).map_err(TestCaseError::fail)?;
    prop_assert_eq!(&datafrog.model.relations, &simple.model.relations, "the engines disagree on:\n{}", text);
    check_every_proof(simple, text)
}

/// Every tuple of every relation has a proof, and the independent checker accepts it.
fn check_every_proof(m: stance::session::TextModel, text: &str) -> Result<(), TestCaseError> {
    let stance::session::TextModel { sources, mut symbols, program, model } = m;
    let facts = stance::facts::load::Facts::new();
    let mut ex = stance::proof::provenance::Explainer::new(&program, &model, &facts, &sources, &mut symbols);
    for (rel, tuples) in model.relations.iter().enumerate() {
        for tuple in tuples.iter() {
            let Some(root) = ex.explain(rel, tuple) else {
                return Err(TestCaseError::fail(format!("no proof of {tuple:?} in relation {rel}:\n{text}")));
            };
            if let Err(e) = proof_check::check_proof(&ex, root) {
                return Err(TestCaseError::fail(format!("bad proof of {tuple:?} in relation {rel}: {e}\n{text}")));
            }
        }
    }
    Ok(())
}

/// Recording provenance must not change the model, and must annotate every tuple: input
/// facts with round 0, derived tuples with a later round and a rule for their relation.
fn check_recording(text: &str) -> Result<(), TestCaseError> {
    use stance::engine::eval::{EvalOptions, INPUT};
    let plain = stance::session::evaluate_text(text, &EvalOptions::default()).map_err(TestCaseError::fail)?;
    let recorded = stance::session::evaluate_text(text, &EvalOptions { record: true, ..Default::default() })
        .map_err(TestCaseError::fail)?;
    prop_assert_eq!(&plain.model.relations, &recorded.model.relations, "recording changed the model:\n{}", text);
    check_every_proof(recorded, text)?;
    let recorded = stance::session::evaluate_text(text, &EvalOptions { record: true, ..Default::default() })
        .map_err(TestCaseError::fail)?;
    for (rel, tuples) in recorded.model.relations.iter().enumerate() {
        for (index, tuple) in tuples.iter().enumerate() {
            let a = recorded.model.annotation(rel, index);
            prop_assert!(a.is_some(), "tuple {} of relation {} not annotated in:\n{}", index, rel, text);
            let a = a.unwrap();
            let is_fact = recorded.program.facts.iter().any(|f| f.rel == rel && f.values == tuple);
            if a.rule == INPUT {
                prop_assert!(is_fact && a.round == 0, "tuple {:?} of {} marked input in:\n{}", tuple, rel, text);
            } else {
                let rule = &recorded.program.rules[a.rule as usize];
                prop_assert!(!is_fact && a.round > 0 && rule.head == rel, "bad annotation {:?} in:\n{}", a, text);
            }
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Generation
// ------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum RawTerm {
    Var(usize),
    Const(i64),
    Wild,
}

fn raw_term() -> impl Strategy<Value = RawTerm> {
    prop_oneof![
        5 => (0..VARS).prop_map(RawTerm::Var),
        1 => (0..DOMAIN).prop_map(RawTerm::Const),
        1 => Just(RawTerm::Wild),
    ]
}

#[derive(Clone, Debug)]
struct RawAtom {
    rel: Index,
    terms: Vec<RawTerm>,
}

fn raw_atom() -> impl Strategy<Value = RawAtom> {
    (any::<Index>(), prop::collection::vec(raw_term(), 3)).prop_map(|(rel, terms)| RawAtom { rel, terms })
}

#[derive(Clone, Debug)]
enum RawHead {
    Var(Index),
    Const(i64),
}

#[derive(Clone, Debug)]
struct RawCmp {
    op: Op,
    lhs: Index,
    rhs: Result<Index, i64>,
}

#[derive(Clone, Debug)]
struct RawRule {
    head: Vec<RawHead>,
    pos: Vec<RawAtom>,
    neg: Vec<RawAtom>,
    cmps: Vec<RawCmp>,
    agg: Option<RawAgg>,
}

#[derive(Clone, Debug)]
struct RawAgg {
    func: usize,
    target: (Index, i64),
    pos: Vec<RawAtom>,
    neg: Vec<RawAtom>,
    cmps: Vec<(Op, Index, i64)>,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Lt), Just(Op::Le), Just(Op::Gt), Just(Op::Ge), Just(Op::Eq), Just(Op::Ne)]
}

fn raw_agg() -> impl Strategy<Value = RawAgg> {
    (
        0usize..4,
        (any::<Index>(), 0i64..3),
        prop::collection::vec(raw_atom(), 1..=2),
        prop::collection::vec(raw_atom(), 0..=1),
        prop::collection::vec((op(), any::<Index>(), 0..DOMAIN), 0..=1),
    )
        .prop_map(|(func, target, pos, neg, cmps)| RawAgg { func, target, pos, neg, cmps })
}

fn raw_rule() -> impl Strategy<Value = RawRule> {
    let head = prop::collection::vec(
        prop_oneof![
            6 => any::<Index>().prop_map(RawHead::Var),
            1 => (0..DOMAIN).prop_map(RawHead::Const),
        ],
        3,
    );
    let cmp = (op(), any::<Index>(), prop_oneof![any::<Index>().prop_map(Ok), (0..DOMAIN).prop_map(Err)])
        .prop_map(|(op, lhs, rhs)| RawCmp { op, lhs, rhs });
    (
        head,
        prop::collection::vec(raw_atom(), 1..=3),
        prop::collection::vec(raw_atom(), 0..=2),
        prop::collection::vec(cmp, 0..=2),
        prop::option::weighted(0.3, raw_agg()),
    )
        .prop_map(|(head, pos, neg, cmps, agg)| RawRule { head, pos, neg, cmps, agg })
}

#[derive(Clone, Debug)]
struct RawDerived {
    arity: usize,
    /// Starts a new stratum (otherwise shares the previous derived relation's stratum,
    /// which allows mutual recursion but no negation between the two).
    new_stratum: bool,
    rules: Vec<RawRule>,
}

/// Base relations as (arity, facts of width 3, cut to the arity), then derived relations.
type RawProgram = (Vec<(usize, Vec<Vec<i64>>)>, Vec<RawDerived>);

fn raw_program() -> impl Strategy<Value = RawProgram> {
    let base =
        prop::collection::vec((1usize..=3, prop::collection::vec(prop::collection::vec(0..DOMAIN, 3), 0..8)), 2..=4);
    let derived = prop::collection::vec(
        (1usize..=3, any::<bool>(), prop::collection::vec(raw_rule(), 1..=3))
            .prop_map(|(arity, new_stratum, rules)| RawDerived { arity, new_stratum, rules }),
        1..=4,
    );
    (base, derived)
}

fn build((base, derived): RawProgram) -> Program {
    let mut relations = Vec::new();
    for (i, (arity, facts)) in base.iter().enumerate() {
        let facts = facts.iter().map(|f| f[..*arity].to_vec()).collect();
        relations.push(Relation { name: format!("b{i}"), arity: *arity, stratum: 0, facts });
    }
    let mut stratum = 0;
    for (i, d) in derived.iter().enumerate() {
        if i == 0 || d.new_stratum {
            stratum += 1;
        }
        relations.push(Relation { name: format!("d{i}"), arity: d.arity, stratum, facts: vec![] });
    }
    let mut rules = Vec::new();
    for (i, d) in derived.iter().enumerate() {
        let me = &relations[base.len() + i];
        // Positive atoms: any relation of a stratum up to ours (so recursion, including
        // mutual recursion within a stratum). Negated atoms: strictly lower strata only.
        let positive: Vec<&Relation> = relations.iter().filter(|r| r.stratum <= me.stratum).collect();
        let negative: Vec<&Relation> = relations.iter().filter(|r| r.stratum < me.stratum).collect();
        for raw in &d.rules {
            let pos: Vec<Atom> = raw
                .pos
                .iter()
                .map(|a| {
                    let r = *a.rel.get(&positive);
                    let args = a.terms[..r.arity]
                        .iter()
                        .map(|t| match t {
                            RawTerm::Var(v) => Term::Var(*v),
                            RawTerm::Const(c) => Term::Const(*c),
                            RawTerm::Wild => Term::Wild,
                        })
                        .collect();
                    Atom { rel: r.name.clone(), args }
                })
                .collect();
            let bound: Vec<usize> = {
                let set: BTreeSet<usize> = pos
                    .iter()
                    .flat_map(|a| a.args.iter())
                    .filter_map(|t| if let Term::Var(v) = t { Some(*v) } else { None })
                    .collect();
                set.into_iter().collect()
            };
            // `Index::get` panics on an empty slice: nothing to negate below the first stratum
            let neg_raw: &[RawAtom] = if negative.is_empty() { &[] } else { &raw.neg };
            let neg: Vec<Atom> = neg_raw
                .iter()
                .map(|a| {
                    let r = *a.rel.get(&negative);
                    let args = a.terms[..r.arity]
                        .iter()
                        .map(|t| match t {
                            RawTerm::Var(v) if !bound.is_empty() => Term::Var(bound[v % bound.len()]),
                            RawTerm::Var(_) | RawTerm::Wild => Term::Wild,
                            RawTerm::Const(c) => Term::Const(*c),
                        })
                        .collect();
                    Atom { rel: r.name.clone(), args }
                })
                .collect();
            let cmps: Vec<Cmp> = if bound.is_empty() {
                vec![]
            } else {
                raw.cmps
                    .iter()
                    .map(|c| Cmp {
                        op: c.op,
                        lhs: Term::Var(*c.lhs.get(&bound)),
                        rhs: match &c.rhs {
                            Ok(ix) => Term::Var(*ix.get(&bound)),
                            Err(k) => Term::Const(*k),
                        },
                    })
                    .collect()
            };
            let head_args = raw.head[..me.arity]
                .iter()
                .map(|h| match h {
                    RawHead::Var(ix) if !bound.is_empty() => Term::Var(*ix.get(&bound)),
                    RawHead::Var(ix) => Term::Const(ix.index(DOMAIN as usize) as i64),
                    RawHead::Const(c) => Term::Const(*c),
                })
                .collect();
            let agg = match &raw.agg {
                Some(a) if !negative.is_empty() => Some(build_agg(a, &negative, &bound)),
                _ => None,
            };
            let mut head_args: Vec<Term> = head_args;
            if agg.is_some() {
                *head_args.last_mut().expect("arity >= 1") = Term::Agg;
            }
            rules.push(Rule { head: Atom { rel: me.name.clone(), args: head_args }, pos, neg, cmps, agg });
        }
    }
    Program { relations, rules }
}

/// An aggregate over relations of lower strata (`lower`): a raw variable is one of its own
/// (`y0`, `y1`) or one the rule binds (`bound`); its negations, comparisons and target use
/// only its own variables that its atoms bind (a `count` when there are none).
fn build_agg(raw: &RawAgg, lower: &[&Relation], bound: &[usize]) -> Agg {
    let term = |t: &RawTerm| match t {
        RawTerm::Var(v) if v % 2 == 1 && !bound.is_empty() => ITerm::Outer(bound[v % bound.len()]),
        RawTerm::Var(v) => ITerm::Local(v / 2 % LOCALS),
        RawTerm::Const(c) => ITerm::Const(*c),
        RawTerm::Wild => ITerm::Wild,
    };
    let pos: Vec<IAtom> = raw
        .pos
        .iter()
        .map(|a| {
            let r = *a.rel.get(lower);
            IAtom { rel: r.name.clone(), args: a.terms[..r.arity].iter().map(term).collect() }
        })
        .collect();
    let own: Vec<usize> = pos
        .iter()
        .flat_map(|a| &a.args)
        .filter_map(|t| if let ITerm::Local(k) = t { Some(*k) } else { None })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let neg = raw
        .neg
        .iter()
        .map(|a| {
            let r = *a.rel.get(lower);
            let args = a.terms[..r.arity]
                .iter()
                .map(|t| match term(t) {
                    ITerm::Local(k) if !own.contains(&k) => ITerm::Wild,
                    other => other,
                })
                .collect();
            IAtom { rel: r.name.clone(), args }
        })
        .collect();
    let cmps =
        if own.is_empty() { vec![] } else { raw.cmps.iter().map(|(op, k, c)| (*op, *k.get(&own), *c)).collect() };
    let func = if own.is_empty() {
        AggFunc::Count
    } else {
        [AggFunc::Count, AggFunc::Sum, AggFunc::Min, AggFunc::Max][raw.func]
    };
    let target = match func {
        AggFunc::Count => None,
        _ => Some((*raw.target.0.get(&own), raw.target.1)),
    };
    Agg { func, target, pos, neg, cmps }
}

proptest! {
    // ProptestConfig::default() honours PROPTEST_CASES.
    #![proptest_config(ProptestConfig { max_shrink_iters: 4096, ..ProptestConfig::default() })]

    #[test]
    fn stance_agrees_with_naive_evaluator(raw in raw_program()) {
        let p = build(raw);
        check_against_stance(&p)?;
    }
}

/// The differential-dataflow engine derives datafrog's model on one and two workers, and
/// with proofs asked for, the re-derived (recorded) model passes the proof checker.
#[cfg(feature = "dd")]
fn check_dd_engine(text: &str) -> Result<(), TestCaseError> {
    use stance::engine::backend::Engine;
    use stance::engine::dd::Cluster;
    use stance::engine::eval::EvalOptions;
    let datafrog = stance::session::evaluate_text(text, &EvalOptions::default()).map_err(TestCaseError::fail)?;
    for workers in [1, 2] {
        let cluster = Cluster { workers, ..Cluster::default() };
        let options = EvalOptions { engine: Engine::Dd, cluster, ..Default::default() };
        let dd = stance::session::evaluate_text(text, &options).map_err(TestCaseError::fail)?;
        prop_assert_eq!(
            &datafrog.model.relations,
            &dd.model.relations,
            "dd on {} workers disagrees on:\n{}",
            workers,
            text
        );
    }
    let options = EvalOptions { record: true, engine: Engine::Dd, ..Default::default() };
    let recorded = stance::session::evaluate_text(text, &options).map_err(TestCaseError::fail)?;
    check_every_proof(recorded, text)
}

/// `DD_CASES`, or 64.
#[cfg(feature = "dd")]
fn dd_cases() -> u32 {
    std::env::var("DD_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

#[cfg(feature = "dd")]
proptest! {
    #![proptest_config(ProptestConfig { cases: dd_cases(), max_shrink_iters: 1024, ..ProptestConfig::default() })]

    #[test]
    fn the_dd_engine_agrees_with_datafrog(raw in raw_program()) {
        let p = build(raw);
        check_dd_engine(&render(&p))?;
    }
}

/// Goal-directed evaluation (the magic-set rewrite behind `query`, `explain` and `why-not`)
/// answers a bound query with exactly the tuples full evaluation gives, and every answer's
/// proof, rebuilt on the original program, passes the independent checker.
fn check_goal_directed(text: &str, choice: &[(bool, i64)]) -> Result<(), TestCaseError> {
    use stance::base::value::{Symbols, from_number};
    use stance::engine::eval::EvalOptions;
    let full = stance::session::evaluate_text(text, &EvalOptions::default()).map_err(TestCaseError::fail)?;
    let mut sources = stance::base::source::SourceMap::new();
    let file = sources.add("p.dl", text);
    let (ast, _) = stance::lang::syntax::parse_file(file, &sources.get(file).text);
    let mut symbols = Symbols::new();
    let (program, diags) = stance::lang::check::check(&[ast], &BTreeSet::new(), &mut symbols);
    prop_assert!(!diags.iter().any(|d| d.is_error()), "{:?}", diags);
    let facts = stance::facts::load::Facts::new();
    let options = EvalOptions { record: true, ..Default::default() };
    for rel in (0..program.relations.len()).filter(|&r| program.is_derived(r)) {
        let arity = program.relations[rel].arity();
        let mut bound: Vec<Option<u32>> = (0..arity)
            .map(|i| choice[i % choice.len()].0.then(|| from_number(choice[i % choice.len()].1 as i32)))
            .collect();
        if arity > 0 && bound.iter().all(Option::is_none) {
            bound[0] = Some(from_number(choice[0].1 as i32));
        }
        let goal = stance::session::goal::evaluate_for(&program, &facts, &mut symbols, rel, &bound, &options)
            .map_err(|d| TestCaseError::fail(d.message))?;
        let Some(goal) = goal else { continue };
        let matching = |tuples: &stance::base::value::Tuples| -> Vec<Vec<u32>> {
            tuples
                .iter()
                .filter(|t| t.iter().zip(&bound).all(|(v, b)| b.is_none_or(|b| b == *v)))
                .map(<[u32]>::to_vec)
                .collect()
        };
        let expected = matching(&full.model.relations[rel]);
        let answered = matching(&goal.relations[rel]);
        prop_assert_eq!(
            &expected,
            &answered,
            "relation {} bound {:?} in:\n{}",
            program.relations[rel].name,
            bound,
            text
        );
        let mut ex = stance::proof::provenance::Explainer::new(&program, &goal, &facts, &sources, &mut symbols);
        for tuple in &answered {
            let Some(root) = ex.explain(rel, tuple) else {
                return Err(TestCaseError::fail(format!("no proof of {tuple:?} (goal-directed) in:\n{text}")));
            };
            if let Err(e) = proof_check::check_proof(&ex, root) {
                return Err(TestCaseError::fail(format!("bad goal-directed proof of {tuple:?}: {e}\n{text}")));
            }
        }
    }
    Ok(())
}

/// `.pragma "magic-transform" "*"`: the relations shown (every derived one) come out of the
/// on-demand evaluation complete, equal to full evaluation.
fn check_pragma(text: &str) -> Result<(), TestCaseError> {
    use stance::base::value::Symbols;
    use stance::engine::eval::EvalOptions;
    let full = stance::session::evaluate_text(text, &EvalOptions::default()).map_err(TestCaseError::fail)?;
    let text = format!(".pragma \"magic-transform\" \"*\"\n{text}");
    let mut sources = stance::base::source::SourceMap::new();
    let file = sources.add("p.dl", text.as_str());
    let (ast, _) = stance::lang::syntax::parse_file(file, &sources.get(file).text);
    let mut symbols = Symbols::new();
    let (program, _) = stance::lang::check::check(&[ast], &BTreeSet::new(), &mut symbols);
    prop_assert!(!program.magic_transform.is_empty());
    let roots: Vec<usize> = (0..program.relations.len()).filter(|&r| program.is_derived(r)).collect();
    let facts = stance::facts::load::Facts::new();
    let goal =
        stance::session::goal::evaluate_for_pragma(&program, &facts, &mut symbols, &roots, &EvalOptions::default())
            .map_err(|d| TestCaseError::fail(d.message))?;
    if let Some(goal) = goal {
        for &rel in &roots {
            prop_assert_eq!(&full.model.relations[rel], &goal.relations[rel], "relation {} in:\n{}", rel, text);
        }
    }
    Ok(())
}

/// Cases of [`unsigned_and_float_programs_agree_with_naive_evaluator`]: `NUMBER_TYPE_CASES`
/// (64 by default).
fn number_type_cases() -> u32 {
    std::env::var("NUMBER_TYPE_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64)
}

proptest! {
    // Its own case count: the same checks as above, on unsigned and float columns.
    #![proptest_config(ProptestConfig { cases: number_type_cases(), max_shrink_iters: 4096, ..ProptestConfig::default() })]

    #[test]
    fn unsigned_and_float_programs_agree_with_naive_evaluator(raw in raw_program(), float in any::<bool>()) {
        let mut p = build(raw);
        // An aggregate's value is a number, whatever the columns.
        p.rules.retain(|r| r.agg.is_none());
        check_against_stance_as(&p, if float { Num::Float } else { Num::Unsigned })?;
    }
}

proptest! {
    // Its own case count: each case evaluates every derived relation's rewrite.
    #![proptest_config(ProptestConfig { cases: 200, max_shrink_iters: 4096, ..ProptestConfig::default() })]

    #[test]
    fn goal_directed_answers_equal_full_evaluation(
        raw in raw_program(),
        choice in proptest::collection::vec((any::<bool>(), 0..DOMAIN), 4),
    ) {
        let p = build(raw);
        check_goal_directed(&render(&p), &choice)?;
        check_pragma(&render(&p))?;
    }
}

// ------------------------------------------------------------------------------------------
// Fixed programs, checked by hand: they pin down the naive evaluator itself.
// ------------------------------------------------------------------------------------------

fn v(x: usize) -> Term {
    Term::Var(x)
}

fn atom(rel: &str, args: Vec<Term>) -> Atom {
    Atom { rel: rel.to_string(), args }
}

fn rel(name: &str, arity: usize, stratum: usize, facts: Vec<Vec<i64>>) -> Relation {
    Relation { name: name.to_string(), arity, stratum, facts }
}

fn rows(xs: &[&[i64]]) -> Vec<Vec<String>> {
    let mut r: Vec<Vec<String>> = xs.iter().map(|t| t.iter().map(|v| v.to_string()).collect()).collect();
    r.sort();
    r
}

/// edge: 1→2→3→4; path = transitive closure; unreach(x, y) = node pairs x < y without a path.
fn closure_and_negation() -> Program {
    Program {
        relations: vec![
            rel("edge", 2, 0, vec![vec![1, 2], vec![2, 3], vec![3, 4]]),
            rel("node", 1, 0, vec![vec![1], vec![2], vec![3], vec![4]]),
            rel("path", 2, 1, vec![]),
            rel("unreach", 2, 2, vec![]),
            rel("selfloop", 1, 2, vec![]),
        ],
        rules: vec![
            Rule {
                head: atom("path", vec![v(0), v(1)]),
                pos: vec![atom("edge", vec![v(0), v(1)])],
                neg: vec![],
                cmps: vec![],
                agg: None,
            },
            Rule {
                head: atom("path", vec![v(0), v(2)]),
                pos: vec![atom("path", vec![v(0), v(1)]), atom("edge", vec![v(1), v(2)])],
                neg: vec![],
                cmps: vec![],
                agg: None,
            },
            Rule {
                head: atom("unreach", vec![v(0), v(1)]),
                pos: vec![atom("node", vec![v(0)]), atom("node", vec![v(1)])],
                neg: vec![atom("path", vec![v(1), v(0)])],
                cmps: vec![
                    Cmp { op: Op::Ne, lhs: v(0), rhs: v(1) },
                    Cmp { op: Op::Lt, lhs: v(0), rhs: Term::Const(3) },
                ],
                agg: None,
            },
            Rule {
                head: atom("selfloop", vec![v(0)]),
                pos: vec![atom("path", vec![v(0), v(0)])],
                neg: vec![],
                cmps: vec![],
                agg: None,
            },
        ],
    }
}

#[test]
fn naive_transitive_closure_and_negation_by_hand() {
    let p = closure_and_negation();
    let db = rendered(&naive_eval(&p));
    assert_eq!(db["path"], rows(&[&[1, 2], &[1, 3], &[1, 4], &[2, 3], &[2, 4], &[3, 4]]));
    // x in {1, 2}, y != x, no path y→x (paths only go upwards, so only (2, 1) is out).
    assert_eq!(db["unreach"], rows(&[&[1, 2], &[1, 3], &[1, 4], &[2, 3], &[2, 4]]));
    assert_eq!(db["selfloop"], rows(&[]));
    assert_eq!(db["edge"].len(), 3);
}

/// q(x) :- p(x, x).   r(x) :- p(x, _), !q(x).   s(7, y) :- p(2, y).
fn wildcards_program() -> Program {
    Program {
        relations: vec![
            rel("p", 2, 0, vec![vec![1, 1], vec![2, 3], vec![2, 5], vec![4, 4]]),
            rel("q", 1, 1, vec![]),
            rel("r", 1, 2, vec![]),
            rel("s", 2, 1, vec![]),
        ],
        rules: vec![
            Rule {
                head: atom("q", vec![v(0)]),
                pos: vec![atom("p", vec![v(0), v(0)])],
                neg: vec![],
                cmps: vec![],
                agg: None,
            },
            Rule {
                head: atom("r", vec![v(0)]),
                pos: vec![atom("p", vec![v(0), Term::Wild])],
                neg: vec![atom("q", vec![v(0)])],
                cmps: vec![],
                agg: None,
            },
            Rule {
                head: atom("s", vec![Term::Const(7), v(1)]),
                pos: vec![atom("p", vec![Term::Const(2), v(1)])],
                neg: vec![],
                cmps: vec![],
                agg: None,
            },
        ],
    }
}

#[test]
fn naive_wildcards_constants_and_repeated_variables_by_hand() {
    let p = wildcards_program();
    let db = rendered(&naive_eval(&p));
    assert_eq!(db["q"], rows(&[&[1], &[4]]));
    assert_eq!(db["r"], rows(&[&[2]]));
    assert_eq!(db["s"], rows(&[&[7, 3], &[7, 5]]));
    assert_eq!(
        render(&p).lines().filter(|l| l.contains(":-")).collect::<Vec<_>>(),
        vec!["q(x0) :- p(x0, x0).", "r(x0) :- p(x0, _), !q(x0).", "s(7, x1) :- p(2, x1)."]
    );
}

#[test]
fn fixed_programs_agree_with_stance() {
    for p in [closure_and_negation(), wildcards_program()] {
        check_against_stance(&p).unwrap();
    }
}

#[test]
fn generated_programs_are_well_formed() {
    // The generator's promises, checked on its own output without stance: every variable
    // in a head, negation or comparison is bound by a positive atom, and negation only
    // reaches strictly lower strata.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    for _ in 0..500 {
        let p = build(raw_program().new_tree(&mut runner).unwrap().current());
        let stratum: BTreeMap<&str, usize> = p.relations.iter().map(|r| (r.name.as_str(), r.stratum)).collect();
        let arity: BTreeMap<&str, usize> = p.relations.iter().map(|r| (r.name.as_str(), r.arity)).collect();
        for r in &p.rules {
            let bound: BTreeSet<usize> = r
                .pos
                .iter()
                .flat_map(|a| &a.args)
                .filter_map(|t| if let Term::Var(x) = t { Some(*x) } else { None })
                .collect();
            let used = r
                .head
                .args
                .iter()
                .chain(r.neg.iter().flat_map(|a| &a.args))
                .chain(r.cmps.iter().flat_map(|c| [&c.lhs, &c.rhs]));
            for t in used {
                if let Term::Var(x) = t {
                    assert!(bound.contains(x), "unbound x{x} in {}", render(&p));
                }
            }
            assert!(!r.head.args.contains(&Term::Wild));
            let s = stratum[r.head.rel.as_str()];
            assert!(r.pos.iter().all(|a| stratum[a.rel.as_str()] <= s));
            assert!(r.neg.iter().all(|a| stratum[a.rel.as_str()] < s));
            for a in std::iter::once(&r.head).chain(&r.pos).chain(&r.neg) {
                assert_eq!(a.args.len(), arity[a.rel.as_str()]);
            }
        }
    }
}
