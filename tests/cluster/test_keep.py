"""What a watch event means for what a load keeps (`kpath.cluster.keep`): beyond a
namespace only controllers, their slices and the Gateways routes name; with ``-l`` only the
selected Services' slices and Ingresses. Checked by filing the keepers' events into the
load with `apply_events` and comparing with what the load's own rules keep."""

from __future__ import annotations

from typing import Any

from kpath.cluster.events import Change, Replace, apply_events, object_key
from kpath.cluster.keep import (
    Beyond,
    BeyondStream,
    Everything,
    Routes,
    Selected,
    SelectedServices,
    Selection,
    owner_of,
)
from kpath.cluster.raw import RawCluster

Obj = dict[str, Any]


def svc(ns: str, name: str, type_: str = "ClusterIP") -> Obj:
    return {"kind": "Service", "metadata": {"namespace": ns, "name": name}, "spec": {"type": type_}}


def eps(ns: str, service: str, n: int = 1) -> Obj:
    labels = {"kubernetes.io/service-name": service}
    return {
        "kind": "EndpointSlice",
        "metadata": {"namespace": ns, "name": f"{service}-{n}", "labels": labels},
    }


def route(ns: str, name: str, *parents: tuple[str, str]) -> Obj:
    refs = [{"name": n, "namespace": p} for p, n in parents]
    return {
        "kind": "HTTPRoute",
        "metadata": {"namespace": ns, "name": name},
        "spec": {"parentRefs": refs},
    }


def gateway(ns: str, name: str) -> Obj:
    return {"kind": "Gateway", "metadata": {"namespace": ns, "name": name}}


def loaded() -> RawCluster:
    """A load of namespace shop: its own objects, and an ingress controller beyond it."""
    raw = RawCluster()
    for kind, obj in (
        ("Service", svc("shop", "web")),
        ("EndpointSlice", eps("shop", "web")),
        ("Service", svc("ingress", "controller", "LoadBalancer")),
        ("EndpointSlice", eps("ingress", "controller")),
        ("HTTPRoute", route("shop", "r", ("infra", "shared"))),
        ("Gateway", gateway("infra", "shared")),
    ):
        raw.add(kind, obj)
    return raw


def keys(raw: RawCluster, kind: str) -> set[tuple[str, str]]:
    return {object_key(o) for o in raw.objects.get(kind, ())}


def test_a_controller_that_stops_being_one_leaves_with_its_slices() -> None:
    raw = loaded()
    beyond = Beyond("shop", raw)
    events = BeyondStream("Service", beyond).changes("MODIFIED", svc("ingress", "controller"))
    apply_events(raw, events)
    assert keys(raw, "Service") == {("shop", "web")}
    assert keys(raw, "EndpointSlice") == {("shop", "web-1")}


def test_a_service_that_becomes_a_controller_arrives_and_then_its_slices() -> None:
    raw = loaded()
    beyond = Beyond("shop", raw)
    services, slices = BeyondStream("Service", beyond), BeyondStream("EndpointSlice", beyond)
    assert slices.changes("ADDED", eps("envoy", "gw")) == []  # not a controller's (yet)
    (added,) = services.changes("MODIFIED", svc("envoy", "gw", "NodePort"))
    assert isinstance(added, Change) and added.type == "ADDED"  # new to the load
    apply_events(raw, [added, *slices.changes("MODIFIED", eps("envoy", "gw"))])
    assert ("envoy", "gw") in keys(raw, "Service") and ("envoy", "gw-1") in keys(
        raw, "EndpointSlice"
    )


def test_beyond_streams_leave_the_namespace_and_other_services_alone() -> None:
    beyond = Beyond("shop", loaded())
    services = BeyondStream("Service", beyond)
    assert services.changes("MODIFIED", svc("shop", "web", "LoadBalancer")) == []
    assert services.changes("ADDED", svc("tools", "admin")) == []
    assert services.changes("DELETED", svc("tools", "admin")) == []
    assert BeyondStream("EndpointSlice", beyond).changes("ADDED", eps("tools", "admin")) == []


def test_a_relist_beyond_the_namespace_is_the_difference() -> None:
    raw = loaded()
    beyond = Beyond("shop", raw)
    relisted = [svc("shop", "web"), svc("envoy", "gw", "LoadBalancer"), svc("tools", "x")]
    events = BeyondStream("Service", beyond).relisted(relisted)
    assert not any(isinstance(e, Replace) for e in events)  # the namespace's own stay
    apply_events(raw, events)
    assert keys(raw, "Service") == {("shop", "web"), ("envoy", "gw")}
    assert keys(raw, "EndpointSlice") == {("shop", "web-1")}  # the old controller's went


def test_gateways_beyond_follow_the_routes_that_name_them() -> None:
    raw = loaded()
    beyond = Beyond("shop", raw)
    gateways, routes = BeyondStream("Gateway", beyond), Routes("HTTPRoute", "shop", beyond)
    assert gateways.changes("MODIFIED", gateway("infra", "other")) == []  # no route names it
    (changed,) = gateways.changes("MODIFIED", gateway("infra", "shared"))
    assert isinstance(changed, Change) and changed.type == "MODIFIED"
    # The route moves to another parent: the Gateway no route names leaves the load.
    events = routes.changes("MODIFIED", route("shop", "r", ("infra", "other")))
    apply_events(raw, events)
    assert keys(raw, "Gateway") == set()
    assert gateways.changes("ADDED", gateway("infra", "other"))  # named now


def test_with_a_selector_slices_follow_the_selected_services() -> None:
    raw = RawCluster()
    raw.add("Service", svc("shop", "web"))
    raw.add("EndpointSlice", eps("shop", "web"))
    selection = Selection({("shop", "web")})
    services = SelectedServices("shop", selection)
    slices = Selected(
        "EndpointSlice", "shop", lambda o: selection.has(owner_of(o)), {("shop", "web-1")}
    )
    assert slices.changes("ADDED", eps("shop", "api")) == []
    apply_events(raw, services.changes("ADDED", svc("shop", "api")))
    apply_events(raw, slices.changes("ADDED", eps("shop", "api")))
    assert keys(raw, "EndpointSlice") == {("shop", "web-1"), ("shop", "api-1")}
    apply_events(raw, services.changes("DELETED", svc("shop", "web")))
    apply_events(raw, slices.changes("MODIFIED", eps("shop", "web")))  # no longer selected
    assert keys(raw, "EndpointSlice") == {("shop", "api-1")}
    (replace,) = slices.relisted([eps("shop", "api"), eps("shop", "web", 2)])
    assert isinstance(replace, Replace) and [object_key(o) for o in replace.objects] == [
        ("shop", "api-1")
    ]


def test_a_scope_kept_whole_passes_events_and_relists_as_a_replace() -> None:
    keep = Everything("Pod", "shop")
    pod = {"metadata": {"namespace": "shop", "name": "p"}}
    assert keep.changes("DELETED", pod) == [Change("Pod", "DELETED", pod)]
    assert keep.relisted([pod]) == [Replace("Pod", (pod,), "shop")]
