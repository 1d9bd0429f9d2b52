"""The lab as one object: store + scheduler + API server + data plane in one event loop.

- `Lab`: ``async with Lab("shop") as lab:`` — everything runs in the caller's event loop.
- `LabThread`: the same in a background thread with its own loop, as a sync context manager
  (for tests and for the TUI, which runs its own loop).
- `run_lab`: ``kpath lab`` — runs until Ctrl+C, printing the kubeconfig, the addresses to curl
  and how to inject faults through a small control endpoint on 127.0.0.1.
- `start_demo_lab`: the lab ``kpath demo`` starts before showing kpath's main view.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
import threading
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from kpath.errors import InputError, KpathError, SourceError
from kpath.lab.addresses import AddressPlan, claim_block
from kpath.lab.dataplane import DataPlane
from kpath.lab.faults import Fault, FaultSet, parse_fault, resolved
from kpath.lab.foreground import kubeconfig_path, stop_on_signals
from kpath.lab.gateway.proxy import GatewayRuntime
from kpath.lab.objects import LabNode
from kpath.lab.podports import PortHint, pod_port_protocol
from kpath.lab.scenario import Scenario, load_scenario
from kpath.lab.scheduler import ObjectStore, Scheduler
from kpath.safetext import clean_message

T = TypeVar("T")


def _default_store() -> ObjectStore:
    from kpath.lab.store import Store  # the API server's store; imported late on purpose

    return Store()


class Lab:
    """One running lab. Use as ``async with Lab(scenario) as lab``.

    ``api`` holds keyword arguments for the API server (``tls``, ``token``, ``deny``,
    ``latency``, ...); ``serve_api=False`` runs the data plane only (with ``store`` given,
    any object with put/delete/get/list works). ``control=True`` also serves the control
    endpoint (`control_url`) that ``kpath lab`` prints.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path = "shop",
        *,
        api: Mapping[str, Any] | None = None,
        serve_api: bool = True,
        store: ObjectStore | None = None,
        control: bool = False,
    ) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self._api_kwargs = dict(api or {})
        self._serve_api = serve_api
        self._store = store
        self._control = control
        self.faults = FaultSet()
        self.api_url: str | None = None
        self.control_url: str | None = None
        self._claim: socket.socket | None = None
        self._api: Any = None
        self._control_runner: Any = None
        self.plan: AddressPlan | None = None
        self.scheduler: Scheduler | None = None
        self.dataplane: DataPlane | None = None

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> Lab:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        self.plan, self._claim = claim_block()
        store = self._store if self._store is not None else _default_store()
        self._store = store
        sc = self.scenario
        self.scheduler = Scheduler(
            store,
            self.plan,
            sc.nodes,
            max_replicas=sc.max_replicas,
            pending=sc.pending,
            ingress_controller=sc.ingress,
            gateway_classes=sc.gateway_classes,
            gateway_infrastructure=sc.gateway_infrastructure,
            seed=sc.name,
        )
        self.scheduler.apply(sc.manifests)
        self.dataplane = DataPlane(
            store, self.plan, self.faults, self._ingress_view, self._gateway_view
        )
        for fault in sc.faults:
            await self.inject(fault, sync=False)
        await self.dataplane.sync()
        if self._serve_api:
            from kpath.lab.apiserver import LabApiServer  # imported late: optional for tests
            from kpath.lab.resources import resources_for
            from kpath.lab.store import Store

            if not isinstance(store, Store):  # watches and resourceVersions are Store's own
                raise TypeError("the lab's API server serves a kpath.lab.store.Store")
            kwargs = {"resources": resources_for(sc.manifests), **self._api_kwargs}
            self._api = LabApiServer(store, **kwargs)
            self.api_url = await self._api.start()
        if self._control:
            self.control_url = await self._start_control()

    async def stop(self) -> None:
        """Stop every listener and free the address block (safe to call twice)."""
        if self._control_runner is not None:
            with contextlib.suppress(Exception):
                await self._control_runner.cleanup()
            self._control_runner = None
        if self._api is not None:
            with contextlib.suppress(Exception):
                await self._api.stop()
            self._api = None
        if self.dataplane is not None:
            await self.dataplane.close()
        if self._claim is not None:
            self._claim.close()
            self._claim = None

    async def stop_api(self) -> None:
        """Stop the API server only (the data plane keeps serving): an outage."""
        if self._api is not None:
            await self._api.stop()

    async def start_api(self, port: int = 0) -> str:
        """Serve the API again after `stop_api`, on ``port`` (0: any free one, so usually
        another address: rewrite the kubeconfig); returns its URL."""
        if self._api is None:
            raise SourceError("this lab runs without its API server")
        self._api.port = port
        self.api_url = await self._api.start()
        return self.api_url

    def _ingress_view(self) -> tuple[tuple[str, str] | None, list[dict[str, Any]]]:
        assert self.scheduler is not None
        return self.scheduler.ingress_controller(), self.scheduler.served_ingresses()

    def _gateway_view(self) -> GatewayRuntime | None:
        assert self.scheduler is not None
        if not self.scheduler.gateway_infra:
            return None
        return GatewayRuntime(self.scheduler.gateway_pods(), self.scheduler.controller_state)

    # ------------------------------------------------------------------ accessors
    @property
    def store(self) -> ObjectStore:
        assert self._store is not None
        return self._store

    @property
    def nodes(self) -> list[LabNode]:
        assert self.scheduler is not None, "the lab is not running"
        return list(self.scheduler.nodes)

    @property
    def warnings(self) -> list[str]:
        return list(self.dataplane.warnings) if self.dataplane else []

    def node(self, name: str) -> LabNode:
        assert self.scheduler is not None
        return self.scheduler.node(name)

    def pods(self, namespace: str, workload: str) -> list[dict[str, Any]]:
        """Pod objects of a workload, in creation order."""
        assert self.scheduler is not None
        names = self.scheduler.pods_of(namespace, workload)
        return [p for n in names if (p := self.store.get("Pod", namespace, n)) is not None]

    def enforce(self, policy: Any) -> None:
        """Enforce a role's rules (`kpath.lab.rbac.Policy`) from now on; None: no rules."""
        if self._api is None:
            raise SourceError("this lab runs without its API server")
        self._api.enforce(policy)

    def write_kubeconfig(self, path: str | Path, **kwargs: Any) -> Path:
        if self._api is None:
            raise SourceError("this lab runs without its API server")
        return Path(self._api.write_kubeconfig(path, **kwargs))

    # ------------------------------------------------------------------ changes
    async def inject(self, fault: Fault | Mapping[str, Any], *, sync: bool = True) -> Fault:
        """Add a fault; a pod fault may name a workload (``ns/deployment``, ``replica``)."""
        fault = fault if isinstance(fault, Fault) else parse_fault(fault)
        assert self.scheduler is not None and self.dataplane is not None
        if fault.pod:
            ns, name = fault.pod.split("/")
            if (ns, name) not in self.scheduler.pods:
                pods = self.scheduler.pods_of(ns, name)
                if fault.replica >= len(pods):
                    raise InputError(
                        f"fault {fault.kind}: no pod {fault.pod}"
                        + (f" replica {fault.replica}" if pods else "")
                    )
                fault = resolved(fault, f"{ns}/{pods[fault.replica]}")
        if fault.node:
            self.scheduler.node(fault.node)  # raises for an unknown node
        if fault.service:
            ns, name = fault.service.split("/")
            if (ns, name) not in self.scheduler.services:
                raise InputError(f"fault {fault.kind}: no service {fault.service}")
        self.faults.add(fault)
        if fault.kind == "node-down":
            self.scheduler.set_node_ready(fault.node or "", False)
        if sync:
            await self.dataplane.sync()
        return fault

    async def clear(self, fault: Fault | Mapping[str, Any] | None = None) -> list[Fault]:
        """Remove one fault, or all of them; returns what was removed."""
        assert self.scheduler is not None and self.dataplane is not None
        if fault is None:
            gone = self.faults.clear()
        else:
            fault = fault if isinstance(fault, Fault) else parse_fault(fault)
            gone = [fault] if self.faults.remove(fault) else []
        for f in gone:
            if f.kind == "node-down" and not self.faults.node_down(f.node or ""):
                self.scheduler.set_node_ready(f.node or "", True)
        await self.dataplane.sync()
        return gone

    async def stop_node(self, name: str) -> None:
        await self.inject(Fault("node-down", node=name))

    async def start_node(self, name: str) -> None:
        await self.clear(Fault("node-down", node=name))

    async def scale(self, namespace: str, deployment: str, replicas: int) -> None:
        assert self.scheduler is not None and self.dataplane is not None
        self.scheduler.scale(namespace, deployment, replicas)
        await self.dataplane.sync()

    async def kill_pod(self, namespace: str, name: str, *, graceful: bool = False) -> str | None:
        """Delete a pod (its controller replaces it); returns the replacement's name."""
        assert self.scheduler is not None and self.dataplane is not None
        replacement = self.scheduler.kill_pod(namespace, name, graceful=graceful)
        await self.dataplane.sync()
        return replacement

    # ------------------------------------------------------------------ what to try
    def entrypoints(self) -> list[str]:
        """Ways in a user can curl: load balancers, NodePorts, ingress hosts."""
        assert self.scheduler is not None
        out: list[str] = []
        first_node = self.scheduler.nodes[0].address
        for (ns, name), svc in sorted(self.scheduler.services.items()):
            spec = svc["spec"]
            for ing in svc["status"]["loadBalancer"].get("ingress", []):
                for port in spec.get("ports") or []:
                    out.append(
                        f"{_scheme(port)}://{ing['ip']}:{port['port']}/  {ns}/{name} "
                        f"(LoadBalancer{_tls_note(port)})"
                    )
            if spec.get("type") == "NodePort":
                for port in spec.get("ports") or []:
                    out.append(
                        f"{_scheme(port)}://{first_node}:{port['nodePort']}/  {ns}/{name} "
                        f"(NodePort, on every node{_tls_note(port)})"
                    )
        address = self.scheduler.ingress_controller()
        if address is not None:
            controller = self.scheduler.services.get(address)
            ips = [
                i["ip"]
                for i in (controller or {})
                .get("status", {})
                .get("loadBalancer", {})
                .get("ingress", [])
            ]
            hosts = sorted(
                {
                    r.get("host")
                    for i in self.scheduler.served_ingresses()
                    for r in (i.get("spec") or {}).get("rules") or []
                    if r.get("host")
                }
            )
            for host in hosts if ips else []:
                out.append(f"curl -H 'Host: {host}' http://{ips[0]}/  (Ingress)")
        out += self._gateway_entrypoints()
        return [clean_message(line) for line in out]

    def _gateway_entrypoints(self) -> list[str]:
        """One line per serving Gateway listener and host its routes answer: the address to
        ask, with the Host (or SNI) to ask for."""
        assert self.scheduler is not None
        state = self.scheduler.controller_state
        out: list[str] = []
        for key in sorted(self.scheduler.gateway_infra):
            address = self.scheduler.gateway_address(key)
            if address is None or state is None:
                continue
            for li in state.listeners.get(key, []):
                if not li.serving:
                    continue
                where = f"(Gateway {key[0]}/{key[1]} listener {li.name})"
                fallback = (li.hostname or "").replace("*.", "www.")
                tries: dict[tuple[str, str], None] = {}
                for att in state.routes_on(li):
                    hosts = [h for h in att.hosts or [] if not h.startswith("*")] or [fallback]
                    path = _first_path(att.route) if att.kind == "HTTPRoute" else "/"
                    tries.update(((h, path), None) for h in hosts)
                for host, path in tries or {(fallback, "/"): None}:
                    out.append(_gateway_try(li.protocol, address, li.port, host, path, where))
        return [line for line in out if line]

    # ------------------------------------------------------------------ control endpoint
    async def _start_control(self) -> str:
        from aiohttp import web

        async def handle(request: web.Request) -> web.Response:
            try:
                body = await request.json() if request.can_read_body else {}
                result = await self._control_action(request.method, request.path, body)
            except KpathError as exc:
                return web.json_response({"error": str(exc)}, status=400)
            except (ValueError, TypeError, KeyError) as exc:
                return web.json_response({"error": f"bad request: {exc}"}, status=400)
            return web.json_response(result)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._control_runner = runner
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    async def _control_action(self, method: str, path: str, body: Any) -> Any:
        parts = [p for p in path.split("/") if p]
        if method == "GET" and not parts:
            return {
                "faults": [f.to_dict() for f in self.faults],
                "nodes": [
                    {"name": n.name, "zone": n.zone, "address": n.address, "ready": n.ready}
                    for n in self.nodes
                ],
                "entrypoints": self.entrypoints(),
            }
        if parts == ["faults"] and method == "POST":
            return (await self.inject(body)).to_dict()
        if parts == ["faults"] and method == "DELETE":
            return [f.to_dict() for f in await self.clear(body or None)]
        if len(parts) == 3 and parts[0] == "nodes" and method == "POST":
            if parts[2] == "stop":
                await self.stop_node(parts[1])
            elif parts[2] == "start":
                await self.start_node(parts[1])
            else:
                raise InputError("use /nodes/NAME/stop or /nodes/NAME/start")
            return {"node": parts[1], "ready": self.node(parts[1]).ready}
        if parts == ["scale"] and method == "POST":
            await self.scale(str(body["namespace"]), str(body["name"]), int(body["replicas"]))
            return {"scaled": f"{body['namespace']}/{body['name']}"}
        if parts == ["kill"] and method == "POST":
            new = await self.kill_pod(
                str(body["namespace"]), str(body["name"]), graceful=bool(body.get("graceful"))
            )
            return {"killed": f"{body['namespace']}/{body['name']}", "replacement": new}
        raise InputError(f"unknown control request {method} {path}")


def _first_path(route: Mapping[str, Any]) -> str:
    """The path of an HTTPRoute's first rule that names one (what to try first)."""
    for rule in (route.get("spec") or {}).get("rules") or []:
        for match in rule.get("matches") or []:
            value = (match.get("path") or {}).get("value")
            if isinstance(value, str) and value.startswith("/"):
                return value
    return "/"


def _gateway_try(protocol: str, address: str, port: int, host: str, path: str, where: str) -> str:
    """The command that asks one Gateway listener for one host and path ("" for UDP)."""
    if protocol == "HTTPS" and host:
        return f"curl -k --resolve {host}:{port}:{address} https://{host}:{port}{path}  {where}"
    if protocol in ("HTTP", "HTTPS"):
        flags = (" -k" if protocol == "HTTPS" else "") + (f" -H 'Host: {host}'" if host else "")
        return f"curl{flags} {protocol.lower()}://{address}:{port}{path}  {where}"
    if protocol == "TLS":
        sni = f" -servername {host}" if host else ""
        return f"openssl s_client -connect {address}:{port}{sni}  {where}"
    return f"nc {address} {port}  {where}" if protocol == "TCP" else ""


def _scheme(port: Mapping[str, Any]) -> str:
    """How to curl a Service port: its pods speak TLS where the port says HTTPS."""
    hint = PortHint(
        str(port.get("name") or ""),
        str(port.get("appProtocol") or ""),
        port.get("port") if isinstance(port.get("port"), int) else None,
    )
    return "https" if pod_port_protocol(None, 0, [hint]) == "https" else "http"


def _tls_note(port: Mapping[str, Any]) -> str:
    return ", self-signed: curl -k" if _scheme(port) == "https" else ""


class LabThread:
    """A `Lab` in a background thread with its own event loop; a sync context manager.

    Methods mirror `Lab`'s and block until done. ``lab`` is the underlying `Lab` (call only
    its non-async accessors from another thread).
    """

    def __init__(self, scenario: Scenario | str | Path = "shop", **kwargs: Any) -> None:
        self.lab = Lab(scenario, **kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="kpath-lab", daemon=True
        )
        self._started = False

    def start(self) -> LabThread:
        if self._started:
            return self  # `with start_demo_lab() as lab:` enters a lab already started
        self._thread.start()
        try:
            self.call(self.lab.start())
        except BaseException:
            self._shutdown_loop()
            raise
        self._started = True
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.call(self.lab.stop())
            self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> LabThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the lab's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # The same surface as Lab, blocking.
    @property
    def api_url(self) -> str | None:
        return self.lab.api_url

    @property
    def control_url(self) -> str | None:
        return self.lab.control_url

    @property
    def nodes(self) -> list[LabNode]:
        return self.lab.nodes

    @property
    def store(self) -> ObjectStore:
        return self.lab.store

    def write_kubeconfig(self, path: str | Path, **kwargs: Any) -> Path:
        return self.lab.write_kubeconfig(path, **kwargs)

    def stop_api(self) -> None:
        self.call(self.lab.stop_api())

    def start_api(self, port: int = 0) -> str:
        return self.call(self.lab.start_api(port))

    def pods(self, namespace: str, workload: str) -> list[dict[str, Any]]:
        return self.call(_sync(lambda: self.lab.pods(namespace, workload)))

    def enforce(self, policy: Any) -> None:
        self.call(_sync(lambda: self.lab.enforce(policy)))

    def inject(self, fault: Fault | Mapping[str, Any]) -> Fault:
        return self.call(self.lab.inject(fault))

    def clear(self, fault: Fault | Mapping[str, Any] | None = None) -> list[Fault]:
        return self.call(self.lab.clear(fault))

    def stop_node(self, name: str) -> None:
        self.call(self.lab.stop_node(name))

    def start_node(self, name: str) -> None:
        self.call(self.lab.start_node(name))

    def scale(self, namespace: str, deployment: str, replicas: int) -> None:
        self.call(self.lab.scale(namespace, deployment, replicas))

    def kill_pod(self, namespace: str, name: str, *, graceful: bool = False) -> str | None:
        return self.call(self.lab.kill_pod(namespace, name, graceful=graceful))

    def entrypoints(self) -> list[str]:
        return self.call(_sync(self.lab.entrypoints))


async def _sync(fn: Any) -> Any:
    """Run a plain function on the lab's loop (the store is not shared across threads)."""
    return fn()


def start_demo_lab(scenario: str = "shop") -> LabThread:
    """The lab behind ``kpath demo`` (the shop scenario) and ``kpath snapshot --demo``,
    started, in a background thread."""
    return LabThread(scenario).start()


def run_lab(
    scenario: str, kubeconfig_out: Path | None, *, tls: bool = False, rbac: Any = None
) -> int:
    """``kpath lab``: run a lab until Ctrl+C (or SIGTERM); returns the exit code.

    ``rbac`` is a `kpath.lab.rbac.Policy` the API server enforces (``kpath lab --rbac``).
    """
    loaded = load_scenario(scenario)
    return asyncio.run(_run_lab(loaded, kubeconfig_out, tls=tls, rbac=rbac))


async def _run_lab(
    scenario: Scenario, kubeconfig_out: Path | None, *, tls: bool, rbac: Any = None
) -> int:
    stop = stop_on_signals()
    async with Lab(scenario, api={"tls": tls, "rbac": rbac}, control=True) as lab:
        path = lab.write_kubeconfig(kubeconfig_path(kubeconfig_out))
        _print_banner(lab, path, rbac)
        await stop.wait()
    print("lab stopped", flush=True)
    return 0


def _print_banner(lab: Lab, kubeconfig: Path, rbac: Any = None) -> None:
    sc = lab.scenario
    ctl = lab.control_url
    lines = [
        f"kpath lab: scenario {clean_message(sc.name)} on {lab.plan.prefix if lab.plan else '?'}"
        f".0.0/16, API server {lab.api_url}",
        f"kubeconfig: {kubeconfig}",
        f"  kubectl --kubeconfig {kubeconfig} get nodes,pods,svc,endpointslices,ingress -A -o wide",
        *(
            [f"  kubectl --kubeconfig {kubeconfig} get gateways,httproutes -A"]
            if lab.scheduler is not None and lab.scheduler.gateway_api
            else []
        ),
        f"  kpath paths --kubeconfig {kubeconfig}",
        "nodes:",
        *(
            f"  {clean_message(n.name)}  {n.address}  zone {clean_message(n.zone)}"
            for n in lab.nodes
        ),
        "ways in:",
        *(f"  {line}" for line in lab.entrypoints()),
        f"faults now: {', '.join(clean_message(f.describe()) for f in lab.faults) or 'none'}",
        f"control ({ctl}):",
        f"  curl -s {ctl}/                                   # state",
        *(
            f"  curl -s -X POST {ctl}{path} -d '{json.dumps(body)}'"
            for path, body in (
                ("/faults", {"kind": "node-down", "node": lab.nodes[-1].name}),
                ("/faults", {"kind": "pod-error", "pod": "NS/POD", "status": 503}),
                ("/scale", {"namespace": "NS", "name": "DEPLOY", "replicas": 3}),
                ("/kill", {"namespace": "NS", "name": "POD"}),
            )
        ),
        f"  curl -s -X DELETE {ctl}/faults                   # clear all",
        "  fault kinds: node-down, pod-hang, pod-refuse, pod-error, target-port-dead, slow",
        *(f"warning: {clean_message(w)}" for w in lab.warnings),
        *(
            [
                f"RBAC: the API server allows only what {rbac.kind} "
                f"{clean_message(rbac.name)} grants"
                + (f" in namespace {clean_message(rbac.namespace)}" if rbac.namespace else "")
                + " (discovery is always allowed)"
            ]
            if rbac is not None
            else []
        ),
        "Ctrl+C stops the lab.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
