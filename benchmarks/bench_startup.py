"""Start-up pays only for what it uses: `kpath --help` and `kpath paths` on a small dump.

    python benchmarks/bench_startup.py [--runs 21] [--quick] [--json] [--importtime]

Whole processes, interleaved (`import rich`, `kpath --help`, `kpath paths --dump
small.json`, and `import rich.console, rich.text`, the floor of printing a Rich table;
then again), each the CPU time (user + system) of the child as the kernel
counts it; the figures are medians. Goals (issue 13, goal 5): `kpath --help` ≤ 2× and
`kpath paths --dump small.json` ≤ 3× `python -c "import rich"`.

kpath runs as its console script does (`from kpath.cli import run`), with its bytecode
compiled as an installed package has it: the children get a pycache of their own under
benchmarks/out/ (this machine's environment may set PYTHONDONTWRITEBYTECODE, which would
make every run compile kpath's sources and measure the compiler). The first round of each
is a warm-up and not counted. ``--importtime`` prints the slowest imports of each command.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._goal import emit, result  # noqa: E402

SMALL = ROOT / "tests" / "data" / "dumps" / "small.json"
PYCACHE = ROOT / "benchmarks" / "out" / "pycache"
#: The console script pip writes for `kpath = "kpath.cli:run"`, as one -c line.
KPATH = "import sys; from kpath.cli import run; sys.exit(run())"

COMMANDS: dict[str, list[str]] = {
    "import rich": [sys.executable, "-c", "import rich"],
    "kpath --help": [sys.executable, "-c", KPATH, "--help"],
    "kpath paths --dump small.json": [sys.executable, "-c", KPATH, "paths", "--dump", str(SMALL)],
    # No target: what printing the table with Rich costs before kpath does anything.
    "import rich.console, rich.text": [sys.executable, "-c", "import rich.console, rich.text"],
}
HELP_LIMIT, PATHS_LIMIT = 2.0, 3.0


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["PYTHONPATH"] = str(ROOT)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one whole process; its output discarded."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench_startup: {argv[2:]} exited {proc.returncode}: {err.decode()}")
    return usage.ru_utime + usage.ru_stime, wall


def importtime(argv: list[str], env: dict[str, str], top: int = 15) -> str:
    out = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    rows.sort(reverse=True)
    return "\n".join(f"  {us / 1000:7.1f} ms cumulative  {name}" for us, name in rows[:top])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=21, help="rounds of the three (default 21)")
    ap.add_argument("--quick", action="store_true", help="7 rounds")
    ap.add_argument("--json", action="store_true", help="end with the results as a JSON line")
    ap.add_argument("--importtime", action="store_true", help="print the slowest imports")
    a = ap.parse_args()
    runs = 7 if a.quick else a.runs
    if runs < 1:
        ap.error("--runs must be at least 1")
    PYCACHE.mkdir(parents=True, exist_ok=True)
    env = child_env()
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    wall: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():  # warm-up: bytecode written, files in the page cache
        run(argv, env)
    for _ in range(runs):
        for name, argv in COMMANDS.items():
            c, w = run(argv, env)
            cpu[name].append(c)
            wall[name].append(w)
    med = {name: statistics.median(v) for name, v in cpu.items()}
    wmed = {name: statistics.median(v) for name, v in wall.items()}
    rich = med["import rich"]
    print(f"{runs} interleaved rounds, medians (CPU = user + system of the child):")
    for name in COMMANDS:
        print(
            f"  {name:32} CPU {med[name] * 1e3:6.1f} ms  ({med[name] / rich:4.2f}× import rich)"
            f"   wall {wmed[name] * 1e3:6.1f} ms"
        )
    print(
        f"  goals: --help ≤ {HELP_LIMIT:g}×, paths ≤ {PATHS_LIMIT:g}×; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    if a.importtime:
        for name, argv in COMMANDS.items():
            print(f"\nslowest imports, {name}:\n{importtime(argv, env)}")
    results = [
        result(
            "5. kpath --help ≤ 2× import rich (CPU)",
            med["kpath --help"],
            "s",
            HELP_LIMIT,
            reference=rich,
            note=f"wall {wmed['kpath --help'] * 1e3:.0f} ms vs {wmed['import rich'] * 1e3:.0f} ms",
        ),
        result(
            "5. kpath paths --dump small.json ≤ 3× import rich (CPU)",
            med["kpath paths --dump small.json"],
            "s",
            PATHS_LIMIT,
            reference=rich,
            note=f"wall {wmed['kpath paths --dump small.json'] * 1e3:.0f} ms; {runs} rounds",
        ),
        result(
            "floor of a Rich table: import rich.console, rich.text",
            med["import rich.console, rich.text"],
            "s",
            None,
            reference=rich,
            note="no target: what the table's rendering imports before kpath runs",
        ),
    ]
    if a.json:
        emit(results)
    return 0 if all(r["pass"] for r in results) else 1  # the floor row always passes


if __name__ == "__main__":
    raise SystemExit(main())
