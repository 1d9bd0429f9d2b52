"""How far the view can be trusted: pure decisions, no Textual.

A live view goes stale when the cluster cannot be read (a load failed, the watch lost its
streams). While stale the app retries loads with a growing pause, because a load reads the
kubeconfig again: an API server that came back, even on another address, is found without
`r`, and the follow starts again from what that load read.
"""

from __future__ import annotations

from datetime import datetime

#: Pauses between loads retried while the view is stale (seconds); the last one repeats.
RETRY_DELAYS = (2.0, 4.0, 8.0, 16.0, 30.0)

#: The CLI's exit codes for a session: the UI showed a cluster, or only why it could not.
EXIT_OK, EXIT_FAILED = 0, 2


def retry_delay(attempt: int) -> float:
    """The pause before retry number ``attempt`` (0 for the first)."""
    return RETRY_DELAYS[min(max(attempt, 0), len(RETRY_DELAYS) - 1)]


def stale_label(since: datetime | None) -> str:
    """The header's word for a view that may no longer be true ("" while it is fresh)."""
    return "" if since is None else f"stale since {since:%H:%M:%S}"


def exit_code(shown: bool, error: str) -> int:
    """2 when quitting a session that never showed a cluster, only why it could not."""
    return EXIT_FAILED if error and not shown else EXIT_OK
