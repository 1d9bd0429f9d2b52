"""Credentials out of server text: every shape a credential comes back in becomes ``***``."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from kpath.cluster.redact import REDACTED, redact, redaction_set, secret_forms

TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl-Xy_z"
PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
    "NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n"
    "-----END PRIVATE KEY-----\n"
)


def test_a_bearer_token_is_redacted_with_or_without_its_scheme() -> None:
    secrets = redaction_set([f"Bearer {TOKEN}"])
    text = f"forbidden; request had Authorization: Bearer {TOKEN}; token {TOKEN}."
    out = redact(text, secrets)
    assert TOKEN not in out and out.count(REDACTED) == 2
    assert out == f"forbidden; request had Authorization: {REDACTED}; token {REDACTED}."


def test_basic_auth_is_redacted_encoded_and_decoded() -> None:
    header = "Basic " + base64.b64encode(b"admin:hunter2-pass").decode()
    secrets = redaction_set([header])
    out = redact(
        f"echo: {header} / {header.split()[1]} / admin:hunter2-pass / hunter2-pass", secrets
    )
    assert "hunter2" not in out and header.split()[1] not in out
    assert out.count(REDACTED) == 4


def test_client_key_material_is_redacted_whole_by_line_and_as_one_block() -> None:
    secrets = redaction_set([PEM])
    lines = PEM.splitlines()[1:-1]
    for text in (PEM, " ".join(PEM.split()), lines[1], "".join(lines)):
        out = redact(f"x {text} y", secrets)
        assert not any(line in out for line in lines), text


def test_any_private_key_block_is_redacted_even_one_kpath_does_not_hold() -> None:
    out = redact(f"body: {PEM} end", ())
    assert "MIIE" not in out and out.startswith("body: ***") and out.endswith(" end")
    # cut off before its END line (a truncated error page): still redacted to the end
    assert "MIIE" not in redact(PEM[:120], ())


def test_escaped_forms_are_redacted_too() -> None:
    token = 'to/ken+with"odd'
    secrets = redaction_set([token])
    for shown in (quote(token, safe=""), json.dumps(token)[1:-1]):
        assert redact(f"[{shown}]", secrets) == f"[{REDACTED}]"


def test_text_without_credentials_is_unchanged() -> None:
    text = 'pods is forbidden: User "alice" cannot list resource "pods"'
    assert redact(text, redaction_set([f"Bearer {TOKEN}", PEM])) == text
    assert secret_forms("") == set() and secret_forms("   ") == set()


def test_longer_forms_go_first_so_nothing_half_redacted_remains() -> None:
    secrets = redaction_set(["Bearer abc123", "abc"])
    assert redact("Bearer abc123", secrets) == REDACTED
    assert redaction_set(["a", "abcd"])[0] == "abcd"
