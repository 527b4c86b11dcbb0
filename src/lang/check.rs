//! From syntax to a checked program: resolve names and types, expand disjunctions and
//! multi-head rules, order each body so every literal's inputs are bound before it runs
//! (reporting the variables nothing binds), and stratify negation and aggregation.

use crate::base::diag::{Code, Diagnostic, Edit, Fix, did_you_mean};
use crate::base::record::{NIL, RecordType};
use crate::base::source::Span;
use crate::base::value::{
    Symbols, Type, Value, from_float, from_number, from_unsigned, parse_float, parse_unsigned, to_number,
};
use crate::lang::functors::{self, Functor};
use crate::lang::ir::{self, Arg, Expr, IoSpec, Lit, RelId, VarId};
use crate::lang::syntax::ast::{self, AggregateFunc, BinaryOp, CompareOp, DirectiveKind, Item, ParamValue};
use itertools::Itertools;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Bodies with more disjuncts than this after expansion are refused rather than exploding.
const MAX_DISJUNCTS: usize = 4096;

/// Checks every parsed file together. `statement_relations` are the relation names found in
/// statement tables (binary symbol relations that need no `.decl`), with where they came from.
pub fn check(
    files: &[ast::File],
    statement_relations: &BTreeSet<String>,
    symbols: &mut Symbols,
) -> (ir::Program, Vec<Diagnostic>) {
    // Components are expanded into a flat program first (`inst.rel` relations).
    let expanded = crate::lang::components::expand(files);
    let (files, diags) = match expanded {
        Some((ref flat, ref diags)) => (flat.as_slice(), diags.clone()),
        None => (files, Vec::new()),
    };
    let mut c = Checker {
        program: ir::Program::default(),
        diags,
        types: BTreeMap::new(),
        symbols,
        suggestions: HashMap::new(),
        branches: HashMap::new(),
        comparisons_left: SUGGESTION_BUDGET,
        rule_span: None,
    };
    c.collect_types(files);
    c.collect_declarations(files, statement_relations);
    c.collect_directives(files);
    c.collect_pragmas(files);
    for file in files {
        for item in &file.items {
            if let Item::Rule(rule) = item {
                c.lower_rule(rule);
            }
        }
    }
    for (name, rules) in c.eqrel_rules(files) {
        let first = c.program.rules.len();
        for rule in &rules {
            c.lower_rule(rule);
        }
        if let Some(rel) = c.program.relation_id(&name)
            && c.program.rules.len() == first + 3
        {
            c.program.eqrel.push(ir::EqRel { rel, rules: [first, first + 1, first + 2] });
        }
    }
    if !c.diags.iter().any(Diagnostic::is_error) {
        c.check_subtypes(files);
    }
    if !c.diags.iter().any(Diagnostic::is_error) {
        c.stratify();
    }
    if !c.diags.iter().any(Diagnostic::is_error) {
        let diags = crate::lang::defeasible::check(files, &mut c.program);
        c.diags.extend(diags);
    }
    (c.program, c.diags)
}

struct Checker<'s> {
    program: ir::Program,
    diags: Vec<Diagnostic>,
    /// Declared type names → the base type they stand for.
    types: BTreeMap<String, Type>,
    /// Branch names of algebraic data types → (the type's index, the branch's index).
    branches: HashMap<String, (u16, usize)>,
    symbols: &'s mut Symbols,
    /// The "did you mean" of each unknown relation name met so far.
    suggestions: HashMap<String, Option<String>>,
    /// Names that "did you mean" may still compare against (see [`SUGGESTION_BUDGET`]).
    comparisons_left: usize,
    /// The rule being lowered, where a quick fix may declare an unknown relation.
    rule_span: Option<Span>,
}

/// How many relation names the "did you mean" hints of one check may compare in all. Each
/// unknown name is compared with every relation; with 80,000 relations from a statement
/// table and a rule file naming thousands of unknown ones, that is quadratic. Past the
/// budget (a dozen hints against 80,000 names, a thousand against 1,000 relations)
/// unknown names get the plain "declare it" help.
const SUGGESTION_BUDGET: usize = 1_000_000;

impl Checker<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn collect_types(&mut self, files: &[ast::File]) {
        self.types.insert("symbol".into(), Type::Symbol);
        self.types.insert("number".into(), Type::Number);
        self.types.insert("unsigned".into(), Type::Unsigned);
        self.types.insert("float".into(), Type::Float);
        let (records, decls): (Vec<&ast::TypeDecl>, Vec<&ast::TypeDecl>) = files
            .iter()
            .flat_map(|f| &f.items)
            .filter_map(|i| if let Item::Type(t) = i { Some(t) } else { None })
            .partition(|t| t.fields.is_some() || t.branches.is_some());
        self.declare_records(&records);
        // Aliases may refer to aliases declared later: resolve until nothing changes.
        let mut pending: Vec<&ast::TypeDecl> = decls;
        loop {
            let before = pending.len();
            pending.retain(|t| {
                let bases: Option<Vec<Type>> = t.bases.iter().map(|b| self.types.get(&b.name).copied()).collect();
                match bases {
                    Some(bases) => {
                        if bases.iter().all(|&b| b == bases[0]) && !bases.is_empty() {
                            self.types.insert(t.name.name.clone(), bases[0]);
                        } else {
                            self.diags.push(
                                Diagnostic::error(
                                    Code::TypeMismatch,
                                    format!("type `{}` mixes {}", t.name.name, mixed_bases(&bases)),
                                )
                                .at(t.span, "all members of a union must share one base type"),
                            );
                            self.types.insert(t.name.name.clone(), Type::Symbol);
                        }
                        false
                    }
                    None => true,
                }
            });
            if pending.len() == before {
                break;
            }
        }
        for t in pending {
            for b in &t.bases {
                if !self.types.contains_key(&b.name) {
                    let d = unknown_type(&b.name, b.span, &self.types);
                    self.diags.push(d);
                }
            }
        }
        self.record_fields(&records);
    }

    /// Names the record types (`.type T = [...]`), so that fields, aliases and columns can
    /// refer to them (a record type may be recursive). A type declared again with the same
    /// name (a program checked again with the same symbol table) keeps its index.
    fn declare_records(&mut self, records: &[&ast::TypeDecl]) {
        for t in records {
            let table = &mut self.symbols.records.types;
            let index = match table.iter().position(|r| r.name == t.name.name) {
                Some(i) => i,
                None => {
                    table.push(RecordType { name: t.name.name.clone(), ..RecordType::default() });
                    table.len() - 1
                }
            };
            let Ok(index) = u16::try_from(index) else {
                self.diags.push(
                    Diagnostic::error(Code::Unsupported, "more than 65,535 record types")
                        .at(t.span, "one record type too many"),
                );
                return;
            };
            if self.types.insert(t.name.name.clone(), Type::Record(index)).is_some() {
                self.diags.push(
                    Diagnostic::error(Code::DuplicateDeclaration, format!("type `{}` is declared twice", t.name.name))
                        .at(t.name.span, "declared again here"),
                );
            }
        }
    }

    /// Resolves the fields' types of every record type, and the branches of every algebraic
    /// data type (sorted by name, as Soufflé numbers them), once every type has a name.
    fn record_fields(&mut self, records: &[&ast::TypeDecl]) {
        for t in records {
            let Some(Type::Record(index)) = self.types.get(&t.name.name).copied() else { continue };
            let fields = self.resolve_fields(t.fields.as_deref().unwrap_or_default());
            let mut branches = Vec::new();
            for (name, fields) in t.branches.iter().flatten().sorted_by(|a, b| a.0.name.cmp(&b.0.name)) {
                if let Some(&(other, _)) = self.branches.get(&name.name) {
                    let owner = self.symbols.records.ty(other).name.clone();
                    self.error(
                        Diagnostic::error(
                            Code::DuplicateDeclaration,
                            format!("branch `{}` is declared twice", name.name),
                        )
                        .at(name.span, format!("already a branch of `{owner}`")),
                    );
                    continue;
                }
                self.branches.insert(name.name.clone(), (index, branches.len()));
                branches.push((name.name.clone(), self.resolve_fields(fields)));
            }
            let ty = &mut self.symbols.records.types[usize::from(index)];
            ty.fields = fields;
            ty.branches = branches;
        }
    }

    fn resolve_fields(&mut self, fields: &[(ast::Ident, ast::Ident)]) -> Vec<(String, Type)> {
        fields.iter().map(|(name, ty)| (name.name.clone(), self.resolve_type(ty))).collect()
    }

    /// The closure rules of every `eqrel` relation (Soufflé's equivalence relations), each
    /// located at its `eqrel` qualifier so that a proof through one names it:
    /// `r(x, x) :- r(x, _).`, `r(y, x) :- r(x, y).`, `r(x, z) :- r(x, y), r(y, z).`
    /// The simple and dd engines run them; the datafrog engine keeps the closure with a
    /// union-find instead (`engine::eqrel`), and a proof shows them step by step along a
    /// path of generating pairs. `choice-domain` is refused here by name.
    fn eqrel_rules(&mut self, files: &[ast::File]) -> Vec<(String, Vec<ast::Rule>)> {
        let mut rules = Vec::new();
        let decls =
            files.iter().flat_map(|f| &f.items).filter_map(|i| if let Item::Decl(d) = i { Some(d) } else { None });
        for decl in decls {
            if let Some(q) = decl.qualifiers.iter().find(|q| q.name == "choice-domain") {
                self.error(
                    Diagnostic::error(Code::Unsupported, "choice domains (`choice-domain`) are not supported")
                        .at(q.span, "not supported")
                        .with_note(
                            "a choice keeps the first tuple derived for each key, so the answer depends on evaluation \
                             order; stance's answers and proofs do not",
                        ),
                );
            }
            let Some(q) = decl.qualifiers.iter().find(|q| q.name == "eqrel") else { continue };
            if decl.columns.len() != 2 {
                let msg = format!("an `eqrel` relation has two columns; this one has {}", decl.columns.len());
                self.error(Diagnostic::error(Code::ArityMismatch, msg).at(decl.span, "not binary"));
                continue;
            }
            if self.types.get(&decl.columns[0].ty.name) != self.types.get(&decl.columns[1].ty.name) {
                let msg = "the two columns of an `eqrel` relation have different types".to_string();
                self.error(Diagnostic::error(Code::TypeMismatch, msg).at(decl.span, "columns of different types"));
                continue;
            }
            let span = q.span;
            let var = |n: &str| ast::Expr::Var(ast::Ident { name: n.to_string(), span });
            for name in decl.names() {
                let atom = |a: ast::Expr, b: ast::Expr| ast::Atom {
                    relation: ast::Ident { name: name.name.clone(), span },
                    args: vec![a, b],
                    span,
                };
                let lit = |a: ast::Atom| ast::Body::Lit(ast::Literal::Atom(a));
                let rule = |head: ast::Atom, body: Vec<ast::Body>| ast::Rule {
                    name: None,
                    kind: ast::RuleKind::Strict,
                    heads: vec![head],
                    body: Some(ast::Body::And(body, span)),
                    doc: Vec::new(),
                    span,
                };
                let closure = vec![
                    rule(atom(var("x"), var("x")), vec![lit(atom(var("x"), ast::Expr::Wildcard(span)))]),
                    rule(atom(var("y"), var("x")), vec![lit(atom(var("x"), var("y")))]),
                    rule(atom(var("x"), var("z")), vec![lit(atom(var("x"), var("y"))), lit(atom(var("y"), var("z")))]),
                ];
                rules.push((name.name.clone(), closure));
            }
        }
        rules
    }

    /// Soufflé 2's rule for subset types and unions: a variable's type is what the positive
    /// body atoms it occurs in agree on (the most specific of their column types), and in a
    /// head or a negated atom it must be a subtype of the column's type. So a `Country`
    /// cannot flow into a `Militia` column, nor a plain `symbol` into a `Country` one
    /// (unless narrowed with `as(x, Country)`, as in Soufflé); a `Country` goes into a union
    /// `Actor = Country | Militia` or a `symbol` column.
    fn check_subtypes(&mut self, files: &[ast::File]) {
        let lattice = TypeLattice::new(files);
        if lattice.is_trivial() {
            return;
        }
        // Declared column type names of each relation (statement relations are symbols).
        let mut columns: HashMap<RelId, Vec<String>> = HashMap::new();
        for decl in
            files.iter().flat_map(|f| &f.items).filter_map(|i| if let Item::Decl(d) = i { Some(d) } else { None })
        {
            for name in decl.names() {
                if let Some(id) = self.program.relation_id(&name.name) {
                    columns.insert(id, decl.columns.iter().map(|c| lattice.canonical(&c.ty.name)).collect());
                }
            }
        }
        let column = |rel: RelId, i: usize| -> String {
            columns.get(&rel).and_then(|c| c.get(i).cloned()).unwrap_or_else(|| "symbol".to_string())
        };
        let mut errors = Vec::new();
        for rule in &self.program.rules {
            let mut deduced: Vec<Option<String>> = vec![None; rule.num_vars()];
            for lit in &rule.body {
                let Lit::Atom(atom) = lit else { continue };
                for (i, arg) in atom.args.iter().enumerate() {
                    let ir::Arg::Var(v) = arg else { continue };
                    let ty = column(atom.rel, i);
                    deduced[*v] = Some(match deduced[*v].take() {
                        None => ty,
                        Some(prev) if lattice.subtype(&prev, &ty) => prev,
                        Some(prev) if lattice.subtype(&ty, &prev) => ty,
                        Some(prev) => {
                            let msg = format!(
                                "unable to deduce a type for `{}`: it is a `{prev}` and a `{ty}`, which share no values",
                                rule.var_names[*v]
                            );
                            errors.push(
                                Diagnostic::error(Code::TypeMismatch, msg)
                                    .at(atom.span, format!("here it is a `{ty}`")),
                            );
                            prev
                        }
                    });
                }
            }
            let mut check = |rel: RelId, args: Vec<Option<VarId>>, span: Span, place: &str| {
                for (i, v) in args.into_iter().enumerate() {
                    let Some(v) = v else { continue };
                    let Some(ty) = &deduced[v] else { continue };
                    let want = column(rel, i);
                    if !lattice.subtype(ty, &want) {
                        let msg = format!(
                            "`{}` is a `{ty}`, which is not a subtype of `{want}`, the type of column {} of `{}`",
                            rule.var_names[v],
                            i + 1,
                            self.program.relations[rel].name
                        );
                        errors
                            .push(Diagnostic::error(Code::TypeMismatch, msg).at(span, format!("in {place}")).with_help(
                            "Soufflé's subset types do not mix: declare the columns with one type, or a union of both",
                        ));
                    }
                }
            };
            if !rule.is_fact {
                let head_vars =
                    rule.head_args.iter().map(|e| if let Expr::Var(v) = e { Some(*v) } else { None }).collect();
                check(rule.head, head_vars, rule.head_span, "this head");
            }
            for lit in &rule.body {
                if let Lit::Negated(atom) = lit {
                    let vars =
                        atom.args.iter().map(|a| if let ir::Arg::Var(v) = a { Some(*v) } else { None }).collect();
                    check(atom.rel, vars, atom.span, "this negation");
                }
            }
        }
        errors.dedup();
        self.diags.extend(errors);
    }

    fn resolve_type(&mut self, ty: &ast::Ident) -> Type {
        if let Some(&t) = self.types.get(&ty.name) {
            return t;
        }
        let d = unknown_type(&ty.name, ty.span, &self.types);
        self.error(d);
        Type::Symbol
    }

    fn collect_declarations(&mut self, files: &[ast::File], statement_relations: &BTreeSet<String>) {
        let decls =
            files.iter().flat_map(|f| &f.items).filter_map(|i| if let Item::Decl(d) = i { Some(d) } else { None });
        for (decl, name) in decls.flat_map(|d| d.names().map(move |n| (d, n))) {
            if let Some(prev) = self.program.relation_id(&name.name) {
                let prev_span = self.program.relations[prev].decl.unwrap_or_default();
                self.error(
                    Diagnostic::error(
                        Code::DuplicateDeclaration,
                        format!("relation `{}` is declared twice", name.name),
                    )
                    .at(name.span, "declared again here")
                    .with_secondary(prev_span, "first declared here"),
                );
                continue;
            }
            let types = decl.columns.iter().map(|c| self.resolve_type(&c.ty)).collect();
            self.program.add_relation(ir::Relation {
                name: name.name.clone(),
                columns: decl.columns.iter().map(|c| c.name.name.clone()).collect(),
                types,
                decl: Some(name.span),
                inputs: Vec::new(),
                outputs: Vec::new(),
                printsize: false,
                from_statements: false,
            });
        }
        for name in statement_relations {
            // Denials (`not backs` rows) read into `~backs`, which shares `backs`'s columns.
            if let Some(base) = name.strip_prefix('~')
                && self.program.relation_id(base).is_none()
            {
                self.program.add_relation(ir::Relation {
                    name: base.to_string(),
                    columns: vec!["subject".into(), "object".into()],
                    types: vec![Type::Symbol, Type::Symbol],
                    decl: None,
                    inputs: Vec::new(),
                    outputs: Vec::new(),
                    printsize: false,
                    from_statements: false,
                });
            }
            if name.starts_with('~') && self.program.relation_id(name).is_none() {
                let id = crate::lang::defeasible::add_complement(&mut self.program, name);
                if let Some(id) = id {
                    let span = self.program.relations[id].decl.unwrap_or_default();
                    self.statements_input(id, span);
                }
                continue;
            }
            match self.program.relation_id(name) {
                Some(id) => {
                    let span = self.program.relations[id].decl.unwrap_or_default();
                    self.statements_input(id, span);
                }
                None => {
                    self.program.add_relation(ir::Relation {
                        name: name.clone(),
                        columns: vec!["subject".into(), "object".into()],
                        types: vec![Type::Symbol, Type::Symbol],
                        decl: None,
                        inputs: Vec::new(),
                        outputs: Vec::new(),
                        printsize: false,
                        from_statements: true,
                    });
                }
            }
        }
    }

    /// Marks a declared relation as read from statement rows (rows that name it, or
    /// `.input rel(IO=statements)`), which requires the shape of a statement.
    fn statements_input(&mut self, id: RelId, span: Span) {
        let rel = &mut self.program.relations[id];
        let first = !rel.from_statements;
        rel.from_statements = true;
        if first && rel.types != [Type::Symbol, Type::Symbol] {
            let name = rel.name.clone();
            let shape = rel.types.iter().map(|t| t.name()).join(", ");
            self.error(
                Diagnostic::error(
                    Code::ArityMismatch,
                    format!(
                        "`{name}` comes from a statement table, so it must be declared `{name}(subject: symbol, object: symbol)`"
                    ),
                )
                .at(span, format!("declared as ({shape})")),
            );
        }
    }

    /// `.pragma "magic-transform" "a,b"` (or `"*"`): the relations `infer` evaluates on demand.
    fn collect_pragmas(&mut self, files: &[ast::File]) {
        for item in files.iter().flat_map(|f| &f.items) {
            let Item::Ignored { what, args, .. } = item else { continue };
            if what != "pragma" || args.first().map(String::as_str) != Some("magic-transform") {
                continue;
            }
            let names = args.get(1).map(String::as_str).unwrap_or("*");
            for name in names.split(',').map(str::trim) {
                let ids: Vec<RelId> = match name {
                    "*" => (0..self.program.relations.len()).collect(),
                    _ => self.program.relation_id(name).into_iter().collect(),
                };
                self.program.magic_transform.extend(ids);
            }
        }
        self.program.magic_transform.sort_unstable();
        self.program.magic_transform.dedup();
    }

    fn collect_directives(&mut self, files: &[ast::File]) {
        for d in
            files.iter().flat_map(|f| &f.items).filter_map(|i| if let Item::Directive(d) = i { Some(d) } else { None })
        {
            if d.kind == DirectiveKind::Other {
                self.error(
                    Diagnostic::error(
                        Code::Unsupported,
                        format!("the `.{}` directive is not supported", d.keyword.name),
                    )
                    .at(d.keyword.span, "not supported"),
                );
                continue;
            }
            let mut params = BTreeMap::new();
            for p in &d.params {
                let value = match &p.value {
                    ParamValue::Str(s) | ParamValue::Word(s) => s.clone(),
                    ParamValue::Number(n) => n.to_string(),
                };
                if let Some(problem) = check_io_param(&p.key.name, &value, d.kind) {
                    self.error(Diagnostic::error(Code::BadDirective, problem).at(p.span, "in this parameter"));
                }
                params.insert(p.key.name.clone(), value);
            }
            for name in &d.relations {
                let Some(id) = self.lookup_relation(name, None) else { continue };
                let spec = IoSpec { params: params.clone(), span: d.span };
                self.interval_columns(id, &spec);
                if d.kind == DirectiveKind::Input && params.get("IO").is_some_and(|v| v == "statements") {
                    self.statements_input(id, name.span);
                }
                let rel = &mut self.program.relations[id];
                match d.kind {
                    DirectiveKind::Input => rel.inputs.push(spec),
                    DirectiveKind::Output => rel.outputs.push(spec),
                    DirectiveKind::PrintSize => rel.printsize = true,
                    DirectiveKind::Other => {}
                }
            }
        }
    }

    /// `from=` and `until=` of an `.input` must name a column of the relation, of type
    /// `number` (a year) or `symbol` (a date).
    fn interval_columns(&mut self, id: RelId, spec: &IoSpec) {
        for key in ["from", "until"] {
            let Some(column) = spec.params.get(key) else { continue };
            let rel = &self.program.relations[id];
            if !rel.columns.iter().any(|c| c == column) {
                let msg = format!("`{key}={column}`: `{}` has no column `{column}`", rel.name);
                let known = rel.columns.join(", ");
                self.error(
                    Diagnostic::error(Code::BadDirective, msg)
                        .at(spec.span, "in this directive")
                        .with_help(format!("its columns are: {known}")),
                );
            }
        }
    }

    /// Resolves a relation name, reporting an unknown one with a "did you mean" (or, for an
    /// atom, a `.decl` to add after its rule, columns typed by the constants given).
    fn lookup_relation(&mut self, name: &ast::Ident, atom: Option<&ast::Atom>) -> Option<RelId> {
        if let Some(id) = self.program.relation_id(&name.name) {
            return Some(id);
        }
        if let Some(id) = crate::lang::defeasible::add_complement(&mut self.program, &name.name) {
            return Some(id);
        }
        let mut d = Diagnostic::error(Code::UnknownRelation, format!("unknown relation `{}`", name.name))
            .at(name.span, "not declared, and not in any statement table");
        if !self.suggestions.contains_key(&name.name) {
            let relations = &self.program.relations;
            let suggestion = (self.comparisons_left >= relations.len())
                .then(|| did_you_mean(&name.name, relations.iter().map(|r| r.name.as_str())).map(str::to_string))
                .flatten();
            self.comparisons_left = self.comparisons_left.saturating_sub(relations.len());
            self.suggestions.insert(name.name.clone(), suggestion);
        }
        if let Some(s) = self.suggestions[&name.name].clone() {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix::replace(
                format!("change to `{s}`"),
                name.span,
                s,
            ));
        } else {
            d = d.with_help(format!(
                "declare it with `.decl {n}(...)`, or, for a relation of statement rows that has none now, \
                 `.decl {n}(subject: symbol, object: symbol)` with `.input {n}(IO=statements)`",
                n = name.name
            ));
            if let (Some(atom), Some(rule)) = (atom, self.rule_span) {
                let decl = format!("\n.decl {}({})", name.name, decl_columns(&atom.args));
                let at = Span { file: rule.file, start: rule.end, end: rule.end };
                d = d.with_fix(Fix {
                    title: format!("declare `{}`", name.name),
                    edits: vec![Edit { span: at, text: decl }],
                });
            }
        }
        self.error(d);
        None
    }

    fn lower_rule(&mut self, rule: &ast::Rule) {
        self.rule_span = Some(rule.span);
        if rule.heads.is_empty() {
            self.lower_constraint(rule);
            return;
        }
        if rule.body.is_none() && rule.heads.len() == 1 && self.lower_fact(&rule.heads[0], rule.span) {
            return;
        }
        let display = rule.doc.iter().find_map(|line| parse_display(line));
        let disjuncts = match &rule.body {
            None => vec![Vec::new()],
            Some(body) => match dnf(body) {
                Some(d) => d,
                None => {
                    self.error(
                        Diagnostic::error(
                            Code::Unsupported,
                            format!("this body expands to more than {MAX_DISJUNCTS} alternatives"),
                        )
                        .at(body.span(), "too many `;` alternatives"),
                    );
                    return;
                }
            },
        };
        for head in &rule.heads {
            for conj in &disjuncts {
                let errors_before = self.diags.len();
                let lowered = RuleLowering::new(self, rule).lower(head, conj);
                if let Some(mut r) = lowered
                    && self.diags.len() == errors_before
                {
                    r.id = self.program.rules.len();
                    r.is_fact = rule.body.is_none();
                    r.display = display.clone();
                    self.program.defeasible.add_rule(r.id, rule.kind, rule.name.as_ref().map(|n| n.name.as_str()));
                    self.program.rules.push(r);
                }
            }
        }
    }

    /// `:- body.` becomes a hidden relation over the body's named variables and a rule
    /// deriving it (see [`ir::Constraint`]); its column types are set when the rule is lowered.
    fn lower_constraint(&mut self, rule: &ast::Rule) {
        let Some(body) = &rule.body else { return };
        let name = format!("{}{}", ir::CONSTRAINT_PREFIX, self.program.constraints.len() + 1);
        let columns = ast::constraint_columns(body);
        let note_lines: Vec<&str> =
            rule.doc.iter().map(|l| l.trim()).filter(|l| !l.is_empty() && !l.starts_with('@')).collect();
        let note = (!note_lines.is_empty()).then(|| note_lines.join(" "));
        self.program.constraints.push(ir::Constraint { rel: self.program.relations.len(), span: rule.span, note });
        self.program.add_relation(ir::Relation {
            name: name.clone(),
            columns: columns.iter().map(|c| c.name.clone()).collect(),
            types: vec![Type::Symbol; columns.len()],
            decl: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: false,
            from_statements: false,
        });
        let head = ast::Atom {
            relation: ast::Ident { name, span: rule.span },
            args: columns.into_iter().map(ast::Expr::Var).collect(),
            span: rule.span,
        };
        self.lower_rule(&ast::Rule { heads: vec![head], ..rule.clone() });
    }

    /// A fact whose arguments are all constants is stored as data, not as a rule.
    /// Returns false when it needs evaluating (an expression or functor in it).
    fn lower_fact(&mut self, head: &ast::Atom, span: Span) -> bool {
        if !head.args.iter().all(|a| matches!(a, ast::Expr::Number(..) | ast::Expr::Str(..) | ast::Expr::Float(..))) {
            return false;
        }
        let values = &head.args;
        let Some(rel) = self.lookup_relation(&head.relation, Some(head)) else { return true };
        let decl = &self.program.relations[rel];
        if decl.arity() != values.len() {
            let (name, arity) = (decl.name.clone(), decl.arity());
            let mut d = Diagnostic::error(
                Code::ArityMismatch,
                format!(
                    "`{name}` has {arity} column{}, but {} argument{} given here",
                    plural(arity),
                    values.len(),
                    plural(values.len())
                ),
            )
            .at(head.span, format!("{} argument{}", values.len(), plural(values.len())));
            if let Some(decl) = decl.decl {
                d = d.with_secondary(decl, format!("declared with {arity} column{}", plural(arity)));
            }
            self.error(d);
            return true;
        }
        let mut row = Vec::with_capacity(values.len());
        for (expected, arg) in decl.types.clone().into_iter().zip(&head.args) {
            let Some(v) = self.constant(arg, expected, &head.relation.name) else { return true };
            row.push(v);
        }
        self.program.facts.push(ir::Fact { rel, values: row, span });
        true
    }

    /// A constant argument (a literal) as a value of its column's type `ty`, as Soufflé types
    /// it: an integer literal fits a `number`, an `unsigned` (if not negative) or a `float`
    /// column; `1.5` only a `float`, `5u` only an `unsigned`, a string only a `symbol`.
    fn constant(&mut self, arg: &ast::Expr, ty: Type, relation: &str) -> Option<Value> {
        let found = match (arg, literal_constant(arg, ty)) {
            (ast::Expr::Str(s, _), _) if ty == Type::Symbol => return Some(self.symbols.intern(s)),
            (ast::Expr::Str(..), _) => Type::Symbol,
            (_, Some(Ok(v))) => return Some(v),
            (_, Some(Err(found))) => found,
            (ast::Expr::Float(text, span), None) => {
                let why = typed_literal(text).err().unwrap_or("out of range");
                self.error(bad_literal(text, *span, why));
                return None;
            }
            (_, None) => return None,
        };
        let what = if matches!(arg, ast::Expr::Number(..)) && ty == Type::Unsigned {
            "a negative number".to_string()
        } else {
            format!("{} constant", article(found))
        };
        self.error(
            Diagnostic::error(Code::TypeMismatch, format!("{what} in a `{}` column of `{relation}`", ty.name()))
                .at(arg.span(), format!("expected {}", article(ty))),
        );
        None
    }

    fn stratify(&mut self) {
        match ir::stratify(self.program.relations.len(), &self.program.rules) {
            Ok(strata) => self.program.strata = strata,
            Err(cycle) => {
                let (from, to, rule, span) = cycle.edge;
                let d = self.cycle_diagnostic(from, to, rule, span, &cycle.edges, &cycle.component);
                self.error(d);
            }
        }
    }

    /// Explains a negative edge inside a cycle as a chain of rules.
    fn cycle_diagnostic(
        &self,
        from: RelId,
        to: RelId,
        rule: usize,
        span: Span,
        edges: &[(RelId, RelId, bool, usize, Span)],
        component: &[usize],
    ) -> Diagnostic {
        let name = |r: RelId| self.program.relations[r].name.clone();
        // Breadth-first search from `to` back to `from` inside the component.
        let mut prev: HashMap<RelId, (RelId, usize)> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([to]);
        while let Some(r) = queue.pop_front() {
            if r == from {
                break;
            }
            for &(a, b, _, rid, _) in edges {
                if a == r && component[b] == component[to] && !prev.contains_key(&b) && b != to {
                    prev.insert(b, (a, rid));
                    queue.push_back(b);
                }
            }
        }
        let mut chain = vec![from];
        let mut chain_rules = Vec::new();
        let mut cur = from;
        while cur != to {
            let Some(&(p, rid)) = prev.get(&cur) else { break };
            chain_rules.push(rid);
            chain.push(p);
            cur = p;
        }
        chain.reverse();
        let path = chain.iter().map(|&r| format!("`{}`", name(r))).join(" → ");
        let kind = if self.program.rules[rule].body.iter().any(|l| matches!(l, Lit::Negated(a) if a.rel == from)) {
            "negation"
        } else {
            "aggregation"
        };
        let mut d = Diagnostic::error(
            Code::Unstratifiable,
            format!("`{}` depends on itself through {kind}: {path} → `{}` is not stratifiable", name(to), name(to)),
        )
        .at(span, format!("{kind} of `{}` here", name(from)))
        .with_secondary(self.program.rules[rule].head_span, format!("while deriving `{}`", name(to)));
        for rid in chain_rules {
            let r = &self.program.rules[rid];
            d = d.with_secondary(r.head_span, format!("`{}` is derived from `{}` here", name(r.head), name(to)));
        }
        d.with_help("a relation cannot be negated or aggregated over by rules that it feeds; split the recursion")
    }
}

/// `a number`, `an unsigned`: a type's name after the indefinite article.
pub fn article(ty: Type) -> String {
    let a = if ty == Type::Unsigned { "an" } else { "a" };
    format!("{a} {}", ty.name())
}

/// A literal with no value of its type (`5000000000u`, `1e39`).
fn bad_literal(text: &str, span: Span, why: &str) -> Diagnostic {
    Diagnostic::error(Code::Syntax, format!("literal `{text}` out of range")).at(span, why.to_string())
}

/// `symbols and numbers`, `numbers and floats`: the base types a union mixes, in order.
fn mixed_bases(bases: &[Type]) -> String {
    let plural = |t: &Type| format!("{}s", t.name());
    let names: Vec<String> = bases.iter().sorted().dedup().map(plural).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// The value and type of a literal written with a `.` or a `u` (`1.5`, `5u`), or why it has
/// none.
fn typed_literal(text: &str) -> Result<(Value, Type), &'static str> {
    match text.strip_suffix('u') {
        Some(digits) => parse_unsigned(digits)
            .map(|u| (from_unsigned(u), Type::Unsigned))
            .map_err(|_| "does not fit in a 32-bit unsigned integer"),
        None => match parse_float(text) {
            Some(f) if f.is_finite() => Ok((from_float(f), Type::Float)),
            _ => Err("does not fit in a 32-bit float"),
        },
    }
}

/// A numeric literal (`3`, `1.5`, `5u`, and `-1.5` in a claim) as a constant of a column of
/// type `ty`: `None` if `e` is not one (or is out of range, reported by the checker);
/// `Some(Err(t))` if it cannot be one, `t` being the literal's own type. Facts, atoms and
/// claims read their constants with this.
pub fn literal_constant(e: &ast::Expr, ty: Type) -> Option<Result<Value, Type>> {
    let (value, found) = match e {
        ast::Expr::Number(n, _) => match retyped_literal(from_number(*n), ty) {
            Some(v) => return Some(Ok(v)),
            None => (from_number(*n), Type::Number),
        },
        ast::Expr::Float(text, _) => typed_literal(text).ok()?,
        ast::Expr::Unary { op: ast::UnaryOp::Neg, arg, .. } if matches!(**arg, ast::Expr::Float(..)) => {
            let value = literal_constant(arg, Type::Float)?.ok()?;
            (from_float(-crate::base::value::to_float(value)), Type::Float)
        }
        _ => return None,
    };
    Some(if found == ty { Ok(value) } else { Err(found) })
}

/// An integer literal (a `number` constant) as a value of type `ty`, if it is one: Soufflé
/// types an integer literal by where it is used, so `1` may be an unsigned or a float.
fn retyped_literal(c: Value, ty: Type) -> Option<Value> {
    let n = to_number(c);
    match ty {
        Type::Number => Some(c),
        Type::Unsigned => u32::try_from(n).ok().map(from_unsigned),
        Type::Float => Some(from_float(n as f32)),
        Type::Symbol | Type::Record(_) => None,
    }
}

/// A [`flexible`] expression typed `ty` without a checker (no errors possible): `None` if an
/// operator in it does not apply to `ty` or a literal does not fit.
fn retyped_literal_expr(e: &Expr, ty: Type) -> Option<Expr> {
    Some(match e {
        Expr::Const(c, Type::Number) => Expr::Const(retyped_literal(*c, ty)?, ty),
        Expr::Unary(op, _, a) if functors::unary_applies(*op, ty) => {
            Expr::Unary(*op, ty, Box::new(retyped_literal_expr(a, ty)?))
        }
        Expr::Binary(op, _, a, b) if functors::operator_applies(*op, ty) => {
            Expr::Binary(*op, ty, Box::new(retyped_literal_expr(a, ty)?), Box::new(retyped_literal_expr(b, ty)?))
        }
        _ => return None,
    })
}

/// Whether an expression is made of integer literals and operators only, so that its type
/// follows from where it is used (`x + 1` with a float `x`).
fn flexible(e: &Expr) -> bool {
    match e {
        Expr::Const(_, Type::Number) => true,
        Expr::Unary(_, _, a) => flexible(a),
        Expr::Binary(_, _, a, b) => flexible(a) && flexible(b),
        _ => false,
    }
}

/// The terms of a chain the parser regrouped into a balanced block (`L - (t1 + t2)` for
/// `L - t1 - t2`, nodes marked `chain`), in written order, each with the operator before it.
/// Integer arithmetic wraps, so grouping does not change its value; float arithmetic rounds,
/// so a chain is evaluated left to right, as written and as Soufflé does.
fn unchain<'e>(op: BinaryOp, rhs: &'e ast::Expr, out: &mut Vec<(BinaryOp, &'e ast::Expr)>) {
    match rhs {
        ast::Expr::Binary { op: inner, lhs, rhs, chain: true, .. } => {
            unchain(op, lhs, out);
            let next = match (op, *inner) {
                (BinaryOp::Sub, BinaryOp::Add) => BinaryOp::Sub,
                (BinaryOp::Sub, BinaryOp::Sub) => BinaryOp::Add,
                (_, inner) => inner,
            };
            unchain(next, rhs, out);
        }
        term => out.push((op, term)),
    }
}

/// How deep chains put back in written order may make an expression, counting the terms of
/// the chains nested in one another (typing and evaluation recurse as deep); past it, a chain
/// keeps the parser's balanced grouping.
const CHAIN_TERMS: usize = 64;

fn unknown_type(name: &str, span: Span, types: &BTreeMap<String, Type>) -> Diagnostic {
    let mut d = Diagnostic::error(Code::UnknownType, format!("unknown type `{name}`")).at(span, "this type");
    if let Some(s) = did_you_mean(name, types.keys().map(String::as_str)) {
        d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix::replace(format!("change to `{s}`"), span, s));
    }
    d
}

/// The columns of a `.decl` written for an atom: each named after its variable (else `cN`),
/// typed by the literal given (`number`, `unsigned`, `float`), `symbol` otherwise.
fn decl_columns(args: &[ast::Expr]) -> String {
    let mut used = BTreeSet::new();
    let columns: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, arg)| {
            let name = match arg {
                ast::Expr::Var(v) if used.insert(v.name.clone()) => v.name.clone(),
                _ => format!("c{}", i + 1),
            };
            let ty = match arg {
                ast::Expr::Number(..) => "number",
                ast::Expr::Float(text, _) if text.ends_with('u') => "unsigned",
                ast::Expr::Float(..) => "float",
                _ => "symbol",
            };
            format!("{name}: {ty}")
        })
        .collect();
    columns.join(", ")
}

/// The declared types and how they nest: `.type T <: B` makes `T` a subset of `B`,
/// `.type U = A | B` makes `A` and `B` subsets of `U`, and `.type T = B` names `B` again.
struct TypeLattice {
    /// Alias → the type it names.
    alias: HashMap<String, String>,
    /// Type → the types it is directly a subset of (its base, the unions listing it).
    parents: HashMap<String, Vec<String>>,
    /// Union → its members.
    members: HashMap<String, Vec<String>>,
}

impl TypeLattice {
    fn new(files: &[ast::File]) -> TypeLattice {
        let mut lattice = TypeLattice { alias: HashMap::new(), parents: HashMap::new(), members: HashMap::new() };
        for t in files.iter().flat_map(|f| &f.items).filter_map(|i| if let Item::Type(t) = i { Some(t) } else { None })
        {
            if t.fields.is_some() || t.branches.is_some() {
                // A record type is its own: only another name for it is the same type.
                continue;
            }
            match t.bases.as_slice() {
                [base] if !t.subset => {
                    lattice.alias.insert(t.name.name.clone(), base.name.clone());
                }
                [base] => lattice.parents.entry(t.name.name.clone()).or_default().push(base.name.clone()),
                members => {
                    lattice.members.insert(t.name.name.clone(), members.iter().map(|m| m.name.clone()).collect());
                    for m in members {
                        lattice.parents.entry(m.name.clone()).or_default().push(t.name.name.clone());
                    }
                }
            }
        }
        lattice
    }

    /// No subset types or unions: every type is a base type or another name for one.
    fn is_trivial(&self) -> bool {
        self.parents.is_empty()
    }

    /// The type an alias names, following aliases (at most as many as there are).
    fn canonical(&self, name: &str) -> String {
        let mut name = name.to_string();
        for _ in 0..=self.alias.len() {
            match self.alias.get(&name) {
                Some(next) => name = next.clone(),
                None => break,
            }
        }
        name
    }

    /// The primitive type (`symbol`, `number`, `unsigned`, `float`) under `name`: a union's is its members'
    /// (`check` has made sure they share one).
    fn primitive(&self, name: &str) -> String {
        let mut t = self.canonical(name);
        for _ in 0..=self.parents.len() + self.members.len() {
            let next = match (self.members.get(&t), self.parents.get(&t)) {
                (Some(members), _) => members.first(),
                (None, Some(parents)) => parents.iter().find(|p| !self.members.contains_key(*p)).or(parents.first()),
                (None, None) => None,
            };
            match next {
                Some(n) => t = self.canonical(n),
                None => break,
            }
        }
        t
    }

    /// Whether every value of `a` is a value of `b`.
    fn subtype(&self, a: &str, b: &str) -> bool {
        let (a, b) = (self.canonical(a), self.canonical(b));
        if matches!(b.as_str(), "symbol" | "number" | "unsigned" | "float") {
            return self.primitive(&a) == b;
        }
        let mut seen = BTreeSet::new();
        let mut todo = vec![a];
        while let Some(t) = todo.pop() {
            if t == b {
                return true;
            }
            if seen.insert(t.clone()) {
                todo.extend(self.parents.get(&t).into_iter().flatten().map(|p| self.canonical(p)));
            }
        }
        false
    }
}

fn check_io_param(key: &str, value: &str, kind: DirectiveKind) -> Option<String> {
    match key {
        // Where the file may be is checked when it is opened (`confine`), so that
        // `--allow-outside-paths` can lift it.
        "filename" => None,
        "delimiter" => {
            let unescaped = unescape_delimiter(value);
            (unescaped.len() != 1).then(|| format!("delimiter must be a single character, got `{value}`"))
        }
        "comment" if kind == DirectiveKind::Input => {
            (value.len() != 1 || matches!(value, "\"" | "\n" | "\r")).then(|| {
                format!("`comment` must be a single ASCII character other than a quote or line end, got `{value}`")
            })
        }
        "comment" => Some("`comment` applies to `.input` only".to_string()),
        "headers" | "rfc4180" | "compress" => {
            (!matches!(value, "true" | "false")).then(|| format!("`{key}` must be `true` or `false`, got `{value}`"))
        }
        // `IO=statements` (stance's own): the relation's facts are the rows of the statement
        // tables that name it, possibly none; no file is read.
        "IO" => match (value, kind) {
            ("file", _) | ("stdout", DirectiveKind::Output) | ("statements", DirectiveKind::Input) => None,
            _ => Some(format!("`IO={value}` is not supported; only files are (and `IO=statements` for `.input`)")),
        },
        "attributeNames" | "fact-dir" | "output-dir" => None,
        // stance's own: the columns that give a row's validity interval (`engine::temporal`).
        "from" | "until" if kind == DirectiveKind::Input => None,
        "from" | "until" => Some(format!("`{key}` applies to `.input` only")),
        _ => Some(format!(
            "unknown parameter `{key}` (known: filename, delimiter, headers, rfc4180, comment, compress, IO, from, until)"
        )),
    }
}

/// `\t` written as two characters in a directive means a tab.
pub fn unescape_delimiter(value: &str) -> String {
    value.replace("\\t", "\t")
}

/// `@display "template"` in a comment above a rule.
fn parse_display(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("@display")?.trim();
    let inner = rest.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.replace("\\\"", "\""))
}

/// Disjunctive normal form of a body: a list of conjunctions of literals.
fn dnf(body: &ast::Body) -> Option<Vec<Vec<&ast::Literal>>> {
    match body {
        ast::Body::Lit(l) => Some(vec![vec![l]]),
        ast::Body::Or(parts, _) => {
            let mut out = Vec::new();
            for p in parts {
                out.extend(dnf(p)?);
                if out.len() > MAX_DISJUNCTS {
                    return None;
                }
            }
            Some(out)
        }
        ast::Body::And(parts, _) => {
            let mut acc: Vec<Vec<&ast::Literal>> = vec![Vec::new()];
            for p in parts {
                let alternatives = dnf(p)?;
                if acc.len() * alternatives.len() > MAX_DISJUNCTS {
                    return None;
                }
                acc = acc
                    .iter()
                    .flat_map(|prefix| {
                        alternatives.iter().map(move |alt| prefix.iter().chain(alt.iter()).copied().collect())
                    })
                    .collect();
            }
            Some(acc)
        }
    }
}

/// A literal waiting for its inputs to be bound.
enum Pending<'a> {
    Negated(ir::Atom),
    /// `lhs op rhs`, typed once placed.
    Compare {
        op: CompareOp,
        lhs: Expr,
        rhs: Expr,
        span: Span,
        lhs_span: Span,
    },
    Range {
        var: VarId,
        args: Vec<Expr>,
        span: Span,
    },
    /// `var = [fields]`: builds the record once its fields are bound, or matches it (binding
    /// the fields) once `var` is bound, whichever comes first.
    Record {
        var: VarId,
        fields: Vec<Expr>,
        /// Where each field was written.
        spans: Vec<Span>,
        /// For `$B(...)`: the branch's index (the first field is that index).
        branch: Option<usize>,
        span: Span,
    },
    Aggregate {
        var: VarId,
        func: AggregateFunc,
        target: Option<&'a ast::Expr>,
        body: Vec<&'a ast::Literal>,
        scope: usize,
        span: Span,
        /// Whether it is a `min`/`max` with witnesses, whose body is copied after it.
        witnesses: bool,
    },
}

/// Lowers one (head, conjunction) pair of a source rule.
struct RuleLowering<'a, 'c, 's> {
    checker: &'c mut Checker<'s>,
    rule: &'a ast::Rule,
    var_names: Vec<String>,
    var_types: Vec<Option<Type>>,
    /// First occurrence of each variable, for error messages.
    var_spans: Vec<Span>,
    /// Name → slot, per scope: scope 0 is the rule, each aggregate body gets its own.
    scopes: Vec<HashMap<String, VarId>>,
    /// Per scope, the scope it is nested in (none for the rule).
    parents: Vec<Option<usize>>,
    /// Per scope, the names that occur in it outside nested aggregate bodies: a name in an
    /// aggregate body that also occurs in an enclosing scope is that scope's variable.
    names: Vec<BTreeSet<String>>,
    /// Per scope, the names that stay its own even where an enclosing scope uses them: the
    /// target's variables (Soufflé renames them apart from the rule's) and the witnesses of
    /// a `min` or `max`.
    own: Vec<BTreeSet<String>>,
    /// The names the rule grounds outside its aggregates (see [`grounded_names`]): a name
    /// used outside an aggregate but grounded only inside it is a witness.
    grounded: BTreeSet<String>,
    /// Literals to place right after the one just placed: the copy of a `min`/`max` body
    /// that binds its witnesses.
    after: Vec<Lit>,
    /// The scopes of those copies: their own variables are the rule's too, so one named
    /// like a variable of the rule is shown primed (`x'`) in proofs.
    copies: BTreeSet<usize>,
    /// How deep the chains being put back in written order nest (see [`CHAIN_TERMS`]).
    chain_depth: usize,
    /// The column type of each variable written as a head argument: the type its literal
    /// takes in `x = 1` when nothing else types `x`.
    head_hints: HashMap<VarId, Type>,
    failed: bool,
}

impl<'a, 'c, 's> RuleLowering<'a, 'c, 's> {
    fn new(checker: &'c mut Checker<'s>, rule: &'a ast::Rule) -> Self {
        RuleLowering {
            checker,
            rule,
            var_names: Vec::new(),
            var_types: Vec::new(),
            var_spans: Vec::new(),
            scopes: vec![HashMap::new()],
            parents: vec![None],
            names: vec![BTreeSet::new()],
            own: vec![BTreeSet::new()],
            grounded: BTreeSet::new(),
            after: Vec::new(),
            copies: BTreeSet::new(),
            chain_depth: 0,
            head_hints: HashMap::new(),
            failed: false,
        }
    }

    fn error(&mut self, d: Diagnostic) {
        self.failed = true;
        self.checker.error(d);
    }

    fn fresh(&mut self, span: Span) -> VarId {
        let id = self.var_names.len();
        self.var_names.push(format!("${id}"));
        self.var_types.push(None);
        self.var_spans.push(span);
        id
    }

    /// The scope a name used in `scope` belongs to: the outermost enclosing scope where it
    /// also occurs (as in Soufflé, an aggregate sees the variables of the clause around
    /// it, nested aggregates included), or `scope` itself; a scope's [`Self::own`] names
    /// stop the search there.
    fn owner(&self, name: &str, scope: usize) -> usize {
        let (mut owner, mut s) = (scope, scope);
        while let Some(parent) = self.parents[s] {
            if self.own[s].contains(name) {
                break;
            }
            if self.names[parent].contains(name) {
                owner = parent;
            }
            s = parent;
        }
        owner
    }

    fn var(&mut self, name: &ast::Ident, scope: usize) -> VarId {
        let scope = self.owner(&name.name, scope);
        if let Some(&v) = self.scopes[scope].get(&name.name) {
            return v;
        }
        let id = self.var_names.len();
        let shown = if self.copies.contains(&scope) && self.names[0].contains(&name.name) {
            format!("{}'", name.name)
        } else {
            name.name.clone()
        };
        self.var_names.push(shown);
        self.var_types.push(None);
        self.var_spans.push(name.span);
        self.scopes[scope].insert(name.name.clone(), id);
        id
    }

    fn lower(mut self, head: &'a ast::Atom, conj: &[&'a ast::Literal]) -> Option<ir::Rule> {
        collect_outer_names(head, conj, &mut self.names[0]);
        self.grounded = grounded_names(conj);

        let head_rel = self.checker.lookup_relation(&head.relation, Some(head));
        let mut atoms = Vec::new();
        let mut pending = Vec::new();
        for lit in conj {
            self.lower_literal(lit, 0, &mut atoms, &mut pending);
        }
        let head_rel = head_rel?;
        if self.failed {
            return None;
        }
        let arity = self.checker.program.relations[head_rel].arity();
        if head.args.len() != arity {
            self.arity_error(head_rel, &head.relation, head.args.len(), head.span);
            return None;
        }
        // Head arguments become expressions; generators in them become body literals.
        let mut head_exprs = Vec::new();
        for arg in &head.args {
            if let ast::Expr::Wildcard(span) = arg {
                self.error(
                    Diagnostic::error(Code::Ungrounded, "`_` cannot appear in a rule head")
                        .at(*span, "give a value here"),
                );
                continue;
            }
            if let Some(e) = self.lower_expr(arg, 0, &mut pending) {
                head_exprs.push((e, arg.span()));
            }
        }
        if self.failed {
            return None;
        }
        self.type_head_records(head_rel, &head_exprs);
        let mut bound = vec![false; self.var_names.len()];
        self.hint_head_columns(head_rel, &head_exprs);
        let body = self.order_body(atoms, pending, &mut bound)?;
        let program = &self.checker.program;
        if program.is_constraint(head_rel) && !program.rules.iter().any(|r| r.head == head_rel) {
            // A constraint's hidden relation has the types its body gives the variables (the
            // first alternative's; the others are checked against them).
            let types = head_exprs
                .iter()
                .map(|(e, _)| match e {
                    Expr::Var(v) => self.var_types[*v].unwrap_or(Type::Symbol),
                    _ => Type::Symbol,
                })
                .collect();
            self.checker.program.relations[head_rel].types = types;
        }
        let head_types = self.checker.program.relations[head_rel].types.clone();
        let what = if self.checker.program.is_constraint(head_rel) {
            "this variable (typed differently by another alternative of the constraint)"
        } else {
            "this head argument"
        };
        let mut head_args = Vec::new();
        for ((e, span), ty) in head_exprs.into_iter().zip(head_types) {
            if !self.require_bound(&e, &bound, "the head", span) {
                continue;
            }
            if let Some(e) = self.expect_type(&e, ty, span, what) {
                head_args.push(e);
            }
        }
        if self.failed {
            return None;
        }
        let var_types = self.var_types.iter().map(|t| t.unwrap_or(Type::Symbol)).collect();
        Some(ir::Rule {
            id: 0,
            head: head_rel,
            head_args,
            body,
            var_names: self.var_names,
            var_types,
            span: self.rule.span,
            head_span: head.span,
            is_fact: false,
            display: None,
        })
    }

    /// A record built for the head has the record type of its column.
    fn type_head_records(&mut self, head_rel: RelId, head_exprs: &[(Expr, Span)]) {
        let columns = &self.checker.program.relations[head_rel].types;
        for ((e, _), ty) in head_exprs.iter().zip(columns) {
            if let (Expr::Var(v), Type::Record(_)) = (e, ty)
                && self.var_types[*v].is_none()
            {
                self.var_types[*v] = Some(*ty);
            }
        }
    }

    /// A head variable bound by `x = 1` takes its column's type for the literal, as in
    /// Soufflé (`h(x) :- x = 1.` with a float column).
    fn hint_head_columns(&mut self, head_rel: RelId, head_exprs: &[(Expr, Span)]) {
        let columns = &self.checker.program.relations[head_rel].types;
        for ((e, _), &ty) in head_exprs.iter().zip(columns) {
            if let Expr::Var(v) = e {
                self.head_hints.insert(*v, ty);
            }
        }
    }

    fn arity_error(&mut self, rel: RelId, name: &ast::Ident, found: usize, span: Span) {
        let r = &self.checker.program.relations[rel];
        let mut d = Diagnostic::error(
            Code::ArityMismatch,
            format!(
                "`{}` has {} column{}, but {} argument{} given here",
                r.name,
                r.arity(),
                plural(r.arity()),
                found,
                plural(found)
            ),
        )
        .at(span, format!("{found} argument{}", plural(found)));
        d = match r.decl {
            Some(decl) => d.with_secondary(decl, format!("declared with {} column{}", r.arity(), plural(r.arity()))),
            None => d.with_note(format!("`{}` comes from a statement table: (subject, object)", name.name)),
        };
        self.error(d);
    }

    /// Lowers a literal into positive atoms (kept in written order) and pending literals.
    fn lower_literal(
        &mut self,
        lit: &'a ast::Literal,
        scope: usize,
        atoms: &mut Vec<ir::Atom>,
        pending: &mut Vec<Pending<'a>>,
    ) {
        match lit {
            ast::Literal::Atom(a) => {
                if let Some(atom) = self.lower_atom(a, scope, pending) {
                    atoms.push(atom);
                }
            }
            // `!match(p, s)`, `!contains(a, b)`: a negated condition (unless a relation
            // has that name).
            ast::Literal::Negated(a, span)
                if functors::is_test(&a.relation.name)
                    && self.checker.program.relation_id(&a.relation.name).is_none() =>
            {
                self.lower_condition((&a.relation, &a.args, span), CompareOp::Eq, scope, pending);
            }
            ast::Literal::Negated(a, span) => {
                if let Some(mut atom) = self.lower_atom(a, scope, pending) {
                    atom.span = *span;
                    pending.push(Pending::Negated(atom));
                }
            }
            ast::Literal::Compare { op, lhs, rhs, span } => {
                let l = self.lower_expr(lhs, scope, pending);
                let r = self.lower_expr(rhs, scope, pending);
                if let (Some(lhs_e), Some(rhs_e)) = (l, r) {
                    pending.push(Pending::Compare {
                        op: *op,
                        lhs: lhs_e,
                        rhs: rhs_e,
                        span: *span,
                        lhs_span: lhs.span(),
                    });
                }
            }
            ast::Literal::Bool(true, _) => {}
            ast::Literal::Bool(false, span) => pending.push(Pending::Compare {
                op: CompareOp::Eq,
                lhs: Expr::Const(0, Type::Number),
                rhs: Expr::Const(1, Type::Number),
                span: *span,
                lhs_span: *span,
            }),
            ast::Literal::Predicate { name, args, span } => {
                self.lower_condition((name, args, span), CompareOp::Ne, scope, pending);
            }
        }
    }

    /// `match(p, s)` holds when the call is true, a filter `call != 0`; `!match(p, s)` is
    /// `call = 0` (`op`).
    fn lower_condition(
        &mut self,
        (name, args, span): (&ast::Ident, &'a [ast::Expr], &Span),
        op: CompareOp,
        scope: usize,
        pending: &mut Vec<Pending<'a>>,
    ) {
        if let (true, Some(ast::Expr::Str(pattern, at))) = (name.name == "match", args.first())
            && let Err(why) = functors::compile_pattern(pattern)
        {
            self.error(
                Diagnostic::error(Code::BadPattern, format!("`match` cannot use this pattern: {why}"))
                    .at(*at, "not a usable regular expression")
                    .with_help("patterns use the syntax of Rust's `regex` crate and match whole strings"),
            );
            return;
        }
        if let Some(lhs) = self.lower_call((name, args, span), scope, pending, true) {
            let rhs = Expr::Const(0, Type::Number);
            pending.push(Pending::Compare { op, lhs, rhs, span: *span, lhs_span: *span });
        }
    }

    fn lower_atom(&mut self, a: &'a ast::Atom, scope: usize, pending: &mut Vec<Pending<'a>>) -> Option<ir::Atom> {
        let rel = self.checker.lookup_relation(&a.relation, Some(a));
        let mut args = Vec::new();
        for arg in &a.args {
            let lowered = match arg {
                ast::Expr::Var(name) => Arg::Var(self.var(name, scope)),
                ast::Expr::Wildcard(_) => Arg::Wildcard,
                // Typed below, by the column.
                ast::Expr::Number(..) | ast::Expr::Str(..) | ast::Expr::Float(..) => Arg::Const(0),
                ast::Expr::Nil(_) => Arg::Const(NIL),
                // `p([x, y])`: the column's record, matched (or built) by a pending literal.
                ast::Expr::Record(..) | ast::Expr::Branch { .. } => match self.lower_expr(arg, scope, pending)? {
                    Expr::Var(v) => Arg::Var(v),
                    _ => return None,
                },
                other => {
                    // `p(x + 1)`: a fresh variable equal to the expression.
                    let expr = self.lower_expr(other, scope, pending)?;
                    let v = self.fresh(other.span());
                    pending.push(Pending::Compare {
                        op: CompareOp::Eq,
                        lhs: Expr::Var(v),
                        rhs: expr,
                        span: other.span(),
                        lhs_span: other.span(),
                    });
                    Arg::Var(v)
                }
            };
            args.push(lowered);
        }
        let Some(rel) = rel else {
            // Reported already; stop here so its variables do not also show as unbound.
            self.failed = true;
            return None;
        };
        let types = self.checker.program.relations[rel].types.clone();
        if args.len() != types.len() {
            self.arity_error(rel, &a.relation, args.len(), a.span);
            return None;
        }
        for ((arg, ty), expr) in args.iter_mut().zip(&types).zip(&a.args) {
            match arg {
                Arg::Var(v) => self.unify(*v, *ty, expr.span()),
                Arg::Const(_) if matches!(expr, ast::Expr::Nil(_)) => {
                    if !matches!(ty, Type::Record(_)) || self.is_adt(*ty) {
                        self.error(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("`nil` in a `{}` column of `{}`", ty.name(), a.relation.name),
                            )
                            .at(expr.span(), format!("`nil` is a record; expected {}", article(*ty))),
                        );
                    }
                }
                // A mismatch is reported; the atom stays, so that its variables are bound.
                Arg::Const(c) => *c = self.checker.constant(expr, *ty, &a.relation.name).unwrap_or(0),
                Arg::Wildcard => {}
            }
        }
        Some(ir::Atom { rel, args, span: a.span })
    }

    /// Records a variable's type, reporting a clash with an earlier use.
    fn unify(&mut self, v: VarId, ty: Type, span: Span) {
        match self.var_types[v] {
            None => self.var_types[v] = Some(ty),
            Some(t) if t == ty => {}
            // A generated variable stands for an expression in an atom's argument
            // (`a(strlen(x))`), typed first by the column it fills.
            Some(t) if self.var_names[v].starts_with('$') => self.error(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("this expression is {}, but the column it fills is {}", article(ty), article(t)),
                )
                .at(self.var_spans[v], format!("expected {}", article(t))),
            ),
            Some(t) => {
                let first = self.var_spans[v];
                self.error(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "variable `{}` is used as {} here but as {} before",
                            self.var_names[v],
                            article(ty),
                            article(t)
                        ),
                    )
                    .at(span, format!("used as {}", article(ty)))
                    .with_secondary(first, format!("used as {} here", article(t))),
                );
            }
        }
    }

    fn lower_expr(&mut self, e: &'a ast::Expr, scope: usize, pending: &mut Vec<Pending<'a>>) -> Option<Expr> {
        Some(match e {
            ast::Expr::Var(name) => Expr::Var(self.var(name, scope)),
            ast::Expr::Number(n, _) => Expr::Const(from_number(*n), Type::Number),
            ast::Expr::Str(s, _) => Expr::Const(self.checker.symbols.intern(s), Type::Symbol),
            ast::Expr::Wildcard(span) => {
                self.error(
                    Diagnostic::error(Code::Ungrounded, "`_` can only stand for a whole argument of a body atom")
                        .at(*span, "not allowed in an expression"),
                );
                return None;
            }
            ast::Expr::Float(text, span) => match typed_literal(text) {
                Ok((v, ty)) => Expr::Const(v, ty),
                Err(why) => {
                    self.error(bad_literal(text, *span, why));
                    return None;
                }
            },
            ast::Expr::Nil(_) => Expr::Const(NIL, ANY_RECORD),
            ast::Expr::Record(fields, span) => {
                let mut lowered = Vec::with_capacity(fields.len());
                let spans = fields.iter().map(ast::Expr::span).collect();
                for f in fields {
                    lowered.push(match f {
                        // `[x, _]`: a field matched by anything.
                        ast::Expr::Wildcard(at) => Expr::Var(self.fresh(*at)),
                        f => self.lower_expr(f, scope, pending)?,
                    });
                }
                let var = self.fresh(*span);
                pending.push(Pending::Record { var, fields: lowered, spans, branch: None, span: *span });
                Expr::Var(var)
            }
            ast::Expr::Branch { name, args, span } => return self.lower_branch(name, args, *span, scope, pending),
            ast::Expr::Counter(span) => Expr::Call {
                func: Functor::lookup("autoinc").expect("autoinc is in the table"),
                args: Vec::new(),
                span: *span,
            },
            // The operand type is set by `typed`.
            ast::Expr::Unary { op, arg, .. } => {
                Expr::Unary(*op, Type::Number, Box::new(self.lower_expr(arg, scope, pending)?))
            }
            ast::Expr::Binary { op, lhs, rhs, .. } => {
                let mut terms = Vec::new();
                unchain(*op, rhs, &mut terms);
                if self.chain_depth + terms.len() > CHAIN_TERMS {
                    terms = vec![(*op, &**rhs)];
                }
                self.chain_depth += terms.len();
                let mut left = self.lower_expr(lhs, scope, pending);
                for (op, term) in terms.iter().copied() {
                    let right = self.lower_expr(term, scope, pending);
                    left = left.zip(right).map(|(l, r)| Expr::Binary(op, Type::Number, Box::new(l), Box::new(r)));
                }
                self.chain_depth -= terms.len();
                return left;
            }
            ast::Expr::Cast { arg, ty, .. } => {
                let inner = self.lower_expr(arg, scope, pending);
                let Some(&target) = self.checker.types.get(&ty.name) else {
                    let d = unknown_type(&ty.name, ty.span, &self.checker.types);
                    self.error(d);
                    return None;
                };
                Expr::Cast(Box::new(inner?), target)
            }
            ast::Expr::Call { func, args, span } => return self.lower_call((func, args, span), scope, pending, false),
            ast::Expr::Aggregate { func, target, body, span } => {
                return self.lower_aggregate(*func, target.as_deref(), body, *span, scope, pending);
            }
        })
    }

    /// Lowers an aggregate to a fresh variable, opening a scope (nested in `scope`) for its
    /// body, which is placed later as a pending literal.
    fn lower_aggregate(
        &mut self,
        func: AggregateFunc,
        target: Option<&'a ast::Expr>,
        body: &'a ast::Body,
        span: Span,
        scope: usize,
        pending: &mut Vec<Pending<'a>>,
    ) -> Option<Expr> {
        let mut conj = dnf(body)?;
        if conj.len() != 1 {
            self.error(
                Diagnostic::error(Code::Unsupported, "disjunction inside an aggregate is not supported")
                    .at(body.span(), "`;` here"),
            );
            return None;
        }
        let var = self.fresh(span);
        let body = conj.pop().unwrap_or_default();
        let mut names = BTreeSet::new();
        for lit in &body {
            collect_names(lit, &mut names);
        }
        let inside = grounded_names(&body);
        let mut own = BTreeSet::new();
        if let Some(t) = target {
            collect_expr_names(t, &mut names);
            own = target_names(t, &inside);
        }
        let witnesses = if scope == 0 { self.witnesses(&body, &inside, &own) } else { Vec::new() };
        if !witnesses.is_empty() && !matches!(func, AggregateFunc::Min | AggregateFunc::Max) {
            for (name, at) in witnesses {
                self.error(witness_error(func, &name, at));
            }
            return None;
        }
        let has_witnesses = !witnesses.is_empty();
        own.extend(witnesses.into_iter().map(|(name, _)| name));
        let inner = self.open_scope(scope, names, own);
        pending.push(Pending::Aggregate { var, func, target, body, scope: inner, span, witnesses: has_witnesses });
        Some(Expr::Var(var))
    }

    /// A new scope nested in `parent`.
    fn open_scope(&mut self, parent: usize, names: BTreeSet<String>, own: BTreeSet<String>) -> usize {
        self.scopes.push(HashMap::new());
        self.parents.push(Some(parent));
        self.names.push(names);
        self.own.push(own);
        self.scopes.len() - 1
    }

    /// The witnesses of an aggregate written in the rule's own body (Soufflé's
    /// `getWitnessVariables`): names of its body (outside nested aggregates) that its body
    /// grounds and the rule uses, but does not ground, outside it; not its target's names.
    /// Each with where the body first uses it.
    fn witnesses(
        &self,
        body: &[&ast::Literal],
        inside: &BTreeSet<String>,
        target_names: &BTreeSet<String>,
    ) -> Vec<(String, Span)> {
        let mut found: Vec<(String, Span)> = Vec::new();
        for lit in body {
            lit.for_each_var(false, &mut |id| {
                let name = &id.name;
                if inside.contains(name)
                    && self.names[0].contains(name)
                    && !self.grounded.contains(name)
                    && !target_names.contains(name)
                    && !found.iter().any(|(n, _)| n == name)
                {
                    found.push((name.clone(), id.span));
                }
            });
        }
        found
    }

    /// Lowers a functor call (`as_literal`: written as a body literal, which only conditions
    /// such as `match` may be).
    fn lower_call(
        &mut self,
        (func, args, span): (&ast::Ident, &'a [ast::Expr], &Span),
        scope: usize,
        pending: &mut Vec<Pending<'a>>,
        as_literal: bool,
    ) -> Option<Expr> {
        let Some(f) = Functor::lookup(&func.name) else {
            let mut d = Diagnostic::error(Code::Unsupported, format!("unknown or unsupported functor `{}`", func.name))
                .at(func.span, "not supported");
            if let Some(s) = did_you_mean(&func.name, functors::names()) {
                d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix::replace(
                    format!("change to `{s}`"),
                    func.span,
                    s,
                ));
            }
            self.error(d);
            return None;
        };
        if !f.takes(args.len()) {
            let n = args.len();
            let forms = f.overloads().map(|o| format!("`{}`", o.def().signature())).collect::<Vec<_>>();
            let arity = f.arity_text();
            self.error(
                Diagnostic::error(
                    Code::Syntax,
                    format!(
                        "`{}` takes {} argument{}, {n} given",
                        func.name,
                        arity,
                        plural(if arity == "1" { 1 } else { 2 })
                    ),
                )
                .at(*span, "wrong number of arguments")
                .with_help(forms.join(" or ")),
            );
            return None;
        }
        let lowered: Option<Vec<Expr>> = args.iter().map(|a| self.lower_expr(a, scope, pending)).collect();
        if f.is_generator() {
            let var = self.fresh(*span);
            pending.push(Pending::Range { var, args: lowered?, span: *span });
            return Some(Expr::Var(var));
        }
        if f.is_test() != as_literal {
            let message = if as_literal {
                format!("`{}` is not a condition; compare its value, as in `{}(...) = x`", func.name, func.name)
            } else {
                format!("`{}` is a condition: write it as a body literal, as in `{}(a, b)`", func.name, func.name)
            };
            self.error(Diagnostic::error(Code::TypeMismatch, message).at(*span, "here"));
            return None;
        }
        // The overload is chosen once the arguments' types are known (`typed`).
        Some(Expr::Call { func: f, args: lowered?, span: *span })
    }

    /// Places literals so each runs once its inputs are bound: positive atoms in written
    /// order, every other literal as early as possible.
    fn order_body(
        &mut self,
        atoms: Vec<ir::Atom>,
        mut pending: Vec<Pending<'a>>,
        bound: &mut Vec<bool>,
    ) -> Option<Vec<Lit>> {
        self.propagate_record_types(&atoms, &pending);
        let mut body = Vec::new();
        let mut atoms = atoms.into_iter();
        loop {
            // Place everything that has become placeable, repeatedly.
            loop {
                let mut progressed = false;
                let mut i = 0;
                while i < pending.len() {
                    if let Some(lit) = self.try_place(&pending[i], bound, atoms.len() > 0) {
                        pending.remove(i);
                        body.push(lit?);
                        body.append(&mut self.after);
                        progressed = true;
                    } else {
                        i += 1;
                    }
                }
                if !progressed {
                    break;
                }
            }
            let Some(atom) = atoms.next() else { break };
            for arg in &atom.args {
                if let Arg::Var(v) = arg {
                    grow(bound, *v);
                    bound[*v] = true;
                }
            }
            body.push(Lit::Atom(atom));
        }
        for p in &pending {
            self.report_unbound(p, bound);
        }
        if pending.is_empty() && !self.failed { Some(body) } else { None }
    }

    fn report_unbound(&mut self, p: &Pending<'a>, bound: &[bool]) {
        let mut vars = Vec::new();
        let what = match p {
            Pending::Negated(a) => {
                vars.extend(a.args.iter().filter_map(|a| if let Arg::Var(v) = a { Some(*v) } else { None }));
                "a negated atom"
            }
            Pending::Compare { lhs, rhs, .. } => {
                lhs.vars(&mut vars);
                rhs.vars(&mut vars);
                "a comparison"
            }
            Pending::Range { args, .. } => {
                args.iter().for_each(|a| a.vars(&mut vars));
                "`range`"
            }
            Pending::Record { fields, .. } => {
                fields.iter().for_each(|a| a.vars(&mut vars));
                "a record"
            }
            Pending::Aggregate { body, target, scope, .. } => {
                vars.extend(self.aggregate_inputs(body, *target, *scope));
                "an aggregate"
            }
        };
        let mut reported = false;
        for v in vars.into_iter().sorted_unstable().dedup() {
            if !bound.get(v).copied().unwrap_or(false) && !self.var_names[v].starts_with('$') {
                reported = true;
                let d = Diagnostic::error(
                    Code::Ungrounded,
                    format!("variable `{}` in {what} is not bound by any positive atom", self.var_names[v]),
                )
                .at(self.var_spans[v], "ungrounded")
                .with_help(format!(
                    "add a positive atom that binds `{}`, or replace it with a constant",
                    self.var_names[v]
                ))
                .with_fix(quote_fix(&self.var_names[v], self.var_spans[v]));
                let d = if matches!(p, Pending::Aggregate { .. }) {
                    d.with_note(
                        "a variable bound inside an aggregate is bound outside it only as the witness of a `min` or \
                         `max` written in the rule's own body, as in Soufflé",
                    )
                } else {
                    d
                };
                self.error(d);
            }
        }
        if !reported {
            let span = match p {
                Pending::Negated(a) => a.span,
                Pending::Compare { span, .. }
                | Pending::Range { span, .. }
                | Pending::Record { span, .. }
                | Pending::Aggregate { span, .. } => *span,
            };
            self.error(
                Diagnostic::error(Code::Ungrounded, format!("{what} uses values that no positive atom binds"))
                    .at(span, "ungrounded"),
            );
        }
    }

    fn is_bound(e: &Expr, bound: &[bool]) -> bool {
        let mut vars = Vec::new();
        e.vars(&mut vars);
        vars.iter().all(|&v| bound.get(v).copied().unwrap_or(false))
    }

    /// `None` if the literal must wait; `Some(None)` if placing it failed with an error.
    /// `atoms_left`: whether positive atoms remain to be placed. A literal that calls
    /// `autoinc()` waits for all of them, so that it runs once per binding of the whole
    /// body and each derived tuple gets its own number (as in Soufflé).
    fn try_place(&mut self, p: &Pending<'a>, bound: &mut Vec<bool>, atoms_left: bool) -> Option<Option<Lit>> {
        match p {
            Pending::Negated(atom) => {
                let ready =
                    atom.args.iter().all(|a| !matches!(a, Arg::Var(v) if !bound.get(*v).copied().unwrap_or(false)));
                ready.then(|| Some(Lit::Negated(atom.clone())))
            }
            Pending::Compare { op, lhs, rhs, span, lhs_span } => {
                self.place_compare((op, lhs, rhs), (span, lhs_span), bound, atoms_left)
            }
            Pending::Range { var, args, span } => {
                if !args.iter().all(|a| Self::is_bound(a, bound)) {
                    return None;
                }
                if atoms_left && args.iter().any(Expr::uses_autoinc) {
                    return None;
                }
                // One numeric type for all arguments: the first that is not a bare literal's.
                let first = args.iter().find(|a| !flexible(a)).and_then(|a| self.typed(a, *span));
                let ty = first.map_or(Type::Number, |(_, t)| if t.is_numeric() { t } else { Type::Number });
                let typed: Option<Vec<Expr>> =
                    args.iter().map(|a| self.expect_type(a, ty, *span, "a `range` argument")).collect();
                let Some(typed) = typed else { return Some(None) };
                self.unify(*var, ty, *span);
                grow(bound, *var);
                bound[*var] = true;
                let mut it = typed.into_iter();
                let (from, to, step) = (it.next()?, it.next()?, it.next());
                Some(Some(Lit::Range { var: *var, ty, from, to, step, span: *span }))
            }
            Pending::Record { var, fields, spans, branch, span } => {
                self.place_record(*var, (fields, spans, *branch), *span, bound)
            }
            Pending::Aggregate { var, func, target, body, scope, span, witnesses } => {
                if !self.aggregate_ready(body, *target, *scope, bound) {
                    return None;
                }
                let lit = self.place_aggregate(*var, *func, *target, body, *scope, *span, bound);
                if *witnesses && lit.is_some() {
                    match self.witness_copy(*var, *target, body, *scope, bound) {
                        Some(copy) => self.after = copy,
                        None => return Some(None),
                    }
                }
                Some(lit)
            }
        }
    }

    /// Places `lhs op rhs`: a filter once both sides are bound, an assignment `x = e` once
    /// `e` is; `None` while it must wait.
    fn place_compare(
        &mut self,
        (op, lhs, rhs): (&CompareOp, &Expr, &Expr),
        (span, lhs_span): (&Span, &Span),
        bound: &mut Vec<bool>,
        atoms_left: bool,
    ) -> Option<Option<Lit>> {
        if atoms_left && (lhs.uses_autoinc() || rhs.uses_autoinc()) {
            return None;
        }
        let (lb, rb) = (Self::is_bound(lhs, bound), Self::is_bound(rhs, bound));
        if lb && rb {
            let Some((lhs, lt, rhs, rt)) = self.typed_pair(lhs, rhs, (*lhs_span, *span)) else {
                return Some(None);
            };
            if !compatible(lt, rt) {
                let (l, r) = (self.type_name(lt), self.type_name(rt));
                let mut d = Diagnostic::error(Code::TypeMismatch, format!("cannot compare {l} with {r}"))
                    .at(*span, "operands of different types");
                if lt.is_numeric() && rt.is_numeric() {
                    d = d.with_help("convert one side, as in `to_float(x)`, `to_number(x)` or `to_unsigned(x)`");
                }
                self.error(d);
                return Some(None);
            }
            if matches!(lt, Type::Record(_)) && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                self.error(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("records compare only with `=` and `!=`, not `{}`", op.symbol()),
                    )
                    .at(*span, "records have no order"),
                );
                return Some(None);
            }
            let ty = if lt == ANY_RECORD { rt } else { lt };
            return Some(Some(Lit::Filter { op: *op, lhs, rhs, ty, span: *span }));
        }
        if *op != CompareOp::Eq {
            return None;
        }
        let (var, expr, espan) = match (lhs, rhs) {
            (Expr::Var(v), e) if !lb && rb => (*v, e, *span),
            (e, Expr::Var(v)) if lb && !rb => (*v, e, *lhs_span),
            _ => return None,
        };
        let hint = self.var_types[var].or_else(|| self.head_hints.get(&var).copied());
        let Some((expr, ty)) = self.typed_as(expr, espan, hint) else { return Some(None) };
        if ty == ANY_RECORD && self.var_types[var].is_none() {
            // `x = nil`: which record type x is must come from elsewhere.
            return None;
        }
        if ty != ANY_RECORD {
            self.unify(var, ty, *span);
        } else if !matches!(self.var_types[var], Some(Type::Record(_))) {
            let t = self.type_name(self.var_types[var].unwrap_or(Type::Symbol));
            self.error(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("`nil` is a record, but `{}` is {t}", self.var_names[var]),
                )
                .at(espan, "a record"),
            );
            return Some(None);
        }
        grow(bound, var);
        bound[var] = true;
        Some(Some(Lit::Assign { var, expr, span: *span }))
    }

    /// An aggregate is ready when its inputs ([`Self::aggregate_inputs`]) are bound.
    fn aggregate_ready(
        &self,
        body: &[&'a ast::Literal],
        target: Option<&'a ast::Expr>,
        scope: usize,
        bound: &[bool],
    ) -> bool {
        self.aggregate_inputs(body, target, scope).iter().all(|&v| bound.get(v).copied().unwrap_or(false))
    }

    /// The variables of enclosing scopes that an aggregate's body or target mentions
    /// (nested aggregates included).
    fn aggregate_inputs(&self, body: &[&'a ast::Literal], target: Option<&'a ast::Expr>, scope: usize) -> Vec<VarId> {
        let mut mentioned = BTreeSet::new();
        for lit in body {
            lit.for_each_var(true, &mut |id| {
                mentioned.insert(id.name.as_str());
            });
        }
        if let Some(t) = target {
            t.for_each_var(true, &mut |id| {
                mentioned.insert(id.name.as_str());
            });
        }
        mentioned
            .iter()
            .filter_map(|n| {
                let owner = self.owner(n, scope);
                if owner == scope { None } else { self.scopes[owner].get(*n).copied() }
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn place_aggregate(
        &mut self,
        var: VarId,
        func: AggregateFunc,
        target: Option<&'a ast::Expr>,
        body: &[&'a ast::Literal],
        scope: usize,
        span: Span,
        bound: &mut Vec<bool>,
    ) -> Option<Lit> {
        let target_ast = target;
        let mut atoms = Vec::new();
        let mut pending = Vec::new();
        for lit in body {
            self.lower_literal(lit, scope, &mut atoms, &mut pending);
        }
        let target_expr = match target {
            Some(t) => Some((self.lower_expr(t, scope, &mut pending)?, t.span())),
            None => None,
        };
        if self.failed {
            return None;
        }
        let mut inner_bound = bound.clone();
        let inner = self.order_body(atoms, pending, &mut inner_bound)?;
        let target = match target_expr {
            Some((e, tspan)) => {
                if !self.require_bound(&e, &inner_bound, "the aggregate's target", tspan) {
                    return None;
                }
                let (e, ty) = self.typed(&e, tspan)?;
                if !ty.is_numeric() {
                    self.error(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            format!("the aggregate's target is {} but a number is expected", article(ty)),
                        )
                        .at(tspan, "expected a number, an unsigned or a float"),
                    );
                    return None;
                }
                if func == AggregateFunc::Mean && ty != Type::Float {
                    self.error(mean_of_integers(ty, tspan));
                    return None;
                }
                Some((e, ty))
            }
            None if func != AggregateFunc::Count => {
                self.error(
                    Diagnostic::error(
                        Code::Syntax,
                        "this aggregate needs a target expression, as in `sum x : { ... }`",
                    )
                    .at(span, "no target"),
                );
                return None;
            }
            None => None,
        };
        // `sum`, `min`, `max` and `mean` have their target's type (a float for `mean`), as in
        // Soufflé.
        let ty = target.as_ref().map_or(Type::Number, |(_, t)| *t);
        let target = target.map(|(e, _)| e);
        self.unify(var, ty, span);
        grow(bound, var);
        bound[var] = true;
        let key = materialised(body, target_ast).then(|| {
            let mut key: Vec<VarId> = self.scopes[scope].values().copied().collect();
            key.sort_unstable();
            key
        });
        Some(Lit::Aggregate { var, func, target, ty, body: inner, key, span })
    }

    /// The literals that bind the witnesses of a `min`/`max` aggregate (`var`) written in
    /// the rule's body, placed right after it. As Soufflé's `GroundWitnesses` does, its body is
    /// copied into the rule with the target equal to the aggregate's value, so a witness takes
    /// each value of every binding that reaches the minimum or maximum (ties give several).
    /// The copy's names are the aggregate's: witnesses and names the rule grounds are the
    /// rule's; the target's and the other local names are the copy's own.
    fn witness_copy(
        &mut self,
        var: VarId,
        target: Option<&'a ast::Expr>,
        body: &[&'a ast::Literal],
        scope: usize,
        bound: &mut Vec<bool>,
    ) -> Option<Vec<Lit>> {
        let target = target?;
        let own = target_names(target, &grounded_names(body));
        let copy = self.open_scope(0, self.names[scope].clone(), own);
        self.copies.insert(copy);
        let (mut atoms, mut pending) = (Vec::new(), Vec::new());
        for lit in body {
            self.lower_literal(lit, copy, &mut atoms, &mut pending);
        }
        let value = self.lower_expr(target, copy, &mut pending)?;
        let span = target.span();
        pending.push(Pending::Compare { op: CompareOp::Eq, lhs: value, rhs: Expr::Var(var), span, lhs_span: span });
        self.order_body(atoms, pending, bound)
    }

    fn require_bound(&mut self, e: &Expr, bound: &[bool], place: &str, span: Span) -> bool {
        let mut vars = Vec::new();
        e.vars(&mut vars);
        let mut ok = true;
        for v in vars {
            if !bound.get(v).copied().unwrap_or(false) {
                ok = false;
                let (name, at) = (
                    self.var_names[v].clone(),
                    if self.var_names[v].starts_with('$') { span } else { self.var_spans[v] },
                );
                let mut d = Diagnostic::error(
                    Code::Ungrounded,
                    format!("variable `{name}` in {place} is not bound by any positive atom"),
                )
                .at(at, "ungrounded")
                .with_help(format!("add a positive body atom that binds `{name}`"));
                if !name.starts_with('$') {
                    d = d.with_fix(quote_fix(&name, at));
                }
                self.error(d);
            }
        }
        ok
    }

    /// The typed expression (see [`Self::typed`]) if it has type `ty`; otherwise reports
    /// the mismatch. Integer literals in it take type `ty` where they can.
    fn expect_type(&mut self, e: &Expr, ty: Type, span: Span, what: &str) -> Option<Expr> {
        let (e, t) = self.typed_as(e, span, Some(ty))?;
        if t == ANY_RECORD && self.is_adt(ty) {
            let name = ty.name_in(&self.checker.symbols.records);
            self.error(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("`nil` is not a value of `{name}`, an algebraic data type"),
                )
                .at(span, "a branch is expected"),
            );
            return None;
        }
        if !compatible(t, ty) {
            let (found, wanted) = (self.type_name(t), self.type_name(ty));
            self.error(
                Diagnostic::error(Code::TypeMismatch, format!("{what} is {found} but {wanted} is expected"))
                    .at(span, format!("expected {wanted}")),
            );
            return None;
        }
        Some(e)
    }

    /// A bound expression with each functor call resolved to the overload that its
    /// arguments' types select, each operator typed, and its type; constants are typed by
    /// their literal. A call whose arguments no overload takes is reported at the call
    /// (`None`).
    fn typed(&mut self, e: &Expr, span: Span) -> Option<(Expr, Type)> {
        self.typed_as(e, span, None)
    }

    /// [`Self::typed`], with integer literals typed `hint` where they can be (see
    /// [`flexible`]), as Soufflé types a literal by its use.
    fn typed_as(&mut self, e: &Expr, span: Span, hint: Option<Type>) -> Option<(Expr, Type)> {
        Some(match e {
            Expr::Var(v) => (e.clone(), self.var_types[*v].unwrap_or(Type::Symbol)),
            Expr::Const(c, Type::Number) => match hint.and_then(|h| Some((retyped_literal(*c, h)?, h))) {
                Some((c, h)) => (Expr::Const(c, h), h),
                None => (e.clone(), Type::Number),
            },
            Expr::Const(_, ty) => (e.clone(), *ty),
            Expr::Record(t, _) => (e.clone(), Type::Record(*t)),
            Expr::Field { ty, .. } => (e.clone(), *ty),
            Expr::Cast(a, ty) => return self.typed_cast(a, *ty, span),
            Expr::Unary(op, _, a) => {
                let hint = hint.filter(|&h| functors::unary_applies(*op, h));
                let (a, t) = self.typed_as(a, span, hint)?;
                if !functors::unary_applies(*op, t) {
                    let text = match op {
                        ast::UnaryOp::Neg => "-",
                        ast::UnaryOp::Bnot => "bnot",
                        ast::UnaryOp::Lnot => "lnot",
                    };
                    self.error(self.operator_error(text, &[t], span));
                    return None;
                }
                (Expr::Unary(*op, t, Box::new(a)), t)
            }
            Expr::Binary(op, _, a, b) => return self.typed_binary(*op, (a, b), span, hint),
            Expr::Call { func, args, span: at } => return self.typed_call(*func, args, *at),
        })
    }

    /// `a op b`: both operands of one numeric type (a literal side takes the other's).
    fn typed_binary(
        &mut self,
        op: BinaryOp,
        (a, b): (&Expr, &Expr),
        span: Span,
        hint: Option<Type>,
    ) -> Option<(Expr, Type)> {
        let hint = hint.filter(|&h| functors::operator_applies(op, h));
        let (ta, tb) = (self.typed_as(a, span, hint), self.typed_as(b, span, hint));
        let ((mut ea, mut ta), (mut eb, mut tb)) = (ta?, tb?);
        if ta != tb && flexible(a) && functors::operator_applies(op, tb) {
            (ea, ta) = self.typed_as(a, span, Some(tb))?;
        } else if ta != tb && flexible(b) && functors::operator_applies(op, ta) {
            (eb, tb) = self.typed_as(b, span, Some(ta))?;
        }
        if op == BinaryOp::Add && ta == Type::Symbol && tb == Type::Symbol {
            // Soufflé 2.4 reads `+` on two symbols as `cat` (souffle-lang/souffle#2431).
            let cat = functors::Functor::lookup("cat").expect("cat is in the functor table");
            return Some((Expr::Call { func: cat, args: vec![ea, eb], span }, Type::Symbol));
        }
        if ta == Type::Symbol || tb == Type::Symbol {
            let t = if ta == Type::Symbol { ta } else { tb };
            self.error(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("an arithmetic operand is {} but a number is expected", article(t)),
                )
                .at(span, "expected a number"),
            );
            return None;
        }
        if ta != tb || !functors::operator_applies(op, ta) {
            // `x % 2` with a float `x`: the literal would be a float too.
            let types = match (flexible(a), flexible(b)) {
                (false, true) => [ta, ta],
                (true, false) => [tb, tb],
                _ => [ta, tb],
            };
            let d = self.operator_error(crate::lang::fmt::binary_op(op), &types, span);
            self.error(d);
            return None;
        }
        Some((Expr::Binary(op, ta, Box::new(ea), Box::new(eb)), ta))
    }

    /// An operator used on operands of types it does not take (mixed, or `%` on floats).
    fn operator_error(&self, op: &str, types: &[Type], span: Span) -> Diagnostic {
        let mixed = types.len() == 2 && types[0] != types[1];
        let given = match types[0] {
            _ if mixed => types.iter().map(|&t| article(t)).join(" and "),
            Type::Unsigned => "unsigned numbers".to_string(),
            t => format!("{}s", t.name()),
        };
        let d = Diagnostic::error(Code::TypeMismatch, format!("`{op}` cannot be applied to {given}")).at(
            span,
            match types.len() {
                _ if mixed => "operands of different types",
                1 => "operand of this type",
                _ => "operands of this type",
            },
        );
        if mixed {
            d.with_help("convert one operand, as in `to_float(x)`, `to_number(x)` or `to_unsigned(x)`")
        } else if op == "-" {
            d.with_help("an unsigned number has no negation; convert it with `to_number(x)` first")
        } else {
            d.with_help("bitwise, logical and `%` operators take numbers or unsigned numbers, not floats")
        }
    }

    /// `as(e, ty)`: the same bits seen as another numeric type (Soufflé's `as` converts
    /// nothing); between a symbol and a number it would expose interning order, so stance
    /// rejects it.
    fn typed_cast(&mut self, a: &Expr, ty: Type, span: Span) -> Option<(Expr, Type)> {
        let (e, from) = self.typed_as(a, span, Some(ty))?;
        // The cast stays: a head argument `as(x, Country)` is not a variable, so it escapes
        // the subset-type check (the narrowing Soufflé's `as` is for), and a cast to a float
        // makes its NaNs the one NaN a float cell stores (see `value::from_float`).
        if from == ty || (from.is_numeric() && ty.is_numeric()) {
            return Some((Expr::Cast(Box::new(e), ty), ty));
        }
        let convert = if ty == Type::Symbol { "to_string".to_string() } else { format!("to_{}", ty.name()) };
        self.error(
            Diagnostic::error(Code::TypeMismatch, format!("`as` cannot turn {} into {}", article(from), article(ty)))
                .at(span, "cast between a symbol and a number")
                .with_help(format!("convert the value with `{convert}(...)`")),
        );
        None
    }

    /// Both sides of a comparison, typed; an integer literal side takes the other side's type.
    fn typed_pair(&mut self, lhs: &Expr, rhs: &Expr, (lspan, rspan): (Span, Span)) -> Option<(Expr, Type, Expr, Type)> {
        let (l, r) = (self.typed(lhs, lspan), self.typed(rhs, rspan));
        let ((mut le, mut lt), (mut re, mut rt)) = (l?, r?);
        if lt != rt && flexible(lhs) {
            (le, lt) = self.typed_as(lhs, lspan, Some(rt))?;
        } else if lt != rt && flexible(rhs) {
            (re, rt) = self.typed_as(rhs, rspan, Some(lt))?;
        }
        Some((le, lt, re, rt))
    }

    /// A functor call, resolved to the overload its arguments' types select (integer
    /// literals among them taking the parameter's type if that selects one).
    fn typed_call(&mut self, func: Functor, args: &[Expr], at: Span) -> Option<(Expr, Type)> {
        let typed: Vec<Option<(Expr, Type)>> = args.iter().map(|a| self.typed(a, at)).collect();
        let mut typed: Vec<(Expr, Type)> = typed.into_iter().collect::<Option<_>>()?;
        let mut types: Vec<Type> = typed.iter().map(|(_, t)| *t).collect();
        let f = match func.resolve(&types) {
            Some(f) => f,
            None => {
                let retyped = func.overloads().filter(|o| o.def().takes(args.len())).find_map(|o| {
                    let retyped: Vec<(Expr, Type)> = args
                        .iter()
                        .zip(&typed)
                        .enumerate()
                        .map(|(i, (a, (e, t)))| match (*t == o.def().param(i), flexible(a)) {
                            (true, _) => Some((e.clone(), *t)),
                            (false, true) => {
                                let c = retyped_literal_expr(a, o.def().param(i))?;
                                Some((c, o.def().param(i)))
                            }
                            (false, false) => None,
                        })
                        .collect::<Option<_>>()?;
                    Some((o, retyped))
                });
                let Some((f, retyped)) = retyped else {
                    self.functor_type_error(func, &types, at);
                    return None;
                };
                typed = retyped;
                types = typed.iter().map(|(_, t)| *t).collect();
                debug_assert_eq!(f.resolve(&types), Some(f));
                f
            }
        };
        let args = typed.into_iter().map(|(e, _)| e).collect();
        Some((Expr::Call { func: f, args, span: at }, f.def().result))
    }

    /// `$Circle(r)`: a fresh variable of the branch's type, built or matched by a pending
    /// literal whose first field is the branch's index.
    fn lower_branch(
        &mut self,
        name: &'a ast::Ident,
        args: &'a [ast::Expr],
        span: Span,
        scope: usize,
        pending: &mut Vec<Pending<'a>>,
    ) -> Option<Expr> {
        let Some(&(t, b)) = self.checker.branches.get(&name.name) else {
            let mut d = Diagnostic::error(Code::UnknownType, format!("unknown branch `${}`", name.name))
                .at(name.span, "no algebraic data type has this branch");
            if let Some(s) = did_you_mean(&name.name, self.checker.branches.keys().map(String::as_str)) {
                d = d.with_help(format!("did you mean `${s}`?"));
            }
            self.error(d);
            return None;
        };
        let mut fields = vec![Expr::Const(from_number(b as i32), Type::Number)];
        let mut spans = vec![name.span];
        for a in args {
            spans.push(a.span());
            fields.push(match a {
                ast::Expr::Wildcard(at) => Expr::Var(self.fresh(*at)),
                a => self.lower_expr(a, scope, pending)?,
            });
        }
        let var = self.fresh(span);
        self.var_types[var] = Some(Type::Record(t));
        pending.push(Pending::Record { var, fields, spans, branch: Some(b), span });
        Some(Expr::Var(var))
    }

    /// Gives record types to the variables that can only get them from another: the sides of
    /// `x = y` or `x != y` and the fields of a record of known type (`[1, [2, nil]]`), so that a record
    /// can be built before anything binds the variable it is compared with.
    fn propagate_record_types(&mut self, atoms: &[ir::Atom], pending: &[Pending<'a>]) {
        for atom in atoms {
            let types = &self.checker.program.relations[atom.rel].types;
            for (arg, ty) in atom.args.iter().zip(types) {
                if let (Arg::Var(v), Type::Record(_)) = (arg, ty)
                    && self.var_types[*v].is_none()
                {
                    self.var_types[*v] = Some(*ty);
                }
            }
        }
        let is_record = |t: Option<Type>| matches!(t, Some(Type::Record(r)) if Type::Record(r) != ANY_RECORD);
        loop {
            let mut changed = false;
            for p in pending {
                let mut pairs: Vec<(VarId, Type)> = Vec::new();
                match p {
                    // `!=` too: both sides of a comparison have one type (`x != ["a", "b"]`).
                    Pending::Compare {
                        op: CompareOp::Eq | CompareOp::Ne,
                        lhs: Expr::Var(a),
                        rhs: Expr::Var(b),
                        ..
                    } => {
                        for (x, y) in [(*a, *b), (*b, *a)] {
                            if let Some(t) = self.var_types[x].filter(|_| is_record(self.var_types[x])) {
                                pairs.push((y, t));
                            }
                        }
                    }
                    Pending::Record { var, fields, branch, .. } => {
                        if let Some(Type::Record(t)) = self.var_types[*var].filter(|_| is_record(self.var_types[*var]))
                        {
                            let ty = self.checker.symbols.records.ty(t);
                            let (def, fields) = match branch {
                                Some(b) => (ty.branches.get(*b).map_or(&[][..], |(_, f)| &f[..]), &fields[1..]),
                                None => (&ty.fields[..], &fields[..]),
                            };
                            for (f, (_, ft)) in fields.iter().zip(def) {
                                if let (Expr::Var(x), Type::Record(_)) = (f, ft) {
                                    pairs.push((*x, *ft));
                                }
                            }
                        }
                    }
                    _ => {}
                }
                for (v, t) in pairs {
                    if self.var_types[v].is_none() {
                        self.var_types[v] = Some(t);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Whether `t` is an algebraic data type (whose values are branches, never `nil`).
    fn is_adt(&self, t: Type) -> bool {
        matches!(t, Type::Record(r) if r != u16::MAX && !self.checker.symbols.records.ty(r).branches.is_empty())
    }

    /// A type's name in messages, with its article: `a number`, `an unsigned`, `a \`Pair\`
    /// record`, `\`nil\``.
    fn type_name(&self, t: Type) -> String {
        match t {
            ANY_RECORD => "`nil`".to_string(),
            Type::Record(_) => format!("a `{}` record", t.name_in(&self.checker.symbols.records)),
            t => article(t),
        }
    }

    /// Places `var = [fields]` (see [`Pending::Record`]): a match once `var` is bound, a
    /// build once every field is; `None` while neither holds.
    fn place_record(
        &mut self,
        var: VarId,
        (fields, spans, branch): (&[Expr], &[Span], Option<usize>),
        span: Span,
        bound: &mut Vec<bool>,
    ) -> Option<Option<Lit>> {
        let var_bound = bound.get(var).copied().unwrap_or(false);
        if !var_bound && !fields.iter().all(|f| Self::is_bound(f, bound)) {
            return None;
        }
        let Some((t, what, layout)) = self.record_layout(var, branch, fields.len(), span) else { return Some(None) };
        if !var_bound {
            // [a, b] (or $B(a, b)) built from bound fields.
            let typed: Vec<Option<Expr>> = fields
                .iter()
                .zip(spans)
                .zip(&layout)
                .map(|((f, at), (name, ft))| self.expect_type(f, *ft, *at, &format!("field `{name}` of {what}")))
                .collect();
            let Some(typed) = typed.into_iter().collect() else { return Some(None) };
            grow(bound, var);
            bound[var] = true;
            return Some(Some(Lit::Assign { var, expr: Expr::Record(t, typed), span }));
        }
        // x = [a, b] with x bound: not nil, then each field matched (a branch's index
        // first) or bound.
        let mut lits = vec![Lit::Filter {
            op: CompareOp::Ne,
            lhs: Expr::Var(var),
            rhs: Expr::Const(NIL, Type::Record(t)),
            ty: Type::Record(t),
            span,
        }];
        for (index, ((f, at), (name, ft))) in fields.iter().zip(spans).zip(&layout).enumerate() {
            let field = Expr::Field { record: Box::new(Expr::Var(var)), index, ty: *ft };
            match f {
                Expr::Var(x) if !bound.get(*x).copied().unwrap_or(false) => {
                    self.unify(*x, *ft, *at);
                    grow(bound, *x);
                    bound[*x] = true;
                    lits.push(Lit::Assign { var: *x, expr: field, span: *at });
                }
                f if Self::is_bound(f, bound) => {
                    let Some(f) = self.expect_type(f, *ft, *at, &format!("field `{name}` of {what}")) else {
                        return Some(None);
                    };
                    lits.push(Lit::Filter { op: CompareOp::Eq, lhs: f, rhs: field, ty: *ft, span: *at });
                }
                _ => {
                    self.error(
                        Diagnostic::error(
                            Code::Ungrounded,
                            format!("field `{name}` of this {what} pattern is an expression of unbound variables"),
                        )
                        .at(*at, "not bound when the record is matched")
                        .with_help("match the field with a variable, then compute from it"),
                    );
                    return Some(None);
                }
            }
        }
        let first = lits.remove(0);
        self.after.extend(lits);
        Some(Some(first))
    }

    /// The record type of `var` (built or matched by a `[...]`, or by branch `branch` of an
    /// algebraic data type), its name for messages, and its fields' names and types (a
    /// branch's index first), checked against the `given` fields; `None` after an error.
    fn record_layout(
        &mut self,
        var: VarId,
        branch: Option<usize>,
        given: usize,
        span: Span,
    ) -> Option<(u16, String, Layout)> {
        let Some(Type::Record(t)) = self.var_types[var].filter(|t| *t != ANY_RECORD) else {
            let d = match self.var_types[var] {
                Some(other) => Diagnostic::error(
                    Code::TypeMismatch,
                    format!("a record where {} is expected", self.type_name(other)),
                )
                .at(span, format!("expected {}", self.type_name(other))),
                None => Diagnostic::error(Code::TypeMismatch, "cannot tell which record type this record is")
                    .at(span, "record of unknown type")
                    .with_help("use it in a column of a record type, or compare it with a variable of one"),
            };
            self.error(d);
            return None;
        };
        let def = self.checker.symbols.records.ty(t).clone();
        let (what, layout): (String, Layout) = match branch {
            Some(b) => {
                let (name, fields) = def.branches[b].clone();
                (format!("`${name}`"), std::iter::once(("$branch".to_string(), Type::Number)).chain(fields).collect())
            }
            None if !def.branches.is_empty() => {
                let first = &def.branches[0].0;
                self.error(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("`{}` is an algebraic data type: build or match it with a branch", def.name),
                    )
                    .at(span, "a record")
                    .with_help(format!("write a branch such as `${first}(...)`")),
                );
                return None;
            }
            None => (format!("`{}`", def.name), def.fields),
        };
        let tag = usize::from(branch.is_some());
        if layout.len() != given {
            let (want, got) = (layout.len() - tag, given - tag);
            self.error(
                Diagnostic::error(
                    Code::ArityMismatch,
                    format!("{what} has {want} field{}, but {got} given here", plural(want)),
                )
                .at(span, format!("{got} field{}", plural(got))),
            );
            return None;
        }
        Some((t, what, layout))
    }

    /// No overload of `func` takes arguments of these types.
    fn functor_type_error(&mut self, func: Functor, types: &[Type], span: Span) {
        let name = func.def().name;
        let forms: Vec<String> = func.overloads().map(|o| format!("`{}`", o.def().signature())).collect();
        let single = func.overloads().count() == 1;
        let wrong = (0..types.len()).find(|&i| types[i] != func.def().param(i));
        let d = match wrong {
            Some(i) if single => {
                let (expected, found) = (func.def().param(i), types[i]);
                let convert = match expected {
                    Type::Symbol | Type::Record(_) => "to_string",
                    Type::Number => "to_number",
                    Type::Unsigned => "to_unsigned",
                    Type::Float => "to_float",
                };
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!(
                        "argument {} of `{name}` is {}, but `{name}` takes {} there",
                        i + 1,
                        article(found),
                        article(expected)
                    ),
                )
                .at(span, forms.join(" or "))
                .with_help(if func.def().params.len() == 1 && func.def().result == found {
                    format!("it is {} already: leave out `{name}`", article(found))
                } else {
                    format!("convert it with `{convert}(...)`")
                })
            }
            _ => {
                let given = types.iter().map(|t| t.name()).join(", ");
                Diagnostic::error(Code::TypeMismatch, format!("`{name}` does not take ({given})"))
                    .at(span, "arguments of these types")
                    .with_help(format!("it takes {}", forms.join(" or ")))
            }
        };
        self.error(d);
    }
}

/// A record's fields as `check` sees them: (name, type), a branch's index first.
type Layout = Vec<(String, Type)>;

/// The type of `nil` before its context says which record type it is.
const ANY_RECORD: Type = Type::Record(u16::MAX);

/// Whether a value of type `a` may stand where a `b` is expected: the same type, or `nil`
/// where any record is.
fn compatible(a: Type, b: Type) -> bool {
    a == b || (a == ANY_RECORD && matches!(b, Type::Record(_))) || (b == ANY_RECORD && matches!(a, Type::Record(_)))
}

fn grow(bound: &mut Vec<bool>, v: VarId) {
    if bound.len() <= v {
        bound.resize(v + 1, false);
    }
}

use crate::base::diag::plural;

fn collect_outer_names(head: &ast::Atom, conj: &[&ast::Literal], out: &mut BTreeSet<String>) {
    for a in &head.args {
        collect_expr_names(a, out);
    }
    for lit in conj {
        collect_names(lit, out);
    }
}

/// The variable names a conjunction grounds, as Soufflé's grounding analysis sees them
/// (syntactically): the variables that are arguments of its positive atoms, then, to a
/// fixpoint, a variable equated to an expression whose variables are all grounded (an
/// aggregate's value and a `range` over grounded bounds count as grounded).
pub(crate) fn grounded_names(conj: &[&ast::Literal]) -> BTreeSet<String> {
    let mut grounded = BTreeSet::new();
    for lit in conj {
        if let ast::Literal::Atom(a) = lit {
            grounded.extend(a.args.iter().filter_map(|e| match e {
                ast::Expr::Var(id) => Some(id.name.clone()),
                _ => None,
            }));
        }
    }
    loop {
        let before = grounded.len();
        for lit in conj {
            if let ast::Literal::Compare { op: CompareOp::Eq, lhs, rhs, .. } = lit {
                for (side, other) in [(lhs, rhs), (rhs, lhs)] {
                    let mut all = true;
                    other.for_each_var(false, &mut |id| all &= grounded.contains(&id.name));
                    if let (ast::Expr::Var(id), true) = (side, all) {
                        grounded.insert(id.name.clone());
                    }
                }
            }
        }
        if grounded.len() == before {
            return grounded;
        }
    }
}

/// The names of an aggregate's target that are its own, whatever the rule around it uses:
/// those its body grounds (Soufflé renames the target's variables apart from the rule's, so
/// `t = sum s : { a(n, s) }` sums every `s` of `a(n, _)` even where the rule binds an `s`).
/// A target name the body does not ground is the enclosing scope's, as Soufflé's
/// documentation has it (`sum x + y : { b(y) }` with `x` bound outside).
pub(crate) fn target_names(target: &ast::Expr, grounded_inside: &BTreeSet<String>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect_expr_names(target, &mut names);
    names.retain(|n| grounded_inside.contains(n));
    names
}

/// Whether Soufflé materialises an aggregate's body into a relation of its variables
/// (`MaterializeAggregationQueries`), so that the aggregate ranges over their distinct
/// bindings rather than over tuples: when the body has more than one positive atom, a
/// nested aggregate or a `range`, or repeats a variable in its one atom.
fn materialised(body: &[&ast::Literal], target: Option<&ast::Expr>) -> bool {
    let atoms: Vec<&ast::Atom> =
        body.iter().filter_map(|l| if let ast::Literal::Atom(a) = l { Some(a) } else { None }).collect();
    if atoms.len() > 1 {
        return true;
    }
    let mut exprs: Vec<&ast::Expr> = target.into_iter().collect();
    for lit in body {
        match lit {
            ast::Literal::Atom(a) | ast::Literal::Negated(a, _) => exprs.extend(&a.args),
            ast::Literal::Compare { lhs, rhs, .. } => exprs.extend([lhs, rhs]),
            ast::Literal::Predicate { args, .. } => exprs.extend(args),
            ast::Literal::Bool(..) => {}
        }
    }
    if exprs.iter().any(|e| nests_aggregate_or_range(e)) {
        return true;
    }
    atoms.first().is_some_and(|a| {
        let (mut seen, mut repeated) = (BTreeSet::new(), false);
        for arg in &a.args {
            arg.for_each_var(false, &mut |id| repeated |= !seen.insert(id.name.as_str()));
        }
        repeated
    })
}

/// Whether an expression holds an aggregate or a `range` call.
fn nests_aggregate_or_range(e: &ast::Expr) -> bool {
    match e {
        ast::Expr::Aggregate { .. } => true,
        ast::Expr::Call { func, args, .. } => func.name == "range" || args.iter().any(nests_aggregate_or_range),
        ast::Expr::Unary { arg, .. } | ast::Expr::Cast { arg, .. } => nests_aggregate_or_range(arg),
        ast::Expr::Binary { lhs, rhs, .. } => nests_aggregate_or_range(lhs) || nests_aggregate_or_range(rhs),
        ast::Expr::Var(_)
        | ast::Expr::Wildcard(_)
        | ast::Expr::Number(..)
        | ast::Expr::Float(..)
        | ast::Expr::Str(..)
        | ast::Expr::Nil(_)
        | ast::Expr::Counter(_) => false,
        ast::Expr::Record(fields, _) | ast::Expr::Branch { args: fields, .. } => {
            fields.iter().any(nests_aggregate_or_range)
        }
    }
}

/// A `count`, `sum` or `mean` whose body would export a binding (`name`, first used at `at`)
/// to the rule around it: Soufflé's "witness problem".
fn witness_error(func: AggregateFunc, name: &str, at: Span) -> Diagnostic {
    let keyword = func.keyword();
    Diagnostic::error(
        Code::Ungrounded,
        format!("variable `{name}` is bound only inside this `{keyword}` aggregate, but the rule uses it outside"),
    )
    .at(at, format!("bound inside the `{keyword}`"))
    .with_help(format!(
        "a `{keyword}` has no single binding of its body to give `{name}`; only `min` and `max` export \
         one (each binding that reaches the minimum or maximum), as in Soufflé. Bind `{name}` \
         outside the aggregate, or rename it inside"
    ))
}

/// A `mean` over an integer target: Soufflé types `mean` and its target as `float`.
fn mean_of_integers(ty: Type, at: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TypeMismatch,
        format!("the `mean` aggregate's target is {} but a float is expected", article(ty)),
    )
    .at(at, "expected a float")
    .with_help("`mean` averages floats, as in Soufflé; convert the target, as in `mean to_float(x) : { ... }`")
}

/// Variable names in a literal, not descending into aggregate bodies.
fn collect_names(lit: &ast::Literal, out: &mut BTreeSet<String>) {
    lit.for_each_var(false, &mut |id| {
        out.insert(id.name.clone());
    });
}

fn collect_expr_names(e: &ast::Expr, out: &mut BTreeSet<String>) {
    e.for_each_var(false, &mut |id| {
        out.insert(id.name.clone());
    });
}

/// A bare word meant as a constant (`backs(x, Haftar)`): write it as the string `"Haftar"`.
pub fn quote_fix(name: &str, span: Span) -> Fix {
    Fix::replace(format!("quote `{name}` as a constant"), span, crate::lang::fmt::quote(name))
}
