from kpath.cluster.events import Change, Health, Replace, apply_events
from kpath.cluster.raw import RawCluster


def _pod(ns: str, name: str, ip: str = "") -> dict:
    return {"metadata": {"namespace": ns, "name": name}, "status": {"podIP": ip}}


def test_changes_add_replace_and_delete_by_namespace_and_name() -> None:
    raw = RawCluster()
    raw.add("Pod", _pod("a", "p1", "10.0.0.1"), "f.json")
    raw.add("Pod", _pod("b", "p1"))
    changed = apply_events(
        raw,
        [
            Change("Pod", "MODIFIED", _pod("a", "p1", "10.0.0.9")),
            Change("Pod", "ADDED", _pod("a", "p2")),
            Change("Pod", "DELETED", _pod("b", "p1")),
            Health(False),
        ],
    )
    assert changed == {"Pod"}
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in raw.objects["Pod"]] == [
        ("a", "p1"),
        ("a", "p2"),
    ]
    assert raw.objects["Pod"][0]["status"]["podIP"] == "10.0.0.9"
    assert raw.sources["Pod"] == ["", ""]


def test_replace_swaps_only_the_listed_scope() -> None:
    raw = RawCluster()
    raw.add("Service", _pod("a", "s1"))
    raw.add("Service", _pod("b", "s2"))
    apply_events(raw, [Replace("Service", (_pod("a", "s3"),), namespace="a")])
    names = sorted(o["metadata"]["name"] for o in raw.objects["Service"])
    assert names == ["s2", "s3"]
    apply_events(raw, [Replace("Service", ())])
    assert raw.objects["Service"] == [] and raw.sources["Service"] == []


def test_health_alone_changes_nothing() -> None:
    raw = RawCluster()
    assert apply_events(raw, [Health(True)]) == set()
    assert raw.objects == {}
