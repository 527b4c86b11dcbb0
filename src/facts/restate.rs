//! A statement table loaded again after a change, by reading only the rows that changed
//! (`stance watch`, the language server: kept in the session stage's load cache).
//!
//! A statement table's text is not kept after loading (it is streamed; proofs read their
//! row back from the file), so the changed rows cannot be found by comparing the new text
//! with the old one as [`crate::facts::reload`] does for relation tables. What is kept
//! instead ([`Blocks`]): a keyed 64-bit hash of every 4 KiB block of the text, once with
//! the blocks aligned at its start and once at its end, and its first block verbatim.
//! Comparing the new text's blocks with them gives a common prefix and suffix a block
//! short at most (exact within the first block, where the header is), and from there the
//! reload runs as a relation table's ([`reload::changed_region`]): the split restarts at
//! the kept row holding the first changed byte and stops where a record starts at a kept
//! row's (shifted) offset in the common suffix. Each row's line and offset are the ones the
//! load keeps anyway ([`FactOrigin`]), so the reload keeps 16 bytes per 4 KiB of text beyond
//! a full load's state (about 0.6 bytes per 150-byte row) and one 4 KiB block per table.
//!
//! The hash is `ahash`'s, keyed at random once per process: a table from someone else cannot be
//! made to collide with what it replaced without knowing the key. A collision would hide a
//! changed block; with 64 bits and a secret key that is not a practical concern.
//!
//! The changed records are loaded by [`load_statement_table`] itself, on the table's
//! unchanged beginning (its header) followed by those records, interning their strings in
//! the same symbol table as the kept rows (it only grows: every kept id keeps its string).
//! Their rows replace the changed ones in [`Facts`]: fact ids after them move by the change
//! in rows, offsets of the table's later rows by the change in bytes, lines by the change in
//! lines, so a proof quotes the row where it is now.
//!
//! Where the kept state cannot say what a full load gives, the reload declines and the
//! caller loads every statement table in full: a change before the first row (the header,
//! a byte order mark); a changed row with a diagnostic (the full load reports it, located);
//! a `polarity` column (a row may name a relation without giving it a row, so which
//! relations exist is not a function of the rows); and, decided by the caller, filters
//! (`--as-of`, grades, time, parts), invalid UTF-8, and tables that had diagnostics.

use crate::base::source::SourceMap;
use crate::base::value::Symbols;
use crate::facts::grade::RowFilter;
use crate::facts::load::{FactOrigin, FactRows, Facts, TableOptions, load_statement_table};
use crate::facts::reload::{self, Region, Rows};
use std::hash::BuildHasher;

/// Bytes per hashed block, at most: a table of `len` bytes is cut into blocks of about
/// `len / 64`, a power of two from 16 to 4 KiB (a small table's changed bytes are found
/// as closely as a large one's, relative to its size).
const BLOCK: usize = 4096;

fn block_size(len: usize) -> usize {
    (len / 64).next_power_of_two().clamp(16, BLOCK)
}

/// What is kept of a statement table's text to find the changed bytes of a new one: see
/// the module docs.
#[derive(Clone)]
pub struct Blocks {
    /// The text's length.
    len: usize,
    /// Bytes per block.
    block: usize,
    /// Its first 4 KiB (or all of it, if shorter), where the header is.
    first: Vec<u8>,
    /// The hash of block `i` from the start (whole blocks only).
    head: Vec<u64>,
    /// The hash of block `i` from the end (`i = 0`: the last `block` bytes).
    tail: Vec<u64>,
}

impl std::fmt::Debug for Blocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blocks({} bytes)", self.len)
    }
}

impl Blocks {
    /// The blocks of `bytes`.
    pub fn of(bytes: &[u8]) -> Blocks {
        // As [`Hashing`] gives them, without copying the blocks.
        let (len, block) = (bytes.len(), block_size(bytes.len()));
        let hash = |b: &[u8]| key().hash_one(b);
        let head = || bytes.chunks_exact(block).map(hash).collect();
        let tail = || bytes[len % block..].chunks_exact(block).rev().map(hash).collect();
        // The two alignments are independent: a large text's are hashed side by side (30 MB
        // is about 4 ms each, on the path of every edit under `watch`).
        let (head, tail) = if len >= 1 << 20 { rayon::join(head, tail) } else { (head(), tail()) };
        Blocks { len, block, first: bytes[..len.min(BLOCK)].to_vec(), head, tail }
    }

    fn hash(&self, bytes: &[u8]) -> u64 {
        key().hash_one(bytes)
    }

    /// [`Blocks::shared`] for `new`, whose blocks are `blocks`: their hashes compared, when
    /// the two texts have blocks of the same size (as large tables do), else hashed again.
    pub fn shared_with(&self, new: &[u8], blocks: &Blocks) -> (usize, usize) {
        if blocks.block != self.block || blocks.len != new.len() {
            return self.shared(new);
        }
        let (n, b) = (new.len(), self.block);
        let prefix = (crate::base::common::prefix(&self.head, &blocks.head) * b)
            .max(crate::base::common::prefix(&self.first, new));
        let tail = crate::base::common::prefix(&self.tail, &blocks.tail);
        (prefix, (tail * b).min(n.min(self.len) - prefix.min(n.min(self.len))))
    }

    /// How many leading and trailing bytes `new` shares with the kept text, at least (the
    /// two do not overlap in either text).
    pub fn shared(&self, new: &[u8]) -> (usize, usize) {
        let (n, b) = (new.len(), self.block);
        let mut i = 0;
        while i < self.head.len() && (i + 1) * b <= n && self.hash(&new[i * b..(i + 1) * b]) == self.head[i] {
            i += 1;
        }
        let prefix = (i * b).max(crate::base::common::prefix(&self.first, new));
        let mut j = 0;
        while j < self.tail.len() && (j + 1) * b <= n && self.hash(&new[n - (j + 1) * b..n - j * b]) == self.tail[j] {
            j += 1;
        }
        (prefix, (j * b).min(n.min(self.len) - prefix.min(n.min(self.len))))
    }

    /// Bytes kept (for the memory accounting).
    pub fn size(&self) -> usize {
        self.first.len() + 8 * (self.head.len() + self.tail.len())
    }
}

/// The process's key, random, from std's `RandomState` (seeded by the operating system).
fn key() -> &'static ahash::RandomState {
    static KEY: std::sync::OnceLock<ahash::RandomState> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let std = std::collections::hash_map::RandomState::new();
        let seed = |i: u64| std.hash_one(i);
        ahash::RandomState::with_seeds(seed(0), seed(1), seed(2), seed(3))
    })
}

/// Works out the [`Blocks`] of a text read piece by piece (a streamed table).
pub struct Hashing {
    blocks: Blocks,
    /// Bytes fed so far.
    at: u64,
    /// The current block from the start, and from the end.
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Hashing {
    /// For a text of `len` bytes.
    pub fn new(len: u64) -> Hashing {
        let blocks = Blocks {
            len: len as usize,
            block: block_size(len as usize),
            first: Vec::new(),
            head: Vec::new(),
            tail: Vec::new(),
        };
        let block = blocks.block;
        Hashing { blocks, at: 0, head: Vec::with_capacity(block), tail: Vec::with_capacity(block) }
    }

    /// The next bytes of the text.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        let (len, block) = (self.blocks.len as u64, self.blocks.block);
        if self.blocks.first.len() < BLOCK {
            let take = (BLOCK - self.blocks.first.len()).min(bytes.len());
            self.blocks.first.extend_from_slice(&bytes[..take]);
        }
        // The blocks from the end start at `len % block` (the bytes before are no whole one).
        let tail_from = len % block as u64;
        while !bytes.is_empty() {
            let mut take = (block - self.head.len()).min(bytes.len());
            if self.at < tail_from {
                take = take.min((tail_from - self.at) as usize);
            } else {
                take = take.min(block - self.tail.len());
            }
            let piece = &bytes[..take];
            self.head.extend_from_slice(piece);
            if self.at >= tail_from {
                self.tail.extend_from_slice(piece);
            }
            self.at += take as u64;
            bytes = &bytes[take..];
            if self.head.len() == block {
                self.blocks.head.push(self.blocks.hash(&self.head));
                self.head.clear();
            }
            if self.tail.len() == block {
                self.blocks.tail.push(self.blocks.hash(&self.tail));
                self.tail.clear();
            }
        }
    }

    /// The blocks, if the text had the length given.
    pub fn finish(mut self) -> Option<Blocks> {
        if self.at != self.blocks.len as u64 {
            return None;
        }
        self.blocks.tail.reverse();
        Some(self.blocks)
    }
}

/// A reader that works out the [`Blocks`] of what passes through it.
pub struct HashingReader<'r> {
    /// The reader.
    pub inner: &'r mut dyn std::io::Read,
    /// The blocks so far.
    pub hashing: Hashing,
}

impl std::io::Read for HashingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hashing.feed(&buf[..n]);
        Ok(n)
    }
}

/// How a statement table's reload went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restated {
    /// Rows read again and gone.
    pub removed: usize,
    /// Rows read from the changed text.
    pub added: usize,
}

/// Brings the rows of statement table `table` of `facts` (whose text was as `blocks` say)
/// up to date with `text` (whose blocks are `now`) by reading only its changed rows, interning their strings in
/// `symbols`; `None` (and `facts` unchanged) where only a full load can tell: see the
/// module docs. The caller checks the rest (filters, invalid UTF-8, diagnostics).
pub fn reload(
    facts: &mut Facts,
    table: u32,
    (blocks, now): (&Blocks, &Blocks),
    text: &str,
    symbols: &mut Symbols,
) -> Option<Restated> {
    let info = facts.tables.get(table as usize)?;
    if info.metadata_columns.iter().any(|c| c.trim().eq_ignore_ascii_case("polarity")) {
        return None;
    }
    let lo = facts.origins.partition_point(|o| o.table < table);
    let hi = facts.origins.partition_point(|o| o.table <= table);
    let (prefix, suffix) = blocks.shared_with(text.as_bytes(), now);
    let options = TableOptions { delimiter: b',', headers: true, rfc4180: true, comment: None, part: None };
    // The table's rows, read where they are kept (not copied out: a million per reload).
    let origins = &facts.origins[lo..hi];
    let (start, line) = (|i: usize| origins[i].offset, |i: usize| origins[i].line);
    let rows = Rows { len: origins.len(), start: &start, line: &line };
    let region = reload::changed_region(rows, &options, text, (blocks.len, prefix, suffix))?;
    let new = convert(text, &region, origins, table, symbols)?;
    if new.tables.first().map(|t| &t.metadata_columns) != Some(&facts.tables[table as usize].metadata_columns) {
        return None;
    }
    let restated = Restated { removed: region.rows.len(), added: new.origins.len() };
    // The table's rows after the changed ones move.
    let after = lo + region.rows.end;
    let line_grown =
        region.line_at_end.map_or(0, |l| l as i64 - origins.get(region.rows.end).map_or(0, |o| o.line as i64));
    for o in &mut facts.origins[after..hi] {
        o.offset = (o.offset as i64 + region.grown) as u32;
        o.line = (o.line as i64 + line_grown) as u32;
    }
    splice(facts, lo + region.rows.start..after, new);
    Some(restated)
}

/// The rows of the changed records, as a full load reads them: their origins in the new
/// text (as table `table`; `origins` are the table's kept rows'), or `None` when one has a
/// diagnostic.
fn convert(text: &str, region: &Region, origins: &[FactOrigin], table: u32, symbols: &mut Symbols) -> Option<Facts> {
    let head = origins[0].offset as usize;
    let mut part = String::with_capacity(head + region.bytes.len());
    part.push_str(&text[..head]);
    part.push_str(&text[region.bytes.clone()]);
    let mut sources = SourceMap::new();
    let file = sources.add("", part);
    let mut facts = Facts::new();
    load_statement_table(file, &sources, symbols, &mut facts, &RowFilter::default()).ok()?;
    let shift = region.bytes.start as i64 - head as i64;
    let line_shift = origins[region.rows.start].line as i64 - origins[0].line as i64;
    for o in &mut facts.origins {
        *o = FactOrigin { table, line: (o.line as i64 + line_shift) as u32, offset: (o.offset as i64 + shift) as u32 };
    }
    Some(facts)
}

/// Replaces the facts with ids `ids` by the rows of `new` (numbered from 0, in order), in
/// the origins, the grades and every relation's rows; later ids move.
fn splice(facts: &mut Facts, ids: std::ops::Range<usize>, new: Facts) {
    let (a, b, c) = (ids.start, ids.end, new.origins.len());
    let moved = c as i64 - (b - a) as i64;
    facts.origins.splice(a..b, new.origins);
    if !facts.grades.is_empty() || !new.grades.is_empty() {
        let mut grades = new.grades;
        grades.resize(c, (None, None));
        if facts.grades.len() < b {
            facts.grades.resize(b, (None, None));
        }
        facts.grades.splice(a..b, grades);
        // As a full load leaves it: up to the last row with a grade or a confidence.
        while facts.grades.last().is_some_and(|g| g.0.is_none() && g.1.is_none()) {
            facts.grades.pop();
        }
    }
    let mut added = new.relations;
    let renumber = |rows: FactRows| -> FactRows {
        FactRows { ids: rows.ids.iter().map(|&i| i + a as u32).collect(), tuples: rows.tuples }
    };
    for (name, rows) in facts.relations.iter_mut() {
        let i0 = rows.ids.partition_point(|&id| (id as usize) < a);
        let i1 = rows.ids.partition_point(|&id| (id as usize) < b);
        if moved != 0 {
            for id in &mut rows.ids[i1..] {
                *id = (*id as i64 + moved) as u32;
            }
        }
        let put = added.remove(name).map(renumber).unwrap_or_default();
        let count = put.ids.len();
        rows.ids.splice(i0..i1, put.ids);
        let arity = rows.tuples.arity;
        rows.tuples.data.splice(i0 * arity..i1 * arity, put.tuples.data);
        rows.tuples.rows = rows.tuples.rows - (i1 - i0) + count;
    }
    for (name, rows) in added {
        facts.relations.insert(name, renumber(rows));
    }
    // A statement row always gives its relation a row (a polarity column is declined), so a
    // relation without rows is one a full load would not name.
    facts.relations.retain(|_, rows| !rows.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The blocks of a text read in pieces of any size find it unchanged, and
        /// the bytes they say a new text shares with it are shared (and all of them, but at
        /// most a block, when the change is one run of bytes).
        #[test]
        fn shared_bytes_are_shared(
            old in prop::collection::vec(0u8..4, 0..3000),
            piece in 1usize..700,
            at in 0usize..3000,
            cut in 0usize..40,
            insert in prop::collection::vec(0u8..4, 0..40),
        ) {
            let mut hashing = Hashing::new(old.len() as u64);
            old.chunks(piece).for_each(|c| hashing.feed(c));
            let blocks = hashing.finish().unwrap();
            let whole = Blocks::of(&old);
            prop_assert_eq!((&blocks.head, &blocks.tail, &blocks.first), (&whole.head, &whole.tail, &whole.first));
            let whole = blocks.shared(&old);
            prop_assert!(whole.0 + blocks.block > old.len() && whole.0 + whole.1 == old.len(), "{:?}", whole);
            prop_assert_eq!(blocks.first.as_slice(), &old[..old.len().min(BLOCK)]);
            let at = at.min(old.len());
            let end = (at + cut).min(old.len());
            let new = [&old[..at], &insert[..], &old[end..]].concat();
            let (prefix, suffix) = blocks.shared(&new);
            prop_assert_eq!(blocks.shared_with(&new, &Blocks::of(&new)), (prefix, suffix));
            let true_prefix = crate::base::common::prefix(&old, &new);
            let most = old.len().min(new.len()) - true_prefix;
            let true_suffix = crate::base::common::suffix(&old, &new, most);
            prop_assert!(prefix <= true_prefix && suffix <= true_suffix);
            prop_assert!(prefix + blocks.block > true_prefix.min(at));
            prop_assert!(suffix + blocks.block > true_suffix.min(old.len() - end));
        }
    }

    /// A text that is not the length given has no blocks.
    #[test]
    fn a_text_of_another_length_has_no_blocks() {
        let mut hashing = Hashing::new(10);
        hashing.feed(b"abc");
        assert!(hashing.finish().is_none());
    }
}
