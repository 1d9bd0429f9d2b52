"""A Gateway way in, as the path view draws it. Pure: no Textual, no Rich.

A Gateway path is drawn in two legs on the path view's grid:

    client ─▶ Gateway address:port ─▶ node groups of the gateway's own Service ─▶ gateway pods
      route ─▶ HTTPRoute ns/name rule N ─▶ backend Service (share) ─▶ backend pods

The first leg is the gateway's own Service, drawn as any Service is (its traffic policy,
its black holes); the second is the route rule and the backend its proxies send to
straight by pod IP, where kube-proxy's policies do not apply. Every string is raw cluster
text: the widgets make it literal.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpath.cluster.gatewayapi import (
    HeaderMatch,
    RequestRedirect,
    Route,
    RouteFilter,
    RouteMatch,
)
from kpath.cluster.records import ObjectKey, Service, ServicePort
from kpath.routing.paths import GatewayHop, Path, redirect_location
from kpath.tui.styles import glyphs

ARROW = glyphs("→")
MAX_MATCHES = 3  # matches shown on a route hop; the rest are counted


def _pair(kind: str, m: HeaderMatch) -> str:
    op = "~" if m.type == "RegularExpression" else "="
    return f"{kind} {m.name}{op}{m.value}"


def match_text(m: RouteMatch) -> str:
    """One match, as a user writes it: ``PathPrefix /api · header env=canary``."""
    parts: list[str] = []
    if m.path is not None:
        parts.append(f"{m.path.type} {m.path.value}")
    if m.grpc_service is not None or m.grpc_method is not None:
        op = "~" if m.grpc_type == "RegularExpression" else ""
        parts.append(f"gRPC {op}{m.grpc_service or '*'}/{m.grpc_method or '*'}")
    if m.method:
        parts.append(m.method)
    parts += [_pair("header", h) for h in m.headers]
    parts += [_pair("query", q) for q in m.query_params]
    return " · ".join(parts) or "any request"


def match_summary(matches: Sequence[RouteMatch]) -> str:
    """A rule's matches (any one of them): ``Exact /tea | PathPrefix /cafe``."""
    if not matches:
        return "any request"
    shown = [match_text(m) for m in matches[:MAX_MATCHES]]
    more = len(matches) - len(shown)
    return " | ".join(shown) + (f" | +{more} more" if more else "")


def host_text(hostnames: Sequence[str]) -> str:
    return ", ".join(hostnames) if hostnames else "any host"


def infra_port(svc: Service | None, hop: GatewayHop) -> ServicePort | None:
    """The gateway Service's port for the listener (a Service usually mirrors the listener's
    port; an implementation that maps it elsewhere has a single port then)."""
    if svc is None:
        return None
    same = [p for p in svc.ports if p.port == hop.port]
    if same:
        return same[0]
    return svc.ports[0] if len(svc.ports) == 1 else None


def entry_lines(hop: GatewayHop) -> list[str]:
    """The Gateway box: where a client connects, the listener, the hosts it accepts."""
    lines = [f"{a}:{hop.port}" for a in hop.addresses[:2]] or [f"<no address> :{hop.port}"]
    if len(hop.addresses) > 2:
        lines.append(f"+{len(hop.addresses) - 2} more")
    lines.append(f"{hop.protocol} listener {hop.listener}")
    lines.append(f"hosts {host_text(hop.hostnames)}")
    if hop.infra is None:
        lines.append("gateway Service not found")
    return lines


def entry_details(hop: GatewayHop, svc: Service | None) -> list[tuple[str, str]]:
    out = [
        ("way in", "gateway"),
        ("gateway", str(hop.gateway)),
        ("listener", f"{hop.listener} ({hop.protocol}, port {hop.port})"),
        ("hostnames", host_text(hop.hostnames)),
        ("addresses", ", ".join(hop.addresses) or "none in status.addresses"),
    ]
    if hop.infra is not None:
        out.append(("gateway Service", str(hop.infra)))
    out.append(("found by", hop.infra_note or "-"))
    sp = infra_port(svc, hop)
    if sp is not None:
        out.append(("gateway port", f"{sp.label()} {ARROW} targetPort {sp.target_port}"))
        if sp.node_port:
            out.append(("nodePort", str(sp.node_port)))
    if svc is not None:
        out.append(("gateway policy", svc.external_traffic_policy))
    return out


def route_title(hop: GatewayHop) -> str:
    return f"{hop.route_kind} {hop.route}"


def route_lines(hop: GatewayHop, route: Route | None) -> list[str]:
    rule = route.rules[hop.rule] if route is not None and 0 <= hop.rule < len(route.rules) else None
    name = f" ({rule.name})" if rule is not None and rule.name else ""
    lines = [f"rule {hop.rule}{name}", match_summary(hop.matches)]
    if rule is not None:
        kept = [f.type for f in rule.filters]
        if kept:
            lines.append("filters " + ", ".join(kept))
    return lines


def route_details(hop: GatewayHop, route: Route | None) -> list[tuple[str, str]]:
    out = [
        ("route", route_title(hop)),
        ("rule", str(hop.rule)),
        (
            "matches",
            match_summary(hop.matches)
            if len(hop.matches) <= MAX_MATCHES
            else " | ".join(match_text(m) for m in hop.matches),
        ),
        ("hostnames", host_text(hop.hostnames)),
    ]
    if route is not None:
        out.append(("route hostnames", host_text(route.hostnames)))
        if 0 <= hop.rule < len(route.rules):
            rule = route.rules[hop.rule]
            if rule.name:
                out.append(("rule name", rule.name))
            for f in rule.filters:
                out.append(("filter", _filter_text(f)))
    return out


def _filter_text(f: RouteFilter) -> str:
    if f.redirect is not None:
        r = f.redirect
        bits = [
            f"{k} {v}"
            for k, v in (("scheme", r.scheme), ("host", r.hostname), ("port", r.port))
            if v is not None
        ]
        if r.path is not None:
            bits.append(f"{r.path.type} {r.path.value}")
        return f"RequestRedirect {r.status_code} " + ", ".join(bits)
    if f.rewrite is not None:
        w = f.rewrite
        bits = [f"host {w.hostname}"] if w.hostname else []
        if w.path is not None:
            bits.append(f"{w.path.type} {w.path.value}")
        return "URLRewrite " + ", ".join(bits)
    return f.type


def backend_name(hop: GatewayHop) -> ObjectKey | None:
    b = hop.backend
    if b is None:
        return None
    return ObjectKey(b.namespace or hop.route.namespace, b.name)


def backend_title(hop: GatewayHop) -> str:
    b, key = hop.backend, backend_name(hop)
    if b is None or key is None:
        return "no backend"
    kind = "Service" if b.kind == "Service" and b.group in ("", "core") else f"{b.kind}"
    port = f":{b.port}" if b.port is not None else ""
    return f"{kind} {key}{port}"


def backend_lines(hop: GatewayHop) -> list[str]:
    if hop.backend is None:
        return ["the rule sends nowhere"]
    lines = [f"share {hop.share:.0%} (weight {hop.backend.weight})"]
    if hop.problem:
        lines.append(f"500: {hop.problem}")
    return lines


def backend_details(hop: GatewayHop, p: Path) -> list[tuple[str, str]]:
    out = [("backend", backend_title(hop))]
    if hop.backend is not None:
        out += [("weight", str(hop.backend.weight)), ("share", f"{hop.share:.0%}")]
    if p.port is not None:
        out.append(("service port", f"{p.port.label()} {ARROW} targetPort {p.port.target_port}"))
    out.append(("sent", "by the gateway's proxies straight to pod IPs (no kube-proxy)"))
    if hop.problem:
        out.append(("problem", f"{hop.problem}: the gateway answers 500 for this share"))
    return out


def rule_redirect(hop: GatewayHop, route: Route | None) -> RequestRedirect | None:
    """The rule's RequestRedirect (the gateway answers it itself), if it has one."""
    if route is None or not 0 <= hop.rule < len(route.rules):
        return None
    return next(
        (
            f.redirect
            for f in route.rules[hop.rule].filters
            if f.type == "RequestRedirect" and f.redirect is not None
        ),
        None,
    )


def redirect_lines(hop: GatewayHop, r: RequestRedirect) -> list[str]:
    """The redirect box: the status and the Location this path's request is answered."""
    return [
        f"{r.status_code} {ARROW} {redirect_location(r, hop)}",
        "the gateway answers (no backend)",
    ]


def redirect_details(hop: GatewayHop, r: RequestRedirect) -> list[tuple[str, str]]:
    return [
        ("answer", f"{r.status_code} redirect, by the gateway itself"),
        ("location", redirect_location(r, hop)),
        ("backend", "none: a redirect sends nothing on, and nothing failed"),
    ]


def find_route(routes: Sequence[Route], kind: str, key: ObjectKey) -> Route | None:
    return next((r for r in routes if r.kind == kind and r.key == key), None)
