//! Proofs: rebuilt on demand from the evaluation's record (`provenance`), shown to people and
//! programs (`explain`), graded by their best proof (`grades`; a few tuples over their
//! derivation `cone` only), the patterns people type and
//! the one matcher for them (`pattern`), and the claims a reviewer writes in files (`claims`).

pub mod changed;
pub mod claims;
pub mod cone;
pub mod defeasible;
pub mod explain;
pub mod grade_join;
pub mod grades;
pub mod pattern;
pub mod provenance;
pub mod timeline;
