"""Snapshots kept between runs of `kpath request --dump`: reused only for the same unchanged
files, ignored when untrusted or broken, never a reason to fail."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kpath.cli import main
from kpath.cluster.dump import load_dump
from kpath.cluster.snapcache import ENV, cached_snapshot
from kpath.cluster.snapshot import Snapshot, build_snapshot
from tests import builders as b

SHOP = Path(__file__).resolve().parents[2] / "kpath" / "lab" / "scenarios" / "shop.yaml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(ENV, str(directory))
    return directory


def dump_file(tmp_path: Path, name: str = "svc") -> Path:
    path = tmp_path / "cluster.json"
    doc = {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", **b.service(name)}]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


class Builds:
    """A build function that counts its calls."""

    def __init__(self, path: Path) -> None:
        self.path, self.calls = path, 0

    def __call__(self) -> Snapshot:
        self.calls += 1
        return build_snapshot(load_dump([self.path]))


def test_the_second_run_reuses_the_snapshot(tmp_path, cache):
    path = dump_file(tmp_path)
    builds = Builds(path)
    first = cached_snapshot([path], "request", builds)
    second = cached_snapshot([path], "request", builds)
    assert builds.calls == 1 and second == first
    (entry,) = cache.iterdir()
    assert entry.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700
    # another purpose is another entry
    cached_snapshot([path], "other", builds)
    assert builds.calls == 2


def test_a_changed_file_is_read_again(tmp_path, cache):
    path = dump_file(tmp_path, "before")
    builds = Builds(path)
    cached_snapshot([path], "request", builds)
    stat = path.stat()
    dump_file(tmp_path, "after")  # same size, new content
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    again = cached_snapshot([path], "request", builds)
    assert builds.calls == 2 and {k.name for k in again.services} == {"after"}
    assert len(list(cache.iterdir())) == 1  # the entry was replaced, not added to


def test_changed_reading_code_reads_again(tmp_path, cache, monkeypatch):
    import kpath.cluster.snapcache as snapcache

    path = dump_file(tmp_path)
    builds = Builds(path)
    cached_snapshot([path], "request", builds)
    code = snapcache._code_identity()
    assert {"snapshot.py", "parse.py", "records.py", "answers.py"} <= {c[0] for c in code}
    changed = ((code[0][0], code[0][1] + 1, code[0][2]), *code[1:])
    monkeypatch.setattr(snapcache, "_code_identity", lambda: changed)
    cached_snapshot([path], "request", builds)
    assert builds.calls == 2


def test_off_for_directories_stdin_and_an_empty_setting(tmp_path, cache, monkeypatch):
    path = dump_file(tmp_path)
    builds = Builds(path)
    cached_snapshot([tmp_path], "request", builds)
    cached_snapshot([tmp_path], "request", builds)
    cached_snapshot(["-"], "request", builds)
    assert builds.calls == 3 and not cache.exists()
    monkeypatch.setenv(ENV, "")
    cached_snapshot([path], "request", builds)
    cached_snapshot([path], "request", builds)
    assert builds.calls == 5 and not cache.exists()


def test_a_corrupt_entry_is_rebuilt_and_replaced(tmp_path, cache):
    path = dump_file(tmp_path)
    builds = Builds(path)
    want = cached_snapshot([path], "request", builds)
    (entry,) = cache.iterdir()
    entry.write_bytes(b"\x80\x05not a pickle")
    assert cached_snapshot([path], "request", builds) == want and builds.calls == 2
    assert cached_snapshot([path], "request", builds) == want and builds.calls == 2


@pytest.mark.parametrize("what", ["file", "directory"])
def test_an_entry_others_may_write_is_not_trusted(tmp_path, cache, what):
    path = dump_file(tmp_path)
    builds = Builds(path)
    cached_snapshot([path], "request", builds)
    (entry,) = cache.iterdir()
    target = entry if what == "file" else cache
    target.chmod(target.stat().st_mode | 0o022)
    cached_snapshot([path], "request", builds)
    assert builds.calls == 2  # not read: a pickle from an untrusted place runs its code


def test_kpath_request_answers_the_same_from_the_cache(tmp_path, cache, capsys):
    argv = ["request", "http://shop.example.com/api/x", "--dump", str(SHOP), "-o", "json"]
    assert main(argv) == 0
    cold = capsys.readouterr().out
    assert [p.name.startswith("request-") for p in cache.iterdir()] == [True]
    assert main(argv) == 0
    assert capsys.readouterr().out == cold


def test_a_warm_run_loads_no_parser(tmp_path, cache):
    # The point of keeping the snapshot: the second process neither decodes nor parses.
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from kpath.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['request', 'http://shop.example.com/', '--dump', {str(SHOP)!r}]) == 0\n"
        "print(sorted(m for m in ('kpath.cluster.parse', 'kpath.cluster.parse_gateway', "
        "'kpath.cluster.dump') if m in sys.modules))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=SHOP.parents[3],
        ).stdout.strip()
        for _ in range(2)
    ]
    # The shop has no Gateway: their parsers are not loaded even to build the snapshot.
    assert runs[0] == "['kpath.cluster.dump', 'kpath.cluster.parse']"
    assert runs[1] == "[]"
