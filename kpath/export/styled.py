"""Styled text without Rich: what kpath's tables are built of, so that printing one to a
pipe or a file never imports Rich's console (a third of a short `kpath paths` run).

`Styled` keeps a string and its style spans exactly as `rich.text.Text` would for the same
calls (the same control codes dropped, the same spans in the same order), so `to_text()`
gives the `Text` that building it with Rich gives, and a terminal shows the same colours.
A pipe needs only `plain`. Only what the tables use is here: build, append, join.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from kpath.safetext import clean, clean_message

if TYPE_CHECKING:
    from rich.text import Text

#: The control codes `rich.text.Text` drops from every string it is given (BEL, BS, VT,
#: FF, CR): a styled string drops the same, so its plain text is the one Rich prints.
_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))


class Span(NamedTuple):
    start: int
    end: int
    style: str


class Styled:
    """A string with styles over parts of it (``style``: the whole string's)."""

    __slots__ = ("_length", "_parts", "spans", "style")

    def __init__(self, text: str = "", style: str = "") -> None:
        text = text.translate(_STRIPPED)
        self._parts = [text]
        self._length = len(text)
        self.style = style
        self.spans: list[Span] = []

    @property
    def plain(self) -> str:
        if len(self._parts) != 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0]

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return bool(self._length)

    def __repr__(self) -> str:
        return f"Styled({self.plain!r}, {self.style!r})"

    def append(self, text: str, style: str = "") -> Styled:
        """``text`` at the end, in ``style``."""
        if text:
            text = text.translate(_STRIPPED)
            if style:
                self.spans.append(Span(self._length, self._length + len(text), style))
            self._parts.append(text)
            self._length += len(text)
        return self

    def append_text(self, other: Styled) -> Styled:
        """``other`` at the end, its styles kept."""
        at = self._length
        if other.style:
            self.spans.append(Span(at, at + len(other), other.style))
        self._parts.append(other.plain)
        self.spans.extend(Span(s + at, e + at, style) for s, e, style in other.spans)
        self._length += len(other)
        return self

    def join(self, parts: Iterable[Styled]) -> Styled:
        """``parts`` with this between each two (as `rich.text.Text.join`)."""
        out = Styled(style=self.style)
        for n, part in enumerate(parts):
            if n and self._length:
                out.append_text(self)
            out.append_text(part)
        return out

    def to_text(self) -> Text:
        """The same as a Rich `Text` (for a terminal)."""
        from rich.text import Span as RichSpan
        from rich.text import Text

        return Text(
            self.plain,
            style=self.style,
            spans=[RichSpan(s, e, style) for s, e, style in self.spans],
        )


def literal(value: object, style: str = "") -> Styled:
    """One value from the cluster shown exactly (`kpath.safetext.clean`)."""
    return Styled(clean(value), style)


def literal_message(value: object, style: str = "") -> Styled:
    """A composed message (`kpath.safetext.clean_message`)."""
    return Styled(clean_message(value), style)
