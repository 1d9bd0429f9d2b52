"""Follow a live cluster: watch streams that say *which kind* changed, nothing more.

`kpath.cluster.informer.follow_cluster` supersedes this (full objects from the load's own
list versions, no LIST at all after the load); this stays until the UI follows through it.
The stream machinery both use is `kpath.cluster.streams`.

The UI reloads its snapshot when told something changed; it does not patch the snapshot
from events. So each stream only needs to survive, resume where it left off, and report the
kind. Bandwidth stays bounded: the initial resourceVersion comes from a one-item list, the
stream asks for metadata only (``as=PartialObjectMetadata``; a server that cannot do that
sends whole objects, which are read and dropped), and a quiet stream costs a bookmark now
and then.

One daemon thread per kind, one `_Hub` (API client, open responses, health) per call. Each
stream resumes from the last resourceVersion it saw: every event's and every BOOKMARK's
(bookmarks are asked for), so a resumed watch never replays what was already heard, and a
quiet kind's version still follows the cluster's. What can go wrong, and what follows:

- the stream ends (``timeoutSeconds``, or the server's own limit): resumed;
- ``410 Gone`` (history compacted: the HTTP status of the watch request, or an ERROR event
  with a 410 Status in the stream): that kind alone lists its version again and is reported
  changed (events may have been missed); the other kinds' streams are not touched;
- the connection fails (refused, reset, a 5xx, an ERROR event): retried;
- the stream stalls (no byte, not even a bookmark, for ``stall_after`` seconds, though the
  connection looks open): closed and reopened from the last resourceVersion;
- 403 (the user may not read the kind) or 404 (not served): that kind is dropped quietly.

The first failure after a stream that delivered something is retried at once; failures in
a row then back off 1 s, 2 s, 4 s … 10 s, whatever their sort, and a kind's watch the server
answered is not followed by another within a second (`retry_plan`), so nothing spins, not
even on a server that ends every stream as soon as it began.
`stop` ends every stream within about a second: the waiting thread shuts the open
responses' sockets down instead of waiting for their timeouts. Only GET is ever sent.

Beyond the namespace scope: a load narrowed to one namespace (``-n``) also reads, across
the cluster, the LoadBalancer and NodePort Services (where ingress controllers and Gateways'
data planes are reached), their EndpointSlices, and the Gateways routes attach to
(`kpath.cluster.live._read_controllers`). So with a namespace, Service, EndpointSlice and
Gateway each get one more stream at cluster scope (`OUTSIDE_KINDS`), whose events in the
scope's own namespace are left to the namespaced stream and whose others are reported only
when they concern what the load keeps (`outside_matters`): a Service of a controller type
(or one that was), a slice of such a Service, any Gateway. That stream asks for whole
Services (the type is in the spec), lists them once to learn which are controllers, and
otherwise behaves as the others; a Role limited to the namespace gets 403 and it drops out.

Besides kinds, ``on_change`` hears two pseudo-kinds, `WATCH_LOST` and `WATCH_OK`, so a UI can
say when it is no longer following the cluster (and when it is again). A connection that
fails twice in a row is lost; the next stream the server accepts again is OK. Each is said
once per change of state, however many kinds it concerns. A 410 or a stall is not a loss:
the server answered, or may simply have had nothing to say.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from kpath.cluster.gatewayapi import GATEWAY_KINDS
from kpath.cluster.keep import is_controller
from kpath.cluster.parse import SERVICE_NAME_LABEL
from kpath.cluster.streams import (
    ACCEPT_WHOLE,
    MAX_BACKOFF,
    MIN_GAP,
    STALL_AFTER,
    STREAM_SECONDS,
    Broken,
    Connection,
    Cursor,
    Gone,
    Refused,
    Stalled,
    Throttled,
    Unwatchable,
    decode_event,
    lines,
    parse_event,
    retry_plan,
)

__all__ = [
    "ACCEPT_WHOLE",
    "MAX_BACKOFF",
    "MIN_GAP",
    "STALL_AFTER",
    "STREAM_SECONDS",
    "decode_event",
    "parse_event",
    "retry_plan",
    "watch_changes",
]

#: on_change pseudo-kind: a stream broke and is being retried.
WATCH_LOST = "!watch-lost"
#: on_change pseudo-kind: every broken stream is following again.
WATCH_OK = "!watch-ok"

DEFAULT_KINDS = ("Node", "Pod", "Service", "EndpointSlice", "Ingress", "NetworkPolicy")
#: The Gateway API kinds (and the Namespaces their selectors read), for ``kinds=``: each is
#: watched at the version `load_live` reads it at, found by the same discovery; on a server
#: without the group they drop out quietly, as a 404 kind does.
GATEWAY_WATCH_KINDS = ("Namespace", *GATEWAY_KINDS)
#: Kinds the load reads beyond a namespace scope, watched at cluster scope too.
OUTSIDE_KINDS = ("Service", "EndpointSlice", "Gateway")
#: Metadata only where the server can; whole objects where it cannot.
ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


ChangeSink = Callable[[str], None]


def _meta(obj: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    labels = meta.get("labels")
    return (
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
        labels if isinstance(labels, dict) else {},
    )


def outside_matters(
    kind: str, obj: dict[str, Any], namespace: str, controllers: set[tuple[str, str]] | None
) -> bool:
    """Does an event of a cluster-scope stream change what a load of ``namespace`` reads?

    ``controllers``: the (namespace, name) of the Services of a controller type known so
    far (None: not known yet, so every slice counts). Pure; `_Controllers` keeps the set.
    Events of ``namespace`` itself are the namespaced stream's to report."""
    ns, name, labels = _meta(obj)
    if ns == namespace:
        return False
    if kind == "Service":
        # One that stops being a controller type (or is deleted) still changes the load.
        return is_controller(obj) or (controllers is not None and (ns, name) in controllers)
    if kind == "EndpointSlice":
        owner = labels.get(SERVICE_NAME_LABEL)
        return controllers is None or (ns, str(owner or "")) in controllers
    return True  # Gateways: few, and which ones routes name is the load's business


def watch_changes(
    options: Any,
    on_change: ChangeSink,
    stop: threading.Event,
    *,
    kinds: Sequence[str] = DEFAULT_KINDS,
    stall_after: float = STALL_AFTER,
) -> None:
    """Call ``on_change(kind)`` for every change of those kinds until ``stop`` is set.

    ``options`` is a `kpath.cluster.live.LiveOptions`: the same kubeconfig, context and
    namespace scope `load_live` reads. Blocks; never raises once credentials are loaded
    (an unusable kubeconfig is the `InputError` / `SourceError` `load_live` would raise).
    ``stall_after``: seconds of silence after which an open stream is reopened.
    """
    from kpath.cluster.kubeconfig import resolve_target
    from kpath.cluster.live import (
        ENDPOINT_SLICE,
        INGRESS,
        INGRESS_CLASS,
        NETWORK_POLICY,
        NODE,
        POD,
        SERVICE,
    )

    by_kind = {
        r.kind: r
        for r in (NODE, POD, SERVICE, ENDPOINT_SLICE, INGRESS, INGRESS_CLASS, NETWORK_POLICY)
    }
    target = resolve_target(options.kubeconfig, options.context)
    if any(k in GATEWAY_WATCH_KINDS for k in kinds):
        from kpath.cluster.live import gateway_watch_resources

        by_kind.update(gateway_watch_resources(target, options))
    namespace = None if options.all_namespaces else (options.namespace or target.namespace)
    followed: list[tuple[Any, str | None, _Outside | None]] = [
        (by_kind[k], namespace, None) for k in kinds if k in by_kind
    ]
    if namespace is not None:
        # What the load reads beyond the namespace, followed at cluster scope too.
        controllers = _Controllers()
        followed += [
            (res, None, _Outside(namespace, controllers))
            for res, _, _ in list(followed)
            if res.kind in OUTSIDE_KINDS
        ]
    hub = _Hub(target, float(options.timeout), on_change, stop, stall_after, len(followed))
    threads = [
        threading.Thread(
            target=hub.follow,
            args=(res, ns, outside),
            name=f"kpath-watch-{res.kind}{'-cluster' if outside else ''}",
            daemon=True,
        )
        for res, ns, outside in followed
    ]
    for t in threads:
        t.start()
    try:
        stop.wait()
    finally:
        stop.set()
        hub.close_all()
        for t in threads:
            t.join(timeout=2)
        hub.api.close()


class _Controllers:
    """The controller-type Services seen across the cluster, shared by the cluster-scope
    Service stream (which keeps it) and the EndpointSlice one (which reads it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[tuple[str, str]] | None = None  # None until the Services were listed

    def known(self) -> set[tuple[str, str]] | None:
        with self._lock:
            return None if self._keys is None else set(self._keys)

    def seed(self, services: list[dict[str, Any]]) -> None:
        keys = {_meta(s)[:2] for s in services if is_controller(s)}
        with self._lock:
            self._keys = keys

    def heard(self, type_: str, obj: dict[str, Any]) -> None:
        """Keep the set in step with a Service event (before `outside_matters` of the
        next one; this one was judged with the set as it was)."""
        key = _meta(obj)[:2]
        with self._lock:
            if self._keys is None:
                return
            if type_ != "DELETED" and is_controller(obj):
                self._keys.add(key)
            else:
                self._keys.discard(key)


@dataclass(frozen=True)
class _Outside:
    """A cluster-scope stream of a kind the load reads beyond ``namespace``."""

    namespace: str
    controllers: _Controllers

    def whole(self, kind: str) -> bool:
        return kind == "Service"  # spec.type is not in the metadata


class _Hub(Connection):
    """What the per-kind threads share (`Connection`), and the stream that only says which
    kind changed."""

    def __init__(
        self,
        target: Any,
        timeout: float,
        on_change: ChangeSink,
        stop: threading.Event,
        stall_after: float = STALL_AFTER,
        streams: int = 0,
    ) -> None:
        self.on_change = on_change
        super().__init__(target, timeout, stop, self._health_changed, stall_after, streams)

    def _health_changed(self, ok: bool, reason: str) -> None:
        self._tell(WATCH_OK if ok else WATCH_LOST)

    def _tell(self, what: str) -> None:
        with contextlib.suppress(Exception):  # a failing listener must not end the watch
            self.on_change(what)

    # -- one kind ------------------------------------------------------------------------

    def follow(self, res: Any, namespace: str | None, outside: _Outside | None = None) -> None:
        """List the version, then watch from it; resume, re-list or back off as needed.
        ``outside``: a cluster-scope stream beyond a namespace scope, filtered."""
        path = res.path(namespace)
        name = res.kind if outside is None else f"{res.kind}@cluster"  # health, per stream
        cursor = Cursor()
        while not self.stop.is_set():
            wait = 0.0
            try:
                if cursor.rv is None:
                    cursor.rv = self._current_version(path)
                    if outside is not None and res.kind == "Service":
                        # After the version: a change in between is replayed, not missed.
                        outside.controllers.seed(self._list_all(path))
                if not self._stream(res.kind, path, cursor, name, outside):
                    # Ended having said nothing: quiet, or a server that closes at once.
                    cursor.streak += 1
            except Unwatchable:
                self.recover(name)
                return
            except Gone:
                cursor.rv = None
                self._tell(res.kind)  # what changed meanwhile is unknown: assume it did
                cursor.streak += 1
            except Throttled as exc:
                cursor.streak += 1
                wait = exc.seconds
            except Stalled:
                cursor.streak += 1  # reopened from cursor.rv, moved on by what did arrive
            except (Broken, Refused):
                cursor.broken += 1
                cursor.streak += 1
            if self.stop.is_set():
                return
            since = None if cursor.opened is None else time.monotonic() - cursor.opened
            pause, lost = retry_plan(cursor.streak, cursor.broken, since)
            if lost:
                self.lose(name)
            pause = max(pause, wait)
            if pause > 0:
                self.stop.wait(pause)

    def _current_version(self, path: str) -> str:
        doc = self.read_json(f"{path}?{urlencode({'limit': '1'})}", ACCEPT)
        try:
            rv = doc["metadata"]["resourceVersion"]
        except (KeyError, TypeError):
            raise Broken("list without resourceVersion") from None
        if not isinstance(rv, str) or not rv:
            raise Broken("list without resourceVersion")
        return rv

    def _list_all(self, path: str, page_size: int = 500) -> list[dict[str, Any]]:
        """Every object at ``path`` (whole), page by page."""
        return self.list_pages(path, page_size)[0]

    def _stream(
        self,
        kind: str,
        path: str,
        cursor: Cursor,
        name: str | None = None,
        outside: _Outside | None = None,
    ) -> bool:
        """Hold one watch open from ``cursor.rv``, moving it on with every event and
        bookmark; True when it delivered anything (the failure streak then starts over).
        ``outside``: report only the events `outside_matters` keeps."""
        from urllib3.exceptions import ReadTimeoutError

        query = {
            "watch": "1",
            "resourceVersion": cursor.rv,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(STREAM_SECONDS),
        }
        # The read timeout is the stall detector: no byte for that long, not even a
        # bookmark, ends the stream; `stop` shuts the socket down itself.
        accept = ACCEPT_WHOLE if outside is not None and outside.whole(kind) else ACCEPT
        response = self.open_request(f"{path}?{urlencode(query)}", self.stall_after, accept)
        # Answered: the gap counts from here (a refused connection backs off by the streak).
        cursor.opened, cursor.broken = time.monotonic(), 0
        self.recover(name or kind)
        delivered = False
        try:
            for group in lines(response):
                for line in group:
                    kind_of, new_rv, code, obj = decode_event(line)
                    if kind_of == "ERROR":
                        if code == 410:
                            raise Gone()
                        raise Broken(f"watch error {code}")
                    if new_rv:
                        cursor.rv = new_rv
                    if kind_of and not delivered:
                        delivered, cursor.streak = True, 0
                    if kind_of not in ("ADDED", "MODIFIED", "DELETED"):
                        continue
                    if outside is None:
                        self._tell(kind)
                        continue
                    known = outside.controllers.known()
                    if outside_matters(kind, obj, outside.namespace, known):
                        self._tell(kind)
                    if kind == "Service":
                        outside.controllers.heard(kind_of, obj)
        except (Gone, Broken):
            raise
        except (ReadTimeoutError, TimeoutError):
            raise Stalled() from None
        except Exception as exc:  # reset, shutdown by stop
            raise Broken(str(exc)) from None
        finally:
            self.forget(response)
        return delivered
