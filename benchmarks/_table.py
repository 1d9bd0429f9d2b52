"""The one table of `run.py`: reading each benchmark's JSON line, rows, the text, RESULTS.md.

Pure: no processes, no clock, no files. `run.py` runs the benchmarks and hands the
outcomes here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A row's status. Only PASS and INFO (a figure without a target) let the run pass.
PASS, FAIL, INFO = "pass", "FAIL", "info"
MISSING, FAILED, TIMEOUT, SKIPPED = "missing", "failed", "timeout", "skipped"
OK_STATUSES = frozenset({PASS, INFO})


@dataclass(frozen=True)
class Outcome:
    """What running one benchmark gave: its exit code and output, or why it did not run."""

    name: str
    goal: str  # what the registry says it measures, for rows without results
    status: str = ""  # "" when it ran; MISSING, TIMEOUT or SKIPPED otherwise
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    why: str = ""  # for TIMEOUT and SKIPPED: whose budget it was, how much was left


@dataclass(frozen=True)
class Row:
    benchmark: str
    goal: str
    measured: str
    reference: str
    ratio: str
    status: str
    note: str = ""


class BadResults(ValueError):
    """The benchmark's JSON line is there but not in the contract's shape."""


def parse_results(stdout: str) -> list[dict[str, Any]] | None:
    """The results of the last line of ``stdout`` that is a ``{"results": [...]}`` object.

    None when there is no such line (the benchmark died, or printed no JSON); BadResults
    when the line is there but a result lacks a field or has one of the wrong type.
    """
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if not isinstance(doc, dict) or "results" not in doc:
            continue
        results = doc["results"]
        if not isinstance(results, list):
            raise BadResults("'results' is not a list")
        return [_checked(r, i) for i, r in enumerate(results)]
    return None


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _checked(r: Any, i: int) -> dict[str, Any]:
    if not isinstance(r, dict):
        raise BadResults(f"result {i} is not an object")
    if not isinstance(r.get("goal"), str) or not r["goal"]:
        raise BadResults(f"result {i}: 'goal' is not a text")
    if not _number(r.get("measured")):
        raise BadResults(f"result {i}: 'measured' is not a number")
    if not isinstance(r.get("pass"), bool):
        raise BadResults(f"result {i}: 'pass' is not true or false")
    for key in ("reference", "ratio", "limit"):
        if r.get(key) is not None and not _number(r[key]):
            raise BadResults(f"result {i}: {key!r} is not a number")
    return r


def figure(value: float | None, unit: str = "") -> str:
    """A number as the table prints it: 3 significant digits, at least, and its unit."""
    if value is None:
        return "—"
    if unit == "count" and float(value).is_integer():
        return f"{value:,.0f}"
    if value == 0 or abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 1:
        text = f"{value:#.3g}" if abs(value) < 10 else f"{value:.1f}"
    else:
        text = f"{value:#.3g}"  # 0.200, not 0.2: three digits whatever they are
    if unit == "x":
        return f"{text}×"
    return text if unit in ("", "count") else f"{text} {unit}"


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:160] if lines else ""


def rows_for(outcome: Outcome) -> list[Row]:
    """The table's rows for one benchmark: one per result, or one saying why there are none."""
    blank = {"measured": "—", "reference": "—", "ratio": "—"}
    if outcome.status == MISSING:
        return [Row(outcome.name, outcome.goal, **blank, status=MISSING, note="not merged yet")]
    if outcome.status == SKIPPED:
        note = outcome.why or "not started: the run's budget was spent"
        return [Row(outcome.name, outcome.goal, **blank, status=SKIPPED, note=note)]
    if outcome.status == TIMEOUT:
        note = f"stopped after {outcome.seconds:.0f} s ({outcome.why or 'its budget'})"
        return [Row(outcome.name, outcome.goal, **blank, status=TIMEOUT, note=note)]
    try:
        results = parse_results(outcome.stdout)
    except BadResults as exc:
        return [Row(outcome.name, outcome.goal, **blank, status=FAILED, note=f"bad JSON: {exc}")]
    if results is None:
        why = _last_line(outcome.stderr) or _last_line(outcome.stdout) or "no output"
        note = f"exit {outcome.returncode}, no results: {why}"
        return [Row(outcome.name, outcome.goal, **blank, status=FAILED, note=note)]
    if not results:
        note = f"exit {outcome.returncode}, an empty result list"
        return [Row(outcome.name, outcome.goal, **blank, status=FAILED, note=note)]
    rows = []
    for r in results:
        unit = str(r.get("unit") or "")
        status = INFO if r.get("limit") is None else PASS if r["pass"] else FAIL
        note = str(r.get("note") or "")
        if outcome.returncode not in (0, 1):  # 1 is a benchmark's "a target missed"
            note = f"exit {outcome.returncode}; {note}" if note else f"exit {outcome.returncode}"
        ratio = r.get("ratio")
        limit = r.get("limit")
        rows.append(
            Row(
                outcome.name,
                r["goal"],
                figure(r["measured"], unit),
                figure(r.get("reference"), unit),
                _ratio(ratio, limit, _by_ratio(r), unit, bool(r.get("at_least"))),
                status,
                note,
            )
        )
    return rows


def _by_ratio(r: Mapping[str, Any]) -> bool:
    """Whether the limit bounds the ratio (the default with a reference) or the figure."""
    judged = r.get("judged")
    if judged in ("ratio", "measured"):
        return bool(judged == "ratio")
    return r.get("reference") is not None


def _ratio(
    ratio: float | None, limit: float | None, by_ratio: bool, unit: str, at_least: bool
) -> str:
    """The ratio, with the limit it is held to (or the figure's own limit when no ratio)."""
    if limit is None:
        return figure(ratio, "x") if ratio is not None else "—"
    op = "≥" if at_least else "≤"
    if by_ratio:
        return f"{figure(ratio, 'x')} ({op} {figure(limit, 'x')})" if ratio is not None else "—"
    shown = f"{figure(ratio, 'x')}; " if ratio is not None else ""
    return f"{shown}{op} {figure(limit, unit)}"


def exit_code(rows: Iterable[Row]) -> int:
    """0 when every row passed (or has no target), 1 otherwise: missing and failed included."""
    return 0 if all(r.status in OK_STATUSES for r in rows) else 1


HEADERS = ("benchmark", "goal", "measured", "reference", "ratio", "result", "note")


def _cells(r: Row) -> tuple[str, ...]:
    return (r.benchmark, r.goal, r.measured, r.reference, r.ratio, r.status, r.note)


def text_table(rows: Sequence[Row]) -> str:
    """Aligned columns for a terminal; the note last, unpadded."""
    cells = [HEADERS, *(_cells(r) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS) - 1)]
    lines = []
    for c in cells:
        lines.append("  ".join(c[i].ljust(widths[i]) for i in range(len(widths))) + "  " + c[-1])
    return "\n".join(line.rstrip() for line in lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[Row]) -> str:
    head = "| " + " | ".join(HEADERS) + " |"
    rule = "|" + "|".join(["---", "---", "---:", "---:", "---:", "---", "---"]) + "|"
    body = ["| " + " | ".join(_md(c) for c in _cells(r)) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def summary(rows: Sequence[Row]) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    order = (PASS, FAIL, INFO, MISSING, FAILED, TIMEOUT, SKIPPED)
    return ", ".join(f"{counts[s]} {s}" for s in order if s in counts)


def results_markdown(
    rows: Sequence[Row],
    *,
    date: str,
    machine: Mapping[str, str],
    command: str,
    limits: Mapping[str, str],
    timings: Sequence[tuple[str, float, float]] = (),
) -> str:
    """benchmarks/RESULTS.md: the table, when and where, and what limits each figure.

    ``timings``: (benchmark, seconds taken, its budget) for each one that was started.
    """
    parts = [
        "# kpath benchmark results",
        "",
        f"Written by `{command}` on {date}. Regenerate with the same command; "
        "see benchmarks/README.md for what each benchmark does.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()) + ".",
        "",
        markdown_table(rows),
        "",
        f"{summary(rows)}.",
        "",
        *(
            [
                "Time each took, of its budget: "
                + ", ".join(f"{name} {took:.0f}/{budget:.0f} s" for name, took, budget in timings)
                + ".",
                "",
            ]
            if timings
            else []
        ),
        "## What limits each figure",
        "",
    ]
    seen: list[str] = []
    for r in rows:
        if r.benchmark not in seen:
            seen.append(r.benchmark)
    for name in seen:
        text = limits.get(name)
        if text:
            parts += [f"**{name}**: {' '.join(text.split())}", ""]
    return "\n".join(parts).rstrip() + "\n"
