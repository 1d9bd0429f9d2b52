"""The lab runner: lifecycle, parallel labs, the control endpoint, and (when the API server and
kubectl are present) kubectl against a running lab and ``kpath lab`` as a process."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from kpath.errors import InputError
from kpath.lab.runner import LabThread

try:
    from tests.lab.fixtures_dataplane import MiniStore
except ImportError:
    from fixtures_dataplane import MiniStore  # type: ignore[no-redef]

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
HAS_API = (
    importlib.util.find_spec("kpath.lab.apiserver") is not None
    and importlib.util.find_spec("kpath.lab.store") is not None
)
needs_api = pytest.mark.skipif(
    not HAS_API, reason="the lab API server (kpath.lab.apiserver) is not in this checkout yet"
)
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def _bindable(ip: str, port: int) -> bool:
    """No listener is left on ip:port (a closed connection's TIME_WAIT does not count, as it
    does not stop a server that sets SO_REUSEADDR, as every server does)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip, port))
        except OSError:
            return False
        return True


def test_stopping_a_lab_frees_every_port() -> None:
    with LabThread("shop", serve_api=False, store=MiniStore()) as lab:
        node = lab.nodes[0].address
        listening = list(lab.lab.dataplane.listening()) if lab.lab.dataplane else []
        assert (node, 30080) in listening
        assert not _bindable(node, 30080)
    assert _bindable(node, 30080)
    assert all(_bindable(ip, port) for ip, port in listening if port >= 1024)


def test_two_labs_run_at_once_on_different_blocks() -> None:
    with (
        LabThread("shop", serve_api=False, store=MiniStore()) as one,
        LabThread("shop", serve_api=False, store=MiniStore()) as two,
    ):
        a, b = one.nodes[0].address, two.nodes[0].address
        assert a.split(".")[1] != b.split(".")[1]
        for address in (a, b):
            reply = httpx.get(f"http://{address}:30080/", timeout=2).json()
            assert reply["namespace"] == "shop"
            assert reply["client"].split(":")[0].split(".")[1] == address.split(".")[1]


def test_inject_rejects_unknown_targets() -> None:
    with LabThread("shop", serve_api=False, store=MiniStore()) as lab:
        with pytest.raises(InputError, match="no pod"):
            lab.inject({"kind": "pod-hang", "pod": "shop/nothing"})
        with pytest.raises(InputError, match="no node"):
            lab.stop_node("node-z")
        with pytest.raises(InputError, match="no service"):
            lab.inject({"kind": "target-port-dead", "service": "shop/nothing"})


def test_control_endpoint() -> None:
    with LabThread("shop", serve_api=False, store=MiniStore(), control=True) as lab:
        url = lab.control_url
        assert url is not None and url.startswith("http://127.0.0.1:")
        state = httpx.get(url + "/", timeout=5).json()
        assert [n["name"] for n in state["nodes"]] == ["node-a", "node-b", "node-c"]
        assert state["faults"][0]["kind"] == "pod-hang"
        added = httpx.post(url + "/faults", json={"kind": "node-down", "node": "node-c"}, timeout=5)
        assert added.status_code == 200 and added.json() == {"kind": "node-down", "node": "node-c"}
        assert [n["ready"] for n in httpx.get(url + "/", timeout=5).json()["nodes"]] == [
            True,
            True,
            False,
        ]
        bad = httpx.post(url + "/faults", json={"kind": "explode"}, timeout=5)
        assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]
        removed = httpx.request("DELETE", url + "/faults", timeout=5).json()
        assert {f["kind"] for f in removed} == {"pod-hang", "node-down"}
        assert all(n["ready"] for n in httpx.get(url + "/", timeout=5).json()["nodes"])
        scaled = httpx.post(
            url + "/scale", json={"namespace": "shop", "name": "admin", "replicas": 2}, timeout=5
        )
        assert scaled.status_code == 200 and len(lab.pods("shop", "admin")) == 2
        victim = lab.pods("shop", "admin")[0]["metadata"]["name"]
        killed = httpx.post(
            url + "/kill", json={"namespace": "shop", "name": victim}, timeout=5
        ).json()
        assert killed["replacement"] and killed["replacement"] != victim


# ---------------------------------------------------------------- with the API server
@needs_api
@needs_kubectl
def test_kubectl_lists_shop_pods_and_proxies_to_a_pod(tmp_path: Path) -> None:
    with LabThread("shop") as lab:
        kubeconfig = lab.write_kubeconfig(tmp_path / "lab.kubeconfig")
        env = {**os.environ, "KUBECACHEDIR": str(tmp_path / "cache")}

        def kubectl(*args: str) -> str:
            done = subprocess.run(
                [str(KUBECTL), "--kubeconfig", str(kubeconfig), *args],
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout

        pods = json.loads(kubectl("get", "pods", "-n", "shop", "-o", "json"))["items"]
        namespaces = {p["metadata"]["namespace"] for p in pods}
        assert namespaces == {"shop"} and len(pods) >= 10
        wide = kubectl("get", "pods", "-n", "shop", "-o", "wide")
        web = next(p for p in pods if p["metadata"]["name"].startswith("web-"))
        assert web["status"]["podIP"] in wide
        raw = kubectl(
            "get", "--raw", f"/api/v1/namespaces/shop/pods/{web['metadata']['name']}:8080/proxy/"
        )
        echo = json.loads(raw)
        assert echo["pod"] == web["metadata"]["name"] and echo["namespace"] == "shop"


@needs_api
def test_kpath_lab_process_runs_until_interrupted_and_leaves_no_ports(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "lab.kubeconfig"
    code = (
        "import sys; from pathlib import Path; from kpath.lab.runner import run_lab; "
        f"sys.exit(run_lab('shop', Path({str(kubeconfig)!r})))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl+C" in line:
                break
        banner = "".join(lines)
        assert str(kubeconfig) in banner and kubeconfig.exists()
        assert "POST" in banner and "/faults" in banner
        node = next(line.split()[1] for line in lines if line.startswith("  node-a "))
        reply: Any = httpx.get(f"http://{node}:30080/", timeout=5).json()
        assert reply["namespace"] == "shop"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _bindable(node, 30080)


@needs_api
def test_kpath_lab_enforces_the_role_it_is_given(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "lab.kubeconfig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kpath",
            "lab",
            "--rbac",
            str(ROOT / "deploy" / "rbac.yaml"),
            "--rbac-namespace",
            "shop",
            "--kubeconfig-out",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl+C" in line:
                break
        assert (
            "RBAC: the API server allows only what Role kpath-reader grants in namespace "
            "shop (discovery is always allowed)\n"
        ) in lines
        api = next(line.split()[-1] for line in lines if "API server http" in line)
        assert httpx.get(f"{api}/api/v1/namespaces/shop/services", timeout=5).status_code == 200
        assert httpx.get(f"{api}/api/v1/nodes", timeout=5).status_code == 403
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rbac-namespace", "shop"], "kpath: error: --rbac-namespace needs --rbac FILE\n"),
        (["--rbac", "no-such.yaml"], "kpath: error: no-such.yaml: no such file\n"),
    ],
)
def test_kpath_lab_refuses_an_unusable_rbac_option_in_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpath.cli import main

    assert main(["lab", *argv]) == 2
    assert capsys.readouterr().err == message


def test_the_api_server_stops_and_serves_again_on_the_same_or_another_port() -> None:
    """An outage, then a restart: watches and lists work again, as on a real restart."""
    with LabThread("shop") as lab:
        url = str(lab.api_url)
        lab.stop_api()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/api/v1/pods", timeout=2)
        assert lab.start_api(int(url.rsplit(":", 1)[1])) == url
        lab.stop_api()
        moved = lab.start_api()
        assert moved != url and lab.api_url == moved
        listed = httpx.get(f"{moved}/api/v1/pods", timeout=5).json()
        assert listed["items"]
        # A watch opened after the restart stays open and hears a change made later (a
        # stopping server ends its streams at once; a restarted one must not).
        scaler = threading.Timer(0.5, lab.scale, ("shop", "web", 1))
        scaler.start()
        with httpx.stream(
            "GET",
            f"{moved}/api/v1/pods",
            params={
                "watch": "1",
                "timeoutSeconds": "10",
                "resourceVersion": listed["metadata"]["resourceVersion"],
            },
            timeout=20,
        ) as stream:
            first = next((json.loads(line) for line in stream.iter_lines() if line), None)
        scaler.join()
        assert first is not None and first["type"] in ("ADDED", "MODIFIED", "DELETED")


@pytest.mark.skipif(os.geteuid() != 0, reason="the scenario listens on 80 and 443")
def test_entrypoints_say_https_where_the_pods_speak_tls() -> None:
    with LabThread("ingress-nginx-cloud", serve_api=False, store=MiniStore()) as lab:
        lines = lab.entrypoints()
        https = [line.split()[0] for line in lines if line.startswith("https://")]
        assert len(https) == 1 and https[0].endswith(":443/")
        assert all("curl -k" in line for line in lines if line.startswith("https://"))
        # what the line says works: a TLS answer from the controller (no Ingress: a 404)
        reply = httpx.get(https[0], verify=False, timeout=5)
        assert reply.status_code == 404
        assert any(line.startswith("http://") and ":80/" in line for line in lines)
