"""A hop's verdict from its targets' observations (the worst decides), and runs combined."""

from __future__ import annotations

from kpath.probe.evidence import Observation, Proof, judge
from kpath.probe.hops import hop_verdicts, merge
from kpath.probe.plan import PlanOptions, plan_probes
from kpath.probe.prober import Outcome, ProbeResult
from kpath.probe.run import ProbeReport, ProbeSettings, combine_reports
from tests.tui import data


def _obs(proof: Proof, target: int = 0) -> Observation:
    return Observation(target, proof, proof.value, ("answer",), (), None, False, None)


def test_the_worst_proof_decides() -> None:
    assert merge([]) is None
    assert merge([_obs(Proof.UNKNOWN), _obs(Proof.CONFIRMED, 1)]).proof == Proof.CONFIRMED
    assert merge([_obs(Proof.CONFIRMED), _obs(Proof.UNIDENTIFIED, 1)]).proof == Proof.UNIDENTIFIED
    assert (
        merge(
            [_obs(Proof.CONFIRMED), _obs(Proof.CONTRADICTED, 1), _obs(Proof.UNIDENTIFIED, 2)]
        ).proof
        == Proof.CONTRADICTED
    )


def _refused(target: int) -> ProbeResult:
    return ProbeResult(target, 0, Outcome.REFUSED, None, 1.0, None, None, "direct", "refused")


def _report(paths: list[int]) -> tuple[ProbeReport, list[int]]:
    analysis = data.shop()
    plan = plan_probes(analysis.snapshot, [analysis.paths[i] for i in paths], PlanOptions())
    results = [_refused(i) for i, t in enumerate(plan.targets) for _ in range(t.repeat)]
    return ProbeReport(plan, tuple(results), judge(plan, results, 500.0), ProbeSettings()), paths


def test_every_planned_hop_gets_a_verdict() -> None:
    report, _ = _report(list(range(len(data.shop().paths))))
    verdicts = hop_verdicts(report.plan, report.evidence)
    planned = {r for t in report.plan.targets for r in t.refs}
    assert set(verdicts) == planned
    for ref, v in verdicts.items():
        assert v.ref == ref and v.targets and v.done
        assert v.proof == merge(v.observations).proof


def test_runs_combined_take_the_latest_run_per_path_and_judge_again() -> None:
    first, second = _report([0, 1]), _report([1, 2])
    combined = combine_reports([first, second], [2, 0, 1, 5])
    assert combined is not None
    report, at = combined
    assert at == [0, 1, 2, None]  # path 5 was not probed
    assert [p.entry.label() for p in report.plan.paths] == [
        data.shop().paths[i].entry.label() for i in (2, 0, 1)
    ]
    # Path 1 comes from the second run: its targets' refs point at the combined plan.
    assert {r.path for t in report.plan.targets for r in t.refs} == {0, 1, 2}
    assert report.evidence.summary.done == len(report.results)
    assert report.evidence == judge(report.plan, report.results, 500.0)
    again = _report([0, 1, 2])[0]
    alone = hop_verdicts(again.plan, again.evidence)
    joined = hop_verdicts(report.plan, report.evidence)
    renumber = {2: 0, 0: 1, 1: 2}  # combined index of each path of `again`
    assert {r._replace(path=renumber[r.path]): v.proof for r, v in alone.items()} == {
        r: v.proof for r, v in joined.items()
    }
    assert combine_reports([first], [7]) is None
