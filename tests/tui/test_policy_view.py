"""A hop NetworkPolicy blocks, in the UI: its own state (glyph and word) in the services list
and the path view, readable under NO_COLOR; and the view model behind it."""

from __future__ import annotations

import pytest

from kpath.cluster.records import ObjectKey
from kpath.probe.plan import HopKind, HopRef
from kpath.routing.paths import EntryKind
from kpath.tui.styles import HOP_LOOK, HopState, glyphs
from kpath.tui.view_model import diagram, path_state, service_rows
from tests.routing.policy.pathcluster import allow_office, analysed, base, web
from tests.tui.helpers import make_app, screen_text

WEB = ObjectKey("shop", "web")
BLOCKED = HOP_LOOK[HopState.BLOCKED]


def blocked():
    return analysed(*base(("n1", "n2", "n4")), web(), allow_office())


def lb_index(a) -> int:
    return next(i for i, p in enumerate(a.paths) if p.entry.kind == EntryKind.LOAD_BALANCER)


def test_the_blocked_state_has_a_glyph_a_word_and_a_console_stand_in():
    assert (BLOCKED.glyph, BLOCKED.word) == ("⊗", "blocked")
    assert glyphs("⊗", console=True) == "X"


def test_view_model_marks_the_blocked_group_and_its_pods():
    a = blocked()
    i = lb_index(a)
    assert path_state(a.paths[i]) == HopState.BLOCKED
    d = diagram(a, i)
    states = {b.via.title.split()[0]: b for b in d.branches}
    n4 = states["n4"]
    assert n4.via.state == HopState.BLOCKED
    assert "blocked by policy shop/allow-office" in n4.via.lines
    assert all(p.state == HopState.BLOCKED for p in n4.pods)
    assert "by policy shop/allow-office" in n4.pods[0].lines
    assert (
        "policy source",
        "externalTrafficPolicy: Cluster SNATs to the entry node's address",
    ) in n4.via.details
    other = next(b for b in d.branches if b.via.title.startswith("2 nodes"))
    assert other.via.state != HopState.BLOCKED  # partly: each pod blocked from one node
    assert all(p.state != HopState.BLOCKED for p in other.pods)
    lines = {p.title: p.lines[-1] for p in other.pods}
    assert lines == {
        "web-1": "blocked at n2 by policy shop/allow-office",
        "web-2": "blocked at n1 by policy shop/allow-office",
    }
    row = next(r for r in service_rows(a) if r.key == WEB)
    assert row.state == HopState.BLOCKED


def test_without_policies_no_blocked_state():
    a = analysed(*base(), web())
    assert all(path_state(p) != HopState.BLOCKED for p in a.paths)


@pytest.mark.anyio
@pytest.mark.parametrize("no_color", [False, True])
async def test_the_ui_draws_a_blocked_hop_as_its_own_state(
    monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    a = blocked()
    app = make_app(a)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert app.no_color == no_color
        await app.main.jump_to(WEB)
        await pilot.pause()
        text = screen_text(app)
        row = next(line for line in text.splitlines() if "shop/web" in line)
        assert f"{BLOCKED.glyph} {BLOCKED.word}" in row  # the list's PATH cell
        i = lb_index(app.main.analysis)
        assert app.main.path_view.select_ref(HopRef(i, HopKind.NODE, 0))
        await pilot.pause()
        text = screen_text(app)
        assert "⊗ n4" in text and "⊗ web-1 blocked" in text
        assert "blocked by policy" in text and "shop/allow-office" in text


def test_the_svg_shows_the_blocked_hop() -> None:
    from kpath.tui.snapshot import render_svg

    svg = render_svg(blocked(), service="shop/web", size=(160, 48))
    assert "⊗" in svg and "blocked" in svg and "allow-office" in svg
