"""The documentation promises what the code does."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from kpath.probe.evidence import PROBE_RULES
from kpath.routing.findings import RULES

ROOT = Path(__file__).resolve().parents[1]


def test_every_finding_code_is_documented():
    documented = set(re.findall(r"^\| (KP\d{3}) \|", (ROOT / "docs/findings.md").read_text(), re.M))
    assert documented == set(RULES) | set(PROBE_RULES)


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    commands = [line.strip() for b in blocks for line in b.splitlines() if line.strip()]
    assert len(commands) == 2, commands  # exactly two: the demo, the tests
    ci = (ROOT / ".ci/run").read_text()
    assert commands[1] in ci
    assert "kpath demo" in commands[0]
    shlex.split(commands[0])


def test_makefile_has_the_targets_the_readme_names():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    listed = re.search(
        r"`make` lists the everyday targets \((.*?)\)", (ROOT / "README.md").read_text(), re.S
    )
    assert listed, "the README no longer lists the make targets"
    named = set(re.findall(r"`(\w+)`", listed.group(1)))
    assert named and named <= targets
    assert ".DEFAULT_GOAL := help" in makefile
    # Every command runs the chosen interpreter, never whatever `pytest` is on PATH.
    recipes = [line.strip() for line in makefile.splitlines() if line.startswith("\t")]
    assert all(not re.match(r"(pytest|mypy|ruff|kpath)\b", r) for r in recipes), recipes
