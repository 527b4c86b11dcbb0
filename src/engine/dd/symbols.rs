//! One symbol table for every process of a cluster, agreed at start-up.
//!
//! Each process read only its part of the facts (`facts::part`), so each interned other
//! strings, in another order. Before the dataflow is built, local worker 0 of every process
//! broadcasts its table (each string with its id) through timely; every process then builds
//! the same table from what all of them sent: process 0's strings with process 0's ids (so
//! its facts, claims and output need no translation), then every other string, sorted, each
//! once. Each process maps its own ids into that table: in its input rows (symbol columns
//! only) and in the program's constants. Strings made during evaluation are refused across
//! processes (`engine::dd::unsupported`), so the table does not change after this.
//!
//! Exchanged: every process's distinct strings, to every worker. Memory: every process
//! ends up holding the whole table (the rows stay split).

use super::Shared;
use crate::base::value::{Symbols, Type, Value};
use crate::lang::ir::{self, Arg, Expr, Lit};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use timely::dataflow::operators::probe::Handle as Probe;
use timely::dataflow::operators::vec::{Broadcast, Input};
use timely::dataflow::operators::{Inspect, Probe as _};

/// The agreed table's view from this process: the program with its constants in the agreed
/// ids, and the agreed id of each of this process's ids.
pub(super) struct Agreed {
    /// The program, constants translated.
    pub(super) program: Arc<ir::Program>,
    /// Agreed id by this process's id; empty when they are the same (process 0).
    map: Vec<Value>,
}

impl Agreed {
    /// A row of relation `rel` (of column `types`) in the agreed ids.
    pub(super) fn row(&self, types: &[Type], tuple: &[Value]) -> super::compile::Row {
        if self.map.is_empty() {
            return super::compile::Row::from_slice(tuple);
        }
        tuple.iter().zip(types).map(|(&v, &ty)| if ty == Type::Symbol { self.map[v as usize] } else { v }).collect()
    }
}

/// One string of one process's table: (process, its id there, the string).
type Sent = (u32, u32, String);

/// Exchanges the processes' tables and agrees on one (once per process: `agreed` holds it for
/// the other local workers). `threads` is the workers per process.
pub(super) fn agree(
    worker: &mut timely::worker::Worker,
    program: &ir::Program,
    shared: &Shared,
    threads: usize,
    agreed: &OnceLock<Arc<Agreed>>,
) -> Arc<Agreed> {
    let received: Rc<RefCell<Vec<Sent>>> = Rc::default();
    let probe = Probe::new();
    let sink = received.clone();
    let mut input = worker.dataflow::<u32, _, _>(|scope| {
        let (input, stream) = scope.new_input::<Sent>();
        stream.broadcast().inspect(move |s: &Sent| sink.borrow_mut().push(s.clone())).probe_with(&probe);
        input
    });
    let (index, threads) = (worker.index(), threads.max(1));
    if index % threads == 0 {
        let process = (index / threads) as u32;
        for (id, s) in shared.symbols().iter() {
            input.send((process, id, s.to_string()));
        }
    }
    input.advance_to(1);
    drop(input);
    while probe.less_than(&1) {
        worker.step();
    }
    let mut all = received.take();
    agreed.get_or_init(|| Arc::new(build(&mut all, program, shared, (index / threads) as u32))).clone()
}

/// The agreed table from every process's strings `all`; replaces this process's table in
/// `shared` with it.
fn build(all: &mut [Sent], program: &ir::Program, shared: &Shared, process: u32) -> Agreed {
    all.sort_unstable();
    let mut table = Symbols::new();
    let first_other = all.partition_point(|s| s.0 == 0);
    for (_, _, s) in &all[..first_other] {
        table.intern(s);
    }
    let mut others: Vec<&str> = all[first_other..].iter().map(|s| s.2.as_str()).collect();
    others.sort_unstable();
    others.dedup();
    for s in others {
        table.intern(s);
    }
    let mut local = shared.symbols();
    table.records = local.records.clone();
    crate::engine::eval::prepare_symbols(program, &mut table);
    let map: Vec<Value> = if process == 0 {
        Vec::new()
    } else {
        local.iter().map(|(_, s)| table.get(s).expect("every process sent its strings")).collect()
    };
    *local = table;
    let mut program = program.clone();
    if !map.is_empty() {
        translate_program(&mut program, &map);
    }
    Agreed { program: Arc::new(program), map }
}

/// Puts the symbol constants of `program` (rules and facts) in other ids: `map[id]` (the
/// agreed ids of a cluster, or a live dataflow's: `session::live`).
pub fn translate_program(program: &mut ir::Program, map: &[Value]) {
    let types: Vec<Vec<Type>> = program.relations.iter().map(|r| r.types.clone()).collect();
    for fact in &mut program.facts {
        for (v, &ty) in fact.values.iter_mut().zip(&types[fact.rel]) {
            if ty == Type::Symbol {
                *v = map[*v as usize];
            }
        }
    }
    for rule in &mut program.rules {
        rule.head_args.iter_mut().for_each(|e| translate_expr(e, map));
        translate_body(&mut rule.body, &types, map);
    }
}

fn translate_body(body: &mut [Lit], types: &[Vec<Type>], map: &[Value]) {
    for lit in body {
        match lit {
            Lit::Atom(a) | Lit::Negated(a) => {
                for (arg, &ty) in a.args.iter_mut().zip(&types[a.rel]) {
                    if let Arg::Const(v) = arg
                        && ty == Type::Symbol
                    {
                        *v = map[*v as usize];
                    }
                }
            }
            Lit::Filter { lhs, rhs, .. } => {
                translate_expr(lhs, map);
                translate_expr(rhs, map);
            }
            Lit::Assign { expr, .. } => translate_expr(expr, map),
            Lit::Range { from, to, step, .. } => {
                [Some(from), Some(to), step.as_mut()].into_iter().flatten().for_each(|e| translate_expr(e, map));
            }
            Lit::Aggregate { target, body, .. } => {
                if let Some(t) = target {
                    translate_expr(t, map);
                }
                translate_body(body, types, map);
            }
        }
    }
}

fn translate_expr(e: &mut Expr, map: &[Value]) {
    match e {
        Expr::Const(v, Type::Symbol) => *v = map[*v as usize],
        Expr::Var(_) | Expr::Const(..) => {}
        Expr::Unary(_, _, a) | Expr::Cast(a, _) => translate_expr(a, map),
        Expr::Field { record, .. } => translate_expr(record, map),
        Expr::Binary(_, _, a, b) => {
            translate_expr(a, map);
            translate_expr(b, map);
        }
        Expr::Call { args, .. } | Expr::Record(_, args) => args.iter_mut().for_each(|a| translate_expr(a, map)),
    }
}
