"""One request's answers, shaped for the request dialog. Pure: no Textual, no Rich.

Each `Answer` (one Gateway listener or one Ingress controller) becomes an `AnswerView`:

    client ─▶ Gateway ns/name   ─▶ HTTPRoute ns/name      ─▶ forward
              1.2.3.4:80           ▶ rule 0 PathPrefix /a     ns/svc:80 100% forward
              listener http          rule 1 Exact /b

the route's rules listed with the matching one marked, the outcome (forward, redirect with
its Location, 404, 500, no listener) and the backends with their shares and verdicts.
Every string is raw cluster text; the widget makes it literal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from kpath.cluster.gatewayapi import Route
from kpath.cluster.gatewaykinds import GatewayObjects
from kpath.cluster.records import Ingress, ObjectKey
from kpath.routing.findings import Finding
from kpath.routing.paths import PortRoutes
from kpath.routing.requests import Answer, BackendShare, Outcome, Request, RouteRef
from kpath.tui import gateway_view as gv
from kpath.tui.styles import HopState, glyphs
from kpath.tui.view_model import worst_state

MAX_RULES = 6  # rules listed around the matching one; the rest are counted
ARROW = glyphs("→")


class RuleLine(NamedTuple):
    rule: int  # into the route's rules (-1: an Ingress defaultBackend); not `index`, which
    # would hide tuple.index
    text: str
    matched: bool


class Box(NamedTuple):
    title: str
    lines: tuple[str, ...]
    state: HopState


class AnswerView(NamedTuple):
    title: str  # which way in answered: "gateway ns/name listener http"
    entry: Box
    route: Box  # the route (or "no route"), its rules below it in `rules`
    rules: tuple[RuleLine, ...]
    more_rules: int  # rules not listed
    outcome: Box
    backends: tuple[Box, ...]
    findings: tuple[Finding, ...]
    state: HopState  # the worst of the answer: what the title's glyph says


def request_line(r: Request) -> str:
    """The request as sent: ``GET http://cafe.example.com:80/tea?x=1``."""
    query = "&".join(f"{k}={v}" if v else k for k, v in r.query)
    return f"{r.method} {r.scheme}://{r.host}:{r.port}{r.path}" + (f"?{query}" if query else "")


def backend_state(verdict: str) -> HopState:
    return {"forward": HopState.FORWARD, "reject": HopState.REJECT, "invalid": HopState.REJECT}.get(
        verdict, HopState.INFO
    )


_VERDICT_WORDS = {
    "forward": "forward",
    "reject": "503: no ready endpoint",
    "invalid": "500: invalid backend",
    "unknown": "unknown endpoints",
}


MAX_PODS = 3  # pods named under a backend; the rest are counted

#: A backend Service's ready pods by (service, port number): what the request reaches.
PodNames = Mapping[tuple[ObjectKey, int], Sequence[str]]


def backend_box(b: BackendShare, pods: Sequence[str] = ()) -> Box:
    port = f":{b.port}" if b.port is not None else ""
    ends = "endpoint" if b.endpoints == 1 else "endpoints"
    lines = [
        f"share {b.share:.0%} (weight {b.weight})",
        f"{_VERDICT_WORDS.get(b.verdict, b.verdict)}, {b.endpoints} ready {ends}",
    ]
    if pods and b.verdict == "forward":
        more = len(pods) - MAX_PODS
        lines.append("pods " + ", ".join(pods[:MAX_PODS]) + (f" +{more} more" if more > 0 else ""))
    return Box(f"{b.name}{port}", tuple(lines), backend_state(b.verdict))


def ready_pods(routes: Mapping[ObjectKey, Sequence[PortRoutes]]) -> PodNames:
    """Every Service port's ready pods, by name (an endpoint without a pod by address)."""
    out: dict[tuple[ObjectKey, int], list[str]] = {}
    for key, ports in routes.items():
        for r in ports:
            names = [t.pod.name if t.pod else t.endpoint for t in r.targets if t.ready]
            if names:
                out[(key, r.port.port)] = names
    return out


def outcome_box(a: Answer, r: Request) -> Box:
    status = f"{a.http_status} " if a.http_status is not None else ""
    if a.outcome == Outcome.FORWARD:
        lines = ["to the backends below"]
        if a.rewrite is not None:
            lines.append(f"rewritten: host {a.rewrite.host} path {a.rewrite.path}")
        states = [backend_state(b.verdict) for b in a.backends]
        state = worst_state(states) if states else HopState.REJECT
        return Box("forward", tuple(lines), state)
    if a.outcome == Outcome.REDIRECT:
        return Box(f"{status}redirect", (f"Location: {a.redirect or '?'}",), HopState.REDIRECT)
    if a.outcome == Outcome.NOT_FOUND:
        return Box(
            f"{status or '404 '}not found", ("no rule matches this request",), HopState.REJECT
        )
    if a.outcome == Outcome.BACKEND_ERROR:
        return Box(
            f"{status or '500 '}backend error",
            ("the matching rule has no valid backend",),
            HopState.REJECT,
        )
    return Box(
        "no listener", (f"no listener accepts {r.host}:{r.port} ({r.scheme})",), HopState.REJECT
    )


def _name(key: ObjectKey) -> str:
    return str(key) if key.namespace else key.name  # a controller outside the cluster


def entry_box(a: Answer) -> Box:
    e = a.entry
    where = f"{e.address}:{e.port}" if e.address else f"<no address> :{e.port}"
    cls = (f"class {e.class_name}",) if e.class_name else ()
    if e.kind == "gateway":
        return Box(
            f"Gateway {_name(e.name)}",
            (where, f"listener {e.listener or '?'}", *cls),
            HopState.INFO,
        )
    return Box(f"Ingress controller {_name(e.name)}", (where, *cls), HopState.INFO)


def _rule_text(route: Route, i: int) -> str:
    rule = route.rules[i]
    name = f" ({rule.name})" if rule.name else ""
    sends = ""
    if any(f.redirect is not None for f in rule.filters):
        sends = f" {ARROW} redirect"
    return f"rule {i}{name}: {gv.match_summary(rule.matches)}{sends}"


def rule_lines(route: Route, matched: int | None) -> tuple[tuple[RuleLine, ...], int]:
    """The route's rules, at most `MAX_RULES` of them around the matching one."""
    n = len(route.rules)
    start = 0
    if matched is not None and matched >= MAX_RULES:
        start = min(matched - MAX_RULES // 2, n - MAX_RULES)
    shown = range(max(0, start), min(n, max(0, start) + MAX_RULES))
    return (tuple(RuleLine(i, _rule_text(route, i), i == matched) for i in shown), n - len(shown))


def _ingress_rule(ing: Ingress | None, ref: RouteRef) -> RuleLine:
    """The Ingress rule that took the request: its host and the path that won."""
    if ref.rule < 0:
        return RuleLine(ref.rule, "defaultBackend", True)
    host = ref.host
    if host is None and ing is not None and ref.rule < len(ing.rules):
        host = ing.rules[ref.rule].host
    text = f"rule {ref.rule}: host {host or '*'}"
    if ref.path is not None:
        text += f" path {ref.path}" + (f" ({ref.path_type})" if ref.path_type else "")
    return RuleLine(ref.rule, text, True)


def answer_view(
    a: Answer,
    r: Request,
    gateways: GatewayObjects,
    ingresses: Sequence[Ingress],
    pods: PodNames | None = None,
) -> AnswerView:
    entry = entry_box(a)
    rules: tuple[RuleLine, ...] = ()
    more = 0
    if a.route is None:
        route = Box(
            "no route",
            (
                "no rule of any attached route matches"
                if a.outcome == Outcome.NOT_FOUND
                else "none",
            ),
            HopState.INFO,
        )
    elif a.route.kind == "Ingress":
        ing = next((i for i in ingresses if i.key == a.route.name), None)
        route = Box(f"Ingress {a.route.name}", (), HopState.FORWARD)
        rules = (_ingress_rule(ing, a.route),)
    else:
        found = gv.find_route(gateways.routes, a.route.kind, a.route.name)
        hosts = gv.host_text(found.hostnames) if found is not None else "?"
        route = Box(f"{a.route.kind} {a.route.name}", (f"hosts {hosts}",), HopState.FORWARD)
        if found is not None:
            rules, more = rule_lines(found, a.route.rule)
        else:
            rules = (RuleLine(a.route.rule, f"rule {a.route.rule}", True),)
    outcome = outcome_box(a, r)
    if a.route is not None and outcome.state == HopState.REJECT:
        route = route._replace(state=HopState.REJECT)
    pods = pods or {}
    backends = tuple(
        backend_box(b, pods.get((b.name, b.port), ()) if b.port else ()) for b in a.backends
    )
    where = f"listener {a.entry.listener}" if a.entry.listener else "controller"
    title = f"{a.entry.kind} {_name(a.entry.name)} {where}: {a.outcome.value}"
    return AnswerView(
        title, entry, route, rules, more, outcome, backends, a.findings, outcome.state
    )


def answer_views(
    answers: Sequence[Answer],
    r: Request,
    gateways: GatewayObjects,
    ingresses: Sequence[Ingress],
    pods: PodNames | None = None,
) -> list[AnswerView]:
    return [answer_view(a, r, gateways, ingresses, pods) for a in answers]
