"""The snapshot: records indexed the way routing asks, endpoints found the way kube-proxy
finds them (slices, else legacy Endpoints, else derived from pods), and cluster text kept
as data all the way through routing and findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpath.cluster.raw import RawCluster
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import FROM_ENDPOINTS, FROM_PODS, FROM_SLICES, build_snapshot
from kpath.errors import InputError
from kpath.routing.analysis import analyse
from kpath.routing.kubeproxy import Verdict
from tests.builders import (
    addresses,
    analysed,
    choice_at,
    endpoint,
    endpoints_legacy,
    endpointslice,
    key,
    node,
    pod,
    service,
    snapshot,
)

HOSTILE_DUMP = Path(__file__).parent.parent / "data" / "hostile" / "hostile.json"


def test_slices_indexed_by_their_service_label() -> None:
    orphan = endpointslice("x", [endpoint("10.9.0.1", "n1")])
    del orphan["metadata"]["labels"]
    s = snapshot(
        node("n1"),
        service("web"),
        endpointslice("web", [endpoint("10.1.0.1", "n1")], suffix="a"),
        endpointslice("web", [endpoint("10.1.0.2", "n1")], suffix="b"),
        orphan,
    )
    assert [sl.name for sl in s.service_slices(key("web"))] == ["web-a", "web-b"]
    assert set(s.slices) == {key("web")}
    assert s.endpoint_origin(key("web")) == FROM_SLICES
    assert s.endpoint_origin(key("nothing")) is None


@pytest.mark.parametrize(
    ("kinds", "objects", "origin"),
    [
        pytest.param(
            ("Node", "Pod", "Service"),
            [pod("a", "n1", "10.1.0.1")],
            FROM_PODS,
            id="derived-without-endpoint-kinds",
        ),
        pytest.param(
            ("Node", "Pod", "Service", "Endpoints"),
            [pod("a", "n1", "10.1.0.1"), endpoints_legacy("web", [("10.1.0.1", "n1")])],
            FROM_ENDPOINTS,
            id="legacy",
        ),
        pytest.param(
            ("Node", "Pod", "Service", "EndpointSlice"),
            [pod("a", "n1", "10.1.0.1")],
            None,
            id="slices-listed-but-none-for-it",
        ),
        pytest.param(("Node", "Service"), [], None, id="no-pods-nothing-derived"),
    ],
)
def test_where_endpoints_come_from(
    kinds: tuple[str, ...], objects: list[dict[str, object]], origin: str | None
) -> None:
    s = snapshot(node("n1"), service("web"), *objects, kinds=kinds)
    assert s.endpoint_origin(key("web")) == origin


def test_derived_slice_skips_selectorless_and_externalname_services() -> None:
    s = snapshot(
        node("n1"),
        pod("a", "n1", "10.1.0.1"),
        {**service("manual"), "spec": {"ports": [{"port": 80}]}},
        service("dns", "ExternalName", externalName="db.example.test"),
        kinds=("Node", "Pod", "Service"),
    )
    assert s.slices == {}


def test_derived_slice_carries_node_zone_and_pod() -> None:
    s = snapshot(
        node("n1", "z7"),
        service("web"),
        pod("a", "n1", "10.1.0.1"),
        pod("other", "n1", "10.1.0.2", labels={"app": "api"}),
        kinds=("Node", "Pod", "Service"),
    )
    (sl,) = s.service_slices(key("web"))
    (ep,) = sl.endpoints
    assert (ep.address, ep.node, ep.zone, ep.target) == (
        "10.1.0.1",
        "n1",
        "z7",
        ObjectKey("shop", "a"),
    )
    assert [(p.name, p.port) for p in sl.ports] == [(None, None)]


def test_node_buckets_by_zone_and_readiness_sorted() -> None:
    s = snapshot(
        node("b", "z1"),
        node("a", "z1"),
        node("c", "z1", ready=False),
        node("d", "z2"),
        node("e", None),
    )
    assert dict(s.node_buckets) == {
        ("z1", True): ("a", "b"),
        ("z1", False): ("c",),
        ("z2", True): ("d",),
        (None, True): ("e",),
    }


def test_selected_pods_match_every_pair_in_the_namespace() -> None:
    s = snapshot(
        pod("a", "n1", "10.1.0.1", labels={"app": "web", "tier": "front"}),
        pod("b", "n1", "10.1.0.2", labels={"app": "web"}),
        pod("c", "n1", "10.1.0.3", labels={"app": "web", "tier": "front"}, ns="x"),
    )
    assert [p.name for p in s.selected_pods("shop", {"app": "web", "tier": "front"})] == ["a"]
    assert [p.name for p in s.selected_pods("shop", {"app": "web"})] == ["a", "b"]
    assert s.selected_pods("nope", {"app": "web"}) == []


def test_source_facts_pass_through() -> None:
    raw = RawCluster(
        origin="dump.json", not_visible={"Ingress": "HTTP 403"}, warnings=["one warning"]
    )
    raw.saw("Node")
    raw.add("ConfigMap", {"kind": "ConfigMap"})
    s = build_snapshot(raw)
    assert (s.origin, dict(s.not_visible), dict(s.skipped), s.warnings, s.kinds_seen) == (
        "dump.json",
        {"Ingress": "HTTP 403"},
        {"ConfigMap": 1},
        ("one warning",),
        frozenset({"Node"}),
    )


def test_bad_object_is_an_input_error() -> None:
    expected = r"^test: Service shop/web: spec.ports\[0\].port is missing$"
    with pytest.raises(InputError, match=expected):
        snapshot({**service("web"), "spec": {"ports": [{"targetPort": 80}]}})


def test_bad_object_error_names_the_file_it_came_from() -> None:
    raw = RawCluster(origin="dump: a.json, b.json")
    raw.add("Service", service("ok"), "a.json")
    raw.add("Service", {**service("web"), "spec": {"type": ["NodePort"]}}, "b.json")
    with pytest.raises(InputError) as err:
        build_snapshot(raw)
    assert str(err.value) == "b.json: Service shop/web: spec.type is a list, not a string"


# ---------------------------------------------------------------- hostile text end to end

HOSTILE_NODE = "node-\x1b[31mred"
HOSTILE_SVC = "[bold red]pwned[/]"


def test_hostile_dump_routes_with_names_unchanged() -> None:
    doc = json.loads(HOSTILE_DUMP.read_text())
    raw = RawCluster(origin=str(HOSTILE_DUMP))
    for k in ("Node", "Pod", "Service"):
        raw.saw(k)
    for item in doc["items"]:
        raw.add(item["kind"], item)
    a = analyse(build_snapshot(raw))
    svc = ObjectKey("evil", HOSTILE_SVC)
    assert set(a.snapshot.nodes) == {HOSTILE_NODE}
    assert svc in a.snapshot.services
    (t,) = a.routes[svc][0].targets
    assert (t.address, t.node, str(t.pod)) == ("10.1.0.1", HOSTILE_NODE, "evil/web-1")
    c = choice_at(a, HOSTILE_SVC, HOSTILE_NODE, ns="evil")
    assert (c.verdict, addresses(c)) == (Verdict.FORWARD, ["10.1.0.1:8080"])


@pytest.mark.parametrize("text", ["[red]x[/]", "\x1b[31mred\x1b[0m"])
def test_hostile_names_reach_findings_as_plain_text(text: str) -> None:
    a = analysed(
        node(text, "z1"),
        node("n2", "z1"),
        service(text, "NodePort", etp="Local", selector={"app": text}),
        pod(text, text, "10.1.0.1", labels={"app": text}),
        endpointslice(text, [endpoint("10.1.0.1", text, text)]),
    )
    (f,) = [f for f in a.findings if f.code == "KP101"]
    assert f.service == ObjectKey("shop", text) and f.nodes == ("n2",)
    assert f.message.startswith(f"shop/{text} port 80/TCP:")
    (t,) = a.routes[ObjectKey("shop", text)][0].targets
    assert (t.node, str(t.pod)) == (text, f"shop/{text}")


def test_pending_pods_without_an_address_are_not_derived_endpoints() -> None:
    # The EndpointSlice controller skips a pod without an IP (ShouldPodBeInEndpoints); a
    # running pod whose IP a dump redacted is still an endpoint, address unknown.
    pending = pod("p", None, "", phase="Pending", ready=False)
    s = snapshot(
        node("n1"),
        service("web"),
        pending,
        pod("r", "n1", "***HIDDEN***"),
        kinds=("Node", "Pod", "Service"),
    )
    (sl,) = s.service_slices(key("web"))
    assert [(e.target, e.address) for e in sl.endpoints] == [(ObjectKey("shop", "r"), None)]
