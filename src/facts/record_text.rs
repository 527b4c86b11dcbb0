//! Record values in fact tables, as Soufflé writes them to output files and reads them back:
//! `[1, a]`, `[1, [2, nil]]`, `nil`, and values of algebraic data types, `$Circle(5)` and
//! `$Zero`. A symbol field is either quoted (`"a, b"`, with `\"` and `\\` escapes, for text
//! holding `,`, `]` or `)`) or bare (trimmed, up to the next `,`, `]` or `)`), so that every
//! file stance or Soufflé writes reads back as the same values (symbols holding those
//! characters aside, which Soufflé writes bare too).

use crate::base::record::NIL;
use crate::base::value::{
    Number, Symbols, Type, Value, from_float, from_number, from_unsigned, parse_float, parse_unsigned,
};

/// Reads `text` as a whole value of record type `t`, interning its symbols and records.
/// `number` reads a number field. The error says what was expected and at which byte.
pub fn read(
    text: &str,
    t: u16,
    symbols: &mut Symbols,
    number: &dyn Fn(&str) -> Option<Number>,
) -> Result<Value, String> {
    let mut r = Reader { text, at: 0, number };
    let v = r.record(t, symbols)?;
    r.blanks();
    if r.at < text.len() {
        return Err(format!("unexpected `{}` after the record (byte {})", r.rest_char(), r.at + 1));
    }
    Ok(v)
}

/// Nesting deeper than this is refused, so a hostile table cannot overflow the stack.
const MAX_DEPTH: usize = 256;

struct Reader<'t, 'n> {
    text: &'t str,
    at: usize,
    number: &'n dyn Fn(&str) -> Option<Number>,
}

impl Reader<'_, '_> {
    fn blanks(&mut self) {
        while self.text[self.at..].starts_with([' ', '\t']) {
            self.at += 1;
        }
    }

    fn rest_char(&self) -> char {
        self.text[self.at..].chars().next().unwrap_or(' ')
    }

    fn expected(&self, what: &str) -> String {
        match self.text[self.at..].chars().next() {
            Some(c) => format!("expected {what}, found `{c}` (byte {})", self.at + 1),
            None => format!("expected {what}, found the end of the field"),
        }
    }

    fn record(&mut self, t: u16, symbols: &mut Symbols) -> Result<Value, String> {
        self.nested(t, symbols, 0)
    }

    fn nested(&mut self, t: u16, symbols: &mut Symbols, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("records nested more than {MAX_DEPTH} deep"));
        }
        self.blanks();
        if !symbols.records.ty(t).branches.is_empty() {
            return self.branch(t, symbols, depth);
        }
        if self.text[self.at..].starts_with("nil") {
            self.at += 3;
            return Ok(NIL);
        }
        if !self.text[self.at..].starts_with('[') {
            return Err(self.expected("`[` or `nil`"));
        }
        self.at += 1;
        let types: Vec<Type> = symbols.records.ty(t).fields.iter().map(|(_, ty)| *ty).collect();
        let values = self.fields(&types, ']', Vec::new(), symbols, depth)?;
        symbols.records.pack(t, &values).ok_or_else(|| "records nested too deep, or too many records".to_string())
    }

    /// `$Circle(5)` or `$Zero`: a value of the algebraic data type `t`.
    fn branch(&mut self, t: u16, symbols: &mut Symbols, depth: usize) -> Result<Value, String> {
        if !self.text[self.at..].starts_with('$') {
            return Err(self.expected("`$` and a branch"));
        }
        self.at += 1;
        let start = self.at;
        let rest = &self.text[start..];
        let len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        self.at += len;
        let name = &self.text[start..start + len];
        let ty = symbols.records.ty(t);
        let Some(index) = ty.branches.iter().position(|(b, _)| b == name) else {
            return Err(format!("`${name}` is not a branch of `{}`", ty.name));
        };
        let types: Vec<Type> = ty.branches[index].1.iter().map(|(_, ft)| *ft).collect();
        let tag = vec![index as Value];
        let values = if self.text[self.at..].starts_with('(') {
            self.at += 1;
            self.fields(&types, ')', tag, symbols, depth)?
        } else if types.is_empty() {
            tag
        } else {
            return Err(self.expected("`(` and the branch's fields"));
        };
        symbols.records.pack(t, &values).ok_or_else(|| "records nested too deep, or too many records".to_string())
    }

    /// The fields of `types`, separated by `,` and ended by `close`, after `values`.
    fn fields(
        &mut self,
        types: &[Type],
        close: char,
        mut values: Vec<Value>,
        symbols: &mut Symbols,
        depth: usize,
    ) -> Result<Vec<Value>, String> {
        for (i, ty) in types.iter().enumerate() {
            if i > 0 {
                self.blanks();
                if !self.text[self.at..].starts_with(',') {
                    return Err(self.expected(&format!("`,` and field {} of {}", i + 1, types.len())));
                }
                self.at += 1;
            }
            values.push(self.field(*ty, symbols, depth)?);
        }
        self.blanks();
        if !self.text[self.at..].starts_with(close) {
            let plural = if types.len() == 1 { "" } else { "s" };
            return Err(self.expected(&format!("`{close}` after {} field{plural}", types.len())));
        }
        self.at += 1;
        Ok(values)
    }

    fn field(&mut self, ty: Type, symbols: &mut Symbols, depth: usize) -> Result<Value, String> {
        self.blanks();
        match ty {
            Type::Record(inner) => self.nested(inner, symbols, depth + 1),
            Type::Symbol if self.text[self.at..].starts_with('"') => {
                let s = self.quoted()?;
                Ok(symbols.intern(&s))
            }
            Type::Symbol => {
                let s = self.bare();
                Ok(symbols.intern(s.trim_end_matches([' ', '\t'])))
            }
            Type::Number => {
                let number = self.number;
                let s = self.bare();
                number(s).map(from_number).ok_or_else(|| format!("`{}` is not a number", s.trim()))
            }
            Type::Unsigned => {
                let s = self.bare();
                parse_unsigned(s).map(from_unsigned).map_err(|_| format!("`{}` is not an unsigned number", s.trim()))
            }
            Type::Float => {
                let s = self.bare();
                parse_float(s).map(from_float).ok_or_else(|| format!("`{}` is not a float", s.trim()))
            }
        }
    }

    /// Text up to the next `,`, `]` or `)` (not included).
    fn bare(&mut self) -> &str {
        let start = self.at;
        let len = self.text[start..].find([',', ']', ')']).unwrap_or(self.text.len() - start);
        self.at += len;
        &self.text[start..start + len]
    }

    /// A quoted symbol, the opening `"` current.
    fn quoted(&mut self) -> Result<String, String> {
        let mut out = String::new();
        let mut chars = self.text[self.at + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 2;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, e)) => out.push(e),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err("a quoted symbol is not closed".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::record::RecordType;

    fn table() -> Symbols {
        let mut s = Symbols::new();
        s.records.types.push(RecordType {
            name: "List".into(),
            fields: vec![("head".into(), Type::Symbol), ("tail".into(), Type::Record(0))],
            branches: Vec::new(),
        });
        s
    }

    fn number(s: &str) -> Option<Number> {
        s.trim().parse().ok()
    }

    #[test]
    fn reads_what_display_writes() {
        let mut s = table();
        let v = read(r#"[a, [ "b, ]\"" , nil]]"#, 0, &mut s, &number).unwrap();
        assert_eq!(crate::base::value::display(v, Type::Record(0), &s), r#"[a, [b, ]", nil]]"#);
        assert_eq!(read("nil", 0, &mut s, &number), Ok(NIL));
    }

    #[test]
    fn errors_say_what_was_expected() {
        let mut s = table();
        assert_eq!(read("[a]", 0, &mut s, &number), Err("expected `,` and field 2 of 2, found `]` (byte 3)".into()));
        assert_eq!(
            read("[a, nil", 0, &mut s, &number),
            Err("expected `]` after 2 fields, found the end of the field".into())
        );
        assert_eq!(read("x", 0, &mut s, &number), Err("expected `[` or `nil`, found `x` (byte 1)".into()));
        assert_eq!(read("nil x", 0, &mut s, &number), Err("unexpected `x` after the record (byte 5)".into()));
        let deep = "[a, ".repeat(300) + "nil" + &"]".repeat(300);
        assert_eq!(read(&deep, 0, &mut s, &number), Err("records nested more than 256 deep".into()));
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_or_refused_without_panic(text in "[\\[\\], \"\\\\a1nil-]{0,40}") {
            let mut s = table();
            if let Ok(v) = read(&text, 0, &mut s, &number) {
                // What was read shows as a record that reads back as the same value (quoted
                // symbols may hold `,` or `]`, which Soufflé's output format writes bare).
                let shown = crate::base::value::display(v, Type::Record(0), &s);
                if !text.contains('"') {
                    proptest::prop_assert_eq!(read(&shown, 0, &mut s, &number), Ok(v), "{}", shown);
                }
            }
        }
    }
}
