"""The ``kpath.request/v1`` JSON document (documented in docs/json.md). Headless: no textual.

Strings are the cluster's own (and the request's own, as sent): JSON's escaping is enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kpath.cluster.records import ObjectKey
from kpath.export.jsonout import finding_json
from kpath.routing.findings import Finding
from kpath.routing.requests import Answer, BackendShare, Request
from kpath.routing.urls import BARE, request_url

SCHEMA = "kpath.request/v1"


def _name(key: ObjectKey) -> str | None:
    # An Ingress controller outside the cluster (or not found) has no Service: no name.
    return str(key) if key.namespace else None


def request_part(request: Request) -> dict[str, Any]:
    http = request.scheme not in BARE
    return {
        "url": request_url(request),
        "scheme": request.scheme,
        "host": request.host,
        "port": request.port,
        "tls": request.tls,
        "method": request.method if http else None,
        "path": request.path if http else None,
        "query": [{"name": n, "value": v} for n, v in request.query],
        "headers": [{"name": n, "value": v} for n, v in request.headers],
    }


def _backend(b: BackendShare) -> dict[str, Any]:
    return {
        "name": str(b.name),
        "port": b.port,
        "weight": b.weight,
        "share": round(b.share, 4),
        "verdict": b.verdict,
        "endpoints": b.endpoints,
    }


def answer_json(a: Answer) -> dict[str, Any]:
    e, r = a.entry, a.route
    return {
        "entry": {
            "kind": e.kind,
            "name": _name(e.name),
            "listener": e.listener,
            "address": e.address,
            "port": e.port,
            "class": e.class_name,
        },
        "route": None
        if r is None
        else {
            "kind": r.kind,
            "name": str(r.name),
            "rule": r.rule,
            "host": r.host,
            "path": r.path,
            "pathType": r.path_type,
        },
        "outcome": a.outcome.value,
        "httpStatus": a.http_status,
        "redirect": {"location": a.redirect} if a.redirect is not None else None,
        "rewrite": (
            {"host": a.rewrite.host, "path": a.rewrite.path} if a.rewrite is not None else None
        ),
        "backends": [_backend(b) for b in a.backends if b.weight],
        "findings": [finding_json(f) for f in a.findings],
    }


def request_json(
    request: Request, answers: Iterable[Answer], findings: Iterable[Finding] = ()
) -> dict[str, Any]:
    """The whole document: the request, each way in's answer, findings about the request."""
    return {
        "schema": SCHEMA,
        "request": request_part(request),
        "answers": [answer_json(a) for a in answers],
        "findings": [finding_json(f) for f in findings],
    }
