//! `stance query`: the tuples matching a pattern, derived or given, optionally with proofs.

use super::context::{Ctx, FormatArg, ProjectArgs, finish_output};
use clap::Args;
use stance::base::order::display_order;
use stance::base::value::Tuples;
use stance::engine::eval::Model;
use stance::proof::explain;
use stance::proof::grades::confidence_text;
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
    let (mut run, claim) = ctx.load_for_claim(&args.project, &args.pattern, args.full)?;
    let grading = super::explain::graded(&run.project.facts).then(|| run.grading());
    let mut ex = run.explainer();
    let rel = claim.rel;
    let tuples = &ex.model.relations[rel];
    let hits = claim.matching_rows(tuples);
    for note in explain::unknown_constants(&claim, ex.symbols) {
        eprintln!("note: {note}");
    }
    let mut subset = Tuples { arity: ex.program.relations[rel].arity(), data: Vec::new(), rows: 0 };
    for &i in &hits {
        subset.data.extend_from_slice(tuples.get(i));
        subset.rows += 1;
    }
    let mut out = stance::base::terminal::stdout(args.format.shape());
    let result = (|| -> std::io::Result<()> {
        let order = display_order(&subset, &ex.program.relations[rel].types, ex.symbols);
        if args.explain {
            for i in order {
                let tuple = subset.get(i).to_vec();
                if let Some(root) = ex.explain(rel, &tuple) {
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
            let mut shown = ex.program.clone();
            let relation = &mut shown.relations[rel];
            let mut extra = vec!["grade"];
            if grading.has_confidence {
                extra.push("confidence");
            }
            for column in &extra {
                relation.columns.push(column.to_string());
                relation.types.push(stance::base::value::Type::Symbol);
            }
            let mut graded = Tuples::new(relation.arity());
            for &i in &hits {
                let mut row = tuples.get(i).to_vec();
                row.push(ex.symbols.intern(&grading.grades(rel, i).to_string()));
                if grading.has_confidence {
                    row.push(ex.symbols.intern(&confidence_text(grading.confidence(rel, i))));
                }
                graded.push(&row);
            }
            let mut only_hits = Model::unrecorded(vec![Tuples::default(); shown.relations.len()]);
            only_hits.relations[rel] = graded;
            output::render(&mut out, args.format.into(), &shown, &only_hits, &[rel], ex.symbols)?;
        } else {
            let mut only_hits = Model::unrecorded(vec![Tuples::default(); ex.program.relations.len()]);
            only_hits.relations[rel] = subset.clone();
            output::render(&mut out, args.format.into(), ex.program, &only_hits, &[rel], ex.symbols)?;
        }
        out.flush()
    })();
    finish_output(result)?;
    Ok(ExitStatus::judged(!hits.is_empty()))
}
