#!/usr/bin/env python3
"""Temporal transitive closure (issue 17): `stance infer --with-time` against plain
`stance infer` on the same dated edges (bench/programs/tc_time.dl; plain TC ignores the
dates, so every edge holds always). Reports median time and peak memory of each, their
ratio, and the number of path pairs beside the number of (pair, maximal interval) rows.

Usage: bench/temporal.py [--reps N] [--quick] [--stance PATH --gen PATH]
(`--stance` and `--gen` name release binaries already built, instead of building them.)
Inputs (bench_gen dated, seed 42): the issue's graph, 8,000 nodes and 12,000 edges, each
valid on one interval starting uniformly over 2000-2009 and lasting 1 to 5 years; and a
stress variant on 2,000 nodes and 3,000 edges where nearly every edge overlaps every other
(starts over 2000-2001, 10 to 15 years), so that the temporal closure is as large as the
plain one and every pair's interval grows over many rounds.
Results: target/bench/temporal.md; runs logged in target/bench/temporal.log.
"""
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import measure  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")


def binaries():
    """The release `stance` and `bench_gen`, built as bench/run builds them."""
    build = subprocess.run(
        ["cargo", "bench", "--no-run", "--quiet", "--bench", "bench_gen", "--message-format=json"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True,
    ).stdout
    found = {}
    for line in build.splitlines():
        m = json.loads(line)
        if m.get("reason") == "compiler-artifact" and m.get("executable"):
            found[m["target"]["name"]] = m["executable"]
    return found["stance"], found["bench_gen"]


def main():
    reps = 1 if "--quick" in sys.argv else 3
    if "--reps" in sys.argv:
        reps = int(sys.argv[sys.argv.index("--reps") + 1])
    quick = "--quick" in sys.argv
    if "--stance" in sys.argv and "--gen" in sys.argv:
        stance, gen = (sys.argv[sys.argv.index(flag) + 1] for flag in ("--stance", "--gen"))
    else:
        stance, gen = binaries()
    os.makedirs(OUT, exist_ok=True)
    program = os.path.join(ROOT, "bench", "programs", "tc_time.dl")
    variants = [
        ("issue: starts 2000-2009, 1-5 years", (300, 450) if quick else (8000, 12000), []),
        ("stress: starts 2000-2001, 10-15 years", (300, 450) if quick else (2000, 3000),
         ["--start-years", "2", "--min-years", "10", "--max-years", "15"]),
    ]
    lines = [
        f"Temporal TC (`bench_gen dated --seed 42`), median of {reps}.",
        "",
        "| input | nodes / edges | pairs (plain) | pairs (with time) | (pair, interval) rows | plain s | plain MB | with time s | with time MB | time ratio | memory ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with open(os.path.join(OUT, "temporal.log"), "w") as log:
        for label, (nodes, edges), extra in variants:
            d = os.path.join(OUT, "inputs", f"dated-{nodes}-{edges}-42{''.join(extra).replace('-', '_')}")
            subprocess.run([gen, "dated", "--nodes", str(nodes), "--edges", str(edges), "--seed", "42", *extra,
                            "--out", d], check=True)
            base = [stance, "infer", "--rules", program, "--facts", d, "--format", "csv"]
            runs = {"plain": [], "time": []}
            outputs = {}
            for _ in range(reps):
                for name, argv in (("plain", base), ("time", base + ["--with-time"])):
                    seconds, kb, _, _ = measure(argv, 3600, log)
                    runs[name].append((seconds, kb))
                    outputs[name] = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True).stdout
            plain_pairs = int(outputs["plain"].split()[-1])
            _, time_pairs, rows = outputs["time"].split()[-3:]
            med = {k: (statistics.median(s for s, _ in v), statistics.median(kb for _, kb in v) / 1024)
                   for k, v in runs.items()}
            (ps, pm), (ts, tm) = med["plain"], med["time"]
            lines.append(f"| {label} | {nodes:,} / {edges:,} | {plain_pairs:,} | {int(time_pairs):,} | {int(rows):,} | {ps:.2f} | {pm:.0f} | "
                         f"{ts:.2f} | {tm:.0f} | {ts / ps:.2f}x | {tm / pm:.2f}x |")
            print(lines[-1], flush=True)
    with open(os.path.join(OUT, "temporal.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
