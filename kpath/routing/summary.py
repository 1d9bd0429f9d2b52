"""One line per path saying where it fails and what to know: the failing hop in view. Pure.

("drops at node-c (no local pod) · 67% crosses nodes · LB health check skips node-c")

What fails comes first (drops, rejects, NetworkPolicy blocks, a Gateway's 500, no
prediction), then what to know about traffic that gets through (the share that crosses
nodes, the nodes a load balancer's health check skips, session affinity). A path with
nothing to say reads "forwards at every node" (or "forwards to N pods" without a node hop).
"""

from __future__ import annotations

from collections.abc import Sequence

from kpath.routing.affinity import affinity_note
from kpath.routing.analysis import Analysis
from kpath.routing.kubeproxy import Choice, Verdict
from kpath.routing.nodegroups import NodeGroup
from kpath.routing.paths import Path, skipped_by_load_balancer

SEP = " · "
NAMES = 3  # node names spelled out before "and N more"


def node_names(groups: Sequence[NodeGroup], limit: int = NAMES) -> str:
    """``node-a, node-b and 3 more`` over the groups' nodes (``N nodes`` when unnamed)."""
    names: list[str] = []
    count = 0
    for g in groups:
        count += len(g.nodes)
        if len(names) < limit:
            names.extend(g.nodes[: limit - len(names)])
    if not names:
        return f"{count} node{'s' if count != 1 else ''}"
    more = count - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


def cross_share(groups: Sequence[NodeGroup]) -> float:
    """The share of traffic that crosses nodes, over the forwarding nodes (each node alike)."""
    forwarding = [g for g in groups if g.choice.verdict == Verdict.FORWARD]
    nodes = sum(max(len(g.nodes), 1) for g in forwarding)
    if not nodes:
        return 0.0
    return sum(max(len(g.nodes), 1) * g.cross_share for g in forwarding) / nodes


def _drop_reason(path: Path) -> str:
    return "no local pod" if path.policy == "Local" else "no endpoint for that node"


def _reject_words(analysis: Analysis, path: Path) -> str:
    """Why every node refuses: endpoints exist but none is ready or serving, or none at all."""
    routes = analysis.routes.get(path.service, ())
    if any(r.targets for r in routes if path.port is None or r.port == path.port):
        return "rejects: no ready endpoint"
    return "rejects: no endpoints"


def _direct_parts(analysis: Analysis, path: Path, c: Choice) -> list[str]:
    if c.verdict == Verdict.REJECT:
        return [_reject_words(analysis, path)]
    if c.verdict == Verdict.DROP:
        return ["drops: no endpoint chosen"]
    if c.verdict == Verdict.UNKNOWN:
        return ["endpoints unknown: no prediction"]
    if c.verdict == Verdict.REDIRECT:
        return ["redirects (the gateway answers itself)"]
    return []


def _group_parts(analysis: Analysis, path: Path) -> tuple[list[str], list[str]]:
    """(what fails, what to know) for a path through node groups."""
    fails: list[str] = []
    know: list[str] = []
    groups = path.groups
    drops = [g for g in groups if g.choice.verdict == Verdict.DROP]
    rejects = [g for g in groups if g.choice.verdict == Verdict.REJECT]
    unknown = [g for g in groups if g.choice.verdict == Verdict.UNKNOWN]
    if drops:
        where = "every node" if len(drops) == len(groups) else node_names(drops)
        fails.append(f"drops at {where} ({_drop_reason(path)})")
    if rejects:
        words = _reject_words(analysis, path)
        fails.append(words if len(rejects) == len(groups) else f"{words} at {node_names(rejects)}")
    if unknown:
        fails.append("endpoints unknown: no prediction")
    share = cross_share(groups)
    if share > 0:
        know.append(f"{share:.0%} crosses nodes")
    skipped = [g for g in groups if skipped_by_load_balancer(path, g)]
    if skipped:
        know.append(f"LB health check skips {node_names(skipped)}")
    return fails, know


def _policy_parts(path: Path) -> list[str]:
    if path.netpol is None:
        return []
    hops = [h for h in path.netpol.hops() if not h.allowed]
    out: list[str] = []
    whole = [h for h in hops if h.all_blocked]
    if whole:
        names = dict.fromkeys(str(k) for h in whole for k in h.blocked_by)
        out.append(f"blocked by NetworkPolicy {', '.join(names) or '?'}")
    partial = [h for h in hops if not h.all_blocked]
    if partial:
        names = dict.fromkeys(str(k) for h in partial for k in h.blocked_by)
        nodes = list(dict.fromkeys(n for h in partial for t in h.blocked for n in t.blocked_nodes))
        where = (
            f" at {', '.join(nodes[:NAMES])}{' …' if len(nodes) > NAMES else ''}" if nodes else ""
        )
        out.append(f"partly blocked by NetworkPolicy {', '.join(names) or '?'}{where}")
    return out


def _gateway_parts(path: Path) -> list[str]:
    gw = path.entry.gateway
    if gw is None:
        return []
    if gw.problem:
        return [f"the gateway answers 500 ({gw.problem})"]
    if gw.backend is None and path.direct is not None and path.direct.verdict != Verdict.REDIRECT:
        return ["the gateway rule sends nowhere"]
    return []


def path_summary(analysis: Analysis, path: Path) -> str:
    """The path's one-line summary (shown beside the list and atop the path pane)."""
    fails: list[str] = []
    know: list[str] = []
    if path.port is None:
        fails.append("the service has no such port")
    fails += _gateway_parts(path)
    if path.direct is not None:
        if not fails or path.direct.verdict != Verdict.REJECT:
            fails += [p for p in _direct_parts(analysis, path, path.direct) if p not in fails]
    else:
        f, know = _group_parts(analysis, path)
        fails += f
    fails += _policy_parts(path)
    if not fails and path.entry.pending:
        fails.append("load balancer address pending")
    note = affinity_note(analysis.snapshot.services.get(path.service))
    if note:
        know.append(note)
    if not fails:
        if path.direct is not None:
            n = len(path.direct.targets)
            lead = f"forwards to {n} pod{'s' if n != 1 else ''}"
        else:
            lead = "forwards at every node" if path.groups else ""
        if lead:
            fails.append(lead)
    return SEP.join(fails + know)
