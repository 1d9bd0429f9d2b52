"""The cluster's namespaces, for `n` in the UI and for naming the ones that exist when a
`-n` names none. I/O at the edge: one LIST of namespaces (names only)."""

from __future__ import annotations

from typing import Any

from kpath.errors import KpathError


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
    return f"namespace {wanted!r} not found (namespaces: {listed})"


def dump_namespaces(snapshot: Any) -> list[str]:
    """What a dump holds: its Namespace objects, else the namespaces of its objects."""
    if snapshot.namespaces:
        return sorted(snapshot.namespaces)
    spaces = {k.namespace for k in snapshot.services} | {k.namespace for k in snapshot.pods}
    spaces |= {i.key.namespace for i in snapshot.ingresses}
    return sorted(s for s in spaces if s)
