"""JSON documents as kpath prints them (``-o json``): indented by two, ASCII only.

``json.dumps(doc, indent=2)`` falls back to the pure-Python encoder whenever ``indent`` is
set: 9 s of a 12 s `kpath paths -A -o json` at 15,000 pods went to it. The C encoder writes
the compact text (same escapes, same numbers) and msgspec lays it out with the same
indentation, byte for byte the same document, written as bytes piece by piece (a 20 MB
document is never held whole as text, compact and laid out).

A `kpath.paths/v1` document is encoded by msgspec too (six times json's speed on its
15 MB at 1/10 scale), escaped afterwards as json escapes: the two write the same text but
for non-ASCII characters and DEL (msgspec writes them raw) and for floats (exponents, NaN),
and the only floats that document holds are shares rounded to four places in [0, 1],
which both write alike. Any other document (a probe report too: its latencies and timeouts
are any float) is encoded by json alone.

A small document (one verdict, one request's answer, the paths of a small dump) is written
by ``json.dumps(doc, indent=2)`` itself while msgspec is not loaded: its pure-Python
encoder lays out a few kilobytes in well under a millisecond, importing msgspec costs ten
(a tenth of a `kpath reach` answered from a kept snapshot).
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

#: Documents whose floats are all shares rounded to four places in [0, 1] (kpath.export.
#: jsonout's `_share`): msgspec may encode them.
ROUNDED_FLOATS = frozenset({"kpath.paths/v1"})
#: Top-level keys that add floats of any kind to such a document (`probejson.add_observed`).
ANY_FLOATS = ("probe",)
#: The compact text of a document at most this long is laid out by json alone while
#: msgspec is not loaded (see the module's note): about a millisecond of json's indenting.
SMALL_TEXT = 64 * 1024


def _json_escape(err: UnicodeError) -> tuple[str, int]:
    """``\\uXXXX`` for what ASCII cannot hold, as ``json.dumps`` escapes it (UTF-16 pairs
    past the first plane, lower-case hexadecimal)."""
    assert isinstance(err, UnicodeEncodeError)
    out = []
    for ch in err.object[err.start : err.end]:
        n = ord(ch)
        if n > 0xFFFF:
            n -= 0x10000
            out.append(f"\\u{0xD800 | (n >> 10):04x}\\u{0xDC00 | (n & 0x3FF):04x}")
        else:
            out.append(f"\\u{n:04x}")
    return "".join(out), err.end


codecs.register_error("kpath.json-escape", _json_escape)


def _compact(doc: Any, rounded_floats: bool) -> bytes:
    """``json.dumps(doc).encode()`` up to whitespace between tokens; by msgspec when the
    document's floats allow it (see the module's note)."""
    if rounded_floats:
        import msgspec

        try:
            out = msgspec.json.encode(doc)
        except (TypeError, ValueError, OverflowError):  # lone surrogates, huge ints, ...
            return json.dumps(doc).encode()
        if not out.isascii():  # raw UTF-8, inside strings only: escaped as json does
            out = out.decode().encode("ascii", "kpath.json-escape")
        if b"\x7f" in out:  # DEL, raw inside strings
            out = out.replace(b"\x7f", b"\\u007f")
        return out
    return json.dumps(doc).encode()  # ASCII: json escapes the rest


def indented_bytes(doc: Any, rounded_floats: bool = False) -> bytes:
    """``json.dumps(doc, indent=2).encode()``, fast. ``rounded_floats``: every float in
    ``doc`` is a share rounded to four places in [0, 1] (see the module's note)."""
    import msgspec

    compact = _compact(doc, rounded_floats)
    try:
        return msgspec.json.format(compact, indent=2)
    except msgspec.DecodeError:  # NaN or Infinity, which json writes and msgspec refuses
        return json.dumps(doc, indent=2).encode()


def indented(doc: Any) -> str:
    """``json.dumps(doc, indent=2)``, fast."""
    return indented_bytes(doc).decode()


def _item_view(item: Any, rounded_floats: bool) -> memoryview:
    """``indented_bytes(item)`` as an item of a top-level key's list: every line four
    spaces in, as the document holds it. Laid out there by msgspec itself (inside two
    lists, whose brackets are left out of the view) rather than by a pass over its text
    to indent each line, a copy of a 15 MB document at 1/10 scale."""
    laid = indented_bytes([[item]], rounded_floats)  # b"[\n  [\n" ... b"\n  ]\n]"
    return memoryview(laid)[6:-6]


def chunks(doc: Any) -> Iterator[bytes | memoryview]:
    """``indented_bytes(doc)`` in pieces: a top-level list's items one at a time, so a big
    document (15,000 paths) is never held as text whole, twice (compact, then laid out)."""
    if not isinstance(doc, dict) or not doc or not all(type(k) is str for k in doc):
        yield indented_bytes(doc)
        return
    rounded = doc.get("schema") in ROUNDED_FLOATS and not any(k in doc for k in ANY_FLOATS)
    sep = b"{\n"
    for key, value in doc.items():
        yield sep + b"  " + json.dumps(key).encode() + b": "
        sep = b",\n"
        if type(value) is list and value:
            item_sep = b"[\n"
            for item in value:
                yield item_sep
                yield _item_view(item, rounded)
                item_sep = b",\n"
            yield b"\n  ]"
        else:
            # JSON text has no newline but between lines (strings escape theirs).
            yield indented_bytes(value, rounded).replace(b"\n", b"\n  ")
    yield b"\n}"


def _small(doc: Any) -> bool:
    """Whether json itself should lay ``doc`` out (see the module's note). For a large
    document while msgspec is not loaded, this costs one pass of json's C encoder."""
    if "msgspec" in sys.modules:
        return False  # loaded already (typed decoding): laying out is free
    try:
        return len(json.dumps(doc)) <= SMALL_TEXT
    except (TypeError, ValueError, RecursionError):  # unserialisable: as msgspec's path says
        return False


def write_json(doc: Any, out: TextIO) -> None:
    """The document and a newline on ``out``, as ``out.write(indented(doc) + "\\n")``."""
    if _small(doc):
        out.write(json.dumps(doc, indent=2) + "\n")
        out.flush()  # as below: a closed pipe is said here, not at exit
        return
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        out.write(indented(doc) + "\n")
        return
    out.flush()  # what was written as text goes first
    for piece in chunks(doc):
        buffer.write(piece)
    buffer.write(b"\n")
    buffer.flush()
