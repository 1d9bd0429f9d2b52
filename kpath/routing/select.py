"""kubectl label selectors: parsed once, matched against labels. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from kpath.errors import InputError


def parse_selector(text: str | None) -> list[tuple[str, str, str]]:
    """``a=b,c!=d,e`` → [(key, op, value)]; op is ``=``, ``!=`` or ``exists``."""
    if not text:
        return []
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "!=" in part:
            k, v = part.split("!=", 1)
            out.append((k.strip(), "!=", v.strip()))
        elif "=" in part:
            k, v = part.split("=", 1)
            out.append((k.strip(), "=", v.strip().lstrip("=")))
        elif part.replace("-", "").replace(".", "").replace("/", "").replace("_", "").isalnum():
            out.append((part, "exists", ""))
        else:
            raise InputError(f"label selector {text!r}: cannot read {part!r} "
                             "(use key=value, key!=value or key)")
    return out


def matches(labels: Mapping[str, str], selector: list[tuple[str, str, str]]) -> bool:
    for key, op, value in selector:
        have = labels.get(key)
        if (op == "=" and have != value) or (op == "!=" and have == value) or (
            op == "exists" and have is None
        ):
            return False
    return True
