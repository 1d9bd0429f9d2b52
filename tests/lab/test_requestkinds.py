"""Verb and resource of recorded API requests (`kpath.lab.requestkinds`)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kpath.lab.requestkinds import by_kind, classify


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/api/v1/pods", "limit=1", ("list", "pods")),
        ("/api/v1/namespaces/shop/pods", "", ("list", "pods")),
        ("/api/v1/pods", "watch=1&resourceVersion=7", ("watch", "pods")),
        ("/api/v1/namespaces/shop/services", "watch=true", ("watch", "services")),
        ("/api/v1/watch/namespaces/shop/services", "", ("watch", "services")),
        ("/apis/discovery.k8s.io/v1/endpointslices", "watch=false", ("list", "endpointslices")),
        ("/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web", "", ("get", "ingresses")),
        ("/api/v1/namespaces", "", ("list", "namespaces")),
        ("/api/v1/namespaces/shop", "", ("get", "namespaces")),
        ("/api/v1/nodes/node-a", "", ("get", "nodes")),
        ("/api/v1/namespaces/shop/pods/web-1:8080/proxy/healthz", "", ("proxy", "pods")),
        ("/api/v1/namespaces/shop/pods/web-1/log", "", ("other", "pods")),
        (
            "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies",
            "limit=500",
            ("list", "networkpolicies"),
        ),
        ("/apis/networking.k8s.io/v1/networkpolicies", "watch=1", ("watch", "networkpolicies")),
        (
            "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies/deny",
            "",
            ("get", "adminnetworkpolicies"),
        ),
        ("/apis/policy.networking.k8s.io", "", None),
        ("/api/v1", "", None),
        ("/apis/networking.k8s.io/v1", "", None),
        ("/apis", "", None),
        ("/version", "", None),
        ("/healthz", "", None),
    ],
)
def test_classify_names_verb_and_resource(
    path: str, query: str, expected: tuple[str, str] | None
) -> None:
    assert classify(path, query) == expected


@dataclass
class Req:
    path: str
    query: str


def test_by_kind_counts_each_verb_and_resource() -> None:
    record = [
        Req("/api/v1/pods", "limit=1"),
        Req("/api/v1/pods", "watch=1"),
        Req("/api/v1/pods", "limit=1"),
        Req("/api/v1/services", "limit=1"),
        Req("/version", ""),
    ]
    assert by_kind(record) == {("list", "pods"): 2, ("watch", "pods"): 1, ("list", "services"): 1}
