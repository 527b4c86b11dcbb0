//! Soufflé's components, expanded away before `check`: every `.init inst = Comp<args>`
//! becomes the component's declarations, types, directives and rules, with each relation and
//! type the component declares renamed `inst.name` (so `check` and everything after it see a
//! flat program, and output files are named `inst.rel.csv`, as Soufflé names them).
//!
//! The rules follow Soufflé's `ComponentInstantiation`: type parameters are substituted in
//! column types, union members, casts, base components and nested `.init`s; a component
//! inherits its bases' elements (bases first); `.override rel` drops the bases' rules for an
//! `overridable` relation; a nested `.init sub = B` inside `A` instantiated as `a` yields
//! `a.sub.rel`; a name a component does not declare is left for the enclosing scope to resolve.
//! Component names are looked up in the enclosing component bodies, innermost first, then at
//! the top level. Rule files may come from someone else, so a recursive component is an
//! error, and expansion stops with an error beyond [`MAX_DEPTH`] nested instantiations or
//! [`MAX_ITEMS`] items.

use crate::base::diag::{Code, Diagnostic, did_you_mean};
use crate::base::source::Span;
use crate::lang::syntax::ast::{Atom, Body, Comp, CompType, Expr, File, Ident, Init, Item, Literal};
use std::collections::{BTreeSet, HashMap};

/// Instantiations nested deeper than this are refused (a component that instantiates
/// itself would otherwise never stop).
pub const MAX_DEPTH: usize = 64;
/// At most this many items (declarations, rules, directives) come out of expansion: a chain
/// of components each instantiating the next twice doubles at every level.
pub const MAX_ITEMS: usize = 100_000;

/// Expands every component instantiation. `None` when no file uses components (nothing to
/// do, nothing copied); otherwise the flat files (components and `.init`s replaced by what
/// they declare) and the errors found.
pub fn expand(files: &[File]) -> Option<(Vec<File>, Vec<Diagnostic>)> {
    let uses =
        files.iter().flat_map(|f| &f.items).any(|i| matches!(i, Item::Comp(_) | Item::Init(_) | Item::Override { .. }));
    if !uses {
        return None;
    }
    let mut x = Expander {
        comps: Vec::new(),
        global: Vec::new(),
        diags: Vec::new(),
        produced: 0,
        exhausted: false,
        instantiating: Vec::new(),
    };
    for file in files {
        x.register(&file.items, None);
    }
    let mut instances: HashMap<&str, Span> = HashMap::new();
    let mut out = Vec::new();
    for file in files {
        let mut items = Vec::new();
        for item in &file.items {
            match item {
                Item::Comp(_) => {}
                Item::Init(init) => {
                    if let Some(prev) = instances.insert(&init.name.name, init.name.span) {
                        x.duplicate_instance(init, prev);
                        continue;
                    }
                    // A depth error stops one top-level instantiation; the size limit stops all.
                    x.exhausted = x.produced > MAX_ITEMS;
                    items.extend(x.instantiate(init, None, &Binding::new(), 1));
                }
                Item::Override { span, .. } => x.diags.push(
                    Diagnostic::error(Code::Component, "`.override` outside a component")
                        .at(*span, "not inside a `.comp` body")
                        .with_help("`.override rel` belongs in a component that inherits `rel` from a base component"),
                ),
                other => items.push(other.clone()),
            }
        }
        out.push(File { items });
    }
    if x.produced > MAX_ITEMS {
        // Checking what was expanded up to the limit would only add work and noise.
        out = files
            .iter()
            .map(|f| File {
                items: f
                    .items
                    .iter()
                    .filter(|i| !matches!(i, Item::Comp(_) | Item::Init(_) | Item::Override { .. }))
                    .cloned()
                    .collect(),
            })
            .collect();
    }
    // A component instantiated twice repeats its errors: report each once.
    let mut diags: Vec<Diagnostic> = Vec::new();
    for d in x.diags {
        if !diags.contains(&d) {
            diags.push(d);
        }
    }
    Some((out, diags))
}

/// Formal type parameter → the name it stands for.
type Binding = HashMap<String, String>;

struct CompDef<'a> {
    comp: &'a Comp,
    parent: Option<usize>,
    children: Vec<usize>,
}

struct Expander<'a> {
    comps: Vec<CompDef<'a>>,
    /// Components declared at the top level.
    global: Vec<usize>,
    diags: Vec<Diagnostic>,
    /// Items produced so far (against [`MAX_ITEMS`]).
    produced: usize,
    /// A limit was hit: produce nothing more (the error is reported once).
    exhausted: bool,
    /// The instantiations under way (component, type arguments), outermost first.
    instantiating: Vec<(usize, Vec<(String, String)>)>,
}

impl<'a> Expander<'a> {
    /// Records the components declared in `items` (and, recursively, inside them).
    fn register(&mut self, items: &'a [Item], parent: Option<usize>) {
        for item in items {
            let Item::Comp(comp) = item else { continue };
            let siblings = match parent {
                Some(p) => &self.comps[p].children,
                None => &self.global,
            };
            if let Some(&prev) = siblings.iter().find(|&&s| self.comps[s].comp.ty.name.name == comp.ty.name.name) {
                let d =
                    Diagnostic::error(Code::Component, format!("component `{}` is declared twice", comp.ty.name.name))
                        .at(comp.ty.name.span, "declared again here")
                        .with_secondary(self.comps[prev].comp.ty.name.span, "first declared here");
                self.diags.push(d);
                continue;
            }
            let id = self.comps.len();
            self.comps.push(CompDef { comp, parent, children: Vec::new() });
            match parent {
                Some(p) => self.comps[p].children.push(id),
                None => self.global.push(id),
            }
            self.register(&comp.items, Some(id));
        }
    }

    /// The component `name` (after substituting a type parameter) seen from inside `scope`:
    /// `scope`'s own nested components, then its enclosing component's, ..., then the top level.
    fn lookup(&self, scope: Option<usize>, name: &str, binding: &Binding) -> Option<usize> {
        let name = binding.get(name).map_or(name, String::as_str);
        let mut at = scope;
        while let Some(s) = at {
            if let Some(&c) = self.comps[s].children.iter().find(|&&c| self.comps[c].comp.ty.name.name == name) {
                return Some(c);
            }
            at = self.comps[s].parent;
        }
        self.global.iter().copied().find(|&c| self.comps[c].comp.ty.name.name == name)
    }

    /// Resolves a reference to a component and binds its type parameters; reports an
    /// unknown component or a wrong number of type arguments.
    fn resolve(&mut self, scope: Option<usize>, r: &CompType, binding: &Binding) -> Option<(usize, Binding)> {
        let Some(id) = self.lookup(scope, &r.name.name, binding) else {
            let shown = binding.get(&r.name.name).unwrap_or(&r.name.name).clone();
            let mut d = Diagnostic::error(Code::Component, format!("unknown component `{shown}`"))
                .at(r.name.span, "no component of this name is visible here");
            let mut visible: Vec<&str> =
                self.global.iter().map(|&c| self.comps[c].comp.ty.name.name.as_str()).collect();
            let mut at = scope;
            while let Some(s) = at {
                visible.extend(self.comps[s].children.iter().map(|&c| self.comps[c].comp.ty.name.name.as_str()));
                at = self.comps[s].parent;
            }
            if let Some(s) = did_you_mean(&shown, visible) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.diags.push(d);
            return None;
        };
        let formal = &self.comps[id].comp.ty;
        if formal.args.len() != r.args.len() {
            let n = formal.args.len();
            let msg = format!(
                "component `{}` takes {n} type parameter{}, but {} {} given",
                formal.name.name,
                if n == 1 { "" } else { "s" },
                r.args.len(),
                if r.args.len() == 1 { "was" } else { "were" },
            );
            let d = Diagnostic::error(Code::Component, msg)
                .at(r.span, "wrong number of type arguments")
                .with_secondary(formal.span, "declared here");
            self.diags.push(d);
            return None;
        }
        // Actual arguments are resolved in the caller's binding (`B<K> : A<K>` passes K on).
        let bound = formal
            .args
            .iter()
            .zip(&r.args)
            .map(|(f, a)| (f.name.clone(), binding.get(&a.name).unwrap_or(&a.name).clone()))
            .collect();
        Some((id, bound))
    }

    fn duplicate_instance(&mut self, init: &Init, prev: Span) {
        let d = Diagnostic::error(Code::Component, format!("instance `{}` is declared twice", init.name.name))
            .at(init.name.span, "instantiated again here")
            .with_secondary(prev, "first instantiated here");
        self.diags.push(d);
    }

    /// The items of `.init inst = Comp<args>` (written inside `scope`), renamed into `inst.`.
    fn instantiate(&mut self, init: &Init, scope: Option<usize>, binding: &Binding, depth: usize) -> Vec<Item> {
        if self.exhausted {
            return Vec::new();
        }
        if depth > MAX_DEPTH {
            self.exhausted = true;
            let d = Diagnostic::error(
                Code::Component,
                format!("component instantiations nested more than {MAX_DEPTH} deep"),
            )
            .at(init.span, "instantiated here, too deep")
            .with_help("is a component instantiating itself through its type arguments?");
            self.diags.push(d);
            return Vec::new();
        }
        let Some((id, bound)) = self.resolve(scope, &init.comp, binding) else { return Vec::new() };
        // The same component with the same type arguments inside itself never ends.
        let mut key: Vec<(String, String)> = bound.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        key.sort();
        if let Some(i) = self.instantiating.iter().position(|(c, k)| *c == id && *k == key) {
            let chain: Vec<&str> = self.instantiating[i..]
                .iter()
                .map(|(c, _)| self.comps[*c].comp.ty.name.name.as_str())
                .chain(std::iter::once(self.comps[id].comp.ty.name.name.as_str()))
                .collect();
            let d = Diagnostic::error(
                Code::Component,
                format!("component `{}` instantiates itself", self.comps[id].comp.ty.name.name),
            )
            .at(init.span, "instantiated inside itself here")
            .with_note(format!("instantiation cycle: {}", chain.join(" → ")))
            .with_help("a component that instantiates itself would expand forever");
            self.diags.push(d);
            return Vec::new();
        }
        self.instantiating.push((id, key));
        let mut items = Vec::new();
        let mut inheriting = Vec::new();
        self.collect(id, &bound, &BTreeSet::new(), &mut items, depth, &mut inheriting, init.span);
        self.instantiating.pop();
        rename(&mut items, &init.name.name);
        items
    }

    /// `.override rel` needs a base that declares `rel` overridable: checks each of `comp`'s
    /// overrides against `inherited`, the items its bases expanded to.
    fn check_overrides(&mut self, comp: &Comp, inherited: &[Item]) {
        for item in &comp.items {
            let Item::Override { relation, span } = item else { continue };
            let decl = inherited.iter().find_map(|i| match i {
                Item::Decl(d) if d.names().any(|n| n.name == relation.name) => Some(d),
                _ => None,
            });
            let problem = match decl {
                None => Some((
                    format!("`.override {}`: no base component of `{}` declares it", relation.name, comp.ty.name.name),
                    None,
                )),
                Some(d) if !d.qualifiers.iter().any(|q| q.name == "overridable") => {
                    Some((format!("relation `{}` is not declared `overridable`", relation.name), Some(d.span)))
                }
                Some(_) => None,
            };
            if let Some((msg, decl)) = problem {
                let mut d = Diagnostic::error(Code::Component, msg).at(*span, "cannot override");
                if let Some(s) = decl {
                    d = d
                        .with_secondary(s, "declared here")
                        .with_help("add the `overridable` qualifier to the base declaration");
                }
                self.diags.push(d);
            }
        }
    }

    /// Appends the elements of component `id` (its bases' first) to `out`, with type
    /// parameters substituted; rules for relations in `overridden` are left out.
    #[allow(clippy::too_many_arguments)]
    fn collect(
        &mut self,
        id: usize,
        binding: &Binding,
        overridden: &BTreeSet<String>,
        out: &mut Vec<Item>,
        depth: usize,
        inheriting: &mut Vec<usize>,
        at: Span,
    ) {
        let comp = self.comps[id].comp;
        // Every component visited counts against the limit too: diamonds of empty
        // components would otherwise take exponential time and produce nothing.
        self.charge(at);
        if self.exhausted {
            return;
        }
        if inheriting.len() >= MAX_DEPTH {
            self.exhausted = true;
            let d = Diagnostic::error(Code::Component, format!("components inherit more than {MAX_DEPTH} deep"))
                .at(at, "inherited here, too deep");
            self.diags.push(d);
            return;
        }
        if inheriting.contains(&id) {
            let chain: Vec<&str> = inheriting
                .iter()
                .chain(std::iter::once(&id))
                .map(|&c| self.comps[c].comp.ty.name.name.as_str())
                .collect();
            let d =
                Diagnostic::error(Code::Component, format!("component `{}` inherits from itself", comp.ty.name.name))
                    .at(at, "inherited here")
                    .with_note(format!("inheritance cycle: {}", chain.join(" : ")));
            self.diags.push(d);
            return;
        }
        inheriting.push(id);
        let own_overrides: BTreeSet<String> = comp
            .items
            .iter()
            .filter_map(|i| if let Item::Override { relation, .. } = i { Some(relation.name.clone()) } else { None })
            .collect();
        let from_bases = out.len();
        for base in &comp.bases {
            let Some((b, bound)) = self.resolve(Some(id), base, binding) else { continue };
            let over: BTreeSet<String> = overridden.union(&own_overrides).cloned().collect();
            self.collect(b, &bound, &over, out, depth, inheriting, base.span);
        }
        self.check_overrides(comp, &out[from_bases..]);
        for item in &comp.items {
            if self.exhausted {
                break;
            }
            match item {
                Item::Comp(_) | Item::Override { .. } | Item::Ignored { .. } => {}
                Item::Prefer(_) => self.push(out, item.clone(), at),
                Item::Init(init) => {
                    let items = self.instantiate(init, Some(id), binding, depth + 1);
                    out.extend(items);
                }
                Item::Rule(r) => {
                    let mut r = r.clone();
                    r.heads.retain(|h| !overridden.contains(&h.relation.name));
                    if r.heads.is_empty() && !comp_rule_is_constraint(item) {
                        continue;
                    }
                    substitute_casts(&mut r.heads, r.body.as_mut(), binding);
                    self.push(out, Item::Rule(r), at);
                }
                Item::Decl(d) => {
                    let mut d = d.clone();
                    for c in &mut d.columns {
                        substitute(&mut c.ty, binding);
                    }
                    self.push(out, Item::Decl(d), at);
                }
                Item::Type(t) => {
                    let mut t = t.clone();
                    t.bases.iter_mut().for_each(|b| substitute(b, binding));
                    self.push(out, Item::Type(t), at);
                }
                Item::Directive(d) => self.push(out, Item::Directive(d.clone()), at),
            }
        }
        inheriting.pop();
    }

    fn push(&mut self, out: &mut Vec<Item>, item: Item, at: Span) {
        self.charge(at);
        if !self.exhausted {
            out.push(item);
        }
    }

    /// Counts one unit of expansion work; past [`MAX_ITEMS`] reports once and stops.
    fn charge(&mut self, at: Span) {
        if self.exhausted {
            return;
        }
        self.produced += 1;
        if self.produced > MAX_ITEMS {
            self.exhausted = true;
            let d = Diagnostic::error(
                Code::Component,
                format!("component expansion produces more than {MAX_ITEMS} declarations and rules"),
            )
            .at(at, "the limit was reached expanding this")
            .with_help("components that instantiate others several times multiply at every level");
            self.diags.push(d);
        }
    }
}

/// A constraint (`:- body.`) has no heads to begin with and is kept.
fn comp_rule_is_constraint(item: &Item) -> bool {
    matches!(item, Item::Rule(r) if r.heads.is_empty())
}

fn substitute(ty: &mut Ident, binding: &Binding) {
    if let Some(actual) = binding.get(&ty.name) {
        ty.name = actual.clone();
    }
}

fn substitute_casts(heads: &mut [Atom], body: Option<&mut Body>, binding: &Binding) {
    let mut f = |e: &mut Expr| {
        if let Expr::Cast { ty, .. } = e {
            substitute(ty, binding);
        }
    };
    for h in heads.iter_mut() {
        h.args.iter_mut().for_each(|e| walk_expr(e, &mut |_| {}, &mut f));
    }
    if let Some(b) = body {
        walk_body(b, &mut |_| {}, &mut f);
    }
}

/// Renames every relation and type declared among `items` to `prefix.name`, in
/// declarations, directives, rule heads and bodies, column types, unions and casts.
fn rename(items: &mut [Item], prefix: &str) {
    let mut relations = BTreeSet::new();
    let mut types = BTreeSet::new();
    for item in items.iter() {
        match item {
            Item::Decl(d) => relations.extend(d.names().map(|n| n.name.clone())),
            Item::Type(t) => {
                types.insert(t.name.name.clone());
            }
            _ => {}
        }
    }
    let qualify = |id: &mut Ident, set: &BTreeSet<String>| {
        if set.contains(&id.name) {
            id.name = format!("{prefix}.{}", id.name);
        }
    };
    for item in items.iter_mut() {
        match item {
            Item::Decl(d) => {
                qualify(&mut d.name, &relations);
                d.also.iter_mut().for_each(|n| qualify(n, &relations));
                d.columns.iter_mut().for_each(|c| qualify(&mut c.ty, &types));
            }
            Item::Type(t) => {
                qualify(&mut t.name, &types);
                t.bases.iter_mut().for_each(|b| qualify(b, &types));
            }
            Item::Directive(d) => d.relations.iter_mut().for_each(|r| qualify(r, &relations)),
            Item::Rule(r) => {
                let mut on_atom = |a: &mut Atom| qualify(&mut a.relation, &relations);
                let mut on_expr = |e: &mut Expr| {
                    if let Expr::Cast { ty, .. } = e {
                        qualify(ty, &types);
                    }
                };
                for h in &mut r.heads {
                    on_atom(h);
                    h.args.iter_mut().for_each(|e| walk_expr(e, &mut on_atom, &mut on_expr));
                }
                if let Some(b) = &mut r.body {
                    walk_body(b, &mut on_atom, &mut on_expr);
                }
            }
            Item::Comp(_) | Item::Init(_) | Item::Override { .. } | Item::Ignored { .. } | Item::Prefer(_) => {}
        }
    }
}

/// Calls `on_atom` on every atom (positive, negated, inside aggregates) and `on_expr` on
/// every expression of `body`.
fn walk_body(body: &mut Body, on_atom: &mut dyn FnMut(&mut Atom), on_expr: &mut dyn FnMut(&mut Expr)) {
    match body {
        Body::And(parts, _) | Body::Or(parts, _) => parts.iter_mut().for_each(|p| walk_body(p, on_atom, on_expr)),
        Body::Lit(l) => match l {
            Literal::Atom(a) | Literal::Negated(a, _) => {
                on_atom(a);
                a.args.iter_mut().for_each(|e| walk_expr(e, on_atom, on_expr));
            }
            Literal::Compare { lhs, rhs, .. } => {
                walk_expr(lhs, on_atom, on_expr);
                walk_expr(rhs, on_atom, on_expr);
            }
            Literal::Predicate { args, .. } => args.iter_mut().for_each(|e| walk_expr(e, on_atom, on_expr)),
            Literal::Bool(..) => {}
        },
    }
}

fn walk_expr(e: &mut Expr, on_atom: &mut dyn FnMut(&mut Atom), on_expr: &mut dyn FnMut(&mut Expr)) {
    on_expr(e);
    match e {
        Expr::Unary { arg, .. } | Expr::Cast { arg, .. } => walk_expr(arg, on_atom, on_expr),
        Expr::Binary { lhs, rhs, .. } => {
            walk_expr(lhs, on_atom, on_expr);
            walk_expr(rhs, on_atom, on_expr);
        }
        Expr::Call { args, .. } | Expr::Record(args, _) | Expr::Branch { args, .. } => {
            args.iter_mut().for_each(|a| walk_expr(a, on_atom, on_expr))
        }
        Expr::Aggregate { target, body, .. } => {
            if let Some(t) = target {
                walk_expr(t, on_atom, on_expr);
            }
            walk_body(body, on_atom, on_expr);
        }
        Expr::Var(_)
        | Expr::Wildcard(_)
        | Expr::Number(..)
        | Expr::Float(..)
        | Expr::Str(..)
        | Expr::Nil(_)
        | Expr::Counter(_) => {}
    }
}
