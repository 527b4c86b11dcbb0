"""Runs the core (non-defeasible) datalog-conformance cases through stance.

The datalog-conformance wheel is a pytest plugin that ships YAML cases but no test
function. Its own `pytest_generate_tests` hook parametrises a fixture named
`yaml_test_case` using pure-Python `yaml.safe_load`, which takes minutes on this corpus,
and its `--datalog-tags` filter needs *all* listed tags. So this file does its own
discovery: the same files and the same multi-case merging (`_load_multi_case_file`), but
parsed with libyaml's `CSafeLoader` and selected by top-level directory (`basic`,
`negation`, `recursion`, `errors`; `defeasible` is out of scope). Each case then goes
through the plugin's own `YamlTestRunner`, so matching of results and expected errors is
exactly the suite's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from datalog_conformance.plugin import _load_multi_case_file, get_tests_dir
from datalog_conformance.runner import YamlTestRunner
from datalog_conformance import schema

from stance_adapter import StanceEvaluator

GROUPS = tuple(
    g for g in os.environ.get("STANCE_CONFORMANCE_GROUPS", "basic,negation,recursion,errors").split(",") if g
)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _discover() -> list[tuple[str, schema.TestCase]]:
    root = get_tests_dir()
    out: list[tuple[str, schema.TestCase]] = []
    for group in GROUPS:
        for path in sorted((root / group).rglob("*.yaml")):
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
            if raw is None:
                continue
            rel = path.relative_to(root).with_suffix("").as_posix()
            if isinstance(raw, dict) and "tests" in raw:
                cases = _load_multi_case_file(raw, path)
            else:
                cases = [schema.TestCase.from_dict(raw)]
            out.extend((f"{rel}::{case.name}", case) for case in cases)
    return out


_CASES = _discover()

# Cases whose expectation contradicts Soufflé's semantics, which stance follows. The
# `nemo_negation` program (one program shared by 14 cases) negates atoms with variables
# that occur nowhere else, such as `not s3(X, 5, P)`, and expects Nemo's reading (P is
# existential). Soufflé rejects such a rule ("ungrounded variable"), and so does this suite's
# own `errors/review_v2_unsafe_negation` case (`not banned(X, Y)` must be a
# SafetyViolationError). Both cannot pass; stance keeps Soufflé's rule. `strict` makes an
# unexpected pass fail the run, so this list cannot go stale.
KNOWN_DIVERGENCES = {
    "negation/nemo_negation": "variables that occur only in a negated atom are an error in Soufflé and stance",
}


def _marks(case_id: str):
    for prefix, reason in KNOWN_DIVERGENCES.items():
        if case_id.startswith(prefix + "::"):
            return [pytest.mark.xfail(reason=reason, strict=True)]
    return []


def test_corpus_was_found() -> None:
    # Guards against a plugin upgrade moving the YAML: 0 cases would otherwise "pass".
    assert len(_CASES) >= 100, f"only {len(_CASES)} conformance cases found"


@pytest.fixture(scope="module")
def conformance_runner() -> YamlTestRunner:
    return YamlTestRunner(StanceEvaluator())


@pytest.mark.conformance
@pytest.mark.parametrize("case", [pytest.param(c, id=i, marks=_marks(i)) for i, c in _CASES])
def test_case(case: schema.TestCase, conformance_runner: YamlTestRunner) -> None:
    if case.skip:
        pytest.skip(case.skip)
    conformance_runner.run_test_case(case)
