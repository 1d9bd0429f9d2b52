"""Issue 13, goal 1: `kpath paths --dump F -A -o json` against `json.loads` of the same file.

    python benchmarks/bench_offline.py [--quick] [--file FILE] [--repeat N] [--json]

The dump is `generate_cluster.py`'s cluster at Kubernetes' limits (5,000 nodes, 150,000
pods, 10,000 services: ~1 GB), or a tenth of it with `--quick` (~106 MB); generated into
`benchmarks/out/` on first use. Each round, in turn (interleaved, so drift on a shared
machine spreads over both):

- `json.loads` of the file with the cyclic collector off, in a fresh process
  (`_measure.py json-nogc`): the decode alone, as the reference;
- `python -m kpath paths --dump F -A -o json`: the whole process (start-up, imports,
  decoding, snapshot, analysis, JSON output to a pipe), wall time and peak RSS (its
  ``ru_maxrss``, started through a small launcher: see `_LAUNCH`).

Goals: the kpath median ≤ 0.5× the json.loads median; kpath's peak RSS ≤ 1.5× the file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `kpath` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._goal import emit, result
from benchmarks.generate_cluster import QUICK, Scale, generate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
MEASURE = ROOT / "benchmarks" / "_measure.py"
TIME_LIMIT = 0.5  # × json.loads, collector off
RSS_LIMIT = 1.5  # × the file's size


def cluster_file(quick: bool) -> Path:
    """The generated cluster (made on first use): the file `generate_cluster.py` names."""
    path = OUT / ("cluster-quick.json" if quick else "cluster.json")
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        print(generate(path, QUICK if quick else Scale()).line(), file=sys.stderr, flush=True)
    return path


def child_env() -> dict[str, str]:
    """The environment of measured processes: compiled modules cached (as an installed
    kpath has them), in benchmarks/out/ rather than beside the sources."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    return env


#: Starts the measured process and reports its peak RSS: a child forked straight from this
#: (big) process would count this process's high-water mark as its own (Linux carries it
#: over the exec), so a small launcher forks it instead.
_LAUNCH = """import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{usage.ru_maxrss * 1024} {time.perf_counter() - started}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(argv: Sequence[str]) -> tuple[float, int, bytes]:
    """A whole process: (wall seconds from its fork to its exit, peak RSS, stdout)."""
    report = OUT / f"peak-{os.getpid()}.txt"
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCH, str(report), *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env=child_env(),
        check=False,
    )
    if proc.returncode not in (0, 1):  # 1: findings at --fail-on, never set here
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    peak, seconds = report.read_text().split()  # the launcher's start is not counted
    report.unlink()
    return float(seconds), int(peak), proc.stdout


def json_loads(path: Path) -> float:
    """json.loads of the file, collector off, in a fresh process: the decode's seconds."""
    _, _, out = run([sys.executable, str(MEASURE), "json-nogc", str(path)])
    return float(json.loads(out)["seconds"])


def kpath_paths(path: Path) -> tuple[float, int, int]:
    """`kpath paths --dump F -A -o json`: (seconds, peak RSS, paths in the output)."""
    seconds, peak, out = run(
        [sys.executable, "-m", "kpath", "paths", "--dump", str(path), "-A", "-o", "json"]
    )
    paths = json.loads(out)["paths"]
    return seconds, peak, len(paths)


def results(
    kpath_s: float, json_s: float, peak: int, size: int, scale: str
) -> list[dict[str, Any]]:
    return [
        result(
            f"offline {scale}: kpath paths --dump -A -o json <= 0.5x json.loads (gc off)",
            kpath_s,
            "s",
            TIME_LIMIT,
            reference=json_s,
            note="whole process vs json.loads alone; medians, interleaved",
        ),
        result(
            f"offline {scale}: kpath paths peak RSS <= 1.5x the file",
            peak / 1e6,
            "MB",
            RSS_LIMIT,
            reference=size / 1e6,
            note="peak RSS of the whole process (interpreter included) vs file size",
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the 1/10 cluster (~106 MB)")
    p.add_argument("--file", type=Path, help="a dump to read instead of the generated one")
    p.add_argument("--repeat", type=int, help="rounds (default 5 quick, 3 full)")
    p.add_argument("--json", action="store_true", help="end with one JSON line of results")
    a = p.parse_args(argv)
    path = a.file or cluster_file(a.quick)
    repeat = a.repeat or (5 if a.quick else 3)
    size = path.stat().st_size
    loads: list[float] = []
    runs: list[tuple[float, int, int]] = []
    kpath_paths(path)  # warm-up: page cache, .pyc files
    for _ in range(repeat):
        loads.append(json_loads(path))
        runs.append(kpath_paths(path))
    kpath_s = statistics.median(r[0] for r in runs)
    peak = int(statistics.median(r[1] for r in runs))
    json_s = statistics.median(loads)
    scale = "1/10" if a.quick and not a.file else ("full" if not a.file else path.name)
    print(f"{path.name}: {size / 1e6:.1f} MB, {runs[0][2]:,} paths in kpath's output")
    print(f"{'what':<52} {'median':>9} {'runs'}")
    print(
        f"{'json.loads, collector off (decode only)':<52} {json_s:>8.2f}s  "
        + " ".join(f"{t:.2f}" for t in loads)
    )
    print(
        f"{'kpath paths --dump F -A -o json (whole process)':<52} {kpath_s:>8.2f}s  "
        + " ".join(f"{r[0]:.2f}" for r in runs)
    )
    print(
        f"{'kpath peak RSS':<52} {peak / 1e6:>7.0f}MB  "
        + " ".join(f"{r[1] / 1e6:.0f}" for r in runs)
    )
    found = results(kpath_s, json_s, peak, size, scale)
    for r in found:
        verdict = "pass" if r["pass"] else "FAIL"
        print(f"{r['goal']}: {r['ratio']:.2f}x (limit {r['limit']}x) {verdict}")
    if a.json:
        emit(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
