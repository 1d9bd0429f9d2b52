"""The watch streams' pure decisions (`kpath.cluster.streams`): when to pause, how long,
when to say lost (`retry_plan`); what a ``Retry-After`` asks; which bookmark ends a
streaming list; how a stream's bytes become groups of lines; what an event line says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from kpath.cluster.streams import (
    DEFAULT_RETRY_AFTER,
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    MIN_GAP,
    decode_event,
    initial_events_end,
    lines,
    retry_after,
    retry_plan,
)


def test_the_first_failure_is_retried_at_once_then_pauses_double_up_to_the_maximum() -> None:
    pauses = [retry_plan(streak, 0)[0] for streak in range(1, 9)]
    assert pauses == [0, 1, 2, 4, 8, MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF]


def test_a_repeated_410_backs_off_like_any_other_failure() -> None:
    # 410s in a row never reset the streak (no stream delivered anything): no spinning.
    assert [retry_plan(streak, 0) for streak in (1, 2, 3)] == [(0, False), (1, False), (2, False)]


def test_the_watch_is_lost_only_when_the_connection_failed_twice_in_a_row() -> None:
    assert retry_plan(1, 1) == (0, False)  # one cut stream: resumed, nothing to say
    assert retry_plan(2, 2) == (1, True)
    assert retry_plan(5, 1)[1] is False  # quiet or 410 streams, then one cut: not lost yet
    assert retry_plan(7, 0)[1] is False  # stalls and 410s alone: the server still answers


def test_a_custom_maximum_caps_the_pause() -> None:
    assert retry_plan(10, 0, maximum=3.0) == (3.0, False)


def test_a_kind_is_not_watched_again_within_the_minimum_gap() -> None:
    # A stream that ended normally right after it began (streak 0) still waits out the gap,
    # so a server that closes every stream at once is asked once a second, not in a loop.
    assert retry_plan(0, 0, since_open=0.25) == (MIN_GAP - 0.25, False)
    assert retry_plan(0, 0, since_open=240.0) == (0, False)  # a stream that lasted
    assert retry_plan(0, 0) == (0, False)  # no watch answered yet
    assert retry_plan(3, 0, since_open=0.0) == (max(2.0, MIN_GAP), False)  # the back-off is longer


def test_jitter_shortens_the_back_off_but_never_the_minimum_gap() -> None:
    assert retry_plan(4, 0, jitter=0.5) == (2.0, False)
    assert retry_plan(2, 0, since_open=0.0, jitter=0.5) == (MIN_GAP, False)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after("3") == 3.0
    assert retry_after(" 1.5 ") == 1.5
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert retry_after(later, now=now.timestamp()) == 7.0


def test_retry_after_missing_garbled_or_huge_is_bounded() -> None:
    assert retry_after(None) == retry_after("") == retry_after("soon") == DEFAULT_RETRY_AFTER
    assert retry_after("-4") == 0.0
    assert retry_after("86400") == MAX_RETRY_AFTER
    assert retry_after("nan") == DEFAULT_RETRY_AFTER


def test_only_the_annotated_bookmark_ends_the_initial_events() -> None:
    end = {
        "metadata": {"resourceVersion": "9", "annotations": {"k8s.io/initial-events-end": "true"}}
    }
    assert initial_events_end(end)
    assert not initial_events_end({"metadata": {"resourceVersion": "9"}})
    assert not initial_events_end({"metadata": {"annotations": {"k8s.io/initial-events-end": "1"}}})
    assert not initial_events_end({})


class Chunks:
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)

    def read1(self, size: int) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


def test_lines_come_in_the_groups_one_read_brought() -> None:
    got = list(lines(Chunks(b'{"a":1}\n{"b"', b':2}\n\n{"c":3}\n{"d"', b":4}")))
    assert got == [[b'{"a":1}'], [b'{"b":2}', b'{"c":3}'], [b'{"d":4}']]


def test_decode_event_reads_type_version_and_error_code() -> None:
    def parse_event(line: bytes) -> tuple[str, str | None, int | None]:
        return decode_event(line)[:3]

    assert parse_event(b'{"type":"MODIFIED","object":{"metadata":{"resourceVersion":"7"}}}') == (
        "MODIFIED",
        "7",
        None,
    )
    assert parse_event(b'{"type":"ERROR","object":{"kind":"Status","code":410}}') == (
        "ERROR",
        None,
        410,
    )
    assert parse_event(b'{"type":"ERROR","object":{"kind":"Status","reason":"Expired"}}') == (
        "ERROR",
        None,
        410,
    )  # a Status naming the reason only is a 410 too
    assert parse_event(b'{"type":"ERROR","object":{"kind":"Status","code":500}}') == (
        "ERROR",
        None,
        500,
    )
    assert parse_event(b'{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}') == (
        "BOOKMARK",
        "9",
        None,
    )
    assert parse_event(b"not json") == ("", None, None)
    assert parse_event(b"[1]") == ("", None, None)
