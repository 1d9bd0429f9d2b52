"""Every built-in scenario, probed live: a healthy lab probes clean, a planted fault is caught.

The lab is a separate implementation of the cluster's forwarding, so these tests hold kpath's
predictions (routing + probe plan + judgement) against what the lab's sockets actually do:

- with every fault cleared (``DELETE /faults`` on the lab's control endpoint, as a user
  would), ``kpath paths -A --probe`` must report zero contradictions;
- with a scenario's planted faults (and a few injected ones on shop), the hops of the faulted
  pods (or node) are contradicted, and every contradicted hop is one that reaches the fault.

Each test prints its contradicted hops (``pytest -s`` or ``-rA`` shows them). A scenario
listed in `PROBE_SIDE` still contradicts for a reason on kpath's probe side, named there;
its mark is strict, so it fails as soon as that cause is fixed: remove the entry then.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from kpath.lab.runner import LabThread
from kpath.lab.scenario import builtin_names, load_scenario, parse_scenario
from tests.integration.scenario_probe import (
    Doc,
    contradicted,
    fault_endpoints,
    faulted_hops,
    lab_dump,
    probe_dump,
    probe_lab,
    touches,
)


def _low_ports_bindable() -> bool:
    """Scenarios listen on 80 and 443 (load balancers, hostPorts): root, or a lowered limit."""
    if os.geteuid() == 0:
        return True
    try:
        start = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()
    except OSError:
        return False
    return int(start.strip() or "1024") <= 80


pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(
        not _low_ports_bindable(),
        reason="the scenarios' ports 80/443 need root (or "
        "net.ipv4.ip_unprivileged_port_start <= 80)",
    ),
]

#: Scenarios that still contradict with every fault cleared, for a cause in kpath's probe
#: side (kpath/probe, kpath/routing), not in the lab; by (scenario, selection).
PROBE_SIDE: dict[tuple[str, str], str] = {}
#: ``external``: ``kpath paths -A --probe`` (the ways in from outside, as issue 10 runs it);
#: ``all``: with ``--all`` too, so ClusterIP services' pods are probed as well.
SELECTIONS = {"external": (), "all": ("--all",)}


def _report(name: str, doc: Doc) -> list[str]:
    lines = [h.label() + f": {h.reason}" for h in contradicted(doc)]
    summary = doc["probe"]["summary"]
    print(
        f"\n{name}: {summary['contradictions']} contradiction(s), {len(lines)} contradicted "
        f"hop(s), {summary['done']} probe(s) done"
    )
    for line in lines:
        print(f"  {line}")
    return lines


def _control(lab: LabThread, method: str, path: str, body: Any = None) -> Any:
    assert lab.control_url is not None
    with httpx.Client(base_url=lab.control_url, timeout=10) as client:
        response = client.request(method, path, json=body)
    response.raise_for_status()
    return response.json()


def _scenario_params() -> list[Any]:
    out = []
    for name in builtin_names():
        for selection in SELECTIONS:
            reason = PROBE_SIDE.get((name, selection))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(name, selection, marks=marks, id=f"{name}-{selection}"))
    return out


@pytest.mark.parametrize(("name", "selection"), _scenario_params())
def test_builtin_scenario_probes_clean_with_faults_cleared(
    name: str, selection: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LabThread(name, control=True) as lab:
        _control(lab, "DELETE", "/faults")
        assert _control(lab, "GET", "/")["faults"] == []
        doc = probe_lab(
            lab.write_kubeconfig(tmp_path / "kubeconfig"), capsys, *SELECTIONS[selection]
        )
        warnings = lab.lab.warnings
    with capsys.disabled():
        lines = _report(f"{name} ({selection})", doc)
    if selection == "all" and doc["paths"]:  # (a scenario of Gateway objects only has none)
        assert doc["probe"]["summary"]["done"] > 0, "nothing was probed"
    assert not warnings, f"the lab could not build every listener: {warnings}"
    assert not lines and doc["probe"]["summary"]["contradictions"] == 0, "\n".join(lines)


#: Small scenarios for what no built-in one shows yet.
EXTRA_SCENARIOS = {
    # A TLS Ingress served by the built-in controller: probed on its HTTPS port.
    "tls-ingress": """
kind: LabScenario
name: tls-ingress
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls: [{hosts: [secure.example], secretName: web-tls}]
  rules:
    - host: secure.example
      http:
        paths: [{path: /, pathType: Prefix,
                 backend: {service: {name: web, port: {number: 80}}}}]
""",
}


@pytest.mark.parametrize("name", sorted(EXTRA_SCENARIOS))
def test_small_scenarios_probe_clean(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = parse_scenario(EXTRA_SCENARIOS[name], origin=name)
    with LabThread(scenario) as lab:
        doc = probe_lab(lab.write_kubeconfig(tmp_path / "kubeconfig"), capsys)
    with capsys.disabled():
        lines = _report(name, doc)
    assert doc["probe"]["summary"]["done"] > 0
    assert not lines, "\n".join(lines)


def _faulted_scenarios() -> list[str]:
    return [n for n in builtin_names() if load_scenario(n).faults]


#: Faults injected into shop on top of its planted one: each kind the probe must catch.
INJECTED: dict[str, Mapping[str, Any]] = {
    "pod-refuse": {"kind": "pod-refuse", "pod": "shop/checkout", "replica": 1},
    "target-port-dead": {"kind": "target-port-dead", "service": "shop/storefront"},
}


def _check_caught(name: str, faults: list[Mapping[str, Any]], doc: Doc) -> None:
    with_capsys_lines = [h.label() + f": {h.reason}" for h in contradicted(doc)]
    assert faults, f"{name}: no fault in effect"
    assert with_capsys_lines, f"{name}: no contradiction, though {faults} are in effect"
    spans = [(f, fault_endpoints(f, doc)) for f in faults]
    for fault, _ in spans:
        must = [h for h in faulted_hops(fault, doc) if h.verdict is not None]
        assert must, f"{name}: no probed hop reaches the fault {fault}"
        missed = [
            h.label() + f" ({h.verdict}: {h.reason})" for h in must if h.verdict != "contradicted"
        ]
        assert not missed, f"{name}: fault {fault} not caught on " + "; ".join(missed)
    stray = [
        h.label() + f": {h.reason}"
        for h in contradicted(doc)
        if not any(touches(h, f, span) for f, span in spans)
    ]
    assert not stray, f"{name}: contradicted hops no fault reaches: " + "; ".join(stray)


@pytest.mark.parametrize("name", _faulted_scenarios())
def test_planted_faults_are_caught_on_their_own_hops(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LabThread(name, control=True) as lab:
        faults = _control(lab, "GET", "/")["faults"]  # resolved to pod names by the lab
        doc = probe_lab(lab.write_kubeconfig(tmp_path / "kubeconfig"), capsys)
    with capsys.disabled():
        _report(f"{name} (planted faults)", doc)
    _check_caught(name, faults, doc)


@pytest.mark.parametrize("kind", sorted(INJECTED))
def test_injected_faults_are_caught_on_their_own_hops(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LabThread("shop", control=True) as lab:
        _control(lab, "DELETE", "/faults")
        _control(lab, "POST", "/faults", dict(INJECTED[kind]))
        faults = _control(lab, "GET", "/")["faults"]
        doc = probe_lab(lab.write_kubeconfig(tmp_path / "kubeconfig"), capsys)
    with capsys.disabled():
        _report(f"shop + {kind}", doc)
    _check_caught(f"shop + {kind}", faults, doc)


# --------------------------------------------------------------------------- Gateway scenarios
def _has_gateway(name: str) -> bool:
    return any(m.get("kind") == "Gateway" for m in load_scenario(name).manifests)


GATEWAY_SCENARIOS = [n for n in builtin_names() if _has_gateway(n)]


def _gateway_paths(doc: Doc) -> list[dict[str, Any]]:
    return [pj for pj in doc["paths"] if pj["entry"]["kind"] == "gateway"]


def _probe_gateway_lab(lab: LabThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Doc:
    """``kpath paths -A --probe`` on the lab, live (its API server serves the Gateway API
    and the status its controller wrote); ``--insecure``: the lab's listener certificates
    are self-signed, and an HTTPS rule's answer is what is being tested."""
    return probe_lab(lab.write_kubeconfig(tmp_path / "kubeconfig"), capsys, "--insecure")


def test_every_gateway_scenario_is_probed() -> None:
    # The real-world Gateway API manifests (SOURCES.md A2) and kpath's own gateway-shop.
    assert len(GATEWAY_SCENARIOS) >= 12 and "gateway-shop" in GATEWAY_SCENARIOS


@pytest.mark.parametrize("name", GATEWAY_SCENARIOS)
def test_gateway_scenario_probes_clean_with_faults_cleared(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LabThread(name, control=True) as lab:
        _control(lab, "DELETE", "/faults")
        doc = _probe_gateway_lab(lab, tmp_path, capsys)
        warnings = lab.lab.warnings
    with capsys.disabled():
        lines = _report(f"{name} (gateway, faults cleared)", doc)
    gateway = _gateway_paths(doc)
    assert gateway, "no Gateway way in was found"
    confirmed = [
        pj for pj in gateway if (pj["entry"].get("observed") or {}).get("verdict") == "confirmed"
    ]
    assert confirmed, "no Gateway way in was confirmed by a probe"
    assert not warnings, f"the lab could not build every listener: {warnings}"
    assert not lines and doc["probe"]["summary"]["contradictions"] == 0, "\n".join(lines)


def test_gateway_shop_planted_faults_answer_as_predicted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its faults are in its objects: kpath predicts them, and the probes see them so."""
    with LabThread("gateway-shop") as lab:
        doc = _probe_gateway_lab(lab, tmp_path, capsys)
    with capsys.disabled():
        lines = _report("gateway-shop (planted faults)", doc)
    assert not lines, "\n".join(lines)
    # The payments backend in another namespace without a ReferenceGrant: 500, as predicted.
    pay = [
        pj["entry"]["observed"]
        for pj in _gateway_paths(doc)
        if pj["entry"]["gateway"]["route"]["name"] == "shop/payments"
        and pj["entry"].get("observed")
    ]
    assert pay, "the payments route was not probed"
    for obs in pay:
        assert obs["verdict"] == "confirmed", obs["reason"]
        assert obs["predicted"] == ["backend-error"]
        assert {p["status"] for p in obs["probes"] if p["url"].endswith("/api/pay")} == {500}
    # The Local gateway Service: its NodePorts drop at the nodes without a proxy pod.
    infra = [
        pj
        for pj in doc["paths"]
        if pj.get("gatewayInfra") and pj["entry"]["kind"] in ("nodeport", "loadbalancer")
    ]
    dropped = [
        g
        for pj in infra
        for g in pj["groups"]
        if (g.get("observed") or {}).get("predicted") == ["silent"]
    ]
    assert {n for g in dropped for n in g["nodes"]} == {"node-b", "node-c"}
    assert all(g["observed"]["verdict"] == "confirmed" for g in dropped)


def test_a_fault_behind_a_gateway_is_caught_on_its_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LabThread("gateway-shop", control=True) as lab:
        _control(lab, "POST", "/faults", {"kind": "pod-refuse", "pod": "shop/search", "replica": 0})
        faults = _control(lab, "GET", "/")["faults"]
        doc = _probe_gateway_lab(lab, tmp_path, capsys)
    with capsys.disabled():
        _report("gateway-shop + pod-refuse shop/search", doc)
    _check_caught("gateway-shop + pod-refuse", faults, doc)
    caught = [h for h in contradicted(doc) if h.kind == "entry" and "HTTPRoute" in h.entry]
    assert caught, "no Gateway rule's entry shows the refusing backend"
    assert all("search" in h.service for h in caught), [h.label() for h in caught]


def test_probes_catch_a_gateway_that_routes_otherwise_than_its_objects_say(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kpath reads objects the lab's gateway does not run by: the search rule sent to cart,
    the old-shop redirect's status changed, a ReferenceGrant the lab never saw. Each rule's
    probe must contradict, and no other Gateway rule's."""
    with LabThread("gateway-shop") as lab:
        dump = lab_dump(lab, tmp_path / "lab-dump.json")
        doc = json.loads(dump.read_text())
        for item in doc["items"]:
            if item["kind"] == "HTTPRoute" and item["metadata"]["name"] == "shop":
                rules = item["spec"]["rules"]
                rules[3]["backendRefs"] = [{"name": "cart", "port": 8080}]
                rules[5]["filters"][0]["requestRedirect"]["statusCode"] = 308
        doc["items"].append(
            {
                "apiVersion": "gateway.networking.k8s.io/v1beta1",
                "kind": "ReferenceGrant",
                "metadata": {"name": "shop-to-payments", "namespace": "payments"},
                "spec": {
                    "from": [
                        {
                            "group": "gateway.networking.k8s.io",
                            "kind": "HTTPRoute",
                            "namespace": "shop",
                        }
                    ],
                    "to": [{"group": "", "kind": "Service"}],
                },
            }
        )
        dump.write_text(json.dumps(doc))
        probed = probe_dump(dump, capsys, "--insecure")
    with capsys.disabled():
        _report("gateway-shop, objects the gateway does not run by", probed)
    verdicts: dict[tuple[str, int], set[str]] = {}
    reasons: dict[tuple[str, int], str] = {}
    for pj in _gateway_paths(probed):
        obs = pj["entry"].get("observed")
        if obs:
            route = pj["entry"]["gateway"]["route"]
            rule = (route["name"], route["rule"])
            verdicts.setdefault(rule, set()).add(obs["verdict"])
            if obs["verdict"] == "contradicted":
                reasons[rule] = obs["reason"]
    wrong = {r for r, v in verdicts.items() if "contradicted" in v}
    assert wrong == {("shop/shop", 3), ("shop/shop", 5), ("shop/payments", 0)}, reasons
    assert "which the route's rule does not send to" in reasons[("shop/shop", 3)]
    assert "saw HTTP 301" in reasons[("shop/shop", 5)]
    assert (
        "the gateway's own 500" in reasons[("shop/payments", 0)]
        or "HTTP 500" in reasons[("shop/payments", 0)]
    )
