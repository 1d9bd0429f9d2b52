"""When a live read found nothing at all to show: which line to stop with."""

from __future__ import annotations

from kpath.cluster.readable import nothing_readable

KINDS = ("Node", "IngressClass", "Pod", "Service", "EndpointSlice", "Endpoints", "Ingress")
URL = "https://10.0.0.1:6443"


def test_anything_read_means_carry_on() -> None:
    refused = {k: 403 for k in KINDS if k != "Service"}
    assert nothing_readable(URL, "context c", "shop", refused, ["Service"]) is None
    assert nothing_readable(URL, "context c", "shop", {}, []) is None


def test_every_list_forbidden_names_the_kinds_and_the_scope() -> None:
    line = nothing_readable(URL, "context c", "shop", {k: 403 for k in KINDS}, [])
    assert line is not None and "\n" not in line
    assert line.startswith(f"the API server at {URL} lets context c list nothing")
    assert (
        "403 Forbidden on Node, IngressClass, Pod, Service, EndpointSlice, Endpoints, "
        "Ingress (in namespace shop" in line
    )
    everywhere = nothing_readable(URL, "context c", None, {k: 403 for k in KINDS}, [])
    assert everywhere is not None and "in all namespaces" in everywhere
    assert "-n NAMESPACE" in everywhere


def test_every_list_not_found_is_not_an_api_server() -> None:
    line = nothing_readable(URL, "context c", None, {k: 404 for k in KINDS}, [])
    assert line is not None and line.startswith(f"{URL} is not a Kubernetes API server")
    assert "403" not in line


def test_forbidden_and_not_served_together_say_both() -> None:
    refused = {"Node": 403, "Pod": 403, "EndpointSlice": 404, "Ingress": 404}
    line = nothing_readable(URL, "context c", "shop", refused, [])
    assert line is not None and "403 Forbidden on Node, Pod" in line
    assert "not served (404): EndpointSlice, Ingress" in line
