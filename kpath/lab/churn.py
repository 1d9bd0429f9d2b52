"""Changes to a served dump, as a busy cluster makes them: for benchmarks that follow watches.

One `Churn.tick` is what a busy cluster does in a few seconds: one Deployment rolls out (each
of its pods is DELETED and replaced by one with a new name and IP, and the EndpointSlices
that listed the old pods are MODIFIED to list the new ones), one more pod is killed and
replaced, and one worker node goes NotReady (and is Ready again at the next tick). Every
change goes through the store, so it bumps the resourceVersion and reaches every watch.

Workloads are found from the EndpointSlices' targetRefs (pods named ``BASE-HASH-SUFFIX``
whose ``pod-template-hash`` label is HASH): a rollout keeps each pod's node, labels and
spec, as a new ReplicaSet of the same template would. The rewrites are pure functions
(`rolled_pod`, `with_endpoints`, `node_ready`); `Churn` keeps the index and writes.
"""

from __future__ import annotations

import copy
import ipaddress
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)

SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generated names
HASH_LABEL = "pod-template-hash"
UNREACHABLE = "node.kubernetes.io/unreachable"
#: New pod IPs come from here (inside 10/8, where clusters and the generator put pods).
POD_POOL = ipaddress.ip_network("10.254.0.0/16")
#: A rollout replaces at most this many pods (a big Deployment rolls in batches anyway).
MAX_ROLLOUT = 50


class ChurnStore(Protocol):
    def put(self, obj: Obj) -> Obj: ...
    def delete(self, kind: str, namespace: str | None, name: str) -> None: ...
    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None: ...
    def list(self, kind: str, namespace: str | None = None) -> list[Obj]: ...


@dataclass
class Workload:
    """The pods of one ReplicaSet, as the EndpointSlices name them."""

    namespace: str
    base: str  # the Deployment's name
    hash: str  # the ReplicaSet's pod-template-hash
    pods: list[str] = field(default_factory=list)


@dataclass
class Step:
    """What one tick (or one action) changed."""

    rolled: str = ""  # namespace/deployment
    replaced: int = 0  # pods DELETED and ADDED anew
    slices: int = 0  # EndpointSlices MODIFIED
    node: str = ""
    node_ready: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rolled": self.rolled,
            "podsReplaced": self.replaced,
            "sliceUpdates": self.slices,
            "node": self.node,
            "nodeReady": self.node_ready,
        }


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_pod_name(name: str) -> tuple[str, str, str] | None:
    """``web-7d9f8b6c5d-x2x4z`` → (``web``, ``7d9f8b6c5d``, ``x2x4z``); None otherwise."""
    parts = name.rsplit("-", 2)
    if len(parts) != 3 or not all(parts) or len(parts[2]) != 5 or not parts[1].isalnum():
        return None
    return parts[0], parts[1], parts[2]


def rolled_pod(pod: Obj, name: str, template_hash: str, ip: str, stamp: str) -> Obj:
    """The pod a new ReplicaSet of the same template puts where ``pod`` was: a new name,
    hash label, owner and IP; uid and resourceVersion left for the store to give."""
    new = copy.deepcopy(pod)
    meta = new.setdefault("metadata", {})
    base = name.rsplit("-", 1)[0]
    meta["name"] = name
    meta["generateName"] = base + "-"
    meta["creationTimestamp"] = stamp
    for gone in ("uid", "resourceVersion", "managedFields"):
        meta.pop(gone, None)
    labels = meta.get("labels")
    if isinstance(labels, dict) and HASH_LABEL in labels:
        labels[HASH_LABEL] = template_hash
    for ref in meta.get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("kind") == "ReplicaSet":
            ref["name"] = base
            ref.pop("uid", None)
    status = new.setdefault("status", {})
    status["podIP"] = ip
    status["podIPs"] = [{"ip": ip}]
    status["startTime"] = stamp
    return new


def with_endpoints(eps_slice: Obj, replaced: Mapping[str, Obj]) -> Obj:
    """``eps_slice`` listing each replaced pod (old name → new pod) in its old one's place."""
    new = copy.deepcopy(eps_slice)
    new.get("metadata", {}).pop("resourceVersion", None)
    for ep in new.get("endpoints") or []:
        ref = ep.get("targetRef") or {}
        pod = replaced.get(ref.get("name", "")) if ref.get("kind") == "Pod" else None
        if pod is None:
            continue
        meta = pod["metadata"]
        ref["name"] = meta["name"]
        ref["uid"] = meta.get("uid", "")
        ep["addresses"] = [pod["status"]["podIP"]]
    return new


def node_ready(node: Obj, ready: bool, stamp: str) -> Obj:
    """``node`` with its Ready condition (and the unreachable taint) set as a node
    controller sets them when a kubelet stops (or resumes) posting status."""
    new = copy.deepcopy(node)
    new.get("metadata", {}).pop("resourceVersion", None)
    conditions = new.setdefault("status", {}).setdefault("conditions", [])
    cond = next((c for c in conditions if c.get("type") == "Ready"), None)
    if cond is None:
        cond = {"type": "Ready"}
        conditions.append(cond)
    cond.update(
        {
            "status": "True" if ready else "Unknown",
            "reason": "KubeletReady" if ready else "NodeStatusUnknown",
            "message": "kubelet is posting ready status"
            if ready
            else "Kubelet stopped posting node status.",
            "lastTransitionTime": stamp,
            "lastHeartbeatTime": stamp,
        }
    )
    spec = new.setdefault("spec", {})
    taints = [t for t in spec.get("taints") or [] if t.get("key") != UNREACHABLE]
    if not ready:
        taints.append({"key": UNREACHABLE, "effect": "NoSchedule", "timeAdded": stamp})
    if taints:
        spec["taints"] = taints
    else:
        spec.pop("taints", None)
    return new


class Churn:
    """Drives changes into ``store`` (see the module docstring). Deterministic for a seed."""

    def __init__(self, store: ChurnStore, seed: int = 1) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.ticks = 0
        self._indexed = False
        self._workloads: dict[tuple[str, str, str], Workload] = {}
        self._slices_of: dict[Key, set[str]] = {}  # pod → names of slices listing it
        self._ips: Iterator[ipaddress.IPv4Address | ipaddress.IPv6Address] = iter(())
        self._used: set[str] = set()
        self._next_rollout = 0
        self._down: str | None = None  # the node now NotReady
        self._workers: list[str] | None = None

    # -- the index -------------------------------------------------------------------------

    def _index(self) -> None:
        if self._indexed:
            return
        self._indexed = True
        for s in self.store.list("EndpointSlice"):
            ns = s["metadata"].get("namespace") or ""
            for ep in s.get("endpoints") or []:
                self._used.update(a for a in ep.get("addresses") or [] if isinstance(a, str))
                ref = ep.get("targetRef") or {}
                name = ref.get("name")
                if ref.get("kind") != "Pod" or not isinstance(name, str):
                    continue
                self._slices_of.setdefault((ns, name), set()).add(s["metadata"]["name"])
                parts = split_pod_name(name)
                if parts is not None:
                    w = self._workloads.setdefault(
                        (ns, parts[0], parts[1]), Workload(ns, parts[0], parts[1])
                    )
                    if name not in w.pods:
                        w.pods.append(name)
        self._ips = POD_POOL.hosts()

    def _ip(self) -> str:
        for ip in self._ips:
            if str(ip) not in self._used:
                self._used.add(str(ip))
                return str(ip)
        self._ips = POD_POOL.hosts()  # the pool is spent: start over (the lab routes nothing)
        return str(next(self._ips))

    def _new_name(self, namespace: str, base: str, template_hash: str) -> str:
        while True:
            name = f"{base}-{template_hash}-" + "".join(self.rng.choices(SUFFIX_ALPHABET, k=5))
            if (namespace, name) not in self._slices_of and self.store.get(
                "Pod", namespace, name
            ) is None:
                return name

    @property
    def workloads(self) -> list[Workload]:
        self._index()
        return [self._workloads[k] for k in sorted(self._workloads)]

    # -- actions ---------------------------------------------------------------------------

    def _replace(self, w: Workload, old_names: list[str], new_hash: str) -> Step:
        """Replace pods of ``w`` by pods of hash ``new_hash``, then update their slices."""
        step = Step(rolled=f"{w.namespace}/{w.base}")
        replaced: dict[str, Obj] = {}
        stamp = now()
        for old in old_names:
            pod = self.store.get("Pod", w.namespace, old)
            if (
                pod is None
                or (pod.get("metadata", {}).get("labels") or {}).get(HASH_LABEL, w.hash) != w.hash
            ):
                continue
            name = self._new_name(w.namespace, w.base, new_hash)
            new = rolled_pod(pod, name, new_hash, self._ip(), stamp)
            self.store.delete("Pod", w.namespace, old)
            replaced[old] = self.store.put(new)
            step.replaced += 1
        touched: set[str] = set()
        for old, new in replaced.items():
            names = self._slices_of.pop((w.namespace, old), set())
            self._slices_of[(w.namespace, new["metadata"]["name"])] = names
            touched |= names
        for name in sorted(touched):
            current = self.store.get("EndpointSlice", w.namespace, name)
            if current is not None:
                self.store.put(with_endpoints(current, replaced))
                step.slices += 1
        w.pods = [replaced[p]["metadata"]["name"] if p in replaced else p for p in w.pods]
        return step

    def rollout(self) -> Step:
        """Roll the next workload (in turn) onto a new pod-template-hash."""
        workloads = self.workloads
        if not workloads:
            return Step()
        w = workloads[self._next_rollout % len(workloads)]
        self._next_rollout += 1
        new_hash = "".join(self.rng.choices(SUFFIX_ALPHABET, k=len(w.hash)))
        old_hash = w.hash
        step = self._replace(w, list(w.pods[:MAX_ROLLOUT]), new_hash)
        if step.replaced:
            del self._workloads[(w.namespace, w.base, old_hash)]
            w.hash = new_hash
            self._workloads[(w.namespace, w.base, new_hash)] = w
        return step

    def kill(self) -> Step:
        """Kill one pod of a random workload; its ReplicaSet replaces it (a new name, IP)."""
        workloads = [w for w in self.workloads if w.pods]
        if not workloads:
            return Step()
        w = self.rng.choice(workloads)
        return self._replace(w, [self.rng.choice(w.pods)], w.hash)

    def flap_node(self) -> Step:
        """The node that is down comes back; otherwise a worker node goes NotReady."""
        stamp = now()
        if self._down is not None:
            name, self._down = self._down, None
            node = self.store.get("Node", None, name)
            if node is not None:
                self.store.put(node_ready(node, True, stamp))
            return Step(node=name, node_ready=True)
        if self._workers is None:  # read once: 5,000 nodes decoded per flap would add up
            self._workers = [
                n["metadata"]["name"]
                for n in self.store.list("Node")
                if not any(
                    k.startswith("node-role.kubernetes.io/control-plane")
                    for k in (n["metadata"].get("labels") or {})
                )
            ]
        node = None
        while node is None and self._workers:
            name = self.rng.choice(self._workers)
            node = self.store.get("Node", None, name)
            if node is None:
                self._workers.remove(name)
        if node is None:
            return Step()
        self._down = node["metadata"]["name"]
        self.store.put(node_ready(node, False, stamp))
        return Step(node=self._down, node_ready=False)

    def tick(self) -> Step:
        """A rollout, a killed pod and a node flap: what a busy cluster does every few
        seconds."""
        self.ticks += 1
        step = self.rollout()
        killed = self.kill()
        flap = self.flap_node()
        step.replaced += killed.replaced
        step.slices += killed.slices
        step.node, step.node_ready = flap.node, flap.node_ready
        return step
