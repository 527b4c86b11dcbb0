#!/usr/bin/env bash
# Round trips of `stance graph --format graphml|json|csv` through networkx (test_networkx.py),
# in the Python venv the conformance suite uses (.venv-ci), with networkx from PyPI.
#   STANCE_BIN   the binary (default target/release/stance)
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.venv-ci
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import networkx, pytest' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'networkx==3.5' pytest
fi
export STANCE_BIN=${STANCE_BIN:-target/release/stance}
exec "$VENV/bin/python" -m pytest tests/export -p no:cacheprovider -q -rfE "$@"
