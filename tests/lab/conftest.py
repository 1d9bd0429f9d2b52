"""Fixtures for the lab API server tests: a small cluster in API shape, servers in threads.

The objects are valid for the Python client's typed models (EndpointSlices carry
`addressType`, containers a `name`, service ports a `port`), so typed calls work too.
"""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kpath.lab.addresses import AddressPlan, claim_block
from kpath.lab.apiserver import ServerThread, serve_in_thread
from kpath.lab.store import Store

Obj = dict[str, Any]
KUBECTL = shutil.which("kubectl")


def node(name: str, ip: str, zone: str) -> Obj:
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip}],
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def pod(
    ns: str,
    name: str,
    node_name: str,
    ip: str,
    labels: dict[str, str],
    phase: str = "Running",
    port: int = 8080,
) -> Obj:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "nodeName": node_name,
            "containers": [
                {"name": "app", "image": "echo", "ports": [{"name": "http", "containerPort": port}]}
            ],
        },
        "status": {
            "phase": phase,
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True" if phase == "Running" else "False"}],
        },
    }


def cluster_objects(plan: AddressPlan) -> list[Obj]:
    """Two nodes, five pods in two namespaces, three services, a slice, an Ingress, a class."""
    ip = plan.pod_ip
    web = {"app": "web", "tier": "front"}
    return [
        node("node-a", plan.node_ip(0), "zone-a"),
        node("node-b", plan.node_ip(1), "zone-b"),
        pod("shop", "web-1", "node-a", ip(0, 0), web),
        pod("shop", "web-2", "node-b", ip(1, 0), web),
        pod("shop", "web-3", "node-a", ip(0, 1), web, phase="Pending"),
        pod("shop", "db-1", "node-b", ip(1, 1), {"app": "db", "tier": "data"}, port=5432),
        pod("tools", "probe-1", "node-a", ip(0, 2), {}),
        {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "type": "NodePort",
                "clusterIP": plan.cluster_ip(0),
                "selector": {"app": "web"},
                "ports": [
                    {
                        "name": "http",
                        "port": 80,
                        "targetPort": "http",
                        "nodePort": 30080,
                        "protocol": "TCP",
                    }
                ],
            },
        },
        {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "db", "namespace": "shop"},
            "spec": {
                "type": "ClusterIP",
                "clusterIP": plan.cluster_ip(1),
                "selector": {"app": "db"},
                "ports": [{"port": 5432, "protocol": "TCP"}],
            },
        },
        {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "front", "namespace": "shop"},
            "spec": {
                "type": "LoadBalancer",
                "clusterIP": plan.cluster_ip(2),
                "selector": {"app": "web"},
                "ports": [{"port": 443, "targetPort": 8080, "nodePort": 30443, "protocol": "TCP"}],
            },
            "status": {"loadBalancer": {"ingress": [{"ip": plan.lb_ip(0)}]}},
        },
        {
            "kind": "EndpointSlice",
            "apiVersion": "discovery.k8s.io/v1",
            "metadata": {
                "name": "web-x1",
                "namespace": "shop",
                "labels": {"kubernetes.io/service-name": "web"},
            },
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [
                {"addresses": [ip(0, 1)], "conditions": {"ready": False}, "nodeName": "node-a"},
                {"addresses": [ip(0, 0)], "conditions": {"ready": True}, "nodeName": "node-a"},
                {"addresses": [ip(1, 0)], "conditions": {"ready": True}, "nodeName": "node-b"},
            ],
        },
        {
            "kind": "Ingress",
            "apiVersion": "networking.k8s.io/v1",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    {
                        "host": "shop.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
            },
        },
        {
            "kind": "IngressClass",
            "apiVersion": "networking.k8s.io/v1",
            "metadata": {"name": "nginx"},
            "spec": {"controller": "k8s.io/ingress-nginx"},
        },
    ]


@pytest.fixture(scope="session")
def address_plan() -> Iterator[AddressPlan]:
    """A loopback block of our own, so parallel workers never share pod addresses."""
    plan, claim = claim_block()
    try:
        yield plan
    finally:
        claim.close()


@pytest.fixture
def objects(address_plan: AddressPlan) -> list[Obj]:
    return copy.deepcopy(cluster_objects(address_plan))


def filled_store(objs: list[Obj]) -> Store:
    store = Store()
    for obj in objs:
        store.put(copy.deepcopy(obj))
    return store


@pytest.fixture
def api(objects: list[Obj]) -> Iterator[ServerThread]:
    """A fresh server per test over the small cluster (tests may change its store)."""
    with serve_in_thread(filled_store(objects)) as st:
        yield st


@pytest.fixture(scope="module")
def shared_api(address_plan: AddressPlan) -> Iterator[ServerThread]:
    """One server per module for tests that only read."""
    with serve_in_thread(filled_store(cluster_objects(address_plan))) as st:
        yield st


@pytest.fixture
def kubeconfig(api: ServerThread, tmp_path: Path) -> Path:
    return api.server.write_kubeconfig(tmp_path / "kubeconfig")


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def run_kubectl(kubeconfig: Path, *args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """Run the real kubectl with its own discovery cache (the lab reuses ports)."""
    assert KUBECTL is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env["KUBECACHEDIR"] = str(cache)
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "--request-timeout=20s", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def _start_backend(host: str, port: int, name: str) -> Any:
    from aiohttp import web

    async def answer(request: web.Request) -> web.Response:
        return web.Response(text=f"{name} saw {request.path_qs}", headers={"X-Served-By": name})

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


@pytest.fixture
def web1_backend(api: ServerThread, address_plan: AddressPlan) -> Iterator[str]:
    """A tiny HTTP server on web-1's pod IP:8080 (in the API server's loop); yields the IP."""
    ip = address_plan.pod_ip(0, 0)
    runner = api.run(_start_backend(ip, 8080, "web-1"))
    try:
        yield ip
    finally:
        api.run(runner.cleanup())


def wait_for_watchers(st: ServerThread, count: int = 1) -> None:
    """Block until the server has `count` open watch streams (bounded; raises if never)."""
    for _ in range(1000):
        if st.call(lambda: st.store.watcher_count) >= count:
            return
        time.sleep(0.01)
    raise AssertionError("the watch never started")
