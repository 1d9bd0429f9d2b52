"""An analysis that follows a cluster's events (`kpath.cluster.events`).

`LiveAnalysis` holds the raw objects of the first load and the analysis built from them;
`apply` files a batch of events and says what it changed, so a view repaints only that.
This first version is correct and simple: it rebuilds the whole analysis and says that
everything changed. Recomputing only what an event can change comes next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kpath.cluster.events import Event, apply_events
from kpath.cluster.raw import RawCluster
from kpath.cluster.records import ObjectKey
from kpath.routing.analysis import Analysis


@dataclass(frozen=True)
class Changed:
    """What a batch of events changed. ``services``: the services whose rows, paths or
    findings may differ (gone ones included); ``everything``: cluster-wide facts changed
    too (node groups, counts, findings not tied to one service), so a view redraws all."""

    services: frozenset[ObjectKey] = frozenset()
    everything: bool = False

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.services


class LiveAnalysis:
    """The analysis of a followed cluster. ``build``: raw objects to an analysis, as the
    source's first load made it (snapshot, scope facts, NetworkPolicy client)."""

    def __init__(self, raw: RawCluster, build: Callable[[RawCluster], Analysis]) -> None:
        self.raw = raw
        self._build = build
        self.analysis = build(raw)

    def apply(self, events: Sequence[Event]) -> Changed:
        if not apply_events(self.raw, events):
            return Changed()
        before = set(self.analysis.snapshot.services)
        self.analysis = self._build(self.raw)
        return Changed(frozenset(before | set(self.analysis.snapshot.services)), everything=True)
