//! Proofs rebuilt on demand from the evaluation's record.
//!
//! Evaluation records, for each derived tuple, the round of its stratum in which it first
//! appeared. A proof of a tuple is a grounding of one of its relation's rules whose body
//! tuples all appeared in strictly earlier rounds (or in lower strata), applied recursively
//! down to input facts; the strict order makes every proof well-founded. Among those
//! groundings the search takes one of minimal height (height = 1 + the highest premise),
//! memoising every tuple it visits, so shared subproofs are found once and no proof is ever
//! stored per tuple during evaluation.

use crate::base::source::{SourceMap, Span};
use crate::base::value::{Number, Symbols, Type, Value, from_number, to_number};
use crate::engine::eval::{self, Annotation, INPUT, Model, Tuples};
use crate::facts::load::Facts;
use crate::lang::functors::Range;
use crate::lang::ir::{self, Arg, Expr, Lit, RelId, RuleId};
use crate::lang::syntax::ast::{AggregateFunc, CompareOp};
use std::collections::HashMap;

/// A node's index in [`Explainer::nodes`].
pub type NodeId = usize;

/// Called with each rule instance: the derived tuple's index and the premises.
pub type InstanceVisit<'f> = dyn FnMut(usize, &[(RelId, usize)]) + 'f;

/// The positive atoms of one binding of a rule body: relation and tuple of each.
pub type Atoms = Vec<(RelId, Vec<Value>)>;

/// At most this many bindings of an aggregate's body are kept in its proof step.
pub const MAX_AGGREGATED: usize = 10;

/// Where an input fact was stated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A row of a fact table: its id in [`Facts`].
    Row(u32),
    /// A fact written in a rule file.
    RuleFile(Span),
}

/// A body literal of a rule instance that is not a premise tuple.
#[derive(Debug, Clone, PartialEq)]
pub enum Side {
    /// `!rel(...)`: no tuple matches (wildcards as `None`).
    Absent {
        /// The negated relation.
        rel: RelId,
        /// The negated atom's arguments under the bindings; `None` for a wildcard.
        pattern: Vec<Option<Value>>,
    },
    /// A comparison that holds under the bindings, as source text.
    Holds {
        /// The comparison with its values: `x != z  ("Egypt" != "Haftar")`.
        text: String,
    },
    /// An aggregate's value under the bindings, with the tuples it aggregates: the positive
    /// atoms of each of the first [`MAX_AGGREGATED`] bindings of its body, and how many
    /// bindings there are in all.
    Aggregate {
        /// The aggregate as written, on one line.
        text: String,
        /// Its value under the bindings.
        value: Value,
        /// The value's type (an aggregate's is numeric).
        ty: Type,
        /// The positive atoms of each of the first [`MAX_AGGREGATED`] bindings.
        over: Vec<Atoms>,
        /// How many bindings the body has in all.
        bindings: usize,
    },
}

/// How a proof node's tuple holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// An input fact.
    Fact {
        /// Where it was stated (a tuple may be stated several times).
        origins: Vec<Origin>,
    },
    /// Derived by one instance of a rule.
    Derived {
        /// The rule.
        rule: RuleId,
        /// The value of every variable slot of the rule.
        env: Vec<Value>,
        /// The proof nodes of the positive body atoms, in body order.
        premises: Vec<NodeId>,
        /// The other body literals (negations, comparisons, aggregates) and how they hold.
        side: Vec<Side>,
    },
}

/// One node of a proof DAG: a tuple and how it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The tuple's relation.
    pub rel: RelId,
    /// The tuple.
    pub tuple: Vec<Value>,
    /// 0 for facts; 1 + the highest premise for derived tuples.
    pub height: u32,
    /// Whether it is a fact or derived, and from what.
    pub kind: NodeKind,
}

/// One rule instance that derives a tuple, before its premises are explained.
#[derive(Debug, Clone)]
struct Grounding {
    rule: RuleId,
    env: Vec<Value>,
    /// (relation, tuple index) of each positive body atom, in body order.
    premises: Vec<(RelId, usize)>,
    side: Vec<Side>,
}

/// Builds proofs over a model evaluated with recording on. Nodes are shared: a tuple is
/// explained once however many proofs use it.
pub struct Explainer<'a> {
    /// The checked program.
    pub program: &'a ir::Program,
    /// The model, evaluated with recording on.
    pub model: &'a Model,
    /// The loaded facts, for the origins of input tuples.
    pub facts: &'a Facts,
    /// The source files, for rule and fact locations.
    pub sources: &'a SourceMap,
    /// The symbol table (re-evaluating a functor such as `cat` may intern a string).
    pub symbols: &'a mut Symbols,
    /// Every proof node built so far; a [`NodeId`] indexes it.
    pub nodes: Vec<Node>,
    /// The model's grades, when the caller computed them: proofs written as JSON then
    /// carry each node's grade (see [`crate::proof::grades`]).
    pub grading: Option<&'a crate::proof::grades::Grading>,
    memo: HashMap<(RelId, usize), Option<NodeId>>,
    fact_origins: HashMap<RelId, HashMap<Vec<Value>, Vec<Origin>>>,
    /// Per `eqrel` relation and round, the graph of its generating pairs that appeared
    /// before that round (see [`Explainer::prove_by_path`]).
    generators: HashMap<(RelId, u32), std::rc::Rc<Generators>>,
    /// Per rule, its body most bound atom first for a search with the head's variables bound
    /// as given ([`BoundFirst`]; `None`: as written).
    orders: HashMap<RuleId, (Vec<bool>, Option<std::rc::Rc<BoundFirst>>)>,
    /// Indices of relations by columns that are not a prefix, for searches for instances
    /// ([`Explainer::index`]).
    indices: HashMap<(RelId, Vec<usize>), std::rc::Rc<Vec<u32>>>,
    /// How many tuples the searches have tried to match against an atom so far: their work.
    tried: u64,
}

/// A search for instances looks a relation up by columns that are not a prefix through an
/// index of its tuples, sorted once, when it has at most this many tuples (about a tenth of
/// a second to sort); a larger relation is scanned from its bound prefix.
pub const INDEX_LIMIT: usize = 1 << 20;

/// How many tuples of a relation of `len` tuples an atom is expected to match given the
/// variables bound: `len` raised to the share of its columns not looked up (all bound: one
/// tuple; none: all of them), the columns looked up being the bound ones when they are a
/// prefix or an index can be built ([`INDEX_LIMIT`]), else the bound prefix.
fn expected_matches(atom: &ir::Atom, bound: &[bool], len: usize) -> f64 {
    let known: Vec<bool> =
        atom.args.iter().map(|a| matches!(a, Arg::Const(_)) || matches!(a, Arg::Var(v) if bound[*v])).collect();
    let prefix = known.iter().take_while(|&&k| k).count();
    let all = known.iter().filter(|&&k| k).count();
    let looked_up = if all == prefix || len <= INDEX_LIMIT { all } else { prefix };
    let arity = atom.args.len().max(1);
    (len as f64).powf((arity - looked_up) as f64 / arity as f64)
}

/// How [`Explainer::groundings`] searches a rule body with the head bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// As written, from tuples that appeared strictly earlier (the steps of a proof).
    Earlier,
    /// As written, from any tuple (alternative proofs, in the order they are shown).
    Any,
    /// From any tuple, the most bound atom first, without the conditions' texts: only the
    /// set of instances counts ([`Explainer::derivations`]).
    Instances,
}

/// A rule body reordered for a search with the head bound: next, of the positive atoms left,
/// the one expected to match the fewest tuples ([`expected_matches`]), the first written of
/// equals; each condition and negation as soon as its variables are bound. `atoms[k]`: the
/// written position, among the positive atoms, of the `k`-th atom searched.
#[derive(Debug)]
struct BoundFirst {
    body: Vec<Lit>,
    atoms: Vec<usize>,
}

impl BoundFirst {
    /// `body` reordered, given the variables bound before it; `None` when the order is the
    /// written one, or the body has literals that bind values other than atoms (assignments,
    /// ranges, aggregates): those keep their written order.
    fn of(body: &[Lit], bound: &[bool], model: &Model) -> Option<BoundFirst> {
        if !body.iter().all(|l| matches!(l, Lit::Atom(_) | Lit::Negated(_) | Lit::Filter { .. })) {
            return None;
        }
        let mut bound = bound.to_vec();
        let written: Vec<usize> = (0..body.len()).filter(|&i| matches!(body[i], Lit::Atom(_))).collect();
        let mut placed = vec![false; body.len()];
        let (mut order, mut atoms) = (Vec::new(), Vec::new());
        let vars = |lit: &Lit| {
            let mut v = Vec::new();
            lit.vars(&mut v);
            v
        };
        loop {
            for (i, lit) in body.iter().enumerate() {
                if !placed[i] && !matches!(lit, Lit::Atom(_)) && vars(lit).iter().all(|&v| bound[v]) {
                    placed[i] = true;
                    order.push(i);
                }
            }
            let expected = |i: usize| match &body[i] {
                Lit::Atom(a) => expected_matches(a, &bound, model.relations[a.rel].len()),
                _ => f64::INFINITY,
            };
            let next = written
                .iter()
                .enumerate()
                .filter(|&(_, &i)| !placed[i])
                .min_by(|&(k, &i), &(l, &j)| expected(i).total_cmp(&expected(j)).then(k.cmp(&l)));
            let Some((k, &i)) = next else { break };
            placed[i] = true;
            order.push(i);
            atoms.push(k);
            vars(&body[i]).into_iter().for_each(|v| bound[v] = true);
        }
        // A condition on a variable no atom binds keeps its place after them.
        order.extend((0..body.len()).filter(|&i| !placed[i]));
        if order.iter().enumerate().all(|(j, &i)| i == j) {
            return None;
        }
        Some(BoundFirst { body: order.into_iter().map(|i| body[i].clone()).collect(), atoms })
    }

    /// Premises found in the search's order, in the written order.
    fn written(&self, premises: &[(RelId, usize)]) -> Vec<(RelId, usize)> {
        let mut out = premises.to_vec();
        for (k, &w) in self.atoms.iter().enumerate() {
            out[w] = premises[k];
        }
        out
    }
}

/// The generating pairs of an `eqrel` relation as an undirected graph: each value's
/// neighbours, sorted, so that the path found (and the proof shown) is deterministic.
type Generators = std::collections::BTreeMap<Value, Vec<Value>>;

impl<'a> Explainer<'a> {
    /// An explainer with no nodes yet.
    pub fn new(
        program: &'a ir::Program,
        model: &'a Model,
        facts: &'a Facts,
        sources: &'a SourceMap,
        symbols: &'a mut Symbols,
    ) -> Explainer<'a> {
        Explainer {
            program,
            model,
            facts,
            sources,
            symbols,
            nodes: Vec::new(),
            grading: None,
            memo: HashMap::new(),
            fact_origins: HashMap::new(),
            generators: HashMap::new(),
            orders: HashMap::new(),
            indices: HashMap::new(),
            tried: 0,
        }
    }

    fn annotation(&self, rel: RelId, index: usize) -> Annotation {
        self.model.annotation(rel, index).unwrap_or(Annotation { round: 0, rule: INPUT })
    }

    /// A proof of `tuple` in `rel` of minimal height, or `None` if the tuple does not hold.
    pub fn explain(&mut self, rel: RelId, tuple: &[Value]) -> Option<NodeId> {
        let index = self.model.relations[rel].position(tuple)?;
        self.prove(rel, index)
    }

    /// Up to `k` distinct proofs of `tuple`, shortest first: different rule instances at the
    /// root, each with minimal subproofs. Alternatives may use any tuple of the model as a
    /// premise (not only earlier ones), as long as the premise's own proof does not rest on
    /// the tuple being proved.
    pub fn explain_many(&mut self, rel: RelId, tuple: &[Value], k: usize) -> Vec<NodeId> {
        let Some(index) = self.model.relations[rel].position(tuple) else { return Vec::new() };
        let first = match self.prove(rel, index) {
            Some(n) => n,
            None => return Vec::new(),
        };
        if k <= 1 || matches!(self.nodes[first].kind, NodeKind::Fact { .. }) {
            return vec![first];
        }
        let mut alternatives: Vec<(u32, NodeId)> = Vec::new();
        for g in self.groundings(rel, index, Mode::Any) {
            if let Some(node) = self.node_for(rel, index, g)
                && !self.rests_on(node, rel, tuple)
            {
                alternatives.push((self.nodes[node].height, node));
            }
        }
        alternatives.sort_by_key(|&(h, n)| (h, n));
        let mut out = vec![first];
        for (_, n) in alternatives {
            if out.len() >= k {
                break;
            }
            if !out.iter().any(|&o| same_instance(&self.nodes[o], &self.nodes[n])) {
                out.push(n);
            }
        }
        out
    }

    fn prove(&mut self, rel: RelId, index: usize) -> Option<NodeId> {
        if let Some(&known) = self.memo.get(&(rel, index)) {
            return known;
        }
        // Mark as in progress: strictly decreasing rounds make cycles impossible, but a
        // placeholder keeps a bug from recursing forever.
        self.memo.insert((rel, index), None);
        let tuple = self.model.relations[rel].get(index).to_vec();
        let result = if self.annotation(rel, index).rule == INPUT {
            let origins = self.origins(rel, &tuple);
            Some(self.push(Node { rel, tuple, height: 0, kind: NodeKind::Fact { origins } }))
        } else if let Some(node) = self.prove_by_path(rel, index) {
            Some(node)
        } else {
            let mut best: Option<NodeId> = None;
            for g in self.groundings(rel, index, Mode::Earlier) {
                if let Some(node) = self.node_for(rel, index, g)
                    && best.is_none_or(|b| self.nodes[node].height < self.nodes[b].height)
                {
                    best = Some(node);
                }
            }
            best
        };
        self.memo.insert((rel, index), result);
        result
    }

    /// A pair that an `eqrel` relation's closure added (the datafrog engine's union-find, or
    /// the closure rules elsewhere) is proved along a shortest path a – … – c through the
    /// pairs that generated the relation before it appeared (inputs and its own rules),
    /// with the closure rules: `(a, c)` by transitivity from `(a, v)` and the path's last
    /// step `(v, c)`, a one-step path by symmetry, `(a, a)` by reflexivity from a pair of
    /// `a`. `None` when the tuple is not such a pair (or no path is found: the caller then
    /// searches the rules as for any tuple).
    fn prove_by_path(&mut self, rel: RelId, index: usize) -> Option<NodeId> {
        let closure = *self.program.eqrel.iter().find(|e| e.rel == rel)?;
        let annotation = self.annotation(rel, index);
        if !closure.rules.iter().any(|&r| r as u32 == annotation.rule) {
            return None;
        }
        let graph = self.generators(rel, &closure.rules, annotation.round);
        let tuples = &self.model.relations[rel];
        let (a, c) = (tuples.get(index)[0], tuples.get(index)[1]);
        let [reflexive, symmetric, transitive] = closure.rules;
        let (rule, premises) = if a == c {
            let w = *graph.get(&a)?.iter().find(|&&w| w != a)?;
            (reflexive, vec![tuples.position(&[a, w])?])
        } else {
            let path = shortest_path(&graph, a, c)?;
            match path.as_slice() {
                [_, _] => (symmetric, vec![tuples.position(&[c, a])?]),
                [.., v, _] => (transitive, vec![tuples.position(&[a, *v])?, tuples.position(&[*v, c])?]),
                _ => return None,
            }
        };
        let premises: Vec<(RelId, usize)> = premises.into_iter().map(|i| (rel, i)).collect();
        let g =
            self.groundings(rel, index, Mode::Any).into_iter().find(|g| g.rule == rule && g.premises == premises)?;
        self.node_for(rel, index, g)
    }

    /// The graph of the pairs of `rel` derived before `round` other than by its closure
    /// `rules` (cached per relation and round).
    fn generators(&mut self, rel: RelId, rules: &[RuleId; 3], round: u32) -> std::rc::Rc<Generators> {
        if let Some(g) = self.generators.get(&(rel, round)) {
            return g.clone();
        }
        let mut graph = Generators::new();
        for (i, t) in self.model.relations[rel].iter().enumerate() {
            let a = self.annotation(rel, i);
            if a.round < round && !rules.iter().any(|&r| r as u32 == a.rule) {
                graph.entry(t[0]).or_default().push(t[1]);
                graph.entry(t[1]).or_default().push(t[0]);
            }
        }
        for neighbours in graph.values_mut() {
            neighbours.sort_unstable();
            neighbours.dedup();
        }
        let graph = std::rc::Rc::new(graph);
        self.generators.insert((rel, round), graph.clone());
        graph
    }

    /// Explains the premises of a grounding and makes its node.
    fn node_for(&mut self, rel: RelId, index: usize, g: Grounding) -> Option<NodeId> {
        let mut premises = Vec::with_capacity(g.premises.len());
        let mut height = 0;
        for &(prel, pindex) in &g.premises {
            let p = self.prove(prel, pindex)?;
            height = height.max(self.nodes[p].height);
            premises.push(p);
        }
        let tuple = self.model.relations[rel].get(index).to_vec();
        Some(self.push(Node {
            rel,
            tuple,
            height: height + 1,
            kind: NodeKind::Derived { rule: g.rule, env: g.env, premises, side: g.side },
        }))
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn origins(&mut self, rel: RelId, tuple: &[Value]) -> Vec<Origin> {
        if !self.fact_origins.contains_key(&rel) {
            let mut map: HashMap<Vec<Value>, Vec<Origin>> = HashMap::new();
            for (values, id) in self.facts.rows(&self.program.relations[rel].name).iter() {
                map.entry(values.to_vec()).or_default().push(Origin::Row(id));
            }
            for f in self.program.facts.iter().filter(|f| f.rel == rel) {
                map.entry(f.values.clone()).or_default().push(Origin::RuleFile(f.span));
            }
            self.fact_origins.insert(rel, map);
        }
        self.fact_origins[&rel].get(tuple).cloned().unwrap_or_default()
    }

    /// Whether a premise of `node` (at any depth) is the tuple `rel(tuple)` itself.
    fn rests_on(&self, node: NodeId, rel: RelId, tuple: &[Value]) -> bool {
        let mut stack: Vec<NodeId> = match &self.nodes[node].kind {
            NodeKind::Derived { premises, .. } => premises.clone(),
            NodeKind::Fact { .. } => return false,
        };
        let mut seen = std::collections::HashSet::new();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            let node = &self.nodes[n];
            if node.rel == rel && node.tuple == tuple {
                return true;
            }
            if let NodeKind::Derived { premises, .. } = &node.kind {
                stack.extend(premises);
            }
        }
        false
    }

    /// Every grounding of every rule of `rel` that derives its tuple `index`, found as
    /// `mode` says (premises always in body order).
    fn groundings(&mut self, rel: RelId, index: usize, mode: Mode) -> Vec<Grounding> {
        let round = self.annotation(rel, index).round;
        let stratum = self.model.stratum_of[rel];
        let tuple = self.model.relations[rel].get(index).to_vec();
        let mut out = Vec::new();
        let program = self.program;
        for rule in program.rules.iter().filter(|r| r.head == rel) {
            let mut env = vec![0; rule.num_vars()];
            let mut bound = vec![false; rule.num_vars()];
            if !bind_head(rule, &tuple, &mut env, &mut bound) {
                continue;
            }
            let order = if mode == Mode::Instances { self.order(rule, &bound) } else { None };
            let body = order.as_ref().map_or(rule.body.as_slice(), |o| o.body.as_slice());
            let limit = (mode == Mode::Earlier).then_some(RoundLimit { stratum, round });
            let mut search = Search::new(self, limit);
            search.instances = mode == Mode::Instances;
            search.body(body, &mut env, &mut bound, &mut |s, env| {
                if !head_matches(rule, &tuple, env, s.ex.symbols) {
                    return true;
                }
                let premises = order.as_ref().map_or_else(|| s.premises.clone(), |o| o.written(&s.premises));
                out.push(Grounding { rule: rule.id, env: env.to_vec(), premises, side: s.side.clone() });
                true
            });
        }
        out
    }

    /// The indices of `rel`'s tuples sorted by the columns `cols` (cached).
    fn index(&mut self, rel: RelId, cols: Vec<usize>) -> std::rc::Rc<Vec<u32>> {
        let tuples = &self.model.relations[rel];
        self.indices
            .entry((rel, cols))
            .or_insert_with_key(|(_, cols)| {
                let mut index: Vec<u32> = (0..tuples.len() as u32).collect();
                // Compared column by column in place: no key is built per comparison.
                let key = |i: u32| cols.iter().map(move |&c| tuples.get(i as usize)[c]);
                index.sort_by(|&a, &b| key(a).cmp(key(b)));
                std::rc::Rc::new(index)
            })
            .clone()
    }

    /// `rule`'s body most bound atom first for a search with `bound` bound (cached).
    fn order(&mut self, rule: &ir::Rule, bound: &[bool]) -> Option<std::rc::Rc<BoundFirst>> {
        if let Some((known, order)) = self.orders.get(&rule.id)
            && known == bound
        {
            return order.clone();
        }
        let order = BoundFirst::of(&rule.body, bound, self.model).map(std::rc::Rc::new);
        self.orders.insert(rule.id, (bound.to_vec(), order.clone()));
        order
    }

    /// Every rule instance that derives tuple `index` of `rel` from tuples anywhere in the
    /// model (no round limit): its rule and positive premises (relation, tuple index), in
    /// body order. The hyperedges of the derivation graph that grades are computed over.
    pub fn derivations(&mut self, rel: RelId, index: usize) -> Vec<(RuleId, Vec<(RelId, usize)>)> {
        self.groundings(rel, index, Mode::Instances).into_iter().map(|g| (g.rule, g.premises)).collect()
    }

    /// Every instance of `rule` over the whole model, bottom up (one pass over its body, no
    /// head bound): `f` gets the index of the tuple it derives and its positive premises
    /// (relation, tuple index), in body order. False, doing nothing, when the head uses
    /// `autoinc()` (its value is not a function of the bindings; use [`Self::derivations`]).
    pub fn instances(&mut self, rule: RuleId, f: &mut InstanceVisit) -> bool {
        let program = self.program;
        let rule = &program.rules[rule];
        if rule.head_args.iter().any(Expr::uses_autoinc) {
            return false;
        }
        let mut env = vec![0; rule.num_vars()];
        let mut bound = vec![false; rule.num_vars()];
        let mut head = Vec::with_capacity(rule.head_args.len());
        let mut search = Search::new(self, None);
        search.body(&rule.body, &mut env, &mut bound, &mut |s, env| {
            head.clear();
            for arg in &rule.head_args {
                match eval::evaluate_expr(arg, env, s.ex.symbols) {
                    Some(v) => head.push(v),
                    None => return true,
                }
            }
            if let Some(index) = s.ex.model.relations[rule.head].position(&head) {
                f(index, &s.premises);
            }
            true
        });
        true
    }

    /// How many tuples the searches for proofs and instances have tried to match against a
    /// rule's atoms so far (a measure of their work, for callers that bound it).
    pub fn tried(&self) -> u64 {
        self.tried
    }

    /// Where a tuple is stated: table rows and rule-file facts (empty for a tuple that is
    /// only derived).
    pub fn stated(&mut self, rel: RelId, tuple: &[Value]) -> Vec<Origin> {
        self.origins(rel, tuple)
    }

    /// Runs `f` on every binding of a rule body (over the whole model, no round limit),
    /// starting from the given partial bindings; `f` returns false to stop.
    pub fn enumerate(
        &mut self,
        body: &[Lit],
        env: &mut [Value],
        bound: &mut [bool],
        f: &mut dyn FnMut(&[Value]) -> bool,
    ) {
        let mut search = Search::new(self, None);
        search.body(body, env, bound, &mut |_, env| f(env));
    }

    /// Whether a pattern (with `None` for wildcards) matches any tuple of `rel`.
    pub fn any_match(&self, rel: RelId, pattern: &[Option<Value>]) -> Option<usize> {
        matches(&self.model.relations[rel], pattern).next()
    }
}

/// Two root proofs are the same instance when they use the same rule with the same bindings.
fn same_instance(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Derived { rule: r1, env: e1, .. }, NodeKind::Derived { rule: r2, env: e2, .. }) => {
            r1 == r2 && e1 == e2
        }
        _ => false,
    }
}

/// Binds head variables that stand alone as arguments, or under `+`, `-` and negation with
/// constants (`n(x + 1)`: `x` is the value minus one); false if a constant disagrees.
/// Without the second kind, proving the last step of a counter scanned every earlier step
/// at every step (quadratic).
pub fn bind_head(rule: &ir::Rule, tuple: &[Value], env: &mut [Value], bound: &mut [bool]) -> bool {
    for (arg, &v) in rule.head_args.iter().zip(tuple) {
        match arg {
            Expr::Var(x) if bound[*x] && env[*x] != v => return false,
            Expr::Var(x) if bound[*x] => {}
            Expr::Var(x) => {
                env[*x] = v;
                bound[*x] = true;
            }
            Expr::Const(c, _) if *c != v => return false,
            _ => {}
        }
    }
    for (arg, &v) in rule.head_args.iter().zip(tuple) {
        if matches!(arg, Expr::Binary(..) | Expr::Unary(..) | Expr::Cast(..)) && !invert(arg, to_number(v), env, bound)
        {
            return false;
        }
    }
    true
}

/// Binds the variable of `expr` so that `expr` equals `v`, where wrapping arithmetic makes
/// that value unique; false if the variable is bound to another value. Other expressions
/// are left to [`head_matches`].
fn invert(expr: &Expr, v: Number, env: &mut [Value], bound: &mut [bool]) -> bool {
    use crate::lang::syntax::ast::{BinaryOp, UnaryOp};
    // Unsigned arithmetic wraps alike (same bits); float arithmetic rounds: not inverted.
    let c = |e: &Expr| match e {
        Expr::Const(c, Type::Number | Type::Unsigned) => Some(to_number(*c)),
        _ => None,
    };
    match expr {
        Expr::Var(x) if bound[*x] => to_number(env[*x]) == v,
        Expr::Var(x) => {
            env[*x] = from_number(v);
            bound[*x] = true;
            true
        }
        Expr::Binary(BinaryOp::Add, Type::Number | Type::Unsigned, a, b) => match (c(a), c(b)) {
            (None, Some(k)) => invert(a, v.wrapping_sub(k), env, bound),
            (Some(k), None) => invert(b, v.wrapping_sub(k), env, bound),
            _ => true,
        },
        Expr::Binary(BinaryOp::Sub, Type::Number | Type::Unsigned, a, b) => match (c(a), c(b)) {
            (None, Some(k)) => invert(a, v.wrapping_add(k), env, bound),
            (Some(k), None) => invert(b, k.wrapping_sub(v), env, bound),
            _ => true,
        },
        // The same bits (a cast to a float may change a NaN's: left to `head_matches`).
        Expr::Cast(a, t) if *t != Type::Float => invert(a, v, env, bound),
        Expr::Unary(UnaryOp::Neg, Type::Number, a) => invert(a, v.wrapping_neg(), env, bound),
        _ => true,
    }
}

/// Whether the head, evaluated under complete bindings, is the tuple.
pub(crate) fn head_matches(rule: &ir::Rule, tuple: &[Value], env: &[Value], symbols: &mut Symbols) -> bool {
    rule.head_args
        .iter()
        .zip(tuple)
        .all(|(arg, &v)| arg.uses_autoinc() || eval::evaluate_expr(arg, env, symbols) == Some(v))
}

/// The vertices of a shortest path from `a` to `c` (breadth first, neighbours in order).
fn shortest_path(graph: &Generators, a: Value, c: Value) -> Option<Vec<Value>> {
    let mut parent: HashMap<Value, Value> = HashMap::from([(a, a)]);
    let mut queue = std::collections::VecDeque::from([a]);
    while let Some(u) = queue.pop_front() {
        if u == c {
            let mut path = vec![c];
            while *path.last()? != a {
                path.push(parent[path.last()?]);
            }
            path.reverse();
            return Some(path);
        }
        for &v in graph.get(&u).into_iter().flatten() {
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(v) {
                e.insert(u);
                queue.push_back(v);
            }
        }
    }
    None
}

#[derive(Clone, Copy)]
struct RoundLimit {
    stratum: usize,
    round: u32,
}

/// A depth-first enumeration of body bindings against the model.
struct Search<'s, 'a> {
    ex: &'s mut Explainer<'a>,
    limit: Option<RoundLimit>,
    premises: Vec<(RelId, usize)>,
    side: Vec<Side>,
    /// The variables each atom being matched bound, innermost last (one buffer for all).
    newly: Vec<usize>,
    /// Whether only the instances count ([`Mode::Instances`]): conditions that hold are not
    /// written out (their [`Side::Holds`] text is empty), and atoms may be looked up by an
    /// index ([`Search::index_for`]).
    instances: bool,
}

type Visit<'f, 's, 'a> = dyn FnMut(&mut Search<'s, 'a>, &[Value]) -> bool + 'f;

impl<'s, 'a> Search<'s, 'a> {
    fn new(ex: &'s mut Explainer<'a>, limit: Option<RoundLimit>) -> Search<'s, 'a> {
        Search { ex, limit, premises: Vec::new(), side: Vec::new(), newly: Vec::new(), instances: false }
    }

    /// Returns false when the visitor asked to stop.
    fn body(&mut self, lits: &[Lit], env: &mut [Value], bound: &mut [bool], visit: &mut Visit<'_, 's, 'a>) -> bool {
        let Some((lit, rest)) = lits.split_first() else { return visit(self, env) };
        match lit {
            Lit::Atom(atom) => self.body_atom(atom, rest, env, bound, visit),
            Lit::Negated(atom) => {
                let pattern = instantiate(atom, env, bound);
                if matches(&self.ex.model.relations[atom.rel], &pattern).next().is_some() {
                    return true;
                }
                self.side.push(Side::Absent { rel: atom.rel, pattern });
                let go_on = self.body(rest, env, bound, visit);
                self.side.pop();
                go_on
            }
            Lit::Filter { op, lhs, rhs, ty, span } => {
                let l = eval::evaluate_expr(lhs, env, self.ex.symbols);
                let r = eval::evaluate_expr(rhs, env, self.ex.symbols);
                let (Some(l), Some(r)) = (l, r) else { return true };
                if !eval::compare(*op, *ty, l, r, self.ex.symbols) {
                    return true;
                }
                let text = match lhs {
                    _ if self.instances => String::new(),
                    // A condition such as `match(p, s)` (lowered to `call != 0`): the call
                    // with its arguments' values.
                    Expr::Call { func, args, .. } if func.is_test() => self.test_call_text(*func, args, *op, env),
                    _ => condition_text(self.ex.sources.snippet(*span), *op, l, r, *ty, self.ex.symbols),
                };
                self.side.push(Side::Holds { text });
                let go_on = self.body(rest, env, bound, visit);
                self.side.pop();
                go_on
            }
            Lit::Assign { var, expr, .. } => {
                let value = if expr.uses_autoinc() && bound[*var] {
                    Some(env[*var])
                } else {
                    eval::evaluate_expr(expr, env, self.ex.symbols)
                };
                let Some(value) = value else { return true };
                self.with_value(*var, value, rest, env, bound, visit)
            }
            Lit::Range { var, ty, from, to, step, .. } => {
                let f = eval::evaluate_expr(from, env, self.ex.symbols);
                let t = eval::evaluate_expr(to, env, self.ex.symbols);
                let s = match step {
                    Some(s) => match eval::evaluate_expr(s, env, self.ex.symbols) {
                        Some(s) => Some(s),
                        None => return true,
                    },
                    None => None,
                };
                let (Some(f), Some(t)) = (f, t) else { return true };
                let range = Range::of(*ty, f, t, s);
                if bound[*var] {
                    let v = env[*var];
                    return if range.contains(v) { self.body(rest, env, bound, visit) } else { true };
                }
                // `x = range(a, b)` is lowered to a fresh variable `$r` for the range and
                // `x = $r`: when `x` is bound (a head variable), only that value can pass, so
                // try it alone instead of every value of the range (a scan per tuple made
                // the proofs of a range quadratic in its length).
                if let Some(v) = value_fixed_later(*var, rest, env, bound) {
                    return if range.contains(v) { self.with_value(*var, v, rest, env, bound, visit) } else { true };
                }
                for i in range {
                    if !self.with_value(*var, i, rest, env, bound, visit) {
                        return false;
                    }
                }
                true
            }
            Lit::Aggregate { var, func, target, ty, body, key, span } => {
                let fold = (*func, *ty);
                let (value, over, bindings) = self.aggregate(fold, target.as_ref(), body, key.as_deref(), env, bound);
                let Some(value) = value else { return true };
                let text = self.ex.sources.one_line(*span);
                self.side.push(Side::Aggregate { text, value, ty: *ty, over, bindings });
                let go_on = self.with_value(*var, value, rest, env, bound, visit);
                self.side.pop();
                go_on
            }
        }
    }

    /// Visits the bindings of `rest` for each tuple of the model matching `atom` (within the
    /// round limit), recording the tuple as a premise; false when the visitor asked to stop.
    fn body_atom(
        &mut self,
        atom: &ir::Atom,
        rest: &[Lit],
        env: &mut [Value],
        bound: &mut [bool],
        visit: &mut Visit<'_, 's, 'a>,
    ) -> bool {
        let model: &'a Model = self.ex.model;
        let tuples = &model.relations[atom.rel];
        let pattern = instantiate(atom, env, bound);
        match self.index_for(atom.rel, &pattern) {
            Some(index) => {
                let (lo, hi) = index_range(&index, tuples, &pattern);
                index[lo..hi].iter().all(|&i| self.candidate(atom, i as usize, rest, env, bound, visit))
            }
            None => matches(tuples, &pattern).all(|i| self.candidate(atom, i, rest, env, bound, visit)),
        }
    }

    /// [`Search::body_atom`] for one tuple matching the atom's pattern: binds it and visits
    /// the bindings of `rest`; false when the visitor asked to stop.
    fn candidate(
        &mut self,
        atom: &ir::Atom,
        index: usize,
        rest: &[Lit],
        env: &mut [Value],
        bound: &mut [bool],
        visit: &mut Visit<'_, 's, 'a>,
    ) -> bool {
        // The model outlives the search: its tuples are read in place, not copied.
        let model: &'a Model = self.ex.model;
        self.ex.tried += 1;
        if let Some(limit) = self.limit
            && model.stratum_of[atom.rel] == limit.stratum
            && self.ex.annotation(atom.rel, index).round >= limit.round
        {
            return true;
        }
        let mark = self.newly.len();
        let bound_all = bind_atom(atom, model.relations[atom.rel].get(index), env, bound, &mut self.newly);
        let go_on = bound_all && {
            self.premises.push((atom.rel, index));
            let go_on = self.body(rest, env, bound, visit);
            self.premises.pop();
            go_on
        };
        unbind(bound, &self.newly[mark..]);
        self.newly.truncate(mark);
        go_on || !bound_all
    }

    /// When searching for instances, an index of `rel` by the pattern's bound columns if
    /// they are not a prefix (the tuples' own order serves a prefix) and the relation is
    /// small enough to sort ([`INDEX_LIMIT`]).
    fn index_for(&mut self, rel: RelId, pattern: &[Option<Value>]) -> Option<std::rc::Rc<Vec<u32>>> {
        if !self.instances || self.ex.model.relations[rel].len() > INDEX_LIMIT {
            return None;
        }
        let cols: Vec<usize> = (0..pattern.len()).filter(|&c| pattern[c].is_some()).collect();
        if cols.iter().enumerate().all(|(i, &c)| i == c) {
            return None;
        }
        Some(self.ex.index(rel, cols))
    }

    /// The text of a test call such as `match(p, s)` (lowered to `call != 0`) with its
    /// arguments' values, `!` in front when it must fail.
    fn test_call_text(&mut self, func: ir::Functor, args: &[Expr], op: CompareOp, env: &[Value]) -> String {
        let values: Vec<String> = args
            .iter()
            .enumerate()
            .map(|(i, a)| match eval::evaluate_expr(a, env, self.ex.symbols) {
                Some(v) => literal(v, func.def().param(i), self.ex.symbols),
                None => "?".to_string(),
            })
            .collect();
        let not = if op == CompareOp::Eq { "!" } else { "" };
        format!("{not}{}({})", func.def().name, values.join(", "))
    }

    fn with_value(
        &mut self,
        var: usize,
        value: Value,
        rest: &[Lit],
        env: &mut [Value],
        bound: &mut [bool],
        visit: &mut Visit<'_, 's, 'a>,
    ) -> bool {
        if bound[var] {
            return if env[var] == value { self.body(rest, env, bound, visit) } else { true };
        }
        env[var] = value;
        bound[var] = true;
        let go_on = self.body(rest, env, bound, visit);
        bound[var] = false;
        go_on
    }

    /// An aggregate's value under `env`, the premises of its first [`MAX_AGGREGATED`]
    /// bindings by value, and how many bindings it ranges over (see
    /// `ir::Lit::Aggregate::key`: with a key, each binding of it counts once and shows its
    /// smallest premises).
    fn aggregate(
        &mut self,
        (func, ty): (AggregateFunc, Type),
        target: Option<&Expr>,
        body: &[Lit],
        key: Option<&[ir::VarId]>,
        env: &mut [Value],
        bound: &mut [bool],
    ) -> (Option<Value>, Vec<Atoms>, usize) {
        let mut inner = Search::new(&mut *self.ex, None);
        let mut fold = eval::Fold::new(func, ty);
        let mut distinct = eval::Distinct::new(key);
        let mut env2 = env.to_vec();
        let mut bound2 = bound.to_vec();
        // The first bindings by value (symbols by string), so the proof reads the same
        // whatever order the symbols were interned in.
        let mut kept: Vec<(Vec<SortKey>, Option<Vec<Value>>, Atoms)> = Vec::new();
        let mut bindings = 0;
        inner.body(body, &mut env2, &mut bound2, &mut |s, e| {
            if distinct.first(e) {
                fold.add(target.and_then(|t| eval::evaluate_expr(t, e, s.ex.symbols)));
                bindings += 1;
            }
            let (program, model, symbols) = (s.ex.program, s.ex.model, &*s.ex.symbols);
            let order = sort_key(program, model, symbols, &s.premises);
            let binding: Option<Vec<Value>> = key.map(|k| k.iter().map(|&v| e[v]).collect());
            // A binding already kept keeps its smallest premises.
            if let Some(i) = kept.iter().position(|(_, b, _)| binding.is_some() && *b == binding) {
                if kept[i].0 <= order {
                    return true;
                }
                kept.remove(i);
            }
            if kept.len() == MAX_AGGREGATED && kept.last().is_some_and(|(k, ..)| *k <= order) {
                return true;
            }
            let at = kept.partition_point(|(k, ..)| *k <= order);
            let atoms = s.premises.iter().map(|&(r, i)| (r, model.relations[r].get(i).to_vec())).collect();
            kept.insert(at, (order, binding, atoms));
            kept.truncate(MAX_AGGREGATED);
            true
        });
        (fold.result(), kept.into_iter().map(|(_, _, atoms)| atoms).collect(), bindings)
    }
}

/// The value a later literal forces on `var`: `y = var` (or `var = y`, `y == var` as a
/// comparison) with `y` already bound.
pub(crate) fn value_fixed_later(var: usize, rest: &[Lit], env: &[Value], bound: &[bool]) -> Option<Value> {
    rest.iter().find_map(|lit| match lit {
        Lit::Assign { var: y, expr: Expr::Var(x), .. } if *x == var && bound[*y] => Some(env[*y]),
        Lit::Filter { op: CompareOp::Eq, lhs: Expr::Var(a), rhs: Expr::Var(b), .. } => match (*a == var, *b == var) {
            (true, false) if bound[*b] => Some(env[*b]),
            (false, true) if bound[*a] => Some(env[*a]),
            _ => None,
        },
        _ => None,
    })
}

/// One value as it sorts for people: numbers numerically, symbols by string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    /// [`crate::base::value::numeric_key`] of a value of a numeric type.
    Number(i64),
    Symbol(String),
}

/// The sort key of a list of premises: each relation's name, then its values.
fn sort_key(program: &ir::Program, model: &Model, symbols: &Symbols, premises: &[(RelId, usize)]) -> Vec<SortKey> {
    let mut key = Vec::new();
    for &(rel, index) in premises {
        let decl = &program.relations[rel];
        key.push(SortKey::Symbol(decl.name.clone()));
        for (&v, &t) in model.relations[rel].get(index).iter().zip(&decl.types) {
            key.push(match t {
                Type::Symbol | Type::Record(_) => SortKey::Symbol(crate::base::value::display(v, t, symbols)),
                t => SortKey::Number(crate::base::value::numeric_key(v, t)),
            });
        }
    }
    key
}

pub(crate) fn unbind(bound: &mut [bool], vars: &[usize]) {
    for &v in vars {
        bound[v] = false;
    }
}

/// The atom's pattern under the current bindings: `None` where any value may match.
pub(crate) fn instantiate(atom: &ir::Atom, env: &[Value], bound: &[bool]) -> Vec<Option<Value>> {
    atom.args
        .iter()
        .map(|a| match *a {
            Arg::Const(c) => Some(c),
            Arg::Var(v) if bound[v] => Some(env[v]),
            _ => None,
        })
        .collect()
}

/// Binds an atom's free variables to a matching tuple; false if a repeated variable clashes.
pub(crate) fn bind_atom(
    atom: &ir::Atom,
    tuple: &[Value],
    env: &mut [Value],
    bound: &mut [bool],
    newly: &mut Vec<usize>,
) -> bool {
    for (arg, &v) in atom.args.iter().zip(tuple) {
        if let Arg::Var(x) = *arg {
            if bound[x] {
                if env[x] != v {
                    return false;
                }
            } else {
                env[x] = v;
                bound[x] = true;
                newly.push(x);
            }
        }
    }
    true
}

/// Indices of the tuples matching a pattern. Tuples are sorted by value, so a bound prefix
/// is found by binary search; the remaining columns are checked one by one.
pub fn matches<'t>(tuples: &'t Tuples, pattern: &'t [Option<Value>]) -> impl Iterator<Item = usize> + 't {
    // Nothing is allocated: the explainer's searches call this once per partial binding.
    let n = pattern.iter().take_while(|p| p.is_some()).count();
    let (prefix, rest) = pattern.split_at(n);
    let prefix = move |t: &[Value]| t[..n].iter().copied().cmp(prefix.iter().flatten().copied());
    let (mut lo, mut hi) = (0, tuples.len());
    if n > 0 {
        lo = partition(tuples, |t| prefix(t).is_lt());
        hi = lo + partition_from(tuples, lo, |t| prefix(t).is_eq());
    }
    (lo..hi).filter(move |&i| tuples.get(i)[n..].iter().zip(rest).all(|(v, p)| p.is_none_or(|p| p == *v)))
}

/// The range of `index` (tuple indices sorted by the pattern's bound columns) whose tuples
/// agree with the pattern's bound columns.
fn index_range(index: &[u32], tuples: &Tuples, pattern: &[Option<Value>]) -> (usize, usize) {
    let key = |i: u32| {
        let t = tuples.get(i as usize);
        pattern
            .iter()
            .zip(t)
            .filter_map(|(p, &v)| p.map(|p| v.cmp(&p)))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    let lo = index.partition_point(|&i| key(i).is_lt());
    let hi = lo + index[lo..].partition_point(|&i| key(i).is_eq());
    (lo, hi)
}

fn partition(tuples: &Tuples, pred: impl Fn(&[Value]) -> bool) -> usize {
    let (mut lo, mut hi) = (0, tuples.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(tuples.get(mid)) { lo = mid + 1 } else { hi = mid }
    }
    lo
}

fn partition_from(tuples: &Tuples, start: usize, pred: impl Fn(&[Value]) -> bool) -> usize {
    let (mut lo, mut hi) = (start, tuples.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(tuples.get(mid)) { lo = mid + 1 } else { hi = mid }
    }
    lo - start
}

/// `x != z` shown with its values: `x != z  ("Egypt" != "Haftar")`.
fn condition_text(source: &str, op: CompareOp, l: Value, r: Value, ty: Type, symbols: &Symbols) -> String {
    let source = crate::base::source::one_line(source);
    format!("{source}  ({} {} {})", literal(l, ty, symbols), op.symbol(), literal(r, ty, symbols))
}

pub use crate::base::value::literal;

/// `rel("a", 1)` as written in a rule file. A constraint's hidden relation has a name no one
/// wrote, so its tuple is shown as the violation's bindings: `violation(x = "a", n = 1)`.
pub fn atom_text(program: &ir::Program, rel: RelId, tuple: &[Value], symbols: &Symbols) -> String {
    let r = &program.relations[rel];
    if program.is_constraint(rel) {
        let bindings: Vec<String> = r
            .columns
            .iter()
            .zip(tuple.iter().zip(&r.types))
            .map(|(c, (&v, &t))| format!("{c} = {}", literal(v, t, symbols)))
            .collect();
        return format!("violation({})", bindings.join(", "));
    }
    let args: Vec<String> = tuple.iter().zip(&r.types).map(|(&v, &t)| literal(v, t, symbols)).collect();
    format!("{}({})", r.name, args.join(", "))
}

/// A pattern with `_` for wildcards.
pub fn pattern_text(program: &ir::Program, rel: RelId, pattern: &[Option<Value>], symbols: &Symbols) -> String {
    let r = &program.relations[rel];
    let args: Vec<String> = pattern
        .iter()
        .zip(&r.types)
        .map(|(v, &t)| v.map(|v| literal(v, t, symbols)).unwrap_or_else(|| "_".into()))
        .collect();
    format!("{}({})", r.name, args.join(", "))
}
