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
