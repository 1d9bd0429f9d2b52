"""The lab gateway controller's vocabulary: what it decided (`ControllerState`, `Listener`,
`Attachment`) and the small readers of raw API dicts its modules share (metadata, conditions,
label selectors, ReferenceGrants, allowedRoutes namespaces)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
#: Route kinds each listener protocol takes when `allowedRoutes.kinds` is not given.
PROTOCOL_KINDS: Mapping[str, tuple[str, ...]] = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute", "TCPRoute"),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}
HOSTNAME_PROTOCOLS = ("HTTP", "HTTPS", "TLS")

Key = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True)
class Listener:
    """One listener of a Gateway, its own or merged in from an attached ListenerSet."""

    gateway: Key
    owner: tuple[str, str, str]  # (kind, namespace, name): the Gateway or the ListenerSet
    name: str
    port: int
    protocol: str
    hostname: str | None
    tls_mode: str | None
    kinds: tuple[str, ...]
    allowed: Mapping[str, Any]
    serving: bool  # accepted and not conflicted: it takes routes and traffic


@dataclass(frozen=True)
class Attachment:
    """A route attached to a listener, with the hostnames it answers there."""

    kind: str
    route: Mapping[str, Any]
    hosts: list[str] | None  # None: every host the listener takes


@dataclass
class ControllerState:
    """What the controller decided: status stanzas plus what the data plane routes with."""

    statuses: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    listeners: dict[Key, list[Listener]] = field(default_factory=dict)
    attached: dict[tuple[tuple[str, str, str], str], list[Attachment]] = field(default_factory=dict)
    services: dict[Key, Mapping[str, Any]] = field(default_factory=dict)
    slices: dict[Key, list[Mapping[str, Any]]] = field(default_factory=dict)
    grants: list[Mapping[str, Any]] = field(default_factory=list)
    class_controllers: dict[str, str] = field(default_factory=dict)  # class -> controllerName

    def status(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The `status` a controller writes for this object; None when it writes none (not
        one of its classes, a parent it does not own, or an object it does not know)."""
        return self.statuses.get((kind, namespace or "", name))

    def routes_on(self, listener: Listener) -> list[Attachment]:
        return self.attached.get((listener.owner, listener.name), [])


# ---------------------------------------------------------------- small readers
def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def key_of(obj: Mapping[str, Any]) -> Key:
    m = meta(obj)
    return str(m.get("namespace") or "default"), str(m.get("name") or "")


def spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def generation(obj: Mapping[str, Any]) -> int:
    return int(meta(obj).get("generation") or 1)


def age_key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    """Oldest first, then namespace/name: the spec's tie-breaker between objects."""
    ns, name = key_of(obj)
    return str(meta(obj).get("creationTimestamp") or ""), ns, name


def condition(
    obj: Mapping[str, Any], ctype: str, ok: bool, reason: str, message: str = ""
) -> dict[str, Any]:
    return {
        "type": ctype,
        "status": "True" if ok else "False",
        "reason": reason,
        "message": message or reason,
        "observedGeneration": generation(obj),
        # Stable across reconciles: the lab re-runs the controller on every change.
        "lastTransitionTime": str(meta(obj).get("creationTimestamp") or "1970-01-01T00:00:00Z"),
    }


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector (matchLabels AND matchExpressions); empty selects everything."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(str(k)) != str(v):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = str(expr.get("key")), str(expr.get("operator"))
        values = [str(v) for v in expr.get("values") or []]
        have = labels.get(key)
        if op == "In" and have not in values:
            return False
        if op == "NotIn" and have in values:
            return False
        if op == "Exists" and have is None:
            return False
        if op == "DoesNotExist" and have is not None:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def granted(
    grants: Sequence[Mapping[str, Any]],
    *,
    from_kind: str,
    from_ns: str,
    to_group: str,
    to_kind: str,
    to_ns: str,
    to_name: str,
    from_group: str = GROUP,
) -> bool:
    """A ReferenceGrant in the target namespace lets this kind in `from_ns` refer there."""
    for grant in grants:
        if key_of(grant)[0] != to_ns:
            continue
        spec = spec_of(grant)
        takes_from = any(
            str(f.get("group") or "") == from_group
            and f.get("kind") == from_kind
            and f.get("namespace") == from_ns
            for f in spec.get("from") or []
        )
        takes_to = any(
            str(t.get("group") or "") == to_group
            and t.get("kind") == to_kind
            and (not t.get("name") or t.get("name") == to_name)
            for t in spec.get("to") or []
        )
        if takes_from and takes_to:
            return True
    return False


def namespace_allowed(
    spec: Mapping[str, Any],
    own_ns: str,
    other_ns: str,
    ns_labels: Mapping[str, Mapping[str, str]],
    default: str,
) -> bool:
    origin = spec.get("from") or default
    if origin == "All":
        return True
    if origin == "Same":
        return own_ns == other_ns
    if origin == "Selector":
        labels = {"kubernetes.io/metadata.name": other_ns, **ns_labels.get(other_ns, {})}
        return selector_matches(spec.get("selector") or {}, labels)
    return False
