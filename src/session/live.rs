//! A dd dataflow kept alive across re-evaluations of a project (`stance watch --engine dd`):
//! while the rules stay the same, each new load's input tuples are compared with the last
//! ones and only the differences go into the dataflow, which recomputes only their
//! consequences (`engine::dd::Session::apply`). A change to the rules (or a program that
//! calls `ord`, whose numbers depend on every string loaded) starts a new dataflow.
//!
//! Every load has its own symbol table, so the live dataflow keeps one of its own: input
//! strings are interned there on the way in, and the model's strings into the project's table
//! on the way out.

use super::{ExitStatus, Failure, Project, input_tuples};
use crate::base::value::{Symbols, Tuples, Type, Value};
use crate::engine::dd::{Change, Session};
use crate::engine::eval::{EvalOptions, Model};
use crate::lang::ir;
use std::collections::BTreeSet;

/// The live dataflow, if one has run.
#[derive(Default)]
pub struct Live {
    state: Option<State>,
}

struct State {
    /// The rules the dataflow was built from.
    fingerprint: String,
    session: Session,
    /// Each relation's input tuples, in the dataflow's symbol ids.
    inputs: Vec<BTreeSet<Vec<Value>>>,
}

impl Live {
    /// The project's model: by updating the live dataflow's inputs when the rules have not
    /// changed since the last call, else by building a new dataflow.
    pub fn evaluate(&mut self, project: &mut Project, options: &EvalOptions) -> Result<Model, Failure> {
        let fail = |d| Failure::new(vec![d], ExitStatus::Failed);
        let program = &project.program;
        let fingerprint = format!("{:?}|{:?}|{:?}", program.relations, program.rules, program.strata);
        let uses_ord = program.rules.iter().any(|r| r.calls(&|f| f.def().name == "ord"));
        let reuse = self.state.as_ref().is_some_and(|s| s.fingerprint == fingerprint) && !uses_ord;
        let inputs = input_tuples(program, &project.facts);
        if !reuse {
            if let Some(old) = self.state.take() {
                old.session.finish();
            }
            let mut table = project.symbols.clone();
            let sets = inputs.iter().map(|t| t.iter().map(<[Value]>::to_vec).collect()).collect();
            let session = Session::start(program, inputs, &mut table, options, true).map_err(fail)?;
            self.state = Some(State { fingerprint, session, inputs: sets });
        } else if let Some(state) = &mut self.state {
            let changes = state.changes(program, &inputs, &project.symbols);
            state.session.set_limits(options);
            if let Err(d) = state.session.apply(changes) {
                self.state = None;
                return Err(fail(d));
            }
        }
        let state = self.state.as_ref().expect("started above");
        let relations = state.session.model(program);
        let live = state.session.symbols();
        let relations = relations
            .iter()
            .zip(&program.relations)
            .map(|(t, decl)| sorted(translate(t.iter(), &decl.types, &live, &mut project.symbols)))
            .collect();
        Ok(Model::from_evaluator(program, relations, None))
    }
}

impl super::reeval::Evaluator for Live {
    fn apply(
        &mut self,
        _: &super::reeval::Run,
        project: &mut Project,
        options: &EvalOptions,
        _: &[usize],
    ) -> Result<super::reeval::Output, Failure> {
        Ok(super::reeval::Output { model: self.evaluate(project, options)?, delta: None })
    }
}

impl State {
    /// The input changes from the last load to `inputs` (in `symbols`' ids), which become
    /// the last load.
    fn changes(&mut self, program: &ir::Program, inputs: &[Tuples], symbols: &Symbols) -> Vec<Change> {
        let mut live = self.session.symbols();
        let mut changes = Vec::new();
        for (rel, tuples) in inputs.iter().enumerate() {
            let types = &program.relations[rel].types;
            let translated = translate(tuples.iter(), types, symbols, &mut live);
            let now: BTreeSet<Vec<Value>> = translated.iter().map(<[Value]>::to_vec).collect();
            let before = &self.inputs[rel];
            changes.extend(now.difference(before).map(|row| (rel, row.clone(), 1)));
            changes.extend(before.difference(&now).map(|row| (rel, row.clone(), -1)));
            self.inputs[rel] = now;
        }
        changes
    }
}

/// The tuples sorted (a model's relations are; their order changes with the ids).
fn sorted(tuples: Tuples) -> Tuples {
    let mut rows: Vec<&[Value]> = tuples.iter().collect();
    rows.sort_unstable();
    let mut out = Tuples::new(tuples.arity);
    rows.into_iter().for_each(|r| out.push(r));
    out
}

/// Rows of one relation with their strings moved from one symbol table to another.
fn translate<'r>(rows: impl Iterator<Item = &'r [Value]>, types: &[Type], from: &Symbols, to: &mut Symbols) -> Tuples {
    let mut out = Tuples::new(types.len());
    let mut row = Vec::with_capacity(types.len());
    for r in rows {
        row.clear();
        row.extend(r.iter().zip(types).map(|(&v, &t)| match t {
            Type::Symbol => to.intern(from.resolve(v)),
            // Numbers of every kind are their bits; record types never reach here (the dd
            // engine refuses them before it starts).
            _ => v,
        }));
        out.push(&row);
    }
    out
}
