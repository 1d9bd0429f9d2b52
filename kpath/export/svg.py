"""kpath's view rendered headless to SVG: the terminal UI itself, run at a fixed size.

The only module under kpath.export that reaches into kpath.tui (and so textual), and only
when called: importing it costs nothing for the text and JSON commands.
"""

from __future__ import annotations

from kpath.routing.analysis import Analysis


def render_svg(analysis: Analysis, *, namespace: str | None = None, selector: str | None = None,
               internal: bool = False, size: tuple[int, int] = (120, 40),
               service: str | None = None) -> str:
    """The UI's screen as SVG text; ``service`` (``NS/NAME``) is selected first if given."""
    from kpath.tui.snapshot import render_svg as render_tui

    return render_tui(analysis, namespace=namespace, selector=selector, internal=internal,
                      size=size, service=service)
