"""A tally of every request the lab's API servers answer, shared by every process of a run.

kpath claims it only reads (GET). The test suite proves it over a whole session, servers in
pytest-xdist workers and in subprocesses included, by pointing ``KPATH_LAB_AUDIT`` at a
directory before anything starts. Each process serving a lab API then writes to its own
files there:

- ``PID.writes.jsonl``: one line per request that is not a GET, written at once, so a
  process killed mid-test still leaves the evidence;
- ``PID.totals.json``: the process's counts, rewritten whenever a server stops and at exit.

A request a lab test sends on purpose to check the 405 answer is *deliberate*: it is
counted apart, never as kpath's (`LabApiServer.deliberate`). Without ``KPATH_LAB_AUDIT``
nothing is written. `read_audit` sums a directory; `tests/readonly_check.py` reads it at the
end of the session and fails the run on any non-GET that was not deliberate.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV = "KPATH_LAB_AUDIT"
#: kpath's own clients (the live reader, the watch, the prober) send this User-Agent prefix.
KPATH_AGENT = "kpath"


@dataclass
class Tally:
    """Counts of the requests lab API servers answered."""

    total: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    from_kpath: int = 0  # requests whose User-Agent is kpath's
    deliberate: int = 0  # non-GET requests a lab test marked as its own

    @property
    def not_get(self) -> int:
        """Non-GET requests not marked deliberate: these must never happen."""
        return self.total - self.methods["GET"] - self.deliberate

    def add(self, other: Tally) -> None:
        self.total += other.total
        self.methods.update(other.methods)
        self.from_kpath += other.from_kpath
        self.deliberate += other.deliberate

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "methods": dict(self.methods),
            "from_kpath": self.from_kpath,
            "deliberate": self.deliberate,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Tally:
        return cls(
            int(doc["total"]),
            Counter({str(k): int(v) for k, v in doc["methods"].items()}),
            int(doc["from_kpath"]),
            int(doc["deliberate"]),
        )


@dataclass(frozen=True)
class Write:
    """One non-GET request, as written to ``PID.writes.jsonl``."""

    method: str
    path: str
    status: int
    user_agent: str
    deliberate: bool
    pid: int


@dataclass
class Summary:
    """Everything the servers of one run wrote: the summed counts and each non-GET."""

    tally: Tally
    writes: list[Write]
    processes: int

    @property
    def offending(self) -> list[Write]:
        return [w for w in self.writes if not w.deliberate]


class _Recorder:
    """This process's tally; thread-safe (each lab server runs its own event-loop thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tally = Tally()
        self._dir: str | None = None
        atexit.register(self.flush)

    def record(
        self, method: str, path: str, status: int, user_agent: str, deliberate: bool
    ) -> None:
        directory = os.environ.get(ENV)
        if not directory:
            return
        is_get = method == "GET"
        with self._lock:
            self._dir = directory
            t = self._tally
            t.total += 1
            t.methods[method] += 1
            t.from_kpath += user_agent.startswith(KPATH_AGENT)
            t.deliberate += deliberate and not is_get
            if not is_get:
                line = json.dumps(
                    {
                        "method": method,
                        "path": path,
                        "status": status,
                        "user_agent": user_agent,
                        "deliberate": deliberate,
                        "pid": os.getpid(),
                    }
                )
                with open(
                    Path(directory) / f"{os.getpid()}.writes.jsonl", "a", encoding="utf-8"
                ) as f:
                    f.write(line + "\n")

    def flush(self) -> None:
        """Write this process's totals (atomically: a reader never sees half a file)."""
        with self._lock:
            if self._dir is None or not Path(self._dir).is_dir():
                return
            final = Path(self._dir) / f"{os.getpid()}.totals.json"
            partial = final.with_suffix(".partial")
            partial.write_text(json.dumps(self._tally.to_json()), encoding="utf-8")
            os.replace(partial, final)


RECORDER = _Recorder()


def read_audit(directory: str | Path) -> Summary:
    """Sum every process's totals and collect every non-GET written under ``directory``."""
    root = Path(directory)
    tally, writes, processes = Tally(), [], 0
    for path in sorted(root.glob("*.totals.json")):
        tally.add(Tally.from_json(json.loads(path.read_text(encoding="utf-8"))))
        processes += 1
    for path in sorted(root.glob("*.writes.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                writes.append(
                    Write(
                        d["method"],
                        d["path"],
                        int(d["status"]),
                        d["user_agent"],
                        bool(d["deliberate"]),
                        int(d["pid"]),
                    )
                )
    return Summary(tally, writes, processes)
