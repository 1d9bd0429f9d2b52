"""The lab's gateway proxies: what a Gateway's proxy pod does with a connection.

A proxy pod listens on one container port per listener port
(`kpath.lab.gateway.infrastructure`). On each connection it asks the lab's own controller
(`kpath.lab.gateway.decide.decide`, written apart from kpath's routing code) what this
request gets, and does it on real sockets:

- HTTP: the request line and headers are read; a forward goes to one backend chosen by
  weight (smooth weighted round robin, so N·Σweights requests split exactly by weight),
  then to one of that Service's ready endpoints (round robin; the controller reads them
  from the EndpointSlices: a proxy dials pods, no kube-proxy policy applies), with the Host
  and path the rule rewrites them to, from the proxy pod's own address (a proxy opens its
  own connection: the backend sees the pod, as with Envoy or NGINX); the answer is relayed with an
  ``X-Gateway-Pod`` header naming the proxy pod that served it. A redirect answers 3xx with
  ``Location``; 404 (no rule) and 500 (no valid backend) as decided; 503 when the backend
  Service has no ready endpoint or its endpoint refuses;
- HTTPS: the same inside TLS, terminated with a certificate naming the port's listener
  hostnames (`kpath.lab.certs.listener_certificate`);
- TLS: passthrough listeners read the ClientHello's SNI without terminating and splice the
  bytes to the TLSRoute's backend; terminating TLS listeners terminate, then splice the
  plain bytes;
- TCP: splice to the listener's TCPRoute backend.

The gateway's own answers carry ``X-Pod-Name``/``X-Pod-Namespace``/``X-Node-Name`` and a JSON
body naming the gateway, so a probe sees which hop answered. Faults apply to the proxy pods
as to any pod (the data plane checks node-down, slow, hang and refuse before calling in;
``pod-error`` makes the proxy answer that status itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import struct
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from kpath.errors import SourceError
from kpath.lab.certs import listener_certificate
from kpath.lab.gateway.controller import ControllerState
from kpath.lab.gateway.decide import (
    Backend,
    Forward,
    LabRequest,
    Redirect,
    Respond,
    decide,
    listener_for,
)
from kpath.lab.gateway.infrastructure import GatewayInfra

Key = tuple[str, str]

_MAX_HEAD = 64 * 1024
_MAX_HELLO = 16 * 1024 + 5


# ------------------------------------------------------------------------- pure parts
@dataclass(frozen=True)
class HttpHead:
    """A parsed request head: the request line and the headers in order."""

    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def host(self) -> str:
        """The Host header without its port, lower case (the name routes match on)."""
        host = (self.header("host") or "").strip().lower()
        if host.startswith("["):
            return host.split("]", 1)[0] + "]"
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""


def parse_head(head: bytes) -> HttpHead | None:
    """The request line and headers of ``head`` (ending in an empty line); None if malformed."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return None
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            return None
        headers.append((name.strip(), value.strip()))
    return HttpHead(parts[0], parts[1], parts[2], tuple(headers))


def rewritten_head(
    head: HttpHead, *, host: str | None, target: str | None, client: str, proto: str
) -> bytes:
    """The request as the backend receives it: Host and path as rewritten, the client's
    address in X-Forwarded-For, and ``Connection: close`` (one request per connection, so
    the next request on a client's connection is routed afresh)."""
    lines = [f"{head.method} {target or head.target} {head.version}"]
    forwarded = head.header("x-forwarded-for")
    for name, value in head.headers:
        lowered = name.lower()
        if lowered == "host" and host is not None:
            value = host
        if lowered in ("connection", "keep-alive", "x-forwarded-for", "x-forwarded-proto"):
            continue
        lines.append(f"{name}: {value}")
    if head.header("host") is None and host is not None:
        lines.append(f"Host: {host}")
    lines.append(f"X-Forwarded-For: {forwarded + ', ' if forwarded else ''}{client}")
    lines.append(f"X-Forwarded-Proto: {proto}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def client_hello_size(data: bytes) -> int | None:
    """How many bytes the first TLS record holds (None: not a TLS handshake record)."""
    if len(data) < 5:
        return None
    content_type, _major, _minor, length = struct.unpack("!BBBH", data[:5])
    if content_type != 22:
        return None
    return 5 + int(length)


def client_hello_sni(data: bytes) -> str | None:
    """The server_name a ClientHello asks for (None: no SNI, or not a ClientHello)."""
    try:
        if data[0] != 22 or data[5] != 1:
            return None
        pos = 5 + 4 + 2 + 32  # record header, handshake header, version, random
        pos += 1 + data[pos]  # session id
        pos += 2 + struct.unpack("!H", data[pos : pos + 2])[0]  # cipher suites
        pos += 1 + data[pos]  # compression methods
        end = pos + 2 + struct.unpack("!H", data[pos : pos + 2])[0]
        pos += 2
        while pos + 4 <= end:
            ext_type, ext_len = struct.unpack("!HH", data[pos : pos + 4])
            pos += 4
            if ext_type == 0:
                inner = pos + 2
                while inner + 3 <= pos + ext_len:
                    name_type, name_len = struct.unpack("!BH", data[inner : inner + 3])
                    inner += 3
                    if name_type == 0:
                        return data[inner : inner + name_len].decode("ascii").lower()
                    inner += name_len
                return None
            pos += ext_len
    except (IndexError, struct.error, UnicodeDecodeError):
        return None
    return None


@dataclass
class WeightedPicker:
    """Smooth weighted round robin (nginx's): every Σweights picks give each its weight."""

    current: dict[Any, dict[int, int]] = field(default_factory=dict)

    def pick(self, key: Any, weights: Sequence[int]) -> int | None:
        """The index chosen among ``weights`` (None: all zero)."""
        total = sum(w for w in weights if w > 0)
        if total <= 0:
            return None
        state = self.current.setdefault(key, {})
        best = None
        for i, w in enumerate(weights):
            if w <= 0:
                continue
            state[i] = state.get(i, 0) + w
            if best is None or state[i] > state[best]:
                best = i
        assert best is not None
        state[best] -= total
        return best


async def terminate_after_hello(
    hello: bytes,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    context: ssl.SSLContext,
    inside: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> None:
    """End TLS here although the ClientHello was already read (to route by its SNI).

    asyncio cannot start TLS over bytes it has handed out, so the client's bytes, the hello
    first, go through a local socket pair whose far end is served with ``context``;
    ``inside`` gets the plain streams of that end.
    """
    loop = asyncio.get_running_loop()
    near, far = socket.socketpair()
    finished = loop.create_future()

    async def on_plain(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            await inside(r, w)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # the client went away mid-way
        finally:
            w.close()
            if not finished.done():
                finished.set_result(None)

    near_reader, near_writer = await asyncio.open_connection(sock=near)
    near_writer.write(hello)
    relay = asyncio.ensure_future(splice(reader, writer, near_reader, near_writer))
    try:
        await loop.connect_accepted_socket(
            lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader(), on_plain),
            sock=far,
            ssl=context,
        )
        await relay
    except (OSError, ssl.SSLError, ConnectionError):
        far.close()  # the handshake failed: the transport never took the socket over
        writer.transport.abort()
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await relay


# ------------------------------------------------------------------------- I/O parts
@dataclass(frozen=True)
class ProxyPod:
    """One proxy pod's listening port, as the data plane hands it over."""

    namespace: str
    name: str
    node: str
    ip: str
    listener_port: int
    protocol: str  # http, https, tls, tcp (`kpath.lab.gateway.infrastructure.service_protocol`)
    gateway: Key


@dataclass
class GatewayRuntime:
    """What the proxies read on every connection: the infrastructure by proxy pod and the
    controller's current state (for `decide`; None before the first reconcile)."""

    proxies: Mapping[Key, GatewayInfra]
    state: ControllerState | None

    def reconciled(self) -> ControllerState:
        """The state, once there is one (`serve` turns connections away before that)."""
        if self.state is None:
            raise RuntimeError("gateway proxy serving before the first reconcile")
        return self.state


async def read_head(reader: asyncio.StreamReader) -> tuple[bytes, HttpHead] | None:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    if len(raw) > _MAX_HEAD:
        return None
    head = parse_head(raw)
    return (raw, head) if head is not None else None


async def read_body(reader: asyncio.StreamReader, head: HttpHead) -> bytes:
    length = head.header("content-length") or "0"
    if length.isdigit() and 0 < int(length) <= 1 << 20:
        return await reader.readexactly(int(length))
    return b""


async def respond(
    writer: asyncio.StreamWriter,
    status: int,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    head_only: bool = False,
) -> None:
    payload = (json.dumps(body) + "\n").encode()
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Status"
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        "Connection: close",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(
        ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else payload)
    )
    await writer.drain()


async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
        if dst.can_write_eof():
            dst.write_eof()
    except OSError:
        dst.transport.abort()


async def splice(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    upstream = asyncio.ensure_future(pump(reader, up_writer))
    try:
        await pump(up_reader, writer)
    finally:
        upstream.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await upstream
        up_writer.close()


async def relay_answer(
    up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, extra: Mapping[str, str]
) -> bool:
    """Pass the backend's answer on with ``extra`` headers after its status line; False if
    the backend closed before answering."""
    try:
        head = await up_reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        return False
    status_line, _, rest = head.partition(b"\r\n")
    added = "".join(f"{k}: {v}\r\n" for k, v in extra.items()).encode("latin-1")
    writer.write(status_line + b"\r\n" + added + rest)
    await writer.drain()
    await pump(up_reader, writer)
    return True


class GatewayProxy:
    """Serves the proxy pods' connections; one per data plane."""

    def __init__(
        self,
        runtime: Callable[[], GatewayRuntime | None],
        *,
        connect_timeout: float = 3.0,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self._runtime = runtime
        self._timeout = connect_timeout
        self._warn = warn or (lambda _: None)
        self._weights = WeightedPicker()
        self._turn: dict[Any, int] = {}
        self._certs: dict[tuple[Key, int], ssl.SSLContext | None] = {}

    # -------------------------------------------------------------- helpers
    def _who(self, pod: ProxyPod) -> dict[str, str]:
        return {"X-Pod-Name": pod.name, "X-Pod-Namespace": pod.namespace, "X-Node-Name": pod.node}

    def _body(self, pod: ProxyPod, **extra: Any) -> dict[str, Any]:
        return {
            "gateway": f"{pod.gateway[0]}/{pod.gateway[1]}",
            "pod": pod.name,
            "namespace": pod.namespace,
            "node": pod.node,
            **extra,
        }

    def _certificate(self, pod: ProxyPod, runtime: GatewayRuntime) -> ssl.SSLContext | None:
        key = (pod.gateway, pod.listener_port)
        if key not in self._certs:
            infra = runtime.proxies.get((pod.namespace, pod.name))
            names = list(infra.hostnames.get(pod.listener_port, ())) if infra else []
            try:
                self._certs[key] = listener_certificate(names)
            except SourceError as exc:
                self._certs[key] = None
                self._warn(f"gateway listeners answer without TLS: {exc}")
        return self._certs[key]

    def _endpoint(self, backend: Backend) -> tuple[str, int] | None:
        """One of the backend's ready endpoints, round robin (None: it has none)."""
        if not backend.targets:
            return None
        key = (backend.namespace, backend.name, backend.port)
        turn = self._turn.get(key, 0)
        self._turn[key] = turn + 1
        return backend.targets[turn % len(backend.targets)]

    async def _connect(
        self, target: tuple[str, int], source: str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(target[0], target[1], local_addr=(source, 0)), self._timeout
            )
        except (OSError, TimeoutError):
            return None

    # -------------------------------------------------------------- entry
    async def serve(
        self,
        pod: ProxyPod,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        error_status: int = 200,
    ) -> None:
        runtime = self._runtime()
        if runtime is None or runtime.state is None:
            writer.transport.abort()
            return
        if pod.protocol == "tls":
            await self._serve_tls(pod, runtime, reader, writer, error_status)
            return
        if pod.protocol == "tcp":
            await self._serve_stream(pod, runtime, reader, writer, sni=None)
            return
        scheme = "http"
        if pod.protocol == "https":
            context = self._certificate(pod, runtime)
            if context is not None:
                await writer.start_tls(context)
                scheme = "https"
        await self._serve_http(pod, runtime, reader, writer, scheme, error_status)

    # -------------------------------------------------------------- HTTP
    async def _serve_http(
        self,
        pod: ProxyPod,
        runtime: GatewayRuntime,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        scheme: str,
        error_status: int,
        client: str | None = None,
    ) -> None:
        got = await read_head(reader)
        if got is None:
            return
        _raw, head = got
        body = await read_body(reader, head)
        head_only = head.method == "HEAD"
        who = self._who(pod)

        async def answer(status: int, **extra: Any) -> None:
            headers = dict(who)
            if "redirect" in extra:
                headers["Location"] = str(extra["redirect"])
            await respond(writer, status, self._body(pod, **extra), headers, head_only=head_only)

        if error_status != 200:
            await answer(error_status, error="injected fault")
            return
        request = LabRequest(
            "https" if scheme == "https" else "http",
            host=head.header("host") or "",
            path=head.path,
            query=head.query,
            method=head.method,
            headers=head.headers,
        )
        decision = decide(runtime.reconciled(), pod.gateway, pod.listener_port, request)
        if isinstance(decision, Redirect):
            await answer(
                decision.status,
                redirect=decision.location,
                route="/".join(decision.route),
                rule=decision.rule,
            )
            return
        if isinstance(decision, Respond):
            await answer(
                decision.status,
                error=decision.reason,
                route="/".join(decision.route) if decision.route else None,
            )
            return
        if not isinstance(decision, Forward):
            writer.transport.abort()  # Refuse: no listener for this at all
            return
        route = "/".join(decision.route) if decision.route else None
        chosen = self._choose(pod, decision)
        if chosen is None or chosen.problem:
            # The spec: an invalid backend's share of requests answers 500.
            await answer(500, error=chosen.problem if chosen else "backend-error", route=route)
            return
        target = self._endpoint(chosen)
        if target is None:
            await answer(
                503, error=f"no healthy upstream for {chosen.namespace}/{chosen.name}", route=route
            )
            return
        upstream = await self._connect(target, pod.ip)
        if upstream is None:
            await answer(503, error=f"upstream connect error: {target[0]}:{target[1]}", route=route)
            return
        up_reader, up_writer = upstream
        client = client or (writer.get_extra_info("peername") or ("?", 0))[0]
        try:
            # Only what a URLRewrite changed is replaced: the Host keeps its port and the
            # target its own spelling otherwise, as a proxy passes them on.
            host = decision.host if decision.host and decision.host != head.host else None
            target_line = None
            if decision.path is not None and decision.path != head.path:
                target_line = decision.path + (f"?{decision.query}" if decision.query else "")
            up_writer.write(
                rewritten_head(
                    head, host=host, target=target_line, client=str(client), proto=scheme
                )
                + body
            )
            await up_writer.drain()
            if not await relay_answer(
                up_reader, writer, {"X-Gateway-Pod": f"{pod.namespace}/{pod.name}"}
            ):
                await answer(
                    503, error="upstream closed the connection before answering", route=route
                )
        finally:
            up_writer.close()

    def _choose(self, pod: ProxyPod, decision: Forward) -> Backend | None:
        """One backend of the decision by weight (smooth weighted round robin)."""
        backends = list(decision.backends)
        index = self._weights.pick(
            (pod.gateway, pod.listener_port, decision.route, decision.rule),
            [b.weight for b in backends],
        )
        return backends[index] if index is not None else None

    # -------------------------------------------------------------- TLS and TCP
    async def _serve_tls(
        self,
        pod: ProxyPod,
        runtime: GatewayRuntime,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        error_status: int,
    ) -> None:
        """A port with TLS listeners (maybe HTTPS ones too, told apart by SNI): the
        ClientHello is read without terminating, its SNI picks the listener, then the bytes
        pass through, or TLS ends here and the rest is a stream (TLS Terminate) or HTTP."""
        try:
            hello = await reader.readexactly(5)
            size = client_hello_size(hello)
            if size is None or size > _MAX_HELLO:
                writer.transport.abort()
                return
            hello += await reader.readexactly(size - 5)
        except asyncio.IncompleteReadError:
            return
        sni = client_hello_sni(hello)
        listener = listener_for(
            runtime.reconciled(), pod.gateway, pod.listener_port, "tls", sni or ""
        )
        if listener is None:
            writer.transport.abort()
            return
        if listener.protocol == "TLS" and listener.tls_mode == "Passthrough":
            await self._serve_stream(pod, runtime, reader, writer, sni=sni, first=hello)
            return
        context = self._certificate(pod, runtime)
        if context is None:
            writer.transport.abort()
            return
        client = str((writer.get_extra_info("peername") or ("?", 0))[0])

        async def inside(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            if listener.protocol == "HTTPS":
                await self._serve_http(pod, runtime, r, w, "https", error_status, client)
            else:
                await self._serve_stream(pod, runtime, r, w, sni=sni)

        await terminate_after_hello(hello, reader, writer, context, inside)

    async def _serve_stream(
        self,
        pod: ProxyPod,
        runtime: GatewayRuntime,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        sni: str | None,
        first: bytes = b"",
    ) -> None:
        """TLSRoute / TCPRoute: no HTTP to answer with, so every failure closes the
        connection (a reset, as Envoy's TCP proxy does)."""
        request = LabRequest("tls" if pod.protocol == "tls" else "tcp", host=sni or "")
        decision = decide(runtime.reconciled(), pod.gateway, pod.listener_port, request)
        if not isinstance(decision, Forward):
            writer.transport.abort()
            return
        chosen = self._choose(pod, decision)
        target = self._endpoint(chosen) if chosen is not None and not chosen.problem else None
        if target is None:
            writer.transport.abort()
            return
        upstream = await self._connect(target, pod.ip)
        if upstream is None:
            writer.transport.abort()
            return
        up_reader, up_writer = upstream
        if first:
            up_writer.write(first)
        await splice(reader, writer, up_reader, up_writer)
