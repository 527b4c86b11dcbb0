//! Running the compiled dataflow on timely workers, and keeping it alive for updates.
//!
//! Every worker builds the same dataflow and feeds it its share of the input: tuple `i` of a
//! relation goes in at worker `i mod W` (W workers over all processes). On several
//! processes each process loaded only its part of the facts and feeds all of it, spread over
//! its own workers; the processes first agree on one symbol table (`symbols`). Each
//! relation's collection is sent to worker 0, which, in process 0, gathers the model. Time
//! is an epoch: the initial input is epoch 0; each [`Session::apply`] is the next one, and
//! worker 0 reports the epoch's consolidated changes. The limits (`EvalOptions`) are checked
//! between worker steps.

use super::compile::{self, Row};
use super::{Cluster, Shared};
use crate::base::diag::{Code, Diagnostic};
use crate::base::value::{Symbols, Tuples, Value};
use crate::engine::eval::{EvalOptions, limit_diagnostic};
use crate::engine::limits::{self, StopReason};
use crate::lang::ir::{self, RelId};
use differential_dataflow::AsCollection;
use differential_dataflow::input::{Input, InputSession};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use timely::dataflow::operators::Exchange;
use timely::dataflow::operators::probe::Handle as Probe;

/// One tuple added (`+1`) to or removed (`-1`) from a relation.
pub type Change = (RelId, Vec<Value>, isize);

/// A change inside the dataflow, its tuple a [`Row`].
type RowChange = (RelId, Row, isize);

/// What the caller sends the workers.
enum Command {
    /// Apply these input changes (worker 0 of process 0 feeds them) as the next epoch.
    Apply(Arc<Vec<RowChange>>),
}

/// What worker 0 of process 0 sends back.
enum Reply {
    /// The changes of an epoch, consolidated and sorted (the whole model for epoch 0).
    Changes(Vec<RowChange>),
    /// The run stopped.
    Failed(Diagnostic),
}

/// What every worker's closure needs.
struct Job {
    program: Arc<ir::Program>,
    inputs: Arc<Vec<Tuples>>,
    shared: Shared,
    /// The limits of the run in progress: those `start` got, then each `apply`'s.
    options: Arc<Mutex<EvalOptions>>,
    /// Each local worker's command channel, taken by the worker (`None` for a batch run).
    commands: Mutex<Vec<Option<Receiver<Command>>>>,
    replies: Mutex<Sender<Reply>>,
    /// Worker threads per process, and processes (more than one: the symbol tables are
    /// agreed on first, and `agreed` holds the result for the process's workers).
    cluster: (usize, usize),
    agreed: std::sync::OnceLock<Arc<super::symbols::Agreed>>,
}

/// A dataflow kept alive: its model, and the means to change its inputs.
pub struct Session {
    commands: Vec<Sender<Command>>,
    /// The limits the workers check (shared with them).
    options: Arc<Mutex<EvalOptions>>,
    replies: Receiver<Reply>,
    guards: Option<timely::communication::initialize::WorkerGuards<()>>,
    symbols: Arc<Mutex<Symbols>>,
    /// Every relation's tuples now, on process 0 (empty elsewhere).
    model: Vec<std::collections::BTreeSet<Row>>,
}

impl Session {
    /// Builds the dataflow on the workers `options.cluster` asks for, feeds it `inputs` and
    /// waits for the fixpoint. With `live`, the workers then wait for [`Session::apply`];
    /// without, they end (a batch run). `symbols` is lent to the workers (read it through
    /// [`Session::symbols`]) until [`Session::finish`] gives it back; on an error it is back
    /// when this returns.
    pub fn start(
        program: &ir::Program,
        inputs: Vec<Tuples>,
        symbols: &mut Symbols,
        options: &EvalOptions,
        live: bool,
    ) -> Result<Session, Diagnostic> {
        let cluster = &options.cluster;
        if let Some(d) = super::unsupported(program, cluster) {
            return Err(d);
        }
        if live && cluster.is_distributed() {
            return Err(Diagnostic::error(Code::Limit, "a live dd session runs in one process; leave out --processes"));
        }
        let config = timely_config(cluster)?;
        let threads = cluster.threads();
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..threads).map(|_| channel::<Command>()).unzip();
        let (reply, replies) = channel();
        crate::engine::eval::prepare_symbols(program, symbols);
        let lent = Arc::new(Mutex::new(std::mem::take(symbols)));
        let limits = Arc::new(Mutex::new(options.clone()));
        let job = Arc::new(Job {
            program: Arc::new(program.clone()),
            inputs: Arc::new(inputs),
            shared: Shared {
                symbols: lent.clone(),
                error: Arc::new(Mutex::new(None)),
                sizes: Arc::new(program.relations.iter().map(|_| AtomicI64::new(0)).collect()),
            },
            options: limits.clone(),
            commands: Mutex::new(receivers.into_iter().map(|r| live.then_some(r)).collect()),
            replies: Mutex::new(reply),
            cluster: (threads, cluster.processes.max(1)),
            agreed: std::sync::OnceLock::new(),
        });
        let quiet = cluster.is_distributed().then(StdoutToStderr::new);
        let guards = timely::execute(config, move |worker| {
            if let Err(d) = work(worker, &job) {
                let _ = job.replies.lock().unwrap_or_else(PoisonError::into_inner).send(Reply::Failed(d));
                for id in worker.installed_dataflows() {
                    worker.drop_dataflow(id);
                }
            }
        });
        drop(quiet);
        let guards = match guards {
            Ok(g) => g,
            Err(e) => {
                *symbols = unlend(lent);
                return Err(Diagnostic::error(Code::Limit, format!("the dd engine's workers did not start: {e}")));
            }
        };
        let mut session = Session {
            commands: if live { senders } else { Vec::new() },
            options: limits,
            replies,
            guards: Some(guards),
            symbols: lent,
            model: vec![Default::default(); program.relations.len()],
        };
        if cluster.process == 0 {
            match session.next_reply() {
                Ok(changes) => session.absorb(&changes),
                Err(d) => {
                    *symbols = session.finish().0;
                    return Err(d);
                }
            }
        }
        Ok(session)
    }

    /// The symbol table the workers share (strings made by evaluation included).
    pub fn symbols(&self) -> std::sync::MutexGuard<'_, Symbols> {
        self.symbols.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every relation's tuples, sorted (on process 0; empty relations elsewhere).
    pub fn model(&self, program: &ir::Program) -> Vec<Tuples> {
        self.model
            .iter()
            .zip(&program.relations)
            .map(|(rows, decl)| {
                let mut t = Tuples::new(decl.arity());
                rows.iter().for_each(|row| t.push(row));
                t
            })
            .collect()
    }

    /// The limits (deadline, cancel token, budgets) the next [`Session::apply`] runs under.
    pub fn set_limits(&mut self, options: &EvalOptions) {
        *self.options.lock().unwrap_or_else(PoisonError::into_inner) = options.clone();
    }

    /// Applies input changes (a tuple added to a relation that already has it, or removed
    /// from one that lacks it, changes nothing) and returns the changes to the model.
    pub fn apply(&mut self, changes: Vec<Change>) -> Result<Vec<Change>, Diagnostic> {
        let changes: Vec<RowChange> = changes.into_iter().map(|(rel, row, d)| (rel, Row::from_vec(row), d)).collect();
        let changes = Arc::new(changes);
        for c in &self.commands {
            c.send(Command::Apply(changes.clone()))
                .map_err(|_| Diagnostic::error(Code::Limit, "the dd engine's workers have stopped"))?;
        }
        let out = self.next_reply()?;
        self.absorb(&out);
        Ok(out.into_iter().map(|(rel, row, d)| (rel, row.into_vec(), d)).collect())
    }

    /// Ends the workers and gives the symbol table back (with the strings evaluation made),
    /// with the error that stopped a worker whose result no one waited for (on a process
    /// other than 0), if any.
    pub fn finish(mut self) -> (Symbols, Option<Diagnostic>) {
        self.commands.clear();
        if let Some(guards) = self.guards.take() {
            drop(guards.join());
        }
        let failure = self.replies.try_iter().find_map(|r| match r {
            Reply::Failed(d) => Some(d),
            Reply::Changes(_) => None,
        });
        (unlend(std::mem::take(&mut self.symbols)), failure)
    }

    fn next_reply(&mut self) -> Result<Vec<RowChange>, Diagnostic> {
        match self.replies.recv() {
            Ok(Reply::Changes(c)) => Ok(c),
            Ok(Reply::Failed(d)) => Err(d),
            Err(_) => Err(Diagnostic::error(Code::Limit, "the dd engine's workers stopped without a result")),
        }
    }

    fn absorb(&mut self, changes: &[RowChange]) {
        if self.model.iter().all(std::collections::BTreeSet::is_empty) {
            // The first epoch: the whole model, sorted, built in bulk.
            for (rel, set) in self.model.iter_mut().enumerate() {
                let lo = changes.partition_point(|c| c.0 < rel);
                let hi = changes.partition_point(|c| c.0 <= rel);
                *set = changes[lo..hi].iter().filter(|c| c.2 > 0).map(|c| c.1.clone()).collect();
            }
            return;
        }
        for (rel, row, diff) in changes {
            if *diff > 0 {
                self.model[*rel].insert(row.clone());
            } else {
                self.model[*rel].remove(row);
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Closing the command channels lets live workers end.
        self.commands.clear();
    }
}

/// Standard output pointed at standard error while it lives: timely prints "awaiting
/// connections" on standard output while the processes connect (in `timely::execute`,
/// before any worker runs), and standard output carries stance's results.
struct StdoutToStderr(Option<i32>);

impl StdoutToStderr {
    fn new() -> StdoutToStderr {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: dup and dup2 on the standard descriptors; nothing else writes to standard
        // output while the processes connect.
        let saved = unsafe { libc::dup(1) };
        if saved < 0 || unsafe { libc::dup2(2, 1) } < 0 {
            return StdoutToStderr(None);
        }
        StdoutToStderr(Some(saved))
    }
}

impl Drop for StdoutToStderr {
    fn drop(&mut self) {
        use std::io::Write;
        if let Some(saved) = self.0 {
            let _ = std::io::stdout().flush();
            // SAFETY: puts back the descriptor `new` saved, then closes the copy.
            unsafe {
                libc::dup2(saved, 1);
                libc::close(saved);
            }
        }
    }
}

/// The symbol table back from the workers (a copy if one still holds it).
fn unlend(lent: Arc<Mutex<Symbols>>) -> Symbols {
    match Arc::try_unwrap(lent) {
        Ok(m) => m.into_inner().unwrap_or_else(PoisonError::into_inner),
        Err(shared) => shared.lock().unwrap_or_else(PoisonError::into_inner).clone(),
    }
}

/// Timely's configuration for `cluster`: threads, or a cluster of processes.
fn timely_config(cluster: &Cluster) -> Result<timely::Config, Diagnostic> {
    use timely::CommunicationConfig as C;
    let threads = cluster.threads();
    let communication = if cluster.is_distributed() {
        if cluster.process >= cluster.processes {
            return Err(Diagnostic::error(
                Code::Limit,
                format!("--process {} is not below --processes {}", cluster.process, cluster.processes),
            ));
        }
        C::Cluster {
            threads,
            process: cluster.process,
            addresses: cluster.addresses()?,
            report: false,
            zerocopy: false,
        }
    } else if threads > 1 {
        C::Process(threads)
    } else {
        C::Thread
    };
    Ok(timely::Config { communication, worker: timely::WorkerConfig::default() })
}

/// One worker: builds the dataflow, feeds its share, runs to the fixpoint, then serves
/// commands until the channel closes.
fn work(worker: &mut timely::worker::Worker, job: &Job) -> Result<(), Diagnostic> {
    let (index, peers) = (worker.index(), worker.peers());
    let (threads, processes) = job.cluster;
    let agreed =
        (processes > 1).then(|| super::symbols::agree(worker, &job.program, &job.shared, threads, &job.agreed));
    let program = agreed.as_ref().map_or(&job.program, |a| &a.program);
    let gathered: Rc<RefCell<Vec<RowChange>>> = Rc::default();
    let probe = Probe::new();
    let (mut inputs, mut unit) = worker.dataflow::<u32, _, _>(|scope| {
        let (handles, collections): (Vec<InputSession<u32, Row, isize>>, Vec<_>) =
            job.program.relations.iter().map(|_| scope.new_collection::<Row, isize>()).unzip();
        let (unit_handle, unit) = scope.new_collection::<Row, isize>();
        let results = compile::program(scope, program, collections, unit, &job.shared);
        let tagged = results.into_iter().enumerate().map(|(rel, c)| c.map(move |row| (rel, row)));
        let sink = gathered.clone();
        differential_dataflow::collection::concatenate(scope, tagged)
            .inner
            .exchange(|_| 0)
            .as_collection()
            .inspect(move |((rel, row), _, diff)| sink.borrow_mut().push((*rel, row.clone(), *diff)))
            .probe_with(&probe);
        (handles, unit_handle)
    });
    // Each process holds only its part of the facts (several processes) or all of them (one):
    // its share goes in at its own workers.
    let (share, of) = if agreed.is_some() { (index % threads, threads) } else { (index, peers) };
    for ((handle, tuples), decl) in inputs.iter_mut().zip(job.inputs.iter()).zip(&program.relations) {
        for (i, t) in tuples.iter().enumerate() {
            if i % of == share {
                handle.insert(agreed.as_ref().map_or_else(|| Row::from_slice(t), |a| a.row(&decl.types, t)));
            }
        }
    }
    if index == 0 {
        unit.insert(Row::new());
    }
    let mut epoch = 0u32;
    let mut advance = |inputs: &mut [InputSession<u32, Row, isize>], unit: &mut InputSession<u32, Row, isize>| {
        epoch += 1;
        inputs.iter_mut().for_each(|i| i.advance_to(epoch));
        unit.advance_to(epoch);
        inputs.iter_mut().for_each(InputSession::flush);
        unit.flush();
        epoch
    };
    let now = advance(&mut inputs, &mut unit);
    settle(worker, &probe, now, job)?;
    report(index, &gathered, job);
    let receiver = {
        let mut commands = job.commands.lock().unwrap_or_else(PoisonError::into_inner);
        let local = index % commands.len().max(1);
        commands.get_mut(local).and_then(Option::take)
    };
    let Some(receiver) = receiver else { return Ok(()) };
    while let Ok(Command::Apply(changes)) = receiver.recv() {
        if index == 0 {
            for (rel, row, diff) in changes.iter() {
                inputs[*rel].update(row.clone(), *diff);
            }
        }
        let now = advance(&mut inputs, &mut unit);
        settle(worker, &probe, now, job)?;
        report(index, &gathered, job);
    }
    Ok(())
}

/// Worker 0 sends what it gathered since the last report, consolidated and sorted: the
/// changes of the epoch just finished (input changes that cancel, or repeat a present tuple,
/// leave none).
fn report(index: usize, gathered: &Rc<RefCell<Vec<RowChange>>>, job: &Job) {
    if index != 0 {
        return;
    }
    let mut pairs: Vec<((RelId, Row), isize)> =
        gathered.borrow_mut().drain(..).map(|(rel, row, d)| ((rel, row), d)).collect();
    differential_dataflow::consolidation::consolidate(&mut pairs);
    let changes = pairs.into_iter().map(|((rel, row), d)| (rel, row, d)).collect();
    let _ = job.replies.lock().unwrap_or_else(PoisonError::into_inner).send(Reply::Changes(changes));
}

/// Steps the worker until the probe has passed `epoch`, stopping on a run-time error or a
/// limit.
fn settle(worker: &mut timely::worker::Worker, probe: &Probe<u32>, epoch: u32, job: &Job) -> Result<(), Diagnostic> {
    let mut checked = Instant::now();
    while probe.less_than(&epoch) {
        worker.step();
        if let Some(d) = job.shared.error.lock().unwrap_or_else(PoisonError::into_inner).clone() {
            return Err(d);
        }
        if checked.elapsed() < limits::POLL {
            continue;
        }
        checked = Instant::now();
        if let Some(reason) = stop_reason(job) {
            let largest = largest(&job.shared);
            let options = job.options.lock().unwrap_or_else(PoisonError::into_inner).clone();
            return Err(limit_diagnostic(&job.program, &options, reason, None, largest));
        }
    }
    Ok(())
}

/// The limit the run has passed, if any.
fn stop_reason(job: &Job) -> Option<StopReason> {
    let o = job.options.lock().unwrap_or_else(PoisonError::into_inner);
    if o.cancel.as_ref().is_some_and(limits::CancelToken::is_cancelled) {
        return Some(StopReason::Cancelled);
    }
    if o.deadline.is_some_and(|d| Instant::now() >= d) {
        return Some(StopReason::Timeout);
    }
    if let Some(max) = o.max_tuples
        && job.shared.sizes.iter().any(|s| s.load(Ordering::Relaxed) > max as i64)
    {
        return Some(StopReason::Tuples);
    }
    if let Some(max) = o.max_memory
        && limits::resident_bytes().is_some_and(|rss| rss > max)
    {
        return Some(StopReason::Memory);
    }
    None
}

/// The relation with the most tuples so far, for the limit's message.
fn largest(shared: &Shared) -> Option<(RelId, usize)> {
    let (rel, size) = shared.sizes.iter().enumerate().max_by_key(|(_, s)| s.load(Ordering::Relaxed))?;
    Some((rel, size.load(Ordering::Relaxed).max(0) as usize))
}
