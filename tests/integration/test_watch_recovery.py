"""Watch semantics a real API server depends on, against the lab's API server and its
faults (`kpath.lab.watchfaults`): 410 Gone re-lists that kind alone, in both forms, and
backs off when it repeats; a resumed watch asks from the version it last saw (events and
bookmarks); a watch that lost its server says so once and says once when it is back; a
stalled stream is reopened.

Everything is read from the lab's own records: which watches began with which
resourceVersion (`watches.opened`) and how many lists each kind had (`requests`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kpath.cluster.live import LiveOptions
from kpath.cluster.watch import WATCH_LOST, WATCH_OK
from kpath.lab.apiserver import ServerThread, serve_in_thread
from kpath.lab.requestkinds import by_kind
from kpath.lab.store import Store
from kpath.lab.watchfaults import WatchOpened
from tests.integration.watching import Heard, eventually, watching

pytestmark = pytest.mark.lab

Obj = dict[str, Any]


def pod(name: str) -> Obj:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "echo"}]},
        "status": {"phase": "Running", "podIP": "127.0.0.9"},
    }


def service(name: str) -> Obj:
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"type": "ClusterIP", "ports": [{"port": 80}]},
    }


def node(name: str) -> Obj:
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name}}


@pytest.fixture
def lab() -> Iterator[ServerThread]:
    store = Store()
    store.put(pod("web-1"))
    store.put(service("web"))
    with serve_in_thread(store) as st:
        yield st
        # Whatever happened, the watch only ever read.
        assert {r.method for r in st.server.requests} <= {"GET"}


def options(st: ServerThread, tmp_path: Path) -> LiveOptions:
    kc = st.server.write_kubeconfig(tmp_path / "kc")
    return LiveOptions(kubeconfig=str(kc), all_namespaces=True)


def opened(st: ServerThread, kind: str) -> list[WatchOpened]:
    return st.call(st.server.watches.opened_for, kind)


def open_streams(st: ServerThread, kind: str) -> int:
    return st.call(st.server.watches.open_count, kind)


def lists(st: ServerThread) -> dict[str, int]:
    counts = st.call(lambda: by_kind(list(st.server.requests)))
    return {plural: n for (verb, plural), n in counts.items() if verb == "list"}


def put(st: ServerThread, obj: Obj) -> int:
    """Put ``obj`` in the lab; its new resourceVersion."""
    return int(st.call(st.store.put, obj)["metadata"]["resourceVersion"])


@pytest.mark.parametrize("form", ["error event", "http status"])
def test_410_gone_relists_that_kind_only(lab: ServerThread, tmp_path: Path, form: str) -> None:
    lab.server.watches.gone_as_status = form == "http status"
    heard = Heard()
    with watching(options(lab, tmp_path), heard, kinds=("Pod", "Service")):
        assert eventually(lambda: open_streams(lab, "Pod") == open_streams(lab, "Service") == 1)
        assert lists(lab) == {"pods": 1, "services": 1}
        put(lab, node("n1"))  # history moves on in a kind nobody watches...
        oldest = lab.call(lab.store.compact)  # ...and is compacted away
        heard.clear()
        assert lab.call(lab.server.watches.drop, "Pod") == 1
        # The Pod watch resumes from its version, hears 410, lists again, watches anew.
        assert eventually(lambda: len(opened(lab, "Pod")) >= 3), opened(lab, "Pod")
        first, expired, fresh = opened(lab, "Pod")[:3]
        assert expired.resource_version == first.resource_version  # resumed, not re-listed
        assert int(expired.resource_version) < oldest <= int(fresh.resource_version)
        assert heard.wait_for("Pod")  # events may have been missed: reported changed
        assert lists(lab) == {"pods": 2, "services": 1}
        # The Service stream was never touched: still the first and only one.
        assert len(opened(lab, "Service")) == 1 and open_streams(lab, "Service") == 1
        put(lab, service("api"))
        assert heard.wait_for("Service")
        assert WATCH_LOST not in heard.kinds  # a 410 is not a lost watch
    # The expired watch was the last asked from that version: 410 as its status, or a 200
    # stream holding the ERROR event.
    statuses = [
        r.status
        for r in lab.server.requests
        if r.path == "/api/v1/pods" and "resourceVersion=" + expired.resource_version in r.query
    ]
    assert statuses[-1] == (410 if form == "http status" else 200)


def test_a_resumed_watch_asks_from_the_last_event_it_heard(
    lab: ServerThread, tmp_path: Path
) -> None:
    heard = Heard()
    with watching(options(lab, tmp_path), heard, kinds=("Pod",)):
        assert eventually(lambda: open_streams(lab, "Pod") == 1)
        put(lab, pod("web-2"))
        last = put(lab, pod("web-3"))
        assert heard.wait_for("Pod", count=2)
        lab.call(lab.server.watches.drop, "Pod")
        assert eventually(lambda: len(opened(lab, "Pod")) == 2)
        first, resumed = opened(lab, "Pod")
        assert int(first.resource_version) < int(resumed.resource_version) == last
        assert resumed.bookmarks  # bookmarks are asked for
        # From the last event heard, so the lab replays nothing already heard; and the
        # resumed stream is live.
        put(lab, pod("web-4"))
        assert heard.wait_for("Pod", count=3)
        assert lists(lab) == {"pods": 1}  # resumed, not listed again
        assert WATCH_LOST not in heard.kinds  # one cut stream, resumed at once


def test_a_quiet_kind_follows_the_cluster_version_through_bookmarks(
    lab: ServerThread, tmp_path: Path
) -> None:
    controls = lab.server.watches
    controls.bookmark_every, controls.end_after = 0.1, 0.5  # the lab ends streams early
    heard = Heard()
    with watching(options(lab, tmp_path), heard, kinds=("Pod",)):
        assert eventually(lambda: open_streams(lab, "Pod") == 1)
        moved = put(lab, node("n1"))  # a change no Pod event carries: only bookmarks do
        assert eventually(lambda: any(w.resource_version == str(moved) for w in opened(lab, "Pod")))
        versions = [int(w.resource_version) for w in opened(lab, "Pod")]
        assert versions == sorted(versions) and versions[0] < moved
        assert "Pod" not in heard.kinds  # a bookmark is not a change
        assert lists(lab) == {"pods": 1}


def test_a_server_that_goes_away_and_comes_back_is_reported_lost_then_ok_once(
    lab: ServerThread, tmp_path: Path
) -> None:
    heard = Heard()
    with watching(options(lab, tmp_path), heard, kinds=("Pod", "Service")):
        assert eventually(lambda: open_streams(lab, "Pod") == open_streams(lab, "Service") == 1)
        url = lab.server.url
        lab.run(lab.server.stop())  # the listener is gone: connections are refused
        assert heard.wait_for(WATCH_LOST)
        threading.Event().wait(1.0)  # every kind's retries meet the refusal
        assert WATCH_OK not in heard.kinds
        lab.run(lab.server.start())  # the same port, the same objects
        assert lab.server.url == url
        assert heard.wait_for(WATCH_OK, timeout=30)
        put(lab, service("api"))  # following again
        assert heard.wait_for("Service")
        assert (heard.kinds.count(WATCH_LOST), heard.kinds.count(WATCH_OK)) == (1, 1), heard.kinds
        assert heard.kinds.index(WATCH_LOST) < heard.kinds.index(WATCH_OK)


def test_a_stalled_stream_is_reopened_from_its_last_version(
    lab: ServerThread, tmp_path: Path
) -> None:
    lab.server.watches.bookmark_every = 0.2  # a live stream is never quiet for long
    heard = Heard()
    with watching(options(lab, tmp_path), heard, kinds=("Pod", "Service"), stall_after=2.0):
        assert eventually(lambda: open_streams(lab, "Pod") == open_streams(lab, "Service") == 1)
        last = put(lab, pod("web-2"))
        assert heard.wait_for("Pod")
        assert lab.call(lab.server.watches.stall, "Pod") == 1
        # Silenced: no byte, no bookmark. The client gives up on it and asks again.
        assert eventually(lambda: len(opened(lab, "Pod")) == 2)
        resumed = opened(lab, "Pod")[1]
        assert int(resumed.resource_version) >= last
        assert eventually(lambda: open_streams(lab, "Pod") == 1)  # the stalled one closed
        put(lab, pod("web-3"))
        assert heard.wait_for("Pod", count=2)  # following again
        assert lists(lab) == {"pods": 1, "services": 1}  # reopened, not listed again
        assert len(opened(lab, "Service")) == 1  # a live stream with bookmarks stays open
        assert WATCH_LOST not in heard.kinds


@pytest.mark.parametrize("form", ["error event", "http status"])
def test_410_again_and_again_backs_off_instead_of_spinning(
    lab: ServerThread, tmp_path: Path, form: str
) -> None:
    heard = Heard()
    with watching(options(lab, tmp_path), heard, kinds=("Pod", "Service")):
        assert eventually(lambda: open_streams(lab, "Pod") == open_streams(lab, "Service") == 1)
        controls = lab.server.watches
        controls.gone_as_status = form == "http status"
        controls.always_expired = True  # every resumed watch meets a 410 from now on
        lab.call(controls.drop, "Pod")
        assert heard.wait_for("Pod", count=3)  # each 410 re-lists and reports the kind
        threading.Event().wait(3.0)
        counts = lists(lab)
    # A watcher that re-listed at once would have made hundreds of lists in those seconds;
    # pauses of 0, 1, 2, 4 s allow a handful however slow the machine (a bound, not a time).
    assert 3 <= counts["pods"] <= 8, counts
    assert counts["services"] == 1  # never re-listed: its stream was not touched
    assert WATCH_LOST not in heard.kinds  # the server answers: it is not lost
