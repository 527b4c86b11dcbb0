//! The `stance` command line: flags → validated arguments → work. Standard output carries
//! data only; diagnostics and notes go to standard error.

use clap::{Args, Parser, Subcommand, ValueEnum};
use stance::asof::Date;
use stance::diag::{self, Diagnostic};
use stance::driver::{self, Failure, Inputs, Project};
use stance::eval::EvalOptions;
use stance::explain;
use stance::output::{self, Format};
use stance::provenance::Explainer;
use stance::source::SourceMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    the rules or facts have errors (or a limit was hit, or, with --deny-contradictions,
       a constraint is violated); diagnostics on stderr
  2    usage error, or a file or directory could not be read or written (or is outside the project)
  130  interrupted (Ctrl-C); no output file is left half-written";

const INFER_EXAMPLES: &str = "\
Examples:
  stance infer                              # rules/*.dl over facts/, print derived relations
  stance infer --format json > model.json   # machine-readable
  stance infer --relation aligned --format csv
  stance infer --rules rules/libya.dl --facts facts --output-dir out
  cat program.dl | stance infer --rules - --no-facts
  stance infer --explain-plan               # show how each rule runs on datafrog";

#[derive(Parser)]
#[command(name = "stance", version, about = "Infer stances and alliances from sourced facts with Datalog rules", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// How to print diagnostics: rich (rustc-style), short (file:line:col: ...), json (one object per line).
    #[arg(long, global = true, value_enum, default_value_t = DiagnosticFormat::Rich)]
    diagnostic_format: DiagnosticFormat,

    /// Colour in diagnostics. `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
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
    #[command(after_help = format!("{INFER_EXAMPLES}\n\n{EXIT_CODES}"))]
    Infer(InferArgs),
    /// Parse and check rules and facts without evaluating.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Show why a claim holds: its proof down to the sourced facts.
    #[command(after_help = format!("{EXPLAIN_EXAMPLES}\n\n{EXIT_CODES_CLAIM}"))]
    Explain(ExplainArgs),
    /// Show why a claim does not hold: how far each rule that could derive it gets.
    #[command(name = "why-not", after_help = format!("Example:\n  stance why-not 'aligned(\"Algeria\", \"Haftar\")'\n\n{EXIT_CODES}"))]
    WhyNot(WhyNotArgs),
    /// List the tuples matching a pattern, derived or given, optionally with proofs.
    #[command(after_help = format!("Examples:\n  stance query 'aligned(x, \"Haftar\")'\n  stance query 'conflict(\"Egypt\", _)' --explain\n\n{EXIT_CODES_CLAIM}"))]
    Query(QueryArgs),
    /// Compare the derived relations of two versions (directories, git revisions or dates):
    /// tuples added with their proofs, tuples removed with what broke them.
    #[command(after_help = format!("{DIFF_EXAMPLES}\n\n{EXIT_CODES_DIFF}"))]
    Diff(DiffArgs),
    /// Rewrite rule files in the canonical layout.
    #[command(after_help = EXIT_CODES)]
    Fmt(FmtArgs),
    /// Re-run inference whenever a rule or fact file changes, printing what changed.
    #[command(after_help = EXIT_CODES)]
    Watch(WatchArgs),
    /// Check the claims of claims files against the knowledge base, with a verdict for each.
    #[command(after_help = format!("{REVIEW_HELP}\n\n{EXIT_CODES_REVIEW}"))]
    Review(ReviewArgs),
    /// List the violations of the constraints (`:- body.`), each with the proofs that collide.
    #[command(after_help = EXIT_CODES_CONTRADICTIONS)]
    Contradictions(ContradictionsArgs),
    /// Draw the stance network (actors, stated and derived relations) as Graphviz DOT or SVG.
    #[command(after_help = format!("{GRAPH_EXAMPLES}\n\n{EXIT_CODES}"))]
    Graph(GraphArgs),
    /// Write a self-contained HTML report: summary, network, claims with their proofs,
    /// contradictions, and the verdicts of --claims files.
    #[command(after_help = format!("Examples:\n  stance report -o report.html\n  stance report --claims claims/libya.claims -o report.html\n  stance report --relations aligned,conflict --max-claims 500 -o report.html\n\nThe report is written whatever the claims' verdicts (`stance review` exits 1 on a failed one).\n\n{EXIT_CODES}"))]
    Report(ReportArgs),
}

const REVIEW_HELP: &str = "\
Claims files (*.claims), one claim per line:
  aligned(\"Russia\", \"Tobruk\").            expected to be derivable
  !conflict(\"Egypt\", \"Tobruk\").           expected not to be derivable
  count aligned(_, \"Haftar\") = 11.        expected number of matching tuples
  contradicted aligned(\"Egypt\", \"GNA\").   expected to collide with a constraint
  // comment lines above a claim (or after it, on its line) are its note
Or CSV (*.csv) with the columns claim,expect,note; expect is `supported` (or empty),
`not supported`, `contradicted` or `count = N`. A directory means every *.claims and *.csv
inside; `-` reads claims (in the .claims syntax) from standard input.

Verdicts: SUPPORTED (derivable), NOT SUPPORTED, CONTRADICTED (the claim would complete a
constraint violation), FAILED (the expectation is not met).

Examples:
  stance review claims/libya.claims
  stance review claims/ --format junit > review.xml";

const EXIT_CODES_REVIEW: &str = "\
Exit codes:
  0  every expectation is met
  1  some expectation fails, or the claims, rules or facts have errors
  2  usage error, or a file could not be read";

const EXIT_CODES_CONTRADICTIONS: &str = "\
Exit codes:
  0  no constraint is violated
  1  some constraint is violated, or the rules or facts have errors
  2  usage error, or a file could not be read";

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReviewFormat {
    Text,
    Json,
    Junit,
}

#[derive(Args)]
struct ReviewArgs {
    /// Claims files (*.claims, *.csv) or directories; `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    project: ProjectArgs,
    /// text: a line per claim with what backs it; json: every field; junit: JUnit XML for CI.
    #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
    format: ReviewFormat,
}

#[derive(Args)]
struct ContradictionsArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// text: each violation with the proof tree of every body atom; json: one object.
    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    format: ProofFormat,
}

const GRAPH_EXAMPLES: &str = "\
Examples:
  stance graph > network.dot
  stance graph --format svg -o network.svg          # needs Graphviz's `dot` (Debian: graphviz)
  stance graph --focus Haftar --depth 2 --relations aligned,conflict
  stance graph --class engages=alignment --hide-statements";

/// What the network draws; shared by `graph` and `report`.
#[derive(Args)]
struct NetworkArgs {
    /// Derived relations to draw as edges [default: the `.output` binary symbol relations].
    #[arg(long, value_name = "REL,...", value_delimiter = ',')]
    relations: Vec<String>,
    /// Colour class of a relation: alignment (green), conflict (red dashed), other (blue),
    /// stated (grey). Default: by name (align, ally, support → alignment; conflict, hostile,
    /// enemy, oppose, rival, fight, war → conflict).
    #[arg(long = "class", value_name = "REL=CLASS", value_parser = parse_class)]
    classes: Vec<(String, stance::network::EdgeClass)>,
    /// Leave out the stated (input) relations.
    #[arg(long)]
    hide_statements: bool,
}

impl NetworkArgs {
    fn options(&self) -> stance::network::NetworkOptions {
        stance::network::NetworkOptions {
            relations: (!self.relations.is_empty()).then(|| self.relations.clone()),
            classes: self.classes.iter().cloned().collect(),
            hide_statements: self.hide_statements,
        }
    }
}

fn parse_class(text: &str) -> Result<(String, stance::network::EdgeClass), String> {
    let (rel, class) = text.split_once('=').ok_or_else(|| format!("expected REL=CLASS, got `{text}`"))?;
    let class = stance::network::EdgeClass::parse(class.trim())
        .ok_or_else(|| format!("unknown class `{class}` (alignment, conflict, other or stated)"))?;
    Ok((rel.trim().to_string(), class))
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Dot,
    Svg,
}

#[derive(Args)]
struct GraphArgs {
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
    /// dot: Graphviz source; svg: rendered by Graphviz's `dot` (package `graphviz`).
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct ReportArgs {
    #[command(flatten)]
    project: ProjectArgs,
    #[command(flatten)]
    network: NetworkArgs,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// List at most N derived claims (with proofs) in the table.
    #[arg(long, value_name = "N", default_value_t = stance::report::DEFAULT_MAX_CLAIMS)]
    max_claims: usize,
    /// The page's title.
    #[arg(long, default_value = "stance report")]
    title: String,
    /// Review these claims files (*.claims, *.csv) or directories, as `stance review` does,
    /// and show each claim's verdict; `-` reads standard input.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    claims: Vec<PathBuf>,
}

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  stance explain 'aligned(\"Egypt\", \"Haftar\")'
  stance explain 'hedges(\"Russia\", \"Tobruk\", \"GNA\")' --depth 2
  stance explain 'conflict(\"Egypt\", \"GNA\")' --proofs 3 --format json";

const EXIT_CODES_CLAIM: &str = "\
Exit codes:
  0    the claim holds (explain) or some tuple matches (query)
  1    it does not hold / nothing matches, or the rules or facts have errors
  2    usage error, or a file could not be read
  130  interrupted (Ctrl-C)";

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProofFormat {
    Text,
    Json,
}

#[derive(Args)]
struct ExplainArgs {
    /// The claim, as an atom with constants: 'aligned("Egypt", "Haftar")'.
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
}

#[derive(Args)]
struct WhyNotArgs {
    /// The claim that was expected to hold: 'aligned("Algeria", "Haftar")'.
    claim: String,
    #[command(flatten)]
    project: ProjectArgs,
}

#[derive(Args)]
struct QueryArgs {
    /// A pattern: an atom whose arguments are constants, variables or `_`.
    pattern: String,
    #[command(flatten)]
    project: ProjectArgs,
    /// Print the proof of every match.
    #[arg(long)]
    explain: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
struct ProjectArgs {
    /// Rule files or directories (every *.dl inside); `-` reads standard input.
    #[arg(long = "rules", short = 'r', value_name = "PATH", default_value = "rules")]
    rules: Vec<PathBuf>,

    /// Keep only the statements valid on this day: `date` (valid from) empty or on or before
    /// it, `until` (inclusive) empty or on or after it. Relation tables are not dated.
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<Date>,

    /// Directory of fact tables [default: facts, when it exists].
    #[arg(long, short = 'f', value_name = "DIR", conflicts_with = "no_facts")]
    facts: Option<PathBuf>,

    /// Use only the facts written in the rule files.
    #[arg(long)]
    no_facts: bool,

    /// Let `.input`/`.output` file names, symlinks and `--output-dir` lead outside the facts
    /// directory, the output directory and the current directory (refused by default).
    #[arg(long)]
    allow_outside_paths: bool,
}

impl ProjectArgs {
    fn inputs(&self) -> Inputs {
        let facts = match (&self.facts, self.no_facts) {
            (_, true) => None,
            (Some(dir), _) => Some(dir.clone()),
            (None, false) => Some(PathBuf::from("facts")).filter(|d| d.is_dir()),
        };
        Inputs { rules: self.rules.clone(), facts, as_of: self.as_of, allow_outside_paths: self.allow_outside_paths }
    }
}

#[derive(Args)]
struct InferArgs {
    #[command(flatten)]
    project: ProjectArgs,

    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Print only these relations (default: the `.output` ones, or every derived relation).
    #[arg(long = "relation", value_name = "NAME")]
    relations: Vec<String>,

    /// Also write each output relation into DIR as Soufflé does (`<rel>.csv`, tab-separated).
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,

    /// Print the evaluation plan (each rule's joins on datafrog) to standard error.
    #[arg(long)]
    explain_plan: bool,

    /// Stop with an error when a relation grows beyond N tuples.
    #[arg(long, value_name = "N")]
    max_tuples: Option<usize>,

    /// Stop with an error after this many seconds.
    #[arg(long, value_name = "SECONDS", value_parser = stance::limits::parse_seconds)]
    timeout: Option<Duration>,

    /// Stop with an error when the process holds more memory than SIZE (512M, 2G)
    /// [default: half the memory available when the run starts].
    #[arg(long, value_name = "SIZE", value_parser = stance::limits::parse_bytes)]
    max_memory: Option<u64>,

    /// Print every tuple with its proof: a tree (table), a trace column (csv), or one
    /// JSON object per tuple with the proof DAG (json, as JSON Lines).
    #[arg(long)]
    provenance: bool,

    /// Treat constraint violations (reported as warnings) as errors: exit with 1.
    #[arg(long)]
    deny_contradictions: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Rule files or directories to check (instead of `--rules`).
    #[arg(value_name = "PATHS")]
    paths: Vec<PathBuf>,

    #[command(flatten)]
    project: ProjectArgs,

    /// Treat warnings as errors: print them and exit with 1.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Args)]
struct FmtArgs {
    /// Rule files or directories (every *.dl inside); `-` formats standard input to standard output.
    #[arg(value_name = "PATHS", default_value = "rules")]
    paths: Vec<PathBuf>,

    /// Change nothing; list the files that are not formatted and exit with 1 if there are any.
    #[arg(long)]
    check: bool,
}

#[derive(Args)]
struct WatchArgs {
    #[command(flatten)]
    project: ProjectArgs,

    /// Show only these relations (default: the `.output` ones, or every derived relation).
    #[arg(long = "relation", value_name = "NAME")]
    relations: Vec<String>,

    /// Print how long each re-run took to standard error.
    #[arg(long)]
    timing: bool,

    /// Stop after N runs (the first run counts): for scripts and tests.
    #[arg(long, value_name = "N", hide = true)]
    exit_after: Option<usize>,
}

const DIFF_EXAMPLES: &str = "\
Examples:
  stance diff HEAD                        # what the uncommitted edits change
  stance diff HEAD~3 HEAD                 # between two revisions
  stance diff --before old --after new    # two directories, each with rules/ and facts/
  stance diff --as-of-before 2016-06-30 --as-of-after 2016-11-30
  stance diff HEAD --format json

--rules and --facts name paths inside each version (default: rules, facts). A revision's
files are read with git into a temporary directory; the working tree is the default
after-version. --as-of applies to both versions; --as-of-before and --as-of-after to one.";

const EXIT_CODES_DIFF: &str = "\
Exit codes:
  0  both versions evaluated (whether or not they differ, unless --exit-code)
  1  --exit-code and the derived tuples differ, or either version's rules or facts have
     errors (the diagnostics name the version)
  2  usage error, a file could not be read, or a revision could not be read with git";

#[derive(Args)]
struct DiffArgs {
    /// Git revision of the before-version (and of the after-version when a second is given).
    #[arg(value_name = "REV", num_args = 0..=2, conflicts_with = "before")]
    revisions: Vec<String>,

    /// Directory of the before-version (with rules/ and facts/ inside).
    #[arg(long, value_name = "DIR")]
    before: Option<PathBuf>,

    /// Directory of the after-version [default: the working directory].
    #[arg(long, value_name = "DIR")]
    after: Option<PathBuf>,

    #[command(flatten)]
    project: ProjectArgs,

    /// Keep only the statements valid on this day in the before-version (overrides --as-of).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of_before: Option<Date>,

    /// Keep only the statements valid on this day in the after-version (overrides --as-of).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of_after: Option<Date>,

    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    format: ProofFormat,

    /// Exit with 1 when the derived tuples differ (as `git diff --exit-code`).
    #[arg(long)]
    exit_code: bool,

    /// Print to standard error how long each step took.
    #[arg(long)]
    timing: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    stance::interrupt::install();
    // Proof search recurses once per proof level; give deep proofs room.
    let worker = std::thread::Builder::new().stack_size(512 << 20).spawn(move || run(&cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => ExitCode::from(2),
    }
}

fn run(cli: &Cli) -> u8 {
    let mut sources = SourceMap::new();
    let result = match &cli.command {
        Command::Infer(args) => infer(args, &mut sources, cli),
        Command::Check(args) => check(args, &mut sources, cli),
        Command::Explain(args) => explain(args, &mut sources, cli),
        Command::WhyNot(args) => why_not(args, &mut sources, cli),
        Command::Query(args) => query(args, &mut sources, cli),
        Command::Diff(args) => diff(args, cli),
        Command::Fmt(args) => fmt(args, &mut sources, cli).map(|()| 0),
        Command::Watch(args) => watch(args, cli).map(|()| 0),
        Command::Review(args) => review(args, &mut sources, cli),
        Command::Contradictions(args) => contradictions(args, &mut sources, cli),
        Command::Graph(args) => graph(args, &mut sources, cli).map(|()| 0),
        Command::Report(args) => report_html(args, &mut sources, cli).map(|()| 0),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            report(&failure.diagnostics, &sources, cli);
            failure.exit_code as u8
        }
    }
}

fn report(diags: &[Diagnostic], sources: &SourceMap, cli: &Cli) {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    };
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for d in diags {
        let text = match cli.diagnostic_format {
            DiagnosticFormat::Rich => diag::render_rich(d, sources, color),
            DiagnosticFormat::Short => diag::render_short(d, sources) + "\n",
            DiagnosticFormat::Json => diag::render_json(d, sources) + "\n",
        };
        let _ = err.write_all(text.as_bytes());
    }
    if matches!(cli.diagnostic_format, DiagnosticFormat::Rich) {
        let errors = diags.iter().filter(|d| d.is_error()).count();
        if errors > 0 {
            let _ = writeln!(err, "error: {errors} error{} found", if errors == 1 { "" } else { "s" });
        }
    }
}

fn load(project: &ProjectArgs, sources: &mut SourceMap, cli: &Cli) -> Result<Project, Failure> {
    let loaded = driver::load(&project.inputs(), sources)?;
    report(&loaded.warnings, &loaded.sources, cli);
    Ok(loaded)
}

fn infer(args: &InferArgs, sources: &mut SourceMap, cli: &Cli) -> Result<u8, Failure> {
    let mut project = load(&args.project, sources, cli)?;
    if let Some(dir) = args.output_dir.as_deref().filter(|_| !args.project.allow_outside_paths) {
        let refused = stance::confine::output_files(dir, &project.program, &project.sources);
        if !refused.is_empty() {
            *sources = std::mem::take(&mut project.sources);
            return Err(Failure { diagnostics: refused, exit_code: 2 });
        }
    }
    if args.explain_plan {
        eprint!("{}", stance::plan::describe(&project.plan, &project.program, &project.sources));
    }
    let shown = if args.relations.is_empty() {
        project.program.shown_relations()
    } else {
        let mut ids = Vec::new();
        for name in &args.relations {
            match project.program.relation_id(name) {
                Some(id) if !project.program.is_constraint(id) => ids.push(id),
                _ => {
                    let mut d = Diagnostic::error(diag::Code::UnknownRelation, format!("unknown relation `{name}`"));
                    if let Some(s) = diag::did_you_mean(name, project.program.relations.iter().map(|r| r.name.as_str()))
                    {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    *sources = std::mem::take(&mut project.sources);
                    return Err(Failure { diagnostics: vec![d], exit_code: 2 });
                }
            }
        }
        ids
    };
    // A time too far ahead for the clock is no deadline.
    let deadline = args.timeout.and_then(|t| Instant::now().checked_add(t));
    // Violations are reported with the atoms that collide, which needs the proofs.
    let record = args.provenance || !project.program.constraints.is_empty();
    let options =
        EvalOptions { record, max_tuples: args.max_tuples, deadline, max_memory: args.max_memory, cancel: None };
    let model = match evaluate(&mut project, &options, cli) {
        Ok(m) => m,
        Err(f) => {
            *sources = std::mem::take(&mut project.sources);
            return Err(f);
        }
    };
    if !project.program.constraints.is_empty() {
        let Project { program, facts, sources: srcs, symbols, .. } = &mut project;
        let mut ex = Explainer::new(program, &model, facts, srcs, symbols);
        let found: Vec<Diagnostic> = stance::constraints::violations(&mut ex)
            .iter()
            .map(|v| stance::constraints::violation_diagnostic(&ex, v, args.deny_contradictions))
            .collect();
        if args.deny_contradictions && !found.is_empty() {
            *sources = std::mem::take(&mut project.sources);
            return Err(Failure { diagnostics: found, exit_code: 1 });
        }
        report(&found, &project.sources, cli);
    }

    if let Some(dir) = &args.output_dir {
        let marked: Vec<usize> = (0..project.program.relations.len())
            .filter(|&r| !project.program.relations[r].outputs.is_empty())
            .collect();
        let to_write = if marked.is_empty() { &shown } else { &marked };
        output::write_output_dir(dir, &project.program, &model, to_write, &project.symbols).map_err(Failure::io)?;
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let rendered = if args.provenance {
        render_with_proofs(&mut out, args.format, &mut project, &model, &shown)
    } else {
        output::render(&mut out, args.format, &project.program, &model, &shown, &project.symbols)
    };
    let result = rendered.and_then(|()| {
        for (id, rel) in project.program.relations.iter().enumerate() {
            if rel.printsize {
                writeln!(out, "{}\t{}", rel.name, model.relations[id].len())?;
            }
        }
        out.flush()
    });
    finish_output(result).map(|()| 0)
}

/// Evaluates; a run stopped by a limit inside one of datafrog's sorts, which cannot be
/// interrupted, is ended by the watchdog with the diagnostic (no output is written by then).
fn evaluate(project: &mut Project, options: &EvalOptions, cli: &Cli) -> Result<stance::eval::Model, Failure> {
    let on_stuck = |d: &Diagnostic, sources: &SourceMap| {
        report(std::slice::from_ref(d), sources, cli);
        std::process::exit(1);
    };
    driver::evaluate_with(project, options, Some(&on_stuck))
}

/// Ends a write to standard output: a closed pipe (`| head`) stops quietly, as other Unix
/// tools do; any other failure is an I/O error.
fn finish_output(result: std::io::Result<()>) -> Result<(), Failure> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::io(format!("cannot write output: {e}"))),
    }
}

fn render_with_proofs(
    out: &mut dyn Write,
    format: Format,
    project: &mut Project,
    model: &stance::eval::Model,
    shown: &[usize],
) -> std::io::Result<()> {
    let Project { program, facts, sources, symbols, .. } = project;
    let mut ex = Explainer::new(program, model, facts, sources, symbols);
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
                Format::Json => writeln!(out, "{}", explain::provenance_json(&ex, root, &mut numbering))?,
                Format::Table => writeln!(out, "{}", explain::render_tree(&ex, root, None))?,
                Format::Csv => {
                    let mut record = vec![decl.name.clone()];
                    record
                        .extend(tuple.iter().zip(&decl.types).map(|(&v, &t)| stance::value::display(v, t, ex.symbols)));
                    record.push(explain::compact_trace(&ex, root));
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

/// Loads and evaluates with recording on, for the commands that explain.
fn load_recorded(
    project: &ProjectArgs,
    sources: &mut SourceMap,
    cli: &Cli,
) -> Result<(Project, stance::eval::Model), Failure> {
    let mut loaded = load(project, sources, cli)?;
    let options = EvalOptions { record: true, ..Default::default() };
    match evaluate(&mut loaded, &options, cli) {
        Ok(model) => Ok((loaded, model)),
        Err(f) => {
            *sources = std::mem::take(&mut loaded.sources);
            Err(f)
        }
    }
}

fn claim_of(text: &str, project: &mut Project, sources: &mut SourceMap) -> Result<explain::Claim, Failure> {
    match explain::parse_claim(text, &mut project.sources, &project.program, &project.symbols) {
        Ok(c) => Ok(c),
        Err(diagnostics) => {
            *sources = std::mem::take(&mut project.sources);
            Err(Failure { diagnostics, exit_code: 1 })
        }
    }
}

fn explain(args: &ExplainArgs, sources: &mut SourceMap, cli: &Cli) -> Result<u8, Failure> {
    let started = Instant::now();
    let (mut project, model) = load_recorded(&args.project, sources, cli)?;
    let evaluated = Instant::now();
    let claim = claim_of(&args.claim, &mut project, sources)?;
    let Project { program, facts, sources: srcs, symbols, .. } = &mut project;
    let mut ex = Explainer::new(program, &model, facts, srcs, symbols);
    let roots = match claim.tuple() {
        Some(tuple) => ex.explain_many(claim.rel, &tuple, args.proofs.max(1)),
        None => Vec::new(),
    };
    if args.timing {
        eprintln!(
            "timing: load and evaluate {:.1} ms, explain {:.1} ms",
            (evaluated - started).as_secs_f64() * 1e3,
            evaluated.elapsed().as_secs_f64() * 1e3
        );
    }
    if roots.is_empty() {
        let mut msg = format!("`{}` does not hold", claim.text);
        for note in explain::unknown_constants(&claim, ex.symbols) {
            msg.push_str(&format!("\n  note: {note}"));
        }
        eprintln!("{msg}\nhelp: `stance why-not '{}'` shows how far each rule gets", claim.text);
        return Ok(1);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = (|| -> std::io::Result<()> {
        for (i, &root) in roots.iter().enumerate() {
            match args.format {
                ProofFormat::Json => writeln!(out, "{}", explain::proof_json(&ex, root))?,
                ProofFormat::Text => {
                    if roots.len() > 1 {
                        writeln!(out, "proof {} of {} (height {})", i + 1, roots.len(), ex.nodes[root].height)?;
                    }
                    write!(out, "{}", explain::render_tree(&ex, root, args.depth))?;
                    if i + 1 < roots.len() {
                        writeln!(out)?;
                    }
                }
            }
        }
        out.flush()
    })();
    finish_output(result).map(|()| 0)
}

fn review(args: &ReviewArgs, sources: &mut SourceMap, cli: &Cli) -> Result<u8, Failure> {
    let files = stance::claim_files::expand(&args.files)?;
    let (mut project, model) = load_recorded(&args.project, sources, cli)?;
    let specs = match stance::claim_files::load(&files, &mut project) {
        Ok(s) => s,
        Err(f) => {
            *sources = std::mem::take(&mut project.sources);
            return Err(f);
        }
    };
    let Project { program, facts, sources: srcs, symbols, .. } = &mut project;
    let mut ex = Explainer::new(program, &model, facts, srcs, symbols);
    let outcomes = stance::review::review(&mut ex, &specs);
    let rendered = match args.format {
        ReviewFormat::Text => stance::review::render_text(&mut ex, &outcomes),
        ReviewFormat::Json => format!("{}\n", stance::review::render_json(&mut ex, &outcomes)),
        ReviewFormat::Junit => stance::review::render_junit(&mut ex, &outcomes),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    finish_output(out.write_all(rendered.as_bytes()).and_then(|()| out.flush()))?;
    Ok(if outcomes.iter().all(|o| o.passed()) { 0 } else { 1 })
}

fn contradictions(args: &ContradictionsArgs, sources: &mut SourceMap, cli: &Cli) -> Result<u8, Failure> {
    let (mut project, model) = load_recorded(&args.project, sources, cli)?;
    let Project { program, facts, sources: srcs, symbols, .. } = &mut project;
    let mut ex = Explainer::new(program, &model, facts, srcs, symbols);
    let found = stance::constraints::violations(&mut ex);
    let rendered = match args.format {
        ProofFormat::Text => {
            let blocks: Vec<String> = found.iter().map(|v| stance::constraints::render_violation(&ex, v)).collect();
            blocks.join("\n")
        }
        ProofFormat::Json => {
            let list: Vec<serde_json::Value> =
                found.iter().map(|v| stance::constraints::violation_json(&ex, v)).collect();
            format!("{}\n", serde_json::json!({ "violations": list }))
        }
    };
    let constraints = ex.program.constraints.len();
    eprintln!(
        "{} violation{} of {constraints} constraint{}",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        if constraints == 1 { "" } else { "s" }
    );
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    finish_output(out.write_all(rendered.as_bytes()).and_then(|()| out.flush()))?;
    Ok(if found.is_empty() { 0 } else { 1 })
}

fn why_not(args: &WhyNotArgs, sources: &mut SourceMap, cli: &Cli) -> Result<u8, Failure> {
    let (mut project, model) = load_recorded(&args.project, sources, cli)?;
    let claim = claim_of(&args.claim, &mut project, sources)?;
    let Project { program, facts, sources: srcs, symbols, .. } = &mut project;
    let mut ex = Explainer::new(program, &model, facts, srcs, symbols);
    let report = explain::why_not(&mut ex, &claim);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    finish_output(out.write_all(report.as_bytes()).and_then(|()| out.flush())).map(|()| 0)
}

fn query(args: &QueryArgs, sources: &mut SourceMap, cli: &Cli) -> Result<u8, Failure> {
    let (mut project, model) = load_recorded(&args.project, sources, cli)?;
    let claim = claim_of(&args.pattern, &mut project, sources)?;
    let Project { program, facts, sources: srcs, symbols, .. } = &mut project;
    let mut ex = Explainer::new(program, &model, facts, srcs, symbols);
    let rel = claim.rel;
    let decl = &ex.program.relations[rel];
    // Repeated variables in the pattern must agree.
    let var_positions: Vec<(usize, &str)> = claim
        .args
        .iter()
        .enumerate()
        .filter_map(|(i, a)| if let explain::ClaimArg::Var(n) = a { Some((i, n.as_str())) } else { None })
        .collect();
    let hits: Vec<usize> = match claim.pattern() {
        Some(pattern) => stance::provenance::matches(&model.relations[rel], &pattern)
            .filter(|&i| {
                let t = model.relations[rel].get(i);
                var_positions.iter().all(|&(p, n)| var_positions.iter().all(|&(q, m)| n != m || t[p] == t[q]))
            })
            .collect(),
        None => Vec::new(),
    };
    for note in explain::unknown_constants(&claim, ex.symbols) {
        eprintln!("note: {note}");
    }
    let mut subset = stance::eval::Tuples { arity: decl.arity(), data: Vec::new(), rows: 0 };
    for &i in &hits {
        subset.data.extend_from_slice(model.relations[rel].get(i));
        subset.rows += 1;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = (|| -> std::io::Result<()> {
        let order = output::display_order(&subset, &decl.types, ex.symbols);
        if args.explain {
            for i in order {
                let tuple = subset.get(i).to_vec();
                if let Some(root) = ex.explain(rel, &tuple) {
                    match args.format {
                        Format::Json => writeln!(out, "{}", explain::proof_json(&ex, root))?,
                        Format::Csv => writeln!(out, "{}", explain::compact_trace(&ex, root))?,
                        Format::Table => writeln!(out, "{}", explain::render_tree(&ex, root, None))?,
                    }
                }
            }
        } else {
            let mut only_hits =
                stance::eval::Model::unrecorded(vec![stance::eval::Tuples::default(); ex.program.relations.len()]);
            only_hits.relations[rel] = subset.clone();
            output::render(&mut out, args.format, ex.program, &only_hits, &[rel], ex.symbols)?;
        }
        out.flush()
    })();
    finish_output(result)?;
    Ok(if hits.is_empty() { 1 } else { 0 })
}

fn diff(args: &DiffArgs, cli: &Cli) -> Result<u8, Failure> {
    use stance::diff::{Layout, Location};
    let started = Instant::now();
    let revs = &args.revisions;
    let before = match (&args.before, revs.first()) {
        (Some(dir), _) => Location::Dir(dir.clone()),
        (None, Some(rev)) => Location::Revision(rev.clone()),
        (None, None) => Location::WorkingTree,
    };
    let after = match (&args.after, revs.get(1)) {
        (Some(_), Some(_)) => {
            return Err(Failure::io("give the after-version once: a second REV or --after DIR".into()));
        }
        (Some(dir), None) => Location::Dir(dir.clone()),
        (None, Some(rev)) => Location::Revision(rev.clone()),
        (None, None) => Location::WorkingTree,
    };
    let as_of = (args.as_of_before.or(args.project.as_of), args.as_of_after.or(args.project.as_of));
    if before == after && as_of.0 == as_of.1 {
        return Err(Failure::io(
            "nothing to compare: give a revision (REV), --before DIR, or two dates (--as-of-before, --as-of-after)"
                .into(),
        ));
    }
    let layout = Layout {
        rules: args.project.rules.clone(),
        facts: args.project.facts.clone(),
        no_facts: args.project.no_facts,
    };
    let mut versions = Vec::new();
    let mut exit_code = 0;
    for (which, location, day) in [("before", &before, as_of.0), ("after", &after, as_of.1)] {
        match stance::diff::load_version(location, &layout, day) {
            Ok(v) => versions.push(v),
            Err((mut failure, sources)) => {
                // Name the version in every diagnostic, so that each format carries it.
                for d in &mut failure.diagnostics {
                    d.notes.push(format!("in the {which}-version ({})", location.label()));
                }
                report(&failure.diagnostics, &sources, cli);
                exit_code = exit_code.max(failure.exit_code);
                if failure.exit_code == 2 {
                    break; // a usage or read error: the other version would only add noise
                }
            }
        }
    }
    let [mut before, mut after] = match <[_; 2]>::try_from(versions) {
        Ok(pair) if exit_code == 0 => pair,
        _ => return Err(Failure { diagnostics: Vec::new(), exit_code }),
    };
    let loaded = Instant::now();
    let diff = stance::diff::compare(&mut before, &mut after);
    let rendered = match args.format {
        ProofFormat::Text => stance::diff::render_text(&diff),
        ProofFormat::Json => format!("{}\n", stance::diff::render_json(&diff)),
    };
    if args.timing {
        eprintln!(
            "timing: load and evaluate both versions {:.1} ms, compare and explain {:.1} ms",
            (loaded - started).as_secs_f64() * 1e3,
            loaded.elapsed().as_secs_f64() * 1e3
        );
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    finish_output(out.write_all(rendered.as_bytes()).and_then(|()| out.flush()))?;
    Ok(if args.exit_code && !diff.is_empty() { 1 } else { 0 })
}

fn check(args: &CheckArgs, sources: &mut SourceMap, cli: &Cli) -> Result<u8, Failure> {
    let mut inputs = args.project.inputs();
    if !args.paths.is_empty() {
        inputs.rules = args.paths.clone();
    }
    let project = driver::load(&inputs, sources)?;
    report(&project.warnings, &project.sources, cli);
    let warnings = project.warnings.len();
    if args.deny_warnings && warnings > 0 {
        eprintln!("error: {warnings} warning{} denied (--deny-warnings)", if warnings == 1 { "" } else { "s" });
        *sources = project.sources;
        return Err(Failure { diagnostics: Vec::new(), exit_code: 1 });
    }
    let rules = project.program.rules.iter().filter(|r| !r.is_fact).count();
    let facts: usize = project.facts.relations.values().map(|rows| rows.len()).sum();
    let warned = if warnings > 0 {
        format!(", {warnings} warning{}", if warnings == 1 { "" } else { "s" })
    } else {
        String::new()
    };
    eprintln!(
        "ok: {} relations, {} rules, {} facts from tables{warned}",
        project.program.relations.len(),
        rules,
        facts
    );
    Ok(0)
}

fn fmt(args: &FmtArgs, sources: &mut SourceMap, cli: &Cli) -> Result<(), Failure> {
    let mut files = Vec::new();
    for path in &args.paths {
        files.extend(
            stance::fmt::rule_files(path).map_err(|e| Failure::io(format!("cannot read `{}`: {e}", path.display())))?,
        );
    }
    let mut errors = Vec::new();
    let mut unformatted = Vec::new();
    for path in files {
        let stdin = path == std::path::Path::new("-");
        let text = if stdin {
            let mut buf = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf)
                .map_err(|e| Failure::io(format!("cannot read standard input: {e}")))?;
            buf
        } else {
            std::fs::read_to_string(&path).map_err(|e| Failure::io(format!("cannot read `{}`: {e}", path.display())))?
        };
        let name = if stdin { "<stdin>".to_string() } else { path.display().to_string() };
        let id = sources.add(name.clone(), text);
        let text = &sources.get(id).text;
        let formatted = match stance::fmt::format_text(id, text) {
            Ok(f) => f,
            Err(diags) => {
                errors.extend(diags);
                continue;
            }
        };
        if stdin {
            if !args.check {
                print!("{formatted}");
            } else if formatted != *text {
                unformatted.push(name);
            }
        } else if formatted != *text {
            if args.check {
                unformatted.push(name);
            } else {
                output::write_atomically(&path, formatted.as_bytes())
                    .map_err(|e| Failure::io(format!("cannot write `{name}`: {e}")))?;
                eprintln!("formatted {name}");
            }
        }
    }
    if !errors.is_empty() {
        report(&errors, sources, cli);
        eprintln!("error: files with syntax errors are not formatted");
        return Err(Failure { diagnostics: Vec::new(), exit_code: 1 });
    }
    if !unformatted.is_empty() {
        for name in &unformatted {
            println!("{name}");
        }
        eprintln!(
            "error: {} file{} not formatted (run `stance fmt`)",
            unformatted.len(),
            if unformatted.len() == 1 { "" } else { "s" }
        );
        return Err(Failure { diagnostics: Vec::new(), exit_code: 1 });
    }
    Ok(())
}

fn watch(args: &WatchArgs, cli: &Cli) -> Result<(), Failure> {
    let options = stance::watch::WatchOptions {
        relations: args.relations.clone(),
        exit_after: args.exit_after,
        timing: args.timing,
    };
    stance::watch::watch(&args.project.inputs(), &options, &mut |diags, sources| report(diags, sources, cli))
}

/// Writes a command's result to `-o FILE` (atomically) or to standard output.
fn write_result(output: Option<&std::path::Path>, bytes: &[u8]) -> Result<(), Failure> {
    match output {
        Some(path) if path != std::path::Path::new("-") => output::write_atomically(path, bytes)
            .map_err(|e| Failure::io(format!("cannot write `{}`: {e}", path.display()))),
        _ => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            finish_output(out.write_all(bytes).and_then(|()| out.flush()))
        }
    }
}

/// A usage mistake found after loading (a relation or actor that is not there): exit 2.
fn usage_failure(d: Diagnostic, project: Project, sources: &mut SourceMap) -> Failure {
    *sources = project.sources;
    Failure { diagnostics: vec![d], exit_code: 2 }
}

fn graph(args: &GraphArgs, sources: &mut SourceMap, cli: &Cli) -> Result<(), Failure> {
    let mut project = load(&args.project, sources, cli)?;
    // The colliding tuples of a violation come from its proof: record when there are constraints.
    let options = EvalOptions { record: !project.program.constraints.is_empty(), ..Default::default() };
    let model = match evaluate(&mut project, &options, cli) {
        Ok(m) => m,
        Err(f) => {
            *sources = project.sources;
            return Err(f);
        }
    };
    let flagged = {
        let Project { program, facts, sources: srcs, symbols, .. } = &mut project;
        let mut ex = Explainer::new(program, &model, facts, srcs, symbols);
        stance::report_findings::flagged(&stance::report_findings::violations(&mut ex))
    };
    let built = stance::network::build(&project.program, &model, &project.symbols, &args.network.options(), &flagged);
    let mut network = match built {
        Ok(n) => n,
        Err(d) => return Err(usage_failure(d, project, sources)),
    };
    if let Some(actor) = &args.focus {
        network = match network.focus(actor, args.depth) {
            Ok(n) => n,
            Err(d) => return Err(usage_failure(d, project, sources)),
        };
    }
    let dot = stance::graph::to_dot(&network);
    let bytes = match args.format {
        GraphFormat::Dot => dot.into_bytes(),
        GraphFormat::Svg => {
            stance::graph::dot_to_svg(&dot).map_err(|d| Failure { diagnostics: vec![d], exit_code: 2 })?
        }
    };
    write_result(args.output.as_deref(), &bytes)
}

fn report_html(args: &ReportArgs, sources: &mut SourceMap, cli: &Cli) -> Result<(), Failure> {
    let claim_files = stance::claim_files::expand(&args.claims)?;
    let (mut project, model) = load_recorded(&args.project, sources, cli)?;
    let specs = match stance::claim_files::load(&claim_files, &mut project) {
        Ok(s) => s,
        Err(f) => {
            *sources = std::mem::take(&mut project.sources);
            return Err(f);
        }
    };
    let options = stance::report::ReportOptions {
        title: args.title.clone(),
        network: args.network.options(),
        max_claims: args.max_claims,
    };
    let (violations, verdicts) = {
        let Project { program, facts, sources: srcs, symbols, .. } = &mut project;
        let mut ex = Explainer::new(program, &model, facts, srcs, symbols);
        let violations = stance::report_findings::violations(&mut ex);
        let verdicts = (!args.claims.is_empty()).then(|| {
            let outcomes = stance::review::review(&mut ex, &specs);
            stance::report_findings::claim_verdicts(&mut ex, &outcomes)
        });
        (violations, verdicts)
    };
    let mut input = match stance::report::collect(&mut project, &model, &options, violations, verdicts) {
        Ok(i) => i,
        Err(d) => return Err(usage_failure(d, project, sources)),
    };
    let inputs = args.project.inputs();
    input.inputs = inputs.rules.iter().map(|p| format!("rules: {}", p.display())).collect();
    if let Some(dir) = &inputs.facts {
        input.inputs.push(format!("facts: {}", dir.display()));
    }
    input.inputs.extend(args.claims.iter().map(|p| format!("claims: {}", p.display())));
    write_result(args.output.as_deref(), stance::report::render(&input).as_bytes())
}
