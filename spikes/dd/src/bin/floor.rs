//! The floor of differential-dataflow 0.26 for transitive closure on this machine (issue 20,
//! third round): the same TC written several ways, to find what the fastest hand-written
//! formulation costs and how much of stance's gap is the formulation, the row type, or DD.
//!
//! ```text
//! floor VARIANT FACTS_DIR [-w N]
//! ```
//!
//! Reads `FACTS_DIR/edge.facts` (`bench_gen graph` output), feeds every edge at time 0 (worker
//! `i mod W` takes line `i`), steps until the probe passes, prints `path COUNT` and the
//! seconds to the fixpoint. Variants:
//!
//! - `iso`: the spike's program. `iterate` over `path`; each round `path` re-keyed by `y`,
//!   `join_core` with `edge` arranged once by source, `concat`, `distinct` (isize diffs,
//!   `Product<u32, u32>` times).
//! - `row`: `iso` with stance's row type (`SmallVec<[u32; 6]>`) for tuples, keys and values.
//! - `row16`: `iso` with the dd engine's row since the third round (16 bytes, three values
//!   inline: `src/engine/dd/row.rs`).
//! - `present`: a `Variable` in an iterative scope with `Present` diffs (zero-sized, no
//!   retraction: monotone, batch only); the distinct is a `reduce_core` that emits a tuple once.
//! - `presentrow`: `present` with stance's row type.
//! - `total`: no nested scope: the rounds are the root scope's `u32` times (a `Variable` with
//!   summary 1), `Present` diffs and `threshold_semigroup` (needs a totally ordered time).
//!   The fastest DD can do here, and only for one batch of one stratum.
//!
//! A measurement tool, not the backend: bad input panics.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use differential_dataflow::difference::Present;
use differential_dataflow::input::Input;
use differential_dataflow::operators::iterate::Variable;
use differential_dataflow::operators::{Iterate, ThresholdTotal};
use differential_dataflow::trace::implementations::{KeyBuilder, KeySpine};
use timely::dataflow::operators::probe::Handle;
use timely::order::Product;

type Row = smallvec::SmallVec<[u32; 6]>;

#[path = "../../../../src/engine/dd/row.rs"]
#[allow(dead_code)]
mod row16;
type R16 = row16::Row;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let variant = args[1].clone();
    let dir = args[2].clone();
    let timely_args: Vec<String> = std::iter::once(args[0].clone()).chain(args[3..].iter().cloned()).collect();
    let count = Arc::new(AtomicI64::new(0));
    let count_w = count.clone();
    let started = Instant::now();
    let text = std::fs::read_to_string(format!("{dir}/edge.facts")).expect("cannot read edge.facts");
    let edges: Arc<Vec<(u32, u32)>> = Arc::new(
        text.lines()
            .map(|l| {
                let mut f = l.split('\t');
                (f.next().unwrap().parse().unwrap(), f.next().unwrap().parse().unwrap())
            })
            .collect(),
    );
    eprintln!("size_of Row = {}", std::mem::size_of::<Row>());
    timely::execute_from_args(timely_args.into_iter(), move |worker| {
        let (index, peers) = (worker.index(), worker.peers());
        let mine = edges.iter().enumerate().filter(|(i, _)| i % peers == index).map(|(_, e)| *e);
        let count = count_w.clone();
        let probe = Handle::new();
        let local = Rc::new(Cell::new(0i64));
        let sink = local.clone();
        let add = move |n: i64| sink.set(sink.get() + n);
        match variant.as_str() {
            "iso" => {
                let mut input = worker.dataflow::<u32, _, _>(|scope| {
                    let (input, edges) = scope.new_collection::<(u32, u32), isize>();
                    let by_src = edges.clone().arrange_by_key();
                    // path(x, z) :- path(x, y), edge(y, z).
                    edges
                        .iterate(|inner, path| {
                            let by_src = by_src.enter(inner);
                            path.clone()
                                .map(|(x, y)| (y, x))
                                .join_core(by_src, |_y, x, z| Some((*x, *z)))
                                .concat(path)
                                .distinct()
                        })
                        .inspect_batch(move |_, u| add(u.iter().map(|x| x.2 as i64).sum()))
                        .probe_with(&probe);
                    input
                });
                mine.for_each(|e| input.insert(e));
                input.advance_to(1);
                input.flush();
                worker.step_while(|| probe.less_than(&1));
            }
            "row" => {
                let mut input = worker.dataflow::<u32, _, _>(|scope| {
                    let (input, edges) = scope.new_collection::<Row, isize>();
                    let by_src = edges.clone().map(|e| (Row::from_slice(&e[..1]), e)).arrange_by_key();
                    edges
                        .iterate(|inner, path| {
                            let by_src = by_src.enter(inner);
                            path.clone()
                                .map(|p| (Row::from_slice(&p[1..2]), p))
                                .join_core(by_src, |_y, p, e| Some(Row::from_slice(&[p[0], e[1]])))
                                .concat(path)
                                .distinct()
                        })
                        .inspect_batch(move |_, u| add(u.iter().map(|x| x.2 as i64).sum()))
                        .probe_with(&probe);
                    input
                });
                mine.for_each(|(x, y)| input.insert(Row::from_slice(&[x, y])));
                input.advance_to(1);
                input.flush();
                worker.step_while(|| probe.less_than(&1));
            }
            "row16" => {
                let mut input = worker.dataflow::<u32, _, _>(|scope| {
                    let (input, edges) = scope.new_collection::<R16, isize>();
                    let by_src = edges.clone().map(|e| (R16::from_slice(&e[..1]), e)).arrange_by_key();
                    edges
                        .iterate(|inner, path| {
                            let by_src = by_src.enter(inner);
                            path.clone()
                                .map(|p| (R16::from_slice(&p[1..2]), p))
                                .join_core(by_src, |_y, p, e| Some(R16::from_slice(&[p[0], e[1]])))
                                .concat(path)
                                .distinct()
                        })
                        .inspect_batch(move |_, u| add(u.iter().map(|x| x.2 as i64).sum()))
                        .probe_with(&probe);
                    input
                });
                mine.for_each(|(x, y)| input.insert(R16::from_slice(&[x, y])));
                input.advance_to(1);
                input.flush();
                worker.step_while(|| probe.less_than(&1));
            }
            "present" => {
                let mut input = worker.dataflow::<u32, _, _>(|scope| {
                    let (input, edges) = scope.new_collection::<(u32, u32), Present>();
                    let by_src = edges.clone().arrange_by_key();
                    scope
                        .iterative::<u32, _, _>(|inner| {
                            let (var, path) = Variable::new(inner, Product::new(0, 1));
                            let result = path
                                .map(|(x, y)| (y, x))
                                .join_core(by_src.enter(inner), |_y, x, z| Some((*x, *z)))
                                .concat(edges.enter(inner))
                                .map(|p| (p, ()))
                                .reduce_core::<_, KeyBuilder<_, _, _>, KeySpine<_, _, _>>(
                                    "Distinct",
                                    |_k, _input, output, updates| {
                                        if output.is_empty() {
                                            updates.push(((), Present));
                                        }
                                    },
                                )
                                .as_collection(|k, ()| *k);
                            var.set(result.clone());
                            result.leave(scope)
                        })
                        .inspect_batch(move |_, u| add(u.len() as i64))
                        .probe_with(&probe);
                    input
                });
                mine.for_each(|e| input.update(e, Present));
                input.advance_to(1);
                input.flush();
                worker.step_while(|| probe.less_than(&1));
            }
            "presentrow" => {
                let mut input = worker.dataflow::<u32, _, _>(|scope| {
                    let (input, edges) = scope.new_collection::<Row, Present>();
                    let by_src = edges.clone().map(|e| (Row::from_slice(&e[..1]), e)).arrange_by_key();
                    scope
                        .iterative::<u32, _, _>(|inner| {
                            let (var, path) = Variable::new(inner, Product::new(0, 1));
                            let result = path
                                .map(|p: Row| (Row::from_slice(&p[1..2]), p))
                                .join_core(by_src.enter(inner), |_y, p, e| Some(Row::from_slice(&[p[0], e[1]])))
                                .concat(edges.enter(inner))
                                .map(|p| (p, ()))
                                .reduce_core::<_, KeyBuilder<_, _, _>, KeySpine<_, _, _>>(
                                    "Distinct",
                                    |_k, _input, output, updates| {
                                        if output.is_empty() {
                                            updates.push(((), Present));
                                        }
                                    },
                                )
                                .as_collection(|k, ()| k.clone());
                            var.set(result.clone());
                            result.leave(scope)
                        })
                        .inspect_batch(move |_, u| add(u.len() as i64))
                        .probe_with(&probe);
                    input
                });
                mine.for_each(|(x, y)| input.update(Row::from_slice(&[x, y]), Present));
                input.advance_to(1);
                input.flush();
                worker.step_while(|| probe.less_than(&1));
            }
            "total" => {
                let input = worker.dataflow::<u32, _, _>(|scope| {
                    let (input, edges) = scope.new_collection::<(u32, u32), Present>();
                    let by_src = edges.clone().arrange_by_key();
                    let (var, path) = Variable::new(scope.clone(), 1u32);
                    let result = path
                        .map(|(x, y)| (y, x))
                        .join_core(by_src, |_y, x, z| Some((*x, *z)))
                        .concat(edges)
                        .threshold_semigroup(|_, _, old| if old.is_none() { Some(Present) } else { None });
                    var.set(result.clone());
                    result.inspect_batch(move |_, u| add(u.len() as i64)).probe_with(&probe);
                    input
                });
                let mut input = input;
                mine.for_each(|e| input.update(e, Present));
                // The rounds are times: close the input and run until nothing is left.
                drop(input);
                while !probe.done() {
                    worker.step();
                }
            }
            other => panic!("unknown variant {other}"),
        }
        count.fetch_add(local.get(), Ordering::SeqCst);
    })
    .expect("timely failed to start")
    .join()
    .into_iter()
    .for_each(|r| r.expect("worker panicked"));
    println!("path\t{}", count.load(Ordering::SeqCst));
    eprintln!("fixpoint after {:.3}s", started.elapsed().as_secs_f64());
}
