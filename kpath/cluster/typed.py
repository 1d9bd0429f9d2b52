"""Typed JSON decoding: API objects decoded straight into the fields kpath reads.

A `kubectl get … -A -o json` of a big cluster is mostly what routing never reads (managed
fields, container images, env, volumes, probes). ``json.loads`` builds every one of those
values as Python objects before the parsers pick a dozen out; msgspec, given the shape of
what is read (a ``TypedDict`` per kind below), skips the rest in C and builds only that: a
fifth of the time and memory. Live pages and watch events decode into small dicts of those
shapes, which the parsers (`parse.py`) read as they read ``json.loads``' dicts. Dumps
decode into msgspec Structs made from the same shapes (`kind_struct`), which
`parse_typed.py` reads into records straight, handing the object's dict (`to_plain`) to
`parse.py` wherever it is in doubt, so that the parsers' checks and messages stay the only
ones.

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

# Annotations evaluated, not strings: a TypedDict compiles each string annotation into a
# ForwardRef when it is defined, and `get_type_hints` evaluates it again (see records.py).

import contextlib
import functools
import json
import mmap
import re
import types
from collections.abc import Callable, Iterator
from typing import Any, TypedDict, Union, get_args, get_origin, get_type_hints, is_typeddict

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


# ---------------------------------------------------------------- structs (dumps)
# A dump's objects of the shaped kinds are decoded into msgspec Structs made from the
# shapes above (one source of truth for what is read): cheaper to build than dicts, and
# `parse_typed` turns them into records without the dict parsers' type checks (msgspec
# has checked every type). Each top-level Struct is tagged by ``kind``, so a List of
# mixed kinds decodes in one pass into the right Struct per item.

#: A top-level Struct's apiVersion when the object had none.
UNSET: Any = msgspec.UNSET
#: The Struct made for each shaped kind, and the reverse (a Struct's kind).
_KIND_STRUCTS: dict[str, Any] = {}
STRUCT_KINDS: dict[type, str] = {}
_NESTED: dict[Any, Any] = {}


def _as_struct_type(hint: Any) -> Any:
    """A shape's field type with every TypedDict in it replaced by its Struct."""
    if is_typeddict(hint):
        return _nested_struct(hint)
    origin = get_origin(hint)
    if origin is None:
        return hint
    args = tuple(_as_struct_type(arg) for arg in get_args(hint))
    if origin is Union or origin is types.UnionType:
        return Union[args]  # noqa: UP007 (built from a tuple)
    return origin[args]


#: Fields whose presence a parser reads (a null there is not its absence): UNSET when
#: absent. (Ingress: a v1beta1 backend is one that has the key serviceName.)
_PRESENCE: frozenset[tuple[str, str]] = frozenset({("_Backend", "serviceName")})


def _fields(shape: Any, top: bool) -> list[tuple[str, Any, Any]]:
    # Absent and null are both None, as the parsers read them (omitted from `to_plain`'s
    # dict); a top-level apiVersion stays UNSET when absent, so that a kindless item can
    # take its list's, as a dict would.
    return [
        (
            name,
            _as_struct_type(hint),
            msgspec.UNSET
            if (top and name == "apiVersion") or (shape.__name__, name) in _PRESENCE
            else None,
        )
        for name, hint in get_type_hints(shape).items()
        if not (top and name == "kind")
    ]


def _nested_struct(shape: Any) -> Any:
    found = _NESTED.get(shape)
    if found is None:
        found = _NESTED[shape] = msgspec.defstruct(
            shape.__name__.lstrip("_") + "Struct",
            _fields(shape, False),
            omit_defaults=True,
            gc=False,
        )
    return found


def kind_struct(kind: str) -> Any:
    """The Struct a shaped kind's objects decode into (its ``kind`` the tag)."""
    found = _KIND_STRUCTS.get(kind)
    if found is None:
        found = msgspec.defstruct(
            kind + "Struct",
            _fields(SHAPES[kind], True),
            tag_field="kind",
            tag=kind,
            omit_defaults=True,
            gc=False,
        )
        _KIND_STRUCTS[kind] = found
        STRUCT_KINDS[found] = kind
    return found


@functools.cache
def _any_struct(wanted: frozenset[str] | None = None) -> Any:
    """Any shaped kind's Struct, chosen by the item's ``kind``; with ``wanted``, those of
    the other shaped kinds decode to their kind alone (`skipped_struct`)."""
    return Union[  # noqa: UP007
        tuple(
            kind_struct(kind) if wanted is None or kind in wanted else skipped_struct(kind)
            for kind in SHAPES
        )
    ]


def skipped_struct(kind: str) -> Any:
    """A shaped kind's object that the caller does not read: its kind, nothing else (no
    metadata: the dump reader drops such objects before it looks)."""
    found = _SKIPPED.get(kind)
    if found is None:
        found = _SKIPPED[kind] = msgspec.defstruct(
            kind + "Skipped", [], tag_field="kind", tag=kind, gc=False
        )
        STRUCT_KINDS[found] = kind
    return found


_SKIPPED: dict[str, Any] = {}


@functools.cache
def _list_document(wanted: frozenset[str] | None = None) -> Any:
    """A List of shaped kinds (with ``wanted``, see `_wanted_union`), every item tagged
    with its kind, in one pass."""
    fields: list[tuple[str, Any, Any]]
    fields = [(name, Any, msgspec.UNSET) for name in ("kind", "apiVersion", "metadata")]
    fields.append(("items", Union[_array_of(None, wanted), None], msgspec.UNSET))  # noqa: UP007
    return msgspec.defstruct("ListStruct", fields, gc=False)


def _array_of(kind: str | None, wanted: frozenset[str] | None = None) -> Any:
    """Items of ``kind`` (their own kind, if they say one, must be it), or of any shaped
    kind (each saying its own) when ``kind`` has no shape. With ``wanted``: a shaped kind
    not wanted is skipped (`skipped_struct`), and the items of a kind without a shape are
    those of `_wanted_union`."""
    key = kind if kind is not None and kind in SHAPES else None
    found = _LISTS.get((key, wanted))
    if found is None:
        if key is None:
            item = _any_struct() if wanted is None else _wanted_union(wanted)
        elif wanted is None or key in wanted:
            item = kind_struct(key)
        else:
            item = skipped_struct(key)
        found = _LISTS[key, wanted] = types.GenericAlias(list, (item,))
    return found


_LISTS: dict[tuple[str | None, frozenset[str] | None], Any] = {}


@functools.cache
def _wanted_union(wanted: frozenset[str]) -> Any:
    """For a reader of ``wanted`` kinds only: any shaped kind, or wanted kind read in full,
    chosen by the item's ``kind``. Those wanted decode to their Struct, or (read in full: no
    shape) to `_whole_struct`, made a dict by `_as_dicts`; the other shaped kinds to their
    kind alone. Not members: the kinds read in full but not wanted, which the dump reader
    still looks at (it counts those of another group or not read): item by item."""
    shaped = [kind_struct(k) if k in wanted else skipped_struct(k) for k in SHAPES]
    full = [_whole_struct(k) for k in sorted(_full_kinds() & wanted)]
    return Union[tuple(shaped + full)]  # noqa: UP007


#: The top-level fields of a Kubernetes object (all a kind read in full has: no parser
#: of those kinds reads another), in the order API servers write them.
_TOP_FIELDS = ("apiVersion", "metadata", "spec", "status")


def _whole_struct(kind: str) -> Any:
    """An object of a kind without a shape, in one pass with shaped ones: its top-level
    fields whole, as ``json.loads`` reads them (`_as_dicts` makes it that dict, its keys
    in API order rather than the file's: no parser looks at their order)."""
    found = _WHOLES.get(kind)
    if found is None:
        found = _WHOLES[kind] = msgspec.defstruct(
            kind + "Whole",
            [(name, Any, msgspec.UNSET) for name in _TOP_FIELDS],
            tag_field="kind",
            tag=kind,
        )
        _WHOLE_KINDS[found] = kind
    return found


_WHOLES: dict[str, Any] = {}
_WHOLE_KINDS: dict[Any, str] = {}


def _as_dicts(items: list[Any]) -> list[Any]:
    """``items`` with every `_whole_struct` made the dict its parser reads (in place)."""
    kind_of = _WHOLE_KINDS.get
    for index, item in enumerate(items):
        kind = kind_of(type(item))
        if kind is not None:
            obj: dict[str, Any] = {}
            for name in _TOP_FIELDS:
                value = getattr(item, name)
                if value is not msgspec.UNSET:
                    obj[name] = value
                if name == "apiVersion":
                    obj["kind"] = kind
            items[index] = obj
    return items


# ---------------------------------------------------------------- one item at a time


def _shape_of(kind: Any, wanted: frozenset[str] | None = None, structs: bool = False) -> Any:
    """The shape an object of ``kind`` is decoded into (its Struct, with ``structs``).
    ``wanted``: the only kinds the caller reads (None: all); an object of another kind is
    decoded as one not read at all, whatever else it holds."""
    if type(kind) is not str:
        return _WHOLE
    if wanted is not None and kind not in wanted and not kind.endswith("List"):
        return _Other
    found = SHAPES.get(kind)
    if found is not None:
        return kind_struct(kind) if structs else found
    if kind in _full_kinds() or kind.endswith("List"):
        return _WHOLE  # read in full, or a List nested in a List
    return _Other


def _decoder(
    kind: Any, wanted: frozenset[str] | None = None, structs: bool = False
) -> msgspec.json.Decoder[Any]:
    return _decoder_of(_shape_of(kind, wanted, structs))


def _full(raw: msgspec.Raw | bytes) -> Any:
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
    structs: bool = False,
) -> tuple[Any, Any]:
    """One list item, slim when its kind has a shape; and its kind (item's own, else
    ``default``). ``guess``: the kind it probably is (its neighbour's), tried first.
    ``wanted``: see `_shape_of`; ``structs``: shaped kinds as Structs, not dicts."""
    if not structs:  # (a Struct does not say whether its kind was written: no guessing)
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
        return _decoder(kind, wanted, structs).decode(raw), kind
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
    structs: bool = False,
) -> list[Any]:
    """A list's items, each slim where its kind has a shape; ``raws`` is emptied as it goes.
    ``wanted``: see `_shape_of`. ``structs``: shaped kinds as Structs."""
    out: list[Any] = []
    append = out.append
    guess = default
    done, mark = 0, RELEASE_STEP
    # Items in reverse, so each Raw (a view on the file's bytes) goes as soon as it is read.
    raws.reverse()
    pop = raws.pop
    # Structs: one decoder for every item (the union of shaped kinds, tagged by kind, or
    # the list's kind's Struct), the slower path only for an item it refuses.
    fast = None
    if structs and (default is None or default in SHAPES):
        if default is None:
            fast = _decoder_of(_any_struct(wanted)).decode
        elif wanted is None or default in wanted:
            fast = _decoder_of(kind_struct(default)).decode
        else:
            fast = _decoder_of(skipped_struct(default)).decode
    while raws:
        raw = pop()
        if fast is not None:
            try:
                append(fast(raw))
            except msgspec.ValidationError:
                # Of another kind, of a kind without a Struct, or refused: on its own.
                append(decode_item(raw, default, None, None, True)[0])
        else:
            obj, guess = decode_item(raw, default, guess, wanted, structs)
            append(obj)
        if release is not None:
            # The items lie one after another: the bytes of those read so far are a lower
            # bound of where the next one starts.
            done += len(raw)
            if done >= mark:
                release(done)
                mark = done + RELEASE_STEP
    return out


def _one_pass(
    data: memoryview, named_kind: str | None, wanted: frozenset[str] | None = None
) -> Any:
    """The common case: a List (or bare array, or object) of shaped kinds, in one pass.
    ``wanted``: see `_shape_of`; then wanted kinds read in full may be among the items
    (`_wanted_union`)."""
    if data[0] == 0x5B:  # "[": a bare array, kind from the items or the file name
        items = _decoder_of(_array_of(named_kind, wanted)).decode(data)
        return items if wanted is None else _as_dicts(items)
    doc = _decoder_of(_list_document(wanted)).decode(data)
    kind = doc.kind
    if doc.items is not msgspec.UNSET and (
        not kind or (type(kind) is str and kind.endswith("List"))
    ):
        if wanted is not None and doc.items is not None:
            _as_dicts(doc.items)
        return {
            key: value
            for key in ("kind", "apiVersion", "metadata", "items")
            if (value := getattr(doc, key)) is not msgspec.UNSET
        }
    kind = kind if kind is not msgspec.UNSET else None
    return _decoder(kind or named_kind, wanted, True).decode(data)


# ---------------------------------------------------------------- a mapped List in pieces
# A mapped file's pages are let go of as it is read; item by item, that costs a first pass
# over the whole List to find where each item starts. Instead the List is cut into pieces
# of about RELEASE_STEP at likely item boundaries, each decoded as an array of items and
# so checked: a cut inside a string or inside an item cannot decode (the string, or the
# item, is left open), so a piece that decodes is whole items. Where the file does not
# look as expected, or a cut fails too often, it is read the first way.

#: The document up to its items: only `"key": "plain text"` pairs before them (kubectl's
#: `"apiVersion": "v1"`), so that this is the top level's own "items".
_PREFIX = re.compile(
    rb'\s*\{((?:\s*"[A-Za-z]+"\s*:\s*"[\x20\x21\x23-\x5b\x5d-\x7e]*"\s*,)*)\s*"items"\s*:\s*\['
)
_PAIR = re.compile(rb'"([A-Za-z]+)"\s*:\s*"([\x20\x21\x23-\x5b\x5d-\x7e]*)"')
#: Where one item likely ends and the next begins (it starts with its kind).
_CUT = re.compile(rb'\}\s*,\s*(?=\{\s*(?:"apiVersion"\s*:\s*"[^"\\]*"\s*,\s*)?"kind"\s*:)')
_TAIL_BYTES = 1024 * 1024
_CUT_FAILURES = 3


class _Tail(msgspec.Struct):
    """What follows a List's items: its kind (and a second "items", refused)."""

    kind: Any = msgspec.UNSET
    apiVersion: Any = msgspec.UNSET
    metadata: Any = msgspec.UNSET
    items: Any = msgspec.UNSET


def _tail(view: memoryview) -> tuple[int, _Tail] | None:
    """Where the List's items end (its "]") and what follows them, checked by decoding it."""
    start = max(0, len(view) - _TAIL_BYTES)
    end = bytes(view[start:])
    pos = len(end)
    for _ in range(8):
        pos = end.rfind(b"]", 0, pos)
        if pos < 0:
            return None
        try:
            rest = _decoder_of(_Tail).decode(b'{"":0' + end[pos + 1 :])
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
        return (start + pos, rest) if rest.items is msgspec.UNSET else None
    return None


@contextlib.contextmanager
def _as_array(view: memoryview, start: int, cut: int) -> Iterator[bytes | memoryview]:
    """The items ``view[start:cut]`` as a JSON array. In a writable (copy-on-write) view,
    in place: the byte before them and the one after them (a separator, a bracket or
    space, never part of an item) become ``[`` and ``]`` until the piece is decoded, so
    that the file is not copied piece by piece; a read-only one is copied."""
    if view.readonly:
        yield b"".join((b"[", view[start:cut], b"]"))
        return
    before, after = view[start - 1], view[cut]
    view[start - 1], view[cut] = 0x5B, 0x5D
    try:
        yield view[start - 1 : cut + 1]
    finally:
        view[start - 1], view[cut] = before, after


def _segmented(view: memoryview, named_kind: str | None, release: Release) -> Any:
    """A List read in pieces (see above); None when it must be read item by item."""
    found = _PREFIX.match(view)
    tail = _tail(view) if found is not None else None
    if found is None or tail is None:
        return None
    try:
        doc: dict[str, Any] = {
            key.decode(): value.decode() for key, value in _PAIR.findall(found.group(1))
        }
    except UnicodeDecodeError:
        return None
    items_end, rest = tail
    for key in ("kind", "apiVersion", "metadata"):
        if (value := getattr(rest, key)) is not msgspec.UNSET:
            doc[key] = value
    kind = doc.get("kind")
    if kind and not (type(kind) is str and kind.endswith("List")):
        return None  # an object with a field called items, not a List
    item_kind = kind[:-4] if type(kind) is str and kind not in ("", "List") else named_kind
    decode = _decoder_of(_array_of(item_kind)).decode
    items: list[Any] = []
    start, failures, step = found.end(), 0, max(RELEASE_STEP, 1)
    search = start + step
    while start < items_end:
        cut_at = _CUT.search(view, search, items_end) if items_end - start > step * 3 // 2 else None
        cut = cut_at.start() + 1 if cut_at is not None else items_end
        with _as_array(view, start, cut) as piece:
            try:
                got = decode(piece)
            except msgspec.ValidationError:
                try:  # whole items, but one of another kind or refused: those on their own
                    raws = _decoder_of(_RAWS).decode(piece)
                    got = decode_items(raws, item_kind, None, None, True)
                except msgspec.DecodeError:
                    got = None
            except msgspec.DecodeError:
                got = None
        if got is None:
            failures += 1
            if cut_at is None or failures > _CUT_FAILURES:
                return None
            search = cut  # not an item's end: the next likely one
            continue
        items += got
        release(cut)
        if cut_at is None:
            break
        start = cut_at.end()
        search = start + step
    doc["items"] = items
    return doc


def _document(
    data: memoryview,
    named_kind: str | None,
    release: Release | None,
    wanted: frozenset[str] | None,
) -> Any:
    """One JSON value (a List, an object, a bare array) with its objects slim (with
    ``wanted``, objects of other kinds not decoded). With ``release``, item by item or in
    pieces (the file's pages let go of as they are read); else in one pass where it can."""
    if release is None:
        try:
            return _one_pass(data, named_kind, wanted)
        except msgspec.ValidationError:
            pass  # kinds without a Struct, or one object msgspec refuses: item by item
    elif release is not None and wanted is None:
        found = _segmented(data, named_kind, release)
        if found is not None:
            return found
    if data[0] == 0x5B:
        raws = _decoder_of(_RAWS).decode(data)
        return decode_items(raws, named_kind, release, wanted, True)
    doc = _decoder_of(_Envelope).decode(data)
    kind = doc.get("kind")
    if "items" in doc and (not kind or (type(kind) is str and kind.endswith("List"))):
        items = doc["items"]
        if items is not None:
            item_kind = kind[:-4] if type(kind) is str and kind not in ("", "List") else named_kind
            doc["items"] = decode_items(items, item_kind, release, wanted, True)
        return doc
    return _decoder(kind or named_kind, wanted, True).decode(data)


def decode_documents(
    data: bytes | mmap.mmap,
    named_kind: str | None = None,
    release: Release | None = None,
    kinds: frozenset[str] | None = None,
) -> list[Any] | None:
    """A JSON file's documents (one, or several back to back) with their objects slim:
    those of shaped kinds as Structs (`kind_struct`; `STRUCT_KINDS` says a Struct's kind),
    the others as dicts; None when msgspec does not read it as ``json.loads`` would:
    then decode it that way. ``release``: see `Release` (for a mapped file). ``kinds``:
    the only kinds (as the objects name themselves) the caller reads; None for all. An
    object of another kind is decoded to its kind (`skipped_struct`), or its kind and
    apiVersion (a dict), alone: skipped in C whatever it holds, so the caller must drop
    such objects unread."""
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


def to_plain(obj: Any) -> Any:
    """A decoded object as a dict (a Struct's fields, but those absent or null), for
    readers of plain API dicts; a dict as it is. Its parser reads it as it reads the
    object's dict decoded by shape (nulls are absences to it, but in `_PRESENCE`)."""
    return obj if type(obj) is dict else msgspec.to_builtins(obj)


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
