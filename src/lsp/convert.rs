//! Between the protocol's terms and stance's: `file://` URIs and paths, positions (line and
//! UTF-16 column, as the protocol counts by default) and byte offsets, and diagnostics.
//! Every conversion clamps instead of failing: a position past the end of a half-written
//! line or file means the end.

use crate::base::diag::{Diagnostic, Severity};
use crate::base::source::{SourceMap, Span};
use lsp_types as lsp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `file://` URI of an absolute path (bytes outside the unreserved set percent-encoded).
pub fn uri(path: &Path) -> Option<lsp::Uri> {
    let s = path.to_str()?;
    let mut out = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.parse().ok()
}

/// The path of a `file://` URI; `None` for other schemes.
pub fn path(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// Line starts of a text, for offset ↔ position conversions.
pub struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    /// The line starts of `text`.
    pub fn new(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts }
    }

    /// The byte offset of a position, clamped to the line's end and the text's end, and
    /// never inside a character.
    pub fn offset(&self, pos: lsp::Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else { return self.text.len() };
        let end = self.starts.get(pos.line as usize + 1).map_or(self.text.len(), |&e| e - 1);
        let line = &self.text[start..end];
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        end
    }

    /// The position of a byte offset (clamped to the text).
    pub fn position(&self, offset: usize) -> lsp::Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character = self.text[start..offset].chars().map(|c| c.len_utf16() as u32).sum();
        lsp::Position { line: line as u32, character }
    }

    /// The range of a byte range.
    pub fn range(&self, start: usize, end: usize) -> lsp::Range {
        lsp::Range { start: self.position(start), end: self.position(end) }
    }
}

/// A fix as the code action handler gets it back in a diagnostic's `data`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FixData {
    /// The code action's title.
    pub title: String,
    /// The edits, by document.
    pub edits: Vec<(lsp::Uri, lsp::TextEdit)>,
}

/// Protocol diagnostics by file URI. The map is keyed by path so the order is stable. A
/// diagnostic without a location is shown at the top of `fallback` (the first rule file).
pub fn diagnostics(
    diags: &[Diagnostic],
    sources: &SourceMap,
    fallback: Option<&Path>,
) -> BTreeMap<PathBuf, Vec<lsp::Diagnostic>> {
    let mut lines: BTreeMap<u32, Lines> = BTreeMap::new();
    let mut out: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
    let mut locate = |span: Span| -> Option<(PathBuf, lsp::Uri, lsp::Range)> {
        let file = sources.get(span.file);
        let path = PathBuf::from(&file.name);
        let uri = uri(&path)?;
        let l = lines.entry(span.file.0).or_insert_with(|| Lines::new(&file.text));
        Some((path, uri, l.range(span.start as usize, span.end as usize)))
    };
    for d in diags {
        let (path, range) = match &d.primary {
            Some(p) => match locate(p.span) {
                Some((path, _, range)) => (path, range),
                None => continue,
            },
            None => match fallback {
                Some(f) => (f.to_path_buf(), lsp::Range::default()),
                None => continue,
            },
        };
        let mut message = d.message.clone();
        for note in &d.notes {
            message.push_str(&format!("\nnote: {note}"));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = d
            .secondary
            .iter()
            .filter_map(|l| {
                let (_, uri, range) = locate(l.span)?;
                Some(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location { uri, range },
                    message: l.message.clone(),
                })
            })
            .collect();
        let fixes: Vec<FixData> = d
            .fixes
            .iter()
            .filter_map(|f| {
                let edits = f
                    .edits
                    .iter()
                    .map(|e| {
                        let (_, uri, range) = locate(e.span)?;
                        Some((uri, lsp::TextEdit { range, new_text: e.text.clone() }))
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(FixData { title: f.title.clone(), edits })
            })
            .collect();
        out.entry(path).or_default().push(lsp::Diagnostic {
            range,
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            }),
            code: Some(lsp::NumberOrString::String(d.code.id().to_string())),
            source: Some("stance".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            data: (!fixes.is_empty()).then(|| serde_json::to_value(&fixes).unwrap_or_default()),
            ..Default::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_and_clamp() {
        let text = "ab\n\u{1F600}x\n";
        let l = Lines::new(text);
        assert_eq!(l.offset(lsp::Position { line: 1, character: 2 }), 7);
        assert_eq!(l.offset(lsp::Position { line: 1, character: 1 }), 7, "inside a surrogate pair: after it");
        assert_eq!(l.offset(lsp::Position { line: 0, character: 99 }), 2);
        assert_eq!(l.offset(lsp::Position { line: 9, character: 0 }), text.len());
        assert_eq!(l.position(7), lsp::Position { line: 1, character: 2 });
        assert_eq!(l.position(5), lsp::Position { line: 1, character: 0 }, "inside a character: its start");
    }

    #[test]
    fn uris_round_trip() {
        let p = Path::new("/tmp/a b/ü.dl");
        let u = uri(p).unwrap();
        assert_eq!(u.as_str(), "file:///tmp/a%20b/%C3%BC.dl");
        assert_eq!(path(&u).unwrap(), p);
    }
}
