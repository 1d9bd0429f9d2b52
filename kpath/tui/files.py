"""Where `s` and `e` write: one file, and one line for the user when that fails.

The directory (`save_dir`): ``$KPATH_SAVE_DIR`` when set, else the current directory when a
file can be created there, else the system's temporary directory (``$TMPDIR``, else
``/tmp``), and the toast says why it went there. The name (`file_stem`):
``kpath-<context>-<YYYYmmdd-HHMMSS>``, with ``kpath-`` said once.

A full disk, a deleted or read-only directory, a path under a regular file: the write fails
with an `OSError` whose reason (``strerror``) is what the user needs, next to the absolute
path it was written to. Nothing else in the app is touched by a failed write.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from kpath.safetext import clean_message

SAVE_DIR_ENV = "KPATH_SAVE_DIR"


class SaveDir(NamedTuple):
    path: Path  # absolute
    note: str  # why it is not the current directory ("" when it is, or when asked for)


def file_stem(origin: str, now: datetime) -> str:
    """``kpath-<context>-<time>``: a file name from cluster text, safe on any filesystem; a
    context already named ``kpath-…`` (the lab's ``kpath-lab``) is not prefixed twice."""
    context = origin.split(" @ ")[0].removeprefix("context ")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", context).strip("-.")[:40] or "cluster"
    named = slug if slug == "kpath" or slug.startswith("kpath-") else f"kpath-{slug}"
    return f"{named}-{now:%Y%m%d-%H%M%S}"


def can_create_in(directory: Path) -> bool:
    """Whether a file can be created in ``directory``: tried, since permission bits say
    nothing for root and nothing of a read-only mount or a deleted directory."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def save_dir(
    given: str | Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> SaveDir:
    """Where `s` and `e` write. ``given`` (the app's argument) wins, then ``$KPATH_SAVE_DIR``
    (used as given: a write there that fails says so), then the current directory if a file
    can be created in it, else the temporary directory. ``env``/``cwd``: the process's."""
    env = os.environ if env is None else env
    if given is not None:
        return SaveDir(absolute(Path(given).expanduser()), "")
    wanted = env.get(SAVE_DIR_ENV, "")
    if wanted:
        return SaveDir(absolute(Path(wanted).expanduser()), "")
    try:
        here = cwd if cwd is not None else Path.cwd()
    except OSError:  # the working directory was deleted
        here = None
    if here is not None and can_create_in(here):
        return SaveDir(absolute(here), "")
    where = (
        "the current directory is gone"
        if here is None
        else f"{clean_message(str(here))} is not writable"
    )
    return SaveDir(Path(tempfile.gettempdir()).absolute(), f"{where}; set {SAVE_DIR_ENV} to choose")


def absolute(path: Path) -> Path:
    """``path`` from the root; as given when the working directory itself is gone."""
    try:
        return path.absolute()
    except OSError:  # os.getcwd() of a deleted directory
        return path


def write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8; a file this call created is removed again if writing fails
    (no half-written export left behind)."""
    existed = os.path.lexists(path)
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):  # never created, or the directory is gone
                os.unlink(path)
        raise


def failure_reason(exc: BaseException) -> str:
    """Why a write failed, in the system's words (``No space left on device``)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def write_failed(what: str, path: Path, exc: BaseException) -> str:
    """``cannot save SVG to /abs/path: Permission denied``: one line, safe to show."""
    return clean_message(f"cannot save {what} to {absolute(path)}: {failure_reason(exc)}")


def written(what: str, path: Path, note: str = "") -> str:
    """``saved SVG to /abs/path`` (and why there, when it is not the current directory)."""
    why = f" ({note})" if note else ""
    return clean_message(f"saved {what} to {absolute(path)}{why}")
