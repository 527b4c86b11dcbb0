#!/usr/bin/env python3
"""Temporal transitive closure (issue 17): `stance infer --with-time` against plain
`stance infer` on the same dated edges (bench/programs/tc_time.dl; plain TC ignores the
dates, so every edge holds always). Reports median time and peak memory of each, their
ratio, and the number of path pairs beside the number of (pair, maximal interval) rows.

Usage: bench/temporal.py [--reps N] [--quick] [--statements-only] [--stance PATH --gen PATH]
(`--stance` and `--gen` name release binaries already built, instead of building them.)
Inputs (bench_gen dated, seed 42): the issue's graph, 8,000 nodes and 12,000 edges, each
valid on one interval starting uniformly over 2000-2009 and lasting 1 to 5 years; and a
stress variant on 2,000 nodes and 3,000 edges where nearly every edge overlaps every other
(starts over 2000-2001, 10 to 15 years), so that the temporal closure is as large as the
plain one and every pair's interval grows over many rounds.
Then, on 1 M dated statement rows (`bench_gen statements --rows 1000000 --seed 42`, rules
bench/programs/aligned_time.dl; 20,000 rows with --quick): `stance timeline` of one claim and
`stance changes` over a week and over a year, each with `--timing` (load, evaluate with
time, answer: the part after evaluation is what the issue's targets bound).
Results: target/bench/temporal.md; runs logged in target/bench/temporal.log.
"""
import json
import os
import re
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
    if "--statements-only" in sys.argv:
        variants, lines = [], []
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
        lines += ["", *statements(stance, gen, reps, quick, log)]
    with open(os.path.join(OUT, "temporal.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


TIMING = re.compile(r"timing: load ([0-9.]+) ms, evaluate with time ([0-9.]+) ms, answer ([0-9.]+) ms")


def timed_run(argv, log):
    """One run under GNU time with `--timing`: (wall s, peak MB, (load, evaluate, answer) ms, stdout)."""
    p = subprocess.run(["/usr/bin/time", "-f", "%e %M", *argv, "--timing"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=3600)
    log.write(f"$ {' '.join(argv)} --timing\n{p.stderr}")
    if p.returncode != 0:
        raise RuntimeError(f"exit code {p.returncode}: {p.stderr[-500:]}")
    phases = tuple(float(x) for x in TIMING.search(p.stderr).groups())
    wall, kb = p.stderr.strip().splitlines()[-1].split()
    return float(wall), int(kb) / 1024, phases, p.stdout


def statements(stance, gen, reps, quick, log):
    """`timeline` of one claim and `changes` over a week and a year on dated statements."""
    rows = 20_000 if quick else 1_000_000
    d = os.path.join(OUT, "inputs", f"statements-{rows}-42")
    subprocess.run([gen, "statements", "--rows", str(rows), "--seed", "42", "--out", d], check=True)
    project = ["--rules", os.path.join(ROOT, "bench", "programs", "aligned_time.dl"), "--facts", d]
    # The first tuple of the first change in the year: a claim that has a change to explain.
    year = [stance, "changes", "--from", "2016-01-01", "--to", "2016-12-31", "--relation", "aligned", *project]
    first = subprocess.run(year, stdout=subprocess.PIPE, text=True, check=True).stdout.splitlines()[0]
    commands = [
        (f"`timeline '{first}'`", [stance, "timeline", first, *project]),
        ("`changes --from 2016-01-01 --to 2016-01-07 --relation aligned`",
         [stance, "changes", "--from", "2016-01-01", "--to", "2016-01-07", "--relation", "aligned", *project]),
        ("`changes --from 2016-01-01 --to 2016-12-31 --relation aligned`", year),
    ]
    out = [
        f"Time on {rows:,} dated statement rows (`bench_gen statements --seed 42`, "
        f"bench/programs/aligned_time.dl), median of {reps}; phases from `--timing`.",
        "",
        "| command | tuples shown | wall s | peak MB | load ms | evaluate with time ms | answer ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, argv in commands:
        runs = [timed_run(argv, log) for _ in range(reps)]
        med = lambda f: statistics.median(f(r) for r in runs)  # noqa: E731
        shown = sum(1 for line in runs[0][3].splitlines() if line and not line.startswith(" "))
        out.append(f"| {label} | {shown:,} | {med(lambda r: r[0]):.2f} | {med(lambda r: r[1]):.0f} | "
                   f"{med(lambda r: r[2][0]):.0f} | {med(lambda r: r[2][1]):.0f} | {med(lambda r: r[2][2]):.0f} |")
        print(out[-1], flush=True)
    return out


if __name__ == "__main__":
    main()
