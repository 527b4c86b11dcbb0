//! Patterns typed by people: `aligned("Egypt", x)` on the command line (`query`, `explain`,
//! `why-not`) or in a claims file (`review`). A pattern is an atom whose arguments are
//! constants, variables or `_`; it is resolved against the program (relation, arity, column
//! types) without interning anything, and matched against the model here, once, for every
//! command: a tuple matches when it has every constant and a repeated variable takes one value.

use crate::base::diag::{Code, Diagnostic, did_you_mean};
use crate::base::source::SourceMap;
use crate::base::value::{Symbols, Tuples, Type, Value};
use crate::lang::check::article;
use crate::lang::ir::{self, RelId};
use crate::lang::syntax::{self, ast};
use std::fmt::Write;

/// One argument of a claim or query pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimArg {
    /// A constant that occurs in some fact or rule.
    Value(Value),
    /// A constant that occurs in no fact or rule: nothing can match it.
    Unknown(String),
    /// A variable: matches anything, the same value wherever it repeats.
    Var(String),
    /// `_`: matches anything.
    Wildcard,
}

/// A resolved pattern (a claim when it is ground).
#[derive(Debug, Clone)]
pub struct Claim {
    /// The relation.
    pub rel: RelId,
    /// One argument per column.
    pub args: Vec<ClaimArg>,
    /// As written, on one line.
    pub text: String,
    /// Warnings about the pattern, such as a variable named like a known constant.
    pub warnings: Vec<Diagnostic>,
}

impl Claim {
    /// The tuple, when every argument is a known constant.
    pub fn tuple(&self) -> Option<Vec<Value>> {
        self.args.iter().map(|a| if let ClaimArg::Value(v) = a { Some(*v) } else { None }).collect()
    }

    /// Whether every argument is a constant (known or not): a claim about one tuple.
    pub fn is_ground(&self) -> bool {
        self.args.iter().all(|a| matches!(a, ClaimArg::Value(_) | ClaimArg::Unknown(_)))
    }

    /// The pattern to match tuples against (`None` for variables and wildcards), or `None`
    /// when a constant occurs nowhere, so that no tuple can match.
    pub fn pattern(&self) -> Option<Vec<Option<Value>>> {
        self.args
            .iter()
            .map(|a| match a {
                ClaimArg::Value(v) => Some(Some(*v)),
                ClaimArg::Unknown(_) => None,
                ClaimArg::Var(_) | ClaimArg::Wildcard => Some(None),
            })
            .collect()
    }

    /// Whether `tuple` matches: every constant equal, every repeated variable one value.
    pub fn matches(&self, tuple: &[Value]) -> bool {
        self.args.iter().zip(tuple).enumerate().all(|(i, (a, v))| match a {
            ClaimArg::Value(c) => c == v,
            ClaimArg::Unknown(_) => false,
            ClaimArg::Wildcard => true,
            ClaimArg::Var(name) => {
                self.args[..i].iter().zip(tuple).all(|(b, w)| !matches!(b, ClaimArg::Var(m) if m == name) || w == v)
            }
        })
    }

    /// Indices (into `tuples`, the claim's relation in the model) of the matching tuples,
    /// in storage order. A bound prefix is found by binary search.
    pub fn matching_rows(&self, tuples: &Tuples) -> Vec<usize> {
        let Some(pattern) = self.pattern() else { return Vec::new() };
        crate::proof::provenance::matches(tuples, &pattern).filter(|&i| self.matches(tuples.get(i))).collect()
    }

    /// The matching tuples in display order (by value, symbols by string).
    pub fn matching_tuples(&self, tuples: &Tuples, types: &[Type], symbols: &Symbols) -> Vec<Vec<Value>> {
        let mut subset = Tuples { arity: tuples.arity, data: Vec::new(), rows: 0 };
        for i in self.matching_rows(tuples) {
            subset.data.extend_from_slice(tuples.get(i));
            subset.rows += 1;
        }
        crate::base::order::display_order(&subset, types, symbols).into_iter().map(|i| subset.get(i).to_vec()).collect()
    }
}

/// Parses `aligned("Egypt", x)` against the program. Constants are looked up, never interned.
pub fn parse_claim(
    text: &str,
    sources: &mut SourceMap,
    program: &ir::Program,
    symbols: &Symbols,
) -> Result<Claim, Vec<Diagnostic>> {
    let trimmed = text.trim().trim_end_matches('.');
    let source = format!("{trimmed}.");
    let file = sources.add("<claim>", source.clone());
    let (ast, errors) = syntax::parse_file(file, &source);
    if !errors.is_empty() {
        return Err(errors);
    }
    let atom = match ast.items.as_slice() {
        [ast::Item::Rule(ast::Rule { heads, body: None, .. })] if heads.len() == 1 => &heads[0],
        _ => {
            return Err(vec![Diagnostic::error(
                Code::Syntax,
                format!("expected one atom such as `aligned(\"Egypt\", x)`, got `{trimmed}`"),
            )]);
        }
    };
    resolve_claim(atom, trimmed.to_string(), program, symbols)
}

/// Resolves a parsed atom against the program: its relation, arity and constant types.
pub fn resolve_claim(
    atom: &ast::Atom,
    text: String,
    program: &ir::Program,
    symbols: &Symbols,
) -> Result<Claim, Vec<Diagnostic>> {
    let Some(rel) = program.relation_id(&atom.relation.name).filter(|&r| !program.is_constraint(r)) else {
        let mut d = Diagnostic::error(Code::UnknownRelation, format!("unknown relation `{}`", atom.relation.name))
            .at(atom.relation.span, "no such relation");
        let visible = (0..program.relations.len()).filter(|&r| !program.is_constraint(r));
        if let Some(s) = did_you_mean(&atom.relation.name, visible.map(|r| program.relations[r].name.as_str())) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        return Err(vec![d]);
    };
    let decl = &program.relations[rel];
    if atom.args.len() != decl.arity() {
        return Err(vec![
            Diagnostic::error(
                Code::ArityMismatch,
                format!("`{}` has {} columns, but the claim gives {}", decl.name, decl.arity(), atom.args.len()),
            )
            .at(atom.span, "this claim"),
        ]);
    }
    let mut args = Vec::new();
    let mut warnings = Vec::new();
    for (arg, &ty) in atom.args.iter().zip(&decl.types) {
        let mismatch = |what: &str| {
            vec![
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("a {what} where `{}` has {} column", decl.name, article(ty)),
                )
                .at(arg.span(), format!("expected {}", article(ty))),
            ]
        };
        // `1`, `1.5`, `5u`, `-1.5`, typed by the column as in a fact.
        match crate::lang::check::literal_constant(arg, ty) {
            Some(Ok(v)) => {
                args.push(ClaimArg::Value(v));
                continue;
            }
            Some(Err(found)) => return Err(mismatch(found.name())),
            None => {}
        }
        args.push(match arg {
            ast::Expr::Var(name) => {
                // `aligned(x, Haftar)`: a variable matches everything, which is rarely what
                // a name spelled like a known constant means.
                if ty == Type::Symbol && symbols.get(&name.name).is_some() {
                    warnings.push(
                        Diagnostic::warning(
                            Code::VariableNamesConstant,
                            format!("`{}` is a variable: it matches every value, not the symbol", name.name),
                        )
                        .at(name.span, "a variable")
                        .with_help(format!("did you mean \"{}\"?", name.name)),
                    );
                }
                ClaimArg::Var(name.name.clone())
            }
            ast::Expr::Wildcard(_) => ClaimArg::Wildcard,

            ast::Expr::Str(s, _) if ty == Type::Symbol => match symbols.get(s) {
                Some(v) => ClaimArg::Value(v),
                None => ClaimArg::Unknown(s.clone()),
            },
            ast::Expr::Nil(_) if matches!(ty, Type::Record(_)) => ClaimArg::Value(crate::base::record::NIL),
            // Records are built during evaluation, after a claim is resolved (and goal-directed
            // evaluation starts from the claim), so a record constant cannot be looked up yet.
            ast::Expr::Record(..) if matches!(ty, Type::Record(_)) => {
                return Err(vec![
                    Diagnostic::error(Code::Unsupported, "a claim cannot name a record value (other than `nil`)")
                        .at(arg.span(), "a record constant")
                        .with_help("put a variable or `_` in its place: the matching tuples show their records"),
                ]);
            }
            ast::Expr::Number(..) => return Err(mismatch("number")),
            ast::Expr::Str(..) => return Err(mismatch("symbol")),
            ast::Expr::Record(..) | ast::Expr::Nil(_) => return Err(mismatch("record")),
            other => {
                return Err(vec![
                    Diagnostic::error(Code::Unsupported, "a claim takes constants, variables and `_` only")
                        .at(other.span(), "not allowed here"),
                ]);
            }
        });
    }
    Ok(Claim { rel, args, text, warnings })
}

/// Notes on constants of a claim that occur nowhere, with the closest known symbol.
pub fn unknown_constants(claim: &Claim, symbols: &Symbols) -> Vec<String> {
    let mut out = Vec::new();
    for a in &claim.args {
        if let ClaimArg::Unknown(s) = a {
            let mut note = format!("\"{s}\" does not occur in any fact or rule");
            if let Some(best) = did_you_mean(s, symbols.iter().map(|(_, t)| t)) {
                let _ = write!(note, "; did you mean \"{best}\"?");
            }
            out.push(note);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(args: Vec<ClaimArg>) -> Claim {
        Claim { rel: 0, args, text: String::new(), warnings: Vec::new() }
    }

    #[test]
    fn repeated_variables_take_one_value() {
        let c = claim(vec![ClaimArg::Var("x".into()), ClaimArg::Wildcard, ClaimArg::Var("x".into())]);
        assert!(c.matches(&[1, 2, 1]));
        assert!(!c.matches(&[1, 2, 3]));
        let c = claim(vec![ClaimArg::Value(7), ClaimArg::Var("y".into())]);
        assert!(c.matches(&[7, 1]) && !c.matches(&[8, 1]));
        assert!(!claim(vec![ClaimArg::Unknown("z".into())]).matches(&[1]));
        assert!(claim(vec![ClaimArg::Unknown("z".into()), ClaimArg::Value(1)]).is_ground());
        assert!(!c.is_ground());
    }
}
