"""Cluster text made safe to show: the one sanitiser for every output kpath writes.

Names, labels, annotations, hosts and the servers' own messages come from whoever could
create objects in the cluster or write the dump. Shown raw, an ESC starts a terminal
sequence (OSC 52 overwrites the clipboard), a newline forges an output line
(``kpath: error: fake``), a bidi override shows ``svc\\u202egnp.exe\\u202c`` as
``svcexe.png``, and XML 1.0 cannot hold most C0 controls at all. Every such character is
shown as a visible escape, the way a Python string literal spells it:

- C0 controls and DEL, C1 controls: ``\\n``, ``\\r``, ``\\t`` (a TAB would misalign a
  table column, so it is escaped too), else ``\\x1b``, ``\\x7f``, ``\\x9b``;
- format characters (Unicode category Cf: bidi embeddings, overrides, isolates and marks,
  zero-width space/joiners, word joiner, BOM, soft hyphen, tag characters), line and
  paragraph separators, lone surrogates, noncharacters and the invisible Hangul fillers:
  ``\\u202e``, ``\\u200b``, ``\\U000e0041``.

Everything else (non-ASCII letters, emoji, combining marks, ``[red]``, ``<&>``) is kept.

Unambiguous: a string is shown unchanged unless it holds a character above *or* a backslash
that would read as an escape (followed by ``\\``, ``x``, ``u``, ``U``, ``n``, ``r`` or ``t``).
Such a string is shown escaped, with every backslash doubled: ``a\\x1b`` typed literally
shows as ``a\\\\x1b``, a real ESC as ``a\\x1b``, and a plain ``C:\\dir`` or ``\\d+`` stays
as it is. So `clean` never maps two strings to one; it is applied once, to a value.

`clean_message` is for a message already composed for the user (values quoted with
`repr` or `clean`): it escapes the same characters but leaves backslashes alone, so it can
be the last guard before stderr or a toast without doubling what the message already
escaped. JSON output keeps the original strings (its own escaping is enough; docs/json.md).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich only when a Text is asked for: routing and cluster import this too
    from rich.text import Text

#: Code point ranges shown escaped (inclusive). Unicode 14 categories Cc, Cf, Cs, Zl, Zp,
#: the noncharacters, and the Hangul fillers (letters that draw nothing). A unit test checks
#: this table against the running Python's unicodedata.
UNSAFE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F),
    (0x007F, 0x009F),
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x3164, 0x3164),
    (0xD800, 0xDFFF),
    (0xFDD0, 0xFDEF),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0xFFFE, 0xFFFF),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    *((plane + 0xFFFE, plane + 0xFFFF) for plane in range(0x10000, 0x110000, 0x10000)),
)

#: Backslash followed by what an escape starts with: such a string must be shown escaped.
_ESCAPE_LIKE = r"\\[\\xuUnrt]"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(unsafe, needs escaping, to escape), compiled when first needed: almost every name
    takes the fast path, and compiling them is a tenth of a `kpath request` process's
    imports."""
    cls = "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in UNSAFE_RANGES)
    return (
        re.compile(f"[{cls}]"),
        re.compile(f"[{cls}]|{_ESCAPE_LIKE}"),
        re.compile(f"[{cls}\\\\]"),
    )


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
#: The only escaped characters `str.isprintable` accepts (Lo letters that draw nothing).
_PRINTABLE_UNSAFE = re.compile("[\u115f\u1160\u3164\uffa0]")


def _plain(text: str) -> bool:
    """The fast path, in C: printable (no Cc, Cf, Cs, Zl, Zp, Cn) and no filler."""
    return text.isprintable() and (text.isascii() or _PRINTABLE_UNSAFE.search(text) is None)


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _escape_match(match: re.Match[str]) -> str:
    return _escape(match.group())


def clean(value: object) -> str:
    """One value (a name, a label, a host) as visible, unambiguous text on one line."""
    text = value if isinstance(value, str) else str(value)
    if "\\" not in text and _plain(text):
        return text  # the fast path first: almost every name
    _, needs_escaping, to_escape = _patterns()
    if needs_escaping.search(text) is None:
        return text
    return to_escape.sub(_escape_match, text)


def clean_message(value: object) -> str:
    """A composed message on one line: unsafe characters escaped, backslashes kept."""
    text = value if isinstance(value, str) else str(value)
    if _plain(text):
        return text
    unsafe = _patterns()[0]
    if unsafe.search(text) is None:
        return text
    return unsafe.sub(_escape_match, text)


def is_clean(text: str) -> bool:
    """True when the text holds no character this module would escape."""
    return _plain(text) or _patterns()[0].search(text) is None


def literal(value: object, style: str = "") -> Text:
    """A Rich `Text` that shows one value exactly, whatever brackets or controls it holds."""
    from rich.text import Text

    return Text(clean(value), style=style)


def literal_message(value: object, style: str = "") -> Text:
    """A Rich `Text` for a composed message (see `clean_message`)."""
    from rich.text import Text

    return Text(clean_message(value), style=style)
