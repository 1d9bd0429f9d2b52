"""Readable renderings for a terminal: the paths table, findings, a route. Headless.

Every cluster string goes through `literal` (a value) or `literal_message` (a composed
message), so ``[red]`` stays text and control, bidi and zero-width characters show as escapes.
Verdicts carry a word and a glyph, never colour alone (NO_COLOR terminals see the same facts).
Cells are `Styled` strings and views lists of blocks (`kpath.export.table`): a pipe gets
them with `write_plain` and never imports Rich; `group` makes any view one Rich renderable,
for a terminal (`analysis_view`: the paths' at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from kpath.export.styled import Styled, literal, literal_message
from kpath.export.table import Column, PlainLine, PlainTable, blank
from kpath.routing.affinity import affinity_note
from kpath.routing.findings import Severity
from kpath.routing.kubeproxy import Verdict
from kpath.routing.paths import EntryKind, names_no_service, skipped_by_load_balancer
from kpath.routing.scope import namespaces_label

if TYPE_CHECKING:
    from rich.console import RenderableType

    from kpath.cluster.records import ObjectKey, Service
    from kpath.export.table import Block
    from kpath.routing.analysis import Analysis
    from kpath.routing.kubeproxy import Choice
    from kpath.routing.nodegroups import NodeGroup
    from kpath.routing.paths import Path
    from kpath.routing.policy.onpaths import HopPolicy
    from kpath.routing.route import Route

VERDICT_STYLE = {
    Verdict.FORWARD: ("→ forward", "green"),
    Verdict.DROP: ("✗ drop", "bold red"),
    Verdict.REJECT: ("⊘ reject", "red"),
    Verdict.UNKNOWN: ("? unknown", "yellow"),
    Verdict.REDIRECT: ("↪ redirect", "cyan"),  # the gateway's own answer, by design
}
#: A Local-policy load balancer's row for nodes its health check takes out.
#: Short: it is a VERDICT cell (the summary and KP101 say why in full).
LB_SKIPPED = ("↷ skipped by LB (health check)", "dim")
#: A hop whose every endpoint a NetworkPolicy denies from the hop's source.
POLICY_BLOCKED = ("⊗ blocked by policy", "bold red")
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def verdict_text(verdict: Verdict, skipped: bool = False) -> Styled:
    """The verdict word; ``skipped``: a load balancer's row for nodes it never sends to."""
    word, style = LB_SKIPPED if skipped else VERDICT_STYLE[verdict]
    return Styled(word, style=style)


def policy_notes(hp: HopPolicy | None) -> Styled:
    """What NetworkPolicy does at a hop, when it denies some endpoint: which policies, how
    many endpoints."""
    if hp is None or hp.allowed:
        return Styled("")
    by = hp.blocked_by
    names = (str(by[0]) if by else "?") + (f" +{len(by) - 1}" if len(by) > 1 else "")
    if hp.all_blocked:  # the VERDICT cell says blocked: name the policy
        return literal_message(f"⊗ by {names}", "bold red")
    partly = " at some nodes" if hp.partial else ""
    return literal_message(
        f"⊗ {len(hp.blocked)}/{len(hp.targets)} blocked{partly} by {names}", "yellow"
    )


def endpoints_text(choice: Choice, limit: int | None = 3) -> Styled:
    """The endpoints' pods (``limit`` of them, then ``+N``; None: all of them)."""
    if not choice.targets:
        return Styled("—", style="dim")
    shown = choice.targets if limit is None else choice.targets[:limit]
    text = literal(", ".join(f"{t.pod.name if t.pod else t.endpoint}" for t in shown))
    if len(choice.targets) > len(shown):
        text.append(f" +{len(choice.targets) - len(shown)}", style="dim")
    return text


def endpoint_count(choice: Choice) -> Styled:
    """How many endpoints a row sends to, as kubectl counts: ``0`` when it sends nowhere."""
    return Styled(str(len(choice.targets)), style="" if choice.targets else "dim")


def group_notes(group: NodeGroup | None, choice: Choice) -> Styled:
    notes: list[Styled] = []  # joined by one space: a cell never starts with one
    if group is not None and group.cross_node:
        notes.append(Styled(f"⇄ cross-node {group.cross_share:.0%}", style="magenta"))
    if choice.fallback:
        notes.append(Styled("terminating only", style="yellow"))
    if choice.topology:
        notes.append(literal(f"hints:{choice.topology}", "cyan"))
    if group is not None and group.ready is False:
        notes.append(Styled("NotReady", style="yellow"))
    return Styled(" ").join(notes)


def _entry_text(path: Path) -> Styled:
    text = literal(path.entry.label())
    hop = path.entry.gateway
    if hop is not None:
        # Like an Ingress row, plus what a Gateway adds: which Gateway and listener.
        text.append(" (gateway ", style="dim")
        text.append_text(literal(f"{hop.gateway} listener {hop.listener}", "dim"))
        text.append(")", style="dim")
    elif path.entry.kind != EntryKind.NODE_PORT:  # "NodePort:30080" says its kind itself
        text.append(f" ({path.entry.kind.value})", style="dim")
    return text


def path_notes(path: Path) -> Styled:
    """What a path adds to its first row: a Gateway backend's share and problem, or the
    Gateways whose infrastructure the Service is."""
    notes: list[Styled] = []
    hop = path.entry.gateway
    if hop is not None:
        if hop.backend is not None and hop.share < 1:
            notes.append(Styled(f"share {hop.share:.0%}", style="cyan"))
        if hop.problem:
            notes.append(literal(hop.problem, "red"))
        elif hop.backend is None and path.direct is not None:
            notes.append(literal(path.direct.rule, "yellow"))  # the gateway's redirect
    if path.gateways:
        notes.append(
            literal("infrastructure of Gateway " + ", ".join(str(g) for g in path.gateways), "dim")
        )
    return Styled(" ").join(notes)


#: The paths table's columns. When a terminal is too narrow, NOTES shrinks and then is left
#: out, then ENDPOINTS; then PORT, ENTRY, AT and VERDICT shrink together, the widest first;
#: SERVICE last, keeping its namespace and the end of its name. A pipe gets every cell whole.
PATH_COLUMNS = (
    Column("SERVICE", give=1, floor=24, cut="middle"),
    Column("PORT", give=5, floor=9, cut="start"),
    Column("ENTRY", give=5, floor=12),
    Column("AT", give=5, floor=10),
    Column("VERDICT", give=5, floor=9),
    Column("ENDPOINTS", give=8, drop=True),
    Column("NOTES", give=9, floor=16, drop=True),
)
#: ``-o wide`` adds what each row sends to and what decided it (left out, last first, from
#: a terminal too narrow for them).
WIDE_COLUMNS = (
    *PATH_COLUMNS,
    Column("PODS", give=10, floor=10, drop=True),
    Column("ZONES", give=11, floor=6, drop=True),
    Column("POLICY", give=12, floor=6, drop=True),
    Column("NETWORKPOLICY", give=13, floor=13, drop=True),
)


class PathRow(NamedTuple):
    """One line of the paths table: a node group of a path, or its direct hop."""

    path: Path
    at: Styled
    choice: Choice
    group: NodeGroup | None
    netpol: HopPolicy | None
    first: bool  # the path's first row carries what belongs to the whole path


def path_rows(path: Path) -> list[PathRow]:
    """A path's rows: its direct hop (straight to pods), then each node group."""
    rows: list[PathRow] = []
    pp = path.netpol
    if path.direct is not None:
        rows.append(
            PathRow(
                path,
                Styled(path.via, style="dim"),
                path.direct,
                None,
                pp.direct if pp else None,
                True,
            )
        )
    for gi, g in enumerate(path.groups):
        hp = pp.groups[gi] if pp is not None and gi < len(pp.groups) else None
        rows.append(PathRow(path, literal(g.label()), g.choice, g, hp, not rows))
    return rows


def _joined(*parts: Styled) -> Styled:
    return Styled(" ").join([t for t in parts if t])


def row_verdict(row: PathRow) -> Styled:
    if row.netpol is not None and row.netpol.all_blocked:
        return Styled(*POLICY_BLOCKED)
    return verdict_text(
        row.choice.verdict, row.group is not None and skipped_by_load_balancer(row.path, row.group)
    )


if TYPE_CHECKING:
    #: What `policy_notes` reads of a hop: hops alike in it share their notes.
    _NotesKey = tuple[tuple[ObjectKey, ...], bool, bool, int, int]
    #: `row_notes`' kept cells for one such key: the policy's notes, its cell alone, and its
    #: cells beside each distinct notes of a group (by their text, style and spans).
    _Kept = tuple[Styled, Styled, dict[tuple[str, str, tuple[object, ...]], Styled]]


def row_notes(
    row: PathRow, affinity: str | None, said: dict[_NotesKey, _Kept] | None = None
) -> Styled:
    """The row's own facts; the path's (a Gateway's share, session affinity) on its first.
    ``said``: policy notes already made, kept by the caller for the rows of one table (at
    10,000 Services, 20,000 rows name a denying policy, most of them in a few words alike),
    each with the cells it makes alone and beside the group's notes (a few texts, such as
    ``⇄ cross-node 80%``): rows alike share one cell, as a table's cells are only read."""
    hp = row.netpol
    notes = group_notes(row.group, row.choice)
    if said is None or hp is None or hp.allowed:
        own = _joined(policy_notes(hp), notes)
    else:
        key = (hp.blocked_by, hp.all_blocked, hp.partial, len(hp.blocked), len(hp.targets))
        kept = said.get(key)
        if kept is None:
            policy = policy_notes(hp)
            kept = said[key] = (policy, _joined(policy), {})
        if not notes:
            own = kept[1]
        else:
            beside = (notes.plain, notes.style, tuple(notes.spans))  # all `_joined` reads
            own = kept[2].get(beside) or kept[2].setdefault(beside, _joined(kept[0], notes))
    if not row.first:
        return own
    return _joined(path_notes(row.path), literal_message(affinity or "", "cyan"), own)


def zones_text(row: PathRow) -> Styled:
    """Where the row enters and the zones of the pods it sends to: ``zone-a → zone-a, zone-b``."""
    to = sorted({t.zone for t in row.choice.targets if t.zone})
    here = row.group.zone if row.group is not None else None
    if not to and not here:
        return Styled("—", style="dim")
    return literal(
        f"{here or '?'} → {', '.join(to) or '—'}" if row.group is not None else ", ".join(to)
    )


def netpol_text(hp: HopPolicy | None) -> Styled:
    """``-o wide``: every policy that denies at the hop, and how many endpoints."""
    if hp is None:
        return Styled("—", style="dim")
    if hp.allowed:
        return Styled("allowed", style="green")
    names = ", ".join(str(k) for k in hp.blocked_by) or "?"
    return literal_message(
        f"{hp.state}: {len(hp.blocked)}/{len(hp.targets)} endpoints denied by {names}",
        "bold red" if hp.all_blocked else "yellow",
    )


def service_port(path: Path) -> Styled:
    # A Gateway rule sending to no Service has no port at all ("—"), not an unknown one.
    return literal(
        path.port.label() if path.port else "—" if names_no_service(path.service) else "?"
    )


def paths_table(
    paths: Iterable[Path],
    *,
    wide: bool = False,
    headers: bool = True,
    services: Mapping[ObjectKey, Service] | None = None,
) -> PlainTable:
    """One row per (service, port, entry, node group): every row names all three, so a
    line that ``grep`` finds says which service it is about. ``services``: for the path's
    session affinity in NOTES."""
    rows: list[list[Styled]] = []
    said: dict[_NotesKey, _Kept] = {}
    for path in paths:
        svc = services.get(path.service) if services is not None else None
        affinity = affinity_note(svc)
        service, port, entry = literal(path.service), service_port(path), _entry_text(path)
        for row in path_rows(path):
            cells = [
                service,
                port,
                entry,
                row.at,
                row_verdict(row),
                endpoint_count(row.choice),
                row_notes(row, affinity, said),
            ]
            if wide:
                cells += [
                    endpoints_text(row.choice, None),
                    zones_text(row),
                    literal(path.policy or "—", "" if path.policy else "dim"),
                    netpol_text(row.netpol),
                ]
            rows.append(cells)
    return PlainTable(WIDE_COLUMNS if wide else PATH_COLUMNS, rows, headers)


FINDING_COLUMNS = (Column("SEVERITY"), Column("CODE"), Column("FINDING", give=9, floor=20))


class FindingLike(Protocol):
    """A route finding or a probe's: what the findings table shows of it."""

    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def message(self) -> str: ...


def findings_table(findings: Iterable[FindingLike], headers: bool = True) -> PlainTable:
    """One finding a row, most severe first; each message names its object, and is never
    wrapped (in a terminal it is cut with ``…`` at the edge)."""
    order = sorted(findings, key=lambda f: (-f.severity.rank, f.code, f.message))
    return PlainTable(
        FINDING_COLUMNS,
        [
            (
                Styled(f.severity.value, style=SEVERITY_STYLE[f.severity]),
                Styled(f.code),
                literal_message(f.message),
            )
            for f in order
        ],
        headers,
    )


def header_line(
    analysis: Analysis,
    paths: Sequence[Path],
    namespaces: frozenset[str] | Literal["read"] | None = "read",
) -> Styled:
    """``kpath <origin> — all namespaces, 3 nodes, 11 services, 13 paths``: the namespaces
    of the view (by default those read; `-n` on a dump narrows what it holds)."""
    snap = analysis.snapshot
    header = Styled("kpath ", style="bold")
    header.append_text(literal(snap.origin))
    read = snap.namespaces_read if namespaces == "read" else namespaces
    # Services read only to find ingress controllers elsewhere are not the view's.
    services = (
        len(snap.services) if read is None else sum(1 for k in snap.services if k.namespace in read)
    )
    header.append(" — ", style="dim")
    header.append_text(literal(namespaces_label(read), "dim"))  # names from the input
    header.append(
        f", {len(snap.nodes)} nodes, {services} services, {len(paths)} paths", style="dim"
    )
    return header


def analysis_blocks(
    analysis: Analysis,
    paths: list[Path],
    *,
    wide: bool = False,
    headers: bool = True,
    namespaces: frozenset[str] | Literal["read"] | None = "read",
) -> list[Block]:
    """What ``kpath paths`` prints: the header line, the paths table, the findings table.
    ``headers`` False (``--no-headers``): the two tables' rows only."""
    parts: list[Block] = []
    if headers:
        parts.append(PlainLine(header_line(analysis, paths, namespaces)))
        if analysis.client is not None:
            line = Styled("NetworkPolicy judged from client ", style="dim")
            line.append_text(literal(analysis.client.address))
            line.append_text(literal(f" ({analysis.client.note})", "dim"))
            parts.append(PlainLine(line))
        parts.append(blank())
    if paths:  # no table of nothing: the CLI says on stderr why it is empty, as kubectl does
        parts.append(
            paths_table(paths, wide=wide, headers=headers, services=analysis.snapshot.services)
        )
    if analysis.findings:
        parts += [blank(), findings_table(analysis.findings, headers)]
    return parts


def analysis_view(
    analysis: Analysis,
    paths: list[Path],
    *,
    wide: bool = False,
    headers: bool = True,
    namespaces: frozenset[str] | Literal["read"] | None = "read",
) -> RenderableType:
    """`analysis_blocks` as one Rich renderable."""
    return group(
        analysis_blocks(analysis, paths, wide=wide, headers=headers, namespaces=namespaces)
    )


def group(blocks: Iterable[Block]) -> RenderableType:
    """Blocks as one Rich renderable (each block is one)."""
    from rich.console import Group

    return Group(*blocks)  # type: ignore[arg-type]


def rule_words(policy: str, rule: str) -> str:
    """The rule that decided, with its traffic policy named once: kube-proxy's rules
    already start with "Local policy"/"Cluster policy"; others get the prefix."""
    prefix = f"{policy} policy"
    return rule if rule.startswith(prefix) else f"{prefix}: {rule}"


def route_blocks(r: Route) -> list[Block]:
    """What ``kpath route`` prints: one line per choice and per target."""
    lines: list[Block] = []
    title = Styled("Traffic for ", style="bold")
    title.append_text(literal(f"{r.service.key} {r.port.label()}"))
    title.append(" entering at node ", style="bold")
    title.append_text(literal(r.node.name))
    lines.append(PlainLine(title))
    for name, policy, choice in (
        ("external", r.service.external_traffic_policy, r.external),
        ("internal", r.service.internal_traffic_policy, r.internal),
    ):
        line = Styled(f"  {name:9}")
        if choice is None:
            line.append("no external way in (ClusterIP)", style="dim")
            lines.append(PlainLine(line))
            continue
        line.append_text(verdict_text(choice.verdict))
        line.append("  ")
        line.append_text(literal_message(rule_words(policy, choice.rule)))
        lines.append(PlainLine(line))
        for t in choice.targets:
            cross = t.node is not None and t.node != r.node.name
            row = Styled("      ")
            row.append_text(literal(f"{t.endpoint:<22} {t.pod or '-'} on {t.node or '?'}"))
            if cross:
                row.append("  ⇄ cross-node", style="magenta")
            if t.terminating:
                row.append("  terminating", style="yellow")
            lines.append(PlainLine(row))
    return lines
