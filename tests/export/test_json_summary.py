"""Each path of `kpath paths -o json` carries its one-line summary."""

from __future__ import annotations

from kpath.export.jsonout import paths_json
from kpath.routing.summary import path_summary
from tests.tui import data


def test_every_path_has_the_summary_the_tui_shows() -> None:
    a = data.shop()
    doc = paths_json(a)
    assert [p["summary"] for p in doc["paths"]] == [path_summary(a, p) for p in a.paths]
    web = next(
        p
        for p in doc["paths"]
        if p["service"] == "shop/web" and p["entry"]["kind"] == "loadbalancer"
    )
    assert web["summary"].startswith("drops at node-b, node-c (no local pod)")
