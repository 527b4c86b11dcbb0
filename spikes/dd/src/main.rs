//! Spike for issue 20: transitive closure and one stratified-negation program on
//! differential-dataflow 0.26 / timely 0.32, measured against `stance infer`.
//!
//! ```text
//! dd-spike tc|neg FACTS_DIR [out=FILE] [incr] [timely flags: -w N, -n N -p I -h HOSTFILE]
//! ```
//!
//! Reads `FACTS_DIR/edge.facts` (tab-separated, no header: `bench_gen graph` output). Each
//! worker keeps the lines whose index is its worker index modulo the worker count (a
//! deterministic partition; the backend would read disjoint byte ranges instead).
//! Prints counts; with `out=FILE` writes the result relation (`path` for `tc`, `acyclic` for
//! `neg`) tab-separated and sorted to FILE (FILE.pN for process N of several). With `incr`,
//! keeps the dataflow loaded and times four one-edge updates until the new count is known.
//! This is a measurement tool, not the backend: bad input panics with a message.

use std::cell::RefCell;
use std::io::{BufRead, BufWriter, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use differential_dataflow::input::Input;
use differential_dataflow::operators::Iterate;
use differential_dataflow::VecCollection;
use timely::dataflow::operators::probe::Handle;

type Node = u32;
type Edge = (Node, Node);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Our arguments are the words without a dash that are not the value of a timely flag.
    let mut mine = Vec::new();
    let mut timely_args = vec![args[0].clone()];
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        if a.starts_with('-') {
            timely_args.push(a.clone());
            if matches!(a.as_str(), "-w" | "-n" | "-p" | "-h") {
                timely_args.push(it.next().expect("timely flag needs a value").clone());
            }
        } else {
            mine.push(a.clone());
        }
    }
    let program = mine.first().expect("usage: dd-spike tc|neg FACTS_DIR [out=FILE] [incr] [-w N]").clone();
    assert!(program == "tc" || program == "neg", "program must be tc or neg");
    let dir = mine.get(1).expect("FACTS_DIR missing").clone();
    let out = mine.iter().find_map(|a| a.strip_prefix("out=")).map(str::to_owned);
    let incremental = mine.iter().any(|a| a == "incr");
    let started = Instant::now();
    let neg = program == "neg";

    // The result's count, accumulated on whichever worker `count()` routes `()` to.
    let count = Arc::new(AtomicI64::new(0));
    let count_w = count.clone();
    // `-p 1` or `-p1`; several processes write one file each.
    let flag = |name: &str| {
        let at = timely_args.iter().position(|a| a.starts_with(name))?;
        let inline = &timely_args[at][name.len()..];
        let value = if inline.is_empty() { timely_args.get(at + 1)? } else { inline };
        Some(value.parse::<usize>().expect("flag value is not a number"))
    };
    let process_index = flag("-p").unwrap_or(0);
    let several_processes = flag("-n").unwrap_or(1) > 1;

    let guards = timely::execute_from_args(timely_args.into_iter(), move |worker| {
        let index = worker.index();
        let peers = worker.peers();
        let probe = Handle::new();
        let rows: Rc<RefCell<Vec<(Edge, isize)>>> = Rc::new(RefCell::new(Vec::new()));
        let rows_w = rows.clone();
        let count_w = count_w.clone();
        let count_r = count_w.clone();
        let keep_rows = out.is_some();

        let mut edges_in = worker.dataflow::<u32, _, _>(|scope| {
            let (input, edges) = scope.new_collection::<Edge, isize>();
            // path(x, y) :- edge(x, y).
            // path(x, z) :- path(x, y), edge(y, z).
            let edges_by_src = edges.clone().arrange_by_key();
            let path: VecCollection<_, Edge> = edges.clone().iterate(|inner, path| {
                let edges_by_src = edges_by_src.enter(inner);
                path.clone()
                    .map(|(x, y)| (y, x))
                    .join_core(edges_by_src, |_y, x, z| Some((*x, *z)))
                    .concat(path)
                    .distinct()
            });
            let result: VecCollection<_, Edge> = if neg {
                // node(x) :- edge(x, _).   node(y) :- edge(_, y).
                // cyclic(x) :- path(x, x).
                // acyclic(x) :- node(x), !cyclic(x).
                let nodes = edges.flat_map(|(x, y)| [x, y]).distinct();
                let cyclic = path.filter(|(x, y)| x == y).map(|(x, _)| x).distinct();
                // Rows are pairs so that both programs share one output path: (x, x).
                nodes.map(|x| (x, ())).antijoin(cyclic).map(|(x, ())| (x, x))
            } else {
                path
            };
            let result = if keep_rows {
                result.inspect(move |(row, _time, diff)| rows_w.borrow_mut().push((*row, *diff)))
            } else {
                result
            };
            result
                .map(|_| ())
                .count()
                .inspect(move |(((), n), _time, diff)| {
                    count_w.fetch_add(*n as i64 * *diff as i64, Ordering::SeqCst);
                })
                .probe_with(&probe);
            input
        });

        // Load: this worker's share of the lines.
        let file = std::fs::File::open(format!("{dir}/edge.facts")).expect("cannot open edge.facts");
        let mut first_edges = Vec::new();
        let mut max_node: Node = 0;
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.expect("read error");
            let mut f = line.split('\t');
            let x: Node = f.next().unwrap().parse().expect("not a number");
            let y: Node = f.next().expect("one column").parse().expect("not a number");
            if i < 1 {
                first_edges.push((x, y));
            }
            max_node = max_node.max(x).max(y);
            if i % peers == index {
                edges_in.insert((x, y));
            }
        }
        edges_in.advance_to(1);
        edges_in.flush();
        worker.step_while(|| probe.less_than(edges_in.time()));
        if index == 0 {
            eprintln!("worker 0: fixpoint after {:.3}s", started.elapsed().as_secs_f64());
        }
        worker.step_while(|| probe.less_than(edges_in.time()));

        if incremental {
            // Four updates, each its own timestamp, each timed until the probe passes it.
            let existing = first_edges[0];
            // An edge to a new node: every node reaching `existing.1` gains one path tuple.
            let fresh: Edge = (existing.1, max_node + 1);
            let steps: [(&str, Edge, isize); 4] = [
                ("insert new edge", fresh, 1),
                ("remove it again", fresh, -1),
                ("remove existing edge", existing, -1),
                ("re-insert it", existing, 1),
            ];
            for (what, edge, diff) in steps {
                let t = Instant::now();
                if index == 0 {
                    edges_in.update(edge, diff);
                }
                let next = edges_in.time() + 1;
                edges_in.advance_to(next);
                edges_in.flush();
                worker.step_while(|| probe.less_than(edges_in.time()));
                if index == 0 {
                    eprintln!(
                        "update {what} {:?}: {:.1} ms, count now (this process) {}",
                        edge,
                        t.elapsed().as_secs_f64() * 1e3,
                        count_r.load(Ordering::SeqCst)
                    );
                }
            }
        }
        drop(edges_in);
        while worker.step_or_park(None) {}

        // Consolidate this worker's updates into its rows.
        let mut rows = rows.take();
        rows.sort_unstable();
        let mut result: Vec<Edge> = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let (row, mut sum) = rows[i];
            i += 1;
            while i < rows.len() && rows[i].0 == row {
                sum += rows[i].1;
                i += 1;
            }
            assert!(sum == 0 || sum == 1, "row {row:?} has multiplicity {sum}");
            if sum == 1 {
                result.push(row);
            }
        }
        result
    })
    .expect("timely failed to start");

    let mut all: Vec<Edge> = guards.join().into_iter().flat_map(|r| r.expect("worker panicked")).collect();
    eprintln!("done after {:.3}s", started.elapsed().as_secs_f64());
    let label = if !neg { "path" } else { "acyclic" };
    println!("{label}\t{}", count.load(Ordering::SeqCst));
    if let Some(out) = mine.iter().find_map(|a| a.strip_prefix("out=")) {
        all.sort_unstable();
        let name = if several_processes { format!("{out}.p{process_index}") } else { out.to_owned() };
        let mut w = BufWriter::new(std::fs::File::create(&name).expect("cannot create output"));
        for (x, y) in &all {
            if !neg {
                writeln!(w, "{x}\t{y}").unwrap();
            } else {
                writeln!(w, "{x}").unwrap();
            }
        }
        w.flush().unwrap();
        eprintln!("wrote {} rows to {name}", all.len());
    }
}
