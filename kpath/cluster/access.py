"""The API server and credentials a kubeconfig names, for probes through ``pods/…/proxy``.

Read with the same merge rules as the live source (`kubeconfig.resolve_target`), so the
probes' API server is the one the paths were read from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class ApiCredentials(NamedTuple):
    server: str  # "https://host:port", no trailing slash
    headers: Mapping[str, str]  # Authorization, ...
    verify: bool | str  # CA bundle path, or a bool
    cert: tuple[str, str] | None  # client certificate and key files
    secrets: tuple[str, ...]  # every form of those credentials, to clear from answers


def api_access(kubeconfig: str | None, context: str | None) -> ApiCredentials:
    """The API server and credentials a kubeconfig names (for ``pods/…/proxy``)."""
    from kpath.cluster.kubeconfig import resolve_target
    from kpath.cluster.redact import redaction_set

    target = resolve_target(kubeconfig, context)
    plain = target.plain
    if plain is not None:  # read by kpath, as the client would have read it
        return ApiCredentials(
            plain.host.rstrip("/"),
            {"Authorization": plain.authorization} if plain.authorization else {},
            (plain.ca_file or True) if plain.verify else False,
            (plain.cert_file, plain.key_file) if plain.cert_file and plain.key_file else None,
            tuple(redaction_set(target.credentials())),
        )
    cfg = target.configuration
    # The client's own auth settings (a bearer token, refreshed by an exec plugin if any).
    # BearerToken is the one setting the client defines (its AuthSettings type).
    bearer = cfg.auth_settings().get("BearerToken")
    headers = (
        {str(bearer["key"]).title(): str(bearer["value"])}
        if bearer and bearer.get("in") == "header" and bearer.get("value")
        else {}
    )
    verify: bool | str = (cfg.ssl_ca_cert or True) if cfg.verify_ssl else False
    cert = (cfg.cert_file, cfg.key_file) if cfg.cert_file and cfg.key_file else None
    return ApiCredentials(
        str(cfg.host).rstrip("/"), headers, verify, cert, tuple(redaction_set(target.credentials()))
    )
