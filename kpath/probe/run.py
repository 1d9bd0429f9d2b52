"""Probing, start to end: plan the selected paths, probe them, judge what was seen.

No printing here: callers pass ``on_result`` to follow the run (the CLI's progress bar, the
UI's live marks) and render the `ProbeReport` themselves (`kpath.export.probejson`,
`kpath.export.probetext`).
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kpath.cluster.access import ApiCredentials
from kpath.cluster.records import ObjectKey
from kpath.errors import InputError
from kpath.probe.evidence import Evidence, ProbeFinding, judge
from kpath.probe.plan import NotProbed, PlanOptions, ProbePlan, ProbeTarget, plan_probes
from kpath.probe.prober import ApiAccess, ProbeOptions, ProbeResult, run_probes
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Severity
from kpath.routing.paths import Path
from kpath.routing.scope import ViewScope
from kpath.safetext import clean

#: Called with each probe as it finishes (from the event loop the probes run on).
OnResult = Callable[[ProbeResult], None]


@dataclass(frozen=True)
class ProbeSettings:
    """How to probe: what ``kpath probe`` takes from its flags, and the UI from its palette."""

    concurrency: int = 64
    timeout: float = 2.0  # seconds per probe
    slow_ms: float = 500.0
    all_nodes: bool = False
    insecure: bool = False
    http: bool = False
    samples: int = 3  # probes per entry where several pods may answer
    api: ApiCredentials | None = None  # for pods that do not answer at their IP from here

    def check(self) -> None:
        if not 1 <= self.concurrency <= 4096:
            raise InputError(f"--concurrency {self.concurrency}: give 1 to 4096")
        if not 0 < self.timeout <= 300:
            raise InputError(f"--timeout {self.timeout:g}: give seconds above 0, at most 300")
        if self.slow_ms < 0:
            raise InputError(f"--slow {self.slow_ms:g}: give milliseconds, 0 or more")
        if not 1 <= self.samples <= 100:
            raise InputError(f"samples {self.samples}: give 1 to 100")

    def plan_options(self) -> PlanOptions:
        return PlanOptions(self.all_nodes, self.http, self.samples)

    def probe_options(self) -> ProbeOptions:
        api = None if self.api is None else api_of(self.api)
        return ProbeOptions(self.concurrency, self.timeout, self.insecure, api)


def api_of(a: ApiCredentials) -> ApiAccess:
    """The prober's view of a kubeconfig's API server and credentials."""
    return ApiAccess(a.server, dict(a.headers), a.verify, a.cert, a.secrets)


@dataclass(frozen=True)
class ProbeReport:
    plan: ProbePlan
    results: tuple[ProbeResult, ...]
    evidence: Evidence
    options: ProbeSettings

    def failing(self, threshold: Severity) -> list[ProbeFinding]:
        return [f for f in self.evidence.findings if f.severity.rank >= threshold.rank]

    @property
    def contradicted(self) -> bool:
        """The cluster did not behave as its objects say somewhere (``kpath probe`` exits 1)."""
        return self.evidence.summary.contradictions > 0


def _chosen(analysis: Analysis, selection: ViewScope | Iterable[Path]) -> list[Path]:
    if isinstance(selection, ViewScope):
        return selection.paths(analysis)
    return list(selection)


def plan_paths(
    analysis: Analysis, selection: ViewScope | Iterable[Path], settings: ProbeSettings
) -> ProbePlan:
    settings.check()
    # Every path as context: a Gateway rule's answer depends on its other backends and on
    # every rule of its listener, chosen or not.
    return plan_probes(
        analysis.snapshot,
        _chosen(analysis, selection),
        settings.plan_options(),
        context=analysis.paths,
    )


def run_probe_paths(
    analysis: Analysis,
    selection: ViewScope | Iterable[Path],
    settings: ProbeSettings,
    on_result: OnResult | None = None,
) -> ProbeReport:
    """Plan, probe and judge the selected paths. Ctrl+C cancels every probe and re-raises."""
    return run_plan(plan_paths(analysis, selection, settings), settings, on_result)


def run_plan(
    plan: ProbePlan, settings: ProbeSettings, on_result: OnResult | None = None
) -> ProbeReport:
    """Probe a plan in a fresh event loop. On Ctrl+C asyncio cancels the probes (each closes
    its connection) before KeyboardInterrupt reaches the caller."""
    return asyncio.run(probe_plan(plan, settings, on_result))


async def probe_plan(
    plan: ProbePlan, settings: ProbeSettings, on_result: OnResult | None = None
) -> ProbeReport:
    """The probing itself, for callers that run their own event loop."""
    results = await run_probes(plan.targets, settings.probe_options(), on_result)
    return ProbeReport(plan, tuple(results), judge(plan, results, settings.slow_ms), settings)


def service_paths(analysis: Analysis, name: str) -> list[Path]:
    """Every path of one service (``NS/NAME``), internal ones and Ingress rules included."""
    ns, sep, svc = name.partition("/")
    if not sep or not ns or not svc or "/" in svc:
        raise InputError(f"service {name!r}: give it as NAMESPACE/NAME")
    key = ObjectKey(ns, svc)
    if key not in analysis.snapshot.services:
        known = [str(k) for k in sorted(analysis.snapshot.services)]
        close = difflib.get_close_matches(name, known, n=3)
        # Names from the cluster, each shown escaped: the message stays one honest line.
        hint = (
            f"; did you mean {', '.join(map(clean, close))}?"
            if close
            else (
                f"; services: {', '.join(map(clean, known[:8]))}{' …' if len(known) > 8 else ''}"
                if known
                else "; the cluster has no services"
            )
        )
        raise InputError(f"no service {clean(name)}{hint}")
    return [p for p in analysis.paths if p.service == key]


def combine_reports(
    parts: Sequence[tuple[ProbeReport, Sequence[int | None]]], wanted: Sequence[int]
) -> tuple[ProbeReport, list[int | None]] | None:
    """Several runs as one report, for the paths ``wanted`` (the UI probes a service at a
    time; its export is one document).

    ``parts``: each run with, for each of its plan's paths, the caller's index of that path
    (None: gone since). A path probed by several runs takes the latest. Returns the report
    (judged again as a whole, so its findings and summary are those of what it holds) and,
    for each wanted path, its index in the report's plan (None: not probed).
    """
    owner: dict[int, tuple[int, int]] = {}  # caller's index → (run, plan path)
    for run, (_, indexes) in enumerate(parts):
        for pi, index in enumerate(indexes):
            if index is not None:
                owner[index] = (run, pi)
    chosen = list(dict.fromkeys(i for i in wanted if i in owner))
    if not chosen:
        return None
    renumber = {owner[i]: n for n, i in enumerate(chosen)}
    paths = [parts[owner[i][0]][0].plan.paths[owner[i][1]] for i in chosen]
    targets: list[ProbeTarget] = []
    results: list[ProbeResult] = []
    skipped: list[NotProbed] = []
    pod_nodes: dict[str, str | None] = {}
    for run, (report, _) in enumerate(parts):
        moved: dict[int, int] = {}
        for ti, t in enumerate(report.plan.targets):
            refs = tuple(
                r._replace(path=renumber[(run, r.path)])
                for r in t.refs
                if (run, r.path) in renumber
            )
            if refs:
                moved[ti] = len(targets)
                targets.append(t._replace(refs=refs))
        results += [r._replace(target=moved[r.target]) for r in report.results if r.target in moved]
        skipped += [
            n._replace(path=renumber[(run, n.path)])
            for n in report.plan.not_probed
            if (run, n.path) in renumber
        ]
        pod_nodes.update(report.plan.pod_nodes)
    plan = ProbePlan(tuple(paths), tuple(targets), tuple(skipped), pod_nodes)
    settings = parts[-1][0].options
    combined = ProbeReport(plan, tuple(results), judge(plan, results, settings.slow_ms), settings)
    at = {i: n for n, i in enumerate(chosen)}
    return combined, [at.get(i) for i in wanted]
