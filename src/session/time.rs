//! Temporal runs (`infer --with-time`, `timeline`, `changes`): a project loaded with every
//! row's validity interval and evaluated by `engine::temporal`, and the statements that
//! open and close a derived tuple's intervals.
//!
//! Also where relation tables with interval columns (`.input r(from="start", until="end")`)
//! get their rows' intervals, for temporal runs and for `--as-of` alike, so that the plain
//! model of `--as-of D` is the temporal model on day `D`.

use crate::base::diag::Diagnostic;
use crate::base::value::{Symbols, Tuples, Value};
use crate::engine::eval::EvalOptions;
use crate::engine::temporal::{self, TimedModel, push_row};
use crate::facts::asof::{Day, Interval};
use crate::facts::load::Facts;
use crate::lang::ir::{self, RelId};
use crate::proof::claims::{ClaimSpec, When};
use crate::proof::pattern::Claim;
use crate::proof::provenance::{Explainer, NodeId, NodeKind, Origin};
use crate::proof::timeline::{Cause, Change, Timeline};
use crate::review::verdicts::Outcome;
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
        // Defeasible rules and denials have their own evaluator, which knows no time yet.
        if project.program.defeasible.is_active() {
            let d = Diagnostic::error(
                crate::base::diag::Code::Unsupported,
                "evaluation with time does not support defeasible rules, denials or strong negation yet",
            )
            .with_help("evaluate one day with --as-of DATE");
            return Err(Failure::new(vec![d], ExitStatus::Failed).within(&mut project.sources));
        }
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
                // A row whose `until` is before its `date` holds on no day.
                if !interval.is_empty() {
                    push_row(&mut inputs[id], tuple, interval);
                }
            }
        }
    }
    inputs
}

/// [`interval_columns`] for a project being loaded, unless it already has errors.
pub fn read_interval_columns(
    inputs: &crate::session::Inputs,
    program: &ir::Program,
    (facts, symbols, sources): (&mut Facts, &Symbols, &crate::base::source::SourceMap),
    diags: &mut Vec<Diagnostic>,
) {
    if !diags.iter().any(Diagnostic::is_error) {
        let day = inputs.as_of.map(|d| d.day_number());
        diags.extend(interval_columns(program, facts, symbols, sources, day, inputs.with_time));
    }
}

/// Reads the interval columns of relation tables: with `with_time`, into
/// `facts.intervals`; with `as_of`, keeps only the rows valid on that day.
pub fn interval_columns(
    program: &ir::Program,
    facts: &mut Facts,
    symbols: &Symbols,
    sources: &crate::base::source::SourceMap,
    as_of: Option<Day>,
    with_time: bool,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for rel in &program.relations {
        if crate::facts::asof::interval_columns(rel).is_none() {
            continue;
        }
        let Some(rows) = facts.relations.get(&rel.name) else { continue };
        let intervals = match crate::facts::asof::table_intervals(rel, rows, facts, symbols, sources) {
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

impl TimedSession {
    /// The plain model of the rows valid on `day`, recorded: the temporal model on that day.
    fn model_on(&mut self, day: Day, options: &EvalOptions) -> Result<crate::engine::eval::Model, Failure> {
        let Project { program, facts, plan, symbols, .. } = &mut self.project;
        let mut inputs: Vec<Tuples> = program.relations.iter().map(|r| Tuples::new(r.arity())).collect();
        for (name, rows) in &facts.relations {
            let Some(id) = program.relation_id(name) else { continue };
            for (tuple, fact) in rows.iter() {
                if facts.intervals.get(fact as usize).is_none_or(|iv| iv.contains(day)) {
                    inputs[id].push(tuple);
                }
            }
        }
        for fact in &program.facts {
            inputs[fact.rel].push(&fact.values);
        }
        let options = EvalOptions { record: true, ..options.clone() };
        crate::engine::backend::evaluate(options.engine, program, plan, inputs, symbols, &options)
            .map_err(|d| Failure::new(vec![d], ExitStatus::Failed))
    }

    /// The loaded rows valid on `day` (every table, origin and interval kept, so fact ids
    /// stay as they are).
    fn facts_on(&self, day: Day) -> Facts {
        let mut facts = self.project.facts.clone();
        let intervals = std::mem::take(&mut facts.intervals);
        for rows in facts.relations.values_mut() {
            rows.retain(|id| intervals.get(id as usize).is_none_or(|iv| iv.contains(day)));
        }
        facts.intervals = intervals;
        facts
    }

    /// The relations `rel` depends on, itself included.
    fn dependencies(&self, rel: RelId) -> Vec<bool> {
        let program = &self.project.program;
        let mut seen = vec![false; program.relations.len()];
        let mut stack = vec![rel];
        while let Some(r) = stack.pop() {
            if std::mem::replace(&mut seen[r], true) {
                continue;
            }
            for rule in program.rules.iter().filter(|rule| rule.head == r) {
                let mut reads = Vec::new();
                ir::body_reads(&rule.body, false, &mut reads);
                stack.extend(reads.into_iter().map(|(read, _, _)| read));
            }
        }
        seen
    }

    /// Why each `rel(tuple)` of `wanted` opened on `day` (its first day) or closed on it
    /// (its last day): one plain evaluation of the day and one explainer for them all.
    fn causes_on(
        &mut self,
        rel: RelId,
        day: Day,
        wanted: &[(&[Value], bool)],
        options: &EvalOptions,
    ) -> Result<Vec<Cause>, Failure> {
        let model = self.model_on(day, options)?;
        let mut found: Vec<Vec<u32>> = Vec::with_capacity(wanted.len());
        {
            let Project { program, facts, sources, symbols, .. } = &mut self.project;
            let mut ex = Explainer::new(program, &model, facts, sources, symbols);
            for &(tuple, opened) in wanted {
                let roots = ex.explain_many(rel, tuple, CAUSE_PROOFS);
                let changes_then = |iv: &Interval| if opened { iv.from == day } else { iv.until == day };
                let mut direct: Vec<u32> = proof_rows(&ex, &roots)
                    .into_iter()
                    .filter(|&id| facts.intervals.get(id as usize).is_some_and(changes_then))
                    .collect();
                direct.sort_unstable();
                direct.dedup();
                found.push(direct);
            }
        }
        let mut indirect: [Option<Vec<u32>>; 2] = [None, None];
        let mut causes = Vec::with_capacity(wanted.len());
        for (direct, &(_, opened)) in found.into_iter().zip(wanted) {
            if !direct.is_empty() {
                causes.push(Cause::Direct(direct));
                continue;
            }
            let slot = &mut indirect[usize::from(opened)];
            if slot.is_none() {
                *slot = Some(self.indirect(rel, day, opened));
            }
            causes.push(Cause::Indirect(slot.clone().unwrap_or_default()));
        }
        Ok(causes)
    }

    /// Through negation or an aggregate: the statements `rel` depends on that begin or end
    /// at the change (the day it opens, or the day after it closes).
    fn indirect(&self, rel: RelId, day: Day, opened: bool) -> Vec<u32> {
        let depends = self.dependencies(rel);
        let facts = &self.project.facts;
        let first = if opened { i64::from(day) } else { i64::from(day) + 1 };
        let edge = |iv: &Interval| i64::from(iv.from) == first || i64::from(iv.until) + 1 == first;
        let mut indirect = Vec::new();
        for (name, rows) in &facts.relations {
            if self.project.program.relation_id(name).is_some_and(|r| depends[r]) {
                indirect
                    .extend(rows.ids.iter().copied().filter(|&id| facts.intervals.get(id as usize).is_some_and(edge)));
            }
        }
        indirect.sort_unstable();
        indirect
    }

    /// The timeline of every tuple matching `claim`, in display order; with `period`, only
    /// the tuples with a change in it, and only those changes. The changes are explained a
    /// day at a time: one plain evaluation per day on which some matching tuple changes.
    pub fn timelines(
        &mut self,
        claim: &Claim,
        period: Option<(Day, Day)>,
        options: &EvalOptions,
    ) -> Result<Vec<Timeline>, Failure> {
        let rel = claim.rel;
        let tuples = self.tuples_of(rel);
        let types = &self.project.program.relations[rel].types;
        let hits = claim.matching_tuples(&tuples, types, &self.project.symbols);
        let mut out = Vec::new();
        // Day → (timeline, opened) of the changes to explain on that day.
        let mut pending: std::collections::BTreeMap<Day, Vec<(usize, bool)>> = Default::default();
        for tuple in hits {
            let intervals = self.model.intervals(rel, &tuple);
            let mut ends = Vec::new();
            for iv in &intervals {
                ends.extend((iv.from != crate::facts::asof::DAWN).then_some((iv.from, true)));
                ends.extend((iv.until != crate::facts::asof::FOREVER).then_some((iv.until, false)));
            }
            ends.retain(|&(d, _)| period.is_none_or(|(a, b)| a <= d && d <= b));
            if period.is_some() && ends.is_empty() {
                continue;
            }
            for (day, opened) in ends {
                pending.entry(day).or_default().push((out.len(), opened));
            }
            out.push(Timeline { rel, tuple, intervals, changes: Vec::new() });
        }
        for (day, list) in pending {
            // The tuples are copied out: explaining borrows the session.
            let wanted: Vec<(Vec<Value>, bool)> =
                list.iter().map(|&(i, opened)| (out[i].tuple.clone(), opened)).collect();
            let borrowed: Vec<(&[Value], bool)> = wanted.iter().map(|(t, o)| (&t[..], *o)).collect();
            let causes = self.causes_on(rel, day, &borrowed, options)?;
            for ((i, opened), cause) in list.into_iter().zip(causes) {
                out[i].changes.push(Change { day, opened, cause });
            }
        }
        // In time order; on a one-day interval, opened before closed.
        for t in &mut out {
            t.changes.sort_by_key(|c| (c.day, !c.opened));
        }
        Ok(out)
    }

    /// The distinct tuples of `rel` (without intervals), sorted as the plain model's.
    fn tuples_of(&self, rel: RelId) -> Tuples {
        let rows = &self.model.relations[rel];
        let mut out = Tuples::new(rows.arity - 2);
        for (tuple, _) in self.model.rows(rel) {
            if out.is_empty() || out.get(out.len() - 1) != tuple {
                out.push(tuple);
            }
        }
        out
    }

    /// Renders timelines as text or JSON (with an explainer over no model: the statements'
    /// locations and metadata are all it shows).
    pub fn render(&mut self, timelines: &[Timeline], json: bool) -> String {
        let empty = crate::engine::eval::Model::default();
        let Project { program, facts, sources, symbols, .. } = &mut self.project;
        let ex = Explainer::new(program, &empty, facts, sources, symbols);
        if json {
            format!("{}\n", crate::proof::timeline::render_json(&ex, timelines))
        } else {
            crate::proof::timeline::render_text(&ex, timelines)
        }
    }
}

/// How many proofs of a tuple are searched for the statements that changed it.
const CAUSE_PROOFS: usize = 8;

/// The statement rows (fact ids) at the leaves of the proofs under `roots`.
fn proof_rows(ex: &Explainer, roots: &[NodeId]) -> Vec<u32> {
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<NodeId> = roots.to_vec();
    let mut rows = Vec::new();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        match &ex.nodes[n].kind {
            NodeKind::Fact { origins } => {
                rows.extend(origins.iter().filter_map(|o| if let Origin::Row(id) = o { Some(*id) } else { None }))
            }
            NodeKind::Derived { premises, .. } => stack.extend(premises),
        }
    }
    rows
}

impl TimedSession {
    /// The day a claim is judged on: its `@` day; for `during P`, the first day of `P` on
    /// which some matching tuple holds (the first day of `P` when none does), so that the
    /// claim holds on that day exactly when it holds on some day of `P`. `None`: untimed.
    pub fn judging_day(&self, spec: &ClaimSpec) -> Option<Day> {
        let period = match spec.when? {
            When::On(day) => return Some(day.day_number()),
            When::During(p) => (p.first.day_number(), p.last.day_number()),
        };
        let tuples = self.tuples_of(spec.claim.rel);
        let first = spec
            .claim
            .matching_rows(&tuples)
            .into_iter()
            .flat_map(|i| self.model.intervals(spec.claim.rel, tuples.get(i)))
            .filter(|iv| iv.from <= period.1 && period.0 <= iv.until)
            .map(|iv| iv.from.max(period.0))
            .min();
        Some(first.unwrap_or(period.0))
    }

    /// Reviews every claim on the model of its time (`plain`, recorded, for untimed claims;
    /// the day's plain model for the others), and renders each outcome with the explainer
    /// that judged it. Results in the order of `specs`.
    pub fn review<T>(
        &mut self,
        plain: &crate::engine::eval::Model,
        specs: &[ClaimSpec],
        options: &EvalOptions,
        render: &mut dyn FnMut(&mut Explainer, &Outcome) -> T,
    ) -> Result<Vec<(Outcome, T)>, Failure> {
        let days: Vec<Option<Day>> = specs.iter().map(|s| self.judging_day(s)).collect();
        let mut groups: std::collections::BTreeMap<Option<Day>, Vec<usize>> = Default::default();
        for (i, day) in days.iter().enumerate() {
            groups.entry(*day).or_default().push(i);
        }
        let mut out: Vec<Option<(Outcome, T)>> = specs.iter().map(|_| None).collect();
        for (day, members) in groups {
            // The day's model, and its rows only, so that proofs cite the rows valid then.
            let on_day = match day {
                Some(d) => Some((self.model_on(d, options)?, self.facts_on(d))),
                None => None,
            };
            let Project { program, facts, sources, symbols, .. } = &mut self.project;
            let (model, facts) = match &on_day {
                Some((model, day_facts)) => (model, day_facts),
                None => (plain, &*facts),
            };
            let mut ex = Explainer::new(program, model, facts, sources, symbols);
            let group: Vec<ClaimSpec> = members.iter().map(|&i| specs[i].clone()).collect();
            for (outcome, i) in crate::review::verdicts::review(&mut ex, &group).into_iter().zip(&members) {
                let shown = render(&mut ex, &outcome);
                out[*i] = Some((outcome, shown));
            }
        }
        Ok(out.into_iter().flatten().collect())
    }
}
