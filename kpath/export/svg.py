"""kpath's view rendered headless to SVG (Rich's recorder: the same text a terminal shows)."""

from __future__ import annotations

from dataclasses import replace
from io import StringIO

from rich.console import Console

from kpath.export.text import analysis_view
from kpath.routing.analysis import Analysis
from kpath.routing.select import Selection


def render_svg(analysis: Analysis, *, namespace: str | None = None, selector: str | None = None,
               internal: bool = False, size: tuple[int, int] = (120, 40)) -> str:
    sel = Selection(analysis, namespace, selector, internal)
    view = analysis_view(replace(analysis, findings=tuple(sel.findings(analysis.findings))),
                         sel.paths(analysis.paths))
    cols, _rows = size
    console = Console(record=True, width=cols, file=StringIO(), force_terminal=True,
                      color_system="truecolor", _environ={})
    console.print(view)
    return console.export_svg(title="kpath")
