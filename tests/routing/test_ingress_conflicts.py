"""Two Ingresses of one class claiming the same host, path and pathType (KP206, KP207)."""

from __future__ import annotations

from typing import Any

from kpath.routing.analysis import Analysis
from kpath.routing.findings import RULES, Severity
from kpath.routing.ingress_conflicts import nginx_order
from kpath.routing.scope import ViewScope
from tests.builders import Obj, backend, ingress, ingress_class, rule
from tests.routing.test_ingress import NGINX_CLASS, NGINX_LB, run

TRAEFIK = ingress_class("traefik", "traefik.io/ingress-controller")


def made(obj: Obj, when: str | None) -> Obj:
    if when is not None:
        obj["metadata"]["creationTimestamp"] = when
    return obj


def claiming(
    name: str,
    path: str = "/",
    path_type: str = "Prefix",
    *,
    ns: str = "shop",
    host: str = "shop.example.test",
    when: str | None = None,
    class_name: str = "nginx",
    port: Any = 80,
) -> Obj:
    return made(
        ingress(
            name,
            [rule(host, (path, path_type, backend("web", port)))],
            ns=ns,
            class_name=class_name,
        ),
        when,
    )


def messages(a: Analysis, code: str) -> list[str]:
    return [f.message for f in a.findings if f.code == code]


def test_ingress_nginx_serves_the_oldest_and_the_finding_names_both() -> None:
    a = run(
        NGINX_LB,
        NGINX_CLASS,
        claiming("new", when="2025-03-01T10:00:00Z", port=9000),
        claiming("old", when="2024-01-01T00:00:00Z"),
    )
    assert messages(a, "KP206") == [
        "Ingress shop/old and shop/new both claim shop.example.test/ (Prefix) on IngressClass "
        "nginx; ingress-nginx serves the oldest, shop/old (created 2024-01-01T00:00:00Z): the "
        "rule of shop/new takes no traffic"
    ]
    (f,) = [f for f in a.findings if f.code == "KP206"]
    assert (f.ingress, f.severity) == (
        next(i.key for i in a.snapshot.ingresses if i.name == "old"),
        Severity.WARNING,
    )
    assert messages(a, "KP207") == []


def test_equal_timestamps_go_to_the_last_namespace_name_as_ingress_nginx_sorts() -> None:
    same = "2024-01-01T00:00:00Z"
    a = run(NGINX_LB, NGINX_CLASS, claiming("a", when=same), claiming("b", when=same))
    (msg,) = messages(a, "KP206")
    assert "serves the oldest, shop/b" in msg and msg.endswith(
        "the rule of shop/a takes no traffic"
    )
    assert [i.name for i in nginx_order(a.snapshot.ingresses)] == ["b", "a"]


def test_without_timestamps_or_a_known_rule_the_winner_is_undefined() -> None:
    a = run(NGINX_LB, NGINX_CLASS, claiming("a"), claiming("b"))
    assert messages(a, "KP207") == [
        "Ingress shop/a and shop/b both claim shop.example.test/ (Prefix) on IngressClass "
        "nginx; ingress-nginx serves the oldest, but the input carries no creationTimestamp "
        "for each: which one is undefined here"
    ]
    a = run(
        TRAEFIK,
        claiming("a", class_name="traefik", when="2024-01-01T00:00:00Z"),
        claiming("b", class_name="traefik", ns="other", when="2025-01-01T00:00:00Z"),
    )
    (msg,) = messages(a, "KP207")
    assert msg.startswith("Ingress other/b and shop/a both claim")
    assert msg.endswith(
        "which one traefik.io/ingress-controller serves is undefined (kpath knows no rule for it)"
    )


def test_no_conflict_for_other_path_type_host_class_or_one_ingress() -> None:
    nginx2 = ingress_class("nginx-internal", "k8s.io/ingress-nginx")
    twice = ingress(
        "twice",
        [
            rule(
                "twice.example.test",
                ("/", "Prefix", backend("web", 80)),
                ("/", "Prefix", backend("web", 9000)),
            )
        ],
        class_name="nginx",
    )
    a = run(
        NGINX_LB,
        NGINX_CLASS,
        nginx2,
        claiming("prefix"),
        claiming("exact", path_type="Exact"),
        claiming("host", host="other.example.test"),
        claiming("internal", class_name="nginx-internal"),
        twice,
    )
    assert messages(a, "KP206") == messages(a, "KP207") == []


def test_hosts_compare_without_case_and_three_ingresses_are_named() -> None:
    a = run(
        NGINX_LB,
        NGINX_CLASS,
        claiming("a", when="2024-01-03T00:00:00Z"),
        claiming("b", host="SHOP.example.test", when="2024-01-02T00:00:00Z"),
        claiming("c", when="2024-01-01T00:00:00Z"),
    )
    (msg,) = messages(a, "KP206")
    assert msg.startswith("Ingress shop/c, shop/b, shop/a all claim")
    assert msg.endswith("the rule of shop/b, shop/a takes no traffic")


def test_registered_and_shown_in_the_ingress_namespace() -> None:
    assert RULES["KP206"] == ("ingress-rule-conflict", Severity.WARNING)
    assert RULES["KP207"][0] == "ingress-rule-conflict-undefined"
    a = run(NGINX_LB, NGINX_CLASS, claiming("a"), claiming("b"))
    shop = ViewScope(namespaces=frozenset({"shop"}))
    other = ViewScope(namespaces=frozenset({"other"}))
    assert [f.code for f in shop.findings(a) if f.code == "KP207"] == ["KP207"]
    assert [f.code for f in other.findings(a) if f.code == "KP207"] == []
