"""A small followed cluster for the UI tests: raw objects, the events a cluster would send
about them, and an app that follows them through an `EventFeed` (a real follower that the
test feeds, as the informer would)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable

from kpath.cluster.events import Change
from kpath.cluster.raw import RawCluster, RawObject
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.analysis import Analysis, analyse
from kpath.source import EventFeed, LoadedSource
from kpath.tui.app import KpathApp
from tests import builders as b
from tests.tui.helpers import clock

WEB, API, ADMIN = ObjectKey("shop", "web"), ObjectKey("shop", "api"), ObjectKey("shop", "admin")
PODS = {
    "web": [("web-1", "node-a", "10.1.0.11"), ("web-2", "node-b", "10.1.1.12")],
    "api": [("api-1", "node-b", "10.1.1.21"), ("api-2", "node-c", "10.1.2.22")],
    "admin": [("admin-1", "node-c", "10.1.2.31")],
}
NODE_PORTS = {"web": 30080, "api": 30081, "admin": 30083}


def pod(service: str, n: int, ready: bool = True) -> RawObject:
    name, node, ip = PODS[service][n]
    return b.pod(name, node, ip, {"app": service}, ready=ready)


def endpoint_slice(service: str, unready: frozenset[str] = frozenset()) -> RawObject:
    endpoints = [
        b.endpoint(ip, node, name, ready=name not in unready) for name, node, ip in PODS[service]
    ]
    return b.endpointslice(service, endpoints)


def objects() -> list[RawObject]:
    out: list[RawObject] = [b.node("node-a", "z1"), b.node("node-b", "z1"), b.node("node-c", "z2")]
    for service, pods in PODS.items():
        out += [pod(service, n) for n in range(len(pods))]
        out.append(
            b.service(
                service,
                "NodePort",
                selector={"app": service},
                ports=[
                    {
                        "port": 80,
                        "targetPort": 8080,
                        "nodePort": NODE_PORTS[service],
                        "protocol": "TCP",
                    }
                ],
            )
        )
        out.append(endpoint_slice(service))
    return out


def raw_cluster() -> RawCluster:
    raw = RawCluster(origin="test lab")
    for kind in b.SLICE_KINDS:
        raw.saw(kind)
    for obj in objects():
        raw.add(obj["kind"], copy.deepcopy(obj))
    return raw


def build(raw: RawCluster) -> Analysis:
    return analyse(build_snapshot(raw))


def unready(service: str, n: int) -> list[Change]:
    """Pod ``n`` of ``service`` goes unready: the pod, then its EndpointSlice, as watched."""
    name = PODS[service][n][0]
    return [
        Change("Pod", "MODIFIED", pod(service, n, ready=False)),
        Change("EndpointSlice", "MODIFIED", endpoint_slice(service, frozenset({name}))),
    ]


class Followed:
    """An app following `raw_cluster` through an `EventFeed`; counts its loads."""

    def __init__(self) -> None:
        self.feed = EventFeed()
        self.loads = 0

        def read() -> RawCluster:
            self.loads += 1
            return raw_cluster()

        self.source = LoadedSource.following(read, build, self.feed.follow, origin="test lab")
        self.app = KpathApp(self.source, clock=clock)

    async def send(self, events: list[Change]) -> None:
        """Hand events over from a thread, as the informer does."""
        await asyncio.to_thread(self.feed.send, events)


async def until(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if check():
            return True
        await asyncio.sleep(0.02)
    return check()
