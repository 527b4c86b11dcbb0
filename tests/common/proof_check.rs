//! An independent proof checker for tests. It does not reuse the proof search: for every
//! node of a proof it re-applies the rule to the node's bindings and checks, literal by
//! literal, that the instance is real: the head is the conclusion, each positive atom is a
//! premise that holds in the model and was proved at a lower height, each negated atom has
//! no matching tuple, each comparison, assignment, range and aggregate holds. Leaves must be
//! input facts with at least one recorded origin.

use stance::base::value::{Symbols, Type, Value};
use stance::engine::eval::Model;
use stance::lang::ir::{Arg, Expr, Lit, Program};
use stance::lang::syntax::ast::{AggregateFunc, BinaryOp, CompareOp, UnaryOp};
use stance::proof::provenance::{Explainer, NodeId, NodeKind, Side};

pub fn check_proof(ex: &Explainer, root: NodeId) -> Result<(), String> {
    let mut stack = vec![root];
    let mut seen = std::collections::HashSet::new();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        check_node(ex.program, ex.model, ex.symbols, ex, n)?;
        if let NodeKind::Derived { premises, .. } = &ex.nodes[n].kind {
            stack.extend(premises);
        }
    }
    Ok(())
}

fn check_node(program: &Program, model: &Model, symbols: &Symbols, ex: &Explainer, n: NodeId) -> Result<(), String> {
    let node = &ex.nodes[n];
    let name = &program.relations[node.rel].name;
    if !model.relations[node.rel].contains(&node.tuple) {
        return Err(format!("{name}{:?} is not in the model", node.tuple));
    }
    match &node.kind {
        NodeKind::Fact { origins } => {
            let in_rules = program.facts.iter().any(|f| f.rel == node.rel && f.values == node.tuple);
            let in_tables = ex.facts.rows(name).iter().any(|(v, _)| *v == node.tuple);
            if !(in_rules || in_tables) || origins.is_empty() {
                return Err(format!("leaf {name}{:?} is not an input fact", node.tuple));
            }
            if node.height != 0 {
                return Err(format!("fact {name}{:?} has height {}", node.tuple, node.height));
            }
            Ok(())
        }
        NodeKind::Derived { rule, env, premises, side } => {
            let rule = &program.rules[*rule];
            if rule.head != node.rel {
                return Err(format!("rule of {name} derives {}", program.relations[rule.head].name));
            }
            for (i, (arg, &v)) in rule.head_args.iter().zip(&node.tuple).enumerate() {
                if eval(arg, env, symbols) != Some(v) {
                    return Err(format!("head argument {i} of {name}{:?} does not match its bindings", node.tuple));
                }
            }
            let mut premises = premises.iter();
            let mut negations = side.iter().filter(|s| matches!(s, Side::Absent { .. }));
            check_body(&rule.body, env, program, model, symbols, ex, node.height, &mut premises, &mut negations)?;
            if premises.next().is_some() {
                return Err(format!("{name}{:?} has more premises than positive atoms", node.tuple));
            }
            Ok(())
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_body<'a>(
    body: &[Lit],
    env: &[Value],
    program: &Program,
    model: &Model,
    symbols: &Symbols,
    ex: &Explainer,
    height: u32,
    premises: &mut impl Iterator<Item = &'a NodeId>,
    negations: &mut impl Iterator<Item = &'a Side>,
) -> Result<(), String> {
    for lit in body {
        match lit {
            Lit::Atom(a) => {
                let &p = premises.next().ok_or("fewer premises than positive atoms")?;
                let premise = &ex.nodes[p];
                if premise.rel != a.rel {
                    return Err(format!("premise is a {} tuple, atom is {}", premise.rel, a.rel));
                }
                for (arg, &v) in a.args.iter().zip(&premise.tuple) {
                    let ok = match *arg {
                        Arg::Var(x) => env[x] == v,
                        Arg::Const(c) => c == v,
                        Arg::Wildcard => true,
                    };
                    if !ok {
                        return Err(format!("premise {:?} does not instantiate its atom", premise.tuple));
                    }
                }
                if premise.height >= height {
                    return Err(format!("premise height {} is not below {height}", premise.height));
                }
            }
            Lit::Negated(a) => {
                let pattern = pattern(a, env);
                let blocked = model.relations[a.rel]
                    .iter()
                    .any(|t| t.iter().zip(&pattern).all(|(v, p)| p.is_none_or(|p| p == *v)));
                if blocked {
                    return Err(format!("negated {} holds", program.relations[a.rel].name));
                }
                match negations.next() {
                    Some(Side::Absent { rel, pattern: shown }) if *rel == a.rel && *shown == pattern => {}
                    _ => return Err("negated atom not reported as absent".into()),
                }
            }
            Lit::Filter { op, lhs, rhs, ty, .. } => {
                let (Some(l), Some(r)) = (eval(lhs, env, symbols), eval(rhs, env, symbols)) else {
                    return Err("comparison has no value".into());
                };
                if !compare(*op, *ty, l, r, symbols) {
                    return Err("comparison does not hold".into());
                }
            }
            Lit::Assign { var, expr, .. } => {
                if eval(expr, env, symbols) != Some(env[*var]) {
                    return Err("assignment does not hold".into());
                }
            }
            Lit::Range { var, from, to, step, .. } => {
                let v = env[*var] as i32;
                let (f, t) =
                    (eval(from, env, symbols).ok_or("range")? as i32, eval(to, env, symbols).ok_or("range")? as i32);
                let s = match step {
                    Some(s) => eval(s, env, symbols).ok_or("range")? as i32,
                    None => {
                        if f <= t {
                            1
                        } else {
                            -1
                        }
                    }
                };
                let inside = if s > 0 { v >= f && v < t } else { v <= f && v > t };
                if !inside || (v - f) % s != 0 {
                    return Err("range value out of range".into());
                }
            }
            Lit::Aggregate { var, func, target, body: inner, key, .. } => {
                // Variables of the inner body that occur nowhere outside it are local to it.
                let mut outer = Vec::new();
                for l in body {
                    lit_vars(l, &mut outer);
                }
                let mut local = env.to_vec();
                let mut inner_vars = Vec::new();
                for l in inner {
                    lit_vars(l, &mut inner_vars);
                }
                if let Some(t) = target {
                    t.vars(&mut inner_vars);
                }
                for v in inner_vars {
                    if !outer.contains(&v) {
                        local[v] = UNSET;
                    }
                }
                let expected = aggregate(*func, target.as_ref(), inner, key.as_deref(), &local, model, symbols);
                if expected != Some(env[*var] as i32) {
                    return Err(format!("aggregate is {:?}, bindings say {}", expected, env[*var] as i32));
                }
            }
        }
    }
    Ok(())
}

fn pattern(a: &stance::lang::ir::Atom, env: &[Value]) -> Vec<Option<Value>> {
    a.args
        .iter()
        .map(|arg| match *arg {
            Arg::Var(x) => Some(env[x]),
            Arg::Const(c) => Some(c),
            Arg::Wildcard => None,
        })
        .collect()
}

/// Recomputes an aggregate by brute force over the model (inner atoms, negations and
/// comparisons only, which is what the tests use): over every solution, or, with a key, over
/// one solution per distinct binding of the key's variables.
fn aggregate(
    func: AggregateFunc,
    target: Option<&Expr>,
    body: &[Lit],
    key: Option<&[usize]>,
    env: &[Value],
    model: &Model,
    symbols: &Symbols,
) -> Option<i32> {
    let mut values = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    solutions(body, &mut env.to_vec(), model, symbols, &mut |e| {
        if let Some(key) = key
            && !seen.insert(key.iter().map(|&v| e[v]).collect::<Vec<Value>>())
        {
            return;
        }
        values.push(target.map(|t| eval(t, e, symbols).map(|v| v as i32)).unwrap_or(Some(0)));
    });
    let values: Vec<i32> = values.into_iter().flatten().collect();
    match func {
        AggregateFunc::Count => Some(values.len() as i32),
        AggregateFunc::Sum => Some(values.iter().fold(0i32, |a, &b| a.wrapping_add(b))),
        AggregateFunc::Min => values.iter().copied().min(),
        AggregateFunc::Max => values.iter().copied().max(),
        AggregateFunc::Mean => None,
    }
}

fn solutions(body: &[Lit], env: &mut Vec<Value>, model: &Model, symbols: &Symbols, f: &mut dyn FnMut(&[Value])) {
    let Some((lit, rest)) = body.split_first() else { return f(env) };
    match lit {
        Lit::Atom(a) => {
            // Inner variables are fresh slots: a slot is free when no earlier literal set it;
            // we track that by trying every tuple and checking consistency with what is set.
            for t in model.relations[a.rel].iter() {
                let mut e = env.clone();
                let mut assigned: Vec<usize> = Vec::new();
                let ok = a.args.iter().zip(t).all(|(arg, &v)| match *arg {
                    Arg::Const(c) => c == v,
                    Arg::Wildcard => true,
                    Arg::Var(x) if assigned.contains(&x) || is_outer(x, env) => e[x] == v,
                    Arg::Var(x) => {
                        e[x] = v;
                        assigned.push(x);
                        true
                    }
                });
                if ok {
                    solutions(rest, &mut e, model, symbols, f);
                }
            }
        }
        Lit::Negated(a) => {
            let p = pattern(a, env);
            if !model.relations[a.rel].iter().any(|t| t.iter().zip(&p).all(|(v, q)| q.is_none_or(|q| q == *v))) {
                solutions(rest, env, model, symbols, f);
            }
        }
        Lit::Filter { op, lhs, rhs, ty, .. } => {
            if let (Some(l), Some(r)) = (eval(lhs, env, symbols), eval(rhs, env, symbols))
                && compare(*op, *ty, l, r, symbols)
            {
                solutions(rest, env, model, symbols, f);
            }
        }
        // `y = 3` placed before the atom that would bind `y`.
        Lit::Assign { var, expr, .. } => {
            if let Some(v) = eval(expr, env, symbols)
                && (env[*var] == UNSET || env[*var] == v)
            {
                let mut e = env.clone();
                e[*var] = v;
                solutions(rest, &mut e, model, symbols, f);
            }
        }
        _ => panic!("the checker's aggregate enumeration handles atoms, negations, comparisons and assignments only"),
    }
}

/// The checker marks unset inner slots with a sentinel the tests' data never holds.
const UNSET: Value = 0xDEAD_BEEF;

fn is_outer(x: usize, env: &[Value]) -> bool {
    env[x] != UNSET
}

/// Variables a literal mentions (for an aggregate: only its result, not its inner body).
fn lit_vars(lit: &Lit, out: &mut Vec<usize>) {
    let atom_vars = |a: &stance::lang::ir::Atom, out: &mut Vec<usize>| {
        out.extend(a.args.iter().filter_map(|x| if let Arg::Var(v) = x { Some(*v) } else { None }))
    };
    match lit {
        Lit::Atom(a) | Lit::Negated(a) => atom_vars(a, out),
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
        Lit::Aggregate { var, .. } => out.push(*var),
    }
}

fn eval(e: &Expr, env: &[Value], symbols: &Symbols) -> Option<Value> {
    Some(match e {
        Expr::Var(v) => env[*v],
        Expr::Const(c, _) => *c,
        // Unsigned and float operators: trust the engine's definition.
        Expr::Unary(_, ty, _) | Expr::Binary(_, ty, ..) if *ty != Type::Number => {
            return stance::engine::eval::evaluate_expr(e, env, &mut Symbols::new());
        }
        Expr::Cast(a, ty) => {
            let v = eval(a, env, symbols)?;
            if *ty == Type::Float { stance::base::value::from_float(f32::from_bits(v)) } else { v }
        }
        Expr::Unary(op, _, a) => {
            let a = eval(a, env, symbols)? as i32;
            (match op {
                UnaryOp::Neg => a.wrapping_neg(),
                UnaryOp::Bnot => !a,
                UnaryOp::Lnot => (a == 0) as i32,
            }) as Value
        }
        Expr::Binary(op, _, a, b) => {
            let (a, b) = (eval(a, env, symbols)? as i32, eval(b, env, symbols)? as i32);
            (match op {
                BinaryOp::Add => a.wrapping_add(b),
                BinaryOp::Sub => a.wrapping_sub(b),
                BinaryOp::Mul => a.wrapping_mul(b),
                BinaryOp::Div | BinaryOp::Mod if b == 0 => return None,
                BinaryOp::Div => a.wrapping_div(b),
                BinaryOp::Mod => a.wrapping_rem(b),
                // Rarer operators: trust the engine's definition.
                _ => return stance::engine::eval::evaluate_expr(e, env, &mut Symbols::new()),
            }) as Value
        }
        // A record holds when the table has one with exactly these fields (it is canonical).
        Expr::Record(_, fields) => {
            let values: Option<Vec<Value>> = fields.iter().map(|f| eval(f, env, symbols)).collect();
            return symbols.records.get(&values?);
        }
        Expr::Field { record, index, .. } => {
            return symbols.records.unpack(eval(record, env, symbols)?)?.get(*index).copied();
        }
        Expr::Call { .. } => {
            // String functors need the symbol table; the proofs checked in tests use none.
            let _ = symbols;
            return None;
        }
    })
}

fn compare(op: CompareOp, ty: Type, l: Value, r: Value, symbols: &Symbols) -> bool {
    let ord = match ty {
        Type::Number => (l as i32).cmp(&(r as i32)),
        Type::Unsigned => l.cmp(&r),
        Type::Float => f32::from_bits(l).total_cmp(&f32::from_bits(r)),
        Type::Symbol => symbols.resolve(l).cmp(symbols.resolve(r)),
        // Records compare with `=` and `!=` only (by id, as the table is canonical).
        Type::Record(_) => l.cmp(&r),
    };
    match op {
        CompareOp::Eq => l == r,
        CompareOp::Ne => l != r,
        CompareOp::Lt => ord.is_lt(),
        CompareOp::Le => ord.is_le(),
        CompareOp::Gt => ord.is_gt(),
        CompareOp::Ge => ord.is_ge(),
    }
}
