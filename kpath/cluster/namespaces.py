"""The cluster's namespaces, for `n` in the UI and for naming the ones that exist when a
`-n` names none. I/O at the edge: one LIST of namespaces (names only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kpath.errors import InputError, KpathError


def list_namespaces(options: Any) -> list[str] | None:
    """The namespaces a live cluster (``kpath.cluster.live.LiveOptions``) has, sorted; None
    when they cannot be listed (403, an old server, the API gone): callers then go on
    without naming them."""
    from kpath.cluster.live import NAMESPACE, NotVisible, list_kind

    try:
        items = list_kind(options, NAMESPACE)
    except (NotVisible, KpathError):
        # Not a reason to stop: the load that follows says what is wrong, if anything.
        return None
    names = {(o.get("metadata") or {}).get("name") for o in items}
    return sorted(n for n in names if isinstance(n, str) and n)


def unknown_namespace(wanted: str, existing: list[str] | None) -> str | None:
    """The one-line error for ``-n wanted`` when the cluster (or the dump) has no such
    namespace, naming the ones it has; None when it exists or they are not known."""
    if existing is None or wanted in existing:
        return None
    listed = ", ".join(existing) if existing else "none"
    return f'namespace "{wanted}" not found (namespaces: {listed})'


def dump_namespaces(objects: Mapping[str, Iterable[Any]]) -> list[str]:
    """What a dump (``RawCluster.held``: dicts, or a typed dump's Structs, read as they
    are rather than each turned into its dict) holds: its Namespace objects' names, else
    the namespaces its objects are in."""

    def names(items: Iterable[Any], field: str) -> set[str]:
        found = set()
        for obj in items:
            if isinstance(obj, Mapping):
                meta = obj.get("metadata")
                value = meta.get(field) if isinstance(meta, Mapping) else None
            else:  # a Struct: its metadata's field, or UNSET (no string) when absent
                value = getattr(getattr(obj, "metadata", None), field, None)
            if isinstance(value, str) and value:
                found.add(value)
        return found

    declared = names(objects.get("Namespace", ()), "name")
    if declared:
        return sorted(declared)
    return sorted(set().union(*(names(items, "namespace") for items in objects.values())))


def qualify(ref: str, namespace: str | None, default: str, what: str, strict: bool = True) -> str:
    """``NS/NAME`` as given, or ``NAME`` in ``namespace`` (``-n``), else in ``default``
    (the context's namespace, as kubectl). `InputError` when the reference is not one of
    the two shapes, or (``strict``: one object named) ``-n`` names another namespace
    than ``NS/`` does."""
    ns, sep, name = ref.partition("/")
    if not sep:
        ns, name = namespace or default, ref
    elif strict and namespace is not None and ns != namespace:
        raise InputError(
            f"{what} {ref!r} is in namespace {ns!r} but -n says {namespace!r}: "
            "give NAME -n NAMESPACE or NAMESPACE/NAME"
        )
    # A name with a further "/" is left to the command: none exists, and each says so
    # naming what does (the name quoted as the cluster could hold it).
    if not ns or not name:
        raise InputError(f"{what} {ref!r}: give it as NAME (with -n NAMESPACE) or NAMESPACE/NAME")
    return f"{ns}/{name}"
