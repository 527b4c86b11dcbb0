//! Ctrl-C, SIGTERM and SIGHUP: stop at once, leaving no half-written file and no mix of two
//! runs behind.
//!
//! Outputs are written to temporary files first and renamed into place together
//! (`atomic::write_all`), so an interruption can only find temporary files. Writers register
//! theirs here while they write; the handler removes the registered ones and exits with 130
//! (128 + SIGINT, as shells report Ctrl-C; `ctrlc` does not say which signal came, so SIGTERM
//! exits 130 too). The renames run with the handler held off ([`commit`]), so the message
//! the handler prints is true: either no file of this run was put in place, or all were.

use std::path::PathBuf;
use std::sync::Mutex;

/// Exit code after an interruption.
pub const EXIT_CODE: u8 = crate::base::exit::ExitStatus::Interrupted as u8;

/// What the handler must know when it runs.
struct State {
    /// Temporary files being written now (removed by the handler).
    pending: Vec<PathBuf>,
    /// Output files this run has put in place.
    written: usize,
}

static STATE: Mutex<State> = Mutex::new(State { pending: Vec::new(), written: 0 });

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Installs the handler (SIGINT, and SIGTERM/SIGHUP through ctrlc's `termination` feature).
/// Once only; later calls do nothing.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        // Held until exit: no writer can register a temporary file or rename one meanwhile,
        // and a commit in progress finishes before this runs.
        let state = state();
        for tmp in &state.pending {
            let _ = std::fs::remove_file(tmp);
        }
        eprintln!("{}", message(state.written));
        std::process::exit(EXIT_CODE.into());
    });
}

/// What the handler says, given how many output files were already in place.
fn message(written: usize) -> String {
    match written {
        0 => "error[E061]: interrupted; no output was written".into(),
        n => format!(
            "error[E061]: interrupted after writing the output ({n} file{} complete)",
            if n == 1 { "" } else { "s" }
        ),
    }
}

/// Creates a temporary file with `create` and registers it, in one step that the handler
/// cannot split: the handler removes registered files, so none is left behind by an
/// interruption. It stays registered until [`commit`] renames it or [`forget`] drops it.
pub fn create_pending(
    create: impl FnOnce() -> std::io::Result<tempfile::NamedTempFile>,
) -> std::io::Result<tempfile::NamedTempFile> {
    let mut state = state();
    let tmp = create()?;
    state.pending.push(tmp.path().to_path_buf());
    Ok(tmp)
}

/// Stops watching temporary files (renamed into place, or removed after a failure).
pub fn forget(tmps: &[PathBuf]) {
    state().pending.retain(|p| !tmps.contains(p));
}

/// Runs `rename` with the handler held off, so an interruption comes before all of the
/// renames or after all of them. `rename` returns how many files it put in place, and its
/// result.
pub fn commit<T>(rename: impl FnOnce() -> (usize, T)) -> T {
    let mut state = state();
    let (count, result) = rename();
    state.written += count;
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_message_says_what_was_written() {
        assert_eq!(super::message(0), "error[E061]: interrupted; no output was written");
        assert_eq!(super::message(3), "error[E061]: interrupted after writing the output (3 files complete)");
    }
}
