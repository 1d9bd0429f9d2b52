"""Routing through Gateways as the Gateway API specification defines it (pure functions).

`attach` builds a `GatewayTable` from a snapshot: every listener of every Gateway with its
attached routes, indexed for requests, and every rejected attachment with its reason.
`gateway_answers` says what each listener does with one `Request`; `rule_backends` resolves
one rule's backendRefs to Services with shares and problems.
"""

from kpath.routing.gateway.attach import GatewayTable, attach

__all__ = ["GatewayTable", "attach"]
