//! `stance lsp` at the protocol level: a client on an in-memory connection drives the server
//! through initialize, didOpen, didChange, the requests and shutdown, and compares each
//! response with the exact JSON expected. Diagnostics arrive as notifications from the
//! worker thread; the client waits for the server's `$/stance/analysed` notification.

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};
use stance::lsp::analysis::Settings;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

const STATEMENTS: &str = "\
subject,relation,object,source,date,quote
Egypt,backs,Tobruk,The Paper,2016-11-28,Egypt backs Tobruk
Tobruk,relies_on,Haftar,The Paper,2016-11-28,Tobruk relies on Haftar
";

const RULES: &str = "\
.decl aligned(x: symbol, y: symbol)
.output aligned
aligned(x, y) :- backs(x, y).
aligned(x, z) :- backs(x, y), relies_on(y, z).
";

/// A project folder with `rules/r.dl` and `facts/statements.csv`.
fn project(rules: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join("rules")).unwrap();
    std::fs::create_dir(root.join("facts")).unwrap();
    std::fs::write(root.join("rules/r.dl"), rules).unwrap();
    std::fs::write(root.join("facts/statements.csv"), STATEMENTS).unwrap();
    (dir, root)
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

struct Client {
    conn: Connection,
    server: Option<JoinHandle<Result<(), String>>>,
    next: i32,
    /// The last diagnostics published for each URI.
    diagnostics: BTreeMap<String, Value>,
    /// Other notifications, in order.
    notes: Vec<Notification>,
    /// Requests from the server, in order.
    requests: Vec<Request>,
    /// Edits sent (the server numbers its analyses the same way: 1 is the first).
    generation: u64,
    /// The newest edit the server has finished analysing.
    done: u64,
}

const TIMEOUT: Duration = Duration::from_secs(60);

impl Client {
    fn start(root: &Path, options: Value) -> Client {
        Client::start_with(root, options, json!({}))
    }

    fn start_with(root: &Path, options: Value, capabilities: Value) -> Client {
        let (server, conn) = Connection::memory();
        let handle = std::thread::spawn(move || stance::lsp::serve(&server, Settings::default()));
        let mut c = Client {
            conn,
            server: Some(handle),
            next: 0,
            diagnostics: BTreeMap::new(),
            notes: Vec::new(),
            requests: Vec::new(),
            generation: 1,
            done: 0,
        };
        let mut options = options;
        options["debounceMs"] = json!(0);
        let init = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": uri(root), "capabilities": capabilities, "initializationOptions": options }),
        );
        assert_eq!(init["serverInfo"]["name"], "stance");
        c.notify("initialized", json!({}));
        c
    }

    fn notify(&mut self, method: &str, params: Value) {
        if method.starts_with("textDocument/did") {
            self.generation += 1;
        }
        self.conn.sender.send(Message::Notification(Notification::new(method.to_string(), params))).unwrap();
    }

    /// Sends a request and returns its result (panics on an error response).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let r = self.respond(method, params);
        r.response_result.unwrap_or_else(|e| panic!("{method}: {e:?}"))
    }

    fn respond(&mut self, method: &str, params: Value) -> lsp_server::Response {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.conn.sender.send(Message::Request(Request::new(id.clone(), method.to_string(), params))).unwrap();
        loop {
            match self.conn.receiver.recv_timeout(TIMEOUT).expect("no response from the server") {
                Message::Response(r) if r.id == id => return r,
                Message::Response(r) => panic!("unexpected response {r:?}"),
                Message::Notification(n) => self.keep(n),
                Message::Request(r) => self.requests.push(r),
            }
        }
    }

    /// The next request from the server (waiting for it if none came yet).
    fn server_request(&mut self) -> Request {
        loop {
            if !self.requests.is_empty() {
                return self.requests.remove(0);
            }
            match self.conn.receiver.recv_timeout(TIMEOUT).expect("no request from the server") {
                Message::Request(r) => self.requests.push(r),
                Message::Notification(n) => self.keep(n),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn reply(&mut self, id: RequestId, result: Value) {
        self.conn.sender.send(Message::Response(lsp_server::Response::new_ok(id, result))).unwrap();
    }

    fn keep(&mut self, n: Notification) {
        if n.method == "$/stance/analysed" {
            self.done = self.done.max(n.params["generation"].as_u64().unwrap());
        } else if n.method == "textDocument/publishDiagnostics" {
            self.diagnostics.insert(n.params["uri"].as_str().unwrap().to_string(), n.params["diagnostics"].clone());
        } else {
            self.notes.push(n);
        }
    }

    /// Waits until the server has analysed the texts as of the last edit.
    fn analysed(&mut self) {
        while self.done < self.generation {
            match self.conn.receiver.recv_timeout(TIMEOUT).expect("the server never finished analysing") {
                Message::Notification(n) => self.keep(n),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn open(&mut self, path: &Path, text: &str) {
        let doc = json!({ "uri": uri(path), "languageId": "stance", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": doc }));
    }

    fn change(&mut self, path: &Path, range: Value, text: &str) {
        let change = json!({ "range": range, "text": text });
        let params = json!({ "textDocument": { "uri": uri(path), "version": 2 }, "contentChanges": [change] });
        self.notify("textDocument/didChange", params);
    }

    fn at(&mut self, method: &str, path: &Path, line: u32, character: u32) -> Value {
        self.request(
            method,
            json!({ "textDocument": { "uri": uri(path) }, "position": { "line": line, "character": character } }),
        )
    }

    fn shutdown(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let result = self.server.take().unwrap().join().unwrap();
        assert_eq!(result, Ok(()));
    }
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } })
}

#[test]
fn initialize_announces_what_the_server_does() {
    let (_dir, root) = project(RULES);
    let (server, conn) = Connection::memory();
    let handle = std::thread::spawn(move || stance::lsp::serve(&server, Settings::default()));
    let init =
        Request::new(RequestId::from(1), "initialize".into(), json!({ "rootUri": uri(&root), "capabilities": {} }));
    conn.sender.send(Message::Request(init)).unwrap();
    let Message::Response(r) = conn.receiver.recv_timeout(TIMEOUT).unwrap() else { panic!() };
    assert_eq!(
        r.response_result.unwrap(),
        json!({
            "capabilities": {
                "textDocumentSync": { "openClose": true, "change": 2, "save": true },
                "hoverProvider": true,
                "completionProvider": { "triggerCharacters": [".", "\"", "("] },
                "definitionProvider": true,
                "referencesProvider": true,
                "documentSymbolProvider": true,
                "workspaceSymbolProvider": true,
                "codeActionProvider": true,
                "codeLensProvider": { "resolveProvider": false },
                "documentFormattingProvider": true,
                "renameProvider": true,
                "executeCommandProvider": { "commands": ["stance.showTuples", "stance.explainOne"] },
            },
            "serverInfo": { "name": "stance", "version": env!("CARGO_PKG_VERSION") },
        })
    );
    conn.sender.send(Message::Notification(Notification::new("initialized".into(), json!({})))).unwrap();
    let shutdown = Request::new(RequestId::from(2), "shutdown".into(), Value::Null);
    conn.sender.send(Message::Request(shutdown)).unwrap();
    conn.sender.send(Message::Notification(Notification::new("exit".into(), Value::Null))).unwrap();
    assert_eq!(handle.join().unwrap(), Ok(()));
}

#[test]
fn a_typo_gets_a_diagnostic_and_its_quick_fix_repairs_it() {
    let (_dir, root) = project(RULES);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({}));
    c.open(&file, RULES);
    c.analysed();
    assert_eq!(c.diagnostics.get(&uri(&file)), None, "a correct file has no diagnostics");

    // `backs` → `backz` on line 3.
    c.change(&file, range(2, 21, 2, 22), "z");
    c.analysed();
    let diags = c.diagnostics[&uri(&file)].clone();
    let fix_edit = json!({ "range": range(2, 17, 2, 22), "newText": "backs" });
    assert_eq!(
        diags,
        json!([{
            "range": range(2, 17, 2, 22),
            "severity": 1,
            "code": "E010",
            "source": "stance",
            "message": "unknown relation `backz`\nhelp: did you mean `backs`?",
            "data": [{ "title": "change to `backs`", "edits": [[uri(&file), fix_edit]] }],
        }])
    );
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri(&file) }, "range": range(2, 17, 2, 22), "context": { "diagnostics": diags } }),
    );
    assert_eq!(
        actions,
        json!([{
            "title": "change to `backs`",
            "kind": "quickfix",
            "diagnostics": diags,
            "edit": { "changes": { uri(&file): [fix_edit] } },
            "isPreferred": true,
        }])
    );

    // Applying it clears the diagnostic.
    c.change(&file, range(2, 17, 2, 22), "backs");
    c.analysed();
    assert_eq!(c.diagnostics[&uri(&file)], json!([]));
    c.shutdown();
}

/// The other quick fixes: declare an unknown relation, quote a bare constant, add `.input`.
#[test]
fn quick_fixes_declare_quote_and_read_input() {
    let rules = "\
.decl aligned(x: symbol, y: symbol)
.output aligned
aligned(x, y) :- backs(x, y), ally(y, 3).
";
    let (_dir, root) = project(rules);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({}));
    c.open(&file, rules);
    c.analysed();
    let data = &c.diagnostics[&uri(&file)][0]["data"];
    assert_eq!(
        data,
        &json!([{ "title": "declare `ally`", "edits": [[uri(&file), {
            "range": range(2, 41, 2, 41), "newText": "\n.decl ally(y: symbol, c2: number)"
        }]] }])
    );

    let quoted = ".decl aligned(x: symbol, y: symbol)\n.output aligned\naligned(x, Haftar) :- backs(x, _).\n";
    c.change(&file, range(0, 0, 99, 0), quoted);
    c.analysed();
    let diag = &c.diagnostics[&uri(&file)][0];
    assert_eq!(diag["code"], "E014");
    assert_eq!(
        diag["data"],
        json!([{ "title": "quote `Haftar` as a constant", "edits": [[uri(&file), {
            "range": range(2, 11, 2, 17), "newText": "\"Haftar\""
        }]] }])
    );

    let empty = ".decl ally(x: symbol, y: symbol)\n.decl aligned(x: symbol, y: symbol)\n.output aligned\naligned(x, y) :- ally(x, y).\n";
    c.change(&file, range(0, 0, 99, 0), empty);
    c.analysed();
    let diag = &c.diagnostics[&uri(&file)][0];
    assert_eq!(diag["code"], "W003");
    assert_eq!(diag["severity"], 2);
    assert_eq!(
        diag["data"],
        json!([{ "title": "read `ally` from the facts directory (`.input`)", "edits": [[uri(&file), {
            "range": range(0, 32, 0, 32), "newText": "\n.input ally"
        }]] }])
    );
    c.shutdown();
}

#[test]
fn hover_shows_declaration_sources_and_tuples() {
    let (_dir, root) = project(RULES);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({}));
    c.open(&file, RULES);
    c.analysed();
    assert_eq!(
        c.at("textDocument/hover", &file, 2, 2),
        json!({
            "contents": { "kind": "markdown", "value": "```stance\n.decl aligned(x: symbol, y: symbol)\n```\n\n\
                tuples from: 2 rules or facts\n\n\
                **2 tuples** in the last evaluation\n- `aligned(Egypt, Haftar)`\n- `aligned(Egypt, Tobruk)`" },
            "range": range(2, 0, 2, 7),
        })
    );
    assert_eq!(
        c.at("textDocument/hover", &file, 3, 33)["contents"]["value"],
        "```stance\nrelies_on(subject: symbol, object: symbol)\n```\nstatement relation (no `.decl`)\n\n\
         tuples from: 1 row of facts/statements.csv\n\n\
         **1 tuple** in the last evaluation\n- `relies_on(Tobruk, Haftar)`"
    );
    c.shutdown();
}

#[test]
fn hover_on_a_constant_shows_where_the_facts_mention_it() {
    let rules = ".decl from_egypt(y: symbol)\n.output from_egypt\nfrom_egypt(y) :- backs(\"Egypt\", y).\n";
    let (_dir, root) = project(rules);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({}));
    c.open(&file, rules);
    c.analysed();
    assert_eq!(
        c.at("textDocument/hover", &file, 2, 26),
        json!({
            "contents": { "kind": "markdown", "value": "`\"Egypt\"`\n\noccurs in 1 row of the facts\n- backs at facts/statements.csv:2" },
            "range": range(2, 23, 2, 30),
        })
    );
    c.shutdown();
}

#[test]
fn definition_references_and_symbols() {
    let (_dir, root) = project(RULES);
    let file = root.join("rules/r.dl");
    let csv = root.join("facts/statements.csv");
    let mut c = Client::start(&root, json!({}));
    c.open(&file, RULES);
    c.analysed();
    assert_eq!(c.at("textDocument/definition", &file, 3, 1), json!({ "uri": uri(&file), "range": range(0, 6, 0, 13) }));
    assert_eq!(
        c.at("textDocument/definition", &file, 3, 19),
        json!([{ "uri": uri(&csv), "range": range(1, 0, 1, 0) }]),
        "a statement relation's definition is its rows"
    );
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri(&file) }, "position": { "line": 1, "character": 9 },
                "context": { "includeDeclaration": false } }),
    );
    assert_eq!(
        refs,
        json!([
            { "uri": uri(&file), "range": range(1, 8, 1, 15) },
            { "uri": uri(&file), "range": range(2, 0, 2, 7) },
            { "uri": uri(&file), "range": range(3, 0, 3, 7) },
        ])
    );
    let symbols = c.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri(&file) } }));
    assert_eq!(
        symbols,
        json!([
            { "name": "aligned", "detail": ".decl", "kind": 23, "range": range(0, 0, 0, 35), "selectionRange": range(0, 0, 0, 35) },
            { "name": "aligned", "detail": "aligned(x, y)", "kind": 12, "range": range(2, 0, 2, 29), "selectionRange": range(2, 0, 2, 29) },
            { "name": "aligned", "detail": "aligned(x, z)", "kind": 12, "range": range(3, 0, 3, 46), "selectionRange": range(3, 0, 3, 46) },
        ])
    );
    assert_eq!(
        c.request("workspace/symbol", json!({ "query": "ALIG" })),
        json!([{ "name": "aligned", "kind": 23, "location": { "uri": uri(&file), "range": range(0, 6, 0, 13) } }])
    );
    c.shutdown();
}

#[test]
fn rename_changes_every_mention_across_rule_files() {
    let (_dir, root) = project(RULES);
    let file = root.join("rules/r.dl");
    let other = root.join("rules/s.dl");
    std::fs::write(&other, ".decl pal(x: symbol)\npal(x) :- aligned(x, _).\n.output pal\n").unwrap();
    let mut c = Client::start(&root, json!({}));
    c.open(&file, RULES);
    c.analysed();
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri(&file) }, "position": { "line": 0, "character": 8 }, "newName": "sides" }),
    );
    let e = |r: Value| json!({ "range": r, "newText": "sides" });
    assert_eq!(
        edit,
        json!({ "changes": {
            uri(&file): [e(range(0, 6, 0, 13)), e(range(1, 8, 1, 15)), e(range(2, 0, 2, 7)), e(range(3, 0, 3, 7))],
            uri(&other): [e(range(1, 10, 1, 17))],
        } })
    );
    let refused = c.respond(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri(&file) }, "position": { "line": 0, "character": 8 }, "newName": "backs" }),
    );
    assert_eq!(refused.response_result.unwrap_err().message, "a relation named `backs` already exists");
    c.shutdown();
}

/// Statement rows naming `backs` plainly, quoted, with spaces and another case; a quote
/// column that mentions it and spans two lines; and a row of another relation.
const TABLE_TO_RENAME: &str = "\
subject,relation,object,source,date,quote
Egypt,backs,Tobruk,The Paper,2016-11-28,Egypt backs Tobruk
Tobruk,relies_on,Haftar,The Paper,2016-11-28,Tobruk relies on Haftar
UAE,\"backs\",Haftar,The Paper,2016-11-29,\"The UAE \"\"backs, it says\"\",
Haftar\"
Russia, Backs ,Haftar,The Paper,2016-11-30,q
";

fn rename_backs(c: &mut Client, file: &Path, new: &str) -> lsp_server::Response {
    c.respond(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri(file) }, "position": { "line": 2, "character": 18 }, "newName": new }),
    )
}

/// A client without change annotations: the rule files' edits come at once, the tables'
/// only after the user answers the server's question.
#[test]
fn renaming_a_statement_relation_asks_before_editing_the_tables() {
    let (_dir, root) = project(RULES);
    let (file, table) = (root.join("rules/r.dl"), root.join("facts/statements.csv"));
    std::fs::write(&table, TABLE_TO_RENAME).unwrap();
    let mut c = Client::start(&root, json!({}));
    c.open(&file, RULES);
    c.analysed();
    let e = |r: Value| json!({ "range": r, "newText": "supports" });
    let edit = rename_backs(&mut c, &file, "supports").response_result.unwrap();
    assert_eq!(edit, json!({ "changes": { uri(&file): [e(range(2, 17, 2, 22)), e(range(3, 17, 3, 22))] } }));
    let question = c.server_request();
    assert_eq!(question.method, "window/showMessageRequest");
    assert_eq!(
        question.params,
        json!({
            "type": 2,
            "message": "Also rename `backs` to `supports` in the statement tables (3 rows of facts/statements.csv)?",
            "actions": [{ "title": "Rename in the tables" }, { "title": "Rule files only" }],
        })
    );
    c.reply(question.id, json!({ "title": "Rename in the tables" }));
    let apply = c.server_request();
    assert_eq!(apply.method, "workspace/applyEdit");
    assert_eq!(
        apply.params,
        json!({
            "label": "Rename in the statement tables",
            "edit": { "changes": { uri(&table): [e(range(1, 6, 1, 11)), e(range(3, 5, 3, 10)), e(range(5, 7, 5, 14))] } },
        })
    );

    // Declined: nothing is applied.
    rename_backs(&mut c, &file, "supports").response_result.unwrap();
    let question = c.server_request();
    c.reply(question.id, json!({ "title": "Rule files only" }));
    c.request("workspace/symbol", json!({ "query": "" }));
    assert!(c.requests.is_empty(), "{:?}", c.requests);

    // A name the tables would read otherwise is refused.
    let refused = rename_backs(&mut c, &file, "Supports").response_result.unwrap_err();
    assert_eq!(
        refused.message,
        "`backs` is named in the statement tables, where `Supports` would read as `supports`: \
         choose a lower-case name with `_` between words"
    );
    c.shutdown();
}

/// A client with change annotations gets every edit at once, the tables' annotated as
/// needing confirmation.
#[test]
fn renaming_a_statement_relation_annotates_the_table_edits() {
    let (_dir, root) = project(RULES);
    let (file, table) = (root.join("rules/r.dl"), root.join("facts/statements.csv"));
    std::fs::write(&table, TABLE_TO_RENAME).unwrap();
    let capabilities = json!({ "workspace": { "workspaceEdit": {
        "documentChanges": true, "changeAnnotationSupport": { "groupsOnLabel": true } } } });
    let mut c = Client::start_with(&root, json!({}), capabilities);
    c.open(&file, RULES);
    c.analysed();
    let e = |r: Value| json!({ "range": r, "newText": "supports" });
    let a = |r: Value| json!({ "range": r, "newText": "supports", "annotationId": "statement-tables" });
    assert_eq!(
        rename_backs(&mut c, &file, "supports").response_result.unwrap(),
        json!({
            "documentChanges": [
                { "textDocument": { "uri": uri(&file), "version": null },
                  "edits": [e(range(2, 17, 2, 22)), e(range(3, 17, 3, 22))] },
                { "textDocument": { "uri": uri(&table), "version": null },
                  "edits": [a(range(1, 6, 1, 11)), a(range(3, 5, 3, 10)), a(range(5, 7, 5, 14))] },
            ],
            "changeAnnotations": { "statement-tables": {
                "label": "Rename in the statement tables",
                "needsConfirmation": true,
                "description": "`backs` → `supports` in 3 rows of facts/statements.csv",
            } },
        })
    );
    assert!(c.requests.is_empty());
    c.shutdown();
}

#[test]
fn completion_offers_relations_constants_functors_and_directives() {
    let (_dir, root) = project(RULES);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({}));
    c.open(&file, RULES);
    c.analysed();
    // Half-written: the completions come from the last project that loaded.
    c.change(&file, range(4, 0, 4, 0), "aligned(x, y) :- \n.\n");
    c.analysed();
    let items = c.at("textDocument/completion", &file, 4, 17);
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "\"Egypt\"",
            "\"Haftar\"",
            "\"Tobruk\"",
            "aligned",
            "backs",
            "relies_on",
            "cat",
            "strlen",
            "substr",
            "ord",
            "to_number",
            "to_string",
            "to_float",
            "to_unsigned",
            "min",
            "max",
            "range",
            "autoinc",
            "count",
            "sum",
            "mean"
        ]
    );
    assert_eq!(
        items[3],
        json!({ "label": "aligned", "kind": 22, "detail": "aligned(x: symbol, y: symbol)",
                "insertText": "aligned(${1:x}, ${2:y})", "insertTextFormat": 2 })
    );
    let directives = c.at("textDocument/completion", &file, 5, 1);
    let labels: Vec<&str> = directives.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["decl", "input", "output", "printsize", "type"]);
    // Parameters: `.input` also takes the interval columns of a dated table.
    c.change(&file, range(5, 0, 5, 0), ".input backs(\n.output aligned(\n");
    let labels = |items: serde_json::Value| -> Vec<String> {
        items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
    };
    let input = labels(c.at("textDocument/completion", &file, 5, 13));
    assert_eq!(input, ["filename", "delimiter", "headers", "rfc4180", "from", "until"]);
    let output = labels(c.at("textDocument/completion", &file, 6, 16));
    assert_eq!(output, ["filename", "delimiter", "headers", "rfc4180"]);
    c.shutdown();
}

#[test]
fn formatting_returns_the_canonical_layout() {
    let messy = ".decl  aligned(x:symbol,y : symbol)\n.output aligned\naligned(x,y):-backs(x,y).\n";
    let (_dir, root) = project(messy);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({}));
    c.open(&file, messy);
    let edits = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri(&file) }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    assert_eq!(
        edits,
        json!([{ "range": range(0, 0, 3, 0),
                 "newText": ".decl aligned(x: symbol, y: symbol)\n.output aligned\naligned(x, y) :- backs(x, y).\n" }])
    );
    c.shutdown();
}

#[test]
fn code_lenses_count_the_tuples_each_rule_derived() {
    let (_dir, root) = project(RULES);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({}));
    c.open(&file, RULES);
    c.analysed();
    assert_eq!(
        c.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri(&file) } })),
        json!([
            lens(2, "1 tuple derived", "stance.showTuples", json!(["aligned"])),
            lens(2, "explain one", "stance.explainOne", json!([uri(&file), "aligned(x, y) :- backs(x, y)."])),
            lens(3, "1 tuple derived", "stance.showTuples", json!(["aligned"])),
            lens(
                3,
                "explain one",
                "stance.explainOne",
                json!([uri(&file), "aligned(x, z) :- backs(x, y), relies_on(y, z)."])
            ),
        ])
    );
    assert_eq!(
        c.request("workspace/executeCommand", json!({ "command": "stance.showTuples", "arguments": ["aligned"] })),
        json!("aligned: 2 tuples\naligned(Egypt, Haftar)\naligned(Egypt, Tobruk)")
    );
    c.shutdown();
}

fn lens(line: u32, title: &str, command: &str, arguments: Value) -> Value {
    json!({ "range": range(line, 0, line, 0), "command": { "title": title, "command": command, "arguments": arguments } })
}

/// "explain one" over a rule: the proof of the first tuple it derived, as `stance explain`
/// prints it, with the sources (paths relative to the workspace folder).
#[test]
fn explain_one_gives_the_proof_of_a_rules_first_tuple() {
    let (_dir, root) = project(RULES);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({}));
    c.open(&file, RULES);
    c.analysed();
    let explain = |c: &mut Client, rule: &str| {
        c.request(
            "workspace/executeCommand",
            json!({ "command": "stance.explainOne", "arguments": [uri(&file), rule] }),
        )
    };
    assert_eq!(
        explain(&mut c, "aligned(x, y) :- backs(x, y)."),
        json!(
            "aligned(\"Egypt\", \"Tobruk\")\n\
               │  by aligned(x, y) :- backs(x, y).  [rules/r.dl:3]\n\
               │  with x = \"Egypt\", y = \"Tobruk\"\n\
               └─ backs(\"Egypt\", \"Tobruk\")\n      \
                     stated in facts/statements.csv:2\n      \
                     source: The Paper, date: 2016-11-28\n      \
                     quote: “Egypt backs Tobruk”\n"
        )
    );
    // A rule that derived nothing (or is not in the file) has nothing to explain.
    assert_eq!(explain(&mut c, "aligned(x, x) :- backs(x, x)."), Value::Null);
    c.shutdown();
}

/// A claim in a `.claims` file: its verdict as `stance review` gives it, and the first lines
/// of its proof with the sources (or review's details when there is no proof to show).
#[test]
fn hover_on_a_claim_shows_its_verdict_and_proof() {
    let (_dir, root) = project(RULES);
    std::fs::create_dir(root.join("claims")).unwrap();
    let claims = root.join("claims/c.claims");
    let text = "aligned(\"Egypt\", \"Haftar\").\ncount aligned(\"Egypt\", _) = 3.\n";
    std::fs::write(&claims, text).unwrap();
    let mut c = Client::start(&root, json!({}));
    c.open(&claims, text);
    c.analysed();
    assert_eq!(
        c.at("textDocument/hover", &claims, 0, 3),
        json!({
            "contents": { "kind": "markdown", "value": "**SUPPORTED** `aligned(\"Egypt\", \"Haftar\")`\n\n```text\n\
                aligned(\"Egypt\", \"Haftar\")\n\
                │  by aligned(x, z) :- backs(x, y), relies_on(y, z).  [rules/r.dl:4]\n\
                │  with x = \"Egypt\", y = \"Tobruk\", z = \"Haftar\"\n\
                ├─ backs(\"Egypt\", \"Tobruk\")\n\
                │     stated in facts/statements.csv:2\n\
                │     source: The Paper, date: 2016-11-28\n\
                │     quote: “Egypt backs Tobruk”\n\
                └─ relies_on(\"Tobruk\", \"Haftar\")\n      \
                      stated in facts/statements.csv:3\n      \
                      source: The Paper, date: 2016-11-28\n      \
                      quote: “Tobruk relies on Haftar”\n```" },
            "range": range(0, 0, 0, 27),
        })
    );
    assert_eq!(
        c.at("textDocument/hover", &claims, 1, 0)["contents"]["value"],
        "**FAILED** `count aligned(\"Egypt\", _) = 3`\n\n```text\nexpected 3 matching tuples, found 2\n\
         matching: aligned(\"Egypt\", \"Haftar\"), aligned(\"Egypt\", \"Tobruk\")\n```"
    );
    // Between claims, nothing.
    assert_eq!(c.at("textDocument/hover", &claims, 2, 0), Value::Null);
    c.shutdown();
}

/// An edit cancels the evaluation of the texts before it: the slow program's run (two
/// billion values, under a limit of an hour) stops, and the next request is answered
/// from the new program's evaluation.
#[test]
fn an_edit_cancels_the_running_evaluation() {
    let slow = format!("{RULES}.decl slow(n: number)\nslow(i) :- i = range(0, 2000000000), i < 0.\n");
    let (_dir, root) = project(&slow);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({ "timeoutMs": 3_600_000 }));
    c.open(&file, &slow);
    // The slow program's warning (`slow` is never used) is published before it is evaluated.
    while c.diagnostics.get(&uri(&file)).is_none_or(|d| d.as_array().unwrap().is_empty()) {
        match c.conn.receiver.recv_timeout(TIMEOUT).expect("no diagnostics") {
            Message::Notification(n) => c.keep(n),
            other => panic!("unexpected {other:?}"),
        }
    }
    c.change(&file, range(4, 0, 6, 0), "");
    c.analysed();
    assert_eq!(c.diagnostics[&uri(&file)], json!([]));
    assert_eq!(
        c.at("textDocument/hover", &file, 2, 2)["contents"]["value"],
        "```stance\n.decl aligned(x: symbol, y: symbol)\n```\n\n\
         tuples from: 2 rules or facts\n\n\
         **2 tuples** in the last evaluation\n- `aligned(Egypt, Haftar)`\n- `aligned(Egypt, Tobruk)`"
    );
    c.shutdown();
}

/// Threat model: evaluation can be turned off, and `.output` never writes a file.
#[test]
fn untrusted_workspace_evaluation_off_and_no_output_written() {
    let (_dir, root) = project(RULES);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({ "evaluate": false }));
    c.open(&file, RULES);
    c.analysed();
    assert_eq!(c.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri(&file) } })), Value::Null);
    let hover = c.at("textDocument/hover", &file, 2, 2);
    assert_eq!(
        hover["contents"]["value"],
        "```stance\n.decl aligned(x: symbol, y: symbol)\n```\n\ntuples from: 2 rules or facts"
    );

    // Turned on by configuration: now it evaluates, and still writes nothing.
    c.notify("workspace/didChangeConfiguration", json!({ "settings": { "stance": { "evaluate": true } } }));
    c.generation += 1;
    c.analysed();
    let lenses = c.request("textDocument/codeLens", json!({ "textDocument": { "uri": uri(&file) } }));
    assert_eq!(lenses.as_array().unwrap().len(), 4);
    let mut files: Vec<String> =
        walk(&root).iter().map(|p| p.strip_prefix(&root).unwrap().display().to_string()).collect();
    files.sort();
    assert_eq!(files, ["facts/statements.csv", "rules/r.dl"]);
    c.shutdown();
}

/// A limit stops evaluation and says so, instead of exhausting the machine.
#[test]
fn evaluation_stops_at_the_tuple_limit() {
    let (_dir, root) = project(RULES);
    let file = root.join("rules/r.dl");
    let mut c = Client::start(&root, json!({ "maxTuples": 1 }));
    c.open(&file, RULES);
    c.analysed();
    let hover = c.at("textDocument/hover", &file, 2, 2);
    assert_eq!(
        hover["contents"]["value"],
        "```stance\n.decl aligned(x: symbol, y: symbol)\n```\n\ntuples from: 2 rules or facts\n\n\
         evaluation stopped: relation `aligned` grew beyond 1 tuples (the `maxTuples` setting); stopped"
    );
    c.shutdown();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

mod random_edits {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of rule text, half-written ones included.
    const PIECES: &[&str] = &[
        "aligned",
        "backs(",
        "(",
        ")",
        ",",
        ".",
        ":-",
        "\"",
        "\"Egypt\"",
        "x",
        " ",
        "\n",
        ".decl ",
        ".input ",
        "!",
        "count : {",
        "}",
        "// c\n",
        "/*",
        "é",
        "😀",
        "1",
        "=",
        ";",
        "_",
    ];

    fn edit() -> impl Strategy<Value = (u32, u32, u32, u32, Vec<usize>)> {
        (0u32..6, 0u32..50, 0u32..6, 0u32..50, prop::collection::vec(0..PIECES.len(), 0..4))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Random edits never crash the server: every request gets a well-formed answer that
        /// is not an internal error, and analysis keeps finishing.
        #[test]
        fn random_edits_never_break_the_server(edits in prop::collection::vec(edit(), 1..8)) {
            let (_dir, root) = project(RULES);
            let file = root.join("rules/r.dl");
            let mut c = Client::start(&root, json!({}));
            c.open(&file, RULES);
            for (l1, c1, l2, c2, pieces) in edits {
                let text: String = pieces.iter().map(|&i| PIECES[i]).collect();
                c.change(&file, range(l1, c1, l2, c2), &text);
                for method in ["textDocument/hover", "textDocument/completion", "textDocument/definition"] {
                    let r = c.respond(method, json!({ "textDocument": { "uri": uri(&file) },
                        "position": { "line": l2, "character": c2 } }));
                    prop_assert!(r.response_result.is_ok(), "{method}: {:?}", r.response_result);
                }
                for method in ["textDocument/documentSymbol", "textDocument/formatting", "textDocument/codeLens"] {
                    let r = c.respond(method, json!({ "textDocument": { "uri": uri(&file) },
                        "options": { "tabSize": 4, "insertSpaces": true } }));
                    prop_assert!(r.response_result.is_ok(), "{method}: {:?}", r.response_result);
                }
            }
            c.analysed();
            c.shutdown();
        }
    }
}

/// `stance lsp` speaks the protocol on standard input and output, and exits 0 after
/// `shutdown` and `exit`.
#[test]
fn the_binary_serves_over_stdio() {
    use std::io::{BufRead, Read, Write};
    let (_dir, root) = project(RULES);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .arg("lsp")
        .current_dir(&root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut send = |v: Value| {
        let body = v.to_string();
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    };
    send(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": { "rootUri": uri(&root), "capabilities": {} } }));
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut header = String::new();
    out.read_line(&mut header).unwrap();
    let length: usize = header.trim().strip_prefix("Content-Length: ").unwrap().parse().unwrap();
    out.read_line(&mut String::new()).unwrap();
    let mut body = vec![0; length];
    out.read_exact(&mut body).unwrap();
    let response: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(response["id"], 1);
    assert_eq!(response["result"]["serverInfo"]["name"], "stance");
    send(json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }));
    send(json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown" }));
    send(json!({ "jsonrpc": "2.0", "method": "exit" }));
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
