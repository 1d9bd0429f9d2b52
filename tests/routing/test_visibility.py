"""What each kind kpath could not read is said to hide."""

from __future__ import annotations

import pytest

from kpath.routing.visibility import PLURALS, hidden, not_visible_lines, not_visible_short

FORBIDDEN = 'forbidden: nodes is forbidden: User "u" cannot list resource "nodes"'


def test_a_line_per_kind_names_the_plural_what_it_hides_and_why() -> None:
    lines = not_visible_lines(
        {"Node": FORBIDDEN, "IngressClass": "forbidden: x"}, {"Pod", "Service"}
    )
    assert lines == [
        "ingressclasses not visible: Ingress controllers found by address or class name only (the "
        "class's controller and the default class are unknown) (forbidden: x)",
        "nodes not visible: NodePort hops shown by node name only and not probed (no node "
        'addresses, zones or readiness; nodes running none of the pods are "other nodes") '
        f"({FORBIDDEN})",
    ]


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        ({"Endpoints", "Pod"}, "endpoints from legacy Endpoints"),
        ({"Pod"}, "endpoints derived from pods"),
        (set(), "endpoints unknown"),
    ],
)
def test_missing_slices_say_where_endpoints_came_from_instead(
    seen: set[str], expected: str
) -> None:
    assert hidden("EndpointSlice", seen).short == expected


def test_every_kind_kpath_reads_has_its_own_phrase() -> None:
    generic = hidden("Widget", set())
    assert generic.long == "paths that need it are incomplete"
    assert all(hidden(kind, set()) != generic for kind in PLURALS)


def test_the_header_summary_is_short() -> None:
    text = not_visible_short({"Node": FORBIDDEN, "IngressClass": "x"}, set())
    assert text == (
        "ingressclasses (Ingress controllers by class name only), "
        "nodes (NodePort hops by node name only)"
    )


def test_policy_kinds_say_what_not_reading_them_hides() -> None:
    assert hidden("NetworkPolicy", ()).long.startswith("NetworkPolicy verdicts cannot be computed")
    (line,) = not_visible_lines({"CiliumNetworkPolicy": "forbidden: no"}, ())
    assert line.startswith("ciliumnetworkpolicies.cilium.io not visible: CiliumNetworkPolicy ")
    assert line.endswith("may change the answer unseen (forbidden: no)")
    assert "NetworkPolicy namespaceSelectors" in hidden("Namespace", ()).long
