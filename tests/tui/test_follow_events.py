"""A followed cluster's events on screen: the rows they change are repainted and the rest
stay as drawn, the open path is redrawn only when its service changed, and the follower's
health is the header's "watching" / "watch lost"; nothing is read again meanwhile."""

from __future__ import annotations

import asyncio
import gc
import re
import threading

import pytest
from textual.strip import Strip

from kpath.cluster.events import Change, Health, apply_events
from kpath.cluster.records import ObjectKey
from kpath.routing.incremental import Changed
from kpath.tui.app import KpathApp
from kpath.tui.widgets.service_list import ServiceTable
from kpath.tui.widgets.status_bar import WATCH_LOST, WATCHING
from tests import builders as b
from tests.tui.following import (
    ADMIN,
    API,
    WEB,
    Followed,
    build,
    endpoint_slice,
    pod,
    raw_cluster,
    unready,
    until,
)
from tests.tui.helpers import clock, screen_text

pytestmark = pytest.mark.anyio

NAME = re.compile(r"shop/(\w+)")


def drawn(table: ServiceTable) -> dict[ObjectKey, Strip]:
    """The list's lines as the table draws them now, by service."""
    out: dict[ObjectKey, Strip] = {}
    for y in range(table.visible_count):
        strip = table.render_line(y)
        found = NAME.search(strip.text)
        assert found, strip.text
        out[ObjectKey("shop", found.group(1))] = strip
    return out


def screen_rows(app: KpathApp) -> dict[ObjectKey, str]:
    """The list's rows as the terminal shows them, by service (the list's half only)."""
    out = {}
    for line in screen_text(app).splitlines():
        found = NAME.search(line)
        if found and line.index(found.group(0)) < 10:
            out[ObjectKey("shop", found.group(1))] = line[: len(line) * 6 // 10]
    return out


def ready(app: KpathApp, key: ObjectKey) -> int | None:
    return next((r.ready for r in app.main.table.rows if r.key == key), None)


async def test_a_change_repaints_its_services_row_and_no_other() -> None:
    followed = Followed()
    app = followed.app
    async with app.run_test(size=(200, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        main = app.main
        await main.jump_to(API)  # the cursor elsewhere: its line is not the changed one
        await pilot.pause()
        lines, shown = drawn(main.table), screen_rows(app)
        assert set(lines) == {WEB, API, ADMIN}
        raw = raw_cluster()
        apply_events(raw, unready("web", 0))
        moved = main.apply_changes(build(raw), Changed(frozenset({WEB})), clock())
        await pilot.pause()
        assert moved == {WEB}
        assert ready(app, WEB) == 1
        after, now = drawn(main.table), screen_rows(app)
        assert after[WEB] is not lines[WEB] and after[WEB].text != lines[WEB].text
        assert "1/2" in now[WEB] and "2/2" in shown[WEB]
        for key in (API, ADMIN):  # the very lines drawn before: not drawn again
            assert after[key] is lines[key], key
            assert now[key] == shown[key]
        assert main.selected == API


async def test_the_open_path_is_redrawn_only_when_its_service_changed() -> None:
    followed = Followed()
    app = followed.app
    async with app.run_test(size=(200, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        main = app.main
        assert await main.jump_to(API)
        await pilot.pause()
        opened = main._open
        assert opened is not None
        raw = raw_cluster()
        apply_events(raw, unready("web", 1))
        main.apply_changes(build(raw), Changed(frozenset({WEB})), clock())
        await pilot.pause()
        assert main._open is opened  # another service changed: the path stays as drawn
        # Its own service named, but nothing it draws differs: still as drawn.
        main.apply_changes(build(raw), Changed(frozenset({API})), clock())
        await pilot.pause()
        assert main._open is opened
        apply_events(raw, unready("api", 0))
        main.apply_changes(build(raw), Changed(frozenset({API})), clock())
        await pilot.pause()
        assert main._open is not opened and main._open != opened
        assert main.selected == API and main.table.current is not None
        assert main.table.current.key == API


async def test_events_from_the_follower_reach_the_screen_without_a_load() -> None:
    followed = Followed()
    app = followed.app
    async with app.run_test(size=(200, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert followed.feed.wait_following()
        assert app.main.status.watching == WATCHING
        first = app.main.analysis
        await followed.send(unready("web", 0))
        assert await until(lambda: ready(app, WEB) == 1)
        assert app.main.analysis is not first
        assert followed.loads == 1  # filed into the objects read, not read again
        assert await until(lambda: bool(app.painted))
        arrived, painted, changed = app.painted[-1]
        assert arrived <= painted and (changed.everything or WEB in changed.services)
        await pilot.pause()
        assert "1/2" in screen_rows(app)[WEB]


async def test_the_collector_is_back_once_the_followed_batches_are_drawn() -> None:
    """Each batch holds the cyclic collector off from its apply to its repaint; once a
    burst (batches merged into one repaint, a quiet one, a node's) is on screen, none is
    held and the collector runs as before."""
    followed = Followed()
    app = followed.app
    gc.enable()
    async with app.run_test(size=(200, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert followed.feed.wait_following()
        await followed.send(unready("web", 0))
        # Two parts, applied one after the other (a node's last), often drawn as one.
        node_c = Change("Node", "MODIFIED", b.node("node-c", "z2", ready=False))
        await followed.send([*unready("api", 1), node_c])
        await followed.send([Change("Pod", "MODIFIED", pod("admin", 0))])  # changes nothing
        assert await until(lambda: ready(app, WEB) == 1 and ready(app, API) == 1)
        assert await until(lambda: app._collector.holds == 0)
        await pilot.pause()
        assert app._collector.holds == 0 and gc.isenabled()


async def test_through_the_follower_only_the_changed_row_is_drawn_again() -> None:
    followed = Followed()
    app = followed.app
    async with app.run_test(size=(200, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert followed.feed.wait_following()
        main = app.main
        await main.jump_to(ADMIN)
        await pilot.pause()
        lines, opened = drawn(main.table), main._open
        await followed.send(unready("api", 1))
        assert await until(lambda: ready(app, API) == 1)
        await pilot.pause()
        after = drawn(main.table)
        assert after[API].text != lines[API].text
        assert after[WEB] is lines[WEB] and after[ADMIN] is lines[ADMIN]
        assert main._open is opened and main.selected == ADMIN


async def test_the_followers_health_is_the_headers_watching() -> None:
    followed = Followed()
    app = followed.app
    async with app.run_test(size=(200, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert followed.feed.wait_following()
        status = app.main.status
        assert status.watching == WATCHING and not status.stale
        await followed.send([Health(False, "connection refused")])
        assert await until(lambda: status.watching == WATCH_LOST)
        assert status.stale.startswith("stale since")
        await pilot.pause()
        assert WATCH_LOST in screen_text(app).splitlines()[0]
        await followed.send([Health(True)])
        assert await until(lambda: status.watching == WATCHING)
        assert status.stale == ""
        await pilot.pause()
        assert f"live │ {WATCHING}" in screen_text(app).splitlines()[0]
        assert followed.loads == 1  # resumed by the follower: nothing read again


async def test_r_reads_everything_and_follows_from_the_new_read() -> None:
    followed = Followed()
    app = followed.app
    async with app.run_test(size=(200, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        feed = followed.feed
        assert feed.wait_following()
        await followed.send(unready("web", 0))
        assert await until(lambda: ready(app, WEB) == 1)
        await pilot.press("r")
        assert await until(lambda: followed.loads == 2 and len(feed.followed) == 2)
        assert await until(lambda: feed.following == 1)  # the first follow stopped
        # Read again from the (unchanged) source: what was followed is read anew.
        assert await until(lambda: ready(app, WEB) == 2)
        await followed.send(unready("admin", 0))
        assert await until(lambda: ready(app, ADMIN) == 0)
        assert ready(app, WEB) == 2
    assert await until(lambda: feed.following == 0)  # quitting stops the follow


async def test_a_row_that_moves_in_the_sort_order_is_drawn_where_it_now_is() -> None:
    followed = Followed()
    app = followed.app
    async with app.run_test(size=(200, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        main = app.main
        while main.sort != "worst":
            main.next_sort()
        await pilot.pause()
        assert [r.key for r in main.table.rows] == [ADMIN, API, WEB]  # all well: by name
        await main.jump_to(WEB)  # the cursor's line stays where it is
        await pilot.pause()
        raw = raw_cluster()
        none_ready = endpoint_slice("api", frozenset({"api-1", "api-2"}))
        apply_events(raw, [Change("EndpointSlice", "MODIFIED", none_ready)])
        main.apply_changes(build(raw), Changed(frozenset({API})), clock())
        await pilot.pause()
        assert [r.key for r in main.table.rows] == [API, ADMIN, WEB]
        # Each line holds the service now in its place, the one that did not change too.
        assert list(screen_rows(app)) == [API, ADMIN, WEB]
        assert "0/2" in screen_rows(app)[API] and main.selected == WEB


async def test_the_follow_starts_once_the_first_screen_is_shown() -> None:
    """The watches (and each service's share of the analysis, made with them) wait until the
    load's analysis is on screen: at full scale they would delay it by seconds."""
    from kpath.cluster.raw import RawCluster
    from kpath.source import EventFeed, EventSink, LoadedSource

    feed = EventFeed()
    shown_when_followed: list[bool] = []

    def follower(raw: RawCluster, on_events: EventSink, stop: threading.Event) -> None:
        shown_when_followed.append(app.loaded and app.main.table.visible_count == 3)
        feed.follow(raw, on_events, stop)

    app = KpathApp(LoadedSource.following(raw_cluster, build, follower, origin="lab"), clock=clock)
    async with app.run_test(size=(200, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert await until(lambda: feed.following == 1)
        assert shown_when_followed == [True]
        await asyncio.to_thread(feed.send, unready("web", 0))
        assert await until(lambda: ready(app, WEB) == 1)  # and it follows from there
