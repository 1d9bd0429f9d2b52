"""Helpers for the UI tests: a fixed clock, an app factory, the screen as plain text, and an
SVG comparison against files under tests/tui/snapshots/ (KPATH_UPDATE_SNAPSHOTS=1 rewrites)."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from kpath.routing.analysis import Analysis
from kpath.routing.scope import ViewScope
from kpath.source import ClusterSource, LoadedSource
from kpath.tui.app import KpathApp

SNAPSHOTS = Path(__file__).parent / "snapshots"
FIXED = datetime(2026, 1, 2, 3, 4, 5)


def clock() -> datetime:
    return FIXED


def make_app(
    analysis: Analysis | Callable[[], Analysis],
    *,
    origin: str = "test",
    live: bool = False,
    contexts: tuple[str, ...] | list[str] = (),
    context: str | None = None,
    switch_context: Callable[[str], Callable[[], Analysis]] | None = None,
    namespace: str | None = None,
    selector: str | None = None,
    internal: bool = False,
    probe_refusal: str | None = None,
    listed: list[str] | None = None,
    **kw: Any,
) -> KpathApp:
    """The app on a `LoadedSource` of ``analysis`` (or a function returning one); a
    ``switch_context(name)`` gives the function for another context."""
    load = analysis if callable(analysis) else (lambda: analysis)

    def source_for(read: Callable[[], Analysis], name: str | None) -> ClusterSource:
        def switch(other: str) -> ClusterSource:
            assert switch_context is not None
            return source_for(switch_context(other), other)

        return LoadedSource(
            read,
            origin=origin,
            live=live,
            context_names=tuple(contexts),
            context=name,
            switch=switch if switch_context else None,
            listed=listed,
            probe_refusal=probe_refusal,
        )

    kw.setdefault("clock", clock)
    return KpathApp(source_for(load, context), ViewScope.of(namespace, selector, internal), **kw)


def screen_text(app: KpathApp) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    # The compositor is how Textual itself exports screenshots; private, so only here.
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


_IDS = re.compile(r"terminal-\d+")


def normalise_svg(svg: str) -> str:
    """Rich names CSS classes and clip paths after a hash of the content; make them stable."""
    return _IDS.sub("terminal-ID", svg)


def assert_svg_snapshot(svg: str, name: str) -> None:
    """Compare with the stored SVG; write it when missing or when asked to update."""
    path = SNAPSHOTS / f"{name}.svg"
    got = normalise_svg(svg)
    if os.environ.get("KPATH_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
        if os.environ.get("KPATH_UPDATE_SNAPSHOTS") != "1":
            raise AssertionError(f"{path.name} did not exist; written now, check it and rerun")
        return
    want = path.read_text(encoding="utf-8")
    if got != want:
        diff_path = Path(tempfile.gettempdir()) / f"kpath-{name}.actual.svg"
        diff_path.write_text(got, encoding="utf-8")
        raise AssertionError(
            f"{path.name} differs; the new rendering is in {diff_path} "
            "(rerun with KPATH_UPDATE_SNAPSHOTS=1 if the change is intended)"
        )


def toasts(app: KpathApp) -> list[str]:
    """The notifications shown now (a toast may wrap on screen; its message does not)."""
    return [n.message for n in app._notifications]
