//! The IR compiled to a differential dataflow: one collection of rows per relation, one
//! `distinct` per derived relation, one `iterate` scope (a `Variable` per relation) per
//! recursive stratum.
//!
//! A rule's body is compiled literal by literal, in the checked order, over a collection of
//! *environments*: rows of the rule's variables (`Rule::num_vars` wide, 0 where a variable is
//! not bound yet). A positive atom is a `join` keyed by its constants and already-bound
//! variables; a negated atom an `antijoin` against the (complete, lower-stratum) relation
//! projected to its non-wildcard columns; a comparison a `filter`; `x = e` and `range` a
//! `flat_map`; an aggregate a `reduce` keyed by the variables its body shares with the outer
//! body. An environment's multiplicity is its number of solutions, as in a nested-loop
//! evaluation, so `count` and `sum` fold the same solutions the simple engine folds.
//! Expressions, comparisons, ranges and folds are the datafrog engine's own
//! (`eval::evaluate_expr`, `eval::compare`, `functors::Range`, `eval::Fold`): one
//! implementation of the semantics.

use super::Shared;
use crate::base::value::{Type, Value};
use crate::engine::eval::{self, Fold};
use crate::lang::functors::Range;
use crate::lang::ir::{self, Arg, Atom, Expr, Lit, RelId, VarId};
use crate::lang::syntax::ast::AggregateFunc;
use differential_dataflow::VecCollection;
use differential_dataflow::operators::iterate::Variable;
use std::rc::Rc;
use timely::dataflow::Scope;
use timely::order::Product;

/// A tuple, or a rule's environment.
pub type Row = Vec<Value>;
/// A relation's tuples (or a body's environments) as a collection.
pub type Coll<'s, T> = VecCollection<'s, T, Row, isize>;

/// Compiles every stratum of `program` over the input collections (one per relation, facts
/// included); returns every relation's complete collection, by [`RelId`].
pub fn program<'s>(
    scope: Scope<'s, u32>,
    program: &ir::Program,
    inputs: Vec<Coll<'s, u32>>,
    unit: Coll<'s, u32>,
    shared: &Shared,
) -> Vec<Coll<'s, u32>> {
    let mut rels: Vec<Option<Coll<'s, u32>>> = vec![None; program.relations.len()];
    for stratum in &program.strata {
        // Every stratum runs in a loop scope, a recursive one iterating to its fixpoint and
        // another one passing once: rules are compiled for one timestamp type only, which
        // halves the operators' machine code.
        let results = scope.iterative::<u64, _, _>(|inner| {
            // Only the lower relations this stratum reads enter the scope.
            let mut reads = Vec::new();
            for &r in &stratum.rules {
                ir::body_reads(&program.rules[r].body, false, &mut reads);
            }
            let mut inner_rels: Vec<Option<Coll<'_, Inner>>> = vec![None; program.relations.len()];
            for (rel, _, _) in reads {
                if inner_rels[rel].is_none() && !stratum.relations.contains(&rel) {
                    inner_rels[rel] = rels[rel].clone().map(|c| c.enter(inner));
                }
            }
            let mut variables = Vec::new();
            if stratum.recursive {
                for &rel in &stratum.relations {
                    let (variable, collection) = Variable::new(inner, Product::new(0, 1));
                    inner_rels[rel] = Some(collection);
                    variables.push(variable);
                }
            }
            let inner_unit = unit.clone().enter(inner);
            let mut variables = variables.into_iter();
            let mut out = Vec::new();
            for &rel in &stratum.relations {
                let parts = rules_of(program, stratum, rel, &inner_rels, &inner_unit, shared);
                let all = differential_dataflow::collection::concatenate(inner, parts)
                    .concat(inputs[rel].clone().enter(inner));
                let result = counted(all.distinct(), rel, shared);
                if let Some(variable) = variables.next() {
                    variable.set(result.clone());
                }
                out.push(result.leave(scope));
            }
            out
        });
        for (&rel, result) in stratum.relations.iter().zip(results) {
            rels[rel] = Some(result);
        }
    }
    rels.into_iter().map(|r| r.expect("every relation is in a stratum")).collect()
}

/// The timestamp inside a stratum's scope: (epoch, round).
type Inner = Product<u32, u64>;
/// A collection inside a stratum's scope.
type InnerColl<'s> = Coll<'s, Inner>;
/// Keyed rows inside a stratum's scope.
type Keyed<'s> = VecCollection<'s, Inner, (Row, Row), isize>;

/// One row in, at most one out: every per-row step goes through this one instantiation of
/// `flat_map` (a closure type per step would instantiate the operator per step).
fn each<'s>(c: InnerColl<'s>, f: impl Fn(Row) -> Option<Row> + 'static) -> InnerColl<'s> {
    let f: Rc<dyn Fn(Row) -> Option<Row>> = Rc::new(f);
    c.flat_map(move |row| f(row))
}

/// One row in, any number out (`range`).
fn many<'s>(c: InnerColl<'s>, f: impl Fn(Row) -> Vec<Row> + 'static) -> InnerColl<'s> {
    let f: Rc<dyn Fn(Row) -> Vec<Row>> = Rc::new(f);
    c.flat_map(move |row| f(row))
}

/// Each row with its key.
fn keyed<'s>(c: InnerColl<'s>, key: impl Fn(&Row) -> Row + 'static) -> Keyed<'s> {
    pairs(c, move |row| (key(&row), row))
}

/// Each row made a (key, value) pair.
fn pairs<'s>(c: InnerColl<'s>, f: impl Fn(Row) -> (Row, Row) + 'static) -> Keyed<'s> {
    let f: Rc<dyn Fn(Row) -> (Row, Row)> = Rc::new(f);
    c.map(move |row| f(row))
}

/// How [`join`] combines two rows.
type Combine = Rc<dyn Fn(&Row, &Row) -> Row>;

/// Pairs of rows with equal keys, combined.
fn join<'s>(a: Keyed<'s>, b: Keyed<'s>, f: impl Fn(&Row, &Row) -> Row + 'static) -> InnerColl<'s> {
    let f: Combine = Rc::new(f);
    a.join_map(b, move |_, x, y| f(x, y))
}

/// The rows whose key is not among `absent`'s rows.
fn without<'s>(a: Keyed<'s>, absent: InnerColl<'s>) -> InnerColl<'s> {
    a.antijoin(absent.distinct()).map(|(_, row)| row)
}

/// Adds the size changes of a relation to its counter, for `--max-tuples`.
fn counted<'s>(c: InnerColl<'s>, rel: RelId, shared: &Shared) -> InnerColl<'s> {
    let sizes = shared.sizes.clone();
    c.inspect_batch(move |_, updates| {
        let change: isize = updates.iter().map(|(_, _, d)| *d).sum();
        sizes[rel].fetch_add(change as i64, std::sync::atomic::Ordering::Relaxed);
    })
}

/// The head tuples of every rule of `stratum` deriving `rel`.
fn rules_of<'s>(
    program: &ir::Program,
    stratum: &ir::Stratum,
    rel: RelId,
    rels: &[Option<InnerColl<'s>>],
    unit: &InnerColl<'s>,
    shared: &Shared,
) -> Vec<InnerColl<'s>> {
    stratum
        .rules
        .iter()
        .map(|&r| &program.rules[r])
        .filter(|rule| rule.head == rel)
        .map(|rule| {
            let mut bound = vec![false; rule.num_vars()];
            let envs = Body { rels, unit, shared, width: rule.num_vars() }.compile(&rule.body, None, &mut bound);
            let envs = materialize(envs, unit, rule.num_vars());
            let (head, shared) = (rule.head_args.clone(), shared.clone());
            each(envs, move |env| head.iter().map(|e| shared.eval(e, &env)).collect::<Option<Row>>())
        })
        .collect()
}

/// The environments so far: `None` is the single empty environment (nothing read yet).
type Envs<'s> = Option<InnerColl<'s>>;

/// The empty environment as a collection, when a literal needs one.
fn materialize<'s>(envs: Envs<'s>, unit: &InnerColl<'s>, width: usize) -> InnerColl<'s> {
    envs.unwrap_or_else(|| each(unit.clone(), move |_| Some(vec![0; width])))
}

/// What one body's compilation reads.
struct Body<'a, 's> {
    rels: &'a [Option<InnerColl<'s>>],
    unit: &'a InnerColl<'s>,
    shared: &'a Shared,
    /// The environment's width (the rule's number of variables).
    width: usize,
}

impl<'s> Body<'_, 's> {
    fn rel(&self, rel: RelId) -> InnerColl<'s> {
        self.rels[rel].clone().expect("a body reads only relations of its stratum or lower ones")
    }

    /// The environments that satisfy `lits` after `envs`; `bound` tracks the bound variables.
    fn compile(&self, lits: &[Lit], mut envs: Envs<'s>, bound: &mut [bool]) -> Envs<'s> {
        for lit in lits {
            envs = Some(match lit {
                Lit::Atom(atom) => self.atom(atom, envs, bound),
                Lit::Negated(atom) => self.negated(atom, materialize(envs, self.unit, self.width)),
                // lhs op rhs
                Lit::Filter { op, lhs, rhs, ty, .. } => {
                    let (op, ty, lhs, rhs, shared) = (*op, *ty, lhs.clone(), rhs.clone(), self.shared.clone());
                    each(materialize(envs, self.unit, self.width), move |env| {
                        let (l, r) = (shared.eval(&lhs, &env), shared.eval(&rhs, &env));
                        let holds = l.zip(r).is_some_and(|(l, r)| eval::compare(op, ty, l, r, &shared.symbols()));
                        holds.then_some(env)
                    })
                }
                // var = expr
                Lit::Assign { var, expr, .. } => {
                    bound[*var] = true;
                    let (var, expr, shared) = (*var, expr.clone(), self.shared.clone());
                    each(materialize(envs, self.unit, self.width), move |mut env| {
                        env[var] = shared.eval(&expr, &env)?;
                        Some(env)
                    })
                }
                // var = range(from, to[, step])
                Lit::Range { var, ty, from, to, step, .. } => {
                    bound[*var] = true;
                    let (var, ty, shared) = (*var, *ty, self.shared.clone());
                    let (from, to, step) = (from.clone(), to.clone(), step.clone());
                    many(materialize(envs, self.unit, self.width), move |env| {
                        let numbers = range(&shared, &env, ty, (&from, &to, step.as_ref()));
                        numbers
                            .into_iter()
                            .flatten()
                            .map(|n| {
                                let mut env = env.clone();
                                env[var] = n;
                                env
                            })
                            .collect()
                    })
                }
                Lit::Aggregate { var, func, target, ty, body, key, span } => {
                    let envs = materialize(envs, self.unit, self.width);
                    let result =
                        self.aggregate(envs, *var, (*func, *ty), target.as_ref(), body, key.clone(), *span, bound);
                    bound[*var] = true;
                    result
                }
            });
        }
        envs
    }

    /// `p(args)`: joins the environments with `p` on the constants and bound variables, and
    /// binds the other variables.
    fn atom(&self, atom: &Atom, envs: Envs<'s>, bound: &mut [bool]) -> InnerColl<'s> {
        let mut keys: Vec<(usize, Arg)> = Vec::new();
        let mut binds: Vec<(usize, VarId)> = Vec::new();
        let mut same: Vec<(usize, usize)> = Vec::new();
        for (col, &arg) in atom.args.iter().enumerate() {
            match arg {
                Arg::Wildcard => {}
                Arg::Const(_) => keys.push((col, arg)),
                Arg::Var(v) if bound[v] => keys.push((col, arg)),
                Arg::Var(v) => match binds.iter().find(|&&(_, w)| w == v) {
                    Some(&(first, _)) => same.push((first, col)),
                    None => binds.push((col, v)),
                },
            }
        }
        for &(_, v) in &binds {
            bound[v] = true;
        }
        let width = self.width;
        let Some(envs) = envs else {
            // p(args) read first: the tuples that agree with the constants (and with
            // themselves on repeated variables) bind the variables.
            let consts: Vec<(usize, Value)> =
                keys.iter().filter_map(|&(c, a)| if let Arg::Const(v) = a { Some((c, v)) } else { None }).collect();
            return each(self.rel(atom.rel), move |t| {
                let agrees = consts.iter().all(|&(c, v)| t[c] == v) && same.iter().all(|&(a, b)| t[a] == t[b]);
                agrees.then(|| {
                    let mut env = vec![0; width];
                    binds.iter().for_each(|&(c, v)| env[v] = t[c]);
                    env
                })
            });
        };
        // h :- ..., p(k..., x...): env(k) ⋈ p(k, x) binds x.
        let tuples = each(self.rel(atom.rel), move |t| same.iter().all(|&(a, b)| t[a] == t[b]).then_some(t));
        let key_cols: Vec<usize> = keys.iter().map(|&(c, _)| c).collect();
        let by_key = keyed(tuples, move |t| key_cols.iter().map(|&c| t[c]).collect());
        let envs = keyed(envs, move |env| key_of(&keys, env));
        join(envs, by_key, move |env, t| {
            let mut env = env.clone();
            binds.iter().for_each(|&(c, v)| env[v] = t[c]);
            env
        })
    }

    /// `!p(args)`: the environments with no tuple of `p` agreeing on the non-wildcard columns.
    fn negated(&self, atom: &Atom, envs: InnerColl<'s>) -> InnerColl<'s> {
        let keys: Vec<(usize, Arg)> =
            atom.args.iter().enumerate().filter(|(_, a)| !matches!(a, Arg::Wildcard)).map(|(c, &a)| (c, a)).collect();
        let cols: Vec<usize> = keys.iter().map(|&(c, _)| c).collect();
        // h :- ..., !p(k): env(k) ▷ π_k(p).
        let present = each(self.rel(atom.rel), move |t| Some(cols.iter().map(|&c| t[c]).collect()));
        without(keyed(envs, move |env| key_of(&keys, env)), present)
    }

    /// `var = func target : { body }`: each environment with the fold of `target` over the
    /// solutions of `body` that agree with it on the variables they share.
    #[allow(clippy::too_many_arguments)]
    fn aggregate(
        &self,
        envs: InnerColl<'s>,
        var: VarId,
        (func, ty): (AggregateFunc, Type),
        target: Option<&Expr>,
        body: &[Lit],
        key: Option<Vec<VarId>>,
        span: crate::base::source::Span,
        bound: &[bool],
    ) -> InnerColl<'s> {
        let mut used = Vec::new();
        body.iter().for_each(|lit| lit.vars(&mut used));
        if let Some(t) = target {
            t.vars(&mut used);
        }
        used.sort_unstable();
        used.dedup();
        let shares: Rc<Vec<VarId>> = Rc::new(used.into_iter().filter(|&v| bound[v]).collect());
        let width = self.width;
        let project = {
            let shares = shares.clone();
            move |env: &Row| shares.iter().map(|&v| env[v]).collect::<Row>()
        };
        // The groups: one per distinct value of the shared variables among the environments.
        let groups = each(envs.clone(), {
            let project = project.clone();
            move |env| Some(project(&env))
        })
        .distinct();
        let seeds = each(groups.clone(), move |key| {
            let mut env = vec![0; width];
            shares.iter().zip(&key).for_each(|(&v, &x)| env[v] = x);
            Some(env)
        });
        let mut inner_bound = bound.to_vec();
        let solutions = self.compile(body, Some(seeds), &mut inner_bound).expect("the body starts from the groups");
        let (target, shared) = (target.cloned(), self.shared.clone());
        // (group, [has a value, value, key's values...]): with a key, the aggregate ranges
        // over its distinct bindings (as `eval::Distinct` does), so the pairs are made
        // distinct; without, over every solution, an environment's multiplicity.
        let distinct = key.is_some();
        let values = pairs(solutions, {
            let project = project.clone();
            move |env| {
                let value = target.as_ref().and_then(|t| shared.eval(t, &env));
                let mut row = vec![u32::from(value.is_some()), value.unwrap_or(0)];
                row.extend(key.iter().flatten().map(|&v| env[v]));
                (project(&env), row)
            }
        });
        let values = if distinct { values.distinct() } else { values };
        let shared = self.shared.clone();
        let folded = values.reduce(move |_key, input: &[(&Row, isize)], output: &mut Vec<(Row, isize)>| {
            let mut fold = Fold::new(func, ty);
            for &(value, times) in input {
                for _ in 0..times {
                    fold.add((value[0] == 1).then_some(value[1]));
                }
            }
            if fold.overflowed() {
                shared.fail(eval::overflow(func, span));
            }
            if let Some(result) = fold.result() {
                output.push((vec![result], 1));
            }
        });
        // Groups without solutions: what the fold of nothing gives (0 for count and sum).
        let folded = match Fold::new(func, ty).result() {
            None => folded,
            Some(zero) => {
                let had = folded.clone().map(|(k, _)| k);
                let missing = without(pairs(groups, |k| (k.clone(), k)), had);
                folded.concat(pairs(missing, move |k| (k, vec![zero])))
            }
        };
        // env ⋈ folded on the shared variables binds var.
        join(pairs(envs, move |env| (project(&env), env)), folded, move |env, value| {
            let mut env = env.clone();
            env[var] = value[0];
            env
        })
    }
}

/// The values of `keys` in `env`: constants as written, variables as bound.
fn key_of(keys: &[(usize, Arg)], env: &[Value]) -> Row {
    keys.iter()
        .map(|&(_, a)| match a {
            Arg::Const(c) => c,
            Arg::Var(v) => env[v],
            Arg::Wildcard => unreachable!("wildcards are never keys"),
        })
        .collect()
}

/// The numbers of `range(from, to[, step])` under `env`; `None` when a bound has no value.
fn range(shared: &Shared, env: &[Value], ty: Type, (from, to, step): (&Expr, &Expr, Option<&Expr>)) -> Option<Range> {
    let from = shared.eval(from, env)?;
    let to = shared.eval(to, env)?;
    let step = match step {
        Some(s) => Some(shared.eval(s, env)?),
        None => None,
    };
    Some(Range::of(ty, from, to, step))
}
