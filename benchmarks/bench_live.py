"""Issue 13, goal 2: `kpath paths -A -o json` live against the lab serving a cluster.

    python benchmarks/bench_live.py [--quick] [--file FILE] [--repeat N] [--no-kubectl] [--json]

The lab (`python -m kpath lab --dump FILE`, see docs/lab.md) serves `generate_cluster.py`'s
cluster at Kubernetes' limits (~1 GB), or a tenth of it with `--quick`, page by page; the
same file `bench_offline.py` reads. Each round, in turn (interleaved):

- `fetch`: every page (limit=500) of nodes, pods, services, endpointslices and ingresses
  with plain httpx, bodies not decoded: the floor any client pays (`bench_lab_serve.fetch`);
- `kubectl get nodes,pods,services,endpointslices,ingresses -A -o json`, a whole process;
- `python -m kpath paths -A -o json --kubeconfig LAB`, a whole process: wall time and peak
  RSS (the child's ``ru_maxrss``).

Goals: kpath ≤ 0.1× kubectl; ≤ 3× the fetch; peak RSS ≤ 1.0× the bytes the fetch read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._goal import emit, result
from benchmarks.bench_lab_serve import KINDS, Lab, fetch
from benchmarks.bench_offline import OUT, cluster_file, run

KUBECTL_LIMIT = 0.1  # × kubectl get … -A -o json
FETCH_LIMIT = 3.0  # × fetching every page
RSS_LIMIT = 1.0  # × the bytes read


def kpath_live(kubeconfig: Path) -> tuple[float, int, int]:
    """`kpath paths -A -o json` against the lab: (seconds, peak RSS, paths in the output)."""
    argv = [sys.executable, "-m", "kpath", "paths", "--kubeconfig", str(kubeconfig)]
    seconds, peak, out = run([*argv, "-A", "-o", "json"])
    return seconds, peak, len(json.loads(out)["paths"])


def kubectl_get(kubectl: str, kubeconfig: Path) -> float:
    argv = [kubectl, "--kubeconfig", str(kubeconfig), "get", KINDS, "-A", "-o", "json"]
    return run(argv)[0]


def results(
    kpath_s: float, kubectl_s: float | None, fetch_s: float, peak: int, size: int, scale: str
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    note = "whole processes, medians, interleaved; the lab serves pages of 500"
    if kubectl_s is not None:
        goal = f"live {scale}: kpath paths -A -o json <= 0.1x kubectl get -A -o json"
        out.append(result(goal, kpath_s, "s", KUBECTL_LIMIT, reference=kubectl_s, note=note))
    out.append(
        result(
            f"live {scale}: kpath paths -A -o json <= 3x fetching every page",
            kpath_s,
            "s",
            FETCH_LIMIT,
            reference=fetch_s,
            note="fetch: httpx in this process, bodies not decoded; kpath: whole process",
        )
    )
    out.append(
        result(
            f"live {scale}: kpath paths peak RSS <= 1.0x the bytes read",
            peak / 1e6,
            "MB",
            RSS_LIMIT,
            reference=size / 1e6,
            note="peak RSS of the whole process (interpreter included) vs the pages' bytes",
        )
    )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the 1/10 cluster (~106 MB)")
    p.add_argument("--file", type=Path, help="a dump for the lab to serve")
    p.add_argument("--repeat", type=int, help="rounds (default 5 quick, 3 full)")
    p.add_argument("--no-kubectl", action="store_true", help="skip kubectl")
    p.add_argument("--json", action="store_true", help="end with one JSON line of results")
    a = p.parse_args(argv)
    dump = a.file or cluster_file(a.quick)
    repeat = a.repeat or (5 if a.quick else 3)
    kubectl = None if a.no_kubectl else shutil.which("kubectl")
    work = OUT / f"bench-live-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    lab = Lab(dump, work)
    fetches: list[float] = []
    kubectls: list[float] = []
    runs: list[tuple[float, int, int]] = []
    try:
        _, size, requests = fetch(lab.url)  # warm-up: the lab's first pages, page cache
        kpath_live(lab.kubeconfig)
        for _ in range(repeat):
            fetches.append(fetch(lab.url)[0])
            if kubectl:
                kubectls.append(kubectl_get(kubectl, lab.kubeconfig))
            runs.append(kpath_live(lab.kubeconfig))
    finally:
        lab.stop()
        shutil.rmtree(work, ignore_errors=True)
    fetch_s = statistics.median(fetches)
    kubectl_s = statistics.median(kubectls) if kubectls else None
    kpath_s = statistics.median(r[0] for r in runs)
    peak = int(statistics.median(r[1] for r in runs))
    scale = "1/10" if a.quick and not a.file else ("full" if not a.file else dump.name)
    print(
        f"lab serving {dump.name}: {requests} pages, {size / 1e6:.1f} MB; "
        f"{runs[0][2]:,} paths in kpath's output"
    )
    print(f"{'what':<60} {'median':>9} runs")
    rows = [
        ("fetch every page, httpx, not decoded", fetches),
        (f"kubectl get {KINDS} -A -o json", kubectls),
        ("kpath paths -A -o json (whole process)", [r[0] for r in runs]),
    ]
    for label, times in rows:
        if times:
            line = " ".join(f"{t:.2f}" for t in times)
            print(f"{label:<60} {statistics.median(times):>8.2f}s  {line}")
    print(
        f"{'kpath peak RSS':<60} {peak / 1e6:>7.0f}MB  "
        + " ".join(f"{r[1] / 1e6:.0f}" for r in runs)
    )
    found = results(kpath_s, kubectl_s, fetch_s, peak, size, scale)
    for r in found:
        verdict = "pass" if r["pass"] else "FAIL"
        print(f"{r['goal']}: {r['ratio']:.2f}x (limit {r['limit']}x) {verdict}")
    if a.json:
        emit(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
