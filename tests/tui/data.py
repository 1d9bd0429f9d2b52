"""Small clusters for the UI tests, built from the API-shaped builders.

``shop()``: three nodes in two zones and the paths an administrator cares about: a
LoadBalancer with ``externalTrafficPolicy: Local`` and pods on one node only (a black hole on
the others), a NodePort with Cluster policy (cross-node hops), a service without endpoints
(reject), an Ingress, and a ClusterIP-only service (hidden until the toggle).
"""

from __future__ import annotations

from kpath.routing.analysis import Analysis
from tests import builders as b

WEB = {"app": "web"}
API = {"app": "api"}


def shop(web_on_b: bool = False) -> Analysis:
    """The shop cluster; ``web_on_b`` adds a web pod on node-b (only web's paths change)."""
    nodes = [b.node("node-a", "z1"), b.node("node-b", "z1"), b.node("node-c", "z2")]
    pods = [
        b.pod("web-1", "node-a", "10.1.0.11", WEB),
        b.pod("web-2", "node-a", "10.1.0.12", WEB),
        b.pod("api-1", "node-b", "10.1.1.21", API),
        b.pod("api-2", "node-c", "10.1.2.22", API),
    ]
    web_endpoints = [
        b.endpoint("10.1.0.11", "node-a", "web-1", zone="z1"),
        b.endpoint("10.1.0.12", "node-a", "web-2", zone="z1"),
    ]
    if web_on_b:
        pods.append(b.pod("web-3", "node-b", "10.1.1.13", WEB))
        web_endpoints.append(b.endpoint("10.1.1.13", "node-b", "web-3", zone="z1"))
    services = [
        b.service(
            "web",
            "LoadBalancer",
            selector=WEB,
            etp="Local",
            lb_ip="203.0.113.10",
            ports=[{"port": 80, "targetPort": 8080, "nodePort": 30080, "protocol": "TCP"}],
            healthCheckNodePort=32000,
        ),
        b.service(
            "api",
            "NodePort",
            selector=API,
            ports=[{"port": 8080, "targetPort": 8080, "nodePort": 30081, "protocol": "TCP"}],
        ),
        b.service(
            "broken",
            "NodePort",
            selector={"app": "gone"},
            ports=[{"port": 80, "targetPort": 80, "nodePort": 30082, "protocol": "TCP"}],
        ),
        b.service("cache", "ClusterIP", selector={"app": "cache"}, ns="backend"),
    ]
    slices = [
        b.endpointslice("web", web_endpoints),
        b.endpointslice(
            "api",
            [
                b.endpoint("10.1.1.21", "node-b", "api-1", zone="z1"),
                b.endpoint("10.1.2.22", "node-c", "api-2", zone="z2"),
            ],
        ),
    ]
    ing = b.ingress(
        "shop",
        [b.rule("shop.example.com", ("/api", "Prefix", b.backend("api", 8080)))],
        class_name="nginx",
        lb_ip="203.0.113.20",
    )
    return b.analysed(
        *nodes,
        *pods,
        *services,
        *slices,
        ing,
        b.ingress_class("nginx", "k8s.io/ingress-nginx"),
        kinds=(*b.SLICE_KINDS, "Ingress", "IngressClass"),
    )


MARKUP = "[bold red]pwned[/]"
ANSI = "x\x1b[31mred"
LONG = "l" * 500
BIDI = "svc\u202egnp.exe\u202c"  # shows as "svcexe.png" when drawn raw
NEWLINE = "x\nkpath: error: fake"


def hostile() -> Analysis:
    """Names and labels an attacker could create: markup, escapes, a bidi override, a line
    break, 500-character labels."""
    nodes = [b.node("node-\x1b[31mred", "z1")]
    labels = {"app": "[red]x[/]", "long": LONG[:63]}
    pods = [b.pod("web-\x1b]0;title\x07", "node-\x1b[31mred", "10.1.0.1", labels, ns="evil")]
    services = [
        b.service(
            MARKUP, "NodePort", ns="evil", selector={"app": "[red]x[/]"}, labels={"long": LONG[:63]}
        ),
        b.service("ansi-" + ANSI, "NodePort", ns="evil", selector={"app": "[red]x[/]"}),
        b.service("n" * 250, "NodePort", ns="evil", selector={"app": "[red]x[/]"}),
        b.service(BIDI, "NodePort", ns="evil", selector={"app": "[red]x[/]"}),
        b.service(NEWLINE, "NodePort", ns="evil", selector={"app": "[red]x[/]"}),
    ]
    slices = [
        b.endpointslice(
            MARKUP,
            [b.endpoint("10.1.0.1", "node-\x1b[31mred", "web-\x1b]0;title\x07", ns="evil")],
            ns="evil",
        )
    ]
    ing = b.ingress(
        "evil",
        [
            b.rule(
                f"{LONG[:200]}.example.com",
                ("/[link=http://x]y[/link]", "Prefix", b.backend(MARKUP, 80)),
            )
        ],
        ns="evil",
        lb_ip="203.0.113.9",
    )
    return b.analysed(*nodes, *pods, *services, *slices, ing, kinds=(*b.SLICE_KINDS, "Ingress"))
