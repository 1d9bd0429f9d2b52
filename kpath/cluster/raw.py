"""What every source (dump files, the live API, the lab) hands on: plain API dicts by kind.

Sources know files and HTTP; they decide nothing about routing. The snapshot builder turns
a `RawCluster` into slim records (`snapshot.build_snapshot`).

A dump's objects of the kinds decoded typed (`kpath.cluster.typed`) are held as msgspec
Structs, which the snapshot builder reads straight (`RawCluster.held`). Everyone else sees
plain dicts: the first read of ``objects`` turns any Struct into its dict, once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from kpath.cluster.gatewaykinds import GATEWAY_KINDS
from kpath.cluster.policykinds import OTHER_POLICY_RAW_KINDS

#: The kinds kpath reads. ``Endpoints`` is used only where a service has no EndpointSlice.
#: Namespaces are read for their labels (Gateway ``allowedRoutes`` selectors, NetworkPolicy
#: namespaceSelectors). The not-evaluated policy kinds are read only to be listed.
KINDS: tuple[str, ...] = (
    "Node",
    "Pod",
    "Service",
    "EndpointSlice",
    "Endpoints",
    "Ingress",
    "IngressClass",
    "Namespace",
    *GATEWAY_KINDS,
    "NetworkPolicy",
    *OTHER_POLICY_RAW_KINDS,
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
    #: kind -> where each object of ``objects[kind]`` came from (a file), in step with it;
    #: "" where the source has nothing better than ``origin``. Errors name it.
    sources: dict[str, list[str]] = field(default_factory=dict)
    #: The namespaces whose namespaced objects were read in full (None: every namespace,
    #: and what a dump holds). Objects of other namespaces may still be present: those
    #: read to resolve ingress controllers and Gateways (``controllers_outside``).
    namespaces_read: frozenset[str] | None = None
    #: Why Services outside ``namespaces_read`` (or outside ``-l``) could not be looked
    #: at for an ingress controller or a Gateway's Service; None when they were, or when
    #: there was no need.
    controllers_unread: str | None = None
    #: Why the Gateways outside ``namespaces_read`` that routes name could not be listed
    #: (KP416 says a route's parent is outside what could be read); None when they were.
    gateways_unread: str | None = None
    #: (kind, namespace the list covered or None for the cluster) -> the resourceVersion
    #: the server listed it at, so a watch resumes there without listing again.
    list_versions: dict[tuple[str, str | None], str] = field(default_factory=dict)

    @property
    def held(self) -> dict[str, list[Any]]:
        """The objects as held: dicts, and Structs where a dump was decoded typed (for the
        snapshot builder and the dump reader, which read both; ``objects`` for dicts)."""
        held: dict[str, list[Any]] = self.__dict__["_objects"]
        return held

    def held_typed(self) -> None:
        """Note that Structs were filed straight into ``held`` (``objects`` turns them)."""
        self.__dict__["_structs"] = True

    def add(self, kind: str, item: Any, source: str = "") -> None:
        """File one object (a dict, or a typed dump's Struct) under its kind, counting
        kinds kpath does not read."""
        if kind in KINDS:
            if type(item) is not dict:
                self.held_typed()
            self.held.setdefault(kind, []).append(item)
            self.sources.setdefault(kind, []).append(source)
        else:
            self.skipped[kind] = self.skipped.get(kind, 0) + 1

    def extend(self, kind: str, items: list[Any]) -> None:
        """`add` of each of ``items`` (of a kind kpath reads), from the origin."""
        self.held_typed()  # (whether any is a Struct is looked at once, when read)
        self.held.setdefault(kind, []).extend(items)
        self.sources.setdefault(kind, []).extend([""] * len(items))

    def replace(self, kind: str, index: int, item: Any, source: str = "") -> None:
        """Put a later copy of an object in the place of the earlier one."""
        if type(item) is not dict:
            self.held_typed()
        self.held[kind][index] = item
        self.sources[kind][index] = source

    def source_of(self, kind: str, index: int) -> str:
        """Where object ``index`` of ``kind`` came from: its file, else the origin."""
        sources = self.sources.get(kind)
        found = sources[index] if sources is not None and index < len(sources) else ""
        return found or self.origin

    def saw(self, kind: str) -> None:
        """Record that the source carried a (possibly empty) list of this kind."""
        if kind in KINDS:
            self.held.setdefault(kind, [])


#: Turning Structs into dicts happens once, whichever thread reads ``objects`` first (a
#: UI's follower and its analysis start together): the other waits for it.
_PLAIN_LOCK = threading.Lock()
#: Above this many objects turned, they are moved out of the collector's sight (as a
#: load's are: they live as long as the cluster they belong to).
_FREEZE_TURNED = 2_000


def _plain_objects(raw: RawCluster) -> dict[str, list[RawObject]]:
    """``RawCluster.objects``: every object as a dict (Structs turned into theirs, once)."""
    state = raw.__dict__
    objects: dict[str, list[Any]] = state["_objects"]
    if state.get("_structs"):
        with _PLAIN_LOCK:
            if state.get("_structs"):
                _turn(objects)
                state["_structs"] = False
    return objects


def _turn(objects: dict[str, list[Any]]) -> None:
    from kpath.cluster.typed import to_plain
    from kpath.gcpause import GcPause

    # Collector paused: a followed live read turns a whole cluster's Structs here.
    with GcPause() as pause:
        turned = 0
        for items in objects.values():
            for i, item in enumerate(items):
                if type(item) is not dict:
                    items[i] = to_plain(item)
                    turned += 1
        pause.freeze = turned >= _FREEZE_TURNED


def _set_objects(raw: RawCluster, objects: dict[str, list[Any]]) -> None:
    raw.__dict__["_objects"] = objects
    raw.__dict__["_structs"] = True  # may hold Structs (from ``held``): looked at once


# A property set after the dataclass is made, so the generated __init__, __eq__ and
# __repr__ go through it (``RawCluster(objects=…)`` as before).
setattr(RawCluster, "objects", property(_plain_objects, _set_objects))  # noqa: B010
