//! Reliability and security of the binary: path confinement (every escape), resource
//! guards, Ctrl-C, a kill in the middle of writing outputs, and determinism under
//! reordered inputs.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "common/run.rs"]
mod run;
use run::{project, stance, stderr, stdout};

fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run stance")
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").args([format!("-{name}"), child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

/// Every entry of `dir`, sorted (empty if it does not exist).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

// ---- path confinement ----

const SECRET: &str = "secret\n";

/// A project in `root/project` whose facts directory can reach `root/outside`.
fn confinement_project(rules: &str) -> tempfile::TempDir {
    project(&[("outside/s.facts", SECRET), ("project/rules/r.dl", rules), ("project/facts/ok.facts", "a\n")])
}

fn refused(o: &Output, message: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
    let err = stderr(o);
    assert!(err.contains("error[E060]") && err.contains(message), "{err}");
    assert!(!stdout(o).contains("secret"), "the outside file was read: {}", stdout(o));
}

#[test]
fn absolute_input_file_name_is_refused_with_its_location() {
    let outside = "/etc/passwd";
    let dir = confinement_project(&format!(".decl s(x: symbol)\n.input s(filename=\"{outside}\")\n.output s\n"));
    let o = stance(&dir.path().join("project"), &["infer", "--diagnostic-format", "short"]);
    refused(&o, "rules/r.dl:2:10: error[E060]: absolute file name `/etc/passwd` is refused");
}

#[test]
fn dot_dot_input_file_name_is_refused_with_its_location() {
    let dir = confinement_project(".decl s(x: symbol)\n.input s(filename=\"../../outside/s.facts\")\n.output s\n");
    let o = stance(&dir.path().join("project"), &["infer", "--diagnostic-format", "short"]);
    refused(&o, "rules/r.dl:2:10: error[E060]: file name `../../outside/s.facts` leaves the facts or output directory");
    // The same escape in an `.output` directive is refused before anything is evaluated.
    let dir = confinement_project(".decl s(x: symbol)\ns(\"a\").\n.output s(filename=\"../s.csv\")\n");
    let o = stance(&dir.path().join("project"), &["infer", "--output-dir", "out", "--diagnostic-format", "short"]);
    refused(&o, "rules/r.dl:3:11: error[E060]: file name `../s.csv` leaves the facts or output directory");
    assert!(!dir.path().join("project/s.csv").exists());
}

#[cfg(unix)]
#[test]
fn symlinked_file_leading_outside_is_refused() {
    let dir = confinement_project(".decl s(x: symbol)\n.input s\n.output s\n");
    std::os::unix::fs::symlink("../../outside/s.facts", dir.path().join("project/facts/s.facts")).unwrap();
    let p = dir.path().join("project");
    let o = stance(&p, &["infer", "--diagnostic-format", "short"]);
    refused(&o, "rules/r.dl:2:1: error[E060]: `facts/s.facts` leads outside the facts directory through a symlink");
    // The old escape hatch is a deprecated no-op: the link is still refused.
    let o = stance(&p, &["infer", "--allow-outside-paths", "--format", "csv", "--diagnostic-format", "short"]);
    refused(&o, "rules/r.dl:2:1: error[E060]: `facts/s.facts` leads outside the facts directory through a symlink");
    assert!(stderr(&o).starts_with("warning: --allow-outside-paths is deprecated and has no effect"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn symlinked_directory_leading_outside_is_refused() {
    let dir = confinement_project(".decl s(x: symbol)\n.input s(filename=\"sub/s.facts\")\n.output s\n");
    std::os::unix::fs::symlink("../../outside", dir.path().join("project/facts/sub")).unwrap();
    let p = dir.path().join("project");
    let o = stance(&p, &["check", "--diagnostic-format", "short"]);
    refused(
        &o,
        "rules/r.dl:2:10: error[E060]: `facts/sub/s.facts` leads outside the facts directory through a symlink",
    );
    // A symlinked statement table is refused too (no location in a rule file: it is found by listing).
    std::fs::write(dir.path().join("outside/st.csv"), "subject,relation,object\na,backs,b\n").unwrap();
    std::os::unix::fs::symlink("../../outside/st.csv", p.join("facts/st.csv")).unwrap();
    std::fs::write(p.join("rules/r.dl"), ".decl s(x: symbol)\ns(\"a\").\n").unwrap();
    let o = stance(&p, &["check", "--diagnostic-format", "short"]);
    refused(&o, "error[E060]: `facts/st.csv` leads outside the facts directory through a symlink");
}

/// `--output-dir` is typed by the user: it goes anywhere, `..` and `.` included.
#[test]
fn output_dir_typed_on_the_command_line_goes_anywhere() {
    let dir = confinement_project(".decl s(x: symbol)\ns(\"a\").\n.output s\n");
    let p = dir.path().join("project");
    let absolute = dir.path().join("abs");
    for (typed, written) in [
        ("../out", dir.path().join("out/s.csv")),
        (absolute.to_str().unwrap(), absolute.join("s.csv")),
        ("..", dir.path().join("s.csv")),
        (".", p.join("s.csv")),
    ] {
        let o = stance(&p, &["infer", "--output-dir", typed, "--diagnostic-format", "short"]);
        assert_eq!(o.status.code(), Some(0), "{typed}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{typed}");
        assert_eq!(std::fs::read_to_string(written).unwrap(), "a\n", "{typed}");
    }
}

#[cfg(unix)]
#[test]
fn output_dir_and_output_files_through_symlinks_are_refused() {
    let dir = confinement_project(".decl s(x: symbol)\ns(\"a\").\n.output s(filename=\"sub/s.csv\")\n");
    let p = dir.path().join("project");
    // A (dangling) symlink shipped in the project, named as the output directory: inside the
    // project by name, so it may not lead outside.
    std::os::unix::fs::symlink("../elsewhere", p.join("link")).unwrap();
    let o = stance(&p, &["infer", "--output-dir", "link/new", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "error[E060]: --output-dir `link/new` is inside the project by name but a symlink leads it outside"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("elsewhere").exists());
    // A subdirectory of the output directory that is a symlink: never written through.
    std::fs::create_dir(p.join("out")).unwrap();
    std::os::unix::fs::symlink("../../outside", p.join("out/sub")).unwrap();
    let o = stance(&p, &["infer", "--output-dir", "out", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "rules/r.dl:3:11: error[E062]: `out/sub` is a symlink: outputs are never written through a symlink (on the way to `out/sub/s.csv`)\n"
    );
    assert!(!dir.path().join("outside/s.csv").exists());
    // A symlink at the output file itself, even one that stays inside the project.
    std::fs::remove_file(p.join("out/sub")).unwrap();
    std::fs::create_dir(p.join("out/sub")).unwrap();
    std::os::unix::fs::symlink("../../facts/ok.facts", p.join("out/sub/s.csv")).unwrap();
    let o = stance(&p, &["infer", "--output-dir", "out", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E062]: `out/sub/s.csv` is a symlink"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(p.join("facts/ok.facts")).unwrap(), "a\n");
}

/// The git-config attack: a rule file under review names `.git/config` as an output, and the
/// reviewer writes outputs into the project root. Refused at its location before anything is
/// evaluated, by every command that reads the rules, and the file is untouched.
#[test]
fn output_to_a_hidden_path_is_refused_and_nothing_runs() {
    const CONFIG: &str = "[core]\n\trepositoryformatversion = 0\n";
    let rules = ".decl r(x: symbol)\nr(\"[core]\").\n.output r(filename=\".git/config\")\n";
    let dir = project(&[("rules/r.dl", rules), (".git/config", CONFIG)]);
    let expected = "rules/r.dl:3:11: error[E062]: output file name `.git/config` goes through the hidden name `.git`: \
                    outputs are never written to hidden paths\n";
    for args in [&["infer", "--output-dir", "."][..], &["check"], &["query", "r(x)"]] {
        let mut args = args.to_vec();
        args.extend(["--diagnostic-format", "short"]);
        let o = stance(dir.path(), &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), expected, "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}: nothing is evaluated");
        assert_eq!(std::fs::read_to_string(dir.path().join(".git/config")).unwrap(), CONFIG);
        assert_eq!(listing(&dir.path().join(".git")), ["config"]);
    }
    // Hidden anywhere along the name.
    std::fs::write(dir.path().join("rules/r.dl"), rules.replace(".git/config", "sub/.bashrc")).unwrap();
    let o = stance(dir.path(), &["check", "--diagnostic-format", "short"]);
    assert!(stderr(&o).contains("error[E062]: output file name `sub/.bashrc` goes through the hidden name `.bashrc`"));
    // Not hidden, but code the next tool runs (`cargo build` runs `build.rs`).
    std::fs::write(dir.path().join("rules/r.dl"), rules.replace(".git/config", "build.rs")).unwrap();
    let o = stance(dir.path(), &["infer", "--output-dir", ".", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "rules/r.dl:3:11: error[E062]: output file name `build.rs` is not a data file: outputs end in .csv, .facts, .tsv, .txt\n"
    );
    assert!(!dir.path().join("build.rs").exists());
}

/// An output never replaces a file the same run reads: the statement table, an `.input`
/// table, a rule file.
#[test]
fn output_over_a_file_the_run_reads_is_refused() {
    const TABLE: &str = "subject,relation,object\nEgypt,backs,Tobruk\n";
    let rules = ".decl statements(x: symbol)\n.output statements\nstatements(x) :- backs(x, _).\n\
                 .decl w(x: symbol)\n.input w\n.output w\n";
    let dir = project(&[("rules/r.dl", rules), ("facts/statements.csv", TABLE), ("facts/w.facts", "a\n")]);
    let o = stance(dir.path(), &["infer", "--output-dir", "facts", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "rules/r.dl:2:1: error[E062]: writing `facts/statements.csv` would overwrite a file this run reads\n"
    );
    assert_eq!(stdout(&o), "");
    assert_eq!(std::fs::read_to_string(dir.path().join("facts/statements.csv")).unwrap(), TABLE);
    // An `.input` table named by `filename=`.
    let rules = ".decl w(x: symbol)\n.input w\n.output w(filename=\"w.facts\")\n";
    std::fs::write(dir.path().join("rules/r.dl"), rules).unwrap();
    let o = stance(dir.path(), &["infer", "--output-dir", "facts", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "rules/r.dl:3:11: error[E062]: writing `facts/w.facts` would overwrite a file this run reads\n"
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("facts/w.facts")).unwrap(), "a\n");
    // A rule file cannot be an output at all: outputs are data files.
    let rules = ".decl w(x: symbol)\n.input w\n.output w(filename=\"r.dl\")\n";
    std::fs::write(dir.path().join("rules/r.dl"), rules).unwrap();
    let o = stance(dir.path(), &["infer", "--output-dir", "rules", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E062]: output file name `r.dl` is not a data file"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("rules/r.dl")).unwrap(), rules);
}

/// The default `facts/` and `rules/` directories are inside the project by name: a project
/// that ships them as symlinks to elsewhere is refused. Typed by the user, the same place is
/// read.
#[cfg(unix)]
#[test]
fn default_directories_that_are_symlinks_leading_outside_are_refused() {
    let dir = project(&[
        ("outside/facts/s.facts", SECRET),
        ("outside/rules/r.dl", ".decl s(x: symbol)\n.input s\n.output s\n"),
        ("project/rules/r.dl", ".decl s(x: symbol)\n.input s(filename=\"s.facts\")\n.output s\n"),
    ]);
    let p = dir.path().join("project");
    std::os::unix::fs::symlink("../outside/facts", p.join("facts")).unwrap();
    let o = stance(&p, &["infer", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(
            "error[E060]: facts directory `facts` is inside the project by name but a symlink leads it outside"
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
    // Typed outside the project, it is the user's choice.
    let o = stance(&p, &["infer", "--facts", "../outside/facts", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "relation,x\ns,secret\n");
    // The rules directory likewise.
    std::fs::remove_dir_all(p.join("rules")).unwrap();
    std::os::unix::fs::symlink("../outside/rules", p.join("rules")).unwrap();
    let o = stance(&p, &["check", "--no-facts", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("error[E060]: rules path `rules` is inside the project by name"), "{}", stderr(&o));
    // A rule file in the rules directory that leads outside it.
    std::fs::remove_file(p.join("rules")).unwrap();
    std::fs::create_dir(p.join("rules")).unwrap();
    std::os::unix::fs::symlink("../../outside/rules/r.dl", p.join("rules/r.dl")).unwrap();
    let o = stance(&p, &["check", "--no-facts", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E060]: `rules/r.dl` leads outside the rules directory through a symlink"));
    // `fmt` neither reads it nor replaces the link.
    let o = stance(&p, &["fmt", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E060]: `rules/r.dl` leads outside the project through a symlink"));
    assert!(std::fs::symlink_metadata(p.join("rules/r.dl")).unwrap().is_symlink());
}

/// A claims file in the project that is a symlink to a file outside is refused, unread;
/// one typed outside the project is read.
#[cfg(unix)]
#[test]
fn claims_file_symlinked_outside_the_project_is_refused() {
    let dir = project(&[
        ("outside/x.claims", "s(\"a\").\n"),
        ("project/rules/r.dl", ".decl s(x: symbol)\ns(\"a\").\n.output s\n"),
        ("project/claims/ok.claims", "s(\"a\").\n"),
    ]);
    let p = dir.path().join("project");
    std::os::unix::fs::symlink("../../outside/x.claims", p.join("claims/x.claims")).unwrap();
    let o = stance(&p, &["review", "claims", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("error[E060]: `claims/x.claims` leads outside the project through a symlink"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
    let o = stance(&p, &["review", "../outside/x.claims"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// ---- the terminal ----

/// Text from fact tables and rule files reaches the terminal with its control characters
/// escaped: a quote holding `ESC[2K\r` cannot erase itself and print other "evidence".
/// Files, JSON and piped CSV keep the exact bytes.
#[test]
fn control_characters_from_data_are_escaped_on_the_terminal() {
    let table = "subject,relation,object,source,date,quote\n\
                 Egypt,backs,Tobruk,News,2016-01-01,\"real\u{1b}[2K\rFAKE\"\n\
                 Ev\u{1b}[31mil,backs,Tobruk,News,2016-01-01,q\n";
    let rules = ".decl ally(x: symbol, y: symbol)\n.output ally\nally(x, y) :- backs(x, y).\n";
    let dir = project(&[("facts/statements.csv", table), ("rules/r.dl", rules)]);
    let o = stance(dir.path(), &["explain", "ally(\"Egypt\", \"Tobruk\")"]);
    assert!(stdout(&o).contains("      quote: “real\\u{1b}[2K\\rFAKE”\n"), "{}", stdout(&o));
    for args in [&["infer"][..], &["query", "ally(x, \"Tobruk\")"]] {
        let o = stance(dir.path(), args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(
            stdout(&o).contains("  Egypt           Tobruk\n  Ev\\u{1b}[31mil  Tobruk\n"),
            "{args:?}: {}",
            stdout(&o)
        );
        assert!(!o.stdout.contains(&0x1b), "{args:?}");
    }
    // Data formats keep the bytes (JSON escapes for itself; CSV is piped here, not a terminal).
    let o = stance(dir.path(), &["infer", "--format", "json"]);
    assert!(stdout(&o).contains(r#"["Ev\u001b[31mil","Tobruk"]"#), "{}", stdout(&o));
    let o = stance(dir.path(), &["infer", "--format", "csv"]);
    assert!(stdout(&o).contains("ally,Ev\u{1b}[31mil,Tobruk\n"), "{}", stdout(&o));
    let o = stance(dir.path(), &["infer", "--output-dir", "out"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/ally.csv")).unwrap(),
        "Egypt\tTobruk\nEv\u{1b}[31mil\tTobruk\n"
    );
    assert!(!o.stdout.contains(&0x1b));
    // Diagnostics: the source line and the message, rich and short.
    std::fs::write(dir.path().join("rules/r.dl"), "ally(\"\u{1b}[2K\", \"b\", \"c\").\n".to_string() + rules).unwrap();
    for format in ["rich", "short"] {
        let o = stance(dir.path(), &["check", "--diagnostic-format", format]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(!o.stderr.contains(&0x1b), "{format}: {}", stderr(&o));
    }
    let o = stance(dir.path(), &["check"]);
    assert!(stderr(&o).contains("1 │ ally(\"\\u{1b}[2K\", \"b\", \"c\")."), "{}", stderr(&o));
}

// ---- resource guards and interruption ----

const RUNAWAY: &str = ".decl n(x: number)\n.output n\nn(0).\nn(x + 1) :- n(x).\n";

#[test]
fn max_tuples_names_the_relation_that_grew() {
    let dir = project(&[("rules/r.dl", RUNAWAY)]);
    let o = stance(dir.path(), &["infer", "--max-tuples", "500", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "rules/r.dl:4:1: error[E031]: relation `n` grew beyond 500 tuples (--max-tuples); stopped\n"
    );
    assert_eq!(stdout(&o), "");
}

/// Runs `stance` and kills it if it has not ended after `bound`: a guard against a run that
/// never stops (the failure before limits were checked inside loops), not a timing assertion.
fn stance_bounded(dir: &Path, args: &[&str], bound: Duration) -> Output {
    let child = spawn(dir, args);
    let pid = child.id().to_string();
    // Read the output while the run goes on: a full pipe would block it.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    match receiver.recv_timeout(bound) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("`stance {}` did not stop within {bound:?}", args.join(" "));
        }
    }
}

const BOUND: Duration = Duration::from_secs(120);

/// Two billion values in one range: the rows are counted as they are generated, so the run
/// stops a few rows past the cap instead of building the range first.
#[test]
fn max_tuples_stops_a_range_while_it_runs() {
    let rules = ".decl x(n: number)\nx(i) :- i = range(0, 2000000000).\n.output x\n";
    let dir = project(&[("rules/r.dl", rules)]);
    let o = stance_bounded(dir.path(), &["infer", "--max-tuples", "1000", "--diagnostic-format", "short"], BOUND);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "rules/r.dl:2:1: error[E031]: relation `x` grew beyond 1000 tuples (--max-tuples); stopped\n"
    );
    assert_eq!(stdout(&o), "");
}

const CUBE: &str = "\
.decl a(n: number)
a(i) :- i = range(0, 3000).
.decl c(x: number, y: number, z: number)
c(x, y, z) :- a(x), a(y), a(z).
.output c
";

/// A cubic cross product (27 billion rows) under `--max-tuples`: stopped inside the lookups.
#[test]
fn max_tuples_stops_a_cross_product_while_it_runs() {
    let dir = project(&[("rules/r.dl", CUBE)]);
    let o = stance_bounded(dir.path(), &["infer", "--max-tuples", "5000", "--diagnostic-format", "short"], BOUND);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "rules/r.dl:4:1: error[E031]: relation `c` grew beyond 5000 tuples (--max-tuples); stopped\n"
    );
}

/// The same cross product under `--timeout` only: the deadline is seen inside the loops, and
/// the diagnostic names the rule that was running; nothing is written.
#[test]
fn timeout_stops_a_cross_product_while_it_runs() {
    let dir = project(&[("rules/r.dl", CUBE)]);
    let args = ["infer", "--timeout", "0.5", "--output-dir", "out", "--diagnostic-format", "short"];
    let o = stance_bounded(dir.path(), &args, BOUND);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "rules/r.dl:4:1: error[E031]: evaluation ran out of time (--timeout) while computing `c`\n");
    assert_eq!(listing(&dir.path().join("out")), Vec::<String>::new());
}

/// A range that derives nothing (every value is filtered out) still stops at the deadline.
#[test]
fn timeout_stops_a_range_that_derives_nothing() {
    let rules = ".decl x(n: number)\nx(i) :- i = range(0, 2000000000), i < 0.\n.output x\n";
    let dir = project(&[("rules/r.dl", rules)]);
    let o = stance_bounded(dir.path(), &["infer", "--timeout", "0.3", "--diagnostic-format", "short"], BOUND);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "rules/r.dl:2:1: error[E031]: evaluation ran out of time (--timeout) while computing `x`\n");
}

/// A transitive closure over a 100,000-step chain (5 billion tuples) under a small memory
/// budget: the run ends with the error, not killed by the kernel.
#[test]
fn max_memory_stops_a_growing_closure_with_an_error() {
    let rules = "\
.decl e(x: number, y: number)
e(i, i + 1) :- i = range(0, 100000).
.decl tc(x: number, y: number)
tc(x, y) :- e(x, y).
tc(x, z) :- tc(x, y), e(y, z).
.output tc
";
    let dir = project(&[("rules/r.dl", rules)]);
    let args = ["infer", "--max-memory", "64M", "--output-dir", "out", "--diagnostic-format", "short"];
    let o = stance_bounded(dir.path(), &args, BOUND);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    let first = err.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "rules/r.dl:5:1: error[E031]: evaluation used more than 64.0 MiB of memory (--max-memory) while computing `tc`; stopped"
    );
    assert_eq!(listing(&dir.path().join("out")), Vec::<String>::new());
}

// ---- no quadratic paths ----
// Each case took many minutes before (quadratic) and takes seconds now (a debug build on a
// loaded machine); the bound only guards against a hang, it does not measure.

const SCALING_BOUND: Duration = Duration::from_secs(300);

/// The proofs of a 60,000-value range: each tuple's value is bound from the head, not
/// searched among all the range's values.
#[test]
fn provenance_of_a_long_range() {
    let rules = ".decl x(n: number)\nx(i) :- i = range(0, 60000).\n.output x\n";
    let dir = project(&[("rules/r.dl", rules)]);
    let o = stance_bounded(dir.path(), &["infer", "--provenance", "--format", "csv"], SCALING_BOUND);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 60_001);
    assert_eq!(out.lines().last(), Some("x,59999,x(59999) <= rules/r.dl:2[]"));
}

/// 80,000 relation names in one statement table, and a rule file naming 500 unknown
/// relations: names are found by hash, and "did you mean" works within a budget.
#[test]
fn check_with_many_statement_relations() {
    let mut table = String::from("subject,relation,object\n");
    let mut rules = String::from(".decl foo(a: symbol)\n.output foo\nfoo(x) :- rel_000007_x(x, _).\n");
    for i in 0..80_000 {
        table.push_str(&format!("a{i},rel_{i:06}_x,b\n"));
    }
    let dir = project(&[("facts/statements.csv", table.as_str()), ("rules/r.dl", rules.as_str())]);
    let o = stance_bounded(dir.path(), &["check"], SCALING_BOUND);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).ends_with("ok: 80001 relations, 1 rule, 80000 facts from tables\n"), "{}", stderr(&o));

    for i in 0..500 {
        rules.push_str(&format!("foo(x) :- rel_{i:06}_y(x, _).\n"));
    }
    std::fs::write(dir.path().join("rules/r.dl"), &rules).unwrap();
    let o = stance_bounded(dir.path(), &["check", "--diagnostic-format", "short"], SCALING_BOUND);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().filter(|l| l.contains("error[E010]: unknown relation")).count(), 500);
    assert!(err.starts_with("rules/r.dl:4:11: error[E010]: unknown relation `rel_000000_y`\n"), "{err}");
}

/// A language server cancels a run through the token: the run stops inside the range
/// (two billion values, none derived) and says which rule was running.
#[test]
fn a_cancelled_run_stops_inside_a_loop() {
    use stance::engine::eval::EvalOptions;
    use stance::engine::limits::CancelToken;
    let token = CancelToken::new();
    token.cancel();
    let options = EvalOptions { cancel: Some(token), ..Default::default() };
    let program = ".decl x(n: number)\nx(i) :- i = range(0, 2000000000), i < 0.\n";
    let err = stance::session::evaluate_text(program, &options).err().expect("the run is cancelled");
    assert_eq!(err, "<program>:2:1: error[E061]: evaluation was cancelled while computing `x`");
}

/// Every numeric option: a clap-style usage error and exit 2, never a panic.
#[test]
fn bad_numbers_are_usage_errors() {
    let dir = project(&[("rules/r.dl", RUNAWAY)]);
    for (flag, value, expected) in [
        ("--timeout", "1e20", "error: invalid value '1e20' for '--timeout <SECONDS>': too many seconds"),
        ("--timeout", "NaN", "error: invalid value 'NaN' for '--timeout <SECONDS>': expected a finite, non-negative"),
        ("--timeout", "inf", "error: invalid value 'inf' for '--timeout <SECONDS>': expected a finite, non-negative"),
        ("--timeout", "-1", "error: invalid value '-1' for '--timeout <SECONDS>': expected a finite, non-negative"),
        ("--timeout", "soon", "error: invalid value 'soon' for '--timeout <SECONDS>': expected a number of seconds"),
        ("--max-memory", "0", "error: invalid value '0' for '--max-memory <SIZE>': expected a positive size"),
        ("--max-memory", "99999999999T", "error: invalid value '99999999999T' for '--max-memory <SIZE>': too large"),
        ("--max-memory", "12X", "error: invalid value '12X' for '--max-memory <SIZE>': expected a size such as 512M"),
        ("--max-tuples", "-5", "error: invalid value '-5' for '--max-tuples <N>'"),
        (
            "--max-tuples",
            "99999999999999999999999",
            "error: invalid value '99999999999999999999999' for '--max-tuples <N>'",
        ),
    ] {
        let arg = format!("{flag}={value}");
        let o = stance(dir.path(), &["infer", &arg]);
        assert_eq!(o.status.code(), Some(2), "{arg}: {}", stderr(&o));
        assert!(stderr(&o).starts_with(expected), "{arg}: {}", stderr(&o));
    }
}

#[test]
fn timeout_names_the_relation_that_grew() {
    let dir = project(&[("rules/r.dl", RUNAWAY)]);
    let o = stance(dir.path(), &["infer", "--timeout", "0.3", "--output-dir", "out", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "rules/r.dl:4:1: error[E031]: evaluation ran out of time (--timeout) while computing `n`\n");
    assert_eq!(listing(&dir.path().join("out")), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_with_exit_130() {
    let dir = project(&[("rules/r.dl", RUNAWAY)]);
    let child = spawn(dir.path(), &["infer", "--output-dir", "out"]);
    std::thread::sleep(Duration::from_millis(700));
    signal(&child, "INT");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert_eq!(stderr(&o), "error[E061]: interrupted; no output was written\n");
    assert_eq!(stdout(&o), "");
    assert_eq!(listing(&dir.path().join("out")), Vec::<String>::new());
    assert_eq!(listing(dir.path()), ["rules"]);
}

/// Large outputs: three relations of 300,000 rows each, written to `--output-dir`.
const BIG: &str = "\
.decl n(x: number)
.decl m(x: number, y: number)
.decl k(x: number, s: symbol)
.output n
.output m
.output k(filename=\"k.facts\")
n(x) :- x = range(0, 300000).
m(x, x * 7) :- n(x).
k(x, to_string(x)) :- n(x).
";

#[cfg(unix)]
#[test]
fn a_run_killed_while_writing_leaves_only_complete_files() {
    let dir = project(&[("rules/r.dl", BIG)]);
    let args = ["infer", "--output-dir", "out", "--relation", "n", "--format", "csv"];
    // A complete run, for the expected contents and the time a run takes.
    let started = Instant::now();
    let o = stance(dir.path(), &args);
    let full = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expected: Vec<(String, Vec<u8>)> = listing(&dir.path().join("out"))
        .into_iter()
        .map(|n| (n.clone(), std::fs::read(dir.path().join("out").join(&n)).unwrap()))
        .collect();
    assert_eq!(expected.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["k.facts", "m.csv", "n.csv"]);
    assert_eq!(expected[2].1.len(), (0..300_000).map(|i: u32| i.to_string().len() + 1).sum::<usize>());

    // Kill runs at spread-out moments, from evaluation into the writes.
    for step in 1..=8 {
        let out = dir.path().join("out");
        let _ = std::fs::remove_dir_all(&out);
        let child = spawn(dir.path(), &args);
        std::thread::sleep(full * step / 9);
        signal(&child, "KILL");
        let _ = child.wait_with_output();
        for name in listing(&out) {
            if let Some((_, bytes)) = expected.iter().find(|(n, _)| *n == name) {
                assert_eq!(&std::fs::read(out.join(&name)).unwrap(), bytes, "step {step}: {name} is truncated");
            } else {
                // Only a temporary file can be left over: hidden, and named so that no
                // reader of `.csv`/`.facts` files picks it up.
                assert!(name.starts_with('.') && name.ends_with(".tmp"), "step {step}: unexpected file {name}");
            }
        }
    }
}

/// SIGTERM (what `timeout`, systemd and CI runners send) is handled like Ctrl-C.
#[cfg(unix)]
#[test]
fn sigterm_stops_cleanly_like_ctrl_c() {
    let dir = project(&[("rules/r.dl", RUNAWAY)]);
    let child = spawn(dir.path(), &["infer", "--output-dir", "out"]);
    std::thread::sleep(Duration::from_millis(700));
    signal(&child, "TERM");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert_eq!(stderr(&o), "error[E061]: interrupted; no output was written\n");
    assert_eq!(listing(dir.path()), ["rules"]);
}

/// The contents of every file in `dir`, by name.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    listing(dir).into_iter().map(|n| (n.clone(), std::fs::read(dir.join(&n)).unwrap())).collect()
}

/// Ctrl-C or SIGTERM at eight moments of a run that replaces an output directory leaves the old
/// files or the new ones, never a mix and never a temporary file, and says which.
#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_the_old_files_or_all_the_new_ones() {
    let dir = project(&[("rules/r.dl", BIG)]);
    let args = ["infer", "--output-dir", "out", "--relation", "n", "--format", "csv"];
    let out = dir.path().join("out");
    assert_eq!(stance(dir.path(), &args).status.code(), Some(0));
    let old = contents(&out);
    std::fs::write(dir.path().join("rules/r.dl"), BIG.replace("range(0, 300000)", "range(1, 300001)")).unwrap();
    let started = Instant::now();
    assert_eq!(stance(dir.path(), &args).status.code(), Some(0));
    let full = started.elapsed();
    let new = contents(&out);
    assert_eq!(old.len(), 3);
    assert!(old.iter().zip(&new).all(|(o, n)| o.0 == n.0 && o.1 != n.1));

    for step in 1..=8 {
        for (name, bytes) in &old {
            std::fs::write(out.join(name), bytes).unwrap();
        }
        let child = spawn(dir.path(), &args);
        std::thread::sleep(full * step / 9);
        signal(&child, if step % 2 == 0 { "TERM" } else { "INT" });
        let o = child.wait_with_output().unwrap();
        let now = contents(&out);
        match o.status.code() {
            Some(130) if stderr(&o) == "error[E061]: interrupted; no output was written\n" => {
                assert!(now == old, "step {step}: the old files were changed")
            }
            Some(130) => {
                assert_eq!(stderr(&o), "error[E061]: interrupted after writing the output (3 files complete)\n");
                assert!(now == new, "step {step}: not all new files are in place");
            }
            Some(0) => assert!(now == new, "step {step}"),
            code => panic!("step {step}: exit {code:?}: {}", stderr(&o)),
        }
    }
}

/// Two runs into one output directory do not interleave: the second waits for the first's
/// lock (held here by the test), says so, and writes only after it is released.
#[cfg(unix)]
#[test]
fn a_second_run_waits_for_the_output_directory_lock() {
    use std::io::BufRead;
    let dir = project(&[("rules/r.dl", ".decl s(x: symbol)\ns(\"new\").\n.output s\n"), ("out/s.csv", "old\n")]);
    let held = std::fs::File::open(dir.path().join("out")).unwrap();
    held.lock().unwrap();
    let mut child = spawn(dir.path(), &["infer", "--output-dir", "out"]);
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert_eq!(line, "note: waiting for another stance run to finish writing into `out`\n");
    assert_eq!(contents(&dir.path().join("out")), [("s.csv".to_string(), b"old\n".to_vec())]);
    drop(held);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(contents(&dir.path().join("out")), [("s.csv".to_string(), b"new\n".to_vec())]);
}

/// Two real runs into one directory at once, with different results: when both are done,
/// the directory holds one run's files, all of them, never a mix.
#[cfg(unix)]
#[test]
fn two_concurrent_runs_leave_one_runs_files() {
    let dir = project(&[("ra/r.dl", BIG), ("rb/r.dl", &BIG.replace("range(0, 300000)", "range(1, 300001)"))]);
    let out = dir.path().join("out");
    let mut expected = Vec::new();
    for rules in ["ra", "rb"] {
        let o = stance(
            dir.path(),
            &["infer", "--rules", rules, "--output-dir", "out", "--relation", "n", "--format", "csv"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        expected.push(contents(&out));
    }
    for _ in 0..2 {
        std::fs::remove_dir_all(&out).unwrap();
        let runs: Vec<Child> = ["ra", "rb"]
            .iter()
            .map(|rules| spawn(dir.path(), &["infer", "--rules", rules, "--output-dir", "out", "--relation", "n"]))
            .collect();
        for child in runs {
            let o = child.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        }
        let now = contents(&out);
        assert!(now == expected[0] || now == expected[1], "a mix of two runs: {:?}", listing(&out));
    }
}

// ---- determinism ----

const RULES_A: &str = "\
.decl aligned(x: symbol, y: symbol)
.output aligned
aligned(x, z) :- backs(x, y), backs(y, z), x != z.
aligned(x, y) :- backs(x, y).
";
const RULES_B: &str = "\
.decl weight(x: symbol, n: number)
.input weight
.decl heavy(x: symbol, n: number)
.output heavy
heavy(x, n) :- weight(x, n), n > 2.
.decl support(y: symbol, n: number)
.output support
support(y, n) :- aligned(_, y), n = count : { aligned(_, y) }.
";

const STATEMENTS: [&str; 8] = [
    "Egypt,backs,Tobruk,s1",
    "Tobruk,backs,Haftar,s2",
    "Russia,backs,Haftar,s3",
    "UAE,backs,Tobruk,s4",
    "Haftar,backs,Kremlin,s5",
    "Turkey,backs,GNA,s6",
    "Qatar,backs,GNA,s7",
    "GNA,backs,Misrata,s8",
];
const WEIGHTS: [&str; 5] = ["Egypt\t3", "Russia\t5", "Qatar\t1", "UAE\t4", "Turkey\t2"];

/// One layout of the same knowledge base: statement rows split over two files in
/// `order`, weights rows in `order`, rule files given in `rule_order`.
fn layout(rows: &[usize], weights: &[usize], swap_files: bool) -> tempfile::TempDir {
    let header = "subject,relation,object,source\n";
    let (first, second) = rows.split_at(rows.len() / 2);
    let text =
        |idx: &[usize]| header.to_string() + &idx.iter().map(|&i| format!("{}\n", STATEMENTS[i])).collect::<String>();
    let names = if swap_files { ["z.csv", "a.csv"] } else { ["a.csv", "z.csv"] };
    let weights: String = weights.iter().map(|&i| format!("{}\n", WEIGHTS[i])).collect();
    project(&[
        ("rules/a.dl", RULES_A),
        ("rules/b.dl", RULES_B),
        (&format!("facts/{}", names[0]), &text(first)),
        (&format!("facts/{}", names[1]), &text(second)),
        ("facts/weight.facts", &weights),
    ])
}

/// Everything a run shows: each format, the output directory's files and an explanation.
fn outputs(dir: &Path, rule_order: [&str; 2]) -> Vec<(String, Vec<u8>)> {
    let rules = ["--rules", rule_order[0], "--rules", rule_order[1]];
    let mut all = Vec::new();
    for format in ["table", "csv", "json"] {
        let mut args = vec!["infer", "--format", format, "--output-dir", "out", "--print"];
        args.extend(rules);
        let o = stance(dir, &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        all.push((format!("infer --format {format}"), o.stdout));
        for name in listing(&dir.join("out")) {
            all.push((format!("out/{name}"), std::fs::read(dir.join("out").join(&name)).unwrap()));
        }
        std::fs::remove_dir_all(dir.join("out")).unwrap();
    }
    all
}

/// The proofs: `explain` in JSON and every support tuple with its proof trace.
fn explanation(dir: &Path, rule_order: [&str; 2]) -> Vec<u8> {
    let rules = ["--rules", rule_order[0], "--rules", rule_order[1]];
    let mut args = vec!["explain", "aligned(\"Egypt\", \"Haftar\")", "--format", "json"];
    args.extend(rules);
    let o = stance(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut bytes = o.stdout;
    let mut args = vec!["infer", "--provenance", "--format", "csv", "--relation", "support"];
    args.extend(rules);
    let o = stance(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    bytes.extend(o.stdout);
    bytes
}

#[test]
fn reordered_files_and_shuffled_rows_give_identical_bytes() {
    let forward = layout(&[0, 1, 2, 3, 4, 5, 6, 7], &[0, 1, 2, 3, 4], false);
    let reference = outputs(forward.path(), ["rules/a.dl", "rules/b.dl"]);
    assert!(
        reference.iter().any(|(n, _)| n == "out/support.csv"),
        "{:?}",
        reference.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    let shuffled = layout(&[5, 2, 7, 0, 3, 6, 1, 4], &[3, 0, 4, 2, 1], true);
    for (dir, order) in [
        (&forward, ["rules/b.dl", "rules/a.dl"]),
        (&shuffled, ["rules/a.dl", "rules/b.dl"]),
        (&shuffled, ["rules/b.dl", "rules/a.dl"]),
    ] {
        let got = outputs(dir.path(), order);
        assert_eq!(got.len(), reference.len());
        for ((name, want), (_, have)) in reference.iter().zip(&got) {
            assert_eq!(String::from_utf8_lossy(have), String::from_utf8_lossy(want), "{name} differs ({order:?})");
        }
    }
    // A proof cites rows by file and line, so shuffled rows legitimately change it; the rule
    // file order must not.
    let a = explanation(forward.path(), ["rules/a.dl", "rules/b.dl"]);
    let b = explanation(forward.path(), ["rules/b.dl", "rules/a.dl"]);
    assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    assert!(String::from_utf8_lossy(&a).contains("\"file\":\"facts/a.csv\""), "{}", String::from_utf8_lossy(&a));
}
