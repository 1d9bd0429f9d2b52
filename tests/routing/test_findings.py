"""Findings: each rule fires on the case it describes, names the objects, and stays quiet
otherwise. Percentages in cross-node findings are checked against a hand count."""

from __future__ import annotations

import re

import pytest

from kpath.cluster.raw import RawCluster
from kpath.cluster.snapshot import build_snapshot
from kpath.routing.analysis import Analysis, analyse
from kpath.routing.findings import RULES, Severity
from tests.builders import (
    Obj,
    analysed,
    endpoint,
    endpointslice,
    key,
    node,
    pod,
    service,
)

NODES = (node("n1", "z1"), node("n2", "z1"), node("n3", "z2"))


def found(a: Analysis, code: str) -> list[str]:
    return [f.message for f in a.findings if f.code == code]


def test_rule_table_is_consistent() -> None:
    assert all(re.fullmatch(r"KP[1-5]\d\d", c) for c in RULES)
    # KP401-KP405 are the probes' (kpath.probe.evidence); a route code never reuses one.
    from kpath.probe.evidence import PROBE_RULES

    assert not set(RULES) & set(PROBE_RULES)
    assert len({name for name, _ in RULES.values()}) == len(RULES)
    assert all(isinstance(sev, Severity) for _, sev in RULES.values())


# ---------------------------------------------------------------- selectors and readiness


def test_selector_matches_no_pod_names_the_closest_pod_and_the_differing_label() -> None:
    a = analysed(
        *NODES,
        service("web", selector={"app": "web", "tier": "back"}),
        pod("web-1", "n1", "10.1.0.1", labels={"app": "web", "tier": "front"}),
        pod("db-1", "n2", "10.1.0.2", labels={"app": "db"}),
        endpointslice("web", []),
    )
    (msg,) = found(a, "KP103")
    assert msg.startswith("shop/web: selector app=web,tier=back matches no pod")
    assert "closest: web-1" in msg and "tier='front' (wants 'back')" in msg
    assert "db-1" not in msg
    (f,) = [f for f in a.findings if f.code == "KP103"]
    assert (f.service, f.severity) == (key("web"), Severity.ERROR)


def test_selector_whose_keys_no_pod_carries() -> None:
    a = analysed(
        *NODES,
        service("web", selector={"team": "x"}),
        pod("web-1", "n1", "10.1.0.1"),
        endpointslice("web", []),
    )
    (msg,) = found(a, "KP103")
    assert "no pod in the namespace carries any of its label keys" in msg


def test_pods_in_another_namespace_do_not_count() -> None:
    a = analysed(
        *NODES, service("web"), pod("web-1", "n1", "10.1.0.1", ns="other"), endpointslice("web", [])
    )
    assert len(found(a, "KP103")) == 1


@pytest.mark.parametrize(
    ("eps", "code", "words"),
    [
        pytest.param(
            [endpoint("10.1.0.1", "n1", ready=False)],
            "KP102",
            ["shop/web port 80/TCP", "1 not ready", "refused"],
            id="none-ready",
        ),
        pytest.param(
            [endpoint("10.1.0.1", "n1", ready=False, serving=True, terminating=True)],
            "KP104",
            ["shop/web port 80/TCP", "terminating"],
            id="only-terminating",
        ),
    ],
)
def test_readiness_findings(eps: list[Obj], code: str, words: list[str]) -> None:
    a = analysed(*NODES, service("web"), pod("a", "n1", "10.1.0.1"), endpointslice("web", eps))
    codes = {f.code for f in a.findings}
    assert code in codes and ({"KP102", "KP104"} - {code}).isdisjoint(codes)
    (msg,) = found(a, code)
    for w in words:
        assert w in msg


def test_selected_pods_none_ready_is_kp102_not_kp103() -> None:
    a = analysed(
        *NODES, service("web"), pod("a", "n1", "10.1.0.1", ready=False), endpointslice("web", [])
    )
    assert found(a, "KP103") == []
    (msg,) = found(a, "KP102")
    assert "1 pod(s) selected" in msg


def test_healthy_service_has_no_service_findings() -> None:
    a = analysed(
        *NODES,
        service("web"),
        pod("a", "n1", "10.1.0.1"),
        endpointslice("web", [endpoint("10.1.0.1", "n1", "a")]),
    )
    assert [f.code for f in a.findings if f.service == key("web")] == []


def test_selectorless_service_without_endpoints_is_kp102() -> None:
    a = analysed(*NODES, {**service("ext"), "spec": {"ports": [{"port": 80}]}})
    (msg,) = found(a, "KP102")
    assert "shop/ext" in msg and "no selector" in msg


# ---------------------------------------------------------------- cross-node shares


def test_cross_node_share_per_service_and_for_the_cluster() -> None:
    # web (Cluster, endpoints on n1 and n2): n1 and n2 each send half away, n3 all of it:
    # (0.5 + 0.5 + 1) / 3 = 67%. api (Local, a pod on every node): nothing crosses.
    a = analysed(
        *NODES,
        service("web", "NodePort"),
        endpointslice("web", [endpoint("10.1.0.1", "n1"), endpoint("10.1.0.2", "n2")]),
        service("api", "NodePort", etp="Local"),
        endpointslice(
            "api",
            [endpoint("10.2.0.1", "n1"), endpoint("10.2.0.2", "n2"), endpoint("10.2.0.3", "n3")],
        ),
    )
    kp109 = [f for f in a.findings if f.code == "KP109"]
    assert [(f.service, f.message.split(":")[1].strip().split()[0]) for f in kp109] == [
        (key("web"), "67%")
    ]
    # Cluster: crossing 2.0 of 6 node paths = 33%.
    (msg,) = found(a, "KP303")
    assert msg.startswith("cluster: 33% of external traffic")


def test_no_cross_node_findings_without_external_entries() -> None:
    a = analysed(*NODES, service("web"), endpointslice("web", [endpoint("10.1.0.1", "n1")]))
    assert found(a, "KP109") == found(a, "KP303") == []


# ---------------------------------------------------------------- input-level findings


def _analyse_raw(
    objects: list[Obj], kinds: tuple[str, ...], not_visible: dict[str, str] | None = None
) -> Analysis:
    raw = RawCluster(origin="test", not_visible=not_visible or {})
    for k in kinds:
        raw.saw(k)
    for o in objects:
        raw.add(o["kind"], o)
    return analyse(build_snapshot(raw))


def test_no_endpoint_data_is_said_once_kp304() -> None:
    a = _analyse_raw([*NODES, service("web"), service("api")], ("Node", "Service"))
    assert len(found(a, "KP304")) == 1
    assert found(a, "KP102") == found(a, "KP103") == []


def test_kind_not_visible_kp301() -> None:
    a = _analyse_raw(
        [*NODES, service("web")],
        ("Node", "Service", "Pod"),
        not_visible={"EndpointSlice": "HTTP 403 Forbidden"},
    )
    (msg,) = found(a, "KP301")
    assert msg == (
        "endpointslices not visible: endpoints derived from pod selectors and "
        "readiness (HTTP 403 Forbidden)"
    )


def test_without_pods_no_endpoints_gives_no_pod_counts_kp102() -> None:
    a = _analyse_raw(
        [*NODES, service("web")],
        ("Node", "Service", "EndpointSlice"),
        not_visible={"Pod": "forbidden"},
    )
    (msg,) = found(a, "KP102")
    assert msg == (
        "shop/web: no endpoints (pods not read, so not why): every connection is refused"
    )
    assert found(a, "KP103") == []


def test_derived_endpoints_kp302_counts_services() -> None:
    a = _analyse_raw(
        [
            *NODES,
            service("web"),
            service("api", selector={"app": "api"}),
            pod("a", "n1", "10.1.0.1"),
        ],
        ("Node", "Pod", "Service"),
    )
    (msg,) = found(a, "KP302")
    assert "of 2 service(s)" in msg


def test_a_port_without_endpoints_is_kp102_even_when_other_ports_have_some() -> None:
    # The slice names its port "web"; the service's second port "metrics" has no slice
    # port, so kube-proxy has no endpoint for it and every node rejects it.
    ports = [
        {"name": "web", "port": 80, "targetPort": 8080, "protocol": "TCP"},
        {"name": "metrics", "port": 9100, "targetPort": 9100, "protocol": "TCP"},
    ]
    a = analysed(
        *NODES,
        service("web", ports=ports),
        pod("a", "n1", "10.1.0.1"),
        endpointslice("web", [endpoint("10.1.0.1", "n1", "a")], port_name="web"),
    )
    (f,) = [f for f in a.findings if f.code == "KP102"]
    assert f.port == "metrics:9100/TCP"
    assert "shop/web port metrics:9100/TCP" in f.message and "refused" in f.message


def test_ready_pods_without_published_endpoints_are_not_called_unready() -> None:
    a = analysed(
        *NODES, service("web"), pod("a", "n1", "10.1.0.1"), pod("b", "n2", "10.1.0.2", ready=False)
    )
    (msg,) = found(a, "KP102")
    assert "2 pod(s) selected, 1 ready" in msg and "none ready" not in msg


def test_kp103_names_the_pods_one_letter_off_first() -> None:
    # The case: app=review, with reviews-* pods among admin, cart-redis and catalog.
    a = analysed(
        *NODES,
        service("review", selector={"app": "review"}),
        pod("admin-1", "n1", "10.1.0.1", labels={"app": "admin"}),
        pod("cart-redis-1", "n1", "10.1.0.2", labels={"app": "cart-redis"}),
        pod("catalog-1", "n2", "10.1.0.3", labels={"app": "catalog"}),
        pod("reviews-2", "n2", "10.1.0.5", labels={"app": "reviews"}),
        pod("reviews-1", "n1", "10.1.0.4", labels={"app": "reviews"}),
        endpointslice("review", []),
    )
    (msg,) = found(a, "KP103")
    assert msg == (
        "shop/review: selector app=review matches no pod; closest: reviews-1, "
        "reviews-2 — app=reviews, one letter off"
    )


def test_kp103_a_near_key_counts_its_letters_too() -> None:
    a = analysed(
        *NODES,
        service("web", selector={"app": "web", "tier": "back"}),
        pod("web-1", "n1", "10.1.0.1", labels={"apps": "web", "tier": "back"}),
        pod("web-2", "n1", "10.1.0.2", labels={"app": "wob", "tier": "front"}),
        endpointslice("web", []),
    )
    (msg,) = found(a, "KP103")
    assert msg.endswith("; closest: web-1 — apps=web, one letter off")
