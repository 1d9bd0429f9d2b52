"""A live progress display for long probe runs, and the one-line summary at the end.

The display goes to stderr (stdout stays clean for ``-o json``) and only when stderr is a
terminal; it counts answers and failures as they arrive.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
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

from kpath.probe.evidence import ProbeSummary
from kpath.probe.prober import ProbeResult


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
