"""`LiveAnalysis` against a full rebuild: after any sequence of events over a generated
cluster, the incremental analysis is the one `build_snapshot` + `analyse` make of the same
raw objects (the whole `kpath paths -o json` document, findings included), every
service whose part of that document moved is named in `Changed.services`, and those it
says only moved between node groups (`Changed.regrouped`) did only that."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpath.cluster.events import Change, Health, Replace, apply_events
from kpath.cluster.raw import RawCluster
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import build_snapshot
from kpath.export.jsonout import paths_json
from kpath.routing.analysis import Analysis, analyse
from kpath.routing.incremental import Changed, LiveAnalysis
from kpath.routing.paths import Path
from kpath.tui.view_model import list_key
from tests import builders as b
from tests.routing.policy.pathcluster import netpol

Obj = dict[str, Any]
NODES = ("n1", "n2", "n3", "n4")
NAMESPACES = ("shop", "web")
APPS = ("web", "api", "db", "webb")


def build(raw: RawCluster) -> Analysis:
    return analyse(build_snapshot(raw))


def document(analysis: Analysis) -> dict[str, Any]:
    return json.loads(json.dumps(paths_json(analysis, namespaces=None), sort_keys=True))


def parts(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The document's cluster-wide part, and each service's (its paths and findings)."""
    per: dict[str, list[Any]] = {}
    for p in doc["paths"]:
        per.setdefault(p["service"], []).append(("path", p))
    cluster = []
    for f in doc["findings"]:
        if f["service"] is None:
            cluster.append(f)
        else:
            per.setdefault(f["service"], []).append(("finding", f))
    head = {k: v for k, v in doc.items() if k not in ("paths", "findings")}
    head["cluster_findings"] = cluster
    return head, per


def check(live: LiveAnalysis, before: dict[str, Any], changed: Changed) -> dict[str, Any]:
    """The incremental analysis equals a rebuild, and ``changed`` covers what moved."""
    rebuilt = build_snapshot(copy.deepcopy(live.raw))
    snap = live.analysis.snapshot
    for name in ("nodes", "pods", "services", "slices", "node_buckets", "pods_by_namespace"):
        assert dict(getattr(snap, name)) == dict(getattr(rebuilt, name)), name
    assert snap.ingresses == rebuilt.ingresses and snap.gateways == rebuilt.gateways
    full = document(analyse(rebuilt))
    assert document(live.analysis) == full
    head0, per0 = parts(before)
    head1, per1 = parts(full)
    moved = {k for k in per0.keys() | per1.keys() if per0.get(k) != per1.get(k)}
    named = {str(k) for k in changed.services}
    assert moved <= named, f"moved but not named: {sorted(moved - named)}"
    if head0 != head1:  # counts and cluster findings follow from the services named
        assert not changed.nothing
    return full


# A generated cluster ------------------------------------------------------------------


def _pod(draw: Callable[..., Any], name: str, ns: str | None = None) -> Obj:
    return b.pod(
        name,
        draw(st.sampled_from((*NODES, None))),
        f"10.1.{draw(st.integers(0, 3))}.{draw(st.integers(1, 250))}",
        labels={"app": draw(st.sampled_from(APPS))},
        ns=ns or draw(st.sampled_from(NAMESPACES)),
        ready=draw(st.booleans()),
        ports=[{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        phase=draw(st.sampled_from(("Running", "Running", "Pending", "Succeeded"))),
        terminating=draw(st.booleans()) and draw(st.booleans()),
    )


def _service(draw: Callable[..., Any], name: str, ns: str | None = None) -> Obj:
    type_ = draw(st.sampled_from(("ClusterIP", "NodePort", "LoadBalancer")))
    target: int | str = draw(st.sampled_from((8080, "http")))
    return b.service(
        name,
        type_,
        ns=ns or draw(st.sampled_from(NAMESPACES)),
        selector=draw(st.sampled_from([{"app": a} for a in APPS]))
        if draw(st.integers(0, 5))
        else None,
        ports=[
            {
                "name": "http",
                "port": 80,
                "targetPort": target,
                "protocol": "TCP",
                **({"nodePort": 30080} if type_ != "ClusterIP" else {}),
            }
        ],
        etp=draw(st.sampled_from(("Cluster", "Local"))) if type_ != "ClusterIP" else None,
        itp=draw(st.sampled_from((None, "Local"))),
        # The Ingresses publish 198.51.100.7: a Service holding it is their controller.
        lb_ip=draw(st.sampled_from(("192.0.2.10", "198.51.100.7")))
        if type_ == "LoadBalancer" and draw(st.booleans())
        else None,
        labels={"app.kubernetes.io/name": "ingress-nginx"}
        if draw(st.integers(0, 4)) == 0
        else None,
    )


def _slice(draw: Callable[..., Any], service: Obj, pods: list[Obj], suffix: str) -> Obj:
    ns = service["metadata"]["namespace"]
    chosen = draw(st.lists(st.sampled_from(pods), max_size=4, unique_by=id)) if pods else []
    eps = [
        b.endpoint(
            p["status"]["podIP"],
            p["spec"]["nodeName"],
            p["metadata"]["name"],
            ready=draw(st.booleans()),
            zone=draw(st.sampled_from((None, "z1", "z2"))),
            hint_zones=draw(st.sampled_from((None, ["z1"], ["z2"]))),
            hint_nodes=draw(st.sampled_from((None, None, [draw(st.sampled_from(NODES))]))),
            ns=ns,
        )
        for p in chosen
        if p["metadata"]["namespace"] == ns
    ]
    return b.endpointslice(
        service["metadata"]["name"], eps, ns=ns, port=8080, port_name="http", suffix=suffix
    )


def _ingress(draw: Callable[..., Any], name: str, services: list[Obj]) -> Obj:
    # (after events that deleted every Service, an Ingress names one that is gone)
    target = draw(st.sampled_from(services)) if services else b.service("s0")
    ns = target["metadata"]["namespace"]
    return b.ingress(
        name,
        [
            b.rule(
                draw(st.sampled_from(("a.example", None))),
                (
                    "/",
                    "Prefix",
                    b.backend(target["metadata"]["name"], draw(st.sampled_from((80, 81, "http")))),
                ),
            )
        ],
        ns=ns,
        class_name=draw(st.sampled_from(("nginx", "missing", None))),
        lb_ip="198.51.100.7",
    )


def _gateway_objects() -> list[Obj]:
    return list(gateway_shop().objects["Gateway"])


def _route(draw: Callable[..., Any], services: list[Obj]) -> Obj:
    names = [x["metadata"]["name"] for x in services if x["metadata"]["namespace"] == "shop"]
    return http_route(draw(st.sampled_from([*names, "nowhere"])))


def _node(draw: Callable[..., Any], name: str) -> Obj:
    return b.node(
        name,
        zone=draw(st.sampled_from(("z1", "z2"))),
        ready=draw(st.booleans()),
        # The Ingresses publish 198.51.100.7: a node holding it makes theirs a NodePort
        # controller (found by node address).
        ip=draw(st.sampled_from((None, None, "198.51.100.7"))),
    )


@st.composite
def clusters(draw: Callable[..., Any], slices: bool = True) -> RawCluster:
    raw = RawCluster(origin="generated")
    for kind in ("Node", "Pod", "Service", *(("EndpointSlice",) if slices else ())):
        raw.saw(kind)
    for name in NODES[: draw(st.integers(1, 4))]:
        raw.add("Node", _node(draw, name))
    pods = [_pod(draw, f"p{i}") for i in range(draw(st.integers(0, 8)))]
    for p in pods:
        raw.add("Pod", p)
    services = [_service(draw, f"s{i}") for i in range(draw(st.integers(1, 5)))]
    for s in services:
        raw.add("Service", s)
        if slices and draw(st.integers(0, 4)):
            raw.add("EndpointSlice", _slice(draw, s, pods, "a"))
    if draw(st.integers(0, 3)) == 0:  # a Gateway in shop, its route to one of the services
        for obj in gateway_shop().objects.get("GatewayClass", []) + _gateway_objects():
            raw.saw(obj["kind"])
            raw.add(obj["kind"], obj)
        raw.saw("HTTPRoute")
        raw.add("HTTPRoute", _route(draw, services))
    if draw(st.booleans()):
        raw.saw("Ingress")
        raw.saw("IngressClass")
        raw.add("IngressClass", b.ingress_class("nginx", "k8s.io/ingress-nginx"))
        for i in range(draw(st.integers(1, 2))):
            raw.add("Ingress", _ingress(draw, f"i{i}", services))
    return raw


def _named(raw: RawCluster, kind: str) -> list[Obj]:
    return list(raw.objects.get(kind, ()))


@st.composite
def event(draw: Callable[..., Any], raw: RawCluster) -> Change:
    """One plausible watch event against the cluster as it is now."""
    choices = ["pod", "pod", "pod-new", "pod-gone", "service", "node"]
    if "EndpointSlice" in raw.objects:
        choices += ["slice", "slice", "slice-new", "slice-gone"]
    if "Ingress" in raw.objects:
        choices += ["ingress"]
    if "HTTPRoute" in raw.objects:
        choices += ["route"]
    what = draw(st.sampled_from(choices))
    pods, services = _named(raw, "Pod"), _named(raw, "Service")
    if what == "pod" and pods:
        p = copy.deepcopy(draw(st.sampled_from(pods)))
        field = draw(st.sampled_from(("ready", "labels", "ip", "node")))
        if field == "ready":
            cond = p["status"]["conditions"][0]
            cond["status"] = "False" if cond["status"] == "True" else "True"
        elif field == "labels":
            p["metadata"]["labels"] = {"app": draw(st.sampled_from(APPS))}
        elif field == "ip":
            p["status"]["podIP"] = f"10.2.0.{draw(st.integers(1, 250))}"
        else:
            p["spec"]["nodeName"] = draw(st.sampled_from(NODES))
        return Change("Pod", "MODIFIED", p)
    if what == "pod-gone" and pods:
        return Change("Pod", "DELETED", draw(st.sampled_from(pods)))
    if what in ("pod", "pod-new", "pod-gone"):
        return Change("Pod", "ADDED", _pod(draw, f"p{draw(st.integers(0, 12))}"))
    if what == "service":
        if services and draw(st.integers(0, 3)):
            s = copy.deepcopy(draw(st.sampled_from(services)))
            meta = s["metadata"]
            if draw(st.integers(0, 4)) == 0:
                return Change("Service", "DELETED", s)
            fresh = _service(draw, meta["name"], meta["namespace"])
            return Change("Service", "MODIFIED", fresh)
        return Change("Service", "ADDED", _service(draw, f"s{draw(st.integers(0, 7))}"))
    if what == "node":
        name = draw(st.sampled_from(NODES))
        if draw(st.integers(0, 5)) == 0:
            return Change("Node", "DELETED", b.node(name))
        return Change("Node", "MODIFIED", _node(draw, name))
    if what == "route":
        return Change("HTTPRoute", "MODIFIED", _route(draw, services))
    if what == "ingress":
        ings = _named(raw, "Ingress")
        if ings and draw(st.booleans()):
            return Change("Ingress", "DELETED", draw(st.sampled_from(ings)))
        return Change("Ingress", "ADDED", _ingress(draw, f"i{draw(st.integers(0, 3))}", services))
    slices = _named(raw, "EndpointSlice")
    if what == "slice-gone" and slices:
        return Change("EndpointSlice", "DELETED", draw(st.sampled_from(slices)))
    if what == "slice" and slices:
        s = copy.deepcopy(draw(st.sampled_from(slices)))
        how = draw(st.sampled_from(("ready", "drop", "owner")))
        if how == "ready" and s["endpoints"]:
            cond = s["endpoints"][0]["conditions"]
            cond["ready"] = not cond.get("ready", True)
        elif how == "drop" and s["endpoints"]:
            s["endpoints"].pop()
        else:  # another service of its namespace takes it over
            ns = s["metadata"]["namespace"]
            owners = [x["metadata"]["name"] for x in services if x["metadata"]["namespace"] == ns]
            name = draw(st.sampled_from(owners)) if owners else "nobody"
            s["metadata"]["labels"]["kubernetes.io/service-name"] = name
        return Change("EndpointSlice", "MODIFIED", s)
    service = draw(st.sampled_from(services)) if services else b.service("s0")
    return Change(
        "EndpointSlice", "ADDED", _slice(draw, service, pods, draw(st.sampled_from("abc")))
    )


@st.composite
def histories(
    draw: Callable[..., Any], slices: bool = True
) -> tuple[RawCluster, list[list[Change]]]:
    raw = draw(clusters(slices))
    shadow = copy.deepcopy(raw)  # events are drawn against the cluster as it will be

    batches: list[list[Change]] = []
    for _ in range(draw(st.integers(1, 6))):
        batch = [draw(event(shadow)) for _ in range(draw(st.integers(1, 3)))]
        apply_events(shadow, batch)
        batches.append(batch)
    return raw, batches


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Was(NamedTuple):
    """What an analysis held before a batch (the live one's mappings move on with it)."""

    paths: tuple[Path, ...]
    services: dict[ObjectKey, Any]
    targets: dict[ObjectKey, list[Any]]

    @classmethod
    def of(cls, analysis: Analysis) -> Was:
        targets = {k: [r.targets for r in rs] for k, rs in analysis.routes.items()}
        return cls(analysis.paths, dict(analysis.snapshot.services), targets)


def _rows(paths: Sequence[Path]) -> dict[ObjectKey, list[Path]]:
    out: dict[ObjectKey, list[Path]] = {}
    for p in paths:
        out.setdefault(list_key(p), []).append(p)
    return out


def check_regrouped(was: Was, now: Analysis, changed: Changed) -> None:
    """The services `Changed.regrouped` names kept their record, endpoints and paths but for
    the paths' node groups; when they are all it names, every path is where it was."""
    before, after = _rows(was.paths), _rows(now.paths)
    for k in changed.regrouped:
        assert k in changed.services and not changed.everything
        assert was.services[k] is now.snapshot.services[k]
        assert was.targets[k] == [r.targets for r in now.routes[k]]
        olds, news = before.get(k, []), after.get(k, [])
        assert [p._replace(groups=()) for p in olds] == [p._replace(groups=()) for p in news]
    if changed.services and changed.services == changed.regrouped:
        assert [(p.service, p.entry) for p in was.paths] == [
            (p.service, p.entry) for p in now.paths
        ]


def follow(live: LiveAnalysis, before: dict[str, Any], batches: list[list[Change]]) -> None:
    """Each batch applied: the analysis equals a rebuild, and what it says changed holds
    (also for the batches taken together, as a view merges those it had no time to draw)."""
    merged = Changed()
    first = Was.of(live.analysis)
    for batch in batches:
        was = Was.of(live.analysis)
        changed = live.apply(batch)
        before = check(live, before, changed)
        check_regrouped(was, live.analysis, changed)
        merged = merged | changed
    check_regrouped(first, live.analysis, merged)


@SETTINGS
@given(histories())
def test_events_over_slices_match_a_rebuild(history: tuple[RawCluster, list[list[Change]]]) -> None:
    raw, batches = history
    live = LiveAnalysis(raw, build)
    before = check(live, document(build(copy.deepcopy(raw))), Changed())
    follow(live, before, batches)


@SETTINGS
@given(histories(slices=False))
def test_events_over_derived_endpoints_match_a_rebuild(
    history: tuple[RawCluster, list[list[Change]]],
) -> None:
    raw, batches = history
    live = LiveAnalysis(raw, build)
    follow(live, document(build(copy.deepcopy(raw))), batches)


# Focused cases ------------------------------------------------------------------------


def shop() -> RawCluster:
    raw = RawCluster(origin="test")
    for kind in b.SLICE_KINDS:
        raw.saw(kind)
    for obj in (
        b.node("n1"),
        b.node("n2", zone="z2"),
        b.pod("web-1", "n1", "10.1.0.1"),
        b.pod("web-2", "n2", "10.1.0.2"),
        b.pod("api-1", "n1", "10.1.0.3", labels={"app": "api"}),
        b.service("web", "NodePort", etp="Local"),
        b.service("api", selector={"app": "api"}),
        b.service("orphan", selector={"app": "wbe"}),
        b.endpointslice(
            "web", [b.endpoint("10.1.0.1", "n1", "web-1"), b.endpoint("10.1.0.2", "n2", "web-2")]
        ),
        b.endpointslice("api", [b.endpoint("10.1.0.3", "n1", "api-1")]),
    ):
        raw.add(obj["kind"], obj)
    return raw


def test_a_slice_change_names_only_its_service() -> None:
    live = LiveAnalysis(shop(), build)
    before = document(live.analysis)
    s = b.endpointslice("api", [b.endpoint("10.1.0.3", "n1", "api-1", ready=False)])
    changed = live.apply([Change("EndpointSlice", "MODIFIED", s)])
    assert changed == Changed(frozenset({b.key("api")}))
    check(live, before, changed)


def test_a_pod_readiness_change_moves_nothing_its_slices_say() -> None:
    """Endpoints come from slices: until the slice says so, a service's rows stay."""
    live = LiveAnalysis(shop(), build)
    before = document(live.analysis)
    changed = live.apply([Change("Pod", "MODIFIED", b.pod("web-1", "n1", "10.1.0.1", ready=False))])
    assert changed.nothing
    check(live, before, changed)
    assert live.analysis.snapshot.pods[b.key("web-1")].ready is False


def test_a_pod_near_an_unmatched_selector_changes_its_finding() -> None:
    live = LiveAnalysis(shop(), build)
    before = document(live.analysis)
    pod = b.pod("wbe-1", "n1", "10.1.0.9", labels={"app": "wbf"})
    changed = live.apply([Change("Pod", "ADDED", pod)])
    assert b.key("orphan") in changed.services and b.key("web") not in changed.services
    check(live, before, changed)
    assert any("wbe-1" in f.message for f in live.analysis.findings if f.code == "KP103")


def test_a_selector_edit_re_analyses_that_service() -> None:
    live = LiveAnalysis(shop(), build)
    before = document(live.analysis)
    edited = b.service("orphan", selector={"app": "web"})
    changed = live.apply([Change("Service", "MODIFIED", edited)])
    assert b.key("orphan") in changed.services and b.key("api") not in changed.services
    check(live, before, changed)


def test_a_node_going_not_ready_names_every_service_whose_groups_moved() -> None:
    """web has an endpoint on n2; api's and orphan's groups hold n2 among the nodes without
    one: each is named, none is all of it (no row beyond theirs is drawn again), and only
    api's and orphan's changes are their groups alone (web is analysed again in full)."""
    live = LiveAnalysis(shop(), build)
    before = document(live.analysis)
    named = frozenset({b.key("web"), b.key("api"), b.key("orphan")})
    alone = frozenset({b.key("api"), b.key("orphan")})
    changed = live.apply([Change("Node", "MODIFIED", b.node("n2", zone="z2", ready=False))])
    assert changed == Changed(named, nodes=True, regrouped=alone)
    before = check(live, before, changed)
    changed = live.apply([Change("Node", "MODIFIED", b.node("n2", zone="z2"))])  # and back
    assert changed == Changed(named, nodes=True, regrouped=alone)
    check(live, before, changed)


def test_batches_taken_together_are_regrouped_where_each_was() -> None:
    """A view merges batches it had no time to draw: a service is regrouped in the merge
    only if every batch that named it only regrouped it."""
    api, web, orphan = b.key("api"), b.key("web"), b.key("orphan")
    first = Changed(frozenset({api, web}), nodes=True, regrouped=frozenset({api, web}))
    second = Changed(frozenset({web, orphan}), regrouped=frozenset({orphan}))
    assert first | second == Changed(
        frozenset({api, web, orphan}), nodes=True, regrouped=frozenset({api, orphan})
    )
    assert (first | Changed(frozenset({api}), everything=True)).regrouped == frozenset()
    assert (Changed() | first) == first


def test_a_node_event_that_moves_no_bucket_names_only_the_services_on_it() -> None:
    live = LiveAnalysis(shop(), build)
    before = document(live.analysis)
    assert live.apply([Change("Node", "MODIFIED", b.node("n2", zone="z2"))]).nothing  # a heartbeat
    moved = b.node("n2", zone="z2", ip="10.9.9.9")  # a new address: the same buckets
    changed = live.apply([Change("Node", "MODIFIED", moved)])
    assert changed == Changed(frozenset({b.key("web")}), nodes=True)
    check(live, before, changed)


def test_an_ingress_event_names_its_backends() -> None:
    raw = shop()
    raw.saw("Ingress")
    live = LiveAnalysis(raw, build)
    before = document(live.analysis)
    ing = b.ingress("front", [b.rule("a.example", ("/", "Prefix", b.backend("web", 80)))])
    changed = live.apply([Change("Ingress", "ADDED", ing)])
    assert b.key("web") in changed.services and b.key("api") not in changed.services
    check(live, before, changed)


def test_a_network_policy_rebuilds_everything() -> None:
    raw = shop()
    raw.saw("NetworkPolicy")
    live = LiveAnalysis(raw, build)
    before = document(live.analysis)
    changed = live.apply(
        [Change("NetworkPolicy", "ADDED", netpol("deny", select={"app": "web"}, ingress=[]))]
    )
    assert changed.everything
    before = check(live, before, changed)
    # With policies in force, a pod's labels may change any verdict: every row again.
    changed = live.apply(
        [Change("Pod", "MODIFIED", b.pod("web-1", "n1", "10.1.0.1", labels={"app": "x"}))]
    )
    assert changed.everything
    check(live, before, changed)
    # Even a pod no service's rows read without policies: its labels decide verdicts.
    quiet = b.pod("api-1", "n1", "10.1.0.3", labels={"app": "api"}, ready=False)
    before = document(live.analysis)
    changed = live.apply([Change("Pod", "MODIFIED", quiet)])
    assert changed.everything
    check(live, before, changed)


def test_a_kind_listed_again_and_health_alone() -> None:
    live = LiveAnalysis(shop(), build)
    before = document(live.analysis)
    assert live.apply([Health(False)]).nothing
    changed = live.apply([Replace("Pod", (b.pod("web-1", "n1", "10.1.0.1"),), namespace="shop")])
    assert changed.everything
    check(live, before, changed)


def test_a_bad_object_is_one_line_naming_it() -> None:
    import pytest

    from kpath.errors import InputError

    live = LiveAnalysis(shop(), build)
    bad = b.pod("web-1", "n1", "10.1.0.1")
    bad["status"]["conditions"] = "nope"
    with pytest.raises(InputError, match="Pod shop/web-1"):
        live.apply([Change("Pod", "MODIFIED", bad)])
    with pytest.raises(InputError, match="Pod shop/web-1"):  # still there: a rebuild says so
        live.apply([])
    before = document(build(copy.deepcopy(shop())))
    changed = live.apply([Change("Pod", "MODIFIED", b.pod("web-1", "n1", "10.1.0.1"))])
    assert changed.everything
    check(live, before, changed)


def test_a_slice_taken_over_keeps_its_place_in_the_raw_order() -> None:
    """A service's slices are in the order the input lists them (the first slice wins an
    address): a slice relabelled to another service joins it in that order."""
    raw = RawCluster(origin="test")
    for kind in b.SLICE_KINDS:
        raw.saw(kind)
    moving = b.endpointslice("api", [b.endpoint("10.1.0.3", "n1")], suffix="m")
    for obj in (
        b.node("n1"),
        b.service("web"),
        b.service("api", selector={"app": "api"}),
        moving,
        b.endpointslice("web", [b.endpoint("10.1.0.1", "n1")]),
    ):
        raw.add(obj["kind"], obj)
    live = LiveAnalysis(raw, build)
    before = document(live.analysis)
    taken = copy.deepcopy(moving)
    taken["metadata"]["labels"]["kubernetes.io/service-name"] = "web"
    changed = live.apply([Change("EndpointSlice", "MODIFIED", taken)])
    assert changed.services == {b.key("web"), b.key("api")}
    check(live, before, changed)
    targets = live.analysis.routes[b.key("web")][0].targets
    assert [t.address for t in targets] == ["10.1.0.3", "10.1.0.1"]


GW = "gateway.networking.k8s.io/v1"


def gateway_shop() -> RawCluster:
    """The shop behind a Gateway: one HTTP listener, one HTTPRoute to web."""
    raw = shop()
    for kind in ("GatewayClass", "Gateway", "HTTPRoute"):
        raw.saw(kind)
    raw.add(
        "GatewayClass",
        {
            "apiVersion": GW,
            "kind": "GatewayClass",
            "metadata": {"name": "gc"},
            "spec": {"controllerName": "example.com/gateway"},
        },
    )
    raw.add(
        "Gateway",
        {
            "apiVersion": GW,
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "shop"},
            "spec": {
                "gatewayClassName": "gc",
                "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
            },
            "status": {"addresses": [{"type": "IPAddress", "value": "203.0.113.5"}]},
        },
    )
    raw.add("HTTPRoute", http_route("web"))
    return raw


def http_route(backend: str) -> Obj:
    return {
        "apiVersion": GW,
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "namespace": "shop"},
        "spec": {
            "parentRefs": [{"name": "gw"}],
            "rules": [{"backendRefs": [{"name": backend, "port": 80}]}],
        },
    }


def test_gateway_paths_follow_their_backends_and_routes() -> None:
    live = LiveAnalysis(gateway_shop(), build)
    before = document(live.analysis)
    assert any(p["entry"]["kind"] == "gateway" for p in before["paths"])
    # An endpoint of the backend goes unready: the Gateway's path to web changes with it.
    s = b.endpointslice(
        "web",
        [b.endpoint("10.1.0.1", "n1", "web-1", ready=False), b.endpoint("10.1.0.2", "n2", "web-2")],
    )
    changed = live.apply([Change("EndpointSlice", "MODIFIED", s)])
    assert b.key("web") in changed.services and b.key("api") not in changed.services
    before = check(live, before, changed)
    # The route now sends to api: both services' Gateway paths move.
    changed = live.apply([Change("HTTPRoute", "MODIFIED", http_route("api"))])
    assert {b.key("web"), b.key("api")} <= changed.services
    before = check(live, before, changed)
    changed = live.apply([Change("Service", "DELETED", b.service("api", selector={"app": "api"}))])
    check(live, before, changed)


def test_legacy_endpoints_stand_in_where_slices_cannot_be_read() -> None:
    raw = RawCluster(origin="test")
    for kind in ("Node", "Pod", "Service", "Endpoints"):
        raw.saw(kind)
    for obj in (
        b.node("n1"),
        b.node("n2"),
        b.service("web", "NodePort", etp="Local"),
        b.service("api", selector={"app": "api"}),
        b.endpoints_legacy("web", ready=[("10.1.0.1", "n1")]),
    ):
        raw.add(obj["kind"], obj)
    live = LiveAnalysis(raw, build)
    before = document(live.analysis)
    moved = b.endpoints_legacy("web", ready=[("10.1.0.2", "n2")], not_ready=[("10.1.0.1", "n1")])
    changed = live.apply([Change("Endpoints", "MODIFIED", moved)])
    assert changed.services == {b.key("web")}
    before = check(live, before, changed)
    changed = live.apply(
        [Change("Endpoints", "ADDED", b.endpoints_legacy("api", ready=[("10.1.0.3", "n1")]))]
    )
    assert changed.services == {b.key("api")}
    before = check(live, before, changed)
    changed = live.apply([Change("Endpoints", "DELETED", moved)])
    check(live, before, changed)
