"""Gateway API status as the lab's controller writes it, stable from one resync to the next.

The controller (`kpath.lab.gateway.controller.reconcile`) says what each object's status is now; a
real controller only moves a condition's ``lastTransitionTime`` when the condition changes.
`keep_transition_times` carries the previous times over for conditions whose type, status,
reason and observedGeneration stay the same, so a resync that changes nothing for a route
publishes nothing new (no MODIFIED event, no resourceVersion bump), and one that does change
a condition bumps exactly that object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]

_SAME = ("type", "status", "reason", "observedGeneration", "message")


def keep_transition_times(new: Any, old: Any) -> Any:
    """``new`` with each unchanged condition's lastTransitionTime taken from ``old``.

    Conditions are matched by type; listener statuses by name; route parent statuses by
    their parentRef and controllerName; other lists by position.
    """
    if isinstance(new, Mapping) and isinstance(old, Mapping):
        return {k: keep_transition_times(v, old.get(k)) for k, v in new.items()}
    if isinstance(new, list) and isinstance(old, list):
        out = []
        for i, item in enumerate(new):
            partner = _partner(item, old, i)
            if _is_condition(item):
                out.append(
                    {**item, "lastTransitionTime": partner["lastTransitionTime"]}
                    if partner is not None
                    else item
                )
            else:
                out.append(keep_transition_times(item, partner))
        return out
    return new


def _is_condition(item: Any) -> bool:
    return isinstance(item, Mapping) and "type" in item and "lastTransitionTime" in item


def _partner(item: Any, old: list[Any], index: int) -> Any:
    if not isinstance(item, Mapping):
        return old[index] if index < len(old) else None
    if _is_condition(item):
        for candidate in old:
            if _is_condition(candidate) and all(candidate.get(k) == item.get(k) for k in _SAME):
                return candidate
        return None
    for key in ("name", "parentRef"):
        if key in item:
            for candidate in old:
                if (
                    isinstance(candidate, Mapping)
                    and candidate.get(key) == item.get(key)
                    and candidate.get("controllerName") == item.get("controllerName")
                ):
                    return candidate
            return None
    return old[index] if index < len(old) else None


def with_status(
    obj: Mapping[str, Any], status: Mapping[str, Any] | None, previous: Mapping[str, Any] | None
) -> Obj:
    """A copy of ``obj`` carrying ``status`` (times kept from ``previous``'s status)."""
    out = dict(obj)
    if status is None:
        out.pop("status", None)
        return out
    old = (previous or {}).get("status")
    out["status"] = keep_transition_times(dict(status), old) if old else dict(status)
    return out
