//! The rule language: text → syntax tree (`syntax`) → checked program (`check` → `ir`), and
//! the tools that read rule files without evaluating them (`lint`, `fmt`).

pub mod check;
pub mod fmt;
pub mod ir;
pub mod lint;
pub mod syntax;
