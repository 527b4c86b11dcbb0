//! Grades and confidences of derived tuples: hand-computed on small programs (cycles
//! included), against brute force over every proof on random programs, and the
//! `--min-grade` / `--min-confidence` filters.

use proptest::prelude::*;
use stance::base::source::SourceMap;
use stance::engine::eval::EvalOptions;
use stance::facts::grade::Grade;
use stance::proof::grades::{Grading, confidence_text};
use stance::proof::provenance::atom_text;
use stance::session::{self, Inputs, Session};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Evaluates `rules` over one statement table (`statements`: CSV lines after the header
/// `subject,relation,object,grade,confidence`) and returns every tuple's grade and
/// confidence, as `atom -> "grade conf"`.
fn graded(
    rules: &str,
    statements: &[&str],
    min_grade: Option<&str>,
    min_confidence: Option<f32>,
) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.dl"), rules).unwrap();
    std::fs::create_dir(dir.path().join("facts")).unwrap();
    let mut table = "subject,relation,object,grade,confidence\n".to_string();
    for line in statements {
        table.push_str(line);
        table.push('\n');
    }
    std::fs::write(dir.path().join("facts/statements.csv"), table).unwrap();
    grade_project(dir.path(), min_grade, min_confidence)
}

fn grade_project(dir: &Path, min_grade: Option<&str>, min_confidence: Option<f32>) -> BTreeMap<String, String> {
    let mut session = evaluated(dir, min_grade, min_confidence);
    let grading = session.grading();
    shown(&session, &grading)
}

/// Every tuple's grade and confidence as `atom -> "grade conf"`.
fn shown(session: &Session, grading: &Grading) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (rel, tuples) in session.model.relations.iter().enumerate() {
        for (i, tuple) in tuples.iter().enumerate() {
            let atom = atom_text(&session.project.program, rel, tuple, &session.project.symbols);
            let value = format!("{} {}", grading.grades(rel, i), confidence_text(grading.confidence(rel, i)));
            out.insert(atom, value);
        }
    }
    out
}

fn evaluated(dir: &Path, min_grade: Option<&str>, min_confidence: Option<f32>) -> Session {
    let inputs = Inputs {
        rules: vec![dir.join("rules.dl")],
        facts: Some(dir.join("facts")),
        min_grade: min_grade.map(|g| g.parse::<Grade>().unwrap()),
        min_confidence,
        ..Default::default()
    };
    let mut sources = SourceMap::new();
    let project = session::load(&inputs, &mut sources).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    Session::evaluate(project, &EvalOptions::default()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
}

fn get<'a>(m: &'a BTreeMap<String, String>, atom: &str) -> &'a str {
    m.get(atom).unwrap_or_else(|| panic!("{atom} does not hold: {m:?}"))
}

const TC: &str = ".decl path(x: symbol, y: symbol)\npath(x, y) :- e(x, y).\npath(x, z) :- path(x, y), e(y, z).\n";

#[test]
fn a_proof_is_as_strong_as_its_weakest_premise() {
    let m = graded(TC, &["a,e,b,B2,0.9", "b,e,c,C1,0.8"], None, None);
    assert_eq!(get(&m, "path(\"a\", \"b\")"), "B2 0.9");
    assert_eq!(get(&m, "path(\"b\", \"c\")"), "C1 0.8");
    // Reliability C (from b-c), credibility 2 (from a-b); 0.9 * 0.8.
    assert_eq!(get(&m, "path(\"a\", \"c\")"), "C2 0.72");
}

#[test]
fn proofs_that_disagree_keep_the_pareto_best_grades() {
    let m = graded(TC, &["a,e,b,B2,0.9", "b,e,c,C1,0.8", "a,e,c,B3,0.5"], None, None);
    // Via b: C2 and 0.72; directly: B3 and 0.5. Neither grade is at least the other.
    assert_eq!(get(&m, "path(\"a\", \"c\")"), "B3/C2 0.72");
    // A better direct statement dominates.
    let m = graded(TC, &["a,e,b,B2,0.9", "b,e,c,C1,0.8", "a,e,c,A1,0.95"], None, None);
    assert_eq!(get(&m, "path(\"a\", \"c\")"), "A1 0.95");
    // Two rows stating the same tuple: the better one counts.
    let m = graded(TC, &["a,e,b,D4,0.4", "a,e,b,B2,0.3"], None, None);
    assert_eq!(get(&m, "path(\"a\", \"b\")"), "B2 0.4");
}

#[test]
fn a_cycle_does_not_let_a_claim_prove_itself() {
    let rules = ".decl same(x: symbol, y: symbol)\nsame(x, y) :- said(x, y).\nsame(x, y) :- same(y, x).\n";
    let m = graded(rules, &["a,said,b,E5,0.2"], None, None);
    // same(a, b) also follows from same(b, a), which follows from same(a, b): the cycle
    // adds nothing, whatever a greatest fixpoint would say.
    assert_eq!(get(&m, "same(\"a\", \"b\")"), "E5 0.2");
    assert_eq!(get(&m, "same(\"b\", \"a\")"), "E5 0.2");
    // On a graded cycle, the best proof goes round it no more than it must.
    let m = graded(TC, &["a,e,b,A1,1", "b,e,a,A2,0.5", "c,e,a,E1,0.9"], None, None);
    assert_eq!(get(&m, "path(\"a\", \"a\")"), "A2 0.5");
    assert_eq!(get(&m, "path(\"c\", \"b\")"), "E1 0.9");
    assert_eq!(get(&m, "path(\"b\", \"b\")"), "A2 0.5");
    assert_eq!(m.len(), 3 + 6);
}

#[test]
fn grades_follow_rules_with_constants_negations_conditions_and_recursion() {
    let rules = ".decl p(x: symbol, y: symbol)\n.decl q(x: symbol)\n.decl s(x: symbol)\n.decl n(x: symbol, k: number)\n\
        p(x, y) :- e(x, y), !f(x, y), x != \"z\".\n\
        q(x) :- p(x, \"b\").\n\
        s(x) :- e(\"a\", x).\n\
        s(y) :- s(x), e(x, y), y != \"a\".\n\
        n(x, k) :- s(x), k = strlen(x) + 1.\n";
    let m = graded(
        rules,
        &["a,e,b,B2,0.9", "a,e,c,C1,0.5", "z,e,b,A1,1", "a,f,c,A1,1", "b,e,d,A2,0.8", "d,e,b,A1,0.5", "d,e,a,A1,1"],
        None,
        None,
    );
    assert_eq!(get(&m, "p(\"a\", \"b\")"), "B2 0.9");
    assert!(!m.contains_key("p(\"a\", \"c\")") && !m.contains_key("p(\"z\", \"b\")"));
    assert_eq!(get(&m, "q(\"a\")"), "B2 0.9");
    // s(b) directly (B2) or round the cycle b -> d -> b (no better); s(d) through b.
    assert_eq!(get(&m, "s(\"b\")"), "B2 0.9");
    assert_eq!(get(&m, "s(\"d\")"), "B2 0.72");
    assert_eq!(get(&m, "n(\"d\", 2)"), "B2 0.72");
    assert!(!m.contains_key("s(\"a\")"));
}

#[test]
fn ungraded_rows_grade_nothing_and_given_facts_weaken_nothing() {
    let rules = ".decl known(x: symbol)\nknown(\"a\").\n.decl q(x: symbol)\nq(x) :- known(x), said(x, _).\n\
                 .decl r(x: symbol)\nr(x) :- known(x).\n.decl s(x: symbol)\ns(x) :- said(_, x), !known(x).\n";
    let m = graded(rules, &["a,said,b,D3,0.5", "c,said,d,,"], None, None);
    assert_eq!(get(&m, "q(\"a\")"), "D3 0.5");
    assert_eq!(get(&m, "r(\"a\")"), "given 1");
    // A negated premise carries no grade.
    assert_eq!(get(&m, "s(\"b\")"), "D3 0.5");
    assert_eq!(get(&m, "s(\"d\")"), "none none");
    assert_eq!(get(&m, "said(\"c\", \"d\")"), "none none");
    // Without any confidence in the data, none is shown.
    let m = graded(rules, &["a,said,b,D3,"], None, None);
    assert_eq!(get(&m, "r(\"a\")"), "given none");
}

#[test]
fn min_grade_and_min_confidence_filter_the_rows_before_evaluation() {
    let rows = ["a,e,b,B2,0.9", "b,e,c,C1,0.8", "a,e,c,B3,0.5", "c,e,d,,0.99"];
    let m = graded(TC, &rows, Some("B3"), None);
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    assert_eq!(keys, ["e(\"a\", \"b\")", "e(\"a\", \"c\")", "path(\"a\", \"b\")", "path(\"a\", \"c\")"]);
    assert_eq!(get(&m, "path(\"a\", \"c\")"), "B3 0.5");
    let m = graded(TC, &rows, None, Some(0.8));
    assert_eq!(get(&m, "path(\"a\", \"c\")"), "C2 0.72");
    assert_eq!(get(&m, "path(\"a\", \"d\")"), "none 0.713");
    assert!(!m.contains_key("e(\"a\", \"c\")"));
}

#[test]
fn a_tuple_keeps_two_best_grades_when_neither_is_at_least_the_other() {
    // path(a, d): through b at B3 (B3 and B2), through c at C2 (C1 and C2). Each scale's
    // best is in a different proof; no proof is B2 or better on both.
    let rows = ["a,e,b,B3,", "b,e,d,B2,", "a,e,c,C1,", "c,e,d,C2,", "d,e,f,A1,"];
    let m = graded(TC, &rows, None, None);
    assert_eq!(get(&m, "path(\"a\", \"d\")"), "B3/C2 none");
    // Both carry on past d; f's better grade does not change them.
    assert_eq!(get(&m, "path(\"a\", \"f\")"), "B3/C2 none");
    assert_eq!(get(&m, "path(\"b\", \"f\")"), "B2 none");
}

#[test]
fn a_proof_through_a_b3_and_a_c2_premise_is_c3() {
    // r(x) needs p(x) and q(x): p(a) is B3 only, q(a) is C2 only, so r(a) is C3, a grade
    // no single row has; s(a) follows r(a) round a cycle and is no better.
    let rules = ".decl p(x: symbol)\n.decl q(x: symbol)\n.decl r(x: symbol)\n.decl s(x: symbol)\n\
                 p(x) :- sp(x, _).\nq(x) :- sq(x, _).\nr(x) :- p(x), q(x).\n\
                 s(x) :- r(x).\ns(x) :- s(y), link(y, x).\n";
    let rows = ["a,sp,1,B3,", "a,sq,1,C2,", "a,link,b,A1,", "b,link,a,A1,", "b,sp,1,F6,"];
    let m = graded(rules, &rows, None, None);
    assert_eq!(get(&m, "p(\"a\")"), "B3 none");
    assert_eq!(get(&m, "q(\"a\")"), "C2 none");
    assert_eq!(get(&m, "r(\"a\")"), "C3 none");
    assert_eq!(get(&m, "s(\"a\")"), "C3 none");
    assert_eq!(get(&m, "s(\"b\")"), "C3 none");
    assert!(!m.contains_key("r(\"b\")"));
}

// ---------------------------------------------------------------------------------------
// Thresholds against the lattice fixpoint, on random programs with recursion and negation.

/// A rule for the property test: head `p` (0) or `q` (1), positive atoms (relation,
/// variables) and at most one negated atom.
#[derive(Debug, Clone)]
struct NegRule {
    head: usize,
    args: [usize; 2],
    body: Vec<(usize, [usize; 2])>,
    negated: Option<(usize, [usize; 2])>,
}

const NEG_RELS: [&str; 4] = ["e", "f", "p", "q"];

fn neg_rule_strategy() -> impl Strategy<Value = NegRule> {
    let atom = (0..4usize, 0..3usize, 0..3usize).prop_map(|(r, x, y)| (r, [x, y]));
    let negated = prop::option::of((0..3usize, 0..4usize, 0..4usize));
    (0..2usize, prop::collection::vec(atom, 1..4), negated, 0..4usize, 0..4usize).prop_map(
        |(head, body, negated, h0, h1)| {
            // `p` reads e, f, p and negates e or f; `q` reads anything and negates e, f or p:
            // stratified.
            let body: Vec<(usize, [usize; 2])> =
                body.into_iter().map(|(r, v)| (if head == 0 { r % 3 } else { r }, v)).collect();
            let vars: Vec<usize> = body.iter().flat_map(|(_, v)| v.iter().copied()).collect();
            let pick = |i: usize| vars[i % vars.len()];
            let negated = negated.map(|(r, a, b)| (if head == 0 { r % 2 } else { r }, [pick(a), pick(b)]));
            NegRule { head: head + 2, args: [pick(h0), pick(h1 + 1)], body, negated }
        },
    )
}

fn neg_rule_text(r: &NegRule) -> String {
    let v = |i: usize| ["x", "y", "z"][i];
    let atom = |rel: usize, args: [usize; 2]| format!("{}({}, {})", NEG_RELS[rel], v(args[0]), v(args[1]));
    let mut body: Vec<String> = r.body.iter().map(|&(rel, args)| atom(rel, args)).collect();
    if let Some((rel, args)) = r.negated {
        body.push(format!("!{}", atom(rel, args)));
    }
    format!("{} :- {}.\n", atom(r.head, r.args), body.join(", "))
}

/// A random statement row: relation (of [`NEG_RELS`]), subject and object (of `a`–`d`),
/// grade (reliability, credibility) and confidence (in quarters), each perhaps absent.
type RandomRow = (usize, usize, usize, Option<(u8, u8)>, Option<u8>);

/// The project of a random program: `rows` as the statement table (the first two of `e`
/// and `f`, so that both are declared; confidences left out unless `confidences`), `p` and
/// `q` declared, `given` as a fact of `p`, `rules`, then `extra`'s text. Its directory and
/// the program's text (to show when a case fails).
fn random_project(
    mut rows: Vec<RandomRow>,
    given: Option<(usize, usize)>,
    rules: &[NegRule],
    (confidences, extra): (bool, &str),
) -> (tempfile::TempDir, String) {
    rows[0].0 = 0;
    rows[1].0 = 1;
    let domain = ["a", "b", "c", "d"];
    let mut table = "subject,relation,object,grade,confidence\n".to_string();
    for &(rel, x, y, grade, conf) in &rows {
        let g = grade.map(|(r, c)| Grade { reliability: r, credibility: c }.to_string()).unwrap_or_default();
        let c = conf.filter(|_| confidences).map(|c| (f64::from(c) / 4.0).to_string()).unwrap_or_default();
        table.push_str(&format!("{},{},{},{g},{c}\n", domain[x], NEG_RELS[rel], domain[y]));
    }
    let mut program = ".decl p(x: symbol, y: symbol)\n.decl q(x: symbol, y: symbol)\n".to_string();
    if let Some((x, y)) = given {
        program.push_str(&format!("p({:?}, {:?}).\n", domain[x], domain[y]));
    }
    for r in rules {
        program.push_str(&neg_rule_text(r));
    }
    program.push_str(extra);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.dl"), &program).unwrap();
    std::fs::create_dir(dir.path().join("facts")).unwrap();
    std::fs::write(dir.path().join("facts/statements.csv"), table).unwrap();
    (dir, program)
}

/// How many random programs the thresholds are checked on (`GRADE_CHAINS_CASES`, default 64).
fn grade_chains_cases() -> u32 {
    std::env::var("GRADE_CHAINS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

proptest! {
    // `GRADE_CHAINS_CASES` runs more (or fewer) cases than the default 64.
    #![proptest_config(ProptestConfig { cases: grade_chains_cases(), ..ProptestConfig::default() })]

    #[test]
    fn grades_by_thresholds_equal_the_lattice_fixpoint(
        rules in prop::collection::vec(neg_rule_strategy(), 1..6),
        rows in prop::collection::vec(
            (0..2usize, 0..4usize, 0..4usize, prop::option::of((0..6u8, 0..6u8)), prop::option::of(0..5u8)),
            2..14,
        ),
        given in prop::option::of((0..4usize, 0..4usize)),
    ) {
        let (dir, program) = random_project(rows, given, &rules, (true, ""));
        let mut session = evaluated(dir.path(), None, None);
        let by_thresholds = Grading::compute_by_thresholds(&mut session.explainer());
        let by_lattice = Grading::compute_by_lattice(&mut session.explainer());
        prop_assert_eq!(shown(&session, &by_thresholds), shown(&session, &by_lattice), "{}", program);
    }
}

// Thresholds value by value (`p` and `q` keep their first value: transitive closure and
// kin) against level by level and the lattice fixpoint.

/// Rules to pick from: `p` and `q` each in a stratum of their own; every rule but the last
/// two keeps the first value of its head's recursive premise, the last two do not (their
/// stratum goes level by level).
const BY_FIRST_RULES: [&str; 10] = [
    "p(x, y) :- e(x, y).",
    "p(x, y) :- f(x, y), e(y, x).",
    "p(x, z) :- p(x, y), e(y, z).",
    "p(x, z) :- p(x, y), f(y, z), !e(z, x).",
    "p(x, \"a\") :- p(x, y), f(y, \"b\").",
    "p(x, x) :- p(x, y), e(y, y), x != y.",
    "q(x, y) :- p(x, y), f(y, x).",
    "q(x, z) :- q(x, y), p(y, z).",
    "q(y, x) :- q(x, y), e(x, x).",
    "q(x, z) :- q(x, y), q(y, z).",
];

/// How many random programs the by-first order is checked on (`GRADE_BY_FIRST_CASES`,
/// default 64).
fn grade_by_first_cases() -> u32 {
    std::env::var("GRADE_BY_FIRST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

proptest! {
    // `GRADE_BY_FIRST_CASES` runs more (or fewer) cases than the default 64.
    #![proptest_config(ProptestConfig { cases: grade_by_first_cases(), ..ProptestConfig::default() })]

    #[test]
    fn grades_value_by_value_equal_level_by_level_and_the_lattice(
        picked in 1..(1u32 << BY_FIRST_RULES.len()),
        rows in prop::collection::vec((0..2usize, 0..5usize, 0..5usize, prop::option::weighted(0.95, (0..6u8, 0..6u8))), 2..24),
        given in prop::option::of((0..5usize, 0..5usize)),
    ) {
        let domain = ["a", "b", "c", "d", "e"];
        let mut table = "subject,relation,object,grade\n".to_string();
        for &(rel, x, y, grade) in &rows {
            let g = grade.map(|(r, c)| Grade { reliability: r, credibility: c }.to_string()).unwrap_or_default();
            table.push_str(&format!("{},{},{},{g}\n", domain[x], ["e", "f"][rel], domain[y]));
        }
        table.push_str("a,e,a,A1\na,f,a,A1\n");
        let mut program = ".decl p(x: symbol, y: symbol)\n.decl q(x: symbol, y: symbol)\n".to_string();
        if let Some((x, y)) = given {
            program.push_str(&format!("p({:?}, {:?}).\n", domain[x], domain[y]));
        }
        for (i, rule) in BY_FIRST_RULES.iter().enumerate() {
            if picked & 1 << i != 0 || i == 0 {
                program.push_str(rule);
                program.push('\n');
            }
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rules.dl"), &program).unwrap();
        std::fs::create_dir(dir.path().join("facts")).unwrap();
        std::fs::write(dir.path().join("facts/statements.csv"), table).unwrap();
        let mut session = evaluated(dir.path(), None, None);
        let by_first = Grading::compute_by_thresholds(&mut session.explainer());
        let by_level = Grading::compute_level_by_level(&mut session.explainer());
        let by_lattice = Grading::compute_by_lattice(&mut session.explainer());
        let [by_first, by_level, by_lattice] = [by_first, by_level, by_lattice].map(|g| shown(&session, &g));
        prop_assert_eq!(&by_first, &by_level, "{}", program);
        prop_assert_eq!(&by_first, &by_lattice, "{}", program);
    }
}

// ---------------------------------------------------------------------------------------
// The grades of the tuples a command shows, computed over their derivation cone only, against
// grading the whole model.

/// The tuples of the model as atoms with their relation and index.
fn atoms(session: &Session) -> Vec<(String, usize, usize)> {
    let (program, symbols) = (&session.project.program, &session.project.symbols);
    let mut out = Vec::new();
    for (rel, tuples) in session.model.relations.iter().enumerate() {
        for (i, tuple) in tuples.iter().enumerate() {
            out.push((atom_text(program, rel, tuple, symbols), rel, i));
        }
    }
    out
}

/// The cone grading of `roots` (relation, index; never falling back to the whole model):
/// every tuple it covers as `atom -> "grade conf"`.
fn cone_shown(session: &mut Session, roots: &[(usize, usize)]) -> BTreeMap<String, String> {
    let grading = Grading::of_cone_within(&mut session.explainer(), roots, usize::MAX);
    assert!(grading.is_cone());
    atoms(session)
        .into_iter()
        .filter(|&(_, rel, i)| grading.covers(rel, i))
        .map(|(atom, rel, i)| {
            (atom, format!("{} {}", grading.grades(rel, i), confidence_text(grading.confidence(rel, i))))
        })
        .collect()
}

#[test]
fn a_tuples_cone_is_graded_as_the_whole_model_grades_it() {
    // far(d) holds through path(b, d) only: the first rule's instance for d is blocked by a
    // tuple outside the cone, which the negation must still see. path(a, c) is B3 directly
    // and C2 through b (the second rule's premises); e(x, y) and path(c, d)'s kin are not in
    // far(d)'s cone.
    let rules = ".decl path(x: symbol, y: symbol)\n.decl far(x: symbol)\n\
        path(x, y) :- e(x, y).\npath(x, z) :- path(x, y), e(y, z).\n\
        far(y) :- path(\"a\", y), !blocked(y, \"z\").\nfar(y) :- path(\"b\", y), path(\"a\", y).\n";
    let rows = ["a,e,b,B2,0.9", "b,e,c,C1,0.8", "a,e,c,B3,0.5", "c,e,d,A1,1", "x,e,y,F6,0.1", "d,blocked,z,A1,1"];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.dl"), rules).unwrap();
    std::fs::create_dir(dir.path().join("facts")).unwrap();
    let table = format!("subject,relation,object,grade,confidence\n{}\n", rows.join("\n"));
    std::fs::write(dir.path().join("facts/statements.csv"), table).unwrap();
    let mut session = evaluated(dir.path(), None, None);
    let far_d = atoms(&session).into_iter().find(|(a, ..)| a == "far(\"d\")").map(|(_, rel, i)| (rel, i)).unwrap();
    let cone = cone_shown(&mut session, &[far_d]);
    let expected: BTreeMap<String, String> = [
        ("far(\"d\")", "C2 0.576"),
        ("path(\"a\", \"d\")", "B3/C2 0.72"),
        ("path(\"a\", \"c\")", "B3/C2 0.72"),
        ("path(\"a\", \"b\")", "B2 0.9"),
        ("path(\"b\", \"d\")", "C1 0.8"),
        ("path(\"b\", \"c\")", "C1 0.8"),
        ("e(\"a\", \"b\")", "B2 0.9"),
        ("e(\"b\", \"c\")", "C1 0.8"),
        ("e(\"a\", \"c\")", "B3 0.5"),
        ("e(\"c\", \"d\")", "A1 1"),
    ]
    .into_iter()
    .map(|(a, v)| (a.to_string(), v.to_string()))
    .collect();
    assert_eq!(cone, expected);
    let grading = session.grading();
    let whole = shown(&session, &grading);
    assert!(expected.iter().all(|(a, v)| whole[a] == *v), "{whole:?}");
}

/// How many random programs cone grading is checked on (`GRADE_CONE_CASES`, default 32).
fn grade_cone_cases() -> u32 {
    std::env::var("GRADE_CONE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32)
}

proptest! {
    // `GRADE_CONE_CASES` runs more (or fewer) cases than the default 32.
    #![proptest_config(ProptestConfig { cases: grade_cone_cases(), ..ProptestConfig::default() })]

    /// Random stratified programs with recursion, cycles, negation, conditions, an aggregate
    /// (whose instances the grading stores rather than joins), ungraded rows, given facts, and
    /// confidences or none: each random tuple's cone, and a few tuples' cone together, is
    /// graded as the whole model grades it, tuple by tuple.
    #[test]
    fn grading_a_cone_equals_grading_the_whole_model(
        rules in prop::collection::vec(neg_rule_strategy(), 1..6),
        rows in prop::collection::vec(
            (0..2usize, 0..4usize, 0..4usize, prop::option::weighted(0.9, (0..6u8, 0..6u8)), prop::option::of(0..5u8)),
            2..14,
        ),
        given in prop::option::of((0..4usize, 0..4usize)),
        (aggregate, condition, confidences) in (any::<bool>(), any::<bool>(), any::<bool>()),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..8),
    ) {
        let mut extra = String::new();
        if aggregate {
            extra.push_str(".decl c(x: symbol, n: number)\nc(x, n) :- p(x, _), n = count : { q(x, _) }.\n");
        }
        if condition {
            extra.push_str("q(x, z) :- p(x, y), e(y, z), x != z, !f(z, x).\n");
        }
        let (dir, program) = random_project(rows, given, &rules, (confidences, &extra));
        let mut session = evaluated(dir.path(), None, None);
        let grading = session.grading();
        let whole = shown(&session, &grading);
        let all = atoms(&session);
        // The instances the cone is found by (top down, each tuple's) are those of every rule
        // (bottom up, the body as written).
        let mut ex = session.explainer();
        let mut bottom_up = Vec::new();
        for rule in &ex.program.rules {
            let head = rule.head;
            ex.instances(rule.id, &mut |i, premises| bottom_up.push((rule.id, (head, i), premises.to_vec())));
        }
        let mut top_down = Vec::new();
        for &(_, rel, i) in &all {
            top_down.extend(ex.derivations(rel, i).into_iter().map(|(rule, premises)| (rule, (rel, i), premises)));
        }
        bottom_up.sort();
        top_down.sort();
        prop_assert_eq!(top_down, bottom_up, "{}", program);
        let roots: Vec<(usize, usize)> = picks.iter().map(|p| { let (_, rel, i) = &all[p.index(all.len())]; (*rel, *i) }).collect();
        // Each tuple's cone alone, then all the picked tuples' cones at once.
        for group in roots.iter().map(std::slice::from_ref).chain([roots.as_slice()]) {
            let cone = cone_shown(&mut session, group);
            for &(rel, i) in group {
                let atom = &all.iter().find(|(_, r, j)| (*r, *j) == (rel, i)).unwrap().0;
                prop_assert!(cone.contains_key(atom), "{} not graded in its own cone\n{}", atom, program);
            }
            for (atom, value) in &cone {
                prop_assert_eq!(value, &whole[atom], "{} in the cone of {:?}\n{}", atom, group, program);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Brute force: every proof of every tuple, on small random programs.

const DOMAIN: [&str; 3] = ["a", "b", "c"];
const RELS: [&str; 4] = ["e", "f", "p", "q"];

/// A rule over binary relations: `head(h0, h1) :- body...`, variables numbered 0..3.
#[derive(Debug, Clone)]
struct Rule {
    head: (usize, [usize; 2]),
    body: Vec<(usize, [usize; 2])>,
}

fn rule_strategy() -> impl Strategy<Value = Rule> {
    let atom = (0..4usize, 0..3usize, 0..3usize).prop_map(|(r, x, y)| (r, [x, y]));
    (2..4usize, prop::collection::vec(atom, 1..3), 0..3usize, 0..3usize).prop_map(|(head, body, h0, h1)| {
        // Head variables must appear in the body: take them from it.
        let vars: Vec<usize> = body.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        let pick = |i: usize| vars[i % vars.len()];
        Rule { head: (head, [pick(h0), pick(h1 + 1)]), body }
    })
}

fn rule_text(r: &Rule) -> String {
    let v = |i: usize| ["x", "y", "z"][i];
    let atom = |(rel, args): &(usize, [usize; 2])| format!("{}({}, {})", RELS[*rel], v(args[0]), v(args[1]));
    format!("{} :- {}.\n", atom(&r.head), r.body.iter().map(atom).collect::<Vec<_>>().join(", "))
}

type Tuple = (usize, usize, usize);
/// A proof's value: its grade (`None`: rests on an ungraded row) and confidence.
type Value = (Option<Grade>, f64);

/// Every ground instance of the rules: head and premises.
fn instances(rules: &[Rule]) -> Vec<(Tuple, Vec<Tuple>)> {
    let mut out = Vec::new();
    for r in rules {
        for a in 0..27 {
            let env = [a % 3, a / 3 % 3, a / 9];
            let t = |(rel, args): &(usize, [usize; 2])| (*rel, env[args[0]], env[args[1]]);
            out.push((t(&r.head), r.body.iter().map(t).collect()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The values of every proof of `t` that does not go through a tuple of `path` (a proof
/// repeating a tuple on a branch is never better than the one cutting the repetition).
fn proofs(
    t: Tuple,
    path: &mut Vec<Tuple>,
    rows: &BTreeMap<Tuple, Vec<Value>>,
    inst: &[(Tuple, Vec<Tuple>)],
) -> Vec<Value> {
    let mut out: Vec<Value> = rows.get(&t).cloned().unwrap_or_default();
    path.push(t);
    for (head, body) in inst.iter().filter(|(h, _)| *h == t) {
        let _ = head;
        if body.iter().any(|p| path.contains(p)) {
            continue;
        }
        // Every combination of one proof per premise.
        let mut combos: Vec<Value> = vec![(Some(Grade { reliability: 0, credibility: 0 }), 1.0)];
        let mut given = true;
        for &p in body {
            let sub = proofs(p, path, rows, inst);
            let mut next = Vec::new();
            for &(g, c) in &combos {
                for &(h, d) in &sub {
                    let meet = match (g, h) {
                        (Some(g), Some(h)) => Some(g.meet(h)),
                        _ => None,
                    };
                    next.push((meet, c * d));
                }
            }
            next.sort_by(|a, b| a.partial_cmp(b).unwrap());
            next.dedup();
            combos = next;
            given = false;
        }
        assert!(!given, "rules have non-empty bodies");
        out.extend(combos);
    }
    path.pop();
    out
}

fn brute_force(rules: &[Rule], rows: &BTreeMap<Tuple, Vec<Value>>) -> BTreeMap<Tuple, (BTreeSet<Grade>, Option<f64>)> {
    let inst = instances(rules);
    let mut out = BTreeMap::new();
    for rel in 0..4 {
        for x in 0..3 {
            for y in 0..3 {
                let t = (rel, x, y);
                let all = proofs(t, &mut Vec::new(), rows, &inst);
                if all.is_empty() {
                    continue; // does not hold
                }
                let graded: Vec<Grade> = all.iter().filter_map(|v| v.0).collect();
                let best: BTreeSet<Grade> =
                    graded.iter().copied().filter(|&g| !graded.iter().any(|&h| h != g && h.at_least(g))).collect();
                let conf = all.iter().map(|v| v.1).fold(None, |m: Option<f64>, c| Some(m.map_or(c, |m| m.max(c))));
                out.insert(t, (best, conf));
            }
        }
    }
    out
}

/// How many random programs the property test tries (`GRADES_CASES`, default 48).
fn grades_cases() -> u32 {
    std::env::var("GRADES_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

proptest! {
    // `GRADES_CASES` runs more (or fewer) cases than the default 48.
    #![proptest_config(ProptestConfig { cases: grades_cases(), ..ProptestConfig::default() })]

    #[test]
    fn grades_equal_the_best_over_all_proofs(
        rules in prop::collection::vec(rule_strategy(), 1..4),
        rows in prop::collection::vec((0..2usize, 0..3usize, 0..3usize, prop::option::of((0..6u8, 0..6u8)), 0..5u8), 2..7),
    ) {
        // Both statement relations need a row to exist; a row may be ungraded.
        let mut rows = rows;
        rows[0].0 = 0;
        rows[1].0 = 1;
        let mut stated: BTreeMap<Tuple, Vec<Value>> = BTreeMap::new();
        let mut lines = Vec::new();
        for &(rel, x, y, grade, conf) in &rows {
            let grade = grade.map(|(r, c)| Grade { reliability: r, credibility: c });
            let conf = f64::from(conf) / 4.0;
            stated.entry((rel, x, y)).or_default().push((grade, conf));
            let g = grade.map(|g| g.to_string()).unwrap_or_default();
            lines.push(format!("{},{},{},{g},{conf}", DOMAIN[x], RELS[rel], DOMAIN[y]));
        }
        let mut program = ".decl p(x: symbol, y: symbol)\n.decl q(x: symbol, y: symbol)\n".to_string();
        for r in &rules {
            program.push_str(&rule_text(r));
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let got = graded(&program, &lines, None, None);
        let expected: BTreeMap<String, String> = brute_force(&rules, &stated)
            .into_iter()
            .map(|((rel, x, y), (best, conf))| {
                let grade = if best.is_empty() {
                    "none".to_string()
                } else {
                    best.iter().map(Grade::to_string).collect::<Vec<_>>().join("/")
                };
                (format!("{}({:?}, {:?})", RELS[rel], DOMAIN[x], DOMAIN[y]), format!("{grade} {}", confidence_text(conf)))
            })
            .collect();
        prop_assert_eq!(got, expected, "{}", program);
    }
}

// ---------------------------------------------------------------------------------------
// The command line, on the graded example under tests/graded.

/// The graded example.
const GRADED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/graded");

fn stance(args: &[&str]) -> std::process::Output {
    let dir = Path::new(GRADED);
    std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn query_shows_each_tuples_grade_and_confidence() {
    let out = stance(&["query", "aligned(x, y)"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "aligned (9 tuples)
  x       y       grade  confidence
  Egypt   Haftar  C3/D2  0.6
  Egypt   Russia  F6     none
  Egypt   Tobruk  B3     0.8
  Haftar  Haftar  C3     0.63
  Haftar  Russia  F6     none
  Haftar  Tobruk  B2     0.9
  Russia  Haftar  none   0.35
  Russia  Russia  none   none
  Russia  Tobruk  none   0.5
"
    );
    // Goal-directed evaluation grades the same.
    let out = stance(&["query", "aligned(\"Egypt\", y)", "--format", "csv"]);
    assert_eq!(
        text(&out.stdout),
        "relation,x,y,grade,confidence\naligned,Egypt,Haftar,C3/D2,0.6\naligned,Egypt,Russia,F6,none\naligned,Egypt,Tobruk,B3,0.8\n"
    );
}

#[test]
fn min_grade_evaluates_from_the_rows_at_or_above_it() {
    let out = stance(&["query", "aligned(x, y)", "--min-grade", "C3", "--format", "csv"]);
    assert_eq!(
        text(&out.stdout),
        "relation,x,y,grade,confidence\naligned,Egypt,Haftar,C3,0.56\naligned,Egypt,Tobruk,B3,0.8\naligned,Haftar,Haftar,C3,0.63\naligned,Haftar,Tobruk,B2,0.9\n"
    );
    let out = stance(&["query", "aligned(x, y)", "--min-confidence", "0.6", "--format", "csv"]);
    assert_eq!(
        text(&out.stdout),
        "relation,x,y,grade,confidence\naligned,Egypt,Haftar,C3/D2,0.6\naligned,Egypt,Tobruk,B3,0.8\naligned,Haftar,Haftar,C3,0.63\naligned,Haftar,Tobruk,B2,0.9\n"
    );
    let out = stance(&["explain", "aligned(\"Russia\", \"Tobruk\")", "--min-grade", "C3"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "`aligned(\"Russia\", \"Tobruk\")` does not hold
  note: \"Russia\" does not occur in any fact or rule
  note: --min-grade C3 left out 3 statement rows (1 without a grade)
help: `stance why-not 'aligned(\"Russia\", \"Tobruk\")'` shows how far each rule gets
"
    );
    let out = stance(&["query", "aligned(x, y)", "--min-grade", "B7"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a grade is a reliability letter A-F and a credibility digit 1-6"),
        "{}",
        text(&out.stderr)
    );
    let out = stance(&["query", "aligned(x, y)", "--min-confidence", "1.2"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explain_shows_each_premises_grade_and_the_weakest_link() {
    let out = stance(&["explain", "aligned(\"Egypt\", \"Russia\")"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "aligned(\"Egypt\", \"Russia\")  [F6, confidence none]
│  by aligned(x, z) :- backs(x, y), relies_on(y, z).  [rules/rules.dl:10]
│  “Egypt is aligned with Russia because it backs Tobruk, which relies on Russia”
│  with x = \"Egypt\", y = \"Tobruk\", z = \"Russia\"
├─ backs(\"Egypt\", \"Tobruk\")  [B3, confidence 0.8]
│     stated in facts/statements.csv:4
│     source: Reuters, grade: B3, confidence: 0.8
└─ relies_on(\"Tobruk\", \"Russia\")  [F6, confidence none, weakest]
      stated in facts/statements.csv:7
      source: Anonymous blog, grade: F6
"
    );
    // An ungraded row says so, and is the weakest link.
    let out = stance(&["explain", "aligned(\"Russia\", \"Haftar\")"]);
    let shown = text(&out.stdout);
    assert!(shown.starts_with("aligned(\"Russia\", \"Haftar\")  [no grade, confidence 0.35]\n"), "{shown}");
    assert!(shown.contains("├─ backs(\"Russia\", \"Tobruk\")  [no grade, confidence 0.5, weakest]\n"), "{shown}");
    assert!(shown.contains("└─ relies_on(\"Tobruk\", \"Haftar\")  [C3, confidence 0.7]\n"), "{shown}");
}

#[test]
fn review_claims_can_require_a_grade() {
    let out = stance(&["review", "claims/grades.claims"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "SUPPORTED  aligned(\"Haftar\", \"Tobruk\") >= B2  [claims/grades.claims:2]
    note: Well sourced.
    grade: B2, confidence 0.9
    proof: aligned(\"Haftar\", \"Tobruk\") <= rules/rules.dl:8[backs(\"Haftar\", \"Tobruk\")@facts/statements.csv:2]
FAILED     aligned(\"Egypt\", \"Haftar\") >= B3  [claims/grades.claims:4]
    note: Two proofs: C3 (through Tobruk) and D2 (stated); neither is B3.
    expected SUPPORTED at grade B3 or better, found grade C3/D2
    grade: C3/D2, confidence 0.6
    proof: aligned(\"Egypt\", \"Haftar\") <= rules/rules.dl:8[backs(\"Egypt\", \"Haftar\")@facts/statements.csv:5]
SUPPORTED  aligned(\"Egypt\", _) >= B3  [claims/grades.claims:5]
    grade: B3/D2, confidence 0.8
    proof: aligned(\"Egypt\", \"Haftar\") <= rules/rules.dl:8[backs(\"Egypt\", \"Haftar\")@facts/statements.csv:5]
3 claims: 2 passed, 1 failed
"
    );
    let dir = tempfile::tempdir().unwrap();
    let claims = dir.path().join("bad.claims");
    std::fs::write(&claims, "aligned(\"Egypt\", \"Haftar\") >= B9.\n").unwrap();
    let out = stance(&["review", claims.to_str().unwrap(), "--diagnostic-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("\"code\":\"E025\"")
            && err.contains("`B9` is not a grade")
            && err.contains("\"line\":1,\"column\":31"),
        "{err}"
    );
}

#[test]
fn infer_evaluates_only_from_the_rows_the_flags_keep() {
    let out = stance(&["infer", "--min-grade", "B3", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "relation,x,y,grade,confidence\naligned,Egypt,Tobruk,B3,0.8\naligned,Haftar,Tobruk,B2,0.9\n"
    );
    let out = stance(&["infer", "--min-confidence", "0.9", "--format", "csv"]);
    assert_eq!(text(&out.stdout), "relation,x,y,grade,confidence\naligned,Haftar,Tobruk,B2,0.9\n");
}

#[test]
fn infer_shows_each_tuples_grade_in_every_format() {
    let out = stance(&["infer"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "aligned (9 tuples)
  x       y       grade  confidence
  Egypt   Haftar  C3/D2  0.6
  Egypt   Russia  F6     none
  Egypt   Tobruk  B3     0.8
  Haftar  Haftar  C3     0.63
  Haftar  Russia  F6     none
  Haftar  Tobruk  B2     0.9
  Russia  Haftar  none   0.35
  Russia  Russia  none   none
  Russia  Tobruk  none   0.5
"
    );
    let out = stance(&["infer", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["relations"][0].to_string(),
        r#"{"columns":["x","y","grade","confidence"],"name":"aligned","tuples":[["Egypt","Haftar","C3/D2","0.6"],["Egypt","Russia","F6","none"],["Egypt","Tobruk","B3","0.8"],["Haftar","Haftar","C3","0.63"],["Haftar","Russia","F6","none"],["Haftar","Tobruk","B2","0.9"],["Russia","Haftar","none","0.35"],["Russia","Russia","none","none"],["Russia","Tobruk","none","0.5"]],"types":["symbol","symbol","symbol","symbol"]}"#
    );
    // With proofs: each node of each JSON line carries its grade.
    let out = stance(&["infer", "--provenance", "--format", "json"]);
    let first: serde_json::Value = serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    let nodes: Vec<String> =
        first["nodes"].as_array().unwrap().iter().map(|n| format!("{} {}", n["grade"], n["confidence"])).collect();
    assert_eq!(nodes, [r#""C3/D2" 0.6"#, r#""D2" 0.6"#]);
}

#[test]
fn explain_json_carries_each_nodes_grade() {
    let out = stance(&["explain", "aligned(\"Egypt\", \"Russia\")", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let grades: Vec<String> = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| format!("{} {} {} {}", n["conclusion"], n["grade"], n["best_grades"], n["confidence"]))
        .collect();
    assert_eq!(
        grades,
        [
            r#""aligned(\"Egypt\", \"Russia\")" "F6" ["F6"] null"#,
            r#""backs(\"Egypt\", \"Tobruk\")" "B3" ["B3"] 0.8"#,
            r#""relies_on(\"Tobruk\", \"Russia\")" "F6" ["F6"] null"#,
        ]
    );
}

#[test]
fn review_json_carries_the_grade_of_each_claim_that_holds() {
    let out = stance(&["review", "claims/grades.claims", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let claims: Vec<String> = json["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} {} {}", c["claim"], c["grade"], c["best_grades"], c["confidence"]))
        .collect();
    assert_eq!(
        claims,
        [
            r#""aligned(\"Haftar\", \"Tobruk\") >= B2" "B2" ["B2"] 0.9"#,
            r#""aligned(\"Egypt\", \"Haftar\") >= B3" "C3/D2" ["C3","D2"] 0.6"#,
            r#""aligned(\"Egypt\", _) >= B3" "B3/D2" ["B3","D2"] 0.8"#,
        ]
    );
    // Proof nodes carry their grades too.
    assert_eq!(json["claims"][0]["proof"]["nodes"][1]["grade"], "B2");
}

#[test]
fn csv_claims_can_require_a_grade() {
    let dir = tempfile::tempdir().unwrap();
    let claims = dir.path().join("grades.csv");
    std::fs::write(
        &claims,
        "claim,expect,grade,note\n\"aligned(\"\"Haftar\"\", \"\"Tobruk\"\")\",supported,B2,well sourced\n\"aligned(\"\"Egypt\"\", \"\"Haftar\"\")\",,B3,\n\"aligned(\"\"Egypt\"\", \"\"Tobruk\"\")\",,,\n",
    )
    .unwrap();
    let out = stance(&["review", claims.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stdout);
    let verdicts: Vec<&str> = shown.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(verdicts.len(), 4, "{shown}");
    assert!(verdicts[0].starts_with("SUPPORTED  aligned(\"Haftar\", \"Tobruk\") >= B2  ["), "{shown}");
    assert!(verdicts[1].starts_with("FAILED     aligned(\"Egypt\", \"Haftar\") >= B3  ["), "{shown}");
    assert!(verdicts[2].starts_with("SUPPORTED  aligned(\"Egypt\", \"Tobruk\")  ["), "{shown}");
    assert_eq!(verdicts[3], "3 claims: 2 passed, 1 failed");
    assert!(shown.contains("    expected SUPPORTED at grade B3 or better, found grade C3/D2\n"), "{shown}");
    // A grade that is none, or on a claim that is not `supported`, is a located error.
    for (row, message, column) in [
        ("\"aligned(\"\"Egypt\"\", _)\",,B9,", "`B9` is not a grade", 26),
        (
            "\"aligned(\"\"Egypt\"\", _)\",not supported,B2,",
            "a grade applies to a `supported` claim only, not `not supported`",
            39,
        ),
    ] {
        std::fs::write(&claims, format!("claim,expect,grade,note\n{row}\n")).unwrap();
        let out = stance(&["review", claims.to_str().unwrap(), "--diagnostic-format", "json"]);
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        assert!(
            err.contains("\"code\":\"E025\"")
                && err.contains(message)
                && err.contains(&format!("\"line\":2,\"column\":{column}")),
            "{err}"
        );
    }
}

#[test]
fn diff_shows_each_tuple_whose_grade_changed() {
    let dir = tempfile::tempdir().unwrap();
    for version in ["old", "new"] {
        let root = dir.path().join(version);
        for sub in ["rules", "facts"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::copy(Path::new(GRADED).join("rules/rules.dl"), root.join("rules/rules.dl")).unwrap();
        let table = std::fs::read_to_string(Path::new(GRADED).join("facts/statements.csv")).unwrap();
        let table = if version == "new" { table.replace("Sputnik,D2,0.6", "Sputnik,B2,0.7") } else { table };
        std::fs::write(root.join("facts/statements.csv"), table).unwrap();
    }
    let run = |format: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
            .args(["diff", "--before", "../old", "--exit-code", "--format", format])
            .current_dir(dir.path().join("new"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = run("text");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "before: ../old
after:  working tree

aligned: 0 added, 0 removed, 1 regraded
  ~ aligned(\"Egypt\", \"Haftar\")  grade C3/D2, confidence 0.6 -> B2, confidence 0.7

0 added, 0 removed, 1 regraded in 1 relation
"
    );
    let json: serde_json::Value = serde_json::from_slice(&run("json").stdout).unwrap();
    assert_eq!(json["regraded"], 1);
    assert_eq!(
        json["relations"][0]["regraded"].to_string(),
        r#"[{"after":{"best_grades":["B2"],"confidence":0.7,"grade":"B2"},"atom":"aligned(\"Egypt\", \"Haftar\")","before":{"best_grades":["C3","D2"],"confidence":0.6,"grade":"C3/D2"},"tuple":["Egypt","Haftar"]}]"#
    );
}

#[test]
fn graph_shades_each_edge_by_its_grade() {
    let out = stance(&["graph"]);
    assert_eq!(out.status.code(), Some(0));
    let dot = text(&out.stdout);
    let edges: Vec<&str> = dot.lines().filter(|l| l.contains(" -> ") && l.contains("aligned")).collect();
    assert_eq!(
        edges,
        [
            r##"  n0 -> n1 [color="#2e9d42", penwidth=2, constraint=false, color="#2e9d42b3", tooltip="aligned, grade C3/D2"];"##,
            r##"  n0 -> n2 [color="#2e9d42", penwidth=2, constraint=false, color="#2e9d4240", tooltip="aligned, grade F6"];"##,
            r##"  n0 -> n3 [color="#2e9d42", penwidth=2, constraint=false, color="#2e9d42c6", tooltip="aligned, grade B3"];"##,
            r##"  n1 -> n1 [color="#2e9d42", penwidth=2, constraint=false, color="#2e9d42b3", tooltip="aligned, grade C3", dir=none];"##,
            r##"  n1 -> n2 [color="#2e9d42", penwidth=2, constraint=false, color="#2e9d4240", tooltip="aligned, grade F6", dir=none];"##,
            r##"  n1 -> n3 [color="#2e9d42", penwidth=2, constraint=false, color="#2e9d42d9", tooltip="aligned, grade B2"];"##,
            r##"  n2 -> n2 [color="#2e9d42", penwidth=2, constraint=false, color="#2e9d4240", style=dotted, tooltip="aligned, no grade", dir=none];"##,
            r##"  n2 -> n3 [color="#2e9d42", penwidth=2, constraint=false, color="#2e9d4240", style=dotted, tooltip="aligned, no grade"];"##,
        ]
    );
    assert!(dot.contains("<tr><td align=\"left\">shade: the grade of the edge's best proof, A1 solid to F6 faint</td></tr><tr><td align=\"left\">&#183;&#183;&#183;&#183; dotted: no grade (rests on an ungraded row)</td></tr>"), "{dot}");
}

#[test]
fn report_shows_each_claims_grade_and_shades_edges_by_grade() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let out = stance(&["report", "-o", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    // The claims table has a grade column: each claim's best proof.
    assert!(html.contains("<th>relation</th><th>claim</th><th>grade</th>"));
    let cells: Vec<&str> = html.split("<td class=\"grade\">").skip(1).map(|c| &c[..c.find('<').unwrap()]).collect();
    assert_eq!(
        cells,
        [
            "C3/D2, confidence 0.6",
            "F6, confidence none",
            "B3, confidence 0.8",
            "C3, confidence 0.63",
            "F6, confidence none",
            "B2, confidence 0.9",
            "no grade, confidence 0.35",
            "no grade, confidence none",
            "no grade, confidence 0.5",
        ]
    );
    // Edges: opacity by grade, dotted (class `ungraded`) without one, the grade in the title.
    assert!(html.contains(r#"data-relation="backs" stroke-opacity="0.85" d="#), "B2 edge");
    assert!(html.contains(r#"data-relation="backs" stroke-opacity="0.25" d="#), "ungraded edge");
    assert!(html.contains("<title>aligned: Egypt \u{2192} Haftar, grade C3/D2</title>"));
    assert!(html.contains("<title>aligned: Russia \u{2192} Tobruk, no grade</title>"));
    assert_eq!(html.matches("class=\"edge stated r1 ungraded\"").count(), 1);
    // Proof nodes carry their grades for the page's script to show on each premise.
    assert!(html.contains(r#""best_grades":["C3","D2"],"#), "proof nodes");
    // An ungraded project's page is unchanged: no grade column, no shading. (The main example
    // with its `grade` column dropped: the sixth field, after subject to date, none quoted.)
    let root = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(root.path().join("facts")).unwrap();
    std::fs::create_dir_all(root.path().join("rules")).unwrap();
    std::fs::copy(repo.join("rules/libya.dl"), root.path().join("rules/libya.dl")).unwrap();
    let table = std::fs::read_to_string(repo.join("facts/statements.csv")).unwrap();
    let ungraded: String = table
        .lines()
        .map(|l| {
            let mut fields: Vec<&str> = l.splitn(7, ',').collect();
            fields.remove(5);
            format!("{}\n", fields.join(","))
        })
        .collect();
    std::fs::write(root.path().join("facts/statements.csv"), ungraded).unwrap();
    let plain = dir.path().join("plain.html");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["report", "-o", plain.to_str().unwrap()])
        .current_dir(root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&plain).unwrap();
    assert!(!html.contains("<th>grade</th>") && !html.contains("stroke-opacity=") && !html.contains("\"best_grades\""));
}

#[test]
fn graph_exports_carry_each_edges_grade() {
    let out = stance(&["graph", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let body: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(
        body,
        [
            "source,target,relation,class,directed,flagged,grade",
            "Egypt,Haftar,backs,stated,true,false,D2",
            "Egypt,Tobruk,backs,stated,true,false,B3",
            "Haftar,Tobruk,backs,stated,true,false,B2",
            "Russia,Tobruk,backs,stated,true,false,none",
            "Tobruk,Haftar,relies_on,stated,true,false,C3",
            "Tobruk,Russia,relies_on,stated,true,false,F6",
            "Egypt,Haftar,aligned,alignment,true,false,C3/D2",
            "Egypt,Russia,aligned,alignment,true,false,F6",
            "Egypt,Tobruk,aligned,alignment,true,false,B3",
            "Haftar,Haftar,aligned,alignment,false,false,C3",
            "Haftar,Russia,aligned,alignment,false,false,F6",
            "Haftar,Tobruk,aligned,alignment,true,false,B2",
            "Russia,Russia,aligned,alignment,false,false,none",
            "Russia,Tobruk,aligned,alignment,true,false,none",
        ]
    );
    let out = stance(&["graph", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let grades: Vec<String> = json["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{}->{} {} {}", l["source"], l["target"], l["relation"], l["grade"]))
        .collect();
    assert_eq!(grades[0], r#""Egypt"->"Haftar" "backs" "D2""#);
    assert_eq!(grades[6], r#""Egypt"->"Haftar" "aligned" "C3/D2""#);
    assert_eq!(grades[13], r#""Russia"->"Tobruk" "aligned" "none""#);
    let out = stance(&["graph", "--format", "graphml"]);
    let xml = text(&out.stdout);
    assert!(xml.contains("  <key id=\"grade\" for=\"edge\" attr.name=\"grade\" attr.type=\"string\"/>\n"), "{xml}");
    assert!(xml.contains(
        "<edge id=\"e6\" source=\"Egypt\" target=\"Haftar\"><data key=\"relation\">aligned</data><data key=\"class\">alignment</data><data key=\"directed\">true</data><data key=\"edge_flagged\">false</data><data key=\"grade\">C3/D2</data></edge>"
    ), "{xml}");
}
