//! Limits that hold while a program runs: a deadline, a cap on a relation's tuples, a memory
//! budget and a cancel token.
//!
//! The evaluator checks one shared [`Stop`] flag inside its hot loops (ranges, lookups,
//! joins, the rows a rule emits), so a stop takes effect within one row, not at the end of
//! a round. The cap on tuples is checked by the evaluator itself as rows are emitted; a
//! watchdog thread raises the flag for the deadline, the memory budget (the process's
//! resident memory, read from `/proc/self/status`) and the cancel token. Where evaluation
//! sits inside one of datafrog's sorts or merges, which cannot be interrupted, the watchdog
//! waits a grace period and then hands the diagnostic to the caller's hook (the command
//! line prints it and ends the process; nothing has been written by then).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

/// Cancels a run from another thread (a language server whose text changed, a UI's stop
/// button): clone it into [`crate::engine::eval::EvalOptions::cancel`] and call [`CancelToken::cancel`].
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks every holder of the token to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why a run stopped before its fixpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// A relation grew beyond `--max-tuples`.
    Tuples,
    /// `--timeout` passed.
    Timeout,
    /// The process's memory grew beyond `--max-memory`.
    Memory,
    /// The cancel token was used.
    Cancelled,
}

impl StopReason {
    fn code(self) -> u8 {
        match self {
            StopReason::Tuples => 1,
            StopReason::Timeout => 2,
            StopReason::Memory => 3,
            StopReason::Cancelled => 4,
        }
    }

    fn from_code(code: u8) -> Option<StopReason> {
        Some(match code {
            1 => StopReason::Tuples,
            2 => StopReason::Timeout,
            3 => StopReason::Memory,
            4 => StopReason::Cancelled,
            _ => return None,
        })
    }
}

/// No rule is running (between rounds, or loading a stratum's inputs).
pub const NO_RULE: usize = usize::MAX;

/// The flag the hot loops read, and what the run was doing, for the diagnostic.
#[derive(Debug)]
pub struct Stop {
    reason: AtomicU8,
    /// The rule running now (its id), or [`NO_RULE`].
    rule: AtomicUsize,
}

impl Default for Stop {
    fn default() -> Stop {
        Stop::new()
    }
}

impl Stop {
    /// No stop requested, no rule running.
    pub const fn new() -> Stop {
        Stop { reason: AtomicU8::new(0), rule: AtomicUsize::new(NO_RULE) }
    }

    /// Asks the run to stop; the first reason given is kept.
    pub fn request(&self, reason: StopReason) {
        let _ = self.reason.compare_exchange(0, reason.code(), Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Read once per row of the hot loops: a relaxed load.
    #[inline]
    pub fn is_requested(&self) -> bool {
        self.reason.load(Ordering::Relaxed) != 0
    }

    /// Why a stop was requested, if one was.
    pub fn reason(&self) -> Option<StopReason> {
        StopReason::from_code(self.reason.load(Ordering::Relaxed))
    }

    /// Records the rule now running.
    pub fn set_rule(&self, rule: usize) {
        self.rule.store(rule, Ordering::Relaxed);
    }

    /// The rule running when asked, if any.
    pub fn rule(&self) -> Option<usize> {
        Some(self.rule.load(Ordering::Relaxed)).filter(|&r| r != NO_RULE)
    }
}

/// How often the watchdog looks at the clock, the memory and the cancel token.
pub const POLL: Duration = Duration::from_millis(10);

/// How long a stopped run may take to come back before the watchdog gives up on it: 5 % of
/// the time limit (so the whole run ends within about 10 % of it), at least 50 ms, at most
/// one second.
pub fn grace(timeout: Option<Duration>) -> Duration {
    let share = timeout.map_or(Duration::from_secs(1), |t| t / 20);
    share.clamp(Duration::from_millis(50), Duration::from_secs(1))
}

/// The share of the memory available when a run starts that the default budget lets it
/// use, on top of what the process already holds: half, which leaves room for the rest of
/// the machine and for datafrog's merges (a merge briefly holds a relation twice).
pub const DEFAULT_MEMORY_SHARE: f64 = 0.5;

/// The default `--max-memory`: what the process holds now plus [`DEFAULT_MEMORY_SHARE`] of
/// the memory available (see [`available_bytes`]). `None` where the system does not say
/// (no `/proc`).
pub fn default_max_memory() -> Option<u64> {
    let available = available_bytes()?;
    Some(resident_bytes().unwrap_or(0) + (available as f64 * DEFAULT_MEMORY_SHARE) as u64)
}

/// The process's resident memory in bytes (`VmRSS` in `/proc/self/status`).
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kilobytes_field(&status, "VmRSS:")
}

/// The memory a run may still take: `MemAvailable` from `/proc/meminfo`, or less when the
/// process's cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`) leaves less.
pub fn available_bytes() -> Option<u64> {
    let machine = kilobytes_field(&std::fs::read_to_string("/proc/meminfo").ok()?, "MemAvailable:");
    match (machine, cgroup_headroom()) {
        (Some(m), Some(c)) => Some(m.min(c)),
        (m, c) => m.or(c),
    }
}

/// What the process's cgroup still allows: its limit minus its usage.
fn cgroup_headroom() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse::<u64>().ok());
    // cgroup v2: "0::/path" in /proc/self/cgroup names the directory under /sys/fs/cgroup.
    let groups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    if let Some(path) = groups.lines().find_map(|l| l.strip_prefix("0::")) {
        let dir = format!("/sys/fs/cgroup{}", path.trim_end_matches('/'));
        if let Some(max) = read(&format!("{dir}/memory.max")) {
            // "max" (no limit) does not parse as a number and falls through.
            return Some(max.saturating_sub(read(&format!("{dir}/memory.current")).unwrap_or(0)));
        }
    }
    let max = read("/sys/fs/cgroup/memory/memory.limit_in_bytes")?;
    // v1 reports "no limit" as a huge number.
    (max < 1 << 60).then(|| max.saturating_sub(read("/sys/fs/cgroup/memory/memory.usage_in_bytes").unwrap_or(0)))
}

/// `name   1234 kB` in a /proc file, in bytes.
fn kilobytes_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find_map(|l| l.strip_prefix(name))?;
    let kb: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// Bytes for people: `512 B`, `64.0 MiB`, `1.5 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

// Command-line values, validated before any work (clap's `value_parser`): a bad value is a
// usage error (exit 2) that says what was expected, never a panic.

/// `--timeout SECONDS`: a finite, non-negative number of seconds (`0.5`, `30`, `1e3`).
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 =
        text.trim().parse().map_err(|_| "expected a number of seconds, such as 30 or 0.5".to_string())?;
    if !seconds.is_finite() || seconds < 0.0 {
        return Err("expected a finite, non-negative number of seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| "too many seconds (at most 18446744073709551615)".to_string())
}

/// `--max-memory SIZE`: bytes, or a number with a unit `K`, `M`, `G`, `T` (powers of 1024,
/// optionally written `KiB`, `MB`...): `512M`, `1.5G`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    const EXPECTED: &str = "expected a size such as 512M, 2G or 1.5G (K, M, G, T: powers of 1024)";
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (number, unit) = (t[..split].trim(), t[split..].trim());
    let scale: f64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" | "KIB" => 1024.0,
        "M" | "MB" | "MIB" => 1024.0 * 1024.0,
        "G" | "GB" | "GIB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TB" | "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(EXPECTED.into()),
    };
    let value: f64 = number.parse().map_err(|_| EXPECTED.to_string())?;
    if !value.is_finite() || value <= 0.0 {
        return Err("expected a positive size".into());
    }
    let bytes = value * scale;
    if bytes >= u64::MAX as f64 {
        return Err("too large a size".into());
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_finite_and_non_negative() {
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("1e3"), Ok(Duration::from_secs(1000)));
        for bad in ["1e20", "-1", "NaN", "inf", "-inf", "", "ten", "1e400"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("1.5G"), Ok(3 << 29));
        assert_eq!(parse_bytes("64 MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("4096"), Ok(4096));
        for bad in ["0", "-1G", "NaN", "inf", "99999999999T", "12X", "G", ""] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn proc_fields_read_kilobytes() {
        assert_eq!(kilobytes_field("VmPeak:\t 10 kB\nVmRSS:\t    2048 kB\n", "VmRSS:"), Some(2 << 20));
        assert_eq!(kilobytes_field("MemTotal: 1 kB\n", "MemAvailable:"), None);
    }

    #[test]
    fn the_first_stop_reason_is_kept() {
        let stop = Stop::new();
        assert!(!stop.is_requested());
        stop.request(StopReason::Tuples);
        stop.request(StopReason::Timeout);
        assert_eq!(stop.reason(), Some(StopReason::Tuples));
    }
}
