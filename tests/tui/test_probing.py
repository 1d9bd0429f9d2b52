"""Probes land on the path view: the adapter's mapping, and `kpath snapshot --probe` on the lab."""

from __future__ import annotations

import pytest

from kpath.cli import main
from kpath.probe.plan import HopKind
from kpath.probe.plan import HopRef as PlanRef
from kpath.tui.probing import hop_refs
from kpath.tui.view_model import HopRef


@pytest.mark.parametrize(("planned", "shown"), [
    (PlanRef(0, HopKind.ENTRY), HopRef(7, "entry", "")),
    (PlanRef(0, HopKind.NODE, group=2), HopRef(7, "node", "2")),
    (PlanRef(0, HopKind.POD, group=1, endpoint="10.0.0.1:80"), HopRef(7, "pod", "1/10.0.0.1:80")),
    (PlanRef(0, HopKind.POD, endpoint="10.0.0.1:80"), HopRef(7, "pod", "0/10.0.0.1:80")),
    (PlanRef(0, HopKind.HEALTH, group=1), None),
])
def test_planned_hops_map_to_the_path_view(planned, shown):
    assert hop_refs(planned, 7) == shown


@pytest.mark.lab
def test_snapshot_with_probes_shows_the_confirmed_black_hole(tmp_path, capsys):
    out = tmp_path / "probed.svg"
    assert main(["snapshot", "--demo", "--service", "shop/checkout", "--probe",
                 "--timeout", "1", "--size", "120x40", "--svg", str(out)]) == 0
    svg = out.read_text()
    # node-c is a Local-policy black hole: predicted a drop, and the probe saw no answer.
    assert "no&#160;answer,&#160;as&#160;predicted" in svg or "no answer, as predicted" in svg
    assert "probe&#160;ok" in svg or "probe ok" in svg
    assert "contradiction" not in svg


def test_an_answer_that_names_no_pod_lands_as_unidentified():
    from kpath.cluster.records import ObjectKey
    from kpath.probe.plan import Expect, ProbePlan, ProbeTarget
    from kpath.probe.prober import Outcome, ProbeResult
    from kpath.tui.probing import land

    ref = PlanRef(0, HopKind.POD, endpoint="127.0.0.1:80")
    t = ProbeTarget(HopKind.POD, "http", "127.0.0.1", 80, "/", None, None, None,
                    ObjectKey("shop", "web-1"), frozenset({Expect.ANSWER}),
                    frozenset({"shop/web-1"}), False, False, 1, (ref,))
    plan = ProbePlan((), (t,), (), {})
    landed: list[tuple[HopRef, bool, str]] = []
    for pod in (None, "shop/web-1"):
        result = ProbeResult(0, 0, Outcome.OK, 200, 1.0, pod, None, "direct", "HTTP 200")
        land(plan, [3], result, lambda *a: landed.append(a))
    (unnamed_hop, unnamed_ok, unnamed), (_, named_ok, named) = landed
    assert unnamed_hop == HopRef(3, "pod", "0/127.0.0.1:80") and unnamed_ok and named_ok
    assert "answered (unidentified)" in unnamed and "unidentified" not in named
