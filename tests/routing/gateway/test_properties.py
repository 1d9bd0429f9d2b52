"""Laws of Gateway routing, checked on generated routes (hypothesis).

- Precedence is a total order: the route a request reaches does not depend on the order the
  routes were read in.
- The per-listener index (hostname buckets, path buckets) answers exactly what a plain scan
  of every attached match, in the spec's order, answers.
- A rule's shares sum to 1 over its weighted backends.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kpath.cluster.gatewayapi import HeaderMatch, PathMatch, Route, RouteMatch
from kpath.routing.gateway.attach import attach
from kpath.routing.gateway.backends import rule_backends
from kpath.routing.gateway.hostnames import host_matches, specificity
from kpath.routing.gateway.match import entries, http_match
from kpath.routing.gateway.resolve import find_entry
from kpath.routing.requests import Request
from tests.routing.gateway.builders import backend, gateway, route, rule, snapshot

SEGMENTS = ["a", "b", "ab"]
paths = st.lists(st.sampled_from(SEGMENTS), max_size=3).map(lambda s: "/" + "/".join(s))
path_matches = st.builds(
    PathMatch,
    st.sampled_from(["Exact", "PathPrefix", "PathPrefix"]),
    st.one_of(paths, paths.map(lambda p: p.rstrip("/") + "/")),
)
headers = st.lists(
    st.builds(
        HeaderMatch, st.just("Exact"), st.sampled_from(["x", "y"]), st.sampled_from(["1", "2"])
    ),
    max_size=2,
)
queries = st.lists(
    st.builds(HeaderMatch, st.just("Exact"), st.sampled_from(["q"]), st.sampled_from(["1", "2"])),
    max_size=1,
)
matches = st.builds(
    lambda p, h, q, m: RouteMatch(p, tuple(h), tuple(q), m, None, None, None),
    path_matches,
    headers,
    queries,
    st.sampled_from([None, None, "GET", "POST"]),
)
hostnames = st.lists(
    st.sampled_from(["a.example.com", "*.example.com", "b.a.example.com", "*.a.example.com"]),
    max_size=2,
    unique=True,
)
creations = st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", ""])


@st.composite
def routes(draw: st.DrawFn) -> list[Route]:
    n = draw(st.integers(1, 5))
    out = []
    for i in range(n):
        rules = [
            rule(backend("infra-backend-v1"), matches=draw(st.lists(matches, max_size=3)))
            for _ in range(draw(st.integers(1, 3)))
        ]
        out.append(
            route(
                f"r{draw(st.integers(0, 3))}-{i}",
                *rules,
                ns=draw(st.sampled_from(["gateway-conformance-infra"])),
                hostnames=draw(hostnames),
                creation=draw(creations),
            )
        )
    return out


requests = st.builds(
    lambda host, path, hs, q, m: Request("http", host, 80, path, tuple(q), m, tuple(hs)),
    st.sampled_from(["a.example.com", "b.a.example.com", "c.example.com", "example.com"]),
    paths,
    st.lists(st.tuples(st.sampled_from(["X", "y"]), st.sampled_from(["1", "2"])), max_size=2),
    st.lists(st.tuples(st.just("q"), st.sampled_from(["1", "2"])), max_size=1),
    st.sampled_from(["GET", "POST"]),
)


def _brute(rs: list[Route], req: Request) -> tuple[object, ...] | None:
    """The spec read literally: every (route hostname, match) that holds, ordered by the
    most specific matching hostname, then match precedence."""
    best = None
    for r in rs:
        hosts = r.hostnames or (None,)
        for e in entries(r):
            for h in hosts:
                if not host_matches(h, req.host):
                    continue
                if not http_match(e.spec, req.path, req.method, req.headers, req.query):
                    continue
                k = (tuple(-x for x in specificity(h)), e.key)
                if best is None or k < best[0]:
                    best = (k, (r.key, e.rule))
    return best[1] if best else None


def _indexed(rs: list[Route], req: Request) -> tuple[object, ...] | None:
    table = attach(snapshot([gateway("same-namespace")], rs, infra=False))
    (lr,) = table.listeners
    e = find_entry(lr, req)
    return (e.route.key, e.rule) if e else None


@settings(max_examples=150, deadline=None)
@given(routes(), requests)
def test_index_answers_what_a_full_scan_in_spec_order_answers(
    rs: list[Route], req: Request
) -> None:
    assert _indexed(rs, req) == _brute(rs, req)


@settings(max_examples=100, deadline=None)
@given(routes(), requests, st.randoms(use_true_random=False))
def test_answer_does_not_depend_on_input_order(rs: list[Route], req: Request, rnd: object) -> None:
    shuffled = list(rs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert _indexed(shuffled, req) == _indexed(rs, req)


@given(routes())
def test_precedence_keys_are_a_total_order(rs: list[Route]) -> None:
    # distinct (route, rule, match) never tie: the order never falls back on input order
    keyed = [(e.key, (r.kind, r.key, e.rule, e.match)) for r in rs for e in entries(r)]
    by_key: dict[object, set[object]] = {}
    for k, ident in keyed:
        by_key.setdefault(k, set()).add(ident)
    assert all(len(v) == 1 for v in by_key.values())


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=6))
def test_shares_sum_to_one_over_weighted_backends(weights: list[int]) -> None:
    r = route("w", rule(*[backend("infra-backend-v1", weight=w) for w in weights]))
    snap = snapshot([gateway("same-namespace")], [r])
    shares = [b.share for b in rule_backends(snap, r, 0)]
    if sum(weights):
        assert abs(sum(shares) - 1) < 1e-9
        assert all((s == 0) == (w == 0) for s, w in zip(shares, weights, strict=True))
    else:
        assert shares == [0.0] * len(weights)
