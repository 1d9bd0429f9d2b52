"""The words a Gateway hop is drawn with (match summaries, rules around the match, outcomes)
and the diagram of a Gateway path, built from dumps of real-world manifests."""

from __future__ import annotations

import pytest

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
from kpath.probe.plan import HopKind, HopRef
from kpath.routing.analysis import Analysis
from kpath.routing.paths import EntryKind
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
from kpath.tui import view_model as vm
from kpath.tui.styles import HopState
from tests.tui.gateway_data import REALWORLD, analysed_dump, manifest_dump


def match(
    path: tuple[str, str] | None = None,
    *,
    headers: tuple[tuple[str, str], ...] = (),
    query: tuple[tuple[str, str], ...] = (),
    method: str | None = None,
) -> RouteMatch:
    return RouteMatch(
        PathMatch(*path) if path else None,
        tuple(HeaderMatch("Exact", k, v) for k, v in headers),
        tuple(HeaderMatch("Exact", k, v) for k, v in query),
        method,
        None,
        None,
        None,
    )


def test_a_match_reads_as_written() -> None:
    m = match(("PathPrefix", "/api"), headers=(("env", "canary"),))
    assert gv.match_text(m) == "PathPrefix /api · header env=canary"
    assert (
        gv.match_text(match(("Exact", "/tea"), method="POST", query=(("v", "2"),)))
        == "Exact /tea · POST · query v=2"
    )
    regex = RouteMatch(
        None, (HeaderMatch("RegularExpression", "x", "^a.*"),), (), None, None, None, None
    )
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
    return Route(
        "HTTPRoute",
        "shop",
        "web",
        (ParentRef("", "Gateway", None, "gw", None, None),),
        ("shop.example.com",),
        rules,
        (),
        "",
        None,
    )


def test_rules_are_listed_around_the_matching_one() -> None:
    lines, more = rv.rule_lines(route(3), 1)
    assert [(r.rule, r.matched) for r in lines] == [(0, False), (1, True), (2, False)]
    assert lines[1].text == "rule 1: PathPrefix /r1" and more == 0
    lines, more = rv.rule_lines(route(40), 30)
    assert 30 in [r.rule for r in lines] and len(lines) == rv.MAX_RULES
    assert more == 40 - rv.MAX_RULES
    lines, _ = rv.rule_lines(route(40), 39)
    assert lines[-1].rule == 39 and lines[-1].matched


def test_a_redirect_rule_says_so() -> None:
    r = route(1)
    redirect = RouteFilter("RequestRedirect", RequestRedirect("https", None, None, None, 301), None)
    r = r._replace(rules=(r.rules[0]._replace(filters=(redirect,)),))
    assert rv.rule_lines(r, 0)[0][0].text.endswith("redirect")


REQ = Request("http", "shop.example.com", 80, "/r1", (("a", "1"),), "GET", ())
ENTRY = EntryRef("gateway", ObjectKey("shop", "gw"), "http", "203.0.113.7", 80)


def test_outcomes_read_as_the_gateway_answers() -> None:
    fwd = Answer(
        ENTRY,
        RouteRef("HTTPRoute", ObjectKey("shop", "web"), 1),
        Outcome.FORWARD,
        None,
        None,
        None,
        (
            BackendShare(ObjectKey("shop", "web"), 80, 3, 0.75, "forward", 2),
            BackendShare(ObjectKey("shop", "old"), 80, 1, 0.25, "reject", 0),
        ),
        (),
    )
    v = rv.answer_view(fwd, REQ, _objects(route(3)), ())
    assert [r.matched for r in v.rules] == [False, True, False]
    assert v.outcome.title == "forward" and v.state == HopState.REJECT  # a share gets 503
    assert v.backends[0].lines[0] == "share 75% (weight 3)"
    assert "503" in v.backends[1].lines[1]
    assert rv.request_line(REQ) == "GET http://shop.example.com:80/r1?a=1"
    lost = fwd._replace(route=None, outcome=Outcome.NOT_FOUND, http_status=404, backends=())
    v = rv.answer_view(lost, REQ, _objects(route(3)), ())
    assert v.outcome.title == "404 not found" and v.rules == ()
    moved = fwd._replace(
        outcome=Outcome.REDIRECT,
        http_status=301,
        backends=(),
        redirect="https://shop.example.com/r1",
    )
    v = rv.answer_view(moved, REQ, _objects(route(3)), ())
    assert v.outcome.lines == ("Location: https://shop.example.com/r1",)
    none = fwd._replace(route=None, outcome=Outcome.NO_LISTENER, backends=())
    assert rv.answer_view(none, REQ, _objects(route(3)), ()).outcome.title == "no listener"


def _objects(*routes: Route):  # type: ignore[no-untyped-def]
    from kpath.cluster.gatewaykinds import EMPTY_GATEWAYS

    return EMPTY_GATEWAYS._replace(routes=routes)


# --- the diagram of a Gateway path, on dumps of real-world manifests ----------------------


def dump_of(name: str, tmp_path, edit=None) -> Analysis:  # type: ignore[no-untyped-def]
    path = REALWORLD / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return analysed_dump(manifest_dump(path, tmp_path / f"{name}.json", edit=edit))


def gateway_indexes(a: Analysis, key: ObjectKey) -> list[int]:
    return [
        i for i, p in enumerate(a.paths) if p.service == key and p.entry.kind == EntryKind.GATEWAY
    ]


def test_a_gateway_diagram_has_the_gateway_s_own_service_then_the_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = dump_of("nginx-gateway-fabric-cafe", tmp_path)
    (i,) = gateway_indexes(a, ObjectKey("default", "coffee"))
    d = vm.diagram(a, i)
    gw = a.paths[i].entry.gateway
    assert gw is not None
    infra = vm.infra_path(a, gw)
    assert infra is not None and a.paths[infra].service == ObjectKey("default", "gateway-nginx")
    assert a.paths[infra].entry.kind == EntryKind.LOAD_BALANCER  # the Gateway's address
    # The first leg is the gateway's own Service as its own path draws it: same hops.
    own = vm.diagram(a, infra)
    assert [b.via.ref for b in d.branches] == [b.via.ref for b in own.branches]
    assert [b.via.state for b in d.branches] == [b.via.state for b in own.branches]
    assert {b.title for b in d.branches} == {"gateway pods"}
    assert d.entry.ref == HopRef(i, HopKind.ENTRY) and d.entry.title == "Gateway default/gateway"
    # The second leg: the rule, then the backend Service straight to its pods.
    (leg,) = d.legs
    assert leg.head.ref == vm.PlaceRef(i, "route") and not leg.head.probed
    assert leg.head.lines[:2] == ("rule 0", "PathPrefix /coffee")
    (backend,) = leg.branches
    assert backend.via.title == "Service default/coffee:80"
    assert backend.via.lines[0] == "share 100% (weight 1)"
    assert [p.ref for p in backend.pods] == [
        HopRef(i, HopKind.POD, None, t.endpoint) for t in a.paths[i].direct.targets
    ]  # type: ignore[union-attr]
    assert vm.drawn_paths([d]) == {i, infra}
    assert vm.infra_paths(a, [i]) == [infra]


def test_shares_of_a_split_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = dump_of("nginx-gateway-fabric-traffic-splitting", tmp_path)
    shares = {}
    for p in a.paths:
        if p.entry.kind == EntryKind.GATEWAY and p.entry.gateway is not None:
            i = a.paths.index(p)
            (backend,) = vm.diagram(a, i).legs[0].branches
            shares[backend.via.title] = backend.via.lines[0]
    assert sorted(shares.values()) == ["share 20% (weight 20)", "share 80% (weight 80)"]


def test_a_backend_without_its_reference_grant_answers_500(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def no_grant(docs):  # type: ignore[no-untyped-def]
        return [d for d in docs if d["kind"] != "ReferenceGrant"]

    a = dump_of("nginx-gateway-fabric-cross-namespace", tmp_path, no_grant)
    (i,) = gateway_indexes(a, ObjectKey("cafe", "coffee"))
    d = vm.diagram(a, i)
    (backend,) = d.legs[0].branches
    assert backend.via.state == HopState.REJECT and backend.pods == ()
    assert any(
        line.startswith("500: ") and "RefNotPermitted" in line for line in backend.via.lines
    ), backend.via.lines
    assert vm.path_state(a.paths[i]) == HopState.REJECT
    rows = {r.key: r for r in vm.service_rows(a)}
    assert "GW" in rows[ObjectKey("cafe", "coffee")].ways.split()
    assert rows[ObjectKey("cafe", "coffee")].state == HopState.REJECT
    # With the grant, the same backend forwards.
    a = dump_of("nginx-gateway-fabric-cross-namespace", tmp_path)
    (i,) = gateway_indexes(a, ObjectKey("cafe", "coffee"))
    (backend,) = vm.diagram(a, i).legs[0].branches
    assert backend.via.state == HopState.FORWARD and backend.pods
