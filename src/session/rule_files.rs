//! Reading rule files and the files they `#include`: each read once, confined to its rules
//! directory, preprocessed (`lang::syntax::preprocess`) and parsed.

use super::cache::LoadCache;
use super::{Failure, Overlay, Refused, display_path, lossy, read_overlaid};
use crate::base::diag::{Code, Diagnostic};
use crate::base::source::{FileId, SourceMap, Span};
use crate::facts::confine::{self, Place};
use crate::lang::syntax::preprocess::{self, Include, Macros};
use crate::lang::syntax::{self, ast};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How deep `#include`s may nest (a file including itself is read once, so only a chain
/// of distinct files reaches this).
const MAX_INCLUDE_DEPTH: usize = 64;

/// Reads rule files into `sources`, collecting their trees and diagnostics.
pub(super) struct RuleReader<'a> {
    pub overlay: &'a Overlay,
    pub sources: &'a mut SourceMap,
    pub read: &'a mut Vec<confine::Identity>,
    pub cache: Option<&'a mut LoadCache>,
    /// Files read so far, with the macros each leaves defined (for a later `#include` of it).
    done: HashMap<PathBuf, Macros>,
    /// The file being read and the directory its includes must stay in, innermost last.
    stack: Vec<(PathBuf, PathBuf)>,
    /// The parsed files, in the order they were read.
    pub files: Vec<ast::File>,
    pub diags: Vec<Diagnostic>,
}

impl<'a> RuleReader<'a> {
    pub fn new(
        overlay: &'a Overlay,
        sources: &'a mut SourceMap,
        read: &'a mut Vec<confine::Identity>,
        cache: Option<&'a mut LoadCache>,
    ) -> Self {
        RuleReader {
            overlay,
            sources,
            read,
            cache,
            done: HashMap::new(),
            stack: Vec::new(),
            files: Vec::new(),
            diags: Vec::new(),
        }
    }

    /// Reads the rule file `file` named on the command line (or found in its rules
    /// directory `dir`), unless an `#include` read it already.
    pub fn top_level(&mut self, file: &Path, dir: Option<&Path>) -> Result<(), Failure> {
        if self.done.contains_key(file) {
            return Ok(());
        }
        let bytes = match read_overlaid(self.overlay, file, dir, self.read) {
            Ok(bytes) => bytes,
            Err(Refused::Failure(f)) => return Err(f),
            Err(Refused::Outside(target)) => {
                self.diags.push(confine::listed_file(file, &target, Place::Rules));
                return Ok(());
            }
        };
        // Includes stay inside the rules directory, or the directory of a file named alone.
        let root = match dir {
            Some(d) => d.to_path_buf(),
            None => file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf(),
        };
        self.file(file, root, lossy(bytes), &mut Macros::default());
        Ok(())
    }

    /// Preprocesses and parses one file's `text`, with `macros` defined before it.
    fn file(&mut self, path: &Path, root: PathBuf, text: String, macros: &mut Macros) {
        let id = self.sources.add(display_path(path), text);
        let before = macros.clone();
        self.stack.push((path.to_path_buf(), root));
        self.done.insert(path.to_path_buf(), Macros::default());
        let raw = self.sources.get(id).text.clone();
        let expanded = preprocess::expand(id, &raw, macros, self);
        self.stack.pop();
        self.diags.extend(expanded.diags);
        if let Some(text) = expanded.text {
            self.sources.set_text(id, text);
        }
        self.done.insert(path.to_path_buf(), macros.defined_since(&before));
        let text = &self.sources.get(id).text;
        let (tree, errors) = match self.cache.as_deref_mut() {
            Some(c) => c.parse(path, id, text),
            None => syntax::parse_expanded(id, text),
        };
        self.diags.extend(errors);
        self.files.push(tree);
    }
}

impl Include for RuleReader<'_> {
    fn include(&mut self, written: &str, span: Span, macros: &mut Macros) -> Vec<Diagnostic> {
        let cannot = |why: String| {
            vec![
                Diagnostic::error(Code::Preprocessor, format!("cannot include `{written}`: {why}"))
                    .at(span, "included here"),
            ]
        };
        let Some((including, root)) = self.stack.last().cloned() else { return cannot("no file is being read".into()) };
        let written_path = Path::new(written);
        if written_path.is_absolute() {
            return cannot("an included file is named relative to the including file".into());
        }
        let path = including.parent().unwrap_or(Path::new("")).join(written_path);
        if let Some(defined) = self.done.get(&path) {
            // Read already (or being read: a cycle): as behind an include guard.
            macros.extend(defined);
            return Vec::new();
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return cannot(format!("includes nest more than {MAX_INCLUDE_DEPTH} deep"));
        }
        let bytes = match read_overlaid(self.overlay, &path, Some(&root), self.read) {
            Ok(bytes) => bytes,
            Err(Refused::Outside(target)) => {
                return vec![confine::directive_file(None, &path, &target, Place::Rules, span, self.sources)];
            }
            Err(Refused::Failure(f)) => {
                let why = f.diagnostics.first().map_or_else(|| "cannot read it".to_string(), |d| d.message.clone());
                return cannot(why);
            }
        };
        self.file(&path, root, lossy(bytes), macros);
        Vec::new()
    }
}

/// The program in `text` (standard input, a test) preprocessed without includes and parsed.
pub fn parse_text(id: FileId, sources: &mut SourceMap) -> (ast::File, Vec<Diagnostic>) {
    let raw = sources.get(id).text.clone();
    let expanded = preprocess::expand(id, &raw, &mut Macros::default(), &mut preprocess::NoIncludes);
    if let Some(text) = expanded.text {
        sources.set_text(id, text);
    }
    let (tree, mut diags) = syntax::parse_expanded(id, &sources.get(id).text);
    diags.extend(expanded.diags);
    (tree, diags)
}
