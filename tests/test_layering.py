"""Imports point one way: the table in ARCHITECTURE.md is the rule, and the code follows it.

The test reads the allowed imports from ARCHITECTURE.md itself, so the document cannot drift
from the code; and it checks the table still states the invariants (the core never needs
textual, the lab never sees routing, ...), so they cannot be loosened by editing it.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "kpath"
NONE = "—"


def unit_of(path: Path) -> str:
    """The layering unit of a source file: its subpackage, or its top-level module."""
    parts = path.relative_to(PKG).parts
    if len(parts) > 1:
        return f"kpath.{parts[0]}"
    return "kpath" if parts[0] == "__init__.py" else f"kpath.{parts[0].removesuffix('.py')}"


def imported_unit(module: str, units: set[str]) -> str:
    """The unit a ``kpath...`` module belongs to (``kpath.routing.paths`` -> kpath.routing)."""
    parts = module.split(".")
    head = ".".join(parts[:2])
    return head if head in units else "kpath"


@cache
def actual_imports() -> dict[str, set[tuple[str, str, str]]]:
    """unit -> {(file, imported module, what it counts as: a kpath unit or a library)}."""
    files = sorted(PKG.rglob("*.py"))
    units = {unit_of(p) for p in files}
    found: dict[str, set[tuple[str, str, str]]] = {u: set() for u in units}
    for path in files:
        unit = unit_of(path)
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{rel}: relative import; kpath imports absolutely")
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            else:
                continue
            for m in modules:
                top = m.split(".")[0]
                if top == "kpath":
                    target = imported_unit(m, units)
                    if target != unit:
                        found[unit].add((rel, m, target))
                elif top not in sys.stdlib_module_names:
                    found[unit].add((rel, m, top))
    return found


@cache
def table() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """ARCHITECTURE.md's table: unit -> (kpath units it may import, libraries it may import)."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- layering: begin -->\n(.*?)<!-- layering: end -->", text, re.S)
    assert block, "ARCHITECTURE.md lost its layering table markers"
    rows: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for line in block.group(1).splitlines()[2:]:  # after the header and the |---| line
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"ARCHITECTURE.md: a layering row needs 4 cells: {line}"

        def names(cell: str) -> frozenset[str]:
            return frozenset() if cell == NONE else frozenset(re.findall(r"`([^`]+)`", cell))

        unit = names(cells[0])
        assert len(unit) == 1, f"ARCHITECTURE.md: one package per row: {line}"
        (name,) = unit
        assert name not in rows, f"ARCHITECTURE.md names {name} twice"
        rows[name] = (names(cells[1]), names(cells[2]))
    return rows


def test_the_table_names_every_package_and_no_other():
    assert set(table()) == set(actual_imports())


def test_the_table_points_one_way():
    """The allowed kpath imports form no cycle (so neither can the real ones)."""
    allowed = {u: kp for u, (kp, _) in table().items()}
    assert all(t in allowed for targets in allowed.values() for t in targets), (
        "the table allows a kpath package it does not list"
    )
    done: set[str] = set()

    def visit(unit: str, stack: tuple[str, ...]) -> None:
        assert unit not in stack, f"import cycle in ARCHITECTURE.md: {' -> '.join(stack)}"
        if unit in done:
            return
        for target in allowed[unit]:
            visit(target, (*stack, unit))
        done.add(unit)

    for unit in allowed:
        visit(unit, ())


@pytest.mark.parametrize("unit", sorted(actual_imports()))
def test_imports_follow_the_table(unit):
    kpath_ok, libs_ok = table()[unit]
    bad = sorted(
        (f, m)
        for f, m, target in actual_imports()[unit]
        if target not in (kpath_ok if target.startswith("kpath") else libs_ok)
    )
    assert not bad, f"{unit} imports what ARCHITECTURE.md does not allow it"


CORE = (
    "kpath",
    "kpath.errors",
    "kpath.gcpause",
    "kpath.safetext",
    "kpath.cluster",
    "kpath.routing",
    "kpath.probe",
    "kpath.export",
    "kpath.lab",
    "kpath.cli",
    "kpath.__main__",
)
ABOVE_ROUTING = {"kpath.probe", "kpath.export", "kpath.tui", "kpath.lab", "kpath.cli"}
#: library -> the one package that may use it
OWNED = {
    "kubernetes": "kpath.cluster",
    "urllib3": "kpath.cluster",
    "httpx": "kpath.probe",
    "aiohttp": "kpath.lab",
    "textual": "kpath.tui",
}


def forbidden() -> dict[str, set[str]]:
    """What each invariant of ARCHITECTURE.md forbids, package by package."""
    rules: dict[str, set[str]] = {u: set() for u in (*CORE, "kpath.tui")}
    for unit in CORE:
        rules[unit].add("textual")  # 1. the core never imports textual
    rules["kpath.lab"] |= {"kpath.routing"} | ABOVE_ROUTING - {"kpath.lab"}  # 2.
    rules["kpath.routing"] |= ABOVE_ROUTING | {"rich"}  # 3. plain data, rendered elsewhere
    rules["kpath.probe"] |= {"kpath.export", "kpath.tui", "kpath.lab", "kpath.cli", "rich"}  # 4.
    rules["kpath.tui"] |= {"kpath.cli", "kpath.lab"}  # 5. a source, a scope, a prober
    rules["kpath.cluster"] |= {"kpath.routing"} | ABOVE_ROUTING | {"rich"}  # 6.
    rules["kpath.export"] |= {"kpath.tui", "kpath.lab", "kpath.cli"}
    for lib, owner in OWNED.items():  # 6. one package talks to each of these
        for unit, names in rules.items():
            if unit != owner:
                names.add(lib)
    return rules


FORBIDDEN = forbidden()


@pytest.mark.parametrize("unit", sorted(FORBIDDEN))
def test_the_table_keeps_the_invariants(unit):
    kpath_ok, libs_ok = table()[unit]
    assert not (kpath_ok | libs_ok) & FORBIDDEN[unit], (
        f"ARCHITECTURE.md allows {unit} what an invariant forbids"
    )


def test_core_runs_without_textual_loaded():
    code = (
        "import sys\n"
        "import kpath.cli, kpath.cluster.dump, kpath.cluster.snapshot, kpath.routing.analysis\n"
        "import kpath.export.text, kpath.export.jsonout, kpath.export.graphfmt\n"
        "import kpath.probe.run, kpath.export.probetext\n"
        "assert 'textual' not in sys.modules, 'textual imported by the core'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
