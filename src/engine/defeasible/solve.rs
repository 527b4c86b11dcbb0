//! The proof conditions of defeasible logic over the ground theory (see the module above
//! for the conditions), to their least fixpoint.
//!
//! **Rounds.** `+Δ` comes first, level by level: a literal is definite in the round after
//! its last premise (round 1: strict facts). The rounds of `∂` and `Σ` follow, numbered on
//! from the last `+Δ` level: each round evaluates the conditions of the literals it has to
//! look at against the state left by the rounds before it, and only then records what it
//! concluded. A `+∂` conclusion is annotated with its round and the instance it rests on,
//! whose premises were all concluded in earlier rounds: that is the provenance contract
//! (`proof::provenance` rebuilds a proof from rounds). The numbering is that of the
//! rescanning solver this one replaced, round for round.
//!
//! **Counting.** Every instance counts its premises not yet `+∂` and not yet `+Σ`, and
//! notes whether one is `-∂`, `-Σ` or refuted; a literal's new state updates the instances
//! it is a premise of (its uses, [`Csr`]). So "applicable", "discarded" and the rest read
//! one number per instance, and a round looks again only at the literals whose conditions
//! read a literal that changed: the heads of the instances it is a premise of, and their
//! complements, which those instances attack. Each literal changes at most six times, so
//! the work is linear in the theory, plus the attacks weighed (Maher 2001, "Propositional
//! defeasible logic has linear complexity"; Dowling and Gallier 1984 for `+Δ`).

use super::{Conclusions, Csr, DELTA, MINUS, NONE, PLUS, Policy, REFUTED, SUPPORT, Status, UNSUPPORTED};
use crate::lang::syntax::ast::RuleKind;

/// Runs the proof conditions to their fixpoint; returns the round each literal became `+∂`
/// (or `+Δ`) and the instance it rests on.
pub(super) fn solve(c: &mut Conclusions) -> Vec<Option<(u32, u32)>> {
    let uses = premise_uses(c);
    let mut proved: Vec<Option<(u32, u32)>> = vec![None; c.len()];
    let round = definite(c, &uses, &mut proved);
    rounds(c, &uses, &mut proved, round);
    c.status = statuses(c);
    proved
}

/// ∂ and Σ from the `+Δ` state already set (a theory read off the least model), rounds
/// numbered after `round`.
pub(super) fn defeasible(c: &mut Conclusions, proved: &mut [Option<(u32, u32)>], round: u32) {
    let uses = premise_uses(c);
    rounds(c, &uses, proved, round);
}

/// The instances each literal is a premise of (once per occurrence).
fn premise_uses(c: &Conclusions) -> Csr {
    let body = &c.instances.body;
    Csr::group(c.len(), || (0..c.instances.len()).flat_map(move |i| body.get(i).iter().map(move |&b| (b, i as u32))))
}

/// Each literal's status from its derived state.
pub(super) fn statuses(c: &Conclusions) -> Vec<Status> {
    (0..c.len())
        .map(|a| {
            let s = c.state[a];
            if s[DELTA] {
                Status::Definite
            } else if s[PLUS] {
                Status::Defeasible
            } else if s[REFUTED] || complement_definite(c, a as u32) {
                Status::Not
            } else {
                Status::Undecided
            }
        })
        .collect()
}

/// +Δ, level by level (each instance counts its premises not yet definite, as in
/// Dowling and Gallier's linear Horn solver): a literal is definite in the round after its
/// last premise. Returns the last round.
fn definite(c: &mut Conclusions, uses: &Csr, proved: &mut [Option<(u32, u32)>]) -> u32 {
    let strict = |c: &Conclusions, i: usize| c.instances.kind[i] == RuleKind::Strict;
    let mut missing: Vec<u32> = (0..c.instances.len()).map(|i| c.body(i as u32).len() as u32).collect();
    let mut ready: Vec<u32> =
        (0..c.instances.len()).filter(|&i| strict(c, i) && missing[i] == 0).map(|i| i as u32).collect();
    let mut round = 0;
    while !ready.is_empty() {
        round += 1;
        let mut next = Vec::new();
        for i in ready {
            let a = c.instances.head[i as usize] as usize;
            if c.state[a][DELTA] {
                continue;
            }
            c.state[a][DELTA] = true;
            c.state[a][PLUS] = true;
            c.state[a][SUPPORT] = true;
            proved[a] = Some((round, i));
            for &j in uses.get(a) {
                missing[j as usize] -= 1;
                if missing[j as usize] == 0 && strict(c, j as usize) {
                    next.push(j);
                }
            }
        }
        ready = next;
    }
    round
}

/// Per instance, what its premises have reached so far (see the module's "Counting").
struct Counts {
    /// Premises not yet `+∂`.
    not_plus: Vec<u32>,
    /// Premises not yet `+Σ`.
    not_support: Vec<u32>,
    /// Whether some premise is `-∂`.
    minus: Vec<bool>,
    /// Whether some premise is `-Σ`.
    unsupported: Vec<bool>,
    /// Whether some premise is refuted.
    refuted: Vec<bool>,
}

impl Counts {
    /// The counts for the current state.
    fn new(c: &Conclusions) -> Counts {
        let n = c.instances.len();
        let mut k = Counts {
            not_plus: vec![0; n],
            not_support: vec![0; n],
            minus: vec![false; n],
            unsupported: vec![false; n],
            refuted: vec![false; n],
        };
        for i in 0..n {
            for &b in c.body(i as u32) {
                let s = c.state[b as usize];
                k.not_plus[i] += u32::from(!s[PLUS]);
                k.not_support[i] += u32::from(!s[SUPPORT]);
                k.minus[i] |= s[MINUS];
                k.unsupported[i] |= s[UNSUPPORTED];
                k.refuted[i] |= s[REFUTED];
            }
        }
        k
    }

    /// A premise of each of `instances` reached `which`.
    fn record(&mut self, instances: &[u32], which: usize) {
        for &i in instances {
            let i = i as usize;
            match which {
                PLUS => self.not_plus[i] -= 1,
                SUPPORT => self.not_support[i] -= 1,
                MINUS => self.minus[i] = true,
                UNSUPPORTED => self.unsupported[i] = true,
                REFUTED => self.refuted[i] = true,
                _ => {}
            }
        }
    }

    /// Whether every premise of instance `i` is `which` (`PLUS` or `SUPPORT`).
    fn all(&self, i: u32, which: usize) -> bool {
        match which {
            PLUS => self.not_plus[i as usize] == 0,
            _ => self.not_support[i as usize] == 0,
        }
    }

    /// Whether some premise of instance `i` is `which` (`MINUS`, `UNSUPPORTED`, `REFUTED`).
    fn any(&self, i: u32, which: usize) -> bool {
        match which {
            MINUS => self.minus[i as usize],
            UNSUPPORTED => self.unsupported[i as usize],
            _ => self.refuted[i as usize],
        }
    }
}

/// ∂ and Σ, round by round (see the module's "Rounds" and "Counting").
fn rounds(c: &mut Conclusions, uses: &Csr, proved: &mut [Option<(u32, u32)>], mut round: u32) {
    let n = c.len();
    let mut k = Counts::new(c);
    let mut todo: Vec<u32> = (0..n as u32).collect();
    let mut queued = vec![false; n];
    let mut new: Vec<(u32, usize, Option<u32>)> = Vec::new();
    while !todo.is_empty() {
        round += 1;
        for &a in &todo {
            queued[a as usize] = false;
            conclude(c, &k, a, &mut new);
        }
        todo.clear();
        for (a, which, r) in new.drain(..) {
            c.state[a as usize][which] = true;
            if let Some(r) = r {
                proved[a as usize] = Some((round, r));
            }
            k.record(uses.get(a as usize), which);
            // Its own other conditions may follow (+∂ gives +Σ through the rule it rests on).
            let mut visit = |t: u32| {
                if t != NONE && !std::mem::replace(&mut queued[t as usize], true) {
                    todo.push(t);
                }
            };
            visit(a);
            for &i in uses.get(a as usize) {
                let h = c.instances.head[i as usize];
                visit(h);
                visit(c.complement[h as usize]);
            }
        }
    }
}

/// What literal `a` newly reaches this round, by the state of the rounds before.
fn conclude(c: &Conclusions, k: &Counts, a: u32, new: &mut Vec<(u32, usize, Option<u32>)>) {
    let s = c.state[a as usize];
    if !s[PLUS]
        && let Some(r) = plus(c, k, a)
    {
        new.push((a, PLUS, Some(r)));
    }
    if !s[MINUS] && minus(c, k, a) {
        new.push((a, MINUS, None));
    }
    if !s[SUPPORT] && support(c, k, a) {
        new.push((a, SUPPORT, None));
    }
    if !s[UNSUPPORTED] && unsupported(c, k, a) {
        new.push((a, UNSUPPORTED, None));
    }
    if !s[REFUTED] && refuted(c, k, a) {
        new.push((a, REFUTED, None));
    }
}

fn concludes(c: &Conclusions, i: u32) -> bool {
    c.instances.kind[i as usize] != RuleKind::Defeater
}

fn complement_definite(c: &Conclusions, a: u32) -> bool {
    c.complement_of(a).is_some_and(|k| c.state[k as usize][DELTA])
}

/// +∂a: the applicable instance it rests on, when every attack is discarded or beaten.
fn plus(c: &Conclusions, k: &Counts, a: u32) -> Option<u32> {
    if complement_definite(c, a) {
        return None;
    }
    let rules = c.rules_for(a);
    let r = rules.iter().copied().find(|&r| concludes(c, r) && k.all(r, PLUS))?;
    let discarded = if c.policy == Policy::Blocking { MINUS } else { UNSUPPORTED };
    let ok = c
        .attackers(a)
        .iter()
        .all(|&s| k.any(s, discarded) || rules.iter().any(|&t| concludes(c, t) && k.all(t, PLUS) && c.beats(t, s)));
    ok.then_some(r)
}

/// -∂a.
fn minus(c: &Conclusions, k: &Counts, a: u32) -> bool {
    if c.state[a as usize][DELTA] {
        return false;
    }
    if complement_definite(c, a) {
        return true;
    }
    let rules = c.rules_for(a);
    if rules.iter().all(|&r| !concludes(c, r) || k.any(r, MINUS)) {
        return true;
    }
    let active = if c.policy == Policy::Blocking { PLUS } else { SUPPORT };
    c.attackers(a)
        .iter()
        .any(|&s| k.all(s, active) && rules.iter().all(|&t| !concludes(c, t) || k.any(t, MINUS) || !c.beats(t, s)))
}

/// Whether attack `s` defeats rule `r` outright: `s` is superior, or `s` is a defeater that
/// `r` is not superior to (a defeater supports nothing, so it leaves no tie behind: what it
/// stops is not provable, not ambiguous).
fn defeats(c: &Conclusions, s: u32, r: u32) -> bool {
    c.beats(s, r) || (!concludes(c, s) && !c.beats(r, s))
}

/// +Σa: an argument for `a` that no applicable superior attack defeats.
fn support(c: &Conclusions, k: &Counts, a: u32) -> bool {
    let attackers = c.attackers(a);
    c.rules_for(a)
        .iter()
        .any(|&r| concludes(c, r) && k.all(r, SUPPORT) && attackers.iter().all(|&s| k.any(s, MINUS) || !c.beats(s, r)))
}

/// -Σa: every argument for `a` lacks support or is defeated by an applicable superior attack.
fn unsupported(c: &Conclusions, k: &Counts, a: u32) -> bool {
    if c.state[a as usize][DELTA] {
        return false;
    }
    let attackers = c.attackers(a);
    c.rules_for(a).iter().all(|&r| {
        !concludes(c, r) || k.any(r, UNSUPPORTED) || attackers.iter().any(|&s| k.all(s, PLUS) && c.beats(s, r))
    })
}

/// Refuted (the `not` status): -Σ, except that an applicable defeater the rule is not
/// superior to defeats it outright.
fn refuted(c: &Conclusions, k: &Counts, a: u32) -> bool {
    if c.state[a as usize][DELTA] {
        return false;
    }
    let attackers = c.attackers(a);
    c.rules_for(a).iter().all(|&r| {
        !concludes(c, r) || k.any(r, REFUTED) || attackers.iter().any(|&s| k.all(s, PLUS) && defeats(c, s, r))
    })
}
