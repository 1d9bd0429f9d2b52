"""The failing hop in view: summaries, where the path pane opens, the list's size, boxes that
never break an address or a name inside."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.text import Text
from textual.widgets import Static

from kpath.cluster.records import ObjectKey
from kpath.tui.boxes import elide, wrap
from kpath.tui.styles import HopState
from tests import builders as b
from tests.tui import data
from tests.tui.helpers import make_app, screen_text

pytestmark = pytest.mark.anyio
CONSOLE = Console(width=200)


def many(n: int, name: str = "svc") -> b.Analysis:  # type: ignore[name-defined]
    return b.analysed(
        b.node("n1"),
        *(b.service(f"{name}-{i}", "NodePort") for i in range(n)),
        *(b.endpointslice(f"{name}-{i}", [b.endpoint("10.1.0.1", "n1", "w")]) for i in range(n)),
    )


async def test_the_path_pane_opens_at_the_hop_that_drops_with_the_summary_on_top() -> None:
    app = make_app(data.shop())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_loaded(pilot.pause)
        await app.main.jump_to(ObjectKey("shop", "web"))
        await pilot.pause()
        hop = app.main.path_view.current
        assert hop is not None and hop.state == HopState.DROP
        text = screen_text(app)
        assert "✗ node-b" in text  # its box is on screen without a key pressed
        assert "LB health check skips node-b," in text  # the path's summary, atop the pane
        listed = str(app.main.query_one("#summary", Static).render())
        assert listed == "✗ drops at node-b, node-c (no local pod)"
        # A service that fails nowhere opens at its entry, as before.
        await app.main.jump_to(ObjectKey("shop", "api"))
        await pilot.pause()
        hop = app.main.path_view.current
        assert hop is not None and hop.state == HopState.CROSS and hop.title == "NodePort"
        assert "forwards at every node · 67% crosses nodes" in screen_text(app)


@pytest.mark.parametrize(("services", "rows"), [(3, 3), (8, 7), (30, 7)])
async def test_at_80x24_the_list_shows_as_many_services_as_fit(services: int, rows: int) -> None:
    app = make_app(many(services))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.pause()
        assert app.main.table.size.height == rows
        shown = [ln for ln in screen_text(app).splitlines() if ln.startswith(" shop/svc-")]
        assert len(shown) == rows


async def test_at_160_columns_the_service_column_fits_long_names() -> None:
    name = "asset-inventory-reporting"  # 32 cells with its namespace and suffix
    app = make_app(many(2, name))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.pause()
        text = screen_text(app)
    assert f"shop/{name}-0 " in text and "…" not in text.split("\n")[3]


def test_addresses_break_at_separators_never_inside_a_number() -> None:
    assert [t.plain for t in wrap(Text("203.0.113.10:80"), 14, CONSOLE)] == ["203.0.113.10", ":80"]
    assert [t.plain for t in wrap(Text("127.39.250.3:8443"), 14, CONSOLE)] == [
        "127.39.250.3",
        ":8443",
    ]
    pod = "ingress-nginx-controller-wrcfgnwxmj-p7vrg"
    parts = [t.plain for t in wrap(Text(pod), 23, CONSOLE)]
    assert "".join(parts) == pod and all(p.endswith("-") for p in parts[:-1])
    assert all(len(p) <= 23 for p in parts)
    # Words first: a line of words breaks at its spaces.
    assert [t.plain.rstrip() for t in wrap(Text("drop (black hole)"), 14, CONSOLE)] == [
        "drop (black",
        "hole)",
    ]


def test_a_name_without_separators_loses_its_middle() -> None:
    long = "n" * 10 + "MIDDLE" + "m" * 10
    (part,) = wrap(Text(long), 12, CONSOLE)
    assert part.plain == "nnnnnn…mmmmm" and part.cell_len == 12
    assert elide(Text("short"), 12).plain == "short"


async def test_at_80x24_the_findings_pane_shows_kp101_with_its_nodes() -> None:
    from textual.widgets import TabbedContent

    app = make_app(data.shop())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_loaded(pilot.pause)
        await app.main.jump_to(ObjectKey("shop", "web"))
        app.main.query_one(TabbedContent).active = "findings"
        await pilot.pause()
        text = " ".join(ln.strip() for ln in screen_text(app).splitlines())
    assert "KP101 shop/web port 80/TCP" in text
    assert "no local endpoint: node-b, node-c" in text


async def test_a_filter_keystroke_costs_no_layout_pass_when_nothing_changes_size() -> None:
    # A layout pass repaints the whole screen: at 10,000 services it was most of a keystroke's
    # cost (benchmarks/bench_tui.py), for panes that had not changed size. (A keystroke that
    # changes how many rows match still resizes the list's scroll area: one pass.)
    app = make_app(many(30))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("slash")
        await pilot.pause()
        screen = app.main
        layouts: list[object] = []
        refresh_layout = screen._refresh_layout

        def counted(*args: object, **kw: object) -> None:
            layouts.append(args)
            refresh_layout(*args, **kw)  # type: ignore[arg-type]

        screen._refresh_layout = counted  # type: ignore[method-assign]
        for key in ["s", "v", "c", "-", "backspace"]:  # every service matches each time
            await pilot.press(key)
            await pilot.pause()
        assert screen.query_one("#filter").has_focus
        assert app.main.table.visible_count == 30
        assert layouts == []


async def test_a_keystroke_that_changes_the_match_count_costs_no_layout_pass() -> None:
    # The list's scroll height follows the matches without a layout pass of the screen
    # (setting `virtual_size` costs one); only the scrollbar showing or hiding needs one.
    app = make_app(many(300))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("slash")
        await pilot.pause()
        screen, table = app.main, app.main.table
        layouts: list[object] = []
        refresh_layout = screen._refresh_layout

        def counted(*args: object, **kw: object) -> None:
            layouts.append(args)
            refresh_layout(*args, **kw)  # type: ignore[arg-type]

        screen._refresh_layout = counted  # type: ignore[method-assign]
        for key in "svc-1":  # svc-1, svc-10…19, svc-100…199: more than a screenful
            await pilot.press(key)
            await pilot.pause()
        assert table.visible_count == 111 and table.virtual_size.height == 111
        assert table.vertical_scrollbar.window_virtual_size == 111  # the scrollbar follows
        assert "111 of 300" in screen_text(app)
        await pilot.press("backspace")
        await pilot.pause()
        assert table.visible_count == 300 and table.vertical_scrollbar.window_virtual_size == 300
        assert layouts == []
        await pilot.press("9", "9")  # svc-99 alone: the scrollbar goes, the screen is laid out
        await pilot.pause()
        assert table.visible_count == 1 and not table.show_vertical_scrollbar
        assert layouts


async def test_the_first_screen_builds_the_rows_it_draws_not_every_row() -> None:
    app = make_app(many(300))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_loaded(pilot.pause)
        table = app.main.table
        await pilot.press("a")  # every service: 300 rows, a screenful drawn
        await pilot.pause()
        assert table.visible_count == 300
        assert 0 < table.rows.built <= table.size.height
        await pilot.press("end")  # rows below are built when scrolled to, and drawn right
        await pilot.pause()
        assert table.current is not None and table.current.key.name == "svc-99"
        assert "shop/svc-99" in screen_text(app)
        assert table.rows.built <= 2 * table.size.height
