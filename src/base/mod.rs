//! Shared vocabulary of every stage: source files and spans, values and their interning,
//! diagnostics (one table of codes), exit statuses, and interruption.

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
