//! A plain evaluator over the IR, kept as a reference for the datafrog engine
//! (`--engine simple`, and `--engine compare`, which runs both).
//!
//! Naive evaluation, stratum by stratum: each round applies every rule of the stratum to all
//! the tuples known so far, by nested loops over the body literals in their checked order,
//! and adds the head tuples not yet known; a stratum ends when a round adds nothing. No
//! plans, no indices, no semi-naive deltas: small enough to read against the semantics. It
//! shares the expression semantics (`eval::evaluate_expr`, `compare`, `Range`,
//! `Fold`) with the datafrog engine and nothing of its join machinery.
//!
//! Recording keeps the provenance contract of `engine::backend`: a tuple added in round `r`
//! was derived from tuples known at the end of round `r - 1`.

use crate::base::diag::{Code, Diagnostic};
use crate::base::value::{Symbols, Tuples, Value};
use crate::engine::eval::{self, Annotation, EvalOptions, Fold, INPUT, Model};
use crate::lang::functors::Range;
use crate::lang::ir::{self, Arg, Atom, Lit, RelId};
use std::collections::BTreeMap;
use std::time::Instant;

/// A relation's tuples, each with how it first appeared.
type Known = BTreeMap<Vec<Value>, Annotation>;

/// Evaluates `program` over `inputs` naively (see the module documentation).
pub fn evaluate(
    program: &ir::Program,
    inputs: Vec<Tuples>,
    symbols: &mut Symbols,
    options: &EvalOptions,
) -> Result<Model, Diagnostic> {
    if let Some(rule) = program.rules.iter().find(|r| r.uses_autoinc()) {
        return Err(Diagnostic::error(Code::Limit, "the simple engine does not evaluate `autoinc()`")
            .at(rule.span, "uses autoinc()")
            .with_help("use `--engine datafrog`"));
    }
    eval::prepare_symbols(program, symbols);
    let mut known: Vec<Known> = inputs
        .iter()
        .map(|t| t.iter().map(|row| (row.to_vec(), Annotation { round: 0, rule: INPUT })).collect())
        .collect();
    for stratum in &program.strata {
        let mut round = 1u32;
        loop {
            let mut fresh: BTreeMap<(RelId, Vec<Value>), Annotation> = BTreeMap::new();
            for &rule_id in &stratum.rules {
                let rule = &program.rules[rule_id];
                let mut env = vec![None; rule.num_vars()];
                let mut solver = Solver { known: &known, symbols, error: None };
                solver.solve(&rule.body, &mut env, &mut |env, symbols| {
                    let row: Vec<Value> = env.iter().map(|v| v.unwrap_or(0)).collect();
                    let head: Option<Vec<Value>> =
                        rule.head_args.iter().map(|e| eval::evaluate_expr(e, &row, symbols)).collect();
                    if let Some(head) = head.filter(|h| !known[rule.head].contains_key(h)) {
                        fresh.entry((rule.head, head)).or_insert(Annotation { round, rule: rule_id as u32 });
                    }
                });
                if let Some(error) = solver.error {
                    return Err(error);
                }
            }
            if symbols.records.too_deep() {
                return Err(eval::records_too_deep());
            }
            if fresh.is_empty() {
                break;
            }
            for ((rel, tuple), annotation) in fresh {
                known[rel].insert(tuple, annotation);
                if options.max_tuples.is_some_and(|max| known[rel].len() > max) {
                    let name = &program.relations[rel].name;
                    return Err(Diagnostic::error(
                        Code::Limit,
                        format!("relation `{name}` grew beyond the tuple limit"),
                    ));
                }
            }
            if options.deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Diagnostic::error(Code::Limit, "evaluation stopped at the time limit"));
            }
            round += 1;
        }
    }
    let relations = known
        .iter()
        .enumerate()
        .map(|(rel, k)| {
            let mut t = Tuples::new(program.relations[rel].arity());
            k.keys().for_each(|row| t.push(row));
            t
        })
        .collect();
    let annotations = options.record.then(|| known.iter().map(|k| k.values().copied().collect()).collect());
    Ok(Model::from_evaluator(program, relations, annotations))
}

/// Enumerates the solutions of a body against the known tuples.
struct Solver<'k, 's> {
    known: &'k [Known],
    symbols: &'s mut Symbols,
    /// The first run-time error (an aggregate that overflows), which stops evaluation.
    error: Option<Diagnostic>,
}

/// A rule's bindings: `None` for a variable not bound yet.
type Env = Vec<Option<Value>>;

impl Solver<'_, '_> {
    /// Calls `sink` with every extension of `env` that satisfies `body`.
    fn solve(&mut self, body: &[Lit], env: &mut Env, sink: &mut dyn FnMut(&Env, &mut Symbols)) {
        let Some((lit, rest)) = body.split_first() else {
            sink(env, self.symbols);
            return;
        };
        match lit {
            // p(args): every tuple of p that agrees with the bound arguments binds the others.
            Lit::Atom(atom) => {
                let known = self.known;
                for tuple in known[atom.rel].keys() {
                    let mut extended = env.clone();
                    if bind(atom, tuple, &mut extended) {
                        self.solve(rest, &mut extended, sink);
                    }
                }
            }
            // !p(args): no tuple of p agrees with the (bound) arguments.
            Lit::Negated(atom) => {
                let any = self.known[atom.rel].keys().any(|t| bind(atom, t, &mut env.clone()));
                if !any {
                    self.solve(rest, env, sink);
                }
            }
            // lhs op rhs
            Lit::Filter { op, lhs, rhs, ty, .. } => {
                let (l, r) = (self.value(lhs, env), self.value(rhs, env));
                if let (Some(l), Some(r)) = (l, r)
                    && eval::compare(*op, *ty, l, r, self.symbols)
                {
                    self.solve(rest, env, sink);
                }
            }
            // var = expr
            Lit::Assign { var, expr, .. } => {
                if let Some(v) = self.value(expr, env) {
                    let saved = env[*var].replace(v);
                    self.solve(rest, env, sink);
                    env[*var] = saved;
                }
            }
            // var = range(from, to[, step])
            Lit::Range { var, ty, from, to, step, .. } => {
                let (Some(from), Some(to)) = (self.value(from, env), self.value(to, env)) else { return };
                let step = match step {
                    Some(s) => match self.value(s, env) {
                        Some(s) => Some(s),
                        None => return,
                    },
                    None => None,
                };
                for i in Range::of(*ty, from, to, step) {
                    let saved = env[*var].replace(i);
                    self.solve(rest, env, sink);
                    env[*var] = saved;
                }
            }
            // var = func target : { body }: one fold over the solutions of the inner body
            // (the distinct bindings of its key, when it has one).
            Lit::Aggregate { var, func, target, ty, body: inner, key, span } => {
                let mut fold = Fold::new(*func, *ty);
                let mut distinct = eval::Distinct::new(key.as_deref());
                let mut scratch = env.clone();
                self.solve(inner, &mut scratch, &mut |e, symbols| {
                    let row: Vec<Value> = e.iter().map(|v| v.unwrap_or(0)).collect();
                    if distinct.first(&row) {
                        fold.add(target.as_ref().and_then(|t| eval::evaluate_expr(t, &row, symbols)));
                    }
                });
                if fold.overflowed() {
                    self.error.get_or_insert(eval::overflow(*func, *span));
                    return;
                }
                if let Some(result) = fold.result() {
                    let saved = env[*var].replace(result);
                    self.solve(rest, env, sink);
                    env[*var] = saved;
                }
            }
        }
    }

    fn value(&mut self, e: &ir::Expr, env: &Env) -> Option<Value> {
        let row: Vec<Value> = env.iter().map(|v| v.unwrap_or(0)).collect();
        eval::evaluate_expr(e, &row, self.symbols)
    }
}

/// Matches `tuple` against `atom`'s arguments under `env`, binding the unbound variables;
/// false when a constant or a bound variable disagrees.
fn bind(atom: &Atom, tuple: &[Value], env: &mut Env) -> bool {
    for (arg, &value) in atom.args.iter().zip(tuple) {
        match *arg {
            Arg::Wildcard => {}
            Arg::Const(c) if c != value => return false,
            Arg::Const(_) => {}
            Arg::Var(v) => match env[v] {
                Some(bound) if bound != value => return false,
                Some(_) => {}
                None => env[v] = Some(value),
            },
        }
    }
    true
}
