//! The network in the formats analysts open next: GraphML (Gephi, yEd, networkx), JSON
//! node-link (networkx's `node_link_graph(..., edges="links")`, D3) and a CSV edge list.
//!
//! Nodes are the actors (id = name) with `flagged`; edges carry `relation`, `class`,
//! `directed` and `flagged`, and are keyed by relation (a multigraph: one edge per relation
//! and pair). The graph records the [`Stamp`]. When the data is graded, every edge also
//! carries `grade`, the grade of its tuple's best proof as `explain` writes it (`B2`,
//! `B3/C2`, `given`, or `none` for an edge resting on an ungraded row); ungraded data adds
//! nothing (an undecided edge has no proof, so an empty grade). In a defeasible program, the
//! tuples left `undecided` are edges too, and then every edge carries `status`: `proved` or
//! `undecided`. Validity dates will be further edge attributes; readers should ignore
//! attributes they do not know.

use crate::base::markup::{Markup, escape_markup};
use crate::base::stamp::Stamp;
use crate::picture::network::{Edge, Network};
use serde_json::json;
use std::fmt::Write;

/// Text for a GraphML attribute or element.
fn xml(text: &str) -> String {
    escape_markup(text, Markup::XmlSpaced)
}

/// Whether the network's edges carry grades (the data is graded).
fn graded(network: &Network) -> bool {
    network.edges.iter().any(|e| e.grade.is_some())
}

/// An edge's grade as text (`none` without one; empty for an undecided edge, which has no
/// proof).
fn grade_text(e: &Edge) -> String {
    if e.undecided {
        return String::new();
    }
    e.grade.map_or_else(|| "none".to_string(), |g| g.to_string())
}

/// Whether some edge is undecided (then every edge carries its `status`).
fn has_undecided(network: &Network) -> bool {
    network.edges.iter().any(|e| e.undecided)
}

/// An edge's status: `proved`, or `undecided` (a defeasible theory's tuple neither proved
/// nor refuted).
fn status(e: &Edge) -> &'static str {
    if e.undecided { "undecided" } else { "proved" }
}

/// GraphML with typed keys. Same network, same bytes.
pub fn to_graphml(network: &Network, stamp: &Stamp) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // XML forbids `--` inside a comment: the comment names no flag, and the stamp is a
    // version and a date.
    let _ = writeln!(out, "<!-- The stance network in GraphML, written by stance graph ({}). -->", xml(&stamp.line()));
    out.push_str("<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n");
    for (key, _) in stamp.pairs() {
        let _ = writeln!(out, "  <key id=\"{key}\" for=\"graph\" attr.name=\"{key}\" attr.type=\"string\"/>");
    }
    out.push_str("  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n");
    out.push_str("  <key id=\"node_flagged\" for=\"node\" attr.name=\"flagged\" attr.type=\"boolean\"/>\n");
    for key in ["relation", "class"] {
        let _ = writeln!(out, "  <key id=\"{key}\" for=\"edge\" attr.name=\"{key}\" attr.type=\"string\"/>");
    }
    out.push_str("  <key id=\"directed\" for=\"edge\" attr.name=\"directed\" attr.type=\"boolean\"/>\n");
    out.push_str("  <key id=\"edge_flagged\" for=\"edge\" attr.name=\"flagged\" attr.type=\"boolean\"/>\n");
    let graded = graded(network);
    if graded {
        out.push_str("  <key id=\"grade\" for=\"edge\" attr.name=\"grade\" attr.type=\"string\"/>\n");
    }
    let decided = has_undecided(network);
    if decided {
        out.push_str("  <key id=\"status\" for=\"edge\" attr.name=\"status\" attr.type=\"string\"/>\n");
    }
    out.push_str("  <graph id=\"stance\" edgedefault=\"directed\">\n");
    for (key, value) in stamp.pairs() {
        let _ = writeln!(out, "    <data key=\"{key}\">{}</data>", xml(&value));
    }
    for a in &network.actors {
        let name = xml(&a.name);
        let _ = writeln!(
            out,
            "    <node id=\"{name}\"><data key=\"label\">{name}</data><data key=\"node_flagged\">{}</data></node>",
            a.flagged
        );
    }
    for (i, e) in network.edges.iter().enumerate() {
        let (from, to) = (xml(&network.actors[e.from].name), xml(&network.actors[e.to].name));
        let relation = xml(&e.relation);
        let mut grade =
            if graded { format!("<data key=\"grade\">{}</data>", xml(&grade_text(e))) } else { String::new() };
        if decided {
            let _ = write!(grade, "<data key=\"status\">{}</data>", status(e));
        }
        let _ = writeln!(
            out,
            "    <edge id=\"e{i}\" source=\"{from}\" target=\"{to}\"><data key=\"relation\">{relation}</data>\
             <data key=\"class\">{}</data><data key=\"directed\">{}</data><data key=\"edge_flagged\">{}</data>{grade}</edge>",
            e.class.name(),
            e.directed,
            e.flagged
        );
    }
    out.push_str("  </graph>\n</graphml>\n");
    out
}

/// JSON node-link, as networkx and D3 read it (`links`, keyed by relation).
pub fn to_json(network: &Network, stamp: &Stamp) -> String {
    let nodes: Vec<_> = network.actors.iter().map(|a| json!({"id": a.name, "flagged": a.flagged})).collect();
    let links: Vec<_> = network
        .edges
        .iter()
        .map(|e| {
            let mut link = json!({
                "source": network.actors[e.from].name,
                "target": network.actors[e.to].name,
                "key": e.relation,
                "relation": e.relation,
                "class": e.class.name(),
                "directed": e.directed,
                "flagged": e.flagged,
            });
            if graded(network) {
                link["grade"] = json!(grade_text(e));
            }
            if has_undecided(network) {
                link["status"] = json!(status(e));
            }
            link
        })
        .collect();
    let graph: serde_json::Map<String, serde_json::Value> =
        stamp.pairs().into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let doc = json!({
        "meta": stamp.json(),
        "directed": true,
        "multigraph": true,
        "graph": graph,
        "nodes": nodes,
        "links": links,
    });
    format!("{doc}\n")
}

/// A CSV edge list with a `#` comment line naming the [`Stamp`], then a header row.
pub fn to_csv(network: &Network, stamp: &Stamp) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let graded = graded(network);
    let mut header = vec!["source", "target", "relation", "class", "directed", "flagged"];
    if graded {
        header.push("grade");
    }
    let decided = has_undecided(network);
    if decided {
        header.push("status");
    }
    writer.write_record(&header)?;
    for e in &network.edges {
        let (directed, flagged) = (e.directed.to_string(), e.flagged.to_string());
        let mut record = vec![
            network.actors[e.from].name.clone(),
            network.actors[e.to].name.clone(),
            e.relation.clone(),
            e.class.name().to_string(),
            directed,
            flagged,
        ];
        if graded {
            record.push(grade_text(e));
        }
        if decided {
            record.push(status(e).to_string());
        }
        writer.write_record(&record)?;
    }
    let body = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(format!("# {}\n{}", stamp.line(), String::from_utf8_lossy(&body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::network::{Actor, Edge, EdgeClass};

    fn network() -> Network {
        Network {
            actors: vec![
                Actor { name: "A & <B>".into(), flagged: true },
                Actor { name: "C, \"the\"".into(), flagged: false },
            ],
            edges: vec![Edge {
                from: 0,
                to: 1,
                relation: "backs".into(),
                class: EdgeClass::Stated,
                directed: false,
                flagged: true,
                grade: None,
                undecided: false,
            }],
        }
    }

    #[test]
    fn graphml_escapes_names_and_records_the_stamp() {
        let text = to_graphml(&network(), &Stamp::new(Some("2016-11-28".into())));
        assert!(text.contains("<node id=\"A &amp; &lt;B&gt;\"><data key=\"label\">A &amp; &lt;B&gt;</data>"), "{text}");
        assert!(text.contains("<edge id=\"e0\" source=\"A &amp; &lt;B&gt;\" target=\"C, &quot;the&quot;\">"), "{text}");
        assert!(text.contains("<data key=\"as_of\">2016-11-28</data>"), "{text}");
        let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("edge")).count(), 1);
    }

    #[test]
    fn csv_quotes_fields_and_starts_with_the_stamp() {
        let text = to_csv(&network(), &Stamp::default()).unwrap();
        assert_eq!(
            text,
            format!(
                "# stance {}, all dates\nsource,target,relation,class,directed,flagged\nA & <B>,\"C, \"\"the\"\"\",backs,stated,false,true\n",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
