"""`kpath route`'s text: each rule says its traffic policy once."""

from __future__ import annotations

import io

from rich.console import Console

from kpath.export.text import group, route_blocks, rule_words
from kpath.routing.route import route
from tests.builders import endpoint, endpointslice, node, pod, service, snapshot


def test_rule_words_name_the_policy_once() -> None:
    assert (
        rule_words("Local", "Local policy: no local endpoint on n2: dropped (black hole)")
        == "Local policy: no local endpoint on n2: dropped (black hole)"
    )
    assert (
        rule_words("Cluster", "Cluster policy, topology hints for zone z1")
        == "Cluster policy, topology hints for zone z1"
    )
    # A rule that does not start with its policy (an unknown endpoint set) gets it.
    assert rule_words("Local", "endpoints unknown") == "Local policy: endpoints unknown"


def test_route_text_does_not_repeat_the_policy() -> None:
    snap = snapshot(
        node("n1"),
        node("n2"),
        pod("web-0", "n1", "10.1.0.1"),
        service("web", "NodePort", etp="Local"),
        endpointslice("web", [endpoint("10.1.0.1", "n1", "web-0")]),
    )
    buf = io.StringIO()
    # As `kpath route` prints on a terminal (cli._show): the blocks as one renderable.
    blocks = route_blocks(route(snap, "shop/web", "n2"))
    Console(file=buf, width=200, color_system=None).print(group(blocks))
    out = buf.getvalue()
    assert "Local policy: no local endpoint on n2" in out
    assert "Cluster policy: any ready endpoint" in out
    assert "policy: Local policy" not in out and "policy: Cluster policy" not in out
