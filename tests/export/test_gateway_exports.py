"""Gateway paths in every `kpath paths` output, over every hostile string (tests/hostile.py):
the table shows them escaped, JSON gives back the original strings in `entry.gateway`,
GraphML stays well-formed with gateway and route vertices, DOT quoting holds."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from kpath.cli import main
from kpath.safetext import clean, is_clean
from tests.hostile import HOSTILE, NAMESPACE, NODE_IP, cluster, pod_name

GROUP = "gateway.networking.k8s.io"
WIDE = "6000"  # one row per line even for the 300-character name, thrice in a row


def gateway_objects(text: str) -> list[dict[str, Any]]:
    """A Gateway, its class and an HTTPRoute, every name and string being ``text``."""
    meta = {"namespace": NAMESPACE, "creationTimestamp": "2026-01-01T00:00:00Z"}
    return [
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "GatewayClass",
            "metadata": {"name": text},
            "spec": {"controllerName": f"example.com/{text}"},
        },
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "Gateway",
            "metadata": {"name": text, **meta},
            "spec": {
                "gatewayClassName": text,
                "listeners": [
                    {
                        "name": text,
                        "port": 80,
                        "protocol": "HTTP",
                        "allowedRoutes": {"namespaces": {"from": "All"}},
                    }
                ],
            },
            "status": {"addresses": [{"type": "IPAddress", "value": NODE_IP}]},
        },
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": text, **meta},
            "spec": {
                "parentRefs": [{"name": text, "sectionName": text}],
                "hostnames": [f"{text}.example"],
                "rules": [
                    {
                        "matches": [
                            {
                                "path": {"type": "PathPrefix", "value": f"/{text}"},
                                "headers": [{"name": "x-h", "value": text}],
                            }
                        ],
                        "backendRefs": [
                            {"name": text, "port": 80, "weight": 3},
                            {"name": f"{text}-gone", "port": 80},
                        ],
                    }
                ],
            },
        },
    ]


def write_dump(tmp_path: Path, text: str) -> Path:
    items = []
    for obj in cluster(text) + gateway_objects(text):
        api = {"EndpointSlice": "discovery.k8s.io/v1", "Ingress": "networking.k8s.io/v1"}.get(
            obj["kind"], "v1"
        )
        items.append({"apiVersion": api, **obj} if "apiVersion" not in obj else obj)
    path = tmp_path / "cluster.json"
    path.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), encoding="utf-8"
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def assert_clean(out: str) -> None:
    for number, line in enumerate(out.split("\n")):
        bad = sorted({hex(ord(c)) for c in line if not is_clean(c)})
        assert not bad, f"line {number}: raw {bad} in {line[:200]!r}"


IDS = [i for i, _ in HOSTILE]
TEXTS = [t for _, t in HOSTILE]


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_json_gives_back_the_gateway_strings(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(capsys, "paths", "--dump", str(write_dump(tmp_path, text)), "-o", "json")
    assert out.isascii()
    doc = json.loads(out)
    gw = [p for p in doc["paths"] if p["entry"]["kind"] == "gateway"]
    assert len(gw) == 2
    for p in gw:
        hop = p["entry"]["gateway"]
        assert hop["gateway"] == f"{NAMESPACE}/{text}" and hop["listener"] == text
        assert hop["route"] == {"kind": "HTTPRoute", "name": f"{NAMESPACE}/{text}", "rule": 0}
        # hostnames are compared case-insensitively: the intersection is lower-cased
        assert hop["hostnames"] == [f"{text}.example".lower()]
        assert hop["matches"][0]["path"] == {"type": "PathPrefix", "value": f"/{text}"}
        assert hop["matches"][0]["headers"][0]["value"] == text
        assert hop["addresses"] == [NODE_IP] and hop["port"] == 80
        assert p["via"] == "gateway" and p["groups"] == []
    by_backend = {p["entry"]["gateway"]["backend"]["name"]: p for p in gw}
    ok = by_backend[f"{NAMESPACE}/{text}"]
    assert ok["entry"]["gateway"]["share"] == 0.75 and ok["entry"]["gateway"]["problem"] is None
    assert ok["direct"]["verdict"] == "forward"
    assert ok["direct"]["endpoints"][0]["pod"] == f"{NAMESPACE}/{pod_name(text)}"
    gone = by_backend[f"{NAMESPACE}/{text}-gone"]
    assert gone["entry"]["gateway"]["problem"] == (
        f"BackendNotFound: Service {NAMESPACE}/{text}-gone does not exist"
    )
    assert gone["direct"]["verdict"] == "reject"
    kp431 = [f for f in doc["findings"] if f["code"] == "KP431"]
    assert kp431 and kp431[0]["route"] == f"HTTPRoute {NAMESPACE}/{text}"


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_table_shows_gateway_rows_escaped(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", WIDE)
    out = run(capsys, "paths", "--dump", str(write_dump(tmp_path, text)))
    assert_clean(out)
    assert f"(gateway {clean(f'{NAMESPACE}/{text}')} listener {clean(text)})" in out
    assert clean(f"HTTPRoute {NAMESPACE}/{text} rule 0") in out


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_graphml_has_gateway_and_route_vertices(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(capsys, "paths", "--dump", str(write_dump(tmp_path, text)), "-o", "graphml")
    assert_clean(out)
    ET.fromstring(out.encode("utf-8"))  # expat: strict
    g = nx.parse_graphml(out)
    kinds = {d.get("kind") for _, d in g.nodes(data=True)}
    assert {"gateway", "route"} <= kinds
    (gid,) = [v for v, d in g.nodes(data=True) if d.get("kind") == "gateway"]
    assert g.nodes[gid]["gateway"] == clean(f"{NAMESPACE}/{text}")
    (rid,) = [v for v, d in g.nodes(data=True) if d.get("kind") == "route"]
    assert g.has_edge(gid, rid)
    pods = [b for _, b, d in g.out_edges(rid, data=True) if d.get("hop") == "direct"]
    assert pods == [f"pod:{clean(f'{NAMESPACE}/{pod_name(text)}')}"]


_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_DOT_BARE = re.compile(r"^[A-Za-z0-9_\-=,;>\[\]{} ]*$")


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_dot_quoting_holds_for_gateway_vertices(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(capsys, "paths", "--dump", str(write_dump(tmp_path, text)), "-o", "dot")
    assert_clean(out)
    strings = []
    for line in out.splitlines():
        assert _DOT_BARE.match(_QUOTED.sub("", line)), f"quoting broken: {line[:200]!r}"
        strings += [re.sub(r"\\(.)", r"\1", s) for s in _QUOTED.findall(line)]
    assert any(s.startswith("gateway:") and clean(text) in s for s in strings)
    assert "shape=hexagon" in out and "shape=note" in out
