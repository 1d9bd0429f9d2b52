"""kpath's own informer: follow a live cluster from watch events, never by re-reading it.

`follow_cluster` starts where `kpath.cluster.live.load_live` stopped. For every kind and
namespace scope the load listed, one watch of full objects resumes from the version that
list was read at (`RawCluster.list_versions`), so after the initial load there are no LIST
requests at all: only watches, and a re-list of one kind after ``410 Gone``. Each stream
moves its resourceVersion on with every event and every BOOKMARK (bookmarks are asked for),
so a resumed watch never replays what was already heard and a quiet kind's version follows
the cluster's. What arrives becomes `Change` events the caller files into its `RawCluster`
(`kpath.cluster.events.apply_events`), giving what a fresh load would read.

What can go wrong (`kpath.cluster.streams` has the machinery), and what follows:

- the stream ends (``timeoutSeconds``, or the server's own limit): resumed;
- ``410 Gone`` (an HTTP status or an ERROR event): that kind alone is listed again and
  delivered as a `Replace` (a streaming list where the server offers one:
  ``sendInitialEvents=true`` with ``resourceVersionMatch=NotOlderThan``, up to the
  ``k8s.io/initial-events-end`` bookmark, the stream then going on as the watch; a paged
  list where it does not); the other kinds' streams are not touched;
- ``429 Too Many Requests``: the stream waits what ``Retry-After`` says (at least);
- the connection fails, or the stream stalls (``stall_after`` seconds without a byte):
  retried, resumed from the last version, with jittered exponential back-off
  (`kpath.cluster.streams.retry_plan`);
- 403 or 404: that stream is dropped quietly.

A namespaced load also keeps Services, EndpointSlices and Gateways beyond its namespace
(ingress controllers, Gateways' data planes, the Gateways its routes name); their
cluster-scope streams are filtered to what the load keeps (`kpath.cluster.keep`), so the
events are the ones the `RawCluster` would hold. `Health(False)` says the streams stopped
following (a connection failed twice in a row), `Health(True)` that they follow again.

Events that arrived together are delivered together: a stream hands on what one read
brought, and the delivery waits a few milliseconds for more (at most `BATCH_SECONDS`, at
most `BATCH_EVENTS`), so a rollout of a thousand pods is a handful of calls, not a
thousand. ``on_events`` is called from the thread that called `follow_cluster`, one call at
a time. Only GET is ever sent.
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from kpath.cluster.events import ChangeType, Event, Health, object_key
from kpath.cluster.gatewaykinds import GATEWAY_KINDS, ROUTE_KINDS
from kpath.cluster.keep import (
    Beyond,
    BeyondStream,
    Everything,
    Keep,
    Routes,
    Selected,
    SelectedServices,
    Selection,
    owner_of,
)
from kpath.cluster.parse import SERVICE_NAME_LABEL
from kpath.cluster.policykinds import OTHER_POLICY_RAW
from kpath.cluster.raw import RawCluster, RawObject
from kpath.cluster.streams import (
    ACCEPT_WHOLE,
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
    initial_events_end,
    lines,
    retry_plan,
)

#: Kinds a namespaced load reads beyond its namespace, each followed at cluster scope.
OUTSIDE_KINDS = ("Service", "EndpointSlice", "Gateway")
#: A delivery waits at most this long after its first event for more (seconds) …
BATCH_SECONDS = 0.05
#: … and for no more than this many events.
BATCH_EVENTS = 5000
#: … and stops waiting once nothing more came for this long (seconds).
BATCH_QUIET = 0.005

EventSink = Callable[[Sequence[Event]], None]


@dataclass(frozen=True)
class StreamPlan:
    """One watch to hold open: a kind at a scope, from a version."""

    kind: str
    namespace: str | None  # the path's scope (None: the cluster)
    version: str
    beyond: bool = False  # a cluster-scope stream of a namespaced load, filtered

    @property
    def name(self) -> str:
        return f"{self.kind}@{self.namespace or 'cluster'}"


def plan_streams(
    raw: RawCluster, namespace: str | None, kinds: Collection[str] | None = None
) -> list[StreamPlan]:
    """The watches that follow what the load read (pure).

    Every (kind, scope) the load listed is one stream from that list's version. A
    namespaced load's cluster-scope lists of `OUTSIDE_KINDS` are filtered streams; when it
    listed the Services beyond its namespace but no slices of them (none was a
    controller), their slices are followed from the Services' version, which is as good
    (resourceVersions are the store's, not the kind's), so a Service that becomes a
    controller brings its later slice changes."""
    plans: list[StreamPlan] = []
    for (kind, scope), version in sorted(
        raw.list_versions.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        if kinds is not None and kind not in kinds:
            continue
        beyond = namespace is not None and scope is None and kind in OUTSIDE_KINDS
        plans.append(StreamPlan(kind, scope, version, beyond))
    service_beyond = raw.list_versions.get(("Service", None))
    if (
        namespace is not None
        and service_beyond is not None
        and "EndpointSlice" in raw.objects
        and ("EndpointSlice", None) not in raw.list_versions
        and (kinds is None or "EndpointSlice" in kinds)
    ):
        plans.append(StreamPlan("EndpointSlice", None, service_beyond, True))
    return plans


def follow_cluster(
    options: Any,
    raw: RawCluster,
    on_events: EventSink,
    stop: threading.Event,
    *,
    kinds: Collection[str] | None = None,
    stall_after: float = STALL_AFTER,
) -> None:
    """Deliver the changes of what ``raw`` holds to ``on_events`` until ``stop`` is set.

    ``options``: the `kpath.cluster.live.LiveOptions` ``raw`` was loaded with (the same
    kubeconfig, context, namespace scope and selector); ``raw``: that load, read here
    only before the first delivery (its list versions, and which objects it kept).
    ``kinds``: follow only these (default: every kind the load listed). Blocks; never
    raises once credentials are loaded (an unusable kubeconfig is the `InputError` /
    `SourceError` `load_live` would raise). ``stall_after``: seconds of silence after
    which an open stream is reopened.
    """
    from kpath.cluster.kubeconfig import resolve_target

    target = resolve_target(options.kubeconfig, options.context)
    namespace = None if options.all_namespaces else (options.namespace or target.namespace)
    plans = plan_streams(raw, namespace, kinds)
    inbox: queue.SimpleQueue[list[Event]] = queue.SimpleQueue()
    follower = _Follower(
        target,
        float(options.timeout),
        stop,
        inbox.put,
        stall_after,
        len(plans),
        options.page_size,
    )
    streams = _streams(plans, raw, namespace, options.selector, _resources(target, options, plans))
    threads = [
        threading.Thread(target=follower.follow, args=(s,), name=f"kpath-follow-{s.plan.name}")
        for s in streams
    ]
    for t in threads:
        t.daemon = True
        t.start()
    try:
        deliver_batches(inbox, on_events, stop)
    finally:
        stop.set()
        follower.close_all()
        for t in threads:
            t.join(timeout=2)
        follower.api.close()


def deliver_batches(
    inbox: queue.SimpleQueue[list[Event]],
    on_events: EventSink,
    stop: threading.Event,
    *,
    most_seconds: float = BATCH_SECONDS,
    most_events: int = BATCH_EVENTS,
    quiet: float = BATCH_QUIET,
) -> None:
    """Hand on what the streams put in ``inbox``, what came together in one call, until
    ``stop``: a batch closes when nothing more came for ``quiet`` seconds, ``most_seconds``
    after its first event, or at ``most_events``."""
    while not stop.is_set():
        try:
            batch = list(inbox.get(timeout=0.1))
        except queue.Empty:
            continue
        closes = time.monotonic() + most_seconds
        while len(batch) < most_events:
            left = min(quiet, closes - time.monotonic())
            if left <= 0:
                break
            try:
                batch.extend(inbox.get(timeout=left))
            except queue.Empty:
                break
        if batch and not stop.is_set():
            with contextlib.suppress(Exception):  # a failing listener must not end the follow
                on_events(batch)


# -- which resource each stream reads, and what it keeps -----------------------------------


@dataclass(frozen=True)
class _Stream:
    plan: StreamPlan
    res: Any  # kpath.cluster.live.Resource
    keep: Keep
    selector: str | None = None  # the watch's labelSelector
    #: The labelSelector of a re-list that differs from the watch's (slices of the
    #: controllers beyond a namespace); such a stream re-lists page by page.
    relist_selector: Callable[[], str | None] | None = None


def _resources(target: Any, options: Any, plans: Sequence[StreamPlan]) -> dict[str, Any]:
    """kind -> its `Resource`, for the kinds planned: the core ones known, the Gateway
    API's and the other policy kinds' found by the discovery the load made (GETs, no
    list)."""
    from kpath.cluster import live

    found: dict[str, Any] = {
        r.kind: r
        for r in (
            live.NODE,
            live.POD,
            live.SERVICE,
            live.ENDPOINTS,
            live.ENDPOINT_SLICE,
            live.INGRESS,
            live.INGRESS_CLASS,
            live.NAMESPACE,
            live.NETWORK_POLICY,
        )
    }
    if any(p.kind in GATEWAY_KINDS for p in plans):
        found.update(live.gateway_watch_resources(target, options))
    if any(p.kind in OTHER_POLICY_RAW for p in plans):
        found.update(live.policy_watch_resources(target, options))
    return found


def _streams(
    plans: Sequence[StreamPlan],
    raw: RawCluster,
    namespace: str | None,
    selector: str | None,
    resources: dict[str, Any],
) -> list[_Stream]:
    """Each plan with its resource and keeper (a kind whose resource discovery no longer
    finds is left out)."""
    beyond = Beyond(namespace, raw) if namespace is not None else None
    selection = None
    if selector is not None:
        selection = Selection(
            k for k in map(object_key, raw.objects.get("Service", ())) if _inside(k, namespace)
        )
    out: list[_Stream] = []
    for plan in plans:
        res = resources.get(plan.kind)
        if res is None:
            continue
        keep: Keep = Everything(plan.kind, plan.namespace)
        watch_selector: str | None = None
        relist: Callable[[], str | None] | None = None
        if plan.beyond and beyond is not None:
            keep = BeyondStream(plan.kind, beyond)
            if plan.kind == "EndpointSlice":
                relist = _controller_slices(beyond)
        elif beyond is not None and plan.kind in (*ROUTE_KINDS, "ListenerSet"):
            keep = Routes(plan.kind, plan.namespace, beyond)
        elif selection is not None and plan.kind == "Service":
            keep, watch_selector = SelectedServices(plan.namespace, selection), selector
        elif selection is not None and plan.kind in ("EndpointSlice", "Endpoints", "Ingress"):
            keep = Selected(
                plan.kind,
                plan.namespace,
                _selected_by(plan.kind, selection),
                (
                    k
                    for k in map(object_key, raw.objects.get(plan.kind, ()))
                    if _inside(k, namespace)
                ),
            )
        out.append(_Stream(plan, res, keep, watch_selector, relist))
    return out


def _inside(key: tuple[str, str], namespace: str | None) -> bool:
    return namespace is None or key[0] in ("", namespace)


def _selected_by(kind: str, selection: Selection) -> Callable[[RawObject], bool]:
    """Does an object of ``kind`` belong to a selected Service (``-l``)?"""
    if kind == "EndpointSlice":
        return lambda o: selection.has(owner_of(o))
    if kind == "Endpoints":
        return lambda o: selection.has(object_key(o))
    from kpath.cluster.live import backend_services

    return lambda o: any(selection.has(k) for k in backend_services(o))


def _controller_slices(beyond: Beyond) -> Callable[[], str | None]:
    """The labelSelector the load lists the controllers' slices with."""

    def selector() -> str | None:
        names = beyond.controller_names()
        return f"{SERVICE_NAME_LABEL} in ({','.join(names)})" if names else None

    return selector


# -- the streams ---------------------------------------------------------------------------


class _Follower(Connection):
    """The streams of one `follow_cluster`, over one `Connection`."""

    def __init__(
        self,
        target: Any,
        timeout: float,
        stop: threading.Event,
        deliver: Callable[[list[Event]], None],
        stall_after: float,
        streams: int,
        page_size: int = 500,
    ) -> None:
        super().__init__(target, timeout, stop, self._health, stall_after, streams)
        self.deliver = deliver
        self.page_size = page_size
        #: Does the server offer streaming lists? None until a re-list tried one.
        self.streaming: bool | None = None
        self._rng = random.Random()

    def _health(self, ok: bool, reason: str) -> None:
        self.deliver([Health(ok, reason)])

    def follow(self, stream: _Stream) -> None:
        """Watch from the load's version; resume, re-list or back off as needed."""
        name = stream.plan.name
        cursor = Cursor(rv=stream.plan.version)
        reason = ""
        while not self.stop.is_set():
            wait = 0.0
            try:
                if cursor.rv is None and not self._streams_lists(stream):
                    self._relist(stream, cursor)
                if not self._watch(stream, cursor):
                    cursor.streak += 1  # ended having said nothing
            except Unwatchable:
                self.recover(name)
                return
            except Gone:
                cursor.rv = None  # that kind alone lists again
                cursor.streak += 1
            except Throttled as exc:
                cursor.streak += 1
                wait = exc.seconds
            except Refused:
                if cursor.rv is None and self.streaming is None:
                    self.streaming = False  # no streaming lists here: paged from now on
                    continue
                cursor.broken += 1
                cursor.streak += 1
            except Stalled:
                cursor.streak += 1
            except Broken as exc:
                cursor.broken += 1
                cursor.streak += 1
                reason = str(exc)
            if self.stop.is_set():
                return
            since = None if cursor.opened is None else time.monotonic() - cursor.opened
            pause, lost = retry_plan(cursor.streak, cursor.broken, since, jitter=self._jitter())
            if lost:
                self.lose(name, reason)
            pause = max(pause, wait)
            if pause > 0:
                self.stop.wait(pause)

    def _jitter(self) -> float:
        return self._rng.uniform(0.5, 1.0)

    def _streams_lists(self, stream: _Stream) -> bool:
        """Will this stream's re-list be a streaming list (the watch itself)?"""
        return self.streaming is not False and stream.relist_selector is None

    def _relist(self, stream: _Stream, cursor: Cursor) -> None:
        """List the kind again, page by page, and deliver what it means."""
        res, plan = stream.res, stream.plan
        selector = stream.selector
        if stream.relist_selector is not None:
            selector = stream.relist_selector()
            if selector is None:  # nothing to keep: the version alone
                _, version = self.list_pages(res.path(plan.namespace), 1)
                self._relisted(stream, [], version, cursor)
                return
        items, version = self.list_pages(res.path(plan.namespace), self.page_size, selector)
        self._relisted(stream, items, version, cursor)

    def _relisted(
        self, stream: _Stream, items: list[RawObject], version: str | None, cursor: Cursor
    ) -> None:
        if version is None:
            raise Broken("list without resourceVersion")
        for item in items:
            _typed(item, stream.res)
        self.deliver(stream.keep.relisted(items))
        cursor.rv = version

    def _watch(self, stream: _Stream, cursor: Cursor) -> bool:
        """Hold one watch open from ``cursor.rv`` (a streaming list when None), moving it
        on with every event and bookmark; True when it delivered anything."""
        from urllib3.exceptions import ReadTimeoutError

        res, plan, keep = stream.res, stream.plan, stream.keep
        query = {"watch": "1", "allowWatchBookmarks": "true"}
        initial: list[RawObject] | None = None
        if cursor.rv is None:
            query.update(sendInitialEvents="true", resourceVersionMatch="NotOlderThan")
            initial = []
        else:
            query["resourceVersion"] = cursor.rv
        query["timeoutSeconds"] = str(STREAM_SECONDS)
        if stream.selector:
            query["labelSelector"] = stream.selector
        # The read timeout is the stall detector; `stop` shuts the socket down itself.
        response = self.open_request(
            f"{res.path(plan.namespace)}?{urlencode(query)}", self.stall_after, ACCEPT_WHOLE
        )
        cursor.opened, cursor.broken = time.monotonic(), 0
        self.recover(plan.name)
        delivered = False
        try:
            for group in lines(response):
                events: list[Event] = []
                try:
                    for line in group:
                        type_, rv, code, obj = decode_event(line, res.kind)
                        if type_ == "ERROR":
                            raise Gone() if code == 410 else Broken(f"watch error {code}")
                        if type_ and not delivered:
                            delivered, cursor.streak = True, 0
                        if type_ == "BOOKMARK":
                            if initial is not None:
                                if not initial_events_end(obj):
                                    raise Refused("a bookmark before the initial events ended")
                                self.streaming = True
                                for item in initial:
                                    _typed(item, res)
                                events += keep.relisted(initial)
                                initial = None
                            if rv:
                                cursor.rv = rv
                            continue
                        if type_ not in ("ADDED", "MODIFIED", "DELETED"):
                            continue
                        if initial is not None:
                            if type_ == "ADDED":
                                initial.append(obj)
                            continue
                        if rv:
                            cursor.rv = rv
                        events += keep.changes(cast(ChangeType, type_), _typed(obj, res))
                finally:
                    if events:  # what came before a failure in the same read still counts
                        self.deliver(events)
        except (Gone, Broken, Refused):
            raise
        except (ReadTimeoutError, TimeoutError):
            raise Stalled() from None
        except Exception as exc:  # reset, shutdown by stop
            raise Broken(str(exc)) from None
        finally:
            self.forget(response)
        if initial is not None:
            raise Broken("the streaming list ended before its initial events did")
        return delivered


def _typed(obj: RawObject, res: Any) -> RawObject:
    """List items carry no kind/apiVersion on a real server; the load adds them, so do we."""
    obj.setdefault("kind", res.kind)
    obj.setdefault("apiVersion", res.group_version)
    return obj
