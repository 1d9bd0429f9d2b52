"""Run probe targets live: asyncio + httpx, a fresh connection per probe, bounded and timed.

Rules that keep the observations honest:

- a fresh connection per probe (no keep-alive pool, ``Connection: close``): a reused
  connection sticks to one backend and hides the spread kube-proxy makes;
- at most ``concurrency`` probes at once (a fixed pool of workers), each bounded by
  ``asyncio.timeout`` as well as by httpx's own timeouts;
- redirects are never followed, bodies are read up to 64 KiB and the rest discarded;
- TLS is verified; with ``insecure`` a probe that fails verification is retried without it
  and the certificate problem is reported;
- pods are tried at their IP first; when the IP does not answer from here (connect timeout,
  no route) and the API server is known, through ``pods/NAME:PORT/proxy`` on it. The API
  server's credentials live only in the client that talks to the API server;
- proxy settings from the environment are ignored: a probe goes where it says.

Nothing here blocks the event loop: TLS contexts are built in a thread, name lookups run in
anyio's resolver thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx

from kpath.cluster.redact import redact
from kpath.probe.plan import HopKind, ProbeTarget

BODY_CAP = 64 * 1024
USER_AGENT = "kpath-probe/1"
_NAME_CAP = 253  # a Kubernetes name is at most this long; longer answers are not names
TCP_LISTEN = 0.1  # seconds a TCP probe waits after connecting for a reset, close or banner
_HOSTNAME = re.compile(r"[A-Za-z0-9.\-_:\[\]]{1,253}")


class _Handshake(Exception):
    """A TLS probe that stops at the handshake (no HTTP request of its own)."""


class Outcome(StrEnum):
    OK = "ok"  # connected (TCP) or answered below 400 (HTTP)
    HTTP_STATUS = "http-status"  # answered with an HTTP error status
    REFUSED = "refused"  # the connection was refused (RST or ICMP unreachable at connect)
    RESET = "reset"  # accepted, then reset (RST) before any answer
    CLOSED = "closed"  # accepted, then closed (FIN) without an answer
    TIMEOUT = "timeout"  # no connection, or connected and no answer, in time (`connected`)
    TLS_TIMEOUT = "tls-timeout"  # connected, then the TLS handshake stalled
    DNS = "dns-failure"
    TLS = "tls-error"  # the TLS handshake failed (the certificate problem in detail)
    UNREACHABLE = "unreachable"  # no route to the address from here
    ERROR = "error"  # anything else (said in detail)


class ProbeResult(NamedTuple):
    target: int  # index into the probed targets
    attempt: int
    outcome: Outcome
    status: int | None  # HTTP status when there was an answer
    latency_ms: float | None  # until the answer (or the failure)
    pod: str | None  # "ns/name" that answered, when the answer names it
    pod_node: str | None  # the node that pod says it runs on
    via: str  # "direct" or "api-proxy"
    detail: str  # one line: the error, or what answered
    tls_problem: str | None = None  # a certificate problem seen before an --insecure retry
    connected: bool | None = None  # the TCP connection was made (None: not known)
    location: str | None = None  # a redirect's Location header

    @property
    def answered(self) -> bool:
        return self.outcome in (Outcome.OK, Outcome.HTTP_STATUS)


@dataclass(frozen=True)
class ApiAccess:
    """How to reach the API server; its credentials go nowhere else."""

    server: str  # "https://host:port", no trailing slash
    headers: Mapping[str, str] = field(default_factory=dict)  # Authorization, ...
    verify: bool | str = True  # CA bundle path, or a bool
    cert: tuple[str, str] | None = None  # client certificate and key files
    #: Every form of those credentials (`kpath.cluster.redact.redaction_set`): whatever an
    #: answer through the API server says is cleared of them.
    secrets: tuple[str, ...] = ()

    def pod_proxy_url(self, pod_ns: str, pod: str, port: int, scheme: str, path: str) -> str:
        prefix = "https:" if scheme == "https" else ""
        name = quote(f"{prefix}{pod}:{port}", safe=":")
        return (
            f"{self.server.rstrip('/')}/api/v1/namespaces/{quote(pod_ns, safe='')}"
            f"/pods/{name}/proxy{path}"
        )


@dataclass(frozen=True)
class ProbeOptions:
    concurrency: int = 64
    timeout: float = 2.0  # seconds, per probe
    insecure: bool = False
    api: ApiAccess | None = None
    pods: str = "auto"  # "auto": IP, then the API proxy; "direct"; "api"


#: How far a probe got, in order (httpcore's trace events move it on).
STAGE_CONNECT, STAGE_TLS, STAGE_REQUEST = "connect", "tls", "request"


class _Stage:
    """How far one probe got, from httpx's ``trace`` extension: a failure then says whether
    the TCP connection was made, the TLS handshake stalled, or the answer never came."""

    __slots__ = ("_extensions", "reset", "stage")

    def __init__(self) -> None:
        self.stage = STAGE_CONNECT
        self.reset = False  # a write failed with a reset: the peer sent an RST
        self._extensions: dict[str, Any] | None = None

    def restart(self) -> None:
        self.stage, self.reset, self._extensions = STAGE_CONNECT, False, None

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event.endswith("connect_tcp.complete"):
            self.stage = STAGE_TLS  # a plain-HTTP probe skips start_tls: request next
        elif event.endswith(("start_tls.complete", "send_request_headers.started")):
            self.stage = STAGE_REQUEST
            request = info.get("request")
            self._extensions = getattr(request, "extensions", None)
        elif event.endswith("send_request_body.complete") and self._extensions is not None:
            # The request is out: nothing later changes the stage, so stop being called
            # (httpcore reads the hook per step; this saves half the calls of every probe).
            self._extensions.pop("trace", None)
        elif event.endswith(".failed") and _is_reset(info.get("exception")):
            self.reset = True

    @property
    def connected(self) -> bool:
        return self.stage != STAGE_CONNECT


def _chain(exc: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    cur = exc
    while cur is not None and cur not in chain:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    return chain


def _is_reset(exc: object) -> bool:
    if not isinstance(exc, BaseException):
        return False
    for e in _chain(exc):
        if isinstance(e, (ConnectionResetError, BrokenPipeError)):
            return True
        if isinstance(e, OSError) and e.errno in (errno.ECONNRESET, errno.EPIPE):
            return True
    return "reset by peer" in str(exc).lower()


def after_connect(
    outcome: Outcome, detail: str, stage: str, reset: bool, timeout: float
) -> tuple[Outcome, str]:
    """A failure read with how far the probe got: connect, TLS handshake or the answer."""
    if stage == STAGE_CONNECT:
        if outcome == Outcome.RESET:
            return Outcome.REFUSED, "connection refused (reset at connect)"
        if outcome == Outcome.TIMEOUT:
            return Outcome.TIMEOUT, f"no connection within {timeout:g} s"
        return outcome, detail
    if outcome == Outcome.REFUSED:
        outcome = Outcome.RESET  # connected first: the RST came after the accept
    if outcome == Outcome.RESET or (outcome == Outcome.CLOSED and reset):
        where = " during the TLS handshake" if stage == STAGE_TLS else ""
        return Outcome.RESET, f"connected, then reset (RST){where} before any answer"
    if outcome == Outcome.CLOSED:
        where = " during the TLS handshake" if stage == STAGE_TLS else ""
        return Outcome.CLOSED, f"connected, then closed{where} without an answer"
    if outcome == Outcome.TIMEOUT:
        if stage == STAGE_TLS:
            return Outcome.TLS_TIMEOUT, (
                f"connected, then the TLS handshake stalled (no answer within {timeout:g} s)"
            )
        return Outcome.TIMEOUT, f"connected, then no answer within {timeout:g} s"
    return outcome, detail


# --------------------------------------------------------------------------- pure helpers
def classify(exc: BaseException) -> tuple[Outcome, str]:
    """An exception from a probe as an outcome and one line of detail."""
    chain = _chain(exc)
    text = "; ".join(dict.fromkeys(s for e in chain if (s := str(e).strip()))) or type(exc).__name__
    text = " ".join(text.split())[:300]
    for e in chain:
        if isinstance(e, ssl.SSLEOFError):
            return Outcome.CLOSED, "closed during the TLS handshake"
        if isinstance(e, ssl.SSLCertVerificationError):
            return Outcome.TLS, getattr(e, "verify_message", None) or text
        if isinstance(e, ssl.SSLError):
            return Outcome.TLS, text
        if isinstance(e, socket.gaierror):
            return Outcome.DNS, text
        if isinstance(e, ConnectionRefusedError):
            return Outcome.REFUSED, "connection refused"
        if isinstance(e, (ConnectionResetError, BrokenPipeError)):
            return Outcome.RESET, "connection reset"
        if isinstance(e, (TimeoutError, httpx.TimeoutException)):
            return Outcome.TIMEOUT, "no answer in time"
        if isinstance(e, OSError) and e.errno in (
            errno.EHOSTUNREACH,
            errno.ENETUNREACH,
            errno.EADDRNOTAVAIL,
        ):
            return Outcome.UNREACHABLE, text
    lowered = text.lower()
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return Outcome.TLS, text
    if (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or "temporary failure in name resolution" in lowered
        or "no address associated" in lowered
    ):
        return Outcome.DNS, text
    if "connection refused" in lowered or "connect call failed" in lowered:
        return Outcome.REFUSED, "connection refused"
    if "reset" in lowered or "broken pipe" in lowered:
        return Outcome.RESET, "connection reset"
    if (
        isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError))
        or "disconnected" in lowered
        or "eof" in lowered
    ):
        return Outcome.CLOSED, "closed without an answer"
    if "no route" in lowered or "unreachable" in lowered:
        return Outcome.UNREACHABLE, text
    return Outcome.ERROR, text


def _name(value: object) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= _NAME_CAP:
        return value
    return None


def identify(headers: Mapping[str, str], body: bytes) -> tuple[str | None, str | None]:
    """The pod ("ns/name") and node an answer names, from echo headers or a JSON body."""
    pod = _name(headers.get("x-pod-name"))
    ns = _name(headers.get("x-pod-namespace"))
    node = _name(headers.get("x-node-name"))
    if pod is None and body[:1] == b"{":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            doc = json.loads(body)
            if isinstance(doc, dict):
                pod, ns = _name(doc.get("pod")), ns or _name(doc.get("namespace"))
                node = node or _name(doc.get("node"))
    if pod is None:
        return None, node
    return (f"{ns}/{pod}" if ns else pod), node


def proxy_message(body: bytes) -> str:
    """The reason in an API server's error answer (a Status object's message), one line."""
    text = ""
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        doc = json.loads(body)
        if isinstance(doc, dict) and isinstance(doc.get("message"), str):
            text = doc["message"]
    if not text:
        text = body[:400].decode("utf-8", "replace")
    return " ".join(text.split())[:200] or "no reason given"


def jobs(targets: Sequence[ProbeTarget]) -> Iterator[tuple[int, int]]:
    """(target, attempt) in rounds: every target once before any target twice."""
    rounds = max((t.repeat for t in targets), default=0)
    for attempt in range(rounds):
        for i, t in enumerate(targets):
            if attempt < t.repeat:
                yield i, attempt


# --------------------------------------------------------------------------- the prober
OnResult = Callable[[ProbeResult], None]


class _Connect(Exception):
    """The pod IP did not connect: worth trying through the API server."""

    def __init__(self, outcome: Outcome, detail: str) -> None:
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


class Prober:
    """Holds the HTTP clients for one run; use as ``async with Prober(options) as p``."""

    def __init__(self, options: ProbeOptions) -> None:
        if options.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.options = options
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._api: httpx.AsyncClient | None = None
        self._passthrough: ssl.SSLContext | None = None  # TLS probes: made on first use

    async def __aenter__(self) -> Prober:
        opts = self.options
        # Building an SSL context reads CA files: do it off the event loop.
        verified = await asyncio.to_thread(ssl.create_default_context)
        self._clients["verified"] = self._client(verified)
        if opts.insecure:
            self._clients["insecure"] = self._client(await asyncio.to_thread(_insecure_context))
        if opts.api is not None:
            self._api = await asyncio.to_thread(_api_client, opts.api, opts)
        return self

    async def __aexit__(self, *exc: object) -> None:
        clients = [*self._clients.values(), *([self._api] if self._api else [])]
        self._clients.clear()
        self._api = None
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()

    def _client(self, ctx: ssl.SSLContext) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            verify=ctx,
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(self.options.timeout),
            # No keep-alive: every probe opens its own connection.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        )

    async def run(
        self, targets: Sequence[ProbeTarget], on_result: OnResult | None = None
    ) -> list[ProbeResult]:
        """Every probe of every target; results in the order they finished."""
        pending = jobs(targets)
        results: list[ProbeResult] = []

        async def worker() -> None:
            for index, attempt in pending:  # one shared iterator: each job runs once
                result = await self.probe(targets[index], index, attempt)
                results.append(result)
                if on_result is not None:
                    on_result(result)

        workers = min(self.options.concurrency, sum(t.repeat for t in targets))
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
        return results

    async def probe(self, target: ProbeTarget, index: int = 0, attempt: int = 0) -> ProbeResult:
        """One probe, bounded by the timeout whatever happens inside."""
        result = await self._probe(target, index, attempt)
        api = self.options.api
        if api is None or not api.secrets:
            return result

        # An API server (or a proxy before it) may echo the credentials it was sent.
        def clean(text: str | None) -> str | None:
            return None if text is None else redact(text, api.secrets)

        return result._replace(
            detail=clean(result.detail) or "",
            pod=clean(result.pod),
            pod_node=clean(result.pod_node),
            tls_problem=clean(result.tls_problem),
        )

    async def _probe(self, target: ProbeTarget, index: int, attempt: int) -> ProbeResult:
        start = time.perf_counter()
        via = "api-proxy" if self._use_api_only(target) else "direct"
        stage = _Stage()
        try:
            async with asyncio.timeout(self.options.timeout):
                if via == "api-proxy":
                    return await self._via_api(target, index, attempt, start)
                try:
                    return await self._direct(target, index, attempt, start, stage)
                except _Connect as failed:
                    if not self._api_fallback(target):
                        return self._failure(
                            index, attempt, start, failed.outcome, failed.detail, via, False
                        )
                    via = "api-proxy"
                    return await self._via_api(target, index, attempt, start)
        except TimeoutError:
            if via == "api-proxy":
                return self._failure(
                    index,
                    attempt,
                    start,
                    Outcome.TIMEOUT,
                    f"no answer within {self.options.timeout:g} s",
                    via,
                )
            outcome, detail = after_connect(
                Outcome.TIMEOUT, "", stage.stage, stage.reset, self.options.timeout
            )
            return self._failure(index, attempt, start, outcome, detail, via, stage.connected)

    # ----------------------------------------------------------------------- routes
    def _use_api_only(self, t: ProbeTarget) -> bool:
        return self.options.pods == "api" and self._api_can_reach(t)

    def _api_fallback(self, t: ProbeTarget) -> bool:
        return self.options.pods == "auto" and self._api_can_reach(t)

    def _api_can_reach(self, t: ProbeTarget) -> bool:
        """Whether the API server's pods/…/proxy can take this probe: a pod's, when the
        API server is known, over anything but bare TCP (the proxy speaks HTTP)."""
        return (
            t.hop == HopKind.POD
            and self._api is not None
            and t.pod is not None
            and t.scheme != "tcp"
        )

    def _connect_budget(self, t: ProbeTarget) -> float:
        # Leave half the time for the API proxy when a pod IP may not answer from here.
        return self.options.timeout / 2 if self._api_fallback(t) else self.options.timeout

    async def _direct(
        self, t: ProbeTarget, index: int, attempt: int, start: float, stage: _Stage
    ) -> ProbeResult:
        if t.scheme == "tcp":
            return await self._tcp(t, index, attempt, start)
        if t.scheme == "tls":
            return await self._tls(t, index, attempt, start)
        headers = {"Connection": "close", "User-Agent": USER_AGENT, "Accept": "*/*"}
        if t.host_header:
            headers["Host"] = t.host_header
        for name, value in t.headers:
            headers[name] = value
        ext: dict[str, Any] = {"sni_hostname": t.sni} if t.sni else {}
        timeout = httpx.Timeout(self.options.timeout, connect=self._connect_budget(t))
        client = self._clients["verified"]
        try:
            return await self._http(
                client,
                t.url,
                headers,
                ext,
                timeout,
                index,
                attempt,
                start,
                "direct",
                stage,
                t.method,
            )
        except Exception as exc:
            outcome, detail = classify(exc)
            retry = outcome == Outcome.TLS and "insecure" in self._clients
            if not retry:
                if (
                    self._api_fallback(t)
                    and not stage.connected
                    and (isinstance(exc, httpx.ConnectTimeout) or outcome == Outcome.UNREACHABLE)
                ):
                    raise _Connect(outcome, detail) from exc
                outcome, detail = after_connect(
                    outcome, detail, stage.stage, stage.reset, self.options.timeout
                )
                return self._failure(
                    index, attempt, start, outcome, detail, "direct", stage.connected
                )
        # Retried outside the handler, so a failure of the retry is read on its own (not
        # through the certificate error it would otherwise carry as its context).
        stage.restart()  # the retry is a new connection
        try:
            result = await self._http(
                self._clients["insecure"],
                t.url,
                headers,
                ext,
                timeout,
                index,
                attempt,
                start,
                "direct",
                stage,
                t.method,
            )
        except Exception as retry_exc:
            # The retry fails on its own terms (reset, closed, no answer): that is what this
            # probe saw, with the certificate problem beside it.
            again, why = classify(retry_exc)
            again, why = after_connect(again, why, stage.stage, stage.reset, self.options.timeout)
            result = self._failure(index, attempt, start, again, why, "direct", stage.connected)
        return result._replace(tls_problem=detail)

    async def _tcp(self, t: ProbeTarget, index: int, attempt: int, start: float) -> ProbeResult:
        try:
            reader, writer = await asyncio.open_connection(t.host, t.port)
        except Exception as exc:
            outcome, detail = classify(exc)
            outcome, detail = after_connect(
                outcome, detail, STAGE_CONNECT, False, self.options.timeout
            )
            return self._failure(index, attempt, start, outcome, detail, "direct", False)
        latency = _ms(start)
        try:
            # A moment to see what follows the accept: a reset (how the lab, and some
            # proxies, refuse), a close, or a banner. Silence is the usual, healthy case.
            listen = min(TCP_LISTEN, self.options.timeout / 4)
            first = await asyncio.wait_for(reader.read(1), listen)
        except TimeoutError:
            first = None
        except Exception as exc:
            outcome, detail = classify(exc)
            outcome, detail = after_connect(
                outcome, detail, STAGE_REQUEST, _is_reset(exc), self.options.timeout
            )
            return self._failure(index, attempt, start, outcome, detail, "direct", True)
        finally:
            writer.transport.abort()
        if first == b"":
            return self._failure(
                index,
                attempt,
                start,
                Outcome.CLOSED,
                "connected, then closed without an answer",
                "direct",
                True,
            )
        detail = "connected" + (", and it spoke first" if first else "")
        return ProbeResult(
            index, attempt, Outcome.OK, None, latency, None, None, "direct", detail, None, True
        )

    async def _via_api(self, t: ProbeTarget, index: int, attempt: int, start: float) -> ProbeResult:
        api, client = self.options.api, self._api
        assert api is not None and client is not None and t.pod is not None
        url = api.pod_proxy_url(t.pod.namespace, t.pod.name, t.port, t.scheme, t.path)
        # The client carries the credentials; it is only ever given the API server's URLs.
        assert url.startswith(api.server.rstrip("/") + "/")
        try:
            return await self._http(
                client, url, {"Accept": "*/*"}, {}, None, index, attempt, start, "api-proxy", None
            )
        except Exception as exc:
            outcome, detail = classify(exc)
            return self._failure(
                index, attempt, start, outcome, f"API server: {detail}", "api-proxy"
            )

    async def _http(
        self,
        client: httpx.AsyncClient,
        url: str,
        headers: Mapping[str, str],
        ext: Mapping[str, Any],
        timeout: httpx.Timeout | None,
        index: int,
        attempt: int,
        start: float,
        via: str,
        stage: _Stage | None,
        method: str = "GET",
    ) -> ProbeResult:
        kwargs: dict[str, Any] = {"headers": headers, "extensions": dict(ext)}
        if stage is not None:
            kwargs["extensions"]["trace"] = stage
        if timeout is not None:
            kwargs["timeout"] = timeout
        async with client.stream(method, url, **kwargs) as resp:
            body = bytearray()
            async for chunk in resp.aiter_raw():
                body += chunk[: BODY_CAP - len(body)]
                if len(body) >= BODY_CAP:
                    break  # the rest is discarded with the connection
            status = resp.status_code
            pod, node = identify(resp.headers, bytes(body))
            location = resp.headers.get("location") if 300 <= status < 400 else None
        return _http_result(
            index, attempt, status, _ms(start), pod, node, via, bytes(body), location
        )

    async def _tls(self, t: ProbeTarget, index: int, attempt: int, start: float) -> ProbeResult:
        """A TLS connection by SNI (a passthrough listener): the handshake is the answer.
        Whoever terminates it is the backend, whose certificate is not kpath's to verify
        here; a ``GET /`` inside then lets an echo backend name itself."""
        ctx = self._passthrough
        if ctx is None:
            ctx = self._passthrough = await asyncio.to_thread(_insecure_context)
        try:
            reader, writer = await asyncio.open_connection(
                t.host, t.port, ssl=ctx, server_hostname=t.sni or None
            )
        except Exception as exc:
            outcome, detail = classify(exc)
            connected = outcome in (Outcome.TLS, Outcome.CLOSED, Outcome.RESET)
            outcome, detail = after_connect(
                outcome,
                detail,
                STAGE_TLS if connected else STAGE_CONNECT,
                outcome == Outcome.RESET,
                self.options.timeout,
            )
            return self._failure(index, attempt, start, outcome, detail, "direct", connected)
        latency = _ms(start)
        try:
            host = t.sni or t.host
            if not _HOSTNAME.fullmatch(host):
                # Nothing of the cluster's goes into a request line unless it is a name.
                raise _Handshake()
            writer.write(
                f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
                "Connection: close\r\n\r\n".encode("latin-1", "replace")
            )
            data = b""
            with contextlib.suppress(TimeoutError, OSError, ssl.SSLError):
                listen = min(TCP_LISTEN * 5, self.options.timeout / 2)
                async with asyncio.timeout(listen):
                    while len(data) < BODY_CAP and (chunk := await reader.read(65536)):
                        data += chunk
        except _Handshake:
            data = b""
        finally:
            writer.transport.abort()
        answer = parse_http_answer(data)
        if answer is None:
            return ProbeResult(
                index,
                attempt,
                Outcome.OK,
                None,
                latency,
                None,
                None,
                "direct",
                "TLS handshake done (SNI " + (t.sni or "none") + ")",
                None,
                True,
            )
        status, headers, body = answer
        pod, node = identify(headers, body)
        return _http_result(index, attempt, status, latency, pod, node, "direct", body, None)

    @staticmethod
    def _failure(
        index: int,
        attempt: int,
        start: float,
        outcome: Outcome,
        detail: str,
        via: str,
        connected: bool | None = None,
    ) -> ProbeResult:
        return ProbeResult(
            index, attempt, outcome, None, _ms(start), None, None, via, detail, None, connected
        )


def _http_result(
    index: int,
    attempt: int,
    status: int,
    latency: float,
    pod: str | None,
    node: str | None,
    via: str,
    body: bytes,
    location: str | None,
) -> ProbeResult:
    outcome = Outcome.OK if status < 400 else Outcome.HTTP_STATUS
    detail = f"HTTP {status}" + (f" from {pod}" if pod else "")
    if via == "api-proxy" and pod is None and status >= 500:
        # The API server's own error: it could not reach the pod. Say what it said.
        detail += f" from the API server's proxy: {proxy_message(body)}"
    if location is not None:
        detail += f" to {location[:300]}"
    return ProbeResult(
        index,
        attempt,
        outcome,
        status,
        latency,
        pod,
        node,
        via,
        detail,
        None,
        True,
        location[:2000] if location is not None else None,
    )


def parse_http_answer(data: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """Status, headers (lower-cased names) and body of a raw HTTP/1.x answer; None if the
    bytes are not one."""
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if not sep or len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers, body


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def _insecure_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _api_client(api: ApiAccess, opts: ProbeOptions) -> httpx.AsyncClient:
    if isinstance(api.verify, str):
        ctx = ssl.create_default_context(cafile=api.verify)
    elif api.verify:
        ctx = ssl.create_default_context()
    else:
        ctx = _insecure_context()
    if api.cert is not None:
        ctx.load_cert_chain(*api.cert)
    # A few proxied probes at a time: the API server is shared with everyone else.
    return httpx.AsyncClient(
        verify=ctx,
        trust_env=False,
        follow_redirects=False,
        headers=dict(api.headers),
        timeout=httpx.Timeout(opts.timeout),
        limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
    )


async def run_probes(
    targets: Sequence[ProbeTarget], options: ProbeOptions, on_result: OnResult | None = None
) -> list[ProbeResult]:
    """Probe every target (each ``repeat`` times); results in the order they finished."""
    async with Prober(options) as prober:
        return await prober.run(targets, on_result)
