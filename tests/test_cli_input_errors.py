"""`kpath paths --dump BAD`: a dump with a field of the wrong type is one line on stderr and
exit 2, naming the file, the object and the field (the cases issue 9 found by mutating real
dumps, each of which was a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kpath.cli import main
from tests.builders import backend, endpointslice, ingress, rule, service

ROOT = Path(__file__).resolve().parents[1]


def _ingress(**spec: Any) -> dict[str, Any]:
    obj = ingress(
        "web", [rule("shop.example", ("/", "Prefix", backend("web", 80)))], class_name="nginx"
    )
    obj["spec"].update(spec)
    return obj


def _slice_with_label(value: Any) -> dict[str, Any]:
    s = endpointslice("web", [])
    s["metadata"]["labels"]["kubernetes.io/service-name"] = value
    return s


CASES = [
    pytest.param(
        _ingress(rules=[{"host": [None]}]),
        "Ingress shop/web",
        "spec.rules[0].host is a list, not a string",
        id="host-null-in-list",
    ),
    pytest.param(
        _ingress(rules=[{"host": {"name": "a"}}]),
        "Ingress shop/web",
        "spec.rules[0].host is a mapping, not a string",
        id="host-mapping",
    ),
    pytest.param(
        _ingress(
            rules=[rule("a", ("/", "Prefix", {"service": {"name": [], "port": {"number": 80}}}))]
        ),
        "Ingress shop/web",
        "spec.rules[0].http.paths[0].backend.service.name is a list, not a string",
        id="backend-name-list",
    ),
    pytest.param(
        _ingress(ingressClassName=[None]),
        "Ingress shop/web",
        "spec.ingressClassName is a list, not a string",
        id="class-name-list",
    ),
    pytest.param(
        _slice_with_label(["web"]),
        "EndpointSlice shop/web-abc",
        "metadata.labels['kubernetes.io/service-name'] is a list, not a string",
        id="service-name-label-list",
    ),
    pytest.param(
        service("web", ports=[{"port": 80, "nodePort": "x"}], type_="NodePort"),
        "Service shop/web",
        "spec.ports[0].nodePort is a string, not a port number (0-65535)",
        id="node-port-string",
    ),
]


@pytest.mark.parametrize(("obj", "who", "what"), CASES)
def test_wrong_type_is_one_line_naming_file_object_and_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    obj: dict[str, Any],
    who: str,
    what: str,
) -> None:
    dump = tmp_path / "bad.json"
    dump.write_text(json.dumps({"kind": "List", "items": [service("web"), obj]}))
    assert main(["paths", "--dump", str(dump)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"kpath: error: {dump}: {who}: {what}\n"


def test_every_output_format_fails_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "bad.yaml"
    dump.write_text(
        "kind: Ingress\napiVersion: networking.k8s.io/v1\n"
        "metadata: {name: web, namespace: shop}\nspec: {rules: [{host: [null]}]}\n"
    )
    for output in ("table", "json", "graphml", "dot"):
        assert main(["paths", "--dump", str(dump), "-o", output]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "spec.rules[0].host is a list" in err


def test_the_file_named_is_the_one_holding_the_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bundle is many files: the message names the one to open."""
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "shop.json").write_text(json.dumps({"items": [service("web")]}))
    (tmp_path / "ingress").mkdir()
    (tmp_path / "ingress" / "shop.json").write_text(
        json.dumps({"items": [_ingress(ingressClassName=[None])]})
    )
    assert main(["paths", "--dump", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kpath: error: {tmp_path / 'ingress' / 'shop.json'}: Ingress shop/web")


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    dump = tmp_path / "bad.json"
    dump.write_text(json.dumps(_ingress(rules=[{"host": [None]}])))
    done = subprocess.run(
        [sys.executable, "-m", "kpath", "paths", "--dump", str(dump)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"kpath: error: {dump}: Ingress shop/web: spec.rules[0].host is a list, not a string"
    ]


def test_snapshot_to_a_path_that_cannot_be_written_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "ok.json"
    dump.write_text(json.dumps({"kind": "List", "items": [service("web", "NodePort")]}))
    target = tmp_path / "missing-dir" / "shot.svg"
    assert main(["snapshot", "--svg", str(target), "--dump", str(dump)]) == 2
    assert capsys.readouterr().err == (
        f"kpath: error: --svg {target}: cannot write it: No such file or directory\n"
    )


def test_lab_kubeconfig_out_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "kubeconfig"
    done = subprocess.run(
        [sys.executable, "-m", "kpath", "lab", "--kubeconfig-out", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"kpath: error: --kubeconfig-out {target}: cannot write it: No such file or directory"
    ]
