//! `stance report`: one self-contained HTML file for reviewers. A summary, the network drawn
//! as inline SVG (layout computed here, see [`crate::picture::layout`]), a searchable table of the
//! derived claims whose rows expand into their proofs, the contradictions with the proofs
//! that collide, and claim verdicts when given.
//!
//! Nothing is fetched: styles and the small script are inline, and a Content-Security-Policy
//! forbids any network access. Every string from rules and facts reaches the page either
//! HTML-escaped ([`escape`]) or as JSON inside a data `<script>` block ([`script_json`]) that
//! the page's script turns into DOM nodes with `textContent` only, never as markup.
//!
//! Violations and claim verdicts are plain data ([`Violation`], [`ClaimVerdict`]) so that
//! whatever computes them only has to fill these structs.

use crate::base::markup::{Markup, escape_markup};
use crate::base::stamp::Stamp;
use crate::facts::asof::{DAWN, Day, FOREVER, Interval, day_text};
use crate::lang::ir::RelId;
use crate::picture::layout;
use crate::picture::network::{self, EdgeClass, FLAGGED_COLOUR, Network, NetworkOptions, TupleRef};
use crate::proof::explain;
use crate::proof::grades::Grades;
use crate::proof::provenance::{Explainer, NodeId, atom_text};
use crate::proof::timeline::interval_text;
use crate::render::output;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The table lists at most this many claims unless told otherwise (`--max-claims`).
pub const DEFAULT_MAX_CLAIMS: usize = 2000;
/// The picture draws at most this many actors and edges: the most connected actors.
pub const MAX_PICTURE_ACTORS: usize = 300;
/// The picture draws at most this many edges (see [`MAX_PICTURE_ACTORS`]).
pub const MAX_PICTURE_EDGES: usize = 3000;

/// A constraint violation ("contradiction"): the constraint, where it is written, the
/// tuples that collide, and the proofs of those tuples (each in the shape of
/// [`explain::proof_json`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The constraint as written.
    pub constraint: String,
    /// Where it is written (`rules/c.dl:3`).
    pub location: String,
    /// The tuples that collide.
    pub tuples: Vec<TupleRef>,
    /// The proofs of those tuples.
    pub proofs: Vec<Json>,
}

/// A reviewer's claim and what the model says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimVerdict {
    /// The claim as written (`aligned("Egypt", "Haftar")`, `!conflict(...)`, `count ...`).
    pub claim: String,
    /// Where it is written (`claims/libya.claims:5`).
    pub location: String,
    /// The verdict, such as `SUPPORTED` or `FAILED` (see [`crate::review::verdicts::Verdict`]).
    pub verdict: String,
    /// What the knowledge base says (the verdict before the expectation is compared).
    pub found: String,
    /// Whether the claim file's expectation is met.
    pub ok: bool,
    /// The comment lines above the claim.
    pub note: Option<String>,
    /// What else backs the verdict, as `stance review` prints it (the why-not, the colliding
    /// proofs, the matches), or what failed.
    pub detail: String,
    /// The proof of a claim that holds, in the shape of [`explain::proof_json`].
    pub proof: Option<Json>,
}

/// How many tuples a relation has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationCount {
    /// The relation's name.
    pub name: String,
    /// Whether it is an `.output` relation.
    pub output: bool,
    /// Its number of tuples.
    pub tuples: usize,
}

/// One row of the claims table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRow {
    /// The relation the claim is a tuple of.
    pub relation: String,
    /// The tuple as an atom: `aligned("Egypt", "Haftar")`.
    pub text: String,
    /// Index of the proof's root in [`Input::proof_nodes`].
    pub proof: Option<usize>,
    /// What its best proof is worth (`B2, confidence 0.8`), when the data has grades.
    pub grade: Option<String>,
}

/// When a row of the claims table held (`report --with-time`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowTime {
    /// Its maximal intervals (none: it holds on no single day, only when every statement is
    /// taken at once).
    pub intervals: Vec<Interval>,
    /// Its changes and the statements behind them, as `stance timeline` prints them (the
    /// lines after the first).
    pub changes: String,
}

/// When each claim and each edge of the network held (`report --with-time`), from the
/// temporal model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeView {
    /// One per row of the claims table, in order.
    pub rows: Vec<RowTime>,
    /// The days each edge of the network holds, by (relation, actor, actor) as the edge
    /// names them.
    pub edges: BTreeMap<(String, String, String), Vec<Interval>>,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The page's title (`--title`).
    pub title: String,
    /// Rule files and facts directory, as given.
    pub inputs: Vec<String>,
    /// Number of input facts: table rows and facts written in rule files.
    pub facts: usize,
    /// Rules, not counting constraints (`:- body.`), which are counted apart.
    pub rules: usize,
    /// Number of constraints.
    pub constraints: usize,
    /// The derived relations (not the hidden relations of constraints).
    pub derived: Vec<RelationCount>,
    /// The stance network drawn on the page.
    pub network: Network,
    /// The claims table, at most `max_claims` rows.
    pub rows: Vec<ClaimRow>,
    /// Rows there would be without the `max_claims` cap.
    pub total_rows: usize,
    /// One shared proof DAG for all rows, nodes as [`explain::node_json`] writes them.
    pub proof_nodes: Vec<Json>,
    /// The constraint violations found.
    pub violations: Vec<Violation>,
    /// The claim verdicts, when a claims file was given.
    pub claims: Option<Vec<ClaimVerdict>>,
    /// What changes the answers (stance's version, `--as-of`), shown in the header.
    pub stamp: Stamp,
    /// When the claims and edges held, when asked for (`--with-time`): the page then has a
    /// "held" column and a day slider on the network; without it, no trace of time.
    pub time: Option<TimeView>,
}

/// What the `report` subcommand's options ask of the page.
pub struct ReportOptions {
    /// The page's title.
    pub title: String,
    /// Which relations make the network and how its edges are coloured.
    pub network: NetworkOptions,
    /// The most rows the claims table lists (`--max-claims`).
    pub max_claims: usize,
}

/// Gathers the page's data from an evaluated model (evaluated with recording on, so that
/// proofs can be rebuilt by `ex`).
pub fn collect(
    ex: &mut Explainer,
    options: &ReportOptions,
    violations: Vec<Violation>,
    claims: Option<Vec<ClaimVerdict>>,
) -> Result<Input, crate::base::diag::Diagnostic> {
    let (program, model) = (ex.program, ex.model);
    let flagged: Vec<TupleRef> = violations.iter().flat_map(|v| v.tuples.iter().cloned()).collect();
    let mut network = network::build(program, model, ex.symbols, &options.network, &flagged)?;
    if let Some(grading) = ex.grading {
        network.grade_edges(program, model, ex.symbols, grading);
    }
    let derived = (0..program.relations.len())
        .filter(|&r| program.is_derived(r) && !program.is_constraint(r))
        .map(|r| RelationCount {
            name: program.relations[r].name.clone(),
            output: !program.relations[r].outputs.is_empty(),
            tuples: model.relations[r].len(),
        })
        .collect();
    let facts = ex.facts.len() + program.facts.len();
    let rules = program.rules.iter().filter(|r| !r.is_fact && !program.is_constraint(r.head)).count();
    let shown: Vec<RelId> = program.shown_relations();
    let total_rows = shown.iter().map(|&r| model.relations[r].len()).sum();

    let program_constraints = program.constraints.len();
    let picked = picked_claims(program, model, ex.symbols, options.max_claims);
    let roots: Vec<Option<NodeId>> = picked.iter().map(|(rel, tuple)| ex.explain(*rel, tuple)).collect();
    // Number the nodes reachable from the roots, depth first, so shared subproofs appear once.
    let (order, index) = explain::number_nodes(ex, roots.iter().flatten().copied());
    let proof_nodes = order.iter().map(|&n| explain::node_json(ex, n, &index)).collect();
    let rows = picked
        .iter()
        .zip(&roots)
        .map(|((rel, tuple), root)| ClaimRow {
            relation: ex.program.relations[*rel].name.clone(),
            text: atom_text(ex.program, *rel, tuple, ex.symbols),
            proof: root.map(|r| index[&r]),
            grade: ex.grading.zip(model.relations[*rel].position(tuple)).map(|(g, i)| g.text(*rel, i)),
        })
        .collect();
    Ok(Input {
        title: options.title.clone(),
        inputs: Vec::new(),
        facts,
        rules,
        constraints: program_constraints,
        derived,
        network,
        rows,
        total_rows,
        proof_nodes,
        violations,
        claims,
        stamp: Stamp::default(),
        time: None,
    })
}

/// The claims the table lists: the shown relations' tuples in display order, at most `max`.
pub fn picked_claims(
    program: &crate::lang::ir::Program,
    model: &crate::engine::eval::Model,
    symbols: &crate::base::value::Symbols,
    max: usize,
) -> Vec<(RelId, Vec<crate::base::value::Value>)> {
    let mut picked = Vec::new();
    'relations: for rel in program.shown_relations() {
        let tuples = &model.relations[rel];
        for i in output::display_order(tuples, &program.relations[rel].types, symbols) {
            if picked.len() >= max {
                break 'relations;
            }
            picked.push((rel, tuples.get(i).to_vec()));
        }
    }
    picked
}

/// Escapes text for HTML element content and for quoted attribute values alike.
pub fn escape(text: &str) -> String {
    escape_markup(text, Markup::Html)
}

/// JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&` are written
/// as `\u003c`-style escapes (only ever inside JSON strings), so no `</script>` or `<!--`
/// can end or change the block; U+2028 and U+2029 are escaped too.
pub fn script_json(value: &Json) -> String {
    let text = serde_json::to_string(value).expect("JSON values always serialise");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The page's style and script, inline (the CSP forbids fetching anything).
const STYLE: &str = include_str!("report.css");
/// The page's only behaviour (see the file's first lines).
const SCRIPT: &str = include_str!("report.js");
/// The day slider's behaviour and style, on pages with time only (so that a page without
/// time is what it was before time existed).
const TIME_SCRIPT: &str = include_str!("report_time.js");
const TIME_STYLE: &str = "#network .absent{display:none}#time-controls output{font-weight:600}\
td.held{white-space:nowrap}td.held pre{white-space:pre-wrap;font-size:12px;margin:4px 0}";

/// The days each edge of the picture holds, in the picture's order (an edge the view does
/// not know holds on no day).
fn edge_intervals<'t>(picture: &Network, time: &'t TimeView) -> Vec<&'t [Interval]> {
    picture
        .edges
        .iter()
        .map(|e| {
            let key = (e.relation.clone(), picture.actors[e.from].name.clone(), picture.actors[e.to].name.clone());
            time.edges.get(&key).map_or(&[][..], Vec::as_slice)
        })
        .collect()
}

/// The days on which the picture changes (an edge's first day, or the day after its last),
/// ascending: the slider's stops.
fn change_days(intervals: &[&[Interval]]) -> Vec<Day> {
    let mut days = std::collections::BTreeSet::new();
    for iv in intervals.iter().flat_map(|ivs| ivs.iter()) {
        if iv.from != DAWN {
            days.insert(iv.from);
        }
        if iv.until != FOREVER {
            days.insert(iv.until + 1);
        }
    }
    days.into_iter().collect()
}

/// The slider's data: its stops and each drawn edge's intervals as `[from, until]` (`null`
/// for an open end), in the order the edges are drawn.
pub fn time_json(picture: &Network, time: &TimeView) -> Json {
    let intervals = edge_intervals(picture, time);
    let day = |d: Day| if d == DAWN || d == FOREVER { Json::Null } else { Json::from(day_text(d)) };
    let edges: Vec<Json> =
        intervals.iter().map(|ivs| ivs.iter().map(|iv| json!([day(iv.from), day(iv.until)])).collect()).collect();
    let days: Vec<String> = change_days(&intervals).into_iter().map(day_text).collect();
    json!({ "days": days, "edges": edges })
}

/// The slider over the days the picture changes, and its last stop, "every day" (the
/// picture as drawn).
fn time_controls_html(stops: usize, out: &mut String) {
    let _ = write!(
        out,
        "<div class=\"controls\" id=\"time-controls\"><label for=\"day\">Network as of</label><button type=\"button\" id=\"day-prev\" aria-label=\"earlier\">\u{25c0}</button><input id=\"day\" type=\"range\" min=\"0\" max=\"{stops}\" value=\"{stops}\" step=\"1\"><button type=\"button\" id=\"day-next\" aria-label=\"later\">\u{25b6}</button><output id=\"day-label\" for=\"day\">every day</output><span class=\"note\">Each stop is a day on which an edge begins or ends; the last shows every edge that holds on some day.</span></div>"
    );
}

/// A claim's "held" cell: its intervals, opening onto its changes and their statements.
fn held_html(row: &RowTime, out: &mut String) {
    let held = if row.intervals.is_empty() {
        "on no single day".to_string()
    } else {
        row.intervals.iter().map(|iv| interval_text(*iv)).collect::<Vec<_>>().join("; ")
    };
    if row.changes.is_empty() {
        let _ = write!(out, "<td class=\"held\">{}</td>", escape(&held));
    } else {
        let _ = write!(
            out,
            "<td class=\"held\"><details class=\"timeline\"><summary>{}</summary><pre>{}</pre></details></td>",
            escape(&held),
            escape(&row.changes)
        );
    }
}

/// The relations the picture draws, in legend order (alignment, conflict, other, stated; by
/// name), each with its class and colour.
fn relation_colours(network: &Network) -> Vec<(String, EdgeClass, &'static str)> {
    let mut rels: Vec<(EdgeClass, String)> = network.edges.iter().map(|e| (e.class, e.relation.clone())).collect();
    rels.sort_by_key(|(c, name)| ((c.style().0 + 3) % 4, name.clone()));
    rels.dedup();
    let mut used = [0usize; 4];
    rels.into_iter()
        .map(|(class, name)| {
            let (k, style) = class.style();
            let colour = style.palette[used[k] % style.palette.len()];
            used[k] += 1;
            (name, class, colour)
        })
        .collect()
}

/// The actors the picture draws: all of them, or the most connected ones (ties by name)
/// such that at most [`MAX_PICTURE_ACTORS`] actors and [`MAX_PICTURE_EDGES`] edges are
/// drawn, with the edges among them.
fn picture_network(network: &Network) -> Network {
    if network.actors.len() <= MAX_PICTURE_ACTORS && network.edges.len() <= MAX_PICTURE_EDGES {
        return network.clone();
    }
    let mut degree = vec![0usize; network.actors.len()];
    for e in &network.edges {
        degree[e.from] += 1;
        degree[e.to] += 1;
    }
    let mut ranked: Vec<usize> = (0..network.actors.len()).collect();
    ranked.sort_by_key(|&a| (std::cmp::Reverse(degree[a]), a));
    let mut keep = ranked.len().min(MAX_PICTURE_ACTORS);
    loop {
        let picked = subnetwork(network, &ranked[..keep]);
        if picked.edges.len() <= MAX_PICTURE_EDGES || keep <= 1 {
            return picked;
        }
        keep = keep * 4 / 5;
    }
}

/// The given actors (in name order) and the edges among them.
fn subnetwork(network: &Network, actors: &[usize]) -> Network {
    let mut kept = actors.to_vec();
    kept.sort_unstable();
    let mut renumber = vec![usize::MAX; network.actors.len()];
    for (new, &old) in kept.iter().enumerate() {
        renumber[old] = new;
    }
    Network {
        actors: kept.iter().map(|&a| network.actors[a].clone()).collect(),
        edges: network
            .edges
            .iter()
            .filter(|e| renumber[e.from] != usize::MAX && renumber[e.to] != usize::MAX)
            .map(|e| network::Edge { from: renumber[e.from], to: renumber[e.to], ..e.clone() })
            .collect(),
    }
}

/// The actors' positions in a `width` by `height` box, laid out by their stated edges
/// (an actor without one, by its derived edges).
fn network_layout(network: &Network, width: f64, height: f64) -> Vec<(f64, f64)> {
    let n = network.actors.len();
    let mut stated = vec![false; n];
    for e in network.edges.iter().filter(|e| e.class == EdgeClass::Stated) {
        stated[e.from] = true;
        stated[e.to] = true;
    }
    let pairs: Vec<(usize, usize)> = network
        .edges
        .iter()
        .filter(|e| e.class == EdgeClass::Stated || !stated[e.from] || !stated[e.to])
        .map(|e| (e.from, e.to))
        .collect();
    layout::layout(n, &pairs, width, height)
}

/// Draws the network's edges as curves (those between the same two actors fanned out),
/// from rim to rim of circles of `radius`; returns where each edge's label goes.
fn edges_svg(
    network: &Network,
    pos: &[(f64, f64)],
    colour_of: &BTreeMap<&str, usize>,
    radius: f64,
    out: &mut String,
) -> Vec<(f64, f64)> {
    // Edges between the same two actors, in order, to spread them apart.
    let mut bundle: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, e) in network.edges.iter().enumerate() {
        bundle.entry((e.from.min(e.to), e.from.max(e.to))).or_default().push(i);
    }
    let mut label_at = Vec::with_capacity(network.edges.len());
    for (i, e) in network.edges.iter().enumerate() {
        let key = (e.from.min(e.to), e.from.max(e.to));
        let group = &bundle[&key];
        let slot = group.iter().position(|&j| j == i).unwrap_or(0) as f64 - (group.len() as f64 - 1.0) / 2.0;
        let ((x1, y1), (x2, y2)) = (pos[e.from], pos[e.to]);
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(0.01);
        // Offsets are measured against the pair's canonical direction, so that edges of both
        // directions between the same pair fan out on different sides.
        let sign = if e.from <= e.to { 1.0 } else { -1.0 };
        let (nx, ny) = (-dy / len * sign, dx / len * sign);
        let bend = slot * 16.0;
        let (cx, cy) = ((x1 + x2) / 2.0 + nx * bend * 2.0, (y1 + y2) / 2.0 + ny * bend * 2.0);
        // The curve's midpoint, where its label goes.
        label_at.push((0.25 * x1 + 0.5 * cx + 0.25 * x2, 0.25 * y1 + 0.5 * cy + 0.25 * y2 + 3.0));
        // Start and end at the circles' rims.
        let shorten = |(px, py): (f64, f64), (qx, qy): (f64, f64)| {
            let (ux, uy) = (qx - px, qy - py);
            let l = (ux * ux + uy * uy).sqrt().max(0.01);
            (px + ux / l * radius, py + uy / l * radius)
        };
        let (sx, sy) = shorten((x1, y1), (cx, cy));
        let (ex, ey) = shorten((x2, y2), (cx, cy));
        let k = colour_of[e.relation.as_str()];
        let mut classes = format!("edge {} r{k}", e.class.name());
        if e.flagged {
            classes.push_str(" flagged");
        }
        let marker = match (e.directed, e.flagged) {
            (false, _) => String::new(),
            (true, true) => " marker-end=\"url(#arrow-flagged)\"".to_string(),
            (true, false) => format!(" marker-end=\"url(#arrow-r{k})\""),
        };
        let (a, b) = (&network.actors[e.from].name, &network.actors[e.to].name);
        let arrow = if e.directed { "\u{2192}" } else { "\u{2194}" };
        // Shaded by grade: faint for weak evidence, dotted for none.
        let (shade, grade) = match e.grade {
            _ if e.undecided => {
                classes.push_str(" undecided");
                (String::new(), ", undecided".to_string())
            }
            Some(g) if g == Grades::NONE => {
                classes.push_str(" ungraded");
                (" stroke-opacity=\"0.25\"".to_string(), ", no grade".to_string())
            }
            Some(g) => {
                let opacity = 0.25 + 0.75 * crate::picture::graph::grade_strength(g);
                (format!(" stroke-opacity=\"{opacity:.2}\""), format!(", grade {g}"))
            }
            None => (String::new(), String::new()),
        };
        let _ = write!(
            out,
            "<path class=\"{classes}\" data-a=\"{}\" data-b=\"{}\" data-relation=\"{}\"{shade} d=\"M{sx:.1},{sy:.1}Q{cx:.1},{cy:.1} {ex:.1},{ey:.1}\"{marker}><title>{}: {} {arrow} {}{grade}</title></path>",
            e.from,
            e.to,
            escape(&e.relation),
            escape(&e.relation),
            escape(a),
            escape(b)
        );
    }
    label_at
}

/// The network as inline SVG: one colour per relation (`r{k}`, the index in `colours`),
/// parallel edges between one pair bent apart, arrows for relations that hold in one
/// direction only, and each edge's label (shown on hover, for the focused actor, or all).
fn network_svg(network: &Network, colours: &[(String, EdgeClass, &str)], out: &mut String) {
    let n = network.actors.len();
    // Wide rather than tall: the page's width is what a reader has.
    let width = (1400.0 * (n as f64 / 60.0).sqrt()).max(1400.0).round();
    let height = (width * 0.5).round();
    // The layout follows what sources state: derived edges (which tie most of a dense core
    // to most of the rest) would pull it into a knot. An actor with no stated edge is placed
    // by its derived ones.
    let pos = network_layout(network, width, height);
    // Crop the box to the drawing, so a wide picture leaves no empty band.
    let top = pos.iter().map(|p| p.1).fold(f64::MAX, f64::min).min(height / 2.0) - 30.0;
    let bottom = pos.iter().map(|p| p.1).fold(f64::MIN, f64::max).max(height / 2.0) + 30.0;
    let (top, view_height) = (top.max(0.0).round(), (bottom - top.max(0.0)).round());
    let _ = write!(
        out,
        "<svg id=\"network\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 {top} {width} {view_height}\" role=\"img\" aria-label=\"stance network: {n} actors, {} edges\">",
        network.edges.len()
    );
    out.push_str("<defs>");
    let markers = colours.iter().enumerate().map(|(k, (_, _, c))| (format!("r{k}"), *c));
    for (id, colour) in markers.chain(std::iter::once(("flagged".to_string(), FLAGGED_COLOUR))) {
        let _ = write!(
            out,
            "<marker id=\"arrow-{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"{colour}\"/></marker>"
        );
    }
    out.push_str("</defs><g id=\"edges\">");
    let colour_of: BTreeMap<&str, usize> =
        colours.iter().enumerate().map(|(k, (name, _, _))| (name.as_str(), k)).collect();
    let radius = 7.0;
    let label_at = edges_svg(network, &pos, &colour_of, radius, out);
    out.push_str("</g><g id=\"actors\">");
    for (i, actor) in network.actors.iter().enumerate() {
        let (x, y) = pos[i];
        let flagged = if actor.flagged { " flagged" } else { "" };
        let name = escape(&actor.name);
        let (tx, ty) = (x + 10.0, y + 4.0);
        let _ = write!(
            out,
            "<g class=\"actor{flagged}\" data-id=\"{i}\" data-name=\"{name}\" tabindex=\"0\"><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius}\"/><text x=\"{tx:.1}\" y=\"{ty:.1}\" data-x=\"{tx:.1}\" data-y=\"{ty:.1}\">{name}</text><title>{name}</title></g>"
        );
    }
    out.push_str("</g><g id=\"edge-labels\">");
    for (e, (x, y)) in network.edges.iter().zip(&label_at) {
        let k = colour_of[e.relation.as_str()];
        let _ = write!(
            out,
            "<text class=\"elabel r{k}\" text-anchor=\"middle\" x=\"{x:.1}\" y=\"{y:.1}\" data-x=\"{x:.1}\" data-y=\"{y:.1}\">{}</text>",
            escape(&e.relation)
        );
    }
    out.push_str("</g></svg>");
}

fn stat(out: &mut String, value: usize, label: &str) {
    let _ = write!(out, "<div class=\"stat\"><b>{value}</b>{}</div>", escape(label));
}

/// A claim's verdict as a card: the badge, the claim, where it is written, its note, what
/// backs the verdict, and its proof (a tree the script builds from the data block).
fn verdict_card(out: &mut String, i: usize, c: &ClaimVerdict) {
    let badge = c.verdict.replace(' ', "-");
    let _ = write!(
        out,
        "<div class=\"card verdict\"><div><span class=\"badge {}\">{}</span><span class=\"concl\">{}</span> <span class=\"note\">{}</span>",
        escape(&badge),
        escape(&c.verdict),
        escape(&c.claim),
        escape(&c.location)
    );
    if c.verdict != c.found {
        let _ = write!(out, " <span class=\"note\">(found: {})</span>", escape(&c.found));
    }
    out.push_str("</div>");
    if let Some(note) = &c.note {
        let _ = write!(out, "<div class=\"note\">{}</div>", escape(note));
    }
    if !c.detail.is_empty() {
        let _ = write!(out, "<div class=\"detail\">{}</div>", escape(&c.detail));
    }
    if c.proof.is_some() {
        let _ = write!(out, "<details data-verdict=\"{i}\"><summary>proof</summary></details>");
    }
    out.push_str("</div>");
}

/// The header's summary counts, then the page's navigation.
fn summary_html(input: &Input, out: &mut String) {
    let derived_total: usize = input.derived.iter().map(|r| r.tuples).sum();
    out.push_str("<div class=\"stats\" id=\"summary\">");
    if let Some(claims) = &input.claims {
        // As `stance review` counts them: a claim passes when its expectation is met.
        stat(out, claims.iter().filter(|c| c.ok).count(), "claims passed");
        stat(out, claims.iter().filter(|c| !c.ok).count(), "claims failed");
    }
    stat(out, input.violations.len(), "contradictions");
    stat(out, input.network.actors.len(), "actors");
    stat(out, derived_total, "derived tuples");
    stat(out, input.facts, "facts");
    stat(out, input.rules, "rules");
    if input.constraints > 0 {
        stat(out, input.constraints, "constraints");
    }
    out.push_str("</div></header>\n<nav><a href=\"#network-section\">Network</a>");
    if input.claims.is_some() {
        out.push_str("<a href=\"#verdicts\">Claim verdicts</a>");
    }
    out.push_str("<a href=\"#contradictions\">Contradictions</a><a href=\"#claims-section\">Derived claims</a><a href=\"#relations-section\">Relations</a></nav>\n<main>\n");
}

/// The section listing each violated constraint with its colliding tuples.
fn contradictions_html(input: &Input, out: &mut String) {
    out.push_str("<section id=\"contradictions\" class=\"narrow\"><h2>Contradictions</h2>");
    if input.violations.is_empty() {
        out.push_str("<p>No constraint is violated.</p>");
    }
    for (i, v) in input.violations.iter().enumerate() {
        let tuples: Vec<String> = v
            .tuples
            .iter()
            .map(|t| {
                format!("{}({})", t.relation, t.values.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "))
            })
            .collect();
        let _ = write!(
            out,
            "<div class=\"card violation\"><div class=\"concl\">{}</div><div class=\"note\">{}</div><div>colliding: <span class=\"mono\">{}</span></div><div class=\"proofs\" data-violation=\"{i}\"></div></div>",
            escape(&v.constraint),
            escape(&v.location),
            escape(&tuples.join(", "))
        );
    }
    out.push_str("</section>\n");
}

/// The section with the filterable table of derived claims.
fn claims_table_html(input: &Input, out: &mut String) {
    let _ = write!(
        out,
        "<section id=\"claims-section\" class=\"narrow\"><h2>Derived claims</h2><p><input id=\"search\" type=\"search\" placeholder=\"Filter claims\" aria-label=\"Filter claims\"> <span class=\"note\"><span id=\"shown\">{}</span> shown",
        input.rows.len()
    );
    if input.rows.len() < input.total_rows {
        let _ = write!(out, "; the first {} of {} claims (--max-claims)", input.rows.len(), input.total_rows);
    }
    let graded = input.rows.iter().any(|r| r.grade.is_some());
    let grade_th = if graded { "<th>grade</th>" } else { "" };
    let held_th = if input.time.is_some() { "<th>held</th>" } else { "" };
    let _ = write!(
        out,
        ". Click a claim for its proof.</span></p><table id=\"claims\"><thead><tr><th>relation</th><th>claim</th>{grade_th}{held_th}</tr></thead><tbody>"
    );
    for (i, row) in input.rows.iter().enumerate() {
        let text = escape(&row.text);
        let _ = write!(
            out,
            "<tr data-search=\"{}\"><td>{}</td><td>",
            escape(&row.text.to_lowercase()),
            escape(&row.relation)
        );
        match row.proof {
            Some(p) => {
                let _ = write!(out, "<details data-proof=\"{p}\"><summary>{text}</summary></details>");
            }
            None => {
                let _ = write!(out, "<span class=\"concl\">{text}</span> <span class=\"note\">(no proof found)</span>");
            }
        }
        if graded {
            let _ = write!(out, "</td><td class=\"grade\">{}", escape(row.grade.as_deref().unwrap_or("")));
        }
        out.push_str("</td>");
        if let Some(held) = input.time.as_ref().and_then(|t| t.rows.get(i)) {
            held_html(held, out);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></section>\n");
}

/// The whole page. Same input, same bytes.
pub fn render(input: &Input) -> String {
    let mut out = String::new();
    let title = escape(&input.title);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(out, "<meta name=\"generator\" content=\"{}\">", escape(&input.stamp.line()));
    let picture = picture_network(&input.network);
    let colours = relation_colours(&picture);
    let _ = write!(out, "<title>{title}</title><style>{STYLE}");
    for (k, (_, _, c)) in colours.iter().enumerate() {
        let _ = write!(out, ".edge.r{k}{{stroke:{c}}}.elabel.r{k}{{fill:{c}}}i.r{k}{{border-color:{c}}}");
    }
    if input.time.is_some() {
        out.push_str(TIME_STYLE);
    }
    let _ = write!(out, "</style></head>\n<body><header><h1>{title}</h1>");
    let mut about = input.inputs.clone();
    about.push(input.stamp.line());
    let _ = write!(out, "<p>{}</p>", escape(&about.join(" \u{b7} ")));

    // The summary, in the header.
    summary_html(input, &mut out);

    // Network, first and as wide as the page.
    out.push_str("<section id=\"network-section\"><h2>Network</h2><div class=\"legend\" id=\"legend\">");
    for (k, (name, class, _)) in colours.iter().enumerate() {
        let count = picture.edges.iter().filter(|e| &e.relation == name).count();
        let dashed = if *class == EdgeClass::Conflict { " style=\"border-top-style:dashed\"" } else { "" };
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" checked data-relation-filter=\"{}\"><i class=\"r{k}\"{dashed}></i>{} <span class=\"note\">({}, {count})</span></label>",
            escape(name),
            escape(name),
            class.name()
        );
    }
    out.push_str(
        "<label><i style=\"border-color:#ff7f0e;border-top-width:4px\"></i>part of a contradiction</label></div>",
    );
    out.push_str("<div class=\"controls\"><input id=\"actor-search\" type=\"search\" placeholder=\"Find an actor\" aria-label=\"Find an actor\"><span class=\"note\" id=\"actor-matches\"></span><label><input type=\"checkbox\" id=\"all-labels\"> show every edge label</label><span class=\"note\">Hover over an edge for its relation, over an actor for its edges; click an actor to keep the highlight. Untick a relation to hide it.</span></div>");
    if let Some(time) = &input.time {
        time_controls_html(change_days(&edge_intervals(&picture, time)).len(), &mut out);
    }
    if picture.actors.len() < input.network.actors.len() {
        let _ = write!(
            out,
            "<p class=\"note\">Showing the {} most connected of {} actors ({} of {} edges); \
             <code>stance graph --focus ACTOR</code> draws any neighbourhood.</p>",
            picture.actors.len(),
            input.network.actors.len(),
            picture.edges.len(),
            input.network.edges.len()
        );
    }
    network_svg(&picture, &colours, &mut out);
    out.push_str("</section>\n");

    // Claim verdicts.
    if let Some(claims) = &input.claims {
        out.push_str("<section id=\"verdicts\" class=\"narrow\"><h2>Claim verdicts</h2>");
        for (i, c) in claims.iter().enumerate() {
            verdict_card(&mut out, i, c);
        }
        out.push_str("</section>\n");
    }

    // Contradictions.
    contradictions_html(input, &mut out);

    // Claims table.
    claims_table_html(input, &mut out);

    // Relations.
    out.push_str("<section id=\"relations-section\" class=\"narrow\"><h2>Relations</h2><table id=\"relations\"><thead><tr><th>derived relation</th><th class=\"num\">tuples</th></tr></thead><tbody>");
    for r in &input.derived {
        let mark = if r.output { " <span class=\"note\">(.output)</span>" } else { "" };
        let _ = write!(out, "<tr><td>{}{mark}</td><td class=\"num\">{}</td></tr>", escape(&r.name), r.tuples);
    }
    out.push_str("</tbody></table></section>\n</main>\n");

    let violation_proofs: Vec<Json> = input.violations.iter().map(|v| Json::Array(v.proofs.clone())).collect();
    let verdict_proofs: Vec<Json> =
        input.claims.iter().flatten().map(|c| c.proof.clone().unwrap_or(Json::Null)).collect();
    let mut data = json!({ "nodes": input.proof_nodes, "violations": violation_proofs, "verdicts": verdict_proofs });
    if let Some(time) = &input.time {
        data["time"] = time_json(&picture, time);
    }
    let _ = writeln!(out, "<script type=\"application/json\" id=\"stance-data\">{}</script>", script_json(&data));
    let time_script = if input.time.is_some() { TIME_SCRIPT } else { "" };
    let _ = write!(out, "<script>{SCRIPT}{time_script}</script>\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::network::{Actor, Edge};

    const HOSTILE: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>'&amp;";

    fn input() -> Input {
        Input {
            title: format!("report {HOSTILE}"),
            inputs: vec![HOSTILE.into()],
            facts: 3,
            rules: 2,
            constraints: 1,
            derived: vec![RelationCount { name: "aligned".into(), output: true, tuples: 1 }],
            network: Network {
                actors: vec![Actor { name: HOSTILE.into(), flagged: true }, Actor { name: "B".into(), flagged: false }],
                edges: vec![Edge {
                    from: 0,
                    to: 1,
                    relation: "aligned".into(),
                    class: EdgeClass::Alignment,
                    directed: false,
                    flagged: true,
                    grade: None,
                    undecided: false,
                }],
            },
            rows: vec![ClaimRow {
                relation: "aligned".into(),
                text: format!("aligned(\"{HOSTILE}\", \"B\")"),
                proof: Some(0),
                grade: None,
            }],
            total_rows: 1,
            proof_nodes: vec![
                json!({"id": 0, "kind": "fact", "conclusion": HOSTILE, "sources": [{"file": "f.csv", "line": 2, "metadata": {"quote": HOSTILE}}]}),
            ],
            violations: vec![Violation {
                constraint: format!(":- aligned(x, y), conflict(x, y). // {HOSTILE}"),
                location: "rules/c.dl:3".into(),
                tuples: vec![TupleRef { relation: "aligned".into(), values: vec![HOSTILE.into(), "B".into()] }],
                proofs: vec![
                    json!({"root": 0, "nodes": [{"id": 0, "kind": "fact", "conclusion": HOSTILE, "sources": []}]}),
                ],
            }],
            claims: Some(vec![
                ClaimVerdict {
                    claim: HOSTILE.into(),
                    location: "c.claims:1".into(),
                    verdict: "SUPPORTED".into(),
                    found: "SUPPORTED".into(),
                    ok: true,
                    note: Some(HOSTILE.into()),
                    detail: HOSTILE.into(),
                    proof: Some(
                        json!({"root": 0, "nodes": [{"id": 0, "kind": "fact", "conclusion": HOSTILE, "sources": []}]}),
                    ),
                },
                ClaimVerdict {
                    claim: "x".into(),
                    location: "c.claims:2".into(),
                    verdict: "FAILED".into(),
                    found: "NOT SUPPORTED".into(),
                    ok: false,
                    note: None,
                    detail: String::new(),
                    proof: None,
                },
            ]),
            stamp: Stamp::new(Some("2016-11-28".into())),
            time: None,
        }
    }

    #[test]
    fn big_networks_are_cut_to_the_most_connected_actors() {
        let n = 400;
        let actors = (0..n).map(|i| Actor { name: format!("a{i:03}"), flagged: false }).collect();
        // A star around a000 and a clique among a001..a090 (4005 edges).
        let mut edges = Vec::new();
        let edge = |from, to| Edge {
            from,
            to,
            relation: "r".into(),
            class: EdgeClass::Stated,
            directed: true,
            flagged: false,
            grade: None,
            undecided: false,
        };
        for i in 1..n {
            edges.push(edge(0, i));
        }
        for i in 1..=90 {
            for j in (i + 1)..=90 {
                edges.push(edge(i, j));
            }
        }
        let big = Network { actors, edges };
        let picture = picture_network(&big);
        assert!(picture.actors.len() <= MAX_PICTURE_ACTORS && picture.edges.len() <= MAX_PICTURE_EDGES);
        assert_eq!(picture.actors[0].name, "a000", "the hub is kept");
        let page = render(&Input { network: big, ..input() });
        assert!(page.contains(&format!("Showing the {} most connected of 400 actors", picture.actors.len())));
    }

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            escape(HOSTILE),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&amp;amp;"
        );
        let j = script_json(&json!({"q": "</script><!-- \u{2028}&"}));
        assert_eq!(j, r#"{"q":"\u003c/script\u003e\u003c!-- \u2028\u0026"}"#);
        let back: Json = serde_json::from_str(&j).unwrap();
        assert_eq!(back["q"], "</script><!-- \u{2028}&");
    }

    #[test]
    fn hostile_text_never_becomes_markup() {
        let page = render(&input());
        // The page's own elements only: one data block, one script, no images.
        assert_eq!(page.matches("<script").count(), 2, "{page}");
        assert_eq!(page.matches("</script>").count(), 2);
        assert!(!page.contains("<img"));
        assert!(!page.contains("onerror=alert(1)>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        assert!(page.contains("data-name=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"));
        // Every `"` inside an attribute value is escaped, so attributes cannot be broken out of.
        assert!(!page.contains("\"><img"));
    }

    #[test]
    fn page_shows_summary_verdicts_contradictions_and_is_deterministic() {
        let page = render(&input());
        assert!(page.contains(
            "<div class=\"stat\"><b>3</b>facts</div><div class=\"stat\"><b>2</b>rules</div><div class=\"stat\"><b>1</b>constraints</div>"
        ));
        assert!(page.contains("<text class=\"elabel r0\" text-anchor=\"middle\""));
        assert!(page.contains("<div class=\"stat\"><b>1</b>contradictions</div>"));
        assert!(page.contains(
            "<div class=\"stat\"><b>1</b>claims passed</div><div class=\"stat\"><b>1</b>claims failed</div>"
        ));
        assert!(page.contains("<span class=\"badge FAILED\">FAILED</span><span class=\"concl\">x</span> <span class=\"note\">c.claims:2</span> <span class=\"note\">(found: NOT SUPPORTED)</span>"));
        assert!(page.contains("<details data-verdict=\"0\"><summary>proof</summary></details>"));
        assert!(page.contains("class=\"edge alignment r0 flagged\" data-a=\"0\" data-b=\"1\""));
        assert!(page.contains(".edge.r0{stroke:#2ca02c}"));
        assert!(page.contains("<input type=\"checkbox\" checked data-relation-filter=\"aligned\">"));
        assert!(page.contains(&format!("stance {}, as of 2016-11-28", env!("CARGO_PKG_VERSION"))));
        // The network comes first, after the header's summary and the navigation bar.
        let at = |s: &str| page.find(s).unwrap();
        assert!(at("<nav>") < at("id=\"network-section\"") && at("id=\"network-section\"") < at("id=\"verdicts\""));
        assert!(page.contains("<g class=\"actor flagged\" data-id=\"0\""));
        assert!(page.contains("data-violation=\"0\""));
        assert!(page.contains("<details data-proof=\"0\">"));
        assert!(!page.contains("http://") || page.matches("http://").count() == 1, "only the SVG namespace");
        assert_eq!(page, render(&input()));
        let mut without = input();
        without.claims = None;
        assert!(!render(&without).contains("Claim verdicts"));
    }
}
