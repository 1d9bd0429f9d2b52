"""backendRefs: Services by port, weights and shares, ReferenceGrants, invalid backends
(500 for their share), backends without ready endpoints (503), rules with no backend."""

from __future__ import annotations

import pytest

from kpath.cluster.gatewayapi import GrantFrom, GrantTo, ReferenceGrant, SecretRef
from kpath.cluster.gatewaykinds import GROUP
from kpath.routing.gateway.attach import attach
from kpath.routing.gateway.backends import (
    BACKEND_NOT_FOUND,
    INVALID_KIND,
    REF_NOT_PERMITTED,
    certificate_problems,
    route_problems,
    rule_backends,
)
from kpath.routing.gateway.findings import table_findings
from kpath.routing.gateway.resolve import gateway_answers
from kpath.routing.requests import Outcome
from tests import builders as b
from tests.routing.gateway.builders import (
    APP,
    INFRA,
    WEB,
    backend,
    gateway,
    grant,
    key,
    listener,
    match,
    namespace,
    outcome,
    parent,
    path,
    request,
    route,
    rule,
    selector,
    service,
    snapshot,
)

V1, V2, V3 = "infra-backend-v1", "infra-backend-v2", "infra-backend-v3"
SAME = gateway("same-namespace")
WEB_BACKEND = service("web-backend", ns=WEB)
CROSS = route("reference-grant", rule(backend("web-backend", ns=WEB)))


def answer(snap, req=None):  # type: ignore[no-untyped-def]
    answers = gateway_answers(snap, req or request("x"))
    assert len(answers) == 1
    return answers[0]


def test_reference_grant_permits_cross_namespace_backend() -> None:
    # HTTPRouteReferenceGrant: with the grant 200 from web-backend; once deleted, 500
    g = grant(WEB, [("HTTPRoute", INFRA)], [("Service", "web-backend")])
    assert (
        outcome(snapshot([SAME], [CROSS], [g], objects=WEB_BACKEND), request("x")) == "web-backend"
    )
    assert outcome(snapshot([SAME], [CROSS], objects=WEB_BACKEND), request("x")) == "500"


def _rg(
    name: str,
    ns: str = WEB,
    from_group: str = GROUP,
    from_kind: str = "HTTPRoute",
    from_ns: str = INFRA,
    to_group: str = "",
    to_kind: str = "Service",
    to_name: str | None = "web-backend",
) -> ReferenceGrant:
    return ReferenceGrant(
        ns,
        name,
        (GrantFrom(from_group, from_kind, from_ns),),
        (GrantTo(to_group, to_kind, to_name),),
    )


INVALID_GRANTS = [
    _rg("reference-grant-wrong-namespace", ns=INFRA),
    _rg("reference-grant-wrong-from-group", from_group="not-the-group-youre-looking-for"),
    _rg("reference-grant-wrong-from-kind", from_kind="Gateway"),
    _rg("reference-grant-wrong-from-namespace", from_ns="not-the-namespace-youre-looking-for"),
    _rg("reference-grant-wrong-to-group", to_group="not-the-group-youre-looking-for"),
    _rg("reference-grant-wrong-to-kind", to_kind="Secret"),
    _rg(
        "reference-grant-wrong-to-name",
        to_kind="Secret",
        to_name="not-the-service-youre-looking-for",
    ),
    _rg("reference-grant-other-service", to_name="other"),
]


@pytest.mark.parametrize("g", INVALID_GRANTS, ids=lambda g: g.name)
def test_invalid_reference_grants(g: ReferenceGrant) -> None:
    # HTTPRouteInvalidReferenceGrant: each grant misses by one field -> RefNotPermitted, 500
    snap = snapshot([SAME], [CROSS], [g], objects=WEB_BACKEND)
    a = answer(snap)
    assert (a.outcome, a.http_status) == (Outcome.BACKEND_ERROR, 500)
    assert [b.problem for b in rule_backends(snap, CROSS, 0)] == [REF_NOT_PERMITTED]
    assert [f.code for f in a.findings] == ["KP430"]


def test_grant_for_every_service_in_the_namespace() -> None:
    # ReferenceGrant "to" without a name: every Service of that namespace
    g = grant(WEB, [("HTTPRoute", INFRA)], [("Service", None)])
    assert (
        outcome(snapshot([SAME], [CROSS], [g], objects=WEB_BACKEND), request("x")) == "web-backend"
    )


def test_grant_names_the_route_kind() -> None:
    # A grant for HTTPRoutes does not cover a GRPCRoute from the same namespace
    g = grant(WEB, [("HTTPRoute", INFRA)], [("Service", None)])
    grpc = route("g", rule(backend("web-backend", ns=WEB)), kind="GRPCRoute")
    snap = snapshot([SAME], [grpc], [g], objects=WEB_BACKEND)
    assert [b.problem for b in rule_backends(snap, grpc, 0)] == [REF_NOT_PERMITTED]


def test_partially_invalid_via_invalid_reference_grant() -> None:
    # HTTPRoutePartiallyInvalidViaInvalidReferenceGrant: /v2 500, / app-backend-v1
    g = grant(APP, [("HTTPRoute", INFRA)], [("Service", "app-backend-v1")])
    r = route(
        "invalid-reference-grant",
        rule(backend("app-backend-v2", ns=APP), matches=[match("/v2")]),
        rule(backend("app-backend-v1", ns=APP)),
    )
    objs = service("app-backend-v1", ns=APP) + service("app-backend-v2", ns=APP)
    snap = snapshot([SAME], [r], [g], objects=objs)
    assert outcome(snap, request("x", "/v2")) == "500"
    assert outcome(snap, request("x", "/")) == "app-backend-v1"


def test_invalid_cross_namespace_backend_ref() -> None:
    # HTTPRouteInvalidCrossNamespaceBackendRef: no grant at all -> 500
    assert outcome(snapshot([SAME], [CROSS], objects=WEB_BACKEND), request("x")) == "500"


def test_cross_namespace_route_with_its_own_backend() -> None:
    # HTTPRouteCrossNamespace: a route in the web namespace on the infra Gateway (Selector
    # listener), its backend in its own namespace: no grant needed
    gw = gateway(
        "backend-namespaces",
        listener(from_="Selector", sel=selector({"gateway-conformance": "backend"})),
    )
    r = route(
        "cross-namespace",
        rule(backend("web-backend")),
        ns=WEB,
        parents=[parent("backend-namespaces", INFRA)],
    )
    snap = snapshot(
        [gw],
        [r],
        objects=WEB_BACKEND,
        namespaces=[namespace(WEB, **{"gateway-conformance": "backend"})],
    )
    assert outcome(snap, request("x")) == "web-backend"


def test_unknown_kind_and_nonexistent_backend() -> None:
    # HTTPRouteInvalidBackendRefUnknownKind (InvalidKind, 500) and
    # HTTPRouteInvalidNonExistentBackendRef (BackendNotFound, 500)
    unknown = route(
        "invalid-backend-ref-unknown-kind",
        rule(backend(V1, kind="NonExistent", group="unknownkind.example.com")),
    )
    missing = route("invalid-nonexistent-backend-ref", rule(backend("nonexistent", ns=INFRA)))
    for r, problem, code in (
        (unknown, INVALID_KIND, "KP432"),
        (missing, BACKEND_NOT_FOUND, "KP431"),
    ):
        snap = snapshot([SAME], [r])
        assert outcome(snap, request("x", "/v2")) == "500"
        assert [b.problem for b in rule_backends(snap, r, 0)] == [problem]
        assert [f.code for f in table_findings(snap, attach(snap))] == [code]


def test_backend_port_must_exist_and_be_given() -> None:
    # BackendRef.port is required for a Service; a port the Service lacks is not found
    snap = snapshot([SAME], [])
    r = route("r", rule(backend(V1, port=None), backend(V2, port=9999), backend(V3)))
    got = [(b.service.name, b.problem) for b in rule_backends(snap, r, 0)]
    assert got == [(V1, BACKEND_NOT_FOUND), (V2, BACKEND_NOT_FOUND), (V3, None)]


def test_weights_give_shares_and_weight_zero_sends_nothing() -> None:
    # HTTPRouteWeight: 70/30/0
    r = route(
        "weighted-backends",
        rule(backend(V1, weight=70), backend(V2, weight=30), backend(V3, weight=0)),
    )
    a = answer(snapshot([SAME], [r]))
    assert a.outcome == Outcome.FORWARD
    assert [
        (b.name.name, b.weight, round(b.share, 2), b.verdict, b.endpoints) for b in a.backends
    ] == [(V1, 70, 0.7, "forward", 1), (V2, 30, 0.3, "forward", 1)]


def test_invalid_backend_answers_500_for_its_share_only() -> None:
    # HTTPRouteRule.BackendRefs docs: two equal backends, one invalid: 50% answer 500
    r = route("r", rule(backend(V1), backend("nonexistent")))
    a = answer(snapshot([SAME], [r]))
    assert a.outcome == Outcome.FORWARD
    assert [(b.name.name, b.share, b.verdict) for b in a.backends] == [
        (V1, 0.5, "forward"),
        ("nonexistent", 0.5, "invalid"),
    ]
    assert [f.code for f in a.findings] == ["KP431"]
    assert "50%" in a.findings[0].message


def test_all_weights_zero_is_a_backend_error() -> None:
    r = route("r", rule(backend(V1, weight=0)))
    snap = snapshot([SAME], [r])
    a = answer(snap)
    assert (a.outcome, a.http_status, a.backends) == (Outcome.BACKEND_ERROR, 500, ())
    assert [f.code for f in a.findings] == ["KP435"]


def test_omitted_backend_refs_answer_500() -> None:
    # HTTPRouteOmittedBackendRefs
    r = route(
        "r",
        rule(matches=[match(path("/omitted-no-forward", "Exact"))]),
        rule(matches=[match(path("/empty-no-forward", "Exact"))]),
        rule(backend(V1)),
    )
    r = r._replace(
        rules=(r.rules[0]._replace(backends=()), r.rules[1]._replace(backends=()), r.rules[2])
    )
    snap = snapshot([SAME], [r])
    assert outcome(snap, request("x", "/forward")) == V1
    assert outcome(snap, request("x", "/omitted-no-forward")) == "500"
    assert outcome(snap, request("x", "/empty-no-forward")) == "500"
    assert [f.code for f in table_findings(snap, attach(snap))] == ["KP434", "KP434"]


def test_backend_without_ready_endpoints_is_rejected() -> None:
    # backendRefs docs: a Service with no ready endpoints SHOULD answer 503
    objs = service("down", ready=0, not_ready=2)
    r = route("r", rule(backend("down")))
    a = answer(snapshot([SAME], [r], objects=objs))
    assert a.outcome == Outcome.FORWARD  # the gateway forwards; the backend cannot answer
    assert [(b.verdict, b.endpoints) for b in a.backends] == [("reject", 0)]
    assert [f.code for f in a.findings] == ["KP433"]


def test_endpoints_come_straight_from_pods() -> None:
    # The gateway sends to pod IPs: every ready endpoint counts, wherever it runs
    objs = service("three", ready=3, not_ready=1)
    r = route("r", rule(backend("three")))
    snap = snapshot([SAME], [r], objects=objs)
    (b,) = rule_backends(snap, r, 0)
    assert b.choice is not None and b.endpoints == 3
    assert {t.port for t in b.choice.targets} == {3000}
    assert "straight to pods" in b.detail


def test_rule_backends_resolves_namespace_and_key() -> None:
    snap = snapshot([SAME], [])
    r = route("r", rule(backend(V1)))
    (b,) = rule_backends(snap, r, 0)
    assert (b.service, b.problem, b.share) == (key(V1), None, 1.0)


def test_route_problems_name_each_resolved_refs_reason_once() -> None:
    r = route(
        "r",
        rule(backend("nonexistent"), backend("web-backend", ns=WEB)),
        rule(backend("also-missing"), backend(V1, kind="ConfigMap")),
    )
    snap = snapshot([SAME], [r], objects=WEB_BACKEND)
    assert route_problems(snap, r) == (BACKEND_NOT_FOUND, REF_NOT_PERMITTED, INVALID_KIND)
    assert route_problems(snap, route("ok", rule(backend(V1)))) == ()


def test_certificate_refs_across_namespaces_need_a_grant() -> None:
    # GatewaySecretMissingReferenceGrant / GatewaySecretReferenceGrantSpecific /
    # GatewaySecretReferenceGrantAllInNamespace / GatewaySecretInvalidReferenceGrant
    ref = SecretRef("", "Secret", WEB, "certificate")
    none = snapshot([SAME], [])
    assert certificate_problems(none, INFRA, [ref]) == (REF_NOT_PERMITTED,)
    for to_name in ("certificate", None):
        g = ReferenceGrant(
            WEB, "g", (GrantFrom(GROUP, "Gateway", INFRA),), (GrantTo("", "Secret", to_name),)
        )
        assert certificate_problems(snapshot([SAME], [], [g]), INFRA, [ref]) == ()
    wrong = ReferenceGrant(
        WEB,
        "g",
        (GrantFrom(GROUP, "Gateway", INFRA),),
        (GrantTo("", "Secret", "not-the-certificate"),),
    )
    assert certificate_problems(snapshot([SAME], [], [wrong]), INFRA, [ref]) == (REF_NOT_PERMITTED,)
    same_ns = SecretRef("", "Secret", None, "certificate")
    assert certificate_problems(none, INFRA, [same_ns]) == ()
    assert certificate_problems(none, INFRA, [SecretRef("", "ConfigMap", None, "c")]) == (
        "InvalidCertificateRef",
    )


def test_service_types() -> None:
    # HTTPRouteServiceTypes: a Service with hand-made EndpointSlices (no selector), a
    # headless one, and a headless one with hand-made slices all reach their endpoints
    def svc(name: str, headless: bool, selector: bool):  # type: ignore[no-untyped-def]
        s = b.service(
            name,
            ns=INFRA,
            selector={"app": name} if selector else {},
            ports=[{"name": "first-port", "port": 8080, "targetPort": 3000, "protocol": "TCP"}],
        )
        if not selector:
            del s["spec"]["selector"]
        if headless:
            s["spec"]["clusterIP"] = "None"
        eps = [b.endpoint("10.9.0.1", "n1", ns=INFRA), b.endpoint("10.9.0.2", "n1", ns=INFRA)]
        return [s, b.endpointslice(name, eps, ns=INFRA, port=3000, port_name="first-port")]

    objs = (
        svc("manual-endpointslices", False, False)
        + svc("headless", True, True)
        + svc("headless-manual-endpointslices", True, False)
    )
    r = route(
        "service-types",
        *[
            rule(backend(n), matches=[match(path(f"/{n}", "Exact"))])
            for n in ("manual-endpointslices", "headless", "headless-manual-endpointslices")
        ],
    )
    snap = snapshot([SAME], [r], objects=objs)
    for n in ("manual-endpointslices", "headless", "headless-manual-endpointslices"):
        a = answer(snap, request("x", f"/{n}"))
        assert [(s.name.name, s.verdict, s.endpoints) for s in a.backends] == [(n, "forward", 2)]


@pytest.mark.parametrize("kind", ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"])
def test_each_route_kind_needs_its_own_grant(kind: str) -> None:
    # TLSRouteInvalidReferenceGrant, TCPRouteReferenceGrant, UDPRouteReferenceGrant and the
    # HTTPRoute ones: a grant names the kind it lets refer across namespaces
    r = route("r", rule(backend("web-backend", ns=WEB)), kind=kind)
    for granted in ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"):
        g = grant(WEB, [(granted, INFRA)], [("Service", "web-backend")])
        snap = snapshot([SAME], [r], [g], objects=WEB_BACKEND)
        problem = rule_backends(snap, r, 0)[0].problem
        want = None if granted == kind else REF_NOT_PERMITTED
        if kind == "UDPRoute" and want is None:
            want = BACKEND_NOT_FOUND  # permitted, but web-backend serves TCP only
        assert problem == want, granted
