//! Transitive closure written by hand on datafrog: the ceiling for an interpreter on
//! datafrog. Reads `DIR/edge.facts` (tab-separated `u32` pairs) and prints `path<TAB>count`.
//!
//! ```text
//! path(x, y) :- edge(x, y).
//! path(x, z) :- path(x, y), edge(y, z).
//! ```
//!
//! Written as a skilled datafrog user would: `u32` pairs, `path` kept keyed by its second
//! column (`path_y`), one `from_join` against the static `edge` relation per round.

use datafrog::{Iteration, Relation};
use std::process::ExitCode;

#[path = "common/facts.rs"]
mod facts;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1).filter(|a| a != "--bench") else {
        eprintln!("usage: datafrog_tc DIR   (reads DIR/edge.facts; run by bench/run)");
        return ExitCode::SUCCESS;
    };
    let edges = match facts::read_pairs(&std::path::Path::new(&dir).join("edge.facts")) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("datafrog_tc: {e}");
            return ExitCode::from(2);
        }
    };

    let mut iteration = Iteration::new();
    // edge(y, z), keyed by y.
    let edge: Relation<(u32, u32)> = edges.iter().copied().collect();
    // path(x, y), keyed by y: (y, x).
    let path_y = iteration.variable::<(u32, u32)>("path_y");
    // path(x, y) :- edge(x, y).
    path_y.extend(edges.iter().map(|&(x, y)| (y, x)));
    while iteration.changed() {
        // path(x, z) :- path(x, y), edge(y, z).
        path_y.from_join(&path_y, &edge, |_y, &x, &z| (z, x));
    }
    let path = path_y.complete();
    println!("path\t{}", path.len());
    ExitCode::SUCCESS
}
