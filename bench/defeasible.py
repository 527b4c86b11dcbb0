#!/usr/bin/env python3
"""A defeasible program over 1 M statement rows, 10 % of them denials, against the same
rules read as strict over the rows without the denials (issue 21).

- strict:     `ally(x, y) :- backs(x, y).` and `backed(y) :- ally(x, y).` over the
              affirmed rows only;
- defeasible: the same rules with `:~`, plus `~ally(x, y) :~ ~backs(x, y).` and
              `.prefer by grade`, over all rows: every denial contradicts an affirmed row
              (a random grade on each), so each of those conflicts is weighed.

Both run `stance infer` (the shown relations to /dev/null), alternating through
bench/harness.py: wall time, peak memory and CPU (GNU time), medians over --reps runs.
Usage: bench/defeasible.py [--rows 1000000] [--actors 100000] [--reps 3] [--stance target/release/stance]
"""

import argparse
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_benchmark, table  # noqa: E402

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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--actors", type=int, default=100_000)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--timeout", type=float, default=1800)
    p.add_argument("--stance", default="target/release/stance")
    a = p.parse_args()
    stance = os.path.abspath(a.stance)
    with tempfile.TemporaryDirectory() as root:
        tables(root, a.rows, a.actors, a.seed)

        def infer(name):
            d = os.path.join(root, name)
            # `exec` keeps GNU time's numbers stance's own; the rows go to /dev/null.
            return ["sh", "-c", 'exec "$0" infer --rules "$1" --facts "$2" --format csv > /dev/null',
                    stance, os.path.join(d, "rules.dl"), os.path.join(d, "facts")]

        bench = {
            "name": "defeasible",
            "title": "defeasible rules against the same rules read as strict",
            "input": f"{a.rows:,} rows ({a.rows // 10:,} denials), {a.actors:,} actors, seed {a.seed}, `stance infer`",
            "engines": {"strict": infer("strict"), "defeasible": infer("defeasible")},
            "baseline": "strict",
            "counts_optional": True,
        }
        # The harness alternates the runs and times each under GNU time (wall, peak, CPU).
        with open(os.path.join(root, "stderr.log"), "w") as log:
            result = run_benchmark(bench, a.reps, a.timeout, log, required=set(bench["engines"]))
        print(table(bench, result))
        base = result["strict"]["cpu_seconds"]
        print(f"CPU (user + system), medians: strict {base:.2f} s, defeasible "
              f"{result['defeasible']['cpu_seconds']:.2f} s ({result['defeasible']['cpu_seconds'] / base:.2f}x)")


if __name__ == "__main__":
    main()
