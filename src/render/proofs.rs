//! Relations printed with the proof of every tuple (`stance infer --provenance`): a proof
//! tree per tuple (table), a one-line trace column (CSV), or one JSON object per tuple with
//! its proof DAG (JSON Lines), the DAGs sharing their nodes across the lines.

use crate::base::value::display;
use crate::lang::ir::RelId;
use crate::proof::explain;
use crate::proof::provenance::Explainer;
use crate::render::output::{self, Format};
use std::io::Write;

/// Writes every tuple of `shown`, in display order, with its proof.
pub fn render_with_proofs(
    out: &mut dyn Write,
    format: Format,
    ex: &mut Explainer,
    shown: &[RelId],
) -> std::io::Result<()> {
    let model = ex.model;
    let mut csv_writer =
        (format == Format::Csv).then(|| csv::WriterBuilder::new().flexible(true).from_writer(Vec::new()));
    // One numbering of proof nodes for the whole stream: each node is written once.
    let mut numbering = explain::Numbering::default();
    for &rel in shown {
        let decl = &ex.program.relations[rel];
        let order = output::display_order(&model.relations[rel], &decl.types, ex.symbols);
        if let Some(w) = csv_writer.as_mut() {
            let mut header = vec!["relation".to_string()];
            header.extend(decl.columns.iter().cloned());
            header.push("proof".into());
            w.write_record(&header).map_err(output::csv_io)?;
        }
        for i in order {
            let tuple = model.relations[rel].get(i).to_vec();
            let Some(root) = ex.explain(rel, &tuple) else { continue };
            match format {
                Format::Json => writeln!(out, "{}", explain::provenance_json(ex, root, &mut numbering))?,
                Format::Table => writeln!(out, "{}", explain::render_tree(ex, root, None))?,
                Format::Csv => {
                    let decl = &ex.program.relations[rel];
                    let mut record = vec![decl.name.clone()];
                    record.extend(tuple.iter().zip(&decl.types).map(|(&v, &t)| display(v, t, ex.symbols)));
                    record.push(explain::compact_trace(ex, root));
                    if let Some(w) = csv_writer.as_mut() {
                        w.write_record(&record).map_err(output::csv_io)?;
                    }
                }
            }
        }
    }
    if let Some(w) = csv_writer {
        let bytes = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
        out.write_all(&bytes)?;
    }
    Ok(())
}
