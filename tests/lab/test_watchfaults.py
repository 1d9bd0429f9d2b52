"""The lab's watch faults (`kpath.lab.watchfaults`) seen from a plain HTTP client: what a
client of a real API server can meet, caused on purpose."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from kpath.lab.apiserver import ServerThread
from kpath.lab.watchfaults import WatchOpened
from tests.lab.conftest import wait_for_watchers

pytestmark = pytest.mark.lab

Obj = dict[str, Any]


def rv_of(api: ServerThread) -> str:
    return str(api.call(lambda: api.store.resource_version))


def lines(response: httpx.Response) -> Iterator[Obj]:
    return (json.loads(line) for line in response.iter_lines() if line)


def until(check: Callable[[], bool]) -> bool:
    """Poll ``check`` for up to 10 s."""
    for _ in range(500):
        if check():
            return True
        threading.Event().wait(0.02)
    return check()


def node(name: str) -> Obj:
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name}}


def test_watches_are_recorded_as_they_begin(api: ServerThread) -> None:
    rv = rv_of(api)
    params = {"watch": "1", "resourceVersion": rv, "allowWatchBookmarks": "true"}
    with httpx.stream(
        "GET", f"{api.server.url}/api/v1/namespaces/shop/pods", params=params, timeout=20
    ):
        wait_for_watchers(api)
        # The request record has nothing yet (it notes a request when it ends).
        assert api.call(api.server.watches.opened_for, "Pod") == [
            WatchOpened("Pod", "shop", rv, True)
        ]
        assert api.call(api.server.watches.open_count, "Pod") == 1


def test_a_stalled_stream_stays_open_and_sends_nothing(api: ServerThread) -> None:
    api.server.watches.bookmark_every = 0.1
    params = {"watch": "1", "resourceVersion": rv_of(api), "allowWatchBookmarks": "true"}
    timeout = httpx.Timeout(20, read=1.5)
    with httpx.stream("GET", f"{api.server.url}/api/v1/pods", params=params, timeout=timeout) as r:
        events = lines(r)
        assert next(events)["type"] == "BOOKMARK"
        assert next(events)["type"] == "BOOKMARK"  # bookmark_every: the stream is alive
        assert api.call(api.server.watches.stall, "Pod") == 1
        api.call(api.store.put, {**api.call(api.store.get, "Pod", "shop", "web-1")})
        with pytest.raises(httpx.ReadTimeout):  # neither the change nor a bookmark
            for _ in events:
                pass
    # The client gave up: the server notices and ends the silent stream.
    assert until(lambda: api.call(api.server.watches.open_count, "Pod") == 0)
    assert api.call(lambda: api.store.watcher_count) == 0


def test_a_dropped_stream_is_cut_mid_stream(api: ServerThread) -> None:
    params = {"watch": "1", "resourceVersion": "0"}
    with httpx.stream("GET", f"{api.server.url}/api/v1/pods", params=params, timeout=20) as r:
        events = lines(r)
        assert next(events)["type"] == "ADDED"
        wait_for_watchers(api)
        assert api.call(api.server.watches.drop, "Service") == 0  # another kind: untouched
        assert api.call(api.server.watches.drop, "Pod") == 1
        with pytest.raises(httpx.HTTPError):  # not a clean end of the chunked stream
            for _ in events:
                pass
    assert api.call(api.server.watches.open_count) == 0


@pytest.mark.parametrize("as_status", [False, True])
def test_after_compaction_an_older_version_is_410_in_either_form(
    api: ServerThread, as_status: bool
) -> None:
    old = rv_of(api)
    api.call(api.store.put, node("n9"))
    oldest = api.call(api.store.compact)
    api.server.watches.gone_as_status = as_status
    url = f"{api.server.url}/api/v1/pods"
    r = httpx.get(url, params={"watch": "1", "resourceVersion": old}, timeout=20)
    if as_status:
        assert r.status_code == 410
        body = r.json()
    else:
        assert r.status_code == 200
        (event,) = [json.loads(line) for line in r.text.splitlines()]
        assert event["type"] == "ERROR"
        body = event["object"]
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "Expired", 410)
    assert f"too old resource version: {old} ({oldest})" == body["message"]
    # From the compaction point on, watching works again.
    r = httpx.get(
        url,
        params={"watch": "1", "resourceVersion": str(oldest), "timeoutSeconds": "1"},
        timeout=20,
    )
    assert r.status_code == 200 and "ERROR" not in r.text


def test_end_after_ends_streams_before_the_client_timeout(api: ServerThread) -> None:
    api.server.watches.end_after = 0.3
    params = {"watch": "1", "resourceVersion": rv_of(api), "timeoutSeconds": "600"}
    with httpx.stream("GET", f"{api.server.url}/api/v1/pods", params=params, timeout=20) as r:
        assert list(lines(r)) == []  # a clean end of stream, long before 600 s
    assert api.server.watches.seconds(600) == 0.3
    api.server.watches.end_after = None
    assert api.server.watches.seconds(600) == 600


def test_the_listener_restarts_on_the_same_port_with_the_same_objects(api: ServerThread) -> None:
    url = api.server.url
    before = httpx.get(f"{url}/api/v1/pods", timeout=20).json()["items"]
    api.run(api.server.stop())
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/v1/pods", timeout=20)
    api.run(api.server.start())
    assert api.server.url == url
    assert httpx.get(f"{url}/api/v1/pods", timeout=20).json()["items"] == before
