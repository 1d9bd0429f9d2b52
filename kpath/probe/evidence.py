"""Predicted vs observed, per hop: confirmed, contradicted or unknown; and what is new. Pure.

A probe result is first read as what a client saw (`Expect`: an answer, silence, a refusal,
a health check's 200 or 503), then set beside the prediction:

- **confirmed**: every probe saw something the prediction allows, and every answer named
  its pod, one kube-proxy may choose there (kpath's lab pods name themselves);
- **answered (unidentified)**: answers came as predicted, but at least one did not say which
  pod sent it (most real apps do not): something answered, which is not proof that the
  predicted pods did, so it is never reported as confirmed. Health checks are judged by
  their status alone;
- **contradicted**: a probe saw something else: predicted forward but it failed, predicted
  drop but it answered, an unexpected pod answered. The cluster does not behave as its
  objects say: the most important line of a probe run;
- **unknown**: nothing conclusive (no route or no name from here, an in-cluster address that
  does not answer from outside, a TLS failure in front of an Ingress backend).

Cross-node hops are marked as seen when the answering pod runs on another node than the one
the probe entered at.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from kpath.cluster.records import ObjectKey
from kpath.probe.plan import Expect, HopKind, HopRef, ProbePlan, ProbeTarget
from kpath.probe.prober import Outcome, ProbeResult
from kpath.routing.findings import Severity


class Proof(StrEnum):
    CONFIRMED = "confirmed"
    CONTRADICTED = "contradicted"
    UNKNOWN = "unknown"
    UNIDENTIFIED = "unidentified"  # answered as predicted, by a responder that named no pod


EXPECT_WORDS = {
    Expect.ANSWER: "an answer",
    Expect.SILENT: "silence (dropped)",
    Expect.REFUSED: "a refusal",
    Expect.HEALTHY: "healthz 200",
    Expect.UNHEALTHY: "healthz 503",
}

#: Probe findings: code → (name, severity). Codes never change meaning.
PROBE_RULES: dict[str, tuple[str, Severity]] = {
    "KP401": ("probe-contradicts-prediction", Severity.ERROR),
    "KP402": ("endpoint-unreachable", Severity.ERROR),
    "KP403": ("slow-hop", Severity.WARNING),
    "KP404": ("tls-certificate-problem", Severity.WARNING),
    "KP405": ("endpoint-http-error", Severity.WARNING),
}


class Observation(NamedTuple):
    """What the probes of one target showed, judged against its prediction."""

    target: int
    proof: Proof
    reason: str
    seen: tuple[str, ...]  # per probe: an Expect value, or "unknown"
    pods: tuple[str, ...]  # pods that answered, each once
    cross_node: bool | None  # an answering pod on another node than the entry node
    slow: bool
    latency_ms: float | None  # the slowest answer


class ProbeFinding(NamedTuple):
    code: str
    severity: Severity
    message: str
    service: ObjectKey | None
    target: int


@dataclass(frozen=True)
class ProbeSummary:
    planned: int
    done: int
    ok: int
    failed: int
    contradictions: int
    not_probed: int
    unidentified: int = 0  # targets answered as predicted by something that named no pod


@dataclass(frozen=True)
class Evidence:
    observations: tuple[Observation, ...]  # one per plan target, same order
    findings: tuple[ProbeFinding, ...]
    summary: ProbeSummary

    def for_hop(self, plan: ProbePlan, ref: HopRef) -> list[tuple[ProbeTarget, Observation]]:
        return [(t, self.observations[i]) for i, t in enumerate(plan.targets) if ref in t.refs]


# --------------------------------------------------------------------------- reading a result
def seen_as(target: ProbeTarget, result: ProbeResult) -> Expect | None:
    """What a client saw, as one of the predicted kinds; None when it proves nothing."""
    if target.hop == HopKind.HEALTH and result.status is not None:
        if result.status == 200:
            return Expect.HEALTHY
        if result.status == 503:
            return Expect.UNHEALTHY
    outcome = result.outcome
    if outcome == Outcome.OK:
        return Expect.ANSWER
    if outcome == Outcome.HTTP_STATUS:
        # An Ingress controller or the API server answers for a backend it cannot reach;
        # anywhere else an HTTP answer comes from the pod itself, whatever its status.
        if result.pod is None and (target.via_controller or result.via == "api-proxy"):
            return Expect.REFUSED
        return Expect.ANSWER
    if outcome == Outcome.TLS:
        return None if target.via_controller else Expect.ANSWER  # something spoke TLS there
    if outcome in (Outcome.REFUSED, Outcome.RESET):
        return Expect.REFUSED
    if outcome == Outcome.TIMEOUT:
        return Expect.SILENT
    return None


def _words(expect: Iterable[Expect]) -> str:
    return " or ".join(EXPECT_WORDS[e] for e in sorted(expect))


def observe(
    target: int, t: ProbeTarget, results: Sequence[ProbeResult],
    pod_nodes: Mapping[str, str | None], slow_ms: float,
) -> Observation:
    """Judge one target's probes against its prediction."""
    if not results:
        return Observation(target, Proof.UNKNOWN, "not probed (the run was interrupted)", (), (),
                           None, False, None)
    seen = [seen_as(t, r) for r in results]
    pods = tuple(dict.fromkeys(r.pod for r in results if r.pod))
    answered = [r for r, s in zip(results, seen, strict=True) if s in (Expect.ANSWER,
                                                                        Expect.HEALTHY)]
    latency = max((r.latency_ms for r in answered if r.latency_ms is not None), default=None)
    slow = latency is not None and latency > slow_ms
    cross = _cross_node(t, results, pod_nodes)
    labels = tuple(s.value if s else "unknown" for s in seen)
    n = len(results)

    bad = [(r, s) for r, s in zip(results, seen, strict=True) if s is not None
           and s not in t.expect]
    foreign = [p for p in pods if t.expected_pods and t.hop != HopKind.HEALTH
               and p not in t.expected_pods]
    known = [s for s in seen if s is not None]
    if t.internal and not any(s == Expect.ANSWER for s in known):
        return Observation(target, Proof.UNKNOWN, "an in-cluster address: "
                           f"{results[0].detail} from here proves nothing", labels, pods, cross,
                           slow, latency)
    if bad:
        r, s = bad[0]
        assert s is not None
        why = f"predicted {_words(t.expect)}, saw {EXPECT_WORDS[s]} in {len(bad)} of {n} " \
              f"probe(s): {r.detail}"
        return Observation(target, Proof.CONTRADICTED, why, labels, pods, cross, slow, latency)
    if foreign:
        why = f"answered by {', '.join(foreign)}, which kube-proxy would not choose here"
        return Observation(target, Proof.CONTRADICTED, why, labels, pods, cross, slow, latency)
    if not known:
        return Observation(target, Proof.UNKNOWN, results[0].detail, labels, pods, cross, slow,
                           latency)
    unnamed = [r for r, s in zip(results, seen, strict=True) if s == Expect.ANSWER
               and r.pod is None]
    if unnamed and t.hop != HopKind.HEALTH:
        why = (f"predicted {_words(t.expect)}: answered (unidentified) in {len(unnamed)} of "
               f"{n} probe(s): {unnamed[0].detail} named no pod, so which pod answered is "
               "not proven")
        if pods:
            why += f" (others named {', '.join(pods)})"
        return Observation(target, Proof.UNIDENTIFIED, why, labels, pods, cross, slow, latency)
    why = f"predicted {_words(t.expect)}: saw " + ", ".join(
        f"{EXPECT_WORDS[s]}" + (f" ×{k}" if k > 1 else "")
        for s, k in _counts(known).items())
    if pods:
        why += f" from {', '.join(pods)}"
    return Observation(target, Proof.CONFIRMED, why, labels, pods, cross, slow, latency)


def _counts(items: Iterable[Expect]) -> dict[Expect, int]:
    out: dict[Expect, int] = defaultdict(int)
    for i in items:
        out[i] += 1
    return dict(out)


def _cross_node(t: ProbeTarget, results: Sequence[ProbeResult],
                pod_nodes: Mapping[str, str | None]) -> bool | None:
    if t.node is None or t.hop != HopKind.NODE:
        return None
    nodes = [r.pod_node or pod_nodes.get(r.pod) for r in results if r.pod]
    known = [n for n in nodes if n]
    if not known:
        return None
    return any(n != t.node for n in known)


# --------------------------------------------------------------------------- the whole run
def judge(plan: ProbePlan, results: Iterable[ProbeResult], slow_ms: float) -> Evidence:
    """Every target's observation, the findings they make, and the summary line's counts."""
    by_target: dict[int, list[ProbeResult]] = defaultdict(list)
    done = ok = 0
    for r in results:
        by_target[r.target].append(r)
        done += 1
        ok += r.answered
    for rs in by_target.values():
        rs.sort(key=lambda r: r.attempt)
    observations = tuple(observe(i, t, by_target.get(i, ()), plan.pod_nodes, slow_ms)
                         for i, t in enumerate(plan.targets))
    findings = tuple(_findings(plan, observations, by_target, slow_ms))
    contradictions = sum(o.proof == Proof.CONTRADICTED for o in observations)
    unidentified = sum(o.proof == Proof.UNIDENTIFIED for o in observations)
    summary = ProbeSummary(plan.probe_count, done, ok, done - ok, contradictions,
                           len(plan.not_probed), unidentified)
    return Evidence(observations, findings, summary)


def where(plan: ProbePlan, t: ProbeTarget) -> str:
    """The hop in words: service, entry, and the node or pod it was tried at."""
    ref = t.refs[0]
    p = plan.paths[ref.path]
    port = f" {p.port.label()}" if p.port is not None else ""
    head = f"{p.service}{port} via {p.entry.label()}"
    if t.hop == HopKind.NODE:
        return f"{head}, NodePort {t.port} at {t.node}"
    if t.hop == HopKind.HEALTH:
        return f"{head}, health check {t.host}:{t.port} at {t.node}"
    if t.hop == HopKind.POD:
        return f"{head}, pod {t.pod or '?'} at {t.host}:{t.port}"
    return f"{head}, {t.label()}"


def _findings(
    plan: ProbePlan, observations: Sequence[Observation],
    by_target: Mapping[int, list[ProbeResult]], slow_ms: float,
) -> Iterable[ProbeFinding]:
    for i, (t, o) in enumerate(zip(plan.targets, observations, strict=True)):
        service = plan.paths[t.refs[0].path].service if t.refs else None
        place = where(plan, t)
        if o.proof == Proof.CONTRADICTED:
            code = "KP402" if t.hop == HopKind.POD else "KP401"
            yield _finding(code, f"{place}: {o.reason}", service, i)
        if o.slow:
            yield _finding("KP403", f"{place}: answered in {o.latency_ms:.0f} ms "
                           f"(slower than {slow_ms:g} ms)", service, i)
        rs = by_target.get(i, ())
        tls = next((r.tls_problem or r.detail for r in rs
                    if r.tls_problem or r.outcome == Outcome.TLS), None)
        if tls:
            yield _finding("KP404", f"{place}: TLS: {tls}", service, i)
        errors = sorted({r.status for r in rs if r.pod and r.status and r.status >= 500})
        if errors:
            pods = ", ".join(dict.fromkeys(r.pod for r in rs if r.pod and r.status
                                           and r.status >= 500 and r.pod))
            yield _finding("KP405", f"{place}: {pods} answered HTTP "
                           f"{', '.join(map(str, errors))}", service, i)


def _finding(code: str, message: str, service: ObjectKey | None, target: int) -> ProbeFinding:
    return ProbeFinding(code, PROBE_RULES[code][1], message, service, target)
