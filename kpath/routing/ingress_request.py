"""What each Ingress controller answers one request: the Ingress half of `kpath request`.

Controllers are grouped as `kpath.routing.ingress` finds them: by IngressClass and the
controller's own Service (a controller outside the cluster, or one kpath cannot find, is
grouped by class alone). Inside one controller every Ingress it serves is merged into one
table, as ingress-nginx builds its server blocks:

- the host picks the rules: those whose host is the request's host, else those whose
  wildcard (``*.example.com``, one label only, as the Ingress spec defines it) covers it,
  else the host-less rules (the controller's default server);
- among the paths of those rules the best match wins (`ingress.path_match`: Exact, Prefix on
  path-segment boundaries, ImplementationSpecific read as a Prefix, longest first, Exact
  before a Prefix of the same length);
- no path matches: the ``defaultBackend`` of an Ingress that claimed the host (for the
  default server: of any Ingress), else the controller's own 404;
- a backend that is not there (no such Service or port) answers 500;
- ingress-nginx redirects plain HTTP to HTTPS (308) for a host the matched Ingress's TLS
  section covers, unless its ``ssl-redirect`` annotation is "false" (``force-ssl-redirect``:
  for every host).

Pure: reads a snapshot, returns `Answer`s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from kpath.cluster.records import Ingress, IngressBackend, IngressRule, ObjectKey, Service
from kpath.cluster.snapshot import Snapshot
from kpath.routing.findings import Finding, finding
from kpath.routing.ingress import (
    ControllerRef,
    controller_finder,
    path_match,
    resolve_backend,
    tls_covers,
)
from kpath.routing.requests import (
    Answer,
    BackendShare,
    EntryRef,
    Outcome,
    Request,
    RouteRef,
)
from kpath.routing.targets import endpoints_unknown, service_targets
from kpath.routing.urls import BARE, request_url

#: Ports a controller outside the cluster (or one kpath cannot find) listens on.
DEFAULT_PORTS = (80, 443)


class IngressController(NamedTuple):
    """One controller and every Ingress it serves."""

    ref: ControllerRef
    service: Service | None  # its own Service, when it runs in the cluster
    ingresses: tuple[Ingress, ...]

    @property
    def key(self) -> ObjectKey:
        """The controller's Service; ("", class) for one without a Service in the cluster."""
        if self.ref.service is not None:
            return self.ref.service
        return ObjectKey("", self.ref.class_name or "")

    def ports(self) -> set[int]:
        """Where a client reaches it: the Service's TCP ports and their NodePorts."""
        if self.service is None:
            return set(DEFAULT_PORTS)
        return {
            n for p in self.service.ports if p.protocol == "TCP" for n in (p.port, p.node_port) if n
        }

    def address(self, port: int) -> str | None:
        """Where a client connects to ``port``: the Service's load balancer or external IP,
        else the address the Ingresses publish; None for a NodePort (every node has it)."""
        if self.service is not None:
            if port not in {p.port for p in self.service.ports}:
                return None
            for lb in self.service.load_balancer_ingress:
                if lb.address:
                    return lb.address
            if self.service.external_ips:
                return self.service.external_ips[0]
        for ing in self.ingresses:
            for lb in ing.load_balancer_ingress:
                if lb.address:
                    return lb.address
        return None


def ingress_controllers(snapshot: Snapshot) -> list[IngressController]:
    """Every controller that serves some Ingress, in the order their first Ingress comes."""
    controller_of = controller_finder(snapshot)
    groups: dict[tuple[str | None, ObjectKey | None], tuple[ControllerRef, list[Ingress]]] = {}
    for ing in snapshot.ingresses:
        ref = controller_of(ing)
        group = groups.setdefault((ref.class_name, ref.service), (ref, []))
        group[1].append(ing)
    return [
        IngressController(
            ref, snapshot.services.get(ref.service) if ref.service else None, tuple(ings)
        )
        for ref, ings in groups.values()
    ]


def host_matches(rule_host: str, host: str) -> bool:
    """An Ingress rule's host against the request's: exact, or ``*.`` covering one label."""
    rule_host = rule_host.lower()
    if rule_host.startswith("*."):
        head, dot, rest = host.partition(".")
        return bool(head) and bool(dot) and rest == rule_host[2:]
    return rule_host == host


class _Rule(NamedTuple):
    ingress: Ingress
    rule_index: int  # not `index`, which would hide tuple.index
    rule: IngressRule


def _rules_for_host(controller: IngressController, host: str) -> tuple[list[_Rule], bool]:
    """The rules the host selects, and whether a host (not the default server) chose them."""
    exact: list[_Rule] = []
    wildcard: list[_Rule] = []
    hostless: list[_Rule] = []
    for ing in controller.ingresses:
        for i, rule in enumerate(ing.rules):
            if rule.host is None:
                hostless.append(_Rule(ing, i, rule))
            elif host_matches(rule.host, host):
                (wildcard if rule.host.startswith("*.") else exact).append(_Rule(ing, i, rule))
    if exact or wildcard:
        return exact or wildcard, True
    return hostless, False


def accepts(controller: IngressController, request: Request) -> bool:
    """Whether some Ingress of this controller takes the request's host on its port."""
    if request.scheme in BARE or request.port not in controller.ports():
        return False
    rules, _ = _rules_for_host(controller, request.host)
    return bool(rules) or any(i.default_backend is not None for i in controller.ingresses)


class _Match(NamedTuple):
    ingress: Ingress
    rule: int  # -1: defaultBackend
    host: str | None
    path: str | None
    path_type: str | None
    backend: IngressBackend


def _best(controller: IngressController, request: Request) -> tuple[list[_Match], bool]:
    """Every match that ties for best (the first is taken), and whether a host chose them."""
    rules, by_host = _rules_for_host(controller, request.host)
    best, winners = -1, list[_Match]()
    for r in rules:
        for p in r.rule.paths:
            score = path_match(p.path_type, p.path, request.path)
            if score < 0 or score < best:
                continue
            if score > best:
                best, winners = score, []
            winners.append(
                _Match(r.ingress, r.rule_index, r.rule.host, p.path, p.path_type, p.backend)
            )
    if winners:
        return winners, by_host
    # No path matched: the defaultBackend of an Ingress that claimed the host, or of any
    # Ingress for the default server.
    claimed = {r.ingress.key for r in rules} if by_host else None
    defaults = [
        _Match(i, -1, None, None, None, i.default_backend)
        for i in controller.ingresses
        if i.default_backend is not None and (claimed is None or i.key in claimed)
    ]
    return defaults, by_host


def ingress_answer(snapshot: Snapshot, controller: IngressController, request: Request) -> Answer:
    """What this controller answers (also when it does not take the request at all)."""
    entry = EntryRef(
        "ingress",
        controller.key,
        None,
        controller.address(request.port),
        request.port,
        controller.ref.class_name,
    )
    found = list(_controller_findings(snapshot, controller))
    if request.scheme in BARE:
        found.append(
            finding(
                "KP454",
                f"{controller.ref.note}: an Ingress controller routes "
                f"HTTP; a {request.scheme}:// connection needs a "
                f"{request.scheme.upper()}Route (or the controller's own "
                "passthrough)",
            )
        )
        return Answer(entry, None, Outcome.NO_LISTENER, None, None, None, (), tuple(found))
    if request.port not in controller.ports():
        have = ", ".join(str(p) for p in sorted(controller.ports())) or "none"
        found.append(
            finding("KP454", f"{controller.ref.note} has no port {request.port} (ports: {have})")
        )
        return Answer(entry, None, Outcome.NO_LISTENER, None, None, None, (), tuple(found))
    matches, by_host = _best(controller, request)
    if request.tls and not any(tls_covers(request.host, i.tls_hosts) for i in controller.ingresses):
        found.append(
            finding(
                "KP453",
                f"https://{request.host}: no TLS entry of the "
                f"Ingresses of {_served_by(controller)} covers this host: the "
                "controller shows its default certificate, which clients do "
                "not trust",
            )
        )
    if not matches:
        why = (
            "no rule for this host matches the path"
            if by_host
            else ("no Ingress rule takes this host or path, and no defaultBackend")
        )
        found.append(
            finding(
                "KP455", f"{request.host}{request.path}: {why}: the controller answers 404 itself"
            )
        )
        return Answer(entry, None, Outcome.NOT_FOUND, 404, None, None, (), tuple(found))
    won = matches[0]
    route = RouteRef("Ingress", won.ingress.key, won.rule, won.host, won.path, won.path_type)
    found.extend(_tie_findings(matches, request))
    if won.path_type not in (None, "Exact", "Prefix"):
        found.append(
            finding(
                "KP451",
                f"Ingress {won.ingress.key} path {won.path!r} is "
                f"{won.path_type}: read as a Prefix (each controller matches "
                "it its own way)",
                ingress=won.ingress.key,
            )
        )
    location = ssl_redirect(controller, won.ingress, request)
    if location is not None:
        return Answer(entry, route, Outcome.REDIRECT, 308, location, None, (), tuple(found))
    key, port, problem = resolve_backend(snapshot, won.ingress.namespace, won.backend)
    if problem is not None and key is None:
        # A resource backend (a bucket, a CRD): the controller serves it; kpath cannot follow.
        found.append(
            finding("KP205", f"Ingress {won.ingress.key}: {problem}", ingress=won.ingress.key)
        )
        return Answer(entry, route, Outcome.FORWARD, None, None, None, (), tuple(found))
    assert key is not None
    if problem is not None or port is None:
        code = "KP201" if key not in snapshot.services else "KP202"
        found.append(
            finding(
                code, f"Ingress {won.ingress.key}: {problem}", ingress=won.ingress.key, service=key
            )
        )
        share = BackendShare(key, won.backend.port_number, 1, 1.0, "invalid", 0)
        return Answer(entry, route, Outcome.BACKEND_ERROR, 500, None, None, (share,), tuple(found))
    svc = snapshot.services[key]
    return Answer(
        entry,
        route,
        Outcome.FORWARD,
        None,
        None,
        None,
        (_share(snapshot, svc, port.port),),
        tuple(found),
    )


INGRESS_NGINX = "k8s.io/ingress-nginx"
_NGINX_ANNOTATION = "nginx.ingress.kubernetes.io/"


def ssl_redirect(controller: IngressController, ingress: Ingress, request: Request) -> str | None:
    """Where ingress-nginx redirects a plain-HTTP request (308), or None.

    ingress-nginx sends ``http://`` to ``https://`` for a host its Ingress's TLS section
    covers (``ssl-redirect``, on by default), and for any host with ``force-ssl-redirect``;
    the annotations of the Ingress whose rule matched decide. Other controllers do this only
    when configured outside the Ingress, so kpath says nothing for them."""
    if controller.ref.controller != INGRESS_NGINX or request.scheme != "http":
        return None
    annotations = ingress.annotations
    forced = annotations.get(f"{_NGINX_ANNOTATION}force-ssl-redirect") == "true"
    covered = (
        tls_covers(request.host, ingress.tls_hosts)
        and annotations.get(f"{_NGINX_ANNOTATION}ssl-redirect") != "false"
    )
    if not (forced or covered):
        return None
    return request_url(request._replace(scheme="https", port=443))


def _share(snapshot: Snapshot, svc: Service, number: int) -> BackendShare:
    """The backend's ready endpoints: the controller sends straight to them."""
    port = next(p for p in svc.ports if p.port == number)
    if svc.type == "ExternalName" or endpoints_unknown(snapshot, svc.selector):
        return BackendShare(svc.key, number, 1, 1.0, "unknown", 0)
    targets = service_targets(snapshot, snapshot.service_slices(svc.key), port)
    ready = sum(1 for t in targets if t.ready)
    return BackendShare(svc.key, number, 1, 1.0, "forward" if ready else "reject", ready)


def _served_by(controller: IngressController) -> str:
    ref = controller.ref
    if ref.service is not None:
        return f"controller {ref.service}"
    return f"class {ref.class_name}" if ref.class_name else "no class"


def unserved(snapshot: Snapshot, controller: IngressController) -> bool:
    """The Ingresses name an IngressClass that does not exist: no controller serves them
    (KP203). A legacy annotation's class needs no IngressClass object."""
    ref = controller.ref
    return bool(
        ref.class_name
        and ref.class_name not in snapshot.ingress_classes
        and "IngressClass" in snapshot.kinds_seen
        and not all(i.class_from_annotation for i in controller.ingresses)
    )


def _controller_findings(snapshot: Snapshot, controller: IngressController) -> Iterator[Finding]:
    ref = controller.ref
    if unserved(snapshot, controller):
        yield finding(
            "KP203",
            f"IngressClass {ref.class_name!r} does not exist; no controller serves these Ingresses",
        )
    elif ref.kind == "unknown":
        yield finding("KP204", f"{ref.note}: the answer follows the Ingress rules alone")


def _tie_findings(matches: Sequence[_Match], request: Request) -> Iterator[Finding]:
    others = sorted({str(m.ingress.key) for m in matches[1:]} - {str(matches[0].ingress.key)})
    if others:
        what = "defaultBackend" if matches[0].rule < 0 else f"path {matches[0].path!r}"
        yield finding(
            "KP452",
            f"{request.host}: Ingress {matches[0].ingress.key} and "
            f"{', '.join(others)} claim the same {what}; controllers break the tie "
            "differently (ingress-nginx: the oldest Ingress); kpath took the first",
            ingress=matches[0].ingress.key,
        )


def ingress_answers(
    snapshot: Snapshot, request: Request, via: ObjectKey | None = None
) -> list[Answer]:
    """Every controller that takes the request's host and port, or only the one whose
    Service is ``via`` (answered even when it does not take it). Ingresses of a class that
    does not exist are served by nothing: no answer."""
    out = []
    for controller in ingress_controllers(snapshot):
        if via is not None:
            if controller.ref.service == via:
                out.append(ingress_answer(snapshot, controller, request))
        elif accepts(controller, request) and not unserved(snapshot, controller):
            out.append(ingress_answer(snapshot, controller, request))
    return out


def controller_services(snapshot: Snapshot) -> list[ObjectKey]:
    """The Services of the Ingress controllers in the cluster, as --via may name them."""
    return sorted(
        {c.ref.service for c in ingress_controllers(snapshot) if c.ref.service is not None}
    )
