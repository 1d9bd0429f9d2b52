"""The UI when things fail under it: a save or export that cannot be written, a first load
that fails (a dump with an input error, a loader that raises anything at all), a quit after
that. The app keeps running and keeps what it had; what failed is said once, in one line."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from kpath.cli import _cluster_source, _load, _view_scope
from kpath.cluster.records import ObjectKey
from kpath.routing.analysis import Analysis
from kpath.tui.app import KpathApp
from kpath.tui.styles import ProbeState
from tests.tui import data
from tests.tui.helpers import make_app, screen_text, toasts
from tests.tui.test_app import OK, fake_prober
from tests.tui.test_launch import flags

pytestmark = pytest.mark.anyio

SHOP = data.shop()
STEM = "kpath-test-20260102-030405"  # the fixed clock's file name


def deleted(tmp_path: Path) -> Path:
    gone = tmp_path / "gone"
    gone.mkdir()
    gone.rmdir()
    return gone


def under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "file").write_text("x")
    return tmp_path / "file" / "sub"


def full_disk(tmp_path: Path) -> Path:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    for ext in ("svg", "json"):  # the files `s` and `e` write go to a device that is full
        (tmp_path / f"{STEM}.{ext}").symlink_to("/dev/full")
    return tmp_path


def no_permission(tmp_path: Path) -> Path:
    probe = Path("/sys/kpath-write-test")
    try:
        probe.write_text("x")
    except OSError:
        return Path("/sys")
    probe.unlink()
    pytest.skip("/sys is writable here")


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        (deleted, os.strerror(errno.ENOENT)),
        (under_a_file, os.strerror(errno.ENOTDIR)),
        (no_permission, os.strerror(errno.EACCES)),
        (full_disk, os.strerror(errno.ENOSPC)),
    ],
    ids=["deleted", "not-a-directory", "no-permission", "full-disk"],
)
async def test_a_save_that_cannot_be_written_is_one_toast_and_nothing_is_lost(
    tmp_path: Path, where, reason: str
) -> None:  # type: ignore[no-untyped-def]
    save_dir = where(tmp_path)
    app = make_app(
        SHOP,
        live=True,
        save_dir=save_dir,
        prober=fake_prober({**OK, "node": ProbeState.CONTRADICTED}),
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("down", "down", "p")
        await app.wait_for_work()
        probed = dict(app.main.probes)
        assert probed
        for key, what in (("s", "SVG"), ("e", "JSON")):
            await pilot.press(key)
            await app.wait_for_work()
            await pilot.pause()
            path = save_dir / f"{STEM}.{what.lower()}"
            assert f"cannot save {what} to {path}: {reason}" in toasts(app), toasts(app)
        assert app.is_running
        assert app.main.probes == probed  # the probe results are still there
        assert app.main.service_probes[ObjectKey("shop", "web")] == ProbeState.CONTRADICTED
        assert "Traceback" not in screen_text(app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_saves_say_the_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(SHOP)  # save_dir ".": the working directory
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("e")
        await app.wait_for_work()
        await pilot.pause()
        assert f"saved JSON to {tmp_path}/{STEM}.json" in toasts(app)
    assert json.loads((tmp_path / f"{STEM}.json").read_text())["schema"] == "kpath.paths/v1"


def no_loading(app: KpathApp) -> None:
    text = screen_text(app)
    assert "Loading…" not in text and "Traceback" not in text


async def test_a_dump_with_an_input_error_shows_it_in_place_of_loading(tmp_path: Path) -> None:
    dump = tmp_path / "broken.json"
    dump.write_text('{"kind": "List", "items": [')  # cut off: not JSON
    app = build(flags(dump=[str(dump)]))
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        no_loading(app)
        text = screen_text(app)
        assert "cannot read the cluster" in text and "broken.json" in text
        assert "r: try again · q: quit" in text
        # The message on screen is the command line's message for the same dump.
        try:
            _load(flags(dump=[str(dump)]))
        except Exception as exc:
            assert app.failure == str(exc)
        else:
            raise AssertionError("the dump loads")
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == app.return_value == 2


def build(args) -> KpathApp:  # type: ignore[no-untyped-def]
    from kpath.tui.launch import build_app

    return build_app(_cluster_source(args), _view_scope(args))


async def test_an_unexpected_exception_while_loading_is_one_line_on_screen() -> None:
    def load() -> Analysis:
        return {"hosts": [None]}["hosts"][0].lower()  # type: ignore[no-any-return]

    app = make_app(load)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        no_loading(app)
        assert app.failure.startswith("unexpected AttributeError in kpath: ")
        assert "\n" not in app.failure
        assert "unexpected AttributeError" in screen_text(app)
        assert toasts(app) == []  # on screen, not a toast over "Loading…"
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == app.return_value == 2


async def test_error_text_from_the_source_is_shown_literally() -> None:
    from kpath.errors import InputError

    def load() -> Analysis:
        raise InputError("dump x.json: service [red]evil\x1b]52;c;AAAA\x07\nkpath: error: fake")

    app = make_app(load)
    async with app.run_test(size=(160, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        text = screen_text(app)
        assert "\x1b]52" not in app.failure and "\n" not in app.failure
        assert "[red]evil" in text  # markup stays text
        assert not any(line.startswith("kpath: error: fake") for line in text.splitlines())


async def test_a_later_load_that_works_clears_the_failure_and_quit_is_0() -> None:
    from kpath.errors import SourceError

    answers: list[Analysis | Exception] = [SourceError("cannot reach the API server"), SHOP]

    def load() -> Analysis:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    app = make_app(load)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert app.failure
        await pilot.press("r")
        await app.wait_for_work()
        await pilot.pause()
        assert app.failure == "" and app.main.analysis is SHOP
        assert "shop/web" in screen_text(app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_failing_prober_is_said_once_and_the_app_keeps_running() -> None:
    def prober(*_: object) -> None:
        raise RuntimeError("the probe engine broke")

    app = make_app(SHOP, live=True, prober=prober)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("down", "p")
        await app.wait_for_work()
        await pilot.pause()
        assert "unexpected RuntimeError: the probe engine broke" in toasts(app)
        assert app.main.status.probes == "probes failed"
        assert app.main.analysis is SHOP and app.failure == ""  # the view stays
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_while_another_context_loads_nothing_of_the_old_one_shows() -> None:
    import threading

    from kpath.errors import SourceError

    release = threading.Event()

    def slow_failure() -> Analysis:
        release.wait(10)
        raise SourceError("context kind-b: cannot reach the API server")

    app = make_app(
        SHOP,
        contexts=["kind-a", "kind-b"],
        context="kind-a",
        live=True,
        switch_context=lambda name: slow_failure,
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("down", "down", "tab")  # a service, its path and a hop's details
        await pilot.pause()
        assert "shop/web" in screen_text(app)
        await pilot.press("c", "down", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "Loading context kind-b…" in text
        assert "shop/" not in text and "node-a" not in text, text
        assert "context kind-b" in text.splitlines()[0]
        release.set()
        await app.wait_for_work()
        await pilot.pause()
        text = screen_text(app)
        assert "cannot reach the API server" in text and "shop/" not in text
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 2
