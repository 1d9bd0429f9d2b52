"""The dump source (`--dump FILE…`): read what people send from their clusters.

`load_dump(paths)` turns files and directories into a `RawCluster` of plain API dicts, so a
customer's cluster can be analysed offline. Each path is a file (of any name; the content
decides JSON or YAML), `-` for standard input, or a directory walked recursively (sorted;
`.json`, `.yaml`, `.yml`; hidden files and directories skipped).

Layouts and formats understood:

- `kubectl get … -o json` / `-o yaml`: a `List` (items carry their kind) or an `XList`
  (`PodList`, `ServiceList`, …; items may lack kind/apiVersion and take them from the list).
  An item's own kind wins over the list's (a `PodList` holding a Service files a Service).
- A single object; multi-document YAML (`---`), including KYAML flow style (`---\\n{ … }`)
  and the document end marker `...`; several JSON values one after another (what
  `kubectl … -o json` prints for several objects); YAML saved under a `.json` name.
  YAML is read with the safe loader only, refusing Python tags, alias bombs and duplicate
  keys (objects pasted without `---` between them would otherwise merge silently).
- Bare JSON/YAML arrays whose kind comes only from the file name (sonobuoy results:
  `resources/cluster/Nodes.json`, `resources/ns/<ns>/Pods.json`, `Services.json`,
  `Endpoints.json`, …).
- Troubleshoot / sbctl support bundles: `cluster-resources/nodes.json`,
  `cluster-resources/{pods,services,ingress,endpoints,endpointslices}/<ns>.json`, …
- OpenShift must-gather trees: `namespaces/<ns>/core/{services,endpoints,pods}.yaml`,
  `namespaces/<ns>/discovery.k8s.io/endpointslices.yaml`,
  `namespaces/<ns>/pods/<name>/<name>.yaml`.

Where the data does not say its kind, `FILE_NAME_KINDS` maps the file's stem, then its
parent directory's name (case-insensitive), to one. Objects of kinds kpath does not read
(Deployments, custom resources, …) are counted in `RawCluster.skipped` by kind. A file that
holds no Kubernetes object at all (`cluster_version.json`, `serverversion.json`, an errors
list) is counted under its lower-cased file stem. When several files carry the same object
(must-gather stores pods twice), the last copy read is kept and a warning says so.

Gateway API objects (group gateway.networking.k8s.io) are read at any apiVersion the group
has served, and ListenerSet also from the experimental gateway.networking.x-k8s.io (where
it was called XListenerSet). A kind of that name from another group (Istio's
networking.istio.io Gateway) is counted as skipped under ``Kind.group``.

NetworkPolicy is read from networking.k8s.io (and extensions, before 1.16). The policy
kinds kpath lists without evaluating (`policykinds.OTHER_POLICY_RAW`: AdminNetworkPolicy,
Cilium's, Calico's, …) are read from their own groups only; Calico's NetworkPolicy
(crd.projectcalico.org, projectcalico.org) is filed as ``CalicoNetworkPolicy``.

Values are passed on untouched: redacted fields (`***HIDDEN***`) are the parser's business.
JSON objects keep only the fields kpath reads (`kpath.cluster.typed`, msgspec), unless
``load_dump(…, slim=False)`` (the lab, which serves them whole); YAML objects are whole.
``load_dump(…, kinds=…)`` reads only the kinds a command uses: the others are left out as
if the dump did not carry them (in JSON, not even decoded).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from mmap import mmap
from pathlib import Path
from typing import Any

from kpath.cluster.dumpfiles import (
    FREEZE_BYTES,
    DumpFile,
    GcPause,
    fail,
    find_files,
    read_documents,
    type_name,
)
from kpath.cluster.gatewaykinds import EXPERIMENTAL_GROUP, GATEWAY_KINDS, GROUP
from kpath.cluster.policykinds import (
    NETPOL_GROUP,
    NETPOL_GROUPS,
    OTHER_POLICY_BY_GROUP,
    OTHER_POLICY_RAW,
)
from kpath.cluster.raw import KINDS, RawCluster, RawObject
from kpath.errors import InputError

_GATEWAY_RESOURCES: dict[str, str] = {
    "gatewayclasses": "GatewayClass",
    "gateways": "Gateway",
    "listenersets": "ListenerSet",
    "httproutes": "HTTPRoute",
    "grpcroutes": "GRPCRoute",
    "tlsroutes": "TLSRoute",
    "tcproutes": "TCPRoute",
    "udproutes": "UDPRoute",
    "referencegrants": "ReferenceGrant",
    "backendtlspolicies": "BackendTLSPolicy",
}

#: File or directory name (lower case) → the kind of the objects in it, for data that does
#: not carry `kind` (sonobuoy's bare arrays; kindless Lists). Names kpath reads first, then
#: the other kinds sonobuoy and support bundles store, so those are counted as skipped
#: instead of being refused as unknown.
FILE_NAME_KINDS: dict[str, str] = {
    # kinds kpath reads
    "nodes": "Node",
    "node": "Node",
    "pods": "Pod",
    "pod": "Pod",
    "services": "Service",
    "service": "Service",
    "svc": "Service",
    "endpoints": "Endpoints",
    "endpointslices": "EndpointSlice",
    "endpointslice": "EndpointSlice",
    "ingress": "Ingress",
    "ingresses": "Ingress",
    "ingressclasses": "IngressClass",
    "ingressclass": "IngressClass",
    "ingress-classes": "IngressClass",
    "namespaces": "Namespace",
    "namespace": "Namespace",
    # Gateway API: plural resource names, alone or with the group as troubleshoot's
    # custom-resources/<plural>.<group>/ directories name them
    **{
        name: kind
        for plural, kind in _GATEWAY_RESOURCES.items()
        for name in (plural, f"{plural}.{GROUP}")
    },
    "networkpolicies": "NetworkPolicy",
    "networkpolicy": "NetworkPolicy",
    "netpol": "NetworkPolicy",
    f"networkpolicies.{NETPOL_GROUP}": "NetworkPolicy",
    # the policy kinds listed as not evaluated (troubleshoot's custom-resources/ names);
    # Calico's plural is networking.k8s.io's, so it counts only with its group
    **{
        name: raw
        for raw, other in OTHER_POLICY_RAW.items()
        for name in (
            (f"{other.plural}.{g}" for g in sorted(other.groups))
            if other.plural == "networkpolicies"
            else (other.plural, *(f"{other.plural}.{g}" for g in sorted(other.groups)))
        )
    },
    # kinds kpath skips (sonobuoy `resources/` and troubleshoot `cluster-resources/` names)
    "deployments": "Deployment",
    "daemonsets": "DaemonSet",
    "statefulsets": "StatefulSet",
    "replicasets": "ReplicaSet",
    "replicationcontrollers": "ReplicationController",
    "controllerrevisions": "ControllerRevision",
    "jobs": "Job",
    "cronjobs": "CronJob",
    "configmaps": "ConfigMap",
    "secrets": "Secret",
    "events": "Event",
    "serviceaccounts": "ServiceAccount",
    "persistentvolumes": "PersistentVolume",
    "pvs": "PersistentVolume",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "pvcs": "PersistentVolumeClaim",
    "storageclasses": "StorageClass",
    "storage-classes": "StorageClass",
    "limitranges": "LimitRange",
    "resourcequotas": "ResourceQuota",
    "poddisruptionbudgets": "PodDisruptionBudget",
    "podtemplates": "PodTemplate",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler",
    "roles": "Role",
    "rolebindings": "RoleBinding",
    "clusterroles": "ClusterRole",
    "clusterrolebindings": "ClusterRoleBinding",
    "customresourcedefinitions": "CustomResourceDefinition",
    "certificatesigningrequests": "CertificateSigningRequest",
    "componentstatuses": "ComponentStatus",
    "priorityclasses": "PriorityClass",
    "leases": "Lease",
    "csidrivers": "CSIDriver",
    "csinodes": "CSINode",
    "volumeattachments": "VolumeAttachment",
    "validatingwebhookconfigurations": "ValidatingWebhookConfiguration",
    "mutatingwebhookconfigurations": "MutatingWebhookConfiguration",
    "apiservices": "APIService",
}

#: apiVersion to fill in for an item whose kind came from a file name.
_API_VERSIONS: dict[str, str] = {
    "Node": "v1",
    "Pod": "v1",
    "Service": "v1",
    "Endpoints": "v1",
    "EndpointSlice": "discovery.k8s.io/v1",
    "Ingress": "networking.k8s.io/v1",
    "IngressClass": "networking.k8s.io/v1",
    "Namespace": "v1",
    **{kind: f"{GROUP}/v1" for kind in GATEWAY_KINDS},
    "NetworkPolicy": f"{NETPOL_GROUP}/v1",
    **{raw: other.api_version for raw, other in OTHER_POLICY_RAW.items()},
}

#: Kinds read only from these API groups: other projects reuse the names (Istio's
#: networking.istio.io/v1 Gateway is not a Gateway API Gateway). Any version of the group
#: is read (v1, v1beta1, v1alpha2, v1alpha3): the fields kpath reads kept their shape.
_KIND_GROUPS: dict[str, frozenset[str]] = {
    **{kind: frozenset({GROUP}) for kind in GATEWAY_KINDS},
    "ListenerSet": frozenset({GROUP, EXPERIMENTAL_GROUP}),
    "XListenerSet": frozenset({EXPERIMENTAL_GROUP}),  # the experimental channel's name
    # Calico's projectcalico.org NetworkPolicy is not networking.k8s.io's: _BY_GROUP below
    "NetworkPolicy": NETPOL_GROUPS,
    **{raw: other.groups for raw, other in OTHER_POLICY_RAW.items()},
    **{
        other.kind: other.groups
        for other in OTHER_POLICY_RAW.values()
        if other.kind != "NetworkPolicy"
    },
}
#: Kinds filed under another name (what the experimental channel called them).
_RENAMED: dict[str, str] = {"XListenerSet": "ListenerSet"}
#: (group, kind) filed under a kind of kpath's own: the not-evaluated policies (Calico's
#: NetworkPolicy as CalicoNetworkPolicy, never as networking.k8s.io's).
_BY_GROUP: dict[tuple[str, str], str] = {
    **OTHER_POLICY_BY_GROUP,
    **{(g, raw): raw for raw, other in OTHER_POLICY_RAW.items() for g in other.groups},
}

_READ: frozenset[str] = frozenset(KINDS)
# Keys that mark a mapping as meant to be a Kubernetes object or list.
_OBJECT_KEYS: tuple[str, ...] = ("kind", "apiVersion", "metadata")


def load_dump(
    paths: Sequence[str | Path], slim: bool = True, kinds: frozenset[str] | None = None
) -> RawCluster:
    """Read dump files and directories into one `RawCluster`.

    ``slim``: JSON objects keep only the fields kpath reads (`kpath.cluster.typed`: several
    times faster and smaller); False keeps every field (the lab serves them).
    ``kinds``: the only kinds (of `raw.KINDS`) the caller reads, None for all. Objects of
    the others are neither filed nor checked (an unnamed Pod of a dump read for its
    NetworkPolicies is no error), and their kinds are not in ``objects``: as if the dump
    had not carried them. Kinds kpath never reads are still counted in ``skipped``.
    Raises `InputError` (one line naming the file) for anything it cannot use.
    """
    if isinstance(paths, str | Path):  # a lone path would otherwise be read per character
        paths = [paths]
    if not paths:
        raise InputError("--dump needs at least one file or directory")
    raw = RawCluster(origin="dump: " + ", ".join(str(p) for p in paths))
    loader = _Loader(raw, slim, kinds)
    read: dict[Path, bool] = {}  # file -> did it hold Kubernetes data
    # One pause for all files: a bundle of many small files adds up to one big tree too.
    with GcPause() as pause:
        for arg in paths:
            useful = False
            for dump in find_files(arg):
                key = _identity(dump.path)
                if key not in read:  # else the same file named twice (a dir and a file in it)
                    read[key] = loader.load_file(dump)
                useful = read[key] or useful
            if not useful:
                raise fail(str(arg), "no Kubernetes objects or lists found")
        pause.freeze = loader.bytes_read >= FREEZE_BYTES
    loader.finish()
    return raw


def file_kind(path: Path) -> str | None:
    """The kind a file's name stands for (stem first, then parent directory), if any."""
    return FILE_NAME_KINDS.get(path.stem.lower()) or FILE_NAME_KINDS.get(path.parent.name.lower())


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def raw_kind_names(kinds: frozenset[str]) -> frozenset[str]:
    """Every name objects filed under ``kinds`` go by in a dump: the kinds themselves,
    what the experimental channel called them (XListenerSet), and the kind names of the
    policies filed under kpath's own (Calico's NetworkPolicy, for CalicoNetworkPolicy)."""
    renamed = {old for old, new in _RENAMED.items() if new in kinds}
    grouped = {kind for (_, kind), filed in _BY_GROUP.items() if filed in kinds}
    return frozenset(kinds | renamed | grouped)


def _looks_kubernetes(doc: Any) -> bool:
    """Is this document meant as Kubernetes data (as opposed to, say, a version file)?

    `items` alone does not count: sonobuoy's `sonobuoy_results.yaml` has test results there.
    A typed object (a Struct of `kpath.cluster.typed`) was decoded as its kind: it is.
    """
    if _struct_kind(doc) is not None:
        return True
    if isinstance(doc, dict):
        if any(key in doc for key in _OBJECT_KEYS):
            return True
        doc = doc.get("items")
    if isinstance(doc, list):
        return any(
            (isinstance(item, dict) and any(key in item for key in _OBJECT_KEYS))
            or _struct_kind(item) is not None
            for item in doc
        )
    return False


def _struct_kind(obj: Any) -> str | None:
    """The kind of a typed object (a Struct of `kpath.cluster.typed`); None for the rest."""
    if type(obj) in (dict, list):
        return None
    from kpath.cluster.typed import STRUCT_KINDS

    return STRUCT_KINDS.get(type(obj))


class _Loader:
    """Files documents into a RawCluster, keeping the last copy of each object."""

    def __init__(
        self, raw: RawCluster, slim: bool = True, kinds: frozenset[str] | None = None
    ) -> None:
        self.raw = raw
        self.slim = slim
        self.kinds = kinds
        # What the decoder may skip: any object that could be filed under one of kinds.
        self.names = raw_kind_names(kinds) if kinds is not None else None
        # kind -> (namespace, name) -> index in raw.objects[kind]
        self.index: dict[str, dict[tuple[str, str], int]] = {}
        self.duplicates = 0
        self.first_duplicate = ""
        self.bytes_read = 0

    def load_file(self, dump: DumpFile) -> bool:
        """File one dump file's objects; False when it holds no Kubernetes data at all."""
        named_kind = file_kind(dump.path)
        decode = None
        if self.slim:
            from kpath.cluster.typed import decode_documents

            names = self.names

            def decode(
                data: bytes | mmap, release: Callable[[int], None] | None
            ) -> list[Any] | None:
                return decode_documents(data, named_kind, release, names)

        docs, size = read_documents(dump, decode)
        self.bytes_read += size
        if named_kind is None and not any(_looks_kubernetes(doc) for doc in docs):
            category = dump.path.stem.lower() or "unknown"
            self.raw.skipped[category] = self.raw.skipped.get(category, 0) + 1
            return False
        many = len(docs) > 1
        for number, doc in enumerate(docs, 1):
            where = f"document {number}" if many else ""
            self._document(dump.label, where, doc, named_kind)
        # Drop the file's tree (list wrappers, metadata of lists) before the next file.
        del docs
        return True

    def finish(self) -> None:
        """Add the duplicate summary, once, after all files are read."""
        if self.duplicates:
            self.raw.warnings.append(
                f"{self.duplicates} object(s) appeared more than once in the dump; the last "
                f"copy of each is used (the first was {self.first_duplicate})"
            )
        self.index.clear()

    def _document(self, label: str, where: str, doc: Any, named_kind: str | None) -> None:
        if isinstance(doc, list):
            # A bare array: the kind can only come from the items or the file name.
            self._items(label, _join(where, ""), doc, named_kind, None, nested=False)
            if named_kind:
                self._saw(named_kind)
            return
        kind = _struct_kind(doc)
        if kind is not None:
            self._object(label, where, doc, kind)
            return
        if not isinstance(doc, dict):
            place = where or "the file"
            raise fail(label, f"{place} is {type_name(doc)}, not a Kubernetes object")
        if _is_list(doc):
            self._list(label, where, doc, named_kind, nested=False)
            return
        kind = _kind_of(label, where, doc)
        if kind is None:
            if named_kind is None:
                place = f"{where}: an" if where else "an"
                raise fail(label, f"{place} object without 'kind' (and its file name does not say)")
            kind = _fill_kind(doc, named_kind, None)
        self._object(label, where, doc, kind)

    def _list(
        self, label: str, where: str, doc: dict[str, Any], named_kind: str | None, nested: bool
    ) -> None:
        list_kind = doc.get("kind") or ""
        # "PodList" → "Pod"; a generic "List" (or none) leaves it to the items or file name.
        item_kind = list_kind[:-4] if list_kind not in ("", "List") else named_kind
        items = doc.get("items")
        if items is None:  # Go writes an empty list as null
            items = []
        if not isinstance(items, list):
            place = f"{where}: 'items'" if where else "'items'"
            raise fail(label, f"{place} is {type_name(items)}, not a list")
        api_version = doc.get("apiVersion") if list_kind not in ("", "List") else None
        self._items(label, _join(where, ""), items, item_kind, api_version, nested)
        if item_kind:
            self._saw(item_kind)

    def _saw(self, kind: str) -> None:
        if self.kinds is None or kind in self.kinds:
            self.raw.saw(kind)

    def _items(
        self,
        label: str,
        prefix: str,
        items: list[Any],
        default_kind: str | None,
        api_version: Any,
        nested: bool,
    ) -> None:
        # The hot loop for a 150k-pod List: no per-item string building unless it fails.
        struct_kind: Any = None  # typed decoding's, once an item is not a dict (a Struct)
        held, sources, index_of = self.raw.held, self.raw.sources, self.index
        wanted = self.kinds
        typed_filed = False
        for index, item in enumerate(items):
            if type(item) is not dict:
                if struct_kind is None:  # not imported for a dump read without it
                    from kpath.cluster.typed import STRUCT_KINDS, UNSET

                    struct_kind = STRUCT_KINDS.get
                kind = struct_kind(type(item))
                if kind is None:
                    raise fail(
                        label,
                        f"{prefix}items[{index}] is {type_name(item)}, not a Kubernetes object",
                    )
                if wanted is not None and kind not in wanted:
                    continue  # not read by this command (decoded to its kind alone)
                if kind == default_kind and item.apiVersion is UNSET:
                    # Perhaps kindless (a Struct does not say): as _fill_kind fills it.
                    version = api_version if isinstance(api_version, str) else None
                    item.apiVersion = version or _API_VERSIONS.get(kind, UNSET)
                # A typed object is of a kind read, without a group to check: filed here
                # when it is well named and new, else by _object (the first of its kind,
                # a later copy, or what is wrong with it).
                meta = item.metadata
                seen = index_of.get(kind)
                if meta is not None and seen is not None:
                    name, namespace = meta.name, meta.namespace
                    if (
                        type(name) is str
                        and name
                        and (namespace is None or type(namespace) is str)
                        and (key := (namespace or "", name)) not in seen
                    ):
                        objects = held[kind]
                        seen[key] = len(objects)
                        objects.append(item)
                        sources[kind].append(label)
                        typed_filed = True
                        continue
                self._object(label, f"{prefix}items[{index}]", item, kind)
                continue
            kind = item.get("kind")
            if not kind:
                if default_kind is None:
                    raise fail(
                        label,
                        f"{prefix}items[{index}] is an object without 'kind' "
                        "(and neither its list nor its file name says)",
                    )
                kind = _fill_kind(item, default_kind, api_version)
            elif type(kind) is not str:
                raise fail(label, f"{prefix}items[{index}]: 'kind' is {type_name(kind)}")
            elif not nested and "items" in item and _is_list(item):
                self._list(label, f"{prefix}items[{index}]", item, None, nested=True)
                continue
            self._object(label, f"{prefix}items[{index}]", item, kind)
        if typed_filed:
            self.raw.held_typed()

    def _object(self, label: str, where: str, item: Any, kind: str) -> None:
        if kind in _KIND_GROUPS:
            kind = _grouped_kind(item, kind)
            if kind not in _READ:  # another group's kind of that name, counted by group
                self.raw.add(kind, item)
                return
        if kind not in _READ:
            # Counted as skipped; its shape is none of our business. Real kinds are plain
            # identifiers; anything else (escape sequences, say) is counted as "unknown".
            self.raw.add(kind if kind.isascii() and kind.isalnum() else "unknown", item)
            return
        if self.kinds is not None and kind not in self.kinds:
            return  # read, but not by this command: as if the dump had not carried it
        if type(item) is not dict:  # a typed object: its metadata is one (or absent)
            meta = item.metadata
            if meta is None:
                raise fail(label, f"{_place(where, kind)}: metadata is missing")
            name, namespace = meta.name, meta.namespace
        else:
            meta = item.get("metadata")
            if type(meta) is not dict:
                what = "is missing" if meta is None else f"is {type_name(meta)}, not a mapping"
                raise fail(label, f"{_place(where, kind)}: metadata {what}")
            name, namespace = meta.get("name"), meta.get("namespace")
        self._file(label, where, item, kind, name, namespace)

    def _file(
        self, label: str, where: str, item: Any, kind: str, name: Any, namespace: Any
    ) -> None:
        if type(name) is not str or not name:
            raise fail(label, f"{_place(where, kind)}: metadata.name is missing")
        if namespace is not None and type(namespace) is not str:
            raise fail(label, f"{_place(where, kind)}: metadata.namespace is not a string")
        key = (namespace or "", name)
        seen = self.index.get(kind)
        if seen is None:
            seen = self.index[kind] = {}
        at = seen.get(key)
        if at is None:
            objects = self.raw.held.get(kind)
            seen[key] = len(objects) if objects is not None else 0
            self.raw.add(kind, item, label)
        else:
            self.raw.replace(kind, at, item, label)
            self.duplicates += 1
            if not self.first_duplicate:
                shown = f"{namespace}/{name}" if namespace else name
                self.first_duplicate = f"{kind} {shown} in {label}"


def _grouped_kind(item: RawObject, kind: str) -> str:
    """The kind to file an object of a group-checked kind under: itself (or its current
    name) in its own group, else ``Kind.group`` (counted as skipped, never read)."""
    version = item.get("apiVersion")
    group = version.rpartition("/")[0] if type(version) is str else ""
    filed = _BY_GROUP.get((group, kind))
    if filed is not None:
        return filed
    if group in _KIND_GROUPS[kind]:
        return _RENAMED.get(kind, kind)
    shown = f"{kind}.{group}" if group else kind
    ok = shown.isascii() and shown.replace(".", "").replace("-", "").isalnum()
    return shown if ok else "unknown"


def _is_list(doc: dict[str, Any]) -> bool:
    kind = doc.get("kind")
    return "items" in doc and (not kind or (isinstance(kind, str) and kind.endswith("List")))


def _kind_of(label: str, where: str, doc: dict[str, Any]) -> str | None:
    kind = doc.get("kind")
    if kind is None or kind == "":
        return None
    if type(kind) is not str:
        place = f"{where}: 'kind'" if where else "'kind'"
        raise fail(label, f"{place} is {type_name(kind)}, not a string")
    return kind


def _fill_kind(item: RawObject, kind: str, api_version: Any) -> str:
    """Give a kindless item the kind (and apiVersion) its list or file name implies, in place."""
    item["kind"] = kind
    if "apiVersion" not in item:
        version = api_version if isinstance(api_version, str) else _API_VERSIONS.get(kind)
        if version:
            item["apiVersion"] = version
    return kind


def _join(where: str, rest: str) -> str:
    return f"{where}, {rest}" if where else rest


def _place(where: str, kind: str) -> str:
    return f"{where} ({kind})" if where else f"the {kind}"
