//! stance: infers stances and alliances from sourced facts with Datalog rules, and keeps the
//! proof of every derived claim.
//!
//! The pipeline, one folder per stage, each importing only from the stages before it
//! (`tests/architecture.rs` checks this):
//!
//! - `base`: source map, values and symbols, diagnostics, interruption;
//! - `lang`: rule files parsed (`syntax`), checked into the `ir` (`check`), linted, formatted;
//! - `facts`: CSV statement and relation tables loaded, filtered `--as-of`, paths confined;
//! - `engine`: join plans and the datafrog fixpoint that produces the model;
//! - `proof`: proofs rebuilt from the evaluation's record, explained, claims parsed;
//! - `review`: constraint violations, claim verdicts, diffs between versions;
//! - `render`: relations as tables, CSV, JSON and output files;
//! - `picture`: the stance network, its Graphviz drawing and the HTML report;
//! - `session`: runs the stages in order for the CLI and for library users, and serves
//!   `watch` and the fuzz entry points;
//! - `lsp`: the language server (`stance lsp`), on top of the session.

#![warn(missing_docs)]
#![warn(clippy::too_many_lines)]

pub mod base;
pub mod engine;
pub mod facts;
pub mod lang;
pub mod lsp;
pub mod picture;
pub mod proof;
pub mod render;
pub mod review;
pub mod session;

pub use session::eval_text;
