#!/usr/bin/env python3
"""A defeasible program over 1 M statement rows, 10 % of them denials, against the same
rules read as strict over the rows without the denials (issue 21).

- strict:     `ally(x, y) :- backs(x, y).` and `backed(y) :- ally(x, y).` over the
              affirmed rows only;
- defeasible: the same rules with `:~`, plus `~ally(x, y) :~ ~backs(x, y).` and
              `.prefer by grade`, over all rows: every denial contradicts an affirmed row
              (a random grade on each), so each of those conflicts is weighed.

Both run `stance infer` (the shown relations to /dev/null). Prints wall time and peak
memory (GNU time), medians over --reps runs, alternating.
Usage: bench/defeasible.py [--rows 1000000] [--actors 100000] [--reps 3] [--stance target/release/stance]
"""

import argparse
import os
import random
import statistics
import subprocess
import tempfile

STRICT = """// bench/defeasible.py, strict reading
.decl ally(x: symbol, y: symbol)
.decl backed(y: symbol)
ally(x, y) :- backs(x, y).
backed(y) :- ally(x, y).
"""

DEFEASIBLE = """// bench/defeasible.py, defeasible reading
.decl ally(x: symbol, y: symbol)
.decl backed(y: symbol)
ally(x, y) :~ backs(x, y).
~ally(x, y) :~ ~backs(x, y).
backed(y) :~ ally(x, y).
.prefer by grade
"""


def tables(root, rows, actors, seed):
    rng = random.Random(seed)
    denials = rows // 10
    pairs = set()
    while len(pairs) < rows - denials:
        pairs.add((rng.randrange(actors), rng.randrange(actors)))
    pairs = sorted(pairs)
    denied = rng.sample(pairs, denials)
    grade = lambda: "ABCDEF"[rng.randrange(6)] + str(1 + rng.randrange(6))
    for name, rules in (("strict", STRICT), ("defeasible", DEFEASIBLE)):
        d = os.path.join(root, name)
        os.makedirs(os.path.join(d, "facts"))
        with open(os.path.join(d, "rules.dl"), "w") as f:
            f.write(rules)
        with open(os.path.join(d, "facts", "backs.csv"), "w") as f:
            f.write("subject,relation,object,grade\n")
            for a, b in pairs:
                f.write(f"a{a},backs,a{b},{grade()}\n")
            if name == "defeasible":
                for a, b in denied:
                    f.write(f"a{a},not backs,a{b},{grade()}\n")


def run(stance, d):
    argv = ["/usr/bin/time", "-f", "%e %M", stance, "infer", "--rules", "rules.dl", "--facts", "facts", "--format", "csv"]
    out = subprocess.run(argv, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    secs, kb = out.stderr.strip().splitlines()[-1].split()
    return float(secs), int(kb) / 1024


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--actors", type=int, default=100_000)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--stance", default="target/release/stance")
    a = p.parse_args()
    stance = os.path.abspath(a.stance)
    with tempfile.TemporaryDirectory() as root:
        tables(root, a.rows, a.actors, a.seed)
        results = {"strict": [], "defeasible": []}
        for _ in range(a.reps):
            for name in results:
                results[name].append(run(stance, os.path.join(root, name)))
        print(f"{a.rows} rows ({a.rows // 10} denials), {a.actors} actors, seed {a.seed}, {a.reps} runs each, `stance infer`")
        base = None
        for name in results:
            t = statistics.median(r[0] for r in results[name])
            m = statistics.median(r[1] for r in results[name])
            base = base or (t, m)
            print(f"{name:10} median {t:7.2f} s  peak {m:8.1f} MB  ({t / base[0]:.2f}x time, {m / base[1]:.2f}x memory)")


if __name__ == "__main__":
    main()
