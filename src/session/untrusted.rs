//! Entry points that take raw bytes from an untrusted source and run one front-end stage on
//! them, exactly as the CLI would: rule files (parse, check, lint, format), fact tables of
//! both shapes, and claims / query patterns. The fuzz targets in `fuzz/` and the corpus
//! replay test (`tests/fuzz_corpus.rs`) call these, so both exercise the same code.
//!
//! Each returns the diagnostics rendered in the short and JSON forms (rendering is part of
//! what must not panic: it slices the source text at the diagnostic's span). Only `claim`
//! evaluates anything: one fixed small program, once per process; every call is bounded by
//! the size of its input.

use crate::base::diag::{self, Diagnostic};
use crate::base::source::SourceMap;
use crate::base::value::{Symbols, Type};
use crate::facts::load::{self, Facts, TableOptions};
use std::collections::BTreeSet;

/// Bytes as the CLI reads a rule file: invalid UTF-8 replaced, so a bad byte becomes a
/// located error rather than a refusal. (Fact tables go through [`load::decode`], which
/// also reports each bad byte.)
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn render(diags: &[Diagnostic], sources: &SourceMap) -> Vec<String> {
    diags.iter().flat_map(|d| [diag::render_short(d, sources), diag::render_json(d, sources)]).collect()
}

/// A rule file: parse, check and lint it, and format it when it parses.
pub fn rule_file(data: &[u8]) -> Vec<String> {
    let mut sources = SourceMap::new();
    let id = sources.add("fuzz.dl", text(data));
    let source = sources.get(id).text.clone();
    let (ast, mut diags) = super::rule_files::parse_text(id, &mut sources);
    let mut symbols = Symbols::new();
    let (program, check_diags) = crate::lang::check::check(std::slice::from_ref(&ast), &BTreeSet::new(), &mut symbols);
    diags.extend(check_diags);
    crate::lang::lint::lint(std::slice::from_ref(&ast), &program, &mut diags);
    let _ = crate::lang::fmt::format_text(id, &source);
    render(&diags, &sources)
}

/// A statement table (`subject,relation,object,...` with a header).
pub fn statement_table(data: &[u8]) -> Vec<String> {
    let mut sources = SourceMap::new();
    let (text, invalid) = load::decode(data.to_vec());
    let id = sources.add("fuzz.csv", text);
    let mut symbols = Symbols::new();
    let mut facts = Facts::new();
    let mut diags = load::invalid_utf8_errors(id, &invalid);
    if !load::is_statement_table(&sources.get(id).text) {
        // What the CLI says of a `.csv` that is not a statement table and no `.input` reads.
        diags.push(load::unread_table(id, &sources));
    }
    // Inputs of odd length also go through the `--as-of` filter.
    let as_of = (data.len() % 2 == 1).then_some(crate::facts::asof::Date { year: 2016, month: 6, day: 1 });
    // Inputs whose length is a multiple of 3 also go through `--min-grade C3 --min-confidence 0.5`.
    let graded = data.len().is_multiple_of(3);
    let filter = crate::facts::grade::RowFilter {
        as_of,
        min_grade: graded.then_some(crate::facts::grade::Grade { reliability: 2, credibility: 2 }),
        min_confidence: graded.then_some(0.5),
        with_time: data.len() % 4 == 2,
        // Inputs whose length is 4 modulo 5 keep only one part of three, as on a cluster.
        part: (data.len() % 5 == 4).then_some(crate::facts::part::Part { index: data.len() % 3, count: 3 }),
    };
    diags.extend(load::load_statement_table(id, &sources, &mut symbols, &mut facts, &filter).err().unwrap_or_default());
    render(&diags, &sources)
}

/// A relation table. The first byte chooses the table's shape, so one corpus covers them:
/// bit 0 rfc4180, bit 1 headers, bit 2 comma instead of tab, bits 3..6 the column types
/// (arity 1 to 3: bit set = a numeric column, `number`, `unsigned` or `float` in turn by
/// position and arity, so that every numeric type is reached). The relation's attributes are named `a`, `b`, `c`,
/// so a header naming them binds by name. When the second byte is `#` it is taken as the
/// `comment` option.
pub fn relation_table(data: &[u8]) -> Vec<String> {
    let (shape, body) = data.split_first().map_or((0, data), |(s, b)| (*s, b));
    let (comment, body) = match body.split_first() {
        Some((b'#', rest)) => (Some(b'#'), rest),
        _ => (None, body),
    };
    let options = TableOptions {
        delimiter: if shape & 4 != 0 { b',' } else { b'\t' },
        headers: shape & 2 != 0,
        rfc4180: shape & 1 != 0,
        comment,
        // One part of three when the body's length is 4 modulo 5, as on a cluster.
        part: (body.len() % 5 == 4).then_some(crate::facts::part::Part { index: body.len() % 3, count: 3 }),
    };
    let arity = 1 + (shape >> 6) as usize % 3;
    let numeric = [Type::Number, Type::Unsigned, Type::Float];
    let types: Vec<Type> = (0..arity)
        .map(|i| if shape & (8 << i) != 0 { numeric[(i + (shape >> 6) as usize) % 3] } else { Type::Symbol })
        .collect();
    let columns: Vec<String> = ["a", "b", "c"][..arity].iter().map(|c| c.to_string()).collect();
    let mut sources = SourceMap::new();
    let (text, invalid) = load::decode(body.to_vec());
    let id = sources.add("fuzz.facts", text);
    let mut symbols = Symbols::new();
    let mut facts = Facts::new();
    let schema = load::Schema { relation: "r", columns: &columns, types: &types };
    let mut diags = load::invalid_utf8_errors(id, &invalid);
    diags.extend(
        load::load_relation_table(id, &sources, &schema, &options, &mut symbols, &mut facts).err().unwrap_or_default(),
    );
    render(&diags, &sources)
}

/// The program claims and query patterns are parsed against: a symbol, a number, a mixed and
/// a float/unsigned
/// relation, with a few known constants, rules (one recursive, one with a negation, one
/// aggregate) and a constraint, so that patterns reach every kind of proof and why-not.
const CLAIM_PROGRAM: &str = "\
.decl backs(x: symbol, y: symbol)
.decl n(x: number)
.decl mixed(a: symbol, b: number, c: symbol)
.decl aligned(x: symbol, y: symbol)
.decl lonely(x: symbol)
.decl total(x: number)
.decl reading(s: symbol, v: float, n: unsigned)
reading(\"a\", 1.5, 3u).
reading(\"b\", -2.0, 4).
backs(\"Egypt\", \"Tobruk\").
backs(\"Tobruk\", \"Haftar\").
n(1). n(2).
mixed(\"a\", 2, \"b\").
aligned(x, y) :- backs(x, y).
aligned(x, z) :- aligned(x, y), backs(y, z), x != z.
lonely(x) :- mixed(x, _, _), !aligned(x, _).
total(t) :- t = sum x : { n(x) }.
:- aligned(x, y), mixed(x, _, y).
";

/// A claim or query pattern as typed on the command line (`aligned("Egypt", x)`), then as
/// a claims file: each parsed against `CLAIM_PROGRAM`, matched against its model, and
/// answered as `query`, `explain`, `why-not` and `review` answer it (text and JSON), so
/// patterns reach the matcher, the proofs, the why-not search and the verdicts.
pub fn claim(data: &[u8]) -> Vec<String> {
    // Evaluated once per process (a fuzzer calls this millions of times); each call works
    // on its own copy of the source map and symbols, which parsing and explaining extend.
    static MODEL: std::sync::OnceLock<Result<crate::session::TextModel, String>> = std::sync::OnceLock::new();
    let options = crate::engine::eval::EvalOptions { record: true, ..Default::default() };
    let Ok(base) = MODEL.get_or_init(|| crate::session::evaluate_text(CLAIM_PROGRAM, &options)) else {
        unreachable!("the claim program is valid")
    };
    let (program, model) = (&base.program, &base.model);
    let (mut sources, mut symbols) = (base.sources.clone(), base.symbols.clone());
    let facts = Facts::new();
    let text = text(data);
    let mut out = Vec::new();
    match crate::proof::pattern::parse_claim(&text, &mut sources, program, &symbols) {
        Ok(claim) => {
            out.push(format!("{} matches", claim.matching_rows(&model.relations[claim.rel]).len()));
            out.extend(render(&claim.warnings, &sources));
            out.extend(crate::proof::pattern::unknown_constants(&claim, &symbols));
            let mut ex = crate::proof::provenance::Explainer::new(program, model, &facts, &sources, &mut symbols);
            for roots in crate::proof::explain::pattern_proofs(&mut ex, &claim, 2) {
                for root in roots {
                    out.push(crate::proof::explain::render_tree(&ex, root, Some(4)));
                    out.push(crate::proof::explain::proof_json(&ex, root).to_string());
                }
            }
            out.push(crate::proof::explain::why_not(&mut ex, &claim));
        }
        Err(diags) => out.extend(render(&diags, &sources)),
    }
    let file = sources.add("fuzz.claims", text);
    match crate::proof::claims::parse(file, &mut sources, program, &symbols) {
        Ok(specs) => {
            out.extend(render(&crate::session::claim_files::warnings(&specs), &sources));
            let mut ex = crate::proof::provenance::Explainer::new(program, model, &facts, &sources, &mut symbols);
            let outcomes = crate::review::verdicts::review(&mut ex, &specs);
            out.push(crate::review::verdicts::render_text(&mut ex, &outcomes));
            out.push(crate::review::verdicts::render_json(&mut ex, &outcomes).to_string());
        }
        Err(diags) => out.extend(render(&diags, &sources)),
    }
    out
}
