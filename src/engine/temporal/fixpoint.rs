//! A recursive stratum with time: semi-naive rounds over (tuple, day) facts, each round one
//! run of the plain engine, with the stratum's rows merged into maximal intervals between
//! rounds.
//!
//! Left to datafrog's own fixpoint, a tuple reached by many paths keeps one row per distinct
//! intersection of their intervals (97 M rows for 1.2 M pairs on a 2,000-node graph whose
//! edges overlap), since datafrog removes only identical rows. Here each round derives from
//! the days gained in the last round only (`Δ`), and what a tuple gains is the part of its
//! new intervals not already covered, so that a row adds work only where it adds days:
//!
//! ```text
//! round 0:   full = merge(inputs, base rules)              Δ = full
//! round n:   new  = rules with one recursive atom read from Δ, the others from full
//!            (full, Δ) = (full ∪ new, the days new adds to full)   until Δ is empty
//! ```

use super::{Key, Stratum, coalesce, push_row, split_row};
use crate::base::diag::Diagnostic;
use crate::base::value::{Symbols, Tuples, Value};
use crate::engine::eval::EvalOptions;
use crate::engine::{backend, plan};
use crate::facts::asof::{Day, Interval};
use crate::lang::ir::{self, Lit, RelId};

impl Stratum<'_> {
    /// Runs the rewritten `rules` of the recursive `stratum` to their fixpoint; returns the
    /// stratum's relations' rows, coalesced.
    pub(super) fn run_recursive(
        mut self,
        stratum: &ir::Stratum,
        rules: Vec<ir::Rule>,
        inputs: &mut [Tuples],
        symbols: &mut Symbols,
        options: &EvalOptions,
    ) -> Result<Vec<(RelId, Tuples)>, Diagnostic> {
        let members: Vec<(usize, RelId)> = stratum.relations.iter().map(|&r| (self.relation(r), r)).collect();
        let own_of = |local: usize| members.iter().find(|&&(l, _)| l == local).map(|&(_, r)| r);
        let mut delta_of = Vec::new();
        let mut new_of = Vec::new();
        for &(_, r) in &members {
            let types = self.relations[self.local[&Key::Own(r)]].types.clone();
            let name = &self.program.relations[r].name;
            delta_of.push(self.declare(Key::Delta(r), format!("{name}$delta"), types.clone(), None));
            new_of.push(self.declare(Key::New(r), format!("{name}$new"), types, None));
        }
        let index = |r: RelId| members.iter().position(|&(_, m)| m == r).expect("a member");
        // Base rules derive from earlier strata only; each recursive rule gets one variant
        // per recursive atom, reading that atom from Δ. Every head writes `new`.
        let (mut base, mut variants) = (Vec::new(), Vec::new());
        for rule in rules {
            let mut rule = rule;
            let head = own_of(rule.head).expect("a head of the stratum");
            rule.head = new_of[index(head)];
            let positions: Vec<usize> = (0..rule.body.len())
                .filter(|&i| matches!(&rule.body[i], Lit::Atom(a) if own_of(a.rel).is_some()))
                .collect();
            if positions.is_empty() {
                base.push(rule);
                continue;
            }
            for p in positions {
                let mut variant = rule.clone();
                if let Lit::Atom(a) = &mut variant.body[p] {
                    a.rel = delta_of[index(own_of(a.rel).expect("recursive"))];
                }
                variants.push(variant);
            }
        }
        let outputs: Vec<usize> = new_of.clone();
        let round0 = self.program_of(base, &outputs);
        let rounds = self.program_of(variants, &outputs);
        let read = reads(&rounds);

        // Round 0: the stratum's own input rows and its base rules.
        let mut tables = self.tables(&round0, &[]);
        let mut new = self.evaluate(&round0, None, std::mem::take(&mut tables), symbols, options)?;
        let mut full: Vec<Tuples> = Vec::new();
        for (i, &(_, r)) in members.iter().enumerate() {
            let mut rows = std::mem::replace(&mut inputs[r], Tuples::new(0));
            rows.extend_from(&new[new_of[i]]);
            full.push(coalesce(&rows));
        }
        let mut delta: Vec<Tuples> = full.clone();
        let mut plan = None;
        while delta.iter().any(|d| !d.is_empty()) {
            let mut given: Vec<(usize, Tuples)> = Vec::new();
            for (i, &(local, _)) in members.iter().enumerate() {
                let full_rows = if read[local] { full[i].clone() } else { Tuples::new(full[i].arity) };
                given.push((local, full_rows));
                given.push((delta_of[i], std::mem::replace(&mut delta[i], Tuples::new(0))));
            }
            let tables = self.tables(&rounds, &given);
            let p = plan.get_or_insert_with(|| {
                plan::plan_with(&rounds, &plan::Stats::of_inputs(&rounds, tables.iter().enumerate()))
            });
            new = self.evaluate(&rounds, Some(p), tables, symbols, options)?;
            for i in 0..members.len() {
                let (merged, gained) = merge(&full[i], &coalesce(&new[new_of[i]]));
                full[i] = merged;
                delta[i] = gained;
            }
        }
        Ok(members.iter().map(|&(_, r)| r).zip(full).collect())
    }

    /// A program of this stratum's relations with `rules`, whose heads (`outputs`) form the
    /// last stratum and every other relation a stratum of its own without rules.
    fn program_of(&self, mut rules: Vec<ir::Rule>, outputs: &[usize]) -> ir::Program {
        for (i, rule) in rules.iter_mut().enumerate() {
            rule.id = i;
        }
        let mut sub = ir::Program::from_relations(self.relations.clone());
        let before = (0..sub.relations.len()).filter(|r| !outputs.contains(r));
        sub.strata = before
            .map(|r| ir::Stratum { relations: vec![r], rules: Vec::new(), recursive: false })
            .chain(std::iter::once(ir::Stratum {
                relations: outputs.to_vec(),
                rules: (0..rules.len()).collect(),
                recursive: false,
            }))
            .collect();
        sub.rules = rules;
        sub
    }

    /// The input of every relation of `sub`: `given` ones as given, finished relations of
    /// earlier strata and hidden ones when some rule reads them, the rest empty.
    fn tables(&self, sub: &ir::Program, given: &[(usize, Tuples)]) -> Vec<Tuples> {
        let read = reads(sub);
        let mut key_of = vec![None; sub.relations.len()];
        for (key, &id) in &self.local {
            key_of[id] = Some(key);
        }
        (0..sub.relations.len())
            .map(|id| {
                let empty = Tuples::new(sub.relations[id].arity());
                if let Some((_, rows)) = given.iter().find(|(g, _)| *g == id) {
                    return rows.clone();
                }
                if !read[id] {
                    return empty;
                }
                match key_of[id] {
                    Some(Key::Own(r)) => self.done[*r].clone().unwrap_or(empty),
                    _ => self.hidden[id].clone().unwrap_or(empty),
                }
            })
            .collect()
    }

    /// Runs `sub` on the chosen backend; every relation's rows.
    fn evaluate(
        &self,
        sub: &ir::Program,
        plan: Option<&plan::Plan>,
        tables: Vec<Tuples>,
        symbols: &mut Symbols,
        options: &EvalOptions,
    ) -> Result<Vec<Tuples>, Diagnostic> {
        let planned;
        let plan = match plan {
            Some(p) => p,
            None => {
                planned = plan::plan_with(sub, &plan::Stats::of_inputs(sub, tables.iter().enumerate()));
                &planned
            }
        };
        Ok(backend::evaluate(options.engine, sub, plan, tables, symbols, options)?.relations)
    }
}

/// Which relations some rule of `sub` reads.
fn reads(sub: &ir::Program) -> Vec<bool> {
    let mut read = vec![false; sub.relations.len()];
    for rule in &sub.rules {
        let mut out = Vec::new();
        ir::body_reads(&rule.body, false, &mut out);
        for (r, _, _) in out {
            read[r] = true;
        }
    }
    read
}

/// Merges coalesced `new` rows into coalesced `full`: the merged rows (coalesced), and the
/// days each tuple gained, as maximal intervals.
fn merge(full: &Tuples, new: &Tuples) -> (Tuples, Tuples) {
    let mut merged = Tuples::new(full.arity);
    let mut gained = Tuples::new(full.arity);
    let (mut i, mut j) = (0, 0);
    let group = |rows: &Tuples, start: usize| {
        let tuple = split_row(rows.get(start)).0;
        let mut end = start;
        let mut ivs = Vec::new();
        while end < rows.len() && split_row(rows.get(end)).0 == tuple {
            ivs.push(split_row(rows.get(end)).1);
            end += 1;
        }
        (end, ivs)
    };
    while i < full.len() || j < new.len() {
        let order = match (i < full.len(), j < new.len()) {
            (true, true) => split_row(full.get(i)).0.cmp(split_row(new.get(j)).0),
            (true, false) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                merged.push(full.get(i));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                merged.push(new.get(j));
                gained.push(new.get(j));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let tuple: Vec<Value> = split_row(full.get(i)).0.to_vec();
                let (next_i, old) = group(full, i);
                let (next_j, add) = group(new, j);
                let union = union(&old, &add);
                for iv in &union {
                    push_row(&mut merged, &tuple, *iv);
                }
                for iv in difference(&union, &old) {
                    push_row(&mut gained, &tuple, iv);
                }
                (i, j) = (next_i, next_j);
            }
        }
    }
    (merged, gained)
}

/// The maximal intervals covering two sorted lists of disjoint intervals.
fn union(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut all: Vec<Interval> = a.iter().chain(b).copied().collect();
    all.sort_unstable();
    let mut out: Vec<Interval> = Vec::with_capacity(all.len());
    for iv in all {
        match out.last_mut() {
            Some(last) if i64::from(iv.from) <= i64::from(last.until) + 1 => last.until = last.until.max(iv.until),
            _ => out.push(iv),
        }
    }
    out
}

/// The days of `covering` (sorted, maximal) outside `inner` (sorted, each inside one of
/// `covering`), as maximal intervals.
fn difference(covering: &[Interval], inner: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut k = 0;
    for c in covering {
        let mut from = i64::from(c.from);
        while k < inner.len() && inner[k].until <= c.until {
            let iv = inner[k];
            if i64::from(iv.from) > from {
                out.push(Interval { from: from as Day, until: iv.from - 1 });
            }
            from = i64::from(iv.until) + 1;
            k += 1;
        }
        if from <= i64::from(c.until) {
            out.push(Interval { from: from as Day, until: c.until });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(from: Day, until: Day) -> Interval {
        Interval { from, until }
    }

    #[test]
    fn union_and_difference() {
        assert_eq!(union(&[iv(1, 3), iv(10, 12)], &[iv(4, 5), iv(11, 20)]), [iv(1, 5), iv(10, 20)]);
        assert_eq!(difference(&[iv(1, 5), iv(10, 20)], &[iv(1, 3), iv(10, 12)]), [iv(4, 5), iv(13, 20)]);
        assert_eq!(difference(&[iv(1, 9)], &[iv(3, 4), iv(6, 7)]), [iv(1, 2), iv(5, 5), iv(8, 9)]);
        let open = iv(crate::facts::asof::DAWN, crate::facts::asof::FOREVER);
        assert_eq!(difference(&[open], &[open]), []);
    }

    #[test]
    fn merging_keeps_only_the_days_gained() {
        let rows = |list: &[(u32, Day, Day)]| {
            let mut t = Tuples::new(3);
            for &(v, f, u) in list {
                push_row(&mut t, &[v], iv(f, u));
            }
            t
        };
        let full = rows(&[(1, 1, 5), (3, 1, 1)]);
        let new = rows(&[(1, 3, 8), (2, 1, 1), (3, 1, 1)]);
        let (merged, gained) = merge(&full, &new);
        assert_eq!(merged, rows(&[(1, 1, 8), (2, 1, 1), (3, 1, 1)]));
        assert_eq!(gained, rows(&[(1, 6, 8), (2, 1, 1)]));
    }
}
