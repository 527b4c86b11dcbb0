"""Unit tests of the adapter itself: translation, output parsing, error mapping.

These need no stance binary; the subprocess path is exercised with a fake `stance`
script written to a temporary directory.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from datalog_conformance.schema import Model, Program

import stance_adapter as sa


def tr(facts, rules, mode="inline"):
    return sa.translate(facts, rules, mode)


# ---------------------------------------------------------------------------- parsing


def test_parse_rule_shapes() -> None:
    r = sa.parse_rule("Fib(n, x + y) :- Fib(n - 1, x), Fib(n - 2, y), (n <= 25)")
    assert r.head.pred == "Fib"
    assert r.head.args[1] == sa.BinOp("+", sa.Var("x"), sa.Var("y"))
    assert [lit.kind for lit in r.body] == ["pos", "pos", "cmp"]
    assert r.body[2].op == "<="
    r = sa.parse_rule("Ok() :- not Ok()")
    assert r.head.args == [] and r.body[0].kind == "neg"
    r = sa.parse_rule('T (x1, x3) :- R(x1, "a b", _), x1 != 3.')
    assert r.body[0].atom.args == [sa.Var("x1"), sa.Const("a b"), sa.Wildcard()]
    assert r.body[1].kind == "cmp" and r.body[1].rhs == sa.Const(3)
    assert sa.parse_rule("result(1-2-3) :- seed(x).").head.args == [
        sa.BinOp("-", sa.BinOp("-", sa.Const(1), sa.Const(2)), sa.Const(3))
    ]
    assert sa.parse_rule('p(X) :- q("a\\"b").').body[0].atom.args == [sa.Const('a"b')]


# ------------------------------------------------------------------------ translation


def test_translate_basic_program_text() -> None:
    t = tr(
        {"parent": [("ada", "bob"), ("bob", "cora")], "age": [("ada", 36)]},
        ["grand(X, Z) :- parent(X, Y), parent(Y, Z), not age(X, 40)."],
    )
    assert t.text.splitlines()[1:] == [
        ".decl parent(c0: symbol, c1: symbol)",
        ".decl age(c0: symbol, c1: number)",
        ".decl grand(c0: symbol, c1: symbol)",
        ".output parent",
        ".output age",
        ".output grand",
        'parent("ada", "bob").',
        'parent("bob", "cora").',
        'age("ada", 36).',
        "grand(X, Z) :- parent(X, Y), parent(Y, Z), !age(X, 40).",
    ]
    assert t.rule_lines == {11: 0}


def test_a_variable_only_under_negation_becomes_a_projection() -> None:
    # Nemo's `not s3(X, P, P)`: no P with s3(X, P, P). P is unbound in Soufflé's reading,
    # so the defeasible adapter derives the projection over X and negates that.
    rules, extra = sa.project_negations(
        [sa.parse_rule(r) for r in ["px(X, Y) :- main(X, Y), not s3(X, P, P).", "keep(X) :- main(X, Y), not s3(X, Y, _)."]]
    )
    names = sa.NameMap()
    shown = [
        f"{sa.render_atom(r.head, names)} :- "
        + ", ".join(("!" if lit.kind == "neg" else "") + sa.render_atom(lit.atom, names) for lit in r.body)
        for r in rules + extra
    ]
    assert shown == [
        "px(X, Y) :- main(X, Y), !proj__1(X)",
        "keep(X) :- main(X, Y), !s3(X, Y, _)",
        "proj__1(X) :- s3(X, P, P)",
    ]


def test_types_propagate_through_rules_and_arithmetic() -> None:
    t = tr(
        {"R": [(1, 2)], "name": [("a",)]},
        [
            "A(a, b, a+b) :- R(a,b).",
            "B(y, x) :- A(x, y, _).",
            "C(n) :- name(n).",
            "D(x) :- E(x), x < 3.",
            "F(x) :- G(x).",
        ],
    )
    s = t.schema
    assert [s.column_type("A", i) for i in range(3)] == ["number"] * 3
    assert [s.column_type("B", i) for i in range(2)] == ["number"] * 2
    assert s.column_type("C", 0) == "symbol"
    assert s.column_type("E", 0) == "number"  # learnt from `x < 3`
    assert s.column_type("F", 0) == "symbol"  # nothing known: default
    assert "A(a, b, (a + b)) :- R(a, b)." in t.text


def test_mixed_column_is_symbol_and_quoted_numbers_stay_strings() -> None:
    t = tr({"token": [("1",), ("01",)], "m": [(1,), ("x",)]}, [])
    assert ".decl token(c0: symbol)" in t.text
    assert 'token("01").' in t.text
    assert ".decl m(c0: symbol)" in t.text


def test_body_constant_of_other_type_never_matches() -> None:
    # souffle_evaluation_minmax: `equal("6", "6", r)` over int columns.
    t = tr(
        {"succ": [(0, 1)], "equal": [(0, 0, 1)]},
        ['Is(r) :- equal("6", "6", r).', "Is(r) :- equal(0, 0, r).", 'W(x) :- succ(x, _), not equal("a", x, x).'],
    )
    assert ".decl equal(c0: number, c1: number, c2: number)" in t.text
    assert "Is(r) :- equal(0, 0, r)." in t.text
    assert not [ln for ln in t.text.splitlines() if 'equal("6"' in ln and not ln.startswith("//")]
    assert "W(x) :- succ(x, _)." in t.text
    assert len(t.notes) == 2


def test_names_that_clash_or_are_not_identifiers_are_renamed() -> None:
    t = tr({"count": [(1,)]}, ["out(min) :- count(min)."])
    assert ".decl r__count(c0: number)" in t.text
    assert "out(v__min) :- r__count(v__min)." in t.text
    assert t.names.to_case["r__count"] == "count"
    t = tr({"my-rel": [("a",)]}, [])
    assert ".decl r__my_rel(c0: symbol)" in t.text


def test_strings_are_escaped() -> None:
    t = tr({"s": [('say "hi"\\\n',)]}, [])
    assert 's("say \\"hi\\"\\\\\\n").' in t.text


def test_arity_mismatch_is_left_for_stance() -> None:
    t = tr({"Fib": [(0, 0, 2), (1, 1)]}, [])
    assert ".decl Fib(c0: number, c1: number, c2: number)" in t.text
    assert "Fib(1, 1)." in t.text


def test_tsv_mode_writes_fact_files_but_keeps_odd_relations_inline() -> None:
    t = tr({"e": [(1, "a")], "odd": [("x\ty",)], "bad": [(1,), (1, 2)]}, [], mode="tsv")
    assert ".input e" in t.text and "e" in t.fact_files
    assert sa.render_tsv(t.fact_files["e"]) == "1\ta\n"
    assert 'odd("x\\ty").' in t.text
    assert "bad(1, 2)." in t.text


# --------------------------------------------------------------------------- output


def test_parse_output_maps_names_and_types() -> None:
    t = tr({"count": [(1, "a")]}, [])
    out = json.dumps(
        {"relations": [{"name": "r__count", "columns": ["c0", "c1"], "types": ["number", "symbol"], "tuples": [[1, "a"], [-2, "3"]]}]}
    )
    assert sa.parse_output(t, out) == {"count": {(1, "a"), (-2, "3")}}


# --------------------------------------------------------------------------- errors


def diag(name, line=None, text=None, column=None):
    d = {"severity": "error", "code": "E000", "name": name, "message": f"{name} here"}
    if line is not None:
        d["primary"] = {"file": "case.dl", "line": line, "column": column or 1, "text": text or ""}
    return d


def err_for(rules, d_fn):
    t = tr({"person": [("alice",)], "q": [("a",)]}, rules)
    line = max(t.rule_lines)
    return sa.error_from_diagnostics(t, [d_fn(line)])


@pytest.mark.parametrize(
    "rule, text, expected",
    [
        ("ok(X) :- person(X), not banned(X, Y).", "Y", "SafetyViolationError"),
        ("p(X) :- q(Y).", "X", "unbound_variable"),
        ("Fib(n, x + y) :- Fib(n - 1, x), Fib(n - 2, y), (n <= 25)", "n", "unbound_variable"),
        ("Ok(_) :- Ok(_)", "_", "safety_violations"),
    ],
)
def test_ungrounded_is_split_by_where_the_variable_is(rule, text, expected) -> None:
    from datalog_conformance.runner import _matches_expected_error

    exc = err_for([rule], lambda line: diag("ungrounded-variable", line, text))
    assert _matches_expected_error(exc, expected), (type(exc).__name__, exc.code)
    # Without a span the rule alone decides the same way.
    exc = err_for([rule], lambda line: diag("ungrounded-variable"))
    assert _matches_expected_error(exc, expected)


def test_underscore_in_head_reported_as_syntax_is_still_a_safety_violation() -> None:
    exc = err_for(["Ok(_) :- Ok(_)"], lambda line: diag("syntax", line, "_", column=4))
    assert isinstance(exc, sa.SafetyViolationError)


def test_simple_code_mapping() -> None:
    t = tr({}, [])
    assert sa.error_from_diagnostics(t, [diag("arity-mismatch")]).code == "arity_mismatch"
    assert sa.error_from_diagnostics(t, [diag("unstratifiable")]).code == "cyclic_negation"
    e = sa.error_from_diagnostics(t, [{"severity": "warning", "name": "singleton-variable"}, diag("type-mismatch")])
    assert type(e) is sa.StanceError and e.code == "type_mismatch"


# ----------------------------------------------------------------- fake stance binary

FAKE = r'''#!PYTHON
import json, os, re, sys
args = sys.argv[1:]
assert args[0] == "infer", args
rules = args[args.index("--rules") + 1]
assert "--format" in args and "--diagnostic-format" in args
mode = os.environ.get("FAKE_STANCE_MODE", "echo")
if mode.startswith("error:"):
    sys.stderr.write("not json\n" + mode[len("error:"):] + "\n")
    sys.exit(1)
if mode == "crash":
    sys.exit(101)
decls, facts = {}, {}
for line in open(rules):
    m = re.match(r"\.decl (\w+)\((.*)\)", line)
    if m:
        decls[m.group(1)] = [c.split(": ")[1] for c in m.group(2).split(", ") if c]
    m = None if ":-" in line else re.match(r"(\w+)\((.*)\)\.$", line.strip())
    if m:
        facts.setdefault(m.group(1), []).append(json.loads("[" + m.group(2) + "]"))
print(json.dumps({"relations": [
    {"name": n, "columns": ["c%d" % i for i in range(len(t))], "types": t, "tuples": sorted(facts.get(n, []))}
    for n, t in decls.items()]}))
'''


@pytest.fixture
def fake_stance(tmp_path: Path) -> Path:
    p = tmp_path / "stance"
    p.write_text(FAKE.replace("PYTHON", sys.executable))
    p.chmod(p.stat().st_mode | stat.S_IEXEC)
    return p


def test_evaluator_round_trip_with_fake_binary(fake_stance: Path) -> None:
    ev = sa.StanceEvaluator(binary=fake_stance)
    model = ev.evaluate(Program(facts={"e": [(1, "a"), (2, "b")], "count": [(3,)]}, rules=["p(x) :- e(x, _)."]))
    assert isinstance(model, Model)
    assert model.facts["e"] == {(1, "a"), (2, "b")}
    assert model.facts["count"] == {(3,)}
    assert model.facts["p"] == set()


def test_evaluator_raises_mapped_error_with_fake_binary(fake_stance: Path, monkeypatch) -> None:
    d = {"severity": "error", "code": "E015", "name": "unstratifiable", "message": "negation in a cycle"}
    monkeypatch.setenv("FAKE_STANCE_MODE", "error:" + json.dumps(d))
    with pytest.raises(sa.CyclicNegationError) as info:
        sa.StanceEvaluator(binary=fake_stance).evaluate(Program(facts={}, rules=["Ok() :- not Ok()"]))
    assert info.value.code == "cyclic_negation"
    monkeypatch.setenv("FAKE_STANCE_MODE", "crash")
    with pytest.raises(sa.StanceInvocationError):
        sa.StanceEvaluator(binary=fake_stance).evaluate(Program(facts={}, rules=[]))


def test_missing_binary_is_an_invocation_error(tmp_path: Path) -> None:
    with pytest.raises(sa.StanceInvocationError):
        sa.StanceEvaluator(binary=tmp_path / "nope").evaluate(Program(facts={}, rules=[]))


def test_stance_bin_defaults_to_release_build(monkeypatch) -> None:
    monkeypatch.delenv("STANCE_BIN", raising=False)
    assert sa.stance_bin() == sa.REPO_ROOT / "target" / "release" / "stance"
    monkeypatch.setenv("STANCE_BIN", "x/y")
    assert sa.stance_bin() == sa.REPO_ROOT / "x" / "y"
    assert os.path.isabs(sa.stance_bin())


# ---------------------------------------------------------------------------- defeasible


def test_defeasible_theory_translation() -> None:
    from datalog_conformance.schema import DefeasibleTheory, Rule

    import stance_defeasible as sd

    theory = DefeasibleTheory(
        facts={"penguin": [("tweety",)], "~fly": [("opus",)]},
        strict_rules=[Rule("r3", "bird(X)", ["penguin(X)"])],
        defeasible_rules=[Rule("r1", "fly(X)", ["bird(X)"]), Rule("r2", "~fly(X)", ["penguin(X)"]), Rule("p", "p", [])],
        defeaters=[Rule("d-1", "~fly(X)", ["injured(X)"])],
        superiority=[("r2", "r1")],
    )
    text, names = sd.translate_theory(theory)
    assert text.splitlines()[1:] == [
        ".decl penguin(c0: symbol)",
        ".decl fly(c0: symbol)",
        ".decl bird(c0: symbol)",
        ".decl p()",
        ".decl injured(c0: symbol)",
        'penguin("tweety").',
        '~fly("opus").',
        "@r_r3 bird(X) :- penguin(X).",
        "@r_r1 fly(X) :~ bird(X).",
        "@r_r2 ~fly(X) :~ penguin(X).",
        "@r_p p() :~ true.",
        "@r_d_1 ~fly(X) :~> injured(X).",
        ".prefer by specificity",
        ".prefer r_r2 > r_r1",
    ]


def test_closure_policies_are_refused_by_name() -> None:
    from datalog_conformance.schema import DefeasibleTheory, Policy

    import stance_defeasible as sd

    with pytest.raises(sd.UnsupportedPolicy):
        sd.StanceDefeasibleEvaluator(binary=Path("/nonexistent")).evaluate(DefeasibleTheory(), Policy.RATIONAL_CLOSURE)
