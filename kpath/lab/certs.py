"""Certificates the lab makes with the `openssl` command (no Python crypto package needed).

- `openssl_run`: run one openssl step in a folder, `SourceError` with openssl's last line;
- `fake_certificate`: the self-signed certificate a lab's HTTPS pods present, made once per
  lab, named as ingress-nginx names its default ("Kubernetes Ingress Controller Fake
  Certificate"): a client that verifies sees the same certificate problem as on a real
  cluster that has no certificate of its own configured;
- `listener_certificate`: the self-signed certificate a lab gateway presents on an HTTPS or
  TLS-terminating listener, naming the listeners' hostnames (the lab has no Secrets to
  read ``certificateRefs`` from, so a client that verifies fails as it would on a cluster
  whose certificate comes from no CA the client trusts; ``curl -k`` works).
"""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

from kpath.errors import SourceError

FAKE_CERT_CN = "Kubernetes Ingress Controller Fake Certificate"
#: P-256 keys: generated in milliseconds, so a lab still starts at once.
EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def openssl_run(folder: Path, *args: str, purpose: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SourceError(f"{purpose} needs the openssl command")
    done = subprocess.run([openssl, *args], cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SourceError(f"openssl {args[0]} failed for {purpose}: {last}")


def fake_certificate() -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (SAN ingress.local, as nginx's)."""
    return _self_signed(
        f"/O=Acme Co/CN={FAKE_CERT_CN}", "DNS:ingress.local", purpose="the lab's HTTPS pods"
    )


#: A DNS name openssl accepts in a SAN (a leading "*." wildcard allowed); others are left out.
_DNS_NAME = re.compile(
    r"^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}"
    r"[a-z0-9])?)*$"
)


def listener_certificate(hostnames: list[str]) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for ``hostnames`` (a listener
    without a hostname: ``gateway.local``)."""
    names = [h.lower() for h in hostnames if _DNS_NAME.match(h.lower())] or ["gateway.local"]
    san = ",".join(f"DNS:{n}" for n in dict.fromkeys(names))
    return _self_signed(
        f"/O=kpath lab gateway/CN={names[0]}", san, purpose="the lab's gateway listeners"
    )


def _self_signed(subject: str, san: str, *, purpose: str) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for ``subject`` and ``san``
    (openssl's ``subjectAltName`` value), valid two days; made in a folder removed after."""
    with tempfile.TemporaryDirectory(prefix="kpath-lab-cert-") as tmp:
        d = Path(tmp)
        openssl_run(
            d,
            "req",
            "-x509",
            *EC_KEY,
            "-keyout",
            "cert.key",
            "-out",
            "cert.crt",
            "-days",
            "2",
            "-subj",
            subject,
            "-addext",
            f"subjectAltName={san}",
            purpose=purpose,
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(d / "cert.crt", d / "cert.key")
        return context
