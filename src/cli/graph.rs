//! `stance graph`: the stance network as Graphviz DOT, or SVG through Graphviz.

use super::context::{Ctx, ProjectArgs, usage_failure, write_result};
use clap::{Args, ValueEnum};
use stance::picture::network::{self, EdgeClass, NetworkOptions};
use stance::picture::{export, findings, graph};
use stance::session::{ExitStatus, Failure};
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  stance graph > network.dot
  stance graph --format svg -o network.svg          # needs Graphviz's `dot` (Debian: graphviz)
  stance graph --focus Haftar --depth 2 --relations aligned,conflict
  stance graph --class engages=alignment --hide-statements
  stance graph --format graphml -o network.graphml   # Gephi, yEd, networkx.read_graphml
  stance graph --format json                         # node-link: networkx, D3
  stance graph --format csv > edges.csv              # one edge per row";

/// What the network draws; shared by `graph` and `report`.
#[derive(Args)]
pub struct NetworkArgs {
    /// Derived relations to draw as edges [default: the `.output` binary symbol relations].
    #[arg(long, value_name = "REL,...", value_delimiter = ',')]
    relations: Vec<String>,
    /// Colour class of a relation: alignment (green), conflict (red dashed), other (blue),
    /// stated (grey). Default: by name (align, ally, support → alignment; conflict, hostile,
    /// enemy, oppose, rival, fight, war → conflict).
    #[arg(long = "class", value_name = "REL=CLASS", value_parser = parse_class)]
    classes: Vec<(String, EdgeClass)>,
    /// Leave out the stated (input) relations.
    #[arg(long)]
    hide_statements: bool,
}

impl NetworkArgs {
    pub fn options(&self) -> NetworkOptions {
        NetworkOptions {
            relations: (!self.relations.is_empty()).then(|| self.relations.clone()),
            classes: self.classes.iter().cloned().collect(),
            hide_statements: self.hide_statements,
        }
    }
}

fn parse_class(text: &str) -> Result<(String, EdgeClass), String> {
    let (rel, class) = text.split_once('=').ok_or_else(|| format!("expected REL=CLASS, got `{text}`"))?;
    let class = EdgeClass::parse(class.trim())
        .ok_or_else(|| format!("unknown class `{class}` (alignment, conflict, other or stated)"))?;
    Ok((rel.trim().to_string(), class))
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Dot,
    Svg,
    Graphml,
    Json,
    Csv,
}

#[derive(Args)]
pub struct GraphArgs {
    #[command(flatten)]
    project: ProjectArgs,
    #[command(flatten)]
    network: NetworkArgs,
    /// Draw only this actor and its neighbourhood.
    #[arg(long, value_name = "ACTOR")]
    focus: Option<String>,
    /// With --focus: how many edges away from the actor to go.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "focus")]
    depth: usize,
    /// dot: Graphviz source; svg: rendered by Graphviz's `dot` (package `graphviz`); graphml
    /// (Gephi, yEd, networkx); json: node-link (networkx, D3); csv: an edge list.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: &GraphArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    let project = ctx.load(&args.project.inputs())?;
    // The colliding tuples of a violation come from its proof: record when there are constraints.
    let options = args.project.eval_options(!project.program.constraints.is_empty());
    let mut run = ctx.evaluate(project, &options)?;
    let flagged = findings::flagged(&findings::violations(&mut run.explainer()));
    let project = &run.project;
    let built = network::build(&project.program, &run.model, &project.symbols, &args.network.options(), &flagged);
    let focused = built.and_then(|n| match &args.focus {
        Some(actor) => n.focus(actor, args.depth),
        None => Ok(n),
    });
    let mut network = match focused {
        Ok(n) => n,
        Err(d) => return Err(usage_failure(d, run.project)),
    };
    if super::explain::graded(&run.project.facts) {
        let grading = run.grading();
        let project = &run.project;
        network.grade_edges(&project.program, &run.model, &project.symbols, &grading);
    }
    let stamp = args.project.stamp();
    let bytes = match args.format {
        GraphFormat::Dot => graph::to_dot(&network, &stamp).into_bytes(),
        GraphFormat::Svg => {
            graph::dot_to_svg(&graph::to_dot(&network, &stamp)).map_err(|d| Failure::new(vec![d], ExitStatus::Usage))?
        }
        GraphFormat::Graphml => export::to_graphml(&network, &stamp).into_bytes(),
        GraphFormat::Json => export::to_json(&network, &stamp).into_bytes(),
        GraphFormat::Csv => {
            export::to_csv(&network, &stamp).map_err(|e| Failure::io(format!("cannot write CSV: {e}")))?.into_bytes()
        }
    };
    write_result(args.output.as_deref(), &bytes).map(|()| ExitStatus::Success)
}
