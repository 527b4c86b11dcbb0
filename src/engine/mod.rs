//! Evaluation: join plans (`plan`), indices over complete relations (`index`), and the
//! semi-naive fixpoint on datafrog (`eval`), which produces the `Model`; behind the engine
//! boundary (`backend`) beside it, a plain reference evaluator (`simple`).

pub mod backend;
pub mod eval;
pub mod index;
pub mod plan;
pub mod simple;
