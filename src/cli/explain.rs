//! `stance explain`: why a claim holds, its proof down to the sourced facts.

use super::context::{Ctx, ProjectArgs, ProofFormat, finish_output};
use clap::Args;
use stance::proof::explain;
use stance::proof::grades::Grading;
use stance::proof::pattern;
use stance::session::{ExitStatus, Failure};
use std::io::Write;
use std::time::Instant;

pub const EXAMPLES: &str = "\
Examples:
  stance explain 'aligned(\"Egypt\", \"Haftar\")'
  stance explain 'hedges(\"Russia\", \"Tobruk\", \"GNA\")' --depth 2
  stance explain 'conflict(\"Egypt\", \"GNA\")' --proofs 3 --format json";

/// The exit codes of the commands that answer a claim (`explain`, `query`).
pub const EXIT_CODES_CLAIM: &str = "\
Exit codes:
  0    the claim holds (explain) or some tuple matches (query)
  1    it does not hold / nothing matches, or the rules or facts have errors
  2    usage error, or a file could not be read
  130  interrupted (Ctrl-C)";

#[derive(Args)]
pub struct ExplainArgs {
    /// The claim, as an atom: 'aligned("Egypt", "Haftar")'; a pattern with variables or `_`
    /// ('aligned(x, "Haftar")') proves every matching tuple.
    claim: String,
    #[command(flatten)]
    project: ProjectArgs,
    /// Cut subproofs deeper than N levels.
    #[arg(long, value_name = "N")]
    depth: Option<usize>,
    /// Show up to K distinct proofs, shortest first.
    #[arg(long, value_name = "K", default_value_t = 1)]
    proofs: usize,
    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    format: ProofFormat,
    /// Print to standard error how long loading, evaluating and explaining took.
    #[arg(long)]
    timing: bool,
    /// Evaluate the whole program, not only what the claim needs (see `stance query --help`).
    #[arg(long)]
    full: bool,
    /// Explain the claim as it stood on this day: the temporal model on that day, which is
    /// the model of `--as-of DATE` (see README "Time"; `stance timeline` shows every day).
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with = "as_of")]
    at: Option<stance::facts::asof::Date>,
}

pub fn run(args: &ExplainArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let started = Instant::now();
    let inputs = stance::session::Inputs { as_of: args.at.or(args.project.as_of), ..args.project.inputs() };
    let (mut run, claim) = ctx.load_for_claim_from(&inputs, &args.project, &args.claim, args.full, false)?;
    let evaluated = Instant::now();
    let graded = graded(&run.project.facts);
    let filtered = filtered_note(&args.project, &run.project.facts);
    let mut ex = run.explainer();
    let groups = explain::pattern_proofs(&mut ex, &claim, args.proofs.max(1));
    // The proofs' grades: those of the proved tuples' derivation cones, which hold every node.
    let grading_started = Instant::now();
    let grading = (graded && !groups.is_empty()).then(|| Grading::of_proofs(&mut ex, groups.iter().flatten().copied()));
    ex.grading = grading.as_ref();
    if args.timing {
        eprintln!(
            "timing: load and evaluate {:.1} ms, explain {:.1} ms",
            (evaluated - started).as_secs_f64() * 1e3,
            evaluated.elapsed().as_secs_f64() * 1e3
        );
        if let Some(g) = &grading {
            let (n, ms) = (g.len(), grading_started.elapsed().as_secs_f64() * 1e3);
            let over = if g.is_cone() {
                format!("the {n} tuples of the derivation cones")
            } else {
                format!("all {n} tuples: the cones were too large")
            };
            eprintln!("timing: of which grades {ms:.1} ms ({over})");
        }
    }
    if groups.is_empty() {
        let verb = if claim.is_ground() { "does not hold" } else { "matches no tuple" };
        let verb = match args.at {
            Some(day) => format!("{verb} on {day}"),
            None => verb.to_string(),
        };
        let mut msg = format!("`{}` {verb}", claim.text);
        for note in pattern::unknown_constants(&claim, ex.symbols) {
            msg.push_str(&format!("\n  note: {note}"));
        }
        if let Some(note) = filtered {
            msg.push_str(&format!("\n  note: {note}"));
        }
        eprintln!("{msg}\nhelp: `stance why-not '{}'` shows how far each rule gets", claim.text);
        return Ok(ExitStatus::Failed);
    }
    // The rows the proofs quote are read back from their tables: a table changed since
    // loading fails the command before anything is shown.
    if let Err((name, changed)) = ex.sources.check_held() {
        let d = stance::facts::load::changed_error(&format!("cannot quote from `{name}`"), &changed);
        return Err(Failure::new(vec![d], ExitStatus::Usage));
    }
    let mut out = stance::base::terminal::stdout(args.format.shape());
    let result = (|| -> std::io::Result<()> {
        // One group of proofs per matching tuple (one tuple for a ground claim).
        for (g, roots) in groups.iter().enumerate() {
            for (i, &root) in roots.iter().enumerate() {
                match args.format {
                    ProofFormat::Json => {
                        let mut proof = explain::proof_json(&ex, root);
                        let node = &ex.nodes[root];
                        if let Some(d) = stance::proof::defeasible::attacks_json(&ex, node.rel, &node.tuple) {
                            proof["defeasible"] = d;
                        }
                        writeln!(out, "{proof}")?
                    }
                    ProofFormat::Text => {
                        if g + i > 0 {
                            writeln!(out)?;
                        }
                        if roots.len() > 1 {
                            writeln!(out, "proof {} of {} (height {})", i + 1, roots.len(), ex.nodes[root].height)?;
                        }
                        write!(out, "{}", explain::render_tree_graded(&ex, root, args.depth, grading.as_ref()))?;
                        let node = &ex.nodes[root];
                        if let Some(attacks) = stance::proof::defeasible::attacks(&ex, node.rel, &node.tuple) {
                            write!(out, "{attacks}")?;
                        }
                    }
                }
            }
        }
        out.flush()
    })();
    finish_output(result).map(|()| ExitStatus::Success)
}

/// Whether any statement row has a grade or a confidence: then proofs show them.
pub fn graded(facts: &stance::facts::load::Facts) -> bool {
    facts.graded() != (false, false)
}

/// What `--min-grade` / `--min-confidence` left out, when they left anything out.
pub fn filtered_note(project: &ProjectArgs, facts: &stance::facts::load::Facts) -> Option<String> {
    if facts.below_grade == 0 {
        return None;
    }
    let mut flags = Vec::new();
    if let Some(g) = project.min_grade {
        flags.push(format!("--min-grade {g}"));
    }
    if let Some(c) = project.min_confidence {
        flags.push(format!("--min-confidence {c}"));
    }
    let n = facts.below_grade;
    let mut note = format!("{} left out {n} statement row{}", flags.join(" "), if n == 1 { "" } else { "s" });
    if facts.ungraded_dropped > 0 {
        let what = if project.min_grade.is_some() { "grade" } else { "confidence" };
        note.push_str(&format!(" ({} without a {what})", facts.ungraded_dropped));
    }
    Some(note)
}
