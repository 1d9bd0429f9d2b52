"""Snapshots built from dump files, kept for the next run of a command scripts repeat.

Scripts run `kpath request URL --dump FILE` once per URL, thousands of times, on a dump that
does not change between calls; decoding and parsing it is nearly all of each call's cost.
The snapshot the first call builds is kept in the user's cache directory
(``$KPATH_CACHE_DIR``, else ``$XDG_CACHE_HOME/kpath``, else ``~/.cache/kpath``; an empty
``KPATH_CACHE_DIR`` turns this off), one file per command and set of dump paths, holding the
identity of every file it was built from: kpath's and Python's versions, the size and
modification time of kpath's own reading code (a kpath being worked on changes without a new
version), and each dump file's device, inode, size and modification time in nanoseconds. A
changed file is read again.

Only regular files are cached (not directories, not standard input). The cache holds pickles,
and loading a pickle runs code, so only the user's own cache is trusted: the directory is
made 0700 and its files 0600, and a directory or file that is not the user's own, or that
others may write, is neither read nor written. Every failure here (unreadable, corrupt,
from another version, a full disk) falls back to building the snapshot as if there were no
cache: a cache can make a run faster, never wrong or failing.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kpath import __version__
from kpath.cluster.snapshot import Snapshot

ENV = "KPATH_CACHE_DIR"


def cache_dir() -> Path | None:
    """Where snapshots are kept, or None when caching is off."""
    configured = os.environ.get(ENV)
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kpath"


#: The code that decides what a snapshot holds: the cluster package, and the pruning that
#: `kpath request` applies before building (kpath/routing/answers.py).
_CODE = (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1] / "routing")


def _code_identity() -> tuple[object, ...]:
    files = sorted((*_CODE[0].glob("*.py"), _CODE[1] / "answers.py"))
    out = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        out.append((f.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


def identity(paths: Sequence[str | Path]) -> tuple[object, ...] | None:
    """What must not change for a kept snapshot to hold; None when a path is not a file."""
    parts: list[object] = [__version__, sys.version, _code_identity()]
    for p in paths:
        if str(p) == "-":
            return None
        try:
            st = os.stat(p)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        parts.append((os.path.abspath(p), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(parts)


def _trusted(st: os.stat_result) -> bool:
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _entry(directory: Path, purpose: str, paths: Sequence[str | Path]) -> Path:
    import hashlib  # here and below: a run with the cache off does not import them

    names = "\0".join(os.path.abspath(p) for p in paths)
    digest = hashlib.sha256(f"{purpose}\0{names}".encode("utf-8", "surrogateescape"))
    return directory / f"{purpose}-{digest.hexdigest()[:32]}.pickle"


def _read(file: Path, want: tuple[object, ...]) -> Snapshot | None:
    import pickle

    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            if not (_trusted(os.fstat(f.fileno())) and _trusted(os.stat(file.parent))):
                return None
            kept, snapshot = pickle.load(f)
    except Exception:  # a corrupt or foreign entry is a miss, whatever it raises
        return None
    if kept != want or not isinstance(snapshot, Snapshot):
        return None
    return snapshot


def _write(file: Path, key: tuple[object, ...], snapshot: Snapshot) -> None:
    import pickle
    import tempfile

    directory = file.parent
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(os.stat(directory)):
            return
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((key, snapshot), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, file)  # atomic: a concurrent run reads the old entry or the new
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, pickle.PicklingError, RecursionError):
        return  # best effort: no cache this time


def cached_snapshot(
    paths: Sequence[str | Path], purpose: str, build: Callable[[], Snapshot]
) -> Snapshot:
    """The snapshot ``build()`` makes from the dump ``paths``, kept for the next run of the
    same ``purpose`` (a name for what the command builds) on the same unchanged files."""
    directory = cache_dir()
    key = identity(paths) if directory is not None else None
    if directory is None or key is None:
        return build()
    file = _entry(directory, purpose, paths)
    snapshot = _read(file, key)
    if snapshot is None:
        snapshot = build()
        _write(file, key, snapshot)
    return snapshot
