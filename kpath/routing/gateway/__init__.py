"""Routing through Gateways as the Gateway API specification defines it (pure functions).

`attach` builds a `GatewayTable` from a snapshot: every listener of every Gateway with its
attached routes, indexed for requests, and every rejected attachment with its reason.
`gateway_answers` says what each listener does with one `Request`; `rule_backends` resolves
one rule's backendRefs to Services with shares and problems.

Names are loaded on first use: `kpath.routing.paths` and `kpath.routing.findings` may import
this package while they are themselves being imported.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "attach": "attach",
    "GatewayTable": "attach",
    "gateway_answers": "resolve",
    "rule_backends": "backends",
    "ResolvedBackend": "backends",
    "route_problems": "backends",
    "certificate_problems": "backends",
    "table_findings": "findings",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
