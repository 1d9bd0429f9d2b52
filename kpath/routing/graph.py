"""The paths as a networkx graph: typed vertices and typed hops.

Vertices: ``client``, entry points (``loadbalancer``, ``nodeport``, ``externalip``,
``clusterip``, ``headless``, ``ingress``, ``externalname``), ``gateway`` (one Gateway
listener) and ``route`` (one rule of a route attached to it), ``nodegroup`` (nodes that route
alike, one vertex however many nodes), ``pod``. Each vertex has ``kind`` and ``label``.
Hops carry ``hop`` (enter, node, forward, route, direct), ``verdict`` and ``cross_node``; a
Gateway's ``direct`` hops also carry the ``backend`` Service and its ``share``.
Probe results, when there are any, are attached to hops later as ``probe`` attributes.
When the input carries NetworkPolicies, hops into pods also carry ``policy`` (``allowed``,
``blocked``, ``partial``; node hops: the group's state) and ``policy_by`` (the denying
policies, comma-separated).
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from kpath.routing.kubeproxy import Choice, Target
from kpath.routing.nodegroups import NodeGroup
from kpath.routing.paths import GatewayHop, Path
from kpath.routing.policy.onpaths import HopPolicy, TargetPolicy, denying

CLIENT = "client"


def _pod_vertex(g: nx.MultiDiGraph[str], t: Target) -> str:
    vid = f"pod:{t.pod}" if t.pod else f"endpoint:{t.endpoint}"
    if vid not in g:
        g.add_node(
            vid,
            kind="pod",
            label=str(t.pod or t.endpoint),
            node=t.node or "",
            address=t.endpoint,
            ready=t.ready,
            terminating=t.terminating,
        )
    return vid


def _policy_attrs(tp: TargetPolicy | None) -> dict[str, str]:
    if tp is None:
        return {}
    state = "allowed" if tp.allowed else ("partial" if tp.partial else "blocked")
    by = denying(tp.reach) if tp.reach is not None and not tp.allowed else ()
    return {"policy": state, "policy_by": ",".join(str(k) for k in by)}


def _hop_attrs(hp: HopPolicy | None) -> dict[str, str]:
    if hp is None:
        return {}
    return {"policy": hp.state, "policy_by": ",".join(str(k) for k in hp.blocked_by)}


def _target_policies(hp: HopPolicy | None, choice: Choice) -> list[TargetPolicy | None]:
    if hp is None or len(hp.targets) != len(choice.targets):
        return [None] * len(choice.targets)
    return list(hp.targets)


def _choice_edges(
    g: nx.MultiDiGraph[str],
    source: str,
    choice: Choice,
    hop: str,
    group: NodeGroup | None,
    hp: HopPolicy | None = None,
) -> None:
    members = set(group.nodes) if group else set()
    for t, tp in zip(choice.targets, _target_policies(hp, choice), strict=True):
        cross = (
            group is not None
            and t.node is not None
            and (t.node not in members or (len(members) > 1 and group.local < group.per_node))
        )
        g.add_edge(
            source,
            _pod_vertex(g, t),
            hop=hop,
            verdict=choice.verdict.value,
            cross_node=cross,
            rule=choice.rule,
            **_policy_attrs(tp),
        )


def path_vertex_id(path: Path) -> str:
    e = path.entry
    if e.gateway is not None:
        return gateway_vertex_id(e.gateway)
    where = e.ingress.label() if e.ingress else ",".join(e.addresses)
    return f"{e.kind.value}:{path.service}:{where}:{e.port}"


def gateway_vertex_id(hop: GatewayHop) -> str:
    """One vertex per Gateway listener: every route on it hangs below."""
    return f"gateway:{hop.gateway}:{hop.listener}"


def route_vertex_id(hop: GatewayHop) -> str:
    return f"route:{hop.gateway}:{hop.listener}:{hop.route_kind}:{hop.route}:{hop.rule}"


def _gateway_path(g: nx.MultiDiGraph[str], path: Path, hop: GatewayHop) -> None:
    """client → Gateway listener → route rule → backend pods (straight to pod IPs)."""
    gid = gateway_vertex_id(hop)
    if gid not in g:
        g.add_node(
            gid,
            kind="gateway",
            label=f"{hop.gateway} {hop.listener} {hop.protocol}:{hop.port}",
            gateway=str(hop.gateway),
            listener=hop.listener,
            protocol=hop.protocol,
            port=hop.port,
            addresses=",".join(hop.addresses),
            infra=str(hop.infra) if hop.infra else "",
            infra_note=hop.infra_note,
        )
        g.add_edge(CLIENT, gid, hop="enter", verdict="", cross_node=False, rule="")
    rid = route_vertex_id(hop)
    if rid not in g:
        g.add_node(
            rid,
            kind="route",
            label=f"{hop.route_kind} {hop.route} rule {hop.rule}{hop.match_label()}",
            route_kind=hop.route_kind,
            route=str(hop.route),
            rule_index=hop.rule,
            hostnames=",".join(hop.hostnames),
        )
        g.add_edge(gid, rid, hop="route", verdict="", cross_node=False, rule="")
    assert path.direct is not None
    choice = path.direct
    backend = str(path.service) if hop.backend is not None else ""
    hp = path.netpol.direct if path.netpol is not None else None
    for t, tp in zip(choice.targets, _target_policies(hp, choice), strict=True):
        g.add_edge(
            rid,
            _pod_vertex(g, t),
            hop="direct",
            verdict=choice.verdict.value,
            cross_node=False,
            rule=choice.rule,
            backend=backend,
            share=round(hop.share, 4),
            **_policy_attrs(tp),
        )
    if not choice.targets:
        # The gateway answers itself (a redirect, 500 for an invalid backend, 503 for none).
        g.nodes[rid]["verdict"] = choice.verdict.value
        g.nodes[rid]["rule"] = choice.rule


def build_graph(paths: Iterable[Path]) -> nx.MultiDiGraph[str]:
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    g.add_node(CLIENT, kind="client", label="client")
    for path in paths:
        if path.entry.gateway is not None and path.direct is not None:
            _gateway_path(g, path, path.entry.gateway)
            continue
        entry = path_vertex_id(path)
        if entry not in g:
            g.add_node(
                entry,
                kind=path.entry.kind.value,
                label=path.entry.label(),
                service=str(path.service),
                pending=path.entry.pending,
            )
            g.add_edge(CLIENT, entry, hop="enter", verdict="", cross_node=False, rule="")
        pp = path.netpol
        if path.direct is not None:
            _choice_edges(g, entry, path.direct, "direct", None, pp.direct if pp else None)
            if not path.direct.targets:
                g.nodes[entry]["verdict"] = path.direct.verdict.value
                g.nodes[entry]["rule"] = path.direct.rule
        for i, group in enumerate(path.groups):
            port = path.port.port if path.port else ""
            vid = f"nodegroup:{path.service}:{port}:{path.policy}:{i}"
            hp = pp.groups[i] if pp is not None and i < len(pp.groups) else None
            if vid not in g:
                g.add_node(
                    vid,
                    kind="nodegroup",
                    label=group.label(),
                    nodes=len(group.nodes),
                    zone=group.zone or "",
                    verdict=group.choice.verdict.value,
                    rule=group.choice.rule,
                    **_hop_attrs(hp),
                )
                _choice_edges(g, vid, group.choice, "forward", group, hp)
            g.add_edge(
                entry,
                vid,
                hop="node",
                verdict=group.choice.verdict.value,
                cross_node=group.cross_node,
                rule=group.choice.rule,
                **_hop_attrs(hp),
            )
    return g
