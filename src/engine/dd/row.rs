//! [`Row`]: a tuple, key or environment of `u32` values in 16 bytes, three values inline.
//!
//! Differential dataflow stores every update as `((key, value), time, diff)` and spends most
//! of a batch run sorting and merging them (issue 20, third round: `docs/design/scale-out.md`),
//! so the row's size is the engine's memory traffic. A `SmallVec<[u32; 6]>` is 32 bytes and
//! 8-aligned; this row is 16 bytes and 4-aligned, so an arranged update of two rows at
//! `Product<u32, u32>` with an `isize` diff is 48 bytes instead of 80. Rows of up to three
//! values (TC's tuples, keys and environments; most keys anywhere) live inline; longer rows
//! live on the heap, the pointer kept in the inline words.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};

/// How many values a row holds without allocating.
const INLINE: usize = 3;

/// A row of `u32` values (see the module documentation).
pub struct Row {
    /// The number of values; above [`INLINE`], `words` hold a pointer to a boxed slice of
    /// `len` values (its address split into `words[0]` (low) and `words[1]` (high)).
    len: u32,
    words: [u32; INLINE],
}

// SAFETY: a heap row's slice is owned by the row alone (cloned on `Clone`, freed on `Drop`),
// like a `Box<[u32]>`, which is `Send` and `Sync`.
unsafe impl Send for Row {}
// SAFETY: as above; `&Row` gives only shared access to the slice.
unsafe impl Sync for Row {}

impl Row {
    /// The empty row.
    pub const fn new() -> Row {
        Row { len: 0, words: [0; INLINE] }
    }

    /// A row of `n` copies of `value`.
    pub fn from_elem(value: u32, n: usize) -> Row {
        if n <= INLINE { Row { len: n as u32, words: [value; INLINE] } } else { Row::from_vec(vec![value; n]) }
    }

    /// A row of `values`.
    pub fn from_slice(values: &[u32]) -> Row {
        if values.len() <= INLINE {
            let mut words = [0; INLINE];
            words[..values.len()].copy_from_slice(values);
            Row { len: values.len() as u32, words }
        } else {
            Row::from_vec(values.to_vec())
        }
    }

    /// A row of `values`, reusing the vector's memory when it is too long to be inline.
    pub fn from_vec(values: Vec<u32>) -> Row {
        if values.len() <= INLINE {
            return Row::from_slice(&values);
        }
        let len = u32::try_from(values.len()).expect("a row has fewer than 2^32 values");
        let ptr = Box::into_raw(values.into_boxed_slice()) as *mut u32 as usize as u64;
        Row { len, words: [ptr as u32, (ptr >> 32) as u32, 0] }
    }

    /// The values as a vector.
    pub fn into_vec(self) -> Vec<u32> {
        self.as_slice().to_vec()
    }

    fn is_heap(&self) -> bool {
        self.len as usize > INLINE
    }

    fn heap_ptr(&self) -> *mut u32 {
        (u64::from(self.words[0]) | (u64::from(self.words[1]) << 32)) as usize as *mut u32
    }

    /// The values.
    pub fn as_slice(&self) -> &[u32] {
        if self.is_heap() {
            // SAFETY: a heap row's pointer is a live boxed slice of `len` values it owns.
            unsafe { std::slice::from_raw_parts(self.heap_ptr(), self.len as usize) }
        } else {
            &self.words[..self.len as usize]
        }
    }

    /// The values, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [u32] {
        if self.is_heap() {
            // SAFETY: as in `as_slice`; `&mut self` makes the access unique.
            unsafe { std::slice::from_raw_parts_mut(self.heap_ptr(), self.len as usize) }
        } else {
            &mut self.words[..self.len as usize]
        }
    }

    /// Appends a value.
    pub fn push(&mut self, value: u32) {
        if (self.len as usize) < INLINE {
            self.words[self.len as usize] = value;
            self.len += 1;
        } else {
            let mut values = std::mem::take(self).into_vec();
            values.push(value);
            *self = Row::from_vec(values);
        }
    }
}

impl Drop for Row {
    fn drop(&mut self) {
        if self.is_heap() {
            let slice = std::ptr::slice_from_raw_parts_mut(self.heap_ptr(), self.len as usize);
            // SAFETY: the slice came from `Box::into_raw` in `from_vec` and is freed once.
            drop(unsafe { Box::from_raw(slice) });
        }
    }
}

impl Default for Row {
    fn default() -> Row {
        Row::new()
    }
}

impl Clone for Row {
    fn clone(&self) -> Row {
        if self.is_heap() { Row::from_slice(self.as_slice()) } else { Row { len: self.len, words: self.words } }
    }
}

impl Deref for Row {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        self.as_slice()
    }
}

impl DerefMut for Row {
    fn deref_mut(&mut self) -> &mut [u32] {
        self.as_mut_slice()
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Row {}

impl PartialOrd for Row {
    fn partial_cmp(&self, other: &Row) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Lexicographic, as slices (and as `SmallVec` and `Vec<u32>`) compare.
impl Ord for Row {
    fn cmp(&self, other: &Row) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for Row {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

impl FromIterator<u32> for Row {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Row {
        let mut iter = iter.into_iter();
        let mut row = Row::new();
        while (row.len as usize) < INLINE {
            match iter.next() {
                Some(v) => row.push(v),
                None => return row,
            }
        }
        match iter.next() {
            None => row,
            Some(v) => {
                let mut values = row.into_vec();
                values.push(v);
                values.extend(iter);
                Row::from_vec(values)
            }
        }
    }
}

impl<'a> IntoIterator for &'a Row {
    type Item = &'a u32;
    type IntoIter = std::slice::Iter<'a, u32>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl Extend<u32> for Row {
    fn extend<I: IntoIterator<Item = u32>>(&mut self, iter: I) {
        iter.into_iter().for_each(|v| self.push(v));
    }
}

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Row, D::Error> {
        Vec::<u32>::deserialize(d).map(Row::from_vec)
    }
}

#[cfg(test)]
mod tests {
    use super::Row;

    #[test]
    fn rows_of_every_length_keep_their_values_and_order_as_slices() {
        let rows: Vec<Vec<u32>> = (0..8).map(|n| (0..n).map(|i| 7 * i + n).collect()).collect();
        for values in &rows {
            let row = Row::from_slice(values);
            assert_eq!(&row[..], &values[..]);
            assert_eq!(row.clone().into_vec(), *values);
            assert_eq!(values.iter().copied().collect::<Row>(), row);
            let mut pushed = Row::new();
            pushed.extend(values.iter().copied());
            assert_eq!(pushed, row);
            let mut changed = row.clone();
            if let Some(first) = changed.first_mut() {
                *first += 1;
                assert_ne!(changed, row);
                assert_eq!(row.cmp(&changed), values[..].cmp(&changed[..]));
            }
            let back: Row = serde_json::from_str(&serde_json::to_string(&row).unwrap()).unwrap();
            assert_eq!(back, row);
        }
        let mut sorted: Vec<Row> = rows.iter().map(|v| Row::from_slice(v)).collect();
        sorted.sort();
        let mut expected = rows.clone();
        expected.sort();
        assert_eq!(sorted.iter().map(|r| r.to_vec()).collect::<Vec<_>>(), expected);
        assert_eq!(std::mem::size_of::<Row>(), 16);
        assert_eq!(&Row::from_elem(9, 5)[..], &[9; 5]);
    }
}
