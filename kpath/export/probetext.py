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
from rich.table import Table
from rich.text import Text

from kpath.probe.evidence import PROOF_WORDS, ProbeSummary, Proof, where
from kpath.probe.plan import ProbeTarget
from kpath.probe.prober import ProbeResult
from kpath.probe.run import ProbeReport
from kpath.routing.analysis import Analysis
from kpath.routing.findings import Finding, Severity
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


def probe_view(report: ProbeReport) -> RenderableType:
    """Every probed hop with prediction, observation and verdict; findings; the summary."""
    plan, ev = report.plan, report.evidence
    table = Table(title="Probes", title_justify="left", expand=False, show_lines=False)
    for col in ("hop", "probe", "predicted", "observed", "verdict"):
        table.add_column(col, overflow="fold")
    order = sorted(range(len(plan.targets)),
                   key=lambda i: (ev.observations[i].proof != Proof.CONTRADICTED,
                                  plan.targets[i].refs[0].path, plan.targets[i].hop.value))
    for i in order:
        t, o = plan.targets[i], ev.observations[i]
        seen = o.observed  # probe by probe, each with the pod that answered or was silent
        if o.cross_node:
            seen += " (cross-node)"
        if o.latency_ms is not None:
            seen += f", {o.latency_ms:.0f} ms"
        table.add_row(literal(where(plan, t).split(", ")[0] + f" [{t.hop.value}]"),
                      literal(t.label() + (f" @ {t.node}" if t.node else "")),
                      literal(predicted_words(t)),
                      literal(seen), proof_text(o.proof, o.word))
    parts: list[RenderableType] = [table]
    for f in ev.findings:
        line = Text(f"{f.code} {f.severity.value}: ", style="bold red"
                    if f.severity == Severity.ERROR else "yellow")
        line.append_text(literal_message(f.message))
        parts.append(line)
    for n in plan.not_probed:
        line = Text("not probed: ", style="dim")
        line.append_text(literal(f"{plan.paths[n.path].service} {n.what}: "))
        line.append_text(literal_message(n.reason))
        parts.append(line)
    parts.append(summary_line(ev.summary))
    return Group(*parts)


def print_report(
    console: Console, analysis: Analysis, report: ProbeReport,
    findings: list[Finding] | None = None,
) -> None:
    """The predicted paths (as ``kpath paths`` prints them), then what the probes saw."""
    from dataclasses import replace

    from kpath.export.text import analysis_view

    shown = analysis if findings is None else replace(analysis, findings=tuple(findings))
    console.print(analysis_view(shown, list(report.plan.paths)))
    console.print(probe_view(report))


# --------------------------------------------------------------------------- progress
class ProbeProgress:
    """``with ProbeProgress(total) as progress: ... progress.update(result)``."""

    def __init__(self, total: int, *, console: Console | None = None,
                 enabled: bool | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal if enabled is None else enabled
        self.total = total
        self.ok = self.failed = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProbeProgress:
        if self.enabled and self.total:
            self._progress = Progress(
                SpinnerColumn(), TextColumn("probing"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                console=self.console, transient=True,
            )
            self._task = self._progress.add_task("probes", total=self.total,
                                                 counts=self._counts())
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
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
    text.append(f"{summary.contradictions} {word}",
                style="bold red" if summary.contradictions else "green")
    if summary.unidentified:
        text.append(f", {summary.unidentified} answered (unidentified)", style="cyan")
    if summary.not_probed:
        text.append(f", {summary.not_probed} not probed", style="dim")
    return text
