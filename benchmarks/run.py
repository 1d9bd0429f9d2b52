"""Run every kpath benchmark and print one table: goal, measured, reference, ratio, result.

    python benchmarks/run.py [--quick] [--only NAME ...] [--list] [--write-results]

Each benchmark runs as its own process, one after the other (two cores: side by side they
would measure each other), as ``python benchmarks/bench_X.py [its flags] --json``, and
ends its output with one JSON line (see benchmarks/_goal.py). ``--quick`` runs each at
about a tenth of its scale, within 5 minutes in all; the full run takes at most 40. Each
benchmark has a budget for either; one that overruns it, is not there (not merged yet)
or dies is a row saying so. Once the whole run's budget is spent, the rest are skipped.

Exit status: 0 when every figure with a target meets it, 1 otherwise (a missing, failed,
timed-out or skipped benchmark included), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks._table import (  # noqa: E402
    MISSING,
    SKIPPED,
    TIMEOUT,
    Outcome,
    Row,
    exit_code,
    results_markdown,
    rows_for,
    summary,
    text_table,
)

#: The whole run's budget (s): the goal is 5 minutes quick, 40 full; a margin for start-up.
QUICK_BUDGET, FULL_BUDGET = 290.0, 2340.0


@dataclass(frozen=True)
class Bench:
    name: str
    goal: str  # what it measures, for a row without results
    quick: tuple[str, ...]  # flags for --quick (before --json)
    full: tuple[str, ...]
    quick_s: float  # budget (s) for a quick run
    full_s: float
    limits: str  # what limits its figures: a paragraph of RESULTS.md


# Issue 13's goals first (the run's point), then the benchmarks of earlier issues.
BENCHMARKS: tuple[Bench, ...] = (
    Bench(
        "bench_startup",
        "5. start-up: --help ≤ 2×, paths --dump small ≤ 3× `import rich`",
        ("--quick",),
        (),
        15,
        60,
        "Whole processes, interleaved, CPU medians. `kpath --help` is bounded below by the "
        "interpreter, argparse and the parser kpath builds for every subcommand; `kpath "
        "paths` on a small dump by what printing its table needs: Rich's console and text "
        "(`import rich.console` alone costs about three times `import rich`), the dump "
        "reader, the snapshot records and the routing modules, whatever the dump's size; "
        "since typed decoding, msgspec and its decoders too (about 75 M instructions of "
        "570 M on the 120 KB dump).",
    ),
    Bench(
        "bench_offline",
        "1. offline: paths ≤ 0.5× json.loads, peak ≤ 1.5× file",
        ("--quick", "--repeat", "1"),
        ("--repeat", "1"),
        40,
        330,
        "Decoding dominates: the typed decoder reads the file's bytes in C and builds only "
        "the records routing reads; the floor is reading the file and the routing itself.",
    ),
    Bench(
        "bench_live",
        "2. live: ≤ 0.1× kubectl, peak ≤ 1.0× bytes, ≤ 3× fetch",
        ("--quick", "--repeat", "1", "--no-kubectl"),
        ("--repeat", "1"),
        40,
        400,
        "Bound below by fetching the pages (the lab's server and httpx reading the bytes) "
        "and decoding them page by page; kubectl's own time is its JSON decoding. The quick "
        "run leaves kubectl out (15-130 s on the 1/10 cluster here): only the full run "
        "judges the kubectl ratio.",
    ),
    Bench(
        "bench_watch",
        "3. watching: zero LISTs after the initial load",
        ("--quick", "--seconds", "30"),
        (),
        60,
        400,
        "A count, not a time: LIST requests in the lab's request record during churn; "
        "only `410 Gone` may cause a re-list, of that kind.",
    ),
    Bench(
        "bench_incremental",
        "3. one event ≤ 1/1000 of a full rebuild",
        ("--quick", "--rebuilds", "5"),
        (),
        30,
        200,
        "An event's cost is what it can change (a pod: the services selecting it); the "
        "rebuild's is every path of the cluster. Python's per-call overhead bounds the "
        "event from below.",
    ),
    Bench(
        "bench_watch_tui",
        "3. the affected row on screen ≤ 100 ms after the event",
        ("--quick", "--seconds", "20"),
        (),
        40,
        150,
        "Textual's refresh (at most one frame per refresh interval) and the repaint of the "
        "changed rows; the machine's load adds scheduling delay.",
    ),
    Bench(
        "bench_tui_scale",
        "4. TUI at 100,000 services: keystroke ≤ 1.2× at 1,000; first screen ≤ 1.2× discovery",
        ("--quick",),  # its own smaller sizes, one app and 2 processes of each: see its note
        ("--rounds", "3"),
        45,
        360,
        "A keystroke repaints what is on screen only; the first screen is bounded by live "
        "discovery itself.",
    ),
    Bench(
        "bench_paths",
        "issue 1: paths ≤ 1.5× json.loads, kept ≤ 10%, peak ≤ 1.2×",
        ("--quick", "--repeat", "1"),
        ("--repeat", "1"),
        45,
        300,
        "Loading is json.loads of the whole file (the collector paused); routing adds the "
        "snapshot and analysis. Peak memory is the decoded raw tree.",
    ),
    Bench(
        "bench_probes",
        "probes: mixed total ≤ 1.2× ideal, rate ≥ 0.8× bare httpx, lag p99 < 50 ms",
        ("--targets", "200", "--rounds", "1"),
        (),
        20,
        120,
        "Probe time is the hanging targets' timeouts in waves of the concurrency; the "
        "reachable rate and loop lag are the machine's as much as kpath's (the bare httpx "
        "control loop shows the same lag on a loaded machine).",
    ),
    Bench(
        "bench_tui",
        "TUI at 10,000 services: first screen, filter keystroke, select",
        ("--quick",),
        (),
        30,
        150,
        "Pilot's own waits are subtracted (the same operation on a 5-service app); what "
        "remains is Textual's layout and repaint of the rows and the path diagrams.",
    ),
    Bench(
        "bench_reach",
        "issue 14: kpath reach ≤ 0.2 s CPU (cold and warm)",
        ("--runs", "3", "--samples", "200"),
        ("--runs", "21"),
        15,
        60,
        "Cold: interpreter start, imports, decoding the whole dump and building the pods "
        "and policies one question reads. Warm: loading the kept snapshot. The floor is "
        "`python` + `json.loads` of the dump.",
    ),
    Bench(
        "bench_request",
        "kpath request ≤ 0.2 s CPU (warm)",
        ("--runs", "3", "--samples", "50", "--routes", "1000"),
        ("--runs", "21"),
        15,
        90,
        "As reach: the cold run decodes the dump; the warm run loads the kept snapshot.",
    ),
    Bench(
        "bench_netpol_paths",
        "issue 14: policy verdicts add ≤ 20% CPU to paths",
        ("--quick", "--repeat", "1"),
        ("--repeat", "1"),
        30,
        300,
        "The per-endpoint verdicts of Cluster-policy node groups and the policy notes in "
        "the table; two whole processes per pair, so the machine's load moves both.",
    ),
    Bench(
        "bench_lab_serve",
        "the lab serving a dump: fetch, kubectl, client (a yardstick)",
        ("--repeat", "1", "--no-kubectl", "--no-client"),
        ("--repeat", "1"),
        20,
        200,
        "The lab's server builds a page from stored bytes; the clients' own decoding is "
        "the rest (kubectl and the official client decode every object).",
    ),
    Bench(
        "bench_bandwidth",
        "bytes to the terminal: idle 0, refresh small",
        (),
        (),
        25,
        60,
        "Bytes, not time: a reload resends only rows and lines that changed; probe results "
        "redraw the selected path as they land.",
    ),
    Bench(
        "bench_black_hole",
        "the demo's black hole found at 80x24",
        (),
        (),
        15,
        40,
        "Keys and bytes until the dropping node's hop box is on screen: the layout at 80x24.",
    ),
    Bench(
        "bench_stale",
        "API server lost and back: stale and fresh times",
        ("--rounds", "1", "--outage", "1"),
        (),
        25,
        90,
        "Bounded by the watch's reconnect backoff and the reload after the server returns.",
    ),
    Bench(
        "bench_gateway_resolve",
        "Gateway routing: requests answered per second",
        ("--routes", "1000", "--requests", "200"),
        (),
        8,
        40,
        "Matching a request against the listener's rules: the index narrows by hostname "
        "first, then the rules of that host in precedence order.",
    ),
    Bench(
        "bench_gateway_plan",
        "probe planning over Gateway rules",
        ("--routes", "200"),
        (),
        8,
        40,
        "Planning is kpath's Gateway routing answering each rule's request and resolving "
        "its backends.",
    ),
    Bench(
        "bench_sanitise",
        "the sanitiser at 10,000 rows",
        ("--rows", "1000", "--repeat", "3"),
        (),
        5,
        20,
        "A regular-expression scan per cell: plain names take the fast path.",
    ),
)

BY_NAME = {b.name: b for b in BENCHMARKS}


def command(bench: Bench, quick: bool) -> list[str]:
    flags = bench.quick if quick else bench.full
    return [sys.executable, str(HERE / f"{bench.name}.py"), *flags, "--json"]


def run_one(bench: Bench, quick: bool, budget: float) -> Outcome:
    """Run one benchmark within ``budget`` seconds; never raises for what the child does."""
    script = HERE / f"{bench.name}.py"
    if not script.exists():
        return Outcome(bench.name, bench.goal, status=MISSING)
    if budget <= 1:
        return Outcome(bench.name, bench.goal, status=SKIPPED)
    started = time.monotonic()
    # Its own process group, so a timeout stops what it started (a lab, kpath) too.
    proc = subprocess.Popen(
        command(bench, quick),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        _stop(proc)
        return Outcome(bench.name, bench.goal, TIMEOUT, seconds=time.monotonic() - started)
    except KeyboardInterrupt:  # its own session does not get the terminal's Ctrl+C
        _stop(proc)
        raise
    return Outcome(
        bench.name, bench.goal, "", proc.returncode, out, err, time.monotonic() - started
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    import signal

    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.communicate(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


def machine() -> dict[str, str]:
    info = {"cores": str(os.cpu_count()), "memory": _memory()}
    info["Python"] = platform.python_version()
    info["system"] = f"{platform.system()} {platform.release()}"
    load = os.getloadavg()
    info["load average at the start"] = f"{load[0]:.2f}"
    return info


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the scale, within 5 min")
    ap.add_argument(
        "--only", nargs="+", metavar="NAME", help="run only these (bench_X or X); see --list"
    )
    ap.add_argument("--list", action="store_true", help="list the benchmarks and their budgets")
    ap.add_argument("--write-results", action="store_true", help="also write benchmarks/RESULTS.md")
    a = ap.parse_args(argv)
    if a.list:
        for b in BENCHMARKS:
            there = "" if (HERE / f"{b.name}.py").exists() else "  (not there yet)"
            print(f"{b.name:24} quick {b.quick_s:4.0f} s  full {b.full_s:5.0f} s  {b.goal}{there}")
        return 0
    chosen = list(BENCHMARKS)
    if a.only:
        names = [n if n.startswith("bench_") else f"bench_{n}" for n in a.only]
        unknown = [n for n in names if n.removesuffix(".py") not in BY_NAME]
        if unknown:
            ap.error(f"no benchmark {', '.join(unknown)} (see --list)")
        chosen = [BY_NAME[n.removesuffix(".py")] for n in names]
    info = machine()
    started = time.monotonic()
    budget = QUICK_BUDGET if a.quick else FULL_BUDGET
    rows: list[Row] = []
    try:
        for b in chosen:
            left = budget - (time.monotonic() - started)
            own = b.quick_s if a.quick else b.full_s
            print(f"run: {b.name} (budget {min(own, left):.0f} s) …", file=sys.stderr, flush=True)
            rows.extend(rows_for(run_one(b, a.quick, min(own, left))))
    except KeyboardInterrupt:  # what ran so far, then out
        print(text_table(rows))
        print("run.py: interrupted", file=sys.stderr)
        return 130
    took = time.monotonic() - started
    print(text_table(rows))
    print(f"\n{summary(rows)}; {took:.0f} s in all ({'quick' if a.quick else 'full'} run)")
    if a.write_results:
        info["load average at the end"] = f"{os.getloadavg()[0]:.2f}"
        info["commit"] = _commit()
        info["run"] = f"{'quick' if a.quick else 'full'}, {took:.0f} s"
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        flags = " ".join(["python benchmarks/run.py", *(["--quick"] if a.quick else [])])
        text = results_markdown(
            rows,
            date=now,
            machine=info,
            command=flags + " --write-results",
            limits={b.name: b.limits for b in BENCHMARKS},
        )
        (HERE / "RESULTS.md").write_text(text)
        print("wrote benchmarks/RESULTS.md", file=sys.stderr)
    return exit_code(rows)


if __name__ == "__main__":
    raise SystemExit(main())
