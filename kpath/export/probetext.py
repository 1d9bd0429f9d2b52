"""The probe report for a terminal: the table of hops, findings, the summary line, and the
live progress bar of a long run (on stderr, only when it is a terminal, so stdout stays clean
for ``-o json``).
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from kpath.export.table import Column, PlainLine, PlainTable
from kpath.export.text import findings_table, service_port
from kpath.probe.evidence import PROOF_WORDS, ProbeSummary, Proof
from kpath.probe.plan import HopKind, ProbeTarget
from kpath.probe.prober import ProbeResult
from kpath.probe.run import ProbeReport
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Finding
from kpath.safetext import literal, literal_message

PROOF_STYLE = {  # the words are evidence's (PROOF_WORDS); only the colours are chosen here
    Proof.CONFIRMED: (PROOF_WORDS[Proof.CONFIRMED], "green"),
    Proof.CONTRADICTED: (PROOF_WORDS[Proof.CONTRADICTED], "bold red"),
    Proof.UNKNOWN: (PROOF_WORDS[Proof.UNKNOWN], "yellow"),
    Proof.UNIDENTIFIED: (PROOF_WORDS[Proof.UNIDENTIFIED], "cyan"),
    Proof.ANSWERED_ERROR: (PROOF_WORDS[Proof.ANSWERED_ERROR], "yellow"),
}


def proof_text(proof: Proof, word: str | None = None) -> Text:
    """The verdict's words (an observation's own, "! answered 503", when given), coloured."""
    default, style = PROOF_STYLE[proof]
    return Text(word or default, style=style)


def predicted_words(t: ProbeTarget) -> str:
    """The prediction's cell: the kinds of answer, and a Gateway's own status and Location."""
    words = " or ".join(sorted(e.value for e in t.expect))
    if t.statuses:
        words += " " + "/".join(map(str, sorted(t.statuses)))
    if t.location:
        words += f" → {t.location}"
    return words


#: The probe table's columns: VERDICT early, so an 80-column terminal still shows it; what
#: came back, the URL and the prediction give way first (left out when there is no room:
#: a hop's node or pod matters more), then PORT, ENTRY and HOP, the widest first.
PROBE_COLUMNS = (
    Column("SERVICE", give=1, floor=20, cut="middle"),
    Column("PORT", give=5, floor=9, cut="start"),
    Column("ENTRY", give=5, floor=12),
    Column("HOP", give=5, floor=8, cut="middle"),
    Column("VERDICT", give=2, floor=11),
    Column("PREDICTED", give=7, floor=9, drop=True),
    Column("PROBE", give=8, floor=10, drop=True),
    Column("OBSERVED", give=9, floor=16, drop=True),
)
WIDE_PROBE_COLUMNS = (
    *PROBE_COLUMNS,
    Column("PODS", give=10, floor=4, drop=True),
    Column("SLOWEST", give=11, floor=7, drop=True),
    Column("WHY", give=12, floor=3, drop=True),
)
NOT_PROBED_COLUMNS = (
    Column("SERVICE", give=1, floor=20, cut="middle"),
    Column("NOT PROBED", give=5, floor=10),
    Column("WHY", give=9, floor=3),
)


def hop_words(t: ProbeTarget) -> str:
    """``entry``, ``node node-c``, ``health node-c``, ``pod shop/x``."""
    if t.hop in (HopKind.NODE, HopKind.HEALTH):
        return f"{t.hop.value} {t.node or '?'}"
    if t.hop == HopKind.POD:
        return f"pod {t.pod or '?'}"
    return t.hop.value


def probe_table(report: ProbeReport, *, wide: bool = False, headers: bool = True) -> PlainTable:
    """One row per probed hop, each naming its service, port and entry; contradictions
    first."""
    plan, ev = report.plan, report.evidence
    order = sorted(
        range(len(plan.targets)),
        key=lambda i: (
            ev.observations[i].proof != Proof.CONTRADICTED,
            plan.targets[i].refs[0].path,
            plan.targets[i].hop.value,
        ),
    )
    rows: list[list[Text]] = []
    for i in order:
        t, o = plan.targets[i], ev.observations[i]
        p = plan.paths[t.refs[0].path]
        seen = o.observed  # probe by probe, each with the pod that answered or was silent
        if o.cross_node:
            seen += " (cross-node)"
        if o.latency_ms is not None:
            seen += f", {o.latency_ms:.0f} ms"
        cells = [
            literal(p.service),
            service_port(p).to_text(),
            literal(p.entry.label()),
            literal(hop_words(t)),
            proof_text(o.proof, o.word),
            literal(predicted_words(t)),
            literal(t.label() + (f" @ {t.node}" if t.node else "")),
            literal(seen),
        ]
        if wide:
            cells += [
                literal(", ".join(o.pods) or "—"),
                Text(f"{o.latency_ms:.0f} ms" if o.latency_ms is not None else "—"),
                literal_message(o.reason or "—"),
            ]
        rows.append(cells)
    return PlainTable(WIDE_PROBE_COLUMNS if wide else PROBE_COLUMNS, rows, headers)


def probe_view(report: ProbeReport, *, wide: bool = False, headers: bool = True) -> RenderableType:
    """Every probed hop with prediction, observation and verdict; findings; what was not
    probed and why; the summary line."""
    plan, ev = report.plan, report.evidence
    parts: list[RenderableType] = [probe_table(report, wide=wide, headers=headers)]
    if ev.findings:
        parts += [Text(""), findings_table(ev.findings, headers)]
    if plan.not_probed:
        parts += [
            Text(""),
            PlainTable(
                NOT_PROBED_COLUMNS,
                [
                    (
                        literal(plan.paths[n.path].service),
                        literal(n.what),
                        literal_message(n.reason),
                    )
                    for n in plan.not_probed
                ],
                headers,
            ),
        ]
    if headers:
        parts += [Text(""), PlainLine(summary_line(ev.summary))]
    return Group(*parts)


def print_report(
    console: Console,
    analysis: Analysis,
    report: ProbeReport,
    findings: list[Finding] | None = None,
    *,
    wide: bool = False,
    headers: bool = True,
) -> None:
    """The predicted paths (as ``kpath paths`` prints them), then what the probes saw."""
    from dataclasses import replace

    from kpath.export.text import analysis_view

    shown = analysis if findings is None else replace(analysis, findings=tuple(findings))
    console.print(analysis_view(shown, list(report.plan.paths), wide=wide, headers=headers))
    console.print(Text(""))
    console.print(probe_view(report, wide=wide, headers=headers))


# --------------------------------------------------------------------------- progress
class ProbeProgress:
    """``with ProbeProgress(total) as progress: ... progress.update(result)``."""

    def __init__(
        self, total: int, *, console: Console | None = None, enabled: bool | None = None
    ) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal if enabled is None else enabled
        self.total = total
        self.ok = self.failed = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProbeProgress:
        if self.enabled and self.total:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("probing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._task = self._progress.add_task("probes", total=self.total, counts=self._counts())
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _counts(self) -> str:
        return f"{self.ok} ok, {self.failed} failed"

    def update(self, result: ProbeResult) -> None:
        if result.answered:
            self.ok += 1
        else:
            self.failed += 1
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, counts=self._counts())


def summary_line(summary: ProbeSummary) -> Text:
    """``probes: 42 done, 35 ok, 7 failed, 1 contradiction`` (contradictions in bold red)."""
    text = Text("probes: ")
    text.append(f"{summary.done} done")
    if summary.done < summary.planned:
        text.append(f" of {summary.planned}")
    text.append(f", {summary.ok} ok, ")
    text.append(f"{summary.failed} failed", style="red" if summary.failed else "")
    text.append(", ")
    word = "contradiction" if summary.contradictions == 1 else "contradictions"
    text.append(
        f"{summary.contradictions} {word}", style="bold red" if summary.contradictions else "green"
    )
    if summary.unidentified:
        text.append(f", {summary.unidentified} answered (unidentified)", style="cyan")
    if summary.not_probed:
        text.append(f", {summary.not_probed} not probed", style="dim")
    return text
