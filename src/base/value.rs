//! Values and their interning. A tuple is a row of [`Value`]s: a `number` column holds the
//! two's-complement bits of an `i32` (Soufflé's default 32-bit domain: arithmetic wraps at
//! 32 bits), a `symbol` column holds the id of an interned string.
//! The column's [`Type`] (known statically) says which; values never carry a tag.

use crate::base::record::Records;
use serde::Serialize;
use std::cmp::Ordering;

/// One cell of a tuple: a symbol id or a number's bits. 32 bits, like Soufflé's default
/// build: tuples of large relations are half the size they would be with 64-bit cells.
pub type Value = u32;

/// A `number`: a 32-bit signed integer.
pub type Number = i32;

/// A column's type: which of the two kinds of [`Value`] it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    /// An interned string (see [`Symbols`]).
    Symbol,
    /// A 32-bit signed integer ([`Number`]).
    Number,
    /// A record of the declared record type at this index of
    /// [`crate::base::record::Records::types`]: the cell is the record's id.
    Record(u16),
}

impl Type {
    /// The type's name as written in rule files (`symbol`, `number`).
    pub fn name(self) -> &'static str {
        match self {
            Type::Symbol => "symbol",
            Type::Number => "number",
            Type::Record(_) => "record",
        }
    }

    /// The type's name as written in rule files, a record type's by its declaration.
    pub fn name_in(self, records: &Records) -> String {
        match self {
            Type::Record(i) => records.ty(i).name.clone(),
            _ => self.name().to_string(),
        }
    }
}

/// A number's cell: its two's-complement bits.
pub fn from_number(n: Number) -> Value {
    n as Value
}

/// A `number` cell's value.
pub fn to_number(v: Value) -> Number {
    v as Number
}

/// The symbol table: every distinct string gets a small id, so tuples compare and hash as
/// integers. Ids are dense and assigned in first-seen order; output is sorted by the
/// strings themselves, never by id.
///
/// Interning is most of the cost of loading a large statement table (two strings per row),
/// and with a million distinct actors each lookup is a cache miss. `lasso`, used before,
/// follows three dependent pointers per lookup (its table, its list of strings, the string);
/// here the table's slots hold the hash, the length and the first `INLINE` bytes, so a
/// lookup of a short string touches one slot and nothing else (10 M statement rows with
/// 1 M distinct actors: `perf` put interning at about 6 s before, about 2 s after).
#[derive(Clone, Default)]
pub struct Symbols {
    /// Every string, back to back.
    text: String,
    /// Where string `id` ends in `text`; it starts where `id - 1` ends.
    ends: Vec<usize>,
    /// Open addressing with linear probing; a power of two in length, at most half full.
    slots: Vec<Slot>,
    /// What `ord` gives each symbol (see [`Symbols::number_for_ord`]); empty until then.
    ordinals: Vec<u32>,
    /// Record types and the records built (records are interned alongside the strings
    /// they hold, so whatever can show a symbol can show a record).
    pub records: Records,
}

/// Bytes of a string kept in its slot.
const INLINE: usize = 20;

/// One slot of the table: 32 bytes, two to a cache line.
#[derive(Clone, Copy)]
struct Slot {
    /// `EMPTY`, or the symbol's id.
    id: u32,
    hash: u32,
    len: u32,
    /// The first bytes of the string (all of it when it is at most `INLINE` bytes).
    prefix: [u8; INLINE],
}

const EMPTY: u32 = u32::MAX;

impl Slot {
    const VACANT: Slot = Slot { id: EMPTY, hash: 0, len: 0, prefix: [0; INLINE] };
}

fn hash_str(s: &str) -> u32 {
    // FxHash rather than SipHash: the strings come from local files, not from an attacker
    // racing a server.
    let h = std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, s.as_bytes());
    (h ^ (h >> 32)) as u32
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbols").field("len", &self.len()).finish()
    }
}

impl Symbols {
    /// An empty table.
    pub fn new() -> Symbols {
        Symbols::default()
    }

    /// A table sized for about `strings` distinct strings of `bytes` bytes in all, so that
    /// loading large tables does not rehash every string as the table grows.
    pub fn with_capacity(strings: usize, bytes: usize) -> Symbols {
        Symbols {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(strings),
            slots: vec![Slot::VACANT; (2 * strings).next_power_of_two().max(16)],
            ordinals: Vec::new(),
            records: Records::default(),
        }
    }

    /// Numbers the symbols for `ord`: each symbol interned so far gets its position in string
    /// order, so that `ord` depends on which strings a run has, never on the order in which
    /// files and rows were read (Soufflé's `ord` is the order of first appearance). A symbol
    /// interned later (made by `cat`, say) keeps its id, which is past every position. Done
    /// once per table, so that evaluators run one after the other (`--engine compare`) agree.
    pub fn number_for_ord(&mut self) {
        if !self.ordinals.is_empty() {
            return;
        }
        let mut ids: Vec<Value> = (0..self.len() as Value).collect();
        ids.sort_unstable_by(|&a, &b| self.resolve(a).cmp(self.resolve(b)));
        let mut ordinals = vec![0; ids.len()];
        for (position, id) in ids.into_iter().enumerate() {
            ordinals[id as usize] = position as u32;
        }
        self.ordinals = ordinals;
    }

    /// The number `ord` gives a symbol (see [`Symbols::number_for_ord`]).
    pub fn ordinal(&self, v: Value) -> Number {
        self.ordinals.get(v as usize).copied().unwrap_or(v) as Number
    }

    /// The id of `s`, adding it to the table if it is new.
    pub fn intern(&mut self, s: &str) -> Value {
        if 2 * (self.ends.len() + 1) > self.slots.len() {
            self.grow();
        }
        let hash = hash_str(s);
        match self.find(s, hash) {
            Ok(id) => id,
            Err(at) => {
                let id = Value::try_from(self.ends.len()).expect("fewer than 2^32 symbols");
                self.text.push_str(s);
                self.ends.push(self.text.len());
                self.slots[at] = slot_for(id, hash, s);
                id
            }
        }
    }

    /// The id of `s` if it was ever interned.
    pub fn get(&self, s: &str) -> Option<Value> {
        if self.slots.is_empty() {
            return None;
        }
        self.find(s, hash_str(s)).ok()
    }

    /// The string of a symbol id from this table.
    pub fn resolve(&self, v: Value) -> &str {
        let id = v as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.text[start..self.ends[id]]
    }

    /// Number of distinct strings interned.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no string was interned yet.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every symbol with its id, in id (first interned) order.
    pub fn iter(&self) -> impl Iterator<Item = (Value, &str)> {
        (0..self.len() as Value).map(|id| (id, self.resolve(id)))
    }

    /// `Ok(id)` of `s`, or `Err(slot)`: the vacant slot where it belongs.
    fn find(&self, s: &str, hash: u32) -> Result<Value, usize> {
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        // Compared as whole slots' fields (fixed size, no call to memcmp): with the length
        // equal, equal zero-padded prefixes mean equal strings up to `INLINE` bytes.
        let key = slot_for(0, hash, s);
        loop {
            let slot = &self.slots[at];
            if slot.id == EMPTY {
                return Err(at);
            }
            if slot.hash == hash
                && slot.len == key.len
                && slot.prefix == key.prefix
                && (s.len() <= INLINE || self.resolve(slot.id) == s)
            {
                return Ok(slot.id);
            }
            at = (at + 1) & mask;
        }
    }

    /// Doubles the table (or makes the first one) and puts every symbol back.
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(16);
        let old = std::mem::replace(&mut self.slots, vec![Slot::VACANT; size]);
        let mask = size - 1;
        for slot in old.into_iter().filter(|s| s.id != EMPTY) {
            let mut at = slot.hash as usize & mask;
            while self.slots[at].id != EMPTY {
                at = (at + 1) & mask;
            }
            self.slots[at] = slot;
        }
    }
}

fn slot_for(id: Value, hash: u32, s: &str) -> Slot {
    let mut prefix = [0; INLINE];
    let head = &s.as_bytes()[..s.len().min(INLINE)];
    prefix[..head.len()].copy_from_slice(head);
    Slot { id, hash, len: saturated_len(s), prefix }
}

/// The length in a slot; a string longer than 4 GiB is compared in full anyway.
fn saturated_len(s: &str) -> u32 {
    u32::try_from(s.len()).unwrap_or(u32::MAX)
}

/// Renders a value of a known type for output. A record is written as Soufflé writes it to
/// output files: `[1, a]`, fields separated by `, `, symbols as they are, `nil` for nil.
pub fn display(v: Value, ty: Type, symbols: &Symbols) -> String {
    match ty {
        Type::Symbol => symbols.resolve(v).to_string(),
        Type::Number => to_number(v).to_string(),
        Type::Record(t) => {
            let mut out = String::new();
            write_record(&mut out, v, t, symbols, false);
            out
        }
    }
}

/// A value as written in a rule file: numbers bare, symbols quoted, records as
/// `[1, "a"]` or `nil`.
pub fn literal(v: Value, ty: Type, symbols: &Symbols) -> String {
    match ty {
        Type::Number => to_number(v).to_string(),
        Type::Symbol => format!("{:?}", symbols.resolve(v)),
        Type::Record(t) => {
            let mut out = String::new();
            write_record(&mut out, v, t, symbols, true);
            out
        }
    }
}

/// Appends a record value, its symbols quoted or not (see [`display`], [`literal`]). A
/// record never contains itself (an id is assigned after its fields'), so this ends.
/// A value of an algebraic data type is written `$Circle(5)`, or `$Zero` without fields.
fn write_record(out: &mut String, v: Value, t: u16, symbols: &Symbols, quote: bool) {
    let Some(parts) = symbols.records.parts(t, v) else {
        out.push_str("nil");
        return;
    };
    let close = match parts.branch {
        Some(name) if parts.values.is_empty() => {
            out.push('$');
            out.push_str(name);
            return;
        }
        Some(name) => {
            out.push('$');
            out.push_str(name);
            out.push('(');
            ')'
        }
        None => {
            out.push('[');
            ']'
        }
    };
    for (i, (&f, (_, ft))) in parts.values.iter().zip(parts.types).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match ft {
            Type::Record(inner) => write_record(out, f, *inner, symbols, quote),
            other if quote => out.push_str(&literal(f, *other, symbols)),
            other => out.push_str(&display(f, *other, symbols)),
        }
    }
    out.push(close);
}

/// The same value in another run's tables (`to`), if it exists there: numbers as they are,
/// symbols and records by their text and fields. Used to find a tuple of one version of a
/// project in another.
pub fn translate(v: Value, ty: Type, from: &Symbols, to: &Symbols) -> Option<Value> {
    match ty {
        Type::Number => Some(v),
        Type::Symbol => to.get(from.resolve(v)),
        Type::Record(t) => {
            let Some(parts) = from.records.parts(t, v) else { return Some(crate::base::record::NIL) };
            let mut mapped: Vec<Value> = Vec::with_capacity(parts.values.len() + 1);
            if parts.branch.is_some() {
                // The branch index: the same in both runs when the type's branches are.
                mapped.push(from.records.unpack(v)?[0]);
            }
            for (&f, (_, ty)) in parts.values.iter().zip(parts.types) {
                mapped.push(translate(f, *ty, from, to)?);
            }
            to.records.get(&mapped)
        }
    }
}

/// A relation's tuples, flat: `arity` values per tuple, back to back, so that millions of
/// rows take one allocation, not one each. The model's are sorted by value (not by string);
/// loaded facts are in load order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tuples {
    /// Values per tuple.
    pub arity: usize,
    /// The tuples' values, `arity` per tuple, back to back.
    pub data: Vec<Value>,
    /// Number of tuples (kept apart from `data` because a nullary relation has no values).
    pub rows: usize,
}

impl Tuples {
    /// An empty relation of `arity` columns.
    pub fn new(arity: usize) -> Tuples {
        Tuples { arity, data: Vec::new(), rows: 0 }
    }

    /// Appends one tuple of `arity` values.
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

    /// Keeps only the first `len` tuples.
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

    /// Number of tuples.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no tuples.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The `i`th tuple.
    pub fn get(&self, i: usize) -> &[Value] {
        &self.data[i * self.arity..(i + 1) * self.arity]
    }

    /// Every tuple, in stored order.
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

    /// Whether the (sorted) tuples contain `tuple`.
    pub fn contains(&self, tuple: &[Value]) -> bool {
        self.position(tuple).is_some()
    }
}

/// A value as JSON: a number as a JSON number, a symbol as a JSON string, a record as an
/// array of its fields (`nil` as `null`). Every JSON output
/// (relations, proofs, violations, diffs) writes values with this.
pub fn value_json(v: Value, t: Type, symbols: &Symbols) -> serde_json::Value {
    match t {
        Type::Number => serde_json::Value::from(to_number(v)),
        Type::Symbol => serde_json::Value::from(symbols.resolve(v)),
        // A record as an array of its fields; `nil` as null.
        Type::Record(r) => match symbols.records.parts(r, v) {
            None => serde_json::Value::Null,
            Some(parts) => {
                let fields: Vec<serde_json::Value> =
                    parts.values.iter().zip(parts.types).map(|(&f, (_, ft))| value_json(f, *ft, symbols)).collect();
                match parts.branch {
                    // A branch of an algebraic data type: `{"branch": "Circle", "args": [5]}`.
                    Some(name) => serde_json::json!({ "branch": name, "args": fields }),
                    None => serde_json::Value::Array(fields),
                }
            }
        },
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
    fn long_short_empty_and_nul_strings() {
        let mut s = Symbols::new();
        let long = "a statement quoted at length, longer than a slot";
        let similar = "a statement quoted at length, longer than a slot!";
        let ids: Vec<Value> = ["", "a", "a\0", long, similar].iter().map(|t| s.intern(t)).collect();
        assert_eq!(ids, vec![0, 1, 2, 3, 4]);
        for (id, t) in ids.iter().zip(["", "a", "a\0", long, similar]) {
            assert_eq!(s.get(t), Some(*id));
            assert_eq!(s.resolve(*id), t);
        }
        assert_eq!(s.get("a statement quoted at length, longer than a slo"), None);
        assert_eq!(s.iter().map(|(_, t)| t).collect::<Vec<_>>(), vec!["", "a", "a\0", long, similar]);
    }

    #[test]
    fn grows_and_keeps_every_id() {
        let mut s = Symbols::with_capacity(4, 8);
        let ids: Vec<Value> = (0..100_000).map(|i| s.intern(&format!("actor {i}"))).collect();
        assert_eq!(ids, (0..100_000).collect::<Vec<_>>());
        assert!((0..100_000).all(|i| s.get(&format!("actor {i}")) == Some(i) && s.resolve(i) == format!("actor {i}")));
        assert_eq!(s.len(), 100_000);
    }

    proptest::proptest! {
        #[test]
        fn interns_as_a_map_would(words in proptest::collection::vec("[ab\\x00é]{0,24}", 0..200)) {
            let mut s = Symbols::new();
            let mut oracle: std::collections::HashMap<String, Value> = std::collections::HashMap::new();
            for w in &words {
                let next = oracle.len() as Value;
                let expected = *oracle.entry(w.clone()).or_insert(next);
                proptest::prop_assert_eq!(s.intern(w), expected);
            }
            for (w, &id) in &oracle {
                proptest::prop_assert_eq!(s.get(w), Some(id));
                proptest::prop_assert_eq!(s.resolve(id), w.as_str());
            }
            proptest::prop_assert_eq!(s.len(), oracle.len());
        }
    }

    #[test]
    fn numbers_keep_their_sign() {
        assert_eq!(to_number(from_number(-7)), -7);
        assert_eq!(to_number(from_number(Number::MIN)), Number::MIN);
    }
}
