"""The terminal UI driven as a user would (Textual's Pilot): list, filter, select, switch
namespace and context, help, palette, save, export, probes landing, findings, quit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pytest

from kpath.cluster.records import ObjectKey
from kpath.errors import SourceError
from kpath.probe.plan import HopRef
from kpath.probe.run import ProbeSettings
from kpath.routing.analysis import Analysis
from kpath.tui.app import KpathApp
from kpath.tui.probing import MarkSink, ProgressSink
from kpath.tui.screens.help import HelpScreen
from kpath.tui.screens.picker import Picker
from kpath.tui.styles import ProbeState
from kpath.tui.view_model import ProbeMark, diagram
from tests.tui import data
from tests.tui.helpers import make_app, screen_text

pytestmark = pytest.mark.anyio

SHOP = data.shop()


def shown(app: KpathApp) -> list[str]:
    table = app.main.table
    return [str(table.rows[i].key) for i in table._visible]


async def started(app: KpathApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.wait_loaded(pilot.pause)


async def test_lists_exposed_services_and_toggles_clusterip() -> None:
    app = make_app(SHOP)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        assert shown(app) == ["shop/api", "shop/broken", "shop/web"]
        await pilot.press("a")
        assert "backend/cache" in shown(app)
        text = screen_text(app)
        assert "4 of 4 · all services" in text


async def test_filter_narrows_as_you_type_and_escape_clears() -> None:
    app = make_app(SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("slash", "w", "e")
        assert shown(app) == ["shop/web"]
        assert app.main.selected == ObjectKey("shop", "web")
        await pilot.press("enter")
        assert app.focused is app.main.table
        await pilot.press("escape")
        assert shown(app) == ["shop/api", "shop/broken", "shop/web"]


async def test_filter_words_match_type_and_ways_in() -> None:
    app = make_app(SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("slash", *"ing np")
        assert shown(app) == ["shop/api"]  # the only one with an Ingress and a NodePort


async def test_selecting_a_service_draws_its_path_and_hop_details() -> None:
    app = make_app(SHOP)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await pilot.press("down", "down")
        assert app.main.selected == ObjectKey("shop", "web")
        text = screen_text(app)
        assert "203.0.113.10:80" in text
        assert "✗ node-b :30080" in text  # the Local black hole, glyph and node
        assert "LB skips it" in text
        assert "web-1" in text and "web-2" in text
        # The node that drops is selected first; its details name the policy and the
        # health check.
        assert "health check" in text and "Local" in text
        await pilot.press("tab", "down")
        hop = app.main.path_view.current
        assert hop is not None and isinstance(hop.ref, HopRef) and hop.ref.hop == "node"
        rule = dict(hop.details)["rule"]
        assert rule in screen_text(app)  # the rule that decided, in the details panel


async def test_cross_node_hop_has_its_marker() -> None:
    app = make_app(SHOP)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        text = screen_text(app)  # shop/api is first: NodePort, Cluster policy, pods on b, c
        assert "⇄ cross-node" in text
        assert "⇄ api-2 cross-node" in text


async def test_namespace_switch() -> None:
    app = make_app(SHOP, internal=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("n")
        assert isinstance(app.screen, Picker)
        await pilot.press("down", "enter")  # all namespaces, backend, shop
        assert shown(app) == ["backend/cache"]
        assert app.main.selected == ObjectKey("backend", "cache")
        await pilot.press("n", "escape")
        assert shown(app) == ["backend/cache"]  # Escape keeps the namespace
        await pilot.press("n", "home", "enter")
        assert len(shown(app)) == 4


async def test_context_switch_loads_the_other_context() -> None:
    other = data.hostile()
    asked: list[str] = []

    def switch(name: str):  # type: ignore[no-untyped-def]
        asked.append(name)
        return lambda: other

    app = make_app(
        SHOP, contexts=["kind-a", "kind-b"], context="kind-a", switch_context=switch, live=True
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("c")
        assert isinstance(app.screen, Picker)
        await pilot.press("down", "enter")
        await app.wait_for_work()
        await pilot.pause()
        assert asked == ["kind-b"]
        assert app.main.analysis is other


async def test_help_lists_every_key_and_closes() -> None:
    from kpath.tui.actions import ACTIONS, key_label

    app = make_app(SHOP)
    async with app.run_test(size=(100, 40)) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for a in ACTIONS:
            assert a.help[:30] in text, a
            assert key_label(a.key) in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_t_switches_between_dark_and_light_themes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SHOP, save_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        assert app.current_theme.dark
        dark_background = app.screen.styles.background
        await pilot.press("t")
        await pilot.pause()
        assert not app.current_theme.dark
        assert app.screen.styles.background != dark_background
        assert "cross-node" in screen_text(app)  # states still read as words
        # Lines drawn under the dark theme are not reused: every pane takes the new ground.
        background = app.screen.styles.background.rich_color
        for widget in (app.main.table, app.main.path_view):
            strip = widget.render_line(0)
            assert {seg.style.bgcolor for seg in strip if seg.style} != {None}
            assert all(
                seg.style.bgcolor != dark_background.rich_color
                for seg in strip
                if seg.style and seg.style.bgcolor
            ), widget
        assert background != dark_background.rich_color
        await pilot.press("t")
        assert app.current_theme.dark


async def test_save_svg_writes_a_valid_svg_with_the_service_names(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SHOP, origin="context kind-shop @ https://127.0.0.1:6443", save_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.press("s")
        await app.wait_for_work()  # files are written off the event loop
        await pilot.pause()
    files = list(tmp_path.glob("*.svg"))
    assert [f.name for f in files] == ["kpath-test-20260102-030405.svg"]
    svg = files[0].read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    text = "".join(root.itertext()).replace("\xa0", " ")
    for name in ("shop/api", "shop/broken", "shop/web"):
        assert name in text


async def test_export_json_holds_the_visible_paths(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SHOP, save_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("slash", *"web", "enter", "e")
        await app.wait_for_work()
        await pilot.pause()
    doc = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert doc["schema"] == "kpath.paths/v1"
    assert {p["service"] for p in doc["paths"]} == {"shop/web"}


async def test_palette_runs_an_action(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(SHOP, save_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"save svg")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        await app.wait_for_work()
    assert len(list(tmp_path.glob("*.svg"))) == 1


def fake_prober(results: dict[str, ProbeState]):  # type: ignore[no-untyped-def]
    """A prober that reports a fixed verdict per hop kind, for every hop of the paths (the
    app's flow; the judgement itself is tested in tests/tui/test_probing.py on the lab)."""

    def probe(
        analysis: Analysis,
        paths: Sequence[int],
        settings: ProbeSettings,
        sink: MarkSink,
        progress: ProgressSink,
    ) -> None:
        for n, i in enumerate(paths):
            progress(n, len(paths))
            sink(
                {
                    h.ref: ProbeMark(results[h.ref.hop], f"{h.ref.hop} said so")
                    for h in diagram(analysis, i).hops()
                    if isinstance(h.ref, HopRef) and h.ref.hop in results
                }
            )
        progress(len(paths), len(paths))

    return probe


OK = {"entry": ProbeState.CONFIRMED, "node": ProbeState.CONFIRMED, "pod": ProbeState.CONFIRMED}


async def test_probe_results_land_on_the_path_view() -> None:
    # Entry and pods confirmed; the node hops contradicted.
    app = make_app(SHOP, live=True, prober=fake_prober({**OK, "node": ProbeState.CONTRADICTED}))
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await pilot.press("down", "down", "p")
        await app.wait_for_work()
        await pilot.pause()
        text = screen_text(app)
        assert "✓ confirmed" in text
        assert "‼ contradiction" in text
        assert "probes: " in text and " done" in text
        row = app.main.service_probes[ObjectKey("shop", "web")]
        assert row == ProbeState.CONTRADICTED
        # The list's PROBE column shows it too.
        line = next(ln for ln in text.splitlines() if ln.lstrip().startswith("shop/web"))
        assert "‼ refuted " in line  # a whole word that fits the column


async def test_probes_from_before_a_reload_do_not_land_on_the_new_snapshot() -> None:
    import threading

    reloaded = threading.Event()
    inner = fake_prober(OK)

    def slow_prober(
        analysis: Analysis,
        paths: Sequence[int],
        settings: ProbeSettings,
        sink: MarkSink,
        progress: ProgressSink,
    ) -> None:
        reloaded.wait(5)  # the cluster changed while these probes were out
        inner(analysis, paths, settings, sink, progress)

    versions = [SHOP, data.shop(web_on_b=True)]
    app = make_app(
        lambda: versions.pop(0) if len(versions) > 1 else versions[0], live=True, prober=slow_prober
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await pilot.press("down", "down", "p", "r")
        for _ in range(50):
            await pilot.pause(0.05)
            if len(versions) == 1 and not app.main.status.reading:
                break
        reloaded.set()
        await app.wait_for_work()
        await pilot.pause()
        assert app.main.probes == {}
        text = screen_text(app)
        assert "confirmed" not in text and " done" not in text


async def test_a_reload_keeps_probes_of_services_that_did_not_change() -> None:
    versions = [SHOP, data.shop(web_on_b=True)]  # only web's paths change
    app = make_app(
        lambda: versions.pop(0) if len(versions) > 1 else versions[0],
        live=True,
        prober=fake_prober(OK),
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await pilot.press("P")  # api, broken and web
        await app.wait_for_work()
        await pilot.pause()
        probed = set(app.main.service_probes)
        assert {ObjectKey("shop", "api"), ObjectKey("shop", "web")} <= probed
        await pilot.press("r")
        await app.wait_for_work()
        await pilot.pause()
        assert ObjectKey("shop", "web") not in app.main.service_probes
        assert ObjectKey("shop", "api") in app.main.service_probes
        await app.main.jump_to(ObjectKey("shop", "api"))
        await pilot.pause()
        assert "✓ confirmed" in screen_text(app)  # drawn on api's new path indexes


async def test_a_reload_marks_the_changed_services_probes_stale() -> None:
    versions = [SHOP, data.shop(web_on_b=True)]  # only web's paths change
    app = make_app(
        lambda: versions.pop(0) if len(versions) > 1 else versions[0],
        live=True,
        prober=fake_prober(OK),
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await pilot.press("P")
        await app.wait_for_work()
        await pilot.pause()
        await pilot.press("r")
        await app.wait_for_work()
        await pilot.pause()
        await app.main.jump_to(ObjectKey("shop", "web"))
        await pilot.pause()
        assert "✓ confirmed (stale)" in screen_text(app)  # seen, on paths since changed
        await app.main.jump_to(ObjectKey("shop", "api"))
        await pilot.pause()
        text = screen_text(app)
        assert "✓ confirmed" in text and "(stale)" not in text


async def test_palette_shows_and_changes_the_probe_settings() -> None:
    used: list[ProbeSettings] = []

    def prober(
        analysis: Analysis,
        paths: Sequence[int],
        settings: ProbeSettings,
        sink: MarkSink,
        progress: ProgressSink,
    ) -> None:
        used.append(settings)

    app = make_app(SHOP, live=True, prober=prober)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"probe timeout")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "Probe timeout: 2 s (choose: 5 s)" in text
        assert "Seconds a probe waits" in text  # its help
        await pilot.press("enter")
        await pilot.pause()
        assert app.probe_settings.timeout == 5.0
        for name in ("probe all nodes", "probe tls insecurely"):
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*name)
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
        await pilot.press("p")
        await app.wait_for_work()
    (settings,) = used
    assert (settings.timeout, settings.all_nodes, settings.insecure) == (5.0, True, True)
    assert settings.concurrency == ProbeSettings().concurrency


async def test_probe_progress_counts_planned_probes() -> None:
    import threading

    halfway, go_on = threading.Event(), threading.Event()

    def prober(
        analysis: Analysis,
        paths: Sequence[int],
        settings: ProbeSettings,
        sink: MarkSink,
        progress: ProgressSink,
    ) -> None:
        progress(0, 3)
        progress(1, 3)
        halfway.set()
        go_on.wait(5)
        progress(3, 3)

    app = make_app(SHOP, live=True, prober=prober)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot)
        await pilot.press("p")
        for _ in range(50):
            await pilot.pause(0.02)
            if halfway.is_set() and "1/3" in app.main.status.probes:
                break
        assert "probing… 1/3" in screen_text(app)
        go_on.set()
        await app.wait_for_work()
        await pilot.pause()
        assert "probes: 3 done" in screen_text(app)


async def test_probes_are_off_for_a_dump() -> None:
    calls: list[int] = []

    def prober(
        analysis: Analysis,
        paths: Sequence[int],
        settings: ProbeSettings,
        sink: MarkSink,
        progress: ProgressSink,
    ) -> None:
        calls.append(len(paths))

    app = make_app(SHOP, live=False, prober=prober)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("p", "P")
        await app.wait_for_work()
    assert calls == []


async def test_choosing_a_finding_jumps_to_its_service() -> None:
    app = make_app(SHOP)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        assert app.main.selected == ObjectKey("shop", "api")
        await pilot.press("f")
        panel = app.main.query_one("#cluster-findings")
        panel.focus()
        await pilot.pause()
        # Find the cluster-wide KP103 option for shop/broken and choose it.
        options = [panel.get_option_at_index(i) for i in range(panel.option_count)]
        target = next(
            n for n, o in enumerate(options) if not o.disabled and "shop/broken" in str(o.prompt)
        )
        panel.highlighted = target
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.selected == ObjectKey("shop", "broken")


async def test_service_findings_follow_the_cursor_when_their_tab_shows() -> None:
    app = make_app(SHOP)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        panel = app.main.query_one("#service-findings")

        def heading() -> str:
            return str(panel.get_option_at_index(0).prompt)

        await pilot.press("down")  # behind the Details tab: drawn when the tab shows
        await pilot.pause()
        assert app.main.selected == ObjectKey("shop", "broken")
        await pilot.press("f")
        await pilot.pause()
        assert heading() == "This service: shop/broken"
        assert "KP" in screen_text(app) and "shop/broken" in screen_text(app)
        app.main.table.focus()
        await pilot.press("down")  # with the tab showing: redrawn on the move
        await pilot.pause()
        assert heading() == "This service: shop/web"


async def test_refresh_flashes_changed_services() -> None:
    versions = [SHOP, data.shop(web_on_b=True)]

    def load() -> Analysis:
        return versions.pop(0) if len(versions) > 1 else versions[0]

    app = make_app(load)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        assert "● " not in screen_text(app)
        await pilot.press("r")
        await app.wait_for_work()
        await pilot.pause()
        text = screen_text(app)
        assert "● shop/web" in text
        assert "● shop/api" not in text


async def test_load_failure_is_one_line_in_the_header() -> None:
    def load() -> Analysis:
        raise SourceError("cannot reach the API server at https://127.0.0.1:1: refused")

    app = make_app(load, live=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot)
        text = screen_text(app)
        assert "✗ cannot reach the API server" in text
        assert "Traceback" not in text
        assert app.is_running


async def test_quit() -> None:
    app = make_app(SHOP)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_hostile_names_render_literally(size: tuple[int, int]) -> None:
    app = make_app(data.hostile())
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        text = screen_text(app)
        assert "evil/[bold red]pw" in text  # markup shown, not applied (maybe cut: …)
        assert "\\x1b[31mred" in text  # ESC shown as an escape, never sent
        assert "evil/svc\\u202egnp" in text and "evil/x\\nkpath: err" in text
        svg = app.export_screenshot()
        for raw in ("\x1b", "\x07", "\u202e", "\u202c", "\n kpath: error"):
            assert raw not in text and raw not in svg, repr(raw)
        lines = text.splitlines()
        assert len(lines) == size[1]
        assert all(len(line) <= size[0] for line in lines)  # long names do not break layout
        await pilot.press("down", "down")
        assert "\x1b" not in screen_text(app)


async def test_a_slow_older_load_never_lands_after_a_newer_one() -> None:
    import threading

    first_may_finish = threading.Event()
    calls: list[int] = []

    def load() -> Analysis:
        calls.append(len(calls))
        if len(calls) == 2:  # the first refresh: slow, and overtaken by the next one
            first_may_finish.wait(5)
            return SHOP
        return data.shop(web_on_b=len(calls) > 2)

    app = make_app(load)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.press("r")  # slow
        await pilot.pause(0.1)
        await pilot.press("r")  # fast: web gains a pod on node-b
        for _ in range(50):
            await pilot.pause(0.05)
            if len(calls) == 3 and not app.main.status.reading:
                break
        newest = app.main.analysis
        first_may_finish.set()
        await app.wait_for_work()
        await pilot.pause()
        assert app.main.analysis is newest
        web = next(r for r in app.main.table.rows if r.key == ObjectKey("shop", "web"))
        assert web.total == 3
