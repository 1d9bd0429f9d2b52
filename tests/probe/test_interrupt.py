"""Ctrl+C during a probe run: every probe is cancelled, connections close, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import asyncio, socket, sys, threading
    from kpath.probe.run import ProbeSettings, run_plan
    from kpath.probe.plan import Expect, HopKind, ProbePlan, ProbeTarget

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
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert out.strip() == "interrupted cleanly"
    assert "Traceback" not in err and "destroyed" not in err and "never awaited" not in err
