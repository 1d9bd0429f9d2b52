"""The one spelling of label-selector matching against the lab's own evaluator (written
apart from kpath's, over the raw LabelSelector), over random labels and selectors."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kpath.cluster.labels import carries, selects
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
