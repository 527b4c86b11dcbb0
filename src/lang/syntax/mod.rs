//! Parsing rule files: text → [`ast::File`] plus syntax diagnostics.

pub mod ast;
mod lexer;
mod parser;
pub mod preprocess;

pub(crate) use lexer::continued as directive_continues;
pub use parser::{parse_expanded, parse_file};
