"""Where `s` and `e` write, against real directories that refuse: a deleted directory, a path
under a regular file, a directory even root may not write (/sys), a full device (/dev/full).
The tests run as root, so permission bits would not stop them; these refuse anyone."""

from __future__ import annotations

import errno
import os
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from kpath.tui.files import (
    SAVE_DIR_ENV,
    SaveDir,
    absolute,
    file_stem,
    save_dir,
    write_failed,
    write_text,
    written,
)


def refused(path: Path) -> OSError:
    with pytest.raises(OSError) as caught:
        write_text(path, "<svg/>")
    return caught.value


def test_a_deleted_directory_names_the_path_and_the_reason(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    gone.rmdir()
    exc = refused(gone / "kpath.svg")
    assert exc.errno == errno.ENOENT
    assert (
        write_failed("SVG", gone / "kpath.svg", exc)
        == f"cannot save SVG to {gone}/kpath.svg: No such file or directory"
    )


def test_a_path_under_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "kpath.json"
    exc = refused(target)
    assert exc.errno == errno.ENOTDIR
    assert write_failed("JSON", target, exc).endswith(f"{target}: Not a directory")


def test_a_directory_nobody_may_write() -> None:
    target = Path("/sys/kpath-test.svg")
    try:
        exc = refused(target)
    except pytest.fail.Exception:  # this system lets us write there: nothing to test
        target.unlink(missing_ok=True)
        pytest.skip("/sys is writable here")
    assert exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    assert write_failed("SVG", target, exc).startswith("cannot save SVG to /sys/kpath-test.svg: ")


def test_a_full_disk_leaves_no_half_file_it_created(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    full = tmp_path / "full.svg"
    full.symlink_to("/dev/full")  # writes go to a device that is always full
    exc = refused(full)
    assert exc.errno == errno.ENOSPC
    assert write_failed("SVG", full, exc).endswith(": No space left on device")
    assert full.is_symlink()  # it existed before: not ours to remove


def test_a_failed_write_removes_the_file_it_created(tmp_path: Path) -> None:
    target = tmp_path / "kpath.svg"
    with pytest.raises(UnicodeEncodeError):
        write_text(target, "half \ud800 written")  # a lone surrogate: UTF-8 cannot encode it
    assert not target.exists()
    msg = write_failed(
        "SVG", target, UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
    )
    assert msg.startswith(f"cannot save SVG to {target}: ") and "surrogates" in msg


def test_a_written_file_and_its_message(tmp_path: Path) -> None:
    target = tmp_path / "kpath.json"
    write_text(target, "{}\n")
    assert target.read_text() == "{}\n"
    assert written("JSON", target) == f"saved JSON to {target}"


def test_names_are_absolute_and_shown_safely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute(Path("out")) == tmp_path / "out"
    odd = tmp_path / "a\x1bb"
    assert "\x1b" not in write_failed("SVG", odd, OSError(errno.EACCES, "Permission denied"))
    # The working directory deleted under us: the name stays as given, never a crash.
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    (tmp_path / "cwd").rmdir()
    assert absolute(Path("out")) == Path("out")


NOW = datetime(2026, 1, 2, 3, 4, 5)


def test_file_names_from_hostile_contexts() -> None:
    assert (
        file_stem("context kind-a @ https://127.0.0.1:6443", NOW) == "kpath-kind-a-20260102-030405"
    )
    assert file_stem("context ../../etc/\x1b[31m", NOW) == "kpath-etc-31m-20260102-030405"
    assert file_stem("", NOW) == "kpath-cluster-20260102-030405"


def test_the_kpath_prefix_is_said_once() -> None:
    # The lab's context is kpath-lab: kpath-kpath-lab-… before.
    assert (
        file_stem("context kpath-lab @ https://127.0.0.1:6443", NOW) == "kpath-lab-20260102-030405"
    )
    assert file_stem("context kpath", NOW) == "kpath-20260102-030405"
    assert file_stem("context kpathfinder", NOW) == "kpath-kpathfinder-20260102-030405"


def test_save_dir_is_the_environment_variable_when_set(tmp_path: Path) -> None:
    chosen = tmp_path / "saves"
    got = save_dir(env={SAVE_DIR_ENV: str(chosen)}, cwd=tmp_path)
    assert got == SaveDir(chosen, "")  # as given, even before it exists: a failed save says so
    assert save_dir(env={SAVE_DIR_ENV: "~/k"}, cwd=tmp_path).path == Path.home() / "k"
    # The app's own argument (tests, embedding) wins over both.
    assert save_dir(tmp_path / "arg", env={SAVE_DIR_ENV: str(chosen)}).path == tmp_path / "arg"


def test_save_dir_is_the_current_directory_when_a_file_can_be_made_there(tmp_path: Path) -> None:
    assert save_dir(env={SAVE_DIR_ENV: ""}, cwd=tmp_path) == SaveDir(tmp_path, "")
    assert list(tmp_path.iterdir()) == []  # the check leaves nothing behind


def test_save_dir_falls_back_to_the_temp_dir_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    (tmp_path / "file").write_text("x")
    not_a_dir = tmp_path / "file"  # nothing can be created "in" a regular file
    got = save_dir(env={}, cwd=not_a_dir)
    assert got.path == temp
    assert got.note == f"{not_a_dir} is not writable; set KPATH_SAVE_DIR to choose"
    # A deleted working directory, as the process sees it.
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    got = save_dir(env={})
    assert got == SaveDir(temp, "the current directory is gone; set KPATH_SAVE_DIR to choose")
    # And the toast says where, and why there.
    target = got.path / "kpath-x.svg"
    write_text(target, "<svg/>")
    assert written("SVG", target, got.note) == (
        f"saved SVG to {temp}/kpath-x.svg (the current directory is gone; set "
        "KPATH_SAVE_DIR to choose)"
    )
