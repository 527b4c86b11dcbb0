//! From syntax to a checked program: resolve names and types, expand disjunctions and
//! multi-head rules, order each body so every literal's inputs are bound before it runs
//! (reporting the variables nothing binds), and stratify negation and aggregation.

use crate::base::diag::{Code, Diagnostic, Edit, Fix, did_you_mean};
use crate::base::source::Span;
use crate::base::value::{Symbols, Type, from_number};
use crate::lang::functors::{self, Functor};
use crate::lang::ir::{self, Arg, Expr, IoSpec, Lit, RelId, VarId};
use crate::lang::syntax::ast::{self, AggregateFunc, CompareOp, DirectiveKind, Item, ParamValue};
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
    for rule in c.eqrel_rules(files) {
        c.lower_rule(&rule);
    }
    if !c.diags.iter().any(Diagnostic::is_error) {
        c.check_subtypes(files);
    }
    if !c.diags.iter().any(Diagnostic::is_error) {
        c.stratify();
    }
    (c.program, c.diags)
}

struct Checker<'s> {
    program: ir::Program,
    diags: Vec<Diagnostic>,
    /// Declared type names → the base type they stand for.
    types: BTreeMap<String, Type>,
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
        let decls: Vec<&ast::TypeDecl> = files
            .iter()
            .flat_map(|f| &f.items)
            .filter_map(|i| if let Item::Type(t) = i { Some(t) } else { None })
            .collect();
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
                                    format!("type `{}` mixes symbols and numbers", t.name.name),
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
    }

    /// The closure rules of every `eqrel` relation (Soufflé's equivalence relations), each
    /// located at its `eqrel` qualifier so that a proof through one names it:
    /// `r(x, x) :- r(x, _).`, `r(y, x) :- r(x, y).`, `r(x, z) :- r(x, y), r(y, z).`
    /// Unlike Soufflé (a union-find), the closure is materialised: every pair is a tuple
    /// with a derivation, which proofs need. `choice-domain` is refused here by name.
    fn eqrel_rules(&mut self, files: &[ast::File]) -> Vec<ast::Rule> {
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
                    heads: vec![head],
                    body: Some(ast::Body::And(body, span)),
                    doc: Vec::new(),
                    span,
                };
                rules.push(rule(atom(var("x"), var("x")), vec![lit(atom(var("x"), ast::Expr::Wildcard(span)))]));
                rules.push(rule(atom(var("y"), var("x")), vec![lit(atom(var("x"), var("y")))]));
                rules.push(rule(
                    atom(var("x"), var("z")),
                    vec![lit(atom(var("x"), var("y"))), lit(atom(var("y"), var("z")))],
                ));
            }
        }
        rules
    }

    /// Soufflé 2's rule for subset types and unions: a variable's type is what the positive
    /// body atoms it occurs in agree on (the most specific of their column types), and in a
    /// head or a negated atom it must be a subtype of the column's type. So a `Country`
    /// cannot flow into a `Militia` column, nor a plain `symbol` into a `Country` one
    /// (Soufflé asks for `as(x, Country)`, which stance does not have yet); a `Country` goes
    /// into a union `Actor = Country | Militia` or a `symbol` column.
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

    /// Resolves a relation name, reporting an unknown one with a "did you mean" (or, for an
    /// atom, a `.decl` to add after its rule, columns typed by the constants given).
    fn lookup_relation(&mut self, name: &ast::Ident, atom: Option<&ast::Atom>) -> Option<RelId> {
        if let Some(id) = self.program.relation_id(&name.name) {
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
        let mut values = Vec::new();
        let mut types = Vec::new();
        for arg in &head.args {
            match arg {
                ast::Expr::Number(n, _) => {
                    values.push(from_number(*n));
                    types.push(Type::Number);
                }
                ast::Expr::Str(s, _) => {
                    values.push(self.symbols.intern(s));
                    types.push(Type::Symbol);
                }
                _ => return false,
            }
        }
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
        for ((ty, expected), arg) in types.iter().zip(decl.types.clone()).zip(&head.args) {
            if *ty != expected {
                self.error(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "a {} constant in a `{}` column of `{}`",
                            ty.name(),
                            expected.name(),
                            head.relation.name
                        ),
                    )
                    .at(arg.span(), format!("expected a {}", expected.name())),
                );
                return true;
            }
        }
        self.program.facts.push(ir::Fact { rel, values, span });
        true
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

fn unknown_type(name: &str, span: Span, types: &BTreeMap<String, Type>) -> Diagnostic {
    let (code, msg) = match name {
        "float" | "unsigned" => {
            (Code::Unsupported, format!("type `{name}` is not supported (use `number`, a signed 32-bit integer)"))
        }
        _ => (Code::UnknownType, format!("unknown type `{name}`")),
    };
    let mut d = Diagnostic::error(code, msg).at(span, "this type");
    if let Some(s) = did_you_mean(name, types.keys().map(String::as_str)) {
        d = d.with_help(format!("did you mean `{s}`?")).with_fix(Fix::replace(format!("change to `{s}`"), span, s));
    }
    d
}

/// The columns of a `.decl` written for an atom: each named after its variable (else `cN`),
/// typed `number` for a number given, `symbol` otherwise.
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
            let ty = if matches!(arg, ast::Expr::Number(..)) { "number" } else { "symbol" };
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

    /// The primitive type (`symbol`, `number`) under `name`: a union's is its members'
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
        if b == "symbol" || b == "number" {
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
        _ => Some(format!(
            "unknown parameter `{key}` (known: filename, delimiter, headers, rfc4180, comment, compress, IO)"
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
        let mut bound = vec![false; self.var_names.len()];
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
                ast::Expr::Number(n, _) => Arg::Const(from_number(*n)),
                ast::Expr::Str(s, _) => Arg::Const(self.checker.symbols.intern(s)),
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
        for ((arg, ty), expr) in args.iter().zip(&types).zip(&a.args) {
            match arg {
                Arg::Var(v) => self.unify(*v, *ty, expr.span()),
                Arg::Const(_) => {
                    let is_number = matches!(expr, ast::Expr::Number(..));
                    if is_number != (*ty == Type::Number) {
                        self.error(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!(
                                    "a {} constant in a `{}` column of `{}`",
                                    if is_number { "number" } else { "symbol" },
                                    ty.name(),
                                    a.relation.name
                                ),
                            )
                            .at(expr.span(), format!("expected a {}", ty.name())),
                        );
                    }
                }
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
                    format!("this expression is a {}, but the column it fills is a {}", ty.name(), t.name()),
                )
                .at(self.var_spans[v], format!("expected a {}", t.name())),
            ),
            Some(t) => {
                let first = self.var_spans[v];
                self.error(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!(
                            "variable `{}` is used as a {} here but as a {} before",
                            self.var_names[v],
                            ty.name(),
                            t.name()
                        ),
                    )
                    .at(span, format!("used as a {}", ty.name()))
                    .with_secondary(first, format!("used as a {} here", t.name())),
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
            ast::Expr::Float(text, span) => {
                self.error(
                    Diagnostic::error(
                        Code::Unsupported,
                        format!("float literal `{text}` is not supported (numbers are 32-bit integers)"),
                    )
                    .at(*span, "float literal"),
                );
                return None;
            }
            ast::Expr::Counter(span) => Expr::Call {
                func: Functor::lookup("autoinc").expect("autoinc is in the table"),
                args: Vec::new(),
                span: *span,
            },
            ast::Expr::Unary { op, arg, .. } => Expr::Unary(*op, Box::new(self.lower_expr(arg, scope, pending)?)),
            ast::Expr::Binary { op, lhs, rhs, .. } => {
                let l = self.lower_expr(lhs, scope, pending);
                let r = self.lower_expr(rhs, scope, pending);
                Expr::Binary(*op, Box::new(l?), Box::new(r?))
            }
            ast::Expr::Cast { span, .. } => {
                self.error(
                    Diagnostic::error(Code::Unsupported, "type casts (`as`) are not supported").at(*span, "cast"),
                );
                return None;
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
        if func == AggregateFunc::Mean {
            self.error(
                Diagnostic::error(Code::Unsupported, "the `mean` aggregate is not supported (it yields a float)")
                    .at(span, "mean")
                    .with_help(
                        "stance has no `float` yet; for a mean rounded toward zero, divide a `sum` by a `count` \
                         over the same body",
                    ),
            );
            return None;
        }
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
                Pending::Compare { span, .. } | Pending::Range { span, .. } | Pending::Aggregate { span, .. } => *span,
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
                if atoms_left && (lhs.uses_autoinc() || rhs.uses_autoinc()) {
                    return None;
                }
                let (lb, rb) = (Self::is_bound(lhs, bound), Self::is_bound(rhs, bound));
                if lb && rb {
                    let (Some((lhs, lt)), Some((rhs, rt))) = (self.typed(lhs, *lhs_span), self.typed(rhs, *span))
                    else {
                        return Some(None);
                    };
                    if lt != rt {
                        self.error(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("cannot compare a {} with a {}", lt.name(), rt.name()),
                            )
                            .at(*span, "operands of different types"),
                        );
                        return Some(None);
                    }
                    return Some(Some(Lit::Filter { op: *op, lhs, rhs, ty: lt, span: *span }));
                }
                if *op != CompareOp::Eq {
                    return None;
                }
                let (var, expr, espan) = match (lhs, rhs) {
                    (Expr::Var(v), e) if !lb && rb => (*v, e, *span),
                    (e, Expr::Var(v)) if lb && !rb => (*v, e, *lhs_span),
                    _ => return None,
                };
                let Some((expr, ty)) = self.typed(expr, espan) else { return Some(None) };
                self.unify(var, ty, *span);
                grow(bound, var);
                bound[var] = true;
                Some(Some(Lit::Assign { var, expr, span: *span }))
            }
            Pending::Range { var, args, span } => {
                if !args.iter().all(|a| Self::is_bound(a, bound)) {
                    return None;
                }
                if atoms_left && args.iter().any(Expr::uses_autoinc) {
                    return None;
                }
                let typed: Option<Vec<Expr>> =
                    args.iter().map(|a| self.expect_type(a, Type::Number, *span, "a `range` argument")).collect();
                let Some(typed) = typed else { return Some(None) };
                self.unify(*var, Type::Number, *span);
                grow(bound, *var);
                bound[*var] = true;
                let mut it = typed.into_iter();
                let (from, to, step) = (it.next()?, it.next()?, it.next());
                Some(Some(Lit::Range { var: *var, from, to, step, span: *span }))
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
                Some(self.expect_type(&e, Type::Number, tspan, "the aggregate's target")?)
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
        self.unify(var, Type::Number, span);
        grow(bound, var);
        bound[var] = true;
        let key = materialised(body, target_ast).then(|| {
            let mut key: Vec<VarId> = self.scopes[scope].values().copied().collect();
            key.sort_unstable();
            key
        });
        Some(Lit::Aggregate { var, func, target, body: inner, key, span })
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
    /// the mismatch.
    fn expect_type(&mut self, e: &Expr, ty: Type, span: Span, what: &str) -> Option<Expr> {
        let (e, t) = self.typed(e, span)?;
        if t != ty {
            self.error(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("{what} is a {} but a {} is expected", t.name(), ty.name()),
                )
                .at(span, format!("expected a {}", ty.name())),
            );
            return None;
        }
        Some(e)
    }

    /// A bound expression with each functor call resolved to the overload that its
    /// arguments' types select, and its type; constants are typed by their literal. A call
    /// whose arguments no overload takes is reported at the call (`None`).
    fn typed(&mut self, e: &Expr, span: Span) -> Option<(Expr, Type)> {
        Some(match e {
            Expr::Var(v) => (e.clone(), self.var_types[*v].unwrap_or(Type::Symbol)),
            Expr::Const(_, ty) => (e.clone(), *ty),
            Expr::Unary(op, a) => {
                let a = self.expect_type(a, Type::Number, span, "an arithmetic operand")?;
                (Expr::Unary(*op, Box::new(a)), Type::Number)
            }
            Expr::Binary(op, a, b) => {
                let a = self.expect_type(a, Type::Number, span, "an arithmetic operand");
                let b = self.expect_type(b, Type::Number, span, "an arithmetic operand");
                (Expr::Binary(*op, Box::new(a?), Box::new(b?)), Type::Number)
            }
            Expr::Call { func, args, span: at } => {
                let typed: Vec<Option<(Expr, Type)>> = args.iter().map(|a| self.typed(a, *at)).collect();
                let typed: Vec<(Expr, Type)> = typed.into_iter().collect::<Option<_>>()?;
                let types: Vec<Type> = typed.iter().map(|(_, t)| *t).collect();
                let Some(f) = func.resolve(&types) else {
                    self.functor_type_error(*func, &types, *at);
                    return None;
                };
                let args = typed.into_iter().map(|(e, _)| e).collect();
                (Expr::Call { func: f, args, span: *at }, f.def().result)
            }
        })
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
                    Type::Symbol => "to_string",
                    Type::Number => "to_number",
                };
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!(
                        "argument {} of `{name}` is a {}, but `{name}` takes a {} there",
                        i + 1,
                        found.name(),
                        expected.name()
                    ),
                )
                .at(span, forms.join(" or "))
                .with_help(if func.def().params.len() == 1 && func.def().result == found {
                    format!("it is a {} already: leave out `{name}`", found.name())
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
        | ast::Expr::Counter(_) => false,
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
