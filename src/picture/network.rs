//! The stance network: actors and the edges between them, as `stance graph` and
//! `stance report` draw it.
//!
//! Which tuples become edges is decided by the program's shape, not by relation names:
//! - an *actor* is a symbol in either position of a drawn binary `symbol × symbol` relation;
//! - *stated* edges come from every binary symbol relation that no rule derives (the input
//!   statements), one per relation and pair of actors;
//! - *derived* edges come from the selected derived binary symbol relations: by default the
//!   `.output` ones (every derived one when none is marked), or those named by `--relations`.
//!
//! A derived relation's colour class (alignment, conflict, other) comes from its name by a
//! small documented rule ([`EdgeClass::by_name`]), overridable per relation. A pair of actors
//! related in both directions by one relation is one undirected edge; otherwise the edge
//! points from subject to object.

use crate::base::diag::{Code, Diagnostic, did_you_mean};
use crate::base::value::{Symbols, Type, Value};
use crate::engine::eval::Model;
use crate::lang::ir::{Program, RelId};
use crate::proof::grades::{Grades, Grading};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How an edge is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeClass {
    /// An input statement: thin grey, labelled with its relation.
    Stated,
    /// A derived alignment: green.
    Alignment,
    /// A derived conflict: red, dashed.
    Conflict,
    /// Any other derived relation: blue, labelled with its relation.
    Other,
}

/// How one class of edge looks: the one table of edge classes and their colours, read by
/// the Graphviz drawing (`graph`: one colour per class) and the report (`report`: one colour
/// per relation, taken in order from the class's palette). A new class or colour goes here.
pub struct ClassStyle {
    /// The class.
    pub class: EdgeClass,
    /// Its name, as `--class REL=NAME` takes it.
    pub name: &'static str,
    /// Its colour in the Graphviz drawing.
    pub colour: &'static str,
    /// The colours of its relations in the report; a class with more relations than colours
    /// reuses them in order.
    pub palette: &'static [&'static str],
}

/// Every edge class, in the report's palette order. Greens for alignments, reds for
/// conflicts, blues and purples for other derived relations, the rest for stated ones;
/// orange ([`FLAGGED_COLOUR`]) is kept for the edges of a contradiction.
pub const EDGE_CLASSES: [ClassStyle; 4] = [
    ClassStyle {
        class: EdgeClass::Stated,
        name: "stated",
        colour: "#9a9a9a",
        palette: &[
            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#c49c94", "#17becf", "#9467bd", "#5254a3", "#8c6d31",
            "#7b4173", "#ad494a", "#637939", "#e7ba52", "#6b6ecf", "#ce6dbd", "#9edae5", "#bd9e39", "#a55194",
            "#393b79", "#c7c7c7",
        ],
    },
    ClassStyle {
        class: EdgeClass::Alignment,
        name: "alignment",
        colour: "#2e9d42",
        palette: &["#2ca02c", "#98df8a", "#637939", "#b5cf6b"],
    },
    ClassStyle {
        class: EdgeClass::Conflict,
        name: "conflict",
        colour: "#d62728",
        palette: &["#d62728", "#ff9896", "#843c39", "#d6616b"],
    },
    ClassStyle {
        class: EdgeClass::Other,
        name: "other",
        colour: "#3b6fb6",
        palette: &["#1f77b4", "#9467bd", "#17becf", "#aec7e8", "#393b79"],
    },
];

/// The colour of the edges and actors of a constraint violation, in every picture.
pub const FLAGGED_COLOUR: &str = "#ff7f0e";

impl EdgeClass {
    /// This class's row of [`EDGE_CLASSES`], and its position there.
    pub fn style(self) -> (usize, &'static ClassStyle) {
        let i = EDGE_CLASSES.iter().position(|s| s.class == self).unwrap_or(0);
        (i, &EDGE_CLASSES[i])
    }

    /// The default class of a derived relation, by the words of its name (split at `_`): a
    /// word starting with `align`, `allie`, `allia` or `support`, or the word `ally`, makes
    /// an alignment; a word starting with `conflict`, `hostil`, `enem`, `oppos`, `rival` or
    /// `fight`, or the word `war`, makes a conflict (checked first); anything else is `other`.
    pub fn by_name(relation: &str) -> EdgeClass {
        let name = relation.to_ascii_lowercase();
        let words: Vec<&str> = name.split('_').collect();
        let has = |prefixes: &[&str], exact: &str| {
            words.iter().any(|w| *w == exact || prefixes.iter().any(|p| w.starts_with(p)))
        };
        if has(&["conflict", "hostil", "enem", "oppos", "rival", "fight"], "war") {
            EdgeClass::Conflict
        } else if has(&["align", "allie", "allia", "support"], "ally") {
            EdgeClass::Alignment
        } else {
            EdgeClass::Other
        }
    }

    /// The class's name, as `--class` takes it and the CSS uses it.
    pub fn name(self) -> &'static str {
        self.style().1.name
    }

    /// Parses a `--class` value's class name.
    pub fn parse(name: &str) -> Option<EdgeClass> {
        EDGE_CLASSES.iter().find(|s| s.name == name).map(|s| s.class)
    }
}

/// A tuple named by text, as violations and claim verdicts refer to tuples.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TupleRef {
    /// The relation's name.
    pub relation: String,
    /// The tuple's values, as text.
    pub values: Vec<String>,
}

/// What to draw.
#[derive(Debug, Clone, Default)]
pub struct NetworkOptions {
    /// Derived relations to draw; `None`: the `.output` ones (every derived one when none is marked).
    pub relations: Option<Vec<String>>,
    /// Colour classes that override [`EdgeClass::by_name`], by relation name.
    pub classes: BTreeMap<String, EdgeClass>,
    /// Leave out the stated (input) edges.
    pub hide_statements: bool,
}

/// A node of the network: an actor named in some drawn relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The actor's name.
    pub name: String,
    /// Named in a constraint violation.
    pub flagged: bool,
}

/// An edge of the network: one tuple (or a symmetric pair) of a drawn relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Index into [`Network::actors`]. For an undirected edge, `from` sorts first.
    pub from: usize,
    /// Index into [`Network::actors`].
    pub to: usize,
    /// The relation the tuple is of.
    pub relation: String,
    /// How the edge is coloured.
    pub class: EdgeClass,
    /// False when the relation holds in both directions (drawn once, without an arrow).
    pub directed: bool,
    /// The tuple (either direction) is part of a constraint violation.
    pub flagged: bool,
    /// What the tuple's best proof is worth (the better of both directions), when the data
    /// has grades; see [`Network::grade_edges`].
    pub grade: Option<Grades>,
    /// In a defeasible program, the tuple is `undecided` (supported, neither proved nor
    /// refuted: two reports of equal standing disagree), not proved: drawn, but marked.
    pub undecided: bool,
}

/// Actors sorted by name; edges sorted by class, relation, then actor names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// The actors.
    pub actors: Vec<Actor>,
    /// The edges.
    pub edges: Vec<Edge>,
}

fn is_binary_symbol(program: &Program, rel: RelId) -> bool {
    program.relations[rel].types == [Type::Symbol, Type::Symbol]
}

/// The derived relations to draw, checked: each must exist and be binary over symbols.
pub fn selected_relations(program: &Program, options: &NetworkOptions) -> Result<Vec<RelId>, Diagnostic> {
    let Some(names) = &options.relations else {
        return Ok(program.shown_relations().into_iter().filter(|&r| is_binary_symbol(program, r)).collect());
    };
    let mut ids = Vec::new();
    for name in names {
        // A constraint's hidden relation is not drawn: its violations flag the edges instead.
        let Some(id) = program.relation_id(name).filter(|&id| !program.is_constraint(id)) else {
            let mut d = Diagnostic::error(Code::UnknownRelation, format!("unknown relation `{name}`"));
            let names = program.relations.iter().map(|r| r.name.as_str());
            if let Some(s) = did_you_mean(name, names.filter(|n| !n.starts_with(crate::lang::ir::CONSTRAINT_PREFIX))) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            return Err(d);
        };
        if !is_binary_symbol(program, id) {
            let rel = &program.relations[id];
            let types: Vec<&str> = rel.types.iter().map(|t| t.name()).collect();
            return Err(Diagnostic::error(
                Code::NotAGraphRelation,
                format!("`{name}({})` cannot be drawn as edges", types.join(", ")),
            )
            .with_help("the network draws binary relations over symbols, such as `aligned(x: symbol, y: symbol)`"));
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Builds the network of a model. `flagged` tuples (from constraint violations) mark their
/// edges and every actor they name.
pub fn build(
    program: &Program,
    model: &Model,
    symbols: &Symbols,
    options: &NetworkOptions,
    flagged: &[TupleRef],
) -> Result<Network, Diagnostic> {
    let selected = selected_relations(program, options)?;
    let mut drawn: Vec<(RelId, EdgeClass)> = Vec::new();
    if !options.hide_statements {
        for rel in 0..program.relations.len() {
            if is_binary_symbol(program, rel) && !program.is_derived(rel) && !selected.contains(&rel) {
                drawn.push((rel, EdgeClass::Stated));
            }
        }
    }
    for &rel in &selected {
        let name = &program.relations[rel].name;
        let class = options.classes.get(name).copied().unwrap_or_else(|| EdgeClass::by_name(name));
        drawn.push((rel, class));
    }

    // (class, relation, a, b) → (directed, undecided); names rather than ids so the order
    // is by text. A pair proved in one direction and undecided in the other is proved.
    let mut edges: BTreeMap<(EdgeClass, String, String, String), (bool, bool)> = BTreeMap::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let undecided = undecided_pairs(model, program.relations.len());
    for &(rel, class) in &drawn {
        let relation = &program.relations[rel].name;
        let proved: BTreeSet<(Value, Value)> = model.relations[rel].iter().map(|t| (t[0], t[1])).collect();
        let pairs: BTreeSet<(Value, Value)> = proved.union(&undecided[rel]).copied().collect();
        for &(s, o) in &pairs {
            let (a, b) = (symbols.resolve(s).to_string(), symbols.resolve(o).to_string());
            let both = pairs.contains(&(o, s));
            if both && a > b {
                continue; // drawn once, from the other direction
            }
            let is_proved = proved.contains(&(s, o)) || (both && proved.contains(&(o, s)));
            names.insert(a.clone());
            names.insert(b.clone());
            edges.insert((class, relation.clone(), a, b), (!both, !is_proved));
        }
    }

    let flagged_pairs: BTreeSet<(&str, &str, &str)> = flagged
        .iter()
        .filter(|t| t.values.len() == 2)
        .map(|t| (t.relation.as_str(), t.values[0].as_str(), t.values[1].as_str()))
        .collect();
    let flagged_actors: BTreeSet<&str> = flagged.iter().flat_map(|t| t.values.iter().map(String::as_str)).collect();

    let actors: Vec<Actor> =
        names.iter().map(|n| Actor { name: n.clone(), flagged: flagged_actors.contains(n.as_str()) }).collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let edges = edges
        .into_iter()
        .map(|((class, relation, a, b), (directed, undecided))| {
            let flagged = flagged_pairs.contains(&(relation.as_str(), a.as_str(), b.as_str()))
                || flagged_pairs.contains(&(relation.as_str(), b.as_str(), a.as_str()));
            let (from, to) = (index[a.as_str()], index[b.as_str()]);
            Edge { from, to, relation, class, directed, flagged, grade: None, undecided }
        })
        .collect();
    Ok(Network { actors, edges })
}

/// Per relation, the pairs of the binary tuples a defeasible theory leaves `undecided`
/// (none for a program of strict rules): the model holds only the proved ones.
fn undecided_pairs(model: &Model, relations: usize) -> Vec<BTreeSet<(Value, Value)>> {
    let mut pairs = vec![BTreeSet::new(); relations];
    let Some(c) = model.defeasible.as_deref() else { return pairs };
    for a in 0..c.len() as u32 {
        let (rel, tuple) = c.literal(a);
        if c.status[a as usize] == crate::engine::defeasible::Status::Undecided && tuple.len() == 2 && rel < relations {
            pairs[rel].insert((tuple[0], tuple[1]));
        }
    }
    pairs
}

impl Network {
    /// Gives each edge its tuple's grade (for an undirected edge, the better of the two
    /// directions' grades).
    pub fn grade_edges(&mut self, program: &Program, model: &Model, symbols: &Symbols, grading: &Grading) {
        for e in &mut self.edges {
            let Some(rel) = program.relation_id(&e.relation) else { continue };
            let (a, b) = (&self.actors[e.from].name, &self.actors[e.to].name);
            let (Some(a), Some(b)) = (symbols.get(a), symbols.get(b)) else { continue };
            let tuples = &model.relations[rel];
            let directions = if e.directed { vec![[a, b]] } else { vec![[a, b], [b, a]] };
            let found = directions.iter().filter_map(|t| tuples.position(t));
            e.grade = found.map(|i| grading.grades(rel, i)).reduce(Grades::join);
        }
    }

    /// The index of the actor named `name`, if any.
    pub fn actor(&self, name: &str) -> Option<usize> {
        self.actors.binary_search_by(|a| a.name.as_str().cmp(name)).ok()
    }

    /// The actors within `depth` edges of `actor` (in either direction), and the edges among
    /// them. An unknown actor is an error with the closest known name.
    pub fn focus(&self, actor: &str, depth: usize) -> Result<Network, Diagnostic> {
        let Some(start) = self.actor(actor) else {
            let mut d = Diagnostic::error(Code::UnknownActor, format!("no actor named \"{actor}\" in the network"));
            if let Some(s) = did_you_mean(actor, self.actors.iter().map(|a| a.name.as_str())) {
                d = d.with_help(format!("did you mean \"{s}\"?"));
            } else {
                d = d.with_note(format!("the network has {} actors; `stance graph` lists them", self.actors.len()));
            }
            return Err(d);
        };
        let mut neighbours = vec![Vec::new(); self.actors.len()];
        for e in &self.edges {
            neighbours[e.from].push(e.to);
            neighbours[e.to].push(e.from);
        }
        let mut distance = vec![usize::MAX; self.actors.len()];
        distance[start] = 0;
        let mut queue = VecDeque::from([start]);
        while let Some(a) = queue.pop_front() {
            if distance[a] == depth {
                continue;
            }
            for &b in &neighbours[a] {
                if distance[b] == usize::MAX {
                    distance[b] = distance[a] + 1;
                    queue.push_back(b);
                }
            }
        }
        let kept: Vec<usize> = (0..self.actors.len()).filter(|&a| distance[a] != usize::MAX).collect();
        let mut renumber = vec![usize::MAX; self.actors.len()];
        for (new, &old) in kept.iter().enumerate() {
            renumber[old] = new;
        }
        let actors = kept.iter().map(|&a| self.actors[a].clone()).collect();
        let edges = self
            .edges
            .iter()
            .filter(|e| renumber[e.from] != usize::MAX && renumber[e.to] != usize::MAX)
            .map(|e| Edge { from: renumber[e.from], to: renumber[e.to], ..e.clone() })
            .collect();
        Ok(Network { actors, edges })
    }

    /// Edge counts per class, for summaries.
    pub fn count(&self, class: EdgeClass) -> usize {
        self.edges.iter().filter(|e| e.class == class).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Network {
        let actor = |n: &str| Actor { name: n.into(), flagged: false };
        let edge = |from, to, class| Edge {
            from,
            to,
            relation: "r".into(),
            class,
            directed: true,
            flagged: false,
            grade: None,
            undecided: false,
        };
        Network {
            actors: vec![actor("A"), actor("B"), actor("C"), actor("D")],
            edges: vec![
                edge(0, 1, EdgeClass::Stated),
                edge(1, 2, EdgeClass::Alignment),
                edge(2, 3, EdgeClass::Conflict),
            ],
        }
    }

    #[test]
    fn classes_by_name() {
        assert_eq!(EdgeClass::by_name("aligned"), EdgeClass::Alignment);
        assert_eq!(EdgeClass::by_name("allied_with"), EdgeClass::Alignment);
        assert_eq!(EdgeClass::by_name("conflict"), EdgeClass::Conflict);
        assert_eq!(EdgeClass::by_name("hostile"), EdgeClass::Conflict);
        assert_eq!(EdgeClass::by_name("engages"), EdgeClass::Other);
        assert_eq!(EdgeClass::by_name("formally_meets"), EdgeClass::Other);
        assert_eq!(EdgeClass::by_name("software"), EdgeClass::Other);
    }

    #[test]
    fn focus_keeps_the_neighbourhood() {
        let n = example();
        let one = n.focus("B", 1).unwrap();
        let names: Vec<&str> = one.actors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C"]);
        assert_eq!(one.edges.len(), 2);
        assert_eq!((one.edges[1].from, one.edges[1].to), (1, 2));
        let two = n.focus("A", 2).unwrap();
        assert_eq!(two.actors.len(), 3);
        assert_eq!(n.focus("A", 0).unwrap().actors.len(), 1);
    }

    #[test]
    fn focus_on_an_unknown_actor_suggests_one() {
        let d = example().focus("Bb", 1).unwrap_err();
        assert_eq!(d.code, Code::UnknownActor);
        assert_eq!(d.message, "no actor named \"Bb\" in the network");
        assert_eq!(d.help.as_deref(), Some("did you mean \"B\"?"));
    }
}
