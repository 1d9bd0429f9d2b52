"""Predicted vs observed, per hop: confirmed, contradicted or unknown; and what is new. Pure.

A probe result is first read as what a client saw (`Expect`: an answer, silence, a refusal,
a health check's 200 or 503), then set beside the prediction:

- **confirmed**: every probe saw something the prediction allows, and every answer named
  its pod, one kube-proxy may choose there (kpath's lab pods name themselves);
- **answered (unidentified)**: answers came as predicted, but at least one did not say which
  pod sent it (most real apps do not): something answered, which is not proof that the
  predicted pods did, so it is never reported as confirmed. Health checks are judged by
  their status alone;
- **answered with an error** (``! answered 503``): the predicted pods answered, with an HTTP
  5xx: kube-proxy's part holds, the application's does not (KP405 says which pod);
- **contradicted**: a probe saw something else: predicted forward but it failed, predicted
  drop but it answered, an unexpected pod answered. The cluster does not behave as its
  objects say: the most important line of a probe run;
- **unknown**: nothing conclusive (no route or no name from here, an in-cluster address that
  does not answer from outside, a TLS failure in front of an Ingress backend), or no
  prediction was made (a NotReady node, endpoints the input does not carry).

Every probe is also said in words of its layer (`sample_words`): refused, reset or closed
after connect, silent before or after connect, a stalled or failed TLS handshake (with the
certificate problem), an HTTP status and the pod that sent it. Renderers show these words
and `Observation.word`; they judge nothing themselves.

Cross-node hops are marked as seen when the answering pod runs on another node than the one
the probe entered at.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, TypeVar

from kpath.cluster.records import ObjectKey
from kpath.probe.expect import Expect
from kpath.probe.gatewayplan import same_location
from kpath.probe.plan import HopKind, HopRef, ProbePlan, ProbeTarget
from kpath.probe.prober import Outcome, ProbeResult
from kpath.routing.findings import Severity

_T = TypeVar("_T")


class Proof(StrEnum):
    CONFIRMED = "confirmed"
    CONTRADICTED = "contradicted"
    UNKNOWN = "unknown"
    UNIDENTIFIED = "unidentified"  # answered as predicted, by a responder that named no pod
    #: The predicted pods answered, with an HTTP 5xx: kube-proxy's part is confirmed, the
    #: application's is not (a KP405 finding says which pod and status).
    ANSWERED_ERROR = "answered-error"


#: The verdict in words, as every output shows it (a glyph and a word, never colour alone).
PROOF_WORDS = {
    Proof.CONFIRMED: "✓ confirmed",
    Proof.CONTRADICTED: "✗ CONTRADICTED",
    Proof.UNKNOWN: "? unknown",
    Proof.UNIDENTIFIED: "~ answered (unidentified)",
    Proof.ANSWERED_ERROR: "! answered",  # followed by the statuses: "! answered 503"
}

EXPECT_WORDS = {
    Expect.ANSWER: "an answer",
    Expect.SILENT: "silence (dropped)",
    Expect.REFUSED: "a refusal",
    Expect.HEALTHY: "healthz 200",
    Expect.UNHEALTHY: "healthz 503",
    Expect.BACKEND_ERROR: "an HTTP error from the proxy in front (no endpoint behind it)",
    Expect.UNKNOWN: "nothing (no prediction)",
    Expect.CLOSED: "a close without an answer",
    Expect.NOT_FOUND: "the gateway's own 404 (no rule matches)",
    Expect.REDIRECT: "a redirect from the gateway",
}

#: What one probe showed, in the words of its layer (the observed side of a reason).
OUTCOME_WORDS = {
    Outcome.REFUSED: "a refusal",
    Outcome.RESET: "a reset (RST) after connect",
    Outcome.CLOSED: "a close without an answer",
    Outcome.TIMEOUT: "silence",
    Outcome.TLS_TIMEOUT: "a TLS timeout (handshake stalled after connect)",
    Outcome.TLS: "a TLS failure",
    Outcome.DNS: "a name that does not resolve",
    Outcome.UNREACHABLE: "no route",
    Outcome.ERROR: "an error",
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
    samples: tuple[str, ...] = ()  # per probe, what it saw in words (and which pod)
    http_errors: tuple[int, ...] = ()  # 5xx statuses from pods that named themselves

    @property
    def word(self) -> str:
        """The verdict as shown: "✓ confirmed", "! answered 503", "✗ CONTRADICTED", …"""
        if self.proof == Proof.ANSWERED_ERROR:
            return f"{PROOF_WORDS[self.proof]} {', '.join(map(str, self.http_errors))}"
        return PROOF_WORDS[self.proof]

    @property
    def observed(self) -> str:
        """What the probes saw, probe by probe (identical ones counted), for a table cell."""
        return (
            "; ".join(f"{w} ×{k}" if k > 1 else w for w, k in _counts(self.samples).items()) or "—"
        )


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
    """What a client saw, as one of the predicted kinds; None when it proves nothing.

    L4 first: a refusal or a reset is refused, no answer in time (before or after connect,
    a stalled TLS handshake too) is silent, anything that accepted the connection and spoke
    is an answer. L7 on top: any HTTP status is an answer, except a proxy's own error for a
    backend it cannot reach (an Ingress controller's, the API server's) when no pod is named.
    """
    if result.status is not None and gateway_own(target, result):
        # A Gateway answers for itself by status: its redirect, its 404, its 5xx.
        if 300 <= result.status < 400:
            return Expect.REDIRECT
        if result.status == 404:
            return Expect.NOT_FOUND
        if result.status >= 500:
            return Expect.BACKEND_ERROR
    if target.hop == HopKind.HEALTH and result.status is not None:
        if result.status == 200:
            return Expect.HEALTHY
        if result.status == 503:
            return Expect.UNHEALTHY
    outcome = result.outcome
    if outcome == Outcome.OK:
        return Expect.ANSWER
    if outcome == Outcome.HTTP_STATUS:
        if result.pod is None and (
            target.via_controller or (result.via == "api-proxy" and (result.status or 0) >= 500)
        ):
            return Expect.BACKEND_ERROR
        return Expect.ANSWER
    if outcome == Outcome.TLS:
        return None if target.via_controller else Expect.ANSWER  # something spoke TLS there
    if outcome == Outcome.CLOSED:
        return Expect.CLOSED  # accepted: forwarded somewhere; nothing answered
    if outcome in (Outcome.REFUSED, Outcome.RESET):
        return Expect.REFUSED
    if outcome in (Outcome.TIMEOUT, Outcome.TLS_TIMEOUT):
        return Expect.SILENT
    return None


def gateway_own(t: ProbeTarget, r: ProbeResult) -> bool:
    """An answer the gateway gave itself (naming no pod, or one of its own proxy pods)."""
    return t.gateway and (r.pod is None or r.pod in t.gateway_pods)


def sample_words(t: ProbeTarget, r: ProbeResult) -> str:
    """One probe in words: what it saw at which layer, and which pod answered or was silent."""
    if r.status is not None:
        words = f"HTTP {r.status}"
        if r.pod and gateway_own(t, r):
            words += f" from the gateway's pod {r.pod}"
        elif r.pod:
            words += f" from {r.pod}"
        elif r.via == "api-proxy" and r.status >= 500:
            words = r.detail  # the API server's proxy, and what it said
        elif t.gateway and r.status >= 300:
            words += " from the gateway itself (no pod named)"
        elif t.via_controller and r.status >= 400:
            words += " from the controller itself (no pod named)"
        elif t.hop != HopKind.HEALTH:
            words += " (no pod named)"
    elif r.outcome == Outcome.OK:
        words = r.detail or "connected"
    elif r.outcome == Outcome.TLS:
        words = f"TLS failed: {r.detail}"
    else:
        words = r.detail or OUTCOME_WORDS.get(r.outcome, r.outcome.value)
    if r.location is not None:
        words += f" to {r.location}"
    if r.tls_problem:
        words += f" (TLS: {r.tls_problem})"
    if t.hop == HopKind.POD and t.pod is not None and r.pod is None:
        words = f"{t.pod}: {words}"  # the pod probed, answering or not
    if r.via == "api-proxy" and "API server" not in words:
        words += " (via the API server)"
    return words


#: At a Gateway listener the proxy in front is the gateway, and its errors are its own
#: answer for the rule (500: no valid backend; 503: none ready).
GATEWAY_WORDS = {
    **EXPECT_WORDS,
    Expect.BACKEND_ERROR: "the gateway's own error (no valid or ready backend)",
}


def _word(e: Expect, gateway: bool = False) -> str:
    return (GATEWAY_WORDS if gateway else EXPECT_WORDS)[e]


def _seen_words(r: ProbeResult, s: Expect, gateway: bool = False) -> str:
    if r.status is not None:
        return f"{_word(s, gateway)} (HTTP {r.status})"
    if r.outcome == Outcome.OK:
        return "an answer (connected)"
    return OUTCOME_WORDS.get(r.outcome, _word(s, gateway))


def _words(expect: Iterable[Expect], gateway: bool = False) -> str:
    return " or ".join(_word(e, gateway) for e in sorted(expect))


def _predicted(t: ProbeTarget) -> str:
    """The prediction in words, with a Gateway's own statuses and Location."""
    words = _words(t.expect, t.gateway)
    if t.statuses:
        words += f" (HTTP {' or '.join(map(str, sorted(t.statuses)))})"
    if t.location:
        words += f" to {t.location}"
    return words


def _gateway_mismatch(
    t: ProbeTarget, results: Sequence[ProbeResult], seen: Sequence[Expect | None]
) -> tuple[int, str] | None:
    """A Gateway's own answer of the predicted kind but not as predicted: another status
    (503 where 500 was predicted), or a redirect elsewhere. (probe index, what was seen)"""
    if not t.gateway:
        return None
    for n, (r, s) in enumerate(zip(results, seen, strict=True)):
        if s not in (Expect.NOT_FOUND, Expect.BACKEND_ERROR, Expect.REDIRECT):
            continue
        if t.statuses and r.status not in t.statuses:
            return n, f"HTTP {r.status}"
        if (
            s == Expect.REDIRECT
            and t.location
            and not same_location(t.location, r.location or "", t.scheme, t.host_header)
        ):
            return n, f"a redirect to {r.location or '(no Location)'}"
    return None


def _not_heard_from(
    t: ProbeTarget,
    results: Sequence[ProbeResult],
    seen: Sequence[Expect | None],
    pods: Sequence[str],
) -> str | None:
    """The predicted pods that never answered, when some probes failed and others named
    their pod (a node or entry hop spreads over pods; a failed probe cannot say which)."""
    if t.hop in (HopKind.POD, HopKind.HEALTH) or not t.expected_pods or not pods:
        return None
    if all(s in (Expect.ANSWER, Expect.HEALTHY) for s in seen):
        return None
    if t.proxied_pods & set(pods):
        return None  # a proxied answer names the backend, not the controller pod that sent it
    missing = sorted(t.expected_pods - set(pods))
    if not missing or len(missing) > 3:
        return None
    return ", ".join(missing)


def _allowed(seen: Expect, expect: frozenset[Expect]) -> bool:
    # Accepted then closed: the connection was forwarded (what a forward predicts at L4),
    # though nothing answered it (never confirmed).
    return seen in expect or (seen == Expect.CLOSED and Expect.ANSWER in expect)


def _because(t: ProbeTarget) -> str:
    """Why the prediction is what it is, when NetworkPolicy decided it."""
    return f" ({t.policy})" if t.policy else ""


def _no_prediction(t: ProbeTarget) -> str:
    if t.hop in (HopKind.NODE, HopKind.HEALTH):
        return "the node is NotReady: its kube-proxy may be stopped or stale"
    return "the input does not carry this Service's endpoints"


def observe(
    target: int,
    t: ProbeTarget,
    results: Sequence[ProbeResult],
    pod_nodes: Mapping[str, str | None],
    slow_ms: float,
) -> Observation:
    """Judge one target's probes against its prediction."""
    if not results:
        return Observation(
            target, Proof.UNKNOWN, "not probed (the run was interrupted)", (), (), None, False, None
        )
    seen = [seen_as(t, r) for r in results]
    pods = tuple(dict.fromkeys(r.pod for r in results if r.pod))
    answered = [
        r for r, s in zip(results, seen, strict=True) if s in (Expect.ANSWER, Expect.HEALTHY)
    ]
    latency = max((r.latency_ms for r in answered if r.latency_ms is not None), default=None)
    slow = latency is not None and latency > slow_ms
    cross = _cross_node(t, results, pod_nodes)
    labels = tuple(s.value if s else "unknown" for s in seen)
    samples = tuple(sample_words(t, r) for r in results)
    quiet = _not_heard_from(t, results, seen, pods)
    if quiet:
        # Silence names no pod: say which predicted pods never answered any probe here.
        samples = tuple(
            f"{w} (not heard from: {quiet})"
            if s not in (Expect.ANSWER, Expect.HEALTHY, Expect.CLOSED) and r.pod is None
            else w
            for w, r, s in zip(samples, results, seen, strict=True)
        )
    errors = tuple(
        sorted(
            {
                r.status
                for r in results
                if r.pod
                and r.status
                and r.status >= 500
                and t.hop != HopKind.HEALTH
                and not gateway_own(t, r)
            }
        )
    )
    n = len(results)

    def obs(proof: Proof, why: str) -> Observation:
        return Observation(target, proof, why, labels, pods, cross, slow, latency, samples, errors)

    if Expect.UNKNOWN in t.expect:
        return obs(
            Proof.UNKNOWN,
            f"no prediction ({_no_prediction(t)}): saw " + "; ".join(dict.fromkeys(samples)),
        )
    bad = [
        (r, s)
        for r, s in zip(results, seen, strict=True)
        if s is not None and not _allowed(s, t.expect)
    ]
    own = {
        r.pod
        for r, s in zip(results, seen, strict=True)
        if r.pod and s in (Expect.NOT_FOUND, Expect.BACKEND_ERROR, Expect.REDIRECT)
    }
    foreign = [
        p
        for p in pods
        if t.expected_pods
        and t.hop != HopKind.HEALTH
        and p not in t.expected_pods
        and p not in t.proxied_pods
        and p not in own
    ]
    known = [s for s in seen if s is not None]
    if t.internal and not any(s == Expect.ANSWER for s in known):
        return obs(
            Proof.UNKNOWN, f"an in-cluster address: {results[0].detail} from here proves nothing"
        )
    if bad:
        r, s = bad[0]
        assert s is not None
        saw = _seen_words(r, s, t.gateway)
        return obs(
            Proof.CONTRADICTED,
            f"predicted {_predicted(t)}{_because(t)}, saw {saw} "
            f"in {len(bad)} of {n} probe(s): {samples[results.index(r)]}",
        )
    mismatch = _gateway_mismatch(t, results, seen)
    if mismatch is not None:
        at, what = mismatch
        return obs(Proof.CONTRADICTED, f"predicted {_predicted(t)}, saw {what}: {samples[at]}")
    if foreign:
        who = (
            "the route's rule does not send to" if t.gateway else "kube-proxy would not choose here"
        )
        return obs(Proof.CONTRADICTED, f"answered by {', '.join(foreign)}, which {who}")
    if not known:
        return obs(Proof.UNKNOWN, sample_words(t, results[0]))
    unnamed = [
        r
        for r, s in zip(results, seen, strict=True)
        if (s == Expect.ANSWER or (s == Expect.CLOSED and s not in t.expect)) and r.pod is None
    ]
    if unnamed and t.hop != HopKind.HEALTH:
        first = unnamed[0]
        how = (
            "no HTTP answer came"
            if first.status is None and t.scheme != "tcp"
            else "it named no pod"
        )
        why = (
            f"predicted {_words(t.expect, t.gateway)}{_because(t)}: answered (unidentified) in "
            f"{len(unnamed)} of {n} probe(s): {sample_words(t, first)}: {how}, so which pod "
            "answered is not proven"
        )
        if pods:
            why += f" (others named {', '.join(pods)})"
        return obs(Proof.UNIDENTIFIED, why)
    why = f"predicted {_predicted(t)}{_because(t)}: saw " + ", ".join(
        f"{_word(s, t.gateway)}" + (f" ×{k}" if k > 1 else "") for s, k in _counts(known).items()
    )
    if pods:
        why += f" from {', '.join(pods)}"
    if t.proxied_pods & set(pods):
        why += " (the Ingress controller forwarded: its pod was reached)"
    if errors:
        return obs(
            Proof.ANSWERED_ERROR,
            f"{why}, but answered HTTP "
            f"{', '.join(map(str, errors))}: the pod is reached, the application fails",
        )
    return obs(Proof.CONFIRMED, why)


def _counts(items: Iterable[_T]) -> dict[_T, int]:
    out: dict[_T, int] = defaultdict(int)
    for i in items:
        out[i] += 1
    return dict(out)


def _cross_node(
    t: ProbeTarget, results: Sequence[ProbeResult], pod_nodes: Mapping[str, str | None]
) -> bool | None:
    if t.node is None or t.hop != HopKind.NODE or t.gateway:
        return None  # (through a gateway, the answering backend says nothing of the proxy)
    # A backend the controller forwarded to runs wherever it runs: kube-proxy's choice of
    # controller pod is not seen in it.
    nodes = [
        r.pod_node or pod_nodes.get(r.pod)
        for r in results
        if r.pod and (r.pod in t.expected_pods or r.pod not in t.proxied_pods)
    ]
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
    observations = tuple(
        observe(i, t, by_target.get(i, ()), plan.pod_nodes, slow_ms)
        for i, t in enumerate(plan.targets)
    )
    findings = tuple(_findings(plan, observations, by_target, slow_ms))
    contradictions = sum(o.proof == Proof.CONTRADICTED for o in observations)
    unidentified = sum(o.proof == Proof.UNIDENTIFIED for o in observations)
    summary = ProbeSummary(
        plan.probe_count, done, ok, done - ok, contradictions, len(plan.not_probed), unidentified
    )
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
    plan: ProbePlan,
    observations: Sequence[Observation],
    by_target: Mapping[int, list[ProbeResult]],
    slow_ms: float,
) -> Iterable[ProbeFinding]:
    for i, (t, o) in enumerate(zip(plan.targets, observations, strict=True)):
        service = plan.paths[t.refs[0].path].service if t.refs else None
        place = where(plan, t)
        if o.proof == Proof.CONTRADICTED:
            code = "KP402" if t.hop == HopKind.POD else "KP401"
            yield _finding(code, f"{place}: {o.reason}", service, i)
        if o.slow:
            yield _finding(
                "KP403",
                f"{place}: answered in {o.latency_ms:.0f} ms (slower than {slow_ms:g} ms)",
                service,
                i,
            )
        rs = by_target.get(i, ())
        tls = next(
            (r.tls_problem or r.detail for r in rs if r.tls_problem or r.outcome == Outcome.TLS),
            None,
        )
        if tls:
            yield _finding("KP404", f"{place}: TLS: {tls}", service, i)
        failed = [r for r in rs if r.pod and r.status and r.status >= 500 and not gateway_own(t, r)]
        errors = sorted({r.status for r in failed if r.status})
        if errors:
            pods = ", ".join(dict.fromkeys(r.pod for r in failed if r.pod))
            yield _finding(
                "KP405", f"{place}: {pods} answered HTTP {', '.join(map(str, errors))}", service, i
            )


def _finding(code: str, message: str, service: ObjectKey | None, target: int) -> ProbeFinding:
    return ProbeFinding(code, PROBE_RULES[code][1], message, service, target)
