//! Values and their interning. A tuple is a row of [`Value`]s: a `number` column holds the
//! two's-complement bits of an `i32` (Soufflé's default 32-bit domain: arithmetic wraps at
//! 32 bits), a `symbol` column holds the id of an interned string.
//! The column's [`Type`] (known statically) says which; values never carry a tag.

use serde::Serialize;
use std::cmp::Ordering;

/// One cell of a tuple: a symbol id or a number's bits. 32 bits, like Soufflé's default
/// build: tuples of large relations are half the size they would be with 64-bit cells.
pub type Value = u32;

/// A `number`: a 32-bit signed integer.
pub type Number = i32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    Symbol,
    Number,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Symbol => "symbol",
            Type::Number => "number",
        }
    }
}

pub fn from_number(n: Number) -> Value {
    n as Value
}

pub fn to_number(v: Value) -> Number {
    v as Number
}

/// The symbol table: every distinct string gets a small id, so tuples compare and hash as
/// integers. Ids are dense and assigned in first-seen order; output is sorted by the
/// strings themselves, never by id.
pub struct Symbols {
    // FxHash rather than SipHash: interning is most of the cost of loading large fact
    // tables, and the strings come from local files, not from an attacker racing a server.
    rodeo: lasso::Rodeo<lasso::Spur, rustc_hash::FxBuildHasher>,
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbols").field("len", &self.rodeo.len()).finish()
    }
}

impl Default for Symbols {
    fn default() -> Symbols {
        Symbols { rodeo: lasso::Rodeo::with_hasher(rustc_hash::FxBuildHasher) }
    }
}

impl Symbols {
    pub fn new() -> Symbols {
        Symbols::default()
    }

    /// A table sized for about `strings` distinct strings of `bytes` bytes in all, so that
    /// loading large tables does not rehash every string as the table grows.
    pub fn with_capacity(strings: usize, bytes: usize) -> Symbols {
        let bytes = std::num::NonZeroUsize::new(bytes.max(1)).expect("at least one byte");
        let capacity = lasso::Capacity::new(strings.max(16), bytes);
        Symbols { rodeo: lasso::Rodeo::with_capacity_and_hasher(capacity, rustc_hash::FxBuildHasher) }
    }

    pub fn intern(&mut self, s: &str) -> Value {
        let key = self.rodeo.get_or_intern(s);
        lasso::Key::into_usize(key) as Value
    }

    /// The id of `s` if it was ever interned.
    pub fn get(&self, s: &str) -> Option<Value> {
        self.rodeo.get(s).map(|k| lasso::Key::into_usize(k) as Value)
    }

    pub fn resolve(&self, v: Value) -> &str {
        let key = <lasso::Spur as lasso::Key>::try_from_usize(v as usize).expect("valid symbol id");
        self.rodeo.resolve(&key)
    }

    pub fn len(&self) -> usize {
        self.rodeo.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rodeo.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Value, &str)> {
        self.rodeo.iter().map(|(k, s)| (lasso::Key::into_usize(k) as Value, s))
    }
}

/// Renders a value of a known type for output.
pub fn display(v: Value, ty: Type, symbols: &Symbols) -> String {
    match ty {
        Type::Symbol => symbols.resolve(v).to_string(),
        Type::Number => to_number(v).to_string(),
    }
}

/// A relation's tuples, flat: `arity` values per tuple, back to back, so that millions of
/// rows take one allocation, not one each. The model's are sorted by value (not by string);
/// loaded facts are in load order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tuples {
    pub arity: usize,
    pub data: Vec<Value>,
    /// Number of tuples (kept apart from `data` because a nullary relation has no values).
    pub rows: usize,
}

impl Tuples {
    pub fn new(arity: usize) -> Tuples {
        Tuples { arity, data: Vec::new(), rows: 0 }
    }

    pub fn push(&mut self, tuple: &[Value]) {
        debug_assert_eq!(tuple.len(), self.arity);
        self.data.extend_from_slice(tuple);
        self.rows += 1;
    }

    /// Appends the tuples of `other`, which has the same arity.
    pub fn extend_from(&mut self, other: &Tuples) {
        debug_assert_eq!(other.arity, self.arity);
        self.data.extend_from_slice(&other.data);
        self.rows += other.rows;
    }

    pub fn truncate(&mut self, len: usize) {
        self.rows = self.rows.min(len);
        self.data.truncate(self.rows * self.arity);
    }

    /// Keeps the tuples at the indices for which `keep` is true, in order.
    pub fn retain_indices(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let arity = self.arity;
        let mut kept = 0;
        for i in 0..self.rows {
            if keep(i) {
                self.data.copy_within(i * arity..(i + 1) * arity, kept * arity);
                kept += 1;
            }
        }
        self.truncate(kept);
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn get(&self, i: usize) -> &[Value] {
        &self.data[i * self.arity..(i + 1) * self.arity]
    }

    pub fn iter(&self) -> impl Iterator<Item = &[Value]> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Position of a tuple, by binary search.
    pub fn position(&self, tuple: &[Value]) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(tuple) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    pub fn contains(&self, tuple: &[Value]) -> bool {
        self.position(tuple).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip_and_are_dense() {
        let mut s = Symbols::new();
        let a = s.intern("Haftar");
        let b = s.intern("Tobruk");
        assert_eq!(s.intern("Haftar"), a);
        assert_ne!(a, b);
        assert_eq!(s.resolve(b), "Tobruk");
        assert_eq!(s.get("GNA"), None);
    }

    #[test]
    fn numbers_keep_their_sign() {
        assert_eq!(to_number(from_number(-7)), -7);
        assert_eq!(to_number(from_number(Number::MIN)), Number::MIN);
    }
}
