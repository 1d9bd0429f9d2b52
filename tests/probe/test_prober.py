"""The prober against real sockets on 127.0.0.1: what it sends, what it reports, its bounds."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from aiohttp import web

from kpath.cluster.records import ObjectKey
from kpath.probe.expect import Expect
from kpath.probe.plan import HopKind, ProbeTarget
from kpath.probe.prober import (
    ApiAccess,
    Outcome,
    ProbeOptions,
    Prober,
    classify,
    identify,
    jobs,
    run_probes,
)
from tests.probe.servers import (
    Server,
    Silent,
    banner,
    close_after_read,
    close_at_once,
    echo,
    endless,
    free_port,
    hang,
    header,
    keep_alive,
    redirect,
    reset,
    respond,
    self_signed,
)

T = TypeVar("T")
TOKEN = "Bearer s3cret-token"


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def target(
    port: int,
    *,
    scheme: str = "http",
    hop: HopKind = HopKind.NODE,
    repeat: int = 1,
    host_header: str | None = None,
    sni: str | None = None,
    pod: ObjectKey | None = None,
    host: str = "127.0.0.1",
) -> ProbeTarget:
    return ProbeTarget(
        hop,
        scheme,
        host,
        port,
        "/",
        host_header,
        sni,
        None,
        pod,
        frozenset({Expect.ANSWER}),
        frozenset(),
        False,
        False,
        repeat,
        (),
    )


DEFAULT = ProbeOptions(timeout=2)


async def probe_one(
    handler: Any, options: ProbeOptions = DEFAULT, **kw: Any
) -> tuple[list[Any], Server]:
    async with Server(handler) as s:
        results = await run_probes([target(s.port, **kw)], options)
    return results, s


# --------------------------------------------------------------------------- outcomes
def test_an_echo_pod_answers_and_names_itself() -> None:
    (r,), s = run(probe_one(echo("web-1", "shop", "n2")))
    assert (r.outcome, r.status, r.pod, r.pod_node, r.via) == (
        Outcome.OK,
        200,
        "shop/web-1",
        "n2",
        "direct",
    )
    assert header(s.heads[0], "Connection") == "close"


def test_identity_from_the_json_body_alone() -> None:
    (r,), _ = run(probe_one(echo("web-2", "shop", "n3", in_headers=False)))
    assert (r.pod, r.pod_node) == ("shop/web-2", "n3")


def test_a_5xx_pod_is_an_http_status() -> None:
    (r,), _ = run(probe_one(echo(status=503)))
    assert (r.outcome, r.status, r.pod) == (Outcome.HTTP_STATUS, 503, "shop/web-1")


def test_a_hanging_pod_times_out_at_the_configured_bound() -> None:
    (r,), _ = run(probe_one(hang, ProbeOptions(timeout=0.3)))
    assert r.outcome == Outcome.TIMEOUT
    assert r.latency_ms is not None and r.latency_ms >= 300
    assert "0.3 s" in r.detail


def test_a_closed_port_is_refused() -> None:
    (r,) = run(run_probes([target(free_port())], ProbeOptions(timeout=2)))
    assert r.outcome == Outcome.REFUSED
    (t,) = run(run_probes([target(free_port(), scheme="tcp")], ProbeOptions(timeout=2)))
    assert t.outcome == Outcome.REFUSED


def test_accepted_then_reset_is_reset() -> None:
    (r,), _ = run(probe_one(reset))
    assert r.outcome == Outcome.RESET


def test_a_silent_address_times_out_without_connecting() -> None:
    silent = Silent()
    try:
        (r,) = run(run_probes([target(silent.port)], ProbeOptions(timeout=0.5)))
        (t,) = run(run_probes([target(silent.port, scheme="tcp")], ProbeOptions(timeout=0.5)))
    finally:
        silent.close()
    assert (r.outcome, r.connected) == (Outcome.TIMEOUT, False)
    assert "no connection within 0.5 s" in r.detail
    assert (t.outcome, t.connected) == (Outcome.TIMEOUT, False)


def test_connected_then_no_answer_says_it_connected() -> None:
    (r,), _ = run(probe_one(hang, ProbeOptions(timeout=0.4)))
    assert (r.outcome, r.connected) == (Outcome.TIMEOUT, True)
    assert r.detail.startswith("connected, then no answer")


def test_refused_is_not_connected_and_reset_after_accept_is() -> None:
    (r,) = run(run_probes([target(free_port())], ProbeOptions(timeout=2)))
    assert (r.outcome, r.connected) == (Outcome.REFUSED, False)
    (x,), _ = run(probe_one(reset))
    assert (x.outcome, x.connected) == (Outcome.RESET, True)
    assert "reset (RST)" in x.detail


def test_accepted_then_closed_without_an_answer_is_closed_not_refused() -> None:
    (r,), s = run(probe_one(close_after_read))
    assert (r.outcome, r.connected, r.status) == (Outcome.CLOSED, True, None)
    assert r.detail == "connected, then closed without an answer"
    assert s.connections == 1


def test_tcp_probe_sees_a_reset_a_close_and_a_banner() -> None:
    (rst,), _ = run(probe_one(reset, scheme="tcp"))
    assert (rst.outcome, rst.connected) == (Outcome.RESET, True)
    (fin,), _ = run(probe_one(close_at_once, scheme="tcp"))
    assert (fin.outcome, fin.connected) == (Outcome.CLOSED, True)
    (talk,), s = run(probe_one(banner, scheme="tcp"))
    assert (talk.outcome, talk.detail) == (Outcome.OK, "connected, and it spoke first")
    assert s.heads == []  # a TCP probe never sends a byte


def test_tcp_probe_connects_only() -> None:
    (r,), s = run(probe_one(hang, scheme="tcp"))
    assert (r.outcome, r.status) == (Outcome.OK, None)
    assert s.connections == 1 and s.heads == []


def test_redirects_are_not_followed() -> None:
    (r,), s = run(probe_one(redirect))
    assert (r.outcome, r.status) == (Outcome.OK, 302)
    assert s.connections == 1


def test_an_endless_body_is_capped_not_waited_for() -> None:
    (r,), _ = run(probe_one(endless, ProbeOptions(timeout=10)))
    assert (r.outcome, r.status) == (Outcome.OK, 200)


# --------------------------------------------------------------------------- connections
def test_every_probe_opens_a_fresh_connection() -> None:
    # The server would gladly reuse a connection; the prober must not.
    (*rs,), s = run(probe_one(keep_alive, ProbeOptions(concurrency=1, timeout=2), repeat=5))
    assert len(rs) == 5 and all(r.outcome == Outcome.OK for r in rs)
    assert s.connections == 5


def test_concurrency_is_bounded() -> None:
    async def scenario() -> tuple[int, int, int]:
        release = asyncio.Event()

        async def held(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await s.read_head(r)
            await release.wait()
            await respond(w, 200, b"{}")

        async with Server(held) as s:
            task = asyncio.create_task(
                run_probes([target(s.port, repeat=10)], ProbeOptions(concurrency=3, timeout=30))
            )
            while s.connections < 3:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # room for a 4th connection, were the bound broken
            at_once = s.connections
            release.set()
            results = await task
            return at_once, s.connections, len(results)

    at_once, total, done = run(scenario())
    assert (at_once, total, done) == (3, 10, 10)


def test_cancelling_a_run_closes_every_connection() -> None:
    async def scenario() -> tuple[bool, int]:
        async with Server(hang) as s:
            task = asyncio.create_task(
                run_probes([target(s.port, repeat=8)], ProbeOptions(concurrency=4, timeout=60))
            )
            await s.first_connection.wait()
            while s.open < 4:
                await asyncio.sleep(0.01)
            task.cancel()
            try:
                await task
                cancelled = False
            except asyncio.CancelledError:
                cancelled = True
            for _ in range(200):  # the server sees the closes on its next reads
                if s.open == 0:
                    break
                await asyncio.sleep(0.01)
            return cancelled, s.open

    assert run(scenario()) == (True, 0)


# --------------------------------------------------------------------------- TLS
needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command makes the test certificate"
)


@needs_openssl
def test_tls_is_verified_sni_and_host_are_sent_and_insecure_reports_the_problem(
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    names: list[str | None] = []
    ctx.sni_callback = lambda sock, name, c: names.append(name)  # type: ignore[assignment,misc]

    async def scenario(insecure: bool) -> tuple[Any, Server]:
        async with Server(echo(), ssl_ctx=ctx) as s:
            t = target(
                s.port, scheme="https", host_header="shop.example.com", sni="shop.example.com"
            )
            (r,) = await run_probes([t], ProbeOptions(timeout=3, insecure=insecure))
            return r, s

    strict, _ = run(scenario(False))
    assert strict.outcome == Outcome.TLS
    assert "certificate" in strict.detail.lower()
    loose, s = run(scenario(True))
    assert (loose.outcome, loose.pod) == (Outcome.OK, "shop/web-1")
    assert loose.tls_problem and "certificate" in loose.tls_problem.lower()
    assert names and set(names) == {"shop.example.com"}
    assert header(s.heads[-1], "Host") == "shop.example.com"


@needs_openssl
def test_a_self_signed_certificate_is_a_tls_failure_that_says_so(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    async def scenario() -> Any:
        async with Server(echo(), ssl_ctx=ctx) as s:
            (r,) = await run_probes([target(s.port, scheme="https")], ProbeOptions(timeout=3))
            return r

    r = run(scenario())
    assert (r.outcome, r.connected, r.status) == (Outcome.TLS, True, None)
    assert "self-signed" in r.detail


def test_a_tls_handshake_that_stalls_after_connect_is_a_tls_timeout() -> None:
    # The server accepts and never speaks: no TLS ServerHello, so no handshake.
    (r,), _ = run(probe_one(hang, ProbeOptions(timeout=0.4), scheme="https"))
    assert (r.outcome, r.connected) == (Outcome.TLS_TIMEOUT, True)
    assert "TLS handshake stalled" in r.detail


# --------------------------------------------------------------------------- the API proxy
class FakeApi:
    """The pods/NAME:PORT/proxy subresource of an API server, answering as the pod would."""

    def __init__(self, echo: bool = False, unreachable: bool = False) -> None:
        self.echo = echo  # name the pod and node after the Authorization header it was sent
        self.unreachable = unreachable  # answer as an API server that cannot reach the pod
        self.requests: list[tuple[str, str | None]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeApi:
        async def proxy(request: web.Request) -> web.Response:
            self.requests.append((request.path, request.headers.get("Authorization")))
            if request.headers.get("Authorization") != TOKEN:
                return web.json_response({"kind": "Status", "code": 401}, status=401)
            name, _, port = request.match_info["name"].rpartition(":")
            if self.unreachable:
                return web.json_response(
                    {
                        "kind": "Status",
                        "status": "Failure",
                        "code": 503,
                        "reason": "ServiceUnavailable",
                        "message": "error trying to reach service: dial tcp "
                        f"10.1.0.1:{port}: connect: connection refused",
                    },
                    status=503,
                )
            if self.echo:
                name = f"{name} {request.headers['Authorization']}"
            return web.json_response(
                {"pod": name, "port": port},
                headers={
                    "X-Pod-Name": name,
                    "X-Pod-Namespace": request.match_info["ns"],
                    "X-Node-Name": "n1",
                },
            )

        app = web.Application()
        app.router.add_get("/api/v1/namespaces/{ns}/pods/{name}/proxy/{tail:.*}", proxy)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


def test_pods_that_do_not_answer_from_here_go_through_the_api_server() -> None:
    silent = Silent()

    async def scenario() -> tuple[Any, Any, FakeApi, Server]:
        async with FakeApi() as api, Server(echo("web-2")) as pod_server:
            access = ApiAccess(api.url, {"Authorization": TOKEN})
            opts = ProbeOptions(timeout=2, api=access)
            unrouted = target(silent.port, hop=HopKind.POD, pod=ObjectKey("shop", "web-1"))
            routed = target(pod_server.port, hop=HopKind.POD, pod=ObjectKey("shop", "web-2"))
            node = target(pod_server.port)
            by_port = {}
            for r in await run_probes([unrouted, routed, node], opts):
                by_port.setdefault(r.target, r)
            return by_port[0], by_port[1], api, pod_server

    try:
        via_api, direct, api, pod_server = run(scenario())
    finally:
        silent.close()
    assert (via_api.via, via_api.outcome, via_api.pod) == ("api-proxy", Outcome.OK, "shop/web-1")
    assert api.requests == [(f"/api/v1/namespaces/shop/pods/web-1:{silent.port}/proxy/", TOKEN)]
    assert (direct.via, direct.pod) == ("direct", "shop/web-2")
    # The API server's credentials never reach anything but the API server.
    assert pod_server.heads and all(header(h, "Authorization") is None for h in pod_server.heads)


def test_an_api_server_that_cannot_reach_the_pod_answers_http_and_says_why() -> None:
    async def scenario() -> Any:
        async with FakeApi(unreachable=True) as api:
            opts = ProbeOptions(
                timeout=2, api=ApiAccess(api.url, {"Authorization": TOKEN}), pods="api"
            )
            (r,) = await run_probes(
                [target(8080, hop=HopKind.POD, pod=ObjectKey("shop", "web-1"))], opts
            )
            return r

    r = run(scenario())
    assert (r.via, r.outcome, r.status, r.pod) == ("api-proxy", Outcome.HTTP_STATUS, 503, None)
    assert r.detail == (
        "HTTP 503 from the API server's proxy: error trying to reach service: "
        "dial tcp 10.1.0.1:8080: connect: connection refused"
    )


def test_credentials_an_api_server_echoes_are_redacted_from_results() -> None:
    from kpath.cluster.redact import redaction_set

    async def scenario() -> Any:
        async with FakeApi(echo=True) as api:
            access = ApiAccess(api.url, {"Authorization": TOKEN}, secrets=redaction_set([TOKEN]))
            opts = ProbeOptions(timeout=2, api=access, pods="api")
            (r,) = await run_probes(
                [target(8080, hop=HopKind.POD, pod=ObjectKey("shop", "web-1"))], opts
            )
            return r, api

    r, api = run(scenario())
    assert api.requests[0][1] == TOKEN  # it was sent, and echoed back as the pod's name
    assert r.via == "api-proxy" and r.pod == "shop/web-1 ***"
    assert TOKEN.split()[1] not in " ".join(str(v) for v in r)


def test_without_api_access_an_unrouted_pod_times_out() -> None:
    silent = Silent()
    try:
        (r,) = run(
            run_probes(
                [target(silent.port, hop=HopKind.POD, pod=ObjectKey("shop", "web-1"))],
                ProbeOptions(timeout=0.3),
            )
        )
    finally:
        silent.close()
    assert (r.outcome, r.via) == (Outcome.TIMEOUT, "direct")


def test_pod_proxy_urls() -> None:
    api = ApiAccess("https://127.0.0.1:6443/")
    assert (
        api.pod_proxy_url("shop", "web-1", 8080, "http", "/")
        == "https://127.0.0.1:6443/api/v1/namespaces/shop/pods/web-1:8080/proxy/"
    )
    assert (
        api.pod_proxy_url("shop", "web-1", 8443, "https", "/x")
        == "https://127.0.0.1:6443/api/v1/namespaces/shop/pods/https:web-1:8443/proxy/x"
    )
    # A hostile name cannot climb out of the pod's proxy path.
    assert "/../" not in api.pod_proxy_url("shop", "../../secrets", 1, "http", "/")


# --------------------------------------------------------------------------- pure helpers
def test_classify_failures() -> None:
    refused = httpx.ConnectError("All connection attempts failed")
    refused.__cause__ = ConnectionRefusedError(111, "Connect call failed")
    assert classify(refused)[0] == Outcome.REFUSED
    dns = httpx.ConnectError("[Errno -2] Name or service not known")
    dns.__cause__ = socket.gaierror(-2, "Name or service not known")
    assert classify(dns)[0] == Outcome.DNS
    cert = ssl.SSLCertVerificationError(1, "certificate verify failed")
    assert classify(httpx.ConnectError("something odd"))[0] == Outcome.ERROR
    wrapped = httpx.ConnectError("tls")
    wrapped.__cause__ = cert
    assert classify(wrapped)[0] == Outcome.TLS
    assert classify(httpx.ReadTimeout("slow"))[0] == Outcome.TIMEOUT
    assert (
        classify(httpx.RemoteProtocolError("Server disconnected without sending a response."))[0]
        == Outcome.CLOSED
    )
    unreachable = httpx.ConnectError("no route")
    unreachable.__cause__ = OSError(113, "No route to host")
    assert classify(unreachable)[0] == Outcome.UNREACHABLE


def test_identify_ignores_what_is_not_a_name() -> None:
    assert identify({"x-pod-name": "a" * 300}, b"") == (None, None)
    assert identify({}, b'{"pod": ["x"], "node": "n1"}') == (None, "n1")
    assert identify({}, b"not json") == (None, None)
    assert identify({"x-pod-name": "web", "x-pod-namespace": "shop"}, b"") == ("shop/web", None)


def test_jobs_run_every_target_once_before_any_twice() -> None:
    ts = [target(1, repeat=2), target(2, repeat=1), target(3, repeat=3)]
    assert list(jobs(ts)) == [(0, 0), (1, 0), (2, 0), (0, 1), (2, 1), (2, 2)]


def test_a_prober_needs_a_positive_concurrency() -> None:
    with pytest.raises(ValueError):
        Prober(ProbeOptions(concurrency=0))
