//! What every command shares: the project arguments, loading and evaluating with the
//! diagnostics shown as they come, and writing results to standard output or a file.

use super::{Cli, ColorChoice, DiagnosticFormat};
use clap::{Args, ValueEnum};
use stance::base::diag::{self, Diagnostic};
use stance::base::source::SourceMap;
use stance::base::stamp::Stamp;
use stance::base::terminal::{self, Shape};
use stance::engine::backend::Engine;
use stance::engine::eval::EvalOptions;
use stance::engine::progress;
use stance::facts::asof::Date;
use stance::facts::grade::Grade;
use stance::proof::pattern::{self, Claim};
use stance::render::output::Format;
use stance::session::{self, ExitStatus, Failure, Inputs, Project, Session, goal};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The state of one command: the global options, and the files loaded so far (where the
/// diagnostics of a failure point, until a project takes them over).
pub struct Ctx<'a> {
    pub cli: &'a Cli,
    pub sources: SourceMap,
}

impl Ctx<'_> {
    /// Shows diagnostics on standard error in the chosen format, with a count of the errors.
    pub fn report(&self, diags: &[Diagnostic], sources: &SourceMap) {
        self.reporter()(diags, sources)
    }

    /// [`Ctx::report`] as a function that may run on another thread (`watch`'s runs).
    pub fn reporter(&self) -> impl Fn(&[Diagnostic], &SourceMap) + Send + Sync + 'static {
        let (choice, format) = (self.cli.color, self.cli.diagnostic_format);
        move |diags, sources| report(choice, format, diags, sources)
    }
}

/// Shows diagnostics on standard error in `format`, with a count of the errors.
fn report(choice: ColorChoice, format: DiagnosticFormat, diags: &[Diagnostic], sources: &SourceMap) {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    };
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for d in diags {
        let text = match format {
            DiagnosticFormat::Rich => diag::render_rich(d, sources, color),
            DiagnosticFormat::Short => diag::render_short(d, sources) + "\n",
            DiagnosticFormat::Json => diag::render_json(d, sources) + "\n",
        };
        let _ = err.write_all(text.as_bytes());
    }
    if matches!(format, DiagnosticFormat::Rich) {
        let errors = diags.iter().filter(|d| d.is_error()).count();
        if errors > 0 {
            let _ = writeln!(err, "error: {errors} error{} found", plural(errors));
        }
    }
}

impl Ctx<'_> {
    /// Loads and checks a project, showing its warnings.
    pub fn load(&mut self, inputs: &Inputs) -> Result<Project, Failure> {
        let loaded = session::load(inputs, &mut self.sources)?;
        self.report(&loaded.warnings, &loaded.sources);
        Ok(loaded)
    }

    /// Evaluates a loaded project. A run stopped by a limit inside one of datafrog's sorts,
    /// which cannot be interrupted, is ended by the watchdog with the diagnostic (no output
    /// has been written by then).
    /// On a terminal, a progress line shows on standard error while a long run goes on
    /// (see `stance::engine::progress`).
    pub fn evaluate(&mut self, project: Project, options: &EvalOptions) -> Result<Session, Failure> {
        let this = &*self;
        let on_stuck = |d: &Diagnostic, sources: &SourceMap| {
            this.report(std::slice::from_ref(d), sources);
            std::process::exit(ExitStatus::Failed.code().into());
        };
        let mut options = options.clone();
        let progress = progress::start_for(&project.program, &project.plan, &mut options);
        let session = Session::evaluate_with(project, &options, Some(&on_stuck));
        drop(progress);
        session
    }

    /// Loads, parses a claim typed on the command line, and evaluates with recording on: only
    /// what the claim needs when it binds a column (goal-directed, see
    /// `stance::session::goal`), everything when `full` or when the rewrite does not apply.
    pub fn load_for_claim(&mut self, args: &ProjectArgs, text: &str, full: bool) -> Result<(Session, Claim), Failure> {
        self.load_for_claim_from(&args.inputs(), args, text, full, false)
    }

    /// [`Ctx::load_for_claim`] from these inputs (`explain --at` sets their day).
    /// `matches_only`: the caller shows the matching tuples and nothing else (no proofs, no
    /// grades), so an `eqrel` relation's matches are read from its classes
    /// (`goal::evaluate_eqrel_pattern`).
    pub fn load_for_claim_from(
        &mut self,
        inputs: &Inputs,
        args: &ProjectArgs,
        text: &str,
        full: bool,
        matches_only: bool,
    ) -> Result<(Session, Claim), Failure> {
        let mut project = self.load(inputs)?;
        let claim = pattern::parse_claim(text, &mut project.sources, &project.program, &project.symbols)
            .map_err(|diagnostics| Failure::new(diagnostics, ExitStatus::Failed).within(&mut project.sources))?;
        self.report(&claim.warnings, &project.sources);
        let options = args.eval_options(true);
        if !full && let Some(pattern) = claim.pattern() {
            let Project { program, facts, symbols, .. } = &mut project;
            let eqrel = matches_only && !super::explain::graded(facts);
            let goal = if eqrel {
                goal::evaluate_eqrel_pattern(program, facts, symbols, claim.rel, &pattern, &options)
            } else {
                Ok(None)
            };
            let goal = match goal {
                Ok(None) => goal::evaluate_for(program, facts, symbols, claim.rel, &pattern, &options),
                other => other,
            };
            match goal {
                Ok(Some(model)) => return Ok((Session { project, model }, claim)),
                Ok(None) => {}
                Err(d) => return Err(Failure::new(vec![d], ExitStatus::Failed).within(&mut project.sources)),
            }
        }
        Ok((self.evaluate(project, &options)?, claim))
    }

    /// Loads and evaluates with recording on, for the commands that explain.
    pub fn load_recorded(&mut self, args: &ProjectArgs) -> Result<Session, Failure> {
        let project = self.load(&args.inputs())?;
        self.evaluate(project, &args.eval_options(true))
    }
}

pub use stance::base::diag::plural;

/// A count and its noun, in the plural unless the count is one: "1 rule", "2 rules".
pub fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", plural(n))
}

/// Where the rules and facts are: the arguments every command that loads a project takes.
#[derive(Args)]
pub struct ProjectArgs {
    /// Rule files or directories (every *.dl inside); `-` reads standard input.
    #[arg(long = "rules", short = 'r', value_name = "PATH", default_value = "rules")]
    pub rules: Vec<PathBuf>,

    /// Keep only the statements valid on this day: `date` (valid from) empty or on or before
    /// it, `until` (inclusive) empty or on or after it. Relation tables are dated only by the
    /// columns their `.input` names (`from=`, `until=`).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<Date>,

    /// Evaluate only from statements graded at least this on both scales (reliability A-F,
    /// credibility 1-6): `--min-grade B3` keeps A1-B3 but not C1 or B4. Rows without a grade
    /// are dropped.
    #[arg(long, value_name = "GRADE", value_parser = parse_grade)]
    pub min_grade: Option<Grade>,

    /// Evaluate only from statements whose `confidence` is at least this (0 to 1). Rows
    /// without a confidence are dropped.
    #[arg(long, value_name = "0..1", value_parser = parse_min_confidence)]
    pub min_confidence: Option<f32>,

    /// Directory of fact tables [default: facts, when it exists].
    #[arg(long, short = 'f', value_name = "DIR", conflicts_with = "no_facts")]
    pub facts: Option<PathBuf>,

    /// Use only the facts written in the rule files.
    #[arg(long)]
    pub no_facts: bool,

    /// Deprecated, no effect: paths typed on the command line go anywhere; paths named in
    /// rule files always stay inside the facts and output directories.
    #[arg(long, hide = true)]
    pub allow_outside_paths: bool,

    /// The evaluator: datafrog (semi-naive, planned joins), simple (a plain reference
    /// evaluator), compare (both; an error on any difference), dd (differential dataflow:
    /// threads, processes), or compare-dd (datafrog and dd; an error on any difference).
    #[arg(long, value_enum, default_value_t = EngineArg::Datafrog)]
    pub engine: EngineArg,

    /// `--engine dd`: worker threads in this process.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,

    /// `--engine dd`: the number of processes evaluating together (timely's cluster
    /// configuration); process 0 gathers the results and prints them, the others print nothing.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub processes: u16,

    /// `--engine dd`: this process's index among `--processes`, from 0.
    #[arg(long, value_name = "I", default_value_t = 0)]
    pub process: u16,

    /// `--engine dd`: one `host:port` per line, process I listening on line I. Without it the
    /// processes listen on 127.0.0.1 ports 2101, 2102, ... (loopback only). The connections
    /// are neither authenticated nor encrypted.
    #[arg(long, value_name = "FILE")]
    pub hostfile: Option<PathBuf>,

    /// How a defeasible program treats ambiguity: blocking (an attack counts only when its
    /// premises are proved) or propagating (an attack counts when they are merely supported).
    #[arg(long, value_enum, default_value_t = DefeasibleArg::Blocking)]
    pub defeasible: DefeasibleArg,
}

/// `--defeasible`: the ambiguity policy of defeasible programs.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DefeasibleArg {
    Blocking,
    Propagating,
}

fn parse_grade(s: &str) -> Result<Grade, String> {
    s.parse().map_err(|()| "a grade is a reliability letter A-F and a credibility digit 1-6, as in `B2`".to_string())
}

fn parse_min_confidence(s: &str) -> Result<f32, String> {
    stance::facts::grade::parse_confidence(s).ok_or_else(|| "a confidence is a decimal number from 0 to 1".to_string())
}

/// `--engine`: which evaluator runs the program.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    Datafrog,
    Simple,
    Compare,
    Dd,
    CompareDd,
}

impl EngineArg {
    fn engine(self) -> Engine {
        match self {
            EngineArg::Datafrog => Engine::Datafrog,
            EngineArg::Simple => Engine::Simple,
            EngineArg::Compare => Engine::Compare,
            EngineArg::Dd => Engine::Dd,
            EngineArg::CompareDd => Engine::CompareDd,
        }
    }
}

impl ProjectArgs {
    /// What changes this run's answers, for the outputs to record.
    pub fn stamp(&self) -> Stamp {
        Stamp::new(self.as_of.map(|d| d.to_string())).with_engine(self.engine.engine().name())
    }

    /// Refuses `--engine` other than datafrog for a command that does not pass it on yet.
    pub fn only_default_engine(&self, command: &str) -> Result<(), Failure> {
        match self.engine {
            EngineArg::Datafrog => Ok(()),
            _ => Err(Failure::io(format!("`stance {command}` runs the datafrog engine only; leave out --engine"))),
        }
    }

    /// Evaluation options with this engine, recording proofs when `record`.
    pub fn eval_options(&self, record: bool) -> EvalOptions {
        let defeasible = match self.defeasible {
            DefeasibleArg::Blocking => stance::engine::defeasible::Policy::Blocking,
            DefeasibleArg::Propagating => stance::engine::defeasible::Policy::Propagating,
        };
        // The progress line, on a terminal outside CI, for whichever evaluation runs.
        let progress = progress::wanted();
        EvalOptions {
            record,
            engine: self.engine.engine(),
            cluster: self.cluster(),
            defeasible,
            progress,
            ..Default::default()
        }
    }

    /// Where `--engine dd` runs.
    pub fn cluster(&self) -> stance::engine::dd::Cluster {
        stance::engine::dd::Cluster {
            workers: self.workers.into(),
            processes: self.processes.into(),
            process: self.process.into(),
            hostfile: self.hostfile.clone(),
        }
    }

    /// Whether this process prints results: only process 0 of several does.
    pub fn prints_results(&self) -> bool {
        self.process == 0
    }

    /// On several processes, how many fact rows this process kept (its part of the tables),
    /// on standard error.
    pub fn note_part(&self, facts: &stance::facts::load::Facts) {
        if let Some(p) = self.part() {
            eprintln!("process {} of {}: read {} fact rows (its part of each table)", p.index, p.count, facts.len());
        }
    }

    /// A warning for every cluster address off this machine's loopback interface: the
    /// connections are unauthenticated and unencrypted.
    pub fn warn_non_loopback(&self) {
        if self.processes < 2 {
            return;
        }
        for address in self.cluster().addresses().unwrap_or_default() {
            if !stance::engine::dd::is_loopback(&address) {
                eprintln!(
                    "warning: the dd engine listens on {}, not a loopback address; its connections are \
                     neither authenticated nor encrypted",
                    stance::base::terminal::escape(&address)
                );
            }
        }
    }

    pub fn inputs(&self) -> Inputs {
        let facts = match (&self.facts, self.no_facts) {
            (_, true) => None,
            (Some(dir), _) => Some(dir.clone()),
            (None, false) => Some(PathBuf::from("facts")).filter(|d| d.is_dir()),
        };
        if self.allow_outside_paths {
            eprintln!("{}", stance::facts::confine::ALLOW_OUTSIDE_PATHS_DEPRECATED);
        }
        Inputs {
            rules: self.rules.clone(),
            facts,
            as_of: self.as_of,
            min_grade: self.min_grade,
            min_confidence: self.min_confidence,
            with_time: false,
            part: self.part(),
        }
    }

    /// Refuses `--workers` and `--processes` for a command that keeps one live dataflow on
    /// one worker in this process (`watch`, `serve`): several processes would each load
    /// only their part of the facts and report from it, and extra workers would be ignored.
    pub fn one_live_worker(&self, command: &str) -> Result<(), Failure> {
        if self.workers == 1 && self.processes == 1 {
            return Ok(());
        }
        Err(Failure::io(format!(
            "`stance {command}` keeps one dd dataflow on one worker in this process; leave out --workers and --processes"
        )))
    }

    /// `--engine dd` on several processes: this process keeps only its part of the facts
    /// (the rows starting in its byte range of each table; see `stance::facts::part`).
    fn part(&self) -> Option<stance::facts::part::Part> {
        let spread = self.engine == EngineArg::Dd && self.processes > 1;
        spread.then_some(stance::facts::part::Part { index: self.process.into(), count: self.processes.into() })
    }
}

/// Output formats of relations on standard output.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
        }
    }
}

/// Output formats of proofs.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProofFormat {
    Text,
    Json,
}

impl ProofFormat {
    /// How this format meets a terminal: text escaped, JSON as it is.
    pub fn shape(self) -> Shape {
        match self {
            ProofFormat::Text => Shape::Text,
            ProofFormat::Json => Shape::Data,
        }
    }
}

impl FormatArg {
    /// How this format meets a terminal (see `base::terminal`).
    pub fn shape(self) -> Shape {
        Format::from(self).shape()
    }
}

/// Ends a write to standard output: a closed pipe (`| head`) stops quietly, as other Unix
/// tools do; any other failure is an I/O error.
pub fn finish_output(result: std::io::Result<()>) -> Result<(), Failure> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::io(format!("cannot write output: {e}"))),
    }
}

/// Writes bytes to standard output, escaped for the terminal as `shape` asks.
pub fn print_bytes(bytes: &[u8], shape: Shape) -> Result<(), Failure> {
    let mut out = terminal::stdout(shape);
    finish_output(out.write_all(bytes).and_then(|()| out.flush()))
}

/// Writes a command's result to `-o FILE` (atomically) or to standard output.
pub fn write_result(output: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match output {
        Some(path) if path != Path::new("-") => stance::render::atomic::write_atomically(path, bytes)
            .map_err(|e| Failure::io(format!("cannot write `{}`: {e}", path.display()))),
        _ => print_bytes(bytes, Shape::Data),
    }
}

/// A usage mistake found after loading (a relation or actor that is not there).
pub fn usage_failure(d: Diagnostic, mut project: Project) -> Failure {
    Failure::new(vec![d], ExitStatus::Usage).within(&mut project.sources)
}
