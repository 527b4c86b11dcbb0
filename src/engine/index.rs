//! Indices over complete relations: the tuples sorted by a key, and the datafrog leaper that
//! extends a tuple with the matching ones.
//!
//! Finding the tuples of a key by binary search costs a dozen unpredictable branches per
//! probe, and rules probe once per tuple of the relation they extend (21 M times for the
//! transitive closure of the benchmark). When the key is one column whose values lie close
//! together, as symbol ids and small numbers do, the index also keeps the offset at which
//! each value's tuples start, so a probe is two array reads.

use crate::base::value::Value;
use datafrog::{Leaper, Leapers, Relation};

/// A complete relation's tuples keyed for lookup: `(key, tuple)` pairs sorted by key.
pub struct Index<K: Ord, T: Ord> {
    pairs: Relation<(K, T)>,
    dense: Option<Dense>,
}

/// Start offsets per key value, for keys in `min ..= min + starts.len() - 2`.
struct Dense {
    min: Value,
    starts: Vec<u32>,
}

/// A key whose first column may allow direct addressing.
pub trait Key: Ord + Copy {
    /// The key's first column.
    fn first(&self) -> Value;
}

impl<const R: usize> Key for [Value; R] {
    fn first(&self) -> Value {
        self[0]
    }
}

impl<K: Key, T: Ord> Index<K, T> {
    /// Builds the index; `single_column` says whether keys are one column wide (so that the
    /// dense table may be used).
    pub fn new(pairs: Vec<(K, T)>, single_column: bool) -> Index<K, T> {
        let pairs = Relation::from_vec(pairs);
        let dense = if single_column { Dense::build(&pairs) } else { None };
        Index { pairs, dense }
    }

    /// The pairs whose key equals `key`.
    #[inline]
    pub fn matching(&self, key: &K) -> &[(K, T)] {
        let (start, end) = self.range(key);
        &self.pairs[start..end]
    }

    #[inline]
    fn range(&self, key: &K) -> (usize, usize) {
        if let Some(d) = &self.dense {
            let i = key.first().wrapping_sub(d.min) as usize;
            return match (d.starts.get(i), d.starts.get(i + 1)) {
                (Some(&s), Some(&e)) => (s as usize, e as usize),
                _ => (0, 0),
            };
        }
        let start = self.pairs.partition_point(|(k, _)| k < key);
        let len = self.pairs[start..].partition_point(|(k, _)| k == key);
        (start, start + len)
    }

    /// A leaper proposing, for a tuple of the relation being extended, the tuples whose key
    /// `key_of` gives.
    pub fn extend_with<'l, Tuple, F: Fn(&Tuple) -> K>(&'l self, key_of: F) -> ExtendWith<'l, K, T, F> {
        ExtendWith { index: self, key_of, start: 0, end: 0 }
    }
}

impl Dense {
    /// Worth building when the keys span at most a few times as many values as there are
    /// tuples (the table costs 4 bytes per value in the span).
    fn build<K: Key, T>(pairs: &[(K, T)]) -> Option<Dense> {
        let (first, last) = (pairs.first()?.0.first(), pairs.last()?.0.first());
        let span = (last - first) as usize + 1;
        if span > 4 * pairs.len() + 1024 || pairs.len() >= u32::MAX as usize {
            return None;
        }
        let mut starts = Vec::with_capacity(span + 1);
        let mut next = 0;
        for value in 0..span {
            let v = first + value as Value;
            while next < pairs.len() && pairs[next].0.first() < v {
                next += 1;
            }
            starts.push(next as u32);
        }
        starts.push(pairs.len() as u32);
        Some(Dense { min: first, starts })
    }
}

/// datafrog's `ExtendWith`, over an [`Index`].
pub struct ExtendWith<'l, K: Ord, T: Ord, F> {
    index: &'l Index<K, T>,
    key_of: F,
    start: usize,
    end: usize,
}

impl<'l, K: Key, T: Ord, Tuple, F: Fn(&Tuple) -> K> Leaper<'l, Tuple, T> for ExtendWith<'l, K, T, F> {
    fn count(&mut self, prefix: &Tuple) -> usize {
        (self.start, self.end) = self.index.range(&(self.key_of)(prefix));
        self.end - self.start
    }

    fn propose(&mut self, _: &Tuple, values: &mut Vec<&'l T>) {
        values.extend(self.index.pairs[self.start..self.end].iter().map(|(_, t)| t));
    }

    fn intersect(&mut self, _: &Tuple, values: &mut Vec<&'l T>) {
        let slice = &self.index.pairs[self.start..self.end];
        values.retain(|v| slice.binary_search_by(|(_, t)| t.cmp(v)).is_ok());
    }
}

impl<'l, K: Key, T: Ord, Tuple, F: Fn(&Tuple) -> K> Leapers<'l, Tuple, T> for ExtendWith<'l, K, T, F> {
    fn for_each_count(&mut self, tuple: &Tuple, mut op: impl FnMut(usize, usize)) {
        op(0, self.count(tuple))
    }

    fn propose(&mut self, tuple: &Tuple, min_index: usize, values: &mut Vec<&'l T>) {
        debug_assert_eq!(min_index, 0);
        Leaper::propose(self, tuple, values)
    }

    fn intersect(&mut self, _: &Tuple, _: usize, _: &mut Vec<&'l T>) {
        // A single leaper: nothing else restricts its proposals.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(keys: &[Value]) -> Vec<([Value; 2], [Value; 2])> {
        keys.iter().enumerate().map(|(i, &k)| ([k, 0], [k, i as Value])).collect()
    }

    #[test]
    fn dense_and_sorted_lookups_agree() {
        let keys = [5, 5, 7, 9, 9, 9, 12, u32::MAX - 1];
        let sparse = Index::new(pairs(&keys), false);
        // The last key makes the span too wide for a dense table; drop it for the dense one.
        let dense = Index::new(pairs(&keys[..7]), true);
        assert!(dense.dense.is_some() && sparse.dense.is_none());
        for k in [0, 4, 5, 6, 7, 8, 9, 12, 13, u32::MAX - 1, u32::MAX] {
            let want: Vec<Value> = keys[..7].iter().filter(|&&x| x == k).map(|_| k).collect();
            let got: Vec<Value> = dense.matching(&[k, 0]).iter().map(|(key, _)| key[0]).collect();
            assert_eq!(got, want, "dense, key {k}");
            let got = sparse.matching(&[k, 0]).len();
            assert_eq!(got, keys.iter().filter(|&&x| x == k).count(), "sorted, key {k}");
        }
    }

    #[test]
    fn empty_index_matches_nothing() {
        let index: Index<[Value; 2], [Value; 2]> = Index::new(Vec::new(), true);
        assert!(index.matching(&[0, 0]).is_empty());
    }
}
