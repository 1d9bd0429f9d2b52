"""Imports point one way (DESIGN §6): the core never needs textual, the lab never sees routing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "kpath"


def imports_of(package: str) -> set[tuple[str, str]]:
    """(module file, imported module) for every import in a subpackage."""
    found = set()
    for path in (PKG / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add((str(path.relative_to(PKG)), node.module))
            elif isinstance(node, ast.Import):
                found.update((str(path.relative_to(PKG)), a.name) for a in node.names)
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("cluster", ("textual", "kpath.routing", "kpath.export", "kpath.tui", "kpath.lab",
                 "kpath.probe")),
    ("routing", ("textual", "rich", "kpath.export", "kpath.tui", "kpath.lab", "kpath.probe")),
    ("export", ("textual", "kpath.tui", "kpath.lab")),
    # Probing plans, probes and judges; the JSON and the terminal rendering are export's.
    ("probe", ("textual", "rich", "kpath.tui", "kpath.lab", "kpath.export", "kpath.cli")),
    # The UI takes probe settings from kpath.probe, never a command-line options type.
    ("tui", ("kpath.cli", "kpath.lab")),
    ("lab", ("kpath.routing", "kpath.probe", "kpath.tui", "kpath.export")),
])
def test_imports_point_one_way(package, forbidden):
    bad = sorted((f, m) for f, m in imports_of(package)
                 if any(m == x or m.startswith(x + ".") for x in forbidden))
    assert not bad


def test_core_runs_without_textual_loaded():
    code = (
        "import sys\n"
        "import kpath.cli, kpath.cluster.dump, kpath.cluster.snapshot, kpath.routing.analysis\n"
        "import kpath.export.text, kpath.export.jsonout, kpath.export.graphfmt\n"
        "assert 'textual' not in sys.modules, 'textual imported by the core'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PKG.parent)
