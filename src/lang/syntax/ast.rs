//! The syntax tree of a rule file, as written. Nothing here is resolved or checked; the
//! `check` stage turns it into `ir`. Every node carries the [`Span`] it was parsed from.

use crate::base::source::Span;
use crate::base::value::Number;
use itertools::Itertools;

/// A name as written, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// One parsed rule file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct File {
    /// The file's items, in source order.
    pub items: Vec<Item>,
}

/// One top-level item of a rule file.
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
    /// `.prefer r2 > r1`, `.prefer by grade`, `.prefer by date`: superiority between
    /// defeasible rules (see `lang::defeasible`).
    Prefer(Prefer),
    /// `.override rel`, inside a component: drop the base components' rules for `rel`.
    Override {
        /// The relation whose inherited rules are dropped.
        relation: Ident,
        /// The whole directive.
        span: Span,
    },
}

/// A component's name with its type parameters (`Graph<T>`), or a reference to a component
/// with its type arguments (`Graph<number>`).
#[derive(Debug, Clone, PartialEq)]
pub struct CompType {
    /// The component's name.
    pub name: Ident,
    /// The type parameters (in a definition) or type arguments (in a reference).
    pub args: Vec<Ident>,
    /// The whole `Name<...>`.
    pub span: Span,
}

/// A component definition: `.comp Name<T> : Base<T> { items }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comp {
    /// The name and the formal type parameters.
    pub ty: CompType,
    /// Components it inherits from, with their type arguments.
    pub bases: Vec<CompType>,
    /// The items declared inside the component.
    pub items: Vec<Item>,
    /// From `{` to `}`.
    pub body: Span,
    /// The whole definition.
    pub span: Span,
}

/// A component instantiation: `.init inst = Name<args>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Init {
    /// The instance's name, which prefixes its relations (`inst.rel`).
    pub name: Ident,
    /// The component instantiated, with its type arguments.
    pub comp: CompType,
    /// The whole directive.
    pub span: Span,
}

/// A relation declaration: `.decl name(columns) qualifiers`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decl {
    /// The (first) relation declared.
    pub name: Ident,
    /// Further relations declared with the same columns: `.decl A, B, C(x: number)`.
    pub also: Vec<Ident>,
    /// The relation's columns, in order.
    pub columns: Vec<Column>,
    /// Qualifiers such as `brie`, `btree`, `inline`, `magic`, `eqrel`, `choice-domain`, as written.
    pub qualifiers: Vec<Ident>,
    /// The whole declaration.
    pub span: Span,
}

impl Decl {
    /// Every relation the declaration declares, in the order written.
    pub fn names(&self) -> impl Iterator<Item = &Ident> {
        std::iter::once(&self.name).chain(&self.also)
    }
}

/// One column of a relation declaration: `name: type`.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name.
    pub name: Ident,
    /// The column's type, as written.
    pub ty: Ident,
}

/// The fields of a record type or of a branch: (name, type name).
pub type Fields = Vec<(Ident, Ident)>;

/// A type declaration: `.type Name <: base`, `.type Name = A | B`, `.type P = [a: number]`,
/// `.type S = A {x: number} | B {}`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDecl {
    /// The declared type's name.
    pub name: Ident,
    /// The type it is a subtype or alias of (`symbol`, `number`, or another declared type).
    /// For a union `.type T = A | B` every member is listed.
    pub bases: Vec<Ident>,
    /// `.type T <: B` (a subset of `B`, as `.number_type`/`.symbol_type`), rather than
    /// `.type T = B` (another name for `B`) or a union.
    pub subset: bool,
    /// `.type T = [a: number, b: T]`: a record type's fields (name, type); `bases` is empty.
    pub fields: Option<Fields>,
    /// `.type S = Circle {r: number} | Zero {}`: an algebraic data type's branches, each with
    /// its fields; `bases` is empty.
    pub branches: Option<Vec<(Ident, Fields)>>,
    /// The whole declaration.
    pub span: Span,
}

/// Which directive a [`Directive`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveKind {
    /// `.input`: read the relation's facts from a table.
    Input,
    /// `.output`: write the relation after evaluation.
    Output,
    /// `.printsize`: print the relation's size after evaluation.
    PrintSize,
    /// `.limitsize` and anything else directive-shaped we parse but reject in `check`.
    Other,
}

/// An I/O directive: `.input rel(filename="x.csv")`, `.output a, b`, `.printsize r`.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    /// Which directive this is.
    pub kind: DirectiveKind,
    /// The directive keyword as written (`input`, `output`, ...).
    pub keyword: Ident,
    /// `.output a, b` names several relations.
    pub relations: Vec<Ident>,
    /// `(filename="x.csv", delimiter=",", headers=true)`
    pub params: Vec<Param>,
    /// The whole directive.
    pub span: Span,
}

/// One `key=value` parameter of a directive.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The parameter's name.
    pub key: Ident,
    /// The parameter's value.
    pub value: ParamValue,
    /// The whole `key=value`.
    pub span: Span,
}

/// The value of a directive parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// A quoted string, escapes decoded.
    Str(String),
    /// A number.
    Number(Number),
    /// A bare word such as `true`, `false`, `file`.
    Word(String),
}

/// What a `.prefer` directive ranks.
#[derive(Debug, Clone, PartialEq)]
pub enum PreferKind {
    /// `.prefer r2 > r1`: the rule named `r2` is superior to `r1` (names as written, in order).
    Rules(Ident, Ident),
    /// `.prefer by grade`: of two conflicting statement rows, the better-graded one wins.
    Grade,
    /// `.prefer by date`: of two conflicting statement rows, the later one wins.
    Date,
    /// `.prefer by specificity`: of two conflicting rules, the more specific one wins (its
    /// body implies the other's through strict rules, and not the reverse).
    Specificity,
}

/// A `.prefer` directive.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefer {
    /// What it ranks.
    pub kind: PreferKind,
    /// The whole directive.
    pub span: Span,
}

/// How a rule concludes its head (defeasible logic, see `lang::defeasible`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleKind {
    /// `:-`: the head holds whenever the body does.
    #[default]
    Strict,
    /// `:~`: the head holds unless a rule for its complement is not beaten.
    Defeasible,
    /// `:~>`: concludes nothing; only stops the complement of its head.
    Defeater,
}

impl RuleKind {
    /// The rule's arrow as written.
    pub fn arrow(self) -> &'static str {
        match self {
            RuleKind::Strict => ":-",
            RuleKind::Defeasible => ":~",
            RuleKind::Defeater => ":~>",
        }
    }
}

/// `heads :- body.`; a fact has an empty body; a constraint `:- body.` has no heads.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `@name` written before the rule, for `.prefer`.
    pub name: Option<Ident>,
    /// Strict, defeasible or defeater.
    pub kind: RuleKind,
    /// The head atoms: several for `a(x), b(x) :- c(x).`, none for a constraint.
    pub heads: Vec<Atom>,
    /// `None` for a fact.
    pub body: Option<Body>,
    /// Comment lines directly above the rule (without `//`), kept for annotations
    /// such as `@display "..."` and for `fmt`.
    pub doc: Vec<String>,
    /// The whole rule, up to and including its `.`.
    pub span: Span,
}

/// A rule body: literals joined by `,` (and) and `;` (or), with parentheses for grouping.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Literals joined by `,`: all must hold.
    And(Vec<Body>, Span),
    /// Alternatives joined by `;`: one must hold.
    Or(Vec<Body>, Span),
    /// A single literal.
    Lit(Literal),
}

/// One literal of a rule body.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A positive atom: `rel(x, y)`.
    Atom(Atom),
    /// `!atom`
    Negated(Atom, Span),
    /// `lhs op rhs`
    Compare {
        /// The comparison operator.
        op: CompareOp,
        /// The left operand.
        lhs: Expr,
        /// The right operand.
        rhs: Expr,
        /// The whole comparison.
        span: Span,
    },
    /// `true` / `false`
    Bool(bool, Span),
    /// A functor used as a predicate (`match("a.*", x)`, `contains(a, b)`): rejected or
    /// evaluated by `check`.
    Predicate {
        /// The functor's name.
        name: Ident,
        /// The functor's arguments.
        args: Vec<Expr>,
        /// The whole literal.
        span: Span,
    },
}

/// A relation applied to arguments: `rel(x, "a", 1)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    /// The relation's name.
    pub relation: Ident,
    /// The arguments, one per column.
    pub args: Vec<Expr>,
    /// The whole atom.
    pub span: Span,
}

/// A comparison operator of a body literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
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

/// An infix arithmetic, bitwise or logical operator on numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^` (power)
    Pow,
    /// `band` (bitwise and)
    Band,
    /// `bor` (bitwise or)
    Bor,
    /// `bxor` (bitwise exclusive or)
    Bxor,
    /// `bshl` (shift left)
    Bshl,
    /// `bshr` (arithmetic shift right)
    Bshr,
    /// `bshru` (logical shift right)
    Bshru,
    /// `land` (logical and: 1 if both are non-zero)
    Land,
    /// `lor` (logical or)
    Lor,
    /// `lxor` (logical exclusive or)
    Lxor,
}

/// A prefix operator on numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-` (negation)
    Neg,
    /// `bnot` (bitwise not)
    Bnot,
    /// `lnot` (logical not: 1 if zero, else 0)
    Lnot,
}

/// An aggregate function: `count`, `sum`, `min`, `max`, `mean`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateFunc {
    /// `count : { body }`: the number of solutions of the body.
    Count,
    /// `sum e : { body }`: the sum of `e` over the bindings.
    Sum,
    /// `min e : { body }`: the smallest `e`.
    Min,
    /// `max e : { body }`: the largest `e`.
    Max,
    /// `mean e : { body }`: the mean of `e` (parsed so that `check` can reject it).
    Mean,
}

impl AggregateFunc {
    /// The keyword it is written with.
    pub fn keyword(self) -> &'static str {
        match self {
            AggregateFunc::Count => "count",
            AggregateFunc::Sum => "sum",
            AggregateFunc::Min => "min",
            AggregateFunc::Max => "max",
            AggregateFunc::Mean => "mean",
        }
    }
}

/// An argument or operand: a term of the rule language.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A named variable.
    Var(Ident),
    /// `_`
    Wildcard(Span),
    /// A number literal.
    Number(Number, Span),
    /// A float literal such as `1.5`: parsed so that `check` can reject it by name.
    Float(String, Span),
    /// A string constant, escapes already decoded.
    Str(String, Span),
    /// `$`, Soufflé's old spelling of `autoinc()`.
    Counter(Span),
    /// A prefix operator applied to an operand.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        arg: Box<Expr>,
        /// The whole expression.
        span: Span,
    },
    /// An infix operator applied to two operands.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        lhs: Box<Expr>,
        /// The right operand.
        rhs: Box<Expr>,
        /// The whole expression.
        span: Span,
        /// An inner node of a chain written without parentheses (`a + b - c + d`) that the
        /// parser regrouped into a balanced tree of the same value: its operands continue
        /// the chain of its parent, so `fmt` prints them flat, as written.
        chain: bool,
    },
    /// An intrinsic functor call: `cat(a, b)`, `strlen(s)`, `min(a, b)`, `range(a, b)`,
    /// `autoinc()`, and user functors `@f(x)` (with the `@` kept in the name, rejected by check).
    Call {
        /// The functor's name, as written.
        func: Ident,
        /// The arguments.
        args: Vec<Expr>,
        /// The whole call.
        span: Span,
    },
    /// `count : { body }`, `sum e : { body }`, `min e : atom`, ...
    Aggregate {
        /// Which aggregate.
        func: AggregateFunc,
        /// The aggregated expression (`None` for `count`).
        target: Option<Box<Expr>>,
        /// The body the aggregate ranges over.
        body: Box<Body>,
        /// The whole aggregate.
        span: Span,
    },
    /// `[a, b]`: a record built from (in a head) or matched against (in a body) its fields.
    Record(Vec<Expr>, Span),
    /// `nil`: the empty record of any record type.
    Nil(Span),
    /// `$Circle(r)` (or `$Zero`): a branch of an algebraic data type, built or matched.
    Branch {
        /// The branch's name, without the `$`.
        name: Ident,
        /// Its arguments.
        args: Vec<Expr>,
        /// The whole constructor.
        span: Span,
    },
    /// `as(e, T)` type cast: parsed so `check` can accept or reject it.
    Cast {
        /// The expression cast.
        arg: Box<Expr>,
        /// The type cast to.
        ty: Ident,
        /// The whole cast.
        span: Span,
    },
}

impl Expr {
    /// Where the expression was written.
    pub fn span(&self) -> Span {
        match self {
            Expr::Var(i) => i.span,
            Expr::Wildcard(s)
            | Expr::Number(_, s)
            | Expr::Float(_, s)
            | Expr::Str(_, s)
            | Expr::Counter(s)
            | Expr::Record(_, s)
            | Expr::Nil(s)
            | Expr::Branch { span: s, .. }
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
            Expr::Call { args, .. } | Expr::Record(args, _) | Expr::Branch { args, .. } => {
                args.iter().for_each(|a| a.for_each_var(into_aggregates, f))
            }
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
            | Expr::Nil(_)
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

    /// Where the body was written.
    pub fn span(&self) -> Span {
        match self {
            Body::And(_, s) | Body::Or(_, s) => *s,
            Body::Lit(l) => l.span(),
        }
    }
}

impl Literal {
    /// Where the literal was written.
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
            let mut all: Vec<&Ident> = Vec::new();
            l.for_each_var(false, &mut |id| all.push(id));
            all.into_iter().unique_by(|id| &id.name).cloned().collect()
        }
        Body::And(parts, _) => parts.iter().flat_map(constraint_columns).unique_by(|id| id.name.clone()).collect(),
        Body::Or(parts, _) => {
            let alternatives: Vec<Vec<Ident>> = parts.iter().map(constraint_columns).collect();
            let Some((first, rest)) = alternatives.split_first() else { return Vec::new() };
            first.iter().filter(|id| rest.iter().all(|alt| alt.iter().any(|o| o.name == id.name))).cloned().collect()
        }
    }
}
