"""Live probes for the UI: kpath's prober behind the app's `Prober` seam.

The app hands over path indexes and a sink; this plans those paths' probes, runs them (in the
app's probe worker thread, on an event loop of its own) and lands each result on its hop as
soon as it finishes, so the path view fills in while probing goes on.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from kpath.probe.command import RunOptions
from kpath.probe.evidence import seen_as
from kpath.probe.plan import Expect, HopKind, PlanOptions, ProbePlan, plan_probes
from kpath.probe.plan import HopRef as PlanRef
from kpath.probe.prober import ProbeOptions, ProbeResult, run_probes
from kpath.routing.analysis import Analysis
from kpath.tui.app import Prober, ProbeSink, ProgressSink
from kpath.tui.view_model import HopRef


def hop_refs(ref: PlanRef, path_index: int) -> HopRef | None:
    """Where a planned probe's result shows in the path view (None: nowhere of its own)."""
    if ref.hop == HopKind.ENTRY:
        return HopRef(path_index, "entry", "")
    if ref.hop == HopKind.NODE and ref.group is not None:
        return HopRef(path_index, "node", str(ref.group))
    if ref.hop == HopKind.POD and ref.endpoint is not None:
        return HopRef(path_index, "pod", f"{ref.group or 0}/{ref.endpoint}")
    return None  # health checks: shown in `kpath probe`, not as a hop of their own


def land(plan: ProbePlan, indexes: Sequence[int], result: ProbeResult,
         sink: ProbeSink) -> None:
    """Report one finished probe on every hop it stands for."""
    target = plan.targets[result.target]
    if target.internal and not result.answered:
        return  # an in-cluster address that fails from here proves nothing either way
    seen = seen_as(target, result)
    ok = seen in (Expect.ANSWER, Expect.HEALTHY)
    where = f" ({result.via})" if result.via != "direct" else ""
    detail = f"{result.detail}{where}"
    if ok and result.pod is None and target.hop != HopKind.HEALTH:
        detail += ": answered (unidentified), no pod named itself"  # as `kpath probe` says
    for ref in target.refs:
        hop = hop_refs(ref, indexes[ref.path])
        if hop is not None:
            sink(hop, ok, detail)


def tui_prober(options: RunOptions) -> Prober:
    """A `Prober` for the app, probing as `kpath paths --probe` would with ``options``."""
    quiet = dataclasses.replace(options, progress=False)  # the UI shows its own progress

    def prober(analysis: Analysis, indexes: Sequence[int], sink: ProbeSink,
               progress: ProgressSink) -> None:
        paths = [analysis.paths[i] for i in indexes]
        plan = plan_probes(analysis.snapshot, paths,
                           PlanOptions(quiet.all_nodes, quiet.http, quiet.samples))
        probe_opts = ProbeOptions(quiet.concurrency, quiet.timeout, quiet.insecure, quiet.api)
        total, done = len(plan.targets), 0
        progress(0, total)

        def finished(result: ProbeResult) -> None:
            nonlocal done
            land(plan, indexes, result, sink)
            done += 1
            progress(done, total)

        asyncio.run(run_probes(plan.targets, probe_opts, finished))

    return prober
