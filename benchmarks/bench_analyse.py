"""The analysis and the ``-o json`` document of a loaded snapshot, in process (issue 13, goal 1).

    python benchmarks/bench_analyse.py [--quick] [--file FILE] [--runs N] [--profile] [--json]

`bench_offline.py` times the whole `kpath paths --dump F -A -o json`; this times the part
after the snapshot is built, as `kpath paths` runs it: `analyse`, the view's paths and
findings, `paths_json` and `write_json` (to a pipe-like byte buffer). The snapshot is built
once; each run analyses it afresh (the NetworkPolicy index too). Figures are CPU seconds of
this process (single-threaded work: less swayed by a shared machine than wall time), medians
of ``--runs``; there is no goal of its own (the goal is the whole process's), so the JSON
results never fail.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._goal import emit, result
from benchmarks.bench_offline import cluster_file


def _snapshot(path: Path) -> object:
    from kpath.cluster.dump import load_dump
    from kpath.cluster.snapshot import build_snapshot

    return build_snapshot(load_dump([str(path)]))


def one_run(snapshot: object) -> tuple[float, float, int]:
    """(analyse seconds, output seconds, bytes written), as `kpath paths -A -o json`."""
    from kpath.export.jsonout import paths_json
    from kpath.export.jsontext import write_json
    from kpath.routing.analysis import analyse
    from kpath.routing.policy import index
    from kpath.routing.scope import ViewScope

    index._INDEXES.clear()  # as a fresh process: the policy index is built by the analysis
    started = time.process_time()
    analysis = analyse(snapshot)  # type: ignore[arg-type]
    analysed = time.process_time()
    gc.freeze()  # as the CLI does after the load
    scope = ViewScope(None, "", False)
    paths = scope.paths(analysis)
    findings = scope.findings(analysis)
    sink = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    write_json(paths_json(analysis, paths, findings, scope.namespaces), sink)
    done = time.process_time()
    size = sink.buffer.tell()
    gc.unfreeze()
    return analysed - started, done - analysed, size


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the 1/10 cluster (~106 MB)")
    p.add_argument("--file", type=Path, help="a dump to read instead of the generated one")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--profile", action="store_true", help="one more run under cProfile")
    p.add_argument("--json", action="store_true", help="end with one JSON line of results")
    a = p.parse_args(argv)
    path = a.file or cluster_file(a.quick)
    gc.disable()  # as `kpath` runs: the collector paused around the load and the analysis
    snapshot = _snapshot(path)
    gc.freeze()
    one_run(snapshot)  # warm-up: imports, caches
    runs = [one_run(snapshot) for _ in range(a.runs)]
    analyse_s = statistics.median(r[0] for r in runs)
    output_s = statistics.median(r[1] for r in runs)
    total_s = statistics.median(r[0] + r[1] for r in runs)
    print(f"{path.name}: {runs[0][2] / 1e6:.1f} MB of -o json")
    print(f"{'what (CPU seconds)':<34} {'median':>8}  runs")
    for name, i in (("analyse", 0), ("view + paths_json + write_json", 1)):
        print(
            f"{name:<34} {statistics.median(r[i] for r in runs):>7.3f}s  "
            + " ".join(f"{r[i]:.3f}" for r in runs)
        )
    print(f"{'both':<34} {total_s:>7.3f}s")
    if a.profile:
        prof = cProfile.Profile()
        prof.enable()
        one_run(snapshot)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
    if a.json:
        scale = "1/10" if a.quick and not a.file else ("full" if not a.file else path.name)
        note = f"median of {a.runs}, snapshot built once; in process"
        emit(
            [
                result(f"analyse {scale}", analyse_s, "s", None, note=note),
                result(f"-o json output {scale}", output_s, "s", None, note=note),
                result(f"analyse + -o json {scale}", total_s, "s", None, note=note),
            ]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
