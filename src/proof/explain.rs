//! Showing proofs to people and programs: claims as typed by a reviewer, proof trees as
//! text, proof DAGs as JSON, one-line traces for CSV, and why-not reports.

use crate::base::diag::plural;
use crate::base::value::{Type, Value};
use crate::engine::eval;
use crate::lang::ir::{self, Lit, RelId};
use crate::proof::grades::{Grades, Grading, confidence_text};
use crate::proof::pattern::{Claim, unknown_constants};
use crate::proof::provenance::{Explainer, NodeId, NodeKind, Origin, Side, atom_text, literal, matches, pattern_text};
use serde_json::{Map, Value as Json, json};
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// The rule as written, on one line, without its comments.
fn rule_text(ex: &Explainer, rule: &ir::Rule) -> String {
    let source = ex.sources.snippet(rule.span);
    let mut plain = String::with_capacity(source.len());
    let mut at = 0;
    for (start, end) in crate::lang::fmt::comments(source) {
        plain.push_str(&source[at..start]);
        plain.push(' ');
        at = end;
    }
    plain.push_str(&source[at..]);
    crate::base::source::one_line(&plain)
}

fn value_text(v: Value, ty: Type, ex: &Explainer) -> String {
    match ty {
        Type::Symbol => ex.symbols.resolve(v).to_string(),
        Type::Record(_) => crate::base::value::literal(v, ty, ex.symbols),
        t => crate::base::value::display(v, t, ex.symbols),
    }
}

/// `x = "Egypt", y = "Tobruk"` for the named variables of a rule instance.
fn bindings_text(ex: &Explainer, rule: &ir::Rule, env: &[Value]) -> String {
    named_vars(rule)
        .map(|v| format!("{} = {}", rule.var_names[v], literal(env[v], rule.var_types[v], ex.symbols)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rule's own named variables (not an aggregate's local ones), in slot order.
fn named_vars(rule: &ir::Rule) -> impl Iterator<Item = usize> + '_ {
    rule.own_vars().into_iter().filter(|&v| !rule.var_names[v].starts_with('$'))
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
pub fn origin_lines(ex: &Explainer, origin: &Origin) -> Vec<String> {
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

/// Levels of indentation a tree gets before a subproof is continued below it, at the left
/// margin: each line carries its level's indentation, so a 10,000-step proof indented all
/// the way would print 10,000 × 10,000 characters.
const MAX_INDENT: usize = 32;

/// Labels of subproofs: shared ones (printed once, referred to afterwards) and the deep ones
/// continued below the tree.
struct Labels {
    of: HashMap<NodeId, usize>,
    /// Continued subproofs not printed yet: (node, its level in the proof).
    pending: std::collections::VecDeque<(NodeId, usize)>,
    /// The continuation being printed now.
    continuing: Option<NodeId>,
}

impl Labels {
    fn add(&mut self, n: NodeId) -> usize {
        let l = self.of.len() + 1;
        self.of.insert(n, l);
        l
    }
}

/// A proof as an indented tree. Subproofs deeper than `depth` are cut; a subproof used
/// twice is printed once and referred to by its label afterwards; a subproof more than
/// [`MAX_INDENT`] levels down is continued after the tree, under its label.
pub fn render_tree(ex: &Explainer, root: NodeId, depth: Option<usize>) -> String {
    render_tree_graded(ex, root, depth, None)
}

/// [`render_tree`], each conclusion followed by its grade (`[B2]`: the best over all its
/// proofs, see [`crate::proof::grades`]) and, in each step with several premises, the
/// weakest marked: the premise(s) whose grades bound the step's.
pub fn render_tree_graded(ex: &Explainer, root: NodeId, depth: Option<usize>, grading: Option<&Grading>) -> String {
    let counts = reference_counts(ex, root);
    let mut labels = Labels { of: HashMap::new(), pending: Default::default(), continuing: None };
    let mut out = String::new();
    let tree = Tree { depth, counts: &counts, grading };
    tree_node(ex, root, "", "", 0, &tree, false, &mut labels, &mut out);
    while let Some((n, level)) = labels.pending.pop_front() {
        labels.continuing = Some(n);
        tree_node(ex, n, "", "", level, &tree, false, &mut labels, &mut out);
    }
    out
}

/// What every node of a rendered tree shares.
struct Tree<'t> {
    depth: Option<usize>,
    counts: &'t HashMap<NodeId, usize>,
    grading: Option<&'t Grading>,
}

impl Tree<'_> {
    fn grades(&self, ex: &Explainer, n: NodeId) -> Option<Grades> {
        let node = &ex.nodes[n];
        let index = ex.model.relations[node.rel].position(&node.tuple)?;
        Some(self.grading?.grades(node.rel, index))
    }

    /// `  [B2]`, `  [B2, weakest]` or `  [no grade, weakest]`, with the confidence when the
    /// data has confidences; nothing without grading.
    fn grade_text(&self, ex: &Explainer, n: NodeId, weakest: bool) -> String {
        let (Some(grading), Some(grades)) = (self.grading, self.grades(ex, n)) else { return String::new() };
        let mut parts = vec![if grades == Grades::NONE { "no grade".to_string() } else { grades.to_string() }];
        if grading.has_confidence {
            let node = &ex.nodes[n];
            let index = ex.model.relations[node.rel].position(&node.tuple);
            parts.push(format!("confidence {}", confidence_text(index.and_then(|i| grading.confidence(node.rel, i)))));
        }
        if weakest {
            parts.push("weakest".into());
        }
        format!("  [{}]", parts.join(", "))
    }

    /// The premises bounding a step: those whose grades are the step's (the intersection of
    /// all of them), else those no other premise's grades lie within.
    fn weakest(&self, ex: &Explainer, premises: &[NodeId]) -> Vec<bool> {
        let grades: Vec<Option<Grades>> = premises.iter().map(|&p| self.grades(ex, p)).collect();
        if premises.len() < 2 || grades.iter().any(Option::is_none) {
            return vec![false; premises.len()];
        }
        let grades: Vec<Grades> = grades.into_iter().flatten().collect();
        let step = grades.iter().copied().reduce(Grades::meet).unwrap_or(Grades::NONE);
        if grades.iter().all(|&g| g == step) {
            return vec![false; premises.len()];
        }
        if grades.contains(&step) {
            return grades.iter().map(|&g| g == step).collect();
        }
        grades.iter().map(|&g| !grades.iter().any(|&h| h != g && g.contains(h))).collect()
    }
}

#[allow(clippy::too_many_arguments)]
fn tree_node(
    ex: &Explainer,
    n: NodeId,
    first: &str,
    rest: &str,
    level: usize,
    tree: &Tree,
    weakest: bool,
    labels: &mut Labels,
    out: &mut String,
) {
    let (depth, counts) = (tree.depth, tree.counts);
    let node = &ex.nodes[n];
    let conclusion = atom_text(ex.program, node.rel, &node.tuple, ex.symbols) + &tree.grade_text(ex, n, weakest);
    let continuing = labels.continuing.take() == Some(n);
    if !continuing && let Some(label) = labels.of.get(&n) {
        let whereabouts = if labels.pending.iter().any(|&(p, _)| p == n) { "continued below" } else { "proved above" };
        let _ = writeln!(out, "{first}{conclusion}  ({whereabouts}, [{label}])");
        return;
    }
    let derived = matches!(node.kind, NodeKind::Derived { .. });
    if !continuing && derived && level > 0 && level.is_multiple_of(MAX_INDENT) && depth.is_none_or(|d| level < d) {
        let label = labels.add(n);
        labels.pending.push_back((n, level));
        let _ = writeln!(out, "{first}{conclusion}  (continued below, [{label}])");
        return;
    }
    let shared = counts.get(&n).copied().unwrap_or(0) > 1 && derived;
    let label = if continuing {
        out.push('\n');
        format!("  [{}]", labels.of[&n])
    } else if shared {
        format!("  [{}]", labels.add(n))
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
            let weakest = tree.weakest(ex, premises);
            for (i, &p) in premises.iter().enumerate() {
                let last = i + 1 == total;
                let (f, r) = if last { ("└─ ", "   ") } else { ("├─ ", "│  ") };
                let (first, rest) = (format!("{rest}{f}"), format!("{rest}{r}"));
                tree_node(ex, p, &first, &rest, level + 1, tree, weakest[i], labels, out);
            }
            for (i, s) in side.iter().enumerate() {
                let last = premises.len() + i + 1 == total;
                let (f, r) = if last { ("└─ ", "   ") } else { ("├─ ", "│  ") };
                let over = aggregated_lines(ex, s);
                let colon = if over.is_empty() { "" } else { ", over:" };
                let _ = writeln!(out, "{rest}{f}{}{colon}", side_text(ex, s));
                for line in over {
                    let _ = writeln!(out, "{rest}{r}   {line}");
                }
            }
        }
    }
}

/// A body condition of a proof step: an absent atom, a comparison, an aggregate's value.
pub fn side_text(ex: &Explainer, s: &Side) -> String {
    match s {
        Side::Absent { rel, pattern } => format!("no proof of {}", pattern_text(ex.program, *rel, pattern, ex.symbols)),
        Side::Holds { text } => format!("holds: {text}"),
        Side::Aggregate { text, value, ty, .. } => {
            format!("computed: {text} = {}", crate::base::value::numeric_text(*value, *ty))
        }
    }
}

/// What an aggregate aggregates, one line per binding of its body (its positive atoms),
/// then `and M more` for the bindings not kept; empty for other conditions.
pub fn aggregated_lines(ex: &Explainer, s: &Side) -> Vec<String> {
    let Side::Aggregate { over, bindings, .. } = s else { return Vec::new() };
    let mut lines: Vec<String> = over
        .iter()
        .filter(|atoms| !atoms.is_empty())
        .map(|atoms| {
            atoms.iter().map(|(rel, t)| atom_text(ex.program, *rel, t, ex.symbols)).collect::<Vec<_>>().join(", ")
        })
        .collect();
    if !lines.is_empty() && *bindings > over.len() {
        lines.push(format!("and {} more", bindings - over.len()));
    }
    lines
}

/// A proof as JSON: the conclusion, and the DAG of nodes reachable from it, each listed
/// once (ids are local to this proof, in depth-first order).
pub fn proof_json(ex: &Explainer, root: NodeId) -> Json {
    let (order, index) = number_nodes(ex, [root]);
    let nodes: Vec<Json> = order.iter().map(|&n| node_json(ex, n, &index)).collect();
    let root_node = &ex.nodes[root];
    json!({
        "conclusion": atom_text(ex.program, root_node.rel, &root_node.tuple, ex.symbols),
        "relation": relation_name(ex, root_node.rel),
        "tuple": tuple_json(ex, root_node.rel, &root_node.tuple),
        "height": root_node.height,
        "root": 0,
        "nodes": nodes,
    })
}

/// The nodes reachable from `roots`, numbered depth first (premises in order), each once
/// however many proofs share it: the order and each node's number.
pub fn number_nodes(ex: &Explainer, roots: impl IntoIterator<Item = NodeId>) -> (Vec<NodeId>, HashMap<NodeId, usize>) {
    let mut numbering = Numbering::default();
    for root in roots {
        numbering.add(ex, root);
    }
    (numbering.order, numbering.index)
}

/// The numbering of [`number_nodes`], grown one proof at a time (for a stream of proofs
/// that refer to each other's nodes).
#[derive(Debug, Default)]
pub struct Numbering {
    /// The nodes numbered so far, in number order.
    pub order: Vec<NodeId>,
    /// Each numbered node's number.
    pub index: HashMap<NodeId, usize>,
}

impl Numbering {
    /// Numbers the nodes reachable from `root` that have no number yet; returns where they
    /// are in `order`.
    pub fn add(&mut self, ex: &Explainer, root: NodeId) -> std::ops::Range<usize> {
        let start = self.order.len();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if self.index.contains_key(&n) {
                continue;
            }
            self.index.insert(n, self.order.len());
            self.order.push(n);
            if let NodeKind::Derived { premises, .. } = &ex.nodes[n].kind {
                stack.extend(premises.iter().rev());
            }
        }
        start..self.order.len()
    }
}

/// One line of `infer --provenance --format json`: a tuple's proof as [`proof_json`] gives
/// it, except that node ids run across the whole stream and `nodes` lists only the nodes no
/// earlier line listed. A subproof shared by many tuples is written once: the proofs of a
/// 1,000-step chain repeated in full took 125 MB.
pub fn provenance_json(ex: &Explainer, root: NodeId, numbering: &mut Numbering) -> Json {
    let new = numbering.add(ex, root);
    let nodes: Vec<Json> = numbering.order[new].iter().map(|&n| node_json(ex, n, &numbering.index)).collect();
    let root_node = &ex.nodes[root];
    json!({
        "conclusion": atom_text(ex.program, root_node.rel, &root_node.tuple, ex.symbols),
        "relation": ex.program.relations[root_node.rel].name,
        "tuple": tuple_json(ex, root_node.rel, &root_node.tuple),
        "height": root_node.height,
        "root": numbering.index[&root],
        "nodes": nodes,
    })
}

/// The relation's name; for a constraint's hidden relation, the constraint as written (on
/// one line), since the hidden name is one no user wrote.
fn relation_name(ex: &Explainer, rel: RelId) -> String {
    match ex.program.constraint_of(rel) {
        Some(c) => ex.sources.one_line(c.span),
        None => ex.program.relations[rel].name.clone(),
    }
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
    obj.insert("relation".into(), Json::from(relation_name(ex, node.rel)));
    obj.insert("tuple".into(), tuple_json(ex, node.rel, &node.tuple));
    obj.insert("height".into(), Json::from(node.height));
    if let Some(grading) = ex.grading
        && let Some(i) = ex.model.relations[node.rel].position(&node.tuple)
        && let Ok(Json::Object(fields)) = serde_json::to_value(grading.json(node.rel, i))
    {
        obj.extend(fields);
    }
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
            let aggregates: Vec<Json> = side
                .iter()
                .filter_map(|s| match s {
                    Side::Aggregate { text, value, ty, over, bindings } => Some(json!({
                        "text": text,
                        "value": crate::base::value::numeric_json(*value, *ty),
                        "bindings": bindings,
                        "over": over
                            .iter()
                            .map(|atoms| atoms.iter().map(|(rel, t)| atom_text(ex.program, *rel, t, ex.symbols)).collect::<Vec<_>>())
                            .collect::<Vec<_>>(),
                    })),
                    _ => None,
                })
                .collect();
            if !aggregates.is_empty() {
                obj.insert("aggregates".into(), Json::Array(aggregates));
            }
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
/// A pattern (`aligned(_, "Haftar")`) is asked of every tuple it could match; when some
/// tuple matches, the answer is that it holds, with the first match's proof.
pub fn why_not(ex: &mut Explainer, claim: &Claim) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "why not {}?", claim.text);
    for note in unknown_constants(claim, ex.symbols) {
        let _ = writeln!(out, "  note: {note}");
    }
    let (model, program) = (ex.model, ex.program);
    let rel = &program.relations[claim.rel];
    let hits = claim.matching_tuples(&model.relations[claim.rel], &rel.types, ex.symbols);
    if let Some(root) = hits.first().and_then(|t| ex.explain(claim.rel, t)) {
        if claim.is_ground() {
            let _ = writeln!(out, "it holds:");
        } else {
            let n = hits.len();
            let _ =
                writeln!(out, "it holds: {n} tuple{} match{}; the first:", plural(n), if n == 1 { "es" } else { "" });
        }
        out.push_str(&render_tree(ex, root, Some(3)));
        return out;
    }
    let rules: Vec<&ir::Rule> = program.rules.iter().filter(|r| r.head == claim.rel).collect();
    if rules.is_empty() {
        let what = if claim.is_ground() { "states this" } else { "matches this" };
        let _ = writeln!(out, "`{}` has no rules: it holds only what the facts state, and no fact {what}.", rel.name);
        return out;
    }
    let _ = writeln!(out, "no rule derives it:");
    let Some(pattern) = claim.pattern() else {
        let _ = writeln!(out, "  (a constant of the claim occurs nowhere, so no tuple can contain it)");
        return out;
    };
    for rule in rules {
        let _ = writeln!(out, "\n  rule {}  [{}]", rule_text(ex, rule), ex.sources.file_line(rule.span));
        let _ = writeln!(out, "    {}", rule_progress(ex, rule, &pattern));
    }
    out
}

/// Binds the head variables that stand alone where the pattern has a constant; false if a
/// constant of the head differs.
fn bind_head_pattern(rule: &ir::Rule, pattern: &[Option<Value>], env: &mut [Value], bound: &mut [bool]) -> bool {
    for (arg, p) in rule.head_args.iter().zip(pattern) {
        let Some(v) = *p else { continue };
        match arg {
            ir::Expr::Var(x) if bound[*x] && env[*x] != v => return false,
            ir::Expr::Var(x) => {
                env[*x] = v;
                bound[*x] = true;
            }
            ir::Expr::Const(c, _) if *c != v => return false,
            _ => {}
        }
    }
    true
}

/// The most bindings `rule_progress` follows per literal.
const MAX_BINDINGS: usize = 10_000;

/// How far one rule's body gets towards a tuple matching `pattern` (`None`: any value).
fn rule_progress(ex: &mut Explainer, rule: &ir::Rule, pattern: &[Option<Value>]) -> String {
    let mut env = vec![0; rule.num_vars()];
    let mut bound = vec![false; rule.num_vars()];
    if !bind_head_pattern(rule, pattern, &mut env, &mut bound) {
        let what = if pattern.iter().all(Option::is_some) { "this tuple" } else { "a matching tuple" };
        return format!("its head cannot produce {what} (a constant in the head differs)");
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
                Lit::Range { .. } | Lit::Aggregate { .. } => enumerate_one(ex, lit, env, bound, &mut next),
            }
        }
        if next.is_empty() {
            return failure_text(ex, rule, lit, &states, blocked_by);
        }
        states = next;
    }
    if pattern.iter().all(Option::is_some) {
        "its body holds, but the head computes a different tuple".into()
    } else {
        "its body holds, but the head computes no tuple matching the pattern".into()
    }
}

/// Why `lit` lets none of the bindings `states` reached through (`blocked_by`: the tuple
/// that blocked a negation).
fn failure_text(
    ex: &mut Explainer,
    rule: &ir::Rule,
    lit: &Lit,
    states: &[(Vec<Value>, Vec<bool>)],
    blocked_by: Option<(RelId, usize)>,
) -> String {
    let (env, bound) = &states[0];
    let reached = if states.len() == 1 {
        let b = bound_text(ex, rule, env, bound);
        if b.is_empty() { String::new() } else { format!(" (with {b})") }
    } else {
        format!(" (for any of the {} bindings reached)", states.len())
    };
    match lit {
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
    }
}

/// The bindings a range or aggregate `lit` adds to `env`, pushed onto `next`.
fn enumerate_one(
    ex: &mut Explainer,
    lit: &Lit,
    env: &[Value],
    bound: &[bool],
    next: &mut Vec<(Vec<Value>, Vec<bool>)>,
) {
    // Enumerate through the explainer's search, one literal at a time.
    let (mut e, mut b) = (env.to_vec(), bound.to_vec());
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
        let mut b2 = bound.to_vec();
        b2[var] = true;
        next.push((e2, b2));
    }
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

/// The proofs of every tuple matching a claim, in display order: up to `k` proofs each,
/// shortest first (a ground claim has at most one tuple). Empty when nothing matches.
pub fn pattern_proofs(ex: &mut Explainer, claim: &Claim, k: usize) -> Vec<Vec<NodeId>> {
    let rel = &ex.program.relations[claim.rel];
    let hits = claim.matching_tuples(&ex.model.relations[claim.rel], &rel.types, ex.symbols);
    hits.iter().map(|t| ex.explain_many(claim.rel, t, k)).filter(|roots| !roots.is_empty()).collect()
}
