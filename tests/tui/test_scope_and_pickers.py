"""The UI built from a source and a view scope: `e` exports what `kpath paths -o json`
writes for the same view, the count line names the namespaces read, `n` offers the
cluster's namespaces, `q`/Escape close pickers, `c` says when there is no other context."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from kpath.cli import _cluster_source, _view_scope, main
from kpath.source import LoadedSource
from kpath.tui.app import KpathApp
from kpath.tui.screens.picker import Picker
from tests.tui import data
from tests.tui.helpers import clock, make_app, screen_text, toasts

pytestmark = pytest.mark.anyio

SHOP = data.shop()


def _svc(ns: str, name: str, node_port: int, app: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
        "spec": {
            "type": "NodePort",
            "selector": {"app": app},
            "clusterIP": f"10.96.0.{node_port % 200}",
            "ports": [
                {
                    "name": "http",
                    "port": 80,
                    "targetPort": 8080,
                    "protocol": "TCP",
                    "nodePort": node_port,
                }
            ],
        },
    }


def two_namespaces(tmp_path: Path) -> Path:
    """A dump whose findings differ by namespace, with one about an Ingress (no Service)
    in the namespace the view leaves out."""
    items: list[dict[str, object]] = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "node-a"},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]},
        },
        _svc("shop", "web", 30080, "web"),
        _svc("shop", "empty", 30081, "gone"),
        _svc("other", "api", 30082, "api"),
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {"nodeName": "node-a", "containers": [{"name": "c"}]},
            "status": {
                "phase": "Running",
                "podIP": "10.244.1.5",
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        },
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "web-x",
                "namespace": "shop",
                "labels": {"kubernetes.io/service-name": "web"},
            },
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [
                {
                    "addresses": ["10.244.1.5"],
                    "conditions": {"ready": True},
                    "nodeName": "node-a",
                    "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "shop"},
                }
            ],
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "edge", "namespace": "other"},
            "spec": {
                "rules": [
                    {
                        "host": "api.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {
                                        "service": {"name": "missing", "port": {"number": 80}}
                                    },
                                }
                            ]
                        },
                    }
                ]
            },
        },
    ]
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def flags(**kw: object) -> argparse.Namespace:
    base = dict(
        dump=None,
        kubeconfig=None,
        context=None,
        namespace=None,
        all_namespaces=False,
        selector=None,
        internal=False,
        client=None,
    )
    return argparse.Namespace(**{**base, **kw})


@pytest.mark.parametrize(
    "cli_flags", [["-n", "shop"], ["-n", "other"], ["-A"], ["-n", "shop", "-l", "app=web"]]
)
async def test_e_exports_what_kpath_paths_json_writes_for_the_same_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_flags: list[str]
) -> None:
    dump = two_namespaces(tmp_path)
    assert main(["paths", "--dump", str(dump), "-o", "json", *cli_flags]) == 0
    want = json.loads(capsys.readouterr().out)
    ns = None if "-A" in cli_flags else cli_flags[1]
    selector = cli_flags[3] if "-l" in cli_flags else None
    args = flags(dump=[str(dump)], namespace=ns, all_namespaces=ns is None, selector=selector)
    app = KpathApp(_cluster_source(args), _view_scope(args), save_dir=tmp_path / "out", clock=clock)
    (tmp_path / "out").mkdir()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("e")
        await app.wait_for_work()
        await pilot.pause()
    (written,) = (tmp_path / "out").glob("*.json")
    got = json.loads(written.read_text())
    assert got == want
    if cli_flags == ["-n", "shop"]:  # the other namespace's Ingress finding stays out
        assert all(f.get("ingress") != "other/edge" for f in got["findings"])
        assert "KP103" in {f["code"] for f in got["findings"]}


def read_only(namespaces: frozenset[str]) -> object:
    """SHOP as if the source had read only ``namespaces``."""
    from dataclasses import replace

    return replace(SHOP, snapshot=replace(SHOP.snapshot, namespaces_read=namespaces))


async def test_count_line_names_the_namespaces_read_never_all() -> None:
    app = make_app(read_only(frozenset({"default"})))  # type: ignore[arg-type]
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        text = screen_text(app)
        assert "namespace default" in text
        assert "all namespaces" not in text


async def test_n_offers_the_listed_namespaces_and_reloads_when_more_is_asked() -> None:
    """A source that read one namespace: `n` lists what the cluster has; choosing one it
    did not read (or all) swaps in the wider source and reads again."""
    loads: list[str] = []

    def reader(name: str, read: frozenset[str] | None) -> LoadedSource:
        def load() -> object:
            loads.append(name)
            return SHOP if read is None else read_only(read)

        class Narrow(LoadedSource):
            def with_namespaces(self, namespaces: frozenset[str] | None) -> LoadedSource:
                return reader("wider", namespaces)

        return Narrow(
            load,
            origin="test",
            live=True,  # type: ignore[arg-type]
            listed=["backend", "shop", "zeta"],
        )

    app = KpathApp(reader("narrow", frozenset({"shop"})), clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        assert "namespace shop" in screen_text(app)
        await pilot.press("n")
        await app.wait_for_work()  # the list comes from the cluster, off the event loop
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, Picker)
        assert [label for _, label in picker._choices] == [
            "all namespaces",
            "backend",
            "shop",
            "zeta",
        ]
        await pilot.press("home", "enter")  # all namespaces: more than was read
        await app.wait_for_work()
        await pilot.pause()
        assert loads == ["narrow", "wider"]
        assert app.main.analysis is SHOP
        assert "all namespaces" in screen_text(app)
        await pilot.press("n")  # SHOP read everything: choosing one only narrows the view
        await app.wait_for_work()
        await pilot.pause()
        await pilot.press("home", "down", "enter")
        await app.wait_for_work()
        await pilot.pause()
        assert loads == ["narrow", "wider"]
        assert app.main.namespace == "backend"


async def test_q_and_escape_close_pickers_without_quitting() -> None:
    app = make_app(
        SHOP,
        contexts=["kind-a", "kind-b"],
        context="kind-a",
        switch_context=lambda name: lambda: SHOP,
        live=True,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        for key in ("n", "c"):
            for close in ("q", "escape"):
                await pilot.press(key)
                await app.wait_for_work()
                await pilot.pause()
                assert isinstance(app.screen, Picker), key
                await pilot.press(close)
                await pilot.pause()
                assert not isinstance(app.screen, Picker), (key, close)
                assert app.is_running
        assert app.context is None  # nothing was chosen
        await pilot.press("q")  # and q still quits from the main screen
        await pilot.pause()
    assert app.return_code == 0


@pytest.mark.parametrize(
    ("contexts", "said"),
    [
        (["kind-a"], "only one context: kind-a"),
        ([], "no kubeconfig context to switch to (reading dump files)"),
    ],
)
async def test_c_without_another_context_says_so(contexts: list[str], said: str) -> None:
    app = make_app(SHOP, contexts=contexts, context=contexts[0] if contexts else None)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await app.wait_loaded(pilot.pause)
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, Picker)
        assert said in toasts(app)


@pytest.mark.lab
async def test_started_on_one_namespace_n_all_reads_the_cluster_again(tmp_path: Path) -> None:
    """`kpath tui -n shop` on the lab, then `n` → all namespaces: the controller's namespace
    is read now (it was not), and the watch follows the wider scope."""
    from kpath.cluster.records import ObjectKey
    from kpath.lab.runner import LabThread
    from kpath.source import KubeSource
    from kpath.tui.launch import build_app

    with LabThread("shop") as lab:
        kc = lab.write_kubeconfig(tmp_path / "kubeconfig")
        args = flags(kubeconfig=str(kc), namespace="shop")
        app = build_app(_cluster_source(args), _view_scope(args), clock=clock)
        async with app.run_test(size=(160, 40)) as pilot:
            await app.wait_loaded(pilot.pause)
            analysis = app.main.analysis
            assert analysis is not None
            # The controller's Service is read beside shop's, to resolve the Ingress, but
            # the list holds shop's services only.
            assert analysis.snapshot.namespaces_read == frozenset({"shop"})
            assert {r.key.namespace for r in app.main._rows} == {"shop"}
            assert "namespace shop" in screen_text(app)
            await pilot.press("n")
            await app.wait_for_work()
            await pilot.pause()
            assert isinstance(app.screen, Picker)
            await pilot.press("home", "enter")
            await app.wait_for_work()
            await pilot.pause()
            source = app.source
            assert isinstance(source, KubeSource) and source.options.all_namespaces
            analysis = app.main.analysis
            assert analysis is not None and analysis.snapshot.namespaces_read is None
            controller = ObjectKey("ingress-nginx", "ingress-nginx-controller")
            assert controller in analysis.snapshot.services
            assert "all namespaces" in screen_text(app)
            await pilot.press("q")
        assert app.return_code == 0


async def test_an_empty_namespace_says_so_and_which_keys_show_more(tmp_path: Path) -> None:
    """`kpath tui -n other` where nothing has a way in: the path pane says where it looked
    and what to press, not a bare "No service matches." (the filter's own words)."""
    from kpath.tui.launch import build_app

    dump = two_namespaces(tmp_path)
    args = flags(dump=[str(dump)], namespace="empty-ns")
    app = build_app(_cluster_source(args), _view_scope(args), clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_loaded(pilot.pause)
        text = screen_text(app)
        assert "No services with a way in from outside in namespace empty-ns." in text
        assert "n: another namespace · a: ClusterIP ones too" in text
