"""Pages parsed as they arrive (`PageParser`), against `build_snapshot` of the same objects
held at once: the same snapshot, the same first error, the same indexes in it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kpath.cluster.liveparse import PageParser
from kpath.cluster.raw import RawCluster
from kpath.cluster.snapshot import build_snapshot
from kpath.errors import InputError
from tests import builders as b

ORIGIN = "context lab @ http://127.0.0.1:6443"


def cluster() -> list[dict[str, Any]]:
    return [
        b.node("n1"),
        b.node("n2", zone="z2"),
        b.pod("web-1", "n1", "10.0.0.1"),
        b.pod("web-2", "n2", "10.0.0.2"),
        b.pod("api-1", "n1", "10.0.0.3", labels={"app": "api"}),
        b.service("web", selector={"app": "web"}),
        b.service("api", "NodePort", selector={"app": "api"}),
        b.endpointslice("web", [b.endpoint("10.0.0.1", "n1", "web-1")]),
        b.endpointslice("api", [b.endpoint("10.0.0.3", "n1", "api-1")]),
        b.ingress_class("nginx", "k8s.io/ingress-nginx"),
    ]


def held_at_once(objs: list[dict[str, Any]]) -> Any:
    raw = RawCluster(origin=ORIGIN)
    for obj in objs:
        raw.add(obj["kind"], obj)
    try:
        return build_snapshot(raw)
    except InputError as exc:
        return str(exc)


def page_by_page(objs: list[dict[str, Any]], page: int) -> Any:
    """As a live read files them: each parsed kind a page at a time, the rest held."""
    raw = RawCluster(origin=ORIGIN)
    parser = PageParser(ORIGIN)
    for kind in ("Node", "Pod", "Service", "EndpointSlice"):
        items = [o for o in objs if o["kind"] == kind]
        raw.saw(kind)
        parser.saw(kind)
        parsed = [parser.parse(kind, items[i : i + page]) for i in range(0, len(items), page)]
        parser.file(kind, parsed)
    for obj in objs:
        if obj["kind"] not in parser.intern.parsed:
            raw.add(obj["kind"], obj)
    try:
        parser.raise_refused()
        return build_snapshot(raw, parser.intern)
    except InputError as exc:
        return str(exc)


@pytest.mark.parametrize("page", [1, 2, 100])
def test_the_same_snapshot_as_all_objects_held_at_once(page: int) -> None:
    objs = cluster()
    assert page_by_page(objs, page) == held_at_once(objs)
    assert isinstance(held_at_once(objs), type(build_snapshot(RawCluster())))


@pytest.mark.parametrize(
    "bad",
    [
        [("Pod", 1)],
        [("Pod", 2), ("Pod", 0)],  # the first in the list, as build_snapshot names it
        [("EndpointSlice", 0), ("Node", 1)],  # a Node's error first: built first
        [("Service", 1), ("EndpointSlice", 1)],
        [("Service", 0, "metadata")],  # not even a mapping
    ],
)
def test_the_same_first_error_naming_the_same_object(bad: list[tuple[Any, ...]]) -> None:
    objs = copy.deepcopy(cluster())
    for kind, index, *what in bad:
        obj = [o for o in objs if o["kind"] == kind][index]
        if what:
            obj["metadata"] = "not a mapping"
        else:
            obj["metadata"]["name"] = ["not", "a", "name"]
    for page in (1, 2):
        found = page_by_page(objs, page)
        assert isinstance(found, str) and found == held_at_once(objs)


def test_pages_parsed_but_not_filed_leave_nothing() -> None:
    """A list read again from its start (410) drops the pages it had parsed."""
    parser = PageParser(ORIGIN)
    bad = b.pod("x", "n1", "10.0.0.9")
    bad["spec"]["nodeName"] = {"not": "a name"}
    parser.parse("Pod", [b.pod("web-1", "n1", "10.0.0.1"), bad])
    parser.parse("Service", [b.service("web")])
    assert parser.intern.parsed == {} and parser.refused == {} and parser.count() == 0
    parser.raise_refused()
    assert parser.service_keys == set()
