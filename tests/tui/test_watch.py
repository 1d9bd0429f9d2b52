"""A live source with a `watcher` (one that only says which kinds changed): a deployment
scaled behind the UI's back shows up without `r` once the watcher says so, the header says
it is watching, and quitting stops the watch."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import build_snapshot
from kpath.lab.runner import LabThread
from kpath.routing.analysis import Analysis, analyse
from kpath.source import LoadedSource
from kpath.tui.app import KpathApp
from kpath.tui.widgets.status_bar import WATCH_LOST, WATCHING
from tests.tui.helpers import clock, screen_text

pytestmark = [pytest.mark.anyio, pytest.mark.lab]

#: The storefront Service fronts the `web` Deployment (3 replicas in the scenario).
WEB = ObjectKey("shop", "storefront")


@pytest.fixture
def lab() -> Iterator[LabThread]:
    with LabThread("shop") as lab:
        yield lab


@pytest.fixture
def options(lab: LabThread, tmp_path: Path) -> LiveOptions:
    kc = lab.write_kubeconfig(tmp_path / "kubeconfig")
    return LiveOptions(kubeconfig=str(Path(kc)), all_namespaces=True)


def live_app(options: LiveOptions, watcher: Callable[..., None] | None) -> KpathApp:
    def load() -> Analysis:
        return analyse(build_snapshot(load_live(options)))

    return KpathApp(LoadedSource(load, origin="lab", live=True, watcher=watcher), clock=clock)


def web_ready(app: KpathApp) -> int | None:
    return next((r.ready for r in app.main.table.rows if r.key == WEB), None)


async def until(pilot, check: Callable[[], bool], tries: int = 150) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if check():
            return True
        await pilot.pause(0.1)
    return check()


async def test_a_scaled_deployment_shows_up_without_refreshing(
    lab: LabThread, options: LiveOptions
) -> None:
    stops: list[threading.Event] = []
    scaled = threading.Event()

    def watcher(on_change: Callable[[str], None], stop: threading.Event) -> None:
        # A watcher says which kinds changed: here, once the lab scaled the deployment.
        stops.append(stop)
        if scaled.wait(10):
            on_change("Pod")
        stop.wait(30)

    app = live_app(options, watcher)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert web_ready(app) == 3
        assert app.main.status.watching == WATCHING
        assert f"live │ {WATCHING}" in screen_text(app)
        first = app.main.analysis
        await lab_call(lab.scale, "shop", "web", 1)
        scaled.set()
        assert await until(pilot, lambda: web_ready(app) == 1), web_ready(app)
        assert app.main.analysis is not first
        # The changed service is marked as with `r`.
        assert WEB in app.main._flash
        await pilot.press("q")
    assert stops and stops[0].is_set()


async def test_without_a_watcher_the_live_app_waits_for_r(
    lab: LabThread, options: LiveOptions
) -> None:
    app = live_app(options, None)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert app.main.status.watching == ""
        assert web_ready(app) == 3
        await lab_call(lab.scale, "shop", "web", 1)
        await pilot.pause(1.5)  # longer than a watched reload would take to start
        assert web_ready(app) == 3  # nobody told it
        await pilot.press("r")
        assert await until(pilot, lambda: web_ready(app) == 1)


async def test_a_lost_watch_is_shown_and_recovery_reloads(options: LiveOptions) -> None:
    from kpath.source import WATCH_LOST as LOST
    from kpath.source import WATCH_OK as OK

    told = threading.Event()

    def watcher(on_change: Callable[[str], None], stop: threading.Event) -> None:
        on_change(LOST)
        told.wait(10)
        on_change(OK)
        stop.wait(10)

    app = live_app(options, watcher)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert await until(pilot, lambda: app.main.status.watching == WATCH_LOST)
        assert WATCH_LOST in screen_text(app)
        read = app.main.analysis
        told.set()
        assert await until(pilot, lambda: app.main.status.watching == WATCHING)
        assert await until(pilot, lambda: app.main.analysis is not read)


async def lab_call(fn: Callable[..., None], *args: object) -> None:
    """Lab methods block; run them off the app's event loop."""
    import asyncio

    await asyncio.to_thread(fn, *args)


async def test_a_burst_of_changes_is_one_reload(options: LiveOptions) -> None:
    """A rollout is dozens of events: the app reloads once things go quiet, not per event."""
    loads: list[float] = []
    burst = threading.Event()

    def load() -> Analysis:
        loads.append(1.0)
        return analyse(build_snapshot(load_live(options)))

    def watcher(on_change: Callable[[str], None], stop: threading.Event) -> None:
        burst.wait(10)
        for n in range(30):
            on_change("Pod" if n % 2 else "EndpointSlice")
            stop.wait(0.01)
        stop.wait(30)

    app = KpathApp(LoadedSource(load, origin="lab", live=True, watcher=watcher), clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert len(loads) == 1
        burst.set()
        assert await until(pilot, lambda: len(loads) == 2)
        await pilot.pause(2.5)  # longer than the quiet spell and the minimum gap together
        await app.wait_for_work()
        assert len(loads) == 2
