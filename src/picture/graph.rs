//! `stance graph`: the stance network as Graphviz DOT, and as SVG through Graphviz's `dot`.

use crate::base::diag::{Code, Diagnostic};
use crate::base::stamp::Stamp;
use crate::picture::network::{EdgeClass, FLAGGED_COLOUR, Network};
use crate::proof::grades::Grades;
use std::fmt::Write;
use std::io::Write as _;
use std::process::{Command, Stdio};

/// Quotes a string for DOT. Inside quotes DOT gives meaning to `"` and `\` (and to escapes
/// such as `\N`, `\l`), and Graphviz reads HTML entities (`&amp;`) in labels; record shapes
/// also give meaning to `{ } | < >`. Each is escaped so the label shows the text as it is;
/// line breaks become DOT's `\n` and other control characters a space.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\\' | '{' | '}' | '|' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const FLAGGED: &str = FLAGGED_COLOUR;

/// An edge's Graphviz attributes: its class's colour (from [`crate::picture::network::EDGE_CLASSES`]) and line style.
fn edge_style(class: EdgeClass) -> String {
    let colour = class.style().1.colour;
    match class {
        EdgeClass::Stated => format!("color=\"{colour}\", fontcolor=\"#6a6a6a\", penwidth=0.8, fontsize=9"),
        EdgeClass::Alignment => format!("color=\"{colour}\", penwidth=2"),
        EdgeClass::Conflict => format!("color=\"{colour}\", style=dashed, penwidth=2"),
        EdgeClass::Other => format!("color=\"{colour}\", fontcolor=\"{colour}\", penwidth=1.4, fontsize=9"),
    }
}

/// How strong a grade is, from 0 (`F6`, or no grade) to 1 (`A1`, or given): the best of
/// its Pareto-best grades, each scale counting alike. Shades edges in `graph` and `report`.
pub fn grade_strength(grades: Grades) -> f64 {
    if grades.is_given() {
        return 1.0;
    }
    let best = grades.best().iter().map(|g| 10 - u32::from(g.reliability) - u32::from(g.credibility)).max();
    best.map_or(0.0, |b| f64::from(b) / 10.0)
}

/// The Graphviz attributes a graded edge adds: its colour's opacity by the grade's strength
/// (faint for weak evidence), dotted when it has no grade; its grade in the tooltip.
fn grade_attributes(class: EdgeClass, relation: &str, grades: Grades) -> String {
    let colour = class.style().1.colour;
    let alpha = 0x40 + (f64::from(0xFF - 0x40) * grade_strength(grades)).round() as u32;
    let mut out = format!(", color=\"{colour}{alpha:02x}\"");
    if grades == Grades::NONE && class != EdgeClass::Conflict {
        out.push_str(", style=dotted");
    }
    let grade = if grades == Grades::NONE { "no grade".to_string() } else { format!("grade {grades}") };
    let _ = write!(out, ", tooltip={}", quote(&format!("{relation}, {grade}")));
    out
}

/// The legend: one line per kind of edge the network has, in its colour, as an HTML-like
/// table (fixed text, nothing from the rules or facts).
fn legend(network: &Network) -> String {
    let mut rows = vec!["<tr><td align=\"left\"><b>Legend</b></td></tr>".to_string()];
    let has = |c: EdgeClass| network.edges.iter().any(|e| e.class == c);
    let kinds = [
        (EdgeClass::Stated, EdgeClass::Stated.style().1.colour, "stated (labelled with its relation)"),
        (EdgeClass::Alignment, EdgeClass::Alignment.style().1.colour, "derived: alignment"),
        (EdgeClass::Conflict, EdgeClass::Conflict.style().1.colour, "derived: conflict (dashed)"),
        (EdgeClass::Other, EdgeClass::Other.style().1.colour, "derived: other (labelled)"),
    ];
    for (class, colour, text) in kinds {
        if has(class) {
            rows.push(format!(
                "<tr><td align=\"left\"><font color=\"{colour}\">&#8212;&#8212; {text}</font></td></tr>"
            ));
        }
    }
    if network.edges.iter().any(|e| e.grade.is_some()) {
        rows.push(
            "<tr><td align=\"left\">shade: the grade of the edge's best proof, A1 solid to F6 faint</td></tr>"
                .to_string(),
        );
    }
    if network.edges.iter().any(|e| e.grade == Some(Grades::NONE)) {
        rows.push(
            "<tr><td align=\"left\">&#183;&#183;&#183;&#183; dotted: no grade (rests on an ungraded row)</td></tr>"
                .to_string(),
        );
    }
    if network.edges.iter().any(|e| e.undecided) {
        rows.push(format!(
            "<tr><td align=\"left\"><font color=\"{UNDECIDED}\">&#8212; &#8212; undecided (dashed): reported, neither proved nor refuted</font></td></tr>"
        ));
    }
    if network.edges.iter().any(|e| e.flagged) {
        rows.push(format!(
            "<tr><td align=\"left\"><font color=\"{FLAGGED}\">&#8212;&#8212; part of a constraint violation</font></td></tr>"
        ));
    }
    format!(
        "  subgraph cluster_legend {{\n    color=\"#cccccc\"; style=rounded;\n    legend [shape=none, margin=0, fontsize=10, label=<<table border=\"0\" cellborder=\"0\" cellspacing=\"1\">{}</table>>];\n  }}\n",
        rows.join("")
    )
}

/// The colour of an undecided edge (a tuple of a defeasible theory neither proved nor
/// refuted): a purple apart from every class's colour.
const UNDECIDED: &str = "#8e44ad";

/// The network in DOT, for Graphviz's `dot` layout: ranks keep edge labels apart (each label
/// is laid out like a node, so labels do not overlap each other or the nodes), each
/// connected component is a cluster and the components sit side by side, with a legend
/// beside them. Same network, same bytes.
pub fn to_dot(network: &Network, stamp: &Stamp) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "// The stance network, written by `stance graph` ({}).", stamp.line());
    out.push_str("// Grey: stated (input) relations; green: alignments; red dashed: conflicts;\n");
    out.push_str("// blue: other derived relations; orange, thick: part of a constraint violation.\n");
    out.push_str("digraph stance {\n");
    out.push_str("  graph [layout=dot, rankdir=TB, newrank=true, nodesep=0.4, ranksep=0.8, splines=true, fontname=\"Helvetica\", fontsize=10];\n");
    let _ = writeln!(out, "  graph [comment={}];", quote(&stamp.line()));
    out.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f4f4\", color=\"#555555\", fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", arrowsize=0.6];\n");
    let pairs: Vec<(usize, usize)> = network.edges.iter().map(|e| (e.from, e.to)).collect();
    for (c, members) in crate::picture::layout::components(network.actors.len(), &pairs).iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{c} {{\n    color=\"#e4e4e4\"; style=rounded;");
        for &i in members {
            let actor = &network.actors[i];
            let _ = write!(out, "    n{i} [label={}", quote(&actor.name));
            if actor.flagged {
                let _ = write!(out, ", color=\"{FLAGGED}\", fillcolor=\"#ffe3c4\", penwidth=3");
            }
            out.push_str("];\n");
        }
        out.push_str("  }\n");
    }
    for e in &network.edges {
        let _ = write!(out, "  n{} -> n{} [{}", e.from, e.to, edge_style(e.class));
        if matches!(e.class, EdgeClass::Stated | EdgeClass::Other) {
            let _ = write!(out, ", label={}", quote(&e.relation));
        } else {
            // Derived edges follow the stated ones: the ranks come from what sources say.
            out.push_str(", constraint=false");
        }
        match e.grade {
            // An undecided tuple has no proof, so no grade; its colour overrides the class's.
            _ if e.undecided => {
                let _ = write!(out, ", style=dashed, color=\"{UNDECIDED}\", fontcolor=\"{UNDECIDED}\"");
                let _ = write!(out, ", tooltip={}", quote(&format!("{}, undecided", e.relation)));
            }
            Some(grades) => out.push_str(&grade_attributes(e.class, &e.relation, grades)),
            None => {
                let _ = write!(out, ", tooltip={}", quote(&e.relation));
            }
        }
        if !e.directed {
            out.push_str(", dir=none");
        }
        if e.flagged {
            let _ = write!(out, ", color=\"{FLAGGED}\", penwidth=3.5");
        }
        out.push_str("];\n");
    }
    if !network.edges.is_empty() {
        out.push_str(&legend(network));
    }
    out.push_str("}\n");
    out
}

/// Renders DOT to SVG with Graphviz's `dot`. A missing `dot` is an error naming the
/// package to install.
pub fn dot_to_svg(dot: &str) -> Result<Vec<u8>, Diagnostic> {
    let child =
        Command::new("dot").arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Diagnostic::error(
                Code::GraphvizFailed,
                "`--format svg` needs Graphviz's `dot`, which is not installed (not found on PATH)",
            )
            .with_help(
                "install the Debian package `graphviz` (`apt-get install graphviz`), or write DOT with `--format dot`",
            ));
        }
        Err(e) => return Err(Diagnostic::error(Code::GraphvizFailed, format!("cannot run Graphviz's `dot`: {e}"))),
    };
    // Feed stdin from a thread so a large graph cannot deadlock on full pipes.
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = dot.to_string();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| Diagnostic::error(Code::GraphvizFailed, format!("cannot run Graphviz's `dot`: {e}")))?;
    let fed = feeder.join().unwrap_or_else(|_| Err(std::io::Error::other("writer thread panicked")));
    if !output.status.success() || fed.is_err() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Diagnostic::error(
            Code::GraphvizFailed,
            format!("Graphviz's `dot` failed ({}): {}", output.status, stderr.trim()),
        ));
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::network::{Actor, Edge};

    #[test]
    fn quoting_escapes_everything_dot_reads() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("line\nbreak\r\nand\rcr"), r#""line\nbreak\nand\ncr""#);
        assert_eq!(quote("<b>{x|y}</b>"), r#""\<b\>\{x\|y\}\</b\>""#);
        assert_eq!(quote("a & b; &lt;"), "\"a &amp; b; &amp;lt;\"");
        assert_eq!(quote("tab\there\u{7}"), "\"tab here \"");
        // A hostile label cannot close the string and add attributes or statements.
        let hostile = "x\"]; n9 [label=\"pwned\"]; //\\";
        let q = quote(hostile);
        let inner = &q[1..q.len() - 1];
        let mut escaped = false;
        for c in inner.chars() {
            assert!(escaped || c != '"', "unescaped quote in {q}");
            escaped = !escaped && c == '\\';
        }
        assert!(!escaped, "dangling backslash in {q}");
    }

    #[test]
    fn dot_styles_each_class_and_flags_violations() {
        let network = Network {
            actors: vec![
                Actor { name: "A".into(), flagged: true },
                Actor { name: "B \"the\" <b>".into(), flagged: false },
            ],
            edges: vec![
                Edge {
                    from: 0,
                    to: 1,
                    relation: "backs".into(),
                    class: EdgeClass::Stated,
                    directed: true,
                    flagged: false,
                    grade: None,
                    undecided: false,
                },
                Edge {
                    from: 0,
                    to: 1,
                    relation: "aligned".into(),
                    class: EdgeClass::Alignment,
                    directed: false,
                    flagged: false,
                    grade: None,
                    undecided: false,
                },
                Edge {
                    from: 0,
                    to: 1,
                    relation: "conflict".into(),
                    class: EdgeClass::Conflict,
                    directed: true,
                    flagged: true,
                    grade: None,
                    undecided: false,
                },
            ],
        };
        let dot = to_dot(&network, &Stamp::default());
        assert!(dot.contains("  n0 [label=\"A\", color=\"#ff7f0e\", fillcolor=\"#ffe3c4\", penwidth=3];\n"));
        assert!(dot.contains("  n1 [label=\"B \\\"the\\\" \\<b\\>\"];\n"));
        assert!(dot.contains("  n0 -> n1 [color=\"#9a9a9a\", fontcolor=\"#6a6a6a\", penwidth=0.8, fontsize=9, label=\"backs\", tooltip=\"backs\"];\n"));
        assert!(dot.contains(
            "  n0 -> n1 [color=\"#2e9d42\", penwidth=2, constraint=false, tooltip=\"aligned\", dir=none];\n"
        ));
        assert!(dot.contains(
            "  n0 -> n1 [color=\"#d62728\", style=dashed, penwidth=2, constraint=false, tooltip=\"conflict\", color=\"#ff7f0e\", penwidth=3.5];\n"
        ));
        // One component (a cluster) and the legend, with a line for each kind of edge drawn.
        assert_eq!(dot.matches("subgraph cluster_").count(), 2);
        assert!(dot.contains("derived: alignment") && dot.contains("part of a constraint violation"));
        assert!(!dot.contains("derived: other"));
        assert_eq!(dot, to_dot(&network.clone(), &Stamp::default()));
    }
}
