"""RequestRedirect and URLRewrite, as the httproute-redirect-* and httproute-rewrite-*
conformance tests state them."""

from __future__ import annotations

import pytest

from kpath.cluster.gatewayapi import PathModifier
from kpath.routing.gateway.filters import modified_path
from kpath.routing.gateway.resolve import gateway_answers
from kpath.routing.requests import Outcome
from tests.routing.gateway.builders import (
    backend,
    gateway,
    listener,
    match,
    redirect,
    request,
    rewrite,
    route,
    rule,
    snapshot,
)

V1 = "infra-backend-v1"


@pytest.mark.parametrize(
    ("path_", "prefix", "replace", "want"),
    [
        ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
        ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
        ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"),
        ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
        ("/foo", "/foo", "/xyz", "/xyz"),
        ("/foo/", "/foo", "/xyz", "/xyz/"),
        ("/foo/bar", "/foo", "", "/bar"),
        ("/foo/", "/foo", "", "/"),
        ("/foo", "/foo", "", "/"),
        ("/foo/", "/foo", "/", "/"),
        ("/foo", "/foo", "/", "/"),
    ],
)
def test_replace_prefix_match_table(path_: str, prefix: str, replace: str, want: str) -> None:
    # HTTPPathModifier's table in apis/v1/httproute_types.go
    assert modified_path(PathModifier("ReplacePrefixMatch", replace), path_, prefix) == want


def _one(snap, req):  # type: ignore[no-untyped-def]
    (a,) = gateway_answers(snap, req)
    return a


REWRITE = snapshot(
    [gateway("same-namespace")],
    [
        route(
            "rewrite-path",
            rule(backend(V1), matches=[match("/prefix/one")], filters=[rewrite(prefix="/one")]),
            rule(backend(V1), matches=[match("/strip-prefix")], filters=[rewrite(prefix="/")]),
            rule(backend(V1), matches=[match("/full/one")], filters=[rewrite(full="/one")]),
            rule(
                backend(V1),
                matches=[match("/full/rewrite-path-and-modify-headers")],
                filters=[rewrite(full="/test")],
            ),
            rule(
                backend(V1),
                matches=[match("/prefix/rewrite-path-and-modify-headers")],
                filters=[rewrite(prefix="/prefix")],
            ),
        )
    ],
)


@pytest.mark.parametrize(
    ("path_", "want"),
    [
        ("/prefix/one/two", "/one/two"),
        ("/strip-prefix/three", "/three"),
        ("/strip-prefix", "/"),
        ("/full/one/two", "/one"),
        ("/full/rewrite-path-and-modify-headers/test", "/test"),
        ("/prefix/rewrite-path-and-modify-headers/one", "/prefix/one"),
    ],
)
def test_rewrite_path(path_: str, want: str) -> None:
    # HTTPRouteRewritePath
    a = _one(REWRITE, request("x", path_))
    assert a.outcome == Outcome.FORWARD and a.rewrite is not None
    assert (a.rewrite.path, a.rewrite.host) == (want, "x")


def test_rewrite_host() -> None:
    # HTTPRouteRewriteHost: /one -> one.example.org, /rewrite-host-and-modify-headers ->
    # rewrite.example.org; the path stays
    snap = snapshot(
        [gateway("same-namespace")],
        [
            route(
                "rewrite-host",
                rule(backend(V1), matches=[match("/one")], filters=[rewrite("one.example.org")]),
                rule(
                    backend(V1),
                    matches=[match("/rewrite-host-and-modify-headers")],
                    filters=[rewrite("rewrite.example.org")],
                ),
                hostnames=["rewrite.example"],
            )
        ],
    )
    a = _one(snap, request("rewrite.example", "/one"))
    assert a.rewrite is not None and (a.rewrite.host, a.rewrite.path) == ("one.example.org", "/one")
    a = _one(snap, request("rewrite.example", "/rewrite-host-and-modify-headers"))
    assert a.rewrite is not None and a.rewrite.host == "rewrite.example.org"


def test_rewrite_keeps_the_query() -> None:
    a = _one(REWRITE, request("x", "/full/one", query=(("a", "1"),)))
    assert a.rewrite is not None and a.rewrite.path == "/one?a=1"


def _redirects(*rules_):  # type: ignore[no-untyped-def]
    return snapshot([gateway("same-namespace")], [route("redirect", *rules_)])


REDIRECT_PATH = _redirects(
    rule(matches=[match("/original-prefix")], filters=[redirect(prefix="/replacement-prefix")]),
    rule(matches=[match("/full")], filters=[redirect(full="/full-path-replacement")]),
    rule(
        matches=[match("/path-and-host")],
        filters=[redirect(hostname="example.org", prefix="/replacement-prefix")],
    ),
    rule(
        matches=[match("/path-and-status")],
        filters=[redirect(prefix="/replacement-prefix", status=301)],
    ),
    rule(
        matches=[match("/full-path-and-host")],
        filters=[redirect(hostname="example.org", full="/replacement-full")],
    ),
    rule(
        matches=[match("/full-path-and-status")],
        filters=[redirect(full="/replacement-full", status=301)],
    ),
)


@pytest.mark.parametrize(
    ("path_", "status", "location"),
    [
        ("/original-prefix/lemon", 302, "http://x/replacement-prefix/lemon"),
        ("/full/path/original", 302, "http://x/full-path-replacement"),
        ("/path-and-host", 302, "http://example.org/replacement-prefix"),
        ("/path-and-status", 301, "http://x/replacement-prefix"),
        ("/full-path-and-host", 302, "http://example.org/replacement-full"),
        ("/full-path-and-status", 301, "http://x/replacement-full"),
    ],
)
def test_redirect_path(path_: str, status: int, location: str) -> None:
    # HTTPRouteRedirectPath
    a = _one(REDIRECT_PATH, request("x", path_))
    assert (a.outcome, a.http_status, a.redirect, a.backends) == (
        Outcome.REDIRECT,
        status,
        location,
        (),
    )


def test_redirect_host_status_port_scheme() -> None:
    # HTTPRouteRedirectHostAndStatus, HTTPRouteRedirectPort, HTTPRouteRedirectScheme
    snap = _redirects(
        rule(matches=[match("/hostname-redirect")], filters=[redirect(hostname="example.org")]),
        rule(
            matches=[match("/host-and-status")],
            filters=[redirect(hostname="example.org", status=301)],
        ),
        rule(matches=[match("/port")], filters=[redirect(port=8083)]),
        rule(
            matches=[match("/port-and-host")], filters=[redirect(hostname="example.org", port=8083)]
        ),
        rule(matches=[match("/scheme")], filters=[redirect(scheme="https")]),
        rule(
            matches=[match("/scheme-and-host")],
            filters=[redirect(scheme="https", hostname="example.org")],
        ),
    )
    got = {
        p: (a.http_status, a.redirect)
        for p in (
            "/hostname-redirect",
            "/host-and-status",
            "/port",
            "/port-and-host",
            "/scheme",
            "/scheme-and-host",
        )
        for a in [_one(snap, request("x", p))]
    }
    assert got == {
        "/hostname-redirect": (302, "http://example.org/hostname-redirect"),
        "/host-and-status": (301, "http://example.org/host-and-status"),
        "/port": (302, "http://x:8083/port"),
        "/port-and-host": (302, "http://example.org:8083/port-and-host"),
        "/scheme": (302, "https://x/scheme"),
        "/scheme-and-host": (302, "https://example.org/scheme-and-host"),
    }


PORT_SCHEME_RULES = [
    ("/scheme-nil-and-port-nil", None, None),
    ("/scheme-nil-and-port-80", None, 80),
    ("/scheme-nil-and-port-8080", None, 8080),
    ("/scheme-https-and-port-nil", "https", None),
    ("/scheme-https-and-port-443", "https", 443),
    ("/scheme-https-and-port-8443", "https", 8443),
    ("/scheme-nil-and-port-443", None, 443),
    ("/scheme-nil-and-port-8443", None, 8443),
    ("/scheme-http-and-port-nil", "http", None),
    ("/scheme-http-and-port-80", "http", 80),
    ("/scheme-http-and-port-8080", "http", 8080),
]


def _port_scheme(port: int, protocol: str):  # type: ignore[no-untyped-def]
    return snapshot(
        [gateway("gw", listener("l", port, protocol))],
        [
            route(
                "r",
                *[
                    rule(matches=[match(p)], filters=[redirect(s, "example.org", n)])
                    for p, s, n in PORT_SCHEME_RULES
                ],
                gw="gw",
            )
        ],
    )


@pytest.mark.parametrize(
    ("listener_port", "protocol", "path_", "location"),
    [
        (80, "HTTP", "/scheme-nil-and-port-nil", "http://example.org/scheme-nil-and-port-nil"),
        (80, "HTTP", "/scheme-nil-and-port-80", "http://example.org/scheme-nil-and-port-80"),
        (
            80,
            "HTTP",
            "/scheme-nil-and-port-8080",
            "http://example.org:8080/scheme-nil-and-port-8080",
        ),
        (80, "HTTP", "/scheme-https-and-port-nil", "https://example.org/scheme-https-and-port-nil"),
        (80, "HTTP", "/scheme-https-and-port-443", "https://example.org/scheme-https-and-port-443"),
        (
            80,
            "HTTP",
            "/scheme-https-and-port-8443",
            "https://example.org:8443/scheme-https-and-port-8443",
        ),
        (
            8080,
            "HTTP",
            "/scheme-nil-and-port-nil",
            "http://example.org:8080/scheme-nil-and-port-nil",
        ),
        (8080, "HTTP", "/scheme-nil-and-port-80", "http://example.org/scheme-nil-and-port-80"),
        (
            8080,
            "HTTP",
            "/scheme-https-and-port-nil",
            "https://example.org/scheme-https-and-port-nil",
        ),
        (443, "HTTPS", "/scheme-nil-and-port-nil", "https://example.org/scheme-nil-and-port-nil"),
        (443, "HTTPS", "/scheme-nil-and-port-443", "https://example.org/scheme-nil-and-port-443"),
        (
            443,
            "HTTPS",
            "/scheme-nil-and-port-8443",
            "https://example.org:8443/scheme-nil-and-port-8443",
        ),
        (443, "HTTPS", "/scheme-http-and-port-nil", "http://example.org/scheme-http-and-port-nil"),
        (443, "HTTPS", "/scheme-http-and-port-80", "http://example.org/scheme-http-and-port-80"),
        (
            443,
            "HTTPS",
            "/scheme-http-and-port-8080",
            "http://example.org:8080/scheme-http-and-port-8080",
        ),
    ],
)
def test_redirect_port_and_scheme(
    listener_port: int, protocol: str, path_: str, location: str
) -> None:
    # HTTPRouteRedirectPortAndScheme: the port defaults from the scheme, else the
    # listener's; the scheme's own port is left out of the Location
    scheme = "https" if protocol == "HTTPS" else "http"
    req = request("example.org", path_, scheme=scheme, port=listener_port)
    a = _one(_port_scheme(listener_port, protocol), req)
    assert (a.outcome, a.redirect) == (Outcome.REDIRECT, location)


@pytest.mark.parametrize(
    ("status", "path_"), [(303, "/see-other"), (307, "/temporary"), (308, "/permanent")]
)
def test_redirect_status_codes(status: int, path_: str) -> None:
    # HTTPRoute303Redirect, HTTPRoute307Redirect, HTTPRoute308Redirect: the Location keeps
    # the request's own scheme, host and path
    snap = _redirects(rule(matches=[match(path_)], filters=[redirect(status=status)]))
    a = _one(snap, request("x", path_))
    assert (a.outcome, a.http_status, a.redirect) == (Outcome.REDIRECT, status, f"http://x{path_}")


def test_redirect_keeps_the_query() -> None:
    a = _one(REDIRECT_PATH, request("x", "/full/y", query=(("a", "1"), ("b", "2"))))
    assert a.redirect == "http://x/full-path-replacement?a=1&b=2"
