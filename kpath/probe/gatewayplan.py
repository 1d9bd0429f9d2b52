"""What to send at a Gateway listener, and what its route rules predict it answers. Pure.

A Gateway way in (`GatewayHop`) is one rule of one route on one listener. To test it the
probe writes a request that rule should win: the Host (and SNI) from the listener's and the
route's hostnames, then the rule's first match — an Exact path as given, a PathPrefix value
(it matches itself), the required headers, query parameters and method. Before a request is
used, it is run through the rules attached to the same Gateway port in the order the Gateway
API fixes (listener by most specific hostname, then Exact path, longest prefix, method, most
header matches, most query matches, oldest route, namespace/name): a request another rule
would win first tests that rule, not this one, so it is not sent for this one.

What the rule answers is read from every way in of the same rule (its backends and shares):
a forward to the pods of its valid backends, 500 for the share of an invalid or
not-permitted backend (and for a rule with no backend at all), 503 for a backend without
ready endpoints, a redirect with its Location, or — for a request no rule matches — 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from kpath.cluster.gatewayapi import (
    Gateway,
    GatewayObjects,
    HeaderMatch,
    RequestRedirect,
    Route,
    RouteMatch,
)
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot
from kpath.routing.kubeproxy import Choice, Verdict
from kpath.routing.paths import EntryKind, GatewayHop, Path

#: A listener's protocol → the probe that speaks it (UDP has no handshake to observe).
LISTENER_SCHEME = {"HTTP": "http", "HTTPS": "https", "TLS": "tls", "TCP": "tcp"}
DEFAULT_PORTS = {"http": 80, "https": 443}
#: The request path kpath sends to see a listener's 404 (no rule of it matches).
NO_ROUTE_PATH = "/kpath-probe-no-route"
_REGEX_META = re.compile(r"[.*+?^${}()|\[\]\\]")


class RuleKey(NamedTuple):
    """One rule of one route on one listener: every backend way in of it shares it."""

    gateway: ObjectKey
    listener: str
    route_kind: str
    route: ObjectKey
    rule: int


class GatewayRequest(NamedTuple):
    """One request to send at a listener."""

    scheme: str  # http, https, tls, tcp
    host: str | None  # the Host header and the SNI (None: any host, the address is sent)
    path: str  # with the query string
    method: str
    headers: tuple[tuple[str, str], ...]

    @property
    def sni(self) -> str | None:
        return self.host if self.scheme in ("https", "tls") else None


class Prediction(NamedTuple):
    """What a rule answers: the kinds of answer (plan's Expect values, as words), which pods
    may name themselves, the gateway's own statuses, the redirect's Location."""

    kinds: frozenset[str]  # "answer", "backend-error", "not-found", "redirect", "unknown"
    pods: frozenset[str]
    statuses: frozenset[int]  # the gateway's own HTTP statuses (404, 500, 503, 3xx)
    location: str | None


def rule_key(hop: GatewayHop) -> RuleKey:
    return RuleKey(hop.gateway, hop.listener, hop.route_kind, hop.route, hop.rule)


def gateway_objects(snapshot: Snapshot) -> GatewayObjects:
    """The snapshot's Gateway API objects (empty when the input carries no such kinds)."""
    return snapshot.gateways


def find_route(objects: GatewayObjects, kind: str, key: ObjectKey) -> Route | None:
    return next((r for r in objects.routes if r.kind == kind and r.key == key), None)


def probe_host(hostnames: Sequence[str]) -> str | None:
    """A host the hostnames accept: the first one; a wildcard gets a label of kpath's own."""
    if not hostnames:
        return None
    host = sorted(hostnames, key=lambda h: (h.startswith("*"), h))[0]
    return "kpath-probe." + host[2:] if host.startswith("*.") else host


def host_matches(pattern: str, host: str) -> bool:
    """A Gateway hostname (``*.example.com`` matches one or more labels) against a host."""
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return pattern == host


def _accepts(hostnames: Sequence[str], host: str | None) -> bool:
    if not hostnames:
        return True
    return host is not None and any(host_matches(h, host) for h in hostnames)


# --------------------------------------------------------------------------- the request
def _literal(pattern: str) -> str | None:
    """A string a regular expression matches: its literal head, when that matches it."""
    head = _REGEX_META.split(pattern, 1)[0]
    try:
        return head if re.fullmatch(pattern, head) else None
    except re.error:
        return None


def _header_value(h: HeaderMatch) -> str | None:
    return h.value if h.type != "RegularExpression" else _literal(h.value)


def match_request(scheme: str, host: str | None, route_kind: str,
                  match: RouteMatch | None) -> GatewayRequest | None:
    """The request one match accepts (None: kpath cannot write one, e.g. a regex path)."""
    if scheme in ("tls", "tcp"):
        return GatewayRequest(scheme, host, "/", "GET", ())
    headers: list[tuple[str, str]] = []
    for h in match.headers if match is not None else ():
        value = _header_value(h)
        if value is None:
            return None
        headers.append((h.name, value))
    if route_kind == "GRPCRoute":
        service = (match.grpc_service if match else None) or "kpath.probe.Probe"
        method = (match.grpc_method if match else None) or "Probe"
        if match is not None and match.grpc_type == "RegularExpression":
            lit_s, lit_m = _literal(service), _literal(method)
            if not lit_s or not lit_m:
                return None
            service, method = lit_s, lit_m
        headers.append(("content-type", "application/grpc"))
        return GatewayRequest(scheme, host, f"/{service}/{method}", "POST", tuple(headers))
    path = "/"
    if match is not None and match.path is not None:
        if match.path.type == "RegularExpression":
            lit = _literal(match.path.value)
            if not lit or not lit.startswith("/"):
                return None
            path = lit
        else:
            path = match.path.value or "/"
    query = []
    for q in match.query_params if match is not None else ():
        value = _header_value(q)
        if value is None:
            return None
        query.append(f"{quote(q.name, safe='')}={quote(value, safe='')}")
    if query:
        path += "?" + "&".join(query)
    method = (match.method if match is not None else None) or "GET"
    return GatewayRequest(scheme, host, path, method, tuple(headers))


# --------------------------------------------------------------------------- the matcher
def _path_only(path: str) -> str:
    return path.split("?", 1)[0]


def _prefix_matches(prefix: str, path: str) -> bool:
    """PathPrefix on path-segment boundaries: /foo matches /foo and /foo/bar, not /foobar."""
    prefix = prefix.rstrip("/") or "/"
    if prefix == "/":
        return True
    return path == prefix or path.startswith(prefix + "/")


def _query(path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in urlsplit(path).query.split("&"):
        name, _, value = part.partition("=")
        if name:
            out.setdefault(name, value)
    return out


def _value_matches(h: HeaderMatch, value: str | None) -> bool:
    if value is None:
        return False
    if h.type == "RegularExpression":
        try:
            return re.fullmatch(h.value, value) is not None
        except re.error:
            return False
    return h.value == value


def match_rank(route_kind: str, match: RouteMatch | None, req: GatewayRequest
               ) -> tuple[int, ...] | None:
    """How strongly a match takes a request (bigger wins), None when it does not match."""
    headers = {k.lower(): v for k, v in req.headers}
    if match is None:
        return (0, 1, 0, 0, 0, 0)
    for h in match.headers:
        if not _value_matches(h, headers.get(h.name.lower())):
            return None
    if route_kind == "GRPCRoute":
        service, _, method = req.path.lstrip("/").partition("/")
        for want, got in ((match.grpc_service, service), (match.grpc_method, method)):
            if want is None:
                continue
            probe = HeaderMatch(match.grpc_type or "Exact", "", want)
            if not _value_matches(probe, got):
                return None
        return (0, 0, 0, int(match.grpc_service is not None),
                int(match.grpc_method is not None), len(match.headers))
    path = _path_only(req.path)
    exact, prefix = 0, 0
    pm = match.path
    if pm is not None:
        if pm.type == "Exact":
            if pm.value != path:
                return None
            exact = 1
        elif pm.type == "RegularExpression":
            try:
                if re.fullmatch(pm.value, path) is None:
                    return None
            except re.error:
                return None
            prefix = len(pm.value)
        else:
            if not _prefix_matches(pm.value, path):
                return None
            prefix = len(pm.value.rstrip("/") or "/")
    if match.method is not None and match.method.upper() != req.method.upper():
        return None
    query = _query(req.path)
    for q in match.query_params:
        if not _value_matches(q, query.get(q.name)):
            return None
    return (exact, prefix, int(match.method is not None), len(match.headers),
            len(match.query_params), 0)


class ListenerRule(NamedTuple):
    key: RuleKey
    hostnames: tuple[str, ...]
    matches: tuple[RouteMatch, ...]
    order: tuple[str, str, str]  # creationTimestamp, namespace, name: older first


def _route_order(objects: GatewayObjects, hop: GatewayHop) -> tuple[str, str, str]:
    route = find_route(objects, hop.route_kind, hop.route)
    # An unknown creation time sorts last: "~" is after every RFC 3339 digit.
    created = route.creation if route is not None and route.creation else "~"
    return (created, hop.route.namespace, hop.route.name)


def listener_rules(paths: Iterable[Path], objects: GatewayObjects
                   ) -> dict[tuple[ObjectKey, int], list[ListenerRule]]:
    """(Gateway, port) → every rule attached to its listeners there, each once."""
    out: dict[tuple[ObjectKey, int], dict[RuleKey, ListenerRule]] = {}
    for p in paths:
        hop = p.entry.gateway
        if p.entry.kind != EntryKind.GATEWAY or hop is None:
            continue
        rk = rule_key(hop)
        rules = out.setdefault((hop.gateway, hop.port), {})
        if rk not in rules:
            rules[rk] = ListenerRule(rk, hop.hostnames, hop.matches, _route_order(objects, hop))
    return {k: list(v.values()) for k, v in out.items()}


def _listener_hostname(gateway: Gateway | None, listener: str) -> str | None:
    if gateway is None:
        return None
    return next((ls.hostname for ls in gateway.listeners if ls.name == listener), None)


def _specificity(hostname: str | None, host: str | None) -> int | None:
    """How specifically a listener's hostname takes a host (None: it does not)."""
    if hostname is None:
        return 0
    if host is None or not host_matches(hostname, host):
        return None
    return 2 * len(hostname) + (0 if hostname.startswith("*") else 1)


def winner(rules: Sequence[ListenerRule], objects: GatewayObjects, req: GatewayRequest
           ) -> RuleKey | None:
    """The rule that takes a request among those of one Gateway port (None: no rule: 404)."""
    by_listener: dict[str, list[ListenerRule]] = {}
    for r in rules:
        by_listener.setdefault(r.key.listener, []).append(r)
    gateways = objects.gateways
    # Listener isolation: the most specific listener hostname that accepts the host decides.
    ranked = []
    for name, rs in by_listener.items():
        spec = _specificity(_listener_hostname(gateways.get(rs[0].key.gateway), name), req.host)
        if spec is not None:
            ranked.append((spec, name))
    if ranked:
        best = max(s for s, _ in ranked)
        chosen = [r for s, n in ranked if s == best for r in by_listener[n]]
    else:
        chosen = []
    candidates: list[tuple[tuple[int, ...], tuple[str, str, str], int, RuleKey]] = []
    for r in chosen:
        if not _accepts(r.hostnames, req.host):
            continue
        for m in r.matches or (None,):
            rank = match_rank(r.key.route_kind, m, req)
            if rank is not None:
                # The bigger match first; then the oldest route, namespace/name, rule order.
                candidates.append((tuple(-x for x in rank), r.order, r.key.rule, r.key))
    return min(candidates)[-1] if candidates else None


def rule_request(hop: GatewayHop, rules: Sequence[ListenerRule], objects: GatewayObjects
                 ) -> tuple[GatewayRequest | None, str]:
    """The request that tests a rule, or None and why not."""
    scheme = LISTENER_SCHEME.get(hop.protocol.upper())
    if scheme is None:
        return None, f"{hop.protocol} listener: no handshake to observe"
    host = probe_host(hop.hostnames)
    if scheme in ("tls", "tcp"):
        return GatewayRequest(scheme, host, "/", "GET", ()), ""
    me = rule_key(hop)
    why = "a regular-expression match kpath cannot write a request for"
    for m in hop.matches or (None,):
        req = match_request(scheme, host, hop.route_kind, m)
        if req is None:
            continue
        won = winner(rules, objects, req)
        if won == me:
            return req, ""
        if won is not None:
            why = (f"the request {req.method} {req.path} is taken first by {won.route_kind} "
                   f"{won.route} rule {won.rule}")
    return None, why


def no_route_request(hop: GatewayHop, rules: Sequence[ListenerRule], objects: GatewayObjects
                     ) -> tuple[GatewayRequest | None, str]:
    """A request no rule of the listener matches (to see its 404), or None and why not."""
    scheme = LISTENER_SCHEME.get(hop.protocol.upper())
    if scheme not in ("http", "https"):
        return None, ""
    gateway = objects.gateways.get(hop.gateway)
    listener_host = _listener_hostname(gateway, hop.listener)
    host = probe_host((listener_host,) if listener_host else hop.hostnames)
    req = GatewayRequest(scheme, host, NO_ROUTE_PATH, "GET", ())
    won = winner(rules, objects, req)
    if won is not None:
        return None, (f"every path of {host or 'any host'} is taken by {won.route_kind} "
                      f"{won.route} rule {won.rule}: no 404 to see")
    return req, ""


# --------------------------------------------------------------------------- prediction
def _pods(choice: Choice | None) -> frozenset[str]:
    if choice is None:
        return frozenset()
    return frozenset(str(t.pod) for t in choice.targets if t.pod is not None)


def redirect_location(r: RequestRedirect, req: GatewayRequest, listener_port: int,
                      matched_prefix: str | None) -> str:
    """The Location a RequestRedirect gives a request, as the Gateway API defines it."""
    scheme = r.scheme or req.scheme
    host = r.hostname or req.host or ""
    if r.port is not None:
        port = r.port
    elif r.scheme:
        port = DEFAULT_PORTS.get(scheme, listener_port)
    else:
        port = listener_port
    path = _path_only(req.path)
    if r.path is not None:
        if r.path.type == "ReplaceFullPath":
            path = r.path.value
        elif matched_prefix is not None:
            rest = path[len(matched_prefix.rstrip("/")):]
            base = r.path.value.rstrip("/")
            path = (base + rest) if rest else (r.path.value or "/")
            path = path or "/"
    shown = "" if DEFAULT_PORTS.get(scheme) == port else f":{port}"
    return f"{scheme}://{host}{shown}{path}"


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


def _redirect(objects: GatewayObjects, hop: GatewayHop) -> RequestRedirect | None:
    route = find_route(objects, hop.route_kind, hop.route)
    if route is None or not 0 <= hop.rule < len(route.rules):
        return None
    return next((f.redirect for f in route.rules[hop.rule].filters
                 if f.type == "RequestRedirect" and f.redirect is not None), None)


def rule_siblings(paths: Iterable[Path]) -> dict[RuleKey, list[Path]]:
    """Every way in of each rule (one per backend)."""
    out: dict[RuleKey, list[Path]] = {}
    for p in paths:
        hop = p.entry.gateway
        if p.entry.kind == EntryKind.GATEWAY and hop is not None:
            out.setdefault(rule_key(hop), []).append(p)
    return out


def predict(hop: GatewayHop, siblings: Sequence[Path], objects: GatewayObjects,
            req: GatewayRequest, backend_choice: Mapping[int, Choice | None]) -> Prediction:
    """What the rule of ``hop`` answers ``req``, from all its backends' ways in.

    ``backend_choice``: for each sibling (by position), the backend pods its gateway sends
    to straight (None: not known).
    """
    redirect = _redirect(objects, hop)
    if redirect is not None:
        m = hop.matches[0] if hop.matches else None
        prefix = (m.path.value if m is not None and m.path is not None
                  and m.path.type == "PathPrefix" else "/")
        return Prediction(frozenset({"redirect"}), frozenset(), frozenset({redirect.status_code}),
                          redirect_location(redirect, req, hop.port, prefix))
    kinds: set[str] = set()
    pods: set[str] = set()
    statuses: set[int] = set()
    for n, p in enumerate(siblings):
        h = p.entry.gateway
        if h is None or (h.backend is not None and h.share <= 0):
            continue
        if h.backend is None or h.problem:
            kinds.add("backend-error")
            statuses.add(500)  # an invalid or not-permitted backend, or none at all
            continue
        choice = backend_choice.get(n)
        if choice is None or choice.verdict == Verdict.UNKNOWN:
            kinds.add("unknown")
        elif choice.verdict == Verdict.FORWARD:
            kinds.add("answer")
            pods |= _pods(choice)
        else:
            kinds.add("backend-error")
            statuses.add(503)  # no ready endpoint behind a valid backend
    if not kinds:
        kinds, statuses = {"backend-error"}, {500}
    if scheme_is_l4(req.scheme) and "backend-error" in kinds:
        # Below HTTP the gateway cannot answer an error: it accepts, then closes.
        kinds = (kinds - {"backend-error"}) | {"closed"}
        statuses = set()
    return Prediction(frozenset(kinds), frozenset(pods), frozenset(statuses), None)


def scheme_is_l4(scheme: str) -> bool:
    return scheme in ("tls", "tcp")


NOT_FOUND = Prediction(frozenset({"not-found"}), frozenset(), frozenset({404}), None)
