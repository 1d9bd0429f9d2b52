"""Label and field selectors as the API server reads them (the lab's own small parser)."""

from __future__ import annotations

import re
from typing import Any

Requirement = tuple[str, str, tuple[str, ...]]  # key, operator, values

_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
# A label key: optional DNS-subdomain prefix and "/", then a name (as the API server checks).
_KEY = re.compile(r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")


def _requirement(key: str, op: str, values: tuple[str, ...]) -> Requirement:
    key = key.strip()
    if not _KEY.fullmatch(key):
        raise ValueError(f"invalid label key {key!r} in selector")
    for value in values:
        if not _VALUE.fullmatch(value):
            raise ValueError(f"invalid label value {value!r} in selector")
    return key, op, values


def _split(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_labels(text: str) -> list[Requirement]:
    """``a=b,c!=d,e in (f,g),h notin (i),j,!k`` → requirements; ValueError when malformed."""
    out: list[Requirement] = []
    for part in _split(text):
        m = _SET.match(part)
        if m:
            values = tuple(v.strip() for v in m.group(3).split(",") if v.strip())
            out.append(_requirement(m.group(1), m.group(2), values))
        elif "!=" in part:
            k, v = part.split("!=", 1)
            out.append(_requirement(k, "!=", (v.strip(),)))
        elif "=" in part:
            k, v = part.split("==", 1) if "==" in part else part.split("=", 1)
            out.append(_requirement(k, "=", (v.strip(),)))
        elif part.startswith("!"):
            out.append(_requirement(part[1:], "!exists", ()))
        else:
            out.append(_requirement(part, "exists", ()))
    return out


def parse_fields(text: str) -> list[Requirement]:
    out: list[Requirement] = []
    for part in _split(text):
        if "!=" in part:
            k, v = part.split("!=", 1)
            out.append((k.strip(), "!=", (v.strip(),)))
        elif "=" in part:
            k, v = part.split("==", 1) if "==" in part else part.split("=", 1)
            out.append((k.strip(), "=", (v.strip(),)))
        else:
            raise ValueError(f"invalid field selector: {part!r}")
    return out


def _matches(have: str | None, op: str, values: tuple[str, ...]) -> bool:
    if op == "=":
        return have == values[0]
    if op == "!=":
        return have != values[0]
    if op == "in":
        return have in values
    if op == "notin":
        return have not in values
    if op == "exists":
        return have is not None
    return have is None  # !exists


def label_matches(obj: dict[str, Any], reqs: list[Requirement]) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    return all(_matches(labels.get(k), op, vals) for k, op, vals in reqs)


def field_value(obj: dict[str, Any], path: str) -> str | None:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return None if value is None else str(value)


def field_matches(obj: dict[str, Any], reqs: list[Requirement]) -> bool:
    return all(_matches(field_value(obj, k) or "", op, vals) for k, op, vals in reqs)
