"""kpath.source: the UI's input read as the command line reads it. Pure decisions get
plain tests; the live source runs against the lab's API server on loopback."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kpath.cli import _cluster_source, _load
from kpath.cluster.live import LiveOptions
from kpath.errors import InputError
from kpath.probe.consent import probe_consent
from kpath.routing.scope import ViewScope
from kpath.source import (
    DumpSource,
    KubeSource,
    needs_reload,
    parse_client,
)

DUMP = Path(__file__).resolve().parent / "data" / "dumps" / "policies.yaml"
A, B = frozenset({"a"}), frozenset({"b"})


def flags(**kw: object) -> argparse.Namespace:
    base = dict(
        dump=None,
        kubeconfig=None,
        context=None,
        namespace=None,
        all_namespaces=False,
        selector=None,
        internal=False,
        client=None,
    )
    return argparse.Namespace(**{**base, **kw})


def test_needs_reload_when_the_view_holds_more_than_was_read() -> None:
    assert not needs_reload(None, A)  # everything was read
    assert not needs_reload(None, None)
    assert not needs_reload(A | B, A)
    assert needs_reload(A, B)
    assert needs_reload(A, None)  # all namespaces, one read
    assert needs_reload(A, A | B)


def test_parse_client() -> None:
    assert parse_client(None) is None
    assert parse_client("2001:db8::0001") == "2001:db8::1"
    with pytest.raises(InputError, match="not an IP address"):
        parse_client("nope")


def test_a_dump_source_reads_what_kpath_paths_reads_and_is_never_probed() -> None:
    source = _cluster_source(flags(dump=[str(DUMP)], client="192.0.2.7"))
    assert isinstance(source, DumpSource) and not source.live and source.follower is None
    ours, cli = source.load(), _load(flags(dump=[str(DUMP)], client="192.0.2.7"))
    assert [(f.code, f.message) for f in ours.findings] == [
        (f.code, f.message) for f in cli.findings
    ]
    assert ours.client == cli.client and ours.client is not None
    assert source.probe_refusal == probe_consent(True, ui=True).refusal
    assert source.contexts() == ([], None)
    assert source.with_namespaces(frozenset({"x"})) is source
    assert source.origin == f"dump: {DUMP}"


def test_a_live_source_widens_to_what_is_asked() -> None:
    source = KubeSource(LiveOptions(kubeconfig="kc", context="a", namespace="shop"))
    wide = source.with_namespaces(None)
    assert isinstance(wide, KubeSource)
    assert wide.options.all_namespaces and wide.options.namespace is None
    other = source.with_namespaces(frozenset({"ingress-nginx"}))
    assert isinstance(other, KubeSource)
    assert other.options == LiveOptions(kubeconfig="kc", context="a", namespace="ingress-nginx")
    assert source.with_namespaces(frozenset({"shop"})) == source
    assert source.with_context("b").origin == "context b"
    assert (
        KubeSource(LiveOptions(), label="kpath demo lab (shop)").with_context("x").origin
        == "context x"
    )


@pytest.fixture(scope="module")
def netpol_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from kpath.lab.runner import LabThread

    with LabThread("netpol-shop") as lab:
        yield lab.write_kubeconfig(tmp_path_factory.mktemp("kc") / "kubeconfig")


@pytest.mark.lab
def test_the_live_source_judges_network_policy_from_this_machine(netpol_lab: Path) -> None:
    """As `kpath paths --probe` does: the UI probes from here, so it predicts from here."""
    args = flags(kubeconfig=str(netpol_lab), all_namespaces=True)
    analysis = _cluster_source(args).load()
    probing = _load(args, probing=True)
    assert analysis.client is not None and analysis.client == probing.client
    assert "this machine's address" in analysis.client.note
    assert analysis.client != _load(args).client  # not the default outside client
    chosen = _cluster_source(
        flags(kubeconfig=str(netpol_lab), all_namespaces=True, client="203.0.113.9")
    ).load()
    assert chosen.client is not None and chosen.client.address == "203.0.113.9"


@pytest.mark.lab
def test_the_live_source_says_which_namespace_it_read(netpol_lab: Path) -> None:
    """Without -n or -A, the context's namespace is read: the snapshot says so."""
    source = _cluster_source(flags(kubeconfig=str(netpol_lab)))
    assert source.load().snapshot.namespaces_read == frozenset({"default"})
    shop = _cluster_source(flags(kubeconfig=str(netpol_lab), namespace="shop")).load()
    assert shop.snapshot.namespaces_read == frozenset({"shop"})
    # Services elsewhere are read only to find the ingress controllers: not in the view.
    scope = ViewScope(shop.snapshot.namespaces_read, internal=True)
    assert {k.namespace for k in scope.services(shop)} <= {"shop"}
    everything = _cluster_source(flags(kubeconfig=str(netpol_lab), all_namespaces=True))
    assert everything.load().snapshot.namespaces_read is None


@pytest.mark.lab
def test_the_live_source_follows_what_it_loaded(netpol_lab: Path) -> None:
    """`load_following` keeps the objects read; its analysis is `load`'s (same scope, same
    client), and the versions its follower resumes from."""
    source = _cluster_source(flags(kubeconfig=str(netpol_lab), namespace="shop"))
    following = source.load_following()
    loaded = source.load()
    assert following.analysis.snapshot.namespaces_read == frozenset({"shop"})
    assert following.analysis.client == loaded.client
    assert sorted(following.analysis.snapshot.services) == sorted(loaded.snapshot.services)
    assert following.raw.list_versions  # where the follower resumes
    assert source.follower is not None and DumpSource(()).follower is None


@pytest.mark.lab
@pytest.mark.parametrize("scope", [{"all_namespaces": True}, {"namespace": "shop"}])
def test_a_followed_load_is_the_same_analysis_as_a_load_and_as_its_rebuild(
    netpol_lab: Path, scope: dict[str, Any]
) -> None:
    """The first screen of a followed load is `load`'s analysis (read the same typed way),
    and a rebuild of the objects it kept for the follower gives that analysis again."""
    source = _cluster_source(flags(kubeconfig=str(netpol_lab), **scope))
    following = source.load_following()
    loaded = source.load()
    from kpath.export.jsonout import paths_json

    assert following.analysis.snapshot == loaded.snapshot
    assert paths_json(following.analysis) == paths_json(loaded)
    rebuilt = following.build(following.raw)
    assert rebuilt.snapshot == loaded.snapshot
    assert paths_json(rebuilt) == paths_json(loaded)


def test_detached_objects_do_not_move_with_the_original() -> None:
    from kpath.cluster.events import Change, apply_events
    from kpath.source import detached
    from tests.tui.following import pod, raw_cluster

    raw = raw_cluster()
    raw.list_versions[("Pod", None)] = "7"
    copy = detached(raw)
    assert copy.objects == raw.objects and copy.list_versions == {("Pod", None): "7"}
    apply_events(raw, [Change("Pod", "DELETED", pod("web", 0))])
    raw.list_versions[("Pod", None)] = "8"
    assert len(copy.objects["Pod"]) == len(raw.objects["Pod"]) + 1
    assert copy.list_versions == {("Pod", None): "7"}


def test_an_event_feed_hands_batches_to_each_follow_until_it_stops() -> None:
    import threading

    from kpath.source import EventFeed, LoadedSource
    from tests.tui.following import build, raw_cluster, unready

    feed = EventFeed()
    source = LoadedSource.following(raw_cluster, build, feed.follow, origin="test")
    assert source.live and source.follower is not None
    following = source.load_following()
    heard: list[object] = []
    stop = threading.Event()
    thread = threading.Thread(target=feed.follow, args=(following.raw, heard.append, stop))
    thread.start()
    assert feed.wait_following(1) and feed.followed == [following.raw]
    assert feed.send(unready("web", 0)) == 1
    assert heard == [unready("web", 0)]
    stop.set()
    thread.join(5)
    assert feed.following == 0 and feed.send(unready("web", 1)) == 0
    with pytest.raises(InputError):
        LoadedSource(lambda: build(raw_cluster())).load_following()


def test_a_followed_load_is_analysed_once_and_again_only_for_a_rebuild() -> None:
    """`Followable`: the load's analysis is the one shown and the one the `LiveAnalysis`
    starts from (no second analysis before following); a rebuild still analyses anew."""
    from kpath.cluster.events import Replace
    from kpath.cluster.raw import RawCluster
    from kpath.routing.analysis import Analysis
    from kpath.source import Followable
    from tests.tui.following import build, objects, raw_cluster

    builds: list[RawCluster] = []

    def counted(raw: RawCluster) -> Analysis:
        builds.append(raw)
        return build(raw)

    loaded = Followable.read(raw_cluster(), counted)
    assert len(builds) == 1
    live = loaded.follow()
    assert len(builds) == 1 and live.raw is loaded.raw
    assert live.analysis.paths == loaded.analysis.paths
    assert live.analysis.findings == loaded.analysis.findings
    nodes = tuple(o for o in objects() if o["kind"] == "Node")
    changed = live.apply([Replace("Node", nodes)])  # a kind listed again: a rebuild
    assert changed.everything and len(builds) == 2 and builds[-1] is loaded.raw
    # The analysis shown first is not the live one: events never move it.
    assert loaded.analysis.snapshot.nodes is not live.analysis.snapshot.nodes


@pytest.fixture(scope="module")
def shop_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from kpath.lab.runner import LabThread

    with LabThread("gateway-shop") as lab:
        yield lab.write_kubeconfig(tmp_path_factory.mktemp("kc") / "kubeconfig")


@pytest.mark.lab
def test_events_filed_into_a_followed_load_give_what_they_give_to_its_dicts(
    shop_lab: Path,
) -> None:
    """The objects a followed load keeps (typed Structs, dicts once followed) take watch
    events as the dicts `load_live` reads take them: the same analysis after them."""
    import copy

    from kpath.cluster.events import Change, apply_events
    from kpath.cluster.live import load_live
    from kpath.export.jsonout import paths_json

    source = KubeSource(LiveOptions(kubeconfig=str(shop_lab), all_namespaces=True))
    following = source.load_following()
    live = following.follow()
    read = load_live(source.options)
    service = copy.deepcopy(read.objects["Service"][0])
    service["spec"]["type"] = "NodePort"
    pod, node = (copy.deepcopy(read.objects[k][0]) for k in ("Pod", "Node"))
    node["metadata"]["labels"] = {"topology.kubernetes.io/zone": "elsewhere"}
    events = [
        Change("Service", "MODIFIED", service),
        Change("Pod", "DELETED", pod),
        Change("Node", "MODIFIED", node),
    ]
    before = paths_json(following.analysis)
    for event in events:
        live.apply([event])
    apply_events(read, events)
    expected = following.build(read)
    assert live.analysis.snapshot == expected.snapshot
    assert paths_json(live.analysis) == paths_json(expected) != before
    assert len(live.analysis.snapshot.pods) == len(following.raw.objects["Pod"])
