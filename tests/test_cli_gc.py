"""The cyclic collector around a command's load: paused from reading to routing (one pause,
frozen before it is back), and left as it was found, whether the load works or fails."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kpath.cli import main
from tests import builders as b


def write_dump(path: Path) -> Path:
    objs = [b.node("node-a"), b.node("node-b")]
    objs += [
        b.pod("web-0", "node-a", "10.1.0.1"),
        b.service("web", "NodePort"),
        b.endpointslice("web", [b.endpoint("10.1.0.1", "node-a", "web-0")]),
    ]
    for o in objs:
        o["apiVersion"] = "discovery.k8s.io/v1" if o["kind"] == "EndpointSlice" else "v1"
    path.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": objs}))
    return path


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


def test_paths_leaves_the_collector_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], collector_on: None
) -> None:
    dump = write_dump(tmp_path / "cluster.json")
    assert main(["paths", "--dump", str(dump), "-A", "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [p["entry"]["kind"] for p in doc["paths"]] == ["nodeport"]
    assert gc.isenabled()


def test_a_failed_load_leaves_the_collector_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], collector_on: None
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "List", "items": 3}')
    assert main(["paths", "--dump", str(bad)]) == 2
    assert "not a list" in capsys.readouterr().err
    assert gc.isenabled()


def test_routing_runs_with_the_collector_still_paused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    collector_on: None,
) -> None:
    """The snapshot's pause does not end before the analysis: between the two the
    collector would walk every record just made (and free nothing)."""
    import kpath.routing.analysis as analysis

    dump = write_dump(tmp_path / "cluster.json")
    real = analysis.analyse
    enabled: list[bool] = []

    def analyse(*args: Any, **kw: Any) -> Any:
        enabled.append(gc.isenabled())
        return real(*args, **kw)

    monkeypatch.setattr(analysis, "analyse", analyse)
    assert main(["paths", "--dump", str(dump), "-A", "-o", "json"]) == 0
    capsys.readouterr()
    assert enabled == [False]
    assert gc.isenabled()


def test_the_table_is_built_with_the_collector_paused_and_it_is_back_after(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    collector_on: None,
) -> None:
    """The table's cells are many small acyclic objects: full passes over them freed
    nothing (five at 10,000 services, 0.7-1 s)."""
    import kpath.export.text as text

    dump = write_dump(tmp_path / "cluster.json")
    real = text.analysis_blocks
    enabled: list[bool] = []

    def analysis_blocks(*args: Any, **kw: Any) -> Any:
        enabled.append(gc.isenabled())
        return real(*args, **kw)

    monkeypatch.setattr(text, "analysis_blocks", analysis_blocks)
    assert main(["paths", "--dump", str(dump), "-A"]) == 0
    assert "web" in capsys.readouterr().out
    assert enabled == [False]
    assert gc.isenabled()
