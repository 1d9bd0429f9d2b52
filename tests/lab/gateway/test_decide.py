"""The lab gateway's decisions, request by request as the Gateway API conformance tests state
them (conformance/tests/httproute-*.go): the routes are theirs, the answers are theirs."""

from __future__ import annotations

import pytest

try:
    from tests.lab.gateway.world import INFRA, answer, ask, world
except ImportError:
    from gatewayworld import INFRA, answer, ask, world  # type: ignore[no-redef]


def route(
    name: str, rules: str, *, parent: str = "same-namespace", extra: str = "", ns: str = INFRA
) -> str:
    return (
        f"kind: HTTPRoute\nmetadata: {{name: {name}, namespace: {ns}}}\n"
        f"spec: {{parentRefs: [{parent}], {extra} rules: {rules}}}\n"
    )


def parent(name: str) -> str:
    return f"{{name: {name}}}"


V = {1: "infra-backend-v1", 2: "infra-backend-v2", 3: "infra-backend-v3"}


def to(n: int) -> str:
    return f"[{{name: {V[n]}, port: 8080}}]"


MATCHING = route(
    "matching",
    f"""[
  {{matches: [{{path: {{type: PathPrefix, value: /}}}},
              {{headers: [{{name: version, value: one}}]}}],
   backendRefs: {to(1)}}},
  {{matches: [{{path: {{type: PathPrefix, value: /v2}}}},
              {{headers: [{{name: version, value: two}}]}}],
   backendRefs: {to(2)}}}]""",
    parent=parent("same-namespace"),
)


@pytest.mark.parametrize(
    ("path", "headers", "want"),
    [
        ("/", {}, "infra-backend-v1"),
        ("/example", {}, "infra-backend-v1"),
        ("/", {"Version": "one"}, "infra-backend-v1"),
        ("/v2", {}, "infra-backend-v2"),
        ("/v2/example", {}, "infra-backend-v2"),
        ("/", {"Version": "two"}, "infra-backend-v2"),
        ("/v2/", {}, "infra-backend-v2"),
        ("/v2example", {}, "infra-backend-v1"),
        ("/foo/v2/example", {}, "infra-backend-v1"),
    ],
)
def test_httproute_matching(path: str, headers: dict[str, str], want: str) -> None:
    assert answer(ask(world(MATCHING), path, headers=headers)) == want


PATH_ORDER = route(
    "path-matching-order",
    f"""[
  {{matches: [{{path: {{type: Exact, value: /match}}}}], backendRefs: {to(1)}}},
  {{matches: [{{path: {{type: Exact, value: /match/exact}}}}], backendRefs: {to(2)}}},
  {{matches: [{{path: {{type: Exact, value: /match/exact/one}}}}], backendRefs: {to(3)}}},
  {{matches: [{{path: {{type: PathPrefix, value: /match/}}}}], backendRefs: {to(3)}}},
  {{matches: [{{path: {{type: PathPrefix, value: /match/prefix/}}}}], backendRefs: {to(1)}}},
  {{matches: [{{path: {{type: PathPrefix, value: /match/prefix/one}}}}], backendRefs: {to(2)}}}]""",
    parent=parent("same-namespace"),
)


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("/match/exact/one", 3),
        ("/match/exact", 2),
        ("/match", 1),
        ("/match/prefix/one/any", 2),
        ("/match/prefix/any", 1),
        ("/match/any", 3),
    ],
)
def test_httproute_path_match_order(path: str, want: int) -> None:
    assert answer(ask(world(PATH_ORDER), path)) == V[want]


def hdr(*pairs: tuple[str, str]) -> str:
    return "[" + ", ".join(f"{{name: {n}, value: {v}}}" for n, v in pairs) + "]"


HEADERS = route(
    "header-matching",
    f"""[
  {{matches: [{{headers: {hdr(("version", "one"))}}}], backendRefs: {to(1)}}},
  {{matches: [{{headers: {hdr(("version", "two"))}}}], backendRefs: {to(2)}}},
  {{matches: [{{headers: {hdr(("version", "two"), ("color", "orange"))}}}], backendRefs: {to(1)}}},
  {{matches: [{{headers: {hdr(("color", "blue"))}}}, {{headers: {hdr(("color", "green"))}}}],
   backendRefs: {to(1)}}},
  {{matches: [{{headers: {hdr(("color", "red"))}}}, {{headers: {hdr(("color", "yellow"))}}}],
   backendRefs: {to(2)}}}]""",
    parent=parent("same-namespace"),
)


@pytest.mark.parametrize(
    ("headers", "want"),
    [
        ({"Version": "one"}, 1),
        ({"Version": "two"}, 2),
        ({"Version": "two", "Color": "orange"}, 1),
        ({"Version": "two", "Color": "blue"}, 2),
        ({"Color": "orange"}, 404),
        ({"Some-Other-Header": "one"}, 404),
        ({"Color": "blue"}, 1),
        ({"Color": "green"}, 1),
        ({"Color": "red"}, 2),
        ({"Color": "yellow"}, 2),
        ({"Color": "purple"}, 404),
    ],
)
def test_httproute_header_matching(headers: dict[str, str], want: int) -> None:
    assert answer(ask(world(HEADERS), headers=headers)) == V.get(want, want)


def qp(*pairs: tuple[str, str]) -> str:
    return hdr(*pairs)


def pp(value: str) -> str:
    return f"{{type: PathPrefix, value: {value}}}"


QUERY = route(
    "query-param-matching",
    f"""[
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
    parent=parent("same-namespace"),
)


@pytest.mark.parametrize(
    ("path", "headers", "want"),
    [
        ("/?animal=whale", {}, 1),
        ("/?animal=dolphin", {}, 2),
        ("/?animal=dolphin&color=blue", {}, 3),
        ("/?ANIMAL=Whale", {}, 3),
        ("/?animal=whale&otherparam=irrelevant", {}, 1),
        ("/?animal=dolphin&color=yellow", {}, 2),
        ("/?color=blue", {}, 404),
        ("/?animal=dog", {}, 404),
        ("/?animal=whaledolphin", {}, 404),
        ("/", {}, 404),
        ("/path1?animal=whale", {}, 1),
        ("/?animal=whale", {"version": "one"}, 2),
        ("/path2?animal=whale", {"version": "two"}, 3),
        ("/path3?animal=shark", {}, 1),
        ("/path4?animal=kraken", {"version": "three"}, 1),
        ("/?animal=shark", {}, 404),
        ("/path4?animal=kraken", {}, 404),
        ("/path5?animal=hydra", {}, 1),
        ("/?animal=hydra", {"version": "four"}, 3),
    ],
)
def test_httproute_query_param_matching(path: str, headers: dict[str, str], want: int) -> None:
    assert answer(ask(world(QUERY), path, headers=headers)) == V.get(want, want)


METHOD = route(
    "method-matching",
    f"""[
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
    parent=parent("same-namespace"),
)


@pytest.mark.parametrize(
    ("method", "path", "headers", "want"),
    [
        ("POST", "/", {}, 1),
        ("GET", "/", {}, 2),
        ("HEAD", "/", {}, 404),
        ("GET", "/path1", {}, 1),
        ("PUT", "/", {"version": "one"}, 2),
        ("POST", "/path2", {"version": "two"}, 3),
        ("PATCH", "/path3", {}, 1),
        ("DELETE", "/path4", {"version": "three"}, 1),
        ("PUT", "/", {}, 404),
        ("DELETE", "/path4", {}, 404),
        ("PATCH", "/path5", {}, 1),
        ("PATCH", "/", {"version": "four"}, 2),
    ],
)
def test_httproute_method_matching(
    method: str, path: str, headers: dict[str, str], want: int
) -> None:
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
    route(
        f"backend-v{n}",
        f"[{{backendRefs: {to(n)}}}]",
        parent=", ".join(
            f"{{name: httproute-listener-hostname-matching, namespace: {INFRA}, sectionName: {s}}}"
            for s in sections
        ),
    )
    for n, sections in ((1, ["listener-1"]), (2, ["listener-2"]), (3, ["listener-3", "listener-4"]))
)


@pytest.mark.parametrize(
    ("host", "want"),
    [
        ("bar.com", 1),
        ("foo.bar.com", 2),
        ("baz.bar.com", 3),
        ("boo.bar.com", 3),
        ("multiple.prefixes.bar.com", 3),
        ("multiple.prefixes.foo.com", 3),
        ("foo.com", 404),
        ("no.matching.host", 404),
    ],
)
def test_httproute_listener_hostname_matching(host: str, want: int) -> None:
    state = world(LISTENER_HOSTS)
    got = ask(state, gateway="httproute-listener-hostname-matching", host=host)
    assert answer(got) == V.get(want, want)


def hosts_route(
    name: str, hosts: list[str], prefix: str, n: int, gw: str = "httproute-hostname-intersection"
) -> str:
    return route(
        name,
        f"[{{matches: [{{path: {pp(prefix)}}}], backendRefs: {to(n)}}}]",
        parent=f"{{name: {gw}, namespace: {INFRA}}}",
        extra="hostnames: [" + ", ".join(f'"{h}"' for h in hosts) + "],",
    )


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
""" + "---\n".join(
    [
        hosts_route(
            "specific-host-matches-listener-specific-host",
            ["non.matching.com", "*.nonmatchingwildcard.io", "very.specific.com"],
            "/s1",
            1,
        ),
        hosts_route(
            "specific-host-matches-listener-wildcard-host",
            [
                "non.matching.com",
                "wildcard.io",
                "foo.wildcard.io",
                "bar.wildcard.io",
                "foo.bar.wildcard.io",
            ],
            "/s2",
            2,
        ),
        hosts_route(
            "wildcard-host-matches-listener-specific-host",
            ["non.matching.com", "*.specific.com"],
            "/s3",
            3,
        ),
        hosts_route(
            "wildcard-host-matches-listener-wildcard-host", ["*.anotherwildcard.io"], "/s4", 1
        ),
        hosts_route("no-intersecting-hosts", ["specific.but.wrong.com", "wildcard.io"], "/s5", 2),
    ]
)


@pytest.mark.parametrize(
    ("host", "path", "want"),
    [
        ("very.specific.com", "/s1", 1),
        ("very.specific.com:1234", "/s1", 1),
        ("non.matching.com", "/s1", 404),
        ("foo.nonmatchingwildcard.io", "/s1", 404),
        ("foo.wildcard.io", "/s1", 404),
        ("very.specific.com", "/non-matching-prefix", 404),
        ("foo.wildcard.io", "/s2", 2),
        ("bar.wildcard.io", "/s2", 2),
        ("foo.bar.wildcard.io", "/s2", 2),
        ("non.matching.com", "/s2", 404),
        ("wildcard.io", "/s2", 404),
        ("very.specific.com", "/s2", 404),
        ("foo.wildcard.io", "/non-matching-prefix", 404),
        ("very.specific.com", "/s3", 3),
        ("non.matching.com", "/s3", 404),
        ("foo.specific.com", "/s3", 404),
        ("foo.wildcard.io", "/s3", 404),
        ("foo.anotherwildcard.io", "/s4", 1),
        ("bar.anotherwildcard.io", "/s4", 1),
        ("foo.bar.anotherwildcard.io", "/s4", 1),
        ("anotherwildcard.io", "/s4", 404),
        ("foo.wildcard.io", "/s4", 404),
        ("specific.but.wrong.com", "/s5", 404),
        ("wildcard.io", "/s5", 404),
    ],
)
def test_httproute_hostname_intersection(host: str, path: str, want: int) -> None:
    state = world(INTERSECTION)
    got = ask(state, path, gateway="httproute-hostname-intersection", host=host)
    assert answer(got) == V.get(want, want)


ACROSS = "---\n".join(
    [
        route(
            "matching-part1",
            f"""[
  {{matches: [{{path: {pp("/")}}}, {{headers: {hdr(("version", "one"))}}}],
   backendRefs: {to(1)}}}]""",
            parent=parent("same-namespace"),
            extra="hostnames: [example.com, example.net],",
        ),
        route(
            "matching-part2",
            f"""[
  {{matches: [{{path: {pp("/v2")}}}, {{headers: {hdr(("version", "two"))}}}],
   backendRefs: {to(2)}}}]""",
            parent=parent("same-namespace"),
            extra="hostnames: [example.com],",
        ),
    ]
)


@pytest.mark.parametrize(
    ("host", "path", "headers", "want"),
    [
        ("example.com", "/", {}, 1),
        ("example.com", "/example", {}, 1),
        ("example.net", "/example", {}, 1),
        ("example.com", "/example", {"Version": "one"}, 1),
        ("example.com", "/v2", {}, 2),
        ("example.net", "/v2", {}, 1),
        ("example.com", "/v2/example", {}, 2),
        ("example.com", "/", {"Version": "two"}, 2),
    ],
)
def test_httproute_matching_across_routes(
    host: str, path: str, headers: dict[str, str], want: int
) -> None:
    assert answer(ask(world(ACROSS), path, host=host, headers=headers)) == V[want]


def redirect_rule(prefix: str, redirect: str) -> str:
    return (
        f"{{matches: [{{path: {pp(prefix)}}}], filters: [{{type: RequestRedirect, "
        f"requestRedirect: {redirect}}}]}}"
    )


REDIRECT_PATH = route(
    "redirect-path",
    "["
    + ", ".join(
        [
            redirect_rule(
                "/original-prefix",
                "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}",
            ),
            redirect_rule(
                "/full", "{path: {type: ReplaceFullPath, replaceFullPath: /full-path-replacement}}"
            ),
            redirect_rule(
                "/path-and-host",
                "{hostname: example.org, path: {type: ReplacePrefixMatch, "
                "replacePrefixMatch: /replacement-prefix}}",
            ),
            redirect_rule(
                "/path-and-status",
                "{statusCode: 301, path: {type: ReplacePrefixMatch, "
                "replacePrefixMatch: /replacement-prefix}}",
            ),
            redirect_rule(
                "/full-path-and-host",
                "{hostname: example.org, path: {type: ReplaceFullPath,"
                " replaceFullPath: /replacement-full}}",
            ),
            redirect_rule(
                "/full-path-and-status",
                "{statusCode: 301, path: {type: ReplaceFullPath, "
                "replaceFullPath: /replacement-full}}",
            ),
        ]
    )
    + "]",
    parent=parent("same-namespace"),
)


@pytest.mark.parametrize(
    ("path", "status", "where"),
    [
        ("/original-prefix/lemon", 302, "http://example.com/replacement-prefix/lemon"),
        ("/full/path/original", 302, "http://example.com/full-path-replacement"),
        ("/path-and-host", 302, "http://example.org/replacement-prefix"),
        ("/path-and-status", 301, "http://example.com/replacement-prefix"),
        ("/full-path-and-host", 302, "http://example.org/replacement-full"),
        ("/full-path-and-status", 301, "http://example.com/replacement-full"),
    ],
)
def test_httproute_redirect_path(path: str, status: int, where: str) -> None:
    got = ask(world(REDIRECT_PATH), path)
    assert got.kind == "redirect" and (got.status, got.location) == (status, where)


PORTS_AND_SCHEMES = f"""
kind: Gateway
metadata: {{name: on-8080, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners: [{{name: http, port: 8080, protocol: HTTP}}]
---
kind: Gateway
metadata: {{name: on-https, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls: {{certificateRefs: [{{kind: Secret, group: "", name: tls-validity-checks-certificate}}]}}
---
""" + "---\n".join(
    route(
        f"redirect-{gw}",
        "["
        + ", ".join(
            redirect_rule(f"/r{i}", "{hostname: example.org" + extra + "}")
            for i, extra in enumerate(
                [
                    "",
                    ", port: 80",
                    ", port: 8080",
                    ", scheme: https",
                    ", scheme: https, port: 443",
                    ", scheme: https, port: 8443",
                    ", scheme: http",
                    ", port: 443",
                    ", port: 8443",
                    ", scheme: http, port: 8080",
                ]
            )
        )
        + "]",
        parent=parent(gw),
    )
    for gw in ("same-namespace", "on-8080", "on-https")
)


@pytest.mark.parametrize(
    ("gateway", "port", "rule", "where"),
    [
        ("same-namespace", 80, 0, "http://example.org/r0"),
        ("same-namespace", 80, 1, "http://example.org/r1"),
        ("same-namespace", 80, 2, "http://example.org:8080/r2"),
        ("same-namespace", 80, 3, "https://example.org/r3"),
        ("same-namespace", 80, 4, "https://example.org/r4"),
        ("same-namespace", 80, 5, "https://example.org:8443/r5"),
        ("on-8080", 8080, 0, "http://example.org:8080/r0"),
        ("on-8080", 8080, 1, "http://example.org/r1"),
        ("on-8080", 8080, 3, "https://example.org/r3"),
        ("on-https", 443, 0, "https://example.org/r0"),
        ("on-https", 443, 7, "https://example.org/r7"),
        ("on-https", 443, 8, "https://example.org:8443/r8"),
        ("on-https", 443, 6, "http://example.org/r6"),
        ("on-https", 443, 1, "https://example.org:80/r1"),
        ("on-https", 443, 9, "http://example.org:8080/r9"),
    ],
)
def test_httproute_redirect_port_and_scheme(gateway: str, port: int, rule: int, where: str) -> None:
    protocol = "https" if port == 443 else "http"
    got = ask(world(PORTS_AND_SCHEMES), f"/r{rule}", gateway=gateway, port=port, protocol=protocol)
    assert got.kind == "redirect" and got.status == 302 and got.location == where


def rewrite_rule(prefix: str, rewrite: str, n: int = 1) -> str:
    return (
        f"{{matches: [{{path: {pp(prefix)}}}], filters: [{{type: URLRewrite, "
        f"urlRewrite: {rewrite}}}], backendRefs: {to(n)}}}"
    )


REWRITE_PATH = route(
    "rewrite-path",
    "["
    + ", ".join(
        [
            rewrite_rule(
                "/prefix/one", "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}"
            ),
            rewrite_rule(
                "/strip-prefix", "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}"
            ),
            rewrite_rule("/full/one", "{path: {type: ReplaceFullPath, replaceFullPath: /one}}"),
            rewrite_rule(
                "/full/rewrite-path-and-modify-headers",
                "{path: {type: ReplaceFullPath, replaceFullPath: /test}}",
            ),
            rewrite_rule(
                "/prefix/rewrite-path-and-modify-headers",
                "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /prefix}}",
            ),
        ]
    )
    + "]",
    parent=parent("same-namespace"),
)


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("/prefix/one/two", "/one/two"),
        ("/strip-prefix/three", "/three"),
        ("/strip-prefix", "/"),
        ("/full/one/two", "/one"),
        ("/full/rewrite-path-and-modify-headers/test", "/test"),
        ("/prefix/rewrite-path-and-modify-headers/one", "/prefix/one"),
    ],
)
def test_httproute_rewrite_path(path: str, want: str) -> None:
    got = ask(world(REWRITE_PATH), path)
    assert got.kind == "forward" and got.path == want and got.host == "example.com"


REWRITE_HOST = route(
    "rewrite-host",
    "["
    + ", ".join(
        [
            rewrite_rule("/one", "{hostname: one.example.org}", 1),
            rewrite_rule("/", "{hostname: example.org}", 2),
        ]
    )
    + "]",
    parent=parent("same-namespace"),
    extra="hostnames: [rewrite.example],",
)


@pytest.mark.parametrize(
    ("path", "host", "backend"), [("/one", "one.example.org", 1), ("/two", "example.org", 2)]
)
def test_httproute_rewrite_host(path: str, host: str, backend: int) -> None:
    got = ask(world(REWRITE_HOST), path, host="rewrite.example")
    assert got.kind == "forward" and (got.host, got.path) == (host, path)
    assert answer(got) == V[backend]


WEIGHTS = route(
    "weighted-backends",
    """[{backendRefs: [
  {name: infra-backend-v1, port: 8080, weight: 70},
  {name: infra-backend-v2, port: 8080, weight: 30},
  {name: infra-backend-v3, port: 8080, weight: 0}]}]""",
    parent=parent("same-namespace"),
)


def test_httproute_weight_leaves_the_draw_to_the_data_plane() -> None:
    got = ask(world(WEIGHTS))
    assert got.kind == "forward"
    assert [(b.name, b.weight) for b in got.backends] == [
        ("infra-backend-v1", 70),
        ("infra-backend-v2", 30),
        ("infra-backend-v3", 0),
    ]
    draws = [got.pick(i / 1000).name for i in range(1000)]
    assert draws.count("infra-backend-v1") == 700 and draws.count("infra-backend-v2") == 300
    assert got.backends[0].targets == (("10.1.0.1", 3000),)


OMITTED = route(
    "omitted-backendrefs",
    f"""[
  {{matches: [{{path: {{type: Exact, value: /forward}}}}], backendRefs: {to(1)}}},
  {{matches: [{{path: {{type: Exact, value: /omitted-no-forward}}}}]}},
  {{matches: [{{path: {{type: Exact, value: /empty-no-forward}}}}], backendRefs: []}}]""",
    parent=parent("same-namespace"),
)


@pytest.mark.parametrize(
    ("path", "want"), [("/forward", V[1]), ("/omitted-no-forward", 500), ("/empty-no-forward", 500)]
)
def test_httproute_omitted_backendrefs(path: str, want: str | int) -> None:
    assert answer(ask(world(OMITTED), path)) == want


def one_backend(name: str, ref: str, path: str = "/") -> str:
    return route(
        name,
        f"[{{matches: [{{path: {pp(path)}}}], backendRefs: [{ref}]}}]",
        parent=parent("same-namespace"),
    )


@pytest.mark.parametrize(
    ("ref", "grant", "want"),
    [
        # httproute-reference-grant / -invalid-cross-namespace-backend-ref
        (
            "{name: web-backend, namespace: gateway-conformance-web-backend, port: 8080}",
            True,
            "web-backend",
        ),
        ("{name: web-backend, namespace: gateway-conformance-web-backend, port: 8080}", False, 500),
        # httproute-invalid-nonexistent-backendref / -unknown-kind
        ("{name: nonexistent, port: 8080}", False, 500),
        ("{group: unknownkind.example.com, kind: NonExistent, name: x, port: 8080}", False, 500),
    ],
)
def test_invalid_backend_refs_answer_500(ref: str, grant: bool, want: str | int) -> None:
    grants = """kind: ReferenceGrant
metadata: {name: reference-grant, namespace: gateway-conformance-web-backend}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: gateway-conformance-infra}]
  to: [{group: "", kind: Service, name: web-backend}]
"""
    state = world(one_backend("r", ref), *([grants] if grant else []))
    assert answer(ask(state)) == want


def test_partly_invalid_backends_keep_their_share_as_500s() -> None:
    state = world(
        route(
            "r",
            """[{backendRefs: [{name: infra-backend-v1, port: 8080, weight: 1},
      {name: web-backend, namespace: gateway-conformance-web-backend, port: 8080, weight: 1}]}]""",
            parent=parent("same-namespace"),
        )
    )
    got = ask(state)
    assert got.kind == "forward"
    assert [b.problem for b in got.backends] == ["", "RefNotPermitted"]
    assert got.pick(0.75).problem == "RefNotPermitted"


def test_a_backend_without_ready_endpoints_is_forwarded_with_no_targets() -> None:
    """503 is the data plane's answer: only it knows which backend the draw picked."""
    got = ask(world(one_backend("r", "{name: idle-backend, port: 8080}")))
    assert got.kind == "forward" and got.backends[0].targets == ()


def test_a_port_no_listener_takes_is_refused() -> None:
    assert ask(world(MATCHING), port=8081).kind == "refuse"


ISOLATION_LISTENERS = [
    ("empty-hostname", None),
    ("wildcard-example-com", "*.example.com"),
    ("wildcard-foo-example-com", "*.foo.example.com"),
    ("abc-foo-example-com", "abc.foo.example.com"),
]
ISOLATION = (
    f"""kind: Gateway
metadata: {{name: http-listener-isolation, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners:
"""
    + "".join(
        f"  - {{name: {n}, port: 80, protocol: HTTP"
        f"{f', hostname: {chr(34)}{h}{chr(34)}' if h else ''},"
        " allowedRoutes: {namespaces: {from: All}}}\n"
        for n, h in ISOLATION_LISTENERS
    )
    + "".join(
        "---\n"
        + route(
            f"attaches-to-{n}",
            f"[{{matches: [{{path: {pp('/' + n)}}}], backendRefs: {to(1)}}}]",
            parent=f"{{name: http-listener-isolation, namespace: {INFRA}, sectionName: {n}}}",
        )
        for n, _ in ISOLATION_LISTENERS
    )
)


@pytest.mark.parametrize(
    "host", ["bar.com", "bar.example.com", "bar.foo.example.com", "abc.foo.example.com"]
)
@pytest.mark.parametrize("listener", [n for n, _ in ISOLATION_LISTENERS])
def test_gateway_http_listener_isolation(host: str, listener: str) -> None:
    """A request reaches only the routes of the most specific listener its host matches."""
    owner = {
        "bar.com": "empty-hostname",
        "bar.example.com": "wildcard-example-com",
        "bar.foo.example.com": "wildcard-foo-example-com",
        "abc.foo.example.com": "abc-foo-example-com",
    }[host]
    got = ask(world(ISOLATION), f"/{listener}", gateway="http-listener-isolation", host=host)
    assert answer(got) == (V[1] if listener == owner else 404)


PORTS = f"""kind: Gateway
metadata: {{name: httproute-listener-port-matching, namespace: {INFRA}}}
spec:
  gatewayClassName: lab
  listeners:
  - {{name: listener-1, port: 80, protocol: HTTP, hostname: foo.com}}
  - {{name: listener-2, port: 8080, protocol: HTTP, hostname: foo.com}}
  - {{name: listener-3, port: 8080, protocol: HTTP, hostname: bar.com}}
  - {{name: listener-4, port: 8090, protocol: HTTP, hostname: foo.com}}
  - {{name: listener-5, port: 8090, protocol: HTTP, hostname: bar.com}}
""" + "".join(
    "---\n"
    + route(
        f"backend-v{n}",
        f"[{{backendRefs: {to(n)}}}]",
        parent=f"{{name: httproute-listener-port-matching, namespace: {INFRA}, {ref}}}",
    )
    for n, ref in ((1, "port: 80"), (2, "port: 8080"), (3, "port: 8090, sectionName: listener-4"))
)


@pytest.mark.parametrize(
    ("host", "port", "want"),
    [
        ("foo.com", 80, 1),
        ("foo.com:8080", 8080, 2),
        ("bar.com:8080", 8080, 2),
        ("foo.com:8090", 8090, 3),
        ("bar.com:8090", 8090, 404),
    ],
)
def test_httproute_listener_port_matching(host: str, port: int, want: int) -> None:
    got = ask(world(PORTS), gateway="httproute-listener-port-matching", host=host, port=port)
    assert answer(got) == V.get(want, want)


def test_httproute_partially_invalid_via_invalid_reference_grant() -> None:
    app = "gateway-conformance-app-backend"
    grant = f"""kind: ReferenceGrant
metadata: {{name: invalid-reference-grant, namespace: {app}}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: {INFRA}}}]
  to: [{{group: "", kind: Service, name: app-backend-v1}}]
"""
    r = route(
        "invalid-reference-grant",
        f"""[
  {{matches: [{{path: {pp("/v2")}}}], backendRefs: [{{name: app-backend-v2, namespace: {app},
   port: 8080}}]}},
  {{backendRefs: [{{name: app-backend-v1, namespace: {app}, port: 8080}}]}}]""",
        parent=parent("same-namespace"),
    )
    state = world(grant, r)
    assert answer(ask(state, "/v2")) == 500
    assert answer(ask(state, "/")) == "app-backend-v1"
    (p,) = state.status("HTTPRoute", INFRA, "invalid-reference-grant")["parents"]
    assert [(c["type"], c["reason"]) for c in p["conditions"]] == [
        ("Accepted", "Accepted"),
        ("ResolvedRefs", "RefNotPermitted"),
    ]
