"""Readable renderings for a terminal: the paths table, findings, a route. Headless: Rich only.

Every cluster string goes through `literal` (a value) or `literal_message` (a composed
message), so ``[red]`` stays text and control, bidi and zero-width characters show as escapes.
Verdicts carry a word and a glyph, never colour alone (NO_COLOR terminals see the same facts).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from kpath.routing.analysis import Analysis
from kpath.routing.findings import Finding, Severity
from kpath.routing.kubeproxy import Choice, Verdict
from kpath.routing.nodegroups import NodeGroup
from kpath.routing.paths import Path, names_no_service, skipped_by_load_balancer
from kpath.routing.policy.onpaths import HopPolicy
from kpath.routing.route import Route
from kpath.safetext import literal, literal_message

VERDICT_STYLE = {
    Verdict.FORWARD: ("→ forward", "green"),
    Verdict.DROP: ("✗ drop", "bold red"),
    Verdict.REJECT: ("⊘ reject", "red"),
    Verdict.UNKNOWN: ("? unknown", "yellow"),
    Verdict.REDIRECT: ("↪ redirect", "cyan"),  # the gateway's own answer, by design
}
#: A Local-policy load balancer's row for nodes its health check takes out.
LB_SKIPPED = ("↷ skipped by the load balancer (health check fails)", "dim")
#: A hop whose every endpoint a NetworkPolicy denies from the hop's source.
POLICY_BLOCKED = ("⊗ blocked by policy", "bold red")
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def verdict_text(verdict: Verdict, skipped: bool = False) -> Text:
    """The verdict word; ``skipped``: a load balancer's row for nodes it never sends to."""
    word, style = LB_SKIPPED if skipped else VERDICT_STYLE[verdict]
    return Text(word, style=style)


def policy_notes(hp: HopPolicy | None) -> Text:
    """What NetworkPolicy does at a hop, when it denies some endpoint: which policies, how
    many endpoints."""
    if hp is None or hp.allowed:
        return Text("")
    by = hp.blocked_by
    names = (str(by[0]) if by else "?") + (f" +{len(by) - 1}" if len(by) > 1 else "")
    if hp.all_blocked:  # the VERDICT cell says blocked: name the policy
        return literal_message(f"⊗ by {names}", "bold red")
    partly = " at some nodes" if any(t.partial for t in hp.blocked) else ""
    return literal_message(f"⊗ {len(hp.blocked)}/{len(hp.targets)} blocked{partly} by {names}",
                           "yellow")


def endpoints_text(choice: Choice, limit: int = 3) -> Text:
    if not choice.targets:
        return Text("—", style="dim")
    parts = [f"{t.pod.name if t.pod else t.endpoint}" for t in choice.targets[:limit]]
    text = literal(", ".join(parts))
    if len(choice.targets) > limit:
        text.append(f" +{len(choice.targets) - limit}", style="dim")
    return text


def group_notes(group: NodeGroup | None, choice: Choice) -> Text:
    notes = Text()
    if group is not None and group.cross_node:
        notes.append(f"⇄ cross-node {group.cross_share:.0%}", style="magenta")
    if choice.fallback:
        notes.append(" terminating only", style="yellow")
    if choice.topology:
        notes.append_text(literal(f" hints:{choice.topology}", "cyan"))
    if group is not None and group.ready is False:
        notes.append(" NotReady", style="yellow")
    return notes


def _entry_text(path: Path) -> Text:
    text = literal(path.entry.label())
    hop = path.entry.gateway
    if hop is not None:
        # Like an Ingress row, plus what a Gateway adds: which Gateway and listener.
        text.append(" (gateway ", style="dim")
        text.append_text(literal(f"{hop.gateway} listener {hop.listener}", "dim"))
        text.append(")", style="dim")
    else:
        text.append(f" ({path.entry.kind.value})", style="dim")
    return text


def path_notes(path: Path) -> Text:
    """What a path adds to its first row: a Gateway backend's share and problem, or the
    Gateways whose infrastructure the Service is."""
    notes = Text()
    hop = path.entry.gateway
    if hop is not None:
        if hop.backend is not None and hop.share < 1:
            notes.append(f"share {hop.share:.0%} ", style="cyan")
        if hop.problem:
            notes.append_text(literal(hop.problem, "red"))
        elif hop.backend is None and path.direct is not None:
            notes.append_text(literal(path.direct.rule, "yellow"))  # the gateway's redirect
    if path.gateways:
        notes.append("infrastructure of Gateway ", style="dim")
        notes.append_text(literal(", ".join(str(g) for g in path.gateways), "dim"))
    return notes


def paths_table(paths: Iterable[Path]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, expand=False)
    for name in ("SERVICE", "PORT", "ENTRY", "AT", "VERDICT", "ENDPOINTS", "NOTES"):
        table.add_column(name, overflow="fold")
    for path in paths:
        service = literal(path.service)
        # A Gateway rule sending to no Service has no port at all ("—"), not an unknown one.
        port = literal(path.port.label() if path.port else
                       "—" if names_no_service(path.service) else "?")
        rows: list[tuple[Text, Choice, NodeGroup | None, HopPolicy | None]] = []
        pp = path.netpol
        if path.direct is not None:
            rows.append((Text(path.via, style="dim"), path.direct, None,
                         pp.direct if pp else None))
        for gi, g in enumerate(path.groups):
            hp = pp.groups[gi] if pp is not None and gi < len(pp.groups) else None
            rows.append((literal(g.label()), g.choice, g, hp))
        extra = path_notes(path)
        for i, (at, choice, group, hp) in enumerate(rows):
            first = i == 0
            notes = Text(" ").join([t for t in (policy_notes(hp), group_notes(group, choice))
                                    if t])
            if first and extra:
                notes = Text(" ").join([t for t in (extra, notes) if t])
            verdict = (Text(*POLICY_BLOCKED) if hp is not None and hp.all_blocked else
                       verdict_text(choice.verdict, group is not None
                                    and skipped_by_load_balancer(path, group)))
            table.add_row(service if first else Text(""), port if first else Text(""),
                          _entry_text(path) if first else Text(""), at, verdict,
                          endpoints_text(choice), notes)
    return table


def findings_table(findings: Iterable[Finding]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False, show_header=True)
    table.add_column("SEVERITY")
    table.add_column("CODE")
    table.add_column("FINDING", overflow="fold")
    order = sorted(findings, key=lambda f: (-f.severity.rank, f.code, f.message))
    for f in order:
        table.add_row(Text(f.severity.value, style=SEVERITY_STYLE[f.severity]), Text(f.code),
                      literal_message(f.message))
    return table


def analysis_view(analysis: Analysis, paths: list[Path]) -> RenderableType:
    snap = analysis.snapshot
    header = Text("kpath ", style="bold")
    header.append_text(literal(snap.origin))
    header.append(f" — {len(snap.nodes)} nodes, {len(snap.services)} services, "
                  f"{len(paths)} paths", style="dim")
    parts: list[RenderableType] = [header]
    if analysis.client is not None:
        line = Text("NetworkPolicy judged from client ", style="dim")
        line.append_text(literal(analysis.client.address))
        line.append_text(literal(f" ({analysis.client.note})", "dim"))
        parts.append(line)
    parts += [Text(""), paths_table(paths)]
    if analysis.findings:
        parts += [Text(""), findings_table(analysis.findings)]
    return Group(*parts)


def route_view(r: Route) -> RenderableType:
    lines: list[RenderableType] = []
    title = Text("Traffic for ", style="bold")
    title.append_text(literal(f"{r.service.key} {r.port.label()}"))
    title.append(" entering at node ", style="bold")
    title.append_text(literal(r.node.name))
    lines.append(title)
    for name, policy, choice in (
        ("external", r.service.external_traffic_policy, r.external),
        ("internal", r.service.internal_traffic_policy, r.internal),
    ):
        line = Text(f"  {name:9}")
        if choice is None:
            line.append("no external way in (ClusterIP)", style="dim")
            lines.append(line)
            continue
        line.append_text(verdict_text(choice.verdict))
        line.append_text(literal(f"  {policy} policy: ", "dim"))
        line.append_text(literal_message(choice.rule))
        lines.append(line)
        for t in choice.targets:
            cross = t.node is not None and t.node != r.node.name
            row = Text("      ")
            row.append_text(literal(f"{t.endpoint:<22} {t.pod or '-'} on {t.node or '?'}"))
            if cross:
                row.append("  ⇄ cross-node", style="magenta")
            if t.terminating:
                row.append("  terminating", style="yellow")
            lines.append(row)
    return Group(*lines)
