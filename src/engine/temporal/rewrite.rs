//! The rewrite of one stratum's rules over widened relations (see the parent module), and
//! its run on the plain engine.

use super::{Key, Stratum};
use crate::base::diag::Diagnostic;
use crate::base::value::{Symbols, Tuples, Type, from_number};
use crate::engine::eval::EvalOptions;
use crate::engine::{backend, plan};
use crate::facts::asof::{DAWN, FOREVER};
use crate::lang::functors::Functor;
use crate::lang::ir::{self, Arg, Atom, Expr, Lit, RelId, VarId};
use crate::lang::syntax::ast::CompareOp;

/// A rule being rewritten: its variables so far and the interval of the body so far.
struct Body {
    names: Vec<String>,
    types: Vec<Type>,
    lits: Vec<Lit>,
    /// The variables holding the first and last day of the body's literals so far.
    interval: Option<(VarId, VarId)>,
    span: crate::base::source::Span,
}

impl Body {
    fn fresh(&mut self, name: &str) -> VarId {
        self.names.push(format!("${name}{}", self.names.len()));
        self.types.push(Type::Number);
        self.names.len() - 1
    }

    /// Two new variables for a literal's first and last day.
    fn pair(&mut self) -> (VarId, VarId) {
        (self.fresh("from"), self.fresh("until"))
    }

    /// Intersects the body's interval with `(from, until)`:
    /// `F = max(F0, from), U = min(U0, until), F <= U`.
    fn intersect(&mut self, (from, until): (VarId, VarId)) {
        let Some((f0, u0)) = self.interval else {
            self.interval = Some((from, until));
            return;
        };
        let (f, u) = self.pair();
        let call = |name: &str, a: VarId, b: VarId, span| Expr::Call {
            func: number_functor(name),
            args: vec![Expr::Var(a), Expr::Var(b)],
            span,
        };
        let span = self.span;
        self.lits.push(Lit::Assign { var: f, expr: call("max", f0, from, span), span });
        self.lits.push(Lit::Assign { var: u, expr: call("min", u0, until, span), span });
        self.lits.push(Lit::Filter { op: CompareOp::Le, lhs: Expr::Var(f), rhs: Expr::Var(u), ty: Type::Number, span });
        self.interval = Some((f, u));
    }
}

/// The overload of `min` or `max` over numbers.
fn number_functor(name: &str) -> Functor {
    let first = Functor::lookup(name).expect("min and max are functors");
    first.overloads().find(|f| f.def().result == Type::Number).expect("over numbers")
}

/// An aggregate literal with another body, everything else as it is.
fn with_body(aggregate: &Lit, new_body: Vec<Lit>) -> Lit {
    let mut lit = aggregate.clone();
    if let Lit::Aggregate { body, .. } = &mut lit {
        *body = new_body;
    }
    lit
}

/// `args` with the two variables of an interval appended.
fn widened(args: &[Arg], (from, until): (VarId, VarId)) -> Vec<Arg> {
    let mut args = args.to_vec();
    args.extend([Arg::Var(from), Arg::Var(until)]);
    args
}

impl Stratum<'_> {
    /// The rule over widened relations: one rule per choice, for each negated literal,
    /// between "never holds" and "in a gap" (see the parent module).
    pub(super) fn rewrite_rule(&mut self, rule: &ir::Rule) -> Vec<ir::Rule> {
        let negations = rule.body.iter().filter(|l| matches!(l, Lit::Negated(_))).count();
        (0..1u32 << negations).map(|choice| self.rewrite_choice(rule, choice)).collect()
    }

    fn rewrite_choice(&mut self, rule: &ir::Rule, choice: u32) -> ir::Rule {
        let mut body = Body {
            names: rule.var_names.clone(),
            types: rule.var_types.clone(),
            lits: Vec::new(),
            interval: None,
            span: rule.span,
        };
        let mut negation = 0;
        for lit in &rule.body {
            match lit {
                Lit::Atom(a) => {
                    let pair = body.pair();
                    let rel = self.relation(a.rel);
                    body.lits.push(Lit::Atom(Atom { rel, args: widened(&a.args, pair), span: a.span }));
                    body.intersect(pair);
                }
                Lit::Negated(a) => {
                    let keep: Vec<bool> = a.args.iter().map(|x| !matches!(x, Arg::Wildcard)).collect();
                    let args: Vec<Arg> = a.args.iter().copied().filter(|x| !matches!(x, Arg::Wildcard)).collect();
                    let (any, gap) = self.negation(a.rel, keep);
                    if choice & (1 << negation) == 0 {
                        // `(x)` never holds.
                        body.lits.push(Lit::Negated(Atom { rel: any, args, span: a.span }));
                    } else {
                        // A day between two intervals of `(x)`.
                        let pair = body.pair();
                        body.lits.push(Lit::Atom(Atom { rel: gap, args: widened(&args, pair), span: a.span }));
                        body.intersect(pair);
                    }
                    negation += 1;
                }
                Lit::Aggregate { body: inner, span, .. } => {
                    let (n, seg) = self.aggregate(inner);
                    let pair = body.pair();
                    let args = vec![Arg::Var(pair.0), Arg::Var(pair.1)];
                    body.lits.push(Lit::Atom(Atom { rel: seg, args, span: *span }));
                    body.intersect(pair);
                    // The same aggregate over the segment's snapshots; the segment's variables
                    // are bound outside, so what it ranges over (its key) is as before.
                    body.lits.push(with_body(lit, self.snapshot_body(n, inner, pair)));
                }
                Lit::Filter { .. } | Lit::Assign { .. } | Lit::Range { .. } => body.lits.push(lit.clone()),
            }
        }
        let mut head_args = rule.head_args.clone();
        match body.interval {
            Some((f, u)) => head_args.extend([Expr::Var(f), Expr::Var(u)]),
            None => head_args.extend([
                Expr::Const(from_number(DAWN), Type::Number),
                Expr::Const(from_number(FOREVER), Type::Number),
            ]),
        }
        ir::Rule {
            id: 0,
            head: self.relation(rule.head),
            head_args,
            body: body.lits,
            var_names: body.names,
            var_types: body.types,
            span: rule.span,
            head_span: rule.head_span,
            is_fact: rule.is_fact,
            display: None,
        }
    }

    /// An aggregate's body over the snapshots of segment `(from, until)` of aggregate `n`.
    fn snapshot_body(&mut self, n: usize, body: &[Lit], segment: (VarId, VarId)) -> Vec<Lit> {
        body.iter()
            .map(|lit| match lit {
                Lit::Atom(a) => {
                    Lit::Atom(Atom { rel: self.snapshot(n, a.rel), args: widened(&a.args, segment), span: a.span })
                }
                Lit::Negated(a) => {
                    Lit::Negated(Atom { rel: self.snapshot(n, a.rel), args: widened(&a.args, segment), span: a.span })
                }
                Lit::Aggregate { body, .. } => with_body(lit, self.snapshot_body(n, body, segment)),
                other => other.clone(),
            })
            .collect()
    }

    /// Runs the rewritten `rules` of `stratum` on the chosen backend; returns the stratum's
    /// relations' widened rows (not yet coalesced).
    pub(super) fn run(
        self,
        stratum: &ir::Stratum,
        mut rules: Vec<ir::Rule>,
        inputs: &mut [Tuples],
        symbols: &mut Symbols,
        options: &EvalOptions,
    ) -> Result<Vec<(RelId, Tuples)>, Diagnostic> {
        for (i, rule) in rules.iter_mut().enumerate() {
            rule.id = i;
        }
        let mut sub = ir::Program::from_relations(self.relations);
        let mut tables: Vec<Tuples> = Vec::with_capacity(sub.relations.len());
        let mut own = Vec::new();
        let mut before = Vec::new();
        for (key, &id) in &self.local {
            match key {
                Key::Own(r) if stratum.relations.contains(r) => own.push((id, *r)),
                _ => before.push(id),
            }
        }
        let mut key_of = vec![None; sub.relations.len()];
        for (key, &id) in &self.local {
            key_of[id] = Some(key);
        }
        let mut hidden = self.hidden;
        for (id, key) in key_of.into_iter().enumerate() {
            let arity = sub.relations[id].arity();
            let table = match key {
                Some(Key::Own(r)) if stratum.relations.contains(r) => {
                    std::mem::replace(&mut inputs[*r], Tuples::new(0))
                }
                Some(Key::Own(r)) => self.done[*r].clone().unwrap_or(Tuples::new(arity)),
                _ => hidden[id].take().unwrap_or(Tuples::new(arity)),
            };
            tables.push(table);
        }
        sub.strata = before
            .iter()
            .map(|&r| ir::Stratum { relations: vec![r], rules: Vec::new(), recursive: false })
            .chain(std::iter::once(ir::Stratum {
                relations: own.iter().map(|&(id, _)| id).collect(),
                rules: (0..rules.len()).collect(),
                recursive: stratum.recursive,
            }))
            .collect();
        sub.rules = rules;
        let plan = plan::plan_with(&sub, &plan::Stats::of_inputs(&sub, tables.iter().enumerate()));
        let mut model = backend::evaluate(options.engine, &sub, &plan, tables, symbols, options)?;
        Ok(own.into_iter().map(|(id, r)| (r, std::mem::replace(&mut model.relations[id], Tuples::new(0)))).collect())
    }
}
