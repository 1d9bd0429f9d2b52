"""Where a session's cluster comes from: a dump, a kubeconfig context, the demo lab.

A `ClusterSource` is everything the terminal UI needs to know about its input, in one
object the command line builds from its flags: how to read and analyse it (`load`), how to
follow it (`follower` with `load_following`: watch events filed into the objects the load
read, a `Followable`), which kubeconfig contexts and namespaces it could read instead
(`contexts`, `with_context`, `namespaces`, `with_namespaces`), and whether its addresses
may be probed. Core code: no textual here. I/O happens only inside the methods that say so
(`load`, `load_following`, the follower, `contexts`, `namespaces`, `probe_api`); the UI
calls them from workers.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kpath.cluster.events import Event
from kpath.cluster.raw import RawCluster
from kpath.errors import InputError
from kpath.probe.consent import probe_consent
from kpath.routing.analysis import Analysis
from kpath.routing.incremental import LiveAnalysis

if TYPE_CHECKING:
    from kpath.cluster.access import ApiCredentials
    from kpath.cluster.live import LiveOptions
    from kpath.cluster.snapshot import Snapshot

#: Where a follower hands its events over: one batch at a time, from its own thread.
EventSink = Callable[[Sequence[Event]], None]
#: Follows the cluster from where ``raw`` was listed (``raw.list_versions``) until the event
#: is set, handing over the objects' changes (and `Health`) as they arrive. Blocks; reads
#: ``raw`` but never changes it (the caller files the events, see `LiveAnalysis`).
Follower = Callable[[RawCluster, EventSink, threading.Event], None]


@runtime_checkable
class ClusterSource(Protocol):
    """What the UI reads: implemented by `DumpSource`, `KubeSource` and `LoadedSource`."""

    @property
    def origin(self) -> str:
        """What the header says the data is before the first load names its server."""
        ...

    @property
    def live(self) -> bool:
        """A live cluster (probes and the watch make sense), or files."""
        ...

    @property
    def follower(self) -> Follower | None:
        """How to follow the cluster's objects (None: not live, nothing to follow)."""
        ...

    @property
    def probe_refusal(self) -> str | None:
        """Why this source's addresses are not probed (None: they may be)."""
        ...

    def load(self) -> Analysis:
        """Read and analyse the cluster; may raise `KpathError`. Blocking I/O."""
        ...

    def load_following(self) -> Followable:
        """`load`, keeping the objects read so the `follower`'s events can be filed into
        them and analysed again (`Followable.follow`). Blocking I/O."""
        ...

    def contexts(self) -> tuple[list[str], str | None]:
        """The kubeconfig's contexts and the one in use ([] and None: no kubeconfig)."""
        ...

    def with_context(self, name: str) -> ClusterSource: ...

    def namespaces(self) -> list[str] | None:
        """The cluster's namespaces, sorted (None: cannot be listed). Blocking I/O."""
        ...

    def with_namespaces(self, namespaces: frozenset[str] | None) -> ClusterSource:
        """The source reading at least ``namespaces`` (None: every namespace)."""
        ...

    def probe_api(self) -> ApiCredentials | None:
        """The API server probes go through for pods that do not answer from here."""
        ...


@dataclass(frozen=True, eq=False)
class Followable:
    """A load to be followed: its ``analysis``, shown at once, and the objects it read with
    how they are analysed (``build``, again after events that need a rebuild).

    `follow` makes the `LiveAnalysis` the events are filed into: each service's own share
    of the analysis, about a third of the analysis again (seconds at full scale). Apart,
    so a UI paints its first screen from ``analysis`` before paying for it."""

    # Never in its repr: a worker's description shows its arguments (millions of objects).
    raw: RawCluster = field(repr=False)
    analysis: Analysis = field(repr=False)
    build: Callable[[RawCluster], Analysis] = field(repr=False)

    @classmethod
    def read(cls, raw: RawCluster, build: Callable[[RawCluster], Analysis]) -> Followable:
        return cls(raw, build(raw), build)

    def follow(self) -> LiveAnalysis:
        """The analysis that follows ``raw``'s events from here (``raw`` is theirs now)."""
        first = [self.analysis]

        def build(raw: RawCluster) -> Analysis:
            # A LiveAnalysis starts from a build of ``raw``: this load's, not a second one.
            return first.pop() if first else self.build(raw)

        return LiveAnalysis(self.raw, build)


def parse_client(text: str | None) -> str | None:
    """``--client IP`` checked and normalised."""
    if text is None:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise InputError(f"--client {text!r}: not an IP address") from None


def analyse_snapshot(snapshot: Snapshot, client: str | None, from_here: bool) -> Analysis:
    """Analyse; ``from_here``: NetworkPolicy is judged from this machine's address toward
    the nodes (the probes' source), as `kpath paths --probe` does, unless ``client`` says."""
    from kpath.routing.analysis import analyse

    if client is None and from_here and snapshot.network_policies:
        from kpath.probe.source import local_source
        from kpath.routing.policy.sources import Client

        here = local_source(snapshot)
        if here is not None:
            return analyse(
                snapshot,
                Client(
                    here,
                    "this machine's address toward the nodes "
                    "(the probes' source; --client to choose)",
                ),
            )
    return analyse(snapshot, client)


def needs_reload(read: frozenset[str] | None, wanted: frozenset[str] | None) -> bool:
    """Whether a view of ``wanted`` namespaces holds more than was read (None: all)."""
    if read is None:
        return False
    return wanted is None or not wanted <= read


@dataclass(frozen=True)
class DumpSource:
    """Dump files: read as they are, never probed (their addresses are another network's),
    never watched, no contexts."""

    files: tuple[str, ...]
    client: str | None = None

    @property
    def origin(self) -> str:
        return "dump: " + ", ".join(self.files)

    live = False
    follower = None

    @property
    def probe_refusal(self) -> str | None:
        # The same decision as `kpath probe --dump`: a dump's addresses are not probed.
        return probe_consent(True, ui=True).refusal

    def load(self) -> Analysis:
        from kpath.cluster.dump import load_dump

        return self._build(load_dump(list(self.files)))

    def load_following(self) -> Followable:
        from kpath.cluster.dump import load_dump

        return Followable.read(load_dump(list(self.files)), self._build)

    def _build(self, raw: RawCluster) -> Analysis:
        from kpath.cluster.snapshot import build_snapshot

        return analyse_snapshot(build_snapshot(raw), self.client, from_here=False)

    def contexts(self) -> tuple[list[str], str | None]:
        return [], None

    def with_context(self, name: str) -> ClusterSource:
        raise InputError("dump files have no kubeconfig context")

    def namespaces(self) -> list[str] | None:
        return None

    def with_namespaces(self, namespaces: frozenset[str] | None) -> ClusterSource:
        return self  # a dump holds what it holds

    def probe_api(self) -> ApiCredentials | None:
        return None


def _analysed(snapshot: Snapshot, one: frozenset[str] | None, client: str | None) -> Analysis:
    """A live snapshot analysed, naming ``one`` as the namespace read when it says none. The
    UI probes from here: its predictions are judged from here too."""
    if one is not None and snapshot.namespaces_read is None:
        snapshot = replace(snapshot, namespaces_read=one)
    return analyse_snapshot(snapshot, client, from_here=True)


@dataclass(frozen=True)
class KubeSource:
    """A kubeconfig context, read live as `kpath paths` reads it (``options``: the same
    kubeconfig, context, namespace scope and selector), and followed by a watch of that same
    scope. ``label``: the header before the first load (the demo lab names itself)."""

    options: LiveOptions
    client: str | None = None
    label: str | None = None

    live = True

    @property
    def origin(self) -> str:
        return self.label or f"context {self.options.context or '?'}"

    @property
    def follower(self) -> Follower | None:
        options = self.options

        def follow(raw: RawCluster, on_events: EventSink, stop: threading.Event) -> None:
            # Loaded when following starts: the informer is not needed to read a cluster.
            from kpath.cluster.informer import follow_cluster

            follow_cluster(options, raw, on_events, stop)

        return follow

    @property
    def probe_refusal(self) -> str | None:
        return None

    def load(self) -> Analysis:
        from kpath.cluster.live import load_live_snapshot

        # Not followed: parsed as it is read (the raw objects are never all held), then
        # analysed once, as `load_following`'s first screen is.
        snapshot = load_live_snapshot(self.options)
        return _analysed(snapshot, self._one_namespace(snapshot.namespaces_read), self.client)

    def load_following(self) -> Followable:
        from kpath.cluster.live import load_live_followed

        # Read as `load` reads (typed, parsed page by page: the first screen waits for no
        # more than a read that is not followed), keeping the objects for the follower.
        raw, snapshot = load_live_followed(self.options)
        # Found once here (it may read the kubeconfig), not at every rebuild events cause.
        one, client = self._one_namespace(raw.namespaces_read), self.client

        def build(raw: RawCluster) -> Analysis:
            from kpath.cluster.snapshot import build_snapshot

            return _analysed(build_snapshot(raw), one, client)

        return Followable(raw, _analysed(snapshot, one, client), build)

    def _one_namespace(self, read: frozenset[str] | None) -> frozenset[str] | None:
        """The one namespace read (-n, or the context's) when the reader names none: a view
        of one namespace never says "all namespaces"."""
        if read is None and not self.options.all_namespaces:
            return frozenset({self._namespace()})
        return None

    def _namespace(self) -> str:
        if self.options.namespace:
            return self.options.namespace
        from kpath.cluster.kubeconfig import resolve_target

        return resolve_target(self.options.kubeconfig, self.options.context).namespace

    def contexts(self) -> tuple[list[str], str | None]:
        from kpath.cluster.live import list_contexts

        names, current = list_contexts(self.options.kubeconfig)
        return names, self.options.context or current

    def with_context(self, name: str) -> ClusterSource:
        # Another context is another cluster: the lab's label no longer names it.
        return replace(self, options=replace(self.options, context=name), label=None)

    def namespaces(self) -> list[str] | None:
        from kpath.cluster.namespaces import list_namespaces

        return list_namespaces(self.options)

    def with_namespaces(self, namespaces: frozenset[str] | None) -> ClusterSource:
        if namespaces is not None and len(namespaces) == 1:
            (one,) = namespaces
            options = replace(self.options, namespace=one, all_namespaces=False)
        else:  # a live read is one namespace or all of them
            options = replace(self.options, namespace=None, all_namespaces=True)
        return replace(self, options=options)

    def probe_api(self) -> ApiCredentials | None:
        # Resolved when the probes run: after the server moved, the one loads follow too.
        from kpath.cluster.access import api_access

        return api_access(self.options.kubeconfig, self.options.context)


@dataclass(frozen=True)
class LoadedSource:
    """A source from a function that returns the analysis: a snapshot already read (for
    `kpath snapshot`), dicts in a test, a benchmark. ``switch``: the source for another
    context, when the function stands for one of ``context_names``.

    A followed one (`following`) reads raw objects with ``raw`` and analyses them with
    ``build``; its ``follower`` (an `EventFeed`'s, in tests and benchmarks) says what
    changes."""

    read: Callable[[], Analysis]
    origin: str = ""
    live: bool = False
    follower: Follower | None = None
    raw: Callable[[], RawCluster] | None = field(default=None, repr=False)
    build: Callable[[RawCluster], Analysis] | None = field(default=None, repr=False)
    context_names: Sequence[str] = ()
    context: str | None = None
    switch: Callable[[str], ClusterSource] | None = None
    listed: Sequence[str] | None = None  # what `namespaces()` answers
    probe_refusal: str | None = None
    api: ApiCredentials | None = field(default=None, repr=False)

    @classmethod
    def following(
        cls,
        raw: Callable[[], RawCluster],
        build: Callable[[RawCluster], Analysis],
        follower: Follower,
        *,
        origin: str = "",
        live: bool = True,
    ) -> LoadedSource:
        """A source whose loads read ``raw()`` and whose changes come from ``follower``."""
        return cls(lambda: build(raw()), origin, live, follower=follower, raw=raw, build=build)

    def load(self) -> Analysis:
        return self.read()

    def load_following(self) -> Followable:
        if self.raw is None or self.build is None:
            raise InputError("this source has no objects to follow")
        return Followable.read(self.raw(), self.build)

    def contexts(self) -> tuple[list[str], str | None]:
        return list(self.context_names), self.context

    def with_context(self, name: str) -> ClusterSource:
        if self.switch is None:
            raise InputError(f"cannot switch to context {name!r} here")
        return self.switch(name)

    def namespaces(self) -> list[str] | None:
        return None if self.listed is None else sorted(self.listed)

    def with_namespaces(self, namespaces: frozenset[str] | None) -> ClusterSource:
        return self

    def probe_api(self) -> ApiCredentials | None:
        return self.api


def detached(raw: RawCluster) -> RawCluster:
    """What a follower may read while events are filed into ``raw`` on another thread: the
    same objects and versions, in lists and dicts of its own (pointers copied, not objects)."""
    return replace(
        raw,
        objects={kind: list(items) for kind, items in raw.objects.items()},
        sources={kind: list(items) for kind, items in raw.sources.items()},
        list_versions=dict(raw.list_versions),
        not_visible=dict(raw.not_visible),
    )


class EventFeed:
    """A `follower` fed by hand: tests and benchmarks script what a cluster would send.

    `follow` is the follower (it blocks until its stop event, as the informer does); `send`
    hands a batch to every follower following now, from the caller's thread."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._sinks: list[EventSink] = []
        self.followed: list[RawCluster] = []  # what each follow started from

    def follow(self, raw: RawCluster, on_events: EventSink, stop: threading.Event) -> None:
        with self._lock:
            self._sinks.append(on_events)
            self.followed.append(raw)
            self._lock.notify_all()
        try:
            stop.wait()
        finally:
            with self._lock:
                self._sinks.remove(on_events)

    def wait_following(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Whether ``count`` follows have started (waits up to ``timeout`` seconds)."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.followed) >= count, timeout)

    @property
    def following(self) -> int:
        """How many followers are following now."""
        with self._lock:
            return len(self._sinks)

    def send(self, events: Sequence[Event]) -> int:
        """Hand ``events`` to every follower following now; how many there were."""
        with self._lock:
            sinks = list(self._sinks)
        for sink in sinks:
            sink(list(events))
        return len(sinks)
