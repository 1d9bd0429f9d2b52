"""One request, and what each way in answers it: the records behind `kpath request`.

A `Request` is what a client sends (parsed from a URL plus ``-X`` and ``-H``); an `Answer`
is what one Gateway listener or one Ingress controller does with it. These records are
the contract between the routing that computes answers (`kpath.routing.gateway`, and the
Ingress rules), `kpath request`'s JSON (``kpath.request/v1``) and text, and the TUI.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from kpath.cluster.records import ObjectKey
from kpath.routing.findings import Finding


class Request(NamedTuple):
    scheme: str  # http, https, grpc, tls
    host: str  # the Host header and the SNI, lower-cased, without the port
    port: int  # explicit, else the scheme's default (80, 443; grpc 80; tls has none)
    path: str  # "/" at least; for grpc "/pkg.Service/Method"
    query: tuple[tuple[str, str], ...]  # in order, as sent
    method: str  # GET by default; POST for grpc
    headers: tuple[tuple[str, str], ...]  # names as given; matching is case-insensitive

    @property
    def tls(self) -> bool:
        return self.scheme in ("https", "tls")


class Outcome(StrEnum):
    FORWARD = "forward"
    REDIRECT = "redirect"
    NOT_FOUND = "not-found"  # no rule matches: 404
    BACKEND_ERROR = "backend-error"  # the matched rule has no valid backend: 500
    NO_LISTENER = "no-listener"  # no listener of that Gateway accepts host, port, protocol


class EntryRef(NamedTuple):
    kind: str  # "gateway" or "ingress"
    name: ObjectKey  # the Gateway, or the Ingress controller's Service
    listener: str | None  # the Gateway listener's name; None for an Ingress controller
    address: str | None  # where the client connects (the Gateway's or controller's address)
    port: int
    class_name: str | None = None  # the GatewayClass, or the Ingress controller's IngressClass


class RouteRef(NamedTuple):
    kind: str  # HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute, Ingress
    name: ObjectKey
    rule: int  # index into spec.rules (for an Ingress: the rule, -1 for defaultBackend)
    host: str | None = None  # the rule's host (or route hostname) that accepted the request
    path: str | None = None  # the path match that won, as written
    path_type: str | None = None  # its type: Exact, Prefix, PathPrefix, ImplementationSpecific…


class BackendShare(NamedTuple):
    name: ObjectKey
    port: int | None
    weight: int
    share: float  # weight / total weight of the rule's backends, 0..1
    verdict: str  # forward, reject (no ready endpoints: 503), invalid (500), unknown
    endpoints: int  # ready endpoints behind it


class Rewrite(NamedTuple):
    host: str  # as the backend receives it
    path: str


class Answer(NamedTuple):
    entry: EntryRef
    route: RouteRef | None
    outcome: Outcome
    http_status: int | None  # what the gateway itself answers; None when it forwards
    redirect: str | None  # Location: scheme://host[:port]/path
    rewrite: Rewrite | None
    backends: tuple[BackendShare, ...]  # those with non-zero weight
    findings: tuple[Finding, ...]
