"""How fast kpath loads and routes a cluster at Kubernetes' scalability limits, against the
floor set by plain `json.loads` on the same file.

    python benchmarks/bench_paths.py [--file FILE] [--repeat 3] [--quick] [--profile]

Without `--file`, the cluster is generated into `benchmarks/out/` on first use (full scale:
5,000 nodes, 150,000 pods, 10,000 services; `--quick` is one tenth of that, and leaves out
`json.loads` with the collector on, never the faster floor). Every figure
comes from a fresh subprocess (`_measure.py`); runs are interleaved so drift on a noisy
machine spreads over all of them, and the report gives medians side by side.

Targets (exit status 1 when one is missed):

- kpath's total time (load_dump + build_snapshot + analyse) ≤ 1.5 × the faster json.loads;
- memory kept by the snapshot once the raw tree is dropped ≤ 10% of the file size;
- kpath's peak RSS ≤ 1.2 × the lower json.loads peak.

`--profile` adds one more child that prints where kpath's time (cProfile) and kept memory
(tracemalloc, top lines) go.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
MEASURE = HERE / "_measure.py"

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks._goal import emit, result  # noqa: E402
from benchmarks.generate_cluster import QUICK, Scale, ScaleError, generate  # noqa: E402

TIME_FACTOR = 1.5
KEPT_SHARE = 0.10
PEAK_FACTOR = 1.2
TIMED_MODES = ("json-gc", "json-nogc", "kpath", "kept")
#: `--quick` leaves out json.loads with the collector on: it is never the faster one (3.5×
#: slower at full scale), so it decides no target; it only shows what the pause saves.
QUICK_MODES = ("json-nogc", "kpath", "kept")
JSON_MODES = ("json-gc", "json-nogc")


def _json_floor(m: dict[str, dict[str, float]], key: str) -> float:
    """The lower json.loads figure (seconds or peak) among the modes measured."""
    return min(m[mode][key] for mode in JSON_MODES if mode in m)


class ChildFailed(RuntimeError):
    """The file to measure is missing, or a measuring subprocess did not finish cleanly."""


def run_child(mode: str, path: Path) -> dict[str, Any]:
    """One measurement in a fresh interpreter; kpath is imported from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    proc = subprocess.run(
        [sys.executable, str(MEASURE), mode, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ChildFailed(f"{mode} run failed (exit {proc.returncode}): {tail}")
    if mode == "profile":
        return {"text": proc.stdout}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    """The median of every numeric field over repeated runs of one mode."""
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    return {k: statistics.median(r[k] for r in runs) for k in keys}


@dataclass(frozen=True)
class Verdict:
    name: str
    detail: str
    passed: bool


def verdicts(m: dict[str, dict[str, float]], file_bytes: int) -> list[Verdict]:
    """The three targets, with the figures that decide them."""
    fastest = _json_floor(m, "seconds")
    total = m["kpath"]["seconds"]
    json_peak = _json_floor(m, "peak_bytes")
    kpath_peak = m["kpath"]["peak_bytes"]
    kept = m["kept"]["kept_bytes"]
    return [
        Verdict(
            "time",
            f"kpath total {total:.2f} s ≤ {TIME_FACTOR} × fastest json.loads "
            f"{fastest:.2f} s = {TIME_FACTOR * fastest:.2f} s",
            total <= TIME_FACTOR * fastest,
        ),
        Verdict(
            "kept memory",
            f"snapshot {_mb(kept)} = {100 * kept / file_bytes:.1f}% of the "
            f"file ≤ {100 * KEPT_SHARE:.0f}%",
            kept <= KEPT_SHARE * file_bytes,
        ),
        Verdict(
            "peak memory",
            f"kpath peak {_mb(kpath_peak)} ≤ {PEAK_FACTOR} × json.loads "
            f"peak {_mb(json_peak)} = {_mb(PEAK_FACTOR * json_peak)}",
            kpath_peak <= PEAK_FACTOR * json_peak,
        ),
    ]


def goal_results(m: dict[str, dict[str, float]], file_bytes: int, path: Path) -> list[Any]:
    """The three targets as run.py's rows."""
    fastest = _json_floor(m, "seconds")
    json_peak = _json_floor(m, "peak_bytes")
    size = f"{path.name}, {file_bytes / 1e6:.0f} MB"
    floor = "the faster json.loads" if "json-gc" in m else "json.loads, collector off (--quick)"
    return [
        result(
            "issue 1: paths ≤ 1.5× json.loads",
            m["kpath"]["seconds"],
            "s",
            TIME_FACTOR,
            reference=fastest,
            note=f"{size}; {floor}",
        ),
        result(
            "issue 1: kept snapshot ≤ 10% of the file",
            m["kept"]["kept_bytes"] / file_bytes,
            "x",
            KEPT_SHARE,
            note=size,
        ),
        result(
            "issue 1: peak ≤ 1.2× json.loads' peak",
            m["kpath"]["peak_bytes"] / 1e6,
            "MB",
            PEAK_FACTOR,
            reference=json_peak / 1e6,
            note=f"{size}; {floor}",
        ),
    ]


def report(path: Path, file_bytes: int, repeat: int, m: dict[str, dict[str, float]]) -> str:
    k = m["kpath"]
    lines = [
        f"file: {path} ({_mb(file_bytes)}); kpath read {int(k['pods']):,} pods, "
        f"{int(k['services']):,} services; {int(k['paths']):,} paths, "
        f"{int(k['findings']):,} findings",
        f"medians of {repeat} run(s), each in a fresh process; peak RSS is above the "
        "child's own baseline",
        "",
        f"{'':34}{'time s':>10}{'peak RSS':>12}",
        f"{'json.loads, gc on':34}"
        + (
            f"{m['json-gc']['seconds']:>10.2f}{_mb(m['json-gc']['peak_bytes']):>12}"
            if "json-gc" in m
            else f"{'not measured (--quick)':>22}"
        ),
        f"{'json.loads, gc off':34}{m['json-nogc']['seconds']:>10.2f}"
        f"{_mb(m['json-nogc']['peak_bytes']):>12}",
        f"{'kpath load_dump':34}{k['load_seconds']:>10.2f}",
        f"{'kpath build_snapshot':34}{k['snapshot_seconds']:>10.2f}",
        f"{'kpath analyse':34}{k['analyse_seconds']:>10.2f}",
        f"{'kpath total':34}{k['seconds']:>10.2f}{_mb(k['peak_bytes']):>12}",
        "",
        f"kept after build_snapshot, raw tree dropped (tracemalloc): "
        f"{_mb(m['kept']['kept_bytes'])} = {100 * m['kept']['kept_bytes'] / file_bytes:.1f}% "
        "of the file",
        f"kept with the analysis as well: {_mb(m['kept']['kept_with_analysis_bytes'])} = "
        f"{100 * m['kept']['kept_with_analysis_bytes'] / file_bytes:.1f}% of the file",
        "",
        "targets:",
    ]
    lines += [
        f"  {'PASS' if v.passed else 'FAIL'}  {v.name}: {v.detail}" for v in verdicts(m, file_bytes)
    ]
    return "\n".join(lines)


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def ensure_file(path: Path | None, quick: bool) -> Path:
    """The file to measure; the default one is generated on first use."""
    if path is not None:
        if not path.is_file():
            raise ChildFailed(f"{path}: no such file")
        return path
    scale = QUICK if quick else Scale()
    path = OUT / ("cluster-quick.json" if quick else "cluster.json")
    if not path.is_file():
        print(f"generating {path} …", flush=True)
        try:
            print(generate(path, scale).line(), flush=True)
        except (ScaleError, OSError) as exc:
            raise ChildFailed(f"cannot generate {path}: {exc}") from None
    return path


def warm(path: Path) -> None:
    """Read the file once so the first run does not pay for the disk alone."""
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", type=Path, help="a kubectl List to measure (default: generated)")
    p.add_argument("--repeat", type=int, default=3, help="runs per figure (medians reported)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="one tenth of the full scale; json.loads with the collector off only",
    )
    p.add_argument(
        "--profile", action="store_true", help="also print where kpath's time and kept memory go"
    )
    p.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="also write the medians to FILE; alone, end with the results as a JSON line",
    )
    a = p.parse_args(argv)
    if a.repeat < 1:
        p.error("--repeat must be at least 1")
    modes = QUICK_MODES if a.quick else TIMED_MODES
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    try:
        path = ensure_file(a.file, a.quick)
        file_bytes = path.stat().st_size
        warm(path)
        for i in range(a.repeat):
            for mode in modes:
                print(f"run {i + 1}/{a.repeat}: {mode} …", file=sys.stderr, flush=True)
                runs[mode].append(run_child(mode, path))
        profile = run_child("profile", path)["text"] if a.profile else None
    except ChildFailed as exc:
        print(f"bench_paths: {exc}", file=sys.stderr)
        return 2
    m = {mode: medians(r) for mode, r in runs.items()}
    print(report(path, file_bytes, a.repeat, m))
    if profile:
        print()
        print(profile)
    if a.json and a.json != "-":
        Path(a.json).write_text(
            json.dumps(
                {"file": str(path), "file_bytes": file_bytes, "repeat": a.repeat, "medians": m},
                indent=2,
            )
            + "\n"
        )
    if a.json == "-":
        emit(goal_results(m, file_bytes, path))
    return 0 if all(v.passed for v in verdicts(m, file_bytes)) else 1


if __name__ == "__main__":
    sys.exit(main())
