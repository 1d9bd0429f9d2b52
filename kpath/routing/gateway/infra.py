"""A Gateway's own infrastructure Service: the address its listeners are served on.

Implementations provision the proxies behind a Gateway differently, and say so in labels
and names (read from each project's own provisioning code):

- **the Gateway API's label** ``gateway.networking.k8s.io/gateway-name: <gateway>`` on a
  Service in the Gateway's namespace (GEP-1762). Istio (its deployment template labels every
  object with it and ``istio.io/gateway-name``), NGINX Gateway Fabric 2.x (``GatewayLabel``
  in its provisioner's ``buildNginxResourceObjects``), Cilium (its gateway reconciler sets it
  next to its own label) and Envoy Gateway in GatewayNamespace mode all set it.
- **Envoy Gateway** (``internal/infrastructure/kubernetes/proxy``): Services in its own
  namespace (``envoy-gateway-system`` by default), named ``envoy-<ns>-<name>-<hash>``, labelled
  ``gateway.envoyproxy.io/owning-gateway-name`` and ``-namespace``; with merged gateways one
  Service per class, labelled ``gateway.envoyproxy.io/owning-gatewayclass``.
  ``externalTrafficPolicy: Local`` by default.
- **Istio**: ``istio.io/gateway-name``, else the Service ``<gateway>-<class>``.
- **NGINX Gateway Fabric** 2.x: the Service ``<gateway>-<class>`` (``CreateNginxResourceName``),
  LoadBalancer with ``externalTrafficPolicy: Local`` by default; 1.x ran one data plane for
  every Gateway, the Service labelled ``app.kubernetes.io/name: nginx-gateway``.
- **Cilium** (``operator/pkg/gateway-api``): ``io.cilium.gateway/owning-gateway: <gateway>``
  (deprecated for the Gateway API label), the Service ``cilium-gateway-<gateway>``.
- **Traefik** provisions nothing per Gateway: its own Service (Helm chart labels
  ``app.kubernetes.io/name: traefik``) serves every Gateway of its class, listener ports
  being its entry points.

Failing those, a LoadBalancer (or externalIP) Service whose address the Gateway publishes in
``status.addresses`` is its Service. Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from kpath.cluster.gatewayapi import Gateway, GatewayClass
from kpath.cluster.records import ObjectKey, Service

GATEWAY_NAME = "gateway.networking.k8s.io/gateway-name"
EG_NAME = "gateway.envoyproxy.io/owning-gateway-name"
EG_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace"
EG_CLASS = "gateway.envoyproxy.io/owning-gatewayclass"
ISTIO_NAME = "istio.io/gateway-name"
CILIUM_NAME = "io.cilium.gateway/owning-gateway"
APP_NAME = "app.kubernetes.io/name"

#: GatewayClass spec.controllerName -> the implementation's name.
CONTROLLERS: dict[str, str] = {
    "gateway.envoyproxy.io/gatewayclass-controller": "Envoy Gateway",
    "istio.io/gateway-controller": "Istio",
    "gateway.nginx.org/nginx-gateway-controller": "NGINX Gateway Fabric",
    "io.cilium/gateway-controller": "Cilium",
    "traefik.io/gateway-controller": "Traefik",
}

#: Implementations whose one shared Service serves every Gateway of the class, by the
#: ``app.kubernetes.io/name`` its chart puts on that Service.
SHARED_SERVICE_APPS: dict[str, str] = {
    "NGINX Gateway Fabric": "nginx-gateway",  # 1.x
    "Traefik": "traefik",
}

#: Service types that carry traffic in from outside, best first.
_TYPE_RANK = {"LoadBalancer": 0, "NodePort": 1, "ClusterIP": 2}


class InfraRef(NamedTuple):
    service: ObjectKey | None  # None: nothing recognised
    implementation: str | None  # from the GatewayClass's controller, when known
    note: str  # how it was found, or what was looked for


class InfraIndex(NamedTuple):
    """Services indexed by the labels and addresses recognition asks about (built once)."""

    services: Mapping[ObjectKey, Service]
    by_label: Mapping[tuple[str, str], tuple[Service, ...]]  # (label, value) -> services
    by_address: Mapping[str, tuple[Service, ...]]  # LB ingress ip/hostname, externalIPs

    def labelled(self, label: str, value: str, namespace: str | None = None) -> list[Service]:
        found = self.by_label.get((label, value), ())
        return [s for s in found if namespace is None or s.namespace == namespace]


_LABELS = (GATEWAY_NAME, EG_NAME, EG_CLASS, ISTIO_NAME, CILIUM_NAME, APP_NAME)


def infra_index(services: Mapping[ObjectKey, Service]) -> InfraIndex:
    by_label: dict[tuple[str, str], list[Service]] = defaultdict(list)
    by_address: dict[str, list[Service]] = defaultdict(list)
    for svc in services.values():
        for label in _LABELS:
            value = svc.labels.get(label)
            if value is not None:
                by_label[(label, value)].append(svc)
        for lb in svc.load_balancer_ingress:
            if lb.address:
                by_address[lb.address].append(svc)
        for ip in svc.external_ips:
            by_address[ip].append(svc)
    return InfraIndex(
        services,
        {k: tuple(v) for k, v in by_label.items()},
        {k: tuple(v) for k, v in by_address.items()},
    )


def _best(found: Iterable[Service]) -> Service | None:
    """The Service that takes traffic in: LoadBalancer, then NodePort, then the rest."""
    ranked = sorted(found, key=lambda s: (_TYPE_RANK.get(s.type, 3), s.namespace, s.name))
    return ranked[0] if ranked else None


def find_infra(gw: Gateway, gw_class: GatewayClass | None, index: InfraIndex) -> InfraRef:
    """The Service in front of a Gateway's proxies, and how it was recognised."""
    impl = CONTROLLERS.get(gw_class.controller) if gw_class is not None else None
    ns, name = gw.namespace, gw.name

    def found(svc: Service, how: str) -> InfraRef:
        return InfraRef(svc.key, impl, f"Service {svc.key} ({how})")

    svc = _best(index.labelled(GATEWAY_NAME, name, ns))
    if svc is not None:
        return found(svc, f"label {GATEWAY_NAME}={name}")
    svc = _best(s for s in index.labelled(EG_NAME, name) if s.labels.get(EG_NAMESPACE) == ns)
    if svc is not None:
        return found(svc, f"Envoy Gateway labels {EG_NAME}={name}, {EG_NAMESPACE}={ns}")
    svc = _best(index.labelled(EG_CLASS, gw.class_name))
    if svc is not None:
        return found(svc, f"Envoy Gateway merged gateways, label {EG_CLASS}={gw.class_name}")
    svc = _best(index.labelled(ISTIO_NAME, name, ns))
    if svc is not None:
        return found(svc, f"label {ISTIO_NAME}={name}")
    svc = _best(index.labelled(CILIUM_NAME, name, ns))
    if svc is not None:
        return found(svc, f"Cilium label {CILIUM_NAME}={name}")
    for candidate, how in _named(gw, impl):
        svc = index.services.get(candidate)
        if svc is not None:
            return found(svc, how)
    app = SHARED_SERVICE_APPS.get(impl or "")
    if app is not None:
        svc = _best(
            s for s in index.labelled(APP_NAME, app) if s.type in ("LoadBalancer", "NodePort")
        )
        if svc is not None:
            return found(svc, f"{impl}'s shared Service, label {APP_NAME}={app}")
    svc = _best(s for a in gw.addresses for s in index.by_address.get(a.value, ()))
    if svc is not None:
        return found(svc, "its load-balancer address is the Gateway's status address")
    what = impl or (
        f"controller {gw_class.controller}"
        if gw_class is not None
        else f"GatewayClass {gw.class_name!r} (not found)"
    )
    return InfraRef(
        None,
        impl,
        f"no infrastructure Service recognised for {what}: no "
        f"Service labelled {GATEWAY_NAME}={name} in {ns}, none named as the "
        "implementations name theirs, none at the Gateway's address",
    )


def _named(gw: Gateway, impl: str | None) -> list[tuple[ObjectKey, str]]:
    """Service names implementations give a Gateway's Service, in its namespace."""
    ns, name = gw.namespace, gw.name
    out = [(ObjectKey(ns, f"cilium-gateway-{name}"), "Cilium's name cilium-gateway-<gateway>")]
    # The class may be missing from the input (installers create it): its name still counts.
    if impl in (None, "Istio", "NGINX Gateway Fabric"):
        out.insert(
            0,
            (
                ObjectKey(ns, f"{name}-{gw.class_name}"),
                f"{impl or 'Istio and NGINX Gateway Fabric'}'s name <gateway>-<class>",
            ),
        )
    return out
