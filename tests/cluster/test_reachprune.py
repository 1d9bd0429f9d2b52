"""What `kpath reach` keeps of a raw cluster before the snapshot is built."""

from __future__ import annotations

import pytest

from kpath.cluster.policykinds import OTHER_POLICY_RAW_KINDS
from kpath.cluster.raw import RawCluster
from kpath.cluster.reachprune import prune_for_question, prune_for_reach


def test_keeps_nodes_pods_namespaces_and_every_policy_kind():
    raw = RawCluster(origin="test")
    kinds = [
        "Node",
        "Pod",
        "Namespace",
        "NetworkPolicy",
        *OTHER_POLICY_RAW_KINDS,
        "Service",
        "EndpointSlice",
        "Ingress",
        "HTTPRoute",
        "Gateway",
    ]
    for kind in kinds:
        raw.add(kind, {"kind": kind, "metadata": {"name": "x"}}, source="f")
    prune_for_reach(raw)
    kept = {"Node", "Pod", "Namespace", "NetworkPolicy", *OTHER_POLICY_RAW_KINDS}
    assert set(raw.objects) == kept
    assert set(raw.sources) == kept


def _raw(*objects: tuple[str, str, str]) -> RawCluster:
    raw = RawCluster(origin="test")
    for kind in ("Node", "Pod", "Namespace", "NetworkPolicy"):
        raw.saw(kind)
    for kind, ns, name in objects:
        meta = {"name": name, **({"namespace": ns} if ns else {})}
        raw.add(kind, {"kind": kind, "metadata": meta}, source=f"{kind}-{name}")
    return raw


def _names(raw: RawCluster, kind: str) -> list[str]:
    return [o["metadata"]["name"] for o in raw.objects[kind]]


CLUSTER = (
    ("Node", "", "n1"),
    ("Namespace", "", "shop"),
    ("Namespace", "", "tools"),
    ("Pod", "shop", "web"),
    ("Pod", "tools", "client"),
    ("Pod", "tools", "other"),
    ("Pod", "", "plain"),
    ("NetworkPolicy", "shop", "p1"),
    ("NetworkPolicy", "tools", "p2"),
    ("NetworkPolicy", "ops", "p3"),
    ("NetworkPolicy", "", "p4"),
)


def test_one_question_keeps_its_two_pods_and_their_namespaces_policies():
    raw = _raw(*CLUSTER)
    prune_for_question(raw, "tools/client", "shop/web")
    assert _names(raw, "Pod") == ["web", "client"]
    assert _names(raw, "NetworkPolicy") == ["p1", "p2"]
    assert raw.sources["Pod"] == ["Pod-web", "Pod-client"]  # still in step
    assert _names(raw, "Node") == ["n1"] and len(raw.objects["Namespace"]) == 2


def test_an_unset_namespace_is_default():
    raw = _raw(*CLUSTER)
    prune_for_question(raw, "node/n1", "default/plain")
    assert _names(raw, "Pod") == ["plain"]
    assert _names(raw, "NetworkPolicy") == ["p4"]


@pytest.mark.parametrize(
    ("source", "dest"),
    [
        ("10.0.0.1", "shop/web"),  # the notes name the pod owning an address
        ("tools/nope", "shop/web"),
        ("tools/client", "shop/nope"),  # errors list the pods
        ("nonsense", "shop/web"),
        ("tools/client", "shop/web/x"),
    ],
)
def test_keeps_every_pod_when_the_answer_may_read_them(source, dest):
    raw = _raw(*CLUSTER)
    prune_for_question(raw, source, dest)
    assert len(raw.objects["Pod"]) == 4 and len(raw.objects["NetworkPolicy"]) == 4
    assert "Service" not in raw.objects


def test_without_namespace_objects_keeps_every_policy():
    raw = _raw(*(o for o in CLUSTER if o[0] != "Namespace"))
    raw.objects.pop("Namespace")
    prune_for_question(raw, "tools/client", "shop/web")
    assert _names(raw, "Pod") == ["web", "client"]
    assert len(raw.objects["NetworkPolicy"]) == 4


def test_malformed_metadata_is_kept_for_its_error():
    raw = _raw(*CLUSTER)
    raw.add("Pod", {"kind": "Pod", "metadata": {"name": 5, "namespace": "x"}})
    raw.add(
        "NetworkPolicy", {"kind": "NetworkPolicy", "metadata": {"name": "q", "namespace": ["x"]}}
    )
    prune_for_question(raw, "tools/client", "shop/web")
    assert len(raw.objects["Pod"]) == 3 and len(raw.objects["NetworkPolicy"]) == 3


def test_policies_whose_match_labels_miss_both_ends_are_dropped():
    raw = _raw(*CLUSTER)
    raw.objects["Pod"][0]["metadata"]["labels"] = {"app": "web", "tier": "front"}
    raw.objects["Pod"][1]["metadata"]["labels"] = {"app": "client"}

    def policy(name: str, ns: str, selector: object) -> None:
        raw.add(
            "NetworkPolicy",
            {
                "kind": "NetworkPolicy",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"podSelector": selector},
            },
        )

    policy("web", "shop", {"matchLabels": {"app": "web"}})
    policy("front-web", "shop", {"matchLabels": {"app": "web", "tier": "front"}})
    policy("db", "shop", {"matchLabels": {"app": "db"}})  # misses web
    policy("client-in-shop", "shop", {"matchLabels": {"app": "client"}})  # client is in tools
    policy("client", "tools", {"matchLabels": {"app": "client"}})
    policy(
        "exprs", "shop", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]}
    )  # not judged: kept
    policy("every", "tools", {})
    policy("odd", "shop", {"matchLabels": {"app": 5}})  # the parser's to refuse: kept
    prune_for_question(raw, "tools/client", "shop/web")
    assert _names(raw, "NetworkPolicy") == [
        "p1",
        "p2",
        "web",
        "front-web",
        "client",
        "exprs",
        "every",
        "odd",
    ]


def test_a_typed_dump_s_structs_are_pruned_as_their_dicts_are(tmp_path):
    """A dump decoded typed holds Pods and Namespaces as Structs: the question keeps the
    same pods and policies as for dicts, and reads them without turning every one into a
    dict first."""
    import json

    from kpath.cluster.dump import load_dump
    from kpath.cluster.reachprune import REACH_KINDS

    items = [
        {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": ns}}
        if ns
        else {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}
        for kind, ns, name in CLUSTER
        if kind != "NetworkPolicy"
    ]
    items[3]["metadata"]["labels"] = {"app": "web"}
    items += [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app": app}}},
        }
        for name, ns, app in (("p1", "shop", "web"), ("p2", "shop", "db"), ("p3", "ops", "x"))
    ]
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    raw = load_dump([path], kinds=REACH_KINDS)
    assert any(type(o) is not dict for o in raw.held["Pod"])  # Structs, as decoded
    prune_for_question(raw, "tools/client", "shop/web")
    assert sorted(o.metadata.name for o in raw.held["Pod"]) == ["client", "web"]
    assert _names(raw, "NetworkPolicy") == ["p1"]  # p2 cannot select web; p3 elsewhere
