"""SVG snapshots of the main views at 80x24 and 160x48, compared with stored files.

Regenerate after an intended visual change with ``KPATH_UPDATE_SNAPSHOTS=1`` and review the
SVGs under tests/tui/snapshots/ before committing them.
"""

from __future__ import annotations

import pytest

from kpath.tui.snapshot import render_app_svg
from tests.tui import data
from tests.tui.helpers import assert_svg_snapshot, clock, make_app

pytestmark = pytest.mark.anyio

SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_service_list_and_cross_node_path(size: tuple[int, int]) -> None:
    svg = await render_app_svg(data.shop(), size=size, clock=clock)
    assert_svg_snapshot(svg, f"shop-list-{size[0]}x{size[1]}")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_local_policy_black_hole(size: tuple[int, int]) -> None:
    svg = await render_app_svg(data.shop(), size=size, service="shop/web", clock=clock)
    assert_svg_snapshot(svg, f"shop-web-{size[0]}x{size[1]}")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_hostile_names(size: tuple[int, int]) -> None:
    svg = await render_app_svg(data.hostile(), size=size, clock=clock)
    assert_svg_snapshot(svg, f"hostile-{size[0]}x{size[1]}")


async def test_help_screen() -> None:
    app = make_app(data.shop())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("question_mark")
        await pilot.pause()
        assert_svg_snapshot(app.export_screenshot(title="kpath"), "help-80x24")


def test_normalise_makes_ids_stable() -> None:
    from tests.tui.helpers import normalise_svg

    a = '<style>.terminal-123-r1 {}</style><g id="terminal-123-clip">'
    b = '<style>.terminal-987-r1 {}</style><g id="terminal-987-clip">'
    assert normalise_svg(a) == normalise_svg(b)
    assert normalise_svg(a) != normalise_svg(a.replace("r1", "r2"))
