"""The lab's scheduler: plain manifests → lab state, kept in step with the object store.

It plays the parts of the API server's allocators (ClusterIPs, NodePorts,
healthCheckNodePorts, load-balancer addresses), the workload controllers (Deployment,
StatefulSet, DaemonSet → Pods), kube-scheduler (spread over ready nodes honouring
``nodeSelector`` / ``nodeName``) and the kubelet (pod IPs, readiness). What each object looks
like (defaults, status, EndpointSlices) is built by `kpath.lab.objects` from this state.

State lives here; after every change `resync` rebuilds all objects and writes to the store
only those that changed, so watchers see exactly the ADDED / MODIFIED / DELETED events a
real cluster would send. It never decides routing (that is the data plane's job).
"""

from __future__ import annotations

import copy
import random
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from kpath.errors import InputError
from kpath.lab.addresses import AddressPlan
from kpath.lab.gateway.controller import ControllerState, reconcile
from kpath.lab.gateway.infrastructure import GatewayInfra, GatewayInfraSpec, plan_infrastructure
from kpath.lab.gateway.status import with_status
from kpath.lab.objects import (
    Key,
    LabNode,
    Obj,
    PodState,
    PortSignature,
    class_served,
    endpoint_groups,
    endpoint_slice,
    ingress_object,
    meta_of,
    namespace_object,
    node_labels,
    node_object,
    pod_object,
    service_object,
)
from kpath.lab.resources import GATEWAY_GROUP, GATEWAY_NAMES, is_policy_api

NODEPORT_RANGE = (30000, 32767)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
OBJECT_KINDS = ("Namespace", "Pod", "Service", "Ingress", "IngressClass")
#: Runtime scale stays bounded: every replica is a set of real listening sockets.
MAX_SCALE = 20
_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet Kubernetes uses for name suffixes

BUILTIN_INGRESS_NS = "ingress-lab"
BUILTIN_INGRESS_NAME = "ingress-lab-controller"


class ObjectStore(Protocol):
    """What the scheduler needs from the lab's object store."""

    def put(self, obj: Obj) -> Obj: ...
    def delete(self, kind: str, namespace: str | None, name: str) -> None: ...
    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None: ...
    def list(self, kind: str, namespace: str | None = None) -> list[Obj]: ...


@dataclass(frozen=True)
class NodeSpec:
    """A node as a scenario declares it."""

    name: str
    zone: str
    ready: bool = True
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IngressControllerSpec:
    """Which Service fronts the lab's ingress controller and which classes it serves.

    ``namespace``/``service`` empty means the built-in controller; ``classes`` empty means
    it serves every Ingress of a class run in the cluster (not a cloud load balancer's:
    `kpath.lab.objects.class_served`).
    """

    namespace: str = ""
    service: str = ""
    classes: tuple[str, ...] = ()


@dataclass
class _Workload:
    kind: str
    namespace: str
    name: str
    template: Obj
    replicas: int
    uid: str
    hash: str
    next_ordinal: int = 0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _group(doc: Mapping[str, Any]) -> str:
    version = doc.get("apiVersion")
    return version.rpartition("/")[0] if isinstance(version, str) else ""


def _label_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


class Scheduler:
    """Applies manifests to simulated nodes and keeps the store in step with every change."""

    def __init__(
        self,
        store: ObjectStore,
        plan: AddressPlan,
        nodes: Sequence[NodeSpec],
        *,
        max_replicas: int = 3,
        pending: Iterable[str] = (),
        ingress_controller: IngressControllerSpec | None = None,
        gateway_classes: Sequence[Mapping[str, Any]] = (),
        gateway_infrastructure: Mapping[str, GatewayInfraSpec] | None = None,
        seed: int | str = 0,
    ) -> None:
        if not nodes:
            raise InputError("a lab needs at least one node")
        names = [n.name for n in nodes]
        if len(set(names)) != len(names):
            raise InputError(f"duplicate node names in {names}")
        self.store = store
        self.plan = plan
        self.max_replicas = max_replicas
        self.pending = set(pending)
        self.ingress_spec = ingress_controller
        self._rng = random.Random(zlib.crc32(str(seed).encode()) if isinstance(seed, str) else seed)
        self.nodes: list[LabNode] = [
            LabNode(n.name, n.zone, i, plan.node_ip(i), n.ready, dict(n.labels))
            for i, n in enumerate(nodes)
        ]
        self._node_uids = {n.name: self._uid() for n in self.nodes}
        self._node_created = _now()
        self.namespaces: dict[str, str] = {}
        self.workloads: dict[tuple[str, str, str], _Workload] = {}
        self.pods: dict[Key, PodState] = {}
        self.services: dict[Key, Obj] = {}
        self.ingresses: dict[Key, Obj] = {}
        self.ingress_classes: dict[str, Obj] = {}
        self.ignored: dict[str, int] = {}
        self._pod_slots: dict[int, set[int]] = {n.index: set() for n in self.nodes}
        self._pod_cursor: dict[int, int] = {}
        self._next_cluster_ip = 0
        self._next_lb_ip = 0
        self._node_ports: dict[int, str] = {}
        self._slice_names: dict[tuple[str, str, PortSignature], str] = {}
        self._published: dict[tuple[str, str | None, str], Obj] = {}
        self._slice_uids: dict[tuple[str, str, PortSignature], str] = {}
        self._ns_labels: dict[str, dict[str, str]] = {}
        # Gateway API objects by (kind, namespace or "", name), in the order applied (a
        # later manifest of the same name replaces an earlier one, as kubectl apply does).
        self.gateway_api: dict[tuple[str, str, str], Obj] = {}
        #: NetworkPolicies and AdminNetworkPolicies by (kind, namespace or "", name), as
        #: applied: the API serves them unchanged (no controller writes their status).
        self.policies: dict[tuple[str, str, str], Obj] = {}
        self._given_status: dict[tuple[str, str, str], Obj] = {}
        self._installed_classes = [dict(c) for c in gateway_classes]
        self.gateway_specs = dict(gateway_infrastructure or {})
        self.gateway_infra: dict[Key, GatewayInfra] = {}
        #: the lab controller's view after the last resync (what the proxies route by)
        self.controller_state: ControllerState | None = None
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self._ensure_namespace(ns)

    # ---------------------------------------------------------------- helpers
    def _uid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _suffix(self, n: int) -> str:
        return "".join(self._rng.choice(_HASH_ALPHABET) for _ in range(n))

    def _ensure_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        if name not in self.namespaces:
            self.namespaces[name] = self._uid()
            self._ns_labels[name] = {}
        # A Namespace manifest's labels count even when an object in it was filed first (the
        # Gateway API objects are): allowedRoutes selectors read them.
        self._ns_labels[name].update(labels or {})

    def node(self, name: str) -> LabNode:
        for node in self.nodes:
            if node.name == name:
                return node
        raise InputError(f"no node {name!r}; nodes: {', '.join(n.name for n in self.nodes)}")

    # ---------------------------------------------------------------- apply
    def apply(self, manifests: Iterable[Mapping[str, Any]]) -> dict[str, int]:
        """Create objects from manifests; returns counts of kinds the lab ignores."""
        docs = [d for d in manifests if isinstance(d, Mapping)]
        for doc in docs:
            if doc.get("kind") == "List":
                docs.extend(i for i in doc.get("items") or [] if isinstance(i, Mapping))
        docs = [d for d in docs if d.get("kind") != "List"]
        if self._installed_classes:
            # What the implementations' installers created, before the scenario's own.
            docs = [*self._installed_classes, *docs]
            self._installed_classes = []
        docs = self._take_gateway_api(docs)
        if self.ingress_spec is None and self._builtin_wanted(docs):
            self.ingress_spec = IngressControllerSpec()
        if self.ingress_spec is not None and not self.ingress_spec.service:
            docs.extend(builtin_ingress_manifests())
            self.ingress_spec = IngressControllerSpec(
                BUILTIN_INGRESS_NS, BUILTIN_INGRESS_NAME, self.ingress_spec.classes
            )
        self._reserve_fixed_node_ports(docs)
        for doc in docs:
            kind = doc.get("kind")
            if not isinstance(kind, str):
                raise InputError("a manifest has no 'kind'")
            name = meta_of(doc).get("name")
            if not isinstance(name, str) or not name:
                raise InputError(f"a {kind} manifest has no metadata.name")
            ns = str(meta_of(doc).get("namespace") or "default")
            if kind == "Namespace":
                labels = _label_map(meta_of(doc).get("labels"))
                self._ensure_namespace(name, labels)
                # Also when objects in it came first (or it is "default"): its labels count.
                self._ns_labels[name] = labels
            elif kind in WORKLOAD_KINDS:
                self._ensure_namespace(ns)
                self._add_workload(kind, ns, name, doc)
            elif kind == "Pod":
                self._ensure_namespace(ns)
                self._add_bare_pod(ns, name, doc)
            elif kind == "Service":
                self._ensure_namespace(ns)
                self.services[(ns, name)] = self._build_service(ns, name, doc)
            elif kind == "Ingress":
                self._ensure_namespace(ns)
                self.ingresses[(ns, name)] = self._stamp(doc, ns)
            elif kind == "IngressClass":
                self.ingress_classes[name] = self._stamp(doc, None)
            elif kind == "NetworkPolicy" and _group(doc) == "networking.k8s.io":
                self._ensure_namespace(ns)
                self.policies[(kind, ns, name)] = self._stamp(doc, ns)
            elif is_policy_api(doc):  # cluster-scoped
                self.policies[(kind, "", name)] = self._stamp(doc, None)
            else:
                self.ignored[kind] = self.ignored.get(kind, 0) + 1
        self.resync()
        return dict(self.ignored)

    def _take_gateway_api(self, docs: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """File the Gateway API objects away and add the infrastructure each new Gateway's
        implementation would create (its manifests, to be applied with the rest)."""
        rest: list[Mapping[str, Any]] = []
        for doc in docs:
            kind = doc.get("kind")
            if kind not in GATEWAY_NAMES or _group(doc) != GATEWAY_GROUP:
                rest.append(doc)  # Istio's own networking.istio.io Gateway is not one
                continue
            name = meta_of(doc).get("name")
            if not isinstance(name, str) or not name:
                raise InputError(f"a {kind} manifest has no metadata.name")
            namespaced = GATEWAY_NAMES[str(kind)][1]
            ns = str(meta_of(doc).get("namespace") or "default") if namespaced else ""
            if namespaced:
                self._ensure_namespace(ns)
            key = (str(kind), ns, name)
            self.gateway_api[key] = self._stamp(doc, ns if namespaced else None)
            # A manifest's own status (from a dump, say) stays where no controller of the
            # lab's writes one.
            if isinstance(doc.get("status"), Mapping):
                self._given_status[key] = copy.deepcopy(dict(doc["status"]))
            else:
                self._given_status.pop(key, None)
        classes = {k[2]: o for k, o in self.gateway_api.items() if k[0] == "GatewayClass"}
        gateways = [
            o
            for k, o in self.gateway_api.items()
            if k[0] == "Gateway" and (k[1], k[2]) not in self.gateway_infra
        ]
        for spec_key in self.gateway_specs:
            ns, _, name = spec_key.partition("/")
            if ("Gateway", ns, name) not in self.gateway_api:
                raise InputError(f"gatewayInfrastructure names {spec_key}, which is no Gateway")
            for node in self.gateway_specs[spec_key].nodes:
                self.node(node)  # raises for an unknown node
        listener_sets = [o for k, o in self.gateway_api.items() if k[0] == "ListenerSet"]
        taken = {
            (str(meta_of(d).get("namespace") or "default"), str(meta_of(d).get("name")))
            for d in rest
            if d.get("kind") == "Service"
        }
        for infra in plan_infrastructure(gateways, classes, self.gateway_specs, listener_sets):
            if infra.service in taken:
                gw, svc = "/".join(infra.gateway), "/".join(infra.service)
                raise InputError(
                    f"Gateway {gw}: the scenario defines Service {svc}, the name "
                    "its implementation gives the Service it generates"
                )
            self.gateway_infra[infra.gateway] = infra
            if "/".join(infra.gateway) in self.pending:
                # A pending Gateway: its Service's load balancer never gets an address.
                self.pending.add("/".join(infra.service))
            rest.extend(infra.manifests)
        return rest

    def gateway_address(self, key: Key) -> str | None:
        """The load-balancer address of a Gateway's generated Service (None: none yet)."""
        infra = self.gateway_infra.get(key)
        svc = self.services.get(infra.service) if infra else None
        ingress = (svc or {}).get("status", {}).get("loadBalancer", {}).get("ingress") or []
        return str(ingress[0]["ip"]) if ingress and ingress[0].get("ip") else None

    def _gateway_api_objects(self, namespaces: list[Obj], slices: list[Obj]) -> list[Obj]:
        """Every Gateway API object with the status the lab's controller gives it now.

        The controller sees what a real one watches: the Gateway API objects, Services (for
        backendRefs) and Namespaces (for allowedRoutes selectors); it implements every
        GatewayClass's controller, and gives each Gateway its Service's LB address. The
        EndpointSlices let the proxies dial ready pods (`kpath.lab.gateway.decide`).
        """
        if not self.gateway_api:
            self.controller_state = None
            return []
        objects: dict[str, list[Obj]] = {
            "Service": list(self.services.values()),
            "Namespace": namespaces,
            "EndpointSlice": slices,
        }
        for (kind, _, _), obj in self.gateway_api.items():
            objects.setdefault(kind, []).append(obj)
        addresses = {
            k: [ip] for k in self.gateway_infra if (ip := self.gateway_address(k)) is not None
        }
        controllers = {
            str((o.get("spec") or {}).get("controllerName") or "")
            for k, o in self.gateway_api.items()
            if k[0] == "GatewayClass"
        }
        state = reconcile(objects, addresses, controllers - {""})
        self.controller_state = state
        out = []
        for (kind, ns, name), obj in self.gateway_api.items():
            previous = self._published.get((kind, ns or None, name))
            status = state.status(kind, ns or None, name)
            if status is None:
                status = self._given_status.get((kind, ns, name))
            out.append(with_status(copy.deepcopy(obj), status, previous))
        return out

    def gateway_pods(self) -> dict[Key, GatewayInfra]:
        """Each running proxy pod (namespace, name) and the Gateway infrastructure it serves."""
        by_workload = {infra.workload: infra for infra in self.gateway_infra.values()}
        return {
            (p.namespace, p.name): by_workload[p.workload]
            for p in self.pods.values()
            if p.workload in by_workload
        }

    def _builtin_wanted(self, docs: Sequence[Mapping[str, Any]]) -> bool:
        """A scenario that names no controller gets the built-in one only if it would serve
        an Ingress: a cluster whose Ingresses are all served from outside (an ALB) runs none."""
        classes = dict(self.ingress_classes)
        classes.update(
            {str(meta_of(d).get("name")): dict(d) for d in docs if d.get("kind") == "IngressClass"}
        )
        return any(class_served(d, (), classes) for d in docs if d.get("kind") == "Ingress")

    def _stamp(self, doc: Mapping[str, Any], ns: str | None) -> Obj:
        obj = copy.deepcopy(dict(doc))
        meta = obj.setdefault("metadata", {})
        if ns is not None:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        meta.setdefault("uid", self._uid())
        meta.setdefault("creationTimestamp", _now())
        meta.setdefault("generation", 1)
        obj.pop("status", None)
        return obj

    # ---------------------------------------------------------------- workloads and pods
    def _add_workload(self, kind: str, ns: str, name: str, doc: Mapping[str, Any]) -> None:
        spec = doc.get("spec") or {}
        template = copy.deepcopy(spec.get("template") or {})
        if not isinstance(template.get("spec"), Mapping):
            raise InputError(f"{kind} {ns}/{name} has no pod template")
        replicas = spec.get("replicas", 1)
        replicas = 1 if not isinstance(replicas, int) else replicas
        wl = _Workload(
            kind,
            ns,
            name,
            template,
            min(max(replicas, 0), self.max_replicas),
            self._uid(),
            self._suffix(10 if kind == "Deployment" else 9),
        )
        self.workloads[(kind, ns, name)] = wl
        if kind == "DaemonSet":
            for node in self.nodes:
                if self._eligible(node, template["spec"]):
                    self._create_pod_for(wl, node_index=node.index)
        else:
            for _ in range(wl.replicas):
                self._create_pod_for(wl)

    def _pod_name(self, wl: _Workload) -> str:
        if wl.kind == "StatefulSet":
            taken = {p.name for p in self.pods.values() if p.workload == (wl.namespace, wl.name)}
            ordinal = 0
            while f"{wl.name}-{ordinal}" in taken:
                ordinal += 1
            return f"{wl.name}-{ordinal}"
        if wl.kind == "Deployment":
            return f"{wl.name}-{wl.hash}-{self._suffix(5)}"
        return f"{wl.name}-{self._suffix(5)}"

    def _owner(self, wl: _Workload) -> Obj:
        if wl.kind == "Deployment":
            return {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": f"{wl.name}-{wl.hash}",
                "uid": wl.uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        return {
            "apiVersion": "apps/v1",
            "kind": wl.kind,
            "name": wl.name,
            "uid": wl.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def _create_pod_for(self, wl: _Workload, node_index: int | None = None) -> PodState:
        meta = meta_of(wl.template)
        labels = _label_map(meta.get("labels"))
        if wl.kind == "Deployment":
            labels["pod-template-hash"] = wl.hash
        name = self._pod_name(wl)
        if wl.kind == "StatefulSet":
            labels["statefulset.kubernetes.io/pod-name"] = name
        return self._create_pod(
            wl.namespace,
            name,
            labels,
            _label_map(meta.get("annotations")),
            copy.deepcopy(wl.template["spec"]),
            (wl.namespace, wl.name),
            self._owner(wl),
            node_index,
        )

    def _add_bare_pod(self, ns: str, name: str, doc: Mapping[str, Any]) -> None:
        spec = copy.deepcopy(doc.get("spec") or {})
        meta = meta_of(doc)
        self._create_pod(
            ns,
            name,
            _label_map(meta.get("labels")),
            _label_map(meta.get("annotations")),
            spec,
            None,
            None,
            None,
        )

    def _eligible(self, node: LabNode, spec: Mapping[str, Any]) -> bool:
        if not node.ready:
            return False
        wanted = spec.get("nodeName")
        if wanted and wanted != node.name:
            return False
        labels = node_labels(node)
        if not all(labels.get(k) == str(v) for k, v in (spec.get("nodeSelector") or {}).items()):
            return False
        return _affinity_allows(spec, labels)

    def _place(self, spec: Mapping[str, Any], workload: Key | None) -> int | None:
        """Spread: fewest pods of this workload, then fewest pods overall, then node order."""
        candidates = [n for n in self.nodes if self._eligible(n, spec)]
        if not candidates:
            return None

        def load(node: LabNode) -> tuple[int, int, int]:
            mine = sum(
                1
                for p in self.pods.values()
                if p.node == node.index and workload and p.workload == workload
            )
            total = sum(1 for p in self.pods.values() if p.node == node.index)
            return (mine, total, node.index)

        return min(candidates, key=load).index

    def _create_pod(
        self,
        ns: str,
        name: str,
        labels: dict[str, str],
        annotations: dict[str, str],
        spec: Obj,
        workload: Key | None,
        owner: Obj | None,
        node_index: int | None,
    ) -> PodState:
        if (ns, name) in self.pods:
            raise InputError(f"pod {ns}/{name} is defined twice")
        for i, container in enumerate(spec.get("containers") or []):
            container.setdefault("name", f"container-{i}")
        if not spec.get("containers"):
            raise InputError(f"pod {ns}/{name} has no containers")
        if node_index is None:
            node_index = self._place(spec, workload)
        ip = None
        if node_index is not None:
            spec["nodeName"] = self.nodes[node_index].name
            ip = self._alloc_pod_ip(node_index, host_network=bool(spec.get("hostNetwork")))
        pod = PodState(
            ns,
            name,
            labels,
            annotations,
            spec,
            self._uid(),
            _now(),
            workload,
            owner,
            node_index,
            ip,
            ready=node_index is not None,
        )
        self.pods[(ns, name)] = pod
        return pod

    def _alloc_pod_ip(self, node_index: int, *, host_network: bool) -> str:
        if host_network:
            return self.nodes[node_index].address
        used = self._pod_slots[node_index]
        # Hand out addresses round the block, as host-local IPAM does, so a replacement pod
        # does not inherit the address of the pod it replaces.
        start = self._pod_cursor.get(node_index, 0)
        for step in range(254):
            k = (start + step) % 254
            if k not in used:
                used.add(k)
                self._pod_cursor[node_index] = k + 1
                return self.plan.pod_ip(node_index, k)
        raise InputError(f"node {self.nodes[node_index].name} is out of pod addresses")

    def _free_pod_ip(self, pod: PodState) -> None:
        if pod.node is None or pod.ip is None or pod.ip == self.nodes[pod.node].address:
            return
        k = int(pod.ip.rsplit(".", 1)[1]) - 1
        self._pod_slots[pod.node].discard(k)

    # ---------------------------------------------------------------- services
    def _reserve_fixed_node_ports(self, docs: Sequence[Mapping[str, Any]]) -> None:
        for doc in docs:
            if doc.get("kind") != "Service":
                continue
            ns = str(meta_of(doc).get("namespace") or "default")
            who = f"{ns}/{meta_of(doc).get('name')}"
            spec = doc.get("spec") or {}
            fixed = [p.get("nodePort") for p in spec.get("ports") or []]
            fixed.append(spec.get("healthCheckNodePort"))
            for port in fixed:
                if port is None:
                    continue
                if not isinstance(port, int) or not 1 <= port <= 65535:
                    raise InputError(f"service {who}: invalid nodePort {port!r}")
                owner = self._node_ports.get(port)
                if owner is not None and owner != who:
                    raise InputError(
                        f"service {who}: nodePort {port} is already allocated (by {owner})"
                    )
                self._node_ports[port] = who

    def _alloc_node_port(self, who: str) -> int:
        low, high = NODEPORT_RANGE
        if len(self._node_ports) >= high - low + 1:
            raise InputError("the lab ran out of NodePorts")
        while True:
            port = self._rng.randint(low, high)
            if port not in self._node_ports:
                self._node_ports[port] = who
                return port

    def _alloc_cluster_ip(self) -> str:
        ip = self.plan.cluster_ip(self._next_cluster_ip)
        self._next_cluster_ip += 1
        return ip

    def _alloc_lb_ip(self) -> str:
        ip = self.plan.lb_ip(self._next_lb_ip)
        self._next_lb_ip += 1
        return ip

    def _build_service(self, ns: str, name: str, doc: Mapping[str, Any]) -> Obj:
        if (ns, name) in self.services:
            raise InputError(f"service {ns}/{name} is defined twice")
        who = f"{ns}/{name}"
        return service_object(
            self._stamp(doc, ns),
            who,
            cluster_ip=self._alloc_cluster_ip,
            node_port=lambda: self._alloc_node_port(who),
            lb_ip=None if who in self.pending else self._alloc_lb_ip,
        )

    # ---------------------------------------------------------------- objects
    def endpoint_slices(self, ns: str, name: str) -> list[Obj]:
        """The EndpointSlices the controller keeps for one Service (none without a selector).

        A slice keeps its generated name and uid for as long as its port signature exists,
        so a resync that changes only endpoints sends MODIFIED, not DELETED + ADDED.
        """
        svc = self.services[(ns, name)]
        slices = []
        for group in endpoint_groups(svc, self.pods.values(), self.nodes):
            key = (ns, name, group.signature)
            if key not in self._slice_names:
                self._slice_names[key] = f"{name}-{self._suffix(5)}"
            slices.append(
                endpoint_slice(svc, group, name=self._slice_names[key], uid=self._slice_uid(key))
            )
        return slices

    def _slice_uid(self, key: tuple[str, str, PortSignature]) -> str:
        if key not in self._slice_uids:
            self._slice_uids[key] = self._uid()
        return self._slice_uids[key]

    # ---------------------------------------------------------------- ingress
    def ingress_controller(self) -> Key | None:
        """(namespace, service) of the Service in front of the lab's ingress controller."""
        if self.ingress_spec is None or not self.ingress_spec.service:
            return None
        return (self.ingress_spec.namespace, self.ingress_spec.service)

    def serves(self, ing: Mapping[str, Any]) -> bool:
        """Whether the lab's ingress controller takes this Ingress (by class)."""
        if self.ingress_controller() is None:
            return False
        assert self.ingress_spec is not None
        return class_served(ing, self.ingress_spec.classes, self.ingress_classes)

    def served_ingresses(self) -> list[Obj]:
        return [i for i in self.ingresses.values() if self.serves(i)]

    def _ingress_address(self) -> list[Obj]:
        key = self.ingress_controller()
        svc = self.services.get(key) if key else None
        if svc is None:
            return []
        return [{"ip": i["ip"]} for i in svc["status"]["loadBalancer"].get("ingress", [])]

    # ---------------------------------------------------------------- changes
    def workload(self, ns: str, name: str) -> _Workload:
        for kind in WORKLOAD_KINDS:
            if (kind, ns, name) in self.workloads:
                return self.workloads[(kind, ns, name)]
        known = sorted(f"{k[1]}/{k[2]}" for k in self.workloads)
        raise InputError(f"no workload {ns}/{name}; workloads: {', '.join(known) or 'none'}")

    def pods_of(self, ns: str, name: str) -> list[str]:
        """Names of the pods a workload owns, in creation order."""
        return [p.name for p in self.pods.values() if p.workload == (ns, name)]

    def scale(self, ns: str, name: str, replicas: int) -> None:
        wl = self.workload(ns, name)
        if wl.kind == "DaemonSet":
            raise InputError(f"{ns}/{name} is a DaemonSet; it runs one pod per node")
        if not 0 <= replicas <= MAX_SCALE:
            raise InputError(f"replicas must be between 0 and {MAX_SCALE}")
        wl.replicas = replicas
        mine = [p for p in self.pods.values() if p.workload == (ns, name) and not p.terminating]
        for _ in range(replicas - len(mine)):
            self._create_pod_for(wl)
        if len(mine) > replicas:
            # Deployments drop the newest pods first; StatefulSets the highest ordinals.
            doomed = sorted(mine, key=lambda p: (p.created, p.name))[replicas:]
            for pod in doomed:
                self._remove_pod(pod)
        self.resync()

    def kill_pod(self, ns: str, name: str, *, graceful: bool = False) -> str | None:
        """Delete a pod; its controller (if any) starts a replacement, whose name is returned.

        With ``graceful`` the pod stays Terminating (serving, not ready, still listening) until
        it is killed again, as during a rolling update's grace period.
        """
        pod = self.pods.get((ns, name))
        if pod is None:
            raise InputError(f"no pod {ns}/{name}")
        was_terminating = pod.terminating
        if graceful and not was_terminating:
            pod.terminating = True
        else:
            self._remove_pod(pod)
        replacement = None
        wl = self._workload_of(pod)
        # Controllers replace a pod once it starts terminating; a StatefulSet must wait until
        # the old pod is gone, because the replacement reuses its name.
        if wl is None:
            replace = False
        elif was_terminating:
            replace = wl.kind == "StatefulSet"
        elif graceful:
            replace = wl.kind != "StatefulSet"
        else:
            replace = True
        if wl is not None and replace:
            node = pod.node if wl.kind == "DaemonSet" else None
            replacement = self._create_pod_for(wl, node_index=node).name
        self.resync()
        return replacement

    def _workload_of(self, pod: PodState) -> _Workload | None:
        for wl in self.workloads.values():
            if (wl.namespace, wl.name) == pod.workload:
                return wl
        return None

    def _remove_pod(self, pod: PodState) -> None:
        self._free_pod_ip(pod)
        self.pods.pop((pod.namespace, pod.name), None)

    def set_node_ready(self, name: str, ready: bool) -> None:
        """A node goes NotReady (its pods turn unready) or comes back."""
        self.node(name).ready = ready
        self.resync()

    def set_pod_ready(self, ns: str, name: str, ready: bool) -> None:
        pod = self.pods.get((ns, name))
        if pod is None:
            raise InputError(f"no pod {ns}/{name}")
        pod.ready = ready
        self.resync()

    # ---------------------------------------------------------------- publish
    def desired_objects(self) -> list[Obj]:
        """Every object the lab's API shows, built from current state."""
        objs: list[Obj] = [
            namespace_object(
                n,
                uid=self.namespaces[n],
                created=self._node_created,
                labels=self._ns_labels.get(n, {}),
            )
            for n in sorted(self.namespaces)
        ]
        namespaces = list(objs)
        objs += [
            node_object(n, uid=self._node_uids[n.name], created=self._node_created, plan=self.plan)
            for n in self.nodes
        ]
        objs += [
            pod_object(
                p, None if p.node is None else self.nodes[p.node], node_count=len(self.nodes)
            )
            for p in self.pods.values()
        ]
        objs += [copy.deepcopy(s) for s in self.services.values()]
        for ns, name in self.services:
            objs += self.endpoint_slices(ns, name)
        objs += [copy.deepcopy(c) for c in self.ingress_classes.values()]
        address = self._ingress_address()
        objs += [
            ingress_object(ing, address, served=self.serves(ing)) for ing in self.ingresses.values()
        ]
        objs += self._gateway_api_objects(
            namespaces, [o for o in objs if o["kind"] == "EndpointSlice"]
        )
        objs += [copy.deepcopy(p) for p in self.policies.values()]
        return objs

    def resync(self) -> None:
        """Write changed objects to the store and delete vanished ones."""
        desired: dict[tuple[str, str | None, str], Obj] = {}
        for obj in self.desired_objects():
            meta = obj["metadata"]
            desired[(obj["kind"], meta.get("namespace"), meta["name"])] = obj
        for key in [k for k in self._published if k not in desired]:
            self.store.delete(*key)
            del self._published[key]
        for key, obj in desired.items():
            if self._published.get(key) != obj:
                self._published[key] = obj
                self.store.put(copy.deepcopy(obj))


def _affinity_allows(spec: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """``requiredDuringSchedulingIgnoredDuringExecution`` node affinity: any term whose
    expressions all hold (In, NotIn, Exists, DoesNotExist on the node's labels)."""
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    for term in terms:
        ok = True
        for expr in (term or {}).get("matchExpressions") or []:
            key, op = expr.get("key"), expr.get("operator")
            values = [str(v) for v in expr.get("values") or []]
            have = labels.get(str(key))
            if op == "In":
                ok = have in values
            elif op == "NotIn":
                ok = have not in values
            elif op == "Exists":
                ok = have is not None
            elif op == "DoesNotExist":
                ok = have is None
            else:
                ok = False
            if not ok:
                break
        if ok:
            return True
    return False


def builtin_ingress_manifests() -> list[Obj]:
    """The lab's own ingress controller: a Deployment behind a LoadBalancer Service."""
    labels = {"app.kubernetes.io/name": "ingress-lab", "app.kubernetes.io/component": "controller"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": BUILTIN_INGRESS_NS}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": BUILTIN_INGRESS_NAME, "namespace": BUILTIN_INGRESS_NS},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "controller",
                                "image": "kpath.lab/ingress-controller:1",
                                "ports": [
                                    {"name": "http", "containerPort": 8080, "protocol": "TCP"},
                                    {"name": "https", "containerPort": 8443, "protocol": "TCP"},
                                ],
                            }
                        ]
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": BUILTIN_INGRESS_NAME,
                "namespace": BUILTIN_INGRESS_NS,
                "labels": labels,
            },
            # HTTPS too, as every real controller serves it (TLS Ingresses are probed there).
            "spec": {
                "type": "LoadBalancer",
                "selector": labels,
                "ports": [
                    {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
                    {"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"},
                ],
            },
        },
    ]
