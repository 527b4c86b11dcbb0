//! Evaluation: join plans (`plan`), indices over complete relations (`index`), and the
//! semi-naive fixpoint on datafrog (`eval`), which produces the `Model`; behind the engine
//! boundary (`backend`) beside it, a plain reference evaluator (`simple`); and the limits
//! that hold while a run goes on (`limits`: deadline, tuple cap, memory budget, cancel); and
//! `dd`, the same language on differential dataflow (threads, processes, live updates).

pub mod backend;
pub mod dd;
pub mod defeasible;
pub mod eqrel;
pub mod eval;
pub mod index;
pub mod limits;
pub mod parallel;
pub mod plan;
pub mod profile;
pub mod progress;
pub mod select;
pub mod simple;
pub mod stratified;
pub mod temporal;
