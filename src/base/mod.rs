//! Shared vocabulary of every stage: source files and spans, values and their interning,
//! diagnostics (one table of codes), exit statuses, interruption, and the common prefix and
//! suffix of two long slices (`common`).

pub mod common;
pub mod diag;
pub mod exit;
pub mod interrupt;
pub mod markup;
pub mod order;
pub mod record;
pub mod source;
pub mod stamp;
pub mod terminal;
pub mod value;
