"""What the one sanitiser costs: `clean` on plain names (the fast path) and on hostile ones.

    python benchmarks/bench_sanitise.py [--rows 10000] [--cells 8] [--repeat 5]

Prints the median cost per call and for a whole table of ROWS x CELLS cells (the TUI's
service list at the 10,000-service limit cleans every cell it draws).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._goal import emit, result
from kpath.safetext import clean, clean_message
from tests.hostile import HOSTILE


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="end with the results as a JSON line")
    args = parser.parse_args()
    n = args.rows * args.cells
    plain = [f"shop-{i % 97}/service-{i}" for i in range(n)]
    hostile = [f"svc-{i}-{HOSTILE[i % len(HOSTILE)][1][:40]}" for i in range(n)]
    results = []
    for name, texts in (("plain names", plain), ("hostile names", hostile)):
        for fn in (clean, clean_message):
            t = median_seconds(lambda fn=fn, texts=texts: [fn(s) for s in texts], args.repeat)
            print(
                f"{fn.__name__:13} {name:13}: {t / n * 1e9:7.0f} ns per call, "
                f"{t * 1e3:7.1f} ms for {args.rows} rows x {args.cells} cells"
            )
            results.append(result(f"{fn.__name__}, {name}, per call", t / n * 1e9, "ns", None))
    if args.json:
        emit(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
