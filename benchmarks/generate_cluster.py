"""Write a realistic `kubectl get nodes,pods,services,endpointslices,ingresses,ingressclasses
-A -o json` dump of a cluster at Kubernetes' published scalability limits.

    python benchmarks/generate_cluster.py --out FILE [--nodes 5000 --pods 150000
        --services 10000 --external 1000 --ingresses 200 --zones 5 --seed 1 --policies 0]

The cluster: nodes over a few zones (three control-plane nodes, a few NotReady and cordoned
ones), a kube-proxy pod on every node (hostNetwork: its IP is the node's), CoreDNS, an
ingress-nginx controller behind a LoadBalancer, and Deployments of 1–50 replicas over ~100
namespaces. Services select them (some select nothing, some use named or unresolvable
targetPorts, some are headless or ExternalName); `--external` of them are NodePort or
LoadBalancer (a fifth with externalTrafficPolicy: Local). EndpointSlices hold at most 100
endpoints, a few not ready or terminating, some with zone hints. Ingresses point at existing
services (and a few missing ones). `--services` and `--external` count the system services.
`--policies N` adds N NetworkPolicies (and the Namespaces, with labels, their selectors read):
a default deny in some namespaces, allows from the ingress controller's namespace, from office
CIDRs (with excepts), from the same team's namespaces, and egress rules; drawn from a random
stream of their own, so the rest of the file is the same as without them.

Addresses: nodes and pods in 10.0.0.0/8, service IPs in 10.96.0.0/12, load balancer
addresses from the documentation ranges (RFC 5737). The file is only read, never contacted.

The output is deterministic for a seed and streamed item by item: pods are rendered from one
template per workload (see `_objects.template`), so memory stays small and a full-scale
file (~700 MB) takes well under the three-minute budget.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _objects as obj
from benchmarks._objects import (
    NOT_READY,
    PENDING,
    READY,
    TERMINATING,
    NodeSpec,
    PortSpec,
    ServiceSpec,
    Workload,
)

SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generated names
NODE_PORT_RANGE = range(30000, 32768)
#: RFC 5737 documentation ranges: load balancer addresses that route nowhere.
LB_RANGES = ("192.0.2.", "198.51.100.", "203.0.113.")
#: kubernetes, kube-dns, ingress-nginx-controller, ingress-nginx-controller-admission
SYSTEM_SERVICES = 4
SYSTEM_EXTERNAL = 1  # the ingress controller's LoadBalancer
MAX_SLICE_ENDPOINTS = 100
EPOCH = 1_780_272_000  # 2026-06-01T00:00:00Z: "now" for every generated timestamp

_TEAMS = (
    "payments",
    "checkout",
    "search",
    "catalog",
    "identity",
    "billing",
    "ledger",
    "shipping",
    "pricing",
    "reviews",
    "media",
    "notify",
    "fraud",
    "growth",
    "ads",
    "analytics",
    "ml-serving",
    "platform",
    "gateway",
    "support",
    "inventory",
    "orders",
    "accounts",
    "messaging",
    "reporting",
)
_ENVS = ("prod", "staging", "dev", "qa")
_WORDS_A = (
    "api",
    "web",
    "auth",
    "cart",
    "order",
    "user",
    "event",
    "price",
    "stock",
    "feed",
    "image",
    "mail",
    "rank",
    "geo",
    "quote",
    "tax",
    "promo",
    "session",
    "profile",
    "audit",
    "export",
    "import",
    "sync",
    "token",
    "report",
    "index",
    "cache",
    "queue",
    "stream",
    "config",
    "asset",
    "policy",
    "route",
    "score",
    "label",
    "media",
)
_WORDS_B = (
    "server",
    "worker",
    "gateway",
    "service",
    "frontend",
    "backend",
    "processor",
    "consumer",
    "scheduler",
    "proxy",
    "resolver",
    "collector",
    "handler",
    "manager",
    "store",
    "reader",
    "writer",
    "engine",
    "router",
    "validator",
)
_SECOND_SERVICE = ("public", "metrics", "grpc", "internal", "canary", "admin", "headless")
_MAIN_PORTS = (8080, 8080, 8080, 8000, 3000, 9000, 5000, 8443, 80)


@dataclass(frozen=True)
class Scale:
    nodes: int = 5000
    pods: int = 150_000
    services: int = 10_000
    external: int = 1000
    ingresses: int = 200
    zones: int = 5
    seed: int = 1
    policies: int = 0  # NetworkPolicies (and Namespaces) to add


#: One tenth of the full scale, for a quick look.
QUICK = Scale(nodes=500, pods=15_000, services=1000, external=100, ingresses=20)


@dataclass
class Summary:
    """What was written, for the closing report line and for callers."""

    path: Path
    bytes: int = 0
    seconds: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)
    service_types: Counter[str] = field(default_factory=Counter)
    local_policy: int = 0
    endpoints: int = 0
    pod_bytes: int = 0

    def line(self) -> str:
        kinds = ", ".join(f"{k} {n:,}" for k, n in self.kinds.items())
        types = ", ".join(f"{k} {n:,}" for k, n in sorted(self.service_types.items()))
        per_pod = self.pod_bytes / max(1, self.kinds["Pod"]) / 1024
        return (
            f"wrote {self.path}: {self.bytes / 1e6:,.1f} MB in {self.seconds:.1f} s; "
            f"{kinds}; services: {types}, {self.local_policy} with "
            f"externalTrafficPolicy Local; {self.endpoints:,} endpoints; "
            f"{per_pod:.1f} KiB per pod"
        )


class ScaleError(ValueError):
    """The requested counts cannot make a consistent cluster."""


def check(scale: Scale) -> None:
    """Refuse counts that cannot fit together, naming the limit."""
    if scale.nodes < 2:
        raise ScaleError("--nodes must be at least 2")
    if not 1 <= scale.zones <= 26:
        raise ScaleError("--zones must be between 1 and 26")
    system_pods = scale.nodes + 2 + 3  # kube-proxy per node, CoreDNS, ingress controller
    if scale.pods < system_pods + 1:
        raise ScaleError(
            f"--pods must be at least {system_pods + 1} for {scale.nodes} nodes "
            "(a kube-proxy pod per node plus the system pods)"
        )
    if scale.services < SYSTEM_SERVICES + 1:
        raise ScaleError(f"--services must be at least {SYSTEM_SERVICES + 1}")
    if not SYSTEM_EXTERNAL <= scale.external <= scale.services - SYSTEM_SERVICES:
        raise ScaleError(
            f"--external must be between {SYSTEM_EXTERNAL} and {scale.services - SYSTEM_SERVICES}"
        )
    # Every external service takes up to two node ports, Local load balancers one more.
    if scale.external * 2 + scale.external // 2 > len(NODE_PORT_RANGE):
        raise ScaleError(
            f"--external {scale.external} would exhaust the node port range "
            f"({len(NODE_PORT_RANGE)} ports)"
        )
    if scale.ingresses < 0:
        raise ScaleError("--ingresses must not be negative")
    if scale.policies < 0:
        raise ScaleError("--policies must not be negative")


# ------------------------------------------------------------------------------ the plan


@dataclass
class Plan:
    """Everything decided before writing: compact enough to hold for 150,000 pods."""

    nodes: list[NodeSpec]
    workloads: list[Workload]
    services: list[ServiceSpec]
    ingress_ip: str | None
    namespaces: list[str]


class Planner:
    """Draws the cluster from one seeded random stream (same seed, same file)."""

    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self.rng = random.Random(scale.seed)
        self._rv = 4_000_000

    # --- small helpers -----------------------------------------------------------------

    def rv(self) -> int:
        self._rv += self.rng.randint(1, 40)
        return self._rv

    def uid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def suffix(self, n: int) -> str:
        return "".join(self.rng.choices(SUFFIX_ALPHABET, k=n))

    def stamp(self, min_age_days: float, max_age_days: float) -> int:
        return EPOCH - int(self.rng.uniform(min_age_days, max_age_days) * 86400)

    # --- the cluster -------------------------------------------------------------------

    def plan(self) -> Plan:
        nodes = self._nodes()
        namespaces = self._namespaces()
        workloads = self._workloads(namespaces)
        self._place(workloads, nodes)
        services, ingress_ip = self._services(workloads)
        return Plan(nodes, workloads, services, ingress_ip, namespaces)

    def _nodes(self) -> list[NodeSpec]:
        s = self.scale
        region = "region-1"
        zones = [f"{region}{chr(ord('a') + i)}" for i in range(s.zones)]
        control = 3 if s.nodes >= 10 else 1
        workers = s.nodes - control
        not_ready = set(self.rng.sample(range(control, s.nodes), max(1, workers // 300)))
        cordoned = set(self.rng.sample(range(control, s.nodes), max(1, workers // 200)))
        block = self._pod_block()
        nodes = []
        for i in range(s.nodes):
            ip_int = (10 << 24) + 10 + i  # 10.0.0.10 upwards
            ip = _ip(ip_int)
            cidr_base = (10 << 24) + (64 << 16) + i * block
            created = self.stamp(200, 400)
            nodes.append(
                NodeSpec(
                    name=f"ip-{ip.replace('.', '-')}.{region}.compute.internal",
                    zone=zones[i % len(zones)],
                    region=region,
                    ip=ip,
                    pod_cidr=f"{_ip(cidr_base)}/{32 - int(math.log2(block))}",
                    uid=self.uid(),
                    created=_iso(created),
                    heartbeat=_iso(
                        EPOCH - self.rng.randint(5, 40)
                        if i not in not_ready
                        else EPOCH - self.rng.randint(600, 3600)
                    ),
                    resource_version=self.rv(),
                    ready=i not in not_ready,
                    unschedulable=i in cordoned and i not in not_ready,
                    control_plane=i < control,
                    instance_type=("m6i.2xlarge", "m6i.2xlarge", "c6i.2xlarge", "r6i.2xlarge")[
                        i % 4
                    ],
                )
            )
        return nodes

    def _pod_block(self) -> int:
        """Addresses per node's pod CIDR: room for several times the average load."""
        s = self.scale
        mean = s.pods / max(1, s.nodes - 3)
        return max(256, 1 << math.ceil(math.log2(mean * 4 + 16)))

    def _namespaces(self) -> list[str]:
        app_services = self.scale.services - SYSTEM_SERVICES
        count = max(1, min(len(_TEAMS) * len(_ENVS), app_services // 25))
        names = [f"{t}-{e}" for e in _ENVS for t in _TEAMS]
        return sorted(names[:count])

    def _sizes(self, count: int, total: int) -> list[int]:
        """`count` replica counts of 1–50 (skewed: many small, a few large) summing to `total`."""
        top = max(50, math.ceil(total / count))
        mu = math.log(total / count) - 0.5  # lognormal with sigma 1 has mean e^(mu + 1/2)
        sizes = [min(top, max(1, round(self.rng.lognormvariate(mu, 1.0)))) for _ in range(count)]
        diff = total - sum(sizes)
        while diff:
            i = self.rng.randrange(count)
            if diff > 0 and sizes[i] < top:
                step = min(diff, top - sizes[i], 5)
                sizes[i] += step
                diff -= step
            elif diff < 0 and sizes[i] > 1:
                step = min(-diff, sizes[i] - 1, 5)
                sizes[i] -= step
                diff += step
        return sizes

    def _workloads(self, namespaces: list[str]) -> list[Workload]:
        s = self.scale
        rs = self._replicaset
        system = [
            Workload(
                "kube-system",
                "kube-proxy",
                "DaemonSet",
                "kube-proxy",
                self.uid(),
                {
                    "controller-revision-hash": "6d4b7c5f8d",
                    "k8s-app": "kube-proxy",
                    "pod-template-generation": "3",
                },
                "registry.example.com/kube-proxy:v1.31.2",
                [("metrics", 10249)],
                host_network=True,
                service_account="kube-proxy",
                replicas=s.nodes,
            ),
            rs(
                "kube-system",
                "coredns",
                {"k8s-app": "kube-dns"},
                "registry.example.com/coredns/coredns:v1.11.3",
                [("dns-tcp", 53), ("metrics", 9153)],
                2,
                service_account="coredns",
            ),
            rs(
                "ingress-nginx",
                "ingress-nginx-controller",
                {
                    "app.kubernetes.io/component": "controller",
                    "app.kubernetes.io/instance": "ingress-nginx",
                    "app.kubernetes.io/name": "ingress-nginx",
                },
                "registry.example.com/ingress-nginx/controller:v1.15.1",
                [("http", 80), ("https", 443), ("webhook", 8443)],
                3,
                service_account="ingress-nginx",
            ),
        ]
        app_pods = s.pods - sum(w.replicas for w in system)
        count = min(app_pods, max(1, round((s.services - SYSTEM_SERVICES) * 0.95)))
        taken: set[tuple[str, str]] = set()
        apps = []
        for replicas in self._sizes(count, app_pods):
            ns = self.rng.choice(namespaces)
            base = name = f"{self.rng.choice(_WORDS_A)}-{self.rng.choice(_WORDS_B)}"
            n = 2
            while (ns, name) in taken:
                name = f"{base}-v{n}"
                n += 1
            taken.add((ns, name))
            main = self.rng.choice(("http", "http", "http", "grpc"))
            ports = [(main, self.rng.choice(_MAIN_PORTS))]
            if self.rng.random() < 0.4:
                ports.append(("metrics", 9090))
            team = ns.rsplit("-", 1)[0]
            labels = {
                "app": name,
                "app.kubernetes.io/instance": f"{name}-{ns}",
                "app.kubernetes.io/name": name,
                "app.kubernetes.io/version": f"1.{self.rng.randint(0, 30)}.0",
            }
            w = rs(
                ns,
                name,
                labels,
                f"registry.example.com/{team}/{name}:{labels['app.kubernetes.io/version']}",
                ports,
                replicas,
                sidecar=self.rng.random() < 0.1,
            )
            if self.rng.random() < 0.3:
                w.annotations = {
                    "prometheus.io/port": "9090",
                    "prometheus.io/scrape": "true",
                    "kubectl.kubernetes.io/restartedAt": _iso(self.stamp(1, 30)),
                }
            apps.append(w)
        return system + apps

    def _replicaset(
        self,
        ns: str,
        name: str,
        labels: dict[str, str],
        image: str,
        ports: list[tuple[str, int]],
        replicas: int,
        sidecar: bool = False,
        service_account: str | None = None,
    ) -> Workload:
        pod_hash = self.suffix(10)
        labels = {**labels, "pod-template-hash": pod_hash}
        return Workload(
            ns,
            name,
            "ReplicaSet",
            f"{name}-{pod_hash}",
            self.uid(),
            labels,
            image,
            ports,
            sidecar=sidecar,
            service_account=service_account or name,
            replicas=replicas,
        )

    def _place(self, workloads: list[Workload], nodes: list[NodeSpec]) -> None:
        """Schedule every pod: a node, an address from its pod CIDR, a state."""
        block = self._pod_block()
        used = [2] * len(nodes)  # .0 network, .1 gateway
        workers = [i for i, n in enumerate(nodes) if not n.control_plane]
        rng = self.rng
        for w in workloads:
            names: set[str] = set()
            for k in range(w.replicas):
                name = f"{w.owner_name}-{self.suffix(5)}"
                while name in names:
                    name = f"{w.owner_name}-{self.suffix(5)}"
                names.add(name)
                if w.host_network:
                    w.pods.append((name, k, nodes[k].ip, READY, self.uid()))
                    continue
                roll = rng.random()
                state = (
                    PENDING
                    if roll < 0.002
                    else TERMINATING
                    if roll < 0.007
                    else NOT_READY
                    if roll < 0.017
                    else READY
                )
                if state == PENDING:
                    w.pods.append((name, -1, "", state, self.uid()))
                    continue
                node = rng.choice(workers)
                if used[node] >= block - 1:
                    raise ScaleError("too many pods for one node's pod CIDR; add nodes")
                ip = _ip((10 << 24) + (64 << 16) + node * block + used[node])
                used[node] += 1
                w.pods.append((name, node, ip, state, self.uid()))
            w.pods.sort()

    def _services(self, workloads: list[Workload]) -> tuple[list[ServiceSpec], str | None]:
        s = self.scale
        rng = self.rng
        apps = workloads[3:]
        app_count = s.services - SYSTEM_SERVICES
        cluster_ips = iter(rng.sample(range(11, 1 << 20), s.services))
        node_ports = iter(rng.sample(NODE_PORT_RANGE, len(NODE_PORT_RANGE)))
        lb_ips = iter([p + str(i) for p in LB_RANGES for i in range(1, 255)])

        def cluster_ip() -> str:
            return _ip((10 << 24) + (96 << 16) + next(cluster_ips))

        services: list[ServiceSpec] = []
        names: set[tuple[str, str]] = set()
        # Which app services are special: drawn up front so counts are exact.
        indexes = list(range(app_count))
        rng.shuffle(indexes)
        n_extname = app_count // 200
        n_headless = app_count // 100
        n_nothing = max(1, app_count * 3 // 200) if app_count > 2 else 0
        extname = set(indexes[:n_extname])
        headless = set(indexes[n_extname : n_extname + n_headless])
        rest = indexes[n_extname + n_headless :]
        nothing = set(rest[:n_nothing])
        external = set(rest[n_nothing : n_nothing + s.external - SYSTEM_EXTERNAL])
        if len(external) < s.external - SYSTEM_EXTERNAL:
            raise ScaleError("--external is larger than the services that can be exposed")

        for i in range(app_count):
            w_index = 3 + (i if i < len(apps) else rng.randrange(len(apps)))
            w = workloads[w_index]
            name = w.name
            while (w.namespace, name) in names:
                name = f"{w.name}-{rng.choice(_SECOND_SERVICE)}-{rng.randint(2, 99)}"
            names.add((w.namespace, name))
            spec = ServiceSpec(
                namespace=w.namespace,
                name=name,
                type="ClusterIP",
                uid=self.uid(),
                created=_iso(self.stamp(30, 300)),
                resource_version=self.rv(),
                workload=w_index,
                selector={
                    "app": w.labels["app"],
                    "app.kubernetes.io/instance": w.labels["app.kubernetes.io/instance"],
                },
                ports=self._ports(w),
                cluster_ip=cluster_ip(),
                labels={
                    "app.kubernetes.io/managed-by": "Helm",
                    "app.kubernetes.io/name": name,
                    "helm.sh/chart": f"{w.name}-0.{rng.randint(1, 40)}.0",
                },
                annotations={
                    "meta.helm.sh/release-name": w.name,
                    "meta.helm.sh/release-namespace": w.namespace,
                },
            )
            if i in extname:
                spec.type, spec.cluster_ip, spec.selector, spec.workload = (
                    "ExternalName",
                    None,
                    None,
                    None,
                )
                spec.external_name = f"{name}.{w.namespace}.db.example.com"
                spec.ports = []
            elif i in headless:
                spec.cluster_ip = "None"
            elif i in nothing:  # a stale selector: a label value no pod carries
                assert spec.selector is not None
                spec.selector["app"] = f"{w.labels['app']}-legacy"
                spec.workload = None
            if i in external:
                self._expose(spec, rng.random() < 0.5, rng.random() < 0.2, node_ports, lb_ips)
            elif spec.type == "ClusterIP" and spec.cluster_ip != "None" and rng.random() < 0.05:
                spec.topology_hints = True
                spec.annotations["service.kubernetes.io/topology-mode"] = "Auto"
            services.append(spec)

        system, ingress_ip = self._system_services(workloads, cluster_ip, node_ports, lb_ips)
        services.extend(system)
        services.sort(key=lambda x: (x.namespace, x.name))
        return services, ingress_ip

    def _ports(self, w: Workload) -> list[PortSpec]:
        rng = self.rng
        main_name, main_port = w.ports[0]
        roll = rng.random()
        if roll < 0.005:  # a named targetPort that no container exposes
            target: int | str = "web"
            resolved: int | None = None
        elif roll < 0.35:
            target, resolved = main_name, main_port
        else:
            target, resolved = main_port, main_port
        multi = rng.random() < 0.2
        name = main_name if multi or rng.random() < 0.7 else None
        ports = [PortSpec(name, 80 if main_name == "http" else 9000, target, None, resolved)]
        if multi:
            has_metrics = any(n == "metrics" for n, _ in w.ports)
            ports.append(PortSpec("metrics", 9090, "metrics" if has_metrics else 9090, None, 9090))
        return ports

    def _expose(
        self,
        spec: ServiceSpec,
        load_balancer: bool,
        local: bool,
        node_ports: Iterator[int],
        lb_ips: Iterator[str],
    ) -> None:
        spec.type = "LoadBalancer" if load_balancer else "NodePort"
        spec.ports = [
            PortSpec(p.name, p.port, p.target, next(node_ports), p.resolved) for p in spec.ports
        ]
        spec.external_policy = "Local" if local else "Cluster"
        if not load_balancer:
            return
        if local:
            spec.health_check_port = next(node_ports)
        roll = self.rng.random()
        if roll < 0.03:
            return  # <pending>: no address yet
        ip = next(lb_ips, None)
        if ip is None or roll < 0.13:
            host = f"{spec.name}-{self.rng.getrandbits(48):012x}.elb.example.com"
            spec.lb_ingress = [{"hostname": host}]
        else:
            spec.lb_ingress = [{"ip": ip, "ipMode": "VIP"}]

    def _system_services(
        self,
        workloads: list[Workload],
        cluster_ip: Any,
        node_ports: Iterator[int],
        lb_ips: Iterator[str],
    ) -> tuple[list[ServiceSpec], str | None]:
        created = _iso(self.stamp(300, 400))

        def svc(
            ns: str,
            name: str,
            w: int | None,
            ports: list[PortSpec],
            ip: str,
            labels: dict[str, str],
        ) -> ServiceSpec:
            selector = None
            if w is not None:
                selector = {
                    k: v for k, v in workloads[w].labels.items() if k != "pod-template-hash"
                }
            return ServiceSpec(
                ns,
                name,
                "ClusterIP",
                self.uid(),
                created,
                self.rv(),
                w,
                selector,
                ports,
                ip,
                labels=labels,
            )

        kubernetes = svc(
            "default",
            "kubernetes",
            None,
            [PortSpec("https", 443, 6443, None, 6443)],
            "10.96.0.1",
            {"component": "apiserver", "provider": "kubernetes"},
        )
        dns = svc(
            "kube-system",
            "kube-dns",
            1,
            [PortSpec("dns-tcp", 53, 53, None, 53), PortSpec("metrics", 9153, 9153, None, 9153)],
            "10.96.0.10",
            {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"},
        )
        nginx_labels = {
            "app.kubernetes.io/component": "controller",
            "app.kubernetes.io/instance": "ingress-nginx",
            "app.kubernetes.io/name": "ingress-nginx",
        }
        controller = svc(
            "ingress-nginx",
            "ingress-nginx-controller",
            2,
            [PortSpec("http", 80, "http", None, 80), PortSpec("https", 443, "https", None, 443)],
            cluster_ip(),
            nginx_labels,
        )
        self._expose(controller, True, True, node_ports, lb_ips)
        if controller.lb_ingress is None:  # the ingress controller always has its address
            controller.lb_ingress = [{"ip": next(lb_ips), "ipMode": "VIP"}]
        admission = svc(
            "ingress-nginx",
            "ingress-nginx-controller-admission",
            2,
            [PortSpec("https-webhook", 443, "webhook", None, 8443)],
            cluster_ip(),
            nginx_labels,
        )
        ingress_ip = (controller.lb_ingress or [{}])[0].get("ip")
        return [kubernetes, dns, controller, admission], ingress_ip


# ------------------------------------------------------------------------------- writing


class _ListWriter:
    """Streams the items of one kubectl `List`, as kubectl prints it."""

    def __init__(self, out: IO[str], summary: Summary, indent: bool) -> None:
        self.out = out
        self.summary = summary
        self.indent = indent
        self.first = True
        self.comma = ",\n" if indent else ","
        out.write(
            '{\n    "apiVersion": "v1",\n    "items": [\n'
            if indent
            else '{"apiVersion":"v1","items":['
        )

    def item(self, kind: str, text: str) -> None:
        if not self.first:
            self.out.write(self.comma)
        self.first = False
        self.out.write(text)
        self.summary.kinds[kind] += 1

    def render(self, kind: str, item: dict[str, Any]) -> None:
        self.item(kind, obj.render(item, self.indent))

    def close(self) -> None:
        self.out.write(
            '\n    ],\n    "kind": "List",\n    "metadata": {\n'
            '        "resourceVersion": ""\n    }\n}\n'
            if self.indent
            else '],"kind":"List","metadata":{"resourceVersion":""}}\n'
        )


def generate(out: Path, scale: Scale, indent: bool = False) -> Summary:
    """Plan the cluster and write it to `out`. Raises ScaleError for counts that cannot fit.

    Items are compact JSON as the API server sends them; `indent` writes them as
    `kubectl get -o json` prints them instead (4-space indent: about 3 times the bytes).
    """
    check(scale)
    started = time.perf_counter()
    planner = Planner(scale)
    plan = planner.plan()
    summary = Summary(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", buffering=1 << 20) as f:
        writer = _ListWriter(f, summary, indent)
        for n in sorted(plan.nodes, key=lambda n: n.name):
            writer.render("Node", obj.node(n))
        _write_pods(writer, planner, plan)
        for s in plan.services:
            writer.render("Service", obj.service(s))
            summary.service_types[s.type] += 1
            summary.local_policy += s.external_policy == "Local"
        _write_slices(writer, planner, plan)
        _write_ingresses(writer, planner, plan)
        if scale.policies:
            _write_policies(writer, plan, scale)
        classes = (
            ("nginx", "k8s.io/ingress-nginx", True),
            ("internal", "example.com/internal-ingress-controller", False),
        )
        for name, controller, default in classes:
            writer.render(
                "IngressClass",
                obj.ingress_class(
                    name, controller, planner.uid(), _iso(planner.stamp(300, 400)), default
                ),
            )
        writer.close()
        summary.bytes = f.tell()
    summary.seconds = time.perf_counter() - started
    return summary


def _write_pods(writer: _ListWriter, planner: Planner, plan: Plan) -> None:
    rng = planner.rng
    nodes = plan.nodes
    total_nodes = str(len(nodes))
    before = writer.out.tell()
    for w in sorted(plan.workloads, key=lambda w: (w.namespace, w.name)):
        templates: dict[str, str] = {}
        for name, node, ip, state, uid in w.pods:
            tmpl = templates.get(state)
            if tmpl is None:
                tmpl = templates[state] = obj.template(obj.pod(w, state), writer.indent)
            t0 = planner.stamp(1, 90)
            cid = f"{rng.getrandbits(256):064x}"
            host = nodes[node].ip if node >= 0 else ""
            writer.item(
                "Pod",
                tmpl
                % {
                    "name": name,
                    "uid": uid,
                    "rv": planner.rv(),
                    "t0": _iso(t0),
                    "t1": _iso(t0 + rng.randint(3, 40)),
                    "node": nodes[node].name if node >= 0 else "",
                    "host": host,
                    "ip": ip,
                    "vol": planner.suffix(5),
                    "cid": cid,
                    "cid2": cid[::-1],
                    "restarts": 0 if state == READY else rng.randint(1, 9),
                    "nodes": total_nodes,
                },
            )
    writer.summary.pod_bytes = writer.out.tell() - before


def _write_slices(writer: _ListWriter, planner: Planner, plan: Plan) -> None:
    nodes = plan.nodes
    for s in plan.services:
        if s.type == "ExternalName":
            continue
        created = _iso(planner.stamp(1, 30))
        if s.name == "kubernetes" and s.namespace == "default":
            writer.render("EndpointSlice", _apiserver_slice(s, plan, planner))
            continue
        w = plan.workloads[s.workload] if s.workload is not None else None
        pods = [p for p in w.pods if p[1] >= 0] if w else []
        chunks = [
            pods[i : i + MAX_SLICE_ENDPOINTS] for i in range(0, len(pods), MAX_SLICE_ENDPOINTS)
        ] or [None]
        slices = []
        for chunk in chunks:
            endpoints = None
            if chunk is not None and w is not None:
                endpoints = [
                    obj.endpoint(
                        ip,
                        name,
                        w.namespace,
                        uid,
                        nodes[node].name,
                        nodes[node].zone,
                        state,
                        uid[0] in "01234567",
                        s.topology_hints,
                    )
                    for name, node, ip, state, uid in chunk
                ]
                writer.summary.endpoints += len(endpoints)
            slices.append(
                obj.endpoint_slice(
                    s,
                    f"{s.name}-{planner.suffix(5)}",
                    planner.uid(),
                    created,
                    planner.rv(),
                    endpoints,
                )
            )
        for item in sorted(slices, key=lambda x: x["metadata"]["name"]):
            writer.render("EndpointSlice", item)


def _apiserver_slice(s: ServiceSpec, plan: Plan, planner: Planner) -> dict[str, Any]:
    """The `kubernetes` service's slice: control-plane node addresses, no pods."""
    item = obj.endpoint_slice(
        s,
        "kubernetes",
        planner.uid(),
        s.created,
        planner.rv(),
        [
            {"addresses": [n.ip], "conditions": {"ready": True}}
            for n in plan.nodes
            if n.control_plane
        ],
    )
    item["metadata"]["labels"] = {"kubernetes.io/service-name": "kubernetes"}
    del item["metadata"]["ownerReferences"], item["metadata"]["generateName"]
    item["ports"] = [{"name": "https", "port": 6443, "protocol": "TCP"}]
    return item


def _write_ingresses(writer: _ListWriter, planner: Planner, plan: Plan) -> None:
    rng = planner.rng
    by_ns: dict[str, list[ServiceSpec]] = defaultdict(list)
    for s in plan.services:
        if s.type != "ExternalName" and s.ports and s.namespace in plan.namespaces:
            by_ns[s.namespace].append(s)
    namespaces = sorted(by_ns)
    if not namespaces:
        return
    items = []
    taken: set[tuple[str, str]] = set()
    for _ in range(planner.scale.ingresses):
        ns = rng.choice(namespaces)
        name = f"{rng.choice(_WORDS_A)}-{rng.choice(('web', 'api', 'public', 'edge'))}"
        while (ns, name) in taken:
            name = f"{name}-{rng.randint(2, 999)}"
        taken.add((ns, name))
        hosts = []
        rules = []
        for _ in range(rng.randint(1, 4)):
            host = f"{rng.choice(_WORDS_A)}-{rng.randint(1, 999)}.{ns}.example.com"
            hosts.append(host)
            paths = []
            for k in range(rng.randint(1, 3)):
                target = rng.choice(by_ns[ns])
                port: dict[str, Any] = {"number": target.ports[0].port}
                if target.ports[0].name and rng.random() < 0.3:
                    port = {"name": target.ports[0].name}
                backend = target.name
                if rng.random() < 0.03:
                    backend = f"{target.name}-old"  # a service that no longer exists
                path_type = rng.choices(("Prefix", "Exact", "ImplementationSpecific"), (7, 2, 1))[0]
                paths.append(
                    {
                        "backend": {"service": {"name": backend, "port": port}},
                        "path": "/" if k == 0 else f"/{rng.choice(_WORDS_A)}",
                        "pathType": path_type,
                    }
                )
            rules.append({"host": host, "http": {"paths": paths}})
        internal = rng.random() < 0.1
        lb = None if internal or plan.ingress_ip is None else [{"ip": plan.ingress_ip}]
        annotations = {
            "nginx.ingress.kubernetes.io/proxy-body-size": "8m",
            "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        }
        items.append(
            (
                (ns, name),
                obj.ingress(
                    ns,
                    name,
                    planner.uid(),
                    _iso(planner.stamp(10, 300)),
                    planner.rv(),
                    "internal" if internal else "nginx",
                    rules,
                    hosts if rng.random() < 0.4 else [],
                    lb,
                    annotations,
                ),
            )
        )
    for _, item in sorted(items, key=lambda x: x[0]):
        writer.render("Ingress", item)


# --------------------------------------------------------------------------------- utils


_OFFICES = ("198.51.100.0/24", "203.0.113.0/26", "100.64.12.0/22", "172.20.0.0/16")


def _write_policies(writer: _ListWriter, plan: Plan, scale: Scale) -> None:
    """Namespaces (labelled as `kubernetes.io/metadata.name`, team, env) and NetworkPolicies
    selecting the app workloads; their own random stream keeps the rest unchanged."""
    rng = random.Random(scale.seed * 7919 + scale.policies)
    names = sorted({*plan.namespaces, "kube-system", "ingress-nginx", "default"})
    for ns in names:
        team, _, env = ns.rpartition("-")
        labels = {"kubernetes.io/metadata.name": ns}
        if team and env in _ENVS:
            labels |= {"team": team, "env": env}
        writer.render(
            "Namespace",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}},
        )
    apps = [
        w for w in plan.workloads if w.owner_kind == "ReplicaSet" and w.namespace in plan.namespaces
    ]
    denied: set[str] = set()
    for i in range(scale.policies):
        w = apps[i % len(apps)] if i < len(apps) else rng.choice(apps)
        port = w.ports[0][1]
        select = {"matchLabels": {"app": w.name}}
        kind = rng.random()
        spec: dict[str, Any]
        if kind < 0.1 and w.namespace not in denied:
            denied.add(w.namespace)
            name, spec = "default-deny", {"podSelector": {}, "policyTypes": ["Ingress"]}
        elif kind < 0.4:
            name, spec = (
                f"{w.name}-from-ingress",
                {
                    "podSelector": select,
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {
                                            "kubernetes.io/metadata.name": "ingress-nginx"
                                        }
                                    }
                                }
                            ],
                            "ports": [{"protocol": "TCP", "port": port}],
                        }
                    ],
                },
            )
        elif kind < 0.65:
            cidr = rng.choice(_OFFICES)
            name, spec = (
                f"{w.name}-from-office",
                {
                    "podSelector": select,
                    "ingress": [
                        {
                            "from": [
                                {
                                    "ipBlock": {
                                        "cidr": cidr,
                                        "except": [cidr.rsplit(".", 1)[0] + ".7/32"]
                                        if cidr.endswith("/24")
                                        else [],
                                    }
                                }
                            ],
                            "ports": [{"protocol": "TCP", "port": port}],
                        }
                    ],
                },
            )
        elif kind < 0.9:
            team = w.namespace.rpartition("-")[0]
            name, spec = (
                f"{w.name}-from-team",
                {
                    "podSelector": select,
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {"matchLabels": {"team": team}},
                                    "podSelector": {
                                        "matchExpressions": [{"key": "app", "operator": "Exists"}]
                                    },
                                }
                            ]
                        }
                    ],
                },
            )
        else:
            name, spec = (
                f"{w.name}-egress",
                {
                    "podSelector": select,
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {
                                            "kubernetes.io/metadata.name": "kube-system"
                                        }
                                    },
                                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                                }
                            ],
                            "ports": [
                                {"protocol": "UDP", "port": 53},
                                {"protocol": "TCP", "port": 53},
                            ],
                        },
                        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]},
                    ],
                },
            )
        writer.render(
            "NetworkPolicy",
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"{name}-{i}", "namespace": w.namespace},
                "spec": spec,
            },
        )


def _ip(value: int) -> str:
    return f"{value >> 24 & 255}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse_args(argv: Sequence[str] | None) -> tuple[Path, Scale, bool]:
    d = Scale()
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--out", required=True, type=Path, help="the JSON file to write")
    p.add_argument("--nodes", type=int, default=d.nodes)
    p.add_argument("--pods", type=int, default=d.pods)
    p.add_argument("--services", type=int, default=d.services)
    p.add_argument(
        "--external",
        type=int,
        default=d.external,
        help="NodePort and LoadBalancer services among --services",
    )
    p.add_argument("--ingresses", type=int, default=d.ingresses)
    p.add_argument("--zones", type=int, default=d.zones)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument(
        "--policies",
        type=int,
        default=d.policies,
        help="NetworkPolicies to add (with labelled Namespaces)",
    )
    p.add_argument(
        "--quick", action="store_true", help="one tenth of the full scale (overrides the counts)"
    )
    p.add_argument(
        "--indent",
        action="store_true",
        help="indent as `kubectl get -o json` prints (about 3 times the bytes)",
    )
    a = p.parse_args(argv)
    if a.quick:
        scale = Scale(
            **{**QUICK.__dict__, "seed": a.seed, "zones": a.zones, "policies": a.policies}
        )
    else:
        scale = Scale(
            a.nodes, a.pods, a.services, a.external, a.ingresses, a.zones, a.seed, a.policies
        )
    return a.out, scale, a.indent


def main(argv: Sequence[str] | None = None) -> int:
    out, scale, indent = parse_args(argv)
    try:
        summary = generate(out, scale, indent)
    except ScaleError as exc:
        print(f"generate_cluster: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"generate_cluster: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
