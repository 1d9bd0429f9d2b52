"""The judgement per hop: every target a hop stands for, merged into one verdict. Pure.

A hop (an entry with two addresses, a node group probed at every node) can be probed by
several targets; the worst proof decides. The probe JSON, the text report and the UI all read
a hop's verdict from here, so they say the same thing about the same hop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from kpath.probe.evidence import Evidence, Observation, Proof
from kpath.probe.plan import HopRef, ProbePlan

#: Which proof wins when several targets of one hop disagree.
WORST_FIRST = (
    Proof.CONTRADICTED,
    Proof.UNIDENTIFIED,
    Proof.ANSWERED_ERROR,
    Proof.CONFIRMED,
    Proof.UNKNOWN,
)


class HopVerdict(NamedTuple):
    """What the probes of one hop showed, as `evidence` judged them."""

    ref: HopRef
    main: Observation  # the observation that decides (worst proof)
    observations: tuple[Observation, ...]  # every target of the hop, plan order
    targets: tuple[int, ...]  # indexes into plan.targets, same order

    @property
    def proof(self) -> Proof:
        return self.main.proof

    @property
    def reason(self) -> str:
        return self.main.reason

    @property
    def done(self) -> bool:
        """Every target of the hop was probed (an interrupted run leaves some unprobed)."""
        return all(o.seen for o in self.observations)


def merge(observations: Sequence[Observation]) -> Observation | None:
    """Several targets of one hop (nodes, addresses): the worst proof decides."""
    for proof in WORST_FIRST:
        for o in observations:
            if o.proof == proof:
                return o
    return observations[0] if observations else None


def targets_by_hop(plan: ProbePlan) -> dict[HopRef, list[int]]:
    """Every hop the plan probes, with the targets standing for it."""
    out: dict[HopRef, list[int]] = {}
    for i, t in enumerate(plan.targets):
        for ref in t.refs:
            out.setdefault(ref, []).append(i)
    return out


def hop_verdict(
    ref: HopRef,
    indices: Sequence[int],
    observations: Sequence[Observation] | Mapping[int, Observation],
) -> HopVerdict | None:
    obs = tuple(observations[i] for i in indices)
    main = merge(obs)
    return None if main is None else HopVerdict(ref, main, obs, tuple(indices))


def hop_verdicts(plan: ProbePlan, evidence: Evidence) -> dict[HopRef, HopVerdict]:
    """The verdict on every hop of the plan: the one way to read `Evidence` per hop."""
    out = {}
    for ref, indices in targets_by_hop(plan).items():
        v = hop_verdict(ref, indices, evidence.observations)
        if v is not None:
            out[ref] = v
    return out
