"""Label and field selectors as the API server reads them (the lab's own small parser)."""

from __future__ import annotations

import re
from typing import Any

Requirement = tuple[str, str, tuple[str, ...]]  # key, operator, values

# One requirement at a time, as the API server reads `labelSelector` (apimachinery's
# grammar; this is the lab's own reading, kept apart from kpath's client-side parser so
# each checks the other): `k in (a,b)`, `k notin (a)`, `k=v`, `k==v`, `k!=v`, `k>1`, `k<1`,
# `k`, `!k`. Whitespace is any of apimachinery's (space, tab, CR, LF).
_W = r"[^\s=!(),<>]+"
_SET = re.compile(rf"^\s*({_W})\s*(in|notin)\s*\(([^()]*)\)\s*$")
_EQ = re.compile(rf"^\s*({_W})\s*(==|=|!=)\s*({_W})?\s*$")
_CMP = re.compile(rf"^\s*({_W})\s*([<>])\s*([-+]?[0-9]+)\s*$")
_HAS = re.compile(rf"^\s*(!?)\s*({_W})\s*$")
# A label key: optional DNS-subdomain prefix (≤253) and "/", then a name (≤63).
_PREFIX = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")


def _valid_key(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and not (
        prefix
        and len(prefix) <= 253
        and _PREFIX.fullmatch(prefix)
        and all(len(p) <= 63 for p in prefix.split("."))
    ):
        return False
    return len(name) <= 63 and bool(_NAME.fullmatch(name))


def _valid_value(value: str) -> bool:
    return value == "" or (len(value) <= 63 and bool(_NAME.fullmatch(value)))


def _requirement(key: str, op: str, values: tuple[str, ...]) -> Requirement:
    if not _valid_key(key):
        raise ValueError(f"invalid label key {key!r} in selector")
    for value in values:
        if not _valid_value(value):
            raise ValueError(f"invalid label value {value!r} in selector")
    return key, op, values


def _split(text: str) -> list[str]:
    """Split on commas that are not inside parentheses; an empty part is an error."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0 or depth > 1:
            raise ValueError(f"unbalanced parentheses in selector {text!r}")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    if len(parts) == 1 and not parts[0].strip():
        return []
    if any(not p.strip() for p in parts):
        raise ValueError(f"empty requirement in selector {text!r}")
    return parts


def parse_labels(text: str) -> list[Requirement]:
    """``a=b,c!=d,e in (f,g),h notin (i),j,!k,n>1`` → requirements; ValueError when
    malformed (the server answers 400)."""
    out: list[Requirement] = []
    for part in _split(text):
        if m := _SET.match(part):
            values = tuple(v.strip() for v in m.group(3).split(","))
            if any(re.search(r"\s", v) for v in values):
                raise ValueError(f"values of {m.group(1)!r} need commas between them")
            out.append(_requirement(m.group(1), m.group(2), values))
        elif m := _EQ.match(part):
            op = "=" if m.group(2) == "==" else m.group(2)
            out.append(_requirement(m.group(1), op, (m.group(3) or "",)))
        elif m := _CMP.match(part):
            out.append(_requirement(m.group(1), "gt" if m.group(2) == ">" else "lt", (m.group(3),)))
        elif m := _HAS.match(part):
            out.append(_requirement(m.group(2), "!exists" if m.group(1) else "exists", ()))
        else:
            raise ValueError(f"cannot parse {part.strip()!r} in selector")
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
    if op in ("gt", "lt"):
        if have is None or not re.fullmatch(r"[-+]?[0-9]+", have):
            return False
        return int(have) > int(values[0]) if op == "gt" else int(have) < int(values[0])
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
