"""What to send at a Gateway listener, and what kpath's routing predicts it answers. Pure.

A Gateway way in (`GatewayHop`) is one rule of one route on one listener. To test it the
probe writes a request that rule should win: the Host (and SNI) from the listener's and the
route's hostnames, then the rule's first match — an Exact path as given, a PathPrefix value
(it matches itself), the required headers, query parameters and method (a GRPCRoute match:
``GET /service/method``; only GET, HEAD and OPTIONS are ever sent). The request is then put
to kpath's Gateway routing (`kpath.routing.gateway.resolve.gateway_answers`, the answer
`kpath request` gives): when another rule or listener takes it first, the request tests
that one, not this one, so the next match is tried, and a rule none of whose matches it can
write is not probed.

The answer is the prediction: a forward to the pods of the rule's valid backends (any of
them, by weight), 500 for the share of an invalid or not-permitted backend (and for a rule
with no backend), 503 for a backend without ready endpoints, a redirect with its status and
Location, and for a request no rule matches (each listener is sent one) 404.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit

from kpath.cluster.gatewayapi import HeaderMatch, Route, RouteMatch
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing import paths  # noqa: F401  (first: gateway.backends and paths import each other)
from kpath.routing.gateway.attach import GatewayTable
from kpath.routing.gateway.backends import rule_backends
from kpath.routing.gateway.resolve import gateway_answers
from kpath.routing.kubeproxy import Choice, Verdict
from kpath.routing.paths import GatewayHop
from kpath.routing.requests import Answer, Outcome, Request

#: A listener's protocol → the probe that speaks it (UDP has no handshake to observe).
LISTENER_SCHEME = {"HTTP": "http", "HTTPS": "https", "TLS": "tls", "TCP": "tcp"}
DEFAULT_PORTS = {"http": 80, "https": 443}
#: The request path kpath sends to see a listener's 404 (no rule of it matches).
NO_ROUTE_PATH = "/kpath-probe-no-route"
_REGEX_META = re.compile(r"[.*+?^${}()|\[\]\\]")
#: The only methods a probe sends: a probe must not change anything behind the gateway.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Characters that would end a request line or header: a match holding one is not sent.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNWRITABLE = "a regular-expression match kpath cannot write a request for"


class GatewayRequest(NamedTuple):
    """One request to send at a listener."""

    scheme: str  # the probe's: http, https, tls, tcp
    host: str | None  # the Host header and the SNI (None: any host; the address is sent)
    path: str  # without the query
    query: tuple[tuple[str, str], ...]
    method: str
    headers: tuple[tuple[str, str], ...]
    grpc: bool = False  # a gRPC call (a GRPCRoute rule)

    @property
    def sni(self) -> str | None:
        return self.host if self.scheme in ("https", "tls") else None

    @property
    def target(self) -> str:
        """The request target: path and query, as sent."""
        return self.path + (f"?{urlencode(self.query)}" if self.query else "")

    def as_request(self, port: int, address: str) -> Request:
        """The same request as kpath's routing reads one (`kpath request`'s record)."""
        scheme = "grpc" if self.grpc and self.scheme == "http" else self.scheme
        return Request(
            scheme,
            (self.host or address).lower(),
            port,
            self.path,
            self.query,
            self.method,
            self.headers,
        )


class Prediction(NamedTuple):
    """What the gateway answers: the kinds of answer (plan's Expect values, as words), which
    pods may name themselves, the gateway's own statuses, the redirect's Location."""

    kinds: frozenset[str]  # answer, backend-error, not-found, redirect, unknown, closed
    pods: frozenset[str]
    statuses: frozenset[int]  # the gateway's own HTTP statuses (404, 500, 503, 3xx)
    location: str | None


def probe_host(hostnames: Sequence[str]) -> str | None:
    """A host the hostnames accept: an exact one first; a wildcard gets a label of kpath's."""
    if not hostnames:
        return None
    host = sorted(hostnames, key=lambda h: (h.startswith("*"), h))[0]
    return "kpath-probe." + host[2:] if host.startswith("*.") else host


def find_route(routes: Sequence[Route], kind: str, key: ObjectKey) -> Route | None:
    return next((r for r in routes if r.kind == kind and r.key == key), None)


# --------------------------------------------------------------------------- the request
def _literal(pattern: str) -> str | None:
    """A string a regular expression matches: its literal head, when that matches it."""
    head = _REGEX_META.split(pattern, 1)[0]
    try:
        return head if re.fullmatch(pattern, head) else None
    except re.error:
        return None


def _value(h: HeaderMatch) -> str | None:
    return h.value if h.type != "RegularExpression" else _literal(h.value)


def match_request(
    scheme: str, host: str | None, route_kind: str, match: RouteMatch | None
) -> tuple[GatewayRequest | None, str]:
    """The request one match accepts, or None and why kpath does not send one (a regex it
    cannot write a string for, a method that could change something)."""
    if scheme in ("tls", "tcp"):
        return GatewayRequest(scheme, host, "/", (), "GET", ()), ""
    headers: list[tuple[str, str]] = []
    for h in match.headers if match is not None else ():
        value = _value(h)
        if value is None:
            return None, _UNWRITABLE
        if _CONTROL.search(h.name + value):
            return None, "a header match with control characters: not sent"
        headers.append((h.name, value))
    if route_kind == "GRPCRoute":
        service = (match.grpc_service if match else None) or "kpath.probe.Probe"
        method = (match.grpc_method if match else None) or "Probe"
        if match is not None and match.grpc_type == "RegularExpression":
            lit_s, lit_m = _literal(service), _literal(method)
            if not lit_s or not lit_m:
                return None, _UNWRITABLE
            service, method = lit_s, lit_m
        # A GET on the method's path routes as the call does, and no gRPC server runs a
        # method for a GET (it answers 405 or an error): nothing is called.
        headers.append(("content-type", "application/grpc"))
        return GatewayRequest(
            scheme, host, f"/{service}/{method}", (), "GET", tuple(headers), grpc=True
        ), ""
    path = "/"
    if match is not None and match.path is not None:
        if match.path.type == "RegularExpression":
            lit = _literal(match.path.value)
            if not lit or not lit.startswith("/"):
                return None, _UNWRITABLE
            path = lit
        else:
            path = match.path.value or "/"
    query: list[tuple[str, str]] = []
    for q in match.query_params if match is not None else ():
        value = _value(q)
        if value is None:
            return None, _UNWRITABLE
        query.append((q.name, value))
    method = ((match.method if match is not None else None) or "GET").upper()
    if method not in SAFE_METHODS:
        return None, (
            f"the rule matches {method} only: a probe sends only "
            f"{', '.join(sorted(SAFE_METHODS))}, never a request that may change "
            "something"
        )
    return GatewayRequest(scheme, host, path, tuple(query), method, tuple(headers)), ""


def answer_of(
    snapshot: Snapshot,
    table: GatewayTable,
    gateway: ObjectKey,
    port: int,
    address: str,
    req: GatewayRequest,
) -> Answer | None:
    """kpath's routing's answer to ``req`` at one Gateway (None: no listener takes it)."""
    answers = gateway_answers(snapshot, req.as_request(port, address), via=gateway, table=table)
    a = answers[0] if answers else None
    return None if a is None or a.outcome == Outcome.NO_LISTENER else a


def _address(hop: GatewayHop) -> str:
    return hop.addresses[0] if hop.addresses else "0.0.0.0"


def rule_request(
    snapshot: Snapshot, table: GatewayTable, hop: GatewayHop
) -> tuple[GatewayRequest | None, Answer | None, str]:
    """The request that tests a rule and routing's answer to it, or None and why not."""
    scheme = LISTENER_SCHEME.get(hop.protocol.upper())
    if scheme is None:
        return None, None, f"{hop.protocol} listener: no handshake to observe"
    host = probe_host(hop.hostnames)
    me = (hop.route_kind, hop.route, hop.rule)
    why = _UNWRITABLE
    for m in hop.matches or (None,):
        req, cannot = match_request(scheme, host, hop.route_kind, m)
        if req is None:
            why = cannot
            continue
        a = answer_of(snapshot, table, hop.gateway, hop.port, _address(hop), req)
        if a is None:
            why = (
                f"no listener of {hop.gateway} takes {req.method} {req.target} for "
                f"{host or 'any host'}"
            )
        elif (
            a.route is not None
            and (a.route.kind, a.route.name, a.route.rule) == me
            and a.entry.listener == hop.listener
        ):
            return req, a, ""
        elif a.route is None:
            why = f"the request {req.method} {req.target} matches no rule ({a.outcome.value})"
        else:
            where = "" if a.entry.listener == hop.listener else f" (on listener {a.entry.listener})"
            why = (
                f"the request {req.method} {req.target} is taken first by "
                f"{a.route.kind} {a.route.name} rule {a.route.rule}{where}"
            )
    return None, None, why


def no_route_request(
    snapshot: Snapshot, table: GatewayTable, hop: GatewayHop, listener_host: str | None
) -> tuple[GatewayRequest | None, str]:
    """A request no rule of the listener matches (to see its 404), or None and why not."""
    scheme = LISTENER_SCHEME.get(hop.protocol.upper())
    if scheme not in ("http", "https"):
        return None, ""
    host = probe_host((listener_host,) if listener_host else hop.hostnames)
    req = GatewayRequest(scheme, host, NO_ROUTE_PATH, (), "GET", ())
    a = answer_of(snapshot, table, hop.gateway, hop.port, _address(hop), req)
    if a is None or a.entry.listener != hop.listener:
        return None, ""  # the host belongs to another listener: that one is sent its own
    if a.outcome != Outcome.NOT_FOUND:
        route = f"{a.route.kind} {a.route.name} rule {a.route.rule}" if a.route else "a rule"
        return None, f"every path of {host or 'any host'} is taken by {route}: no 404 to see"
    return req, ""


# --------------------------------------------------------------------------- prediction
def _pods(choice: Choice | None) -> frozenset[str]:
    if choice is None:
        return frozenset()
    return frozenset(str(t.pod) for t in choice.targets if t.pod is not None)


def predict(
    snapshot: Snapshot,
    answer: Answer,
    l4: bool,
    backend_pods: Mapping[tuple[ObjectKey, int | None], frozenset[str]] | None = None,
) -> Prediction:
    """The probe's prediction from routing's answer (``l4``: a TLS or TCP probe, where the
    gateway cannot answer an error, only accept and close). ``backend_pods``: the pods each
    backend (Service, port) is sent to, as the Gateway paths already resolved them; a
    backend not there is resolved here."""
    if answer.outcome == Outcome.REDIRECT:
        return Prediction(
            frozenset({"redirect"}),
            frozenset(),
            frozenset({answer.http_status or 302}),
            answer.redirect,
        )
    if answer.outcome == Outcome.NOT_FOUND:
        return _l4(NOT_FOUND, l4)
    if answer.outcome == Outcome.BACKEND_ERROR or answer.route is None:
        return _l4(
            Prediction(
                frozenset({"backend-error"}),
                frozenset(),
                frozenset({answer.http_status or 500}),
                None,
            ),
            l4,
        )
    known = backend_pods or {}
    kinds: set[str] = set()
    pods: set[str] = set()
    statuses: set[int] = set()
    resolved: dict[tuple[ObjectKey, int | None], frozenset[str]] | None = None
    for b in answer.backends:
        if b.weight <= 0:
            continue
        if b.verdict == "invalid":
            kinds.add("backend-error")
            statuses.add(500)  # an invalid or not-permitted backend's share
        elif b.verdict == Verdict.FORWARD:
            kinds.add("answer")
            these = known.get((b.name, b.port))
            if these is None:
                if resolved is None:
                    resolved = _resolved_pods(snapshot, answer)
                these = resolved.get((b.name, b.port), frozenset())
            pods |= these
        elif b.verdict == Verdict.REJECT:
            kinds.add("backend-error")
            statuses.add(503)  # no ready endpoint behind a valid backend
        else:
            kinds.add("unknown")
    if not kinds:
        kinds, statuses = {"backend-error"}, {500}
    return _l4(Prediction(frozenset(kinds), frozenset(pods), frozenset(statuses), None), l4)


def _resolved_pods(
    snapshot: Snapshot, answer: Answer
) -> dict[tuple[ObjectKey, int | None], frozenset[str]]:
    assert answer.route is not None
    route = find_route(snapshot.gateways.routes, answer.route.kind, answer.route.name)
    if route is None:
        return {}
    return {
        (b.service, b.ref.port): _pods(b.choice)
        for b in rule_backends(snapshot, route, answer.route.rule)
    }


def _l4(p: Prediction, l4: bool) -> Prediction:
    if not l4 or not p.kinds & {"backend-error", "not-found"}:
        return p
    # Below HTTP a gateway cannot say "error": it accepts, then closes (or resets).
    kinds = (p.kinds - {"backend-error", "not-found"}) | {"closed", "refused"}
    return p._replace(kinds=frozenset(kinds), statuses=frozenset())


def same_location(predicted: str, seen: str, req_scheme: str, req_host: str | None) -> bool:
    """Two Locations alike (scheme, host, port, path; the query is not compared)."""

    def parts(url: str) -> tuple[str, str, int | None, str]:
        u = urlsplit(url)
        scheme = u.scheme or req_scheme
        host = (u.hostname or req_host or "").lower()
        port = u.port if u.port is not None else DEFAULT_PORTS.get(scheme)
        return scheme, host, port, u.path or "/"

    try:
        return parts(predicted) == parts(seen)
    except ValueError:
        return False


NOT_FOUND = Prediction(frozenset({"not-found"}), frozenset(), frozenset({404}), None)
