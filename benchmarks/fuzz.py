"""Fuzz kpath's offline pipeline for a while: mutated dumps must give a result or one line.

The same mutations and property as `tests/cluster/test_fuzz_inputs.py` (`benchmarks/_mutate.py`),
run with fresh random seeds until the time is up. Each failing input is written to the
output directory with the command that reproduces it.

    python benchmarks/fuzz.py --minutes 10 [--seed N] [--out DIR] [--no-realworld] [--tui]
    python benchmarks/fuzz.py --replay N     # one input again, by the number fuzz.py printed

Exit status: 0 when no input failed, 1 when some did.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._mutate import Mutant, PropertyFailed, all_seeds, check, mutate, workspace

#: An input that takes longer than this is a hang (the largest seed takes under a second).
HANG_SECONDS = 60


class Hang(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang(f"no result after {HANG_SECONDS} s")


def _where(exc: BaseException) -> str:
    """The innermost kpath frame of the failure: file:line in function."""
    cause = exc.__cause__ or exc
    frames = [f for f in traceback.extract_tb(cause.__traceback__) if "/kpath/" in f.filename]
    if not frames:
        return "?"
    f = frames[-1]
    return f"{Path(f.filename).relative_to(Path(f.filename).parents[2])}:{f.lineno} in {f.name}"


def _save(out: Path, number: int, mutant: Mutant) -> Path:
    """The failing input as a dump directory: the seed's files with the mutated one."""
    assert mutant.seed.root is not None
    folder = out / f"input-{number}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(mutant.seed.root, folder)
    (folder / mutant.file.rel).write_text(mutant.text, encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, help="first input number (default: random)")
    parser.add_argument("--replay", type=int, metavar="N", help="run input N only, and show it")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/fuzz"))
    parser.add_argument(
        "--no-realworld", action="store_true", help="only the tests' own dumps and builders"
    )
    parser.add_argument(
        "--tui",
        action="store_true",
        help="also render the terminal UI to SVG for each input (slower)",
    )
    parser.add_argument(
        "--show", type=int, default=5, help="failures to print in full (the first at each place)"
    )
    args = parser.parse_args(argv)

    if args.tui:
        import kpath.tui.snapshot  # noqa: F401  (imported before the clock starts)
    seeds = all_seeds(realworld=not args.no_realworld)
    print(f"seeds: {len(seeds)} dumps ({', '.join(s.name for s in seeds)})", flush=True)
    first = (
        args.replay
        if args.replay is not None
        else (args.seed if args.seed is not None else random.SystemRandom().randrange(2**32))
    )
    deadline = time.monotonic() + args.minutes * 60
    signal.signal(signal.SIGALRM, _alarm)
    tried = failed = 0
    outcomes: Counter[str] = Counter()
    places: Counter[str] = Counter()
    shown = 0
    started = report_at = time.monotonic()
    with workspace(seeds):
        number = first
        while True:
            mutant = mutate(random.Random(number), seeds)
            signal.alarm(HANG_SECONDS)
            try:
                outcomes[check(mutant, tui=args.tui)] += 1
            except (PropertyFailed, Hang) as exc:
                failed += 1
                where = _where(exc)
                places[where] += 1
                if (places[where] == 1 and shown < args.show) or args.replay is not None:
                    shown += 1
                    saved = _save(args.out, number, mutant)
                    print(f"\nFAILED input {number}: {mutant.describe()}", flush=True)
                    print(f"  {exc}")
                    print(f"  at {where}")
                    command = (
                        "snapshot --svg /tmp/kpath-fuzz.svg --all" if args.tui else "paths --all"
                    )
                    again = " --tui" if args.tui else ""
                    print(
                        f"  reproduce: python -m kpath {command} --dump {saved} "
                        f"(or: python benchmarks/fuzz.py --replay {number}{again})"
                    )
            finally:
                signal.alarm(0)
            tried += 1
            number = (number + 1) % 2**32
            if time.monotonic() - report_at >= 60:
                report_at = time.monotonic()
                print(
                    f"  {(report_at - started) / 60:4.1f} min: {tried} inputs, {failed} failed",
                    flush=True,
                )
            if args.replay is not None or time.monotonic() >= deadline:
                break
    if args.replay is not None and not failed:
        outcome = outcomes.most_common(1)[0][0]
        print(f"input {args.replay}: {mutant.describe()}\n  holds ({outcome})")
    print(
        f"\ntried {tried} inputs (numbers {first}..{first + tried - 1}), failed {failed}; "
        f"{outcomes['ok']} gave a result, {outcomes['input error']} a one-line input error"
    )
    for where, n in places.most_common():
        print(f"  {n:5d} failed at {where}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
