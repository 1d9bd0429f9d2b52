"""The session-wide read-only check really fails a session, whichever process got the write.

Each test runs a small pytest session in a subprocess, with `tests.readonly_check` loaded,
over a test file that talks to a lab API server, and reads its exit code and summary.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kpath.lab.audit import ENV

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.lab

HEADER = """
import subprocess, sys
import httpx
from kpath.lab.apiserver import serve_in_thread
"""


def run_session(tmp_path: Path, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # the inner session's own rootdir
    (tmp_path / "test_inner.py").write_text(HEADER + textwrap.dedent(body))
    env = {k: v for k, v in os.environ.items() if k != ENV}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.readonly_check",
            "-p",
            "no:cacheprovider",
            "-q",
            *args,
            str(tmp_path / "test_inner.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def summary_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("lab API servers:"))


WRITES = """
def test_a_post_in_this_process():
    with serve_in_thread() as st:
        assert httpx.get(st.server.url + "/api/v1/pods").status_code == 200
        assert httpx.post(st.server.url + "/api/v1/namespaces/a/pods", json={}).status_code == 405

SERVER_THEN_DELETE = '''
import httpx
from kpath.lab.apiserver import serve_in_thread
with serve_in_thread() as st:
    assert httpx.delete(st.server.url + "/api/v1/nodes/n1").status_code == 405
'''

def test_a_delete_in_a_subprocess():
    subprocess.run([sys.executable, "-c", SERVER_THEN_DELETE], check=True)

def test_a_write_marked_deliberate_but_sent_as_kpath():
    with serve_in_thread() as st, st.server.deliberate():  # kpath's User-Agent: never excused
        r = httpx.patch(st.server.url + "/api/v1/nodes/n1", json={},
                        headers={"User-Agent": "kpath"})
        assert r.status_code == 405
"""


@pytest.mark.parametrize("mode", [("-p", "no:xdist"), ("-n", "2")], ids=["one-process", "xdist"])
def test_a_write_to_any_lab_server_fails_the_session(tmp_path: Path, mode: tuple[str, str]) -> None:
    done = run_session(tmp_path, WRITES, *mode)
    assert "3 passed" in done.stdout, done.stdout + done.stderr  # the tests themselves pass
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout
    line = summary_line(done.stdout)
    assert "GET 1" in line and "not GET: 3;" in line and "1 with kpath's User-Agent" in line, line
    assert "POST /api/v1/namespaces/a/pods → 405" in done.stdout
    assert "DELETE /api/v1/nodes/n1 → 405" in done.stdout  # from the subprocess's server
    assert "PATCH /api/v1/nodes/n1 → 405 (User-Agent 'kpath'" in done.stdout


def test_reads_and_a_marked_write_from_a_lab_test_pass_and_are_counted(tmp_path: Path) -> None:
    done = run_session(
        tmp_path,
        """
    def test_reads():
        with serve_in_thread() as st:
            for _ in range(3):
                assert httpx.get(st.server.url + "/api/v1/services").status_code == 200

    def test_the_lab_refuses_writes():
        with serve_in_thread() as st, st.server.deliberate():
            assert httpx.put(st.server.url + "/api/v1/nodes/n1", json={}).status_code == 405
    """,
    )
    assert done.returncode == pytest.ExitCode.OK, done.stdout + done.stderr
    line = summary_line(done.stdout)
    assert "4 requests answered (GET 3, PUT 1;" in line, line
    assert "not GET: 0;" in line and line.endswith("own tests: 1"), line
