"""What a lab pod serves on each port: plain unit tests of `kpath.lab.podports`."""

from __future__ import annotations

from kpath.lab.podports import PortHint, command_http_ports, pod_port_protocol


def test_pod_port_protocol_from_app_protocol_name_then_number() -> None:
    assert pod_port_protocol("http", 80) == "http"
    assert pod_port_protocol(None, 8080) == "http" and pod_port_protocol("web", 80) == "http"
    assert pod_port_protocol("grpc", 9000) == "tcp"
    assert pod_port_protocol("tcp-redis", 6379) == "tcp"
    # appProtocol (from the Service) is an explicit declaration: it beats every name.
    assert pod_port_protocol("x", 81, [PortHint("tcp", "http")]) == "http"
    assert pod_port_protocol("http", 80, [PortHint("", "https")]) == "https"
    assert pod_port_protocol("http", 80, [PortHint("", "redis")]) == "tcp"
    # Names: the container's first, then the Service ports'.
    assert pod_port_protocol("https", 8080) == "https"
    assert pod_port_protocol("https-admin", 9000) == "https"
    assert pod_port_protocol(None, 9000, [PortHint("https", "", 443)]) == "https"
    assert pod_port_protocol("http", 9000, [PortHint("https", "", 443)]) == "http"
    assert pod_port_protocol("tcp", 443) == "tcp"  # the name says; the number does not count
    # Well-known HTTPS numbers only where names and appProtocol say nothing.
    assert pod_port_protocol("webhook", 8443) == "https"
    assert pod_port_protocol(None, 443) == "https"
    assert pod_port_protocol(None, 8080, [PortHint("", "", 443)]) == "https"
    assert pod_port_protocol("metrics", 8002) == "http"


def test_a_command_line_http_port_is_http_whatever_the_name() -> None:
    netexec = {"args": ["netexec", "--http-port=80", "--udp-port=80"]}
    assert command_http_ports(netexec) == {80}
    assert command_http_ports({"command": ["/agnhost", "netexec", "--http-port", "8080"]}) == {8080}
    assert command_http_ports({"args": ["--port=9898", "--http-port=x"]}) == set()
    assert command_http_ports({}) == set()
    # cloud-provider-kind's multiprotocol pod: port "tcp" on 80, served by netexec's HTTP
    assert pod_port_protocol("tcp", 80, command_http=True) == "http"
    assert pod_port_protocol("tcp", 80) == "tcp"
