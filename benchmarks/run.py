"""Run every kpath benchmark and print one table: goal, measured, reference, ratio, result.

    python benchmarks/run.py [--quick] [--only NAME ...] [--list] [--write-results]
        [--budget-factor F]

Each benchmark runs as its own process, one after the other (two cores: side by side they
would measure each other), as ``python benchmarks/bench_X.py [its flags] --json``, and
ends its output with one JSON line (see benchmarks/_goal.py). ``--quick`` runs each at
about a tenth of its scale, within 5 minutes in all; the full run takes at most 40. Each
benchmark has a budget for either; one that overruns it, is not there (not merged yet)
or dies is a row saying so. What the budgets add up to is printed first; near the run's
cap, a benchmark runs for what is left or is not started, and its row says which.

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

#: The whole run's cap (s): the goal is 5 minutes quick, 40 full, less a margin for run.py's
#: own start and the table. Each benchmark is stopped at its own budget. The full budgets
#: add up to the cap. The quick ones are guards against a hang with room for a loaded
#: machine (about 2.5 times what each takes on a quiet one: a benchmark stopped midway
#: reports nothing, so under load it is better to finish some than to stop all), and add
#: up to more than the cap; what they take on a quiet machine (QUICK_EXPECTED) leaves the
#: cap a fifth to spare. On a slower one, a benchmark whose budget no longer fits in what
#: is left of the cap runs for what is left if its time at the run's pace so far fits
#: (`pace`, `plan`); if not, it is not started (the next that fits is); its row says which.
#: ``--budget-factor`` stretches every budget and the cap alike.
QUICK_BUDGET, FULL_BUDGET = 290.0, 2340.0
QUICK_EXPECTED = 235.0
#: A quick budget is about this many times what the benchmark takes on a quiet machine.
QUICK_GUARD = 2.5


@dataclass(frozen=True)
class Bench:
    name: str
    goal: str  # what it measures, for a row without results
    quick: tuple[str, ...]  # flags for --quick (before --json)
    full: tuple[str, ...]
    quick_s: float  # budget (s) for a quick run
    full_s: float
    limits: str  # what limits its figures, and what each run uses: a paragraph of RESULTS.md


# Issue 13's goals first (the run's point), then the benchmarks of earlier issues, longest
# first. Quick budgets: about 2.5 times what each takes at 1/10 scale on the quiet 2-core
# machine (taken as 1/1.4 of what it took at load average 3). Full budgets: what each took
# in full runs on a quiet machine (RESULTS.md), with room for a slower one, data generated
# on first use included (generate_cluster.py: 1 GB in 7-50 s).
BENCHMARKS: tuple[Bench, ...] = (
    Bench(
        "bench_startup",
        "5. start-up: --help ≤ 2×, paths --dump small ≤ 3× `import rich`",
        ("--quick",),
        (),
        15,
        45,
        "Whole processes, interleaved, CPU medians (quick: 7 rounds, full: 21). `kpath "
        "--help` is bounded below by the interpreter, argparse and the parser kpath builds "
        "for the named command; `kpath paths` on a small dump by what printing its table "
        "needs: Rich's console and text (`import rich.console` alone costs about three times "
        "`import rich`), the dump reader, the snapshot records and the routing modules, "
        "whatever the dump's size; since typed decoding, msgspec and its decoders too.",
    ),
    Bench(
        "bench_offline",
        "1. offline: paths ≤ 0.5× json.loads, peak ≤ 1.5× file",
        ("--quick", "--repeat", "1"),
        ("--repeat", "1"),
        30,
        210,
        "Decoding dominates: the typed decoder reads the file's bytes in C and builds only "
        "the records routing reads; the floor is reading the file and the routing itself. "
        "Quick: the 1/10 cluster, one round; full: the full-scale cluster, one round.",
    ),
    Bench(
        "bench_live",
        "2. live: ≤ 0.1× kubectl, peak ≤ 1.0× bytes, ≤ 3× fetch",
        ("--quick", "--repeat", "1", "--no-kubectl"),
        ("--quick", "--repeat", "3"),
        45,
        255,
        "Bound below by fetching the pages (the lab's server and httpx reading the bytes) "
        "and decoding them page by page; kubectl's own time is its JSON decoding. Both runs "
        "serve the 1/10 cluster (the issue's 106 MB): the quick run leaves kubectl out "
        "(15-130 s a run here), the full run takes three rounds with it and judges the "
        "kubectl ratio.",
    ),
    Bench(
        "bench_watch",
        "3. watching: zero LISTs after the initial load",
        ("--quick", "--seconds", "6", "--churn", "2"),
        (),
        35,
        360,
        "A count, not a time: LIST requests in the lab's request record while the 1/10 "
        "cluster churns; only `410 Gone` may cause a re-list, of that kind. The full run "
        "follows for the goal's 5 minutes (a tick every 5 s), the quick run for 6 s with a "
        "tick every 2 s (3 ticks, each a rollout, a killed pod and a node flap).",
    ),
    Bench(
        "bench_incremental",
        "3. one event ≤ 1/1000 of a full rebuild",
        ("--quick", "--rebuilds", "5"),
        ("--quick",),
        75,
        90,
        "An event's cost is what it can change (a pod: the services selecting it); the "
        "rebuild's is every path of the cluster. Python's per-call overhead bounds the "
        "event from below; node events (NotReady and back) regroup every service's nodes "
        "and are most of the time. Both runs: the goal's 1/10 cluster and 1,000 events.",
    ),
    Bench(
        "bench_watch_tui",
        "3. the affected row on screen ≤ 100 ms after the event",
        ("--quick", "--seconds", "10", "--churn", "2.5"),
        ("--quick",),
        45,
        100,
        "Textual's refresh (at most one frame per refresh interval) and the repaint of the "
        "changed rows; the machine's load adds scheduling delay. Both runs at the goal's 1/10 "
        "scale (quick: 10 s, a tick every 2.5 s; full: 60 s, a tick every 5 s).",
    ),
    Bench(
        "bench_tui_scale",
        "4. TUI at 100,000 services: keystroke ≤ 1.2× at 1,000; first screen ≤ 1.2× discovery",
        ("--quick",),  # its own smaller sizes, one app and 2 processes of each: see its note
        ("--rounds", "3", "--firsts", "1"),
        60,
        405,
        "A keystroke repaints what is on screen only; the first screen is bounded by live "
        "discovery itself. Quick: 5,000 against 1,000 services, one app of each, two first "
        "screens of a 1/50 cluster (where Textual's fixed start-up weighs most: judge the "
        "first screen at full scale); full: 100,000 services, three apps of each, one first "
        "screen at full scale.",
    ),
    Bench(
        "bench_paths",
        "issue 1: paths ≤ 1.5× json.loads, kept ≤ 10%, peak ≤ 1.2×",
        ("--quick", "--repeat", "1"),
        ("--repeat", "1"),
        45,
        281,
        "Loading is the typed decoder over the whole file; routing adds the snapshot and "
        "analysis. The kept figure is measured under tracemalloc, which slows that run "
        "several times. Quick: the 1/10 cluster, json.loads with the collector off only (the "
        "faster floor); full: full scale, both json.loads runs.",
    ),
    Bench(
        "bench_tui",
        "TUI at 10,000 services: first screen, filter keystroke, select",
        ("--quick",),
        ("--first", "10"),
        55,
        90,
        "Pilot's own waits are subtracted (the same operation on a 5-service app); what "
        "remains is Textual's layout and repaint of the rows and the path diagrams. Quick: "
        "1,000 services, 8 samples, 3 fresh apps; full: 10,000 services, 30 samples, 10 "
        "fresh apps.",
    ),
    Bench(
        "bench_lab_serve",
        "the lab serving a dump: fetch, kubectl, client (a yardstick)",
        ("--repeat", "1", "--no-kubectl", "--no-client"),
        ("--repeat", "1", "--no-kubectl"),
        28,
        55,
        "The lab's server builds a page from stored bytes; the clients' own decoding is the "
        "rest (the official client decodes every object). Both runs serve the 1/10 cluster; "
        "the full run adds the official client (kubectl is timed by bench_live).",
    ),
    Bench(
        "bench_bandwidth",
        "bytes to the terminal: idle 0, refresh small",
        ("--idle", "2"),
        (),
        24,
        24,
        "Bytes, not time: a reload resends only rows and lines that changed; probe results "
        "redraw the selected path as they land. Quick: 2 s idle; full: 5 s.",
    ),
    Bench(
        "bench_netpol_paths",
        "issue 14: policy verdicts add ≤ 20% CPU to paths",
        ("--quick", "--repeat", "1"),
        ("--repeat", "3"),
        25,
        150,
        "The per-endpoint verdicts of Cluster-policy node groups and the policy notes in the "
        "table; two whole processes per pair, so the machine's load moves both. Quick: 1/10 "
        "with 200 policies, one pair; full: the goal's scale (10,000 services, 2,000 "
        "policies), three pairs (about 15 s a pair on a quiet machine, minutes on a busy one).",
    ),
    Bench(
        "bench_request",
        "kpath request ≤ 0.2 s CPU (warm)",
        ("--runs", "3", "--samples", "50", "--routes", "1000"),
        ("--runs", "21"),
        18,
        33,
        "As reach: the cold run decodes the dump; the warm run loads the kept snapshot. "
        "Quick: 3 processes of each; full: 21.",
    ),
    Bench(
        "bench_reach",
        "issue 14: kpath reach ≤ 0.2 s CPU (cold and warm)",
        ("--runs", "3", "--samples", "200"),
        ("--runs", "21"),
        15,
        45,
        "Cold: interpreter start, imports, decoding the whole dump and building the pods "
        "and policies one question reads. Warm: loading the kept snapshot. The floor is "
        "`python` + `json.loads` of the dump. Quick: 3 processes of each; full: 21.",
    ),
    Bench(
        "bench_stale",
        "API server lost and back: stale and fresh times",
        ("--rounds", "1", "--outage", "1"),
        ("--rounds", "1", "--outage", "3"),
        16,
        90,
        "Bounded by the watch's reconnect backoff and the reload after the server returns. "
        "Quick: one round, a 1 s outage; full: one round, a 3 s outage (three took over 112 s).",
    ),
    Bench(
        "bench_black_hole",
        "the demo's black hole found at 80x24",
        (),
        (),
        12,
        12,
        "Keys and bytes until the dropping node's hop box is on screen: the layout at 80x24.",
    ),
    Bench(
        "bench_probes",
        "probes: mixed total ≤ 1.2× ideal, rate ≥ 0.8× bare httpx, lag p99 < 50 ms",
        ("--targets", "200", "--rounds", "1"),
        (),
        25,
        75,
        "Probe time is the hanging targets' timeouts in waves of the concurrency; the "
        "reachable rate and loop lag are the machine's as much as kpath's (the bare httpx "
        "control loop shows the same lag on a loaded machine). Quick: 200 targets, one "
        "round; full: 2,000 targets, three rounds.",
    ),
    Bench(
        "bench_gateway_resolve",
        "Gateway routing: requests answered per second",
        ("--routes", "1000", "--requests", "200"),
        (),
        6,
        6,
        "Matching a request against the listener's rules: the index narrows by hostname "
        "first, then the rules of that host in precedence order. Quick: 1,000 routes, 200 "
        "requests; full: 10,000 and 1,000.",
    ),
    Bench(
        "bench_gateway_plan",
        "probe planning over Gateway rules",
        ("--routes", "200"),
        (),
        5,
        5,
        "Planning is kpath's Gateway routing answering each rule's request and resolving "
        "its backends. Quick: 200 routes; full: 2,000.",
    ),
    Bench(
        "bench_sanitise",
        "the sanitiser at 10,000 rows",
        ("--rows", "1000", "--repeat", "3"),
        (),
        5,
        8,
        "A regular-expression scan per cell: plain names take the fast path. Quick: 1,000 "
        "rows, 3 repeats; full: 10,000 rows, 5.",
    ),
)

BY_NAME = {b.name: b for b in BENCHMARKS}


def command(bench: Bench, quick: bool) -> list[str]:
    flags = bench.quick if quick else bench.full
    return [sys.executable, str(HERE / f"{bench.name}.py"), *flags, "--json"]


def child_env() -> dict[str, str]:
    """The benchmarks' environment: compiled modules cached in benchmarks/out/pycache, as
    an installed kpath has them (with PYTHONDONTWRITEBYTECODE set, every process, and every
    kpath a benchmark starts, compiles kpath's sources again: ~0.8 s for the TUI's)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", str(HERE / "out" / "pycache"))
    return env


def pace(timings: Sequence[tuple[str, float, float]], guard: float) -> float:
    """How many times slower than a quiet machine this run goes, from the benchmarks so far
    (what each took against its budget over ``guard``); 1 before any, never below 1."""
    expected = sum(budget / guard for _, _, budget in timings)
    taken = sum(seconds for _, seconds, _ in timings)
    return max(1.0, taken / expected) if expected else 1.0


def plan(own: float, left: float, cap: float, guard: float = 1.0, speed: float = 1.0) -> str:
    """Why a benchmark whose budget is ``own`` is not started with ``left`` seconds of the
    run's ``cap``, or "" when it is: when its budget fits, or when what it takes at this
    run's pace does (``own / guard`` on a quiet machine, ``speed`` times that here; it then
    runs for what is left). One stopped midway reports nothing: the time is better given to
    the next ones that fit."""
    needs = own / guard * speed
    if own <= left or needs <= left:
        return ""
    at = f"at this run's pace ({speed:.1f}× a quiet machine's) " if guard > 1 else ""
    return (
        f"not started: {at}it needs up to {min(needs, own):.0f} s, more than the "
        f"{max(left, 0.0):.0f} s left of the run's {cap:.0f} s"
    )


def run_one(bench: Bench, quick: bool, budget: float, why: str = "") -> Outcome:
    """Run one benchmark within ``budget`` seconds; never raises for what the child does.

    ``why``: whose limit ``budget`` is, for the row of a benchmark it stops (its own by
    default)."""
    script = HERE / f"{bench.name}.py"
    if not script.exists():
        return Outcome(bench.name, bench.goal, status=MISSING)
    started = time.monotonic()
    # Its own process group, so a timeout stops what it started (a lab, kpath) too.
    proc = subprocess.Popen(
        command(bench, quick),
        cwd=ROOT,
        env=child_env(),
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
        spent = time.monotonic() - started
        return Outcome(
            bench.name, bench.goal, TIMEOUT, seconds=spent, why=why or f"its budget, {budget:.0f} s"
        )
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
    ap.add_argument(
        "--budget-factor",
        type=float,
        default=1.0,
        metavar="F",
        help="multiply every budget and the run's cap by F (a loaded machine; the run says so)",
    )
    a = ap.parse_args(argv)
    if a.list:
        for b in BENCHMARKS:
            there = "" if (HERE / f"{b.name}.py").exists() else "  (not there yet)"
            print(f"{b.name:24} quick {b.quick_s:4.0f} s  full {b.full_s:5.0f} s  {b.goal}{there}")
        quick, full = sum(b.quick_s for b in BENCHMARKS), sum(b.full_s for b in BENCHMARKS)
        print(
            f"{'(all)':24} quick {quick:4.0f} s  full {full:5.0f} s  caps: "
            f"{QUICK_BUDGET:.0f} s quick, {FULL_BUDGET:.0f} s full"
        )
        return 0
    chosen = list(BENCHMARKS)
    if a.only:
        names = [n if n.startswith("bench_") else f"bench_{n}" for n in a.only]
        unknown = [n for n in names if n.removesuffix(".py") not in BY_NAME]
        if unknown:
            ap.error(f"no benchmark {', '.join(unknown)} (see --list)")
        chosen = [BY_NAME[n.removesuffix(".py")] for n in names]
    info = machine()
    if not 0 < a.budget_factor <= 10:
        ap.error("--budget-factor must be above 0 and at most 10")
    factor = a.budget_factor
    cap = (QUICK_BUDGET if a.quick else FULL_BUDGET) * factor
    kind = "quick" if a.quick else "full"
    if factor != 1:
        kind += f", budgets ×{factor:g}"
    budgets = [(b.quick_s if a.quick else b.full_s) * factor for b in chosen]
    guard = QUICK_GUARD if a.quick else 1.0  # the full budgets are estimates, not guards
    print(
        f"run.py: {len(chosen)} benchmark(s), {kind} run: their budgets add up to "
        f"{sum(budgets):.0f} s ({sum(budgets) / 60:.1f} min); the run's cap is {cap:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    if sum(budgets) > cap:
        expected = f" (a quiet machine takes about {QUICK_EXPECTED:.0f} s)" if a.quick else ""
        print(
            f"run.py: more than the cap{expected}: near the cap, a benchmark runs for what is "
            "left or is not started, and its row says which",
            file=sys.stderr,
            flush=True,
        )
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores:
        print(
            f"run.py: load average {load:.1f} on {cores} cores: other work shares the machine, "
            "times are longer than a quiet machine's and the cap may end the run early "
            "(--budget-factor stretches it)",
            file=sys.stderr,
            flush=True,
        )
    started = time.monotonic()
    rows: list[Row] = []
    timings: list[tuple[str, float, float]] = []  # (name, seconds taken, its budget)
    try:
        for b, own in zip(chosen, budgets, strict=True):
            left = cap - (time.monotonic() - started)
            why = plan(own, left, cap, guard, pace(timings, guard))
            if why:
                print(f"run: {b.name}: {why}", file=sys.stderr, flush=True)
                rows.extend(rows_for(Outcome(b.name, b.goal, status=SKIPPED, why=why)))
                continue
            given = min(own, left)
            cut = f"the rest of the run's {cap:.0f} s; its own budget is {own:.0f} s"
            print(f"run: {b.name} (budget {given:.0f} s) …", file=sys.stderr, flush=True)
            outcome = run_one(b, a.quick, given, cut if given < own else "")
            if outcome.status != MISSING:
                timings.append((b.name, outcome.seconds, own))
                print(f"run: {b.name} took {outcome.seconds:.1f} s", file=sys.stderr, flush=True)
            rows.extend(rows_for(outcome))
    except KeyboardInterrupt:  # what ran so far, then out
        print(text_table(rows))
        print("run.py: interrupted", file=sys.stderr)
        return 130
    took = time.monotonic() - started
    print(text_table(rows))
    print(f"\n{summary(rows)}; {took:.0f} s in all ({kind} run, cap {cap:.0f} s)")
    spent = ", ".join(f"{n} {t:.0f}/{o:.0f} s" for n, t, o in timings)
    print(f"time each took, of its budget: {spent}")
    if a.write_results:
        info["load average at the end"] = f"{os.getloadavg()[0]:.2f}"
        info["commit"] = _commit()
        info["run"] = f"{kind}, {took:.0f} s of a {cap:.0f} s cap"
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        flags = " ".join(
            [
                "python benchmarks/run.py",
                *(["--quick"] if a.quick else []),
                *([f"--budget-factor {factor:g}"] if factor != 1 else []),
            ]
        )
        text = results_markdown(
            rows,
            date=now,
            machine=info,
            command=flags + " --write-results",
            limits={b.name: b.limits for b in BENCHMARKS},
            timings=timings,
        )
        (HERE / "RESULTS.md").write_text(text)
        print("wrote benchmarks/RESULTS.md", file=sys.stderr)
    return exit_code(rows)


if __name__ == "__main__":
    raise SystemExit(main())
