"""The ``kpath.reach/v1`` JSON document (documented in docs/json.md). Headless.

Strings are the cluster's own: JSON's escaping is enough."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kpath.routing.policy.evaluate import rule_text
from kpath.routing.policy.verdict import DirectionVerdict, Reach

SCHEMA = "kpath.reach/v1"


def _direction(d: DirectionVerdict) -> dict[str, Any]:
    return {
        "allowed": d.allowed,
        "policies": [str(k) for k in d.policies],
        "allowedBy": [
            {"policy": str(r.policy), "direction": r.direction, "rule": r.rule, "ref": rule_text(r)}
            for r in d.allowed_by
        ],
        "reason": d.reason,
    }


def reach_json(r: Reach, notes: Iterable[str] = ()) -> dict[str, Any]:
    s = r.source
    return {
        "schema": SCHEMA,
        "allowed": r.allowed,
        "egress": _direction(r.egress),
        "ingress": _direction(r.ingress),
        "source": {
            "kind": s.kind,
            "address": s.address,
            "pod": str(s.pod) if s.pod is not None else None,
            "node": s.node,
        },
        "destination": str(r.destination),
        "port": r.port,
        "protocol": r.protocol,
        "notes": list(notes),
    }
