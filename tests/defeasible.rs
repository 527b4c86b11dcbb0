//! Denials, conflicts and defeasible logic end to end: exact statuses of the textbook
//! theories under both ambiguity policies, exact conflict reports and exit codes, and the
//! located errors of programs stance does not accept.

#[path = "common/run.rs"]
mod run;

use run::{project, stance, stderr, stdout};

/// `stance conclusions` of a rule file alone, under a policy.
fn conclusions(rules: &str, policy: &str) -> String {
    let dir = project(&[("theory.dl", rules)]);
    let out = stance(dir.path(), &["conclusions", "--rules", "theory.dl", "--no-facts", "--defeasible", policy]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

const TWEETY: &str = r#"
.decl bird(x: symbol)
.decl penguin(x: symbol)
.decl injured(x: symbol)
.decl fly(x: symbol)
penguin("tweety").
bird("freddie").
injured("freddie").
@r3 bird(x) :- penguin(x).
@r4 ~fly(x) :- injured(x).
@r1 fly(x) :~ bird(x).
@r2 ~fly(x) :~ penguin(x).
.prefer r2 > r1
"#;

#[test]
fn tweety_the_penguin_does_not_fly_and_injured_freddie_definitely_does_not() {
    let expected = "\
definitely  bird(\"freddie\")
definitely  bird(\"tweety\")
not         fly(\"freddie\")
not         fly(\"tweety\")
definitely  injured(\"freddie\")
definitely  penguin(\"tweety\")
definitely  ~fly(\"freddie\")
defeasibly  ~fly(\"tweety\")
";
    assert_eq!(conclusions(TWEETY, "blocking"), expected);
    assert_eq!(conclusions(TWEETY, "propagating"), expected);
}

#[test]
fn without_superiority_tweety_is_ambiguous() {
    let rules = TWEETY.replace(".prefer r2 > r1", "");
    let out = conclusions(&rules, "blocking");
    assert!(out.contains("undecided   fly(\"tweety\")\n"), "{out}");
    assert!(out.contains("undecided   ~fly(\"tweety\")\n"), "{out}");
    assert!(out.contains("not         fly(\"freddie\")\n"), "{out}");
}

const NIXON: &str = r#"
.decl quaker(x: symbol)
.decl republican(x: symbol)
.decl pacifist(x: symbol)
.decl hawk(x: symbol)
quaker("nixon").
republican("nixon").
pacifist(x) :~ quaker(x).
~pacifist(x) :~ republican(x).
hawk(x) :~ republican(x).
~hawk(x) :~ pacifist(x).
"#;

#[test]
fn nixon_diamond_blocking_keeps_the_hawk_propagating_does_not() {
    // pacifist is ambiguous. Blocking: the unproved pacifist cannot attack hawk, so hawk
    // holds. Propagating: the merely supported pacifist still attacks, so hawk is undecided.
    let blocking = "\
defeasibly  hawk(\"nixon\")
undecided   pacifist(\"nixon\")
definitely  quaker(\"nixon\")
definitely  republican(\"nixon\")
undecided   ~hawk(\"nixon\")
undecided   ~pacifist(\"nixon\")
";
    assert_eq!(conclusions(NIXON, "blocking"), blocking);
    let propagating = blocking.replace("defeasibly  hawk", "undecided   hawk");
    assert_eq!(conclusions(NIXON, "propagating"), propagating);
}

#[test]
fn team_defeat_each_attacker_beaten_by_some_rule_of_the_team() {
    // Two rules for `p`, two against; r1 beats s1 and r2 beats s2, none beats both.
    let rules = r#"
.decl a() .decl b() .decl c() .decl d() .decl p()
a(). b(). c(). d().
@r1 p() :~ a().
@r2 p() :~ b().
@s1 ~p() :~ c().
@s2 ~p() :~ d().
.prefer r1 > s1
.prefer r2 > s2
"#;
    let out = conclusions(rules, "blocking");
    assert!(out.contains("defeasibly  p()\n"), "{out}");
    assert!(out.contains("not         ~p()\n"), "{out}");
    // Without the second preference the team no longer beats s2: ambiguous.
    let out = conclusions(&rules.replace(".prefer r2 > s2", ""), "blocking");
    assert!(out.contains("undecided   p()\n"), "{out}");
}

#[test]
fn a_defeater_stops_a_conclusion_without_concluding_anything() {
    let rules = r#"
.decl bird(x: symbol)
.decl damaged(x: symbol)
.decl fly(x: symbol)
bird("tweety"). bird("polly"). damaged("polly").
@fly fly(x) :~ bird(x).
@grounded ~fly(x) :~> damaged(x).
.prefer grounded > fly
"#;
    let expected = "\
definitely  bird(\"polly\")
definitely  bird(\"tweety\")
definitely  damaged(\"polly\")
not         fly(\"polly\")
defeasibly  fly(\"tweety\")
not         ~fly(\"polly\")
";
    assert_eq!(conclusions(rules, "blocking"), expected);
}

#[test]
fn infer_prints_the_defeasible_conclusions() {
    let dir = project(&[("theory.dl", TWEETY)]);
    let out = stance(dir.path(), &["infer", "--rules", "theory.dl", "--no-facts", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // `fly` is empty: both birds are defeasibly (tweety) or definitely (freddie) not flying.
    assert_eq!(
        stdout(&out),
        "relation,x\nbird,freddie\nbird,tweety\nrelation,x\nrelation,x\n~fly,freddie\n~fly,tweety\n"
    );
}

#[test]
fn explain_and_why_not_show_the_attacks_and_who_won() {
    let dir = project(&[("theory.dl", TWEETY)]);
    let out = stance(dir.path(), &["explain", "~fly(\"tweety\")", "--rules", "theory.dl", "--no-facts"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).ends_with(
        "~fly(\"tweety\"): defeasibly\n   attack: fly(\"tweety\") by rule @r1 at theory.dl:11\n      defeated by the superior rule @r2 at theory.dl:12\n"
    ), "{}", stdout(&out));
    let out = stance(dir.path(), &["why-not", "fly(\"tweety\")", "--rules", "theory.dl", "--no-facts"]);
    assert_eq!(
        stdout(&out),
        "why not fly(\"tweety\")?
fly(\"tweety\"): not
   attack: ~fly(\"tweety\") by rule @r2 at theory.dl:12
      wins: superior to the rule @r1 at theory.dl:11
   argument: by rule @r1 at theory.dl:11
      its premises are proved
"
    );
}

const STATEMENTS: &str = "\
subject,relation,object,source,date,grade
Egypt,backs,GNA,Outlet X,2020-01-10,C3
Egypt,not backs,GNA,Outlet Y,2020-02-01,A2
UAE,backs,LNA,Outlet Y,2020-01-05,B2
";

#[test]
fn a_denied_statement_conflicts_with_its_affirmation() {
    let dir = project(&[
        ("facts/s.csv", STATEMENTS),
        ("rules/r.dl", ".decl ally(x: symbol, y: symbol)\nally(x, y) :- backs(x, y).\n"),
    ]);
    let out = stance(dir.path(), &["contradictions", "--rules", "rules"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "conflict: backs(\"Egypt\", \"GNA\") is both affirmed and denied
├─ affirmed [C3]:
│  backs(\"Egypt\", \"GNA\")  [C3]
│     stated in facts/s.csv:2
│     source: Outlet X, date: 2020-01-10, grade: C3
├─ denied [A2]:
│  ~backs(\"Egypt\", \"GNA\")  [A2]
│     stated in facts/s.csv:3
│     source: Outlet Y, date: 2020-02-01, grade: A2
"
    );
    assert_eq!(stderr(&out), "no constraint is violated (0 constraints checked)\n1 conflict\n");
    let out = stance(dir.path(), &["infer", "--rules", "rules"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("warning[W009]: conflict: backs(\"Egypt\", \"GNA\") is both affirmed and denied"));
    let out = stance(dir.path(), &["infer", "--rules", "rules", "--deny-contradictions"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error[E024]: conflict: backs(\"Egypt\", \"GNA\") is both affirmed and denied"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_polarity_column_denies_a_row() {
    let facts = "subject,relation,object,polarity\nEgypt,backs,GNA,+\nEgypt,backs,GNA,-\nUAE,backs,LNA,\n";
    let dir = project(&[("facts/s.csv", facts), ("r.dl", ".decl d(x: symbol, y: symbol)\nd(x, y) :- ~backs(x, y).\n")]);
    let out = stance(dir.path(), &["infer", "--rules", "r.dl", "--format", "csv"]);
    assert_eq!(stdout(&out), "relation,x,y\nd,Egypt,GNA\n", "{}", stderr(&out));
    let bad = "subject,relation,object,polarity\nEgypt,backs,GNA,maybe\n";
    let dir = project(&[("facts/s.csv", bad), ("r.dl", ".decl d(x: symbol, y: symbol)\nd(x, y) :- ~backs(x, y).\n")]);
    let out = stance(dir.path(), &["infer", "--rules", "r.dl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error[E021]: `maybe` is not a polarity"), "{}", stderr(&out));
    assert!(stderr(&out).contains("facts/s.csv:2:17"), "{}", stderr(&out));
}

#[test]
fn prefer_by_grade_resolves_the_conflict_for_the_better_source() {
    let rules = "\
.decl ally(x: symbol, y: symbol)
ally(x, y) :~ backs(x, y).
.prefer by grade
";
    let dir = project(&[("facts/s.csv", STATEMENTS), ("r.dl", rules)]);
    let out = stance(dir.path(), &["conclusions", "--rules", "r.dl"]);
    assert_eq!(
        stdout(&out),
        "\
not         ally(\"Egypt\", \"GNA\")
defeasibly  ally(\"UAE\", \"LNA\")
not         backs(\"Egypt\", \"GNA\")
defeasibly  backs(\"UAE\", \"LNA\")
defeasibly  ~backs(\"Egypt\", \"GNA\")
",
        "{}",
        stderr(&out)
    );
    // No conflict remains: the worse-graded report lost.
    let out = stance(dir.path(), &["contradictions", "--rules", "r.dl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = stance(dir.path(), &["why-not", "backs(\"Egypt\", \"GNA\")", "--rules", "r.dl"]);
    assert!(
        stdout(&out).contains("wins: superior to the statement facts/s.csv:2 [C3] dated 2020-01-10"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn prefer_by_date_lets_the_later_report_win() {
    let statements = "subject,relation,object,date\nEgypt,backs,GNA,2020-03-01\nEgypt,not backs,GNA,2020-02-01\n";
    let dir = project(&[("facts/s.csv", statements), ("r.dl", ".prefer by date\n")]);
    let out = stance(dir.path(), &["conclusions", "--rules", "r.dl"]);
    assert_eq!(
        stdout(&out),
        "defeasibly  backs(\"Egypt\", \"GNA\")\nnot         ~backs(\"Egypt\", \"GNA\")\n",
        "{}",
        stderr(&out)
    );
}

#[test]
fn prefer_by_date_compares_partial_dates_as_the_periods_they_name() {
    // A partial date is its whole period; a row wins when its period begins after the other's
    // ends. `2016-11-27` is not after `2016` (that report may be from December): undecided.
    // As text, `2016-11-27` > `2016`, and `2016-9` would sort after `2016-10`.
    let conclusions_of = |affirmed: &str, denied: &str| {
        let statements =
            format!("subject,relation,object,date\nRussia,backs,Haftar,{affirmed}\nRussia,not backs,Haftar,{denied}\n");
        let dir = project(&[("facts/s.csv", statements.as_str()), ("r.dl", ".prefer by date\n")]);
        let out = stance(dir.path(), &["conclusions", "--rules", "r.dl"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let undecided = "undecided   backs(\"Russia\", \"Haftar\")\nundecided   ~backs(\"Russia\", \"Haftar\")\n";
    let affirmed = "defeasibly  backs(\"Russia\", \"Haftar\")\nnot         ~backs(\"Russia\", \"Haftar\")\n";
    let denied = "not         backs(\"Russia\", \"Haftar\")\ndefeasibly  ~backs(\"Russia\", \"Haftar\")\n";
    assert_eq!(conclusions_of("2016-11-27", "2016"), undecided);
    assert_eq!(conclusions_of("2016", "2016-11"), undecided);
    assert_eq!(conclusions_of("2016-11", "2016-11-30"), undecided);
    assert_eq!(conclusions_of("2016-11-27", "2016-10"), affirmed);
    assert_eq!(conclusions_of("2017", "2016-12-31"), affirmed);
    assert_eq!(conclusions_of("2016-12", "2017-01-01"), denied);
    assert_eq!(conclusions_of("2016-11-28", "2016-11-27"), affirmed);
    // Not a date: no order, so neither wins.
    assert_eq!(conclusions_of("last week", "2016"), undecided);
}

fn check_error(rules: &str) -> String {
    let dir = project(&[("r.dl", rules)]);
    let out = stance(dir.path(), &["check", "--rules", "r.dl", "--no-facts", "--diagnostic-format", "short"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    stderr(&out)
}

#[test]
fn programs_stance_does_not_accept_are_located_errors() {
    let base = ".decl p(x: number)\n.decl q(x: number)\nq(1).\n";
    let neg = format!("{base}@a p(x) :~ q(x), !r(x).\n.decl r(x: number)\n~r(x) :~ p(x).\n");
    assert!(
        check_error(&neg).contains(
            "r.dl:4:18: error[E026]: negation over `r`, a defeasible conclusion that depends on this rule's own"
        ),
        "{}",
        check_error(&neg)
    );
    let agg =
        format!("{base}.decl n(k: number)\np(x) :~ q(x).\n~p(x) :~ q(x), n(x).\nn(c) :- c = count : {{ p(_) }}.\n");
    assert!(
        check_error(&agg).contains(
            "r.dl:7:23: error[E026]: an aggregate over `p`, a defeasible conclusion that depends on this rule's own"
        ),
        "{}",
        check_error(&agg)
    );
    let unknown = format!("{base}@a p(x) :~ q(x).\n@b ~p(x) :~ q(x).\n.prefer a > c\n");
    assert!(check_error(&unknown).contains("r.dl:6:13: error[E026]: unknown rule `c`"), "{}", check_error(&unknown));
    let cyclic = format!("{base}@a p(x) :~ q(x).\n@b ~p(x) :~ q(x).\n.prefer a > b\n.prefer b > a\n");
    assert!(check_error(&cyclic).contains("r.dl:7:1: error[E026]: superiority is cyclic"), "{}", check_error(&cyclic));
    let twice = format!("{base}@a p(x) :~ q(x).\n@a ~p(x) :~ q(x).\n");
    assert!(check_error(&twice).contains("r.dl:5:1: error[E026]: two rules are named `a`"), "{}", check_error(&twice));
    let headless = format!("{base}:~ q(x).\n");
    assert!(
        check_error(&headless).contains("r.dl:4:1: error[E001]: a rule with `:~` needs a head"),
        "{}",
        check_error(&headless)
    );
}

#[test]
fn the_parser_recovers_after_broken_defeasible_rules() {
    let rules = ".decl p(x: number)\n.decl q(x: number)\nq(1).\n@a p(x) :~ q(x)\n@b ~p(x) :~ q(x).\np(x) :~ q(x), ~ .\n~p(x) :- q(x.\n";
    assert_eq!(
        check_error(rules),
        "\
r.dl:5:1: error[E001]: expected `,`, `;` or `.` after body literal, found `@b`
r.dl:6:15: error[E001]: expected a body literal (atom, `!atom` or comparison), found `~`
r.dl:7:13: error[E001]: expected `)` or `,` after argument, found `.`
"
    );
}

/// `stance ARGS` on the disagreement example: the main example's rules with
/// tests/disagreement's, over its facts (the main statements and two reports on Russia).
fn disagreement(args: &[&str]) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend([
        "--rules",
        "rules/libya.dl",
        "--rules",
        "tests/disagreement/rules",
        "--facts",
        "tests/disagreement/facts",
    ]);
    stance(&run::repo(), &all)
}

#[test]
fn the_disagreement_example_resolves_what_russia_says_against_what_others_report() {
    // Russia backs Haftar (C3) and does not (A4).
    let expected = "\
defeasibly  aligned(\"Russia\", \"Haftar\")
undecided   backs(\"Russia\", \"Haftar\")
defeasibly  engages(\"Russia\", \"Haftar\")
defeasibly  engages_both_sides(\"Russia\", \"Haftar\", \"GNA\")
defeasibly  hedges(\"Russia\", \"Haftar\", \"GNA\")
undecided   support_count(\"Haftar\", 0)
defeasibly  supports(\"Russia\", \"Haftar\")
undecided   ~backs(\"Russia\", \"Haftar\")
not         ~supports(\"Russia\", \"Haftar\")
";
    for policy in ["blocking", "propagating"] {
        let out = disagreement(&["conclusions", "--defeasible", policy]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        // Every other literal of the example is defeasibly provable.
        let text = stdout(&out);
        let (russia, rest): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|l| l.contains("(\"Russia\", \"Haftar\"") || l.contains("(\"Haftar\", 0)"));
        assert_eq!(russia.iter().map(|l| format!("{l}\n")).collect::<String>(), expected, "{policy}");
        assert!(rest.iter().all(|l| l.starts_with("defeasibly  ")), "{policy}: {rest:?}");
        assert_eq!(rest.len(), 305, "{policy}");
    }
    let out = disagreement(&["explain", "supports(\"Russia\", \"Haftar\")"]);
    assert!(
        stdout(&out).ends_with(
            "supports(\"Russia\", \"Haftar\"): defeasibly
   attack: ~supports(\"Russia\", \"Haftar\") by rule @denied at tests/disagreement/rules/disagreement.dl:27
      blocked: its premise ~backs(\"Russia\", \"Haftar\") is undecided
"
        ),
        "{}",
        stdout(&out)
    );
    let out = disagreement(&["why-not", "backs(\"Russia\", \"Haftar\")"]);
    assert_eq!(
        stdout(&out),
        "\
why not backs(\"Russia\", \"Haftar\")?
backs(\"Russia\", \"Haftar\"): undecided
   attack: ~backs(\"Russia\", \"Haftar\") by statement tests/disagreement/facts/statements.csv:36 [A4] dated 2016
      stands: neither side is superior to the other
   argument: by statement tests/disagreement/facts/statements.csv:35 [C3] dated 2016-11-27
      its premises are proved
"
    );
    // The two reports stay in conflict neither way: no tuple is both affirmed and denied;
    // only the constraint the example violates on purpose is reported.
    let out = disagreement(&["contradictions"]);
    assert_eq!(stderr(&out), "1 violation of 1 of the 2 constraints\nno conflict between a relation and its denials\n");
}

#[test]
fn prefer_by_specificity_lets_the_more_specific_rule_win() {
    // Bozzato et al.'s example: a PhD student is a department member; members teach,
    // PhD students do not. The PhD rule's body implies the other's through a strict rule.
    let rules = r#"
.decl phd_member(x: symbol)
.decl dept_member(x: symbol)
.decl teach_course(x: symbol)
phd_member("bob").
dept_member(x) :- phd_member(x).
teach_course(x) :~ dept_member(x).
~teach_course(x) :~ phd_member(x).
.prefer by specificity
"#;
    let expected = "\
definitely  dept_member(\"bob\")
definitely  phd_member(\"bob\")
not         teach_course(\"bob\")
defeasibly  ~teach_course(\"bob\")
";
    assert_eq!(conclusions(rules, "blocking"), expected);
    // Without it, the two rules tie.
    let out = conclusions(&rules.replace(".prefer by specificity", ""), "blocking");
    assert!(out.contains("undecided   teach_course(\"bob\")\n"), "{out}");
}

#[test]
fn a_rule_whose_premise_is_missing_is_refuted_and_a_defeater_standoff_too() {
    let rules = "
.decl p() .decl q() .decl r() .decl s()
p().
r() :~ p(), q().
s() :~ p().
~s() :~> p().
";
    let expected = "\
definitely  p()
not         q()
not         r()
not         s()
not         ~s()
";
    assert_eq!(conclusions(rules, "blocking"), expected);
}

const STRICT_ONLY: &str = r#"
.decl p(x: number)
.decl q(x: number)
.decl s(x: number)
.decl t(x: number)
.decl u(x: number)
p(1).
q(x) :- p(x), !s(x).
t(2) :- s(3).
s(3) :- t(2).
t(4) :- p(9).
"#;

/// A theory of strict rules is read off the least model without grounding; its literals
/// and statuses are those of the same theory with an unrelated defeasible rule added,
/// which goes through grounding and the proof conditions.
#[test]
fn a_strict_theory_concludes_what_grounding_concludes() {
    let expected = "\
definitely  p(1)
not         p(9)
definitely  q(1)
undecided   s(3)
undecided   t(2)
not         t(4)
";
    assert_eq!(conclusions(STRICT_ONLY, "blocking"), expected);
    let grounded = conclusions(&format!("{STRICT_ONLY}u(5) :~ p(1).\n"), "blocking");
    assert_eq!(grounded, format!("{expected}defeasibly  u(5)\n"));
}

#[test]
fn negation_and_aggregates_read_the_final_conclusions_of_a_lower_layer() {
    // `walks` reads `!fly` and `flyers` counts `fly`, after `fly`'s conflict is resolved: the
    // penguin does not fly, so it walks; one bird flies. Both rest on defeasible conclusions,
    // so they are defeasible, not definite. `idle` negates `walks`, a layer higher still.
    let rules = r#"
.decl bird(x: symbol)
.decl penguin(x: symbol)
.decl fly(x: symbol)
.decl walks(x: symbol)
.decl idle(x: symbol)
.decl flyers(n: number)
bird("tweety"). bird("pingu"). penguin("pingu").
@f fly(x) :~ bird(x).
@p ~fly(x) :~ penguin(x).
.prefer p > f
walks(x) :- bird(x), !fly(x).
idle(x) :- bird(x), !walks(x).
flyers(n) :- n = count : { fly(_) }.
"#;
    let expected = "\
definitely  bird(\"pingu\")
definitely  bird(\"tweety\")
not         fly(\"pingu\")
defeasibly  fly(\"tweety\")
defeasibly  flyers(1)
defeasibly  idle(\"tweety\")
definitely  penguin(\"pingu\")
defeasibly  walks(\"pingu\")
defeasibly  ~fly(\"pingu\")
";
    assert_eq!(conclusions(rules, "blocking"), expected);
    // Ambiguous without the superiority: `fly("pingu")` is undecided, so not defeasibly
    // provable, and `!fly("pingu")` holds.
    let ambiguous = conclusions(&rules.replace(".prefer p > f", ""), "blocking");
    assert!(ambiguous.contains("undecided   fly(\"pingu\")\ndefeasibly  fly(\"tweety\")\n"), "{ambiguous}");
    assert!(ambiguous.contains("defeasibly  walks(\"pingu\")\n"), "{ambiguous}");
}

#[test]
fn explain_as_json_carries_each_attack_and_why_it_failed() {
    let dir = project(&[("theory.dl", TWEETY)]);
    let explain = |claim: &str| {
        let out = stance(dir.path(), &["explain", "--rules", "theory.dl", "--no-facts", "--format", "json", claim]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        json["defeasible"].to_string()
    };
    assert_eq!(
        explain("~fly(\"tweety\")"),
        r#"{"attacks":[{"by":"rule @r1 at theory.dl:11","conclusion":"fly(\"tweety\")","defeated_by":"rule @r2 at theory.dl:12","outcome":"defeated","reason":"defeated by the superior rule @r2 at theory.dl:12"}],"complement_definite":null,"status":"defeasibly"}"#
    );
    // The main example: the denial's rule is blocked by its undecided premise.
    let out = disagreement(&["explain", "--format", "json", "supports(\"Russia\", \"Haftar\")"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        json["defeasible"].to_string(),
        r#"{"attacks":[{"by":"rule @denied at tests/disagreement/rules/disagreement.dl:27","conclusion":"~supports(\"Russia\", \"Haftar\")","outcome":"blocked","premise":"~backs(\"Russia\", \"Haftar\")","premise_status":"undecided","reason":"blocked: its premise ~backs(\"Russia\", \"Haftar\") is undecided"}],"complement_definite":null,"status":"defeasibly"}"#
    );
}

#[test]
fn graph_exports_show_undecided_reports_marked() {
    // The disagreement example: both reports stay undecided, and the graph shows them
    // (with a `status`), rather than dropping them as it drops refuted tuples.
    let out = disagreement(&["graph", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = stdout(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[1], "source,target,relation,class,directed,flagged,grade,status");
    assert_eq!(
        lines.iter().filter(|l| !l.ends_with(",proved")).skip(2).collect::<Vec<_>>(),
        [&"Russia,Haftar,backs,stated,true,false,,undecided", &"Russia,Haftar,~backs,stated,true,false,,undecided"]
    );
    assert!(lines.contains(&"Russia,Haftar,supports,alignment,true,false,C3,proved"), "{csv}");
    let out = disagreement(&["graph", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let undecided: Vec<String> = json["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "undecided")
        .map(|l| format!("{} {} {} {}", l["source"], l["relation"], l["target"], l["grade"]))
        .collect();
    assert_eq!(undecided, [r#""Russia" "backs" "Haftar" """#, r#""Russia" "~backs" "Haftar" """#]);
    let out = disagreement(&["graph", "--format", "graphml"]);
    assert!(stdout(&out).contains("<data key=\"grade\"></data><data key=\"status\">undecided</data></edge>"));
}

#[test]
fn engines_other_than_datafrog_refuse_defeasible_programs_by_name() {
    let program = ".decl bird(x: symbol)\n.decl fly(x: symbol)\nbird(\"tweety\").\nfly(x) :~ bird(x).\n.output fly\n";
    let dir = project(&[("rules/p.dl", program)]);
    for engine in ["simple", "compare", "dd", "compare-dd"] {
        let o = stance(dir.path(), &["infer", "--no-facts", "--engine", engine]);
        assert_eq!(o.status.code(), Some(1), "{engine}: {}", stderr(&o));
        let expected = format!("error[E002]: `--engine {engine}` does not evaluate defeasible programs");
        assert!(stderr(&o).contains(&expected), "{}", stderr(&o));
    }
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "datafrog"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
