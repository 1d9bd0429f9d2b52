"""The lab's RBAC: rule matching (pure), reading roles from deploy/rbac.yaml, and the API
server enforcing them over real sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from kpath.errors import InputError
from kpath.lab.apiserver import ServerThread, serve_in_thread
from kpath.lab.rbac import (
    Authorizer,
    Policy,
    Request,
    Rule,
    forbidden_message,
    load_policy,
    policy_from_documents,
)
from tests.lab.conftest import filled_store

RBAC_YAML = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"
Obj = dict[str, Any]


def rule(groups: str, resources: str, verbs: str, names: str = "") -> Rule:
    return Rule(
        frozenset(groups.split(",")),
        frozenset(resources.split(",")),
        frozenset(verbs.split(",")),
        frozenset(filter(None, names.split(","))),
    )


# -- matching (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("r", "allowed"),
    [
        (Request("list", "", "pods"), True),
        (Request("watch", "", "pods", namespace="shop"), True),
        (Request("delete", "", "pods", namespace="shop"), False),
        (Request("list", "apps", "pods"), False),  # another group
        (Request("list", "", "services"), False),
        (Request("get", "", "pods", "proxy", "shop", "web-1"), False),  # a subresource is its own
    ],
)
def test_a_rule_matches_verb_group_and_resource(r: Request, allowed: bool) -> None:
    assert rule("", "pods", "get,list,watch").matches(r) is allowed


def test_subresource_rules_and_wildcards() -> None:
    proxy = Request("get", "", "pods", "proxy", "shop", "web-1")
    assert rule("", "pods/proxy", "get").matches(proxy)
    assert rule("", "*/proxy", "get").matches(proxy)
    assert rule("*", "*", "*").matches(proxy)
    assert not rule("", "pods/proxy", "get").matches(Request("get", "", "pods", "", "shop", "x"))
    assert not rule("", "*/exec", "get").matches(proxy)


def test_resource_names_never_grant_a_collection() -> None:
    named = rule("", "pods", "get,list", "web-1")
    assert named.matches(Request("get", "", "pods", "", "shop", "web-1"))
    assert not named.matches(Request("get", "", "pods", "", "shop", "web-2"))
    assert not named.matches(Request("list", "", "pods", "", "shop"))


def test_a_role_holds_only_inside_its_namespace() -> None:
    role = Policy("r", "Role", (rule("", "pods,nodes", "list"),), "shop")
    assert role.allows(Request("list", "", "pods", namespace="shop"))
    assert not role.allows(Request("list", "", "pods", namespace="tools"))
    assert not role.allows(Request("list", "", "pods"))  # across every namespace
    assert not role.allows(Request("list", "", "nodes"))  # cluster-scoped: never by a Role
    assert role.scoped("tools").allows(Request("list", "", "pods", namespace="tools"))


def test_deny_refuses_every_verb_and_subresource_of_a_resource() -> None:
    authz = Authorizer(frozenset({"pods"}))
    assert authz.forbid(Request("list", "", "services")) is None
    assert authz.forbid(Request("get", "", "pods", "proxy", "shop", "web-1")) is not None


def test_the_403_message_reads_as_a_real_servers() -> None:
    assert forbidden_message(Request("list", "", "nodes"), "jane") == (
        'nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" '
        "at the cluster scope"
    )
    assert forbidden_message(Request("get", "", "pods", "proxy", "shop", "web-1:80")) == (
        'pods "web-1:80" is forbidden: User "kpath-lab-user" cannot get resource "pods/proxy" '
        'in API group "" in the namespace "shop"'
    )


# -- reading roles -----------------------------------------------------------------------------


def grants(policy: Policy) -> set[tuple[str, str, str]]:
    return {
        (g, r, v)
        for rl in policy.rules
        for g in rl.api_groups
        for r in rl.resources
        for v in rl.verbs
    }


READ = ("get", "list", "watch")


def test_the_shipped_cluster_role_grants_reads_of_exactly_kpaths_kinds() -> None:
    policy = load_policy(RBAC_YAML)
    assert (policy.kind, policy.name, policy.namespace) == ("ClusterRole", "kpath-reader", None)
    kinds = {
        ("", "nodes"),
        ("", "pods"),
        ("", "services"),
        ("", "endpoints"),
        ("discovery.k8s.io", "endpointslices"),
        ("networking.k8s.io", "ingresses"),
        ("networking.k8s.io", "ingressclasses"),
        ("", "namespaces"),
        *(
            ("gateway.networking.k8s.io", plural)
            for plural in (
                "gatewayclasses",
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
        ("networking.k8s.io", "networkpolicies"),
        # listed as not evaluated, where the cluster has the CRDs
        *(
            ("policy.networking.k8s.io", plural)
            for plural in (
                "adminnetworkpolicies",
                "baselineadminnetworkpolicies",
                "clusternetworkpolicies",
            )
        ),
        ("cilium.io", "ciliumnetworkpolicies"),
        ("cilium.io", "ciliumclusterwidenetworkpolicies"),
        *(
            (group, plural)
            for group in ("crd.projectcalico.org", "projectcalico.org")
            for plural in ("networkpolicies", "globalnetworkpolicies")
        ),
    }
    assert grants(policy) == (
        {(g, r, v) for g, r in kinds for v in READ}
        | {("", "pods/proxy", "get"), ("", "services/proxy", "get")}
    )


def test_the_shipped_role_is_the_cluster_role_without_cluster_scoped_kinds() -> None:
    role = load_policy(RBAC_YAML, "Role")
    assert (role.kind, role.namespace) == ("Role", "my-namespace")
    cluster = grants(load_policy(RBAC_YAML))
    assert grants(role) == {
        g
        for g in cluster
        if g[1]
        not in (
            "nodes",
            "ingressclasses",
            "namespaces",
            "gatewayclasses",
            "adminnetworkpolicies",
            "baselineadminnetworkpolicies",
            "clusternetworkpolicies",
            "ciliumclusterwidenetworkpolicies",
            "globalnetworkpolicies",
        )
    }
    assert load_policy(RBAC_YAML, "Role", namespace="shop").namespace == "shop"


@pytest.mark.parametrize(
    ("docs", "kind", "message"),
    [
        ([], "ClusterRole", "f.yaml: has no ClusterRole"),
        (
            [{"kind": "Role", "metadata": {"name": "r"}, "rules": []}],
            "Role",
            "Role r: no namespace",
        ),
        (
            [{"kind": "ClusterRole", "metadata": {"name": "a"}, "rules": "all"}],
            "ClusterRole",
            "rules: expected a list, not str",
        ),
        (
            [
                {
                    "kind": "ClusterRole",
                    "metadata": {"name": "a"},
                    "rules": [{"apiGroups": [""], "resources": [1], "verbs": ["get"]}],
                }
            ],
            "ClusterRole",
            "rule 1 resources: expected strings",
        ),
        (
            [
                {"kind": "ClusterRole", "metadata": {"name": "a"}, "rules": []},
                {"kind": "ClusterRole", "metadata": {"name": "b"}, "rules": []},
            ],
            "ClusterRole",
            "2 ClusterRoles (a, b); the lab enforces one: name it",
        ),
        ([], "Gateway", "give ClusterRole or Role"),
    ],
)
def test_unusable_role_files_are_one_line_errors(docs: list[Obj], kind: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        policy_from_documents(docs, kind, source="f.yaml")


def test_a_list_document_and_a_name_pick_the_role() -> None:
    docs = [
        {
            "kind": "List",
            "items": [
                {"kind": "ClusterRole", "metadata": {"name": "a"}, "rules": []},
                {
                    "kind": "ClusterRole",
                    "metadata": {"name": "b"},
                    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
                },
            ],
        }
    ]
    assert policy_from_documents(docs, name="b").rules == (rule("", "pods", "list"),)


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]"
        for i in range(8)
    ]
    bomb.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="alias"):
        load_policy(bomb)


# -- the API server enforcing a role -----------------------------------------------------------


def get(st: ServerThread, path: str) -> httpx.Response:
    return httpx.get(st.server.url + path, timeout=10)


@pytest.fixture
def role_api(objects: list[Obj]) -> Any:
    with serve_in_thread(
        filled_store(objects), rbac=load_policy(RBAC_YAML, "Role", namespace="shop")
    ) as st:
        yield st


def test_the_server_enforces_a_role_per_verb_resource_and_namespace(role_api: ServerThread) -> None:
    assert get(role_api, "/api/v1/namespaces/shop/pods").status_code == 200
    assert get(role_api, "/api/v1/namespaces/shop/pods/web-1").status_code == 200
    assert (
        get(role_api, "/api/v1/namespaces/shop/services?watch=1&timeoutSeconds=0").status_code
        == 200
    )
    assert get(role_api, "/apis/networking.k8s.io/v1/namespaces/shop/ingresses").status_code == 200
    for forbidden in (
        "/api/v1/pods",
        "/api/v1/nodes",
        "/api/v1/namespaces/tools/pods",
        "/apis/networking.k8s.io/v1/ingressclasses",
        "/api/v1/namespaces",
    ):
        r = get(role_api, forbidden)
        assert (r.status_code, r.json()["reason"]) == (403, "Forbidden"), forbidden
    assert get(role_api, "/api/v1/nodes").json()["message"] == (
        'nodes is forbidden: User "kpath-lab-user" cannot list resource "nodes" in API '
        'group "" at the cluster scope'
    )
    for discovery in ("/api", "/api/v1", "/apis", "/apis/discovery.k8s.io/v1", "/version"):
        assert get(role_api, discovery).status_code == 200, discovery


def test_the_server_records_what_it_authorized(role_api: ServerThread) -> None:
    get(role_api, "/api/v1/namespaces/shop/pods/web-1:8080/proxy/")
    get(role_api, "/api")
    proxy, discovery = list(role_api.server.requests)[-2:]
    assert proxy.authz == Request("get", "", "pods", "proxy", "shop", "web-1:8080")
    assert discovery.authz is None


def test_enforce_switches_the_rules_while_serving(role_api: ServerThread) -> None:
    role_api.call(role_api.server.enforce, None)
    assert get(role_api, "/api/v1/nodes").status_code == 200
    role_api.call(role_api.server.enforce, Policy("none", "ClusterRole", ()))
    assert get(role_api, "/api/v1/namespaces/shop/pods").status_code == 403
