//! The `stance` command line, and the only place that knows clap: the arguments of each
//! subcommand (one file each), and how a run's outcome becomes an exit status. Every command
//! goes load → evaluate → work → write through [`context::Ctx`]. Standard output carries data
//! only; diagnostics and notes go to standard error.

mod check;
mod completions;
mod conclusions;
mod context;
mod contradictions;
mod diff;
mod explain;
mod fmt;
mod graph;
mod infer;
mod init;
mod lsp;
mod profile;
mod query;
mod report;
mod review;
mod serve;
mod timeline;
mod watch;
mod why_not;

use clap::{Parser, Subcommand, ValueEnum};
use context::Ctx;
use stance::base::source::SourceMap;
use stance::session::ExitStatus;

/// The exit codes every command shares; commands that judge add their meaning of 1.
pub const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    the rules or facts have errors (or a limit was hit, or, with --deny-contradictions,
       a constraint is violated); diagnostics on stderr
  2    usage error, or a file or directory could not be read or written (or is outside the project)
  130  interrupted (Ctrl-C); no output file is left half-written";

#[derive(Parser)]
#[command(name = "stance", version, about = "Infer stances and alliances from sourced facts with Datalog rules", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    /// How to print diagnostics: rich (rustc-style), short (file:line:col: ...), json (one object per line).
    #[arg(long, global = true, value_enum, default_value_t = DiagnosticFormat::Rich)]
    diagnostic_format: DiagnosticFormat,

    /// Colour in diagnostics. `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// Threads for evaluation's sorts, merges and partitioned joins [default: the machine's
    /// cores]. The output is the same, byte for byte, for any N.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiagnosticFormat {
    Rich,
    Short,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate the rules over the facts and print the derived relations.
    #[command(after_help = format!("{}\n\n{EXIT_CODES}", infer::EXAMPLES))]
    Infer(infer::InferArgs),
    /// Parse and check rules and facts without evaluating.
    #[command(after_help = EXIT_CODES)]
    Check(check::CheckArgs),
    /// Show why a claim holds: its proof down to the sourced facts.
    #[command(after_help = format!("{}\n\n{}", explain::EXAMPLES, explain::EXIT_CODES_CLAIM))]
    Explain(explain::ExplainArgs),
    /// Show why a claim does not hold: how far each rule that could derive it gets.
    #[command(name = "why-not", after_help = format!("Example:\n  stance why-not 'aligned(\"Algeria\", \"Haftar\")'\n\n{EXIT_CODES}"))]
    WhyNot(why_not::WhyNotArgs),
    /// List the tuples matching a pattern, derived or given, optionally with proofs.
    #[command(after_help = format!("Examples:\n  stance query 'aligned(x, \"Haftar\")'\n  stance query 'conflict(\"Egypt\", _)' --explain\n\n{}", explain::EXIT_CODES_CLAIM))]
    Query(query::QueryArgs),
    /// When a claim held, and for each change the statement that opened or closed it.
    #[command(after_help = format!("{}\n\n{}", timeline::EXAMPLES, explain::EXIT_CODES_CLAIM))]
    Timeline(timeline::TimelineArgs),
    /// Every derived tuple that started or ended holding in a period, with the statements
    /// responsible.
    #[command(after_help = format!("{}\n\n{EXIT_CODES}", timeline::CHANGES_EXAMPLES))]
    Changes(timeline::ChangesArgs),
    /// Compare the derived relations of two versions (directories, git revisions or dates):
    /// tuples added with their proofs, tuples removed with what broke them.
    #[command(after_help = format!("{}\n\n{}", diff::EXAMPLES, diff::EXIT_CODES_DIFF))]
    Diff(diff::DiffArgs),
    /// Rewrite rule files in the canonical layout.
    #[command(after_help = EXIT_CODES)]
    Fmt(fmt::FmtArgs),
    /// Re-run inference whenever a rule or fact file changes, printing what changed.
    #[command(after_help = EXIT_CODES)]
    Watch(watch::WatchArgs),
    /// Answer JSON requests on standard input (reload, query, status), one per line, keeping
    /// the model (with --engine dd, the live dataflow) between them: for scripts and programs.
    #[command(after_help = serve::HELP)]
    Serve(serve::ServeArgs),
    /// Check the claims of claims files against the knowledge base, with a verdict for each.
    #[command(after_help = format!("{}\n\n{}", review::HELP, review::EXIT_CODES_REVIEW))]
    Review(review::ReviewArgs),
    /// List the violations of the constraints (`:- body.`), each with the proofs that collide.
    #[command(after_help = contradictions::EXIT_CODES_CONTRADICTIONS)]
    Contradictions(contradictions::ContradictionsArgs),
    /// List every literal of a defeasible theory with its status: definitely, defeasibly,
    /// undecided or not.
    #[command(after_help = conclusions::HELP)]
    Conclusions(conclusions::ConclusionsArgs),
    /// Draw the stance network (actors, stated and derived relations) as Graphviz DOT or SVG.
    #[command(after_help = format!("{}\n\n{EXIT_CODES}", graph::EXAMPLES))]
    Graph(graph::GraphArgs),
    /// Write a self-contained HTML report: summary, network, claims with their proofs,
    /// contradictions, and the verdicts of --claims files.
    #[command(after_help = format!("{}\n\n{EXIT_CODES}", report::EXAMPLES))]
    Report(report::ReportArgs),
    /// Create a small working project (facts, rules, claims, a README) in DIR; never replaces a file.
    #[command(after_help = "Example:\n  stance init my-project && cd my-project && stance review claims/")]
    Init(init::InitArgs),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    #[command(after_help = completions::COMPLETIONS_HELP)]
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) of stance or of one subcommand.
    #[command(after_help = completions::MAN_HELP)]
    Man(completions::ManArgs),
    /// Print the slowest rules of a run profiled with `stance infer --profile FILE`.
    #[command(after_help = format!("{}\n\n{EXIT_CODES}", profile::EXAMPLES))]
    Profile(profile::ProfileArgs),
    /// Serve the Language Server Protocol on standard input and output, for editors:
    /// diagnostics as you type, hover, navigation, rename, completion, formatting.
    #[command(after_help = EXIT_CODES)]
    Lsp(lsp::LspArgs),
}

/// Runs the command and turns its outcome into the exit status, showing the diagnostics of a
/// failure.
pub fn run(cli: &Cli) -> ExitStatus {
    // `--jobs`: rayon's pool, used by every parallel step (none without the flag: the
    // machine's cores). Built once, before anything runs on it, so it cannot fail for
    // having been built already.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(cli.jobs.map_or(0, usize::from)).build_global();
    let mut ctx = Ctx { cli, sources: SourceMap::new() };
    let result = match &cli.command {
        Command::Infer(args) => infer::run(args, &mut ctx),
        Command::Check(args) => check::run(args, &mut ctx),
        Command::Explain(args) => explain::run(args, &mut ctx),
        Command::WhyNot(args) => why_not::run(args, &mut ctx),
        Command::Query(args) => query::run(args, &mut ctx),
        Command::Diff(args) => diff::run(args, &mut ctx),
        Command::Timeline(args) => timeline::run(args, &mut ctx),
        Command::Changes(args) => timeline::run_changes(args, &mut ctx),
        Command::Fmt(args) => fmt::run(args, &mut ctx),
        Command::Watch(args) => watch::run(args, &mut ctx),
        Command::Serve(args) => serve::run(args, &mut ctx),
        Command::Review(args) => review::run(args, &mut ctx),
        Command::Contradictions(args) => contradictions::run(args, &mut ctx),
        Command::Conclusions(args) => conclusions::run(args, &mut ctx),
        Command::Graph(args) => graph::run(args, &mut ctx),
        Command::Report(args) => report::run(args, &mut ctx),
        Command::Init(args) => init::run(args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
        Command::Profile(args) => profile::run(args),
        Command::Lsp(args) => lsp::run(args, &mut ctx),
    };
    // A row a proof quoted could not be read back (its table changed since loading): the
    // command fails rather than show the proof without it.
    let result = result.and_then(|status| stance::session::unquoted().map(|()| status));
    match result {
        Ok(status) => status,
        Err(failure) => {
            let sources = failure.sources.as_ref().unwrap_or(&ctx.sources);
            ctx.report(&failure.diagnostics, sources);
            failure.status
        }
    }
}
