"""``kpath lab --dump FILE…``: the lab's API server over the objects of a dump, no data plane.

A cluster at Kubernetes' limits (5,000 nodes, 150,000 pods, 10,000 services) cannot have a
socket per pod, but its API can be served: the dump is read (every layout `kpath paths
--dump` reads, see `kpath.lab.dumpread`), each object is encoded once into an
`EncodedStore`, and `LabApiServer` serves lists, paged lists, watches and streaming lists
from those bytes, kubectl and the Python client included. Nothing is contacted: the
addresses in the dump stay text.

A small control endpoint on 127.0.0.1 steps the churn (`kpath.lab.churn`) or runs it every
few seconds, and answers how many LIST, WATCH and GET requests each resource got (so a
benchmark can show a follower made no LIST after its initial load).
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from kpath.errors import InputError, KpathError
from kpath.lab.apiserver import LabApiServer
from kpath.lab.bytestore import EncodedStore
from kpath.lab.churn import Churn, Step
from kpath.lab.dumpread import read_into
from kpath.lab.foreground import kubeconfig_path, stop_on_signals
from kpath.lab.resources import POLICY_API_KINDS, POLICY_API_RESOURCES, RESOURCES, Resource
from kpath.safetext import clean_message

#: Seconds between churn ticks with ``--churn``: a rollout every 5 s, as scale benchmarks drive it.
CHURN_EVERY = 5.0


@dataclass
class LoadedDump:
    """A dump read into a store, with what it held."""

    store: EncodedStore
    resources: tuple[Resource, ...]
    counts: dict[str, int]  # kind → objects served
    unserved: dict[str, int] = field(default_factory=dict)  # kind → objects not served
    origin: str = ""


def load_store(paths: Sequence[str | Path]) -> LoadedDump:
    """Read dump files into an `EncodedStore` (raises `InputError` as `--dump` does), one
    object at a time where the file allows (`kpath.lab.dumpread`)."""
    store = EncodedStore()
    served = {(r.group, r.kind) for r in RESOURCES + POLICY_API_RESOURCES}
    result = read_into(store, paths, served)
    gc.collect()
    resources = RESOURCES + (POLICY_API_RESOURCES if POLICY_API_KINDS & set(result.counts) else ())
    store.start_at(result.highest_rv + 1)
    return LoadedDump(
        store, resources, result.counts, result.unserved, ", ".join(str(p) for p in paths)
    )


class DumpLab:
    """A served dump: the API server, the churn, and the control endpoint."""

    def __init__(
        self, loaded: LoadedDump, *, tls: bool = False, rbac: Any = None, seed: int = 1
    ) -> None:
        self.loaded = loaded
        self.store = loaded.store
        self.api = LabApiServer(self.store, tls=tls, rbac=rbac, resources=loaded.resources)
        self.churn = Churn(self.store, seed)
        self.control_url = ""
        self.churn_every: float | None = None
        self._churning: asyncio.Task[None] | None = None
        self._control: web.AppRunner | None = None
        self.steps: list[Step] = []

    async def start(self, *, control: bool = True) -> str:
        url = await self.api.start()
        if control:
            self.control_url = await self._start_control()
        return url

    async def stop(self) -> None:
        self.stop_churn()
        if self._control is not None:
            await self._control.cleanup()
            self._control = None
        await self.api.stop()

    # -- churn -----------------------------------------------------------------------------

    def start_churn(self, every: float = CHURN_EVERY) -> None:
        if every <= 0:
            raise InputError("the churn needs a period above 0 seconds")
        self.stop_churn()
        self.churn_every = every
        self._churning = asyncio.get_running_loop().create_task(self._churn_loop(every))

    def stop_churn(self) -> None:
        if self._churning is not None:
            self._churning.cancel()
            self._churning = None
        self.churn_every = None

    async def _churn_loop(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            self.steps.append(self.churn.tick())
            del self.steps[:-100]  # the latest are enough to show

    # -- the request record ----------------------------------------------------------------

    def requests_by_verb(self) -> dict[str, dict[str, int]]:
        """verb → resource plural → requests answered (list, watch, get)."""
        out: dict[str, dict[str, int]] = {}
        for (verb, plural), n in sorted(self.api.verbs.items()):
            out.setdefault(verb, {})[plural] = n
        return out

    # -- control endpoint ------------------------------------------------------------------

    async def _start_control(self) -> str:
        async def handle(request: web.Request) -> web.Response:
            try:
                body = await request.json() if request.can_read_body else {}
                return web.json_response(self.control(request.method, request.path, body or {}))
            except KpathError as exc:
                return web.json_response({"error": str(exc)}, status=400)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                return web.json_response({"error": f"bad request: {exc}"}, status=400)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._control = runner
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    def control(self, method: str, path: str, body: dict[str, Any]) -> Any:
        """One control request (runs on the lab's loop): state, request counts, churn."""
        parts = [p for p in path.split("/") if p]
        if method == "GET" and not parts:
            return {
                "resourceVersion": self.store.resource_version,
                "objects": self.loaded.counts,
                "churnEvery": self.churn_every,
                "churnTicks": self.churn.ticks,
                "watchers": self.store.watcher_count,
                "lastSteps": [s.to_dict() for s in self.steps[-5:]],
            }
        if method == "GET" and parts == ["requests"]:
            return self.requests_by_verb()
        if method == "POST" and parts[:1] == ["churn"] and len(parts) == 2:
            action = parts[1]
            if action == "start":
                self.start_churn(float(body.get("every", CHURN_EVERY)))
                return {"churnEvery": self.churn_every}
            if action == "stop":
                self.stop_churn()
                return {"churnEvery": None}
            steps = {
                "tick": self.churn.tick,
                "rollout": self.churn.rollout,
                "kill": self.churn.kill,
                "node": self.churn.flap_node,
            }
            if action in steps:
                step = steps[action]()
                return {**step.to_dict(), "resourceVersion": self.store.resource_version}
        raise InputError(
            f"unknown control request {method} {path}; try GET /, GET /requests, "
            "POST /churn/{tick,rollout,kill,node,start,stop}"
        )


def run_dump_lab(
    paths: Sequence[str],
    kubeconfig_out: Path | None,
    *,
    tls: bool = False,
    rbac: Any = None,
    churn: float | None = None,
) -> int:
    """``kpath lab --dump FILE…``: serve the dump until Ctrl+C (or SIGTERM)."""
    loaded = load_store(paths)
    return asyncio.run(_run(loaded, kubeconfig_out, tls=tls, rbac=rbac, churn=churn))


async def _run(
    loaded: LoadedDump, kubeconfig_out: Path | None, *, tls: bool, rbac: Any, churn: float | None
) -> int:
    stop = stop_on_signals()
    lab = DumpLab(loaded, tls=tls, rbac=rbac)
    await lab.start()
    try:
        path = lab.api.write_kubeconfig(kubeconfig_path(kubeconfig_out))
        if churn is not None:
            lab.start_churn(churn)
        sys.stdout.write(banner(lab, path) + "\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await lab.stop()
    print("lab stopped", flush=True)
    return 0


def banner(lab: DumpLab, kubeconfig: Path) -> str:
    ctl = lab.control_url
    counts = ", ".join(f"{k} {n:,}" for k, n in sorted(lab.loaded.counts.items()))
    unserved = ", ".join(
        f"{clean_message(k)} {n:,}" for k, n in sorted(lab.loaded.unserved.items())
    )
    lines = [
        f"kpath lab: dump {clean_message(lab.loaded.origin)} (no data plane), "
        f"API server {lab.api.url}",
        f"serving: {counts or 'nothing'}",
        *([f"not served (kinds the lab has no API for): {unserved}"] if unserved else []),
        f"kubeconfig: {kubeconfig}",
        f"  kubectl --kubeconfig {kubeconfig} get pods -A --chunk-size 500",
        f"  kpath paths --kubeconfig {kubeconfig}",
        f"churn: {f'a tick every {lab.churn_every:g} s' if lab.churn_every else 'off'} "
        "(a tick: one Deployment rolled out, one pod killed, a node NotReady or back)",
        f"control ({ctl}):",
        f"  curl -s {ctl}/                        # state",
        f"  curl -s {ctl}/requests                # LIST/WATCH/GET per resource",
        f"  curl -s -X POST {ctl}/churn/tick      # or rollout, kill, node",
        f"  curl -s -X POST {ctl}/churn/start -d '{{\"every\": 5}}'   # or /churn/stop",
        "Ctrl+C stops the lab.",
    ]
    return "\n".join(lines)
