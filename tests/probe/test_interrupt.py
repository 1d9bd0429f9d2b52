"""Ctrl+C during a probe run: every probe is cancelled, connections close, no traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import asyncio, faulthandler, signal, socket, sys, threading
    # Ctrl+C as a shell delivers it: a test runner's worker may hand its children SIGINT
    # ignored (inherited across exec), which would test the runner, not kpath. SIGUSR1
    # dumps every thread's stack, for the parent to show when the run does not stop.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    faulthandler.register(signal.SIGUSR1)
    from kpath.probe.run import ProbeSettings, run_plan
    from kpath.probe.expect import Expect
    from kpath.probe.plan import HopKind, ProbePlan, ProbeTarget

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    port = srv.getsockname()[1]
    accepted = []

    def accept():
        while True:
            conn, _ = srv.accept()
            accepted.append(conn)
            if len(accepted) == 4:
                print("probing", flush=True)

    threading.Thread(target=accept, daemon=True).start()
    target = ProbeTarget(HopKind.NODE, "http", "127.0.0.1", port, "/", None, None, "n1", None,
                         frozenset({Expect.ANSWER}), frozenset(), False, False, 8, ())
    plan = ProbePlan((), (target,), (), {})
    try:
        run_plan(plan, ProbeSettings(concurrency=4, timeout=60))
    except KeyboardInterrupt:
        # Every accepted connection must now be closed by the client.
        for conn in accepted:
            conn.settimeout(5)
            assert conn.recv(65536, socket.MSG_PEEK) is not None
            while conn.recv(65536):
                pass
        print("interrupted cleanly", flush=True)
        sys.exit(130)
    print("finished?!", flush=True)
""")


def test_ctrl_c_cancels_every_probe_and_closes_connections() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "probing"
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)  # where is it stuck?
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=2)
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"Ctrl+C did not stop the probe run in 30 s:\n{err}") from None
    assert proc.returncode == 130, err
    assert out.strip() == "interrupted cleanly"
    assert "Traceback" not in err and "destroyed" not in err and "never awaited" not in err
