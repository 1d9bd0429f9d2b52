"""The terminal UI at 100,000 services: what a keystroke and the first screen cost at scale.

    python benchmarks/bench_tui_scale.py [--quick] [--rounds 5] [--firsts 3] [--json]
        [--profile] [--no-live]

Two figures, each against its own reference, from issue 13's goal 4:

- **filter keystroke, 100,000 against 1,000 services**: two dumps of the same generator
  (`bench_tui`'s, 500 nodes), analysed once each; then rounds, alternating the two sizes:
  a fresh app at 160x48 (`KpathApp` headless, Textual's Pilot), every service listed
  (``a``), the filter opened (``/``), and `bench_tui`'s words typed and erased key by key,
  each ``pilot.press`` and the pause after it timed (the list re-filtered and repainted).
  Medians and p95 of every keystroke of every round; the ratio of the medians (goal ≤ 1.2).
  Both include Pilot's own waits, the same at both sizes; the figure is the whole keystroke.
- **first screen of a live cluster, against live discovery alone**: the lab serves a
  generated cluster (`kpath lab --dump`, full scale: 5,000 nodes, 150,000 pods, 10,000
  services), and whole processes take turns: `discovery` reads it as `kpath` does
  (`KubeSource.load`: list every kind, build the snapshot, analyse) and exits; `ui` starts
  `kpath`'s UI on the same kubeconfig, headless at 160x48, and exits once the list holds
  its rows and the screen was painted. Wall time of each process, medians; ratio ≤ 1.2.

`--quick`: 1,000 against 20,000 services, and the live cluster at a tenth of the scale
(500 nodes, 15,000 pods, 1,000 services). Dumps are generated into `benchmarks/out/` on
first use. `--json` prints one JSON line at the end (benchmarks/README.md's contract).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_tui import QUERIES, SIZE, Timed, analysis_of, make_app, p95
from benchmarks.generate_cluster import QUICK, Scale, generate
from kpath.routing.analysis import Analysis

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
LIMIT = 1.2  # both goals: at most 1.2 times the reference


def keystroke_scale(services: int) -> Scale:
    """`bench_tui`'s cluster shape at ``services``: 500 nodes, a pod or so per service."""
    return Scale(
        nodes=500,
        pods=max(2000, services * 11 // 10),
        services=services,
        external=min(1000, services // 10),
        ingresses=min(200, services // 50),
    )


def keystroke_dump(services: int) -> Path:
    path = OUT / f"tui-scale-{services // 1000}k.json"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(generate(path, keystroke_scale(services)).line(), flush=True)
    return path


async def typed(analysis: Analysis, profile: cProfile.Profile | None) -> list[float]:
    """One fresh app: every query typed and erased key by key; each keystroke's seconds."""
    app = make_app(Timed(analysis))
    out: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("a")  # every service, not only the exposed ones
        await pilot.press("slash")
        await pilot.pause()
        if not app.main.table.visible_count:
            raise SystemExit("keystrokes: the list is empty after loading")
        for query in QUERIES:
            for key in [*query.replace(" ", "\0"), *["backspace"] * len(query)]:
                key = "space" if key == "\0" else key
                if profile is not None:
                    profile.enable()
                started = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                out.append(time.perf_counter() - started)
                if profile is not None:
                    profile.disable()
    return out


@dataclass
class Keystrokes:
    small: list[float] = field(default_factory=list)
    big: list[float] = field(default_factory=list)


def keystrokes(
    small: Analysis, big: Analysis, rounds: int, profile: cProfile.Profile | None
) -> Keystrokes:
    async def measure() -> Keystrokes:
        got = Keystrokes()
        for _ in range(rounds):  # alternating: drift on a shared machine hits both sizes
            got.small += await typed(small, None)
            got.big += await typed(big, profile)
        return got

    return asyncio.run(measure())


# --- the first screen of a live cluster ---------------------------------------------------

#: Run by `discovery` children: what `kpath` does before it can show anything, and no more.
DISCOVERY = """
import sys
from kpath.cluster.live import LiveOptions
from kpath.source import KubeSource
analysis = KubeSource(LiveOptions(kubeconfig=sys.argv[1], all_namespaces=True)).load()
print(len(analysis.paths))
"""

#: Run by `ui` children: `kpath -A`'s app on the same kubeconfig, until its first screen.
UI = """
import asyncio, sys
from kpath.cluster.live import LiveOptions
from kpath.source import KubeSource
from kpath.tui.launch import build_app

async def main():
    app = build_app(KubeSource(LiveOptions(kubeconfig=sys.argv[1], all_namespaces=True)))
    async with app.run_test(size=(160, 48)) as pilot:
        # Polled gently, as a terminal would wait: Pilot's pause in a loop (`wait_loaded`)
        # keeps the event loop busy and takes the GIL from the loading thread.
        while not (app.loaded or app.main.status.error):
            await asyncio.sleep(0.05)
        await pilot.pause()  # ends with the screen painted
        if not app.main.table.visible_count:
            raise SystemExit("ui: the list is empty after loading: " + app.main.status.error)
        print(app.main.table.visible_count)
        app.exit()

asyncio.run(main())
"""


def live_dump(quick: bool) -> Path:
    path = OUT / ("cluster-quick.json" if quick else "cluster.json")
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ...", flush=True)
        print(generate(path, QUICK if quick else Scale()).line(), flush=True)
    return path


class Lab:
    """``kpath lab --dump FILE`` as a child process, until it is stopped."""

    def __init__(self, dump: Path, workdir: Path) -> None:
        self.kubeconfig = workdir / "lab.kubeconfig"
        log = workdir / "lab.out"
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "kpath", "lab", "--dump", str(dump)),
                *("--kubeconfig-out", str(self.kubeconfig)),
            ],
            cwd=ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        while "Ctrl+C" not in log.read_text():
            if self.proc.poll() is not None:
                raise SystemExit(f"the lab exited: {log.read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def timed_child(script: str, kubeconfig: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, str(kubeconfig)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not re.fullmatch(r"\d+\n", done.stdout):
        raise SystemExit(f"a child failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def first_screens(quick: bool, runs: int) -> tuple[list[float], list[float]]:
    """(discovery seconds, ui seconds), alternating whole processes against one lab."""
    dump = live_dump(quick)
    discovery: list[float] = []
    ui: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        lab = Lab(dump, Path(work))
        try:
            for n in range(runs):
                # Which goes first alternates too: a warm cache favours neither.
                order = ((DISCOVERY, discovery), (UI, ui))
                for script, into in order if n % 2 == 0 else order[::-1]:
                    into.append(timed_child(script, lab.kubeconfig))
                    print(
                        f"  {'discovery' if script is DISCOVERY else 'ui':<9} {into[-1]:6.2f} s",
                        flush=True,
                    )
        finally:
            lab.stop()
    return discovery, ui


# --- report --------------------------------------------------------------------------------


def result(goal: str, measured: float, reference: float, unit: str, note: str) -> dict[str, Any]:
    ratio = measured / reference if reference else None
    return {
        "goal": goal,
        "measured": round(measured, 4),
        "unit": unit,
        "reference": round(reference, 4),
        "ratio": None if ratio is None else round(ratio, 3),
        "limit": LIMIT,
        "pass": ratio is not None and ratio <= LIMIT,
        "note": note,
    }


def keystroke_result(quick: bool, rounds: int, profiled: bool) -> dict[str, Any]:
    sizes = (1000, 20_000) if quick else (1000, 100_000)
    small = analysis_of(keystroke_dump(sizes[0]))
    big = analysis_of(keystroke_dump(sizes[1]))
    profile = cProfile.Profile() if profiled else None
    keys = keystrokes(small, big, rounds, profile)
    del small, big
    print(f"{'filter keystroke':<24}{'n':>5}{'median':>10}{'p95':>10}   (ms)")
    for label, values in ((f"{sizes[0]:,} services", keys.small), (f"{sizes[1]:,}", keys.big)):
        print(
            f"{label:<24}{len(values):>5}{statistics.median(values) * 1e3:>10.1f}"
            f"{p95(values) * 1e3:>10.1f}"
        )
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(40)
        print(out.getvalue())
    return result(
        f"TUI filter keystroke at {sizes[1]:,} services vs {sizes[0]:,} (median)",
        statistics.median(keys.big) * 1e3,
        statistics.median(keys.small) * 1e3,
        "ms",
        f"p95 {p95(keys.big) * 1e3:.0f} ms vs {p95(keys.small) * 1e3:.0f} ms; "
        f"{rounds} alternating apps of {len(keys.big) // rounds} keystrokes each",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 vs 20,000; a tenth live")
    parser.add_argument("--rounds", type=int, default=5, help="apps per size (default 5)")
    parser.add_argument("--firsts", type=int, default=3, help="processes of each (default 3)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--profile", action="store_true", help="cProfile the big keystrokes")
    parser.add_argument("--no-live", action="store_true", help="skip the live first screen")
    parser.add_argument("--no-keys", action="store_true", help="skip the keystrokes")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.firsts < 1:
        parser.error("--rounds and --firsts must be at least 1")
    results = [] if args.no_keys else [keystroke_result(args.quick, args.rounds, args.profile)]
    if not args.no_live:
        scale = "a tenth of the limits" if args.quick else "5,000 nodes, 150,000 pods"
        print(f"first screen of a live cluster ({scale}), whole processes:", flush=True)
        discovery, ui = first_screens(args.quick, args.firsts)
        d, u = statistics.median(discovery), statistics.median(ui)
        print(f"discovery {d:.2f} s, ui {u:.2f} s: {u / d:.2f}x")
        results.append(
            result(
                f"TUI first screen of a live cluster ({scale}) vs live discovery alone",
                u,
                d,
                "s",
                f"{args.firsts} alternating processes each; discovery "
                + " / ".join(f"{s:.1f}" for s in discovery)
                + ", ui "
                + " / ".join(f"{s:.1f}" for s in ui),
            )
        )
    for r in results:
        print(
            f"{'PASS' if r['pass'] else 'FAIL'}  {r['goal']}: {r['measured']:.1f} {r['unit']} "
            f"against {r['reference']:.1f} ({r['ratio']}x, goal ≤ {LIMIT}x)"
        )
    if args.json:
        print(json.dumps({"results": results}))
    return 0 if all(r["pass"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
