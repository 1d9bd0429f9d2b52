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


def _scan(raw: RawCluster, events: list[Change]) -> None:
    """The plain reading of a Change: a scan from the front for its namespace and name."""
    from kpath.cluster.events import object_key

    for e in events:
        objects = raw.objects.setdefault(e.kind, [])
        at = next((i for i, o in enumerate(objects) if object_key(o) == object_key(e.obj)), None)
        if e.type == "DELETED":
            if at is not None:
                del objects[at]
        elif at is None:
            objects.append(e.obj)
        else:
            objects[at] = e.obj


def test_indexed_filing_is_a_scan_from_the_front_over_many_deletions() -> None:
    """One index kept across calls, past the deletions it tolerates before counting again."""
    import random

    from kpath.cluster.events import RawIndex

    rng = random.Random(7)
    indexed, scanned = RawCluster(), RawCluster()
    for i in range(50):
        indexed.add("Pod", _pod("a", f"p{i}"))
        scanned.add("Pod", _pod("a", f"p{i}"))
    index = RawIndex()
    for step in range(3 * RawIndex.RECOUNT):
        name = f"p{rng.randrange(80)}"
        kind = rng.choice(("ADDED", "MODIFIED", "DELETED", "DELETED"))
        batch = [Change("Pod", kind, _pod("a", name, f"10.0.0.{step % 250}"))]
        apply_events(indexed, batch, index)
        _scan(scanned, batch)
        assert indexed.objects["Pod"] == scanned.objects["Pod"]
        assert len(indexed.sources["Pod"]) == len(indexed.objects["Pod"])
