"""Credentials out of server text: every secret kpath holds becomes ``***``. Pure.

kpath never prints a credential by itself, but an API server (or a proxy in front of it)
may echo request headers in a Status message or an error page, and an exec plugin may put
its token in an error. Such text is redacted where it enters kpath (`kpath.cluster.live`,
the watch, probes through the API server), before anything can show, truncate or write it.

A credential can come back in more shapes than it was sent: a bearer token with or without
``Bearer``; basic auth as the base64 of ``user:password`` or decoded; a client key as PEM
over several lines, one of them, or the base64 of the kubeconfig's ``client-key-data``; and
URL- or JSON-escaped. `secret_forms` lists those shapes; `redact` replaces them, longest
first, and any PEM private key block whatever it holds.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "***"
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?"
    r"(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)",
    re.S,
)
_PEM_LINE = 16  # a PEM body line shorter than this (the last one) is too common to hunt for


def secret_forms(value: str) -> set[str]:
    """The shapes one credential may take in text a server sends back."""
    value = value.strip()
    if not value:
        return set()
    forms = {value}
    scheme, _, rest = value.partition(" ")
    rest = rest.strip()
    if rest and scheme.lower() in ("bearer", "basic"):
        forms.add(rest)  # the token without its scheme word
        if scheme.lower() == "basic":
            forms |= _basic(rest)
    if "-----BEGIN" in value:
        body = [
            line.strip()
            for line in value.splitlines()
            if line.strip() and not line.startswith("-----")
        ]
        forms.add("".join(body))
        forms |= {line for line in body if len(line) >= _PEM_LINE}
    for form in list(forms):
        forms.add(quote(form, safe=""))
        forms.add(json.dumps(form)[1:-1])
    return {f for f in forms if f}


def _basic(encoded: str) -> set[str]:
    """``user:password`` and the password, from basic auth's base64."""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return set()
    _, sep, password = decoded.partition(":")
    return {decoded, password} if sep and password else {decoded}


def redaction_set(credentials: Iterable[str]) -> tuple[str, ...]:
    """Every form of every credential, longest first (so a longer form is replaced whole)."""
    forms: set[str] = set()
    for value in credentials:
        forms |= secret_forms(value)
    return tuple(sorted(forms, key=lambda f: (-len(f), f)))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every one of ``secrets`` (as `redaction_set` gives them) and every PEM
    private key replaced by ``***``."""
    out = _PRIVATE_KEY.sub(REDACTED, text)
    for secret in secrets:
        if secret in out:
            out = out.replace(secret, REDACTED)
    return out
