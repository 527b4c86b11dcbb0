#!/usr/bin/env python3
"""The edges a report with time should show on each day of its slider, from `stance graph
--as-of DAY` (one plain evaluation per day, not the model with time the page is built from).

Usage: expected_time.py STANCE REPORT.html EXPECTED.json -- PROJECT_ARGS...
  → prints EXPECTED.json with "by_day": {day: ["relation|actor|actor", ...]} added (the two
    actors in name order), for every stop of the report's slider.
"""
import csv
import io
import json
import re
import subprocess
import sys


def main():
    stance, report, expected_path = sys.argv[1:4]
    project = sys.argv[sys.argv.index("--") + 1:]
    with open(report, encoding="utf-8") as f:
        data = json.loads(re.search(r'id="stance-data">(.*?)</script>', f.read(), re.S).group(1))
    by_day = {}
    for day in data["time"]["days"]:
        out = subprocess.run([stance, "graph", *project, "--as-of", day, "--format", "csv"],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        rows = csv.DictReader(io.StringIO("".join(line for line in out.splitlines(True) if not line.startswith("#"))))
        by_day[day] = sorted({"|".join([r["relation"], *sorted([r["source"], r["target"]])]) for r in rows})
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    expected["by_day"] = by_day
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
