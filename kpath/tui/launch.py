"""From the command line's flags to a running UI: the only glue `kpath.cli` needs.

The CLI keeps its own loader (``_load(args)``: dump or live, then analyse); this module turns
it into the app's injected loader, lists kubeconfig contexts for `c`, and names the origin.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kpath.probe.consent import probe_consent
from kpath.routing.analysis import Analysis
from kpath.tui.app import KpathApp, Loader, Watcher
from kpath.tui.health import EXIT_FAILED

if TYPE_CHECKING:
    from kpath.probe.run import ProbeReport, ProbeSettings
    from kpath.tui.probing import MarkSink, Prober, ProgressSink

LoadArgs = Callable[[argparse.Namespace], Analysis]
#: From the flags, how to probe (`kpath.probe.run.ProbeSettings`); None: no probes.
ProbeArgs = Callable[[argparse.Namespace], Any]
#: From the flags, what a live load reads (`kpath.cluster.live.LiveOptions`): the watch
#: follows exactly that scope.
LiveArgs = Callable[[argparse.Namespace], Any]


def build_app(args: argparse.Namespace, load_args: LoadArgs, *, origin: str | None = None,
              live: bool | None = None, prober: Prober | None = None,
              probe_options: ProbeArgs | None = None,
              live_options: LiveArgs | None = None) -> KpathApp:
    """The app for parsed flags (``--dump``, ``--kubeconfig``, ``--context``, ``-n``, ``-A``,
    ``-l``, ``--all``); ``load_args(args)`` reads and analyses the cluster."""
    dump = getattr(args, "dump", None)
    is_live = not dump if live is None else live
    contexts: list[str] = []
    current = getattr(args, "context", None)
    if dump:
        origin = origin or "dump: " + ", ".join(dump)
    elif live is None:  # a kubeconfig context (not the demo lab): offer the others on `c`
        from kpath.cluster.live import list_contexts

        contexts, default = list_contexts(getattr(args, "kubeconfig", None))
        current = current or default
        origin = origin or f"context {current or '?'}"

    def with_context(context: str) -> argparse.Namespace:
        return argparse.Namespace(**{**vars(args), "context": context})

    def switch(context: str) -> Loader:
        other = with_context(context)
        return lambda: load_args(other)

    def watch_context(context: str) -> Watcher:
        return _watcher(live_options, with_context(context))

    def probe_context(context: str) -> Prober:
        assert probe_options is not None
        return _prober(probe_options, with_context(context))

    # The same decision as `kpath probe --dump`: a dump's addresses are not probed.
    consent = probe_consent(not is_live, ui=True)

    if prober is None and probe_options is not None and consent.allowed:
        prober = _prober(probe_options, args)
    namespace = None if getattr(args, "all_namespaces", False) else getattr(args, "namespace",
                                                                            None)
    return KpathApp(lambda: load_args(args), origin=origin or "", live=is_live,
                    contexts=contexts, context=current,
                    switch_context=switch if contexts else None, prober=prober,
                    namespace=namespace, selector=getattr(args, "selector", None),
                    internal=getattr(args, "internal", False),
                    probe_refusal=consent.refusal,
                    watcher=_watcher(live_options, args) if is_live and live_options else None,
                    watch_context=watch_context if live_options else None,
                    probe_context=probe_context if probe_options and is_live else None)


def _prober(probe_options: ProbeArgs, args: argparse.Namespace) -> Prober:
    """Probe through the API server the kubeconfig names when the probes run, not when the
    UI started: after the server moved, the one the loads and the watch follow too."""
    from kpath.tui.probing import tui_prober

    def probe(analysis: Analysis, indexes: Sequence[int], settings: ProbeSettings,
              sink: MarkSink, progress: ProgressSink) -> ProbeReport | None:
        return tui_prober(probe_options(args))(analysis, indexes, settings, sink, progress)

    return probe


def _watcher(live_options: LiveArgs, args: argparse.Namespace) -> Watcher:
    """Follow what ``args`` load: the same kubeconfig, context and namespace scope."""
    from kpath.cluster.watch import watch_changes

    options = live_options(args)
    return lambda on_change, stop: watch_changes(options, on_change, stop)


def run_for_args(args: argparse.Namespace, load_args: LoadArgs, *, origin: str | None = None,
                 live: bool | None = None, probe_options: ProbeArgs | None = None,
                 live_options: LiveArgs | None = None) -> int:
    """Run the UI in this terminal for parsed flags; returns the exit code.

    A session that never showed a cluster ends as the command line would: its error as one
    line on stderr (after the UI left the screen), exit 2.
    """
    app = build_app(args, load_args, origin=origin, live=live, probe_options=probe_options,
                    live_options=live_options)
    result = app.run()
    code = result if isinstance(result, int) else 0
    if code == EXIT_FAILED and app.failure:
        print(f"kpath: error: {app.failure}", file=sys.stderr)
    return code
