"""From CLI flags to the UI: a dump opens offline, a lab context opens live, and quitting
the demo (the lab wrapped around the UI, as ``kpath demo`` does) stops the lab."""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kpath.cli import _live_options, _load
from kpath.probe.consent import UI_NOTE
from kpath.tui.launch import build_app
from kpath.tui.widgets.status_bar import WATCHING
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.anyio

DUMP = Path("/work/shared/realworld/dumps/minikube-ingress-nginx-npguard")
if not DUMP.exists():  # the realworld set is shared outside the repo; use any dump we ship
    DUMP = Path(__file__).resolve().parents[1] / "data" / "hostile" / "hostile.json"


def flags(**kw: object) -> argparse.Namespace:
    base = dict(dump=None, kubeconfig=None, context=None, namespace=None,
                all_namespaces=False, selector=None, internal=False)
    return argparse.Namespace(**{**base, **kw})


async def test_dump_opens_offline() -> None:
    app = build_app(flags(dump=[str(DUMP)]), _load, live_options=_live_options)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await app.wait_loaded(pilot.pause)
        text = screen_text(app)
        assert UI_NOTE in text
        assert app.main.analysis is not None and app.main.table.visible_count > 0
        assert app.main.status.watch == ""  # a dump is never watched
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
        app = build_app(args, _load, live_options=_live_options)
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
