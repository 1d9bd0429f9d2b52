"""The gateway proxies' pure parts: request heads, the ClientHello's SNI, weighted picks."""

from __future__ import annotations

import contextlib
import ssl
from collections import Counter

from kpath.lab.gateway.proxy import (
    WeightedPicker,
    client_hello_size,
    client_hello_sni,
    parse_head,
    rewritten_head,
)


def client_hello(server_name: str | None) -> bytes:
    """The first flight a real TLS client (Python's ssl) sends."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    with contextlib.suppress(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def test_sni_from_a_real_client_hello() -> None:
    hello = client_hello("Foo.Example.com")
    size = client_hello_size(hello[:5])
    assert size is not None and size <= len(hello)
    assert client_hello_sni(hello[:size]) == "foo.example.com"


def test_no_sni_and_not_tls() -> None:
    assert client_hello_sni(client_hello(None)) is None
    assert client_hello_size(b"GET / HTTP/1.1\r\n") is None
    assert client_hello_sni(b"\x16\x03\x01\x00") is None  # truncated: no crash


def test_parse_head_and_host_without_port() -> None:
    head = parse_head(
        b"GET /api/cart?x=1&y=2 HTTP/1.1\r\nHost: Shop.Example.com:8080\r\nX-Env: canary\r\n\r\n"
    )
    assert head is not None
    assert (head.method, head.path, head.query, head.host) == (
        "GET",
        "/api/cart",
        "x=1&y=2",
        "shop.example.com",
    )
    assert head.header("x-env") == "canary"
    assert parse_head(b"nonsense\r\n\r\n") is None


def test_rewritten_head_replaces_host_and_path_and_closes() -> None:
    head = parse_head(
        b"GET /old/x?q=1 HTTP/1.1\r\nHost: a.example\r\nConnection: keep-alive"
        b"\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n"
    )
    assert head is not None
    out = rewritten_head(
        head, host="b.example", target="/new/x?q=1", client="127.1.0.1", proto="http"
    ).decode()
    lines = out.split("\r\n")
    assert lines[0] == "GET /new/x?q=1 HTTP/1.1"
    assert "Host: b.example" in lines
    assert "X-Forwarded-For: 10.0.0.9, 127.1.0.1" in lines
    assert "Connection: close" in lines and "Connection: keep-alive" not in lines
    assert out.endswith("\r\n\r\n")


def test_weighted_picker_splits_exactly_by_weight() -> None:
    picker = WeightedPicker()
    picks = Counter(picker.pick("k", [80, 20, 0]) for _ in range(100))
    assert picks == {0: 80, 1: 20}
    assert picker.pick("z", [0, 0]) is None


def test_weighted_picker_interleaves_smoothly() -> None:
    picker = WeightedPicker()
    seq = [picker.pick("k", [2, 1]) for _ in range(6)]
    assert seq == [0, 1, 0, 0, 1, 0]
