//! `stance lsp`: a language server for rule files (`.dl`) and claims files (`.claims`), over
//! the Language Server Protocol on standard input and output.
//!
//! The request loop answers from the texts the editor sent and from the last finished
//! analysis, and never waits for one: checking and evaluating run on the threads of the
//! re-evaluation service that `watch` uses too ([`crate::session::reeval`]), which reuses
//! the session's load path with the unsaved texts laid over the files; [`analysis`]
//! publishes what it finds. Every request is answered even when a handler fails (an error response, never a
//! crash): the texts are half-written most of the time. Each edit cancels the evaluation
//! of the texts before it, which would only be thrown away.
//!
//! The workspace may come from someone else: evaluation runs under a tuple limit and a
//! timeout (and can be turned off), nothing is ever written (`.output` is never run), and
//! the session's path confinement applies as in `check`.

pub mod analysis;
pub mod convert;
pub mod features;
pub mod index;

use crate::session::Overlay;
use crate::session::reeval::{Cells, Edit, Recompute, Service, Setup, Tracked};
use analysis::{Results, Settings, Workspace};
use features::Context;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What the server offers.
pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
            save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into(), "(".into()]),
            ..Default::default()
        }),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        code_lens_provider: Some(lsp::CodeLensOptions { resolve_provider: Some(false) }),
        execute_command_provider: Some(lsp::ExecuteCommandOptions {
            commands: vec![features::SHOW_TUPLES.to_string(), features::EXPLAIN_ONE.to_string()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Serves one client on `connection` until it says `exit`.
pub fn serve(connection: &Connection, mut settings: Settings) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let init: lsp::InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("bad initialize parameters: {e}"))?;
    if let Some(options) = &init.initialization_options {
        settings.update(options);
    }
    #[allow(deprecated)]
    let root = init
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .and_then(|f| convert::path(&f.uri))
        .or_else(|| init.root_uri.as_ref().and_then(convert::path))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    let workspace = Workspace::new(root);
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "stance", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result).map_err(|e| e.to_string())?;

    let results = Arc::new(Mutex::new(Results::default()));
    let publisher = analysis::Publisher::new(workspace.clone(), connection.sender.clone(), results.clone());
    let service = Service::start(Setup {
        inputs: workspace.inputs(),
        limits: settings.limits(),
        tracked: Tracked::Nothing,
        evaluator: Box::new(Recompute),
        subscribers: vec![Arc::new(publisher)],
        cells: Cells::Literal,
    })
    .map_err(|e| format!("cannot start the analysis threads: {e}"))?;
    service.edit(Edit::Texts(Overlay::new()));
    let caps = init.capabilities.workspace.as_ref().and_then(|w| w.workspace_edit.as_ref());
    let annotations = caps.is_some_and(|e| e.document_changes == Some(true) && e.change_annotation_support.is_some());
    let mut server = Server {
        workspace,
        settings,
        docs: Overlay::new(),
        results,
        service,
        annotations,
        confirming: HashMap::new(),
        requests: 0,
    };

    for message in &connection.receiver {
        match message {
            Message::Request(req) => {
                if connection.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                let (response, out) = server.handle(req);
                let _ = connection.sender.send(Message::Response(response));
                for o in out {
                    let _ = connection.sender.send(server.outgoing(o));
                }
            }
            Message::Notification(n) => server.notify(n),
            Message::Response(r) => {
                if let Some(request) = server.answered(r) {
                    let _ = connection.sender.send(Message::Request(request));
                }
            }
        }
    }
    Ok(())
}

/// Serves on standard input and output (`stance lsp`).
pub fn serve_stdio(settings: Settings) -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    serve(&connection, settings)?;
    drop(connection);
    io.join().map_err(|e| e.to_string())
}

struct Server {
    workspace: Workspace,
    settings: Settings,
    /// The open documents' texts, by path.
    docs: Overlay,
    results: Arc<Mutex<Results>>,
    /// Checks and evaluates after each edit, and publishes.
    service: Service,
    /// The client confirms annotated edits itself (see [`features::Context::annotations`]).
    annotations: bool,
    /// The statement tables' edits of a rename, by the id of the question asking the user
    /// to confirm them.
    confirming: HashMap<RequestId, lsp::WorkspaceEdit>,
    /// Requests sent to the client so far.
    requests: u64,
}

/// What a request's handler sends besides its response.
enum Outgoing {
    Note(Notification),
    /// Ask the user to confirm a rename's edits to the statement tables.
    Confirm(features::TableEdits),
}

/// The answer of the question of [`Outgoing::Confirm`] that applies the edits.
pub const RENAME_IN_TABLES: &str = "Rename in the tables";
/// The answer that leaves the tables as they are.
pub const RULE_FILES_ONLY: &str = "Rule files only";

impl Server {
    fn notify(&mut self, n: Notification) {
        use lsp::notification as note;
        let changed = match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params.clone()).ok().and_then(|p| {
                    let path = convert::path(&p.text_document.uri)?;
                    self.docs.insert(path, p.text_document.text);
                    Some(())
                })
            }
            note::DidChangeTextDocument::METHOD => {
                serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params.clone()).ok().and_then(|p| {
                    let path = convert::path(&p.text_document.uri)?;
                    let text = self.docs.entry(path).or_default();
                    for change in p.content_changes {
                        apply(text, &change);
                    }
                    Some(())
                })
            }
            note::DidCloseTextDocument::METHOD => {
                serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params.clone()).ok().and_then(|p| {
                    self.docs.remove(&convert::path(&p.text_document.uri)?);
                    Some(())
                })
            }
            note::DidSaveTextDocument::METHOD | note::DidChangeWatchedFiles::METHOD => {
                self.service.edit(Edit::Files(Vec::new()));
                None
            }
            note::DidChangeConfiguration::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeConfigurationParams>(n.params.clone()) {
                    self.settings.update(&p.settings);
                    self.service.edit(Edit::Limits(self.settings.limits()));
                }
                None
            }
            _ => None,
        };
        if changed.is_some() {
            self.service.edit(Edit::Texts(self.docs.clone()));
        }
    }

    /// A request to the client, with the next id.
    fn request(&mut self, method: &str, params: impl serde::Serialize) -> Request {
        self.requests += 1;
        Request::new(RequestId::from(format!("stance-{}", self.requests)), method.to_string(), params)
    }

    /// The message that carries `o` (a question is remembered until its answer comes).
    fn outgoing(&mut self, o: Outgoing) -> Message {
        match o {
            Outgoing::Note(n) => Message::Notification(n),
            Outgoing::Confirm(t) => {
                let actions = [RENAME_IN_TABLES, RULE_FILES_ONLY]
                    .map(|title| lsp::MessageActionItem { title: title.to_string(), properties: HashMap::new() });
                let params = lsp::ShowMessageRequestParams {
                    typ: lsp::MessageType::WARNING,
                    message: t.message,
                    actions: Some(actions.to_vec()),
                };
                let request = self.request(lsp::request::ShowMessageRequest::METHOD, params);
                self.confirming.insert(request.id.clone(), t.edit);
                Message::Request(request)
            }
        }
    }

    /// The client's answer to a request of ours: when it confirms a rename in the
    /// statement tables, the request that applies the edits.
    fn answered(&mut self, r: Response) -> Option<Request> {
        let edit = self.confirming.remove(&r.id)?;
        let chosen: Option<lsp::MessageActionItem> = serde_json::from_value(r.response_result.ok()?).ok()?;
        if chosen?.title != RENAME_IN_TABLES {
            return None;
        }
        let label = Some("Rename in the statement tables".to_string());
        Some(self.request(lsp::request::ApplyWorkspaceEdit::METHOD, lsp::ApplyWorkspaceEditParams { label, edit }))
    }

    /// Answers one request; a handler that fails (or panics) gives an error response.
    fn handle(&mut self, req: Request) -> (Response, Vec<Outgoing>) {
        let id = req.id.clone();
        let mut notes = Vec::new();
        let results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        let cx = Context {
            workspace: &self.workspace,
            overlay: &self.docs,
            results: &results,
            annotations: self.annotations,
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(&cx, req, &mut notes)));
        let response = match outcome {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
            Err(_) => Response::new_err(id, ErrorCode::InternalError as i32, "internal error in stance".to_string()),
        };
        (response, notes)
    }
}

type Answer = Result<serde_json::Value, (ErrorCode, String)>;

fn dispatch(cx: &Context, req: Request, notes: &mut Vec<Outgoing>) -> Answer {
    use lsp::request as r;
    fn params<P: serde::de::DeserializeOwned>(req: Request) -> Result<P, (ErrorCode, String)> {
        serde_json::from_value(req.params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
    }
    fn json<T: serde::Serialize>(value: T) -> Answer {
        serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }
    match req.method.as_str() {
        r::HoverRequest::METHOD => json(cx.hover(&params(req)?)),
        r::GotoDefinition::METHOD => json(cx.definition(&params(req)?)),
        r::References::METHOD => json(cx.references(&params(req)?)),
        r::Rename::METHOD => {
            let (edit, tables) = cx.rename(&params(req)?).map_err(|e| (ErrorCode::InvalidParams, e))?;
            notes.extend(tables.map(Outgoing::Confirm));
            json(edit)
        }
        r::DocumentSymbolRequest::METHOD => json(cx.document_symbols(&params(req)?)),
        r::WorkspaceSymbolRequest::METHOD => json(cx.workspace_symbols(&params(req)?)),
        r::Completion::METHOD => json(cx.completion(&params(req)?)),
        r::Formatting::METHOD => json(cx.formatting(&params(req)?)),
        r::CodeLensRequest::METHOD => json(cx.code_lenses(&params(req)?)),
        r::CodeActionRequest::METHOD => json(features::code_actions(&params(req)?)),
        r::ExecuteCommand::METHOD => {
            let p: lsp::ExecuteCommandParams = params(req)?;
            let text = match p.command.as_str() {
                features::SHOW_TUPLES => {
                    cx.show_tuples(p.arguments.first().and_then(|a| a.as_str()).unwrap_or_default())
                }
                features::EXPLAIN_ONE => {
                    let arg = |i: usize| p.arguments.get(i).and_then(|a| a.as_str()).unwrap_or_default();
                    cx.explain_one(arg(0), arg(1))
                }
                other => return Err((ErrorCode::InvalidParams, format!("unknown command `{other}`"))),
            };
            if let Some(t) = &text {
                let show = lsp::ShowMessageParams { typ: lsp::MessageType::INFO, message: t.clone() };
                notes.push(Outgoing::Note(Notification::new(lsp::notification::ShowMessage::METHOD.to_string(), show)));
            }
            json(text)
        }
        other => Err((ErrorCode::MethodNotFound, format!("stance does not handle `{other}`"))),
    }
}

/// Applies one content change: a range replaced, or (no range) the whole text.
fn apply(text: &mut String, change: &lsp::TextDocumentContentChangeEvent) {
    let Some(range) = change.range else {
        *text = change.text.clone();
        return;
    };
    let lines = convert::Lines::new(text);
    let (start, end) = (lines.offset(range.start), lines.offset(range.end));
    let (start, end) = (start.min(end), start.max(end));
    text.replace_range(start..end, &change.text);
}
