"""`kpath request`'s question, whole: every way in that takes this request, and its answer.

Every Gateway listener (`kpath.routing.gateway`) and every Ingress controller
(`kpath.routing.ingress_request`) that accepts the request's host and port answers; with
``--via NAMESPACE/NAME`` only that Gateway, or the Ingress controller behind that Service,
answers (even when it does not take the request: then it says why). Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.errors import InputError
from kpath.routing.findings import Finding, finding
from kpath.routing.ingress_request import (
    controller_services,
    ingress_answers,
    ingress_controllers,
    unserved,
)
from kpath.routing.requests import Answer, Request
from kpath.routing.route import _listing
from kpath.safetext import clean

if TYPE_CHECKING:
    from kpath.cluster.raw import RawCluster
    from kpath.routing.gateway.attach import GatewayTable


def _gateway_answers(
    snapshot: Snapshot, request: Request, via: ObjectKey | None, table: GatewayTable | None
) -> list[Answer]:
    """Each Gateway's answer: its one listener that takes the request (`gateway_answers`)."""
    if not snapshot.gateways.gateways:
        return []  # no Gateway API objects: nothing to attach, and the engine stays unloaded
    from kpath.routing.gateway.resolve import gateway_answers

    return gateway_answers(snapshot, request, via, table)


def prune_for_request(raw: RawCluster) -> None:
    """Drop what no answer reads, before the snapshot is built: Pods, when the input carries
    EndpointSlices or Endpoints (a backend's endpoints come from those; pods are read only to
    derive endpoints when neither is there). Most of a dump's objects are Pods, and parsing
    them is a fifth of a `kpath request` process."""
    if {"EndpointSlice", "Endpoints"} & raw.objects.keys():
        raw.objects.pop("Pod", None)
        raw.sources.pop("Pod", None)


def resolve_via(snapshot: Snapshot, via: str) -> tuple[str, ObjectKey]:
    """``--via NS/NAME`` as ("gateway" | "ingress", key); a usage error names what exists."""
    namespace, sep, name = via.partition("/")
    if not sep or not namespace or not name or "/" in name:
        raise InputError(
            f"--via {via!r}: give it as NAMESPACE/NAME (a Gateway, or an "
            "Ingress controller's Service)"
        )
    key = ObjectKey(namespace, name)
    if key in snapshot.gateways.gateways:
        return "gateway", key
    controllers = controller_services(snapshot)
    if key in controllers:
        return "ingress", key
    gateways = sorted(str(k) for k in snapshot.gateways.gateways)
    what = (
        "a Service, but no Ingress kpath sees is served through it"
        if (key in snapshot.services)
        else "neither a Gateway nor an Ingress controller's Service"
    )
    raise InputError(
        f"--via {clean(via)}: {what} (Gateways: {_listing(gateways)}; Ingress "
        f"controller Services: {_listing([str(k) for k in controllers])})"
    )


def answers(
    snapshot: Snapshot, request: Request, via: str | None = None, table: GatewayTable | None = None
) -> list[Answer]:
    """Every answer to ``request``: Gateways first, then Ingress controllers. ``table`` is
    the Gateway engine's `attach(snapshot)`, for callers that ask many requests of one
    snapshot (else it is built here, once per call)."""
    if via is None:
        return [
            *_gateway_answers(snapshot, request, None, table),
            *ingress_answers(snapshot, request),
        ]
    kind, key = resolve_via(snapshot, via)
    if kind == "gateway":
        return _gateway_answers(snapshot, request, key, table)
    return ingress_answers(snapshot, request, key)


def request_findings(
    snapshot: Snapshot, request: Request, found: Sequence[Answer]
) -> Iterator[Finding]:
    """Findings about the request as a whole (each answer carries its own)."""
    if not found:
        port = f" on port {request.port}"
        ways = len(snapshot.gateways.gateways) + sum(
            1 for c in ingress_controllers(snapshot) if not unserved(snapshot, c)
        )
        yield finding(
            "KP450",
            f"no Gateway listener or Ingress rule takes host "
            f"{request.host}{port} ({request.scheme}); {ways or 'no'} way(s) in "
            "looked at",
        )
