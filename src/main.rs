//! The `stance` command line: flags → validated arguments → work. Standard output carries
//! data only; diagnostics and notes go to standard error.

use clap::{Args, Parser, Subcommand, ValueEnum};
use stance::diag::{self, Diagnostic};
use stance::driver::{self, Failure, Inputs, Project};
use stance::eval::EvalOptions;
use stance::output::{self, Format};
use stance::source::SourceMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the rules or facts have errors (or a limit was hit); diagnostics on stderr
  2  usage error, or a file or directory could not be read or written";

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
    /// Rewrite rule files in the canonical layout.
    #[command(after_help = EXIT_CODES)]
    Fmt(FmtArgs),
    /// Re-run inference whenever a rule or fact file changes, printing what changed.
    #[command(after_help = EXIT_CODES)]
    Watch(WatchArgs),
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
}

impl ProjectArgs {
    fn inputs(&self) -> Inputs {
        let facts = match (&self.facts, self.no_facts) {
            (_, true) => None,
            (Some(dir), _) => Some(dir.clone()),
            (None, false) => Some(PathBuf::from("facts")).filter(|d| d.is_dir()),
        };
        Inputs { rules: self.rules.clone(), facts }
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
    let mut sources = SourceMap::new();
    let result = match &cli.command {
        Command::Infer(args) => infer(args, &mut sources, &cli),
        Command::Check(args) => check(args, &mut sources, &cli),
        Command::Fmt(args) => fmt(args, &mut sources, &cli),
        Command::Watch(args) => watch(args, &cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            report(&failure.diagnostics, &sources, &cli);
            ExitCode::from(failure.exit_code as u8)
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

fn infer(args: &InferArgs, sources: &mut SourceMap, cli: &Cli) -> Result<(), Failure> {
    let mut project = load(&args.project, sources, cli).inspect_err(|_| ())?;
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
    let options = EvalOptions { record: false, max_tuples: args.max_tuples, deadline: timeout };
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
    let result =
        output::render(&mut out, args.format, &project.program, &model, &shown, &project.symbols).and_then(|()| {
            for (id, rel) in project.program.relations.iter().enumerate() {
                if rel.printsize {
                    writeln!(out, "{}\t{}", rel.name, model.relations[id].len())?;
                }
            }
            out.flush()
        });
    match result {
        Ok(()) => Ok(()),
        // Piped into `head`: stop quietly, as other Unix tools do.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::io(format!("cannot write output: {e}"))),
    }
}

fn check(args: &CheckArgs, sources: &mut SourceMap, cli: &Cli) -> Result<(), Failure> {
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
    Ok(())
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
