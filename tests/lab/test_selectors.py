"""The lab API server's own label-selector reading, on apimachinery's cases (the same
cases kpath's client-side parser passes: two implementations, one grammar)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpath.lab.selectors import label_matches, parse_labels
from kpath.routing.select import Requirement, matches, parse_selector, render
from tests.routing.test_select import BAD, GOOD, MATCH, NO_MATCH, _key, _req, _value


@pytest.mark.parametrize("text", GOOD)
def test_good_strings_parse(text: str) -> None:
    parse_labels(text)


@pytest.mark.parametrize("text", BAD)
def test_bad_strings_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_labels(text)


@pytest.mark.parametrize(("text", "labels"), MATCH)
def test_matches(text: str, labels: dict[str, str]) -> None:
    assert label_matches({"metadata": {"labels": labels}}, parse_labels(text))


@pytest.mark.parametrize(("text", "labels"), NO_MATCH)
def test_does_not_match(text: str, labels: dict[str, str]) -> None:
    assert not label_matches({"metadata": {"labels": labels}}, parse_labels(text))


@given(st.lists(_req, max_size=4), st.dictionaries(_key, _value, max_size=4))
def test_the_lab_and_kpath_select_alike(reqs: list[Requirement], labels: dict[str, str]) -> None:
    """Any selector kpath writes, the lab's server reads to the same selection."""
    text = render(reqs)
    assert label_matches({"metadata": {"labels": labels}}, parse_labels(text)) == matches(
        labels, parse_selector(text)
    )
