//! Source files and byte spans. Every diagnostic and every provenance leaf points into a
//! [`SourceMap`] by [`Span`], so locations are resolved to `file:line:col` only at the edge.
//!
//! A large statement table is not kept as text: it is read in chunks while it loads, and
//! its [`SourceFile`] holds the file open instead ([`HeldFile`]), so that a proof can read
//! back the one row it quotes. Every read checks first that the file is as it was loaded
//! (its length and modification time, through the open handle); a file changed since
//! loading is an error ([`Changed`]), never a quote of other text.

use std::ops::Range;
use std::sync::Arc;

/// Index of a file in the [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range inside one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// The file the span is in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset just past the last byte.
    pub end: u32,
}

impl Span {
    /// The span of a byte range of `file` (offsets are kept in 32 bits).
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span { file, start: range.start as u32, end: range.end as u32 }
    }

    /// The smallest span covering both `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// The span's byte range, for slicing the file's text.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One loaded file: its display name (as the user wrote the path) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown in messages.
    pub name: String,
    /// The file's contents; empty for a [held](SourceFile::held) file, whose text was not
    /// kept.
    pub text: String,
    /// Byte offset of the start of each line, for `line:col` lookups. Found on first use:
    /// a large table that loads without error never needs them (10 M rows: 80 MB).
    line_starts: std::sync::OnceLock<Vec<usize>>,
    /// The file, held open since loading, when its text is not kept.
    held: Option<Arc<HeldFile>>,
}

impl SourceFile {
    fn new(name: String, text: String) -> SourceFile {
        SourceFile { name, text, line_starts: std::sync::OnceLock::new(), held: None }
    }

    /// A file and its text.
    pub fn with_text(name: String, text: String) -> SourceFile {
        SourceFile::new(name, text)
    }

    /// A file whose text is not kept: `held` reads it back.
    pub fn held(name: String, held: HeldFile) -> SourceFile {
        SourceFile { held: Some(Arc::new(held)), ..SourceFile::new(name, String::new()) }
    }

    /// The open file, when the text is not kept.
    pub fn held_file(&self) -> Option<&HeldFile> {
        self.held.as_deref()
    }

    /// The file's size in bytes (its text's, or the held file's as loaded).
    pub fn len(&self) -> usize {
        self.held.as_ref().map_or(self.text.len(), |h| h.len as usize)
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole text: the kept text, or the held file read again (checked unchanged and
    /// against the checksum taken while it loaded; a held file is valid UTF-8, or it would
    /// have had errors and kept its text).
    pub fn read_text(&self) -> Result<std::borrow::Cow<'_, str>, Changed> {
        match &self.held {
            None => Ok(std::borrow::Cow::Borrowed(&self.text)),
            Some(h) => h.read_all().map(|b| String::from_utf8_lossy(&b).into_owned().into()),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0).chain(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1)).collect()
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_starts = self.line_starts();
        let line = line_starts.partition_point(|&s| s <= offset) - 1;
        let start = line_starts[line];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The text of a 1-based line, without its line end.
    pub fn line_text(&self, line: usize) -> &str {
        let line_starts = self.line_starts();
        let Some(&start) = line_starts.get(line.wrapping_sub(1)) else { return "" };
        let end = line_starts.get(line).copied().unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// How a file was when it was loaded, from its open handle: a change to its content (written
/// in place, truncated, appended to) changes its length or its modification time. (The
/// change time is not compared: removing the file's name, as `stance diff` does with the
/// checkout it loaded, changes it, and the handle still reads the file that was loaded. A
/// file replaced by renaming another over its name is not seen, for the same reason.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileStamp {
    fn of(file: &std::fs::File) -> std::io::Result<FileStamp> {
        let meta = file.metadata()?;
        Ok(FileStamp { len: meta.len(), modified: meta.modified().ok() })
    }
}

/// A file held open since loading, to read back parts of it (a row a proof quotes).
#[derive(Debug)]
pub struct HeldFile {
    file: std::fs::File,
    /// Its length when loaded.
    len: u64,
    /// Its CRC-32 when loaded (of every byte, read in order).
    crc: u32,
    stamp: FileStamp,
}

/// A held file changed since it was loaded (or could not be read again): what was loaded
/// can no longer be quoted from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// Why: changed, or the read's error.
    pub why: String,
}

impl HeldFile {
    /// Holds `file`, read whole while loading: `len` bytes with CRC-32 `crc`, unchanged
    /// since `before` ([`HeldFile::stamp`] before the read). Fails when the file changed
    /// while it was read.
    pub fn new(file: std::fs::File, len: u64, crc: u32, before: &Stamp) -> Result<HeldFile, Changed> {
        let stamp = FileStamp::of(&file).map_err(|e| Changed { why: e.to_string() })?;
        if stamp != before.0 || stamp.len != len {
            return Err(Changed { why: "it changed while it was read".into() });
        }
        Ok(HeldFile { file, len, crc, stamp })
    }

    /// The stamp of `file` now, to give [`HeldFile::new`] after reading it.
    pub fn stamp(file: &std::fs::File) -> std::io::Result<Stamp> {
        FileStamp::of(file).map(Stamp)
    }

    /// Whether the file is as it was loaded.
    pub fn check(&self) -> Result<(), Changed> {
        match FileStamp::of(&self.file) {
            Ok(now) if now == self.stamp => Ok(()),
            Ok(_) => Err(Changed { why: "it changed since loading".into() }),
            Err(e) => Err(Changed { why: format!("it cannot be read again: {e}") }),
        }
    }

    /// Up to `len` bytes from `offset` (fewer at the end of the file), the file checked
    /// unchanged before.
    pub fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, Changed> {
        self.check()?;
        let len = len.min(self.len.saturating_sub(offset) as usize);
        let mut buf = vec![0; len];
        read_exact_at(&self.file, &mut buf, offset)
            .map_err(|e| Changed { why: format!("it cannot be read again: {e}") })?;
        Ok(buf)
    }

    /// The whole file, checked unchanged and against its checksum.
    pub fn read_all(&self) -> Result<Vec<u8>, Changed> {
        let bytes = self.read_at(0, self.len as usize)?;
        let mut crc = flate2::Crc::new();
        crc.update(&bytes);
        if crc.sum() != self.crc {
            return Err(Changed { why: "it changed since loading".into() });
        }
        Ok(bytes)
    }
}

/// A file's stamp before it is read (see [`HeldFile::new`]).
#[derive(Debug, Clone, Copy)]
pub struct Stamp(FileStamp);

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// All files read in one run, addressed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name.into(), text.into()));
        FileId(self.files.len() as u32 - 1)
    }

    /// Adds a file made elsewhere (a [held](SourceFile::held) one, or one kept from an
    /// earlier run) and returns its id.
    pub fn push(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with id `id`, to keep its text.
    pub fn get_mut(&mut self, id: FileId) -> &mut SourceFile {
        &mut self.files[id.0 as usize]
    }

    /// Every held file checked unchanged since loading; the first that is not, by name.
    pub fn check_held(&self) -> Result<(), (String, Changed)> {
        for f in &self.files {
            if let Some(h) = &f.held {
                h.check().map_err(|c| (f.name.clone(), c))?;
            }
        }
        Ok(())
    }

    /// Replaces file `id`'s text by `text`, which has the same lines (a preprocessed rule
    /// file: `lang::syntax::preprocess`), so that spans into it and its line numbers agree.
    pub fn set_text(&mut self, id: FileId, text: String) {
        let f = &mut self.files[id.0 as usize];
        *f = SourceFile::new(std::mem::take(&mut f.name), text);
    }

    /// Renames every file whose name starts with `from` to start with `to` instead (files
    /// read from a temporary checkout are shown as `REV:path`).
    pub fn rename_prefix(&mut self, from: &str, to: &str) {
        for f in &mut self.files {
            if let Some(rest) = f.name.strip_prefix(from) {
                f.name = format!("{to}{rest}");
            }
        }
    }

    /// The file with id `id` (ids come from [`SourceMap::add`], so it exists).
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Every file, with its id, in the order added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    /// The text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file).text.get(span.range()).unwrap_or("")
    }

    /// `file:line:col` of the start of a span.
    pub fn location(&self, span: Span) -> String {
        let file = self.get(span.file);
        let (line, col) = file.line_col(span.start as usize);
        format!("{}:{}:{}", file.name, line, col)
    }

    /// `file:line` of the start of a span.
    pub fn file_line(&self, span: Span) -> String {
        let file = self.get(span.file);
        let (line, _) = file.line_col(span.start as usize);
        format!("{}:{}", file.name, line)
    }
}
/// Text on one line: every run of whitespace (line breaks included) becomes one space, and
/// the ends are trimmed. How rules, constraints and conditions quote their source in messages,
/// proofs and plans.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

impl SourceMap {
    /// The source text of a span, on one line (see [`one_line`]).
    pub fn one_line(&self, span: Span) -> String {
        one_line(self.snippet(span))
    }
}
