"""`kpath request`'s URL, method and headers, read into a `Request`. Pure: no I/O.

Schemes: ``http://host[:port]/path[?query]``, ``https://…``, ``grpc://host[:port]/pkg.Service/
Method`` (a gRPC call: POST to that path, over plaintext HTTP/2) and ``tls://host:port`` (a TLS
connection by SNI, with no HTTP inside: no path, no method, and the port is required); also
``tcp://host:port`` and ``udp://host:port`` (a bare connection or datagram, for TCPRoutes and
UDPRoutes: the host names the address only).

The host is both the Host header and the SNI: lower-cased (DNS names are case-insensitive),
an IPv6 literal in brackets, a non-ASCII name in its IDNA (``xn--``) form, as clients send it.
The path and query are kept as sent, percent-encoding included, because that is what the
gateway matches; a character a client would have to encode (a space, a control, non-ASCII) is
an input error rather than a guess at how it would be encoded. A fragment is dropped: clients
never send it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kpath.errors import InputError
from kpath.routing.requests import Request
from kpath.safetext import clean

#: scheme -> default port (None: the port is required)
SCHEMES: dict[str, int | None] = {
    "http": 80,
    "https": 443,
    "grpc": 80,
    "tls": None,
    "tcp": None,
    "udp": None,
}
#: Schemes with no HTTP inside: no path, method, query or headers.
BARE = frozenset({"tls", "tcp", "udp"})

#: RFC 9110 token characters: header names and methods
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
#: One DNS label as hosts are written (underscores appear in real names; allow them).
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")
#: What may stand in a path or query as sent: RFC 3986 pchar plus "/" and "?" and "%"
#: (a stray "%" is kept: some clients send it and the gateway sees it as is).
_PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%?\[\]]*\Z")
#: Header values: visible ASCII, spaces and tabs inside, and obs-text (bytes 0x80-0xFF).
_VALUE_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _fail(url: str, why: str) -> InputError:
    return InputError(f"URL {clean(url)}: {why}")


def parse_url(url: str, method: str | None = None, headers: Iterable[str] = ()) -> Request:
    """The request a client sends for ``url`` with ``-X method`` and ``-H 'Name: value'``s."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in SCHEMES:
        given = f"scheme {clean(scheme)!r}" if sep else "no scheme"
        raise _fail(
            url, f"{given}; give it as http://, https://, grpc://, tls://, tcp:// or udp://HOST…"
        )
    rest = rest.partition("#")[0]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, target = rest[:cut], rest[cut:]
    if "@" in authority:
        raise _fail(url, "credentials (user@) take no part in routing; leave them out")
    host, port = _authority(url, scheme, authority)
    path, _, query_text = target.partition("?")
    if not _PATH.match(target):
        bad = next(c for c in target if not _PATH.match(c))
        raise _fail(
            url,
            f"{clean(bad)!r} in the path or query: percent-encode it as the client would send it",
        )
    path = path or "/"
    query = _query(query_text) if "?" in target else ()
    verb = _method(url, scheme, method)
    if scheme in BARE:
        if target not in ("", "/"):
            raise _fail(
                url, f"a {scheme}:// connection carries no HTTP: give {scheme}://HOST:PORT only"
            )
        path = "/"
    elif scheme == "grpc" and (query or not re.fullmatch(r"/[^/]+/[^/]+", path)):
        raise _fail(url, "give a gRPC call as grpc://HOST[:PORT]/package.Service/Method")
    return Request(scheme, host, port, path, query, verb, parse_headers(headers, scheme))


def _authority(url: str, scheme: str, authority: str) -> tuple[str, int]:
    port_text: str | None
    if authority.startswith("["):
        literal, close, after = authority[1:].partition("]")
        if not close:
            raise _fail(url, "an IPv6 address needs its closing ]")
        import ipaddress  # only for an IPv6 literal: most URLs name a host

        try:
            address = ipaddress.IPv6Address(literal)
        except ValueError:
            raise _fail(url, f"[{clean(literal)}] is not an IPv6 address") from None
        host, port_text = f"[{address.compressed}]", after
        if port_text and not port_text.startswith(":"):
            raise _fail(url, "after an IPv6 address comes :PORT or the path")
        port_text = port_text[1:] if port_text else None
    else:
        name, colon, port_part = authority.rpartition(":")
        host, port_text = (name, port_part) if colon else (authority, None)
        host = _host(url, host)
    default = SCHEMES[scheme]
    if port_text is None or port_text == "":
        if default is None:
            raise _fail(url, f"a {scheme}:// connection needs its port: {scheme}://HOST:PORT")
        if port_text == "":
            raise _fail(url, "an empty port after ':'")
        return host, default
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _fail(url, f"port {clean(port_text)!r} is not a number from 1 to 65535")
    return host, int(port_text)


def _host(url: str, host: str) -> str:
    if not host:
        raise _fail(url, "no host")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise _fail(url, f"host {clean(host)!r} is not a name DNS can hold") from None
    host = host.lower()
    if "*" in host:
        raise _fail(url, "a request names one host; a wildcard is for routes and listeners")
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _fail(url, f"host {clean(host)!r} is not a DNS name or an IPv4 address")
    return host


def _query(text: str) -> tuple[tuple[str, str], ...]:
    """``a=1&b&c=`` as (name, value) pairs in order, still percent-encoded, empties dropped."""
    pairs = []
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return tuple(pairs)


def _method(url: str, scheme: str, method: str | None) -> str:
    if scheme in BARE:
        if method is not None:
            raise _fail(url, f"-X: a {scheme}:// connection has no HTTP method")
        return ""
    if scheme == "grpc":
        if method is not None and method != "POST":
            raise _fail(url, "-X: every gRPC call is a POST")
        return "POST"
    if method is None:
        return "GET"
    if not _TOKEN.match(method):
        raise InputError(f"-X {clean(method)!r}: not an HTTP method (letters, no spaces)")
    return method


def parse_headers(lines: Iterable[str], scheme: str = "http") -> tuple[tuple[str, str], ...]:
    """``Name: value`` lines as (name, value) pairs, names as given, values trimmed."""
    out = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name or not _TOKEN.match(name):
            raise InputError(f"-H {clean(line)!r}: give a header as 'Name: value'")
        if _VALUE_BAD.search(value):
            raise InputError(
                f"-H {clean(line)!r}: a header value cannot hold control characters or line breaks"
            )
        if scheme in BARE:
            raise InputError(f"-H: a {scheme}:// connection carries no HTTP headers")
        if name.lower() == "host":
            raise InputError(
                "-H Host: the URL's host is the Host header (and the SNI); write "
                "it in the URL, and choose the way in with --via NAMESPACE/NAME"
            )
        out.append((name, value.strip(" \t")))
    return tuple(out)


def request_url(request: Request) -> str:
    """The request as a URL again: what `parse_url` reads back to the same `Request`."""
    default = SCHEMES[request.scheme]
    port = "" if request.port == default else f":{request.port}"
    if request.scheme in BARE:
        return f"{request.scheme}://{request.host}:{request.port}"
    query = "&".join(f"{n}={v}" if v else n for n, v in request.query)
    return f"{request.scheme}://{request.host}{port}{request.path}" + (f"?{query}" if query else "")


def host_header(request: Request) -> str:
    """The Host header as the client sends it: with the port when it is not the default."""
    default = SCHEMES[request.scheme]
    return request.host if request.port == default else f"{request.host}:{request.port}"
