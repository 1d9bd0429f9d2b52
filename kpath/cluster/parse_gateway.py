"""Gateway API dicts → the records of `gatewayapi.py`.

The conventions are `parse.py`'s (see its docstring): ``null`` is absence, a value of the
wrong type is a `BadField` naming the field path, fields kpath does not read are not looked
at. The defaults are the ones the Gateway API CRDs' schemas fill in (apis/v1/*.go
``+kubebuilder:default``), so a hand-written manifest and an object read from a live API
server give the same records:

- a backendRef's ``weight`` is 1, its ``group`` "" and ``kind`` Service;
- a parentRef's ``group`` is gateway.networking.k8s.io and ``kind`` Gateway;
- an HTTPRoute rule without matches has one ``PathPrefix /`` match, and a match without a
  path matches ``PathPrefix /``; header and query matches are ``Exact``; a GRPCRoute
  method match is ``Exact``;
- ``allowedRoutes.namespaces.from`` is Same; a listener with ``tls`` is in Terminate mode;
  a certificateRef is a core Secret; an address is an IPAddress;
- a RequestRedirect answers 302.

Every version the group has served reads alike: the shapes kpath reads did not change
between v1alpha2, v1beta1 and v1, except BackendTLSPolicy v1alpha2 (one ``targetRef``,
``tls.hostname``), which is read too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kpath.cluster.fields import (
    BadField,
    _intern,
    _labels,
    _map,
    _maps,
    _meta,
    _port,
    _selector,
    _str,
    _strs,
)
from kpath.cluster.gatewayapi import (
    AllowedRoutes,
    BackendRef,
    BackendTLSPolicy,
    Condition,
    Gateway,
    GatewayAddress,
    GatewayClass,
    GrantFrom,
    GrantTo,
    HeaderMatch,
    Listener,
    ListenerSet,
    ListenerStatus,
    ParentRef,
    PathMatch,
    PathModifier,
    PolicyTargetRef,
    ReferenceGrant,
    RequestRedirect,
    Route,
    RouteFilter,
    RouteGroupKind,
    RouteMatch,
    RouteParentStatus,
    RouteRule,
    SecretRef,
    URLRewrite,
)
from kpath.cluster.gatewaykinds import GROUP, ROUTE_KINDS
from kpath.cluster.records import LabelSelector

if TYPE_CHECKING:
    from kpath.cluster.parse import Interner

#: kubectl's copy of the whole manifest: kilobytes nobody routes by.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_DEFAULT_HTTP_MATCH = RouteMatch(PathMatch("PathPrefix", "/"), (), (), None, None, None, None)


def _int(value: Any, *where: str | int, low: int = 0, high: int = 2**31 - 1) -> int | None:
    """A whole number in range (a bool is not one, as Go's decoder sees it)."""
    if value is None:
        return None
    if type(value) is int and low <= value <= high:
        return value
    raise BadField(where, value, f"a number ({low}-{high})")


def _str_or(value: Any, default: str, *where: str | int) -> str:
    """A string field, ``default`` when it is missing (an empty string is kept)."""
    text = _str(value, *where)
    return default if text is None else text


def _required(value: str | None, *where: str | int) -> str:
    """A string the API server requires (a name): missing or empty is refused."""
    if not value:
        raise BadField(where, value, "a name")
    return value


# ---------------------------------------------------------------- shared pieces


def _conditions(raw: Any, *where: str | int) -> tuple[Condition, ...]:
    out = []
    for i, c in enumerate(_maps(raw, *where)):
        out.append(
            Condition(
                _str(c.get("type"), *where, i, "type") or "",
                _str(c.get("status"), *where, i, "status") or "Unknown",
                _str(c.get("reason"), *where, i, "reason") or "",
                _str(c.get("message"), *where, i, "message") or "",
                _int(c.get("observedGeneration"), *where, i, "observedGeneration", high=2**63 - 1),
            )
        )
    return tuple(out)


def _group_kinds(raw: Any, *where: str | int) -> tuple[RouteGroupKind, ...]:
    return tuple(
        RouteGroupKind(
            _str_or(k.get("group"), GROUP, *where, i, "group"),  # "" is the core group
            _required(_str(k.get("kind"), *where, i, "kind"), *where, i, "kind"),
        )
        for i, k in enumerate(_maps(raw, *where))
    )


def _group(ref: Mapping[str, Any], default: str, *where: str | int) -> str:
    """A ref's group: absent is the default, "" is the core group."""
    group = _str(ref.get("group"), *where, "group")
    return default if group is None else group


def parent_ref(raw: Any, *where: str | int) -> ParentRef:
    ref = _map(raw, *where)
    return ParentRef(
        _group(ref, GROUP, *where),
        _str(ref.get("kind"), *where, "kind") or "Gateway",
        _str(ref.get("namespace"), *where, "namespace") or None,
        _required(_str(ref.get("name"), *where, "name"), *where, "name"),
        _str(ref.get("sectionName"), *where, "sectionName") or None,
        _port(ref.get("port"), *where, "port"),
    )


# ---------------------------------------------------------------- GatewayClass, Gateway


def parse_gatewayclass(obj: Mapping[str, Any], intern: Interner) -> GatewayClass:
    _, _, name = _meta(obj, namespaced=False)
    spec = _map(obj.get("spec"), "spec")
    status = _map(obj.get("status"), "status")
    return GatewayClass(
        name,
        _str(spec.get("controllerName"), "spec", "controllerName") or "",
        _conditions(status.get("conditions"), "status", "conditions"),
    )


def _allowed_routes(raw: Any, *where: str | int) -> AllowedRoutes:
    allowed = _map(raw, *where)
    namespaces = _map(allowed.get("namespaces"), *where, "namespaces")
    return AllowedRoutes(
        _str(namespaces.get("from"), *where, "namespaces", "from") or "Same",
        _selector(namespaces.get("selector"), *where, "namespaces", "selector"),
        _group_kinds(allowed.get("kinds"), *where, "kinds"),
    )


def _listener(raw: Mapping[str, Any], *where: str | int) -> Listener:
    port = _port(raw.get("port"), *where, "port")
    if port is None:
        raise BadField((*where, "port"), None, "")
    tls_raw = raw.get("tls")
    tls = _map(tls_raw, *where, "tls")
    refs = tuple(
        SecretRef(
            _group(r, "", *where, "tls", "certificateRefs", i),
            _str(r.get("kind"), *where, "tls", "certificateRefs", i, "kind") or "Secret",
            _str(r.get("namespace"), *where, "tls", "certificateRefs", i, "namespace") or None,
            _required(
                _str(r.get("name"), *where, "tls", "certificateRefs", i, "name"),
                *where,
                "tls",
                "certificateRefs",
                i,
                "name",
            ),
        )
        for i, r in enumerate(_maps(tls.get("certificateRefs"), *where, "tls", "certificateRefs"))
    )
    mode = _str(tls.get("mode"), *where, "tls", "mode")
    return Listener(
        _required(_str(raw.get("name"), *where, "name"), *where, "name"),
        _str(raw.get("hostname"), *where, "hostname") or None,
        port,
        _intern(_required(_str(raw.get("protocol"), *where, "protocol"), *where, "protocol")),
        (mode or "Terminate") if tls_raw is not None else None,
        refs,
        _allowed_routes(raw.get("allowedRoutes"), *where, "allowedRoutes"),
    )


def _listeners(spec: Mapping[str, Any]) -> tuple[Listener, ...]:
    return tuple(
        _listener(raw, "spec", "listeners", i)
        for i, raw in enumerate(_maps(spec.get("listeners"), "spec", "listeners"))
    )


def _listener_status(status: Mapping[str, Any]) -> tuple[ListenerStatus, ...]:
    where = ("status", "listeners")
    return tuple(
        ListenerStatus(
            _str(s.get("name"), *where, i, "name") or "",
            _int(s.get("attachedRoutes"), *where, i, "attachedRoutes"),
            _group_kinds(s.get("supportedKinds"), *where, i, "supportedKinds"),
            _conditions(s.get("conditions"), *where, i, "conditions"),
        )
        for i, s in enumerate(_maps(status.get("listeners"), *where))
    )


def _addresses(raw: Any, *where: str | int) -> tuple[GatewayAddress, ...]:
    return tuple(
        GatewayAddress(
            _str(a.get("type"), *where, i, "type") or "IPAddress",
            _str(a.get("value"), *where, i, "value") or "",
        )
        for i, a in enumerate(_maps(raw, *where))
    )


def parse_gateway(obj: Mapping[str, Any], intern: Interner) -> Gateway:
    meta, namespace, name = _meta(obj)
    spec = _map(obj.get("spec"), "spec")
    status = _map(obj.get("status"), "status")
    allowed = spec.get("allowedListeners")
    listeners_from: str | None = None
    listeners_selector: LabelSelector | None = None
    if allowed is not None:
        where = ("spec", "allowedListeners", "namespaces")
        namespaces = _map(_map(allowed, "spec", "allowedListeners").get("namespaces"), *where)
        listeners_from = _str(namespaces.get("from"), *where, "from") or "None"
        listeners_selector = _selector(namespaces.get("selector"), *where, "selector")
        if listeners_from == "None":  # the default: no ListenerSet may attach
            listeners_from = None
    infra = _map(spec.get("infrastructure"), "spec", "infrastructure")
    annotations = _labels(meta.get("annotations"), "metadata", "annotations")
    return Gateway(
        namespace,
        name,
        _str(spec.get("gatewayClassName"), "spec", "gatewayClassName") or "",
        _listeners(spec),
        _addresses(spec.get("addresses"), "spec", "addresses"),
        _addresses(status.get("addresses"), "status", "addresses"),
        _conditions(status.get("conditions"), "status", "conditions"),
        _listener_status(status),
        listeners_from,
        listeners_selector,
        intern.labels(_labels(infra.get("labels"), "spec", "infrastructure", "labels")),
        intern.labels(_labels(meta.get("labels"), "metadata", "labels")),
        {k: v for k, v in annotations.items() if k != LAST_APPLIED},
        _creation(meta),
        _generation(meta),
    )


def _creation(meta: Mapping[str, Any]) -> str:
    return _str(meta.get("creationTimestamp"), "metadata", "creationTimestamp") or ""


def _generation(meta: Mapping[str, Any]) -> int | None:
    return _int(meta.get("generation"), "metadata", "generation", high=2**63 - 1)


def parse_listenerset(obj: Mapping[str, Any], intern: Interner) -> ListenerSet:
    meta, namespace, name = _meta(obj)
    spec = _map(obj.get("spec"), "spec")
    status = _map(obj.get("status"), "status")
    if spec.get("parentRef") is None:
        raise BadField(("spec", "parentRef"), None, "")
    return ListenerSet(
        namespace,
        name,
        parent_ref(spec.get("parentRef"), "spec", "parentRef"),
        _listeners(spec),
        _conditions(status.get("conditions"), "status", "conditions"),
        _listener_status(status),
        _creation(meta),
    )


# ---------------------------------------------------------------- routes


def _header_matches(raw: Any, *where: str | int) -> tuple[HeaderMatch, ...]:
    return tuple(
        HeaderMatch(
            _str(h.get("type"), *where, i, "type") or "Exact",
            _required(_str(h.get("name"), *where, i, "name"), *where, i, "name"),
            _str(h.get("value"), *where, i, "value") or "",
        )
        for i, h in enumerate(_maps(raw, *where))
    )


def _http_match(raw: Mapping[str, Any], *where: str | int) -> RouteMatch:
    path = _map(raw.get("path"), *where, "path")
    return RouteMatch(
        PathMatch(
            _str(path.get("type"), *where, "path", "type") or "PathPrefix",
            _str(path.get("value"), *where, "path", "value") or "/",
        ),
        _header_matches(raw.get("headers"), *where, "headers"),
        _header_matches(raw.get("queryParams"), *where, "queryParams"),
        _str(raw.get("method"), *where, "method") or None,
        None,
        None,
        None,
    )


def _grpc_match(raw: Mapping[str, Any], *where: str | int) -> RouteMatch:
    method_raw = raw.get("method")
    method = _map(method_raw, *where, "method")
    return RouteMatch(
        None,
        _header_matches(raw.get("headers"), *where, "headers"),
        (),
        None,
        (_str(method.get("type"), *where, "method", "type") or "Exact")
        if method_raw is not None
        else None,
        _str(method.get("service"), *where, "method", "service") or None,
        _str(method.get("method"), *where, "method", "method") or None,
    )


def _path_modifier(raw: Any, *where: str | int) -> PathModifier | None:
    if raw is None:
        return None
    path = _map(raw, *where)
    kind = _str(path.get("type"), *where, "type") or ""
    key = "replacePrefixMatch" if kind == "ReplacePrefixMatch" else "replaceFullPath"
    return PathModifier(kind, _str(path.get(key), *where, key) or "")


def _filters(raw: Any, *where: str | int) -> tuple[RouteFilter, ...]:
    out = []
    for i, f in enumerate(_maps(raw, *where)):
        at = (*where, i)
        kind = _str(f.get("type"), *at, "type") or ""
        redirect = rewrite = None
        if kind == "RequestRedirect":
            r = _map(f.get("requestRedirect"), *at, "requestRedirect")
            rw = (*at, "requestRedirect")
            redirect = RequestRedirect(
                _str(r.get("scheme"), *rw, "scheme") or None,
                _str(r.get("hostname"), *rw, "hostname") or None,
                _port(r.get("port"), *rw, "port"),
                _path_modifier(r.get("path"), *rw, "path"),
                _int(r.get("statusCode"), *rw, "statusCode", low=100, high=599) or 302,
            )
        elif kind == "URLRewrite":
            r = _map(f.get("urlRewrite"), *at, "urlRewrite")
            rw = (*at, "urlRewrite")
            rewrite = URLRewrite(
                _str(r.get("hostname"), *rw, "hostname") or None,
                _path_modifier(r.get("path"), *rw, "path"),
            )
        out.append(RouteFilter(_intern(kind), redirect, rewrite))
    return tuple(out)


def _backends(raw: Any, *where: str | int) -> tuple[BackendRef, ...]:
    out = []
    for i, b in enumerate(_maps(raw, *where)):
        at = (*where, i)
        weight = _int(b.get("weight"), *at, "weight", high=1_000_000)
        out.append(
            BackendRef(
                _group(b, "", *at),
                _str(b.get("kind"), *at, "kind") or "Service",
                _str(b.get("namespace"), *at, "namespace") or None,
                _required(_str(b.get("name"), *at, "name"), *at, "name"),
                _port(b.get("port"), *at, "port"),
                1 if weight is None else weight,
            )
        )
    return tuple(out)


def _rule(kind: str, raw: Mapping[str, Any], i: int) -> RouteRule:
    where = ("spec", "rules", i)
    matches: tuple[RouteMatch, ...] = ()
    filters: tuple[RouteFilter, ...] = ()
    if kind in ("HTTPRoute", "GRPCRoute"):
        read = _http_match if kind == "HTTPRoute" else _grpc_match
        matches = tuple(
            read(m, *where, "matches", n)
            for n, m in enumerate(_maps(raw.get("matches"), *where, "matches"))
        )
        if not matches and kind == "HTTPRoute":
            matches = (_DEFAULT_HTTP_MATCH,)  # the CRD's default for rules[].matches
        filters = _filters(raw.get("filters"), *where, "filters")
    return RouteRule(
        _str(raw.get("name"), *where, "name") or None,
        matches,
        filters,
        _backends(raw.get("backendRefs"), *where, "backendRefs"),
    )


def _route_status(status: Mapping[str, Any]) -> tuple[RouteParentStatus, ...]:
    where = ("status", "parents")
    return tuple(
        RouteParentStatus(
            parent_ref(p.get("parentRef"), *where, i, "parentRef"),
            _str(p.get("controllerName"), *where, i, "controllerName") or "",
            _conditions(p.get("conditions"), *where, i, "conditions"),
        )
        for i, p in enumerate(_maps(status.get("parents"), *where))
    )


def _route_parser(kind: str) -> Callable[[Mapping[str, Any], Interner], Route]:
    hostnames = kind in ("HTTPRoute", "GRPCRoute", "TLSRoute")

    def parse_route(obj: Mapping[str, Any], intern: Interner) -> Route:
        meta, namespace, name = _meta(obj)
        spec = _map(obj.get("spec"), "spec")
        return Route(
            kind,
            namespace,
            name,
            tuple(
                parent_ref(p, "spec", "parentRefs", i)
                for i, p in enumerate(_maps(spec.get("parentRefs"), "spec", "parentRefs"))
            ),
            _strs(spec.get("hostnames"), "spec", "hostnames") if hostnames else (),
            tuple(
                _rule(kind, r, i) for i, r in enumerate(_maps(spec.get("rules"), "spec", "rules"))
            ),
            _route_status(_map(obj.get("status"), "status")),
            _creation(meta),
            _generation(meta),
        )

    parse_route.__name__ = f"parse_{kind.lower()}"
    return parse_route


# ---------------------------------------------------------------- grants and policies


def parse_referencegrant(obj: Mapping[str, Any], intern: Interner) -> ReferenceGrant:
    _, namespace, name = _meta(obj)
    spec = _map(obj.get("spec"), "spec")
    from_ = tuple(
        GrantFrom(
            _str(f.get("group"), "spec", "from", i, "group") or "",
            _str(f.get("kind"), "spec", "from", i, "kind") or "",
            _str(f.get("namespace"), "spec", "from", i, "namespace") or "",
        )
        for i, f in enumerate(_maps(spec.get("from"), "spec", "from"))
    )
    to = tuple(
        GrantTo(
            _str(t.get("group"), "spec", "to", i, "group") or "",
            _str(t.get("kind"), "spec", "to", i, "kind") or "",
            _str(t.get("name"), "spec", "to", i, "name") or None,
        )
        for i, t in enumerate(_maps(spec.get("to"), "spec", "to"))
    )
    return ReferenceGrant(namespace, name, from_, to)


def _target_ref(t: Mapping[str, Any], *where: str | int) -> PolicyTargetRef:
    return PolicyTargetRef(
        _str(t.get("group"), *where, "group") or "",
        _str(t.get("kind"), *where, "kind") or "",
        _required(_str(t.get("name"), *where, "name"), *where, "name"),
        _str(t.get("sectionName"), *where, "sectionName") or None,
    )


def parse_backendtlspolicy(obj: Mapping[str, Any], intern: Interner) -> BackendTLSPolicy:
    _, namespace, name = _meta(obj)
    spec = _map(obj.get("spec"), "spec")
    targets = tuple(
        _target_ref(t, "spec", "targetRefs", i)
        for i, t in enumerate(_maps(spec.get("targetRefs"), "spec", "targetRefs"))
    )
    if not targets and spec.get("targetRef") is not None:  # v1alpha2: a single targetRef
        targets = (_target_ref(_map(spec["targetRef"], "spec", "targetRef"), "spec", "targetRef"),)
    key = "validation" if spec.get("validation") is not None else "tls"  # v1alpha2: tls
    validation = _map(spec.get(key), "spec", key)
    return BackendTLSPolicy(
        namespace, name, targets, _str(validation.get("hostname"), "spec", key, "hostname") or None
    )


GATEWAY_PARSERS: dict[str, Callable[[Mapping[str, Any], Interner], Any]] = {
    "GatewayClass": parse_gatewayclass,
    "Gateway": parse_gateway,
    "ListenerSet": parse_listenerset,
    **{kind: _route_parser(kind) for kind in ROUTE_KINDS},
    "ReferenceGrant": parse_referencegrant,
    "BackendTLSPolicy": parse_backendtlspolicy,
}
