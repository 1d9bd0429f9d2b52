"""The continue token guessed from a page's first bytes (pure), so the next page is asked
for before this one is decoded; a wrong guess only costs a request (the page says)."""

from __future__ import annotations

import json

from kpath.cluster.live import _next_token


def page(meta: dict[str, object], items: list[object], items_first: bool = False) -> bytes:
    head = {"kind": "PodList", "apiVersion": "v1"}
    doc = (
        {**head, "items": items, "metadata": meta}
        if items_first
        else {**head, "metadata": meta, "items": items}
    )
    return json.dumps(doc, separators=(",", ":")).encode()


def test_the_token_of_a_page_as_the_api_server_writes_it() -> None:
    body = page({"resourceVersion": "7", "continue": "eyJ2IjoibWV0YSJ9+/="}, [{"a": 1}])
    assert _next_token(body) == json.loads(body)["metadata"]["continue"]


def test_no_token_no_guess() -> None:
    assert _next_token(page({"resourceVersion": "7"}, [])) is None
    assert _next_token(page({"continue": ""}, [])) is None
    assert _next_token(b"<html>login</html>") is None


def test_a_token_among_the_items_is_not_the_pages() -> None:
    item = {"metadata": {"annotations": {"continue": "not-mine"}}}
    assert _next_token(page({}, [item], items_first=True)) is None


def test_an_escaped_token_is_left_to_the_decoded_page() -> None:
    assert _next_token(b'{"metadata":{"continue":"a\\u003cb"},"items":[]}') is None
