"""The one spelling of label-selector matching against the lab's own evaluator (written
apart from kpath's, over the raw LabelSelector), over random labels and selectors."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kpath.cluster.labels import LabelsIndex, SelectorIndex, carries, pivot, selects
from kpath.cluster.records import LabelSelector, SelectorRequirement
from kpath.lab.netpolicy import selector_matches

# Few keys and values, so that hits, misses and absent keys all come up often.
_KEY = st.sampled_from(["app", "tier", "example.com/team", "v"])
_VALUE = st.sampled_from(["", "web", "db", "1"])
_LABELS = st.dictionaries(_KEY, _VALUE, max_size=4)
_MATCH = st.dictionaries(_KEY, _VALUE, max_size=3)
_REQUIREMENT = st.builds(
    SelectorRequirement,
    _KEY,
    st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "Gt"]),
    st.lists(_VALUE, max_size=3).map(tuple),
)
_SELECTOR = st.builds(
    LabelSelector,
    _MATCH.map(lambda m: tuple(m.items())),
    st.lists(_REQUIREMENT, max_size=2).map(tuple),
)


def raw(selector: LabelSelector) -> dict[str, Any]:
    return {
        "matchLabels": dict(selector.match_labels),
        "matchExpressions": [
            {"key": r.key, "operator": r.operator, "values": list(r.values)}
            for r in selector.match_expressions
        ],
    }


@given(_LABELS, _MATCH)
def test_carries_is_a_selector_of_match_labels_only(
    labels: dict[str, str], match: dict[str, str]
) -> None:
    expected = selector_matches({"matchLabels": match}, labels)
    assert carries(labels, match.items()) is expected
    assert carries(labels, tuple(match.items())) is expected  # a LabelSelector's pairs


@given(_LABELS, _MATCH, st.lists(_REQUIREMENT, max_size=3))
def test_selects_as_the_lab_evaluates(
    labels: dict[str, str], match: dict[str, str], requirements: list[SelectorRequirement]
) -> None:
    selector = LabelSelector(tuple(match.items()), tuple(requirements))
    assert selects(selector, labels) is selector_matches(raw(selector), labels)


def test_no_selector_selects_nothing_an_empty_one_everything() -> None:
    assert not selects(None, {})
    assert selects(LabelSelector((), ()), {"app": "web"})
    assert carries({}, ())


@given(_LABELS, _SELECTOR)
def test_every_labels_a_selector_selects_carry_its_pivot(
    labels: dict[str, str], selector: LabelSelector
) -> None:
    pair = pivot(selector)
    if pair is not None and selects(selector, labels):
        assert labels.get(pair[0]) == pair[1]


def test_a_pivot_is_the_first_match_label_or_a_one_value_in() -> None:
    one = SelectorRequirement("tier", "In", ("db",))
    assert pivot(LabelSelector((("app", "web"),), (one,))) == ("app", "web")
    assert pivot(LabelSelector((), (one,))) == ("tier", "db")
    assert pivot(LabelSelector((), (SelectorRequirement("tier", "In", ("a", "b")),))) is None
    assert pivot(LabelSelector((), (SelectorRequirement("tier", "Exists", ()),))) is None
    assert pivot(LabelSelector((), ())) is None


@given(st.lists(_SELECTOR, max_size=8), _LABELS)
def test_a_selector_index_selects_as_each_selector_does_in_order(
    selectors: list[LabelSelector], labels: dict[str, str]
) -> None:
    index = SelectorIndex((s, i) for i, s in enumerate(selectors))
    assert index.selecting(labels) == [i for i, s in enumerate(selectors) if selects(s, labels)]


@given(st.lists(_LABELS, max_size=8), st.lists(_SELECTOR, min_size=1, max_size=4))
def test_a_labels_index_finds_a_selected_set_when_there_is_one(
    sets: list[dict[str, str]], selectors: list[LabelSelector]
) -> None:
    index = LabelsIndex(sets)
    assert bool(index) is bool(sets)
    for selector in selectors:  # one index, asked again and again (its keys built once)
        assert index.any_selected(selector) is any(selects(selector, s) for s in sets)
