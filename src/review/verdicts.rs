//! `stance review`: a verdict for every claim of a claims file, with the proof, the why-not
//! or the colliding proofs behind it, as text, JSON or JUnit XML.
//!
//! What the knowledge base says of a claim (its *finding*):
//! - CONTRADICTED: the claim would complete a constraint violation (a constraint has a body
//!   atom that unifies with it and the rest of the body holds), whether or not it holds;
//! - SUPPORTED: it holds (a pattern: some tuple matches; a count: the count is as expected);
//! - NOT SUPPORTED: otherwise.
//!
//! The verdict is the finding when the expectation is met, and FAILED when it is not:
//! `supported` needs SUPPORTED, `contradicted` needs CONTRADICTED, `not supported` needs the
//! claim not to hold (NOT SUPPORTED, or CONTRADICTED without holding), `count = N` needs N
//! matching tuples.

use crate::base::value::Value;
use crate::proof::claims::{ClaimSpec, Expect};
use crate::proof::explain::{self, ClaimArg};
use crate::proof::provenance::{Explainer, NodeId, atom_text};
use crate::review::constraints::{self, Completion};
use serde_json::{Value as Json, json};
use std::fmt::Write;

/// At most this many ways a claim collides with the constraints are shown.
const MAX_COLLISIONS: usize = 5;
/// At most this many matching tuples are listed for a count claim.
const MAX_LISTED: usize = 20;

/// What review found for a claim, or that it failed its expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The claim holds and completes no constraint violation.
    Supported,
    /// The claim does not hold.
    NotSupported,
    /// The claim would complete a constraint violation.
    Contradicted,
    /// The claim file's expectation is not met.
    Failed,
}

impl Verdict {
    /// The verdict as printed: `SUPPORTED`, `NOT SUPPORTED`, `CONTRADICTED`, `FAILED`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Supported => "SUPPORTED",
            Verdict::NotSupported => "NOT SUPPORTED",
            Verdict::Contradicted => "CONTRADICTED",
            Verdict::Failed => "FAILED",
        }
    }
}

/// The review of one claim.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The claim and what was expected of it.
    pub spec: ClaimSpec,
    /// What the knowledge base says (never `Failed`).
    pub found: Verdict,
    /// `found` when the expectation is met, `Failed` otherwise.
    pub verdict: Verdict,
    /// Whether the claim (or some tuple matching the pattern) holds.
    pub holds: bool,
    /// How many tuples match (for every claim; 0 or 1 for a ground claim).
    pub count: usize,
    /// The matching tuples, in display order (at most `MAX_LISTED`, 20).
    pub matching: Vec<Vec<Value>>,
    /// The shortest proof of the claim, or of the first matching tuple.
    pub proof: Option<NodeId>,
    /// How the claim completes constraint violations.
    pub collisions: Vec<Completion>,
}

impl Outcome {
    /// Whether the expectation is met.
    pub fn passed(&self) -> bool {
        self.verdict != Verdict::Failed
    }

    /// `expected SUPPORTED, found NOT SUPPORTED`.
    pub fn failure_message(&self) -> String {
        match self.spec.expect {
            Expect::Count(n) => format!("expected {n} matching tuple{}, found {}", plural(n as usize), self.count),
            Expect::Supported => format!("expected SUPPORTED, found {}", self.found.label()),
            Expect::NotSupported => format!("expected NOT SUPPORTED (not derivable), found {}", self.found.label()),
            Expect::Contradicted => format!("expected CONTRADICTED, found {}", self.found.label()),
        }
    }
}

use crate::base::diag::plural;

/// Reviews every claim against an evaluated model (with recording on, for the proofs).
pub fn review(ex: &mut Explainer, specs: &[ClaimSpec]) -> Vec<Outcome> {
    specs.iter().map(|spec| review_one(ex, spec)).collect()
}

fn review_one(ex: &mut Explainer, spec: &ClaimSpec) -> Outcome {
    let claim = &spec.claim;
    let hits = claim.matching_rows(&ex.model.relations[claim.rel]);
    let holds = !hits.is_empty();
    let (model, program) = (ex.model, ex.program);
    let tuples = &model.relations[claim.rel];
    let decl = &program.relations[claim.rel];
    let mut subset = crate::engine::eval::Tuples { arity: decl.arity(), data: Vec::new(), rows: 0 };
    for &i in &hits {
        subset.data.extend_from_slice(tuples.get(i));
        subset.rows += 1;
    }
    let order = crate::base::order::display_order(&subset, &decl.types, ex.symbols);
    let matching: Vec<Vec<Value>> = order.iter().take(MAX_LISTED).map(|&i| subset.get(i).to_vec()).collect();
    let proof = matching.first().and_then(|t| ex.explain(claim.rel, t));
    let collisions = match claim.tuple() {
        Some(tuple) => constraints::completions(ex, claim.rel, &tuple, MAX_COLLISIONS),
        None => Vec::new(),
    };
    let found = if !collisions.is_empty() {
        Verdict::Contradicted
    } else if holds {
        Verdict::Supported
    } else {
        Verdict::NotSupported
    };
    let met = match spec.expect {
        Expect::Supported => found == Verdict::Supported,
        Expect::NotSupported => !holds,
        Expect::Contradicted => found == Verdict::Contradicted,
        Expect::Count(n) => hits.len() as u64 == n,
    };
    // A count claim is about the count: met, it is SUPPORTED.
    let found = if matches!(spec.expect, Expect::Count(_)) && met { Verdict::Supported } else { found };
    Outcome {
        spec: spec.clone(),
        found,
        verdict: if met { found } else { Verdict::Failed },
        holds,
        count: hits.len(),
        matching,
        proof,
        collisions,
    }
}

/// Indices of the tuples matching a claim (a repeated variable must take one value).
/// What backs a verdict, as indented text: the proof, the why-not, the collisions, the
/// matching tuples of a count (also the detail column of `stance report --claims`).
pub fn details(ex: &mut Explainer, o: &Outcome) -> String {
    let mut out = String::new();
    if let Some(note) = &o.spec.note {
        let _ = writeln!(out, "note: {note}");
    }
    if o.verdict == Verdict::Failed {
        let _ = writeln!(out, "{}", o.failure_message());
    }
    if let Expect::Count(_) = o.spec.expect {
        let listed: Vec<String> =
            o.matching.iter().map(|t| atom_text(ex.program, o.spec.claim.rel, t, ex.symbols)).collect();
        let more =
            if o.count > listed.len() { format!(", and {} more", o.count - listed.len()) } else { String::new() };
        if o.count > 0 {
            let _ = writeln!(out, "matching: {}{more}", listed.join(", "));
        }
        return out;
    }
    if !o.collisions.is_empty() {
        for c in &o.collisions {
            out.push_str(&constraints::render_completion(ex, c));
        }
        return out;
    }
    match o.proof {
        Some(root) if o.holds => {
            let _ = writeln!(out, "proof: {}", explain::compact_trace(ex, root));
        }
        _ if o.spec.claim.tuple().is_some() || o.spec.claim.args.iter().any(|a| matches!(a, ClaimArg::Unknown(_))) => {
            out.push_str(&explain::why_not(ex, &o.spec.claim));
        }
        _ => {
            let _ = writeln!(out, "no tuple matches {}", o.spec.claim.text);
        }
    }
    out
}

/// `claims/libya.claims:3`.
fn location(ex: &Explainer, o: &Outcome) -> String {
    ex.sources.file_line(o.spec.span)
}

/// One line per claim (`VERDICT  claim  [file:line]`), the details indented below it, and
/// a summary line.
pub fn render_text(ex: &mut Explainer, outcomes: &[Outcome]) -> String {
    let width = outcomes.iter().map(|o| o.verdict.label().len()).max().unwrap_or(0);
    let mut out = String::new();
    for o in outcomes {
        let _ = writeln!(out, "{:<width$}  {}  [{}]", o.verdict.label(), o.spec.text(), location(ex, o));
        for line in details(ex, o).lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let _ = writeln!(
        out,
        "{} claim{}: {} passed, {failed} failed",
        outcomes.len(),
        plural(outcomes.len()),
        outcomes.len() - failed
    );
    out
}

/// `{"claims": [...], "passed": n, "failed": m}`.
pub fn render_json(ex: &mut Explainer, outcomes: &[Outcome]) -> Json {
    let mut claims = Vec::new();
    for o in outcomes {
        let file = ex.sources.get(o.spec.span.file);
        let (line, column) = file.line_col(o.spec.span.start as usize);
        let mut obj = json!({
            "claim": o.spec.text(),
            "atom": o.spec.claim.text,
            "expect": o.spec.expect.describe(),
            "file": file.name,
            "line": line,
            "column": column,
            "note": o.spec.note,
            "verdict": o.verdict.label(),
            "found": o.found.label(),
            "passed": o.passed(),
            "holds": o.holds,
            "count": o.count,
        });
        if o.verdict == Verdict::Failed {
            obj["message"] = Json::from(o.failure_message());
        }
        obj["proof"] = match o.proof {
            Some(root) if o.holds => explain::proof_json(ex, root),
            _ => Json::Null,
        };
        if !o.holds && o.spec.claim.tuple().is_some() {
            obj["why_not"] = Json::from(explain::why_not(ex, &o.spec.claim));
        }
        let collisions: Vec<Json> = o.collisions.iter().map(|c| constraints::completion_json(ex, c)).collect();
        obj["contradictions"] = Json::Array(collisions);
        claims.push(obj);
    }
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    json!({"claims": claims, "passed": outcomes.len() - failed, "failed": failed})
}

/// JUnit XML: one test suite, one test case per claim (named by the claim and where it is
/// written), a `<failure>` for every expectation not met.
pub fn render_junit(ex: &mut Explainer, outcomes: &[Outcome]) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"stance review\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
        outcomes.len()
    );
    for o in outcomes {
        let name = format!("{}  [{}]", o.spec.text(), location(ex, o));
        let classname = ex.sources.get(o.spec.span.file).name.clone();
        let _ = write!(out, "  <testcase name=\"{}\" classname=\"{}\"", xml_escape(&name), xml_escape(&classname));
        let text = details(ex, o);
        if o.passed() {
            let _ = writeln!(out, ">");
            let _ =
                writeln!(out, "    <system-out>{}</system-out>", xml_text(&format!("{}\n{text}", o.verdict.label())));
        } else {
            let _ = writeln!(out, ">");
            let _ = writeln!(
                out,
                "    <failure message=\"{}\" type=\"FAILED\">{}</failure>",
                xml_escape(&o.failure_message()),
                xml_text(&text)
            );
        }
        let _ = writeln!(out, "  </testcase>");
    }
    out.push_str("</testsuite>\n");
    out
}

/// Escapes text for an XML attribute value (line ends kept as character references).
fn xml_escape(text: &str) -> String {
    xml_text(text).replace('\n', "&#10;")
}

/// Escapes text for XML content; characters XML 1.0 cannot carry (most control
/// characters) are dropped.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push('\n'),
            '\t' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escaping() {
        assert_eq!(super::xml_escape("a<\"b\">&'c'\u{1}\n"), "a&lt;&quot;b&quot;&gt;&amp;&apos;c&apos;&#10;");
    }
}
