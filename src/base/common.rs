//! The common prefix and suffix of two slices, found a block at a time: a reload compares
//! a changed file (or a relation's rows) with the last one, millions of items long, to
//! find the few that changed, and comparing blocks with `==` (a `memcmp` for bytes and
//! integers) is many times faster than comparing item by item.

/// Items compared at a time.
const BLOCK: usize = 1024;

/// How many leading items `a` and `b` share.
pub fn prefix<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    i + a[i..n].iter().zip(&b[i..n]).take_while(|(x, y)| x == y).count()
}

/// How many trailing items `a` and `b` share, at most `most`.
pub fn suffix<T: PartialEq>(a: &[T], b: &[T], most: usize) -> usize {
    let n = a.len().min(b.len()).min(most);
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + BLOCK <= n && a[n - i - BLOCK..n - i] == b[n - i - BLOCK..n - i] {
        i += BLOCK;
    }
    i + a[..n - i].iter().rev().zip(b[..n - i].iter().rev()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same as comparing item by item, across block boundaries.
        #[test]
        fn block_comparison_is_item_comparison(a in prop::collection::vec(0u8..3, 0..3000), b in prop::collection::vec(0u8..3, 0..3000), same in 0usize..3000, most in 0usize..4000) {
            let (mut a, mut b) = (a, b);
            let shared: Vec<u8> = (0..same).map(|i| (i % 7) as u8).collect();
            a.splice(0..0, shared.iter().copied());
            b.splice(0..0, shared.iter().copied());
            a.extend(&shared);
            b.extend(&shared);
            let p = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            prop_assert_eq!(prefix(&a, &b), p);
            let s = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count().min(most);
            prop_assert_eq!(suffix(&a, &b, most), s);
        }
    }
}
