"""The kpath terminal UI: wiring of source, workers, screens and actions.

The app never reads the cluster itself. It is given a `kpath.source.ClusterSource` (a dump,
a live context, the demo lab, dicts in a test) and a `ViewScope` (what the user asked to
see); it runs the source's load in a thread worker and the result arrives as an
`AnalysisReady` message. Probes plug in the same way (`Prober`).

A live source with a `follower` is followed from the objects each load read (a
`Followable`): its plain analysis is painted first; then the follower's thread hands events
to an `Inbox`, and an apply worker builds the `LiveAnalysis` (seconds at full scale, so
after the first screen), files whatever has arrived into it and analyses it again, and an
`EventsApplied` message brings the analysis and what changed to the screen, which repaints
those services alone. A live source with no follower is read again with `r`.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import BindingType
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker

from kpath.cluster.events import Change, Health, Replace
from kpath.cluster.records import ObjectKey
from kpath.errors import KpathError
from kpath.export.jsonout import paths_json
from kpath.gcpause import CollectorHold, paused_gc
from kpath.routing.analysis import Analysis
from kpath.routing.incremental import Changed, LiveAnalysis
from kpath.routing.scope import ViewScope
from kpath.safetext import clean, clean_message
from kpath.source import ClusterSource, Followable, Follower, detached, needs_reload
from kpath.tui import files, health
from kpath.tui import view_model as vm
from kpath.tui.actions import bindings
from kpath.tui.commands import KpathCommands
from kpath.tui.inbox import Inbox, narrow_first
from kpath.tui.messages import (
    AnalysisReady,
    EventsApplied,
    JumpTo,
    LoadFailed,
    ProbeMarks,
    ProbeProgress,
    ProbesDone,
    WatchHealth,
)
from kpath.tui.probe_options import ProbeOption, shown, stepped
from kpath.tui.screens.help import HelpScreen
from kpath.tui.screens.main import MainScreen
from kpath.tui.screens.picker import Picker
from kpath.tui.screens.request import RequestScreen
from kpath.tui.steady import steady
from kpath.tui.styles import CONSOLE_FONT
from kpath.tui.widgets import status_bar

if TYPE_CHECKING:  # loaded when probes are wired (kpath.tui.probing), not with the UI
    from kpath.probe.plan import HopRef
    from kpath.probe.run import ProbeSettings
    from kpath.routing.requests import Request
    from kpath.tui.probing import Prober
    from kpath.tui.request_view import AnswerView

__all__ = ["KpathApp"]

DARK_THEME, LIGHT_THEME = "textual-dark", "textual-light"
#: How many followed batches `painted` remembers (arrival and paint times, what changed).
PAINTED_KEPT = 1000


def namespaces_read(analysis: Analysis) -> list[str]:
    """The namespaces `n` offers when the cluster cannot list them: those read, and those
    the snapshot's services are in."""
    read = analysis.snapshot.namespaces_read or frozenset()
    return sorted(read | {k.namespace for k in analysis.snapshot.services})


class KpathApp(App[int]):
    """Every way into every Service, explored interactively."""

    TITLE = "kpath"
    CSS_PATH = "kpath.tcss"
    COMMANDS = App.COMMANDS | {KpathCommands}
    BINDINGS: ClassVar[list[BindingType]] = bindings()  # type: ignore[assignment]

    def __init__(
        self,
        source: ClusterSource,
        scope: ViewScope | None = None,
        *,
        prober: Prober | None = None,
        clock: Callable[[], datetime] = datetime.now,
        probe_settings: ProbeSettings | None = None,
        save_dir: str | FsPath | None = None,
        select: str | None = None,
    ) -> None:
        """Args:
        source: what is read, followed, probed; its contexts and namespaces (`c`, `n`).
        scope: the initial view (-n / -l / --all); None: every exposed service.
        prober: runs probes for `p` / `P` (None: no probes), through ``source.probe_api()``.
        clock: the time shown and used in file names (tests and snapshots fix it).
        probe_settings: how `p` probes (timeout, concurrency, …; the palette changes them);
            None: `kpath probe`'s defaults.
        save_dir: where `s` and `e` write their files (None: `files.save_dir`'s choice,
            $KPATH_SAVE_DIR, else the current directory if writable, else the temp dir).
        select: ``NAMESPACE/NAME`` of a service to select once loaded.
        """
        super().__init__()
        self.source = source
        self.origin = source.origin
        self.live = source.live
        self.context: str | None = None  # the context chosen with `c`, once one is
        self._prober = prober
        self._probe_settings = probe_settings
        # Absolute now: the working directory may be deleted while the app runs.
        self._save_dir, self._save_note = files.save_dir(save_dir)
        self._select = select
        self._clock = clock
        self.main = MainScreen(
            origin=self.origin, live=self.live, on_ready=self.reload, scope=scope or ViewScope()
        )
        self.loaded = False
        self._follower: Follower | None = source.follower if self.live else None
        self._following: Followable | None = None  # the load whose objects are followed
        self._unshown: EventsApplied | None = None  # applied, not drawn yet (a burst, merged)
        #: A hold for each batch applied and not yet drawn: the collector walks what it made
        #: after the repaint, not before (see `CollectorHold`).
        self._collector = CollectorHold()
        #: Followed batches on screen: (handed over, painted) in `time.monotonic` seconds,
        #: and what they changed; how far the screen trails the cluster.
        self.painted: deque[tuple[float, float, Changed]] = deque(maxlen=PAINTED_KEPT)
        self._stop_watch = threading.Event()  # the follow running now stops when set
        self._stale_since: datetime | None = None  # the cluster could not be read since
        self._retry_timer: Timer | None = None
        self._retries = 0

    @property
    def scope(self) -> ViewScope:
        """What the user sees now: namespace, selector, internal services, filter text."""
        return self.main.view_scope()

    @property
    def contexts(self) -> list[str]:
        """The kubeconfig's contexts (a local file, read when asked)."""
        return self.source.contexts()[0]

    async def on_mount(self) -> None:
        self.set_class(CONSOLE_FONT, "-console")
        # Pushed rather than returned by get_default_screen: only pushed screens get their
        # CSS_PATH loaded by Textual.
        await self.push_screen(self.main)

    def on_unmount(self) -> None:
        self._stop_watch.set()
        self._collector.release_all()

    async def wait_loaded(self, pause: Callable[[], Awaitable[None]], tries: int = 500) -> None:
        """For headless runs: wait until the first load finished (or failed)."""
        for _ in range(tries):
            if self.loaded or self.main.status.error:
                break
            await pause()
        await self.wait_for_work()
        await pause()

    async def wait_for_work(self) -> None:
        """For headless runs: wait for loads and probes (the watch runs until quit)."""
        # An empty list would mean "every worker" to Textual.
        if others := [w for w in self.workers if w.group != "watch"]:
            await self.workers.wait_for_complete(others)

    # --- workers: all I/O happens here, never on the event loop ---------------------------

    def reload(self) -> None:
        self.main.status.reading = True
        self._load_snapshot()

    def _stop_following(self) -> None:
        """The follow running now stops; its changes not drawn yet are dropped."""
        self._stop_watch.set()
        self._following, self._unshown = None, None
        self._collector.release_all()  # what it had applied is dropped, drawn or not

    def _follow(self, following: Followable) -> None:
        """Follow the cluster from the objects a load just read; the previous follow stops
        (the load read everything it had followed)."""
        if self._follower is None:
            return
        self._stop_following()
        stop = self._stop_watch = threading.Event()
        self._following = following
        self.main.status.watching = status_bar.WATCHING
        # Once the screen shows the load: the watches and each service's share of the
        # analysis (`Followable.follow`, seconds at full scale) would only delay it.
        self.call_after_refresh(self._start_following, following, stop)

    def _start_following(self, following: Followable, stop: threading.Event) -> None:
        if stop is not self._stop_watch or stop.is_set() or self._follower is None:
            return  # a reload, `c` or `n` came first
        inbox = Inbox()
        self._run_follower(self._follower, following, inbox, stop)
        self._apply_events(following, inbox, stop)

    @work(thread=True, exit_on_error=False, group="watch")
    def _run_follower(
        self, follower: Follower, following: Followable, inbox: Inbox, stop: threading.Event
    ) -> None:
        def heard(events: Sequence[Change | Replace | Health]) -> None:
            # From the follower's threads: the inbox and post_message are thread-safe.
            arrived = time.monotonic()
            for event in events:
                if isinstance(event, Health):
                    self.post_message(WatchHealth(event.ok, stop))
            inbox.put([e for e in events if not isinstance(e, Health)], arrived)

        try:
            # Lists of its own, copied before any event is filed into ``raw``: the apply
            # worker files them there.
            follower(detached(following.raw), heard, stop)
        except KpathError as exc:  # credentials the load itself could use, but not the watch
            self.call_from_thread(self._watch_failed, str(exc), stop)
        finally:
            inbox.close()

    @work(thread=True, exit_on_error=False, group="watch")
    def _apply_events(self, first: Followable, inbox: Inbox, stop: threading.Event) -> None:
        """File and analyse what has arrived, as often as the analysis keeps up: the events
        that come in meanwhile wait in the inbox and are taken together next."""
        following = first.follow()
        # Its per-service parts live as long as the follow, as the raw objects do.
        gc.freeze()
        while (batch := inbox.take(stop)) is not None:
            for part in narrow_first(batch.events):
                self._collector.hold()  # given back once drawn (or dropped)
                try:
                    changed = following.apply(part)
                except Exception as exc:  # a bug, or objects nobody foresaw: read it all
                    self._collector.release()
                    reason = f"{type(exc).__name__}: {exc}"
                    self.call_from_thread(self._apply_failed, reason, stop)
                    return
                if stop.is_set():
                    self._collector.release()
                    return
                # Even a batch that changes no row is handed on: the screen's analysis (its
                # pods, the header's "read" time) is then the cluster's as it now stands.
                # Mappings of its own: the next batch changes the live ones meanwhile.
                analysis = steady(following.analysis)
                self.post_message(
                    EventsApplied(analysis, changed, batch.arrived, following, self._clock())
                )

    def _follows(self, following: LiveAnalysis) -> bool:
        """Whether ``following`` is the follow of now (made from the load followed now)."""
        return self._following is not None and following.raw is self._following.raw

    def _apply_failed(self, reason: str, stop: threading.Event) -> None:
        if stop is self._stop_watch and not stop.is_set():
            self.notify(
                f"Could not follow a change ({clean_message(reason)}); reading the cluster again.",
                severity="warning",
                markup=False,
            )
            self.reload()

    @on(EventsApplied)
    def _events_applied(self, message: EventsApplied) -> None:
        if not self._follows(message.following):
            self._collector.release()
            return  # a follow a reload (or `c`, `n`) replaced
        unshown = self._unshown
        if unshown is None:
            # Drawn after the messages already queued: a burst is one repaint.
            self._unshown = message
            self.call_later(self._show_events)
            return
        self._collector.release()  # drawn in one repaint with the one waiting: one hold
        self._unshown = EventsApplied(
            message.analysis,
            unshown.changed | message.changed,
            min(unshown.arrived, message.arrived),
            message.following,
            message.read_at,
        )

    def _show_events(self) -> None:
        message, self._unshown = self._unshown, None
        if message is None:
            return  # the follow stopped (its holds were given back)
        if not self._follows(message.following) or (
            self._stop_watch.is_set() or not self.main.query("#status")
        ):
            self._collector.release()
            return  # a replaced follow; or the app is closing, the screen torn down
        self.main.apply_changes(message.analysis, message.changed, message.read_at)
        if message.changed.nothing:
            self._collector.release()
        else:  # `painted` records repaints, not quiet batches
            self.call_after_refresh(self._painted, message.arrived, message.changed)

    def _painted(self, arrived: float, changed: Changed) -> None:
        self.painted.append((arrived, time.monotonic(), changed))
        self._collector.release()

    def _watch_failed(self, reason: str, stop: threading.Event) -> None:
        if stop is self._stop_watch and not stop.is_set():
            self.main.status.watching = ""
            self.notify(
                f"Not watching the cluster: {clean_message(reason)}\nPress r to refresh.",
                severity="warning",
                markup=False,
            )

    @on(WatchHealth)
    def _watch_health(self, message: WatchHealth) -> None:
        if message.watch is not self._stop_watch or self._stop_watch.is_set():
            return
        self.main.status.watching = status_bar.WATCHING if message.ok else status_bar.WATCH_LOST
        if message.ok:
            # The follower resumed where it was (a kind it lost track of comes back as a
            # Replace): nothing to reload. Lost, it is stale as a failed load: loads are
            # retried (a server that moved is found in the kubeconfig) and follow anew.
            # Followed again, the server answers: a retried load's error is history.
            self.main.status.error = ""
            self._fresh()
        else:
            self._went_stale()

    # --- staleness: what is shown could not be checked against the cluster ---------------

    def _went_stale(self) -> None:
        """The cluster cannot be read now: say since when, and retry loads until it can."""
        if not self.live:
            return
        if self._stale_since is None and self.main.analysis is not None:
            self._stale_since = self._clock()
            self.main.status.stale = health.stale_label(self._stale_since)
        if self._retry_timer is None:
            self._retry_timer = self.set_timer(health.retry_delay(self._retries), self._retry)

    def _retry(self) -> None:
        self._retry_timer = None
        if not self.main.query("#status"):
            return  # the app is closing (a retry due as the screen is torn down)
        self._retries += 1
        self.reload()

    def _fresh(self) -> None:
        self._stale_since, self._retries = None, 0
        self.main.status.stale = ""
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None

    @property
    def failure(self) -> str:
        """Why the screen shows no cluster ("" once one is shown): the session's error."""
        return self.main.failure

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load_snapshot(self) -> None:
        load = self.source
        following: Followable | None = None
        try:
            if self._follower is not None:
                following = load.load_following()
                analysis = following.analysis
                # The raw objects live as long as the follow: millions of them, which the
                # cyclic collector would walk at every collection (seconds, on the UI's
                # thread too). Reference counting still frees them when replaced.
                gc.freeze()
                # A node event remakes every service's node groups (tens of thousands of
                # objects that live until the next one): collected less often, they are
                # walked about once, not again at every young and full collection.
                gc.set_threshold(10_000, 20, 20)
            else:
                analysis = load.load()
        except KpathError as exc:
            if not get_current_worker().is_cancelled:
                self.post_message(LoadFailed(str(exc), load))
            return
        except Exception as exc:  # a bug or an input nobody foresaw: one line, never a trace
            if not get_current_worker().is_cancelled:
                self.post_message(
                    LoadFailed(f"unexpected {type(exc).__name__} in kpath: {exc}", load)
                )
            return
        # A newer load replaced this one (exclusive): its older snapshot must not land last.
        if not get_current_worker().is_cancelled:
            self.post_message(AnalysisReady(analysis, self._clock(), load, following))

    @property
    def can_probe(self) -> bool:
        return self._prober is not None and self.live and self.source.probe_refusal is None

    @property
    def probe_settings(self) -> ProbeSettings:
        """How `p` probes now: the settings given, as the command palette changed them."""
        if self._probe_settings is None:
            from kpath.probe.run import ProbeSettings  # loads the prober: only when asked

            self._probe_settings = ProbeSettings()
        return self._probe_settings

    def step_probe_option(self, option: ProbeOption) -> None:
        """The palette chose a probe option: its next value, for the next `p`."""
        settings = self._probe_settings = stepped(option, self.probe_settings)
        value = shown(option, getattr(settings, option.field))
        self.notify(
            f"{option.title}: {value} (from the next probe on)", title="probes", markup=False
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="probe")
    def _run_probes(
        self, analysis: Analysis, paths: Sequence[int], settings: ProbeSettings
    ) -> None:
        assert self._prober is not None
        worker = get_current_worker()
        api = self.source.probe_api()  # now: the server the kubeconfig names when probing
        if api is not None:
            settings = dataclasses.replace(settings, api=api)
        landed = [0, 0]  # probes done, probes planned

        def sink(marks: Mapping[HopRef, vm.ProbeMark]) -> None:
            if marks and not worker.is_cancelled:  # else newer probes replaced these
                self.post_message(ProbeMarks(marks, analysis))

        def progress(done: int, total: int) -> None:
            landed[:] = done, total
            if not worker.is_cancelled:
                self.post_message(ProbeProgress(done, total, analysis))

        report = self._prober(analysis, paths, settings, sink, progress)
        if not worker.is_cancelled:
            if report is not None:
                self.post_message(ProbesDone(report, paths, analysis))
            self.post_message(ProbeProgress(landed[0], landed[1], analysis, finished=True))

    def _current(self, load: object) -> bool:
        """A load's result is for the source in use (not one `c` or `n` replaced)."""
        return load is None or load is self.source

    @on(AnalysisReady)
    def _analysis_ready(self, message: AnalysisReady) -> None:
        if not self._current(message.load):
            return
        origin = message.analysis.snapshot.origin
        if origin:
            self.main.status.origin = self.origin = origin
        if message.following is not None:
            self._follow(message.following)
        self._fresh()
        with paused_gc():  # rows and findings of every service: many small acyclic objects
            changed = self.main.show_analysis(message.analysis, message.loaded_at)
        if changed:
            self.notify(f"{len(changed)} service(s) changed", timeout=3)
        if self._select and not self.loaded:
            ns, _, name = self._select.partition("/")
            self.main.post_message(JumpTo(ObjectKey(ns, name)))
        self.loaded = True

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        if not self._current(message.load):
            return
        status = self.main.status
        error = clean_message(message.error)  # server and dump text: one visible line
        repeated = status.error == error
        status.reading, status.error = False, error
        self.main.show_failure(error)
        if self.main.analysis is not None and not repeated:
            # The screen keeps the last analysis: say once why it is no longer refreshed.
            self.notify(
                error, title="cannot read the cluster", severity="error", markup=False, timeout=8
            )
        self._went_stale()

    @on(ProbeMarks)
    def _probe_marks(self, message: ProbeMarks) -> None:
        if message.analysis is not None and message.analysis is not self.main.analysis:
            return  # probed before a reload: its hops are not this snapshot's
        self.main.land_marks(message.marks)

    @on(ProbesDone)
    def _probes_done(self, message: ProbesDone) -> None:
        if message.analysis is not None and message.analysis is not self.main.analysis:
            return
        self.main.keep_report(message.report, message.indexes)

    @on(ProbeProgress)
    def _probe_progress(self, message: ProbeProgress) -> None:
        if message.analysis is not None and message.analysis is not self.main.analysis:
            return
        if not message.finished:
            self.main.status.probes = f"probing… {message.done}/{message.total}"
            return
        last = self.main.reports[-1][0].evidence.summary if self.main.reports else None
        if last is None:
            self.main.status.probes = f"probes: {message.done} done"
            return
        word = "contradiction" if last.contradictions == 1 else "contradictions"
        self.main.status.probes = f"probes: {message.done} done, {last.contradictions} {word}"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # An unexpected failure in a worker: one line, never a traceback over the UI. (The
        # load worker reports its own failures: they take the place of the view.)
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        line = clean_message(
            error
            if isinstance(error, KpathError)
            else f"unexpected {type(error).__name__}: {error}"
        )
        group = event.worker.group
        if group == "probe":
            self.main.status.probes = "probes failed"
            self.notify(line, title="probes failed", severity="error", markup=False, timeout=8)
        elif group == "watch":
            self.main.status.watching = ""
            self.notify(
                f"Not watching the cluster: {line}\nPress r to refresh.",
                severity="warning",
                markup=False,
            )
        else:
            self.notify(line, title="kpath failed", severity="error", markup=False, timeout=8)

    # --- actions (keys and palette come from kpath.tui.actions) -------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("probe", "probe_all"):
            if self.can_probe:
                return True
            return True if self.source.probe_refusal else None  # `p` then says why not
        return True  # `c` with no other context says so

    @property
    def other_contexts(self) -> bool:
        """Whether `c` has another kubeconfig context to offer."""
        return len(self.contexts) > 1

    def action_filter(self) -> None:
        self.main.open_filter()

    def action_namespace(self) -> None:
        if self.main.analysis is None:
            return
        if self.source.live:  # the API lists them: off the event loop
            self._list_namespaces(self.source)
        else:
            self._pick_namespace(None, self.source)

    @work(thread=True, exclusive=True, exit_on_error=False, group="namespaces")
    def _list_namespaces(self, source: ClusterSource) -> None:
        try:
            names = source.namespaces()
        except KpathError:
            names = None  # then the ones read, as when the server refuses the LIST
        self.call_from_thread(self._pick_namespace, names, source)

    def _pick_namespace(self, listed: list[str] | None, source: ClusterSource) -> None:
        analysis = self.main.analysis
        if analysis is None or source is not self.source or isinstance(self.screen, Picker):
            return
        names = listed if listed is not None else namespaces_read(analysis)
        choices = [("", "all namespaces"), *((n, n) for n in names)]
        self.push_screen(
            Picker("Namespace", choices, self.main.namespace or ""),
            lambda ns: None if ns is None else self.set_namespace(ns or None),
        )

    def set_namespace(self, namespace: str | None) -> None:
        """Show one namespace (None: all); read it first when the source read less."""
        self.main.set_namespace(namespace)
        analysis = self.main.analysis
        wanted = None if namespace is None else frozenset({namespace})
        if analysis is None or not needs_reload(analysis.snapshot.namespaces_read, wanted):
            return
        wider = self.source.with_namespaces(wanted)
        if wider == self.source:
            return  # a dump holds what it holds
        self.source = wider
        self.workers.cancel_group(self, "probe")
        if self._follower is not None:
            self._follow_source(wider)  # the new scope, not the old one
        self.notify(
            f"Reading {'all namespaces' if namespace is None else clean(namespace)}…",
            timeout=3,
            markup=False,
        )
        self.reload()

    def action_context(self) -> None:
        names, current = self.source.contexts()
        current = self.context or current
        if len(names) < 2:
            self.notify(
                f"only one context: {clean(names[0])}"
                if names
                else "no kubeconfig context to switch to"
                + ("" if self.live else " (reading dump files)"),
                title="context",
                markup=False,
            )
            return
        self.push_screen(Picker("Context", [(c, c) for c in names], current), self._use_context)

    def _use_context(self, context: str | None) -> None:
        if context is None:
            return
        try:
            source = self.source.with_context(context)
        except KpathError as exc:
            self.notify(clean_message(str(exc)), severity="error", markup=False)
            return
        self.context, self.source = context, source
        # Another cluster: nothing of the old one stays on screen under the new name (its
        # paths, probes, findings), whether the new one can be read or not.
        self.main.clear(f"Loading context {clean(context)}…")
        self.main.status.error = ""
        self._fresh()
        self.workers.cancel_group(self, "probe")
        if self._follower is not None:
            # Follow the new context, or nothing: never the old one behind a new header.
            self._follow_source(source)
        self.main.status.origin = self.origin = f"context {context}"
        self.reload()

    def _follow_source(self, source: ClusterSource) -> None:
        """Stop following the old source; ``source`` is followed from its next load."""
        self._follower = source.follower
        self._stop_following()
        self.main.status.watching = ""

    def action_request(self, url: str = "", method: str = "") -> None:
        """Open the request dialog on the analysis shown now (``url``: asked at once)."""
        analysis = self.main.analysis
        if analysis is None:
            self.notify("Nothing loaded yet: wait for the cluster, then ask.", markup=False)
            return
        if isinstance(self.screen, RequestScreen):
            return
        from kpath.tui.requesting import ask

        def current(url: str, method: str) -> tuple[Request, Sequence[AnswerView]]:
            # The analysis on screen when asked: a reload while the dialog is open counts.
            return ask(self.main.analysis or analysis, url, method)

        self.push_screen(RequestScreen(current, url, method))

    def action_toggle_internal(self) -> None:
        self.main.toggle_internal()

    def action_sort(self) -> None:
        self.main.next_sort()

    def action_refresh(self) -> None:
        self.reload()

    def action_probe(self) -> None:
        self._start_probes(self.main.selected_path_indexes())

    def action_probe_all(self) -> None:
        self._start_probes(self.main.visible_path_indexes())

    def _start_probes(self, paths: list[int]) -> None:
        refusal = self.source.probe_refusal
        if not self.can_probe and refusal:
            self.notify(refusal, title="probes", severity="warning", markup=False)
            return
        if not self.can_probe or self.main.analysis is None or not paths:
            return
        self.main.status.probes = f"probing {len(paths)} path(s)…"
        self._run_probes(self.main.analysis, paths, self.probe_settings)

    def action_save_svg(self) -> None:
        path = self._save_dir / f"{files.file_stem(self.origin, self._clock())}.svg"
        self._write("SVG", path, self.export_screenshot(title=f"kpath {clean(self.origin)}"))

    def action_export_json(self) -> None:
        analysis = self.main.analysis
        if analysis is None:
            return
        # The view's scope decides, as it does for `kpath paths -o json -n NS -l SEL`.
        scope = self.scope
        paths, findings = scope.paths(analysis), scope.findings(analysis)
        path = self._save_dir / f"{files.file_stem(self.origin, self._clock())}.json"
        # With the probe results on screen: the shape of `kpath paths --probe -o json`.
        doc = self.main.probed_json(paths, findings, scope.namespaces) or paths_json(
            analysis, paths, findings, scope.namespaces
        )
        self._write("JSON", path, json.dumps(doc, indent=2) + "\n")

    @work(thread=True, exit_on_error=False, group="write")
    def _write(self, what: str, path: FsPath, text: str) -> None:
        """Write off the event loop (a slow or hung mount must not freeze the UI); a failure
        is one toast with the path and the reason, and nothing else changes."""
        try:
            files.write_text(path, text)
        except (OSError, ValueError) as exc:  # ValueError: text the codec cannot encode
            self.notify(
                files.write_failed(what, path, exc),
                title=f"{what} not saved",
                severity="error",
                markup=False,
                timeout=10,
            )
            return
        self.notify(files.written(what, path, self._save_note), title=what, markup=False)

    def action_zoom(self) -> None:
        self.main.zoom()

    def action_show_tab(self, tab: str) -> None:
        self.main.show_tab(tab)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        # Unmounting stops the watch. A session that never showed a cluster failed: exit 2,
        # as the command line does for the same error.
        code = health.exit_code(self.main.analysis is not None, self.failure)
        self.exit(code, return_code=code)
