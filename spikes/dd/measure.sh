#!/usr/bin/env bash
# The spike's measurements (docs/design/scale-out.md): identity with `stance infer`, the
# incremental update, then alternating timed runs (GNU time: wall seconds, peak KB).
# Usage: spikes/dd/measure.sh STANCE_BINARY WORKDIR [TC_NODES [NEG_NODES [FULL]]]
#   (run from the repository root; edges are 1.5 × nodes, seed 42, as bench/run's tc graph;
#   FULL=1 first checks identity and times the incremental updates at 8000/12000)
set -uo pipefail
STANCE=$1 W=$2 TN=${3:-8000} NN=${4:-4000} FULL=${5:-1}
TE=$((TN * 3 / 2)) NE=$((NN * 3 / 2))
DD=spikes/dd/target/release/dd-spike
mkdir -p "$W"
rustc -O --edition 2021 benches/gen.rs -o "$W/bench_gen"   # the benchmark suite's generator
gen() { [ -f "$W/g$1/edge.facts" ] || "$W/bench_gen" graph --nodes "$1" --edges "$2" --seed 42 --out "$W/g$1"; }
gen 8000 12000; gen "$TN" "$TE"; gen "$NN" "$NE"
t() { local name=$1; shift; /usr/bin/time -f "$name %e %M" -a -o "$W/times.txt" timeout 600 "$@" >/dev/null 2>>"$W/stderr.log"; }
log() { echo "== $* $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$W/times.txt"; }

if [ "$FULL" = 1 ]; then
log "identity + incremental, tc 8000/12000, 1 worker"
"$STANCE" infer --rules spikes/dd/programs/tc.dl --facts "$W/g8000" --output-dir "$W/s-tc8000" --allow-outside-paths >/dev/null
$DD tc "$W/g8000" out="$W/dd-tc8000-w1.tsv" incr -w1 2>&1 | tee -a "$W/times.txt"
cmp "$W/dd-tc8000-w1.tsv" "$W/s-tc8000/path.csv" && log "tc 8000 w1: IDENTICAL to stance"
fi

log "timed tc $TN/$TE, 3 reps alternating"
for rep in 1 2 3; do
    t stance_tc "$STANCE" infer --rules bench/programs/tc.dl --facts "$W/g$TN" --format csv --relation edge
    t dd_tc_w1 $DD tc "$W/g$TN" -w1
    t dd_tc_w2 $DD tc "$W/g$TN" -w2
done

log "identity, neg $NN/$NE, 2 workers"
"$STANCE" infer --rules spikes/dd/programs/neg.dl --facts "$W/g$NN" --output-dir "$W/s-neg$NN" --allow-outside-paths >/dev/null
$DD neg "$W/g$NN" out="$W/dd-neg$NN-w2.tsv" -w2 2>&1 | tee -a "$W/times.txt"
cmp "$W/dd-neg$NN-w2.tsv" "$W/s-neg$NN/acyclic.csv" && log "neg $NN w2: IDENTICAL to stance"

log "timed neg $NN/$NE, 3 reps alternating"
for rep in 1 2 3; do
    t stance_neg "$STANCE" infer --rules spikes/dd/programs/neg.dl --facts "$W/g$NN" --format csv --relation acyclic
    t dd_neg_w1 $DD neg "$W/g$NN" -w1
    t dd_neg_w2 $DD neg "$W/g$NN" -w2
done

if [ "$FULL" = 1 ]; then
log "identity + incremental, tc 8000/12000, 2 workers"
$DD tc "$W/g8000" out="$W/dd-tc8000-w2.tsv" incr -w2 2>&1 | tee -a "$W/times.txt"
cmp "$W/dd-tc8000-w2.tsv" "$W/s-tc8000/path.csv" && log "tc 8000 w2: IDENTICAL to stance"
fi
log done
