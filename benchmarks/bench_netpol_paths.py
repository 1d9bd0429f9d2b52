"""What NetworkPolicy verdicts on every path add to `kpath paths`: the same generated cluster
with and without policies, whole process, medians side by side.

    python benchmarks/bench_netpol_paths.py [--policies 2000] [--repeat 3] [--quick]
        [--files WITHOUT WITH]

Without `--files`, the two dumps are generated into `benchmarks/out/` on first use (full
scale: 5,000 nodes, 150,000 pods, 10,000 services, the second with `--policies` NetworkPolicies
and labelled Namespaces; `--quick` is one tenth, with a tenth of the policies). Each run is
`python -m kpath paths --dump FILE` in a fresh process, output discarded; runs alternate
between the files so drift on a shared machine spreads over both. Reported: wall and CPU
seconds (user + system of the child), medians.

Target (exit status 1 when missed): the policies add at most 20% to the median CPU time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks._goal import emit, result  # noqa: E402
from benchmarks.generate_cluster import QUICK, Scale, generate  # noqa: E402

GOAL = 0.20


def dumps(quick: bool, policies: int) -> tuple[Path, Path]:
    base = QUICK if quick else Scale()
    tag = "quick" if quick else "full"
    out = []
    for n in (0, policies):
        # Without policies it is the generated cluster the other benchmarks read (the same
        # bytes: policies come from a random stream of their own).
        plain = "cluster-quick.json" if quick else "cluster.json"
        path = OUT / (plain if n == 0 else f"netpol-{tag}-{n}.json")
        if not path.exists():
            print(generate(path, Scale(**{**base.__dict__, "policies": n})).line(), file=sys.stderr)
        out.append(path)
    return out[0], out[1]


def run_once(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `kpath paths --dump FILE` process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "kpath", "paths", "--dump", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"kpath paths failed on {path} (exit {proc.returncode}): {tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--policies",
        type=int,
        default=None,
        help="NetworkPolicies in the second dump (default 2000; 200 with --quick)",
    )
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="one tenth of the full scale")
    p.add_argument(
        "--files",
        nargs=2,
        type=Path,
        metavar=("WITHOUT", "WITH"),
        help="measure these dumps instead of generating them",
    )
    p.add_argument("--json", action="store_true", help="end with the results as a JSON line")
    a = p.parse_args(argv)
    policies = a.policies if a.policies is not None else (200 if a.quick else 2000)
    without, with_ = a.files if a.files else dumps(a.quick, policies)
    runs: dict[Path, list[tuple[float, float]]] = {without: [], with_: []}
    for i in range(a.repeat):
        for path in (without, with_):
            runs[path].append(run_once(path))
            # Each run as it ends: a full-scale run takes minutes on a busy machine.
            wall, cpu = runs[path][-1]
            print(
                f"run {i + 1}/{a.repeat} {path.name}: wall {wall:.1f} s, cpu {cpu:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    med = {
        path: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
        for path, r in runs.items()
    }
    (w0, c0), (w1, c1) = med[without], med[with_]
    added = (c1 - c0) / c0 if c0 else 0.0
    print(f"kpath paths, medians of {a.repeat} run(s) each, fresh processes, interleaved")
    print(f"{'':28}{'wall s':>10}{'cpu s':>10}")
    print(f"{'without policies':28}{w0:>10.2f}{c0:>10.2f}   {without.name}")
    print(f"{f'with {policies} policies':28}{w1:>10.2f}{c1:>10.2f}   {with_.name}")
    ok = added <= GOAL
    print(
        f"added: {100 * added:+.1f}% CPU ({100 * (w1 - w0) / w0 if w0 else 0:+.1f}% wall); "
        f"goal ≤ {100 * GOAL:.0f}%: {'met' if ok else 'MISSED'}"
    )
    if a.json:
        emit(
            [
                result(
                    f"issue 14: {policies} policies add ≤ 20% CPU to paths",
                    c1,
                    "s",
                    1 + GOAL,
                    reference=c0,
                    note=f"CPU with policies against without ({without.name}); "
                    f"wall {w1:.1f} s vs {w0:.1f} s; {a.repeat} run(s)",
                )
            ]
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
