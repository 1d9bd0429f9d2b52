"""Gateway API findings: spec readings, status, and where the two disagree."""

from __future__ import annotations

from kpath.cluster.gatewayapi import ListenerStatus, ParentRef
from kpath.cluster.records import ObjectKey
from kpath.routing.findings import RULES
from kpath.routing.gateway.infra import InfraRef
from kpath.routing.gateway.status import (
    ListenerConflict,
    ParentReading,
    attached_count_findings,
    conflict_findings,
    gateway_findings,
    route_findings,
)
from kpath.routing.kubeproxy import Choice, Verdict
from kpath.routing.paths import Entry, EntryKind, GatewayHop, Path
from tests.routing.gateway import gwrecords as g

GW = ObjectKey("default", "gw")


def codes(findings) -> list[str]:
    return sorted(f.code for f in findings)


def gw_findings(*items, infra=None, kinds=frozenset({"GatewayClass", "Gateway"}), lb=None):
    return list(gateway_findings(g.objects(*items), infra or {}, kinds, lb or {}))


def test_every_code_used_here_is_registered():
    for code in ("KP410", "KP415", "KP424", "KP428", "KP429"):
        assert code in RULES


def test_missing_class_only_when_classes_were_read():
    gw = g.gateway(class_name="nope", addresses=("192.0.2.1",))
    found = gw_findings(gw)
    assert codes(found) == ["KP410"]
    assert "GatewayClass 'nope' does not exist" in found[0].message
    assert found[0].gateway == GW
    # Manifests where the installer creates the class carry none: nothing to say.
    assert gw_findings(gw, kinds=frozenset({"Gateway"})) == []


def test_class_not_accepted_names_its_gateways_and_quotes_the_reason():
    cls = g.gw_class(
        conditions=(g.cond("Accepted", "False", "InvalidParameters", "parametersRef not found"),)
    )
    found = gw_findings(cls, g.gateway(addresses=("192.0.2.1",)))
    assert codes(found) == ["KP411"]
    assert "InvalidParameters" in found[0].message
    assert "'parametersRef not found'" in found[0].message
    assert "default/gw" in found[0].message


def test_gateway_not_programmed_not_accepted_and_stale_status():
    gw = g.gateway(
        addresses=("192.0.2.1",),
        generation=3,
        conditions=(
            g.cond("Accepted", "False", "UnsupportedAddress", gen=2),
            g.cond("Programmed", "False", "AddressNotAssigned", "no LB", gen=2),
        ),
    )
    found = gw_findings(g.gw_class(), gw)
    assert codes(found) == ["KP412", "KP413", "KP427"]
    assert any("not Programmed (AddressNotAssigned: 'no LB')" in f.message for f in found)


def test_no_address_names_the_infrastructure_service_address():
    svc = ObjectKey("envoy-gateway-system", "envoy-default-gw-1")
    infra = {GW: InfraRef(svc, "Envoy Gateway", f"Service {svc} (labels)")}
    found = gw_findings(g.gw_class(), g.gateway(), infra=infra, lb={svc: ("203.0.113.9",)})
    assert codes(found) == ["KP414"]
    assert "envoy-gateway-system/envoy-default-gw-1 has 203.0.113.9" in found[0].message
    pending = gw_findings(g.gw_class(), g.gateway(), infra=infra)
    assert "has no address either" in pending[0].message


def test_infra_not_found_is_info_with_the_note():
    infra = {GW: InfraRef(None, None, "no infrastructure Service recognised for X")}
    found = gw_findings(g.gw_class(), g.gateway(addresses=("192.0.2.1",)), infra=infra)
    assert codes(found) == ["KP415"]
    assert found[0].severity.value == "info"


def test_listener_status_conflicted_and_unresolved_certificate():
    ls = ListenerStatus(
        "https",
        0,
        (),
        (
            g.cond("Conflicted", "True", "HostnameConflict"),
            g.cond("ResolvedRefs", "False", "InvalidCertificateRef", "secret missing"),
        ),
    )
    gw = g.gateway(addresses=("192.0.2.1",), listener_status=(ls,))
    found = gw_findings(g.gw_class(), gw)
    # kpath reads neither the conflict nor the certificate problem in this spec: the
    # controller's words, and that they differ, for each.
    assert codes(found) == ["KP424", "KP425", "KP428", "KP428"]
    assert all("listener https" in f.message for f in found)
    # Where kpath reads the same from spec, its own findings (conflict_findings,
    # listener_problem_findings) say it: nothing more here.
    agreed = list(
        gateway_findings(
            g.objects(g.gw_class(), gw),
            {},
            frozenset(),
            {},
            frozenset({(GW, "https")}),
            {(GW, "https"): ("InvalidCertificateRef",)},
        )
    )
    assert agreed == []
    not_conflicted = ListenerStatus("https", 0, (), (g.cond("Conflicted", "False", "NoConflicts"),))
    differs = list(
        gateway_findings(
            g.objects(
                g.gw_class(), g.gateway(addresses=("192.0.2.1",), listener_status=(not_conflicted,))
            ),
            {},
            frozenset(),
            {},
            frozenset({(GW, "https")}),
        )
    )
    assert codes(differs) == ["KP428"]


def test_conflicts_from_spec():
    found = list(
        conflict_findings(
            [ListenerConflict(GW, ("a", "b"), "ProtocolConflict", "port 80 is both HTTP and TCP")]
        )
    )
    assert codes(found) == ["KP424"]
    assert "listeners a, b: ProtocolConflict" in found[0].message


def reading(route, listeners=(), reason=None, detail="", p=None):
    p = p or route.parents[0]
    return ParentReading(route, p, GW, tuple(listeners), reason, detail)


def test_not_attached_by_each_reason_without_status():
    for reason, code in (
        ("NoMatchingParent", "KP416"),
        ("NotAllowedByListeners", "KP417"),
        ("NoMatchingListenerHostname", "KP418"),
    ):
        r = g.route("web", g.rule(g.backend("web")))
        found = list(route_findings([reading(r, (), reason, "why")], [], g.objects(r)))
        assert codes(found) == [code]
        assert found[0].route == "HTTPRoute default/web"
        assert found[0].gateway == GW


def test_status_that_agrees_is_said_in_the_same_finding():
    p = g.parent()
    r = g.route(
        "web",
        g.rule(g.backend("web")),
        status=(g.parent_status(p, g.cond("Accepted", "False", "NotAllowedByListeners", "ns")),),
    )
    found = list(
        route_findings([reading(r, (), "NotAllowedByListeners", "Same only")], [], g.objects(r))
    )
    assert codes(found) == ["KP417"]
    assert "status agrees: NotAllowedByListeners" in found[0].message


def test_spec_attaches_but_the_controller_did_not_accept():
    p = g.parent()
    r = g.route(
        "web",
        g.rule(g.backend("web")),
        status=(g.parent_status(p, g.cond("Accepted", "False", "NoMatchingListenerHostname")),),
    )
    found = list(route_findings([reading(r, ("http",))], [], g.objects(r)))
    assert codes(found) == ["KP419", "KP428"]
    assert "NoMatchingListenerHostname" in found[0].message
    assert "attached to listener(s) http" in found[1].message


def test_spec_does_not_attach_but_status_says_accepted():
    p = g.parent()
    r = g.route(
        "web",
        g.rule(g.backend("web")),
        status=(g.parent_status(p, g.cond("Accepted", "True", "Accepted")),),
    )
    found = list(
        route_findings([reading(r, (), "NoMatchingParent", "no listener x")], [], g.objects(r))
    )
    assert codes(found) == ["KP416", "KP428"]


def gateway_path(route, rule: int, backend, problem: str | None) -> Path:
    hop = GatewayHop(
        GW,
        "http",
        "HTTP",
        (),
        (),
        80,
        route.kind,
        route.key,
        rule,
        (),
        backend,
        1.0,
        problem,
        None,
        "",
    )
    entry = Entry(EntryKind.GATEWAY, (), 80, gateway=hop)
    return Path(
        ObjectKey("cafe", "coffee"),
        None,
        entry,
        None,
        (),
        Choice(Verdict.REJECT, (), problem or ""),
        "gateway",
    )


def test_backend_problem_from_spec_with_agreeing_status_says_nothing_more():
    # The problem itself is gateway.findings' KP430; the matching status adds nothing.
    p = g.parent()
    be = g.backend("coffee", ns="cafe")
    r = g.route(
        "coffee",
        g.rule(be),
        status=(
            g.parent_status(
                p, g.cond("Accepted", "True"), g.cond("ResolvedRefs", "False", "RefNotPermitted")
            ),
        ),
    )
    path = gateway_path(r, 0, be, "RefNotPermitted: no ReferenceGrant in cafe")
    assert list(route_findings([reading(r, ("http",))], [path, path], g.objects(r))) == []


def test_status_unresolved_that_spec_resolves_and_the_reverse():
    p = g.parent()
    r = g.route(
        "web",
        g.rule(g.backend("web")),
        status=(
            g.parent_status(
                p,
                g.cond("Accepted", "True"),
                g.cond("ResolvedRefs", "False", "BackendNotFound", "web"),
            ),
        ),
    )
    found = list(route_findings([reading(r, ("http",))], [], g.objects(r)))
    assert codes(found) == ["KP423", "KP428"]
    assert "BackendNotFound: 'web'" in found[0].message
    ok = g.route(
        "web",
        g.rule(g.backend("web")),
        status=(g.parent_status(p, g.cond("Accepted", "True"), g.cond("ResolvedRefs", "True")),),
    )
    path = gateway_path(
        ok, 0, g.backend("web"), "BackendNotFound: Service default/web does not exist"
    )
    found = list(route_findings([reading(ok, ("http",))], [path], g.objects(ok)))
    assert codes(found) == ["KP428"]
    assert "kpath finds BackendNotFound" in found[0].message


def test_attached_routes_count_differs():
    ls = ListenerStatus("http", 2, (), ())
    gw = g.gateway(listener_status=(ls,))
    r = g.route("web", g.rule(g.backend("web")))
    found = list(attached_count_findings([reading(r, ("http",))], g.objects(gw, r)))
    assert codes(found) == ["KP429"]
    assert "status says 2 attached route(s), kpath attaches 1" in found[0].message
    same = ListenerStatus("http", 1, (), ())
    assert (
        list(
            attached_count_findings(
                [reading(r, ("http",))], g.objects(g.gateway(listener_status=(same,)), r)
            )
        )
        == []
    )


def test_status_of_a_listenerset_parent_is_matched_by_the_listenerset_not_its_gateway():
    ls_parent = ParentRef(g.GROUP, "ListenerSet", None, "extra", None, None)
    r = g.route(
        "web",
        g.rule(g.backend("web")),
        parents=(ls_parent,),
        status=(
            g.parent_status(ls_parent, g.cond("Accepted", "False", "NotAllowedByListeners")),
            # a status for the Gateway itself is about another parentRef
            g.parent_status(g.parent(), g.cond("Accepted", "True", "Accepted")),
        ),
    )
    found = list(
        route_findings(
            [ParentReading(r, ls_parent, GW, ("default/extra/http",), None, "")], [], g.objects(r)
        )
    )
    assert codes(found) == ["KP419", "KP428"]
    assert "ListenerSet default/extra" in found[0].message


def test_default_pending_status_means_no_controller_has_seen_it():
    pending = g.cond("Accepted", "Unknown", "Pending", "Waiting for controller")
    cls = g.gw_class(conditions=(pending,))
    gw = g.gateway(
        addresses=("192.0.2.1",),
        conditions=(pending, g.cond("Programmed", "Unknown", "Pending", "Waiting for controller")),
    )
    found = gw_findings(cls, gw)
    assert codes(found) == ["KP411", "KP412", "KP413"]
    assert (
        "no controller 'gateway.envoyproxy.io/gatewayclass-controller' has claimed it"
        in found[0].message
    )
    assert "not Programmed yet (Pending: 'Waiting for controller')" in found[2].message


def test_only_the_gateways_own_controller_status_counts():
    p = g.parent()
    r = g.route(
        "web",
        g.rule(g.backend("web")),
        status=(
            g.parent_status(
                p,
                g.cond("Accepted", "False", "NotAllowedByListeners"),
                controller="example.com/another-implementation",
            ),
            g.parent_status(
                p,
                g.cond("Accepted", "True", "Accepted"),
                controller="gateway.envoyproxy.io/gatewayclass-controller",
            ),
        ),
    )
    objs = g.objects(g.gw_class(), g.gateway(), r)
    assert list(route_findings([reading(r, ("http",))], [], objs)) == []
    # Without the class, kpath cannot tell whose status is whose: the first one counts.
    assert codes(route_findings([reading(r, ("http",))], [], g.objects(g.gateway(), r))) == [
        "KP419",
        "KP428",
    ]
