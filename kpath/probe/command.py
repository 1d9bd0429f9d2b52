"""What the CLI calls for ``kpath paths --probe`` and ``kpath probe NS/NAME``.

`run_probe_paths` plans, probes and judges; `report_json` extends the ``kpath.paths/v1``
document with an ``observed`` object per hop (docs/json.md); `print_report` renders the same
for a terminal. `api_access` reads the kubeconfig's API server and credentials for the pod
proxy fallback.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from kpath.cluster.records import ObjectKey
from kpath.errors import InputError
from kpath.export.jsonout import paths_json
from kpath.probe.evidence import (
    PROBE_RULES,
    PROOF_WORDS,
    Evidence,
    Observation,
    ProbeFinding,
    Proof,
    judge,
    sample_words,
    where,
)
from kpath.probe.plan import HopKind, HopRef, PlanOptions, ProbePlan, ProbeTarget, plan_probes
from kpath.probe.prober import ApiAccess, ProbeOptions, ProbeResult, run_probes
from kpath.probe.progress import ProbeProgress, summary_line
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Finding, Severity
from kpath.routing.paths import Path
from kpath.routing.select import Selection
from kpath.safetext import clean, literal, literal_message

PROOF_STYLE = {  # the words are evidence's (PROOF_WORDS); only the colours are chosen here
    Proof.CONFIRMED: (PROOF_WORDS[Proof.CONFIRMED], "green"),
    Proof.CONTRADICTED: (PROOF_WORDS[Proof.CONTRADICTED], "bold red"),
    Proof.UNKNOWN: (PROOF_WORDS[Proof.UNKNOWN], "yellow"),
    Proof.UNIDENTIFIED: (PROOF_WORDS[Proof.UNIDENTIFIED], "cyan"),
    Proof.ANSWERED_ERROR: (PROOF_WORDS[Proof.ANSWERED_ERROR], "yellow"),
}


@dataclass(frozen=True)
class RunOptions:
    """Everything ``--probe`` takes from the command line."""

    concurrency: int = 64
    timeout: float = 2.0  # seconds per probe
    slow_ms: float = 500.0
    all_nodes: bool = False
    insecure: bool = False
    http: bool = False
    samples: int = 3  # probes per entry where several pods may answer
    api: ApiAccess | None = None  # for pods that do not answer at their IP from here
    progress: bool | None = None  # None: when stderr is a terminal

    def check(self) -> None:
        if not 1 <= self.concurrency <= 4096:
            raise InputError(f"--concurrency {self.concurrency}: give 1 to 4096")
        if not 0 < self.timeout <= 300:
            raise InputError(f"--timeout {self.timeout:g}: give seconds above 0, at most 300")
        if self.slow_ms < 0:
            raise InputError(f"--slow {self.slow_ms:g}: give milliseconds, 0 or more")
        if not 1 <= self.samples <= 100:
            raise InputError(f"samples {self.samples}: give 1 to 100")


@dataclass(frozen=True)
class ProbeReport:
    plan: ProbePlan
    results: tuple[ProbeResult, ...]
    evidence: Evidence
    options: RunOptions

    def failing(self, threshold: Severity) -> list[ProbeFinding]:
        return [f for f in self.evidence.findings if f.severity.rank >= threshold.rank]


# --------------------------------------------------------------------------- running
def api_access(kubeconfig: str | None, context: str | None) -> ApiAccess:
    """The API server and credentials a kubeconfig names (for ``pods/…/proxy``).

    Read with the same merge rules as the live source, so the probes' API server is the one
    the paths were read from.
    """
    from kpath.cluster.kubeconfig import resolve_target  # imports the kubernetes client
    from kpath.cluster.redact import redaction_set

    target = resolve_target(kubeconfig, context)
    cfg = target.configuration
    # The client's own auth settings (a bearer token, refreshed by an exec plugin if any).
    headers = {str(a["key"]).title(): str(a["value"]) for a in cfg.auth_settings().values()
               if a.get("in") == "header" and a.get("value")}
    verify: bool | str = (cfg.ssl_ca_cert or True) if cfg.verify_ssl else False
    cert = (cfg.cert_file, cfg.key_file) if cfg.cert_file and cfg.key_file else None
    return ApiAccess(str(cfg.host).rstrip("/"), headers, verify, cert,
                     redaction_set(target.credentials()))


def _chosen(analysis: Analysis, selection: Selection | Iterable[Path]) -> list[Path]:
    if isinstance(selection, Selection):
        return selection.paths(analysis.paths)
    return list(selection)


def run_probe_paths(
    analysis: Analysis, selection: Selection | Iterable[Path], options: RunOptions
) -> ProbeReport:
    """Plan, probe and judge the selected paths. Ctrl+C cancels every probe and re-raises."""
    options.check()
    plan = plan_probes(analysis.snapshot, _chosen(analysis, selection),
                       PlanOptions(options.all_nodes, options.http, options.samples))
    return run_plan(plan, options)


def run_plan(plan: ProbePlan, options: RunOptions) -> ProbeReport:
    """Probe a plan in a fresh event loop. On Ctrl+C asyncio cancels the probes (each closes
    its connection) before KeyboardInterrupt reaches the caller."""
    return asyncio.run(probe_plan(plan, options))


async def probe_plan(plan: ProbePlan, options: RunOptions) -> ProbeReport:
    """The probing itself, for callers that run their own event loop (the TUI)."""
    probe_opts = ProbeOptions(options.concurrency, options.timeout, options.insecure, options.api)
    with ProbeProgress(plan.probe_count, enabled=options.progress) as progress:
        results = await run_probes(plan.targets, probe_opts, progress.update)
    return ProbeReport(plan, tuple(results), judge(plan, results, options.slow_ms), options)


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
        hint = f"; did you mean {', '.join(map(clean, close))}?" if close else (
            f"; services: {', '.join(map(clean, known[:8]))}{' …' if len(known) > 8 else ''}"
            if known else "; the cluster has no services")
        raise InputError(f"no service {clean(name)}{hint}")
    return [p for p in analysis.paths if p.service == key]


# --------------------------------------------------------------------------- JSON
def _probe_json(t: ProbeTarget, r: ProbeResult) -> dict[str, Any]:
    return {"url": t.url, "hostHeader": t.host_header, "sni": t.sni, "node": t.node,
            "attempt": r.attempt, "outcome": r.outcome.value, "status": r.status,
            "latencyMs": r.latency_ms, "pod": r.pod, "podNode": r.pod_node, "via": r.via,
            "detail": r.detail, "tlsProblem": r.tls_problem, "connected": r.connected,
            "seen": sample_words(t, r)}


def _merge(observations: Sequence[Observation]) -> Observation | None:
    """Several targets of one hop (nodes, addresses): the worst proof decides."""
    if not observations:
        return None
    for proof in (Proof.CONTRADICTED, Proof.UNIDENTIFIED, Proof.ANSWERED_ERROR, Proof.CONFIRMED,
                  Proof.UNKNOWN):
        for o in observations:
            if o.proof == proof:
                return o
    return observations[0]


class _Index:
    """Observations and results per hop, for one report."""

    def __init__(self, report: ProbeReport) -> None:
        self.report = report
        self.by_ref: dict[HopRef, list[int]] = {}
        for i, t in enumerate(report.plan.targets):
            for ref in t.refs:
                self.by_ref.setdefault(ref, []).append(i)
        self.results: dict[int, list[ProbeResult]] = {}
        for r in sorted(report.results, key=lambda r: (r.target, r.attempt)):
            self.results.setdefault(r.target, []).append(r)

    def observed(self, ref: HopRef) -> dict[str, Any] | None:
        indices = self.by_ref.get(ref)
        if not indices:
            return None
        obs = [self.report.evidence.observations[i] for i in indices]
        main = _merge(obs)
        assert main is not None
        targets = self.report.plan.targets
        crosses = [o.cross_node for o in obs if o.cross_node is not None]
        answered = [o for o in obs if o.proof in (Proof.CONFIRMED, Proof.UNIDENTIFIED,
                                                  Proof.ANSWERED_ERROR)
                    and any(s in ("answer", "healthy") for s in o.seen)]
        return {
            # The verdict keeps its three values: an unidentified answer is not proof, so
            # "unknown", and `identified: false` says that something did answer.
            # A pod's 5xx keeps "confirmed" (kube-proxy's part is) with `word` and
            # `httpErrors` saying the rest.
            "verdict": Proof.UNKNOWN.value if main.proof == Proof.UNIDENTIFIED
            else Proof.CONFIRMED.value if main.proof == Proof.ANSWERED_ERROR
            else main.proof.value,
            "word": main.word,
            "httpErrors": sorted({e for o in obs for e in o.http_errors}),
            "identified": (None if not answered
                           else all(o.proof != Proof.UNIDENTIFIED for o in answered)),
            "reason": main.reason,
            "predicted": sorted(e.value for e in targets[indices[0]].expect),
            "pods": list(dict.fromkeys(p for o in obs for p in o.pods)),
            "crossNodeSeen": any(crosses) if crosses else None,
            "slow": any(o.slow for o in obs),
            "probes": [_probe_json(targets[i], r) for i in indices
                       for r in self.results.get(i, ())],
        }


def _finding_json(plan: ProbePlan, f: ProbeFinding) -> dict[str, Any]:
    return {"code": f.code, "name": PROBE_RULES[f.code][0], "severity": f.severity.value,
            "message": f.message, "service": str(f.service) if f.service else None,
            "probe": plan.targets[f.target].label()}


def report_json(
    analysis: Analysis, report: ProbeReport, findings: list[Finding] | None = None
) -> dict[str, Any]:
    """The ``kpath.paths/v1`` document with ``observed`` on every hop and a ``probe`` summary."""
    plan = report.plan
    doc = paths_json(analysis, list(plan.paths), findings)
    index = _Index(report)
    for i, pj in enumerate(doc["paths"]):  # same order as plan.paths
        pj["entry"]["observed"] = index.observed(HopRef(i, HopKind.ENTRY))
        for gi, gj in enumerate(pj["groups"]):
            gj["observed"] = index.observed(HopRef(i, HopKind.NODE, gi))
            gj["health"] = index.observed(HopRef(i, HopKind.HEALTH, gi))
        choices = [pj["direct"]] if pj["direct"] is not None else pj["groups"]
        for cj in choices:
            for ej in cj["endpoints"]:
                ej["observed"] = index.observed(HopRef(i, HopKind.POD, endpoint=ej["address"]))
        pj["notProbed"] = [{"what": n.what, "reason": n.reason}
                           for n in plan.not_probed if n.path == i]
    s = report.evidence.summary
    o = report.options
    doc["probe"] = {
        "summary": {"planned": s.planned, "done": s.done, "ok": s.ok, "failed": s.failed,
                    "contradictions": s.contradictions, "notProbed": s.not_probed,
                    "unidentified": s.unidentified},
        "options": {"concurrency": o.concurrency, "timeout": o.timeout, "slowMs": o.slow_ms,
                    "allNodes": o.all_nodes, "insecure": o.insecure, "http": o.http,
                    "samples": o.samples, "apiProxy": o.api is not None},
        "findings": [_finding_json(plan, f) for f in report.evidence.findings],
    }
    return doc


# --------------------------------------------------------------------------- text
def proof_text(proof: Proof, word: str | None = None) -> Text:
    """The verdict's words (an observation's own, "! answered 503", when given), coloured."""
    default, style = PROOF_STYLE[proof]
    return Text(word or default, style=style)


def probe_view(report: ProbeReport) -> RenderableType:
    """Every probed hop with prediction, observation and verdict; findings; the summary."""
    plan, ev = report.plan, report.evidence
    table = Table(title="Probes", title_justify="left", expand=False, show_lines=False)
    for col in ("hop", "probe", "predicted", "observed", "verdict"):
        table.add_column(col, overflow="fold")
    order = sorted(range(len(plan.targets)),
                   key=lambda i: (ev.observations[i].proof != Proof.CONTRADICTED,
                                  plan.targets[i].refs[0].path, plan.targets[i].hop.value))
    for i in order:
        t, o = plan.targets[i], ev.observations[i]
        seen = o.observed  # probe by probe, each with the pod that answered or was silent
        if o.cross_node:
            seen += " (cross-node)"
        if o.latency_ms is not None:
            seen += f", {o.latency_ms:.0f} ms"
        table.add_row(literal(where(plan, t).split(", ")[0] + f" [{t.hop.value}]"),
                      literal(t.label() + (f" @ {t.node}" if t.node else "")),
                      literal(" or ".join(sorted(e.value for e in t.expect))),
                      literal(seen), proof_text(o.proof, o.word))
    parts: list[RenderableType] = [table]
    for f in ev.findings:
        line = Text(f"{f.code} {f.severity.value}: ", style="bold red"
                    if f.severity == Severity.ERROR else "yellow")
        line.append_text(literal_message(f.message))
        parts.append(line)
    for n in plan.not_probed:
        line = Text("not probed: ", style="dim")
        line.append_text(literal(f"{plan.paths[n.path].service} {n.what}: "))
        line.append_text(literal_message(n.reason))
        parts.append(line)
    parts.append(summary_line(ev.summary))
    return Group(*parts)


def print_report(
    console: Console, analysis: Analysis, report: ProbeReport,
    findings: list[Finding] | None = None,
) -> None:
    """The predicted paths (as ``kpath paths`` prints them), then what the probes saw."""
    from dataclasses import replace

    from kpath.export.text import analysis_view

    shown = analysis if findings is None else replace(analysis, findings=tuple(findings))
    console.print(analysis_view(shown, list(report.plan.paths)))
    console.print(probe_view(report))
