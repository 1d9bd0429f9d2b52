"""Where a session's cluster comes from: a dump, a kubeconfig context, the demo lab.

A `ClusterSource` is everything the terminal UI needs to know about its input, in one
object the command line builds from its flags: how to read and analyse it (`load`), how to
follow it (`watcher`), which kubeconfig contexts and namespaces it could read instead
(`contexts`, `with_context`, `namespaces`, `with_namespaces`), and whether its addresses
may be probed. Core code: no textual here. I/O happens only inside the methods that say so
(`load`, the watcher, `contexts`, `namespaces`, `probe_api`); the UI calls them from workers.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kpath.errors import InputError
from kpath.probe.consent import probe_consent
from kpath.routing.analysis import Analysis

if TYPE_CHECKING:
    from kpath.cluster.access import ApiCredentials
    from kpath.cluster.live import LiveOptions
    from kpath.cluster.snapshot import Snapshot

#: Follows the cluster until the event is set, calling back with each changed kind.
Watcher = Callable[[Callable[[str], None], threading.Event], None]


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
    def watcher(self) -> Watcher | None:
        """How to follow the cluster (None: not live, nothing to follow)."""
        ...

    @property
    def probe_refusal(self) -> str | None:
        """Why this source's addresses are not probed (None: they may be)."""
        ...

    def load(self) -> Analysis:
        """Read and analyse the cluster; may raise `KpathError`. Blocking I/O."""
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
    watcher = None

    @property
    def probe_refusal(self) -> str | None:
        # The same decision as `kpath probe --dump`: a dump's addresses are not probed.
        return probe_consent(True, ui=True).refusal

    def load(self) -> Analysis:
        from kpath.cluster.dump import load_dump
        from kpath.cluster.snapshot import build_snapshot

        return analyse_snapshot(
            build_snapshot(load_dump(list(self.files))), self.client, from_here=False
        )

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
    def watcher(self) -> Watcher | None:
        from kpath.cluster.watch import DEFAULT_KINDS, GATEWAY_WATCH_KINDS, watch_changes

        options = self.options
        # The Gateway API kinds too (they drop out quietly where the group is not served):
        # the view routes through them, and through Gateways of other namespaces.
        kinds = (*DEFAULT_KINDS, *GATEWAY_WATCH_KINDS)
        return lambda on_change, stop: watch_changes(options, on_change, stop, kinds=kinds)

    @property
    def probe_refusal(self) -> str | None:
        return None

    def load(self) -> Analysis:
        from kpath.cluster.live import load_live
        from kpath.cluster.snapshot import build_snapshot

        snapshot = build_snapshot(load_live(self.options))
        if snapshot.namespaces_read is None and not self.options.all_namespaces:
            # One namespace was read (-n, or the context's): never say "all namespaces".
            snapshot = replace(snapshot, namespaces_read=frozenset({self._namespace()}))
        # The UI probes from here: its predictions are judged from here too.
        return analyse_snapshot(snapshot, self.client, from_here=True)

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
    context, when the function stands for one of ``context_names``."""

    read: Callable[[], Analysis]
    origin: str = ""
    live: bool = False
    watcher: Watcher | None = None
    context_names: Sequence[str] = ()
    context: str | None = None
    switch: Callable[[str], ClusterSource] | None = None
    listed: Sequence[str] | None = None  # what `namespaces()` answers
    probe_refusal: str | None = None
    api: ApiCredentials | None = field(default=None, repr=False)

    def load(self) -> Analysis:
        return self.read()

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
