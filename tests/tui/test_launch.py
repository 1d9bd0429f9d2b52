"""From CLI flags to the UI: a dump opens offline, a lab context opens live, and quitting
the demo (the lab wrapped around the UI, as ``kpath demo`` does) stops the lab."""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kpath.cli import _cluster_source, _load, _view_scope
from kpath.probe.consent import UI_NOTE
from kpath.tui.launch import build_app
from kpath.tui.widgets.status_bar import WATCHING
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.anyio

DUMP = Path("/work/shared/realworld/dumps/minikube-ingress-nginx-npguard")
if not DUMP.exists():  # the realworld set is shared outside the repo; use any dump we ship
    DUMP = Path(__file__).resolve().parents[1] / "data" / "hostile" / "hostile.json"


def flags(**kw: object) -> argparse.Namespace:
    base = dict(
        dump=None,
        kubeconfig=None,
        context=None,
        namespace=None,
        all_namespaces=False,
        selector=None,
        internal=False,
    )
    return argparse.Namespace(**{**base, **kw})


async def test_dump_opens_offline() -> None:
    args = flags(dump=[str(DUMP)])
    app = build_app(_cluster_source(args), _view_scope(args))
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await app.wait_loaded(pilot.pause)
        text = screen_text(app)
        assert UI_NOTE in text
        assert app.main.analysis is not None and app.main.table.visible_count > 0
        assert app.main.status.watching == ""  # a dump is never watched
        # `p` says why not, in the words `kpath probe --dump` refuses with.
        assert app.check_action("refresh", ()) and app.check_action("probe", ())
        await pilot.press("p")
        await pilot.pause()
        toasts = " ".join(" ".join(str(t.render()) for t in app.screen.query("Toast")).split())
        assert "not probing: a dump's addresses belong to the network it was taken" in toasts
        assert app.main.status.probes == ""  # and nothing was probed


@pytest.mark.lab
async def test_demo_lab_opens_live_and_quitting_stops_the_lab() -> None:
    from kpath.lab.runner import start_demo_lab

    with start_demo_lab() as lab, tempfile.TemporaryDirectory(prefix="kpath-") as tmp:
        kubeconfig = lab.write_kubeconfig(Path(tmp) / "kubeconfig")
        api = urlsplit(lab.api_url)
        args = flags(kubeconfig=str(kubeconfig), all_namespaces=True)
        app = build_app(_cluster_source(args), _view_scope(args))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.wait_loaded(pilot.pause)
            text = screen_text(app)
            assert "│ live" in text and "context kpath-lab" in text
            assert f"│ {WATCHING}" in text
            assert "shop/storefront" in text
            assert app.contexts  # `c` lists the lab's kubeconfig contexts
            await pilot.press("r")  # a refresh reads the lab again
            await app.wait_for_work()
            await pilot.press("q")
        assert app.return_code == 0
        assert watch_threads_end()
    with pytest.raises(OSError):
        socket.create_connection((api.hostname, api.port), timeout=1).close()


def watch_threads_end(seconds: float = 5.0) -> bool:
    """Quitting stops the watch: its stream threads end soon after."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(t.name.startswith("kpath-watch-") for t in threading.enumerate()):
            return True
        time.sleep(0.05)
    return False


def test_kpath_tui_on_a_broken_dump_shows_why_and_q_exits_2_with_the_line_on_stderr(
    tmp_path: Path,
) -> None:
    """The whole chain in a real terminal: CLI → UI → the error on screen → q → exit 2 and
    the command line's own error line once the UI has left the screen."""
    from kpath.errors import KpathError
    from tests.terminal import run_in_pty

    dump = tmp_path / "broken.json"
    dump.write_text('{"kind": "List", "items": [')
    with pytest.raises(KpathError) as cli:
        _load(flags(dump=[str(dump)]))
    # The UI draws the error, then leaves the screen when q is pressed.
    out, code = run_in_pty(
        ["tui", "--dump", str(dump)], "cannot read the cluster", size=(120, 30), seconds=30
    )
    assert code == 2
    tail = out.decode("utf-8", "replace").rsplit("\x1b[?1049l", 1)[-1]  # after the UI left
    assert f"kpath: error: {cli.value}" in tail.replace("\r", "")
    assert "Traceback" not in out.decode("utf-8", "replace")


@pytest.mark.lab
async def test_probes_go_through_the_api_server_of_the_context_in_use(tmp_path: Path) -> None:
    """After `c`, probes use the new context's API access (read when they run), never the
    one the UI started with."""
    from dataclasses import dataclass, field

    import yaml

    from kpath.lab.runner import LabThread
    from kpath.source import KubeSource

    @dataclass(frozen=True)
    class Recording(KubeSource):
        """The kubeconfig source, noting the context each probe run's API access is for."""

        asked: list[str | None] = field(default_factory=list, compare=False)

        def probe_api(self):  # type: ignore[no-untyped-def]
            self.asked.append(self.options.context)
            return super().probe_api()

    with LabThread("shop") as lab:
        kc = lab.write_kubeconfig(tmp_path / "kc")
        doc = yaml.safe_load(kc.read_text())
        doc["contexts"].append({"name": "again", "context": dict(doc["contexts"][0]["context"])})
        kc.write_text(yaml.safe_dump(doc))
        source = Recording(_cluster_source(flags(kubeconfig=str(kc), all_namespaces=True)).options)
        asked = source.asked
        app = build_app(source)
        async with app.run_test(size=(160, 40)) as pilot:
            await app.wait_loaded(pilot.pause)
            assert asked == []  # nothing is resolved before a probe runs
            await pilot.press("p")
            await app.wait_for_work()
            await pilot.press("c", "end", "enter")
            await app.wait_loaded(pilot.pause)
            assert await _until(lambda: app.main.analysis is not None, pilot)
            await pilot.press("p")
            await app.wait_for_work()
            await pilot.pause()
            assert "probes: " in app.main.status.probes
    assert asked == [None, "again"]


async def _until(check: Callable[[], bool], pilot, tries: int = 200) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if check():
            return True
        await pilot.pause(0.05)
    return check()
