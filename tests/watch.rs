//! `stance watch` as a child process: wait for its first run, edit a rule file, read the
//! tuples that changed. Every wait is bounded and the child is killed at the end.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[path = "common/run.rs"]
mod run;

const WAIT: Duration = Duration::from_secs(20);

struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watch {
    fn start(dir: &std::path::Path) -> Watch {
        Watch::start_with(dir, &["watch", "--rules", "rules", "--no-facts", "--exit-after", "4"])
    }

    fn start_with(dir: &std::path::Path, args: &[&str]) -> Watch {
        let (child, lines) = run::spawn_lines(dir, args, Stdio::null(), Stdio::null());
        Watch { child, lines }
    }

    /// The lines of the next run, up to and including its `ok:`/`failed:` status line.
    fn next_run(&self) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|_| panic!("no status line in time; got {out:?}"));
            let done = line.starts_with("ok:") || line.starts_with("failed:");
            out.push(line);
            if done {
                return out;
            }
        }
    }
}

#[test]
fn an_edit_shows_the_added_and_removed_tuples() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let file = dir.path().join("rules/r.dl");
    let base = ".decl backs(x: symbol, y: symbol)\n.decl aligned(x: symbol, y: symbol)\n.output aligned\n\
                backs(\"Egypt\", \"Tobruk\").\nbacks(\"Russia\", \"Haftar\").\naligned(x, y) :- backs(x, y).\n";
    std::fs::write(&file, base).unwrap();
    let watch = Watch::start(dir.path());
    let first = watch.next_run();
    assert_eq!(first.last().unwrap(), "ok: run 1: 2 tuples in 1 relation");
    // Give the watcher a moment to be registered after the first run printed.
    std::thread::sleep(Duration::from_millis(200));

    // Alignment becomes mutual: two tuples added.
    let saved = Instant::now();
    std::fs::write(&file, format!("{base}aligned(y, x) :- backs(x, y).\n")).unwrap();
    let second = watch.next_run();
    let latency = saved.elapsed();
    assert_eq!(second[..2], ["+ aligned(\"Haftar\", \"Russia\")", "+ aligned(\"Tobruk\", \"Egypt\")"], "{second:?}");
    assert!(second[2].starts_with("ok: run 2 after a change to ") && second[2].ends_with(": +2 -0"), "{second:?}");
    eprintln!("watch: {} ms from save to the status line", latency.as_millis());

    // A broken edit reports failure and keeps the last good model...
    std::fs::write(&file, format!("{base}aligned(y, x) :- backs(x, y)\n")).unwrap();
    let third = watch.next_run();
    assert!(third.last().unwrap().starts_with("failed: run 3"), "{third:?}");

    // ...so the fix is compared with the model before the break.
    std::fs::write(&file, base.replace("backs(\"Russia\", \"Haftar\").\n", "")).unwrap();
    let fourth = watch.next_run();
    assert_eq!(
        fourth[..3],
        ["- aligned(\"Haftar\", \"Russia\")", "- aligned(\"Russia\", \"Haftar\")", "- aligned(\"Tobruk\", \"Egypt\")"]
    );
    assert!(fourth[3].ends_with(": +0 -3"), "{fourth:?}");
}

#[test]
fn an_edit_shows_the_violations_it_introduces_and_resolves() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let file = dir.path().join("rules/r.dl");
    let base = ".decl backs(x: symbol, y: symbol)\n.decl fights(x: symbol, y: symbol)\n.output backs\n\
                backs(\"Egypt\", \"Tobruk\").\n:- backs(x, y), fights(x, y).\n";
    std::fs::write(&file, base).unwrap();
    let watch = Watch::start(dir.path());
    assert_eq!(watch.next_run(), ["ok: run 1: 1 tuple in 1 relation"]);
    std::thread::sleep(Duration::from_millis(200));

    std::fs::write(&file, format!("{base}fights(\"Egypt\", \"Tobruk\").\n")).unwrap();
    let second = watch.next_run();
    assert_eq!(
        second[0], "violated: :- backs(x, y), fights(x, y).  [rules/r.dl:5]  with x = \"Egypt\", y = \"Tobruk\"",
        "{second:?}"
    );
    assert!(second[1].ends_with(": 1 violation introduced"), "{second:?}");

    std::fs::write(
        &file,
        base.replace("backs(\"Egypt\", \"Tobruk\").\n", "backs(\"UAE\", \"Tobruk\").\n")
            + "fights(\"Egypt\", \"Tobruk\").\n",
    )
    .unwrap();
    let third = watch.next_run();
    assert_eq!(
        third[..3],
        [
            "- backs(\"Egypt\", \"Tobruk\")",
            "+ backs(\"UAE\", \"Tobruk\")",
            "resolved: :- backs(x, y), fights(x, y).  [rules/r.dl:5]  with x = \"Egypt\", y = \"Tobruk\""
        ],
        "{third:?}"
    );
    assert!(third[3].ends_with(": +1 -1, 1 violation resolved"), "{third:?}");
}

/// Every file the run read is watched, whatever its directory or extension (an input read
/// through `filename="sub/x.txt"` used to be missed).
#[test]
fn an_input_in_a_subdirectory_with_any_extension_is_watched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::create_dir_all(dir.path().join("facts/sub")).unwrap();
    std::fs::write(
        dir.path().join("rules/r.dl"),
        ".decl e(x: symbol)\n.input e(filename=\"sub/e.txt\")\n.decl p(x: symbol)\n.output p\np(x) :- e(x).\n",
    )
    .unwrap();
    let table = dir.path().join("facts/sub/e.txt");
    std::fs::write(&table, "a\n").unwrap();
    let watch = Watch::start_with(dir.path(), &["watch", "--rules", "rules", "--facts", "facts", "--exit-after", "2"]);
    assert_eq!(watch.next_run().last().unwrap(), "ok: run 1: 1 tuple in 1 relation");
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&table, "a\nb\n").unwrap();
    let second = watch.next_run();
    assert_eq!(second[0], "+ p(\"b\")", "{second:?}");
    assert!(second[1].contains("after a change to ") && second[1].contains("e.txt"), "{second:?}");
}

/// A rules directory replaced by another of the same name (as `git checkout` or an editor
/// may do) is watched again: edits in the new one are seen.
#[test]
fn a_replaced_rules_directory_is_watched_again() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let program = |facts: &str| format!(".decl p(x: symbol)\n.output p\n{facts}");
    std::fs::write(rules.join("r.dl"), program("p(\"a\").\n")).unwrap();
    let watch = Watch::start_with(dir.path(), &["watch", "--rules", "rules", "--no-facts", "--exit-after", "3"]);
    assert_eq!(watch.next_run().last().unwrap(), "ok: run 1: 1 tuple in 1 relation");
    std::thread::sleep(Duration::from_millis(200));
    let fresh = dir.path().join("rules.new");
    std::fs::create_dir(&fresh).unwrap();
    std::fs::write(fresh.join("r.dl"), program("p(\"a\").\np(\"b\").\n")).unwrap();
    std::fs::rename(&rules, dir.path().join("rules.old")).unwrap();
    std::fs::rename(&fresh, &rules).unwrap();
    let second = watch.next_run();
    assert_eq!(second[0], "+ p(\"b\")", "{second:?}");
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(rules.join("r.dl"), program("p(\"b\").\n")).unwrap();
    let third = watch.next_run();
    assert_eq!(third[0], "- p(\"a\")", "{third:?}");
    assert!(third[1].ends_with(": +0 -1"), "{third:?}");
}

/// With `--engine dd` the dataflow stays alive: a changed fact table goes in as tuple
/// changes, and the `+`/`-` lines are those of a fresh evaluation (recursion, negation and a
/// count included); a rule edit builds a new dataflow.
#[cfg(feature = "dd")]
#[test]
fn the_dd_engine_applies_changed_fact_rows_to_a_live_dataflow() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    let rules = dir.path().join("rules/r.dl");
    std::fs::write(
        &rules,
        ".decl e(x: symbol, y: symbol)\n.input e\n.decl p(x: symbol, y: symbol)\n.output p\n\
         p(x, y) :- e(x, y).\np(x, z) :- p(x, y), e(y, z).\n\
         .decl lonely(x: symbol)\n.output lonely\nlonely(x) :- e(x, _), !p(_, x).\n\
         .decl fan(x: symbol, n: number)\n.output fan\nfan(x, n) :- e(x, _), n = count : { p(x, _) }.\n",
    )
    .unwrap();
    let table = dir.path().join("facts/e.facts");
    std::fs::write(&table, "a\tb\nb\tc\n").unwrap();
    let args = ["watch", "--rules", "rules", "--facts", "facts", "--engine", "dd", "--exit-after", "4"];
    let watch = Watch::start_with(dir.path(), &args);
    assert_eq!(watch.next_run().last().unwrap(), "ok: run 1: 6 tuples in 3 relations");
    std::thread::sleep(Duration::from_millis(200));

    // c -> a closes a cycle: a is no longer lonely, every path appears, counts change.
    std::fs::write(&table, "a\tb\nb\tc\nc\ta\n").unwrap();
    let second = watch.next_run();
    assert_eq!(
        second[..second.len() - 1],
        [
            "- fan(\"a\", 2)",
            "- fan(\"b\", 1)",
            "+ fan(\"a\", 3)",
            "+ fan(\"b\", 3)",
            "+ fan(\"c\", 3)",
            "- lonely(\"a\")",
            "+ p(\"a\", \"a\")",
            "+ p(\"b\", \"a\")",
            "+ p(\"b\", \"b\")",
            "+ p(\"c\", \"a\")",
            "+ p(\"c\", \"b\")",
            "+ p(\"c\", \"c\")",
        ],
        "{second:?}"
    );
    // Removing it again takes the same tuples back out.
    std::fs::write(&table, "a\tb\nb\tc\n").unwrap();
    let third = watch.next_run();
    assert!(third.last().unwrap().ends_with(": +3 -9"), "{third:?}");
    // A rule edit: a new dataflow, the same kind of report.
    let text = std::fs::read_to_string(&rules).unwrap().replace("!p(_, x)", "!p(x, _)");
    std::fs::write(&rules, text).unwrap();
    let fourth = watch.next_run();
    assert_eq!(fourth, ["- lonely(\"a\")", "ok: run 4 after a change to rules/r.dl: +0 -1"]);
}

/// With `--engine dd` a changed statement table goes in by its changed rows: a row inserted
/// in the middle (its quoted field spans lines), a row whose relation changes to one the
/// table did not name, a row removed; each run prints the `+`/`-` lines of a fresh
/// evaluation.
#[cfg(feature = "dd")]
#[test]
fn the_dd_engine_applies_changed_statement_rows_to_a_live_dataflow() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    std::fs::write(
        dir.path().join("rules/r.dl"),
        ".decl edge(x: symbol, y: symbol)\n.decl reach(x: symbol)\n.output reach\n\
         reach(y) :- edge(\"a\", y).\nreach(z) :- reach(y), edge(y, z).\n",
    )
    .unwrap();
    let table = dir.path().join("facts/s.csv");
    let header = "subject,relation,object,source\n";
    let write = |rows: &str| std::fs::write(&table, format!("{header}{rows}")).unwrap();
    write("a,edge,b,X\nb,edge,c,Y\nc,edge,d,Z\n");
    let args = ["watch", "--rules", "rules", "--facts", "facts", "--engine", "dd", "--exit-after", "4"];
    let watch = Watch::start_with(dir.path(), &args);
    assert_eq!(watch.next_run().last().unwrap(), "ok: run 1: 3 tuples in 1 relation");
    std::thread::sleep(Duration::from_millis(200));
    write("a,edge,b,X\nb,edge,c,Y\nc,edge,new,\"two\nlines\"\nc,edge,d,Z\n");
    assert_eq!(watch.next_run(), ["+ reach(\"new\")", "ok: run 2 after a change to facts/s.csv: +1 -0"]);
    std::thread::sleep(Duration::from_millis(200));
    write("a,edge,b,X\nb,Linked,c,Y\nc,edge,new,\"two\nlines\"\nc,edge,d,Z\n");
    assert_eq!(
        watch.next_run(),
        ["- reach(\"c\")", "- reach(\"d\")", "- reach(\"new\")", "ok: run 3 after a change to facts/s.csv: +0 -3"]
    );
    std::thread::sleep(Duration::from_millis(200));
    write("a,edge,b,X\nb,edge,c,Y\nc,edge,d,Z\n");
    assert_eq!(
        watch.next_run(),
        ["+ reach(\"c\")", "+ reach(\"d\")", "ok: run 4 after a change to facts/s.csv: +2 -0"]
    );
}

/// With `--engine dd` a changed `.input` table of strings goes in by its changed rows (its
/// new strings interned into the kept symbol table, beside a statement table's): a row
/// appended with a new string, one inserted in the middle, one removed; each run prints the
/// `+`/`-` lines of a fresh evaluation.
#[cfg(feature = "dd")]
#[test]
fn the_dd_engine_applies_changed_string_table_rows_to_a_live_dataflow() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    std::fs::write(
        dir.path().join("rules/r.dl"),
        ".decl e(x: symbol, y: symbol)\n.input e\n.decl edge(x: symbol, y: symbol)\n.decl reach(x: symbol)\n\
         .output reach\nreach(y) :- e(\"a\", y).\nreach(y) :- edge(\"a\", y).\nreach(z) :- reach(y), e(y, z).\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("facts/s.csv"), "subject,relation,object\na,edge,x\n").unwrap();
    let table = dir.path().join("facts/e.facts");
    std::fs::write(&table, "a\tb\nb\tc\n").unwrap();
    let args = ["watch", "--rules", "rules", "--facts", "facts", "--engine", "dd", "--exit-after", "4"];
    let watch = Watch::start_with(dir.path(), &args);
    assert_eq!(watch.next_run().last().unwrap(), "ok: run 1: 3 tuples in 1 relation");
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&table, "a\tb\nb\tc\nc\tnew\n").unwrap();
    assert_eq!(watch.next_run(), ["+ reach(\"new\")", "ok: run 2 after a change to facts/e.facts: +1 -0"]);
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&table, "a\tb\nx\tmid\nb\tc\nc\tnew\n").unwrap();
    assert_eq!(watch.next_run(), ["+ reach(\"mid\")", "ok: run 3 after a change to facts/e.facts: +1 -0"]);
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&table, "a\tb\nx\tmid\nc\tnew\n").unwrap();
    assert_eq!(
        watch.next_run(),
        ["- reach(\"c\")", "- reach(\"new\")", "ok: run 4 after a change to facts/e.facts: +0 -2"]
    );
}

/// A table written in place in several writes (a large save) is read once it is closed, not
/// half-written after the first write: one run, with the whole table's change.
#[cfg(target_os = "linux")]
#[test]
fn a_table_being_written_is_read_once_closed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    let rules =
        ".decl e(x: number, y: number)\n.input e\n.decl p(x: number, y: number)\n.output p\np(x, y) :- e(x, y).\n";
    std::fs::write(dir.path().join("rules/r.dl"), rules).unwrap();
    let table = dir.path().join("facts/e.facts");
    std::fs::write(&table, "1\t2\n").unwrap();
    let args = ["watch", "--rules", "rules", "--facts", "facts", "--exit-after", "2"];
    let watch = Watch::start_with(dir.path(), &args);
    assert_eq!(watch.next_run().last().unwrap(), "ok: run 1: 1 tuple in 1 relation");
    std::thread::sleep(Duration::from_millis(200));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&table).unwrap();
        f.write_all(b"1\t2\n3\t").unwrap();
        f.flush().unwrap();
        // Far longer than the watcher's 25 ms wait for quiet.
        std::thread::sleep(Duration::from_millis(300));
        f.write_all(b"4\n").unwrap();
    }
    assert_eq!(watch.next_run(), ["+ p(3, 4)", "ok: run 2 after a change to facts/e.facts: +1 -0"]);
}

/// `watch` keeps one dd dataflow in this process: several processes would each load only
/// their part of the facts and report changes from it (a silently wrong answer), and more
/// workers would be ignored. Both are refused by name, before anything is read.
#[test]
fn several_dd_workers_or_processes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for extra in [["--processes", "2"], ["--workers", "2"]] {
        let mut args = vec!["watch", "--engine", "dd", "--exit-after", "1"];
        args.extend(extra);
        let o = Command::new(env!("CARGO_BIN_EXE_stance")).args(&args).current_dir(dir.path()).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            "error[E020]: `stance watch` keeps one dd dataflow on one worker in this process; leave out --workers and --processes\n\n\
             error: 1 error found\n",
            "{args:?}"
        );
    }
}

/// A relation named by `--relation` that the rules do not declare fails the run (E010, as
/// `infer --relation` does) instead of silently never showing; once an edit declares it,
/// the run evaluates.
#[test]
fn an_unknown_relation_to_show_fails_the_run_until_the_rules_declare_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let file = dir.path().join("rules/r.dl");
    let base = ".decl backs(x: symbol, y: symbol)\n.output backs\nbacks(\"Egypt\", \"Tobruk\").\n";
    std::fs::write(&file, base).unwrap();
    let args = ["watch", "--rules", "rules", "--no-facts", "--relation", "aligned", "--exit-after", "2"];
    let watch = Watch::start_with(dir.path(), &args);
    assert_eq!(watch.next_run(), ["failed: run 1: 1 error (no good result yet)"]);
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(
        &file,
        format!("{base}.decl aligned(x: symbol, y: symbol)\n.output aligned\naligned(x, y) :- backs(x, y).\n"),
    )
    .unwrap();
    // The first good run, as a first run is shown: its size, not a change.
    assert_eq!(watch.next_run(), ["ok: run 2: 1 tuple in 1 relation"]);
}
