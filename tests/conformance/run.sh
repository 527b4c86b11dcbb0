#!/usr/bin/env bash
# Runs the core datalog-conformance cases (basic, negation, recursion, errors), its
# defeasible cases (strict_only, basic, superiority, ambiguity; closure and klm as expected
# failures: tests/conformance/test_defeasible.py) and the
# adapter's own unit tests against target/release/stance (or $STANCE_BIN).
# Usage: tests/conformance/run.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.venv-ci
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import datalog_conformance, pytest, yaml' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'datalog-conformance==0.1.0' pytest pyyaml
fi

if [ -z "${STANCE_BIN:-}" ]; then
    # cargo decides itself whether anything needs rebuilding.
    cargo build --release --quiet
fi

exec "$VENV/bin/python" -m pytest tests/conformance -p no:cacheprovider -q -rfE "$@"
