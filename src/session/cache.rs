//! What loading keeps between the runs of the re-evaluation service, so that a keystroke
//! costs the parse of the file that changed and the check, not a new read of every table:
//! each rule file's tree (reparsed only when its text changed), and everything the
//! statement tables gave (texts, symbols, rows, diagnostics), reused while no table
//! changed. A one-shot command (`check`, `infer`) loads without one.
//!
//! Checking for diagnostics needs only the relations the tables name and what reading them
//! found, so a load for diagnostics takes neither their rows nor their texts from the cache
//! (copying a million rows per keystroke would delay the diagnostics); the load for
//! evaluation, on another thread, takes both.
//!
//! When a statement table changed, the kept tables are brought up to date by reading only
//! the changed rows ([`crate::facts::restate`]; [`LoadCache::take_statements`] and
//! [`LoadCache::put_statements`]), interning their strings into the kept symbol table,
//! which therefore only grows while the cache lives; where that cannot be exact they are
//! read in full.
//!
//! Relation tables (`.input`) are kept too and reloaded by their changed rows
//! ([`crate::facts::reload`]). Those with string columns keep their rows' symbol ids, which
//! are ids of the kept symbol table: each load's table starts as a clone of it, and a load
//! that added strings (the rules' constants, a changed table's new strings) hands its table
//! back to be kept ([`LoadCache::settle`]), so that the kept table only grows and every id
//! it ever gave keeps its string. A kept symbol table made afresh (the statement tables
//! read in full) starts a new lineage; a kept relation table is used only by a load of its
//! lineage. The two threads of the re-evaluation service share the kept table: a load hands
//! its table back only if the kept one is still the version it started from (else its
//! string tables are forgotten, and read in full next time), and a load that interns a
//! changed table's strings takes the kept state out while it does ([`LoadCache::hold`]),
//! so that its table, no longer shared, grows in place instead of being copied.
//!
//! A table counts as unchanged when the editor's text for it is the same, or, on disk, when
//! the file its path leads to is the same file (device and inode) with the same length and
//! modification time. Reuse also requires the tables to get the same file numbers in the
//! source map as before (rows and diagnostics point into it by number), which holds while
//! the set of rule files stays the same.

use crate::base::diag::Diagnostic;
use crate::base::source::{FileId, SourceFile, SourceMap};
use crate::base::value::Symbols;
use crate::facts::confine::Identity;
use crate::facts::load::Facts;
use crate::facts::reload::KeptTable;
use crate::facts::restate::Blocks;
use crate::lang::syntax::{self, ast};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What loading keeps between runs. Its clones share the statement tables (the service's
/// check and evaluation threads each hold one) and each keeps its own rule files.
#[derive(Default, Clone)]
pub struct LoadCache {
    /// Each rule file's number, text, tree and syntax errors.
    rules: BTreeMap<PathBuf, (FileId, String, ast::File, Vec<Diagnostic>)>,
    /// What the statement tables gave, and how they were when read.
    statements: Arc<Mutex<Kept>>,
    /// How many times this cache reused the statement tables (for tests).
    pub statement_hits: usize,
    /// Whether the last load left the statement rows out (see [`crate::session::load_cached`]).
    pub rows_left_out: bool,
    /// Each relation table (by path and relation) as last loaded, to reload only the rows
    /// that changed (see [`crate::facts::reload`]).
    pub tables: BTreeMap<(PathBuf, String), KeptTable>,
    /// How many times this cache reloaded a relation table by its changed rows (for tests).
    pub table_reloads: usize,
    /// How many times this cache reloaded the statement tables by their changed rows (for
    /// tests).
    pub statement_reloads: usize,
    /// Whether the last load's statement tables were reloaded by rows since they were read
    /// in full ([`Statements::restated`]).
    pub used_restated: bool,
    /// Where the symbol table of the load in progress came from (set by its statement
    /// phase; `None` when it did not start from the kept one).
    taken: Option<Taken>,
    /// The kept state, taken out by [`LoadCache::hold`] until [`LoadCache::settle`].
    held: Option<(Vec<Stamp>, Statements)>,
    /// How many times a load's symbol table was kept for the next ([`LoadCache::settle`];
    /// for tests).
    pub settled: usize,
    /// Whether a load read statement rows since the kept symbol table was last made its own
    /// ([`LoadCache::unshare_statements`]); shared by the clones (the check thread loads, the
    /// evaluation thread unshares once its run is out).
    pub reloaded_rows: Arc<AtomicBool>,
}

/// Statement tables up to this size are copied out of the cache even for diagnostics: a
/// copy costs less than loading the project again to evaluate it.
pub const COPIED_UP_TO: usize = 4 << 20;

/// The statement tables' stamps and what they gave, once read.
type Kept = Option<(Vec<Stamp>, Arc<Statements>)>;

/// How a statement table was when it was read.
#[derive(Debug, Clone, PartialEq)]
pub enum Stamp {
    /// An editor's text, by path.
    Text(PathBuf, String),
    /// A file on disk: its path, device and inode, length and modification time.
    Disk(PathBuf, (u64, u64), u64, Option<std::time::SystemTime>),
    /// A file whose metadata could not be read: never equal to anything.
    Unknown,
}

/// Everything the statement tables gave: their names and texts as added to the source map
/// (from `first` on), the symbols and rows, the relations they name, the diagnostics, and
/// the identities of the files read.
#[derive(Clone)]
pub struct Statements {
    /// The first table's number in the source map.
    pub first: FileId,
    /// Each table's file (its name and text, or the file held open), in the order they were
    /// added.
    pub files: Vec<SourceFile>,
    /// The symbol table after the tables were read.
    pub symbols: Symbols,
    /// Their rows.
    pub facts: Facts,
    /// The relations their rows name.
    pub names: BTreeSet<String>,
    /// The tables' size in bytes.
    pub bytes: usize,
    /// What reading them found.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read.
    pub read: Vec<Identity>,
    /// Each table's blocks, to reload it by its changed rows ([`crate::facts::restate`]).
    pub blocks: Vec<Option<Blocks>>,
    /// Whether a table was reloaded by rows since the full load, or a load's symbol table was
    /// kept ([`LoadCache::settle`]): the symbol table may then hold strings no row has any
    /// more (which `ord` would count).
    pub restated: bool,
    /// The symbol table's lineage: the version it was made afresh at (see the module docs).
    pub lineage: u64,
    /// Its version: a new one, unique in the process, each time it is kept again.
    pub version: u64,
}

/// Where a load's symbol table came from: the kept one, at this lineage, version and length.
#[derive(Debug, Clone, Copy)]
struct Taken {
    lineage: u64,
    version: u64,
    len: usize,
}

/// A version number not given before in this process.
fn next_version() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

/// The stamp of a statement table.
pub fn stamp(path: &Path, overlay: &super::Overlay) -> Stamp {
    if let Some(text) = overlay.get(path) {
        return Stamp::Text(path.to_path_buf(), text.clone());
    }
    let Ok(meta) = std::fs::metadata(path) else { return Stamp::Unknown };
    #[cfg(unix)]
    let id = {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    };
    #[cfg(not(unix))]
    let id = (0, 0);
    Stamp::Disk(path.to_path_buf(), id, meta.len(), meta.modified().ok())
}

fn next_id(sources: &SourceMap) -> FileId {
    FileId(sources.files().count() as u32)
}

impl LoadCache {
    /// The tree of the rule file `path` (number `id`, text `text`, preprocessed already),
    /// reparsed only if its number or text changed.
    pub fn parse(&mut self, path: &Path, id: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
        if let Some((i, t, tree, errors)) = self.rules.get(path)
            && *i == id
            && t == text
        {
            return (tree.clone(), errors.clone());
        }
        let (tree, errors) = syntax::parse_expanded(id, text);
        self.rules.insert(path.to_path_buf(), (id, text.to_string(), tree.clone(), errors.clone()));
        (tree, errors)
    }

    /// Forgets the rule files not in `paths` (closed, deleted).
    pub fn keep_rules<'p>(&mut self, paths: impl Iterator<Item = &'p PathBuf>) {
        let paths: std::collections::BTreeSet<&PathBuf> = paths.collect();
        self.rules.retain(|p, _| paths.contains(p));
    }

    /// The statement tables' results as they were, if the tables (`stamps`) are unchanged
    /// and would get the same numbers in `sources`.
    pub fn statements(&mut self, stamps: &[Stamp], sources: &SourceMap) -> Option<Arc<Statements>> {
        let kept = {
            let kept = self.statements.lock().unwrap_or_else(|e| e.into_inner());
            let (old, kept) = kept.as_ref()?;
            if old != stamps || stamps.contains(&Stamp::Unknown) || kept.first != next_id(sources) {
                return None;
            }
            kept.clone()
        };
        self.statement_hits += 1;
        self.took(&kept);
        Some(kept)
    }

    /// Notes that the load in progress starts from `kept`'s symbol table.
    fn took(&mut self, kept: &Statements) {
        self.taken = Some(Taken { lineage: kept.lineage, version: kept.version, len: kept.symbols.len() });
    }

    /// Notes that the load in progress does not start from the kept symbol table.
    pub fn took_none(&mut self) {
        self.taken = None;
    }

    /// The lineage of the kept symbol table the load in progress started from, if it did.
    pub fn lineage(&self) -> Option<u64> {
        self.taken.map(|t| t.lineage)
    }

    /// Takes the kept state out of the cache until [`LoadCache::settle`], if it is still
    /// the version the load in progress started from, and drops the kept symbol table's
    /// share of the load's: the load's table is then its own, and a changed table's new
    /// strings are interned into it in place rather than into a copy of a million
    /// strings. (The other thread's load meanwhile finds nothing kept and reads in full.)
    pub fn hold(&mut self) {
        let Some(taken) = self.taken else { return };
        if self.held.is_some() {
            return;
        }
        let mut kept = self.statements.lock().unwrap_or_else(|e| e.into_inner());
        if kept.as_ref().is_none_or(|(_, s)| s.version != taken.version) {
            return;
        }
        let Some((stamps, statements)) = kept.take() else { return };
        let mut statements = Arc::try_unwrap(statements).unwrap_or_else(|shared| (*shared).clone());
        statements.symbols = Symbols::new();
        self.held = Some((stamps, statements));
    }

    /// After a load's relation tables: keeps the load's symbol table `symbols` (which grew
    /// from the kept one) if the load added strings, so that the ids its string tables were
    /// given stay valid; where that cannot be done (the kept table changed meanwhile), the
    /// kept string tables are forgotten. Not for a program that calls `ord` (it counts the
    /// strings: [`crate::session::load_cached`] keeps its tables out of this).
    pub fn settle(&mut self, symbols: &Symbols) {
        let Some(taken) = self.taken.take() else { return };
        let grew = symbols.len() > taken.len;
        if let Some((stamps, statements)) = self.held.take() {
            let statements = Statements {
                symbols: symbols.clone(),
                version: next_version(),
                restated: statements.restated || grew,
                ..statements
            };
            *self.statements.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamps, Arc::new(statements)));
        } else if grew {
            let mut kept = self.statements.lock().unwrap_or_else(|e| e.into_inner());
            match kept.as_mut() {
                Some((_, statements)) if statements.version == taken.version => {
                    let statements = Arc::make_mut(statements);
                    statements.symbols = symbols.clone();
                    (statements.version, statements.restated) = (next_version(), true);
                }
                _ => {
                    self.tables.retain(|_, t| t.lineage.is_none());
                    return;
                }
            }
        } else {
            return;
        }
        self.settled += 1;
        self.reloaded_rows.store(true, Ordering::SeqCst);
    }

    /// What the statement tables gave as last read, taken out to be brought up to date with
    /// `stamps` (the same tables, some changed), if they would get the same numbers in
    /// `sources` and had no diagnostics. The cache holds none until
    /// [`LoadCache::put_statements`].
    pub fn take_statements(&mut self, stamps: &[Stamp], sources: &SourceMap) -> Option<(Vec<Stamp>, Statements)> {
        let mut kept = self.statements.lock().unwrap_or_else(|e| e.into_inner());
        let (old, statements) = kept.as_ref()?;
        let path = |s: &Stamp| match s {
            Stamp::Text(p, _) | Stamp::Disk(p, ..) => Some(p.clone()),
            Stamp::Unknown => None,
        };
        let same_tables = old.len() == stamps.len()
            && old.iter().zip(stamps).all(|(a, b)| path(a).is_some() && path(a) == path(b))
            && statements.files.len() == stamps.len()
            && statements.facts.tables.len() == stamps.len();
        if !same_tables || !statements.diagnostics.is_empty() || statements.first != next_id(sources) {
            return None;
        }
        let (old, statements) = kept.take()?;
        Some((old, Arc::try_unwrap(statements).unwrap_or_else(|shared| (*shared).clone())))
    }

    /// After a load that read statement rows (in full or by changed rows: edits of the
    /// tables are likely to follow), makes the kept symbol table stop sharing its strings with the projects
    /// cloned from it: the copy is made now, once the run is out (the re-evaluation service
    /// calls this after printing, so that the copy does not compete with the run for the
    /// machine), instead of when the next reload adds a string.
    pub fn unshare_statements(&mut self) {
        if !self.reloaded_rows.swap(false, Ordering::SeqCst) {
            return;
        }
        let mut kept = self.statements.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, statements)) = kept.as_mut()
            && let Some(statements) = Arc::get_mut(statements)
        {
            statements.symbols.unshare();
        }
    }

    /// Forgets the statement tables: the next load reads them in full.
    pub fn forget_statements(&mut self) {
        *self.statements.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Keeps statement tables brought up to date with `stamps`; returns them, shared.
    pub fn put_statements(&mut self, stamps: Vec<Stamp>, mut statements: Statements) -> Arc<Statements> {
        let bytes = statements.files.iter().map(SourceFile::len).sum();
        statements.facts.make_room();
        let kept = Arc::new(Statements { bytes, version: next_version(), ..statements });
        self.took(&kept);
        *self.statements.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamps, kept.clone()));
        kept
    }

    /// Keeps what the statement tables (`stamps`) gave: the files of `sources` from
    /// `kept.first` on.
    pub fn keep_statements(&mut self, stamps: Vec<Stamp>, sources: &SourceMap, mut kept: Statements) {
        kept.facts.make_room();
        let first = kept.first.0 as usize;
        let files: Vec<SourceFile> = sources.files().skip(first).map(|(_, f)| f.clone()).collect();
        let bytes = files.iter().map(SourceFile::len).sum();
        let version = next_version();
        let kept = Arc::new(Statements { files, bytes, lineage: version, version, ..kept });
        self.took(&kept);
        *self.statements.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamps, kept));
    }
}

/// The number the next file added to `sources` gets.
pub fn next_file(sources: &SourceMap) -> FileId {
    next_id(sources)
}
