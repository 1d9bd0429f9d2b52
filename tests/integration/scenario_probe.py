"""Running ``kpath paths -A --probe -o json`` against a lab, and reading its hops back.

`probe_lab` runs kpath's own CLI in-process with the lab's kubeconfig and returns the JSON
document (`probe_dump` does the same on `lab_dump`, a dump of the lab's objects); `hops`
flattens it to one `Hop` per probed hop (entry, node group, health check, pod), with the
endpoints each hop could reach, so a test can say which hops a fault touches (a Gateway
rule's entry reaches every backend of the rule and the gateway's proxy pods).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kpath.cli import main
from kpath.lab.runner import LabThread

Doc = dict[str, Any]


@dataclass(frozen=True)
class Hop:
    """One hop of one path, as the probe JSON reports it."""

    service: str
    entry: str  # the path's entry label ("NodePort:31880", an Ingress URL, ...)
    kind: str  # "entry", "node", "health", "pod"
    nodes: tuple[str, ...]  # the node group (node and health hops)
    endpoints: frozenset[str]  # "ip:port" the hop may reach
    pods: frozenset[str]  # "ns/name" behind those endpoints
    verdict: str | None  # None: not probed
    reason: str

    def label(self) -> str:
        where = f" {','.join(self.nodes)}" if self.nodes else ""
        if self.kind == "pod":
            where = f" {', '.join(sorted(self.pods)) or ', '.join(sorted(self.endpoints))}"
        return f"{self.service} via {self.entry} [{self.kind}{where}]"


def probe_lab(kubeconfig: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> Doc:
    """kpath's CLI, in-process: every path of every namespace, probed, as JSON."""
    capsys.readouterr()
    code = main(["paths", "-A", *flags, "--probe", "-o", "json", "--kubeconfig", str(kubeconfig)])
    out = capsys.readouterr()
    assert code in (0, 1), f"kpath paths --probe exited {code}: {out.err.strip()}"
    doc: Doc = json.loads(out.out)
    return doc


def lab_dump(lab: LabThread, path: Path) -> Path:
    """Every object the lab's API server holds (Gateway API status included), as one dump
    file: kpath reads it as it reads any dump, and its addresses are the lab's own."""
    store = lab.lab.store
    items = [{"kind": kind, **obj} for kind in list(store.kinds()) for obj in store.list(kind)]
    path.write_text(json.dumps({"kind": "List", "items": items}))
    return path


def probe_dump(dump: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> Doc:
    """kpath's CLI, in-process, on a dump of a running lab: every path probed, as JSON."""
    capsys.readouterr()
    code = main(
        [
            "paths",
            "-A",
            *flags,
            "--probe",
            "--probe-dump-addresses",
            "-o",
            "json",
            "--dump",
            str(dump),
        ]
    )
    out = capsys.readouterr()
    assert code in (0, 1), f"kpath paths --probe exited {code}: {out.err.strip()}"
    doc: Doc = json.loads(out.out)
    return doc


def _endpoints(choice: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(choice.get("endpoints") or [])


def _rule_key(pj: Mapping[str, Any]) -> tuple[str, ...] | None:
    gw = pj["entry"].get("gateway")
    if not gw:
        return None
    return (
        gw["gateway"],
        gw["listener"],
        gw["route"]["kind"],
        gw["route"]["name"],
        str(gw["route"]["rule"]),
    )


def _reached_by_rule(doc: Doc) -> dict[tuple[str, ...], list[Mapping[str, Any]]]:
    """A Gateway rule's probe reaches every backend of the rule (one probe, by weight) and
    passes through the gateway's own Service's proxy pods: its entry hop may show a fault
    in any of them."""
    proxies: dict[str, list[Mapping[str, Any]]] = {}
    for pj in doc["paths"]:
        for c in [pj["direct"]] if pj.get("direct") else pj["groups"]:
            proxies.setdefault(pj["service"], []).extend(_endpoints(c))
    out: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for pj in doc["paths"]:
        key = _rule_key(pj)
        if key is None:
            continue
        eps = out.setdefault(key, [])
        if pj.get("direct"):
            eps.extend(_endpoints(pj["direct"]))
        infra = pj["entry"]["gateway"].get("infra")
        if infra:
            eps.extend(proxies.get(infra, []))
    return out


def _observed(obs: Mapping[str, Any] | None) -> tuple[str | None, str]:
    if not obs:
        return None, ""
    return obs.get("verdict"), str(obs.get("reason") or "")


def hops(doc: Doc) -> Iterator[Hop]:
    by_rule = _reached_by_rule(doc)
    for pj in doc["paths"]:
        service, entry = pj["service"], pj["entry"]["label"]
        choices = [pj["direct"]] if pj.get("direct") is not None else list(pj["groups"])
        every = [e for c in choices for e in _endpoints(c)]
        rule = _rule_key(pj)
        reached = by_rule.get(rule, every) if rule is not None else every

        def hop(
            kind: str,
            eps: list[Mapping[str, Any]],
            obs: Mapping[str, Any] | None,
            nodes: tuple[str, ...] = (),
            service: str = service,
            entry: str = entry,
        ) -> Hop:
            verdict, reason = _observed(obs)
            return Hop(
                service,
                entry,
                kind,
                nodes,
                frozenset(e["address"] for e in eps),
                frozenset(e["pod"] for e in eps if e.get("pod")),
                verdict,
                reason,
            )

        yield hop("entry", reached, pj["entry"].get("observed"))
        for g in pj["groups"]:
            nodes = tuple(g.get("nodes") or ())
            eps = _endpoints(g)
            yield hop("node", eps, g.get("observed"), nodes)
            local = [e for e in eps if e.get("node") in nodes]
            yield hop("health", local, g.get("health"), nodes)
        seen: set[str] = set()
        for e in every:
            if e["address"] not in seen:
                seen.add(e["address"])
                yield hop("pod", [e], e.get("observed"))


def contradicted(doc: Doc) -> list[Hop]:
    return [h for h in hops(doc) if h.verdict == "contradicted"]


def fault_endpoints(fault: Mapping[str, Any], doc: Doc) -> frozenset[str]:
    """Every endpoint ("ip:port") a fault makes misbehave, from the lab's resolved fault."""
    all_hops = list(hops(doc))
    if fault.get("pod"):
        return frozenset(
            a for h in all_hops if h.kind == "pod" and fault["pod"] in h.pods for a in h.endpoints
        )
    if fault.get("service"):
        return frozenset(
            a
            for h in all_hops
            if h.kind == "pod" and h.service == fault["service"]
            for a in h.endpoints
        )
    if fault.get("node"):
        return frozenset(
            e["address"]
            for pj in doc["paths"]
            for c in ([pj["direct"]] if pj.get("direct") else pj["groups"])
            for e in _endpoints(c)
            if e.get("node") == fault["node"]
        )
    return frozenset()


def touches(hop: Hop, fault: Mapping[str, Any], faulted: frozenset[str]) -> bool:
    """Whether a hop can reach what the fault broke (a node fault also breaks its node hops)."""
    if hop.endpoints & faulted:
        return True
    return bool(fault.get("node")) and fault["node"] in hop.nodes


def faulted_hops(fault: Mapping[str, Any], doc: Doc) -> list[Hop]:
    """The hops that must show the fault: the faulted pods' own hops (for a pod or service
    fault), the faulted node's node hops (for a node fault)."""
    faulted = fault_endpoints(fault, doc)
    if fault.get("node"):
        return [h for h in hops(doc) if h.kind == "node" and fault["node"] in h.nodes]
    return [h for h in hops(doc) if h.kind == "pod" and h.endpoints & faulted]
