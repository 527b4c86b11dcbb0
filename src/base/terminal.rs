//! The terminal edge: text from rule files and fact tables never reaches a terminal with its
//! control characters live. A quote containing `ESC[2K\r` would otherwise erase the line it is
//! printed on and show other "evidence"; a right-to-left override would reorder what is read.
//!
//! [`escape`] is the one escaping function. It is applied where text leaves for a person:
//! standard output of the human formats (tables, proofs, verdicts, diffs) through
//! [`Terminal`], and rendered diagnostics (`diag::render_rich`, `diag::render_short`). It is
//! not applied to files (`--output-dir`, `-o`), to JSON (serde escapes control characters
//! itself) or to XML; CSV on standard output is escaped only when standard output is a
//! terminal, so that a redirected or piped CSV keeps its exact bytes.
//!
//! Line feeds and tabs are layout and pass through; every other C0 control, DEL, the C1
//! controls (U+0080 to U+009F, which some terminals read as `ESC [`) and the bidirectional
//! overrides and isolates are shown as `\u{1b}`-style escapes (`\r` as `\r`).

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether a byte may start something [`escape`] changes: a C0 control, DEL, 0xC2 (the C1
/// controls), 0xE2 (the bidirectional controls), or a byte never valid in UTF-8. Bytes that
/// are none of these pass through untouched, a fast path for the usual text.
fn suspect(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\t') || matches!(b, 0x7f | 0xc0 | 0xc1 | 0xc2 | 0xe2 | 0xf5..=0xff)
}

/// `text` with its control characters escaped (borrowed when there is none).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(suspect) || !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A JSON text with every character [`escape`] would change written as a `\uXXXX` escape:
/// the same JSON value, safe on a terminal. serde escapes the C0 controls in strings itself
/// but leaves DEL, the C1 controls and the bidirectional controls raw; outside strings JSON
/// has none of them (`stance serve`, whose answers may well be read on a terminal).
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.bytes().any(suspect) || !json.chars().any(needs_escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        match c {
            // Every character `needs_escape` picks is in the Basic Multilingual Plane.
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// What a command writes on standard output, which decides whether it is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// For people (tables, proofs, verdicts): always escaped, piped or not.
    Text,
    /// CSV: escaped only when standard output is a terminal.
    Csv,
    /// JSON, XML, DOT, HTML: never escaped (each format quotes for itself).
    Data,
}

/// Buffered, locked standard output, escaped as `shape` asks.
pub fn stdout(shape: Shape) -> Terminal<std::io::StdoutLock<'static>> {
    let out = std::io::stdout().lock();
    let escaping = match shape {
        Shape::Text => true,
        Shape::Csv => out.is_terminal(),
        Shape::Data => false,
    };
    Terminal::new(out, escaping)
}

/// A writer that escapes what passes through it (when `escaping`), keeping back an
/// incomplete UTF-8 sequence at the end of a write until the next one completes it.
pub struct Terminal<W: Write> {
    inner: std::io::BufWriter<W>,
    escaping: bool,
    pending: Vec<u8>,
}

impl<W: Write> Terminal<W> {
    /// A writer into `inner`, escaping only when `escaping`.
    pub fn new(inner: W, escaping: bool) -> Terminal<W> {
        Terminal { inner: std::io::BufWriter::new(inner), escaping, pending: Vec::new() }
    }

    /// Escapes and writes the complete characters of `pending`; `end`: the stream ends, so
    /// an incomplete sequence left is written as escaped bytes too.
    fn drain(&mut self, end: bool) -> std::io::Result<()> {
        let mut rest: &[u8] = &self.pending;
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.inner.write_all(escape(text).as_bytes())?;
                    rest = &[];
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // Checked valid just above.
                    self.inner.write_all(escape(std::str::from_utf8(valid).unwrap_or_default()).as_bytes())?;
                    let bad = match e.error_len() {
                        Some(n) => n,
                        None if end => after.len(),
                        None => break,
                    };
                    for b in &after[..bad] {
                        write!(self.inner, "\\x{b:02x}")?;
                    }
                    rest = &after[bad..];
                }
            }
        }
        let left = rest.len();
        let start = self.pending.len() - left;
        self.pending.drain(..start);
        Ok(())
    }
}

impl<W: Write> Write for Terminal<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.escaping || (self.pending.is_empty() && !buf.iter().copied().any(suspect)) {
            return self.inner.write(buf);
        }
        self.pending.extend_from_slice(buf);
        self.drain(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for Terminal<W> {
    fn drop(&mut self) {
        if self.escaping && !self.pending.is_empty() {
            let _ = self.drain(true);
        }
    }
}

/// A colour writer that escapes the text written through it but not its colour codes (which
/// `set_color` writes to the writer underneath), for rendered diagnostics.
pub struct EscapeColor<C>(pub C);

impl<C: Write> Write for EscapeColor<C> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Diagnostics are rendered from `str`s, written whole.
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(escape(text).as_bytes()),
            Err(_) => self.0.write_all(escape(&String::from_utf8_lossy(buf)).as_bytes()),
        }?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<C: termcolor::WriteColor> termcolor::WriteColor for EscapeColor<C> {
    fn supports_color(&self) -> bool {
        self.0.supports_color()
    }

    fn set_color(&mut self, spec: &termcolor::ColorSpec) -> std::io::Result<()> {
        self.0.set_color(spec)
    }

    fn reset(&mut self) -> std::io::Result<()> {
        self.0.reset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON text keeps its value and loses its raw controls (serde's own escape of ESC,
    /// then DEL, a C1 control and a right-to-left override escaped here).
    #[test]
    fn json_keeps_its_value_and_loses_its_controls() {
        let value = serde_json::json!(["a\u{1b}[2K", "\u{7f}\u{9b}31m", "\u{202e}x", "é “q”"]);
        let text = value.to_string();
        let safe = escape_json(&text);
        assert_eq!(safe, r#"["a\u001b[2K","\u007f\u009b31m","\u202ex","é “q”"]"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), value);
        assert!(matches!(escape_json(r#"{"a":"é"}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(escape("plain “quote”\tand\nlines"), "plain “quote”\tand\nlines");
        assert_eq!(escape("a\u{1b}[2K\rfake"), "a\\u{1b}[2K\\rfake");
        assert_eq!(escape("\u{9b}2K \u{202e}txt.exe \u{7f}\u{0}"), "\\u{9b}2K \\u{202e}txt.exe \\u{7f}\\u{0}");
    }

    #[test]
    fn a_character_split_across_writes_is_kept_whole() {
        let mut buf = Vec::new();
        {
            let mut t = Terminal::new(&mut buf, true);
            let bytes = "é\u{1b}\u{9b}".as_bytes();
            for b in bytes {
                t.write_all(std::slice::from_ref(b)).unwrap();
            }
            t.write_all(b"\xff\n").unwrap();
            t.flush().unwrap();
        }
        assert_eq!(String::from_utf8(buf).unwrap(), "é\\u{1b}\\u{9b}\\xff\n");
    }
}
