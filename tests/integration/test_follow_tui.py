"""The TUI follows a served dump (`kpath lab --dump`) from watch events, as the command line
wires it: a killed pod and a rollout reach the screen, and the lab's request record shows
no LIST after the initial load."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from benchmarks.generate_cluster import Scale, generate
from kpath.cli import _cluster_source, _view_scope
from kpath.cluster.records import ObjectKey
from kpath.lab.dumplab import DumpLab, load_store
from kpath.tui.app import KpathApp
from kpath.tui.launch import build_app
from kpath.tui.widgets.status_bar import WATCHING
from tests.test_source import flags

pytestmark = [pytest.mark.lab, pytest.mark.anyio]
T = TypeVar("T")


class ServedDump:
    """A `DumpLab` on an event loop of its own, as `kpath lab --dump` runs it."""

    def __init__(self, dump: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.lab = DumpLab(load_store([dump]))
        asyncio.run_coroutine_threadsafe(self.lab.start(), self.loop).result(30)

    def call(self, fn: Callable[[], T]) -> T:
        async def go() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(go(), self.loop).result(30)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.lab.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def lists(self) -> dict[str, int]:
        return self.call(self.lab.requests_by_verb).get("list", {})

    def pod_names(self) -> set[str]:
        return {p["metadata"]["name"] for p in self.call(lambda: self.lab.store.list("Pod"))}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedDump]:
    dump = tmp_path / "cluster.json"
    generate(dump, Scale(nodes=6, pods=80, services=12, external=4, ingresses=2, zones=2))
    running = ServedDump(dump)
    try:
        yield running
    finally:
        running.stop()


def app_for(served: ServedDump, tmp_path: Path) -> KpathApp:
    """As ``kpath --kubeconfig FILE -A`` wires it."""
    kubeconfig = served.lab.api.write_kubeconfig(tmp_path / "kc")
    args = flags(kubeconfig=str(kubeconfig), all_namespaces=True)
    return build_app(_cluster_source(args), _view_scope(args))


async def until(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def pods_shown(app: KpathApp) -> set[str]:
    analysis = app.main.analysis
    return {k.name for k in analysis.snapshot.pods} if analysis is not None else set()


def owners(app: KpathApp, pods: set[str]) -> set[ObjectKey]:
    """The services whose endpoints are these pods, in the analysis on screen."""
    analysis = app.main.analysis
    assert analysis is not None
    return {
        key
        for key, routes in analysis.routes.items()
        for r in routes
        for t in r.targets
        if t.pod is not None and t.pod.name in pods
    }


async def test_the_tui_follows_a_killed_pod_and_a_rollout_with_no_list(
    served: ServedDump, tmp_path: Path
) -> None:
    app = app_for(served, tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert app.main.status.watching == WATCHING
        assert pods_shown(app) == served.pod_names()
        loaded = served.lists()
        assert loaded  # the initial load listed
        assert await until(lambda: served.call(lambda: served.lab.store.watcher_count) > 0)
        await asyncio.sleep(0.5)  # every kind's stream open (a change before would replay)
        before = served.pod_names()
        killed = await asyncio.to_thread(served.call, served.lab.churn.kill)
        assert killed.replaced == 1
        after = served.pod_names()
        new = after - before
        assert await until(lambda: pods_shown(app) == after), (before - after, new)
        assert await until(lambda: bool(owners(app, new)))  # its service's endpoints now
        rolled = await asyncio.to_thread(served.call, served.lab.churn.rollout)
        assert rolled.replaced > 0
        assert await until(lambda: pods_shown(app) == served.pod_names())
        assert await until(lambda: bool(app.painted))
        # Watches only: nothing listed again since the initial load.
        assert served.lists() == loaded
        assert served.call(served.lab.requests_by_verb)["watch"]
        # The screen repainted the services the pods belong to, not everything.
        assert any(c.services and not c.everything for _, _, c in app.painted)
        shown = owners(app, new)
        assert any(shown & c.services for _, _, c in app.painted)
        follow = app._stop_watch
        assert not follow.is_set()
        await pilot.press("q")
    assert follow.is_set()  # quitting stopped the follow
