"""Recognising a Gateway's own Service, per implementation, from Services shaped like theirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kpath.cluster.dump import load_dump
from kpath.cluster.gatewayapi import (
    AllowedRoutes,
    Gateway,
    GatewayAddress,
    GatewayClass,
    Listener,
)
from kpath.cluster.records import ObjectKey
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.analysis import analyse
from kpath.routing.gateway.infra import find_infra, infra_index
from tests import builders as b

EG = GatewayClass("eg", "gateway.envoyproxy.io/gatewayclass-controller", ())
ISTIO = GatewayClass("istio", "istio.io/gateway-controller", ())
NGF = GatewayClass("nginx", "gateway.nginx.org/nginx-gateway-controller", ())
CILIUM = GatewayClass("cilium", "io.cilium/gateway-controller", ())
TRAEFIK = GatewayClass("traefik", "traefik.io/gateway-controller", ())
OTHER = GatewayClass("acme", "example.com/acme-gateway", ())


def gateway(
    name: str = "eg", ns: str = "default", class_name: str = "eg", addresses: tuple[str, ...] = ()
) -> Gateway:
    listener = Listener("http", None, 80, "HTTP", None, (), AllowedRoutes("Same", None, ()))
    return Gateway(
        ns,
        name,
        class_name,
        (listener,),
        (),
        tuple(GatewayAddress("IPAddress", a) for a in addresses),
        (),
        (),
        None,
        None,
        {},
        {},
        {},
        "",
        1,
    )


def index(*services: b.Obj):
    return infra_index(b.snapshot(*services).services)


def lb(
    name: str,
    ns: str,
    labels: dict[str, str] | None = None,
    ip: str | None = None,
    type_: str = "LoadBalancer",
) -> b.Obj:
    return b.service(
        name, type_, ns=ns, labels=labels, lb_ip=ip, etp="Local", selector=labels or {"app": name}
    )


def test_envoy_gateway_controller_namespace_service():
    # Envoy Gateway's own testdata: services/default.yaml (labels, namespace, name shape).
    labels = {
        "app.kubernetes.io/name": "envoy",
        "app.kubernetes.io/component": "proxy",
        "app.kubernetes.io/managed-by": "envoy-gateway",
        "gateway.envoyproxy.io/owning-gateway-name": "eg",
        "gateway.envoyproxy.io/owning-gateway-namespace": "default",
    }
    other = {**labels, "gateway.envoyproxy.io/owning-gateway-namespace": "team-b"}
    idx = index(
        lb("envoy-default-eg-e41e7b31", "envoy-gateway-system", labels),
        lb("envoy-team-b-eg-0badc0de", "envoy-gateway-system", other),
    )
    ref = find_infra(gateway(), EG, idx)
    assert ref.service == ObjectKey("envoy-gateway-system", "envoy-default-eg-e41e7b31")
    assert ref.implementation == "Envoy Gateway"
    assert "owning-gateway-name" in ref.note
    team_b = find_infra(gateway(ns="team-b"), EG, idx)
    assert team_b.service == ObjectKey("envoy-gateway-system", "envoy-team-b-eg-0badc0de")


def test_envoy_gateway_merged_gateways_share_a_class_service():
    labels = {"app.kubernetes.io/name": "envoy", "gateway.envoyproxy.io/owning-gatewayclass": "eg"}
    idx = index(lb("envoy-eg-1234", "envoy-gateway-system", labels))
    ref = find_infra(gateway(name="one"), EG, idx)
    assert ref.service == ObjectKey("envoy-gateway-system", "envoy-eg-1234")
    assert "merged" in ref.note


def test_gateway_api_label_in_the_gateways_namespace_wins():
    # Istio labels its Service with both; the standard label is read first.
    labels = {
        "gateway.networking.k8s.io/gateway-name": "bookinfo-gateway",
        "istio.io/gateway-name": "bookinfo-gateway",
    }
    idx = index(
        lb("bookinfo-gateway-istio", "default", labels),
        # the same label in another namespace belongs to another Gateway
        lb("bookinfo-gateway-istio", "elsewhere", labels),
    )
    ref = find_infra(gateway("bookinfo-gateway", class_name="istio"), ISTIO, idx)
    assert ref.service == ObjectKey("default", "bookinfo-gateway-istio")
    assert ref.implementation == "Istio"
    assert "gateway.networking.k8s.io/gateway-name" in ref.note


def test_load_balancer_preferred_over_cluster_ip_with_the_same_label():
    labels = {"gateway.networking.k8s.io/gateway-name": "gw"}
    idx = index(
        b.service("gw-metrics", "ClusterIP", ns="default", labels=labels),
        lb("gw-istio", "default", labels),
    )
    ref = find_infra(gateway("gw", class_name="istio"), ISTIO, idx)
    assert ref.service == ObjectKey("default", "gw-istio")


def test_istio_by_its_own_label_then_by_name():
    idx = index(lb("x", "default", {"istio.io/gateway-name": "hello"}))
    assert find_infra(gateway("hello", class_name="istio"), ISTIO, idx).service == ObjectKey(
        "default", "x"
    )
    idx = index(lb("helloworld-gateway-istio", "default"))
    ref = find_infra(gateway("helloworld-gateway", class_name="istio"), ISTIO, idx)
    assert ref.service == ObjectKey("default", "helloworld-gateway-istio")
    assert "<gateway>-<class>" in ref.note


def test_nginx_gateway_fabric_2_by_name_and_1_by_shared_service():
    idx = index(lb("gateway-nginx", "default"))
    ref = find_infra(gateway("gateway", class_name="nginx"), NGF, idx)
    assert ref.service == ObjectKey("default", "gateway-nginx")
    assert ref.implementation == "NGINX Gateway Fabric"
    shared = index(
        lb("nginx-gateway", "nginx-gateway", {"app.kubernetes.io/name": "nginx-gateway"})
    )
    ref = find_infra(gateway("gateway", class_name="nginx"), NGF, shared)
    assert ref.service == ObjectKey("nginx-gateway", "nginx-gateway")
    assert "shared" in ref.note


def test_cilium_by_its_label_and_by_name():
    idx = index(
        lb(
            "cilium-gateway-my-gateway",
            "default",
            {"io.cilium.gateway/owning-gateway": "my-gateway"},
        )
    )
    ref = find_infra(gateway("my-gateway", class_name="cilium"), CILIUM, idx)
    assert ref.service == ObjectKey("default", "cilium-gateway-my-gateway")
    assert "Cilium label" in ref.note
    by_name = index(lb("cilium-gateway-my-gateway", "default"))
    ref = find_infra(gateway("my-gateway", class_name="cilium"), CILIUM, by_name)
    assert ref.service == ObjectKey("default", "cilium-gateway-my-gateway")
    assert "cilium-gateway-<gateway>" in ref.note


def test_traefik_shared_service_not_its_cluster_ip_dashboard():
    labels = {"app.kubernetes.io/name": "traefik"}
    idx = index(
        b.service("traefik-dashboard", "ClusterIP", ns="traefik", labels=labels),
        lb("traefik", "traefik", labels),
    )
    ref = find_infra(gateway("web", class_name="traefik"), TRAEFIK, idx)
    assert ref.service == ObjectKey("traefik", "traefik")
    assert ref.implementation == "Traefik"


def test_by_status_address_when_no_label_or_name_is_known():
    idx = index(lb("edge", "proxies", ip="203.0.113.7"), lb("other", "proxies", ip="203.0.113.8"))
    ref = find_infra(gateway("gw", class_name="acme", addresses=("203.0.113.7",)), OTHER, idx)
    assert ref.service == ObjectKey("proxies", "edge")
    assert "status address" in ref.note
    assert ref.implementation is None


def test_nothing_recognised_says_what_was_looked_for():
    idx = index(lb("unrelated", "default"))
    ref = find_infra(gateway("gw", class_name="acme", addresses=("198.51.100.1",)), OTHER, idx)
    assert ref.service is None
    assert "no infrastructure Service recognised" in ref.note
    assert "example.com/acme-gateway" in ref.note
    missing = find_infra(gateway("gw", class_name="gone"), None, idx)
    assert missing.service is None and "'gone' (not found)" in missing.note


def test_a_name_match_is_not_taken_across_implementations():
    # <gateway>-<class> is Istio's and NGINX Gateway Fabric's naming, not Envoy Gateway's.
    idx = index(lb("eg-eg", "default"))
    assert find_infra(gateway("eg"), EG, idx).service is None


# ------------------------------------------------ the real-world manifests, with their Service

MANIFESTS = Path(__file__).resolve().parents[4] / "shared" / "realworld" / "manifests"


def svc_doc(name: str, ns: str, labels: dict[str, str] | None = None) -> dict:
    """A LoadBalancer Service shaped like an implementation's, with its address."""
    meta: dict = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "selector": labels or {"app": name},
            "ports": [{"port": 80, "targetPort": 10080, "nodePort": 31080}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.7"}]}},
    }


EG_SVC = svc_doc(
    "envoy-default-eg-e41e7b31",
    "envoy-gateway-system",
    {
        "app.kubernetes.io/name": "envoy",
        "app.kubernetes.io/component": "proxy",
        "app.kubernetes.io/managed-by": "envoy-gateway",
        "gateway.envoyproxy.io/owning-gateway-name": "eg",
        "gateway.envoyproxy.io/owning-gateway-namespace": "default",
    },
)


@pytest.mark.skipif(not MANIFESTS.is_dir(), reason=f"no manifests at {MANIFESTS}")
@pytest.mark.parametrize(
    ("manifest", "service", "expected", "how"),
    [
        (
            "envoy-gateway-quickstart.yaml",
            EG_SVC,
            "envoy-gateway-system/envoy-default-eg-e41e7b31",
            "owning-gateway-name",
        ),
        (
            "istio-bookinfo-gateway-api.yaml",
            svc_doc(
                "bookinfo-gateway-istio",
                "default",
                {
                    "gateway.networking.k8s.io/gateway-name": "bookinfo-gateway",
                    "istio.io/gateway-name": "bookinfo-gateway",
                },
            ),
            "default/bookinfo-gateway-istio",
            "gateway.networking.k8s.io/gateway-name",
        ),
        (
            "istio-helloworld-gateway-api.yaml",
            svc_doc("helloworld-gateway-istio", "default"),
            "default/helloworld-gateway-istio",
            "<gateway>-<class>",
        ),
        (
            "nginx-gateway-fabric-cafe.yaml",
            svc_doc(
                "gateway-nginx",
                "default",
                {
                    "gateway.networking.k8s.io/gateway-name": "gateway",
                    "app.kubernetes.io/name": "gateway-nginx",
                },
            ),
            "default/gateway-nginx",
            "gateway.networking.k8s.io/gateway-name",
        ),
        (
            "cilium-basic-http.yaml",
            svc_doc(
                "cilium-gateway-my-gateway",
                "default",
                {"io.cilium.gateway/owning-gateway": "my-gateway"},
            ),
            "default/cilium-gateway-my-gateway",
            "io.cilium.gateway/owning-gateway",
        ),
    ],
)
def test_real_world_gateways_find_their_implementations_service(
    tmp_path: Path, manifest: str, service: dict, expected: str, how: str
) -> None:
    docs = [d for d in yaml.safe_load_all((MANIFESTS / manifest).read_text()) if d]
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [*docs, service]}))
    a = analyse(build_snapshot(load_dump([path])))
    hops = [p.entry.gateway for p in a.paths if p.entry.gateway is not None]
    assert hops and all(str(h.infra) == expected for h in hops)
    assert how in hops[0].infra_note
    # The Service's own LoadBalancer and NodePort paths are marked as the Gateway's.
    own = [p for p in a.paths if str(p.service) == expected]
    assert {p.entry.kind.value for p in own} >= {"loadbalancer", "nodeport"}
    assert all(p.gateways == (hops[0].gateway,) for p in own)
    codes = {f.code: f.message for f in a.findings}
    assert "KP415" not in codes
    # The manifests carry no status: the Gateway has no address, its Service has one.
    assert f"its Service {expected} has 198.51.100.7" in codes["KP414"]
