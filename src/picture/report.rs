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

use crate::lang::ir::RelId;
use crate::picture::layout;
use crate::picture::network::{self, EdgeClass, Network, NetworkOptions, TupleRef};
use crate::proof::explain;
use crate::proof::provenance::{Explainer, NodeId, atom_text};
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimVerdict {
    /// The claim as written (`aligned("Egypt", "Haftar")`, `!conflict(...)`, `count ...`).
    pub claim: String,
    /// The verdict, such as `SUPPORTED` or `FAILED` (see [`crate::review::verdicts::Verdict`]).
    pub verdict: String,
    /// Whether the claim file's expectation is met.
    pub ok: bool,
    /// What else backs the verdict, or what failed.
    pub detail: String,
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
    let network = network::build(program, model, ex.symbols, &options.network, &flagged)?;
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
    let mut picked: Vec<(RelId, Vec<crate::base::value::Value>)> = Vec::new();
    'relations: for &rel in &shown {
        let tuples = &model.relations[rel];
        for i in output::display_order(tuples, &ex.program.relations[rel].types, ex.symbols) {
            if picked.len() >= options.max_claims {
                break 'relations;
            }
            picked.push((rel, tuples.get(i).to_vec()));
        }
    }
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
    })
}

/// Escapes text for HTML element content and for quoted attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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

const STYLE: &str = r##"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#23303f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c8d2dc;font-size:12px}
main{padding:8px 24px 40px;max-width:1200px}section{margin-top:22px}h2{font-size:17px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse}td,th{padding:3px 10px;text-align:left;vertical-align:top;border-bottom:1px solid #eee}
.num{text-align:right;font-variant-numeric:tabular-nums}.stats{display:flex;gap:14px;flex-wrap:wrap}
.stat{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 14px}.stat b{display:block;font-size:22px}
#network{background:#fff;border:1px solid #ddd;border-radius:6px;width:100%;height:auto}
.edge{fill:none;stroke-width:1.6}.edge.stated{stroke:#9a9a9a;stroke-width:1}.edge.alignment{stroke:#2e9d42;stroke-width:2}
.edge.conflict{stroke:#d62728;stroke-dasharray:6 4;stroke-width:2}.edge.other{stroke:#3b6fb6}.edge.flagged{stroke:#ff7f0e;stroke-width:4}
.actor{cursor:pointer;outline:none}.actor circle{fill:#f4f4f4;stroke:#555;stroke-width:1.5}.actor.flagged circle{fill:#ffe3c4;stroke:#ff7f0e;stroke-width:3}
.actor text{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px}
.focus .edge{opacity:.1}.focus .edge.hl{opacity:1;stroke-width:3.2}.focus .actor{opacity:.3}.focus .actor.hl{opacity:1}
.actor.pinned circle{stroke:#000;stroke-width:3}
.legend span{margin-right:16px;font-size:12px}.legend i{display:inline-block;width:26px;height:0;border-top:2px solid;vertical-align:middle;margin-right:5px}
#search{width:320px;padding:5px 8px;font-size:14px}#claims td:first-child{color:#666}
details summary{cursor:pointer;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
ul.proof{list-style:none;padding-left:18px;border-left:1px solid #ccc;margin:4px 0 4px 6px}
.concl{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}.rule,.with,.src,.cond{color:#555;font-size:12px}
.say{font-style:italic}.quote{margin:2px 0 4px;padding:2px 8px;border-left:3px solid #c9b37e;background:#fffbea;font-size:12px}
.ref{color:#888;font-size:12px}.violation{background:#fff4ec;border:1px solid #f3c79c;border-radius:6px;padding:6px 12px;margin:8px 0}
.detail{white-space:pre-wrap;font-size:12px}.bad{color:#b00020;font-weight:600}.good{color:#1b7f35;font-weight:600}.note{color:#666;font-size:12px}
"##;

/// The page's only behaviour: highlight an actor's edges, filter the table, and build proof
/// trees from the data block, all with DOM methods and `textContent`.
const SCRIPT: &str = r##"
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("stance-data").textContent);
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function show(v) { return typeof v === "string" ? JSON.stringify(v) : String(v); }
  function proofNode(nodes, id, seen) {
    var n = nodes[id], li = el("li", "pnode " + n.kind);
    li.appendChild(el("div", "concl", n.conclusion));
    if (seen[id]) { li.appendChild(el("span", "ref", "(proved above)")); return li; }
    seen[id] = true;
    if (n.kind === "fact") {
      var sources = n.sources || [];
      if (!sources.length) li.appendChild(el("div", "src", "given as input"));
      sources.forEach(function (s) {
        li.appendChild(el("div", "src", "stated in " + s.file + ":" + s.line));
        var meta = s.metadata || {}, attribution = [];
        var rank = function (k) { var i = ["source", "date"].indexOf(k.toLowerCase()); return i < 0 ? 2 : i; };
        Object.keys(meta).sort(function (a, b) { return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0); }).forEach(function (k) {
          if (meta[k] === "") return;
          if (k.toLowerCase() === "quote") li.appendChild(el("blockquote", "quote", "\u201c" + meta[k] + "\u201d"));
          else attribution.push(k + ": " + meta[k]);
        });
        if (attribution.length) li.appendChild(el("div", "src", attribution.join(", ")));
      });
      return li;
    }
    li.appendChild(el("div", "rule", "by " + n.rule.text + "  [" + n.rule.file + ":" + n.rule.line + "]"));
    if (n.rule.display) li.appendChild(el("div", "say", "\u201c" + n.rule.display + "\u201d"));
    var names = Object.keys(n.bindings || {});
    if (names.length) li.appendChild(el("div", "with", "with " + names.map(function (k) { return k + " = " + show(n.bindings[k]); }).join(", ")));
    var ul = el("ul", "proof");
    (n.premises || []).forEach(function (p) { ul.appendChild(proofNode(nodes, p, seen)); });
    (n.conditions || []).forEach(function (c) { ul.appendChild(el("li", "cond", c)); });
    if (ul.childNodes.length) li.appendChild(ul);
    return li;
  }
  function proofTree(nodes, root) {
    var ul = el("ul", "proof tree");
    ul.appendChild(proofNode(nodes, root, {}));
    return ul;
  }
  document.querySelectorAll("details[data-proof]").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open || d.dataset.built) return;
      d.dataset.built = "1";
      d.appendChild(proofTree(data.nodes, Number(d.dataset.proof)));
    });
  });
  document.querySelectorAll("[data-violation]").forEach(function (box) {
    (data.violations[Number(box.dataset.violation)] || []).forEach(function (p) {
      box.appendChild(proofTree(p.nodes || [], p.root || 0));
    });
  });
  var search = document.getElementById("search");
  if (search) search.addEventListener("input", function () {
    var q = search.value.toLowerCase(), shown = 0;
    document.querySelectorAll("#claims tbody tr").forEach(function (tr) {
      var hit = tr.dataset.search.indexOf(q) >= 0;
      tr.hidden = !hit;
      if (hit) shown++;
    });
    document.getElementById("shown").textContent = String(shown);
  });
  var svg = document.getElementById("network");
  if (!svg) return;
  var pinned = null;
  function highlight(id) {
    svg.classList.toggle("focus", id !== null);
    var near = {};
    if (id !== null) near[id] = true;
    svg.querySelectorAll(".edge").forEach(function (e) {
      var on = id !== null && (e.dataset.a === id || e.dataset.b === id);
      e.classList.toggle("hl", on);
      if (on) { near[e.dataset.a] = true; near[e.dataset.b] = true; }
    });
    svg.querySelectorAll(".actor").forEach(function (a) {
      a.classList.toggle("hl", !!near[a.dataset.id]);
      a.classList.toggle("pinned", a.dataset.id === pinned);
    });
  }
  svg.querySelectorAll(".actor").forEach(function (a) {
    a.addEventListener("mouseenter", function () { highlight(a.dataset.id); });
    a.addEventListener("mouseleave", function () { highlight(pinned); });
    a.addEventListener("click", function () {
      pinned = pinned === a.dataset.id ? null : a.dataset.id;
      highlight(pinned);
    });
  });
})();
"##;

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

/// The network as inline SVG. Parallel edges between one pair bend apart; arrows mark
/// relations that hold in one direction only.
fn network_svg(network: &Network, out: &mut String) {
    let n = network.actors.len();
    let width = (1000.0 * (n as f64 / 60.0).sqrt()).max(1000.0).round();
    let height = (width * 0.68).round();
    let pairs: Vec<(usize, usize)> = network.edges.iter().map(|e| (e.from, e.to)).collect();
    let pos = layout::layout(n, &pairs, width, height);
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
    for (class, colour) in [
        ("stated", "#9a9a9a"),
        ("alignment", "#2e9d42"),
        ("conflict", "#d62728"),
        ("other", "#3b6fb6"),
        ("flagged", "#ff7f0e"),
    ] {
        let _ = write!(
            out,
            "<marker id=\"arrow-{class}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"{colour}\"/></marker>"
        );
    }
    out.push_str("</defs><g id=\"edges\">");
    // Edges between the same two actors, in order, to spread them apart.
    let mut bundle: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, e) in network.edges.iter().enumerate() {
        bundle.entry((e.from.min(e.to), e.from.max(e.to))).or_default().push(i);
    }
    let radius = 7.0;
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
        // Start and end at the circles' rims.
        let shorten = |(px, py): (f64, f64), (qx, qy): (f64, f64)| {
            let (ux, uy) = (qx - px, qy - py);
            let l = (ux * ux + uy * uy).sqrt().max(0.01);
            (px + ux / l * radius, py + uy / l * radius)
        };
        let (sx, sy) = shorten((x1, y1), (cx, cy));
        let (ex, ey) = shorten((x2, y2), (cx, cy));
        let class = e.class.name();
        let mut classes = format!("edge {class}");
        if e.flagged {
            classes.push_str(" flagged");
        }
        let marker = if e.directed {
            format!(" marker-end=\"url(#arrow-{})\"", if e.flagged { "flagged" } else { class })
        } else {
            String::new()
        };
        let (a, b) = (&network.actors[e.from].name, &network.actors[e.to].name);
        let arrow = if e.directed { "\u{2192}" } else { "\u{2194}" };
        let _ = write!(
            out,
            "<path class=\"{classes}\" data-a=\"{}\" data-b=\"{}\" data-relation=\"{}\" d=\"M{sx:.1},{sy:.1}Q{cx:.1},{cy:.1} {ex:.1},{ey:.1}\"{marker}><title>{}: {} {arrow} {}</title></path>",
            e.from,
            e.to,
            escape(&e.relation),
            escape(&e.relation),
            escape(a),
            escape(b)
        );
    }
    out.push_str("</g><g id=\"actors\">");
    for (i, actor) in network.actors.iter().enumerate() {
        let (x, y) = pos[i];
        let flagged = if actor.flagged { " flagged" } else { "" };
        let name = escape(&actor.name);
        let _ = write!(
            out,
            "<g class=\"actor{flagged}\" data-id=\"{i}\" data-name=\"{name}\" tabindex=\"0\"><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius}\"/><text x=\"{:.1}\" y=\"{:.1}\">{name}</text><title>{name}</title></g>",
            x + 10.0,
            y + 4.0
        );
    }
    out.push_str("</g></svg>");
}

fn stat(out: &mut String, value: usize, label: &str) {
    let _ = write!(out, "<div class=\"stat\"><b>{value}</b>{}</div>", escape(label));
}

/// The whole page. Same input, same bytes.
pub fn render(input: &Input) -> String {
    let mut out = String::new();
    let title = escape(&input.title);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(out, "<title>{title}</title><style>{STYLE}</style></head>\n<body><header><h1>{title}</h1>");
    if !input.inputs.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(&input.inputs.join(" \u{b7} ")));
    }
    out.push_str("</header><main>\n");

    // Summary.
    let derived_total: usize = input.derived.iter().map(|r| r.tuples).sum();
    out.push_str("<section id=\"summary\"><h2>Summary</h2><div class=\"stats\">");
    stat(&mut out, input.facts, "facts");
    stat(&mut out, input.rules, "rules");
    if input.constraints > 0 {
        stat(&mut out, input.constraints, "constraints");
    }
    stat(&mut out, derived_total, "derived tuples");
    stat(&mut out, input.network.actors.len(), "actors");
    stat(&mut out, input.violations.len(), "contradictions");
    if let Some(claims) = &input.claims {
        // As `stance review` counts them: a claim passes when its expectation is met.
        stat(&mut out, claims.iter().filter(|c| c.ok).count(), "claims passed");
        stat(&mut out, claims.iter().filter(|c| !c.ok).count(), "claims failed");
    }
    out.push_str("</div><table id=\"relations\"><thead><tr><th>derived relation</th><th class=\"num\">tuples</th></tr></thead><tbody>");
    for r in &input.derived {
        let mark = if r.output { " <span class=\"note\">(.output)</span>" } else { "" };
        let _ = write!(out, "<tr><td>{}{mark}</td><td class=\"num\">{}</td></tr>", escape(&r.name), r.tuples);
    }
    out.push_str("</tbody></table></section>\n");

    // Claim verdicts.
    if let Some(claims) = &input.claims {
        out.push_str("<section id=\"verdicts\"><h2>Claim verdicts</h2><table><thead><tr><th>claim</th><th>verdict</th><th>detail</th></tr></thead><tbody>");
        for c in claims {
            let class = if c.ok { "good" } else { "bad" };
            let _ = write!(
                out,
                "<tr><td class=\"concl\">{}</td><td class=\"{class}\">{}</td><td class=\"detail\">{}</td></tr>",
                escape(&c.claim),
                escape(&c.verdict),
                escape(&c.detail)
            );
        }
        out.push_str("</tbody></table></section>\n");
    }

    // Network.
    let picture = picture_network(&input.network);
    out.push_str("<section id=\"network-section\"><h2>Network</h2><p class=\"legend\">");
    for (class, label) in [
        (EdgeClass::Stated, "stated"),
        (EdgeClass::Alignment, "aligned"),
        (EdgeClass::Conflict, "in conflict"),
        (EdgeClass::Other, "other derived"),
    ] {
        let style = match class {
            EdgeClass::Stated => "#9a9a9a",
            EdgeClass::Alignment => "#2e9d42",
            EdgeClass::Conflict => "#d62728;border-top-style:dashed",
            EdgeClass::Other => "#3b6fb6",
        };
        let _ = write!(out, "<span><i style=\"border-color:{style}\"></i>{label} ({})</span>", picture.count(class));
    }
    out.push_str("<span><i style=\"border-color:#ff7f0e;border-top-width:4px\"></i>part of a contradiction</span></p>");
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
    out.push_str("<p class=\"note\">Hover over an actor to highlight its edges; click to keep the highlight.</p>");
    network_svg(&picture, &mut out);
    out.push_str("</section>\n");

    // Contradictions.
    out.push_str("<section id=\"contradictions\"><h2>Contradictions</h2>");
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
            "<div class=\"violation\"><div class=\"concl\">{}</div><div class=\"note\">{}</div><div>colliding: {}</div><div class=\"proofs\" data-violation=\"{i}\"></div></div>",
            escape(&v.constraint),
            escape(&v.location),
            escape(&tuples.join(", "))
        );
    }
    out.push_str("</section>\n");

    // Claims table.
    let _ = write!(
        out,
        "<section id=\"claims-section\"><h2>Derived claims</h2><p><input id=\"search\" type=\"search\" placeholder=\"Filter claims\" aria-label=\"Filter claims\"> <span class=\"note\"><span id=\"shown\">{}</span> shown",
        input.rows.len()
    );
    if input.rows.len() < input.total_rows {
        let _ = write!(out, "; the first {} of {} claims (--max-claims)", input.rows.len(), input.total_rows);
    }
    out.push_str(". Click a claim for its proof.</span></p><table id=\"claims\"><thead><tr><th>relation</th><th>claim</th></tr></thead><tbody>");
    for row in &input.rows {
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
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></section>\n</main>\n");

    let violation_proofs: Vec<Json> = input.violations.iter().map(|v| Json::Array(v.proofs.clone())).collect();
    let data = json!({ "nodes": input.proof_nodes, "violations": violation_proofs });
    let _ = writeln!(out, "<script type=\"application/json\" id=\"stance-data\">{}</script>", script_json(&data));
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
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
                }],
            },
            rows: vec![ClaimRow {
                relation: "aligned".into(),
                text: format!("aligned(\"{HOSTILE}\", \"B\")"),
                proof: Some(0),
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
                ClaimVerdict { claim: HOSTILE.into(), verdict: "SUPPORTED".into(), ok: true, detail: HOSTILE.into() },
                ClaimVerdict { claim: "x".into(), verdict: "FAILED".into(), ok: false, detail: String::new() },
            ]),
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
        assert!(page.contains("<div class=\"stat\"><b>1</b>contradictions</div>"));
        assert!(page.contains(
            "<div class=\"stat\"><b>1</b>claims passed</div><div class=\"stat\"><b>1</b>claims failed</div>"
        ));
        assert!(page.contains("<td class=\"bad\">FAILED</td>"));
        assert!(page.contains("class=\"edge alignment flagged\" data-a=\"0\" data-b=\"1\""));
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
