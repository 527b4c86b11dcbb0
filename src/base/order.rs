//! The order in which people see a relation's tuples: by value (numbers numerically, floats
//! with NaN last, symbols by string), never by interned id, so that output does not depend on load order. Every
//! stage that shows tuples (output, proofs, verdicts, diffs, pictures) sorts with this.

use crate::base::value::{Symbols, Tuples, Type, Value, display, numeric_key, to_number};
use itertools::Itertools;
use std::cmp::Ordering;

/// The order of the tuples of a relation as shown to users: indices into `tuples`.
pub fn display_order(tuples: &Tuples, types: &[Type], symbols: &Symbols) -> Vec<usize> {
    let mut order: Vec<usize> = (0..tuples.len()).collect();
    if types.iter().any(|t| matches!(t, Type::Symbol | Type::Record(_))) {
        // Ranking every symbol costs a sort of the whole table: worth it for many tuples,
        // not for a few (the changes `watch` shows, from a million-string table).
        let ranks = (tuples.len() >= symbols.len() / 8).then(|| symbol_ranks(symbols));
        order.sort_unstable_by(|&a, &b| {
            let (ta, tb) = (tuples.get(a), tuples.get(b));
            for ((&x, &y), &t) in ta.iter().zip(tb).zip(types) {
                match compare_values(x, y, t, ranks.as_deref(), symbols) {
                    Ordering::Equal => continue,
                    o => return o,
                }
            }
            Ordering::Equal
        });
    } else if types.iter().all(|&t| t == Type::Number) {
        order.sort_unstable_by(|&a, &b| {
            let (ta, tb) = (tuples.get(a), tuples.get(b));
            ta.iter().map(|&v| to_number(v)).cmp(tb.iter().map(|&v| to_number(v)))
        });
    } else {
        let key = |i: usize| tuples.get(i).iter().zip(types).map(|(&v, &t)| numeric_key(v, t));
        order.sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
    }
    order
}

/// Two values of type `t` in display order: numbers numerically, symbols by string (their
/// `rank`, if ranked), records field by field with `nil` first, never by id.
fn compare_values(x: Value, y: Value, t: Type, rank: Option<&[u32]>, symbols: &Symbols) -> Ordering {
    match t {
        Type::Symbol => match rank {
            Some(rank) => rank[x as usize].cmp(&rank[y as usize]),
            None => symbols.resolve(x).cmp(symbols.resolve(y)),
        },
        Type::Record(_) if x == y => Ordering::Equal,
        Type::Record(r) => {
            let records = &symbols.records;
            match (records.parts(r, x), records.parts(r, y)) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                // Branches in Soufflé's order (by name), then their fields.
                (Some(px), Some(py)) if px.branch != py.branch => px.branch.cmp(&py.branch),
                (Some(px), Some(py)) => {
                    for ((&a, &b), (_, ft)) in px.values.iter().zip(py.values).zip(px.types) {
                        match compare_values(a, b, *ft, rank, symbols) {
                            Ordering::Equal => continue,
                            o => return o,
                        }
                    }
                    Ordering::Equal
                }
            }
        }
        t => numeric_key(x, t).cmp(&numeric_key(y, t)),
    }
}

/// The display order without the index vector when none is needed: a relation of numbers
/// only, as the engine keeps it (sorted by value), is already in display order unless it holds
/// negative numbers (stored as `u32`, they sort after the others). One linear check finds out,
/// so writing 21 M rows costs no sort and no 170 MB of indices.
pub enum Order {
    /// The tuples as they are.
    Identity(usize),
    /// Indices into the tuples.
    Indices(Vec<usize>),
}

impl Order {
    /// The order of `tuples` as shown to users, without indices when none are needed.
    pub fn of(tuples: &Tuples, types: &[Type], symbols: &Symbols) -> Order {
        let in_order = types.iter().all(|&t| t == Type::Number)
            && (1..tuples.len()).all(|i| {
                let (a, b) = (tuples.get(i - 1), tuples.get(i));
                a.iter().map(|&v| to_number(v)).le(b.iter().map(|&v| to_number(v)))
            });
        if in_order { Order::Identity(tuples.len()) } else { Order::Indices(display_order(tuples, types, symbols)) }
    }

    /// Number of tuples.
    pub fn len(&self) -> usize {
        match self {
            Order::Identity(n) => *n,
            Order::Indices(v) => v.len(),
        }
    }

    /// Whether there are no tuples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of the tuple at `position` in display order.
    pub fn at(&self, position: usize) -> usize {
        match self {
            Order::Identity(_) => position,
            Order::Indices(v) => v[position],
        }
    }

    /// Tuple indices in display order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let (n, v) = match self {
            Order::Identity(n) => (*n, &[][..]),
            Order::Indices(v) => (0, &v[..]),
        };
        (0..n).chain(v.iter().copied())
    }
}

/// Position of each symbol id in string order.
fn symbol_ranks(symbols: &Symbols) -> Vec<u32> {
    let mut rank = vec![0u32; symbols.len()];
    for (i, (id, _)) in symbols.iter().sorted_unstable_by(|a, b| a.1.cmp(b.1)).enumerate() {
        rank[id as usize] = i as u32;
    }
    rank
}

/// Rows rendered as text, in display order.
pub fn sorted_rows(tuples: &Tuples, types: &[Type], symbols: &Symbols) -> Vec<Vec<String>> {
    display_order(tuples, types, symbols)
        .into_iter()
        .map(|i| tuples.get(i).iter().zip(types).map(|(&v, &t)| display(v, t, symbols)).collect())
        .collect()
}
