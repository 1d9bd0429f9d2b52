"""Mutated dumps and the property every one of them must keep.

Shared by the property-based tests (`tests/cluster/test_fuzz_inputs.py`, a fixed seed and a
bounded number of examples) and `benchmarks/fuzz.py` (random seeds, for minutes).

A *seed* is a dump kpath reads today: a real one from `../shared/realworld/dumps/`, one of
the tests' own files, or a cluster built with the tests' builders. A mutation picks a file (or
an object in it), walks to a random place and changes it: the value's type (string, list,
mapping, number, null, boolean), a value of the same type from elsewhere, a key dropped,
huge or negative numbers, empty strings, deep nesting, an object duplicated, another
object's subtree grafted in, a wrong kind/apiVersion. The mutated file is written over its
copy in a scratch directory and the whole offline pipeline runs on it: dump reader →
parser → snapshot → routing → renderers.

The property (`check`): every input gives a result or a kpath `InputError` whose message is
one line; never another exception. (Hangs are caught by the caller: `benchmarks/fuzz.py`
arms an alarm per input.)

All randomness comes from one `random.Random`, so Hypothesis can drive (and shrink) it
through `st.randoms()`, and a seed number alone reproduces a `fuzz.py` input.
"""

from __future__ import annotations

import copy
import io
import json
import math
import random
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

# Imported once, up front: a long run must not depend on finding modules later.
from kpath.cluster.dump import file_kind, load_dump
from kpath.cluster.dumpfiles import find_files, read_documents
from kpath.cluster.raw import KINDS
from kpath.cluster.snapshot import build_snapshot
from kpath.errors import InputError
from kpath.export import graphfmt
from kpath.export.jsonout import paths_json
from kpath.export.text import analysis_view, group, route_blocks
from kpath.probe.plan import PlanOptions, plan_probes
from kpath.routing.analysis import analyse
from kpath.routing.graph import build_graph
from kpath.routing.route import route, route_json
from kpath.routing.scope import ViewScope

ROOT = Path(__file__).resolve().parents[1]
REALWORLD = ROOT.parent / "shared" / "realworld" / "dumps"
TEST_DUMPS = (ROOT / "tests" / "data" / "dumps", ROOT / "tests" / "data" / "hostile")

#: Strings that have broken parsers before: empty, numeric, redacted, "None", hostile text.
STRINGS: tuple[str, ...] = (
    "",
    " ",
    "x",
    "0",
    "80",
    "-1",
    "65536",
    "None",
    "null",
    "true",
    "***HIDDEN***",
    "*",
    "10.0.0.1",
    "::1",
    "a/b",
    "*.example.com",
    "\x1b[31mred\x1b[0m",
    "line\nbreak",
    "svc\u202egnp.exe",
    "[bold]x[/]",
    "\u200b",
    "é" * 3,
    "x" * 300,
)
NUMBERS: tuple[int | float, ...] = (
    0,
    1,
    -1,
    80,
    65535,
    65536,
    -65536,
    2**31,
    -(2**31) - 1,
    2**63,
    -(2**63),
    10**30,
    1.5,
    -0.0,
    1e308,
    3.0,
)
OTHER_KINDS = (
    "List",
    "PodList",
    "ServiceList",
    "Deployment",
    "Namespace",
    "",
    "pod",
    "Endpoint",
    "Ingresses",
)
API_VERSIONS = (
    "v1",
    "networking.k8s.io/v1",
    "extensions/v1beta1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "",
    "v2",
    "apps/v1",
)
#: YAML values JSON cannot hold (a date, bytes, a set, pairs, a timestamp, YAML 1.1 numbers
#: and booleans, an alias to itself): written as they are into YAML seeds only.
YAML_SCALARS: tuple[str, ...] = (
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!pairs [a: 1, a: 2]",
    "0x1F",
    "0o17",
    "1_000",
    ".inf",
    ".nan",
    "~",
    "yes",
    "off",
    "!!str 80",
    "!!int '80'",
    "!!float 1",
    "&x [*x]",
    "&y {a: *y}",
    "!!null ''",
    "!!timestamp 2001-12-14",
    "!custom x",
    "? [a, b]\n: c",
)
#: Mutation names, and how often each is picked (type changes are the ones that crashed).
OPS: tuple[tuple[str, int], ...] = (
    ("retype", 8),
    ("drop", 2),
    ("number", 2),
    ("string", 2),
    ("deep", 1),
    ("duplicate", 1),
    ("graft", 2),
    ("swap", 4),
    ("kind", 2),
    ("apiversion", 1),
    ("yaml", 2),
)


@dataclass
class SeedFile:
    rel: str  # the path under the seed's directory
    docs: list[Any]  # decoded documents
    yaml: bool  # written back as `---`-separated YAML (flow style) rather than JSON
    weight: int  # how often it is picked: objects of kinds kpath reads, plus one


@dataclass
class Seed:
    name: str
    files: list[SeedFile]
    #: kind → (file, document, path) of each object of a kind kpath reads; see `_finish`.
    index: dict[str, list[tuple[int, int, list[Any]]]] = field(default_factory=dict)
    weight: int = 1  # how often the seed is picked: more objects, more often
    #: The scratch copy the pipeline reads; made by `workspace`.
    root: Path | None = None
    originals: dict[str, str] = field(default_factory=dict)


class Raw:
    """Text put into the written file as it is (JSON cannot write it: deep nesting,
    numbers of thousands of digits)."""

    def __init__(self, text: str) -> None:
        self.text = text


# ---------------------------------------------------------------- seeds


def objects_by_kind(seed: Seed) -> dict[str, list[tuple[int, int, list[Any]]]]:
    """kind → where each object of a kind kpath reads sits: (file, document, path).

    Items without a kind take it from their list (``PodList``) or the file's name, as the
    dump reader does (sonobuoy and support bundles store bare arrays)."""
    found: dict[str, list[tuple[int, int, list[Any]]]] = {}
    for f_i, f in enumerate(seed.files):
        named = file_kind(Path(f.rel))
        for d_i, doc in enumerate(f.docs):
            stack: list[tuple[Any, list[Any], str | None]] = [(doc, [], named)]
            while stack:
                value, path, implied = stack.pop()
                if isinstance(value, dict):
                    kind = value.get("kind") or implied
                    if kind in KINDS and "items" not in value:
                        found.setdefault(kind, []).append((f_i, d_i, path))
                        continue
                    list_kind = value.get("kind")
                    inner = (
                        list_kind[:-4]
                        if isinstance(list_kind, str)
                        and list_kind.endswith("List")
                        and list_kind != "List"
                        else implied
                    )
                    stack.extend(
                        (v, [*path, k], inner)
                        for k, v in value.items()
                        if isinstance(v, dict | list)
                    )
                elif isinstance(value, list):
                    stack.extend(
                        (v, [*path, i], implied)
                        for i, v in enumerate(value)
                        if isinstance(v, dict | list)
                    )
    return found


def _count_read_kinds(value: Any) -> int:
    count, stack = 0, [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if v.get("kind") in KINDS:
                count += 1
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return count


def load_seed(path: Path, name: str | None = None) -> Seed | None:
    """A seed from a dump file or directory (files that do not decode are left out)."""
    files = []
    for dump in find_files(path):
        try:
            docs, _ = read_documents(dump)
        except InputError:
            continue
        rel = dump.path.name if dump.path == path else str(dump.path.relative_to(path))
        yaml = dump.path.suffix.lower() in (".yaml", ".yml")
        files.append(SeedFile(rel, docs, yaml, 1 + _count_read_kinds(docs)))
    return Seed(name or path.name, files) if files else None


def _finish(seed: Seed) -> Seed:
    seed.index = objects_by_kind(seed)
    seed.weight = 1 + math.isqrt(sum(len(v) for v in seed.index.values()))
    return seed


def builder_seed() -> Seed:
    """A small cluster from the tests' builders: every kind and shape kpath reads."""
    from tests import builders as b

    objects = [
        b.node("n1", "z1"),
        b.node("n2", "z2", ready=False),
        b.node("n3", None),
        b.pod("web-1", "n1", "10.1.0.1", ports=[{"name": "http", "containerPort": 8080}]),
        b.pod("web-2", "n2", "10.1.0.2", ready=False, terminating=True),
        b.pod("api-1", "n3", "10.1.0.3", labels={"app": "api"}),
        b.service(
            "web",
            "LoadBalancer",
            lb_ip="192.0.2.10",
            etp="Local",
            ports=[{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}],
        ),
        b.service(
            "api", "NodePort", selector={"app": "api"}, itp="Local", externalIPs=["192.0.2.20"]
        ),
        b.service("dns", "ExternalName", selector={}, externalName="example.com"),
        b.service("headless", clusterIP="None", selector={"app": "api"}),
        b.service("manual", selector={}),
        b.service(
            "lb-pods",
            "LoadBalancer",
            loadBalancerClass="x",
            lb_hostname="lb.example",
            allocateLoadBalancerNodePorts=False,
        ),
        b.endpointslice(
            "web",
            [
                b.endpoint(
                    "10.1.0.1", "n1", "web-1", zone="z1", hint_zones=["z1"], hint_nodes=["n1"]
                ),
                b.endpoint(
                    ["10.1.0.2", "10.1.0.9"],
                    "n2",
                    "web-2",
                    ready=False,
                    serving=True,
                    terminating=True,
                ),
            ],
            port_name="http",
        ),
        b.endpointslice("api", [b.endpoint("10.1.0.3", "n3", "api-1")], suffix="x"),
        b.endpoints_legacy("manual", ready=[("10.1.0.7", "n1")], not_ready=[("10.1.0.8", None)]),
        b.ingress(
            "shop",
            [
                b.rule(
                    "shop.example",
                    ("/", "Prefix", b.backend("web", 80)),
                    ("/api", "Exact", b.backend("api", "http")),
                ),
                b.rule(
                    None,
                    ("/x", "ImplementationSpecific", {"resource": {"kind": "Bucket", "name": "b"}}),
                ),
            ],
            class_name="nginx",
            tls_hosts=["*.example", "shop.example"],
            lb_ip="192.0.2.10",
            default_backend=b.backend("web", 80),
        ),
        {
            **b.ingress(
                "legacy",
                [
                    {
                        "host": "old.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "backend": {"serviceName": "web", "servicePort": "http"},
                                }
                            ]
                        },
                    }
                ],
                annotations={
                    "kubernetes.io/ingress.class": "alb",
                    "alb.ingress.kubernetes.io/target-type": "ip",
                },
            ),
            "apiVersion": "extensions/v1beta1",
        },
        b.ingress_class("nginx", "k8s.io/ingress-nginx", default=True),
        b.ingress_class("alb", "ingress.k8s.aws/alb"),
    ]
    doc = {"apiVersion": "v1", "kind": "List", "items": objects}
    seed = _finish(
        Seed("builders", [SeedFile("cluster.json", [doc], False, 1 + _count_read_kinds(doc))])
    )
    # The richest seed CI always has (the tests' data files are mostly one error each).
    seed.weight *= 3
    return seed


def all_seeds(realworld: bool = True) -> list[Seed]:
    """The builders' cluster, each of the tests' dump files, and the real dumps if present."""
    seeds = [builder_seed()]
    for folder in TEST_DUMPS:
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            seed = load_seed(path, f"{folder.name}/{path.name}")
            if seed is not None:
                seeds.append(_finish(seed))
    if realworld and REALWORLD.is_dir():
        for path in sorted(p for p in REALWORLD.iterdir() if p.is_dir()):
            seed = load_seed(path, f"realworld/{path.name}")
            if seed is not None:
                seeds.append(_finish(seed))
    return seeds


# ---------------------------------------------------------------- writing


def _encode(value: Any) -> str:
    raws: dict[str, str] = {}

    def swap(v: Any) -> Any:
        if isinstance(v, Raw):
            token = f"\u0000raw{len(raws)}\u0000"
            raws[json.dumps(token)] = v.text
            return token
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        if isinstance(v, list):
            return [swap(x) for x in v]
        return v

    text = json.dumps(swap(value), ensure_ascii=False)
    for token, raw in raws.items():
        text = text.replace(token, raw)
    return text


def render_file(f: SeedFile, docs: Sequence[Any]) -> str:
    """A file's text: JSON, or for a YAML seed every document after `---` (JSON is YAML)."""
    if f.yaml:
        return "".join(f"---\n{_encode(d)}\n" for d in docs)
    return "\n".join(_encode(d) for d in docs) + "\n"


@contextmanager
def workspace(seeds: Sequence[Seed]) -> Iterator[Path]:
    """Write every seed once into a scratch directory (each seed in its own folder)."""
    tmp = Path(tempfile.mkdtemp(prefix="kpath-fuzz-"))
    try:
        for i, seed in enumerate(seeds):
            seed.root = tmp / f"seed{i}"
            for f in seed.files:
                target = seed.root / f.rel
                target.parent.mkdir(parents=True, exist_ok=True)
                text = render_file(f, f.docs)
                target.write_text(text, encoding="utf-8")
                seed.originals[f.rel] = text
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- mutations


@dataclass
class Mutant:
    """One mutated input: which seed and file, the file's new text, and what was done."""

    seed: Seed
    file: SeedFile
    text: str
    steps: list[str]

    def describe(self) -> str:
        return f"{self.seed.name}:{self.file.rel}: " + "; ".join(self.steps)


def _walk(rnd: random.Random, root: Any, stop: float = 0.15) -> list[Any]:
    """A random path from the root: at each container go on (to a random child) or stop.

    In a list of objects, those of the kinds kpath reads are picked far more often (a
    support bundle is mostly Events and ConfigMaps)."""
    path: list[Any] = []
    node = root
    while isinstance(node, dict | list) and node and (not path or rnd.random() > stop):
        if isinstance(node, dict):
            items = node.get("items")
            pick_items = isinstance(items, list) and items and rnd.random() < 0.8
            key = "items" if pick_items else rnd.choice(list(node))
        else:
            key = _pick_item(rnd, node)
        path.append(key)
        node = node[key]
    return path


def _pick_item(rnd: random.Random, items: list[Any]) -> int:
    """Mostly an object of a kind kpath reads, each kind as likely as another (a dump has
    hundreds of pods and one Ingress); sometimes any item."""
    by_kind: dict[str, list[int]] = {}
    for i, x in enumerate(items):
        if isinstance(x, dict) and x.get("kind") in KINDS:
            by_kind.setdefault(x["kind"], []).append(i)
    if by_kind and rnd.random() < 0.9:
        return rnd.choice(by_kind[rnd.choice(sorted(by_kind))])
    return rnd.randrange(len(items))


#: The keys kpath's parser reads (kpath/cluster/parse.py): places under them are picked
#: more often, since a wrong type there is what reaches routing.
_READ_KEYS = """
    address addressType addresses allocateLoadBalancerNodePorts annotations appProtocol
    backend clusterIP clusterIPs conditions containerPort containers controller
    defaultBackend deletionTimestamp endpoints externalIPs externalName
    externalTrafficPolicy forNodes forZones healthCheckNodePort hints host hostNetwork
    hostname hosts http ingress ingressClassName internalTrafficPolicy ip ipMode kind labels
    loadBalancer loadBalancerClass name namespace nodeName nodePort notReadyAddresses number
    path pathType paths phase podIP port ports protocol publishNotReadyAddresses ready
    resource rules selector service serviceName servicePort serving sessionAffinity
    status subsets targetPort targetRef terminating tls trafficDistribution type
    unschedulable zone
"""
READ_KEYS = frozenset(_READ_KEYS.split())
#: Subtrees kpath never reads and that would swamp a uniform pick (thousands of values).
_NOISE = frozenset({"managedFields", "last-applied-configuration"})


def _any_place(rnd: random.Random, obj: Any) -> list[Any]:
    """A place in one object, every field as likely as another (a walk would mostly stop in
    metadata: a pod's spec is deep, an Ingress's host is five levels down)."""
    places: list[list[Any]] = []
    weights: list[int] = []
    stack: list[tuple[Any, list[Any]]] = [(obj, [])]
    while stack and len(places) < 5000:
        value, path = stack.pop()
        if path:
            places.append(path)
            last = path[-1] if not isinstance(path[-1], int) or len(path) < 2 else path[-2]
            weights.append(8 if last in READ_KEYS else 1)
        if isinstance(value, dict):
            stack.extend((v, [*path, k]) for k, v in value.items() if k not in _NOISE)
        elif isinstance(value, list):
            stack.extend((v, [*path, i]) for i, v in enumerate(value))
    return rnd.choices(places, weights=weights)[0] if places else []


def _same_type(rnd: random.Random, root: Any, old: Any) -> tuple[list[Any], Any] | None:
    """Another value of the same type from elsewhere in the document (a name that points at
    another object, another object's port list, …)."""
    for _ in range(20):
        path = _walk(rnd, root, stop=0.1)
        value = _get(root, path)
        if type(value) is type(old) and value != old:
            return path, value
    return None


def _get(root: Any, path: Sequence[Any]) -> Any:
    for key in path:
        root = root[key]
    return root


def _copy_along(root: Any, path: Sequence[Any]) -> Any:
    """A copy of the root in which the containers along ``path`` are fresh (shallow) copies,
    so that changing the last one leaves the seed untouched."""
    new_root = copy.copy(root)
    node = new_root
    for key in path[:-1]:
        child = copy.copy(node[key])
        node[key] = child
        node = child
    return new_root


def random_value(rnd: random.Random, old: Any) -> Any:
    """A value of a random JSON type (often not the old one's), sometimes built from it."""
    pick = rnd.randrange(12)
    if pick == 0:
        return None
    if pick == 1:
        return rnd.choice((True, False))
    if pick == 2:
        return rnd.choice(NUMBERS)
    if pick == 3:
        return rnd.choice(STRINGS)
    if pick == 4:
        return rnd.choice(([], [None], [""], [{}], [[]], [1]))
    if pick == 5:
        return [old]
    if pick == 6:
        return rnd.choice(({}, {"": None}, {"name": None}, {"0": 0}))
    if pick == 7:
        return {"name": old} if rnd.random() < 0.5 else {str(rnd.choice(STRINGS)): old}
    if pick == 8:
        return str(old)[:40] if not isinstance(old, dict | list | Raw) else _encode(old)[:40]
    if pick == 9:
        return [old, old] if rnd.random() < 0.5 else {"a": old, "b": [old]}
    if pick == 10:
        return rnd.choice((float("nan"), float("inf"), -float("inf")))
    return Raw("9" * rnd.choice((20, 400, 5000)))  # past int64, and past Python's str limit


def _deep(rnd: random.Random, old: Any) -> Raw:
    depth = rnd.choice((30, 200, 990, 3000, 100_000))
    opener, closer = ('{"a":', "}") if rnd.random() < 0.5 else ("[", "]")
    return Raw(opener * depth + _encode(old) + closer * depth)


def _nearest_object(root: Any, path: list[Any]) -> list[Any]:
    """The path of the innermost mapping on ``path`` that has a kind (or the root)."""
    for n in range(len(path), -1, -1):
        node = _get(root, path[:n])
        if isinstance(node, dict) and "kind" in node:
            return path[:n]
    return []


def mutate_doc(
    rnd: random.Random, root: Any, op: str, steps: list[str], start: Sequence[Any] = ()
) -> Any:
    """One mutation of one document (somewhere under ``start``); returns the new document
    (the old one is untouched)."""
    inside = _get(root, start)
    path = [*start, *(_any_place(rnd, inside) if start else _walk(rnd, inside))]
    if op in ("kind", "apiversion"):
        path = _nearest_object(root, path)
        node = _get(root, path)
        if not isinstance(node, dict):
            return root
        new_root = _copy_along(root, [*path, "kind"])
        target = _get(new_root, path) if path else new_root
        if op == "kind":
            kind = (
                rnd.choice((*KINDS, *OTHER_KINDS))
                if rnd.random() < 0.9
                else random_value(rnd, node.get("kind"))
            )
            target["kind"] = kind
            steps.append(f"{_show(path)}.kind = {kind!r}")
        else:
            version = rnd.choice(API_VERSIONS)
            target["apiVersion"] = version
            steps.append(f"{_show(path)}.apiVersion = {version!r}")
        return new_root
    if not path:
        if op == "retype":
            value = random_value(rnd, root)
            steps.append(f"document = {_short(value)}")
            return value
        return root
    old = _get(root, path)
    new_root = _copy_along(root, path)
    parent = _get(new_root, path[:-1])
    key = path[-1]
    where = _show(path)
    if op == "drop":
        del parent[key]
        steps.append(f"del {where}")
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(old))
        steps.append(f"duplicate {where}")
    elif op == "duplicate" and isinstance(old, dict | list):
        parent[key] = copy.deepcopy(old)  # a shared subtree would be the same object twice
        if isinstance(old, list) and old:
            parent[key].append(copy.deepcopy(old[0]))
        steps.append(f"duplicate inside {where}")
    elif op == "number":
        value = rnd.choice(NUMBERS)
        parent[key] = value
        steps.append(f"{where} = {value!r}")
    elif op == "string":
        value = rnd.choice(STRINGS)
        parent[key] = value
        steps.append(f"{where} = {value!r}")
    elif op == "deep":
        parent[key] = _deep(rnd, old)
        steps.append(f"{where} nested deeply")
    elif op == "yaml":
        value = Raw(rnd.choice(YAML_SCALARS))
        parent[key] = value
        steps.append(f"{where} = YAML {value.text}")
    elif op == "swap":
        found = _same_type(rnd, root, old)
        if found is not None:
            parent[key] = copy.deepcopy(found[1])
            steps.append(f"{where} = {_short(found[1])} (from {_show(found[0])})")
    elif op == "graft":
        donor_path = _walk(rnd, root, stop=0.3)
        parent[key] = copy.deepcopy(_get(root, donor_path))
        steps.append(f"{where} = copy of {_show(donor_path)}")
    else:
        value = random_value(rnd, old)
        parent[key] = value
        steps.append(f"{where} = {_short(value)}")
    return new_root


def mutate(rnd: random.Random, seeds: Sequence[Seed], max_steps: int = 3) -> Mutant:
    """Pick a seed and one of its files, and mutate it one to ``max_steps`` times.

    Most mutations start at an object of a kind kpath reads, each kind as likely as another
    (a bundle holds hundreds of Pods, one Ingress and thousands of Events); the rest walk
    from the file's root."""
    seed = rnd.choices(seeds, weights=[s.weight for s in seeds])[0]
    index = seed.index
    if index and rnd.random() < 0.8:
        kind = rnd.choice(sorted(index))
        f_i, d_i, start = rnd.choice(index[kind])
        f = seed.files[f_i]
    else:
        f = rnd.choices(seed.files, weights=[x.weight for x in seed.files])[0]
        d_i, start = -1, []
    docs = list(f.docs)
    steps: list[str] = []
    ops = [name for name, _ in OPS]
    weights = [w for _, w in OPS]
    for _ in range(rnd.randint(1, max_steps)):
        op = rnd.choices(ops, weights=weights)[0]
        if op == "yaml" and not f.yaml:
            op = "retype"  # raw YAML in a JSON file is only ever "not valid JSON"
        i = d_i if d_i >= 0 else rnd.randrange(len(docs))
        if op == "duplicate" and rnd.random() < 0.2:
            docs.insert(i + 1, copy.deepcopy(docs[i]))  # a whole document twice
            steps.append(f"duplicate document {i + 1}")
            continue
        prefix = f"document {i + 1}: " if len(docs) > 1 else ""
        before = len(steps)
        try:
            _get(docs[i], start)
        except (KeyError, IndexError, TypeError):
            start = []  # an earlier step changed the way to the object
        docs[i] = mutate_doc(rnd, docs[i], op, steps, start)
        steps[before:] = [prefix + s for s in steps[before:]]
    return Mutant(seed, f, render_file(f, docs), steps or ["(unchanged)"])


def _show(path: Sequence[Any]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else f".{key}"
    return out.lstrip(".") or "(root)"


def _short(value: Any) -> str:
    if isinstance(value, Raw):
        return f"<{len(value.text)} chars>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- the property


def pipeline(paths: Sequence[Path], tui: bool = False) -> int:
    """Everything kpath does offline with a dump; returns how many bytes it rendered.

    With ``tui``, the terminal UI is rendered headless to SVG too (`kpath snapshot`): about
    0.4 s an input, several times the rest, so only `fuzz.py --tui` does it."""
    snapshot = build_snapshot(load_dump(list(paths)))
    analysis = analyse(snapshot)
    scope = ViewScope(internal=True)
    shown, findings = scope.paths(analysis), scope.findings(analysis)
    out = [json.dumps(paths_json(analysis, shown, findings))]
    graph = build_graph(shown)
    out += [graphfmt.graphml(graph), graphfmt.dot(graph)]
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(analysis_view(analysis, shown))
    plan_probes(snapshot, shown, PlanOptions())
    if snapshot.services and snapshot.nodes:
        key = min(snapshot.services)
        try:
            r = route(snapshot, f"{key.namespace}/{key.name}", min(snapshot.nodes))
        except InputError:
            pass  # an ExternalName service, or one without ports: said in one line
        else:
            out.append(json.dumps(route_json(r)))
            console.print(group(route_blocks(r)))  # as `kpath route` on a terminal
    out.append(console.file.getvalue())  # type: ignore[attr-defined]
    if tui:
        from kpath.tui.snapshot import render_svg

        out.append(render_svg(analysis, size=(100, 30), internal=True))
    return sum(len(text) for text in out)


class PropertyFailed(AssertionError):
    """The pipeline broke the property: an exception other than a one-line InputError."""


def check(mutant: Mutant, tui: bool = False) -> str:
    """Run the pipeline on a mutant; "ok" or "input error", else raise PropertyFailed."""
    seed = mutant.seed
    assert seed.root is not None, "seeds must be written with workspace() first"
    target = seed.root / mutant.file.rel
    target.write_text(mutant.text, encoding="utf-8")
    try:
        pipeline([seed.root], tui=tui)
    except InputError as exc:
        message = str(exc)
        if "\n" in message or "\r" in message or not message.strip():
            raise PropertyFailed(f"InputError is not one line: {message!r}") from exc
        return "input error"
    except Exception as exc:
        raise PropertyFailed(f"{type(exc).__name__}: {exc}"[:500]) from exc
    finally:
        target.write_text(seed.originals[mutant.file.rel], encoding="utf-8")
    return "ok"
