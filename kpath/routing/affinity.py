"""What `sessionAffinity: ClientIP` means for a path, in words. Pure.

With affinity kube-proxy pins each client address to one endpoint (on each node, for the
timeout after that client's last connection), so a node group's "cross-node 50%" is a share
of clients, each always sent to the same pod, not half of every client's connections.
Affinity is kube-proxy's: where the pod is chosen by someone else (a pod-target load
balancer, an Ingress controller, a Gateway's proxies send to pod IPs themselves), the
Service's affinity does not apply to that path.
"""

from __future__ import annotations

from typing import Any

from kpath.cluster.records import Service

#: `Path.via` of the paths on which kube-proxy chooses the pod (the node hop).
KUBE_PROXY_VIA = "nodes"


def applies(svc: Service | None, via: str = KUBE_PROXY_VIA) -> bool:
    """ClientIP affinity holds on a path that enters by ``via``."""
    return svc is not None and svc.session_affinity == "ClientIP" and via == KUBE_PROXY_VIA


def duration(seconds: int) -> str:
    """``3h``, ``10m``, ``1h30m``, ``90s``: the timeout as people say it."""
    if seconds % 60:
        return f"{seconds}s"
    hours, minutes = divmod(seconds // 60, 60)
    if not hours:
        return f"{minutes}m"
    return f"{hours}h" + (f"{minutes}m" if minutes else "")


def affinity_note(svc: Service | None, via: str = KUBE_PROXY_VIA) -> str | None:
    """One phrase for the path's summary and notes, or None without affinity (or on a path
    whose pod kube-proxy does not choose: pass the path's ``via``)."""
    if svc is None or not applies(svc, via):
        return None
    timeout = svc.session_affinity_timeout
    held = f" for {duration(timeout)} after its last connection" if timeout else ""
    return f"ClientIP affinity: each client stays on one pod{held}"


def cross_share_note(svc: Service | None, share: float, via: str = KUBE_PROXY_VIA) -> str | None:
    """What a node group's cross-node share means for a client (None when nothing crosses).

    Without affinity each connection is spread anew: ``50%`` is half of every client's
    connections. With it each client is pinned: half the clients always land on another
    node's pod, the other half never do."""
    if share <= 0:
        return None
    pct = f"{share:.0%}"
    if applies(svc, via):
        return (
            f"{pct} of clients land on another node's pod (ClientIP affinity: each "
            "always the same pod)"
        )
    return f"{pct} of connections cross to another node"


def affinity_json(svc: Service | None, via: str = KUBE_PROXY_VIA) -> dict[str, Any] | None:
    """``{"type": "ClientIP", "timeoutSeconds": N}`` where affinity holds on the path, else
    None (kpath.paths/v1 ``paths[].sessionAffinity``)."""
    if svc is None or not applies(svc, via):
        return None
    return {"type": "ClientIP", "timeoutSeconds": svc.session_affinity_timeout}
