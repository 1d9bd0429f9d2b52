"""One measurement in a fresh process: `python benchmarks/_measure.py MODE FILE`.

`bench_paths.py` starts this script once per measurement so that no run inherits another's
heap, allocator state or garbage collector history. It prints one JSON object on stdout.

Modes:

- `json-gc`, `json-nogc`: `json.loads(open(f, 'rb').read())`, with the cyclic garbage
  collector left on or disabled first. Figures: seconds, peak RSS above the baseline.
- `kpath`: `load_dump([f])`, `build_snapshot`, `analyse`, timed per stage; peak RSS above
  the baseline.
- `kept`: with `tracemalloc` tracing from before the load, what stays allocated once the
  snapshot is built and the raw tree is dropped (`kept_bytes`), and again once the analysis
  is built (`kept_with_analysis_bytes`). tracemalloc slows decoding, so this mode's times
  are not reported.
- `profile`: `kpath` under cProfile, plus the tracemalloc lines that hold the most of the
  kept snapshot; text for a person, not figures.

The baseline RSS is the process's own high-water mark after imports, before the file is
opened, so the interpreter and kpath's modules are not counted.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

MODES = ("json-gc", "json-nogc", "kpath", "kept", "profile")


def _max_rss() -> int:
    """This process's peak resident set so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_json(path: Path, gc_enabled: bool) -> dict[str, Any]:
    if not gc_enabled:
        gc.disable()
    base = _max_rss()
    started = time.perf_counter()
    with path.open("rb") as f:
        data = json.loads(f.read())
    seconds = time.perf_counter() - started
    peak = _max_rss() - base
    items = data.get("items") if isinstance(data, dict) else data
    return {
        "seconds": seconds,
        "peak_bytes": peak,
        "items": len(items) if isinstance(items, list) else 0,
    }


def measure_kpath(path: Path) -> dict[str, Any]:
    from kpath.cluster.dump import load_dump
    from kpath.cluster.snapshot import build_snapshot
    from kpath.routing.analysis import analyse

    base = _max_rss()
    t0 = time.perf_counter()
    raw = load_dump([path])
    t1 = time.perf_counter()
    snapshot = build_snapshot(raw)
    t2 = time.perf_counter()
    analysis = analyse(snapshot)
    t3 = time.perf_counter()
    return {
        "load_seconds": t1 - t0,
        "snapshot_seconds": t2 - t1,
        "analyse_seconds": t3 - t2,
        "seconds": t3 - t0,
        "peak_bytes": _max_rss() - base,
        "pods": len(snapshot.pods),
        "services": len(snapshot.services),
        "paths": len(analysis.paths),
        "findings": len(analysis.findings),
    }


def measure_kept(path: Path) -> dict[str, Any]:
    import tracemalloc

    from kpath.cluster.dump import load_dump
    from kpath.cluster.snapshot import build_snapshot
    from kpath.routing.analysis import analyse

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    raw = load_dump([path])
    snapshot = build_snapshot(raw)
    del raw
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - base
    analysis = analyse(snapshot)
    gc.collect()
    with_analysis = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return {
        "kept_bytes": kept,
        "kept_with_analysis_bytes": with_analysis,
        "paths": len(analysis.paths),
    }


def profile(path: Path, top: int = 25) -> str:
    """Where kpath's time and kept memory go: cProfile and tracemalloc top lines, as text."""
    import cProfile
    import io
    import pstats
    import tracemalloc

    from kpath.cluster.dump import load_dump
    from kpath.cluster.snapshot import build_snapshot
    from kpath.routing.analysis import analyse

    out = io.StringIO()
    prof = cProfile.Profile()
    prof.enable()
    snapshot = build_snapshot(load_dump([path]))
    analyse(snapshot)
    prof.disable()
    del snapshot
    gc.collect()
    stats = pstats.Stats(prof, stream=out)
    out.write("== cProfile: kpath load + snapshot + analyse, by own time ==\n")
    stats.sort_stats("tottime").print_stats(top)
    out.write("== cProfile: by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(top)
    del prof, stats

    tracemalloc.start()
    raw = load_dump([path])
    kept = build_snapshot(raw)
    del raw
    gc.collect()
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()
    del kept
    out.write("== tracemalloc: lines holding the most of the kept snapshot ==\n")
    for stat in snap.statistics("lineno")[:top]:
        out.write(f"{stat.size / 1e6:10.1f} MB {stat.count:>10,} blocks  {stat.traceback}\n")
    return out.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in MODES:
        print(f"usage: _measure.py {{{','.join(MODES)}}} FILE", file=sys.stderr)
        return 2
    mode, path = argv[0], Path(argv[1])
    if mode == "profile":
        print(profile(path))
        return 0
    if mode in ("json-gc", "json-nogc"):
        result = measure_json(path, gc_enabled=mode == "json-gc")
    elif mode == "kpath":
        result = measure_kpath(path)
    else:
        result = measure_kept(path)
    result["mode"] = mode
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
