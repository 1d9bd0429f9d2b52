"""Ingress rules as ways in, and the controller that serves them.

An Ingress is served by a controller named by its IngressClass (or the legacy
``kubernetes.io/ingress.class`` annotation, or the default class). Controllers that run in
the cluster sit behind a Service of their own (found by the Ingress's published address, else
by well-known labels) and send to backend pod IPs directly. Controllers outside the cluster
(cloud load balancers, an ADC) send either to pod IPs (IP-target mode) or to the backend
Service's NodePorts (instance mode).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

from kpath.cluster.records import Ingress, IngressBackend, ObjectKey, Service, ServicePort
from kpath.cluster.snapshot import Snapshot


class ControllerRef(NamedTuple):
    kind: str  # "service" (in the cluster), "external", "unknown"
    class_name: str | None
    controller: str | None  # IngressClass spec.controller
    service: ObjectKey | None  # the controller's own Service
    mode: str  # "controller" (its pods send to backend pods), "pods", "nodes"
    note: str  # how it was found, or why not


class IngressRoute(NamedTuple):
    """One host + path of an Ingress (or its default backend), with its backend resolved."""

    ingress: Ingress
    host: str | None
    path: str | None  # None: the default backend
    path_type: str | None
    tls: bool
    addresses: tuple[str, ...]
    port: int
    backend: IngressBackend
    backend_service: ObjectKey | None
    backend_port: ServicePort | None
    problem: str | None  # why the backend cannot be reached
    controller: ControllerRef

    def label(self) -> str:
        """``https://host/path``: the rule as a client asks it (messages name the Ingress)."""
        scheme = "https" if self.tls else "http"
        host = self.host or "*"
        path = self.path if self.path is not None else " (default backend)"
        return f"{scheme}://{host}{path}"

    def entry_label(self) -> str:
        """The rule and the Ingress it belongs to (several may claim one host):
        ``http://shop.example/ (ingress shop/web)``."""
        if self.path is None:
            return (
                f"{self.label().removesuffix(' (default backend)')} "
                f"(ingress {self.ingress.key}, default backend)"
            )
        return f"{self.label()} (ingress {self.ingress.key})"


#: IngressClass controllers (and legacy class names) that live outside the cluster.
EXTERNAL_CONTROLLERS = {
    "ingress.k8s.aws/alb": "AWS load balancer controller",
    "alb": "AWS load balancer controller",
    "k8s.io/ingress-gce": "GKE ingress",
    "gce": "GKE ingress",
    "gce-internal": "GKE internal ingress",
    "azure/application-gateway": "Azure application gateway",
    "citrix": "Citrix ADC",
    "citrix.com/ingress-controller": "Citrix ADC",
}

#: Label values that name an in-cluster controller's pods and Service, by controller prefix.
CONTROLLER_NAMES = {
    "k8s.io/ingress-nginx": ("ingress-nginx",),
    "nginx.org/ingress-controller": ("nginx-ingress",),
    "traefik.io/ingress-controller": ("traefik",),
    "projectcontour.io/ingress-controller": ("envoy", "contour"),
    "haproxy.org/ingress-controller": ("haproxy-ingress", "kubernetes-ingress"),
    "ingress-controllers.konghq.com/kong": ("kong",),
}
NAME_LABELS = ("app.kubernetes.io/name", "app", "k8s-app", "app.kubernetes.io/instance")


def ingress_facts(svc: Service) -> tuple[object, ...]:
    """What `ingress_routes` reads of a Service (a backend's ports; a controller's type,
    addresses and name labels): equal facts, equal routes. Keep in step with the readers
    below (`resolve_backend`, `_lb_owner`, `_controller_service`)."""
    selector = svc.selector or {}
    return (
        svc.type,
        svc.ports,
        svc.load_balancer_ingress,
        svc.external_ips,
        tuple(svc.labels.get(k) for k in NAME_LABELS),
        tuple(selector.get(k) for k in NAME_LABELS),
    )


def ingress_class_of(snapshot: Snapshot, ingress: Ingress) -> str | None:
    if ingress.class_name:
        return ingress.class_name
    defaults = [c.name for c in snapshot.ingress_classes.values() if c.is_default]
    return defaults[0] if len(defaults) == 1 else None


def find_controller(snapshot: Snapshot, ingress: Ingress) -> ControllerRef:
    class_name = ingress_class_of(snapshot, ingress)
    ic = snapshot.ingress_classes.get(class_name) if class_name else None
    controller = ic.controller if ic else None
    external = EXTERNAL_CONTROLLERS.get(controller or "") or EXTERNAL_CONTROLLERS.get(
        class_name or ""
    )
    if external:
        target = ingress.annotations.get("alb.ingress.kubernetes.io/target-type", "")
        mode = "pods" if target == "ip" or "azure" in (controller or "") else "nodes"
        how = "IP targets: straight to pods" if mode == "pods" else "instance mode: NodePorts"
        return ControllerRef(
            "external",
            class_name,
            controller,
            None,
            mode,
            f"{external} outside the cluster ({how})",
        )
    addresses = tuple(a for a in (i.address for i in ingress.load_balancer_ingress) if a)
    svc = _lb_owner(snapshot, addresses) or _controller_service(
        snapshot, controller, class_name, prefer_node_port=_on_nodes(snapshot, addresses)
    )
    if svc is not None:
        return ControllerRef(
            "service",
            class_name,
            controller,
            svc.key,
            "controller",
            f"controller Service {svc.key}",
        )
    what = controller or class_name or "no class"
    if snapshot.controllers_unread is not None:
        # Not "missing": it may well live where this user could not read.
        return ControllerRef(
            "unknown",
            class_name,
            controller,
            None,
            "controller",
            f"the controller Service for {what} is outside what could be "
            f"read: {snapshot.controllers_unread}",
        )
    return ControllerRef(
        "unknown",
        class_name,
        controller,
        None,
        "controller",
        f"no controller Service found for {what}",
    )


def _lb_owner(snapshot: Snapshot, addresses: tuple[str, ...]) -> Service | None:
    """The Service whose load-balancer address or externalIP the Ingress publishes."""
    wanted = set(addresses)
    if not wanted:
        return None
    for svc in snapshot.services.values():
        if wanted & ({i.address for i in svc.load_balancer_ingress} | set(svc.external_ips)):
            return svc
    return None


def _on_nodes(snapshot: Snapshot, addresses: tuple[str, ...]) -> bool:
    """NodePort and hostPort controllers publish node addresses."""
    wanted = set(addresses)
    return bool(wanted) and any(
        a.address in wanted for n in snapshot.nodes.values() for a in n.addresses
    )


@lru_cache(maxsize=64)
def _names_for(controller: str | None, class_name: str | None) -> tuple[str, ...]:
    if controller in CONTROLLER_NAMES:
        return CONTROLLER_NAMES[controller]
    if controller is None and class_name:
        return (class_name, f"{class_name}-ingress", f"ingress-{class_name}")
    return tuple(n for names in CONTROLLER_NAMES.values() for n in names)


def _controller_service(
    snapshot: Snapshot, controller: str | None, class_name: str | None, *, prefer_node_port: bool
) -> Service | None:
    """A LoadBalancer or NodePort Service carrying a well-known controller's labels."""
    names = set(_names_for(controller, class_name))
    preferred = "NodePort" if prefer_node_port else "LoadBalancer"
    best: Service | None = None
    for svc in snapshot.services.values():
        if svc.type not in ("LoadBalancer", "NodePort"):
            continue  # admission webhooks and metrics share the labels; they carry no traffic
        selector = svc.selector or {}
        if not any(svc.labels.get(k) in names or selector.get(k) in names for k in NAME_LABELS):
            continue
        if best is None or (svc.type == preferred and best.type != preferred):
            best = svc
    return best


def resolve_backend(
    snapshot: Snapshot, namespace: str, backend: IngressBackend
) -> tuple[ObjectKey | None, ServicePort | None, str | None]:
    """The backend Service and port, or the problem that stops traffic there."""
    if backend.service is None:
        return None, None, f"backend is a resource ({backend.resource}), not a Service"
    key = ObjectKey(namespace, backend.service)
    svc = snapshot.services.get(key)
    if svc is None:
        return key, None, f"backend Service {key} does not exist"
    for p in svc.ports:
        if (backend.port_number is not None and p.port == backend.port_number) or (
            backend.port_name is not None and p.name == backend.port_name
        ):
            return key, p, None
    wanted = backend.port_number if backend.port_number is not None else backend.port_name
    have = ", ".join(p.label() for p in svc.ports) or "no ports"
    return key, None, f"backend Service {key} has no port {wanted} (it has {have})"


def tls_covers(host: str, tls_hosts: tuple[str, ...]) -> bool:
    """Whether a TLS entry's hosts cover ``host``; ``*.example.com`` covers one label only."""
    host = host.lower()
    for tls in tls_hosts:
        tls = tls.lower()
        if tls == host:
            return True
        if tls.startswith("*.") and "." in host and host.split(".", 1)[1] == tls[2:]:
            return True
    return False


def controller_finder(snapshot: Snapshot) -> Callable[[Ingress], ControllerRef]:
    """`find_controller`, worked out once per group: Ingresses of one class published at one
    address (and one target type) share a controller."""
    found: dict[tuple[object, ...], ControllerRef] = {}

    def controller_of(ing: Ingress) -> ControllerRef:
        key = (
            ing.class_name,
            ing.load_balancer_ingress,
            ing.annotations.get("alb.ingress.kubernetes.io/target-type"),
        )
        ref = found.get(key)
        if ref is None:
            ref = found[key] = find_controller(snapshot, ing)
        return ref

    return controller_of


def ingress_routes(snapshot: Snapshot) -> Iterator[IngressRoute]:
    controller_of = controller_finder(snapshot)
    for ing in snapshot.ingresses:
        controller = controller_of(ing)
        addresses = tuple(a for a in (i.address for i in ing.load_balancer_ingress) if a)
        rules: list[tuple[str | None, str | None, str | None, IngressBackend]] = [
            (rule.host, p.path, p.path_type, p.backend) for rule in ing.rules for p in rule.paths
        ]
        if ing.default_backend is not None:
            rules.append((None, None, None, ing.default_backend))
        for host, path, path_type, backend in rules:
            tls = tls_covers(host, ing.tls_hosts) if host else bool(ing.tls_hosts) and not ing.rules
            svc, port, problem = resolve_backend(snapshot, ing.namespace, backend)
            yield IngressRoute(
                ing,
                host,
                path,
                path_type,
                tls,
                addresses,
                443 if tls else 80,
                backend,
                svc,
                port,
                problem,
                controller,
            )


def path_match(path_type: str | None, rule_path: str | None, request: str) -> int:
    """How well an Ingress path matches a request path: -1 for no match, higher wins.

    Exact needs the same path; Prefix matches by path element, as the API defines it.
    ImplementationSpecific (globs, ingress-nginx regexes) is read as a Prefix of its literal
    head (``/static/*`` → ``/static/``, ``/v1(/|$)(.*)`` → ``/v1``, ``/.*`` → ``/``): how
    most controllers treat a plain path there. An exact match beats a prefix of the same length."""
    path = rule_path or "/"
    if path_type == "Exact":
        return len(path) * 2 + 1 if request == path else -1
    if path_type not in ("Prefix", "Exact"):
        for i, ch in enumerate(path):
            if ch in "*(^$[{|+?\\":
                # a regex ".*" goes whole: "/.*" is "/"
                path = path[: i - 1] if ch == "*" and path[i - 1 : i] == "." else path[:i]
                break
    prefix = path.rstrip("/")
    if prefix == "" or request == prefix or request.startswith(prefix + "/"):
        return len(prefix) * 2
    return -1


def hostless_routes(
    routes: Iterable[IngressRoute], controller: ObjectKey, request: str = "/"
) -> tuple[IngressRoute, ...]:
    """What the controller behind Service ``controller`` serves for a request whose Host
    matches no rule (a bare address, as a probe of the controller's own Service sends):
    among the Ingresses it serves, the host-less rules that match ``request`` best, else
    their ``defaultBackend``s; empty when nothing matches (the controller answers itself,
    a 404 from its default server).

    Several Ingresses claiming the same host-less path (or each a defaultBackend) conflict;
    controllers break the tie differently (ingress-nginx: the oldest), so every one is
    returned: any of them may be the one that answers."""
    mine = [
        r for r in routes if r.controller.kind == "service" and r.controller.service == controller
    ]
    scored = [
        (path_match(r.path_type, r.path, request), r)
        for r in mine
        if r.host is None and r.path is not None
    ]
    best = max((s for s, _ in scored), default=-1)
    if best >= 0:
        return tuple(r for s, r in scored if s == best)
    return tuple(r for r in mine if r.path is None)
