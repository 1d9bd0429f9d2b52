"""Real-world Gateway API manifests (SOURCES.md A2) read by the dump reader, then routed:
the requests their own READMEs walk through answer as those guides say."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kpath.cluster.dump import load_dump
from kpath.cluster.snapshot import Snapshot, build_snapshot
from kpath.routing.gateway.attach import attach
from kpath.routing.gateway.resolve import gateway_answers
from kpath.routing.requests import Outcome
from tests.routing.gateway.builders import request

MANIFESTS = Path(__file__).resolve().parents[4] / "shared" / "realworld" / "manifests"
pytestmark = pytest.mark.skipif(
    not MANIFESTS.is_dir(), reason=f"real-world manifests not found at {MANIFESTS}"
)


def _load(name: str) -> Snapshot:
    return build_snapshot(load_dump([MANIFESTS / name]))


def _where(snap: Snapshot, host: str, path: str, headers: dict[str, str] | None = None) -> str:
    (a,) = gateway_answers(snap, request(host, path, headers=tuple((headers or {}).items())))
    if a.outcome == Outcome.FORWARD:
        return ",".join(str(b.name) for b in a.backends)
    return str(a.http_status)


def test_envoy_gateway_http_routing() -> None:
    snap = _load("envoy-gateway-http-routing.yaml")
    assert not attach(snap).rejected
    assert _where(snap, "example.com", "/") == "default/example-svc"
    assert _where(snap, "foo.example.com", "/login") == "default/foo-svc"
    assert _where(snap, "foo.example.com", "/logout") == "404"
    assert _where(snap, "bar.example.com", "/", {"env": "canary"}) == "default/bar-canary-svc"
    assert _where(snap, "bar.example.com", "/") == "default/bar-svc"
    # manifests carry no pods or slices: the endpoints are unknown, not absent
    (a,) = gateway_answers(snap, request("example.com"))
    assert [b.verdict for b in a.backends] == ["unknown"]


def test_nginx_gateway_fabric_cafe() -> None:
    snap = _load("nginx-gateway-fabric-cafe.yaml")
    assert _where(snap, "cafe.example.com", "/coffee") == "default/coffee"
    assert _where(snap, "cafe.example.com", "/coffee/latte") == "default/coffee"
    assert _where(snap, "cafe.example.com", "/tea") == "default/tea"
    assert _where(snap, "cafe.example.com", "/tea/green") == "404"


def test_nginx_gateway_fabric_cross_namespace_grant() -> None:
    snap = _load("nginx-gateway-fabric-cross-namespace.yaml")
    assert _where(snap, "cafe.example.com", "/coffee") == "cafe/coffee"
    assert _where(snap, "cafe.example.com", "/tea") == "cafe/tea"
    without = snap.gateways._replace(grants=())
    snap = dataclasses.replace(snap, gateways=without)
    assert _where(snap, "cafe.example.com", "/tea") == "500"
