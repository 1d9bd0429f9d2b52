"""The inbox between the follower's thread and the apply worker: batches taken together."""

from __future__ import annotations

import threading

from kpath.cluster.events import Change, Replace
from kpath.tui.inbox import Inbox
from tests.tui.following import unready


def test_what_arrived_since_the_last_take_is_one_batch_dated_by_its_oldest() -> None:
    inbox, stop = Inbox(), threading.Event()
    first, second = unready("web", 0), unready("api", 1)
    inbox.put(first, 10.0)
    inbox.put(second, 12.5)
    batch = inbox.take(stop)
    assert batch is not None
    assert batch.events == (*first, *second) and batch.arrived == 10.0
    inbox.put([Replace("Pod", ())], 20.0)
    again = inbox.take(stop)
    assert again is not None and again.arrived == 20.0 and len(again.events) == 1


def test_take_waits_for_events_and_ends_on_stop_or_close() -> None:
    inbox, stop = Inbox(), threading.Event()
    got: list[object] = []
    taker = threading.Thread(target=lambda: got.append(inbox.take(stop, poll=0.01)))
    taker.start()
    inbox.put(unready("web", 1), 1.0)
    taker.join(5)
    assert got and got[0] is not None
    stop.set()
    assert inbox.take(stop, poll=0.01) is None
    closed = Inbox()
    closed.put(unready("web", 1), 1.0)
    closed.close()
    assert closed.take(threading.Event(), poll=0.01) is None
    closed.put(unready("web", 1), 2.0)  # after close: dropped
    assert closed.take(threading.Event(), poll=0.01) is None


def test_an_empty_hand_over_wakes_nobody() -> None:
    inbox, stop = Inbox(), threading.Event()
    inbox.put([], 1.0)
    stop.set()
    assert inbox.take(stop, poll=0.01) is None
    events: list[Change] = unready("admin", 0)
    inbox2 = Inbox()
    inbox2.put(events, 3.0)
    batch = inbox2.take(threading.Event())
    assert batch is not None and list(batch.events) == events


def test_narrow_events_are_analysed_before_those_that_change_every_service() -> None:
    from kpath.cluster.events import Health
    from kpath.tui.inbox import narrow_first
    from tests.tui.following import pod

    node = Change("Node", "MODIFIED", {"kind": "Node", "metadata": {"name": "node-a"}})
    listed = Replace("EndpointSlice", ())
    pods = unready("web", 0)
    again = Change("Pod", "DELETED", pod("web", 0))
    parts = narrow_first([node, *pods, listed, again, Health(True)])
    assert parts == [(*pods, again, Health(True)), (node, listed)]
    assert narrow_first(pods) == [tuple(pods)] and narrow_first([]) == []
