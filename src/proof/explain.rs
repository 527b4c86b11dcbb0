//! Showing proofs to people and programs: claims as typed by a reviewer, proof trees as
//! text, proof DAGs as JSON, one-line traces for CSV, and why-not reports.

use crate::base::diag::{Code, Diagnostic, did_you_mean};
use crate::base::source::SourceMap;
use crate::base::value::{Tuples, Type, Value, from_number, to_number};
use crate::engine::eval;
use crate::lang::ir::{self, Lit, RelId};
use crate::lang::syntax::{self, ast};
use crate::proof::provenance::{
    Explainer, NodeId, NodeKind, Origin, Side, atom_text, bind_head, literal, matches, pattern_text,
};
use serde_json::{Map, Value as Json, json};
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// One argument of a claim or query pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimArg {
    /// A constant that occurs in some fact or rule.
    Value(Value),
    /// A constant that occurs in no fact or rule: nothing can match it.
    Unknown(String),
    /// A variable: matches anything, the same value wherever it repeats.
    Var(String),
    /// `_`: matches anything.
    Wildcard,
}

/// A claim or query pattern: a relation with constant, variable and wildcard arguments.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The relation.
    pub rel: RelId,
    /// One argument per column.
    pub args: Vec<ClaimArg>,
    /// The claim as written.
    pub text: String,
}

impl Claim {
    /// The tuple, when every argument is a known constant.
    pub fn tuple(&self) -> Option<Vec<Value>> {
        self.args.iter().map(|a| if let ClaimArg::Value(v) = a { Some(*v) } else { None }).collect()
    }

    /// The rows of `tuples` (the claim's relation) that match the claim: constants equal,
    /// and a variable repeated in the pattern bound to one value.
    pub fn matching_rows(&self, tuples: &Tuples) -> Vec<usize> {
        let Some(pattern) = self.pattern() else { return Vec::new() };
        let vars: Vec<(usize, &str)> = self
            .args
            .iter()
            .enumerate()
            .filter_map(|(i, a)| if let ClaimArg::Var(n) = a { Some((i, n.as_str())) } else { None })
            .collect();
        crate::proof::provenance::matches(tuples, &pattern)
            .filter(|&i| {
                let t = tuples.get(i);
                vars.iter().all(|&(p, n)| vars.iter().all(|&(q, m)| n != m || t[p] == t[q]))
            })
            .collect()
    }

    /// The pattern to match tuples against (`None` for variables and wildcards).
    pub fn pattern(&self) -> Option<Vec<Option<Value>>> {
        self.args
            .iter()
            .map(|a| match a {
                ClaimArg::Value(v) => Some(Some(*v)),
                ClaimArg::Unknown(_) => None,
                ClaimArg::Var(_) | ClaimArg::Wildcard => Some(None),
            })
            .collect()
    }
}

/// Parses `aligned("Egypt", x)` against the program. Constants are looked up, never interned.
pub fn parse_claim(
    text: &str,
    sources: &mut SourceMap,
    program: &ir::Program,
    symbols: &crate::base::value::Symbols,
) -> Result<Claim, Vec<Diagnostic>> {
    let trimmed = text.trim().trim_end_matches('.');
    let source = format!("{trimmed}.");
    let file = sources.add("<claim>", source.clone());
    let (ast, errors) = syntax::parse_file(file, &source);
    if !errors.is_empty() {
        return Err(errors);
    }
    let atom = match ast.items.as_slice() {
        [ast::Item::Rule(ast::Rule { heads, body: None, .. })] if heads.len() == 1 => &heads[0],
        _ => {
            return Err(vec![Diagnostic::error(
                Code::Syntax,
                format!("expected one atom such as `aligned(\"Egypt\", x)`, got `{trimmed}`"),
            )]);
        }
    };
    resolve_claim(atom, trimmed.to_string(), program, symbols)
}

/// Resolves a parsed atom against the program: its relation, arity and constant types.
pub fn resolve_claim(
    atom: &ast::Atom,
    text: String,
    program: &ir::Program,
    symbols: &crate::base::value::Symbols,
) -> Result<Claim, Vec<Diagnostic>> {
    let Some(rel) = program.relation_id(&atom.relation.name) else {
        let mut d = Diagnostic::error(Code::UnknownRelation, format!("unknown relation `{}`", atom.relation.name))
            .at(atom.relation.span, "no such relation");
        if let Some(s) = did_you_mean(&atom.relation.name, program.relations.iter().map(|r| r.name.as_str())) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        return Err(vec![d]);
    };
    let decl = &program.relations[rel];
    if atom.args.len() != decl.arity() {
        return Err(vec![
            Diagnostic::error(
                Code::ArityMismatch,
                format!("`{}` has {} columns, but the claim gives {}", decl.name, decl.arity(), atom.args.len()),
            )
            .at(atom.span, "this claim"),
        ]);
    }
    let mut args = Vec::new();
    for (arg, &ty) in atom.args.iter().zip(&decl.types) {
        let mismatch = |what: &str| {
            vec![
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("a {what} where `{}` has a {} column", decl.name, ty.name()),
                )
                .at(arg.span(), format!("expected a {}", ty.name())),
            ]
        };
        args.push(match arg {
            ast::Expr::Var(name) => ClaimArg::Var(name.name.clone()),
            ast::Expr::Wildcard(_) => ClaimArg::Wildcard,
            ast::Expr::Number(n, _) if ty == Type::Number => ClaimArg::Value(from_number(*n)),
            ast::Expr::Str(s, _) if ty == Type::Symbol => match symbols.get(s) {
                Some(v) => ClaimArg::Value(v),
                None => ClaimArg::Unknown(s.clone()),
            },
            ast::Expr::Number(..) => return Err(mismatch("number")),
            ast::Expr::Str(..) => return Err(mismatch("symbol")),
            other => {
                return Err(vec![
                    Diagnostic::error(Code::Unsupported, "a claim takes constants, variables and `_` only")
                        .at(other.span(), "not allowed here"),
                ]);
            }
        });
    }
    Ok(Claim { rel, args, text })
}

/// Notes on constants of a claim that occur nowhere, with the closest known symbol.
pub fn unknown_constants(claim: &Claim, symbols: &crate::base::value::Symbols) -> Vec<String> {
    let mut out = Vec::new();
    for a in &claim.args {
        if let ClaimArg::Unknown(s) = a {
            let mut note = format!("\"{s}\" does not occur in any fact or rule");
            if let Some(best) = did_you_mean(s, symbols.iter().map(|(_, t)| t)) {
                let _ = write!(note, "; did you mean \"{best}\"?");
            }
            out.push(note);
        }
    }
    out
}

fn rule_text(ex: &Explainer, rule: &ir::Rule) -> String {
    ex.sources.snippet(rule.span).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn value_text(v: Value, ty: Type, ex: &Explainer) -> String {
    match ty {
        Type::Number => to_number(v).to_string(),
        Type::Symbol => ex.symbols.resolve(v).to_string(),
    }
}

/// `x = "Egypt", y = "Tobruk"` for the named variables of a rule instance.
fn bindings_text(ex: &Explainer, rule: &ir::Rule, env: &[Value]) -> String {
    named_vars(rule)
        .map(|v| format!("{} = {}", rule.var_names[v], literal(env[v], rule.var_types[v], ex.symbols)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn named_vars(rule: &ir::Rule) -> impl Iterator<Item = usize> + '_ {
    (0..rule.num_vars()).filter(|&v| !rule.var_names[v].starts_with('$'))
}

/// Fills a `@display` template with the instance's values.
fn display_text(ex: &Explainer, rule: &ir::Rule, env: &[Value]) -> Option<String> {
    let mut text = rule.display.clone()?;
    for v in named_vars(rule) {
        text = text.replace(&format!("{{{}}}", rule.var_names[v]), &value_text(env[v], rule.var_types[v], ex));
    }
    Some(text)
}

/// Lines describing where a fact was stated.
fn origin_lines(ex: &Explainer, origin: &Origin) -> Vec<String> {
    match origin {
        Origin::RuleFile(span) => vec![format!("stated in {}", ex.sources.file_line(*span))],
        Origin::Row(id) => {
            let mut lines = vec![format!("stated in {}", ex.facts.location(*id, ex.sources))];
            let mut attribution = Vec::new();
            for (column, value) in ex.facts.metadata(*id, ex.sources) {
                if value.is_empty() {
                    continue;
                }
                match column.to_ascii_lowercase().as_str() {
                    "quote" => lines.push(format!("quote: \u{201c}{value}\u{201d}")),
                    _ => attribution.push(format!("{column}: {value}")),
                }
            }
            if !attribution.is_empty() {
                lines.insert(1, attribution.join(", "));
            }
            lines
        }
    }
}

/// Counts how often each node is reached from `root`, to label shared subproofs.
fn reference_counts(ex: &Explainer, root: NodeId) -> HashMap<NodeId, usize> {
    let mut counts = HashMap::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        let c = counts.entry(n).or_insert(0);
        *c += 1;
        if *c == 1
            && let NodeKind::Derived { premises, .. } = &ex.nodes[n].kind
        {
            stack.extend(premises.iter().rev());
        }
    }
    counts
}

/// A proof as an indented tree. Subproofs deeper than `depth` are cut; a subproof used
/// twice is printed once and referred to by its label afterwards.
pub fn render_tree(ex: &Explainer, root: NodeId, depth: Option<usize>) -> String {
    let counts = reference_counts(ex, root);
    let mut labels: HashMap<NodeId, usize> = HashMap::new();
    let mut out = String::new();
    tree_node(ex, root, "", "", 0, depth, &counts, &mut labels, &mut out);
    out
}

#[allow(clippy::too_many_arguments)]
fn tree_node(
    ex: &Explainer,
    n: NodeId,
    first: &str,
    rest: &str,
    level: usize,
    depth: Option<usize>,
    counts: &HashMap<NodeId, usize>,
    labels: &mut HashMap<NodeId, usize>,
    out: &mut String,
) {
    let node = &ex.nodes[n];
    let conclusion = atom_text(ex.program, node.rel, &node.tuple, ex.symbols);
    if let Some(label) = labels.get(&n) {
        let _ = writeln!(out, "{first}{conclusion}  (proved above, [{label}])");
        return;
    }
    let shared = counts.get(&n).copied().unwrap_or(0) > 1 && matches!(node.kind, NodeKind::Derived { .. });
    let label = if shared {
        let l = labels.len() + 1;
        labels.insert(n, l);
        format!("  [{l}]")
    } else {
        String::new()
    };
    match &node.kind {
        NodeKind::Fact { origins } => {
            let _ = writeln!(out, "{first}{conclusion}");
            let lines: Vec<String> = if origins.is_empty() {
                vec!["given as input".into()]
            } else {
                origins.iter().flat_map(|o| origin_lines(ex, o)).collect()
            };
            for line in lines {
                let _ = writeln!(out, "{rest}   {line}");
            }
        }
        NodeKind::Derived { rule, env, premises, side } => {
            let rule = &ex.program.rules[*rule];
            if depth.is_some_and(|d| level >= d) {
                let _ = writeln!(out, "{first}{conclusion}  (proof not shown below depth {})", depth.unwrap_or(0));
                return;
            }
            let _ = writeln!(out, "{first}{conclusion}{label}");
            // Details hang under the conclusion, with the branch line running past them.
            let detail =
                if premises.is_empty() && side.is_empty() { format!("{rest}   ") } else { format!("{rest}│  ") };
            let _ = writeln!(out, "{detail}by {}  [{}]", rule_text(ex, rule), ex.sources.file_line(rule.span));
            if let Some(d) = display_text(ex, rule, env) {
                let _ = writeln!(out, "{detail}\u{201c}{d}\u{201d}");
            }
            let bindings = bindings_text(ex, rule, env);
            if !bindings.is_empty() {
                let _ = writeln!(out, "{detail}with {bindings}");
            }
            let total = premises.len() + side.len();
            for (i, &p) in premises.iter().enumerate() {
                let last = i + 1 == total;
                let (f, r) = if last { ("└─ ", "   ") } else { ("├─ ", "│  ") };
                tree_node(ex, p, &format!("{rest}{f}"), &format!("{rest}{r}"), level + 1, depth, counts, labels, out);
            }
            for (i, s) in side.iter().enumerate() {
                let last = premises.len() + i + 1 == total;
                let f = if last { "└─ " } else { "├─ " };
                let _ = writeln!(out, "{rest}{f}{}", side_text(ex, s));
            }
        }
    }
}

/// A body condition of a proof step: an absent atom, a comparison, an aggregate's value.
pub fn side_text(ex: &Explainer, s: &Side) -> String {
    match s {
        Side::Absent { rel, pattern } => format!("no proof of {}", pattern_text(ex.program, *rel, pattern, ex.symbols)),
        Side::Holds { text } => format!("holds: {text}"),
        Side::Aggregate { text, value } => format!("computed: {text} = {value}"),
    }
}

/// A proof as JSON: the conclusion, and the DAG of nodes reachable from it, each listed
/// once (ids are local to this proof, in depth-first order).
pub fn proof_json(ex: &Explainer, root: NodeId) -> Json {
    let (order, index) = number_nodes(ex, [root]);
    let nodes: Vec<Json> = order.iter().map(|&n| node_json(ex, n, &index)).collect();
    let root_node = &ex.nodes[root];
    json!({
        "conclusion": atom_text(ex.program, root_node.rel, &root_node.tuple, ex.symbols),
        "relation": ex.program.relations[root_node.rel].name,
        "tuple": tuple_json(ex, root_node.rel, &root_node.tuple),
        "height": root_node.height,
        "root": 0,
        "nodes": nodes,
    })
}

/// The nodes reachable from `roots`, numbered depth first (premises in order), each once
/// however many proofs share it: the order and each node's number.
pub fn number_nodes(ex: &Explainer, roots: impl IntoIterator<Item = NodeId>) -> (Vec<NodeId>, HashMap<NodeId, usize>) {
    let mut order = Vec::new();
    let mut index: HashMap<NodeId, usize> = HashMap::new();
    for root in roots {
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if index.contains_key(&n) {
                continue;
            }
            index.insert(n, order.len());
            order.push(n);
            if let NodeKind::Derived { premises, .. } = &ex.nodes[n].kind {
                stack.extend(premises.iter().rev());
            }
        }
    }
    (order, index)
}

fn tuple_json(ex: &Explainer, rel: RelId, tuple: &[Value]) -> Json {
    Json::Array(
        tuple
            .iter()
            .zip(&ex.program.relations[rel].types)
            .map(|(&v, &t)| crate::base::value::value_json(v, t, ex.symbols))
            .collect(),
    )
}

/// One proof node as JSON (the `nodes` entries of [`proof_json`]); `index` numbers the nodes
/// of the DAG being written, so premises can refer to each other.
pub fn node_json(ex: &Explainer, n: NodeId, index: &HashMap<NodeId, usize>) -> Json {
    let node = &ex.nodes[n];
    let mut obj = Map::new();
    obj.insert("id".into(), Json::from(index[&n]));
    obj.insert("conclusion".into(), Json::from(atom_text(ex.program, node.rel, &node.tuple, ex.symbols)));
    obj.insert("relation".into(), Json::from(ex.program.relations[node.rel].name.clone()));
    obj.insert("tuple".into(), tuple_json(ex, node.rel, &node.tuple));
    obj.insert("height".into(), Json::from(node.height));
    match &node.kind {
        NodeKind::Fact { origins } => {
            obj.insert("kind".into(), Json::from("fact"));
            let sources: Vec<Json> = origins
                .iter()
                .map(|o| match o {
                    Origin::RuleFile(span) => {
                        let (line, _) = ex.sources.get(span.file).line_col(span.start as usize);
                        json!({"file": ex.sources.get(span.file).name, "line": line, "in_rules": true})
                    }
                    Origin::Row(id) => {
                        let table = ex.facts.table_of(*id);
                        let metadata: Map<String, Json> =
                            ex.facts.metadata(*id, ex.sources).into_iter().map(|(k, v)| (k, Json::from(v))).collect();
                        json!({
                            "file": ex.sources.get(table.file).name,
                            "line": ex.facts.origin(*id).line,
                            "metadata": metadata,
                        })
                    }
                })
                .collect();
            obj.insert("sources".into(), Json::Array(sources));
        }
        NodeKind::Derived { rule, env, premises, side } => {
            let r = &ex.program.rules[*rule];
            let (line, _) = ex.sources.get(r.span.file).line_col(r.span.start as usize);
            obj.insert("kind".into(), Json::from("derived"));
            let mut rule_obj = json!({
                "text": rule_text(ex, r),
                "file": ex.sources.get(r.span.file).name,
                "line": line,
            });
            if let Some(d) = display_text(ex, r, env) {
                rule_obj["display"] = Json::from(d);
            }
            obj.insert("rule".into(), rule_obj);
            let bindings: Map<String, Json> = named_vars(r)
                .map(|v| (r.var_names[v].clone(), crate::base::value::value_json(env[v], r.var_types[v], ex.symbols)))
                .collect();
            obj.insert("bindings".into(), Json::Object(bindings));
            obj.insert("premises".into(), Json::Array(premises.iter().map(|p| Json::from(index[p])).collect()));
            let conditions: Vec<Json> = side.iter().map(|s| Json::from(side_text(ex, s))).collect();
            obj.insert("conditions".into(), Json::Array(conditions));
        }
    }
    Json::Object(obj)
}

/// A one-line trace for a CSV column: `rules/a.dl:12[backs(...)@facts/s.csv:3 relies_on(...)@...]`.
pub fn compact_trace(ex: &Explainer, n: NodeId) -> String {
    let mut out = String::new();
    trace(ex, n, &mut out, &mut HashSet::new());
    out
}

fn trace(ex: &Explainer, n: NodeId, out: &mut String, seen: &mut HashSet<NodeId>) {
    let node = &ex.nodes[n];
    match &node.kind {
        NodeKind::Fact { origins } => {
            out.push_str(&atom_text(ex.program, node.rel, &node.tuple, ex.symbols));
            if let Some(o) = origins.first() {
                out.push('@');
                out.push_str(&match o {
                    Origin::Row(id) => ex.facts.location(*id, ex.sources),
                    Origin::RuleFile(span) => ex.sources.file_line(*span),
                });
            }
        }
        NodeKind::Derived { rule, premises, .. } => {
            out.push_str(&atom_text(ex.program, node.rel, &node.tuple, ex.symbols));
            if !seen.insert(n) {
                return;
            }
            let _ = write!(out, " <= {}[", ex.sources.file_line(ex.program.rules[*rule].span));
            for (i, &p) in premises.iter().enumerate() {
                if i > 0 {
                    out.push_str("; ");
                }
                trace(ex, p, out, seen);
            }
            out.push(']');
        }
    }
}

/// Why a claim does not hold: for every rule that could derive it, how far its body gets.
pub fn why_not(ex: &mut Explainer, claim: &Claim) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "why not {}?", claim.text);
    for note in unknown_constants(claim, ex.symbols) {
        let _ = writeln!(out, "  note: {note}");
    }
    if let Some(tuple) = claim.tuple()
        && let Some(root) = ex.explain(claim.rel, &tuple)
    {
        let _ = writeln!(out, "it holds:");
        out.push_str(&render_tree(ex, root, Some(3)));
        return out;
    }
    let rel = &ex.program.relations[claim.rel];
    let program = ex.program;
    let rules: Vec<&ir::Rule> = program.rules.iter().filter(|r| r.head == claim.rel).collect();
    if rules.is_empty() {
        let _ =
            writeln!(out, "`{}` has no rules: it holds only what the facts state, and no fact states this.", rel.name);
        return out;
    }
    let _ = writeln!(out, "no rule derives it:");
    let Some(tuple) = claim.tuple() else {
        let _ = writeln!(out, "  (a constant of the claim occurs nowhere, so no tuple can contain it)");
        return out;
    };
    for rule in rules {
        let _ = writeln!(out, "\n  rule {}  [{}]", rule_text(ex, rule), ex.sources.file_line(rule.span));
        let _ = writeln!(out, "    {}", rule_progress(ex, rule, &tuple));
    }
    out
}

/// How far one rule's body gets towards the claimed tuple.
fn rule_progress(ex: &mut Explainer, rule: &ir::Rule, tuple: &[Value]) -> String {
    const MAX_BINDINGS: usize = 10_000;
    let mut env = vec![0; rule.num_vars()];
    let mut bound = vec![false; rule.num_vars()];
    if !bind_head(rule, tuple, &mut env, &mut bound) {
        return "its head cannot produce this tuple (a constant in the head differs)".into();
    }
    let mut states = vec![(env, bound)];
    for lit in &rule.body {
        let mut next = Vec::new();
        let mut blocked_by: Option<(RelId, usize)> = None;
        for (env, bound) in &states {
            match lit {
                Lit::Atom(a) => {
                    let pattern = pattern_of(a, env, bound);
                    for i in matches(&ex.model.relations[a.rel], &pattern) {
                        let t = ex.model.relations[a.rel].get(i);
                        let (mut e, mut b) = (env.clone(), bound.clone());
                        let ok = a.args.iter().zip(t).all(|(arg, &v)| match *arg {
                            ir::Arg::Var(x) if b[x] => e[x] == v,
                            ir::Arg::Var(x) => {
                                e[x] = v;
                                b[x] = true;
                                true
                            }
                            _ => true,
                        });
                        if ok && next.len() < MAX_BINDINGS {
                            next.push((e, b));
                        }
                    }
                }
                Lit::Negated(a) => {
                    let pattern = pattern_of(a, env, bound);
                    match ex.any_match(a.rel, &pattern) {
                        Some(i) => blocked_by = blocked_by.or(Some((a.rel, i))),
                        None => next.push((env.clone(), bound.clone())),
                    }
                }
                Lit::Filter { op, lhs, rhs, ty, .. } => {
                    let l = eval::evaluate_expr(lhs, env, ex.symbols);
                    let r = eval::evaluate_expr(rhs, env, ex.symbols);
                    if let (Some(l), Some(r)) = (l, r)
                        && eval::compare(*op, *ty, l, r, ex.symbols)
                    {
                        next.push((env.clone(), bound.clone()));
                    }
                }
                Lit::Assign { var, expr, .. } => {
                    if let Some(v) = eval::evaluate_expr(expr, env, ex.symbols)
                        && (!bound[*var] || env[*var] == v)
                    {
                        let (mut e, mut b) = (env.clone(), bound.clone());
                        e[*var] = v;
                        b[*var] = true;
                        next.push((e, b));
                    }
                }
                Lit::Range { .. } | Lit::Aggregate { .. } => {
                    // Enumerate through the explainer's search, one literal at a time.
                    let (mut e, mut b) = (env.clone(), bound.clone());
                    let single = std::slice::from_ref(lit);
                    let mut found = Vec::new();
                    ex.enumerate(single, &mut e, &mut b, &mut |env2| {
                        found.push(env2.to_vec());
                        found.len() < MAX_BINDINGS
                    });
                    let var = match lit {
                        Lit::Range { var, .. } | Lit::Aggregate { var, .. } => *var,
                        _ => unreachable!(),
                    };
                    for e2 in found {
                        let mut b2 = bound.clone();
                        b2[var] = true;
                        next.push((e2, b2));
                    }
                }
            }
        }
        if next.is_empty() {
            let (env, bound) = &states[0];
            let reached = if states.len() == 1 {
                let b = bound_text(ex, rule, env, bound);
                if b.is_empty() { String::new() } else { format!(" (with {b})") }
            } else {
                format!(" (for any of the {} bindings reached)", states.len())
            };
            return match lit {
                Lit::Atom(a) => {
                    format!(
                        "fails at {}: no matching tuple{reached}",
                        pattern_text(ex.program, a.rel, &pattern_of(a, env, bound), ex.symbols)
                    )
                }
                Lit::Negated(a) => {
                    let (rel, i) = blocked_by.expect("a negation fails only when a tuple blocks it");
                    let blocker = ex.model.relations[rel].get(i).to_vec();
                    let mut s = format!(
                        "blocked by {}: `!{}` fails because it holds{reached}",
                        atom_text(ex.program, rel, &blocker, ex.symbols),
                        pattern_text(ex.program, a.rel, &pattern_of(a, env, bound), ex.symbols)
                    );
                    if let Some(proof) = ex.explain(rel, &blocker) {
                        s.push('\n');
                        for line in render_tree(ex, proof, Some(2)).lines() {
                            let _ = writeln!(s, "      {line}");
                        }
                    }
                    s.trim_end().to_string()
                }
                Lit::Filter { span, .. } => {
                    format!("fails at condition `{}`{reached}", ex.sources.snippet(*span))
                }
                Lit::Assign { span, .. } | Lit::Range { span, .. } | Lit::Aggregate { span, .. } => {
                    format!("fails at `{}`{reached}", ex.sources.snippet(*span))
                }
            };
        }
        states = next;
    }
    "its body holds, but the head computes a different tuple".into()
}

fn pattern_of(a: &ir::Atom, env: &[Value], bound: &[bool]) -> Vec<Option<Value>> {
    a.args
        .iter()
        .map(|arg| match *arg {
            ir::Arg::Const(c) => Some(c),
            ir::Arg::Var(v) if bound[v] => Some(env[v]),
            _ => None,
        })
        .collect()
}

fn bound_text(ex: &Explainer, rule: &ir::Rule, env: &[Value], bound: &[bool]) -> String {
    named_vars(rule)
        .filter(|&v| bound[v])
        .map(|v| format!("{} = {}", rule.var_names[v], literal(env[v], rule.var_types[v], ex.symbols)))
        .collect::<Vec<_>>()
        .join(", ")
}
