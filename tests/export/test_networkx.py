"""Round trips of `stance graph --format graphml|json|csv` through networkx: each format,
loaded the way an analyst would load it, gives the same nodes and edges (with relation,
class, directed and flagged) as the others, and as `infer` derives.

Run by tests/export/run.sh (STANCE_BIN: the binary; the example project is the repository).
"""

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import networkx as nx
import pytest

REPO = Path(__file__).resolve().parents[2]
STANCE = os.environ.get("STANCE_BIN", str(REPO / "target/release/stance"))


def stance(*args):
    out = subprocess.run([STANCE, *args], cwd=REPO, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def edges_of(g):
    """(source, target, relation, class, directed, flagged) for every edge of a multigraph."""
    return sorted(
        (u, v, d["relation"], d["class"], bool(d["directed"]), bool(d["flagged"]))
        for u, v, d in g.edges(data=True)
    )


@pytest.fixture(scope="module")
def graphs():
    graphml = nx.read_graphml(io.BytesIO(stance("graph", "--format", "graphml").encode("utf-8")))
    node_link = nx.node_link_graph(json.loads(stance("graph", "--format", "json")), edges="links")
    text = stance("graph", "--format", "csv")
    lines = text.splitlines(keepends=True)
    assert lines[0].startswith("# stance ")
    rows = list(csv.DictReader(io.StringIO("".join(lines[1:]))))
    edgelist = nx.MultiDiGraph()
    for r in rows:
        edgelist.add_edge(
            r["source"], r["target"], key=r["relation"], relation=r["relation"], **{
                "class": r["class"], "directed": r["directed"] == "true", "flagged": r["flagged"] == "true"
            }
        )
    return {"graphml": graphml, "json": node_link, "csv": edgelist}


def test_every_format_has_the_same_nodes_and_edges(graphs):
    reference = graphs["json"]
    assert reference.is_multigraph() and reference.is_directed()
    for name, g in graphs.items():
        assert sorted(g.nodes) == sorted(reference.nodes), name
        assert edges_of(g) == edges_of(reference), name


def test_the_edges_are_what_infer_derives(graphs):
    derived = json.loads(stance("infer", "--format", "json", "--relation", "aligned"))
    # Graded data adds a `grade` column after the pair.
    aligned = {tuple(t[:2]) for t in derived["relations"][0]["tuples"]}
    g = graphs["graphml"]
    drawn = set()
    for u, v, d in g.edges(data=True):
        if d["relation"] == "aligned":
            drawn.add((u, v))
            if not d["directed"]:
                drawn.add((v, u))
    assert drawn == aligned
    assert g.nodes["Kremlin"]["flagged"] is True
    assert g.nodes["Algeria"]["flagged"] is False


def test_the_graph_records_what_changes_the_answers(graphs):
    meta = json.loads(stance("graph", "--format", "json", "--as-of", "2016-11-28"))
    assert meta["meta"]["as_of"] == "2016-11-28"
    assert meta["meta"]["schema_version"] == 1
    version = meta["meta"]["stance_version"]
    assert graphs["graphml"].graph["stance_version"] == version
    assert graphs["json"].graph["as_of"] == ""
