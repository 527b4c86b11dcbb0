//! Time (issue 17): exact intervals of small hand-checked programs, and the property that
//! the temporal model on day `D` is the plain model of `--as-of D`.
//!
//! `TIME_CASES` sets the number of random programs of the property test (64 by default).

#[path = "common/run.rs"]
mod run;

use itertools::Itertools;
use proptest::prelude::*;
use run::{project, stance, stderr, stdout};
use stance::base::source::SourceMap;
use stance::base::value::Tuples;
use stance::engine::eval::EvalOptions;
use stance::facts::asof::{Date, day_text};
use stance::session::time::TimedSession;
use stance::session::{self, Inputs};
use std::collections::BTreeMap;
use std::path::Path;

/// The temporal model of the project in `dir`: per relation, `tuple@from..until` rows.
fn timed(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let inputs = Inputs {
        rules: vec![dir.join("rules.dl")],
        facts: Some(dir.join("facts")),
        with_time: true,
        ..Default::default()
    };
    let project = session::load(&inputs, &mut SourceMap::new()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let run =
        TimedSession::evaluate(project, &EvalOptions::default()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let mut out = BTreeMap::new();
    for (id, rel) in run.project.program.relations.iter().enumerate() {
        let rows = run.model.rows(id).map(|(tuple, iv)| {
            let values: Vec<String> = tuple
                .iter()
                .zip(&rel.types)
                .map(|(&v, &t)| stance::base::value::display(v, t, &run.project.symbols))
                .collect();
            format!("{}@{}..{}", values.join(","), day_text(iv.from), day_text(iv.until))
        });
        out.insert(rel.name.clone(), rows.sorted().collect());
    }
    out
}

fn rows(model: &BTreeMap<String, Vec<String>>, rel: &str) -> Vec<String> {
    model[rel].clone()
}

const HEADER: &str = "subject,relation,object,source,date,until,quote\n";

fn dated(rows: &str) -> Vec<(&'static str, String)> {
    vec![("facts/s.csv", format!("{HEADER}{rows}"))]
}

fn with_rules(rules: &str, facts: Vec<(&'static str, String)>) -> tempfile::TempDir {
    let mut files: Vec<(&str, &str)> = facts.iter().map(|(n, t)| (*n, t.as_str())).collect();
    files.push(("rules.dl", rules));
    project(&files)
}

#[test]
fn a_chain_holds_on_the_intersection_and_adjacent_rows_coalesce() {
    let dir = with_rules(
        ".decl path(a: symbol, b: symbol)\npath(x, y) :- e(x, y).\npath(x, z) :- path(x, y), e(y, z).\n",
        dated("a,e,b,s,1993,1994,\nb,e,c,s,1994-06,1996,\nc,e,d,s,1995-03-01,,\na,e,b,s,1995,1995-01,\n"),
    );
    let m = timed(dir.path());
    assert_eq!(
        rows(&m, "path"),
        [
            "a,b@1993-01-01..1995-01-31",
            // a→b (to 1995-01-31) then b→c (from 1994-06): the intersection.
            "a,c@1994-06-01..1995-01-31",
            // Shrinks along the path: c→d starts 1995-03-01, after a→b has lapsed.
            "b,c@1994-06-01..1996-12-31",
            "b,d@1995-03-01..1996-12-31",
            "c,d@1995-03-01..",
        ]
    );
}

#[test]
fn negation_opens_a_gap() {
    let dir = with_rules(
        ".decl free(a: symbol)\nfree(x) :- backs(x, _), !sanctioned(x, _).\n",
        dated("A,backs,B,s,2010,2019,\nA,sanctioned,UN,s,2012-05-01,2013-04-30,\nC,backs,B,s,,2011,\n"),
    );
    let m = timed(dir.path());
    assert_eq!(rows(&m, "free"), ["A@2010-01-01..2012-04-30", "A@2013-05-01..2019-12-31", "C@..2011-12-31"]);
}

#[test]
fn recursion_terminates_with_intervals_shrinking_around_a_cycle() {
    let dir = with_rules(
        ".decl reach(a: symbol, b: symbol)\nreach(x, y) :- e(x, y).\nreach(x, z) :- reach(x, y), e(y, z).\n",
        dated("a,e,b,s,2000,2009,\nb,e,c,s,2002,2007,\nc,e,a,s,2004,2005,\n"),
    );
    let m = timed(dir.path());
    assert_eq!(
        rows(&m, "reach"),
        [
            "a,a@2004-01-01..2005-12-31",
            "a,b@2000-01-01..2009-12-31",
            "a,c@2002-01-01..2007-12-31",
            "b,a@2004-01-01..2005-12-31",
            "b,b@2004-01-01..2005-12-31",
            "b,c@2002-01-01..2007-12-31",
            "c,a@2004-01-01..2005-12-31",
            "c,b@2004-01-01..2005-12-31",
            "c,c@2004-01-01..2005-12-31",
        ]
    );
}

#[test]
fn count_is_a_step_function() {
    let dir = with_rules(
        ".decl backers(b: symbol, n: number)\nbackers(b, n) :- backs(_, b), n = count : { backs(_, b) }.\n",
        dated("Egypt,backs,Haftar,s,2014,,\nRussia,backs,Haftar,s,2016-11-28,,\nUAE,backs,Haftar,s,2015,2017,\n"),
    );
    let m = timed(dir.path());
    assert_eq!(
        rows(&m, "backers"),
        [
            "Haftar,1@2014-01-01..2014-12-31",
            "Haftar,2@2015-01-01..2016-11-27",
            "Haftar,2@2018-01-01..",
            "Haftar,3@2016-11-28..2017-12-31",
        ]
    );
}

#[test]
fn facts_in_rule_files_hold_always_and_tables_declare_interval_columns() {
    let dir = project(&[
        (
            "rules.dl",
            ".decl ally(a: symbol, b: symbol, year: number)\n.input ally(from=\"year\", until=\"year\")\n\
             .decl allied(a: symbol, b: symbol)\nallied(a, b) :- ally(a, b, _).\nallied(\"X\", \"Y\").\n",
        ),
        ("facts/ally.facts", "US\tUK\t1993\nUS\tUK\t1994\nUS\tUK\t1996\n"),
    ]);
    let m = timed(dir.path());
    assert_eq!(rows(&m, "allied"), ["US,UK@1993-01-01..1994-12-31", "US,UK@1996-01-01..1996-12-31", "X,Y@.."]);
    // `--as-of` reads the same columns.
    let out = stance(dir.path(), &["infer", "--rules", "rules.dl", "--as-of", "1995-06-01", "--format", "csv"]);
    assert_eq!(stdout(&out), "relation,a,b\nallied,X,Y\n");
}

#[test]
fn an_interval_column_must_be_a_column() {
    let dir = project(&[
        ("rules.dl", ".decl ally(a: symbol, year: number)\n.input ally(from=\"start\")\n"),
        ("facts/ally.facts", "US\t1993\n"),
    ]);
    let out = stance(dir.path(), &["check", "--rules", "rules.dl"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("error[E017]: `from=start`: `ally` has no column `start`"), "{err}");
    assert!(err.contains("rules.dl:2:1"), "{err}");
}

#[test]
fn infer_with_time_prints_from_and_until() {
    let dir = with_rules(
        ".decl aligned(a: symbol, b: symbol)\naligned(a, b) :- backs(a, b).\n",
        dated("Egypt,backs,Haftar,AP,2014,2016-06,q\nEgypt,backs,Haftar,R,2016-07,,q\n"),
    );
    let out = stance(dir.path(), &["infer", "--rules", "rules.dl", "--with-time", "--format", "csv"]);
    assert_eq!(stdout(&out), "relation,a,b,from,until\naligned,Egypt,Haftar,2014-01-01,\n");
    let out = stance(dir.path(), &["infer", "--rules", "rules.dl", "--with-time", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["relations"][0]["columns"], serde_json::json!(["a", "b", "from", "until"]));
    assert_eq!(json["relations"][0]["tuples"], serde_json::json!([["Egypt", "Haftar", "2014-01-01", ""]]));
}

// ---- The property: the temporal model on day D is the plain model of `--as-of D`. ----

/// Rules over statement relations `r` and `s` and the dated table `al`; each case keeps a
/// subset (any subset is stratified).
const POOL: [&str; 13] = [
    "p(x, y) :- r(x, y).",
    "p(x, z) :- p(x, y), s(y, z).",
    "q(x, y) :- r(x, y), !s(x, y).",
    "q(x, y) :- s(x, y), !p(y, x).",
    "c(x, n) :- r(x, _), n = count : { s(x, _) }.",
    "t(x) :- p(x, _), !q(x, _).",
    "u(x) :- c(x, n), n > 1.",
    "p(x, y) :- al(x, y, _, _).",
    "q(\"a\", \"b\").",
    "t(x) :- r(x, x), !al(x, _, _, _).",
    "c(x, n) :- s(x, _), n = count : { s(x, y), r(y, _) }.",
    "mx(x, n) :- r(x, _), n = max v : { c(x, v) }.",
    "p(x, z) :- p(x, y), p(y, z), x != z.",
];

const DECLS: &str = ".decl r(a: symbol, b: symbol)\n.input r(IO=statements)\n.decl s(a: symbol, b: symbol)\n.input s(IO=statements)\n.decl p(a: symbol, b: symbol)\n.decl q(a: symbol, b: symbol)\n.decl c(a: symbol, n: number)\n\
    .decl t(a: symbol)\n.decl u(a: symbol)\n.decl mx(a: symbol, n: number)\n\
    .decl al(a: symbol, b: symbol, start: number, end: symbol)\n.input al(from=\"start\", until=\"end\")\n";

fn date_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (2000u16..2004).prop_map(|y| y.to_string()),
        (2000u16..2004, 1u8..13).prop_map(|(y, m)| format!("{y}-{m:02}")),
        (2000u16..2004, 1u8..13, 1u8..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
    ]
}

fn row_strategy() -> impl Strategy<Value = String> {
    let actor = || prop::sample::select(vec!["a", "b", "c"]);
    (actor(), prop::sample::select(vec!["r", "s"]), actor(), date_strategy(), date_strategy())
        .prop_map(|(x, r, y, from, until)| format!("{x},{r},{y},src,{from},{until},quote\n"))
}

fn table_strategy() -> impl Strategy<Value = String> {
    let actor = || prop::sample::select(vec!["a", "b", "c"]);
    (actor(), actor(), 2000i32..2004, date_strategy())
        .prop_map(|(x, y, start, end)| format!("{x}\t{y}\t{start}\t{end}\n"))
}

fn plain_at(dir: &Path, day: Date) -> BTreeMap<String, Vec<Vec<String>>> {
    let inputs = Inputs {
        rules: vec![dir.join("rules.dl")],
        facts: Some(dir.join("facts")),
        as_of: Some(day),
        ..Default::default()
    };
    let project = session::load(&inputs, &mut SourceMap::new()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let run =
        session::Session::evaluate(project, &EvalOptions::default()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let (program, symbols) = (&run.project.program, &run.project.symbols);
    let shown = |(rel, tuples): (&stance::lang::ir::Relation, &Tuples)| {
        (rel.name.clone(), stance::base::order::sorted_rows(tuples, &rel.types, symbols))
    };
    program.relations.iter().zip(&run.model.relations).map(shown).collect()
}

fn cases() -> u32 {
    std::env::var("TIME_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn the_temporal_model_on_a_day_is_the_plain_model_as_of_that_day(
        rules in prop::sample::subsequence(POOL.to_vec(), 1..POOL.len()),
        statements in prop::collection::vec(row_strategy(), 1..14),
        table in prop::collection::vec(table_strategy(), 0..4),
        days in prop::collection::vec((1999u16..2006, 1u8..13, 1u8..29), 1..6),
    ) {
        let text = format!("{DECLS}{}\n", rules.join("\n"));
        let dir = project(&[
            ("rules.dl", text.as_str()),
            ("facts/s.csv", &format!("{HEADER}{}", statements.concat())),
            ("facts/al.facts", &table.concat()),
        ]);
        let inputs = Inputs {
            rules: vec![dir.path().join("rules.dl")],
            facts: Some(dir.path().join("facts")),
            with_time: true,
            ..Default::default()
        };
        let project = session::load(&inputs, &mut SourceMap::new()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
        let run = TimedSession::evaluate(project, &EvalOptions::default()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
        // The days where something changes, and the days either side, besides random ones.
        let mut probe: Vec<i32> = days.iter().map(|&(year, month, day)| Date { year, month, day }.day_number()).collect();
        for (rel, _) in run.project.program.relations.iter().enumerate() {
            for (_, iv) in run.model.rows(rel) {
                for d in [iv.from, iv.until] {
                    if d != i32::MIN && d != i32::MAX {
                        probe.extend([d - 1, d, d + 1]);
                    }
                }
            }
        }
        probe.sort_unstable();
        probe.dedup();
        for day in probe {
            let date = Date::from_day_number(day).unwrap();
            let plain = plain_at(dir.path(), date);
            for (id, rel) in run.project.program.relations.iter().enumerate() {
                let at = stance::base::order::sorted_rows(&run.model.at(id, day), &rel.types, &run.project.symbols);
                prop_assert_eq!(&at, &plain[&rel.name], "{} on {}\n{}", rel.name, date, text);
            }
        }
    }
}

// ---- Commands: timeline, changes, explain --at. ----

const BACKERS: &str = ".decl aligned(a: symbol, b: symbol)\naligned(a, b) :- backs(a, b).\n\
    .decl backers(b: symbol, n: number)\nbackers(b, n) :- backs(_, b), n = count : { backs(_, b) }.\n\
    .decl clean(b: symbol)\nclean(b) :- backs(_, b), !sanctioned(b, _).\n";

const BACKS: &str = "Egypt,backs,Haftar,AP,2014,2016-06,a\nEgypt,backs,Haftar,Reuters,2016-07,,b\n\
    UAE,backs,Haftar,X,2015,2017,c\nRussia,backs,Haftar,TASS,2016-11-28,,d\nHaftar,sanctioned,UN,Y,2016-03-01,2016-04-30,e\n";

fn backers() -> tempfile::TempDir {
    with_rules(BACKERS, dated(BACKS))
}

#[test]
fn timeline_names_the_statement_behind_each_change() {
    let dir = backers();
    let out = stance(dir.path(), &["timeline", "clean(x)", "--rules", "rules.dl"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "clean(\"Haftar\")\n  holds 2014-01-01 – 2016-02-29\n  holds 2016-05-01 – …\n\
         \x20 2014-01-01 opened by the start of\n    - stated in facts/s.csv:2\n      source: AP, date: 2014, until: 2016-06\n      quote: “a”\n\
         \x20 2016-02-29 closed as these began or ended (through negation or an aggregate)\n    - stated in facts/s.csv:6\n      source: Y, date: 2016-03-01, until: 2016-04-30\n      quote: “e”\n\
         \x20 2016-05-01 opened as these began or ended (through negation or an aggregate)\n    - stated in facts/s.csv:6\n      source: Y, date: 2016-03-01, until: 2016-04-30\n      quote: “e”\n"
    );
    // Egypt's two rows touch (2016-06 then 2016-07): one interval, one opening.
    let out =
        stance(dir.path(), &["timeline", "aligned(\"Egypt\", \"Haftar\")", "--rules", "rules.dl", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["intervals"], serde_json::json!([{"from": "2014-01-01", "until": null}]));
    assert_eq!(json[0]["changes"].as_array().unwrap().len(), 1);
    assert_eq!(json[0]["changes"][0]["statements"][0]["location"], "facts/s.csv:2");
    assert_eq!(json[0]["changes"][0]["direct"], true);
}

const REACH: &str =
    ".decl reach(a: symbol, b: symbol)\nreach(x, y) :- e(x, y).\nreach(x, z) :- reach(x, y), e(y, z).\n";

#[test]
fn a_change_names_its_statements_along_the_path_but_not_around_a_cycle() {
    // reach(a, c) opens in 2010 on both rows; reach(a, b) opens on `x` alone, although it
    // is also derived through reach(a, c) and c → b (a cycle of tuples that open together).
    let dir = with_rules(REACH, dated("a,e,b,s,2010,,x\nb,e,c,s,2010,2014,y\nc,e,b,s,2000,,z\n"));
    let out = stance(dir.path(), &["timeline", "reach(\"a\", _)", "--rules", "rules.dl"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "reach(\"a\", \"b\")\n  holds 2010-01-01 – …\n  2010-01-01 opened by the start of\n\
         \x20   - stated in facts/s.csv:2\n      source: s, date: 2010\n      quote: “x”\n\n\
         reach(\"a\", \"c\")\n  holds 2010-01-01 – 2014-12-31\n  2010-01-01 opened by the start of\n\
         \x20   - stated in facts/s.csv:2\n      source: s, date: 2010\n      quote: “x”\n\
         \x20   - stated in facts/s.csv:3\n      source: s, date: 2010, until: 2014\n      quote: “y”\n\
         \x20 2014-12-31 closed by the end of\n\
         \x20   - stated in facts/s.csv:3\n      source: s, date: 2010, until: 2014\n      quote: “y”\n"
    );
}

#[test]
fn a_change_with_many_proofs_names_every_statement() {
    // Ten paths from a to c open on the same day: each of their first edges is named.
    let rows: String = (0..10).map(|i| format!("a,e,b{i},s,2010,,x{i}\nb{i},e,c,s,,,y{i}\n")).collect();
    let dir = with_rules(REACH, dated(&rows));
    let out = stance(dir.path(), &["timeline", "reach(\"a\", \"c\")", "--rules", "rules.dl", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let named: Vec<&str> = json[0]["changes"][0]["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["location"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..10).map(|i| format!("facts/s.csv:{}", 2 + 2 * i)).collect();
    assert_eq!(named, expected);
}

/// The report's data block.
fn page_data(page: &str) -> serde_json::Value {
    let start = page.find("id=\"stance-data\">").unwrap() + "id=\"stance-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

#[test]
fn report_with_time_shows_when_each_claim_held_and_the_network_by_day() {
    let dir = backers();
    let out = stance(dir.path(), &["report", "--rules", "rules.dl", "--with-time"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    // Each drawn edge's days, in drawing order (derived aligned, then stated sanctioned and
    // backs), and the slider's stops: the days on which an edge begins or ends.
    assert_eq!(
        page_data(&page)["time"],
        serde_json::json!({
            "days": ["2014-01-01", "2015-01-01", "2016-03-01", "2016-05-01", "2016-11-28", "2018-01-01"],
            "edges": [
                [["2014-01-01", null]], [["2016-11-28", null]], [["2015-01-01", "2017-12-31"]],
                [["2016-03-01", "2016-04-30"]],
                [["2014-01-01", null]], [["2016-11-28", null]], [["2015-01-01", "2017-12-31"]],
            ],
        })
    );
    assert!(page.contains("<input id=\"day\" type=\"range\" min=\"0\" max=\"6\" value=\"6\" step=\"1\">"));
    assert!(page.contains("<th>claim</th><th>held</th></tr>"));
    assert!(page.contains(
        "<summary>aligned(&quot;UAE&quot;, &quot;Haftar&quot;)</summary></details></td><td class=\"held\"><details class=\"timeline\">\
         <summary>2015-01-01 – 2017-12-31</summary><pre>2015-01-01 opened by the start of\n  - stated in facts/s.csv:4\n    \
         source: X, date: 2015, until: 2017\n    quote: “c”\n2017-12-31 closed by the end of\n  - stated in facts/s.csv:4\n    \
         source: X, date: 2015, until: 2017\n    quote: “c”\n</pre></details></td></tr>"
    ));
    assert!(page.contains(
        "<td class=\"held\"><details class=\"timeline\"><summary>2016-11-28 – 2017-12-31</summary><pre>\
         2016-11-28 opened as these began or ended (through negation or an aggregate)\n  - stated in facts/s.csv:5\n    \
         source: TASS, date: 2016-11-28\n    quote: “d”\n2017-12-31 closed as these began or ended (through negation or an aggregate)\n  \
         - stated in facts/s.csv:4\n    source: X, date: 2015, until: 2017\n    quote: “c”\n</pre></details></td></tr>"
    ));
    // Without --with-time, no trace of time; with --as-of, a usage error.
    let plain = stdout(&stance(dir.path(), &["report", "--rules", "rules.dl"]));
    assert!(page_data(&plain).get("time").is_none());
    assert!(!plain.contains("id=\"day\"") && !plain.contains("held") && !plain.contains("absent"));
    let out = stance(dir.path(), &["report", "--rules", "rules.dl", "--with-time", "--as-of", "2016-01-01"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn timeline_of_a_claim_that_never_holds_fails() {
    let dir = backers();
    let out = stance(dir.path(), &["timeline", "aligned(\"Egypt\", \"GNA\")", "--rules", "rules.dl"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "`aligned(\"Egypt\", \"GNA\")` never holds\n");
    let out = stance(dir.path(), &["timeline", "clean(x)", "--rules", "rules.dl", "--as-of", "2016-01-01"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn changes_lists_the_tuples_that_started_or_ended_in_the_period() {
    let dir = backers();
    let out = stance(dir.path(), &["changes", "--from", "2016-11-01", "--to", "2016-11-30", "--rules", "rules.dl"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "aligned(\"Russia\", \"Haftar\")\n  holds 2016-11-28 – …\n  2016-11-28 opened by the start of\n\
         \x20   - stated in facts/s.csv:5\n      source: TASS, date: 2016-11-28\n      quote: “d”\n\n\
         backers(\"Haftar\", 2)\n  holds 2015-01-01 – 2016-11-27\n  holds 2018-01-01 – …\n\
         \x20 2016-11-27 closed as these began or ended (through negation or an aggregate)\n\
         \x20   - stated in facts/s.csv:5\n      source: TASS, date: 2016-11-28\n      quote: “d”\n\n\
         backers(\"Haftar\", 3)\n  holds 2016-11-28 – 2017-12-31\n\
         \x20 2016-11-28 opened as these began or ended (through negation or an aggregate)\n\
         \x20   - stated in facts/s.csv:5\n      source: TASS, date: 2016-11-28\n      quote: “d”\n"
    );
    let out = stance(dir.path(), &["changes", "--from", "2016-12-01", "--to", "2016-11-30", "--rules", "rules.dl"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explain_at_a_day_explains_the_claim_as_it_stood() {
    let dir = backers();
    let out =
        stance(dir.path(), &["explain", "aligned(\"Egypt\", \"Haftar\")", "--at", "2016-12-01", "--rules", "rules.dl"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("stated in facts/s.csv:3"), "{}", stdout(&out));
    let out = stance(dir.path(), &["explain", "backers(\"Haftar\", 3)", "--at", "2015-12-01", "--rules", "rules.dl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("`backers(\"Haftar\", 3)` does not hold on 2015-12-01\n"), "{}", stderr(&out));
}

// ---- Claims files with time. ----

#[test]
fn claims_are_judged_on_their_day_or_period() {
    let dir = backers();
    std::fs::write(
        dir.path().join("c.claims"),
        "aligned(\"Russia\", \"Haftar\") @ 2016-11-28.\n!aligned(\"Russia\", \"Haftar\") during 2015.\n\
         aligned(\"UAE\", \"Haftar\") during 2017-12.\ncount backers(\"Haftar\", _) = 1 @ 2016-12-01.\n\
         clean(\"Haftar\") @ 2016-03-15.\naligned(\"UAE\", \"Haftar\") during 2018.\naligned(\"Egypt\", \"Haftar\").\n",
    )
    .unwrap();
    let out = stance(dir.path(), &["review", "c.claims", "--rules", "rules.dl", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts: Vec<(String, String)> = json["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["claim"].as_str().unwrap().to_string(), c["verdict"].as_str().unwrap().to_string()))
        .collect();
    let expected = [
        ("aligned(\"Russia\", \"Haftar\") @ 2016-11-28", "SUPPORTED"),
        ("!aligned(\"Russia\", \"Haftar\") during 2015", "SUPPORTED"),
        ("aligned(\"UAE\", \"Haftar\") during 2017-12", "SUPPORTED"),
        ("count backers(\"Haftar\", _) = 1 @ 2016-12-01", "SUPPORTED"),
        // Sanctioned from 2016-03-01 to 2016-04-30.
        ("clean(\"Haftar\") @ 2016-03-15", "FAILED"),
        ("aligned(\"UAE\", \"Haftar\") during 2018", "FAILED"),
        ("aligned(\"Egypt\", \"Haftar\")", "SUPPORTED"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(verdicts, expected);
    // The proof on the day rests on the row valid then (Reuters, from 2016-07).
    // Standard input is read once, whether or not its claims have a time.
    let claims = "aligned(\"Egypt\", \"Haftar\") @ 2016-12-01.\n";
    let out = run::stance_stdin(dir.path(), &["review", "-", "--rules", "rules.dl"], claims);
    assert_eq!(
        stdout(&out),
        "SUPPORTED  aligned(\"Egypt\", \"Haftar\") @ 2016-12-01  [<stdin>:1]\n    \
         proof: aligned(\"Egypt\", \"Haftar\") <= rules.dl:2[backs(\"Egypt\", \"Haftar\")@facts/s.csv:3]\n\
         1 claim: 1 passed, 0 failed\n"
    );
}

#[test]
fn a_bad_time_in_a_claim_is_an_error_at_its_place() {
    let dir = backers();
    std::fs::write(
        dir.path().join("bad.claims"),
        "aligned(\"Russia\", \"Haftar\") @ 2016-13-01.\ncount aligned(_, \"Haftar\") = 2 during 2016.\n",
    )
    .unwrap();
    let out = stance(dir.path(), &["review", "bad.claims", "--rules", "rules.dl", "--diagnostic-format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "bad.claims:1:31: error[E025]: `2016-13-01` is not a day\n\
         bad.claims:2:1: error[E025]: `during` applies to `claim.` and `!claim.` only\n"
    );
}

// ---- Dyad-year tables: triangle counts per year, one temporal run against one `--as-of` run a year. ----

/// Signed triangles among eight states, 1993–2001: alliances and disputes as dyad-year rows
/// (generated, seeded: the shape of the Correlates of War alliance and MID dyad-year tables).
const TRIANGLES: &str = "\
.decl ally(a: symbol, b: symbol, year: number)
.input ally(from=\"year\", until=\"year\")
.decl dispute(a: symbol, b: symbol, year: number)
.input dispute(from=\"year\", until=\"year\")
.decl enemy(a: symbol, b: symbol)
enemy(a, b) :- dispute(a, b, _).
enemy(b, a) :- dispute(a, b, _).
.decl friend(a: symbol, b: symbol)
friend(a, b) :- ally(a, b, _), !enemy(a, b).
friend(b, a) :- ally(a, b, _), !enemy(a, b).
.decl tie(a: symbol, b: symbol, sign: number)
tie(a, b, 1) :- friend(a, b).
tie(a, b, -1) :- enemy(a, b).
.decl triangle(a: symbol, b: symbol, c: symbol, negatives: number)
triangle(a, b, c, n) :- tie(a, b, x), tie(b, c, y), tie(a, c, z), a < b, b < c, n = (1 - x) / 2 + (1 - y) / 2 + (1 - z) / 2.
.decl tally(kind: symbol, n: number)
tally(\"allied\", n) :- n = count : { triangle(_, _, _, 0) }.
tally(\"enemy\", n) :- n = count : { triangle(_, _, _, 3) }.
tally(\"unbalanced\", n) :- n = count : { triangle(_, _, _, 1) } + count : { triangle(_, _, _, 3) }.
.output tally
";

fn dyad_years(seed: u64) -> (String, String) {
    let states = ["BRA", "CHN", "EGY", "FRA", "IND", "RUS", "TUR", "USA"];
    let mut state = seed;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let (mut ally, mut dispute) = (String::new(), String::new());
    for (i, a) in states.iter().enumerate() {
        for b in &states[i + 1..] {
            // A spell of alliance for most pairs, of dispute for some, one row per year.
            for (table, odds, longest) in [(&mut ally, 8, 9), (&mut dispute, 2, 3)] {
                // Present unless the draw is 0: 7 pairs in 8 allied at some time, 1 in 2 in dispute.
                if next(odds) != 0 {
                    let start = 1993 + next(9);
                    for year in start..=(start + next(longest)).min(2001) {
                        table.push_str(&format!("{a}\t{b}\t{year}\n"));
                    }
                }
            }
        }
    }
    (ally, dispute)
}

#[test]
fn triangle_counts_per_year_match_one_as_of_run_per_year() {
    let (ally, dispute) = dyad_years(17);
    let dir = project(&[("rules.dl", TRIANGLES), ("facts/ally.facts", &ally), ("facts/dispute.facts", &dispute)]);
    let m = timed(dir.path());
    let mut changed = 0;
    let mut last = String::new();
    for year in 1992..=2002u16 {
        for (month, day) in [(1, 1), (7, 1), (12, 31)] {
            let date = Date { year, month, day };
            let at: Vec<String> = m["tally"]
                .iter()
                .filter_map(|row| {
                    let (tuple, span) = row.split_once('@').unwrap();
                    let (from, until) = span.split_once("..").unwrap();
                    let d = date.to_string();
                    ((from.is_empty() || *from <= *d) && (until.is_empty() || *until >= *d)).then(|| tuple.to_string())
                })
                .collect();
            let plain: Vec<String> = plain_at(dir.path(), date)["tally"].iter().map(|r| r.join(",")).collect();
            assert_eq!(at, plain, "on {date}");
            let now = at.join(";");
            changed += usize::from(now != last);
            last = now;
        }
    }
    assert!(changed > 3, "the counts change from year to year ({changed} changes)");
}

#[test]
fn infer_with_time_notes_constraints_violated_on_some_day() {
    let dir = with_rules(
        ".decl aligned(a: symbol, b: symbol)\naligned(a, b) :- backs(a, b).\n:- backs(x, y), fights(x, y).\n",
        dated("A,backs,B,s,2010,2012,\nA,fights,B,s,2013,,\nC,backs,D,s,2010,,\nC,fights,D,s,2011,2011,\n"),
    );
    let out = stance(dir.path(), &["infer", "--rules", "rules.dl", "--with-time", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        "note: 1 constraint violated on some day; `stance contradictions --as-of DATE` shows them on that day\n"
    );
    assert_eq!(stdout(&out), "relation,a,b,from,until\naligned,A,B,2010-01-01,2012-12-31\naligned,C,D,2010-01-01,\n");
}

#[test]
fn an_aggregate_over_too_many_segments_stops_with_an_error() {
    let dir = with_rules(
        ".decl backers(b: symbol, n: number)\nbackers(b, n) :- backs(_, b), n = count : { backs(_, b) }.\n",
        dated(BACKS),
    );
    let out = stance(dir.path(), &["infer", "--rules", "rules.dl", "--with-time", "--max-tuples", "3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(
            "error[E031]: an aggregate over `backs` with time needs more than 3 rows (3 rows over 5 segments of time)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn defeasible_rules_are_refused_with_time() {
    let dir = project(&[("rules.dl", ".decl a(x: symbol)\n.decl b(x: symbol)\na(\"x\").\nb(x) :~ a(x).\n")]);
    let out = stance(dir.path(), &["infer", "--rules", "rules.dl", "--no-facts", "--with-time"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(
            "error[E002]: evaluation with time does not support defeasible rules, denials or strong negation yet"
        ),
        "{}",
        stderr(&out)
    );
}
