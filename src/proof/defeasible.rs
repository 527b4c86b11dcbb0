//! Defeasible conclusions for people: every literal of a defeasible theory with its status
//! (`stance conclusions`), and, for `explain` and `why-not`, the attacks on a conclusion
//! with what became of each (see `engine::defeasible`).

use crate::base::order::display_order;
use crate::base::source::SourceMap;
use crate::base::value::{Symbols, Tuples, value_json};
use crate::engine::defeasible::{Conclusions, Outcome, Source, Status};
use crate::facts::load::Facts;
use crate::lang::ir::{self, RelId};
use crate::proof::provenance::{Explainer, atom_text};
use serde_json::{Value as Json, json};
use std::fmt::Write;

/// Every literal of the theory as (relation, tuple index in a per-relation table, status),
/// by relation name and then in display order.
pub fn listing(program: &ir::Program, c: &Conclusions, symbols: &Symbols) -> Vec<(RelId, Vec<u32>, Status)> {
    let mut per_rel: Vec<Vec<u32>> = vec![Vec::new(); program.relations.len()];
    for a in 0..c.len() as u32 {
        per_rel[c.literal(a).0].push(a);
    }
    let mut rels: Vec<RelId> = (0..program.relations.len()).filter(|&r| !per_rel[r].is_empty()).collect();
    rels.sort_by(|&a, &b| program.relations[a].name.cmp(&program.relations[b].name));
    let mut out = Vec::new();
    for rel in rels {
        let mut tuples = Tuples::new(program.relations[rel].arity());
        for &a in &per_rel[rel] {
            tuples.push(c.literal(a).1);
        }
        for i in display_order(&tuples, &program.relations[rel].types, symbols) {
            let a = per_rel[rel][i];
            out.push((rel, c.literal(a).1.to_vec(), c.status[a as usize]));
        }
    }
    out
}

/// `stance conclusions` as text: one line per literal, `status  atom`.
pub fn render_text(program: &ir::Program, c: &Conclusions, symbols: &Symbols) -> String {
    let mut out = String::new();
    for (rel, tuple, status) in listing(program, c, symbols) {
        let _ = writeln!(out, "{:<11} {}", status.name(), atom_text(program, rel, &tuple, symbols));
    }
    out
}

/// `stance conclusions --format json`: `{"policy", "conclusions": [{relation, tuple, status}]}`.
pub fn render_json(program: &ir::Program, c: &Conclusions, symbols: &Symbols) -> Json {
    let list: Vec<Json> = listing(program, c, symbols)
        .into_iter()
        .map(|(rel, tuple, status)| {
            let types = &program.relations[rel].types;
            let values: Vec<Json> = tuple.iter().zip(types).map(|(&v, &t)| value_json(v, t, symbols)).collect();
            json!({"relation": program.relations[rel].name, "tuple": values, "status": status.name()})
        })
        .collect();
    json!({"policy": c.policy.name(), "conclusions": list})
}

/// The attacks on a tuple of a defeasible model and their fates (see [`attacks_text`]);
/// `None` for a model of strict rules or a tuple the theory does not have.
pub fn attacks(ex: &Explainer, rel: RelId, tuple: &[crate::base::value::Value]) -> Option<String> {
    let c = ex.model.defeasible.as_deref()?;
    let a = c.atom(rel, tuple)?;
    Some(attacks_text(ex.program, c, a, ex.symbols, ex.facts, ex.sources))
}

/// `why-not` of a literal of a defeasible theory that is not proved: its attacks (see
/// [`attacks_text`]), then each argument for it and the first premise it lacks. `None` for
/// a model of strict rules, a tuple the theory does not have, or one that is proved.
pub fn why_not(ex: &Explainer, rel: RelId, tuple: &[crate::base::value::Value]) -> Option<String> {
    let c = ex.model.defeasible.as_deref()?;
    let a = c.atom(rel, tuple)?;
    if matches!(c.status[a as usize], Status::Definite | Status::Defeasible) {
        return None;
    }
    let mut out = attacks_text(ex.program, c, a, ex.symbols, ex.facts, ex.sources);
    for &r in c.rules_for(a) {
        let by = instance_text(ex.program, c, r, ex.facts, ex.sources);
        let inst = c.instance(r);
        let missing =
            inst.body.iter().find(|&&b| !matches!(c.status[b as usize], Status::Definite | Status::Defeasible));
        let state = match (inst.kind, missing) {
            (crate::lang::syntax::ast::RuleKind::Defeater, _) => "a defeater: it concludes nothing".to_string(),
            (_, Some(&b)) => {
                let (brel, btuple) = c.literal(b);
                format!(
                    "its premise {} is {}",
                    atom_text(ex.program, brel, btuple, ex.symbols),
                    c.status[b as usize].name()
                )
            }
            (_, None) => "its premises are proved".to_string(),
        };
        let _ = writeln!(out, "   argument: by {by}\n      {state}");
    }
    Some(out)
}

/// What stands for instance `i`: `rule @r2 at rules/x.dl:4`, `statement facts/s.csv:3 [A2]`.
pub fn instance_text(program: &ir::Program, c: &Conclusions, i: u32, facts: &Facts, sources: &SourceMap) -> String {
    match c.instance(i).source {
        Source::Rule(r) => {
            let name = program.defeasible.name(r).map(|n| format!("@{n} ")).unwrap_or_default();
            format!("rule {name}at {}", sources.file_line(program.rules[r].span))
        }
        Source::Row(k) => {
            let row = &c.rows[k];
            let grade = row.grade.map(|g| format!(" [{g}]")).unwrap_or_default();
            let date = row.date.as_ref().map(|d| format!(" dated {d}")).unwrap_or_default();
            format!("statement {}{grade}{date}", facts.location(row.fact, sources))
        }
        Source::Input => "a given fact".to_string(),
    }
}

/// One attack on a literal (an instance concluding its complement) and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attack {
    /// The complement it concludes, as text.
    pub conclusion: String,
    /// The rule or statement it is, as [`instance_text`] writes it.
    pub by: String,
    /// What became of it.
    pub fate: Fate,
}

/// What became of an [`Attack`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// A premise is not proved: the premise and its status.
    Blocked(String, Status),
    /// A superior rule or statement for the literal beats it.
    Defeated(String),
    /// It stands and is superior to these arguments for the literal.
    Wins(Vec<String>),
    /// It stands, and neither side is superior.
    Stands,
}

impl Fate {
    /// The outcome in one word: `blocked`, `defeated`, `wins`, `stands`.
    pub fn name(&self) -> &'static str {
        match self {
            Fate::Blocked(..) => "blocked",
            Fate::Defeated(_) => "defeated",
            Fate::Wins(_) => "wins",
            Fate::Stands => "stands",
        }
    }

    /// Why, as the text output says it.
    pub fn reason(&self) -> String {
        match self {
            Fate::Blocked(premise, status) => format!("blocked: its premise {premise} is {}", status.name()),
            Fate::Defeated(by) => format!("defeated by the superior {by}"),
            Fate::Wins(over) => format!("wins: superior to the {}", over.join(" and the ")),
            Fate::Stands => "stands: neither side is superior to the other".to_string(),
        }
    }
}

/// The attacks on literal `a`, in the theory's order, with their fates.
pub fn attack_list(
    program: &ir::Program,
    c: &Conclusions,
    a: u32,
    symbols: &Symbols,
    facts: &Facts,
    sources: &SourceMap,
) -> Vec<Attack> {
    let literal = |x: u32| {
        let (rel, tuple) = c.literal(x);
        atom_text(program, rel, tuple, symbols)
    };
    c.attackers(a)
        .iter()
        .map(|&s| {
            let fate = match c.outcome(a, s) {
                Outcome::Blocked(b) => Fate::Blocked(literal(b), c.status[b as usize]),
                Outcome::Defeated(t) => Fate::Defeated(instance_text(program, c, t, facts, sources)),
                Outcome::Stands => {
                    let beaten: Vec<String> = c
                        .rules_for(a)
                        .iter()
                        .filter(|&&r| c.beats(s, r))
                        .map(|&r| instance_text(program, c, r, facts, sources))
                        .collect();
                    if beaten.is_empty() { Fate::Stands } else { Fate::Wins(beaten) }
                }
            };
            let conclusion = literal(c.instance(s).head);
            Attack { conclusion, by: instance_text(program, c, s, facts, sources), fate }
        })
        .collect()
}

/// The complement of `a` when it holds definitely (which refutes `a` outright), as text.
fn definite_complement(program: &ir::Program, c: &Conclusions, a: u32, symbols: &Symbols) -> Option<String> {
    let k = c.complement_of(a).filter(|&k| c.status[k as usize] == Status::Definite)?;
    let (krel, ktuple) = c.literal(k);
    Some(atom_text(program, krel, ktuple, symbols))
}

/// The attacks on literal `a` (instances concluding its complement), one line each with
/// what became of it: blocked (by which premise), defeated (by which superior), or standing.
pub fn attacks_text(
    program: &ir::Program,
    c: &Conclusions,
    a: u32,
    symbols: &Symbols,
    facts: &Facts,
    sources: &SourceMap,
) -> String {
    let mut out = String::new();
    let (rel, tuple) = c.literal(a);
    let _ = writeln!(out, "{}: {}", atom_text(program, rel, tuple, symbols), c.status[a as usize].name());
    if let Some(k) = definite_complement(program, c, a, symbols) {
        let _ = writeln!(out, "   its complement {k} holds definitely");
    }
    for attack in attack_list(program, c, a, symbols, facts, sources) {
        let _ = writeln!(out, "   attack: {} by {}\n      {}", attack.conclusion, attack.by, attack.fate.reason());
    }
    out
}

/// The attacks on a tuple of a defeasible model as JSON, for `explain --format json`:
/// `{"status", "complement_definite", "attacks": [{"conclusion", "by", "outcome", "reason",
/// ...}]}`, where a blocked attack adds `"premise"` and `"premise_status"`, a defeated one
/// `"defeated_by"`, a winning one `"superior_to"` (a list). `None` as [`attacks`].
pub fn attacks_json(ex: &Explainer, rel: RelId, tuple: &[crate::base::value::Value]) -> Option<Json> {
    let c = ex.model.defeasible.as_deref()?;
    let a = c.atom(rel, tuple)?;
    let attacks: Vec<Json> = attack_list(ex.program, c, a, ex.symbols, ex.facts, ex.sources)
        .into_iter()
        .map(|attack| {
            let mut j = json!({
                "conclusion": attack.conclusion,
                "by": attack.by,
                "outcome": attack.fate.name(),
                "reason": attack.fate.reason(),
            });
            match &attack.fate {
                Fate::Blocked(premise, status) => {
                    j["premise"] = json!(premise);
                    j["premise_status"] = json!(status.name());
                }
                Fate::Defeated(by) => j["defeated_by"] = json!(by),
                Fate::Wins(over) => j["superior_to"] = json!(over),
                Fate::Stands => {}
            }
            j
        })
        .collect();
    Some(json!({
        "status": c.status[a as usize].name(),
        "complement_definite": definite_complement(ex.program, c, a, ex.symbols),
        "attacks": attacks,
    }))
}
