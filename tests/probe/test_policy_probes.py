"""Probe predictions under NetworkPolicy: a blocked hop predicts silence (a timeout confirms
it, an answer contradicts it), an allowed hop an answer (a timeout contradicts it)."""

from __future__ import annotations

from kpath.probe.evidence import Proof, observe
from kpath.probe.expect import Expect
from kpath.probe.plan import HopKind, PlanOptions, ProbeTarget, plan_probes
from kpath.probe.prober import Outcome, ProbeResult
from kpath.routing.paths import EntryKind
from tests.routing.policy.pathcluster import allow_office, analysed, base, web


def result(outcome: Outcome, pod: str | None = None) -> ProbeResult:
    status = 200 if outcome == Outcome.OK else None
    return ProbeResult(0, 0, outcome, status, 5.0, pod, None, "direct", outcome.value)


def targets(a, kind: HopKind, node: str | None = None) -> list[ProbeTarget]:
    plan = plan_probes(a.snapshot, a.paths, PlanOptions())
    return [t for t in plan.targets if t.hop == kind and (node is None or t.node == node)]


def blocked():
    return analysed(*base(("n1", "n2", "n4")), web(), allow_office())


def test_a_blocked_node_hop_predicts_silence_and_names_the_policy():
    (t,) = targets(blocked(), HopKind.NODE, "n4")
    assert t.expect == {Expect.SILENT} and t.policy == "blocked by policy shop/allow-office"


def test_a_timeout_on_a_blocked_hop_confirms_and_an_answer_contradicts():
    (t,) = targets(blocked(), HopKind.NODE, "n4")
    ok = observe(0, t, [result(Outcome.TIMEOUT)], {}, 1000)
    assert ok.proof == Proof.CONFIRMED and "shop/allow-office" in ok.reason
    bad = observe(0, t, [result(Outcome.OK, "shop/web-1")], {}, 1000)
    assert bad.proof == Proof.CONTRADICTED
    assert "predicted silence (dropped) (blocked by policy shop/allow-office)" in bad.reason


def test_a_partly_blocked_hop_accepts_either():
    a = blocked()
    (t,) = [x for x in targets(a, HopKind.NODE) if x.node in ("n1", "n2")]
    assert t.expect == {Expect.ANSWER, Expect.SILENT} and "2/2 endpoints" in t.policy
    assert observe(0, t, [result(Outcome.TIMEOUT)], {}, 1000).proof == Proof.CONFIRMED


def test_an_allowed_hop_keeps_its_answer_and_a_timeout_contradicts_it():
    a = analysed(*base(), web(etp="Local"), allow_office(), client="198.51.100.9")
    node_targets = [t for t in targets(a, HopKind.NODE) if t.expect == {Expect.ANSWER}]
    assert node_targets and all(t.policy == "" for t in node_targets)
    obs = observe(0, node_targets[0], [result(Outcome.TIMEOUT)], {}, 1000)
    assert obs.proof == Proof.CONTRADICTED


def test_the_entry_of_a_wholly_blocked_path_predicts_silence():
    a = analysed(*base(), web(etp="Local"), allow_office())
    (t,) = [x for x in targets(a, HopKind.ENTRY) if x.host == "192.0.2.50"]
    assert t.expect == {Expect.SILENT} and "shop/allow-office" in t.policy
    # Cluster policy with the pods' own nodes allowed: either may be seen at the address.
    (t,) = [x for x in targets(blocked(), HopKind.ENTRY) if x.host == "192.0.2.50"]
    assert Expect.SILENT in t.expect and Expect.ANSWER in t.expect


def test_pod_hops_are_judged_from_the_client():
    a = analysed(*base(), web(), allow_office())
    pods = targets(a, HopKind.POD)
    assert pods and all(t.expect == {Expect.SILENT} for t in pods)
    assert "from the client 203.0.113.1" in pods[0].policy
    a = analysed(*base(), web(), allow_office(), client="198.51.100.9")
    assert all(t.expect == {Expect.ANSWER} for t in targets(a, HopKind.POD))


def test_without_policies_nothing_changes():
    a = analysed(*base(), web())
    assert all(t.policy == "" for t in plan_probes(a.snapshot, a.paths, PlanOptions()).targets)
    assert EntryKind.LOAD_BALANCER in {p.entry.kind for p in a.paths}
