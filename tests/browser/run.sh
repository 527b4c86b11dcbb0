#!/usr/bin/env bash
# The browser test of `stance report`: builds reports for the example and for a fixture of
# hostile text, opens each in headless Chromium (Debian's `chromium`, driven through
# playwright-core) and checks the page after its scripts ran: node and edge counts computed
# independently (expected.py), a proof expands on click, hovering highlights edges, search
# filters, and the hostile text created no element and ran nothing. Fails on any failed check.
#
#   STANCE_BIN   the binary (default target/release/stance)
#   ARTIFACTS    where reports and screenshots go (default target/ci-artifacts)
set -euo pipefail
cd "$(dirname "$0")/../.."

STANCE_BIN=${STANCE_BIN:-target/release/stance}
ARTIFACTS=${ARTIFACTS:-target/ci-artifacts}
PLAYWRIGHT_VERSION=1.65.1
export PLAYWRIGHT_DIR=${PLAYWRIGHT_DIR:-target/browser-node/node_modules/playwright-core}

if [ ! -x /usr/bin/chromium ]; then
    echo "installing Debian's chromium"
    apt-get update -qq && apt-get install -y -qq chromium
fi
if [ ! -f "$PLAYWRIGHT_DIR/package.json" ]; then
    # A local install, never committed (target/ is ignored); no browser download.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix target/browser-node --no-audit --no-fund \
        "playwright-core@$PLAYWRIGHT_VERSION"
fi
export PLAYWRIGHT_DIR=$(cd "$PLAYWRIGHT_DIR" && pwd)
mkdir -p "$ARTIFACTS"

status=0
run_case() {
    local name=$1 rules=$2 facts=$3
    echo "== browser: $name ($rules over $facts)"
    if [ "$name" = violations ]; then
        # Contradictions and claim verdicts come from the library (no command makes them yet).
        cargo run --quiet --release --example report_fixture -- "$ARTIFACTS/$name.html"
    else
        "$STANCE_BIN" report --rules "$rules" --facts "$facts" -o "$ARTIFACTS/$name.html"
    fi
    "$STANCE_BIN" infer --rules "$rules" --facts "$facts" --format json > "$ARTIFACTS/$name.infer.json"
    python3 tests/browser/expected.py "$facts" "$ARTIFACTS/$name.infer.json" > "$ARTIFACTS/$name.expected.json"
    echo "expected: $(head -c 200 "$ARTIFACTS/$name.expected.json")"
    if ! node tests/browser/check.mjs "$ARTIFACTS/$name.html" "$ARTIFACTS/$name.expected.json" \
        "$ARTIFACTS/$name.png" "$name"; then
        status=1
    fi
    echo "report: $ARTIFACTS/$name.html"
}

run_case example rules facts
run_case hostile tests/browser/hostile/rules tests/browser/hostile/facts
run_case violations rules facts
if [ "$status" -ne 0 ]; then
    echo "browser test FAILED"
else
    echo "browser test passed; screenshots: $ARTIFACTS/example.png $ARTIFACTS/hostile.png $ARTIFACTS/violations.png"
fi
exit "$status"
