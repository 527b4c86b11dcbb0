#!/usr/bin/env bash
# The browser test of `stance report`: builds reports for the example (with its claims file)
# and for a fixture of hostile text, opens each in headless Chromium (Debian's `chromium`,
# driven through playwright-core) and checks the page after its scripts ran: node and edge
# counts, contradictions, flagged edges and claim verdicts computed independently
# (expected.py, from `infer`, `contradictions` and `review` JSON), a proof expands on click,
# hovering highlights edges, search filters, and the hostile text created no element and ran
# nothing; with `--with-time`, each stop of the day slider shows the edges of `stance graph
# --as-of` that day (expected_time.py). Fails on any failed check.
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
    shift 3
    local claims=("$@") claim_args=()
    [ ${#claims[@]} -gt 0 ] && claim_args=(--claims "${claims[@]}")
    echo "== browser: $name ($rules over $facts${claims[*]:+, claims: ${claims[*]}})"
    local project=(--rules "$rules" --facts "$facts") time_args=()
    # The "time" case (tests/browser/time/, dated) has `--with-time`: its day slider is checked too.
    [ "$name" = time ] && time_args=(--with-time)
    "$STANCE_BIN" report "${project[@]}" "${claim_args[@]}" "${time_args[@]}" -o "$ARTIFACTS/$name.html"
    "$STANCE_BIN" infer "${project[@]}" --format json > "$ARTIFACTS/$name.infer.json" 2>/dev/null
    # Exit 1 means "there are violations" / "a claim failed": the JSON is what counts here.
    "$STANCE_BIN" contradictions "${project[@]}" --format json > "$ARTIFACTS/$name.contradictions.json" 2>/dev/null || true
    local expected=("$facts" "$ARTIFACTS/$name.infer.json" "$ARTIFACTS/$name.contradictions.json")
    if [ ${#claims[@]} -gt 0 ]; then
        "$STANCE_BIN" review "${project[@]}" --format json "${claims[@]}" > "$ARTIFACTS/$name.review.json" || true
        expected+=("$ARTIFACTS/$name.review.json")
    fi
    python3 tests/browser/expected.py "${expected[@]}" > "$ARTIFACTS/$name.expected.json"
    if [ "$name" = time ]; then
        python3 tests/browser/expected_time.py "$STANCE_BIN" "$ARTIFACTS/$name.html" "$ARTIFACTS/$name.expected.json" \
            -- "${project[@]}" > "$ARTIFACTS/$name.expected-time.json"
        mv "$ARTIFACTS/$name.expected-time.json" "$ARTIFACTS/$name.expected.json"
    fi
    echo "expected: $(head -c 200 "$ARTIFACTS/$name.expected.json")"
    if ! node tests/browser/check.mjs "$ARTIFACTS/$name.html" "$ARTIFACTS/$name.expected.json" \
        "$ARTIFACTS/$name.png" "$name"; then
        status=1
    fi
    echo "report: $ARTIFACTS/$name.html"
}

run_case example rules facts claims/libya.claims
run_case hostile tests/browser/hostile/rules tests/browser/hostile/facts
run_case time tests/browser/time/rules tests/browser/time/facts
if [ "$status" -ne 0 ]; then
    echo "browser test FAILED"
else
    echo "browser test passed; screenshots: $ARTIFACTS/example.png $ARTIFACTS/hostile.png"
fi
exit "$status"
