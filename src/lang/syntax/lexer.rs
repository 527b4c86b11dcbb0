//! Tokens of the rule language: a hand-written lexer over the file text.
//!
//! The lexer never fails: lexical errors (unterminated strings and comments, stray characters,
//! numbers too large) are reported as diagnostics and lexing goes on. It also collects the
//! `//` comment lines directly above a token, which the parser keeps as a rule's doc lines.

use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{FileId, Span};

/// A `.word` directive keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Decl,
    Type,
    Input,
    Output,
    PrintSize,
    LimitSize,
    Pragma,
    Plan,
    Functor,
    Comp,
    Init,
    Override,
    NumberType,
    SymbolType,
    /// `.prefer`: superiority between defeasible rules (`lang::defeasible`).
    Prefer,
}

impl Dir {
    fn from_word(w: &str) -> Option<Dir> {
        Some(match w {
            "decl" => Dir::Decl,
            "type" => Dir::Type,
            "input" => Dir::Input,
            "output" => Dir::Output,
            "printsize" => Dir::PrintSize,
            "limitsize" => Dir::LimitSize,
            "pragma" => Dir::Pragma,
            "plan" => Dir::Plan,
            "functor" => Dir::Functor,
            "comp" => Dir::Comp,
            "init" => Dir::Init,
            "override" => Dir::Override,
            "number_type" => Dir::NumberType,
            "symbol_type" => Dir::SymbolType,
            "prefer" => Dir::Prefer,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier (its text is the token's span).
    Ident,
    /// `@name`, a user-defined functor (text includes the `@`).
    Functor,
    /// `.decl`, `.input`, ...
    Directive(Dir),
    /// An integer literal; `None` if it does not fit in 64 bits.
    Int(Option<u64>),
    /// A float literal or an unsigned literal such as `5u` (text is the span).
    Float,
    /// A string literal with escapes decoded.
    Str(String),
    /// A whole preprocessor line (`#include ...`).
    Preproc,
    Dot,
    Comma,
    Semi,
    Colon,
    /// `:-`
    If,
    /// `:~`, the arrow of a defeasible rule.
    IfDefeasible,
    /// `:~>`, the arrow of a defeater.
    IfDefeater,
    /// `~`, strong negation: `~backs(x, y)` is "reported not to hold".
    Tilde,
    /// `<:`
    Subtype,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    Bang,
    Dollar,
    Pipe,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: u32,
    pub end: u32,
    /// The first token on its line.
    pub line_start: bool,
    /// 1-based index into [`Lexed::docs`] of the comment lines directly above; 0 if none.
    pub doc: u32,
}

pub struct Lexed {
    /// Always ends with an [`Tok::Eof`] token.
    pub toks: Vec<Token>,
    pub docs: Vec<Vec<String>>,
    pub diags: Vec<Diagnostic>,
    /// Diagnostics not kept because there were already [`MAX_DIAGNOSTICS`].
    pub dropped: usize,
    /// Start offset of every lexical error, kept or dropped, ascending.
    pub error_offsets: Vec<u32>,
}

/// Lexical diagnostics kept per file.
const MAX_DIAGNOSTICS: usize = 1000;

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'?'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'?'
}

/// The operator or punctuation token that starts with byte `c` (followed by `next`), and its
/// length; `None` for a byte that starts no token.
fn punctuation(c: u8, next: u8) -> Option<(Tok, usize)> {
    Some(match (c, next) {
        (b':', b'-') => (Tok::If, 2),
        (b':', b'~') => (Tok::IfDefeasible, 2),
        (b'~', _) => (Tok::Tilde, 1),
        (b'<', b':') => (Tok::Subtype, 2),
        (b'<', b'=') => (Tok::Le, 2),
        (b'>', b'=') => (Tok::Ge, 2),
        (b'!', b'=') => (Tok::Ne, 2),
        (b',', _) => (Tok::Comma, 1),
        (b';', _) => (Tok::Semi, 1),
        (b':', _) => (Tok::Colon, 1),
        (b'(', _) => (Tok::LParen, 1),
        (b')', _) => (Tok::RParen, 1),
        (b'{', _) => (Tok::LBrace, 1),
        (b'}', _) => (Tok::RBrace, 1),
        (b'[', _) => (Tok::LBracket, 1),
        (b']', _) => (Tok::RBracket, 1),
        (b'=', _) => (Tok::Eq, 1),
        (b'<', _) => (Tok::Lt, 1),
        (b'>', _) => (Tok::Gt, 1),
        (b'+', _) => (Tok::Plus, 1),
        (b'-', _) => (Tok::Minus, 1),
        (b'*', _) => (Tok::Star, 1),
        (b'/', _) => (Tok::Slash, 1),
        (b'%', _) => (Tok::Percent, 1),
        (b'^', _) => (Tok::Caret, 1),
        (b'!', _) => (Tok::Bang, 1),
        (b'$', _) => (Tok::Dollar, 1),
        (b'|', _) => (Tok::Pipe, 1),
        _ => return None,
    })
}

struct Lexer<'a> {
    file: FileId,
    text: &'a str,
    b: &'a [u8],
    i: usize,
    toks: Vec<Token>,
    docs: Vec<Vec<String>>,
    diags: Vec<Diagnostic>,
    dropped: usize,
    error_offsets: Vec<u32>,
    /// Comment lines collected since the last token, if still eligible as doc lines.
    pending_doc: Vec<String>,
    /// Newlines seen since the last comment or token.
    newlines: u32,
    /// Whether the next token is the first on its line.
    at_line_start: bool,
}

/// Splits `text` into tokens.
/// Whether a preprocessor line that ends here goes on on the next line (ends with `\`).
pub(crate) fn continued(line: &[u8]) -> bool {
    let end = line.iter().rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'));
    end.is_some_and(|i| line[i] == b'\\')
}

pub fn lex(file: FileId, text: &str) -> Lexed {
    let mut lx = Lexer {
        file,
        text,
        b: text.as_bytes(),
        // A UTF-8 byte order mark (as some Windows editors write) is not part of the program.
        i: if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 },
        toks: Vec::with_capacity(text.len() / 3 + 1),
        docs: Vec::new(),
        diags: Vec::new(),
        dropped: 0,
        error_offsets: Vec::new(),
        pending_doc: Vec::new(),
        newlines: 0,
        at_line_start: true,
    };
    lx.run();
    let end = text.len() as u32;
    lx.toks.push(Token { tok: Tok::Eof, start: end, end, line_start: true, doc: 0 });
    Lexed { toks: lx.toks, docs: lx.docs, diags: lx.diags, dropped: lx.dropped, error_offsets: lx.error_offsets }
}

impl Lexer<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start..end)
    }

    fn report(&mut self, d: Diagnostic) {
        if let Some(l) = &d.primary {
            self.error_offsets.push(l.span.start);
        }
        if self.diags.len() < MAX_DIAGNOSTICS {
            self.diags.push(d);
        } else {
            self.dropped += 1;
        }
    }

    fn peek_at(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    fn push(&mut self, tok: Tok, start: usize) {
        let doc = if !self.pending_doc.is_empty() && self.newlines <= 1 {
            self.docs.push(std::mem::take(&mut self.pending_doc));
            self.docs.len() as u32
        } else {
            self.pending_doc.clear();
            0
        };
        self.toks.push(Token { tok, start: start as u32, end: self.i as u32, line_start: self.at_line_start, doc });
        self.at_line_start = false;
        self.newlines = 0;
    }

    fn run(&mut self) {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            let start = self.i;
            match c {
                b'\n' => {
                    self.i += 1;
                    self.newlines += 1;
                    self.at_line_start = true;
                }
                b' ' | b'\t' | b'\r' | 0x0c => self.i += 1,
                b'/' if self.peek_at(1) == b'/' => self.line_comment(),
                b'/' if self.peek_at(1) == b'*' => self.block_comment(),
                b'#' if self.at_line_start => {
                    // One directive line; a `\` at its end continues it on the next line.
                    while self.i < self.b.len() && (self.b[self.i] != b'\n' || continued(&self.b[..self.i])) {
                        self.i += 1;
                    }
                    self.push(Tok::Preproc, start);
                }
                b'"' => self.string(),
                b'0'..=b'9' => self.number(),
                b'.' => self.directive_or_dot(start),
                b'@' if self.b.get(self.i + 1).is_some_and(|&b| is_ident_start(b)) => {
                    self.i += 1;
                    while self.i < self.b.len() && is_ident_char(self.b[self.i]) {
                        self.i += 1;
                    }
                    self.push(Tok::Functor, start);
                }
                c if is_ident_start(c) => {
                    while self.i < self.b.len() && is_ident_char(self.b[self.i]) {
                        self.i += 1;
                    }
                    // A qualified relation name `inst.rel` (components) is one name, as in
                    // Soufflé: a `.` between two words with no space, unless the second word
                    // is a directive keyword (`a.decl` stays `a` then `.decl`).
                    while self.b.get(self.i) == Some(&b'.')
                        && self.b.get(self.i + 1).is_some_and(|&b| is_ident_start(b))
                    {
                        let word_start = self.i + 1;
                        let mut end = word_start;
                        while end < self.b.len() && is_ident_char(self.b[end]) {
                            end += 1;
                        }
                        if Dir::from_word(&self.text[word_start..end]).is_some() {
                            break;
                        }
                        self.i = end;
                    }
                    self.push(Tok::Ident, start);
                }
                // `:~>` is the one three-character token.
                b':' if self.peek_at(1) == b'~' && self.peek_at(2) == b'>' => {
                    self.i += 3;
                    self.push(Tok::IfDefeater, start);
                }
                _ => match punctuation(c, self.peek_at(1)) {
                    Some((tok, len)) => {
                        self.i += len;
                        self.push(tok, start);
                    }
                    None => self.stray(start),
                },
            }
        }
    }

    /// `.decl`, `.input`, ... as one directive token; any other `.` alone.
    fn directive_or_dot(&mut self, start: usize) {
        self.i += 1;
        let ws = self.i;
        while self.i < self.b.len() && is_ident_char(self.b[self.i]) {
            self.i += 1;
        }
        let dir = (self.i > ws && is_ident_start(self.b[ws])).then(|| Dir::from_word(&self.text[ws..self.i])).flatten();
        match dir {
            Some(d) => self.push(Tok::Directive(d), start),
            None => {
                self.i = ws;
                self.push(Tok::Dot, start);
            }
        }
    }

    /// A run of characters that cannot start any token: one error for the whole run.
    fn stray(&mut self, start: usize) {
        let is_stray = |s: &str| {
            let c = s.as_bytes()[0];
            !(c.is_ascii_whitespace()
                || is_ident_start(c)
                || c.is_ascii_digit()
                || b",;:(){}[]=<>+-*/%^!$|.\"@~".contains(&c))
        };
        while self.i < self.b.len() && is_stray(&self.text[self.i..]) {
            let ch = self.text[self.i..].chars().next().map_or(1, char::len_utf8);
            self.i += ch;
        }
        if self.i == start {
            // `@` not followed by a name, or `#` in the middle of a line.
            let ch = self.text[self.i..].chars().next().map_or(1, char::len_utf8);
            self.i += ch;
        }
        let what = &self.text[start..self.i];
        let shown: String = what.chars().take(20).collect();
        let msg = if what.chars().count() == 1 {
            format!("unexpected character `{}`", shown.escape_debug())
        } else {
            format!("unexpected characters `{}`", shown.escape_debug())
        };
        self.report(Diagnostic::error(Code::Syntax, msg).at(self.span(start, self.i), "not part of the rule language"));
        self.pending_doc.clear();
        self.at_line_start = false;
    }

    fn line_comment(&mut self) {
        let start = self.i;
        let own_line = self.at_line_start;
        while self.i < self.b.len() && self.b[self.i] != b'\n' {
            self.i += 1;
        }
        if !own_line || self.newlines > 1 {
            self.pending_doc.clear();
        }
        if own_line {
            let body = &self.text[start + 2..self.i];
            let body = body.strip_prefix(' ').unwrap_or(body);
            self.pending_doc.push(body.trim_end_matches('\r').to_string());
        }
        self.newlines = 0;
    }

    fn block_comment(&mut self) {
        let start = self.i;
        self.i += 2;
        loop {
            if self.i >= self.b.len() {
                self.report(
                    Diagnostic::error(Code::Syntax, "unterminated block comment")
                        .at(self.span(start, start + 2), "this comment is never closed")
                        .with_help("close the comment with `*/`"),
                );
                break;
            }
            if self.b[self.i] == b'*' && self.peek_at(1) == b'/' {
                self.i += 2;
                break;
            }
            if self.b[self.i] == b'\n' {
                self.at_line_start = true;
            }
            self.i += 1;
        }
        self.pending_doc.clear();
        self.newlines = 0;
    }

    fn string(&mut self) {
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        let mut seg = self.i;
        loop {
            let Some(&c) = self.b.get(self.i) else {
                self.unterminated_string(start);
                break;
            };
            match c {
                b'"' => {
                    out.push_str(&self.text[seg..self.i]);
                    self.i += 1;
                    break;
                }
                b'\n' => {
                    self.unterminated_string(start);
                    break;
                }
                b'\\' => {
                    out.push_str(&self.text[seg..self.i]);
                    let esc = self.peek_at(1);
                    let decoded = match esc {
                        b'"' => Some('"'),
                        b'\\' => Some('\\'),
                        b'n' => Some('\n'),
                        b't' => Some('\t'),
                        b'r' => Some('\r'),
                        b'\'' => Some('\''),
                        _ => None,
                    };
                    match decoded {
                        Some(ch) => {
                            out.push(ch);
                            self.i += 2;
                            seg = self.i;
                        }
                        None => {
                            // Unknown escape: keep the backslash as written.
                            seg = self.i;
                            self.i += 1;
                        }
                    }
                }
                _ => self.i += 1,
            }
        }
        self.push(Tok::Str(out), start);
    }

    fn unterminated_string(&mut self, start: usize) {
        self.report(
            Diagnostic::error(Code::Syntax, "unterminated string")
                .at(self.span(start, start + 1), "this string is never closed")
                .with_help("strings end with `\"` on the same line"),
        );
    }

    fn number(&mut self) {
        let start = self.i;
        let radix = match (self.b[self.i], self.peek_at(1) | 0x20) {
            (b'0', b'x') if self.peek_at(2).is_ascii_hexdigit() => 16,
            (b'0', b'b') if matches!(self.peek_at(2), b'0' | b'1') => 2,
            _ => 10,
        };
        if radix != 10 {
            self.i += 2;
        }
        let digits_start = self.i;
        while self.i < self.b.len() && (self.b[self.i] as char).is_digit(radix) {
            self.i += 1;
        }
        let digits_end = self.i;
        if radix == 10 && self.peek_at(0) == b'.' && self.peek_at(1).is_ascii_digit() {
            self.i += 1;
            while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                self.i += 1;
            }
            if (self.peek_at(0) | 0x20) == b'e'
                && (self.peek_at(1).is_ascii_digit()
                    || (matches!(self.peek_at(1), b'+' | b'-') && self.peek_at(2).is_ascii_digit()))
            {
                self.i += 2;
                while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                    self.i += 1;
                }
            }
            self.push(Tok::Float, start);
            return;
        }
        if self.peek_at(0) == b'u' && !is_ident_char(self.peek_at(1)) {
            self.i += 1;
            self.push(Tok::Float, start);
            return;
        }
        let value = u64::from_str_radix(&self.text[digits_start..digits_end], radix).ok();
        self.push(Tok::Int(value), start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Tok> {
        lex(FileId(0), text).toks.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn directives_and_dots() {
        assert_eq!(
            kinds("p(x).q(y).\n.decl"),
            vec![
                Tok::Ident,
                Tok::LParen,
                Tok::Ident,
                Tok::RParen,
                Tok::Dot,
                Tok::Ident,
                Tok::LParen,
                Tok::Ident,
                Tok::RParen,
                Tok::Dot,
                Tok::Directive(Dir::Decl),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("12 0x1F 0b101 1.5 5u 99999999999999999999 1."),
            vec![
                Tok::Int(Some(12)),
                Tok::Int(Some(31)),
                Tok::Int(Some(5)),
                Tok::Float,
                Tok::Float,
                Tok::Int(None),
                Tok::Int(Some(1)),
                Tok::Dot,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn strings_and_operators() {
        assert_eq!(
            kinds(r#""a\"b\\c\nd" :- <: <= != ! $ @f"#),
            vec![
                Tok::Str("a\"b\\c\nd".into()),
                Tok::If,
                Tok::Subtype,
                Tok::Le,
                Tok::Ne,
                Tok::Bang,
                Tok::Dollar,
                Tok::Functor,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn doc_comments() {
        let l = lex(FileId(0), "// a\n// b\np(1).\n// c\n\nq(1). // d\nr(1).");
        assert_eq!(l.docs, vec![vec!["a".to_string(), "b".to_string()]]);
        assert_eq!(l.toks[0].doc, 1);
        assert!(l.toks.iter().skip(1).all(|t| t.doc == 0));
    }

    #[test]
    fn lexical_errors() {
        let l = lex(FileId(0), "p(\"abc\n/* x");
        assert_eq!(l.diags.len(), 2);
        assert_eq!(l.diags[0].primary.as_ref().unwrap().span.range(), 2..3);
        assert_eq!(l.diags[1].primary.as_ref().unwrap().span.range(), 7..9);
        let l = lex(FileId(0), "p(\0\0\0).");
        assert_eq!(l.diags.len(), 1);
    }
}
