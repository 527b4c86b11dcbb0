//! Transitive closure in Ascent (Datalog compiled by a Rust macro): the compiled-Rust
//! ceiling. Same input and output as `datafrog_tc`: reads `DIR/edge.facts`, prints
//! `path<TAB>count`.

use ascent::ascent;
use std::process::ExitCode;

#[path = "common/facts.rs"]
mod facts;

ascent! {
    struct Tc;
    relation edge(u32, u32);
    relation path(u32, u32);
    path(x, y) <-- edge(x, y);
    path(x, z) <-- path(x, y), edge(y, z);
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1).filter(|a| a != "--bench") else {
        eprintln!("usage: ascent_tc DIR   (reads DIR/edge.facts; run by bench/run)");
        return ExitCode::SUCCESS;
    };
    let edges = match facts::read_pairs(&std::path::Path::new(&dir).join("edge.facts")) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ascent_tc: {e}");
            return ExitCode::from(2);
        }
    };
    let mut tc = Tc { edge: edges, ..Default::default() };
    tc.run();
    println!("path\t{}", tc.path.len());
    ExitCode::SUCCESS
}
