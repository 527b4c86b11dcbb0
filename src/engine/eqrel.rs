//! The closure of an `eqrel` relation, kept as Soufflé keeps it: a union-find over the
//! pairs its rules and inputs produce. Each union reports exactly the pairs it adds (the
//! product of the two classes, both ways), which is the delta semi-naive evaluation needs;
//! the three closure rules are never joined, so a class of n members costs n² pairs
//! written once instead of the transitive rule's n³ join work.
//!
//! When no rule reads the relation and its caller only counts it and writes it out
//! (`EvalOptions::hold_classes`), the pairs are not listed at all: the model keeps the
//! classes ([`Partition`]), whose size is Σ n², and writes their pairs class by class.

use crate::base::order::display_order;
use crate::base::value::{Symbols, Tuples, Type, Value};
use rustc_hash::FxHashMap;

/// Equivalence classes over the values seen so far, with their members: union by size, and
/// the smaller class's members relabelled, so each value moves at most log₂ n times. The
/// member lists are what a union must enumerate, so a forest without them would not do.
#[derive(Debug, Default)]
pub struct Classes {
    class_of: FxHashMap<Value, usize>,
    members: Vec<Vec<Value>>,
    /// Pairs of the closure: Σ n² over the classes, counted without listing them.
    pairs: u64,
}

impl Classes {
    /// Adds the pair `(a, b)`: pushes onto `out` (when given) every pair of the closure it
    /// adds, that is `(x, x)` for a value not seen before, and, when it joins two classes A
    /// and B, every `(x, y)` and `(y, x)` with x in A and y in B. When the closure would then
    /// hold more than `limit` pairs, adds nothing and returns that number instead.
    pub fn add(
        &mut self,
        a: Value,
        b: Value,
        limit: Option<u64>,
        mut out: Option<&mut Vec<(Value, Value)>>,
    ) -> Result<(), u64> {
        let size = |v: Value| self.class_of.get(&v).map_or(1, |&c| self.members[c].len() as u64);
        let (na, nb) = (size(a), size(b));
        let joined = match (self.class_of.get(&a), self.class_of.get(&b)) {
            (Some(x), Some(y)) if x == y => 0,
            _ if a == b => 0,
            _ => 2 * na * nb,
        };
        let fresh = u64::from(!self.class_of.contains_key(&a)) + u64::from(a != b && !self.class_of.contains_key(&b));
        let after = self.pairs + fresh + joined;
        if limit.is_some_and(|l| after > l) {
            return Err(after);
        }
        self.pairs = after;
        let ca = self.class(a, out.as_deref_mut());
        let cb = self.class(b, out.as_deref_mut());
        if ca == cb {
            return Ok(());
        }
        let (big, small) = if self.members[ca].len() >= self.members[cb].len() { (ca, cb) } else { (cb, ca) };
        let moved = std::mem::take(&mut self.members[small]);
        if let Some(out) = out {
            for &x in &moved {
                for &y in &self.members[big] {
                    out.push((x, y));
                    out.push((y, x));
                }
            }
        }
        for &x in &moved {
            self.class_of.insert(x, big);
        }
        self.members[big].extend(moved);
        Ok(())
    }

    /// The number of pairs in the closure.
    pub fn pairs(&self) -> u64 {
        self.pairs
    }

    /// The class of `v`, a new singleton (whose pair `(v, v)` goes to `out`) if unseen.
    fn class(&mut self, v: Value, out: Option<&mut Vec<(Value, Value)>>) -> usize {
        if let Some(&c) = self.class_of.get(&v) {
            return c;
        }
        let c = self.members.len();
        self.members.push(vec![v]);
        self.class_of.insert(v, c);
        if let Some(out) = out {
            out.push((v, v));
        }
        c
    }

    /// The classes, without the lookup table that building them needed.
    pub fn into_partition(self) -> Partition {
        let classes = self.members.into_iter().filter(|m| !m.is_empty()).collect();
        Partition { classes, pairs: self.pairs }
    }
}

/// An `eqrel` relation held as its classes: the pair `(x, y)` holds when x and y are members
/// of one class. Σ n² pairs in the memory of Σ n values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partition {
    classes: Vec<Vec<Value>>,
    pairs: u64,
}

impl Partition {
    /// The number of pairs: Σ n² over the classes.
    pub fn pairs(&self) -> u64 {
        self.pairs
    }

    /// Every pair in the order people see a relation of two `ty` columns
    /// (`base::order`): by first value, then second. Since `(x, y)` holds for every y of
    /// x's class, that is each value in display order followed by its class in display
    /// order; memory stays linear in the members.
    pub fn pairs_in_display_order(&self, ty: Type, symbols: &Symbols) -> impl Iterator<Item = [Value; 2]> + use<> {
        let mut all = Tuples::new(1);
        let mut class_of = Vec::new();
        for (c, members) in self.classes.iter().enumerate() {
            for &v in members {
                all.push(&[v]);
                class_of.push(c);
            }
        }
        let order = display_order(&all, &[ty], symbols);
        // Each class's members in display order, and the members with their class in it.
        let mut sorted: Vec<Vec<Value>> = vec![Vec::new(); self.classes.len()];
        let mut firsts = Vec::with_capacity(order.len());
        for i in order {
            sorted[class_of[i]].push(all.get(i)[0]);
            firsts.push((all.get(i)[0], class_of[i]));
        }
        let sorted = std::rc::Rc::new(sorted);
        firsts.into_iter().flat_map(move |(x, c)| {
            let sorted = sorted.clone();
            (0..sorted[c].len()).map(move |k| [x, sorted[c][k]])
        })
    }

    /// The pairs matching `pattern` (`Some` for a bound column), sorted by value: a bound
    /// value's class, never the others'.
    pub fn matching(&self, pattern: [Option<Value>; 2]) -> Tuples {
        let class_of = |v: Value| self.classes.iter().find(|c| c.contains(&v));
        let mut rows: Vec<[Value; 2]> = match pattern {
            [Some(x), Some(y)] => class_of(x).filter(|c| c.contains(&y)).map(|_| vec![[x, y]]).unwrap_or_default(),
            [Some(x), None] => class_of(x).map(|c| c.iter().map(|&y| [x, y]).collect()).unwrap_or_default(),
            [None, Some(y)] => class_of(y).map(|c| c.iter().map(|&x| [x, y]).collect()).unwrap_or_default(),
            [None, None] => return self.to_tuples(),
        };
        rows.sort_unstable();
        let mut tuples = Tuples::new(2);
        rows.iter().for_each(|row| tuples.push(row));
        tuples
    }

    /// Every pair, as the engine keeps a relation (sorted by value, no duplicates).
    pub fn to_tuples(&self) -> Tuples {
        let mut rows: Vec<[Value; 2]> = Vec::with_capacity(usize::try_from(self.pairs).unwrap_or(0));
        for class in &self.classes {
            for &x in class {
                rows.extend(class.iter().map(|&y| [x, y]));
            }
        }
        rows.sort_unstable();
        let mut tuples = Tuples::new(2);
        rows.iter().for_each(|row| tuples.push(row));
        tuples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closure(pairs: &[(Value, Value)]) -> Vec<(Value, Value)> {
        let mut classes = Classes::default();
        let mut out = Vec::new();
        for &(a, b) in pairs {
            classes.add(a, b, None, Some(&mut out)).expect("no limit");
        }
        let n = out.len();
        assert_eq!(classes.pairs(), n as u64);
        out.sort_unstable();
        out.dedup();
        assert_eq!(out.len(), n, "each pair is added once");
        out
    }

    #[test]
    fn unions_add_exactly_the_pairs_of_the_closure() {
        assert_eq!(closure(&[(1, 2)]), vec![(1, 1), (1, 2), (2, 1), (2, 2)]);
        assert_eq!(closure(&[(3, 3)]), vec![(3, 3)]);
        // Two classes {1,2} and {3,4} merged by (2, 3): all 16 pairs, each once.
        let all: Vec<(Value, Value)> = (1..=4).flat_map(|a| (1..=4).map(move |b| (a, b))).collect();
        assert_eq!(closure(&[(1, 2), (4, 3), (2, 3), (1, 4)]), all);
        assert_eq!(closure(&[(1, 2), (5, 6)]).len(), 8);
    }

    #[test]
    fn held_classes_have_the_pairs_a_listing_union_find_produces() {
        let input = [(5, 1), (2, 2), (1, 9), (7, 8), (9, 5), (8, 3)];
        let mut held = Classes::default();
        for &(a, b) in &input {
            held.add(a, b, None, None).expect("no limit");
        }
        let partition = held.into_partition();
        let listed = closure(&input);
        assert_eq!(partition.pairs(), listed.len() as u64);
        let tuples = partition.to_tuples();
        assert_eq!(tuples.iter().map(|t| (t[0], t[1])).collect::<Vec<_>>(), listed);
        // Numbers in display order are in value order here (no negative numbers).
        let shown: Vec<(Value, Value)> =
            partition.pairs_in_display_order(Type::Number, &Symbols::default()).map(|[x, y]| (x, y)).collect();
        assert_eq!(shown, listed);
    }

    #[test]
    fn a_union_beyond_the_limit_adds_nothing() {
        let mut classes = Classes::default();
        let mut out = Vec::new();
        classes.add(1, 2, Some(4), Some(&mut out)).expect("4 pairs");
        classes.add(3, 4, Some(8), Some(&mut out)).expect("8 pairs");
        assert_eq!(classes.add(2, 3, Some(15), Some(&mut out)), Err(16));
        assert_eq!((classes.pairs(), out.len()), (8, 8));
        classes.add(2, 3, Some(16), Some(&mut out)).expect("16 pairs");
        assert_eq!((classes.pairs(), out.len()), (16, 16));
    }
}
