"""Reading NetworkPolicies live from the lab's API server: in the scope read, paged, the
Namespaces only when a policy selects by namespace; the not-evaluated policy kinds only
where their group is served; what RBAC forbids is "not visible"; watches follow policies."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kpath.cli import main
from kpath.cluster.informer import plan_streams
from kpath.cluster.live import LiveOptions, load_live
from kpath.cluster.netpol import OtherPolicy
from kpath.cluster.raw import RawCluster
from kpath.cluster.snapshot import build_snapshot
from kpath.lab.apiserver import RecordedRequest, ServerThread
from kpath.lab.rbac import Policy, Rule, load_policy
from kpath.lab.resources import POLICY_API_RESOURCES, RESOURCES
from kpath.lab.store import Store
from tests.integration.following import following
from tests.lab.conftest import wait_for_watchers

pytestmark = pytest.mark.lab

Obj = dict[str, Any]
NP = "/apis/networking.k8s.io/v1"
ANP = "/apis/policy.networking.k8s.io"
RBAC_YAML = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def policy(name: str, ns: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"podSelector": {}, **spec},
    }


def admin(kind: str, name: str) -> Obj:
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {
            "priority": 10,
            "subject": {"namespaces": {}},
            "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}],
        },
    }


def objects(*extra: Obj) -> list[Obj]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"team": "shop"}},
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ops"}},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "type": "ClusterIP",
                "clusterIP": "10.96.0.10",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "protocol": "TCP"}],
            },
        },
        policy("deny-all", "shop", policyTypes=["Ingress", "Egress"]),
        policy(
            "allow-web",
            "shop",
            podSelector={"matchLabels": {"app": "web"}},
            ingress=[
                {
                    "from": [{"podSelector": {"matchLabels": {"role": "fe"}}}],
                    "ports": [{"port": "http"}],
                }
            ],
        ),
        policy("monitoring", "ops", ingress=[{"from": [{"ipBlock": {"cidr": "10.1.2.3/8"}}]}]),
        *extra,
    ]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., tuple[ServerThread, Path]]]:
    running: list[ServerThread] = []

    def start(objs: list[Obj], **kwargs: Any) -> tuple[ServerThread, Path]:
        store = Store()
        for o in objs:
            store.put(json.loads(json.dumps(o)))
        st = ServerThread(store, **kwargs)
        st.start()
        running.append(st)
        return st, st.server.write_kubeconfig(tmp_path / f"kc{len(running)}")

    yield start
    for st in running:
        st.stop()


def read(st: ServerThread, kc: Path, **options: Any) -> tuple[RawCluster, list[RecordedRequest]]:
    before = len(st.server.requests)
    raw = load_live(LiveOptions(kubeconfig=str(kc), **options))
    return raw, list(st.server.requests)[before:]


def paths(requests: list[RecordedRequest]) -> list[str]:
    return [r.path for r in requests]


def test_policies_are_read_in_all_namespaces(serve: Any) -> None:
    st, kc = serve(objects())
    raw, requests = read(st, kc, all_namespaces=True)
    snap = build_snapshot(raw)
    assert sorted(str(p.key) for p in snap.network_policies) == [
        "ops/monitoring",
        "shop/allow-web",
        "shop/deny-all",
    ]
    allow = next(p for p in snap.network_policies if p.name == "allow-web")
    assert allow.ingress[0].ports[0].port == "http"
    monitoring = snap.policies_by_namespace["ops"][0]
    assert monitoring.ingress[0].peers[0].ip_block.cidr == "10.1.2.3/8"  # as stored
    assert raw.not_visible == {} and snap.other_policies == ()
    # One list of policies; no policy selects by namespace, so no Namespaces; no group of
    # the not-evaluated kinds is served, so nothing more than the one list of groups.
    assert paths(requests).count(f"{NP}/networkpolicies") == 1
    assert "/api/v1/namespaces" not in paths(requests)
    assert not any(p.startswith(ANP) for p in paths(requests))
    assert paths(requests).count("/apis") == 1


def test_a_namespace_selector_reads_the_namespaces(serve: Any) -> None:
    by_ns = policy(
        "from-team",
        "shop",
        ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "shop"}}}]}],
    )
    st, kc = serve(objects(by_ns))
    raw, requests = read(st, kc, all_namespaces=True)
    assert paths(requests).count("/api/v1/namespaces") == 1
    snap = build_snapshot(raw)
    assert snap.namespaces["shop"].labels["team"] == "shop"


def test_policies_are_paged(serve: Any) -> None:
    st, kc = serve(objects())
    raw, requests = read(st, kc, all_namespaces=True, page_size=1)
    lists = [r for r in requests if r.path == f"{NP}/networkpolicies"]
    assert len(lists) == 3 and all("limit=1" in r.query for r in lists)
    assert len(raw.objects["NetworkPolicy"]) == 3


def test_one_namespace_reads_its_policies_only(serve: Any) -> None:
    st, kc = serve(objects())
    raw, requests = read(st, kc, namespace="ops")
    assert [o["metadata"]["name"] for o in raw.objects["NetworkPolicy"]] == ["monitoring"]
    assert f"{NP}/namespaces/ops/networkpolicies" in paths(requests)
    # Items of a list carry no kind on a real server; kpath fills it in, as kubectl does.
    assert raw.objects["NetworkPolicy"][0]["apiVersion"] == "networking.k8s.io/v1"


def test_forbidden_policies_are_not_visible(
    serve: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    st, kc = serve(objects(), deny=("networkpolicies",))
    raw, _ = read(st, kc, all_namespaces=True)
    assert raw.not_visible["NetworkPolicy"].startswith("forbidden: ")
    assert "NetworkPolicy" not in raw.objects
    assert raw.objects["Service"]  # the rest is read as ever
    monkeypatch.setenv("COLUMNS", "300")
    assert main(["paths", "-A", "--kubeconfig", str(kc)]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "KP301" in x)
    assert "networkpolicies not visible: NetworkPolicy verdicts cannot be computed" in line


def test_admin_network_policies_are_read_where_served(
    serve: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    objs = objects(
        admin("AdminNetworkPolicy", "deny-ops"), admin("BaselineAdminNetworkPolicy", "default")
    )
    st, kc = serve(objs, resources=RESOURCES + POLICY_API_RESOURCES)
    raw, requests = read(st, kc, all_namespaces=True)
    snap = build_snapshot(raw)
    assert sorted(snap.other_policies) == [
        OtherPolicy("AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1", None, "deny-ops"),
        OtherPolicy(
            "BaselineAdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1", None, "default"
        ),
    ]
    # The group's versions came with /apis: one resource list, then the two lists.
    assert sorted(p for p in paths(requests) if p.startswith(ANP)) == [
        f"{ANP}/v1alpha1",
        f"{ANP}/v1alpha1/adminnetworkpolicies",
        f"{ANP}/v1alpha1/baselineadminnetworkpolicies",
    ]
    assert main(["paths", "-A", "-o", "json", "--kubeconfig", str(kc)]) == 0
    found = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "KP503"]
    assert [f["message"] for f in found] == [
        "1 AdminNetworkPolicy (policy.networking.k8s.io) not evaluated: kpath's NetworkPolicy "
        "verdicts leave it out, and it may allow or block traffic (deny-ops)",
        "1 BaselineAdminNetworkPolicy (policy.networking.k8s.io) not evaluated: kpath's "
        "NetworkPolicy verdicts leave it out, and it may allow or block traffic (default)",
    ]
    assert {f["severity"] for f in found} == {"info"}


def test_forbidden_admin_network_policies_are_not_visible(serve: Any) -> None:
    """The shipped ClusterRole without its policy.networking.k8s.io rule."""
    role = load_policy(RBAC_YAML)
    without = Policy(
        "no-anp",
        "ClusterRole",
        tuple(r for r in role.rules if "policy.networking.k8s.io" not in r.api_groups),
    )
    assert len(without.rules) == len(role.rules) - 1
    st, kc = serve(
        objects(admin("AdminNetworkPolicy", "x")),
        resources=RESOURCES + POLICY_API_RESOURCES,
        rbac=without,
    )
    raw, _ = read(st, kc, all_namespaces=True)
    assert set(raw.not_visible) == {"AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}
    assert raw.not_visible["AdminNetworkPolicy"].startswith("forbidden: ")
    assert len(raw.objects["NetworkPolicy"]) == 3


def test_the_shipped_cluster_role_reads_every_policy(serve: Any) -> None:
    st, kc = serve(
        objects(admin("AdminNetworkPolicy", "x")),
        resources=RESOURCES + POLICY_API_RESOURCES,
        rbac=load_policy(RBAC_YAML),
    )
    raw, requests = read(st, kc, all_namespaces=True)
    assert raw.not_visible == {} and {r.status for r in requests} == {200}
    assert [p.name for p in build_snapshot(raw).other_policies] == ["x"]


def test_the_shipped_role_reads_policies_in_its_namespace(serve: Any) -> None:
    st, kc = serve(objects(), rbac=load_policy(RBAC_YAML, "Role", namespace="shop"))
    raw, requests = read(st, kc, namespace="shop")
    assert sorted(o["metadata"]["name"] for o in raw.objects["NetworkPolicy"]) == [
        "allow-web",
        "deny-all",
    ]
    assert "NetworkPolicy" not in raw.not_visible
    assert {r.status for r in requests if r.path.endswith("/networkpolicies")} == {200}


def test_a_role_without_policies_keeps_the_rest(serve: Any) -> None:
    only = Policy(
        "some",
        "ClusterRole",
        (Rule(frozenset({""}), frozenset({"services"}), frozenset({"list"})),),
    )
    st, kc = serve(objects(), rbac=only)
    raw, _ = read(st, kc, all_namespaces=True)
    assert "NetworkPolicy" in raw.not_visible and raw.objects["Service"]


def test_the_follow_hears_network_policies(serve: Any) -> None:
    st, kc = serve(objects())
    options = LiveOptions(kubeconfig=str(kc), all_namespaces=True)
    raw = load_live(options)
    with following(options, raw) as (delivered, _):
        wait_for_watchers(st, len(plan_streams(raw, None)))  # a change before would be missed
        st.call(st.store.put, policy("new", "shop"))
        assert delivered.wait(
            lambda: any(c.kind == "NetworkPolicy" for c in delivered.changes())
        ), delivered.events
    assert "NetworkPolicy" in {w.kind for w in st.server.watches.opened}
