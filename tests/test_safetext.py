"""The sanitiser on its own: what it escapes, how, that it loses nothing, and that it is fast."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.safetext import UNSAFE_RANGES, clean, clean_message, is_clean, literal
from tests.hostile import HOSTILE

_ESCAPE = re.compile(r"\\(\\|n|r|t|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")
_NAMED = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def unclean(shown: str) -> str:
    """Read `clean`'s output back: the rule a person reading it applies (docs in the module)."""
    if not _ESCAPE.search(shown):
        return shown  # nothing that reads as an escape: shown as it is
    return _ESCAPE.sub(lambda m: _NAMED.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), shown)


def test_the_table_is_exactly_the_invisible_and_control_characters() -> None:
    table = {c for a, b in UNSAFE_RANGES for c in range(a, b + 1)}
    fillers = {0x115F, 0x1160, 0x3164, 0xFFA0}  # Hangul fillers: letters that draw nothing
    wanted = {
        c
        for c in range(0x110000)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        or 0xFDD0 <= c <= 0xFDEF
        or (c & 0xFFFE) == 0xFFFE
    } | fillers
    assert table == wanted, sorted(table ^ wanted)[:20]


def test_the_issues_examples_show_as_escapes() -> None:
    assert clean("svc\u202egnp.exe\u202c") == "svc\\u202egnp.exe\\u202c"
    assert clean("x\nkpath: error: fake") == "x\\nkpath: error: fake"
    assert clean("\x1b]52;c;aGk=\x07") == "\\x1b]52;c;aGk=\\x07"
    assert clean("a\tb\rc\x00\x7f\x9b") == "a\\tb\\rc\\x00\\x7f\\x9b"
    assert clean("zw\u200b\u200d\ufeff") == "zw\\u200b\\u200d\\ufeff"
    assert clean("tag\U000e0041") == "tag\\U000e0041"


def test_ordinary_text_is_kept_as_it_is() -> None:
    for text in (
        "web",
        "[bold red]x[/]",
        "x<>&\"'y",
        "\U0001f40d",
        "e\u0301",
        "שלום",
        "C:\\dir",
        "\\d+",
        "l" * 300,
        "",
    ):
        assert clean(text) == text
        assert clean_message(text) == text


def test_a_backslash_that_reads_as_an_escape_is_doubled() -> None:
    # Typed literally, "a\x1b" must not look like a name holding ESC.
    assert clean("a\\x1b") == "a\\\\x1b"
    assert clean("a\x1b") == "a\\x1b"
    # Once a string is escaped, every backslash in it is doubled.
    assert clean("C:\\dir\x07") == "C:\\\\dir\\x07"
    assert clean("\x1b\\") == "\\x1b\\\\"  # OSC's string terminator ESC \


def test_messages_keep_their_backslashes() -> None:
    # A message quotes its values already (repr or clean): the guard only escapes.
    esc, rlo = "a\x1b", "b\u202e"
    message = f"unknown service {esc!r} (services in x: {clean(rlo)})"
    assert clean_message(message) == message
    assert clean_message("one\ntwo \x1b") == "one\\ntwo \\x1b"


def test_literal_is_text_not_markup() -> None:
    text = literal("[bold red]x[/]\x1b", "dim")
    assert text.plain == "[bold red]x[/]\\x1b" and not text.spans and str(text.style) == "dim"


@settings(max_examples=500, derandomize=True)
@given(st.text(alphabet=st.characters(codec=None), max_size=40))
def test_clean_loses_nothing_and_shows_nothing_raw(text: str) -> None:
    shown = clean(text)
    assert is_clean(shown)
    assert unclean(shown) == text  # never two names shown alike
    assert is_clean(clean_message(text))
    assert clean_message(clean_message(text)) == clean_message(text)


@settings(max_examples=200, derandomize=True)
@given(
    st.lists(st.sampled_from([t for _, t in HOSTILE] + ["\\", "x", "u", "n", "a"]), max_size=6).map(
        "".join
    )
)
def test_hostile_pieces_put_together_round_trip(text: str) -> None:
    assert unclean(clean(text)) == text and is_clean(clean(text))


def test_ordinary_names_take_the_fast_path() -> None:
    # The TUI cleans every cell of 10,000 rows: a plain name comes back as the same object,
    # one regex search and no copy (benchmarks/sanitise.py measures the cost).
    for name in ("shop/web", "node-a.eu-west-1.compute.internal", "http:80/TCP"):
        assert clean(name) is name and clean_message(name) is name


def test_importing_it_loads_no_renderer() -> None:
    # routing and cluster use it too, and never load rich (tests/test_layering.py).
    code = (
        "import sys, kpath.safetext\n"
        "assert not {'rich', 'textual'} & {m.split('.')[0] for m in sys.modules}, 'loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
