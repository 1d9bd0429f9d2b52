"""Whether an object's absence from a snapshot proves it does not exist (pure).

A live load narrowed by ``-n`` reads one namespace in full; of the others it reads only what
routing needs (the Gateways the routes name, the cluster's LoadBalancer and NodePort
Services), and a Role limited to one namespace may be refused even those. A Gateway, a
ListenerSet, a ReferenceGrant or a backend Service of a namespace not read may then exist
unseen: findings say it is outside what could be read, and why, rather than missing.
"""

from __future__ import annotations

from kpath.cluster.snapshot import Snapshot


def namespace_read(snapshot: Snapshot, namespace: str) -> bool:
    """Were this namespace's namespaced objects read in full (every namespace: a dump, -A)?"""
    read = snapshot.namespaces_read
    return read is None or namespace in read


def gateway_unread(snapshot: Snapshot, namespace: str) -> str | None:
    """Why a Gateway of ``namespace`` may exist unseen; None when its absence is proof.

    Outside the namespaces read, the load lists every namespace's Gateways for the ones
    routes name (`live._read_parent_gateways`); only when that list was refused is the
    Gateway outside what could be read."""
    if namespace_read(snapshot, namespace):
        return None
    return snapshot.gateways_unread


def outside_read(snapshot: Snapshot, namespace: str) -> str | None:
    """Why objects of ``namespace`` that are read with the namespace alone (ListenerSets,
    ReferenceGrants, ClusterIP Services) may exist unseen; None when it was read."""
    if namespace_read(snapshot, namespace):
        return None
    read = ", ".join(sorted(snapshot.namespaces_read or ()))
    return (
        f"only namespace {read} was read"
        if len(snapshot.namespaces_read or ()) == 1
        else f"only namespaces {read} were read"
    )


def services_unread(snapshot: Snapshot, namespace: str) -> str | None:
    """Why a Service of ``namespace`` may exist unseen (a Gateway's ClusterIP data plane):
    beyond the namespaces read, only LoadBalancer and NodePort Services were read, or none
    when that list was refused. None when the namespace was read."""
    if namespace_read(snapshot, namespace):
        return None
    if snapshot.controllers_unread is not None:
        return snapshot.controllers_unread
    return f"{outside_read(snapshot, namespace)}; of others only LoadBalancer and NodePort Services"
