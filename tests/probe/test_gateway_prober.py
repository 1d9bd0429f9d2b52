"""The prober's Gateway probes against real sockets on 127.0.0.1: a rule's method, headers
and query are sent, a redirect's Location is kept, and a TLS passthrough probe sends the
SNI in its ClientHello and reads who answered inside."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import pytest

from kpath.probe.expect import Expect
from kpath.probe.plan import HopKind, ProbeTarget
from kpath.probe.prober import Outcome, ProbeOptions, ProbeResult, parse_http_answer, run_probes
from tests.probe.servers import Server, echo, hang, header, redirect, self_signed

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def target(
    port: int,
    *,
    scheme: str = "http",
    path: str = "/",
    method: str = "GET",
    headers: tuple[tuple[str, str], ...] = (),
    host_header: str | None = None,
    sni: str | None = None,
) -> ProbeTarget:
    return ProbeTarget(
        HopKind.ENTRY,
        scheme,
        "127.0.0.1",
        port,
        path,
        host_header,
        sni,
        None,
        None,
        frozenset({Expect.ANSWER}),
        frozenset(),
        False,
        True,
        1,
        (),
        frozenset(),
        method,
        headers,
        frozenset(),
        None,
        True,
    )


def test_a_rule_s_method_headers_and_query_are_sent() -> None:
    async def go() -> tuple[ProbeResult, Server]:
        async with Server(echo("cart-0")) as s:
            t = target(
                s.port,
                path="/cart?v=2",
                method="POST",
                headers=(("x-env", "canary"),),
                host_header="shop.example",
            )
            (r,) = await run_probes([t], ProbeOptions(timeout=2))
            return r, s

    r, s = run(go())
    assert s.heads[0].startswith("POST /cart?v=2 HTTP/1.1")
    assert header(s.heads[0], "x-env") == "canary"
    assert header(s.heads[0], "Host") == "shop.example"
    assert r.pod == "shop/cart-0"


def test_a_redirect_keeps_its_location() -> None:
    async def go() -> tuple[ProbeResult, int]:
        async with Server(redirect) as s:
            (r,) = await run_probes([target(s.port)], ProbeOptions(timeout=2))
            return r, s.port

    r, port = run(go())
    assert r.status == 302
    assert r.location == f"http://127.0.0.1:{port}/elsewhere"


needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command makes the test certificate"
)


@needs_openssl
def test_tls_passthrough_sends_the_sni_and_reads_the_backend_inside(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, "db.example")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    names: list[str | None] = []
    ctx.sni_callback = lambda sock, name, c: names.append(name)  # type: ignore[assignment,misc]

    async def go() -> list[ProbeResult]:
        async with Server(echo("db-0", "data"), ssl_ctx=ctx) as s:
            return list(
                await run_probes(
                    [target(s.port, scheme="tls", sni="db.example")], ProbeOptions(timeout=3)
                )
            )

    (r,) = run(go())
    assert names == ["db.example"]
    assert (r.outcome, r.pod) == (Outcome.OK, "data/db-0")


@needs_openssl
def test_tls_passthrough_to_a_silent_backend_is_a_handshake_without_a_name(
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path, "db.example")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    async def go() -> list[ProbeResult]:
        async with Server(hang, ssl_ctx=ctx) as s:
            return list(
                await run_probes(
                    [target(s.port, scheme="tls", sni="db.example")], ProbeOptions(timeout=3)
                )
            )

    (r,) = run(go())
    assert r.outcome == Outcome.OK and r.pod is None
    assert "TLS handshake done" in r.detail


def test_a_tls_probe_at_a_closed_port_is_refused() -> None:
    async def go() -> list[ProbeResult]:
        async with Server(hang) as s:
            port = s.port
        return list(
            await run_probes(
                [target(port, scheme="tls", sni="db.example")], ProbeOptions(timeout=2)
            )
        )

    (r,) = run(go())
    assert r.outcome == Outcome.REFUSED


def test_raw_http_answers_are_read() -> None:
    status, headers, body = parse_http_answer(
        b"HTTP/1.1 404 Not Found\r\nX-Pod-Name: p\r\n\r\n{}"
    ) or (0, {}, b"")
    assert (status, headers, body) == (404, {"x-pod-name": "p"}, b"{}")
    assert parse_http_answer(b"\x16\x03\x01garbage") is None


@needs_openssl
def test_an_insecure_retry_that_fails_is_reported_not_raised(tmp_path: Path) -> None:
    from tests.probe.servers import close_after_read

    cert, key = self_signed(tmp_path, "shop.example")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    async def go() -> list[ProbeResult]:
        async with Server(close_after_read, ssl_ctx=ctx) as s:
            return list(
                await run_probes(
                    [
                        target(
                            s.port, scheme="https", sni="shop.example", host_header="shop.example"
                        )
                    ],
                    ProbeOptions(timeout=3, insecure=True),
                )
            )

    (r,) = run(go())
    assert r.outcome == Outcome.CLOSED, r.detail
    assert r.tls_problem and "certificate" in r.tls_problem.lower()
