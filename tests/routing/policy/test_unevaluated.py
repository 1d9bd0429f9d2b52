"""KP503: one info finding per not-evaluated policy kind, with a count and the first names;
through `kpath paths` in the table and in JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpath.cli import main
from kpath.cluster.netpol import OtherPolicy
from kpath.routing.findings import RULES, Severity
from kpath.routing.policy.unevaluated import not_evaluated_findings

CILIUM = "cilium.io/v2"


def cilium(ns: str, name: str) -> OtherPolicy:
    return OtherPolicy("CiliumNetworkPolicy", CILIUM, ns, name)


def test_none_says_nothing() -> None:
    assert list(not_evaluated_findings(())) == []


def test_one_finding_per_kind_with_count_and_first_names() -> None:
    policies = [
        cilium("shop", "l7"),
        cilium("ops", "b"),
        cilium("ops", "a"),
        cilium("shop", "z"),
        OtherPolicy("AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1", None, "deny-all"),
    ]
    found = list(not_evaluated_findings(policies))
    assert [f.code for f in found] == ["KP503", "KP503"]
    assert {f.severity for f in found} == {Severity.INFO} and RULES["KP503"][1] == Severity.INFO
    admin, cil = found  # in the order of OTHER_POLICY_KINDS: policy.networking.k8s.io first
    assert admin.message.startswith(
        "1 AdminNetworkPolicy (policy.networking.k8s.io) not evaluated: "
    )
    assert admin.message.endswith("(deny-all)")
    assert cil.message.startswith("4 CiliumNetworkPolicy (cilium.io) not evaluated: ")
    assert cil.message.endswith(
        "leave them out, and they may allow or block traffic (ops/a, ops/b, shop/l7 and 1 more)"
    )
    assert "leave it out, and it may" in admin.message


def test_calico_kinds_are_told_apart_by_group() -> None:
    found = list(
        not_evaluated_findings(
            [
                OtherPolicy("NetworkPolicy", "crd.projectcalico.org/v1", "shop", "default.a"),
                OtherPolicy("NetworkPolicy", "projectcalico.org/v3", "shop", "a"),
                OtherPolicy("GlobalNetworkPolicy", "crd.projectcalico.org/v1", None, "g"),
            ]
        )
    )
    assert [f.message.split(" not evaluated")[0] for f in found] == [
        "1 NetworkPolicy (crd.projectcalico.org)",
        "1 GlobalNetworkPolicy (crd.projectcalico.org)",
        "1 NetworkPolicy (projectcalico.org)",
    ]


DUMP = """
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l7, namespace: shop}
spec: {endpointSelector: {}}
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: "host\\e[31m"}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
"""


def test_kpath_paths_lists_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = tmp_path / "dump.yaml"
    dump.write_text(DUMP)
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["paths", "--dump", str(dump), "-A", "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    found = {f["message"] for f in doc["findings"] if f["code"] == "KP503"}
    assert len(found) == 2
    # JSON keeps the original strings; the table shows them literally, never as escapes.
    assert any(m.endswith("(host\x1b[31m)") for m in found)
    assert any("1 CiliumNetworkPolicy (cilium.io)" in m and m.endswith("(shop/l7)") for m in found)
    assert main(["paths", "--dump", str(dump), "-A"]) == 0
    table = capsys.readouterr().out
    assert "\x1b[31m" not in table and "host\\x1b[31m" in table
    assert table.count("KP503") == 2
