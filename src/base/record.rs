//! Soufflé's record types (`.type Pair = [a: number, b: symbol]`) and the record table.
//!
//! A record value is interned like a symbol: the table maps each distinct tuple of field
//! values to a small id, so a column of a record type holds one [`Value`] and joins, sorting
//! and deduplication treat it like any other cell. Id 0 is `nil` (as in Soufflé); the others
//! are dense, in first-packed order. Ids therefore depend on evaluation order, so nothing
//! shown to people depends on them: output sorts and prints records by their fields
//! (see [`crate::base::order`] and [`crate::base::value::display`]).
//!
//! Two records are equal exactly when their fields are (the table is canonical), so `=` and
//! `!=` compare ids; a recursive type (`.type List = [head: number, tail: List]`) is a chain
//! of ids ending in `nil`.

use crate::base::value::{Type, Value};
use rustc_hash::FxHashMap;

/// The id of `nil`, the empty record of every record type.
pub const NIL: Value = 0;

/// A declared record type (its name and its named, typed fields), or an algebraic data
/// type (its name and its branches, each with its fields). A value of an algebraic data type
/// is a record whose first field is the branch's index (branches sorted by name, as Soufflé
/// numbers them) followed by the branch's fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordType {
    /// The type's name, as declared.
    pub name: String,
    /// The fields' names and types, in order (none for an algebraic data type).
    pub fields: Vec<(String, Type)>,
    /// The branches of an algebraic data type, sorted by name; empty for a record type.
    pub branches: Vec<(String, Vec<(String, Type)>)>,
}

/// A record value taken apart: its branch (for an algebraic data type), its field values and
/// their names and types.
pub struct Parts<'a> {
    /// The branch's name, for a value of an algebraic data type.
    pub branch: Option<&'a str>,
    /// The field values (without the branch index).
    pub values: &'a [Value],
    /// The fields' names and types.
    pub types: &'a [(String, Type)],
}

/// The record types of a program and the records built so far.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// Declared record types; [`Type::Record`] holds an index into this.
    pub types: Vec<RecordType>,
    /// Each record's fields, by id (`ids[0]`, `nil`, is empty).
    fields: Vec<Box<[Value]>>,
    /// Id by fields.
    ids: FxHashMap<Box<[Value]>, Value>,
    /// Total number of field values held.
    cells: usize,
    /// How deeply each record nests records (by id; a record with no record fields is 1).
    depths: Vec<u32>,
    /// Set when a record nested deeper than [`MAX_DEPTH`] was refused.
    refused: bool,
}

/// The deepest nesting of records accepted (a list of this many elements). Showing, sorting
/// and writing a record recurse into its fields; deeper values would exhaust the stack, so
/// a program that builds one stops with an error (see [`Records::too_deep`]).
pub const MAX_DEPTH: u32 = 1000;

impl Records {
    /// The type declared at `index`.
    pub fn ty(&self, index: u16) -> &RecordType {
        &self.types[usize::from(index)]
    }

    /// The id of the record of type `t` with these fields, adding it if it is new. `None`
    /// when it would nest deeper than [`MAX_DEPTH`] or the table is full (2^32 records);
    /// the first case is remembered for [`Records::too_deep`].
    pub fn pack(&mut self, t: u16, values: &[Value]) -> Option<Value> {
        if self.fields.is_empty() {
            self.fields.push(Box::new([]));
            self.depths.push(0);
        }
        if let Some(&id) = self.ids.get(values) {
            return Some(id);
        }
        let depth = 1 + self.deepest_field(t, values);
        if depth > MAX_DEPTH {
            self.refused = true;
            return None;
        }
        let id = Value::try_from(self.fields.len()).ok()?;
        let key: Box<[Value]> = values.into();
        self.fields.push(key.clone());
        self.depths.push(depth);
        self.ids.insert(key, id);
        self.cells += values.len();
        Some(id)
    }

    /// The deepest nesting among the record fields of a would-be record of type `t`.
    fn deepest_field(&self, t: u16, values: &[Value]) -> u32 {
        let Some(ty) = self.types.get(usize::from(t)) else { return 0 };
        let (fields, values) = match ty.branches.as_slice() {
            [] => (&ty.fields, values),
            branches => match values.split_first() {
                Some((&tag, rest)) => match branches.get(tag as usize) {
                    Some((_, fields)) => (fields, rest),
                    None => return 0,
                },
                None => return 0,
            },
        };
        fields
            .iter()
            .zip(values)
            .filter(|((_, ft), _)| matches!(ft, Type::Record(_)))
            .map(|(_, &v)| self.depths.get(v as usize).copied().unwrap_or(0))
            .max()
            .unwrap_or(0)
    }

    /// Whether a record was refused for nesting deeper than [`MAX_DEPTH`]: evaluators check
    /// this and stop with an error, so no binding is dropped silently.
    pub fn too_deep(&self) -> bool {
        self.refused
    }

    /// The id of the record with these fields, if it was ever built.
    pub fn get(&self, values: &[Value]) -> Option<Value> {
        self.ids.get(values).copied()
    }

    /// The fields of record `id`; `None` for `nil` (which has none) or an unknown id.
    pub fn unpack(&self, id: Value) -> Option<&[Value]> {
        if id == NIL {
            return None;
        }
        self.fields.get(id as usize).map(|f| &f[..])
    }

    /// Record `id` of type `t` taken apart; `None` for `nil` or an id that does not fit.
    pub fn parts(&self, t: u16, id: Value) -> Option<Parts<'_>> {
        let values = self.unpack(id)?;
        let ty = self.types.get(usize::from(t))?;
        if ty.branches.is_empty() {
            return Some(Parts { branch: None, values, types: &ty.fields });
        }
        let (&tag, rest) = values.split_first()?;
        let (name, types) = ty.branches.get(tag as usize)?;
        Some(Parts { branch: Some(name), values: rest, types })
    }

    /// Number of records built (`nil` not counted).
    pub fn len(&self) -> usize {
        self.fields.len().saturating_sub(1)
    }

    /// Whether no record was built.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Field values held in all, for the engine's limits.
    pub fn cells(&self) -> usize {
        self.cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_is_canonical_and_nil_is_zero() {
        let mut r = Records::default();
        let a = r.pack(0, &[1, 2]).unwrap();
        let b = r.pack(0, &[2, 1]).unwrap();
        assert_eq!(r.pack(0, &[1, 2]), Some(a));
        assert_ne!(a, b);
        assert!(a != NIL && b != NIL);
        assert_eq!(r.unpack(a), Some(&[1, 2][..]));
        assert_eq!(r.unpack(NIL), None);
        assert_eq!(r.get(&[3, 3]), None);
        assert_eq!((r.len(), r.cells()), (2, 4));
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_and_remembered() {
        let mut r = Records::default();
        r.types.push(RecordType {
            name: "L".into(),
            fields: vec![("h".into(), Type::Number), ("t".into(), Type::Record(0))],
            branches: Vec::new(),
        });
        let mut list = NIL;
        for i in 0..MAX_DEPTH {
            list = r.pack(0, &[i, list]).unwrap();
        }
        assert!(!r.too_deep());
        assert_eq!(r.pack(0, &[0, list]), None);
        assert!(r.too_deep());
    }
}
