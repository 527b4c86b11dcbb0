"""Checks that DuckDB's SQL program derives the same rows as stance's Datalog program: not
only the counts the suite compares, but every row of every `.printsize` relation.

Usage: same_rows.py STANCE PROGRAM FACTS_DIR WORK_DIR   (PROGRAM: e.g. cycles, triads)

stance writes each relation with `--output-dir` (a copy of bench/programs/PROGRAM.dl with an
`.output` per `.printsize`); DuckDB runs bench/programs/PROGRAM.sql up to its final query and
writes each relation's table, named as the relation, tab-separated. Both files are sorted
bytewise (`LC_ALL=C sort`) and must be byte-identical. Exit 1 on any difference.
"""

import os
import re
import subprocess
import sys

import duckdb


def main() -> None:
    stance, program, facts, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    text = open(f"bench/programs/{program}.dl", encoding="utf-8").read()
    relations = re.findall(r"^\.printsize (\w+)", text, re.M)
    rules = os.path.join(work, f"{program}.dl")
    with open(rules, "w", encoding="utf-8") as f:
        f.write(text + "".join(f".output {r}\n" for r in relations))
    stance_dir, duck_dir = os.path.join(work, "stance"), os.path.join(work, "duckdb")
    os.makedirs(duck_dir, exist_ok=True)
    subprocess.run([stance, "infer", "--rules", rules, "--facts", facts, "--output-dir", stance_dir],
                   check=True, stdout=subprocess.DEVNULL)
    with open(f"bench/programs/{program}.sql", encoding="utf-8") as f:
        sql = f.read().replace("{dir}", facts.replace("'", "''"))
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {os.cpu_count()}")
    statements = [s.strip() for s in sql.split(";\n") if s.strip()]
    for s in statements[:-1]:
        con.execute(s)
    failed = False
    for r in relations:
        out = os.path.join(duck_dir, f"{r}.csv")
        con.execute(f"COPY {r} TO '{out}' (DELIMITER '\t', HEADER false)")
        sides = []
        for path in (os.path.join(stance_dir, f"{r}.csv"), out):
            sorted_path = path + ".sorted"
            subprocess.run(["sort", "-o", sorted_path, path], check=True, env={**os.environ, "LC_ALL": "C"})
            sides.append(sorted_path)
        same = subprocess.run(["cmp", "-s", *sides]).returncode == 0
        rows = sum(1 for _ in open(sides[0], "rb"))
        print(f"{program} {r}: {rows:,} rows from stance; DuckDB's rows {'identical' if same else 'DIFFER'}")
        failed |= not same
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
