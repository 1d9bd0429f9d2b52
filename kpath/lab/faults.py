"""Faults the lab can inject, from a scenario header or at run time.

A fault is plain data (`Fault`); `FaultSet` is the live registry the data plane consults on
every connection, so a fault takes effect for the next connection without restarting anything.

Kinds (the ``kind`` field, with the fields each one uses):

- ``node-down``         node        node's listeners go silent (clients time out), Node NotReady
- ``pod-hang``          pod         accepts connections, never answers
- ``pod-refuse``        pod         its ports are closed (connection refused)
- ``pod-error``         pod, status answers HTTP ``status`` (default 500)
- ``target-port-dead``  service     the service's targetPort has nothing listening on its pods
- ``slow``              node | pod, delay   every connection through that hop waits ``delay`` s

``pod`` is ``namespace/name``; in a scenario header it may name a workload instead
(``namespace/deployment``) with ``replica: i`` choosing its i-th pod (default 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kpath.errors import InputError

KINDS: dict[str, tuple[str, ...]] = {
    "node-down": ("node",),
    "pod-hang": ("pod",),
    "pod-refuse": ("pod",),
    "pod-error": ("pod",),
    "target-port-dead": ("service",),
    "slow": (),  # node or pod, checked below
}


@dataclass(frozen=True)
class Fault:
    """One injected fault. Only the fields its kind uses are set."""

    kind: str
    node: str | None = None
    pod: str | None = None  # "namespace/name"
    service: str | None = None  # "namespace/name"
    status: int = 500
    delay: float = 0.0
    replica: int = 0

    def describe(self) -> str:
        target = self.node or self.pod or self.service or "?"
        extra = f" {self.status}" if self.kind == "pod-error" else ""
        extra += f" {self.delay:g}s" if self.kind == "slow" else ""
        return f"{self.kind} {target}{extra}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in ("node", "pod", "service"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.kind == "pod-error":
            out["status"] = self.status
        if self.kind == "slow":
            out["delay"] = self.delay
        return out


def _ns_name(value: Any, field: str, kind: str) -> str:
    if not isinstance(value, str) or value.count("/") != 1 or "" in value.split("/"):
        raise InputError(f"fault {kind}: {field} must be 'namespace/name', got {value!r}")
    return value


def parse_fault(raw: Mapping[str, Any]) -> Fault:
    """A fault from a mapping (scenario header, control endpoint); `InputError` if malformed."""
    if not isinstance(raw, Mapping):
        raise InputError(f"a fault must be a mapping, got {type(raw).__name__}")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:  # a list here is unhashable
        raise InputError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
    unknown = set(raw) - {"kind", "node", "pod", "service", "status", "delay", "replica"}
    if unknown:
        raise InputError(f"fault {kind}: unknown field(s) {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {"kind": kind}
    for name in KINDS[kind]:
        if name not in raw:
            raise InputError(f"fault {kind} needs '{name}'")
    if kind == "slow" and ("node" in raw) == ("pod" in raw):
        raise InputError("fault slow needs exactly one of 'node' or 'pod'")
    if "node" in raw:
        if not isinstance(raw["node"], str) or not raw["node"]:
            raise InputError(f"fault {kind}: node must be a node name")
        fields["node"] = raw["node"]
    if "pod" in raw:
        fields["pod"] = _ns_name(raw["pod"], "pod", kind)
    if "service" in raw:
        fields["service"] = _ns_name(raw["service"], "service", kind)
    try:
        if "status" in raw:
            fields["status"] = int(raw["status"])
            if not 100 <= fields["status"] <= 599:
                raise ValueError
        if "delay" in raw:
            fields["delay"] = float(raw["delay"])
            if not 0 <= fields["delay"] <= 600:
                raise ValueError
        if "replica" in raw:
            fields["replica"] = int(raw["replica"])
            if fields["replica"] < 0:
                raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"fault {kind}: status/delay/replica out of range") from None
    if kind == "slow" and fields.get("delay", 0.0) <= 0:
        raise InputError("fault slow needs a positive 'delay' in seconds")
    return Fault(**fields)


class FaultSet:
    """The live set of faults, indexed for the data plane's per-connection checks."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._faults: list[Fault] = []
        for fault in faults:
            self.add(fault)

    def add(self, fault: Fault) -> None:
        if fault not in self._faults:
            self._faults.append(fault)

    def remove(self, fault: Fault) -> bool:
        try:
            self._faults.remove(fault)
        except ValueError:
            return False
        return True

    def clear(self) -> list[Fault]:
        gone, self._faults = self._faults, []
        return gone

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)

    def _first(self, kind: str, **match: str) -> Fault | None:
        for fault in self._faults:
            if fault.kind == kind and all(getattr(fault, k) == v for k, v in match.items()):
                return fault
        return None

    def node_down(self, node: str) -> bool:
        return self._first("node-down", node=node) is not None

    def pod_mode(self, pod: str) -> str | None:
        """'hang', 'refuse' or 'error' for the pod ``namespace/name``, else None."""
        for kind in ("pod-refuse", "pod-hang", "pod-error"):
            if self._first(kind, pod=pod):
                return kind.removeprefix("pod-")
        return None

    def pod_status(self, pod: str) -> int:
        fault = self._first("pod-error", pod=pod)
        return fault.status if fault else 200

    def dead_services(self) -> set[str]:
        return {f.service for f in self._faults if f.kind == "target-port-dead" and f.service}

    def delay(self, *, node: str | None = None, pod: str | None = None) -> float:
        total = 0.0
        for fault in self._faults:
            if fault.kind == "slow" and (
                (node is not None and fault.node == node) or (pod is not None and fault.pod == pod)
            ):
                total += fault.delay
        return total


def resolved(fault: Fault, pod: str) -> Fault:
    """The same fault aimed at one concrete pod (after a workload name was resolved)."""
    return replace(fault, pod=pod, replica=0)
