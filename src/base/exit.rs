//! How a run ends, as the process's exit status: one table for every command, so the codes
//! `--help` documents are the codes the commands return.

/// The exit status of a `stance` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitStatus {
    /// 0: the command did what was asked (and, for the commands that judge, the answer is yes).
    Success = 0,
    /// 1: the rules or facts have errors, a limit was hit, or the answer is no (a claim that
    /// does not hold, a failed expectation, a violated constraint, a difference with
    /// `--exit-code`).
    Failed = 1,
    /// 2: a usage error, or a file could not be read or written.
    Usage = 2,
    /// 130: interrupted by Ctrl-C or SIGTERM (see [`crate::base::interrupt`]).
    Interrupted = 130,
}

impl ExitStatus {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// `Success` when `ok`, `Failed` otherwise: the answer of a command that judges.
    pub fn judged(ok: bool) -> ExitStatus {
        if ok { ExitStatus::Success } else { ExitStatus::Failed }
    }
}
