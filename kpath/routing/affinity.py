"""What `sessionAffinity: ClientIP` means for a path, in words. Pure.

With affinity kube-proxy pins each client address to one endpoint, so a node group's
"cross-node 50%" is a share of clients, not of one client's connections.
"""

from __future__ import annotations

from kpath.cluster.records import Service


def affinity_note(svc: Service | None) -> str | None:
    """One phrase for the path's summary and notes, or None without affinity."""
    if svc is None or svc.session_affinity != "ClientIP":
        return None
    return "ClientIP affinity: each client stays on one pod"
