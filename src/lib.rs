//! stance: infers stances and alliances from sourced facts with Datalog rules, and keeps the
//! proof of every derived claim.
//!
//! The pipeline, one module per stage:
//! `source` (files) → `syntax` (parse) → `check` (resolve, type, stratify → `ir`) →
//! `facts` (load CSV) → `plan` (join plans) → `eval` (datafrog fixpoint) → `output` (render).
//! `driver` runs the stages in order for the CLI and for library users. `network` turns a
//! model into actors and edges, drawn by `graph` (DOT/SVG) and `report` (HTML, `layout`).
//!
//! Around the pipeline: `provenance` rebuilds proofs and `explain` shows them; `constraints`
//! finds the violations of `:- body.` constraints; `claims` reads claims files and `review`
//! gives each claim a verdict (`claim_files` reads them for the commands); `report_findings`
//! turns violations and verdicts into what `graph` and `report` show; `lint`, `fmt` and
//! `watch` serve the commands of those names.

pub mod check;
pub mod claim_files;
pub mod claims;
pub mod confine;
pub mod constraints;
pub mod csv_scan;
pub mod diag;
pub mod driver;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod fmt;
pub mod graph;
pub mod index;
pub mod interrupt;
pub mod ir;
pub mod layout;
pub mod limits;
pub mod lint;
pub mod network;
pub mod output;
pub mod plan;
pub mod provenance;
pub mod quotes;
pub mod report;
pub mod report_findings;
pub mod review;
pub mod source;
pub mod syntax;
pub mod untrusted;
pub mod value;
pub mod watch;

// Comparing versions: `diff` of two evaluated versions (directories, git revisions read by
// `revision`, or dates: `asof` filters statements for `--as-of`).
pub mod asof;
pub mod diff;
pub mod revision;

pub use driver::eval_text;
