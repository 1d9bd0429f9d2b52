"""What every source (dump files, the live API, the lab) hands on: plain API dicts by kind.

Sources know files and HTTP; they decide nothing about routing. The snapshot builder turns
a `RawCluster` into slim records (`snapshot.build_snapshot`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The kinds kpath reads. ``Endpoints`` is used only where a service has no EndpointSlice.
KINDS: tuple[str, ...] = (
    "Node",
    "Pod",
    "Service",
    "EndpointSlice",
    "Endpoints",
    "Ingress",
    "IngressClass",
)

RawObject = dict[str, Any]


@dataclass
class RawCluster:
    """API objects as the server returned them, grouped by kind.

    A kind is present in ``objects`` when the source looked for it (even if it found none);
    absent when the source never carried it (a dump without EndpointSlices, say).
    """

    objects: dict[str, list[RawObject]] = field(default_factory=dict)
    origin: str = ""
    #: kind -> why it could not be read (HTTP 403, say); the rest still works.
    not_visible: dict[str, str] = field(default_factory=dict)
    #: kinds kpath does not use -> how many objects of each were skipped.
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def add(self, kind: str, item: RawObject) -> None:
        """File one object under its kind, counting kinds kpath does not read."""
        if kind in KINDS:
            self.objects.setdefault(kind, []).append(item)
        else:
            self.skipped[kind] = self.skipped.get(kind, 0) + 1

    def saw(self, kind: str) -> None:
        """Record that the source carried a (possibly empty) list of this kind."""
        if kind in KINDS:
            self.objects.setdefault(kind, [])
