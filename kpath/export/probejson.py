"""The probe JSON: the ``kpath.paths/v1`` document with ``observed`` on every hop (docs/json.md).

Each hop's ``observed`` is `kpath.probe.hops.hop_verdicts` of the report: the judgement the
text report and the UI show for the same hop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kpath.export.jsonout import READ, paths_json
from kpath.probe.evidence import PROBE_RULES, ProbeFinding, Proof, sample_words
from kpath.probe.hops import HopVerdict, hop_verdicts
from kpath.probe.plan import HopKind, HopRef, ProbePlan, ProbeTarget
from kpath.probe.prober import ProbeResult
from kpath.probe.run import ProbeReport
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Finding


def _probe_json(t: ProbeTarget, r: ProbeResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "url": t.url,
        "hostHeader": t.host_header,
        "sni": t.sni,
        "node": t.node,
        "attempt": r.attempt,
        "outcome": r.outcome.value,
        "status": r.status,
        "latencyMs": r.latency_ms,
        "pod": r.pod,
        "podNode": r.pod_node,
        "via": r.via,
        "detail": r.detail,
        "tlsProblem": r.tls_problem,
        "connected": r.connected,
        "seen": sample_words(t, r),
        "gateway": None,
    }
    if t.gateway:
        # A request written for one route rule: what was sent beyond the URL, and what the
        # gateway itself was predicted to answer.
        out["gateway"] = {
            "method": t.method,
            "headers": [{"name": k, "value": v} for k, v in t.headers],
            "predictedStatus": sorted(t.statuses),
            "predictedLocation": t.location,
            "location": r.location,
        }
    return out


def observed_json(
    plan: ProbePlan, verdict: HopVerdict | None, results: dict[int, list[ProbeResult]]
) -> dict[str, Any] | None:
    """One hop's ``observed`` object (None: not probed)."""
    if verdict is None:
        return None
    obs, main, indices = verdict.observations, verdict.main, verdict.targets
    targets = plan.targets
    crosses = [o.cross_node for o in obs if o.cross_node is not None]
    answered = [
        o
        for o in obs
        if o.proof in (Proof.CONFIRMED, Proof.UNIDENTIFIED, Proof.ANSWERED_ERROR)
        and any(s in ("answer", "healthy") for s in o.seen)
    ]
    return {
        # The verdict keeps its three values: an unidentified answer is not proof, so
        # "unknown", and `identified: false` says that something did answer.
        # A pod's 5xx keeps "confirmed" (kube-proxy's part is) with `word` and
        # `httpErrors` saying the rest.
        "verdict": Proof.UNKNOWN.value
        if main.proof == Proof.UNIDENTIFIED
        else Proof.CONFIRMED.value
        if main.proof == Proof.ANSWERED_ERROR
        else main.proof.value,
        "word": main.word,
        "httpErrors": sorted({e for o in obs for e in o.http_errors}),
        "identified": (
            None if not answered else all(o.proof != Proof.UNIDENTIFIED for o in answered)
        ),
        "reason": main.reason,
        "predicted": sorted(e.value for e in targets[indices[0]].expect),
        # Why NetworkPolicy changed the prediction ("blocked by policy ns/name"), else null.
        "predictedByPolicy": targets[indices[0]].policy or None,
        "pods": list(dict.fromkeys(p for o in obs for p in o.pods)),
        "crossNodeSeen": any(crosses) if crosses else None,
        "slow": any(o.slow for o in obs),
        "probes": [_probe_json(targets[i], r) for i in indices for r in results.get(i, ())],
    }


def _finding_json(plan: ProbePlan, f: ProbeFinding) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": PROBE_RULES[f.code][0],
        "severity": f.severity.value,
        "message": f.message,
        "service": str(f.service) if f.service else None,
        "probe": plan.targets[f.target].label(),
    }


def add_observed(
    doc: dict[str, Any], report: ProbeReport, paths: Sequence[int | None] | None = None
) -> dict[str, Any]:
    """Set ``observed`` on the hops of a ``paths_json`` document and add the ``probe`` object.

    ``paths``: for each path of ``doc``, its index into ``report.plan.paths`` (None: the same
    order, as `report_json` builds it); paths the report did not probe stay as they are.
    """
    plan = report.plan
    verdicts = hop_verdicts(plan, report.evidence)
    results: dict[int, list[ProbeResult]] = {}
    for r in sorted(report.results, key=lambda r: (r.target, r.attempt)):
        results.setdefault(r.target, []).append(r)

    def observed(ref: HopRef) -> dict[str, Any] | None:
        return observed_json(plan, verdicts.get(ref), results)

    for n, pj in enumerate(doc["paths"]):
        i = n if paths is None else paths[n]
        if i is None:
            continue
        pj["entry"]["observed"] = observed(HopRef(i, HopKind.ENTRY))
        for gi, gj in enumerate(pj["groups"]):
            gj["observed"] = observed(HopRef(i, HopKind.NODE, gi))
            gj["health"] = observed(HopRef(i, HopKind.HEALTH, gi))
            for ej in gj["endpoints"]:
                ej["observed"] = observed(HopRef(i, HopKind.POD, gi, ej["address"]))
        if pj["direct"] is not None:
            for ej in pj["direct"]["endpoints"]:
                ej["observed"] = observed(HopRef(i, HopKind.POD, None, ej["address"]))
        pj["notProbed"] = [
            {"what": n.what, "reason": n.reason} for n in plan.not_probed if n.path == i
        ]
    s = report.evidence.summary
    o = report.options
    doc["probe"] = {
        "summary": {
            "planned": s.planned,
            "done": s.done,
            "ok": s.ok,
            "failed": s.failed,
            "contradictions": s.contradictions,
            "notProbed": s.not_probed,
            "unidentified": s.unidentified,
        },
        "options": {
            "concurrency": o.concurrency,
            "timeout": o.timeout,
            "slowMs": o.slow_ms,
            "allNodes": o.all_nodes,
            "insecure": o.insecure,
            "http": o.http,
            "samples": o.samples,
            "apiProxy": o.api is not None,
        },
        "findings": [_finding_json(plan, f) for f in report.evidence.findings],
    }
    return doc


def report_json(
    analysis: Analysis,
    report: ProbeReport,
    findings: list[Finding] | None = None,
    namespaces: frozenset[str] | None = READ,
) -> dict[str, Any]:
    """The ``kpath.paths/v1`` document with ``observed`` on every hop and a ``probe`` summary;
    ``namespaces`` as `paths_json`'s."""
    return add_observed(paths_json(analysis, list(report.plan.paths), findings, namespaces), report)
