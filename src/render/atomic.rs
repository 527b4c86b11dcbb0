//! All-or-nothing file writes: a reader (or the next run) sees the old files or the new ones,
//! never half a file and never a mix of two runs.
//!
//! Every file is first written in full to a temporary file beside its target, created
//! exclusively under an unpredictable name (`tempfile`: `O_EXCL`, random suffix), so a
//! symlink planted at a predictable name cannot redirect the write. Only when every file of
//! the run is written and synced are they renamed into place, one after the other with the
//! interrupt handler held off (`interrupt::commit`). A rename replaces a symlink at the
//! target instead of writing through it. While writing into an output directory the run holds
//! an exclusive lock on the directory itself (`flock` on its handle, so nothing is left
//! behind); a second run waits for it, with a note on standard error.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Where the file goes.
    pub path: PathBuf,
    /// Its whole contents.
    pub bytes: Vec<u8>,
}

/// Writes one file (for `fmt`, `-o FILE`): a temporary file beside it, renamed into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temporary(path, bytes)?;
    let tmp_path = tmp.path().to_path_buf();
    let result = crate::base::interrupt::commit(|| match tmp.persist(path) {
        Ok(_) => (1, Ok(())),
        Err(e) => (0, Err(e.error)),
    });
    crate::base::interrupt::forget(&[tmp_path]);
    result
}

/// Writes `files` into `dir` (created if missing) all or nothing, holding the directory's
/// lock. On failure, says how many files were put in place before it (only a failing rename,
/// after every file was written, can leave some).
pub fn write_all(dir: &Path, files: &[Planned]) -> Result<(), String> {
    let streamed: Vec<Streamed> = files
        .iter()
        .map(|f| Streamed { path: f.path.clone(), write: Box::new(|w: &mut dyn Write| w.write_all(&f.bytes)) })
        .collect();
    write_all_streamed(dir, &streamed)
}

/// A file whose contents are written straight into it (through a buffer), so that a large
/// relation is never held in memory as text.
pub struct Streamed<'a> {
    /// Where the file goes.
    pub path: PathBuf,
    /// Writes the whole contents.
    #[allow(clippy::type_complexity)]
    pub write: Box<dyn Fn(&mut dyn Write) -> std::io::Result<()> + Send + Sync + 'a>,
}

/// [`write_all`] for files written by a function: the same protocol, into temporary files
/// (side by side on `--jobs` threads: each file's contents depend on nothing but its own
/// relation), then renamed into place together.
pub fn write_all_streamed(dir: &Path, files: &[Streamed]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create output directory `{}`: {e}", dir.display()))?;
    let _lock = lock(dir).map_err(|e| format!("cannot lock output directory `{}`: {e}", dir.display()))?;
    let written = crate::engine::parallel::in_order(files.iter().collect(), |file: &Streamed| {
        write_temporary_with(&file.path, &*file.write)
    });
    // The first failure in the files' order is the one reported; every temporary goes.
    let mut temps = Vec::new();
    let mut failed = None;
    for (result, file) in written.into_iter().zip(files) {
        match result {
            Ok(tmp) => temps.push(tmp),
            Err(e) => {
                failed.get_or_insert(format!("cannot write `{}`: {e}; no output was written", file.path.display()));
            }
        }
    }
    if let Some(message) = failed {
        let paths: Vec<PathBuf> = temps.iter().map(|t| t.path().to_path_buf()).collect();
        drop(temps);
        crate::base::interrupt::forget(&paths);
        return Err(message);
    }
    let paths: Vec<PathBuf> = temps.iter().map(|t| t.path().to_path_buf()).collect();
    let result = crate::base::interrupt::commit(|| {
        let mut done = 0;
        for (tmp, file) in temps.into_iter().zip(files) {
            if let Err(e) = tmp.persist(&file.path) {
                let message = format!(
                    "cannot put `{}` in place: {}; {done} of {} files were written",
                    file.path.display(),
                    e.error,
                    files.len()
                );
                return (done, Err(message));
            }
            done += 1;
        }
        (done, Ok(()))
    });
    crate::base::interrupt::forget(&paths);
    result
}

/// A complete, synced temporary copy of `bytes` beside `path`, registered with the interrupt
/// handler. Named `.<file>.<random>.tmp`: hidden, so no `.csv`/`.facts` reader picks it up.
fn write_temporary(path: &Path, bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    write_temporary_with(path, &|w: &mut dyn Write| w.write_all(bytes))
}

/// [`write_temporary`] with the contents written by `write` through a 64 KiB buffer.
fn write_temporary_with(
    path: &Path,
    write: &dyn Fn(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<tempfile::NamedTempFile> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = crate::base::interrupt::create_pending(|| {
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // Created with the mode of an ordinary new file (umask applies), not tempfile's 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        builder.tempfile_in(parent)
    })?;
    let written = {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut tmp);
        write(&mut buffered).and_then(|()| buffered.flush())
    }
    .and_then(|()| tmp.as_file().sync_all());
    if let Err(e) = written {
        crate::base::interrupt::forget(&[tmp.path().to_path_buf()]);
        return Err(e);
    }
    Ok(tmp)
}

/// An exclusive lock on `dir`, held until the returned handle is dropped. If another run
/// holds it, says so and waits.
fn lock(dir: &Path) -> std::io::Result<File> {
    // On Unix a directory can be opened and `flock`ed like a file; elsewhere, a lock file.
    #[cfg(unix)]
    let handle = File::open(dir)?;
    #[cfg(not(unix))]
    let handle = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(".stance.lock"))?;
    match handle.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            eprintln!("note: waiting for another stance run to finish writing into `{}`", dir.display());
            handle.lock()?;
        }
        // A file system without locks (some FUSE mounts): write anyway, and say so.
        Err(std::fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
            eprintln!("note: `{}` cannot be locked ({e}); another run may write into it meanwhile", dir.display());
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            Planned { path: dir.path().join("a.csv"), bytes: b"1\n".to_vec() },
            Planned { path: dir.path().join("sub/b.csv"), bytes: b"2\n".to_vec() },
        ];
        std::fs::write(dir.path().join("a.csv"), "old\n").unwrap();
        write_all(dir.path(), &files).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("a.csv")).unwrap(), "1\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("sub/b.csv")).unwrap(), "2\n");
        let mut names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        assert_eq!(names, ["a.csv", "sub"]);
    }

    /// The temporary name used to be `.<file>.<pid>.tmp`, opened following symlinks: a project
    /// that shipped a symlink at that name had the output written over the link's target.
    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_old_predictable_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("victim"), "keep\n").unwrap();
        let planted = dir.path().join(format!(".out.csv.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(dir.path().join("victim"), &planted).unwrap();
        write_atomically(&dir.path().join("out.csv"), b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("victim")).unwrap(), "keep\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("out.csv")).unwrap(), "new\n");
        assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_target_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("victim"), "keep\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("victim"), dir.path().join("out.csv")).unwrap();
        write_atomically(&dir.path().join("out.csv"), b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("victim")).unwrap(), "keep\n");
        assert!(!std::fs::symlink_metadata(dir.path().join("out.csv")).unwrap().is_symlink());
    }
}
