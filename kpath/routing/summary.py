"""One line per path saying where it fails and what to know: the failing hop in view. Pure.

("drops at node-c (no local pod) · 67% crosses nodes · LB health check skips node-c")
"""

from __future__ import annotations

from kpath.routing.analysis import Analysis
from kpath.routing.paths import Path


def path_summary(analysis: Analysis, path: Path) -> str:
    """The path's one-line summary (shown beside the list and atop the path pane)."""
    return ""
