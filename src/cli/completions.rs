//! `stance completions SHELL` and `stance man`: generated from the same clap definition as
//! `--help`, so they list the real subcommands and flags.

use super::Cli;
use super::context::print_bytes;
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use stance::base::terminal::Shape;
use stance::session::{ExitStatus, Failure};

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

pub const COMPLETIONS_HELP: &str = "\
Examples:
  stance completions bash > ~/.local/share/bash-completion/completions/stance
  stance completions zsh > ~/.zfunc/_stance        # with fpath+=~/.zfunc in ~/.zshrc
  stance completions fish > ~/.config/fish/completions/stance.fish";

pub fn completions(args: &CompletionsArgs) -> Result<ExitStatus, Failure> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "stance", &mut out);
    print_bytes(&out, Shape::Data).map(|()| ExitStatus::Success)
}

pub const MAN_HELP: &str = "\
Examples:
  stance man > stance.1 && man ./stance.1
  stance man infer > ~/.local/share/man/man1/stance-infer.1";

#[derive(Args)]
pub struct ManArgs {
    /// A subcommand's page (`stance-infer(1)`) instead of the main page `stance(1)`, which
    /// lists the subcommands.
    #[arg(value_name = "SUBCOMMAND")]
    subcommand: Option<String>,
}

/// A man page (roff) of `stance` or of one subcommand, on standard output.
pub fn man(args: &ManArgs) -> Result<ExitStatus, Failure> {
    let mut command = Cli::command();
    command.build();
    let page = match &args.subcommand {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name) else {
                let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
                return Err(Failure::io(format!("no subcommand `{name}` (known: {})", names.join(", "))));
            };
            // `stance-infer`, as git names its pages.
            let full = format!("stance-{}", sub.get_name());
            sub.clone().name(full).version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| Failure::io(format!("cannot render the man page: {e}")))?;
    print_bytes(&out, Shape::Data).map(|()| ExitStatus::Success)
}
