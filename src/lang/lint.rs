//! Warnings about rules that are legal but probably not what the author meant: a variable
//! used once, a relation nobody reads, a relation nothing fills, a rule that can never fire,
//! the same rule written twice, an aggregate's target variable named like the rule's. Computed from a checked program (and the syntax tree, for
//! where each variable occurrence is), only when checking found no errors.

use crate::base::diag::{Code, Diagnostic, Edit, Fix};
use crate::base::source::Span;
use crate::lang::ir::{self, Arg, Expr, Lit, RelId};
use crate::lang::syntax::ast::{self, Item};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Appends the warnings for `program` (checked from `files`) to `diags`, unless `diags`
/// already holds an error: a program with errors is incomplete, and warnings about it
/// would mislead.
pub fn lint(files: &[ast::File], program: &ir::Program, diags: &mut Vec<Diagnostic>) {
    if diags.iter().any(Diagnostic::is_error) {
        return;
    }
    diags.extend(warnings(files, program));
}

/// Every warning, sorted by location.
pub fn warnings(files: &[ast::File], program: &ir::Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for file in files {
        rule_singletons(&file.items, &mut out);
        rule_shadowing(&file.items, &mut out);
    }
    unused_relations(program, &mut out);
    let empty = always_empty(program);
    empty_relations(files, program, &empty, &mut out);
    never_fires(program, &empty, &mut out);
    duplicate_rules(program, &mut out);
    out.sort_by_key(|d| d.primary.as_ref().map(|l| (l.span.file, l.span.start, l.span.end)));
    out
}

// ---- W001: a variable used once ---------------------------------------------------------

/// W001 for every rule among `items`, and inside component bodies (once per rule as
/// written, however often the component is instantiated).
fn rule_singletons(items: &[Item], out: &mut Vec<Diagnostic>) {
    for item in items {
        match item {
            Item::Rule(rule) => singletons(rule, out),
            Item::Comp(comp) => rule_singletons(&comp.items, out),
            _ => {}
        }
    }
}

/// `p(x) :- q(x, y).`: `y` is never used again, so it is either a typo or should be `_`.
/// Counted per disjunct of the body (a `;` makes separate rules), over all heads.
fn singletons(rule: &ast::Rule, out: &mut Vec<Diagnostic>) {
    let Some(body) = &rule.body else { return };
    let mut reported = BTreeSet::new();
    for conj in disjuncts(body) {
        let mut seen: BTreeMap<&str, Vec<Span>> = BTreeMap::new();
        for head in &rule.heads {
            head.args.iter().for_each(|e| expr_vars(e, &mut seen));
        }
        for lit in conj {
            literal_vars(lit, &mut seen);
        }
        for (name, spans) in seen {
            if spans.len() == 1 && !name.starts_with('_') && reported.insert(spans[0]) {
                out.push(
                    Diagnostic::warning(Code::SingletonVariable, format!("variable `{name}` is used only once"))
                        .at(spans[0], "used only once")
                        .with_help(format!(
                            "replace it with `_` if any value will do (or write `_{name}`); otherwise check its spelling"
                        ))
                        .with_fix(Fix::replace("replace with `_`", spans[0], "_"))
                        .with_fix(crate::lang::check::quote_fix(name, spans[0])),
                );
            }
        }
    }
}

/// The body's alternatives as lists of literals (`a, (b; c)` → `[a, b]`, `[a, c]`).
fn disjuncts(body: &ast::Body) -> Vec<Vec<&ast::Literal>> {
    match body {
        ast::Body::Lit(l) => vec![vec![l]],
        ast::Body::Or(parts, _) => parts.iter().flat_map(disjuncts).collect(),
        ast::Body::And(parts, _) => {
            let mut acc: Vec<Vec<&ast::Literal>> = vec![Vec::new()];
            for p in parts {
                let alts = disjuncts(p);
                // Bounded like `check` bounds it; past that, counting is not worth it.
                if acc.len() * alts.len() > 4096 {
                    return Vec::new();
                }
                acc = acc.iter().flat_map(|pre| alts.iter().map(move |a| [pre.as_slice(), a].concat())).collect();
            }
            acc
        }
    }
}

/// Records every occurrence of each variable name, aggregate bodies included.
fn literal_vars<'a>(lit: &'a ast::Literal, seen: &mut BTreeMap<&'a str, Vec<Span>>) {
    lit.for_each_var(true, &mut |id| seen.entry(id.name.as_str()).or_default().push(id.span));
}

fn expr_vars<'a>(e: &'a ast::Expr, seen: &mut BTreeMap<&'a str, Vec<Span>>) {
    e.for_each_var(true, &mut |id| seen.entry(id.name.as_str()).or_default().push(id.span));
}

// ---- W008: an aggregate's target variable named like the rule's ------------------------

fn rule_shadowing(items: &[Item], out: &mut Vec<Diagnostic>) {
    for item in items {
        match item {
            Item::Rule(rule) => shadowing(rule, out),
            Item::Comp(comp) => rule_shadowing(&comp.items, out),
            _ => {}
        }
    }
}

/// `c(n, t) :- b(n, s), t = sum s : { a(n, s) }.`: the target's `s`, bound in the braces, is
/// the aggregate's own (as in Soufflé), not the `s` of `b(n, s)`, which reads like a mistake.
fn shadowing(rule: &ast::Rule, out: &mut Vec<Diagnostic>) {
    let Some(body) = &rule.body else { return };
    for conj in disjuncts(body) {
        let mut outer = BTreeSet::new();
        let mut exprs: Vec<&ast::Expr> = rule.heads.iter().flat_map(|h| &h.args).collect();
        for lit in &conj {
            lit.for_each_var(false, &mut |id| {
                outer.insert(id.name.clone());
            });
            exprs.extend(literal_exprs(lit));
        }
        for head in &rule.heads {
            for e in &head.args {
                e.for_each_var(false, &mut |id| {
                    outer.insert(id.name.clone());
                });
            }
        }
        for e in exprs {
            aggregates_shadowing(e, &outer, out);
        }
    }
}

/// The expressions a literal holds.
fn literal_exprs(lit: &ast::Literal) -> Vec<&ast::Expr> {
    match lit {
        ast::Literal::Atom(a) | ast::Literal::Negated(a, _) => a.args.iter().collect(),
        ast::Literal::Compare { lhs, rhs, .. } => vec![lhs, rhs],
        ast::Literal::Predicate { args, .. } => args.iter().collect(),
        ast::Literal::Bool(..) => Vec::new(),
    }
}

/// W008 for each aggregate in `e` (and those nested in it) whose target names a variable of
/// `outer` (the scopes around it) that its own body binds.
fn aggregates_shadowing(e: &ast::Expr, outer: &BTreeSet<String>, out: &mut Vec<Diagnostic>) {
    match e {
        ast::Expr::Aggregate { func, target, body, .. } => {
            let Some(conj) = disjuncts(body).into_iter().next() else { return };
            if let Some(t) = target {
                let own = crate::lang::check::target_names(t, &crate::lang::check::grounded_names(&conj));
                let mut reported = BTreeSet::new();
                t.for_each_var(false, &mut |id| {
                    if own.contains(&id.name) && outer.contains(&id.name) && reported.insert(id.name.clone()) {
                        out.push(shadow_warning(func.keyword(), &id.name, id.span));
                    }
                });
            }
            let mut inner = outer.clone();
            for lit in &conj {
                lit.for_each_var(false, &mut |id| {
                    inner.insert(id.name.clone());
                });
            }
            for x in conj.iter().flat_map(|l| literal_exprs(l)).chain(target.as_deref()) {
                aggregates_shadowing(x, &inner, out);
            }
        }
        ast::Expr::Unary { arg, .. } | ast::Expr::Cast { arg, .. } => aggregates_shadowing(arg, outer, out),
        ast::Expr::Binary { lhs, rhs, .. } => {
            aggregates_shadowing(lhs, outer, out);
            aggregates_shadowing(rhs, outer, out);
        }
        ast::Expr::Call { args, .. } => args.iter().for_each(|a| aggregates_shadowing(a, outer, out)),
        _ => {}
    }
}

fn shadow_warning(keyword: &str, name: &str, at: Span) -> Diagnostic {
    Diagnostic::warning(
        Code::AggregateShadows,
        format!("`{name}` in this `{keyword}`'s target is the aggregate's own, not the rule's `{name}`"),
    )
    .at(at, format!("the `{keyword}` ranges over every `{name}` its braces bind"))
    .with_help(format!(
        "as in Soufflé, a target variable bound inside the braces is renamed apart from the rule's; \
         rename one of the two if they are different things, or leave `{name}` out of the braces to use the rule's"
    ))
}

// ---- W002: a relation declared but never used -------------------------------------------

fn unused_relations(program: &ir::Program, out: &mut Vec<Diagnostic>) {
    let mut read_by_others = vec![false; program.relations.len()];
    for rule in &program.rules {
        let mut r = Vec::new();
        ir::body_reads(&rule.body, false, &mut r);
        for (rel, _, _) in r {
            if rel != rule.head {
                read_by_others[rel] = true;
            }
        }
    }
    let shown: BTreeSet<RelId> = program.shown_relations().into_iter().collect();
    for (id, rel) in program.relations.iter().enumerate() {
        let Some(decl) = rel.decl else { continue };
        if read_by_others[id] || shown.contains(&id) || rel.printsize {
            continue;
        }
        // `~rel` shares `rel`'s declaration: a complement that attacks (or is attacked by)
        // a used relation is used too.
        if program.complement(id).is_some_and(|c| read_by_others[c] || shown.contains(&c)) {
            continue;
        }
        let what = if program.is_derived(id) { "derived" } else { "declared" };
        out.push(
            Diagnostic::warning(Code::UnusedRelation, format!("relation `{}` is {what} but never used", rel.name))
                .at(decl, "no rule reads it, and it is not an output")
                .with_help(format!("remove it, read it in a rule, or mark it `.output {}`", rel.name)),
        );
    }
}

// ---- W003 and W004: relations that are always empty, rules that never fire -------------

/// Whether a relation gets tuples from outside the rules: facts, `.input`, statement tables.
fn has_data(program: &ir::Program, rel: RelId) -> bool {
    let r = &program.relations[rel];
    !r.inputs.is_empty()
        || r.from_statements
        || program.facts.iter().any(|f| f.rel == rel)
        || program.rules.iter().any(|x| x.head == rel && x.is_fact)
}

/// The positive body atom that keeps a rule from ever firing, if any: a top-level atom over
/// an always-empty relation, or a `min`/`max` over one (which has no value on nothing).
fn blocking_atom(rule: &ir::Rule, empty: &[bool]) -> Option<(RelId, Span)> {
    for lit in &rule.body {
        match lit {
            Lit::Atom(a) if empty[a.rel] => return Some((a.rel, a.span)),
            Lit::Aggregate { func: ast::AggregateFunc::Min | ast::AggregateFunc::Max, body, .. } => {
                let mut r = Vec::new();
                ir::body_reads(body, false, &mut r);
                if let Some(&(rel, _, span)) = r.iter().find(|(rel, through, _)| !*through && empty[*rel]) {
                    return Some((rel, span));
                }
            }
            _ => {}
        }
    }
    None
}

/// Relations that can never hold a tuple: no data and no rule that can fire, to a fixpoint.
fn always_empty(program: &ir::Program) -> Vec<bool> {
    let n = program.relations.len();
    let mut empty: Vec<bool> = (0..n).map(|r| !has_data(program, r)).collect();
    // Start from "every data-less relation is empty" and remove those some rule can fill:
    // the greatest fixpoint, so a recursive relation with no base case is empty too.
    loop {
        let mut changed = false;
        for rule in &program.rules {
            if empty[rule.head] && blocking_atom(rule, &empty).is_none() {
                empty[rule.head] = false;
                changed = true;
            }
        }
        if !changed {
            return empty;
        }
    }
}

/// W003: a relation read by a rule that nothing at all (no data, no rule) gives tuples.
fn empty_relations(files: &[ast::File], program: &ir::Program, empty: &[bool], out: &mut Vec<Diagnostic>) {
    let mut first_read: BTreeMap<RelId, Span> = BTreeMap::new();
    for rule in &program.rules {
        let mut r = Vec::new();
        ir::body_reads(&rule.body, false, &mut r);
        for (rel, _, span) in r {
            let e = first_read.entry(rel).or_insert(span);
            *e = (*e).min(span);
        }
    }
    for (&rel, &span) in &first_read {
        let r = &program.relations[rel];
        if !empty[rel] || program.rules.iter().any(|x| x.head == rel) {
            continue;
        }
        let mut d = Diagnostic::warning(Code::EmptyRelation, format!("relation `{}` is always empty", r.name))
            .at(r.decl.unwrap_or(span), "no facts, rules or `.input` give it tuples");
        if let Some(name) = r.decl {
            d = d.with_secondary(span, "read here");
            // The fix puts `.input` on the line after the whole `.decl`.
            let decl = files.iter().flat_map(|f| &f.items).find_map(|i| match i {
                Item::Decl(decl) if decl.name.span == name => Some(decl.span),
                _ => None,
            });
            if let Some(decl) = decl {
                let at = Span { start: decl.end, ..decl };
                d = d.with_fix(Fix {
                    title: format!("read `{}` from the facts directory (`.input`)", r.name),
                    edits: vec![Edit { span: at, text: format!("\n.input {}", r.name) }],
                });
            }
        }
        out.push(d.with_help(format!(
            "add `.input {}` to read it from the facts directory, write facts, or a rule deriving it",
            r.name
        )));
    }
}

/// W004: a rule with a positive atom over an always-empty relation derives nothing.
fn never_fires(program: &ir::Program, empty: &[bool], out: &mut Vec<Diagnostic>) {
    let mut reported = BTreeSet::new();
    for rule in &program.rules {
        let Some((rel, span)) = blocking_atom(rule, empty) else { continue };
        if !reported.insert((rule.head_span, span)) {
            continue;
        }
        let name = &program.relations[rel].name;
        let why = if program.rules.iter().any(|x| x.head == rel) {
            "none of its rules can fire"
        } else {
            "nothing gives it tuples"
        };
        out.push(
            Diagnostic::warning(Code::NeverFires, format!("this rule can never fire: `{name}` is always empty"))
                .at(span, format!("`{name}` is always empty: {why}"))
                .with_secondary(rule.head_span, "so this never derives anything"),
        );
    }
}

// ---- W005: the same rule twice ----------------------------------------------------------

/// `p(x) :- q(x, y).` and `p(a) :- q(a, b).` are the same rule: compare them with the
/// variables renamed in order of first appearance and locations left out.
fn duplicate_rules(program: &ir::Program, out: &mut Vec<Diagnostic>) {
    let mut first: HashMap<String, &ir::Rule> = HashMap::new();
    for rule in program.rules.iter().filter(|r| !r.is_fact) {
        let key = canonical(rule);
        match first.get(&key) {
            Some(earlier) => out.push(
                Diagnostic::warning(
                    Code::DuplicateRule,
                    format!("duplicate rule for `{}`", program.relations[rule.head].name),
                )
                .at(rule.span, "the same as an earlier rule, up to variable names")
                .with_secondary(earlier.span, "first written here")
                .with_help("remove one of them"),
            ),
            None => {
                first.insert(key, rule);
            }
        }
    }
}

/// A rule's text with variables numbered by first appearance and no spans.
fn canonical(rule: &ir::Rule) -> String {
    let mut names: HashMap<usize, usize> = HashMap::new();
    let mut s = format!("{}(", rule.head);
    for e in &rule.head_args {
        canon_expr(e, &mut names, &mut s);
        s.push(',');
    }
    s.push_str(") :- ");
    canon_body(&rule.body, &mut names, &mut s);
    s
}

fn canon_var(v: usize, names: &mut HashMap<usize, usize>, s: &mut String) {
    let n = names.len();
    let id = *names.entry(v).or_insert(n);
    s.push_str(&format!("v{id}"));
}

fn canon_expr(e: &Expr, names: &mut HashMap<usize, usize>, s: &mut String) {
    match e {
        Expr::Var(v) => canon_var(*v, names, s),
        Expr::Const(v, t) => s.push_str(&format!("{t:?}:{v}")),
        Expr::Unary(op, t, a) => {
            s.push_str(&format!("{op:?}:{t:?}("));
            canon_expr(a, names, s);
            s.push(')');
        }
        Expr::Cast(a, t) => {
            s.push_str(&format!("as:{t:?}("));
            canon_expr(a, names, s);
            s.push(')');
        }
        Expr::Binary(op, t, a, b) => {
            s.push_str(&format!("{op:?}:{t:?}("));
            canon_expr(a, names, s);
            s.push(',');
            canon_expr(b, names, s);
            s.push(')');
        }
        Expr::Record(t, args) => {
            s.push_str(&format!("record{t}["));
            for a in args {
                canon_expr(a, names, s);
                s.push(',');
            }
            s.push(']');
        }
        Expr::Field { record, index, .. } => {
            s.push_str(&format!("field{index}("));
            canon_expr(record, names, s);
            s.push(')');
        }
        Expr::Call { func, args, .. } => {
            s.push_str(&format!("{}(", func.def().signature()));
            for a in args {
                canon_expr(a, names, s);
                s.push(',');
            }
            s.push(')');
        }
    }
}

fn canon_atom(a: &ir::Atom, names: &mut HashMap<usize, usize>, s: &mut String) {
    s.push_str(&format!("{}(", a.rel));
    for arg in &a.args {
        match arg {
            Arg::Var(v) => canon_var(*v, names, s),
            Arg::Const(c) => s.push_str(&c.to_string()),
            Arg::Wildcard => s.push('_'),
        }
        s.push(',');
    }
    s.push(')');
}

fn canon_body(body: &[Lit], names: &mut HashMap<usize, usize>, s: &mut String) {
    for lit in body {
        match lit {
            Lit::Atom(a) => canon_atom(a, names, s),
            Lit::Negated(a) => {
                s.push('!');
                canon_atom(a, names, s);
            }
            Lit::Filter { op, lhs, rhs, .. } => {
                canon_expr(lhs, names, s);
                s.push_str(&format!(" {op:?} "));
                canon_expr(rhs, names, s);
            }
            Lit::Assign { var, expr, .. } => {
                canon_var(*var, names, s);
                s.push_str(" := ");
                canon_expr(expr, names, s);
            }
            Lit::Range { var, from, to, step, .. } => {
                canon_var(*var, names, s);
                s.push_str(" in range(");
                canon_expr(from, names, s);
                s.push(',');
                canon_expr(to, names, s);
                if let Some(step) = step {
                    s.push(',');
                    canon_expr(step, names, s);
                }
                s.push(')');
            }
            Lit::Aggregate { var, func, target, body, .. } => {
                canon_var(*var, names, s);
                s.push_str(&format!(" := {func:?} "));
                if let Some(t) = target {
                    canon_expr(t, names, s);
                }
                s.push_str(" : { ");
                canon_body(body, names, s);
                s.push('}');
            }
        }
        s.push_str(", ");
    }
}
