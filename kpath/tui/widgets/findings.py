"""Findings: the selected service's, then the whole cluster's; Enter jumps to the service.

Two lists, because they change at different rates: the service's on every cursor move (a
handful of lines), the cluster's only when the analysis or the namespace changes (up to
`MAX_CLUSTER` lines; rebuilding those per keystroke would cost more than the rest of a move).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.terminal_theme import TerminalTheme
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kpath.routing.findings import Finding
from kpath.safetext import literal, literal_message
from kpath.tui.messages import JumpTo
from kpath.tui.styles import SEVERITY_LOOK, truecolour

MAX_CLUSTER = 300  # the cluster-wide part is a digest; the list filter narrows the rest


def finding_text(f: Finding, theme: TerminalTheme | None = None) -> Text:
    """``✗ error   KP103 message``: the severity in its look (``theme``: the app's ANSI
    colours, see `truecolour`), the message in the pane's own colours."""
    look = SEVERITY_LOOK[f.severity]
    style = truecolour(look.style, theme) if theme is not None else look.style
    text = Text()
    text.append(f"{look.glyph} {look.word:7}", style=style)
    text.append(f" {f.code} ", style="bold")
    text.append_text(literal_message(f.message))
    return text


class FindingList(OptionList):
    """A heading and an option per finding; choosing one posts `JumpTo` for its service."""

    DEFAULT_CSS = "FindingList { border: none; padding: 0; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._findings: list[Finding] = []
        self._shown: tuple[Text, Sequence[Finding], int | None, str] | None = None

    def on_mount(self) -> None:
        # The severities are drawn in the theme's ANSI colours: redraw when it changes.
        self.watch(self.app, "theme", self._redraw, init=False)

    def _redraw(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    def show(
        self,
        heading: Text,
        findings: Sequence[Finding],
        limit: int | None = None,
        empty: str = "no findings",
    ) -> None:
        self._shown = (heading, findings, limit, empty)
        shown = list(findings[:limit] if limit is not None else findings)
        self._findings = shown
        options = [Option(heading, disabled=True)]
        theme = self.app.ansi_theme
        options += [Option(finding_text(f, theme), id=str(n)) for n, f in enumerate(shown)]
        if not shown:
            options.append(Option(Text(f"  {empty}", style="dim"), disabled=True))
        if len(findings) > len(shown):
            options.append(
                Option(
                    Text(
                        f"+{len(findings) - len(shown)} more: filter the list or export JSON (e)",
                        style="dim",
                    ),
                    disabled=True,
                )
            )
        self.set_options(options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id is None:
            return
        f = self._findings[int(event.option_id)]
        if f.service is not None:
            self.post_message(JumpTo(f.service, f.nodes))
        else:
            self.app.notify(
                "This finding is about the whole cluster, not one service.", markup=False
            )


class FindingsPanel(Vertical):
    """The selected service's findings above the cluster's."""

    DEFAULT_CSS = """
    FindingsPanel { height: 1fr; }
    FindingsPanel > #service-findings { height: auto; max-height: 70%; }
    FindingsPanel > #cluster-findings { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield FindingList(id="service-findings")
        yield FindingList(id="cluster-findings")

    def show_service(self, name: str | None, findings: Sequence[Finding]) -> None:
        head = Text("This service: ", style="bold")
        head.append_text(literal(name or "none selected"))
        self.query_one("#service-findings", FindingList).show(head, findings)

    def show_cluster(self, findings: Sequence[Finding]) -> None:
        head = Text(f"Cluster: {len(findings)} findings", style="bold")
        self.query_one("#cluster-findings", FindingList).show(head, findings, MAX_CLUSTER)
