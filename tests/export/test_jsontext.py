"""`kpath.export.jsontext.indented` writes what ``json.dumps(doc, indent=2)`` writes."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

# Loaded here, so that `write_json` lays every document out through msgspec, piece by piece:
# the path these tests check. Without msgspec loaded, a small document is written by json
# itself (`test_a_small_document_is_written_without_loading_msgspec`).
import msgspec  # noqa: F401
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


#: Strings msgspec and json write differently unless escaped afterwards (raw UTF-8, DEL,
#: astral characters, lone surrogates msgspec refuses), and floats kpath's paths hold.
PATHS_VALUES: list[Any] = [
    "é · ü",
    "\x7f",
    "a\x7fé",
    "💥 and \u202e",
    "\u2028\u2029",
    "\ud800",
    "\x00\x1b[31m\t\n",
    '"\\/',
    0.0,
    1.0,
    0.3333,
    0.0001,
    0.6667,
    2**63,
    2**70,
]


@pytest.mark.parametrize("seed", range(100))
def test_paths_documents_through_msgspec_write_what_json_writes(seed: int) -> None:
    rnd = random.Random(seed)
    values = VALUES[:8] + PATHS_VALUES + [True, None, [], {}]

    def doc(depth: int) -> Any:
        pick = rnd.random()
        if depth > 3 or pick < 0.4:
            return rnd.choice(values)
        if pick < 0.7:
            return [doc(depth + 1) for _ in range(rnd.randrange(4))]
        return {str(rnd.choice(values)): doc(depth + 1) for _ in range(rnd.randrange(4))}

    top: dict[str, Any] = {"schema": "kpath.paths/v1", "x": doc(1)}
    top["paths"] = [doc(1) for _ in range(rnd.randrange(1, 5))]
    assert written(top) == (json.dumps(top, indent=2) + "\n",) * 2


def test_a_probe_report_keeps_its_floats_as_json_writes_them() -> None:
    # Latencies and timeouts are any float: msgspec would write 1e-05 as 0.00001, NaN as null.
    doc = {
        "schema": "kpath.paths/v1",
        "paths": [{"latencyMs": 1e-05, "big": 1e16}, {"nan": float("nan")}],
        "probe": {"options": {"timeout": 1e-7}},
    }
    assert written(doc) == (json.dumps(doc, indent=2) + "\n",) * 2


def test_every_float_of_a_paths_document_is_a_rounded_share() -> None:
    # What lets jsontext encode the document with msgspec (see its module note).
    analysis = analyse(build_snapshot(load_dump([DATA / "dumps" / "small.json"])))
    scope = ViewScope(internal=True)
    doc = paths_json(analysis, scope.paths(analysis), scope.findings(analysis))
    floats: list[float] = []

    def walk(v: Any) -> None:
        if isinstance(v, float):
            floats.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(doc)
    assert any(0.0 < f < 1.0 for f in floats)  # node groups whose traffic partly crosses
    assert all(0.0 <= f <= 1.0 and f == round(f, 4) for f in floats)


@pytest.mark.parametrize("seed", range(200))
def test_random_documents(seed: int) -> None:
    rnd = random.Random(seed)
    doc = random_doc(rnd)
    assert indented(doc) == json.dumps(doc, indent=2)
    top = {str(rnd.choice(VALUES)): random_doc(rnd, 3) for _ in range(rnd.randrange(5))}
    top["paths"] = [random_doc(rnd, 2) for _ in range(rnd.randrange(4))]
    for one in (doc, top):
        assert written(one) == (json.dumps(one, indent=2) + "\n",) * 2


def test_a_small_document_is_written_without_loading_msgspec() -> None:
    # Importing msgspec costs more than json's own indenting of a few kilobytes.
    doc = {"schema": "kpath.reach/v1", "values": VALUES, "paths": [VALUES, {"": VALUES}]}
    code = (
        "import json, sys\n"
        "from kpath.export.jsontext import write_json\n"
        "write_json(json.loads(sys.stdin.read()), sys.stdout)\n"
        "assert 'msgspec' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(doc),
        capture_output=True,
        text=True,
        check=True,
        cwd=DATA.parents[1],
    )
    assert (done.stdout, done.stdout) == written(doc)  # as msgspec lays it out, here


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


@pytest.mark.parametrize("seed", range(100))
def test_an_item_is_laid_out_four_spaces_in(seed: int) -> None:
    # `chunks` writes each item of a top-level list so, without indenting its text again.
    from kpath.export.jsontext import _item_view

    def floats(v: Any) -> bool:
        if isinstance(v, dict):
            return any(map(floats, v.values()))
        return any(map(floats, v)) if isinstance(v, list) else isinstance(v, float)

    rnd = random.Random(seed)
    item = random_doc(rnd)
    want = "    " + json.dumps(item, indent=2).replace("\n", "\n    ")
    # Through msgspec only where a paths document could hold it: floats are shares there.
    for rounded in (False, True) if not floats(item) else (False,):
        assert bytes(_item_view(item, rounded)).decode() == want
