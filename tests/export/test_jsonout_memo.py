"""The paths document writes each endpoint once and hands every use its own copy."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.export.jsonout import _Memo, _target
from kpath.routing.kubeproxy import Target

_TARGETS = [
    Target(f"10.1.0.{i}", 8080, None, f"node-{i % 3}", "z1", i % 2 == 0, True, i % 3 == 0)
    for i in range(6)
]


@given(st.lists(st.lists(st.sampled_from(range(len(_TARGETS))), max_size=5), max_size=6))
@settings(max_examples=200, deadline=None)
def test_each_use_is_its_own_copy_of_what_the_targets_say(picks: list[list[int]]) -> None:
    memo = _Memo()
    tuples = [tuple(_TARGETS[i] for i in p) for p in picks]
    uses = [memo.endpoints(ts) for ts in (*tuples, *tuples)]  # each tuple asked twice
    for ts, got in zip((*tuples, *tuples), uses, strict=True):
        assert got == [_target(t) for t in ts]
    seen = [id(d) for got in uses for d in got]
    assert len(seen) == len(set(seen))  # no dict is handed out twice
    for got in uses:
        for d in got:
            d["observed"] = "set by one hop"  # as probejson.add_observed does
    assert memo.endpoints(tuple(_TARGETS)) == [_target(t) for t in _TARGETS]
