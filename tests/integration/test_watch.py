"""Following the cluster through watch streams, against real API servers on loopback: the
shop lab (changes, stop), a lab API server that forbids pods (403 kinds drop out quietly)
and a port nobody listens on (the watch says it is lost and keeps trying)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import yaml

from kpath.cluster.live import LiveOptions
from kpath.cluster.watch import WATCH_LOST, parse_event
from kpath.lab.apiserver import serve_in_thread
from kpath.lab.runner import LabThread
from kpath.lab.store import Store
from tests.integration.watching import Heard, watching

pytestmark = pytest.mark.lab


def _settle(heard: Heard) -> None:
    """Let the streams open (no event arrives for an unchanged cluster), then start clean."""
    threading.Event().wait(1.0)
    heard.clear()


def test_scaling_a_deployment_is_heard_as_pod_and_slice_changes(
    shop_lab: LabThread, shop_kubeconfig: Path
) -> None:
    heard = Heard()
    with watching(LiveOptions(kubeconfig=str(shop_kubeconfig), all_namespaces=True), heard):
        _settle(heard)
        assert heard.kinds == []  # a quiet cluster: nothing reported
        shop_lab.scale("shop", "web", 1)
        assert heard.wait_for("Pod"), heard.kinds
        assert heard.wait_for("EndpointSlice"), heard.kinds
        assert "Service" not in heard.kinds and "Node" not in heard.kinds
        assert WATCH_LOST not in heard.kinds
    shop_lab.scale("shop", "web", 2)


def test_a_killed_pod_is_heard_in_its_namespace_scope(
    shop_lab: LabThread, shop_kubeconfig: Path
) -> None:
    heard = Heard()
    with watching(
        LiveOptions(kubeconfig=str(shop_kubeconfig), namespace="shop"), heard, kinds=("Pod",)
    ):
        _settle(heard)
        pod = shop_lab.pods("shop", "catalog")[0]["metadata"]["name"]
        shop_lab.kill_pod("shop", pod)
        assert heard.wait_for("Pod"), heard.kinds


def test_other_namespaces_are_not_heard(shop_lab: LabThread, shop_kubeconfig: Path) -> None:
    heard = Heard()
    with watching(
        LiveOptions(kubeconfig=str(shop_kubeconfig), namespace="kube-system"), heard, kinds=("Pod",)
    ):
        _settle(heard)
        shop_lab.scale("shop", "web", 1)
        # The control: an all-namespaces watch started now hears the next change, so the
        # namespaced one had the time to hear it too.
        control = Heard()
        with watching(
            LiveOptions(kubeconfig=str(shop_kubeconfig), all_namespaces=True),
            control,
            kinds=("Pod",),
        ):
            _settle(control)
            shop_lab.scale("shop", "web", 2)
            assert control.wait_for("Pod")
        assert "Pod" not in heard.kinds


def test_a_forbidden_kind_drops_out_quietly_and_the_others_still_report(tmp_path: Path) -> None:
    with serve_in_thread(Store(), deny=("pods",)) as st:
        kc = st.server.write_kubeconfig(tmp_path / "kc")
        heard = Heard()
        with watching(
            LiveOptions(kubeconfig=str(kc), all_namespaces=True), heard, kinds=("Pod", "Service")
        ):
            _settle(heard)
            service = {
                "kind": "Service",
                "apiVersion": "v1",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"type": "ClusterIP", "ports": [{"port": 80}]},
            }
            st.call(st.store.put, service)
            assert heard.wait_for("Service"), heard.kinds
            assert WATCH_LOST not in heard.kinds  # a 403 is not a lost watch
        # Asked once, refused, never retried nor watched (a finished watch is recorded
        # only when the server notices the client left, so only lists are counted here).
        pods = [r for r in st.server.requests if r.path == "/api/v1/pods"]
        assert [(r.status, "watch" in r.query) for r in pods] == [(403, False)]
        assert all(r.method == "GET" for r in st.server.requests)


def test_an_unreachable_server_is_reported_lost_and_stop_still_ends_it(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: connections are refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kc = tmp_path / "kc"
    kc.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "gone",
                "clusters": [{"name": "gone", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}],
            }
        )
    )
    heard = Heard()
    with watching(LiveOptions(kubeconfig=str(kc)), heard, kinds=("Pod", "Service")):
        assert heard.wait_for(WATCH_LOST)
    assert heard.kinds.count(WATCH_LOST) == 1  # said once, not once per kind or retry


# -- pure parts ---------------------------------------------------------------------------


def test_parse_event_reads_type_version_and_error_code() -> None:
    assert parse_event(b'{"type":"MODIFIED","object":{"metadata":{"resourceVersion":"7"}}}') == (
        "MODIFIED",
        "7",
        None,
    )
    assert parse_event(b'{"type":"ERROR","object":{"kind":"Status","code":410}}') == (
        "ERROR",
        None,
        410,
    )
    assert parse_event(b'{"type":"ERROR","object":{"kind":"Status","reason":"Expired"}}') == (
        "ERROR",
        None,
        410,
    )  # a Status naming the reason only is a 410 too
    assert parse_event(b'{"type":"ERROR","object":{"kind":"Status","code":500}}') == (
        "ERROR",
        None,
        500,
    )
    assert parse_event(b'{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}') == (
        "BOOKMARK",
        "9",
        None,
    )
    assert parse_event(b"not json") == ("", None, None)
    assert parse_event(b"[1]") == ("", None, None)
