"""Gateway ways in and the request dialog, driven as a user would (Textual's Pilot), on dumps
of the NGINX Gateway Fabric cafe example (../shared/realworld/manifests/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from kpath.cluster.records import ObjectKey
from kpath.probe.plan import HopKind, HopRef
from kpath.routing.analysis import Analysis
from kpath.routing.paths import EntryKind
from kpath.routing.requests import Outcome
from kpath.tui import view_model as vm
from kpath.tui.app import KpathApp
from kpath.tui.screens.request import RequestScreen
from kpath.tui.styles import HopState
from kpath.tui.view_model import PlaceRef, infra_path
from tests.tui.gateway_data import CAFE, analysed_dump, manifest_dump
from tests.tui.helpers import make_app, screen_text

pytestmark = [pytest.mark.anyio, pytest.mark.skipif(not CAFE.exists(), reason=f"{CAFE} not found")]

COFFEE = ObjectKey("default", "coffee")
TEA = ObjectKey("default", "tea")


@pytest.fixture(scope="module")
def cafe(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    return analysed_dump(manifest_dump(CAFE, tmp_path_factory.mktemp("cafe") / "cafe.json"))


def gateway_path(analysis: Analysis, key: ObjectKey) -> int:
    return next(
        i
        for i, p in enumerate(analysis.paths)
        if p.service == key and p.entry.kind == EntryKind.GATEWAY
    )


async def show_gateway_path(app: KpathApp, pilot: Any, key: ObjectKey, zoom: bool = False) -> int:
    await app.wait_loaded(pilot.pause)
    assert app.main.analysis is not None
    await app.main.jump_to(key)
    await pilot.pause()
    index = gateway_path(app.main.analysis, key)
    assert app.main.path_view.select_ref(HopRef(index, HopKind.ENTRY))
    await pilot.pause()
    if zoom:
        await app.run_action("zoom")  # the path view gets the whole screen: boxes are wide
        await pilot.pause()
    return index


async def test_the_gateway_way_in_shows_in_the_list(cafe: Analysis) -> None:
    app = make_app(cafe)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_loaded(pilot.pause)
        rows = {r.key: r for r in app.main.table.rows}
        # coffee and tea are ClusterIP Services: their only way in from outside is the Gateway.
        for key in (COFFEE, TEA):
            assert rows[key].external and "GW" in rows[key].ways.split(), rows[key]
        shown = [app.main.table.rows[i].key for i in app.main.table._visible]
        assert COFFEE in shown and TEA in shown
        await pilot.press("slash", *"gw")
        await pilot.pause()
        assert {app.main.table.rows[i].key for i in app.main.table._visible} == {COFFEE, TEA}


async def test_the_gateway_path_is_drawn_like_an_ingress_way_in(cafe: Analysis) -> None:
    app = make_app(cafe)
    async with app.run_test(size=(160, 40)) as pilot:
        index = await show_gateway_path(app, pilot, COFFEE, zoom=True)
        p = cafe.paths[index]
        assert p.entry.gateway is not None
        infra = infra_path(cafe, p.entry.gateway)
        assert infra is not None and cafe.paths[infra].policy == "Local"
        text = screen_text(app)
        address = p.entry.gateway.addresses[0]
        for want in (
            "Gateway default/gateway",
            f"{address}:80",
            "HTTP listener http",
            "hosts cafe.example.com",
            "gateway pods",
            "HTTPRoute",
            "default/coffee",
            "rule 0",
            "PathPrefix /coffee",
            "Service default/coffee:80",
            "share 100%",
        ):
            assert want in text, want
        # NGINX Gateway Fabric's Service is Local: the nodes without its one proxy pod drop,
        # and the load balancer's health check skips them, as for any Local Service.
        assert "drop (black hole)" in text and "LB skips it" in text
        proxy = next(
            t.pod.name for g in cafe.paths[infra].groups for t in g.choice.targets if t.pod
        )
        assert proxy.startswith("gateway-nginx") and proxy in text
        backend = [t.pod.name for t in p.direct.targets if t.pod] if p.direct else []
        assert backend and all(name in text for name in backend)
        # The details of the entry say how the gateway's Service was found.
        await app.run_action("zoom")
        await pilot.pause()
        text = screen_text(app)
        assert "gateway Service default/gateway-nginx" in text
        assert "gateway policy  Local" in text
        # The route hop: stepping onto it shows its match in the details.
        assert app.main.path_view.select_ref(PlaceRef(index, "route"))
        await pilot.pause()
        details = screen_text(app)
        assert "matches" in details and "route hostnames" in details


async def test_tea_is_an_exact_match(cafe: Analysis) -> None:
    app = make_app(cafe)
    async with app.run_test(size=(160, 48)) as pilot:
        await show_gateway_path(app, pilot, TEA, zoom=True)
        assert "Exact /tea" in screen_text(app)


async def ask(app: KpathApp, pilot: Any, url: str, method: str = "") -> RequestScreen:
    screen = app.screen
    assert isinstance(screen, RequestScreen)
    box = screen.query_one("#url", Input)
    box.value = url  # as pasted: typed keys would go through the same Input
    box.focus()
    screen.query_one("#method", Input).value = method
    await pilot.press("enter")
    await pilot.pause()
    await app.wait_for_work()
    await pilot.pause()
    return screen


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_the_request_dialog_answers_404_and_forward(
    cafe: Analysis, size: tuple[int, int]
) -> None:
    app = make_app(cafe)
    async with app.run_test(size=size) as pilot:
        await app.wait_loaded(pilot.pause)
        assert "u URL" in screen_text(app).splitlines()[-1]  # the footer names the key
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Ask where a URL goes" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("u")
        await pilot.pause()
        # tea's rule is Exact /tea: /tea/ matches no rule of the listener, so 404.
        screen = await ask(app, pilot, "http://cafe.example.com/tea/")
        assert screen.answered is not None and not screen.error
        (view,) = screen.answered[1]
        assert view.outcome.title == "404 not found"
        text = screen_text(app)
        assert "404 not found" in text and "Gateway default/gateway" in text
        screen = await ask(app, pilot, "http://cafe.example.com/coffee")
        assert screen.answered is not None
        (view,) = screen.answered[1]
        assert view.outcome.title == "forward"
        assert [(r.rule, r.matched) for r in view.rules] == [(0, True)]
        text = screen_text(app)
        assert "▶ rule 0: PathPrefix /coffee" in text  # the matching rule, marked
        assert "HTTPRoute default/coffee" in text
        if size[0] >= 100:
            assert "default/coffee:80" in text and "share 100%" in text
        lines = text.splitlines()
        assert len(lines) == size[1] and all(len(line) <= size[0] for line in lines)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RequestScreen)


async def test_the_request_dialog_answers_in_the_engine_s_words(cafe: Analysis) -> None:
    from kpath.tui.requesting import ask as ask_request

    request, views = ask_request(cafe, "http://cafe.example.com/coffee", "")
    assert request.host == "cafe.example.com" and request.path == "/coffee"
    (view,) = views
    assert view.backends and view.backends[0].title == "default/coffee:80"
    # The pods it reaches, from the analysis: the backend's ready endpoints.
    pods = [t.pod.name for r in cafe.routes[COFFEE] for t in r.targets if t.pod and t.ready]
    assert pods and view.backends[0].lines[-1] == "pods " + ", ".join(pods)
    assert view.title.endswith(Outcome.FORWARD.value)


async def test_a_bad_url_is_one_line_in_the_dialog(cafe: Analysis) -> None:
    app = make_app(cafe)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("u")
        await pilot.pause()
        for url in ("ftp://cafe.example.com/", "http://", "http://cafe.example.com:99999/"):
            screen = await ask(app, pilot, url)
            assert screen.error and "\n" not in screen.error, url
            assert screen.answered is None
            text = screen_text(app)
            assert "Traceback" not in text and screen.error[:40] in text
        # q types into the URL box; outside the inputs it closes, as Escape does.
        box = screen.query_one("#url", Input)
        box.value = "http://"
        box.focus()
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is screen and box.value == "http://q"
        screen.query_one("#answers").focus()
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, RequestScreen)


async def test_an_ingress_rule_answers_in_the_dialog_too() -> None:
    from tests.tui import data

    app = make_app(data.shop())
    async with app.run_test(size=(120, 36)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("u")
        await pilot.pause()
        screen = await ask(app, pilot, "http://shop.example.com/api/cart", "POST")
        assert screen.answered is not None
        request, (view,) = screen.answered
        assert request.method == "POST" and view.outcome.title == "forward"
        text = screen_text(app)
        assert "POST http://shop.example.com:80/api/cart" in text
        assert [(r.text, r.matched) for r in view.rules] == [
            ("rule 0: host shop.example.com path /api (Prefix)", True)
        ]
        assert "▶ rule 0: host" in text
        assert "shop/api:8080" in text and "Ingress controller" in text
        screen = await ask(app, pilot, "http://shop.example.com/nothing")
        assert (
            screen.answered is not None and screen.answered[1][0].outcome.title == "404 not found"
        )
        assert "404 not found" in screen_text(app)


async def test_the_palette_opens_the_request_dialog(cafe: Analysis) -> None:
    app = make_app(cafe)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"request a url")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RequestScreen)


EVIL_ROUTE = "[bold red]pwned[/]\x1b[31m"


def hostile_cafe(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """coffee's route gets a hostile name (its /coffee rule still matches); tea's rule a
    hostile path."""
    for d in docs:
        if d["kind"] == "HTTPRoute" and d["metadata"]["name"] == "coffee":
            d["metadata"]["name"] = EVIL_ROUTE
        if d["kind"] == "HTTPRoute" and d["metadata"]["name"] == "tea":
            d["spec"]["rules"][0]["matches"][0]["path"]["value"] = "/[link=http://x]y\u202e"
    return docs


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_hostile_route_names_and_paths_render_literally(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    analysis = analysed_dump(manifest_dump(CAFE, tmp_path / "evil.json", edit=hostile_cafe))
    app = make_app(analysis)
    async with app.run_test(size=size) as pilot:
        index = await show_gateway_path(app, pilot, COFFEE)
        assert app.main.path_view.select_ref(PlaceRef(index, "route"))
        await pilot.pause()
        text = screen_text(app)
        if size[0] >= 140:  # the details panel has the room to show the names whole
            assert "HTTPRoute default/[bold red]pwned[/]\\x1b[31m" in text
        tea = await show_gateway_path(app, pilot, TEA)
        assert app.main.path_view.select_ref(PlaceRef(tea, "route"))
        await pilot.pause()
        text = screen_text(app)
        if size[0] >= 140:
            assert "Exact /[link=http://x]y\\u202e" in text
        svg = app.export_screenshot()
        for raw in ("\x1b", "\u202e"):
            assert raw not in text and raw not in svg, repr(raw)
        lines = text.splitlines()
        assert len(lines) == size[1] and all(len(line) <= size[0] for line in lines)
        # The hostile route answers in the dialog under its name, shown as it is.
        await pilot.press("u")
        await pilot.pause()
        screen = await ask(app, pilot, "http://cafe.example.com/coffee")
        assert screen.answered is not None
        (view,) = screen.answered[1]
        assert view.route.title == f"HTTPRoute default/{EVIL_ROUTE}"
        text = screen_text(app)
        assert "pwned[/]" in text and "\x1b" not in text  # markup shown, not applied
        # A hostile URL: kpath says what it cannot read, with the text shown as typed.
        screen = await ask(app, pilot, "http://cafe.example.com/\x1b[31m[b]x")
        text, svg = screen_text(app), app.export_screenshot()
        assert screen.error and "\x1b" not in text and "\x1b" not in screen.error
        assert "\x1b" not in svg and "\u202e" not in svg
        assert "\\x1b[31m[b]x" in text


@pytest.fixture(scope="module")
def cafe_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return manifest_dump(CAFE, tmp_path_factory.mktemp("cafe-cli") / "cafe.json")


def svg_text(path: Path) -> str:
    import xml.etree.ElementTree as ET

    return "".join(ET.fromstring(path.read_text(encoding="utf-8")).itertext()).replace("\xa0", " ")


def test_snapshot_draws_a_gateway_path(cafe_dump: Path, tmp_path: Path) -> None:
    from kpath.cli import main

    out = tmp_path / "coffee.svg"
    assert (
        main(
            [
                "snapshot",
                "--dump",
                str(cafe_dump),
                "--service",
                "default/coffee",
                "--size",
                "200x48",
                "--svg",
                str(out),
            ]
        )
        == 0
    )
    text = svg_text(out)
    # (the SVG keeps each styled run whole; box lines wrap, so short runs are looked for)
    assert "via gateway default/gateway" in text and "HTTPRoute" in text
    assert "rule 0" in text and "default/coffee:80" in text and "gateway pods" in text


def test_snapshot_shoots_the_request_dialog(cafe_dump: Path, tmp_path: Path) -> None:
    from kpath.cli import main

    out = tmp_path / "request.svg"
    assert (
        main(
            [
                "snapshot",
                "--dump",
                str(cafe_dump),
                "--request",
                "http://cafe.example.com/coffee",
                "--size",
                "160x48",
                "--svg",
                str(out),
            ]
        )
        == 0
    )
    text = svg_text(out)
    assert "Request a URL" in text and "▶ rule 0: PathPrefix /coffee" in text
    assert "default/coffee:80" in text and "share 100%" in text


def test_snapshot_says_why_it_cannot_ask(
    cafe_dump: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpath.cli import main

    out = tmp_path / "bad.svg"
    for argv in (
        ["--request", "ftp://cafe.example.com/"],
        ["-X", "POST"],
        ["--scenario", "gateway-shop"],
    ):
        assert main(["snapshot", "--dump", str(cafe_dump), *argv, "--svg", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("kpath: error: ") and err.count("\n") == 1, err
        assert not out.exists()


async def test_p_probes_the_gateway_s_own_service_drawn_on_the_path(cafe: Analysis) -> None:
    from tests.tui.test_app import OK, fake_prober

    asked: list[list[int]] = []
    probe = fake_prober(OK)

    def prober(analysis, paths, settings, sink, progress):  # type: ignore[no-untyped-def]
        asked.append(list(paths))
        return probe(analysis, paths, settings, sink, progress)

    app = make_app(cafe, live=True, prober=prober)
    async with app.run_test(size=(160, 48)) as pilot:
        index = await show_gateway_path(app, pilot, COFFEE)
        gw = cafe.paths[index].entry.gateway
        assert gw is not None
        infra = infra_path(cafe, gw)
        assert infra is not None
        await pilot.press("p")
        await app.wait_for_work()
        await pilot.pause()
        assert index in asked[-1] and infra in asked[-1]
        # The gateway's own node group, drawn under coffee's Gateway path, shows its verdict.
        node = HopRef(infra, HopKind.NODE, 0)
        assert app.main.path_view.select_ref(node)
        await pilot.pause()
        assert app.main.probes[node].state.value == "confirmed"
        assert "node said so" in screen_text(app)
        # The route rule is not probed on its own: it says no probe state.
        assert app.main.path_view.select_ref(PlaceRef(index, "route"))
        await pilot.pause()
        current = app.main.path_view.current
        assert current is not None and not current.probed


def cafe_with_redirect(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """coffee's route gains a second rule: /beans moved to https://shop.example.com."""
    for d in docs:
        if d["kind"] == "HTTPRoute" and d["metadata"]["name"] == "coffee":
            d["spec"]["rules"].append(
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/beans"}}],
                    "filters": [
                        {
                            "type": "RequestRedirect",
                            "requestRedirect": {
                                "scheme": "https",
                                "hostname": "shop.example.com",
                                "statusCode": 301,
                            },
                        }
                    ],
                }
            )
    return docs


async def test_a_redirect_answers_with_its_location(tmp_path: Path) -> None:
    analysis = analysed_dump(
        manifest_dump(CAFE, tmp_path / "redirect.json", edit=cafe_with_redirect)
    )
    app = make_app(analysis)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("u")
        await pilot.pause()
        screen = await ask(app, pilot, "http://cafe.example.com/beans/arabica")
        assert screen.answered is not None
        (view,) = screen.answered[1]
        assert view.outcome.title == "301 redirect"
        assert view.outcome.lines[0].startswith("Location: https://shop.example.com")
        # Both rules of the route listed, the redirect's marked.
        assert [(r.rule, r.matched) for r in view.rules] == [(0, False), (1, True)]
        text = screen_text(app)
        assert "301 redirect" in text and "Location: https://shop.example.com" in text
        assert "  rule 0: PathPrefix /coffee" in text and "▶ rule 1: PathPrefix /beans" in text
        # A host no listener takes: said on the request's line, with no answer drawn.
        screen = await ask(app, pilot, "http://cafe.example.org/")
        assert screen.answered is not None and list(screen.answered[1]) == []
        assert "no Gateway listener or Ingress controller takes this host" in screen_text(app)


def _has_scenario(name: str) -> bool:
    from kpath.lab.scenario import builtin_names

    return name in builtin_names()


@pytest.mark.lab
@pytest.mark.skipif(not _has_scenario("gateway-shop"), reason="no gateway-shop lab scenario")
def test_snapshot_of_the_gateway_shop_lab(tmp_path: Path) -> None:
    """The lab's own Gateway scenario, read live: the Envoy Gateway's Local-policy Service
    with its black holes on the cart's path, and the planted RefNotPermitted answering 500."""
    from kpath.cli import main

    path, request = tmp_path / "cart.svg", tmp_path / "pay.svg"
    assert (
        main(
            [
                "snapshot",
                "--demo",
                "--scenario",
                "gateway-shop",
                "--service",
                "shop/cart",
                "--size",
                "200x100",
                "--svg",
                str(path),
            ]
        )
        == 0
    )
    text = svg_text(path)
    # Box text wraps at its spaces ("drop (black" / "hole)"): look for the words per line.
    assert "via gateway shop/shop-gateway" in text and "drop (black" in text
    assert "gateway pods" in text and "share 90%" in text and "(weight 90)" in text
    assert (
        main(
            [
                "snapshot",
                "--demo",
                "--scenario",
                "gateway-shop",
                "--request",
                "https://shop.example.com/api/pay",
                "--size",
                "160x48",
                "--svg",
                str(request),
            ]
        )
        == 0
    )
    text = svg_text(request)
    assert "500 backend error" in text and "KP430" in text and "RefNotPermitted" in text


HTTPS = CAFE.with_name("nginx-gateway-fabric-https-termination.yaml")
INFRA = ObjectKey("default", "gateway-nginx")


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, Analysis]:
    """The https-termination example, and the same without its http → https redirect."""
    tmp = tmp_path_factory.mktemp("https")
    return (
        analysed_dump(manifest_dump(HTTPS, tmp / "with.json")),
        analysed_dump(
            manifest_dump(
                HTTPS,
                tmp / "without.json",
                edit=lambda docs: [
                    d for d in docs if d.get("metadata", {}).get("name") != "cafe-tls-redirect"
                ],
            )
        ),
    )


async def test_a_redirect_is_drawn_as_the_gateway_s_answer_not_a_failure(
    https: tuple[Analysis, Analysis],
) -> None:
    analysis, plain = https
    index = next(
        i
        for i, p in enumerate(analysis.paths)
        if p.entry.gateway is not None and p.entry.gateway.route.name == "cafe-tls-redirect"
    )
    d = vm.diagram(analysis, index)
    (leg,) = d.legs
    assert leg.head.state == HopState.REDIRECT
    assert [b.via.state for b in leg.branches] == [HopState.REDIRECT]
    # Listed under the gateway's own Service, which answers it; its row reads as without it.
    rows = {r.key: r for r in vm.service_rows(analysis)}
    assert set(rows) == set(analysis.snapshot.services)  # no "?" nor "(redirect)" row
    assert index in vm.group_paths(analysis)[INFRA]
    before = {r.key: r.state for r in vm.service_rows(plain)}
    assert {k: r.state for k, r in rows.items()} == before
    app = make_app(analysis)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert all(r.key.name not in ("?", "(redirect)") for r in app.main.table.rows)
        await app.main.jump_to(INFRA)
        await pilot.pause()
        assert app.main.path_view.select_ref(HopRef(index, HopKind.ENTRY))
        await app.run_action("zoom")
        await pilot.pause()
        text = screen_text(app)
        for want in (
            "HTTPRoute default/cafe-tls-redirect",
            "redirect",
            "302 → https://cafe.example.com/",
            "the gateway answers (no backend)",
        ):
            assert want in text, want
        assert "no backend\n" not in text and "reject" not in text
        await app.run_action("zoom")  # back: the details show the selected hop
        assert app.main.path_view.select_ref(PlaceRef(index, "backend"))
        await pilot.pause()
        details = screen_text(app)
        assert "location" in details and "nothing failed" in details
