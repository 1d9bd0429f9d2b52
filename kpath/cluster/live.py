"""The live source: list what kpath needs from the API server of a kubeconfig context.

The `kubernetes` package gives kubeconfig handling as kubectl does it (``KUBECONFIG`` lists,
``--context``, exec plugins, tokens, client certificates, in-cluster service accounts) and
the transport. Its model classes are not used: each page is decoded straight from the
response bytes with the cyclic GC paused (notes-lab §4), and the dicts go on as they came.

Only GETs are sent. A kind the user may not list (403) is recorded as not visible and the
rest still loads; an unreachable server is one `SourceError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import urllib3
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from kpath.cluster.raw import RawCluster
from kpath.errors import InputError, SourceError
from kpath.gcpause import paused_gc


@dataclass(frozen=True)
class LiveOptions:
    kubeconfig: str | None = None  # --kubeconfig; else $KUBECONFIG; else ~/.kube/config
    context: str | None = None  # --context
    namespace: str | None = None  # -n; None (without -A): the context's namespace
    all_namespaces: bool = False  # -A
    selector: str | None = None  # -l: Services with these labels (and what refers to them)
    page_size: int = 500
    timeout: float = 10.0


class Kind(NamedTuple):
    kind: str
    prefix: str  # "/api/v1" or "/apis/GROUP/VERSION"
    plural: str
    namespaced: bool


KINDS = (
    Kind("Node", "/api/v1", "nodes", False),
    Kind("Pod", "/api/v1", "pods", True),
    Kind("Service", "/api/v1", "services", True),
    Kind("EndpointSlice", "/apis/discovery.k8s.io/v1", "endpointslices", True),
    Kind("Ingress", "/apis/networking.k8s.io/v1", "ingresses", True),
    Kind("IngressClass", "/apis/networking.k8s.io/v1", "ingressclasses", False),
)
ENDPOINTS = Kind("Endpoints", "/api/v1", "endpoints", True)


class _Forbidden(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _config_files(explicit: str | None) -> str | None:
    """What kubectl would read: --kubeconfig, else $KUBECONFIG, else ~/.kube/config."""
    if explicit:
        if not Path(explicit).expanduser().is_file():
            raise InputError(f"kubeconfig {explicit}: no such file")
        return explicit
    env = os.environ.get("KUBECONFIG")
    if env:
        files = [f for f in env.split(os.pathsep) if f and Path(f).expanduser().is_file()]
        return os.pathsep.join(files) if files else None
    default = Path("~/.kube/config").expanduser()
    return str(default) if default.is_file() else None


def list_contexts(kubeconfig: str | None = None) -> tuple[list[str], str | None]:
    """Context names in the kubeconfig, and the current one."""
    files = _config_files(kubeconfig)
    if files is None:
        return [], None
    try:
        contexts, current = config.list_kube_config_contexts(config_file=files)
    except (ConfigException, OSError, ValueError) as exc:
        raise InputError(f"kubeconfig {files}: {_one_line(exc)}") from None
    return [c["name"] for c in contexts], (current or {}).get("name")


def _configure(opts: LiveOptions) -> tuple[client.Configuration, str, str | None]:
    """A client configuration, the context's name, and its default namespace."""
    cfg = client.Configuration()
    files = _config_files(opts.kubeconfig)
    if files is None:
        try:
            config.load_incluster_config(client_configuration=cfg)
        except ConfigException:
            raise InputError("no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config) "
                             "and not running in a cluster; use --dump for offline files"
                             ) from None
        ns_file = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        return cfg, "in-cluster", ns_file.read_text().strip() if ns_file.is_file() else None
    names, current = list_contexts(files)
    name = opts.context or current
    if name is None or name not in names:
        what = f"context {name!r} not found" if name else "no current context"
        raise InputError(f"kubeconfig {files}: {what} (contexts: {', '.join(names) or 'none'})")
    try:
        config.load_kube_config(config_file=files, context=name, client_configuration=cfg,
                                persist_config=False)
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        raise InputError(f"kubeconfig {files}, context {name}: {_one_line(exc)}") from None
    contexts, _ = config.list_kube_config_contexts(config_file=files)
    ctx = next((c for c in contexts if c["name"] == name), {})
    return cfg, name, (ctx.get("context") or {}).get("namespace")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class _Reader:
    """Paginated GETs decoded from bytes; knows nothing of routing."""

    def __init__(self, cfg: client.Configuration, opts: LiveOptions) -> None:
        cfg.retries = 0  # an unreachable server should fail at once, not after retries
        self.api = client.ApiClient(cfg)
        self.server = cfg.host
        self.opts = opts

    def pages(self, path: str, query: dict[str, str]) -> Iterator[dict[str, Any]]:
        params = dict(query, limit=str(self.opts.page_size))
        while True:
            doc = self.get(path, params)
            yield doc
            token = (doc.get("metadata") or {}).get("continue")
            if not token:
                return
            params["continue"] = token

    def get(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        method, url, headers, _, _ = self.api.param_serialize(
            "GET", path, query_params=list(query.items()),
            header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
        try:
            response = self.api.call_api(method, url, header_params=headers,
                                         _request_timeout=self.opts.timeout)
            data = response.read()
        except (urllib3.exceptions.HTTPError, OSError, client.ApiException) as exc:
            raise SourceError(f"cannot reach the API server at {self.server}: "
                              f"{_reason(exc)}") from None
        if response.status == 401:
            raise SourceError(f"the API server at {self.server} rejected the credentials "
                              "(401 Unauthorized)")
        if response.status in (403, 404):
            raise _Forbidden(response.status, _status_message(data))
        if response.status >= 400:
            raise SourceError(f"{path}: the API server answered {response.status}: "
                              f"{_status_message(data)}")
        try:
            with paused_gc():
                doc = json.loads(data)
        except ValueError:
            raise SourceError(f"{path}: the API server's answer is not JSON") from None
        if not isinstance(doc, dict):
            raise SourceError(f"{path}: the API server's answer is not a list")
        return doc


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None)
    text = _one_line(inner if isinstance(inner, BaseException) else exc)
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return text[:200]


def _status_message(data: bytes) -> str:
    try:
        return str(json.loads(data).get("message") or "")[:300]
    except (ValueError, AttributeError):
        return data[:200].decode("utf-8", "replace")


def load_live(options: LiveOptions) -> RawCluster:
    cfg, context, default_ns = _configure(options)
    reader = _Reader(cfg, options)
    namespace = None if options.all_namespaces else (options.namespace or default_ns
                                                     or "default")
    raw = RawCluster(origin=f"context {context} @ {reader.server}")
    for kind in KINDS:
        # -l selects Services on the server, with kubectl's full selector syntax.
        query = {"labelSelector": options.selector} if (
            options.selector and kind.kind == "Service") else {}
        if not _read(reader, raw, kind, namespace, query) and kind.kind == "EndpointSlice":
            _read(reader, raw, ENDPOINTS, namespace, {})  # older clusters, or slices forbidden
    if options.selector:
        _keep_referring(raw)
    return raw


def _read(reader: _Reader, raw: RawCluster, kind: Kind, namespace: str | None,
          query: dict[str, str]) -> bool:
    path = f"{kind.prefix}/{kind.plural}"
    if kind.namespaced and namespace is not None:
        path = f"{kind.prefix}/namespaces/{quote(namespace, safe='')}/{kind.plural}"
    try:
        for page in reader.pages(path, query):
            raw.saw(kind.kind)
            for item in page.get("items") or ():
                item.setdefault("kind", kind.kind)  # list items carry no kind of their own
                raw.add(kind.kind, item)
    except _Forbidden as exc:
        what = "forbidden" if exc.code == 403 else "not served by this cluster"
        raw.not_visible[kind.kind] = f"{what}: {exc}" if str(exc) else what
        raw.objects.pop(kind.kind, None)
        return False
    return True


def _keep_referring(raw: RawCluster) -> None:
    """With -l: keep only the slices and Ingresses that refer to a selected Service."""
    keep = {(s["metadata"].get("namespace"), s["metadata"]["name"])
            for s in raw.objects.get("Service", [])}

    def owner(obj: dict[str, Any], kind: str) -> tuple[str | None, str | None]:
        meta = obj["metadata"]
        if kind == "EndpointSlice":
            return meta.get("namespace"), (meta.get("labels") or {}).get(
                "kubernetes.io/service-name")
        return meta.get("namespace"), meta["name"]

    for kind in ("EndpointSlice", "Endpoints"):
        if kind in raw.objects:
            raw.objects[kind] = [o for o in raw.objects[kind] if owner(o, kind) in keep]
    if "Ingress" in raw.objects:
        raw.objects["Ingress"] = [
            i for i in raw.objects["Ingress"]
            if any((i["metadata"].get("namespace"), name) in keep for name in _backends(i))
        ]


def _backends(ingress: dict[str, Any]) -> Iterator[str]:
    spec = ingress.get("spec") or {}
    default = (spec.get("defaultBackend") or {}).get("service") or {}
    if default.get("name"):
        yield default["name"]
    for rule in spec.get("rules") or ():
        for p in (rule.get("http") or {}).get("paths") or ():
            name = ((p.get("backend") or {}).get("service") or {}).get("name")
            if name:
                yield name
