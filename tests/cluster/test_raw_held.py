"""A `RawCluster` holding typed Structs (a typed dump's, a followed live read's): filed in
bulk as one at a time, and turned into dicts once, whichever threads read ``objects``."""

from __future__ import annotations

import threading
from typing import Any

import msgspec

from kpath.cluster import typed
from kpath.cluster.raw import RawCluster
from tests import builders as b


def pod_structs(count: int) -> list[Any]:
    decode = msgspec.json.Decoder(typed.kind_struct("Pod")).decode
    pods = [b.pod(f"web-{i}", "n1", f"10.0.{i // 250}.{i % 250}") for i in range(count)]
    return [decode(msgspec.json.encode(p)) for p in pods]


def test_extend_files_as_add_does() -> None:
    structs = pod_structs(3)
    one, many = RawCluster(origin="o"), RawCluster(origin="o")
    for s in structs:
        one.add("Pod", s)
    many.extend("Pod", structs)
    assert many.held == one.held and many.sources == one.sources
    assert many.objects == one.objects
    assert all(type(o) is dict for o in many.objects["Pod"])
    assert many.objects["Pod"] == [typed.to_plain(s) for s in structs]


def test_objects_read_by_two_threads_at_once_are_turned_once() -> None:
    """A UI's follower and its analysis read ``objects`` together: both see the very same
    dicts (one turn), not two copies, one of them left behind in the other's lists."""
    raw = RawCluster(origin="o")
    raw.extend("Pod", pod_structs(20_000))
    start = threading.Barrier(2)
    seen: list[list[Any]] = []

    def read() -> None:
        start.wait()
        seen.append(list(raw.objects["Pod"]))

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first, second = seen
    assert all(type(o) is dict for o in first)
    assert all(a is c for a, c in zip(first, second, strict=True))
    assert all(a is c for a, c in zip(first, raw.held["Pod"], strict=True))
