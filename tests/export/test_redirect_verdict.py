"""A Gateway rule that only redirects (http → https) is the gateway answering by design: every
output says `redirect` with its Location, never a refusal, and no failure count moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpath.cli import main
from kpath.export.text import VERDICT_STYLE
from kpath.probe.expect import Expect
from kpath.probe.plan import SEEN_AS
from kpath.routing.kubeproxy import Verdict
from kpath.tui.styles import HOP_LOOK, glyphs
from kpath.tui.view_model import verdict_state
from tests.tui.gateway_data import REALWORLD, manifest_dump

HTTPS = REALWORLD / "nginx-gateway-fabric-https-termination.yaml"
needs_realworld = pytest.mark.skipif(not HTTPS.exists(), reason=f"{HTTPS} not found")
LOCATION = "302 → https://cafe.example.com/"


def test_every_verdict_has_a_word_a_state_and_an_expectation() -> None:
    assert set(VERDICT_STYLE) == set(Verdict)
    assert set(SEEN_AS) == set(Verdict)
    assert {verdict_state(v) for v in Verdict} <= set(HOP_LOOK)
    assert VERDICT_STYLE[Verdict.REDIRECT][0] == "↪ redirect"
    assert "red" not in VERDICT_STYLE[Verdict.REDIRECT][1]
    assert SEEN_AS[Verdict.REDIRECT] == Expect.REDIRECT
    look = HOP_LOOK[verdict_state(Verdict.REDIRECT)]
    assert look.word == "redirect" and "red" not in look.style.split()
    assert glyphs("↪", console=True) == "^"  # one cell a text console's font has


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def without_redirect(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("metadata", {}).get("name") != "cafe-tls-redirect"]


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("redirect")
    return (
        manifest_dump(HTTPS, tmp / "with.json"),
        manifest_dump(HTTPS, tmp / "without.json", edit=without_redirect),
    )


@needs_realworld
def test_the_table_reads_redirect_with_its_location(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one row per line
    code, out = run(capsys, "paths", "--dump", str(HTTPS), "-A")
    assert code == 0
    (row,) = [line for line in out.splitlines() if "cafe-tls-redirect" in line]
    assert "↪ redirect" in row and LOCATION in row and "reject" not in row
    assert row.startswith("default/(redirect) ")
    assert "default/?" not in out


@needs_realworld
def test_json_and_graphs_say_redirect(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "paths", "--dump", str(HTTPS), "-A", "-o", "json")
    doc = json.loads(out)
    (p,) = [
        p
        for p in doc["paths"]
        if p["entry"]["gateway"]
        and p["entry"]["gateway"]["route"]["name"] == "default/cafe-tls-redirect"
    ]
    assert p["service"] == "default/(redirect)" and p["port"] is None
    assert p["direct"]["verdict"] == "redirect" and LOCATION in p["direct"]["rule"]
    assert not [f for f in doc["findings"] if "cafe-tls-redirect" in (f["route"] or "")]
    _, dot = run(capsys, "paths", "--dump", str(HTTPS), "-A", "-o", "dot")
    assert "reject" not in dot
    _, graphml = run(capsys, "paths", "--dump", str(HTTPS), "-A", "-o", "graphml")
    assert ">redirect<" in graphml and ">reject<" not in graphml


@needs_realworld
@pytest.mark.parametrize("level", ["info", "warning", "error"])
def test_a_redirect_changes_no_finding_and_no_exit_code(
    capsys: pytest.CaptureFixture[str], dumps: tuple[Path, Path], level: str
) -> None:
    outcomes = []
    for dump in dumps:
        code, out = run(
            capsys, "paths", "--dump", str(dump), "-A", "-o", "json", "--fail-on", level
        )
        doc = json.loads(out)
        outcomes.append(
            (
                code,
                doc["summary"]["findings"],
                sorted((f["code"], f["message"]) for f in doc["findings"]),
            )
        )
    with_it, without_it = outcomes
    assert with_it == without_it
    code, out = run(capsys, "paths", "--dump", str(dumps[0]), "-A", "-o", "json")
    assert "redirect" in {p["direct"]["verdict"] for p in json.loads(out)["paths"] if p["direct"]}
