"""When watched changes reload the view (pure timing)."""

from __future__ import annotations

from kpath.tui.follow import MIN_GAP, QUIET, reload_delay

LONG_AGO = -100.0


def test_a_first_change_waits_for_quiet() -> None:
    assert reload_delay(10.0, None, LONG_AGO, waiting=False) == QUIET


def test_each_further_change_restarts_the_quiet_spell() -> None:
    assert reload_delay(10.3, 10.0, LONG_AGO, waiting=True) == QUIET


def test_no_reload_sooner_than_the_gap_after_the_last() -> None:
    assert reload_delay(10.5, None, 10.0, waiting=False) == MIN_GAP - 0.5


def test_a_cluster_that_never_goes_quiet_still_reloads_once_per_gap() -> None:
    # Changes for longer than the gap: keep the reload already set, do not push it back.
    assert reload_delay(10.0 + MIN_GAP + 0.1, 10.0, LONG_AGO, waiting=True) is None
    # ... but once it fired (nothing waiting), the next change schedules again.
    assert reload_delay(10.0 + MIN_GAP + 0.1, 10.0, LONG_AGO, waiting=False) == QUIET
