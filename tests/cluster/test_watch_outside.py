"""Which events of the cluster-scope streams a namespace-scoped watch reports (pure)."""

from __future__ import annotations

from typing import Any

from kpath.cluster import live
from kpath.cluster.keep import CONTROLLER_TYPES
from kpath.cluster.watch import (
    _Controllers,
    decode_event,
    outside_matters,
)


def svc(ns: str, name: str, type_: str = "ClusterIP") -> dict[str, Any]:
    return {"metadata": {"namespace": ns, "name": name}, "spec": {"type": type_}}


def eps(ns: str, service: str) -> dict[str, Any]:
    return {
        "metadata": {
            "namespace": ns,
            "name": f"{service}-abc",
            "labels": {"kubernetes.io/service-name": service},
        }
    }


CONTROLLER = ("ingress-nginx", "ingress-nginx-controller")


def test_the_types_are_those_the_load_keeps() -> None:
    assert set(live.CONTROLLER_TYPES) == CONTROLLER_TYPES


def test_services_outside_matter_when_of_a_controller_type_or_once_one() -> None:
    known = {CONTROLLER}
    assert outside_matters("Service", svc(*CONTROLLER, "LoadBalancer"), "shop", known)
    assert outside_matters("Service", svc("gw", "envoy", "NodePort"), "shop", set())
    assert not outside_matters("Service", svc("tools", "admin"), "shop", known)
    # A controller turned ClusterIP (or deleted) changes what the load reads.
    assert outside_matters("Service", svc(*CONTROLLER), "shop", known)
    # The scope's own namespace is the namespaced stream's.
    assert not outside_matters("Service", svc("shop", "storefront", "LoadBalancer"), "shop", known)


def test_slices_outside_matter_only_for_controller_services() -> None:
    known = {CONTROLLER}
    assert outside_matters("EndpointSlice", eps(*CONTROLLER), "shop", known)
    assert not outside_matters("EndpointSlice", eps("ingress-nginx", "admission"), "shop", known)
    assert not outside_matters(
        "EndpointSlice", eps("shop", "ingress-nginx-controller"), "shop", known
    )
    # Before the Services were listed nothing is known: every slice outside counts.
    assert outside_matters("EndpointSlice", eps("tools", "admin"), "shop", None)


def test_gateways_outside_matter_and_the_scopes_own_do_not() -> None:
    gw = {"metadata": {"namespace": "infra-ns", "name": "shared"}}
    assert outside_matters("Gateway", gw, "site-ns", None)
    assert not outside_matters("Gateway", gw, "infra-ns", None)


def test_the_controller_set_follows_service_events() -> None:
    c = _Controllers()
    assert c.known() is None
    c.heard("ADDED", svc("gw", "envoy", "LoadBalancer"))  # before the list: not kept
    assert c.known() is None
    c.seed([svc(*CONTROLLER, "LoadBalancer"), svc("tools", "admin")])
    assert c.known() == {CONTROLLER}
    c.heard("ADDED", svc("gw", "envoy", "NodePort"))
    c.heard("MODIFIED", svc(*CONTROLLER))  # no longer a controller type
    assert c.known() == {("gw", "envoy")}
    c.heard("DELETED", svc("gw", "envoy", "NodePort"))
    assert c.known() == set()


def test_decode_event_hands_on_the_object() -> None:
    line = b'{"type":"MODIFIED","object":{"metadata":{"resourceVersion":"7"},"spec":{}}}'
    assert decode_event(line) == (
        "MODIFIED",
        "7",
        None,
        {"metadata": {"resourceVersion": "7"}, "spec": {}},
    )
    assert decode_event(b"not json") == ("", None, None, {})
