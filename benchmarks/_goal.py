"""One benchmark figure against its goal, and the one JSON line `run.py` reads.

Every benchmark run with ``--json`` ends with ``{"results": [...]}`` on one line of
stdout; each result is what `result` returns. A figure with a ``reference`` is judged by
its ratio to it (``measured / reference``), one without by the figure itself. A figure
with no target at all (``limit=None``) is reported and never fails.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def result(
    goal: str,
    measured: float,
    unit: str,
    limit: float | None,
    *,
    reference: float | None = None,
    at_least: bool = False,
    absolute: bool = False,
    holds: bool = True,
    note: str = "",
) -> dict[str, Any]:
    """One row: ``limit`` bounds the ratio when there is a reference, else the figure.

    ``absolute``: the limit bounds the figure itself even with a reference (a floor shown
    for scale, as `python` + `json.loads` is for `kpath reach`'s 0.2 s). ``holds``: a
    condition the figure is only valid under (the follower caught up, say); false fails
    the row whatever the figure, and the note should say why.
    """
    ratio = measured / reference if reference else None
    judged = ratio if reference is not None and not absolute else measured
    if limit is None or judged is None:
        passed = limit is None
    else:
        passed = judged >= limit if at_least else judged <= limit
    passed = passed and holds
    return {
        "goal": goal,
        "measured": round(measured, 6),
        "unit": unit,
        "reference": None if reference is None else round(reference, 6),
        "ratio": None if ratio is None else _rounded_ratio(ratio),
        "limit": limit,
        "pass": passed,
        "note": note,
        "at_least": at_least,
        "judged": "ratio" if reference is not None and not absolute else "measured",
    }


def _rounded_ratio(ratio: float) -> float:
    """Four decimals; four significant digits under 1/1000 (one event against a rebuild is
    ~1/5000: four decimals would leave one digit of it)."""
    return round(ratio, 4) if ratio == 0 or abs(ratio) >= 1e-3 else float(f"{ratio:.4g}")


def emit(results: list[dict[str, Any]]) -> None:
    """Print the one JSON line, last on stdout (after the benchmark's own report)."""
    sys.stdout.flush()
    print(json.dumps({"results": results}, ensure_ascii=False), flush=True)
