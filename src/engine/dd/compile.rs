//! The IR compiled to a differential dataflow: one collection of rows ([`Row`]: 16 bytes,
//! three values inline) per relation, one `distinct` per derived relation, one loop scope (with a
//! `u32` round and a `Variable` per relation when recursive) per stratum.
//!
//! A rule's body is compiled literal by literal, in the checked order, over a collection of
//! *environments*: rows of the rule's variables (`Rule::num_vars` wide, 0 where a variable is
//! not bound yet). A positive atom is a `join_core` keyed by its constants and already-bound
//! variables, against the relation arranged by those columns: a lower relation's arrangement
//! is made once in the outer scope per (relation, key columns) and entered into every stratum
//! that keys it so; a stratum's own relation is arranged once in its loop for all its rules.
//! Repeated variables are checked inside the join. A negated atom is an `antijoin` against
//! the (complete, lower-stratum) relation projected to its non-wildcard columns; a comparison
//! a `filter`; `x = e` and `range` a `flat_map`; an aggregate a `reduce` keyed by the variables its body shares with the outer
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
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::operators::iterate::Variable;
use differential_dataflow::trace::implementations::ValSpine;
use differential_dataflow::trace::wrappers::enter::TraceEnter;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use timely::dataflow::Scope;
use timely::order::Product;

pub use super::row::Row;
/// A relation's tuples (or a body's environments) as a collection.
pub type Coll<'s, T> = VecCollection<'s, T, Row, isize>;

/// A relation's tuples arranged by some of their columns (key: those columns' values;
/// value: the tuple), at time `T`.
type Index<'s, T> = Arranged<'s, TraceAgent<ValSpine<Row, Row, T, isize>>>;
/// Arrangements by (relation, key columns).
type Indexes<'s, T> = RefCell<HashMap<(RelId, Vec<usize>), Index<'s, T>>>;
/// A lower relation's arrangement entered into a stratum's loop scope.
type EnteredIndex<'s> = Arranged<'s, TraceEnter<TraceAgent<ValSpine<Row, Row, u32, isize>>, Inner>>;

/// The arrangements of the relations of completed strata, made once in the outer scope per
/// (relation, key columns) and shared by every stratum and rule that joins with them.
struct Lower<'s> {
    rels: Vec<Option<Coll<'s, u32>>>,
    indexes: Indexes<'s, u32>,
}

impl<'s> Lower<'s> {
    /// `rel` arranged by `cols`, made on first use.
    fn index(&self, rel: RelId, cols: &[usize]) -> Index<'s, u32> {
        let mut indexes = self.indexes.borrow_mut();
        let entry = indexes.entry((rel, cols.to_vec())).or_insert_with(|| {
            let rows = self.rels[rel].clone().expect("a lower relation is complete");
            by_columns(rows, cols.to_vec()).arrange_by_key()
        });
        entry.clone()
    }
}

/// Each tuple keyed by the values of `cols`.
fn by_columns<T: timely::progress::Timestamp + differential_dataflow::lattice::Lattice>(
    rows: Coll<'_, T>,
    cols: Vec<usize>,
) -> VecCollection<'_, T, (Row, Row), isize> {
    rows.map(move |t| (cols.iter().map(|&c| t[c]).collect(), t))
}

/// Compiles every stratum of `program` over the input collections (one per relation, facts
/// included); returns every relation's complete collection, by [`RelId`].
pub fn program<'s>(
    scope: Scope<'s, u32>,
    program: &ir::Program,
    inputs: Vec<Coll<'s, u32>>,
    unit: Coll<'s, u32>,
    shared: &Shared,
) -> Vec<Coll<'s, u32>> {
    let lower = Lower { rels: vec![None; program.relations.len()], indexes: RefCell::default() };
    let lower = RefCell::new(lower);
    for stratum in &program.strata {
        // Every stratum runs in a loop scope, a recursive one iterating to its fixpoint and
        // another one passing once: rules are compiled for one timestamp type only, which
        // halves the operators' machine code.
        let results = scope.iterative::<u32, _, _>(|inner| {
            let lower = lower.borrow();
            // Only the lower relations this stratum reads enter the scope.
            let mut reads = Vec::new();
            for &r in &stratum.rules {
                ir::body_reads(&program.rules[r].body, false, &mut reads);
            }
            let mut inner_rels: Vec<Option<Coll<'_, Inner>>> = vec![None; program.relations.len()];
            for (rel, _, _) in reads {
                if inner_rels[rel].is_none() && !stratum.relations.contains(&rel) {
                    inner_rels[rel] = lower.rels[rel].clone().map(|c| c.enter(inner));
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
            let ctx = Stratum {
                stratum,
                rels: inner_rels,
                unit: inner_unit,
                lower: &lower,
                inner,
                indexes: RefCell::default(),
                shared,
            };
            let mut variables = variables.into_iter();
            let mut out = Vec::new();
            for &rel in &stratum.relations {
                let parts = ctx.rules_of(program, rel);
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
        let mut lower = lower.borrow_mut();
        for (&rel, result) in stratum.relations.iter().zip(results) {
            lower.rels[rel] = Some(result);
        }
    }
    lower.into_inner().rels.into_iter().map(|r| r.expect("every relation is in a stratum")).collect()
}

/// The timestamp inside a stratum's scope: (epoch, round).
type Inner = Product<u32, u32>;
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

/// How [`join`] combines two rows (`None`: they do not match after all).
type Combine = Rc<dyn Fn(&Row, &Row) -> Option<Row>>;

/// Pairs of rows with equal keys, combined.
fn join<'s>(a: Keyed<'s>, b: Keyed<'s>, f: impl Fn(&Row, &Row) -> Option<Row> + 'static) -> InnerColl<'s> {
    join_indexed(a, Indexed::Own(b.arrange_by_key()), Rc::new(f))
}

/// A relation arranged by some columns, for joins inside a stratum: one of the stratum's
/// own (recursive) relations arranged in its loop, or a lower relation's arrangement
/// entered from the outer scope.
#[derive(Clone)]
enum Indexed<'s> {
    Own(Index<'s, Inner>),
    Entered(EnteredIndex<'s>),
}

/// The environments joined with an arranged relation, combined.
fn join_indexed<'s>(envs: Keyed<'s>, index: Indexed<'s>, f: Combine) -> InnerColl<'s> {
    let envs = envs.arrange_by_key();
    match index {
        Indexed::Own(a) => envs.join_core(a, move |_, e, t| f(e, t)),
        Indexed::Entered(a) => envs.join_core(a, move |_, e, t| f(e, t)),
    }
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

/// One stratum's compilation: its relations inside its loop scope, and the arrangements its
/// rules share.
struct Stratum<'a, 's, 'i> {
    stratum: &'a ir::Stratum,
    /// Every relation the stratum reads, inside its scope.
    rels: Vec<Option<InnerColl<'i>>>,
    unit: InnerColl<'i>,
    lower: &'a Lower<'s>,
    inner: Scope<'i, Inner>,
    /// The stratum's own relations arranged by key columns, shared by its rules.
    indexes: Indexes<'i, Inner>,
    shared: &'a Shared,
}

impl<'i> Stratum<'_, '_, 'i> {
    /// `rel` arranged by `cols`: a lower relation's shared arrangement entered, or one of the
    /// stratum's own, made once for all its rules.
    fn index(&self, rel: RelId, cols: &[usize]) -> Indexed<'i> {
        if !self.stratum.relations.contains(&rel) {
            return Indexed::Entered(self.lower.index(rel, cols).enter(self.inner));
        }
        let mut indexes = self.indexes.borrow_mut();
        let entry = indexes.entry((rel, cols.to_vec())).or_insert_with(|| {
            let rows = self.rels[rel].clone().expect("a stratum reads its own relations");
            by_columns(rows, cols.to_vec()).arrange_by_key()
        });
        Indexed::Own(entry.clone())
    }

    /// The head tuples of every rule of the stratum deriving `rel`.
    fn rules_of(&self, program: &ir::Program, rel: RelId) -> Vec<InnerColl<'i>> {
        self.stratum
            .rules
            .iter()
            .map(|&r| &program.rules[r])
            .filter(|rule| rule.head == rel)
            .map(|rule| {
                let mut bound = vec![false; rule.num_vars()];
                let body =
                    Body { st: self, rels: &self.rels, unit: &self.unit, shared: self.shared, width: rule.num_vars() };
                let envs = body.compile(&rule.body, None, &mut bound);
                let envs = materialize(envs, &self.unit, rule.num_vars());
                head(envs, &rule.head_args, self.shared)
            })
            .collect()
    }
}

/// The head tuples of a rule's environments: a projection when every head argument is a
/// variable (most rules), else the datafrog engine's expression evaluator per row.
fn head<'s>(envs: InnerColl<'s>, args: &[Expr], shared: &Shared) -> InnerColl<'s> {
    let vars: Option<Vec<VarId>> = args.iter().map(|e| if let Expr::Var(v) = e { Some(*v) } else { None }).collect();
    if let Some(vars) = vars {
        return each(envs, move |env| Some(vars.iter().map(|&v| env[v]).collect()));
    }
    let (args, shared) = (args.to_vec(), shared.clone());
    each(envs, move |env| args.iter().map(|e| shared.eval(e, &env)).collect::<Option<Row>>())
}

/// The environments so far: `None` is the single empty environment (nothing read yet).
type Envs<'s> = Option<InnerColl<'s>>;

/// The empty environment as a collection, when a literal needs one.
fn materialize<'s>(envs: Envs<'s>, unit: &InnerColl<'s>, width: usize) -> InnerColl<'s> {
    envs.unwrap_or_else(|| each(unit.clone(), move |_| Some(Row::from_elem(0, width))))
}

/// What one body's compilation reads.
struct Body<'a, 'b, 's, 'i> {
    st: &'a Stratum<'b, 's, 'i>,
    rels: &'a [Option<InnerColl<'i>>],
    unit: &'a InnerColl<'i>,
    shared: &'a Shared,
    /// The environment's width (the rule's number of variables).
    width: usize,
}

impl<'s> Body<'_, '_, '_, 's> {
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
                    let mut env = Row::from_elem(0, width);
                    binds.iter().for_each(|&(c, v)| env[v] = t[c]);
                    env
                })
            });
        };
        // h :- ..., p(k..., x...): env(k) ⋈ p(k, x) binds x, with p arranged by its key
        // columns once for every rule that keys it so.
        let key_cols: Vec<usize> = keys.iter().map(|&(c, _)| c).collect();
        let index = self.st.index(atom.rel, &key_cols);
        let envs = keyed(envs, move |env| key_of(&keys, env));
        join_indexed(
            envs,
            index,
            Rc::new(move |env: &Row, t: &Row| {
                same.iter().all(|&(a, b)| t[a] == t[b]).then(|| {
                    let mut env = env.clone();
                    binds.iter().for_each(|&(c, v)| env[v] = t[c]);
                    env
                })
            }),
        )
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
            let mut env = Row::from_elem(0, width);
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
                let mut row = Row::from_slice(&[u32::from(value.is_some()), value.unwrap_or(0)]);
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
                output.push((Row::from_slice(&[result]), 1));
            }
        });
        // Groups without solutions: what the fold of nothing gives (0 for count and sum).
        let folded = match Fold::new(func, ty).result() {
            None => folded,
            Some(zero) => {
                let had = folded.clone().map(|(k, _)| k);
                let missing = without(pairs(groups, |k| (k.clone(), k)), had);
                folded.concat(pairs(missing, move |k| (k, Row::from_slice(&[zero]))))
            }
        };
        // env ⋈ folded on the shared variables binds var.
        join(pairs(envs, move |env| (project(&env), env)), folded, move |env, value| {
            let mut env = env.clone();
            env[var] = value[0];
            Some(env)
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
