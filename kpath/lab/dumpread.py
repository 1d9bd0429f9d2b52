"""Read dump files into the lab's `EncodedStore` one object at a time.

A dump at Kubernetes' limits is one JSON List of ~1 GB (`kubectl get … -A -o json`, or
`benchmarks/generate_cluster.py`). Decoding it whole, as `kpath.cluster.dump` does for
analysis, builds the entire tree before the first object can be encoded: several times the
file in memory, which the process then keeps. Here the List's ``items`` array is walked with
the standard decoder one item at a time (`json.JSONDecoder.raw_decode`: the C scanner per
item), and each item is encoded into the store and dropped at once: the peak is about the
file's text plus the stored bytes.

Every other layout (YAML, bundles, bare arrays, several documents, standard input) and any
file the walk cannot read goes to kpath's own dump reader (`kpath.cluster.dump.load_dump`),
which also words the errors. Only kinds the lab serves are stored, from their own API group
(Istio's Gateway is not the Gateway API's); the rest are counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpath.cluster.dump import load_dump
from kpath.cluster.dumpfiles import DumpFile, find_files
from kpath.errors import InputError
from kpath.lab.bytestore import EncodedStore

Obj = dict[str, Any]
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Fallback(Exception):
    """This file is not a plain JSON List the walk reads: the dump reader takes it."""


@dataclass
class ReadResult:
    counts: dict[str, int] = field(default_factory=dict)  # kind → objects stored
    unserved: dict[str, int] = field(default_factory=dict)  # kind → objects not served
    highest_rv: int = 0


def read_into(
    store: EncodedStore, paths: Sequence[str | Path], served: Iterable[tuple[str, str]]
) -> ReadResult:
    """Store the served objects of ``paths``; ``served`` holds (group, kind) pairs."""
    if not paths:
        raise InputError("--dump needs at least one file or directory")
    kinds = frozenset(served)
    result = ReadResult()
    rest: list[str] = []
    for arg in paths:
        files = find_files(arg)
        if not files:
            rest.append(str(arg))  # the dump reader says what is wrong with it
        for dump in files:
            mine = ReadResult()
            try:
                _stream_file(store, dump, kinds, mine)
            except _Fallback:
                # What it stored so far is stored again (the same objects) by the reader.
                rest.append("-" if dump.stdin else str(dump.path))
                continue
            for kind, n in mine.unserved.items():
                result.unserved[kind] = result.unserved.get(kind, 0) + n
            result.highest_rv = max(result.highest_rv, mine.highest_rv)
    store.finish_load()
    if rest:
        _read_rest(store, rest, {k for _, k in kinds}, result)
    result.counts = {k: n for k in sorted(store.kinds()) if (n := store.count(k))}
    return result


def _read_rest(store: EncodedStore, paths: list[str], kinds: set[str], result: ReadResult) -> None:
    raw = load_dump(paths, slim=False)  # the lab serves every field, not only kpath's
    for kind, n in raw.skipped.items():
        result.unserved[kind] = result.unserved.get(kind, 0) + n
    for kind in list(raw.objects):
        objects = raw.objects.pop(kind)
        if kind not in kinds:
            result.unserved[kind] = result.unserved.get(kind, 0) + len(objects)
            continue
        for obj in objects:
            result.highest_rv = max(result.highest_rv, store.add_loaded(kind, obj))
        del objects
    store.finish_load()


def _stream_file(
    store: EncodedStore, dump: DumpFile, kinds: frozenset[tuple[str, str]], result: ReadResult
) -> None:
    if dump.stdin:
        raise _Fallback
    try:
        data = dump.path.read_bytes()
    except OSError as exc:
        raise InputError(f"{dump.label}: cannot read it: {exc.strerror or exc}") from None
    if not data.lstrip()[:1] == b"{":
        raise _Fallback
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Fallback from None
    del data
    try:
        for default_kind, default_version, item, start, end in _list_items(text):
            # The item's own text, as one line: raw newlines in JSON are only whitespace
            # (a newline inside a string is written \n), and a watch event must be one line.
            raw = text[start:end].encode()
            if b"\n" in raw or b"\r" in raw:
                raw = raw.replace(b"\r", b"").replace(b"\n", b"")
            _add(store, item, raw, default_kind, default_version, kinds, result)
    except (ValueError, IndexError):
        raise _Fallback from None  # JSON the walk does not read: the reader words it


def _list_items(text: str) -> Iterator[tuple[str | None, str | None, Any, int, int]]:
    """(the list's item kind, its apiVersion, item, where the item's text starts and ends)
    for each item of a JSON List document (the kind and version None for items that name
    their own). Raises ValueError for anything but one List object."""
    i = _WS.match(text, 0).end()  # type: ignore[union-attr]  # [ \t…]* always matches
    if text[i] != "{":
        raise ValueError("not an object")
    i += 1
    top: dict[str, Any] = {}
    items_seen = False
    pending: list[tuple[Any, int, int]] = []  # items without kind: the list's is read last
    while True:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if text[i] == "}":
            i += 1
            break
        key, i = _DECODER.raw_decode(text, i)
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if text[i] != ":":
            raise ValueError("expected ':'")
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if key == "items" and text[i] == "[":
            items_seen = True
            i += 1
            while True:
                i = _WS.match(text, i).end()  # type: ignore[union-attr]
                if text[i] == "]":
                    i += 1
                    break
                start = i
                item, i = _DECODER.raw_decode(text, i)
                if isinstance(item, dict) and item.get("kind"):
                    yield None, None, item, start, i
                else:
                    pending.append((item, start, i))
                i = _WS.match(text, i).end()  # type: ignore[union-attr]
                if text[i] == ",":
                    i += 1
                elif text[i] != "]":
                    raise ValueError("expected ',' or ']'")
        else:
            top[key], i = _DECODER.raw_decode(text, i)
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if text[i] == ",":
            i += 1
        elif text[i] != "}":
            raise ValueError("expected ',' or '}'")
    if _WS.match(text, i).end() != len(text):  # type: ignore[union-attr]
        raise ValueError("more than one document")
    list_kind = top.get("kind")
    if not items_seen or not isinstance(list_kind, str) or not list_kind.endswith("List"):
        raise ValueError("not a List")
    item_kind = list_kind[:-4] or None
    version = top.get("apiVersion") if item_kind else None
    for item, start, end in pending:
        if item_kind is None:
            raise ValueError("an item without kind")
        yield item_kind, version if isinstance(version, str) else None, item, start, end


def _add(
    store: EncodedStore,
    item: Any,
    raw: bytes | None,
    default_kind: str | None,
    default_version: str | None,
    kinds: frozenset[tuple[str, str]],
    result: ReadResult,
) -> None:
    if not isinstance(item, dict):
        raise ValueError("an item that is not an object")
    kind = item.get("kind") or default_kind
    if not isinstance(kind, str):
        raise ValueError("an item without kind")
    if not item.get("kind"):
        raw = None  # it changes: encoded anew
        item["kind"] = kind
        if default_version and "apiVersion" not in item:
            item["apiVersion"] = default_version
    meta = item.get("metadata")
    if (
        not isinstance(meta, dict)
        or not isinstance(meta.get("name"), str)
        or not meta["name"]
        or not isinstance(meta.get("namespace") or "", str)
    ):
        raise ValueError("an item without a name")
    version = item.get("apiVersion")
    group = version.rpartition("/")[0] if isinstance(version, str) else ""
    if (group, kind) not in kinds:
        shown = f"{kind}.{group}" if group else kind
        shown = shown if shown.replace(".", "").replace("-", "").isalnum() else "unknown"
        result.unserved[shown] = result.unserved.get(shown, 0) + 1
        return
    result.highest_rv = max(result.highest_rv, store.add_loaded(kind, item, raw))
