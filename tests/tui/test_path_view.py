"""The path pane draws the rows on screen, and what it shows is what drawing every row of
every path shows: a service of nine paths and hundreds of lines at 80x24, scrolled through,
the hop cursor moved, and each screenful checked line by line."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.text import Text

from kpath.cluster.records import ObjectKey
from kpath.routing.analysis import Analysis
from kpath.tui.app import KpathApp
from kpath.tui.styles import HopState
from kpath.tui.view_model import Diagram
from kpath.tui.widgets.path_view import PathView, row_count, row_height, row_lines
from tests import builders as b
from tests.tui.helpers import make_app, screen_text

pytestmark = pytest.mark.anyio
BIG = {"app": "big"}
CONSOLE = Console(width=200)


def big() -> Analysis:
    """A LoadBalancer with three ports, Local policy and twelve pods on two of six nodes:
    nine paths, each with node groups and pod boxes taller than the pane."""
    ips = [f"10.1.{i % 2}.{10 + i}" for i in range(12)]
    ports = [
        {"name": f"p{p}", "port": 80 + p, "targetPort": 8080 + p, "nodePort": 30080 + p}
        for p in range(3)
    ]
    return b.analysed(
        *(b.node(f"node-{i}", f"z{i % 2}") for i in range(6)),
        *(b.pod(f"big-{i}", f"node-{i % 2}", ip, BIG) for i, ip in enumerate(ips)),
        b.service(
            "big",
            "LoadBalancer",
            selector=BIG,
            etp="Local",
            lb_ip="203.0.113.20",
            ports=[{**p, "protocol": "TCP"} for p in ports],
            healthCheckNodePort=32001,
        ),
        b.endpointslice(
            "big",
            [b.endpoint(ip, f"node-{i % 2}", f"big-{i}") for i, ip in enumerate(ips)],
            ports=[{"name": f"p{p}", "port": 8080 + p, "protocol": "TCP"} for p in range(3)],
        ),
    )


def every_line(view: PathView) -> list[str]:
    """The pane's lines as drawing every row from scratch gives them (the layout's own
    titles and summaries; the rows drawn again, not taken from the view's cache)."""
    lay, width = view._layout, view.scrollable_content_region.width
    current = view._hops[view.hop]
    out = []
    rows: dict[tuple[int, int], list[Text]] = {}
    for index in range(lay.total):
        at = lay.at(index)
        assert at is not None
        if isinstance(at, Text):
            out.append(at.plain)
            continue
        (di, n), k = at
        if (di, n) not in rows:
            selected = current[0].ref if current[1:] == (di, n) else None
            d = view._diagrams[di]
            rows[(di, n)] = row_lines(d, n, view._probes, selected, width, view.app.console)
        out.append(rows[(di, n)][k].plain)
    return out


def pane_lines(app: KpathApp, view: PathView) -> list[str]:
    region = view.scrollable_content_region
    screen = screen_text(app).splitlines()
    return [line[region.x : region.right] for line in screen[region.y : region.bottom]]


def check_screen(app: KpathApp, view: PathView) -> None:
    expected = every_line(view)
    top = int(view.scroll_offset.y)
    shown = pane_lines(app, view)
    for y, line in enumerate(shown):
        if view._pinned(top, y) is not None:
            continue  # a path's title and summary, pinned over the lines scrolled past
        want = expected[top + y] if top + y < len(expected) else ""
        assert line.rstrip() == want.rstrip(), (top, y)


async def test_a_big_service_draws_what_is_on_screen_and_the_rest_as_it_scrolls() -> None:
    app = make_app(big())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_loaded(pilot.pause)
        await app.main.jump_to(ObjectKey("shop", "big"))
        await pilot.pause()
        view = app.main.path_view
        rows = sum(row_count(d) for d in view._diagrams)
        assert len(view._diagrams) >= 3 and view._layout.total > 3 * view.size.height
        hop = view.current
        assert hop is not None and hop.state == HopState.DROP  # opened at the first drop
        assert 0 < len(view._rows) < rows // 3  # only the rows on screen were drawn
        check_screen(app, view)
        # Scrolled through, a screenful at a time: every line where drawing all put it.
        for top in range(0, view._layout.total, view.size.height - 2):
            view.scroll_to(y=top, animate=False, immediate=True)
            await pilot.pause()
            check_screen(app, view)
        assert len(view._rows) == rows
        # The hop cursor moved (its old and new rows repainted, nothing else): the same.
        view.focus()
        for key in ("down", "down", "right_square_bracket", "up"):
            await pilot.press(key)
            await pilot.pause()
            check_screen(app, view)


@pytest.mark.parametrize("width", [20, 47, 60, 84, 120, 200])
def test_a_row_s_height_is_known_before_it_is_drawn(width: int) -> None:
    from kpath.tui.view_model import diagrams

    analysis = big()
    ds: list[Diagram] = diagrams(analysis, range(len(analysis.paths)))
    for d in ds:
        for selected in [None, *(h.ref for h in d.hops())]:
            for n in range(row_count(d)):
                drawn = row_lines(d, n, {}, selected, width, CONSOLE)
                assert row_height(d, n, {}, selected, width, CONSOLE) == len(drawn)
