"""Probes land on the path view with `evidence`'s verdict: the plan's hop identity, the live
judgement, and the whole chain (plan, prober, judgement, drawing) on the lab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpath.cli import main
from kpath.cluster.records import ObjectKey
from kpath.probe.evidence import judge
from kpath.probe.hops import hop_verdicts
from kpath.probe.plan import (
    HopKind,
    HopRef,
    PlanOptions,
    ProbePlan,
    plan_probes,
)
from kpath.probe.prober import Outcome, ProbeResult
from kpath.routing.kubeproxy import Verdict
from kpath.tui.probing import LiveJudgement, marks, view_ref
from kpath.tui.styles import ProbeState
from kpath.tui.view_model import diagram
from tests.tui import data

pytestmark = pytest.mark.anyio
SCENARIOS = Path(__file__).resolve().parents[2] / "kpath" / "lab" / "scenarios"


def test_every_planned_hop_is_a_drawn_hop_under_its_own_group() -> None:
    analysis = data.shop()
    indexes = list(range(len(analysis.paths)))
    plan = plan_probes(analysis.snapshot, analysis.paths, PlanOptions())
    drawn = {h.ref for i in indexes for h in diagram(analysis, i).hops()}
    planned = {view_ref(r, indexes) for t in plan.targets for r in t.refs}
    # Health checks have no box of their own (the node group's details show them).
    assert {r for r in planned if r.hop != HopKind.HEALTH} <= drawn
    pods = [r for r in planned if r.hop == HopKind.POD]
    for r in pods:  # a pod hop names the group it is drawn under (None: straight to pods)
        p = analysis.paths[r.path]
        choice = p.direct if r.group is None else p.groups[r.group].choice
        assert r.endpoint in {t.endpoint for t in choice.targets}
    assert any(r.group not in (None, 0) for r in pods)  # not all on the first group


def test_view_ref_names_the_same_hop_in_the_shown_analysis() -> None:
    ref = HopRef(1, HopKind.POD, 2, "10.0.0.1:80")
    assert view_ref(ref, [4, 9]) == HopRef(9, HopKind.POD, 2, "10.0.0.1:80")


def _pod_plan(repeat: int = 1, twice: bool = False) -> tuple[ProbePlan, HopRef]:
    """The shop's plan cut to one pod hop (``twice``: probed by two targets)."""
    analysis = data.shop()
    plan = plan_probes(analysis.snapshot, analysis.paths, PlanOptions())
    t = next(t for t in plan.targets if t.hop == HopKind.POD)
    t = t._replace(repeat=repeat, refs=t.refs[:1])
    targets = (t, t._replace(port=t.port + 1)) if twice else (t,)
    return ProbePlan(plan.paths, targets, (), plan.pod_nodes), t.refs[0]


def _answer(target: int, attempt: int, pod: str | None) -> ProbeResult:
    return ProbeResult(target, attempt, Outcome.OK, 200, 1.0, pod, None, "direct", "HTTP 200")


def test_live_marks_are_evidence_verdicts_and_end_as_the_whole_run_judged() -> None:
    plan, ref = _pod_plan(repeat=2)
    pod = next(iter(plan.targets[0].expected_pods))
    live = LiveJudgement(plan, 500.0)
    results = [_answer(0, 0, pod), _answer(0, 1, None)]
    shown = ref._replace(path=7)
    indexes = [7] * len(plan.paths)
    first = marks(live.add(results[0]), indexes)
    assert first[shown].state == ProbeState.CONFIRMED
    second = marks(live.add(results[1]), indexes)
    # One answer named no pod: evidence says "answered (unidentified)", and so does the UI.
    mark = second[shown]
    assert mark.state == ProbeState.UNIDENTIFIED and "answered (unidentified)" in mark.reason
    whole = marks(hop_verdicts(plan, judge(plan, results, 500.0)), indexes)
    assert whole == second


def test_a_hop_of_two_targets_shows_the_worse_one() -> None:
    plan, ref = _pod_plan(twice=True)
    pod = next(iter(plan.targets[0].expected_pods))
    live = LiveJudgement(plan, 500.0)
    indexes = list(range(len(plan.paths)))
    assert marks(live.add(_answer(0, 0, pod)), indexes)[ref].state == ProbeState.CONFIRMED
    refused = ProbeResult(1, 0, Outcome.REFUSED, None, 1.0, None, None, "direct", "refused")
    assert marks(live.add(refused), indexes)[ref].state == ProbeState.CONTRADICTED


def _first_group_drops(tmp_path: Path) -> Path:
    """The shop lab with checkout's pods moved to zone-b: the Local-policy LoadBalancer's
    first node group (zone-a) has no local pod and drops, the second (node-c) answers."""
    text = (SCENARIOS / "shop.yaml").read_text(encoding="utf-8")
    old = "nodeSelector: {topology.kubernetes.io/zone: zone-a}"
    assert text.count(old) == 1
    path = tmp_path / "shop-checkout-zone-b.yaml"
    path.write_text(
        text.replace(old, "nodeSelector: {topology.kubernetes.io/zone: zone-b}"), encoding="utf-8"
    )
    return path


@pytest.mark.lab
async def test_lab_local_policy_pods_under_the_second_group_show_their_verdict(
    tmp_path: Path,
) -> None:
    from kpath.cluster.access import api_access
    from kpath.cluster.live import LiveOptions, load_live
    from kpath.cluster.snapshot import build_snapshot
    from kpath.export.probejson import report_json
    from kpath.lab.runner import LabThread
    from kpath.probe.run import ProbeSettings
    from kpath.routing.analysis import analyse
    from kpath.routing.paths import EntryKind
    from kpath.tui.probing import tui_prober
    from tests.tui.helpers import make_app, screen_text

    with LabThread(_first_group_drops(tmp_path)) as lab:
        kc = str(lab.write_kubeconfig(tmp_path / "kubeconfig"))
        analysis = analyse(
            build_snapshot(load_live(LiveOptions(kubeconfig=kc, all_namespaces=True)))
        )
        key = ObjectKey("shop", "checkout")
        lb = next(
            i
            for i, p in enumerate(analysis.paths)
            if p.service == key and p.entry.kind == EntryKind.LOAD_BALANCER
        )
        p = analysis.paths[lb]
        assert p.policy == "Local" and len(p.groups) == 2
        # Groups come forwarding first: node-c's pods, then the dropping zone-a group.
        fwd, drop = 0, 1
        assert p.groups[drop].choice.verdict == Verdict.DROP
        assert not p.groups[drop].choice.targets
        pods = [HopRef(lb, HopKind.POD, fwd, t.endpoint) for t in p.groups[fwd].choice.targets]
        assert pods
        settings = ProbeSettings(timeout=1.0, api=api_access(kc, None))
        app = make_app(
            analysis,
            live=True,
            prober=tui_prober(settings),
            probe_settings=settings,
            save_dir=tmp_path,
        )
        async with app.run_test(size=(160, 48)) as pilot:
            await app.wait_loaded(pilot.pause)
            await app.main.jump_to(key)
            await pilot.pause()
            await app.run_action("probe")
            await app.wait_for_work()
            await pilot.pause()
            probes = app.main.probes
            # The judgement the CLI prints for the same run, hop by hop.
            (report, indexes) = app.main.reports[-1]
            expected = marks(hop_verdicts(report.plan, report.evidence), indexes)
            assert {r: m for r, m in probes.items() if r in expected} == expected
            assert probes[HopRef(lb, HopKind.NODE, drop)].state == ProbeState.CONFIRMED  # drop
            for ref in pods:  # their own verdict, not "unprobed"
                assert probes[ref].state == ProbeState.CONFIRMED, probes[ref]
            assert report.evidence.summary.contradictions == 0
            text = screen_text(app)
            assert "✓ confirmed" in text and "‼ contradiction" not in text
            # The drawn diagram: the forwarding group's pods box carries its verdict.
            view = app.main.path_view
            assert view.select_ref(pods[0])
            await pilot.pause()
            assert "✓ confirmed" in screen_text(app).split("node-c", 1)[1]
            # The dropping group's details: evidence's reason, and its health check's.
            assert view.select_ref(HopRef(lb, HopKind.NODE, drop))
            await pilot.pause()
            details = screen_text(app)
            node = probes[HopRef(lb, HopKind.NODE, drop)]
            health = probes[HopRef(lb, HopKind.HEALTH, drop)]
            assert node.reason.startswith("predicted silence")
            assert health.state == ProbeState.CONFIRMED and "healthz 503" in health.reason
            assert "health probe" in details and "predicted silence" in details
            assert app.main.status.probes.startswith(f"probes: {report.plan.probe_count} done")
            # `e`: the probe results on screen, as `kpath paths --probe -o json` writes them.
            await app.run_action("export_json")
            await app.wait_for_work()
            doc = json.loads(next(tmp_path.glob("*.json")).read_text())
        cli = report_json(analysis, report)
        by_way = {(p["service"], p["entry"]["label"]): p for p in cli["paths"]}
        exported = [p for p in doc["paths"] if p["service"] == "shop/checkout"]
        assert exported and doc.keys() == cli.keys()
        assert doc["probe"]["options"] == cli["probe"]["options"]
        # The export holds the paths shown (not checkout's ClusterIP): the summary is theirs.
        hops = [
            h
            for p in exported
            for h in [
                p["entry"]["observed"],
                *(g["observed"] for g in p["groups"]),
                *(g["health"] for g in p["groups"]),
                *(e["observed"] for g in p["groups"] for e in g["endpoints"]),
            ]
            if h
        ]
        distinct = {json.dumps(pr, sort_keys=True) for h in hops for pr in h["probes"]}
        assert doc["probe"]["summary"]["done"] == len(distinct) > 0
        for pj in exported:
            assert pj == by_way[(pj["service"], pj["entry"]["label"])]
        assert all(
            "observed" not in p["entry"] for p in doc["paths"] if p["service"] != "shop/checkout"
        )  # not probed: no observation


@pytest.mark.lab
def test_snapshot_with_probes_shows_the_confirmed_black_hole(tmp_path: Path) -> None:
    out = tmp_path / "probed.svg"
    assert (
        main(
            [
                "snapshot",
                "--demo",
                "--service",
                "shop/checkout",
                "--probe",
                "--timeout",
                "1",
                "--size",
                "120x40",
                "--svg",
                str(out),
            ]
        )
        == 0
    )
    svg = out.read_text().replace("&#160;", " ")
    # node-c is a Local-policy black hole: predicted a drop, and evidence confirmed it.
    assert "✓ confirmed" in svg
    assert "‼ contradiction" not in svg and "0 contradictions" in svg
