//! Analysis of a model for review: constraint violations (`constraints`), claim verdicts
//! (`verdicts`), and the files of a git revision (`revision`, read by `session::diff`).

pub mod constraints;
pub mod revision;
pub mod verdicts;
