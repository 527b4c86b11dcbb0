//! Temporal runs (`infer --with-time`, `timeline`, `changes`): a project loaded with every
//! row's validity interval and evaluated by `engine::temporal`, and the statements that
//! open and close a derived tuple's intervals.
//!
//! Also where relation tables with interval columns (`.input r(from="start", until="end")`)
//! get their rows' intervals, for temporal runs and for `--as-of` alike, so that the plain
//! model of `--as-of D` is the temporal model on day `D`.

use crate::base::diag::Diagnostic;
use crate::base::value::{Symbols, Tuples};
use crate::engine::eval::EvalOptions;
use crate::engine::temporal::{self, TimedModel, push_row};
use crate::facts::asof::{Day, Interval};
use crate::facts::load::Facts;
use crate::lang::ir;
use crate::session::{ExitStatus, Failure, Project};

/// A project evaluated with time.
pub struct TimedSession {
    /// The project (loaded with [`crate::session::Inputs::with_time`]).
    pub project: Project,
    /// Its temporal model.
    pub model: TimedModel,
}

impl TimedSession {
    /// Evaluates a project loaded with time; on failure the diagnostics carry its sources.
    pub fn evaluate(mut project: Project, options: &EvalOptions) -> Result<TimedSession, Failure> {
        let inputs = input_rows(&project.program, &project.facts);
        match temporal::evaluate(&project.program, inputs, &mut project.symbols, options) {
            Ok(model) => Ok(TimedSession { project, model }),
            Err(d) => Err(Failure::new(vec![d], ExitStatus::Failed).within(&mut project.sources)),
        }
    }
}

/// Every relation's input rows with their intervals: table rows on theirs (always, for a
/// relation table without interval columns), facts of rule files always (added by the
/// evaluator).
fn input_rows(program: &ir::Program, facts: &Facts) -> Vec<Tuples> {
    let mut inputs: Vec<Tuples> = program.relations.iter().map(|r| Tuples::new(r.arity() + 2)).collect();
    for (name, rows) in &facts.relations {
        if let Some(id) = program.relation_id(name) {
            for (tuple, fact) in rows.iter() {
                let interval = facts.intervals.get(fact as usize).copied().unwrap_or(Interval::ALWAYS);
                push_row(&mut inputs[id], tuple, interval);
            }
        }
    }
    inputs
}

/// Reads the interval columns of relation tables: with `with_time`, into
/// `facts.intervals`; with `as_of`, keeps only the rows valid on that day.
pub fn interval_columns(
    program: &ir::Program,
    facts: &mut Facts,
    symbols: &Symbols,
    as_of: Option<Day>,
    with_time: bool,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for rel in &program.relations {
        if crate::facts::asof::interval_columns(rel).is_none() {
            continue;
        }
        let Some(rows) = facts.relations.get(&rel.name) else { continue };
        let intervals = match crate::facts::asof::table_intervals(rel, rows, facts, symbols) {
            Ok(intervals) => intervals,
            Err(e) => {
                errors.extend(e);
                continue;
            }
        };
        if with_time {
            for &(id, interval) in &intervals {
                if facts.intervals.len() <= id as usize {
                    facts.intervals.resize(id as usize + 1, Interval::ALWAYS);
                }
                facts.intervals[id as usize] = interval;
            }
        }
        if let Some(day) = as_of {
            let dropped: std::collections::HashSet<u32> =
                intervals.iter().filter(|(_, i)| !i.contains(day)).map(|(id, _)| *id).collect();
            if let Some(rows) = facts.relations.get_mut(&rel.name) {
                rows.retain(|id| !dropped.contains(&id));
            }
        }
    }
    errors
}

impl TimedSession {
    /// The model for printing: each relation with two more columns, `from` and `until`
    /// (dates as `YYYY-MM-DD`, empty for an open end), one row per maximal interval; and
    /// the program whose relations declare those columns (as symbols).
    pub fn printable(&mut self) -> (ir::Program, crate::engine::eval::Model) {
        let relations = self.project.program.relations.iter().map(|rel| {
            let mut rel = rel.clone();
            rel.columns.extend(["from".to_string(), "until".to_string()]);
            rel.types.extend([crate::base::value::Type::Symbol, crate::base::value::Type::Symbol]);
            rel
        });
        let program = ir::Program::from_relations(relations.collect());
        let symbols = &mut self.project.symbols;
        let tuples = self.model.relations.iter().map(|rows| {
            let mut out = Tuples::new(rows.arity);
            for (tuple, interval) in rows.iter().map(temporal::split_row) {
                let mut row = tuple.to_vec();
                row.push(symbols.intern(&crate::facts::asof::day_text(interval.from)));
                row.push(symbols.intern(&crate::facts::asof::day_text(interval.until)));
                out.push(&row);
            }
            out
        });
        (program, crate::engine::eval::Model::unrecorded(tuples.collect()))
    }
}
