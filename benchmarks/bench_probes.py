"""Probe speed against the lab: 2,000 probe targets, a quarter of them hanging.

    python benchmarks/bench_probes.py [--concurrency 64] [--timeout 1.0] [--targets 2000]

The lab (the shop scenario's data plane, real sockets on 127.B.0.0/16) runs in a child
process so that its work does not share this process's event loop or GIL. The targets are
kpath's own probe plan for the lab, repeated to the asked count:

- hanging (a quarter): the Local-policy black hole (checkout's NodePort on node-c) and the
  scenario's hanging recommendations pod: both accept and never answer;
- reachable (the rest): pods at their IPs, NodePorts and load-balancer addresses that answer.

Figures printed:

- kpath's total time for the mixed run, the ideal ``ceil(hanging / C) × T + reachable /
  bare_rate``, and their ratio (goal: at most 1.2);
- reachable probes per second, kpath against a bare httpx loop with the same concurrency and
  no keep-alive, measured in this run (goal: at least 0.8×);
- event-loop lag during kpath's runs, p50 / p99 / max (goal: p99 under 50 ms), and the same
  monitor during the bare loop as a control (lag the machine causes, not kpath), with the
  load average: on a shared 2-core machine the lab child and other processes compete for CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from benchmarks._goal import emit, result  # noqa: E402
from kpath.cluster.raw import KINDS, RawCluster  # noqa: E402
from kpath.cluster.snapshot import build_snapshot  # noqa: E402
from kpath.probe.expect import Expect  # noqa: E402
from kpath.probe.plan import HopKind, PlanOptions, ProbeTarget, plan_probes  # noqa: E402
from kpath.probe.prober import ProbeOptions, ProbeResult, run_probes  # noqa: E402
from kpath.routing.analysis import analyse  # noqa: E402


# --------------------------------------------------------------------------- the lab (child)
def serve() -> None:
    """Child process: run the lab's data plane, print its objects, stay up until stdin closes."""
    from kpath.lab.runner import LabThread

    with LabThread("shop", serve_api=False) as lab:
        objects = {kind: lab.call(_list(lab, kind)) for kind in KINDS}
        hung = lab.pods("shop", "recommendations")[0]["metadata"]["name"]
        print(json.dumps({"objects": objects, "hung": f"shop/{hung}"}), flush=True)
        # The parent reads that one line only: anything printed later goes nowhere rather
        # than into a pipe nobody reads (which would block the lab once it filled).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.stdin.read()


async def _list(lab: Any, kind: str) -> list[dict[str, Any]]:
    return list(lab.store.list(kind))


def start_lab() -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("the lab did not start")
    return proc, json.loads(line)


# --------------------------------------------------------------------------- targets
def targets(info: dict[str, Any], count: int) -> tuple[list[ProbeTarget], list[ProbeTarget]]:
    raw = RawCluster(origin="lab")
    for kind, items in info["objects"].items():
        raw.saw(kind)
        for item in items:
            raw.add(kind, item)
    analysis = analyse(build_snapshot(raw))
    plan = plan_probes(analysis.snapshot, analysis.paths, PlanOptions())
    hung_pod = info["hung"]
    touches_hung = {
        str(plan.paths[r.path].service)
        for t in plan.targets
        if str(t.pod) == hung_pod
        for r in t.refs
    }
    hanging, reachable = [], []
    for t in plan.targets:
        services = {str(plan.paths[r.path].service) for r in t.refs}
        one = t._replace(repeat=1)
        if t.hop == HopKind.HEALTH or t.internal:
            continue
        if str(t.pod) == hung_pod or (t.expect == {Expect.SILENT} and t.hop == HopKind.NODE):
            hanging.append(one)
        elif t.expect == {Expect.ANSWER} and not services & touches_hung:
            reachable.append(one._replace(pod=None))  # never the API proxy here
    n_hang = count // 4
    n_reach = count - n_hang
    hang_list = [hanging[i % len(hanging)] for i in range(n_hang)]
    reach_list = [reachable[i % len(reachable)] for i in range(n_reach)]
    return hang_list, reach_list


def interleave(hanging: list[ProbeTarget], reachable: list[ProbeTarget]) -> list[ProbeTarget]:
    """Every fourth target hangs, spread through the run as a real plan spreads them."""
    out: list[ProbeTarget] = []
    h = iter(hanging)
    r = iter(reachable)
    for i in range(len(hanging) + len(reachable)):
        nxt = next(h, None) if i % 4 == 3 else next(r, None)
        out.append(nxt if nxt is not None else next(r, None) or next(h))
    return out


# --------------------------------------------------------------------------- measuring
class LagMonitor:
    """Samples how late the event loop runs a 5 ms sleep: the TUI's responsiveness."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(0.005)
            self.lags.append((loop.time() - start - 0.005) * 1000)

    def __enter__(self) -> LagMonitor:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def kpath_run(
    ts: list[ProbeTarget], c: int, t: float, lag: LagMonitor
) -> tuple[float, list[ProbeResult]]:
    start = time.perf_counter()
    with lag:
        results = await run_probes(ts, ProbeOptions(concurrency=c, timeout=t))
    return time.perf_counter() - start, results


async def bare_run(
    ts: list[ProbeTarget], c: int, t: float, lag: LagMonitor | None = None
) -> tuple[float, int]:
    """The baseline: httpx, a semaphore, no keep-alive, nothing else."""
    if lag is not None:
        with lag:
            return await bare_run(ts, c, t)
    sem = asyncio.Semaphore(c)
    ok = 0
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=t, trust_env=False) as client:

        async def one(target: ProbeTarget) -> None:
            nonlocal ok
            async with sem:
                try:
                    await client.get(target.url, headers={"Connection": "close"})
                    ok += 1
                except httpx.HTTPError:
                    pass

        start = time.perf_counter()
        await asyncio.gather(*(one(x) for x in ts))
        return time.perf_counter() - start, ok


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


async def measure(args: argparse.Namespace, info: dict[str, Any]) -> dict[str, Any]:
    c, t = args.concurrency, args.timeout
    hanging, reachable = targets(info, args.targets)
    mixed = interleave(hanging, reachable)
    await bare_run(reachable[:200], c, t)  # warm up both sides (imports, SSL contexts, lab)
    await run_probes(reachable[:200], ProbeOptions(concurrency=c, timeout=t))

    bare_s, bare_ok = [], 0
    kp_s: list[float] = []
    reach_lag, bare_lag = LagMonitor(), LagMonitor()
    for _ in range(args.rounds):  # alternate, so drift in the lab hurts both alike
        s, bare_ok = await bare_run(reachable, c, t, bare_lag)
        bare_s.append(s)
        s2, res = await kpath_run(reachable, c, t, reach_lag)
        kp_s.append(s2)
    bare_rate = len(reachable) / statistics.median(bare_s)
    kp_rate = len(reachable) / statistics.median(kp_s)
    kp_ok = sum(r.answered for r in res)

    mixed_lag = LagMonitor()
    total, results = await kpath_run(mixed, c, t, mixed_lag)
    timeouts = sum(r.outcome.value == "timeout" for r in results)
    ideal = math.ceil(len(hanging) / c) * t + len(reachable) / bare_rate
    lags = reach_lag.lags + mixed_lag.lags
    return {
        "targets": len(mixed),
        "hanging": len(hanging),
        "reachable": len(reachable),
        "concurrency": c,
        "timeout_s": t,
        "rounds": args.rounds,
        "mixed_total_s": round(total, 3),
        "ideal_s": round(ideal, 3),
        "ratio": round(total / ideal, 3),
        "mixed_timeouts": timeouts,
        "bare_probes_per_s": round(bare_rate, 1),
        "kpath_probes_per_s": round(kp_rate, 1),
        "rate_ratio": round(kp_rate / bare_rate, 3),
        "bare_ok": bare_ok,
        "kpath_ok": kp_ok,
        "lag_ms": {
            "p50": round(pct(lags, 50), 2),
            "p99": round(pct(lags, 99), 2),
            "max": round(max(lags, default=0.0), 2),
            "samples": len(lags),
        },
        # The same monitor during the bare loop: lag the machine causes, not kpath.
        "bare_lag_ms": {
            "p50": round(pct(bare_lag.lags, 50), 2),
            "p99": round(pct(bare_lag.lags, 99), 2),
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def goal_results(fig: dict[str, Any]) -> list[dict[str, Any]]:
    lag = fig["lag_ms"]
    return [
        result(
            "probes: mixed total ≤ 1.2× ideal",
            fig["mixed_total_s"],
            "s",
            1.2,
            reference=fig["ideal_s"],
            note=f"{fig['targets']} targets, {fig['hanging']} hanging",
        ),
        result(
            "probes: reachable rate ≥ 0.8× bare httpx",
            fig["kpath_probes_per_s"],
            "count",
            0.8,
            reference=fig["bare_probes_per_s"],
            at_least=True,
            note=f"probes per second; median of {fig['rounds']} round(s)",
        ),
        result(
            "probes: event-loop lag p99 < 50 ms",
            lag["p99"],
            "ms",
            50,
            note=f"the bare loop's p99 {fig['bare_lag_ms']['p99']:.0f} ms (the machine's)",
        ),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--targets", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3, help="reachable-rate rounds (median)")
    ap.add_argument(
        "--json", action="store_true", help="print the figures and their results as JSON only"
    )
    args = ap.parse_args()
    if args.serve:
        serve()
        return 0
    proc, info = start_lab()
    try:
        fig = asyncio.run(measure(args, info))
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
    if args.json:  # the figures, then run.py's results line
        print(json.dumps(fig))
        emit(goal_results(fig))
        return 0
    lag = fig["lag_ms"]
    print(
        f"targets {fig['targets']} ({fig['hanging']} hanging, {fig['reachable']} reachable), "
        f"concurrency {fig['concurrency']}, timeout {fig['timeout_s']:g} s"
    )
    print(
        f"mixed run   {fig['mixed_total_s']:.2f} s   ideal {fig['ideal_s']:.2f} s   "
        f"ratio {fig['ratio']:.3f}   (goal <= 1.2; {fig['mixed_timeouts']} timed out)"
    )
    print(
        f"reachable   kpath {fig['kpath_probes_per_s']:.0f}/s   bare httpx "
        f"{fig['bare_probes_per_s']:.0f}/s   ratio {fig['rate_ratio']:.3f}   (goal >= 0.8; "
        f"ok {fig['kpath_ok']} vs {fig['bare_ok']})"
    )
    print(
        f"loop lag    p50 {lag['p50']:.1f} ms   p99 {lag['p99']:.1f} ms   max "
        f"{lag['max']:.1f} ms   ({lag['samples']} samples; goal p99 < 50 ms)"
    )
    bare = fig["bare_lag_ms"]
    print(
        f"            control: the bare loop's lag p50 {bare['p50']:.1f} ms   p99 "
        f"{bare['p99']:.1f} ms; load average {fig['load_average']} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
