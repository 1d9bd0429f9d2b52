"""`kpath paths` and `kpath route` on real dumps nobody here wrote: facts read off the files."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from kpath.cli import main

DUMPS = Path(__file__).resolve().parents[2] / "shared" / "realworld" / "dumps"
HOSTILE = Path(__file__).parent / "data" / "hostile" / "hostile.json"

pytestmark = pytest.mark.skipif(not DUMPS.is_dir(), reason=f"real-world dumps not at {DUMPS}")


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_kurl_envoy_local_policy_forwards_on_every_node(capsys):
    doc = run_json(capsys, "paths", "--dump", str(DUMPS / "kurl-3node-contour-sbctl"), "-o", "json")
    assert doc["schema"] == "kpath.paths/v1"
    envoy = [
        p
        for p in doc["paths"]
        if p["service"] == "projectcontour/envoy"
        and p["entry"]["kind"] == "nodeport"
        and p["entry"]["port"] == 80
    ]
    assert len(envoy) == 1 and envoy[0]["policy"] == "Local"
    # One envoy DaemonSet pod per node: every node forwards to its own pod, none crosses.
    (group,) = envoy[0]["groups"]
    assert sorted(group["nodes"]) == [f"troubleshoot-demo-00{i}" for i in (1, 2, 3)]
    assert group["verdict"] == "forward" and group["crossNode"] is False
    assert len(group["endpoints"]) == 3
    # Addresses were redacted in the bundle: carried as unknown, not invented.
    assert all(e["address"].startswith("?:") for e in group["endpoints"])


def test_kurl_longhorn_selector_names_the_closest_pods(capsys):
    doc = run_json(capsys, "paths", "--dump", str(DUMPS / "kurl-3node-contour-sbctl"), "-o", "json")
    (f,) = [f for f in doc["findings"] if f["code"] == "KP103"]
    assert f["service"] == "longhorn-system/longhorn-frontend"
    assert "app=longhorn-ui" in f["message"]
    # Nearest by letters: longhorn-manager shares "longhorn-" (csi-attacher shares nothing).
    assert "closest: longhorn-manager-" in f["message"]
    assert "app='longhorn-manager' (wants 'longhorn-ui')" in f["message"]


def test_sonobuoy_route_crosses_to_the_dns_pods_node(capsys):
    doc = run_json(
        capsys,
        "route",
        "kube-system/kube-dns",
        "--node",
        "ip-10-0-9-206.us-west-2.compute.internal",
        "--port",
        "53/TCP",
        "--dump",
        str(DUMPS / "sonobuoy-aws-3node"),
        "-o",
        "json",
    )
    assert doc["schema"] == "kpath.route/v1"
    assert doc["external"] is None  # a ClusterIP service has no external way in
    assert doc["internal"]["verdict"] == "forward"
    assert doc["internal"]["endpoints"] == [
        {
            "address": "192.168.252.128:53",
            "pod": "kube-system/kube-dns-545bc4bfd4-t4lzx",
            "node": "ip-10-0-26-239.us-west-2.compute.internal",
            "crossNode": True,
            "terminating": False,
        }
    ]


def test_k3d_traefik_load_balancer_reaches_its_pod(capsys):
    doc = run_json(
        capsys, "paths", "--dump", str(DUMPS / "k3d-1node-traefik-troubleshoot"), "-o", "json"
    )
    lb = [
        p for p in doc["paths"] if p["entry"]["kind"] == "loadbalancer" and p["entry"]["port"] == 80
    ]
    assert [p["service"] for p in lb] == ["kube-system/traefik"]
    assert lb[0]["entry"]["addresses"] == ["172.19.0.2"]
    (group,) = lb[0]["groups"]
    # The named targetPort "web" resolves through the pod's container port to 8000.
    assert [e["address"] for e in group["endpoints"]] == ["10.42.0.149:8000"]
    assert group["nodes"] == ["k3d-mycluster-server-0"] and group["crossNode"] is False


def test_fail_on_gates_on_severity(capsys):
    minikube = str(DUMPS / "minikube-ingress-nginx-npguard")
    assert main(["paths", "--dump", minikube, "--fail-on", "error"]) == 1
    assert "default/no-pods-selected" in capsys.readouterr().out
    k3d = str(DUMPS / "k3d-1node-traefik-troubleshoot")
    assert main(["paths", "--dump", k3d, "--fail-on", "error"]) == 0


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["route", "kube-system/nope", "--node", "x"], "services in kube-system: calico-etcd"),
        (["route", "kube-system/kube-dns", "--node", "nope"], "ip-10-0-26-239.us-west-2"),
        (
            ["route", "kube-system/kube-dns", "--node", "ip-10-0-9-206.us-west-2.compute.internal"],
            "dns:53/UDP, dns-tcp:53/TCP",
        ),
        # A bare NAME is in -n's namespace, else (a dump has no context) in default.
        (["route", "kube-dns", "--node", "x"], "unknown service 'default/kube-dns'"),
        (["route", "kube-dns", "-n", "kube-system", "--node", "nope"], "ip-10-0-26-239.us-west-2"),
        (["route", "default/kube-dns", "-n", "kube-system", "--node", "x"], "-n says"),
    ],
)
def test_route_usage_errors_name_what_exists(capsys, argv, expected):
    assert main([*argv, "--dump", str(DUMPS / "sonobuoy-aws-3node")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kpath: error: ") and expected in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_graph_exports_are_valid(capsys):
    dump = str(DUMPS / "kurl-3node-contour-sbctl")
    assert main(["paths", "--dump", dump, "-o", "graphml"]) == 0
    graph = nx.parse_graphml(capsys.readouterr().out)
    kinds = {attrs["kind"] for _, attrs in graph.nodes(data=True)}
    assert {"client", "nodeport", "nodegroup", "pod"} <= kinds
    assert main(["paths", "--dump", dump, "-o", "dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph kpath {") and '"pod:projectcontour/envoy-' in dot


def test_hostile_names_print_literally(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per row, whatever the worker's terminal
    assert main(["paths", "--dump", str(HOSTILE)]) == 0
    out = capsys.readouterr().out
    assert "[bold red]pwned[/]" in out  # markup shown, not interpreted
    assert "node-\\x1b[31mred" in out  # the escape is shown as text
    assert "\x1b" not in out  # and no raw escape reaches the terminal


def test_malformed_dump_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "cluster.json"
    bad.write_text('{"kind": "List", "items": [')
    assert main(["paths", "--dump", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "cluster.json" in err and err.count("\n") == 1 and "Traceback" not in err


def test_piped_table_keeps_names_whole_and_every_row_names_its_service(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")  # a terminal's business: a pipe ignores it
    assert main(["paths", "--dump", str(DUMPS / "minikube-ingress-nginx-npguard"), "-A"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if "/TCP" in line and "KP" not in line]
    # Once folded as `ingress-nginx/ingress-nginx-con` / `troller` with blank continuations.
    assert len(rows) == 4 and all(
        line.startswith("ingress-nginx/ingress-nginx-controller   ") for line in rows
    )
    assert {line.split()[1] for line in rows} == {"http:80/TCP", "https:443/TCP"}
    assert all(line == line.rstrip() for line in lines)
    (kp103,) = [line for line in lines if "KP103" in line]  # one line, the whole sentence
    assert kp103.endswith("— app='demo' (wants 'not-existing')")


def test_an_empty_view_prints_no_table_and_says_why_on_stderr(capsys):
    """As kubectl's "No resources found in default namespace.": nothing on stdout to parse
    as rows, one line on stderr naming the namespace and the flags that would show more."""
    dump = Path(__file__).resolve().parent / "data" / "dumps" / "policies.yaml"
    assert main(["paths", "--dump", str(dump), "-n", "ops"]) == 0
    out, err = capsys.readouterr()
    assert "SERVICE" not in out and "namespace ops" in out.splitlines()[0]
    assert err == (
        "kpath: no services with a way in from outside in namespace ops; "
        "-A for every namespace, --all for ClusterIP-only ones\n"
    )
    assert main(["paths", "--dump", str(dump), "-A", "--all", "-l", "app=none"]) == 0
    assert capsys.readouterr().err == "kpath: no services in all namespaces (-l app=none)\n"
