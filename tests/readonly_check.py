"""A pytest plugin: fail the session if a lab API server ever received anything but GET.

kpath only reads. Every lab API server started during the session (in this process, in a
pytest-xdist worker, or in a subprocess a test starts) tallies what it answered into the
directory named by ``KPATH_LAB_AUDIT`` (`kpath.lab.audit`), which this plugin creates at the
start of the session and reads at the end. A non-GET request fails the run unless a lab test
marked it as its own (`LabApiServer.deliberate`, for the writes that check the 405 answer).
The terminal summary says how many requests the lab answered and how many were not GET.

Loaded by ``tests/conftest.py``; ``-p tests.readonly_check`` loads it into another session
(the test that proves the check fails a session does that).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from kpath.lab.audit import ENV, RECORDER, Summary, read_audit

AUDIT_DIR = pytest.StashKey[str]()
SUMMARY = pytest.StashKey[Summary]()
SHOWN = 10  # offending requests listed in the summary


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if _is_worker(config):
        return  # a worker inherits its controller's directory through the environment
    # A fresh directory even if one was inherited: a pytest run inside a test is its own
    # session and must neither pollute the outer session's tally nor be judged by it.
    directory = tempfile.mkdtemp(prefix="kpath-lab-audit-")
    os.environ[ENV] = directory
    config.stash[AUDIT_DIR] = directory


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    # Servers write their totals when they stop; this covers any still running.
    RECORDER.flush()
    if _is_worker(config) or AUDIT_DIR not in config.stash:
        return
    summary = read_audit(config.stash[AUDIT_DIR])
    config.stash[SUMMARY] = summary
    if summary.offending or summary.tally.not_get:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    summary = config.stash.get(SUMMARY, None)
    if summary is None:
        return
    t = summary.tally
    offending = summary.offending
    not_get = max(len(offending), t.not_get)
    methods = ", ".join(f"{m} {n}" for m, n in sorted(t.methods.items()))
    line = (
        f"lab API servers: {t.total} requests answered ({methods or 'none'}; "
        f"{t.from_kpath} with kpath's User-Agent) in {summary.processes} process(es); "
        f"not GET: {not_get}; deliberate non-GET from the lab's own tests: {t.deliberate}"
    )
    terminalreporter.write_sep("-", "kpath read-only check")
    terminalreporter.write_line(line, red=bool(not_get), green=not not_get)
    if not_get:
        terminalreporter.write_line(
            f"FAILED: kpath must only send GET; {not_get} request(s) were not GET "
            f"(tally in {config.stash[AUDIT_DIR]}):",
            red=True,
        )
        for w in offending[:SHOWN]:
            terminalreporter.write_line(
                f"  {w.method} {w.path} → {w.status} (User-Agent {w.user_agent!r}, pid {w.pid})",
                red=True,
            )


def pytest_unconfigure(config: pytest.Config) -> None:
    directory = config.stash.get(AUDIT_DIR, None)
    summary = config.stash.get(SUMMARY, None)
    if directory is None:
        return
    if os.environ.get(ENV) == directory:
        del os.environ[ENV]
    if summary is not None and not summary.offending and not summary.tally.not_get:
        shutil.rmtree(directory, ignore_errors=True)  # kept when it holds evidence
