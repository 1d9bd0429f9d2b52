"""A request's answers drawn as paths: entry, route with the matching rule marked, outcome
and backends, left to right in boxes like the path view's. Renders `request_view` records."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text
from textual.widgets import Static

from kpath.safetext import literal
from kpath.tui.boxes import Lines, box, column_widths, hstack
from kpath.tui.request_view import AnswerView, Box
from kpath.tui.styles import HOP_LOOK, SEVERITY_LOOK, HopState, glyphs

_ARROWS = {HopState.DROP: glyphs("─✗"), HopState.REJECT: glyphs("─⊘")}
MATCHED = glyphs("▶")


def _arrow(state: HopState) -> Lines:
    return [Text(""), Text(_ARROWS.get(state, glyphs("─▶")), style=HOP_LOOK[state].style)]


def _title(b: Box) -> Text:
    look = HOP_LOOK[b.state]
    text = Text(f"{look.glyph} ", style=look.style)
    text.append_text(literal(b.title, "bold"))
    return text


def _box(b: Box, width: int, console: Console, extra: Sequence[Text] = ()) -> Lines:
    body = [_title(b), *(literal(line) for line in b.lines), *extra]
    return box(body, width, HOP_LOOK[b.state].style, console)


def route_body(v: AnswerView) -> list[Text]:
    """The route's rules: the one that matched marked and reversed, the others dim."""
    out = []
    for rule in v.rules:
        if rule.matched:
            line = Text(f"{MATCHED} ", style="bold reverse")
            line.append_text(literal(rule.text, "bold reverse"))
        else:
            line = literal("  " + rule.text, "dim")
        out.append(line)
    if v.more_rules:
        out.append(Text(f"  +{v.more_rules} more rules", style="dim"))
    return out


WIDE = 100  # from this many columns the boxes stand side by side; below, one under another


def answer_lines(v: AnswerView, width: int, console: Console) -> Lines:
    look = HOP_LOOK[v.state]
    head = Text(f"{look.glyph} ", style=look.style)
    head.append_text(literal(v.title, "bold"))
    lines = [head, *(_across(v, width, console) if width >= WIDE else _down(v, width, console))]
    for f in v.findings:
        sev = SEVERITY_LOOK[f.severity]
        line = Text(f"{sev.glyph} {f.code} ", style=sev.style)
        line.append_text(literal(f.message))
        lines += list(line.wrap(console, max(1, width)))
    return lines


def _across(v: AnswerView, width: int, console: Console) -> Lines:
    """client ─▶ entry ─▶ route and rules ─▶ outcome over the backends."""
    widths = column_widths(width)
    _, _, entry_w, _, route_w, _, result_w = widths
    result = _box(v.outcome, result_w, console)
    for b in v.backends:
        result += _box(b, result_w, console)
    client = [Text(""), Text("client", style="bold")]
    return hstack(
        [
            client,
            _arrow(v.entry.state),
            _box(v.entry, entry_w, console),
            _arrow(v.route.state),
            _box(v.route, route_w, console, route_body(v)),
            _arrow(v.outcome.state),
            result,
        ],
        widths,
    )


def _down(v: AnswerView, width: int, console: Console) -> Lines:
    """The same boxes one under another, each behind its arrow: 80 columns read well."""
    inner = max(20, width - 3)
    out = [Text("client", style="bold")]
    entry = v.entry._replace(lines=(" · ".join(v.entry.lines),))  # one line: rows are few
    steps = [(entry, ()), (v.route, route_body(v)), (v.outcome, ())]
    steps += [(b, ()) for b in v.backends]
    for b, extra in steps:
        out += hstack([_arrow(b.state), _box(b, inner, console, extra)], [3, inner])
    return out


class AnswerPane(Static):
    """The answers of the last request, redrawn at the pane's width."""

    DEFAULT_CSS = "AnswerPane { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._views: list[AnswerView] = []

    def show(self, views: Sequence[AnswerView]) -> None:
        self._views = list(views)
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.content_region.width or self.app.size.width - 4
        lines: Lines = []
        for n, v in enumerate(self._views):
            lines += [Text("")] if n else []
            lines += answer_lines(v, width, self.app.console)
        self.update(Text("\n").join(lines))
