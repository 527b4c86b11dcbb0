#!/usr/bin/env python3
"""Grade computation against plain evaluation with recording (issue 21).

Transitive closure over a random directed graph given as a statement table (`edge` rows).
The same rows in three tables, each run with recording on:

- plain:  without `grade` and `confidence` columns (no grading);
- grades: with a random `grade` per row (grades only: the issue's "random grades on edges");
- both:   with a random `grade` and `confidence` per row (grades and confidences).

The command is `stance explain --full` on one tuple (every tuple of the model is graded to
show its proof), or with `--command infer`, `stance infer --format csv` of every tuple
(output discarded), which adds the grade columns to each row.

Prints wall time, CPU (user + system) time and peak memory (GNU time) of each, medians over
--reps runs, the variants alternating within each repetition (on a shared machine, CPU time is
the steadier of the two), and the load average before and after.
Usage: bench/grades.py [--nodes 8000] [--edges 12000] [--reps 3] [--variants plain,grades,both]
                       [--command explain|infer] [--stance target/release/stance]
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


def run(stance, d, claim, command):
    if command == "infer":
        args = ["infer", "--format", "csv"]
    else:
        args = ["explain", claim, "--full"]
    argv = ["/usr/bin/time", "-f", "%e %U %S %M", stance, *args, "--rules", "rules.dl", "--facts", "facts"]
    out = subprocess.run(argv, cwd=d, stdout=subprocess.PIPE if command != "infer" else subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    assert out.returncode == 0, out.stderr
    secs, user, system, kb = out.stderr.strip().splitlines()[-1].split()
    first = out.stdout.splitlines()[0] if out.stdout else ""
    return float(secs), int(kb) / 1024, first, float(user) + float(system)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=8000)
    p.add_argument("--edges", type=int, default=12000)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--variants", default="plain,grades,both")
    p.add_argument("--command", choices=["explain", "infer"], default="explain")
    p.add_argument("--stance", default="target/release/stance")
    a = p.parse_args()
    variants = a.variants.split(",")
    stance = os.path.abspath(a.stance)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as root:
        a0, b0 = tables(root, a.nodes, a.edges, a.seed, variants)
        claim = f'path("n{a0}", "n{b0}")'
        results = {name: [] for name in variants}
        for _ in range(a.reps):
            for name in variants:
                results[name].append(run(stance, os.path.join(root, name), claim, a.command))
        what = f"`stance explain '{claim}' --full`" if a.command == "explain" else "`stance infer --format csv`"
        print(f"TC {a.nodes}/{a.edges}, seed {a.seed}, {a.reps} runs each, {what}")
        print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
        base = None
        for name in variants:
            t = statistics.median(r[0] for r in results[name])
            m = statistics.median(r[1] for r in results[name])
            u = statistics.median(r[3] for r in results[name])
            base = base or (t, m, u)
            cpus = " ".join(f"{r[3]:.2f}" for r in results[name])
            print(f"{name:7} median {t:7.2f} s ({u:.2f} s CPU; runs {cpus})  peak {m:8.1f} MB  "
                  f"({t / base[0]:.2f}x time, {u / base[2]:.2f}x CPU, {m / base[1]:.2f}x memory)  {results[name][0][2]}")


if __name__ == "__main__":
    main()
