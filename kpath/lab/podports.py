"""What a lab pod serves on each port: HTTP, HTTPS (TLS with HTTP inside) or a TCP echo.

Pure rules, as a real pod would behave given what its spec and the Services aiming at it say
(`pod_port_protocol`); the data plane (`kpath.lab.dataplane`) opens the sockets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_NON_HTTP_HINTS = (
    "grpc",
    "tcp",
    "tls",
    "redis",
    "postgres",
    "mysql",
    "mongo",
    "dns",
    "amqp",
    "kafka",
    "metrics-udp",
    "xds",
)
_HTTP_APP = ("http", "http2", "kubernetes.io/h2c", "h2c", "kubernetes.io/ws")
_HTTPS_APP = ("https", "kubernetes.io/wss")
#: HTTPS by number where name and appProtocol say nothing (webhooks: 9443, API servers: 6443)
_HTTPS_NUMBERS = (443, 6443, 8443, 9443)


@dataclass(frozen=True)
class PortHint:
    """What a Service port aiming at a pod port says about it (from the slice and Service)."""

    name: str = ""
    app_protocol: str = ""
    number: int | None = None  # the Service's own port number


def _name_protocol(name: str) -> str | None:
    lowered = name.lower()
    if not lowered:
        return None
    if lowered == "https" or lowered.startswith("https-") or lowered.endswith("-https"):
        return "https"
    if any(hint in lowered for hint in _NON_HTTP_HINTS):
        return "tcp"
    if lowered in ("http", "web") or lowered.startswith("http-") or lowered.endswith("-http"):
        return "http"
    return None  # "metrics", "webhook", "admin": the name does not say


def command_http_ports(container: Mapping[str, Any]) -> set[int]:
    """Ports a container's command line says it serves HTTP on (``--http-port=80``, as
    agnhost's netexec takes it): what the process does, whatever the port's name says."""
    words = [str(w) for w in [*(container.get("command") or []), *(container.get("args") or [])]]
    out: set[int] = set()
    for i, word in enumerate(words):
        flag, sep, value = word.partition("=")
        if flag.lstrip("-") != "http-port" or not flag.startswith("-"):
            continue
        if not sep:
            value = words[i + 1] if i + 1 < len(words) else ""
        if value.isdigit():
            out.add(int(value))
    return out


def pod_port_protocol(
    container_name: str | None,
    number: int,
    hints: Sequence[PortHint] = (),
    *,
    command_http: bool = False,
) -> str:
    """``http``, ``https`` (TLS, HTTP inside) or ``tcp`` (an echo) for one pod port.

    As a pod in a real cluster would serve it: the container's command line first (what the
    process does, `command_http_ports`), then a Service's appProtocol (an explicit
    declaration), then the container port's name, then the Service ports' names, then the
    well-known HTTPS numbers (the container's, then the Service's); else HTTP.
    """
    if command_http:
        return "http"
    for hint in hints:
        app = hint.app_protocol.lower()
        if app in _HTTPS_APP:
            return "https"
        if app in _HTTP_APP:
            return "http"
        if app:
            return "tcp"
    for name in (container_name or "", *(h.name for h in hints)):
        said = _name_protocol(name)
        if said is not None:
            return said
    if number in _HTTPS_NUMBERS or any(h.number in _HTTPS_NUMBERS for h in hints):
        return "https"
    return "http"
