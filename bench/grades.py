#!/usr/bin/env python3
"""Grade computation against plain evaluation with recording (issue 21).

Transitive closure over a random directed graph given as a statement table (`edge` rows).
The same rows in three tables, each run with recording on:

- plain:  without `grade` and `confidence` columns (no grading);
- grades: with a random `grade` per row (grades only: the issue's "random grades on edges");
- both:   with a random `grade` and `confidence` per row (grades and confidences).

The command is `stance explain --full` on one tuple (the first edge's path, or `--claim`;
its derivation cone is graded to show its proof), or with `--command infer`, `stance infer
--format csv` of every tuple (output discarded), which adds the grade columns to each row. Grading needs the recorded
evaluation, and `explain` records in every variant; `infer` records only what it must, so
its `plain` run is given `--profile FILE`, which turns recording on without printing proofs:
the baseline is then, as the issue sets it, plain evaluation with recording.

The variants alternate within each repetition through bench/harness.py, which times each run
under GNU time: wall time, CPU (user + system) time and peak memory, medians over --reps runs
(on a shared machine, CPU time is the steadier); the load average before and after.
Usage: bench/grades.py [--nodes 8000] [--edges 12000] [--reps 3] [--variants plain,grades,both]
                       [--command explain|infer] [--claim 'path("n3", "n100")']
                       [--stance target/release/stance]
"""

import argparse
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_benchmark, table  # noqa: E402

RULES = """// Transitive closure over `edge` statements (bench/grades.py).
.decl path(x: symbol, y: symbol)
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
"""

HEADERS = {
    "plain": "subject,relation,object",
    "grades": "subject,relation,object,grade",
    "both": "subject,relation,object,grade,confidence",
}


def tables(root, nodes, edges, seed, variants):
    rng = random.Random(seed)
    pairs = set()
    while len(pairs) < edges:
        pairs.add((rng.randrange(nodes), rng.randrange(nodes)))
    pairs = sorted(pairs)
    for name in variants:
        d = os.path.join(root, name)
        os.makedirs(os.path.join(d, "facts"))
        with open(os.path.join(d, "rules.dl"), "w") as f:
            f.write(RULES)
        with open(os.path.join(d, "facts", "edges.csv"), "w") as f:
            f.write(HEADERS[name] + "\n")
            # The same grades in `grades` and `both`: one draw per row whatever is written.
            grng = random.Random(seed + 1)
            for a, b in pairs:
                g = "ABCDEF"[grng.randrange(6)] + str(1 + grng.randrange(6))
                c = grng.randrange(1, 101) / 100
                row = {"plain": f"n{a},edge,n{b}", "grades": f"n{a},edge,n{b},{g}", "both": f"n{a},edge,n{b},{g},{c}"}
                f.write(row[name] + "\n")
    return pairs[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=8000)
    p.add_argument("--edges", type=int, default=12000)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--variants", default="plain,grades,both")
    p.add_argument("--command", choices=["explain", "infer"], default="explain")
    p.add_argument("--claim", help="the tuple `explain` proves (default: the first edge's path)")
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--stance", default="target/release/stance")
    a = p.parse_args()
    variants = a.variants.split(",")
    stance = os.path.abspath(a.stance)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as root:
        a0, b0 = tables(root, a.nodes, a.edges, a.seed, variants)
        claim = a.claim or f'path("n{a0}", "n{b0}")'

        def argv(name):
            d = os.path.join(root, name)
            if a.command == "infer":
                args = ["infer", "--format", "csv"]
                if name == "plain":
                    args += ["--profile", os.path.join(root, "plain-profile.json")]
            else:
                args = ["explain", claim, "--full"]
            # `exec` keeps GNU time's numbers stance's own; the output goes to /dev/null.
            return ["sh", "-c", 'exec "$0" "$@" > /dev/null', stance, *args,
                    "--rules", os.path.join(d, "rules.dl"), "--facts", os.path.join(d, "facts")]

        what = f"`stance explain '{claim}' --full`" if a.command == "explain" else "`stance infer --format csv`"
        bench = {
            "name": "grades",
            "title": "grade computation against plain evaluation with recording",
            "input": f"TC {a.nodes:,}/{a.edges:,}, seed {a.seed}, {what}",
            "engines": {name: argv(name) for name in variants},
            "baseline": variants[0],
            "counts_optional": True,
        }
        # The harness alternates the variants and times each under GNU time (wall, peak, CPU).
        with open(os.path.join(root, "stderr.log"), "w") as log:
            result = run_benchmark(bench, a.reps, a.timeout, log, required=set(variants))
        print(table(bench, result))
        print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
        base = result[variants[0]]["cpu_seconds"]
        for name in variants:
            cpu = result[name]["cpu_seconds"]
            print(f"{name:7} CPU (user + system), median {cpu:.2f} s ({cpu / base:.2f}x)")


if __name__ == "__main__":
    main()
