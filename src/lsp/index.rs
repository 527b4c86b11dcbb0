//! The rule files as the editor has them, parsed, and every place a relation is named in
//! them: its `.decl`, the directives, and the atoms of rules. Navigation, rename, symbols,
//! hover and completion read this; it is rebuilt per request from the current texts (parsing
//! recovers at each `.`, so a half-written rule hides only itself).

use crate::base::source::{FileId, Span};
use crate::lang::syntax::{self, ast};
use crate::lsp::convert::Lines;
use crate::session::Overlay;
use std::path::PathBuf;

/// One rule file: where it is, its text, and its syntax tree.
pub struct File {
    /// The file's path.
    pub path: PathBuf,
    /// Its text (the open document's, else the disk's).
    pub text: String,
    /// Its syntax tree.
    pub ast: ast::File,
}

impl File {
    /// The line starts of the text.
    pub fn lines(&self) -> Lines<'_> {
        Lines::new(&self.text)
    }
}

/// What a relation's name does where it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The name in a `.decl`.
    Decl,
    /// A relation named by `.input`, `.output` or `.printsize`.
    Directive,
    /// The head of a rule or a fact.
    Head,
    /// An atom in a body.
    Body,
}

/// A relation named at a place.
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// The relation's name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
    /// What it does there.
    pub role: Role,
}

/// A string constant written at a place.
#[derive(Debug, Clone)]
pub struct Constant {
    /// The string, escapes decoded.
    pub value: String,
    /// Where it is written.
    pub span: Span,
}

/// Every relation name and string constant of the project's rule files, by place.
pub struct Index {
    /// The rule files, by file id.
    pub files: Vec<File>,
    /// Every relation name written.
    pub occurrences: Vec<Occurrence>,
    /// Every string constant written.
    pub constants: Vec<Constant>,
}

impl Index {
    /// Reads (from `overlay`, else the disk) and parses `paths`; file ids are positions.
    pub fn build(paths: &[PathBuf], overlay: &Overlay) -> Index {
        let mut index = Index { files: Vec::new(), occurrences: Vec::new(), constants: Vec::new() };
        for path in paths {
            let text = match overlay.get(path) {
                Some(t) => t.clone(),
                None => match std::fs::read(path) {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(_) => continue,
                },
            };
            let id = FileId(index.files.len() as u32);
            // Macro uses are indexed as written; preprocessor lines are skipped.
            let (ast, _) = syntax::parse_expanded(id, &text);
            let mut walk = Walk { occurrences: &mut index.occurrences, constants: &mut index.constants };
            for item in &ast.items {
                walk.item(item);
            }
            index.files.push(File { path: path.clone(), text, ast });
        }
        index
    }

    /// The file id of `path`, if it is indexed.
    pub fn file_id(&self, path: &std::path::Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).map(|i| FileId(i as u32))
    }

    /// The file with id `id`.
    pub fn file(&self, id: FileId) -> &File {
        &self.files[id.0 as usize]
    }

    /// The relation named at a byte offset of a file (the cursor may sit just after it).
    pub fn occurrence_at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.span.file == file && o.span.range().contains(&offset))
            .or_else(|| self.occurrences.iter().find(|o| o.span.file == file && o.span.end as usize == offset))
    }

    /// The string constant at a byte offset of a file.
    pub fn constant_at(&self, file: FileId, offset: usize) -> Option<&Constant> {
        self.constants.iter().find(|c| c.span.file == file && c.span.range().contains(&offset))
    }

    /// Every place `name` is written.
    pub fn occurrences_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences.iter().filter(move |o| o.name == name)
    }

    /// The `.decl` naming `name`, and where it names it.
    pub fn decl(&self, name: &str) -> Option<(&ast::Decl, &ast::Ident)> {
        self.decls().find_map(|d| std::iter::once(&d.name).chain(&d.also).find(|n| n.name == name).map(|n| (d, n)))
    }

    /// Every declared relation, in file order.
    pub fn decls(&self) -> impl Iterator<Item = &ast::Decl> {
        self.files.iter().flat_map(|f| &f.ast.items).filter_map(|i| match i {
            ast::Item::Decl(d) => Some(d),
            _ => None,
        })
    }
}

struct Walk<'a> {
    occurrences: &'a mut Vec<Occurrence>,
    constants: &'a mut Vec<Constant>,
}

impl Walk<'_> {
    fn name(&mut self, ident: &ast::Ident, role: Role) {
        self.occurrences.push(Occurrence { name: ident.name.clone(), span: ident.span, role });
    }

    fn item(&mut self, item: &ast::Item) {
        match item {
            ast::Item::Decl(d) => std::iter::once(&d.name).chain(&d.also).for_each(|n| self.name(n, Role::Decl)),
            ast::Item::Directive(d) => d.relations.iter().for_each(|r| self.name(r, Role::Directive)),
            ast::Item::Rule(r) => {
                for head in &r.heads {
                    self.atom(head, Role::Head);
                }
                if let Some(body) = &r.body {
                    self.body(body);
                }
            }
            // Inside a component, names are the component's own until `.init` expands them.
            ast::Item::Comp(c) => c.items.iter().for_each(|i| self.item(i)),
            ast::Item::Override { relation, .. } => self.name(relation, Role::Directive),
            ast::Item::Type(_) | ast::Item::Ignored { .. } | ast::Item::Init(_) | ast::Item::Prefer(_) => {}
        }
    }

    fn atom(&mut self, atom: &ast::Atom, role: Role) {
        self.name(&atom.relation, role);
        atom.args.iter().for_each(|a| self.expr(a));
    }

    fn body(&mut self, body: &ast::Body) {
        match body {
            ast::Body::And(parts, _) | ast::Body::Or(parts, _) => parts.iter().for_each(|b| self.body(b)),
            ast::Body::Lit(lit) => match lit {
                ast::Literal::Atom(a) | ast::Literal::Negated(a, _) => self.atom(a, Role::Body),
                ast::Literal::Compare { lhs, rhs, .. } => {
                    self.expr(lhs);
                    self.expr(rhs);
                }
                ast::Literal::Predicate { args, .. } => args.iter().for_each(|a| self.expr(a)),
                ast::Literal::Bool(..) => {}
            },
        }
    }

    fn expr(&mut self, expr: &ast::Expr) {
        match expr {
            ast::Expr::Str(value, span) => self.constants.push(Constant { value: value.clone(), span: *span }),
            ast::Expr::Unary { arg, .. } | ast::Expr::Cast { arg, .. } => self.expr(arg),
            ast::Expr::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ast::Expr::Call { args, .. } | ast::Expr::Record(args, _) | ast::Expr::Branch { args, .. } => {
                args.iter().for_each(|a| self.expr(a))
            }
            ast::Expr::Aggregate { target, body, .. } => {
                if let Some(t) = target {
                    self.expr(t);
                }
                self.body(body);
            }
            ast::Expr::Var(_)
            | ast::Expr::Wildcard(_)
            | ast::Expr::Number(..)
            | ast::Expr::Float(..)
            | ast::Expr::Nil(_)
            | ast::Expr::Counter(_) => {}
        }
    }
}
