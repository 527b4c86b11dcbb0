//! The syntax tree of a rule file, as written. Nothing here is resolved or checked; the
//! `check` stage turns it into `ir`. Every node carries the [`Span`] it was parsed from.

use crate::base::source::Span;
use crate::base::value::Number;

/// A name as written, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed rule file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `.decl rel(col: type, ...) [qualifiers]`, or `.decl a, b(col: type, ...)` for several
    /// relations with the same columns
    Decl(Decl),
    /// `.type Name <: symbol` (also `.type Name = symbol` and `.number_type Name` / `.symbol_type Name`)
    Type(TypeDecl),
    /// `.input`, `.output`, `.printsize`
    Directive(Directive),
    /// A fact (empty body), a rule, or a constraint (no head, issue 5).
    Rule(Rule),
    /// `.pragma ...`, `.plan ...` and other hints that are accepted; only the pragma
    /// `magic-transform` changes anything (see `lang::magic`).
    Ignored {
        /// `pragma` or `plan`.
        what: String,
        /// The string arguments, as written: `"magic-transform" "samegen"`.
        args: Vec<String>,
        /// The whole directive.
        span: Span,
    },
    /// `.comp Name<T> : Base<T> { items }`: a component, expanded by `lang::components`.
    Comp(Comp),
    /// `.init inst = Name<args>`: a component instantiation.
    Init(Init),
    /// `.override rel`, inside a component: drop the base components' rules for `rel`.
    Override { relation: Ident, span: Span },
}

/// A component's name with its type parameters (`Graph<T>`), or a reference to a component
/// with its type arguments (`Graph<number>`).
#[derive(Debug, Clone, PartialEq)]
pub struct CompType {
    pub name: Ident,
    pub args: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comp {
    /// The name and the formal type parameters.
    pub ty: CompType,
    /// Components it inherits from, with their type arguments.
    pub bases: Vec<CompType>,
    pub items: Vec<Item>,
    /// From `{` to `}`.
    pub body: Span,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Init {
    pub name: Ident,
    pub comp: CompType,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decl {
    pub name: Ident,
    /// Further relations declared with the same columns: `.decl A, B, C(x: number)`.
    pub also: Vec<Ident>,
    pub columns: Vec<Column>,
    /// Qualifiers such as `brie`, `btree`, `inline`, `magic`, `eqrel`, `choice-domain`, as written.
    pub qualifiers: Vec<Ident>,
    pub span: Span,
}

impl Decl {
    /// Every relation the declaration declares, in the order written.
    pub fn names(&self) -> impl Iterator<Item = &Ident> {
        std::iter::once(&self.name).chain(&self.also)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: Ident,
    pub ty: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeDecl {
    pub name: Ident,
    /// The type it is a subtype or alias of (`symbol`, `number`, or another declared type).
    /// For a union `.type T = A | B` every member is listed.
    pub bases: Vec<Ident>,
    /// `.type T <: B` (a subset of `B`, as `.number_type`/`.symbol_type`), rather than
    /// `.type T = B` (another name for `B`) or a union.
    pub subset: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveKind {
    Input,
    Output,
    PrintSize,
    /// `.limitsize` and anything else directive-shaped we parse but reject in `check`.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    pub kind: DirectiveKind,
    /// The directive keyword as written (`input`, `output`, ...).
    pub keyword: Ident,
    /// `.output a, b` names several relations.
    pub relations: Vec<Ident>,
    /// `(filename="x.csv", delimiter=",", headers=true)`
    pub params: Vec<Param>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub key: Ident,
    pub value: ParamValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Str(String),
    Number(Number),
    /// A bare word such as `true`, `false`, `file`.
    Word(String),
}

/// `heads :- body.`; a fact has an empty body; a constraint `:- body.` has no heads.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub heads: Vec<Atom>,
    /// `None` for a fact.
    pub body: Option<Body>,
    /// Comment lines directly above the rule (without `//`), kept for annotations
    /// such as `@display "..."` and for `fmt`.
    pub doc: Vec<String>,
    pub span: Span,
}

/// A rule body: literals joined by `,` (and) and `;` (or), with parentheses for grouping.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    And(Vec<Body>, Span),
    Or(Vec<Body>, Span),
    Lit(Literal),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Atom(Atom),
    /// `!atom`
    Negated(Atom, Span),
    /// `lhs op rhs`
    Compare {
        op: CompareOp,
        lhs: Expr,
        rhs: Expr,
        span: Span,
    },
    /// `true` / `false`
    Bool(bool, Span),
    /// A functor used as a predicate (`match("a.*", x)`, `contains(a, b)`): rejected or
    /// evaluated by `check`.
    Predicate {
        name: Ident,
        args: Vec<Expr>,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    pub relation: Ident,
    pub args: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    /// The operator as written in a rule file.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// `^` (power)
    Pow,
    Band,
    Bor,
    Bxor,
    Bshl,
    Bshr,
    /// `bshru` (logical shift right)
    Bshru,
    Land,
    Lor,
    Lxor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Bnot,
    Lnot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateFunc {
    Count,
    Sum,
    Min,
    Max,
    Mean,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Var(Ident),
    /// `_`
    Wildcard(Span),
    Number(Number, Span),
    /// A float literal such as `1.5`: parsed so that `check` can reject it by name.
    Float(String, Span),
    /// A string constant, escapes already decoded.
    Str(String, Span),
    /// `$`, Soufflé's old spelling of `autoinc()`.
    Counter(Span),
    Unary {
        op: UnaryOp,
        arg: Box<Expr>,
        span: Span,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
        /// An inner node of a chain written without parentheses (`a + b - c + d`) that the
        /// parser regrouped into a balanced tree of the same value: its operands continue
        /// the chain of its parent, so `fmt` prints them flat, as written.
        chain: bool,
    },
    /// An intrinsic functor call: `cat(a, b)`, `strlen(s)`, `min(a, b)`, `range(a, b)`,
    /// `autoinc()`, and user functors `@f(x)` (with the `@` kept in the name, rejected by check).
    Call {
        func: Ident,
        args: Vec<Expr>,
        span: Span,
    },
    /// `count : { body }`, `sum e : { body }`, `min e : atom`, ...
    Aggregate {
        func: AggregateFunc,
        target: Option<Box<Expr>>,
        body: Box<Body>,
        span: Span,
    },
    /// `as(e, T)` type cast: parsed so `check` can accept or reject it.
    Cast {
        arg: Box<Expr>,
        ty: Ident,
        span: Span,
    },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Var(i) => i.span,
            Expr::Wildcard(s)
            | Expr::Number(_, s)
            | Expr::Float(_, s)
            | Expr::Str(_, s)
            | Expr::Counter(s)
            | Expr::Unary { span: s, .. }
            | Expr::Binary { span: s, .. }
            | Expr::Call { span: s, .. }
            | Expr::Aggregate { span: s, .. }
            | Expr::Cast { span: s, .. } => *s,
        }
    }
}

impl Expr {
    /// Calls `f` on every variable occurrence, descending into aggregate bodies only when
    /// `into_aggregates` (their variables are local to them, except those also used outside).
    pub fn for_each_var<'a>(&'a self, into_aggregates: bool, f: &mut dyn FnMut(&'a Ident)) {
        match self {
            Expr::Var(id) => f(id),
            Expr::Unary { arg, .. } | Expr::Cast { arg, .. } => arg.for_each_var(into_aggregates, f),
            Expr::Binary { lhs, rhs, .. } => {
                lhs.for_each_var(into_aggregates, f);
                rhs.for_each_var(into_aggregates, f);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| a.for_each_var(into_aggregates, f)),
            Expr::Aggregate { target, body, .. } if into_aggregates => {
                if let Some(t) = target {
                    t.for_each_var(into_aggregates, f);
                }
                body.for_each_var(into_aggregates, f);
            }
            Expr::Aggregate { .. }
            | Expr::Wildcard(_)
            | Expr::Number(..)
            | Expr::Float(..)
            | Expr::Str(..)
            | Expr::Counter(_) => {}
        }
    }
}

impl Literal {
    /// Calls `f` on every variable occurrence (see [`Expr::for_each_var`]).
    pub fn for_each_var<'a>(&'a self, into_aggregates: bool, f: &mut dyn FnMut(&'a Ident)) {
        let args: &[Expr] = match self {
            Literal::Atom(a) | Literal::Negated(a, _) => &a.args,
            Literal::Predicate { args, .. } => args,
            Literal::Compare { lhs, rhs, .. } => {
                lhs.for_each_var(into_aggregates, f);
                rhs.for_each_var(into_aggregates, f);
                return;
            }
            Literal::Bool(..) => return,
        };
        args.iter().for_each(|e| e.for_each_var(into_aggregates, f));
    }
}

impl Body {
    /// Calls `f` on every variable occurrence of every literal.
    pub fn for_each_var<'a>(&'a self, into_aggregates: bool, f: &mut dyn FnMut(&'a Ident)) {
        match self {
            Body::And(parts, _) | Body::Or(parts, _) => parts.iter().for_each(|p| p.for_each_var(into_aggregates, f)),
            Body::Lit(l) => l.for_each_var(into_aggregates, f),
        }
    }

    pub fn span(&self) -> Span {
        match self {
            Body::And(_, s) | Body::Or(_, s) => *s,
            Body::Lit(l) => l.span(),
        }
    }
}

impl Literal {
    pub fn span(&self) -> Span {
        match self {
            Literal::Atom(a) => a.span,
            Literal::Negated(_, s)
            | Literal::Compare { span: s, .. }
            | Literal::Bool(_, s)
            | Literal::Predicate { span: s, .. } => *s,
        }
    }
}

/// The columns of a constraint's hidden relation: the named variables that occur in every
/// alternative of the body (outside aggregate bodies), in order of first appearance.
pub fn constraint_columns(body: &Body) -> Vec<Ident> {
    match body {
        Body::Lit(l) => {
            let mut out: Vec<Ident> = Vec::new();
            l.for_each_var(false, &mut |id| {
                if !out.iter().any(|o| o.name == id.name) {
                    out.push(id.clone());
                }
            });
            out
        }
        Body::And(parts, _) => {
            let mut out: Vec<Ident> = Vec::new();
            for id in parts.iter().flat_map(constraint_columns) {
                if !out.iter().any(|o| o.name == id.name) {
                    out.push(id);
                }
            }
            out
        }
        Body::Or(parts, _) => {
            let alternatives: Vec<Vec<Ident>> = parts.iter().map(constraint_columns).collect();
            let Some((first, rest)) = alternatives.split_first() else { return Vec::new() };
            first.iter().filter(|id| rest.iter().all(|alt| alt.iter().any(|o| o.name == id.name))).cloned().collect()
        }
    }
}
