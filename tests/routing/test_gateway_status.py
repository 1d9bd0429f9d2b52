"""kpath's reading of the spec against the controller's status, on a real-world manifest with
the status a controller would write (through the dump reader and the parser)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kpath.cluster.dump import load_dump
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.analysis import Analysis, analyse

MANIFESTS = Path(__file__).resolve().parents[3] / "shared" / "realworld" / "manifests"
pytestmark = pytest.mark.skipif(
    not MANIFESTS.is_dir(), reason=f"real-world manifests not found at {MANIFESTS}"
)
CONTROLLER = "gateway.nginx.org/nginx-gateway-controller"


def cond(type_: str, status: str, reason: str, message: str = "", gen: int = 1) -> dict:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": gen,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }


def with_status(
    tmp_path: Path,
    name: str,
    status: dict[tuple[str, str], dict[str, Any]],
    drop_kind: str | None = None,
) -> Analysis:
    docs = [d for d in yaml.safe_load_all((MANIFESTS / name).read_text()) if d]
    items = []
    for d in docs:
        if d["kind"] == drop_kind:
            continue
        d.setdefault("metadata", {}).setdefault("generation", 1)
        extra = status.get((d["kind"], d["metadata"]["name"]))
        if extra is not None:
            d["status"] = extra
        items.append(d)
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return analyse(build_snapshot(load_dump([path])))


def route_status(*conditions: dict) -> dict:
    return {
        "parents": [
            {
                "parentRef": {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "name": "gateway",
                    "sectionName": "http",
                },
                "controllerName": CONTROLLER,
                "conditions": list(conditions),
            }
        ]
    }


def gateway_status(attached: int, *conditions: dict) -> dict:
    return {
        "addresses": [{"type": "IPAddress", "value": "198.51.100.20"}],
        "conditions": list(conditions),
        "listeners": [
            {
                "name": "http",
                "attachedRoutes": attached,
                "supportedKinds": [{"kind": "HTTPRoute"}],
                "conditions": [cond("Accepted", "True", "Accepted")],
            }
        ],
    }


def by_code(a: Analysis) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in a.findings:
        out.setdefault(f.code, []).append(f.message)
    return out


def test_status_that_agrees_with_the_spec_adds_nothing(tmp_path: Path) -> None:
    ok = route_status(
        cond("Accepted", "True", "Accepted"), cond("ResolvedRefs", "True", "ResolvedRefs")
    )
    a = with_status(
        tmp_path,
        "nginx-gateway-fabric-cross-namespace.yaml",
        {
            ("Gateway", "gateway"): gateway_status(2, cond("Programmed", "True", "Programmed")),
            ("HTTPRoute", "coffee"): ok,
            ("HTTPRoute", "tea"): ok,
        },
    )
    gateway_codes = {c for c in by_code(a) if c.startswith("KP4")}
    assert gateway_codes == {"KP415"}  # the infrastructure Service is not in the manifest


def test_missing_grant_with_status_that_says_so_is_one_finding_per_backend(tmp_path) -> None:
    unresolved = route_status(
        cond("Accepted", "True", "Accepted"),
        cond(
            "ResolvedRefs",
            "False",
            "RefNotPermitted",
            "Backend ref to Service cafe/coffee not permitted",
        ),
    )
    a = with_status(
        tmp_path,
        "nginx-gateway-fabric-cross-namespace.yaml",
        {
            ("Gateway", "gateway"): gateway_status(2),
            ("HTTPRoute", "coffee"): unresolved,
            ("HTTPRoute", "tea"): unresolved,
        },
        drop_kind="ReferenceGrant",
    )
    found = by_code(a)
    assert len(found["KP430"]) == 2
    assert "KP423" not in found and "KP428" not in found


def test_disagreements_are_said_both_ways(tmp_path: Path) -> None:
    a = with_status(
        tmp_path,
        "nginx-gateway-fabric-cross-namespace.yaml",
        {
            # the controller counts one route; kpath attaches both from spec
            ("Gateway", "gateway"): gateway_status(
                1, cond("Programmed", "False", "Invalid", "no address")
            ),
            # spec attaches coffee; the controller says NotAllowedByListeners
            ("HTTPRoute", "coffee"): route_status(
                cond("Accepted", "False", "NotAllowedByListeners", "ns")
            ),
            # spec resolves tea's backend (the grant is there); the controller says it does not
            ("HTTPRoute", "tea"): route_status(
                cond("Accepted", "True", "Accepted"),
                cond("ResolvedRefs", "False", "RefNotPermitted"),
            ),
        },
    )
    found = by_code(a)
    assert found["KP413"] == ["Gateway default/gateway: not Programmed (Invalid: 'no address')"]
    assert found["KP429"] == [
        "Gateway default/gateway listener http: status says 1 attached "
        "route(s), kpath attaches 2 from spec"
    ]
    (not_accepted,) = found["KP419"]
    assert (
        "HTTPRoute default/coffee" in not_accepted and "NotAllowedByListeners: 'ns'" in not_accepted
    )
    (unresolved,) = found["KP423"]
    assert "HTTPRoute default/tea" in unresolved and "RefNotPermitted" in unresolved
    assert len(found["KP428"]) == 2


def test_stale_status_is_said(tmp_path: Path) -> None:
    a = with_status(
        tmp_path,
        "nginx-gateway-fabric-cafe.yaml",
        {("HTTPRoute", "tea"): route_status(cond("Accepted", "True", "Accepted", gen=0))},
    )
    (stale,) = by_code(a)["KP427"]
    assert stale.startswith(
        "HTTPRoute default/tea on Gateway default/gateway listener http: status is for generation 0"
    )
