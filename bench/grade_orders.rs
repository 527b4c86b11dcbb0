//! A model of the grade fixpoint on bench/grades.py's graph, to compare worklist orders
//! without rebuilding stance (issue 21): it counts how often each `path` tuple is joined
//! again and how much CPU the joins take, in the layout `src/proof/grade_join.rs` uses
//! (the model's sorted tuples, one grade down-set and one confidence per tuple, heads found
//! by sorting batches of 4,096 instances and galloping through the relation).
//!
//! Usage (std only, no Cargo):
//!   rustc -O -o /tmp/grade_orders bench/grade_orders.rs
//!   python3 -c 'import sys; sys.path.insert(0, "bench"); import grades; grades.tables("/tmp/g", 4000, 6000, 42)'
//!   /tmp/grade_orders /tmp/g/graded/facts/edges.csv rounds
//!   /tmp/grade_orders /tmp/g/graded/facts/edges.csv buckets SHIFT MIN_BATCH
//!
//! `rounds` takes every tuple that grew as one batch (what stance does); `buckets` takes
//! them best confidence first, a bucket per 2^SHIFT halvings of the confidence, each batch
//! topped up from the next buckets to at least MIN_BATCH tuples.

use std::collections::HashMap;

/// The down-set of a grade: reliability `r` and credibility `c` (0 is best), every grade
/// at or below it (bit `r * 6 + c`).
fn down_set(r: usize, c: usize) -> u64 {
    (r..6).flat_map(|rr| (c..6).map(move |cc| 1 << (rr * 6 + cc))).fold(0, |a, b| a | b)
}

/// A confidence's bucket: halvings below 1, `shift` of them per bucket; the last for none.
fn bucket(c: f64, shift: u32, buckets: usize) -> usize {
    if c < 0.0 {
        return buckets - 1;
    }
    let exponent = (c.to_bits() >> 52 & 0x7ff) as usize;
    (1023usize.saturating_sub(exponent) >> shift).min(buckets - 2)
}

fn gallop(lo: usize, hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut from, mut step) = (lo, 1);
    while from + step < hi && pred(from + step) {
        from += step;
        step *= 2;
    }
    if from < hi && !pred(from) {
        return from;
    }
    let (mut a, mut b) = (from, (from + step + 1).min(hi));
    while a < b {
        let m = (a + b) / 2;
        if pred(m) {
            a = m + 1
        } else {
            b = m
        }
    }
    a
}

/// The running fixpoint over the `path` tuples.
struct Fix<'a> {
    paths: &'a [(u32, u32)],
    /// Where each first value's paths start.
    firsts: &'a [u32],
    bits: Vec<u64>,
    conf: Vec<f64>,
    marked: Vec<bool>,
    queue: Vec<Vec<u32>>,
    current: usize,
    shift: Option<u32>,
    pending: Vec<(u64, u64, f64)>,
}

impl Fix<'_> {
    fn raise(&mut self, i: usize, bits: u64, conf: f64) {
        let before = self.conf[i];
        let mut grew = bits & !self.bits[i] != 0;
        self.bits[i] |= bits;
        if conf > self.conf[i] {
            self.conf[i] = conf;
            grew = true;
        }
        if !grew {
            return;
        }
        let n = self.queue.len();
        let to = self.shift.map_or(0, |s| bucket(self.conf[i], s, n).max(self.current));
        if !self.marked[i] {
            self.marked[i] = true;
            self.queue[to].push(i as u32);
        } else if self.shift.is_some_and(|s| to < bucket(before, s, n)) {
            self.queue[to].push(i as u32);
        }
    }

    fn push(&mut self, head: u64, bits: u64, conf: f64) {
        self.pending.push((head, bits, conf));
        if self.pending.len() >= 4096 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable_by_key(|e| e.0);
        let key = |t: (u32, u32)| u64::from(t.0) << 32 | u64::from(t.1);
        let (mut pos, mut k) = (0, 0);
        while k < pending.len() {
            let (head, mut bits, mut conf) = pending[k];
            k += 1;
            while k < pending.len() && pending[k].0 == head {
                bits |= pending[k].1;
                conf = conf.max(pending[k].2);
                k += 1;
            }
            let x = (head >> 32) as usize;
            let (lo, hi) = (self.firsts[x] as usize, self.firsts[x + 1] as usize);
            pos = gallop(lo.max(pos).min(hi), hi, |i| key(self.paths[i]) < head);
            if pos < hi && key(self.paths[pos]) == head {
                self.raise(pos, bits, conf);
            }
        }
        pending.clear();
        self.pending = pending;
    }
}

/// CPU seconds of this process so far (user and system).
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<f64> =
        stat.rsplit(')').next().unwrap_or("").split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect();
    (fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).expect("an edges.csv written by bench/grades.py");
    let shift: Option<u32> = (args[2] == "buckets").then(|| args.get(3).map_or(0, |s| s.parse().unwrap()));
    let min_batch: usize = args.get(4).map_or(0, |s| s.parse().unwrap());
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut edges = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let n = ids.len() as u32;
        let a = *ids.entry(f[0].to_string()).or_insert(n);
        let n = ids.len() as u32;
        let b = *ids.entry(f[2].to_string()).or_insert(n);
        let g = f[3].as_bytes();
        let grade = down_set((g[0] - b'A') as usize, (g[1] - b'1') as usize);
        edges.push((a, b, grade, f[4].parse::<f64>().unwrap()));
    }
    edges.sort_by_key(|e| (e.0, e.1));
    let n = ids.len();
    let starts = |pairs: &mut dyn Iterator<Item = u32>| {
        let mut s = vec![0u32; n + 1];
        pairs.for_each(|x| s[x as usize + 1] += 1);
        (0..n).for_each(|i| s[i + 1] += s[i]);
        s
    };
    let out = starts(&mut edges.iter().map(|e| e.0));
    // The model: every path, by depth-first search from each node.
    let mut paths = Vec::new();
    let mut seen = vec![false; n];
    for x in 0..n {
        seen.iter_mut().for_each(|s| *s = false);
        let (mut stack, mut reach) = (vec![x], Vec::new());
        while let Some(y) = stack.pop() {
            for e in &edges[out[y] as usize..out[y + 1] as usize] {
                if !std::mem::replace(&mut seen[e.1 as usize], true) {
                    reach.push(e.1);
                    stack.push(e.1 as usize);
                }
            }
        }
        reach.sort_unstable();
        paths.extend(reach.into_iter().map(|z| (x as u32, z)));
    }
    let firsts = starts(&mut paths.iter().map(|p| p.0));
    let np = paths.len();
    let buckets = if shift.is_some() { (1024 >> shift.unwrap_or(0)) + 2 } else { 1 };
    let start = cpu();
    let mut fix = Fix {
        paths: &paths,
        firsts: &firsts,
        bits: vec![0; np],
        conf: vec![-1.0; np],
        marked: vec![false; np],
        queue: vec![Vec::new(); buckets],
        current: 0,
        shift,
        pending: Vec::new(),
    };
    // path(x, y) :- edge(x, y).
    for e in &edges {
        fix.push(u64::from(e.0) << 32 | u64::from(e.1), e.2, e.3);
    }
    fix.flush();
    // path(x, z) :- path(x, y), edge(y, z), from the queued paths.
    let (mut joins, mut batches) = (0u64, 0u64);
    loop {
        while fix.current < buckets && fix.queue[fix.current].is_empty() {
            fix.current += 1;
        }
        if fix.current == buckets {
            break;
        }
        let mut batch = std::mem::take(&mut fix.queue[fix.current]);
        let mut next = fix.current + 1;
        while batch.len() < min_batch && next < buckets {
            batch.append(&mut fix.queue[next]);
            next += 1;
        }
        batch.sort_unstable();
        batch.dedup();
        batch.retain(|&i| std::mem::replace(&mut fix.marked[i as usize], false));
        batches += 1;
        for &i in &batch {
            let i = i as usize;
            joins += 1;
            let ((x, y), bits, conf) = (paths[i], fix.bits[i], fix.conf[i]);
            for e in &edges[out[y as usize] as usize..out[y as usize + 1] as usize] {
                fix.push(u64::from(x) << 32 | u64::from(e.1), bits & e.2, conf * e.3);
            }
        }
        fix.flush();
    }
    println!(
        "{} paths, {joins} joins ({:.2} per path), {batches} batches, {:.2} s CPU",
        np,
        joins as f64 / np as f64,
        cpu() - start
    );
}
