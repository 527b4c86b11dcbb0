//! The dd engine's incremental update, timed (`bench/dd`): loads a project, builds the live
//! dataflow (`engine::dd::Session`), then applies four one-row changes to one input relation
//! of two number columns and times each from the call until its consequences are known. A
//! full re-evaluation with the datafrog engine is timed beside it.
//!
//! ```text
//! dd_update RULES FACTS_DIR RELATION [WORKERS]
//! ```
//!
//! Prints `what<TAB>milliseconds<TAB>tuples changed` lines.

use stance::base::value::{from_number, to_number};
use stance::engine::backend::{self, Engine};
use stance::engine::dd::{Cluster, Session};
use stance::engine::eval::EvalOptions;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let [rules, facts, relation, rest @ ..] = &args[..] else {
        eprintln!("usage: dd_update RULES FACTS_DIR RELATION [WORKERS]   (run by bench/dd)");
        return ExitCode::SUCCESS;
    };
    let workers = rest.first().and_then(|w| w.parse().ok()).unwrap_or(1);
    let inputs = stance::session::Inputs { rules: vec![rules.into()], facts: Some(facts.into()), ..Default::default() };
    let mut sources = stance::base::source::SourceMap::new();
    let Ok(mut project) = stance::session::load(&inputs, &mut sources) else {
        eprintln!("dd_update: the project does not load");
        return ExitCode::from(2);
    };
    let Some(rel) = project.program.relation_id(relation) else {
        eprintln!("dd_update: no relation {relation}");
        return ExitCode::from(2);
    };
    let tuples = stance::session::input_tuples(&project.program, &project.facts);
    let t = Instant::now();
    let full = backend::evaluate(
        Engine::Datafrog,
        &project.program,
        &project.plan,
        tuples.clone(),
        &mut project.symbols,
        &EvalOptions::default(),
    );
    println!(
        "datafrog full evaluation\t{:.1}\t{}",
        t.elapsed().as_secs_f64() * 1e3,
        full.map(|m| m.relations.iter().map(|r| r.len()).sum::<usize>()).unwrap_or(0)
    );
    let options =
        EvalOptions { engine: Engine::Dd, cluster: Cluster { workers, ..Cluster::default() }, ..Default::default() };
    let (first, max) = {
        let r = &tuples[rel];
        let max = r.iter().flat_map(|t| t.iter().map(|&v| to_number(v))).max().unwrap_or(0);
        (r.get(0).to_vec(), max)
    };
    let t = Instant::now();
    let mut live = match Session::start(&project.program, tuples, &mut project.symbols, &options, true) {
        Ok(s) => s,
        Err(d) => {
            eprintln!("dd_update: {}", d.message);
            return ExitCode::from(1);
        }
    };
    println!(
        "dd full evaluation ({workers} workers)\t{:.1}\t{}",
        t.elapsed().as_secs_f64() * 1e3,
        live.model(&project.program).iter().map(|r| r.len()).sum::<usize>()
    );
    // An edge from an existing node to a new one, then out again; an existing row out, then in.
    let fresh = vec![first[0], from_number(max + 1)];
    let steps = [
        ("insert a new row", &fresh, 1),
        ("remove it", &fresh, -1),
        ("remove an existing row", &first, -1),
        ("insert it again", &first, 1),
    ];
    for (what, row, diff) in steps {
        let t = Instant::now();
        match live.apply(vec![(rel, row.clone(), diff)]) {
            Ok(changes) => println!("{what}\t{:.1}\t{}", t.elapsed().as_secs_f64() * 1e3, changes.len()),
            Err(d) => {
                eprintln!("dd_update: {}", d.message);
                return ExitCode::from(1);
            }
        }
    }
    live.finish();
    ExitCode::SUCCESS
}
