"""The collector paused around bulk work, and held across threads until a change is drawn:
enabled again exactly when the last hold is given back, and only if it was enabled."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from kpath.gcpause import CollectorHold, paused_gc


@pytest.fixture(autouse=True)
def collector_as_it_was() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_holds_enable_the_collector_again_when_the_last_is_given_back() -> None:
    gc.enable()
    hold = CollectorHold()
    hold.hold()
    hold.hold()  # the next batch, applied before the first was drawn
    assert not gc.isenabled()
    with paused_gc():  # the analysis's own pause leaves it as it found it: held
        pass
    assert not gc.isenabled()
    hold.release()
    assert not gc.isenabled() and hold.holds == 1
    hold.release()
    assert gc.isenabled() and hold.holds == 0
    hold.release()  # one too many (a stop gave them back): nothing changes
    assert gc.isenabled() and hold.holds == 0


def test_a_collector_disabled_before_the_first_hold_stays_disabled() -> None:
    gc.disable()
    hold = CollectorHold()
    hold.hold()
    hold.release()
    assert not gc.isenabled()


def test_release_all_gives_back_every_hold() -> None:
    gc.enable()
    hold = CollectorHold()
    for _ in range(3):
        hold.hold()
    hold.release_all()
    assert gc.isenabled() and hold.holds == 0
    hold.release_all()
    assert gc.isenabled()


def test_holds_taken_and_given_back_on_other_threads() -> None:
    gc.enable()
    hold = CollectorHold()
    taken = [threading.Thread(target=hold.hold) for _ in range(8)]
    for t in taken:
        t.start()
    for t in taken:
        t.join()
    assert hold.holds == 8 and not gc.isenabled()
    given = [threading.Thread(target=hold.release) for _ in range(8)]
    for t in given:
        t.start()
    for t in given:
        t.join()
    assert hold.holds == 0 and gc.isenabled()
