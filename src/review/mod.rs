//! Analysis of a model for review: constraint violations (`constraints`), claim verdicts
//! (`verdicts`), and what changed between two versions (`diff`, reading git revisions with
//! `revision`).

pub mod constraints;
pub mod diff;
pub mod revision;
pub mod verdicts;
