"""When a watched cluster's changes reload the view: pure timing, no Textual.

A rollout is dozens of events in a few seconds; each reload reads the whole cluster and
repaints what changed. So changes wait for a short quiet spell, reloads keep a minimum gap
(bounded API load and ssh bandwidth), and a cluster that never goes quiet still reloads once
per gap instead of starving the view.
"""

from __future__ import annotations

#: A watched change reloads after this much quiet (seconds).
QUIET = 0.5
#: ... and no sooner than this after the previous reload (seconds).
MIN_GAP = 2.0


def reload_delay(
    now: float, first_pending: float | None, last_reload: float, waiting: bool
) -> float | None:
    """Seconds from ``now`` until the reload for a change heard now, or None to keep the
    reload already set.

    ``first_pending``: when the oldest change not yet reloaded was heard (None: this is the
    first). ``last_reload``: when the last reload started. ``waiting``: a reload is set.
    """
    if waiting and first_pending is not None and now - first_pending > MIN_GAP:
        return None  # changes keep coming: do not push the reload back again
    return max(QUIET, last_reload + MIN_GAP - now)
