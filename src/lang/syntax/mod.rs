//! Parsing rule files: text → [`ast::File`] plus syntax diagnostics.

pub mod ast;
mod lexer;
mod parser;
pub mod preprocess;

pub use parser::{parse_expanded, parse_file};
