"""The lab gateway's data-plane decision: one request at one Gateway port -> what to do.

`decide` picks the listener (port, protocol, the most specific hostname), keeps to the routes
attached to that listener only (listener isolation), orders every rule's matches by the spec's
precedence and applies the first that matches. Weights are left to the data plane: a `Forward`
lists every backend with its weight, and `Forward.pick` maps a random draw to one. A picked
backend whose ref is invalid answers 500; one without ready endpoints answers 503 (the data
plane's part, since only it draws).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

from kpath.lab.gateway.controller import backend_problem
from kpath.lab.gateway.match import (
    DEFAULT_MATCH,
    grpc_match,
    grpc_rank,
    host_matches,
    host_only,
    hostname_rank,
    http_match,
    http_rank,
    location,
    modified_path,
)
from kpath.lab.gateway.state import (
    Attachment,
    ControllerState,
    Key,
    Listener,
    age_key,
    key_of,
    spec_of,
)

Protocol = Literal["http", "https", "tls", "tcp", "udp"]
_LISTENER_PROTOCOL = {"http": "HTTP", "https": "HTTPS", "tls": "TLS", "tcp": "TCP", "udp": "UDP"}


@dataclass(frozen=True)
class LabRequest:
    """What the data plane saw: for HTTP the request line and headers, for TLS the SNI."""

    protocol: Protocol
    host: str = ""  # Host header (may carry :port) or SNI
    path: str = "/"
    query: str = ""  # raw, without "?"
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def grpc(self) -> bool:
        ctype = next((v for k, v in self.headers if k.lower() == "content-type"), "")
        return ctype.lower().startswith("application/grpc")


@dataclass(frozen=True)
class Backend:
    """One backendRef of the chosen rule; `problem` set means its share answers 500."""

    namespace: str
    name: str
    port: int | None
    weight: int
    problem: str = ""  # "", or RefNotPermitted / BackendNotFound / InvalidKind
    #: Ready (pod IP, target port) pairs: the gateway dials pods, not the Service.
    targets: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Forward:
    kind: Literal["forward"]
    listener: str
    route: tuple[str, str, str] | None  # (kind, namespace, name)
    rule: int | None
    backends: tuple[Backend, ...]
    host: str | None = None  # the Host the backend receives (after URLRewrite), HTTP only
    path: str | None = None  # the path the backend receives, without the query
    query: str = ""
    passthrough: bool = False  # TLS: the bytes go on undecrypted

    def pick(self, draw: float) -> Backend:
        """The backend a draw in [0, 1) lands on, by weight."""
        total = sum(b.weight for b in self.backends)
        point = draw * total
        for b in self.backends:
            if point < b.weight:
                return b
            point -= b.weight
        return [b for b in self.backends if b.weight][-1]


@dataclass(frozen=True)
class Redirect:
    kind: Literal["redirect"]
    listener: str
    route: tuple[str, str, str]
    rule: int
    location: str
    status: int


@dataclass(frozen=True)
class Respond:
    """The gateway answers itself: 404 (no rule matches, or no listener takes the host),
    500 (the matched rule has no usable backend)."""

    kind: Literal["respond"]
    status: int
    reason: str  # not-found | backend-error | no-listener
    listener: str | None = None
    route: tuple[str, str, str] | None = None
    rule: int | None = None


@dataclass(frozen=True)
class Refuse:
    """No listener of this Gateway takes this port and protocol (or SNI): close the connection."""

    kind: Literal["refuse"]
    reason: str = "no-listener"


Decision = Forward | Redirect | Respond | Refuse


@dataclass(frozen=True)
class _Candidate:
    sort: tuple[Any, ...]
    attachment: Attachment
    rule_index: int
    match: Mapping[str, Any] = field(default_factory=dict)


def listener_for(
    state: ControllerState, gateway: Key, port: int, protocol: Protocol, host: str
) -> Listener | None:
    """The listener that takes a connection: port and protocol, then the most specific
    hostname (exact over wildcard over none). A TLS ClientHello (protocol "tls") may land on
    an HTTPS listener too (both share a port): the data plane then terminates and asks again
    with the HTTP request inside ("https")."""
    wanted = {_LISTENER_PROTOCOL[protocol]}
    if protocol == "tls":  # a ClientHello: either kind of TLS listener may take its SNI
        wanted = {"HTTPS", "TLS"}
    name = host_only(host)
    best: tuple[tuple[int, int], Listener] | None = None
    for li in state.listeners.get(gateway, []):
        if not li.serving or li.port != port or li.protocol not in wanted:
            continue
        if li.hostname is None or li.protocol not in ("HTTP", "HTTPS", "TLS"):
            rank = (0, 0)
        elif host_matches(li.hostname, name):
            rank = (2 if not li.hostname.startswith("*") else 1, len(li.hostname))
        else:
            continue
        if best is None or rank > best[0]:
            best = (rank, li)
    return best[1] if best else None


def decide(state: ControllerState, gateway: Key, port: int, request: LabRequest) -> Decision:
    listener = listener_for(state, gateway, port, request.protocol, request.host)
    if listener is None:
        if request.protocol in ("http", "https") and any(
            li.port == port and li.serving for li in state.listeners.get(gateway, [])
        ):
            return Respond("respond", 404, "no-listener")
        return Refuse("refuse")
    routes = state.routes_on(listener)
    if request.protocol == "tls" and listener.protocol == "HTTPS":
        return Refuse("refuse", "terminate-first")  # no HTTP to route until TLS ends
    if listener.protocol in ("TCP", "UDP", "TLS"):
        return _decide_stream(state, listener, routes, request)
    return _decide_http(state, listener, routes, request)


def _decide_stream(
    state: ControllerState, listener: Listener, routes: Sequence[Attachment], request: LabRequest
) -> Decision:
    """TLSRoute by SNI (the most specific hostname wins, then the oldest route); TCP and UDP
    routes take their listener's every connection (the oldest route when several attach)."""
    sni = host_only(request.host)
    wanted = {"TLS": "TLSRoute", "TCP": "TCPRoute", "UDP": "UDPRoute"}[listener.protocol]
    ranked = []
    for att in routes:
        if att.kind != wanted:
            continue
        rank = hostname_rank(att.hosts, sni) if wanted == "TLSRoute" else (0, 0)
        if rank is not None:
            ranked.append(((-rank[0], -rank[1], *age_key(att.route)), att))
    if not ranked:
        return Refuse("refuse", "no-route")
    att = min(ranked, key=lambda x: x[0])[1]
    rules = spec_of(att.route).get("rules") or []
    if not rules:
        return Refuse("refuse", "no-rule")
    backends = _backends(state, att, rules[0])
    route_id = (att.kind, *key_of(att.route))
    if not any(b.weight and not b.problem for b in backends):
        return Refuse("refuse", "backend-error")
    return Forward(
        "forward",
        listener.name,
        route_id,
        0,
        backends,
        passthrough=listener.tls_mode == "Passthrough",
    )


def _decide_http(
    state: ControllerState, listener: Listener, routes: Sequence[Attachment], request: LabRequest
) -> Decision:
    host = host_only(request.host)
    query = parse_qsl(request.query, keep_blank_values=True)
    # gRPC calls take GRPCRoutes first; other requests only HTTPRoutes.
    kinds = ("GRPCRoute", "HTTPRoute") if request.grpc else ("HTTPRoute",)
    for kind in kinds:
        candidates: list[_Candidate] = []
        for att in routes:
            if att.kind != kind:
                continue
            hrank = hostname_rank(att.hosts, host)
            if hrank is None:
                continue
            for ri, rule in enumerate(spec_of(att.route).get("rules") or []):
                for match in rule.get("matches") or [DEFAULT_MATCH if kind == "HTTPRoute" else {}]:
                    mrank = http_rank(match) if kind == "HTTPRoute" else grpc_rank(match)
                    sort = (-hrank[0], -hrank[1], *mrank, *age_key(att.route), ri)
                    candidates.append(_Candidate(sort, att, ri, match))
        candidates.sort(key=lambda c: c.sort)
        for cand in candidates:
            ok = (
                http_match(cand.match, request.path, request.method, request.headers, query)
                if kind == "HTTPRoute"
                else grpc_match(cand.match, request.path, request.headers)
            )
            if ok:
                return _apply_rule(state, listener, cand, request)
    return Respond("respond", 404, "not-found", listener.name)


def _apply_rule(
    state: ControllerState, listener: Listener, cand: _Candidate, request: LabRequest
) -> Decision:
    att, ri = cand.attachment, cand.rule_index
    rule = (spec_of(att.route).get("rules") or [])[ri]
    route_id = (att.kind, *key_of(att.route))
    host, path = host_only(request.host), request.path
    for flt in rule.get("filters") or []:
        ftype = flt.get("type")
        if ftype == "RequestRedirect":
            redirect = flt.get("requestRedirect") or {}
            scheme = "https" if listener.protocol == "HTTPS" else "http"
            where = location(
                redirect,
                scheme=scheme,
                host=host,
                path=path,
                query=request.query,
                listener_port=listener.port,
                match=cand.match,
            )
            return Redirect(
                "redirect",
                listener.name,
                route_id,
                ri,
                where,
                int(redirect.get("statusCode") or 302),
            )
        if ftype == "URLRewrite":
            rewrite = flt.get("urlRewrite") or {}
            host = str(rewrite.get("hostname") or host)
            path = modified_path(rewrite.get("path"), path, cand.match)
    backends = _backends(state, att, rule)
    if not any(b.weight and not b.problem for b in backends):
        return Respond("respond", 500, "backend-error", listener.name, route_id, ri)
    return Forward(
        "forward", listener.name, route_id, ri, backends, host=host, path=path, query=request.query
    )


def _backends(
    state: ControllerState, att: Attachment, rule: Mapping[str, Any]
) -> tuple[Backend, ...]:
    route_ns = key_of(att.route)[0]
    out = []
    for ref in rule.get("backendRefs") or []:
        weight = int(ref["weight"]) if ref.get("weight") is not None else 1
        ns = str(ref.get("namespace") or route_ns)
        name = str(ref.get("name") or "")
        port = int(ref["port"]) if ref.get("port") is not None else None
        problem = backend_problem(state, att.kind, att.route, ref)
        targets = () if problem else ready_targets(state, ns, name, port)
        out.append(Backend(ns, name, port, weight, problem[0] if problem else "", targets))
    return tuple(out)


def ready_targets(
    state: ControllerState, ns: str, name: str, port: int | None
) -> tuple[tuple[str, int], ...]:
    """Ready endpoints of a Service port, as (address, port) the gateway dials: the EndpointSlice
    port with the Service port's name carries the resolved targetPort."""
    svc = state.services.get((ns, name))
    if svc is None or port is None:
        return ()
    sport = next((p for p in spec_of(svc).get("ports") or [] if p.get("port") == port), None)
    if sport is None:
        return ()
    pname = sport.get("name") or ""
    found: list[tuple[str, int]] = []
    for sl in state.slices.get((ns, name), []):
        number = next(
            (p.get("port") for p in sl.get("ports") or [] if (p.get("name") or "") == pname), None
        )
        if number is None:
            continue
        for ep in sl.get("endpoints") or []:
            if (ep.get("conditions") or {}).get("ready", True) is False:
                continue
            found += [(str(a), int(number)) for a in ep.get("addresses") or []]
    return tuple(dict.fromkeys(found))
