"""A live page of a parsed kind decoded into typed Structs (`live._decode_structs`, pure):
the whole page in one pass gives each item what decoding it on its own gives, and a page
with an item the Struct refuses still gives every item as item-by-item decoding does."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from kpath.cluster.live import _decode_structs
from kpath.cluster.typed import STRUCT_KINDS, decode_item
from tests import builders as b


def body(kind: str, items: list[Any], meta: Any = None) -> bytes:
    doc = {"kind": f"{kind}List", "apiVersion": "v1", "metadata": meta or {}, "items": items}
    return json.dumps(doc).encode()


def one_by_one(kind: str, items: list[Any]) -> list[Any]:
    """Each item decoded on its own, as a page's items were before (`typed.decode_item`)."""
    return [
        decode_item(msgspec.Raw(json.dumps(i).encode()), kind, None, None, True)[0] for i in items
    ]


OBJECTS: dict[str, list[dict[str, Any]]] = {
    "Node": [b.node("n1"), b.node("n2", zone="z2")],
    "Pod": [
        b.pod("web-1", "n1", "10.0.0.1"),
        b.pod("api-1", "n2", "10.0.0.3", labels={"app": "api"}),
    ],
    "Service": [b.service("web", selector={"app": "web"}), b.service("api", "NodePort")],
    "EndpointSlice": [b.endpointslice("web", [b.endpoint("10.0.0.1", "n1", "web-1")])],
}


@pytest.mark.parametrize("kind", sorted(OBJECTS))
def test_a_page_gives_each_item_as_decoding_it_alone(kind: str) -> None:
    items = OBJECTS[kind]
    page = _decode_structs(body(kind, items, {"continue": "abc"}), kind)
    assert page is not None
    assert page["kind"] == f"{kind}List" and page["metadata"] == {"continue": "abc"}
    assert page["items"] == one_by_one(kind, items)
    assert all(STRUCT_KINDS.get(type(i)) == kind for i in page["items"])


@pytest.mark.parametrize(
    "spoil",
    [
        lambda pod: pod["spec"].update(nodeName={"not": "a string"}),
        lambda pod: pod.update(kind="Service"),  # another kind among the pods
        lambda pod: pod["spec"]["containers"][0].update(ports=[{"containerPort": 1.5}]),
    ],
)
def test_an_item_the_struct_refuses_leaves_the_others_as_they_were(spoil: Any) -> None:
    items = [b.pod(f"p{i}", "n1", f"10.0.0.{i}") for i in range(3)]
    items[0]["spec"]["containers"] = [{"name": "c", "ports": [{"containerPort": 80}]}]
    spoil(items[1])
    page = _decode_structs(body("Pod", items), "Pod")
    assert page is not None
    assert page["items"] == one_by_one("Pod", items)
    assert [STRUCT_KINDS.get(type(i)) == "Pod" for i in page["items"]] == [True, False, True]


@pytest.mark.parametrize(
    "reply",
    [
        body("Service", [b.service("web")]),  # another kind's list
        b'{"kind":"PodList","items":null}',
        b'{"kind":"Status","status":"Failure","message":"no"}',
        b"<html>login</html>",
        b'{"kind":"PodList","items":[{"metadata":{"name":"\xff"}}]}',  # not UTF-8
    ],
)
def test_what_is_no_such_page_is_left_to_the_plain_decoder(reply: bytes) -> None:
    assert _decode_structs(reply, "Pod") is None
