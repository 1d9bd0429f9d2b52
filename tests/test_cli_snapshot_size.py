"""`kpath snapshot --size` is bounded: one line and exit 2, before any lab or cluster is read
(100000x100000 used to be killed for memory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kpath.cli import _size

ROOT = Path(__file__).resolve().parents[1]


def snapshot(size: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kpath",
            "snapshot",
            "--demo",
            "--size",
            size,
            "--svg",
            str(tmp_path / "out.svg"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("size", "said"),
    [
        ("100000x100000", "out of bounds, 40x10 to 500x200"),
        ("501x40", "out of bounds"),
        ("120x201", "out of bounds"),
        ("39x24", "out of bounds"),
        ("120", "give it as COLSxROWS, 40x10 to 500x200"),
        ("99999999999999999999x40", "give it as COLSxROWS"),
        ("x24", "give it as COLSxROWS"),
    ],
)
def test_a_size_out_of_bounds_is_one_line_and_exit_2(size: str, said: str, tmp_path: Path) -> None:
    done = snapshot(size, tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"kpath: error: --size {size!r}: ") and said in line
    assert not (tmp_path / "out.svg").exists()


@pytest.mark.parametrize(
    ("size", "got"), [("40x10", (40, 10)), ("500x200", (500, 200)), ("80X24", (80, 24))]
)
def test_sizes_within_bounds(size: str, got: tuple[int, int]) -> None:
    assert _size(size) == got
