//! Grounding a defeasible theory: the support program (every rule read as strict, plus an
//! instance relation per rule) evaluated on datafrog, then one ground rule per instance
//! tuple, its literals numbered by their place in the support model (see [`super::Literals`]).

use super::{Conclusions, Csr, FROM_ROW, GIVEN, NONE, Row};
use crate::base::diag::{Code, Diagnostic};
use crate::base::value::{Symbols, Tuples, Value};
use crate::engine::eval;
use crate::lang::ir::{self, Arg, Expr, Lit, RelId};
use crate::lang::syntax::ast::RuleKind;
use rustc_hash::FxHashSet;

/// A rule prepared for grounding: `_` in its body atoms made variables, the instance
/// relation of the support program, and the variables its columns hold.
pub(super) struct Grounding {
    rule: ir::Rule,
    pub(super) relation: RelId,
    cols: Vec<usize>,
}

/// The support program: every rule but defeaters as it is, plus for every rule an instance
/// rule over its variables. Its relations are the program's, then the instance relations.
pub(super) fn support_program(program: &ir::Program) -> (ir::Program, Vec<Grounding>) {
    let mut support = program.clone();
    support.rules.clear();
    support.magic_transform.clear();
    let mut groundings = Vec::new();
    let mut instance_rules = Vec::new();
    for rule in &program.rules {
        let mut rule = rule.clone();
        // `_` in a body atom becomes a variable: the ground rule names the tuple it used.
        for lit in &mut rule.body {
            if let Lit::Atom(a) = lit {
                for (col, arg) in a.args.iter_mut().enumerate() {
                    if *arg == Arg::Wildcard {
                        rule.var_names.push(format!("$_{}", rule.var_names.len()));
                        rule.var_types.push(program.relations[a.rel].types[col]);
                        *arg = Arg::Var(rule.var_names.len() - 1);
                    }
                }
            }
        }
        let cols = bound_variables(&rule.body);
        let relation = support.add_relation(ir::Relation {
            name: format!("$instance{}", rule.id),
            columns: cols.iter().map(|&v| rule.var_names[v].clone()).collect(),
            types: cols.iter().map(|&v| rule.var_types[v]).collect(),
            decl: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: false,
            from_statements: false,
        });
        // $instanceR(vars) :- body.
        instance_rules.push(ir::Rule {
            head: relation,
            head_args: cols.iter().map(|&v| Expr::Var(v)).collect(),
            display: None,
            is_fact: false,
            ..rule.clone()
        });
        if program.defeasible.kind(rule.id) != RuleKind::Defeater {
            support.rules.push(rule.clone());
        }
        groundings.push(Grounding { rule, relation, cols });
    }
    support.rules.extend(instance_rules);
    for (i, r) in support.rules.iter_mut().enumerate() {
        r.id = i;
    }
    support.strata = ir::stratify(support.relations.len(), &support.rules).unwrap_or_default();
    (support, groundings)
}

/// The variables a body binds at its own level (not those local to an aggregate).
fn bound_variables(body: &[Lit]) -> Vec<usize> {
    let mut cols: Vec<usize> = Vec::new();
    for lit in body {
        match lit {
            Lit::Atom(a) => {
                cols.extend(a.args.iter().filter_map(|x| if let Arg::Var(v) = x { Some(*v) } else { None }))
            }
            Lit::Assign { var, .. } | Lit::Range { var, .. } | Lit::Aggregate { var, .. } => cols.push(*var),
            Lit::Negated(_) | Lit::Filter { .. } => {}
        }
    }
    cols.sort_unstable();
    cols.dedup();
    cols
}

/// An atom's tuple under `env`, into `out` (`_` reads 0: grounding makes every `_` a
/// variable first).
fn ground_args(args: &[Arg], env: &[Value], out: &mut Vec<Value>) {
    out.clear();
    out.extend(args.iter().map(|x| match x {
        Arg::Var(v) => env[*v],
        Arg::Const(k) => *k,
        Arg::Wildcard => 0,
    }));
}

/// Input tuples: strict facts, except statement rows read as defeasible facts.
pub(super) fn inputs(c: &mut Conclusions, inputs: &[Tuples], rows: Vec<Row>) {
    let mut stated = vec![false; c.literals.len()];
    let mut mark = |a: u32| {
        if a as usize >= stated.len() {
            stated.resize(a as usize + 1, false);
        }
        !std::mem::replace(&mut stated[a as usize], true)
    };
    let mut hint = 0;
    for row in &rows {
        let head = c.literals.intern(row.rel, &row.tuple, &mut hint);
        mark(head);
        c.instances.push(FROM_ROW, RuleKind::Defeasible, head, []);
    }
    c.rows = rows;
    for (rel, tuples) in inputs.iter().enumerate().take(c.literals.tuples.len()) {
        let mut hint = 0;
        for tuple in tuples.iter() {
            // A tuple stated by a row is that row's (defeasible) fact; given once is enough.
            let head = c.literals.intern(rel, tuple, &mut hint);
            if mark(head) {
                c.instances.push(GIVEN, RuleKind::Strict, head, []);
            }
        }
    }
}

/// One ground rule per tuple of the rule's instance relation. A rule without variables whose
/// body is atoms only is a ground rule even when its body cannot hold: its head is then a
/// literal of the theory, refuted (`p :~ q.` with no `q`: `p` is not provable).
pub(super) fn rule(
    c: &mut Conclusions,
    program: &ir::Program,
    g: &Grounding,
    tuples: &Tuples,
    symbols: &mut Symbols,
) -> Result<(), Diagnostic> {
    let (rule, cols) = (&g.rule, &g.cols);
    let kind = program.defeasible.kind(rule.id);
    let mut env = vec![0 as Value; rule.var_names.len()];
    let ground = rule.var_names.is_empty() && rule.body.iter().all(|l| matches!(l, Lit::Atom(_)));
    let unsatisfied = Tuples { arity: 0, data: Vec::new(), rows: 1 };
    let tuples = if ground && tuples.is_empty() { &unsatisfied } else { tuples };
    let atoms: Vec<&ir::Atom> =
        rule.body.iter().filter_map(|l| if let Lit::Atom(a) = l { Some(a) } else { None }).collect();
    // Where each literal was found last: instance tuples come sorted, and their literals
    // mostly so.
    let mut hints = vec![0usize; atoms.len() + 1];
    let (mut head, mut args, mut body) = (Vec::new(), Vec::new(), Vec::new());
    for tuple in tuples.iter() {
        for (k, &v) in cols.iter().enumerate() {
            env[v] = tuple[k];
        }
        head.clear();
        for e in &rule.head_args {
            head.push(eval::evaluate_expr(e, &env, symbols).ok_or_else(|| unevaluable(rule))?);
        }
        body.clear();
        for (a, hint) in atoms.iter().zip(&mut hints) {
            ground_args(&a.args, &env, &mut args);
            body.push(c.literals.intern(a.rel, &args, hint));
        }
        let head = c.literals.intern(rule.head, &head, &mut hints[atoms.len()]);
        c.instances.push(rule.id as u32, kind, head, body.iter().copied());
    }
    Ok(())
}

fn unevaluable(rule: &ir::Rule) -> Diagnostic {
    Diagnostic::error(Code::Defeasible, "a head expression of a defeasible program cannot be evaluated")
        .at(rule.head_span, "this head")
}

/// For a theory of strict rules read off the least model: the ground rule of each
/// variable-free rule of atoms whose body does not hold there (see [`rule`]).
pub(super) fn failing_ground_rules(
    c: &mut Conclusions,
    program: &ir::Program,
    symbols: &mut Symbols,
) -> Result<(), Diagnostic> {
    let definite = c.literals.len() as u32;
    let mut args = Vec::new();
    let mut hint = 0;
    for rule in program.rules.iter().filter(|r| r.var_names.is_empty()) {
        let body: Vec<&ir::Atom> =
            rule.body.iter().filter_map(|l| if let Lit::Atom(a) = l { Some(a) } else { None }).collect();
        let wildcard = body.iter().any(|a| a.args.contains(&Arg::Wildcard));
        let holds = |c: &Conclusions, a: &ir::Atom, args: &mut Vec<Value>| {
            ground_args(&a.args, &[], args);
            c.literals.find(a.rel, args).is_some_and(|x| x < definite)
        };
        if wildcard || body.len() != rule.body.len() || body.iter().all(|a| holds(c, a, &mut args)) {
            continue;
        }
        let head: Option<Vec<Value>> = rule.head_args.iter().map(|e| eval::evaluate_expr(e, &[], symbols)).collect();
        let head = head.ok_or_else(|| unevaluable(rule))?;
        let mut lits = Vec::with_capacity(body.len());
        for a in &body {
            ground_args(&a.args, &[], &mut args);
            lits.push(c.literals.intern(a.rel, &args, &mut hint));
        }
        let head = c.literals.intern(rule.head, &head, &mut hint);
        c.instances.push(rule.id as u32, RuleKind::Strict, head, lits);
    }
    Ok(())
}

/// Completes the theory once every ground rule is in: each literal's complement, the
/// instances concluding each literal, the state, and, under `.prefer by specificity`, the
/// strict closures.
pub(super) fn finish(c: &mut Conclusions, program: &ir::Program) {
    let n = c.literals.len();
    c.complement = vec![NONE; n];
    let lits = &c.literals;
    for (rel, tuples) in lits.tuples.iter().enumerate() {
        let Some(k) = program.complement(rel) else { continue };
        let mut hint = 0;
        for (i, tuple) in tuples.iter().enumerate() {
            if let Some(a) = lits.find_from(k, tuple, &mut hint) {
                c.complement[lits.first[rel] as usize + i] = a;
            }
        }
    }
    for (i, (rel, tuple)) in lits.extra.iter().enumerate() {
        if let Some(a) = program.complement(*rel).and_then(|k| lits.find(k, tuple)) {
            c.complement[lits.modelled() + i] = a;
        }
    }
    let heads = &c.instances.head;
    c.by_head = Csr::group(n, || heads.iter().enumerate().map(|(i, &h)| (h, i as u32)));
    c.state = vec![[false; 6]; n];
    if program.defeasible.by_specificity {
        specificity_closures(c);
    }
}

/// The strict consequences of the body of every rule instance in a conflict (Poole's
/// specificity): the closure of its premises under the strict rules (facts excluded).
fn specificity_closures(c: &mut Conclusions) {
    let strict_rule = |c: &Conclusions, i: usize| {
        c.instances.kind[i] == RuleKind::Strict && !matches!(c.instances.source[i], FROM_ROW | GIVEN)
    };
    let strict_uses = Csr::group(c.literals.len(), || {
        (0..c.instances.len())
            .filter(|&i| strict_rule(c, i))
            .flat_map(|i| c.instances.body.get(i).iter().map(move |&b| (b, i as u32)))
    });
    for i in 0..c.instances.len() as u32 {
        let head = c.instances.head[i as usize];
        let contested = c.complement_of(head).is_some_and(|k| !c.rules_for(k).is_empty());
        if matches!(c.instances.source[i as usize], FROM_ROW | GIVEN) || !contested {
            continue;
        }
        let body = c.body(i);
        let mut closure: FxHashSet<u32> = body.iter().copied().collect();
        let mut stack: Vec<u32> = body.to_vec();
        while let Some(x) = stack.pop() {
            for &j in strict_uses.get(x as usize) {
                let h = c.instances.head[j as usize];
                if !closure.contains(&h) && c.body(j).iter().all(|b| closure.contains(b)) {
                    closure.insert(h);
                    stack.push(h);
                }
            }
        }
        c.closures.insert(i, closure);
    }
}
