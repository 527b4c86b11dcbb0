//! Goal-directed evaluation: the magic-set rewrite of a program for one bound query.
//!
//! A query such as `samegen("a", y)` needs only the tuples of `samegen` whose first column is
//! `"a"`, and only what those depend on. The rewrite makes that demand explicit. For the
//! queried relation and each binding pattern (*adornment*: which columns are bound, `b`, or
//! free, `f`) the program needs, it adds an adorned copy `p$bf` and a *magic* relation
//! `$magic.p$bf` holding the bound columns that are asked for. Each rule
//! `p(x, y) :- q(x, z), r(z, y).` becomes, for the adornment `bf`,
//!
//! ```text
//! p$bf(x, y) :- $magic.p$bf(x), q$bf(x, z), r$bf(z, y).   // answer only what is asked
//! $magic.q$bf(x) :- $magic.p$bf(x).                          // ask q for x
//! $magic.r$bf(z) :- $magic.p$bf(x), q$bf(x, z).              // then r for each z
//! ```
//!
//! bindings passing left to right in the checked body order, and the query seeds
//! `$magic.samegen$bf("a")`. Only derived relations read positively are adorned: a relation
//! read through negation or an aggregate is evaluated in full (with everything it depends
//! on), so the rewritten program is always stratified (an adorned relation depends on a
//! fully evaluated one, never the other way). Relations keep their ids; adorned and magic
//! relations are appended, so the input tuples of the original program fit unchanged.
//!
//! `eqrel` relations are never adorned: they are evaluated in full, closed by the engine's
//! union-find (their closure rules stay marked in the rewrite), which costs the n² pairs of
//! a class where the adorned closure rules would join n³ times.
//!
//! [`Rewrite::original_relation`] and [`Rewrite::original_rule`] map the rewritten program
//! back, so that the session can present the answer as a partial model of the original
//! program and prove it with the original rules.

use crate::base::value::{Type, Value};
use crate::lang::ir::{self, Arg, Atom, Expr, Lit, Program, RelId, Rule, RuleId};
use std::collections::{BTreeMap, BTreeSet};

/// A binding pattern: `true` for a bound column.
type Adornment = Vec<bool>;

/// The rewritten program and how it maps back to the original.
pub struct Rewrite {
    /// The rewritten program: the original relations (same ids), then adorned and magic ones.
    pub program: Program,
    /// For each relation of the rewritten program: the original relation whose tuples it
    /// holds (itself, or the relation it is an adorned copy of); `None` for magic relations.
    pub origin_relation: Vec<Option<RelId>>,
    /// For each rule of the rewritten program: the original rule it applies; `None` for the
    /// magic rules and for the rules that copy a relation's input tuples into its copies.
    pub origin_rule: Vec<Option<RuleId>>,
    /// The adorned copy of the (first) queried relation.
    pub answer: RelId,
}

impl Rewrite {
    /// The original relation that relation `rel` of the rewritten program stands for.
    pub fn original_relation(&self, rel: RelId) -> Option<RelId> {
        self.origin_relation.get(rel).copied().flatten()
    }

    /// The original rule that rule `rule` of the rewritten program applies.
    pub fn original_rule(&self, rule: RuleId) -> Option<RuleId> {
        self.origin_rule.get(rule).copied().flatten()
    }
}

/// Rewrites `program` for the query `rel(bound...)` (`Some` for a bound column). `None` when
/// the rewrite would not help (no column is bound, or the relation is not derived) or would
/// change the answer: `autoinc()` numbers tuples in the order of a full evaluation.
pub fn rewrite(program: &Program, rel: RelId, bound: &[Option<Value>]) -> Option<Rewrite> {
    if !bound.iter().any(Option::is_some) {
        return None;
    }
    rewrite_for(program, &[(rel, bound.to_vec())], &|_| true)
}

/// Rewrites `program` so that the relations named by `.pragma "magic-transform"` are
/// evaluated on demand, for every tuple of `roots` (the relations a run shows, all columns
/// free). `None` when no root would be rewritten.
pub fn rewrite_for_pragma(program: &Program, roots: &[RelId]) -> Option<Rewrite> {
    let roots: Vec<(RelId, Vec<Option<Value>>)> =
        roots.iter().map(|&r| (r, vec![None; program.relations[r].arity()])).collect();
    rewrite_for(program, &roots, &|rel| program.magic_transform.contains(&rel))
}

/// Rewrites `program` for demands on `roots`, adorning only the relations `adornable`
/// accepts; the others are evaluated in full, with everything they read.
fn rewrite_for(
    program: &Program,
    roots: &[(RelId, Vec<Option<Value>>)],
    adornable: &dyn Fn(RelId) -> bool,
) -> Option<Rewrite> {
    if program.rules.iter().any(Rule::uses_autoinc) {
        return None;
    }
    let adornable = |rel: RelId| adornable(rel) && !program.eqrel.iter().any(|e| e.rel == rel);
    let mut full = fully_evaluated(program, &adornable);
    let roots: Vec<_> = roots.iter().filter(|(rel, _)| program.is_derived(*rel) && !full.contains(rel)).collect();
    let first = roots.first()?.0;
    let mut r = Rewriter {
        original: program,
        full: std::mem::take(&mut full),
        out: Program::from_relations(program.relations.clone()),
        origin_relation: (0..program.relations.len()).map(Some).collect(),
        origin_rule: Vec::new(),
        adorned: BTreeMap::new(),
        queue: Vec::new(),
    };
    r.out.facts = program.facts.clone();
    // Rules of relations evaluated in full, and of relations that only rule-file facts
    // with expressions derive, run as written.
    for rule in &program.rules {
        if r.full.contains(&rule.head) || !program.is_derived(rule.head) {
            r.push_rule(rule.clone(), Some(rule.id));
        }
    }
    let mut answer = first;
    for &(rel, bound) in &roots {
        let adornment: Adornment = bound.iter().map(Option::is_some).collect();
        let (copy, magic) = r.adorned(*rel, &adornment);
        if *rel == first {
            answer = copy;
        }
        let seed: Vec<Value> = bound.iter().flatten().copied().collect();
        r.out.facts.push(ir::Fact { rel: magic, values: seed, span: program.relations[*rel].decl.unwrap_or_default() });
    }
    while let Some((p, adornment)) = r.queue.pop() {
        r.rewrite_relation(p, &adornment);
    }
    let strata = ir::stratify(r.out.relations.len(), &r.out.rules).ok()?;
    r.out.strata = strata;
    // The closure rules of the `eqrel` relations, copied as written: the union-find runs them.
    let new_id = |rule: RuleId| r.origin_rule.iter().position(|&o| o == Some(rule));
    r.out.eqrel = program
        .eqrel
        .iter()
        .filter_map(|e| {
            let [a, b, c] = e.rules.map(new_id);
            Some(ir::EqRel { rel: e.rel, rules: [a?, b?, c?] })
        })
        .collect();
    Some(Rewrite { program: r.out, origin_relation: r.origin_relation, origin_rule: r.origin_rule, answer })
}

/// The relations evaluated in full: those read through negation or an aggregate anywhere,
/// the derived relations that may not be adorned, and everything they depend on.
fn fully_evaluated(program: &Program, adornable: &dyn Fn(RelId) -> bool) -> BTreeSet<RelId> {
    let mut full = BTreeSet::new();
    let mut stack: Vec<RelId> =
        (0..program.relations.len()).filter(|&r| program.is_derived(r) && !adornable(r)).collect();
    for rule in &program.rules {
        let mut reads = Vec::new();
        ir::body_reads(&rule.body, false, &mut reads);
        stack.extend(reads.into_iter().filter(|&(_, through, _)| through).map(|(rel, _, _)| rel));
    }
    while let Some(rel) = stack.pop() {
        if full.insert(rel) {
            for rule in program.rules.iter().filter(|r| r.head == rel) {
                let mut reads = Vec::new();
                ir::body_reads(&rule.body, false, &mut reads);
                stack.extend(reads.into_iter().map(|(r, _, _)| r));
            }
        }
    }
    full
}

struct Rewriter<'p> {
    original: &'p Program,
    full: BTreeSet<RelId>,
    out: Program,
    origin_relation: Vec<Option<RelId>>,
    origin_rule: Vec<Option<RuleId>>,
    /// (relation, adornment) → (adorned copy, magic relation).
    adorned: BTreeMap<(RelId, Adornment), (RelId, RelId)>,
    /// Adorned relations whose rules are still to be written.
    queue: Vec<(RelId, Adornment)>,
}

impl Rewriter<'_> {
    fn push_rule(&mut self, mut rule: Rule, origin: Option<RuleId>) {
        rule.id = self.out.rules.len();
        self.out.rules.push(rule);
        self.origin_rule.push(origin);
    }

    fn push_relation(&mut self, relation: ir::Relation, origin: Option<RelId>) -> RelId {
        self.origin_relation.push(origin);
        self.out.add_relation(relation)
    }

    /// The adorned copy of `rel` and its magic relation, created (and queued) on first use.
    fn adorned(&mut self, rel: RelId, adornment: &Adornment) -> (RelId, RelId) {
        if let Some(&pair) = self.adorned.get(&(rel, adornment.clone())) {
            return pair;
        }
        let decl = &self.original.relations[rel];
        let suffix: String = adornment.iter().map(|&b| if b { 'b' } else { 'f' }).collect();
        let copy = ir::Relation {
            name: format!("{}${suffix}", decl.name),
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: false,
            from_statements: false,
            ..decl.clone()
        };
        let bound_columns: Vec<usize> = (0..adornment.len()).filter(|&i| adornment[i]).collect();
        let magic = ir::Relation {
            name: format!("$magic.{}${suffix}", decl.name),
            columns: bound_columns.iter().map(|&i| decl.columns[i].clone()).collect(),
            types: bound_columns.iter().map(|&i| decl.types[i]).collect(),
            decl: decl.decl,
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: false,
            from_statements: false,
        };
        let copy = self.push_relation(copy, Some(rel));
        let magic = self.push_relation(magic, None);
        self.adorned.insert((rel, adornment.clone()), (copy, magic));
        self.queue.push((rel, adornment.clone()));
        (copy, magic)
    }

    /// Writes the rules of `p`'s adorned copy: each rule of `p` guarded by the magic
    /// relation, a magic rule for each adorned body atom, and a rule that copies `p`'s input
    /// tuples (facts and tables) that are asked for.
    fn rewrite_relation(&mut self, p: RelId, adornment: &Adornment) {
        let (copy, magic) = self.adorned(p, adornment);
        let decl = &self.original.relations[p];
        // p$a(x...) :- $magic.p$a(bound x...), p(x...).   (p's own input tuples)
        let vars: Vec<usize> = (0..decl.arity()).collect();
        let copy_inputs = Rule {
            id: 0,
            head: copy,
            head_args: vars.iter().map(|&v| Expr::Var(v)).collect(),
            body: vec![
                Lit::Atom(Atom {
                    rel: magic,
                    args: vars.iter().filter(|&&v| adornment[v]).map(|&v| Arg::Var(v)).collect(),
                    span: decl.decl.unwrap_or_default(),
                }),
                Lit::Atom(Atom { rel: p, args: vars.iter().map(|&v| Arg::Var(v)).collect(), span: Default::default() }),
            ],
            var_names: decl.columns.clone(),
            var_types: decl.types.clone(),
            span: decl.decl.unwrap_or_default(),
            head_span: decl.decl.unwrap_or_default(),
            is_fact: false,
            display: None,
        };
        self.push_rule(copy_inputs, None);
        let rules: Vec<&Rule> = self.original.rules.iter().filter(|r| r.head == p).collect();
        for rule in rules {
            self.rewrite_rule(rule, adornment, copy, magic);
        }
    }

    fn rewrite_rule(&mut self, rule: &Rule, adornment: &Adornment, copy: RelId, magic: RelId) {
        // The magic atom binds the head's bound columns that are plain variables; a bound
        // column holding an expression, or a variable that the body assigns (`y = x + 1`,
        // a range, an aggregate), is left unchecked: the demand over-approximates, which
        // only costs work, never answers.
        let mut assigned = vec![false; rule.num_vars()];
        for lit in &rule.body {
            if let Lit::Assign { var, .. } | Lit::Range { var, .. } | Lit::Aggregate { var, .. } = lit {
                assigned[*var] = true;
            }
        }
        let mut bound = vec![false; rule.num_vars()];
        let guard_args: Vec<Arg> = rule
            .head_args
            .iter()
            .zip(adornment)
            .filter(|(_, b)| **b)
            .map(|(e, _)| match e {
                Expr::Var(v) if assigned[*v] => Arg::Wildcard,
                Expr::Var(v) if !bound[*v] => {
                    bound[*v] = true;
                    Arg::Var(*v)
                }
                Expr::Var(v) => Arg::Var(*v),
                _ => Arg::Wildcard,
            })
            .collect();
        let guard = Lit::Atom(Atom { rel: magic, args: guard_args, span: rule.head_span });
        let mut body = vec![guard];
        for lit in &rule.body {
            let lit = match lit {
                Lit::Atom(atom) if self.original.is_derived(atom.rel) && !self.full.contains(&atom.rel) => {
                    let adornment: Adornment = atom
                        .args
                        .iter()
                        .map(|a| match a {
                            Arg::Const(_) => true,
                            Arg::Var(v) => bound[*v],
                            Arg::Wildcard => false,
                        })
                        .collect();
                    let (q_copy, q_magic) = self.adorned(atom.rel, &adornment);
                    // $magic.q$b(bound args) :- (the body so far).
                    let types = &self.original.relations[atom.rel].types;
                    let head_args = atom
                        .args
                        .iter()
                        .zip(&adornment)
                        .zip(types)
                        .filter(|((_, b), _)| **b)
                        .map(|((a, _), &t)| arg_expr(*a, t))
                        .collect();
                    let magic_rule = Rule {
                        id: 0,
                        head: q_magic,
                        head_args,
                        body: body.clone(),
                        head_span: atom.span,
                        is_fact: false,
                        display: None,
                        ..rule.clone()
                    };
                    self.push_rule(magic_rule, None);
                    Lit::Atom(Atom { rel: q_copy, ..atom.clone() })
                }
                other => other.clone(),
            };
            bind(&lit, &mut bound);
            body.push(lit);
        }
        let adorned_rule = Rule { id: 0, head: copy, body, ..rule.clone() };
        self.push_rule(adorned_rule, Some(rule.id));
    }
}

/// Marks the variables a literal binds.
fn bind(lit: &Lit, bound: &mut [bool]) {
    match lit {
        Lit::Atom(atom) => {
            for arg in &atom.args {
                if let Arg::Var(v) = arg {
                    bound[*v] = true;
                }
            }
        }
        Lit::Assign { var, .. } | Lit::Range { var, .. } | Lit::Aggregate { var, .. } => bound[*var] = true,
        Lit::Negated(_) | Lit::Filter { .. } => {}
    }
}

fn arg_expr(arg: Arg, ty: Type) -> Expr {
    match arg {
        Arg::Var(v) => Expr::Var(v),
        Arg::Const(c) => Expr::Const(c, ty),
        Arg::Wildcard => unreachable!("a wildcard is never a bound column"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::value::{Symbols, from_number};

    #[test]
    fn eqrel_relations_are_evaluated_in_full_by_the_union_find_not_adorned() {
        let text = ".decl link(a: number, b: number)\nlink(1, 2). link(2, 3).\n\
                    .decl bloc(a: number, b: number) eqrel\nbloc(a, b) :- link(a, b).\n\
                    .decl member(a: number, b: number)\nmember(a, b) :- bloc(a, b), a != 0.\n";
        let mut sources = crate::base::source::SourceMap::new();
        let file = sources.add("p.dl", text);
        let (ast, _) = crate::lang::syntax::parse_file(file, &sources.get(file).text);
        let (program, diags) = crate::lang::check::check(&[ast], &BTreeSet::new(), &mut Symbols::new());
        assert!(diags.is_empty(), "{diags:?}");
        let member = program.relation_id("member").expect("declared");
        let bloc = program.relation_id("bloc").expect("declared");
        let rewrite = rewrite(&program, member, &[Some(from_number(1)), None]).expect("member is adorned");
        let names: Vec<&str> = rewrite.program.relations.iter().map(|r| r.name.as_str()).collect();
        assert!(names.contains(&"member$bf") && !names.iter().any(|n| n.starts_with("bloc$")), "{names:?}");
        // bloc keeps its id and its three closure rules, copied as written, for the union-find.
        let closure = program.eqrel[0].rules.map(Some);
        let copied = rewrite.program.eqrel[0].rules.map(|r| rewrite.original_rule(r));
        assert_eq!((rewrite.program.eqrel.len(), rewrite.program.eqrel[0].rel, copied), (1, bloc, closure));
    }
}
