//! `stance review`: a verdict for every claim of a claims file, with the proof, the why-not
//! or the colliding proofs behind it, as text, JSON or JUnit XML.
//!
//! Each claim is asked as written, and its verdict says whether the knowledge base agrees:
//! - `a.` is SUPPORTED when `a` holds (a pattern: some tuple matches), even when the tuple
//!   takes part in a constraint violation (a note says so, with the colliding proofs);
//! - `!a.` is SUPPORTED when `a` does not hold; when a constraint rules `a` out (it would
//!   complete a violation), a note says so, with the proofs that would collide;
//! - `contradicted a.` is CONTRADICTED when `a` would complete a violation (a constraint has
//!   a body atom that unifies with it and the rest of the body holds), whether or not it holds;
//! - `count a = N.` is SUPPORTED when N tuples match.
//!
//! Otherwise the verdict is FAILED, with what was expected and what was found: SUPPORTED
//! (it holds), CONTRADICTED (it does not hold, and would complete a violation) or NOT
//! SUPPORTED (neither). Before, verdicts described the atom rather than the claim: `!a` that
//! held was NOT SUPPORTED or CONTRADICTED, and `a` that held inside a violation FAILED.

use crate::base::markup::{Markup, escape_markup};
use crate::base::value::Value;
use crate::proof::claims::{ClaimSpec, Expect};
use crate::proof::explain;
use crate::proof::grades::{GradeJson, Grades, Grading, confidence_text};
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
    /// For a claim with `>= GRADE`: the best grades of the matching tuples.
    pub grades: Option<Grades>,
    /// For a claim that holds, when grades were computed: what its best proof is worth.
    pub grade: Option<ClaimGrade>,
}

/// What the best proof of a claim (of any matching tuple, for a pattern) is worth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClaimGrade {
    /// The best grades over the matching tuples.
    pub grades: Grades,
    /// The best confidence over them; `None` when the data has no confidences.
    pub confidence: Option<Option<f64>>,
    /// Whether the data has grades or confidences at all (otherwise nothing is shown).
    pub shown: bool,
}

impl ClaimGrade {
    /// `grade: B3/C2, confidence 0.72`.
    pub fn text(&self) -> String {
        let grade = if self.grades == Grades::NONE { "none".to_string() } else { self.grades.to_string() };
        match self.confidence {
            Some(c) => format!("grade: {grade}, confidence {}", confidence_text(c)),
            None => format!("grade: {grade}"),
        }
    }

    /// The JSON fields (as [`GradeJson`]).
    pub fn json(&self) -> GradeJson {
        GradeJson {
            grade: self.grades.to_string(),
            best_grades: self.grades.best().iter().map(ToString::to_string).collect(),
            confidence: self.confidence.map(|c| c.map(|c| (c * 1000.0).round() / 1000.0)),
        }
    }
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
            Expect::Supported if let (Some(min), Some(g), true) = (self.spec.min_grade, self.grades, self.holds) => {
                format!("expected SUPPORTED at grade {min} or better, found grade {g}")
            }
            Expect::Supported => format!("expected SUPPORTED, found {}", self.found.label()),
            Expect::NotSupported => "expected not derivable, but it holds".to_string(),
            Expect::Contradicted => format!("expected CONTRADICTED, found {}", self.found.label()),
        }
    }
}

use crate::base::diag::plural;

/// Reviews every claim against an evaluated model (with recording on, for the proofs).
pub fn review(ex: &mut Explainer, specs: &[ClaimSpec]) -> Vec<Outcome> {
    // The caller's grades (graded data), or computed here when a claim asks for a grade.
    let owned = (ex.grading.is_none() && specs.iter().any(|s| s.min_grade.is_some())).then(|| Grading::compute(ex));
    let grading = ex.grading.or(owned.as_ref());
    specs.iter().map(|spec| review_one(ex, spec, grading)).collect()
}

fn review_one(ex: &mut Explainer, spec: &ClaimSpec, grading: Option<&Grading>) -> Outcome {
    let claim = &spec.claim;
    let (model, program) = (ex.model, ex.program);
    let decl = &program.relations[claim.rel];
    let hits = claim.matching_tuples(&model.relations[claim.rel], &decl.types, ex.symbols);
    let holds = !hits.is_empty();
    let proof = hits.first().and_then(|t| ex.explain(claim.rel, t));
    let collisions = match claim.tuple() {
        Some(tuple) => constraints::completions(ex, claim.rel, &tuple, MAX_COLLISIONS),
        None => Vec::new(),
    };
    // A claim whose denial (`~rel`, or `rel` for a `~rel` claim) holds is contradicted too.
    let denied =
        claim.tuple().is_some_and(|t| program.complement(claim.rel).is_some_and(|c| model.relations[c].contains(&t)));
    let collides = !collisions.is_empty() || denied;
    // What the knowledge base says of the atom.
    let atom = if holds {
        Verdict::Supported
    } else if collides {
        Verdict::Contradicted
    } else {
        Verdict::NotSupported
    };
    // The best grades (and confidence) among the matching tuples.
    let grade = grading.filter(|_| holds).map(|grading| {
        let tuples = &model.relations[claim.rel];
        let indices: Vec<usize> = hits.iter().filter_map(|t| tuples.position(t)).collect();
        let grades = indices.iter().fold(Grades::NONE, |best, &i| best.join(grading.grades(claim.rel, i)));
        let confidence = grading
            .has_confidence
            .then(|| indices.iter().filter_map(|&i| grading.confidence(claim.rel, i)).reduce(f64::max));
        ClaimGrade { grades, confidence, shown: grading.has_grades || grading.has_confidence }
    });
    let grades = grade.map(|g| g.grades).or(grading.filter(|_| spec.min_grade.is_some()).map(|_| Grades::NONE));
    let graded_enough = match (spec.min_grade, grades) {
        (Some(min), Some(g)) => g.at_least(min),
        _ => true,
    };
    let count = hits.len() as u64;
    let (met, found) = match spec.expect {
        Expect::Supported => (holds && graded_enough, atom),
        // `!a` is supported when `a` does not hold (a constraint may be what guarantees it).
        Expect::NotSupported => (!holds, if holds { Verdict::NotSupported } else { Verdict::Supported }),
        Expect::Contradicted => (collides, if collides { Verdict::Contradicted } else { atom }),
        Expect::Count(n) => (count == n, if count == n { Verdict::Supported } else { atom }),
    };
    Outcome {
        spec: spec.clone(),
        found,
        verdict: if met { found } else { Verdict::Failed },
        holds,
        count: hits.len(),
        matching: hits.into_iter().take(MAX_LISTED).collect(),
        proof,
        collisions,
        grades,
        grade,
    }
}

/// Notes on how a claim meets the constraints: a tuple that holds yet takes part in a
/// violation, or a negated claim that a constraint guarantees.
pub fn notes(o: &Outcome) -> Vec<String> {
    if o.collisions.is_empty() {
        return Vec::new();
    }
    let text = if o.holds {
        "it holds, and takes part in a constraint violation (the colliding proofs below; `stance contradictions` lists every violation)"
    } else if o.spec.expect == Expect::NotSupported {
        "a constraint rules it out: it would complete a violation (the proofs it would collide with below)"
    } else {
        return Vec::new();
    };
    vec![text.to_string()]
}

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
    for n in notes(o) {
        let _ = writeln!(out, "{n}");
    }
    if let Some(g) = o.grade.filter(|g| g.shown) {
        let _ = writeln!(out, "{}", g.text());
    }
    if let Some(root) = o.proof.filter(|_| o.holds) {
        let _ = writeln!(out, "proof: {}", explain::compact_trace(ex, root));
    }
    for c in &o.collisions {
        out.push_str(&constraints::render_completion(ex, c));
    }
    if !o.holds && o.collisions.is_empty() {
        out.push_str(&explain::why_not(ex, &o.spec.claim));
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
    let width = text_width(outcomes);
    let pieces: Vec<String> = outcomes.iter().map(|o| claim_text(ex, o, width)).collect();
    assemble_text(&pieces, outcomes)
}

/// The width of the verdict column of [`render_text`].
pub fn text_width(outcomes: &[Outcome]) -> usize {
    outcomes.iter().map(|o| o.verdict.label().len()).max().unwrap_or(0)
}

/// One claim of [`render_text`]: its line and the details below it.
pub fn claim_text(ex: &mut Explainer, o: &Outcome, width: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<width$}  {}  [{}]", o.verdict.label(), o.spec.text(), location(ex, o));
    for line in details(ex, o).lines() {
        let _ = writeln!(out, "    {line}");
    }
    out
}

/// [`render_text`] from the claims' pieces ([`claim_text`]), with the summary line.
pub fn assemble_text(pieces: &[String], outcomes: &[Outcome]) -> String {
    let mut out = pieces.concat();
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
    let claims: Vec<Json> = outcomes.iter().map(|o| claim_json(ex, o)).collect();
    assemble_json(claims, outcomes)
}

/// [`render_json`] from the claims' objects ([`claim_json`]).
pub fn assemble_json(claims: Vec<Json>, outcomes: &[Outcome]) -> Json {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    json!({"claims": claims, "passed": outcomes.len() - failed, "failed": failed})
}

/// One claim of [`render_json`].
pub fn claim_json(ex: &mut Explainer, o: &Outcome) -> Json {
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
    if let Some(g) = o.grade.filter(|g| g.shown)
        && let (Json::Object(obj), Ok(Json::Object(fields))) = (&mut obj, serde_json::to_value(g.json()))
    {
        obj.extend(fields);
    }
    obj["proof"] = match o.proof {
        Some(root) if o.holds => explain::proof_json(ex, root),
        _ => Json::Null,
    };
    obj["notes"] = Json::from(notes(o));
    if !o.holds {
        obj["why_not"] = Json::from(explain::why_not(ex, &o.spec.claim));
    }
    let collisions: Vec<Json> = o.collisions.iter().map(|c| constraints::completion_json(ex, c)).collect();
    obj["contradictions"] = Json::Array(collisions);
    obj
}

/// JUnit XML: one test suite, one test case per claim (named by the claim and where it is
/// written), a `<failure>` for every expectation not met.
pub fn render_junit(ex: &mut Explainer, outcomes: &[Outcome]) -> String {
    let pieces: Vec<String> = outcomes.iter().map(|o| claim_junit(ex, o)).collect();
    assemble_junit(&pieces, outcomes)
}

/// [`render_junit`] from the claims' test cases ([`claim_junit`]).
pub fn assemble_junit(pieces: &[String], outcomes: &[Outcome]) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"stance review\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
        outcomes.len()
    );
    out.push_str(&pieces.concat());
    out.push_str("</testsuite>\n");
    out
}

/// One claim of [`render_junit`]: its `<testcase>`.
pub fn claim_junit(ex: &mut Explainer, o: &Outcome) -> String {
    let mut out = String::new();
    let name = format!("{}  [{}]", o.spec.text(), location(ex, o));
    let classname = ex.sources.get(o.spec.span.file).name.clone();
    let _ = write!(out, "  <testcase name=\"{}\" classname=\"{}\"", xml_escape(&name), xml_escape(&classname));
    let text = details(ex, o);
    if o.passed() {
        let _ = writeln!(out, ">");
        let _ = writeln!(out, "    <system-out>{}</system-out>", xml_text(&format!("{}\n{text}", o.verdict.label())));
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
    out
}

/// Escapes text for an XML attribute value (line ends kept as character references).
fn xml_escape(text: &str) -> String {
    xml_text(text).replace('\n', "&#10;")
}

/// Escapes text for XML content (JUnit's readers reject what XML 1.0 cannot carry).
fn xml_text(text: &str) -> String {
    escape_markup(text, Markup::XmlStrict)
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escaping() {
        assert_eq!(super::xml_escape("a<\"b\">&'c'\u{1}\n"), "a&lt;&quot;b&quot;&gt;&amp;&apos;c&apos;&#10;");
    }
}
