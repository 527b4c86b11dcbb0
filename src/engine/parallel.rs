//! All cores around datafrog (`--jobs N`, issue 16): datafrog's `Iteration` is
//! single-threaded (its variables are `Rc<RefCell<..>>`), so the evaluator does the heavy
//! set operations of each round itself, on rayon's thread pool, before datafrog sees them:
//! sorting and deduplicating a round's candidate tuples, dropping those a relation already
//! holds, folding the round's new tuples into the relation's sorted batches, and sorting the
//! rows of an index. Each is a set operation on sorted data, so its result does not depend on
//! how the work was split: output is byte-identical for any number of threads.
//!
//! The rules themselves are split with the helpers here too: a rule's source tuples in
//! pieces ([`split`]), a join of two sorted relations by key ranges ([`split_join`]), each
//! piece run on its own thread and the results concatenated in the pieces' order
//! ([`in_order`]), which is what one thread would have produced, in the same order. Output
//! rows are formatted in blocks the same way ([`blocks_in_order`]).
//!
//! Below [`MIN_PARALLEL`] elements, or on a pool of one thread, each runs sequentially.

use datafrog::{Relation, Variable};

/// Smaller inputs are not worth splitting. Measured (BENCHMARKS.md, issue 16): a
/// `rayon::scope` of two tasks, called from the evaluating thread, costs 17–50 µs on this
/// shared machine, and a round's work costs 100–200 ns per tuple (extending, sorting,
/// checking against the relation), so 4,096 tuples (0.4–0.8 ms) gain several times what
/// their split costs. It was 16,384, which left chains' last 160 of 300 rounds, and their
/// check against the relation (a third of its time), on one thread.
pub const MIN_PARALLEL: usize = 1 << 12;

/// How many elements a merge or copy moves in the time a round's work takes per tuple
/// (about 2 ns against 100 ns): merges and copies split only when this many times
/// [`MIN_PARALLEL`] elements, the same threshold in time.
const COPY_COST: usize = 32;

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

/// A value of all zero bits. Vectors of blanks are allocated zeroed (`vec![blank; n]` asks
/// the allocator for zeroed memory instead of filling it, for integers, arrays of up to 16 and
/// tuples of them), so the pages of a large merge's output are first touched by the threads
/// that fill it, not filled once on the calling thread beforehand: that fill was a serial
/// pass over every merged tuple of every round. Implement it only for such types: a
/// struct, even a newtype of an integer, is filled element by element (provenance's
/// annotations were, until they became a plain `u32`).
pub trait Blank: Copy {
    /// The all-zero value.
    const BLANK: Self;
}

impl Blank for () {
    const BLANK: Self = ();
}

impl Blank for u8 {
    const BLANK: Self = 0;
}

impl Blank for u32 {
    const BLANK: Self = 0;
}

impl Blank for u64 {
    const BLANK: Self = 0;
}

impl<T: Blank, const N: usize> Blank for [T; N] {
    const BLANK: Self = [T::BLANK; N];
}

impl<A: Blank, B: Blank> Blank for (A, B) {
    const BLANK: Self = (A::BLANK, B::BLANK);
}

/// A vector of `len` blanks, to be overwritten.
pub fn blanks<T: Blank>(len: usize) -> Vec<T> {
    vec![T::BLANK; len]
}

/// How many pieces to split `len` elements into: a few per thread, none under
/// [`MIN_PARALLEL`] / 4 elements.
pub fn pieces(len: usize) -> usize {
    let threads = rayon::current_num_threads();
    let min = min_parallel();
    if threads <= 1 || len < min { 1 } else { (threads * 4).min(len / (min / 4)).max(1) }
}

/// How many pieces to split a merge or copy of `len` elements into (see [`COPY_COST`]).
fn copy_pieces(len: usize) -> usize {
    pieces(len / COPY_COST)
}

/// Frees `v` on a worker thread when it is large and there are workers: returning a large
/// vector's pages to the kernel (`munmap`) was a tenth of the evaluating thread's time with
/// two threads (`perf`, tc), spent while the workers waited for the next round.
pub fn free_beside<T: Send + 'static>(v: Vec<T>) {
    if copy_pieces(v.len()) > 1 {
        rayon::spawn(move || drop(v));
    }
}

/// A piece of work for [`run_side_by_side`].
type Task<'a> = Box<dyn FnOnce() + Send + 'a>;

/// Runs the tasks side by side on rayon's pool. One function for every use, over boxed
/// tasks: the evaluator is instantiated for many row widths, and rayon's generic iterators
/// and sort, used here at first, made the binary 3 MB larger.
fn run_side_by_side(tasks: Vec<Task<'_>>) {
    if tasks.len() <= 1 {
        tasks.into_iter().for_each(|task| task());
        return;
    }
    rayon::scope(|s| {
        for task in tasks {
            s.spawn(move |_| task());
        }
    });
}

/// Runs `work` on each item side by side on rayon's pool.
fn side_by_side<'a, T: Send + 'a>(items: Vec<T>, work: &'a (impl Fn(T) + Sync)) {
    run_side_by_side(items.into_iter().map(|item| Box::new(move || work(item)) as Task<'a>).collect());
}

/// `work` on each item side by side on rayon's pool; the results in the items' order, so
/// that concatenating them gives what one thread would have produced.
pub fn in_order<I: Send, O: Send>(items: Vec<I>, work: impl Fn(I) -> O + Sync) -> Vec<O> {
    let mut outs: Vec<Option<O>> = items.iter().map(|_| None).collect();
    side_by_side(items.into_iter().zip(outs.iter_mut()).collect(), &|(item, out): (I, &mut Option<O>)| {
        *out = Some(work(item));
    });
    outs.into_iter().flatten().collect()
}

/// `work` on consecutive ranges of `0..len`, `block` positions each, a few side by side (one
/// per thread), each result handed to `sink` in order: output of any length, produced on all
/// cores in bounded memory. Stops at the first error of `sink`.
pub fn blocks_in_order<O: Send, E>(
    len: usize,
    block: usize,
    work: impl Fn(std::ops::Range<usize>) -> O + Sync,
    mut sink: impl FnMut(O) -> Result<(), E>,
) -> Result<(), E> {
    let per_batch = block.max(1) * rayon::current_num_threads();
    let mut start = 0;
    while start < len {
        let end = (start + per_batch).min(len);
        let ranges: Vec<_> = (start..end).step_by(block.max(1)).map(|s| s..(s + block.max(1)).min(end)).collect();
        for out in in_order(ranges, &work) {
            sink(out)?;
        }
        start = end;
    }
    Ok(())
}

/// `source` cut into [`pieces`] pieces of about equal length, in order.
pub fn split<S>(source: &[S]) -> Vec<&[S]> {
    let n = pieces(source.len());
    if n <= 1 {
        return vec![source];
    }
    source.chunks(source.len().div_ceil(n)).collect()
}

/// `source` (sorted by `key`) cut into about [`pieces`] pieces, in order, each cut moved
/// forward to the end of its key's run: no key's elements are split, so what each piece
/// derives for its own keys is disjoint from, and ordered before, the next piece's.
pub fn split_by_key<S, K: Ord>(source: &[S], key: impl Fn(&S) -> K) -> Vec<&[S]> {
    let n = pieces(source.len());
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    for i in 1..n {
        let cut = i * source.len() / n;
        if cut <= at {
            continue;
        }
        let last = key(&source[cut - 1]);
        let end = cut + source[cut..].partition_point(|s| key(s) <= last);
        out.push(&source[at..end]);
        at = end;
    }
    if at < source.len() || out.is_empty() {
        out.push(&source[at..]);
    }
    out
}

/// The parts one after the other, copied side by side into one vector (allocated blank, so
/// its pages are first touched by the copying threads).
pub fn concat<T: Blank + Send + Sync>(mut parts: Vec<Vec<T>>) -> Vec<T> {
    let len: usize = parts.iter().map(Vec::len).sum();
    if parts.len() <= 1 || copy_pieces(len) <= 1 {
        let mut all = if parts.is_empty() { Vec::new() } else { parts.remove(0) };
        all.reserve(len - all.len());
        parts.iter().for_each(|p| all.extend_from_slice(p));
        return all;
    }
    let mut all = blanks(len);
    let mut rest = &mut all[..];
    let mut tasks = Vec::with_capacity(parts.len());
    for part in parts {
        let (here, later) = rest.split_at_mut(part.len());
        tasks.push((here, part));
        rest = later;
    }
    // Each part is freed by the thread that copied it.
    side_by_side(tasks, &|(dest, part): (&mut [T], Vec<T>)| dest.copy_from_slice(&part));
    all
}

/// `f` of each element of `source`, in order, computed in pieces side by side (a copy, so
/// split by [`COPY_COST`]), each piece written in its place in the result (allocated blank):
/// no piece is held apart and copied again, which held the result twice.
pub fn map_in_pieces<S: Sync, T: Blank + Send + Sync>(source: &[S], f: impl Fn(&S) -> T + Sync) -> Vec<T> {
    let n = copy_pieces(source.len());
    if n <= 1 {
        return source.iter().map(f).collect();
    }
    let size = source.len().div_ceil(n);
    let mut out = blanks(source.len());
    side_by_side(out.chunks_mut(size).zip(source.chunks(size)).collect(), &|(dest, part): (&mut [T], &[S])| {
        dest.iter_mut().zip(part).for_each(|(d, s)| *d = f(s));
    });
    out
}

/// A merge join of `a` and `b` (each sorted by its key) cut into independent joins over
/// consecutive key ranges, [`pieces`] of them for both inputs' length: the longer input is
/// cut into equal pieces, and both are cut where each piece's first key begins, so no key's
/// tuples are split. Joining each pair and concatenating the results in order gives the
/// same pairs in the same order as joining `a` with `b`.
#[allow(clippy::type_complexity)]
pub fn split_join<'a, K: Ord, V1, V2>(a: &'a [(K, V1)], b: &'a [(K, V2)]) -> Vec<(&'a [(K, V1)], &'a [(K, V2)])> {
    let n = pieces(a.len() + b.len());
    let longer: Vec<&K> = if a.len() >= b.len() {
        (1..n).map(|i| &a[i * a.len() / n].0).collect()
    } else {
        (1..n).map(|i| &b[i * b.len() / n].0).collect()
    };
    let (mut a_at, mut b_at) = (0, 0);
    let mut out = Vec::with_capacity(n);
    for key in longer {
        let a_end = a_at + a[a_at..].partition_point(|t| &t.0 < key);
        let b_end = b_at + b[b_at..].partition_point(|t| &t.0 < key);
        if a_end > a_at && b_end > b_at {
            out.push((&a[a_at..a_end], &b[b_at..b_end]));
        }
        (a_at, b_at) = (a_end, b_end);
    }
    if a_at < a.len() && b_at < b.len() {
        out.push((&a[a_at..], &b[b_at..]));
    }
    out
}

/// The sorted union of `work` on each of a few pieces of `source`, side by side: each piece's
/// output is sorted and deduplicated on its own thread, then the pieces are merged.
pub fn union_of_pieces<S: Sync, O: Ord + Blank + Send + Sync + 'static>(
    source: &[S],
    work: impl Fn(&[S]) -> Vec<O> + Sync,
) -> Vec<O> {
    let sorted = |piece: &[S]| {
        let mut out = work(piece);
        out.sort_unstable();
        out.dedup();
        out
    };
    let parts = split(source);
    if parts.len() <= 1 {
        return sorted(source);
    }
    let n = parts.len();
    let outs = in_order(parts, sorted);
    let mut runs = Vec::with_capacity(outs.len());
    let mut at = 0;
    for out in &outs {
        runs.push((at, at + out.len()));
        at += out.len();
    }
    let mut merged = merge_runs(concat(outs), runs, n);
    merged.dedup();
    merged
}

/// Sorts `v` and keeps the first of each run of elements that `same` groups together (in
/// sorted order, so the least). In parallel: pieces sorted and deduplicated side by side
/// (candidate tuples repeat a lot: the balance benchmark's 28 M candidates of `reach` hold
/// 1 M tuples), moved together, then merged pairwise, each merge split into pieces too.
pub fn sort_dedup_by<T: Ord + Blank + Send + Sync + 'static>(v: &mut Vec<T>, same: impl Fn(&T, &T) -> bool + Sync) {
    let n = pieces(v.len());
    if n <= 1 {
        v.sort_unstable();
        v.dedup_by(|a, b| same(b, a));
        return;
    }
    let size = v.len().div_ceil(n);
    let mut kept = vec![0; v.len().div_ceil(size)];
    side_by_side(v.chunks_mut(size).zip(kept.iter_mut()).collect(), &|(piece, kept): (&mut [T], &mut usize)| {
        piece.sort_unstable();
        *kept = dedup_slice(piece, &same);
    });
    let mut runs = Vec::with_capacity(kept.len());
    let mut len = 0;
    for (i, k) in kept.into_iter().enumerate() {
        v.copy_within(i * size..i * size + k, len);
        runs.push((len, len + k));
        len += k;
    }
    v.truncate(len);
    let mut merged = merge_runs(std::mem::take(v), runs, n);
    merged.dedup_by(|a, b| same(b, a));
    *v = merged;
}

/// Keeps the first of each run of `same` elements of a sorted slice at its front; how many.
fn dedup_slice<T: Copy>(piece: &mut [T], same: &impl Fn(&T, &T) -> bool) -> usize {
    let mut kept = 0;
    for i in 0..piece.len() {
        if kept == 0 || !same(&piece[kept - 1], &piece[i]) {
            piece[kept] = piece[i];
            kept += 1;
        }
    }
    kept
}

/// Merges the sorted runs of `data` (contiguous `(start, end)` ranges covering it) into one
/// sorted vector, pairwise, each level's merges split into about `n` pieces side by side.
fn merge_runs<T: Ord + Blank + Send + Sync + 'static>(data: Vec<T>, mut runs: Vec<(usize, usize)>, n: usize) -> Vec<T> {
    if runs.len() <= 1 {
        return data;
    }
    let mut from = data;
    // Every slot is overwritten.
    let mut to = blanks(from.len());
    while runs.len() > 1 {
        let per_pair = n.div_ceil(runs.len().div_ceil(2));
        let mut tasks = Vec::new();
        let mut next = Vec::with_capacity(runs.len().div_ceil(2));
        let mut rest = &mut to[..];
        for pair in runs.chunks(2) {
            let (start, end) = (pair[0].0, pair[pair.len() - 1].1);
            let (dest, later) = rest.split_at_mut(end - start);
            rest = later;
            let a = &from[pair[0].0..pair[0].1];
            let b = pair.get(1).map_or(&from[end..end], |r| &from[r.0..r.1]);
            split_merge(a, b, dest, per_pair, &mut tasks);
            next.push((start, end));
        }
        side_by_side(tasks, &|(a, b, dest)| merge_into(a, b, dest));
        std::mem::swap(&mut from, &mut to);
        runs = next;
    }
    free_beside(to);
    from
}

/// Sorts `v` and removes duplicates.
pub fn sort_dedup<T: Ord + Blank + Send + Sync + 'static>(v: &mut Vec<T>) {
    sort_dedup_by(v, |a, b| a == b);
}

/// Keeps the candidates (sorted and unique by `key`) that none of `batches` (each sorted by
/// its first component) holds. The candidates are split into pieces, each finding its own
/// place in every batch by binary search and keeping its survivors at its front; the
/// survivors are then moved together.
pub fn retain_new<C, T, P>(candidates: &mut Vec<C>, key: impl Fn(&C) -> &T + Sync, batches: &[&[(T, P)]])
where
    C: Send + Sync + Copy,
    T: Ord + Sync,
    P: Sync,
{
    let n = pieces(candidates.len());
    if n <= 1 {
        let kept = retain_new_in(candidates, &key, batches);
        candidates.truncate(kept);
        return;
    }
    let size = candidates.len().div_ceil(n);
    let mut kept = vec![0; candidates.len().div_ceil(size)];
    side_by_side(candidates.chunks_mut(size).zip(kept.iter_mut()).collect(), &|(piece, kept): (
        &mut [C],
        &mut usize,
    )| {
        *kept = retain_new_in(piece, &key, batches);
    });
    let mut len = 0;
    for (i, k) in kept.into_iter().enumerate() {
        candidates.copy_within(i * size..i * size + k, len);
        len += k;
    }
    candidates.truncate(len);
}

/// [`retain_new`] on one thread: moves the survivors to the front of `candidates` and
/// returns how many there are.
pub fn retain_new_in<C: Copy, T: Ord, P>(
    candidates: &mut [C],
    key: &impl Fn(&C) -> &T,
    batches: &[&[(T, P)]],
) -> usize {
    let Some(first) = candidates.first() else { return 0 };
    // Start at the first candidate's place: a piece of the candidates meets only part of
    // each batch.
    let starts: Vec<usize> = batches.iter().map(|b| b.partition_point(|(t, _)| t < key(first))).collect();
    let mut len = candidates.len();
    for (batch, start) in batches.iter().zip(starts) {
        let mut slice = &batch[start..];
        // Galloping pays off only when the batch is much larger than the candidates.
        let large = slice.len() > 4 * len;
        let mut kept = 0;
        for i in 0..len {
            let c = candidates[i];
            let row = key(&c);
            if large {
                slice = gallop(slice, |(t, _)| t < row);
            } else {
                while slice.first().is_some_and(|(t, _)| t < row) {
                    slice = &slice[1..];
                }
            }
            if slice.first().is_none_or(|(t, _)| t != row) {
                candidates[kept] = c;
                kept += 1;
            }
        }
        len = kept;
    }
    len
}

/// Datafrog's first step of `Iteration::changed` for one variable, in parallel: the recent
/// tuples join the stable batches, merged with the last batches while those are no more than
/// twice as large (the same geometric policy, so the batches are the ones datafrog would
/// make). Datafrog then finds `recent` empty and skips the step.
pub fn fold_recent<T: Ord + Blank + Send + Sync + 'static>(var: &Variable<T>) {
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
///
/// Each merge's inputs are freed before it returns (side by side), not later on a worker as
/// in the rounds: the caller allocates next (the annotations of a recorded relation), and
/// with the inputs of the last merge still held that allocation set the run's peak (TC,
/// recording: 594 MB, of which 254 MB were the inputs waiting to be freed).
pub fn complete<T: Ord + Blank + Send + Sync + 'static>(var: Variable<T>) -> Relation<T> {
    fold_recent(&var);
    let mut batches = std::mem::take(&mut *var.stable.borrow_mut());
    let mut all = batches.pop().map(|r| r.elements).unwrap_or_default();
    while let Some(batch) = batches.pop() {
        all = merge_then(batch.elements, all, free_now);
    }
    Relation { elements: all }
}

/// The union of two sorted, disjoint, duplicate-free vectors, sorted, merged in pieces
/// side by side; large inputs are freed on a worker ([`free_beside`]).
pub fn merge<T: Ord + Blank + Send + Sync + 'static>(a: Vec<T>, b: Vec<T>) -> Vec<T> {
    merge_then(a, b, |a, b| {
        free_beside(a);
        free_beside(b);
    })
}

/// [`merge`], with `free` given the inputs once they are merged.
fn merge_then<T: Ord + Blank + Send + Sync + 'static>(a: Vec<T>, b: Vec<T>, free: fn(Vec<T>, Vec<T>)) -> Vec<T> {
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
    // Every slot is overwritten.
    let mut out = blanks(a.len() + b.len());
    let mut tasks = Vec::new();
    split_merge(&a, &b, &mut out, copy_pieces(a.len() + b.len()), &mut tasks);
    side_by_side(tasks, &|(x, y, dest)| merge_into(x, y, dest));
    free(a, b);
    out
}

/// Frees `a` and `b` now, side by side when both are large.
fn free_now<T: Send>(a: Vec<T>, b: Vec<T>) {
    if copy_pieces(a.len().min(b.len())) > 1 {
        run_side_by_side(vec![Box::new(move || drop(a)), Box::new(move || drop(b))]);
    }
}

/// A merge of sorted `a` and `b` into `out` (exactly as long as both) as up to `n`
/// independent merges: `a` in equal pieces, `b` split where each piece of `a` begins.
#[allow(clippy::type_complexity)]
fn split_merge<'a, T: Ord>(
    a: &'a [T],
    b: &'a [T],
    out: &'a mut [T],
    n: usize,
    tasks: &mut Vec<(&'a [T], &'a [T], &'a mut [T])>,
) {
    let step = a.len().div_ceil(n.max(1)).max(1);
    let mut rest = out;
    let (mut a_at, mut b_at) = (0, 0);
    while a_at < a.len() {
        let a_end = (a_at + step).min(a.len());
        let b_end = if a_end == a.len() { b.len() } else { b.partition_point(|x| x < &a[a_end]) };
        let (here, later) = rest.split_at_mut((a_end - a_at) + (b_end - b_at));
        tasks.push((&a[a_at..a_end], &b[b_at..b_end], here));
        rest = later;
        (a_at, b_at) = (a_end, b_end);
    }
    if b_at < b.len() {
        tasks.push((&a[a.len()..], &b[b_at..], rest));
    }
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
        for n in [0, 1, 10, MIN_PARALLEL, 5 * MIN_PARALLEL, 40 * MIN_PARALLEL] {
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
    fn sort_dedup_sorts_for_any_threads() {
        for n in [0, 1, 10, MIN_PARALLEL + 3, 5 * MIN_PARALLEL] {
            let (a, b) = inputs(n);
            // Unsorted, with duplicates.
            let v: Vec<u64> = a.iter().rev().chain(&b).chain(a.iter().step_by(7)).copied().collect();
            let mut expected = v.clone();
            expected.sort_unstable();
            expected.dedup();
            for threads in [1, 2, 3, 4] {
                let mut got = v.clone();
                pool(threads).install(|| sort_dedup(&mut got));
                assert_eq!(got, expected, "n {n}, {threads} threads");
            }
        }
    }

    #[test]
    fn sort_dedup_by_keeps_the_least_of_each_group_for_any_threads() {
        let (a, _) = inputs(3 * MIN_PARALLEL);
        // Each value three times, with payloads 2, 0 and 1: the one kept has payload 0.
        let v: Vec<(u64, u8)> = a.iter().rev().flat_map(|&x| [(x, 2), (x, 0), (x, 1)]).collect();
        let expected: Vec<(u64, u8)> = a.iter().map(|&x| (x, 0)).collect();
        for threads in [1, 2, 4] {
            let mut got = v.clone();
            pool(threads).install(|| sort_dedup_by(&mut got, |x, y| x.0 == y.0));
            assert_eq!(got, expected, "{threads} threads");
        }
    }

    /// Every pair of a merge join, in the order it finds them.
    fn joined(a: &[(u64, u32)], b: &[(u64, u32)]) -> Vec<(u64, u32, u32)> {
        let mut out = Vec::new();
        for x in a {
            let from = b.partition_point(|y| y.0 < x.0);
            for y in b[from..].iter().take_while(|y| y.0 == x.0) {
                out.push((x.0, x.1, y.1));
            }
        }
        out
    }

    #[test]
    fn split_join_pieces_join_to_the_whole_join_in_order_for_any_threads() {
        // Keys repeat (each up to 4 times on one side), so a cut inside a key's run would
        // drop or repeat pairs; one side much longer than the other, both ways.
        let (x, y) = inputs(3 * MIN_PARALLEL);
        let a: Vec<(u64, u32)> = x.iter().flat_map(|&k| (0..(k % 4) as u32).map(move |v| (k / 4, v))).collect();
        let b: Vec<(u64, u32)> = y.iter().step_by(5).map(|&k| (k / 4, (k % 7) as u32)).collect();
        for (a, b) in [(&a, &b), (&b, &a)] {
            let expected = joined(a, b);
            assert!(expected.len() > 1000);
            for threads in [1, 2, 4] {
                let parts = pool(threads).install(|| split_join(a, b));
                assert_eq!(parts.len() > 1, threads > 1, "{threads} threads: {} pieces", parts.len());
                let got: Vec<_> = parts.iter().flat_map(|(a, b)| joined(a, b)).collect();
                assert!(got == expected, "{threads} threads: {} pairs, expected {}", got.len(), expected.len());
            }
        }
    }

    #[test]
    fn in_order_keeps_the_items_order_for_any_threads() {
        let (a, _) = inputs(3 * MIN_PARALLEL);
        for threads in [1, 2, 4] {
            let parts = pool(threads).install(|| split(&a));
            assert_eq!(parts.len() > 1, threads > 1, "{threads} threads");
            let got: Vec<u64> = pool(threads).install(|| in_order(parts, |p| p.to_vec())).concat();
            assert_eq!(got, a, "{threads} threads");
        }
    }

    #[test]
    fn split_by_key_never_cuts_a_key_for_any_threads() {
        // Keys in runs of 1 to 40 elements, and one run longer than a piece.
        let (a, _) = inputs(3 * MIN_PARALLEL);
        let mut v: Vec<(u64, u32)> = a.iter().flat_map(|&k| (0..(k % 40) as u32).map(move |i| (k, i))).collect();
        v.extend((0..MIN_PARALLEL as u32).map(|i| (u64::MAX, i)));
        for threads in [1, 2, 4] {
            let parts = pool(threads).install(|| split_by_key(&v, |t| t.0));
            assert_eq!(parts.len() > 1, threads > 1, "{threads} threads: {} pieces", parts.len());
            assert!(parts.iter().all(|p| !p.is_empty()), "{threads} threads: an empty piece");
            for w in parts.windows(2) {
                assert!(w[0].last().unwrap().0 < w[1][0].0, "{threads} threads: a key in two pieces");
            }
            assert!(parts.concat() == v, "{threads} threads: pieces do not make the whole");
        }
        assert_eq!(split_by_key(&[] as &[(u64, u32)], |t| t.0), vec![&[] as &[(u64, u32)]]);
    }

    #[test]
    fn map_in_pieces_maps_in_order_for_any_threads() {
        let (a, b) = inputs(40 * MIN_PARALLEL);
        let a = [a, b].concat();
        let expected: Vec<(u64, u8)> = a.iter().map(|&v| (v / 3, (v % 7) as u8)).collect();
        for threads in [1, 2, 4] {
            assert_eq!(pool(threads).install(|| copy_pieces(a.len())) > 1, threads > 1);
            let got = pool(threads).install(|| map_in_pieces(&a, |&v| (v / 3, (v % 7) as u8)));
            assert!(got == expected, "{threads} threads");
        }
    }

    #[test]
    fn concat_is_the_parts_in_order_for_any_threads() {
        let (a, b) = inputs(40 * MIN_PARALLEL);
        let parts = vec![a.clone(), Vec::new(), b.clone(), a[..7].to_vec()];
        let expected = parts.concat();
        for threads in [1, 2, 4] {
            assert_eq!(pool(threads).install(|| copy_pieces(expected.len())) > 1, threads > 1);
            assert_eq!(pool(threads).install(|| concat(parts.clone())), expected, "{threads} threads");
        }
        assert_eq!(concat::<u64>(Vec::new()), Vec::<u64>::new());
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
