"""Runs one bench/programs/*.rls program in Nemo (nemo-python) and prints `name<TAB>count`.

Usage: nemo_run.py PROGRAM.rls FACTS_DIR

The program is run from FACTS_DIR, so its `@import` resources name files there. A line
`% counts: a b c` in the program names the counts to print: for each name `a` the program
defines `count_a(n)` (a `#count` or, for aggregate results, the value itself).
"""

import os
import sys

from nmo_python import NemoEngine, load_file


def main() -> None:
    program, facts = os.path.abspath(sys.argv[1]), sys.argv[2]
    names = []
    with open(program, encoding="utf-8") as f:
        for line in f:
            if line.startswith("% counts:"):
                names += line.split(":", 1)[1].split()
    os.chdir(facts)
    engine = NemoEngine(load_file(program))
    engine.reason()
    for name in names:
        rows = list(engine.result(f"count_{name}"))
        # Nemo's #count over nothing derives no fact; the other engines say 0.
        print(f"{name}\t{rows[0][0] if rows else 0}")


if __name__ == "__main__":
    main()
