"""ListenerSets (GEP-1713) carrying traffic: routes on the Gateway reach its own listeners,
routes on a ListenerSet reach the set's, as listenerset-http-routing asks."""

from __future__ import annotations

import pytest

from kpath.routing.gateway.attach import attach
from kpath.routing.gateway.listeners import ListenerRef
from kpath.routing.gateway.resolve import gateway_answers
from tests.routing.gateway.builders import (
    INFRA,
    WEB,
    backend,
    gateway,
    key,
    listener,
    listener_set,
    match,
    namespace,
    outcome,
    parent,
    request,
    route,
    rule,
    selector,
    snapshot,
)

V1, V2, V3 = "infra-backend-v1", "infra-backend-v2", "infra-backend-v3"
GW = "gateway-with-listener-sets-http-routing"
LS1, LS2 = "listener-set-http-routing-1", "listener-set-http-routing-2"


def _l(name: str):  # type: ignore[no-untyped-def]
    return listener(name, hostname=f"{name}.com", from_="All")


SNAP = snapshot(
    [gateway(GW, _l("gateway-listener-1"), _l("gateway-listener-2"), allowed_listeners="All")],
    [
        route(
            "attaches-to-all-listeners",
            rule(backend(V1), matches=[match("/route")]),
            parents=[parent(GW), parent(LS1, kind="ListenerSet"), parent(LS2, kind="ListenerSet")],
        ),
        route(
            "gateway-route",
            rule(backend(V2), matches=[match("/gateway-route")]),
            parents=[parent(GW)],
        ),
        route(
            "gateway-section-route",
            rule(backend(V3), matches=[match("/gateway-section-route")]),
            parents=[parent(GW, section="gateway-listener-1")],
        ),
        route(
            f"{LS1}-route",
            rule(backend(V2), matches=[match(f"/{LS1}-route")]),
            parents=[parent(LS1, kind="ListenerSet")],
        ),
        route(
            f"{LS1}-section-route",
            rule(backend(V3), matches=[match(f"/{LS1}-section-route")]),
            parents=[parent(LS1, kind="ListenerSet", section=f"{LS1}-listener-1")],
        ),
    ],
    sets=[
        listener_set(LS1, GW, _l(f"{LS1}-listener-1"), _l(f"{LS1}-listener-2")),
        listener_set(LS2, GW, _l(f"{LS2}-listener-1"), _l(f"{LS2}-listener-2")),
    ],
)

G_HOSTS = ["gateway-listener-1.com", "gateway-listener-2.com"]
LS1_HOSTS = [f"{LS1}-listener-1.com", f"{LS1}-listener-2.com"]
LS2_HOSTS = [f"{LS2}-listener-1.com", f"{LS2}-listener-2.com"]
SERVED = {  # path -> (backend, the hosts it is served on)
    "/route": (V1, G_HOSTS + LS1_HOSTS + LS2_HOSTS),
    "/gateway-route": (V2, G_HOSTS),
    "/gateway-section-route": (V3, G_HOSTS[:1]),
    f"/{LS1}-route": (V2, LS1_HOSTS),
    f"/{LS1}-section-route": (V3, LS1_HOSTS[:1]),
}


@pytest.mark.parametrize("host", G_HOSTS + LS1_HOSTS + LS2_HOSTS)
@pytest.mark.parametrize("path_", list(SERVED))
def test_listener_set_http_routing(host: str, path_: str) -> None:
    # ListenerSetHTTPRouting
    be, hosts = SERVED[path_]
    assert outcome(SNAP, request(host, path_), GW) == (be if host in hosts else "404")


def test_answer_names_the_listener_set_listener() -> None:
    (a,) = gateway_answers(SNAP, request(LS1_HOSTS[1], "/route"))
    assert a.entry.listener == f"{INFRA}/{LS1}/{LS1}-listener-2"
    assert a.entry.name == key(GW)


def test_listener_set_from_a_selected_namespace() -> None:
    # ListenerSetAllowedNamespaceSelector: only sets in namespaces the selector picks
    gw = gateway(
        "gw", allowed_listeners="Selector", listeners_selector=selector({"listeners": "yes"})
    )
    sets = [
        listener_set("picked", "gw", listener("a", 8080), ns=WEB, gw_ns=INFRA),
        listener_set("not-picked", "gw", listener("b", 8081)),
    ]
    snap = snapshot([gw], [], sets=sets, namespaces=[namespace(WEB, listeners="yes")])
    refs = [lr.ref for lr in attach(snap).listeners]
    assert refs == [
        ListenerRef(key("gw"), None, "http"),
        ListenerRef(key("gw"), key("picked", WEB), "a"),
    ]
