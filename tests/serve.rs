//! `stance serve` as a child process: requests written to its standard input one line at a
//! time, each answer read before the files are edited for the next. Every wait is bounded
//! and the child is killed at the end.

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[path = "common/run.rs"]
mod run;
use run::project;

const WAIT: Duration = Duration::from_secs(30);

const RULES: &str = "\
.decl backs(x: symbol, y: symbol)
.decl fights(x: symbol, y: symbol)
.decl aligned(x: symbol, y: symbol)
.output aligned
aligned(x, y) :- backs(x, y).
aligned(x, z) :- aligned(x, y), backs(y, z).
:- backs(x, y), fights(x, y).
";

const STATEMENTS: &str = "\
subject,relation,object,source
Egypt,backs,Tobruk,Reuters
Tobruk,backs,Haftar,AP
UAE,fights,Sarraj,AFP
";

struct Serve {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(dir: &Path, args: &[&str]) -> Serve {
        let args: Vec<&str> = ["serve"].into_iter().chain(args.iter().copied()).collect();
        let (mut child, lines) = run::spawn_lines(dir, &args, Stdio::piped(), Stdio::piped());
        Serve { stdin: child.stdin.take(), child, lines }
    }

    /// Writes one request line (bytes as they are) and reads its answer.
    fn ask_bytes(&mut self, request: &[u8]) -> String {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(request).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        self.lines.recv_timeout(WAIT).expect("an answer in time")
    }

    fn ask(&mut self, request: &str) -> String {
        self.ask_bytes(request.as_bytes())
    }

    /// Closes standard input; the exit code, what was still on standard output, and
    /// standard error.
    fn end(mut self) -> (Option<i32>, Vec<String>, String) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        let rest = self.lines.iter().collect();
        let mut err = String::new();
        std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut err).unwrap();
        (status.code(), rest, err)
    }
}

/// A project with the rules above and `statements.csv`.
fn example() -> tempfile::TempDir {
    project(&[("rules/r.dl", RULES), ("facts/statements.csv", STATEMENTS)])
}

fn append(dir: &Path, row: &str) {
    let path = dir.join("facts/statements.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(row);
    std::fs::write(path, text).unwrap();
}

/// One session: query, append a row, reload, query, remove it, reload, introduce and resolve
/// a violation; every answer as the engine gives it.
fn session(engine: &[&str]) -> Vec<String> {
    let dir = example();
    let mut serve = Serve::start(dir.path(), engine);
    let mut answers = vec![serve.ask(r#"{"id": 1, "method": "query", "relation": "aligned"}"#)];
    append(dir.path(), "Russia,backs,Egypt,TASS\n");
    answers.push(serve.ask(r#"{"id": 2, "method": "reload"}"#));
    answers.push(serve.ask(r#"{"id": "q", "method": "query", "pattern": "aligned(\"Russia\", y)"}"#));
    std::fs::write(dir.path().join("facts/statements.csv"), STATEMENTS).unwrap();
    answers.push(serve.ask(r#"{"id": 3, "method": "reload"}"#));
    append(dir.path(), "Egypt,fights,Tobruk,AFP\n");
    answers.push(serve.ask(r#"{"id": 4, "method": "reload"}"#));
    std::fs::write(dir.path().join("facts/statements.csv"), STATEMENTS).unwrap();
    answers.push(serve.ask(r#"{"id": 5, "method": "reload"}"#));
    let (code, rest, err) = serve.end();
    assert_eq!((code, rest, err), (Some(0), vec![], String::new()));
    answers
}

#[test]
fn a_session_answers_the_changed_tuples_and_queries_the_same_on_both_engines() {
    let datafrog = session(&[]);
    let violation = r#":- backs(x, y), fights(x, y).  [rules/r.dl:7]  with x = \"Egypt\", y = \"Tobruk\""#;
    assert_eq!(
        datafrog,
        [
            r#"{"id":1,"result":{"generation":1,"relation":"aligned","columns":["x","y"],"tuples":[["Egypt","Haftar"],["Egypt","Tobruk"],["Tobruk","Haftar"]]}}"#.to_string(),
            r#"{"id":2,"result":{"generation":2,"ok":true,"changes":[{"relation":"aligned","removed":[],"added":[["Russia","Egypt"],["Russia","Haftar"],["Russia","Tobruk"]]}],"violated":[],"resolved":[],"diagnostics":[]}}"#.to_string(),
            r#"{"id":"q","result":{"generation":2,"relation":"aligned","columns":["x","y"],"tuples":[["Russia","Egypt"],["Russia","Haftar"],["Russia","Tobruk"]]}}"#.to_string(),
            r#"{"id":3,"result":{"generation":3,"ok":true,"changes":[{"relation":"aligned","removed":[["Russia","Egypt"],["Russia","Haftar"],["Russia","Tobruk"]],"added":[]}],"violated":[],"resolved":[],"diagnostics":[]}}"#.to_string(),
            format!(r#"{{"id":4,"result":{{"generation":4,"ok":true,"changes":[],"violated":["{violation}"],"resolved":[],"diagnostics":[]}}}}"#),
            format!(r#"{{"id":5,"result":{{"generation":5,"ok":true,"changes":[],"violated":[],"resolved":["{violation}"],"diagnostics":[]}}}}"#),
        ]
    );
    assert_eq!(session(&["--engine", "dd"]), datafrog);
}

#[test]
fn a_broken_rule_file_is_answered_with_located_diagnostics_and_the_last_model_stays() {
    let dir = example();
    let mut serve = Serve::start(dir.path(), &[]);
    // The first run has read the rules once the first answer comes.
    assert_eq!(
        serve.ask(r#"{"id": 0, "method": "reload"}"#),
        r#"{"id":0,"result":{"generation":2,"ok":true,"changes":[],"violated":[],"resolved":[],"diagnostics":[]}}"#
    );
    let rules = dir.path().join("rules/r.dl");
    std::fs::write(&rules, RULES.replace("aligned(x, y) :- backs(x, y).", "aligned(x, y) :- backs(x, y)")).unwrap();
    let broken: serde_json::Value = serde_json::from_str(&serve.ask(r#"{"id": 1, "method": "reload"}"#)).unwrap();
    assert_eq!(broken["id"], 1);
    let result = &broken["result"];
    assert_eq!(
        (&result["generation"], &result["ok"], &result["changes"]),
        (&3.into(), &false.into(), &serde_json::json!([]))
    );
    let diagnostics = result["diagnostics"].as_array().unwrap();
    let located: Vec<(String, String, String, u64, u64)> = diagnostics
        .iter()
        .map(|d| {
            let at = &d["primary"];
            let s = |v: &serde_json::Value| v.as_str().unwrap().to_string();
            (
                s(&d["code"]),
                s(&d["severity"]),
                s(&at["file"]),
                at["line"].as_u64().unwrap(),
                at["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(located, [("E001".to_string(), "error".to_string(), "rules/r.dl".to_string(), 6, 1)]);
    // Queries answer from the last good model, and say which.
    assert_eq!(
        serve.ask(r#"{"id": 2, "method": "query", "pattern": "aligned(\"Egypt\", _)"}"#),
        r#"{"id":2,"result":{"generation":2,"relation":"aligned","columns":["x","y"],"tuples":[["Egypt","Haftar"],["Egypt","Tobruk"]]}}"#
    );
    // The fix is compared with the model before the break.
    std::fs::write(&rules, RULES.replace("aligned(x, z) :- aligned(x, y), backs(y, z).\n", "")).unwrap();
    assert_eq!(
        serve.ask(r#"{"id": 3, "method": "reload"}"#),
        r#"{"id":3,"result":{"generation":4,"ok":true,"changes":[{"relation":"aligned","removed":[["Egypt","Haftar"]],"added":[]}],"violated":[],"resolved":[],"diagnostics":[]}}"#
    );
    let (code, rest, _) = serve.end();
    assert_eq!((code, rest), (Some(0), vec![]));
}

#[test]
fn malformed_lines_get_located_errors_and_the_server_goes_on() {
    let dir = example();
    let mut serve = Serve::start(dir.path(), &[]);
    let answers = [
        serve.ask(r#"{"id": 1, "method": "reload""#),
        serve.ask(r#"{"id": 2, "method": "relaod"}"#),
        serve.ask(r#"{"id": 3, "method": "query", "pattern": "aligned(x, \"Haftar\", y)"}"#),
        serve.ask(r#"{"id": 4, "method": "query", "pattern": "alligned(\"Égypte\", y)"}"#),
        serve.ask(r#"{"id": 5, "method": "query", "pattern": "aligned(\"É\", 5)"}"#),
        serve.ask(r#"{"id": 6, "method": "query", "relation": "aligned", "pattern": "aligned(x, y)"}"#),
        serve.ask(r#"{"id": 7, "method": "status", "relation": "aligned"}"#),
        serve.ask(r#"{"id": 8, "method": "query", "relaton": "aligned"}"#),
        serve.ask(r#"{"id": 9, "method": 7}"#),
        serve.ask(r#"[1, 2]"#),
        serve.ask_bytes(b"{\"id\": 10, \"method\": \"st\xffatus\"}"),
        serve.ask(r#"{"id": 11, "method": "query", "pattern": "aligned(x, \"Haftar\")"}"#),
    ];
    let expected = [
        r#"{"id":null,"error":{"code":"E070","name":"bad-request","message":"not JSON: EOF while parsing an object","line":1,"column":28}}"#,
        r#"{"id":2,"error":{"code":"E070","name":"bad-request","message":"unknown method `relaod`","line":2,"column":21,"help":"the methods are `reload`, `query`, `status` and `shutdown`"}}"#,
        r#"{"id":3,"error":{"code":"E012","name":"arity-mismatch","message":"`aligned` has 2 columns, but the claim gives 3","line":3,"column":42}}"#,
        r#"{"id":4,"error":{"code":"E010","name":"unknown-relation","message":"unknown relation `alligned`","line":4,"column":42,"help":"did you mean `aligned`?"}}"#,
        r#"{"id":5,"error":{"code":"E013","name":"type-mismatch","message":"a number where `aligned` has a symbol column","line":5,"column":57}}"#,
        r#"{"id":6,"error":{"code":"E070","name":"bad-request","message":"give a `pattern` or a `relation`, not both","line":6,"column":42}}"#,
        r#"{"id":7,"error":{"code":"E070","name":"bad-request","message":"`relation` belongs to a `query` request, not `status`","line":7,"column":43}}"#,
        r#"{"id":8,"error":{"code":"E070","name":"bad-request","message":"unknown field `relaton`, expected one of `id`, `method`, `pattern`, `relation`","line":8,"column":38}}"#,
        r#"{"id":9,"error":{"code":"E070","name":"bad-request","message":"`method` must be a string","line":9,"column":21}}"#,
        r#"{"id":null,"error":{"code":"E070","name":"bad-request","message":"a request is a JSON object","line":10,"column":1}}"#,
        r#"{"id":null,"error":{"code":"E070","name":"bad-request","message":"the line is not UTF-8","line":11,"column":25}}"#,
        r#"{"id":11,"result":{"generation":1,"relation":"aligned","columns":["x","y"],"tuples":[["Egypt","Haftar"],["Tobruk","Haftar"]]}}"#,
    ];
    assert_eq!(answers, expected);
    let (code, rest, _) = serve.end();
    assert_eq!((code, rest), (Some(0), vec![]));
}

#[test]
fn status_names_the_engine_the_generations_and_the_sizes() {
    let dir = example();
    for engine in ["datafrog", "dd"] {
        let mut serve = Serve::start(dir.path(), &["--engine", engine]);
        serve.ask(r#"{"method": "reload"}"#);
        let status: serde_json::Value = serde_json::from_str(&serve.ask(r#"{"id": [1], "method": "status"}"#)).unwrap();
        assert_eq!(status["id"], serde_json::json!([1]));
        let result = &status["result"];
        let keys: Vec<&String> = result.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["engine", "evaluated_at", "evaluation_ms", "generation", "model_generation", "relations"]);
        assert_eq!(
            (&result["generation"], &result["model_generation"], &result["engine"]),
            (&2.into(), &2.into(), &engine.into())
        );
        assert_eq!(result["relations"], serde_json::json!({"aligned": 3, "backs": 2, "fights": 1}));
        let at = result["evaluated_at"].as_str().unwrap();
        assert!(at.len() == 20 && at.as_bytes()[10] == b'T' && at.ends_with('Z'), "{at}");
        assert!(result["evaluation_ms"].is_u64());
        let (code, rest, _) = serve.end();
        assert_eq!((code, rest), (Some(0), vec![]));
    }
}

#[test]
fn shutdown_answers_and_ends_and_nothing_is_written() {
    let dir = example();
    let mut serve = Serve::start(dir.path(), &[]);
    assert_eq!(serve.ask(r#"{"id": 1, "method": "shutdown"}"#), r#"{"id":1,"result":{}}"#);
    // The line after the shutdown is not read.
    let stdin = serve.stdin.as_mut().unwrap();
    let _ = stdin.write_all(b"{\"id\": 2, \"method\": \"status\"}\n");
    let (code, rest, err) = serve.end();
    assert_eq!((code, rest, err), (Some(0), vec![], String::new()));
    // `.output aligned` was never run: the project holds what it held.
    let mut files: Vec<String> = walk(dir.path());
    files.sort();
    assert_eq!(files, ["facts/statements.csv", "rules/r.dl"]);
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            out.extend(walk(&path).into_iter().map(|f| format!("{name}/{f}")));
        } else {
            out.push(path.file_name().unwrap().to_string_lossy().to_string());
        }
    }
    out
}

/// Names from someone else's table with a terminal's control sequences (CSI as ESC `[` and
/// as the C1 control, a right-to-left override) reach standard output as JSON escapes only.
#[test]
fn control_characters_in_the_data_leave_as_escapes() {
    let dir = project(&[
        ("rules/r.dl", RULES),
        ("facts/statements.csv", "subject,relation,object,source\n\"E\u{1b}[2K\u{9b}1m\u{202e}x\",backs,Tobruk,AP\n"),
    ]);
    let mut serve = Serve::start(dir.path(), &[]);
    let answer = serve.ask(r#"{"id": 1, "method": "query", "pattern": "aligned(_, \"Tobruk\")"}"#);
    assert_eq!(
        answer,
        r#"{"id":1,"result":{"generation":1,"relation":"aligned","columns":["x","y"],"tuples":[["E\u001b[2K\u009b1m\u202ex","Tobruk"]]}}"#
    );
    let (code, _, _) = serve.end();
    assert_eq!(code, Some(0));
}

/// The end of standard input ends the server at once, whatever the engine; an engine it
/// cannot keep is refused, and so are several dd workers or processes (each process would
/// answer from its part of the facts) and rules on standard input (where the requests are).
#[test]
fn end_of_input_exits_zero_and_other_engines_are_refused() {
    let dir = example();
    for engine in ["datafrog", "dd"] {
        let o = run::stance_stdin(dir.path(), &["serve", "--engine", engine], "");
        assert_eq!((o.status.code(), run::stdout(&o), run::stderr(&o)), (Some(0), String::new(), String::new()));
    }
    let o = run::stance_stdin(dir.path(), &["serve", "--engine", "simple"], "");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        run::stderr(&o),
        "error[E020]: `stance serve` runs the datafrog or the dd engine only; use `--engine dd` or leave out --engine\n\n\
         error: 1 error found\n"
    );
    let o = run::stance_stdin(dir.path(), &["serve", "--rules", "-"], ".decl r(x: number)\n");
    assert_eq!(o.status.code(), Some(2));
    assert!(run::stderr(&o).starts_with("error[E020]: `stance serve` reads its requests on standard input"));
    let o = run::stance_stdin(dir.path(), &["serve", "--engine", "dd", "--processes", "2"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        run::stderr(&o).starts_with("error[E020]: `stance serve` keeps one dd dataflow on one worker"),
        "{}",
        run::stderr(&o)
    );
}

/// Someone else's runaway rule stops at `--max-tuples`: the start's diagnostic on standard
/// error, each reload's in its answer, and queries told there is no model.
#[test]
fn a_runaway_rule_stops_at_the_limit_and_queries_are_told_there_is_no_model() {
    let dir = project(&[("rules/r.dl", ".decl n(x: number)\n.output n\nn(0).\nn(x + 1) :- n(x).\n")]);
    let mut serve = Serve::start(dir.path(), &["--max-tuples", "500", "--diagnostic-format", "short"]);
    let reload: serde_json::Value = serde_json::from_str(&serve.ask(r#"{"id": 1, "method": "reload"}"#)).unwrap();
    let result = &reload["result"];
    assert_eq!((&result["generation"], &result["ok"]), (&2.into(), &false.into()));
    let d = &result["diagnostics"][0];
    assert_eq!(
        (&d["code"], &d["message"], &d["primary"]["file"], &d["primary"]["line"]),
        (
            &"E031".into(),
            &"relation `n` grew beyond 500 tuples (--max-tuples); stopped".into(),
            &"rules/r.dl".into(),
            &4.into()
        )
    );
    assert_eq!(
        serve.ask(r#"{"id": 2, "method": "query", "relation": "n"}"#),
        r#"{"id":2,"error":{"code":"E071","name":"no-model","message":"no model yet: the project has not evaluated since the start (see the last reload's diagnostics)","line":2,"column":42}}"#
    );
    let status: serde_json::Value = serde_json::from_str(&serve.ask(r#"{"method": "status"}"#)).unwrap();
    assert_eq!(
        status,
        serde_json::json!({"id": null, "result": {"generation": 2, "model_generation": null, "engine": "datafrog",
            "evaluated_at": null, "evaluation_ms": null, "relations": {}}})
    );
    let (code, rest, err) = serve.end();
    assert_eq!((code, rest), (Some(0), vec![]));
    assert_eq!(err, "rules/r.dl:4:1: error[E031]: relation `n` grew beyond 500 tuples (--max-tuples); stopped\n");
}

/// SIGTERM ends a waiting server as it ends every command: 130, and nothing written.
#[cfg(unix)]
#[test]
fn sigterm_ends_the_server_with_130() {
    let dir = example();
    let mut serve = Serve::start(dir.path(), &[]);
    assert!(serve.ask(r#"{"id": 1, "method": "status"}"#).starts_with(r#"{"id":1,"result":{"generation":1,"#));
    let status = Command::new("kill").args(["-TERM", &serve.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let code = serve.child.wait().unwrap().code();
    let mut err = String::new();
    std::io::Read::read_to_string(serve.child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!((code, err.as_str()), (Some(130), "error[E061]: interrupted; no output was written\n"));
}

/// `--watch`: a change on disk starts a run by itself, whose changes come as an event line;
/// a `reload` afterwards has nothing left to report.
#[test]
fn with_watch_a_change_on_disk_is_written_as_an_event() {
    let dir = example();
    let mut serve = Serve::start(dir.path(), &["--watch", "--engine", "dd"]);
    assert!(serve.ask(r#"{"id": 1, "method": "status"}"#).starts_with(r#"{"id":1,"result":{"generation":1,"#));
    // Give the watcher a moment to be registered after the first answer.
    std::thread::sleep(Duration::from_millis(300));
    append(dir.path(), "Russia,backs,Egypt,TASS\n");
    let event = serve.lines.recv_timeout(WAIT).expect("an event in time");
    assert_eq!(
        event,
        r#"{"event":"changed","files":["facts/statements.csv"],"result":{"generation":2,"ok":true,"changes":[{"relation":"aligned","removed":[],"added":[["Russia","Egypt"],["Russia","Haftar"],["Russia","Tobruk"]]}],"violated":[],"resolved":[],"diagnostics":[]}}"#
    );
    assert_eq!(
        serve.ask(r#"{"id": 2, "method": "reload"}"#),
        r#"{"id":2,"result":{"generation":3,"ok":true,"changes":[],"violated":[],"resolved":[],"diagnostics":[]}}"#
    );
    let (code, rest, err) = serve.end();
    assert_eq!((code, rest, err), (Some(0), vec![], String::new()));
}

/// Numbers are JSON numbers in a reload's changes and in a query's tuples, as `infer
/// --format json` writes them, on both engines (a count that changes with the appended row).
#[test]
fn numbers_are_json_numbers_on_both_engines() {
    let rules = ".decl backs(x: symbol, y: symbol)\n.decl support(y: symbol, n: number)\n.output support\n\
                 support(y, n) :- backs(_, y), n = count : { backs(_, y) }.\n";
    for engine in ["datafrog", "dd"] {
        let dir = project(&[("rules/r.dl", rules), ("facts/statements.csv", STATEMENTS)]);
        let mut serve = Serve::start(dir.path(), &["--engine", engine]);
        assert_eq!(
            serve.ask(r#"{"id": 1, "method": "query", "pattern": "support(_, 1)"}"#),
            r#"{"id":1,"result":{"generation":1,"relation":"support","columns":["y","n"],"tuples":[["Haftar",1],["Tobruk",1]]}}"#,
            "{engine}"
        );
        append(dir.path(), "UAE,backs,Haftar,Reuters\n");
        assert_eq!(
            serve.ask(r#"{"id": 2, "method": "reload"}"#),
            r#"{"id":2,"result":{"generation":2,"ok":true,"changes":[{"relation":"support","removed":[["Haftar",1]],"added":[["Haftar",2]]}],"violated":[],"resolved":[],"diagnostics":[]}}"#,
            "{engine}"
        );
        let (code, rest, err) = serve.end();
        assert_eq!((code, rest, err), (Some(0), vec![], String::new()));
    }
}

/// A relation named by `--relation` that the rules do not declare fails each run with the
/// error `infer --relation` gives, instead of being silently left out (its changes would
/// never show); once an edit declares it, the run evaluates and reports its tuples.
#[test]
fn an_unknown_tracked_relation_fails_the_run_until_the_rules_declare_it() {
    let dir = example();
    let mut serve = Serve::start(dir.path(), &["--relation", "alined"]);
    assert_eq!(
        serve.ask(r#"{"id": 1, "method": "reload"}"#),
        r#"{"id":1,"result":{"generation":2,"ok":false,"changes":[],"violated":[],"resolved":[],"diagnostics":[{"code":"E010","help":"did you mean `aligned`?","message":"unknown relation `alined`","name":"unknown-relation","notes":[],"primary":null,"secondary":[],"severity":"error"}]}}"#
    );
    let rules = RULES.replace(
        ".output aligned\n",
        ".output aligned\n.decl alined(x: symbol)\n.output alined\nalined(x) :- backs(x, _).\n",
    );
    std::fs::write(dir.path().join("rules/r.dl"), rules).unwrap();
    assert_eq!(
        serve.ask(r#"{"id": 2, "method": "reload"}"#),
        r#"{"id":2,"result":{"generation":3,"ok":true,"changes":[{"relation":"alined","removed":[],"added":[["Egypt"],["Tobruk"]]}],"violated":[],"resolved":[],"diagnostics":[]}}"#
    );
}
