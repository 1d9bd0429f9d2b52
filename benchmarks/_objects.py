"""API object shapes for the scale generator, as `kubectl get -o json` prints them.

Each builder returns a plain dict with every field a live API server fills in (managedFields,
uid, resourceVersion, status, …), so the generated dump weighs what a real one does. Pods
are built once per workload with `@@field@@` placeholders and turned into a %-format
template (`template`), because rendering 150,000 pods one dict at a time would dominate
the generator's run time; everything else is small enough to build per object.

Only the generator imports this module; nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

#: Item indentation inside an indented kubectl List (`items` is at 4, each item at 8).
ITEM_INDENT = " " * 8

#: List keys whose managedFields entries are keyed by these fields (`k:{...}`), as the API
#: server's structured-merge-diff schema does; other lists are atomic (`f:name: {}`).
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "ports": ("containerPort", "protocol"),
    "conditions": ("type",),
    "podIPs": ("ip",),
    "hostIPs": ("ip",),
    "addresses": ("type",),
    "taints": ("key",),
}
_ATOMIC = frozenset({"containerStatuses", "tolerations", "images", "sources", "podCIDRs"})


def render(obj: Obj, indent: bool = False) -> str:
    """One List item with sorted keys, as the API server sends it (compact) or as
    `kubectl get -o json` prints it (`indent`: 4 spaces, shifted into `items`)."""
    if not indent:
        return json.dumps(obj, separators=(",", ":"), sort_keys=True)
    text = json.dumps(obj, indent=4, sort_keys=True)
    return ITEM_INDENT + text.replace("\n", "\n" + ITEM_INDENT)


_INT_SLOT = re.compile(r'"@@(\w+)#@@"')
_STR_SLOT = re.compile(r"@@(\w+)@@")


def template(obj: Obj, indent: bool = False) -> str:
    """A rendered item whose `@@name@@` strings become `%(name)s` (and `"@@n#@@"` → `%(n)d`).

    Filling it with `%` costs a few microseconds, against a millisecond for `render`.
    """
    text = render(obj, indent).replace("%", "%%")
    text = _INT_SLOT.sub(r"%(\1)d", text)
    return _STR_SLOT.sub(r"%(\1)s", text)


def fields_v1(value: Any, key: str = "") -> Any:
    """The managedFields `fieldsV1` tree that owns every field of `value`."""
    if isinstance(value, dict):
        out: Obj = {".": {}} if key else {}
        for k, v in value.items():
            out[f"f:{k}"] = fields_v1(v, k)
        return out
    if isinstance(value, list) and key in _LIST_KEYS and key not in _ATOMIC:
        out = {".": {}}
        for item in value:
            if isinstance(item, dict):
                ident = {k: item.get(k) for k in _LIST_KEYS[key] if k in item}
                out["k:" + json.dumps(ident, separators=(",", ":"))] = fields_v1(item, "item")
        return out
    return {}


def managed(
    manager: str,
    time: str,
    fields: Obj,
    subresource: str | None = None,
    api_version: str = "v1",
    operation: str = "Update",
) -> Obj:
    entry: Obj = {
        "apiVersion": api_version,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
        "manager": manager,
        "operation": operation,
        "time": time,
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


# ---------------------------------------------------------------------------------- nodes


@dataclass(frozen=True)
class NodeSpec:
    name: str
    zone: str
    region: str
    ip: str
    pod_cidr: str
    uid: str
    created: str
    heartbeat: str
    resource_version: int
    ready: bool
    unschedulable: bool
    control_plane: bool
    instance_type: str


_NODE_IMAGES: tuple[tuple[str, int], ...] = (
    ("registry.example.com/platform/node-agent", 98_231_554),
    ("registry.example.com/platform/log-shipper", 61_772_318),
    ("registry.example.com/kube-proxy", 30_523_401),
    ("registry.example.com/cni/calico-node", 88_114_203),
    ("registry.example.com/cni/calico-cni", 74_211_006),
    ("registry.example.com/coredns/coredns", 16_190_758),
    ("registry.example.com/pause", 320_368),
    ("registry.example.com/platform/envoy", 64_018_112),
    ("registry.example.com/monitoring/node-exporter", 11_220_983),
    ("registry.example.com/csi/ebs-plugin", 36_871_003),
)


def node(n: NodeSpec) -> Obj:
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": n.instance_type,
        "beta.kubernetes.io/os": "linux",
        "failure-domain.beta.kubernetes.io/region": n.region,
        "failure-domain.beta.kubernetes.io/zone": n.zone,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": n.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": n.instance_type,
        "topology.kubernetes.io/region": n.region,
        "topology.kubernetes.io/zone": n.zone,
    }
    taints: list[Obj] = []
    if n.control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
        taints.append({"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"})
    if n.unschedulable:
        taints.append(
            {
                "effect": "NoSchedule",
                "key": "node.kubernetes.io/unschedulable",
                "timeAdded": n.heartbeat,
            }
        )
    if not n.ready:
        taints.append(
            {
                "effect": "NoSchedule",
                "key": "node.kubernetes.io/unreachable",
                "timeAdded": n.heartbeat,
            }
        )
        taints.append(
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/unreachable",
                "timeAdded": n.heartbeat,
            }
        )
    spec: Obj = {
        "podCIDR": n.pod_cidr,
        "podCIDRs": [n.pod_cidr],
        "providerID": f"example://{n.zone}/{n.name}",
    }
    if taints:
        spec["taints"] = taints
    if n.unschedulable:
        spec["unschedulable"] = True

    def cond(kind: str, ok: str, reason: str, message: str) -> Obj:
        return {
            "lastHeartbeatTime": n.heartbeat,
            "lastTransitionTime": n.created,
            "message": message,
            "reason": reason,
            "status": ok,
            "type": kind,
        }

    if n.ready:
        ready = cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")
        pressure = "False"
    else:
        ready = cond(
            "Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."
        )
        pressure = "Unknown"
    status: Obj = {
        "addresses": [
            {"address": n.ip, "type": "InternalIP"},
            {"address": n.name, "type": "Hostname"},
            {"address": f"{n.name}.{n.region}.compute.internal", "type": "InternalDNS"},
        ],
        "allocatable": {
            "cpu": "7910m",
            "ephemeral-storage": "95491281146",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": "31482364Ki",
            "pods": "110",
        },
        "capacity": {
            "cpu": "8",
            "ephemeral-storage": "104845292Ki",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": "32496124Ki",
            "pods": "110",
        },
        "conditions": [
            cond(
                "MemoryPressure",
                pressure,
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            cond(
                "DiskPressure", pressure, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"
            ),
            cond(
                "PIDPressure",
                pressure,
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
            ready,
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "images": [
            {
                "names": [f"{image}@sha256:{size:064x}", f"{image}:v1.{size % 9}.{size % 7}"],
                "sizeBytes": size,
            }
            for image, size in _NODE_IMAGES
        ],
        "nodeInfo": {
            "architecture": "amd64",
            "bootID": n.uid,
            "containerRuntimeVersion": "containerd://1.7.22",
            "kernelVersion": "6.1.112-124.190.amzn2023.x86_64",
            "kubeProxyVersion": "v1.31.2",
            "kubeletVersion": "v1.31.2",
            "machineID": n.uid.replace("-", ""),
            "operatingSystem": "linux",
            "osImage": "Linux 2023",
            "systemUUID": n.uid,
        },
    }
    meta: Obj = {
        "annotations": {
            "csi.volume.kubernetes.io/nodeid": json.dumps({"ebs.csi.example.com": n.name}),
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        },
        "creationTimestamp": n.created,
        "labels": labels,
        "name": n.name,
        "resourceVersion": str(n.resource_version),
        "uid": n.uid,
    }
    meta["managedFields"] = [
        managed(
            "kubelet",
            n.created,
            {"f:metadata": fields_v1({"annotations": meta["annotations"], "labels": labels})},
        ),
        managed(
            "kube-controller-manager",
            n.created,
            {"f:spec": fields_v1({"podCIDR": 1, "podCIDRs": 1})},
        ),
        managed(
            "kubelet",
            n.heartbeat,
            {
                "f:status": fields_v1(
                    {k: status[k] for k in ("addresses", "conditions", "images", "nodeInfo")}
                )
            },
            subresource="status",
        ),
    ]
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": spec, "status": status}


# ----------------------------------------------------------------------------------- pods


@dataclass
class Workload:
    """A Deployment's ReplicaSet or a DaemonSet: everything its pods share."""

    namespace: str
    name: str
    owner_kind: str  # ReplicaSet | DaemonSet
    owner_name: str
    owner_uid: str
    labels: dict[str, str]
    image: str
    #: (name, containerPort) of the main container
    ports: list[tuple[str, int]]
    sidecar: bool = False
    host_network: bool = False
    annotations: dict[str, str] = field(default_factory=dict)
    service_account: str = "default"
    replicas: int = 0
    #: filled when pods are placed: (name, node index or -1, ip, state, uid)
    pods: list[tuple[str, int, str, str, str]] = field(default_factory=list)

    @property
    def main_port(self) -> int:
        return self.ports[0][1]


#: Pod states the generator draws: how a pod looks and how its endpoint is marked.
READY, NOT_READY, TERMINATING, PENDING = "ready", "notready", "terminating", "pending"


def _probe(port: Any, path: str, delay: int) -> Obj:
    return {
        "failureThreshold": 3,
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "initialDelaySeconds": delay,
        "periodSeconds": 10,
        "successThreshold": 1,
        "timeoutSeconds": 1,
    }


def _main_container(w: Workload) -> Obj:
    env = [
        {
            "name": "POD_NAME",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
        },
        {"name": "LOG_LEVEL", "value": "info"},
    ]
    mounts = [
        {
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            "name": "kube-api-access-@@vol@@",
            "readOnly": True,
        },
    ]
    first = w.ports[0][0]
    return {
        "env": env,
        "image": w.image,
        "imagePullPolicy": "IfNotPresent",
        "name": "app",
        "ports": [{"containerPort": p, "name": n, "protocol": "TCP"} for n, p in w.ports],
        "readinessProbe": _probe(first, "/ready", 5),
        "resources": {
            "limits": {"cpu": "1", "memory": "512Mi"},
            "requests": {"cpu": "100m", "memory": "256Mi"},
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": mounts,
    }


def _sidecar_container() -> Obj:
    return {
        "args": ["--config", "/etc/shipper/config.yaml"],
        "image": "registry.example.com/platform/log-shipper:v2.3.1",
        "imagePullPolicy": "IfNotPresent",
        "name": "log-shipper",
        "ports": [{"containerPort": 2020, "name": "shipper-metrics", "protocol": "TCP"}],
        "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "10m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            {
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "name": "kube-api-access-@@vol@@",
                "readOnly": True,
            },
        ],
    }


def _container_status(name: str, image: str, state: str, cid: str) -> Obj:
    ready = state == READY
    status: Obj = {
        "containerID": f"containerd://@@{cid}@@",
        "image": image,
        "imageID": image.split(":")[0] + "@sha256:" + f"{abs(_stable(image)):064x}"[-64:],
        "lastState": {},
        "name": name,
        "ready": ready,
        "restartCount": "@@restarts#@@",
        "started": True,
        "state": {"running": {"startedAt": "@@t1@@"}},
    }
    if state == NOT_READY:
        status["lastState"] = {
            "terminated": {
                "containerID": f"containerd://@@{cid}@@",
                "exitCode": 137,
                "finishedAt": "@@t1@@",
                "reason": "OOMKilled",
                "startedAt": "@@t0@@",
            }
        }
    return status


def _stable(text: str) -> int:
    """A hash of text that is the same in every run (str hash is salted per process)."""
    value = 1469598103934665603
    for ch in text.encode():
        value = ((value ^ ch) * 1099511628211) & ((1 << 256) - 1)
    return value


def _pod_conditions(state: str) -> list[Obj]:
    def cond(kind: str, ok: bool, reason: str | None = None, message: str | None = None) -> Obj:
        c: Obj = {
            "lastProbeTime": None,
            "lastTransitionTime": "@@t1@@",
            "status": "True" if ok else "False",
            "type": kind,
        }
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        return c

    if state == PENDING:
        return [
            cond(
                "PodScheduled",
                False,
                "Unschedulable",
                "0/@@nodes@@ nodes are available: insufficient cpu. preemption: 0/@@nodes@@"
                " nodes are available: No preemption victims found for incoming pod.",
            )
        ]
    ready = state == READY
    unready = (
        (None, None) if ready else ("ContainersNotReady", "containers with unready status: [app]")
    )
    return [
        cond("Initialized", True),
        cond("Ready", ready, *unready),
        cond("ContainersReady", ready, *unready),
        cond("PodScheduled", True),
    ]


def pod(w: Workload, state: str) -> Obj:
    """A pod of this workload with placeholders for what differs from pod to pod."""
    containers = [_main_container(w)]
    if w.sidecar:
        containers.append(_sidecar_container())
    meta: Obj = {
        "creationTimestamp": "@@t0@@",
        "generateName": f"{w.owner_name}-",
        "labels": dict(w.labels),
        "name": "@@name@@",
        "namespace": w.namespace,
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "blockOwnerDeletion": True,
                "controller": True,
                "kind": w.owner_kind,
                "name": w.owner_name,
                "uid": w.owner_uid,
            }
        ],
        "resourceVersion": "@@rv@@",
        "uid": "@@uid@@",
    }
    if w.annotations:
        meta["annotations"] = dict(w.annotations)
    if state == TERMINATING:
        meta["deletionGracePeriodSeconds"] = 30
        meta["deletionTimestamp"] = "@@t1@@"
    spec: Obj = {
        "containers": containers,
        "dnsPolicy": "ClusterFirstWithHostNet" if w.host_network else "ClusterFirst",
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": w.service_account,
        "serviceAccountName": w.service_account,
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
        ],
        "volumes": [
            {
                "name": "kube-api-access-@@vol@@",
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                "name": "kube-root-ca.crt",
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "fieldRef": {
                                            "apiVersion": "v1",
                                            "fieldPath": "metadata.namespace",
                                        },
                                        "path": "namespace",
                                    }
                                ]
                            }
                        },
                    ],
                },
            },
        ],
    }
    if w.host_network:
        spec["hostNetwork"] = True
        spec["priorityClassName"] = "system-node-critical"
        spec["tolerations"] = [{"operator": "Exists"}]
    if state != PENDING:
        spec["nodeName"] = "@@node@@"
    status: Obj = {
        "conditions": _pod_conditions(state),
        "phase": "Pending" if state == PENDING else "Running",
        "qosClass": "Burstable",
    }
    if state != PENDING:
        statuses = [_container_status("app", w.image, state, "cid")]
        if w.sidecar:
            statuses.append(_container_status("log-shipper", containers[1]["image"], READY, "cid2"))
        status.update(
            {
                "containerStatuses": statuses,
                "hostIP": "@@host@@",
                "hostIPs": [{"ip": "@@host@@"}],
                "podIP": "@@ip@@",
                "podIPs": [{"ip": "@@ip@@"}],
                "startTime": "@@t0@@",
            }
        )
    meta["managedFields"] = [
        managed(
            "kube-controller-manager",
            "@@t0@@",
            {
                "f:metadata": fields_v1(
                    {k: meta[k] for k in ("generateName", "labels", "ownerReferences")}
                ),
                "f:spec": fields_v1({k: v for k, v in spec.items() if k != "nodeName"}),
            },
        ),
    ]
    if state != PENDING:
        meta["managedFields"].append(
            managed("kubelet", "@@t1@@", {"f:status": fields_v1(status)}, subresource="status")
        )
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


# ------------------------------------------------------------------------------- services


@dataclass(frozen=True)
class PortSpec:
    name: str | None
    port: int
    target: int | str
    node_port: int | None
    #: the container port the endpoint controller resolved, None when no pod exposes it
    resolved: int | None


@dataclass
class ServiceSpec:
    namespace: str
    name: str
    type: str  # ClusterIP | NodePort | LoadBalancer | ExternalName
    uid: str
    created: str
    resource_version: int
    workload: int | None  # index into the workload list
    selector: dict[str, str] | None
    ports: list[PortSpec]
    cluster_ip: str | None  # None for ExternalName, "None" for headless
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    external_policy: str = "Cluster"
    health_check_port: int | None = None
    lb_ingress: list[Obj] | None = None  # None: no status (pending or not a LoadBalancer)
    external_name: str | None = None
    topology_hints: bool = False


def service(s: ServiceSpec) -> Obj:
    spec: Obj = {"sessionAffinity": "None", "type": s.type}
    if s.type == "ExternalName":
        spec["externalName"] = s.external_name
    else:
        spec.update(
            {
                "clusterIP": s.cluster_ip,
                "clusterIPs": [s.cluster_ip],
                "internalTrafficPolicy": "Cluster",
                "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack",
            }
        )
    ports = []
    for p in s.ports:
        port: Obj = {"port": p.port, "protocol": "TCP", "targetPort": p.target}
        if p.name:
            port["name"] = p.name
        if p.node_port:
            port["nodePort"] = p.node_port
        ports.append(port)
    if ports:
        spec["ports"] = ports
    if s.selector is not None:
        spec["selector"] = s.selector
    if s.type in ("NodePort", "LoadBalancer"):
        spec["externalTrafficPolicy"] = s.external_policy
    if s.type == "LoadBalancer":
        spec["allocateLoadBalancerNodePorts"] = True
    if s.health_check_port:
        spec["healthCheckNodePort"] = s.health_check_port
    meta: Obj = {
        "creationTimestamp": s.created,
        "labels": s.labels,
        "name": s.name,
        "namespace": s.namespace,
        "resourceVersion": str(s.resource_version),
        "uid": s.uid,
    }
    if s.annotations:
        meta["annotations"] = s.annotations
    meta["managedFields"] = [
        managed(
            "helm",
            s.created,
            {
                "f:metadata": fields_v1(
                    {k: meta[k] for k in ("labels", "annotations") if k in meta}
                ),
                "f:spec": fields_v1(
                    {
                        k: v
                        for k, v in spec.items()
                        if k not in ("clusterIP", "clusterIPs", "healthCheckNodePort")
                    }
                ),
            },
        )
    ]
    status: Obj = {"loadBalancer": {}}
    if s.lb_ingress is not None:
        status["loadBalancer"] = {"ingress": s.lb_ingress}
        meta["managedFields"].append(
            managed(
                "service-controller",
                s.created,
                {"f:status": {"f:loadBalancer": {"f:ingress": {}}}},
                subresource="status",
            )
        )
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec, "status": status}


def endpoint_slice(
    s: ServiceSpec,
    name: str,
    uid: str,
    created: str,
    resource_version: int,
    endpoints: Sequence[Obj] | None,
) -> Obj:
    """One slice as the endpointslice controller writes it."""
    ports: list[Obj] | None = None
    if endpoints is not None:
        ports = [
            {"name": p.name or "", "port": p.resolved, "protocol": "TCP"}
            for p in s.ports
            if p.resolved is not None
        ]
    labels = dict(s.labels)
    labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io"
    labels["kubernetes.io/service-name"] = s.name
    meta: Obj = {
        "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": created},
        "creationTimestamp": created,
        "generateName": f"{s.name}-",
        "generation": 1 + resource_version % 7,
        "labels": labels,
        "name": name,
        "namespace": s.namespace,
        "ownerReferences": [
            {
                "apiVersion": "v1",
                "blockOwnerDeletion": True,
                "controller": True,
                "kind": "Service",
                "name": s.name,
                "uid": s.uid,
            }
        ],
        "resourceVersion": str(resource_version),
        "uid": uid,
    }
    meta["managedFields"] = [
        managed(
            "kube-controller-manager",
            created,
            {
                "f:addressType": {},
                "f:endpoints": {},
                "f:metadata": fields_v1(
                    {
                        k: meta[k]
                        for k in ("annotations", "generateName", "labels", "ownerReferences")
                    }
                ),
                "f:ports": {},
            },
            api_version="discovery.k8s.io/v1",
        )
    ]
    return {
        "addressType": "IPv4",
        "apiVersion": "discovery.k8s.io/v1",
        "endpoints": list(endpoints) if endpoints else None,
        "kind": "EndpointSlice",
        "metadata": meta,
        "ports": ports,
    }


def endpoint(
    ip: str,
    pod_name: str,
    namespace: str,
    pod_uid: str,
    node_name: str,
    zone: str,
    state: str,
    serving_while_terminating: bool,
    hinted: bool,
) -> Obj:
    ready = state == READY
    serving = ready or (state == TERMINATING and serving_while_terminating)
    ep: Obj = {
        "addresses": [ip],
        "conditions": {"ready": ready, "serving": serving, "terminating": state == TERMINATING},
        "nodeName": node_name,
        "targetRef": {"kind": "Pod", "name": pod_name, "namespace": namespace, "uid": pod_uid},
        "zone": zone,
    }
    if hinted:
        ep["hints"] = {"forZones": [{"name": zone}]}
    return ep


# ------------------------------------------------------------------------------ ingresses


def ingress(
    namespace: str,
    name: str,
    uid: str,
    created: str,
    resource_version: int,
    class_name: str,
    rules: list[Obj],
    tls_hosts: list[str],
    lb_ingress: list[Obj] | None,
    annotations: Mapping[str, str],
) -> Obj:
    spec: Obj = {"ingressClassName": class_name, "rules": rules}
    if tls_hosts:
        spec["tls"] = [{"hosts": tls_hosts, "secretName": f"{name}-tls"}]
    meta: Obj = {
        "annotations": dict(annotations),
        "creationTimestamp": created,
        "generation": 1,
        "name": name,
        "namespace": namespace,
        "resourceVersion": str(resource_version),
        "uid": uid,
    }
    meta["managedFields"] = [
        managed(
            "kubectl-client-side-apply",
            created,
            {
                "f:metadata": fields_v1({"annotations": meta["annotations"]}),
                "f:spec": fields_v1(spec),
            },
            api_version="networking.k8s.io/v1",
        )
    ]
    status: Obj = {"loadBalancer": {"ingress": lb_ingress} if lb_ingress else {}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


def ingress_class(name: str, controller: str, uid: str, created: str, default: bool) -> Obj:
    meta: Obj = {
        "creationTimestamp": created,
        "generation": 1,
        "labels": {"app.kubernetes.io/name": name},
        "name": name,
        "resourceVersion": "1042",
        "uid": uid,
    }
    if default:
        meta["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": meta,
        "spec": {"controller": controller},
    }
