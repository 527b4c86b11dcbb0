//! Shared vocabulary of every stage: source files and spans, values and their interning,
//! diagnostics (one table of codes), and interruption.

pub mod diag;
pub mod interrupt;
pub mod source;
pub mod terminal;
pub mod value;
