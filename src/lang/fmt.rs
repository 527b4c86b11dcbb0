//! The canonical layout of a rule file, for `stance fmt`.
//!
//! Items are printed from the syntax tree; comments, which the tree does not keep, are
//! copied from the source text between items. The layout:
//! - directives and declarations one per line, `.decl rel(x: symbol, y: number)`;
//! - a rule on one line when its body is a single literal and it fits in [`WIDTH`]
//!   columns, otherwise the head and `:-`, then one body literal per line, indented;
//! - a rule printed over several lines is a paragraph of its own (blank lines around it,
//!   the comments directly above it staying attached);
//! - blank lines as written, at most one in a row; comments as written: inside a rule they
//!   stay inside it (at the end of the line they were on, or on a line of their own between
//!   the same body literals), so a rule's doc comment and `@display` never change; inside a
//!   declaration or directive they move to the line above it;
//! - strings re-escaped, binary operators spaced, parentheses only where precedence
//!   needs them.
//!
//! Formatting is idempotent and never changes what a program derives.

use crate::base::source::Span;
use crate::lang::syntax::ast::*;
use itertools::Itertools;
use std::fmt::Write;

/// Rules longer than this are broken over several lines.
pub const WIDTH: usize = 100;
const INDENT: &str = "    ";

/// Moves the comments that start before `limit` (and after what was already printed) into
/// `pieces`, each keeping the blank lines above it.
fn comments_before(
    limit: usize,
    text: &str,
    comments: &[(usize, usize)],
    ci: &mut usize,
    prev_end: &mut usize,
    pieces: &mut Vec<Piece>,
) {
    while *ci < comments.len() && comments[*ci].0 < limit {
        let (s, e) = comments[*ci];
        if s >= *prev_end {
            let newlines = newlines(&text[*prev_end..s]);
            pieces.push(Piece { kind: Kind::Comment, text: text[s..e].trim_end().to_string(), newlines });
            *prev_end = e;
        }
        *ci += 1;
    }
}

/// Formats a parsed file. `text` is the source `file` was parsed from (for comments and
/// the few things printed as written, such as `.pragma`). The file must have parsed
/// without errors: what the parser skipped would be lost.
pub fn format_file(file: &File, text: &str) -> String {
    let comments = comments(text);
    let mut ci = 0;
    let mut prev_end = 0usize;
    let mut out = format_items(&file.items, text, &comments, &mut ci, &mut prev_end, text.len());
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Formats `items` with the comments among them, up to byte `limit` of `text` (the end of
/// the file, or the `}` closing a component body).
fn format_items(
    items: &[Item],
    text: &str,
    comments: &[(usize, usize)],
    ci: &mut usize,
    prev_end: &mut usize,
    limit: usize,
) -> String {
    let mut pieces: Vec<Piece> = Vec::new();
    for item in items {
        let span = item_span(item);
        let (start, end) = (span.start as usize, span.end as usize);
        // Comments before the item.
        comments_before(start, text, comments, ci, prev_end, &mut pieces);
        let mut before = newlines(&text[*prev_end..start]);
        // Comments inside a rule stay inside it, where they were (moved above, one could
        // become the rule's doc comment, or a `/* */` one detach its `@display` line).
        if let Item::Rule(r) = item {
            let first = *ci;
            while *ci < comments.len() && comments[*ci].0 < end {
                *ci += 1;
            }
            let printed = print_rule_with_comments(r, text, &comments[first..*ci]);
            let kind = if printed.contains('\n') { Kind::Paragraph } else { Kind::Item };
            pieces.push(Piece { kind, text: printed, newlines: before });
            *prev_end = end;
            continue;
        }
        // Comments inside another item move above it (for a component, those in its header:
        // its body keeps its own).
        let hoist_end = if let Item::Comp(c) = item { c.body.start as usize } else { end };
        while *ci < comments.len() && comments[*ci].0 < hoist_end {
            let (s, e) = comments[*ci];
            pieces.push(Piece {
                kind: Kind::Comment,
                text: text[s..e].trim_end().to_string(),
                newlines: before.max(1),
            });
            before = 1;
            *ci += 1;
        }
        let printed = match item {
            Item::Comp(c) => print_comp(c, text, comments, ci),
            _ => print_item(item, text, comments),
        };
        let paragraph = printed.contains('\n') && matches!(item, Item::Rule(_) | Item::Comp(_));
        let kind = if paragraph { Kind::Paragraph } else { Kind::Item };
        pieces.push(Piece { kind, text: printed, newlines: before });
        *prev_end = end;
    }
    comments_before(limit, text, comments, ci, prev_end, &mut pieces);

    let mut out = String::new();
    for i in 0..pieces.len() {
        let p = &pieces[i];
        if i > 0 {
            let prev = &pieces[i - 1];
            let sep = match (prev.kind, p.kind) {
                // A comment after something on the same line stays there.
                (_, Kind::Comment) if p.newlines == 0 => " ",
                // A paragraph gets a blank line before it, unless its comments are attached.
                (Kind::Item | Kind::Paragraph, Kind::Paragraph) => "\n\n",
                (Kind::Paragraph, _) => "\n\n",
                _ if p.newlines >= 2 => "\n\n",
                _ => "\n",
            };
            // A comment block directly above a paragraph is separated from what precedes it.
            let sep = if p.kind == Kind::Comment
                && sep == "\n"
                && prev.kind != Kind::Comment
                && attached_paragraph(&pieces, i)
            {
                "\n\n"
            } else {
                sep
            };
            out.push_str(sep);
        }
        out.push_str(&p.text);
    }
    out
}

/// `.comp Name<T> : Base<T> {`, the body formatted and indented, `}`.
fn print_comp(c: &Comp, text: &str, comments: &[(usize, usize)], ci: &mut usize) -> String {
    let mut s = format!(".comp {}", print_comp_type(&c.ty));
    if !c.bases.is_empty() {
        let bases: Vec<String> = c.bases.iter().map(print_comp_type).collect();
        let _ = write!(s, " : {}", bases.join(", "));
    }
    let mut inner_prev = c.body.start as usize + 1;
    let inner_limit = (c.body.end as usize).saturating_sub(1);
    let inner = format_items(&c.items, text, comments, ci, &mut inner_prev, inner_limit);
    if inner.is_empty() {
        s.push_str(" {}");
        return s;
    }
    s.push_str(" {\n");
    for line in inner.lines() {
        if !line.is_empty() {
            s.push_str(INDENT);
            s.push_str(line);
        }
        s.push('\n');
    }
    s.push('}');
    s
}

fn print_comp_type(t: &CompType) -> String {
    if t.args.is_empty() {
        return t.name.name.clone();
    }
    let args: Vec<&str> = t.args.iter().map(|a| a.name.as_str()).collect();
    format!("{}<{}>", t.name.name, args.join(", "))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Comment,
    /// A one-line item.
    Item,
    /// A rule printed over several lines.
    Paragraph,
}

struct Piece {
    kind: Kind,
    text: String,
    /// Line breaks in the source before it.
    newlines: usize,
}

/// Whether the comment at `i` starts a block of comments (each on its own line) that sits
/// directly above a paragraph.
fn attached_paragraph(pieces: &[Piece], i: usize) -> bool {
    let mut j = i;
    while j < pieces.len() && pieces[j].kind == Kind::Comment {
        if j > i && pieces[j].newlines != 1 {
            return false;
        }
        j += 1;
    }
    j < pieces.len() && pieces[j].kind == Kind::Paragraph && pieces[j].newlines == 1
}

fn newlines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

/// Byte ranges of every comment in `text`, in order (the lexer's rules: `//` to the end of
/// the line, `/* ... */` not nested, nothing inside a string or on a preprocessor line, which
/// is kept whole).
pub fn comments(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' if b[..i].iter().rev().take_while(|&&c| c != b'\n').all(|&c| c == b' ' || c == b'\t') => {
                // To the end of the line, and of the next after a `\` (the lexer's rule).
                while i < b.len() && (b[i] != b'\n' || crate::lang::syntax::directive_continues(&b[..i])) {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' && i + 1 < b.len() && b[i + 1] != b'\n' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let start = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                out.push((start, i));
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(b.len());
                out.push((start, i));
            }
            _ => i += 1,
        }
    }
    out
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Decl(d) => d.span,
        Item::Type(t) => t.span,
        Item::Directive(d) => d.span,
        Item::Rule(r) => r.span,
        Item::Ignored { span, .. } | Item::Override { span, .. } => *span,
        Item::Prefer(p) => p.span,
        Item::Comp(c) => c.span,
        Item::Init(i) => i.span,
    }
}

/// Source text of `range` with comments removed and whitespace runs collapsed.
fn plain_source(text: &str, start: usize, end: usize, comments: &[(usize, usize)]) -> String {
    let mut s = String::new();
    let mut at = start;
    for &(cs, ce) in comments.iter().filter(|(cs, ce)| *cs >= start && *ce <= end) {
        s.push_str(&text[at..cs]);
        s.push(' ');
        at = ce;
    }
    s.push_str(&text[at..end]);
    crate::base::source::one_line(&s)
}

fn print_item(item: &Item, text: &str, comments: &[(usize, usize)]) -> String {
    match item {
        Item::Decl(d) => {
            let cols: Vec<String> = d.columns.iter().map(|c| format!("{}: {}", c.name.name, c.ty.name)).collect();
            let names: Vec<&str> = d.names().map(|n| n.name.as_str()).collect();
            let mut s = format!(".decl {}({})", names.join(", "), cols.join(", "));
            // Qualifiers as written (`choice-domain` keeps a column list of its own).
            if !d.qualifiers.is_empty() {
                let (start, end) = (d.span.start as usize, d.span.end as usize);
                let close = text[start..end].find(')').map_or(end, |i| start + i + 1);
                let rest = plain_source(text, close, end, comments);
                if !rest.is_empty() {
                    s.push(' ');
                    s.push_str(&rest);
                }
            }
            s
        }
        Item::Type(t) => {
            let bases: Vec<&str> = t.bases.iter().map(|b| b.name.as_str()).collect();
            let fields_text = |fields: &[(Ident, Ident)]| -> String {
                fields.iter().map(|(n, ty)| format!("{}: {}", n.name, ty.name)).join(", ")
            };
            if let Some(branches) = &t.branches {
                let branches: Vec<String> =
                    branches.iter().map(|(b, fields)| format!("{} {{{}}}", b.name, fields_text(fields))).collect();
                format!(".type {} = {}", t.name.name, branches.join(" | "))
            } else if let Some(fields) = &t.fields {
                let fields: Vec<String> = fields.iter().map(|(n, ty)| format!("{}: {}", n.name, ty.name)).collect();
                format!(".type {} = [{}]", t.name.name, fields.join(", "))
            } else if t.subset {
                format!(".type {} <: {}", t.name.name, bases[0])
            } else {
                format!(".type {} = {}", t.name.name, bases.join(" | "))
            }
        }
        Item::Directive(d) => {
            let rels: Vec<&str> = d.relations.iter().map(|r| r.name.as_str()).collect();
            let mut s = format!(".{} {}", d.keyword.name, rels.join(", "));
            if !d.params.is_empty() {
                let params: Vec<String> = d
                    .params
                    .iter()
                    .map(|p| {
                        let v = match &p.value {
                            ParamValue::Str(v) => quote(v),
                            ParamValue::Number(n) => n.to_string(),
                            ParamValue::Word(w) => w.clone(),
                        };
                        format!("{}={}", p.key.name, v)
                    })
                    .collect();
                let _ = write!(s, "({})", params.join(", "));
            }
            s
        }
        Item::Ignored { span, .. } => text[span.range()].trim().to_string(),
        Item::Rule(r) => print_rule(r),
        Item::Init(i) => format!(".init {} = {}", i.name.name, print_comp_type(&i.comp)),
        Item::Override { relation, .. } => format!(".override {}", relation.name),
        Item::Prefer(p) => match &p.kind {
            PreferKind::Rules(a, b) => format!(".prefer {} > {}", a.name, b.name),
            PreferKind::Grade => ".prefer by grade".to_string(),
            PreferKind::Date => ".prefer by date".to_string(),
            PreferKind::Specificity => ".prefer by specificity".to_string(),
        },
        // Printed by `print_comp`, which needs the comment cursor.
        Item::Comp(c) => text[c.span.range()].to_string(),
    }
}

/// A string constant as the lexer reads it back.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A rule with the comments inside its span (`inner`, byte ranges into `text`), each kept
/// between the same parts of the rule: a comment after code on its line trails the printed
/// line of the part it follows; one on a line of its own gets a line of its own.
fn print_rule_with_comments(r: &Rule, text: &str, inner: &[(usize, usize)]) -> String {
    if inner.is_empty() {
        return print_rule(r);
    }
    let comment = |&(s, e): &(usize, usize)| text[s..e].trim_end().to_string();
    let trailing = |&(s, _): &(usize, usize)| {
        let line_start = text[..s].rfind('\n').map_or(0, |i| i + 1);
        !text[line_start..s].trim().is_empty()
    };
    // The rule's lines: the heads (with `:-`), then one per top-level body part.
    let heads = r.heads.iter().map(print_atom).join(", ");
    let (lead, parts, sep): (String, Vec<(usize, String)>, &str) = match &r.body {
        None => (heads, Vec::new(), ""),
        Some(body) => {
            let lead = rule_lead(r, &heads);
            match body {
                Body::And(ps, _) => {
                    (lead, ps.iter().map(|p| (p.span().start as usize, print_body(p, 1))).collect(), ",")
                }
                Body::Or(ps, _) => {
                    (lead, ps.iter().map(|p| (p.span().start as usize, print_body(p, 0))).collect(), ";")
                }
                Body::Lit(l) => (lead, vec![(l.span().start as usize, print_literal(l))], ""),
            }
        }
    };
    // Slot k: the comments after the start of line k (the lead is line 0) and before line k+1.
    let mut slots: Vec<Vec<(usize, usize)>> = vec![Vec::new(); parts.len() + 1];
    for c in inner {
        let k = parts.iter().take_while(|(start, _)| *start <= c.0).count();
        slots[k].push(*c);
    }
    // Only `/* */` comments at the very end, after code: the rule prints as usual, with
    // them after its `.` (where they read back as comments after the rule).
    let last = &slots[parts.len()];
    if slots[..parts.len()].iter().all(Vec::is_empty)
        && last.iter().all(|c| trailing(c) && text[c.0..].starts_with("/*"))
    {
        let trail = last.iter().map(comment).join(" ");
        return format!("{} {trail}", print_rule(r));
    }
    let mut out = lead;
    for k in 0..=parts.len() {
        let is_last = k == parts.len();
        if k > 0 {
            let s = if is_last { "" } else { sep };
            let _ = write!(out, "\n{INDENT}{}{s}", parts[k - 1].1);
        }
        let mut own_line = false;
        for c in &slots[k] {
            let ends_in_line_comment = out.rsplit('\n').next().is_some_and(|l| l.contains("//"));
            if !own_line && trailing(c) && !ends_in_line_comment {
                let _ = write!(out, " {}", comment(c));
            } else {
                own_line = true;
                let _ = write!(out, "\n{INDENT}{}", comment(c));
            }
        }
        if is_last {
            // The final `.`, on a line of its own after a comment that runs to the end of the line.
            let ends_in_line_comment = out.rsplit('\n').next().is_some_and(|l| l.contains("//"));
            if own_line || ends_in_line_comment || (k == 0 && !slots[0].is_empty()) {
                let _ = write!(out, "\n{INDENT}.");
            } else {
                out.push('.');
            }
        }
    }
    out
}

/// A rule's `@name`, heads and arrow: everything before its body.
fn rule_lead(r: &Rule, heads: &str) -> String {
    let name = r.name.as_ref().map(|n| format!("@{} ", n.name)).unwrap_or_default();
    let arrow = r.kind.arrow();
    if heads.is_empty() { arrow.to_string() } else { format!("{name}{heads} {arrow}") }
}

/// One rule, fact or constraint, with its final `.`.
pub fn print_rule(r: &Rule) -> String {
    let heads: Vec<String> = r.heads.iter().map(print_atom).collect();
    let heads = heads.join(", ");
    let Some(body) = &r.body else {
        let name = r.name.as_ref().map(|n| format!("@{} ", n.name)).unwrap_or_default();
        return format!("{name}{heads}.");
    };
    let lead = rule_lead(r, &heads);
    let one_line = format!("{lead} {}.", print_body(body, 0));
    let single = matches!(body, Body::Lit(_)) || matches!(body, Body::And(parts, _) if parts.len() == 1);
    if single && one_line.len() <= WIDTH && !one_line.contains('\n') {
        return one_line;
    }
    let mut s = lead;
    match body {
        Body::And(parts, _) => {
            for (i, p) in parts.iter().enumerate() {
                let sep = if i + 1 == parts.len() { "." } else { "," };
                let _ = write!(s, "\n{INDENT}{}{sep}", print_body(p, 1));
            }
        }
        Body::Or(parts, _) => {
            for (i, p) in parts.iter().enumerate() {
                let sep = if i + 1 == parts.len() { "." } else { ";" };
                let _ = write!(s, "\n{INDENT}{}{sep}", print_body(p, 0));
            }
        }
        Body::Lit(l) => {
            let _ = write!(s, "\n{INDENT}{}.", print_literal(l));
        }
    }
    s
}

/// `ctx`: 0 where a disjunction may stand bare, 1 inside a conjunction (it needs parentheses).
fn print_body(b: &Body, ctx: u8) -> String {
    match b {
        Body::Lit(l) => print_literal(l),
        Body::And(parts, _) => parts.iter().map(|p| print_body(p, 1)).join(", "),
        Body::Or(parts, _) => {
            let s = parts.iter().map(|p| print_body(p, 0)).join("; ");
            if ctx == 1 { format!("({s})") } else { s }
        }
    }
}

fn print_literal(l: &Literal) -> String {
    match l {
        Literal::Atom(a) => print_atom(a),
        Literal::Negated(a, _) => format!("!{}", print_atom(a)),
        Literal::Compare { op, lhs, rhs, .. } => {
            format!("{} {} {}", print_expr(lhs, 0), op.symbol(), print_expr(rhs, 0))
        }
        Literal::Bool(b, _) => b.to_string(),
        Literal::Predicate { name, args, .. } => format!("{}({})", name.name, print_args(args)),
    }
}

fn print_atom(a: &Atom) -> String {
    format!("{}({})", a.relation.name, print_args(&a.args))
}

fn print_args(args: &[Expr]) -> String {
    args.iter().map(|e| print_expr(e, 0)).join(", ")
}

/// The parser's binding strength of a binary operator (higher binds tighter).
fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Lor => 1,
        BinaryOp::Lxor => 2,
        BinaryOp::Land => 3,
        BinaryOp::Bor => 4,
        BinaryOp::Bxor => 5,
        BinaryOp::Band => 6,
        BinaryOp::Bshl | BinaryOp::Bshr | BinaryOp::Bshru => 7,
        BinaryOp::Add | BinaryOp::Sub => 8,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 9,
        BinaryOp::Pow => 11,
    }
}

/// The operator as written in a rule file (`+`, `band`).
pub fn binary_op(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Pow => "^",
        BinaryOp::Band => "band",
        BinaryOp::Bor => "bor",
        BinaryOp::Bxor => "bxor",
        BinaryOp::Bshl => "bshl",
        BinaryOp::Bshr => "bshr",
        BinaryOp::Bshru => "bshru",
        BinaryOp::Land => "land",
        BinaryOp::Lor => "lor",
        BinaryOp::Lxor => "lxor",
    }
}

/// Binding strength of an expression as printed: 12 for primaries, 10 for prefix operators
/// (and negative numbers, which read back as `-` applied to a number under `^`).
fn strength(e: &Expr) -> u8 {
    match e {
        Expr::Binary { op, .. } => precedence(*op),
        Expr::Unary { .. } => 10,
        Expr::Number(n, _) if *n < 0 => 10,
        _ => 12,
    }
}

/// The terms of a chain, left to right, each with whether it is subtracted (`minus` flips
/// the signs of the whole of `e`): the operands of `e` and of its inner nodes (those the
/// parser regrouped, of the same family), not of a group written in parentheses.
fn chain_terms<'e>(e: &'e Expr, minus: bool, out: &mut Vec<(bool, &'e Expr)>) {
    let Expr::Binary { op: top, .. } = e else { return out.push((minus, e)) };
    let inner = |x: &Expr| matches!(x, Expr::Binary { op, chain: true, .. } if same_family(*op, *top));
    // The left spine is walked in a loop, the balanced right operands recursively.
    let mut spine = Vec::new();
    let mut at = e;
    while let Expr::Binary { op, lhs, rhs, .. } = at
        && (std::ptr::eq(at, e) || inner(at))
    {
        spine.push((*op, &**rhs));
        at = lhs;
    }
    out.push((minus, at));
    for (op, rhs) in spine.into_iter().rev() {
        let m = minus != (op == BinaryOp::Sub);
        if inner(rhs) { chain_terms(rhs, m, out) } else { out.push((m, rhs)) }
    }
}

fn same_family(a: BinaryOp, b: BinaryOp) -> bool {
    let additive = |o| matches!(o, BinaryOp::Add | BinaryOp::Sub);
    a == b || (additive(a) && additive(b))
}

/// Prints `e` where an expression binding at least as strongly as `min` may stand bare.
fn print_expr(e: &Expr, min: u8) -> String {
    let s = print_expr_bare(e);
    if strength(e) < min { format!("({s})") } else { s }
}

fn print_expr_bare(e: &Expr) -> String {
    match e {
        Expr::Var(i) => i.name.clone(),
        Expr::Wildcard(_) => "_".to_string(),
        Expr::Number(n, _) => n.to_string(),
        // `0x1Fu` is `31u`, as integers are written in decimal; a float stays as written
        // (its digits are the value the author meant, and `2.0` must keep its `.`).
        Expr::Float(f, _) => match f.strip_suffix('u').map(crate::base::value::parse_unsigned) {
            Some(Ok(n)) => format!("{n}u"),
            _ => f.clone(),
        },
        Expr::Str(s, _) => quote(s),
        Expr::Counter(_) => "$".to_string(),
        Expr::Nil(_) => "nil".to_string(),
        Expr::Record(fields, _) => format!("[{}]", fields.iter().map(|f| print_expr(f, 0)).join(", ")),
        Expr::Branch { name, args, .. } if args.is_empty() => format!("${}", name.name),
        Expr::Branch { name, args, .. } => {
            format!("${}({})", name.name, args.iter().map(|f| print_expr(f, 0)).join(", "))
        }
        Expr::Unary { op, arg, .. } => {
            let inner = print_expr(arg, 10);
            match op {
                // `- -x` would read back the same, but `-(-x)` is clearer; `-5` must not
                // become a negative literal (it would, were the operand a number).
                UnaryOp::Neg if inner.starts_with('-') || matches!(**arg, Expr::Number(..)) => format!("-({inner})"),
                UnaryOp::Neg => format!("-{inner}"),
                UnaryOp::Bnot => format!("bnot {inner}"),
                UnaryOp::Lnot => format!("lnot {inner}"),
            }
        }
        Expr::Binary { op: BinaryOp::Pow, lhs, rhs, .. } => {
            // The base is a primary; the exponent a prefix expression (`^` is right-associative).
            format!("{}^{}", print_expr(lhs, 12), print_expr(rhs, 10))
        }
        Expr::Binary { op, .. } if *op != BinaryOp::Pow => {
            // A chain (the parser may have regrouped it): printed flat, as written.
            let p = precedence(*op);
            let mut terms = Vec::new();
            chain_terms(e, false, &mut terms);
            let mut s = print_expr(terms[0].1, p);
            for &(minus, term) in &terms[1..] {
                let sym = match *op {
                    BinaryOp::Add | BinaryOp::Sub if minus => "-",
                    BinaryOp::Add | BinaryOp::Sub => "+",
                    op => binary_op(op),
                };
                let _ = write!(s, " {sym} {}", print_expr(term, p + 1));
            }
            s
        }
        Expr::Binary { op, lhs, rhs, .. } => {
            let p = precedence(*op);
            format!("{} {} {}", print_expr(lhs, p), binary_op(*op), print_expr(rhs, p + 1))
        }
        Expr::Call { func, args, .. } => format!("{}({})", func.name, print_args(args)),
        Expr::Aggregate { func, target, body, .. } => {
            let name = func.keyword();
            let target = match target {
                Some(t) => {
                    let t = print_expr(t, 0);
                    // `min (a) + b : {...}` would read as the functor `min(a)`: wrap it whole.
                    if t.starts_with('(') { format!(" ({t})") } else { format!(" {t}") }
                }
                None => String::new(),
            };
            format!("{name}{target} : {{ {} }}", print_body(body, 0))
        }
        Expr::Cast { arg, ty, .. } => format!("as({}, {})", print_expr(arg, 0), ty.name),
    }
}

/// Formats rule text: `Err` with the syntax errors if it does not parse.
pub fn format_text(
    file: crate::base::source::FileId,
    text: &str,
) -> Result<String, Vec<crate::base::diag::Diagnostic>> {
    // Preprocessor lines are kept as written, and macro uses as written too.
    let (ast, errors) = crate::lang::syntax::parse_expanded(file, text);
    if errors.is_empty() { Ok(format_file(&ast, text)) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::FileId;
    use crate::lang::syntax::parse_file;

    fn fmt(text: &str) -> String {
        let (file, errors) = parse_file(FileId(0), text);
        assert!(errors.is_empty(), "{errors:?}");
        format_file(&file, text)
    }

    #[test]
    fn layout() {
        let src = "// head comment\n.decl  a(x:symbol,y : number)\n.output a\n\n\n\na(x,y):-b(x),c(y),x!=\"q\\\"\".\nb(\"x\"). // trailing\n";
        let want = "// head comment\n.decl a(x: symbol, y: number)\n.output a\n\na(x, y) :-\n    b(x),\n    c(y),\n    x != \"q\\\"\".\n\nb(\"x\"). // trailing\n";
        assert_eq!(fmt(src), want);
        assert_eq!(fmt(want), want);
    }

    /// The parser regroups chains into balanced trees; they print back flat, as written,
    /// and a group written in parentheses keeps them.
    #[test]
    fn regrouped_chains_print_as_written() {
        for src in [
            "p(x) :-\n    q(a, b, c, d),\n    x = a - b + c - d - 1 + 2.\n",
            "p(x) :-\n    q(a, b, c, d),\n    x = a - (b - c) - (d + 1) + -2.\n",
            "p(x) :-\n    q(a, b, c, d),\n    x = a * b * c / d * 2 % 3 * a.\n",
            "p(x) :-\n    q(a, b, c, d),\n    x = a bshl 1 + b - c bor d bor 8 band 12 band a.\n",
            "p(x) :-\n    q(a, b, c, d),\n    x = (a + b) * (c - d) - a * b + (c bor d).\n",
        ] {
            assert_eq!(fmt(src), src);
        }
        let long: String = (0..3000).map(|i| format!(" + {i}")).collect();
        let src = format!("p(x) :- x = 0{long}.\n");
        assert_eq!(fmt(&src).split_whitespace().collect::<String>(), src.split_whitespace().collect::<String>());
    }

    #[test]
    fn precedence_kept() {
        let src = "p(x) :- q(a, b), x = (a + b) * -(a - 1) ^ 2 - (b - a) - (-3)^2 - -(4).\n";
        let once = fmt(src);
        assert_eq!(fmt(&once), once);
        assert!(once.contains("x = (a + b) * -(a - 1)^2 - (b - a) - (-3)^2 - -(4)."), "{once}");
    }

    #[test]
    fn comments_inside_rules_stay_comments_inside_declarations_move_above() {
        let src = "p(x) :- q(x), // why\n  r(x).\n";
        let once = fmt(src);
        assert_eq!(once, "p(x) :-\n    q(x), // why\n    r(x).\n");
        assert_eq!(fmt(&once), once);
        let src = ".decl p(x: number, // x\n y: number)\n";
        assert_eq!(fmt(src), "// x\n.decl p(x: number, y: number)\n");
    }
}
