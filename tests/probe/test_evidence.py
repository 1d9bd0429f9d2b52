"""Predicted vs observed: how results read as what a client saw, and the verdict per hop."""

from __future__ import annotations

from kpath.cluster.records import ObjectKey
from kpath.probe.evidence import Proof, judge, observe, seen_as
from kpath.probe.expect import Expect
from kpath.probe.plan import HopKind, HopRef, ProbePlan, ProbeTarget
from kpath.probe.prober import Outcome, ProbeResult
from tests.builders import analysed, endpoint, endpointslice, node, pod, service

ANSWER = frozenset({Expect.ANSWER})
SILENT = frozenset({Expect.SILENT})
PODS = {"shop/a": "n1", "shop/b": "n2"}


def target(
    hop: HopKind = HopKind.NODE,
    expect: frozenset[Expect] = ANSWER,
    *,
    pods: frozenset[str] = frozenset({"shop/a", "shop/b"}),
    node_name: str | None = "n1",
    internal: bool = False,
    controller: bool = False,
) -> ProbeTarget:
    return ProbeTarget(
        hop,
        "http",
        "127.0.0.1",
        30080,
        "/",
        None,
        None,
        node_name,
        ObjectKey("shop", "a") if hop == HopKind.POD else None,
        expect,
        pods,
        internal,
        controller,
        1,
        (HopRef(0, hop, 0),),
    )


def result(
    outcome: Outcome,
    status: int | None = None,
    pod: str | None = None,
    *,
    latency: float = 5.0,
    via: str = "direct",
    attempt: int = 0,
    tls: str | None = None,
) -> ProbeResult:
    return ProbeResult(
        0,
        attempt,
        outcome,
        status,
        latency,
        pod,
        None,
        via,
        f"{outcome.value} {status or ''}".strip(),
        tls,
    )


def test_results_read_as_what_a_client_saw() -> None:
    node_t, ingress_t = target(), target(HopKind.ENTRY, controller=True)
    health_t = target(HopKind.HEALTH, frozenset({Expect.HEALTHY}))
    assert seen_as(node_t, result(Outcome.OK, 200)) == Expect.ANSWER
    assert seen_as(node_t, result(Outcome.TIMEOUT)) == Expect.SILENT
    assert seen_as(node_t, result(Outcome.RESET)) == Expect.REFUSED
    assert seen_as(node_t, result(Outcome.REFUSED)) == Expect.REFUSED
    # A pod answering 500 is still an answer at the network level.
    assert seen_as(node_t, result(Outcome.HTTP_STATUS, 500)) == Expect.ANSWER
    # An Ingress controller's own 503 (no pod named) is an HTTP answer: its error for a
    # backend it cannot send to, never a refusal.
    assert seen_as(ingress_t, result(Outcome.HTTP_STATUS, 503)) == Expect.BACKEND_ERROR
    assert seen_as(ingress_t, result(Outcome.HTTP_STATUS, 500, "shop/a")) == Expect.ANSWER
    assert (
        seen_as(node_t, result(Outcome.HTTP_STATUS, 502, via="api-proxy")) == Expect.BACKEND_ERROR
    )
    assert seen_as(health_t, result(Outcome.OK, 200)) == Expect.HEALTHY
    assert seen_as(health_t, result(Outcome.HTTP_STATUS, 503)) == Expect.UNHEALTHY
    assert seen_as(node_t, result(Outcome.DNS)) is None
    assert seen_as(node_t, result(Outcome.UNREACHABLE)) is None
    assert seen_as(ingress_t, result(Outcome.TLS)) is None


def test_drop_predicted_and_timed_out_is_confirmed() -> None:
    o = observe(0, target(expect=SILENT, pods=frozenset()), [result(Outcome.TIMEOUT)], PODS, 500)
    assert o.proof == Proof.CONFIRMED


def test_drop_predicted_but_answered_is_a_contradiction() -> None:
    o = observe(
        0, target(expect=SILENT, pods=frozenset()), [result(Outcome.OK, 200, "shop/a")], PODS, 500
    )
    assert o.proof == Proof.CONTRADICTED
    assert "predicted silence (dropped), saw an answer" in o.reason


def test_forward_predicted_but_one_probe_of_three_hung_is_a_contradiction() -> None:
    rs = [
        result(Outcome.OK, 200, "shop/a"),
        result(Outcome.TIMEOUT, attempt=1),
        result(Outcome.OK, 200, "shop/b", attempt=2),
    ]
    o = observe(0, target(), rs, PODS, 500)
    assert o.proof == Proof.CONTRADICTED
    assert "1 of 3" in o.reason


def test_a_pod_kube_proxy_would_not_choose_is_a_contradiction() -> None:
    o = observe(0, target(), [result(Outcome.OK, 200, "shop/z")], PODS, 500)
    assert o.proof == Proof.CONTRADICTED
    assert "shop/z" in o.reason


def test_an_answer_that_names_no_pod_is_unidentified_never_confirmed() -> None:
    # A real app answers without saying which pod it is: something answered, as predicted,
    # but that does not prove the predicted pods did.
    for t in (
        target(),
        target(HopKind.POD, pods=frozenset({"shop/a"})),
        target(HopKind.ENTRY, controller=True),
    ):
        o = observe(0, t, [result(Outcome.OK, 200)], PODS, 500)
        assert o.proof == Proof.UNIDENTIFIED and "answered (unidentified)" in o.reason
    # One unnamed answer among named ones is enough to withhold confirmation.
    rs = [result(Outcome.OK, 200, "shop/a"), result(Outcome.OK, 200, attempt=1)]
    o = observe(0, target(), rs, PODS, 500)
    assert o.proof == Proof.UNIDENTIFIED and "1 of 2" in o.reason and "shop/a" in o.reason
    # A TCP connect or a TLS handshake names nobody either.
    assert observe(0, target(), [result(Outcome.TLS)], PODS, 500).proof == Proof.UNIDENTIFIED


def test_unidentified_answers_still_contradict_a_predicted_drop() -> None:
    o = observe(0, target(expect=SILENT, pods=frozenset()), [result(Outcome.OK, 200)], PODS, 500)
    assert o.proof == Proof.CONTRADICTED


def test_health_checks_and_refusals_need_no_name() -> None:
    health = target(HopKind.HEALTH, frozenset({Expect.HEALTHY}))
    assert observe(0, health, [result(Outcome.OK, 200)], PODS, 500).proof == Proof.CONFIRMED
    ingress = target(HopKind.ENTRY, frozenset({Expect.BACKEND_ERROR}), controller=True)
    o = observe(0, ingress, [result(Outcome.HTTP_STATUS, 503)], PODS, 500)
    assert o.proof == Proof.CONFIRMED
    assert o.samples == ("HTTP 503 from the controller itself (no pod named)",)


def test_cross_node_answers_are_marked_seen() -> None:
    rs = [result(Outcome.OK, 200, "shop/a"), result(Outcome.OK, 200, "shop/b", attempt=1)]
    assert observe(0, target(), rs, PODS, 500).cross_node is True
    assert observe(0, target(), rs[:1], PODS, 500).cross_node is False
    assert observe(0, target(), [result(Outcome.OK, 200)], PODS, 500).cross_node is None


def test_slow_answers_are_flagged() -> None:
    o = observe(0, target(), [result(Outcome.OK, 200, "shop/a", latency=800)], PODS, 500)
    assert o.proof == Proof.CONFIRMED and o.slow
    assert not observe(0, target(), [result(Outcome.OK, 200, latency=20)], PODS, 500).slow


def test_internal_addresses_that_do_not_answer_prove_nothing() -> None:
    t = target(HopKind.ENTRY, internal=True, node_name=None)
    assert observe(0, t, [result(Outcome.REFUSED)], PODS, 500).proof == Proof.UNKNOWN
    assert observe(0, t, [result(Outcome.OK, 200, "shop/a")], PODS, 500).proof == Proof.CONFIRMED


def test_no_route_from_here_is_unknown() -> None:
    o = observe(0, target(), [result(Outcome.UNREACHABLE)], PODS, 500)
    assert o.proof == Proof.UNKNOWN


def test_judge_counts_and_findings() -> None:
    a = analysed(
        node("n1"),
        pod("a", "n1", "10.1.0.1"),
        service("web", "NodePort"),
        endpointslice("web", [endpoint("10.1.0.1", "n1", "a")]),
    )
    path = next(p for p in a.paths if p.entry.kind.value == "nodeport")
    ts = (
        target(),
        target(HopKind.POD, pods=frozenset({"shop/a"})),
        target(expect=SILENT, pods=frozenset(), node_name="n2"),
    )
    plan = ProbePlan((path,), ts, (), PODS)
    rs = [
        result(Outcome.OK, 200, "shop/a", latency=900)._replace(target=0),
        result(Outcome.TIMEOUT)._replace(target=1),
        result(Outcome.OK, 503, "shop/a")._replace(target=2, outcome=Outcome.HTTP_STATUS),
    ]
    ev = judge(plan, rs, 500)
    assert [o.proof for o in ev.observations] == [
        Proof.CONFIRMED,
        Proof.CONTRADICTED,
        Proof.CONTRADICTED,
    ]
    codes = sorted(f.code for f in ev.findings)
    assert codes == ["KP401", "KP402", "KP403", "KP405"]
    s = ev.summary
    assert (s.planned, s.done, s.ok, s.failed, s.contradictions) == (3, 3, 2, 1, 2)
    assert s.unidentified == 0


def test_a_pods_5xx_is_answered_503_never_confirmed_alone() -> None:
    o = observe(0, target(), [result(Outcome.HTTP_STATUS, 503, "shop/a")], PODS, 500)
    assert o.proof == Proof.ANSWERED_ERROR
    assert o.word == "! answered 503"
    assert o.http_errors == (503,)
    assert "the application fails" in o.reason


def test_each_sample_names_the_pod_that_answered_and_says_what_the_silent_one_saw() -> None:
    rs = [
        ProbeResult(0, 0, Outcome.OK, 200, 3.0, "shop/a", "n1", "direct", "HTTP 200 from shop/a"),
        ProbeResult(
            0,
            1,
            Outcome.TIMEOUT,
            None,
            600.0,
            None,
            None,
            "direct",
            "connected, then no answer within 0.6 s",
            None,
            True,
        ),
    ]
    o = observe(0, target(), rs, PODS, 500)
    assert o.samples == (
        "HTTP 200 from shop/a",
        "connected, then no answer within 0.6 s (not heard from: shop/b)",
    )
    assert o.observed == (
        "HTTP 200 from shop/a; connected, then no answer within 0.6 s (not heard from: shop/b)"
    )
    # On a pod hop the silent sample is the probed pod's.
    pod_t = target(HopKind.POD, pods=frozenset({"shop/a"}))
    silent = observe(0, pod_t, [rs[1]], PODS, 500)
    assert silent.samples == ("shop/a: connected, then no answer within 0.6 s",)
    assert silent.proof == Proof.CONTRADICTED


def test_a_stalled_tls_handshake_is_not_called_a_drop() -> None:
    r = ProbeResult(
        0,
        0,
        Outcome.TLS_TIMEOUT,
        None,
        600.0,
        None,
        None,
        "direct",
        "connected, then the TLS handshake stalled (no answer within 0.6 s)",
        None,
        True,
    )
    o = observe(0, target(), [r], PODS, 500)
    assert o.proof == Proof.CONTRADICTED
    assert "saw a TLS timeout" in o.reason and "dropped" not in o.reason.split("saw")[1]


def test_accepted_then_closed_is_an_l4_answer_never_confirmed_and_never_a_refusal() -> None:
    closed = result(Outcome.CLOSED)
    assert seen_as(target(), closed) == Expect.CLOSED
    fwd = observe(0, target(), [closed], PODS, 500)
    assert fwd.proof == Proof.UNIDENTIFIED
    assert "no HTTP answer came" in fwd.reason
    # A reject predicted at a NodePort: something accepted, so it is a contradiction ...
    rej = observe(
        0, target(expect=frozenset({Expect.REFUSED}), pods=frozenset()), [closed], PODS, 500
    )
    assert rej.proof == Proof.CONTRADICTED
    # ... but a proxying load balancer accepts before it finds nothing behind it.
    lb = target(HopKind.ENTRY, frozenset({Expect.REFUSED, Expect.CLOSED}), pods=frozenset())
    assert observe(0, lb, [closed], PODS, 500).proof == Proof.CONFIRMED


def test_a_tls_failure_at_a_pod_is_answered_unidentified_with_the_certificate_problem() -> None:
    r = ProbeResult(
        0, 0, Outcome.TLS, None, 4.0, None, None, "direct", "self-signed certificate", None, True
    )
    o = observe(0, target(HopKind.POD, pods=frozenset({"shop/a"})), [r], PODS, 500)
    assert o.proof == Proof.UNIDENTIFIED
    assert o.samples == ("shop/a: TLS failed: self-signed certificate",)


def test_no_prediction_is_never_a_contradiction() -> None:
    t = target(expect=frozenset({Expect.UNKNOWN}))
    for r in (result(Outcome.OK, 200, "shop/z"), result(Outcome.TIMEOUT), result(Outcome.REFUSED)):
        o = observe(0, t, [r], PODS, 500)
        assert o.proof == Proof.UNKNOWN
        assert "NotReady" in o.reason


def test_an_api_proxy_error_is_an_http_answer_from_the_api_server_not_a_refusal() -> None:
    r = ProbeResult(
        0,
        0,
        Outcome.HTTP_STATUS,
        503,
        9.0,
        None,
        None,
        "api-proxy",
        "HTTP 503 from the API server's proxy: error trying to reach service: dial "
        "tcp 10.1.0.1:8080: connect: connection refused",
    )
    pod_t = target(HopKind.POD, pods=frozenset({"shop/a"}))
    assert seen_as(pod_t, r) == Expect.BACKEND_ERROR
    o = observe(0, pod_t, [r], PODS, 500)
    assert o.proof == Proof.CONTRADICTED
    assert "saw a refusal" not in o.reason
    assert "HTTP 503 from the API server's proxy" in o.samples[0]


def test_a_silent_sample_says_which_predicted_pod_was_never_heard_from() -> None:
    rs = [
        ProbeResult(0, 0, Outcome.OK, 200, 3.0, "shop/b", "n2", "direct", "HTTP 200 from shop/b"),
        ProbeResult(
            0,
            1,
            Outcome.TIMEOUT,
            None,
            600.0,
            None,
            None,
            "direct",
            "connected, then no answer within 0.6 s",
            None,
            True,
        ),
    ]
    o = observe(0, target(), rs, PODS, 500)
    assert o.proof == Proof.CONTRADICTED
    assert o.samples == (
        "HTTP 200 from shop/b",
        "connected, then no answer within 0.6 s (not heard from: shop/a)",
    )
    assert "not heard from: shop/a" in o.reason


def test_a_backend_the_controller_forwarded_to_confirms_the_controller_was_reached() -> None:
    # A probe of an Ingress controller's own Service: the controller pods (shop/a, shop/b)
    # forward a Host-less GET / to the default backend (shop/k), which names itself.
    t = target()._replace(proxied_pods=frozenset({"shop/k"}))
    backend_nodes = {**PODS, "shop/k": "n2"}
    o = observe(0, t, [result(Outcome.OK, 200, "shop/k")], backend_nodes, 500)
    assert o.proof == Proof.CONFIRMED
    assert "forwarded" in o.reason
    # Where the backend runs says nothing of which controller pod kube-proxy chose.
    assert o.cross_node is None
    # A pod neither kube-proxy nor the controller would send to is still a contradiction.
    o = observe(0, t, [result(Outcome.OK, 200, "shop/z")], backend_nodes, 500)
    assert o.proof == Proof.CONTRADICTED and "shop/z" in o.reason


def test_a_failed_probe_beside_a_proxied_answer_names_no_silent_controller_pod() -> None:
    t = target()._replace(proxied_pods=frozenset({"shop/k"}))
    rs = [result(Outcome.OK, 200, "shop/k"), result(Outcome.TIMEOUT, attempt=1)]
    o = observe(0, t, rs, PODS, 500)
    assert o.proof == Proof.CONTRADICTED
    # The answer came from the backend: which controller pod forwarded it is not known.
    assert not any("not heard from" in s for s in o.samples)
    plain = observe(
        0,
        target(),
        [result(Outcome.OK, 200, "shop/a"), result(Outcome.TIMEOUT, attempt=1)],
        PODS,
        500,
    )
    assert any("not heard from: shop/b" in s for s in plain.samples)
