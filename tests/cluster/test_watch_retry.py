"""The watch's retry decisions (`retry_plan`): when to pause, how long, when to say lost."""

from __future__ import annotations

from kpath.cluster.watch import MAX_BACKOFF, MIN_GAP, retry_plan


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
