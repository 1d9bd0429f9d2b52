"""Filters that change where a request goes: RequestRedirect (a Location) and URLRewrite
(what the backend receives). Pure functions, as apis/v1/httproute_types.go defines them
and the conformance tests (httproute-redirect-*, httproute-rewrite-*) check them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from kpath.cluster.gatewayapi import PathModifier, RequestRedirect, RouteFilter, URLRewrite
from kpath.routing.gateway.match import prefix_of

WELL_KNOWN_PORTS = {"http": 80, "https": 443}


class RuleFilters(NamedTuple):
    redirect: RequestRedirect | None
    rewrite: URLRewrite | None
    others: tuple[str, ...]  # filter types that do not change where traffic goes


def rule_filters(filters: Sequence[RouteFilter]) -> RuleFilters:
    redirect = next((f.redirect for f in filters if f.type == "RequestRedirect"), None)
    rewrite = next((f.rewrite for f in filters if f.type == "URLRewrite"), None)
    others = tuple(f.type for f in filters if f.type not in ("RequestRedirect", "URLRewrite"))
    return RuleFilters(redirect, rewrite, others)


def modified_path(mod: PathModifier | None, path: str, matched_prefix: str | None) -> str:
    """The path after a ReplaceFullPath or ReplacePrefixMatch.

    ReplacePrefixMatch replaces the matched prefix on segment boundaries: with prefix
    ``/foo``, ``/foo/bar`` becomes ``/xyz/bar`` for ``/xyz`` or ``/xyz/``, ``/bar`` for "",
    and ``/foo`` becomes ``/`` for "" or ``/`` (the HTTPPathModifier table). Without a
    PathPrefix match it does nothing (the API server refuses that combination).
    """
    if mod is None:
        return path
    if mod.type == "ReplaceFullPath":
        return mod.value
    if mod.type == "ReplacePrefixMatch" and matched_prefix is not None:
        prefix = prefix_of(matched_prefix)
        # What follows the prefix: "" or "/..." (a prefix "/" leaves the whole path, but
        # "/" alone is all prefix).
        rest = path[len(prefix) :] if prefix != "/" else ("" if path == "/" else path)
        out = mod.value.rstrip("/") + rest
        return out or "/"
    return path


def redirect_location(
    r: RequestRedirect,
    scheme: str,
    host: str,
    listener_port: int,
    path: str,
    query: str,
    matched_prefix: str | None,
) -> str:
    """The Location a RequestRedirect answers with.

    Scheme and hostname default to the request's. Without ``port``: the well-known port of
    the redirect's scheme when it sets one, else the listener's port. The port is left out
    of the Location where it is the scheme's own (http 80, https 443).
    """
    new_scheme = r.scheme or scheme
    port = r.port
    if port is None:
        port = WELL_KNOWN_PORTS.get(r.scheme, listener_port) if r.scheme else listener_port
    new_host = r.hostname or host
    shown = "" if WELL_KNOWN_PORTS.get(new_scheme) == port else f":{port}"
    new_path = modified_path(r.path, path, matched_prefix)
    return f"{new_scheme}://{new_host}{shown}{new_path}{'?' + query if query else ''}"


def rewritten(rw: URLRewrite, host: str, path: str, matched_prefix: str | None) -> tuple[str, str]:
    """(host, path) as the backend receives them after a URLRewrite."""
    return rw.hostname or host, modified_path(rw.path, path, matched_prefix)
