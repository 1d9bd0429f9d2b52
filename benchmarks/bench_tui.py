"""How fast kpath's terminal UI answers at 10,000 services, driven headless.

    python benchmarks/bench_tui.py [--quick] [--samples 30] [--first 20] [--profile]
        [--samples-out FILE] [--before FILE] [--json]

Builds (once) a dump with 10,000 services in ``benchmarks/out/`` and a minimal one (5
services), analyses both, then drives `KpathApp` headless with Textual's Pilot at 160x48:

- **first screen**: from the loader returning (the data is ready) to the list holding its
  rows and a `pilot.pause()` having returned; that pause ends in the screen's update, which
  renders every dirty line through the compositor. One fresh app per sample.
- **filter keystroke**: with all services listed (``a``) and the filter open (``/``), one
  ``pilot.press(ch)`` (typing or backspace) and the pause after it: the list re-filtered and
  repainted, and the path view redrawn when the selection moved.
- **select**: one ``pilot.press("down")`` on the list and pauses until the path view shows
  the service under the cursor: the highlight, the diagrams built and drawn, the repaint.

Every sample is timed the same way on the minimal app in the same run (Pilot's own waits
cost tens of milliseconds a step); the figures printed are the samples less the baseline's
median. The exit status is 0 when every target is met, 1 otherwise.

Each figure is judged against issue 5's target where it has one, and with ``--before FILE``
(the raw samples of another tree's run: ``--samples-out`` here, ``--json FILE`` in earlier
trees, 0be9064 included) also against that run's figure: "unchanged or better" means at most 10%
or 10 ms above it, the larger (runs of the same code differ by more than that on a shared
machine). ``--quick``: 1,000 services and fewer samples. ``--json``: one JSON line at the
end, for ``benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.pilot import Pilot

from benchmarks._goal import emit, result
from benchmarks.generate_cluster import Scale, generate
from kpath.cluster.dump import load_dump
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.analysis import Analysis, analyse
from kpath.source import LoadedSource
from kpath.tui.app import KpathApp

OUT = Path(__file__).resolve().parent / "out"
#: 10,000 services over 5,000 nodes; fewer pods than the full scale keeps the build quick
#: (the UI's work per keystroke depends on services and paths, not on pods).
BIG = Scale(nodes=5000, pods=30_000, services=10_000, external=1000, ingresses=200)
QUICK = Scale(nodes=500, pods=3000, services=1000, external=100, ingresses=20)
SMALL = Scale(nodes=2, pods=20, services=5, external=1, ingresses=0)
SIZE = (160, 48)
#: (figure, statistic, limit in seconds or None), from issue 5; issue 12 adds "unchanged or
#: better" than before it for each of them (`--before`), and the select p95.
TARGETS = (
    ("first screen", "median", 1.5),
    ("filter keystroke", "median", 0.050),
    ("filter keystroke", "p95", 0.100),
    ("select", "median", 0.050),
    ("select", "p95", None),
)
#: Above the before-figure by at most this (ratio, seconds; the larger) is "unchanged".
SLACK = (0.10, 0.010)
#: Typed into the filter, then erased key by key: words a user would look for.
QUERIES = ("payments", "api-server", "lb local")


@dataclass
class Series:
    """Raw samples of one operation, on the big app and on the minimal one."""

    big: list[float]
    base: list[float]

    def net(self) -> list[float]:
        floor = statistics.median(self.base)
        return [s - floor for s in self.big]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def dump_for(name: str, scale: Scale) -> Path:
    path = OUT / f"tui-{name}.json"
    if not path.exists():
        print(generate(path, scale).line(), flush=True)
    return path


def analysis_of(path: Path) -> Analysis:
    started = time.perf_counter()
    analysis = analyse(build_snapshot(load_dump([path])))
    gc.collect()
    gc.freeze()  # a long-lived heap, as in a running kpath: collections skip it
    print(
        f"analysed {path.name}: {len(analysis.paths):,} paths, "
        f"{len(analysis.findings):,} findings in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return analysis


class Timed:
    """A loader that notes when it hands the analysis over (the data is ready)."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.returned = 0.0

    def __call__(self) -> Analysis:
        self.returned = time.perf_counter()
        return self.analysis


def make_app(loader: Timed) -> KpathApp:
    return KpathApp(LoadedSource(loader, origin="bench"))


async def first_screen(analysis: Analysis) -> float:
    loader = Timed(analysis)
    app = make_app(loader)
    async with app.run_test(size=SIZE) as pilot:
        await app.wait_loaded(pilot.pause)
        painted = time.perf_counter()
        if not app.main.table.rows:
            raise SystemExit("first screen: the list is empty after loading")
    return painted - loader.returned


async def until(pilot: Pilot[int], done: Callable[[], bool], tries: int = 50) -> None:
    """Pause (each pause ends with a screen update) until ``done`` holds."""
    for _ in range(tries):
        await pilot.pause()
        if done():
            return
    raise SystemExit("the UI never reached the expected state")


async def keystrokes(
    analysis: Analysis, samples: int, profile: cProfile.Profile | None
) -> tuple[list[float], list[float]]:
    """Filter keystrokes, then cursor moves, on one app: (filter samples, select samples)."""
    app = make_app(Timed(analysis))
    filters: list[float] = []
    selects: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await app.wait_loaded(pilot.pause)
        main = app.main
        await pilot.press("a")  # every service, not only the exposed ones: 10,000 rows
        await pilot.press("slash")
        n = 0
        while len(filters) < samples:
            query = QUERIES[n % len(QUERIES)]
            n += 1
            for key in [*query.replace(" ", "\0"), *["backspace"] * len(query)]:
                key = "space" if key == "\0" else key
                started = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                filters.append(time.perf_counter() - started)
        await pilot.press("escape", "escape")  # close the filter, back to the list
        main.table.focus()
        await pilot.pause()

        def shown() -> bool:
            row = main.table.current
            return row is not None and main.selected == row.key

        for _ in range(samples):
            if profile is not None:
                profile.enable()
            started = time.perf_counter()
            await pilot.press("down")
            await until(pilot, shown)
            selects.append(time.perf_counter() - started)
            if profile is not None:
                profile.disable()
    return filters, selects


def run(
    big: Analysis, small: Analysis, samples: int, firsts: int, profile: cProfile.Profile | None
) -> dict[str, Series]:
    async def measure() -> dict[str, Series]:
        first = Series([], [])
        for _ in range(firsts):  # interleaved, so drift on a shared machine hits both
            first.big.append(await first_screen(big))
            first.base.append(await first_screen(small))
        filt_big, sel_big = await keystrokes(big, samples, profile)
        filt_base, sel_base = await keystrokes(small, samples, None)
        return {
            "first screen": first,
            "filter keystroke": Series(filt_big, filt_base),
            "select": Series(sel_big, sel_base),
        }

    return asyncio.run(measure())


def figure(series: Series, stat: str) -> float:
    net = series.net()
    return statistics.median(net) if stat == "median" else p95(net)


@dataclass
class Verdict:
    """One figure judged: its target (issue 5) and its before-figure (issue 12)."""

    name: str
    stat: str
    value: float
    limit: float | None
    before: float | None
    services: int = BIG.services
    samples: int = 0  # how many the figure is of (fresh apps for the first screen)

    @property
    def allowed(self) -> float | None:
        """The highest value that passes: the target, and unchanged-or-better."""
        bounds = [] if self.limit is None else [self.limit]
        if self.before is not None:
            bounds.append(self.before + max(SLACK[0] * abs(self.before), SLACK[1]))
        return min(bounds) if bounds else None

    @property
    def passed(self) -> bool:
        return self.allowed is None or self.value <= self.allowed

    def line(self) -> str:
        parts = [] if self.limit is None else [f"target ≤ {self.limit * 1e3:.0f} ms"]
        if self.before is not None:
            parts.append(f"before {self.before * 1e3:.1f} ms")
        word = "PASS" if self.passed else "FAIL"
        why = ", ".join(parts) or "no target"
        return f"{word}  {self.name} {self.stat} {self.value * 1e3:.1f} ms ({why})"

    def result(self) -> dict[str, Any]:
        """The row `benchmarks/run.py` prints (the shared --json contract)."""
        before = self.before
        note = f"ms net of a 5-service app's median; {self.samples} samples"
        if before is not None:
            note += "; reference: before issue 12, unchanged = within 10% or 10 ms"
        elif self.limit is None:
            note += "; no target without --before"
        allowed = self.allowed
        return result(
            f"TUI {self.name} {self.stat}, {self.services:,} services, unchanged or better",
            self.value * 1e3,
            "ms",
            None if allowed is None else allowed * 1e3,
            reference=None if before is None else before * 1e3,
            absolute=True,  # the limit is the figure's (the target, or before + slack)
            note=note,
        )


def judge(
    results: dict[str, Series], before: dict[str, Series] | None, services: int = BIG.services
) -> list[Verdict]:
    return [
        Verdict(
            name,
            stat,
            figure(results[name], stat),
            limit,
            None if before is None or name not in before else figure(before[name], stat),
            services,
            len(results[name].big),
        )
        for name, stat, limit in TARGETS
    ]


def report(results: dict[str, Series], verdicts: list[Verdict]) -> list[str]:
    lines = [
        f"{'operation':<18}{'n':>4}{'median':>10}{'p95':>10}"
        f"{'baseline':>10}   (net of the baseline's median, ms)"
    ]
    for name, series in results.items():
        net = series.net()
        lines.append(
            f"{name:<18}{len(net):>4}{statistics.median(net) * 1e3:>10.1f}"
            f"{p95(net) * 1e3:>10.1f}{statistics.median(series.base) * 1e3:>10.1f}"
        )
    return lines + [v.line() for v in verdicts]


def read_samples(path: Path) -> dict[str, Series]:
    """Raw samples another run wrote (`--samples-out`, or `--json FILE` in earlier trees)."""
    try:
        data = json.loads(path.read_text())
        return {k: Series(list(v["big"]), list(v["base"])) for k, v in data.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise SystemExit(f"bench_tui: --before {path}: not a file of raw samples ({e})") from e


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="1,000 services, 8 samples and 3 fresh apps"
    )
    parser.add_argument(
        "--samples", type=int, help="filter keystrokes and cursor moves measured (default 30)"
    )
    parser.add_argument("--first", type=int, help="fresh apps for first screen (default 20)")
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile's top functions for the cursor moves"
    )
    parser.add_argument("--samples-out", type=Path, help="also write the raw samples here")
    parser.add_argument(
        "--before", type=Path, help="raw samples of a run before issue 12: judge against them"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = parser.parse_args(argv)
    samples = args.samples or (8 if args.quick else 30)
    firsts = args.first or (3 if args.quick else 20)
    if samples < 1 or firsts < 1:
        parser.error("--samples and --first must be at least 1")
    before = read_samples(args.before) if args.before else None
    scale = QUICK if args.quick else BIG
    big = analysis_of(dump_for("1k", QUICK) if args.quick else dump_for("10k", BIG))
    small = analysis_of(dump_for("min", SMALL))
    profile = cProfile.Profile() if args.profile else None
    results = run(big, small, samples, firsts, profile)
    verdicts = judge(results, before, scale.services)
    print("\n".join(report(results, verdicts)))
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    if args.samples_out:
        args.samples_out.write_text(
            json.dumps({k: {"big": v.big, "base": v.base} for k, v in results.items()}, indent=1)
            + "\n"
        )
    if args.json:
        emit([v.result() for v in verdicts])
    return 0 if all(v.passed for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
