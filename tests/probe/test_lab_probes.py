"""Probes against the lab (real API server, real sockets, injected faults): the verdicts a user
reads. The lab's data plane forwards by its own rules, so these tests can catch kpath being
wrong as well as the cluster misbehaving."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpath.cluster.access import api_access
from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.snapshot import build_snapshot
from kpath.export.probejson import report_json
from kpath.probe.evidence import Proof
from kpath.probe.expect import Expect
from kpath.probe.plan import HopKind, ProbeTarget
from kpath.probe.prober import Outcome, ProbeResult
from kpath.probe.run import ProbeReport, ProbeSettings, run_probe_paths, service_paths
from kpath.routing.analysis import Analysis, analyse
from kpath.routing.paths import EntryKind

HAS_API = importlib.util.find_spec("kpath.lab.apiserver") is not None
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(not HAS_API, reason="the lab API server is not in this checkout"),
]

TOKEN = "probe-test-token"


class LabCluster:
    """A running shop lab, its kubeconfig, and helpers to read and probe it."""

    def __init__(self, lab: object, kubeconfig: Path) -> None:
        self.lab = lab
        self.kubeconfig = kubeconfig

    def analysis(self) -> Analysis:
        raw = load_live(LiveOptions(kubeconfig=str(self.kubeconfig), all_namespaces=True))
        return analyse(build_snapshot(raw))

    def probe(self, service: str, analysis: Analysis | None = None, **kw: object) -> ProbeReport:
        a = analysis or self.analysis()
        opts = ProbeSettings(
            **{"timeout": 0.6, "api": api_access(str(self.kubeconfig), None), **kw}
        )  # type: ignore[arg-type]
        return run_probe_paths(a, service_paths(a, service), opts)

    def pod_name(self, workload: str, replica: int) -> str:
        return str(self.lab.pods("shop", workload)[replica]["metadata"]["name"])  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    from kpath.lab.runner import LabThread

    with LabThread("shop", api={"tls": True, "token": TOKEN}) as lab:
        kc = lab.write_kubeconfig(tmp_path_factory.mktemp("probe-lab") / "kubeconfig")
        yield LabCluster(lab, kc)


def hops(report: ProbeReport, hop: HopKind) -> list[tuple[int, ProbeTarget]]:
    return [(i, t) for i, t in enumerate(report.plan.targets) if t.hop == hop]


def results_of(report: ProbeReport, index: int) -> list[ProbeResult]:
    return [r for r in report.results if r.target == index]


def test_local_policy_black_hole_node_is_a_confirmed_drop(shop: LabCluster) -> None:
    report = shop.probe("shop/checkout")
    nodes = {t.node: i for i, t in hops(report, HopKind.NODE)}
    c = nodes["node-c"]
    target, seen = report.plan.targets[c], report.evidence.observations[c]
    assert target.expect == {Expect.SILENT}
    assert [r.outcome for r in results_of(report, c)] == [Outcome.TIMEOUT]
    assert seen.proof == Proof.CONFIRMED
    # What the cloud load balancer's health check sees, beside kpath's own verdict.
    health = {t.node: i for i, t in hops(report, HopKind.HEALTH)}
    assert [r.status for r in results_of(report, health["node-c"])] == [503]
    assert [r.status for r in results_of(report, health["node-a"])] == [200]
    assert all(report.evidence.observations[i].proof == Proof.CONFIRMED for i in health.values())
    assert report.evidence.summary.contradictions == 0


def test_hanging_pod_times_out_and_is_an_unreachable_endpoint(shop: LabCluster) -> None:
    hung = f"shop/{shop.pod_name('recommendations', 0)}"  # the scenario's pod-hang fault
    report = shop.probe("shop/recommendations")
    (i,) = [i for i, t in hops(report, HopKind.POD) if str(t.pod) == hung]
    assert [r.outcome for r in results_of(report, i)] == [Outcome.TIMEOUT]
    assert report.evidence.observations[i].proof == Proof.CONTRADICTED
    assert any(f.code == "KP402" and hung in f.message for f in report.evidence.findings)


def test_refusing_and_failing_pods(shop: LabCluster) -> None:
    refusing, failing = (f"shop/{shop.pod_name('web', n)}" for n in (0, 1))
    shop.lab.inject({"kind": "pod-refuse", "pod": refusing})  # type: ignore[attr-defined]
    shop.lab.inject({"kind": "pod-error", "pod": failing, "status": 503})  # type: ignore[attr-defined]
    try:
        report = shop.probe("shop/storefront")
    finally:
        shop.lab.clear()  # type: ignore[attr-defined]
        shop.lab.inject({"kind": "pod-hang", "pod": "shop/recommendations"})  # type: ignore[attr-defined]
    pods = {str(t.pod): i for i, t in hops(report, HopKind.POD)}
    (refused,) = results_of(report, pods[refusing])
    (failed,) = results_of(report, pods[failing])
    assert refused.outcome == Outcome.REFUSED
    assert (failed.outcome, failed.status, failed.pod) == (Outcome.HTTP_STATUS, 503, failing)
    codes = {
        (f.code, f.message.split(" at ")[0].rsplit("pod ", 1)[-1]) for f in report.evidence.findings
    }
    assert ("KP402", refusing) in codes
    assert any(f.code == "KP405" and failing in f.message for f in report.evidence.findings)


def test_slow_hop_is_flagged(shop: LabCluster) -> None:
    shop.lab.inject({"kind": "slow", "node": "node-a", "delay": 0.3})  # type: ignore[attr-defined]
    try:
        report = shop.probe("shop/admin", timeout=2.0, slow_ms=150)
    finally:
        shop.lab.clear({"kind": "slow", "node": "node-a", "delay": 0.3})  # type: ignore[attr-defined]
    slow = [f.message for f in report.evidence.findings if f.code == "KP403"]
    assert any("NodePort 30080 at node-a" in m for m in slow)
    assert not any("at node-c" in m for m in slow)
    nodes = {t.node: i for i, t in hops(report, HopKind.NODE)}
    assert report.evidence.observations[nodes["node-a"]].slow
    assert not report.evidence.observations[nodes["node-c"]].slow


def test_a_node_stopped_after_the_snapshot_is_a_contradiction(shop: LabCluster) -> None:
    before = shop.analysis()
    shop.lab.stop_node("node-a")  # type: ignore[attr-defined]
    try:
        report = shop.probe("shop/storefront", analysis=before)
    finally:
        shop.lab.start_node("node-a")  # type: ignore[attr-defined]
    nodes = {t.node: i for i, t in hops(report, HopKind.NODE)}
    a = nodes["node-a"]
    assert report.plan.targets[a].expect == {Expect.ANSWER}
    assert report.evidence.observations[a].proof == Proof.CONTRADICTED
    assert any(f.code == "KP401" and "node-a" in f.message for f in report.evidence.findings)
    assert report.evidence.summary.contradictions >= 1


def test_ingress_hosts_and_paths_reach_their_backends(shop: LabCluster) -> None:
    a = shop.analysis()
    paths = [p for p in a.paths if p.entry.kind == EntryKind.INGRESS]
    report = run_probe_paths(a, paths, ProbeSettings(timeout=1.0))
    seen: dict[tuple[str | None, str], tuple[Proof, set[str]]] = {}
    for i, t in hops(report, HopKind.ENTRY):
        o = report.evidence.observations[i]
        seen[(t.host_header, t.path)] = (
            o.proof,
            {p.split("/")[1].rsplit("-", 2)[0] for p in o.pods},
        )
    assert seen[("shop.example.com", "/")] == (Proof.CONFIRMED, {"web"})
    assert seen[("shop.example.com", "/api")] == (Proof.CONFIRMED, {"catalog"})
    assert seen[("admin.example.com", "/")] == (Proof.CONFIRMED, {"admin"})
    # No endpoint behind /reviews: the controller refuses with its own error, as predicted.
    assert seen[("shop.example.com", "/reviews")] == (Proof.CONFIRMED, set())


def test_probe_json_has_an_observed_object_per_hop(shop: LabCluster) -> None:
    a = shop.analysis()
    report = shop.probe("shop/checkout", analysis=a)
    doc = json.loads(json.dumps(report_json(a, report)))
    assert doc["schema"] == "kpath.paths/v1"
    nodeport = next(p for p in doc["paths"] if p["entry"]["kind"] == "nodeport")
    assert nodeport["entry"]["observed"] is None  # the node hops are the entry
    by_node = {g["nodes"][0]: g for g in nodeport["groups"]}
    black_hole = by_node["node-c"]
    assert black_hole["observed"]["verdict"] == "confirmed"
    assert black_hole["observed"]["predicted"] == ["silent"]
    assert black_hole["observed"]["probes"][0]["outcome"] == "timeout"
    assert black_hole["health"]["probes"][0]["status"] == 503
    endpoints = [e for g in nodeport["groups"] for e in g["endpoints"]]
    assert endpoints and all(e["observed"]["verdict"] == "confirmed" for e in endpoints)
    lb = next(p for p in doc["paths"] if p["entry"]["kind"] == "loadbalancer")
    assert lb["entry"]["observed"]["verdict"] == "confirmed"
    assert doc["probe"]["summary"]["contradictions"] == 0
    assert doc["probe"]["options"]["apiProxy"] is True


def test_unknown_service_is_a_usage_error(shop: LabCluster) -> None:
    from kpath.errors import InputError

    a = shop.analysis()
    with pytest.raises(InputError, match="did you mean shop/storefront"):
        service_paths(a, "shop/storefrnt")
    with pytest.raises(InputError, match="NAMESPACE/NAME"):
        service_paths(a, "storefront")


def test_a_rolling_update_of_a_local_policy_lb_raises_no_false_alarm(
    tmp_path: Path,
) -> None:
    """A checkout pod terminating gracefully: its node's health check fails (503: the load
    balancer drains it) while its NodePort still forwards to it. Both are predicted."""
    from kpath.lab.runner import LabThread

    with LabThread("shop", api={"tls": True, "token": TOKEN}) as lab:
        cluster = LabCluster(lab, lab.write_kubeconfig(tmp_path / "kubeconfig"))
        lab.clear()  # the scenario's hanging pod is not this test's business
        victim = lab.pods("shop", "checkout")[0]
        draining = victim["spec"]["nodeName"]
        lab.kill_pod("shop", victim["metadata"]["name"], graceful=True)
        # The lab's scheduler puts the replacement where the old pod was; a rollout whose new
        # pod is not there yet is what leaves a node with only the terminating one.
        lab.scale("shop", "checkout", 1)
        left = [
            (p["spec"]["nodeName"], bool(p["metadata"].get("deletionTimestamp")))
            for p in lab.pods("shop", "checkout")
        ]
        assert (draining, True) in left and (draining, False) not in left, left
        assert any(not gone for _, gone in left), left
        report = cluster.probe("shop/checkout")

    health = {t.node: i for i, t in hops(report, HopKind.HEALTH)}
    nodes = {t.node: i for i, t in hops(report, HopKind.NODE)}
    h, n = health[draining], nodes[draining]
    assert report.plan.targets[h].expect == {Expect.UNHEALTHY}
    assert [r.status for r in results_of(report, h)] == [503]
    assert report.plan.targets[n].expect == {Expect.ANSWER}
    assert all(r.outcome == Outcome.OK for r in results_of(report, n))
    assert report.evidence.summary.contradictions == 0
    assert not [f for f in report.evidence.findings if f.code in ("KP401", "KP402")]


def test_a_node_the_objects_call_notready_gets_no_prediction(shop: LabCluster) -> None:
    shop.lab.stop_node("node-a")  # type: ignore[attr-defined]
    try:
        after = shop.analysis()  # read after the stop: the Node says NotReady
        report = shop.probe("shop/storefront", analysis=after)
    finally:
        shop.lab.start_node("node-a")  # type: ignore[attr-defined]
    nodes = {t.node: i for i, t in hops(report, HopKind.NODE)}
    a = nodes["node-a"]
    assert report.plan.targets[a].expect == {Expect.UNKNOWN}
    assert [r.outcome for r in results_of(report, a)] == [Outcome.TIMEOUT]
    seen = report.evidence.observations[a]
    assert seen.proof == Proof.UNKNOWN and "NotReady" in seen.reason
    assert not any(f.code == "KP401" and "node-a" in f.message for f in report.evidence.findings)
