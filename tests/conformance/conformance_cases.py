"""Case discovery shared by the core and defeasible conformance runs.

The datalog-conformance wheel is a pytest plugin that ships YAML cases but no test
function. Its own `pytest_generate_tests` hook parses with pure-Python `yaml.safe_load`,
which takes minutes on this corpus, and its `--datalog-tags` filter needs *all* listed
tags. So discovery is done here: the same files and the same multi-case merging
(`_load_multi_case_file`), parsed with libyaml's `CSafeLoader`, selected by directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from datalog_conformance.plugin import _load_multi_case_file
from datalog_conformance import schema

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def discover(root: Path, groups: tuple[str, ...]) -> list[tuple[str, schema.TestCase]]:
    """Every case under `root/<group>` for each group, as (id, case), ids relative to root."""
    out: list[tuple[str, schema.TestCase]] = []
    for group in groups:
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


def strict_xfail(case_id: str, divergences: dict[str, str]) -> list:
    """A strict xfail mark when `case_id` lies under one of `divergences`' prefixes.

    `strict` makes an unexpected pass fail the run, so the list cannot go stale.
    """
    for prefix, reason in divergences.items():
        if case_id.startswith(prefix + "::"):
            return [pytest.mark.xfail(reason=reason, strict=True)]
    return []
