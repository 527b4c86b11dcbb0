#!/usr/bin/env python3
"""The network a report should draw, computed without stance's network code.

Usage: expected.py FACTS_DIR INFER_JSON  → prints {"actors": N, "edges": M, "names": [...]}

Stated edges come from the statement tables (every CSV under FACTS_DIR whose header has
subject, relation and object), derived edges from `stance infer --format json` (the
.output relations that are binary over symbols). As README documents: one edge per
relation and unordered pair of actors; a relation that is derived is not also drawn as
stated; the actors are every name at either end of an edge.
"""
import csv
import json
import os
import re
import sys


def snake(name):
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def main():
    facts_dir, infer_json = sys.argv[1], sys.argv[2]
    with open(infer_json, encoding="utf-8") as f:
        derived = {
            r["name"]: {tuple(t) for t in r["tuples"]}
            for r in json.load(f)["relations"]
            if r["types"] == ["symbol", "symbol"]
        }
    stated = {}
    for name in sorted(os.listdir(facts_dir)):
        if not name.endswith(".csv"):
            continue
        with open(os.path.join(facts_dir, name), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if not rows or not {"subject", "relation", "object"} <= set(rows[0]):
            continue
        for row in rows:
            rel = snake(row["relation"])
            if rel not in derived:
                stated.setdefault(rel, set()).add((row["subject"].strip(), row["object"].strip()))
    edges = 0
    actors = set()
    for pairs in list(stated.values()) + list(derived.values()):
        edges += len({frozenset(p) for p in pairs})
        for a, b in pairs:
            actors.update((a, b))
    # For the fixture with contradictions (examples/report_fixture.rs): the violations of
    # `:- aligned(x, a), engages_both_sides(x, a, b).` and the aligned edges they flag.
    with open(infer_json, encoding="utf-8") as f:
        relations = {r["name"]: [tuple(t) for t in r["tuples"]] for r in json.load(f)["relations"]}
    aligned = set(relations.get("aligned", []))
    collisions = [t for t in relations.get("engages_both_sides", []) if (t[0], t[1]) in aligned]
    flagged = {frozenset((t[0], t[1])) for t in collisions}
    print(json.dumps({
        "actors": len(actors),
        "edges": edges,
        "names": sorted(actors),
        "violations": len(collisions),
        "flagged_edges": len(flagged),
    }))


if __name__ == "__main__":
    main()
