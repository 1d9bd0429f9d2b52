"""Hostname matching as the Gateway API defines it (pure functions).

A hostname is exact (``shop.example.com``) or a wildcard whose first label is ``*``
(``*.example.com``): a suffix match of one or more labels, never the bare domain. ``None``
(a listener without ``hostname``) and ``()`` (a route without ``hostnames``) mean every host.
"""

from __future__ import annotations

from collections.abc import Iterator


def is_wildcard(hostname: str) -> bool:
    return hostname.startswith("*.")


def host_matches(pattern: str | None, host: str) -> bool:
    """Whether a request host falls under a listener's or route's hostname."""
    if pattern is None:
        return True
    pattern = pattern.lower()
    if is_wildcard(pattern):
        suffix = pattern[1:]  # ".example.com": at least one label must precede it
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern


def covers(wide: str, narrow: str) -> bool:
    """Whether every host ``narrow`` names is also named by ``wide``."""
    if wide == narrow:
        return True
    if not is_wildcard(wide):
        return False
    if is_wildcard(narrow):
        # *.a.example.com lies inside *.example.com
        return narrow[1:].endswith(wide[1:])
    return host_matches(wide, narrow)


def intersect(listener: str | None, route: tuple[str, ...]) -> tuple[str, ...] | None:
    """The hostnames a route serves on a listener: ``()`` for every host, None for none.

    Route hostnames the listener does not cover are ignored; a route wildcard wider than
    the listener's hostname narrows to the listener's (``*.specific.com`` on a listener for
    ``very.specific.com`` serves ``very.specific.com``).
    """
    hosts = tuple(h.lower() for h in route)
    if listener is None:
        return hosts
    listener = listener.lower()
    if not hosts:
        return (listener,)
    out: list[str] = []
    for h in hosts:
        if covers(listener, h):
            narrow = h
        elif covers(h, listener):
            narrow = listener
        else:
            continue
        if narrow not in out:
            out.append(narrow)
    return tuple(out) or None


def hosts_intersect(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two routes' hostnames on one listener share a host (``()``: every host)."""
    if not a or not b:
        return True
    return any(covers(x, y) or covers(y, x) for x in a for y in b)


def specificity(hostname: str | None) -> tuple[int, int]:
    """Sort key, larger is more specific: exact over wildcard, longer wildcard over shorter,
    then no hostname at all (the spec's listener and route hostname precedence)."""
    if hostname is None:
        return (0, 0)
    if is_wildcard(hostname):
        return (1, len(hostname))
    return (2, len(hostname))


def wildcard_keys(host: str) -> Iterator[str]:
    """The wildcard hostnames that match ``host``, most specific first:
    ``a.b.example.com`` gives ``*.b.example.com``, ``*.example.com``, ``*.com``."""
    parts = host.split(".")
    for i in range(1, len(parts)):
        yield "*." + ".".join(parts[i:])
