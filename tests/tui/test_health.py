"""How far the view can be trusted: the pure decisions behind "stale since", the retried
loads, and the exit code of a session."""

from __future__ import annotations

from datetime import datetime

from kpath.tui.health import (
    EXIT_FAILED,
    EXIT_OK,
    RETRY_DELAYS,
    exit_code,
    retry_delay,
    stale_label,
)


def test_retries_wait_longer_each_time_up_to_the_last_pause() -> None:
    delays = [retry_delay(n) for n in range(10)]
    assert delays == sorted(delays)
    assert delays[0] == RETRY_DELAYS[0] and delays[-1] == RETRY_DELAYS[-1]
    assert retry_delay(-1) == RETRY_DELAYS[0]


def test_stale_says_since_when_in_local_wall_time() -> None:
    assert stale_label(None) == ""
    assert stale_label(datetime(2026, 1, 2, 13, 4, 5)) == "stale since 13:04:05"


def test_a_session_that_never_showed_a_cluster_exits_2() -> None:
    assert exit_code(shown=False, error="cannot reach the API server") == EXIT_FAILED == 2
    assert exit_code(shown=True, error="") == EXIT_OK == 0
    assert exit_code(shown=False, error="") == EXIT_OK  # quit while still loading
