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
    # Three times the budget: this checks the table, not the machine's speed.
    done = run_py("--only", "bench_startup", "--quick", "--budget-factor", "3")
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
    assert "(quick, budgets ×3 run, cap 870 s)" in done.stdout
    assert "run: bench_startup" in done.stderr and "bench_paths" not in done.stdout
    assert re.search(r"budgets add up to \d+ s .*cap is 870 s", done.stderr), done.stderr
    assert re.search(r"bench_startup took \d", done.stderr), done.stderr


def test_list_names_every_benchmark_with_its_budgets() -> None:
    done = run_py("--list", timeout=30)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    names = [ln.split()[0] for ln in lines[:-1]]
    assert names == [b.name for b in run.BENCHMARKS]
    total = sum(b.quick_s for b in run.BENCHMARKS)
    assert lines[-1].startswith("(all)") and f"quick {total:4.0f} s" in lines[-1]
    assert "bench_startup" in names and "bench_offline" in names


def test_an_unknown_name_is_a_usage_error() -> None:
    done = run_py("--only", "bench_nothing", timeout=30)
    assert done.returncode == 2 and "no benchmark bench_nothing" in done.stderr


def test_the_quick_and_full_budgets_fit_the_runs_limits() -> None:
    # 5 and 40 minutes. The full budgets add up to no more than the cap; the quick ones are
    # limits for a loaded machine, while a quiet one leaves the cap room to spare.
    assert run.QUICK_BUDGET <= 300 and run.FULL_BUDGET <= 2400
    assert sum(b.full_s for b in run.BENCHMARKS) <= run.FULL_BUDGET
    assert run.QUICK_EXPECTED <= 0.85 * run.QUICK_BUDGET
    assert all(b.quick_s <= run.QUICK_BUDGET for b in run.BENCHMARKS)
    assert all(b.quick_s <= b.full_s for b in run.BENCHMARKS)
    assert all(b.limits.strip() for b in run.BENCHMARKS)
    assert len({b.name for b in run.BENCHMARKS}) == len(run.BENCHMARKS)


def test_the_command_ends_with_json_and_uses_the_runs_scale() -> None:
    bench = run.BY_NAME["bench_paths"]
    quick, full = run.command(bench, quick=True), run.command(bench, quick=False)
    assert quick[-1] == full[-1] == "--json"
    assert "--quick" in quick and "--quick" not in full


def test_a_benchmark_starts_when_its_budget_fits_in_what_is_left() -> None:
    assert run.plan(30, 100, 290) == "" and run.plan(30, 30, 290) == ""
    why = run.plan(30, 20.4, 290)  # the full run's budgets are estimates: all or nothing
    assert why == "not started: it needs up to 30 s, more than the 20 s left of the run's 290 s"
    assert "the 0 s left" in run.plan(5, -1.0, 290)


def test_near_the_cap_a_guard_budget_starts_when_its_time_at_the_runs_pace_fits() -> None:
    # A 25 s guard is 10 s on a quiet machine: 20 s at twice as slow fits in 22 s, not in 15.
    assert run.plan(25, 22, 290, guard=2.5, speed=2.0) == ""
    why = run.plan(25, 15, 290, guard=2.5, speed=2.0)
    assert why.startswith("not started: at this run's pace (2.0× a quiet machine's)")
    assert "needs up to 20 s, more than the 15 s left of the run's 290 s" in why


def test_the_pace_is_what_the_benchmarks_so_far_took_against_a_quiet_machine() -> None:
    assert run.pace([], 2.5) == 1.0
    assert run.pace([("a", 8.0, 10.0), ("b", 12.0, 40.0)], 2.5) == 1.0  # 20 s of 20 s
    assert run.pace([("a", 20.0, 25.0), ("b", 20.0, 25.0)], 2.5) == 2.0
    assert run.pace([("a", 1.0, 25.0)], 2.5) == 1.0  # faster than the guard's idea: 1


def test_benchmarks_run_with_compiled_modules_cached() -> None:
    env = run.child_env()
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PYTHONPYCACHEPREFIX"]


def test_a_budget_factor_out_of_range_is_a_usage_error() -> None:
    done = run_py("--only", "sanitise", "--budget-factor", "0", timeout=30)
    assert done.returncode == 2 and "--budget-factor" in done.stderr
