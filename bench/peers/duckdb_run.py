"""Runs one bench/programs/*.sql program in DuckDB and prints `name<TAB>count` lines.

Usage: duckdb_run.py PROGRAM.sql FACTS_DIR [THREADS]

`{dir}` in the SQL is replaced by FACTS_DIR. Statements are separated by a `;` at the end
of a line; the last one must return (name, count) rows. DuckDB runs on THREADS threads
(default 1, like the other engines in the suite).
"""

import sys

import duckdb


def main() -> None:
    program, facts = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    with open(program, encoding="utf-8") as f:
        sql = f.read().replace("{dir}", facts.replace("'", "''"))
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    statements = [s.strip() for s in sql.split(";\n") if s.strip() and not all(
        line.strip().startswith("--") or not line.strip() for line in s.splitlines())]
    rows = []
    for s in statements:
        rows = con.execute(s).fetchall()
    for name, count in rows:
        print(f"{name}\t{count}")


if __name__ == "__main__":
    main()
