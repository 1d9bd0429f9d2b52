"""The main screen: services list | path view over details and findings. Routing of messages.

Data goes down: the app hands an `Analysis` to `show_analysis`; filters and the selection are
screen state. Messages come up from the widgets (`ServiceHighlighted`, `HopSelected`,
`JumpTo`). Nothing here reads the cluster or decides a route; `view_model` does the shaping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from kpath.cluster.records import ObjectKey
from kpath.probe.plan import HopKind, HopRef
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Finding
from kpath.routing.incremental import Changed
from kpath.routing.paths import Path
from kpath.routing.scope import ViewScope, namespaces_label, shown_namespaces
from kpath.routing.summary import path_summary
from kpath.safetext import clean, literal, literal_message
from kpath.tui import view_model as vm
from kpath.tui.messages import HopSelected, JumpTo, ServiceHighlighted
from kpath.tui.styles import (
    ANSI_DARK,
    ANSI_LIGHT,
    PROBE_RANK,
    ProbeState,
    glyphs,
    use_no_color,
)
from kpath.tui.widgets.details import DetailsPanel
from kpath.tui.widgets.filter_box import FilterBox
from kpath.tui.widgets.findings import FindingsPanel
from kpath.tui.widgets.path_view import (
    FAILING,
    PathView,
    Probes,
    diagram_title,
    list_summary,
    summary_text,
)
from kpath.tui.widgets.service_list import (
    COLUMNS,
    FOR_NAMES,
    MIN_NAME,
    ServiceHeader,
    ServiceTable,
    layout,
)
from kpath.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from kpath.probe.run import ProbeReport

NARROW = 140  # below this many columns the panes stack instead of standing side by side
NARROW_PATHS = 7  # stacked: the path pane's least lines (a title, a summary, a hop's head)
NARROW_TABS = 5  # stacked: the tabs' lines (main.tcss)
LIST_CHROME = 3  # stacked: the count, the column titles and the summary around the rows
LIST_FRAME = 5  # the list's padding, scrollbar gutter and border, in cells
MAX_NAME = 64  # the SERVICE column grows to this many cells at most


class _OpenPath(NamedTuple):
    """The open service's drawing: its diagrams, their titles and summaries, the list's
    one-line summary."""

    diagrams: list[vm.Diagram]
    titles: list[Text]
    summaries: list[Text]
    summary: Text


class MainScreen(Screen[None]):
    """Explore every way in: pick a service, read its paths, inspect a hop."""

    CSS_PATH = "main.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(
        self,
        *,
        origin: str,
        live: bool,
        on_ready: Callable[[], None],
        scope: ViewScope | None = None,
    ) -> None:
        super().__init__()
        self._origin, self._live, self._on_ready = origin, live, on_ready
        self.analysis: Analysis | None = None
        # Namespace, selector and internal services; the filter text is the box's.
        self.scope = scope or ViewScope()
        self.sort = vm.SORTS[0]
        self.selected: ObjectKey | None = None
        self.probes: dict[HopRef, vm.ProbeMark] = {}
        self.service_probes: dict[ObjectKey, ProbeState] = {}
        # Each probe run of this analysis, with the analysis index of each path it planned
        # (None: changed since): what `e` exports.
        self.reports: list[tuple[ProbeReport, tuple[int | None, ...]]] = []
        self._refs_of: dict[int, set[HopRef]] = {}  # path index → its hops in `probes`
        self._rows: vm.Rows = vm.NO_ROWS
        self._paths: dict[ObjectKey, list[int]] = {}
        self._findings: dict[ObjectKey | None, list[Finding]] = {}
        self._flash: frozenset[ObjectKey] = frozenset()
        self._filters: vm.FilterMemo | None = None  # the recent filters of this view
        self._findings_for: ObjectKey | None = None  # the service the findings tab is about
        self._drawn: set[int] = set()  # the paths whose hops the path view draws now
        self._open: _OpenPath | None = None  # what the path pane draws now
        self._cluster_drawn = True  # the cluster's findings list is the analysis's
        self._waiting = "Loading…"  # shown until the first analysis (or a failure) lands
        self.failure = ""  # why nothing is shown: the last load failed with no analysis

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Container(id="body"):
            with Vertical(id="services"):
                yield FilterBox(
                    placeholder="filter: words of namespace/name, type, policy, ways in",
                    id="filter",
                )
                # A keystroke repaints the filter and the count; Textual redraws every widget
                # whose container overlaps what changed, so the list sits in a container of
                # its own, below the two lines that change.
                yield Static(id="count")
                with Vertical(id="list"):
                    yield ServiceHeader()
                    yield ServiceTable(id="table")
                yield Static(id="summary")
            with Vertical(id="right"):
                yield PathView(id="paths")
                with TabbedContent(id="tabs"):
                    with TabPane("Details", id="details"):
                        yield DetailsPanel(id="details-panel")
                    with TabPane("Findings", id="findings"):
                        yield FindingsPanel(id="findings-panel")
        yield Footer()

    @property
    def namespace(self) -> str | None:
        """The one namespace in view (None: all of them)."""
        spaces = self.scope.namespaces
        return next(iter(spaces)) if spaces is not None and len(spaces) == 1 else None

    @namespace.setter
    def namespace(self, namespace: str | None) -> None:
        self.scope = self.scope.narrowed(
            namespaces=None if namespace is None else frozenset({namespace})
        )

    @property
    def selector(self) -> str | None:
        return self.scope.selector or None

    @property
    def internal(self) -> bool:
        return self.scope.internal

    @internal.setter
    def internal(self, internal: bool) -> None:
        self.scope = self.scope.narrowed(internal=internal)

    def view_scope(self) -> ViewScope:
        """The view as one `ViewScope`, with the filter's words: what `e` exports."""
        read = self.analysis.snapshot.namespaces_read if self.analysis is not None else None
        return self.scope.narrowed(
            namespaces=shown_namespaces(self.scope.namespaces, read),
            text=self.query_one("#filter", Input).value,
        )

    @property
    def table(self) -> ServiceTable:
        return self.query_one("#table", ServiceTable)

    @property
    def path_view(self) -> PathView:
        return self.query_one("#paths", PathView)

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    def on_mount(self) -> None:
        use_no_color(self.app.no_color)  # before anything is drawn: see `styles`
        # Verdict colours that read on both themes' surfaces (see `styles.ANSI_DARK`).
        self.app.ansi_theme_dark, self.app.ansi_theme_light = ANSI_DARK, ANSI_LIGHT
        self.query_one("#filter", Input).display = False
        status = self.status
        status.origin, status.live, status.reading = self._origin, self._live, True
        self.table.focus()
        self._on_ready()  # widgets exist now: the app may start loading

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")
        self._fit_list()

    def _fit_list(self) -> None:
        """Stacked panes: the list as tall as its services, up to what leaves the path pane
        and the tabs their lines (7 of 8 demo services at 80x24, each one at 80x40)."""
        services = self.query_one("#services")
        # Clearing a style that is not set still costs a layout pass of the screen (Textual
        # refreshes on `= None` unconditionally): on every keystroke, the filter's cost.
        inline = services.styles.inline
        if not self.has_class("-narrow"):
            if inline.has_rule("height"):
                services.styles.height = None
            width = self._list_width()
            if services.styles.width is None or services.styles.width.value != width:
                services.styles.width = width
            return
        if inline.has_rule("width"):
            services.styles.width = None
        self._set_name_width(MIN_NAME)
        room = max(3, self.size.height - 2 - NARROW_PATHS - NARROW_TABS - LIST_CHROME)
        height = min(max(self.table.visible_count, 1), room) + LIST_CHROME
        if services.styles.height is None or services.styles.height.value != height:
            services.styles.height = height

    def _list_width(self) -> int:
        """Side by side: 45% of the screen, widened (up to 60%) until the longest
        namespace/name fits the SERVICE column, since the path pane has room to spare."""
        screen = self.size.width
        base = screen * 45 // 100
        longest = max(min(self._rows.longest_name(), MAX_NAME), MIN_NAME)
        self._set_name_width(longest)
        if longest <= layout(base - LIST_FRAME)[0][1]:
            return base  # the names fit as it is
        # The columns that never give way to a long name stay; the name gets the rest.
        fixed = sum(c.width + 1 for c in COLUMNS if c.width and (c.drop == 0 or c.drop > FOR_NAMES))
        need = fixed + longest + 1 + LIST_FRAME
        return min(max(base, need), screen * 60 // 100)

    def _set_name_width(self, width: int) -> None:
        table = self.table
        if table.name_width != width:
            table.name_width = width
            table.refresh()
            self.query_one(ServiceHeader).refresh()

    # --- data in ------------------------------------------------------------------------

    def forget_probes(self) -> None:
        self.probes, self.service_probes, self._paths, self.reports = {}, {}, {}, []
        self._refs_of = {}

    def clear(self, waiting: str) -> None:
        """Show nothing of the last analysis (another cluster is being read): an empty
        list, no findings, ``waiting`` where the paths go."""
        self.analysis, self._rows, self._findings = None, vm.NO_ROWS, {}
        self.forget_probes()
        self._waiting, self.failure, self._flash = waiting, "", frozenset()
        status = self.status
        status.loaded_at, status.not_visible, status.probes = None, {}, ""
        self.table.set_marks({}, self._flash)
        self.refresh_list(announce=True)
        self.selected = None
        self.path_view.show([], [], self.probes, self._placeholder())  # and no hop details
        self._show_findings(None)
        self._show_cluster_findings()

    def show_failure(self, error: str) -> None:
        """A load failed. With nothing shown yet, the error takes the place of "Loading…";
        an analysis already shown stays (the header says it is stale)."""
        if self.analysis is not None:
            return
        self.failure = error
        self.path_view.show([], [], self.probes, self._placeholder())

    def _nothing_shown(self) -> str | Text:
        """Why the list is empty, and the keys that show more (as the CLI says on stderr)."""
        if self.query_one("#filter", Input).value:
            return "No service matches the filter."
        read = self.analysis.snapshot.namespaces_read if self.analysis is not None else None
        where = namespaces_label(shown_namespaces(self.scope.namespaces, read))
        what = "services" if self.internal else "services with a way in from outside"
        keys = ["n: another namespace"] + ([] if self.internal else ["a: ClusterIP ones too"])
        text = Text(f"No {what} in ", style="dim")
        text.append_text(literal(where, "dim"))  # namespace names are the cluster's text
        text.append(".\n\n" + " · ".join(keys), style="dim")
        return text

    def _placeholder(self) -> str | Text:
        if not self.failure:
            return self._waiting
        text = Text(glyphs("✗ cannot read the cluster: "), style="bold red")
        text.append_text(literal_message(self.failure, "red"))
        text.append(
            "\n\nr: try again · q: quit"
            + (" · c: another context" if getattr(self.app, "other_contexts", False) else ""),
            style="dim",
        )
        return text

    def show_analysis(self, analysis: Analysis, loaded_at: datetime) -> frozenset[ObjectKey]:
        """A new analysis; returns the services whose paths changed since the last one."""
        paths, old = vm.group_paths(analysis), self.analysis
        changed = vm.moved_services(old, self._paths, analysis, paths) if old else frozenset()
        self.analysis = analysis
        keep = self._keep(analysis)
        before, self._paths = self._paths, paths
        # Always the new rows: the table repaints only if the lines on screen differ.
        self._rows = vm.sort_rows(vm.service_rows(analysis, keep, self._paths), self.sort)
        self._findings = vm.group_findings(analysis.findings)
        self._carry_probes(old, analysis, before, changed)
        self._flash, self.failure = changed, ""
        status = self.status
        status.loaded_at, status.reading, status.error = loaded_at, False, ""
        if not self.probes:
            status.probes = ""
        self.table.set_marks(self.service_probes, self._flash)
        status.seen = frozenset(analysis.snapshot.kinds_seen)
        status.not_visible = dict(analysis.snapshot.not_visible)
        self.refresh_list(keep=self.selected, announce=True)  # redraw the path view too
        self._show_cluster_findings()
        if changed:
            self.set_timer(3.0, self._end_flash)
        return changed

    def _end_flash(self) -> None:
        self._flash = frozenset()
        self.table.set_marks(self.service_probes, self._flash)
        self.path_view.remove_class("-flash")

    def apply_changes(
        self, analysis: Analysis, changed: Changed, read_at: datetime
    ) -> frozenset[ObjectKey]:
        """A followed cluster's events, analysed: repaint only what they changed (the rows
        of ``changed.services``, the count, the findings and the open path if theirs
        changed), keeping the selection, scroll and filter. ``changed.everything``: all of
        it, as a reload. Returns the services whose paths changed (they flash)."""
        old = self.analysis
        if changed.everything or old is None:
            return self.show_analysis(analysis, read_at)
        if changed.nothing:  # no service moved: the same paths, at the same indexes
            self.analysis = analysis
            self.status.loaded_at = read_at
            return frozenset()
        keys = changed.services
        self.analysis = analysis
        before = self._paths
        if not keys or keys != changed.regrouped:
            self._paths = vm.group_paths(analysis)
        # (else only node groups moved: every path is at its index, `before` still holds)
        findings_before, self._findings = self._findings, vm.group_findings(analysis.findings)
        moved = vm.moved_services(old, before, analysis, self._paths, keys)
        probes = self.probes
        self._carry_probes(old, analysis, before, moved)
        visible_moved = self._update_rows(analysis, keys, moved, changed.regrouped)
        if visible_moved:
            self.refresh_list(keep=self.selected)  # the count too
        self.status.loaded_at = read_at
        found = {
            k for k in (*keys, None) if findings_before.get(k, []) != self._findings.get(k, [])
        }
        if found:
            self._show_cluster_findings()
        if self.selected in keys:
            self._redraw_open(
                before.get(self.selected), self.probes is not probes, self.selected in found
            )
        if moved:
            self.set_timer(3.0, lambda: self._end_flash_of(moved))
        return moved

    def _carry_probes(
        self,
        old: Analysis | None,
        analysis: Analysis,
        before: Mapping[ObjectKey, list[int]],
        moved: frozenset[ObjectKey],
    ) -> None:
        """Probe results on a new analysis (``before``: the old one's paths by service).
        Hop references belong to one analysis: the results of services that did not move
        are carried over; a moved service's stay where its hops still exist, marked stale,
        and its row's probe mark goes."""
        if self.probes:
            self.probes = vm.carry_marks(old, analysis, self.probes, moved)
        self._refs_of = {}
        for ref in self.probes:
            self._refs_of.setdefault(ref.path, set()).add(ref)
        if self.reports:
            at = vm.moved_paths(before, self._paths, moved)
            self.reports = [
                (r, tuple(at.get(i) if i is not None else None for i in idx))
                for r, idx in self.reports
            ]
        for key in [k for k in self.service_probes if k in moved or k not in self._paths]:
            del self.service_probes[key]
            self.table.mark_probe(key, ProbeState.UNPROBED)

    def _keep(self, analysis: Analysis) -> Callable[[ObjectKey], bool] | None:
        """Which services are rows (None: all of them). Rows of the namespaces read only:
        services read elsewhere just to find ingress controllers and Gateways stay out, as
        they do from `kpath paths`."""
        scope = ViewScope(
            shown_namespaces(None, analysis.snapshot.namespaces_read),
            selector=self.selector or "",
            internal=True,
        )
        if scope.namespaces is None and not scope.selector:
            return None

        def keep(key: ObjectKey) -> bool:
            return scope.service(analysis, key)

        return keep

    def _update_rows(
        self,
        analysis: Analysis,
        keys: frozenset[ObjectKey],
        moved: frozenset[ObjectKey],
        regrouped: frozenset[ObjectKey] = frozenset(),
    ) -> bool:
        """The rows of ``keys`` made again and handed to the list (``regrouped``: those of
        them whose node groups alone moved); True when rows came, went or changed places,
        or the filter may now show a different set (then the caller filters and counts
        again)."""
        keep, rows = self._keep(analysis), self._rows
        # In place, in the lazy rows: the other services' rows stay as built (or unbuilt).
        refilter = rows.update(analysis, self._paths, self._findings, keys, keep, regrouped)
        self._flash = self._flash | moved
        if refilter is None or not rows.in_order(keys, self.sort):
            # Rows came, went or changed places: the rows made again (the words the filter
            # reads, one pass; rows are built when drawn), and every line drawn again, since
            # a line may now hold another service even where the visible indexes stay the
            # same (the lines of unchanged rows come from the drawn ones, keyed by content).
            self._rows = vm.sort_rows(vm.service_rows(analysis, keep, self._paths), self.sort)
            self.table.update_rows(self._rows, keys, self._flash)
            self.table.refresh()
            return True
        self.table.update_rows(rows, keys, self._flash)
        if refilter:
            # A changed row's words or exposure differ: what the remembered filters showed
            # may not be what they show now.
            self._filters = None
            return True
        return False

    def _redraw_open(
        self, before: list[int] | None, probes_moved: bool, findings_changed: bool
    ) -> None:
        """The open service's objects changed: redraw its path only if what it draws
        differs, keeping the chosen hop where its paths are still where they were."""
        key, view, analysis = self.selected, self.path_view, self.analysis
        if key is None or analysis is None:
            return
        open_path = self._open_path(analysis, key)
        if open_path != self._open or probes_moved:
            hop = view.current
            self._draw_open(open_path)
            if hop is not None and before == self._paths.get(key) and view.current != hop:
                view.select_ref(hop.ref)
        view.set_class(key in self._flash, "-flash")
        if findings_changed:
            self._show_findings(key)

    def _end_flash_of(self, keys: frozenset[ObjectKey]) -> None:
        """The flash of followed changes ends, service by service."""
        if not self._flash & keys:
            return
        self._flash = self._flash - keys
        self.table.update_rows(self._rows, frozenset(), self._flash)
        if self.selected in keys:
            self.path_view.remove_class("-flash")

    def refresh_list(self, keep: ObjectKey | None = None, announce: bool = False) -> None:
        """Re-apply filter, namespace and exposure to the rows; keep the cursor if shown."""
        text = self.query_one("#filter", Input).value
        memo = self._filters
        if memo is None or not memo.same_view(self._rows, self.namespace, self.internal):
            memo = self._filters = vm.FilterMemo(self._rows, self.namespace, self.internal)
        shown = memo.shown(text)
        self.table.show(self._rows, shown, keep=keep, announce=announce)
        self._fit_list()
        # The namespaces shown, of those read: never "all" when only one was read.
        read = self.analysis.snapshot.namespaces_read if self.analysis is not None else None
        ns = namespaces_label(shown_namespaces(self.scope.namespaces, read))
        what = "all services" if self.internal else "exposed services"
        count = Text(f"{len(shown)} of {len(self._rows)} · {what} · ", style="dim")
        count.append_text(literal(ns, "dim"))
        count.append(f" · sort: {self.sort}", style="dim")
        if text:
            count.append(" · filter: ", style="dim")
            count.append_text(literal(text))  # a pasted filter can hold anything
        # One line of fixed height and width: no layout pass on every keystroke.
        self.query_one("#count", Static).update(count, layout=False)

    # --- selection -----------------------------------------------------------------------

    @on(ServiceHighlighted)
    async def _highlighted(self, message: ServiceHighlighted) -> None:
        await self._refresh_selected(message.key)

    async def _refresh_selected(self, key: ObjectKey | None) -> None:
        self.selected = key
        view = self.path_view
        analysis = self.analysis
        if analysis is None or key is None:
            self._drawn, self._open = set(), None
            self._show_summary(Text(""))
            view.show(
                [], [], self.probes, self._nothing_shown() if analysis else self._placeholder()
            )
            self._show_findings(None)
            return
        self._draw_open(self._open_path(analysis, key))
        view.set_class(key in self._flash, "-flash")
        self._show_findings(key)

    def _open_path(self, analysis: Analysis, key: ObjectKey) -> _OpenPath:
        """What the path pane and the summary line show for ``key``."""
        indexes = [
            i for i in self._paths.get(key, ()) if self.internal or analysis.paths[i].external
        ] or self._paths.get(key, [])
        diagrams = vm.diagrams(analysis, indexes)
        states = [vm.path_state(analysis.paths[d.path]) for d in diagrams]
        titles = [diagram_title(d, state) for d, state in zip(diagrams, states, strict=True)]
        lines = [path_summary(analysis, analysis.paths[d.path]) for d in diagrams]
        summaries = [summary_text(line, state) for line, state in zip(lines, states, strict=True)]
        # Beside the list: the summary of the path a user should look at first.
        worst = next((n for n, s in enumerate(states) if s in FAILING), 0)
        summary = list_summary(lines[worst], states[worst]) if lines else Text("")
        return _OpenPath(diagrams, titles, summaries, summary)

    def _draw_open(self, open_path: _OpenPath) -> None:
        self._open = open_path
        self._drawn = vm.drawn_paths(open_path.diagrams)
        self.path_view.show(
            open_path.diagrams,
            open_path.titles,
            self.probes,
            "This service has no way in.",
            open_path.summaries,
        )
        self._show_summary(open_path.summary)

    def _show_summary(self, text: Text) -> None:
        # One line of fixed height: a new service costs a repaint of it, not a layout.
        self.query_one("#summary", Static).update(text, layout=False)

    def _show_findings(self, key: ObjectKey | None) -> None:
        # Drawn when its tab shows: a findings list resized on every cursor move behind the
        # Details tab cost a layout pass of the whole screen.
        self._findings_for = key
        if self.query_one(TabbedContent).active == "findings":
            self._draw_findings()

    def _draw_findings(self) -> None:
        key = self._findings_for
        self.query_one(FindingsPanel).show_service(
            str(key) if key else None, vm.service_findings(self._findings, key)
        )

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, message: TabbedContent.TabActivated) -> None:
        self.set_class(message.pane.id == "findings", "-findings")
        if message.pane.id == "findings":
            self._draw_findings()
            if not self._cluster_drawn:
                self._draw_cluster_findings()

    def _show_cluster_findings(self) -> None:
        # Drawn when its tab shows (as the service's): up to 300 lines of text, rebuilt
        # behind the Details tab for every followed batch that changes a finding.
        self._cluster_drawn = False
        if self.query_one(TabbedContent).active == "findings":
            self._draw_cluster_findings()

    def _draw_cluster_findings(self) -> None:
        self._cluster_drawn = True
        cluster = sorted(
            (f for f in self.analysis.findings if self._in_namespace(f)) if self.analysis else (),
            key=lambda f: (-f.severity.rank, f.code),
        )
        self.query_one(FindingsPanel).show_cluster(cluster)

    def _in_namespace(self, f: Finding) -> bool:
        if self.namespace is None:
            return True
        owner = f.service or f.ingress
        return owner is None or owner.namespace == self.namespace

    @on(HopSelected)
    def _hop_selected(self, message: HopSelected) -> None:
        self._show_details(message.hop)

    def _show_details(self, hop: vm.Hop | None) -> None:
        ref = hop.ref if hop is not None else None
        mark = self.probes.get(ref) if isinstance(ref, HopRef) else None
        health = (
            self.probes.get(ref._replace(hop=HopKind.HEALTH))
            if isinstance(ref, HopRef) and ref.hop == HopKind.NODE
            else None
        )
        self.query_one(DetailsPanel).show(hop, mark, health)

    @on(JumpTo)
    async def _jump(self, message: JumpTo) -> None:
        await self.jump_to(message.service, message.nodes)

    async def jump_to(self, key: ObjectKey, nodes: tuple[str, ...] = ()) -> bool:
        """Select a service (widening the view if it is hidden) and the hop at ``nodes``."""
        if not self.table.select(key):
            # Hidden by the filter, namespace or exposure: widen the view, then select.
            box = self.query_one("#filter", Input)
            box.value, box.display = "", False
            self.namespace, self.internal = None, True
            self.refresh_list()
            self._show_cluster_findings()
            if not self.table.select(key):
                self.notify(f"{clean(key)} is not in the list", markup=False)
                return False
        await self._refresh_selected(key)
        self._select_nodes(nodes)
        self.path_view.focus()
        return True

    def _select_nodes(self, nodes: tuple[str, ...]) -> None:
        if not nodes or self.analysis is None:
            return
        wanted = nodes[0]
        for i in self._paths.get(self.selected, ()) if self.selected else ():
            for gi, g in enumerate(self.analysis.paths[i].groups):
                if wanted in g.nodes and self.path_view.select_ref(HopRef(i, HopKind.NODE, gi)):
                    return

    # --- probes --------------------------------------------------------------------------

    def land_marks(self, marks: Mapping[HopRef, vm.ProbeMark]) -> None:
        """`evidence`'s verdicts for some hops, as they stand now: show them."""
        if self.analysis is None:
            return
        paths = self.analysis.paths
        touched: set[ObjectKey] = set()
        for ref, mark in marks.items():
            if 0 <= ref.path < len(paths):
                self.probes[ref] = mark
                self._refs_of.setdefault(ref.path, set()).add(ref)
                touched.add(vm.list_key(paths[ref.path]))
        for key in touched:
            state = self._service_state(key)
            if state != self.service_probes.get(key, ProbeState.UNPROBED):
                self.service_probes[key] = state
                self.table.mark_probe(key, state)
        if self.selected in touched or any(ref.path in self._drawn for ref in marks):
            self.path_view.set_probes(self.probes)
            self._show_details(self.path_view.current)

    def _service_state(self, key: ObjectKey) -> ProbeState:
        """The worst fresh verdict over a service's hops (its mark in the list)."""
        marks = [self.probes[r] for i in self._paths.get(key, ()) for r in self._refs_of.get(i, ())]
        states = [m.state for m in marks if not m.stale]
        return max(states, key=PROBE_RANK.__getitem__, default=ProbeState.UNPROBED)

    def keep_report(self, report: ProbeReport, indexes: Sequence[int]) -> None:
        self.reports.append((report, tuple(indexes)))

    def probed_json(
        self,
        paths: Sequence[Path],
        findings: list[Finding],
        namespaces: frozenset[str] | None = None,
    ) -> dict[str, Any] | None:
        """``paths`` as `kpath paths --probe -o json` writes them, with the results of this
        analysis's probe runs (None: none of them was probed). Stale results (paths changed
        since) are not exported: they were seen on paths that no longer exist as they were."""
        if self.analysis is None or not self.reports:
            return None
        from kpath.export.jsonout import paths_json
        from kpath.export.probejson import add_observed
        from kpath.probe.run import combine_reports

        index = {id(p): i for i, p in enumerate(self.analysis.paths)}
        combined = combine_reports(self.reports, [index[id(p)] for p in paths])
        if combined is None:
            return None
        report, at = combined
        return add_observed(
            paths_json(self.analysis, list(paths), findings, namespaces), report, at
        )

    def visible_paths(self) -> list[Path]:
        """The paths of the services the list shows now (what `e` exports)."""
        if self.analysis is None:
            return []
        table = self.table
        keys = [
            table.rows.keys[i]
            for i in vm.visible(
                table.rows,
                text=self.query_one("#filter", Input).value,
                namespace=self.namespace,
                internal=self.internal,
            )
        ]
        return [
            self.analysis.paths[i]
            for k in keys
            for i in self._paths.get(k, ())
            if self.internal or self.analysis.paths[i].external
        ]

    def visible_path_indexes(self) -> list[int]:
        if self.analysis is None:
            return []
        ids = {id(p) for p in self.visible_paths()}
        return [i for i, p in enumerate(self.analysis.paths) if id(p) in ids]

    def selected_path_indexes(self) -> list[int]:
        """The selected service's paths, and the gateway Service paths its Gateway paths
        draw (so `p` probes the node groups and proxy pods shown on them too)."""
        if self.analysis is None or self.selected is None:
            return []
        own = list(self._paths.get(self.selected, ()))
        return own + [i for i in vm.infra_paths(self.analysis, own) if i not in own]

    # --- actions (keys are bound on the app, from the actions table) ----------------------

    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.refresh_list(keep=self.selected)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value or box.display:
            box.value = ""
            box.display = False
            self.refresh_list(keep=self.selected)
            self.table.focus()

    def set_namespace(self, namespace: str | None) -> None:
        self.namespace = namespace
        self.refresh_list(keep=self.selected)
        self._show_cluster_findings()

    def toggle_internal(self) -> None:
        self.internal = not self.internal
        self.refresh_list(keep=self.selected)

    def next_sort(self) -> None:
        self.sort = vm.SORTS[(vm.SORTS.index(self.sort) + 1) % len(vm.SORTS)]
        self._rows = vm.sort_rows(self._rows, self.sort)
        self.refresh_list(keep=self.selected)

    def zoom(self) -> None:
        """Give the whole screen to the focused pane (the path view at 80x24), or undo it."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        target = focused if isinstance(focused, (ServiceTable, PathView)) else self.path_view
        self.maximize(target, container=False)

    def show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab


__all__ = ["MainScreen", "Probes"]
