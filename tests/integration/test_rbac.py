"""kpath with exactly the permissions deploy/rbac.yaml grants, enforced by the lab's API server.

With the ClusterRole everything works as without any restriction (the same table, the same
JSON, watches and probes through ``pods/…/proxy``), and kpath uses what it grants and
nothing else. With the namespaced Role, ``kpath paths -n NS`` works in that namespace and
says what it cannot see.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kpath.cli import main
from kpath.cluster.access import api_access
from kpath.cluster.informer import plan_streams
from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.snapshot import build_snapshot
from kpath.lab.apiserver import RecordedRequest, serve_in_thread
from kpath.lab.rbac import Policy, load_policy
from kpath.lab.runner import LabThread
from kpath.lab.store import Store
from kpath.probe.plan import HopKind, PlanOptions, ProbeTarget, plan_probes
from kpath.probe.prober import Outcome, ProbeOptions, ProbeResult, run_probes
from kpath.probe.run import api_of, service_paths
from kpath.routing.analysis import analyse
from tests.integration.following import following
from tests.lab.conftest import wait_for_watchers

pytestmark = pytest.mark.lab

RBAC_YAML = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"
CLUSTER_ROLE = load_policy(RBAC_YAML)
ROLE_IN_SHOP = load_policy(RBAC_YAML, "Role", namespace="shop")
T = TypeVar("T")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabThread, Path]]:
    with LabThread("shop") as running:
        yield running, running.write_kubeconfig(tmp_path_factory.mktemp("rbac") / "kc")


@pytest.fixture
def shop(lab: tuple[LabThread, Path]) -> Iterator[tuple[LabThread, Path]]:
    yield lab
    lab[0].enforce(None)  # the next test starts unrestricted


def server_of(running: LabThread) -> Any:
    return running.lab._api  # the LabApiServer, to read what it recorded


def during(running: LabThread, fn: Callable[[], T]) -> tuple[T, list[RecordedRequest]]:
    requests = server_of(running).requests
    before = len(requests)
    return fn(), list(requests)[before:]


def kpath(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def resources(requests: list[RecordedRequest]) -> set[tuple[str, str]]:
    return {(r.authz.group, r.authz.combined) for r in requests if r.authz is not None}


def granted(policy: Policy) -> set[tuple[str, str]]:
    return {(g, res) for rule in policy.rules for g in rule.api_groups for res in rule.resources}


# -- the ClusterRole ----------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["table", "json"])
def test_with_the_cluster_role_paths_are_the_same_as_unrestricted(
    shop: tuple[LabThread, Path], capsys: pytest.CaptureFixture[str], output: str
) -> None:
    running, kc = shop
    argv = ("paths", "-A", "--all", "-o", output, "--kubeconfig", str(kc))
    free = kpath(capsys, *argv)
    running.enforce(CLUSTER_ROLE)
    restricted, requests = during(running, lambda: kpath(capsys, *argv))
    assert restricted == free and free[0] == 0, restricted[2]
    assert requests and {r.status for r in requests} == {200}  # nothing was refused
    assert "not visible" not in restricted[1]
    # Everything read is granted; only Endpoints (read when slices cannot be) is spare.
    assert resources(requests) == {
        ("", "nodes"),
        ("", "pods"),
        ("", "services"),
        ("discovery.k8s.io", "endpointslices"),
        ("networking.k8s.io", "ingresses"),
        ("networking.k8s.io", "ingressclasses"),
        ("networking.k8s.io", "networkpolicies"),
        *(
            ("gateway.networking.k8s.io", p)
            for p in (
                "gateways",
                "listenersets",
                "httproutes",
                "grpcroutes",
                "tlsroutes",
                "tcproutes",
                "udproutes",
                "referencegrants",
                "backendtlspolicies",
            )
        ),
    }
    # Namespaces and GatewayClasses are read only where Gateway API objects exist (or
    # policies that select by namespace); the not-evaluated policy kinds only where their
    # groups are served (this lab serves none of them).
    not_served = {
        (g, r)
        for g, r in granted(CLUSTER_ROLE)
        if g
        in ("policy.networking.k8s.io", "cilium.io", "crd.projectcalico.org", "projectcalico.org")
    }
    assert len(not_served) == 9
    assert resources(requests) | {
        ("", "endpoints"),
        ("", "pods/proxy"),
        ("", "services/proxy"),
        ("", "namespaces"),
        ("gateway.networking.k8s.io", "gatewayclasses"),
    } | not_served == granted(CLUSTER_ROLE)


def pod_hops(kc: Path, service: str, namespace: str | None = None) -> list[ProbeTarget]:
    """The pod hops kpath plans for a service, read live with the permissions in force."""
    raw = load_live(
        LiveOptions(kubeconfig=str(kc), namespace=namespace, all_namespaces=namespace is None)
    )
    analysis = analyse(build_snapshot(raw))
    plan = plan_probes(analysis.snapshot, service_paths(analysis, service), PlanOptions(samples=1))
    targets = [t for t in plan.targets if t.hop == HopKind.POD]
    assert targets, "the service has pod hops"
    return targets


def via_api(kc: Path, targets: list[ProbeTarget]) -> list[ProbeResult]:
    """Probe the pods only through the API server's pods/…/proxy, as kpath falls back to."""
    options = ProbeOptions(timeout=5.0, api=api_of(api_access(str(kc), None)), pods="api")
    return asyncio.run(run_probes(targets, options))


def test_with_the_cluster_role_probes_through_the_api_server_work(
    shop: tuple[LabThread, Path],
) -> None:
    running, kc = shop
    running.enforce(CLUSTER_ROLE)
    targets = pod_hops(kc, "shop/storefront")
    results, requests = during(running, lambda: via_api(kc, targets))
    assert {(r.via, r.outcome, r.status) for r in results} == {("api-proxy", Outcome.OK, 200)}
    proxied = [r for r in requests if r.authz is not None and r.authz.subresource == "proxy"]
    assert len(proxied) == len(results) and {r.status for r in proxied} == {200}
    # The control: without the proxy rule the same probes are refused by the server.
    running.enforce(
        Policy(
            "no-proxy",
            "ClusterRole",
            tuple(r for r in CLUSTER_ROLE.rules if "pods/proxy" not in r.resources),
        )
    )
    refused = via_api(kc, targets)
    assert {(r.via, r.status) for r in refused} == {("api-proxy", 403)}


def test_with_the_cluster_role_every_watch_is_served(tmp_path: Path) -> None:
    with serve_in_thread(Store(), rbac=CLUSTER_ROLE) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        options = LiveOptions(kubeconfig=str(kc), all_namespaces=True)
        raw = load_live(options)
        with following(options, raw):
            wait_for_watchers(st, len(plan_streams(raw, None)))
    # Stopping the server ended the streams, so each is recorded now.
    watches = [r for r in st.server.requests if r.authz is not None and r.authz.verb == "watch"]
    assert {r.authz.resource for r in watches if r.authz} >= {
        "nodes",
        "pods",
        "services",
        "endpointslices",
        "ingresses",
        "networkpolicies",
    }
    assert {r.status for r in st.server.requests} == {200}


# -- the namespaced Role ------------------------------------------------------------------------


def test_with_the_role_paths_in_its_namespace_work_and_say_what_is_not_visible(
    shop: tuple[LabThread, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running, kc = shop
    monkeypatch.setenv("COLUMNS", "300")  # findings on one line each
    argv = ("paths", "-n", "shop", "--all", "--kubeconfig", str(kc))
    free = json.loads(kpath(capsys, *argv, "-o", "json")[1])
    running.enforce(ROLE_IN_SHOP)
    (code, out, err), requests = during(running, lambda: kpath(capsys, *argv))
    assert code == 0, err
    assert {(r.authz.combined, r.status) for r in requests if r.authz} == {
        ("nodes", 403),
        ("ingressclasses", 403),
        ("pods", 200),
        ("services", 200),
        ("endpointslices", 200),
        ("ingresses", 200),
        ("networkpolicies", 200),
        # -n shop is checked against the cluster's namespaces (refused: no check), and
        # the Ingress's controller is looked for in every namespace's Services (refused).
        ("namespaces", 403),
        ("services", 403),
        # Gateway API (no object here, so neither classes nor Namespaces are asked for)
        *(
            (k, 200)
            for k in (
                "gateways",
                "listenersets",
                "httproutes",
                "grpcroutes",
                "tlsroutes",
                "tcproutes",
                "udproutes",
                "referencegrants",
                "backendtlspolicies",
            )
        ),
    }
    not_visible = [line.split("KP301")[1].strip() for line in out.splitlines() if "KP301" in line]
    assert [line.split(" (forbidden: ")[0] for line in not_visible] == [
        "ingressclasses not visible: Ingress controllers found by address or class name only "
        "(the class's controller and the default class are unknown)",
        "nodes not visible: NodePort hops shown by node name only and not probed (no node "
        'addresses, zones or readiness; nodes running none of the pods are "other nodes")',
    ]
    assert 'cannot list resource "nodes" in API group "" at the cluster scope' in not_visible[1]
    # The controller lives in ingress-nginx, which this Role cannot read: said so, not
    # "not found".
    (kp204,) = [line for line in out.splitlines() if "KP204" in line]
    assert (
        "outside what could be read: Services outside namespace shop could not be listed" in kp204
    )
    # Every service and way in of the namespace is still there.
    restricted = json.loads(kpath(capsys, *argv, "-o", "json")[1])
    assert set(restricted["source"]["notVisible"]) == {"Node", "IngressClass"}
    ways = [
        {(p["service"], p["entry"]["kind"]) for p in doc["paths"]} for doc in (free, restricted)
    ]
    assert ways[0] == ways[1] and len(ways[0]) > 5


def test_with_the_role_probes_through_the_api_server_work_in_its_namespace(
    shop: tuple[LabThread, Path],
) -> None:
    running, kc = shop
    running.enforce(ROLE_IN_SHOP)
    targets = pod_hops(kc, "shop/storefront", namespace="shop")
    results = via_api(kc, targets)
    assert {(r.via, r.outcome, r.status) for r in results} == {("api-proxy", Outcome.OK, 200)}
    # The control: the same Role bound in another namespace does not reach these pods.
    running.enforce(ROLE_IN_SHOP.scoped("tools"))
    assert {(r.via, r.status) for r in via_api(kc, targets)} == {("api-proxy", 403)}
