"""A one-shot live read's biggest kinds parsed page by page, as the pages arrive.

`build_snapshot` parses a `RawCluster` whose objects are all held at once; for a live read
of a big cluster those dicts are most of the memory (86 MB at 1/10 of Kubernetes' limits,
against 11 MB of records). A one-shot read (`kpath paths`) parses Nodes, Pods, Services
and EndpointSlices into records as each page is decoded, and lets the page go: the
snapshot is then built from those records (`Interner.parsed`) and the raw objects of the
other kinds, which are few. A followed read (the UI) parses them the same way, so its
first screen waits no longer, and also keeps each page's objects as read (``hold``: typed
Structs, no dicts) for its follower.

What the records and errors are does not change: the same parsers, in the same order per
kind, with one interner (EndpointSlices share their pod's key once every pod is read, as in
`build_snapshot`). An object a parser refuses is not an error at once: the read goes on
(an unreachable server still says so first) and `raise_refused` raises the first refusal
in `build_snapshot`'s order of kinds, naming the object by its index as it would.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from kpath.cluster.raw import RawObject
from kpath.errors import InputError

#: The kinds parsed as they are read, in `build_snapshot`'s order (which every other kind
#: comes after, so their errors come after these, as there).
PARSED_KINDS: tuple[str, ...] = ("Node", "Pod", "Service", "EndpointSlice")


class _Refused(NamedTuple):
    obj: RawObject
    error: Exception


class Parsed(NamedTuple):
    """One page's records (a refused object kept with its error), not filed yet."""

    items: list[Any]
    keys: list[tuple[str, str]]  # Services only: (namespace, name) as the dicts say
    #: The page's objects themselves, as read (dicts or Structs), when the parser holds
    #: them (`PageParser.hold`); else None.
    objects: list[Any] | None = None


class PageParser:
    """Records of `PARSED_KINDS` from pages of API objects; ``intern.parsed`` holds them."""

    def __init__(self, origin: str, hold: bool = False) -> None:
        from kpath.cluster.parse import Interner

        #: Keep each page's objects with its records (`Parsed.objects`): a followed read
        #: files them in its `RawCluster` too, for the follower (`live.load_live_followed`).
        self.hold = hold
        self.intern = Interner()
        self.origin = origin  # errors name it, as `RawCluster.source_of` names a live read
        #: kind -> objects filed (refused ones too: an error's index counts them)
        self.filed: dict[str, int] = {}
        self.refused: dict[str, InputError] = {}  # kind -> its first refused object's error
        #: (namespace, name) of every Service filed, as `object_key` reads them.
        self.service_keys: set[tuple[str, str]] = set()
        self._pods_indexed = False

    def parse(self, kind: str, objects: Iterable[Any], api_version: str = "") -> Parsed:
        """One page's objects as records (a refused one kept with its error); nothing is
        filed until `file` (a list read again from its start drops what it parsed).

        An object is a dict, or a typed Struct (`live._decode_structs`): that is read
        straight (`parse_typed`), or as its dict where in doubt, as `build_snapshot` reads
        a typed dump's (the dict then says ``kind`` and ``api_version``, as a dict page's
        items are given them)."""
        from kpath.cluster.fields import BadField
        from kpath.cluster.parse import parser_of
        from kpath.cluster.parse_typed import TYPED_PARSERS, Unsure

        if kind == "EndpointSlice" and not self._pods_indexed:
            self._index_pods()
        parser = parser_of(kind)
        typed = TYPED_PARSERS.get(kind)
        intern = self.intern
        held = list(objects) if self.hold else None
        if held is not None:
            objects = held
        out = Parsed([], [], held)
        append = out.items.append
        for obj in objects:
            if type(obj) is not dict:
                try:
                    append(typed(obj, intern))  # type: ignore[misc]
                    if kind == "Service":
                        out.keys.append(object_key(obj))
                    continue
                except (Unsure, BadField, TypeError, ValueError, KeyError, AttributeError):
                    obj = _plain(obj, kind, api_version)  # the dict parser judges
            try:
                append(parser(obj, intern))
            # As `snapshot._parse_all`: BadField is the parser's verdict, the rest a net.
            except (BadField, TypeError, ValueError, KeyError, AttributeError) as exc:
                append(_Refused(obj, exc))
            if kind == "Service":
                key = object_key(obj)
                # A name that is no string is refused by the parser: the read then fails.
                if type(key[0]) is str and type(key[1]) is str:
                    out.keys.append(key)
        return out

    def file(self, kind: str, pages: Iterable[Parsed]) -> None:
        """File records `parse` made, after those filed before."""
        from kpath.cluster.parse import field_error

        records = self.intern.parsed.setdefault(kind, [])
        index = self.filed.get(kind, 0)
        for page in pages:
            for item in page.items:
                if type(item) is _Refused:
                    if kind not in self.refused:
                        self.refused[kind] = field_error(
                            self.origin, kind, index, item.obj, item.error
                        )
                else:
                    records.append(item)
                index += 1
            self.service_keys.update(page.keys)
        self.filed[kind] = index

    def saw(self, kind: str) -> None:
        """A kind listed (maybe empty): `build_snapshot` takes its records, not dicts."""
        self.intern.parsed.setdefault(kind, [])

    def count(self) -> int:
        return sum(self.filed.values())

    def raise_refused(self) -> None:
        """The error `build_snapshot` would raise first among the kinds parsed here."""
        for kind in PARSED_KINDS:
            if kind in self.refused:
                raise self.refused[kind]

    def _index_pods(self) -> None:
        from kpath.cluster.records import ObjectKey

        new = tuple.__new__  # (ObjectKey's own __new__ is a Python call per pod)
        pods = {new(ObjectKey, (p.namespace, p.name)): p for p in self.intern.parsed.get("Pod", ())}
        self.intern.index_pods(pods)
        self._pods_indexed = True


def object_key(obj: Any) -> tuple[str, str]:
    """(namespace, name) of an object: a dict as the API sent it ("" for what is absent;
    metadata that is no mapping counts as absent), or a typed Struct that its
    ``parse_typed`` reader took (so both are strings, the namespace maybe absent)."""
    if type(obj) is not dict:
        meta = obj.metadata
        return (meta.namespace or "", meta.name)
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def _plain(obj: Any, kind: str, api_version: str) -> RawObject:
    from kpath.cluster.typed import to_plain

    plain: RawObject = to_plain(obj)
    plain.setdefault("kind", kind)
    plain.setdefault("apiVersion", api_version)
    return plain
