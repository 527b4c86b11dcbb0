//! Transitive closure written by hand on datafrog: the ceiling for an interpreter on
//! datafrog. Reads `DIR/edge.facts` (tab-separated `u32` pairs) and prints `path<TAB>count`.
//! With a second argument `OUT`, also writes `OUT/path.csv` as `stance infer --output-dir`
//! writes it (tab-separated, sorted by `x` then `y`): the baseline for writing results.
//!
//! ```text
//! path(x, y) :- edge(x, y).
//! path(x, z) :- path(x, y), edge(y, z).
//! ```
//!
//! Written as a skilled datafrog user would: `u32` pairs, `path` kept keyed by its second
//! column (`path_y`), one `from_join` against the static `edge` relation per round.

use datafrog::{Iteration, Relation};
use std::io::Write;
use std::process::ExitCode;

#[path = "common/facts.rs"]
mod facts;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1).filter(|a| a != "--bench") else {
        eprintln!("usage: datafrog_tc DIR [OUT]   (reads DIR/edge.facts, writes OUT/path.csv; run by bench/run)");
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
    if let Some(out) = std::env::args().nth(2)
        && let Err(e) = write_path(std::path::Path::new(&out), &path)
    {
        eprintln!("datafrog_tc: {out}: {e}");
        return ExitCode::from(2);
    }
    println!("path\t{}", path.len());
    ExitCode::SUCCESS
}

/// Writes `path(x, y)` sorted by `(x, y)` (it is kept as `(y, x)`): one sort into the
/// display order, then each row straight into a buffered file, numbers with `itoa`.
fn write_path(out: &std::path::Path, path: &[(u32, u32)]) -> std::io::Result<()> {
    let mut rows: Vec<(u32, u32)> = path.iter().map(|&(y, x)| (x, y)).collect();
    rows.sort_unstable();
    std::fs::create_dir_all(out)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(out.join("path.csv"))?);
    let mut buf = itoa::Buffer::new();
    for (x, y) in rows {
        w.write_all(buf.format(x).as_bytes())?;
        w.write_all(b"\t")?;
        w.write_all(buf.format(y).as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all()
}
