//! Reading the statement tables of the facts directory. Each file is opened once (confined
//! to the directory), streamed through the loader without keeping its text, and held open
//! so that a proof can read back the row it quotes ([`HeldFile`], checked unchanged at each
//! read). A table with diagnostics keeps its text, read again and checked against the
//! checksum taken while it loaded, because diagnostics show it. An editor's unsaved buffer
//! is loaded from its text.

use super::{ExitStatus, Failure, Inputs, Overlay, display_path};
use crate::base::diag::Diagnostic;
use crate::base::source::{Changed, HeldFile, SourceFile, SourceMap};
use crate::base::value::Symbols;
use crate::facts::confine::{self, OpenError, Place};
use crate::facts::grade::RowFilter;
use crate::facts::load::{self, Facts};
use crate::facts::restate::{self, Blocks, Hashing, HashingReader};
use crate::session::cache::{Stamp, Statements};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A statement table to load.
pub(super) enum Table {
    /// An editor's text for it.
    Text(PathBuf, String),
    /// The file, opened, and its length.
    File(PathBuf, File, u64),
}

impl Table {
    /// Its size in bytes.
    pub(super) fn len(&self) -> usize {
        match self {
            Table::Text(_, text) => text.len(),
            Table::File(_, _, len) => *len as usize,
        }
    }
}

/// Opens the statement tables `paths` of the facts directory (an editor's buffer stands in
/// for its file); a table leading outside the directory is refused with a diagnostic.
pub(super) fn open(
    inputs: &Inputs,
    paths: &[PathBuf],
    overlay: &Overlay,
    read: &mut Vec<confine::Identity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<Table>, Failure> {
    let mut tables = Vec::new();
    let Some(dir) = &inputs.facts else { return Ok(tables) };
    for path in paths {
        if let Some(text) = overlay.get(path) {
            tables.push(Table::Text(path.clone(), text.clone()));
            continue;
        }
        let cannot = |e: std::io::Error| Failure::io(format!("cannot read `{}`: {e}", path.display()));
        match confine::open_inside(path, dir) {
            Ok((file, identity)) => {
                let len = file.metadata().map_err(cannot)?.len();
                read.push(identity);
                tables.push(Table::File(path.clone(), file, len));
            }
            Err(OpenError::Io(e)) => return Err(cannot(e)),
            Err(OpenError::Outside(target)) => diags.push(confine::listed_file(path, &target, Place::Facts)),
        }
    }
    Ok(tables)
}

/// Loads the opened `tables` into `sources`, `symbols` and `facts`; their diagnostics go to
/// `diags`, the invalid UTF-8 of every table first, then the rows' errors (as when every
/// text was read before any was loaded). Each table's [`Blocks`] go to `blocks`, for a later
/// reload by rows (`None`: it changed while it was read).
pub(super) fn load(
    tables: Vec<Table>,
    sources: &mut SourceMap,
    (symbols, facts): (&mut Symbols, &mut Facts),
    filter: &RowFilter,
    (diags, blocks): (&mut Vec<Diagnostic>, &mut Vec<Option<Blocks>>),
) -> Result<(), Failure> {
    let mut errors = Vec::new();
    for table in tables {
        match table {
            Table::Text(path, text) => {
                blocks.push(Some(Blocks::of(text.as_bytes())));
                let (text, invalid) = load::decode(text.into_bytes());
                let file = sources.add(display_path(&path), text);
                diags.extend(load::invalid_utf8_errors(file, &invalid));
                errors.extend(
                    load::load_statement_table(file, sources, symbols, facts, filter).err().unwrap_or_default(),
                );
            }
            Table::File(path, file, _) => {
                let (invalid, rows, hashed) = stream(&path, file, sources, (symbols, facts), filter)?;
                blocks.push(hashed);
                diags.extend(invalid);
                errors.extend(rows);
            }
        }
    }
    diags.extend(errors);
    Ok(())
}

/// What streaming a table found: its invalid UTF-8 errors, its rows' errors, its blocks.
type StreamFound = (Vec<Diagnostic>, Vec<Diagnostic>, Option<Blocks>);

/// Streams one table into a held file of `sources`: returns its invalid UTF-8 errors, its
/// rows' errors and its blocks.
fn stream(
    path: &Path,
    mut file: File,
    sources: &mut SourceMap,
    (symbols, facts): (&mut Symbols, &mut Facts),
    filter: &RowFilter,
) -> Result<StreamFound, Failure> {
    let name = display_path(path);
    let cannot = |e: std::io::Error| Failure::io(format!("cannot read `{}`: {e}", path.display()));
    // Numbered before it loads: rows and diagnostics point into it by number.
    let id = sources.add(name.clone(), String::new());
    let stamp = HeldFile::stamp(&file).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    let mut reader = HashingReader { inner: &mut file, hashing: Hashing::new(len) };
    let (streamed, loaded) =
        load::stream_statement_table(id, (&mut reader, len), symbols, facts, filter).map_err(cannot)?;
    let blocks = reader.hashing.finish();
    let held = HeldFile::new(file, streamed.len, streamed.crc, &stamp).map_err(|c| changed(&name, &c))?;
    let rows = loaded.err().unwrap_or_default();
    if streamed.invalid.is_empty() && rows.is_empty() {
        *sources.get_mut(id) = SourceFile::held(name, held);
        return Ok((Vec::new(), rows, blocks));
    }
    // Diagnostics show the text: it is read again (checked against the checksum) and kept,
    // decoded as a whole (a bad header stops the stream before any invalid UTF-8 after it).
    let (text, invalid) = load::decode(held.read_all().map_err(|c| changed(&name, &c))?);
    sources.set_text(id, text);
    Ok((load::invalid_utf8_errors(id, &invalid), rows, blocks))
}

/// Brings `kept` (the statement tables `paths` as last read, stamped `old`) up to date with
/// the tables as stamped `new`, reading only the changed rows of each changed table
/// ([`restate`]); `None` where only a full load can tell (then `kept` is spoiled: the
/// caller loads in full). A changed file is opened (confined to the facts directory), read
/// whole to find its changed rows, and held open for proofs as a full load holds it.
pub(super) fn reload(
    inputs: &Inputs,
    paths: &[PathBuf],
    (old, new): (&[Stamp], &[Stamp]),
    kept: &mut Statements,
) -> Option<()> {
    let dir = inputs.facts.as_ref()?;
    // The identities of the files opened, in order: one per table on disk.
    let mut opened = 0;
    for (i, (path, (was, now))) in paths.iter().zip(old.iter().zip(new)).enumerate() {
        let on_disk = matches!(was, Stamp::Disk(..));
        if was == now {
            opened += usize::from(on_disk);
            continue;
        }
        let name = display_path(path);
        let (bytes, file) = match (was, now) {
            (Stamp::Text(..), Stamp::Text(_, text)) => (text.clone().into_bytes(), None),
            (Stamp::Disk(..), Stamp::Disk(..)) => {
                let (mut file, identity) = confine::open_inside(path, dir).ok()?;
                let stamp = HeldFile::stamp(&file).ok()?;
                let mut bytes = Vec::with_capacity(file.metadata().map_or(0, |m| m.len() as usize));
                std::io::Read::read_to_end(&mut file, &mut bytes).ok()?;
                *kept.read.get_mut(opened)? = identity;
                opened += 1;
                (bytes, Some((file, stamp)))
            }
            _ => return None,
        };
        let blocks = Blocks::of(&bytes);
        let (text, invalid) = load::decode(bytes);
        if !invalid.is_empty() {
            return None;
        }
        let was_blocks = kept.blocks.get(i)?.as_ref()?;
        restate::reload(&mut kept.facts, i as u32, (was_blocks, &blocks), &text, &mut kept.symbols)?;
        kept.files[i] = match file {
            None => SourceFile::with_text(name, text),
            Some((file, stamp)) => {
                let mut crc = flate2::Crc::new();
                crc.update(text.as_bytes());
                let held = HeldFile::new(file, text.len() as u64, crc.sum(), &stamp).ok()?;
                // Freed on another thread: unmapping tens of MB takes milliseconds that the
                // run should not wait for.
                rayon::spawn(move || drop(text));
                SourceFile::held(name, held)
            }
        };
        kept.blocks[i] = Some(blocks);
        kept.restated = true;
    }
    kept.names = kept.facts.relations.keys().cloned().collect();
    Some(())
}

/// A table that changed while it was read: loading it again reads it as it is now.
fn changed(name: &str, changed: &Changed) -> Failure {
    Failure::new(vec![load::changed_error(&format!("cannot load `{name}`"), changed)], ExitStatus::Usage)
}

/// The rows a command's proofs could not quote because their tables changed since loading
/// ([`load::take_unquoted`]): a failure that names each (`Usage`: a file could not be read).
pub fn unquoted() -> Result<(), Failure> {
    let diagnostics = load::take_unquoted();
    if diagnostics.is_empty() { Ok(()) } else { Err(Failure::new(diagnostics, ExitStatus::Usage)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::diag::render_short;

    /// A project whose statement table holds `rows` after its header, loaded.
    fn loaded(dir: &Path, rows: &str) -> super::super::Project {
        std::fs::write(dir.join("rules.dl"), ".decl backs(a: symbol, b: symbol)\n.output backs\n").unwrap();
        std::fs::create_dir_all(dir.join("facts")).unwrap();
        std::fs::write(dir.join("facts/s.csv"), format!("subject,relation,object,source,quote\n{rows}")).unwrap();
        let inputs = Inputs { rules: vec![dir.join("rules.dl")], facts: Some(dir.join("facts")), ..Inputs::default() };
        super::super::load(&inputs, &mut SourceMap::new()).unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
    }

    #[test]
    fn quotes_are_read_back_from_the_held_file() {
        let dir = tempfile::tempdir().unwrap();
        // A quote over two lines, with a comma, doubled quotes and more than the first
        // window (4 KiB) of text.
        let long = "é".repeat(3000);
        let rows = format!("A,backs,B,P,\"one, \"\"two\"\"\nthree\"\nC,backs,D,Q,{long}\n");
        let project = loaded(dir.path(), &rows);
        let file = project.sources.get(project.facts.table_of(0).file);
        assert!(file.held_file().is_some() && file.text.is_empty());
        let quote = |id| project.facts.try_metadata(id, &project.sources).unwrap();
        assert_eq!(
            quote(0),
            vec![("source".to_string(), "P".to_string()), ("quote".to_string(), "one, \"two\"\nthree".to_string())]
        );
        assert_eq!(quote(1)[1].1, long);
        assert_eq!(project.facts.location(1, &project.sources), format!("{}:4", file.name));
    }

    #[test]
    fn a_table_changed_since_loading_is_not_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let project = loaded(dir.path(), "A,backs,B,P,first\nC,backs,D,Q,second\n");
        assert!(project.facts.try_metadata(1, &project.sources).is_ok());
        // Rewritten in place: the offset of row 2 now holds other text.
        let path = dir.path().join("facts/s.csv");
        std::fs::write(&path, "subject,relation,object,source,quote\nC,backs,D,Q,other\nA,backs,B,P,first\n").unwrap();
        let name = project.sources.get(project.facts.table_of(1).file).name.clone();
        let expected = format!("error[E021]: cannot quote `{name}:3`: it changed since loading");
        let error = project.facts.try_metadata(1, &project.sources).unwrap_err();
        assert_eq!(render_short(&error, &project.sources), expected);
        // Through `metadata`, as proofs read it: nothing shown, and the command fails.
        assert!(project.facts.metadata(1, &project.sources).is_empty());
        let failure = unquoted().unwrap_err();
        assert_eq!(failure.status, ExitStatus::Usage);
        let shown: Vec<String> = failure.diagnostics.iter().map(|d| render_short(d, &project.sources)).collect();
        assert_eq!(shown, vec![expected]);
        assert!(project.sources.check_held().is_err());
    }
}
