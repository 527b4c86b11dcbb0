//! When a tuple held, and on whose word: the timeline of a derived tuple (its maximal
//! intervals) with, for each change, the statements that opened or closed it. Computed by
//! `session::time` (which evaluates the days it needs); shown here as text and JSON.

use crate::base::value::Value;
use crate::facts::asof::{DAWN, Day, FOREVER, Interval, day_text};
use crate::lang::ir::RelId;
use crate::proof::explain::origin_lines;
use crate::proof::provenance::{Explainer, Origin, atom_text};
use serde_json::{Value as Json, json};

/// Why a tuple started or stopped holding on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// Statements of its proof on that day that begin (an opening) or end (a closing) then.
    Direct(Vec<u32>),
    /// No statement of its proof changed: statements it depends on (through negation or an
    /// aggregate) that begin or end at the change: the day it opens (ending the day before),
    /// or the day after it closes (ending on its last day).
    Indirect(Vec<u32>),
}

impl Cause {
    /// The statements (fact ids), ascending.
    pub fn statements(&self) -> &[u32] {
        match self {
            Cause::Direct(ids) | Cause::Indirect(ids) => ids,
        }
    }
}

/// A change of a tuple: the first day of an interval (opened) or the last (closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The day: the first day it holds, or the last.
    pub day: Day,
    /// Opened (started holding) or closed (held for the last day).
    pub opened: bool,
    /// The statements responsible.
    pub cause: Cause,
}

/// One tuple's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// The relation.
    pub rel: RelId,
    /// The tuple.
    pub tuple: Vec<Value>,
    /// Its maximal intervals, in order.
    pub intervals: Vec<Interval>,
    /// The changes shown (every finite end of an interval, or those in a period), in order.
    pub changes: Vec<Change>,
}

/// `2014-01-01 – 2016-06-30`, with `…` for an open end.
pub fn interval_text(iv: Interval) -> String {
    let end = |d: Day, open: Day| if d == open { "…".to_string() } else { day_text(d) };
    format!("{} – {}", end(iv.from, DAWN), end(iv.until, FOREVER))
}

/// The timelines as text: each tuple, its intervals, and each change with the statements
/// responsible, shown as proofs show them (location, attribution, quote).
pub fn render_text(ex: &Explainer, timelines: &[Timeline]) -> String {
    let mut out = String::new();
    for (i, t) in timelines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&atom_text(ex.program, t.rel, &t.tuple, ex.symbols));
        out.push('\n');
        for iv in &t.intervals {
            out.push_str(&format!("  holds {}\n", interval_text(*iv)));
        }
        for c in &t.changes {
            let what = match (&c.cause, c.opened) {
                (Cause::Direct(_), true) => "opened by the start of",
                (Cause::Direct(_), false) => "closed by the end of",
                (Cause::Indirect(_), true) => "opened as these began or ended (through negation or an aggregate)",
                (Cause::Indirect(_), false) => "closed as these began or ended (through negation or an aggregate)",
            };
            let what = if c.cause.statements().is_empty() { "no statement found" } else { what };
            out.push_str(&format!("  {} {}\n", day_text(c.day), what));
            for &id in c.cause.statements() {
                for (j, line) in origin_lines(ex, &Origin::Row(id)).into_iter().enumerate() {
                    out.push_str(if j == 0 { "    - " } else { "      " });
                    out.push_str(&line);
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// The timelines as JSON: `[{"atom", "intervals": [{"from", "until"}], "changes": [{"day",
/// "change": "opened"|"closed", "direct", "statements": [{"location", "metadata"}]}]}]`.
pub fn render_json(ex: &Explainer, timelines: &[Timeline]) -> Json {
    let statement = |id: u32| {
        let metadata: serde_json::Map<String, Json> =
            ex.facts.metadata(id, ex.sources).into_iter().map(|(k, v)| (k, Json::from(v))).collect();
        json!({"location": ex.facts.location(id, ex.sources), "metadata": metadata})
    };
    let open = |d: Day| if d == DAWN || d == FOREVER { Json::Null } else { Json::from(day_text(d)) };
    Json::Array(
        timelines
            .iter()
            .map(|t| {
                json!({
                    "atom": atom_text(ex.program, t.rel, &t.tuple, ex.symbols),
                    "intervals": t.intervals.iter().map(|iv| json!({"from": open(iv.from), "until": open(iv.until)})).collect::<Vec<_>>(),
                    "changes": t.changes.iter().map(|c| json!({
                        "day": day_text(c.day),
                        "change": if c.opened { "opened" } else { "closed" },
                        "direct": matches!(c.cause, Cause::Direct(_)),
                        "statements": c.cause.statements().iter().map(|&id| statement(id)).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}
