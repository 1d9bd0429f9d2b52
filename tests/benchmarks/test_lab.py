"""benchmarks/_lab.py: the lab as a child process, against the real `kpath lab --dump`."""

from __future__ import annotations

from pathlib import Path

import httpx

from benchmarks._lab import Lab

DUMP = Path(__file__).resolve().parents[1] / "data" / "dumps" / "small.json"


def test_the_lab_serves_the_dump_and_answers_its_control_endpoint(tmp_path: Path) -> None:
    with Lab(DUMP, tmp_path) as lab:
        assert lab.url.startswith("http://127.") and lab.control.startswith("http://127.")
        pods = httpx.get(f"{lab.url}/api/v1/pods", timeout=30).json()
        assert pods["items"], "the dump's pods are served"
        counts = lab.requests()
        assert counts.get("list", {}), counts  # the LIST just made is in the record
        assert lab.status("VmRSS") > 0 and lab.load_seconds > 0
    assert lab.proc.poll() is not None  # stopped on leaving the block
    assert "Ctrl+C stops the lab." in (tmp_path / "lab.out").read_text()


def test_without_a_workdir_its_files_are_removed_at_stop() -> None:
    lab = Lab(DUMP)
    workdir = lab.workdir
    assert lab.kubeconfig.is_file()
    lab.stop()
    lab.stop()  # twice is harmless
    assert not workdir.exists()
