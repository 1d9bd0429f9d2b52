"""Judging probes sent at a Gateway listener: backends naming themselves, the gateway's own
404, 5xx and redirects (naming no pod, or one of its proxy pods)."""

from __future__ import annotations

from kpath.cluster.records import ObjectKey
from kpath.probe.evidence import Proof, judge, observe, seen_as
from kpath.probe.expect import Expect
from kpath.probe.plan import HopKind, HopRef, ProbePlan, ProbeTarget
from kpath.probe.prober import Outcome, ProbeResult
from kpath.routing.paths import Entry, EntryKind, GatewayHop, Path

BACKEND = frozenset({"shop/cart-0", "shop/cart-1"})
PROXY = frozenset({"gw/proxy-0"})


def target(
    expect: set[Expect],
    *,
    statuses: frozenset[int] | set[int] = frozenset(),
    location: str | None = None,
    pods: frozenset[str] = BACKEND,
) -> ProbeTarget:
    return ProbeTarget(
        HopKind.ENTRY,
        "http",
        "127.0.0.9",
        80,
        "/cart",
        "shop.example",
        None,
        None,
        None,
        frozenset(expect),
        pods if Expect.ANSWER in expect else frozenset(),
        False,
        True,
        1,
        (HopRef(0, HopKind.ENTRY),),
        frozenset(),
        "GET",
        (),
        frozenset(statuses),
        location,
        True,
        PROXY,
    )


def result(
    status: int | None,
    pod: str | None,
    *,
    location: str | None = None,
    outcome: Outcome | None = None,
) -> ProbeResult:
    if outcome is None:
        outcome = Outcome.OK if status is not None and status < 400 else Outcome.HTTP_STATUS
    return ProbeResult(
        0, 0, outcome, status, 3.0, pod, None, "direct", f"HTTP {status}", None, True, location
    )


def judged(t: ProbeTarget, *rs: ProbeResult) -> tuple[Proof, str]:
    o = observe(0, t, list(rs), {}, 500)
    return o.proof, o.reason


def test_the_gateway_s_own_answers_read_by_status() -> None:
    t = target({Expect.ANSWER})
    assert seen_as(t, result(404, None)) == Expect.NOT_FOUND
    assert seen_as(t, result(404, "gw/proxy-0")) == Expect.NOT_FOUND
    assert seen_as(t, result(500, "gw/proxy-0")) == Expect.BACKEND_ERROR
    assert seen_as(t, result(302, None, location="https://x/")) == Expect.REDIRECT
    # A backend's own 404 or 500 is the backend answering.
    assert seen_as(t, result(404, "shop/cart-0")) == Expect.ANSWER
    assert seen_as(t, result(500, "shop/cart-0")) == Expect.ANSWER


def test_a_forward_answered_by_the_rule_s_backend_confirms() -> None:
    proof, reason = judged(target({Expect.ANSWER}), result(200, "shop/cart-1"))
    assert proof == Proof.CONFIRMED and "shop/cart-1" in reason


def test_a_forward_answered_by_another_service_s_pod_is_a_contradiction() -> None:
    proof, reason = judged(target({Expect.ANSWER}), result(200, "shop/web-0"))
    assert proof == Proof.CONTRADICTED
    assert "answered by shop/web-0, which the route's rule does not send to" in reason


def test_a_404_or_500_where_a_forward_was_predicted_is_a_contradiction() -> None:
    proof, reason = judged(target({Expect.ANSWER}), result(404, "gw/proxy-0"))
    assert proof == Proof.CONTRADICTED
    assert "saw the gateway's own 404" in reason and "gw/proxy-0" in reason
    proof, _ = judged(target({Expect.ANSWER}), result(500, None))
    assert proof == Proof.CONTRADICTED


def test_the_predicted_404_confirms_and_a_forward_there_contradicts() -> None:
    nf = target({Expect.NOT_FOUND}, statuses={404})
    assert judged(nf, result(404, "gw/proxy-0"))[0] == Proof.CONFIRMED
    assert judged(nf, result(404, None))[0] == Proof.CONFIRMED
    proof, reason = judged(nf, result(200, "shop/cart-0"))
    assert proof == Proof.CONTRADICTED and "predicted the gateway's own 404" in reason


def test_the_predicted_500_confirms_another_status_contradicts_and_no_kp405() -> None:
    t = target({Expect.BACKEND_ERROR}, statuses={500})
    assert judged(t, result(500, "gw/proxy-0"))[0] == Proof.CONFIRMED
    proof, reason = judged(t, result(503, "gw/proxy-0"))
    assert proof == Proof.CONTRADICTED and "(HTTP 500)" in reason and "saw HTTP 503" in reason
    path = Path(
        ObjectKey("shop", "cart"),
        None,
        Entry(EntryKind.GATEWAY, (), 80, gateway=HOP),
        None,
        (),
        None,
        "gateway",
    )
    plan = ProbePlan((path,), (t,), (), {})
    ev = judge(plan, [result(500, "gw/proxy-0")], 500)
    assert ev.summary.contradictions == 0
    assert [f.code for f in ev.findings] == []  # the gateway's 500 is no endpoint's error


def test_a_redirect_compares_its_location() -> None:
    t = target({Expect.REDIRECT}, statuses={301}, location="https://shop.example/new")
    ok = result(301, "gw/proxy-0", location="https://shop.example:443/new")
    assert judged(t, ok)[0] == Proof.CONFIRMED
    proof, reason = judged(t, result(301, None, location="https://elsewhere.example/new"))
    assert proof == Proof.CONTRADICTED and "a redirect to https://elsewhere.example/new" in reason
    proof, reason = judged(t, result(302, None, location="https://shop.example/new"))
    assert proof == Proof.CONTRADICTED and "HTTP 302" in reason


def test_a_weighted_rule_with_an_invalid_share_accepts_both() -> None:
    t = target({Expect.ANSWER, Expect.BACKEND_ERROR}, statuses={500})
    o = observe(0, t._replace(repeat=2), [result(200, "shop/cart-0"), result(500, None)], {}, 500)
    assert o.proof == Proof.CONFIRMED


HOP = GatewayHop(
    ObjectKey("gw", "gw"),
    "http",
    "HTTP",
    ("shop.example",),
    ("127.0.0.9",),
    80,
    "HTTPRoute",
    ObjectKey("shop", "r"),
    0,
    (),
    None,
    1.0,
    None,
    None,
    "",
)
