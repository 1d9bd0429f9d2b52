"""What a probe expects to see at a hop: the words plans, verdicts and evidence share.

Its own module so that the planners (`plan`, `policyexpect`) and what reads their plans
(`evidence`, the exports) depend on it, not on each other.
"""

from __future__ import annotations

from enum import StrEnum


class Expect(StrEnum):
    """What a client can observe at a hop: kube-proxy's verdicts seen from outside."""

    ANSWER = "answer"  # forward: something answers (for HTTP, a named pod when it says so)
    SILENT = "silent"  # drop: no answer until the client gives up
    REFUSED = "refused"  # reject: refused or reset at once (an Ingress: an error status)
    HEALTHY = "healthy"  # healthz 200: a ready local endpoint exists
    UNHEALTHY = "unhealthy"  # healthz 503: none here (terminating ones do not count)
    #: Through an Ingress controller, a backend without endpoints: the controller answers an
    #: HTTP error itself (ingress-nginx and Envoy 503, a missing route 404, a failed upstream
    #: 502), naming no pod.
    BACKEND_ERROR = "backend-error"
    UNKNOWN = "unknown"  # no prediction: a NotReady node, endpoints the input does not carry
    #: Accepted, then closed without an answer: a load balancer that proxies the connection
    #: (it accepts first) and finds nothing behind it to send to. Seen where something
    #: answers, it still proves the connection was forwarded (an answer at L4).
    CLOSED = "closed"
    #: A Gateway's own 404: no rule of the listener matches the request (no pod named).
    NOT_FOUND = "not-found"
    #: A Gateway's own redirect (3xx, no pod named), with the predicted Location.
    REDIRECT = "redirect"
