"""The live UI against the lab's API server when it goes away, comes back, moves, or was
never there: the error in place of the view, "stale since", a watch that follows the server
the loads read, and a context switch that never shows the old cluster under the new name;
and a live source with no follower, read again only with `r`."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from kpath.cli import _cluster_source, _load, _view_scope
from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import build_snapshot
from kpath.lab.runner import LabThread
from kpath.routing.analysis import Analysis, analyse
from kpath.source import LoadedSource
from kpath.tui.app import KpathApp
from kpath.tui.launch import build_app
from kpath.tui.screens.picker import Picker
from kpath.tui.widgets.status_bar import WATCH_LOST, WATCHING
from tests.tui.helpers import clock, screen_text
from tests.tui.test_launch import flags

pytestmark = [pytest.mark.anyio, pytest.mark.lab]

WEB = ObjectKey("shop", "storefront")
STALE = re.compile(r"stale since \d\d:\d\d:\d\d")


@pytest.fixture
def lab() -> Iterator[LabThread]:
    with LabThread("shop") as lab:
        yield lab


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound by nobody's listener: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def app_for(kubeconfig: Path) -> KpathApp:
    """As ``kpath tui --kubeconfig FILE -A`` wires it: the CLI's loader and watch."""
    args = flags(kubeconfig=str(kubeconfig), all_namespaces=True)
    return build_app(_cluster_source(args), _view_scope(args))


async def until(check: Callable[[], bool], seconds: float = 60.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def web_ready(app: KpathApp) -> int | None:
    return next((r.ready for r in app.main.table.rows if r.key == WEB), None)


def add_context(kubeconfig: Path, name: str, server: str) -> None:
    doc = yaml.safe_load(kubeconfig.read_text())
    doc["clusters"].append({"name": name, "cluster": {"server": server}})
    doc["users"].append({"name": name, "user": {}})
    doc["contexts"].append({"name": name, "context": {"cluster": name, "user": name}})
    kubeconfig.write_text(yaml.safe_dump(doc))


async def test_an_api_server_unreachable_at_start_is_the_error_on_screen_and_exit_2(
    tmp_path: Path, closed_port: int
) -> None:
    from kpath.lab.kubeconfig import write_kubeconfig

    kc = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{closed_port}")
    app = app_for(kc)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        text = screen_text(app)
        assert "Loading…" not in text
        assert f"cannot reach the API server at http://127.0.0.1:{closed_port}" in text
        with pytest.raises(Exception) as cli:  # what `kpath paths` says for the same flags
            _load(flags(kubeconfig=str(kc), all_namespaces=True))
        assert app.failure == str(cli.value)
        assert not STALE.search(text)  # nothing shown, so nothing stale: the error says it
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == app.return_value == 2


async def test_a_failed_context_switch_never_shows_the_old_cluster_under_the_new_name(
    lab: LabThread, tmp_path: Path, closed_port: int
) -> None:
    kc = lab.write_kubeconfig(tmp_path / "kc")
    add_context(kc, "gone", f"http://127.0.0.1:{closed_port}")
    app = app_for(kc)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert "shop/storefront" in screen_text(app)
        await pilot.press("c")
        assert isinstance(app.screen, Picker)
        await pilot.press("end", "enter")  # "gone" is listed after kpath-lab
        assert await until(lambda: bool(app.failure))
        await app.wait_for_work()
        await pilot.pause()
        text = screen_text(app)
        assert "context gone" in text.splitlines()[0]
        assert "shop/storefront" not in text and "shop/" not in text
        assert f"http://127.0.0.1:{closed_port}" in text  # why: on screen, one line
        assert app.main.analysis is None and app.main.probes == {}
        # Back to the lab: it shows again, under its own name.
        await pilot.press("c", "home", "enter")
        assert await until(lambda: app.main.analysis is not None)
        await pilot.pause()
        assert "context kpath-lab" in screen_text(app).splitlines()[0]
        assert app.failure == ""
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_an_outage_is_stale_since_and_recovery_makes_the_view_fresh(
    lab: LabThread, tmp_path: Path
) -> None:
    kc = lab.write_kubeconfig(tmp_path / "kc")
    port = int(str(lab.api_url).rsplit(":", 1)[1])
    app = app_for(kc)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        shown = app.main.analysis
        assert app.main.status.watching == WATCHING and not STALE.search(screen_text(app))
        await asyncio.to_thread(lab.stop_api)
        assert await until(lambda: bool(app.main.status.stale))
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert STALE.search(header), header
        assert app.main.analysis is shown  # the last view stays, marked stale
        assert await until(lambda: bool(app.main.status.error))  # a retried load failed
        assert app.main.status.watching == WATCH_LOST
        await asyncio.to_thread(lab.scale, "shop", "web", 1)  # changed while unreachable
        await asyncio.to_thread(lab.start_api, port)
        assert await until(lambda: app.main.status.stale == "" and web_ready(app) == 1)
        assert await until(lambda: app.main.status.watching == WATCHING)
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert not STALE.search(header) and "✗" not in header and WATCHING in header


async def test_after_the_server_moves_reload_and_watch_both_follow_it(
    lab: LabThread, tmp_path: Path
) -> None:
    kc = lab.write_kubeconfig(tmp_path / "kc")
    old = str(lab.api_url)
    app = app_for(kc)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert old in app.origin
        await asyncio.to_thread(lab.stop_api)
        new = await asyncio.to_thread(lab.start_api, 0)
        assert new != old
        lab.write_kubeconfig(kc)  # the restarted server's address, as a new kubeconfig has
        await pilot.press("r")
        assert await until(lambda: new in app.origin)
        assert await until(
            lambda: app.main.status.watching == WATCHING and not app.main.status.stale
        )
        await asyncio.sleep(3.0)  # past the one load a restarted watch adds
        await app.wait_for_work()
        # Heard by the watch on the new server: no `r`, and sooner than the retried loads.
        await asyncio.to_thread(lab.scale, "shop", "web", 1)
        assert await until(lambda: web_ready(app) == 1, seconds=15)
        assert app.main.status.watching == WATCHING


async def test_a_live_source_with_no_follower_waits_for_r(lab: LabThread, tmp_path: Path) -> None:
    kc = lab.write_kubeconfig(tmp_path / "kc")
    options = LiveOptions(kubeconfig=str(kc), all_namespaces=True)

    def load() -> Analysis:
        return analyse(build_snapshot(load_live(options)))

    app = KpathApp(LoadedSource(load, origin="lab", live=True), clock=clock)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert app.main.status.watching == ""
        assert WATCHING not in screen_text(app).splitlines()[0]
        assert web_ready(app) == 3
        await asyncio.to_thread(lab.scale, "shop", "web", 1)
        await pilot.pause(1.5)
        assert web_ready(app) == 3  # nobody told it
        await pilot.press("r")
        assert await until(lambda: web_ready(app) == 1)
