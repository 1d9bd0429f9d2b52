"""What a Gateway API implementation creates for each Gateway: proxy pods and their Service.

Pure functions: a Gateway (and its GatewayClass's ``controllerName``) in, the manifests a real
implementation would generate out — a Deployment of proxy pods and a LoadBalancer Service in
front of them — which the lab's scheduler then applies like any other manifest (so the pods
are placed on nodes, the Service gets NodePorts and a load-balancer address, and the
EndpointSlice controller and the data plane treat them as they treat everything else).

What the lab mimics, per ``controllerName`` (checked against each project's source):

- Envoy Gateway (``gateway.envoyproxy.io/gatewayclass-controller``): Deployment and Service
  ``envoy-<namespace>-<gateway>-<hash>`` in ``envoy-gateway-system``, where hash is the first
  8 hex digits of sha256("<namespace>/<gateway>") and the "<namespace>-<gateway>" part is cut
  at 48 characters (`GetHashedName`); labels ``app.kubernetes.io/name: envoy``,
  ``app.kubernetes.io/component: proxy``, ``app.kubernetes.io/managed-by: envoy-gateway``,
  ``gateway.envoyproxy.io/owning-gateway-name`` and ``-namespace``; privileged listener ports
  listen on port + 10000 in the pod (`servicePortToContainerPort`: 80 -> 10080); the Service
  is ``externalTrafficPolicy: Local`` by default.
- Istio (``istio.io/gateway-controller``): ``<gateway>-<class>`` in the Gateway's namespace,
  labels ``gateway.networking.k8s.io/gateway-name``, ``istio.io/gateway-name`` and
  ``gateway.istio.io/managed: istio.io-gateway-controller``; Service ports: ``status-port``
  15021 first, then one per distinct listener port named after its first listener with
  ``appProtocol`` the protocol in lower case (`extractServicePorts`); pods listen on the
  listener port itself; Cluster policy.
- NGINX Gateway Fabric (``gateway.nginx.org/nginx-gateway-controller``): ``<gateway>-<class>``
  (`CreateNginxResourceName`) in the Gateway's namespace, labels
  ``gateway.networking.k8s.io/gateway-name`` and ``app.kubernetes.io/name: <that name>``;
  ports named ``port-<n>`` on the listener port; Local policy (the chart's default).
- Cilium (``io.cilium/gateway-controller``): Service ``cilium-gateway-<gateway>`` in the
  Gateway's namespace with ``io.cilium.gateway/owning-gateway`` and
  ``gateway.networking.k8s.io/gateway-name``. Real Cilium runs no pods per Gateway (each
  node's own Envoy catches the traffic, and the Service has no selector); the lab stands
  proxy pods of that name behind a selector instead, so the hop can be probed alike.
- anything else: ``<gateway>`` in the Gateway's namespace with the Gateway API's recommended
  ``gateway.networking.k8s.io/gateway-name`` label; Cluster policy.

A Gateway's ``spec.infrastructure`` labels and annotations are copied onto the Service and
the proxy pods (GEP-1867), under the implementation's own labels. The scenario header's
``gatewayInfrastructure`` sets, per Gateway, the policy, the replica
count and the nodes the proxy pods may run on (a required node affinity on the hostname,
as a real installation pins pods). The listeners of ListenerSets naming a Gateway as their
parent add their ports too (as Envoy Gateway does); whether the Gateway lets a ListenerSet
attach is the controller's call, so a port may be open with no listener serving it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

ENVOY = "gateway.envoyproxy.io/gatewayclass-controller"
ISTIO = "istio.io/gateway-controller"
NGINX = "gateway.nginx.org/nginx-gateway-controller"
CILIUM = "io.cilium/gateway-controller"
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
ENVOY_NAMESPACE = "envoy-gateway-system"
POLICIES = ("Local", "Cluster")


@dataclass(frozen=True)
class GatewayInfraSpec:
    """A scenario's say over one Gateway's generated infrastructure (None: the default)."""

    external_traffic_policy: str | None = None  # Local | Cluster
    replicas: int | None = None
    nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class GatewayInfra:
    """What the lab generates for one Gateway.

    ``ports`` maps each listener port to the container port the proxy pods listen on;
    ``protocols`` gives each listener port's protocols (HTTP, HTTPS, TLS, TCP, UDP).
    """

    gateway: tuple[str, str]  # (namespace, name)
    controller: str
    service: tuple[str, str]  # (namespace, name) of the generated Service
    workload: tuple[str, str]  # (namespace, name) of the proxy Deployment
    ports: Mapping[int, int]
    protocols: Mapping[int, tuple[str, ...]]
    manifests: list[Obj] = field(default_factory=list)
    #: listener hostnames per listener port (the names a TLS certificate there carries)
    hostnames: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _envoy_name(namespace: str, gateway: str) -> str:
    ns_name = f"{namespace}/{gateway}"
    digest = hashlib.sha256(ns_name.encode()).hexdigest()[:8]
    base = ns_name.replace("/", "-")
    if len(base) > 48:
        base = base[:48].rstrip("-")
    return f"envoy-{base}-{digest}"


def listeners_by_port(
    gateway: Mapping[str, Any], listener_sets: Sequence[Mapping[str, Any]] = ()
) -> dict[int, list[Obj]]:
    """The listeners of a Gateway and of ``listener_sets`` grouped by port, in spec order
    (well-formed ones only)."""
    out: dict[int, list[Obj]] = {}
    listeners = list((gateway.get("spec") or {}).get("listeners") or [])
    for ls in listener_sets:
        listeners += (ls.get("spec") or {}).get("listeners") or []
    for listener in listeners:
        if not isinstance(listener, Mapping):
            continue
        port = listener.get("port")
        if isinstance(port, int) and 1 <= port <= 65535:
            out.setdefault(port, []).append(dict(listener))
    return out


def infrastructure(
    gateway: Mapping[str, Any],
    gateway_class: Mapping[str, Any],
    spec: GatewayInfraSpec | None = None,
    listener_sets: Sequence[Mapping[str, Any]] = (),
) -> GatewayInfra:
    """The Deployment and LoadBalancer Service an implementation generates for ``gateway``
    (with the ports of the ``listener_sets`` that name it as their parent)."""
    spec = spec or GatewayInfraSpec()
    meta = _meta(gateway)
    gw_ns = str(meta.get("namespace") or "default")
    gw_name = str(meta.get("name"))
    class_name = str(_meta(gateway_class).get("name") or "")
    controller = str((gateway_class.get("spec") or {}).get("controllerName") or "")
    by_port = listeners_by_port(gateway, listener_sets)

    policy = "Cluster"
    container_port = _same
    owner = True  # the Service lives next to its Gateway, which owns it
    if controller == ENVOY:
        namespace, name = ENVOY_NAMESPACE, _envoy_name(gw_ns, gw_name)
        labels = {
            "app.kubernetes.io/name": "envoy",
            "app.kubernetes.io/component": "proxy",
            "app.kubernetes.io/managed-by": "envoy-gateway",
            "gateway.envoyproxy.io/owning-gateway-name": gw_name,
            "gateway.envoyproxy.io/owning-gateway-namespace": gw_ns,
        }
        selector, policy, container_port, owner = dict(labels), "Local", _envoy_port, False
        container, image = "envoy", "docker.io/envoyproxy/envoy:distroless-v1.36.0"
    elif controller == ISTIO:
        namespace, name = gw_ns, f"{gw_name}-{class_name}"
        labels = {
            GATEWAY_NAME_LABEL: gw_name,
            "istio.io/gateway-name": gw_name,
            "gateway.istio.io/managed": "istio.io-gateway-controller",
        }
        selector = {GATEWAY_NAME_LABEL: gw_name}
        container, image = "istio-proxy", "docker.io/istio/proxyv2:1.28.0"
    elif controller == NGINX:
        namespace, name = gw_ns, f"{gw_name}-{class_name}"
        labels = {GATEWAY_NAME_LABEL: gw_name, "app.kubernetes.io/name": name}
        selector, policy = dict(labels), "Local"
        container, image = "nginx", "ghcr.io/nginx/nginx-gateway-fabric/nginx:2.2.0"
    elif controller == CILIUM:
        namespace, name = gw_ns, f"cilium-gateway-{gw_name}"
        labels = {"io.cilium.gateway/owning-gateway": gw_name, GATEWAY_NAME_LABEL: gw_name}
        selector = dict(labels)
        container, image = "envoy", "quay.io/cilium/cilium-envoy:v1.35"
    else:
        namespace, name = gw_ns, gw_name
        labels = {GATEWAY_NAME_LABEL: gw_name}
        selector = dict(labels)
        container, image = "proxy", "kpath.lab/gateway-proxy:1"
    policy = spec.external_traffic_policy or policy
    # GEP-1867: spec.infrastructure's labels and annotations go on what is generated (the
    # implementation's own labels win a clash, so its selector keeps working).
    infra_spec = (gateway.get("spec") or {}).get("infrastructure") or {}
    extra_labels = {str(k): str(v) for k, v in (infra_spec.get("labels") or {}).items()}
    annotations = {str(k): str(v) for k, v in (infra_spec.get("annotations") or {}).items()}
    labels = {**extra_labels, **labels}

    ports: dict[int, int] = {}
    protocols: dict[int, tuple[str, ...]] = {}
    service_ports: list[Obj] = []
    container_ports: list[Obj] = []
    if controller == ISTIO:
        service_ports.append(
            {
                "name": "status-port",
                "port": 15021,
                "protocol": "TCP",
                "appProtocol": "tcp",
                "targetPort": 15021,
            }
        )
        container_ports.append({"name": "status-port", "containerPort": 15021, "protocol": "TCP"})
    for index, (port, listeners) in enumerate(sorted(by_port.items())):
        kinds = tuple(dict.fromkeys(str(lst.get("protocol") or "") for lst in listeners))
        protocols[port] = kinds
        transport = "UDP" if kinds == ("UDP",) else "TCP"
        target = container_port(port)
        ports[port] = target
        first = listeners[0]
        svc_port: Obj = {
            "name": _port_name(controller, first, port, index),
            "port": port,
            "protocol": transport,
            "targetPort": target,
        }
        if controller == ISTIO:
            svc_port["appProtocol"] = str(first.get("protocol") or "").lower()
        service_ports.append(svc_port)
        container_ports.append(
            {
                "name": f"{transport.lower()}-{target}"[:15],
                "containerPort": target,
                "protocol": transport,
            }
        )
    meta_common: Obj = {"name": name, "namespace": namespace, "labels": dict(labels)}
    if annotations:
        meta_common["annotations"] = dict(annotations)
    service_meta = {k: (dict(v) if isinstance(v, dict) else v) for k, v in meta_common.items()}
    uid = meta.get("uid")
    if owner and uid:
        service_meta["ownerReferences"] = [
            {
                "apiVersion": str(gateway.get("apiVersion") or "gateway.networking.k8s.io/v1"),
                "kind": "Gateway",
                "name": gw_name,
                "uid": uid,
                "controller": True,
            }
        ]
    pod_spec: Obj = {"containers": [{"name": container, "image": image, "ports": container_ports}]}
    if spec.nodes:
        pod_spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/hostname",
                                    "operator": "In",
                                    "values": list(spec.nodes),
                                }
                            ]
                        }
                    ]
                }
            }
        }
    deployment: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": dict(meta_common),
        "spec": {
            "replicas": 1 if spec.replicas is None else spec.replicas,
            "selector": {"matchLabels": dict(selector)},
            "template": {
                "metadata": {
                    "labels": dict(labels),
                    **({"annotations": dict(annotations)} if annotations else {}),
                },
                "spec": pod_spec,
            },
        },
    }
    service: Obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": service_meta,
        "spec": {
            "type": "LoadBalancer",
            "selector": dict(selector),
            "externalTrafficPolicy": policy,
            "ports": service_ports,
        },
    }
    manifests: list[Obj] = []
    if namespace == ENVOY_NAMESPACE:
        manifests.append(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ENVOY_NAMESPACE}}
        )
    manifests += [deployment, service]
    hostnames = {
        port: tuple(str(lst["hostname"]) for lst in listeners if lst.get("hostname"))
        for port, listeners in by_port.items()
    }
    return GatewayInfra(
        (gw_ns, gw_name),
        controller,
        (namespace, name),
        (namespace, name),
        ports,
        protocols,
        manifests,
        hostnames,
    )


def _same(port: int) -> int:
    return port


def _envoy_port(port: int) -> int:
    return port + 10000 if port < 1024 else port


def _port_name(controller: str, listener: Mapping[str, Any], port: int, index: int) -> str:
    protocol = str(listener.get("protocol") or "tcp").lower()
    if controller == ISTIO:
        return str(listener.get("name") or f"{protocol}-{index}")
    if controller == ENVOY:
        return f"{protocol}-{port}"
    return f"port-{port}"


def plan_infrastructure(
    gateways: Sequence[Mapping[str, Any]],
    classes: Mapping[str, Mapping[str, Any]],
    specs: Mapping[str, GatewayInfraSpec],
    listener_sets: Sequence[Mapping[str, Any]] = (),
) -> list[GatewayInfra]:
    """Infrastructure for every Gateway whose class exists (the lab implements each class's
    controller, as if its installer had run); Gateways of a missing class get none."""
    out = []
    for gw in gateways:
        meta = _meta(gw)
        cls = classes.get(str((gw.get("spec") or {}).get("gatewayClassName") or ""))
        if cls is None:
            continue
        ns, name = str(meta.get("namespace") or "default"), str(meta.get("name"))
        children = [ls for ls in listener_sets if _parent_of(ls) == (ns, name)]
        out.append(infrastructure(gw, cls, specs.get(f"{ns}/{name}"), children))
    return out


def _parent_of(listener_set: Mapping[str, Any]) -> tuple[str, str] | None:
    """The Gateway a ListenerSet's ``spec.parentRef`` names (its own namespace by default)."""
    ref = (listener_set.get("spec") or {}).get("parentRef") or {}
    if (ref.get("kind") or "Gateway") != "Gateway" or not ref.get("name"):
        return None
    own = str(_meta(listener_set).get("namespace") or "default")
    return str(ref.get("namespace") or own), str(ref["name"])


def service_protocol(protocols: Sequence[str]) -> str:
    """How a proxy serves one listener port: ``http``, ``https`` (terminate, HTTP inside),
    ``tls`` (TLS listeners: passthrough or terminate by SNI), ``tcp`` or ``udp``."""
    if "TLS" in protocols:
        return "tls"
    if "HTTPS" in protocols:
        return "https"
    if "HTTP" in protocols:
        return "http"
    if "TCP" in protocols:
        return "tcp"
    return "udp" if "UDP" in protocols else "tcp"
