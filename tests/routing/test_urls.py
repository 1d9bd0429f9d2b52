"""`kpath request`'s URL, -X and -H: what the client sends, or one line saying what is wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpath.errors import InputError
from kpath.routing.requests import Request
from kpath.routing.urls import host_header, parse_url, request_url
from kpath.safetext import is_clean


def test_http_defaults():
    r = parse_url("http://Shop.Example.COM/api/cart?b=2&a=1&flag")
    assert r == Request(
        "http",
        "shop.example.com",
        80,
        "/api/cart",
        (("b", "2"), ("a", "1"), ("flag", "")),
        "GET",
        (),
    )
    assert not r.tls


def test_https_port_method_headers():
    r = parse_url("HTTPS://shop.example.com:8443", "PUT", ["X-Env: canary ", "accept:*/*"])
    assert (r.scheme, r.port, r.path, r.method, r.tls) == ("https", 8443, "/", "PUT", True)
    assert r.headers == (("X-Env", "canary"), ("accept", "*/*"))
    assert host_header(r) == "shop.example.com:8443"


def test_percent_encoding_kept_as_sent_and_fragment_dropped():
    r = parse_url("http://h/a%2Fb/%7Euser?q=a%20b#frag")
    assert r.path == "/a%2Fb/%7Euser"
    assert r.query == (("q", "a%20b"),)


def test_grpc_is_a_post_to_service_and_method():
    r = parse_url("grpc://grpc.example.com/helloworld.Greeter/SayHello")
    assert (r.scheme, r.port, r.method, r.path) == (
        "grpc",
        80,
        "POST",
        "/helloworld.Greeter/SayHello",
    )
    assert parse_url("grpc://g:9000/a.B/C", "POST").port == 9000


def test_tls_is_sni_only_with_a_port():
    r = parse_url("tls://db.example.com:5432")
    assert (r.scheme, r.host, r.port, r.method, r.tls) == ("tls", "db.example.com", 5432, "", True)
    assert request_url(r) == "tls://db.example.com:5432"


def test_tcp_and_udp_are_bare_connections_with_a_port():
    for scheme in ("tcp", "udp"):
        r = parse_url(f"{scheme}://10.0.0.1:5353")
        assert (r.scheme, r.host, r.port, r.method, r.tls) == (scheme, "10.0.0.1", 5353, "", False)
        assert request_url(r) == f"{scheme}://10.0.0.1:5353"
        with pytest.raises(InputError, match="needs its port"):
            parse_url(f"{scheme}://10.0.0.1")
        with pytest.raises(InputError, match="carries no HTTP"):
            parse_url(f"{scheme}://10.0.0.1:53/x")


def test_ipv6_literal_in_brackets_compressed():
    r = parse_url("http://[2001:DB8:0:0::1]:8080/x")
    assert (r.host, r.port) == ("[2001:db8::1]", 8080)
    assert parse_url("http://[::1]/").port == 80


def test_idna_host_as_clients_send_it():
    assert parse_url("http://bücher.example/").host == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("url", "method", "headers", "words"),
    [
        ("shop.example.com/x", None, [], "no scheme"),
        ("ftp://shop.example.com/", None, [], "scheme 'ftp'"),
        ("http:///path", None, [], "no host"),
        ("http://user:pw@shop/", None, [], "credentials"),
        ("http://*.example.com/", None, [], "wildcard"),
        ("http://shop.example.com:0/", None, [], "port '0'"),
        ("http://shop.example.com:99999/", None, [], "1 to 65535"),
        ("http://shop.example.com:/", None, [], "empty port"),
        ("http://shop.example.com:8o/", None, [], "port '8o'"),
        ("http://[::1/", None, [], "closing ]"),
        ("http://[nope]/", None, [], "not an IPv6"),
        ("http://sh op/", None, [], "not a DNS name"),
        ("http://a..b/", None, [], "not a DNS name"),
        ("http://-a.example/", None, [], "not a DNS name"),
        ("http://%73hop/", None, [], "not a DNS name"),
        ("http://shop/a b", None, [], "percent-encode"),
        ("http://shop/\x1b[31m", None, [], "percent-encode"),
        ("http://shop/caf\u00e9", None, [], "percent-encode"),
        ("tls://db.example.com", None, [], "needs its port"),
        ("tls://db.example.com:5432/x", None, [], "carries no HTTP"),
        ("tls://db:1", "GET", [], "no HTTP method"),
        ("tls://db:1", None, ["X: y"], "no HTTP headers"),
        ("grpc://g/OnlyOne", None, [], "package.Service/Method"),
        ("grpc://g/a.B/C?x=1", None, [], "package.Service/Method"),
        ("grpc://g/a.B/C", "GET", [], "POST"),
        ("http://shop/", "GE T", [], "not an HTTP method"),
        ("http://shop/", None, ["NoColon"], "'Name: value'"),
        ("http://shop/", None, [": v"], "'Name: value'"),
        ("http://shop/", None, ["Bad Name: v"], "'Name: value'"),
        ("http://shop/", None, ["X: a\r\nInjected: 1"], "line breaks"),
        ("http://shop/", None, ["Host: other.example"], "--via"),
    ],
)
def test_bad_input_is_one_clean_line(url, method, headers, words):
    with pytest.raises(InputError) as err:
        parse_url(url, method, headers)
    message = str(err.value)
    assert words in message
    assert "\n" not in message and "\r" not in message and is_clean(message)


def test_hostile_host_is_shown_escaped_in_the_error():
    with pytest.raises(InputError) as err:
        parse_url("http://evil\u202egnp.exe/")
    assert "\\u202e" in str(err.value) and is_clean(str(err.value))


_label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_host = st.lists(_label, min_size=1, max_size=4).map(".".join)
_pchar = st.sampled_from([*"abcXYZ019-._~!$'()*+,;:@%", "%2F", "%20"])
_segment = st.lists(_pchar, max_size=6).map("".join)
_path = st.lists(_segment, max_size=4).map(lambda s: "/" + "/".join(s))
_qword = st.lists(st.sampled_from(list("abc019-._~%")), min_size=1, max_size=5).map("".join)
_query = st.lists(st.tuples(_qword, st.one_of(st.just(""), _qword)), max_size=3).map(tuple)


@given(
    st.sampled_from(["http", "https"]),
    _host,
    st.integers(1, 65535),
    _path,
    _query,
    st.sampled_from(["GET", "POST", "DELETE", "PATCH"]),
)
def test_http_round_trip(scheme, host, port, path, query, method):
    want = Request(scheme, host, port, path, query, method, ())
    assert parse_url(request_url(want), method) == want


@given(st.sampled_from(["tls", "tcp", "udp"]), _host, st.integers(1, 65535))
def test_bare_round_trip(scheme, host, port):
    want = Request(scheme, host, port, "/", (), "", ())
    assert parse_url(request_url(want)) == want


@given(st.text(max_size=40))
def test_any_text_parses_or_is_an_input_error(text):
    for url in (text, f"http://{text}", f"http://h/{text}", f"tls://{text}"):
        try:
            r = parse_url(url)
        except InputError as exc:
            assert "\n" not in str(exc) and is_clean(str(exc))
        else:
            # What parsed is safe to route and to show: hosts and paths hold nothing hidden.
            assert r.host == r.host.lower() and is_clean(r.host) and is_clean(r.path)
            assert r.path.startswith("/")
