"""`kpath.export.jsontext.indented` writes what ``json.dumps(doc, indent=2)`` writes."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from kpath.cluster.dump import load_dump
from kpath.cluster.snapshot import build_snapshot
from kpath.export.jsonout import paths_json
from kpath.export.jsontext import indented, write_json
from kpath.routing.analysis import analyse
from kpath.routing.scope import ViewScope

DATA = Path(__file__).resolve().parents[1] / "data"

VALUES: list[Any] = [
    "",
    "é",
    "\u202e",
    "\u2028",
    "\x00\x1b[31m",
    '"\\/',
    "💥",
    "\ud800",
    0,
    -1,
    2**70,
    1.5,
    -0.0,
    1e100,
    1e-7,
    True,
    False,
    None,
    [],
    {},
    [[]],
    {"": {}},
]


def random_doc(rnd: random.Random, depth: int = 0) -> Any:
    pick = rnd.random()
    if depth > 4 or pick < 0.4:
        return rnd.choice(VALUES)
    if pick < 0.7:
        return [random_doc(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    return {str(rnd.choice(VALUES)): random_doc(rnd, depth + 1) for _ in range(rnd.randrange(4))}


def written(doc: Any) -> tuple[str, str]:
    """What `write_json` writes to a text stream, and to one with a byte buffer."""
    text = io.StringIO()
    write_json(doc, text)
    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding="utf-8")
    wrapper.write("before\n")
    write_json(doc, wrapper)
    return text.getvalue(), raw.getvalue().decode().removeprefix("before\n")


@pytest.mark.parametrize("seed", range(200))
def test_random_documents(seed: int) -> None:
    rnd = random.Random(seed)
    doc = random_doc(rnd)
    assert indented(doc) == json.dumps(doc, indent=2)
    top = {str(rnd.choice(VALUES)): random_doc(rnd, 3) for _ in range(rnd.randrange(5))}
    top["paths"] = [random_doc(rnd, 2) for _ in range(rnd.randrange(4))]
    for one in (doc, top):
        assert written(one) == (json.dumps(one, indent=2) + "\n",) * 2


def test_nan_and_infinity_are_written_as_json_writes_them() -> None:
    doc = {"a": [float("nan"), float("inf"), -float("inf")]}
    assert indented(doc) == json.dumps(doc, indent=2)


REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "realworld" / "dumps"
DUMPS = [DATA / "hostile", DATA / "dumps" / "policies.yaml"] + (
    sorted(p for p in REALWORLD.iterdir() if p.is_dir()) if REALWORLD.is_dir() else []
)


@pytest.mark.parametrize("path", DUMPS, ids=lambda p: p.name)
def test_the_paths_document_of_real_dumps(path: Path) -> None:
    analysis = analyse(build_snapshot(load_dump([path])))
    scope = ViewScope(internal=True)
    doc = paths_json(analysis, scope.paths(analysis), scope.findings(analysis))
    assert indented(doc) == json.dumps(doc, indent=2)
    assert written(doc) == (json.dumps(doc, indent=2) + "\n",) * 2
