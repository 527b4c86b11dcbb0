//! stance: infers stances and alliances from sourced facts with Datalog rules, and keeps the
//! proof of every derived claim.
//!
//! The pipeline, one module per stage:
//! `source` (files) → `syntax` (parse) → `check` (resolve, type, stratify → `ir`) →
//! `facts` (load CSV) → `plan` (join plans) → `eval` (datafrog fixpoint) → `output` (render).
//! `driver` runs the stages in order for the CLI and for library users.

pub mod check;
pub mod confine;
pub mod diag;
pub mod driver;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod fmt;
pub mod interrupt;
pub mod ir;
pub mod lint;
pub mod output;
pub mod plan;
pub mod provenance;
pub mod quotes;
pub mod source;
pub mod syntax;
pub mod untrusted;
pub mod value;
pub mod watch;

pub use driver::eval_text;
