"""Every verdict on screen reads at 4.5:1 or more (WCAG AA), in both themes and NO_COLOR.

Computed from the rendered segments' colours (tests/tui/contrast.py), on the list (the
selected row included, focused or not), the path pane and the findings pane.
"""

from __future__ import annotations

import pytest
from textual.widgets import TabbedContent

from kpath.cluster.records import ObjectKey
from kpath.tui.app import KpathApp
from kpath.tui.styles import ProbeState, use_no_color
from tests.tui import data
from tests.tui.contrast import contrast, screen_cells, worst_words
from tests.tui.helpers import make_app

pytestmark = pytest.mark.anyio

#: Words that state a verdict (hop states, probe verdicts, severities, the summaries').
VERDICTS = (
    "cross-node",
    "drop",
    "reject",
    "blocked",
    "refuted",
    "forward",
    "warning",
    "error",
    "black hole",
    "no local pod",
    "crosses nodes",
    "rejects",
)
WEB = ObjectKey("shop", "web")


async def _verdicts(app: KpathApp, pilot: object, focus: str) -> list[tuple[str, float, int]]:
    await app.main.jump_to(WEB)
    app.main.table.mark_probe(WEB, ProbeState.CONTRADICTED)
    (app.main.table if focus == "list" else app.main.path_view).focus()
    await pilot.pause()  # type: ignore[attr-defined]
    found = worst_words(screen_cells(app), VERDICTS)
    app.main.query_one(TabbedContent).active = "findings"
    await pilot.pause()  # type: ignore[attr-defined]
    return found + worst_words(screen_cells(app), VERDICTS)


@pytest.fixture(params=[False, True], ids=["colour", "NO_COLOR"])
def no_color(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> object:
    # Textual reads NO_COLOR from the environment when the app is made.
    if request.param:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    yield request.param
    use_no_color(False)  # the looks are module tables: leave them as the next test expects


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("focus", ["list", "paths"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_verdict_reads_at_4_5_to_1(
    no_color: bool, theme: str, focus: str, size: tuple[int, int]
) -> None:
    app = make_app(data.shop())
    async with app.run_test(size=size) as pilot:
        await app.wait_loaded(pilot.pause)
        app.theme = theme
        await pilot.pause()
        found = await _verdicts(app, pilot, focus)
    words = {w for w, _, _ in found}
    # The screen did show what this test is about: bad states, the selected row's too.
    assert {"drop", "warning", "refuted", "error", "cross-node"} <= words, words
    poor = sorted({(w, round(c, 2), y) for w, c, y in found if c < 4.5})
    assert not poor, f"{theme} {'NO_COLOR' if no_color else 'colour'}: {poor}"


def test_contrast_is_wcag_relative_luminance() -> None:
    from textual.color import Color

    assert contrast(Color(0, 0, 0), Color(255, 255, 255)) == pytest.approx(21.0)
    assert contrast(Color(118, 118, 118), Color(255, 255, 255)) == pytest.approx(4.54, abs=0.01)
