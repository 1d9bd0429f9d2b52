"""NetworkPolicy verdicts in every export: the paths table, kpath.paths/v1, GraphML and DOT,
and through the CLI (`--client`), with hostile policy names."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import networkx as nx
from rich.console import Console

from kpath.cli import main
from kpath.cluster.records import ObjectKey
from kpath.export import graphfmt
from kpath.export.jsonout import paths_json
from kpath.export.text import PATH_COLUMNS, analysis_view, path_rows, paths_table, row_notes
from kpath.routing.graph import build_graph
from kpath.routing.kubeproxy import Verdict
from kpath.safetext import clean, is_clean
from tests.routing.policy.pathcluster import (
    OFFICE,
    allow_office,
    analysed,
    base,
    from_cidr,
    netpol,
    web,
)

HOSTILE = "deny\x1b[31m[bold]red\u202e"


def _render(renderable: object) -> str:
    console = Console(width=400, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def blocked_cluster(name: str = "allow-office"):
    pol = netpol(name, select={"app": "web"}, ingress=[from_cidr(OFFICE)])
    return analysed(*base(("n1", "n2", "n4")), web(), pol)


def test_json_carries_a_policy_object_per_group_and_the_client():
    a = blocked_cluster()
    doc = paths_json(a)
    assert doc["policyClient"]["address"] == "203.0.113.1"
    lb = next(p for p in doc["paths"] if p["entry"]["kind"] == "loadbalancer")
    by_nodes = {tuple(g["nodes"]): g["policy"] for g in lb["groups"]}
    n4 = by_nodes[("n4",)]
    assert n4["evaluated"] and n4["state"] == "blocked" and n4["allowed"] is False
    assert n4["blockedBy"] == ["shop/allow-office"] and n4["client"] == "203.0.113.1"
    assert n4["source"]["kind"] == "node" and n4["blockedEndpoints"] == 2
    ep = n4["endpoints"][0]
    assert ep["allowed"] is False and ep["source"] == "10.0.4.1" and ep["blockedNodes"] == ["n4"]
    own = by_nodes[("n1", "n2")]
    assert own["state"] == "partial" and all(e["blockedFrom"] == 1 for e in own["endpoints"])
    cip = next(p for p in doc["paths"] if p["entry"]["kind"] == "clusterip")
    assert all(g["policy"]["evaluated"] is False for g in cip["groups"])


def test_json_without_policies_is_unchanged():
    doc = paths_json(analysed(*base(), web()))
    assert doc["policyClient"] is None
    assert all("policy" not in g for p in doc["paths"] for g in p["groups"])


def test_table_says_blocked_by_policy_in_verdict_and_notes():
    a = blocked_cluster()
    text = _render(analysis_view(a, list(a.paths)))
    assert "NetworkPolicy judged from client 203.0.113.1" in text
    row = next(line for line in text.splitlines() if "  n4  " in line)
    assert "⊗ blocked by policy" in row and "shop/allow-office" in row
    assert "→ forward" not in row
    assert "⊗ 2/2 blocked at some nodes by shop/allow-office" in text
    assert "⊗ by shop/allow-office" in row


def test_notes_kept_per_table_are_each_rows_own():
    # The table keeps policy notes per hop alike: each row must still read its own words
    # and styles, whatever the hops' counts, flags and policies.
    a = blocked_cluster()
    row = next(r for p in a.paths for r in path_rows(p) if r.netpol and not r.netpol.allowed)
    hp = row.netpol
    tp = hp.targets[0]
    keys = (ObjectKey("shop", "a"), ObjectKey("shop", "b"))
    variants = [
        hp._replace(
            targets=(tp,) * n, blocked=(tp,) * k, blocked_by=by, all_blocked=whole, partial=part
        )
        for n in (1, 2, 3)
        for k in range(1, n + 1)
        for by in (keys[:1], keys, keys[1:])
        for whole in (False, True)
        for part in (False, True)
    ]
    said: dict = {}
    # Beside no other note, and beside a group's (a cross-node share, NotReady) of each kind.
    assert row.group is not None and row.group.choice.verdict == Verdict.FORWARD
    groups = [row.group] + [
        row.group._replace(local=local, per_node=4, ready=ready)  # 50% or 75% cross-node
        for local in (1, 2)
        for ready in (None, False)
    ]
    for v in variants * 2:  # the second round reads what the first kept
        for g in groups:
            r = row._replace(netpol=v, first=False, group=g)
            kept, own = row_notes(r, None, said), row_notes(r, None)
            assert (kept.plain, kept.spans, kept.style) == (own.plain, own.spans, own.style)
    assert len(said) == len(variants)
    # And a whole table says what each row says alone.
    paths = list(a.paths)
    col = [c.name for c in PATH_COLUMNS].index("NOTES")
    got = [cells[col] for cells in paths_table(paths).rows]
    alone = [row_notes(r, None) for p in paths for r in path_rows(p)]
    assert [(n.plain, n.spans, n.style) for n in got] == [
        (n.plain, n.spans, n.style) for n in alone
    ]
    assert any("⊗" in n.plain for n in got)


def test_graph_edges_carry_the_policy_verdict():
    a = blocked_cluster()
    g = build_graph(a.paths)
    states = {(u, v): d.get("policy") for u, v, d in g.edges(data=True) if d.get("policy")}
    assert "blocked" in states.values() and "partial" in states.values()
    n4 = next(v for v, d in g.nodes(data=True) if d.get("label") == "n4")
    assert g.nodes[n4]["policy"] == "blocked"
    dot = graphfmt.dot(g)
    assert 'blocked by policy shop/allow-office", color=red' in dot


def test_hostile_policy_names_stay_literal_everywhere():
    a = blocked_cluster(HOSTILE)
    doc = paths_json(a)
    blocked = {
        k for p in doc["paths"] for g in p["groups"] for k in g["policy"].get("blockedBy", [])
    }
    assert blocked == {f"shop/{HOSTILE}"}  # JSON keeps the original string
    text = _render(analysis_view(a, list(a.paths)))
    assert "\x1b" not in text and "\u202e" not in text and clean(HOSTILE) in text
    g = build_graph(a.paths)
    xml = graphfmt.graphml(g)
    ET.fromstring(xml.encode())  # well-formed
    assert clean(HOSTILE) in xml and "\x1b" not in xml
    dot = graphfmt.dot(g)
    assert is_clean(dot.replace("\n", "")) and "[bold]" in dot
    back = nx.read_graphml(io.BytesIO(xml.encode()))
    assert any(clean(HOSTILE) in d.get("policy_by", "") for *_, d in back.edges(data=True))


def _dump(tmp_path: Path, *objs: dict) -> str:
    for o in objs:
        o.setdefault("apiVersion", "v1")
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": list(objs)}))
    return str(path)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_cli_client_flag_changes_the_verdict_and_is_reported(tmp_path):
    dump = _dump(tmp_path, *base(), web(etp="Local"), allow_office())
    code, out, _ = _run("paths", "--dump", dump, "-o", "json")
    doc = json.loads(out)
    assert code == 0 and doc["policyClient"]["address"] == "203.0.113.1"
    assert "KP523" in {f["code"] for f in doc["findings"]}
    code, out, _ = _run("paths", "--dump", dump, "-o", "json", "--client", "198.51.100.20")
    doc = json.loads(out)
    assert doc["policyClient"] == {"address": "198.51.100.20", "note": "set with --client"}
    assert not {"KP520", "KP521", "KP523"} & {f["code"] for f in doc["findings"]}


def test_cli_bad_client_is_one_line_and_exit_2(tmp_path):
    dump = _dump(tmp_path, *base(), web(), allow_office())
    code, out, err = _run("paths", "--dump", dump, "--client", "not\x1b-an-ip")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--client" in err and "\x1b" not in err
