//! One function per request, each computed from the current texts ([`Index`]) and the last
//! finished [`Results`]; none waits for the background analysis.

// `WorkspaceEdit` keys its changes by `lsp_types::Uri`, which clippy sees as mutable (a lazily
// parsed part inside); its `Hash` and `Eq` are those of the URI's text, so the map is sound.
#![allow(clippy::mutable_key_type)]

use crate::base::diag::plural;
use crate::base::value::Type;
use crate::lang::fmt;
use crate::lang::syntax::ast;
use crate::lsp::analysis::{Results, SAMPLE, Workspace};
use crate::lsp::convert::{self, FixData, Lines};
use crate::lsp::index::{Index, Role};
use crate::session::Overlay;
use lsp_types as lsp;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// What every handler needs: the workspace, the open texts, the last results.
pub struct Context<'a> {
    /// Where the project's files are.
    pub workspace: &'a Workspace,
    /// The open documents' texts.
    pub overlay: &'a Overlay,
    /// What the last evaluation found.
    pub results: &'a Results,
    /// The client shows edits that need confirmation before applying them (it supports
    /// change annotations in `documentChanges`).
    pub annotations: bool,
}

/// A rename's edits to the statement tables, which the user confirms first.
#[derive(Debug, Clone, PartialEq)]
pub struct TableEdits {
    /// The question: which relation, how many rows, which tables.
    pub message: String,
    /// The edits, by table.
    pub edit: lsp::WorkspaceEdit,
}

/// A rename's answer: the edit, and the statement tables' edits when they still await the
/// user's confirmation (a client without change annotations is asked by a message).
pub type Renamed = (Option<lsp::WorkspaceEdit>, Option<TableEdits>);

/// Text edits, by document.
type ByDocument = Vec<(lsp::Uri, Vec<lsp::TextEdit>)>;

/// The change annotation of the statement tables' edits.
const TABLES: &str = "statement-tables";

/// Intrinsic functors and aggregates, offered by completion.
const FUNCTORS: &[(&str, &str)] = &[
    ("cat", "cat(${1:a}, ${2:b})"),
    ("strlen", "strlen(${1:s})"),
    ("substr", "substr(${1:s}, ${2:from}, ${3:length})"),
    ("ord", "ord(${1:s})"),
    ("to_number", "to_number(${1:s})"),
    ("to_string", "to_string(${1:n})"),
    ("to_float", "to_float(${1:n})"),
    ("to_unsigned", "to_unsigned(${1:n})"),
    ("min", "min(${1:a}, ${2:b})"),
    ("max", "max(${1:a}, ${2:b})"),
    ("range", "range(${1:from}, ${2:to})"),
    ("autoinc", "autoinc()"),
    ("count", "count : { ${1} }"),
    ("sum", "sum ${1:x} : { ${2} }"),
    ("mean", "mean ${1:x} : { ${2} }"),
];

/// Directives, offered after a `.` at the start of a line.
const DIRECTIVES: &[(&str, &str)] = &[
    ("decl", "decl ${1:name}(${2:x}: ${3:symbol})"),
    ("input", "input ${1:name}"),
    ("output", "output ${1:name}"),
    ("printsize", "printsize ${1:name}"),
    ("type", "type ${1:Name} <: ${2:symbol}"),
];

/// Parameters of `.input` and `.output`, offered inside their parentheses.
const PARAMS: &[&str] = &["filename=\"${1}\"", "delimiter=\"${1:,}\"", "headers=${1:true}", "rfc4180=${1:true}"];

/// The interval columns of a dated relation table, offered inside `.input`'s parentheses.
const TIME_PARAMS: &[&str] = &["from=\"${1:start}\"", "until=\"${1:end}\""];

impl Context<'_> {
    /// The rule files parsed, and the id of `path` among them.
    fn index(&self) -> Index {
        Index::build(&self.workspace.rule_files(self.overlay), self.overlay)
    }

    fn location(&self, index: &Index, span: crate::base::source::Span) -> Option<lsp::Location> {
        let file = index.file(span.file);
        let range = file.lines().range(span.start as usize, span.end as usize);
        Some(lsp::Location { uri: convert::uri(&file.path)?, range })
    }

    /// The file and byte offset of a document position.
    fn at(&self, index: &Index, doc: &lsp::TextDocumentPositionParams) -> Option<(crate::base::source::FileId, usize)> {
        let path = convert::path(&doc.text_document.uri)?;
        let id = index.file_id(&path)?;
        Some((id, index.file(id).lines().offset(doc.position)))
    }

    /// `textDocument/hover`.
    pub fn hover(&self, params: &lsp::HoverParams) -> Option<lsp::Hover> {
        let doc = &params.text_document_position_params;
        if let Some(path) =
            convert::path(&doc.text_document.uri).filter(|p| p.extension().is_some_and(|x| x == "claims"))
        {
            return self.hover_claim(&path, doc.position);
        }
        let index = self.index();
        let (file, offset) = self.at(&index, &params.text_document_position_params)?;
        let (text, span) = if let Some(o) = index.occurrence_at(file, offset) {
            (self.describe_relation(&index, &o.name), o.span)
        } else {
            let c = index.constant_at(file, offset)?;
            (self.describe_constant(&c.value), c.span)
        };
        let range = index.file(file).lines().range(span.start as usize, span.end as usize);
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: text }),
            range: Some(range),
        })
    }

    /// A claim: its verdict and the first lines of its proof, from the last evaluation (of
    /// the claims file's text then; a claim edited since shows nothing until the next one).
    fn hover_claim(&self, path: &Path, position: lsp::Position) -> Option<lsp::Hover> {
        let text = match self.overlay.get(path) {
            Some(t) => t.clone(),
            None => String::from_utf8_lossy(&std::fs::read(path).ok()?).into_owned(),
        };
        let lines = Lines::new(&text);
        let offset = lines.offset(position);
        let claims = self.results.evaluation.as_ref()?.claims.get(path)?;
        let (range, value) = claims.iter().find(|(r, _)| r.start <= offset && offset <= r.end)?;
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: value.clone(),
            }),
            range: Some(lines.range(range.start, range.end.min(text.len()))),
        })
    }

    fn describe_relation(&self, index: &Index, name: &str) -> String {
        let mut out = Vec::new();
        let project = self.results.project.as_ref();
        let rel = project.and_then(|p| p.program.relation_id(name).map(|id| &p.program.relations[id]));
        match (index.decl(name), rel) {
            (Some((d, _)), _) => {
                let text = &index.file(d.span.file).text;
                out.push(format!("```stance\n{}\n```", text.get(d.span.range()).unwrap_or(name).trim()));
            }
            (None, Some(r)) => {
                let cols: Vec<String> =
                    r.columns.iter().zip(&r.types).map(|(c, t)| format!("{c}: {}", type_name(*t))).collect();
                out.push(format!("```stance\n{name}({})\n```\nstatement relation (no `.decl`)", cols.join(", ")));
            }
            (None, None) => out.push(format!("`{name}`: not declared")),
        }
        let mut from = Vec::new();
        let rules = index.occurrences_of(name).filter(|o| o.role == Role::Head).count();
        if rules > 0 {
            from.push(format!("{rules} rule{} or fact{}", plural(rules), plural(rules)));
        }
        if let Some(p) = project {
            let rows = p.facts.rows(name);
            if !rows.is_empty() {
                // By table first: a relation can have a million rows.
                let mut files: Vec<u32> = rows.ids.iter().map(|&id| p.facts.table_of(id).file.0).collect();
                files.dedup();
                let mut tables: Vec<String> = files
                    .into_iter()
                    .map(|f| self.relative(&p.sources.get(crate::base::source::FileId(f)).name))
                    .collect();
                tables.dedup();
                from.push(format!("{} row{} of {}", rows.len(), plural(rows.len()), tables.join(", ")));
            }
            if let Some(r) = rel
                && !r.inputs.is_empty()
            {
                from.push("`.input`".to_string());
            }
        }
        if !from.is_empty() {
            out.push(format!("tuples from: {}", from.join("; ")));
        }
        if let Some(e) = &self.results.evaluation {
            if let Some(n) = e.counts.get(name) {
                let mut s = format!("**{n} tuple{}** in the last evaluation", plural(*n));
                for t in e.samples.get(name).into_iter().flatten() {
                    s.push_str(&format!("\n- `{name}({t})`"));
                }
                if *n > SAMPLE {
                    s.push_str(&format!("\n- … {} more", n - SAMPLE));
                }
                out.push(s);
            }
            if let Some(why) = &e.stopped {
                out.push(format!("evaluation stopped: {why}"));
            }
        }
        out.join("\n\n")
    }

    fn describe_constant(&self, value: &str) -> String {
        let mut out = vec![format!("`{}`", fmt::quote(value))];
        let Some(p) = &self.results.project else { return out.join("\n\n") };
        let Some(v) = p.symbols.get(value) else {
            out.push("does not occur in the facts".to_string());
            return out.join("\n\n");
        };
        let mut rows = Vec::new();
        for (rel, facts) in &p.facts.relations {
            let types = p.program.relation_id(rel).map(|id| p.program.relations[id].types.clone()).unwrap_or_default();
            for (tuple, id) in facts.iter() {
                let hit = tuple.iter().zip(&types).any(|(x, t)| *x == v && *t == Type::Symbol);
                if hit {
                    rows.push((id, rel));
                }
            }
        }
        rows.sort();
        let mut found = format!("occurs in {} row{} of the facts", rows.len(), plural(rows.len()));
        for (id, rel) in rows.iter().take(SAMPLE) {
            let at = p.facts.location(*id, &p.sources);
            found.push_str(&format!("\n- {rel} at {}", self.relative(&at)));
        }
        out.push(found);
        out.join("\n\n")
    }

    /// A path relative to the workspace folder, as the user reads it.
    fn relative(&self, name: &str) -> String {
        let root = self.workspace.root.display().to_string();
        name.strip_prefix(&root).map(|s| s.trim_start_matches('/').to_string()).unwrap_or_else(|| name.to_string())
    }

    /// Relation → its `.decl`; a statement relation without one → its rows in the tables.
    pub fn definition(&self, params: &lsp::GotoDefinitionParams) -> Option<lsp::GotoDefinitionResponse> {
        let index = self.index();
        let (file, offset) = self.at(&index, &params.text_document_position_params)?;
        let name = &index.occurrence_at(file, offset)?.name;
        if let Some((_, n)) = index.decl(name) {
            return Some(lsp::GotoDefinitionResponse::Scalar(self.location(&index, n.span)?));
        }
        let p = self.results.project.as_ref()?;
        let locations: Vec<lsp::Location> = p
            .facts
            .rows(name)
            .ids
            .iter()
            .filter_map(|&id| {
                let table = p.facts.table_of(id);
                let line = p.facts.origin(id).line.saturating_sub(1);
                let uri = convert::uri(Path::new(&p.sources.get(table.file).name))?;
                let start = lsp::Position { line, character: 0 };
                Some(lsp::Location { uri, range: lsp::Range { start, end: start } })
            })
            .collect();
        (!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations))
    }

    /// `textDocument/references`.
    pub fn references(&self, params: &lsp::ReferenceParams) -> Option<Vec<lsp::Location>> {
        let index = self.index();
        let (file, offset) = self.at(&index, &params.text_document_position)?;
        let name = index.occurrence_at(file, offset)?.name.clone();
        let with_decl = params.context.include_declaration;
        Some(
            index
                .occurrences_of(&name)
                .filter(|o| with_decl || o.role != Role::Decl)
                .filter_map(|o| self.location(&index, o.span))
                .collect(),
        )
    }

    /// `textDocument/rename`.
    pub fn rename(&self, params: &lsp::RenameParams) -> Result<Renamed, String> {
        let new = &params.new_name;
        let is_name = new.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '?');
        if !is_name {
            return Err(format!("`{new}` is not a relation name"));
        }
        let index = self.index();
        let Some((file, offset)) = self.at(&index, &params.text_document_position) else { return Ok((None, None)) };
        let Some(o) = index.occurrence_at(file, offset) else { return Ok((None, None)) };
        if index.decl(new).is_some()
            || self.results.project.as_ref().is_some_and(|p| p.program.relation_id(new).is_some())
        {
            return Err(format!("a relation named `{new}` already exists"));
        }
        let mut changes: BTreeMap<String, (lsp::Uri, Vec<lsp::TextEdit>)> = BTreeMap::new();
        for occ in index.occurrences_of(&o.name) {
            if let Some(loc) = self.location(&index, occ.span) {
                let edit = lsp::TextEdit { range: loc.range, new_text: new.clone() };
                changes.entry(loc.uri.as_str().to_string()).or_insert((loc.uri, Vec::new())).1.push(edit);
            }
        }
        let (tables, rows) = self.table_edits(&o.name, new)?;
        let rule_edit = |changes: BTreeMap<String, (lsp::Uri, Vec<lsp::TextEdit>)>| lsp::WorkspaceEdit {
            changes: Some(changes.into_values().collect()),
            ..Default::default()
        };
        if tables.is_empty() {
            return Ok((Some(rule_edit(changes)), None));
        }
        let files: Vec<String> = tables.iter().map(|(uri, _)| self.relative(&uri_path(uri))).collect();
        let what = format!("{rows} row{} of {}", plural(rows), files.join(", "));
        if !self.annotations {
            let message = format!("Also rename `{}` to `{new}` in the statement tables ({what})?", o.name);
            let edit = lsp::WorkspaceEdit { changes: Some(tables.into_iter().collect()), ..Default::default() };
            return Ok((Some(rule_edit(changes)), Some(TableEdits { message, edit })));
        }
        // Rule files as plain edits, the tables' rows annotated: the client asks first.
        let doc = |uri: lsp::Uri, edits: Vec<lsp::OneOf<lsp::TextEdit, lsp::AnnotatedTextEdit>>| {
            let text_document = lsp::OptionalVersionedTextDocumentIdentifier { uri, version: None };
            lsp::TextDocumentEdit { text_document, edits }
        };
        let mut docs: Vec<lsp::TextDocumentEdit> = changes
            .into_values()
            .map(|(uri, edits)| doc(uri, edits.into_iter().map(lsp::OneOf::Left).collect()))
            .collect();
        for (uri, edits) in tables {
            let annotated = edits.into_iter().map(|text_edit| {
                lsp::OneOf::Right(lsp::AnnotatedTextEdit { text_edit, annotation_id: TABLES.to_string() })
            });
            docs.push(doc(uri, annotated.collect()));
        }
        let annotation = lsp::ChangeAnnotation {
            label: "Rename in the statement tables".to_string(),
            needs_confirmation: Some(true),
            description: Some(format!("`{}` → `{new}` in {what}", o.name)),
        };
        Ok((
            Some(lsp::WorkspaceEdit {
                document_changes: Some(lsp::DocumentChanges::Edits(docs)),
                change_annotations: Some(HashMap::from([(TABLES.to_string(), annotation)])),
                ..Default::default()
            }),
            None,
        ))
    }

    /// The edits that rename `old` to `new` in the rows of the statement tables that name
    /// it, by table, and how many rows. Only tables loaded from the workspace's facts folder
    /// are edited; `new` must read back as itself from a table.
    fn table_edits(&self, old: &str, new: &str) -> Result<(ByDocument, usize), String> {
        let Some(p) = self.results.project.as_ref() else { return Ok((Vec::new(), 0)) };
        let Some(facts_dir) = &self.workspace.facts else { return Ok((Vec::new(), 0)) };
        let mut tables = Vec::new();
        let mut rows = 0;
        for table in p.facts.tables.iter().filter(|t| t.kind == crate::facts::load::TableKind::Statements) {
            let file = p.sources.get(table.file);
            let path = Path::new(&file.name);
            if path.parent() != Some(facts_dir.as_path()) {
                continue;
            }
            // A table held open since loading is read again (checked unchanged).
            let text = file.read_text().map_err(|c| format!("cannot rename in `{}`: {}", file.name, c.why))?;
            let cells = crate::facts::rename::relation_cells(&text, old);
            if cells.is_empty() {
                continue;
            }
            if !crate::facts::rename::is_statement_name(new) {
                let read = crate::facts::load::normalise_relation_name(new).unwrap_or_default();
                return Err(format!(
                    "`{old}` is named in the statement tables, where `{new}` would read as `{read}`: \
                     choose a lower-case name with `_` between words"
                ));
            }
            let Some(uri) = convert::uri(path) else { continue };
            let lines = Lines::new(&text);
            rows += cells.len();
            let edits = cells
                .into_iter()
                .map(|c| lsp::TextEdit { range: lines.range(c.start, c.end), new_text: new.to_string() });
            tables.push((uri, edits.collect()));
        }
        Ok((tables, rows))
    }

    /// `textDocument/documentSymbol`.
    pub fn document_symbols(&self, params: &lsp::DocumentSymbolParams) -> Option<lsp::DocumentSymbolResponse> {
        let index = self.index();
        let id = index.file_id(&convert::path(&params.text_document.uri)?)?;
        let file = index.file(id);
        let lines = file.lines();
        let mut symbols = Vec::new();
        for item in &file.ast.items {
            let (name, kind, span, detail) = match item {
                ast::Item::Decl(d) => (d.name.name.clone(), lsp::SymbolKind::STRUCT, d.span, Some(".decl".to_string())),
                ast::Item::Rule(r) if !r.heads.is_empty() => {
                    let head = &r.heads[0];
                    let kind = if r.body.is_some() { lsp::SymbolKind::FUNCTION } else { lsp::SymbolKind::CONSTANT };
                    (head.relation.name.clone(), kind, r.span, Some(head_text(&file.text, head)))
                }
                _ => continue,
            };
            let range = lines.range(span.start as usize, span.end as usize);
            #[allow(deprecated)]
            symbols.push(lsp::DocumentSymbol {
                name,
                detail,
                kind,
                tags: None,
                deprecated: None,
                range,
                selection_range: range,
                children: None,
            });
        }
        Some(lsp::DocumentSymbolResponse::Nested(symbols))
    }

    /// `workspace/symbol`.
    pub fn workspace_symbols(&self, params: &lsp::WorkspaceSymbolParams) -> Vec<lsp::SymbolInformation> {
        let index = self.index();
        let query = params.query.to_lowercase();
        index
            .decls()
            .flat_map(|d| std::iter::once(&d.name).chain(&d.also))
            .filter(|n| n.name.to_lowercase().contains(&query))
            .filter_map(|n| {
                #[allow(deprecated)]
                Some(lsp::SymbolInformation {
                    name: n.name.clone(),
                    kind: lsp::SymbolKind::STRUCT,
                    tags: None,
                    deprecated: None,
                    location: self.location(&index, n.span)?,
                    container_name: None,
                })
            })
            .collect()
    }

    /// `textDocument/completion`.
    pub fn completion(&self, params: &lsp::CompletionParams) -> Option<lsp::CompletionResponse> {
        let index = self.index();
        let (file, offset) = self.at(&index, &params.text_document_position)?;
        let text = &index.file(file).text;
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let before = &text[line_start..offset];
        let snippet = |label: &str, insert: String, kind, detail: Option<String>| lsp::CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail,
            insert_text: Some(insert),
            insert_text_format: Some(lsp::InsertTextFormat::SNIPPET),
            ..Default::default()
        };
        let mut items = Vec::new();
        let trimmed = before.trim_start();
        if trimmed.starts_with('.') && !trimmed.contains(char::is_whitespace) {
            for (name, insert) in DIRECTIVES {
                items.push(snippet(name, insert.to_string(), lsp::CompletionItemKind::KEYWORD, None));
            }
            return Some(lsp::CompletionResponse::Array(items));
        }
        if (trimmed.starts_with(".input") || trimmed.starts_with(".output")) && before.contains('(') {
            // `from=` and `until=` (the interval columns, see README "Time") are `.input`'s only.
            let time = if trimmed.starts_with(".input") { TIME_PARAMS } else { &[] };
            for p in PARAMS.iter().chain(time) {
                let label = &p[..p.find('=').unwrap_or(p.len())];
                items.push(snippet(label, p.to_string(), lsp::CompletionItemKind::PROPERTY, None));
            }
            return Some(lsp::CompletionResponse::Array(items));
        }
        let in_string = before.matches('"').count() % 2 == 1;
        for name in self.results.constants.iter().take(1000) {
            let insert = if in_string { name.to_string() } else { fmt::quote(name) };
            items.push(lsp::CompletionItem {
                label: insert.clone(),
                kind: Some(lsp::CompletionItemKind::CONSTANT),
                insert_text: Some(insert),
                ..Default::default()
            });
        }
        if in_string {
            return Some(lsp::CompletionResponse::Array(items));
        }
        for (name, columns) in self.relations(&index) {
            let args: Vec<String> =
                columns.iter().enumerate().map(|(i, (c, _))| format!("${{{}:{c}}}", i + 1)).collect();
            let detail: Vec<String> = columns.iter().map(|(c, t)| format!("{c}: {t}")).collect();
            let detail = Some(format!("{name}({})", detail.join(", ")));
            items.push(snippet(&name, format!("{name}({})", args.join(", ")), lsp::CompletionItemKind::STRUCT, detail));
        }
        for (name, insert) in FUNCTORS {
            items.push(snippet(name, insert.to_string(), lsp::CompletionItemKind::FUNCTION, None));
        }
        Some(lsp::CompletionResponse::Array(items))
    }

    /// Every relation with its columns: declared ones from the texts, then statement relations.
    fn relations(&self, index: &Index) -> BTreeMap<String, Vec<(String, String)>> {
        let mut out = BTreeMap::new();
        if let Some(p) = &self.results.project {
            for r in &p.program.relations {
                if r.name.starts_with('$') {
                    continue;
                }
                let cols =
                    r.columns.iter().zip(&r.types).map(|(c, t)| (c.clone(), type_name(*t).to_string())).collect();
                out.insert(r.name.clone(), cols);
            }
        }
        for d in index.decls() {
            let cols: Vec<(String, String)> =
                d.columns.iter().map(|c| (c.name.name.clone(), c.ty.name.clone())).collect();
            for n in std::iter::once(&d.name).chain(&d.also) {
                out.insert(n.name.clone(), cols.clone());
            }
        }
        out
    }

    /// `textDocument/formatting`.
    pub fn formatting(&self, params: &lsp::DocumentFormattingParams) -> Option<Vec<lsp::TextEdit>> {
        let path = convert::path(&params.text_document.uri)?;
        let text = match self.overlay.get(&path) {
            Some(t) => t.clone(),
            None => std::fs::read_to_string(&path).ok()?,
        };
        let formatted = fmt::format_text(crate::base::source::FileId(0), &text).ok()?;
        if formatted == text {
            return Some(Vec::new());
        }
        let range = Lines::new(&text).range(0, text.len());
        Some(vec![lsp::TextEdit { range, new_text: formatted }])
    }

    /// Over each rule: the tuples it derived first in the last evaluation.
    pub fn code_lenses(&self, params: &lsp::CodeLensParams) -> Option<Vec<lsp::CodeLens>> {
        let e = self.results.evaluation.as_ref()?;
        let index = self.index();
        let path = convert::path(&params.text_document.uri)?;
        let file = index.file(index.file_id(&path)?);
        let lines = file.lines();
        let mut lenses = Vec::new();
        for item in &file.ast.items {
            let ast::Item::Rule(r) = item else { continue };
            if r.body.is_none() || r.heads.is_empty() {
                continue;
            }
            let Some(rule_text) = file.text.get(r.span.range()) else { continue };
            let n = e.rule_counts.get(&(path.clone(), rule_text.to_string())).copied().unwrap_or(0);
            let relation = r.heads[0].relation.name.clone();
            let start = lines.position(r.span.start as usize);
            let lens = |title: String, command: &str, arguments: Vec<String>| lsp::CodeLens {
                range: lsp::Range { start, end: start },
                command: Some(lsp::Command {
                    title,
                    command: command.to_string(),
                    arguments: Some(arguments.into_iter().map(serde_json::Value::String).collect()),
                }),
                data: None,
            };
            lenses.push(lens(format!("{n} tuple{} derived", plural(n)), SHOW_TUPLES, vec![relation]));
            if n > 0 {
                let arguments = vec![params.text_document.uri.as_str().to_string(), rule_text.to_string()];
                lenses.push(lens("explain one".to_string(), EXPLAIN_ONE, arguments));
            }
        }
        Some(lenses)
    }

    /// `stance.showTuples REL`: the relation's first tuples from the last evaluation.
    pub fn show_tuples(&self, relation: &str) -> Option<String> {
        let e = self.results.evaluation.as_ref()?;
        let n = e.counts.get(relation)?;
        let mut out = format!("{relation}: {n} tuple{}", plural(*n));
        for t in e.samples.get(relation).into_iter().flatten() {
            out.push_str(&format!("\n{relation}({t})"));
        }
        Some(out)
    }

    /// `stance.explainOne URI RULE`: the proof of the first tuple the rule (its text as
    /// written in the file) derived in the last evaluation.
    pub fn explain_one(&self, uri: &str, rule: &str) -> Option<String> {
        let path = convert::path(&uri.parse().ok()?)?;
        let first = *self.results.evaluation.as_ref()?.firsts.get(&(path, rule.to_string()))?;
        super::analysis::first_proof(self.results, first, &self.workspace.root)
    }
}

/// The path of a `file://` URI, as text.
fn uri_path(uri: &lsp::Uri) -> String {
    convert::path(uri).map(|p| p.display().to_string()).unwrap_or_default()
}

/// The command of a rule's "N tuples derived" lens ("show all").
pub const SHOW_TUPLES: &str = "stance.showTuples";
/// The command of a rule's "explain one" lens.
pub const EXPLAIN_ONE: &str = "stance.explainOne";

/// The quick fixes of the diagnostics the client sends back (they carry their fixes).
pub fn code_actions(params: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
    let mut actions = Vec::new();
    for d in &params.context.diagnostics {
        let Some(data) = &d.data else { continue };
        let Ok(fixes) = serde_json::from_value::<Vec<FixData>>(data.clone()) else { continue };
        for (i, fix) in fixes.into_iter().enumerate() {
            let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
            for (uri, edit) in fix.edits {
                changes.entry(uri).or_default().push(edit);
            }
            actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: fix.title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }),
                is_preferred: Some(i == 0),
                ..Default::default()
            }));
        }
    }
    actions
}

fn head_text(text: &str, head: &ast::Atom) -> String {
    text.get(head.span.range()).unwrap_or(&head.relation.name).to_string()
}

fn type_name(t: Type) -> &'static str {
    t.name()
}
