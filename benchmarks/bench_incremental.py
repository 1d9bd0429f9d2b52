"""One watch event applied and re-analysed, against a full rebuild of the same cluster.

    python benchmarks/bench_incremental.py [--quick] [--file FILE] [--events 1000]
        [--rebuilds 5] [--seed 1] [--json]

Loads the generated cluster (`generate_cluster.py`; `--quick` is one tenth of the full
scale: 500 nodes, 15,000 pods, 1,000 services) as `kpath paths --dump` does, then in this
one process:

- **rebuild**: `build_snapshot` + `analyse` of the raw objects, ``--rebuilds`` times;
- **event**: ``--events`` realistic watch events, each made against the cluster as it is
  by then and handed to `LiveAnalysis.apply` alone, timed from the call to its return (the
  new analysis in hand): a pod turning ready or unready, a pod deleted and the same pod
  added again with a new IP (two events), an endpoint of an EndpointSlice turning ready or
  unready, a Service's selector edited (and back), a node going NotReady (and back).

Goal (issue 13, goal 3): the median event ≤ 1/1000 of the median rebuild. Medians per
event kind are printed too. After the events the live analysis is compared with a rebuild
of the same raw objects (the whole `kpath paths -o json` document): the figure counts only
if they are equal. In-process timing is the point here: one event against one rebuild,
without the file's decoding in either. The collector is as `load_dump` leaves it (the
decoded objects frozen out of its sight, as for any big input); a collection that falls
inside an event counts in it.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):  # run as a script: make `kpath` and `benchmarks` importable
    sys.path.insert(0, str(HERE.parent))

from benchmarks._goal import emit, result  # noqa: E402
from benchmarks.bench_paths import ChildFailed, ensure_file  # noqa: E402
from kpath.cluster.dump import load_dump  # noqa: E402
from kpath.cluster.events import Change  # noqa: E402
from kpath.cluster.raw import RawCluster, RawObject  # noqa: E402
from kpath.cluster.snapshot import build_snapshot  # noqa: E402
from kpath.export.jsonout import paths_json  # noqa: E402
from kpath.routing.analysis import Analysis, analyse  # noqa: E402
from kpath.routing.incremental import LiveAnalysis  # noqa: E402

LIMIT = 1 / 1000
GOAL = "one event re-analysed ≤ 1/1000 of a full rebuild (median)"

#: Event kinds and their shares of the mix: pods and slices churn, the rest is rare.
MIX = (
    ("pod ready/unready", 35),
    ("pod deleted", 10),  # each followed by the same pod added with a new IP
    ("slice endpoint", 35),
    ("service selector", 5),
    ("node NotReady", 5),
)


def build(raw: RawCluster) -> Analysis:
    return analyse(build_snapshot(raw))


def _ready_condition(conditions: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((c for c in conditions if c.get("type") == "Ready"), None)


class Churn:
    """Realistic events, each made against the raw objects as they are now."""

    def __init__(self, raw: RawCluster, rng: random.Random) -> None:
        self.raw = raw
        self.rng = rng
        self.readd: RawObject | None = None  # a deleted pod to add again
        self.edited: dict[tuple[str, str], dict[str, str]] = {}  # selectors to put back

    def pick(self, kind: str, ok: Callable[[RawObject], bool] = lambda o: True) -> RawObject:
        objects = self.raw.objects[kind]
        while True:
            obj = objects[self.rng.randrange(len(objects))]
            if ok(obj):
                return copy.deepcopy(obj)

    def next(self, what: str) -> tuple[str, Change]:
        if self.readd is not None:  # the second half of a delete and re-add
            pod, self.readd = self.readd, None
            return "pod added (new IP)", Change("Pod", "ADDED", pod)
        if what == "pod ready/unready":
            pod = self.pick("Pod", lambda o: _ready_condition(o["status"].get("conditions", [])))
            cond = _ready_condition(pod["status"]["conditions"])
            assert cond is not None
            cond["status"] = "False" if cond["status"] == "True" else "True"
            return what, Change("Pod", "MODIFIED", pod)
        if what == "pod deleted":
            pod = self.pick("Pod")
            again = copy.deepcopy(pod)
            r = self.rng.randrange
            ip = f"10.{r(128, 255)}.{r(256)}.{r(1, 255)}"
            again["status"]["podIP"] = ip
            again["status"]["podIPs"] = [{"ip": ip}]
            self.readd = again
            return what, Change("Pod", "DELETED", pod)
        if what == "slice endpoint":
            s = self.pick("EndpointSlice", lambda o: bool(o.get("endpoints")))
            ep = s["endpoints"][self.rng.randrange(len(s["endpoints"]))]
            cond = ep.setdefault("conditions", {})
            cond["ready"] = not cond.get("ready", True)
            cond["serving"] = cond["ready"]
            return what, Change("EndpointSlice", "MODIFIED", s)
        if what == "service selector":
            svc = self.pick("Service", lambda o: bool(o["spec"].get("selector")))
            meta = svc["metadata"]
            key = (meta["namespace"], meta["name"])
            if key in self.edited:
                svc["spec"]["selector"] = self.edited.pop(key)
            else:
                self.edited[key] = dict(svc["spec"]["selector"])
                first = next(iter(svc["spec"]["selector"]))
                svc["spec"]["selector"][first] += "-edited"
            return what, Change("Service", "MODIFIED", svc)
        node = self.pick("Node")
        cond = _ready_condition(node["status"].get("conditions", []))
        if cond is None:
            node["status"].setdefault("conditions", []).append({"type": "Ready", "status": "False"})
        else:
            cond["status"] = "False" if cond["status"] == "True" else "True"
        return what, Change("Node", "MODIFIED", node)


def document(analysis: Analysis) -> str:
    return json.dumps(paths_json(analysis, namespaces=None), sort_keys=True, default=str)


def measure(path: Path, events: int, rebuilds: int, seed: int) -> dict[str, Any]:
    raw = load_dump([path])
    rebuild_s: list[float] = []
    for _ in range(rebuilds):
        started = time.perf_counter()
        build(raw)
        rebuild_s.append(time.perf_counter() - started)
    started = time.perf_counter()
    live = LiveAnalysis(raw, build)
    first = time.perf_counter() - started
    rng = random.Random(seed)
    churn = Churn(raw, rng)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    per_kind: dict[str, list[float]] = {}
    for _ in range(events):
        what, change = churn.next(rng.choices(kinds, weights)[0])
        started = time.perf_counter()
        live.apply([change])
        per_kind.setdefault(what, []).append(time.perf_counter() - started)
    same = document(live.analysis) == document(build(copy.deepcopy(raw)))
    return {"rebuild": rebuild_s, "first": first, "events": per_kind, "same": same}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", type=Path, help="a kubectl List to follow (default: generated)")
    p.add_argument("--quick", action="store_true", help="one tenth of the full scale")
    p.add_argument("--events", type=int, default=1000, help="events applied (default 1000)")
    p.add_argument("--rebuilds", type=int, default=5, help="full rebuilds timed (at least 5)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="end with one JSON line of results")
    args = p.parse_args(argv)
    if args.rebuilds < 5 or args.events < 1:
        print(
            "bench_incremental: --rebuilds must be at least 5, --events at least 1", file=sys.stderr
        )
        return 2
    try:
        path = ensure_file(args.file, args.quick)
    except ChildFailed as exc:
        print(f"bench_incremental: {exc}", file=sys.stderr)
        return 2
    m = measure(path, args.events, args.rebuilds, args.seed)
    rebuild = statistics.median(m["rebuild"])
    every = [t for ts in m["events"].values() for t in ts]
    event = statistics.median(every)
    ratio = event / rebuild
    print(
        f"{path.name}: full rebuild (build_snapshot + analyse) median "
        f"{rebuild * 1e3:.0f} ms over {len(m['rebuild'])}"
    )
    print(f"first LiveAnalysis (a build, then its per-service state): {m['first'] * 1e3:.0f} ms")
    print(f"{'event kind':<22} {'n':>5} {'median':>10} {'p90':>10} {'ratio':>10}")
    notes = []
    for kind, ts in sorted(m["events"].items()):
        med = statistics.median(ts)
        p90 = sorted(ts)[int(0.9 * (len(ts) - 1))]
        print(
            f"{kind:<22} {len(ts):>5} {med * 1e3:>8.3f}ms {p90 * 1e3:>8.3f}ms "
            f"{med / rebuild:>10.6f}"
        )
        notes.append(f"{kind} {med * 1e3:.2f} ms (1/{rebuild / med:.0f})")
    print(f"{'all events':<22} {len(every):>5} {event * 1e3:>8.3f}ms {'':>10} {ratio:>10.6f}")
    row = result(
        GOAL,
        event * 1e3,
        "ms",
        LIMIT,
        reference=rebuild * 1e3,
        holds=m["same"],  # a figure of an analysis that went wrong counts for nothing
        note=f"{len(every)} events on {path.name}; "
        + ("" if m["same"] else "live analysis differs from a rebuild; ")
        + "; ".join(notes),
    )
    ok = row["pass"]
    print(
        f"median event {event * 1e3:.3f} ms against a rebuild of {rebuild * 1e3:.0f} ms: "
        f"1/{1 / ratio:.0f} (goal 1/{1 / LIMIT:.0f}) — {'met' if ok else 'NOT met'}; "
        f"the live analysis {'equals' if m['same'] else 'DIFFERS FROM'} a rebuild"
    )
    if args.json:
        emit([row])
    return 0


if __name__ == "__main__":
    sys.exit(main())
