//! A dd dataflow kept alive across re-evaluations of a project (`stance watch --engine dd`):
//! while the rules stay the same, each new load's input tuples are compared with the last
//! ones and only the differences go into the dataflow, which recomputes only their
//! consequences (`engine::dd::Session::apply`). A change to the rules (or a program that
//! calls `ord`, whose numbers depend on every string loaded) starts a new dataflow.
//!
//! The cost of a run follows the change, not the knowledge base, wherever that is cheap to
//! arrange: each input relation's rows are compared with the last load's by their common
//! prefix and suffix (a changed file is usually changed in one place), and only the rows in
//! between are counted in and out; the model is patched with the dataflow's changes; the
//! changes of the shown relations are rendered from those changes alone (the service's
//! [`super::reeval::Output::delta`]), not by rendering and comparing whole models.
//!
//! Every load has its own symbol table, so the live dataflow keeps one of its own. Relations
//! without string columns need no translation (their values are their numbers); the rows of
//! the others are moved between the tables. In a watch session the loads' tables grow from
//! one (the statement tables' symbol table is kept and only grows, `facts::restate`), and
//! the dataflow's began as a copy of the first load's: the leading ids both tables share
//! (found by `Symbols::common_prefix`, two `memcmp`s) mean the same strings and are not
//! translated; only the strings after them are looked up, and only model rows holding one
//! are moved (and merged back in order). Whether the rules are the same is decided on the
//! rules with their string constants in the dataflow's ids, so that a load which numbered a
//! constant differently does not build a new dataflow.

use super::reeval::{Changes, Delta};
use super::{ExitStatus, Failure, Project, input_tuples};
use crate::base::common;
use crate::base::value::{Symbols, Tuples, Type, Value};
use crate::engine::dd::{Change, Session};
use crate::engine::eval::{EvalOptions, Model};
use crate::lang::ir;
use rustc_hash::FxHashMap;

/// The live dataflow, if one has run.
#[derive(Default)]
pub struct Live {
    state: Option<State>,
    /// How the changes' rows are written (the service's run says).
    cells: super::reeval::Cells,
}

struct State {
    /// The rules the dataflow was built from.
    fingerprint: String,
    session: Session,
    /// Each relation's input rows as last loaded.
    inputs: Vec<Input>,
    /// Every relation's tuples in the dataflow's symbol ids, sorted.
    model: Vec<Tuples>,
}

/// One relation's input rows, in the dataflow's ids and load order, and how many times each
/// distinct row occurs among them (the dataflow holds the set).
struct Input {
    rows: Tuples,
    counts: FxHashMap<Box<[Value]>, u32>,
}

impl Input {
    fn new(rows: Tuples) -> Input {
        let mut counts = FxHashMap::default();
        rows.iter().for_each(|r| *counts.entry(r.into()).or_insert(0) += 1);
        Input { rows, counts }
    }

    /// Replaces the rows with `now`; pushes the set's changes to `out`. Only the rows between
    /// the common prefix and the common suffix of the two loads are counted.
    fn update(&mut self, rel: usize, now: Tuples, out: &mut Vec<Change>) {
        let (old, arity) = (&self.rows, now.arity.max(1));
        let prefix =
            if now.arity == 0 { old.len().min(now.len()) } else { common::prefix(&old.data, &now.data) / arity };
        let most = old.len().min(now.len()) - prefix;
        let suffix = if now.arity == 0 { most } else { common::suffix(&old.data, &now.data, most * arity) / arity };
        let mut net: FxHashMap<&[Value], isize> = FxHashMap::default();
        for i in prefix..old.len() - suffix {
            *net.entry(old.get(i)).or_insert(0) -= 1;
        }
        for i in prefix..now.len() - suffix {
            *net.entry(now.get(i)).or_insert(0) += 1;
        }
        let mut changes: Vec<(&[Value], isize)> = net.into_iter().filter(|&(_, n)| n != 0).collect();
        changes.sort_unstable();
        for (row, n) in changes {
            let count = self.counts.entry(row.into()).or_insert(0);
            let before = *count;
            *count = (i64::from(before) + n as i64) as u32;
            match (before, *count) {
                (0, c) if c > 0 => out.push((rel, row.to_vec(), 1)),
                (b, 0) if b > 0 => out.push((rel, row.to_vec(), -1)),
                _ => {}
            }
            if *count == 0 {
                self.counts.remove(row);
            }
        }
        self.rows = now;
    }
}

impl Live {
    /// The project's model: by updating the live dataflow's inputs when the rules have not
    /// changed since the last call, else by building a new dataflow. With the changes of
    /// the relations `tracked` when the dataflow was updated (`None` when it was built).
    pub fn evaluate(
        &mut self,
        project: &mut Project,
        options: &EvalOptions,
        tracked: &[usize],
    ) -> Result<(Model, Option<Delta>), Failure> {
        let fail = |d| Failure::new(vec![d], ExitStatus::Failed);
        let program = &project.program;
        let uses_ord = program.calls_ord();
        // The load's ids in the dataflow's, and the rules with their constants in those ids:
        // the rules are the same if their fingerprint is (whatever ids the load gave them).
        let reuse = match &self.state {
            Some(state) if !uses_ord => {
                let mut live = state.session.symbols();
                let (map, shared) = to_live(&project.symbols, &mut live);
                let mut translated = program.clone();
                crate::engine::dd::translate_program(&mut translated, &map);
                (fingerprint(&translated) == state.fingerprint).then_some((map, shared))
            }
            _ => None,
        };
        let inputs = input_tuples(program, &project.facts);
        let mut delta = None;
        let shared = match reuse {
            None => {
                if let Some(old) = self.state.take() {
                    old.session.finish();
                }
                let mut table = project.symbols.clone();
                let kept = inputs.iter().map(|t| Input::new(t.clone())).collect();
                let session = Session::start(program, inputs, &mut table, options, true).map_err(fail)?;
                let model = session.model(program);
                let fingerprint = fingerprint(program);
                self.state = Some(State { fingerprint, session, inputs: kept, model });
                project.symbols.len()
            }
            Some((map, shared)) => {
                let state = self.state.as_mut().expect("reused");
                let changes = state.changes(program, inputs, (&map, shared));
                state.session.set_limits(options);
                let out = match state.session.apply(changes) {
                    Ok(out) => out,
                    Err(d) => {
                        self.state = None;
                        return Err(fail(d));
                    }
                };
                state.patch(&out);
                delta = Some(state.delta(project, &out, (tracked, self.cells)));
                shared
            }
        };
        let state = self.state.as_ref().expect("started above");
        let live = state.session.symbols();
        let mut back = FxHashMap::default();
        let relations = state
            .model
            .iter()
            .zip(&project.program.relations)
            .map(|(t, decl)| match has_symbols(&decl.types) {
                false => t.clone(),
                true => from_live(t, &decl.types, (&live, shared, &mut back), &mut project.symbols),
            })
            .collect();
        Ok((Model::from_evaluator(&project.program, relations, None), delta))
    }
}

/// What tells whether two programs build the same dataflow.
fn fingerprint(program: &ir::Program) -> String {
    format!("{:?}|{:?}|{:?}", program.relations, program.rules, program.strata)
}

/// The dataflow's id of every id of `symbols`, and how many leading ids the two tables
/// share: a watch session's loads grow from one table ([`crate::facts::restate`]), so only
/// the strings after the shared ones are looked up.
fn to_live(symbols: &Symbols, live: &mut Symbols) -> (Vec<Value>, usize) {
    let shared = symbols.common_prefix(live);
    let mut map: Vec<Value> = (0..shared as Value).collect();
    map.extend((shared..symbols.len()).map(|id| live.intern(symbols.resolve(id as Value))));
    (map, shared)
}

/// A relation of the model, sorted, in the dataflow's ids, in the project's ids: ids below
/// `shared` are the same in both; the others are looked up (once each, in `back`). The rows
/// whose ids changed (those holding a string the session added, usually few) are sorted
/// alone and merged back with the others, which stay in order.
fn from_live(
    tuples: &Tuples,
    types: &[Type],
    (live, shared, back): (&Symbols, usize, &mut FxHashMap<Value, Value>),
    to: &mut Symbols,
) -> Tuples {
    let symbol_columns: Vec<usize> = (0..types.len()).filter(|&c| types[c] == Type::Symbol).collect();
    let mut moved = Tuples::new(tuples.arity);
    let mut moved_rows: Vec<usize> = Vec::new();
    let mut row = Vec::with_capacity(types.len());
    for (i, r) in tuples.iter().enumerate() {
        if symbol_columns.iter().all(|&c| (r[c] as usize) < shared) {
            continue;
        }
        row.clear();
        row.extend_from_slice(r);
        for &c in &symbol_columns {
            if row[c] as usize >= shared {
                row[c] = *back.entry(row[c]).or_insert_with(|| to.intern(live.resolve(r[c])));
            }
        }
        if row != r {
            moved_rows.push(i);
            moved.push(&row);
        }
    }
    if moved_rows.is_empty() {
        return tuples.clone();
    }
    // Every row not in `moved_rows` keeps its place among the others.
    let moved = sorted(moved);
    let mut out = Tuples::new(tuples.arity);
    out.data.reserve(tuples.data.len());
    let (mut next_moved, mut skip) = (0, moved_rows.iter().peekable());
    for (i, r) in tuples.iter().enumerate() {
        if skip.peek() == Some(&&i) {
            skip.next();
            continue;
        }
        while next_moved < moved.len() && moved.get(next_moved) < r {
            out.push(moved.get(next_moved));
            next_moved += 1;
        }
        out.push(r);
    }
    (next_moved..moved.len()).for_each(|m| out.push(moved.get(m)));
    out
}

impl super::reeval::Evaluator for Live {
    fn apply(
        &mut self,
        run: &super::reeval::Run,
        project: &mut Project,
        options: &EvalOptions,
        tracked: &[usize],
    ) -> Result<super::reeval::Output, Failure> {
        self.cells = run.cells;
        let (model, delta) = self.evaluate(project, options, tracked)?;
        Ok(super::reeval::Output { model, delta })
    }
}

impl State {
    /// The input changes from the last load to `inputs` (whose ids `map` puts in the
    /// dataflow's; the first `shared` are the same), which become the last load.
    fn changes(&mut self, program: &ir::Program, inputs: Vec<Tuples>, (map, shared): (&[Value], usize)) -> Vec<Change> {
        let mut changes = Vec::new();
        for (rel, tuples) in inputs.into_iter().enumerate() {
            let types = &program.relations[rel].types;
            let mut now = tuples;
            if has_symbols(types) {
                for (i, v) in now.data.iter_mut().enumerate() {
                    if types[i % types.len()] == Type::Symbol && *v as usize >= shared {
                        *v = map[*v as usize];
                    }
                }
            }
            self.inputs[rel].update(rel, now, &mut changes);
        }
        changes
    }

    /// The model with the dataflow's changes (sorted by relation, then tuple) applied: per
    /// changed relation, the unchanged runs of rows between the changes are copied whole
    /// (found by binary search), so a few changes cost a copy, not a comparison per row.
    fn patch(&mut self, out: &[Change]) {
        let mut from = 0;
        while from < out.len() {
            let rel = out[from].0;
            let to = from + out[from..].partition_point(|c| c.0 == rel);
            self.model[rel] = patched(&self.model[rel], &out[from..to]);
            from = to;
        }
    }

    /// The changes of the `tracked` relations, in the project's ids, rendered as the service
    /// renders whole models.
    fn delta(
        &self,
        project: &mut Project,
        out: &[Change],
        (tracked, cells): (&[usize], super::reeval::Cells),
    ) -> Delta {
        let live = self.session.symbols();
        let mut relations = std::collections::BTreeMap::new();
        for &rel in tracked {
            let decl = &project.program.relations[rel];
            let mut parts = [Tuples::new(decl.arity()), Tuples::new(decl.arity())];
            for (_, row, diff) in out.iter().filter(|c| c.0 == rel) {
                parts[usize::from(*diff > 0)].push(row);
            }
            let [removed, added] = parts.map(|t| translate(t.iter(), &decl.types, &live, &mut project.symbols));
            let name = decl.name.clone();
            let render = |t: &Tuples| super::reeval::render_cells(project, rel, t, cells);
            relations.insert(name, Changes { removed: render(&removed), added: render(&added) });
        }
        Delta { relations }
    }
}

/// The sorted rows `old` with one relation's `changes` (sorted by tuple; `+1` adds a row,
/// `-1` removes it) applied.
fn patched(old: &Tuples, changes: &[Change]) -> Tuples {
    let mut new = Tuples::new(old.arity);
    new.data.reserve(old.data.len() + changes.len() * old.arity);
    let mut i = 0;
    for (_, row, diff) in changes {
        // The old rows before this change's row, copied as they are.
        let at = first_not_below(old, i, row);
        copy_rows(old, i..at, &mut new);
        i = at;
        if i < old.len() && old.get(i) == row.as_slice() {
            i += 1; // present before: removed (or, if added again, kept below)
        }
        if *diff > 0 {
            new.push(row);
        }
    }
    copy_rows(old, i..old.len(), &mut new);
    new
}

/// The first row of the sorted `rows` from `lo` on that is not below `row`.
fn first_not_below(rows: &Tuples, lo: usize, row: &[Value]) -> usize {
    let (mut lo, mut hi) = (lo, rows.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if rows.get(mid) < row {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Appends the rows `rows` of `from` to `to` in one copy.
fn copy_rows(from: &Tuples, rows: std::ops::Range<usize>, to: &mut Tuples) {
    let arity = from.arity;
    to.data.extend_from_slice(&from.data[rows.start * arity..rows.end * arity]);
    to.rows += rows.len();
}

/// Whether a relation has string columns (whose ids differ between symbol tables).
fn has_symbols(types: &[Type]) -> bool {
    types.contains(&Type::Symbol)
}

/// The tuples sorted (a model's relations are; their order changes with the ids).
fn sorted(tuples: Tuples) -> Tuples {
    let mut rows: Vec<&[Value]> = tuples.iter().collect();
    rows.sort_unstable();
    let mut out = Tuples::new(tuples.arity);
    rows.into_iter().for_each(|r| out.push(r));
    out
}

/// Rows of one relation with their strings moved from one symbol table to another.
fn translate<'r>(rows: impl Iterator<Item = &'r [Value]>, types: &[Type], from: &Symbols, to: &mut Symbols) -> Tuples {
    let mut out = Tuples::new(types.len());
    let mut row = Vec::with_capacity(types.len());
    for r in rows {
        row.clear();
        row.extend(r.iter().zip(types).map(|(&v, &t)| match t {
            Type::Symbol => to.intern(from.resolve(v)),
            // Numbers of every kind are their bits; record types never reach here (the dd
            // engine refuses them before it starts).
            _ => v,
        }));
        out.push(&row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: &[[Value; 2]]) -> Tuples {
        let mut t = Tuples::new(2);
        values.iter().for_each(|r| t.push(r));
        t
    }

    proptest::proptest! {
        /// Patching a sorted relation with sorted changes gives the sorted set of rows.
        #[test]
        fn a_patched_relation_is_the_changed_set(
            old in proptest::collection::btree_set((0u32..6, 0u32..6), 0..30),
            changes in proptest::collection::btree_map((0u32..6, 0u32..6), proptest::bool::ANY, 0..10),
        ) {
            let old_rows: Vec<[Value; 2]> = old.iter().map(|&(a, b)| [a, b]).collect();
            let changes: Vec<Change> = changes
                .iter()
                .filter(|&(r, &add)| add != old.contains(r))
                .map(|(&(a, b), &add)| (0, vec![a, b], if add { 1 } else { -1 }))
                .collect();
            let mut want = old.clone();
            for (_, row, diff) in &changes {
                if *diff > 0 { want.insert((row[0], row[1])); } else { want.remove(&(row[0], row[1])); }
            }
            let want: Vec<[Value; 2]> = want.iter().map(|&(a, b)| [a, b]).collect();
            proptest::prop_assert_eq!(patched(&rows(&old_rows), &changes), rows(&want));
        }
    }

    /// The model's rows in the dataflow's ids come back in the project's: ids below the
    /// tables' shared prefix as they are, the others looked up; the rows that moved are
    /// merged back in order.
    #[test]
    fn rows_holding_strings_added_since_come_back_in_order() {
        let table = |strings: &[&str]| {
            let mut t = Symbols::new();
            strings.iter().for_each(|s| {
                t.intern(s);
            });
            t
        };
        // The dataflow added `r` (a rule's constant) before `x`; the load added `x` first.
        let live = table(&["a", "b", "r", "x"]);
        let mut project = table(&["a", "b", "x", "r"]);
        let shared = project.common_prefix(&live);
        assert_eq!(shared, 2);
        let model = rows(&[[0, 1], [0, 2], [0, 3], [1, 0], [3, 3]]);
        let types = [Type::Symbol, Type::Symbol];
        let got = from_live(&model, &types, (&live, shared, &mut FxHashMap::default()), &mut project);
        assert_eq!(got, rows(&[[0, 1], [0, 2], [0, 3], [1, 0], [2, 2]]));
        // Nothing past the shared ids: the rows as they are.
        let plain = rows(&[[0, 1], [1, 0]]);
        assert_eq!(from_live(&plain, &types, (&live, shared, &mut FxHashMap::default()), &mut project), plain);
    }

    /// Only presence changes of the set reach the dataflow: a row loaded twice stays while
    /// one copy remains, a moved row is no change, and rows outside the changed middle are
    /// not looked at.
    #[test]
    fn an_input_update_gives_the_changes_of_the_set_of_rows() {
        let mut input = Input::new(rows(&[[1, 2], [3, 4], [3, 4], [5, 6], [7, 8]]));
        let mut out = Vec::new();
        // One copy of (3, 4) removed, (5, 6) moved to the end, (9, 9) added in the middle.
        input.update(0, rows(&[[1, 2], [3, 4], [9, 9], [7, 8], [5, 6]]), &mut out);
        assert_eq!(out, vec![(0, vec![9, 9], 1)]);
        out.clear();
        input.update(0, rows(&[[1, 2], [9, 9], [7, 8]]), &mut out);
        assert_eq!(out, vec![(0, vec![3, 4], -1), (0, vec![5, 6], -1)]);
        out.clear();
        input.update(0, rows(&[]), &mut out);
        assert_eq!(out, vec![(0, vec![1, 2], -1), (0, vec![7, 8], -1), (0, vec![9, 9], -1)]);
        let mut nullary = Input::new(Tuples { arity: 0, data: Vec::new(), rows: 2 });
        out.clear();
        nullary.update(3, Tuples { arity: 0, data: Vec::new(), rows: 1 }, &mut out);
        assert_eq!(out, vec![]);
        nullary.update(3, Tuples::new(0), &mut out);
        assert_eq!(out, vec![(3, vec![], -1)]);
    }
}
