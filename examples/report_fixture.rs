//! Writes a report of the example with contradictions and claim verdicts filled in through
//! the library, as the constraint and claim-file commands will: the browser test
//! (`tests/browser/run.sh`) opens it to check that both render, proofs included.
//!
//! The contradictions are the violations of the constraint
//! `:- aligned(x, a), engages_both_sides(x, a, b).` (no one aligned with a party keeps lines
//! open to both it and its adversary), found by joining the two relations here; each comes
//! with the proofs of its two colliding tuples.
//!
//! Usage: cargo run --release --example report_fixture -- OUT.html   (from the repository root)

use stance::driver::{self, Inputs, Project};
use stance::eval::EvalOptions;
use stance::explain;
use stance::network::{NetworkOptions, TupleRef};
use stance::provenance::Explainer;
use stance::report::{self, ClaimVerdict, ReportOptions, Violation};
use stance::source::SourceMap;
use stance::value::display;

fn main() {
    let out = std::env::args().nth(1).expect("usage: report_fixture OUT.html");
    let inputs = Inputs { rules: vec!["rules".into()], facts: Some("facts".into()), ..Default::default() };
    let mut sources = SourceMap::new();
    let Ok(mut project) = driver::load(&inputs, &mut sources) else { panic!("the example does not load") };
    let options = EvalOptions { record: true, ..Default::default() };
    let Ok(model) = driver::evaluate(&mut project, &options) else { panic!("the example does not evaluate") };

    let aligned = project.program.relation_id("aligned").expect("aligned");
    let both = project.program.relation_id("engages_both_sides").expect("engages_both_sides");
    let mut violations = Vec::new();
    let mut verdicts = Vec::new();
    {
        let Project { program, facts, sources, symbols, .. } = &mut project;
        let mut ex = Explainer::new(program, &model, facts, sources, symbols);
        let rows: Vec<Vec<stance::value::Value>> = model.relations[both].iter().map(<[_]>::to_vec).collect();
        for row in rows {
            let pair = [row[0], row[1]];
            if !model.relations[aligned].contains(&pair) {
                continue;
            }
            let text = |v: &[stance::value::Value], ex: &Explainer| -> Vec<String> {
                v.iter().map(|&x| display(x, stance::value::Type::Symbol, ex.symbols)).collect()
            };
            let proofs = [(aligned, pair.to_vec()), (both, row.clone())]
                .iter()
                .filter_map(|(rel, tuple)| ex.explain(*rel, tuple).map(|root| explain::proof_json(&ex, root)))
                .collect();
            violations.push(Violation {
                constraint: ":- aligned(x, a), engages_both_sides(x, a, b).".into(),
                location: "examples/report_fixture.rs (a constraint written for the test)".into(),
                tuples: vec![
                    TupleRef { relation: "aligned".into(), values: text(&pair, &ex) },
                    TupleRef { relation: "engages_both_sides".into(), values: text(&row, &ex) },
                ],
                proofs,
            });
        }
        for (claim, a, b) in [
            ("aligned(\"Egypt\", \"Haftar\")", "Egypt", "Haftar"),
            ("aligned(\"Algeria\", \"Haftar\")", "Algeria", "Haftar"),
        ] {
            let holds = match (ex.symbols.get(a), ex.symbols.get(b)) {
                (Some(a), Some(b)) => model.relations[aligned].contains(&[a, b]),
                _ => false,
            };
            verdicts.push(ClaimVerdict {
                claim: claim.into(),
                verdict: if holds { "holds" } else { "does not hold" }.into(),
                ok: holds,
                detail: "expected to hold".into(),
            });
        }
    }
    let options =
        ReportOptions { title: "stance report (fixture)".into(), network: NetworkOptions::default(), max_claims: 2000 };
    let input = report::collect(&mut project, &model, &options, violations, Some(verdicts)).expect("report data");
    stance::output::write_atomically(std::path::Path::new(&out), report::render(&input).as_bytes()).expect("write");
    println!("{out}: {} contradictions", input.violations.len());
}
