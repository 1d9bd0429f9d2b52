"""Typed decoding (`kpath.cluster.typed`) reads every dump as ``json.loads`` does, for kpath.

The property: a dump loaded slim (msgspec, the fields kpath reads) and loaded whole
(``json.loads``) give the same snapshot, or the same one-line error. It is checked on every
test and real-world dump, on mutated ones (the fuzzer's mutations: wrong types, nulls,
hostile values in any field), and on the inputs where msgspec and ``json.loads`` differ.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks._mutate import REALWORLD, Seed, all_seeds, mutate, workspace
from kpath.cluster import typed
from kpath.cluster.dump import _KIND_GROUPS, load_dump
from kpath.cluster.raw import KINDS
from kpath.cluster.snapshot import Snapshot, build_snapshot
from kpath.errors import InputError


def outcome(paths: list[Path], slim: bool) -> Snapshot | str:
    try:
        return build_snapshot(load_dump(paths, slim=slim))
    except InputError as exc:
        return f"error: {exc}"


#: The refusals of json.loads that slim reading may not share, both in fields kpath does
#: not read, which msgspec skips without building them: an integer of thousands of digits
#: (CPython's guard against quadratic conversion) and nesting near the recursion limit
#: (msgspec's own limit is close to it, and refuses deeper nesting as cleanly). Where kpath
#: reads the field, both are refused as before.
_SKIPPED = ("not usable JSON: Exceeds the limit (4300 digits)", "JSON nested too deeply")


def same_both_ways(*paths: Path) -> Snapshot | str:
    slim, whole = outcome(list(paths), True), outcome(list(paths), False)
    # (Past such a number slim reading goes on, to a result or to the next problem.)
    if not (isinstance(whole, str) and any(why in whole for why in _SKIPPED)):
        assert slim == whole
    return slim


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def pod(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "nodeName": "n1",
            "containers": [{"name": "c", "ports": [{"containerPort": 8080, "name": "http"}]}],
            **spec,
        },
        "status": {"podIP": "10.0.0.1", "phase": "Running"},
    }


def service(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}], **spec},
    }


def a_list(*items: dict[str, Any], kind: str = "List") -> str:
    return json.dumps({"apiVersion": "v1", "kind": kind, "items": list(items)})


# ---------------------------------------------------------------- real inputs


@pytest.fixture(scope="module")
def seeds() -> Iterator[list[Seed]]:
    found = all_seeds()
    with workspace(found):
        yield found


def test_every_seed_reads_the_same_slim_and_whole(seeds: list[Seed]) -> None:
    results = [same_both_ways(seed.root) for seed in seeds if seed.root is not None]
    # Not only errors: the builders' cluster and the real dumps are read whole (the tests'
    # own dump files are mostly broken on purpose; without ../shared only the builders').
    whole = sum(isinstance(r, Snapshot) for r in results)
    assert whole >= (len(results) // 2 if REALWORLD.is_dir() else 1)


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rnd=st.randoms(use_true_random=True))
def test_a_mutated_dump_reads_the_same_slim_and_whole(
    seeds: list[Seed], rnd: random.Random
) -> None:
    mutant = mutate(rnd, mutate_seeds := seeds)
    root = mutant.seed.root
    assert root is not None
    target = root / mutant.file.rel
    target.write_text(mutant.text, encoding="utf-8")
    try:
        same_both_ways(root)
    finally:
        target.write_text(mutant.seed.originals[mutant.file.rel], encoding="utf-8")
    assert mutate_seeds


# ---------------------------------------------------------------- one bad object


def test_a_wrongly_typed_field_is_that_objects_error_not_the_files(tmp_path: Path) -> None:
    items = [pod(f"p{i}") for i in range(50)]
    items[31]["spec"]["nodeName"] = ["n1"]
    path = write(tmp_path / "big.json", a_list(*items, service("web")))
    message = same_both_ways(path)
    assert message == f"error: {path}: Pod shop/p31: spec.nodeName is a list, not a string"


def test_a_wrongly_typed_field_in_an_xlist_and_a_live_page(tmp_path: Path) -> None:
    items = [pod(f"p{i}") for i in range(5)]
    for item in items:
        del item["kind"], item["apiVersion"]  # as a server lists them
    items[3]["spec"]["hostNetwork"] = "yes"
    text = a_list(*items, kind="PodList")
    path = write(tmp_path / "pods.json", text)
    assert same_both_ways(path) == (
        f"error: {path}: Pod shop/p3: spec.hostNetwork is a string, not true or false"
    )
    page = typed.decode_page(
        json.dumps(
            {**json.loads(text), "metadata": {"continue": "t", "resourceVersion": "7"}}
        ).encode()
    )
    assert page is not None
    assert page["metadata"] == {"continue": "t", "resourceVersion": "7"}
    assert page["items"][3]["spec"]["hostNetwork"] == "yes"  # whole: the parser refuses it
    assert "image" not in json.dumps(page["items"][0])  # the others slim
    assert page["items"][0]["spec"]["nodeName"] == "n1"


def test_pages_of_other_replies_are_left_to_json_loads() -> None:
    assert typed.decode_page(b'{"kind":"APIGroupList","groups":[]}') is None
    assert typed.decode_page(b'{"kind":"GatewayList","items":[]}') is None
    assert typed.decode_page(b'{"kind":"PodList","items":[{"a":NaN}]}') is None
    assert typed.decode_page(b"not json") is None


def test_objects_are_slim_and_keep_every_field_read(tmp_path: Path) -> None:
    item = pod("p", image="x", volumes=[{"name": "v"}])
    item["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    docs = typed.decode_documents(a_list(item).encode())
    assert docs is not None
    (got,) = map(typed.to_plain, docs[0]["items"])
    assert "volumes" not in got["spec"] and "managedFields" not in got["metadata"]
    assert got["spec"]["containers"] == [{"ports": [{"containerPort": 8080, "name": "http"}]}]


# ---------------------------------------------------------------- where msgspec differs


@pytest.mark.parametrize(
    ("name", "text"),
    [
        # json.loads reads NaN and Infinity (msgspec refuses them): in a field no parser
        # reads the dump loads; in a port the parser names the field.
        ("nan-unread.json", a_list(pod("p", priority=1)).replace("1}", "NaN}", 1)),
        ("nan-port.json", a_list(service("web")).replace('"port": 80', '"port": NaN')),
        ("inf-port.json", a_list(service("web")).replace('"port": 80', '"port": 1e400')),
        ("huge-port.json", a_list(service("web")).replace('"port": 80', '"port": ' + "9" * 30)),
        ("digits.json", a_list(service("web")).replace('"port": 80', '"port": ' + "9" * 5000)),
        ("bom.json", "\ufeff" + a_list(pod("p"))),
        ("utf16.json", a_list(pod("p")).encode("utf-16").decode("latin-1")),
        ("surrogate.json", a_list(pod("p")).replace('"web"', '"\\ud800"', 1)),
        ("deep.json", a_list(pod("p", x="[" * 50_000 + "]" * 50_000)).replace('"[', "[")),
        ("stream.json", json.dumps(pod("p")) + "\n" + json.dumps(service("web")) + " "),
        ("stream-list.json", a_list(pod("p")) + a_list(service("web"))),
        ("bad-second.json", json.dumps(pod("p")) + "\n{" + json.dumps(service("web"))),
        ("trailing.json", a_list(pod("p")) + " ]"),
        ("dup-keys.json", a_list(pod("p")).replace('"name": "p"', '"name": "q", "name": "p"')),
        (
            "null-item.json",
            a_list(pod("p"), service("web")).replace('"items": [', '"items": [null, '),
        ),
        ("null-label.json", a_list(pod("p")).replace('"app": "web"', '"app": null')),
        ("array.json", json.dumps([pod("p"), service("web")])),
        ("one.json", json.dumps(service("web", type="NodePort"))),
        ("kind-number.json", a_list(pod("p")).replace('"kind": "Pod"', '"kind": 5')),
    ],
)
def test_inputs_msgspec_reads_otherwise_read_as_json_loads_reads_them(
    tmp_path: Path, name: str, text: str
) -> None:
    data = text.encode("latin-1") if name == "utf16.json" else text.encode("utf-8", "surrogatepass")
    path = write(tmp_path / name, data)
    same_both_ways(path)


def test_a_huge_number_fails_the_file_only_where_kpath_reads_it(tmp_path: Path) -> None:
    digits = "9" * 5000
    unread = write(
        tmp_path / "unread.json", a_list(pod("p", priority=1)).replace("1}", digits + "}", 1)
    )
    assert _SKIPPED[0] in str(outcome([unread], False))
    assert isinstance(outcome([unread], True), Snapshot)
    read = write(
        tmp_path / "read.json", a_list(service("web")).replace('"port": 80', '"port": ' + digits)
    )
    assert _SKIPPED[0] in str(outcome([read], True))


def test_a_stream_of_documents_is_read_slim() -> None:
    text = json.dumps(pod("p", image="x")) + "\n\n" + a_list(service("web")) + "\n"
    docs = typed.decode_documents(text.encode())
    assert docs is not None and len(docs) == 2
    assert "image" not in typed.to_plain(docs[0])["spec"]
    assert docs[1]["items"][0].metadata.name == "web"


def test_every_kind_read_without_a_shape_is_decoded_in_full() -> None:
    # A kind whose name the dump reader maps to a kind it reads (Calico's NetworkPolicy,
    # XListenerSet) must keep its fields, or its parser would see an empty object.
    for kind in {*KINDS, *_KIND_GROUPS} - typed.SHAPES.keys():
        assert typed._shape_of(kind) is typed._WHOLE, kind
    assert typed._shape_of("Deployment") is typed._Other
    assert typed._shape_of("DeploymentList") is typed._WHOLE  # a List nested in a List


# ---------------------------------------------------------------- only the kinds read


def test_decoders_are_built_on_first_use() -> None:
    import subprocess
    import sys

    code = (
        "import json; from kpath.cluster import typed; assert not typed._BUILT, typed._BUILT;"
        "page = json.dumps({'kind': 'NodeList', 'items': [{'metadata': {'name': 'n'}}]});"
        "assert typed.decode_page(page.encode()) is not None;"
        "assert typed.SHAPES['Pod'] not in typed._BUILT, typed._BUILT"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


def test_objects_of_kinds_not_named_are_not_decoded() -> None:
    bad = service("web", ports="not a list")  # never looked at
    text = a_list(pod("p", image="x"), bad, {"kind": "Deployment", "spec": {"a": 1}})
    docs = typed.decode_documents(text.encode(), kinds=frozenset({"Pod"}))
    assert docs is not None
    got_pod, got_service, got_other = map(typed.to_plain, docs[0]["items"])
    plain = typed.decode_documents(a_list(pod("p")).encode())
    assert plain is not None and got_pod == typed.to_plain(plain[0]["items"][0])
    assert got_service == {"kind": "Service"}  # its kind alone
    assert got_other == {"kind": "Deployment"}


def netpol(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]},
    }


def test_a_list_read_for_some_kinds_is_one_pass_and_reads_as_item_by_item(
    tmp_path: Path,
) -> None:
    # Wanted with a shape (Pod), wanted without one (NetworkPolicy, kept whole as a dict)
    # and not wanted (Service): the one-pass decoder knows every kind, so it decodes the
    # List itself.
    items = [pod("p"), netpol("deny"), service("web"), netpol("allow"), pod("q")]
    kinds = frozenset({"Pod", "NetworkPolicy"})
    for extra in ([], [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway"}]):
        text = a_list(*items, *extra).encode()
        if not extra:
            typed._one_pass(memoryview(text), None, kinds)  # refuses none of them
        else:  # a kind read in full but not wanted: the dump reader sees it (item by item)
            with pytest.raises(msgspec.ValidationError):
                typed._one_pass(memoryview(text), None, kinds)
        array = text[text.index(b"[") : text.rindex(b"]") + 1]
        by_item = typed.decode_items(
            typed._decoder_of(typed._RAWS).decode(array), None, None, kinds, True
        )
        docs = typed.decode_documents(text, kinds=kinds)
        assert docs is not None
        got = docs[0]["items"]
        assert [type(x) for x in got] == [type(x) for x in by_item]
        assert list(map(typed.to_plain, got)) == list(map(typed.to_plain, by_item))
        assert got[1] == netpol("deny") and got[3] == netpol("allow")  # as json.loads reads
        assert typed.to_plain(got[2]) == {"kind": "Service"}  # not wanted: its kind alone
        # And the dump read for those kinds is the one read whole (json.loads, dict parsers).
        snap = both_ways_for(kinds, write(tmp_path / "dump.json", text))
        assert isinstance(snap, Snapshot) and snap.kinds_seen == {"Pod", "NetworkPolicy"}


def both_ways_for(kinds: frozenset[str], *paths: Path) -> Snapshot | str:
    def one(slim: bool) -> Snapshot | str:
        try:
            return build_snapshot(load_dump(list(paths), slim=slim, kinds=kinds))
        except InputError as exc:
            return f"error: {exc}"

    slim = one(True)
    assert slim == one(False)
    return slim


def test_a_dump_read_for_some_kinds_holds_exactly_those(seeds: list[Seed]) -> None:
    kinds = frozenset({"Pod", "Namespace", "NetworkPolicy", "Node"})
    compared = 0
    for seed in seeds:
        if seed.root is None or not isinstance(outcome([seed.root], True), Snapshot):
            continue
        # Everything, then only the kinds named: the snapshot of what is left.
        everything = load_dump([seed.root], slim=False)
        everything.objects = {k: v for k, v in everything.objects.items() if k in kinds}
        everything.sources = {k: v for k, v in everything.sources.items() if k in kinds}
        slim = both_ways_for(kinds, seed.root)
        assert slim == build_snapshot(everything), seed.root
        compared += 1
    assert compared >= 3


def test_a_bad_object_of_a_kind_not_read_is_no_error(tmp_path: Path) -> None:
    bad = service("web", ports="not a list")
    nameless = {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "metadata": {}}
    path = write(tmp_path / "d.json", a_list(pod("p"), bad, nameless))
    snap = both_ways_for(frozenset({"Pod"}), path)
    assert isinstance(snap, Snapshot)
    assert list(snap.pods) == [("shop", "p")] and not snap.services
    assert snap.kinds_seen == {"Pod"}
    assert "(Ingress): metadata.name is missing" in str(outcome([path], True))  # all: refused
    only_services = write(tmp_path / "s.json", a_list(pod("p"), bad))
    assert "Service shop/web: spec.ports is a string" in str(outcome([only_services], True))


def test_kinds_filed_under_another_name_are_read_by_that_name(tmp_path: Path) -> None:
    calico = {
        "kind": "NetworkPolicy",
        "apiVersion": "projectcalico.org/v3",
        "metadata": {"name": "c", "namespace": "shop"},
        "spec": {"selector": "all()"},
    }
    listener = {
        "kind": "XListenerSet",
        "apiVersion": "gateway.networking.x-k8s.io/v1alpha1",
        "metadata": {"name": "l", "namespace": "shop"},
        "spec": {"parentRef": {"name": "g"}, "listeners": []},
    }
    path = write(tmp_path / "d.json", a_list(calico, listener, pod("p")))
    whole = load_dump([path])
    for kind in ("CalicoNetworkPolicy", "ListenerSet"):
        some = load_dump([path], kinds=frozenset({kind}))
        assert some.objects == {kind: whole.objects[kind]}, kind
        assert len(some.objects[kind]) == 1


# ---------------------------------------------------------------- a mapped file


def test_a_mapped_file_reads_the_same_and_lets_go_only_of_what_was_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpath.cluster import dumpfiles

    items = [pod(f"p{i}", image="x" * 500) for i in range(200)]
    items[150]["spec"]["nodeName"] = 7  # one bad object: still that object's error
    text = a_list(*items, service("web"))
    path = write(tmp_path / "big.json", text)
    whole = outcome([path], False)
    monkeypatch.setattr(dumpfiles, "MAP_BYTES", 0)
    monkeypatch.setattr(typed, "RELEASE_STEP", 4096)
    assert outcome([path], True) == whole
    assert str(whole).endswith("Pod shop/p150: spec.nodeName is a number, not a string")

    told: list[int] = []
    docs = typed.decode_documents(text.encode(), None, told.append)
    assert docs is not None and len(docs[0]["items"]) == 201
    assert len(told) > 10 and told == sorted(told)
    # Never past what was read: each release is where a piece of whole items ends.
    assert all(text[upto - 1] == "}" for upto in told) and told[-1] <= text.rindex("]")


def test_a_watch_event_holds_its_object_as_a_list_page_holds_it() -> None:
    import json

    from kpath.cluster.typed import decode_page, decode_watch_event

    pod = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": "a", "namespace": "b", "uid": "u", "managedFields": [{}]},
        "spec": {
            "nodeName": "n1",
            "containers": [{"image": "x", "ports": [{"containerPort": 80}]}],
        },
        "status": {"podIP": "127.0.0.2", "phase": "Running"},
    }
    page = decode_page(json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [pod]}).encode())
    event = decode_watch_event(json.dumps({"type": "ADDED", "object": pod}).encode(), "Pod")
    assert page is not None and event is not None
    assert event["object"] == page["items"][0]
    assert "managedFields" not in event["object"]["metadata"]
    status = {"kind": "Status", "code": 410, "reason": "Expired"}
    error = json.dumps({"type": "ERROR", "object": status}).encode()
    assert decode_watch_event(error, "Pod") is None  # a Status is read in full, elsewhere
    assert decode_watch_event(b'{"type": "ADDED", "object": {}}', "NetworkPolicy") is None


# ---------------------------------------------------------------- typed readers


def slice_of(*endpoints: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "web-1",
            "namespace": "shop",
            "labels": {"kubernetes.io/service-name": "web"},
        },
        "addressType": "IPv4",
        "endpoints": list(endpoints),
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        **extra,
    }


def node(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"topology.kubernetes.io/zone": "z1", "kubernetes.io/hostname": name},
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.9"}],
        },
        **fields,
    }


def endpoint(**fields: Any) -> dict[str, Any]:
    return {
        "addresses": ["10.0.0.1"],
        "conditions": {"ready": True},
        "nodeName": "n1",
        "targetRef": {"kind": "Pod", "name": "p", "namespace": "shop"},
        **fields,
    }


@pytest.mark.parametrize(
    "items",
    [
        [pod("p"), slice_of(endpoint())],
        [pod("p", hostNetwork=True), slice_of(endpoint(conditions=None), endpoint(addresses=[]))],
        [slice_of(endpoint(targetRef={}), endpoint(targetRef={"name": "x"}))],
        [slice_of(endpoint(hints={"forZones": [{"name": "z1"}, {}], "forNodes": []}))],
        [slice_of(endpoint(addresses=["***HIDDEN***"], zone="z1"))],
        [slice_of(endpoint(), ports=[{"port": 0}, {"port": 65536}])],
        [slice_of(endpoint(), ports=[{"port": None, "protocol": "UDP"}])],
        [pod("p", containers=[{"ports": [{"containerPort": 0}]}])],
        [pod("p", containers=[{}, {"ports": None}, {"ports": [{"containerPort": 70000}]}])],
        [{**pod("p"), "metadata": {"name": "p", "deletionTimestamp": "t"}}],
        [{**pod("p"), "status": {"conditions": [{"type": "Ready"}, {"type": "Ready"}]}}],
        [{**pod("p"), "spec": None, "status": None}],
        [service("web", type="NodePort", ports=[{"port": 80, "nodePort": 70000}])],
        [service("web", ports=[{"port": 80, "targetPort": "0"}, {"port": 81, "targetPort": 0}])],
        [service("web", ports=[{"port": 80, "targetPort": "00080"}, {"port": 0}])],
        [service("web", sessionAffinity="ClientIP")],
        [service("web", clusterIPs=["None"], externalIPs=["***HIDDEN***", "1.2.3.4"])],
        [service("web", healthCheckNodePort=70000, selector={})],
        [{**service("web"), "spec": None}],
        [{**service("web"), "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {}]}}}],
        [{**service("web"), "metadata": {"name": "web", "annotations": {"x": "y"}}}],
        [node("n1"), node("n2", status=None, spec={"unschedulable": True})],
        [node("n1", status={"conditions": [{"type": "DiskPressure", "status": "False"}]})],
        [node("n1", status={"addresses": [{"address": "***HIDDEN***"}, {"type": "x"}]})],
        [{**node("n1"), "metadata": {"name": "n1", "labels": {"kubernetes.io/os": "linux"}}}],
    ],
)
def test_the_typed_readers_give_what_the_dict_parsers_give(
    tmp_path: Path, items: list[dict[str, Any]]
) -> None:
    same_both_ways(write(tmp_path / "d.json", a_list(*items)))


def test_the_typed_readers_read_the_common_case_themselves() -> None:
    from kpath.cluster import parse_typed
    from kpath.cluster.parse import (
        Interner,
        parse_endpointslice,
        parse_node,
        parse_pod,
        parse_service,
    )

    cases = [
        (pod("p", hostNetwork=False), parse_typed.typed_pod, parse_pod),
        (slice_of(endpoint(zone="z")), parse_typed.typed_endpointslice, parse_endpointslice),
        (service("web", type="LoadBalancer"), parse_typed.typed_service, parse_service),
        (node("n1"), parse_typed.typed_node, parse_node),
    ]
    for item, typed_reader, dict_parser in cases:
        docs = typed.decode_documents(a_list(item).encode())
        assert docs is not None
        (struct,) = docs[0]["items"]
        assert type(struct) is typed.kind_struct(item["kind"])
        assert typed_reader(struct, Interner()) == dict_parser(item, Interner())


# ---------------------------------------------------------------- a mapped List in pieces


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every file mapped, read in pieces of a few items; what was let go of, in order."""
    from kpath.cluster import dumpfiles

    told: list[int] = []
    monkeypatch.setattr(dumpfiles, "MAP_BYTES", 0)
    monkeypatch.setattr(typed, "RELEASE_STEP", 2048)
    real = typed._segmented

    def spy(view: memoryview, named_kind: str | None, release: typed.Release) -> Any:
        def tell(upto: int) -> None:
            told.append(upto)
            release(upto)

        return real(view, named_kind, tell)

    monkeypatch.setattr(typed, "_segmented", spy)
    return told


def owned(item: dict[str, Any], n: int) -> dict[str, Any]:
    # ownerReferences that start like an item ("apiVersion", then "kind"): false cuts
    refs = [{"apiVersion": "v1", "kind": "Node", "name": f"o{i}"} for i in range(n)]
    return {**item, "metadata": {**item["metadata"], "ownerReferences": refs}}


def compact(*items: dict[str, Any], kind: str = "List") -> str:
    return json.dumps(
        {"apiVersion": "v1", "items": list(items), "kind": kind}, separators=(",", ":")
    )


def test_a_mapped_list_is_read_in_pieces_as_it_is_whole(tmp_path: Path, mapped: list[int]) -> None:
    items = [pod(f"p{i}", image="x" * 300) for i in range(40)] + [service("web")]
    items[7]["metadata"]["labels"]["trap"] = '},{"kind":"Pod"}'  # a cut inside a string
    items[9] = owned(items[9], 2)
    text = compact(*items)
    snap = same_both_ways(write(tmp_path / "d.json", text))
    assert isinstance(snap, Snapshot) and len(snap.pods) == 40
    assert len(mapped) > 5 and mapped == sorted(mapped) and mapped[-1] <= len(text)


def test_a_mapped_list_read_in_pieces_keeps_one_objects_error(
    tmp_path: Path, mapped: list[int]
) -> None:
    items = [pod(f"p{i}", image="x" * 300) for i in range(30)]
    items[21]["spec"]["nodeName"] = 7
    path = write(tmp_path / "d.json", compact(*items))
    assert (
        same_both_ways(path)
        == f"error: {path}: Pod shop/p21: spec.nodeName is a number, not a string"
    )
    assert mapped  # read in pieces up to that object


@pytest.mark.parametrize(
    "text",
    [
        # a server's PodList: items without kind, the list's kind after them
        compact(
            *[{k: v for k, v in pod(f"p{i}").items() if k != "kind"} for i in range(30)],
            kind="PodList",
        ),
        # nothing but false cuts (more than are tried): read item by item
        compact(*[owned(pod(f"p{i}", image="x" * 300), 30) for i in range(20)]),
        # not a List at all, and a List whose items are named twice (the last wins)
        json.dumps({"kind": "Pod", "items": [service("web")], "metadata": {"name": "p"}}),
        compact(pod("p0"), service("web"))[:-1] + ',"items":[' + json.dumps(pod("p9")) + "]}",
        compact(pod("p0"), {"kind": "NetworkPolicy", "metadata": {"name": "n"}}),
        compact(pod("p0"), service("web")) + "\n" + compact(pod("p1")),
        compact(),
        compact(pod("p0")).replace('"v1"', '"v\\u0031"', 1),
    ],
)
def test_mapped_lists_the_pieces_do_not_fit_read_as_whole(
    tmp_path: Path, mapped: list[int], text: str
) -> None:
    same_both_ways(write(tmp_path / "d.json", text))


def test_readers_of_a_typed_dump_see_plain_dicts(tmp_path: Path) -> None:
    first = write(tmp_path / "a.json", a_list(pod("p0"), pod("p1"), service("web")))
    again = write(tmp_path / "b.json", a_list(pod("p1", nodeName="n2"), pod("p2")))
    raw = load_dump([first, again])
    assert any(type(o) is not dict for o in raw.held["Pod"])  # decoded typed
    typed_snap = build_snapshot(raw)
    assert [o["metadata"]["name"] for o in raw.objects["Pod"]] == ["p0", "p1", "p2"]
    assert all(type(o) is dict for kind in raw.objects for o in raw.objects[kind])
    assert raw.objects["Pod"][1]["spec"]["nodeName"] == "n2"  # the later copy
    assert "image" not in raw.objects["Pod"][1]["spec"]
    assert build_snapshot(raw) == typed_snap == outcome([first, again], False)


@settings(
    max_examples=80,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rnd=st.randoms(use_true_random=True))
def test_a_mutated_dump_read_in_pieces_reads_the_same_slim_and_whole(
    seeds: list[Seed], rnd: random.Random
) -> None:
    from kpath.cluster import dumpfiles

    mutant = mutate(rnd, seeds)
    root = mutant.seed.root
    assert root is not None
    target = root / mutant.file.rel
    # Compact, as generate_cluster writes it, so that the pieces are cut where they can be.
    try:
        text = json.dumps(json.loads(mutant.text), separators=(",", ":"))
    except (ValueError, RecursionError):
        text = mutant.text
    target.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(dumpfiles, "MAP_BYTES", 0)
            patch.setattr(typed, "RELEASE_STEP", 512)
            same_both_ways(root)
    finally:
        target.write_text(mutant.seed.originals[mutant.file.rel], encoding="utf-8")


@pytest.mark.parametrize("readonly", [False, True])
def test_a_piece_is_bracketed_in_place_and_the_view_given_back_as_it_was(readonly: bool) -> None:
    text = b'{"items":[{"a":1}, {"b":2},{"c":3}]}'
    data = bytearray(text)
    view = memoryview(bytes(data) if readonly else data)
    start, cut = text.index(b'{"a"'), text.index(b"}, ") + 1
    with typed._as_array(view, start, cut) as piece:
        assert json.loads(bytes(piece)) == [{"a": 1}]
        # In place when it can be: the piece is the view's own bytes, not a copy.
        assert isinstance(piece, memoryview) != readonly
    start = text.index(b'{"b"')
    with pytest.raises(msgspec.DecodeError), typed._as_array(view, start, len(text) - 2) as piece:
        assert json.loads(bytes(piece)) == [{"b": 2}, {"c": 3}]
        msgspec.json.decode(b"[")  # a piece that fails: still given back
    assert bytes(view) == text
