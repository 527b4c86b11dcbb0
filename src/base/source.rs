//! Source files and byte spans. Every diagnostic and every provenance leaf points into a
//! [`SourceMap`] by [`Span`], so locations are resolved to `file:line:col` only at the edge.

use std::ops::Range;

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
    /// The file's contents.
    pub text: String,
    /// Byte offset of the start of each line, for `line:col` lookups. Found on first use:
    /// a large table that loads without error never needs them (10 M rows: 80 MB).
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    fn new(name: String, text: String) -> SourceFile {
        SourceFile { name, text, line_starts: std::sync::OnceLock::new() }
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
