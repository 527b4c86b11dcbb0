//! Temporal evaluation: every tuple with the days on which it holds.
//!
//! **Semantics.** The day is the unit and intervals are closed. An input row holds on its
//! interval (`facts::asof::Interval`), a fact written in a rule file always. A proof holds on
//! the intersection of its premises' intervals; a tuple holds on the union over its proofs,
//! coalesced into maximal intervals. `!r(x)` holds where `r(x)` does not. An aggregate is
//! evaluated on each segment of time on which the relations it reads are constant, so a
//! `count` is a step function. Restricted to one day `D`, the model is the plain model of
//! the inputs valid on `D` (`--as-of D`); `tests/time.rs` checks that property.
//!
//! **Representation.** Each relation gets two hidden number columns, the first and last day
//! (`DAWN`/`FOREVER` for open ends), and each rule is rewritten so that the plain engine
//! computes them (`rewrite_rule`), stratum by stratum:
//!
//! ```text
//! path(x, z) :- path(x, y), edge(y, z).
//!   ⇒ path(x, z, F, U) :- path(x, y, f1, u1), edge(y, z, f2, u2),
//!                          F = max(f1, f2), U = min(u1, u2), F <= U.
//! ```
//!
//! Endpoints of derived rows are always endpoints of input rows, so recursion terminates and
//! the work grows with the number of change points, not of days. A recursive stratum runs in
//! semi-naive rounds of its own (`fixpoint`), each on the plain engine, merging each tuple's
//! rows between rounds. Rows of a stratum are coalesced when it is done (`coalesce`), before
//! a later stratum negates or aggregates them:
//!
//! - `!r(x)` becomes two alternatives: `!r$any(x)` (no interval of `r(x)` at all) or
//!   `r$gap(x, g1, g2)` (a maximal gap between `r(x)`'s intervals, intersected as usual);
//! - `n = count : { r(x, y) }` reads `r$snap(x, y, S1, S2)`: `r`'s rows copied onto each
//!   segment `$seg(S1, S2)` of the change points of the relations the aggregate reads, and the
//!   rule's interval is intersected with the segment.
//!
//! These hidden relations are computed between strata here; the rewritten stratum runs on
//! whichever backend `options.engine` names, so the plain path is untouched.

use crate::base::diag::Diagnostic;
use crate::base::value::{Tuples, Type, Value, from_number, to_number};
use crate::engine::eval::EvalOptions;
use crate::facts::asof::{DAWN, Day, FOREVER, Interval};
use crate::lang::ir::{self, Lit, RelId};
use std::collections::BTreeMap;

/// The temporal model: every relation's tuples, each with its maximal intervals.
#[derive(Debug, Clone, Default)]
pub struct TimedModel {
    /// Per relation: rows of the relation's columns followed by the first and last day (as
    /// numbers), sorted by tuple then first day, intervals of one tuple disjoint and not
    /// adjacent.
    pub relations: Vec<Tuples>,
}

impl TimedModel {
    /// Every row of `rel`: its tuple and one maximal interval, in order.
    pub fn rows(&self, rel: RelId) -> impl Iterator<Item = (&[Value], Interval)> {
        self.relations[rel].iter().map(split_row)
    }

    /// The tuples of `rel` that hold on `day`, sorted, as the plain engine would give them.
    pub fn at(&self, rel: RelId, day: Day) -> Tuples {
        let arity = self.relations[rel].arity - 2;
        let mut out = Tuples::new(arity);
        for (tuple, interval) in self.rows(rel) {
            if interval.contains(day) {
                out.push(tuple);
            }
        }
        out
    }

    /// The number of distinct tuples of `rel` (each may hold on several intervals).
    pub fn tuple_count(&self, rel: RelId) -> usize {
        let mut count = 0;
        let mut last: Option<&[Value]> = None;
        for (tuple, _) in self.rows(rel) {
            if last != Some(tuple) {
                count += 1;
                last = Some(tuple);
            }
        }
        count
    }

    /// The intervals on which `tuple` of `rel` holds (empty when it never does).
    pub fn intervals(&self, rel: RelId, tuple: &[Value]) -> Vec<Interval> {
        let rows = &self.relations[rel];
        let n = tuple.len();
        let start = partition(rows, |row| row[..n] < *tuple);
        (start..rows.len()).map(|i| rows.get(i)).take_while(|row| row[..n] == *tuple).map(|r| split_row(r).1).collect()
    }
}

/// The first index of sorted `rows` for which `before` is false.
fn partition(rows: &Tuples, before: impl Fn(&[Value]) -> bool) -> usize {
    let (mut lo, mut hi) = (0, rows.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if before(rows.get(mid)) { lo = mid + 1 } else { hi = mid }
    }
    lo
}

/// A widened row: its tuple and its interval.
pub fn split_row(row: &[Value]) -> (&[Value], Interval) {
    let n = row.len() - 2;
    (&row[..n], Interval { from: to_number(row[n]), until: to_number(row[n + 1]) })
}

/// Appends `tuple` on `interval` to widened rows.
pub fn push_row(rows: &mut Tuples, tuple: &[Value], interval: Interval) {
    let mut row = Vec::with_capacity(tuple.len() + 2);
    row.extend_from_slice(tuple);
    row.push(from_number(interval.from));
    row.push(from_number(interval.until));
    rows.push(&row);
}

/// Sorts widened rows by tuple and merges each tuple's overlapping or adjacent intervals;
/// drops empty intervals (an `until` before its `date`).
pub fn coalesce(rows: &Tuples) -> Tuples {
    let width = rows.arity;
    let n = width - 2;
    let mut order: Vec<usize> = (0..rows.len()).filter(|&i| !split_row(rows.get(i)).1.is_empty()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (split_row(rows.get(a)), split_row(rows.get(b)));
        x.0.cmp(y.0).then(x.1.cmp(&y.1))
    });
    let mut out = Tuples::new(width);
    let mut current: Option<(usize, Interval)> = None;
    for i in order {
        let (tuple, iv) = split_row(rows.get(i));
        match &mut current {
            Some((j, open)) if rows.get(*j)[..n] == *tuple && i64::from(iv.from) <= i64::from(open.until) + 1 => {
                open.until = open.until.max(iv.until);
            }
            _ => {
                if let Some((j, open)) = current {
                    push_row(&mut out, &rows.get(j)[..n], open);
                }
                current = Some((i, iv));
            }
        }
    }
    if let Some((j, open)) = current {
        push_row(&mut out, &rows.get(j)[..n], open);
    }
    out
}

/// Evaluates `program` over `inputs` (per relation, rows widened with their interval, any
/// order) stratum by stratum; facts written in the rules hold always.
pub fn evaluate(
    program: &ir::Program,
    mut inputs: Vec<Tuples>,
    symbols: &mut crate::base::value::Symbols,
    options: &EvalOptions,
) -> Result<TimedModel, Diagnostic> {
    for rel in &program.relations[inputs.len().min(program.relations.len())..] {
        inputs.push(Tuples::new(rel.arity() + 2));
    }
    for fact in &program.facts {
        push_row(&mut inputs[fact.rel], &fact.values, Interval::ALWAYS);
    }
    let mut done: Vec<Option<Tuples>> = vec![None; program.relations.len()];
    let options = EvalOptions { record: false, ..options.clone() };
    for stratum in &program.strata {
        let rules: Vec<&ir::Rule> = stratum.rules.iter().map(|&r| &program.rules[r]).collect();
        if rules.is_empty() {
            for &r in &stratum.relations {
                done[r] = Some(coalesce(&inputs[r]));
            }
            continue;
        }
        let mut sub = Stratum::new(program, &done, options.max_tuples.unwrap_or(MAX_SNAPSHOT));
        for &r in &stratum.relations {
            sub.relation(r);
        }
        let rewritten: Vec<ir::Rule> = rules.iter().flat_map(|rule| sub.rewrite_rule(rule)).collect();
        if let Some(d) = sub.too_big.take() {
            return Err(d);
        }
        if stratum.recursive {
            for (r, rows) in sub.run_recursive(stratum, rewritten, &mut inputs, symbols, &options)? {
                done[r] = Some(rows);
            }
        } else {
            for (r, rows) in sub.run(stratum, rewritten, &mut inputs, symbols, &options)? {
                done[r] = Some(coalesce(&rows));
            }
        }
    }
    let relations = done.into_iter().zip(&program.relations).map(|(d, r)| d.unwrap_or(Tuples::new(r.arity() + 2)));
    Ok(TimedModel { relations: relations.collect() })
}

/// A relation of a stratum's rewritten program.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// A relation of the program, widened.
    Own(RelId),
    /// The tuples (columns `mask` of a relation) that ever hold, without intervals.
    Any(RelId, Vec<bool>),
    /// The maximal gaps between the intervals of those tuples.
    Gap(RelId, Vec<bool>),
    /// The segments of aggregate `n` of the stratum.
    Seg(usize),
    /// A relation's rows copied onto each segment of aggregate `n` that they cover.
    Snap(usize, RelId),
    /// A recursive relation's days gained in the last round (`fixpoint`).
    Delta(RelId),
    /// A recursive relation's rows derived in this round (`fixpoint`).
    New(RelId),
}

/// One stratum's rewritten program, built up as its rules are rewritten.
struct Stratum<'p> {
    program: &'p ir::Program,
    /// Finished relations of earlier strata, widened and coalesced.
    done: &'p [Option<Tuples>],
    /// The sub-program's relations by key, with their local ids.
    local: BTreeMap<Key, usize>,
    relations: Vec<ir::Relation>,
    /// Input rows of hidden relations (the others come from `done` or the inputs).
    hidden: Vec<Option<Tuples>>,
    /// Segments of each aggregate rewritten so far.
    segments: Vec<Vec<Interval>>,
    /// The most rows an aggregate's snapshot may have (`--max-tuples`, else [`MAX_SNAPSHOT`]).
    cap: usize,
    /// Set when a snapshot would exceed `cap`: the stratum does not run.
    too_big: Option<Diagnostic>,
}

/// The most rows an aggregate's snapshot of a relation may have without `--max-tuples`.
pub const MAX_SNAPSHOT: usize = 50_000_000;

impl<'p> Stratum<'p> {
    fn new(program: &'p ir::Program, done: &'p [Option<Tuples>], cap: usize) -> Stratum<'p> {
        let (local, relations, hidden, segments) = (BTreeMap::new(), Vec::new(), Vec::new(), Vec::new());
        Stratum { program, done, local, relations, hidden, segments, cap, too_big: None }
    }

    /// The local id of a key's relation, declared on first use with `columns`/`types`.
    fn declare(&mut self, key: Key, name: String, types: Vec<Type>, rows: Option<Tuples>) -> usize {
        if let Some(&id) = self.local.get(&key) {
            return id;
        }
        let id = self.relations.len();
        let columns = (0..types.len()).map(|i| format!("c{i}")).collect();
        self.relations.push(ir::Relation {
            name,
            columns,
            types,
            decl: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: false,
            from_statements: false,
        });
        self.hidden.push(rows);
        self.local.insert(key, id);
        id
    }

    /// The widened relation `rel`.
    fn relation(&mut self, rel: RelId) -> usize {
        let decl = &self.program.relations[rel];
        let mut types = decl.types.clone();
        types.extend([Type::Number, Type::Number]);
        self.declare(Key::Own(rel), decl.name.clone(), types, None)
    }

    /// `rel`'s finished rows (an earlier stratum's).
    fn finished(&self, rel: RelId) -> &'p Tuples {
        self.done[rel].as_ref().expect("negation and aggregates read earlier strata")
    }

    /// `r$any` and `r$gap` over the columns of `rel` that `keep` marks.
    fn negation(&mut self, rel: RelId, keep: Vec<bool>) -> (usize, usize) {
        let types: Vec<Type> =
            self.program.relations[rel].types.iter().zip(&keep).filter(|(_, k)| **k).map(|(t, _)| *t).collect();
        let name = &self.program.relations[rel].name;
        let (any_name, gap_name) = (format!("{name}$any"), format!("{name}$gap"));
        if let (Some(&a), Some(&g)) =
            (self.local.get(&Key::Any(rel, keep.clone())), self.local.get(&Key::Gap(rel, keep.clone())))
        {
            return (a, g);
        }
        let mut projected = Tuples::new(types.len() + 2);
        for row in self.finished(rel).iter() {
            let (tuple, iv) = split_row(row);
            let kept: Vec<Value> = tuple.iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect();
            push_row(&mut projected, &kept, iv);
        }
        let projected = coalesce(&projected);
        let (any, gaps) = gaps(&projected);
        let mut gap_types = types.clone();
        gap_types.extend([Type::Number, Type::Number]);
        let a = self.declare(Key::Any(rel, keep.clone()), any_name, types, Some(any));
        let g = self.declare(Key::Gap(rel, keep), gap_name, gap_types, Some(gaps));
        (a, g)
    }

    /// Declares the segments of a new aggregate over `body`; returns its number and `$seg`.
    fn aggregate(&mut self, body: &[Lit]) -> (usize, usize) {
        let mut reads = Vec::new();
        ir::body_reads(body, true, &mut reads);
        let mut cuts: Vec<i64> = Vec::new();
        for &(rel, _, _) in &reads {
            for (_, iv) in self.finished(rel).iter().map(split_row) {
                cuts.extend([i64::from(iv.from), i64::from(iv.until) + 1]);
            }
        }
        cuts.retain(|&c| c > i64::from(DAWN) && c <= i64::from(FOREVER));
        cuts.sort_unstable();
        cuts.dedup();
        let mut starts = vec![DAWN];
        starts.extend(cuts.iter().map(|&c| c as Day));
        let segments: Vec<Interval> = starts
            .iter()
            .enumerate()
            .map(|(i, &from)| Interval { from, until: starts.get(i + 1).map_or(FOREVER, |next| next - 1) })
            .collect();
        let n = self.segments.len();
        let mut rows = Tuples::new(2);
        for s in &segments {
            push_row(&mut rows, &[], *s);
        }
        self.segments.push(segments);
        let seg = self.declare(Key::Seg(n), format!("$seg{n}"), vec![Type::Number, Type::Number], Some(rows));
        (n, seg)
    }

    /// `rel`'s rows copied onto each segment of aggregate `n` that they cover.
    fn snapshot(&mut self, n: usize, rel: RelId) -> usize {
        if let Some(&id) = self.local.get(&Key::Snap(n, rel)) {
            return id;
        }
        let segments = &self.segments[n];
        let mut rows = Tuples::new(self.program.relations[rel].arity() + 2);
        'rows: for (tuple, iv) in self.finished(rel).iter().map(split_row) {
            let first = segments.partition_point(|s| s.until < iv.from);
            for s in segments[first..].iter().take_while(|s| s.from <= iv.until) {
                // A row copied onto every segment it spans: stop, rather than exhaust memory.
                if rows.len() >= self.cap {
                    let name = &self.program.relations[rel].name;
                    self.too_big = Some(Diagnostic::error(
                        crate::base::diag::Code::Limit,
                        format!(
                            "an aggregate over `{name}` with time needs more than {} rows ({} rows over {} segments of time)",
                            self.cap,
                            self.finished(rel).len(),
                            segments.len()
                        ),
                    ).with_help("aggregates with time cost rows × segments; raise --max-tuples, or evaluate one day with --as-of"));
                    break 'rows;
                }
                push_row(&mut rows, tuple, *s);
            }
        }
        let mut types = self.program.relations[rel].types.clone();
        types.extend([Type::Number, Type::Number]);
        let name = format!("{}$snap{n}", self.program.relations[rel].name);
        self.declare(Key::Snap(n, rel), name, types, Some(rows))
    }
}

/// The tuples of coalesced rows (without intervals), and the maximal gaps between each
/// tuple's intervals, open ends included.
fn gaps(rows: &Tuples) -> (Tuples, Tuples) {
    let n = rows.arity - 2;
    let (mut any, mut gaps) = (Tuples::new(n), Tuples::new(n + 2));
    let mut i = 0;
    while i < rows.len() {
        let tuple = split_row(rows.get(i)).0;
        any.push(tuple);
        let mut next_free: i64 = i64::from(DAWN);
        while i < rows.len() && split_row(rows.get(i)).0 == tuple {
            let iv = split_row(rows.get(i)).1;
            if i64::from(iv.from) > next_free {
                push_row(&mut gaps, tuple, Interval { from: next_free as Day, until: iv.from - 1 });
            }
            next_free = i64::from(iv.until) + 1;
            i += 1;
        }
        if next_free <= i64::from(FOREVER) {
            push_row(&mut gaps, tuple, Interval { from: next_free as Day, until: FOREVER });
        }
    }
    (any, gaps)
}

mod fixpoint;
mod rewrite;
