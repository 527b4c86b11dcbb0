#!/usr/bin/env python3
"""Loading memory and time for statement tables (issue 16, item 5).

Generates `bench_gen statements --rows N --seed 7` (subject, relation, object, source, date,
quote), then runs `stance infer` with bench/programs/load.dl (one `count` over one relation,
so evaluation is trivial and loading is what is measured) under GNU time. Prints, per size,
the median wall time, CPU (user) time, peak resident memory and peak memory per row over
--reps runs, and the result line (to check the run did the work).

A second run per size, `--explain`, quotes one row's provenance through `stance explain`, so
the path that reads a row back for a proof is measured (and checked) too.

Usage: bench/loading.py [--rows "100000 10000000"] [--reps 3] [--stance target/release/stance]
                        [--gen PATH] [--inputs DIR]
bench_gen is found with `cargo bench --no-run --bench bench_gen` unless --gen is given.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys


def bench_gen():
    out = subprocess.run(["cargo", "bench", "--no-run", "--quiet", "--bench", "bench_gen", "--message-format=json"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = json.loads(line)
        if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "bench_gen" and m.get("executable"):
            return m["executable"]
    sys.exit("bench_gen not built")


def generate(gen, inputs, rows):
    d = os.path.join(inputs, f"statements-{rows}-7")
    if not os.path.exists(os.path.join(d, "statements.csv")):
        os.makedirs(d, exist_ok=True)
        subprocess.run([gen, "statements", "--rows", str(rows), "--seed", "7", "--out", d], check=True)
    return d


def first_backs(path):
    """The claim `backs("S", "O")` of the table's first `backs` row (the generator's names
    hold no commas or quotes)."""
    with open(path) as f:
        for line in f:
            s, r, o = line.split(",", 3)[:3]
            if r == "backs":
                return f'backs("{s}", "{o}")'
    sys.exit(f"no backs row in {path}")


def timed(argv):
    out = subprocess.run(["/usr/bin/time", "-f", "%e %U %M"] + argv, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    secs, user, kb = out.stderr.strip().splitlines()[-1].split()
    return float(secs), float(user), int(kb), out.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", default="100000 10000000")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--stance", default="target/release/stance")
    p.add_argument("--gen")
    p.add_argument("--inputs", default="target/bench-inputs")
    a = p.parse_args()
    gen = a.gen or bench_gen()
    print(f"load average: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}, "
          f"cores: {os.cpu_count()}")
    print("| rows | run | median s | median user s | median peak MB | bytes/row | result |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for rows in [int(r) for r in a.rows.split()]:
        d = generate(gen, a.inputs, rows)
        claim = first_backs(os.path.join(d, "statements.csv"))
        runs = {
            "infer": [a.stance, "infer", "--rules", "bench/programs/load.dl", "--facts", d, "--format", "csv"],
            # The proof of one stated fact quotes its row (source, date, quote) from the file.
            "explain": [a.stance, "explain", claim, "--rules", "bench/programs/load.dl",
                        "--facts", d],
        }
        results = {k: [] for k in runs}
        for _ in range(a.reps):
            for k, argv in runs.items():  # alternating
                results[k].append(timed(argv))
        for k, rs in results.items():
            secs = statistics.median(r[0] for r in rs)
            user = statistics.median(r[1] for r in rs)
            kb = statistics.median(r[2] for r in rs)
            first = rs[0][3].strip().splitlines()
            shown = (first[-1] if k == "infer" else first[0])[:60] if first else ""
            print(f"| {rows:,} | {k} | {secs:.2f} | {user:.2f} | {kb / 1024:.1f} | {kb * 1024 / rows:.0f} | `{shown}` |")


if __name__ == "__main__":
    main()
