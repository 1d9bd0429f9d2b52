"""The analysis handed to the screen keeps its records while the next events are filed."""

from __future__ import annotations

from kpath.cluster.records import ObjectKey
from kpath.routing.incremental import LiveAnalysis
from kpath.tui.steady import steady
from tests.tui.following import build, raw_cluster, unready


def test_a_steady_analysis_does_not_move_with_the_next_batch() -> None:
    live = LiveAnalysis(raw_cluster(), build)
    live.apply(unready("web", 0))
    shown = steady(live.analysis)
    pods, slices = dict(shown.snapshot.pods), dict(shown.snapshot.slices)
    assert shown == live.analysis  # the same facts, in mappings of its own
    live.apply(unready("api", 1))
    assert shown.snapshot.pods == pods and shown.snapshot.slices == slices
    api1 = ObjectKey("shop", "api-1")
    assert live.analysis.snapshot.pods[api1] == pods[api1]
    api2 = ObjectKey("shop", "api-2")
    assert live.analysis.snapshot.pods[api2] != pods[api2]  # moved on: only the live one
