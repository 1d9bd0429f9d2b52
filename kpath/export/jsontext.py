"""JSON documents as kpath prints them (``-o json``): indented by two, ASCII only.

``json.dumps(doc, indent=2)`` falls back to the pure-Python encoder whenever ``indent`` is
set: 9 s of a 12 s `kpath paths -A -o json` at 15,000 pods went to it. The C encoder writes
the compact text (same escapes, same numbers) and msgspec lays it out with the same
indentation, byte for byte the same document, written as bytes piece by piece (a 20 MB
document is never held whole as text, compact and laid out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO


def indented_bytes(doc: Any) -> bytes:
    """``json.dumps(doc, indent=2).encode()``, fast."""
    import msgspec

    compact = json.dumps(doc).encode()  # ASCII: json escapes the rest
    try:
        return msgspec.json.format(compact, indent=2)
    except msgspec.DecodeError:  # NaN or Infinity, which json writes and msgspec refuses
        return json.dumps(doc, indent=2).encode()


def indented(doc: Any) -> str:
    """``json.dumps(doc, indent=2)``, fast."""
    return indented_bytes(doc).decode()


def chunks(doc: Any) -> Iterator[bytes]:
    """``indented_bytes(doc)`` in pieces: a top-level list's items one at a time, so a big
    document (15,000 paths) is never held as text whole, twice (compact, then laid out)."""
    if not isinstance(doc, dict) or not doc or not all(type(k) is str for k in doc):
        yield indented_bytes(doc)
        return
    sep = b"{\n"
    for key, value in doc.items():
        yield sep + b"  " + json.dumps(key).encode() + b": "
        sep = b",\n"
        if type(value) is list and value:
            item_sep = b"[\n"
            for item in value:
                # JSON text has no newline but between lines (strings escape theirs).
                yield item_sep + b"    " + indented_bytes(item).replace(b"\n", b"\n    ")
                item_sep = b",\n"
            yield b"\n  ]"
        else:
            yield indented_bytes(value).replace(b"\n", b"\n  ")
    yield b"\n}"


def write_json(doc: Any, out: TextIO) -> None:
    """The document and a newline on ``out``, as ``out.write(indented(doc) + "\\n")``."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        out.write(indented(doc) + "\n")
        return
    out.flush()  # what was written as text goes first
    for piece in chunks(doc):
        buffer.write(piece)
    buffer.write(b"\n")
    buffer.flush()
