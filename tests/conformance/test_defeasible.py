"""Runs datalog-conformance's defeasible cases through `stance conclusions`.

Groups `strict_only`, `basic`, `superiority` and `ambiguity` must pass under their policies
(blocking, propagating). `closure` (rational, lexicographic and relevant closure) and `klm`
(KLM postulates of those closures) are expected failures, strictly: they are a different
family of semantics (ranked models over propositional defaults, Morris, Ross and Meyer
2020), not defeasible logic, and stance does not implement them.
"""

from __future__ import annotations

import os

import pytest

from datalog_conformance.plugin import get_tests_dir
from datalog_conformance.runner import YamlTestRunner
from datalog_conformance import schema

from conformance_cases import discover, strict_xfail
from stance_defeasible import StanceDefeasibleEvaluator

GROUPS = tuple(
    g
    for g in os.environ.get(
        "STANCE_DEFEASIBLE_GROUPS", "strict_only,basic,superiority,ambiguity,closure,klm"
    ).split(",")
    if g
)
NOT_IMPLEMENTED = {
    "closure": "rational/lexicographic/relevant closure are ranked-model semantics, not defeasible logic",
    "klm": "KLM postulates are properties of the closure semantics, which stance does not implement",
}

_CASES = discover(get_tests_dir() / "defeasible", GROUPS)


# None: a strict rule's variable that occurs only under negation is read as Nemo reads it,
# existentially (stance_adapter.project_negations), unlike in the core groups.
KNOWN_DIVERGENCES: dict[str, str] = {}


def _marks(case_id: str):
    marks = strict_xfail(case_id, KNOWN_DIVERGENCES)
    if marks:
        return marks
    group = case_id.split("/", 1)[0]
    if group in NOT_IMPLEMENTED:
        return [pytest.mark.xfail(reason=NOT_IMPLEMENTED[group], strict=True)]
    return []


def test_defeasible_corpus_was_found() -> None:
    if set(GROUPS) >= {"strict_only", "basic", "superiority", "ambiguity", "closure", "klm"}:
        assert len(_CASES) == 181, f"{len(_CASES)} defeasible cases found, 181 expected"


@pytest.fixture(scope="module")
def defeasible_runner() -> YamlTestRunner:
    return YamlTestRunner(StanceDefeasibleEvaluator())


@pytest.mark.conformance
@pytest.mark.parametrize("case", [pytest.param(c, id=i, marks=_marks(i)) for i, c in _CASES])
def test_defeasible_case(case: schema.TestCase, defeasible_runner: YamlTestRunner) -> None:
    if case.skip:
        pytest.skip(case.skip)
    defeasible_runner.run_test_case(case)
