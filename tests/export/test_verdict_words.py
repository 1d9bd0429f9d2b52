"""Verdict words per row: what the paths table and the JSON say for each entry's nodes."""

from __future__ import annotations

from rich.console import Console

from kpath.export.jsonout import paths_json
from kpath.export.text import paths_table
from kpath.routing.paths import EntryKind
from tests.builders import analysed, endpoint, endpointslice, node, service

NODES = (node("n1", "z1"), node("n2", "z1"))


def _render(table: object) -> str:
    console = Console(width=250, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_local_lb_rows_say_skipped_where_nodeport_rows_say_drop() -> None:
    svc = service("web", "LoadBalancer", etp="Local", lb_ip="192.0.2.10")
    a = analysed(*NODES, svc, endpointslice("web", [endpoint("10.1.0.1", "n1", "a")]))
    lb = [p for p in a.paths if p.entry.kind == EntryKind.LOAD_BALANCER]
    np_ = [p for p in a.paths if p.entry.kind == EntryKind.NODE_PORT]
    lb_text, np_text = _render(paths_table(lb)), _render(paths_table(np_))
    assert "↷ skipped by LB (health check)" in lb_text
    assert "drop" not in lb_text
    assert "✗ drop" in np_text and "skipped" not in np_text
    doc = paths_json(a, lb + np_)
    lb_groups = {tuple(g["nodes"]): g for g in doc["paths"][0]["groups"]}
    assert lb_groups[("n2",)]["skippedByLoadBalancer"] is True
    assert lb_groups[("n2",)]["verdict"] == "drop"  # the kube-proxy verdict is unchanged
    assert lb_groups[("n1",)]["skippedByLoadBalancer"] is False
    assert not any(g["skippedByLoadBalancer"] for g in doc["paths"][1]["groups"])


def test_unknown_endpoints_read_unknown_not_reject() -> None:
    kubernetes = service(
        "kubernetes",
        ns="default",
        selector={},
        ports=[{"port": 443, "targetPort": 6443, "protocol": "TCP"}],
    )
    a = analysed(*NODES, kubernetes, kinds=("Node", "Pod", "Service"))
    text = _render(paths_table(a.paths))
    assert "? unknown" in text and "reject" not in text
    assert {g["verdict"] for p in paths_json(a)["paths"] for g in p["groups"]} == {"unknown"}
