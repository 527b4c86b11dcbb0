//! `stance contradictions`: every violation of the constraints, with the proofs that collide.

use super::context::{Ctx, ProjectArgs, ProofFormat, counted, print_bytes};
use clap::Args;
use itertools::Itertools;
use stance::proof::grades::Grading;
use stance::proof::provenance::NodeId;
use stance::review::{conflicts, constraints};
use stance::session::{ExitStatus, Failure};

pub const EXIT_CODES_CONTRADICTIONS: &str = "\
Exit codes:
  0  no constraint is violated and no tuple is both affirmed and denied
  1  some constraint is violated, some tuple is both affirmed and denied (a conflict), or
     the rules or facts have errors
  2  usage error, or a file could not be read";

#[derive(Args)]
pub struct ContradictionsArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// text: each violation with the proof tree of every body atom; json: one object.
    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    format: ProofFormat,
}

pub fn run(args: &ContradictionsArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let mut run = ctx.load_recorded(&args.project)?;
    let graded = super::explain::graded(&run.project.facts);
    let mut ex = run.explainer();
    let found = constraints::violations(&mut ex);
    // Denials (`~rel`) add conflicts; a program without them prints exactly as before.
    let denials = (0..ex.program.relations.len()).any(|r| ex.program.relations[r].name.starts_with('~'));
    let clashes = if denials { conflicts::conflicts(&mut ex) } else { Vec::new() };
    // Graded data: every proof shows its grades, in text and JSON; conflicts show theirs in
    // any case. The grades of the proofs' derivation cones, which hold every node.
    let roots: Vec<NodeId> =
        found.iter().map(|v| v.proof).chain(clashes.iter().flat_map(|c| [c.affirmed, c.denied])).flatten().collect();
    let grading = (graded || !clashes.is_empty()).then(|| Grading::of_proofs(&mut ex, roots));
    if graded {
        ex.grading = grading.as_ref();
    }
    let grading = grading.as_ref();
    let rendered = match args.format {
        ProofFormat::Text => {
            let violations = found.iter().map(|v| constraints::render_violation(&ex, v, grading));
            let conflicts = clashes.iter().map(|c| conflicts::render_conflict(&ex, c, grading));
            violations.chain(conflicts).join("\n")
        }
        ProofFormat::Json => {
            let list: Vec<serde_json::Value> = found.iter().map(|v| constraints::violation_json(&ex, v)).collect();
            let mut json = serde_json::json!({ "meta": args.project.stamp().json(), "violations": list });
            if denials {
                let list = clashes.iter().map(|c| conflicts::conflict_json(&ex, c, grading)).collect();
                json["conflicts"] = serde_json::Value::Array(list);
            }
            format!("{json}\n")
        }
    };
    let violated: std::collections::BTreeSet<usize> = found.iter().map(|v| v.constraint).collect();
    eprintln!("{}", summary(found.len(), violated.len(), ex.program.constraints.len()));
    if denials {
        eprintln!("{}", conflicts_summary(clashes.len()));
    }
    print_bytes(rendered.as_bytes(), args.format.shape())?;
    Ok(ExitStatus::judged(found.is_empty() && clashes.is_empty()))
}

/// "no conflict between a relation and its denials", "2 conflicts".
fn conflicts_summary(n: usize) -> String {
    if n == 0 { "no conflict between a relation and its denials".to_string() } else { counted(n, "conflict") }
}

/// "1 violation of 1 of the 2 constraints": how many violations, of how many of the constraints.
fn summary(violations: usize, violated: usize, constraints: usize) -> String {
    if violations == 0 {
        format!("no constraint is violated ({} checked)", counted(constraints, "constraint"))
    } else if violated == constraints {
        format!("{} of {}", counted(violations, "violation"), counted(violated, "constraint"))
    } else {
        format!("{} of {violated} of the {constraints} constraints", counted(violations, "violation"))
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn the_summary_counts_the_constraints_violated_not_all_of_them() {
        assert_eq!(summary(0, 0, 1), "no constraint is violated (1 constraint checked)");
        assert_eq!(summary(0, 0, 2), "no constraint is violated (2 constraints checked)");
        assert_eq!(summary(1, 1, 1), "1 violation of 1 constraint");
        assert_eq!(summary(1, 1, 2), "1 violation of 1 of the 2 constraints");
        assert_eq!(summary(2, 1, 2), "2 violations of 1 of the 2 constraints");
        assert_eq!(summary(3, 3, 3), "3 violations of 3 constraints");
    }
}
