"""One request through a Gateway listener carrying 10,000 HTTPRoutes: `gateway_answers`.

    python benchmarks/bench_gateway_resolve.py [--routes 10000] [--requests 1000] [--seed 1]

Builds the routes as records (no parsing), runs `attach` once (timed), then asks REQUESTS
requests, mixing hits and misses, and prints the median and p95 per request beside the
goal (under 10 ms once attached). Three shapes of the same number of routes on one
listener:

- ``hostnames``: 2,500 hostnames with four routes each, 100 wildcard routes and a few
  catch-alls; every route has Exact, PathPrefix, header and method rules (a shared
  ingress gateway of many teams);
- ``paths``: no hostnames; each route owns one path prefix (one host, many teams);
- ``headers``: no hostnames, every route on ``/`` with one header match (the worst case:
  the index cannot narrow by host or path, so a request scans every match in order).

Exit status 0 when every shape meets the goal, 1 when one misses it.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._goal import emit, result
from kpath.cluster.gatewayapi import (
    AllowedRoutes,
    BackendRef,
    Gateway,
    GatewayAddress,
    HeaderMatch,
    Listener,
    ParentRef,
    PathMatch,
    Route,
    RouteMatch,
    RouteRule,
)
from kpath.cluster.gatewaykinds import GROUP, GatewayObjects
from kpath.cluster.raw import RawCluster
from kpath.cluster.records import Namespace
from kpath.cluster.snapshot import Snapshot, build_snapshot
from kpath.routing.gateway.attach import attach
from kpath.routing.gateway.resolve import gateway_answers
from kpath.routing.requests import Request

GOAL_MS = 10.0
NS = "apps"
SERVICES = 500


def _services() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(SERVICES):
        name = f"svc-{i}"
        out.append(
            {
                "kind": "Service",
                "metadata": {"name": name, "namespace": NS},
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": f"10.96.{i // 250}.{i % 250}",
                    "selector": {"app": name},
                    "ports": [{"port": 8080, "targetPort": 3000, "protocol": "TCP"}],
                },
            }
        )
        out.append(
            {
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{name}-a",
                    "namespace": NS,
                    "labels": {"kubernetes.io/service-name": name},
                },
                "addressType": "IPv4",
                "ports": [{"name": "", "port": 3000, "protocol": "TCP"}],
                "endpoints": [
                    {
                        "addresses": [f"10.{1 + i // 250}.{i % 250}.{j + 1}"],
                        "conditions": {"ready": True},
                        "nodeName": "n1",
                    }
                    for j in range(3)
                ],
            }
        )
    return out


def _match(
    path: PathMatch, headers: tuple[HeaderMatch, ...] = (), method: str | None = None
) -> RouteMatch:
    return RouteMatch(path, headers, (), method, None, None, None)


def _backend(i: int) -> tuple[BackendRef, ...]:
    return (BackendRef("", "Service", None, f"svc-{i % SERVICES}", 8080, 1),)


def _route(i: int, hostnames: tuple[str, ...], rules: list[RouteRule]) -> Route:
    created = f"2026-01-{1 + i % 28:02d}T00:00:{i % 60:02d}Z"
    return Route(
        "HTTPRoute",
        NS,
        f"route-{i:05d}",
        (ParentRef(GROUP, "Gateway", NS, "gw", None, None),),
        hostnames,
        tuple(rules),
        (),
        created,
        1,
    )


def _team_rules(i: int, base: str) -> list[RouteRule]:
    b = _backend(i)
    return [
        RouteRule(None, (_match(PathMatch("Exact", f"{base}/health")),), (), b),
        RouteRule(None, (_match(PathMatch("PathPrefix", f"{base}/api"), method="POST"),), (), b),
        RouteRule(
            None,
            (
                _match(
                    PathMatch("PathPrefix", f"{base}/api"),
                    (HeaderMatch("Exact", "x-canary", "true"),),
                ),
            ),
            (),
            b,
        ),
        RouteRule(None, (_match(PathMatch("PathPrefix", base or "/")),), (), b),
    ]


def routes_for(shape: str, n: int) -> list[Route]:
    if shape == "hostnames":
        hosts = n // 4
        out = [
            _route(i, (f"app-{i % hosts}.example.com",), _team_rules(i, f"/p{i // hosts}"))
            for i in range(n - 110)
        ]
        out += [
            _route(n - 110 + i, (f"*.team-{i}.example.com",), _team_rules(i, ""))
            for i in range(100)
        ]
        out += [_route(n - 10 + i, (), _team_rules(i, f"/fallback-{i}")) for i in range(10)]
        return out
    if shape == "paths":
        return [_route(i, (), _team_rules(i, f"/team-{i}")) for i in range(n)]
    if shape == "headers":
        return [
            _route(
                i,
                (),
                [
                    RouteRule(
                        None,
                        (
                            _match(
                                PathMatch("PathPrefix", "/"),
                                (HeaderMatch("Exact", "x-tenant", str(i)),),
                            ),
                        ),
                        (),
                        _backend(i),
                    )
                ],
            )
            for i in range(n)
        ]
    raise ValueError(shape)


def requests_for(shape: str, n: int, count: int, rnd: random.Random) -> list[Request]:
    out = []
    for _ in range(count):
        i = rnd.randrange(n)
        hit = rnd.random() < 0.8
        if shape == "hostnames":
            host = f"app-{i % (n // 4)}.example.com" if hit else f"x.team-{i % 100}.example.com"
            path = rnd.choice(["/p1/api/cart", "/p2/health", "/p3", "/nothing/here"])
            headers: tuple[tuple[str, str], ...] = (("X-Canary", "true"),) if hit else ()
            out.append(Request("http", host, 80, path, (), rnd.choice(["GET", "POST"]), headers))
        elif shape == "paths":
            path = f"/team-{i}/api/items/42" if hit else f"/unknown-{i}/x"
            out.append(Request("http", "shop.example.com", 80, path, (), "GET", ()))
        else:
            tenant = str(i) if hit else "nobody"
            out.append(
                Request("http", "shop.example.com", 80, "/x", (), "GET", (("X-Tenant", tenant),))
            )
    return out


def snapshot_with(routes: list[Route], base: Snapshot) -> Snapshot:
    listener = Listener("http", None, 80, "HTTP", None, (), AllowedRoutes("Same", None, ()))
    gw = Gateway(
        NS,
        "gw",
        "bench",
        (listener,),
        (),
        (GatewayAddress("IPAddress", "192.0.2.1"),),
        (),
        (),
        None,
        None,
        {},
        {},
        {},
        "2026-01-01T00:00:00Z",
        1,
    )
    objects = GatewayObjects({}, {gw.key: gw}, (), tuple(routes), (), (), {})
    return dataclasses.replace(
        base, gateways=objects, namespaces={NS: Namespace(NS, {"kubernetes.io/metadata.name": NS})}
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="end with the results as a JSON line")
    args = parser.parse_args()
    raw = RawCluster(origin="bench")
    for kind in ("Service", "EndpointSlice"):
        raw.saw(kind)
    for o in _services():
        raw.add(str(o["kind"]), o)
    base = build_snapshot(raw)
    ok = True
    results = []
    print(
        f"{args.routes} HTTPRoutes on one listener, {args.requests} requests; "
        f"goal: under {GOAL_MS:.0f} ms per request once attached"
    )
    for shape in ("hostnames", "paths", "headers"):
        snap = snapshot_with(routes_for(shape, args.routes), base)
        started = time.perf_counter()
        table = attach(snap)
        attach_s = time.perf_counter() - started
        reqs = requests_for(shape, args.routes, args.requests, random.Random(args.seed))
        times, forwarded = [], 0
        for req in reqs:
            t0 = time.perf_counter()
            answers = gateway_answers(snap, req, table=table)
            times.append(time.perf_counter() - t0)
            forwarded += answers[0].outcome == "forward"
        times.sort()
        median = statistics.median(times) * 1000
        p95 = times[int(len(times) * 0.95) - 1] * 1000
        met = median < GOAL_MS and p95 < GOAL_MS
        ok &= met
        print(
            f"  {shape:<10} attach {attach_s:6.2f} s   median {median:7.3f} ms   "
            f"p95 {p95:7.3f} ms   ({forwarded} forwarded)   "
            f"{'met' if met else 'MISSED'} (goal < {GOAL_MS:.0f} ms)"
        )
        results.append(
            result(
                f"Gateway request, {args.routes:,} routes by {shape}: p95 < {GOAL_MS:g} ms",
                p95,
                "ms",
                GOAL_MS,
                note=f"median {median:.3f} ms; attach {attach_s:.2f} s",
            )
        )
    if args.json:
        emit(results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
