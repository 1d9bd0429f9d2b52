"""How far the view can be trusted: the pure decisions behind "stale since", the retried
loads, the watch that follows the loads' server, and the exit code of a session."""

from __future__ import annotations

from datetime import datetime

from kpath.tui.health import (
    EXIT_FAILED,
    EXIT_OK,
    RETRY_DELAYS,
    exit_code,
    retry_delay,
    stale_label,
    watch_follows,
)

A = "context shop @ http://127.0.0.1:6443"
B = "context shop @ http://127.0.0.1:7443"


def test_retries_wait_longer_each_time_up_to_the_last_pause() -> None:
    delays = [retry_delay(n) for n in range(10)]
    assert delays == sorted(delays)
    assert delays[0] == RETRY_DELAYS[0] and delays[-1] == RETRY_DELAYS[-1]
    assert retry_delay(-1) == RETRY_DELAYS[0]


def test_stale_says_since_when_in_local_wall_time() -> None:
    assert stale_label(None) == ""
    assert stale_label(datetime(2026, 1, 2, 13, 4, 5)) == "stale since 13:04:05"


def test_the_first_load_names_the_server_the_watch_follows() -> None:
    assert watch_follows(None, A) == (False, A)
    assert watch_follows(A, A) == (False, A)


def test_a_load_from_another_server_restarts_the_watch() -> None:
    assert watch_follows(A, B) == (True, B)
    # Another context on the same server is another target too.
    assert watch_follows(A, "context other @ http://127.0.0.1:6443")[0]


def test_a_load_that_names_no_origin_changes_nothing() -> None:
    assert watch_follows(A, "") == (False, A)
    assert watch_follows(None, "") == (False, None)


def test_a_session_that_never_showed_a_cluster_exits_2() -> None:
    assert exit_code(shown=False, error="cannot reach the API server") == EXIT_FAILED == 2
    assert exit_code(shown=True, error="") == EXIT_OK == 0
    assert exit_code(shown=False, error="") == EXIT_OK  # quit while still loading
