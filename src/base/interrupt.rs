//! Ctrl-C (SIGINT, and SIGTERM): stop at once, leaving no half-written file behind.
//!
//! Outputs are written to a temporary file and renamed into place (`output::write_atomically`),
//! so the only thing an interruption can leave is a temporary file. Writers register theirs
//! here while they write; the handler removes the registered ones, says so, and exits with
//! 130 (128 + SIGINT), as shells do.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Exit code after an interruption.
pub const EXIT_CODE: u8 = crate::base::exit::ExitStatus::Interrupted as u8;

/// Temporary files being written now.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs the handler. Once only; later calls do nothing.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        // Held until exit, so no writer can create a new temporary file meanwhile.
        let pending = PENDING.lock().unwrap_or_else(|p| p.into_inner());
        for tmp in pending.iter() {
            let _ = std::fs::remove_file(tmp);
        }
        eprintln!("error[E061]: interrupted; no output was written");
        std::process::exit(EXIT_CODE.into());
    });
}

/// Runs `write` on a temporary file `tmp` that the handler removes if the run is interrupted
/// meanwhile.
pub fn while_pending<T>(tmp: &Path, write: impl FnOnce() -> T) -> T {
    PENDING.lock().unwrap_or_else(|p| p.into_inner()).push(tmp.to_path_buf());
    let result = write();
    let mut pending = PENDING.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = pending.iter().position(|p| p == tmp) {
        pending.swap_remove(i);
    }
    result
}
