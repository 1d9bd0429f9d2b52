"""`python -m kpath` exits without freeing what a command loaded: the same output, exit
code and stderr as the usual exit, atexit handlers run, a closed pipe handled as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    objs = [b.node(f"node-{i}") for i in range(3)]
    objs += [b.pod(f"web-{i}", f"node-{i}", f"10.1.0.{i + 1}") for i in range(3)]
    # 200 services: a document bigger than a pipe holds (the early reader below).
    for n in range(200):
        objs += [
            b.service(f"web-{n}", "LoadBalancer", etp="Local", lb_ip="192.0.2.10"),
            b.endpointslice(
                f"web-{n}",
                [b.endpoint(f"10.1.0.{i + 1}", f"node-{i}", f"web-{i}") for i in range(3)],
            ),
        ]
    objs.append(b.service("lonely", "NodePort", selector={"app": "nobody"}))  # KP103
    for o in objs:
        o["apiVersion"] = "discovery.k8s.io/v1" if o["kind"] == "EndpointSlice" else "v1"
    path = tmp_path_factory.mktemp("main-exit") / "cluster.json"
    path.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": objs}))
    return path


def kpath(*argv: str, code: str = "") -> subprocess.CompletedProcess[bytes]:
    """``python -m kpath ARGV``, after ``code`` (run in the same process first)."""
    start = f"{code}\nimport runpy, sys\nsys.argv = ['kpath', *{list(argv)!r}]\n"
    start += "runpy.run_module('kpath', run_name='__main__', alter_sys=True)\n"
    return subprocess.run(
        [sys.executable, "-c", start], capture_output=True, cwd=ROOT, env=os.environ, timeout=120
    )


def test_the_output_is_whole_and_the_exit_code_kept(dump: Path) -> None:
    from kpath.cli import main

    done = kpath("paths", "--dump", str(dump), "-A", "-o", "json")
    assert done.returncode == 0 and done.stderr == b""
    doc = json.loads(done.stdout)
    webs = {f"shop/web-{i}" for i in range(200)}
    assert {p["service"] for p in doc["paths"]} == {"shop/lonely", *webs}
    failing = kpath("paths", "--dump", str(dump), "-A", "--fail-on", "warning")
    assert failing.returncode == 1, failing.stderr
    assert main(["paths", "--dump", str(dump), "-A", "--fail-on", "warning"]) == 1
    assert b"lonely" in failing.stdout


def test_atexit_handlers_still_run(dump: Path) -> None:
    code = "import atexit, sys\natexit.register(lambda: print('handler ran', file=sys.stderr))"
    done = kpath("paths", "--dump", str(dump), "-A", "-o", "json", code=code)
    assert done.returncode == 0
    assert done.stderr == b"handler ran\n"
    assert json.loads(done.stdout)["schema"] == "kpath.paths/v1"


def test_a_reader_that_leaves_early_gets_the_usual_quiet_exit(dump: Path) -> None:
    start = [sys.executable, "-m", "kpath", "paths", "--dump", str(dump), "-A", "-o", "json"]
    with subprocess.Popen(
        start, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=os.environ
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(10)
        proc.stdout.close()  # `kpath paths -o json | head -c 10`
        err = proc.stderr.read()
        assert proc.wait(timeout=120) in (0, 120)  # 120: Python's own, for a failed flush
    assert b"Traceback" not in err
