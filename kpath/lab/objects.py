"""What the lab's API server shows: objects built from the scheduler's state.

Each function turns lab state (nodes, pods, a Service, an Ingress) into the object a real API
server would return for it: the kubelet's Node and Pod status, the API server's Service
defaulting, the EndpointSlice controller's slices, an ingress controller's choice of Ingresses.

They keep no state and draw nothing at random: names, uids and addresses must stay stable
from one resync to the next, so the `Scheduler` allocates them and passes them in.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kpath.errors import InputError
from kpath.lab.addresses import AddressPlan

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)
#: (port name, number, protocol) of each resolved port: pods resolving a Service's named
#: ports to the same numbers share a slice.
PortSignature = tuple[tuple[str, int, str], ...]

ZONE_LABEL = "topology.kubernetes.io/zone"
HOSTNAME_LABEL = "kubernetes.io/hostname"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
KUBE_VERSION = "v1.32.0"
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
_HINTED_DISTRIBUTIONS = ("PreferClose", "PreferSameZone", "PreferSameNode")
_NOT_POSTING = "Kubelet stopped posting node status."
#: Ingress classes and IngressClass controllers served from outside the cluster (cloud load
#: balancers): no controller pod in the lab may answer for them.
EXTERNAL_CONTROLLERS = frozenset(
    {
        "alb",
        "ingress.k8s.aws/alb",
        "gce",
        "gce-internal",
        "k8s.io/ingress-gce",
        "azure/application-gateway",
        "azure-application-gateway",
    }
)


@dataclass
class LabNode:
    """A running lab node: its spec plus its index and address."""

    name: str
    zone: str
    index: int
    address: str
    ready: bool = True
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class PodState:
    """A pod as the scheduler tracks it; ``node`` and ``ip`` are None while it is Pending."""

    namespace: str
    name: str
    labels: dict[str, str]
    annotations: dict[str, str]
    spec: Obj
    uid: str
    created: str
    workload: Key | None
    owner: Obj | None
    node: int | None
    ip: str | None
    ready: bool = True
    terminating: bool = False


@dataclass(frozen=True)
class EndpointGroup:
    """Endpoints that resolve a Service's ports to the same numbers: one EndpointSlice."""

    signature: PortSignature
    ports: list[Obj]
    endpoints: list[Obj]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """An object's metadata, or an empty mapping when a manifest has none (or a bad one)."""
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


# ---------------------------------------------------------------- selectors and ports
def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A Service-style equality selector, or a workload ``matchLabels``/``matchExpressions``."""
    if not selector:
        return False
    if "matchLabels" in selector or "matchExpressions" in selector:
        for key, value in (selector.get("matchLabels") or {}).items():
            if labels.get(key) != str(value):
                return False
        for expr in selector.get("matchExpressions") or []:
            key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
            if op == "In" and labels.get(key) not in values:
                return False
            if op == "NotIn" and labels.get(key) in values:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return True
    return all(labels.get(k) == str(v) for k, v in selector.items())


def resolve_target_port(service_port: Mapping[str, Any], pod_spec: Mapping[str, Any]) -> int | None:
    """The pod port a service port targets: numbers as given, names through container ports.

    Mirrors the EndpointSlice controller (``podutil.FindPort``): a name that no container port
    of the same protocol carries resolves to nothing, and the port is left out for that pod.
    """
    target = service_port.get("targetPort", service_port.get("port"))
    protocol = service_port.get("protocol") or "TCP"
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in pod_spec.get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return int(port["containerPort"])
    return None


def endpoint_conditions(*, pod_ready: bool, terminating: bool, publish_not_ready: bool) -> Obj:
    """Conditions as the EndpointSlice controller sets them (terminating pods are never ready)."""
    serving = publish_not_ready or pod_ready
    ready = publish_not_ready or (pod_ready and not terminating)
    return {"ready": ready, "serving": serving, "terminating": terminating}


# ---------------------------------------------------------------- nodes, pods, namespaces
def node_labels(node: LabNode) -> dict[str, str]:
    """The labels a kubelet registers its node with, then the scenario's own on top."""
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        HOSTNAME_LABEL: node.name,
        "topology.kubernetes.io/region": "lab",
        ZONE_LABEL: node.zone,
        "node.kubernetes.io/instance-type": "lab.small",
    }
    labels.update(node.labels)
    return labels


def node_object(node: LabNode, *, uid: str, created: str, plan: AddressPlan) -> Obj:
    """The Node as its kubelet reports it; a NotReady node's conditions turn Unknown."""
    ready = node.ready

    def cond(ctype: str, status: str, reason: str, message: str) -> Obj:
        return {
            "type": ctype,
            "status": status,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": created,
            "lastTransitionTime": created,
        }

    # The pod octet of the address plan, so podCIDR covers the node's pod IPs.
    pod_cidr = f"{plan.prefix}.{10 + node.index}.0/24"
    resources = {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"}
    unknown = "Unknown"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node.name,
            "uid": uid,
            "creationTimestamp": created,
            "labels": node_labels(node),
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": node.address},
                {"type": "Hostname", "address": node.name},
            ],
            "conditions": [
                cond(
                    "MemoryPressure",
                    "False" if ready else unknown,
                    "KubeletHasSufficientMemory" if ready else "NodeStatusUnknown",
                    "kubelet has sufficient memory available" if ready else _NOT_POSTING,
                ),
                cond(
                    "DiskPressure",
                    "False" if ready else unknown,
                    "KubeletHasNoDiskPressure" if ready else "NodeStatusUnknown",
                    "kubelet has no disk pressure" if ready else _NOT_POSTING,
                ),
                cond(
                    "PIDPressure",
                    "False" if ready else unknown,
                    "KubeletHasSufficientPID" if ready else "NodeStatusUnknown",
                    "kubelet has sufficient PID available" if ready else _NOT_POSTING,
                ),
                cond(
                    "Ready",
                    "True" if ready else unknown,
                    "KubeletReady" if ready else "NodeStatusUnknown",
                    "kubelet is posting ready status" if ready else _NOT_POSTING,
                ),
            ],
            "capacity": resources,
            "allocatable": resources,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": uid,
                "containerRuntimeVersion": "containerd://1.7.0",
                "kernelVersion": "6.1.0-lab",
                "kubeProxyVersion": KUBE_VERSION,
                "kubeletVersion": KUBE_VERSION,
                "machineID": uid.replace("-", ""),
                "operatingSystem": "linux",
                "osImage": "kpath lab",
                "systemUUID": uid,
            },
        },
    }


def pod_object(pod: PodState, node: LabNode | None, *, node_count: int) -> Obj:
    """The Pod with its defaulted spec and kubelet status.

    ``node`` is the node it runs on (None: Pending, unschedulable among ``node_count`` nodes).
    A pod on a NotReady node, or a terminating pod, is not Ready.
    """
    node_ok = node is not None and node.ready
    ready = pod.ready and node_ok and not pod.terminating
    meta: Obj = {
        "name": pod.name,
        "namespace": pod.namespace,
        "uid": pod.uid,
        "creationTimestamp": pod.created,
        "labels": dict(pod.labels),
    }
    if pod.annotations:
        meta["annotations"] = dict(pod.annotations)
    if pod.owner:
        meta["ownerReferences"] = [dict(pod.owner)]
        meta["generateName"] = pod.name.rsplit("-", 1)[0] + "-"
    if pod.terminating:
        meta["deletionTimestamp"] = _now()
        meta["deletionGracePeriodSeconds"] = 30
    spec = copy.deepcopy(pod.spec)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("serviceAccountName", "default")
    if node is None:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": spec,
            "status": {
                "phase": "Pending",
                "qosClass": "BestEffort",
                "conditions": [
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": f"0/{node_count} nodes are available.",
                        "lastTransitionTime": pod.created,
                        "lastProbeTime": None,
                    }
                ],
            },
        }
    flag = "True" if ready else "False"

    def cond(ctype: str, status: str) -> Obj:
        return {
            "type": ctype,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": pod.created,
        }

    containers = [
        {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "ready": ready,
            "restartCount": 0,
            "started": True,
            "containerID": f"containerd://{pod.uid}",
            "state": {"running": {"startedAt": pod.created}},
        }
        for c in spec.get("containers") or []
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {
            "phase": "Running",
            "conditions": [
                cond("PodReadyToStartContainers", "True"),
                cond("Initialized", "True"),
                cond("Ready", flag),
                cond("ContainersReady", flag),
                cond("PodScheduled", "True"),
            ],
            "hostIP": node.address,
            "hostIPs": [{"ip": node.address}],
            "podIP": pod.ip,
            "podIPs": [{"ip": pod.ip}],
            "startTime": pod.created,
            "qosClass": "BestEffort",
            "containerStatuses": containers,
        },
    }


def namespace_object(name: str, *, uid: str, created: str, labels: Mapping[str, str]) -> Obj:
    """An Active Namespace; the API server adds the ``kubernetes.io/metadata.name`` label."""
    all_labels = {"kubernetes.io/metadata.name": name}
    all_labels.update(labels)
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "uid": uid, "creationTimestamp": created, "labels": all_labels},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


# ---------------------------------------------------------------- services
def service_object(
    manifest: Mapping[str, Any],
    who: str,
    *,
    cluster_ip: Callable[[], str],
    node_port: Callable[[], int],
    lb_ip: Callable[[], str] | None,
) -> Obj:
    """A Service with the API server's defaults and allocated addresses (a new object).

    ``manifest`` already carries its metadata; ``who`` (``ns/name``) names it in errors. The
    allocators are called only for what the Service needs, in the API server's order: a
    cluster IP, then NodePorts port by port, then a healthCheckNodePort; ``lb_ip`` is None
    while the load balancer is pending. Raises `InputError` before allocating anything when
    the type or a port is invalid.
    """
    obj = copy.deepcopy(dict(manifest))
    spec = obj.setdefault("spec", {})
    stype = spec.setdefault("type", "ClusterIP")
    if stype not in SERVICE_TYPES:
        raise InputError(f"service {who}: unknown type {stype!r}")
    spec.setdefault("sessionAffinity", "None")
    ports = spec.get("ports") or []
    for i, port in enumerate(ports):
        if not isinstance(port, dict) or not isinstance(port.get("port"), int):
            raise InputError(f"service {who}: port #{i + 1} has no numeric 'port'")
        port.setdefault("protocol", "TCP")
        if stype != "ExternalName":
            port.setdefault("targetPort", port["port"])
    if stype == "ExternalName":
        for key in ("clusterIP", "clusterIPs"):
            spec.pop(key, None)
        obj["status"] = {"loadBalancer": {}}
        return obj
    if spec.get("clusterIP") == "None":
        spec["clusterIPs"] = ["None"]
    else:
        # A manifest's own clusterIP would lie outside loopback; the lab hands out its own.
        ip = cluster_ip()
        spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
    spec["ipFamilies"] = ["IPv4"]
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    external = stype in ("NodePort", "LoadBalancer")
    if external:
        spec.setdefault("externalTrafficPolicy", "Cluster")
    allocate = stype == "NodePort" or (
        stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True) is not False
    )
    if stype == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    for port in ports:
        if allocate and "nodePort" not in port:
            port["nodePort"] = node_port()
        elif not external:
            port.pop("nodePort", None)
    if stype == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local":
        if "healthCheckNodePort" not in spec:
            spec["healthCheckNodePort"] = node_port()
    else:
        spec.pop("healthCheckNodePort", None)
    if stype != "LoadBalancer":
        spec.pop("loadBalancerIP", None)
    status: Obj = {"loadBalancer": {}}
    if stype == "LoadBalancer" and lb_ip is not None:
        status["loadBalancer"] = {"ingress": [{"ip": lb_ip(), "ipMode": "VIP"}]}
    obj["status"] = status
    return obj


# ---------------------------------------------------------------- endpoint slices
def endpoint_groups(
    service: Mapping[str, Any], pods: Iterable[PodState], nodes: Sequence[LabNode]
) -> list[EndpointGroup]:
    """The Service's endpoints as the EndpointSlice controller groups them, by signature.

    ``nodes`` is indexed by `PodState.node`. A Service without a selector (or ExternalName)
    has none; one whose selector matches no running pod keeps one empty group, as the
    controller keeps an empty placeholder slice.
    """
    meta = service["metadata"]
    ns = meta["namespace"]
    spec = service["spec"]
    selector = spec.get("selector")
    if spec.get("type") == "ExternalName" or not selector:
        return []
    publish = bool(spec.get("publishNotReadyAddresses"))
    distribution = spec.get("trafficDistribution")
    groups: dict[PortSignature, tuple[list[Obj], list[Obj]]] = {}
    zones_known = True
    for pod in sorted(pods, key=lambda p: (p.ip or "", p.name)):
        if pod.namespace != ns or pod.ip is None or pod.node is None:
            continue
        if not selector_matches(selector, pod.labels):
            continue
        node = nodes[pod.node]
        pod_ready = pod.ready and node.ready
        ports = []
        for sp in spec.get("ports") or []:
            number = resolve_target_port(sp, pod.spec)
            if number is None:
                continue
            ep_port: Obj = {
                "name": sp.get("name", ""),
                "port": number,
                "protocol": sp.get("protocol", "TCP"),
            }
            if sp.get("appProtocol"):
                ep_port["appProtocol"] = sp["appProtocol"]
            ports.append(ep_port)
        signature = tuple((p["name"], p["port"], p["protocol"]) for p in ports)
        endpoint: Obj = {
            "addresses": [pod.ip],
            "conditions": endpoint_conditions(
                pod_ready=pod_ready, terminating=pod.terminating, publish_not_ready=publish
            ),
            "nodeName": node.name,
            "targetRef": {"kind": "Pod", "namespace": ns, "name": pod.name, "uid": pod.uid},
        }
        if node.zone:
            endpoint["zone"] = node.zone
        else:
            zones_known = False
        groups.setdefault(signature, (ports, []))[1].append(endpoint)
    if distribution in _HINTED_DISTRIBUTIONS and zones_known:
        # The trafficDistribution heuristic: each endpoint is hinted to its own zone
        # (and, for PreferSameNode, its own node).
        for _, endpoints in groups.values():
            for ep in endpoints:
                hints: Obj = {"forZones": [{"name": ep["zone"]}]}
                if distribution == "PreferSameNode":
                    hints["forNodes"] = [{"name": ep["nodeName"]}]
                ep["hints"] = hints
    if not groups:
        groups[()] = ([], [])  # the controller keeps one empty placeholder slice
    return [
        EndpointGroup(sig, ports, endpoints)
        for sig, (ports, endpoints) in sorted(groups.items(), key=lambda kv: kv[0])
    ]


def endpoint_slice(service: Mapping[str, Any], group: EndpointGroup, *, name: str, uid: str) -> Obj:
    """One group's EndpointSlice, labelled for and owned by its Service."""
    meta = service["metadata"]
    service_name = meta["name"]
    labels = dict(meta.get("labels") or {})
    labels.update({SERVICE_NAME_LABEL: service_name, MANAGED_BY_LABEL: MANAGED_BY})
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name,
            "generateName": f"{service_name}-",
            "namespace": meta["namespace"],
            "uid": uid,
            "creationTimestamp": meta["creationTimestamp"],
            "labels": labels,
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "name": service_name,
                    "uid": meta["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "addressType": "IPv4",
        "endpoints": group.endpoints,
        "ports": group.ports,
    }


# ---------------------------------------------------------------- ingress
def ingress_class(ing: Mapping[str, Any]) -> str | None:
    """``spec.ingressClassName``, else the older ``kubernetes.io/ingress.class`` annotation."""
    cls = (ing.get("spec") or {}).get("ingressClassName")
    return cls or (meta_of(ing).get("annotations") or {}).get(CLASS_ANNOTATION)


def effective_class(ing: Mapping[str, Any], ingress_classes: Mapping[str, Obj]) -> str | None:
    """The Ingress's class, or the one default IngressClass for a class-less Ingress."""
    cls = ingress_class(ing)
    if cls:
        return cls
    defaults = _defaults(ingress_classes)
    return defaults[0] if len(defaults) == 1 else None


def _defaults(ingress_classes: Mapping[str, Obj]) -> list[str]:
    return [
        n
        for n, c in ingress_classes.items()
        if (meta_of(c).get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    ]


def _controller_of(cls: str, ingress_classes: Mapping[str, Obj]) -> str | None:
    spec = (ingress_classes.get(cls) or {}).get("spec") or {}
    value = spec.get("controller")
    return str(value) if value else None


def claimed_classes(classes: Sequence[str], ingress_classes: Mapping[str, Obj]) -> set[str]:
    """The classes a controller serving ``classes`` takes: those, and every IngressClass
    naming the same ``spec.controller`` (a controller watches classes by its controller name,
    as ingress-nginx's ``--controller-class`` and traefik do)."""
    controllers = {c for c in (_controller_of(n, ingress_classes) for n in classes) if c}
    return set(classes) | {
        n for n in ingress_classes if _controller_of(n, ingress_classes) in controllers
    }


def class_served(
    ing: Mapping[str, Any], classes: Sequence[str], ingress_classes: Mapping[str, Obj]
) -> bool:
    """Whether the lab's controller, claiming ``classes``, takes this Ingress.

    Empty ``classes``: the built-in controller, which stands in for every controller that
    runs in the cluster, but never for one outside it (a cloud load balancer answers those
    Ingresses, not a pod), nor for an ``ingressClassName`` with no IngressClass (the legacy
    annotation needs none). A class-less Ingress falls to the default IngressClass if one is
    marked; with none marked, the lab's controller takes it (as one watching class-less
    Ingresses does).
    """
    cls = effective_class(ing, ingress_classes)
    if not classes:
        named = (ing.get("spec") or {}).get("ingressClassName")
        if named and named not in ingress_classes:
            return False  # a class named by the field must exist; no controller takes it
        return cls is None or not (
            {cls, _controller_of(cls, ingress_classes)} & EXTERNAL_CONTROLLERS
        )
    claimed = claimed_classes(classes, ingress_classes)
    if cls is not None:
        return cls in claimed
    defaults = _defaults(ingress_classes)
    return not defaults or any(d in claimed for d in defaults)


def ingress_object(ing: Mapping[str, Any], address: list[Obj], *, served: bool) -> Obj:
    """The Ingress with its status: the controller's address once a controller serves it."""
    obj = copy.deepcopy(dict(ing))
    obj["status"] = {"loadBalancer": {"ingress": address} if served and address else {}}
    return obj
