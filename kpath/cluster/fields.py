"""Typed readers for API dicts, shared by every parser (`parse.py`, `parse_gateway.py`,
`parse_netpol.py`).

The rules are `parse.py`'s: ``null`` or a missing key is the field's absence; a value of
the wrong type raises `BadField` naming the field path, which the snapshot builder turns
into one `InputError` line naming the object.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from kpath.cluster.dumpfiles import type_name
from kpath.cluster.records import LabelSelector, SelectorRequirement

_EMPTY: dict[str, Any] = {}
_intern = sys.intern

Where = tuple[str | int, ...]
#: Types a field may hold: the hot parsers (pods, endpoints) check a whole group of fields
#: against these at once and only call the precise readers below when one is wrong.
_STRISH = frozenset({str, type(None)})
_BOOLISH = frozenset({bool, type(None)})


class BadField(Exception):
    """A field kpath reads holds a value of the wrong type (or out of range)."""

    def __init__(self, where: Where, value: Any, wanted: str) -> None:
        found = (
            "is missing"
            if value is None
            else "is empty"
            if value == ""
            else f"is {_shown(value)}, not {wanted}"
        )
        super().__init__(f"{field_path(where)} {found}")
        self.where = where
        self.value = value
        self.wanted = wanted


def field_path(where: Where) -> str:
    """``("spec", "rules", 0, "host")`` → ``spec.rules[0].host``."""
    out = ""
    for part in where:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part or "/" in part:
            out += f"[{part!r}]"  # a label key: metadata.labels['kubernetes.io/service-name']
        else:
            out += f".{part}" if out else part
    return out


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return "a number" if -(10**12) < value < 10**12 else "a number too large"
    return type_name(value)


# ---------------------------------------------------------------- typed reads
# Each takes the value and where it is (only turned into text on failure: these run once
# per field of every pod of a 150,000-pod cluster).


def _map(value: Any, *where: str | int) -> Mapping[str, Any]:
    if value is None:
        return _EMPTY
    if type(value) is dict:
        return value
    raise BadField(where, value, "a mapping")


def _list(value: Any, *where: str | int) -> list[Any] | tuple[()]:
    if value is None:
        return ()
    if type(value) is list:
        return value
    raise BadField(where, value, "a list")


def _maps(value: Any, *where: str | int) -> list[Mapping[str, Any]] | tuple[()]:
    """A list of mappings (a ``null`` item is an empty one, as Go decodes it)."""
    items = _list(value, *where)
    for item in items:
        if type(item) is not dict:
            return [_map(x, *where, i) for i, x in enumerate(items)]
    return items


def _str(value: Any, *where: str | int) -> str | None:
    if value is None or type(value) is str:
        return value
    raise BadField(where, value, "a string")


def _strs(value: Any, *where: str | int) -> tuple[str, ...]:
    """A list of strings; ``null`` items are left out."""
    items = _list(value, *where)
    for i, item in enumerate(items):
        if type(item) is not str:
            if item is not None:
                raise BadField((*where, i), item, "a string")
            return tuple(x for n, x in enumerate(items) if _str(x, *where, n) is not None)
    return tuple(items)


def _bool(value: Any, *where: str | int) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise BadField(where, value, "true or false")


def _port(value: Any, *where: str | int, low: int = 1) -> int | None:
    """A port number (``low`` is 0 for node ports, where 0 means none)."""
    if value is None:
        return None
    if type(value) is int and low <= value <= 65535:
        return value
    raise BadField(where, value, f"a port number ({low}-65535)")


def _labels(value: Any, *where: str | int) -> Mapping[str, str]:
    """A map of strings to strings (labels, annotations, a selector)."""
    raw = _map(value, *where)
    for k, v in raw.items():
        if type(v) is not str or type(k) is not str:
            return {_label_key(k, where): _str(x, *where, k) or "" for k, x in raw.items()}
    return raw


def _label_key(key: Any, where: Where) -> str:
    if type(key) is not str:
        raise BadField((*where, repr(key)), key, "a string (as a key)")
    return key


def _selector(raw: Any, *where: str | int) -> LabelSelector | None:
    """A metav1.LabelSelector; None when absent (an empty one selects everything)."""
    if raw is None:
        return None
    sel = _map(raw, *where)
    labels = _labels(sel.get("matchLabels"), *where, "matchLabels")
    exprs = tuple(
        SelectorRequirement(
            _str(e.get("key"), *where, "matchExpressions", i, "key") or "",
            _str(e.get("operator"), *where, "matchExpressions", i, "operator") or "",
            _strs(e.get("values"), *where, "matchExpressions", i, "values"),
        )
        for i, e in enumerate(_maps(sel.get("matchExpressions"), *where, "matchExpressions"))
    )
    return LabelSelector(tuple(sorted(labels.items())), exprs)


def _meta(obj: Mapping[str, Any], namespaced: bool = True) -> tuple[Mapping[str, Any], str, str]:
    """The object's metadata, namespace ("default" when unset) and name."""
    meta = obj.get("metadata")
    if type(meta) is not dict:
        meta = _map(meta, "metadata")
    name = meta.get("name", "")  # absent and empty are both refused below
    namespace = meta.get("namespace") if namespaced else None
    if type(name) is not str or not name or type(namespace) not in _STRISH:
        if not _str(name, "metadata", "name"):
            raise BadField(("metadata", "name"), None, "a name")
        _str(namespace, "metadata", "namespace")
    if not namespaced:
        return meta, "", name
    return meta, _intern(namespace or "default"), name
