//! Values and their interning. A tuple is a row of [`Value`]s: a `number` column holds the
//! two's-complement bits of an `i32` (Soufflé's default 32-bit domain: arithmetic wraps at
//! 32 bits), an `unsigned` column a `u32`, a `float` column the bits of an `f32` (see
//! [`from_float`]), a `symbol` column the id of an interned string.
//! The column's [`Type`] (known statically) says which; values never carry a tag.

use crate::base::record::Records;
use serde::Serialize;
use std::cmp::Ordering;
use std::sync::Arc;

/// One cell of a tuple: a symbol id or a number's bits. 32 bits, like Soufflé's default
/// build: tuples of large relations are half the size they would be with 64-bit cells.
pub type Value = u32;

/// A `number`: a 32-bit signed integer.
pub type Number = i32;

/// An `unsigned`: a 32-bit unsigned integer.
pub type Unsigned = u32;

/// A `float`: 32 bits, as in Soufflé's default build.
pub type Float = f32;

/// A column's type: which of the kinds of [`Value`] it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    /// An interned string (see [`Symbols`]).
    Symbol,
    /// A 32-bit signed integer ([`Number`]).
    Number,
    /// A 32-bit unsigned integer ([`Unsigned`]).
    Unsigned,
    /// A 32-bit float ([`Float`]).
    Float,
    /// A record of the declared record type (or algebraic data type) at this index of
    /// [`crate::base::record::Records::types`]: the cell is the record's id.
    Record(u16),
}

impl Type {
    /// The type's name as written in rule files (`symbol`, `number`, `unsigned`, `float`).
    pub fn name(self) -> &'static str {
        match self {
            Type::Symbol => "symbol",
            Type::Number => "number",
            Type::Unsigned => "unsigned",
            Type::Float => "float",
            Type::Record(_) => "record",
        }
    }

    /// The type's name as written in rule files, a record type's by its declaration.
    pub fn name_in(self, records: &Records) -> String {
        match self {
            Type::Record(i) => records.types.get(usize::from(i)).map_or("record", |r| r.name.as_str()).to_string(),
            _ => self.name().to_string(),
        }
    }

    /// Whether values of the type are numbers of some kind (not symbols).
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Number | Type::Unsigned | Type::Float)
    }
}

/// An `unsigned` cell: the number itself.
pub fn from_unsigned(n: Unsigned) -> Value {
    n
}

/// An `unsigned` cell's value.
pub fn to_unsigned(v: Value) -> Unsigned {
    v
}

/// The bits of the one NaN a `float` cell holds.
const CANONICAL_NAN: Value = 0x7fc0_0000;

/// A `float` cell: the bits of `f`, with `-0.0` stored as `0.0` and every NaN as one NaN,
/// so that equal floats have equal cells (tuples compare, hash and join by their cells).
pub fn from_float(f: Float) -> Value {
    if f == 0.0 {
        0
    } else if f.is_nan() {
        CANONICAL_NAN
    } else {
        f.to_bits()
    }
}

/// A `float` cell's value.
pub fn to_float(v: Value) -> Float {
    Float::from_bits(v)
}

/// A key that orders the values of a numeric column as people expect: numbers and unsigned
/// numbers by value; floats by value with NaN after `inf` (a total order, so that sorting
/// is deterministic; `-0.0` never occurs, see [`from_float`]).
pub fn numeric_key(v: Value, ty: Type) -> i64 {
    match ty {
        Type::Number => i64::from(to_number(v)),
        Type::Unsigned => i64::from(v),
        // The usual trick: flip negative floats' bits, set positive floats' sign bit.
        Type::Float if v & 0x8000_0000 != 0 => i64::from(!v),
        Type::Float => i64::from(v | 0x8000_0000),
        Type::Symbol | Type::Record(_) => i64::from(v),
    }
}

/// A float as Soufflé writes it to output files and the terminal: C++ `<<` with 9 significant
/// digits (`std::numeric_limits<float>::max_digits10`), the `%.9g` of C: `0.1` is
/// `0.100000001`, `1e10` is `1e+10`, `2.0` is `2`; `inf`, `-inf`, `nan`.
pub fn format_float(f: Float) -> String {
    const DIGITS: i32 = 9;
    let x = f64::from(f);
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let scientific = format!("{:.*e}", (DIGITS - 1) as usize, x);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..DIGITS).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip_zeros(mantissa), exponent.abs())
    } else {
        strip_zeros(&format!("{:.*}", (DIGITS - 1 - exponent) as usize, x)).to_string()
    }
}

/// `1.500` is `1.5`, `2.000` is `2` (the `%g` of C drops trailing zeros).
fn strip_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

/// A float as Soufflé's `to_string` writes it: C++ `std::to_string`, the `%f` of C, six
/// decimals (`1.5` is `1.500000`).
pub fn float_to_string(f: Float) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        // As stored (`-0.0` is `0.0`, see [`from_float`]).
        format!("{:.6}", f64::from(to_float(from_float(f))))
    }
}

/// Reads a float written in decimal (`1.5`, `-2e3`, `.5`, `inf`, `nan`), blanks around it
/// allowed: the one reader of float literals, float columns and `to_float`.
pub fn parse_float(s: &str) -> Option<Float> {
    let t = s.trim_ascii();
    // Rust also reads `infinity` and `+nan`; C's `strtof` too: accepted alike.
    t.parse::<Float>().ok()
}

/// Why a field is not a number of the wanted kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Not written as a number at all.
    NotANumber,
    /// A number, but beyond the type's range.
    OutOfRange,
}

/// Reads an integer written in decimal, hexadecimal (`0x1F`) or binary (`0b101`), with an
/// optional sign and blanks around it, as an `i64` (the caller checks its type's range):
/// the one reader of integer columns and `to_number`/`to_unsigned`.
pub fn parse_integer(s: &str) -> Result<i64, NumberError> {
    let t = s.trim_ascii();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = rest.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &rest[2..]),
        Some("0b") => (2, &rest[2..]),
        _ => (10, rest),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(NumberError::NotANumber);
    }
    let magnitude = i64::from_str_radix(digits, radix).map_err(|_| NumberError::OutOfRange)?;
    Ok(if neg { -magnitude } else { magnitude })
}

/// A `number` field (see [`parse_integer`]).
pub fn parse_number(s: &str) -> Result<Number, NumberError> {
    Number::try_from(parse_integer(s)?).map_err(|_| NumberError::OutOfRange)
}

/// An `unsigned` field (see [`parse_integer`]); a negative number is out of range.
pub fn parse_unsigned(s: &str) -> Result<Unsigned, NumberError> {
    Unsigned::try_from(parse_integer(s)?).map_err(|_| NumberError::OutOfRange)
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
    /// Every string, back to back. (This and the next two are shared between clones until
    /// one of them adds a string: a watch session clones a million-string table per run
    /// and seldom adds to the clone.)
    text: Arc<String>,
    /// Where string `id` ends in `text`; it starts where `id - 1` ends.
    ends: Arc<Vec<usize>>,
    /// Open addressing with linear probing; a power of two in length, at most half full.
    slots: Arc<Vec<Slot>>,
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
            text: Arc::new(String::with_capacity(bytes)),
            ends: Arc::new(Vec::with_capacity(strings)),
            slots: Arc::new(vec![Slot::VACANT; (2 * strings).next_power_of_two().max(16)]),
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
                let text = Arc::make_mut(&mut self.text);
                text.push_str(s);
                Arc::make_mut(&mut self.ends).push(text.len());
                Arc::make_mut(&mut self.slots)[at] = slot_for(id, hash, s);
                id
            }
        }
    }

    /// Makes this table's strings and slots its own, copying them if a clone shares them, so
    /// that the next string added costs no copy (done ahead of time, off a run's path).
    pub fn unshare(&mut self) {
        Arc::make_mut(&mut self.text);
        Arc::make_mut(&mut self.ends);
        Arc::make_mut(&mut self.slots);
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

    /// How many leading ids mean the same string in `self` and `other` (tables that grew
    /// from one, as a watch session's do): two `memcmp`s, not a lookup per string.
    pub fn common_prefix(&self, other: &Symbols) -> usize {
        let ids = crate::base::common::prefix(self.ends.as_slice(), other.ends.as_slice());
        let bytes = crate::base::common::prefix(self.text.as_bytes(), other.text.as_bytes());
        self.ends[..ids].partition_point(|&end| end <= bytes)
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
        let mut slots = vec![Slot::VACANT; size];
        let mask = size - 1;
        for &slot in self.slots.iter().filter(|s| s.id != EMPTY) {
            let mut at = slot.hash as usize & mask;
            while slots[at].id != EMPTY {
                at = (at + 1) & mask;
            }
            slots[at] = slot;
        }
        self.slots = Arc::new(slots);
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
        Type::Record(t) => {
            let mut out = String::new();
            write_record(&mut out, v, t, symbols, false);
            out
        }
        t => numeric_text(v, t),
    }
}

/// Renders a value of a numeric type for output (a symbol's id for a symbol: use [`display`]).
pub fn numeric_text(v: Value, ty: Type) -> String {
    match ty {
        Type::Number => to_number(v).to_string(),
        Type::Unsigned => to_unsigned(v).to_string(),
        Type::Float => format_float(to_float(v)),
        Type::Symbol | Type::Record(_) => v.to_string(),
    }
}

/// A value as written in a rule file: numbers bare, symbols quoted, records as
/// `[1, "a"]` or `nil`.
pub fn literal(v: Value, ty: Type, symbols: &Symbols) -> String {
    match ty {
        Type::Symbol => format!("{:?}", symbols.resolve(v)),
        Type::Record(t) => {
            let mut out = String::new();
            write_record(&mut out, v, t, symbols, true);
            out
        }
        t => numeric_text(v, t),
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
        _ => Some(v),
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
        t => numeric_json(v, t),
    }
}

/// A value of a numeric type as JSON (see [`value_json`]).
pub fn numeric_json(v: Value, t: Type) -> serde_json::Value {
    match t {
        Type::Number => serde_json::Value::from(to_number(v)),
        Type::Unsigned => serde_json::Value::from(to_unsigned(v)),
        // The number as written in output files; JSON has no `inf` or `nan`: those are strings.
        Type::Float => {
            let text = format_float(to_float(v));
            match text.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                Some(n) if to_float(v).is_finite() => serde_json::Value::Number(n),
                _ => serde_json::Value::from(text),
            }
        }
        Type::Symbol | Type::Record(_) => serde_json::Value::from(v),
    }
}

#[cfg(test)]
mod tests {
    /// Tables that grew from one share the ids up to where they first differ.
    #[test]
    fn tables_grown_from_one_share_their_first_ids() {
        let mut a = Symbols::new();
        for s in ["x", "yy", "z"] {
            a.intern(s);
        }
        let mut b = a.clone();
        a.intern("p");
        b.intern("q");
        assert_eq!(a.common_prefix(&b), 3);
        assert_eq!(a.common_prefix(&a.clone()), 4);
        // The same lengths, other bytes: `yy` and `ab` end where the other does.
        let mut c = Symbols::new();
        for s in ["x", "ab", "z"] {
            c.intern(s);
        }
        assert_eq!(a.common_prefix(&c), 1);
        assert_eq!(Symbols::new().common_prefix(&a), 0);
    }

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
    fn floats_print_as_souffle_writes_them() {
        let cases: [(Float, &str); 14] = [
            (1.5, "1.5"),
            (2.0, "2"),
            (0.1, "0.100000001"),
            (-2000.0, "-2000"),
            (1e10, "1e+10"),
            (123_456_792.0, "123456792"),
            // Exactly halfway between two 9-digit decimals: to even, as C's printf.
            (1_234_567.0 + 0.125, "1234567.12"),
            (1e-5, "9.99999975e-06"),
            (0.0001, "9.99999975e-05"),
            (-0.0, "0"),
            (Float::INFINITY, "inf"),
            (Float::NEG_INFINITY, "-inf"),
            (Float::NAN, "nan"),
            (3.0e38, "3.00000001e+38"),
        ];
        for (f, text) in cases {
            assert_eq!(format_float(to_float(from_float(f))), text, "{f}");
        }
        assert_eq!(float_to_string(1.5), "1.500000");
        assert_eq!(float_to_string(-0.1), "-0.100000");
        assert_eq!(float_to_string(Float::NAN), "nan");
    }

    #[test]
    fn float_cells_are_canonical_and_ordered() {
        assert_eq!(from_float(-0.0), from_float(0.0));
        assert_eq!(from_float(Float::NAN), from_float(-Float::NAN));
        let sorted: Vec<Float> = vec![Float::NEG_INFINITY, -2.5, -1e-30, 0.0, 1e-30, 1.0, Float::INFINITY, Float::NAN];
        let keys: Vec<i64> = sorted.iter().map(|&f| numeric_key(from_float(f), Type::Float)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert!(numeric_key(from_unsigned(u32::MAX), Type::Unsigned) > numeric_key(from_unsigned(1), Type::Unsigned));
    }

    #[test]
    fn integer_fields() {
        assert_eq!(parse_number(" -0x1F "), Ok(-31));
        assert_eq!(parse_number("2147483648"), Err(NumberError::OutOfRange));
        assert_eq!(parse_unsigned("4294967295"), Ok(u32::MAX));
        assert_eq!(parse_unsigned("-1"), Err(NumberError::OutOfRange));
        assert_eq!(parse_unsigned("1.5"), Err(NumberError::NotANumber));
        assert_eq!(parse_float(" -2.5e3 "), Some(-2500.0));
        assert_eq!(parse_float("1,5"), None);
    }

    #[test]
    fn numbers_keep_their_sign() {
        assert_eq!(to_number(from_number(-7)), -7);
        assert_eq!(to_number(from_number(Number::MIN)), Number::MIN);
    }
}
