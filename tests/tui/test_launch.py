"""From CLI flags to the UI: a dump opens offline, a lab context opens live, and quitting
the demo (the lab wrapped around the UI, as ``kpath demo`` does) stops the lab."""

from __future__ import annotations

import argparse
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kpath.cluster.dump import load_dump
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.analysis import Analysis, analyse
from kpath.tui.launch import build_app
from tests.tui.helpers import screen_text

pytestmark = pytest.mark.anyio

DUMP = Path("/work/shared/realworld/dumps/minikube-ingress-nginx-npguard")
if not DUMP.exists():  # the realworld set is shared outside the repo; use any dump we ship
    DUMP = Path(__file__).resolve().parents[1] / "data" / "hostile" / "hostile.json"


def flags(**kw: object) -> argparse.Namespace:
    base = dict(dump=None, kubeconfig=None, context=None, namespace=None,
                all_namespaces=False, selector=None, internal=False)
    return argparse.Namespace(**{**base, **kw})


def load(args: argparse.Namespace) -> Analysis:
    if args.dump:
        return analyse(build_snapshot(load_dump(args.dump)))
    from kpath.cluster.live import LiveOptions, load_live

    return analyse(build_snapshot(load_live(LiveOptions(
        kubeconfig=args.kubeconfig, context=args.context, namespace=args.namespace,
        all_namespaces=args.all_namespaces, selector=args.selector))))


async def test_dump_opens_offline() -> None:
    app = build_app(flags(dump=[str(DUMP)]), load)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        text = screen_text(app)
        assert "offline dump: no probes, no watch" in text
        assert app.main.analysis is not None and app.main.table.visible_count > 0
        assert app.check_action("refresh", ()) and not app.check_action("probe", ())


@pytest.mark.lab
async def test_demo_lab_opens_live_and_quitting_stops_the_lab() -> None:
    from kpath.lab.runner import start_demo_lab

    with start_demo_lab() as lab, tempfile.TemporaryDirectory(prefix="kpath-") as tmp:
        kubeconfig = lab.write_kubeconfig(Path(tmp) / "kubeconfig")
        api = urlsplit(lab.api_url)
        args = flags(kubeconfig=str(kubeconfig), all_namespaces=True)
        app = build_app(args, load)
        async with app.run_test(size=(160, 48)) as pilot:
            await app.wait_loaded(pilot.pause)
            text = screen_text(app)
            assert "│ live" in text and "context kpath-lab" in text
            assert "shop/storefront" in text
            assert app.contexts  # `c` lists the lab's kubeconfig contexts
            await pilot.press("r")  # a refresh reads the lab again
            await app.workers.wait_for_complete()
            await pilot.press("q")
        assert app.return_code == 0
    with pytest.raises(OSError):
        socket.create_connection((api.hostname, api.port), timeout=1).close()
