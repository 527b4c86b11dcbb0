#!/usr/bin/env python3
"""The network a report should draw, computed without stance's network code.

Usage: expected.py FACTS_DIR INFER_JSON [CONTRADICTIONS_JSON [REVIEW_JSON]]
  → prints {"actors", "edges", "names", "violations", "flagged_edges", "colliding", "verdicts"}

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
        relations = json.load(f)["relations"]
    derived = {}
    for r in relations:
        # Graded data adds `grade` (and `confidence`) columns after the relation's own.
        own = len(r["columns"])
        while own and r["columns"][own - 1] in ("grade", "confidence"):
            own -= 1
        if r["types"][:own] == ["symbol", "symbol"] and own == 2:
            derived[r["name"]] = {tuple(t[:2]) for t in r["tuples"]}
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
    # The contradictions, from `stance contradictions --format json`: how many, the atoms that
    # collide in each, and the drawn edges they flag (one per relation and pair of actors).
    violations, colliding, flagged = 0, [], set()
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as f:
            found = json.load(f)["violations"]
        violations = len(found)
        drawn = {**stated, **derived}
        for v in found:
            colliding.append([a["conclusion"] for a in v["atoms"]])
            for a in v["atoms"]:
                pair = tuple(a["tuple"])
                if len(pair) == 2 and a["relation"] in drawn and pair in drawn[a["relation"]]:
                    flagged.add((a["relation"], frozenset(pair)))
    # The claim verdicts, from `stance review --format json`, in the file's order.
    verdicts = None
    if len(sys.argv) > 4:
        with open(sys.argv[4], encoding="utf-8") as f:
            verdicts = [{"claim": c["claim"], "verdict": c["verdict"], "passed": c["passed"]} for c in json.load(f)["claims"]]
    print(json.dumps({
        "actors": len(actors),
        "edges": edges,
        "names": sorted(actors),
        "violations": violations,
        "colliding": colliding,
        "flagged_edges": len(flagged),
        "verdicts": verdicts,
    }))


if __name__ == "__main__":
    main()
