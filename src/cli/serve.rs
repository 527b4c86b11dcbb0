//! `stance serve`: answer JSON requests on standard input, one per line, keeping the model
//! (with `--engine dd`, the live dataflow) between them.

use super::context::{Ctx, EngineArg, ProjectArgs};
use clap::Args;
use stance::session::serve::{self, ServeOptions};
use stance::session::{ExitStatus, Failure};
use std::time::Duration;

pub const HELP: &str = "\
Requests (one JSON object per line on standard input; one answer per line on standard output):
  {\"id\": 1, \"method\": \"reload\"}
  {\"id\": 2, \"method\": \"query\", \"pattern\": \"aligned(x, \\\"Haftar\\\")\"}
  {\"id\": 3, \"method\": \"query\", \"relation\": \"aligned\"}
  {\"id\": 4, \"method\": \"status\"}
  {\"id\": 5, \"method\": \"shutdown\"}
Answers: {\"id\": ..., \"result\": {...}} or {\"id\": ..., \"error\": {\"code\", \"name\", \"message\", \"line\", \"column\"}}.
See the README's `stance serve` section for every field.

Exit codes:
  0    shutdown requested, or end of standard input (a project that does not check, and
       a malformed request, are answered, not fatal)
  2    usage error, standard input could not be read, the files could not be watched
       (--watch), or the re-evaluation threads could not start
  130  interrupted (Ctrl-C, SIGTERM); nothing is written to disk either way";

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    project: ProjectArgs,

    /// Report the changes of only these relations (default: the `.output` ones, or every
    /// derived relation).
    #[arg(long = "relation", value_name = "NAME")]
    relations: Vec<String>,

    /// Stop an evaluation with an error when a relation grows beyond N tuples (the last
    /// good model stays).
    #[arg(long, value_name = "N")]
    max_tuples: Option<usize>,

    /// Stop an evaluation with an error after this many seconds (the last good model stays).
    #[arg(long, value_name = "SECONDS", value_parser = stance::engine::limits::parse_seconds)]
    timeout: Option<Duration>,

    /// Also run on every change to a rule or fact file (as `stance watch`), writing each such
    /// run's changes as an unsolicited line `{"event": "changed", "files": [...], "result": {...}}`.
    #[arg(long)]
    watch: bool,
}

pub fn run(args: &ServeArgs, ctx: &mut Ctx) -> Result<ExitStatus, Failure> {
    if !matches!(args.project.engine, EngineArg::Datafrog | EngineArg::Dd) {
        return Err(Failure::io(
            "`stance serve` runs the datafrog or the dd engine only; use `--engine dd` or leave out --engine"
                .to_string(),
        ));
    }
    if args.project.rules.iter().any(|p| p.as_os_str() == "-") {
        return Err(Failure::io(
            "`stance serve` reads its requests on standard input; give rule files, not `-`".to_string(),
        ));
    }
    args.project.one_live_worker("serve")?;
    let options = ServeOptions {
        relations: args.relations.clone(),
        engine: args.project.eval_options(false).engine,
        max_tuples: args.max_tuples,
        timeout: args.timeout,
        watch: args.watch,
    };
    let (stdin, stdout) = (std::io::stdin(), Box::new(std::io::stdout()));
    serve::serve(&args.project.inputs(), &options, &mut stdin.lock(), stdout, Box::new(ctx.reporter()))?;
    Ok(ExitStatus::Success)
}
