//! The C preprocessor lines that Soufflé programs use.
//!
//! Soufflé passes every program through a C preprocessor (mcpp), and public programs rely on
//! it: `#include` splits a program into files, `#define` names constants and small macros,
//! `#ifdef` selects variants. stance does not run an external `cpp`, because rule files may
//! come from someone else and nothing they say may run or read outside the project. It
//! implements, in Rust, the part of the C preprocessor those programs use:
//! - `#include "file"`: another rule file, resolved against the including file's directory
//!   and confined to the project (by the [`Include`] the caller gives); each file is read
//!   once, as if every file had an include guard;
//! - `#define NAME text`, `#define NAME(a, b) text` and `#undef NAME`; a use is replaced and
//!   the replacement scanned again, a macro never expanding inside itself (C's rule);
//! - `#ifdef`, `#ifndef`, `#if` and `#elif` (integer expressions with `defined`), `#else`,
//!   `#endif`;
//! - `#error text` stops with that text; `#pragma`, `#line` and `#` alone are ignored.
//!
//! Not implemented: `#` (stringizing) and `##` (pasting) in macro bodies, and `<...>` system
//! includes. Those are refused or left as written, never silently misread.
//!
//! The output keeps every line where it was, so that each diagnostic names the line the user
//! wrote: directive lines stay (the parser reads them as nothing), lines in a branch not
//! taken become blank, and a macro use is replaced on its own line (a call spread over
//! several lines keeps its line breaks after the replacement).

use std::collections::HashMap;
use std::ops::Range;

use super::lexer::{Tok, Token, lex};
use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{FileId, Span};

/// A `#define`: its parameters (`None` for an object-like macro) and its replacement text.
#[derive(Debug, Clone, PartialEq)]
struct Macro {
    params: Option<Vec<String>>,
    body: String,
}

/// The macros defined so far, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Macros(HashMap<String, Macro>);

impl Macros {
    /// The definitions in `self` that `before` did not have (or had otherwise): what a file
    /// defined, for a later `#include` of it.
    pub fn defined_since(&self, before: &Macros) -> Macros {
        Macros(
            self.0.iter().filter(|(k, v)| before.0.get(*k) != Some(v)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        )
    }

    /// Adds `other`'s definitions (an included file's), replacing same-named ones.
    pub fn extend(&mut self, other: &Macros) {
        self.0.extend(other.0.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

/// Where `#include` finds files.
pub trait Include {
    /// Reads the rule file written `written` in `#include "written"` (the directive at
    /// `span`), expands it with `macros` (whose definitions then include its own) and keeps
    /// its rules; the diagnostics of doing so.
    fn include(&mut self, written: &str, span: Span, macros: &mut Macros) -> Vec<Diagnostic>;
}

/// No files to include: for a program given as one text (standard input of a test, a fuzz
/// input), `#include` is an error.
pub struct NoIncludes;

impl Include for NoIncludes {
    fn include(&mut self, written: &str, span: Span, _: &mut Macros) -> Vec<Diagnostic> {
        vec![
            Diagnostic::error(Code::Preprocessor, format!("cannot include `{written}` here"))
                .at(span, "no rule directory to include from")
                .with_help("give the rules as files (`--rules DIR`), not as one text"),
        ]
    }
}

/// A file after preprocessing: its new text (`None` when nothing changed) and diagnostics.
pub struct Expanded {
    /// The text to parse; same lines as the input.
    pub text: Option<String>,
    /// Errors in directives and macro uses, at the text as written.
    pub diags: Vec<Diagnostic>,
}

/// How deep a replacement may contain uses of further macros.
const MAX_NESTING: usize = 64;

/// Bytes a file may grow to by expansion: enough for any real use, but a rule file that
/// defines macros doubling each other (`#define B A A`, `#define C B B`, …) stops here with
/// an error instead of filling the memory.
fn size_limit(input: usize) -> usize {
    input.saturating_mul(16).saturating_add(1 << 20)
}

/// Whether any line of `text` starts (after blanks) with `#`: only then is there work.
fn has_directive(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with('#'))
}

/// Preprocesses rule file `file` with text `text`, starting from `macros` (which ends up with
/// the definitions the file leaves behind); `includes` reads included files.
pub fn expand(file: FileId, text: &str, macros: &mut Macros, includes: &mut dyn Include) -> Expanded {
    if macros.0.is_empty() && !has_directive(text) {
        return Expanded { text: None, diags: Vec::new() };
    }
    let lexed = lex(file, text);
    let mut st =
        State { file, text, out: String::with_capacity(text.len()), copied: 0, conds: Vec::new(), diags: Vec::new() };
    let toks = &lexed.toks;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let range = t.start as usize..t.end as usize;
        match t.tok {
            Tok::Eof => break,
            Tok::Preproc => st.directive(range, macros, includes),
            _ if !st.active() => st.blank(range),
            Tok::Ident if macros.0.contains_key(&text[range.clone()]) => {
                let budget = size_limit(text.len()).saturating_sub(st.out.len());
                match use_of(text, toks, i, macros, &mut Expansion { active: Vec::new(), budget }, 0) {
                    Ok(Some((replacement, next))) => {
                        let end = toks[next - 1].end as usize;
                        st.replace(range.start..end, &replacement);
                        if st.out.len() > size_limit(text.len()) {
                            st.error(range, Trouble::TooLarge);
                            break;
                        }
                        i = next;
                        continue;
                    }
                    Ok(None) => {}
                    Err(trouble) => st.error(range, trouble),
                }
            }
            _ => {}
        }
        i += 1;
    }
    for open in std::mem::take(&mut st.conds) {
        st.diags.push(
            Diagnostic::error(Code::Preprocessor, "this conditional has no `#endif`")
                .at(Span::new(file, open.at), "opened here"),
        );
    }
    st.out.push_str(&text[st.copied..]);
    Expanded { text: Some(st.out), diags: st.diags }
}

/// One `#if`/`#ifdef` being read.
struct Cond {
    /// Whether the enclosing text is being kept.
    parent: bool,
    /// Whether the current branch is kept.
    active: bool,
    /// Whether some branch was kept already (later `#elif`/`#else` are not).
    taken: bool,
    /// Whether `#else` was seen.
    seen_else: bool,
    /// The opening directive.
    at: Range<usize>,
}

struct State<'t> {
    file: FileId,
    text: &'t str,
    out: String,
    /// Bytes of `text` handled so far (copied, blanked or replaced).
    copied: usize,
    conds: Vec<Cond>,
    diags: Vec<Diagnostic>,
}

/// What went wrong with a macro use or a directive.
enum Trouble {
    Arguments { name: String, expected: usize, found: usize },
    Unclosed(String),
    TooDeep(String),
    TooLarge,
}

impl State<'_> {
    fn active(&self) -> bool {
        self.conds.last().is_none_or(|c| c.active)
    }

    fn span(&self, range: Range<usize>) -> Span {
        Span::new(self.file, range)
    }

    /// Replaces `range` of the text with `with`, keeping the line breaks it covered.
    fn replace(&mut self, range: Range<usize>, with: &str) {
        self.out.push_str(&self.text[self.copied..range.start]);
        self.out.push_str(with);
        self.out.extend(self.text[range.clone()].matches('\n').map(|_| '\n'));
        self.copied = range.end;
    }

    /// Blanks `range` (a token in a branch not taken), keeping its line breaks.
    fn blank(&mut self, range: Range<usize>) {
        self.out.push_str(&self.text[self.copied..range.start]);
        self.out.extend(self.text[range.clone()].chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
        self.copied = range.end;
    }

    fn error(&mut self, range: Range<usize>, trouble: Trouble) {
        let d = match trouble {
            Trouble::Arguments { name, expected, found } => Diagnostic::error(
                Code::Preprocessor,
                format!("macro `{name}` takes {expected} argument{}, {found} given", plural(expected)),
            )
            .at(self.span(range), "this use"),
            Trouble::Unclosed(name) => {
                Diagnostic::error(Code::Preprocessor, format!("use of macro `{name}` has no `)`"))
                    .at(self.span(range), "arguments not closed")
            }
            Trouble::TooDeep(name) => Diagnostic::error(
                Code::Preprocessor,
                format!("macro `{name}` expands to uses of macros nested more than {MAX_NESTING} deep"),
            )
            .at(self.span(range), "this use"),
            Trouble::TooLarge => Diagnostic::error(
                Code::Preprocessor,
                format!("macros make this file larger than {} bytes", size_limit(self.text.len())),
            )
            .at(self.span(range), "expansion stopped here")
            .with_note("a limit, so that a rule file cannot fill the memory with macros that double each other"),
        };
        self.diags.push(d);
    }

    fn directive(&mut self, range: Range<usize>, macros: &mut Macros, includes: &mut dyn Include) {
        let line = directive_text(&self.text[range.clone()]);
        let body = line.trim_start_matches('#').trim_start();
        let name_len = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(body.len());
        let (name, rest) = (&body[..name_len], body[name_len..].trim());
        let span = self.span(range.clone());
        let active = self.active();
        match name {
            "ifdef" | "ifndef" => {
                let defined = macros.0.contains_key(first_word(rest));
                let keep = active && defined == (name == "ifdef");
                self.conds.push(Cond { parent: active, active: keep, taken: keep, seen_else: false, at: range });
            }
            "if" => {
                let keep = active && self.condition(rest, macros, span);
                self.conds.push(Cond { parent: active, active: keep, taken: keep, seen_else: false, at: range });
            }
            "elif" | "else" => {
                let Some(top) = self.conds.last() else {
                    return self.misplaced(name, span);
                };
                if top.seen_else {
                    return self.misplaced(name, span);
                }
                let (parent, taken) = (top.parent, top.taken);
                let keep = parent && !taken && (name == "else" || self.condition(rest, macros, span));
                let top = self.conds.last_mut().expect("checked above");
                top.active = keep;
                top.taken |= keep;
                top.seen_else = name == "else";
            }
            "endif" => {
                if self.conds.pop().is_none() {
                    self.misplaced(name, span);
                }
            }
            _ if !active => {}
            "define" => self.define(rest, macros, span),
            "undef" => {
                macros.0.remove(first_word(rest));
            }
            "include" => self.include(rest, macros, includes, span),
            "error" => self
                .diags
                .push(Diagnostic::error(Code::Preprocessor, format!("#error {rest}")).at(span, "stopped by `#error`")),
            "pragma" | "line" | "" => {}
            _ => self.diags.push(
                Diagnostic::error(Code::Preprocessor, format!("unknown preprocessor directive `#{name}`"))
                    .at(span, "not a directive stance knows")
                    .with_help(
                        "stance reads #include, #define, #undef, #if, #ifdef, #ifndef, #elif, #else, #endif, #error",
                    ),
            ),
        }
    }

    fn misplaced(&mut self, name: &str, span: Span) {
        self.diags.push(
            Diagnostic::error(Code::Preprocessor, format!("`#{name}` without a matching `#if`"))
                .at(span, "nothing to close here"),
        );
    }

    fn define(&mut self, rest: &str, macros: &mut Macros, span: Span) {
        let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let name = &rest[..name_len];
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            self.diags
                .push(Diagnostic::error(Code::Preprocessor, "`#define` needs a macro name").at(span, "no name here"));
            return;
        }
        let after = &rest[name_len..];
        // `NAME(` with no space is a function-like macro, as in C.
        let (params, body) = match after.strip_prefix('(') {
            Some(list) => {
                let Some(close) = list.find(')') else {
                    self.diags.push(
                        Diagnostic::error(Code::Preprocessor, format!("the parameters of `{name}` have no `)`"))
                            .at(span, "parameter list not closed"),
                    );
                    return;
                };
                let params: Vec<String> =
                    list[..close].split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
                (Some(params), list[close + 1..].trim())
            }
            None => (None, after.trim()),
        };
        macros.0.insert(name.to_string(), Macro { params, body: body.to_string() });
    }

    fn include(&mut self, rest: &str, macros: &mut Macros, includes: &mut dyn Include, span: Span) {
        match rest.strip_prefix('"').and_then(|r| r.split_once('"')) {
            Some((written, _)) if !written.is_empty() => {
                let diags = includes.include(written, span, macros);
                self.diags.extend(diags);
            }
            _ => self.diags.push(
                Diagnostic::error(Code::Preprocessor, "`#include` needs a file name in double quotes")
                    .at(span, "as in `#include \"types.dl\"`")
                    .with_note("system includes (`<file>`) are not read: a rule file reads only the project's files"),
            ),
        }
    }

    /// The value of an `#if` expression, with errors reported at `span` (then false).
    fn condition(&mut self, expr: &str, macros: &Macros, span: Span) -> bool {
        let replaced = replace_defined(expr, macros);
        let mut ex = Expansion { active: Vec::new(), budget: size_limit(expr.len()) };
        let expanded = match rescan(&replaced, macros, &mut ex, 0) {
            Ok(e) => e,
            Err(_) => replaced,
        };
        match IfExpr::new(&expanded).and_then(|mut e| e.value()) {
            Ok(v) => v != 0,
            Err(why) => {
                self.diags.push(
                    Diagnostic::error(Code::Preprocessor, format!("cannot evaluate this `#if`: {why}"))
                        .at(span, "condition"),
                );
                false
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn first_word(s: &str) -> &str {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or("")
}

/// A directive's text on one line: continuation lines joined, comments removed.
fn directive_text(raw: &str) -> String {
    let joined = raw.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut out = String::with_capacity(joined.len());
    let mut chars = joined.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => in_string = !in_string,
            '\\' if in_string => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
                continue;
            }
            '/' if !in_string && chars.peek() == Some(&'/') => break,
            '/' if !in_string && chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
                out.push(' ');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

/// One macro use being expanded: the macros inside whose replacement we are (which do not
/// expand again), and how many bytes a replacement may still have.
struct Expansion {
    active: Vec<String>,
    budget: usize,
}

/// The replacement of the macro use at token `i` of `src` (tokens `toks`) and the index of
/// the token after the use; `None` when it is not a use (a function-like macro's name not
/// followed by `(`, or a macro being expanded already).
fn use_of(
    src: &str,
    toks: &[Token],
    i: usize,
    macros: &Macros,
    ex: &mut Expansion,
    depth: usize,
) -> Result<Option<(String, usize)>, Trouble> {
    let name = &src[toks[i].start as usize..toks[i].end as usize];
    let Some(m) = macros.0.get(name) else { return Ok(None) };
    if ex.active.iter().any(|a| a == name) {
        return Ok(None);
    }
    if depth > MAX_NESTING {
        return Err(Trouble::TooDeep(name.to_string()));
    }
    let (body, next) = match &m.params {
        None => (m.body.clone(), i + 1),
        Some(params) => {
            if toks.get(i + 1).map(|t| &t.tok) != Some(&Tok::LParen) {
                return Ok(None);
            }
            let (args, next) = arguments(src, toks, i + 1).ok_or_else(|| Trouble::Unclosed(name.to_string()))?;
            let args: Vec<String> =
                if params.is_empty() && args.len() == 1 && args[0].is_empty() { vec![] } else { args };
            if args.len() != params.len() {
                return Err(Trouble::Arguments { name: name.to_string(), expected: params.len(), found: args.len() });
            }
            // Arguments are expanded before they are put in, as in C.
            let args: Vec<String> = args.iter().map(|a| rescan(a, macros, ex, depth + 1)).collect::<Result<_, _>>()?;
            (substitute(&m.body, params, &args), next)
        }
    };
    ex.active.push(name.to_string());
    let expanded = rescan(&body, macros, ex, depth + 1);
    ex.active.pop();
    Ok(Some((expanded?, next)))
}

/// The arguments of a call whose `(` is token `open`, as text, and the index after its `)`.
fn arguments(src: &str, toks: &[Token], open: usize) -> Option<(Vec<String>, usize)> {
    let mut depth = 0usize;
    let mut args = Vec::new();
    let mut start = toks[open].end as usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.tok {
            Tok::LParen => depth += 1,
            Tok::RParen => {
                depth -= 1;
                if depth == 0 {
                    args.push(src[start..t.start as usize].trim().to_string());
                    return Some((args, j + 1));
                }
            }
            Tok::Comma if depth == 1 => {
                args.push(src[start..t.start as usize].trim().to_string());
                start = t.end as usize;
            }
            Tok::Eof | Tok::Preproc => return None,
            _ => {}
        }
    }
    None
}

/// `body` with each parameter name replaced by its argument.
fn substitute(body: &str, params: &[String], args: &[String]) -> String {
    let lexed = lex(FileId::default(), body);
    let mut out = String::with_capacity(body.len());
    let mut copied = 0;
    for t in &lexed.toks {
        let (s, e) = (t.start as usize, t.end as usize);
        if t.tok == Tok::Ident
            && let Some(k) = params.iter().position(|p| *p == body[s..e])
        {
            out.push_str(&body[copied..s]);
            out.push_str(&args[k]);
            copied = e;
        }
    }
    out.push_str(&body[copied..]);
    out
}

/// `text` with every macro use in it expanded (those being expanded excepted).
fn rescan(text: &str, macros: &Macros, ex: &mut Expansion, depth: usize) -> Result<String, Trouble> {
    if depth > MAX_NESTING {
        return Err(Trouble::TooDeep(ex.active.last().cloned().unwrap_or_default()));
    }
    let lexed = lex(FileId::default(), text);
    let toks = &lexed.toks;
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i) = (0, 0);
    while i < toks.len() {
        let t = &toks[i];
        if t.tok == Tok::Ident
            && let Some((replacement, next)) = use_of(text, toks, i, macros, ex, depth)?
        {
            out.push_str(&text[copied..t.start as usize]);
            out.push_str(&replacement);
            if out.len() > ex.budget {
                return Err(Trouble::TooLarge);
            }
            copied = toks[next - 1].end as usize;
            i = next;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

/// `expr` with `defined NAME` and `defined(NAME)` replaced by `1` or `0`, before macros are
/// expanded (C's order).
fn replace_defined(expr: &str, macros: &Macros) -> String {
    let mut out = String::new();
    let mut rest = expr;
    while let Some(at) = find_word(rest, "defined") {
        out.push_str(&rest[..at]);
        let after = rest[at + "defined".len()..].trim_start();
        let (inner, tail) = match after.strip_prefix('(') {
            Some(r) => match r.split_once(')') {
                Some((name, tail)) => (name.trim(), tail),
                None => (r.trim(), ""),
            },
            None => {
                let w = first_word(after);
                (w, &after[w.len()..])
            }
        };
        out.push_str(if macros.0.contains_key(inner) { " 1 " } else { " 0 " });
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The offset of `word` in `s` as a whole word.
fn find_word(s: &str, word: &str) -> Option<usize> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    s.match_indices(word)
        .map(|(i, _)| i)
        .find(|&i| !s[..i].ends_with(is_word) && !s[i + word.len()..].starts_with(is_word))
}

/// An `#if` expression after macro expansion: C's integer operators over 64-bit numbers;
/// a name left over is 0, as in C.
struct IfExpr {
    toks: Vec<String>,
    pos: usize,
}

impl IfExpr {
    fn new(text: &str) -> Result<IfExpr, String> {
        let mut toks = Vec::new();
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            if !c.is_ascii() {
                let ch = text[start..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
                return Err(format!("unexpected `{ch}`"));
            }
            if c.is_ascii_alphanumeric() || c == b'_' {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
            } else {
                let two = text.get(i..i + 2).unwrap_or("");
                i += if ["&&", "||", "==", "!=", "<=", ">=", "<<", ">>"].contains(&two) { 2 } else { 1 };
                if !"()!~+-*/%<>&|^=".contains(c as char) {
                    return Err(format!("unexpected `{}`", &text[start..i]));
                }
            }
            toks.push(text[start..i].to_string());
        }
        Ok(IfExpr { toks, pos: 0 })
    }

    fn value(&mut self) -> Result<i64, String> {
        let v = self.binary(0)?;
        match self.toks.get(self.pos) {
            None => Ok(v),
            Some(t) => Err(format!("unexpected `{t}`")),
        }
    }

    /// Binary operators by precedence, loosest first.
    const LEVELS: [&'static [&'static str]; 9] =
        [&["||"], &["&&"], &["|"], &["^"], &["&"], &["==", "!="], &["<", ">", "<=", ">="], &["<<", ">>"], &["+", "-"]];

    fn binary(&mut self, level: usize) -> Result<i64, String> {
        if level == Self::LEVELS.len() {
            return self.product();
        }
        let mut v = self.binary(level + 1)?;
        while let Some(op) = self.toks.get(self.pos).filter(|t| Self::LEVELS[level].contains(&t.as_str())).cloned() {
            self.pos += 1;
            let w = self.binary(level + 1)?;
            v = match op.as_str() {
                "||" => i64::from(v != 0 || w != 0),
                "&&" => i64::from(v != 0 && w != 0),
                "|" => v | w,
                "^" => v ^ w,
                "&" => v & w,
                "==" => i64::from(v == w),
                "!=" => i64::from(v != w),
                "<" => i64::from(v < w),
                ">" => i64::from(v > w),
                "<=" => i64::from(v <= w),
                ">=" => i64::from(v >= w),
                "<<" => v.wrapping_shl(w as u32),
                ">>" => v.wrapping_shr(w as u32),
                "+" => v.wrapping_add(w),
                _ => v.wrapping_sub(w),
            };
        }
        Ok(v)
    }

    fn product(&mut self) -> Result<i64, String> {
        let mut v = self.unary()?;
        while let Some(op) = self.toks.get(self.pos).filter(|t| ["*", "/", "%"].contains(&t.as_str())).cloned() {
            self.pos += 1;
            let w = self.unary()?;
            v = match op.as_str() {
                "*" => v.wrapping_mul(w),
                _ if w == 0 => return Err("division by zero".to_string()),
                "/" => v.wrapping_div(w),
                _ => v.wrapping_rem(w),
            };
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<i64, String> {
        let Some(t) = self.toks.get(self.pos).cloned() else { return Err("the expression ends early".to_string()) };
        self.pos += 1;
        match t.as_str() {
            "!" => Ok(i64::from(self.unary()? == 0)),
            "-" => Ok(self.unary()?.wrapping_neg()),
            "+" => self.unary(),
            "~" => Ok(!self.unary()?),
            "(" => {
                let v = self.binary(0)?;
                if self.toks.get(self.pos).map(String::as_str) != Some(")") {
                    return Err("a `(` is not closed".to_string());
                }
                self.pos += 1;
                Ok(v)
            }
            _ if t.starts_with(|c: char| c.is_ascii_digit()) => number(&t),
            _ if t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => Ok(0),
            _ => Err(format!("unexpected `{t}`")),
        }
    }
}

/// A C integer literal: decimal, `0x` hexadecimal or `0` octal, with `u`/`l` suffixes.
fn number(t: &str) -> Result<i64, String> {
    let digits = t.trim_end_matches(['u', 'U', 'l', 'L']);
    let parsed = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16)
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8)
    } else {
        digits.parse()
    };
    parsed.map_err(|_| format!("`{t}` is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (String, Vec<String>) {
        let mut macros = Macros::default();
        let e = expand(FileId(0), text, &mut macros, &mut NoIncludes);
        (e.text.unwrap_or_else(|| text.to_string()), e.diags.iter().map(|d| d.message.clone()).collect())
    }

    #[test]
    fn object_and_function_macros_expand_on_their_own_lines() {
        let text = "#define N 3\n#define E(a, b) edge(a, b)\nE(1, N).\nE(N,\n  4).\nx(1).\n";
        let (out, diags) = run(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out, "#define N 3\n#define E(a, b) edge(a, b)\nedge(1, 3).\nedge(3, 4)\n.\nx(1).\n");
        assert_eq!(out.lines().count(), text.lines().count());
    }

    #[test]
    fn branches_not_taken_are_blank_and_conditions_follow_c() {
        let text =
            "#define A 2\n#if defined(A) && A > 1\nyes.\n#elif 1\nno.\n#else\nno2.\n#endif\n#ifndef A\nz.\n#endif\n";
        let (out, diags) = run(text);
        assert!(diags.is_empty(), "{diags:?}");
        let kept: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).collect();
        assert_eq!(kept, ["yes."]);
        assert_eq!(out.lines().count(), text.lines().count());
    }

    #[test]
    fn strings_and_comments_are_not_expanded_and_macros_do_not_recurse() {
        let (out, _) = run("#define X X + 1 // comment\nf(\"X\", X).\n");
        assert_eq!(out.lines().nth(1), Some("f(\"X\", X + 1)."));
    }

    #[test]
    fn doubling_macros_stop_at_the_size_limit() {
        let mut text = String::from("#define A0 x\n");
        for i in 1..40 {
            text.push_str(&format!("#define A{i} A{p} A{p}\n", p = i - 1));
        }
        text.push_str("f(A39).\n");
        let (_, diags) = run(&text);
        assert!(diags.iter().any(|d| d.contains("larger than")), "{diags:?}");
    }

    #[test]
    fn misuse_is_reported() {
        let (_, diags) =
            run("#define F(a) a\nF(1, 2).\n#endif\n#if 1\n#include <x.dl>\n#frobnicate\n#if defined\u{d4}A)\n#endif\n");
        assert_eq!(
            diags,
            [
                "macro `F` takes 1 argument, 2 given",
                "`#endif` without a matching `#if`",
                "`#include` needs a file name in double quotes",
                "unknown preprocessor directive `#frobnicate`",
                "cannot evaluate this `#if`: unexpected `\u{d4}`",
                "this conditional has no `#endif`",
            ]
        );
    }
}
