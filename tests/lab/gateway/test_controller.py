"""The lab gateway controller's status: what a real controller writes for classes, Gateways,
listeners and route parents (conformance/tests/httproute-invalid-*.go, gateway-*.go)."""

from __future__ import annotations

try:
    from tests.lab.gateway.world import APP, CONTROLLER, INFRA, WEB, cond, world
except ImportError:
    from gatewayworld import APP, CONTROLLER, INFRA, WEB, cond, world  # type: ignore[no-redef]


def route(name: str, spec: str, ns: str = INFRA) -> str:
    return (
        f"kind: HTTPRoute\nmetadata: {{name: {name}, namespace: {ns}, generation: 3}}\n"
        f"spec: {spec}\n"
    )


def parents(state, name: str, ns: str = INFRA) -> list[dict]:
    status = state.status("HTTPRoute", ns, name)
    assert status is not None
    return status["parents"]


def test_class_gateway_and_listener_status() -> None:
    state = world(
        route(
            "r",
            "{parentRefs: [{name: same-namespace}], rules: [{backendRefs: "
            "[{name: infra-backend-v1, port: 8080}]}]}",
        )
    )
    assert cond(state.status("GatewayClass", None, "lab"), "Accepted") == ("True", "Accepted")
    gw = state.status("Gateway", INFRA, "same-namespace")
    assert gw["addresses"] == [{"type": "IPAddress", "value": "127.0.0.10"}]
    assert cond(gw, "Accepted") == ("True", "Accepted")
    assert cond(gw, "Programmed") == ("True", "Programmed")
    (listener,) = gw["listeners"]
    assert listener["name"] == "http" and listener["attachedRoutes"] == 1
    assert [k["kind"] for k in listener["supportedKinds"]] == ["HTTPRoute", "GRPCRoute"]
    for ctype, want in (
        ("Accepted", "True"),
        ("Programmed", "True"),
        ("ResolvedRefs", "True"),
        ("Conflicted", "False"),
    ):
        assert cond(listener, ctype)[0] == want
    (p,) = parents(state, "r")
    assert p["controllerName"] == CONTROLLER and p["parentRef"] == {"name": "same-namespace"}
    assert cond(p, "Accepted") == ("True", "Accepted")
    assert cond(p, "ResolvedRefs") == ("True", "ResolvedRefs")
    assert all(c["observedGeneration"] == 3 for c in p["conditions"])


def test_a_gateway_without_an_address_is_not_programmed() -> None:
    from kpath.lab.gateway.controller import reconcile

    try:
        from tests.lab.gateway.world import objects
    except ImportError:
        from gatewayworld import objects  # type: ignore[no-redef]
    state = reconcile(objects(), {})
    assert cond(state.status("Gateway", INFRA, "same-namespace"), "Programmed") == (
        "False",
        "AddressNotAssigned",
    )


def test_other_controllers_classes_get_no_status() -> None:
    from kpath.lab.gateway.controller import reconcile

    try:
        from tests.lab.gateway.world import objects
    except ImportError:
        from gatewayworld import objects  # type: ignore[no-redef]
    state = reconcile(objects(), {}, controllers=["someone.else/controller"])
    assert state.status("GatewayClass", "", "lab") is None
    assert state.status("Gateway", INFRA, "same-namespace") is None


def test_unresolved_backend_refs_have_their_reasons() -> None:
    state = world(
        route(
            "not-permitted",
            "{parentRefs: [{name: same-namespace}], rules: [{backendRefs: "
            f"[{{name: web-backend, namespace: {WEB}, port: 8080}}]}}]}}",
        ),
        route(
            "not-found",
            "{parentRefs: [{name: same-namespace}], rules: [{backendRefs: "
            "[{name: nonexistent, port: 8080}]}]}",
        ),
        route(
            "bad-kind",
            "{parentRefs: [{name: same-namespace}], rules: [{backendRefs: "
            "[{group: unknownkind.example.com, kind: NonExistent, name: x, "
            "port: 8080}]}]}",
        ),
    )
    for name, reason in (
        ("not-permitted", "RefNotPermitted"),
        ("not-found", "BackendNotFound"),
        ("bad-kind", "InvalidKind"),
    ):
        (p,) = parents(state, name)
        assert cond(p, "ResolvedRefs") == ("False", reason)
        assert cond(p, "Accepted") == ("True", "Accepted")


def test_a_reference_grant_resolves_the_cross_namespace_backend() -> None:
    grant = f"""kind: ReferenceGrant
metadata: {{name: reference-grant, namespace: {WEB}}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: {INFRA}}}]
  to: [{{group: "", kind: Service, name: web-backend}}]
"""
    state = world(
        grant,
        route(
            "reference-grant",
            "{parentRefs: [{name: same-namespace}], "
            f"rules: [{{backendRefs: [{{name: web-backend, namespace: {WEB},"
            " port: 8080}]}]}",
        ),
    )
    (p,) = parents(state, "reference-grant")
    assert cond(p, "ResolvedRefs") == ("True", "ResolvedRefs")


def test_parent_refs_that_match_no_listener_or_are_not_allowed() -> None:
    state = world(
        route(
            "bad-section",
            "{parentRefs: [{name: same-namespace, sectionName: nope}], "
            "rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]}",
        ),
        route(
            "bad-port",
            "{parentRefs: [{name: same-namespace, port: 81}], "
            "rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]}",
        ),
        route(
            "other-ns",
            f"{{parentRefs: [{{name: same-namespace, namespace: {INFRA}}}], "
            "rules: [{backendRefs: [{name: web-backend, port: 8080}]}]}",
            ns=WEB,
        ),
        route(
            "selected",
            f"{{parentRefs: [{{name: backend-namespaces, namespace: {INFRA}}}], "
            "rules: [{backendRefs: [{name: app-backend-v1, port: 8080}]}]}",
            ns=APP,
        ),
    )
    assert cond(parents(state, "bad-section")[0], "Accepted") == ("False", "NoMatchingParent")
    assert cond(parents(state, "bad-port")[0], "Accepted") == ("False", "NoMatchingParent")
    assert cond(parents(state, "other-ns", WEB)[0], "Accepted") == (
        "False",
        "NotAllowedByListeners",
    )
    assert cond(parents(state, "selected", APP)[0], "Accepted") == ("True", "Accepted")
    listeners = state.status("Gateway", INFRA, "same-namespace")["listeners"]
    assert listeners[0]["attachedRoutes"] == 0


def gateway(name: str, listeners: str) -> str:
    return (
        f"kind: Gateway\nmetadata: {{name: {name}, namespace: {INFRA}}}\n"
        f"spec: {{gatewayClassName: lab, listeners: {listeners}}}\n"
    )


def test_invalid_route_kinds_and_unsupported_protocols() -> None:
    """conformance: gateway-invalid-route-kind, gateway-invalid-listeners-unsupported-protocol"""
    state = world(
        gateway(
            "only-invalid-kind",
            "[{name: http, port: 80, protocol: HTTP, allowedRoutes: "
            "{namespaces: {from: All}, kinds: [{kind: InvalidRoute}]}}]",
        ),
        gateway(
            "mixed-kinds",
            "[{name: http, port: 80, protocol: HTTP, allowedRoutes: "
            "{kinds: [{kind: InvalidRoute}, {kind: HTTPRoute}]}}]",
        ),
        gateway("only-unsupported", "[{name: invalid, port: 1111, protocol: INVALID}]"),
        gateway(
            "mixed-protocols",
            "[{name: http, port: 80, protocol: HTTP}, "
            "{name: invalid, port: 1111, protocol: INVALID}]",
        ),
        route(
            "on-mixed",
            "{parentRefs: [{name: mixed-kinds}], rules: [{backendRefs: "
            "[{name: infra-backend-v1, port: 8080}]}]}",
        ),
    )
    only = state.status("Gateway", INFRA, "only-invalid-kind")["listeners"][0]
    assert only["supportedKinds"] == [] and only["attachedRoutes"] == 0
    assert cond(only, "ResolvedRefs") == ("False", "InvalidRouteKinds")
    mixed = state.status("Gateway", INFRA, "mixed-kinds")["listeners"][0]
    assert [k["kind"] for k in mixed["supportedKinds"]] == ["HTTPRoute"]
    assert cond(mixed, "ResolvedRefs") == ("False", "InvalidRouteKinds")
    assert mixed["attachedRoutes"] == 1  # the known kind is still served
    bad = state.status("Gateway", INFRA, "only-unsupported")
    assert cond(bad, "Accepted") == ("False", "ListenersNotValid")
    assert cond(bad["listeners"][0], "Accepted") == ("False", "UnsupportedProtocol")
    assert bad["listeners"][0]["supportedKinds"] == []
    half = state.status("Gateway", INFRA, "mixed-protocols")
    assert cond(half, "Accepted") == ("True", "ListenersNotValid")
    assert [cond(x, "Accepted")[0] for x in half["listeners"]] == ["True", "False"]


def test_a_cross_namespace_certificate_needs_a_reference_grant() -> None:
    """conformance: gateway-secret-missing-reference-grant / -reference-grant-specific"""
    ref = f"{{group: '', kind: Secret, name: certificate, namespace: {WEB}}}"
    https = gateway(
        "tls", f"[{{name: https, port: 443, protocol: HTTPS, tls: {{certificateRefs: [{ref}]}}}}]"
    )
    listener = world(https).status("Gateway", INFRA, "tls")["listeners"][0]
    assert cond(listener, "ResolvedRefs") == ("False", "RefNotPermitted")
    assert cond(listener, "Programmed")[0] == "False"
    grant = f"""kind: ReferenceGrant
metadata: {{name: g, namespace: {WEB}}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: Gateway, namespace: {INFRA}}}]
  to: [{{group: "", kind: Secret, name: certificate}}]
"""
    listener = world(https, grant).status("Gateway", INFRA, "tls")["listeners"][0]
    assert cond(listener, "ResolvedRefs") == ("True", "ResolvedRefs")


def test_rules_the_spec_rejects_leave_the_route_unaccepted() -> None:
    both = (
        "{matches: [{path: {type: PathPrefix, value: /a}}], filters: ["
        "{type: RequestRedirect, requestRedirect: {hostname: x.org}}, "
        "{type: URLRewrite, urlRewrite: {hostname: y.org}}]}"
    )
    exact_prefix = (
        "{matches: [{path: {type: Exact, value: /b}}], filters: [{type: URLRewrite, "
        "urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /c}}}], "
        "backendRefs: [{name: infra-backend-v1, port: 8080}]}"
    )
    state = world(
        route("both", f"{{parentRefs: [{{name: same-namespace}}], rules: [{both}]}}"),
        route("exact", f"{{parentRefs: [{{name: same-namespace}}], rules: [{exact_prefix}]}}"),
    )
    assert cond(parents(state, "both")[0], "Accepted") == ("False", "IncompatibleFilters")
    assert cond(parents(state, "exact")[0], "Accepted") == ("False", "UnsupportedValue")
    assert state.status("Gateway", INFRA, "same-namespace")["listeners"][0]["attachedRoutes"] == 0


def test_a_listener_counts_a_route_once_however_many_parent_refs_reach_it() -> None:
    state = world(
        route(
            "twice",
            "{parentRefs: [{name: same-namespace}, {name: same-namespace, "
            "sectionName: http}], rules: [{backendRefs: "
            "[{name: infra-backend-v1, port: 8080}]}]}",
        )
    )
    assert len(parents(state, "twice")) == 2
    assert state.status("Gateway", INFRA, "same-namespace")["listeners"][0]["attachedRoutes"] == 1
