"""Watch streams over one API server: the HTTP, retry and health machinery of the
cluster's follower (`kpath.cluster.informer`, which files full objects).

What can go wrong with a stream, and the exception each becomes:

- ``410 Gone`` (history compacted: the HTTP status of the watch request, or an ERROR event
  with a 410 Status in the stream): `Gone`, the kind is listed again;
- ``429 Too Many Requests``: `Throttled`, carrying the server's ``Retry-After``;
- the connection fails (refused, reset, a 5xx, an ERROR event): `Broken`, retried;
- the stream stalls (no byte, not even a bookmark, for ``stall_after`` seconds, though the
  connection looks open): `Stalled`, reopened from the last resourceVersion;
- 403 (the user may not read the kind) or 404 (not served): `Unwatchable`, dropped quietly.

`retry_plan` decides the pause before the next try; `Connection` holds the API client, the
open responses (so `stop` can shut their sockets down at once) and the health state: a
connection that fails twice in a row is lost, the next stream the server accepts is OK
again, each said once per change of state however many streams it concerns. Only GET is
ever sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

#: How long the server holds one stream open before the client resumes it (seconds).
STREAM_SECONDS = 240
#: Whole objects.
ACCEPT_WHOLE = "application/json"
MAX_BACKOFF = 10.0
#: The least time between a watch the server answered and the next of that kind (seconds).
MIN_GAP = 1.0
#: Seconds without a byte after which an open stream counts as stalled: twice the interval
#: at which the lab sends bookmarks on a quiet watch (a minute). A server that sends fewer
#: costs an early reopen of a quiet stream now and then, which misses nothing.
STALL_AFTER = 120.0
#: A 429 without a usable Retry-After waits this long (seconds); one asking more than
#: `MAX_RETRY_AFTER` is capped, so a confused proxy cannot park a stream for an hour.
DEFAULT_RETRY_AFTER = 1.0
MAX_RETRY_AFTER = 60.0
#: The annotation of the BOOKMARK that ends a streaming list's initial events.
INITIAL_EVENTS_END = "k8s.io/initial-events-end"


class Gone(Exception):
    """The resourceVersion is too old (410): list again."""


class Unwatchable(Exception):
    """403 or 404: this kind cannot be watched; stop quietly."""


class Broken(Exception):
    """A connection or server failure worth retrying after a pause."""


class Stalled(Exception):
    """Nothing arrived for ``stall_after`` seconds on an open stream."""


class Throttled(Exception):
    """429 Too Many Requests: ask again after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"429 Too Many Requests (retry after {seconds:g}s)")
        self.seconds = seconds


class Refused(Exception):
    """A 400 or 422: the server does not take this request's options (a streaming list on a
    server without WatchList, say)."""


@dataclass
class Cursor:
    """Where one stream resumes, and how many tries in a row have failed."""

    rv: str | None = None  # None: list first
    streak: int = 0  # failures of any sort since a stream last delivered something
    broken: int = 0  # connection failures since the server last answered a watch
    opened: float | None = None  # time.monotonic() when a watch was last answered


def retry_plan(
    streak: int,
    broken: int,
    since_open: float | None = None,
    maximum: float = MAX_BACKOFF,
    jitter: float = 1.0,
) -> tuple[float, bool]:
    """(seconds to pause, report the watch lost?) before asking again.

    ``streak``: failures of any sort in a row (0 when the last stream simply ended);
    ``broken``: how many of the last ones in a row were connection failures;
    ``since_open``: seconds since the server last answered this kind's watch (None: never);
    ``jitter``: a factor in (0, 1] on the back-off, so streams that failed together (a
    restarted API server) do not all come back at the same instant.

    The first failure is retried at once: streams are cut routinely (proxies, load
    balancers, a server's own time limit) and resuming from the last resourceVersion misses
    nothing. From the second on the pause doubles from 1 s up to ``maximum``. Whatever the
    reason, a kind is not watched again within `MIN_GAP` of its last answered watch. The
    watch is lost when the connection failed twice in a row; a 410 or a quiet stream never
    makes it lost (the server answered, or had nothing to say).
    """
    pause = 0.0 if streak <= 1 else min(2.0 ** (streak - 2), maximum) * jitter
    if since_open is not None:
        pause = max(pause, MIN_GAP - since_open)
    return pause, broken >= 2


def retry_after(value: str | None, now: float | None = None) -> float:
    """Seconds a ``Retry-After`` header asks to wait: delta-seconds or an HTTP date;
    `DEFAULT_RETRY_AFTER` when absent or unreadable, capped at `MAX_RETRY_AFTER`."""
    if not value:
        return DEFAULT_RETRY_AFTER
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return DEFAULT_RETRY_AFTER
        seconds = when - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def decode_event(
    line: bytes, kind: str | None = None
) -> tuple[str, str | None, int | None, dict[str, Any]]:
    """One watch line → (type, resourceVersion of its object, HTTP code of an ERROR, the
    object ({} when there is none)). A line that is not a JSON event yields
    ``("", None, None, {})``: skipped, not fatal. ``kind``: the watched kind, whose objects
    are then decoded slim, as `kpath.cluster.typed` decodes the load's pages."""
    event: Any = None
    if kind is not None:
        from kpath.cluster.typed import decode_watch_event

        event = decode_watch_event(line, kind)
    try:
        if event is None:
            event = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return "", None, None, {}
    if not isinstance(event, dict):
        return "", None, None, {}
    obj = event.get("object")
    obj = obj if isinstance(obj, dict) else {}
    meta = obj.get("metadata")
    rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
    code = obj.get("code") if event.get("type") == "ERROR" else None
    if (
        event.get("type") == "ERROR"
        and not isinstance(code, int)
        and obj.get("reason") in ("Expired", "Gone")
    ):
        code = 410  # a Status that names the reason only
    return (
        str(event.get("type") or ""),
        rv if isinstance(rv, str) and rv else None,
        code if isinstance(code, int) else None,
        obj,
    )


def initial_events_end(obj: dict[str, Any]) -> bool:
    """Is this BOOKMARK's object the end of a streaming list's initial events?"""
    meta = obj.get("metadata")
    notes = meta.get("annotations") if isinstance(meta, dict) else None
    return isinstance(notes, dict) and notes.get(INITIAL_EVENTS_END) == "true"


def lines(response: Any) -> Iterator[list[bytes]]:
    """The stream's lines as they arrive, in the groups one read brought (not waiting for
    a full buffer): what arrived together is handled together."""
    pending = b""
    while True:
        chunk = response.read1(65536)
        if not chunk:
            break
        pending += chunk
        *complete, pending = pending.split(b"\n")
        found = [line for line in complete if line.strip()]
        if found:
            yield found
    if pending.strip():
        yield [pending]


class Connection:
    """What the streams of one follower share: one API client, the open responses, health.

    ``on_health(ok, reason)`` hears the changes of state (`lose`, `recover`)."""

    def __init__(
        self,
        target: Any,
        timeout: float,
        stop: threading.Event,
        on_health: Callable[[bool, str], None],
        stall_after: float = STALL_AFTER,
        streams: int = 0,
    ) -> None:
        from kubernetes.client import ApiClient

        self.target = target
        self.timeout = timeout
        self.stall_after = stall_after
        self.stop = stop
        self._on_health = on_health
        configuration = target.configuration
        configuration.retries = False  # kpath's own back-off decides when to retry
        # One pooled connection per open stream (and one spare for relists): urllib3's
        # default (5 per CPU) would drop connections, with a warning on stderr per drop.
        pool = getattr(configuration, "connection_pool_maxsize", None) or 0
        configuration.connection_pool_maxsize = max(pool, streams + 1)
        self.api = ApiClient(configuration)
        self.api.user_agent = "kpath"
        self._lock = threading.Lock()
        self._open: set[Any] = set()
        self._lost: set[str] = set()

    # -- health, reported once per change of state ---------------------------------------

    def lose(self, name: str, reason: str = "") -> None:
        with self._lock:
            first = not self._lost
            self._lost.add(name)
        if first and not self.stop.is_set():
            self._health(False, reason)

    def recover(self, name: str) -> None:
        with self._lock:
            if name not in self._lost:
                return
            self._lost.discard(name)
            healed = not self._lost
        if healed:
            self._health(True, "")

    def _health(self, ok: bool, reason: str) -> None:
        with contextlib.suppress(Exception):  # a failing listener must not end the watch
            self._on_health(ok, reason)

    # -- HTTP ----------------------------------------------------------------------------

    def open_request(self, path: str, read_timeout: float, accept: str = ACCEPT_WHOLE) -> Any:
        """GET ``path`` unread (streaming); raises what the status means."""
        import urllib3

        if self.stop.is_set():
            raise Broken("stopping")
        try:
            with warnings.catch_warnings():
                # The kubeconfig asked for no verification; load_live has said so once.
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                method, url, headers, _, _ = self.api.param_serialize(
                    "GET", path, header_params={"Accept": accept}, auth_settings=["BearerToken"]
                )
                response = self.api.call_api(
                    method,
                    url,
                    header_params=headers,
                    _request_timeout=(self.timeout, read_timeout),
                )
        except Exception as exc:  # unreachable, TLS, credentials refresh (may quote a token)
            from kpath.cluster.live import unreachable_reason

            # In a few words ("connection refused"), as `load_live` says it.
            raise Broken(self.target.redact(unreachable_reason(exc, self.timeout))) from None
        raw = response.response
        with self._lock:
            self._open.add(raw)
        if self.stop.is_set():  # stop came while connecting: close_all may have missed it
            self.forget(raw)
            raise Broken("stopping")
        status = raw.status
        if status == 200:
            return raw
        headers = getattr(raw, "headers", None) or {}
        self.forget(raw)
        if status in (403, 404):
            raise Unwatchable()
        if status == 410:
            raise Gone()
        if status == 429:
            raise Throttled(retry_after(headers.get("Retry-After")))
        if status in (400, 422):
            raise Refused(f"HTTP {status}")
        raise Broken(f"HTTP {status}")

    def read_json(self, path: str, accept: str = ACCEPT_WHOLE) -> Any:
        """GET ``path`` and decode the whole reply."""
        response = self.open_request(path, self.timeout, accept)
        try:
            body = response.read()
        except Exception as exc:  # any read failure is a retry
            raise Broken(str(exc)) from None
        finally:
            self.forget(response)
        from kpath.cluster.typed import decode_page

        try:
            # A list page decoded as the load decodes its pages (slim where the kind has a
            # shape), so a re-listed object is what a fresh load would hold.
            typed = decode_page(body)
            return json.loads(body) if typed is None else typed
        except (ValueError, UnicodeDecodeError):
            raise Broken("a reply that is not JSON") from None

    def list_pages(
        self, path: str, page_size: int = 500, selector: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Every object at ``path`` (whole), page by page, and the list's resourceVersion
        (its first page's). An expired continue token starts the list over, once."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        version: str | None = None
        restarted = False
        while True:
            query = {
                "limit": str(page_size),
                **({"labelSelector": selector} if selector else {}),
                **({"continue": token} if token else {}),
            }
            try:
                doc = self.read_json(f"{path}?{urlencode(query)}")
            except Gone:
                if token is None or restarted:
                    raise Broken("list expired") from None
                items, token, version, restarted = [], None, None, True
                continue
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            meta = meta if isinstance(meta, dict) else {}
            if token is None:
                rv = meta.get("resourceVersion")
                version = rv if isinstance(rv, str) and rv else None
            page = doc.get("items") if isinstance(doc, dict) else None
            items.extend(i for i in page or () if isinstance(i, dict))
            token = meta.get("continue") or None
            if not token:
                return items, version

    def forget(self, raw: Any) -> None:
        with self._lock:
            self._open.discard(raw)
        # Closed, not pooled: a stream cut off mid-chunk must not be reused. Closing a
        # broken connection may fail; that is fine.
        with contextlib.suppress(Exception):
            raw.close()
            raw.release_conn()

    def close_all(self) -> None:
        """Wake every thread blocked reading a stream: shut its socket down."""
        with self._lock:
            responses = list(self._open)
        for raw in responses:
            with contextlib.suppress(Exception):  # already closed
                raw.shutdown()
