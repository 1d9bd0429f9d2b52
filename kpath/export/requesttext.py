"""`kpath request`'s text: one line per hop, readable at 80 columns. Headless: no textual.

Plain lines (no Rich: a script asks thousands of URLs, and Rich costs more to import than
the answer costs to compute). Every string from the cluster or the request goes through
`kpath.safetext.clean`, so a name cannot carry a terminal sequence or forge a line; finding
messages, composed for people, through `clean_message`, folded at 80 columns.

    GET http://shop.example.com/api/cart
    ingress ingress-nginx/ingress-nginx-controller: forward
      entry    203.0.113.7:80, class nginx
      rule     Ingress shop/shop rule 0: host shop.example.com, Prefix /api
      backend  shop/catalog:80  100%  3 ready endpoint(s)
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator

from kpath.routing.findings import Finding
from kpath.routing.requests import Answer, BackendShare, Outcome, Request
from kpath.routing.urls import BARE, request_url
from kpath.safetext import clean, clean_message

WIDTH = 80
_VERDICT = {
    "forward": "ready endpoint(s)",
    "reject": "no ready endpoint (503 over HTTP)",
    "invalid": "not a valid backend (500 over HTTP)",
    "unknown": "endpoints unknown",
}


def request_line(request: Request) -> str:
    head = request.scheme.upper() if request.scheme in BARE else clean(request.method)
    extra = "".join(f"\n  -H {clean(n)}: {clean(v)}" for n, v in request.headers)
    return f"{head} {clean(request_url(request))}{extra}"


def _entry(a: Answer) -> list[str]:
    """The way in and the outcome, then the hop to its address."""
    e = a.entry
    if e.name.namespace:
        name = clean(e.name)
    else:  # an Ingress controller outside the cluster, or not found: its class names it
        name = f"class {clean(e.class_name or '(none)')} (no Service)"
    if e.listener is not None:
        name += f" listener {clean(e.listener)}"
    status = a.outcome.value
    if a.http_status is not None and a.outcome != Outcome.REDIRECT:
        status = f"{a.http_status} {status}"
    where = f"{clean(e.address)}:{e.port}" if e.address else f"port {e.port}"
    cls = f", class {clean(e.class_name)}" if e.class_name and e.name.namespace else ""
    return [f"{e.kind} {name}: {status}", f"  entry    {where}{cls}"]


def _route(a: Answer) -> str | None:
    r = a.route
    if r is None:
        return None
    rule = "defaultBackend" if r.kind == "Ingress" and r.rule < 0 else f"rule {r.rule}"
    parts = []
    if r.host is not None:
        parts.append(f"host {clean(r.host)}")
    if r.path is not None:
        parts.append(f"{clean(r.path_type or 'path')} {clean(r.path)}")
    detail = f": {', '.join(parts)}" if parts else ""
    return f"  rule     {r.kind} {clean(r.name)} {rule}{detail}"


def _backend(b: BackendShare) -> str:
    port = f":{b.port}" if b.port is not None else ""
    count = f"{b.endpoints} " if b.verdict == "forward" else ""
    why = _VERDICT.get(b.verdict, clean(b.verdict))
    return f"  backend  {clean(b.name)}{port}  {b.share:.0%}  {count}{why}"


def _outcome(a: Answer) -> Iterator[str]:
    if a.outcome == Outcome.REDIRECT:
        yield f"  redirect {a.http_status} to {clean(a.redirect or '?')}"
    elif a.outcome == Outcome.NOT_FOUND:
        yield (
            f"  answer   {a.http_status} from the {a.entry.kind} itself: no rule matches"
            if a.http_status
            else "  answer   none: no route takes it (connection closed)"
        )
    elif a.outcome == Outcome.NO_LISTENER:
        yield "  answer   none: this way in does not take the host, port or protocol"
    elif a.outcome == Outcome.BACKEND_ERROR:
        yield (
            f"  answer   {a.http_status} from the {a.entry.kind}: no valid backend"
            if a.http_status
            else "  answer   none: the rule has no valid backend (connection closed)"
        )
    if a.rewrite is not None:
        yield f"  rewrite  host {clean(a.rewrite.host)}, path {clean(a.rewrite.path)}"
    for b in a.backends:
        if b.weight:
            yield _backend(b)
    if a.outcome == Outcome.FORWARD and not any(b.weight for b in a.backends):
        yield "  backend  a resource, not a Service: kpath follows it no further"


def finding_lines(findings: Iterable[Finding], indent: str = "  ") -> Iterator[str]:
    for f in findings:
        text = f"! {f.code} {f.severity.value}: {clean_message(f.message)}"
        yield from textwrap.wrap(
            text,
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
            break_on_hyphens=False,
            break_long_words=False,
        ) or [indent]


def _fold(line: str) -> list[str]:
    """A hop longer than 80 columns goes on under itself, broken between words only."""
    if len(line) <= WIDTH:
        return [line]
    indent = " " * (len(line) - len(line.lstrip(" ")) + 9)
    return textwrap.wrap(
        line,
        WIDTH,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
        drop_whitespace=True,
    ) or [line]


def request_text(
    request: Request, answers: Iterable[Answer], findings: Iterable[Finding] = ()
) -> str:
    lines = [request_line(request)]
    for a in answers:
        hops = _entry(a)
        route = _route(a)
        if route is not None:
            hops.append(route)
        hops.extend(_outcome(a))
        for hop in hops:
            lines.extend(_fold(hop))
        lines.extend(finding_lines(a.findings))
    lines.extend(finding_lines(findings, ""))
    return "\n".join(lines) + "\n"
