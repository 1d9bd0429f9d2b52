"""The informer's pure parts: which streams follow a load (`plan_streams`), and how what
the streams heard is handed on in batches (`deliver_batches`). The streams themselves are
proved against the lab in tests/integration/test_informer.py."""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence

from kpath.cluster.events import Change, Event, Health
from kpath.cluster.informer import StreamPlan, deliver_batches, plan_streams
from kpath.cluster.raw import RawCluster


def load(versions: dict[tuple[str, str | None], str], *kinds: str) -> RawCluster:
    raw = RawCluster(list_versions=dict(versions))
    for kind in kinds:
        raw.saw(kind)
    return raw


def test_every_listed_scope_is_one_stream_from_its_version() -> None:
    raw = load({("Node", None): "5", ("Pod", None): "7"})
    assert plan_streams(raw, None) == [StreamPlan("Node", None, "5"), StreamPlan("Pod", None, "7")]
    assert plan_streams(raw, None, kinds={"Pod"}) == [StreamPlan("Pod", None, "7")]


def test_a_namespaced_load_follows_its_cluster_scope_lists_filtered() -> None:
    raw = load(
        {
            ("Pod", "shop"): "3",
            ("Service", "shop"): "3",
            ("Service", None): "4",
            ("Node", None): "2",
        },
        "EndpointSlice",
    )
    plans = plan_streams(raw, "shop")
    assert StreamPlan("Service", None, "4", beyond=True) in plans
    assert StreamPlan("Node", None, "2") in plans  # cluster-scoped, kept whole
    # No controller had slices to list: theirs are followed from the Services' version.
    assert StreamPlan("EndpointSlice", None, "4", beyond=True) in plans


def test_nothing_listed_nothing_followed() -> None:
    assert plan_streams(RawCluster(), "shop") == []


def run(batches: Sequence[list[Event]], **kw: float) -> list[list[Event]]:
    """Deliver ``batches`` already queued; stop once all were handed on."""
    inbox: queue.SimpleQueue[list[Event]] = queue.SimpleQueue()
    for b in batches:
        inbox.put(b)
    got: list[list[Event]] = []
    stop = threading.Event()
    total = sum(len(b) for b in batches)

    def sink(events: Sequence[Event]) -> None:
        got.append(list(events))
        if sum(len(g) for g in got) >= total:
            stop.set()

    deliver_batches(inbox, sink, stop, **kw)  # type: ignore[arg-type]
    return got


def pod(i: int) -> Change:
    return Change("Pod", "ADDED", {"metadata": {"namespace": "shop", "name": f"p{i}"}})


def test_what_is_waiting_is_delivered_in_one_call_in_order() -> None:
    queued = [[pod(i) for i in range(10)] for _ in range(5)]
    (only,) = run(queued, most_seconds=10.0, quiet=0.2)
    assert only == [e for b in queued for e in b]


def test_a_batch_is_cut_at_its_most_events() -> None:
    queued = [[pod(i)] for i in range(10)]
    got = run(queued, most_events=4, most_seconds=10.0, quiet=0.2)
    assert [len(b) for b in got] == [4, 4, 2]


def test_health_travels_with_the_events_in_order() -> None:
    got = run([[pod(1)], [Health(False, "refused")], [pod(2)]], most_seconds=10.0, quiet=0.2)
    assert [type(e).__name__ for b in got for e in b] == ["Change", "Health", "Change"]
