"""An object absent from a namespace that was not read (``-n``), or could not be listed (a
Role in one namespace), is outside what could be read, never "does not exist"."""

from __future__ import annotations

import dataclasses

from kpath.cluster.gatewayapi import SecretRef
from kpath.cluster.snapshot import Snapshot
from kpath.routing.analysis import analyse
from kpath.routing.findings import Finding, Severity
from kpath.routing.gateway.attach import NO_PARENT, UNREAD, attach
from kpath.routing.gateway.backends import (
    BACKEND_NOT_FOUND,
    REF_NOT_PERMITTED,
    certificate_problems,
    rule_backends,
)
from tests.routing.gateway.builders import (
    INFRA,
    WEB,
    backend,
    gateway,
    listener,
    listener_set,
    parent,
    route,
    rule,
    service,
    snapshot,
)

REFUSED = (
    f"Gateways outside namespace {WEB} could not be listed (forbidden: gateways is "
    'forbidden: User "u" cannot list resource "gateways")'
)
#: A route in ``web`` on the shared Gateway in ``infra`` (which is not in the snapshot).
ON_SHARED = route("site", rule(backend("home")), ns=WEB, parents=[parent("shared", ns=INFRA)])


def narrowed(snap: Snapshot, unread: str | None = None) -> Snapshot:
    return dataclasses.replace(snap, namespaces_read=frozenset({WEB}), gateways_unread=unread)


def codes(snap: Snapshot, code: str) -> list[Finding]:
    return [f for f in analyse(snap).findings if f.code == code]


def test_a_parent_gateway_that_could_not_be_listed_is_outside_what_could_be_read() -> None:
    snap = narrowed(snapshot([], [ON_SHARED], objects=service("home", ns=WEB)), REFUSED)
    (rejected,) = attach(snap).rejected
    assert rejected.reason == UNREAD
    (kp416,) = codes(snap, "KP416")
    assert "does not exist" not in kp416.message and "NoMatchingParent" not in kp416.message
    assert f"Gateway {INFRA}/shared is outside what could be read" in kp416.message
    assert REFUSED in kp416.message and kp416.severity == Severity.WARNING


def test_a_parent_gateway_missing_where_gateways_were_listed_does_not_exist() -> None:
    # -n web, and the cluster-wide LIST of Gateways succeeded: absence is proof.
    # Services refused across the cluster (KP204's business) says nothing about Gateways.
    listed = narrowed(snapshot([], [ON_SHARED], objects=service("home", ns=WEB)))
    for snap in (
        listed,
        dataclasses.replace(listed, controllers_unread="Services refused"),
        snapshot([], [ON_SHARED], objects=service("home", ns=WEB)),
    ):
        (rejected,) = attach(snap).rejected
        assert rejected.reason == NO_PARENT
        (kp416,) = codes(snap, "KP416")
        assert f"Gateway {INFRA}/shared does not exist" in kp416.message
        assert kp416.severity == Severity.ERROR


def test_a_listener_set_of_a_namespace_not_read_is_outside_what_was_read() -> None:
    r = route(
        "site",
        rule(backend("home")),
        ns=WEB,
        parents=[parent("extra", ns=INFRA, kind="ListenerSet")],
    )
    snap = narrowed(snapshot([], [r], objects=service("home", ns=WEB)))
    (kp416,) = codes(snap, "KP416")
    assert (
        f"ListenerSet {INFRA}/extra is outside what was read: only namespace {WEB} was read"
    ) in kp416.message
    every = snapshot([], [r], objects=service("home", ns=WEB))
    assert f"ListenerSet {INFRA}/extra does not exist" in codes(every, "KP416")[0].message


def test_a_listener_set_whose_gateway_could_not_be_listed() -> None:
    ls = listener_set("extra", "shared", listener("x", port=8080), ns=WEB, gw_ns=INFRA)
    r = route(
        "site", rule(backend("home")), ns=WEB, parents=[parent("extra", ns=WEB, kind="ListenerSet")]
    )
    snap = narrowed(snapshot([], [r], sets=[ls], objects=service("home", ns=WEB)), REFUSED)
    (kp416,) = codes(snap, "KP416")
    assert f"its Gateway {INFRA}/shared is outside what could be read" in kp416.message
    listed = narrowed(snapshot([], [r], sets=[ls], objects=service("home", ns=WEB)))
    assert "is not attached to any Gateway" in codes(listed, "KP416")[0].message


def test_a_backend_in_a_namespace_not_read_is_unknown_not_refused_or_missing() -> None:
    gw = gateway("same", listener(from_="All"), ns=WEB)
    r = route("cross", rule(backend("store", ns=INFRA)), ns=WEB, parents=[parent("same", ns=WEB)])
    every = snapshot([gw], [r])
    assert [b.problem for b in rule_backends(every, r, 0)] == [REF_NOT_PERMITTED]
    assert codes(every, "KP430")
    snap = narrowed(every)
    (b,) = rule_backends(snap, r, 0)
    assert b.problem is None and b.verdict == "unknown"
    assert f"outside what was read (only namespace {WEB} was read)" in b.detail
    assert not codes(snap, "KP430") and not codes(snap, "KP431")
    # The control: a backend of the namespace read is judged as ever.
    own = route("own", rule(backend("gone")), ns=WEB, parents=[parent("same", ns=WEB)])
    assert [b.problem for b in rule_backends(narrowed(snapshot([gw], [own])), own, 0)] == [
        BACKEND_NOT_FOUND
    ]


def test_a_certificate_in_a_namespace_not_read_is_not_judged() -> None:
    ref = SecretRef("", "Secret", INFRA, "cert")
    assert certificate_problems(snapshot(), WEB, [ref]) == (REF_NOT_PERMITTED,)
    assert certificate_problems(narrowed(snapshot()), WEB, [ref]) == ()


def test_kp415_of_a_gateway_outside_the_namespaces_read_says_the_search_was_partial() -> None:
    gw = gateway("shared", listener(from_="All"))  # in INFRA, no Service for it anywhere
    every = snapshot([gw], [ON_SHARED], objects=service("home", ns=WEB))
    (full,) = codes(every, "KP415")
    assert "among the Services read" not in full.message
    (partial,) = codes(narrowed(every), "KP415")
    assert partial.message.startswith(full.message)
    assert partial.message.endswith(
        f"(among the Services read: only namespace {WEB} was read; "
        "of others only LoadBalancer and NodePort Services)"
    )
    refused = dataclasses.replace(narrowed(every), controllers_unread="Services refused")
    assert codes(refused, "KP415")[0].message.endswith(
        "(among the Services read: Services refused)"
    )
