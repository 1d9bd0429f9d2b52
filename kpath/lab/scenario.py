"""Lab scenarios: a multi-document YAML file, a small header and then plain manifests.

The first document may be a header (``kind: LabScenario``)::

    kind: LabScenario
    name: shop
    description: one line
    nodes: [{name: node-a, zone: zone-a, ready: true, labels: {...}}]   # default: 3 nodes, 2 zones
    faults: [{kind: pod-hang, pod: shop/recommendations, replica: 0}]
    maxReplicas: 3                      # replicas above this are capped, to keep the lab light
    pendingLoadBalancers: [ns/name]     # LoadBalancers left <pending> (a Gateway's name: the
                                        # Service generated for it, so it gets no address)
    ingressController: {namespace: ns, service: name, classes: [nginx]}   # or {} for built-in
    # (none: the built-in one, if an Ingress of an in-cluster class needs it; it claims the
    # listed classes and every IngressClass with the same spec.controller)
    gatewayClasses: [{name: nginx, controllerName: gateway.nginx.org/nginx-gateway-controller}]
    # (the GatewayClasses an implementation's installer creates; a scenario's own
    # GatewayClass of the same name replaces one)
    gatewayInfrastructure: {"ns/gateway": {externalTrafficPolicy: Local, replicas: 1,
                                           nodes: [node-a]}}
    # (per Gateway: its generated Service's policy, and how many proxy pods run where;
    # see `kpath.lab.gateway.infrastructure` for what each implementation generates)

Built-in scenarios are the ``*.yaml`` files next to this module (`builtin_names`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kpath.cluster.dumpfiles import load_yaml
from kpath.cluster.fields import BadField
from kpath.cluster.parse import Interner, field_error, parser_of
from kpath.cluster.policykinds import NETPOL_GROUPS
from kpath.cluster.raw import KINDS
from kpath.errors import InputError
from kpath.lab.faults import Fault, parse_fault
from kpath.lab.gateway.infrastructure import POLICIES, GatewayInfraSpec
from kpath.lab.resources import GATEWAY_GROUP, GATEWAY_NAMES
from kpath.lab.scheduler import WORKLOAD_KINDS, IngressControllerSpec, NodeSpec

HEADER_KIND = "LabScenario"
DEFAULT_NODES = (
    NodeSpec("node-a", "zone-a"),
    NodeSpec("node-b", "zone-a"),
    NodeSpec("node-c", "zone-b"),
)
_HEADER_FIELDS = {
    "kind",
    "apiVersion",
    "name",
    "description",
    "nodes",
    "faults",
    "maxReplicas",
    "pendingLoadBalancers",
    "ingressController",
    "gatewayClasses",
    "gatewayInfrastructure",
}
_MAX_NODES = 50


@dataclass
class Scenario:
    """A parsed scenario: header fields and the manifests to schedule."""

    name: str
    description: str = ""
    nodes: tuple[NodeSpec, ...] = DEFAULT_NODES
    faults: tuple[Fault, ...] = ()
    manifests: list[dict[str, Any]] = field(default_factory=list)
    max_replicas: int = 3
    pending: tuple[str, ...] = ()
    ingress: IngressControllerSpec | None = None
    origin: str = ""
    gateway_classes: tuple[dict[str, Any], ...] = ()  # GatewayClass manifests
    gateway_infrastructure: dict[str, GatewayInfraSpec] = field(default_factory=dict)


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with kpath (``shop`` first)."""
    folder = resources.files("kpath.lab") / "scenarios"
    names = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
    return sorted(names, key=lambda n: (n != "shop", n))


def load_scenario(ref: str | Path) -> Scenario:
    """A built-in scenario by name, or a scenario file by path; `InputError` if neither."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read scenario {ref}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InputError(f"scenario {ref} is not UTF-8 text") from None
        return parse_scenario(text, origin=str(path), default_name=path.stem)
    name = str(ref)
    if name not in builtin_names():
        raise InputError(
            f"no scenario {name!r}: give a file, or one of {', '.join(builtin_names())}"
        )
    text = (resources.files("kpath.lab") / "scenarios" / f"{name}.yaml").read_text("utf-8")
    return parse_scenario(text, origin=f"built-in {name}", default_name=name)


def parse_scenario(text: str, *, origin: str = "", default_name: str = "scenario") -> Scenario:
    """Parse scenario text (header optional); raises `InputError` with one clear line."""
    # The dump reader's guarded loading: a scenario file is as untrusted as a dump (an
    # alias bomb would otherwise grow the lab past gigabytes before anything is checked).
    docs = load_yaml(f"scenario {origin or default_name}", text)
    for i, doc in enumerate(docs):
        if not isinstance(doc, Mapping):
            where = origin or default_name
            raise InputError(f"scenario {where}: document {i + 1} is not a mapping")
    header: Mapping[str, Any] = {}
    if docs and docs[0].get("kind") == HEADER_KIND:
        header, docs = docs[0], docs[1:]
    if any(d.get("kind") == HEADER_KIND for d in docs):
        raise InputError(f"scenario {origin}: the {HEADER_KIND} header must be the first document")
    manifests = [dict(d) for d in docs]
    check_types(manifests, f"scenario {origin or default_name}")
    return _from_header(header, manifests, origin, default_name)


def check_types(manifests: list[dict[str, Any]], where: str) -> None:
    """The fields kpath reads must have the types the API server gives them, as in a dump:
    a manifest of a kind kpath parses (and a workload's pod template) goes through kpath's
    parser, so a wrong type is one line naming the file, the object and the field instead
    of a traceback from deep inside the lab's scheduler."""
    intern = Interner()
    for i, doc in enumerate(manifests):
        kind = doc.get("kind")
        if kind == "List":  # the scheduler files a List's items as manifests of their own
            items = doc.get("items")
            if items is not None and not (
                isinstance(items, list) and all(isinstance(x, dict) for x in items)
            ):
                raise InputError(
                    f"{where}: document {i + 1}: a List's items must be a list of objects"
                )
            check_types(items or [], where)
            continue
        try:
            if kind in WORKLOAD_KINDS:
                _check_workload(doc, intern)
            elif isinstance(kind, str) and kind in KINDS and not _other_group(doc, kind):
                parser_of(kind)(doc, intern)
        except BadField as exc:
            raise field_error(where, str(kind), i, doc, exc) from None


def _other_group(doc: Mapping[str, Any], kind: str) -> bool:
    """A kind of that name from another API group (Istio's networking.istio.io Gateway,
    Calico's NetworkPolicy): not the Gateway API's or networking.k8s.io's, so not checked
    as one."""
    version = doc.get("apiVersion")
    group = version.rpartition("/")[0] if isinstance(version, str) else ""
    if kind == "NetworkPolicy":
        return group not in NETPOL_GROUPS
    return kind in GATEWAY_NAMES and group != GATEWAY_GROUP


def _check_workload(doc: Mapping[str, Any], intern: Interner) -> None:
    spec = doc.get("spec")
    if spec is None:
        return
    if not isinstance(spec, dict):
        raise BadField(("spec",), spec, "a mapping")
    replicas = spec.get("replicas")
    if replicas is not None and (type(replicas) is not int or replicas < 0):
        raise BadField(("spec", "replicas"), replicas, "a number of replicas")
    template = spec.get("template")
    if template is None:
        return
    if not isinstance(template, dict):
        raise BadField(("spec", "template"), template, "a mapping")
    meta = template.get("metadata")
    # Checked as the Pod it stamps out (a template has no name of its own).
    pod_meta = (
        {**meta, "name": "template"} if isinstance(meta, dict) else meta or {"name": "template"}
    )
    try:
        parser_of("Pod")({"metadata": pod_meta, "spec": template.get("spec")}, intern)
    except BadField as exc:
        raise BadField(("spec", "template", *exc.where), exc.value, exc.wanted) from None


def _from_header(
    header: Mapping[str, Any], manifests: list[dict[str, Any]], origin: str, default_name: str
) -> Scenario:
    where = f"scenario {origin or default_name}"
    unknown = set(header) - _HEADER_FIELDS
    if unknown:
        raise InputError(f"{where}: unknown header field(s) {', '.join(sorted(unknown))}")
    nodes: tuple[NodeSpec, ...] = DEFAULT_NODES
    if "nodes" in header:
        raw_nodes = header["nodes"]
        if not isinstance(raw_nodes, list) or not raw_nodes or len(raw_nodes) > _MAX_NODES:
            raise InputError(f"{where}: nodes must be a list of 1 to {_MAX_NODES} nodes")
        nodes = tuple(_node(n, i, where) for i, n in enumerate(raw_nodes))
        names = [n.name for n in nodes]
        if len(set(names)) != len(names):
            raise InputError(f"{where}: node names must be unique")
    faults_raw = header.get("faults") or []
    if not isinstance(faults_raw, list):
        raise InputError(f"{where}: faults must be a list")
    faults = tuple(parse_fault(f) for f in faults_raw)
    max_replicas = header.get("maxReplicas", 3)
    if type(max_replicas) is not int or not 0 <= max_replicas <= 20:
        raise InputError(f"{where}: maxReplicas must be an integer from 0 to 20")
    pending = header.get("pendingLoadBalancers") or []
    if not isinstance(pending, list) or not all(isinstance(p, str) and "/" in p for p in pending):
        raise InputError(f"{where}: pendingLoadBalancers must list 'namespace/name' strings")
    ingress = None
    if "ingressController" in header:
        spec = header["ingressController"] or {}
        if not isinstance(spec, Mapping):
            raise InputError(f"{where}: ingressController must be a mapping")
        classes = spec.get("classes") or []
        if not isinstance(classes, list):
            raise InputError(f"{where}: ingressController.classes must be a list")
        if bool(spec.get("namespace")) != bool(spec.get("service")):
            raise InputError(f"{where}: ingressController needs both namespace and service")
        ingress = IngressControllerSpec(
            str(spec.get("namespace") or ""),
            str(spec.get("service") or ""),
            tuple(str(c) for c in classes),
        )
    node_names = {n.name for n in nodes}
    return Scenario(
        gateway_classes=_gateway_classes(header.get("gatewayClasses"), where),
        gateway_infrastructure=_gateway_infrastructure(
            header.get("gatewayInfrastructure"), node_names, where
        ),
        name=str(header.get("name") or default_name),
        description=str(header.get("description") or ""),
        nodes=nodes,
        faults=faults,
        manifests=manifests,
        max_replicas=max_replicas,
        pending=tuple(pending),
        ingress=ingress,
        origin=origin,
    )


def _node(raw: Any, index: int, where: str) -> NodeSpec:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise InputError(f"{where}: node #{index + 1} needs a name")
    labels = raw.get("labels") or {}
    if not isinstance(labels, Mapping):
        raise InputError(f"{where}: node {raw['name']}: labels must be a mapping")
    return NodeSpec(
        name=raw["name"],
        zone=str(raw.get("zone") or "zone-a"),
        ready=raw.get("ready", True) is not False,
        labels={str(k): str(v) for k, v in labels.items()},
    )


def _gateway_classes(raw: Any, where: str) -> tuple[dict[str, Any], ...]:
    """``gatewayClasses: [{name, controllerName}]`` as the GatewayClass objects to create."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(f"{where}: gatewayClasses must be a list of {{name, controllerName}}")
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or set(item) - {"name", "controllerName"}:
            raise InputError(f"{where}: gatewayClasses #{i + 1} must be {{name, controllerName}}")
        name, controller = item.get("name"), item.get("controllerName")
        if not isinstance(name, str) or not name:
            raise InputError(f"{where}: gatewayClasses #{i + 1} needs a name")
        if not isinstance(controller, str) or "/" not in controller:
            raise InputError(
                f"{where}: gatewayClass {name} needs a controllerName "
                "(a domain-prefixed path such as example.net/gateway-controller)"
            )
        if name in out:
            raise InputError(f"{where}: gatewayClass {name} is listed twice")
        out[name] = {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": name},
            "spec": {"controllerName": controller},
        }
    return tuple(out.values())


def _gateway_infrastructure(
    raw: Any, node_names: set[str], where: str
) -> dict[str, GatewayInfraSpec]:
    """``gatewayInfrastructure: {"ns/gateway": {externalTrafficPolicy, replicas, nodes}}``."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InputError(
            f"{where}: gatewayInfrastructure must map 'namespace/gateway' to "
            "{externalTrafficPolicy, replicas, nodes}"
        )
    out: dict[str, GatewayInfraSpec] = {}
    for key, spec in raw.items():
        if not isinstance(key, str) or key.count("/") != 1 or not all(key.split("/")):
            raise InputError(
                f"{where}: gatewayInfrastructure key {key!r} must be 'namespace/gateway'"
            )
        if not isinstance(spec, Mapping):
            raise InputError(f"{where}: gatewayInfrastructure {key} must be a mapping")
        unknown = set(spec) - {"externalTrafficPolicy", "replicas", "nodes"}
        if unknown:
            raise InputError(
                f"{where}: gatewayInfrastructure {key}: unknown field(s) "
                f"{', '.join(sorted(map(str, unknown)))}"
            )
        policy = spec.get("externalTrafficPolicy")
        if policy is not None and policy not in POLICIES:
            raise InputError(
                f"{where}: gatewayInfrastructure {key}: externalTrafficPolicy "
                "must be Local or Cluster"
            )
        replicas = spec.get("replicas")
        if replicas is not None and (type(replicas) is not int or not 0 <= replicas <= 20):
            raise InputError(
                f"{where}: gatewayInfrastructure {key}: replicas must be an integer from 0 to 20"
            )
        nodes = spec.get("nodes") or []
        if not isinstance(nodes, list) or not all(isinstance(n, str) for n in nodes):
            raise InputError(
                f"{where}: gatewayInfrastructure {key}: nodes must be a list of node names"
            )
        missing = [n for n in nodes if n not in node_names]
        if missing:
            raise InputError(
                f"{where}: gatewayInfrastructure {key}: no node "
                f"{', '.join(missing)}; nodes: {', '.join(sorted(node_names))}"
            )
        out[key] = GatewayInfraSpec(policy, replicas, tuple(nodes))
    return out
