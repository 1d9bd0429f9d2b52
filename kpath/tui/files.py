"""Where `s` and `e` write: one file, and one line for the user when that fails.

A full disk, a deleted or read-only directory, a path under a regular file: the write fails
with an `OSError` whose reason (``strerror``) is what the user needs, next to the absolute
path it was written to. Nothing else in the app is touched by a failed write.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from kpath.safetext import clean_message


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


def written(what: str, path: Path) -> str:
    return clean_message(f"saved {what} to {absolute(path)}")
