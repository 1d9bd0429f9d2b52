"""From a `ClusterSource` and a `ViewScope` to a running UI: the only glue `kpath.cli` needs.

The command line builds the source from its flags (`kpath.source`); nothing here knows of
flags. Probes are wired where the source lets them be (a live context, the lab), and the
terminal's mouse is left alone unless asked for (`--mouse`): with tracking on, a terminal
(over ssh too) stops selecting text, and copying an address out of kpath is common.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from kpath.routing.analysis import Analysis
from kpath.routing.scope import ViewScope
from kpath.source import ClusterSource
from kpath.tui.app import KpathApp
from kpath.tui.health import EXIT_FAILED

if TYPE_CHECKING:
    from kpath.probe.run import ProbeReport, ProbeSettings
    from kpath.tui.probing import MarkSink, Prober, ProgressSink


def live_prober(
    analysis: Analysis,
    indexes: Sequence[int],
    settings: ProbeSettings,
    sink: MarkSink,
    progress: ProgressSink,
) -> ProbeReport | None:
    """Probe as `kpath paths --probe` does; the prober's modules load at the first probe,
    not with the UI. The app sets ``settings.api`` from its source when the probes run."""
    from kpath.tui.probing import tui_prober

    return tui_prober()(analysis, indexes, settings, sink, progress)


def build_app(
    source: ClusterSource,
    scope: ViewScope | None = None,
    *,
    prober: Prober | None = None,
    clock: Callable[[], datetime] = datetime.now,
) -> KpathApp:
    """The app on ``source``; probes where it may be probed (a live source, no refusal)."""
    if prober is None and source.live and source.probe_refusal is None:
        prober = live_prober
    return KpathApp(source, scope, prober=prober, clock=clock)


def run(source: ClusterSource, scope: ViewScope | None = None, *, mouse: bool = False) -> int:
    """Run the UI in this terminal; returns the exit code. ``mouse``: let Textual track the
    mouse (clicks, scrolling) at the cost of the terminal's own text selection.

    A session that never showed a cluster ends as the command line would: its error as one
    line on stderr (after the UI left the screen), exit 2.
    """
    app = build_app(source, scope)
    result = app.run(mouse=mouse)
    code = result if isinstance(result, int) else 0
    if code == EXIT_FAILED and app.failure:
        print(f"kpath: error: {app.failure}", file=sys.stderr)
    return code
