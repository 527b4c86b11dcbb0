//! stance: infers stances and alliances from sourced facts with Datalog rules, and keeps the
//! proof of every derived claim.
//!
//! The pipeline, one module per stage:
//! `source` (files) → `syntax` (parse) → `check` (resolve, type, stratify → `ir`) →
//! `facts` (load CSV) → `plan` (join plans) → `eval` (datafrog fixpoint) → `output` (render).

pub mod check;
pub mod diag;
pub mod facts;
pub mod ir;
pub mod source;
pub mod syntax;
pub mod value;
