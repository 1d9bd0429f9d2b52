"""How soon a followed cluster's change is on kpath's screen, against a churning lab.

    python benchmarks/bench_watch_tui.py [--quick] [--seconds 60] [--churn 2] [--json]

Serves a generated dump with ``kpath lab --dump FILE --churn SECONDS`` (its own process: a
real API server on loopback; every tick one Deployment rolls out, one pod is killed, a node
goes NotReady or comes back), then runs the TUI headless (`App.run_test`, 160x48) on it as
``kpath --kubeconfig K -A`` wires it: the initial load, then kpath's informer following
every kind from the load's resourceVersions.

What is timed, for every batch of events the informer hands over: from that hand-over (the
follower calling back, `time.monotonic`) to the screen's refresh after the rows of the
services it changed were replaced (`KpathApp.painted`). That covers filing the events into
the raw objects, the incremental analysis, the hop to the UI thread, the partial repaint
(a node event changes every service's node groups, but repaints only the lines on screen
whose drawing differs) and Textual's compositor writing the frame. Batches that arrive
while one is being applied are taken together; the merged one is timed from its oldest
event, so none is timed short. Median and p95 over the run; the goal is 100 ms. The lab's
request record also says how many LISTs the TUI made after its initial load (watches
only: none expected).

``--quick``: the 1/10 dump (500 nodes, 15,000 pods, 1,000 services); otherwise the full
one (5,000 nodes, 150,000 pods, 10,000 services). Either is generated into
``benchmarks/out/`` when missing. Exit status: 0 when the goal is met, 1 when it is not,
2 when the run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._goal import emit, result
from benchmarks._lab import Lab
from benchmarks.bench_offline import cluster_file
from kpath.cluster.live import LiveOptions
from kpath.routing.incremental import Changed
from kpath.source import KubeSource
from kpath.tui.app import KpathApp

SIZE = (160, 48)
LIMIT_MS = 100.0
GOAL = "affected row on screen after the event's arrival"


@dataclass
class Run:
    delays: list[float]  # seconds, one per batch painted
    wide: list[float]  # those of batches with node events (or that rebuilt everything)
    lists_after_load: int
    watches: int
    load_seconds: float


def total(requests: dict[str, dict[str, int]], verb: str) -> int:
    return sum(requests.get(verb, {}).values())


async def follow(lab: Lab, seconds: float) -> Run:
    source = KubeSource(LiveOptions(kubeconfig=str(lab.kubeconfig), all_namespaces=True))
    app = KpathApp(source)
    async with app.run_test(size=SIZE) as pilot:
        started = time.monotonic()
        while not app.loaded:
            if app.main.status.error:
                raise RuntimeError(f"the TUI could not load: {app.main.status.error}")
            await asyncio.sleep(0.05)
        load_seconds = time.monotonic() - started
        await pilot.pause()
        at_load = await asyncio.to_thread(lab.requests)
        app.painted.clear()  # the batches from here on; the load's own repaint is not one
        await asyncio.sleep(seconds)
        painted: list[tuple[float, float, Changed]] = list(app.painted)
        after = await asyncio.to_thread(lab.requests)
    return Run(
        [done - arrived for arrived, done, _ in painted],
        [done - arrived for arrived, done, c in painted if c.nodes or c.everything],
        total(after, "list") - total(at_load, "list"),
        total(after, "watch"),
        load_seconds,
    )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def results(run: Run, churn: float, scale: str) -> list[dict[str, Any]]:
    ms = [d * 1000 for d in run.delays]
    wide = [d * 1000 for d in run.wide]
    narrow = sorted(ms)
    for d in wide:
        narrow.remove(d)
    median, high = statistics.median(ms), p95(ms)

    def split(values: list[float]) -> str:
        if not values:
            return "none"
        return f"{len(values)}, median {statistics.median(values):.0f} ms, p95 {p95(values):.0f} ms"

    note = (
        f"{scale}, churn tick every {churn:g} s; batches painted: {len(ms)}; of a few "
        f"services (pods, slices): {split(narrow)}; with node events (every service's "
        f"node groups): {split(wide)}; "
        f"{run.lists_after_load} LIST after the initial load, {run.watches} watches; "
        f"initial load {run.load_seconds:.1f} s"
    )
    return [
        result(f"{GOAL} (median)", median, "ms", LIMIT_MS, note=note),
        result(f"{GOAL} (p95)", high, "ms", LIMIT_MS, note=f"max {max(ms):.1f} ms"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the 1/10 dump")
    parser.add_argument("--seconds", type=float, default=None, help="how long to follow")
    parser.add_argument("--churn", type=float, default=5.0, help="seconds between ticks")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (60.0 if args.quick else 120.0)
    dump = cluster_file(args.quick)
    scale = "1/10 scale" if args.quick else "full scale"
    try:
        # No start-up limit: at full scale the lab reads a 1 GB dump first.
        lab = Lab(dump, churn=args.churn, start_timeout=float("inf"))
    except (SystemExit, OSError) as exc:  # _lab.Lab says why it did not start
        print(f"bench_watch_tui: {exc}", file=sys.stderr)
        return 2
    try:
        run = asyncio.run(follow(lab, seconds))
    except RuntimeError as exc:
        print(f"bench_watch_tui: {exc}", file=sys.stderr)
        return 2
    finally:
        lab.stop()
    if not run.delays:
        print("bench_watch_tui: no batch reached the screen", file=sys.stderr)
        return 2
    rows = results(run, args.churn, scale)
    print(f"kpath TUI following `kpath lab --dump {dump.name} --churn {args.churn:g}`")
    for row in rows:
        verdict = "pass" if row["pass"] else "FAIL"
        print(f"  {row['goal']}: {row['measured']:.1f} ms (limit {row['limit']:g}) {verdict}")
    print(f"  {rows[0]['note']}; {rows[1]['note']}")
    if args.json:
        emit(rows)
    return 0 if all(r["pass"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
