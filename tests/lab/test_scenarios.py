"""Scenario files: parsing, errors, every built-in scenario starting with a working data plane."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kpath.errors import InputError
from kpath.lab.runner import LabThread
from kpath.lab.scenario import DEFAULT_NODES, builtin_names, load_scenario, parse_scenario

try:
    from tests.lab.fixtures_dataplane import MiniStore
except ImportError:
    from fixtures_dataplane import MiniStore  # type: ignore[no-redef]

REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "realworld" / "manifests"


# ---------------------------------------------------------------- parsing
def test_builtin_scenarios_cover_shop_and_every_realworld_manifest() -> None:
    names = builtin_names()
    assert names[0] == "shop"
    if not REALWORLD.is_dir():
        pytest.skip(f"real-world manifests not found at {REALWORLD}")
    assert {p.stem for p in _realworld_scenario_manifests()} <= set(names)


def _realworld_scenario_manifests() -> list[Path]:
    """Every real-world manifest, Gateway API ones (SOURCES.md section A2) included: each is a
    built-in scenario."""
    return sorted(REALWORLD.glob("*.yaml"))


def test_builtin_realworld_scenarios_carry_the_manifest_unchanged() -> None:
    if not REALWORLD.is_dir():
        pytest.skip(f"real-world manifests not found at {REALWORLD}")
    for path in _realworld_scenario_manifests():
        scenario = load_scenario(path.stem)
        assert "commit" in scenario.description and "(" in scenario.description
        original = path.read_text()
        shipped = (
            Path(__file__).resolve().parents[2] / "kpath" / "lab" / "scenarios" / path.name
        ).read_text()
        assert shipped.endswith(original), path.name


def test_scenario_without_header_gets_default_nodes() -> None:
    scenario = parse_scenario(
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n", default_name="plain"
    )
    assert scenario.name == "plain"
    assert scenario.nodes == DEFAULT_NODES
    assert len({n.zone for n in scenario.nodes}) == 2
    assert [m["kind"] for m in scenario.manifests] == ["Service"]


def test_header_fields() -> None:
    scenario = parse_scenario(
        "kind: LabScenario\nname: x\nnodes: [{name: a, zone: z, ready: false}]\n"
        "faults: [{kind: slow, node: a, delay: 0.5}]\nmaxReplicas: 2\n"
        "pendingLoadBalancers: [default/lb]\ningressController: {classes: [nginx]}\n---\n"
        "kind: Namespace\nmetadata: {name: n}\n"
    )
    assert scenario.nodes[0].ready is False
    assert scenario.faults[0].delay == 0.5
    assert scenario.max_replicas == 2 and scenario.pending == ("default/lb",)
    assert scenario.ingress is not None and scenario.ingress.classes == ("nginx",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: LabScenario\nname: [unclosed\n", "line"),
        ("kind: LabScenario\nbogus: 1\n", "unknown header field"),
        ("kind: Service\nmetadata: {name: a}\n---\nkind: LabScenario\n", "first document"),
        ("kind: LabScenario\nfaults: [{kind: explode}]\n", "unknown fault kind"),
        ("kind: LabScenario\nfaults: [{kind: pod-hang, pod: nons}]\n", "namespace/name"),
        ("kind: LabScenario\nfaults: [{kind: slow, node: a}]\n", "positive"),
        ("kind: LabScenario\nnodes: [{zone: z}]\n", "needs a name"),
        ("kind: LabScenario\nnodes: [{name: a}, {name: a}]\n", "unique"),
        ("- just\n- a list\n", "not a mapping"),
        ("kind: LabScenario\nfaults: [{kind: [slow]}]\n", "unknown fault kind"),
        ("kind: LabScenario\nmaxReplicas: true\n", "maxReplicas must be an integer"),
        ("kind: List\nitems: 5\n", "a List's items must be a list of objects"),
        (
            "kind: List\nitems: [{kind: Service, metadata: {name: a}, spec: {ports: 5}}]\n",
            r"Service default/a: spec\.ports is a number, not a list",
        ),
    ],
)
def test_bad_scenarios_are_one_line_input_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_scenario(text, origin="bad.yaml")
    assert "\n" not in str(caught.value)


def test_unknown_scenario_names_the_builtins(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="shop"):
        load_scenario("no-such-scenario")
    with pytest.raises(InputError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    own = tmp_path / "mine.yaml"
    own.write_text("kind: Namespace\nmetadata: {name: mine}\n")
    assert load_scenario(own).name == "mine"


DUMPS = Path(__file__).resolve().parents[1] / "data" / "dumps"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("bomb.yaml", "alias bomb"),
        ("self-alias.yaml", "self-referencing alias"),
        ("python-tag.yaml", "is not allowed"),
        ("pasted-without-separator.yaml", "duplicate key"),
    ],
)
def test_scenario_files_are_read_as_guardedly_as_dumps(name: str, words: str) -> None:
    with pytest.raises(InputError, match=words) as caught:
        load_scenario(DUMPS / name)
    message = str(caught.value)
    assert message.startswith(f"scenario {DUMPS / name}: ") and "\n" not in message


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            "kind: Service\nmetadata: {name: a}\nspec: {ports: 5}\n",
            "Service default/a: spec.ports is a number, not a list",
        ),
        (
            "kind: Service\nmetadata: {name: a}\nspec: [1]\n",
            "Service default/a: spec is a list, not a mapping",
        ),
        (
            "kind: Ingress\nmetadata: {name: i, namespace: n}\nspec: {rules: [{host: [null]}]}\n",
            "Ingress n/i: spec.rules[0].host is a list, not a string",
        ),
        (
            "kind: Deployment\nmetadata: {name: d}\nspec: {replicas: '3'}\n",
            "Deployment default/d: spec.replicas is a string, not a number of replicas",
        ),
        (
            "kind: Deployment\nmetadata: {name: d}\n"
            "spec: {template: {spec: {containers: [{ports: [{containerPort: x}]}]}}}\n",
            "Deployment default/d: spec.template.spec.containers[0].ports[0].containerPort is a "
            "string",
        ),
    ],
)
def test_a_manifest_of_the_wrong_type_is_one_line_naming_it(manifest: str, message: str) -> None:
    """The lab's scheduler would fail deep inside (a traceback); kpath's parser says where."""
    with pytest.raises(InputError) as caught:
        parse_scenario(manifest, origin="bad.yaml")
    assert str(caught.value).startswith(f"scenario bad.yaml: {message}")


#: Prints the exit code, the peak memory (KiB) and the stderr of the command it runs.
_PEAK = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output="
    "True, text=True, timeout=120); print(r.returncode); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(r.stderr, end='')"
)


def test_kpath_lab_refuses_an_alias_bomb_in_one_line_without_growing() -> None:
    """Before, the lab expanded the bomb (past 2 GB) and ignored SIGTERM meanwhile."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _PEAK,
            sys.executable,
            "-m",
            "kpath",
            "lab",
            "--scenario",
            str(DUMPS / "bomb.yaml"),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
    )
    code, peak_kib, *stderr = done.stdout.splitlines()
    assert code == "2"
    assert len(stderr) == 1 and stderr[0].startswith("kpath: error: scenario ")
    assert "alias bomb" in stderr[0]
    assert int(peak_kib) < 400 * 1024  # Python and kpath's imports; the bomb is gigabytes


# ---------------------------------------------------------------- every scenario starts
def _listening(ip: str, port: int, source: str | None = None) -> bool:
    with socket.socket() as sock:
        if source is not None:
            sock.bind((source, 0))
        sock.settimeout(2)
        return sock.connect_ex((ip, port)) == 0


async def _objects(lab: LabThread, kind: str) -> list[dict[str, Any]]:
    return lab.lab.store.list(kind)


@pytest.mark.lab
@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_scenario_starts_and_serves_its_ready_endpoints(name: str) -> None:
    with LabThread(name, serve_api=False, store=MiniStore()) as lab:
        privileged = [w for w in lab.lab.warnings if "Permission" in w or "denied" in w]
        assert lab.lab.warnings == privileged  # only low ports may fail, and only without root
        assert len(lab.call(_objects(lab, "Node"))) == len(lab.lab.scenario.nodes)
        for pod in lab.call(_objects(lab, "Pod")):
            assert pod["status"]["phase"] == "Running", pod["metadata"]["name"]
        checked = 0
        # Under NetworkPolicy, ask from the endpoint's own node: the API always lets it in.
        policed = bool(lab.call(_objects(lab, "NetworkPolicy")))
        nodes = {n.name: n.address for n in lab.nodes}
        for sl in lab.call(_objects(lab, "EndpointSlice")):
            for port in sl["ports"]:
                if port["protocol"] != "TCP" or (os.geteuid() != 0 and port["port"] < 1024):
                    continue
                for ep in sl["endpoints"]:
                    if ep["conditions"]["ready"]:
                        source = nodes[ep["nodeName"]] if policed else None
                        assert _listening(ep["addresses"][0], port["port"], source), (sl, port)
                        checked += 1
        has_ready = any(
            ep["conditions"]["ready"]
            for sl in lab.call(_objects(lab, "EndpointSlice"))
            for ep in sl["endpoints"]
        )
        assert checked > 0 or not has_ready


@pytest.mark.lab
def test_shop_has_every_feature_the_demo_promises() -> None:
    with LabThread("shop", serve_api=False, store=MiniStore()) as lab:

        def get(kind: str, name: str, ns: str = "shop") -> dict[str, Any]:
            found = lab.call(_sync_get(lab, kind, ns, name))
            assert found is not None, name
            return found

        assert get("Service", "storefront")["status"]["loadBalancer"]["ingress"]
        assert get("Service", "admin")["spec"]["ports"][0]["nodePort"] == 30080
        checkout = get("Service", "checkout")["spec"]
        assert checkout["externalTrafficPolicy"] == "Local" and checkout["healthCheckNodePort"]
        assert get("Service", "inventory")["spec"]["internalTrafficPolicy"] == "Local"
        slices = {
            s["metadata"]["labels"]["kubernetes.io/service-name"]: s
            for s in lab.call(_objects(lab, "EndpointSlice"))
        }
        assert slices["reviews"]["endpoints"] == []  # the broken selector
        assert all("hints" in ep for ep in slices["payments"]["endpoints"])
        assert {ep["nodeName"] for ep in slices["checkout"]["endpoints"]} == {"node-a", "node-b"}
        assert {ep["nodeName"] for ep in slices["search"]["endpoints"]} == {"node-c"}
        ingress = get("Ingress", "shop")
        assert len({r["host"] for r in ingress["spec"]["rules"]}) == 2
        assert ingress["status"]["loadBalancer"]["ingress"]
        assert [f.kind for f in lab.lab.faults] == ["pod-hang"]


@pytest.mark.lab
def test_netpol_shop_has_the_policies_its_header_promises() -> None:
    with LabThread("netpol-shop", serve_api=False, store=MiniStore()) as lab:
        policies = {
            (p["metadata"]["namespace"], p["metadata"]["name"])
            for p in lab.call(_objects(lab, "NetworkPolicy"))
        }
        assert {
            ("shop", "default-deny"),
            ("shop", "allow-from-ingress-nginx"),
            ("shop", "allow-office-reports"),
            ("shop", "allow-metrics"),
            ("ingress-nginx", "controller-egress"),
        } <= policies
        reports = lab.call(_sync_get(lab, "Service", "shop", "reports"))["spec"]
        admin = lab.call(_sync_get(lab, "Service", "shop", "admin"))["spec"]
        assert reports.get("externalTrafficPolicy", "Cluster") == "Cluster"
        assert admin["externalTrafficPolicy"] == "Local"
        labels = {p["metadata"]["labels"].get("app") for p in lab.call(_objects(lab, "Pod"))}
        assert "metrics-exporter" not in labels and "payment" not in labels  # the plants
        assert lab.lab.dataplane is not None and lab.lab.dataplane.gated()


async def _sync_get(lab: LabThread, kind: str, ns: str, name: str) -> Any:
    return lab.lab.store.get(kind, ns, name)


def test_a_scenario_network_policy_of_the_wrong_type_is_one_line() -> None:
    from kpath.lab.scenario import parse_scenario

    bad = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: shop}\n"
        "spec: {podSelector: {}, ingress: [{ports: [{port: 0}]}]}\n"
    )
    with pytest.raises(InputError) as caught:
        parse_scenario(bad, origin="np.yaml")
    assert str(caught.value) == (
        "scenario np.yaml: NetworkPolicy shop/p: spec.ingress[0].ports[0].port is a number, "
        "not a port number (1-65535) or name"
    )
    # Calico's NetworkPolicy has another shape: not read as networking.k8s.io's.
    calico = bad.replace("networking.k8s.io/v1", "crd.projectcalico.org/v1")
    assert parse_scenario(calico, origin="np.yaml").manifests
