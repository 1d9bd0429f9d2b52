"""What each Ingress controller answers one request (the Ingress half of `kpath request`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpath.cluster.dump import load_dump
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import Snapshot, build_snapshot
from kpath.errors import InputError
from kpath.routing.answers import answers, request_findings
from kpath.routing.ingress_request import host_matches
from kpath.routing.requests import Answer, Outcome
from kpath.routing.urls import parse_url
from tests import builders as b

WEBSITE = (
    Path(__file__).resolve().parents[3] / "shared/realworld/manifests/"
    "k8s-website-networking-examples.yaml"
)
NGINX = "ingress-nginx/ingress-nginx-controller"


@pytest.fixture(scope="module")
def website() -> Snapshot:
    if not WEBSITE.exists():
        pytest.skip("the real-world manifests are not on this machine")
    return build_snapshot(load_dump([WEBSITE]))


def ask(snapshot: Snapshot, url: str, via: str | None = None, **kw: object) -> list[Answer]:
    return answers(snapshot, parse_url(url, **kw), via)  # type: ignore[arg-type]


def only(found: list[Answer]) -> Answer:
    assert len(found) == 1, found
    return found[0]


def codes(a: Answer) -> set[str]:
    return {f.code for f in a.findings}


def route_of(a: Answer) -> tuple[str, int, str | None]:
    assert a.route is not None
    return str(a.route.name), a.route.rule, a.route.path


# --- the Kubernetes website's Ingress examples (served by the default class, whose
# controller is not in the manifests: the rules alone decide) -------------------------


@pytest.mark.parametrize(
    ("url", "route"),
    [
        # simple fanout: /foo and /bar under one host; the longest prefix wins over "/"
        ("http://foo.bar.com/foo/x", ("default/simple-fanout-example", 0, "/foo")),
        ("http://foo.bar.com/foo", ("default/simple-fanout-example", 0, "/foo")),
        ("http://foo.bar.com/other", ("default/name-virtual-host-ingress", 0, "/")),
        # Prefix matches on segment boundaries: /foobar is not under /foo
        ("http://foo.bar.com/foobar", ("default/name-virtual-host-ingress", 0, "/")),
        # an exact host beats the wildcard that also covers it
        ("http://bar.foo.com/foo", ("default/name-virtual-host-ingress", 1, "/")),
        # the wildcard covers one label
        ("http://baz.foo.com/foo/1", ("default/ingress-wildcard-host", 1, "/foo")),
        # two labels: the wildcard does not cover it; the host-less rule of the default server
        ("http://a.b.foo.com/foo", ("default/name-virtual-host-ingress-no-third-host", 2, "/")),
        ("http://foo.com/foo", ("default/name-virtual-host-ingress-no-third-host", 2, "/")),
        ("http://third.bar.com/", ("default/name-virtual-host-ingress-no-third-host", 2, "/")),
        ("http://first.bar.com/x", ("default/name-virtual-host-ingress-no-third-host", 0, "/")),
    ],
)
def test_website_examples_route_by_host_and_path(website, url, route):
    a = only(ask(website, url))
    assert a.entry.kind == "ingress" and a.entry.class_name == "example-class"
    assert route_of(a) == route
    # The manifests carry no backend Services: each is missing, a 500 from the controller.
    assert a.outcome == Outcome.BACKEND_ERROR and a.http_status == 500
    assert a.backends[0].verdict == "invalid" and "KP201" in codes(a)
    assert "KP204" in codes(a)  # no controller Service for the default class: said so


def test_wildcard_host_without_a_matching_path_is_a_404(website):
    # *.foo.com claims the host; its one path is /foo and its Ingress has no defaultBackend.
    a = only(ask(website, "http://baz.foo.com/other"))
    assert (a.outcome, a.http_status, a.route, a.backends) == (Outcome.NOT_FOUND, 404, None, ())
    assert "KP455" in codes(a)


def test_same_host_and_path_in_two_ingresses_is_a_conflict(website):
    a = only(ask(website, "http://foo.bar.com/bar"))
    assert a.route is not None and a.route.path == "/bar"
    conflict = next(f for f in a.findings if f.code == "KP452")
    assert "default/ingress-wildcard-host" in conflict.message
    assert "default/simple-fanout-example" in conflict.message


def test_resource_backend_is_followed_no_further(website):
    a = only(ask(website, "http://other.example/icons/a.png"))
    assert route_of(a) == ("default/ingress-resource-backend", 0, "/icons")
    assert a.route is not None and a.route.path_type == "ImplementationSpecific"
    assert a.outcome == Outcome.FORWARD and a.backends == ()
    assert {"KP451", "KP205"} <= codes(a)


def test_tls_hosts_and_the_default_certificate(website):
    covered = only(ask(website, "https://https-example.foo.com/"))
    assert covered.entry.port == 443 and "KP453" not in codes(covered)
    assert route_of(covered) == ("default/tls-example-ingress", 0, "/")
    assert "KP453" in codes(only(ask(website, "https://foo.bar.com/")))


def test_an_ingress_class_that_does_not_exist_answers_nothing(website):
    # minimal-ingress names class nginx-example, which no IngressClass defines.
    found = ask(website, "http://any.example/testpath")
    assert all(a.entry.class_name != "nginx-example" for a in found)
    assert all(
        a.route is None or a.route.name != ObjectKey("default", "minimal-ingress") for a in found
    )


def test_tls_connections_and_other_ports_are_not_taken_by_an_ingress(website):
    request = parse_url("tls://foo.bar.com:443")
    assert answers(website, request) == []
    assert [f.code for f in request_findings(website, request, [])] == ["KP450"]
    assert ask(website, "http://foo.bar.com:8080/") == []


def test_via_must_name_a_gateway_or_a_controller_service(website):
    with pytest.raises(InputError, match="Ingress controller Services: none"):
        ask(website, "http://foo.bar.com/", via="default/my-service")
    with pytest.raises(InputError, match="NAMESPACE/NAME"):
        ask(website, "http://foo.bar.com/", via="my-service")


# --- built clusters: a controller with its own Service -------------------------------


def controller(*extra: dict, ports: list[dict] | None = None) -> Snapshot:
    return b.snapshot(
        b.ingress_class("nginx", "k8s.io/ingress-nginx", default=True),
        b.service(
            "ingress-nginx-controller",
            "LoadBalancer",
            ns="ingress-nginx",
            selector={"app.kubernetes.io/name": "ingress-nginx"},
            labels={"app.kubernetes.io/name": "ingress-nginx"},
            lb_ip="203.0.113.7",
            ports=ports
            or [
                {"name": "http", "port": 80, "targetPort": 80, "nodePort": 30080},
                {"name": "https", "port": 443, "targetPort": 443, "nodePort": 30443},
            ],
        ),
        b.service("web", ports=[{"name": "http", "port": 80, "targetPort": 8080}]),
        b.endpointslice(
            "web",
            [
                b.endpoint("10.64.0.1", "n1", "web-1"),
                b.endpoint("10.64.0.2", "n1", "web-2"),
                b.endpoint("10.64.0.3", "n1", "web-3", ready=False),
            ],
            port_name="http",
        ),
        b.service("api", ports=[{"port": 8080, "targetPort": 8080}]),
        b.endpointslice("api", [b.endpoint("10.64.0.9", "n1", "api-1", ready=False)]),
        *extra,
        kinds=(*b.SLICE_KINDS, "Ingress", "IngressClass"),
    )


def test_controller_answer_names_its_service_address_and_ready_endpoints():
    snap = controller(
        b.ingress("shop", [b.rule("shop.example.com", ("/", "Prefix", b.backend("web", "http")))])
    )
    a = only(ask(snap, "http://shop.example.com/cart"))
    assert (str(a.entry.name), a.entry.address, a.entry.port) == (NGINX, "203.0.113.7", 80)
    assert a.outcome == Outcome.FORWARD and a.http_status is None
    (share,) = a.backends
    assert (str(share.name), share.port, share.verdict, share.endpoints, share.share) == (
        "shop/web",
        80,
        "forward",
        2,
        1.0,
    )
    # the controller's NodePort is a way to it too, on every node (no one address)
    by_node_port = only(ask(snap, "http://shop.example.com:30080/"))
    assert (by_node_port.outcome, by_node_port.entry.address) == (Outcome.FORWARD, None)


def test_backend_without_ready_endpoints_is_a_503_share():
    snap = controller(b.ingress("shop", [b.rule(None, ("/api", "Prefix", b.backend("api", 8080)))]))
    a = only(ask(snap, "http://anything.example/api/v1"))
    assert a.outcome == Outcome.FORWARD
    assert (a.backends[0].verdict, a.backends[0].endpoints) == ("reject", 0)


def test_exact_beats_prefix_and_missing_port_is_a_500():
    snap = controller(
        b.ingress(
            "shop",
            [
                b.rule(
                    "shop.example.com",
                    ("/reviews", "Prefix", b.backend("web", "http")),
                    ("/reviews", "Exact", b.backend("web", 9999)),
                )
            ],
        )
    )
    exact = only(ask(snap, "http://shop.example.com/reviews"))
    assert exact.route is not None and exact.route.path_type == "Exact"
    assert exact.outcome == Outcome.BACKEND_ERROR and "KP202" in codes(exact)
    prefix = only(ask(snap, "http://shop.example.com/reviews/5"))
    assert prefix.route is not None and prefix.route.path_type == "Prefix"
    assert prefix.outcome == Outcome.FORWARD


def test_default_backends_for_the_host_and_for_the_default_server():
    snap = controller(
        b.ingress(
            "a",
            [b.rule("a.example", ("/only", "Exact", b.backend("web", 80)))],
            default_backend=b.backend("api", 8080),
        ),
        b.ingress("catch-all", ns="other", default_backend=b.backend("gone", 80)),
    )
    # a.example's own Ingress has a defaultBackend: a path no rule takes goes there
    a = only(ask(snap, "http://a.example/else"))
    assert a.route is not None and (str(a.route.name), a.route.rule) == ("shop/a", -1)
    assert str(a.backends[0].name) == "shop/api"
    # a host no rule takes: the default server; both Ingresses give one: a conflict
    other = only(ask(snap, "http://b.example/"))
    assert other.route is not None and other.route.rule == -1
    assert "KP452" in codes(other)


def test_via_a_controller_that_does_not_listen_on_the_port():
    snap = controller(
        b.ingress("shop", [b.rule("s", ("/", "Prefix", b.backend("web", 80)))]),
        ports=[{"name": "http", "port": 80, "targetPort": 80}],
    )
    assert ask(snap, "https://s/") == []
    a = only(ask(snap, "https://s/", via=NGINX))
    assert a.outcome == Outcome.NO_LISTENER and "KP454" in codes(a)
    # via the controller, a host it has no rule for is its own 404
    snap2 = controller(b.ingress("shop", [b.rule("s", ("/", "Prefix", b.backend("web", 80)))]))
    miss = only(ask(snap2, "http://unknown.example/", via=NGINX))
    assert (miss.outcome, miss.http_status) == (Outcome.NOT_FOUND, 404)


@pytest.mark.parametrize(
    ("rule", "host", "want"),
    [
        ("shop.example.com", "shop.example.com", True),
        ("Shop.Example.com", "shop.example.com", True),
        ("*.example.com", "shop.example.com", True),
        ("*.example.com", "a.shop.example.com", False),
        ("*.example.com", "example.com", False),
        ("*.example.com", ".example.com", False),
        ("shop.example.com", "shop.example.com.evil", False),
    ],
)
def test_host_matches(rule, host, want):
    assert host_matches(rule, host) is want


def test_ingress_nginx_redirects_plain_http_for_a_tls_host():
    web = b.backend("web", "http")
    snap = controller(
        b.ingress(
            "tls",
            [b.rule("secure.example.com", ("/", "Prefix", web))],
            tls_hosts=["secure.example.com"],
        ),
        b.ingress(
            "opt-out",
            [b.rule("plain.example.com", ("/", "Prefix", web))],
            tls_hosts=["plain.example.com"],
            annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "false"},
        ),
        b.ingress(
            "forced",
            [b.rule("forced.example.com", ("/", "Prefix", web))],
            annotations={"nginx.ingress.kubernetes.io/force-ssl-redirect": "true"},
        ),
    )
    a = only(ask(snap, "http://secure.example.com/cart?id=7"))
    assert (a.outcome, a.http_status, a.redirect) == (
        Outcome.REDIRECT,
        308,
        "https://secure.example.com/cart?id=7",
    )
    assert a.route is not None and str(a.route.name) == "shop/tls" and a.backends == ()
    assert only(ask(snap, "https://secure.example.com/cart")).outcome == Outcome.FORWARD
    assert only(ask(snap, "http://plain.example.com/")).outcome == Outcome.FORWARD
    forced = only(ask(snap, "http://forced.example.com:30080/x"))
    assert forced.redirect == "https://forced.example.com/x"


def test_other_controllers_do_not_redirect_on_their_own():
    snap = b.snapshot(
        b.ingress_class("traefik", "traefik.io/ingress-controller", default=True),
        b.service("web", ports=[{"name": "http", "port": 80, "targetPort": 8080}]),
        b.ingress(
            "tls",
            [b.rule("secure.example.com", ("/", "Prefix", b.backend("web", 80)))],
            tls_hosts=["secure.example.com"],
        ),
        kinds=(*b.SLICE_KINDS, "Ingress", "IngressClass"),
    )
    assert only(ask(snap, "http://secure.example.com/")).outcome == Outcome.FORWARD
