"""Whether a live read found anything at all to show. Pure.

A cluster where some kinds are forbidden is still worth showing (what can be read is shown,
what could not is said). One where *every* list was refused is not: an empty table with
exit 0 would read as "no services". Two cases are told apart, because the fix differs:
every refusal a 403 (the user's RBAC allows none of it), or every one a 404 (the URL is not
a Kubernetes API server at all: a web server, a proxy's error page, a wrong path).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping


def nothing_readable(
    server: str, who: str, namespace: str | None, refused: Mapping[str, int], read: Collection[str]
) -> str | None:
    """The one line to stop with when no kind could be read; None when something was.

    ``refused``: kind -> HTTP status (403 or 404) of each kind that could not be listed;
    ``read``: the kinds that were; ``namespace``: where namespaced kinds were listed (None:
    all namespaces); ``who``: the context, as messages name it.
    """
    if read or not refused:
        return None
    forbidden = [k for k, code in refused.items() if code == 403]  # in the order read
    missing = [k for k, code in refused.items() if code != 403]
    if not forbidden:
        return (
            f"{server} is not a Kubernetes API server: it answered 404 Not Found to every "
            f"list kpath reads ({', '.join(missing)})"
        )
    where = "in all namespaces" if namespace is None else f"in namespace {namespace}"
    line = (
        f"the API server at {server} lets {who} list nothing kpath reads: 403 Forbidden "
        f"on {', '.join(forbidden)} ({where}, nodes and IngressClasses cluster-wide)"
    )
    if missing:
        line += f"; not served (404): {', '.join(missing)}"
    if namespace is None:
        line += "; a user allowed one namespace can read it with -n NAMESPACE"
    return line
