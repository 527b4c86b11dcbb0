#!/usr/bin/env python3
"""Grade computation against plain evaluation with recording (issue 21).

Transitive closure over a random directed graph given as a statement table (`edge` rows),
every row with a random grade and confidence. Two runs of `stance explain --full` on one
tuple, each evaluating the whole program with recording on:

- plain:  the table without its `grade` and `confidence` columns (no grading);
- graded: the same rows with them (every tuple of the model graded and scored).

Prints wall time, CPU (user) time and peak memory (GNU time) of each, medians over --reps
runs, alternating (on a shared machine, CPU time is the steadier of the two).
Usage: bench/grades.py [--nodes 8000] [--edges 12000] [--reps 3] [--stance target/release/stance]
"""

import argparse
import os
import random
import statistics
import subprocess
import tempfile

RULES = """// Transitive closure over `edge` statements (bench/grades.py).
.decl path(x: symbol, y: symbol)
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
"""


def tables(root, nodes, edges, seed):
    rng = random.Random(seed)
    pairs = set()
    while len(pairs) < edges:
        pairs.add((rng.randrange(nodes), rng.randrange(nodes)))
    pairs = sorted(pairs)
    for name, graded in (("plain", False), ("graded", True)):
        d = os.path.join(root, name)
        os.makedirs(os.path.join(d, "facts"))
        with open(os.path.join(d, "rules.dl"), "w") as f:
            f.write(RULES)
        with open(os.path.join(d, "facts", "edges.csv"), "w") as f:
            f.write("subject,relation,object,grade,confidence\n" if graded else "subject,relation,object\n")
            grng = random.Random(seed + 1)
            for a, b in pairs:
                if graded:
                    g = "ABCDEF"[grng.randrange(6)] + str(1 + grng.randrange(6))
                    f.write(f"n{a},edge,n{b},{g},{grng.randrange(1, 101) / 100}\n")
                else:
                    f.write(f"n{a},edge,n{b}\n")
    return pairs[0]


def run(stance, d, claim):
    argv = ["/usr/bin/time", "-f", "%e %U %M", stance, "explain", claim, "--full", "--rules", "rules.dl", "--facts", "facts"]
    out = subprocess.run(argv, cwd=d, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    secs, user, kb = out.stderr.strip().splitlines()[-1].split()
    return float(secs), int(kb) / 1024, out.stdout.splitlines()[0], float(user)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=8000)
    p.add_argument("--edges", type=int, default=12000)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--stance", default="target/release/stance")
    a = p.parse_args()
    stance = os.path.abspath(a.stance)
    with tempfile.TemporaryDirectory() as root:
        a0, b0 = tables(root, a.nodes, a.edges, a.seed)
        claim = f'path("n{a0}", "n{b0}")'
        results = {"plain": [], "graded": []}
        for _ in range(a.reps):
            for name in ("plain", "graded"):
                results[name].append(run(stance, os.path.join(root, name), claim))
        print(f"TC {a.nodes}/{a.edges}, seed {a.seed}, {a.reps} runs each, `stance explain '{claim}' --full`")
        base = None
        for name in ("plain", "graded"):
            t = statistics.median(r[0] for r in results[name])
            m = statistics.median(r[1] for r in results[name])
            u = statistics.median(r[3] for r in results[name])
            base = base or (t, m, u)
            print(f"{name:7} median {t:7.2f} s ({u:.2f} s CPU)  peak {m:8.1f} MB  ({t / base[0]:.2f}x time, {u / base[2]:.2f}x CPU, {m / base[1]:.2f}x memory)  {results[name][0][2]}")


if __name__ == "__main__":
    main()
