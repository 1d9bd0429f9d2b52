"""The lab store: resourceVersions, events, the bounded log, list order and positions."""

from __future__ import annotations

import asyncio
from typing import Any

from kpath.lab.store import Store

Obj = dict[str, Any]


def cm(name: str, ns: str | None = "default", **data: str) -> Obj:
    meta: Obj = {"name": name}
    if ns is not None:
        meta["namespace"] = ns
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "data": dict(data)}


def test_every_write_bumps_the_global_resource_version() -> None:
    store = Store()
    start = store.resource_version
    a = store.put(cm("a"))
    b = store.put({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}})
    assert int(a["metadata"]["resourceVersion"]) == start + 1
    assert int(b["metadata"]["resourceVersion"]) == start + 2
    store.delete("Pod", "default", "a")
    assert store.resource_version == start + 3


def test_replacing_keeps_uid_and_creation_time_and_emits_modified() -> None:
    store = Store()
    first = store.put(cm("a", v="1"))
    uid, created = first["metadata"]["uid"], first["metadata"]["creationTimestamp"]
    second = store.put(cm("a", v="2"))
    assert second["metadata"]["uid"] == uid
    assert second["metadata"]["creationTimestamp"] == created
    assert store.get("Pod", "default", "a")["data"] == {"v": "2"}
    assert [e.type for e in store.log] == ["ADDED", "MODIFIED"]


def test_given_uid_is_kept() -> None:
    store = Store()
    obj = cm("a")
    obj["metadata"]["uid"] = "fixed-uid"
    assert store.put(obj)["metadata"]["uid"] == "fixed-uid"


def test_delete_emits_deleted_with_a_new_rv_and_absent_is_a_no_op() -> None:
    store = Store()
    store.put(cm("a"))
    store.delete("Pod", "default", "a")
    rv = store.resource_version
    event = store.log[-1]
    assert (event.type, event.kind, event.rv) == ("DELETED", "Pod", rv)
    assert event.object["metadata"]["resourceVersion"] == str(rv)
    assert store.get("Pod", "default", "a") is None
    store.delete("Pod", "default", "a")
    store.delete("Service", "x", "never")
    assert store.resource_version == rv
    assert len(store.log) == 2


def test_list_is_sorted_by_namespace_then_name_and_filters_namespace() -> None:
    store = Store()
    for ns, name in [("b", "z"), ("a", "y"), ("b", "a"), ("ab", "m"), ("a", "b")]:
        store.put(cm(name, ns))
    keys = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in store.list("Pod")]
    assert keys == [("a", "b"), ("a", "y"), ("ab", "m"), ("b", "a"), ("b", "z")]
    assert [o["metadata"]["name"] for o in store.list("Pod", "a")] == ["b", "y"]
    assert store.list("Pod", "nope") == []
    assert store.list("Service") == []


def test_cluster_scoped_objects_use_none_namespace() -> None:
    store = Store()
    store.put({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n2"}})
    store.put({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}})
    assert store.get("Node", None, "n1") is not None
    assert [n["metadata"]["name"] for n in store.list("Node")] == ["n1", "n2"]
    store.delete("Node", None, "n1")
    assert [n["metadata"]["name"] for n in store.list("Node")] == ["n2"]


def test_positions_resume_after_a_key_and_count_what_remains() -> None:
    store = Store()
    for ns in ("a", "b"):
        for i in range(5):
            store.put(cm(f"p{i}", ns))
    after = ("a", "p2")
    names = [
        (o["metadata"]["namespace"], o["metadata"]["name"])
        for o in store.iter_from("Pod", None, after)
    ]
    assert names[0] == ("a", "p3")
    assert len(names) == store.count_from("Pod", None, after) == 7
    assert store.count_from("Pod", "a", after) == 2
    assert store.count_from("Pod", "b") == 5
    # A position whose object is gone still resumes at the next key.
    store.delete("Pod", "a", "p3")
    assert next(store.iter_from("Pod", "a", ("a", "p3")))["metadata"]["name"] == "p4"


def test_namespaces_in_use_follow_puts_and_deletes() -> None:
    store = Store()
    store.put(cm("a", "shop"))
    store.put(cm("b", "shop"))
    store.put(cm("c", "tools"))
    store.put({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}})
    assert store.namespaces_in_use() == {"shop", "tools"}
    store.delete("Pod", "tools", "c")
    store.delete("Pod", "shop", "a")
    assert store.namespaces_in_use() == {"shop"}


def test_the_log_is_bounded_and_reports_the_oldest_resumable_rv() -> None:
    store = Store(log_size=3)
    assert store.oldest_rv() == 0
    for i in range(5):
        store.put(cm(f"p{i}"))
    assert len(store.log) == 3
    assert [e.object["metadata"]["name"] for e in store.log] == ["p2", "p3", "p4"]
    # Events after oldest_rv are all still in the log; the one at oldest_rv is not.
    assert store.oldest_rv() == store.log[0].rv - 1
    assert store.oldest_rv() == store.resource_version - 3


def test_subscribers_get_their_kinds_and_are_woken() -> None:
    async def scenario() -> tuple[list[str], bool, int]:
        store = Store()
        sub = store.subscribe(frozenset({"Pod"}))
        sub.wake = asyncio.Event()
        store.put({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}})
        assert not sub.wake.is_set()
        store.put(cm("a"))
        store.delete("Pod", "default", "a")
        await asyncio.wait_for(sub.wake.wait(), 5)
        count = store.watcher_count
        store.unsubscribe(sub)
        store.put(cm("b"))
        return [e.type for e in sub.queue], sub.wake.is_set(), count - store.watcher_count

    types, woken, dropped = asyncio.run(scenario())
    assert types == ["ADDED", "DELETED"]
    assert woken
    assert dropped == 1


def test_compaction_forgets_history_up_to_now_and_keeps_what_follows() -> None:
    store = Store()
    store.put(cm("a"))
    store.put(cm("b"))
    oldest = store.compact()
    assert oldest == store.resource_version == store.oldest_rv()
    assert not store.log
    store.put(cm("c"))
    assert [e.object["metadata"]["name"] for e in store.log] == ["c"]
    assert store.oldest_rv() == oldest  # later events do not move the compaction point
    assert store.get("Pod", "default", "a") is not None  # objects stay; only history goes
