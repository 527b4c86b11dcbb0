//! Defeasible logic in the rule language: strong negation, rule kinds, rule names and
//! superiority, checked here and evaluated by `engine::defeasible`.
//!
//! - `~backs(x, y)` reads and concludes the relation `~backs`: the reports that `backs` does
//!   **not** hold (a statement row `Egypt,not backs,GNA`), unlike `!backs(x, y)`, which only
//!   says that `backs(x, y)` is not derived. `~backs` needs no declaration: it shares
//!   `backs`'s columns ([`add_complement`]).
//! - `head :- body.` is strict, `head :~ body.` defeasible, `head :~> body.` a defeater
//!   (it concludes nothing and only stops the complement of its head).
//! - `@name` before a rule names it; `.prefer r2 > r1` makes `r2` superior to `r1`;
//!   `.prefer by grade` / `.prefer by date` make statement rows defeasible facts, of which
//!   the better-graded / later one wins a conflict; `.prefer by specificity` makes the more
//!   specific of two conflicting rules win (Poole's specificity over the strict rules).
//!
//! **Accepted programs.** Negation (`!p`) and aggregates may read a relation that defeasible
//! rules, defeaters or defeasible facts reach ([`defeasible_relations`]) once its conclusions
//! are final: the program is split into layers ([`layers`]), each evaluated after the ones
//! below, whose defeasibly provable tuples the negation and aggregates read
//! (`engine::stratified`). A read of a relation that depends on the reading rule's own head
//! (through rules, or through a complement `~p`, which attacks `p`) would make a conclusion
//! depend on the failure of another whose failure may depend on it in turn; stance rejects it
//! with a located `E026` rather than pick one of the competing semantics. Superiority must be
//! acyclic.

use crate::base::diag::{Code, Diagnostic, did_you_mean};
use crate::base::source::Span;
use crate::lang::ir::{self, Lit, RelId, RuleId};
use crate::lang::syntax::ast::{self, Item, PreferKind, RuleKind};
use std::collections::{BTreeMap, BTreeSet};

/// The defeasible side of a checked program: which rules are not strict, their names, and
/// which rule beats which.
#[derive(Debug, Clone, Default)]
pub struct Theory {
    /// Every rule that is not strict, by id.
    kinds: BTreeMap<RuleId, RuleKind>,
    /// Every named rule, by id (a multi-head rule's parts share their name).
    names: BTreeMap<RuleId, String>,
    /// `(superior, inferior)` pairs of rules, from `.prefer r2 > r1`.
    pub superior: BTreeSet<(RuleId, RuleId)>,
    /// `.prefer by grade`.
    pub by_grade: bool,
    /// `.prefer by date`.
    pub by_date: bool,
    /// `.prefer by specificity`.
    pub by_specificity: bool,
    /// Evaluate as a theory even with strict rules only (`stance conclusions`).
    pub forced: bool,
}

impl Theory {
    /// Records how rule `id` was written.
    pub fn add_rule(&mut self, id: RuleId, kind: RuleKind, name: Option<&str>) {
        if kind != RuleKind::Strict {
            self.kinds.insert(id, kind);
        }
        if let Some(name) = name {
            self.names.insert(id, name.to_string());
        }
    }

    /// How rule `id` concludes its head.
    pub fn kind(&self, id: RuleId) -> RuleKind {
        self.kinds.get(&id).copied().unwrap_or_default()
    }

    /// The rule's `@name`, if it has one.
    pub fn name(&self, id: RuleId) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    /// Whether the program is evaluated as a defeasible theory: it has a defeasible rule, a
    /// defeater or a `.prefer`. A program of strict rules only is plain Datalog (denials and
    /// their conflicts are then reported, not resolved).
    pub fn is_active(&self) -> bool {
        !self.kinds.is_empty()
            || !self.superior.is_empty()
            || self.by_grade
            || self.by_date
            || self.by_specificity
            || self.forced
    }

    /// Whether statement rows are defeasible facts (`.prefer by grade` or `by date`) rather
    /// than strict ones.
    pub fn rows_defeasible(&self) -> bool {
        self.by_grade || self.by_date
    }

    fn rules_named(&self, name: &str) -> Vec<RuleId> {
        self.names.iter().filter(|(_, n)| n.as_str() == name).map(|(&id, _)| id).collect()
    }
}

/// Adds `~rel`, the complement of a declared or statement relation `rel`, with `rel`'s
/// columns and declaration; `None` when `name` is not `~` followed by a known relation.
pub fn add_complement(program: &mut ir::Program, name: &str) -> Option<RelId> {
    let base = name.strip_prefix('~')?;
    let id = program.relation_id(base)?;
    if base.starts_with('~') || program.is_constraint(id) {
        return None;
    }
    let base = &program.relations[id];
    let relation = ir::Relation {
        name: name.to_string(),
        columns: base.columns.clone(),
        types: base.types.clone(),
        decl: base.decl,
        inputs: Vec::new(),
        outputs: Vec::new(),
        printsize: false,
        from_statements: false,
    };
    Some(program.add_relation(relation))
}

/// Resolves rule names and `.prefer` directives into `program.defeasible`, and rejects what
/// stance does not accept (see the module documentation). `files` are the expanded files.
pub fn check(files: &[ast::File], program: &mut ir::Program) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    duplicate_names(files, &mut diags);
    let mut edges: Vec<(String, String, Span)> = Vec::new();
    for item in files.iter().flat_map(|f| &f.items) {
        let Item::Prefer(prefer) = item else { continue };
        match &prefer.kind {
            PreferKind::Grade => program.defeasible.by_grade = true,
            PreferKind::Date => program.defeasible.by_date = true,
            PreferKind::Specificity => program.defeasible.by_specificity = true,
            PreferKind::Rules(a, b) => {
                if a.name == b.name {
                    diags.push(
                        Diagnostic::error(Code::Defeasible, format!("rule `{}` is preferred to itself", a.name))
                            .at(prefer.span, "superiority must be between two rules"),
                    );
                    continue;
                }
                let (sup, inf) = (known_rule(program, a, &mut diags), known_rule(program, b, &mut diags));
                for &s in &sup {
                    for &i in &inf {
                        program.defeasible.superior.insert((s, i));
                    }
                }
                edges.push((a.name.clone(), b.name.clone(), prefer.span));
            }
        }
    }
    if let Some(d) = superiority_cycle(&edges) {
        diags.push(d);
    }
    if program.defeasible.is_active() {
        negation_over_conclusions(program, &mut diags);
    }
    diags
}

/// The rules named `name`, or an error at it with the closest name.
fn known_rule(program: &ir::Program, name: &ast::Ident, diags: &mut Vec<Diagnostic>) -> Vec<RuleId> {
    let found = program.defeasible.rules_named(&name.name);
    if found.is_empty() {
        let mut d = Diagnostic::error(Code::Defeasible, format!("unknown rule `{}`", name.name))
            .at(name.span, "no rule is named this");
        let names: BTreeSet<&str> = program.defeasible.names.values().map(String::as_str).collect();
        d = match did_you_mean(&name.name, names) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!("write `@{}` before a rule to name it", name.name)),
        };
        diags.push(d);
    }
    found
}

/// Two rules with the same `@name`.
fn duplicate_names(files: &[ast::File], diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for item in files.iter().flat_map(|f| &f.items) {
        let Item::Rule(ast::Rule { name: Some(name), .. }) = item else { continue };
        if let Some(&first) = seen.get(name.name.as_str()) {
            diags.push(
                Diagnostic::error(Code::Defeasible, format!("two rules are named `{}`", name.name))
                    .at(name.span, "named again here")
                    .with_secondary(first, "first named here")
                    .with_help("give each rule its own name: `.prefer` ranks rules by name"),
            );
        } else {
            seen.insert(&name.name, name.span);
        }
    }
}

/// The first `.prefer` that closes a cycle (`a > b`, `b > a`), as an error.
fn superiority_cycle(edges: &[(String, String, Span)]) -> Option<Diagnostic> {
    let mut above: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (sup, inf, span) in edges {
        // Does `inf` already reach `sup` (inf > ... > sup)? Then `sup > inf` closes a cycle.
        let mut stack = vec![inf.as_str()];
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if n == sup {
                return Some(
                    Diagnostic::error(
                        Code::Defeasible,
                        format!("superiority is cyclic: `{sup}` > `{inf}` > ... > `{sup}`"),
                    )
                    .at(*span, "this closes the cycle")
                    .with_note("superiority must be a strict order: no rule can beat itself, even through others"),
                );
            }
            if seen.insert(n) {
                stack.extend(above.get(n).into_iter().flatten().copied());
            }
        }
        above.entry(sup.as_str()).or_default().push(inf.as_str());
    }
    None
}

/// The relations a defeasible rule, a defeater or a defeasible statement row can reach:
/// their heads, the complements of those, and every relation derived from them.
pub fn defeasible_relations(program: &ir::Program) -> Vec<bool> {
    let theory = &program.defeasible;
    let mut reached = vec![false; program.relations.len()];
    for rule in &program.rules {
        if theory.kind(rule.id) != RuleKind::Strict {
            reached[rule.head] = true;
        }
    }
    if theory.rows_defeasible() {
        for (id, rel) in program.relations.iter().enumerate() {
            reached[id] |= rel.from_statements;
        }
    }
    loop {
        let mut changed = false;
        for id in 0..reached.len() {
            if reached[id]
                && let Some(c) = program.complement(id)
                && !reached[c]
            {
                reached[c] = true;
                changed = true;
            }
        }
        for rule in &program.rules {
            let mut reads = Vec::new();
            ir::body_reads(&rule.body, false, &mut reads);
            if !reached[rule.head] && reads.iter().any(|&(rel, _, _)| reached[rel]) {
                reached[rule.head] = true;
                changed = true;
            }
        }
        if !changed {
            return reached;
        }
    }
}

/// The refused literals of [`layering`]: negation or an aggregate in `rule` over `rel`, at `span`.
type Refused = Vec<(RuleId, RelId, Span)>;

/// Each relation's layer (0 for relations no defeasible rule reaches), and the negations and
/// aggregates that read a defeasible conclusion of their own layer.
///
/// A relation and its complement (`p`, `~p`) attack each other, so they share a layer. A rule's
/// head is in the layer of every relation its body reads, and above (one more) every
/// defeasible relation it reads under negation or in an aggregate: such a relation's
/// conclusions must be final before the rule is grounded. A read that closes a cycle through
/// such an edge cannot be layered and is refused.
fn layering(program: &ir::Program) -> (Vec<u32>, Refused) {
    use petgraph::graph::{DiGraph, NodeIndex};
    let reached = defeasible_relations(program);
    let n = program.relations.len();
    let rep = |r: RelId| program.complement(r).map_or(r, |c| c.min(r));
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, program.rules.len());
    for _ in 0..n {
        graph.add_node(());
    }
    // (from, to, weight, rule, span) between representatives.
    let mut edges = Vec::new();
    for rule in &program.rules {
        let mut reads = Vec::new();
        ir::body_reads(&rule.body, false, &mut reads);
        for (rel, through, span) in reads {
            let (from, to) = (rep(rel), rep(rule.head));
            edges.push((from, to, u32::from(through && reached[rel]), rule.id, rel, span));
            graph.update_edge(NodeIndex::new(from), NodeIndex::new(to), ());
        }
    }
    let sccs = petgraph::algo::tarjan_scc(&graph);
    let mut component = vec![0usize; n];
    for (i, scc) in sccs.iter().enumerate() {
        for node in scc {
            component[node.index()] = i;
        }
    }
    let mut refused = Vec::new();
    let mut incoming: Vec<Vec<(usize, u32)>> = vec![Vec::new(); sccs.len()];
    for &(from, to, weight, rule, rel, span) in &edges {
        let (cf, ct) = (component[from], component[to]);
        if cf == ct && weight == 1 {
            refused.push((rule, rel, span));
        } else if cf != ct {
            incoming[ct].push((cf, weight));
        }
    }
    // tarjan_scc lists dependents first: walk it backwards, dependencies first.
    let mut level = vec![0u32; sccs.len()];
    for c in (0..sccs.len()).rev() {
        level[c] = incoming[c].iter().map(|&(f, w)| level[f] + w).max().unwrap_or(0);
    }
    ((0..n).map(|r| level[component[rep(r)]]).collect(), refused)
}

/// Each relation's layer: a defeasible program is evaluated layer by layer, each reading the
/// final conclusions of the layers below under negation and in aggregates
/// (`engine::stratified`). All 0 when no negation or aggregate reads a defeasible conclusion.
pub fn layers(program: &ir::Program) -> Vec<u32> {
    layering(program).0
}

/// Negation and aggregates over a defeasible conclusion of their own layer (rejected), and the
/// magic-set pragma.
fn negation_over_conclusions(program: &ir::Program, diags: &mut Vec<Diagnostic>) {
    if let Some(&rel) = program.magic_transform.first() {
        let name = &program.relations[rel].name;
        diags.push(
            Diagnostic::error(Code::Defeasible, "`.pragma \"magic-transform\"` in a defeasible program")
                .at(program.relations[rel].decl.unwrap_or_default(), format!("`{name}` is evaluated on demand"))
                .with_help("remove the pragma: a defeasible theory is evaluated whole"),
        );
    }
    for (rule, rel, span) in layering(program).1 {
        let rule = &program.rules[rule];
        let name = &program.relations[rel].name;
        let lit = if rule.body.iter().any(|l| matches!(l, Lit::Negated(a) if a.span == span)) {
            "negation"
        } else {
            "an aggregate"
        };
        diags.push(
            Diagnostic::error(
                Code::Defeasible,
                format!("{lit} over `{name}`, a defeasible conclusion that depends on this rule's own"),
            )
            .at(span, format!("`{name}` is not final before this rule concludes"))
            .with_note(
                "negation and aggregates may read a defeasible relation only once its conclusions are final: \
                 it must not depend on the rule that reads it (a relation and its complement `~` count as one)",
            )
            .with_help(format!("to say that `{name}` is reported not to hold, write `~{name}(...)`")),
        );
    }
}
