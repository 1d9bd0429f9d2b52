"""A one-shot live read (`load_live_snapshot`: pages parsed as they arrive, the next page
asked for while one is decoded) against real servers on loopback: the same snapshot, and
the same one-line errors, as `build_snapshot(load_live(...))`, the followed read's way."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kpath.cluster.live import (
    CHAINED,
    LiveOptions,
    load_live,
    load_live_followed,
    load_live_snapshot,
)
from kpath.cluster.liveparse import object_key
from kpath.cluster.snapshot import build_snapshot
from kpath.errors import InputError, KpathError, SourceError
from kpath.lab.apiserver import ServerThread, serve_in_thread
from tests.integration.test_live_source import (
    Reply,
    _kubeconfig_for,
    _list,
    _Old,
    _serve_core,
    _url,
    cluster_objects,
    new_store,
    requests_during,
)
from tests.integration.test_live_source import old_server as old_server  # a fixture

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab() -> Any:
    with serve_in_thread(new_store()) as st:
        yield st


def both_ways(options: LiveOptions) -> Any:
    """Both reads of ``options`` give equal snapshots (or the same error): that outcome."""
    try:
        expected: Any = build_snapshot(load_live(options))
    except KpathError as exc:
        expected = (type(exc), str(exc))
    try:
        found: Any = load_live_snapshot(options)
    except KpathError as exc:
        found = (type(exc), str(exc))
    assert found == expected
    try:
        followed: Any = load_live_followed(options)[1]
    except KpathError as exc:
        followed = (type(exc), str(exc))
    assert followed == expected
    return found


def _shape(raw: Any) -> Any:
    """What a follower reads of a `RawCluster`: each kind's objects' identities, in order,
    and where its watches resume."""
    return (
        {kind: [object_key(o) for o in objs] for kind, objs in raw.objects.items()},
        raw.list_versions,
        raw.not_visible,
        raw.namespaces_read,
        raw.controllers_unread,
    )


@pytest.mark.parametrize(
    "scope",
    [
        {"all_namespaces": True},
        {"all_namespaces": True, "page_size": 1},
        {"namespace": "shop", "page_size": 2},  # controllers read across namespaces
        {"namespace": "other"},
        {"all_namespaces": True, "selector": "tier=front", "page_size": 1},
        {"namespace": "shop", "selector": "app=api"},
        {"namespace": "nowhere"},
    ],
)
def test_the_same_snapshot_as_reading_then_building(
    lab: ServerThread, tmp_path: Path, scope: dict[str, Any]
) -> None:
    kc = lab.server.write_kubeconfig(tmp_path / "kc")
    both_ways(LiveOptions(kubeconfig=str(kc), **scope))
    snapshot = load_live_snapshot(LiveOptions(kubeconfig=str(kc), **scope))
    if scope.get("all_namespaces") and "selector" not in scope:
        assert len(snapshot.pods) == 4 and len(snapshot.services) == 3
        assert sum(map(len, snapshot.slices.values())) == 3


@pytest.mark.parametrize(
    "scope",
    [
        {"all_namespaces": True},
        {"all_namespaces": True, "page_size": 1},
        {"namespace": "shop", "page_size": 2},
        {"all_namespaces": True, "selector": "tier=front", "page_size": 1},
        {"namespace": "shop", "selector": "app=api"},
    ],
)
def test_a_followed_read_keeps_the_objects_a_read_then_build_keeps(
    lab: ServerThread, tmp_path: Path, scope: dict[str, Any]
) -> None:
    """`load_live_followed`: `load_live_snapshot`'s snapshot, and the objects `load_live`
    reads (the same kinds, identities, order, list versions), with the same requests;
    the biggest kinds held as Structs until ``objects`` is read, then as dicts the
    snapshot builder reads as it read the Structs."""
    options = LiveOptions(kubeconfig=str(lab.server.write_kubeconfig(tmp_path / "kc")), **scope)
    (raw, snapshot), asked = requests_during(lab, lambda: load_live_followed(options))
    if scope.get("all_namespaces") and "selector" not in scope:
        assert any(type(o) is not dict for o in raw.held["Pod"])  # no dict made yet
    old, listed = requests_during(lab, lambda: load_live(options))
    assert sorted((r.path, r.query) for r in asked) == sorted((r.path, r.query) for r in listed)
    assert _shape(raw) == _shape(old)
    assert all(type(o) is dict for objs in raw.held.values() for o in objs)
    assert snapshot == build_snapshot(old) == build_snapshot(raw)


def _bad(objs: list[dict[str, Any]], kind: str, index: int, path: tuple[str, ...]) -> None:
    """Give object ``index`` of ``kind`` a field of the wrong type at ``path``."""
    obj = [o for o in objs if o["kind"] == kind][index]
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = {"not": "a string"}


def _serve_paged(server: Any, objs: list[dict[str, Any]], page: int) -> None:
    """Nodes, pods, services and slices served ``page`` items at a time; no Endpoints."""

    def lister(kind: str) -> Any:
        items = [o for o in objs if o["kind"] == kind]

        def reply(query: str) -> Reply:
            start = int(query.split("continue=")[1].split("&")[0]) if "continue=" in query else 0
            more = start + page < len(items)
            return _list(kind, items[start : start + page], str(start + page) if more else None)

        return reply

    _serve_core(
        server,
        nodes=lister("Node"),
        pods=lister("Pod"),
        services=lister("Service"),
    )
    server.routes["/apis/discovery.k8s.io/v1/endpointslices"] = lister("EndpointSlice")


@pytest.mark.parametrize(
    "bad",
    [
        [("Pod", 2, ("spec", "nodeName"))],
        [("Pod", 3, ("status", "podIP")), ("Node", 1, ("metadata", "name"))],
        [("EndpointSlice", 1, ("addressType",)), ("Service", 2, ("spec", "type"))],
        [("Service", 0, ("spec", "type")), ("Pod", 0, ("spec", "nodeName"))],
    ],
)
def test_a_wrongly_typed_field_is_the_same_objects_error(
    old_server: Any,
    tmp_path: Path,
    bad: list[tuple[str, int, tuple[str, ...]]],
) -> None:
    objs = copy.deepcopy(cluster_objects())
    for kind, index, path in bad:
        _bad(objs, kind, index, path)
    _serve_paged(old_server, objs, page=2)
    options = LiveOptions(
        kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server))),
        all_namespaces=True,
        page_size=2,
    )
    # The first refusal in build_snapshot's order of kinds, whatever order they are read in.
    first = min((k for k, _, _ in bad), key=("Node", "Pod", "Service", "EndpointSlice").index)
    error = both_ways(options)
    assert error[0] is InputError and f": {first} " in error[1], error


class _Dropping(_Old):
    """`_Old`, but a route that answers None drops the connection without a reply (a
    server going away in the middle of a list)."""

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        route = self.server.routes.get(path)  # type: ignore[attr-defined]
        if route is not None and route(query) is None:
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def dropping() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Dropping)
    server.routes = {}  # type: ignore[attr-defined]
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("bad_first", [False, True])
def test_a_server_gone_in_the_middle_of_a_list_says_so_first(
    dropping: ThreadingHTTPServer, tmp_path: Path, bad_first: bool
) -> None:
    objs = copy.deepcopy(cluster_objects())
    if bad_first:  # an object refused before the server went: the server's error wins
        _bad(objs, "Pod", 0, ("spec", "nodeName"))
    pods = [o for o in objs if o["kind"] == "Pod"]
    _serve_core(dropping)

    def paged(query: str) -> Reply | None:
        return None if "continue=" in query else _list("Pod", pods[:2], cont="next")

    dropping.routes["/api/v1/pods"] = paged  # type: ignore[attr-defined]
    options = LiveOptions(
        kubeconfig=str(_kubeconfig_for(tmp_path, _url(dropping))),
        all_namespaces=True,
        page_size=2,
    )
    error = both_ways(options)
    assert error[0] is SourceError
    assert error[1].startswith(f"cannot reach the API server at {_url(dropping)}: "), error


def test_a_stopped_server_is_the_same_error(tmp_path: Path) -> None:
    with serve_in_thread(new_store()) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        url = st.server.url
    with pytest.raises(SourceError) as info:
        load_live_snapshot(LiveOptions(kubeconfig=str(kc)))
    assert str(info.value) == f"cannot reach the API server at {url}: connection refused"


@pytest.mark.parametrize("scope", [{"all_namespaces": True}, {"namespace": "shop"}])
def test_pages_asked_for_ahead_are_each_asked_for_once(
    lab: ServerThread, tmp_path: Path, scope: dict[str, Any]
) -> None:
    kc = lab.server.write_kubeconfig(tmp_path / "kc")
    options = LiveOptions(kubeconfig=str(kc), page_size=1, **scope)
    _, asked = requests_during(lab, lambda: load_live_snapshot(options))
    seen = [(r.method, r.path, r.query) for r in asked]
    assert len(seen) == len(set(seen))  # no request twice, early or not
    _, one_by_one = requests_during(lab, lambda: load_live(options))
    assert sorted((r.path, r.query) for r in asked) == sorted((r.path, r.query) for r in one_by_one)
    pods = [r.query for r in asked if r.path.endswith("/pods")]
    assert len(pods) == (4 if "all_namespaces" in scope else 3)  # one pod a page, no more


def test_a_list_that_fails_stops_asking_for_pages_ahead(old_server: Any, tmp_path: Path) -> None:
    """Pages ask for the page after theirs themselves (`CHAINED` of them ahead at most):
    once the list failed, and the read with it, no more are asked for."""
    pod = next(o for o in cluster_objects() if o["kind"] == "Pod")

    def paged(query: str) -> Reply:
        at = int(query.split("continue=")[1].split("&")[0]) if "continue=" in query else 0
        if at == 3:  # a page whose head looks right and whose items are not JSON
            head = b'{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"4"},"items":['
            return 200, "application/json", head + b"not json"
        return _list("Pod", [pod], str(at + 1) if at < 40 else None)

    _serve_core(old_server, pods=paged)
    options = LiveOptions(
        kubeconfig=str(_kubeconfig_for(tmp_path, _url(old_server))),
        all_namespaces=True,
        page_size=1,
    )
    with pytest.raises(SourceError, match="sent a reply that is not JSON for /api/v1/pods"):
        load_live_snapshot(options)
    pages = [q for _, p, q in old_server.seen if p == "/api/v1/pods"]
    assert len(pages) == len(set(pages))
    assert 4 <= len(pages) <= 4 + CHAINED  # the failed page's and those already under way
