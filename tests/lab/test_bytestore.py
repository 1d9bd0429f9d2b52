"""The encoded store, the one-object-at-a-time dump reader, and the churn's rewrites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpath.errors import InputError
from kpath.lab.bytestore import EncodedStore
from kpath.lab.churn import node_ready, rolled_pod, split_pod_name, with_endpoints
from kpath.lab.dumpread import read_into
from kpath.lab.resources import RESOURCES

Obj = dict[str, Any]
SERVED = {(r.group, r.kind) for r in RESOURCES}


def pod(ns: str, name: str, rv: str = "7", ip: str = "10.1.0.1") -> Obj:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"uid-{name}",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "resourceVersion": rv,
            "labels": {"app": "web", "pod-template-hash": "5d8f7c9b6d"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d8f7c9b6d", "uid": "rs"}],
        },
        "spec": {"nodeName": "n1"},
        "status": {"podIP": ip, "podIPs": [{"ip": ip}]},
    }


def test_pages_follow_list_order_and_continue_positions() -> None:
    store = EncodedStore()
    highest = store.load(
        "Pod", [pod("b", "p2", "40"), pod("a", "p9"), pod("b", "p1"), pod("a", "p3", "12")]
    )
    assert highest == 40
    first = store.page("Pod", None, None, 3)
    assert [json.loads(b)["metadata"]["name"] for b in first.items] == ["p3", "p9", "p1"]
    assert (first.last, first.remaining) == (("b", "p1"), 1)
    rest = store.page("Pod", None, first.last, 3)
    assert [json.loads(b)["metadata"]["name"] for b in rest.items] == ["p2"]
    assert (rest.last, rest.remaining) == (None, 0)
    in_a = store.page("Pod", "a", None, 0)
    assert [json.loads(b)["metadata"]["name"] for b in in_a.items] == ["p3", "p9"]
    assert store.page("Pod", "zz", None, 5).items == []


def test_writes_emit_events_and_reads_decode_fresh_copies() -> None:
    store = EncodedStore()
    store.load("Pod", [pod("a", "p1")])
    store.start_at(100)
    assert store.oldest_rv("Pod") == 100  # nothing before the load to resume from
    got = store.get("Pod", "a", "p1")
    assert got is not None
    got["status"]["podIP"] = "10.9.9.9"  # a caller's copy: the store does not change
    assert store.get("Pod", "a", "p1")["status"]["podIP"] == "10.1.0.1"  # type: ignore[index]
    store.put(got)
    store.delete("Pod", "a", "p1")
    events = store.events_after("Pod", 100)
    assert [(e.type, e.rv) for e in events] == [("MODIFIED", 101), ("DELETED", 102)]
    assert events[1].object["status"]["podIP"] == "10.9.9.9"
    assert store.get("Pod", "a", "p1") is None and store.count("Pod") == 0


def test_each_kind_keeps_its_own_event_window() -> None:
    store = EncodedStore(kind_log_size=3)
    store.put({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}})
    node_rv = store.resource_version
    for i in range(10):
        store.put(pod("a", f"p{i}"))
    assert store.oldest_rv("Pod") > node_rv  # pods' window moved on
    assert store.oldest_rv("Node") < node_rv  # the node's history is still whole


def test_served_as_tells_when_bytes_can_be_served_unchanged() -> None:
    store = EncodedStore()
    store.load(
        "HTTPRoute",
        [
            {
                "kind": "HTTPRoute",
                "metadata": {"name": "r", "namespace": "a"},
                "apiVersion": "gateway.networking.k8s.io/v1beta1",
            }
        ],
    )
    assert not store.served_as("HTTPRoute", "gateway.networking.k8s.io/v1")
    assert store.served_as("HTTPRoute", "gateway.networking.k8s.io/v1beta1")


def write(path: Path, doc: Any, indent: int | None = None) -> Path:
    path.write_text(json.dumps(doc, indent=indent), encoding="utf-8")
    return path


def test_a_json_list_is_read_item_by_item_into_one_line_bytes(tmp_path: Path) -> None:
    istio = {
        "kind": "Gateway",
        "apiVersion": "networking.istio.io/v1",
        "metadata": {"name": "g", "namespace": "a"},
    }
    f = write(
        tmp_path / "d.json",
        {"apiVersion": "v1", "kind": "List", "items": [pod("a", "p1", "30"), istio]},
        indent=2,
    )
    store = EncodedStore()
    result = read_into(store, [f], SERVED)
    assert result.counts == {"Pod": 1}
    assert result.unserved == {"Gateway.networking.istio.io": 1}
    assert result.highest_rv == 30
    (raw,) = store.page("Pod", None, None, 0).items
    assert b"\n" not in raw and json.loads(raw) == pod("a", "p1", "30")


def test_an_item_list_without_kinds_takes_the_lists_kind(tmp_path: Path) -> None:
    bare = pod("a", "p1")
    del bare["kind"], bare["apiVersion"]
    f = write(
        tmp_path / "pods.json",
        {"items": [bare], "kind": "PodList", "apiVersion": "v1", "metadata": {}},
    )
    store = EncodedStore()
    assert read_into(store, [f], SERVED).counts == {"Pod": 1}
    assert store.get("Pod", "a", "p1") == pod("a", "p1")


def test_other_layouts_go_through_kpaths_dump_reader(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "kind: Pod\napiVersion: v1\nmetadata:\n  name: y\n  namespace: a\n", encoding="utf-8"
    )
    store = EncodedStore()
    assert read_into(store, [tmp_path / "p.yaml"], SERVED).counts == {"Pod": 1}
    got = store.get("Pod", "a", "y")
    assert got is not None and got["metadata"]["uid"]  # the API always sets one


def test_a_broken_dump_is_the_dump_readers_one_line_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.json"
    f.write_text('{"kind": "List", "items": [{"kind": "Pod", "metadata": {}}]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json"):
        read_into(EncodedStore(), [f], SERVED)


def test_pod_names_split_into_deployment_hash_and_suffix() -> None:
    assert split_pod_name("web-api-5d8f7c9b6d-x2x4z") == ("web-api", "5d8f7c9b6d", "x2x4z")
    assert split_pod_name("db-0") is None
    assert split_pod_name("web-5d8f7c9b6d-toolong") is None


def test_a_rolled_pod_has_a_new_name_hash_owner_and_ip() -> None:
    new = rolled_pod(
        pod("a", "web-5d8f7c9b6d-x2x4z"),
        "web-7bbbbbbbbb-qqqqq",
        "7bbbbbbbbb",
        "10.254.0.9",
        "2026-02-02T00:00:00Z",
    )
    meta = new["metadata"]
    assert (meta["name"], meta["generateName"]) == ("web-7bbbbbbbbb-qqqqq", "web-7bbbbbbbbb-")
    assert meta["labels"] == {"app": "web", "pod-template-hash": "7bbbbbbbbb"}
    assert meta["ownerReferences"] == [{"kind": "ReplicaSet", "name": "web-7bbbbbbbbb"}]
    assert "uid" not in meta and "resourceVersion" not in meta
    assert new["status"]["podIP"] == "10.254.0.9" and new["spec"] == {"nodeName": "n1"}


def test_a_slice_lists_the_replacement_where_the_old_pod_was() -> None:
    eps: Obj = {
        "kind": "EndpointSlice",
        "metadata": {"name": "s", "resourceVersion": "5"},
        "endpoints": [
            {"addresses": ["10.1.0.1"], "targetRef": {"kind": "Pod", "name": "a"}},
            {"addresses": ["10.1.0.2"], "targetRef": {"kind": "Pod", "name": "b"}},
        ],
    }
    new_pod: Obj = {"metadata": {"name": "c", "uid": "u-c"}, "status": {"podIP": "10.254.0.1"}}
    out = with_endpoints(eps, {"a": new_pod})
    assert out["endpoints"][0] == {
        "addresses": ["10.254.0.1"],
        "targetRef": {"kind": "Pod", "name": "c", "uid": "u-c"},
    }
    assert out["endpoints"][1] == eps["endpoints"][1]
    assert "resourceVersion" not in out["metadata"]


def test_a_node_goes_not_ready_with_the_unreachable_taint_and_back() -> None:
    node = {
        "kind": "Node",
        "metadata": {"name": "n"},
        "spec": {},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    down = node_ready(node, False, "t1")
    assert down["status"]["conditions"][0]["status"] == "Unknown"
    assert [t["key"] for t in down["spec"]["taints"]] == ["node.kubernetes.io/unreachable"]
    up = node_ready(down, True, "t2")
    assert up["status"]["conditions"][0]["status"] == "True"
    assert "taints" not in up["spec"]
