"""The program's quick exit: what a command wrote is all there, its exit code is kept, the
`atexit` handlers run, and a command run in-process keeps nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kpath import quickexit
from kpath.cli import main

ROOT = Path(__file__).resolve().parents[1]
DUMP = ROOT / "tests" / "data" / "dumps" / "small.json"

# The program as the console script runs it, with an atexit handler registered first.
PROGRAM = """
import atexit, sys
mark = sys.argv.pop(1)
atexit.register(lambda: open(mark, "w").write("ran"))
from kpath.cli import run
run()
"""


def program(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess[bytes], Path]:
    mark = tmp_path / "atexit-ran"
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(mark), *argv],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=120,
    )
    return done, mark


def test_the_program_writes_what_main_writes_and_runs_atexit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("paths", "--dump", str(DUMP), "-A", "-o", "json")
    assert main(list(argv)) == 0
    expected = capsys.readouterr().out.encode()
    done, mark = program(tmp_path, *argv)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
    assert mark.read_text() == "ran"


def test_the_program_keeps_its_exit_code(tmp_path: Path) -> None:
    done, mark = program(tmp_path, "paths", "--dump", str(tmp_path / "missing.json"))
    assert done.returncode == 2
    assert b"kpath: error:" in done.stderr
    assert mark.read_text() == "ran"


def test_findings_exit_code_through_the_quick_exit(tmp_path: Path) -> None:
    argv = ("paths", "--dump", str(DUMP), "-A", "--fail-on", "info")
    code = main(list(argv))
    done, _ = program(tmp_path, *argv)
    assert done.returncode == code


def test_in_process_commands_keep_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", "--dump", str(DUMP), "-A", "-o", "json"]) == 0
    capsys.readouterr()
    assert quickexit._kept == []
