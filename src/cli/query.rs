//! `stance query`: the tuples matching a pattern, derived or given, optionally with proofs.

use super::context::{Ctx, FormatArg, ProjectArgs, finish_output};
use clap::Args;
use stance::base::value::Tuples;
use stance::engine::eval::Model;
use stance::proof::{explain, pattern};
use stance::render::output::{self, Format};
use stance::session::{ExitStatus, Failure};
use std::io::Write;

#[derive(Args)]
pub struct QueryArgs {
    /// A pattern: an atom whose arguments are constants, variables or `_`.
    pattern: String,
    #[command(flatten)]
    project: ProjectArgs,
    /// Print the proof of every match.
    #[arg(long)]
    explain: bool,
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Evaluate the whole program. By default a pattern with constants is answered
    /// goal-directed: the program is rewritten (magic sets) to derive only the tuples the
    /// pattern needs, which answers the same tuples with the same proofs.
    #[arg(long)]
    full: bool,
}

pub fn run(args: &QueryArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let inputs = args.project.inputs();
    let (mut run, claim) = ctx.load_for_claim_from(&inputs, &args.project, &args.pattern, args.full, !args.explain)?;
    let grading = super::explain::graded(&run.project.facts).then(|| run.grading());
    let mut ex = run.explainer();
    ex.grading = grading.as_ref();
    let rel = claim.rel;
    let decl = &ex.program.relations[rel];
    let hits = claim.matching_tuples(&ex.model.relations[rel], &decl.types, ex.symbols);
    for note in pattern::unknown_constants(&claim, ex.symbols) {
        eprintln!("note: {note}");
    }
    let mut subset = Tuples { arity: decl.arity(), data: hits.concat(), rows: hits.len() };
    let mut out = stance::base::terminal::stdout(args.format.shape());
    let result = (|| -> std::io::Result<()> {
        if args.explain {
            for tuple in &hits {
                if let Some(root) = ex.explain(rel, tuple) {
                    match args.format.into() {
                        Format::Json => writeln!(out, "{}", explain::proof_json(&ex, root))?,
                        Format::Csv => writeln!(out, "{}", explain::compact_trace(&ex, root))?,
                        Format::Table => {
                            writeln!(out, "{}", explain::render_tree_graded(&ex, root, None, grading.as_ref()))?
                        }
                    }
                }
            }
        } else if let Some(grading) = &grading {
            // The relation shown with a `grade` column (and `confidence`, when the data
            // has confidences): each match's best proof.
            let indices = hits.iter().filter_map(|t| ex.model.relations[rel].position(t)).collect();
            let (shown, only_hits) =
                output::with_grades(ex.program, ex.model, &[(rel, Some(indices))], grading, ex.symbols);
            output::render(
                &mut out,
                args.format.into(),
                &shown,
                &only_hits,
                &[rel],
                ex.symbols,
                &args.project.stamp(),
            )?;
        } else {
            let mut only_hits = Model::unrecorded(vec![Tuples::default(); ex.program.relations.len()]);
            only_hits.relations[rel] = std::mem::take(&mut subset);
            output::render(
                &mut out,
                args.format.into(),
                ex.program,
                &only_hits,
                &[rel],
                ex.symbols,
                &args.project.stamp(),
            )?;
        }
        out.flush()
    })();
    finish_output(result)?;
    Ok(ExitStatus::judged(!hits.is_empty()))
}
