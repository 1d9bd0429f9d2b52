"""How each hop state looks: a glyph, a word and a colour, so state never rests on colour alone.

With ``NO_COLOR`` Textual strips colour from every line; the glyph and the word still say
forward, cross-node, drop, reject, pending, unprobed, probe ok/failed and contradiction.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from kpath.routing.findings import Severity


class HopState(StrEnum):
    """What kpath predicts (or a probe saw) at one hop."""

    FORWARD = "forward"
    CROSS = "cross-node"
    DROP = "drop"
    REJECT = "reject"
    PENDING = "pending"
    INFO = "info"  # a hop that makes no decision (the client, a DNS name)


class ProbeState(StrEnum):
    """What a live probe of a hop found, compared with the prediction."""

    UNPROBED = "unprobed"
    RUNNING = "probing"
    OK = "probe ok"
    BLOCKED = "blocked, as predicted"  # a drop or reject that a probe confirmed
    FAILED = "probe failed"
    CONTRADICTION = "contradiction"


class Look(NamedTuple):
    glyph: str
    word: str
    style: str  # a Rich style; colours are ANSI names so themes and NO_COLOR stay in charge


HOP_LOOK: dict[HopState, Look] = {
    HopState.FORWARD: Look("→", "forward", "green"),
    HopState.CROSS: Look("⇄", "cross-node", "magenta"),
    HopState.DROP: Look("✗", "drop", "bold red"),
    HopState.REJECT: Look("⊘", "reject", "red"),
    HopState.PENDING: Look("…", "pending", "yellow"),
    HopState.INFO: Look("·", "", "default"),
}

PROBE_LOOK: dict[ProbeState, Look] = {
    ProbeState.UNPROBED: Look("○", "unprobed", "dim"),
    ProbeState.RUNNING: Look("◌", "probing", "cyan"),
    ProbeState.OK: Look("✓", "probe ok", "green"),
    ProbeState.BLOCKED: Look("✓", "no answer, as predicted", "yellow"),
    ProbeState.FAILED: Look("✗", "probe failed", "red"),
    ProbeState.CONTRADICTION: Look("‼", "contradiction", "bold yellow reverse"),
}

SEVERITY_LOOK: dict[Severity, Look] = {
    Severity.ERROR: Look("✗", "error", "bold red"),
    Severity.WARNING: Look("!", "warning", "yellow"),
    Severity.INFO: Look("i", "info", "cyan"),
}


def probe_state(predicted: HopState, ok: bool) -> ProbeState:
    """A probe outcome judged against the prediction: agreement, failure, or contradiction."""
    expects_traffic = predicted in (HopState.FORWARD, HopState.CROSS)
    expects_failure = predicted in (HopState.DROP, HopState.REJECT)
    if (ok and expects_failure) or (not ok and expects_traffic):
        return ProbeState.CONTRADICTION
    if not ok and expects_failure:
        return ProbeState.BLOCKED
    return ProbeState.OK if ok else ProbeState.FAILED
