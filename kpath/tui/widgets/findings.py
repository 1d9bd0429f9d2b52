"""Findings for the selected service, then for the whole cluster; Enter jumps to the service."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kpath.export.safe import literal
from kpath.routing.findings import Finding
from kpath.tui.messages import JumpTo
from kpath.tui.styles import SEVERITY_LOOK

MAX_CLUSTER = 300  # the cluster-wide part is a digest; the list filter narrows the rest


def finding_text(f: Finding) -> Text:
    look = SEVERITY_LOOK[f.severity]
    text = Text(f"{look.glyph} {look.word:7} {f.code} ", style=look.style)
    text.append_text(literal(f.message))
    return text


class FindingsPanel(OptionList):
    """An option per finding; choosing one posts `JumpTo` for its service."""

    DEFAULT_CSS = "FindingsPanel { height: 1fr; border: none; padding: 0; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._findings: list[Finding] = []

    def show(self, service: Sequence[Finding], cluster: Sequence[Finding],
             service_name: str | None) -> None:
        self._findings = []
        options: list[Option] = []
        head = Text("This service: ", style="bold")
        head.append_text(literal(service_name or "none selected"))
        options.append(Option(head, disabled=True))
        if not service:
            options.append(Option(Text("  no findings", style="dim"), disabled=True))
        for f in service:
            options.append(Option(finding_text(f), id=str(len(self._findings))))
            self._findings.append(f)
        options.append(Option(Text(f"Cluster: {len(cluster)} findings", style="bold"),
                              disabled=True))
        for f in cluster[:MAX_CLUSTER]:
            options.append(Option(finding_text(f), id=str(len(self._findings))))
            self._findings.append(f)
        if len(cluster) > MAX_CLUSTER:
            options.append(Option(Text(f"+{len(cluster) - MAX_CLUSTER} more: filter the list "
                                       "or export JSON (e)", style="dim"), disabled=True))
        self.set_options(options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id is None:
            return
        f = self._findings[int(event.option_id)]
        if f.service is not None:
            self.post_message(JumpTo(f.service, f.nodes))
        else:
            self.app.notify("This finding is about the whole cluster, not one service.",
                            markup=False)
