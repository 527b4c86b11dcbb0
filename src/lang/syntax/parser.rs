//! Recursive-descent parser for the Soufflé subset: tokens from [`super::lexer`] → [`File`].
//!
//! Errors are recorded as diagnostics; after one, the parser skips to the end of the item
//! (the `.` ending a rule, or the next directive) and goes on, so one run reports every
//! broken item and still returns the good ones.

use super::ast::*;
use super::lexer::{Dir, Tok, Token, lex};
use crate::base::diag::{Code, Diagnostic, did_you_mean};
use crate::base::source::{FileId, Span};
use crate::base::value::Number;

/// Maximum nesting of parentheses, prefix operators, groups and aggregates.
const MAX_DEPTH: u32 = 256;

/// Directive keywords, for "did you mean" on an unknown one.
const DIRECTIVES: &[&str] = &[
    "decl",
    "type",
    "input",
    "output",
    "printsize",
    "limitsize",
    "pragma",
    "plan",
    "functor",
    "comp",
    "init",
    "override",
    "number_type",
    "symbol_type",
    "prefer",
];

/// Declaration qualifiers that may follow the column list.
const QUALIFIERS: &[&str] = &[
    "brie",
    "btree",
    "btree_delete",
    "inline",
    "no_inline",
    "magic",
    "no_magic",
    "eqrel",
    "overridable",
    "input",
    "output",
    "printsize",
];

/// Parses one rule file. Returns the items it could parse and every syntax error found;
/// after an error the parser skips to the next `.` that ends an item and goes on.
pub fn parse_file(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    parse(file, text, false)
}

/// [`parse_file`] for a rule file whose preprocessor lines were handled already (by
/// `syntax::preprocess`, or kept as written by `fmt`): each becomes an [`Item::Ignored`]
/// (`what` is `#`) instead of an error.
pub fn parse_expanded(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    parse(file, text, true)
}

fn parse(file: FileId, text: &str, expanded: bool) -> (File, Vec<Diagnostic>) {
    // Recursion is bounded by `MAX_DEPTH`, but at that depth an unoptimised build needs a
    // few MB of stack (more than a test thread has): parse on a thread with a known stack.
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("stance-parse".to_string())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, || parse_on_this_thread(file, text, expanded));
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
            Err(_) => parse_on_this_thread(file, text, expanded),
        }
    })
}

/// At most this many diagnostics are kept per file (a binary file would give millions).
const MAX_DIAGNOSTICS: usize = 1000;

/// Stack for the parser thread: about 9 KB per nesting level in a debug build, ×256, with room.
const PARSE_STACK: usize = 32 << 20;

fn parse_on_this_thread(file: FileId, text: &str, expanded: bool) -> (File, Vec<Diagnostic>) {
    let lexed = lex(file, text);
    let matching = match_parens(&lexed.toks);
    let lex_errors = lexed.error_offsets;
    let mut p = Parser {
        file,
        text,
        toks: lexed.toks,
        matching,
        docs: lexed.docs,
        pos: 0,
        depth: 0,
        dropped: lexed.dropped,
        lex_errors,
        diags: lexed.diags,
        comp_depth: 0,
        expanded,
    };
    let mut items = Vec::new();
    p.parse_items(&mut items);
    let mut diags = p.diags;
    diags.sort_by_key(|d| d.primary.as_ref().map(|l| l.span.start));
    if p.dropped > 0 {
        let msg = format!("too many syntax errors: {} more not shown", p.dropped);
        diags.push(Diagnostic::error(Code::Syntax, msg));
    }
    (File { items }, diags)
}

/// For every `(`, the index of its matching `)` (or `u32::MAX` if unbalanced).
fn match_parens(toks: &[Token]) -> Vec<u32> {
    let mut out = vec![u32::MAX; toks.len()];
    let mut stack = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::LParen => stack.push(i),
            Tok::RParen => {
                if let Some(open) = stack.pop() {
                    out[open] = i as u32;
                }
            }
            // A rule end or directive closes everything still open.
            Tok::Dot | Tok::Directive(_) => stack.clear(),
            _ => {}
        }
    }
    out
}

/// The error has been recorded; unwind to the item level.
struct Failed;
type PResult<T> = Result<T, Failed>;

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    toks: Vec<Token>,
    matching: Vec<u32>,
    docs: Vec<Vec<String>>,
    pos: usize,
    depth: u32,
    /// Diagnostics not recorded because there were already too many.
    dropped: usize,
    /// Start offsets of lexical errors, ascending.
    lex_errors: Vec<u32>,
    diags: Vec<Diagnostic>,
    /// How many `.comp { ... }` bodies enclose the current token: inside one, recovery
    /// stops at the `}` that closes it.
    comp_depth: u32,
    /// Whether preprocessor lines were handled already ([`parse_expanded`]).
    expanded: bool,
}

fn compare_op(t: &Tok) -> Option<CompareOp> {
    Some(match t {
        Tok::Eq => CompareOp::Eq,
        Tok::Ne => CompareOp::Ne,
        Tok::Lt => CompareOp::Lt,
        Tok::Le => CompareOp::Le,
        Tok::Gt => CompareOp::Gt,
        Tok::Ge => CompareOp::Ge,
        _ => return None,
    })
}

fn word_op(w: &str) -> Option<(BinaryOp, u8)> {
    Some(match w {
        "lor" => (BinaryOp::Lor, 1),
        "lxor" => (BinaryOp::Lxor, 2),
        "land" => (BinaryOp::Land, 3),
        "bor" => (BinaryOp::Bor, 4),
        "bxor" => (BinaryOp::Bxor, 5),
        "band" => (BinaryOp::Band, 6),
        "bshl" => (BinaryOp::Bshl, 7),
        "bshr" => (BinaryOp::Bshr, 7),
        "bshru" => (BinaryOp::Bshru, 7),
        _ => return None,
    })
}

fn aggregate_func(w: &str) -> Option<AggregateFunc> {
    Some(match w {
        "count" => AggregateFunc::Count,
        "sum" => AggregateFunc::Sum,
        "min" => AggregateFunc::Min,
        "max" => AggregateFunc::Max,
        "mean" => AggregateFunc::Mean,
        _ => return None,
    })
}

impl Parser<'_> {
    // ---- token access -------------------------------------------------------------------

    fn tok(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn tok_at(&self, i: usize) -> &Tok {
        &self.toks[i.min(self.toks.len() - 1)].tok
    }

    fn nth(&self, k: usize) -> &Tok {
        self.tok_at(self.pos + k)
    }

    fn span_of(&self, i: usize) -> Span {
        let t = &self.toks[i.min(self.toks.len() - 1)];
        Span::new(self.file, t.start as usize..t.end as usize)
    }

    fn span(&self) -> Span {
        self.span_of(self.pos)
    }

    /// Span of the previous token (the last one consumed).
    fn prev_span(&self) -> Span {
        self.span_of(self.pos.saturating_sub(1))
    }

    fn text_of(&self, i: usize) -> &str {
        let t = &self.toks[i.min(self.toks.len() - 1)];
        &self.text[t.start as usize..t.end as usize]
    }

    fn cur_text(&self) -> &str {
        self.text_of(self.pos)
    }

    fn is_word_at(&self, i: usize, w: &str) -> bool {
        *self.tok_at(i) == Tok::Ident && self.text_of(i) == w
    }

    fn bump(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, t: Tok) -> bool {
        if *self.tok() == t {
            self.bump();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Ident {
        let id = Ident { name: self.cur_text().to_string(), span: self.span() };
        self.bump();
        id
    }

    /// Index of the token after the `)` matching the `(` at `i`, if balanced.
    fn after_matching(&self, i: usize) -> Option<usize> {
        match self.matching.get(i) {
            Some(&m) if m != u32::MAX => Some(m as usize + 1),
            _ => None,
        }
    }

    /// A short description of the current token for error messages.
    fn describe(&self, i: usize) -> String {
        let text = self.text_of(i);
        let short: String = text.chars().take(30).collect();
        match self.tok_at(i) {
            Tok::Eof => "end of file".to_string(),
            Tok::Ident => format!("`{short}`"),
            Tok::Str(_) => format!("string {short}"),
            Tok::Int(_) | Tok::Float => format!("number `{short}`"),
            Tok::Preproc => "preprocessor line".to_string(),
            _ => format!("`{short}`"),
        }
    }

    // ---- errors -------------------------------------------------------------------------

    fn error_at(&mut self, span: Span, msg: String, label: &str, help: Option<&str>) -> Failed {
        let mut d = Diagnostic::error(Code::Syntax, msg).at(span, label);
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.report(d);
        Failed
    }

    /// "expected X, found `<current token>`".
    fn expected(&mut self, what: &str) -> Failed {
        let found = self.describe(self.pos);
        let label = format!("expected {what}");
        self.error_at(self.span(), format!("expected {what}, found {found}"), &label, None)
    }

    fn expect(&mut self, t: Tok, what: &str) -> PResult<()> {
        if self.eat(t) { Ok(()) } else { Err(self.expected(what)) }
    }

    /// Records a diagnostic, up to [`MAX_DIAGNOSTICS`]; later ones are only counted.
    fn report(&mut self, d: Diagnostic) {
        if self.diags.len() < MAX_DIAGNOSTICS {
            self.diags.push(d);
        } else {
            self.dropped += 1;
        }
    }

    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            let msg = format!("nesting too deep (more than {MAX_DEPTH} levels)");
            return Err(self.error_at(
                self.span(),
                msg,
                "nested too deeply here",
                Some("split the expression or rule into smaller parts"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Skips to the end of a broken rule: past the next `.`, or up to the next directive.
    fn recover_rule(&mut self) {
        loop {
            match self.tok() {
                Tok::Eof | Tok::Directive(_) | Tok::Preproc => return,
                Tok::RBrace if self.comp_depth > 0 => return,
                Tok::Dot => {
                    self.bump();
                    return;
                }
                _ => self.bump(),
            }
        }
    }

    /// Whether the current token looks like the start of a rule on a new line.
    fn at_new_rule(&self) -> bool {
        let t = &self.toks[self.pos];
        let named = t.tok == Tok::Functor && self.at_atom(self.pos + 1);
        t.line_start && (named || self.at_atom(self.pos))
    }

    fn lex_error_between(&self, from: usize, to: usize) -> bool {
        let lo = self.toks[from].start;
        let hi = self.toks[to.min(self.toks.len() - 1)].end;
        let i = self.lex_errors.partition_point(|&o| o < lo);
        self.lex_errors.get(i).is_some_and(|&o| o <= hi)
    }

    /// Skips to the next `.` or the next token that starts a line after token `start`.
    fn recover_line(&mut self, start: usize) {
        loop {
            let t = &self.toks[self.pos];
            match t.tok {
                Tok::Eof | Tok::Directive(_) | Tok::Preproc => return,
                Tok::RBrace if self.comp_depth > 0 => return,
                Tok::Dot => {
                    self.bump();
                    return;
                }
                _ if t.line_start && self.pos > start => return,
                _ => self.bump(),
            }
        }
    }

    /// Skips the rest of a directive that started at token `start`: up to the next directive,
    /// or the next token that starts a line outside brackets (directives have no terminator).
    fn recover_directive(&mut self, start: usize) {
        let mut depth = 0u32;
        loop {
            let t = &self.toks[self.pos];
            let boundary = matches!(t.tok, Tok::Directive(_) | Tok::Preproc) || (t.line_start && t.tok != Tok::Pipe);
            let closes_comp = t.tok == Tok::RBrace && depth == 0 && self.comp_depth > 0;
            if t.tok == Tok::Eof || (self.pos > start && depth == 0 && boundary) || closes_comp {
                return;
            }
            match t.tok {
                Tok::LParen | Tok::LBrace | Tok::LBracket => depth += 1,
                Tok::RParen | Tok::RBrace | Tok::RBracket => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }

    // ---- items --------------------------------------------------------------------------

    fn parse_items(&mut self, items: &mut Vec<Item>) {
        // Inside a component body, recovery returns to the body's own nesting depth.
        let base_depth = self.depth;
        loop {
            match self.tok().clone() {
                Tok::Eof => return,
                Tok::RBrace if self.comp_depth > 0 => return,
                Tok::Directive(d) => {
                    let start = self.pos;
                    let n_diags = self.diags.len();
                    if let Ok(item) = self.parse_directive(d) {
                        items.extend(item);
                    } else {
                        self.depth = base_depth;
                        if self.lex_error_between(start, self.pos) {
                            // Already explained by the lexical error (e.g. a broken string).
                            self.diags.truncate(n_diags);
                        }
                        self.recover_directive(start);
                    }
                }
                Tok::Dot
                    if self.toks[self.pos].line_start
                        && *self.nth(1) == Tok::Ident
                        && self.toks[self.pos + 1].start == self.toks[self.pos].end =>
                {
                    let start = self.pos;
                    let word = self.text_of(self.pos + 1).to_string();
                    let span = self.span().to(self.span_of(self.pos + 1));
                    let mut d = Diagnostic::error(Code::Syntax, format!("unknown directive `.{word}`"))
                        .at(span, "not a directive");
                    if let Some(s) = did_you_mean(&word, DIRECTIVES.iter().copied()) {
                        d = d.with_help(format!("did you mean `.{s}`?")).with_fix(crate::base::diag::Fix::replace(
                            format!("change to `.{s}`"),
                            span,
                            format!(".{s}"),
                        ));
                    }
                    self.report(d);
                    self.recover_directive(start);
                }
                Tok::Preproc if self.expanded => {
                    items.push(Item::Ignored { what: "#".to_string(), args: Vec::new(), span: self.span() });
                    self.bump();
                }
                Tok::Preproc => {
                    let word: String = self
                        .cur_text()
                        .trim_start_matches('#')
                        .trim_start()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let name = if word.is_empty() { "#".to_string() } else { format!("#{word}") };
                    let d = Diagnostic::error(
                        Code::Unsupported,
                        format!("preprocessor directives (`{name}`) are not supported"),
                    )
                    .at(self.span(), "preprocessor line")
                    .with_help("preprocessor lines are read in rule files only");
                    self.report(d);
                    self.bump();
                }
                _ => {
                    let first = self.pos;
                    let n_diags = self.diags.len();
                    match self.parse_rule() {
                        Ok(rule) => items.push(Item::Rule(rule)),
                        Err(Failed) => {
                            self.depth = base_depth;
                            if self.lex_error_between(first, self.pos) {
                                // An unterminated string or stray character already explains
                                // this; skip the rest of its line instead of to the next `.`,
                                // which the string may have swallowed.
                                self.diags.truncate(n_diags);
                                self.recover_line(first);
                            } else if self.pos > first && self.at_new_rule() {
                                // Most likely a missing `.`: the next rule starts here.
                            } else {
                                self.recover_rule();
                            }
                        }
                    }
                }
            }
        }
    }

    fn directive_keyword(&self) -> Ident {
        let t = &self.toks[self.pos];
        Ident {
            name: self.text[t.start as usize + 1..t.end as usize].to_string(),
            span: Span::new(self.file, t.start as usize + 1..t.end as usize),
        }
    }

    fn parse_directive(&mut self, d: Dir) -> PResult<Option<Item>> {
        let start = self.span();
        match d {
            Dir::Decl => self.parse_decl().map(|d| Some(Item::Decl(d))),
            Dir::Type => self.parse_type().map(|t| t.map(Item::Type)),
            Dir::NumberType | Dir::SymbolType => {
                let keyword = self.directive_keyword().span;
                self.bump();
                if *self.tok() != Tok::Ident {
                    return Err(self.expected("a type name"));
                }
                let name = self.ident();
                let base = if d == Dir::NumberType { "number" } else { "symbol" };
                Ok(Some(Item::Type(TypeDecl {
                    name,
                    subset: true,
                    bases: vec![Ident { name: base.to_string(), span: keyword }],
                    fields: None,
                    branches: None,
                    span: start.to(self.prev_span()),
                })))
            }
            Dir::Input | Dir::Output | Dir::PrintSize | Dir::LimitSize => {
                self.parse_io(d).map(|d| Some(Item::Directive(d)))
            }
            Dir::Pragma => {
                self.bump();
                // `.pragma "key" "value"`: the strings are kept (`magic-transform` is honoured).
                let mut args = Vec::new();
                while !self.toks[self.pos].line_start {
                    if let Tok::Str(s) = self.tok() {
                        args.push(s.clone());
                    }
                    self.bump();
                }
                Ok(Some(Item::Ignored { what: "pragma".to_string(), args, span: start.to(self.prev_span()) }))
            }
            Dir::Plan => {
                self.bump();
                while matches!(self.tok(), Tok::Int(_) | Tok::Colon | Tok::LParen | Tok::RParen | Tok::Comma) {
                    self.bump();
                }
                Ok(Some(Item::Ignored { what: "plan".to_string(), args: Vec::new(), span: start.to(self.prev_span()) }))
            }
            Dir::Comp => self.parse_comp().map(|c| Some(Item::Comp(c))),
            Dir::Init => {
                self.bump();
                if *self.tok() != Tok::Ident {
                    return Err(self.expected("an instance name after `.init`"));
                }
                let name = self.ident();
                self.expect(Tok::Eq, "`=` after the instance name")?;
                let comp = self.parse_comp_type("a component name after `=`")?;
                Ok(Some(Item::Init(Init { name, comp, span: start.to(self.prev_span()) })))
            }
            Dir::Override => {
                self.bump();
                if *self.tok() != Tok::Ident {
                    return Err(self.expected("a relation name after `.override`"));
                }
                let relation = self.ident();
                Ok(Some(Item::Override { relation, span: start.to(self.prev_span()) }))
            }
            Dir::Prefer => self.parse_prefer().map(|p| Some(Item::Prefer(p))),
            Dir::Functor => {
                self.report(
                    Diagnostic::error(
                        Code::Unsupported,
                        "user-defined functor declarations (`.functor`) are not supported",
                    )
                    .at(start, "not supported"),
                );
                let first = self.pos;
                self.recover_directive(first);
                Ok(None)
            }
        }
    }

    /// `.prefer r2 > r1`, `.prefer by grade`, `.prefer by date`; the current token is `.prefer`.
    fn parse_prefer(&mut self) -> PResult<Prefer> {
        let start = self.span();
        self.bump();
        if self.is_word_at(self.pos, "by") && *self.nth(1) == Tok::Ident {
            self.bump();
            let kind = match self.cur_text() {
                "grade" => PreferKind::Grade,
                "date" => PreferKind::Date,
                "specificity" => PreferKind::Specificity,
                _ => return Err(self.expected("`grade`, `date` or `specificity` after `.prefer by`")),
            };
            self.bump();
            return Ok(Prefer { kind, span: start.to(self.prev_span()) });
        }
        let superior = self.rule_name("a rule name after `.prefer` (`.prefer r2 > r1`), or `by grade` / `by date`")?;
        self.expect(Tok::Gt, "`>` between the two rule names (`.prefer r2 > r1`)")?;
        let inferior = self.rule_name("the name of the rule `.prefer` ranks lower")?;
        Ok(Prefer { kind: PreferKind::Rules(superior, inferior), span: start.to(self.prev_span()) })
    }

    /// A rule's name, written `name` or `@name` (the `@` is not part of it).
    fn rule_name(&mut self, what: &str) -> PResult<Ident> {
        match self.tok() {
            Tok::Ident => Ok(self.ident()),
            Tok::Functor => {
                let at = self.ident();
                Ok(Ident { name: at.name[1..].to_string(), span: at.span })
            }
            _ => Err(self.expected(what)),
        }
    }

    /// `.comp Name<T, ...> [: Base<...>, ...] { items }`; the current token is `.comp`.
    fn parse_comp(&mut self) -> PResult<Comp> {
        let start = self.span();
        self.bump();
        let ty = self.parse_comp_type("a component name after `.comp`")?;
        let mut bases = Vec::new();
        // Soufflé separates base components with `:` or `,`.
        if self.eat(Tok::Colon) {
            loop {
                bases.push(self.parse_comp_type("a base component name")?);
                if !(self.eat(Tok::Comma) || self.eat(Tok::Colon)) {
                    break;
                }
            }
        }
        let open = self.span();
        self.expect(Tok::LBrace, "`{` to open the component body")?;
        self.enter()?;
        self.comp_depth += 1;
        let mut items = Vec::new();
        self.parse_items(&mut items);
        self.comp_depth -= 1;
        self.leave();
        if *self.tok() != Tok::RBrace {
            let msg = format!("expected `}}` to close component `{}`, found {}", ty.name.name, self.describe(self.pos));
            let d = Diagnostic::error(Code::Syntax, msg)
                .at(self.span(), "expected `}`")
                .with_secondary(open, "component body opened here");
            self.report(d);
            return Err(Failed);
        }
        let close = self.span();
        self.bump();
        Ok(Comp { ty, bases, items, body: open.to(close), span: start.to(close) })
    }

    /// `Name` or `Name<A, B>`: a component with its type parameters or arguments.
    fn parse_comp_type(&mut self, what: &str) -> PResult<CompType> {
        if *self.tok() != Tok::Ident || self.cur_text().contains('.') {
            return Err(self.expected(what));
        }
        let name = self.ident();
        let mut args = Vec::new();
        if self.eat(Tok::Lt) {
            loop {
                if *self.tok() != Tok::Ident {
                    return Err(self.expected("a type name"));
                }
                args.push(self.ident());
                if self.eat(Tok::Comma) {
                    continue;
                }
                self.expect(Tok::Gt, "`,` or `>` after the type")?;
                break;
            }
        }
        Ok(CompType { span: name.span.to(self.prev_span()), name, args })
    }

    fn parse_decl(&mut self) -> PResult<Decl> {
        let start = self.span();
        self.bump();
        if *self.tok() != Tok::Ident {
            return Err(self.expected("a relation name after `.decl`"));
        }
        let name = self.ident();
        // `.decl a, b, c(x: number)`: several relations with the same columns (Soufflé).
        let mut also = Vec::new();
        while self.eat(Tok::Comma) {
            if *self.tok() != Tok::Ident {
                return Err(self.expected("a relation name after `,`"));
            }
            also.push(self.ident());
        }
        self.expect(Tok::LParen, "`(` after the relation name")?;
        let mut columns = Vec::new();
        if !self.eat(Tok::RParen) {
            loop {
                if *self.tok() != Tok::Ident {
                    return Err(self.expected("a column name"));
                }
                let col = self.ident();
                if *self.tok() != Tok::Colon {
                    let found = self.describe(self.pos);
                    let msg = format!("expected `:` and a type after column `{}`, found {found}", col.name);
                    let help = format!("give the column a type, e.g. `{}: symbol`", col.name);
                    return Err(self.error_at(self.span(), msg, "expected a type", Some(&help)));
                }
                self.bump();
                if *self.tok() != Tok::Ident {
                    return Err(self.expected("a type name"));
                }
                let ty = self.ident();
                columns.push(Column { name: col, ty });
                if self.eat(Tok::Comma) {
                    continue;
                }
                self.expect(Tok::RParen, "`,` or `)` after column")?;
                break;
            }
        }
        let mut qualifiers = Vec::new();
        while *self.tok() == Tok::Ident {
            let t = &self.toks[self.pos];
            let known = QUALIFIERS.contains(&self.cur_text());
            if *self.nth(1) == Tok::LParen || (!known && t.line_start) {
                break;
            }
            let mut q = self.ident();
            let adjacent = |p: &Self, i: usize| p.toks[i].start == p.toks[i - 1].end;
            if q.name == "choice"
                && *self.tok() == Tok::Minus
                && self.is_word_at(self.pos + 1, "domain")
                && adjacent(self, self.pos)
                && adjacent(self, self.pos + 1)
            {
                // `choice-domain x, (y, z)`: keep the qualifier, skip its column list.
                self.bump();
                self.bump();
                q = Ident { name: "choice-domain".to_string(), span: q.span.to(self.prev_span()) };
                while !self.toks[self.pos].line_start
                    && matches!(self.tok(), Tok::Ident | Tok::Comma | Tok::LParen | Tok::RParen)
                {
                    self.bump();
                }
            }
            qualifiers.push(q);
        }
        Ok(Decl { name, also, columns, qualifiers, span: start.to(self.prev_span()) })
    }

    fn parse_type(&mut self) -> PResult<Option<TypeDecl>> {
        let start = self.span();
        self.bump();
        if *self.tok() != Tok::Ident {
            return Err(self.expected("a type name after `.type`"));
        }
        let name = self.ident();
        let subset = *self.tok() == Tok::Subtype;
        match self.tok() {
            Tok::Subtype | Tok::Eq => self.bump(),
            _ => return Err(self.expected("`<:` or `=` after the type name")),
        }
        if *self.tok() == Tok::LBracket {
            let fields = self.parse_fields(Tok::RBracket, "`]`")?;
            return Ok(Some(TypeDecl {
                name,
                bases: Vec::new(),
                subset: false,
                fields: Some(fields),
                branches: None,
                span: start.to(self.prev_span()),
            }));
        }
        if *self.tok() == Tok::Ident && *self.nth(1) == Tok::LBrace {
            let mut branches = Vec::new();
            loop {
                if *self.tok() != Tok::Ident || *self.nth(1) != Tok::LBrace {
                    return Err(self.expected("a branch such as `Circle {r: number}`"));
                }
                let branch = self.ident();
                branches.push((branch, self.parse_fields(Tok::RBrace, "`}`")?));
                if !self.eat(Tok::Pipe) {
                    break;
                }
            }
            return Ok(Some(TypeDecl {
                name,
                bases: Vec::new(),
                subset: false,
                fields: None,
                branches: Some(branches),
                span: start.to(self.prev_span()),
            }));
        }
        let mut bases = Vec::new();
        loop {
            if *self.tok() != Tok::Ident {
                return Err(self.expected("a type name"));
            }
            bases.push(self.ident());
            if !self.eat(Tok::Pipe) {
                break;
            }
        }
        Ok(Some(TypeDecl { name, bases, subset, fields: None, branches: None, span: start.to(self.prev_span()) }))
    }

    /// `[a: number, b: List]` or a branch's `{r: number}` (possibly empty), the opening
    /// bracket current; `close` ends it.
    fn parse_fields(&mut self, close: Tok, close_text: &str) -> PResult<Vec<(Ident, Ident)>> {
        self.bump();
        let mut fields = Vec::new();
        if self.eat(close.clone()) {
            return Ok(fields);
        }
        loop {
            if *self.tok() != Tok::Ident {
                return Err(self.expected("a field name"));
            }
            let name = self.ident();
            if !self.eat(Tok::Colon) {
                return Err(self.expected("`:` and the field's type"));
            }
            if *self.tok() != Tok::Ident {
                return Err(self.expected("the field's type"));
            }
            fields.push((name, self.ident()));
            if self.eat(close.clone()) {
                return Ok(fields);
            }
            if !self.eat(Tok::Comma) {
                return Err(self.expected(&format!("`,` or {close_text}")));
            }
        }
    }

    fn parse_io(&mut self, d: Dir) -> PResult<Directive> {
        let start = self.span();
        let keyword = self.directive_keyword();
        let kind = match d {
            Dir::Input => DirectiveKind::Input,
            Dir::Output => DirectiveKind::Output,
            Dir::PrintSize => DirectiveKind::PrintSize,
            _ => DirectiveKind::Other,
        };
        self.bump();
        let mut relations = Vec::new();
        let mut params = Vec::new();
        loop {
            if *self.tok() != Tok::Ident {
                let what = format!("a relation name after `.{}`", keyword.name);
                return Err(self.expected(&what));
            }
            relations.push(self.ident());
            if *self.tok() == Tok::LParen {
                self.parse_params(&mut params)?;
            }
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        Ok(Directive { kind, keyword, relations, params, span: start.to(self.prev_span()) })
    }

    fn parse_params(&mut self, params: &mut Vec<Param>) -> PResult<()> {
        self.bump(); // `(`
        if self.eat(Tok::RParen) {
            return Ok(());
        }
        loop {
            if *self.tok() != Tok::Ident {
                return Err(self.expected("a parameter name"));
            }
            let key = self.ident();
            self.expect(Tok::Eq, "`=` after the parameter name")?;
            let vstart = self.span();
            let value = match self.tok().clone() {
                Tok::Str(s) => {
                    self.bump();
                    ParamValue::Str(s)
                }
                Tok::Ident => ParamValue::Word(self.ident().name),
                Tok::Int(_) => ParamValue::Number(self.int_literal(false, vstart)?),
                Tok::Minus if matches!(self.nth(1), Tok::Int(_)) => {
                    self.bump();
                    ParamValue::Number(self.int_literal(true, vstart)?)
                }
                _ => return Err(self.expected("a string, number or word as parameter value")),
            };
            params.push(Param { span: key.span.to(self.prev_span()), key, value });
            if self.eat(Tok::Comma) {
                continue;
            }
            return self.expect(Tok::RParen, "`,` or `)` after parameter");
        }
    }

    /// Consumes an integer token; `neg` if a `-` (starting at `start`) preceded it.
    fn int_literal(&mut self, neg: bool, start: Span) -> PResult<Number> {
        let Tok::Int(v) = *self.tok() else {
            return Err(self.expected("a number"));
        };
        let span = start.to(self.span());
        self.bump();
        let v = match (v, neg) {
            (Some(v), false) => Number::try_from(v).ok(),
            (Some(v), true) => i64::try_from(v).ok().and_then(|v| Number::try_from(-v).ok()),
            (None, _) => None,
        };
        match v {
            Some(v) => Ok(v),
            None => Err(self.error_at(
                span,
                "number out of range".to_string(),
                "does not fit in a 32-bit signed integer",
                None,
            )),
        }
    }

    // ---- rules --------------------------------------------------------------------------

    fn parse_rule(&mut self) -> PResult<Rule> {
        let first = self.pos;
        let start = self.span();
        let doc = match self.toks[self.pos].doc {
            0 => Vec::new(),
            n => self.docs[n as usize - 1].clone(),
        };
        // `@name` before a rule names it for `.prefer`.
        let name = if *self.tok() == Tok::Functor && self.at_atom(self.pos + 1) {
            Some(self.rule_name("a rule name")?)
        } else {
            None
        };
        let mut heads = Vec::new();
        if !matches!(self.tok(), Tok::If | Tok::IfDefeasible | Tok::IfDefeater) {
            loop {
                heads.push(self.parse_head_atom()?);
                if !self.eat(Tok::Comma) {
                    break;
                }
            }
        }
        let mut kind = RuleKind::Strict;
        let body = match self.tok() {
            Tok::Dot => None,
            Tok::If => {
                self.bump();
                Some(self.parse_body()?)
            }
            Tok::IfDefeasible | Tok::IfDefeater => {
                kind = if *self.tok() == Tok::IfDefeasible { RuleKind::Defeasible } else { RuleKind::Defeater };
                if heads.is_empty() {
                    let msg = format!("a rule with `{}` needs a head", kind.arrow());
                    let help = "a constraint is written `:- body.`";
                    return Err(self.error_at(self.span(), msg, "no head before this arrow", Some(help)));
                }
                self.bump();
                Some(self.parse_body()?)
            }
            Tok::Le => {
                let d = Diagnostic::error(Code::Unsupported, "subsumptive rules (`<=`) are not supported")
                    .at(self.span(), "subsumption")
                    .with_note(
                        "a subsumptive rule deletes tuples already derived; stance's evaluation only adds \
                         tuples, and every tuple it derives keeps its proof",
                    );
                self.report(d);
                return Err(Failed);
            }
            _ => {
                let found = self.describe(self.pos);
                let msg = format!("expected `.`, `,` or `:-` after rule head, found {found}");
                let help = if self.at_new_rule() {
                    "is the `.` at the end of the previous line missing?"
                } else {
                    "end a fact with `.`, or write `head :- body.` for a rule"
                };
                return Err(self.error_at(self.span(), msg, "expected `.` or `:-`", Some(help)));
            }
        };
        if *self.tok() != Tok::Dot {
            let found = self.describe(self.pos);
            let msg = if self.pos == first {
                format!("unexpected {found}")
            } else {
                format!("expected `,`, `;` or `.` after body literal, found {found}")
            };
            let help = match self.tok() {
                _ if self.at_new_rule() => Some("is the `.` at the end of the previous line missing?"),
                Tok::If => Some("a rule has exactly one `:-`"),
                Tok::Ident | Tok::Bang => Some("separate literals with `,` (and) or `;` (or)"),
                _ => None,
            };
            return Err(self.error_at(self.span(), msg, "expected `.`", help));
        }
        self.bump();
        Ok(Rule { name, kind, heads, body, doc, span: start.to(self.prev_span()) })
    }

    fn parse_head_atom(&mut self) -> PResult<Atom> {
        if self.at_atom(self.pos) {
            return self.parse_atom();
        }
        if *self.tok() != Tok::Ident {
            let found = self.describe(self.pos);
            let msg = if self.pos > 0 && self.toks[self.pos - 1].tok == Tok::Comma {
                format!("expected a relation name, found {found}")
            } else {
                format!("expected a rule, fact or directive, found {found}")
            };
            return Err(self.error_at(self.span(), msg, "unexpected here", None));
        }
        if *self.nth(1) != Tok::LParen {
            let name = self.cur_text().to_string();
            self.bump();
            let found = self.describe(self.pos);
            let msg = format!("expected `(` after relation name `{name}`, found {found}");
            return Err(self.error_at(self.span(), msg, "expected `(`", Some("write a nullary atom as `name()`")));
        }
        self.parse_atom()
    }

    /// Whether an atom starts at token `i`: `name(` or, strongly negated, `~name(`.
    fn at_atom(&self, i: usize) -> bool {
        match self.tok_at(i) {
            Tok::Ident => *self.tok_at(i + 1) == Tok::LParen,
            Tok::Tilde => *self.tok_at(i + 1) == Tok::Ident && *self.tok_at(i + 2) == Tok::LParen,
            _ => false,
        }
    }

    /// `name(args)` or `~name(args)`; the current token is the name (or `~`) and the next
    /// one is `(` (or the name). A strongly negated atom's relation is named `~name`: the
    /// relation of the reports that `name` does not hold (see `lang::defeasible`).
    fn parse_atom(&mut self) -> PResult<Atom> {
        let relation = if *self.tok() == Tok::Tilde {
            let tilde = self.span();
            self.bump();
            let name = self.ident();
            Ident { name: format!("~{}", name.name), span: tilde.to(name.span) }
        } else {
            self.ident()
        };
        let args = self.parse_args()?;
        Ok(Atom { span: relation.span.to(self.prev_span()), relation, args })
    }

    /// `( expr, ... )`; the current token is `(`.
    fn parse_args(&mut self) -> PResult<Vec<Expr>> {
        self.expect(Tok::LParen, "`(`")?;
        let mut args = Vec::new();
        if self.eat(Tok::RParen) {
            return Ok(args);
        }
        loop {
            args.push(self.parse_expr()?);
            if self.eat(Tok::Comma) {
                continue;
            }
            self.expect(Tok::RParen, "`)` or `,` after argument")?;
            return Ok(args);
        }
    }

    // ---- bodies -------------------------------------------------------------------------

    fn parse_body(&mut self) -> PResult<Body> {
        self.enter()?;
        let r = self.parse_disjunction();
        self.leave();
        r
    }

    fn parse_disjunction(&mut self) -> PResult<Body> {
        let mut items = vec![self.parse_conjunction()?];
        while self.eat(Tok::Semi) {
            items.push(self.parse_conjunction()?);
        }
        Ok(collapse(items, Body::Or))
    }

    fn parse_conjunction(&mut self) -> PResult<Body> {
        let mut items = vec![self.parse_term()?];
        while self.eat(Tok::Comma) {
            items.push(self.parse_term()?);
        }
        Ok(collapse(items, Body::And))
    }

    /// Whether the token at `i` continues an expression as an infix operator.
    fn is_infix_at(&self, i: usize) -> bool {
        match self.tok_at(i) {
            Tok::Plus | Tok::Minus | Tok::Star | Tok::Slash | Tok::Percent | Tok::Caret => true,
            Tok::Ident => word_op(self.text_of(i)).is_some(),
            t => compare_op(t).is_some(),
        }
    }

    fn parse_term(&mut self) -> PResult<Body> {
        match self.tok() {
            Tok::LParen => {
                // `(a(x); b(x))` groups literals; `(x + 1) = y` starts a comparison.
                let is_group = match self.after_matching(self.pos) {
                    Some(after) => !self.is_infix_at(after),
                    None => true,
                };
                if is_group {
                    let open = self.span();
                    self.bump();
                    let inner = self.parse_body()?;
                    self.expect(Tok::RParen, "`)` to close the group")?;
                    let span = open.to(self.prev_span());
                    // Keep the group's own span on And/Or nodes.
                    return Ok(match inner {
                        Body::And(v, _) => Body::And(v, span),
                        Body::Or(v, _) => Body::Or(v, span),
                        lit => lit,
                    });
                }
                self.parse_comparison()
            }
            Tok::Tilde if self.at_atom(self.pos) => Ok(Body::Lit(Literal::Atom(self.parse_atom()?))),
            Tok::Bang => {
                let bang = self.span();
                self.bump();
                if !self.at_atom(self.pos) {
                    return Err(self.expected("an atom after `!`"));
                }
                let atom = self.parse_atom()?;
                let span = bang.to(atom.span);
                Ok(Body::Lit(Literal::Negated(atom, span)))
            }
            Tok::Ident => {
                let word = self.cur_text();
                if word == "not" && *self.nth(1) == Tok::Ident {
                    let name = self.pos + 1;
                    let atom = match self.after_matching(name + 1) {
                        Some(after) if *self.nth(2) == Tok::LParen => {
                            let (a, b) = (self.toks[name].start, self.toks[after - 1].end);
                            self.text[a as usize..b as usize].to_string()
                        }
                        _ => format!("{}(...)", self.text_of(name)),
                    };
                    let help = format!("write negation as `!{atom}`");
                    return Err(self.error_at(
                        self.span(),
                        "unexpected `not`".to_string(),
                        "not an operator here",
                        Some(&help),
                    ));
                }
                if (word == "true" || word == "false") && !self.is_infix_at(self.pos + 1) {
                    let b = word == "true";
                    let span = self.span();
                    self.bump();
                    return Ok(Body::Lit(Literal::Bool(b, span)));
                }
                if *self.nth(1) == Tok::LParen {
                    let after = self.after_matching(self.pos + 1);
                    let is_expr = after.is_some_and(|a| self.is_infix_at(a));
                    if !is_expr {
                        if crate::lang::functors::is_test(word) {
                            let name = self.ident();
                            let args = self.parse_args()?;
                            let span = name.span.to(self.prev_span());
                            return Ok(Body::Lit(Literal::Predicate { name, args, span }));
                        }
                        return Ok(Body::Lit(Literal::Atom(self.parse_atom()?)));
                    }
                }
                self.parse_comparison()
            }
            _ => self.parse_comparison(),
        }
    }

    fn parse_comparison(&mut self) -> PResult<Body> {
        if !self.starts_expr_at(self.pos) && *self.tok() != Tok::Ident {
            let found = self.describe(self.pos);
            let msg = if *self.tok() == Tok::If {
                "unexpected `:-`".to_string()
            } else {
                format!("expected a body literal (atom, `!atom` or comparison), found {found}")
            };
            let help = (*self.tok() == Tok::If).then_some("a rule has exactly one `:-`");
            return Err(self.error_at(self.span(), msg, "expected a literal", help));
        }
        let lhs = self.parse_expr()?;
        let Some(op) = compare_op(self.tok()) else {
            let found = self.describe(self.pos);
            if let Expr::Var(v) = &lhs {
                let msg = format!("expected `(` after `{}`, found {found}", v.name);
                let help = format!("an atom needs arguments: `{}(...)`", v.name);
                return Err(self.error_at(self.span(), msg, "expected `(`", Some(&help)));
            }
            let msg = format!("expected a comparison operator after expression, found {found}");
            return Err(self.error_at(self.span(), msg, "expected `=`, `!=`, `<`, `<=`, `>` or `>=`", None));
        };
        self.bump();
        let rhs = self.parse_expr()?;
        let span = lhs.span().to(rhs.span());
        Ok(Body::Lit(Literal::Compare { op, lhs, rhs, span }))
    }

    // ---- expressions --------------------------------------------------------------------

    fn parse_expr(&mut self) -> PResult<Expr> {
        self.parse_binary(1)
    }

    /// The binary operator at the current token and its precedence (1 = `lor` ... 9 = `*`).
    fn infix_op(&self) -> Option<(BinaryOp, u8)> {
        Some(match self.tok() {
            Tok::Plus => (BinaryOp::Add, 8),
            Tok::Minus => (BinaryOp::Sub, 8),
            Tok::Star => (BinaryOp::Mul, 9),
            Tok::Slash => (BinaryOp::Div, 9),
            Tok::Percent => (BinaryOp::Mod, 9),
            Tok::Ident => return word_op(self.cur_text()),
            _ => return None,
        })
    }

    fn parse_binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let saved = self.depth;
        let r = self.parse_binary_chain(min_prec);
        self.depth = saved;
        r
    }

    /// A chain of binary operators (`1 + 2 - 3 + ...`), read iteratively. Written left to
    /// right it is a left-leaning tree as deep as the chain is long, which later stages (and
    /// `Drop`) would recurse over; runs of associative operators are regrouped into a
    /// balanced tree of the same value instead (arithmetic wraps, so `a - b + c` is
    /// `a - (b - c)` exactly), so a sum of a million terms is about 20 levels deep. Only
    /// the operators that cannot be regrouped (`/`, `%`, shifts) count towards the nesting
    /// limit, one level each, like parentheses.
    fn parse_binary_chain(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut operands = vec![self.parse_unary()?];
        let mut ops = Vec::new();
        while let Some((op, prec)) = self.infix_op() {
            if prec < min_prec {
                break;
            }
            let new_block = family(op).is_none() || ops.last().is_none_or(|&last| family(last) != family(op));
            if new_block {
                if self.depth >= MAX_DEPTH {
                    let msg = format!("expression nesting too deep (more than {MAX_DEPTH} levels)");
                    return Err(self.error_at(
                        self.span(),
                        msg,
                        "nested too deeply here",
                        Some("split the expression into several rules or comparisons"),
                    ));
                }
                self.depth += 1;
            }
            self.bump();
            ops.push(op);
            operands.push(self.parse_binary(prec + 1)?);
        }
        Ok(build_chain(operands, &ops))
    }

    /// Whether the token at `i` can begin an expression.
    fn starts_expr_at(&self, i: usize) -> bool {
        match self.tok_at(i) {
            Tok::Ident => word_op(self.text_of(i)).is_none(),
            Tok::Functor | Tok::Int(_) | Tok::Float | Tok::Str(_) | Tok::Dollar | Tok::Minus | Tok::LParen => true,
            _ => false,
        }
    }

    /// Prefix operators bind looser than `^` (as in Soufflé: `-2^2` is `-(2^2)`).
    fn parse_unary(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.parse_unary_inner();
        self.leave();
        r
    }

    fn parse_unary_inner(&mut self) -> PResult<Expr> {
        let start = self.span();
        let op = match self.tok() {
            Tok::Minus => {
                // `-5` is a negative literal (unless `^` follows: `-2^2` is `-(2^2)`).
                if matches!(self.nth(1), Tok::Int(_)) && *self.nth(2) != Tok::Caret {
                    self.bump();
                    let v = self.int_literal(true, start)?;
                    return Ok(Expr::Number(v, start.to(self.prev_span())));
                }
                UnaryOp::Neg
            }
            Tok::Ident if self.cur_text() == "bnot" && self.starts_expr_at(self.pos + 1) => UnaryOp::Bnot,
            Tok::Ident if self.cur_text() == "lnot" && self.starts_expr_at(self.pos + 1) => UnaryOp::Lnot,
            _ => return self.parse_power(),
        };
        self.bump();
        let arg = self.parse_unary()?;
        let span = start.to(arg.span());
        Ok(Expr::Unary { op, arg: Box::new(arg), span })
    }

    fn parse_power(&mut self) -> PResult<Expr> {
        let base = self.parse_primary()?;
        if self.eat(Tok::Caret) {
            // Right-associative; the exponent may itself carry a prefix operator.
            let exp = self.parse_unary()?;
            let span = base.span().to(exp.span());
            return Ok(Expr::Binary { op: BinaryOp::Pow, lhs: Box::new(base), rhs: Box::new(exp), span, chain: false });
        }
        Ok(base)
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let span = self.span();
        match self.tok().clone() {
            Tok::Int(_) => Ok(Expr::Number(self.int_literal(false, span)?, span)),
            Tok::Float => {
                let text = self.cur_text().to_string();
                self.bump();
                Ok(Expr::Float(text, span))
            }
            Tok::Str(s) => {
                self.bump();
                Ok(Expr::Str(s, span))
            }
            Tok::Dollar if *self.nth(1) == Tok::Ident && self.toks[self.pos + 1].start == self.toks[self.pos].end => {
                // `$Circle(r)`, or `$Zero` for a branch without fields.
                self.bump();
                let name = self.ident();
                let args = if *self.tok() == Tok::LParen { self.parse_args()? } else { Vec::new() };
                Ok(Expr::Branch { name, args, span: span.to(self.prev_span()) })
            }
            Tok::Dollar => {
                self.bump();
                Ok(Expr::Counter(span))
            }
            Tok::LBracket => {
                self.bump();
                let mut fields = Vec::new();
                if !self.eat(Tok::RBracket) {
                    loop {
                        fields.push(self.parse_expr()?);
                        if self.eat(Tok::RBracket) {
                            break;
                        }
                        if !self.eat(Tok::Comma) {
                            return Err(self.expected("`,` or `]`"));
                        }
                    }
                }
                Ok(Expr::Record(fields, span.to(self.prev_span())))
            }
            Tok::Functor => {
                let func = self.ident();
                if *self.tok() != Tok::LParen {
                    return Err(self.expected("`(` after the functor name"));
                }
                let args = self.parse_args()?;
                Ok(Expr::Call { func, args, span: span.to(self.prev_span()) })
            }
            Tok::LParen => {
                self.bump();
                let e = self.parse_expr()?;
                self.expect(Tok::RParen, "`)` to close the parenthesis")?;
                Ok(e)
            }
            Tok::Ident => self.parse_ident_expr(),
            _ => Err(self.expected("an expression")),
        }
    }

    fn parse_ident_expr(&mut self) -> PResult<Expr> {
        let span = self.span();
        let word = self.cur_text();
        if word == "_" {
            self.bump();
            return Ok(Expr::Wildcard(span));
        }
        if let Some(func) = aggregate_func(word) {
            let is_aggregate = match self.nth(1) {
                Tok::Colon => true,
                // No functor is called `sum` or `mean`: `sum (x * 2) - k : {...}` is an
                // aggregate. `min (a) + b : {...}` is one only when the parenthesis closes the
                // target (`min (a + b) : {...}`, as `fmt` writes it); otherwise `min(a, b)`.
                Tok::LParen => match func {
                    AggregateFunc::Count => false,
                    AggregateFunc::Sum | AggregateFunc::Mean => true,
                    AggregateFunc::Min | AggregateFunc::Max => {
                        self.after_matching(self.pos + 1).is_some_and(|a| *self.tok_at(a) == Tok::Colon)
                    }
                },
                _ => func != AggregateFunc::Count && self.starts_expr_at(self.pos + 1),
            };
            if is_aggregate {
                return self.parse_aggregate(func);
            }
            if *self.nth(1) == Tok::LBrace {
                let msg = format!("expected `:` between `{word}` and `{{`");
                let help = match func {
                    AggregateFunc::Count => "write `count : { p(x) }`".to_string(),
                    _ => format!("write `{word} x : {{ p(x) }}`"),
                };
                return Err(self.error_at(self.span_of(self.pos + 1), msg, "expected `:`", Some(&help)));
            }
        }
        let next_paren = *self.nth(1) == Tok::LParen;
        if word == "as" && next_paren {
            self.bump();
            self.bump();
            let arg = self.parse_expr()?;
            self.expect(Tok::Comma, "`,` and a type in `as(expr, Type)`")?;
            if *self.tok() != Tok::Ident {
                return Err(self.expected("a type name"));
            }
            let ty = self.ident();
            self.expect(Tok::RParen, "`)` after the type")?;
            return Ok(Expr::Cast { arg: Box::new(arg), ty, span: span.to(self.prev_span()) });
        }
        let id = self.ident();
        if next_paren {
            let args = self.parse_args()?;
            return Ok(Expr::Call { func: id, args, span: span.to(self.prev_span()) });
        }
        if id.name.contains('.') {
            // The lexer reads `inst.rel` as one name; only relations have qualified names.
            let msg = format!("`{}` is a qualified relation name, not a variable", id.name);
            let help = "put a space after a `.` that ends a rule";
            return Err(self.error_at(id.span, msg, "not a variable", Some(help)));
        }
        if id.name == "nil" {
            // A keyword in Soufflé: the empty record, never a variable.
            return Ok(Expr::Nil(id.span));
        }
        Ok(Expr::Var(id))
    }

    /// `count : { body }`, `sum e : { body }`, `min e : atom`, ...
    fn parse_aggregate(&mut self, func: AggregateFunc) -> PResult<Expr> {
        let start = self.span();
        self.bump();
        let target = if *self.tok() == Tok::Colon { None } else { Some(Box::new(self.parse_expr()?)) };
        if *self.tok() != Tok::Colon {
            return Err(self.expected("`:` after the aggregate target"));
        }
        if func != AggregateFunc::Count && target.is_none() {
            let name = self.text_of(self.pos - 1).to_string();
            let msg = format!("`{name}` aggregate needs an expression before `:`");
            let help = format!("write `{name} x : {{ p(x) }}`");
            return Err(self.error_at(self.span(), msg, "expected an expression", Some(&help)));
        }
        self.bump();
        let body = match self.tok() {
            Tok::LBrace => {
                self.bump();
                let b = self.parse_body()?;
                self.expect(Tok::RBrace, "`}` to close the aggregate body")?;
                b
            }
            Tok::Ident if *self.nth(1) == Tok::LParen => Body::Lit(Literal::Atom(self.parse_atom()?)),
            _ => return Err(self.expected("`{` or an atom after `:` in aggregate")),
        };
        Ok(Expr::Aggregate { func, target, body: Box::new(body), span: start.to(self.prev_span()) })
    }
}

fn collapse(mut items: Vec<Body>, make: fn(Vec<Body>, Span) -> Body) -> Body {
    if items.len() == 1 {
        return items.pop().expect("one item");
    }
    let span = items[0].span().to(items[items.len() - 1].span());
    make(items, span)
}

/// The operators that may be regrouped with their neighbours of the same family: the
/// additive ones (with signs), and each associative operator on its own.
fn family(op: BinaryOp) -> Option<u8> {
    match op {
        BinaryOp::Add | BinaryOp::Sub => Some(0),
        BinaryOp::Mul => Some(1),
        BinaryOp::Band => Some(2),
        BinaryOp::Bor => Some(3),
        BinaryOp::Bxor => Some(4),
        BinaryOp::Land => Some(5),
        BinaryOp::Lor => Some(6),
        BinaryOp::Lxor => Some(7),
        BinaryOp::Div | BinaryOp::Mod | BinaryOp::Pow | BinaryOp::Bshl | BinaryOp::Bshr | BinaryOp::Bshru => None,
    }
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr, chain: bool) -> Expr {
    let span = lhs.span().to(rhs.span());
    Expr::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs), span, chain }
}

/// The tree of `operands[0] ops[0] operands[1] ops[1] ...`, evaluated left to right: each
/// run of operators of one family after the current left operand becomes a balanced
/// subtree, `L op1 t1 op2 t2 ...` = `L op1 (t1 op2' t2 ...)` (for `-`, the signs inside
/// flip: `L - t1 + t2` = `L - (t1 - t2)`); other operators apply one at a time.
fn build_chain(operands: Vec<Expr>, ops: &[BinaryOp]) -> Expr {
    let mut terms: Vec<Option<Expr>> = operands.into_iter().map(Some).collect();
    let Some(mut lhs) = terms.remove(0) else { unreachable!("a chain has a first operand") };
    let mut i = 0;
    while i < ops.len() {
        let Some(f) = family(ops[i]) else {
            let Some(rhs) = terms[i].take() else { unreachable!("each operand is used once") };
            lhs = binary(ops[i], lhs, rhs, false);
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < ops.len() && family(ops[j]) == Some(f) {
            j += 1;
        }
        // Signs of terms i..j relative to term i (only `-` flips).
        let minus: Vec<bool> = (i..j).map(|k| ops[k] == BinaryOp::Sub).collect();
        let relative: Vec<bool> = minus.iter().map(|&m| m != minus[0]).collect();
        let block = balanced(&mut terms[i..j], &relative, &ops[i..j]);
        lhs = binary(ops[i], lhs, block, false);
        i = j;
    }
    lhs
}

/// `terms[0] ± terms[1] ± ...` as a balanced tree, `minus[k]` saying whether term k is
/// subtracted (relative to term 0, which never is); `ops` gives the family's operator.
fn balanced(terms: &mut [Option<Expr>], minus: &[bool], ops: &[BinaryOp]) -> Expr {
    if let [only] = terms {
        let Some(term) = only.take() else { unreachable!("each operand is used once") };
        return term;
    }
    let mid = terms.len() / 2;
    let left = balanced(&mut terms[..mid], &minus[..mid], &ops[..mid]);
    // The right half's signs, relative to its own first term.
    let right_minus: Vec<bool> = minus[mid..].iter().map(|&m| m != minus[mid]).collect();
    let right = balanced(&mut terms[mid..], &right_minus, &ops[mid..]);
    let op = match ops[mid] {
        BinaryOp::Add | BinaryOp::Sub if minus[mid] => BinaryOp::Sub,
        BinaryOp::Add | BinaryOp::Sub => BinaryOp::Add,
        op => op,
    };
    binary(op, left, right, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use itertools::Itertools;

    const F: FileId = FileId(0);

    #[test]
    fn components_and_qualified_names() {
        let items = parse_ok(
            ".comp G<N> : B<N>, C {\n .decl e(a: N) overridable\n .override x\n .init i = H<N>\n e(1).\n}\n.init g = G<number>\ng.i.e(2) :- g.e(2).\n.output g.i.e",
        );
        let Item::Comp(c) = &items[0] else { panic!("{items:?}") };
        assert_eq!((c.ty.name.name.as_str(), c.ty.args.len(), c.bases.len(), c.items.len()), ("G", 1, 2, 4));
        assert!(matches!(&c.items[1], Item::Override { relation, .. } if relation.name == "x"));
        let Item::Init(i) = &items[1] else { panic!() };
        assert_eq!(
            (i.name.name.as_str(), i.comp.name.name.as_str(), i.comp.args[0].name.as_str()),
            ("g", "G", "number")
        );
        let Item::Rule(r) = &items[2] else { panic!() };
        assert_eq!(r.heads[0].relation.name, "g.i.e");
        let Item::Directive(d) = &items[3] else { panic!() };
        assert_eq!(d.relations[0].name, "g.i.e");
        // `a.decl` is `a` and a directive; a qualified name is no variable.
        let (_, errs) = errors("p(x) :- q(x), x = y.z.\n");
        assert!(errs[0].message.contains("`y.z` is a qualified relation name, not a variable"), "{errs:?}");
        // A broken rule inside a body does not swallow the closing brace.
        let (items, errs) = errors(".comp A {\n r(1) :- .\n .decl q(x: number)\n}\n.init a = A\n");
        assert_eq!(errs.len(), 1, "{errs:?}");
        let Item::Comp(c) = &items[0] else { panic!("{items:?}") };
        assert!(matches!(c.items[..], [Item::Decl(_)]));
        assert!(matches!(items[1], Item::Init(_)));
    }

    fn parse_ok(text: &str) -> Vec<Item> {
        let (file, diags) = parse_file(F, text);
        assert!(diags.is_empty(), "unexpected diagnostics for {text:?}: {diags:#?}");
        file.items
    }

    fn errors(text: &str) -> (Vec<Item>, Vec<Diagnostic>) {
        let (file, diags) = parse_file(F, text);
        (file.items, diags)
    }

    fn sp(r: std::ops::Range<usize>) -> Span {
        Span::new(F, r)
    }

    fn rule(item: &Item) -> &Rule {
        match item {
            Item::Rule(r) => r,
            other => panic!("not a rule: {other:?}"),
        }
    }

    /// The single comparison in `p(x) :- <body>.`
    fn compare_rhs(body: &str) -> Expr {
        let text = format!("p(x) :- {body}.");
        let items = parse_ok(&text);
        match rule(&items[0]).body.clone() {
            Some(Body::Lit(Literal::Compare { rhs, .. })) => rhs,
            other => panic!("not a comparison: {other:?}"),
        }
    }

    /// A compact rendering of an expression tree for structural assertions.
    fn show(e: &Expr) -> String {
        match e {
            Expr::Var(v) => v.name.clone(),
            Expr::Wildcard(_) => "_".into(),
            Expr::Number(n, _) => n.to_string(),
            Expr::Float(t, _) => format!("f{t}"),
            Expr::Str(s, _) => format!("{s:?}"),
            Expr::Counter(_) => "$".into(),
            Expr::Unary { op, arg, .. } => format!("({op:?} {})", show(arg)),
            Expr::Binary { op, lhs, rhs, .. } => format!("({op:?} {} {})", show(lhs), show(rhs)),
            Expr::Call { func, args, .. } => {
                let a: Vec<_> = args.iter().map(show).collect();
                format!("{}({})", func.name, a.join(", "))
            }
            Expr::Aggregate { func, target, body, .. } => {
                format!("{func:?}[{}]{{{}}}", target.as_ref().map(|t| show(t)).unwrap_or_default(), show_body(body))
            }
            Expr::Cast { arg, ty, .. } => format!("as({}, {})", show(arg), ty.name),
            Expr::Record(fields, _) => format!("[{}]", fields.iter().map(show).join(", ")),
            Expr::Nil(_) => "nil".into(),
            Expr::Branch { name, args, .. } => format!("${}({})", name.name, args.iter().map(show).join(", ")),
        }
    }

    fn show_body(b: &Body) -> String {
        match b {
            Body::And(v, _) => {
                format!("and[{}]", v.iter().map(show_body).join(", "))
            }
            Body::Or(v, _) => {
                format!("or[{}]", v.iter().map(show_body).join(", "))
            }
            Body::Lit(Literal::Atom(a)) => show_atom(a),
            Body::Lit(Literal::Negated(a, _)) => format!("!{}", show_atom(a)),
            Body::Lit(Literal::Compare { op, lhs, rhs, .. }) => {
                format!("{} {op:?} {}", show(lhs), show(rhs))
            }
            Body::Lit(Literal::Bool(b, _)) => b.to_string(),
            Body::Lit(Literal::Predicate { name, args, .. }) => {
                format!("?{}({})", name.name, args.iter().map(show).join(", "))
            }
        }
    }

    fn show_atom(a: &Atom) -> String {
        format!("{}({})", a.relation.name, a.args.iter().map(show).join(", "))
    }

    fn body_of(text: &str) -> String {
        let items = parse_ok(text);
        show_body(rule(&items[0]).body.as_ref().expect("a body"))
    }

    #[test]
    fn declarations() {
        let text = ".decl backs(x: symbol, y:number) brie magic\n.decl empty()\n.decl e(a: T) eqrel\n";
        let items = parse_ok(text);
        assert_eq!(items.len(), 3);
        let Item::Decl(d) = &items[0] else { panic!() };
        assert_eq!(d.name.name, "backs");
        assert_eq!(d.name.span, sp(6..11));
        let cols: Vec<_> = d.columns.iter().map(|c| (c.name.name.as_str(), c.ty.name.as_str())).collect();
        assert_eq!(cols, vec![("x", "symbol"), ("y", "number")]);
        let q: Vec<_> = d.qualifiers.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(q, vec!["brie", "magic"]);
        assert_eq!(d.span, sp(0..text.find('\n').unwrap()));
        let Item::Decl(d) = &items[1] else { panic!() };
        assert!(d.columns.is_empty() && d.qualifiers.is_empty());
        let Item::Decl(d) = &items[2] else { panic!() };
        assert_eq!(d.qualifiers[0].name, "eqrel");
    }

    #[test]
    fn declaration_followed_by_rule() {
        let items = parse_ok(".decl a(x: number)\na(1).\n.decl b(x: number) inline\nb(2).");
        assert_eq!(items.len(), 4);
        let Item::Decl(d) = &items[0] else { panic!() };
        assert!(d.qualifiers.is_empty());
        assert_eq!(rule(&items[3]).heads[0].relation.name, "b");
    }

    #[test]
    fn column_without_type() {
        let (items, diags) = errors(".decl a(x)\nb(1).");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::Syntax);
        assert!(diags[0].message.contains("type"), "{}", diags[0].message);
        assert_eq!(diags[0].primary.as_ref().unwrap().span, sp(9..10));
        assert_eq!(items.len(), 1, "the following fact is kept");
    }

    #[test]
    fn type_declarations() {
        let items = parse_ok(
            ".type Person <: symbol\n.type Age = number\n.type Party = Person | Org\n.number_type N\n.symbol_type S",
        );
        let bases = |i: usize| match &items[i] {
            Item::Type(t) => (t.name.name.clone(), t.bases.iter().map(|b| b.name.clone()).collect::<Vec<_>>()),
            other => panic!("{other:?}"),
        };
        assert_eq!(bases(0), ("Person".into(), vec!["symbol".into()]));
        assert_eq!(bases(1), ("Age".into(), vec!["number".into()]));
        assert_eq!(bases(2), ("Party".into(), vec!["Person".into(), "Org".into()]));
        assert_eq!(bases(3), ("N".into(), vec!["number".into()]));
        assert_eq!(bases(4), ("S".into(), vec!["symbol".into()]));
        let Item::Type(t) = &items[3] else { panic!() };
        assert_eq!(t.bases[0].span, sp(70..81));
        assert_eq!(t.span, sp(69..83));
    }

    #[test]
    fn record_and_algebraic_data_types_parse() {
        let (items, diags) =
            errors(".type R = [a: number,\n b: R]\n.type E = []\n.type T = B {x: number}\n | A {}\np(1).");
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(items.len(), 4);
        let Item::Type(t) = &items[2] else { panic!("{items:?}") };
        let branches: Vec<(&str, usize)> =
            t.branches.iter().flatten().map(|(b, fields)| (b.name.as_str(), fields.len())).collect();
        assert_eq!(branches, [("B", 1), ("A", 0)]);
        assert_eq!(show(&compare_rhs("x = $B($A, [y])")), "$B($A(), [y])");
        let Item::Type(r) = &items[0] else { panic!("{items:?}") };
        let fields: Vec<(&str, &str)> =
            r.fields.iter().flatten().map(|(n, t)| (n.name.as_str(), t.name.as_str())).collect();
        assert_eq!(fields, [("a", "number"), ("b", "R")]);
        let Item::Type(e) = &items[1] else { panic!("{items:?}") };
        assert_eq!(e.fields.as_deref().map(<[_]>::len), Some(0));
    }

    #[test]
    fn record_constructors_nest_and_nil_is_a_keyword() {
        assert_eq!(show(&compare_rhs("x = [1, [y, nil], a + 1]")), "[1, [y, nil], (Add a 1)]");
        assert_eq!(show(&compare_rhs("x = []")), "[]");
        let (_, diags) = errors("p(x) :- x = [1, 2.\np(1).");
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(diags[0].message.contains("expected `,` or `]`"), "{diags:#?}");
        let (_, diags) = errors(".type R = [a number]\np(1).");
        assert!(diags[0].message.contains("expected `:` and the field's type"), "{diags:#?}");
    }

    #[test]
    fn io_directives() {
        let items = parse_ok(
            ".input a, b(filename=\"x.csv\", headers=true, skip=12, off=-1)\n.output c\n.printsize d\n.limitsize e(n=5)\n.output f()",
        );
        let Item::Directive(d) = &items[0] else { panic!() };
        assert_eq!(d.kind, DirectiveKind::Input);
        assert_eq!(d.keyword.name, "input");
        assert_eq!(d.keyword.span, sp(1..6));
        let rels: Vec<_> = d.relations.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(rels, vec!["a", "b"]);
        let params: Vec<_> = d.params.iter().map(|p| (p.key.name.as_str(), p.value.clone())).collect();
        assert_eq!(
            params,
            vec![
                ("filename", ParamValue::Str("x.csv".into())),
                ("headers", ParamValue::Word("true".into())),
                ("skip", ParamValue::Number(12)),
                ("off", ParamValue::Number(-1)),
            ]
        );
        let kinds: Vec<_> = items
            .iter()
            .map(|i| match i {
                Item::Directive(d) => d.kind,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                DirectiveKind::Input,
                DirectiveKind::Output,
                DirectiveKind::PrintSize,
                DirectiveKind::Other,
                DirectiveKind::Output
            ]
        );
        let Item::Directive(d) = &items[3] else { panic!() };
        assert_eq!(d.params[0].value, ParamValue::Number(5));
    }

    #[test]
    fn pragma_and_plan_ignored() {
        let items =
            parse_ok(".pragma \"legacy\" \"true\"\n.pragma magic\np(x) :- q(x), r(x).\n.plan 0:(1,2), 1:(2,1)\nq(1).");
        let whats: Vec<_> = items
            .iter()
            .map(|i| match i {
                Item::Ignored { what, .. } => what.clone(),
                Item::Rule(_) => "rule".into(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(whats, vec!["pragma", "pragma", "rule", "plan", "rule"]);
    }

    #[test]
    fn unsupported_constructs() {
        let (items, diags) = errors(
            "#include \"x.dl\"\n.functor f(x: number): number\n.comp C {\n .decl a(x: number)\n}\n.init c = C\np(1).",
        );
        assert_eq!(diags.len(), 2, "{diags:#?}");
        assert!(diags.iter().all(|d| d.code == Code::Unsupported));
        assert!(diags[0].message.contains("#include"));
        assert!(diags[1].message.contains(".functor"));
        assert_eq!(items.len(), 3);
    }

    #[test]
    fn facts() {
        let items = parse_ok("p(\"a \\\"b\\\"\\n\", 12, -5, 0x1F, 0b101, 1.5, 7u, _). q().");
        let r = rule(&items[0]);
        assert!(r.body.is_none());
        let args: Vec<_> = r.heads[0].args.iter().map(show).collect();
        assert_eq!(args, vec!["\"a \\\"b\\\"\\n\"", "12", "-5", "31", "5", "f1.5", "f7u", "_"]);
        assert_eq!(r.heads[0].args[2], Expr::Number(-5, sp(19..21)));
        assert_eq!(r.span, sp(0..48));
        assert_eq!(r.heads[0].span, sp(0..47));
        let q = rule(&items[1]);
        assert!(q.heads[0].args.is_empty());
        assert_eq!(q.span, sp(49..53));
    }

    #[test]
    fn number_range() {
        assert_eq!(show(&compare_rhs("x = -2147483648")), "-2147483648");
        let (_, diags) = errors("p(2147483648).\np(99999999999999999999999).\np(-2147483649).");
        assert_eq!(diags.len(), 3);
        assert!(diags.iter().all(|d| d.message == "number out of range"));
        assert_eq!(diags[0].primary.as_ref().unwrap().span, sp(2..12));
    }

    #[test]
    fn rules_on_one_line_and_multi_head() {
        let items = parse_ok("p(x).q(y).\na(x), b(x) :- c(x).\n:- a(x), !b(x).");
        assert_eq!(items.len(), 4);
        let r = rule(&items[2]);
        assert_eq!(r.heads.len(), 2);
        assert_eq!(r.heads[1].relation.name, "b");
        let c = rule(&items[3]);
        assert!(c.heads.is_empty());
        assert_eq!(show_body(c.body.as_ref().unwrap()), "and[a(x), !b(x)]");
        assert_eq!(c.span, sp(31..46));
    }

    #[test]
    fn disjunction_grouping() {
        assert_eq!(body_of("p(x) :- a(x), (b(x); c(x))."), "and[a(x), or[b(x), c(x)]]");
        assert_eq!(body_of("p(x) :- a(x), b(x); c(x)."), "or[and[a(x), b(x)], c(x)]");
        assert_eq!(body_of("p(x) :- ((a(x)))."), "a(x)");
        assert_eq!(body_of("p(x) :- a(x), ((x + 1) = 2 ; x = 3)."), "and[a(x), or[(Add x 1) Eq 2, x Eq 3]]");
        let items = parse_ok("p(x) :- a(x), (b(x); c(x)).");
        let Some(Body::And(v, s)) = &rule(&items[0]).body else { panic!() };
        assert_eq!(*s, sp(8..26));
        assert_eq!(v[1].span(), sp(14..26));
    }

    #[test]
    fn negation() {
        let items = parse_ok("p(x) :- q(x), !r(x, _).");
        let Some(Body::And(v, _)) = &rule(&items[0]).body else { panic!() };
        let Body::Lit(Literal::Negated(a, s)) = &v[1] else { panic!() };
        assert_eq!(a.relation.name, "r");
        assert_eq!(*s, sp(14..22));
        assert_eq!(a.span, sp(15..22));
    }

    #[test]
    fn comparisons() {
        assert_eq!(
            body_of("p(x) :- q(x, y), x = y, x != y, x < y, x <= y, x > y, x >= y."),
            "and[q(x, y), x Eq y, x Ne y, x Lt y, x Le y, x Gt y, x Ge y]"
        );
        assert_eq!(body_of("p(x) :- q(x), true, false."), "and[q(x), true, false]");
        assert_eq!(
            body_of("p(x) :- q(x), match(\"a.*\", x), contains(\"a\", x), strlen(x) > 3."),
            "and[q(x), ?match(\"a.*\", x), ?contains(\"a\", x), strlen(x) Gt 3]"
        );
    }

    #[test]
    fn precedence() {
        assert_eq!(show(&compare_rhs("x = 1 + 2 * 3 ^ 2")), "(Add 1 (Mul 2 (Pow 3 2)))");
        assert_eq!(show(&compare_rhs("x = 2 ^ 3 ^ 2")), "(Pow 2 (Pow 3 2))");
        // Chains of associative operators are regrouped (same value: arithmetic wraps).
        assert_eq!(show(&compare_rhs("x = 1 - 2 - 3")), "(Sub 1 (Add 2 3))");
        assert_eq!(show(&compare_rhs("x = 1 - 2 + 3 - 4")), "(Sub 1 (Sub 2 (Sub 3 4)))");
        assert_eq!(show(&compare_rhs("x = 1 / 2 / 3")), "(Div (Div 1 2) 3)");
        assert_eq!(show(&compare_rhs("x = (1 + 2) * 3")), "(Mul (Add 1 2) 3)");
        assert_eq!(show(&compare_rhs("x = -2 ^ 2")), "(Neg (Pow 2 2))");
        assert_eq!(show(&compare_rhs("x = -y * 2")), "(Mul (Neg y) 2)");
        assert_eq!(show(&compare_rhs("x = a % b / c")), "(Div (Mod a b) c)");
        assert_eq!(
            show(&compare_rhs("x = a lor b land c bor d band e bshl 1 + 1")),
            "(Lor a (Land b (Bor c (Band d (Bshl e (Add 1 1))))))"
        );
        assert_eq!(show(&compare_rhs("x = a lxor b bxor c bshr d bshru e")), "(Lxor a (Bxor b (Bshru (Bshr c d) e)))");
        assert_eq!(show(&compare_rhs("x = bnot y band lnot z")), "(Band (Bnot y) (Lnot z))");
        let e = compare_rhs("x = 1 + 2 * 3");
        assert_eq!(e.span(), sp(12..21));
    }

    #[test]
    fn calls_counter_cast() {
        assert_eq!(show(&compare_rhs("x = cat(a, to_string(strlen(b)))")), "cat(a, to_string(strlen(b)))");
        assert_eq!(show(&compare_rhs("x = min(a, b) + max(a, b)")), "(Add min(a, b) max(a, b))");
        assert_eq!(show(&compare_rhs("x = autoinc()")), "autoinc()");
        assert_eq!(show(&compare_rhs("x = $")), "$");
        assert_eq!(show(&compare_rhs("x = @f(y, 1)")), "@f(y, 1)");
        assert_eq!(show(&compare_rhs("x = as(y, Person)")), "as(y, Person)");
        let items = parse_ok("p($, autoinc()).");
        assert_eq!(show_atom(&rule(&items[0]).heads[0]), "p($, autoinc())");
    }

    #[test]
    fn aggregates() {
        assert_eq!(show(&compare_rhs("n = count : { q(_, y) }")), "Count[]{q(_, y)}");
        assert_eq!(show(&compare_rhs("n = count : q(_, y)")), "Count[]{q(_, y)}");
        assert_eq!(show(&compare_rhs("n = sum z : { q(z), z > 0 }")), "Sum[z]{and[q(z), z Gt 0]}");
        assert_eq!(show(&compare_rhs("n = min z : { q(z) }")), "Min[z]{q(z)}");
        assert_eq!(show(&compare_rhs("n = max z + 1 : q(z)")), "Max[(Add z 1)]{q(z)}");
        assert_eq!(show(&compare_rhs("n = mean z : { q(z); r(z) }")), "Mean[z]{or[q(z), r(z)]}");
        assert_eq!(show(&compare_rhs("n = sum (z * 2) : { q(z) }")), "Sum[(Mul z 2)]{q(z)}");
        let items = parse_ok("p(y, n) :- q(y), r(y, count : { s(y) }).");
        assert_eq!(show_body(rule(&items[0]).body.as_ref().unwrap()), "and[q(y), r(y, Count[]{s(y)})]");
        let e = compare_rhs("n = count : { q(_, y) }");
        assert_eq!(e.span(), sp(12..31));
        assert_eq!(body_of("p(n) :- n = count : { q(x) }, n > 1."), "and[n Eq Count[]{q(x)}, n Gt 1]");
    }

    #[test]
    fn doc_comments() {
        let items = parse_ok("// @display \"{x} backs {y}\"\n//second\np(x, y) :- q(x, y).\n// detached\n\nr(1).");
        assert_eq!(rule(&items[0]).doc, vec!["@display \"{x} backs {y}\"", "second"]);
        assert!(rule(&items[1]).doc.is_empty());
    }

    #[test]
    fn error_recovery() {
        let text = "a(1).\nb(x) :- c(x.\nd(2).\ne(x) :- not f(x).\ng(x) :- h(x), k.\nm(3).";
        let (items, diags) = errors(text);
        assert_eq!(diags.len(), 3, "{diags:#?}");
        assert!(diags.iter().all(|d| d.code == Code::Syntax));
        assert_eq!(diags[0].message, "expected `)` or `,` after argument, found `.`");
        assert_eq!(diags[0].primary.as_ref().unwrap().span, sp(17..18));
        assert_eq!(diags[1].message, "unexpected `not`");
        assert_eq!(diags[1].help.as_deref(), Some("write negation as `!f(x)`"));
        assert!(diags[2].message.starts_with("expected `(` after `k`"), "{}", diags[2].message);
        let names: Vec<_> = items.iter().map(|i| rule(i).heads[0].relation.name.clone()).collect();
        assert_eq!(names, vec!["a", "d", "m"]);
    }

    #[test]
    fn missing_if_and_bare_head() {
        let (items, diags) = errors("p(x) q(x).\nr.\ns(1).");
        assert_eq!(diags.len(), 2, "{diags:#?}");
        assert!(diags[0].message.contains("`:-`"));
        assert!(diags[0].help.is_some());
        assert!(diags[1].message.contains("expected `(`"));
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn unterminated_string_and_comment() {
        let (items, diags) = errors("p(1).\nq(\"abc).\nr(2).");
        assert!(!diags.is_empty());
        assert_eq!(diags[0].message, "unterminated string");
        assert_eq!(diags[0].primary.as_ref().unwrap().span, sp(8..9));
        assert!(items.iter().any(|i| rule(i).heads[0].relation.name == "r"));

        let (items, diags) = errors("p(1).\n/* open\nq(2).");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].message, "unterminated block comment");
        assert_eq!(diags[0].primary.as_ref().unwrap().span, sp(6..8));
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn deep_nesting_guard() {
        let deep = format!("p(x) :- x = {}1{}.\nq(1).", "(".repeat(100_000), ")".repeat(100_000));
        let (items, diags) = errors(&deep);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].message.contains("nesting too deep"));
        assert_eq!(items.len(), 1);

        let deep = format!("p(x) :- {}a(x){}.", "(".repeat(10_000), ")".repeat(10_000));
        let (_, diags) = errors(&deep);
        assert!(diags[0].message.contains("nesting too deep"));

        let deep = format!("p(x) :- x = {}1.", "-".repeat(10_000));
        let (_, diags) = errors(&deep);
        assert!(diags[0].message.contains("nesting too deep"));

        let ok = format!("p(x) :- x = {}1{}.", "(".repeat(200), ")".repeat(200));
        parse_ok(&ok);
    }

    /// The value of a constant expression, with the engine's wrapping arithmetic.
    fn value(e: &Expr) -> Option<i32> {
        Some(match e {
            Expr::Number(n, _) => *n,
            Expr::Unary { op: UnaryOp::Neg, arg, .. } => value(arg)?.wrapping_neg(),
            Expr::Binary { op, lhs, rhs, .. } => {
                let (a, b) = (value(lhs)?, value(rhs)?);
                match op {
                    BinaryOp::Add => a.wrapping_add(b),
                    BinaryOp::Sub => a.wrapping_sub(b),
                    BinaryOp::Mul => a.wrapping_mul(b),
                    BinaryOp::Div => a.checked_div(b)?,
                    BinaryOp::Mod => a.checked_rem(b)?,
                    BinaryOp::Band => a & b,
                    BinaryOp::Bor => a | b,
                    BinaryOp::Bxor => a ^ b,
                    BinaryOp::Bshl => a.wrapping_shl(b as u32),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    fn depth(e: &Expr) -> usize {
        match e {
            Expr::Binary { lhs, rhs, .. } => 1 + depth(lhs).max(depth(rhs)),
            Expr::Unary { arg, .. } => 1 + depth(arg),
            _ => 0,
        }
    }

    /// Regrouping keeps the value of left-to-right evaluation, for every mix of operators.
    #[test]
    fn regrouped_chains_keep_their_value() {
        let ops = ["+", "-", "*", "/", "%", "band", "bor", "bxor", "bshl"];
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..2000 {
            let len = 1 + next(12) as usize;
            let mut text = format!("{}", next(2_000_000_000));
            // Left to right, with the parser's precedences: a reference parse of the same
            // text by a left-leaning precedence climber is the unregrouped tree.
            for _ in 0..len {
                let op = ops[next(ops.len() as u64) as usize];
                let n = if op == "bshl" { next(31) } else { next(2_000_000_000) + 1 };
                text.push_str(&format!(" {op} {n}"));
            }
            let e = compare_rhs(&format!("x = {text}"));
            assert_eq!(value(&e), reference(&text), "{text}");
        }
    }

    /// Left-to-right evaluation of a flat chain, precedence by precedence (the meaning the
    /// parser had before regrouping).
    fn reference(text: &str) -> Option<i32> {
        let toks: Vec<&str> = text.split(' ').collect();
        let prec = |op: &str| match op {
            "*" | "/" | "%" => 9,
            "+" | "-" => 8,
            "bshl" => 7,
            "band" => 6,
            "bxor" => 5,
            _ => 4,
        };
        fn apply(op: &str, a: i32, b: i32) -> Option<i32> {
            Some(match op {
                "+" => a.wrapping_add(b),
                "-" => a.wrapping_sub(b),
                "*" => a.wrapping_mul(b),
                "/" => a.checked_div(b)?,
                "%" => a.checked_rem(b)?,
                "band" => a & b,
                "bor" => a | b,
                "bxor" => a ^ b,
                _ => a.wrapping_shl(b as u32),
            })
        }
        let (mut vals, mut stack): (Vec<i32>, Vec<&str>) = (vec![toks[0].parse().ok()?], Vec::new());
        for pair in toks[1..].chunks(2) {
            while let Some(&top) = stack.last() {
                if prec(top) < prec(pair[0]) {
                    break;
                }
                let b = vals.pop()?;
                let a = vals.pop()?;
                vals.push(apply(stack.pop()?, a, b)?);
            }
            stack.push(pair[0]);
            vals.push(pair[1].parse().ok()?);
        }
        while let Some(op) = stack.pop() {
            let b = vals.pop()?;
            let a = vals.pop()?;
            vals.push(apply(op, a, b)?);
        }
        vals.pop()
    }

    /// Soufflé reads a sum of any length; so does stance, as a balanced tree. Only
    /// operators that cannot be regrouped count towards the nesting limit.
    #[test]
    fn long_operator_chains() {
        let terms: Vec<String> = (0..100_000).map(|i| format!("{} {i}", if i % 3 == 0 { "-" } else { "+" })).collect();
        let long = format!("p(x) :- x = 0 {}.\nq(1).", terms.join(" "));
        let (items, d) = errors(&long);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(items.len(), 2);
        let e = compare_rhs(&format!("x = 0 {}", terms.join(" ")));
        assert!(depth(&e) <= 20, "{}", depth(&e));
        let expected = (0..100_000i64).map(|i| if i % 3 == 0 { -i } else { i }).sum::<i64>();
        assert_eq!(value(&e), Some(expected as i32));
        let ok = format!("p(x) :- x = {}1.", "8 / ".repeat(200));
        parse_ok(&ok);
        let long = format!("p(x) :- x = {}1.\nq(1).", "8 / ".repeat(100_000));
        let (items, d) = errors(&long);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("nesting too deep"), "{}", d[0].message);
        assert_eq!(items.len(), 1);
    }

    /// Every kind of nesting up to (and just past) the limit, on the default test-thread stack.
    #[test]
    fn deep_nesting_of_each_kind_does_not_overflow() {
        let n = MAX_DEPTH as usize;
        let cases = [
            format!("p(x) :- x = {}1{}.", "f(".repeat(n), ")".repeat(n)),
            format!("p(x) :- x = {}1{}.", "@f(".repeat(n), ")".repeat(n)),
            format!("p(x) :- x = {}1{}.", "as(".repeat(n), ", T)".repeat(n)),
            format!("p(x) :- {}a(x){}.", "(".repeat(n), ")".repeat(n)),
            format!("p(x) :- {}a(x){}.", "(b(x); ".repeat(n), ")".repeat(n)),
            format!("p(x) :- x = {}1.", "- bnot lnot ".repeat(n)),
            format!("p(x) :- x = {}1.", "2 ^ ".repeat(n)),
            format!("p(x) :- x = {}q(y){}.", "count : { q(y), y = ".repeat(n), " }".repeat(n)),
            format!("p(x) :- x = {}q(y){}.", "sum y : { q(y), y = ".repeat(n), " }".repeat(n)),
            format!("p(x) :- a({}1{}).", "(".repeat(n), ")".repeat(n)),
        ];
        for text in &cases {
            let (_, diags) = errors(text);
            assert_eq!(diags.len(), 1, "{diags:?}");
            assert!(diags[0].message.contains("nesting too deep"), "{}", diags[0].message);
        }
    }

    #[test]
    fn large_body() {
        let body: Vec<String> = (0..10_000).map(|i| format!("a{i}(x, {i})")).collect();
        let text = format!("p(x) :- {}.", body.join(", "));
        let items = parse_ok(&text);
        let Some(Body::And(v, _)) = &rule(&items[0]).body else { panic!() };
        assert_eq!(v.len(), 10_000);
    }

    #[test]
    fn megabyte_file_is_fast() {
        let mut text = String::new();
        let mut i = 0;
        while text.len() < 1_000_000 {
            text.push_str(&format!("r{i}(x, y) :- a(x, z), b(z, y), !c(y), x != \"s{i}\", y = z + 1 * 2.\n"));
            i += 1;
        }
        let t = std::time::Instant::now();
        let (file, diags) = parse_file(F, &text);
        assert!(diags.is_empty());
        assert_eq!(file.items.len(), i);
        assert!(t.elapsed().as_secs_f64() < 5.0, "took {:?}", t.elapsed());
    }

    #[test]
    fn body_error_messages() {
        let (_, d) = errors("p(x) :- :- q(x).");
        assert_eq!(d[0].message, "unexpected `:-`");
        assert_eq!(d[0].primary.as_ref().unwrap().span, sp(8..10));
        let (_, d) = errors("p(x) :- .");
        assert!(d[0].message.starts_with("expected a body literal"), "{}", d[0].message);
        let (_, d) = errors("p(x) :- q(x) :- r(x).");
        assert!(d[0].message.contains("found `:-`"), "{}", d[0].message);
        let (_, d) = errors("p(x) :- q(x), x + 1.");
        assert!(d[0].message.starts_with("expected a comparison operator"), "{}", d[0].message);
        let (_, d) = errors("p(x) :- q(x)");
        assert!(d[0].message.ends_with("found end of file"), "{}", d[0].message);
    }

    #[test]
    fn unknown_directive_and_choice_domain() {
        let (items, d) = errors(".inptu a\np(1).");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "unknown directive `.inptu`");
        assert_eq!(d[0].primary.as_ref().unwrap().span, sp(0..6));
        assert_eq!(d[0].help.as_deref(), Some("did you mean `.input`?"));
        assert_eq!(items.len(), 1);

        let items = parse_ok(".decl a(x: number, y: number) choice-domain x, (x, y)\na(1, 2).");
        let Item::Decl(d) = &items[0] else { panic!() };
        assert_eq!(d.qualifiers[0].name, "choice-domain");
        assert_eq!(d.qualifiers[0].span, sp(30..43));
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn too_many_errors_are_capped() {
        let text = "p(.\n".repeat(5000) + &"\"\n".repeat(5000) + "q(1).";
        let (items, d) = errors(&text);
        assert!(d.len() <= MAX_DIAGNOSTICS + 1, "{}", d.len());
        assert!(d.last().unwrap().message.starts_with("too many syntax errors"));
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn pathological_inputs_end_in_diagnostics() {
        let n = 1_000_000;
        let inputs = [
            ".".repeat(n),
            "(".repeat(n),
            ")".repeat(n),
            "\0".repeat(n),
            "\"".repeat(n),
            "p(x) :- ".to_string() + &"a(x), ".repeat(n / 6),
            "p(x) :- x = ".to_string() + &"1 + ".repeat(n / 4) + "1.",
            "p(x) :- ".to_string() + &"a(x); ".repeat(n / 6) + "b(x).",
            "/*".repeat(n / 2),
            "// c\n".repeat(n / 5),
            "-".repeat(n),
            "x".repeat(n),
            "p(x) :- x = ".to_string() + &"[".repeat(n),
        ];
        // Each ends (no stack overflow, no panic), with located errors unless it is valid: a
        // long chain of `+`, a long disjunction and a file of comments are. How fast is libFuzzer's `-timeout=1` on
        // the instrumented parser (fuzz/README.md), not a test's.
        for (i, text) in inputs.iter().enumerate() {
            let (_, diagnostics) = parse_file(F, text);
            let valid = matches!(i, 6 | 7 | 9);
            assert_eq!(diagnostics.is_empty(), valid, "{:?}: {diagnostics:?}", &text[..20]);
        }
    }

    #[test]
    fn unsupported_expressions_and_rules() {
        let (items, d) = errors("a(x) <= a(y) :- b(x, y).\np([1, 2]).\nq($B(1)).\nr(1).");
        let codes: Vec<_> = d.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![Code::Unsupported; 1], "{d:#?}");
        assert!(d[0].message.contains("subsumptive"));
        assert_eq!(items.len(), 3);
    }

    #[test]
    fn helpful_messages() {
        let (_, d) = errors("j(x) :- x = count { a(x) }.");
        assert_eq!(d[0].message, "expected `:` between `count` and `{`");
        let (_, d) = errors("c(x) :- a(x) d(x).");
        assert!(d[0].help.as_deref().unwrap().contains("separate literals"));
    }

    #[test]
    fn missing_dot_resumes_at_next_rule() {
        let (items, d) = errors("a(1)\nb(x) :- a(x)\nc(x) :- b(x).\n.decl d(x: number)\ninput(1).");
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(d.iter().all(|d| d.help.as_deref().unwrap().contains("previous line")));
        assert_eq!(d[0].primary.as_ref().unwrap().span, sp(5..6));
        let names: Vec<_> = items
            .iter()
            .map(|i| match i {
                Item::Rule(r) => r.heads[0].relation.name.clone(),
                Item::Decl(d) => format!("decl {} {}", d.name.name, d.qualifiers.len()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, vec!["c", "decl d 0", "input"]);
    }

    /// Random token soup from a fixed seed: parsing must never panic or loop.
    #[test]
    fn random_token_soup_never_panics() {
        const PIECES: &[&str] = &[
            "p",
            "(",
            ")",
            ",",
            ";",
            ".",
            ":-",
            ":",
            "x",
            "_",
            "1",
            "-",
            "+",
            "^",
            "!",
            "=",
            "<",
            "{",
            "}",
            "[",
            "]",
            "\"s\"",
            "\"",
            "count",
            "sum",
            "min",
            "as",
            "band",
            "bnot",
            "$",
            "@f",
            ".decl",
            ".type",
            ".input",
            ".plan",
            "|",
            "<:",
            "\n",
            " ",
            "//c\n",
            "/*",
            "*/",
            "#x",
            "true",
            "not",
            "1.5",
            "0x",
            "choice-domain",
            "\u{e9}",
            "\0",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut text = String::new();
            let len = (seed >> 59) as usize + 1;
            for _ in 0..len * 4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            let (_, diags) = parse_file(F, &text);
            for d in &diags {
                if let Some(l) = &d.primary {
                    assert!(l.span.end as usize <= text.len() && l.span.start <= l.span.end);
                }
            }
        }
    }

    #[test]
    fn broken_string_in_directive_reports_once() {
        let (items, d) = errors(".input a(filename=\"x.csv)\np(1).");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].message, "unterminated string");
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            ".",
            "..",
            ":-",
            "(",
            ")",
            "p(",
            "p(x) :-",
            "\0\0",
            ".decl",
            ".type",
            ".input",
            "count : {",
            "p(x) :- x = count :",
            "@",
            "#",
            "p(x) :- x = 1 +.",
            "\"",
            "/*",
            "p(-)",
            ".decl a(x: number) b",
            "p(x) :- (a(x); .",
            "p(x) :- x = min : { q(x) }.",
        ] {
            let _ = parse_file(F, text);
        }
    }
}
