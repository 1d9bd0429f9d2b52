"""Shared helpers for the lab's scheduler / data-plane tests: a minimal object store.

`MiniStore` has the lab store's put/delete/get/list surface (no watches, no resource
versions); it lets the scheduler and data plane be tested without the API server.
"""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]


class MiniStore:
    """Objects by (kind, namespace, name), with a log of (event, kind, namespace, name)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str | None, str], Obj] = {}
        self.events: list[tuple[str, str, str | None, str]] = []

    def put(self, obj: Obj) -> Obj:
        meta = obj["metadata"]
        key = (obj["kind"], meta.get("namespace"), meta["name"])
        self.events.append(("MODIFIED" if key in self.objects else "ADDED", *key))
        self.objects[key] = copy.deepcopy(obj)
        return obj

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        if self.objects.pop((kind, namespace, name), None) is not None:
            self.events.append(("DELETED", kind, namespace, name))

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        return self.objects.get((kind, namespace, name))

    def list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        return [
            o
            for (k, ns, _), o in sorted(self.objects.items(), key=lambda kv: str(kv[0]))
            if k == kind and (namespace is None or ns == namespace)
        ]
