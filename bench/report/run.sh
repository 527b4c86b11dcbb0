#!/usr/bin/env bash
# The report of a large synthetic model in headless Chromium (issue 18's numbers): ACTORS
# actors and ROWS statements (default 10000 and 100000), two derived relations; prints how
# long the page takes to open and run its script, to filter a relation and to place every
# label. Needs tests/browser/run.sh's playwright-core install and Debian's chromium.
#   STANCE_BIN (default target/release/stance), ACTORS, ROWS, OUT (default target/bench-report)
set -euo pipefail
cd "$(dirname "$0")/../.."
STANCE_BIN=${STANCE_BIN:-target/release/stance}
ACTORS=${ACTORS:-10000}
ROWS=${ROWS:-100000}
OUT=${OUT:-target/bench-report}
export PLAYWRIGHT_DIR=$(cd "${PLAYWRIGHT_DIR:-target/browser-node/node_modules/playwright-core}" && pwd)
mkdir -p "$OUT/facts" "$OUT/rules"
python3 - "$ACTORS" "$ROWS" > "$OUT/facts/statements.csv" <<'PY'
import random, sys
actors, rows = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(1)
rels = ["backs", "rejects", "meets", "courts", "relies_on"]
print("subject,relation,object,source,date,quote")
for i in range(rows):
    a, b = rng.randrange(actors), rng.randrange(actors)
    if a != b:
        print(f"A{a},{rng.choice(rels)},A{b},S,2020-01-01,q{i}")
PY
cat > "$OUT/rules/r.dl" <<'DL'
.decl aligned(x: symbol, y: symbol)
.output aligned
aligned(x, y) :- backs(x, y).
aligned(x, z) :- backs(x, y), relies_on(y, z), x != z.
.decl conflict(x: symbol, y: symbol)
.output conflict
conflict(x, y) :- rejects(x, y).
DL
"$STANCE_BIN" report --rules "$OUT/rules" --facts "$OUT/facts" --max-claims 2000 -o "$OUT/report.html"
ls -l "$OUT/report.html"
node bench/report/measure.mjs "$OUT/report.html"
