"""A watch of ``-n shop`` follows what the load reads beyond shop: the ingress controller's
Service and EndpointSlices in ``ingress-nginx`` (changed through the lab's control interface
and its store), and nothing else of other namespaces. With a Role limited to shop the
cluster-scope streams drop out quietly and the namespace's still report."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kpath.cluster.live import LiveOptions
from kpath.cluster.watch import WATCH_LOST
from kpath.lab.rbac import load_policy
from kpath.lab.runner import LabThread, _sync
from tests.integration.watching import Heard, watching

pytestmark = pytest.mark.lab

RBAC_YAML = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"
CONTROLLER = ("ingress-nginx", "ingress-nginx-controller")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabThread, Path]]:
    with LabThread("shop", control=True) as running:
        yield running, running.write_kubeconfig(tmp_path_factory.mktemp("wo") / "kc")


def control(running: LabThread, path: str, body: dict[str, Any]) -> None:
    assert running.control_url is not None
    with httpx.Client(base_url=running.control_url, timeout=10) as client:
        client.post(path, json=body).raise_for_status()


def put(running: LabThread, obj: dict[str, Any]) -> None:
    running.call(_sync(lambda: running.store.put(obj)))


def service(running: LabThread, ns: str, name: str) -> dict[str, Any]:
    found = running.call(_sync(lambda: running.store.get("Service", ns, name)))
    assert found is not None
    return copy.deepcopy(found)


def settle(heard: Heard) -> None:
    """Let the streams open (an unchanged cluster says nothing), then start clean."""
    threading.Event().wait(1.0)
    heard.clear()


def test_the_ingress_controller_outside_the_namespace_is_followed(
    lab: tuple[LabThread, Path],
) -> None:
    running, kc = lab
    heard = Heard()
    with watching(LiveOptions(kubeconfig=str(kc), namespace="shop"), heard):
        settle(heard)
        assert heard.kinds == []
        # Through the control interface: the controller's pods, hence its EndpointSlice.
        control(
            running, "/scale", {"namespace": CONTROLLER[0], "name": CONTROLLER[1], "replicas": 1}
        )
        assert heard.wait_for("EndpointSlice"), heard.kinds
        # A ClusterIP Service of another namespace is not what the load reads: not heard.
        # The controller's Service changed after it is; one stream, so in that order.
        other = {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "admission", "namespace": CONTROLLER[0]},
            "spec": {"type": "ClusterIP", "ports": [{"port": 443}]},
        }
        heard.clear()
        put(running, other)
        svc = service(running, *CONTROLLER)
        svc["metadata"].setdefault("annotations", {})["kpath-test/changed"] = "1"
        put(running, svc)
        assert heard.wait_for("Service"), heard.kinds
        threading.Event().wait(0.5)  # a second report would have followed by now
        assert heard.kinds.count("Service") == 1, heard.kinds
        assert WATCH_LOST not in heard.kinds
    control(running, "/scale", {"namespace": CONTROLLER[0], "name": CONTROLLER[1], "replicas": 2})


def test_with_a_role_in_shop_the_cluster_streams_drop_out_and_shop_still_reports(
    lab: tuple[LabThread, Path],
) -> None:
    running, kc = lab
    running.enforce(load_policy(RBAC_YAML, "Role", namespace="shop"))
    try:
        heard = Heard()
        with watching(
            LiveOptions(kubeconfig=str(kc), namespace="shop"),
            heard,
            kinds=("Service", "EndpointSlice"),
        ):
            settle(heard)
            svc = service(running, *CONTROLLER)
            svc["metadata"].setdefault("annotations", {})["kpath-test/role"] = "1"
            put(running, svc)
            control(running, "/scale", {"namespace": "shop", "name": "web", "replicas": 1})
            assert heard.wait_for("EndpointSlice"), heard.kinds
            assert WATCH_LOST not in heard.kinds
        control(running, "/scale", {"namespace": "shop", "name": "web", "replicas": 3})
    finally:
        running.enforce(None)


def source_watching(options: LiveOptions, heard: Heard) -> Any:
    """The watch the TUI runs: `KubeSource.watcher`, on a thread of its own."""
    from contextlib import contextmanager

    from kpath.source import KubeSource

    @contextmanager
    def running() -> Iterator[None]:
        watcher = KubeSource(options).watcher
        assert watcher is not None
        stop = threading.Event()
        thread = threading.Thread(target=watcher, args=(heard, stop), daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=3)
            assert not thread.is_alive()

    return running()


def test_the_uis_watch_of_shop_hears_the_controllers_service(lab: tuple[LabThread, Path]) -> None:
    running, kc = lab
    heard = Heard()
    with source_watching(LiveOptions(kubeconfig=str(kc), namespace="shop"), heard):
        settle(heard)
        svc = service(running, *CONTROLLER)
        svc["spec"]["externalTrafficPolicy"] = "Local"
        put(running, svc)
        assert heard.wait_for("Service"), heard.kinds


def test_the_uis_watch_of_site_ns_hears_the_shared_gateway_in_infra_ns(tmp_path: Path) -> None:
    with LabThread("gateway-api-cross-namespace-routing") as running:
        kc = running.write_kubeconfig(tmp_path / "kc")
        heard = Heard()
        with source_watching(LiveOptions(kubeconfig=str(kc), namespace="site-ns"), heard):
            settle(heard)
            gw = running.call(
                _sync(lambda: running.store.get("Gateway", "infra-ns", "shared-gateway"))
            )
            assert gw is not None
            gw = copy.deepcopy(gw)
            gw["metadata"].setdefault("labels", {})["kpath-test/changed"] = "1"
            put(running, gw)
            assert heard.wait_for("Gateway"), heard.kinds
