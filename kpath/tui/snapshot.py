"""The terminal UI rendered headless to SVG: what `kpath snapshot` and `s` produce.

The same app, screens and widgets as the interactive UI, run with Textual's headless
driver at a fixed size; waits for the load worker, optionally selects a service, and
returns the screen as SVG text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kpath.cluster.records import ObjectKey
from kpath.errors import InputError
from kpath.routing.analysis import Analysis
from kpath.routing.scope import ViewScope
from kpath.safetext import clean
from kpath.source import LoadedSource
from kpath.tui.app import KpathApp
from kpath.tui.screens.request import RequestScreen

if TYPE_CHECKING:
    from kpath.probe.run import ProbeSettings
    from kpath.tui.probing import Prober


async def render_app_svg(
    analysis: Analysis,
    *,
    namespace: str | None = None,
    selector: str | None = None,
    internal: bool = False,
    size: tuple[int, int] = (120, 40),
    service: str | None = None,
    live: bool = False,
    prober: Prober | None = None,
    probe_settings: ProbeSettings | None = None,
    request: str | None = None,
    method: str = "",
    clock: Callable[[], datetime] = datetime.now,
) -> str:
    """The UI on ``analysis`` as SVG. ``service`` (``NS/NAME``) is selected first; with a
    ``prober``, that service's paths (or every visible one) are probed before the shot;
    with ``request`` (a URL), the shot is of the request dialog answering it."""
    source = LoadedSource(lambda: analysis, origin=analysis.snapshot.origin, live=live)
    app = KpathApp(
        source,
        ViewScope.of(namespace, selector, internal),
        prober=prober,
        probe_settings=probe_settings,
        clock=clock,
    )
    async with app.run_test(size=size) as pilot:
        await app.wait_loaded(pilot.pause)
        if service is not None:
            ns, _, name = service.partition("/")
            key = ObjectKey(ns, name)
            if key not in analysis.snapshot.services:
                raise InputError(f"--service {service}: no such service (give NAMESPACE/NAME)")
            await app.main.jump_to(key)
            await pilot.pause()
        if prober is not None:
            await app.run_action("probe" if service else "probe_all")
            await pilot.pause()
            await app.wait_for_work()
            await pilot.pause()
        app.main.table.focus()
        await pilot.pause()
        if request is not None:
            app.action_request(request, method)
            await pilot.pause()
            await app.wait_for_work()
            await pilot.pause()
            screen = app.screen
            if isinstance(screen, RequestScreen) and screen.error:
                raise InputError(f"--request {request}: {screen.error}")
        return app.export_screenshot(title=f"kpath {clean(analysis.snapshot.origin)}".strip())


def render_svg(
    analysis: Analysis,
    *,
    namespace: str | None = None,
    selector: str | None = None,
    internal: bool = False,
    size: tuple[int, int] = (120, 40),
    service: str | None = None,
    live: bool = False,
    prober: Prober | None = None,
    probe_settings: ProbeSettings | None = None,
    request: str | None = None,
    method: str = "",
) -> str:
    """Synchronous `render_app_svg`, for the CLI (runs its own event loop)."""
    return asyncio.run(
        render_app_svg(
            analysis,
            namespace=namespace,
            selector=selector,
            internal=internal,
            size=size,
            service=service,
            live=live or prober is not None,
            prober=prober,
            probe_settings=probe_settings,
            request=request,
            method=method,
        )
    )
