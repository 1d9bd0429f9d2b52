"""`kpath lab --dump`: the lab's real API server over a generated dump, on loopback.

httpx, kubectl and the official client read it; watches, streaming lists, 410 Gone and the
churn are seen on real streams; the request record counts LIST and WATCH per resource.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from kubernetes import client, config

from benchmarks.generate_cluster import Scale, generate
from kpath.lab.dumplab import DumpLab, load_store
from tests.lab.conftest import KUBECTL, run_kubectl

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
KINDS = "nodes,pods,services,endpointslices,ingresses"
pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dump") / "cluster.json"
    generate(path, Scale(nodes=6, pods=80, services=12, external=2, ingresses=2, zones=2))
    return path


@pytest.fixture(scope="module")
def items(dump: Path) -> list[dict[str, Any]]:
    return json.loads(dump.read_text(encoding="utf-8"))["items"]  # type: ignore[no-any-return]


class Running:
    """A `DumpLab` on its own event loop in a thread, as `kpath lab --dump` runs it."""

    def __init__(self, dump: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.lab = DumpLab(load_store([dump]))
        self.url = self.run(self.lab.start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def call(self, fn: Callable[[], T]) -> T:
        async def go() -> T:
            return fn()

        return self.run(go())

    def stop(self) -> None:
        self.run(self.lab.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def lab(dump: Path) -> Iterator[Running]:
    running = Running(dump)
    try:
        yield running
    finally:
        running.stop()


def pages(url: str, path: str, limit: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item of a paged list, and each page's metadata."""
    got: list[dict[str, Any]] = []
    metas: list[dict[str, Any]] = []
    token = ""
    while True:
        params = {"limit": str(limit), **({"continue": token} if token else {})}
        doc = httpx.get(url + path, params=params).json()
        got += doc["items"]
        metas.append(doc["metadata"])
        token = doc["metadata"].get("continue", "")
        if not token:
            return got, metas


def of_kind(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    mine = [i for i in items if i["kind"] == kind]
    return sorted(mine, key=lambda i: (i["metadata"].get("namespace", ""), i["metadata"]["name"]))


def test_paged_lists_serve_every_object_of_the_dump_as_it_was(
    lab: Running, items: list[dict[str, Any]]
) -> None:
    pods, metas = pages(lab.url, "/api/v1/pods", 7)
    assert pods == of_kind(items, "Pod")
    assert metas[0]["remainingItemCount"] == len(pods) - 7
    assert "continue" not in metas[-1]
    assert len({m["resourceVersion"] for m in metas}) == 1
    slices, _ = pages(lab.url, "/apis/discovery.k8s.io/v1/endpointslices", 5)
    assert slices == of_kind(items, "EndpointSlice")
    ns = pods[0]["metadata"]["namespace"]
    in_ns = httpx.get(f"{lab.url}/api/v1/namespaces/{ns}/pods").json()["items"]
    assert in_ns == [p for p in pods if p["metadata"]["namespace"] == ns]


def test_selectors_and_gets_read_the_decoded_objects(
    lab: Running, items: list[dict[str, Any]]
) -> None:
    first = next(p for p in of_kind(items, "Pod") if "app" in p["metadata"]["labels"])
    app = first["metadata"]["labels"]["app"]
    got = httpx.get(f"{lab.url}/api/v1/pods", params={"labelSelector": f"app={app}"}).json()
    want = [p for p in of_kind(items, "Pod") if p["metadata"]["labels"].get("app") == app]
    assert 0 < len(want) < len(of_kind(items, "Pod"))
    assert got["items"] == want
    meta = first["metadata"]
    one = httpx.get(f"{lab.url}/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}")
    assert one.json() == first


def test_the_official_client_lists_and_decodes_every_pod(
    lab: Running, items: list[dict[str, Any]], tmp_path: Path
) -> None:
    kubeconfig = lab.lab.api.write_kubeconfig(tmp_path / "kc")
    api = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))  # type: ignore[no-untyped-call]
    names = [p.metadata.name if p.metadata else "" for p in api.list_pod_for_all_namespaces().items]
    assert names == [p["metadata"]["name"] for p in of_kind(items, "Pod")]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (not on PATH)")
def test_kubectl_reads_the_dump_in_chunks_and_as_json(
    lab: Running, items: list[dict[str, Any]], tmp_path: Path
) -> None:
    kubeconfig = lab.lab.api.write_kubeconfig(tmp_path / "kc")
    table = run_kubectl(
        kubeconfig, "get", "pods", "-A", "--chunk-size", "9", cache=tmp_path / "cache"
    )
    assert table.returncode == 0, table.stderr
    rows = table.stdout.splitlines()[1:]
    assert [r.split()[1] for r in rows] == [p["metadata"]["name"] for p in of_kind(items, "Pod")]
    out = run_kubectl(kubeconfig, "get", KINDS, "-A", "-o", "json", cache=tmp_path / "cache")
    assert out.returncode == 0, out.stderr
    kinds = [i["kind"] for i in json.loads(out.stdout)["items"]]
    for kind in ("Node", "Pod", "Service", "EndpointSlice", "Ingress"):
        assert kinds.count(kind) == len(of_kind(items, kind))
    lists = lab.call(lab.lab.requests_by_verb)["list"]
    assert lists["pods"] >= 2 + len(of_kind(items, "Pod")) // 9  # chunked: many pages


def read_events(
    lines: Iterator[str], until: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    events = []
    for line in lines:
        events.append(json.loads(line))
        if until(events[-1]):
            return events
    raise AssertionError(f"the stream ended after {len(events)} events")


def is_initial_end(event: dict[str, Any]) -> bool:
    annotations = event["object"]["metadata"].get("annotations") or {}
    return event["type"] == "BOOKMARK" and annotations.get("k8s.io/initial-events-end") == "true"


def test_a_streaming_list_then_the_churn_arrive_on_one_watch(
    lab: Running, items: list[dict[str, Any]]
) -> None:
    params = {
        "watch": "1",
        "sendInitialEvents": "true",
        "allowWatchBookmarks": "true",
        "resourceVersionMatch": "NotOlderThan",
        "resourceVersion": "",
        "timeoutSeconds": "20",
    }
    with httpx.stream("GET", f"{lab.url}/api/v1/pods", params=params, timeout=30) as r:
        lines = r.iter_lines()
        initial = read_events(lines, is_initial_end)
        added = [e["object"] for e in initial[:-1]]
        assert {e["type"] for e in initial[:-1]} == {"ADDED"}
        assert added == of_kind(items, "Pod")
        rv = int(initial[-1]["object"]["metadata"]["resourceVersion"])
        # Counted while the stream is open, not only once it ends; no LIST was made.
        assert lab.call(lab.lab.requests_by_verb) == {"watch": {"pods": 1}}
        step = lab.call(lab.lab.churn.rollout)
        assert step.replaced > 0 and step.slices > 0
        old = {p["metadata"]["name"] for p in added}
        changes = read_events(
            lines, lambda e: e["type"] == "ADDED" and e["object"]["metadata"]["name"] not in old
        )
    assert changes[0]["type"] == "DELETED"
    assert all(int(e["object"]["metadata"]["resourceVersion"]) > rv for e in changes)
    # The slices that listed the old pods now list the new ones, at their new addresses.
    slices = httpx.get(f"{lab.url}/apis/discovery.k8s.io/v1/endpointslices").json()["items"]
    listed = {
        ep["targetRef"]["name"]: ep["addresses"][0]
        for s in slices
        for ep in s.get("endpoints") or []
        if ep.get("targetRef")
    }
    new = [e["object"] for e in changes if e["type"] == "ADDED"]
    assert listed[new[0]["metadata"]["name"]] == new[0]["status"]["podIP"]
    assert changes[0]["object"]["metadata"]["name"] not in listed


def test_a_watch_resumes_and_a_node_flap_is_seen(lab: Running) -> None:
    rv = httpx.get(f"{lab.url}/api/v1/nodes").json()["metadata"]["resourceVersion"]
    down = lab.call(lab.lab.churn.flap_node)
    for _ in range(3):
        lab.call(lab.lab.churn.kill)
    up = lab.call(lab.lab.churn.flap_node)
    assert (down.node, down.node_ready, up.node_ready) == (up.node, False, True)
    params = {"watch": "1", "resourceVersion": rv, "timeoutSeconds": "1"}
    events = [
        json.loads(line)
        for line in httpx.get(
            f"{lab.url}/api/v1/nodes", params=params, timeout=10
        ).text.splitlines()
    ]
    ready = [
        [c["status"] for c in e["object"]["status"]["conditions"] if c["type"] == "Ready"]
        for e in events
    ]
    assert [e["type"] for e in events] == ["MODIFIED", "MODIFIED"]
    assert ready == [["Unknown"], ["True"]]


def test_a_version_from_before_the_load_is_410_gone(lab: Running) -> None:
    params = {"watch": "1", "resourceVersion": "5", "timeoutSeconds": "1"}
    (line,) = httpx.get(f"{lab.url}/api/v1/pods", params=params, timeout=10).text.splitlines()
    event = json.loads(line)
    assert (event["type"], event["object"]["code"]) == ("ERROR", 410)


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ({"sendInitialEvents": "true", "allowWatchBookmarks": "true"}, "resourceVersionMatch"),
        (
            {"sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan"},
            "allowWatchBookmarks",
        ),
        ({"resourceVersionMatch": "NotOlderThan"}, "unless sendInitialEvents"),
    ],
)
def test_streaming_list_options_are_checked_as_the_api_server_does(
    lab: Running, query: dict[str, str], why: str
) -> None:
    r = httpx.get(f"{lab.url}/api/v1/pods", params={"watch": "1", **query})
    assert r.status_code == 422 and why in r.json()["message"]


def test_the_control_endpoint_counts_lists_and_watches_per_resource(lab: Running) -> None:
    httpx.get(f"{lab.url}/api/v1/pods", params={"limit": "10"})
    httpx.get(f"{lab.url}/api/v1/nodes")
    httpx.get(f"{lab.url}/api/v1/nodes", params={"watch": "1", "timeoutSeconds": "1"}, timeout=10)
    ctl = lab.lab.control_url
    tick = httpx.post(f"{ctl}/churn/tick").json()
    assert tick["podsReplaced"] > 0 and tick["nodeReady"] is False
    counts = httpx.get(f"{ctl}/requests").json()
    assert counts["list"] == {"nodes": 1, "pods": 1}
    assert counts["watch"] == {"nodes": 1}
    state = httpx.get(f"{ctl}/").json()
    assert state["churnTicks"] == 1 and state["objects"]["Pod"] == 80
    assert httpx.post(f"{ctl}/churn/nope").status_code == 400


def test_kpath_lab_dump_serves_until_stopped(dump: Path, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "lab.kubeconfig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kpath",
            "lab",
            "--dump",
            str(dump),
            "--kubeconfig-out",
            str(kubeconfig),
            "--churn",
            "0.2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(3)]
        assert "no data plane" in banner[0] and "Pod 80" in banner[1]
        assert banner[2].strip() == f"kubeconfig: {kubeconfig}"
        url = next(
            line.split()[-1] for line in kubeconfig.read_text().splitlines() if "server:" in line
        )
        first = int(httpx.get(f"{url}/api/v1/pods").json()["metadata"]["resourceVersion"])
        for _ in range(100):  # the churn runs on its own: the version moves
            if int(httpx.get(f"{url}/api/v1/pods").json()["metadata"]["resourceVersion"]) > first:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the churn changed nothing")
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dump", "X", "--scenario", "shop"], "not both"),
        (["--churn"], "--churn needs --dump"),
        (["--dump", "/nonexistent/dump.json"], "dump.json"),
    ],
)
def test_kpath_lab_dump_mistakes_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "kpath", "lab", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_big_unpaged_list_is_streamed_whole_and_valid() -> None:
    from kpath.lab.apiserver import serve_in_thread
    from kpath.lab.bytestore import EncodedStore

    store = EncodedStore()
    store.load(
        "Pod",
        [
            {
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": {
                    "name": f"p{i:04}",
                    "namespace": "a",
                    "uid": str(i),
                    "creationTimestamp": "2026-01-01T00:00:00Z",
                    "resourceVersion": "3",
                },
            }
            for i in range(1234)
        ],
    )
    with serve_in_thread(store) as st:
        whole = httpx.get(f"{st.server.url}/api/v1/pods").json()
        paged = httpx.get(f"{st.server.url}/api/v1/pods", params={"limit": "1100"}).json()
    assert [p["metadata"]["name"] for p in whole["items"]] == [f"p{i:04}" for i in range(1234)]
    assert "continue" not in whole["metadata"]
    assert len(paged["items"]) == 1100 and paged["metadata"]["remainingItemCount"] == 134
