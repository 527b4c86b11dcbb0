//! Analysis of a model for review: constraint violations (`constraints`), conflicts between
//! a relation and its denials (`conflicts`), claim verdicts
//! (`verdicts`), and the files of a git revision (`revision`, read by `session::diff`).

pub mod conflicts;
pub mod constraints;
pub mod revision;
pub mod verdicts;
