"""Following a churning cluster with kpath's informer: the API server's load, from its own
record.

    python benchmarks/bench_watch.py [--quick] [--file FILE] [--seconds S] [--churn S] [--json]

The lab serves the 1/10-scale dump (`generate_cluster.py --quick`: 500 nodes, 15,000 pods,
1,000 services; generated into `benchmarks/out/cluster-quick.json` on first use) as a whole
process, churning (`kpath lab --dump F --churn 5`: every 5 s one Deployment rolled out,
one pod killed and replaced, a node NotReady or back; `kpath.lab.churn`). This process
loads it once (`load_live`, -A), then follows it with `follow_cluster` for 5 minutes
(`--quick`: 60 s) and prints, from the lab's request record (`/requests`):

- LIST requests after the initial load (the goal of issue 13: 0; a re-list is allowed only
  after ``410 Gone``, and is counted here as one);
- watches opened (one per kind and scope, plus resumes);
- events delivered, and in how many calls (what arrived together is delivered together);
- whether the followed objects equal a fresh load at the end: the churn is stopped, the
  follower catches up to the lab's last resourceVersion, every delivered event is filed
  into the loaded objects by (namespace, name), and a new `load_live` is compared object
  for object. (Folded into a dict here: `apply_events` is linear per event today and the
  incremental slice owns making it fast.)

The informer's own CPU time over the follow is printed too (this process, minus what the
final comparison costs). ``--json`` prints one JSON line at the end (see benchmarks/README).
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._goal import emit, result
from benchmarks._lab import Lab
from benchmarks.generate_cluster import QUICK, generate
from kpath.cluster.events import Change, Event, Health, Replace, object_key
from kpath.cluster.informer import follow_cluster, plan_streams
from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.raw import RawCluster

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"


def goal(seconds: float) -> str:
    """The row's goal, naming the churn's length (the goal's is 5 minutes; --quick's less)."""
    length = "5-min" if seconds == 300 else f"{seconds:g}-s"
    return f"watching: LIST requests after the initial load, {length} churn at 1/10 scale"


def dump_file() -> Path:
    path = OUT / "cluster-quick.json"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ...", flush=True)
        print(generate(path, QUICK).line(), flush=True)
    return path


class Tally:
    """What follow_cluster delivered: the events (to fold in at the end) and how."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.calls = 0
        self.largest = 0
        self.lost = 0
        self.top_rv = 0
        self._cond = threading.Condition()

    def __call__(self, events: Sequence[Event]) -> None:
        with self._cond:
            self.calls += 1
            self.largest = max(self.largest, len(events))
            for e in events:
                if isinstance(e, Health) and not e.ok:
                    self.lost += 1
                elif isinstance(e, Change):
                    rv = (e.obj.get("metadata") or {}).get("resourceVersion") or "0"
                    self.top_rv = max(self.top_rv, int(rv) if str(rv).isdigit() else 0)
            self.events.extend(events)
            self._cond.notify_all()

    def wait_for(self, rv: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.top_rv >= rv, timeout)


def fold(raw: RawCluster, events: Sequence[Event]) -> dict[str, dict[tuple[str, str], Any]]:
    """``raw`` by kind and key with ``events`` filed in (what `apply_events` does)."""
    held = {k: {object_key(o): o for o in objs} for k, objs in raw.objects.items()}
    for e in events:
        if isinstance(e, Health):
            continue
        objs = held.setdefault(e.kind, {})
        if isinstance(e, Replace):
            for key in [k for k in objs if e.namespace is None or k[0] == e.namespace]:
                del objs[key]
            objs.update((object_key(o), o) for o in e.objects)
        elif e.type == "DELETED":
            objs.pop(object_key(e.obj), None)
        else:
            objs[object_key(e.obj)] = e.obj
    return held


def differences(a: dict[str, dict[Any, Any]], b: dict[str, dict[Any, Any]]) -> int:
    """Objects present in one and not the other, or different."""
    out = 0
    for kind in a.keys() | b.keys():
        x, y = a.get(kind, {}), b.get(kind, {})
        out += len(x.keys() ^ y.keys()) + sum(1 for k in x.keys() & y.keys() if x[k] != y[k])
    return out


def lists_of(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    return dict(counts.get("list", {}))


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="follow for 60 s instead of 300 s")
    p.add_argument("--file", type=Path, help="a dump to serve (default: the 1/10 scale one)")
    p.add_argument("--seconds", type=float, help="how long to follow (overrides --quick)")
    p.add_argument("--churn", type=float, default=5.0, help="seconds between churn ticks")
    p.add_argument("--json", action="store_true", help="print one JSON line of results last")
    a = p.parse_args(argv)
    seconds = a.seconds or (60.0 if a.quick else 300.0)
    dump = a.file or dump_file()
    lab = Lab(dump, churn=a.churn)
    try:
        options = LiveOptions(kubeconfig=str(lab.kubeconfig), all_namespaces=True)
        started = time.perf_counter()
        raw = load_live(options)
        load_seconds = time.perf_counter() - started
        after_load = lab.get("/requests")
        tally = Tally()
        stop = threading.Event()
        plans = plan_streams(raw, None)
        cpu0 = cpu()
        follower = threading.Thread(
            target=follow_cluster, args=(options, raw, tally, stop), daemon=True
        )
        follower.start()
        time.sleep(seconds)
        lab.post("/churn/stop")
        last_rv = int(lab.get("/")["resourceVersion"])
        ticks = int(lab.get("/")["churnTicks"])
        caught_up = tally.wait_for(last_rv - 1, timeout=30)
        follow_cpu = cpu() - cpu0
        during = lab.get("/requests")  # before the fresh load's own lists
        stop.set()
        follower.join(timeout=5)
        fresh = load_live(options)
        diff = differences(fold(raw, tally.events), fold(fresh, []))
    finally:
        lab.stop()
    before, after = lists_of(after_load), lists_of(during)
    new_lists = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}
    listed = sum(new_lists.values())
    watches = sum(during.get("watch", {}).values()) - sum(after_load.get("watch", {}).values())
    changes = sum(1 for e in tally.events if isinstance(e, Change))
    replaces = sum(1 for e in tally.events if isinstance(e, Replace))
    print(
        f"\nfollowed {dump.name} ({dump.stat().st_size / 1e6:.1f} MB) for {seconds:g} s, "
        f"churn every {a.churn:g} s ({ticks} ticks); initial load {load_seconds:.1f} s"
    )
    print(f"LIST requests after the initial load: {listed} {new_lists or ''} (goal: 0)")
    print(f"watches opened: {watches} ({len(plans)} streams planned)")
    print(
        f"events delivered: {changes} changes, {replaces} re-lists after 410 (Replace), "
        f"in {tally.calls} calls (largest {tally.largest}); watch lost {tally.lost} times"
    )
    print(f"caught up with the lab's last version: {caught_up}")
    print(f"followed objects that differ from a fresh load at the end: {diff}")
    print(
        f"informer CPU over the follow: {follow_cpu:.1f} s ({follow_cpu / seconds:.1%} of one core)"
    )
    if a.json:
        note = (
            f"{seconds:g}s, {ticks} churn ticks; {watches} watches, {changes} events in "
            f"{tally.calls} calls, {replaces} re-lists after 410"
        )
        where = "" if caught_up else "; NOT caught up with the lab's last version"
        emit(
            [
                result(goal(seconds), listed, "count", 0, note=note),
                result(
                    "watching: followed objects that differ from a fresh load at the end",
                    diff,
                    "count",
                    0,
                    holds=caught_up,
                    note=f"events filed into the first load, against a new load_live{where}",
                ),
            ]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
