//! Evaluation: join plans (`plan`), indices over complete relations (`index`), and the
//! semi-naive fixpoint on datafrog (`eval`), which produces the `Model`.

pub mod eval;
pub mod index;
pub mod plan;
