"""KP416 against the lab's API server: with ``-n site-ns``, the routes' shared Gateway lives
in ``infra-ns``. Listed across the cluster it is found; with a Role limited to ``site-ns``
(the Role of deploy/rbac.yaml, enforced by the lab) it is outside what could be read, and
the finding says why, never "does not exist"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpath.cli import main
from kpath.lab.rbac import load_policy
from kpath.lab.runner import LabThread

pytestmark = pytest.mark.lab

RBAC_YAML = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabThread, Path]]:
    with LabThread("gateway-api-cross-namespace-routing") as running:
        yield running, running.write_kubeconfig(tmp_path_factory.mktemp("gw") / "kc")


def findings(capsys: pytest.CaptureFixture[str], kc: Path, code: str) -> list[dict]:
    rc = main(["paths", "-n", "site-ns", "-o", "json", "--kubeconfig", str(kc)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return [f for f in json.loads(out)["findings"] if f["code"] == code]


def test_a_role_in_site_ns_says_the_shared_gateway_is_outside_what_could_be_read(
    lab: tuple[LabThread, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    running, kc = lab
    assert findings(capsys, kc, "KP416") == []  # the control: listed, found, attached
    running.enforce(load_policy(RBAC_YAML, "Role", namespace="site-ns"))
    try:
        kp416 = findings(capsys, kc, "KP416")
    finally:
        running.enforce(None)
    # Both routes of site-ns name infra-ns/shared-gateway.
    assert sorted(f["route"] for f in kp416) == [
        "HTTPRoute site-ns/home",
        "HTTPRoute site-ns/login",
    ]
    for f in kp416:
        assert "does not exist" not in f["message"], f["message"]
        assert f["severity"] == "warning"
        assert "Gateway infra-ns/shared-gateway is outside what could be read: " in f["message"]
        # Why: the server's own refusal, quoted.
        assert "Gateways outside namespace site-ns could not be listed (forbidden: " in f["message"]
        assert 'cannot list resource "gateways"' in f["message"]


def test_backends_in_a_namespace_not_read_are_not_said_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Routes in default send to Services in cafe, permitted by a ReferenceGrant in cafe:
    # with -n default neither the grant nor the Services were read.
    with LabThread("nginx-gateway-fabric-cross-namespace") as running:
        kc = running.write_kubeconfig(tmp_path / "kc")
        docs = {}
        for scope in (("-n", "default"), ("-A",)):
            rc = main(["paths", *scope, "--all", "-o", "json", "--kubeconfig", str(kc)])
            out, err = capsys.readouterr()
            assert rc == 0, err
            docs[scope[0]] = json.loads(out)
    for doc in docs.values():
        said = [
            f["message"]
            for f in doc["findings"]
            if f["code"] in ("KP428", "KP430", "KP431", "KP423")
        ]
        assert not [m for m in said if "RefNotPermitted" in m or "BackendNotFound" in m], said
    # Read in full, the same routes do reach cafe's Services.
    assert {p["service"] for p in docs["-A"]["paths"] if p["entry"]["kind"] == "gateway"} == {
        "cafe/coffee",
        "cafe/tea",
    }
