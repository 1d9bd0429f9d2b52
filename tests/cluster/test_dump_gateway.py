"""Gateway API objects in dumps: any version of the group, ListenerSet from the experimental
group, other projects' kinds of the same name skipped and counted, and every real-world
Gateway API manifest accepted by `kpath paths --dump`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpath.cli import main
from kpath.cluster.dump import FILE_NAME_KINDS, load_dump
from kpath.cluster.gatewaykinds import GATEWAY_KINDS, GROUP
from kpath.cluster.snapshot import build_snapshot

MANIFESTS = Path(__file__).resolve().parents[3] / "shared" / "realworld" / "manifests"
needs_realworld = pytest.mark.skipif(
    not MANIFESTS.is_dir(), reason=f"real-world manifests not found at {MANIFESTS}"
)


def _route(api_version: str, name: str) -> dict:
    return {
        "apiVersion": api_version,
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "parentRefs": [{"name": "gw"}],
            "rules": [{"backendRefs": [{"name": "web", "port": 80}]}],
        },
    }


def _write(tmp_path: Path, *docs: dict) -> Path:
    path = tmp_path / "dump.json"
    path.write_text("\n".join(json.dumps(d) for d in docs))
    return path


@pytest.mark.parametrize("version", ["v1", "v1beta1", "v1alpha2"])
def test_any_version_of_the_group_is_read(tmp_path: Path, version: str) -> None:
    snap = build_snapshot(load_dump([_write(tmp_path, _route(f"{GROUP}/{version}", "r"))]))
    assert [r.name for r in snap.gateways.routes] == ["r"]
    assert snap.gateways.versions == {"HTTPRoute": f"{GROUP}/{version}"}


def test_mixed_versions_are_all_recorded(tmp_path: Path) -> None:
    path = _write(tmp_path, _route(f"{GROUP}/v1", "a"), _route(f"{GROUP}/v1beta1", "b"))
    snap = build_snapshot(load_dump([path]))
    assert sorted(r.name for r in snap.gateways.routes) == ["a", "b"]
    assert snap.gateways.versions["HTTPRoute"] == f"{GROUP}/v1, {GROUP}/v1beta1"


def test_experimental_listenerset(tmp_path: Path) -> None:
    docs = [
        {
            "apiVersion": f"gateway.networking.x-k8s.io/{version}",
            "kind": kind,
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {
                "parentRef": {"name": "gw"},
                "listeners": [{"name": "l", "port": 8080, "protocol": "HTTP"}],
            },
        }
        for version, kind, name in (
            ("v1alpha1", "XListenerSet", "old"),
            ("v1alpha1", "ListenerSet", "new"),
        )
    ]
    snap = build_snapshot(load_dump([_write(tmp_path, *docs)]))
    assert sorted(ls.name for ls in snap.gateways.listener_sets) == ["new", "old"]


def test_other_groups_kinds_of_the_same_name_are_skipped(tmp_path: Path) -> None:
    istio = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "bookinfo-gateway"},
        "spec": {"servers": [{"port": {"number": 80}}]},
    }  # not a Gateway API shape
    raw = load_dump([_write(tmp_path, istio, _route(f"{GROUP}/v1", "r"))])
    assert raw.skipped == {"Gateway.networking.istio.io": 1}
    assert "Gateway" not in raw.objects
    assert len(build_snapshot(raw).gateways.routes) == 1


def test_without_gateway_objects_the_snapshot_is_empty(tmp_path: Path) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    snap = build_snapshot(load_dump([_write(tmp_path, ns)]))
    assert snap.gateways.routes == () and snap.gateways.versions == {}
    assert list(snap.namespaces) == ["shop"]


def test_gateway_resources_by_file_name(tmp_path: Path) -> None:
    """A troubleshoot bundle's custom-resources/<plural>.<group>/<ns>.json holds a bare
    array whose kind only its directory names."""
    assert {FILE_NAME_KINDS[f"{p}.{GROUP}"] for p in ("gateways", "httproutes")} == {
        "Gateway",
        "HTTPRoute",
    }
    assert set(GATEWAY_KINDS) <= set(FILE_NAME_KINDS.values())
    folder = tmp_path / f"httproutes.{GROUP}"
    folder.mkdir()
    item = _route(f"{GROUP}/v1", "r")
    del item["kind"], item["apiVersion"]
    (folder / "shop.json").write_text(json.dumps([item]))
    snap = build_snapshot(load_dump([tmp_path]))
    assert [r.name for r in snap.gateways.routes] == ["r"]
    assert snap.gateways.versions == {"HTTPRoute": f"{GROUP}/v1"}


@needs_realworld
@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in MANIFESTS.glob("*.yaml") if f"apiVersion: {GROUP}/" in p.read_text())
    if MANIFESTS.is_dir()
    else [],
)
def test_kpath_paths_loads_every_gateway_manifest(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["paths", "--dump", str(MANIFESTS / name), "-A", "-o", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert json.loads(out)["schema"].startswith("kpath.paths/")


@needs_realworld
def test_cert_manager_kinds_are_skipped_and_counted() -> None:
    raw = load_dump([MANIFESTS / "nginx-gateway-fabric-https-termination.yaml"])
    assert raw.skipped == {"Deployment": 2, "ClusterIssuer": 2, "Certificate": 2}
    assert {"Gateway", "HTTPRoute", "ReferenceGrant", "Namespace"} <= raw.objects.keys()
