//! What a run spent, per rule and per relation: `stance infer --profile FILE` writes it as
//! JSON, `stance profile FILE` prints the slowest rules (as Soufflé's profiler does), and the
//! progress line (`engine::progress`) reads the live counters while the run goes on.
//!
//! The evaluator reports into a [`Recorder`]: the stratum and round it is in and the tuples
//! its relations hold (atomics, read by the progress thread), and each rule's time and
//! rounds (once per rule per round, so the cost is a clock read per rule per round). The
//! tuples each rule derived are counted afterwards from the model's annotations (the rule
//! that first derived each tuple), so the counts are exact and the hot loops are untouched;
//! this needs recording on, which `--profile` turns on.

use crate::base::source::SourceMap;
use crate::engine::eval::{INPUT, Model};
use crate::lang::ir::{Program, RelId, RuleId};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Live counters and accumulated times of one evaluation (shared with the progress thread).
#[derive(Debug)]
pub struct Recorder {
    started: Instant,
    /// The stratum being evaluated (index into the plan's strata) and how many there are.
    stratum: AtomicUsize,
    strata: AtomicUsize,
    /// The round of the current stratum.
    round: AtomicUsize,
    /// Tuples held by the relations of finished strata, and by the current one.
    done_tuples: AtomicU64,
    current_tuples: AtomicU64,
    /// Per rule: time spent and rounds run; per stratum: rounds and time.
    times: Mutex<Times>,
}

#[derive(Debug, Default)]
struct Times {
    rules: Vec<(Duration, usize)>,
    strata: Vec<(Duration, usize)>,
}

/// Times one run of a rule, reporting it to the recorder when dropped (so every way out of
/// the rule's code counts).
pub struct Timed<'r> {
    recorder: &'r Recorder,
    rule: RuleId,
    started: Instant,
}

impl<'r> Timed<'r> {
    /// Starts timing `rule` when there is a recorder.
    pub fn start(recorder: Option<&'r Recorder>, rule: RuleId) -> Option<Timed<'r>> {
        recorder.map(|recorder| Timed { recorder, rule, started: Instant::now() })
    }
}

impl Drop for Timed<'_> {
    fn drop(&mut self) {
        self.recorder.rule_ran(self.rule, self.started.elapsed());
    }
}

/// A snapshot of the live counters, for the progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The stratum being evaluated (from 1) and how many there are.
    pub stratum: usize,
    /// How many strata the program has.
    pub strata: usize,
    /// The round of the current stratum (from 1).
    pub round: usize,
    /// Tuples held so far by every relation evaluated or being evaluated.
    pub tuples: u64,
    /// Time since the evaluation started.
    pub elapsed: Duration,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// A recorder whose clock starts now.
    pub fn new() -> Recorder {
        Recorder {
            started: Instant::now(),
            stratum: AtomicUsize::new(0),
            strata: AtomicUsize::new(0),
            round: AtomicUsize::new(0),
            done_tuples: AtomicU64::new(0),
            current_tuples: AtomicU64::new(0),
            times: Mutex::new(Times::default()),
        }
    }

    /// The evaluator starts stratum `index` of `count`.
    pub fn begin_stratum(&self, index: usize, count: usize) {
        self.strata.store(count, Ordering::Relaxed);
        self.stratum.store(index + 1, Ordering::Relaxed);
        self.round.store(1, Ordering::Relaxed);
    }

    /// A rule ran once (one round), taking `time`.
    pub fn rule_ran(&self, rule: RuleId, time: Duration) {
        let mut times = self.times.lock().unwrap_or_else(|e| e.into_inner());
        if times.rules.len() <= rule {
            times.rules.resize(rule + 1, (Duration::ZERO, 0));
        }
        let entry = &mut times.rules[rule];
        entry.0 += time;
        entry.1 += 1;
    }

    /// A round of the current stratum ended, its relations holding `tuples`.
    pub fn end_round(&self, round: usize, tuples: u64) {
        self.round.store(round + 1, Ordering::Relaxed);
        self.current_tuples.store(tuples, Ordering::Relaxed);
    }

    /// Stratum `index` is complete after `rounds` rounds and `time`, holding `tuples`.
    pub fn end_stratum(&self, index: usize, rounds: usize, time: Duration, tuples: u64) {
        self.done_tuples.fetch_add(tuples, Ordering::Relaxed);
        self.current_tuples.store(0, Ordering::Relaxed);
        let mut times = self.times.lock().unwrap_or_else(|e| e.into_inner());
        if times.strata.len() <= index {
            times.strata.resize(index + 1, (Duration::ZERO, 0));
        }
        times.strata[index] = (time, rounds);
    }

    /// The live counters now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            stratum: self.stratum.load(Ordering::Relaxed),
            strata: self.strata.load(Ordering::Relaxed),
            round: self.round.load(Ordering::Relaxed),
            tuples: self.done_tuples.load(Ordering::Relaxed) + self.current_tuples.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
        }
    }
}

/// The profile of one run, as `--profile` writes it. Its structure depends only on the
/// program and the input; the `seconds` fields are the only values that vary between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The format's version.
    pub version: u32,
    /// Wall time of the whole evaluation.
    pub seconds: f64,
    /// Tuples in every relation at the end (input and derived).
    pub tuples: u64,
    /// One entry per stratum, in evaluation order.
    pub strata: Vec<StratumProfile>,
    /// One entry per rule, in program order.
    pub rules: Vec<RuleProfile>,
    /// One entry per relation, in program order.
    pub relations: Vec<RelationProfile>,
}

/// A stratum's rounds and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratumProfile {
    /// Its relations' names.
    pub relations: Vec<String>,
    /// Rounds to its fixpoint.
    pub rounds: usize,
    /// Wall time, index building and merging included.
    pub seconds: f64,
}

/// A rule's time, rounds and the tuples it derived first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleProfile {
    /// The relation it derives.
    pub head: String,
    /// `file:line:col` of the rule.
    pub at: String,
    /// The rule's text, on one line.
    pub text: String,
    /// Rounds it ran.
    pub rounds: usize,
    /// Tuples of its head it derived first (a tuple two rules derive counts for the earlier).
    pub tuples: u64,
    /// Time spent in its joins (datafrog's merging of a round's tuples is the stratum's).
    pub seconds: f64,
}

/// A relation's tuples, how many came from input, and its rules' time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationProfile {
    /// The relation's name.
    pub relation: String,
    /// Tuples at the end.
    pub tuples: u64,
    /// Of them, tuples given as input (fact tables, facts in rule files).
    pub input_tuples: u64,
    /// Rounds of its stratum.
    pub rounds: usize,
    /// Time of the rules deriving it.
    pub seconds: f64,
}

/// The profile of a finished run: `model` must have been evaluated with recording on and
/// with `recorder` attached, by the stratum plan whose relations `strata` lists.
pub fn build(
    program: &Program,
    strata: &[Vec<RelId>],
    model: &Model,
    recorder: &Recorder,
    sources: &SourceMap,
) -> Profile {
    let seconds = recorder.started.elapsed().as_secs_f64();
    let times = recorder.times.lock().unwrap_or_else(|e| e.into_inner());
    let mut rule_tuples = vec![0u64; program.rules.len()];
    let mut input_tuples = vec![0u64; program.relations.len()];
    for (rel, tuples) in model.relations.iter().enumerate() {
        for i in 0..tuples.len() {
            match model.annotation(rel, i).map(|a| a.rule) {
                Some(INPUT) | None => input_tuples[rel] += 1,
                Some(rule) => rule_tuples[rule as usize] += 1,
            }
        }
    }
    let rule_time = |r: RuleId| times.rules.get(r).copied().unwrap_or_default();
    let rules = program
        .rules
        .iter()
        .map(|rule| RuleProfile {
            head: program.relations[rule.head].name.clone(),
            at: sources.location(rule.span),
            text: sources.one_line(rule.span),
            rounds: rule_time(rule.id).1,
            tuples: rule_tuples[rule.id],
            seconds: rule_time(rule.id).0.as_secs_f64(),
        })
        .collect();
    let stratum_time = |s: usize| times.strata.get(s).copied().unwrap_or_default();
    let relations = (0..program.relations.len())
        .map(|rel| {
            let stratum = strata.iter().position(|s| s.contains(&rel));
            let seconds =
                program.rules.iter().filter(|r| r.head == rel).fold(0.0, |t, r| t + rule_time(r.id).0.as_secs_f64());
            RelationProfile {
                relation: program.relations[rel].name.clone(),
                tuples: model.relations.get(rel).map_or(0, |t| t.len() as u64),
                input_tuples: input_tuples[rel],
                rounds: stratum.map_or(0, |s| stratum_time(s).1),
                seconds,
            }
        })
        .collect();
    let strata = strata
        .iter()
        .enumerate()
        .map(|(i, rels)| StratumProfile {
            relations: rels.iter().map(|&r| program.relations[r].name.clone()).collect(),
            rounds: stratum_time(i).1,
            seconds: stratum_time(i).0.as_secs_f64(),
        })
        .collect();
    let tuples = model.relations.iter().map(|t| t.len() as u64).sum();
    Profile { version: 1, seconds, tuples, strata, rules, relations }
}

/// The report `stance profile` prints: totals, then the `top` slowest rules with their share
/// of the run's time, rounds, tuples and place. Rule text is escaped by the caller.
pub fn report(profile: &Profile, top: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let derived: u64 = profile.rules.iter().map(|r| r.tuples).sum();
    let _ = writeln!(
        out,
        "total {:.3} s, {} strata, {} rules, {} tuples ({} derived)",
        profile.seconds,
        profile.strata.len(),
        profile.rules.len(),
        grouped(profile.tuples),
        grouped(derived)
    );
    let mut order: Vec<usize> = (0..profile.rules.len()).collect();
    // Slowest first; ties (e.g. rules too fast to measure) in program order.
    order.sort_by(|&a, &b| profile.rules[b].seconds.total_cmp(&profile.rules[a].seconds).then(a.cmp(&b)));
    let _ = writeln!(out, "{:>9} {:>6} {:>7} {:>13}  rule", "time s", "%", "rounds", "tuples");
    let total = profile.seconds.max(f64::MIN_POSITIVE);
    for &i in order.iter().take(top) {
        let r = &profile.rules[i];
        let _ = writeln!(
            out,
            "{:>9.3} {:>5.1}% {:>7} {:>13}  {}  ({})",
            r.seconds,
            100.0 * r.seconds / total,
            r.rounds,
            grouped(r.tuples),
            r.text,
            r.at
        );
    }
    if profile.rules.len() > top {
        let more = profile.rules.len() - top;
        let _ = writeln!(out, "({more} more rule{}; --top N shows more)", crate::base::diag::plural(more));
    }
    out
}

/// A count with thousands separators: 21,192,684.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_counts() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(21_192_684), "21,192,684");
    }
}
