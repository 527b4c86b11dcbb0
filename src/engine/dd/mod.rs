//! `--engine dd`: the program compiled to a differential dataflow (differential-dataflow on
//! timely-dataflow), evaluated on several worker threads and processes, and kept alive for
//! incremental updates ([`Session::apply`]).
//!
//! `compile` turns the IR into a dataflow (see its documentation); `run` executes it on
//! timely workers and gathers every relation's tuples on worker 0 of process 0. The model
//! carries no annotations: when a command needs proofs, the backend re-derives the model with
//! the datafrog engine (recording) and requires both models to agree
//! (`engine::backend::Dd`).
//!
//! What the engine does not evaluate is refused before it starts, naming the construct and
//! where it is ([`unsupported`]): `autoinc()` (its numbers depend on evaluation order), record
//! types (values that are ids in a record table not shared with the workers yet), and,
//! across several processes, functors that make new strings (the processes agree on one
//! symbol table at start-up, `symbols`; a string made during evaluation would get a
//! different id in each).
//!
//! On several processes each process has loaded only its part of the facts
//! (`facts::part`) and feeds it at its own workers; process 0 gathers the results.
//!
//! Without the cargo feature `dd` only [`Cluster`] is compiled and the engine reports that it
//! is not built in.

#[cfg(feature = "dd")]
mod compile;
#[cfg(feature = "dd")]
mod row;
#[cfg(feature = "dd")]
mod run;
#[cfg(feature = "dd")]
mod symbols;

#[cfg(feature = "dd")]
pub use run::{Change, Session};
#[cfg(feature = "dd")]
pub use symbols::translate_program;

use crate::base::diag::{Code, Diagnostic};
use crate::base::value::Type;
use crate::lang::ir;
use std::path::PathBuf;

/// Where the dataflow runs: worker threads per process, and the processes of a cluster in
/// timely's standard configuration (process index, process count, hostfile).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// Worker threads in this process (0 or 1: one).
    pub workers: usize,
    /// Processes in all (0 or 1: this one alone).
    pub processes: usize,
    /// This process's index, from 0.
    pub process: usize,
    /// One `host:port` per line, process `i` listening on line `i`; without it, process `i`
    /// listens on `127.0.0.1:(2101 + i)` (loopback only).
    pub hostfile: Option<PathBuf>,
}

impl Cluster {
    /// Worker threads in this process.
    pub fn threads(&self) -> usize {
        self.workers.max(1)
    }

    /// Whether several processes take part.
    pub fn is_distributed(&self) -> bool {
        self.processes > 1
    }

    /// The address of every process: the hostfile's lines, or loopback ports from 2101.
    pub fn addresses(&self) -> Result<Vec<String>, Diagnostic> {
        let n = self.processes.max(1);
        let Some(path) = &self.hostfile else {
            return Ok((0..n).map(|i| format!("127.0.0.1:{}", 2101 + i)).collect());
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostic::error(Code::MissingInput, format!("cannot read the hostfile {}: {e}", path.display()))
        })?;
        let lines: Vec<String> =
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
        if lines.len() < n {
            return Err(Diagnostic::error(
                Code::MissingInput,
                format!("the hostfile {} names {} addresses for {n} processes", path.display(), lines.len()),
            ));
        }
        Ok(lines.into_iter().take(n).collect())
    }
}

/// Whether an address (`host:port`) is on this machine's loopback interface.
pub fn is_loopback(address: &str) -> bool {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h).trim_matches(['[', ']']);
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The first construct of `program` that the dd engine cannot evaluate on `cluster`, as an
/// error naming it and where it is written.
pub fn unsupported(program: &ir::Program, cluster: &Cluster) -> Option<Diagnostic> {
    if program.defeasible.is_active() {
        return Some(
            Diagnostic::error(Code::Limit, "the dd engine does not evaluate defeasible rules")
                .with_help("leave out --engine dd: defeasible theories have their own evaluator"),
        );
    }
    if let Some(rule) = program.rules.iter().find(|r| r.uses_autoinc()) {
        return Some(
            Diagnostic::error(Code::Limit, "the dd engine does not evaluate `autoinc()`")
                .at(rule.span, "uses autoinc(), whose numbers depend on the order of evaluation")
                .with_help("use `--engine datafrog`"),
        );
    }
    if let Some(rel) = program.relations.iter().find(|r| r.types.iter().any(|t| matches!(t, Type::Record(_)))) {
        let d = Diagnostic::error(
            Code::Limit,
            format!("the dd engine does not evaluate record types yet (relation `{}`)", rel.name),
        )
        .with_help("use `--engine datafrog`");
        return Some(match rel.decl {
            Some(span) => d.at(span, "has a column of a record type"),
            None => d,
        });
    }
    if cluster.is_distributed()
        && let Some(rule) = program.rules.iter().find(|r| r.calls(&|f| f.def().result == Type::Symbol))
    {
        return Some(
            Diagnostic::error(Code::Limit, "the dd engine does not make new strings across several processes")
                .at(rule.span, "calls a functor whose value is a string")
                .with_help("run it in one process (leave out --processes), or use `--engine datafrog`"),
        );
    }
    None
}

/// What every operator of one process's workers shares: the symbol table (expressions read
/// and make strings), the first run-time error, and each relation's size (for the limits).
#[cfg(feature = "dd")]
#[derive(Clone)]
pub(crate) struct Shared {
    symbols: std::sync::Arc<std::sync::Mutex<crate::base::value::Symbols>>,
    error: std::sync::Arc<std::sync::Mutex<Option<Diagnostic>>>,
    sizes: std::sync::Arc<Vec<std::sync::atomic::AtomicI64>>,
}

#[cfg(feature = "dd")]
impl Shared {
    /// The symbol table, locked.
    fn symbols(&self) -> std::sync::MutexGuard<'_, crate::base::value::Symbols> {
        self.symbols.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The datafrog engine's expression evaluator, on one environment.
    fn eval(&self, e: &ir::Expr, env: &[crate::base::value::Value]) -> Option<crate::base::value::Value> {
        crate::engine::eval::evaluate_expr(e, env, &mut self.symbols())
    }

    /// Records a run-time error; the first one is kept and stops the run.
    fn fail(&self, d: Diagnostic) {
        self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_or_insert(d);
    }
}
