"""An analysis the UI thread can keep reading while the next events are filed.

`LiveAnalysis` updates its snapshot's mappings in place, on the apply worker's thread; the
screen reads the analysis it was handed (rows, paths, a hop's details) whenever the user
moves. So each analysis handed to the screen gets mappings of its own: shallow copies,
the records themselves shared (they are immutable). A copy of a dict of 150,000 pods is a
few milliseconds; rebuilding is seconds.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kpath.routing.analysis import Analysis


def steady(analysis: Analysis) -> Analysis:
    """``analysis`` with every mapping of its snapshot copied (the rest is immutable)."""
    snapshot = analysis.snapshot
    copies: dict[str, Any] = {
        f.name: dict(value)
        for f in dataclasses.fields(snapshot)
        if isinstance(value := getattr(snapshot, f.name), dict)
    }
    return dataclasses.replace(analysis, snapshot=dataclasses.replace(snapshot, **copies))
