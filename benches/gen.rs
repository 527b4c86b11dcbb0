//! Seeded input generator for the benchmark suite (`bench/run` builds and runs it).
//!
//! Output is a pure function of the arguments: the generator uses its own SplitMix64, not a
//! crate whose stream could change between versions, so the same `--seed` gives the same
//! bytes on every machine and toolchain.
//!
//! ```text
//! gen graph      --nodes N --edges M --seed S --out DIR   # DIR/edge.facts: M distinct random edges x != y
//! gen chains     --chains C --length L --out DIR          # DIR/edge.facts: C disjoint paths of L edges
//! gen signed     --nodes N --edges M --negative P --seed S --out DIR
//!                # DIR/pos.facts, DIR/neg.facts: M distinct undirected pairs x < y, each
//!                # negative with probability P percent (trust / alliance networks)
//! gen dated     --nodes N --edges M --seed S [--start-years Y] [--min-years A] [--max-years B] --out DIR
//!                # DIR/edge.facts: as `graph`, each edge with the first and last day it holds
//!                # (YYYY-MM-DD): the first uniform over the Y years from 2000-01-01 (default
//!                # 10), the length uniform over A to B years in days (default 1 to 5)
//! gen statements --rows N --seed S --out DIR               # DIR/statements.csv: subject,relation,object,source,date,quote
//! gen rmat       [--scale K] [--edges M] [--negative P] --seed S --out DIR
//!                # DIR/edge.facts: M distinct directed edges x != y over 2^K nodes (default
//!                # K = 20, M = 1,000,000, P = 15), drawn by R-MAT with the Graph500
//!                # parameters a = 0.57, b = c = 0.19, d = 0.05, each with a sign column:
//!                # -1 with probability P percent, else 1
//! ```
//!
//! Fact files are Soufflé-style: tab-separated, no header, one tuple per line.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and fixed forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the tiny bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
}

struct Opts {
    kind: String,
    nodes: u64,
    edges: u64,
    seed: u64,
    chains: u64,
    length: u64,
    negative: u64,
    rows: u64,
    scale: u32,
    /// `dated`: starts over this many years from 2000, lengths between these many years.
    years: (u64, u64, u64),
    out: PathBuf,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let kind = args.first().ok_or("missing kind: graph | chains | signed | statements")?.clone();
    let rmat = kind == "rmat";
    let mut o = Opts {
        kind,
        nodes: 0,
        edges: if rmat { 1_000_000 } else { 0 },
        seed: 42,
        chains: 0,
        length: 0,
        negative: if rmat { 15 } else { 30 },
        rows: 0,
        scale: 20,
        years: (10, 1, 5),
        out: PathBuf::new(),
    };
    let mut it = args[1..].iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = || value.parse::<u64>().map_err(|_| format!("{flag}: not a number: {value}"));
        match flag.as_str() {
            "--nodes" => o.nodes = num()?,
            "--edges" => o.edges = num()?,
            "--seed" => o.seed = num()?,
            "--chains" => o.chains = num()?,
            "--length" => o.length = num()?,
            "--negative" => o.negative = num()?,
            "--rows" => o.rows = num()?,
            "--start-years" => o.years.0 = num()?.max(1),
            "--min-years" => o.years.1 = num()?,
            "--max-years" => o.years.2 = num()?,
            "--scale" => {
                o.scale = u32::try_from(num()?).ok().filter(|&k| (1..=31).contains(&k)).ok_or("--scale: 1 to 31")?
            }
            "--out" => o.out = PathBuf::from(value),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if o.out.as_os_str().is_empty() {
        return Err("--out DIR is required".into());
    }
    Ok(o)
}

fn create(dir: &std::path::Path, name: &str) -> std::io::Result<BufWriter<File>> {
    fs::create_dir_all(dir)?;
    Ok(BufWriter::with_capacity(1 << 20, File::create(dir.join(name))?))
}

/// `count` distinct ordered pairs `(x, y)`, `x != y`, over `nodes` nodes, in generation order.
fn random_pairs(rng: &mut Rng, nodes: u64, count: u64, undirected: bool) -> Result<Vec<(u64, u64)>, String> {
    let possible = nodes.saturating_mul(nodes.saturating_sub(1)) / if undirected { 2 } else { 1 };
    if count > possible / 2 {
        return Err(format!("{count} edges is too dense for {nodes} nodes (at most {})", possible / 2));
    }
    let mut seen = HashSet::with_capacity(count as usize);
    let mut pairs = Vec::with_capacity(count as usize);
    while (pairs.len() as u64) < count {
        let (mut x, mut y) = (rng.below(nodes), rng.below(nodes));
        if x == y {
            continue;
        }
        if undirected && x > y {
            std::mem::swap(&mut x, &mut y);
        }
        if seen.insert((x, y)) {
            pairs.push((x, y));
        }
    }
    Ok(pairs)
}

/// `count` distinct directed edges `x != y` over `2^scale` nodes by R-MAT (Chakrabarti,
/// Zhan, Faloutsos 2004) with the Graph500 parameters: each edge descends the adjacency
/// matrix one bit of both endpoints at a time, into the top-left quadrant with probability
/// a = 0.57, top-right b = 0.19, bottom-left c = 0.19, bottom-right d = 0.05. Duplicates and
/// self-loops are drawn again. Node ids are not scrambled, so low ids are the hubs.
fn rmat_edges(rng: &mut Rng, scale: u32, count: u64) -> Result<Vec<(u64, u64)>, String> {
    let nodes = 1u64 << scale;
    if count > nodes.saturating_mul(nodes - 1) / 4 {
        return Err(format!("{count} edges is too dense for 2^{scale} nodes"));
    }
    // Thresholds out of 100: a, a + b, a + b + c.
    const AB: [u64; 3] = [57, 76, 95];
    let mut seen = HashSet::with_capacity(count as usize);
    let mut edges = Vec::with_capacity(count as usize);
    while (edges.len() as u64) < count {
        let (mut x, mut y) = (0, 0);
        for _ in 0..scale {
            let r = rng.below(100);
            let (dx, dy) = if r < AB[0] {
                (0, 0)
            } else if r < AB[1] {
                (0, 1)
            } else if r < AB[2] {
                (1, 0)
            } else {
                (1, 1)
            };
            x = 2 * x + dx;
            y = 2 * y + dy;
        }
        if x != y && seen.insert((x, y)) {
            edges.push((x, y));
        }
    }
    Ok(edges)
}

const SUBJECTS: &[&str] =
    &["Egypt", "Russia", "Tobruk", "Haftar", "GNA", "Algeria", "Qatar", "Turkey", "UAE", "France", "Italy", "UN"];
const RELATIONS: &[&str] = &["backs", "relies on", "rejects", "rivals", "fights", "courts", "meets", "recognises"];
const SOURCES: &[&str] = &["The New Arab", "Reuters", "Al Jazeera", "AFP", "Libya Herald"];

fn run(o: &Opts) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", o.out.display());
    let mut rng = Rng(o.seed);
    match o.kind.as_str() {
        "graph" => {
            let mut w = create(&o.out, "edge.facts").map_err(io)?;
            for (x, y) in random_pairs(&mut rng, o.nodes, o.edges, false)? {
                writeln!(w, "{x}\t{y}").map_err(io)?;
            }
            w.flush().map_err(io)
        }
        "dated" => {
            let mut w = create(&o.out, "edge.facts").map_err(io)?;
            let (span, shortest, longest) = o.years;
            if shortest == 0 || longest < shortest || span > 7000 || longest > 1000 {
                return Err("dated: need 1 <= --min-years <= --max-years <= 1000, --start-years <= 7000".into());
            }
            let first = stance::facts::asof::Date { year: 2000, month: 1, day: 1 }.day_number();
            let day = |n: i32| stance::facts::asof::day_text(n);
            let (span, shortest, longest) = (span * 365, shortest * 365, longest * 365);
            for (x, y) in random_pairs(&mut rng, o.nodes, o.edges, false)? {
                let start = first + rng.below(span) as i32;
                let length = (shortest + rng.below(longest - shortest + 1)) as i32;
                writeln!(w, "{x}\t{y}\t{}\t{}", day(start), day(start + length - 1)).map_err(io)?;
            }
            w.flush().map_err(io)
        }
        "chains" => {
            let mut w = create(&o.out, "edge.facts").map_err(io)?;
            for c in 0..o.chains {
                let base = c * (o.length + 1);
                for i in 0..o.length {
                    writeln!(w, "{}\t{}", base + i, base + i + 1).map_err(io)?;
                }
            }
            w.flush().map_err(io)
        }
        "signed" => {
            let mut pos = create(&o.out, "pos.facts").map_err(io)?;
            let mut neg = create(&o.out, "neg.facts").map_err(io)?;
            for (x, y) in random_pairs(&mut rng, o.nodes, o.edges, true)? {
                let w = if rng.below(100) < o.negative { &mut neg } else { &mut pos };
                writeln!(w, "{x}\t{y}").map_err(io)?;
            }
            pos.flush().map_err(io)?;
            neg.flush().map_err(io)
        }
        "statements" => {
            // Subjects and objects are drawn from a pool that grows with the table (about
            // one entity per ten rows), so distinct facts grow with the row count too.
            let entities = (o.rows / 10).max(SUBJECTS.len() as u64);
            let name = |i: u64| {
                let base = SUBJECTS[(i % SUBJECTS.len() as u64) as usize];
                if i < SUBJECTS.len() as u64 { base.to_string() } else { format!("{base} {i}") }
            };
            let mut w = create(&o.out, "statements.csv").map_err(io)?;
            writeln!(w, "subject,relation,object,source,date,quote").map_err(io)?;
            for row in 0..o.rows {
                let s = name(rng.below(entities));
                let r = RELATIONS[rng.below(RELATIONS.len() as u64) as usize];
                let ob = name(rng.below(entities));
                let src = SOURCES[rng.below(SOURCES.len() as u64) as usize];
                let (y, m, d) = (2010 + rng.below(15), 1 + rng.below(12), 1 + rng.below(28));
                writeln!(
                    w,
                    "{s},{r},{ob},{src},{y}-{m:02}-{d:02},\"Report {row}: {s} {r} {ob}, officials said, \"\"according to sources\"\"\""
                )
                .map_err(io)?;
            }
            w.flush().map_err(io)
        }
        "rmat" => {
            let mut w = create(&o.out, "edge.facts").map_err(io)?;
            for (x, y) in rmat_edges(&mut rng, o.scale, o.edges)? {
                let sign = if rng.below(100) < o.negative { -1 } else { 1 };
                writeln!(w, "{x}\t{y}\t{sign}").map_err(io)?;
            }
            w.flush().map_err(io)
        }
        other => Err(format!("unknown kind {other}: graph | dated | chains | signed | statements | rmat")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` runs every bench target with `--bench`; this one only makes inputs.
    if args.iter().all(|a| a == "--bench") {
        eprintln!("bench_gen makes benchmark inputs; run bench/run");
        return ExitCode::SUCCESS;
    }
    match parse(&args).and_then(|o| run(&o)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_gen: {e}");
            ExitCode::from(2)
        }
    }
}
