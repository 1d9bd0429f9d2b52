"""How soon kpath's terminal UI says the cluster is gone, and how soon it is fresh again.

    python benchmarks/bench_stale.py [--rounds 3] [--outage 3] [--moved]

Starts the shop lab, opens the UI on it headless (Textual's Pilot, 160x48) exactly as
``kpath tui --kubeconfig`` wires it (the CLI's loader, its watch), and per round:

- stops the lab's API server (the data plane keeps running) and times until the header
  says "stale since HH:MM:SS": **loss → stale**;
- waits ``--outage`` seconds, starts the API server again — on the same port, or with
  ``--moved`` on another one with the kubeconfig rewritten, as after a restart that got a
  new address — and times until a new analysis has landed and the header no longer says
  stale: **return → fresh**. With ``--moved`` the round also checks that the watch was
  restarted on the new server: a deployment scaled 3 s later shows up without `r`, sooner
  than the app's own retried loads would show it.

Figures are wall-clock seconds measured by polling the app every 20 ms. Return → fresh
depends on where the retries are when the server returns: the watch retries after 1, 2, 4,
8, then every 10 s; the app retries loads after 2, 4, 8, 16, then every 30 s (a moved
server is only found by a load, which reads the kubeconfig again).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._goal import emit, result
from kpath.cli import _cluster_source, _view_scope
from kpath.lab.runner import LabThread
from kpath.tui.app import KpathApp
from kpath.tui.launch import build_app
from kpath.tui.widgets.status_bar import WATCHING

POLL = 0.02


def flags(kubeconfig: Path) -> argparse.Namespace:
    return argparse.Namespace(
        dump=None,
        kubeconfig=str(kubeconfig),
        context=None,
        namespace=None,
        all_namespaces=True,
        selector=None,
        internal=False,
    )


async def until(check: Callable[[], bool], limit: float = 120.0) -> float:
    """Seconds until ``check()`` holds (polled), or raise after ``limit``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > limit:
            raise TimeoutError(f"not within {limit:.0f} s")
        await asyncio.sleep(POLL)
    return time.monotonic() - start


def web_ready(app: KpathApp) -> int | None:
    return next((r.ready for r in app.main.table.rows if str(r.key) == "shop/storefront"), None)


async def measure(rounds: int, outage: float, moved: bool) -> list[tuple[float, float]]:
    figures: list[tuple[float, float]] = []
    with LabThread("shop") as lab, tempfile.TemporaryDirectory(prefix="kpath-") as tmp:
        kubeconfig = lab.write_kubeconfig(Path(tmp) / "kubeconfig")
        args = flags(kubeconfig)
        app = build_app(_cluster_source(args), _view_scope(args))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.wait_loaded(pilot.pause)
            for n in range(rounds):
                port = int(str(lab.api_url).rsplit(":", 1)[1])
                stopping = asyncio.create_task(asyncio.to_thread(lab.stop_api))
                to_stale = await until(lambda: bool(app.main.status.stale))
                await stopping
                await asyncio.sleep(outage)
                before = app.main.analysis
                started = time.monotonic()
                await asyncio.to_thread(lab.start_api, 0 if moved else port)
                if moved:
                    lab.write_kubeconfig(kubeconfig)
                await until(
                    lambda b=before: app.main.analysis is not b and not app.main.status.stale
                )
                to_fresh = time.monotonic() - started
                figures.append((to_stale, to_fresh))
                # The next round starts from a followed view (the watch back, or restarted).
                await until(lambda: app.main.status.watching == WATCHING)
                print(
                    f"round {n + 1}: loss → stale {to_stale:.2f} s, "
                    f"return → fresh {to_fresh:.2f} s ({app.main.status.watching})"
                )
                if moved:  # the watch follows the new server: a change is heard without r
                    await asyncio.sleep(3.0)  # past the one extra load a restart makes
                    await app.wait_for_work()
                    ready = web_ready(app)
                    await asyncio.to_thread(lab.scale, "shop", "web", 1 if ready != 1 else 2)
                    heard = await until(lambda r=ready: web_ready(app) != r, limit=30)
                    print(f"         a change on the new server shown after {heard:.2f} s")
            await pilot.press("q")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--outage", type=float, default=3.0, help="seconds without a server")
    parser.add_argument(
        "--moved", action="store_true", help="the API server comes back on another port"
    )
    parser.add_argument("--json", action="store_true", help="end with the results as a JSON line")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.rounds, args.outage, args.moved))
    stale = statistics.median(f[0] for f in figures)
    fresh = statistics.median(f[1] for f in figures)
    where = "another port" if args.moved else "the same port"
    print(
        f"median over {len(figures)} rounds, {args.outage:g} s outages, back on {where}: "
        f"loss → stale {stale:.2f} s, return → fresh {fresh:.2f} s"
    )
    if args.json:  # no target: how long the view lags the server's state
        emit(
            [
                result("API server lost → shown stale", stale, "s", None, note=where),
                result("API server back → shown fresh", fresh, "s", None, note=where),
            ]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
