"""benchmarks/run.py end to end: a real benchmark run as a process, its row in the table.

No timing is asserted: the start-up goal may pass or fail on a loaded machine; what is
checked is that the table carries the benchmark's own figures and that the exit status
follows its rows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from benchmarks import run

ROOT = Path(__file__).resolve().parents[2]


def run_py(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_only_bench_startup_quick_prints_its_two_rows_and_exits_by_them() -> None:
    done = run_py("--only", "bench_startup", "--quick")
    assert done.returncode in (0, 1), done.stderr
    rows = [ln for ln in done.stdout.splitlines() if ln.startswith("bench_startup ")]
    assert len(rows) == 3, done.stdout
    assert "kpath --help ≤ 2× import rich" in rows[0]
    assert "kpath paths --dump small.json ≤ 3× import rich" in rows[1]
    assert "floor of a Rich table" in rows[2] and " info " in rows[2]  # no target: not judged
    statuses = []
    for row in rows[:2]:
        # measured and reference in seconds, the ratio with its limit, then the verdict
        m = re.search(
            r"(\d[\d.]*) s\s+(\d[\d.]*) s\s+(\d[\d.]*)× \(≤ (\d[\d.]*)×\)\s+(pass|FAIL)", row
        )
        assert m, row
        measured, reference, ratio, limit = (float(m.group(i)) for i in range(1, 5))
        assert measured > 0 and reference > 0
        assert abs(ratio - measured / reference) <= 0.02 * ratio + 0.01
        assert (m.group(5) == "pass") == (ratio <= limit)
        statuses.append(m.group(5))
    assert done.returncode == (0 if statuses == ["pass", "pass"] else 1)
    assert "(quick run)" in done.stdout
    assert "run: bench_startup" in done.stderr and "bench_paths" not in done.stdout


def test_list_names_every_benchmark_with_its_budgets() -> None:
    done = run_py("--list", timeout=30)
    assert done.returncode == 0
    names = [ln.split()[0] for ln in done.stdout.splitlines()]
    assert names == [b.name for b in run.BENCHMARKS]
    assert "bench_startup" in names and "bench_offline" in names


def test_an_unknown_name_is_a_usage_error() -> None:
    done = run_py("--only", "bench_nothing", timeout=30)
    assert done.returncode == 2 and "no benchmark bench_nothing" in done.stderr


def test_the_quick_and_full_budgets_fit_the_runs_limits() -> None:
    # The whole run stops at its budget; each benchmark's own budget must fit in it.
    assert run.QUICK_BUDGET <= 300 and run.FULL_BUDGET <= 2400
    assert all(b.quick_s <= b.full_s for b in run.BENCHMARKS)
    assert all(b.limits.strip() for b in run.BENCHMARKS)
    assert len({b.name for b in run.BENCHMARKS}) == len(run.BENCHMARKS)


def test_the_command_ends_with_json_and_uses_the_runs_scale() -> None:
    bench = run.BY_NAME["bench_paths"]
    quick, full = run.command(bench, quick=True), run.command(bench, quick=False)
    assert quick[-1] == full[-1] == "--json"
    assert "--quick" in quick and "--quick" not in full
