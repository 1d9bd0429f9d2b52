"""`Styled` builds the same text and spans Rich's `Text` builds from the same calls, so a
terminal shows the same colours and a pipe the same letters."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from kpath.export.styled import Styled, literal, literal_message

PIECE = st.text(st.sampled_from("ab →\r\x07\x08\x0b\x0c\x1b中"), max_size=6)
STYLE = st.sampled_from(["", "dim", "bold red", "cyan"])
#: One call on a text under construction: ("append", str, style) or ("text", str, style,
#: [(str, style)]) for append_text of a built piece, or ("join", sep, [(str, style)]).
CALL = st.one_of(
    st.tuples(st.just("append"), PIECE, STYLE),
    st.tuples(st.just("text"), PIECE, STYLE, st.lists(st.tuples(PIECE, STYLE), max_size=3)),
    st.tuples(st.just("join"), PIECE, st.lists(st.tuples(PIECE, STYLE), max_size=4)),
)


def _built(kind: type, text: str, style: str, parts: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    out = kind(text, style=style)
    for t, s in parts:
        out.append(t, style=s)
    return out


def _same(ours: Styled, theirs: Text) -> None:
    mine = ours.to_text()
    assert mine.plain == theirs.plain == ours.plain
    assert len(ours) == len(theirs) and bool(ours) == bool(theirs)
    assert mine.style == theirs.style
    assert [tuple(s) for s in mine.spans] == [tuple(s) for s in theirs.spans]


@settings(max_examples=300, deadline=None)
@given(PIECE, STYLE, st.lists(CALL, max_size=6))
def test_the_same_calls_give_the_same_text(first: str, style: str, calls: list) -> None:  # type: ignore[type-arg]
    ours, theirs = Styled(first, style), Text(first, style=style)
    for call in calls:
        if call[0] == "append":
            ours.append(call[1], style=call[2])
            theirs.append(call[1], style=call[2])
        elif call[0] == "text":
            ours.append_text(_built(Styled, call[1], call[2], call[3]))
            theirs.append_text(_built(Text, call[1], call[2], call[3]))
        else:
            ours = Styled(call[1]).join([_built(Styled, t, s, []) for t, s in call[2]])
            theirs = Text(call[1]).join([_built(Text, t, s, []) for t, s in call[2]])
        _same(ours, theirs)


def test_values_from_the_cluster_are_escaped_as_safetext_escapes_them() -> None:
    assert literal("a\x1b[31mb").plain == "a\\x1b[31mb"
    assert literal("[red]x", "dim").to_text().style == "dim"
    assert literal_message("bad\nline").plain == "bad\\nline"
