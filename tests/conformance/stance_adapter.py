"""Adapter that runs datalog-conformance cases through the `stance` binary.

The conformance suite hands us a `Program` (facts as Python scalars, rules as strings in
its own small rule language). We translate it into a Soufflé-style `.dl` file, run
`stance infer --rules FILE --facts DIR --format json --diagnostic-format json`, and turn
the JSON back into a `Model`. On a rejected program we raise an exception whose `.code`
(and for one family, class name) is what the suite's `expect_error` matches on.

Everything that is a decision rather than a mechanical translation is documented in
README.md next to this file (type inference, impossible constants, error-code mapping).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

REPO_ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------------------
# The case rule language
# ---------------------------------------------------------------------------------------
# rule     := atom [":-" literal ("," literal)*] ["."]
# literal  := "not" atom | "!" atom | atom | expr cmp expr | "(" literal ")"
# atom     := IDENT ["(" [expr ("," expr)*] ")"]
# expr     := term (("+" | "-") term)*
# term     := unary (("*" | "/" | "%") unary)*
# unary    := "-" unary | INT | STRING | IDENT | "_" | "(" expr ")"
# Bare identifiers in argument position are variables, whatever their case.

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<int>\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:-|!=|<=|>=|==|<|>|=|[(),.+\-*/%!])
    """,
    re.VERBOSE,
)


class CaseSyntaxError(Exception):
    """A rule string from a case that the adapter itself cannot parse."""

    code = "adapter_syntax"


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class Const:
    value: int | str


@dataclass(frozen=True)
class BinOp:
    op: str
    lhs: Any
    rhs: Any


@dataclass(frozen=True)
class Neg:
    arg: Any


@dataclass
class Atom:
    pred: str
    args: list[Any]


@dataclass
class Literal:
    kind: str  # "pos" | "neg" | "cmp"
    atom: Atom | None = None
    op: str | None = None
    lhs: Any = None
    rhs: Any = None


@dataclass
class Rule:
    head: Atom
    body: list[Literal]
    text: str


def _tokenize(text: str) -> list[tuple[str, str]]:
    pos = 0
    out: list[tuple[str, str]] = []
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise CaseSyntaxError(f"cannot tokenize {text!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup
        assert kind is not None
        if kind == "ws":
            continue
        out.append((kind, m.group()))
    return out


def _unescape(s: str) -> str:
    body = s[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self, k: int = 0) -> tuple[str, str] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def take(self, value: str | None = None, kind: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise CaseSyntaxError(f"unexpected end of rule {self.text!r}")
        if value is not None and tok[1] != value:
            raise CaseSyntaxError(f"expected {value!r}, got {tok[1]!r} in {self.text!r}")
        if kind is not None and tok[0] != kind:
            raise CaseSyntaxError(f"expected {kind}, got {tok[1]!r} in {self.text!r}")
        self.i += 1
        return tok

    def at(self, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[1] == value and tok[0] == "op"

    def rule(self) -> Rule:
        head = self.atom()
        body: list[Literal] = []
        if self.at(":-"):
            self.take(":-")
            body.append(self.literal())
            while self.at(","):
                self.take(",")
                body.append(self.literal())
        if self.at("."):
            self.take(".")
        if self.peek() is not None:
            raise CaseSyntaxError(f"trailing input {self.peek()!r} in {self.text!r}")
        return Rule(head, body, self.text)

    def atom(self) -> Atom:
        _, name = self.take(kind="ident")
        args: list[Any] = []
        if self.at("("):
            self.take("(")
            if not self.at(")"):
                args.append(self.expr())
                while self.at(","):
                    self.take(",")
                    args.append(self.expr())
            self.take(")")
        return Atom(name, args)

    def literal(self) -> Literal:
        tok = self.peek()
        if tok == ("ident", "not") and self.peek(1) is not None and self.peek(1)[0] == "ident":  # type: ignore[index]
            self.take()
            return Literal("neg", atom=self.atom())
        if tok == ("op", "!"):
            self.take()
            return Literal("neg", atom=self.atom())
        if tok is not None and tok[0] == "ident" and tok[1] != "_":
            nxt = self.peek(1)
            if nxt is None or nxt[1] in (",", ".", "("):
                return Literal("pos", atom=self.atom())
        if self.at("("):
            # A parenthesised literal such as `(n <= 25)`, or an expression in parentheses.
            save = self.i
            self.take("(")
            try:
                inner = self.literal()
                self.take(")")
                return inner
            except CaseSyntaxError:
                self.i = save
        lhs = self.expr()
        op_tok = self.take(kind="op")
        op = op_tok[1]
        if op not in ("=", "==", "!=", "<", "<=", ">", ">="):
            raise CaseSyntaxError(f"expected comparison, got {op!r} in {self.text!r}")
        rhs = self.expr()
        return Literal("cmp", op="=" if op == "==" else op, lhs=lhs, rhs=rhs)

    def expr(self) -> Any:
        lhs = self.term()
        while self.at("+") or self.at("-"):
            op = self.take()[1]
            lhs = BinOp(op, lhs, self.term())
        return lhs

    def term(self) -> Any:
        lhs = self.unary()
        while self.at("*") or self.at("/") or self.at("%"):
            op = self.take()[1]
            lhs = BinOp(op, lhs, self.unary())
        return lhs

    def unary(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise CaseSyntaxError(f"unexpected end of rule {self.text!r}")
        kind, value = tok
        if self.at("-"):
            self.take()
            inner = self.unary()
            if isinstance(inner, Const) and isinstance(inner.value, int):
                return Const(-inner.value)
            return Neg(inner)
        if self.at("("):
            self.take("(")
            e = self.expr()
            self.take(")")
            return e
        self.take()
        if kind == "int":
            return Const(int(value))
        if kind == "string":
            return Const(_unescape(value))
        if kind == "ident":
            return Wildcard() if value == "_" else Var(value)
        raise CaseSyntaxError(f"unexpected {value!r} in {self.text!r}")


def parse_rule(text: str) -> Rule:
    """Parses one rule string of the conformance case language."""

    return _Parser(text).rule()


# Nemo reads a variable that occurs only under negation as existential: `not s3(X, P, P)`
# holds when no P gives `s3(X, P, P)`. Soufflé, and stance with it, reject such a variable
# (it is unbound); a Soufflé user writes the projection as a relation of its own. The
# defeasible theories read it as Nemo does (their `strict_only` form of Nemo's negation
# tests expects it, and no theory expects an error), so the defeasible adapter writes the
# projection. The core programs keep Soufflé's reading: their `errors` group expects this
# very rule shape to be a safety violation (`review_v2_unsafe_negation`), which Nemo's own
# test contradicts (see test_conformance.py).
PROJECTION_PREFIX = "proj__"


def _bound_vars(rule: Rule) -> set[str]:
    """Variables a rule's body binds: those of its positive atoms and of `X = e` with X a
    variable (the rest, if unbound, stance reports as it would)."""

    bound: set[str] = set()
    for lit in rule.body:
        if lit.kind == "pos" and lit.atom is not None:
            for a in lit.atom.args:
                bound.update(_expr_vars(a))
        elif lit.kind == "cmp" and lit.op == "=":
            for side in (lit.lhs, lit.rhs):
                if isinstance(side, Var):
                    bound.add(side.name)
    return bound


def project_negations(rules: list[Rule]) -> tuple[list[Rule], list[Rule]]:
    """Each negated atom with a variable the body does not bind becomes the negation of a
    new relation `proj__N` over the atom's bound variables, derived by `proj__N(bound) :-
    atom`. Returns the rewritten rules and the new ones."""

    out: list[Rule] = []
    extra: list[Rule] = []
    for rule in rules:
        bound = _bound_vars(rule)
        body: list[Literal] = []
        for lit in rule.body:
            if lit.kind != "neg" or lit.atom is None:
                body.append(lit)
                continue
            names = [v for a in lit.atom.args for v in _expr_vars(a)]
            if all(v in bound for v in names):
                body.append(lit)
                continue
            keep = list(dict.fromkeys(v for v in names if v in bound))
            head = Atom(f"{PROJECTION_PREFIX}{len(extra) + 1}", [Var(v) for v in keep])
            extra.append(Rule(head, [Literal("pos", atom=lit.atom)], f"{head.pred}: the projection of a negated {lit.atom.pred} in: {rule.text}"))
            body.append(Literal("neg", atom=head))
        out.append(Rule(rule.head, body, rule.text))
    return out, extra



# ---------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------

# Words that Soufflé's lexer treats specially (functors, aggregates, operators, literals).
# Using one of them as a relation or variable name would not parse, so we rename.
SOUFFLE_KEYWORDS = frozenset(
    """
    as autoinc band bnot bor bshl bshr bshru bxor cat choice contains count false float
    lnot land lor lxor match max mean min nil number ord range strlen substr sum symbol
    to_float to_number to_string to_unsigned true unsigned mod sin cos tan
    inline magic brie btree btree_delete eqrel overridable no_inline no_magic
    """.split()
)

_SAFE_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class NameMap:
    """Case predicate names ↔ stance relation names (mostly identity)."""

    def __init__(self) -> None:
        self.to_stance: dict[str, str] = {}
        self.to_case: dict[str, str] = {}

    def rel(self, name: str) -> str:
        if name in self.to_stance:
            return self.to_stance[name]
        if _SAFE_IDENT.match(name) and name not in SOUFFLE_KEYWORDS and not name.startswith("r__"):
            new = name
        else:
            base = re.sub(r"[^A-Za-z0-9_]", "_", name)
            new = f"r__{base}"
            n = 1
            while new in self.to_case:
                n += 1
                new = f"r__{base}_{n}"
        self.to_stance[name] = new
        self.to_case[new] = name
        return new


def var_name(name: str) -> str:
    """Variables are identifiers; a keyword or a leading-underscore name gets a prefix."""

    if name in SOUFFLE_KEYWORDS or name.startswith("_") or name.startswith("v__"):
        return f"v__{name}"
    return name


# ---------------------------------------------------------------------------------------
# Type inference
# ---------------------------------------------------------------------------------------


def scalar_type(value: Any) -> str:
    """The stance type a case scalar belongs to: ints are numbers, everything else symbols."""

    if isinstance(value, int) and not isinstance(value, bool):
        return "number"
    return "symbol"


def _expr_vars(e: Any) -> Iterable[str]:
    if isinstance(e, Var):
        yield e.name
    elif isinstance(e, BinOp):
        yield from _expr_vars(e.lhs)
        yield from _expr_vars(e.rhs)
    elif isinstance(e, Neg):
        yield from _expr_vars(e.arg)


@dataclass
class Schema:
    """Arity and column types of every predicate, plus the evidence behind them."""

    arity: dict[str, int] = field(default_factory=dict)
    evidence: dict[tuple[str, int], set[str]] = field(default_factory=dict)

    def column_type(self, pred: str, i: int) -> str:
        ev = self.evidence.get((pred, i), set())
        return "number" if ev == {"number"} else "symbol"

    def add(self, pred: str, i: int, ty: str) -> bool:
        s = self.evidence.setdefault((pred, i), set())
        if ty in s:
            return False
        s.add(ty)
        return True


def infer_schema(facts: dict[str, list[tuple[Any, ...]]], rules: list[Rule]) -> Schema:
    """Column types: from fact values, then propagated through rule variables and constants.

    A column is `number` when every piece of evidence for it says number, else `symbol`
    (also when nothing is known). The first arity seen for a predicate is its declared
    arity; other uses with another arity are left for stance to reject.
    """

    schema = Schema()
    for pred, rows in facts.items():
        for row in rows:
            schema.arity.setdefault(pred, len(row))
            for i, v in enumerate(row):
                schema.add(pred, i, scalar_type(v))
    for rule in rules:
        for atom in [rule.head] + [lit.atom for lit in rule.body if lit.atom is not None]:
            schema.arity.setdefault(atom.pred, len(atom.args))

    # Constants in body atoms only say something about a column nothing else types: a
    # body constant never puts a value into a relation, and `p("6")` against an int
    # column is a literal that can never match (see `_impossible`), not a reason to make
    # the column a symbol.
    _propagate(schema, rules, body_constants=False)
    untyped = {k for k, v in schema.evidence.items() if not v} | {
        (p, i) for p, n in schema.arity.items() for i in range(n) if not schema.evidence.get((p, i))
    }
    for rule in rules:
        for lit in rule.body:
            if lit.atom is None or len(lit.atom.args) != schema.arity.get(lit.atom.pred):
                continue
            for i, a in enumerate(lit.atom.args):
                if isinstance(a, Const) and (lit.atom.pred, i) in untyped:
                    schema.add(lit.atom.pred, i, scalar_type(a.value))
    _propagate(schema, rules, body_constants=False)
    return schema


def _propagate(schema: Schema, rules: list[Rule], body_constants: bool) -> None:
    changed = True
    while changed:
        changed = False
        for rule in rules:
            var_ev: dict[str, set[str]] = {}

            def note(v: str, ty: str) -> None:
                var_ev.setdefault(v, set()).add(ty)

            atoms = [rule.head] + [lit.atom for lit in rule.body if lit.atom is not None]
            # Variables learn from columns; arithmetic and ordering make numbers.
            for atom in atoms:
                for i, a in enumerate(atom.args):
                    if isinstance(a, Var):
                        for ty in schema.evidence.get((atom.pred, i), set()):
                            note(a.name, ty)
                    elif isinstance(a, (BinOp, Neg)):
                        for v in _expr_vars(a):
                            note(v, "number")
            for lit in rule.body:
                if lit.kind == "cmp":
                    for side in (lit.lhs, lit.rhs):
                        if isinstance(side, (BinOp, Neg)):
                            for v in _expr_vars(side):
                                note(v, "number")
                    sides = [lit.lhs, lit.rhs]
                    consts = [scalar_type(s.value) for s in sides if isinstance(s, Const)]
                    for s in sides:
                        if isinstance(s, Var):
                            for ty in consts:
                                note(s.name, ty)
                    if lit.op in ("<", "<=", ">", ">="):
                        for s in sides:
                            if isinstance(s, Var) and not var_ev.get(s.name):
                                note(s.name, "number")
                    if isinstance(lit.lhs, Var) and isinstance(lit.rhs, Var):
                        merged = var_ev.get(lit.lhs.name, set()) | var_ev.get(lit.rhs.name, set())
                        for v in (lit.lhs.name, lit.rhs.name):
                            for ty in merged:
                                note(v, ty)
            # Columns learn from variables, constants and expressions.
            for atom in atoms:
                if len(atom.args) != schema.arity.get(atom.pred):
                    continue
                for i, a in enumerate(atom.args):
                    if isinstance(a, Var):
                        for ty in var_ev.get(a.name, set()):
                            changed |= schema.add(atom.pred, i, ty)
                    elif isinstance(a, Const) and (atom is rule.head or body_constants):
                        changed |= schema.add(atom.pred, i, scalar_type(a.value))
                    elif isinstance(a, (BinOp, Neg)):
                        changed |= schema.add(atom.pred, i, "number")


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------


def quote(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{out}"'


def render_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return quote(str(value).lower())
    if isinstance(value, int):
        return str(value)
    return quote(str(value))


def render_expr(e: Any) -> str:
    if isinstance(e, Var):
        return var_name(e.name)
    if isinstance(e, Wildcard):
        return "_"
    if isinstance(e, Const):
        return render_scalar(e.value)
    if isinstance(e, Neg):
        return f"-({render_expr(e.arg)})"
    if isinstance(e, BinOp):
        return f"({render_expr(e.lhs)} {e.op} {render_expr(e.rhs)})"
    raise TypeError(e)


def render_atom(atom: Atom, names: NameMap) -> str:
    return f"{names.rel(atom.pred)}({', '.join(render_expr(a) for a in atom.args)})"


def _impossible(atom: Atom, schema: Schema) -> bool:
    """True if a constant in the atom has the other type than its column.

    The case language is dynamically typed: `"6"` and `6` are different values, so an
    atom `p("6")` over a column that only ever holds ints can never match. stance is
    statically typed and would reject the program instead, so the adapter simplifies
    such literals away (see README).
    """

    if len(atom.args) != schema.arity.get(atom.pred):
        return False
    for i, a in enumerate(atom.args):
        if isinstance(a, Const) and scalar_type(a.value) != schema.column_type(atom.pred, i):
            return True
    return False


@dataclass
class Translation:
    """A case program rendered as one stance rule file."""

    text: str
    names: NameMap
    schema: Schema
    rules: list[Rule]
    # 1-based line in `text` → index into `rules`.
    rule_lines: dict[int, int]
    notes: list[str]
    # Relation → (stance relation, rows) that the TSV mode writes as `.facts` files.
    fact_files: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)


def translate(
    facts: dict[str, list[tuple[Any, ...]]],
    rule_texts: list[str],
    facts_mode: str = "inline",
) -> Translation:
    """Translates a case program into stance's rule language.

    `facts_mode` is `inline` (facts as `p(1, "a").` in the rule file) or `tsv` (facts as
    `<rel>.facts` files read through `.input`, falling back to inline for a relation whose
    rows cannot be written as TSV or whose arity is inconsistent).
    """

    rules = [parse_rule(r) for r in rule_texts]
    schema = infer_schema(facts, rules)
    names = NameMap()
    lines: list[str] = ["// generated by tests/conformance/stance_adapter.py"]
    notes: list[str] = []

    preds: list[str] = []
    for p in list(facts) + [a.pred for r in rules for a in [r.head] + [l.atom for l in r.body if l.atom]]:
        if p not in preds:
            preds.append(p)
    for p in preds:
        n = names.rel(p)
        cols = ", ".join(f"c{i}: {schema.column_type(p, i)}" for i in range(schema.arity[p]))
        lines.append(f".decl {n}({cols})")
    for p in preds:
        lines.append(f".output {names.rel(p)}")

    fact_files: dict[str, list[tuple[Any, ...]]] = {}
    for p, rows in facts.items():
        n = names.rel(p)
        if facts_mode == "tsv" and _tsv_ok(p, rows, schema):
            lines.append(f".input {n}")
            fact_files[n] = rows
            continue
        for row in rows:
            lines.append(f"{n}({', '.join(render_scalar(v) for v in row)}).")

    rule_lines: dict[int, int] = {}
    for idx, rule in enumerate(rules):
        body: list[str] = []
        dropped = False
        for lit in rule.body:
            if lit.kind == "pos":
                assert lit.atom is not None
                if _impossible(lit.atom, schema):
                    dropped = True
                body.append(render_atom(lit.atom, names))
            elif lit.kind == "neg":
                assert lit.atom is not None
                if _impossible(lit.atom, schema):
                    notes.append(f"always-true negation removed from: {rule.text}")
                    continue
                body.append("!" + render_atom(lit.atom, names))
            else:
                body.append(f"{render_expr(lit.lhs)} {lit.op} {render_expr(lit.rhs)}")
        head = render_atom(rule.head, names)
        if dropped:
            notes.append(f"never-firing rule removed: {rule.text}")
            lines.append(f"// removed (a constant can never match its column): {rule.text}")
            continue
        if rule.body and not body:
            # Every literal was an always-true negation: what is left is a fact.
            text = f"{head}."
        elif rule.body:
            text = f"{head} :- {', '.join(body)}."
        else:
            text = f"{head}."
        lines.append(text)
        rule_lines[len(lines)] = idx
    return Translation("\n".join(lines) + "\n", names, schema, rules, rule_lines, notes, fact_files)


def _tsv_ok(pred: str, rows: list[tuple[Any, ...]], schema: Schema) -> bool:
    arity = schema.arity[pred]
    for row in rows:
        if len(row) != arity:
            return False
        for v in row:
            if isinstance(v, str) and any(c in v for c in "\t\n\r"):
                return False
    return True


def render_tsv(rows: list[tuple[Any, ...]]) -> str:
    out = []
    for row in rows:
        out.append("\t".join(str(v).lower() if isinstance(v, bool) else str(v) for v in row))
    return "\n".join(out) + ("\n" if out else "")


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


class StanceError(Exception):
    """stance rejected the program (exit 1). `.code` is the suite's spelling of its name."""

    code = "stance_error"

    def __init__(self, message: str, diagnostics: list[dict[str, Any]] | None = None, code: str | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []
        if code is not None:
            self.code = code


class ArityMismatchError(StanceError):
    code = "arity_mismatch"


class CyclicNegationError(StanceError):
    code = "cyclic_negation"


class UnboundVariableError(StanceError):
    """A head variable (or one inside arithmetic) that no positive atom binds."""

    code = "unbound_variable"


class SafetyViolationError(StanceError):
    """A variable bound only under negation, or `_` in a rule head."""

    code = "safety_violations"


class StanceInvocationError(RuntimeError):
    """stance could not be run, crashed, or printed something we cannot read."""


_NAME_TO_CLASS: dict[str, type[StanceError]] = {
    "arity-mismatch": ArityMismatchError,
    "unstratifiable": CyclicNegationError,
}


def classify_ungrounded(tr: Translation, diag: dict[str, Any]) -> type[StanceError] | None:
    """Splits stance's single `ungrounded-variable` into the suite's two families.

    Decided from the rule and the diagnostic's primary span, never from the case's
    expectation: `_` in a head, or a variable that occurs only under negation (and not in
    the head), is a safety violation; anything else ungrounded (a head variable, a
    variable inside arithmetic) is an unbound variable. Returns None if the primary span
    is not `_` in a head and the code is not ungrounded-variable.
    """

    primary = diag.get("primary") or {}
    line = primary.get("line")
    text = (primary.get("text") or "").strip()
    rule = tr.rules[tr.rule_lines[line]] if line in tr.rule_lines else None
    name = diag.get("name")

    if rule is not None and text == "_" and any(isinstance(a, Wildcard) for a in rule.head.args):
        head_line_text = tr.text.splitlines()[line - 1]
        col = primary.get("column")
        head_end = head_line_text.find(":-")
        if col is None or head_end < 0 or col - 1 < head_end:
            return SafetyViolationError
    if name != "ungrounded-variable":
        return None
    if rule is not None:
        return _rule_family(rule, text)
    # No usable span: decide from the whole program (normally one offending rule).
    families = {_rule_family(r, "") for r in tr.rules}
    families.discard(None)
    return families.pop() if len(families) == 1 else UnboundVariableError


def _rule_family(rule: Rule, text: str) -> type[StanceError] | None:
    """The family of the ungrounded variable named `text` in `rule` (or of the rule's worst one)."""

    positive = {a.name for lit in rule.body if lit.kind == "pos" for a in lit.atom.args if isinstance(a, Var)}  # type: ignore[union-attr]
    head_vars = {v for a in rule.head.args for v in _expr_vars(a)}
    negated = {v for lit in rule.body if lit.kind == "neg" for a in lit.atom.args for v in _expr_vars(a)}  # type: ignore[union-attr]
    only_negated = (negated - positive) - head_vars
    head_unbound = head_vars - positive
    case_names = {var_name(v): v for v in only_negated | head_unbound}
    if text in case_names:
        return SafetyViolationError if case_names[text] in only_negated else UnboundVariableError
    if head_unbound:
        return UnboundVariableError
    if only_negated or any(isinstance(a, Wildcard) for a in rule.head.args):
        return SafetyViolationError
    if text:
        return UnboundVariableError
    return None


def error_from_diagnostics(tr: Translation, diags: list[dict[str, Any]]) -> StanceError:
    errors = [d for d in diags if d.get("severity") == "error"] or diags
    if not errors:
        return StanceError("stance exited 1 without a diagnostic")
    first = errors[0]
    message = "; ".join(f"{d.get('name')}: {d.get('message')}" for d in errors)
    name = first.get("name", "")
    cls = _NAME_TO_CLASS.get(name) or classify_ungrounded(tr, first)
    if cls is not None:
        return cls(message, errors)
    return StanceError(message, errors, code=str(name).replace("-", "_") or None)


# ---------------------------------------------------------------------------------------
# Running stance
# ---------------------------------------------------------------------------------------


def stance_bin() -> Path:
    raw = os.environ.get("STANCE_BIN")
    path = Path(raw) if raw else REPO_ROOT / "target" / "release" / "stance"
    return path if path.is_absolute() else REPO_ROOT / path


def parse_output(tr: Translation, stdout: str) -> dict[str, set[tuple[Any, ...]]]:
    try:
        doc = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise StanceInvocationError(f"stance printed no JSON: {exc}: {stdout[:200]!r}") from exc
    facts: dict[str, set[tuple[Any, ...]]] = {}
    for rel in doc.get("relations", []):
        name = tr.names.to_case.get(rel["name"], rel["name"])
        types = rel.get("types", [])
        rows: set[tuple[Any, ...]] = set()
        for t in rel["tuples"]:
            row = []
            for i, v in enumerate(t):
                ty = types[i] if i < len(types) else None
                if ty == "number" and not isinstance(v, int):
                    v = int(v)
                row.append(v)
            rows.add(tuple(row))
        facts[name] = rows
    return facts


class StanceEvaluator:
    """`evaluate(program) -> Model`, the suite's DatalogEvaluator protocol."""

    def __init__(self, binary: Path | None = None, facts_mode: str | None = None, timeout: float = 300):
        self.binary = binary or stance_bin()
        self.facts_mode = facts_mode or os.environ.get("STANCE_CONFORMANCE_FACTS", "inline")
        self.timeout = timeout

    def evaluate(self, program: Any) -> Any:
        from datalog_conformance.schema import Model

        tr = translate(program.facts, list(program.rules), self.facts_mode)
        if not self.binary.exists():
            raise StanceInvocationError(
                f"stance binary not found at {self.binary} (build with `cargo build --release` or set STANCE_BIN)"
            )
        with tempfile.TemporaryDirectory(prefix="stance-conf-") as tmp:
            tmpdir = Path(tmp)
            rules_path = tmpdir / "case.dl"
            rules_path.write_text(tr.text, encoding="utf-8")
            facts_dir = tmpdir / "facts"
            facts_dir.mkdir()
            for rel, rows in tr.fact_files.items():
                (facts_dir / f"{rel}.facts").write_text(render_tsv(rows), encoding="utf-8")
            cmd = [
                str(self.binary), "infer",
                "--rules", str(rules_path),
                "--facts", str(facts_dir),
                "--format", "json",
                "--diagnostic-format", "json",
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout)
            if proc.returncode == 0:
                return Model(facts=parse_output(tr, proc.stdout))
            if proc.returncode == 1:
                diags = []
                for line in proc.stderr.splitlines():
                    line = line.strip()
                    if line.startswith("{"):
                        try:
                            diags.append(json.loads(line))
                        except json.JSONDecodeError:
                            pass
                if diags:
                    raise error_from_diagnostics(tr, diags)
            raise StanceInvocationError(
                f"stance exited {proc.returncode}\n--- stderr\n{proc.stderr[-2000:]}\n--- program\n{tr.text[:2000]}"
            )
