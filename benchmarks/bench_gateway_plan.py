"""Probe planning for Gateway ways in: `plan_probes` over thousands of HTTPRoute rules.

    python benchmarks/bench_gateway_plan.py [--routes 2000] [--shape hostnames|paths|headers]

Builds the routes of `bench_gateway_resolve` (one listener, 500 backend Services with three
endpoints each), analyses the snapshot, then plans the probes of every Gateway way in and
prints the analysis and planning times, the ways in, the probes planned per rule (one per
rule whatever its backends, plus one 404 per listener and the backends' pods once each) and
the rules not probed. A measurement: nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_gateway_resolve as routes  # noqa: E402  (the same routes as the resolve benchmark)

from benchmarks._goal import emit, result  # noqa: E402
from kpath.cluster.raw import RawCluster  # noqa: E402
from kpath.cluster.snapshot import build_snapshot  # noqa: E402
from kpath.probe.plan import HopKind, PlanOptions, plan_probes  # noqa: E402
from kpath.routing.analysis import analyse  # noqa: E402
from kpath.routing.paths import EntryKind  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--routes", type=int, default=2000)
    ap.add_argument("--shape", default="hostnames", choices=("hostnames", "paths", "headers"))
    ap.add_argument("--json", action="store_true", help="end with the results as a JSON line")
    args = ap.parse_args()
    raw = RawCluster(origin="bench")
    for kind in ("Node", "Pod", "Service", "EndpointSlice"):
        raw.saw(kind)
    raw.add(
        "Node",
        {
            "kind": "Node",
            "metadata": {"name": "n1"},
            "status": {
                "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        },
    )
    for o in routes._services():
        raw.add(str(o["kind"]), o)
    snap = routes.snapshot_with(routes.routes_for(args.shape, args.routes), build_snapshot(raw))
    started = time.perf_counter()
    analysis = analyse(snap)
    analysed = time.perf_counter()
    ways = [p for p in analysis.paths if p.entry.kind == EntryKind.GATEWAY]
    plan = plan_probes(snap, ways, PlanOptions(), context=analysis.paths)
    planned = time.perf_counter()
    rules = {(p.entry.gateway.route, p.entry.gateway.rule) for p in ways if p.entry.gateway}
    entry = sum(t.repeat for t in plan.targets if t.hop == HopKind.ENTRY)
    pods = sum(t.repeat for t in plan.targets if t.hop == HopKind.POD)
    print(
        f"{args.routes} HTTPRoutes ({args.shape}): {len(ways)} Gateway ways in, {len(rules)} rules"
    )
    print(f"analyse {analysed - started:.2f} s, plan {planned - analysed:.2f} s")
    print(
        f"probes: {entry} at the Gateway ({entry / max(len(rules), 1):.2f} per rule), "
        f"{pods} at backend pods, {len(plan.not_probed)} not probed"
    )
    if args.json:  # a measurement: no target
        emit(
            [
                result(
                    f"probe planning, {args.routes:,} HTTPRoutes ({args.shape})",
                    planned - analysed,
                    "s",
                    None,
                    note=f"analyse {analysed - started:.2f} s; {len(ways)} ways in",
                ),
                result(
                    "probes at the Gateway per rule",
                    entry / max(len(rules), 1),
                    "x",
                    None,
                    note=f"{pods} at pods, {len(plan.not_probed)} not probed",
                ),
            ]
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
