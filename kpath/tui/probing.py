"""Live probes for the UI: kpath's probing behind the app's `Prober` seam.

The app hands over path indexes, the probe settings and two sinks; this plans those paths'
probes as `kpath probe` does, runs them (in the app's probe worker thread, on an event loop
of its own) and shows `evidence`'s judgement on every hop as results arrive: each finished
probe re-judges its own target (`judge` on that target alone, pure and cheap), and the end of
the run replaces every mark with the judgement of the whole run, the one `kpath probe`
prints. No rule of the UI's own decides a verdict.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping, Sequence

from kpath.probe.evidence import Observation, Proof, judge
from kpath.probe.hops import HopVerdict, hop_verdict, hop_verdicts, targets_by_hop
from kpath.probe.plan import HopRef, ProbePlan
from kpath.probe.prober import ProbeResult
from kpath.probe.run import ProbeReport, ProbeSettings, plan_paths, probe_plan
from kpath.routing.analysis import Analysis
from kpath.tui.styles import ProbeState
from kpath.tui.view_model import ProbeMark

#: Called with the marks of the hops whose verdict changed (refs into ``analysis.paths``).
MarkSink = Callable[[Mapping[HopRef, ProbeMark]], None]
#: Called as probes finish: how many of the plan's probes are done, of how many.
ProgressSink = Callable[[int, int], None]
#: Probes the given paths (indexes into ``analysis.paths``) with these settings.
Prober = Callable[
    [Analysis, Sequence[int], ProbeSettings, MarkSink, ProgressSink], ProbeReport | None
]

_STATES = {
    Proof.CONFIRMED: ProbeState.CONFIRMED,
    Proof.CONTRADICTED: ProbeState.CONTRADICTED,
    Proof.UNKNOWN: ProbeState.UNKNOWN,
    Proof.UNIDENTIFIED: ProbeState.UNIDENTIFIED,
    Proof.ANSWERED_ERROR: ProbeState.ANSWERED_ERROR,
}


def view_ref(ref: HopRef, indexes: Sequence[int]) -> HopRef:
    """The plan's hop, named in the analysis the UI shows (plan path i is ``indexes[i]``)."""
    return ref._replace(path=indexes[ref.path])


def mark(verdict: HopVerdict) -> ProbeMark:
    """What the UI shows for a hop: evidence's proof and reason, as they are."""
    return ProbeMark(_STATES[verdict.proof], verdict.reason)


def marks(verdicts: Mapping[HopRef, HopVerdict], indexes: Sequence[int]) -> dict[HopRef, ProbeMark]:
    """Every judged hop's mark, keyed by the hop in the shown analysis."""
    return {view_ref(ref, indexes): mark(v) for ref, v in verdicts.items()}


class LiveJudgement:
    """The judgement of a run as results arrive (one target re-judged per result)."""

    def __init__(self, plan: ProbePlan, slow_ms: float) -> None:
        self.plan, self.slow_ms = plan, slow_ms
        self.by_hop = targets_by_hop(plan)
        self.results: dict[int, list[ProbeResult]] = {}
        self.observations: dict[int, Observation] = {}

    def add(self, result: ProbeResult) -> dict[HopRef, HopVerdict]:
        """Take one result; the verdicts of the hops its target stands for."""
        i = result.target
        rs = self.results.setdefault(i, [])
        rs.append(result)
        t = self.plan.targets[i]
        alone = ProbePlan(self.plan.paths, (t,), (), self.plan.pod_nodes)
        (o,) = judge(alone, [r._replace(target=0) for r in rs], self.slow_ms).observations
        self.observations[i] = o._replace(target=i)
        out = {}
        for ref in t.refs:
            seen = [j for j in self.by_hop[ref] if j in self.observations]
            v = hop_verdict(ref, seen, self.observations)  # only the targets probed so far
            if v is not None:
                out[ref] = v
        return out


def tui_prober(base: ProbeSettings | None = None) -> Prober:
    """A `Prober` for the app: probes as ``kpath paths --probe`` would, with the settings the
    app passes (its command palette changes them; the app sets their API access from its
    source) or, given ``base``, the API access of ``base``."""

    def prober(
        analysis: Analysis,
        indexes: Sequence[int],
        settings: ProbeSettings,
        sink: MarkSink,
        progress: ProgressSink,
    ) -> ProbeReport:
        if base is not None:
            settings = dataclasses.replace(settings, api=base.api)
        plan = plan_paths(analysis, [analysis.paths[i] for i in indexes], settings)
        live = LiveJudgement(plan, settings.slow_ms)
        total, done = plan.probe_count, 0
        progress(0, total)

        def finished(result: ProbeResult) -> None:
            nonlocal done
            sink(marks(live.add(result), indexes))
            done += 1
            progress(done, total)

        report = asyncio.run(probe_plan(plan, settings, finished))
        sink(marks(hop_verdicts(plan, report.evidence), indexes))  # the run's own judgement
        return report

    return prober
