//! Parsing rule files: text → [`ast::File`] plus syntax diagnostics.

pub mod ast;
mod lexer;
mod parser;

pub use parser::parse_file;
