//! The checked program: relations resolved to ids, variables to slots, disjunctions and
//! multi-head rules expanded, body literals put in an order in which every literal's inputs
//! are bound, and the relations split into strata. Produced by `check`, consumed by `plan`.

use crate::base::source::Span;
use crate::base::value::{Type, Value};
use crate::lang::syntax::ast::{AggregateFunc, BinaryOp, CompareOp, UnaryOp};
use itertools::Itertools;
use std::collections::BTreeMap;

/// A relation's index in [`Program::relations`].
pub type RelId = usize;
/// A rule's index in [`Program::rules`].
pub type RuleId = usize;
/// A variable's slot in a rule's environment row.
pub type VarId = usize;

/// A relation: its columns, their types, and where its tuples come from and go.
#[derive(Debug, Clone)]
pub struct Relation {
    /// The relation's name.
    pub name: String,
    /// The column names, in order.
    pub columns: Vec<String>,
    /// The column types, in order.
    pub types: Vec<Type>,
    /// The `.decl`, if the relation was declared (statement relations need none).
    pub decl: Option<Span>,
    /// Its `.input` directives.
    pub inputs: Vec<IoSpec>,
    /// Its `.output` directives.
    pub outputs: Vec<IoSpec>,
    /// Whether a `.printsize` asks for its size.
    pub printsize: bool,
    /// Comes (also) from statement tables in the facts directory.
    pub from_statements: bool,
}

impl Relation {
    /// Number of columns.
    pub fn arity(&self) -> usize {
        self.types.len()
    }
}

/// Parameters of one `.input` or `.output` directive.
#[derive(Debug, Clone)]
pub struct IoSpec {
    /// The directive's parameters by name (`filename`, `delimiter`, …), values as written.
    pub params: BTreeMap<String, String>,
    /// The directive.
    pub span: Span,
}

pub use crate::lang::functors::Functor;

/// An expression over a rule's variables. Operands are typed by `check`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A variable of the rule.
    Var(VarId),
    /// A constant of the given type.
    Const(Value, Type),
    /// A prefix operator applied to an operand of the given type (`check` sets the type).
    Unary(UnaryOp, Type, Box<Expr>),
    /// An infix operator applied to two operands of the given type (`check` sets the type).
    Binary(BinaryOp, Type, Box<Expr>, Box<Expr>),
    /// `as(expr, type)`: the same value (the same bits, between numeric types), as Soufflé's
    /// `as` converts nothing; a cast to `float` makes its NaNs the one NaN a float cell holds.
    Cast(Box<Expr>, Type),
    /// `[a, b]`: the record of record type `.0` with these fields (packed, see
    /// [`crate::base::record`]).
    Record(u16, Vec<Expr>),
    /// Field `index` of a record (of type `ty`); no value when the record is `nil`.
    Field {
        /// The record.
        record: Box<Expr>,
        /// Which field, from 0.
        index: usize,
        /// The field's type.
        ty: Type,
    },
    /// A functor call; `check` has resolved `func` to the overload its argument types select.
    Call {
        /// The functor (see [`crate::lang::functors`]).
        func: Functor,
        /// The arguments.
        args: Vec<Expr>,
        /// The call as written.
        span: Span,
    },
}

impl Expr {
    /// Appends the variables the expression reads, in order (with repeats).
    pub fn vars(&self, out: &mut Vec<VarId>) {
        match self {
            Expr::Var(v) => out.push(*v),
            Expr::Const(..) => {}
            Expr::Unary(_, _, a) | Expr::Cast(a, _) => a.vars(out),
            Expr::Binary(_, _, a, b) => {
                a.vars(out);
                b.vars(out);
            }
            Expr::Call { args, .. } | Expr::Record(_, args) => args.iter().for_each(|a| a.vars(out)),
            Expr::Field { record, .. } => record.vars(out),
        }
    }

    /// Whether the expression calls a functor for which `pick` holds.
    pub fn calls(&self, pick: &dyn Fn(Functor) -> bool) -> bool {
        match self {
            Expr::Call { func, args, .. } => pick(*func) || args.iter().any(|a| a.calls(pick)),
            Expr::Unary(_, _, a) | Expr::Cast(a, _) | Expr::Field { record: a, .. } => a.calls(pick),
            Expr::Binary(_, _, a, b) => a.calls(pick) || b.calls(pick),
            Expr::Record(_, args) => args.iter().any(|a| a.calls(pick)),
            Expr::Var(_) | Expr::Const(..) => false,
        }
    }

    /// Whether the expression calls `autoinc()`, whose values depend on evaluation order.
    pub fn uses_autoinc(&self) -> bool {
        self.calls(&|f| f.is_counter())
    }
}

/// One argument position of a body atom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// The column must equal this variable's value (binding it at its first occurrence).
    Var(VarId),
    /// The column must equal this constant.
    Const(Value),
    /// `_`: any value.
    Wildcard,
}

/// A body atom with resolved relation and arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    /// The relation read.
    pub rel: RelId,
    /// One argument per column.
    pub args: Vec<Arg>,
    /// The atom as written.
    pub span: Span,
}

/// A body literal, in evaluation order.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// A positive atom; binds its not-yet-bound variables.
    Atom(Atom),
    /// `!atom`: all its variables are bound when it is reached.
    Negated(Atom),
    /// A comparison of bound expressions; `ty` is the operands' type.
    Filter {
        /// The comparison.
        op: CompareOp,
        /// The left operand.
        lhs: Expr,
        /// The right operand.
        rhs: Expr,
        /// The operands' type (symbols compare by string, numbers as signed integers).
        ty: Type,
        /// The comparison as written.
        span: Span,
    },
    /// `var = expr` where `var` is not yet bound.
    Assign {
        /// The variable bound.
        var: VarId,
        /// Its value.
        expr: Expr,
        /// The equation as written.
        span: Span,
    },
    /// `var = range(from, to[, step])`: one binding per generated number.
    Range {
        /// The variable bound to each number.
        var: VarId,
        /// The type of the bounds, the step and the numbers (`number`, `unsigned`, `float`).
        ty: Type,
        /// The first number.
        from: Expr,
        /// The bound the numbers stop before.
        to: Expr,
        /// The step, 1 (or -1 when counting down) if absent.
        step: Option<Expr>,
        /// The `range` call as written.
        span: Span,
    },
    /// `var = func target : { body }`: the body is evaluated with the outer bindings.
    Aggregate {
        /// The variable bound to the aggregate's result.
        var: VarId,
        /// Which aggregate.
        func: AggregateFunc,
        /// The aggregated expression (`None` for `count`).
        target: Option<Expr>,
        /// The target's type, which a `sum`, `min` or `max` has too (`number` for a `count`).
        ty: Type,
        /// The aggregate's own body, in evaluation order.
        body: Vec<Lit>,
        /// What the aggregate ranges over, as in Soufflé: `None` when the body has one
        /// positive atom (and no nested aggregate, `range` or repeated variable), whose
        /// matching tuples it ranges over, one solution each; otherwise the distinct bindings
        /// of these variables (the body's own named ones, sorted), as Soufflé ranges over the
        /// relation it materialises the body into.
        key: Option<Vec<VarId>>,
        /// The aggregate as written.
        span: Span,
    },
}

impl Lit {
    /// Whether the literal (an aggregate's body included) calls a functor for which `pick` holds.
    pub fn calls(&self, pick: &dyn Fn(Functor) -> bool) -> bool {
        match self {
            Lit::Atom(_) | Lit::Negated(_) => false,
            Lit::Filter { lhs, rhs, .. } => lhs.calls(pick) || rhs.calls(pick),
            Lit::Assign { expr, .. } => expr.calls(pick),
            Lit::Range { from, to, step, .. } => {
                from.calls(pick) || to.calls(pick) || step.as_ref().is_some_and(|s| s.calls(pick))
            }
            Lit::Aggregate { target, body, .. } => {
                target.as_ref().is_some_and(|t| t.calls(pick)) || body.iter().any(|lit| lit.calls(pick))
            }
        }
    }

    /// Whether the literal calls `autoinc()`.
    pub fn uses_autoinc(&self) -> bool {
        self.calls(&|f| f.is_counter())
    }

    /// Appends every variable the literal reads or binds, an aggregate's body and target
    /// included (with repeats, in no promised order: callers use it as a set).
    pub fn vars(&self, out: &mut Vec<VarId>) {
        match self {
            Lit::Atom(a) | Lit::Negated(a) => {
                out.extend(a.args.iter().filter_map(|a| if let Arg::Var(v) = a { Some(*v) } else { None }))
            }
            Lit::Filter { lhs, rhs, .. } => {
                lhs.vars(out);
                rhs.vars(out);
            }
            Lit::Assign { var, expr, .. } => {
                out.push(*var);
                expr.vars(out);
            }
            Lit::Range { var, from, to, step, .. } => {
                out.push(*var);
                from.vars(out);
                to.vars(out);
                if let Some(s) = step {
                    s.vars(out);
                }
            }
            Lit::Aggregate { var, target, body, .. } => {
                out.push(*var);
                if let Some(t) = target {
                    t.vars(out);
                }
                body.iter().for_each(|lit| lit.vars(out));
            }
        }
    }
}

/// Appends the relations a body reads, each with whether it is read through negation or an
/// aggregate (`through` says whether the body itself already is), and where.
pub fn body_reads(body: &[Lit], through: bool, out: &mut Vec<(RelId, bool, Span)>) {
    for lit in body {
        match lit {
            Lit::Atom(a) => out.push((a.rel, through, a.span)),
            Lit::Negated(a) => out.push((a.rel, true, a.span)),
            Lit::Aggregate { body, .. } => body_reads(body, true, out),
            Lit::Filter { .. } | Lit::Assign { .. } | Lit::Range { .. } => {}
        }
    }
}

/// One rule with one head and a conjunctive body (multi-head rules and disjunctions are split into several).
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's index in [`Program::rules`].
    pub id: RuleId,
    /// The relation the rule derives.
    pub head: RelId,
    /// The head's arguments, one per column, over the rule's variables.
    pub head_args: Vec<Expr>,
    /// The body, in evaluation order.
    pub body: Vec<Lit>,
    /// Variable names by slot (generated variables get names starting with `$`).
    pub var_names: Vec<String>,
    /// Variable types by slot.
    pub var_types: Vec<Type>,
    /// The whole source rule (all heads, all disjuncts).
    pub span: Span,
    /// The span of this rule's head atom.
    pub head_span: Span,
    /// True for a fact written in a rule file (`p("a").`).
    pub is_fact: bool,
    /// `// @display "..."` template from the comment above the rule.
    pub display: Option<String>,
}

impl Rule {
    /// Number of variable slots (the size of the rule's environment row).
    pub fn num_vars(&self) -> usize {
        self.var_names.len()
    }

    /// The rule's own variables, in slot order: those its head or its body uses outside
    /// aggregate bodies. An aggregate's local variables (and a `min`/`max` witness copy's)
    /// have no single value in an instance of the rule, so proofs show only these.
    pub fn own_vars(&self) -> Vec<VarId> {
        let mut vars = Vec::new();
        for e in &self.head_args {
            e.vars(&mut vars);
        }
        for lit in &self.body {
            match lit {
                Lit::Atom(a) | Lit::Negated(a) => {
                    vars.extend(a.args.iter().filter_map(|x| if let Arg::Var(v) = x { Some(*v) } else { None }))
                }
                Lit::Filter { lhs, rhs, .. } => {
                    lhs.vars(&mut vars);
                    rhs.vars(&mut vars);
                }
                Lit::Assign { var, expr, .. } => {
                    vars.push(*var);
                    expr.vars(&mut vars);
                }
                Lit::Range { var, .. } | Lit::Aggregate { var, .. } => vars.push(*var),
            }
        }
        vars.sort_unstable();
        vars.dedup();
        vars
    }

    /// Whether the rule (head or body, aggregates included) calls a functor for which `pick`
    /// holds.
    pub fn calls(&self, pick: &dyn Fn(Functor) -> bool) -> bool {
        self.head_args.iter().any(|e| e.calls(pick)) || self.body.iter().any(|lit| lit.calls(pick))
    }

    /// Whether the rule calls `autoinc()`, whose numbers depend on the order of evaluation.
    pub fn uses_autoinc(&self) -> bool {
        self.calls(&|f| f.is_counter())
    }
}

/// Relations evaluated together: one strongly connected component of the dependency graph.
#[derive(Debug, Clone)]
pub struct Stratum {
    /// The relations of the component.
    pub relations: Vec<RelId>,
    /// Rules whose head is in this stratum.
    pub rules: Vec<RuleId>,
    /// Whether any rule reads a relation of this stratum (needs a fixpoint, not one pass).
    pub recursive: bool,
}

/// A fact written in a rule file, such as `backs("Egypt", "Tobruk").`
#[derive(Debug, Clone)]
pub struct Fact {
    /// The relation the fact belongs to.
    pub rel: RelId,
    /// The fact's values, one per column.
    pub values: Vec<Value>,
    /// The fact as written.
    pub span: Span,
}

/// A constraint `:- body.` (a denial: the body must never hold). It is compiled into a
/// hidden relation (named [`CONSTRAINT_PREFIX`]`N`, which the lexer cannot produce, so no
/// rule or claim can name it) whose columns are the named variables of the body, plus an
/// ordinary rule deriving it: every tuple of that relation is a violation, and evaluation,
/// stratification and provenance treat it like any other relation.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// The hidden relation.
    pub rel: RelId,
    /// The whole constraint as written.
    pub span: Span,
    /// The comment lines above it (without `@display` lines), shown with each violation: why
    /// the constraint is there, or why the example violates it on purpose.
    pub note: Option<String>,
}

/// The start of every constraint relation's name (`$constraint1`, ...).
pub const CONSTRAINT_PREFIX: &str = "$constraint";

/// The whole checked program: what `plan` and evaluation run.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// Every relation, declared or from statements; constraints' hidden relations included.
    pub relations: Vec<Relation>,
    /// Every rule, facts with non-constant arguments included.
    pub rules: Vec<Rule>,
    /// Facts written in rule files with constant arguments (others become rules).
    pub facts: Vec<Fact>,
    /// In evaluation order.
    pub strata: Vec<Stratum>,
    /// Constraints, in the order written.
    pub constraints: Vec<Constraint>,
    /// Each relation's id by name, kept by [`Program::add_relation`]: a scan of `relations`
    /// per lookup made checking 80,000 statement relations quadratic.
    ids: rustc_hash::FxHashMap<String, RelId>,
    /// Relations named by `.pragma "magic-transform"`: evaluated on demand by `infer`.
    pub magic_transform: Vec<RelId>,
    /// Rule kinds, rule names and superiority (`lang::defeasible`); empty for a program of
    /// strict rules only.
    pub defeasible: crate::lang::defeasible::Theory,
    /// The `eqrel` relations and their closure rules: the datafrog engine keeps their
    /// closure with a union-find instead of running those rules (`engine::eqrel`).
    pub eqrel: Vec<EqRel>,
}

/// An `eqrel` relation and the three rules that state its closure, located at its `eqrel`
/// qualifier: reflexive `r(x, x) :- r(x, _)`, symmetric `r(y, x) :- r(x, y)` and
/// transitive `r(x, z) :- r(x, y), r(y, z)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EqRel {
    /// The relation.
    pub rel: RelId,
    /// Its reflexive, symmetric and transitive rules, in that order.
    pub rules: [RuleId; 3],
}

impl Program {
    /// Whether a rule calls `ord`, whose numbers count every string of the symbol table (so
    /// the table must be numbered first, and hold no string a fresh load would not).
    pub fn calls_ord(&self) -> bool {
        self.rules.iter().any(|r| r.calls(&|f| f.def().name == "ord"))
    }

    /// The id of the relation named `name`, if any.
    pub fn relation_id(&self, name: &str) -> Option<RelId> {
        self.ids.get(name).copied()
    }

    /// A program of these relations and nothing else yet.
    pub fn from_relations(relations: Vec<Relation>) -> Program {
        let mut program = Program::default();
        for relation in relations {
            program.add_relation(relation);
        }
        program
    }

    /// Adds a relation (its name not yet declared) and returns its id.
    pub fn add_relation(&mut self, relation: Relation) -> RelId {
        let id = self.relations.len();
        self.ids.insert(relation.name.clone(), id);
        self.relations.push(relation);
        id
    }

    /// Relations with at least one rule (or rule-file fact) deriving them.
    pub fn is_derived(&self, rel: RelId) -> bool {
        self.rules.iter().any(|r| r.head == rel && !r.is_fact)
    }

    /// What `infer` prints: the `.output` relations, or every derived relation when no
    /// relation is marked `.output` or `.printsize` (as in Soufflé, a program that asks only
    /// for sizes prints only sizes), never a constraint's hidden relation (violations are
    /// reported separately).
    pub fn shown_relations(&self) -> Vec<RelId> {
        let marked: Vec<RelId> = (0..self.relations.len()).filter(|&r| !self.relations[r].outputs.is_empty()).collect();
        if !marked.is_empty() || self.relations.iter().any(|r| r.printsize) {
            return marked;
        }
        (0..self.relations.len()).filter(|&r| self.is_derived(r) && !self.is_constraint(r)).collect()
    }

    /// The relations named on the command line (`--relation NAME`), in the order given; an
    /// unknown or hidden name is an error with the closest known name.
    pub fn relations_named(&self, names: &[String]) -> Result<Vec<RelId>, crate::base::diag::Diagnostic> {
        use crate::base::diag::{Code, Diagnostic, did_you_mean};
        names
            .iter()
            .map(|name| match self.relation_id(name) {
                Some(id) if !self.is_constraint(id) => Ok(id),
                _ => {
                    let mut d = Diagnostic::error(Code::UnknownRelation, format!("unknown relation `{name}`"));
                    if let Some(s) = did_you_mean(name, self.relations.iter().map(|r| r.name.as_str())) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    Err(d)
                }
            })
            .collect()
    }

    /// Whether `rel` is the hidden relation of a constraint.
    pub fn is_constraint(&self, rel: RelId) -> bool {
        self.constraint_of(rel).is_some()
    }

    /// The relation's name as shown to people: a constraint's hidden relation (whose name no
    /// one wrote) is `violations of constraint N`, numbered in the order written.
    pub fn shown_name(&self, rel: RelId) -> std::borrow::Cow<'_, str> {
        match self.constraints.iter().position(|c| c.rel == rel) {
            Some(i) => format!("violations of constraint {}", i + 1).into(),
            None => self.relations[rel].name.as_str().into(),
        }
    }

    /// The complement of a relation (`~backs` for `backs` and back), if the program has it.
    pub fn complement(&self, rel: RelId) -> Option<RelId> {
        let name = &self.relations[rel].name;
        match name.strip_prefix('~') {
            Some(base) => self.relation_id(base),
            None => self.relation_id(&format!("~{name}")),
        }
    }

    /// The constraint whose hidden relation is `rel`, if it is one.
    pub fn constraint_of(&self, rel: RelId) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.rel == rel)
    }
}

/// One dependency of a rule's head on a relation its body reads: (body relation, head
/// relation, read through negation or an aggregate, rule, where).
pub type Dependency = (RelId, RelId, bool, RuleId, Span);

/// A negative dependency inside a recursive component: the program cannot be stratified.
pub struct NegativeCycle {
    /// The offending edge: (from, to, rule, where).
    pub edge: (RelId, RelId, RuleId, Span),
    /// Every dependency, for explaining the cycle.
    pub edges: Vec<Dependency>,
    /// The component of each relation.
    pub component: Vec<usize>,
}

/// Splits relations into strata: the strongly connected components of the dependency graph,
/// dependencies first, each with the rules deriving it. Fails when negation or an aggregate
/// reads a relation of its own component. `check` stratifies a program with this, and so
/// does the magic-set rewrite of a program it transforms.
pub fn stratify(relations: usize, rules: &[Rule]) -> Result<Vec<Stratum>, NegativeCycle> {
    use petgraph::graph::{DiGraph, NodeIndex};
    let mut graph: DiGraph<RelId, ()> = DiGraph::with_capacity(relations, rules.len());
    for r in 0..relations {
        graph.add_node(r);
    }
    let mut edges: Vec<Dependency> = Vec::new();
    for rule in rules {
        let mut deps = Vec::new();
        body_reads(&rule.body, false, &mut deps);
        for (rel, negative, span) in deps {
            edges.push((rel, rule.head, negative, rule.id, span));
            graph.update_edge(NodeIndex::new(rel), NodeIndex::new(rule.head), ());
        }
    }
    let sccs = petgraph::algo::tarjan_scc(&graph);
    let mut component = vec![0usize; relations];
    for (i, scc) in sccs.iter().enumerate() {
        for node in scc {
            component[node.index()] = i;
        }
    }
    if let Some(&(from, to, _, rule, span)) =
        edges.iter().find(|&&(from, to, negative, _, _)| negative && component[from] == component[to])
    {
        return Err(NegativeCycle { edge: (from, to, rule, span), edges, component });
    }
    // tarjan_scc lists components with dependents first; evaluation runs dependencies first.
    Ok(sccs
        .iter()
        .rev()
        .map(|scc| {
            let members: Vec<RelId> = scc.iter().map(|n| n.index()).sorted_unstable().collect();
            let rules: Vec<RuleId> = rules.iter().filter(|r| members.contains(&r.head)).map(|r| r.id).collect();
            let recursive = edges.iter().any(|&(from, to, _, _, _)| members.contains(&from) && members.contains(&to));
            Stratum { relations: members, rules, recursive }
        })
        .collect())
}
