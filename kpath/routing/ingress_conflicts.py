"""Ingresses of one class claiming the same host, path and pathType (KP206, KP207). Pure.

One controller serves every Ingress of its class as one configuration, so two rules for the
same host, path and pathType cannot both take traffic. ingress-nginx keeps the first it
meets in the order it sorts Ingresses: by creationTimestamp, oldest first, and on equal
timestamps by ``namespace/name`` from the last (store.go ``sortIngressSlice``); the later
rule is skipped (``avoiding replacement of ingress rule``). Other controllers document no
rule kpath can apply, so for them the winner is undefined.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from kpath.cluster.records import Ingress, ObjectKey
from kpath.routing.findings import Finding, finding
from kpath.routing.ingress import IngressRoute

#: Controllers that keep the oldest Ingress's rule (IngressClass spec.controller, or the
#: legacy class name when no IngressClass names one).
OLDEST_WINS = {"k8s.io/ingress-nginx": "ingress-nginx"}
LEGACY_OLDEST_WINS = {"nginx": "ingress-nginx"}


class Claim(NamedTuple):
    """What several rules claim: one host, path and pathType on one IngressClass."""

    class_name: str
    host: str  # lower case; "*" for a rule without host
    path: str
    path_type: str | None

    def label(self) -> str:
        return f"{self.host}{self.path} ({self.path_type or 'ImplementationSpecific'})"


class Conflict(NamedTuple):
    claim: Claim
    ingresses: tuple[Ingress, ...]  # distinct Ingresses, in the controller's order if known
    controller: str | None  # IngressClass spec.controller
    winner: Ingress | None  # None: undefined
    why: str  # the rule that picks the winner, or why none is known


def conflicts(routes: Iterable[IngressRoute]) -> list[Conflict]:
    """Every claim made by more than one Ingress of one class, in host/path order."""
    claims: dict[Claim, dict[ObjectKey, Ingress]] = {}
    controllers: dict[Claim, str | None] = {}
    for r in routes:
        class_name = r.controller.class_name
        if r.path is None or class_name is None:
            continue  # default backends are the controller's own choice; no class: no one
        claim = Claim(class_name, (r.host or "*").lower(), r.path, r.path_type)
        claims.setdefault(claim, {})[r.ingress.key] = r.ingress
        controllers[claim] = r.controller.controller
    out = []
    for claim in sorted(claims, key=lambda c: (c.class_name, c.host, c.path, c.path_type or "")):
        ingresses = tuple(claims[claim].values())
        if len(ingresses) > 1:  # one Ingress naming a path twice is its own business
            out.append(judge(claim, ingresses, controllers[claim]))
    return out


def judge(claim: Claim, ingresses: Sequence[Ingress], controller: str | None) -> Conflict:
    """Which Ingress the controller serves the claim from, by its own rule."""
    name = OLDEST_WINS.get(controller or "") or (
        LEGACY_OLDEST_WINS.get(claim.class_name) if controller is None else None
    )
    by_name = sorted(ingresses, key=lambda i: (i.namespace, i.name))
    if name is None:
        what = controller or f"class {claim.class_name}"
        return Conflict(
            claim,
            tuple(by_name),
            controller,
            None,
            f"which one {what} serves is undefined (kpath knows no rule for it)",
        )
    if any(not i.creation for i in ingresses):
        return Conflict(
            claim,
            tuple(by_name),
            controller,
            None,
            f"{name} serves the oldest, but the input carries no "
            "creationTimestamp for each: which one is undefined here",
        )
    ordered = nginx_order(ingresses)
    return Conflict(
        claim,
        ordered,
        controller,
        ordered[0],
        f"{name} serves the oldest, {ordered[0].key} (created {ordered[0].creation})",
    )


def nginx_order(ingresses: Iterable[Ingress]) -> tuple[Ingress, ...]:
    """ingress-nginx's order: oldest first; equal timestamps by namespace/name, last first."""
    by_key = sorted(ingresses, key=lambda i: f"{i.namespace}/{i.name}", reverse=True)
    return tuple(sorted(by_key, key=lambda i: i.creation))  # stable: keeps the tie order


def conflict_findings(routes: Iterable[IngressRoute]) -> Iterator[Finding]:
    for c in conflicts(routes):
        keys = [str(i.key) for i in c.ingresses]
        names = f"Ingress {' and '.join(keys)}" if len(keys) == 2 else f"Ingress {', '.join(keys)}"
        both = "both" if len(keys) == 2 else "all"
        claim = f"{c.claim.label()} on IngressClass {c.claim.class_name}"
        first = c.ingresses[0].key
        if c.winner is not None:
            losers = ", ".join(keys[1:])
            yield finding(
                "KP206",
                f"{names} {both} claim {claim}; {c.why}: the rule of {losers} takes no traffic",
                ingress=first,
            )
        else:
            yield finding("KP207", f"{names} {both} claim {claim}; {c.why}", ingress=first)
