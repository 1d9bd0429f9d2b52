"""The lab gateway's decisions, request by request as the Gateway API conformance tests state
them (conformance/tests/httproute-*.go): the routes are theirs, the answers are theirs."""

from __future__ import annotations

import pytest

try:
    from tests.lab.gatewayworld import INFRA, answer, ask, world
except ImportError:
    from gatewayworld import INFRA, answer, ask, world  # type: ignore[no-redef]


def route(name: str, rules: str, *, parent: str = "same-namespace", extra: str = "",
          ns: str = INFRA) -> str:
    return (f"kind: HTTPRoute\nmetadata: {{name: {name}, namespace: {ns}}}\n"
            f"spec: {{parentRefs: [{parent}], {extra} rules: {rules}}}\n")


def parent(name: str) -> str:
    return f"{{name: {name}}}"


V = {1: "infra-backend-v1", 2: "infra-backend-v2", 3: "infra-backend-v3"}


def to(n: int) -> str:
    return f"[{{name: {V[n]}, port: 8080}}]"


MATCHING = route("matching", f"""[
  {{matches: [{{path: {{type: PathPrefix, value: /}}}},
              {{headers: [{{name: version, value: one}}]}}],
   backendRefs: {to(1)}}},
  {{matches: [{{path: {{type: PathPrefix, value: /v2}}}},
              {{headers: [{{name: version, value: two}}]}}],
   backendRefs: {to(2)}}}]""", parent=parent("same-namespace"))


@pytest.mark.parametrize(("path", "headers", "want"), [
    ("/", {}, "infra-backend-v1"),
    ("/example", {}, "infra-backend-v1"),
    ("/", {"Version": "one"}, "infra-backend-v1"),
    ("/v2", {}, "infra-backend-v2"),
    ("/v2/example", {}, "infra-backend-v2"),
    ("/", {"Version": "two"}, "infra-backend-v2"),
    ("/v2/", {}, "infra-backend-v2"),
    ("/v2example", {}, "infra-backend-v1"),
    ("/foo/v2/example", {}, "infra-backend-v1"),
])
def test_httproute_matching(path: str, headers: dict[str, str], want: str) -> None:
    assert answer(ask(world(MATCHING), path, headers=headers)) == want


PATH_ORDER = route("path-matching-order", f"""[
  {{matches: [{{path: {{type: Exact, value: /match}}}}], backendRefs: {to(1)}}},
  {{matches: [{{path: {{type: Exact, value: /match/exact}}}}], backendRefs: {to(2)}}},
  {{matches: [{{path: {{type: Exact, value: /match/exact/one}}}}], backendRefs: {to(3)}}},
  {{matches: [{{path: {{type: PathPrefix, value: /match/}}}}], backendRefs: {to(3)}}},
  {{matches: [{{path: {{type: PathPrefix, value: /match/prefix/}}}}], backendRefs: {to(1)}}},
  {{matches: [{{path: {{type: PathPrefix, value: /match/prefix/one}}}}], backendRefs: {to(2)}}}]""",
                   parent=parent("same-namespace"))


@pytest.mark.parametrize(("path", "want"), [
    ("/match/exact/one", 3), ("/match/exact", 2), ("/match", 1), ("/match/prefix/one/any", 2),
    ("/match/prefix/any", 1), ("/match/any", 3),
])
def test_httproute_path_match_order(path: str, want: int) -> None:
    assert answer(ask(world(PATH_ORDER), path)) == V[want]


def hdr(*pairs: tuple[str, str]) -> str:
    return "[" + ", ".join(f"{{name: {n}, value: {v}}}" for n, v in pairs) + "]"


HEADERS = route("header-matching", f"""[
  {{matches: [{{headers: {hdr(("version", "one"))}}}], backendRefs: {to(1)}}},
  {{matches: [{{headers: {hdr(("version", "two"))}}}], backendRefs: {to(2)}}},
  {{matches: [{{headers: {hdr(("version", "two"), ("color", "orange"))}}}], backendRefs: {to(1)}}},
  {{matches: [{{headers: {hdr(("color", "blue"))}}}, {{headers: {hdr(("color", "green"))}}}],
   backendRefs: {to(1)}}},
  {{matches: [{{headers: {hdr(("color", "red"))}}}, {{headers: {hdr(("color", "yellow"))}}}],
   backendRefs: {to(2)}}}]""", parent=parent("same-namespace"))


@pytest.mark.parametrize(("headers", "want"), [
    ({"Version": "one"}, 1), ({"Version": "two"}, 2), ({"Version": "two", "Color": "orange"}, 1),
    ({"Version": "two", "Color": "blue"}, 2), ({"Color": "orange"}, 404),
    ({"Some-Other-Header": "one"}, 404), ({"Color": "blue"}, 1), ({"Color": "green"}, 1),
    ({"Color": "red"}, 2), ({"Color": "yellow"}, 2), ({"Color": "purple"}, 404),
])
def test_httproute_header_matching(headers: dict[str, str], want: int) -> None:
    assert answer(ask(world(HEADERS), headers=headers)) == V.get(want, want)


def qp(*pairs: tuple[str, str]) -> str:
    return hdr(*pairs)


def pp(value: str) -> str:
    return f"{{type: PathPrefix, value: {value}}}"


QUERY = route("query-param-matching", f"""[
  {{matches: [{{queryParams: {qp(("animal", "whale"))}}}], backendRefs: {to(1)}}},
  {{matches: [{{queryParams: {qp(("animal", "dolphin"))}}}], backendRefs: {to(2)}}},
  {{matches: [{{queryParams: {qp(("animal", "dolphin"), ("color", "blue"))}}},
              {{queryParams: {qp(("ANIMAL", "Whale"))}}}], backendRefs: {to(3)}}},
  {{matches: [{{path: {pp("/path1")}, queryParams: {qp(("animal", "whale"))}}}],
   backendRefs: {to(1)}}},
  {{matches: [{{headers: {hdr(("version", "one"))}, queryParams: {qp(("animal", "whale"))}}}],
   backendRefs: {to(2)}}},
  {{matches: [{{path: {pp("/path2")}, headers: {hdr(("version", "two"))},
               queryParams: {qp(("animal", "whale"))}}}], backendRefs: {to(3)}}},
  {{matches: [{{path: {pp("/path3")}, queryParams: {qp(("animal", "shark"))}}},
              {{path: {pp("/path4")}, headers: {hdr(("version", "three"))},
               queryParams: {qp(("animal", "kraken"))}}}], backendRefs: {to(1)}}},
  {{matches: [{{path: {pp("/path5")}}}], backendRefs: {to(1)}}},
  {{matches: [{{queryParams: {qp(("animal", "hydra"))}}}], backendRefs: {to(2)}}},
  {{matches: [{{headers: {hdr(("version", "four"))}}}], backendRefs: {to(3)}}}]""",
              parent=parent("same-namespace"))


@pytest.mark.parametrize(("path", "headers", "want"), [
    ("/?animal=whale", {}, 1), ("/?animal=dolphin", {}, 2), ("/?animal=dolphin&color=blue", {}, 3),
    ("/?ANIMAL=Whale", {}, 3), ("/?animal=whale&otherparam=irrelevant", {}, 1),
    ("/?animal=dolphin&color=yellow", {}, 2), ("/?color=blue", {}, 404), ("/?animal=dog", {}, 404),
    ("/?animal=whaledolphin", {}, 404), ("/", {}, 404),
    ("/path1?animal=whale", {}, 1), ("/?animal=whale", {"version": "one"}, 2),
    ("/path2?animal=whale", {"version": "two"}, 3), ("/path3?animal=shark", {}, 1),
    ("/path4?animal=kraken", {"version": "three"}, 1), ("/?animal=shark", {}, 404),
    ("/path4?animal=kraken", {}, 404), ("/path5?animal=hydra", {}, 1),
    ("/?animal=hydra", {"version": "four"}, 3),
])
def test_httproute_query_param_matching(path: str, headers: dict[str, str], want: int) -> None:
    assert answer(ask(world(QUERY), path, headers=headers)) == V.get(want, want)


METHOD = route("method-matching", f"""[
  {{matches: [{{method: POST}}], backendRefs: {to(1)}}},
  {{matches: [{{method: GET}}], backendRefs: {to(2)}}},
  {{matches: [{{path: {pp("/path1")}, method: GET}}], backendRefs: {to(1)}}},
  {{matches: [{{headers: {hdr(("version", "one"))}, method: PUT}}], backendRefs: {to(2)}}},
  {{matches: [{{path: {pp("/path2")}, headers: {hdr(("version", "two"))}, method: POST}}],
   backendRefs: {to(3)}}},
  {{matches: [{{path: {pp("/path3")}, method: PATCH}},
              {{path: {pp("/path4")}, headers: {hdr(("version", "three"))}, method: DELETE}}],
   backendRefs: {to(1)}}},
  {{matches: [{{path: {pp("/path5")}}}], backendRefs: {to(1)}}},
  {{matches: [{{method: PATCH}}], backendRefs: {to(2)}}},
  {{matches: [{{headers: {hdr(("version", "four"))}}}], backendRefs: {to(3)}}}]""",
               parent=parent("same-namespace"))


@pytest.mark.parametrize(("method", "path", "headers", "want"), [
    ("POST", "/", {}, 1), ("GET", "/", {}, 2), ("HEAD", "/", {}, 404),
    ("GET", "/path1", {}, 1), ("PUT", "/", {"version": "one"}, 2),
    ("POST", "/path2", {"version": "two"}, 3), ("PATCH", "/path3", {}, 1),
    ("DELETE", "/path4", {"version": "three"}, 1), ("PUT", "/", {}, 404),
    ("DELETE", "/path4", {}, 404), ("PATCH", "/path5", {}, 1),
    ("PATCH", "/", {"version": "four"}, 2),
])
def test_httproute_method_matching(method: str, path: str, headers: dict[str, str],
                                   want: int) -> None:
    got = ask(world(METHOD), path, method=method, headers=headers)
    assert answer(got) == V.get(want, want)


LISTENER_HOSTS = f"""
kind: Gateway
metadata: {{name: httproute-listener-hostname-matching, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners:
  - {{name: listener-1, port: 80, protocol: HTTP, hostname: bar.com}}
  - {{name: listener-2, port: 80, protocol: HTTP, hostname: foo.bar.com}}
  - {{name: listener-3, port: 80, protocol: HTTP, hostname: "*.bar.com"}}
  - {{name: listener-4, port: 80, protocol: HTTP, hostname: "*.foo.com"}}
---
""" + "---\n".join(
    route(f"backend-v{n}", f"[{{backendRefs: {to(n)}}}]", parent=", ".join(
        f"{{name: httproute-listener-hostname-matching, namespace: {INFRA}, sectionName: {s}}}"
        for s in sections))
    for n, sections in ((1, ["listener-1"]), (2, ["listener-2"]),
                        (3, ["listener-3", "listener-4"])))


@pytest.mark.parametrize(("host", "want"), [
    ("bar.com", 1), ("foo.bar.com", 2), ("baz.bar.com", 3), ("boo.bar.com", 3),
    ("multiple.prefixes.bar.com", 3), ("multiple.prefixes.foo.com", 3), ("foo.com", 404),
    ("no.matching.host", 404),
])
def test_httproute_listener_hostname_matching(host: str, want: int) -> None:
    state = world(LISTENER_HOSTS)
    got = ask(state, gateway="httproute-listener-hostname-matching", host=host)
    assert answer(got) == V.get(want, want)


def hosts_route(name: str, hosts: list[str], prefix: str, n: int,
                gw: str = "httproute-hostname-intersection") -> str:
    return route(name, f"[{{matches: [{{path: {pp(prefix)}}}], backendRefs: {to(n)}}}]",
                 parent=f"{{name: {gw}, namespace: {INFRA}}}",
                 extra="hostnames: [" + ", ".join(f'"{h}"' for h in hosts) + "],")


INTERSECTION = f"""
kind: Gateway
metadata: {{name: httproute-hostname-intersection, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners:
  - {{name: listener-1, port: 80, protocol: HTTP, hostname: very.specific.com}}
  - {{name: listener-2, port: 80, protocol: HTTP, hostname: "*.wildcard.io"}}
  - {{name: listener-3, port: 80, protocol: HTTP, hostname: "*.anotherwildcard.io"}}
---
""" + "---\n".join([
    hosts_route("specific-host-matches-listener-specific-host",
                ["non.matching.com", "*.nonmatchingwildcard.io", "very.specific.com"], "/s1", 1),
    hosts_route("specific-host-matches-listener-wildcard-host",
                ["non.matching.com", "wildcard.io", "foo.wildcard.io", "bar.wildcard.io",
                 "foo.bar.wildcard.io"], "/s2", 2),
    hosts_route("wildcard-host-matches-listener-specific-host",
                ["non.matching.com", "*.specific.com"], "/s3", 3),
    hosts_route("wildcard-host-matches-listener-wildcard-host", ["*.anotherwildcard.io"],
                "/s4", 1),
    hosts_route("no-intersecting-hosts", ["specific.but.wrong.com", "wildcard.io"], "/s5", 2),
])


@pytest.mark.parametrize(("host", "path", "want"), [
    ("very.specific.com", "/s1", 1), ("very.specific.com:1234", "/s1", 1),
    ("non.matching.com", "/s1", 404), ("foo.nonmatchingwildcard.io", "/s1", 404),
    ("foo.wildcard.io", "/s1", 404), ("very.specific.com", "/non-matching-prefix", 404),
    ("foo.wildcard.io", "/s2", 2), ("bar.wildcard.io", "/s2", 2),
    ("foo.bar.wildcard.io", "/s2", 2), ("non.matching.com", "/s2", 404),
    ("wildcard.io", "/s2", 404), ("very.specific.com", "/s2", 404),
    ("foo.wildcard.io", "/non-matching-prefix", 404), ("very.specific.com", "/s3", 3),
    ("non.matching.com", "/s3", 404), ("foo.specific.com", "/s3", 404),
    ("foo.wildcard.io", "/s3", 404), ("foo.anotherwildcard.io", "/s4", 1),
    ("bar.anotherwildcard.io", "/s4", 1), ("foo.bar.anotherwildcard.io", "/s4", 1),
    ("anotherwildcard.io", "/s4", 404), ("foo.wildcard.io", "/s4", 404),
    ("specific.but.wrong.com", "/s5", 404), ("wildcard.io", "/s5", 404),
])
def test_httproute_hostname_intersection(host: str, path: str, want: int) -> None:
    state = world(INTERSECTION)
    got = ask(state, path, gateway="httproute-hostname-intersection", host=host)
    assert answer(got) == V.get(want, want)
