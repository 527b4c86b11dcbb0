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
use crate::picture::network::Network;
use crate::picture::report::{RowTime, TimeView};
use crate::proof::changed::{Boundaries, direct_causes};
use crate::proof::claims::{ClaimSpec, When};
use crate::proof::pattern::Claim;
use crate::proof::provenance::Explainer;
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

    /// The timeline of every tuple matching `claim`, in display order; with `period`, only
    /// the tuples with a change in it, and only those changes. The statements behind the
    /// changes are found in the temporal model (`proof::changed`), a change day at a time.
    pub fn timelines(&mut self, claim: &Claim, period: Option<(Day, Day)>) -> Vec<Timeline> {
        let tuples = match period {
            Some(p) => self.tuples_changing(claim.rel, p),
            None => self.tuples_of(claim.rel),
        };
        let types = &self.project.program.relations[claim.rel].types;
        let hits = claim.matching_tuples(&tuples, types, &self.project.symbols);
        self.timelines_of(claim.rel, hits, period)
    }

    /// The timelines of the given tuples of `rel` (one each, in order, even for a tuple that
    /// holds on no day), or with `period` as [`Self::timelines`] has it.
    pub fn timelines_of(&mut self, rel: RelId, hits: Vec<Vec<Value>>, period: Option<(Day, Day)>) -> Vec<Timeline> {
        let mut out = Vec::new();
        // (Day, opened) → the timelines with that change.
        let mut pending: std::collections::BTreeMap<(Day, bool), Vec<usize>> = Default::default();
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
            for change in ends {
                pending.entry(change).or_default().push(out.len());
            }
            out.push(Timeline { rel, tuple, intervals, changes: Vec::new() });
        }
        let boundaries =
            Boundaries::new(&self.project.program, &self.project.facts, &pending.keys().copied().collect());
        let depends = self.dependencies(rel);
        for (change, list) in pending {
            let targets: Vec<Vec<Value>> = list.iter().map(|&i| out[i].tuple.clone()).collect();
            let Project { program, symbols, .. } = &mut self.project;
            let direct = direct_causes(program, &self.model, symbols, &boundaries, (rel, &targets), change);
            for (i, direct) in list.into_iter().zip(direct) {
                let cause = if direct.is_empty() {
                    Cause::Indirect(boundaries.around(&depends, change))
                } else {
                    Cause::Direct(direct)
                };
                out[i].changes.push(Change { day: change.0, opened: change.1, cause });
            }
        }
        // In time order; on a one-day interval, opened before closed.
        for t in &mut out {
            t.changes.sort_by_key(|c| (c.day, !c.opened));
        }
        out
    }

    /// The distinct tuples of `rel` with an interval that begins or ends in `(first, last)`,
    /// sorted: one pass over the relation, copying only those.
    fn tuples_changing(&self, rel: RelId, (first, last): (Day, Day)) -> Tuples {
        let mut out = Tuples::new(self.model.relations[rel].arity - 2);
        for (tuple, iv) in self.model.rows(rel) {
            let inside = |d: Day| first <= d && d <= last;
            let changes = (iv.from != crate::facts::asof::DAWN && inside(iv.from))
                || (iv.until != crate::facts::asof::FOREVER && inside(iv.until));
            if changes && (out.is_empty() || out.get(out.len() - 1) != tuple) {
                out.push(tuple);
            }
        }
        out
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

impl TimedSession {
    /// When the report's claims (`rows`, tuples of this project's model) and the edges of
    /// its network held: each claim's intervals and changes as `timeline` prints them, and
    /// each edge's days (those of its tuples, both directions for an undirected edge).
    pub fn report_view(&mut self, rows: &[(RelId, Vec<Value>)], network: &Network) -> TimeView {
        let mut by_rel: std::collections::BTreeMap<RelId, Vec<usize>> = Default::default();
        for (i, (rel, _)) in rows.iter().enumerate() {
            by_rel.entry(*rel).or_default().push(i);
        }
        let mut timelines: Vec<Option<Timeline>> = vec![None; rows.len()];
        for (rel, members) in by_rel {
            let tuples = members.iter().map(|&i| rows[i].1.clone()).collect();
            for (i, t) in members.into_iter().zip(self.timelines_of(rel, tuples, None)) {
                timelines[i] = Some(t);
            }
        }
        let rows = timelines
            .into_iter()
            .flatten()
            .map(|t| {
                let text = self.render(std::slice::from_ref(&t), false);
                let changes = text.split_once('\n').map_or("", |(_, rest)| rest);
                // The intervals are shown apart; the changes follow them, one indent less.
                let changes: String = changes
                    .lines()
                    .filter(|l| !l.starts_with("  holds "))
                    .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
                    .collect();
                RowTime { intervals: t.intervals, changes }
            })
            .collect();
        TimeView { rows, edges: self.edge_days(network) }
    }

    /// The days each edge of `network` holds.
    fn edge_days(&self, network: &Network) -> std::collections::BTreeMap<(String, String, String), Vec<Interval>> {
        let (program, symbols) = (&self.project.program, &self.project.symbols);
        let mut out = std::collections::BTreeMap::new();
        for e in &network.edges {
            let (a, b) = (&network.actors[e.from].name, &network.actors[e.to].name);
            let mut days = Tuples::new(2);
            if let (Some(rel), Some(x), Some(y)) = (program.relation_id(&e.relation), symbols.get(a), symbols.get(b)) {
                let rows = &self.model.relations[rel];
                let directions: &[[Value; 2]] = if e.directed { &[[x, y]][..] } else { &[[x, y], [y, x]][..] };
                for pair in directions {
                    let pattern = [Some(pair[0]), Some(pair[1])];
                    for i in crate::proof::provenance::matches(rows, &pattern) {
                        push_row(&mut days, &[], temporal::split_row(rows.get(i)).1);
                    }
                }
            }
            let days: Vec<Interval> = temporal::coalesce(&days).iter().map(|r| temporal::split_row(r).1).collect();
            out.insert((e.relation.clone(), a.clone(), b.clone()), days);
        }
        out
    }
}
