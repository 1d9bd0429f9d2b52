"""Dump files on disk → decoded documents (plain Python values), nothing more.

This module knows paths, bytes, JSON and YAML. It decides nothing about Kubernetes kinds;
`kpath.cluster.dump` does that. Every failure becomes one-line `InputError` naming the file.

Speed matters for the one big case (a single `kubectl get -o json` List of 100k+ pods):
JSON is decoded with one `json.loads` on the file's bytes, with the cyclic garbage
collector paused while the tree is built (most of CPython's decode time otherwise goes to
the collector walking millions of new dicts).
"""

from __future__ import annotations

import contextlib
import functools
import json
import mmap
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpath.errors import InputError
from kpath.gcpause import GcPause as GcPause  # where dumps are read, as before
from kpath.safetext import clean_message

if TYPE_CHECKING:
    import yaml

JSON_SUFFIXES: frozenset[str] = frozenset({".json"})
YAML_SUFFIXES: frozenset[str] = frozenset({".yaml", ".yml"})
DUMP_SUFFIXES: frozenset[str] = JSON_SUFFIXES | YAML_SUFFIXES
#: The argument that means "read standard input": `kubectl get … -o json | kpath --dump -`.
STDIN = "-"


@functools.cache
def _yaml() -> tuple[Any, type[yaml.SafeLoader], type[yaml.constructor.ConstructorError]]:
    """yaml, the strict loader and its duplicate-key error, imported on first use: PyYAML
    costs a tenth of `kpath request`'s budget to import, and a JSON dump never needs it."""
    import yaml

    from kpath.cluster.yamlstrict import DuplicateKey, StrictLoader

    return yaml, StrictLoader, DuplicateKey


#: YAML aliases share one Python object between places, so a tiny file can describe a huge
#: tree (the "billion laughs"). Any tree bigger than this many values per input byte (plus
#: some slack for honest anchors such as merge-key defaults) is refused.
_YAML_VALUES_PER_BYTE = 4
_YAML_VALUES_SLACK = 10_000

_ARCHIVE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "a gzip archive"),
    (b"PK\x03\x04", "a zip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
)


@dataclass(frozen=True)
class DumpFile:
    """One file to read, and how to name it to the user."""

    path: Path
    label: str
    #: Read standard input instead of `path` (`--dump -`).
    stdin: bool = False


def type_name(value: Any) -> str:
    """How a decoded value's type reads in a message: "a string", "a list", …"""
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "empty (null)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def fail(label: str, what: str) -> InputError:
    """The one-line error for a file: "<file>: <what is wrong>"."""
    # File names and parser messages can carry bytes from a hostile dump.
    return InputError(clean_message(f"{label}: {what}"))


def find_files(arg: str | Path) -> list[DumpFile]:
    """The files one `--dump` argument stands for.

    A file stands for itself (whatever its name: `<(kubectl get … -o json)` has none).
    A directory is walked recursively in sorted order, keeping `.json`, `.yaml` and `.yml`
    files and skipping hidden files and directories. `-` is standard input.
    """
    if isinstance(arg, str) and arg == STDIN:
        return [DumpFile(Path(STDIN), "<stdin>", stdin=True)]
    label = str(arg)
    path = Path(arg)
    try:
        if not path.exists():
            raise fail(label, "no such file")
        if not path.is_dir():
            return [DumpFile(path, label)]
    except OSError as exc:  # a path too long, a loop of symlinks, …
        raise fail(label, f"cannot read: {exc.strerror or exc}") from None
    found: list[tuple[tuple[str, ...], Path]] = []
    # os.walk does not follow directory symlinks, so a loop in a bundle cannot hang us.
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in DUMP_SUFFIXES:
                continue
            full = Path(dirpath, name)
            if full.is_file():  # not a FIFO or device that happens to be called x.json
                found.append((full.relative_to(path).parts, full))
    if not found:
        raise fail(label, "no .json, .yaml or .yml files in this directory")
    found.sort()
    return [DumpFile(full, os.path.join(label, *parts)) for parts, full in found]


#: Above this much input, the loaded objects are moved out of the collector's sight
#: (`gc.freeze()`): see `GcPause`.
FREEZE_BYTES = 8 * 1024 * 1024


#: A faster JSON decoder: the file's bytes (or its mapping) and, for a mapping, a callback
#: that lets go of the pages before an offset; None when it cannot read the file.
Decode = Callable[[bytes | mmap.mmap, Callable[[int], None] | None], list[Any] | None]
#: Files at least this big are mapped rather than read, when ``decode`` is given.
MAP_BYTES = 16 * 1024 * 1024


def read_documents(dump: DumpFile, decode: Decode | None = None) -> tuple[list[Any], int]:
    """Decode a file into its documents (one for JSON, one per `---` for YAML) and its size.

    ``decode``: a faster JSON decoder tried first (`kpath.cluster.typed`); when it returns
    None, the file is decoded with ``json.loads`` as if it had not been tried, so its
    reading and its errors are the standard decoder's. Empty YAML documents (a stray
    `---`) are dropped. The caller should run this under `GcPause()` and drop the result
    when done with it.
    """
    if decode is not None and not dump.stdin:
        mapped = _mapped(dump, decode)
        if mapped is not None:
            return mapped
    data = _read_bytes(dump)
    size = len(data)
    suffix = dump.path.suffix.lower()
    if not _looks_like_json(data):
        if suffix in JSON_SUFFIXES:
            return _misnamed_json(dump.label, data), size
        return _yaml_documents(dump.label, data), size
    if decode is not None:
        docs = decode(data, None)
        if docs is not None:
            return docs, size
    # The big case. Hand the only reference to the bytes over to json.loads, which lets go
    # of them once they are decoded to text: holding on here would keep another copy of a
    # 700 MB file alive while the tree is built (measured: +300 MB peak on a 320 MB file).
    box = [data]
    del data
    try:
        return _json_documents(dump.label, box), size
    except _NotJson as failure:
        if suffix in YAML_SUFFIXES and failure.text is not None:
            # JSON-looking YAML (KYAML flow style without `---`): YAML has the last word.
            return _yaml_documents(dump.label, failure.text), size
        raise failure.error from None


def _mapped(dump: DumpFile, decode: Decode) -> tuple[list[Any], int] | None:
    """A big JSON file decoded from its mapping, the pages already decoded let go of as it
    goes: the peak is the decoded objects plus a window of the file, not the whole file
    beside them. None (read it the usual way, which words any problem) otherwise."""
    try:
        with dump.path.open("rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size < MAP_BYTES:
                return None
            # Private (copy on write): a List's pieces are bracketed in place, the file
            # untouched (see typed._as_array).
            mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    except (OSError, ValueError):
        return None
    released = 0

    def release(upto: int) -> None:
        nonlocal released
        end = upto // mmap.PAGESIZE * mmap.PAGESIZE
        if end > released:
            mapping.madvise(mmap.MADV_DONTNEED, released, end - released)
            released = end

    try:
        head = mapping[:64]
        if not _looks_like_json(head) or any(head.startswith(m) for m, _ in _ARCHIVE_MAGIC):
            return None
        docs = decode(mapping, release)
        return None if docs is None else (docs, info.st_size)
    finally:
        with contextlib.suppress(BufferError):  # a view still held: closed when freed
            mapping.close()


class _NotJson(Exception):
    """JSON decoding failed: the error to report, and the text if it was decoded."""

    def __init__(self, error: InputError, text: str | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.text = text


def _misnamed_json(label: str, data: bytes) -> list[Any]:
    """A .json file that does not start like JSON: often `kubectl get -o yaml > dump.json`.

    Its YAML reading is used if that gives objects; otherwise the JSON problem is reported.
    """
    try:
        return _json_documents(label, [data])
    except _NotJson as failure:
        try:
            docs = _yaml_documents(label, data)
        except InputError:
            raise failure.error from None
        if docs and all(isinstance(doc, dict | list) for doc in docs):
            return docs
        raise failure.error from None


def _read_bytes(dump: DumpFile) -> bytes:
    try:
        data = sys.stdin.buffer.read() if dump.stdin else dump.path.read_bytes()
    except FileNotFoundError:
        raise fail(dump.label, "no such file") from None
    except IsADirectoryError:
        raise fail(dump.label, "is a directory") from None
    except PermissionError:
        raise fail(dump.label, "permission denied") from None
    except MemoryError:
        raise fail(dump.label, "too large to read into memory") from None
    except OSError as exc:
        raise fail(dump.label, f"cannot read: {exc.strerror or exc}") from None
    # isspace() scans without copying; strip() would copy a 700 MB dump.
    if not data or data.isspace():
        raise fail(dump.label, "empty file")
    for magic, what in _ARCHIVE_MAGIC:
        if data.startswith(magic):
            raise fail(dump.label, f"is {what}; unpack it and pass the directory")
    return data


def _looks_like_json(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def _json_documents(label: str, box: list[bytes]) -> list[Any]:
    """Decode JSON bytes taken out of `box` (so that json.loads holds the only reference)."""
    try:
        return [json.loads(box.pop())]
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            # Several JSON values back to back: what `kubectl … -o json` prints for several
            # objects, or one List per namespace appended to one file.
            return _json_stream(label, exc.doc)
        raise _NotJson(_json_error(label, exc), exc.doc) from None
    except UnicodeDecodeError as exc:
        raise _NotJson(fail(label, f"not valid UTF-8 text (byte {exc.start})"), None) from None
    except RecursionError:
        raise fail(label, "JSON nested too deeply") from None
    except MemoryError:
        raise fail(label, "too large to decode in memory") from None
    except ValueError as exc:  # a number of thousands of digits (CPython's int limit)
        raise fail(label, f"not usable JSON: {_one_line(exc)}") from None


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text.split(";")[0][:200]


def _json_stream(label: str, text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    pos, end = 0, len(text)
    ws = " \t\r\n"
    try:
        while True:
            while pos < end and text[pos] in ws:
                pos += 1
            if pos >= end:
                return docs
            doc, pos = decoder.raw_decode(text, pos)
            docs.append(doc)
    except json.JSONDecodeError as exc:
        raise _json_error(label, exc, len(docs) + 1) from None
    except RecursionError:
        raise fail(label, "JSON nested too deeply") from None
    except ValueError as exc:  # a number of thousands of digits (CPython's int limit)
        raise fail(label, f"not usable JSON: {_one_line(exc)}") from None


def _json_error(label: str, exc: json.JSONDecodeError, document: int = 0) -> InputError:
    where = f"document {document}, " if document > 1 else ""
    # A dump cut off mid-copy ends inside a value rather than with a closing bracket.
    starts = exc.doc[:64].lstrip("\ufeff \t\r\n")[:1]
    ends = exc.doc[-64:].rstrip()[-1:]
    hint = " (the file looks truncated)" if starts in ("{", "[") and ends not in ("}", "]") else ""
    # json's message expects its position appended ("Unterminated string starting at").
    msg = exc.msg.removesuffix(" starting at")
    at = f"{where}line {exc.lineno} column {exc.colno}"
    return fail(label, f"not valid JSON at {at}: {msg}{hint}")


def load_yaml(label: str, data: bytes | str) -> list[Any]:
    """YAML text → its documents, guarded as dump files are: the safe loader only (no
    Python tags), no duplicate keys, no alias bombs or self-referencing aliases; empty
    documents dropped. Any problem is one-line `InputError` starting with ``label``."""
    return _yaml_documents(label, data)


def _yaml_documents(label: str, data: bytes | str) -> list[Any]:
    budget = _YAML_VALUES_PER_BYTE * len(data) + _YAML_VALUES_SLACK
    docs: list[Any] = []
    yaml, strict_loader, duplicate_key = _yaml()
    try:
        # yaml.load_all with a safe loader is what yaml.safe_load_all does, but lets us pick
        # the C implementation.
        for doc in yaml.load_all(data, Loader=strict_loader):
            if doc is None:
                continue
            budget = _spend(label, doc, budget)
            docs.append(doc)
    except yaml.reader.ReaderError as exc:
        raise fail(label, f"not valid YAML text at byte {exc.position}: {exc.reason}") from None
    except duplicate_key as exc:
        raise fail(
            label,
            f"{exc.problem} {_mark(exc)}"  # the problem names the key
            "(objects pasted one after another need '---' between them)",
        ) from None
    except yaml.constructor.ConstructorError as exc:
        problem = exc.problem or ""
        tag = problem.partition("for the tag ")[2]
        if tag:  # !!python/object and friends: the safe loader refuses to build them
            raise fail(label, f"YAML tag {tag} {_mark(exc)}is not allowed") from None
        raise fail(label, f"YAML {_mark(exc)}is not usable: {problem}") from None
    except yaml.MarkedYAMLError as exc:
        raise fail(label, f"not valid YAML {_mark(exc)}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise fail(label, f"not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise fail(label, "YAML nested too deeply") from None
    except MemoryError:
        raise fail(label, "too large to decode in memory") from None
    except ValueError as exc:  # a number of thousands of digits (CPython's int limit)
        raise fail(label, f"not usable YAML: {_one_line(exc)}") from None
    return docs


def _mark(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return ""
    return f"at line {mark.line + 1} column {mark.column + 1} "


def _spend(label: str, doc: Any, budget: int) -> int:
    """Count the values in a YAML tree as if aliases were expanded; refuse alias bombs.

    Walks iteratively (no recursion) and stops as soon as the budget is spent, so a
    self-referencing alias (`&a [*a]`) ends here too.
    """
    stack = [doc]
    while stack:
        value = stack.pop()
        budget -= 1
        if budget < 0:
            raise fail(
                label,
                "YAML aliases expand to far more data than the file holds "
                "(an alias bomb or a self-referencing alias)",
            )
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return budget
