//! Values and their interning. A tuple is a row of [`Value`]s: a `number` column holds the
//! two's-complement bits of an `i64`, a `symbol` column holds the id of an interned string.
//! The column's [`Type`] (known statically) says which; values never carry a tag.

use serde::Serialize;

/// One cell of a tuple: a symbol id or a number's bits.
pub type Value = u64;

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

pub fn from_number(n: i64) -> Value {
    n as u64
}

pub fn to_number(v: Value) -> i64 {
    v as i64
}

/// The symbol table: every distinct string gets a small id, so tuples compare and hash as
/// integers. Ids are dense and assigned in first-seen order; output is sorted by the
/// strings themselves, never by id.
#[derive(Debug, Default)]
pub struct Symbols {
    rodeo: lasso::Rodeo,
}

impl Symbols {
    pub fn new() -> Symbols {
        Symbols::default()
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
        assert_eq!(to_number(from_number(i64::MIN)), i64::MIN);
    }
}
