"""The policies kpath reads but does not evaluate (AdminNetworkPolicy and its baseline,
ClusterNetworkPolicy, Cilium's, Calico's): one KP503 finding per kind, so a reader knows
the NetworkPolicy verdicts may not be the whole answer. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kpath.cluster.netpol import OTHER_POLICY_KINDS, OtherPolicy
from kpath.routing.findings import Finding, finding

#: How many names a finding shows before "and N more".
SHOWN = 3
_ORDER = {
    (g, k): i
    for i, (g, k) in enumerate((g, k) for g, kinds in OTHER_POLICY_KINDS.items() for k in kinds)
}


def _group(policy: OtherPolicy) -> str:
    return policy.api_version.rpartition("/")[0]


def not_evaluated_findings(policies: Iterable[OtherPolicy]) -> Iterator[Finding]:
    """KP503 per (group, kind) present: how many, and the first few by name."""
    by_kind: dict[tuple[str, str], list[str]] = {}
    for p in policies:
        name = f"{p.namespace}/{p.name}" if p.namespace is not None else p.name
        by_kind.setdefault((_group(p), p.kind), []).append(name)
    for (group, kind), names in sorted(
        by_kind.items(), key=lambda i: (_ORDER.get(i[0], len(_ORDER)), i[0])
    ):
        names.sort()
        shown = ", ".join(names[:SHOWN])
        if len(names) > SHOWN:
            shown += f" and {len(names) - SHOWN} more"
        them, they = ("it", "it") if len(names) == 1 else ("them", "they")
        yield finding(
            "KP503",
            f"{len(names)} {kind} ({group}) not evaluated: kpath's "
            f"NetworkPolicy verdicts leave {them} out, and {they} may allow or "
            f"block traffic ({shown})",
        )
