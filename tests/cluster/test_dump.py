"""The dump source against real published dumps, real kubectl output and hostile files.

Facts asserted about the real-world dumps were checked by reading the files themselves
(grep and json on the raw files), not taken from kpath's own output.
"""

from __future__ import annotations

import gc
import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpath.cluster.dump import FILE_NAME_KINDS, file_kind, load_dump
from kpath.cluster.dumpfiles import FREEZE_BYTES
from kpath.cluster.raw import KINDS, RawCluster
from kpath.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "dumps"
REALWORLD = Path(__file__).resolve().parents[3] / "shared" / "realworld"
DUMPS = REALWORLD / "dumps"
MANIFESTS = REALWORLD / "manifests"

needs_realworld = pytest.mark.skipif(
    not DUMPS.is_dir(), reason=f"real-world dumps not found at {REALWORLD}"
)
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def by_name(raw: RawCluster, kind: str) -> dict[str, dict]:
    """Objects of one kind keyed by namespace/name (name alone when cluster-scoped)."""
    out: dict[str, dict] = {}
    for obj in raw.objects[kind]:
        meta = obj["metadata"]
        key = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
        out[key] = obj
    return out


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- the six real-world dumps ------------------------------------------------------------


@needs_realworld
def test_sonobuoy_bare_arrays_take_their_kind_from_the_file_name() -> None:
    raw = load_dump([DUMPS / "sonobuoy-aws-3node"])
    nodes = by_name(raw, "Node")
    assert sorted(nodes) == [
        "ip-10-0-26-239.us-west-2.compute.internal",
        "ip-10-0-9-16.us-west-2.compute.internal",
        "ip-10-0-9-206.us-west-2.compute.internal",
    ]
    services = by_name(raw, "Service")
    assert sorted(services) == [
        "default/kubernetes",
        "heptio-sonobuoy/sonobuoy-master",
        "kube-system/calico-etcd",
        "kube-system/kube-dns",
        "kube-system/kubernetes-dashboard",
    ]
    # The items carry no kind in the files; the loader fills it in from the file name.
    assert services["kube-system/kube-dns"]["kind"] == "Service"
    assert services["kube-system/kube-dns"]["apiVersion"] == "v1"
    endpoints = by_name(raw, "Endpoints")
    assert len(endpoints) == 7
    dns = endpoints["kube-system/kube-dns"]["subsets"][0]["addresses"][0]
    assert dns["ip"] == "192.168.252.128"
    assert dns["nodeName"] == "ip-10-0-26-239.us-west-2.compute.internal"
    assert "nodeName" not in endpoints["default/kubernetes"]["subsets"][0]["addresses"][0]
    assert len(raw.objects["Pod"]) == 19
    assert {p["spec"]["nodeName"] for p in raw.objects["Pod"]} == set(nodes)
    assert raw.skipped == {"serverversion": 1, "DaemonSet": 4, "Deployment": 4}
    assert raw.origin == f"dump: {DUMPS / 'sonobuoy-aws-3node'}"
    assert raw.warnings == []


@needs_realworld
def test_kurl_support_bundle_keeps_redacted_values_and_empty_ingress_lists() -> None:
    raw = load_dump([DUMPS / "kurl-3node-contour-sbctl"])
    assert len(raw.objects["Node"]) == 3
    envoy = by_name(raw, "Service")["projectcontour/envoy"]
    assert envoy["spec"]["type"] == "NodePort"
    assert envoy["spec"]["externalTrafficPolicy"] == "Local"
    assert [p["nodePort"] for p in envoy["spec"]["ports"]] == [80, 443]
    assert envoy["spec"]["clusterIP"] == "***HIDDEN***"
    longhorn = by_name(raw, "Service")["longhorn-system/longhorn-frontend"]
    assert longhorn["spec"]["ports"][0]["nodePort"] == 30880
    pods = raw.objects["Pod"]
    assert len(pods) == 58
    assert {p["spec"]["nodeName"] for p in pods} == {
        "troubleshoot-demo-001",
        "troubleshoot-demo-002",
        "troubleshoot-demo-003",
    }
    assert all(p["status"]["podIP"] == "***HIDDEN***" for p in pods)
    # Ingress lists were collected (all empty); Endpoints were not collected at all.
    assert raw.objects["Ingress"] == []
    assert "Endpoints" not in raw.objects
    assert raw.skipped == {"cluster_version": 1}


@needs_realworld
def test_k3d_bundle_traefik_load_balancer_and_skipped_custom_resources() -> None:
    raw = load_dump([DUMPS / "k3d-1node-traefik-troubleshoot"])
    assert len(raw.objects["Node"]) == 1
    traefik = by_name(raw, "Service")["kube-system/traefik"]
    assert traefik["spec"]["type"] == "LoadBalancer"
    assert traefik["status"]["loadBalancer"]["ingress"] == [{"ip": "172.19.0.2"}]
    assert len(raw.objects["Pod"]) == 8
    assert raw.objects["Ingress"] == []
    assert raw.skipped == {"cluster_version": 1, "Deployment": 5, "IngressRoute": 1}


@needs_realworld
def test_minikube_yaml_lists() -> None:
    raw = load_dump([DUMPS / "minikube-ingress-nginx-npguard"])
    assert "default/no-pods-selected" in by_name(raw, "Service")
    assert len(raw.objects["Service"]) == 5
    pods = raw.objects["Pod"]
    assert len(pods) == 11
    assert sorted(p["status"]["phase"] for p in pods).count("Succeeded") == 2


@needs_realworld
def test_openshift_must_gather_endpointslice_targets_nodes() -> None:
    raw = load_dump([DUMPS / "ocp-6node-kube-system-mgexplorer"])
    (slice_,) = raw.objects["EndpointSlice"]
    assert slice_["metadata"]["labels"]["kubernetes.io/service-name"] == "kubelet"
    assert len(slice_["endpoints"]) == 6
    assert {e["targetRef"]["kind"] for e in slice_["endpoints"]} == {"Node"}
    kubelet = by_name(raw, "Service")["kube-system/kubelet"]
    assert kubelet["spec"]["ipFamilyPolicy"] == "RequireDualStack"
    assert kubelet["spec"]["clusterIP"] == "None"
    assert len(raw.objects["Pod"]) == 7
    assert len(raw.objects["Endpoints"]) == 1


@needs_realworld
def test_openshift_48_must_gather_single_pod_files() -> None:
    raw = load_dump([DUMPS / "ocp48-aws-6node-mgclean"])
    kubelet = by_name(raw, "Endpoints")["kube-system/kubelet"]
    addresses = [a["ip"] for s in kubelet["subsets"] for a in s["addresses"]]
    assert len(addresses) == 6
    assert "10.0.187.218" in addresses
    pods = by_name(raw, "Pod")
    assert sorted(pods) == [
        "openshift-etcd/etcd-ip-10-0-187-218.ec2.internal",
        "openshift-etcd/etcd-quorum-guard-85b4c88c96-nmk5g",
        "openshift-etcd/installer-2-ip-10-0-187-218.ec2.internal",
        "openshift-etcd/revision-pruner-3-ip-10-0-195-177.ec2.internal",
    ]
    assert pods["openshift-etcd/etcd-ip-10-0-187-218.ec2.internal"]["spec"]["hostNetwork"]


@needs_realworld
def test_all_six_dumps_together() -> None:
    dirs = sorted(DUMPS.iterdir())
    assert len(dirs) == 6
    together = load_dump(dirs)
    assert together.origin == "dump: " + ", ".join(str(d) for d in dirs)
    # Objects are keyed by kind, namespace and name; each cluster has its own
    # default/kubernetes Service, so six clusters mixed into one collapse those.
    for kind in KINDS:
        keys = {
            (o["metadata"].get("namespace"), o["metadata"]["name"])
            for d in dirs
            for o in load_dump([d]).objects.get(kind, [])
        }
        assert len(together.objects.get(kind, [])) == len(keys), kind
    assert len(together.warnings) == 1
    assert "appeared more than once" in together.warnings[0]


@needs_realworld
def test_a_single_file_and_several_files_from_a_tree() -> None:
    nodes = DUMPS / "sonobuoy-aws-3node" / "resources" / "cluster" / "Nodes.json"
    raw = load_dump([str(nodes)])
    assert len(raw.objects["Node"]) == 3
    assert set(raw.objects) == {"Node"}
    pods = DUMPS / "kurl-3node-contour-sbctl" / "cluster-resources" / "pods"
    raw = load_dump([pods / "projectcontour.json", pods / "kube-public.json"])
    assert {p["metadata"]["namespace"] for p in raw.objects["Pod"]} == {"projectcontour"}
    assert sum(p["metadata"]["name"].startswith("envoy-") for p in raw.objects["Pod"]) == 3


@needs_realworld
def test_the_same_file_named_twice_is_read_once() -> None:
    tree = DUMPS / "minikube-ingress-nginx-npguard"
    raw = load_dump([tree, tree / "pods_list.yaml"])
    assert len(raw.objects["Pod"]) == 11
    assert raw.warnings == []


# --- real-world manifests -------------------------------------------------------------------


@needs_realworld
@pytest.mark.parametrize("manifest", sorted(p.name for p in MANIFESTS.glob("*.yaml")))
def test_every_manifest_loads(manifest: str) -> None:
    raw = load_dump([MANIFESTS / manifest])
    assert sum(len(v) for v in raw.objects.values()) + sum(raw.skipped.values()) > 0


@needs_realworld
def test_kyaml_flow_style_documents() -> None:
    raw = load_dump([MANIFESTS / "k8s-website-networking-examples.yaml"])
    ingresses = by_name(raw, "Ingress")
    assert len(ingresses) == 8
    wildcard = ingresses["ingress-wildcard-host"]["spec"]["rules"]
    assert [r["host"] for r in wildcard] == ["foo.bar.com", "*.foo.com"]
    assert sorted(by_name(raw, "IngressClass")) == ["example-class", "external-lb"]
    default = by_name(raw, "IngressClass")["example-class"]["metadata"]["annotations"]
    assert default["ingressclass.kubernetes.io/is-default-class"] == "true"
    service = raw.objects["Service"][0]
    assert service["spec"]["ipFamilyPolicy"] == "PreferDualStack"


@needs_realworld
def test_document_end_markers_and_skipped_kinds() -> None:
    raw = load_dump([MANIFESTS / "k8s-website-service-access.yaml"])
    assert sorted(by_name(raw, "Service")) == ["frontend", "hello"]
    assert raw.skipped == {"Deployment": 2}
    gateway = load_dump([MANIFESTS / "istio-bookinfo-gateway-api.yaml"])
    assert sorted(gateway.objects) == ["Gateway", "HTTPRoute"]  # Gateway API is read
    assert gateway.skipped == {}


@needs_realworld
def test_all_manifests_as_one_directory_later_copies_win() -> None:
    raw = load_dump([MANIFESTS])
    assert len(by_name(raw, "IngressClass")) == 6
    # Sorted walk: istio-bookinfo-productpage-nodeport.yaml comes before istio-bookinfo.yaml
    # ('-' < '.'), so bookinfo's ClusterIP productpage is the copy kept.
    assert "type" not in by_name(raw, "Service")["productpage"]["spec"]
    assert len(raw.warnings) == 1
    assert "appeared more than once" in raw.warnings[0]
    bookinfo = MANIFESTS / "istio-bookinfo.yaml"
    override = MANIFESTS / "istio-bookinfo-productpage-nodeport.yaml"
    raw = load_dump([bookinfo, override])
    assert by_name(raw, "Service")["productpage"]["spec"]["type"] == "NodePort"
    assert len(raw.objects["Service"]) == 4
    assert "Service productpage in " in raw.warnings[0]


# --- real kubectl output ------------------------------------------------------------------


def run_kubectl_local(tmp_path: Path, manifest: Path, output: str) -> str:
    """kubectl's own serialiser, offline: `label --local` prints objects without a server."""
    assert KUBECTL is not None
    # A kubeconfig aimed at a closed loopback port, so nothing could be contacted anyway.
    kubeconfig = write(
        tmp_path / "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9'}\n"
        "contexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n"
        "users:\n- name: u\n  user: {}\n",
    )
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [KUBECTL, "label", "--local", "-f", str(manifest), "-o", output, "kpath-test=1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@needs_kubectl
@needs_realworld
def test_kubectl_json_output_of_several_objects(tmp_path: Path) -> None:
    # For several objects kubectl -o json prints one JSON value after another.
    text = run_kubectl_local(tmp_path, MANIFESTS / "voting-app.yaml", "json")
    raw = load_dump([write(tmp_path / "voting.json", text)])
    services = by_name(raw, "Service")
    assert sorted(services) == ["db", "redis", "result", "vote"]
    assert services["vote"]["spec"]["ports"][0]["nodePort"] == 31000
    assert services["vote"]["metadata"]["labels"]["kpath-test"] == "1"
    assert raw.skipped == {"Deployment": 5}


@needs_kubectl
@needs_realworld
def test_kubectl_yaml_output(tmp_path: Path) -> None:
    nodeport = MANIFESTS / "istio-bookinfo-productpage-nodeport.yaml"
    one = run_kubectl_local(tmp_path, nodeport, "yaml")
    raw = load_dump([write(tmp_path / "productpage.yaml", one)])
    assert by_name(raw, "Service")["productpage"]["spec"]["type"] == "NodePort"
    # For several objects kubectl -o yaml prints them with no '---' between: YAML would
    # silently keep only the last, so the loader refuses the repeated keys.
    several = run_kubectl_local(tmp_path, MANIFESTS / "voting-app.yaml", "yaml")
    path = write(tmp_path / "voting.yaml", several)
    message = refused(path)
    assert message.startswith(f"{path}: duplicate key 'apiVersion' at line ")
    assert "'---'" in message


# --- formats --------------------------------------------------------------------------------


def test_wrong_kind_in_a_list_trusts_the_item() -> None:
    raw = load_dump([DATA / "wrong-kind-in-list.json"])
    (pod,) = raw.objects["Pod"]
    (service,) = raw.objects["Service"]
    assert pod["metadata"]["name"] == "web-1"
    assert (pod["kind"], pod["apiVersion"]) == ("Pod", "v1")  # filled from the PodList
    assert service["metadata"]["name"] == "web"


def test_empty_lists_still_say_the_kind_was_collected(tmp_path: Path) -> None:
    write(tmp_path / "pods.json", '{"kind": "PodList", "apiVersion": "v1", "items": []}')
    write(tmp_path / "slices.yaml", "kind: EndpointSliceList\napiVersion: v1\nitems: null\n")
    write(tmp_path / "nodes.json", '{"kind": "List", "items": []}')
    write(tmp_path / "Services.json", "[]")
    raw = load_dump([tmp_path])
    assert raw.objects == {"Pod": [], "EndpointSlice": [], "Node": [], "Service": []}


def test_kindless_items_in_a_generic_list_take_the_file_name(tmp_path: Path) -> None:
    dump = write(
        tmp_path / "cluster-resources" / "services" / "shop.json",
        '{"kind": "List", "items": [{"metadata": {"name": "web", "namespace": "shop"}},'
        ' {"kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop"}}]}',
    )
    raw = load_dump([dump])
    assert raw.objects["Service"][0]["kind"] == "Service"
    assert raw.objects["Pod"][0]["metadata"]["name"] == "web-1"


def test_concatenated_json_and_nested_lists(tmp_path: Path) -> None:
    one = {"kind": "ServiceList", "items": [{"metadata": {"name": "a", "namespace": "x"}}]}
    two = {"kind": "List", "items": [{"kind": "NodeList", "items": [{"metadata": {"name": "n"}}]}]}
    dump = write(tmp_path / "all.json", json.dumps(one) + "\n" + json.dumps(two, indent=2))
    raw = load_dump([dump])
    assert [s["metadata"]["name"] for s in raw.objects["Service"]] == ["a"]
    assert [n["metadata"]["name"] for n in raw.objects["Node"]] == ["n"]


def test_yaml_saved_as_json_and_json_saved_as_yaml_and_no_suffix(tmp_path: Path) -> None:
    yaml_in_json = write(tmp_path / "a.json", "kind: Service\nmetadata:\n  name: a\n")
    json_in_yaml = write(tmp_path / "b.yaml", '{"kind": "Service", "metadata": {"name": "b"}}')
    no_suffix = write(tmp_path / "63", '{"kind": "Node", "metadata": {"name": "n"}}')
    raw = load_dump([yaml_in_json, json_in_yaml, no_suffix])
    assert sorted(by_name(raw, "Service")) == ["a", "b"]
    assert sorted(by_name(raw, "Node")) == ["n"]


def test_directory_walk_skips_hidden_and_other_files(tmp_path: Path) -> None:
    write(tmp_path / "Pods.json", '[{"metadata": {"name": "p", "namespace": "n"}}]')
    write(tmp_path / ".hidden.json", "{ this is not read")
    write(tmp_path / ".git" / "pods.json", "{ nor this")
    write(tmp_path / "notes.txt", "{ nor this")
    write(tmp_path / "sub" / "nodes.YML", "kind: Node\nmetadata:\n  name: n1\n")
    raw = load_dump([tmp_path])
    assert [p["metadata"]["name"] for p in raw.objects["Pod"]] == ["p"]
    assert [n["metadata"]["name"] for n in raw.objects["Node"]] == ["n1"]


def test_files_that_hold_no_objects_are_counted_not_refused(tmp_path: Path) -> None:
    write(tmp_path / "cluster-info" / "cluster_version.json", '{"info": {"major": "1"}}')
    write(tmp_path / "cluster-resources" / "pods-errors.json", '["forbidden: pods"]')
    resources = tmp_path / "cluster-resources"
    write(resources / "groups.json", '{"kind": "APIGroupList", "groups": []}')
    write(resources / "pods" / "default.json", '{"kind": "PodList", "items": []}')
    raw = load_dump([tmp_path])
    assert raw.objects == {"Pod": []}
    assert raw.skipped == {"cluster_version": 1, "pods-errors": 1, "APIGroupList": 1}


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_state_is_restored(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        load_dump([DATA / "wrong-kind-in-list.json"])
        assert gc.isenabled() is enabled
        with pytest.raises(InputError):
            load_dump([DATA / "truncated.json"])
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


def test_hostile_kind_strings_are_counted_as_unknown() -> None:
    raw = load_dump([DATA / "escape-kind.json"])
    assert raw.skipped == {"unknown": 2}


def test_a_lone_path_is_not_read_character_by_character() -> None:
    raw = load_dump(str(DATA / "wrong-kind-in-list.json"))  # type: ignore[arg-type]
    assert len(raw.objects["Pod"]) == 1


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("resources/cluster/Nodes.json", "Node"),
        ("resources/ns/kube-system/Endpoints.json", "Endpoints"),
        ("cluster-resources/pods/kube-system.json", "Pod"),
        ("cluster-resources/ingress/default.json", "Ingress"),
        ("cluster-resources/endpointslices/default.json", "EndpointSlice"),
        ("namespaces/x/core/services.yaml", "Service"),
        ("namespaces/x/discovery.k8s.io/endpointslices.yaml", "EndpointSlice"),
        ("SERVICES.JSON", "Service"),
        ("resources/ns/x/Deployments.json", "Deployment"),
        ("cluster-info/cluster_version.json", None),
        ("namespaces/x/pods/web-1/web-1.yaml", None),
    ],
)
def test_file_name_kinds(name: str, kind: str | None) -> None:
    assert file_kind(Path(name)) == kind


def test_file_name_map_is_lower_case() -> None:
    assert all(key == key.lower() for key in FILE_NAME_KINDS)
    assert set(KINDS) <= set(FILE_NAME_KINDS.values())


# --- malformed and hostile input ------------------------------------------------------------


def refused(*paths: Path | str) -> str:
    """Load and return the InputError message; anything else escaping fails the test."""
    with pytest.raises(InputError) as info:
        load_dump(list(paths))
    message = str(info.value)
    assert "\n" not in message
    assert message.isprintable(), repr(message)
    return message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("truncated.json", "not valid JSON at line 2 column 77: Unterminated string"),
        ("cluster.json", "not valid JSON at line 4 column 5: Expecting ',' delimiter"),
        ("missing-metadata.yaml", "document 2 (Service): metadata is missing"),
        ("missing-name.json", "items[1] (Service): metadata.name is missing"),
        ("metadata-not-mapping.json", "items[2] (Node): metadata is a list, not a mapping"),
        ("items-not-list.json", "'items' is a mapping, not a list"),
        ("string-doc.yaml", "document 2 is a string, not a Kubernetes object"),
        ("a.json", "an object without 'kind' (and its file name does not say)"),
        ("kindless-array.json", "items[0] is an object without 'kind'"),
        ("scalar-items.json", "items[1] is a string, not a Kubernetes object"),
        ("python-tag.yaml", "python/object/apply:os.system' at line 4 column 9 is not allowed"),
        ("empty.json", "empty file"),
        ("blank.yaml", "empty file"),
        ("binary.json", "not valid UTF-8"),
        ("binary.yaml", "control characters are not allowed"),
        ("latin1.json", "not valid UTF-8 text (byte 45)"),
        ("latin1.yaml", "not valid YAML text at byte 50"),
        ("bomb.yaml", "alias bomb"),
        ("self-alias.yaml", "self-referencing alias"),
    ],
)
def test_bad_files_fail_with_one_line_naming_the_file(name: str, expected: str) -> None:
    path = DATA / name
    message = refused(path)
    assert message.startswith(f"{path}: "), message
    assert expected in message


def test_truncated_json_says_so() -> None:
    assert "(the file looks truncated)" in refused(DATA / "truncated.json")
    assert "truncated" not in refused(DATA / "cluster.json")


def test_an_error_in_a_later_file_names_that_file() -> None:
    message = refused(DATA / "wrong-kind-in-list.json", DATA / "missing-name.json")
    assert message.startswith(f"{DATA / 'missing-name.json'}: ")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep-object.json", '{"kind": "Pod", "metadata":' + '{"a":' * 50_000 + "1" + "}" * 50_001),
        ("deep-flow.yaml", "kind: Pod\nmetadata: " + "[" * 5_000 + "]" * 5_000 + "\n"),
        ("deep-block.yaml", "".join("  " * i + "a:\n" for i in range(3_000))),
    ],
)
def test_deep_nesting_fails_cleanly(tmp_path: Path, name: str, text: str) -> None:
    path = write(tmp_path / name, text)
    message = refused(path)
    assert message.startswith(f"{path}: ")
    assert "nest" in message


def test_missing_file_and_empty_arguments() -> None:
    assert refused("missing.json") == "missing.json: no such file"
    assert refused() == "--dump needs at least one file or directory"


def test_directories_without_usable_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    write(empty / "README.md", "# not a dump")
    assert refused(empty) == f"{empty}: no .json, .yaml or .yml files in this directory"
    versions = tmp_path / "versions"
    write(versions / "serverversion.json", '{"major": "1", "minor": "8"}')
    assert refused(versions) == f"{versions}: no Kubernetes objects or lists found"


def test_archives_are_refused_with_advice(tmp_path: Path) -> None:
    bundle = tmp_path / "support-bundle.tar.gz"
    bundle.write_bytes(gzip.compress(b"not really a tar"))
    assert refused(bundle) == f"{bundle}: is a gzip archive; unpack it and pass the directory"


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = write(tmp_path / "locked.json", "{}")
    path.chmod(0)
    assert refused(path) == f"{path}: permission denied"


def test_control_characters_in_file_names_are_escaped(tmp_path: Path) -> None:
    path = write(tmp_path / "evil\x1b[31m.json", "")
    message = refused(path)
    assert "\x1b" not in message
    assert "evil\\x1b[31m.json: empty file" in message


@pytest.fixture
def _no_leaked_gc_state() -> Iterator[None]:
    was = gc.isenabled()
    yield
    assert gc.isenabled() is was


@pytest.mark.usefixtures("_no_leaked_gc_state")
def test_errors_leave_the_collector_as_it_was() -> None:
    refused(DATA / "bomb.yaml")
    refused(DATA / "binary.json")


def test_duplicate_keys_are_refused_but_merge_keys_may_override(tmp_path: Path) -> None:
    path = DATA / "pasted-without-separator.yaml"
    assert refused(path).startswith(f"{path}: duplicate key 'apiVersion' at line 5 column 1 ")
    merged = write(
        tmp_path / "merged.yaml",
        "kind: Service\nmetadata:\n  name: web\n  labels: &l {app: web, tier: front}\n"
        "spec:\n  selector:\n    <<: *l\n    tier: back\n",
    )
    raw = load_dump([merged])
    assert by_name(raw, "Service")["web"]["spec"]["selector"] == {"app": "web", "tier": "back"}


def test_flow_style_yaml_that_looks_like_json(tmp_path: Path) -> None:
    kyaml = write(tmp_path / "svc.yaml", "{kind: Service, metadata: {name: a}} # KYAML\n")
    assert sorted(by_name(load_dump([kyaml]), "Service")) == ["a"]


def test_text_in_a_json_file_reports_the_json_problem(tmp_path: Path) -> None:
    prose = write(tmp_path / "notes.json", "these are not the objects you are looking for\n")
    assert refused(prose) == f"{prose}: not valid JSON at line 1 column 1: Expecting value"


def test_sonobuoy_result_files_are_not_mistaken_for_lists(tmp_path: Path) -> None:
    write(
        tmp_path / "plugins" / "e2e" / "sonobuoy_results.yaml",
        "name: e2e\nstatus: passed\nitems:\n- name: global\n  status: passed\n",
    )
    write(tmp_path / "meta" / "config.json", '{"UUID": "x", "Version": "v0.10"}')
    write(tmp_path / "resources" / "cluster" / "Nodes.json", '[{"metadata": {"name": "n"}}]')
    raw = load_dump([tmp_path])
    assert [n["metadata"]["name"] for n in raw.objects["Node"]] == ["n"]
    assert raw.skipped == {"sonobuoy_results": 1, "config": 1}


def test_a_list_without_kind_whose_items_say_theirs(tmp_path: Path) -> None:
    text = '{"items": [{"kind": "Node", "metadata": {"name": "n"}}]}'
    dump = write(tmp_path / "export.json", text)
    assert [n["metadata"]["name"] for n in load_dump([dump]).objects["Node"]] == ["n"]


def test_big_loads_are_frozen_out_of_the_collector(tmp_path: Path) -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p", "namespace": "n"}, "spec": {"x": "y" * 200}}
    items = [{**pod, "metadata": {"name": f"p{i}", "namespace": "n"}} for i in range(40_000)]
    big = write(tmp_path / "big.json", json.dumps({"kind": "PodList", "items": items}))
    assert big.stat().st_size > FREEZE_BYTES
    small = DATA / "wrong-kind-in-list.json"
    was = gc.isenabled()
    gc.enable()
    gc.unfreeze()
    try:
        load_dump([small])
        assert gc.get_freeze_count() == 0
        raw = load_dump([big])
        assert len(raw.objects["Pod"]) == 40_000
        assert gc.get_freeze_count() > 40_000
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        if not was:
            gc.disable()


STDIN_SCRIPT = """
import sys
from kpath.cluster.dump import load_dump
from kpath.errors import InputError
try:
    raw = load_dump(["-"])
except InputError as exc:
    print("error:", exc)
else:
    print(raw.origin, sorted((k, len(v)) for k, v in raw.objects.items()))
"""


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        ('{"kind": "NodeList", "items": [{"metadata": {"name": "n"}}]}', "dump: - [('Node', 1)]"),
        (
            "kind: Service\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: b}\n",
            "dump: - [('Pod', 1), ('Service', 1)]",
        ),
        ('{"kind": "NodeList", "items": [', "error: <stdin>: not valid JSON at line 1 column 32"),
        ("", "error: <stdin>: empty file"),
    ],
)
def test_dash_reads_standard_input(stdin: str, expected: str) -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", STDIN_SCRIPT],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(expected), result.stdout
