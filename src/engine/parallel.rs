//! All cores around datafrog (`--jobs N`, issue 16): datafrog's `Iteration` is
//! single-threaded (its variables are `Rc<RefCell<..>>`), so the evaluator does the heavy
//! set operations of each round itself, on rayon's thread pool, before datafrog sees them:
//! sorting and deduplicating a round's candidate tuples, dropping those a relation already
//! holds, folding the round's new tuples into the relation's sorted batches, and sorting the
//! rows of an index. Each is a set operation on sorted data, so its result does not depend on
//! how the work was split: output is byte-identical for any number of threads.
//!
//! Below [`MIN_PARALLEL`] elements, or on a pool of one thread, each runs sequentially.

use datafrog::{Relation, Variable};
use rayon::prelude::*;

/// Smaller inputs are not worth splitting (a rayon task costs a few microseconds).
pub const MIN_PARALLEL: usize = 1 << 14;

/// [`MIN_PARALLEL`], unless the environment variable `STANCE_PARALLEL_MIN` sets another
/// (read once): the tests set it low so that small inputs take the parallel paths too.
fn min_parallel() -> usize {
    static MIN: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MIN.get_or_init(|| {
        std::env::var("STANCE_PARALLEL_MIN")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n >= 4)
            .unwrap_or(MIN_PARALLEL)
    })
}

/// How many pieces to split `len` elements into: a few per thread, none under
/// [`MIN_PARALLEL`] / 4 elements.
pub fn pieces(len: usize) -> usize {
    let threads = rayon::current_num_threads();
    let min = min_parallel();
    if threads <= 1 || len < min { 1 } else { (threads * 4).min(len / (min / 4)).max(1) }
}

/// Sorts `v` and keeps the first of each run that `same` groups together.
pub fn sort_dedup_by<T: Ord + Send>(v: &mut Vec<T>, same: impl FnMut(&mut T, &mut T) -> bool) {
    if pieces(v.len()) > 1 {
        v.par_sort_unstable();
    } else {
        v.sort_unstable();
    }
    v.dedup_by(same);
}

/// Sorts `v` and removes duplicates.
pub fn sort_dedup<T: Ord + Send>(v: &mut Vec<T>) {
    sort_dedup_by(v, |a, b| a == b);
}

/// Keeps the candidates (sorted and unique by `key`) that none of `batches` (each sorted by
/// its first component) holds. The candidates are split into pieces, each finding its own
/// place in every batch by binary search.
pub fn retain_new<C, T, P>(candidates: &mut Vec<C>, key: impl Fn(&C) -> &T + Sync, batches: &[&[(T, P)]])
where
    C: Send + Sync + Copy,
    T: Ord + Sync,
    P: Sync,
{
    let n = pieces(candidates.len());
    if n <= 1 {
        retain_new_in(candidates, &key, batches);
        return;
    }
    let size = candidates.len().div_ceil(n);
    let kept: Vec<Vec<C>> = candidates
        .par_chunks(size)
        .map(|chunk| {
            let mut piece = chunk.to_vec();
            retain_new_in(&mut piece, &key, batches);
            piece
        })
        .collect();
    candidates.clear();
    for piece in kept {
        candidates.extend_from_slice(&piece);
    }
}

/// [`retain_new`] on one thread.
fn retain_new_in<C, T: Ord, P>(candidates: &mut Vec<C>, key: &impl Fn(&C) -> &T, batches: &[&[(T, P)]]) {
    let Some(first) = candidates.first() else { return };
    // Start at the first candidate's place: a piece of the candidates meets only part of
    // each batch.
    let starts: Vec<usize> = batches.iter().map(|b| b.partition_point(|(t, _)| t < key(first))).collect();
    for (batch, start) in batches.iter().zip(starts) {
        let mut slice = &batch[start..];
        // Galloping pays off only when the batch is much larger than the candidates.
        let large = slice.len() > 4 * candidates.len();
        candidates.retain(|c| {
            let row = key(c);
            if large {
                slice = gallop(slice, |(t, _)| t < row);
            } else {
                while slice.first().is_some_and(|(t, _)| t < row) {
                    slice = &slice[1..];
                }
            }
            slice.first().is_none_or(|(t, _)| t != row)
        });
    }
}

/// Datafrog's first step of `Iteration::changed` for one variable, in parallel: the recent
/// tuples join the stable batches, merged with the last batches while those are no more than
/// twice as large (the same geometric policy, so the batches are the ones datafrog would
/// make). Datafrog then finds `recent` empty and skips the step.
pub fn fold_recent<T: Ord + Copy + Send + Sync>(var: &Variable<T>) {
    let mut recent = std::mem::replace(&mut *var.recent.borrow_mut(), Relation { elements: Vec::new() }).elements;
    if recent.is_empty() {
        return;
    }
    let mut stable = var.stable.borrow_mut();
    while stable.last().is_some_and(|last| last.len() <= 2 * recent.len()) {
        let last = stable.pop().map(|r| r.elements).unwrap_or_default();
        recent = merge(last, recent);
    }
    stable.push(Relation { elements: recent });
}

/// Every tuple of a variable whose rounds are over, sorted: datafrog's `complete`, with the
/// batches merged on all cores (smallest first, so each merge is about as large as the
/// batches it joins).
pub fn complete<T: Ord + Copy + Send + Sync>(var: Variable<T>) -> Relation<T> {
    fold_recent(&var);
    let mut batches = std::mem::take(&mut *var.stable.borrow_mut());
    let mut all = batches.pop().map(|r| r.elements).unwrap_or_default();
    while let Some(batch) = batches.pop() {
        all = merge(batch.elements, all);
    }
    Relation { elements: all }
}

/// The union of two sorted, disjoint, duplicate-free vectors, sorted. Split at the same
/// values in both, the pieces are merged side by side into their places of the output.
pub fn merge<T: Ord + Copy + Send + Sync>(a: Vec<T>, b: Vec<T>) -> Vec<T> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    if a[a.len() - 1] < b[0] {
        let mut a = a;
        a.extend_from_slice(&b);
        return a;
    }
    let n = pieces(a.len() + b.len());
    // Every slot is overwritten; the first value only fills the vector meanwhile.
    let mut out = vec![a[0]; a.len() + b.len()];
    if n <= 1 {
        merge_into(&a, &b, &mut out);
        return out;
    }
    // Split points: `a` in equal pieces, `b` where each piece of `a` begins.
    let step = a.len().div_ceil(n);
    let mut parts = Vec::with_capacity(n);
    let mut rest = &mut out[..];
    let (mut a_at, mut b_at) = (0, 0);
    while a_at < a.len() {
        let a_end = (a_at + step).min(a.len());
        let b_end = if a_end == a.len() { b.len() } else { b.partition_point(|x| x < &a[a_end]) };
        let (here, later) = rest.split_at_mut((a_end - a_at) + (b_end - b_at));
        parts.push((&a[a_at..a_end], &b[b_at..b_end], here));
        rest = later;
        (a_at, b_at) = (a_end, b_end);
    }
    parts.into_par_iter().for_each(|(x, y, dest)| merge_into(x, y, dest));
    out
}

/// Merges two sorted slices into `out` (exactly as long as both).
fn merge_into<T: Ord + Copy>(mut a: &[T], mut b: &[T], out: &mut [T]) {
    for slot in out.iter_mut() {
        let take_a = match (a.first(), b.first()) {
            (Some(x), Some(y)) => x <= y,
            (Some(_), None) => true,
            _ => false,
        };
        if take_a {
            *slot = a[0];
            a = &a[1..];
        } else {
            *slot = b[0];
            b = &b[1..];
        }
    }
}

/// Skips the prefix of `slice` whose elements satisfy `less`, in logarithmic steps.
pub fn gallop<T>(mut slice: &[T], mut less: impl FnMut(&T) -> bool) -> &[T] {
    if slice.first().is_some_and(&mut less) {
        let mut step = 1;
        while step < slice.len() && less(&slice[step]) {
            slice = &slice[step..];
            step <<= 1;
        }
        step >>= 1;
        while step > 0 {
            if step < slice.len() && less(&slice[step]) {
                slice = &slice[step..];
            }
            step >>= 1;
        }
        slice = &slice[1..];
    }
    slice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    /// Pseudo-random sorted, unique vectors (SplitMix64), `a` and `b` disjoint.
    fn inputs(n: usize) -> (Vec<u64>, Vec<u64>) {
        let mut x = 7u64;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z ^ (z >> 27)
        };
        let mut all: Vec<u64> = (0..2 * n).map(|_| next() % (8 * n as u64)).collect();
        all.sort_unstable();
        all.dedup();
        let (a, b): (Vec<_>, Vec<_>) = all.iter().partition(|v| *v % 3 == 0);
        (a, b)
    }

    #[test]
    fn merge_is_the_sorted_union_for_any_threads() {
        for n in [0, 1, 10, MIN_PARALLEL, 5 * MIN_PARALLEL] {
            let (a, b) = inputs(n);
            let mut expected = [a.clone(), b.clone()].concat();
            expected.sort_unstable();
            for threads in [1, 2, 4] {
                let got = pool(threads).install(|| merge(a.clone(), b.clone()));
                assert_eq!(got, expected, "n {n}, {threads} threads");
            }
        }
    }

    #[test]
    fn retain_new_drops_what_the_batches_hold_for_any_threads() {
        let (a, b) = inputs(5 * MIN_PARALLEL);
        let batches: Vec<Vec<(u64, ())>> =
            vec![a.iter().step_by(2).map(|&v| (v, ())).collect(), b.iter().step_by(3).map(|&v| (v, ())).collect()];
        let slices: Vec<&[(u64, ())]> = batches.iter().map(|b| &b[..]).collect();
        let mut candidates = [a.clone(), b.clone()].concat();
        candidates.sort_unstable();
        let expected: Vec<u64> = candidates
            .iter()
            .copied()
            .filter(|v| !batches.iter().any(|b| b.binary_search(&(*v, ())).is_ok()))
            .collect();
        for threads in [1, 2, 4] {
            let mut got = candidates.clone();
            pool(threads).install(|| retain_new(&mut got, |v| v, &slices));
            assert_eq!(got, expected, "{threads} threads");
        }
    }
}
