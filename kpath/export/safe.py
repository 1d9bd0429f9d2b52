"""Cluster text made safe to show: literal, never markup, never a terminal escape.

Names, labels, annotations and hosts come from whoever could create objects in the cluster.
Rich's `Text` already keeps ``[red]`` literal; it does not strip ESC or other control
characters, so they are replaced here by visible escapes (``\\x1b``).
"""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def clean(value: object) -> str:
    """The value as one printable line: control characters shown as ``\\xNN`` escapes."""
    text = str(value)
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text).replace("\n", "\\n")


def literal(value: object, style: str = "") -> Text:
    """A Rich `Text` that shows the value exactly, whatever brackets it contains."""
    return Text(clean(value), style=style)
