//! The intrinsic functors, in one table: [`FUNCTORS`] gives each functor's name, argument
//! and result types and evaluation, and every stage reads it: the parser (which names are
//! conditions), `check` (names, arity, types, "did you mean"), both evaluators and the
//! explainer (evaluation), `lint` (a call's signature in a rule's canonical form); a
//! completion list is `FUNCTORS` with [`FunctorDef::signature`] and `doc`, and a test keeps
//! the README's list in step. Adding a functor is one row here plus its test.
//!
//! A name may have several rows (overloads), as in Soufflé: `min` over numbers and `min`
//! over symbols are two rows, and `check` picks the row whose parameter types match the
//! arguments' types, so a call is fully typed before it is evaluated.
//!
//! The operators (`+`, `band`, unary `-`, ...) are here too ([`unary`], [`binary`],
//! [`operator_applies`]): each is defined per numeric type as in Soufflé (`number` and
//! `unsigned` wrap at 32 bits, `float` is IEEE single precision).

use crate::base::value::{
    Float, Number, Symbols, Type, Unsigned, Value, float_to_string, from_float, from_number, from_unsigned,
    parse_float, parse_number, parse_unsigned, to_float, to_number, to_unsigned,
};
use crate::lang::syntax::ast::{BinaryOp, UnaryOp};
use itertools::Itertools;
use regex::{Regex, RegexBuilder};
use std::cmp::Ordering;
use std::collections::HashMap;

/// What evaluation of a call may use besides its arguments' values.
pub struct Ctx<'s> {
    /// For string functors (`cat`, `strlen`, ...), which read and make symbols.
    pub symbols: &'s mut Symbols,
    /// The next number `autoinc()` gives.
    pub counter: Number,
    /// The patterns `match` has compiled, by symbol (`None`: not a valid pattern).
    patterns: HashMap<Value, Option<Regex>>,
}

impl<'s> Ctx<'s> {
    /// A context with `autoinc()` at 0 and no patterns compiled yet.
    pub fn new(symbols: &'s mut Symbols) -> Ctx<'s> {
        Ctx { symbols, counter: 0, patterns: HashMap::new() }
    }
}

/// How a functor computes its value.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A function of its arguments' values; `None` when it has no value for them (the
    /// binding is dropped: a substring out of range, `to_number` of a non-number).
    Pure(fn(&[Value], &mut Ctx) -> Option<Value>),
    /// `autoinc()`: a new number each time it is evaluated.
    Counter,
    /// `x = range(from, to[, step])`: one binding of `x` per number ([`Range`]).
    Generator,
    /// A condition written as a body literal (`match(p, s)`, `contains(a, b)`), true or
    /// false for its arguments (`None`: neither, the binding is dropped). In expressions
    /// it stands for 1 or 0, which is how `check` lowers it (a filter `call != 0`).
    Test(fn(&[Value], &mut Ctx) -> Option<bool>),
}

/// One row of the table: one functor, or one overload of it.
pub struct FunctorDef {
    /// The functor's name as written (`cat`, `strlen`, `@f` is never one).
    pub name: &'static str,
    /// The parameters' types, in order.
    pub params: &'static [Type],
    /// The last parameter may be repeated (`cat(a, b, c)`, `min(a, b, c)`).
    pub variadic: bool,
    /// The type of its value.
    pub result: Type,
    /// How it computes its value.
    pub kind: Kind,
    /// What it does, in a few words (for completion and the README).
    pub doc: &'static str,
}

impl FunctorDef {
    /// Whether `n` arguments fit the parameters.
    pub fn takes(&self, n: usize) -> bool {
        if self.variadic { n >= self.params.len() } else { n == self.params.len() }
    }

    /// The parameter type of argument `i`.
    pub fn param(&self, i: usize) -> Type {
        self.params.get(i).or(self.params.last()).copied().unwrap_or(Type::Number)
    }

    /// `substr(symbol, number, number) -> symbol`; a condition has no result.
    pub fn signature(&self) -> String {
        let mut params: Vec<&str> = self.params.iter().map(|t| t.name()).collect();
        if self.variadic {
            params.push("...");
        }
        let result = match self.kind {
            Kind::Test(_) => String::new(),
            _ => format!(" -> {}", self.result.name()),
        };
        format!("{}({}){result}", self.name, params.join(", "))
    }
}

use Type::{Float as F, Number as N, Symbol as S, Unsigned as U};

/// Every intrinsic functor. Overloads of one name are adjacent.
pub static FUNCTORS: &[FunctorDef] = &[
    FunctorDef {
        name: "cat",
        params: &[S],
        variadic: true,
        result: S,
        kind: Kind::Pure(cat),
        doc: "the strings joined",
    },
    FunctorDef {
        name: "strlen",
        params: &[S],
        variadic: false,
        result: N,
        kind: Kind::Pure(strlen),
        doc: "length in characters",
    },
    FunctorDef {
        name: "substr",
        params: &[S, N, N],
        variadic: false,
        result: S,
        kind: Kind::Pure(substr),
        doc: "the characters from a position (from 0), at most a length",
    },
    FunctorDef {
        name: "ord",
        params: &[S],
        variadic: false,
        result: N,
        kind: Kind::Pure(ord),
        doc: "a number per symbol that follows string order (see the README)",
    },
    FunctorDef {
        name: "ord",
        params: &[N],
        variadic: false,
        result: N,
        kind: Kind::Pure(same),
        doc: "the number itself",
    },
    FunctorDef {
        name: "ord",
        params: &[U],
        variadic: false,
        result: N,
        kind: Kind::Pure(unsigned_to_number),
        doc: "the unsigned number's 32 bits as a number",
    },
    FunctorDef {
        name: "ord",
        params: &[F],
        variadic: false,
        result: N,
        kind: Kind::Pure(float_bits),
        doc: "the float's 32 bits as a number",
    },
    FunctorDef {
        name: "to_number",
        params: &[S],
        variadic: false,
        result: N,
        kind: Kind::Pure(to_number_of),
        doc: "the number a string spells",
    },
    FunctorDef {
        name: "to_number",
        params: &[N],
        variadic: false,
        result: N,
        kind: Kind::Pure(same),
        doc: "the number itself",
    },
    FunctorDef {
        name: "to_number",
        params: &[U],
        variadic: false,
        result: N,
        kind: Kind::Pure(unsigned_to_number),
        doc: "the same 32 bits as a signed number (wraps above 2147483647)",
    },
    FunctorDef {
        name: "to_number",
        params: &[F],
        variadic: false,
        result: N,
        kind: Kind::Pure(float_to_number),
        doc: "the float without its fraction (saturates; NaN is 0)",
    },
    FunctorDef {
        name: "to_unsigned",
        params: &[S],
        variadic: false,
        result: U,
        kind: Kind::Pure(to_unsigned_of),
        doc: "the unsigned number a string spells",
    },
    FunctorDef {
        name: "to_unsigned",
        params: &[N],
        variadic: false,
        result: U,
        kind: Kind::Pure(number_to_unsigned),
        doc: "the same 32 bits as an unsigned number (-1 is 4294967295)",
    },
    FunctorDef {
        name: "to_unsigned",
        params: &[U],
        variadic: false,
        result: U,
        kind: Kind::Pure(same),
        doc: "the unsigned number itself",
    },
    FunctorDef {
        name: "to_unsigned",
        params: &[F],
        variadic: false,
        result: U,
        kind: Kind::Pure(float_to_unsigned),
        doc: "the float without its fraction (saturates; NaN is 0)",
    },
    FunctorDef {
        name: "to_float",
        params: &[S],
        variadic: false,
        result: F,
        kind: Kind::Pure(to_float_of),
        doc: "the float a string spells",
    },
    FunctorDef {
        name: "to_float",
        params: &[N],
        variadic: false,
        result: F,
        kind: Kind::Pure(number_to_float),
        doc: "the nearest float",
    },
    FunctorDef {
        name: "to_float",
        params: &[U],
        variadic: false,
        result: F,
        kind: Kind::Pure(unsigned_to_float),
        doc: "the nearest float",
    },
    FunctorDef {
        name: "to_float",
        params: &[F],
        variadic: false,
        result: F,
        kind: Kind::Pure(same),
        doc: "the float itself",
    },
    FunctorDef {
        name: "to_string",
        params: &[N],
        variadic: false,
        result: S,
        kind: Kind::Pure(to_string_of),
        doc: "a number written in decimal",
    },
    FunctorDef {
        name: "to_string",
        params: &[U],
        variadic: false,
        result: S,
        kind: Kind::Pure(unsigned_to_string),
        doc: "an unsigned number written in decimal",
    },
    FunctorDef {
        name: "to_string",
        params: &[F],
        variadic: false,
        result: S,
        kind: Kind::Pure(float_to_string_of),
        doc: "a float written with six decimals (`1.500000`)",
    },
    FunctorDef {
        name: "to_string",
        params: &[S],
        variadic: false,
        result: S,
        kind: Kind::Pure(same),
        doc: "the string itself",
    },
    FunctorDef {
        name: "itof",
        params: &[N],
        variadic: false,
        result: F,
        kind: Kind::Pure(number_to_float),
        doc: "Soufflé 2.0 name of `to_float` on a number",
    },
    FunctorDef {
        name: "itou",
        params: &[N],
        variadic: false,
        result: U,
        kind: Kind::Pure(number_to_unsigned),
        doc: "Soufflé 2.0 name of `to_unsigned` on a number",
    },
    FunctorDef {
        name: "utoi",
        params: &[U],
        variadic: false,
        result: N,
        kind: Kind::Pure(unsigned_to_number),
        doc: "Soufflé 2.0 name of `to_number` on an unsigned",
    },
    FunctorDef {
        name: "utof",
        params: &[U],
        variadic: false,
        result: F,
        kind: Kind::Pure(unsigned_to_float),
        doc: "Soufflé 2.0 name of `to_float` on an unsigned",
    },
    FunctorDef {
        name: "ftoi",
        params: &[F],
        variadic: false,
        result: N,
        kind: Kind::Pure(float_to_number),
        doc: "Soufflé 2.0 name of `to_number` on a float",
    },
    FunctorDef {
        name: "ftou",
        params: &[F],
        variadic: false,
        result: U,
        kind: Kind::Pure(float_to_unsigned),
        doc: "Soufflé 2.0 name of `to_unsigned` on a float",
    },
    FunctorDef {
        name: "lower",
        params: &[S],
        variadic: false,
        result: S,
        kind: Kind::Pure(lower),
        doc: "the string in lower case",
    },
    FunctorDef {
        name: "upper",
        params: &[S],
        variadic: false,
        result: S,
        kind: Kind::Pure(upper),
        doc: "the string in upper case",
    },
    FunctorDef {
        name: "min",
        params: &[N],
        variadic: true,
        result: N,
        kind: Kind::Pure(min_number),
        doc: "the least number",
    },
    FunctorDef {
        name: "min",
        params: &[U],
        variadic: true,
        result: U,
        kind: Kind::Pure(min_unsigned),
        doc: "the least unsigned number",
    },
    FunctorDef {
        name: "min",
        params: &[F],
        variadic: true,
        result: F,
        kind: Kind::Pure(min_float),
        doc: "the least float (NaN is greatest)",
    },
    FunctorDef {
        name: "min",
        params: &[S],
        variadic: true,
        result: S,
        kind: Kind::Pure(min_symbol),
        doc: "the first string in string order",
    },
    FunctorDef {
        name: "max",
        params: &[N],
        variadic: true,
        result: N,
        kind: Kind::Pure(max_number),
        doc: "the greatest number",
    },
    FunctorDef {
        name: "max",
        params: &[U],
        variadic: true,
        result: U,
        kind: Kind::Pure(max_unsigned),
        doc: "the greatest unsigned number",
    },
    FunctorDef {
        name: "max",
        params: &[F],
        variadic: true,
        result: F,
        kind: Kind::Pure(max_float),
        doc: "the greatest float (NaN is greatest)",
    },
    FunctorDef {
        name: "max",
        params: &[S],
        variadic: true,
        result: S,
        kind: Kind::Pure(max_symbol),
        doc: "the last string in string order",
    },
    FunctorDef {
        name: "match",
        params: &[S, S],
        variadic: false,
        result: N,
        kind: Kind::Test(matches),
        doc: "whether the whole second string matches the regular expression (the first)",
    },
    FunctorDef {
        name: "contains",
        params: &[S, S],
        variadic: false,
        result: N,
        kind: Kind::Test(contains),
        doc: "whether the second string contains the first",
    },
    FunctorDef {
        name: "autoinc",
        params: &[],
        variadic: false,
        result: N,
        kind: Kind::Counter,
        doc: "a new number each time (0, 1, 2, ...)",
    },
    FunctorDef {
        name: "range",
        params: &[N, N],
        variadic: false,
        result: N,
        kind: Kind::Generator,
        doc: "every number from the first up to (not including) the second",
    },
    FunctorDef {
        name: "range",
        params: &[N, N, N],
        variadic: false,
        result: N,
        kind: Kind::Generator,
        doc: "every number from the first towards the second, by a step",
    },
];

/// A functor call's row in [`FUNCTORS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Functor(u16);

impl Functor {
    /// The first row named `name`.
    pub fn lookup(name: &str) -> Option<Functor> {
        FUNCTORS.iter().position(|f| f.name == name).map(|i| Functor(i as u16))
    }

    /// The row of this functor.
    pub fn def(self) -> &'static FunctorDef {
        &FUNCTORS[self.0 as usize]
    }

    /// The rows of this functor's name (its overloads).
    pub fn overloads(self) -> impl Iterator<Item = Functor> {
        let name = self.def().name;
        (0..FUNCTORS.len()).filter(move |&i| FUNCTORS[i].name == name).map(|i| Functor(i as u16))
    }

    /// The overload whose parameters take arguments of these types, if any.
    pub fn resolve(self, args: &[Type]) -> Option<Functor> {
        self.overloads()
            .find(|f| f.def().takes(args.len()) && args.iter().enumerate().all(|(i, &t)| f.def().param(i) == t))
    }

    /// Whether some overload takes `n` arguments.
    pub fn takes(self, n: usize) -> bool {
        self.overloads().any(|f| f.def().takes(n))
    }

    /// The numbers of arguments the overloads take, for messages: `2 or 3`, `at least 1`.
    pub fn arity_text(self) -> String {
        self.overloads()
            .map(|f| {
                let d = f.def();
                if d.variadic { format!("at least {}", d.params.len()) } else { d.params.len().to_string() }
            })
            .unique()
            .join(" or ")
    }

    /// Whether it is `range`, which binds a variable once per number.
    pub fn is_generator(self) -> bool {
        matches!(self.def().kind, Kind::Generator)
    }

    /// Whether it is `autoinc()`, whose value changes at each evaluation.
    pub fn is_counter(self) -> bool {
        matches!(self.def().kind, Kind::Counter)
    }

    /// Whether it is a condition, written as a body literal (`match`, `contains`).
    pub fn is_test(self) -> bool {
        matches!(self.def().kind, Kind::Test(_))
    }

    /// Evaluates the call on its arguments' values. A generator has no single value: it is
    /// run by [`Range`].
    pub fn eval(self, args: &[Value], ctx: &mut Ctx) -> Option<Value> {
        match self.def().kind {
            Kind::Pure(f) => f(args, ctx),
            Kind::Counter => {
                let n = ctx.counter;
                ctx.counter = ctx.counter.wrapping_add(1);
                Some(from_number(n))
            }
            Kind::Generator => None,
            Kind::Test(f) => f(args, ctx).map(|b| from_number(Number::from(b))),
        }
    }
}

/// Whether `name` is a functor written as a body literal (`match`, `contains`).
pub fn is_test(name: &str) -> bool {
    Functor::lookup(name).is_some_and(Functor::is_test)
}

/// The most memory a compiled pattern may take (the `regex` crate's size limits): patterns
/// come from rule files and data under review, and `a{1000}{1000}` would otherwise ask for
/// gigabytes.
pub const PATTERN_LIMIT: usize = 1 << 20;

/// How many compiled patterns evaluation keeps at once.
const PATTERN_CACHE: usize = 64;

/// Compiles a `match` pattern to match whole strings, as Soufflé's `match` does
/// (`std::regex_match`); the error says why it cannot be used.
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    let build = |p: &str| RegexBuilder::new(p).size_limit(PATTERN_LIMIT).dfa_size_limit(PATTERN_LIMIT).build();
    let explain = |e: regex::Error| match e {
        regex::Error::CompiledTooBig(limit) => {
            format!("the pattern compiles to more than {} KiB, the limit", limit / 1024)
        }
        // The last line of the crate's message says what is wrong, the first ones where.
        e => {
            let text = e.to_string();
            let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("invalid pattern").trim();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        }
    };
    // Checked alone first, so that `a)|(b` cannot close the anchoring group.
    build(pattern).map_err(explain)?;
    build(&format!("^(?:{pattern})$")).map_err(explain)
}

fn matches(args: &[Value], ctx: &mut Ctx) -> Option<bool> {
    let Ctx { symbols, patterns, .. } = ctx;
    // Patterns taken from data may all differ: keep memory bounded.
    if patterns.len() >= PATTERN_CACHE && !patterns.contains_key(&args[0]) {
        patterns.clear();
    }
    let regex = patterns.entry(args[0]).or_insert_with(|| compile_pattern(symbols.resolve(args[0])).ok());
    Some(regex.as_ref()?.is_match(symbols.resolve(args[1])))
}

fn contains(args: &[Value], ctx: &mut Ctx) -> Option<bool> {
    Some(ctx.symbols.resolve(args[1]).contains(ctx.symbols.resolve(args[0])))
}

/// Every functor name once, in table order (for "did you mean" and completion).
pub fn names() -> Vec<&'static str> {
    FUNCTORS.iter().map(|f| f.name).unique().collect()
}

fn cat(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    let s: String = args.iter().map(|&v| ctx.symbols.resolve(v)).collect();
    Some(ctx.symbols.intern(&s))
}

fn strlen(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    Number::try_from(ctx.symbols.resolve(args[0]).chars().count()).ok().map(from_number)
}

fn substr(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    let (start, len) = (to_number(args[1]), to_number(args[2]));
    let (Ok(start), Ok(len)) = (usize::try_from(start), usize::try_from(len)) else { return None };
    let s = ctx.symbols.resolve(args[0]);
    if start > s.chars().count() {
        return None;
    }
    let sub: String = s.chars().skip(start).take(len).collect();
    Some(ctx.symbols.intern(&sub))
}

fn ord(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    Some(from_number(ctx.symbols.ordinal(args[0])))
}

fn to_number_of(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    parse_number(ctx.symbols.resolve(args[0])).ok().map(from_number)
}

fn to_unsigned_of(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    parse_unsigned(ctx.symbols.resolve(args[0])).ok().map(from_unsigned)
}

fn to_float_of(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    parse_float(ctx.symbols.resolve(args[0])).map(from_float)
}

fn to_string_of(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    let s = to_number(args[0]).to_string();
    Some(ctx.symbols.intern(&s))
}

fn unsigned_to_string(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    let s = to_unsigned(args[0]).to_string();
    Some(ctx.symbols.intern(&s))
}

fn float_to_string_of(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    let s = float_to_string(to_float(args[0]));
    Some(ctx.symbols.intern(&s))
}

/// A conversion to the type a value has already (and `ord` of a number).
fn same(args: &[Value], _: &mut Ctx) -> Option<Value> {
    Some(args[0])
}

/// C++'s `static_cast<int32_t>` of a `uint32_t`: the same bits.
fn unsigned_to_number(args: &[Value], _: &mut Ctx) -> Option<Value> {
    Some(from_number(to_unsigned(args[0]) as Number))
}

/// C++'s `static_cast<uint32_t>` of an `int32_t`: the same bits.
fn number_to_unsigned(args: &[Value], _: &mut Ctx) -> Option<Value> {
    Some(from_unsigned(to_number(args[0]) as Unsigned))
}

/// Towards zero; beyond the range, the nearest end, and NaN 0 (Rust's `as`: in C++ these
/// are undefined, see the README).
fn float_to_number(args: &[Value], _: &mut Ctx) -> Option<Value> {
    Some(from_number(to_float(args[0]) as Number))
}

fn float_to_unsigned(args: &[Value], _: &mut Ctx) -> Option<Value> {
    Some(from_unsigned(to_float(args[0]) as Unsigned))
}

fn number_to_float(args: &[Value], _: &mut Ctx) -> Option<Value> {
    Some(from_float(to_number(args[0]) as Float))
}

fn unsigned_to_float(args: &[Value], _: &mut Ctx) -> Option<Value> {
    Some(from_float(to_unsigned(args[0]) as Float))
}

/// `ord` of a float: its bits as a number, as in Soufflé.
fn float_bits(args: &[Value], _: &mut Ctx) -> Option<Value> {
    Some(from_number(args[0] as Number))
}

fn min_unsigned(args: &[Value], _: &mut Ctx) -> Option<Value> {
    args.iter().copied().min()
}

fn max_unsigned(args: &[Value], _: &mut Ctx) -> Option<Value> {
    args.iter().copied().max()
}

fn min_float(args: &[Value], _: &mut Ctx) -> Option<Value> {
    args.iter().copied().min_by_key(|&v| crate::base::value::numeric_key(v, Type::Float))
}

fn max_float(args: &[Value], _: &mut Ctx) -> Option<Value> {
    args.iter().copied().max_by_key(|&v| crate::base::value::numeric_key(v, Type::Float))
}

/// Whether Soufflé defines `op` on values of type `ty`: arithmetic on the three numeric
/// types, `%`, bitwise and logical operators on the two integer types only.
pub fn operator_applies(op: BinaryOp, ty: Type) -> bool {
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow => ty.is_numeric(),
        _ => matches!(ty, Type::Number | Type::Unsigned),
    }
}

/// Whether Soufflé defines the prefix operator `op` on type `ty`: `-` on numbers and floats
/// (not on unsigned numbers), `bnot` and `lnot` on the integer types.
pub fn unary_applies(op: UnaryOp, ty: Type) -> bool {
    match op {
        UnaryOp::Neg => matches!(ty, Type::Number | Type::Float),
        UnaryOp::Bnot | UnaryOp::Lnot => matches!(ty, Type::Number | Type::Unsigned),
    }
}

/// `op a` for a value of type `ty` (one [`unary_applies`] to).
pub fn unary(op: UnaryOp, ty: Type, a: Value) -> Value {
    match (ty, op) {
        (Type::Float, _) => from_float(-to_float(a)),
        (Type::Unsigned, UnaryOp::Bnot) => !a,
        (Type::Unsigned, _) => Value::from(a == 0),
        (_, UnaryOp::Neg) => from_number(to_number(a).wrapping_neg()),
        (_, UnaryOp::Bnot) => from_number(!to_number(a)),
        (_, UnaryOp::Lnot) => from_number(Number::from(a == 0)),
    }
}

/// `a op b` for values of type `ty` (one [`operator_applies`] to); `None` when it has no value
/// (an integer division or remainder by zero), which drops the binding.
pub fn binary(op: BinaryOp, ty: Type, a: Value, b: Value) -> Option<Value> {
    match ty {
        Type::Float => Some(from_float(float_arith(op, to_float(a), to_float(b)))),
        Type::Unsigned => unsigned_arith(op, to_unsigned(a), to_unsigned(b)).map(from_unsigned),
        _ => number_arith(op, to_number(a), to_number(b)).map(from_number),
    }
}

/// IEEE single precision, as C++ computes on `float`: a division by zero is `inf` or NaN.
fn float_arith(op: BinaryOp, a: Float, b: Float) -> Float {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Pow => a.powf(b),
        _ => Float::NAN,
    }
}

/// Arithmetic modulo 2^32, as C++ computes on `uint32_t`; shifts by the count modulo 32.
fn unsigned_arith(op: BinaryOp, a: Unsigned, b: Unsigned) -> Option<Unsigned> {
    Some(match op {
        BinaryOp::Add => a.wrapping_add(b),
        BinaryOp::Sub => a.wrapping_sub(b),
        BinaryOp::Mul => a.wrapping_mul(b),
        BinaryOp::Div => a.checked_div(b)?,
        BinaryOp::Mod => a.checked_rem(b)?,
        BinaryOp::Pow => a.wrapping_pow(b),
        BinaryOp::Band => a & b,
        BinaryOp::Bor => a | b,
        BinaryOp::Bxor => a ^ b,
        BinaryOp::Bshl => a.wrapping_shl(b),
        BinaryOp::Bshr | BinaryOp::Bshru => a.wrapping_shr(b),
        BinaryOp::Land => Unsigned::from(a != 0 && b != 0),
        BinaryOp::Lor => Unsigned::from(a != 0 || b != 0),
        BinaryOp::Lxor => Unsigned::from((a != 0) != (b != 0)),
    })
}

/// Arithmetic on `number`s: wraps at 32 bits, as Soufflé's does.
fn number_arith(op: BinaryOp, a: Number, b: Number) -> Option<Number> {
    Some(match op {
        BinaryOp::Add => a.wrapping_add(b),
        BinaryOp::Sub => a.wrapping_sub(b),
        BinaryOp::Mul => a.wrapping_mul(b),
        // As in Soufflé: `i32::MIN / -1` wraps to `i32::MIN` and `i32::MIN % -1` is 0. By zero
        // there is no value (see the README).
        BinaryOp::Div if b == 0 => return None,
        BinaryOp::Mod if b == 0 => return None,
        BinaryOp::Div => a.wrapping_div(b),
        BinaryOp::Mod => a.wrapping_rem(b),
        BinaryOp::Pow => number_pow(a, b),
        BinaryOp::Band => a & b,
        BinaryOp::Bor => a | b,
        BinaryOp::Bxor => a ^ b,
        BinaryOp::Bshl => a.wrapping_shl(b as u32),
        BinaryOp::Bshr => a.wrapping_shr(b as u32),
        BinaryOp::Bshru => ((a as u32).wrapping_shr(b as u32)) as Number,
        BinaryOp::Land => (a != 0 && b != 0) as Number,
        BinaryOp::Lor => (a != 0 || b != 0) as Number,
        BinaryOp::Lxor => ((a != 0) != (b != 0)) as Number,
    })
}

/// `a ^ b` on numbers: wraps; a negative exponent truncates towards zero.
fn number_pow(a: Number, b: Number) -> Number {
    if b >= 0 {
        return a.wrapping_pow(b as u32);
    }
    match a {
        1 => 1,
        -1 if b % 2 == 0 => 1,
        -1 => -1,
        _ => 0,
    }
}

fn lower(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    let s = ctx.symbols.resolve(args[0]).to_lowercase();
    Some(ctx.symbols.intern(&s))
}

fn upper(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    let s = ctx.symbols.resolve(args[0]).to_uppercase();
    Some(ctx.symbols.intern(&s))
}

fn min_number(args: &[Value], _: &mut Ctx) -> Option<Value> {
    args.iter().map(|&v| to_number(v)).min().map(from_number)
}

fn max_number(args: &[Value], _: &mut Ctx) -> Option<Value> {
    args.iter().map(|&v| to_number(v)).max().map(from_number)
}

/// The symbol that comes first (`Less`) or last (`Greater`) in string order.
fn extreme_symbol(args: &[Value], ctx: &Ctx, want: Ordering) -> Option<Value> {
    let s = &*ctx.symbols;
    args.iter().copied().reduce(|a, b| if s.resolve(b).cmp(s.resolve(a)) == want { b } else { a })
}

fn min_symbol(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    extreme_symbol(args, ctx, Ordering::Less)
}

fn max_symbol(args: &[Value], ctx: &mut Ctx) -> Option<Value> {
    extreme_symbol(args, ctx, Ordering::Greater)
}

/// The values of `range(from, to[, step])`, as Soufflé generates them: from `from` by
/// `step` while short of `to` (`to` excluded); without a step, 1 or -1 towards `to`; with a
/// step of 0, `from` once unless the range is empty (`from == to`). Over `number` and
/// `unsigned` it stops rather than wraps at the ends of the 32-bit range; over `float` it
/// also stops where adding the step no longer changes the value.
#[derive(Debug, Clone)]
pub struct Range {
    kind: RangeKind,
}

#[derive(Debug, Clone)]
enum RangeKind {
    /// A `number` or `unsigned` range, computed in 64 bits.
    Int { next: Option<i64>, to: i64, step: i64, unsigned: bool },
    /// A `float` range.
    Float { next: Option<Float>, to: Float, step: Float },
}

impl Range {
    /// The numbers from `from` towards `to` by `step` (see [`Range`]).
    pub fn new(from: Number, to: Number, step: Option<Number>) -> Range {
        let step = step.map(i64::from);
        Range::int(i64::from(from), i64::from(to), step, false)
    }

    /// The values of type `ty` (`number`, `unsigned` or `float`) from `from` towards `to`.
    pub fn of(ty: Type, from: Value, to: Value, step: Option<Value>) -> Range {
        match ty {
            Type::Float => {
                let (from, to) = (to_float(from), to_float(to));
                let step = step.map_or(if from <= to { 1.0 } else { -1.0 }, to_float);
                // Equal bounds, a NaN, or a step away from `to`: nothing, as in Soufflé's loop.
                let nan = from.is_nan() || to.is_nan() || step.is_nan();
                let empty = nan || from == to || (step > 0.0 && from > to) || (step < 0.0 && from < to);
                Range { kind: RangeKind::Float { next: (!empty).then_some(from), to, step } }
            }
            Type::Unsigned => Range::int(i64::from(from), i64::from(to), step.map(i64::from), true),
            _ => Range::new(to_number(from), to_number(to), step.map(to_number)),
        }
    }

    fn int(from: i64, to: i64, step: Option<i64>, unsigned: bool) -> Range {
        let step = step.unwrap_or(if from <= to { 1 } else { -1 });
        let empty = match step.cmp(&0) {
            Ordering::Greater => from >= to,
            Ordering::Less => from <= to,
            Ordering::Equal => from == to,
        };
        Range { kind: RangeKind::Int { next: (!empty).then_some(from), to, step, unsigned } }
    }

    /// Whether the range generates `v` (without generating the integers before it).
    pub fn contains(&self, v: Value) -> bool {
        match &self.kind {
            RangeKind::Int { next: None, .. } => false,
            RangeKind::Int { next: Some(from), to, step, unsigned } => {
                let n = if *unsigned { i64::from(v) } else { i64::from(to_number(v)) };
                let (from, to, step) = (*from, *to, *step);
                match step.cmp(&0) {
                    Ordering::Greater => n >= from && n < to && (n - from) % step == 0,
                    Ordering::Less => n <= from && n > to && (n - from) % step == 0,
                    Ordering::Equal => n == from,
                }
            }
            RangeKind::Float { .. } => self.clone().any(|x| x == v),
        }
    }
}

impl Iterator for Range {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        match &mut self.kind {
            RangeKind::Int { next, to, step, unsigned } => {
                let current = (*next)?;
                *next = match (*step).cmp(&0) {
                    Ordering::Equal => None,
                    Ordering::Greater => Some(current + *step).filter(|n| n < to),
                    Ordering::Less => Some(current + *step).filter(|n| n > to),
                };
                Some(if *unsigned { current as Value } else { from_number(current as Number) })
            }
            RangeKind::Float { next, to, step } => {
                let current = (*next)?;
                let after = current + *step;
                let going = if *step > 0.0 { after < *to } else { after > *to };
                *next = (*step != 0.0 && going && after != current).then_some(after);
                Some(from_float(current))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: Number, to: Number, step: Option<Number>) -> Vec<Number> {
        Range::new(from, to, step).map(to_number).collect()
    }

    #[test]
    fn ranges_as_souffle_generates_them() {
        assert_eq!(range(0, 3, None), vec![0, 1, 2]);
        assert_eq!(range(3, 0, None), vec![3, 2, 1]);
        assert_eq!(range(0, 7, Some(3)), vec![0, 3, 6]);
        assert_eq!(range(5, 5, None), Vec::<Number>::new());
        assert_eq!(range(0, 3, Some(-1)), Vec::<Number>::new());
        assert_eq!(range(4, 9, Some(0)), vec![4]);
        assert_eq!(range(4, 4, Some(0)), Vec::<Number>::new());
        assert_eq!(range(Number::MAX - 1, Number::MAX, Some(5)), vec![Number::MAX - 1]);
        assert_eq!(range(Number::MIN + 1, Number::MIN, None), vec![Number::MIN + 1]);
    }

    proptest::proptest! {
        #[test]
        fn contains_agrees_with_generation(from in -20i32..20, to in -20i32..20, step in proptest::option::of(-4i32..5)) {
            let r = Range::new(from, to, step);
            let all: Vec<Number> = r.clone().map(to_number).collect();
            for n in -25..25 {
                proptest::prop_assert_eq!(r.contains(from_number(n)), all.contains(&n), "{} in {:?}", n, all);
            }
        }
    }

    #[test]
    fn unsigned_and_float_ranges() {
        let u =
            |from: u32, to: u32, step: Option<u32>| -> Vec<u32> { Range::of(Type::Unsigned, from, to, step).collect() };
        assert_eq!(u(0, 3, None), vec![0, 1, 2]);
        assert_eq!(u(3, 0, None), vec![3, 2, 1]);
        assert_eq!(u(u32::MAX - 1, u32::MAX, Some(7)), vec![u32::MAX - 1]);
        assert!(Range::of(Type::Unsigned, 0, 10, Some(3)).contains(9));
        let f = |from: Float, to: Float, step: Option<Float>| -> Vec<Float> {
            Range::of(Type::Float, from_float(from), from_float(to), step.map(from_float)).map(to_float).collect()
        };
        assert_eq!(f(0.0, 1.0, Some(0.25)), vec![0.0, 0.25, 0.5, 0.75]);
        assert_eq!(f(1.0, -1.0, None), vec![1.0, 0.0]);
        assert_eq!(f(0.5, 0.5, Some(0.0)), Vec::<Float>::new());
        assert_eq!(f(0.5, 1.5, Some(0.0)), vec![0.5]);
        assert_eq!(f(0.0, Float::NAN, None), Vec::<Float>::new());
        // Past 2^24, adding 1 changes nothing: the range stops instead of looping.
        assert_eq!(f(16_777_216.0, 1e30, None), vec![16_777_216.0]);
    }

    #[test]
    fn overloads_resolve_by_argument_types() {
        let min = Functor::lookup("min").unwrap();
        assert_eq!(min.resolve(&[Type::Number, Type::Number]).unwrap().def().result, Type::Number);
        assert_eq!(min.resolve(&[Type::Symbol, Type::Symbol, Type::Symbol]).unwrap().def().result, Type::Symbol);
        assert!(min.resolve(&[Type::Symbol, Type::Number]).is_none());
        let range = Functor::lookup("range").unwrap();
        assert_eq!(range.arity_text(), "2 or 3");
        assert!(!range.takes(1));
        assert_eq!(Functor::lookup("cat").unwrap().arity_text(), "at least 1");
        assert_eq!(Functor::lookup("substr").unwrap().def().signature(), "substr(symbol, number, number) -> symbol");
    }

    #[test]
    fn string_functors() {
        let mut symbols = Symbols::new();
        let mut ctx = Ctx::new(&mut symbols);
        let s = |ctx: &mut Ctx, t: &str| ctx.symbols.intern(t);
        let call = |ctx: &mut Ctx, name: &str, args: &[Value]| {
            let types: Vec<Type> = FUNCTORS.iter().find(|f| f.name == name).unwrap().params.to_vec();
            let types: Vec<Type> = (0..args.len()).map(|i| types.get(i).or(types.last()).copied().unwrap()).collect();
            Functor::lookup(name).unwrap().resolve(&types).unwrap().eval(args, ctx)
        };
        let haftar = s(&mut ctx, "Haftar");
        let got = call(&mut ctx, "lower", &[haftar]).unwrap();
        assert_eq!(ctx.symbols.resolve(got), "haftar");
        let got = call(&mut ctx, "upper", &[haftar]).unwrap();
        assert_eq!(ctx.symbols.resolve(got), "HAFTAR");
        let straße = s(&mut ctx, "Straße");
        let got = call(&mut ctx, "upper", &[straße]).unwrap();
        assert_eq!(ctx.symbols.resolve(got), "STRASSE");
        let got = call(&mut ctx, "substr", &[straße, from_number(4), from_number(10)]).unwrap();
        assert_eq!(ctx.symbols.resolve(got), "ße");
        assert_eq!(call(&mut ctx, "substr", &[straße, from_number(7), from_number(1)]), None);
        assert_eq!(call(&mut ctx, "substr", &[straße, from_number(-1), from_number(1)]), None);
        assert_eq!(call(&mut ctx, "strlen", &[straße]), Some(from_number(6)));
    }
}

#[cfg(test)]
mod docs_tests {
    /// The README's list of functors is kept with the table.
    #[test]
    fn the_readme_names_every_functor() {
        let readme = include_str!("../../README.md");
        for name in super::names() {
            assert!(readme.contains(&format!("`{name}(")), "README.md does not name `{name}`");
        }
    }
}

#[cfg(test)]
mod pattern_tests {
    use super::*;

    #[test]
    fn patterns_match_whole_strings_and_are_bounded() {
        let re = compile_pattern("a|ab").unwrap();
        assert!(re.is_match("ab") && re.is_match("a") && !re.is_match("abc") && !re.is_match("xab"));
        assert!(compile_pattern("a)|(b").is_err());
        assert_eq!(compile_pattern("(").unwrap_err(), "unclosed group");
        let huge = compile_pattern("(\\w{100}){100}").unwrap_err();
        assert_eq!(huge, "the pattern compiles to more than 1024 KiB, the limit");
    }
}
