"""``python -m kpath lab --dump FILE`` as a child process, for the benchmarks that serve a dump.

The lab's output goes to a file, never to a pipe: a pipe nobody reads fills up (64 KB) and
then blocks the lab mid-write, which would stall the very server being measured. The banner
it prints once loaded (ending "Ctrl+C stops the lab.") says it is ready and names its
control URL; the kubeconfig it writes names the API server.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
READY = "Ctrl+C stops the lab."
_CONTROL = re.compile(r"control \((http://[^)]+)\)")


class Lab:
    """One lab serving ``dump``, from start-up (loaded, banner printed) until `stop`.

    ``workdir`` holds its kubeconfig and its log; without one, a temporary directory is
    made and removed at `stop`. ``churn``: seconds between churn ticks (``--churn``).
    """

    def __init__(
        self,
        dump: Path,
        workdir: Path | None = None,
        *,
        churn: float | None = None,
        extra: Sequence[str] = (),
        start_timeout: float = 600.0,
    ) -> None:
        self._own = workdir is None
        self.workdir = (
            Path(tempfile.mkdtemp(prefix="kpath-bench-lab-")) if workdir is None else workdir
        )
        self.kubeconfig = self.workdir / "lab.kubeconfig"
        self.log = self.workdir / "lab.out"
        argv = [sys.executable, "-m", "kpath", "lab", "--dump", str(dump)]
        argv += ["--kubeconfig-out", str(self.kubeconfig)]
        if churn is not None:
            argv += ["--churn", f"{churn:g}"]
        started = time.perf_counter()
        with self.log.open("w") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [*argv, *extra],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            text = self._wait_ready(started + start_timeout)
        except BaseException:
            self.stop()
            raise
        #: Seconds from starting the process to the banner: interpreter, reading the dump.
        self.load_seconds = time.perf_counter() - started
        found = _CONTROL.search(text)
        if found is None:
            self.stop()
            raise SystemExit(f"the lab printed no control URL: {text[-2000:]}")
        self.control = found.group(1)
        config = yaml.safe_load(self.kubeconfig.read_text())
        self.url: str = config["clusters"][0]["cluster"]["server"]
        self.loaded_rss = self.status("VmRSS")

    def _wait_ready(self, deadline: float) -> str:
        while True:
            text = self.log.read_text(errors="replace")
            if READY in text:
                return text
            if self.proc.poll() is not None:
                raise SystemExit(f"the lab exited ({self.proc.returncode}): {text[-2000:]}")
            if time.perf_counter() > deadline:
                raise SystemExit(f"the lab did not start in time: {text[-2000:]}")
            time.sleep(0.1)

    def status(self, field: str) -> int:
        """A /proc/PID/status figure of the lab (VmRSS, VmHWM), in bytes; 0 once it is gone."""
        try:
            lines = Path(f"/proc/{self.proc.pid}/status").read_text().splitlines()
        except OSError:
            return 0
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def get(self, path: str) -> Any:
        """The control endpoint's JSON answer to GET ``path`` (``/``, ``/requests``)."""
        reply = httpx.get(f"{self.control}{path}", timeout=30)
        reply.raise_for_status()
        return reply.json()

    def post(self, path: str) -> Any:
        """The control endpoint's JSON answer to POST ``path`` (``/churn/tick``, …)."""
        reply = httpx.post(f"{self.control}{path}", timeout=60)
        reply.raise_for_status()
        return reply.json()

    def requests(self) -> dict[str, dict[str, int]]:
        """What the lab has served so far: requests per verb and resource."""
        counts: dict[str, dict[str, int]] = self.get("/requests")
        return counts

    def stop(self) -> None:
        """SIGTERM (the lab stops its servers), SIGKILL if it lingers; idempotent."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._own:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
