"""Messages that carry data up to the screen and the app (reactives carry it down).

Thread workers may only talk to the UI through these: `post_message` is thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from kpath.cluster.records import ObjectKey
from kpath.probe.plan import HopRef
from kpath.routing.analysis import Analysis
from kpath.routing.incremental import Changed, LiveAnalysis
from kpath.tui.view_model import Hop, ProbeMark

if TYPE_CHECKING:  # the prober's modules load when probes are wired, not with the UI
    from kpath.probe.run import ProbeReport
    from kpath.source import Followable


class AnalysisReady(Message):
    """The loader finished: a fresh analysis of the cluster."""

    def __init__(
        self,
        analysis: Analysis,
        loaded_at: datetime,
        load: object = None,
        following: Followable | None = None,
    ) -> None:
        super().__init__()
        self.analysis = analysis
        self.loaded_at = loaded_at
        self.load = load  # the loader that read it: one replaced since (`c`) is dropped
        self.following = following  # the objects read, for the source's follower


class LoadFailed(Message):
    """The loader could not read the cluster; ``error`` is one line for the user."""

    def __init__(self, error: str, load: object = None) -> None:
        super().__init__()
        self.error = error
        self.load = load


class ServiceHighlighted(Message):
    """The cursor of the services list moved to a service (or to none)."""

    def __init__(self, key: ObjectKey | None) -> None:
        super().__init__()
        self.key = key


class HopSelected(Message):
    """A hop of the path view was selected: show its details."""

    def __init__(self, hop: Hop | None) -> None:
        super().__init__()
        self.hop = hop


class JumpTo(Message):
    """A finding was chosen: select its service (and the hop at those nodes, if any)."""

    def __init__(self, service: ObjectKey, nodes: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.service = service
        self.nodes = nodes


class ProbeMarks(Message):
    """Probe verdicts changed on these hops (`evidence`'s judgement, as it stands now)."""

    def __init__(self, marks: Mapping[HopRef, ProbeMark], analysis: Analysis | None = None) -> None:
        super().__init__()
        self.marks = marks
        self.analysis = analysis  # hop references mean something in this analysis only


class ProbesDone(Message):
    """A probe run ended: its report, for `e` to export with the paths it probed."""

    def __init__(
        self, report: ProbeReport, indexes: Sequence[int], analysis: Analysis | None = None
    ) -> None:
        super().__init__()
        self.report = report
        self.indexes = tuple(indexes)  # plan path i is analysis.paths[indexes[i]]
        self.analysis = analysis


class ProbeProgress(Message):
    """How many of the planned probes have finished; replaces an older progress message."""

    def __init__(
        self, done: int, total: int, analysis: Analysis | None = None, *, finished: bool = False
    ) -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.analysis = analysis  # the snapshot these probes were planned on
        self.finished = finished

    def can_replace(self, message: Message) -> bool:
        # Only the latest count matters: a slow ssh link gets one redraw, not one per probe.
        return isinstance(message, ProbeProgress) and not message.finished


class WatchHealth(Message):
    """The watch stopped following the cluster (``ok`` False) or follows it again."""

    def __init__(self, ok: bool, stop: threading.Event) -> None:
        super().__init__()
        self.ok = ok
        # Which follow said it: a stopped one's late news is dropped. (Not `stop`: that
        # would hide Message.stop(), which Textual calls while bubbling.)
        self.watch = stop


class EventsApplied(Message):
    """Followed events were filed and analysed: the analysis now, and what they changed.
    ``arrived``: when the oldest of them was handed over (`time.monotonic`)."""

    def __init__(
        self,
        analysis: Analysis,
        changed: Changed,
        arrived: float,
        following: LiveAnalysis,
        read_at: datetime,
    ) -> None:
        super().__init__()
        self.analysis = analysis
        self.changed = changed
        self.arrived = arrived
        self.following = following  # which follow: one a reload replaced is dropped
        self.read_at = read_at
