"""`Signatures`: a service's path signature, made from the analysis when first read."""

from __future__ import annotations

from kpath.cluster.records import ObjectKey
from kpath.tui import view_model as vm
from kpath.tui.signatures import Signatures
from tests.tui.following import API, WEB, build, raw_cluster


def test_signatures_are_those_of_the_analysis_they_were_made_for() -> None:
    analysis = build(raw_cluster())
    paths = vm.group_paths(analysis)
    signatures = Signatures.of(analysis, paths)
    states = vm.path_states(analysis)
    for key, indexes in paths.items():
        assert signatures.get(key) == vm.path_signature(analysis, indexes, states)
    assert signatures.get(ObjectKey("shop", "nowhere")) is None
    assert Signatures().get(WEB) is None


def test_a_signature_set_or_dropped_is_no_longer_the_analysis_one() -> None:
    analysis = build(raw_cluster())
    paths = vm.group_paths(analysis)
    signatures = Signatures.of(analysis, paths)
    signatures.update({WEB: ("moved",)})
    assert signatures.get(WEB) == ("moved",)
    assert signatures.pop(API, None) is None  # never read: not made to be dropped
    assert signatures.get(API) is None  # gone, though the analysis has its paths
    assert signatures.pop(WEB) == ("moved",) and signatures.get(WEB) is None
