//! Rendering derived relations for people and programs: tables, CSV, JSON, and Soufflé-style
//! output files.

pub mod atomic;
pub mod output;
pub mod proofs;
