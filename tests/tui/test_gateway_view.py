"""The words a Gateway hop is drawn with: match summaries, hosts, rules around the match."""

from __future__ import annotations

from kpath.cluster.gatewayapi import (
    HeaderMatch,
    ParentRef,
    PathMatch,
    RequestRedirect,
    Route,
    RouteFilter,
    RouteMatch,
    RouteRule,
)
from kpath.cluster.records import ObjectKey
from kpath.routing.requests import (
    Answer,
    BackendShare,
    EntryRef,
    Outcome,
    Request,
    RouteRef,
)
from kpath.tui import gateway_view as gv
from kpath.tui import request_view as rv
from kpath.tui.styles import HopState


def match(path: tuple[str, str] | None = None, *, headers: tuple[tuple[str, str], ...] = (),
          query: tuple[tuple[str, str], ...] = (), method: str | None = None) -> RouteMatch:
    return RouteMatch(PathMatch(*path) if path else None,
                      tuple(HeaderMatch("Exact", k, v) for k, v in headers),
                      tuple(HeaderMatch("Exact", k, v) for k, v in query), method,
                      None, None, None)


def test_a_match_reads_as_written() -> None:
    m = match(("PathPrefix", "/api"), headers=(("env", "canary"),))
    assert gv.match_text(m) == "PathPrefix /api · header env=canary"
    assert gv.match_text(match(("Exact", "/tea"), method="POST", query=(("v", "2"),))) == \
        "Exact /tea · POST · query v=2"
    regex = RouteMatch(None, (HeaderMatch("RegularExpression", "x", "^a.*"),), (), None,
                       None, None, None)
    assert gv.match_text(regex) == "header x~^a.*"
    grpc = RouteMatch(None, (), (), None, "Exact", "pkg.Echo", None)
    assert gv.match_text(grpc) == "gRPC pkg.Echo/*"


def test_a_rule_summary_lists_its_matches_and_counts_the_rest() -> None:
    assert gv.match_summary(()) == "any request"
    ms = [match(("Exact", f"/{n}")) for n in range(5)]
    assert gv.match_summary(ms[:2]) == "Exact /0 | Exact /1"
    assert gv.match_summary(ms) == "Exact /0 | Exact /1 | Exact /2 | +2 more"


def route(n: int) -> Route:
    rules = tuple(RouteRule(None, (match(("PathPrefix", f"/r{i}")),), (), ()) for i in range(n))
    return Route("HTTPRoute", "shop", "web", (ParentRef("", "Gateway", None, "gw", None, None),),
                 ("shop.example.com",), rules, (), "", None)


def test_rules_are_listed_around_the_matching_one() -> None:
    lines, more = rv.rule_lines(route(3), 1)
    assert [(r.index, r.matched) for r in lines] == [(0, False), (1, True), (2, False)]
    assert lines[1].text == "rule 1: PathPrefix /r1" and more == 0
    lines, more = rv.rule_lines(route(40), 30)
    assert 30 in [r.index for r in lines] and len(lines) == rv.MAX_RULES
    assert more == 40 - rv.MAX_RULES
    lines, _ = rv.rule_lines(route(40), 39)
    assert lines[-1].index == 39 and lines[-1].matched


def test_a_redirect_rule_says_so() -> None:
    r = route(1)
    redirect = RouteFilter("RequestRedirect", RequestRedirect("https", None, None, None, 301),
                           None)
    r = r._replace(rules=(r.rules[0]._replace(filters=(redirect,)),))
    assert rv.rule_lines(r, 0)[0][0].text.endswith("redirect")


REQ = Request("http", "shop.example.com", 80, "/r1", (("a", "1"),), "GET", ())
ENTRY = EntryRef("gateway", ObjectKey("shop", "gw"), "http", "203.0.113.7", 80)


def test_outcomes_read_as_the_gateway_answers() -> None:
    fwd = Answer(ENTRY, RouteRef("HTTPRoute", ObjectKey("shop", "web"), 1), Outcome.FORWARD,
                 None, None, None,
                 (BackendShare(ObjectKey("shop", "web"), 80, 3, 0.75, "forward", 2),
                  BackendShare(ObjectKey("shop", "old"), 80, 1, 0.25, "reject", 0)), ())
    v = rv.answer_view(fwd, REQ, _objects(route(3)), ())
    assert [r.matched for r in v.rules] == [False, True, False]
    assert v.outcome.title == "forward" and v.state == HopState.REJECT  # a share gets 503
    assert v.backends[0].lines[0] == "share 75% (weight 3)"
    assert "503" in v.backends[1].lines[1]
    assert rv.request_line(REQ) == "GET http://shop.example.com:80/r1?a=1"
    lost = fwd._replace(route=None, outcome=Outcome.NOT_FOUND, http_status=404, backends=())
    v = rv.answer_view(lost, REQ, _objects(route(3)), ())
    assert v.outcome.title == "404 not found" and v.rules == ()
    moved = fwd._replace(outcome=Outcome.REDIRECT, http_status=301, backends=(),
                         redirect="https://shop.example.com/r1")
    v = rv.answer_view(moved, REQ, _objects(route(3)), ())
    assert v.outcome.lines == ("Location: https://shop.example.com/r1",)
    none = fwd._replace(route=None, outcome=Outcome.NO_LISTENER, backends=())
    assert rv.answer_view(none, REQ, _objects(route(3)), ()).outcome.title == "no listener"


def _objects(*routes: Route):  # type: ignore[no-untyped-def]
    from kpath.cluster.gatewayapi import EMPTY_GATEWAYS

    return EMPTY_GATEWAYS._replace(routes=routes)
