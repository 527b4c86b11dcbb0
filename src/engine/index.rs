//! Indices over complete relations: the rows permuted into a column order and sorted, so
//! that the rows agreeing with bound values on the order's first `k` columns are one range,
//! and the datafrog leaper that extends a tuple with them.
//!
//! One index serves every lookup whose bound columns are a prefix of its order (Soufflé's
//! lexicographic indexes; the planner picks the orders, see `engine::select`). A row is
//! stored once per index, permuted, so an index costs one copy of the relation.
//!
//! Finding a range by binary search costs a dozen unpredictable branches per probe, and
//! rules probe once per tuple of the relation they extend (21 M times for the transitive
//! closure of the benchmark). When the first column's values lie close together, as symbol
//! ids and small numbers do, the index also keeps the offset at which each value's rows
//! start, so a probe by one column is two array reads (and a longer probe starts there).

use crate::base::value::Value;
use datafrog::{Leaper, Leapers};

/// A complete relation's rows, each permuted into the index's order, sorted, unique.
pub struct Index<const R: usize> {
    rows: Vec<[Value; R]>,
    dense: Option<Dense>,
}

/// Start offsets per first-column value, for values in `min ..= min + starts.len() - 2`.
struct Dense {
    min: Value,
    starts: Vec<u32>,
}

impl<const R: usize> Index<R> {
    /// Builds the index from permuted rows (any order, duplicates allowed).
    pub fn new(mut rows: Vec<[Value; R]>) -> Index<R> {
        crate::engine::parallel::sort_dedup(&mut rows);
        let dense = Dense::build(&rows);
        Index { rows, dense }
    }

    /// Every row, in the index's order.
    pub fn rows(&self) -> &[[Value; R]] {
        &self.rows
    }

    /// The rows whose first `len` columns equal `key`'s first `len` values.
    #[inline]
    pub fn matching(&self, key: &[Value; R], len: usize) -> &[[Value; R]] {
        let (start, end) = self.range(key, len);
        &self.rows[start..end]
    }

    /// The bounds of [`Index::matching`] in [`Index::rows`].
    #[inline]
    pub fn range(&self, key: &[Value; R], len: usize) -> (usize, usize) {
        if len == 0 {
            return (0, self.rows.len());
        }
        let (mut start, mut end) = (0, self.rows.len());
        let mut from = 0;
        if let Some(d) = &self.dense {
            let i = key[0].wrapping_sub(d.min) as usize;
            (start, end) = match (d.starts.get(i), d.starts.get(i + 1)) {
                (Some(&s), Some(&e)) => (s as usize, e as usize),
                _ => return (0, 0),
            };
            from = 1;
        }
        if from < len {
            let (key, slice) = (&key[from..len], &self.rows[start..end]);
            let lo = slice.partition_point(|r| &r[from..len] < key);
            let hi = lo + slice[lo..].partition_point(|r| &r[from..len] == key);
            (start, end) = (start + lo, start + hi);
        }
        (start, end)
    }

    /// Whether some row of `start..end` (rows agreeing on the columns before `col`, hence
    /// sorted by `col`) has `value` in column `col`.
    #[inline]
    pub fn has_value(&self, (start, end): (usize, usize), col: usize, value: Value) -> bool {
        self.rows[start..end].binary_search_by(|r| r[col].cmp(&value)).is_ok()
    }

    /// A leaper proposing, for a tuple of the relation being extended, the rows whose first
    /// `len` columns equal the key `key_of` gives.
    pub fn extend_with<'l, Tuple, F: Fn(&Tuple) -> [Value; R]>(
        &'l self,
        len: usize,
        key_of: F,
    ) -> ExtendWith<'l, R, F> {
        ExtendWith { index: self, len, key_of, start: 0, end: 0 }
    }
}

impl Dense {
    /// Worth building when the first column spans at most a few times as many values as
    /// there are rows (the table costs 4 bytes per value in the span).
    fn build<const R: usize>(rows: &[[Value; R]]) -> Option<Dense> {
        if R == 0 {
            return None;
        }
        let (first, last) = (rows.first()?[0], rows.last()?[0]);
        let span = (last - first) as usize + 1;
        if span > 4 * rows.len() + 1024 || rows.len() >= u32::MAX as usize {
            return None;
        }
        let mut starts = Vec::with_capacity(span + 1);
        let mut next = 0;
        for value in 0..span {
            let v = first + value as Value;
            while next < rows.len() && rows[next][0] < v {
                next += 1;
            }
            starts.push(next as u32);
        }
        starts.push(rows.len() as u32);
        Some(Dense { min: first, starts })
    }
}

/// datafrog's `ExtendWith`, over an [`Index`] probed by a prefix.
pub struct ExtendWith<'l, const R: usize, F> {
    index: &'l Index<R>,
    len: usize,
    key_of: F,
    start: usize,
    end: usize,
}

impl<'l, const R: usize, Tuple, F: Fn(&Tuple) -> [Value; R]> Leaper<'l, Tuple, [Value; R]> for ExtendWith<'l, R, F> {
    fn count(&mut self, prefix: &Tuple) -> usize {
        (self.start, self.end) = self.index.range(&(self.key_of)(prefix), self.len);
        self.end - self.start
    }

    fn propose(&mut self, _: &Tuple, values: &mut Vec<&'l [Value; R]>) {
        values.extend(self.index.rows[self.start..self.end].iter());
    }

    fn intersect(&mut self, _: &Tuple, values: &mut Vec<&'l [Value; R]>) {
        let slice = &self.index.rows[self.start..self.end];
        values.retain(|v| slice.binary_search(v).is_ok());
    }
}

impl<'l, const R: usize, Tuple, F: Fn(&Tuple) -> [Value; R]> Leapers<'l, Tuple, [Value; R]> for ExtendWith<'l, R, F> {
    fn for_each_count(&mut self, tuple: &Tuple, mut op: impl FnMut(usize, usize)) {
        op(0, self.count(tuple))
    }

    fn propose(&mut self, tuple: &Tuple, min_index: usize, values: &mut Vec<&'l [Value; R]>) {
        debug_assert_eq!(min_index, 0);
        Leaper::propose(self, tuple, values)
    }

    fn intersect(&mut self, _: &Tuple, _: usize, _: &mut Vec<&'l [Value; R]>) {
        // A single leaper: nothing else restricts its proposals.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows `[k, i, 7]` for the keys given (`i` their position).
    fn rows(keys: &[Value]) -> Vec<[Value; 3]> {
        keys.iter().enumerate().map(|(i, &k)| [k, i as Value, 7]).collect()
    }

    #[test]
    fn dense_and_sorted_lookups_agree() {
        let keys = [5, 5, 7, 9, 9, 9, 12, u32::MAX - 1];
        // The last key makes the span too wide for a dense table; drop it for the dense one.
        let sparse = Index::new(rows(&keys));
        let dense = Index::new(rows(&keys[..7]));
        assert!(dense.dense.is_some() && sparse.dense.is_none());
        for k in [0, 4, 5, 6, 7, 8, 9, 12, 13, u32::MAX - 1, u32::MAX] {
            let want: Vec<Value> = keys[..7].iter().filter(|&&x| x == k).map(|_| k).collect();
            let got: Vec<Value> = dense.matching(&[k, 0, 0], 1).iter().map(|r| r[0]).collect();
            assert_eq!(got, want, "dense, key {k}");
            let got = sparse.matching(&[k, 0, 0], 1).len();
            assert_eq!(got, keys.iter().filter(|&&x| x == k).count(), "sorted, key {k}");
            // Two columns: the dense table narrows by the first, binary search by the second.
            for i in 0..8 {
                let want = keys[..7].get(i as usize).is_some_and(|&x| x == k) as usize;
                assert_eq!(dense.matching(&[k, i, 0], 2).len(), want, "dense, key {k}, {i}");
                let want = keys.get(i as usize).is_some_and(|&x| x == k) as usize;
                assert_eq!(sparse.matching(&[k, i, 0], 2).len(), want, "sorted, key {k}, {i}");
            }
        }
        assert_eq!(dense.matching(&[0, 0, 0], 0).len(), 7, "an empty prefix matches every row");
    }

    #[test]
    fn empty_index_matches_nothing() {
        let index: Index<2> = Index::new(Vec::new());
        assert!(index.matching(&[0, 0], 1).is_empty());
        assert!(index.matching(&[0, 0], 0).is_empty());
    }

    #[test]
    fn values_of_the_column_after_the_prefix_are_found() {
        let index = Index::new(vec![[1, 4, 0], [1, 2, 9], [1, 4, 1], [2, 3, 0]]);
        let range = index.range(&[1, 0, 0], 1);
        assert!(index.has_value(range, 1, 4) && index.has_value(range, 1, 2));
        assert!(!index.has_value(range, 1, 3));
    }
}
