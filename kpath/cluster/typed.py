"""Typed JSON decoding: API objects decoded straight into small dicts of the fields kpath reads.

A `kubectl get … -A -o json` of a big cluster is mostly what routing never reads (managed
fields, container images, env, volumes, probes). ``json.loads`` builds every one of those
values as Python objects before the parsers pick a dozen out; msgspec, given the shape of
what is read (a ``TypedDict`` per kind below), skips the rest in C and builds only that: a
fifth of the time and memory. The parsers (`parse.py`) then read the same plain dicts they
read from ``json.loads``, so their type checks and messages stay the only ones.

Correctness does not depend on these shapes being complete or strict in the same way as
the parsers:

- A field a parser reads must be declared here, or it would be silently absent:
  `tests/cluster/test_typed.py` builds snapshots both ways and compares them.
- Declared types are as strict as the parsers' or stricter (``str | None`` where the
  parser takes a string or null). A value msgspec refuses (a wrongly typed field, a number
  out of range, a ``null`` in a list) makes that one object decode in full, as
  ``json.loads`` would, and the parser then says what is wrong with it, naming it: the
  error is that object's, never the file's.
- Anything msgspec does not read as ``json.loads`` does (NaN, a byte-order mark, UTF-16,
  a lone surrogate escape, invalid JSON, nesting too deep) makes the caller decode the
  whole file the standard way (`decode_documents` returns None), so its reading, and its
  one-line errors, are exactly today's.

Two refusals of ``json.loads`` are not shared where msgspec skips a field without building
it: an integer of thousands of digits (CPython's guard against quadratic conversion), and
nesting just under msgspec's own depth limit (deeper nesting is refused as before). Past
such a field the file is read on; in a field kpath reads, both are refused as before.

Kinds that are rarely large (Gateway API, NetworkPolicy and the other policy kinds) are
decoded in full: their parsers read most of them anyway.
"""

from __future__ import annotations

import functools
import json
import mmap
import re
from collections.abc import Callable
from typing import Any, TypedDict

import msgspec

# ---------------------------------------------------------------- shapes
# total=False: every field may be absent, as in the API. Where the API (and the parsers)
# allow null, the type says ``| None``; stricter than the parser is safe (the object is then
# decoded in full), laxer is not.


class _Empty(TypedDict, total=False):
    """Any mapping, none of whose fields is read."""


class _Object(TypedDict, total=False):
    kind: Any
    apiVersion: Any


class _Other(_Object, total=False):
    """An object of a kind kpath does not read: only counted (its metadata only marks the
    file as Kubernetes data)."""

    metadata: _Empty


class _NamedMeta(TypedDict, total=False):
    name: Any
    namespace: Any
    resourceVersion: str | None


class _LabelledMeta(_NamedMeta, total=False):
    labels: dict[str, str] | None


class _PodMeta(_LabelledMeta, total=False):
    deletionTimestamp: str | None


class _ServiceMeta(_LabelledMeta, total=False):
    annotations: dict[str, str] | None


class _AnnotatedMeta(_NamedMeta, total=False):
    annotations: dict[str, str] | None
    creationTimestamp: str | None


class _Condition(TypedDict, total=False):
    type: str | None
    status: str | None


class _ContainerPort(TypedDict, total=False):
    containerPort: int | None
    name: str | None
    protocol: str | None


class _Container(TypedDict, total=False):
    ports: list[_ContainerPort] | None


class _PodSpec(TypedDict, total=False):
    containers: list[_Container] | None
    nodeName: str | None
    hostNetwork: bool | None


class _PodStatus(TypedDict, total=False):
    podIP: str | None
    phase: str | None
    conditions: list[_Condition] | None


class Pod(_Object, total=False):
    metadata: _PodMeta
    spec: _PodSpec | None
    status: _PodStatus | None


class _NodeAddress(TypedDict, total=False):
    type: str | None
    address: str | None


class _NodeSpec(TypedDict, total=False):
    unschedulable: bool | None


class _NodeStatus(TypedDict, total=False):
    conditions: list[_Condition] | None
    addresses: list[_NodeAddress] | None


class Node(_Object, total=False):
    metadata: _LabelledMeta
    spec: _NodeSpec | None
    status: _NodeStatus | None


class _ServicePort(TypedDict, total=False):
    name: str | None
    protocol: str | None
    port: int | None
    targetPort: int | str | None
    nodePort: int | None
    appProtocol: str | None


class _ClientIP(TypedDict, total=False):
    timeoutSeconds: int | None


class _AffinityConfig(TypedDict, total=False):
    clientIP: _ClientIP | None


class _ServiceSpec(TypedDict, total=False):
    type: str | None
    ports: list[_ServicePort] | None
    clusterIP: str | None
    clusterIPs: list[str] | None
    externalIPs: list[str] | None
    selector: dict[str, str] | None
    externalTrafficPolicy: str | None
    internalTrafficPolicy: str | None
    healthCheckNodePort: int | None
    allocateLoadBalancerNodePorts: bool | None
    sessionAffinity: str | None
    sessionAffinityConfig: _AffinityConfig | None
    loadBalancerClass: str | None
    externalName: str | None
    trafficDistribution: str | None
    publishNotReadyAddresses: bool | None


class _LBIngress(TypedDict, total=False):
    ip: str | None
    hostname: str | None
    ipMode: str | None


class _LoadBalancer(TypedDict, total=False):
    ingress: list[_LBIngress] | None


class _LBStatus(TypedDict, total=False):
    loadBalancer: _LoadBalancer | None


class Service(_Object, total=False):
    metadata: _ServiceMeta
    spec: _ServiceSpec | None
    status: _LBStatus | None


class _TargetRef(TypedDict, total=False):
    kind: str | None
    name: str | None
    namespace: str | None


class _EndpointConditions(TypedDict, total=False):
    ready: bool | None
    serving: bool | None
    terminating: bool | None


class _HintName(TypedDict, total=False):
    name: str | None


class _Hints(TypedDict, total=False):
    forZones: list[_HintName] | None
    forNodes: list[_HintName] | None


class _Endpoint(TypedDict, total=False):
    addresses: list[str] | None
    conditions: _EndpointConditions | None
    nodeName: str | None
    zone: str | None
    hints: _Hints | None
    targetRef: _TargetRef | None


class _EndpointPort(TypedDict, total=False):
    name: str | None
    port: int | None
    protocol: str | None
    appProtocol: str | None


class EndpointSlice(_Object, total=False):
    metadata: _LabelledMeta
    addressType: str | None
    endpoints: list[_Endpoint] | None
    ports: list[_EndpointPort] | None


class _EndpointAddress(TypedDict, total=False):
    ip: str | None
    nodeName: str | None
    targetRef: _TargetRef | None


class _Subset(TypedDict, total=False):
    addresses: list[_EndpointAddress] | None
    notReadyAddresses: list[_EndpointAddress] | None
    ports: list[_EndpointPort] | None


class Endpoints(_Object, total=False):
    metadata: _NamedMeta
    subsets: list[_Subset] | None


class _BackendPort(TypedDict, total=False):
    number: int | None
    name: str | None


class _BackendService(TypedDict, total=False):
    name: str | None
    port: _BackendPort | None


class _BackendResource(TypedDict, total=False):
    kind: str | None
    name: str | None


class _Backend(TypedDict, total=False):
    service: _BackendService | None
    resource: _BackendResource | None
    # networking.k8s.io/v1beta1 and extensions/v1beta1
    serviceName: str | None
    servicePort: int | str | None


class _IngressPath(TypedDict, total=False):
    path: str | None
    pathType: str | None
    backend: _Backend | None


class _HTTPRule(TypedDict, total=False):
    paths: list[_IngressPath] | None


class _IngressRule(TypedDict, total=False):
    host: str | None
    http: _HTTPRule | None


class _IngressTLS(TypedDict, total=False):
    hosts: list[str] | None


class _IngressSpec(TypedDict, total=False):
    ingressClassName: str | None
    rules: list[_IngressRule] | None
    tls: list[_IngressTLS] | None
    defaultBackend: _Backend | None
    backend: _Backend | None


class Ingress(_Object, total=False):
    metadata: _AnnotatedMeta
    spec: _IngressSpec | None
    status: _LBStatus | None


class _IngressClassSpec(TypedDict, total=False):
    controller: str | None


class IngressClass(_Object, total=False):
    metadata: _AnnotatedMeta
    spec: _IngressClassSpec | None


class Namespace(_Object, total=False):
    metadata: _LabelledMeta


#: The kinds decoded slim, by kind; every other kind kpath reads is decoded in full.
SHAPES: dict[str, type] = {
    "Pod": Pod,
    "Node": Node,
    "Service": Service,
    "EndpointSlice": EndpointSlice,
    "Endpoints": Endpoints,
    "Ingress": Ingress,
    "IngressClass": IngressClass,
    "Namespace": Namespace,
}


# Every shape at once, for a List of mixed kinds decoded in one pass: no two shapes give
# one field name different types, so an object decoded this way holds what its own shape
# holds (and at most a few fields of its kind that no parser reads).
class _AnyMeta(_PodMeta, _ServiceMeta, _AnnotatedMeta, total=False):
    pass


class _AnySpec(_PodSpec, _NodeSpec, _ServiceSpec, _IngressSpec, _IngressClassSpec, total=False):
    pass


class _AnyStatus(_PodStatus, _NodeStatus, _LBStatus, total=False):
    pass


class _AnyObject(_Object, total=False):
    metadata: _AnyMeta
    spec: _AnySpec | None
    status: _AnyStatus | None
    addressType: str | None
    endpoints: list[_Endpoint] | None
    ports: list[_EndpointPort] | None
    subsets: list[_Subset] | None


class _AnyDocument(_AnyObject, total=False):
    items: list[_AnyObject] | None


# ---------------------------------------------------------------- decoders
# Built on first use, one per shape: building one walks the shape's type hints (most of
# this module's import time when they were built with it), and a command that reads a few
# kinds (`kpath reach`) needs only their decoders.

#: The shape that stands for "every field" (``json.loads``' reading, in msgspec).
_WHOLE: Any = Any
_BUILT: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decoder_of(shape: Any) -> msgspec.json.Decoder[Any]:
    """msgspec's decoder for ``shape``, built the first time it is asked for."""
    found = _BUILT.get(shape)
    if found is None:
        found = _BUILT[shape] = msgspec.json.Decoder(shape)
    return found


class _Envelope(TypedDict, total=False):
    kind: Any
    apiVersion: Any
    items: list[msgspec.Raw] | None


class _Page(_Object, total=False):
    metadata: Any  # a list's own metadata: continue, resourceVersion (small)
    items: list[_AnyObject] | None


class _PageEnvelope(_Envelope, total=False):
    metadata: Any


_ANY_ARRAY: Any = list[_AnyObject]
_RAWS: Any = list[msgspec.Raw]

#: msgspec's words for a second JSON value after the first, and where it starts (+1).
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)")
_WS = b" \t\r\n"
# ValueError: json.loads' own refusal of an integer of thousands of digits (in `_full`).
_DECODE_ERRORS = (msgspec.DecodeError, RecursionError, MemoryError, ValueError)


class _Mixed(Exception):
    """Decoded in one pass, but an object is of a kind without a shape: decode per item."""


def _shape_of(kind: Any, wanted: frozenset[str] | None = None) -> Any:
    """The shape an object of ``kind`` is decoded into. ``wanted``: the only kinds the
    caller reads (None: all); an object of another kind is decoded as one not read at all,
    whatever else it holds."""
    if type(kind) is not str:
        return _WHOLE
    if wanted is not None and kind not in wanted and not kind.endswith("List"):
        return _Other
    found = SHAPES.get(kind)
    if found is not None:
        return found
    if kind in _full_kinds() or kind.endswith("List"):
        return _WHOLE  # read in full, or a List nested in a List
    return _Other


def _decoder(kind: Any, wanted: frozenset[str] | None = None) -> msgspec.json.Decoder[Any]:
    return _decoder_of(_shape_of(kind, wanted))


def _full(raw: msgspec.Raw) -> Any:
    """One value as ``json.loads`` reads it (msgspec refuses numbers such as 1e400)."""
    try:
        return _decoder_of(_WHOLE).decode(raw)
    except msgspec.ValidationError:
        return json.loads(bytes(raw))


def decode_item(
    raw: msgspec.Raw,
    default: str | None,
    guess: str | None,
    wanted: frozenset[str] | None = None,
) -> tuple[Any, Any]:
    """One list item, slim when its kind has a shape; and its kind (item's own, else
    ``default``). ``guess``: the kind it probably is (its neighbour's), tried first.
    ``wanted``: see `_shape_of`."""
    try:
        obj = _decoder(guess, wanted).decode(raw)
    except msgspec.ValidationError:
        obj = None
    if type(obj) is dict:
        kind = obj.get("kind") or default
        if kind == guess:
            return obj, kind
    try:
        head = _decoder_of(_Object).decode(raw)
    except msgspec.ValidationError:
        return _full(raw), None  # not an object: the reader says what it is
    kind = head.get("kind") or default
    try:
        return _decoder(kind, wanted).decode(raw), kind
    except msgspec.ValidationError:
        # A field of the wrong type (or a value msgspec does not take): the whole object,
        # for the parser to name what is wrong in it.
        return _full(raw), kind


#: Told, as items are decoded, an offset in the file before which every byte has been read
#: (a lower bound): a mapped file's pages before it can be let go.
Release = Callable[[int], None]
#: How often (bytes of items decoded) ``release`` is told.
RELEASE_STEP = 8 * 1024 * 1024


def decode_items(
    raws: list[msgspec.Raw],
    default: str | None,
    release: Release | None = None,
    wanted: frozenset[str] | None = None,
) -> list[Any]:
    """A list's items, each slim where its kind has a shape; ``raws`` is emptied as it goes.
    ``wanted``: see `_shape_of`."""
    out: list[Any] = []
    append = out.append
    guess = default
    done, mark = 0, RELEASE_STEP
    # Items in reverse, so each Raw (a view on the file's bytes) goes as soon as it is read.
    raws.reverse()
    pop = raws.pop
    while raws:
        raw = pop()
        obj, guess = decode_item(raw, default, guess, wanted)
        append(obj)
        if release is not None:
            # The items lie one after another: the bytes of those read so far are a lower
            # bound of where the next one starts.
            done += len(raw)
            if done >= mark:
                release(done)
                mark = done + RELEASE_STEP
    return out


def _all_shaped(items: list[Any], default: Any) -> None:
    """Raise `_Mixed` unless every item is an object whose kind (its own, else ``default``)
    has a shape or is not read at all (counted only)."""
    for item in items:
        kind = item.get("kind") or default
        if type(kind) is not str or (kind not in SHAPES and _shape_of(kind) is _WHOLE):
            raise _Mixed


def _one_pass(data: memoryview, named_kind: str | None) -> Any:
    """The common case: a List (or bare array, or object) of shaped kinds, in one pass."""
    if data[0] == 0x5B:  # "[": a bare array, kind from the items or the file name
        items = _decoder_of(_ANY_ARRAY).decode(data)
        _all_shaped(items, named_kind)
        return items
    doc = _decoder_of(_AnyDocument).decode(data)
    kind = doc.get("kind")
    if "items" in doc and (not kind or (type(kind) is str and kind.endswith("List"))):
        items = doc["items"]
        if items:
            _all_shaped(
                items, kind[:-4] if type(kind) is str and kind not in ("", "List") else named_kind
            )
        return doc
    _all_shaped([doc], named_kind)
    doc.pop("items", None)  # not a List: a field of the object, which no parser reads
    return doc


def _document(
    data: memoryview,
    named_kind: str | None,
    release: Release | None,
    wanted: frozenset[str] | None,
) -> Any:
    """One JSON value (a List, an object, a bare array) with its objects slim. With
    ``release`` or ``wanted``, item by item (the file's pages let go of as they are read;
    objects of other kinds not decoded); else in one pass where it can."""
    if release is None and wanted is None:
        try:
            return _one_pass(data, named_kind)
        except (msgspec.ValidationError, _Mixed):
            pass  # mixed kinds, or one object msgspec refuses: item by item
    if data[0] == 0x5B:
        return decode_items(_decoder_of(_RAWS).decode(data), named_kind, release, wanted)
    doc = _decoder_of(_Envelope).decode(data)
    kind = doc.get("kind")
    if "items" in doc and (not kind or (type(kind) is str and kind.endswith("List"))):
        items = doc["items"]
        if items is not None:
            item_kind = kind[:-4] if type(kind) is str and kind not in ("", "List") else named_kind
            doc["items"] = decode_items(items, item_kind, release, wanted)
        return doc
    return _decoder(kind or named_kind, wanted).decode(data)


def decode_documents(
    data: bytes | mmap.mmap,
    named_kind: str | None = None,
    release: Release | None = None,
    kinds: frozenset[str] | None = None,
) -> list[Any] | None:
    """A JSON file's documents (one, or several back to back) with their objects slim;
    None when msgspec does not read it as ``json.loads`` would: then decode it that way.
    ``release``: see `Release` (for a mapped file). ``kinds``: the only kinds (as the
    objects name themselves) the caller reads; None for all. An object of another kind
    is decoded to its kind and apiVersion alone (skipped in C, whatever it holds), so the
    caller must drop such objects unread."""
    view = memoryview(data)
    docs: list[Any] = []
    pos, end = 0, len(data)
    try:
        while True:
            while pos < end and data[pos] in _WS:
                pos += 1
            if pos >= end:
                return docs
            try:
                docs.append(_document(view[pos:], named_kind, release, kinds))
                return docs
            except msgspec.DecodeError as exc:
                found = _TRAILING.search(str(exc))
                if found is None:
                    return None
                stop = pos + int(found.group(1)) - 1
                docs.append(_document(view[pos:stop], named_kind, release, kinds))
                pos = stop
    except _DECODE_ERRORS:
        return None
    finally:
        view.release()


def decode_page(body: bytes) -> dict[str, Any] | None:
    """An API list page of a shaped kind (``PodList``) with its items slim; None when the
    reply is anything else (another kind's list, discovery, an error) or msgspec does not
    read it as ``json.loads`` would: then decode it that way."""
    try:
        page: dict[str, Any] = _decoder_of(_Page).decode(body)
    except msgspec.ValidationError:
        return _page_by_item(body)
    except _DECODE_ERRORS:
        return None
    kind = page.get("kind")
    if "items" not in page or type(kind) is not str or kind[:-4] not in SHAPES:
        return None
    if not kind.endswith("List"):
        return None
    return page


def _page_by_item(body: bytes) -> dict[str, Any] | None:
    """A page msgspec refused in one pass (one object's field of the wrong type): each
    item on its own, the refused ones in full."""
    try:
        page: dict[str, Any] = _decoder_of(_PageEnvelope).decode(body)
        kind = page.get("kind")
        items = page.get("items")
        if type(kind) is not str or kind[:-4] not in SHAPES or not kind.endswith("List"):
            return None
        if items is not None:
            page["items"] = decode_items(items, kind[:-4])
        return page
    except _DECODE_ERRORS:
        return None


class _WatchEvent(TypedDict, total=False):
    type: Any
    object: _AnyObject


def decode_watch_event(line: bytes, kind: str) -> dict[str, Any] | None:
    """A watch event of ``kind`` with its object slim, in the shape the load's pages give
    their items (so a followed object is what a fresh load would hold). None for a kind
    read in full, an ERROR (its Status is read in full), or a line msgspec does not read as
    ``json.loads`` would: then decode it that way."""
    if kind not in SHAPES:
        return None
    try:
        event: dict[str, Any] = _decoder_of(_WatchEvent).decode(line)
    except (*_DECODE_ERRORS, msgspec.ValidationError):
        return None
    return None if event.get("type") == "ERROR" else event


@functools.cache
def _full_kinds() -> frozenset[str]:
    """Kinds read in full: those read without a shape, and every name a group-checked kind
    goes by (Calico's is NetworkPolicy, the experimental ListenerSet XListenerSet)."""
    from kpath.cluster.policykinds import OTHER_POLICY_RAW
    from kpath.cluster.raw import KINDS

    names = {*KINDS, "XListenerSet", *(other.kind for other in OTHER_POLICY_RAW.values())}
    return frozenset(names - SHAPES.keys())
