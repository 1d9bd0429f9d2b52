"""Tiny real servers on 127.0.0.1 for prober tests: echo pods, hangs, resets, TLS, a fake API.

Each `Server` counts connections (total and at once) and keeps every request head it read, so
tests can see what a probe really sent. Nothing here listens beyond loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import struct
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

Handler = Callable[["Server", asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """An asyncio TCP server on 127.0.0.1 with a port of its own; ``async with``."""

    def __init__(self, handler: Handler, ssl_ctx: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.ssl_ctx = ssl_ctx
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.heads: list[str] = []
        self.first_connection = asyncio.Event()
        self.closed_connections = 0
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._on, "127.0.0.1", 0, ssl=self.ssl_ctx)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _on(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.first_connection.set()
        try:
            await self.handler(self, reader, writer)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            self.closed_connections += 1
            writer.transport.abort()

    async def read_head(self, reader: asyncio.StreamReader) -> str:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        self.heads.append(head)
        return head


def header(head: str, name: str) -> str | None:
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


async def respond(
    writer: asyncio.StreamWriter, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    lines = [
        f"HTTP/1.1 {status} X",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()


def echo(
    pod: str = "web-1",
    ns: str = "shop",
    node: str = "n1",
    status: int = 200,
    in_headers: bool = True,
) -> Handler:
    """A pod as the lab's are: names itself in headers (or only in the JSON body)."""

    async def handle(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await s.read_head(r)
        body = json.dumps({"pod": pod, "namespace": ns, "node": node}).encode()
        hdrs = {"X-Pod-Name": pod, "X-Pod-Namespace": ns, "X-Node-Name": node} if in_headers else {}
        await respond(w, status, body, hdrs)

    return handle


async def hang(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    while await r.read(65536):
        pass


async def reset(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    sock = w.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    w.transport.abort()


async def close_after_read(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    """Reads the request, then closes cleanly (FIN) without a word: accepted, no answer."""
    await s.read_head(r)
    w.close()


async def close_at_once(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    """Accepts and closes cleanly (FIN) before anything is said (a TCP probe's view)."""
    w.close()


async def banner(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    """Speaks first, as SSH or SMTP do, then waits for the client."""
    w.write(b"220 ready\r\n")
    await w.drain()
    while await r.read(65536):
        pass


async def redirect(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    await s.read_head(r)
    await respond(w, 302, b"", {"Location": f"http://127.0.0.1:{s.port}/elsewhere"})


async def endless(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    """Headers, then a body that never ends: only a capped read finishes."""
    await s.read_head(r)
    w.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
    chunk = b"x" * 16384
    while True:
        w.write(chunk)
        await w.drain()


def free_port() -> int:
    """A port nothing listens on (bound, then released): connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Silent:
    """A port whose accept queue is full: new connections get no SYN-ACK (connect times out),
    as a pod IP that is not routed from here behaves."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = int(self.sock.getsockname()[1])
        self.filler = socket.create_connection(("127.0.0.1", self.port), timeout=1)

    def close(self) -> None:
        self.filler.close()
        self.sock.close()


def self_signed(tmp: Path, name: str = "shop.example.com") -> tuple[Path, Path]:
    """A certificate for ``name`` and its key, made with the openssl command."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=DNS:{name}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def keep_alive(s: Server, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    """Answers request after request on one connection, as long as the client keeps it."""
    while True:
        head = await s.read_head(r)
        body = b'{"pod": "web-1", "namespace": "shop", "node": "n1"}'
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await w.drain()
        if (header(head, "Connection") or "").lower() == "close":
            return


class ThreadedHttp:
    """An HTTP server on 127.0.0.1 in a thread of its own, for commands that run their own
    event loop (``kpath probe`` from the CLI). Counts the connections it accepted; answers
    every GET with ``status`` and ``body``, naming no pod: as most real apps answer."""

    def __init__(
        self, status: int = 200, body: bytes = b"hello\n", headers: dict[str, str] | None = None
    ) -> None:
        import http.server
        import threading

        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the stdlib names it so
                owner.requests.append(self.headers.get("Authorization") or "")
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # quiet: the test reads the counters

        class Counting(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request: object, client: object) -> bool:
                owner.connections += 1
                return True

        self.connections = 0
        self.requests: list[str] = []  # the Authorization header of each request ("" none)
        self.httpd = Counting(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True, name="test-http"
        )

    def __enter__(self) -> ThreadedHttp:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)
