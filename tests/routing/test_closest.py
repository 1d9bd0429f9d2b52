"""Ranking pods by how close their labels are to a selector that matches none (KP103)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpath.cluster.records import ObjectKey, Pod
from kpath.routing.closest import Term, candidates, edit_distance, letters, term


def pod(name: str, **labels: str) -> Pod:
    return Pod("shop", name, None, None, False, "Running", True, False, labels, ())


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        ("review", "reviews", 1),
        ("reviews", "review", 1),
        ("web", "wob", 1),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("same", "same", 0),
        ("flaw", "lawn", 2),
    ],
)
def test_edit_distance(a: str, b: str, d: int) -> None:
    assert edit_distance(a, b) == d


def test_letters_in_words() -> None:
    assert [letters(n) for n in (1, 2, 3, 7)] == [
        "one letter",
        "two letters",
        "three letters",
        "7 letters",
    ]


def test_terms_same_key_near_key_missing() -> None:
    assert term({"app": "reviews"}, "app", "review").describe() == "app=reviews, one letter off"
    assert (
        term({"app": "csi-attacher"}, "app", "longhorn").describe()
        == "app='csi-attacher' (wants 'longhorn')"
    )
    near = term({"apps": "review"}, "app", "review")
    assert (near.pod_key, near.cost) == ("apps", 1)
    gone = term({"team": "x"}, "app", "web")
    assert gone == Term("app", "web", None, None, 7) and gone.describe() == "app missing"


def test_candidates_nearest_first_and_ties_by_name() -> None:
    pods = [
        pod("catalog-1", app="catalog"),
        pod("reviews-b", app="reviews"),
        pod("reviews-a", app="reviews"),
        pod("admin-1", app="admin"),
        pod("nolabels"),
    ]
    ranked = candidates(pods, {"app": "review"})
    assert [c.pod.name for c in ranked][:3] == ["reviews-a", "reviews-b", "admin-1"]
    assert "nolabels" not in [c.pod.name for c in ranked]  # none of the keys, not a candidate
    assert [c.cost for c in ranked][:3] == [1, 1, 5]


def test_fewer_terms_off_breaks_a_tie_of_letters() -> None:
    pods = [pod("a", app="wex", tier="bacx"), pod("b", app="web", tier="baxx")]
    ranked = candidates(pods, {"app": "web", "tier": "back"})
    assert [(c.pod.name, c.cost, len(c.differ)) for c in ranked] == [("b", 2, 1), ("a", 2, 2)]
    assert ObjectKey("shop", "b") == ranked[0].pod.key


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["app", "apps", "tier", "team"]),
            st.sampled_from(["web", "wob", "reviews", "review", "x"]),
            max_size=3,
        ),
        max_size=12,
    ),
    st.dictionaries(st.sampled_from(["app", "tier"]), st.sampled_from(["web", "review"])),
)
def test_labels_shared_by_pods_rank_as_copies_of_them(
    labels: list[dict[str, str]], selector: dict[str, str]
) -> None:
    # Pods of one template share one mapping (scored once); names repeat to check the ties.
    shared = [labels[i % len(labels)] for i in range(len(labels) * 2)]
    pods = [
        Pod("shop", f"p{i % 5}", None, None, False, "Running", True, False, ls, ())
        for i, ls in enumerate(shared)
    ]
    copies = [p._replace(labels=dict(p.labels)) for p in pods]
    assert candidates(pods, selector) == candidates(copies, selector)
