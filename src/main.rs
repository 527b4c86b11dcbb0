//! The `stance` command line: flags → validated arguments → work. Standard output carries
//! data only; diagnostics and notes go to standard error.

use clap::{Args, Parser, Subcommand, ValueEnum};
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
  1    the rules or facts have errors (or a limit was hit); diagnostics on stderr
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
    /// Rewrite rule files in the canonical layout.
    #[command(after_help = EXIT_CODES)]
    Fmt(FmtArgs),
    /// Re-run inference whenever a rule or fact file changes, printing what changed.
    #[command(after_help = EXIT_CODES)]
    Watch(WatchArgs),
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
        Inputs { rules: self.rules.clone(), facts, allow_outside_paths: self.allow_outside_paths }
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
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,

    /// Print every tuple with its proof: a tree (table), a trace column (csv), or one
    /// JSON object per tuple with the proof DAG (json, as JSON Lines).
    #[arg(long)]
    provenance: bool,
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
        Command::Fmt(args) => fmt(args, &mut sources, cli).map(|()| 0),
        Command::Watch(args) => watch(args, cli).map(|()| 0),
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
                Some(id) => ids.push(id),
                None => {
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
    let timeout = match args.timeout {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            return Err(Failure::io(format!("--timeout must be a number of seconds, got {t}")));
        }
        Some(t) => Some(Instant::now() + Duration::from_secs_f64(t)),
        None => None,
    };
    let options = EvalOptions { record: args.provenance, max_tuples: args.max_tuples, deadline: timeout };
    let model = match driver::evaluate(&mut project, &options) {
        Ok(m) => m,
        Err(f) => {
            *sources = std::mem::take(&mut project.sources);
            return Err(f);
        }
    };

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
    for &rel in shown {
        let decl = &ex.program.relations[rel];
        let order = output::display_order(&model.relations[rel], &decl.types, ex.symbols);
        if let Some(w) = csv_writer.as_mut() {
            let mut header = vec!["relation".to_string()];
            header.extend(decl.columns.iter().cloned());
            header.push("proof".into());
            w.write_record(&header)?;
        }
        for i in order {
            let tuple = model.relations[rel].get(i).to_vec();
            let Some(root) = ex.explain(rel, &tuple) else { continue };
            match format {
                Format::Json => writeln!(out, "{}", explain::proof_json(&ex, root))?,
                Format::Table => writeln!(out, "{}", explain::render_tree(&ex, root, None))?,
                Format::Csv => {
                    let mut record = vec![decl.name.clone()];
                    record
                        .extend(tuple.iter().zip(&decl.types).map(|(&v, &t)| stance::value::display(v, t, ex.symbols)));
                    record.push(explain::compact_trace(&ex, root));
                    if let Some(w) = csv_writer.as_mut() {
                        w.write_record(&record)?;
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
    match driver::evaluate(&mut loaded, &options) {
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
            let mut only_hits = stance::eval::Model {
                relations: vec![stance::eval::Tuples::default(); ex.program.relations.len()],
                ..Default::default()
            };
            only_hits.relations[rel] = subset.clone();
            output::render(&mut out, args.format, ex.program, &only_hits, &[rel], ex.symbols)?;
        }
        out.flush()
    })();
    finish_output(result)?;
    Ok(if hits.is_empty() { 1 } else { 0 })
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
    let facts: usize = project.facts.relations.values().map(Vec::len).sum();
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
