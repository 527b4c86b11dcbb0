//! Proofs: rebuilt on demand from the evaluation's record (`provenance`), shown to people and
//! programs (`explain`), graded by their best proof (`grades`), and the claims a reviewer types or writes in files (`claims`).

pub mod claims;
pub mod explain;
pub mod grades;
pub mod provenance;
