"""Each service's `path_signature` in the analysis on screen, made when first compared.

A signature is only ever compared with the next analysis's (a changed service flashes), and
at full scale making all of them is seconds of CPU (every target of every path). The first
screen has nothing to compare with, so it makes none: `Signatures.of` keeps the analysis,
and a service's signature is made when a later analysis asks for it, from that one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kpath.cluster.records import ObjectKey
from kpath.routing.analysis import Analysis
from kpath.tui.view_model import path_signature

Signature = tuple[object, ...]


class Signatures:
    """Signatures by service: those made, and those still to make from ``analysis``'s
    ``paths`` (each service's path indexes). A service set or dropped since is no longer
    read from it."""

    def __init__(self) -> None:
        self._made: dict[ObjectKey, Signature | None] = {}
        self._analysis: Analysis | None = None
        self._paths: Mapping[ObjectKey, Sequence[int]] = {}

    @classmethod
    def of(cls, analysis: Analysis, paths: Mapping[ObjectKey, Sequence[int]]) -> Signatures:
        """The signatures of ``analysis`` (``paths``: its `group_paths`), none made yet."""
        made = cls()
        made._analysis, made._paths = analysis, paths
        return made

    def get(self, key: ObjectKey) -> Signature | None:
        """``key``'s signature (None: it has no paths, or was dropped)."""
        if key in self._made:
            return self._made[key]
        indexes = self._paths.get(key)
        if indexes is None or self._analysis is None:
            return None
        signature = self._made[key] = path_signature(self._analysis, indexes)
        return signature

    def update(self, signatures: Mapping[ObjectKey, Signature]) -> None:
        self._made.update(signatures)

    def pop(self, key: ObjectKey, default: None = None) -> Signature | None:
        """Drop ``key`` (its service is gone): None from now on. Returns the signature if
        it was made (one not made yet is not made for this)."""
        signature = self._made.get(key)
        self._made[key] = default
        return signature
