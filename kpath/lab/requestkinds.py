"""What each recorded API request asked for: the verb and the resource, from path and query.

So a test can count, from `LabApiServer.requests`, how often one kind was listed (for
example: a 410 re-lists that kind, and no other). Pure functions over the record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import parse_qs


class Recorded(Protocol):
    path: str
    query: str


def classify(path: str, query: str = "") -> tuple[str, str] | None:
    """``(verb, plural)`` of one API request, verb one of list, watch, get, proxy or other;
    None for what is not a resource (discovery, /version, health)."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"]:
        rest = parts[2:]
    elif parts[:1] == ["apis"]:
        rest = parts[3:]
    else:
        return None
    watching = False
    if len(rest) > 1 and rest[0] == "watch":  # the legacy /watch/ prefix
        watching, rest = True, rest[1:]
    if len(rest) >= 3 and rest[0] == "namespaces":
        rest = rest[2:]
    if not rest:
        return None
    plural = rest[0]
    if len(rest) == 1:
        asked = parse_qs(query).get("watch", [""])[-1]
        return ("watch" if watching or asked in ("true", "1", "True") else "list"), plural
    if len(rest) == 2:
        return "get", plural
    return ("proxy" if rest[2] == "proxy" else "other"), plural


def by_kind(requests: Iterable[Recorded]) -> Counter[tuple[str, str]]:
    """How many requests of each ``(verb, plural)`` the record holds."""
    counts: Counter[tuple[str, str]] = Counter()
    for r in requests:
        what = classify(r.path, r.query)
        if what is not None:
            counts[what] += 1
    return counts
