//! The progress line: while a run that has gone on for about a second evaluates, one line on
//! standard error with the stratum, the round, the tuples derived so far and the rate,
//! redrawn in place and cleared at the end. Only on a terminal: never when standard error is
//! a pipe or a file, and never in CI (`CI` set to anything but `false` or `0`), so logs and
//! captured output never carry it.
//!
//! A thread reads the [`Recorder`]'s counters (atomics the evaluator updates once per round)
//! and draws with `indicatif`, which rate-limits redrawing; the evaluation itself does
//! nothing more than it does for `--profile`.

use crate::base::terminal::escape;
use crate::engine::profile::{Recorder, Snapshot, grouped};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a run goes before the line appears: short runs show nothing.
pub const DELAY: Duration = Duration::from_secs(1);
/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// Whether a progress line may be shown: standard error is a terminal and `CI` is not set
/// (or is `false`/`0`/empty).
pub fn wanted() -> bool {
    allowed(std::io::stderr().is_terminal(), std::env::var_os("CI").as_deref().and_then(|v| v.to_str()))
}

/// [`wanted`], given whether standard error is a terminal and the value of `CI`.
pub fn allowed(stderr_is_terminal: bool, ci: Option<&str>) -> bool {
    let in_ci = ci.is_some_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE" | "False"));
    stderr_is_terminal && !in_ci
}

/// Each stratum's relations, for the line: up to three names, then `…`.
pub fn stratum_names(program: &crate::lang::ir::Program, plan: &crate::engine::plan::Plan) -> Vec<String> {
    plan.strata
        .iter()
        .map(|s| {
            let mut names: Vec<&str> =
                s.relations.iter().take(3).map(|&r| program.relations[r].name.as_str()).collect();
            if s.relations.len() > 3 {
                names.push("…");
            }
            names.join(", ")
        })
        .collect()
}

/// The text of the line: `stratum 2/5 (path) · round 41 · 12,345,678 tuples · 3,012,345
/// tuples/s · 4.1 s`. `names` are each stratum's relations, by stratum.
pub fn line(snapshot: &Snapshot, names: &[String]) -> String {
    let secs = snapshot.elapsed.as_secs_f64();
    let rate = if secs > 0.0 { (snapshot.tuples as f64 / secs) as u64 } else { 0 };
    let name = snapshot.stratum.checked_sub(1).and_then(|i| names.get(i)).map_or(String::new(), |n| format!(" ({n})"));
    let text = format!(
        "stratum {}/{}{name} · round {} · {} tuples · {} tuples/s · {secs:.1} s",
        snapshot.stratum,
        snapshot.strata,
        snapshot.round,
        grouped(snapshot.tuples),
        grouped(rate)
    );
    escape(&text).into_owned()
}

/// Starts the line for an evaluation of `program` by `plan` when `options.progress` asks for
/// it, giving `options` a recorder to read if they have none; the line goes when the
/// returned value is dropped. Every evaluation the CLI runs starts it here: the full one and
/// the goal-directed one (a magic-set rewrite, with its own strata).
pub fn start_for(
    program: &crate::lang::ir::Program,
    plan: &crate::engine::plan::Plan,
    options: &mut crate::engine::eval::EvalOptions,
) -> Option<Progress> {
    if !options.progress {
        return None;
    }
    let recorder = options.profile.get_or_insert_with(Default::default).clone();
    Some(Progress::start(recorder, stratum_names(program, plan)))
}

/// A progress line being shown (or waiting for its delay): dropping it stops the thread and
/// clears the line.
pub struct Progress {
    done: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts the thread that shows the line for `recorder` after [`DELAY`]; `names` name
    /// each stratum's relations.
    pub fn start(recorder: Arc<Recorder>, names: Vec<String>) -> Progress {
        let (done, finished) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || show(&recorder, &names, &finished));
        Progress { done: Some(done), thread: Some(thread) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: waits out the delay, then redraws the line until the run is over.
fn show(recorder: &Recorder, names: &[String], finished: &mpsc::Receiver<()>) {
    if finished.recv_timeout(DELAY) != Err(mpsc::RecvTimeoutError::Timeout) {
        return; // over before the delay
    }
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| {
        // The template is a constant; the default style is a safe fallback all the same.
        indicatif::ProgressStyle::default_spinner()
    }));
    loop {
        bar.set_message(line(&recorder.snapshot(), names));
        bar.tick();
        if finished.recv_timeout(TICK) != Err(mpsc::RecvTimeoutError::Timeout) {
            break;
        }
    }
    bar.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_on_a_terminal_outside_ci() {
        assert!(allowed(true, None));
        assert!(allowed(true, Some("false")));
        assert!(allowed(true, Some("0")));
        assert!(!allowed(true, Some("true")));
        assert!(!allowed(true, Some("1")));
        assert!(!allowed(false, None));
        assert!(!allowed(false, Some("false")));
    }

    #[test]
    fn starts_only_when_asked() {
        let program = crate::lang::ir::Program::default();
        let plan = crate::engine::plan::Plan {
            strata: Vec::new(),
            row_width: 0,
            env_width: 0,
            stats: crate::engine::plan::Stats::default(),
        };
        let mut options = crate::engine::eval::EvalOptions::default();
        assert!(start_for(&program, &plan, &mut options).is_none());
        assert!(options.profile.is_none());
        options.progress = true;
        assert!(start_for(&program, &plan, &mut options).is_some());
        assert!(options.profile.is_some());
    }

    #[test]
    fn the_line() {
        let s = Snapshot { stratum: 2, strata: 5, round: 41, tuples: 12_345_678, elapsed: Duration::from_secs(4) };
        assert_eq!(
            line(&s, &["edge".into(), "path".into()]),
            "stratum 2/5 (path) · round 41 · 12,345,678 tuples · 3,086,419 tuples/s · 4.0 s"
        );
    }
}
