"""kpath's commands on a live cluster (the lab): the shop's paths and a route, end to end.

The live source's own behaviour (paging, 403s, kubeconfig, TLS) is in test_live_source.py.
"""

from __future__ import annotations

import json

import pytest

from kpath.cli import main
from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.analysis import analyse


def test_reads_every_kind_and_routes_the_shop(shop_lab, shop_kubeconfig):
    raw = load_live(LiveOptions(kubeconfig=str(shop_kubeconfig), all_namespaces=True))
    assert raw.origin.startswith("context kpath-lab @ http://127.0.0.1:")
    for kind in ("Node", "Pod", "Service", "EndpointSlice", "Ingress", "IngressClass"):
        assert raw.objects.get(kind), kind
    assert sorted(n["metadata"]["name"] for n in raw.objects["Node"]) == [
        "node-a",
        "node-b",
        "node-c",
    ]
    analysis = analyse(build_snapshot(raw))
    checkout = [
        p
        for p in analysis.paths
        if str(p.service) == "shop/checkout" and p.entry.kind.value == "nodeport"
    ]
    verdicts = {g.label(): g.choice.verdict.value for g in checkout[0].groups}
    # checkout's pods sit on node-a and node-b; Local policy leaves node-c a black hole.
    assert verdicts["node-c"] == "drop"


def test_route_reads_the_services_namespace(shop_lab, shop_kubeconfig, capsys):
    assert (
        main(
            [
                "route",
                "shop/checkout",
                "--node",
                "node-c",
                "-o",
                "json",
                "--kubeconfig",
                str(shop_kubeconfig),
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["external"]["verdict"] == "drop"
    assert doc["internal"]["verdict"] == "forward"
    assert {e["node"] for e in doc["internal"]["endpoints"]} == {"node-a", "node-b"}
    assert all(e["crossNode"] for e in doc["internal"]["endpoints"])


@pytest.mark.parametrize("extra", [[], ["--fail-on", "error"], ["-o", "json"]])
def test_probe_exits_1_when_a_probe_contradicts_the_prediction(shop_kubeconfig, capsys, extra):
    # The shop lab's first recommendations pod hangs (a planted fault): predicted to answer.
    code = main(
        [
            "probe",
            "shop/recommendations",
            "--kubeconfig",
            str(shop_kubeconfig),
            "--timeout",
            "0.5",
            *extra,
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert (
        ("CONTRADICTED" in out)
        if "-o" not in extra
        else (json.loads(out)["probe"]["summary"]["contradictions"] > 0)
    )


def test_paths_probe_exits_1_on_a_contradiction_and_0_on_a_clean_namespace(shop_kubeconfig, capsys):
    kc = ["--kubeconfig", str(shop_kubeconfig), "--timeout", "0.5", "-o", "json"]
    assert main(["paths", "-n", "shop", "--probe", *kc]) == 1
    assert json.loads(capsys.readouterr().out)["probe"]["summary"]["contradictions"] > 0
    assert main(["paths", "-n", "ingress-nginx", "--probe", *kc]) == 0
    assert json.loads(capsys.readouterr().out)["probe"]["summary"]["contradictions"] == 0


def test_probe_command_confirms_the_black_hole(shop_lab, shop_kubeconfig, capsys):
    assert (
        main(
            [
                "probe",
                "shop/checkout",
                "--kubeconfig",
                str(shop_kubeconfig),
                "-o",
                "json",
                "--timeout",
                "1",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    summary = doc["probe"]["summary"]
    assert summary["done"] == summary["planned"] > 0 and summary["contradictions"] == 0
    nodeport = next(p for p in doc["paths"] if p["entry"]["kind"] == "nodeport")
    node_c = next(g for g in nodeport["groups"] if g["nodes"] == ["node-c"])
    assert node_c["verdict"] == "drop"
    assert node_c["observed"]["verdict"] == "confirmed"  # predicted a drop, saw silence
