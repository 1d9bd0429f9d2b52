"""`kpath reach`'s text: the verdict and what decided it, in a line or two. Plain lines
(no Rich); every name from the cluster through `kpath.safetext.clean`, composed here from the
verdict's records rather than from its (unescaped) reason strings.

    x/b -> x/a 80/TCP: DENIED
      ingress: denied by x/deny (it selects x/a for ingress; no rule allows x/b on 80/TCP)
"""

from __future__ import annotations

from collections.abc import Iterable

from kpath.routing.policy.evaluate import rule_text
from kpath.routing.policy.verdict import DirectionVerdict, Reach
from kpath.safetext import clean, clean_message


def _names(keys: Iterable[object], limit: int = 3) -> str:
    keys = list(keys)
    shown = ", ".join(clean(k) for k in keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def _direction(r: Reach, name: str, d: DirectionVerdict) -> str:
    pod = r.destination if name == "ingress" else r.source.pod
    what = f"{r.port}/{r.protocol}"
    if d.allowed_by:
        return f"{name}: allowed by {_names(rule_text(x) for x in d.allowed_by)}"
    if not d.allowed:
        who = "it selects" if len(d.policies) == 1 else "they select"
        peer = (
            f"{clean(r.source.label())} on {what}"
            if name == "ingress"
            else f"{clean(r.destination)}:{what}"
        )
        return (
            f"{name}: denied by {_names(d.policies)} ({who} {clean(pod)} for {name}; no "
            f"rule allows {peer})"
        )
    if d.policies:  # selected, yet allowed with no rule: traffic of the pod's own node
        return f"{name}: allowed, from {clean(pod)}'s own node (always allowed)"
    if pod is None:
        return f"{name}: open ({clean(r.source.label())} is not a pod of the cluster)"
    return f"{name}: open (no policy isolates {clean(pod)} for {name})"


def reach_text(r: Reach, notes: Iterable[str] = ()) -> str:
    head = (
        f"{clean(r.source.label())} -> {clean(r.destination)} {r.port}/{r.protocol}: "
        f"{'allowed' if r.allowed else 'DENIED'}"
    )
    if r.source.kind == "node" and r.source.address:
        head += f" (from {clean(r.source.address)})"
    lines = [head]
    directions = [("egress", r.egress), ("ingress", r.ingress)]
    # What decided: the denying direction(s); else those a policy governs; else both open.
    shown = (
        [x for x in directions if not x[1].allowed]
        or [x for x in directions if x[1].policies]
        or directions
    )
    lines.extend(f"  {_direction(r, n, d)}" for n, d in shown)
    lines.extend(f"  note: {clean_message(n)}" for n in notes)
    return "\n".join(lines) + "\n"
