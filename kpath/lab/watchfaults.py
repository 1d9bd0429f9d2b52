"""The lab's watch streams under control: a record of every watch opened, and the faults a
real API server's watches show, on demand.

A client that follows a cluster has to survive history being compacted (an old
resourceVersion answers ``410 Gone``, as an ERROR event in the stream or as the HTTP status
of the watch request), a stream that goes silent while its connection stays open, cut
connections, being told to slow down (``429 Too Many Requests`` with ``Retry-After``, as
API Priority and Fairness answers), and streams the server ends early (a real server times
every watch out after a while, whatever the client asked). `WatchControl` causes each on
purpose, so tests can show what kpath does then; compaction itself is `Store.compact`.

Used from the lab server's event loop only (through `ServerThread.call` from other threads).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

#: A quiet watch with bookmarks asked for sends one this often (seconds), as real servers do.
BOOKMARK_EVERY = 60.0
#: Watches kept in `WatchControl.opened`; the oldest are dropped in blocks past it.
MAX_OPENED = 10_000


@dataclass(frozen=True)
class WatchOpened:
    """One watch request as it began (the request record only has it once it ended)."""

    kind: str
    namespace: str | None
    resource_version: str  # as the client sent it; "" when it sent none
    bookmarks: bool
    #: The HTTP status it was answered with (429 when throttled, 410 when expired as a
    #: status, 422 when a streaming list was refused).
    answered: int = 200
    #: time.monotonic() when it arrived: how long a client waited between two tries.
    at: float = field(default_factory=time.monotonic, compare=False)
    #: A streaming list (``sendInitialEvents=true``).
    streaming: bool = False


@dataclass(eq=False)
class WatchStream:
    """One open stream: what a fault needs to reach it."""

    kind: str
    wake: asyncio.Event
    transport: asyncio.BaseTransport | None
    stalled: bool = False
    dropped: bool = False

    @property
    def client_gone(self) -> bool:
        return self.transport is None or self.transport.is_closing()


class WatchControl:
    """Settings and faults for every watch stream of one `LabApiServer`.

    ``bookmark_every``: seconds between bookmarks on a quiet stream. ``end_after``: the
    server ends every stream after that many seconds (None: when the client's
    ``timeoutSeconds`` says). ``gone_as_status``: a too-old resourceVersion answers HTTP 410
    instead of a 200 stream holding one ERROR event. ``always_expired``: every watch from a
    version answers 410, however recent (a server whose history is never long enough).
    """

    def __init__(self) -> None:
        self.bookmark_every = BOOKMARK_EVERY
        self.end_after: float | None = None
        self.gone_as_status = False
        self.always_expired = False
        self.no_watch_list = False
        self._throttled: dict[str | None, tuple[int, float]] = {}  # kind -> (left, seconds)
        #: Every watch in the order it began (the latest `MAX_OPENED` of them).
        self.opened: list[WatchOpened] = []
        self._open: set[WatchStream] = set()

    # -- used by the server ----------------------------------------------------------------

    def record(self, opened: WatchOpened) -> None:
        self.opened.append(opened)
        if len(self.opened) > MAX_OPENED:
            del self.opened[: MAX_OPENED // 10]  # in blocks: amortised O(1) per watch

    def begin(
        self, opened: WatchOpened, wake: asyncio.Event, transport: asyncio.BaseTransport | None
    ) -> WatchStream:
        self.record(opened)
        stream = WatchStream(opened.kind, wake, transport)
        self._open.add(stream)
        return stream

    def end(self, stream: WatchStream) -> None:
        self._open.discard(stream)

    def seconds(self, asked: float) -> float:
        """How long a stream asked to last ``asked`` seconds is held open."""
        return asked if self.end_after is None else min(asked, self.end_after)

    # -- faults ----------------------------------------------------------------------------

    def stall(self, kind: str | None = None) -> int:
        """Silence the open streams of ``kind`` (every kind when None): their connections
        stay open, nothing more is sent, not even bookmarks. Streams opened later are
        normal. Returns how many were silenced."""
        streams = self._matching(kind)
        for s in streams:
            s.stalled = True
            s.wake.set()
        return len(streams)

    def drop(self, kind: str | None = None) -> int:
        """Cut the connections of the open streams of ``kind`` (every kind when None)
        mid-stream, as a reset would. Returns how many were cut."""
        streams = self._matching(kind)
        for s in streams:
            s.dropped = True
            if s.transport is not None:
                s.transport.abort()  # type: ignore[attr-defined]  # a Transport, not a Base
            s.wake.set()
        return len(streams)

    def throttle(self, kind: str | None = None, times: int = 1, retry_after: float = 1.0) -> None:
        """Answer the next ``times`` watch requests of ``kind`` (every kind when None) with
        ``429 Too Many Requests`` and ``Retry-After: retry_after`` (whole seconds, as the
        header carries them)."""
        self._throttled[kind] = (times, retry_after)

    def throttled(self, kind: str) -> float | None:
        """Used by the server: the Retry-After to answer this watch with, or None."""
        slot: str | None = kind
        if slot not in self._throttled:
            if None not in self._throttled:
                return None
            slot = None
        left, seconds = self._throttled[slot]
        if left <= 1:
            del self._throttled[slot]
        else:
            self._throttled[slot] = (left - 1, seconds)
        return seconds

    # -- reading the record ----------------------------------------------------------------

    def opened_for(self, kind: str) -> list[WatchOpened]:
        return [w for w in self.opened if w.kind == kind]

    def open_count(self, kind: str | None = None) -> int:
        return len(self._matching(kind))

    def _matching(self, kind: str | None) -> list[WatchStream]:
        return [s for s in self._open if kind is None or s.kind == kind]
