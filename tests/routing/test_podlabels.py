"""A namespace's pods by label set: the selector's counts and closest pods, each set once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kpath.cluster.records import Pod
from kpath.routing.closest import Candidate, candidates
from kpath.routing.podlabels import Selected, closest_sets, label_sets, selected

_LABELS = st.dictionaries(
    st.sampled_from(["app", "apps", "tier", "version"]),
    st.sampled_from(["web", "wab", "review", "reviews", "v1"]),
    max_size=3,
)
_SELECTOR = st.dictionaries(
    st.sampled_from(["app", "tier"]), st.sampled_from(["web", "review"]), max_size=2
)


def pod(name: str, labels: dict[str, str], ready: bool = True) -> Pod:
    return Pod("shop", name, None, None, False, "Running", ready, False, labels, ())


@st.composite
def namespaces(draw: st.DrawFn) -> list[Pod]:
    # A few mappings, each shared by several pods (as the decoder shares them); a mapping
    # equal to another but not the same object too; names that repeat, to check the ties.
    shared = draw(st.lists(_LABELS, min_size=1, max_size=5))
    shared += [dict(shared[0])]
    picks = draw(
        st.lists(
            st.tuples(st.integers(0, len(shared) - 1), st.integers(0, 6), st.booleans()),
            max_size=16,
        )
    )
    return [pod(f"p{n}", shared[m], ready) for m, n, ready in picks]


def nearest(ranked: list[Candidate]) -> list[Candidate]:
    """The candidates as close as the closest (same letters, same terms off)."""
    if not ranked:
        return []
    best = (ranked[0].cost, len(ranked[0].differ))
    return [c for c in ranked if (c.cost, len(c.differ)) == best]


@given(namespaces(), _SELECTOR)
def test_closest_sets_is_the_first_rank_of_the_pods_candidates(
    pods: list[Pod], selector: dict[str, str]
) -> None:
    assert closest_sets(label_sets(pods), selector) == nearest(candidates(pods, selector))


@given(namespaces(), _SELECTOR)
def test_selected_counts_the_pods_a_scan_selects(pods: list[Pod], selector: dict[str, str]) -> None:
    chosen = [p for p in pods if all(p.labels.get(k) == v for k, v in selector.items())]
    assert selected(label_sets(pods), selector) == Selected(
        len(chosen), sum(1 for p in chosen if p.ready)
    )


def test_pods_labelled_alike_share_one_set_in_order() -> None:
    web = {"app": "web"}
    pods = [pod("b", web), pod("x", {"app": "db"}), pod("a", web)]
    sets = label_sets(pods)
    assert [s.labels for s in sets] == [web, {"app": "db"}]
    assert [p.name for p in sets[0].pods] == ["b", "a"]
    assert sets[0].at == (0, 2)


def test_a_namespace_without_pods() -> None:
    assert label_sets([]) == ()
    assert selected((), {"app": "web"}) == Selected(0, 0)
    assert closest_sets((), {"app": "web"}) == []


def test_equal_scores_name_every_pod_of_the_closest_sets_by_name() -> None:
    pods = [pod("c", {"app": "wab"}), pod("b", {"app": "wob"}), pod("a", {"app": "wab"})]
    near = closest_sets(label_sets(pods), {"app": "web"})
    assert [c.pod.name for c in near] == ["a", "b", "c"]
    assert {c.cost for c in near} == {1}


def test_no_pod_carries_a_key() -> None:
    pods = [pod("a", {"role": "x"}), pod("b", {}, ready=False)]
    assert closest_sets(label_sets(pods), {"app": "web"}) == []
    assert selected(label_sets(pods), {}) == Selected(2, 1)  # an empty selector selects all
